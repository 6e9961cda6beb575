//! `cargo afl fuzz -i seeds/timeline -o out/timeline target/release/timeline` (see docs/fuzzing.md).
fn main() {
    afl::fuzz!(|data: &[u8]| {
        counterweight_fuzz::timeline(data);
    });
}
