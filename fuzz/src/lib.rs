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

/// `measure`'s options as the first input byte picks them: bit 0 asks for an entity
/// column `e`, bit 1 for a time column `t`, bit 2 excludes the entity `x`; the value column
/// is `v`.
fn measure_options(mode: u8) -> MeasureOptions {
    MeasureOptions {
        entity: (mode & 1 != 0).then(|| "e".to_string()),
        time: (mode & 2 != 0).then(|| "t".to_string()),
        exclude: if mode & 4 != 0 {
            vec!["x".into()]
        } else {
            Vec::new()
        },
        ..MeasureOptions::new("v")
    }
}

/// The CSV reader of `measure`; the first byte picks which of value/entity/time columns
/// are asked for.
pub fn measure(data: &[u8]) {
    let Some((&mode, csv)) = data.split_first() else {
        return;
    };
    let opts = MeasureOptions {
        top_k: 1 + (mode as usize >> 3) % 5,
        ..measure_options(mode)
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

/// Every chart kind the library draws, in memory (SVG), on values taken from the input's
/// bits: any f64, so finite positive ranges from 5e-324 to f64::MAX (issue 15, item 1:
/// a log axis once looped forever on values 1 and 1e290), and also zeros, negatives, NaN
/// and infinities, which a chart must leave out, never fail on. The first byte picks the
/// chart kind, the second its options (log axes, a fixed range, the diagonal, dates);
/// the rest, 8 bytes a value (little-endian bits, at most 64 values), is split into xs
/// and ys. A panic, an error from the drawing, or a hang is a finding.
pub fn chart(data: &[u8]) {
    draw_chart(data, None);
}

/// The same charts as [`chart`], through the functions that write the run directory's
/// files: each drawn twice (SVG and the PNG rasteriser, plotters' bitmap backend) and
/// encoded, written atomically to `counterweight-fuzz-chart/` in the temporary directory
/// (overwritten by every input). Slower than `chart` (a PNG is encoded per input); it
/// covers the bitmap path the SVG-only target does not.
pub fn chart_png(data: &[u8]) {
    static DIR: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    let dir = DIR.get_or_init(|| {
        let d = std::env::temp_dir().join("counterweight-fuzz-chart");
        std::fs::create_dir_all(&d).expect("a temporary directory");
        d
    });
    draw_chart(data, Some(dir));
}

/// [`chart`]'s body: in memory as SVG (`dir` None), or as files (SVG and PNG) in `dir`.
fn draw_chart(data: &[u8], dir: Option<&std::path::Path>) {
    use counterweight::io::plot::{
        Band, BandChart, BarChart, Grid, Heatmap, LineChart, Panel, Series, band_chart,
        band_chart_svg, bar_chart, bar_chart_svg, ccdf_points, distribution_line_chart, heatmap,
        heatmap_svg, line_chart, line_chart_svg, lorenz_line_chart, mixed_panel_chart,
        mixed_panel_chart_svg, panel_chart, panel_chart_svg,
    };
    // Either the in-memory SVG or the files, from one chart description.
    macro_rules! draw {
        ($svg:ident, $file:ident, $($arg:expr),+) => {
            match dir {
                None => $svg($($arg),+).map(drop),
                Some(d) => $file(d, "chart", $($arg),+).map(drop).map_err(|e| e.to_string()),
            }
        };
    }
    let [kind, flags, rest @ ..] = data else {
        return;
    };
    let vals: Vec<f64> = rest
        .chunks_exact(8)
        .take(64)
        .map(|c| f64::from_bits(u64::from_le_bytes(c.try_into().expect("8 bytes"))))
        .collect();
    let half = vals.len().div_ceil(2);
    let xs = vals[..half].to_vec();
    let ys = vals[half..].to_vec();
    let bit = |i: u8| flags & (1 << i) != 0;
    // a fixed range from the first two values (the library refuses unusable ones)
    let range = (bit(4) && vals.len() >= 2).then(|| (vals[0], vals[1]));
    let line = |log_x: bool, log_y: bool| LineChart {
        title: "fuzz".into(),
        x_label: "x".into(),
        y_label: "y".into(),
        series: vec![
            Series::new("a", xs.clone(), ys.clone()),
            Series::new("b", ys.clone(), xs.clone()).dashed(),
        ],
        y_range: range,
        x_range: if bit(5) { range } else { None },
        log_x,
        log_y,
        diagonal: bit(2),
        x_dates: bit(3),
    };
    let bars = || BarChart {
        title: "bars".into(),
        x_label: "share".into(),
        bars: vals
            .iter()
            .enumerate()
            .map(|(i, v)| (format!("holder {i}"), *v))
            .collect(),
        percent: bit(6),
    };
    let drawn = match kind % 9 {
        0 => draw!(line_chart_svg, line_chart, &line(bit(0), bit(1))),
        1 => draw!(
            panel_chart_svg,
            panel_chart,
            "panels",
            &[line(bit(0), false), line(false, bit(1))]
        ),
        2 => {
            let panels = vec![Panel::Line(line(bit(0), bit(1))), Panel::Bars(bars())];
            let grid = bit(7).then(|| Grid {
                rows: 1 + usize::from(flags >> 4 & 1),
                cols: 1 + usize::from(flags >> 5 & 1),
                row_titles: vec!["row".into()],
            });
            draw!(
                mixed_panel_chart_svg,
                mixed_panel_chart,
                "mixed",
                &panels,
                grid.as_ref()
            )
        }
        3 => draw!(
            line_chart_svg,
            line_chart,
            &lorenz_line_chart(
                "lorenz",
                &[
                    ("ccdf".into(), ccdf_points(&ys)),
                    ("x".into(), ccdf_points(&xs)),
                ],
            )
        ),
        4 => draw!(
            line_chart_svg,
            line_chart,
            &distribution_line_chart(
                "distribution",
                &[("x".into(), xs.clone()), ("y".into(), ys.clone())],
            )
        ),
        5 => draw!(bar_chart_svg, bar_chart, &bars()),
        6 => draw!(
            band_chart_svg,
            band_chart,
            &BandChart {
                title: "band".into(),
                x_label: "x".into(),
                y_label: "y".into(),
                bands: vec![Band {
                    label: "mean".into(),
                    xs: xs.clone(),
                    mean: ys.clone(),
                    lo: ys.iter().map(|y| y / 2.0).collect(),
                    hi: ys.iter().map(|y| y * 1.5).collect(),
                    failed: if bit(2) { xs.clone() } else { Vec::new() },
                }],
                y_range: range,
                log_x: bit(0),
            }
        ),
        7 => {
            let cols = xs.len().max(1);
            draw!(
                heatmap_svg,
                heatmap,
                &Heatmap {
                    title: "heat".into(),
                    x_label: "x".into(),
                    y_label: "y".into(),
                    x_values: xs.iter().map(|x| format!("{x:e}")).collect(),
                    y_values: vec!["1".into(), "2".into()],
                    values: vec![ys.clone(), vals.iter().take(cols).copied().collect()],
                    colour_label: "value".into(),
                    range,
                }
            )
        }
        _ => draw!(
            line_chart_svg,
            line_chart,
            &LineChart {
                series: vec![Series::new("a", xs.clone(), ys.clone())],
                log_x: true,
                log_y: true,
                ..Default::default()
            }
        ),
    };
    if let Err(e) = drawn {
        panic!("drawing failed: {e}");
    }
}

/// The largest run the `run` target makes: enough for every code path of a model, the
/// metrics and the charts, small enough for hundreds of executions a second.
pub const RUN_MAX_ACTORS: u64 = 200;
/// The most steps of a run of the `run` target.
pub const RUN_MAX_STEPS: u64 = 200;
/// The most replicates of a run of the `run` target (more are cut to this many).
pub const RUN_MAX_REPLICATES: u32 = 2;
/// The most bytes of model state of a run of the `run` target (models whose size is not
/// their actors, e.g. a network's nodes).
pub const RUN_MAX_STATE_BYTES: u64 = 1 << 20;

/// The whole `run` path on small inputs, in memory: parse and validate a scenario, cut
/// its replicates to [`RUN_MAX_REPLICATES`] (skip it if a variant is larger than
/// [`RUN_MAX_ACTORS`], [`RUN_MAX_STEPS`] or [`RUN_MAX_STATE_BYTES`]), run every variant,
/// build the run record (metrics, key numbers, notes), `summary.json`, the notebook card
/// and every chart of the run directory as SVG. A panic, a chart that fails to draw after
/// a run that succeeded, or a hang is a finding.
///
/// An input whose first line is `#measure` is a CSV for `measure`'s whole path instead:
/// read it (`value` column `v`; the second byte after `#measure` picks entity, time and
/// exclusions as in [`measure`]), then its key numbers, description and top holders.
pub fn run(data: &[u8]) {
    use counterweight::estimate::RunSize;
    use counterweight::io::run::{RunRecord, card_html, figures_svg, summary};
    use counterweight::runner::{RunOptions, run_experiment};
    if let Some(rest) = data.strip_prefix(b"#measure") {
        measure_whole(rest);
        return;
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if text.contains("csv") {
        return;
    }
    let Ok(mut exp) = scenario::parse(text, "<fuzz>", None, &[]) else {
        return;
    };
    for v in &mut exp.variants {
        let sc = &mut v.scenario;
        sc.replicates = sc.replicates.min(RUN_MAX_REPLICATES);
        let size = RunSize::of(sc);
        if size.actors > RUN_MAX_ACTORS
            || sc.time.steps > RUN_MAX_STEPS
            || size.state_bytes > RUN_MAX_STATE_BYTES
        {
            return;
        }
    }
    let Ok(out) = run_experiment(&exp, &RunOptions::default()) else {
        return;
    };
    let rec = RunRecord::from_output(&exp, &out);
    let json = summary(&rec);
    assert!(json.is_object(), "summary.json is not an object");
    let _ = card_html(&rec);
    for (stem, svg) in figures_svg(&rec) {
        if let Err(e) = svg {
            panic!("{stem}.svg failed to draw after a successful run: {e}");
        }
    }
}

/// `measure`'s whole path except the files: read, measure, key numbers, description.
fn measure_whole(data: &[u8]) {
    use counterweight::io::measured::{MeasureRecord, TOP_HOLDERS, all_key_numbers, description};
    let Some((&mode, csv)) = data.split_first() else {
        return;
    };
    let opts = measure_options(mode);
    let Ok(m) = measure_reader(csv, "<fuzz>", &opts) else {
        return;
    };
    let rec = MeasureRecord {
        name: "measure fuzz".into(),
        source: "<fuzz>".into(),
        options: &opts,
        measurement: &m,
        version: counterweight::VERSION.into(),
        grouped: None,
    };
    let _ = all_key_numbers(&rec);
    let _ = description(&rec);
    let _ = m.top_holders(TOP_HOLDERS);
}
