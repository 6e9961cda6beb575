//! `cargo afl fuzz -i seeds/run -o out/run target/release/run` (see docs/fuzzing.md).
fn main() {
    afl::fuzz!(|data: &[u8]| {
        counterweight_fuzz::run(data);
    });
}
