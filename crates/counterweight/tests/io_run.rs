//! Integration test of the run directory writer: a synthetic two-variant, two-group run.
//! Set `COUNTERWEIGHT_KEEP_RUN=/some/dir` to keep the written directory for inspection.

use std::path::Path;

use counterweight::io::{
    Column, IoError, METRICS_CONTRACT, RunRecord, Table, VariantRecord, run, write_run,
    write_run_dir,
};

const GROUPS: [&str; 2] = ["incumbents", "entrants"];
const METRICS: [&str; 14] = [
    "hhi",
    "effective_number",
    "gini",
    "theil_t",
    "top1_share",
    "top10pct_share",
    "nakamoto_1_3",
    "nakamoto_1_2",
    "top3_share",
    "top1pct_share",
    "hill_alpha",
    "hill_se",
    "total",
    "",
];

/// Pareto-like quantiles: deterministic heavy-tailed values.
fn pareto(n: usize, alpha: f64) -> Vec<f64> {
    (0..n)
        .map(|i| (1.0 - (i as f64 + 0.5) / n as f64).powf(-1.0 / alpha))
        .collect()
}

fn synthetic(variants: &[(&str, f64)], steps: u64, replicates: u64, with_time: bool) -> RunRecord {
    let mut cols: Vec<(String, Column)> = Vec::new();
    let mut variant = Vec::new();
    let (mut rep, mut step, mut time) = (Vec::new(), Vec::new(), Vec::new());
    let mut f: Vec<Vec<f64>> = vec![Vec::new(); 12];
    let mut nak: [Vec<Option<u64>>; 2] = [Vec::new(), Vec::new()];
    let mut per_group: Vec<Vec<f64>> = vec![Vec::new(); GROUPS.len() * 13];
    for (vi, (label, strength)) in variants.iter().enumerate() {
        for r in 0..replicates {
            for s in 0..steps {
                variant.push(label.to_string());
                rep.push(r);
                step.push(s * 10);
                time.push(s as f64 * 0.5);
                let t = s as f64 / steps.max(2) as f64;
                let c = 0.05 + strength * t + 0.01 * r as f64 + 0.002 * vi as f64;
                let hhi = c * c;
                let vals = [
                    hhi,
                    1.0 / hhi,
                    0.3 + c,
                    c * 2.0,
                    c,
                    (0.2 + c).min(1.0),
                    (0.1 + c).min(1.0),
                    (0.05 + c).min(1.0),
                    if s == 3 { f64::NAN } else { 1.5 + c },
                    0.1,
                    1000.0,
                    0.0,
                ];
                for (k, v) in vals.iter().enumerate() {
                    f[k].push(*v);
                }
                nak[0].push(Some(1 + (10.0 * (1.0 - c)) as u64));
                nak[1].push(if s % 7 == 0 { None } else { Some(3) });
                for g in 0..GROUPS.len() {
                    let share = if g == 0 { 0.5 + 0.4 * c } else { 0.5 - 0.4 * c };
                    for k in 0..13 {
                        per_group[g * 13 + k].push(share * (k + 1) as f64 / 13.0);
                    }
                }
            }
        }
    }
    let mut m = Table::new();
    if variants.len() > 1 {
        m.push("variant", Column::Str(variant));
    }
    m.push("replicate", Column::U64(rep));
    m.push("step", Column::U64(step));
    if with_time {
        m.push("time", Column::F64(time));
    }
    let fnames = [
        "hhi",
        "effective_number",
        "gini",
        "theil_t",
        "top1_share",
        "top10pct_share",
        "top3_share",
        "top1pct_share",
        "hill_alpha",
        "hill_se",
        "total",
    ];
    let mut fi = f.into_iter();
    let mut fcols: Vec<(String, Column)> = fnames
        .iter()
        .map(|n| (n.to_string(), Column::F64(fi.next().unwrap())))
        .collect();
    // Contract order: hhi .. top10pct_share, nakamoto_1_3, nakamoto_1_2, then the rest.
    let rest = fcols.split_off(6);
    cols.extend(fcols);
    let [n13, n12] = nak;
    cols.push(("nakamoto_1_3".into(), Column::OptU64(n13)));
    cols.push(("nakamoto_1_2".into(), Column::OptU64(n12)));
    cols.extend(rest);
    for (name, col) in cols {
        m.push(name, col);
    }
    for (g, name) in GROUPS.iter().enumerate() {
        m.push(
            format!("share.{name}"),
            Column::F64(per_group[g * 13].clone()),
        );
    }
    for (g, name) in GROUPS.iter().enumerate() {
        for (k, metric) in METRICS
            .iter()
            .filter(|m| !m.is_empty())
            .enumerate()
            .take(12)
        {
            m.push(
                format!("{metric}.{name}"),
                Column::F64(per_group[g * 13 + k + 1].clone()),
            );
        }
    }
    m.validate().unwrap();

    let mut actors = Table::new();
    let n_act = 50u64;
    actors.push("replicate", Column::U64(vec![0; n_act as usize]));
    actors.push("step", Column::U64(vec![steps * 10; n_act as usize]));
    actors.push(
        "time",
        Column::F64(vec![steps as f64 * 0.5; n_act as usize]),
    );
    actors.push("actor", Column::U64((0..n_act).collect()));
    actors.push(
        "group",
        Column::Str(
            (0..n_act)
                .map(|i| GROUPS[(i % 2) as usize].to_string())
                .collect(),
        ),
    );
    actors.push("value", Column::F64(pareto(n_act as usize, 1.5)));

    RunRecord {
        name: "synthetic <test> & co".into(),
        description: "A synthetic run: two variants of a toy concentration process.\nSecond line."
            .into(),
        model: "growth".into(),
        seed: 42,
        version: counterweight::VERSION.into(),
        scenario_toml: "name = \"synthetic\"\nseed = 42\n[model]\nkind = \"growth\"\n".into(),
        metrics: m,
        actors: Some(actors),
        actors_written: false,
        variants: variants
            .iter()
            .map(|(label, strength)| VariantRecord {
                label: label.to_string(),
                groups: GROUPS.iter().map(|g| g.to_string()).collect(),
                final_values: pareto(20_000, 1.2 + 2.0 * (0.5 - strength)),
            })
            .collect(),
        key_numbers: vec![
            ("final Gini (baseline)".into(), "0.71".into()),
            ("final HHI (tax)".into(), "0.012".into()),
        ],
        notes: vec!["Synthetic data; numbers mean nothing.".into()],
        charts: Vec::new(),
    }
}

fn parquet_rows(p: &Path) -> usize {
    counterweight::io::parquet::read_parquet(p).unwrap().rows()
}

fn check_run_dir(dir: &Path, rec: &RunRecord, expect_time_plots: bool) {
    let mut expected = vec![
        "scenario.toml",
        "metrics.csv",
        "metrics.parquet",
        "actors.csv",
        "actors.parquet",
        "summary.json",
        "report.html",
        "lorenz.svg",
        "lorenz.png",
        "distribution.svg",
        "distribution.png",
    ];
    if expect_time_plots {
        expected.extend([
            "shares.svg",
            "shares.png",
            "concentration.svg",
            "concentration.png",
        ]);
    }
    for f in &expected {
        let p = dir.join(f);
        assert!(p.is_file(), "missing {f}");
        assert!(std::fs::metadata(&p).unwrap().len() > 0, "empty {f}");
    }
    // Nothing else (no temporary files).
    for e in std::fs::read_dir(dir).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        assert!(expected.contains(&name.as_str()), "unexpected file {name}");
    }

    let csv = std::fs::read_to_string(dir.join("metrics.csv")).unwrap();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let offset = usize::from(header[0] == "variant");
    let has_time = rec.metrics.column("time").is_some();
    let contract: Vec<&str> = METRICS_CONTRACT
        .iter()
        .copied()
        .filter(|h| *h != "time" || has_time)
        .collect();
    assert_eq!(&header[offset..offset + contract.len()], &contract[..]);
    assert_eq!(csv.lines().count(), rec.metrics.rows() + 1);

    assert_eq!(
        parquet_rows(&dir.join("metrics.parquet")),
        rec.metrics.rows()
    );
    assert_eq!(
        parquet_rows(&dir.join("actors.parquet")),
        rec.actors.as_ref().unwrap().rows()
    );

    let summary_bytes = std::fs::read(dir.join("summary.json")).unwrap();
    // One implementation: the file is the in-memory summary, byte for byte, keys in order.
    let mut in_memory = serde_json::to_vec_pretty(&run::summary(rec)).unwrap();
    in_memory.push(b'\n');
    assert_eq!(summary_bytes, in_memory);
    let summary: serde_json::Value = serde_json::from_slice(&summary_bytes).unwrap();
    let keys: Vec<&String> = summary.as_object().unwrap().keys().collect();
    assert_eq!(keys[..4], ["name", "description", "model", "seed"]);
    let files: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    for f in summary["files"].as_array().unwrap() {
        assert!(files.iter().any(|x| x == f.as_str().unwrap()), "{f}");
    }
    assert_eq!(summary["files"].as_array().unwrap().len(), files.len());
    // The notebook card: the key numbers and the very drawing of shares.svg.
    let card = run::card_html(rec);
    for (k, _) in &rec.key_numbers {
        assert!(card.contains(&counterweight::io::report::escape(k)), "{k}");
    }
    match run::shares_svg(rec) {
        Some(svg) => {
            let svg = svg.unwrap();
            assert_eq!(
                svg,
                std::fs::read_to_string(dir.join("shares.svg")).unwrap()
            );
            assert!(card.contains("<svg width=\"100%\" viewBox="));
        }
        None => assert!(!dir.join("shares.svg").exists() && !card.contains("<svg")),
    }
    // Every chart drawn in memory (the `run` fuzz target's path) is the written SVG, byte
    // for byte, and every written SVG is one of them.
    let figures = run::figures_svg(rec);
    assert!(!figures.is_empty());
    for (stem, svg) in &figures {
        assert_eq!(
            svg.as_ref().unwrap(),
            &std::fs::read_to_string(dir.join(format!("{stem}.svg"))).unwrap(),
            "{stem}"
        );
    }
    let svgs = files.iter().filter(|f| f.ends_with(".svg")).count();
    assert_eq!(svgs, figures.len());
    assert_eq!(summary["seed"], 42);
    assert_eq!(summary["model"], "growth");
    let vars = summary["variants"].as_array().unwrap();
    assert_eq!(vars.len(), rec.variants.len());
    for v in vars {
        let fin = v["final"].as_object().unwrap();
        assert!(fin["gini"].is_number());
        assert!(fin.contains_key("share.incumbents"));
        assert_eq!(v["groups"].as_array().unwrap().len(), 2);
    }

    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.contains("<svg"));
    assert!(html.contains("synthetic &lt;test&gt; &amp; co"));
    assert!(html.contains("href=\"metrics.parquet\""));
    assert!(html.contains("final Gini (baseline)"));
    assert!(!html.contains("src=\"http"));
}

#[test]
fn io_write_run_two_variants() {
    let rec = synthetic(&[("baseline", 0.5), ("wealth tax", 0.15)], 20, 2, true);
    let tmp = tempfile::tempdir().unwrap();
    let dir = match std::env::var_os("COUNTERWEIGHT_KEEP_RUN") {
        Some(d) => Path::new(&d).join("two"),
        None => tmp.path().join("two"),
    };
    let _ = std::fs::remove_dir_all(&dir);
    let files = write_run(&dir, &rec).unwrap();
    assert!(files.iter().all(|f| f.is_file()));
    check_run_dir(&dir, &rec, true);
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["variants"][0]["label"], "baseline");
    assert_eq!(summary["variants"][1]["replicates"], 2);
    // The final row is step 190; metrics are means over the two replicates.
    assert_eq!(summary["variants"][0]["final"]["step"], 190);
    assert!(summary["variants"][0]["final"].get("replicate").is_none());
}

#[test]
fn io_write_run_single_variant_and_edge_cases() {
    let tmp = tempfile::tempdir().unwrap();
    let keep = std::env::var_os("COUNTERWEIGHT_KEEP_RUN");
    let base = keep.as_ref().map_or(tmp.path(), Path::new);

    // One variant, one replicate.
    let rec = synthetic(&[("baseline", 0.6)], 20, 1, true);
    let dir = base.join("one");
    let _ = std::fs::remove_dir_all(&dir);
    write_run(&dir, &rec).unwrap();
    check_run_dir(&dir, &rec, true);
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["variants"][0]["final"]["step"], 190);
    assert_eq!(summary["variants"][0]["final"]["replicate"], 0);

    // A single recorded step: no over-time plots.
    let rec = synthetic(&[("a", 0.2), ("b", 0.4)], 1, 1, true);
    let dir = base.join("single-step");
    let _ = std::fs::remove_dir_all(&dir);
    write_run(&dir, &rec).unwrap();
    check_run_dir(&dir, &rec, false);

    // No time column (measure): over-time plots use step when present.
    let mut rec = synthetic(&[("data", 0.3)], 1, 1, false);
    rec.actors = Some(rec.actors.unwrap());
    let dir = base.join("no-time");
    let _ = std::fs::remove_dir_all(&dir);
    write_run(&dir, &rec).unwrap();
    check_run_dir(&dir, &rec, false);
}

#[test]
fn io_write_run_dir_is_all_or_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let rec = synthetic(&[("baseline", 0.5), ("tax", 0.2)], 5, 1, true);
    let out = tmp.path().join("runs").join("r1");
    let files = write_run_dir(&out, &rec).unwrap();
    assert!(files.iter().all(|f| f.starts_with(&out) && f.is_file()));
    check_run_dir(&out, &rec, true);
    // Only the final directory remains beside it.
    let siblings: Vec<_> = std::fs::read_dir(tmp.path().join("runs"))
        .unwrap()
        .collect();
    assert_eq!(siblings.len(), 1);

    // Existing non-empty output: refused, untouched.
    let err = write_run_dir(&out, &rec).unwrap_err();
    assert!(matches!(err, IoError::OutputExists { .. }), "{err}");

    // An empty existing directory is fine.
    let empty = tmp.path().join("runs").join("empty");
    std::fs::create_dir(&empty).unwrap();
    write_run_dir(&empty, &rec).unwrap();
    assert!(empty.join("report.html").is_file());

    // A failing write (malformed table) leaves neither the output nor the staging dir.
    let mut bad = rec.clone();
    bad.metrics.columns.pop();
    let out2 = tmp.path().join("runs").join("r2");
    assert!(write_run_dir(&out2, &bad).is_err());
    assert!(!out2.exists());
    let names: Vec<String> = std::fs::read_dir(tmp.path().join("runs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.contains(".partial-")), "{names:?}");
}

#[test]
fn io_write_run_is_deterministic() {
    let rec = synthetic(&[("baseline", 0.5), ("tax", 0.2)], 8, 2, true);
    let tmp = tempfile::tempdir().unwrap();
    let a = write_run(&tmp.path().join("a"), &rec).unwrap();
    let b = write_run(&tmp.path().join("b"), &rec).unwrap();
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x.file_name(), y.file_name());
        assert!(
            std::fs::read(x).unwrap() == std::fs::read(y).unwrap(),
            "{x:?} differs between two writes"
        );
    }
}

#[test]
fn io_write_run_with_empty_metrics() {
    let mut m = Table::new();
    for name in METRICS_CONTRACT {
        m.push(name, Column::F64(vec![]));
    }
    let rec = RunRecord {
        name: "empty".into(),
        metrics: m,
        ..Default::default()
    };
    let tmp = tempfile::tempdir().unwrap();
    let files = write_run(&tmp.path().join("e"), &rec).unwrap();
    let names: Vec<String> = files
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "scenario.toml",
            "metrics.csv",
            "metrics.parquet",
            "summary.json",
            "report.html"
        ]
    );
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(tmp.path().join("e/summary.json")).unwrap()).unwrap();
    assert!(summary["variants"][0]["final"]["gini"].is_null());
}

// --- the models' declared charts ------------------------------------------------------

/// The stems of the charts every concentration run may draw: a declared chart must not
/// take one.
const BUILT_IN_STEMS: [&str; 4] = ["shares", "concentration", "lorenz", "distribution"];

/// Every embedded example of a built-in model, parsed.
fn examples_of(model: &str) -> Vec<(&'static str, counterweight::scenario::Experiment)> {
    counterweight::scenario::examples::EXAMPLES
        .iter()
        .filter_map(|e| {
            let exp = counterweight::scenario::parse(e.toml, e.name, None, &[]).unwrap();
            (exp.variants[0].scenario.model.name() == model).then_some((e.name, exp))
        })
        .collect()
}

/// Every registered model's declared charts name only columns its runs record (its own,
/// or with concentration metrics a contract metric or a group's share), with distinct,
/// file-safe stems that no concentration chart uses; every model that records columns of
/// its own in its examples declares at least one chart of them.
#[test]
fn declared_charts_name_recorded_columns() {
    let registry = counterweight::model::builtin();
    for model in registry.models() {
        let examples = examples_of(model.name());
        assert!(!examples.is_empty(), "no example of {}", model.name());
        for (name, exp) in &examples {
            for v in &exp.variants {
                let setup = v.scenario.model.setup();
                let obs = setup.observation();
                let charts = setup.charts();
                if !obs.columns.is_empty() {
                    assert!(!charts.is_empty(), "{name}: own columns but no chart");
                }
                let groups: Vec<&str> = v.scenario.groups.iter().map(|g| g.name.as_str()).collect();
                let recorded = |c: &str| {
                    obs.columns.iter().any(|o| o.name == c)
                        || (obs.concentration
                            && (counterweight::metrics::label(c).is_some()
                                || c.strip_prefix("share.")
                                    .is_some_and(|g| groups.contains(&g))))
                };
                let mut stems = Vec::new();
                for chart in &charts {
                    assert!(
                        !chart.stem.is_empty()
                            && chart
                                .stem
                                .chars()
                                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                        "{name}: stem {:?}",
                        chart.stem
                    );
                    assert!(
                        !BUILT_IN_STEMS.contains(&chart.stem.as_str()),
                        "{name}: {}",
                        chart.stem
                    );
                    assert!(!stems.contains(&chart.stem), "{name}: {} twice", chart.stem);
                    stems.push(chart.stem.clone());
                    assert!(
                        !chart.panels.is_empty()
                            && !chart.title.is_empty()
                            && !chart.caption.is_empty()
                    );
                    for p in &chart.panels {
                        assert!(
                            !p.series.is_empty(),
                            "{name}: {}: an empty panel",
                            chart.stem
                        );
                    }
                    for c in chart.columns() {
                        assert!(
                            recorded(c),
                            "{name}: chart {} names {c}, not recorded",
                            chart.stem
                        );
                    }
                }
                // Serialisable for the laboratory, and back.
                let json = serde_json::to_string(&charts).unwrap();
                let back: Vec<counterweight::registry::ChartDef> =
                    serde_json::from_str(&json).unwrap();
                assert_eq!(back, charts);
            }
        }
    }
}

/// The run directory of `example` (with `set` applied), written from a real run.
fn run_dir_of(example: &str, set: &[&str]) -> (tempfile::TempDir, RunRecord) {
    let e = counterweight::scenario::examples::find(example).unwrap();
    let set: Vec<String> = set.iter().map(|s| s.to_string()).collect();
    let exp = counterweight::scenario::parse(e.toml, e.name, None, &set).unwrap();
    let out = counterweight::runner::run_experiment(&exp, &Default::default()).unwrap();
    let rec = RunRecord::from_output(&exp, &out);
    let tmp = tempfile::tempdir().unwrap();
    write_run(tmp.path(), &rec).unwrap();
    (tmp, rec)
}

/// A run directory of each model with its own columns holds every declared chart as
/// SVG and PNG, lists them in `summary.json`, and its report shows them with their titles
/// and captions; a model with one recorded step (the market alone) draws its line panels
/// as bars.
#[test]
fn run_directories_draw_the_declared_charts() {
    for (example, set) in [
        ("civil-society", &["replicates=2"][..]),
        ("three-forces", &["replicates=2"][..]),
        ("fragile-world", &["replicates=2"][..]),
        ("harberger", &["replicates=2"][..]),
        ("cournot", &[][..]),
        ("market-power", &["replicates=1"][..]),
        ("staking-operators", &["replicates=1"][..]),
        ("veto-default", &["replicates=2"][..]),
    ] {
        let (dir, rec) = run_dir_of(example, set);
        assert!(!rec.charts.is_empty(), "{example}: no declared charts");
        let report = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
        let summary = std::fs::read_to_string(dir.path().join("summary.json")).unwrap();
        for c in &rec.charts {
            for ext in ["svg", "png"] {
                let f = dir.path().join(format!("{}.{ext}", c.stem));
                assert!(
                    std::fs::metadata(&f)
                        .map(|m| m.len() > 1000)
                        .unwrap_or(false),
                    "{example}: {f:?} missing or empty"
                );
                assert!(
                    report.contains(&format!("{}.{ext}", c.stem)),
                    "{example}: report lacks {}.{ext}",
                    c.stem
                );
                assert!(
                    summary.contains(&format!("\"{}.{ext}\"", c.stem)),
                    "{example}: summary lacks {}",
                    c.stem
                );
            }
            let svg = std::fs::read_to_string(dir.path().join(format!("{}.svg", c.stem))).unwrap();
            assert!(
                svg.contains(&c.title),
                "{example}: {} lacks its title",
                c.stem
            );
            // The caption's first words, escaped as the report writes them.
            let start: String = c
                .caption
                .split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ");
            assert!(
                report.contains(&counterweight::io::report::escape(&start)),
                "{example}: report lacks the caption of {}",
                c.stem
            );
        }
        if example == "cournot" {
            // Two recorded times (start, equilibrium): bars of the values, no time axis.
            let svg = std::fs::read_to_string(dir.path().join("market.svg")).unwrap();
            assert!(
                !svg.contains("time (model time units)"),
                "cournot: lines over two recorded times"
            );
        }
    }
}

/// The texts of an SVG's `<text>` elements.
fn svg_texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .filter_map(|t| {
            Some(
                t.split_once('>')?
                    .1
                    .split_once("</text>")?
                    .0
                    .trim()
                    .to_string(),
            )
        })
        .collect()
}

/// The veto simulation's time in state is drawn as one bar per state, labelled with the
/// state's name (issue 15 item 20: it was a line over 0–4), the bars' lengths the mean
/// over replicates of each one's final share.
#[test]
fn veto_time_in_state_is_bars_over_the_state_names() {
    let charts = examples_of("veto")[0].1.variants[0]
        .scenario
        .model
        .setup()
        .charts();
    let states = [
        "Normal",
        "VetoSignalling",
        "VetoSignallingDeactivation",
        "VetoCooldown",
        "RageQuit",
    ];
    // Two replicates, two recorded steps; the first row of each is NaN (nothing measured
    // yet), the final shares differ between replicates.
    let finals = [[0.5, 0.2, 0.1, 0.15, 0.05], [0.7, 0.1, 0.1, 0.1, 0.0]];
    let mut m = Table::new();
    m.push("replicate", Column::U64(vec![0, 0, 1, 1]));
    m.push("step", Column::U64(vec![0, 10, 0, 10]));
    m.push("time", Column::F64(vec![0.0, 10.0, 0.0, 10.0]));
    for (k, s) in states.iter().enumerate() {
        m.push(
            format!("time_share.{s}"),
            Column::F64(vec![f64::NAN, finals[0][k], f64::NAN, finals[1][k]]),
        );
    }
    let rec = RunRecord {
        name: "veto".into(),
        metrics: m,
        charts,
        ..Default::default()
    };
    let tmp = tempfile::tempdir().unwrap();
    write_run(tmp.path(), &rec).unwrap();
    let svg = std::fs::read_to_string(tmp.path().join("time_in_state.svg")).unwrap();
    let texts = svg_texts(&svg);
    for (k, s) in states.iter().enumerate() {
        assert_eq!(
            texts.iter().filter(|t| t.as_str() == *s).count(),
            1,
            "{s}: {texts:?}"
        );
        // The value written at the end of the bar: the mean of the two replicates.
        let mean = 100.0 * (finals[0][k] + finals[1][k]) / 2.0;
        assert!(
            texts.contains(&format!("{mean:.2}%")),
            "{s}: {mean:.2}% not in {texts:?}"
        );
    }
    // One filled bar per state, in the first colour (Okabe–Ito blue).
    assert_eq!(
        svg.matches("fill=\"#0072B2\"").count(),
        states.len(),
        "{svg}"
    );
    // No concentration charts: the model records none.
    assert!(!tmp.path().join("shares.svg").exists());
}

/// A declared chart whose columns hold no finite value (or are missing) is left out, a
/// panel with one such column draws the others, and nothing panics.
#[test]
fn declared_charts_skip_nan_and_missing_columns() {
    use counterweight::registry::{ChartDef, PanelDef};
    let mut m = Table::new();
    m.push("replicate", Column::U64(vec![0, 0, 0]));
    m.push("step", Column::U64(vec![0, 1, 2]));
    m.push("time", Column::F64(vec![0.0, 1.0, 2.0]));
    m.push("nothing", Column::F64(vec![f64::NAN; 3]));
    m.push("something", Column::F64(vec![0.1, f64::NAN, f64::INFINITY]));
    let charts = vec![
        ChartDef::new("all_nan", "all NaN", "Nothing to draw.")
            .panel(
                PanelDef::lines("a", "y")
                    .series("nothing", "nothing")
                    .share(),
            )
            .panel(
                PanelDef::bars("b", "y")
                    .series("nothing", "nothing")
                    .series("absent", "absent"),
            ),
        ChartDef::new("partly", "partly", "One column to draw.")
            .panel(
                PanelDef::lines("a", "y")
                    .series("nothing", "nothing")
                    .series("something", "something")
                    .range(0.0, 1.0),
            )
            .panel(
                PanelDef::bars("b", "y")
                    .series("something", "something")
                    .series("nothing", "nothing"),
            ),
    ];
    let rec = RunRecord {
        name: "nan".into(),
        metrics: m,
        charts,
        ..Default::default()
    };
    let tmp = tempfile::tempdir().unwrap();
    write_run(tmp.path(), &rec).unwrap();
    assert!(!tmp.path().join("all_nan.svg").exists());
    assert!(tmp.path().join("partly.png").exists());
    let svg = std::fs::read_to_string(tmp.path().join("partly.svg")).unwrap();
    let texts = svg_texts(&svg);
    assert!(texts.iter().any(|t| t == "something"), "{texts:?}");
    assert!(!texts.iter().any(|t| t == "nothing"), "{texts:?}");
    // The bar of the last finite value (0.1; the infinite one is skipped).
    assert!(texts.iter().any(|t| t == "0.1"), "{texts:?}");
    // A single recorded time, empty tables: nothing to draw, nothing panics.
    let empty = RunRecord {
        name: "empty".into(),
        metrics: Table::new(),
        charts: rec.charts.clone(),
        ..Default::default()
    };
    write_run(&tmp.path().join("empty"), &empty).unwrap();
    assert!(!tmp.path().join("empty/partly.svg").exists());
}

/// The sort of replicate 0's final state that the last metrics evaluation made is handed
/// to the outputs (`ScenarioOutput::final_sorted`): it must be exactly replicate 0's final
/// values in total order, also when the last step is off the recording cadence or the run
/// stops early, and the run directory must not depend on whether it was there.
#[test]
fn final_sorted_is_replicate_zeros_final_values_in_order() {
    use counterweight::runner::{self, RunOptions};
    let src = |extra: &str| {
        format!(
            r#"
name = "final-sorted"
seed = 3
replicates = 3
time = {{ end = 0.53, dt = 0.01 }}
[growth]
exchange = 0.5
volatility = 1.5
{extra}
[[actors]]
group = "a"
count = 6000
initial = {{ lognormal = {{ mu = 0.0, sigma = 1.0 }} }}
[[actors]]
group = "b"
count = 100
initial = {{ constant = 5.0 }}
[output]
every = 7
"#
        )
    };
    for extra in ["", "stop_at_share = 0.006"] {
        let exp = counterweight::scenario::parse(&src(extra), "test", None, &[])
            .unwrap_or_else(|e| panic!("{e}"));
        let sc = &exp.variants[0].scenario;
        let out = runner::run(sc, &RunOptions::default()).unwrap_or_else(|e| panic!("{e}"));
        let mut want = out.final_values[0].clone();
        want.sort_by(f64::total_cmp);
        let got = out
            .final_sorted
            .as_ref()
            .expect("growth records concentration");
        assert_eq!(
            got.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
            want.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
            "{extra}"
        );
        assert_ne!(
            out.final_values[0], out.final_values[1],
            "replicates differ"
        );
        // The charts read the same points with and without the kept sort.
        let with = RunRecord::from_output(
            &exp,
            &runner::run_experiment(&exp, &RunOptions::default()).unwrap(),
        );
        let mut without = with.clone();
        for v in &mut without.variants {
            v.final_values = out.final_values[0].clone();
        }
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        write_run(a.path(), &with).unwrap();
        write_run(b.path(), &without).unwrap();
        for f in ["lorenz.svg", "distribution.svg", "report.html"] {
            assert_eq!(
                std::fs::read(a.path().join(f)).unwrap(),
                std::fs::read(b.path().join(f)).unwrap(),
                "{f} {extra}"
            );
        }
    }
}
