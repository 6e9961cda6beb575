//! `cargo afl fuzz -i seeds/vary -o out/vary target/release/vary` (see docs/fuzzing.md).
fn main() {
    afl::fuzz!(|data: &[u8]| {
        counterweight_fuzz::vary(data);
    });
}
