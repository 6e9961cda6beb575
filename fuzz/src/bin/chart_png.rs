//! `cargo afl fuzz -i seeds/chart -o out/chart_png target/release/chart_png` (see docs/fuzzing.md).
fn main() {
    afl::fuzz!(|data: &[u8]| {
        counterweight_fuzz::chart_png(data);
    });
}
