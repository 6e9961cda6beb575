//! `cargo afl fuzz -i seeds/chart -o out/chart target/release/chart` (see docs/fuzzing.md).
fn main() {
    afl::fuzz!(|data: &[u8]| {
        counterweight_fuzz::chart(data);
    });
}
