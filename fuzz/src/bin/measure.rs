//! `cargo afl fuzz -i seeds/measure -o out/measure target/release/measure` (see docs/fuzzing.md).
fn main() {
    afl::fuzz!(|data: &[u8]| {
        counterweight_fuzz::measure(data);
    });
}
