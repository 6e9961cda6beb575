//! `counterweight govern simulate`: run the veto simulation, print a summary table, write
//! CSV, summary.json, charts (SVG + PNG) and report.html through `counterweight::io`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use counterweight::governance::dual::State;
use counterweight::governance::dual::simulate::{self, SimResult, SimScenario, Summary};
use counterweight::io::report::{Figure, Report, render_html};
use counterweight::io::{
    Column, LineChart, Series, Table, distribution_chart, line_chart, write_atomic_bytes, write_csv,
};

use super::{SimulateArgs, render_error};

pub fn run(args: SimulateArgs) -> ExitCode {
    let (path, src) = match &args.scenario {
        Some(p) => match std::fs::read_to_string(p) {
            Ok(s) => (p.clone(), s),
            Err(e) => {
                eprintln!("error: cannot read {}: {e}", p.display());
                return ExitCode::from(2);
            }
        },
        None => (
            PathBuf::from("<embedded simulate/default.toml>"),
            simulate::DEFAULT_SCENARIO.to_string(),
        ),
    };
    let mut sets = args.set.clone();
    if let Some(seed) = args.seed {
        sets.push(format!("seed={seed}"));
    }
    let resolved = if sets.is_empty() {
        src.clone()
    } else {
        match simulate::apply_overrides(&src, &sets) {
            Ok(s) => s,
            Err(e) => {
                eprint!("{}", render_error(&path, &src, &e));
                return ExitCode::from(2);
            }
        }
    };
    let sc = match simulate::parse(&resolved) {
        Ok(s) => s,
        Err(e) => {
            let shown = if sets.is_empty() { &src } else { &resolved };
            eprint!("{}", render_error(&path, shown, &e));
            return ExitCode::from(2);
        }
    };
    let out = args.out.clone().unwrap_or_else(|| {
        let stamp = chrono::Local::now().format("%Y%m%d-%H%M%S");
        PathBuf::from("runs").join(format!("{}-{stamp}", sc.name))
    });
    if out.exists()
        && std::fs::read_dir(&out)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        eprintln!(
            "error: output directory {} already exists and is not empty (choose another --out)",
            out.display()
        );
        return ExitCode::from(2);
    }
    let started = std::time::Instant::now();
    let result = simulate::simulate(&sc);
    let summary = result.summary();
    if let Err(e) = write_outputs(&out, &sc, &resolved, &result, &summary) {
        eprintln!("error: {e}");
        return ExitCode::from(1);
    }
    if args.json {
        println!("{}", summary_json(&sc, &summary));
    } else if args.quiet {
        println!("{}", out.display());
    } else {
        print_summary(&sc, &summary, &out, started.elapsed());
    }
    ExitCode::SUCCESS
}

fn f(x: f64) -> String {
    if x.is_nan() {
        "n/a".into()
    } else {
        format!("{x:.3}")
    }
}

fn print_summary(sc: &SimScenario, s: &Summary, out: &Path, elapsed: std::time::Duration) {
    println!(
        "veto simulation {:?}: {} replicates x {:.0} days, seed {} ({:.1} s)",
        sc.name,
        s.replicates,
        sc.horizon as f64 / 86_400.0,
        sc.seed,
        elapsed.as_secs_f64()
    );
    println!(
        "  first seal {}, second seal {}",
        sc.config.first_seal, sc.config.second_seal
    );
    let rows: Vec<(&str, String)> = vec![
        ("harmful proposals (total)", s.harmful.to_string()),
        (
            "harmful blocked (never executed)",
            f(s.harmful_blocked_share),
        ),
        (
            "harmful executed after a rage quit",
            f(s.harmful_executed_after_rage_quit_share),
        ),
        ("honest proposals (total)", s.honest.to_string()),
        ("honest executed", f(s.honest_executed_share)),
        ("honest delay mean (days)", f(s.honest_delay_days[0])),
        ("honest delay p50 (days)", f(s.honest_delay_days[1])),
        ("honest delay p90 (days)", f(s.honest_delay_days[2])),
        ("honest delay p99 (days)", f(s.honest_delay_days[3])),
        ("honest delay max (days)", f(s.honest_delay_days[4])),
        (
            "veto signals per replicate",
            f(s.veto_signals_per_replicate),
        ),
        (
            "DAO cancellations per replicate",
            f(s.cancellations_per_replicate),
        ),
        ("rage quits per replicate", f(s.rage_quits_per_replicate)),
        ("stake that left (share of supply)", f(s.stake_left_mean)),
    ];
    println!("  {:<38} {:>12}", "outcome", "value");
    for (k, v) in rows {
        println!("  {k:<38} {v:>12}");
    }
    println!("  time in state (share of horizon):");
    for st in State::ALL {
        println!("    {:<36} {:>12}", st.name(), f(s.state_share[st.index()]));
    }
    println!("  wrote {}", out.display());
}

fn summary_json(sc: &SimScenario, s: &Summary) -> serde_json::Value {
    let num = |x: f64| {
        if x.is_finite() {
            serde_json::json!(x)
        } else {
            serde_json::Value::Null
        }
    };
    let mut states = serde_json::Map::new();
    for st in State::ALL {
        states.insert(st.name().into(), num(s.state_share[st.index()]));
    }
    serde_json::json!({
        "name": sc.name,
        "seed": sc.seed,
        "replicates": s.replicates,
        "first_seal": sc.config.first_seal.to_string(),
        "second_seal": sc.config.second_seal.to_string(),
        "harmful": s.harmful,
        "harmful_blocked_share": num(s.harmful_blocked_share),
        "harmful_executed_after_rage_quit_share": num(s.harmful_executed_after_rage_quit_share),
        "honest": s.honest,
        "honest_executed_share": num(s.honest_executed_share),
        "honest_delay_days": {
            "mean": num(s.honest_delay_days[0]),
            "p50": num(s.honest_delay_days[1]),
            "p90": num(s.honest_delay_days[2]),
            "p99": num(s.honest_delay_days[3]),
            "max": num(s.honest_delay_days[4]),
        },
        "state_share": states,
        "veto_signals_per_replicate": num(s.veto_signals_per_replicate),
        "cancellations_per_replicate": num(s.cancellations_per_replicate),
        "rage_quits_per_replicate": num(s.rage_quits_per_replicate),
        "stake_left_mean": num(s.stake_left_mean),
    })
}

fn write_outputs(
    out: &Path,
    sc: &SimScenario,
    resolved: &str,
    r: &SimResult,
    s: &Summary,
) -> Result<(), String> {
    if let Err(e) = std::fs::create_dir_all(out) {
        return Err(format!("cannot create directory {}: {e}", out.display()));
    }
    write_files(out, sc, resolved, r, s).map_err(|e| e.to_string())
}

fn write_files(
    out: &Path,
    sc: &SimScenario,
    resolved: &str,
    r: &SimResult,
    s: &Summary,
) -> Result<(), counterweight::io::IoError> {
    let reps = &r.replicates;
    let mut t = Table::new();
    t.push(
        "replicate",
        Column::U64(reps.iter().map(|x| x.replicate as u64).collect()),
    );
    let u =
        |g: &dyn Fn(&simulate::ReplicateResult) -> u64| Column::U64(reps.iter().map(g).collect());
    t.push("harmful", u(&|x| x.harmful as u64));
    t.push("harmful_executed", u(&|x| x.harmful_executed as u64));
    t.push("harmful_blocked", u(&|x| x.harmful_blocked as u64));
    t.push(
        "harmful_executed_after_rage_quit",
        u(&|x| x.harmful_executed_after_rage_quit as u64),
    );
    t.push("honest", u(&|x| x.honest as u64));
    t.push("honest_executed", u(&|x| x.honest_executed as u64));
    for st in State::ALL {
        t.push(
            format!("seconds_{}", st.name()),
            u(&|x| x.state_time[st.index()]),
        );
    }
    t.push("veto_signals", u(&|x| x.veto_signals as u64));
    t.push("cancellations", u(&|x| x.cancellations as u64));
    t.push("rage_quits", u(&|x| x.rage_quits as u64));
    t.push(
        "stake_left",
        Column::F64(reps.iter().map(|x| x.stake_left).collect()),
    );
    write_csv(&t, &out.join("replicates.csv"))?;

    let mut d = Table::new();
    let (mut rr, mut ii, mut dd) = (Vec::new(), Vec::new(), Vec::new());
    for x in reps {
        for (i, &delay) in x.honest_delays.iter().enumerate() {
            rr.push(x.replicate as u64);
            ii.push(i as u64);
            dd.push(delay);
        }
    }
    let days: Vec<f64> = dd.iter().map(|&x| x as f64 / 86_400.0).collect();
    d.push("replicate", Column::U64(rr));
    d.push("proposal", Column::U64(ii));
    d.push("delay_seconds", Column::U64(dd));
    write_csv(&d, &out.join("honest_delays.csv"))?;

    write_atomic_bytes(&out.join("scenario.toml"), resolved.as_bytes())?;
    let json = serde_json::to_string_pretty(&summary_json(sc, s)).expect("json");
    write_atomic_bytes(&out.join("summary.json"), json.as_bytes())?;

    let mut figures = Vec::new();
    if !days.is_empty() {
        let shifted: Vec<f64> = days.iter().map(|x| x.max(1e-3)).collect();
        distribution_chart(
            out,
            "honest_delay_ccdf",
            "Honest proposals: delay from arrival to execution (days), CCDF",
            &[("honest delay (days)".to_string(), shifted)],
        )?;
        figures.push((
            "honest_delay_ccdf",
            "Delay of honest proposals (days), complementary CDF",
        ));
    }
    let xs: Vec<f64> = (0..5).map(|i| i as f64).collect();
    line_chart(
        out,
        "time_in_state",
        &LineChart {
            title: "Share of the horizon in each state (0 Normal, 1 VS, 2 Deactivation, 3 VetoCooldown, 4 RageQuit)".into(),
            x_label: "state".into(),
            y_label: "share of time".into(),
            series: vec![Series::new("mean over replicates", xs, s.state_share.to_vec())],
            y_range: Some((0.0, 1.0)),
            ..Default::default()
        },
    )?;
    figures.push(("time_in_state", "Mean share of the horizon in each state"));

    let report = Report {
        title: format!("Veto simulation: {}", sc.name),
        meta: vec![
            ("seed".into(), sc.seed.to_string()),
            ("replicates".into(), s.replicates.to_string()),
            ("first seal".into(), sc.config.first_seal.to_string()),
            ("second seal".into(), sc.config.second_seal.to_string()),
        ],
        description: sc.description.clone(),
        key_numbers: vec![
            (
                "harmful blocked (never executed)".into(),
                f(s.harmful_blocked_share),
            ),
            ("honest delay p50 (days)".into(), f(s.honest_delay_days[1])),
            ("honest delay p90 (days)".into(), f(s.honest_delay_days[2])),
            (
                "rage quits per replicate".into(),
                f(s.rage_quits_per_replicate),
            ),
            ("stake that left".into(), f(s.stake_left_mean)),
        ],
        figures: figures
            .iter()
            .map(|(stem, cap)| Figure {
                title: cap.to_string(),
                caption: String::new(),
                svg: std::fs::read_to_string(out.join(format!("{stem}.svg"))).unwrap_or_default(),
                files: vec![format!("{stem}.svg"), format!("{stem}.png")],
            })
            .collect(),
        files: vec![
            ("replicates.csv".into(), "one row per replicate".into()),
            (
                "honest_delays.csv".into(),
                "one row per executed honest proposal".into(),
            ),
            ("summary.json".into(), "the aggregates".into()),
            ("scenario.toml".into(), "the resolved scenario".into()),
        ],
        scenario_toml: resolved.to_string(),
        ..Default::default()
    };
    write_atomic_bytes(&out.join("report.html"), render_html(&report).as_bytes())?;
    Ok(())
}
