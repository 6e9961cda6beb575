//! `counterweight run`, `check`, `scenarios`, `measure` through the binary: outputs,
//! reproducibility across thread counts, bad input, interruption.

use std::path::{Path, PathBuf};
use std::process::Command as StdCommand;
use std::time::Duration;

use assert_cmd::Command;
use predicates::prelude::*;

fn bin() -> Command {
    Command::cargo_bin("counterweight").unwrap()
}

const SMALL: &str = r#"
name = "small"
seed = 5
time = { end = 2.0, dt = 0.1 }
replicates = 2

[growth]
returns_to_scale = 1.1
base_rate = 0.1
spillover = 0.2
volatility = 0.2
exchange = 0.1

[[actors]]
group = "a"
count = 40
initial = { lognormal = { mu = 0.0, sigma = 0.5 } }
openness = 0.5

[[actors]]
group = "b"
count = 10
initial = { pareto = { scale = 1.0, alpha = 2.0 } }

[output]
every = 5
"#;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// No files other than the expected outputs, and no temp or partial files anywhere.
fn assert_no_partial(dir: &Path) {
    for entry in walk(dir) {
        let name = entry.file_name().unwrap().to_string_lossy().to_string();
        assert!(
            !name.contains(".tmp") && !name.contains(".partial"),
            "leftover {name}"
        );
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            }
            out.push(p);
        }
    }
    out
}

#[test]
fn run_writes_every_output() {
    let tmp = tempfile::tempdir().unwrap();
    let sc = write(tmp.path(), "small.toml", SMALL);
    let out = tmp.path().join("out");
    bin()
        .args([
            "run",
            sc.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--actors",
            "final",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("top-1"));
    for f in [
        "scenario.toml",
        "metrics.csv",
        "metrics.parquet",
        "actors.csv",
        "actors.parquet",
        "summary.json",
        "report.html",
    ] {
        assert!(out.join(f).is_file(), "missing {f}");
    }
    let csv = std::fs::read_to_string(out.join("metrics.csv")).unwrap();
    let header = csv.lines().next().unwrap();
    assert!(header.starts_with(
        "replicate,step,time,hhi,effective_number,gini,theil_t,top1_share,top10pct_share,nakamoto_1_3,nakamoto_1_2"
    ));
    assert!(header.contains("share.a") && header.contains("gini.b"));
    // 2 replicates x (step 0 + every 5 of 20 steps) = 2 x 5 rows.
    assert_eq!(csv.lines().count(), 1 + 10);
    let actors = std::fs::read_to_string(out.join("actors.csv")).unwrap();
    assert!(actors.starts_with("replicate,step,time,actor,group,value"));
    assert_eq!(actors.lines().count(), 1 + 2 * 50);
    assert_no_partial(tmp.path());
}

/// Run `sc` quietly with `--actors final` into `out`, with the environment variable `env`
/// set, and return every file written.
fn run_files_with_env(sc: &Path, out: &Path, env: (&str, &str)) -> Vec<(PathBuf, Vec<u8>)> {
    bin()
        .env(env.0, env.1)
        .args(["run", "--quiet", "--actors", "final", "--out"])
        .arg(out)
        .arg(sc)
        .assert()
        .success();
    crate::common::files(out)
}

/// Every file of a run (metrics, per-actor values, charts, report) is the same bytes on 1,
/// 2, 3 or 8 threads (more than this machine's cores: the pool splits the work more
/// finely). Large enough for every parallel path: the steps (N >= 4 chunks of 8192), the
/// metrics' sort and sums (N >= 100,000), a constant group's initial values written on the
/// pool (>= 65,536 actors), and two groups drawn from their own streams.
#[test]
fn same_seed_same_bytes_on_any_number_of_threads() {
    let tmp = tempfile::tempdir().unwrap();
    let text = SMALL
        .replace("count = 40\n", "count = 60000\n")
        .replace("count = 10\n", "count = 20000\n")
        .replace("end = 2.0", "end = 0.5")
        + "\n[[actors]]\ngroup = \"c\"\ncount = 70000\ninitial = { constant = 1.5 }\n";
    let sc = write(tmp.path(), "big.toml", &text);
    let run = |threads: &str| {
        let out = tmp.path().join(format!("out{threads}"));
        run_files_with_env(&sc, &out, ("RAYON_NUM_THREADS", threads))
    };
    let one = run("1");
    assert!(one.iter().any(|(p, _)| p.ends_with("actors.parquet")));
    assert!(one.iter().any(|(p, _)| p.ends_with("distribution.png")));
    for threads in ["2", "3", "8"] {
        crate::common::assert_same_files(&one, &run(threads), &format!("on {threads} threads"));
    }
}

/// `COUNTERWEIGHT_SIMD` limits the vector instructions of the hot loops (the generator, the
/// shock sweep, the sort, the metrics): every level this CPU has writes the same files,
/// byte for byte, the portable code (`baseline`, what a CPU without AVX2 runs) included.
/// A misspelt level is refused with the accepted ones.
#[test]
fn same_bytes_on_every_instruction_set() {
    let tmp = tempfile::tempdir().unwrap();
    let text = SMALL
        .replace("count = 40", "count = 40000")
        .replace("end = 2.0", "end = 0.5");
    let sc = write(tmp.path(), "big.toml", &text);
    let run = |level: &str| {
        let out = tmp.path().join(format!("out-{level}"));
        run_files_with_env(&sc, &out, ("COUNTERWEIGHT_SIMD", level))
    };
    let auto = run("auto");
    assert!(auto.iter().any(|(p, _)| p.ends_with("actors.parquet")));
    for level in ["avx512", "avx2", "baseline"] {
        crate::common::assert_same_files(&auto, &run(level), &format!("between auto and {level}"));
    }
    // The limit takes effect (`check` says which level the loops run at).
    bin()
        .env("COUNTERWEIGHT_SIMD", "baseline")
        .args(["check", sc.to_str().unwrap()])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "vector instructions: baseline (COUNTERWEIGHT_SIMD=baseline;",
        ));
    bin()
        .env("COUNTERWEIGHT_SIMD", "sse9")
        .args(["run", sc.to_str().unwrap(), "--quiet"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "COUNTERWEIGHT_SIMD=\"sse9\" is not an instruction set: expected auto, avx512, avx2 or baseline",
        ));
}

#[test]
fn default_run_uses_the_embedded_scenario() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("core");
    bin()
        .args(["run", "--out", out.to_str().unwrap()])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "increasing returns + forced diffusion",
        ));
    let csv = std::fs::read_to_string(out.join("metrics.csv")).unwrap();
    assert!(csv.starts_with("variant,replicate,step,time,"));
}

/// Each bad input: exit code 2, the file:line:col, the field, and no output directory.
fn bad(name: &str, text: &str, location: &str, field: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let sc = write(tmp.path(), "bad.toml", text);
    let out = tmp.path().join("out");
    let assert = bin()
        .args(["run", sc.to_str().unwrap(), "--out", out.to_str().unwrap()])
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(
        err.contains(&format!("bad.toml:{location}")),
        "{name}: no location {location} in:\n{err}"
    );
    assert!(
        err.contains(field),
        "{name}: field {field} not named in:\n{err}"
    );
    assert!(
        err.lines().count() <= 12,
        "{name}: more than one screen:\n{err}"
    );
    assert!(!err.contains("panicked"), "{name}: panic:\n{err}");
    assert!(!out.exists(), "{name}: output written");
    assert_no_partial(tmp.path());
}

#[test]
fn malformed_toml() {
    bad(
        "malformed",
        "name = \"x\"\ntime = { end = 1.0, dt = \n",
        "2:",
        "time",
    );
}

#[test]
fn unknown_field() {
    bad(
        "unknown",
        &SMALL.replace("spillover = 0.2", "spilover = 0.2"),
        "10:1",
        "spilover",
    );
}

#[test]
fn wrong_type() {
    bad(
        "type",
        &SMALL.replace("base_rate = 0.1", "base_rate = \"fast\""),
        "9:13",
        "growth.base_rate",
    );
}

#[test]
fn negative_count() {
    bad(
        "count",
        &SMALL.replace("count = 10", "count = -10"),
        "22:9",
        "actors[1].count",
    );
}

#[test]
fn nan_value() {
    bad(
        "nan",
        &SMALL.replace("volatility = 0.2", "volatility = nan"),
        "11:14",
        "growth.volatility",
    );
}

#[test]
fn zero_dt() {
    bad(
        "dt",
        &SMALL.replace("dt = 0.1", "dt = 0.0"),
        "4:26",
        "time.dt",
    );
}

#[test]
fn missing_csv() {
    bad(
        "csv",
        &SMALL.replace(
            "initial = { pareto = { scale = 1.0, alpha = 2.0 } }",
            "initial = { csv = \"nowhere.csv\" }",
        ),
        "23:",
        "actors[1].initial",
    );
}

#[test]
fn bad_set_is_an_input_error() {
    bin()
        .args([
            "run",
            "--set",
            "growth.returns_to_scale=-1",
            "--out",
            "/nonexistent/never",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("growth.returns_to_scale"));
}

#[test]
fn check_and_scenarios() {
    bin()
        .args(["check", "core-claim"])
        .assert()
        .success()
        .stdout(predicate::str::contains("ok: proportional returns"));
    bin()
        .args(["scenarios"])
        .assert()
        .success()
        .stdout(predicate::str::contains("core-claim"));
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("mine.toml");
    bin()
        .args([
            "scenarios",
            "cheetah-and-tortoise",
            "--write",
            f.to_str().unwrap(),
        ])
        .assert()
        .success();
    bin()
        .args(["check", f.to_str().unwrap()])
        .assert()
        .success();
    bin().args(["scenarios", "no-such"]).assert().code(2);
}

#[test]
fn sigint_leaves_no_half_written_file() {
    let tmp = tempfile::tempdir().unwrap();
    let text = SMALL
        .replace("count = 40", "count = 200000")
        .replace("end = 2.0", "end = 1000.0")
        .replace("every = 5", "every = 1000");
    let sc = write(tmp.path(), "long.toml", &text);
    let out = tmp.path().join("out");
    let exe = assert_cmd::cargo::cargo_bin("counterweight");
    let child = StdCommand::new(exe)
        .args([
            "run",
            sc.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--quiet",
        ])
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    StdCommand::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait_with_output().unwrap().status;
    assert_eq!(status.code(), Some(130));
    assert!(
        !out.exists(),
        "an interrupted run must leave no output directory"
    );
    assert_no_partial(tmp.path());
}

#[test]
fn measure_real_data() {
    let data = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/eth-staking-entities-2023-04-19.csv"
    );
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("m");
    bin()
        .args([
            "measure",
            data,
            "--value",
            "eth_deposited",
            "--entity",
            "entity",
            "--out",
            out.to_str().unwrap(),
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("Lido"))
        .stdout(predicate::str::contains("0.3089"));
    let csv = std::fs::read_to_string(out.join("metrics.csv")).unwrap();
    assert!(csv.starts_with("n_entities,hhi,"), "{csv}");
    assert!(out.join("report.html").is_file());
    // Without the aggregate row, Lido alone passes a third.
    let out2 = tmp.path().join("m2");
    bin()
        .args([
            "measure",
            data,
            "--value",
            "eth_deposited",
            "--entity",
            "entity",
            "--exclude",
            "Other",
            "--out",
            out2.to_str().unwrap(),
        ])
        .assert()
        .success()
        .stdout(predicate::str::is_match(r"Nakamoto coefficient \(> 1/3, > 1/2\)\s+1, 2").unwrap());
}

#[test]
fn measure_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let f = write(tmp.path(), "d.csv", "who,stake\na,1\nb,x\n");
    bin()
        .args(["measure", f.to_str().unwrap(), "--value", "stake"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("line 3"));
    bin()
        .args(["measure", f.to_str().unwrap(), "--value", "amount"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("stake"));
    let g = write(tmp.path(), "neg.csv", "who,stake\na,1\nb,-2\n");
    bin()
        .args(["measure", g.to_str().unwrap(), "--value", "stake"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("line 3"));
    let e = write(tmp.path(), "empty.csv", "");
    bin()
        .args(["measure", e.to_str().unwrap(), "--value", "stake"])
        .assert()
        .code(2);
    bin()
        .args(["measure", "/no/such.csv", "--value", "stake"])
        .assert()
        .code(2);
}
