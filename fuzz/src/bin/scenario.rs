//! `cargo afl fuzz -i seeds/scenario -o out/scenario target/release/scenario` (see docs/fuzzing.md).
fn main() {
    afl::fuzz!(|data: &[u8]| {
        counterweight_fuzz::scenario(data);
    });
}
