//! Regression tests of issue 15 (hardening) through the binary: charts on extreme values
//! (item 1), overflow (3), one-screen errors (5), signals and interrupted writes (6),
//! measure's outputs (14–16), Dual Governance replay (13) and hints (21). Each test fails
//! on the code before the fix.

use std::path::{Path, PathBuf};
use std::process::Command as StdCommand;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use predicates::prelude::*;

fn bin() -> Command {
    let mut c = Command::cargo_bin("counterweight").unwrap();
    // A hang fails the test instead of stalling the suite.
    c.timeout(Duration::from_secs(60));
    c
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn repo(rel: &str) -> String {
    format!("{}/../../{rel}", env!("CARGO_MANIFEST_DIR"))
}

/// Every entry under `dir`, recursively, as relative names.
fn tree(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            out.push(p.strip_prefix(dir).unwrap().display().to_string());
            if p.is_dir() {
                stack.push(p);
            }
        }
    }
    out.sort();
    out
}

// ------------------------------------------------------------------------ item 1

/// `measure` of values whose ratio overflows f64 on a log axis finishes and writes every
/// chart (it used to loop forever or grow past 4 GB).
#[test]
fn measure_of_extreme_values_finishes() {
    let tmp = tempfile::tempdir().unwrap();
    for (i, values) in [
        "5e-324\n2\n",
        "1\n1e290\n",
        "1e-300\n10\n",
        "1.7976931348623157e308\n5e-324\n",
    ]
    .iter()
    .enumerate()
    {
        let f = write(
            tmp.path(),
            &format!("x{i}.csv"),
            &format!("value\n{values}"),
        );
        let out = tmp.path().join(format!("m{i}"));
        bin()
            .args(["measure", f.to_str().unwrap(), "--value", "value", "--out"])
            .arg(&out)
            .arg("--quiet")
            .assert()
            .success();
        assert!(out.join("distribution.png").is_file(), "{values}");
        assert!(out.join("report.html").is_file(), "{values}");
    }
}

/// `run` with two actors at 1e308 finishes.
#[test]
fn run_with_extreme_initial_values_finishes() {
    let tmp = tempfile::tempdir().unwrap();
    for (i, initial) in ["{ constant = 1e308 }", "{ values = [5e-324, 1.0] }"]
        .iter()
        .enumerate()
    {
        let sc = write(
            tmp.path(),
            &format!("big{i}.toml"),
            &format!(
                "name = \"big\"\ntime = {{ end = 2.0, dt = 1.0 }}\n[[actors]]\ngroup = \"a\"\ncount = 2\ninitial = {initial}\n"
            ),
        );
        let out = tmp.path().join(format!("r{i}"));
        bin()
            .args(["run", sc.to_str().unwrap(), "--quiet", "--out"])
            .arg(&out)
            .assert()
            .success();
        assert!(out.join("distribution.svg").is_file());
    }
}

// ------------------------------------------------------------------------ item 3

/// A `--vary` range with more values than a count can hold is refused (exit 2), not
/// wrapped to "0 runs" with exit 0.
#[test]
fn sweep_range_overflow_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    bin()
        .args([
            "sweep",
            "two-oh-two",
            "--vary",
            "growth.base_rate=0:1:1e-20",
            "--out",
        ])
        .arg(tmp.path().join("s"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("too many"));
    assert!(!tmp.path().join("s").exists());
}

/// A timeline whose clock would wrap is a located error (exit 2).
#[test]
fn timeline_clock_overflow_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let f = write(
        tmp.path(),
        "wrap.toml",
        "[[step]]\nat = \"213503982334601d\"\ndo = \"activate\"\n[[step]]\nafter = \"1d\"\ndo = \"activate\"\n",
    );
    bin()
        .args(["govern", "replay", f.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("wrap.toml:2:").and(predicate::str::contains("uint40")));
}

// ------------------------------------------------------------------------ item 5

fn assert_one_screen(stderr: &str) {
    assert!(stderr.lines().count() <= 20, "{stderr}");
    assert!(
        stderr.lines().all(|l| l.chars().count() <= 500),
        "a line of {} characters",
        stderr.lines().map(|l| l.chars().count()).max().unwrap_or(0)
    );
}

/// An error on a 1 MB line echoes a window of it with the caret under the column, never
/// the whole line.
#[test]
fn errors_echo_a_window_of_a_huge_line() {
    let tmp = tempfile::tempdir().unwrap();
    let pad = "x".repeat(1_000_000);
    let sc = write(
        tmp.path(),
        "huge.toml",
        &format!(
            "name = \"{pad}\"\ntime = {{ end = 1.0, dt = 0.5 }}\n[[actors]]\ngroup = \"a\"\ncount = 2\ninitial = {{ constant = 1.0 }}\nopenness = \"{pad}\"\n"
        ),
    );
    let out = bin()
        .args(["check", sc.to_str().unwrap()])
        .assert()
        .code(2)
        .get_output()
        .clone();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_one_screen(&err);
    assert!(err.contains("huge.toml:7:12"), "{err}");
    assert!(err.contains("openness = \"xxx"), "{err}");
    // the caret sits under the opening quote of the value (column 12)
    let echoed = err.lines().find(|l| l.starts_with("7 | ")).unwrap();
    let caret = err.lines().find(|l| l.trim_end().ends_with('^')).unwrap();
    let at = caret.find('^').unwrap();
    assert_eq!(&echoed[at..at + 1], "\"", "{echoed:.40}\n{caret}");
    // the type error said in words
    assert!(err.contains("a number"), "{err}");
    assert!(!err.contains("f64"), "{err}");

    let tl = write(
        tmp.path(),
        "huge-timeline.toml",
        &format!("[[step]]\ndo = \"activate\"\nnote = \"{pad}\"\nwhat = 1\n"),
    );
    let out = bin()
        .args(["govern", "replay", tl.to_str().unwrap()])
        .assert()
        .code(2)
        .get_output()
        .clone();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_one_screen(&err);
    let tl = write(
        tmp.path(),
        "long-line-timeline.toml",
        &format!("[[step]]\ndo = \"activate\", note = \"{pad}\", bogus = 1\n"),
    );
    let out = bin()
        .args(["govern", "replay", tl.to_str().unwrap()])
        .assert()
        .code(2)
        .get_output()
        .clone();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_one_screen(&err);
}

/// serde's type names become words in `--set` errors.
#[test]
fn type_errors_are_in_words() {
    bin()
        .args(["check", "two-oh-two", "--set", "time.end=abc"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("expected a number")
                .and(predicate::str::contains("f64").not()),
        );
}

// ------------------------------------------------------------------------ item 6

const LONG: &str = r#"
name = "long"
seed = 5
time = { end = 1000.0, dt = 0.1 }
[growth]
returns_to_scale = 1.0
base_rate = 0.01
volatility = 0.1
[[actors]]
group = "a"
count = 200000
initial = { constant = 1.0 }
[output]
every = 1000
"#;

fn spawn_run(args: &[&str]) -> std::process::Child {
    StdCommand::new(assert_cmd::cargo::cargo_bin("counterweight"))
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

fn signal(child: &std::process::Child, sig: &str) {
    StdCommand::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .unwrap();
}

/// SIGTERM is handled like Ctrl-C: exit 130, nothing written (it used to kill the
/// process outright).
#[test]
fn sigterm_is_handled_like_sigint() {
    let tmp = tempfile::tempdir().unwrap();
    let sc = write(tmp.path(), "long.toml", LONG);
    let out = tmp.path().join("out");
    let child = spawn_run(&[
        "run",
        sc.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "-q",
    ]);
    std::thread::sleep(Duration::from_millis(1500));
    signal(&child, "-TERM");
    let o = child.wait_with_output().unwrap();
    assert_eq!(
        o.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(!out.exists());
    assert_eq!(tree(tmp.path()), vec!["long.toml"]);
}

/// Ctrl-C while the run directory is being written stops within a second and leaves
/// nothing behind (writing used to ignore it for seconds).
#[test]
fn sigint_while_writing_stops_promptly() {
    let tmp = tempfile::tempdir().unwrap();
    // Fast to compute, slow to write: every actor's value at 41 recorded steps (5 million
    // rows, about 2.5 s of writing on a 2-core machine).
    let text = LONG
        .replace("end = 1000.0, dt = 0.1", "end = 40.0, dt = 1.0")
        .replace("count = 200000", "count = 120000")
        .replace("every = 1000", "every = 1");
    let sc = write(tmp.path(), "w.toml", &text);
    let out = tmp.path().join("out");
    let child = spawn_run(&[
        "run",
        sc.to_str().unwrap(),
        "--actors",
        "--out",
        out.to_str().unwrap(),
        "-q",
    ]);
    let staging = tmp.path().join(format!("out.partial-{}", child.id()));
    // Wait until writing has begun. Before the fix the signal was ignored until the whole
    // directory was written.
    interrupt_when(
        child,
        || staging.exists(),
        Duration::from_secs(60),
        "writing never began",
        "",
    );
    assert!(!out.exists());
    assert_eq!(tree(tmp.path()), vec!["w.toml"]);
}

/// A run stopped and continued again and again (Ctrl-Z and `fg`, a job control or a CI
/// machine pausing the process), while it computes and while it writes, finishes with
/// exit 0 and the same files as an undisturbed run: an interrupted system call (EINTR)
/// is retried, not reported.
#[test]
fn stop_and_continue_leave_the_same_run() {
    let tmp = tempfile::tempdir().unwrap();
    let text = LONG
        .replace("end = 1000.0, dt = 0.1", "end = 40.0, dt = 0.05")
        .replace("count = 200000", "count = 40000")
        .replace("every = 1000", "every = 20");
    let sc = write(tmp.path(), "s.toml", &text);
    let run = |name: &str, disturb: bool| {
        let out = tmp.path().join(name);
        let args = [
            "run",
            sc.to_str().unwrap(),
            "--actors",
            "--out",
            out.to_str().unwrap(),
        ];
        let child = spawn_run(&args);
        if disturb {
            for _ in 0..40 {
                std::thread::sleep(Duration::from_millis(20));
                signal(&child, "-STOP");
                std::thread::sleep(Duration::from_millis(10));
                signal(&child, "-CONT");
            }
        }
        let o = child.wait_with_output().unwrap();
        assert_eq!(
            o.status.code(),
            Some(0),
            "{name}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        crate::common::files(&out)
    };
    let calm = run("calm", false);
    assert!(calm.iter().any(|(p, _)| p.ends_with("actors.csv")));
    crate::common::assert_same_files(&calm, &run("disturbed", true), "after stops and continues");
}

/// Poll until `ready()` holds (at most `limit`, else fail with `never`), send SIGINT to
/// `child`, and check that it exits 130 within a second (`hint` prefixes the stderr shown
/// when the exit code is wrong).
fn interrupt_when(
    child: std::process::Child,
    ready: impl Fn() -> bool,
    limit: Duration,
    never: &str,
    hint: &str,
) {
    let start = Instant::now();
    while !ready() {
        assert!(start.elapsed() < limit, "{never}");
        std::thread::sleep(Duration::from_millis(2));
    }
    signal(&child, "-INT");
    let signalled = Instant::now();
    let o = child.wait_with_output().unwrap();
    let took = signalled.elapsed();
    assert!(took < Duration::from_secs(1), "stopped after {took:?}");
    assert_eq!(
        o.status.code(),
        Some(130),
        "{hint}{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Ctrl-C during the final write of the run directory (tables, charts, report), not
/// during the computation: the staging directory exists from the start (per-actor rows
/// stream into it), so the test waits for `scenario.toml`, the first file `write_run`
/// writes once the replicates have finished. Few actors and many recorded steps make the
/// computation short and the write long (300,001 rows of metrics as CSV, Parquet and
/// charts: several seconds on a 2-core machine), so the signal lands inside it.
#[test]
fn sigint_during_the_final_write_stops_promptly() {
    let tmp = tempfile::tempdir().unwrap();
    let text = LONG
        .replace("end = 1000.0, dt = 0.1", "end = 300000.0, dt = 1.0")
        .replace("count = 200000", "count = 20")
        .replace("every = 1000", "every = 1")
        // No growth and no shocks: 300,000 steps at 1% would blow up (t = 132,326).
        .replace("base_rate = 0.01", "base_rate = 0.0")
        .replace("volatility = 0.1", "volatility = 0.0");
    let sc = write(tmp.path(), "w.toml", &text);
    let out = tmp.path().join("out");
    let child = spawn_run(&[
        "run",
        sc.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "-q",
    ]);
    let staging = tmp.path().join(format!("out.partial-{}", child.id()));
    let writing = || {
        std::fs::read_dir(&staging).is_ok_and(|d| {
            d.flatten()
                .any(|e| e.file_name().to_string_lossy().contains("scenario.toml"))
        })
    };
    interrupt_when(
        child,
        writing,
        Duration::from_secs(120),
        "the final write never began",
        "the run finished before the signal? ",
    );
    assert!(!out.exists());
    assert_eq!(tree(tmp.path()), vec!["w.toml"]);
}

/// A staging directory left by a killed process is removed by the next write beside it.
#[test]
fn stale_staging_directories_are_cleaned() {
    let tmp = tempfile::tempdir().unwrap();
    let stale = tmp.path().join("old.partial-4294967295");
    std::fs::create_dir(&stale).unwrap();
    std::fs::write(stale.join(".metrics.csv.tmp-4294967295-0"), "x").unwrap();
    bin()
        .args(["run", "two-oh-two", "-q", "--out"])
        .arg(tmp.path().join("new"))
        .assert()
        .success();
    assert!(!stale.exists(), "{:?}", tree(tmp.path()));
}

// ------------------------------------------------------------------------ items 14–16

/// The measure report speaks of data (no seed, replicates or final step), names the HHI
/// scale, and carries the top holders as a chart, in summary.json and top_holders.csv.
#[test]
fn measure_report_in_the_words_of_data() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("m");
    bin()
        .args([
            "measure",
            &repo("../shared/data/eth-staking-entities-2023-04-19.csv"),
            "--value",
            "eth_deposited",
            "--entity",
            "entity",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains("HHI (0-10,000 scale)"));
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    let text: String = {
        // the report's words, without the inline SVG charts
        let mut t = String::new();
        let mut rest = html.as_str();
        while let Some(i) = rest.find("<svg") {
            t.push_str(&rest[..i]);
            rest = rest[i..].split_once("</svg>").map_or("", |x| x.1);
        }
        t.push_str(rest);
        t
    };
    for banned in [
        "seed",
        "replicate",
        "final step",
        "Final values",
        "final value",
        "Scenario",
    ] {
        assert!(!text.contains(banned), "report says {banned:?}");
    }
    assert!(text.contains("0-10,000 scale"));
    assert!(html.contains("top_holders.svg"));
    assert!(text.contains("1. Lido"));
    let top = std::fs::read_to_string(out.join("top_holders.csv")).unwrap();
    let mut lines = top.lines();
    assert_eq!(lines.next(), Some("rank,entity,value,share"));
    assert!(lines.next().unwrap().starts_with("1,Lido,5792448,0.3089"));
    assert_eq!(top.lines().count(), 11);
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["top_holders"][0]["entity"], "Lido");
    assert_eq!(summary["top_holders"].as_array().unwrap().len(), 10);
    assert!(summary["latest"]["hhi"].as_f64().unwrap() < 1.0);
    assert!(summary.get("seed").is_none());
    assert!(out.join("top_holders.png").is_file());
}

/// ISO dates in `--time` stay dates: `time` is a float (decimal year) in CSV and Parquet
/// alike, `time_label` keeps the text, and the chart's axis reads as dates.
#[test]
fn measure_dates_stay_dates() {
    let tmp = tempfile::tempdir().unwrap();
    let f = write(
        tmp.path(),
        "d.csv",
        "date,who,v\r\n2024-02-01,a,1\r\n2023-12-31,a,2\r\n2024-02-01,b,3\r\n2023-12-31,b,1\r\n2024-06-30,a,5\r\n2024-06-30,b,1\r\n",
    );
    let out = tmp.path().join("m");
    bin()
        .args([
            "measure",
            f.to_str().unwrap(),
            "--value",
            "v",
            "--entity",
            "who",
        ])
        .args(["--time", "date", "-q", "--out"])
        .arg(&out)
        .assert()
        .success();
    let csv = std::fs::read_to_string(out.join("metrics.csv")).unwrap();
    assert!(csv.starts_with("time,time_label,n_entities,"), "{csv}");
    assert!(csv.contains("2024.0846994535518,2024-02-01,"), "{csv}");
    let svg = std::fs::read_to_string(out.join("concentration.svg")).unwrap();
    assert!(svg.contains("2024-0"), "no date on the axis");
    assert!(!svg.contains(">step"), "steps on the axis");
    // CRLF line numbers
    let g = write(
        tmp.path(),
        "bad.csv",
        "who,v\r\na,1\r\nb,2\r\nc,3\r\nd,4\r\nabc,abc\r\n",
    );
    bin()
        .args(["measure", g.to_str().unwrap(), "--value", "v"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("line 6 "));
}

// ------------------------------------------------------------------------ item 13

/// A run-time error in `govern replay --json` prints the steps replayed before it, then
/// the error (exit 2).
#[test]
fn replay_json_prints_the_steps_before_a_runtime_error() {
    let tmp = tempfile::tempdir().unwrap();
    let f = write(
        tmp.path(),
        "t.toml",
        "[config]\ntotal_supply = \"100 ETH\"\n[[step]]\ndo = \"lock\"\nholder = \"a\"\namount = \"1 ETH\"\n[[step]]\ndo = \"rebase\"\namount = \"-50%\"\n[[step]]\ndo = \"lock\"\nholder = \"b\"\namount = \"80 ETH\"\n",
    );
    let out = bin()
        .args(["govern", "replay", "--json", f.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("amount above the total supply"))
        .get_output()
        .clone();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert_eq!(lines[1]["action"], "rebase");
}

// ------------------------------------------------------------------------ item 20

/// With fewer than 10 actors the top-10% share is a fraction of the largest actor's
/// (interpolated on the Lorenz curve) and lies below the top-1 share: the report says so
/// under the concentration chart, with the number of actors and the fraction.
#[test]
fn small_n_top10_share_is_explained() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("r");
    bin()
        .args(["run", "two-oh-two", "-q", "--out"])
        .arg(&out)
        .assert()
        .success();
    let report = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        report.contains("With 2 actors the top 10% is 0.2 of an actor"),
        "{}",
        &report[..report.len().min(3000)]
    );
}

// ------------------------------------------------------------------------ item 21

#[test]
fn hints_for_names_fields_and_other_formats() {
    bin()
        .args(["run", "core_claim", "-q"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "did you mean the example `core-claim`?",
        ));
    bin()
        .args(["check", "two-oh-two", "--set", "returns_to_scale=1.2"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "did you mean `growth.returns_to_scale`?",
        ));
    bin()
        .args([
            "run",
            &repo("scenarios/governance/s1_first_seal_min_duration.toml"),
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("counterweight govern replay"));
    // A veto simulation is a scenario (`model = "veto"`): `check` reads it, no hint.
    bin()
        .args(["check", &repo("scenarios/governance/simulate/default.toml")])
        .assert()
        .success();
}

// ------------------------------------------------------------------------ item 7

/// A scenario `name` cannot make the default output directory escape `runs/`.
#[test]
fn scenario_name_cannot_escape_runs() {
    let tmp = tempfile::tempdir().unwrap();
    for name in ["../../escaped", "/tmp/abs/x"] {
        bin()
            .current_dir(tmp.path())
            .args(["run", "two-oh-two", "-q", "--set", "time.end=1.0"])
            .args(["--set", &format!("name={name:?}")])
            .assert()
            .success();
    }
    let top = tree(tmp.path());
    assert!(top.iter().all(|p| p.starts_with("runs")), "{top:?}");
    assert!(!Path::new("/tmp/abs/x").exists());
}

/// `--out` problems are found before any computation, with exit 2, and nothing is
/// written.
#[test]
fn out_problems_exit_2_before_computing() {
    let tmp = tempfile::tempdir().unwrap();
    let file = write(tmp.path(), "afile", "x");
    #[cfg(unix)]
    std::os::unix::fs::symlink(tmp.path().join("nothing/here"), tmp.path().join("dangling"))
        .unwrap();
    let long = tmp.path().join("a".repeat(250));
    for (out, says) in [
        (file.join("x"), "is a file"),
        (tmp.path().join("dangling"), "symbolic link to nothing"),
        (long, "at most"),
    ] {
        let started = Instant::now();
        bin()
            // a run that takes long to compute: the refusal must come first
            .args([
                "run",
                "core-claim",
                "-q",
                "--set",
                "replicates=200",
                "--out",
            ])
            .arg(&out)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(says));
        assert!(started.elapsed() < Duration::from_secs(5));
    }
    let mut left = tree(tmp.path());
    left.sort();
    assert_eq!(left, vec!["afile", "dangling"]);
}

/// `--threads` is capped: a huge count is refused with exit 2 before anything is written.
#[test]
fn huge_thread_counts_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("s");
    bin()
        .args(["sweep", "two-oh-two", "--vary", "growth.base_rate=0.1,0.2"])
        .args(["--threads", "100000", "--out"])
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("at most 1024"));
    assert!(tree(tmp.path()).is_empty());
}

/// `measure` reads only regular files: /dev/zero used to grow memory without bound, a
/// FIFO to hang.
#[cfg(unix)]
#[test]
fn measure_reads_only_regular_files() {
    bin()
        .args(["measure", "/dev/zero", "--value", "v"])
        .timeout(Duration::from_secs(20))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a regular file"));
}

// ------------------------------------------------------------------------ item 4

/// Invalid UTF-8 in a timeline is located.
#[test]
fn invalid_utf8_timeline_is_located() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("t.toml");
    std::fs::write(&p, b"[[step]]\nat = \"0s\"\ndo = \"x\xff\"\n").unwrap();
    bin()
        .args(["govern", "replay"])
        .arg(&p)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("t.toml:3:8"));
}

/// A bad `--set` of `govern simulate` is located at the `--set`, not at a line of the file
/// (it used to quote a line that is not in the file).
#[test]
fn govern_simulate_set_error_is_located_at_the_set() {
    let tmp = tempfile::tempdir().unwrap();
    let out = bin()
        .args(["govern", "simulate"])
        .arg(repo("scenarios/governance/simulate/default.toml"))
        .args(["--set", "replicates=0", "--quiet", "--out"])
        .arg(tmp.path().join("g"))
        .assert()
        .code(2)
        .get_output()
        .clone();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--> --set replicates=0"), "{err}");
    assert!(err.contains("field: replicates"), "{err}");
    assert!(!err.contains(" | "), "quotes a line: {err}");
    assert!(!tmp.path().join("g").exists());
}

// ------------------------------------------------------------------------ item 2

/// A scenario no machine can hold: 2e8 actors × 10^6 replicates (the final values alone are
/// 1.6 PB).
const HUGE: [&str; 4] = [
    "--set",
    "actors[0].count=200000000",
    "--set",
    "replicates=1000000",
];

/// `run` refuses what exceeds the machine before starting: exit 2, needed vs available,
/// the flag to proceed anyway, no output, no backtrace.
#[test]
fn run_larger_than_the_machine_is_refused_with_the_numbers() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("r");
    let o = bin()
        .args(["run", "core-claim"])
        .args(HUGE)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("this run is too large for this machine"),
        "{err}"
    );
    assert!(
        err.contains("of memory, but") && err.contains("is available"),
        "{err}"
    );
    assert!(err.contains("200,000,000 actors"), "{err}");
    assert!(err.contains("--no-limits"), "{err}");
    assert!(
        !err.contains("RUST_BACKTRACE=") && !err.contains("panicked"),
        "{err}"
    );
    assert_one_screen(&err);
    assert!(!out.exists());
}

/// `check` prints the estimate, and warns (exit 0) when `run` would refuse.
#[test]
fn check_prints_the_estimate_and_warns() {
    bin()
        .args(["check", "core-claim"])
        .assert()
        .success()
        .stdout(predicate::str::contains("estimate: about "))
        .stdout(
            predicate::str::contains(" of memory, ").and(predicate::str::contains("warning").not()),
        );
    bin()
        .args(["check", "core-claim"])
        .args(HUGE)
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "warning: run would be refused without --no-limits: it needs about",
        ));
}

/// `sweep --replicates 4294967295` and a sweep of millions of points are refused at once,
/// with the count, before any point is built or validated.
#[test]
fn absurd_sweep_counts_are_refused_up_front() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("s");
    bin()
        .args(["sweep", "two-oh-two", "--vary", "growth.base_rate=0.1,0.2"])
        .args(["--replicates", "4294967295", "--out"])
        .arg(&out)
        .timeout(Duration::from_secs(20))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("8,589,934,590 runs"))
        .stderr(predicate::str::contains("--no-limits"));
    bin()
        .args(["sweep", "two-oh-two"])
        .args(["--vary", "growth.base_rate=0.001:2:0.001"])
        .args(["--vary", "growth.spillover=0.001:1:0.001"])
        .args(["--replicates", "1", "--out"])
        .arg(&out)
        .timeout(Duration::from_secs(20))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("2,000,000 points × 1 replicate)"))
        .stderr(predicate::str::contains(
            "2,000,000 runs, more than 1,000,000",
        ));
    assert!(tree(tmp.path()).is_empty());
}

/// The progress bar of a sweep's point check is drawn only on a terminal: with stderr
/// piped, the check is silent and the sweep runs.
#[test]
fn sweep_point_check_is_quiet_off_a_terminal() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("s");
    bin()
        .args([
            "sweep",
            "two-oh-two",
            "--vary",
            "growth.base_rate=0.1:0.3:0.1",
        ])
        .args(["--replicates", "1", "--set", "time.end=0.5", "--out"])
        .arg(&out)
        .assert()
        .success()
        .stderr(predicate::str::contains("checking the points").not());
    assert!(out.join("results.csv").is_file());
}

/// A CSV in `dir`: `head`, then `line` `n` times, then made `len` bytes long (sparse after
/// what was written: no disk is used).
fn sparse_csv(dir: &Path, head: &[u8], line: &[u8], n: usize, len: u64) -> PathBuf {
    use std::io::Write;
    let p = dir.join("sparse.csv");
    let mut f = std::fs::File::create(&p).unwrap();
    f.write_all(head).unwrap();
    f.write_all(&line.repeat(n)).unwrap();
    f.set_len(len).unwrap();
    p
}

/// `measure FILE ARGS --out DIR/m` is refused before reading (exit 2) with an error that
/// says each of `says` and names --no-limits, and writes nothing.
fn measure_is_refused(dir: &Path, file: &Path, args: &[&str], says: &[&str]) {
    let mut assert = bin()
        .args(["measure"])
        .arg(file)
        .args(args)
        .arg("--out")
        .arg(dir.join("m"))
        .timeout(Duration::from_secs(20))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--no-limits"));
    for s in says {
        assert = assert.stderr(predicate::str::contains(*s));
    }
    assert!(!dir.join("m").exists());
}

/// `measure` of a file far larger than memory is refused by its size before it is read (a
/// sparse file: no disk is used).
#[test]
fn measure_of_a_file_larger_than_memory_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let p = sparse_csv(tmp.path(), b"", b"", 0, 1 << 42); // 4.4 TB
    measure_is_refused(
        tmp.path(),
        &p,
        &["--value", "v"],
        &["this measurement of", "of memory, but"],
    );
}

/// Without --entity, --time and --group only the values are kept, and the estimate counts
/// rows (from the lines of the first MB) instead of bytes: a file of short lines far larger
/// than memory is still refused, naming the rows.
#[test]
fn measure_of_values_only_is_estimated_by_rows() {
    let tmp = tempfile::tempdir().unwrap();
    let p = sparse_csv(tmp.path(), b"v\n", b"1\n", 500_000, 1 << 42); // 4.4 TB
    measure_is_refused(
        tmp.path(),
        &p,
        &["--value", "v"],
        &["the value column of the CSV", "48 bytes a row"],
    );
}

/// With --entity each row may be a new holder: the estimate counts rows too (144 bytes a
/// row, calibrated on 5 million distinct holders) and the names (twice the file), so a
/// file of short lines is refused by what its holders would take, not by its bytes alone.
#[test]
fn measure_by_entity_is_estimated_by_holders() {
    let tmp = tempfile::tempdir().unwrap();
    let p = sparse_csv(tmp.path(), b"e,v\n", b"a,1\n", 250_000, 1 << 40); // 1.1 TB
    measure_is_refused(
        tmp.path(),
        &p,
        &["--value", "v", "--entity", "e"],
        &["the holders of the CSV", "144 bytes a row", "their names"],
    );
}

// ------------------------------------------------------------------------ item 4 (check)

/// `check` prints dt to significant digits, not float noise.
#[test]
fn check_prints_dt_to_significant_digits() {
    bin()
        .args([
            "check",
            "core-claim",
            "--set",
            "time.dt=0.041666666666666664",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("dt = 0.04167,"))
        .stdout(predicate::str::contains("0.041666666666666664").not());
}

// ------------------------------------------------------------------------ item 9

const RESUMABLE: &str = r#"
name = "resumable"
seed = 5
time = { end = 1.0, dt = 0.1 }

[growth]
returns_to_scale = 1.0
base_rate = 0.1
volatility = 0.3

[[actors]]
group = "a"
count = 20
initial = { constant = 1.0 }
"#;

/// A finished 8-run sweep (one run per part file) in `dir/s`.
fn finished_sweep(dir: &Path) -> (PathBuf, PathBuf) {
    let sc = write(dir, "r.toml", RESUMABLE);
    let out = dir.join("s");
    bin()
        .arg("sweep")
        .arg(&sc)
        .args([
            "--vary",
            "growth.spillover=0,0.1,0.2,0.3",
            "--replicates",
            "2",
        ])
        .args(["--quiet", "--out"])
        .arg(&out)
        .assert()
        .success();
    assert!(out.join("parts/part-000007.parquet").is_file());
    (sc, out)
}

fn resume(sc: &Path, out: &Path) -> std::process::Output {
    bin()
        .arg("sweep")
        .arg(sc)
        .args([
            "--vary",
            "growth.spillover=0,0.1,0.2,0.3",
            "--replicates",
            "2",
        ])
        .args(["--quiet", "--resume", "--out"])
        .arg(out)
        .output()
        .unwrap()
}

/// Resuming over a part file copied from another batch, or truncated, fails and names the
/// file to delete (it used to duplicate one batch's runs and drop another's silently).
#[test]
fn resume_checks_each_part_identity() {
    let tmp = tempfile::tempdir().unwrap();
    let (sc, out) = finished_sweep(tmp.path());
    let manifest = std::fs::read_to_string(out.join("manifest.json")).unwrap();
    assert!(manifest.contains("\"parts\"") && manifest.contains("\"seeds\""));
    // Intact: resumes (nothing to run) with exit 0.
    let o = resume(&sc, &out);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    let part = |n: u32| out.join(format!("parts/part-{n:06}.parquet"));
    let original = std::fs::read(part(2)).unwrap();
    std::fs::copy(part(1), part(2)).unwrap();
    let o = resume(&sc, &out);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("part-000002.parquet") && err.contains("Delete"),
        "{err}"
    );
    assert!(
        !err.contains("part-000001"),
        "names only the bad part: {err}"
    );

    // Truncated.
    std::fs::write(part(2), &original[..original.len() / 2]).unwrap();
    let o = resume(&sc, &out);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("part-000002.parquet") && err.contains("truncated"),
        "{err}"
    );

    // Deleted as told: the batch is run again and the sweep completes.
    std::fs::remove_file(part(2)).unwrap();
    std::fs::remove_file(out.join("series/part-000002.parquet")).unwrap();
    let o = resume(&sc, &out);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(std::fs::read(part(2)).unwrap(), original);
}

/// A part the manifest has not recorded (killed between the part and the manifest, or a
/// manifest of an earlier version) is checked by its own point and seed columns.
#[test]
fn resume_checks_unrecorded_parts_by_their_columns() {
    let tmp = tempfile::tempdir().unwrap();
    let (sc, out) = finished_sweep(tmp.path());
    let mpath = out.join("manifest.json");
    let mut m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&mpath).unwrap()).unwrap();
    m.as_object_mut().unwrap().remove("parts");
    std::fs::write(&mpath, serde_json::to_string_pretty(&m).unwrap()).unwrap();
    let o = resume(&sc, &out);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    std::fs::write(&mpath, serde_json::to_string_pretty(&m).unwrap()).unwrap();
    std::fs::copy(
        out.join("parts/part-000005.parquet"),
        out.join("parts/part-000006.parquet"),
    )
    .unwrap();
    let o = resume(&sc, &out);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("part-000006.parquet") && err.contains("does not hold the runs of batch 6"),
        "{err}"
    );
}
