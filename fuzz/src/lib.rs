//! The fuzz targets' bodies, shared by the `cargo afl` binaries (`src/bin/*.rs`) and the
//! smoke test (`tests/smoke.rs`, a short deterministic run that needs no AFL). Each body
//! must never panic, whatever the bytes; a panic is a finding.

use counterweight::governance::dual::timeline;
use counterweight::measure::{MeasureOptions, measure_reader};
use counterweight::scenario;
use counterweight::sweep::spec;

/// The scenario parser and validator (`counterweight::scenario::parse`), with one
/// `--set` override taken from the first line when it starts with `#set `.
pub fn scenario(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // `initial = { csv = PATH }` reads a file: the fuzzer must not read the machine's
    // files (issue 15, item 7, is about bounding those reads).
    if text.contains("csv") {
        return;
    }
    let overrides: Vec<String> = text
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("#set "))
        .map(|s| vec![s.to_string()])
        .unwrap_or_default();
    if let Ok(exp) = scenario::parse(text, "<fuzz>", None, &overrides) {
        // touch the result so nothing is optimised away
        assert!(!exp.variants.is_empty());
    }
}

/// The timeline parser, and the replay of small parsed timelines.
pub fn timeline(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(tl) = timeline::parse(text)
        && tl.steps.len() <= 200
    {
        let _ = timeline::replay(&tl);
    }
}

/// The CSV reader of `measure`; the first byte picks which of value/entity/time columns
/// are asked for.
pub fn measure(data: &[u8]) {
    let Some((&mode, csv)) = data.split_first() else {
        return;
    };
    let opts = MeasureOptions {
        entity: (mode & 1 != 0).then(|| "e".to_string()),
        time: (mode & 2 != 0).then(|| "t".to_string()),
        exclude: if mode & 4 != 0 {
            vec!["x".into()]
        } else {
            Vec::new()
        },
        top_k: 1 + (mode as usize >> 3) % 5,
        ..MeasureOptions::new("v")
    };
    if let Ok(m) = measure_reader(csv, "<fuzz>", &opts) {
        let _ = m.top_holders(10);
    }
}

/// The `--vary` parser (and `--set`'s assignment parser, which its lists use), and the
/// points of a grid over what parsed.
pub fn vary(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut axes = Vec::new();
    for line in text.lines().take(4) {
        let _ = scenario::overrides::parse_assignment(line);
        if let Ok(a) = spec::parse_vary(line) {
            assert!(!a.values.is_empty() && a.values.len() <= spec::MAX_VALUES);
            assert!(a.values.iter().all(|v| v.number.is_none_or(f64::is_finite)));
            axes.push(a);
        }
    }
    if !axes.is_empty() {
        let _ = spec::build(axes, spec::Design::Lhs(3), 1);
    }
}
