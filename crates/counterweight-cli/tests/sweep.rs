//! `counterweight sweep` through the binary: the output contract, identical datasets for
//! any thread count, kill-and-resume, bad `--vary` specs, Latin hypercube strata, failed
//! runs recorded with their status.

use std::path::{Path, PathBuf};
use std::process::{Command as StdCommand, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use predicates::prelude::*;

fn bin() -> Command {
    Command::cargo_bin("counterweight").unwrap()
}

const SMALL: &str = r#"
name = "small"
seed = 11
time = { end = 2.0, dt = 0.1 }

[growth]
returns_to_scale = 1.1
base_rate = 0.1
spillover = 0.2
volatility = 0.3

[[actors]]
group = "a"
count = 30
initial = { lognormal = { mu = 0.0, sigma = 0.5 } }
openness = 0.5

[output]
every = 5
"#;

/// Slow enough per run (N = 2000, 400 steps) that a kill lands mid-sweep.
const SLOWER: &str = r#"
name = "slower"
seed = 3
time = { end = 40.0, dt = 0.1 }

[growth]
returns_to_scale = 1.0
base_rate = 0.05
volatility = 0.4
exchange = 0.2

[[actors]]
group = "a"
count = 2000
initial = { lognormal = { mu = 0.0, sigma = 0.5 } }

[output]
every = 100
"#;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn count_parts(dir: &Path) -> usize {
    std::fs::read_dir(dir.join("parts"))
        .map(|d| {
            d.flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with("part-"))
                .count()
        })
        .unwrap_or(0)
}

#[test]
fn outputs_follow_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    let sc = write(dir.path(), "s.toml", SMALL);
    let out = dir.path().join("out");
    bin()
        .args(["sweep", sc.to_str().unwrap(), "--quiet", "--out"])
        .arg(&out)
        .args([
            "--vary",
            "growth.returns_to_scale=1.0:1.2:0.1",
            "--vary",
            "growth.diffusion_scaling=constant,frontier",
            "--replicates",
            "3",
        ])
        .assert()
        .success();
    let results = String::from_utf8(read(&out.join("results.csv"))).unwrap();
    let mut lines = results.lines();
    let header = lines.next().unwrap();
    assert!(
        header.starts_with(
            "point,replicate,seed,growth.returns_to_scale,growth.diffusion_scaling,status,step,time,hhi,effective_number,gini,theil_t,top1_share,"
        ),
        "{header}"
    );
    for col in ["top10pct_share", "nakamoto_1_3", "nakamoto_1_2"] {
        assert!(header.split(',').any(|c| c == col), "{col} in {header}");
    }
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 3 * 2 * 3);
    assert!(rows[0].starts_with("0,0,"), "{}", rows[0]);
    assert!(rows[1].starts_with("0,1,"));
    assert!(rows[3].starts_with("1,0,"));
    // First key slowest; values clean.
    assert!(rows[0].contains(",1,constant,ok,20,2,"), "{}", rows[0]);
    assert!(rows[17].contains(",1.2,frontier,ok,"), "{}", rows[17]);
    let summary = String::from_utf8(read(&out.join("summary.csv"))).unwrap();
    let sh = summary.lines().next().unwrap();
    assert!(
        sh.starts_with("point,growth.returns_to_scale,growth.diffusion_scaling,runs,failed,stopped,time_mean,time_ci_low,time_ci_high,hhi_mean,"),
        "{sh}"
    );
    assert!(sh.contains("top1_share_mean,top1_share_ci_low,top1_share_ci_high"));
    assert_eq!(summary.lines().count(), 1 + 6);
    for f in [
        "results.parquet",
        "summary.parquet",
        "summary_series.csv",
        "manifest.json",
        "report.html",
        "final_top1_share.png",
        "final_top1_share.svg",
        "series_top1_share.png",
    ] {
        assert!(out.join(f).exists(), "{f}");
    }
    assert_eq!(&read(&out.join("results.parquet"))[..4], b"PAR1");
    // The recorded seed reproduces the run through `counterweight run`.
    let row: Vec<&str> = rows[4].split(',').collect();
    let seed = row[2];
    let run_out = dir.path().join("single");
    bin()
        .args(["run", sc.to_str().unwrap(), "--quiet", "--out"])
        .arg(&run_out)
        .args([
            "--set",
            "growth.returns_to_scale=1.0",
            "--set",
            "growth.diffusion_scaling=\"frontier\"",
            "--seed",
            seed,
        ])
        .assert()
        .success();
    let metrics = String::from_utf8(read(&run_out.join("metrics.csv"))).unwrap();
    let last: Vec<&str> = metrics.lines().last().unwrap().split(',').collect();
    let header: Vec<&str> = header.split(',').collect();
    let mheader: Vec<&str> = metrics.lines().next().unwrap().split(',').collect();
    let gi = header.iter().position(|c| *c == "gini").unwrap();
    let mgi = mheader.iter().position(|c| *c == "gini").unwrap();
    assert_eq!(
        row[gi], last[mgi],
        "the sweep's run = counterweight run with its seed"
    );
}

#[test]
fn sweep_prints_its_estimate_unless_quiet() {
    let dir = tempfile::tempdir().unwrap();
    let sc = write(dir.path(), "s.toml", SMALL);
    let args = |out: &Path, quiet: bool| {
        let mut c = bin();
        c.args(["sweep", sc.to_str().unwrap(), "--out"])
            .arg(out)
            .args([
                "--vary",
                "growth.returns_to_scale=1.0:1.2:0.1",
                "--replicates",
                "2",
            ]);
        if quiet {
            c.arg("--quiet");
        }
        c
    };
    let o = args(&dir.path().join("loud"), false).output().unwrap();
    assert!(o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    // `check`'s line, for the sweep's 3 points × 2 replicates.
    let line = err
        .lines()
        .find(|l| l.starts_with("estimate: about "))
        .unwrap_or_else(|| panic!("no estimate in {err}"));
    assert!(
        line.contains(" of memory, ") && line.ends_with(" on disk, 6 runs"),
        "{line}"
    );
    let o = args(&dir.path().join("quiet"), true).output().unwrap();
    assert!(o.status.success());
    assert!(!String::from_utf8_lossy(&o.stderr).contains("estimate"));
}

#[test]
fn one_and_two_threads_give_identical_datasets() {
    let dir = tempfile::tempdir().unwrap();
    let sc = write(dir.path(), "s.toml", SMALL);
    let mut outs = Vec::new();
    for threads in ["1", "2"] {
        let out = dir.path().join(format!("t{threads}"));
        bin()
            .args([
                "sweep",
                sc.to_str().unwrap(),
                "--quiet",
                "--threads",
                threads,
                "--out",
            ])
            .arg(&out)
            .args([
                "--vary",
                "growth.returns_to_scale=1.0:1.3:0.1",
                "--vary",
                "growth.spillover=log:0.01:1:3",
                "--replicates",
                "4",
            ])
            .assert()
            .success();
        outs.push(out);
    }
    for f in [
        "results.csv",
        "summary.csv",
        "summary_series.csv",
        "results.parquet",
        "summary.parquet",
    ] {
        assert!(
            read(&outs[0].join(f)) == read(&outs[1].join(f)),
            "{f} differs between 1 and 2 threads"
        );
    }
    assert!(count_parts(&outs[0]) > 1);
}

fn slow_sweep(sc: &Path, out: &Path, threads: &str) -> StdCommand {
    let mut c = StdCommand::new(assert_cmd::cargo::cargo_bin("counterweight"));
    c.args([
        "sweep",
        sc.to_str().unwrap(),
        "--quiet",
        "--threads",
        threads,
        "--out",
    ])
    .arg(out)
    .args(["--vary", "growth.exchange=0:0.5:0.05", "--replicates", "20"]);
    c
}

#[test]
fn kill_and_resume_gives_the_uninterrupted_dataset() {
    let dir = tempfile::tempdir().unwrap();
    let sc = write(dir.path(), "slow.toml", SLOWER);
    let full = dir.path().join("full");
    let st = slow_sweep(&sc, &full, "2").status().unwrap();
    assert!(st.success());

    let cut = dir.path().join("cut");
    let mut child = slow_sweep(&sc, &cut, "1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    while count_parts(&cut) < 3 {
        assert!(t0.elapsed() < Duration::from_secs(120), "no parts written");
        assert!(
            child.try_wait().unwrap().is_none(),
            "finished before the kill"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let parts_at_kill = count_parts(&cut);
    assert!(!cut.join("results.csv").exists());
    let total = std::fs::read_to_string(full.join("manifest.json")).unwrap();
    assert!(total.contains("\"batch_size\""));

    let mut again = slow_sweep(&sc, &cut, "2");
    again.arg("--resume");
    let st = again.status().unwrap();
    assert!(st.success());
    assert!(parts_at_kill < count_parts(&cut));
    for f in ["results.csv", "summary.csv", "summary_series.csv"] {
        assert!(
            read(&full.join(f)) == read(&cut.join(f)),
            "{f}: resumed sweep differs from the uninterrupted one"
        );
    }
    // No temporary files are left.
    for sub in ["", "parts", "series"] {
        for e in std::fs::read_dir(cut.join(sub)).unwrap().flatten() {
            let n = e.file_name().to_string_lossy().into_owned();
            assert!(!n.contains(".tmp-"), "leftover {n}");
        }
    }
}

#[test]
fn sigint_saves_what_is_done_and_exits_130() {
    let dir = tempfile::tempdir().unwrap();
    let sc = write(dir.path(), "slow.toml", SLOWER);
    let out = dir.path().join("int");
    let child = slow_sweep(&sc, &out, "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    while count_parts(&out) < 1 {
        assert!(t0.elapsed() < Duration::from_secs(120), "no parts written");
        std::thread::sleep(Duration::from_millis(20));
    }
    StdCommand::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(130));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("run the same command again to resume"),
        "{err}"
    );
    // A different sweep in the same directory is refused.
    bin()
        .args(["sweep", sc.to_str().unwrap(), "--quiet", "--out"])
        .arg(&out)
        .args(["--vary", "growth.exchange=0:0.5:0.1", "--replicates", "20"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("holds a different sweep")
                .and(predicate::str::contains("--vary")),
        );
}

#[test]
fn bad_vary_specs_fail_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    let sc = write(dir.path(), "s.toml", SMALL);
    let cases = [
        ("growth.nonsense=1,2", "nonsense"),
        ("growth.returns_to_scale=1.2:1.0:0.1", "empty range"),
        ("growth.returns_to_scale=1.0:1.2:0", "step is zero"),
        ("growth.returns_to_scale=-1:1:0.5", "returns_to_scale"),
        ("growth.spillover=log:0:1:3", "start > 0"),
        ("growth.spillover", "KEY=SPEC"),
        ("seed=1,2", "--seed"),
    ];
    for (spec, needle) in cases {
        let out = dir.path().join("never");
        bin()
            .args(["sweep", sc.to_str().unwrap(), "--quiet", "--out"])
            .arg(&out)
            .args(["--vary", spec])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(needle));
        assert!(!out.exists(), "{spec}: output written despite the error");
    }
    // The out-of-range error names the --vary and the value.
    bin()
        .args([
            "sweep",
            sc.to_str().unwrap(),
            "--vary",
            "growth.returns_to_scale=-1:1:0.5",
        ])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("--vary growth.returns_to_scale=-1:1:0.5")
                .and(predicate::str::contains("-1")),
        );
    // --zip with unequal lengths.
    bin()
        .args([
            "sweep",
            sc.to_str().unwrap(),
            "--zip",
            "--vary",
            "growth.spillover=0,1",
            "--vary",
            "growth.exchange=0,1,2",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("equal length"));
}

#[test]
fn latin_hypercube_covers_each_stratum_once() {
    let dir = tempfile::tempdir().unwrap();
    let sc = write(dir.path(), "s.toml", SMALL);
    let out = dir.path().join("lhs");
    bin()
        .args(["sweep", sc.to_str().unwrap(), "--quiet", "--out"])
        .arg(&out)
        .args([
            "--vary",
            "growth.returns_to_scale=1.0:1.5:0.1",
            "--vary",
            "growth.spillover=log:0.01:1:5",
            "--sample",
            "lhs:16",
        ])
        .assert()
        .success();
    let summary = String::from_utf8(read(&out.join("summary.csv"))).unwrap();
    let rows: Vec<Vec<f64>> = summary
        .lines()
        .skip(1)
        .map(|l| l.split(',').take(3).map(|x| x.parse().unwrap()).collect())
        .collect();
    assert_eq!(rows.len(), 16);
    let mut beta: Vec<usize> = rows
        .iter()
        .map(|r| ((r[1] - 1.0) / 0.5 * 16.0).floor() as usize)
        .collect();
    beta.sort_unstable();
    assert_eq!(beta, (0..16).collect::<Vec<_>>());
    let mut d: Vec<usize> = rows
        .iter()
        .map(|r| ((r[2].ln() - 0.01f64.ln()) / (1f64.ln() - 0.01f64.ln()) * 16.0).floor() as usize)
        .collect();
    d.sort_unstable();
    assert_eq!(d, (0..16).collect::<Vec<_>>());
}

#[test]
fn a_blow_up_is_recorded_and_the_sweep_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let sc = write(dir.path(), "s.toml", SMALL);
    let out = dir.path().join("blow");
    bin()
        .args(["sweep", sc.to_str().unwrap(), "--quiet", "--out"])
        .arg(&out)
        .args([
            "--set",
            "time.end=20",
            "--set",
            "growth.base_rate=0.5",
            "--set",
            "growth.volatility=0",
            "--vary",
            "growth.returns_to_scale=1.0,2.0",
            "--replicates",
            "2",
        ])
        .assert()
        .success();
    let results = String::from_utf8(read(&out.join("results.csv"))).unwrap();
    let rows: Vec<&str> = results.lines().skip(1).collect();
    assert_eq!(rows.len(), 4);
    assert!(
        rows[0].contains(",ok,") && rows[1].contains(",ok,"),
        "{results}"
    );
    for r in &rows[2..] {
        assert!(r.contains("error: "), "{r}");
        assert!(r.contains("blow-up"), "{r}");
        assert!(r.ends_with(",,") || r.contains("NaN"), "{r}");
    }
    let summary = String::from_utf8(read(&out.join("summary.csv"))).unwrap();
    let last = summary.lines().nth(2).unwrap();
    assert!(last.starts_with("1,2,2,2,0,"), "{last}");
}

#[test]
fn govern_simulate_scenarios_sweep_too() {
    let dir = tempfile::tempdir().unwrap();
    let sc = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../scenarios/governance/simulate/default.toml");
    let mut outs = Vec::new();
    for threads in ["1", "2"] {
        let out = dir.path().join(format!("gov{threads}"));
        bin()
            .args([
                "sweep",
                sc.to_str().unwrap(),
                "--quiet",
                "--threads",
                threads,
                "--out",
            ])
            .arg(&out)
            .args([
                "--set",
                "horizon=120d",
                "--set",
                "drain=60d",
                "--vary",
                "config.first_seal=0.5%,2%",
                "--replicates",
                "3",
            ])
            .assert()
            .success();
        outs.push(out);
    }
    let results = String::from_utf8(read(&outs[0].join("results.csv"))).unwrap();
    assert!(
        results.starts_with(
            "point,replicate,seed,config.first_seal,status,step,time,harmful,harmful_executed,harmful_blocked,"
        ),
        "{results}"
    );
    assert_eq!(results.lines().count(), 1 + 2 * 3);
    assert!(read(&outs[0].join("results.csv")) == read(&outs[1].join("results.csv")));
    // The model's own columns end to end: summarised per point, named in the report.
    let summary = String::from_utf8(read(&outs[0].join("summary.csv"))).unwrap();
    let header = summary.lines().next().unwrap();
    assert!(header.starts_with("point,config.first_seal,"), "{header}");
    assert!(header.contains("harmful_blocked_share"), "{header}");
    assert!(header.contains("veto_signals"), "{header}");
    assert_eq!(summary.lines().count(), 1 + 2);
    let report = String::from_utf8(read(&outs[0].join("report.html"))).unwrap();
    assert!(
        report.contains("harmful_blocked_share") || report.contains("harmful proposals blocked")
    );
    // A value the governance scenario rejects fails before any run.
    bin()
        .args([
            "sweep",
            sc.to_str().unwrap(),
            "--vary",
            "proposals.harmful_share=0.5,2",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("proposals.harmful_share"));
}

/// Parse a CSV with a header into (header, rows of cells).
fn csv_table(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut lines = text.lines();
    let header = lines.next().unwrap().split(',').map(String::from).collect();
    let rows = lines
        .map(|l| l.split(',').map(String::from).collect())
        .collect();
    (header, rows)
}

/// The value of column `name` in `row` as a number (NaN when empty).
fn cell(header: &[String], row: &[String], name: &str) -> f64 {
    let i = header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name} in {header:?}"));
    row[i].parse().unwrap_or(f64::NAN)
}

/// Issue 15, item 17: intervals of shares stay in [0, 1] (Wilson for outcomes of runs,
/// logit-t for shares), unbounded metrics keep the t interval, the column names stay, and
/// the report says which interval it shows.
#[test]
fn intervals_of_shares_respect_the_unit_interval() {
    let dir = tempfile::tempdir().unwrap();
    let sc = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../scenarios/governance/simulate/default.toml");
    let out = dir.path().join("gov");
    bin()
        .args(["sweep", sc.to_str().unwrap(), "--quiet", "--out"])
        .arg(&out)
        .args([
            "--set",
            "horizon=120d",
            "--set",
            "drain=60d",
            "--vary",
            "config.first_seal=0.5%,1%,2%",
            "--replicates",
            "3",
        ])
        .assert()
        .success();
    let (header, rows) = csv_table(&String::from_utf8(read(&out.join("summary.csv"))).unwrap());
    let shares = [
        "harmful_blocked_share",
        "honest_executed_share",
        "stake_left",
        "time_share.Normal",
        "time_share.VetoSignalling",
        "stopped_fraction",
    ];
    let mut checked = 0;
    for row in &rows {
        for m in shares {
            let mean = if m == "stopped_fraction" {
                cell(&header, row, m)
            } else {
                cell(&header, row, &format!("{m}_mean"))
            };
            let (lo, hi) = (
                cell(&header, row, &format!("{m}_ci_low")),
                cell(&header, row, &format!("{m}_ci_high")),
            );
            if lo.is_nan() {
                continue;
            }
            assert!(
                (0.0..=1.0).contains(&lo) && (0.0..=1.0).contains(&hi) && lo <= mean && mean <= hi,
                "{m}: {mean} [{lo}, {hi}]"
            );
            checked += 1;
        }
    }
    assert!(checked >= 12, "{checked}");
    // No share is constant over the replicates of every point, so some interval has width.
    assert!(rows.iter().any(|r| {
        cell(&header, r, "harmful_blocked_share_ci_high")
            > cell(&header, r, "harmful_blocked_share_ci_low")
    }));
    // 0 of 3 runs stopped: Wilson [0, 0.5615].
    let hi = cell(&header, &rows[0], "stopped_fraction_ci_high");
    assert!((hi - 0.5615).abs() < 1e-3, "{hi}");
    let report = String::from_utf8(read(&out.join("report.html"))).unwrap();
    assert!(
        report.contains("Wilson score"),
        "the report names the interval"
    );
    assert!(report.contains("logit-transformed Student-t"));
}

/// Issue 15, item 17, the growth model: top-1 share, Gini, HHI in [0, 1]; the effective
/// number keeps its Student-t interval (symmetric about the mean).
#[test]
fn concentration_shares_stay_in_range_and_others_keep_the_t_interval() {
    let dir = tempfile::tempdir().unwrap();
    let sc = write(dir.path(), "s.toml", SMALL);
    let out = dir.path().join("out");
    bin()
        .args(["sweep", sc.to_str().unwrap(), "--quiet", "--out"])
        .arg(&out)
        .args([
            "--set",
            "actors[0].count=3",
            "--set",
            "growth.volatility=1.5",
            "--vary",
            "growth.returns_to_scale=1.0,1.2",
            "--replicates",
            "2",
        ])
        .assert()
        .success();
    let (header, rows) = csv_table(&String::from_utf8(read(&out.join("summary.csv"))).unwrap());
    for row in &rows {
        for m in ["top1_share", "gini", "hhi", "top10pct_share", "top3_share"] {
            let (mean, lo, hi) = (
                cell(&header, row, &format!("{m}_mean")),
                cell(&header, row, &format!("{m}_ci_low")),
                cell(&header, row, &format!("{m}_ci_high")),
            );
            assert!(
                0.0 <= lo && lo <= mean && mean <= hi && hi <= 1.0,
                "{m}: {mean} [{lo}, {hi}]"
            );
        }
        let (m, lo, hi) = (
            cell(&header, row, "effective_number_mean"),
            cell(&header, row, "effective_number_ci_low"),
            cell(&header, row, "effective_number_ci_high"),
        );
        assert!(
            ((m - lo) - (hi - m)).abs() < 1e-9 * m.abs().max(1.0),
            "{m} [{lo}, {hi}]"
        );
    }
}

/// Issue 15, item 18: a scenario with [[compare]] variants sweeps each variant as a
/// dimension: a `variant` column, one line per variant, a chosen subset, clear errors.
#[test]
fn variants_are_a_sweep_dimension() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cc");
    bin()
        .args(["sweep", "core-claim", "--quiet", "--out"])
        .arg(&out)
        .args([
            "--set",
            "time.end=8",
            "--vary",
            "growth.spillover=1,4",
            "--replicates",
            "2",
        ])
        .assert()
        .success();
    let (header, rows) = csv_table(&String::from_utf8(read(&out.join("results.csv"))).unwrap());
    assert_eq!(
        &header[..6],
        [
            "point",
            "replicate",
            "seed",
            "growth.spillover",
            "variant",
            "status"
        ]
    );
    assert_eq!(rows.len(), 2 * 3 * 2);
    let variants: Vec<&str> = rows.iter().step_by(2).map(|r| r[4].as_str()).collect();
    assert_eq!(
        variants,
        [
            "proportional returns",
            "increasing returns",
            "increasing returns + forced diffusion",
            "proportional returns",
            "increasing returns",
            "increasing returns + forced diffusion"
        ]
    );
    let (sh, srows) = csv_table(&String::from_utf8(read(&out.join("summary.csv"))).unwrap());
    assert_eq!(
        &sh[..6],
        [
            "point",
            "growth.spillover",
            "variant",
            "runs",
            "failed",
            "stopped"
        ]
    );
    assert_eq!(srows.len(), 6);
    for r in &srows {
        let top1 = cell(&sh, r, "top1_share_mean");
        assert!(top1 > 0.0 && top1 < 1.0, "{r:?}");
    }
    // One line per variant in the chart, labelled by the variant.
    let svg = String::from_utf8(read(&out.join("final_top1_share.svg"))).unwrap();
    for v in [
        "proportional returns",
        "increasing returns + forced diffusion",
    ] {
        assert!(svg.contains(v), "{v} in the legend");
    }
    // A subset of the variants.
    let sub = dir.path().join("sub");
    bin()
        .args(["sweep", "core-claim", "--quiet", "--out"])
        .arg(&sub)
        .args([
            "--set",
            "time.end=2",
            "--vary",
            "growth.spillover=1,4",
            "--vary",
            "variant=\"increasing returns\"",
            "--replicates",
            "1",
        ])
        .assert()
        .success();
    let (_, rows) = csv_table(&String::from_utf8(read(&sub.join("results.csv"))).unwrap());
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|r| r[4] == "increasing returns"));
    // Errors: an unknown variant; a key a variant sets itself; variants of a scenario
    // without any.
    bin()
        .args(["sweep", "core-claim", "--vary", "variant=nope"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("no variant \"nope\"")
                .and(predicate::str::contains("increasing returns")),
        );
    bin()
        .args([
            "sweep",
            "core-claim",
            "--vary",
            "growth.returns_to_scale=1.1,1.2",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "sets growth.returns_to_scale itself",
        ));
    let sc = write(dir.path(), "s.toml", SMALL);
    bin()
        .args(["sweep", sc.to_str().unwrap(), "--vary", "variant=a"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no [[compare]] variants"));
}

/// Issue 15, item 19: failed points are marked, bands are drawn, legends round numbers,
/// and the report shows the charts before the long table.
#[test]
fn charts_mark_failures_draw_bands_and_round_legends() {
    let dir = tempfile::tempdir().unwrap();
    let sc = write(dir.path(), "s.toml", SMALL);
    let out = dir.path().join("blow");
    bin()
        .args(["sweep", sc.to_str().unwrap(), "--quiet", "--out"])
        .arg(&out)
        .args([
            "--set",
            "time.end=20",
            "--set",
            "growth.base_rate=0.5",
            "--set",
            "growth.volatility=0.1",
            "--vary",
            "growth.returns_to_scale=1.0,1.05,2.0",
            "--vary",
            "growth.spillover=log:0.1:1:3",
            "--replicates",
            "3",
        ])
        .assert()
        .success();
    let svg = String::from_utf8(read(&out.join("final_top1_share.svg"))).unwrap();
    assert!(
        svg.contains("every run failed"),
        "a legend entry for the crosses"
    );
    assert!(svg.contains("<polygon"), "the confidence band is drawn");
    assert!(svg.contains("spillover = 0.3162"), "a rounded legend");
    assert!(!svg.contains("0.316227766017"));
    let report = String::from_utf8(read(&out.join("report.html"))).unwrap();
    assert!(report.contains("every run failed"), "the caption says so");
    let (charts, table) = (
        report.find("<h2>Charts").unwrap(),
        report.find("<h2>Final values").unwrap(),
    );
    assert!(charts < table, "charts first, then the table");
    assert!(!report.contains("0.316227766017"));
    // The failure's message names the time to significant digits.
    let results = String::from_utf8(read(&out.join("results.csv"))).unwrap();
    let failure = results.lines().find(|l| l.contains("blow-up")).unwrap();
    let t = failure
        .split("(t = ")
        .nth(1)
        .unwrap()
        .split(')')
        .next()
        .unwrap();
    assert!(t.len() <= 8, "t = {t}");
}
