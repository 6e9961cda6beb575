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
