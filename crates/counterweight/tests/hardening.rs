//! Regression tests of issue 15 (hardening) in the library: Dual Governance edge cases
//! (items 10–12), checked arithmetic where user numbers become counts or times (item 3),
//! measure's line numbers with CRLF endings and its top holders (items 14–16).
//! Each test fails on the code before the fix.

use counterweight::governance::dual::escrow::StEth;
use counterweight::governance::dual::timeline::{self, MAX_TIME, Outcome, StepRecord};
use counterweight::governance::dual::{DgError, PercentD16, State};
use counterweight::measure::{
    MeasureError, MeasureOptions, TimeKind, decimal_year, measure_reader,
};
use counterweight::sweep::spec::parse_vary;

fn replay(src: &str) -> Vec<StepRecord> {
    let tl = timeline::parse(src).unwrap_or_else(|e| panic!("{}", e.message));
    timeline::replay(&tl).unwrap().records
}

fn error_of(r: &StepRecord) -> &DgError {
    r.result.as_ref().expect_err("the step should revert")
}

// ------------------------------------------------------------------------ item 10

/// `unlock` by a holder who never locked reverts with `InvalidSharesValue`, as the
/// reference does on mainnet (its "never locked" 0 + 5 h is always in the past), even at
/// t0 before the minimum lock duration has passed.
#[test]
fn unlock_by_a_holder_who_never_locked_is_invalid_shares_value() {
    let recs = replay(
        r#"
[[step]]
at = "0s"
do = "unlock"
holder = "nobody"
[[step]]
at = "1h"
do = "unlock_nft"
holder = "nobody"
"#,
    );
    assert_eq!(error_of(&recs[0]).name(), "InvalidSharesValue");
    assert_eq!(error_of(&recs[1]).name(), "EmptyUnstETHIds");
}

/// Times in errors are relative to t0, the clock of the timeline: 5 h is 18000 s, not
/// the internal timestamp 18001.
#[test]
fn error_times_are_relative_to_t0() {
    let recs = replay(
        r#"
[[step]]
at = "0s"
do = "lock"
holder = "a"
amount = "0.5%"
[[step]]
at = "1h"
do = "unlock"
holder = "a"
[[step]]
at = "1h"
do = "submit"
proposal = "p"
[[step]]
at = "2h"
do = "schedule"
proposal = "p"
"#,
    );
    match error_of(&recs[1]) {
        DgError::MinAssetsLockDurationNotPassed { until } => assert_eq!(*until, 18_000),
        e => panic!("{e}"),
    }
    let msg = error_of(&recs[1]).to_string();
    assert!(msg.contains("t0 + 0d 5h 0m 0s (18000 s)"), "{msg}");
    match error_of(&recs[3]) {
        // submitted at 1 h, schedulable from 1 h + 3 d
        DgError::AfterSubmitDelayNotPassed { from, .. } => assert_eq!(*from, 3_600 + 259_200),
        e => panic!("{e}"),
    }
}

// ------------------------------------------------------------------------ item 11

/// Two rage quits with the holder's stake in both: `escrow = 1` withdraws from the
/// first rage quit's escrow while the second's delay has not passed; without it the
/// newest escrow holding the stake is meant (the old form keeps its meaning).
#[test]
fn withdraw_eth_from_an_older_rage_quit_escrow() {
    let recs = replay(
        r#"
[[step]]
at = "0s"
do = "lock"
holder = "a"
amount = "10%"
expect_state = "VetoSignalling"
[[step]]
after = "45d 1s"
do = "activate"
expect_state = "RageQuit"
[[step]]
do = "withdrawals_done"
[[step]]
do = "start_extension"
[[step]]
do = "lock"
holder = "a"
amount = "10%"
[[step]]
after = "7d 1s"
do = "activate"
expect_state = "VetoSignalling"
[[step]]
after = "45d 1s"
do = "activate"
expect_state = "RageQuit"
[[step]]
do = "withdrawals_done"
[[step]]
do = "start_extension"
[[step]]
at = "150d"
do = "withdraw_eth"
holder = "a"
expect_error = "EthWithdrawalsDelayNotPassed"
[[step]]
at = "150d"
do = "withdraw_eth"
holder = "a"
escrow = 1
expect_ok = true
[[step]]
at = "150d"
do = "withdraw_eth"
holder = "a"
escrow = 1
expect_error = "InvalidSharesValue"
[[step]]
at = "200d"
do = "withdraw_eth"
holder = "a"
escrow = 2
expect_ok = true
[[step]]
at = "200d"
do = "withdraw_eth"
holder = "a"
escrow = 3
expect_error = "UnexpectedEscrowState"
"#,
    );
    let failures: Vec<&String> = recs.iter().flat_map(|r| r.failures.iter()).collect();
    assert!(failures.is_empty(), "{failures:?}");
    let eth = 1_000_000_000_000_000_000u128;
    // 10% of 9,000,000 stETH, then 10% of the 8,100,000 left after the first rage quit.
    assert_eq!(recs[10].result, Ok(Outcome::Eth(900_000 * eth)));
    assert_eq!(recs[12].result, Ok(Outcome::Eth(810_000 * eth)));
    assert_eq!(recs[10].escrow, Some(1));
}

/// An escrow selector on another action, or one that is not a rage quit's number, is a
/// located error; an escrow that does not exist yet is a run-time error.
#[test]
fn escrow_selector_is_validated() {
    for bad in [
        "[[step]]\ndo = \"lock\"\nholder = \"a\"\namount = \"1%\"\nescrow = 1\n",
        "[[step]]\ndo = \"withdraw_eth\"\nholder = \"a\"\nescrow = 0\n",
        "[[step]]\ndo = \"withdraw_eth\"\nholder = \"a\"\nescrow = -1\n",
    ] {
        let e = timeline::parse(bad).unwrap_err();
        assert!(e.span.is_some(), "{}", e.message);
        assert!(e.message.contains("escrow"), "{}", e.message);
    }
    let tl =
        timeline::parse("[[step]]\ndo = \"withdraw_eth\"\nholder = \"a\"\nescrow = 5\n").unwrap();
    let e = timeline::replay(&tl).unwrap_err();
    assert!(e.message.contains("no such escrow"), "{}", e.message);
}

// ------------------------------------------------------------------------ item 12

/// Locks take stETH that exists: two 60% locks cannot both succeed (R stays <= 100%), and
/// a rage quit's withdrawals never wrap the supply.
#[test]
fn locks_are_bounded_by_the_steth_that_exists() {
    let recs = replay(
        r#"
[[step]]
at = "0s"
do = "lock"
holder = "a"
amount = "60%"
[[step]]
do = "lock"
holder = "b"
amount = "60%"
expect_error = "BalanceExceeded"
[[step]]
do = "lock_nft"
holder = "b"
amount = "41%"
expect_error = "BalanceExceeded"
[[step]]
do = "lock"
holder = "b"
amount = "40%"
expect_ok = true
[[step]]
after = "45d 1s"
do = "activate"
expect_state = "RageQuit"
[[step]]
do = "withdrawals_done"
"#,
    );
    let failures: Vec<&String> = recs.iter().flat_map(|r| r.failures.iter()).collect();
    assert!(failures.is_empty(), "{failures:?}");
    assert_eq!(recs[3].r, PercentD16::HUNDRED);
    assert_eq!(recs[4].persisted, State::RageQuit);
    // Everything was locked and rage-quit: the supply is now zero, not 2^128 - x.
    let tl = timeline::parse(
        "[[step]]\nat = \"0s\"\ndo = \"lock\"\nholder = \"a\"\namount = \"100%\"\n[[step]]\ndo = \"lock\"\nholder = \"b\"\namount = \"100%\"\n[[step]]\nafter = \"45d 1s\"\ndo = \"activate\"\n[[step]]\ndo = \"withdrawals_done\"\n",
    )
    .unwrap();
    let rp = timeline::replay(&tl).unwrap();
    assert_eq!(error_of(&rp.records[1]).name(), "BalanceExceeded");
    assert_eq!(rp.final_state.steth.total_supply(), 0);
    assert_eq!(rp.final_state.held_shares, 0);
}

/// A rebase that would take the pooled ether beyond u128 (or below zero) reverts with
/// `ArithmeticOverflow` and changes nothing; it never saturates or wraps.
#[test]
fn rebase_overflow_is_an_error() {
    let mut s = StEth::new(10);
    assert_eq!(
        s.rebase_wei(u128::MAX, false),
        Err(DgError::ArithmeticOverflow)
    );
    assert_eq!(s.rebase_wei(11, true), Err(DgError::ArithmeticOverflow));
    assert_eq!(
        s.rebase(u128::MAX, 1, false),
        Err(DgError::ArithmeticOverflow)
    );
    assert_eq!(s, StEth::new(10));
    assert_eq!(s.finalize(11, u128::MAX), Err(DgError::ArithmeticOverflow));
    assert_eq!(s, StEth::new(10));
    let recs = replay(
        "[[step]]\ndo = \"rebase\"\namount = \"340282366920938463463374607431768211455 wei\"\n",
    );
    assert_eq!(error_of(&recs[0]).name(), "ArithmeticOverflow");
}

// ------------------------------------------------------------------------ item 3

/// The timeline clock is checked: it cannot wrap past u64 (which used to replay from
/// t = 0 with exit 0) nor go beyond the reference's uint40 timestamps.
#[test]
fn timeline_clock_never_wraps() {
    let wrap = "[[step]]\nat = \"213503982334601d\"\ndo = \"activate\"\n[[step]]\nafter = \"1d\"\ndo = \"activate\"\n";
    let e = timeline::parse(wrap).unwrap_err();
    assert!(e.message.contains("uint40"), "{}", e.message);
    assert!(e.span.is_some());
    let after_max = format!(
        "[[step]]\nat = {MAX_TIME}\ndo = \"activate\"\n[[step]]\nafter = \"1s\"\ndo = \"activate\"\n"
    );
    let e = timeline::parse(&after_max).unwrap_err();
    assert!(e.message.contains("uint40"), "{}", e.message);
    let at_max = format!("[[step]]\nat = {MAX_TIME}\ndo = \"activate\"\n");
    let recs = replay(&at_max);
    assert_eq!(recs[0].time, MAX_TIME);
}

/// `--vary` ranges: a count too large for one key is refused with the number, never
/// wrapped to zero ("0 runs"); integer ranges are exact and checked.
#[test]
fn vary_ranges_never_wrap() {
    let e = parse_vary("growth.base_rate=0:1:1e-20").unwrap_err();
    assert!(e.contains("too many"), "{e}");
    let e = parse_vary("x=-1e308:1e308:1").unwrap_err();
    assert!(e.contains("too many"), "{e}");
    let e = parse_vary("x=0:9223372036854775807:4611686018427387904").unwrap_err();
    assert!(e.contains("64-bit"), "{e}");
    // exactly a million values is allowed, one more is not
    assert_eq!(parse_vary("x=1:1000000:1").unwrap().values.len(), 1_000_000);
    assert!(parse_vary("x=1:1000001:1").is_err());
    // a list item that is not a finite number (found by fuzz/, the smoke run) is refused
    for bad in ["x=1,inf", "x=nan", "x=-inf,2"] {
        assert!(parse_vary(bad).unwrap_err().contains("finite"), "{bad}");
    }
    // log ranges over the whole of f64 stay finite
    let a = parse_vary("x=log:1e-300:1e300:5").unwrap();
    assert!(
        a.values.iter().all(|v| v.number.unwrap().is_finite()),
        "{a:?}"
    );
}

// ------------------------------------------------------------------------ items 14, 16

fn measure_err(csv: &str) -> MeasureError {
    measure_reader(csv.as_bytes(), "t.csv", &MeasureOptions::new("v")).unwrap_err()
}

/// Line numbers are those of the file whatever the line endings (CRLF as Excel writes
/// them; blank lines in between).
#[test]
fn measure_line_numbers_with_crlf() {
    for (csv, want) in [
        ("who,v\r\na,1\r\nb,2\r\nc,3\r\nd,4\r\nabc,abc\r\n", 6),
        ("who,v\r\na,-1\r\n", 2),
        ("who,v\r\n\r\na,1\r\n\r\nb,x\r\n", 5),
        ("who,v\n\na,1\n\nb,x\n", 5),
        ("who,v\na,1\nb,x\n", 3),
    ] {
        match measure_err(csv) {
            MeasureError::NotNumeric { line, .. } | MeasureError::InvalidValue { line, .. } => {
                assert_eq!(line, want, "{csv:?}")
            }
            e => panic!("{e}"),
        }
    }
    match measure_err("who,v\r\na,1\r\nb,2,3\r\n") {
        MeasureError::Malformed { line, .. } => assert_eq!(line, 3),
        e => panic!("{e}"),
    }
}

/// ISO dates are dates: ordered in time, `time` a float (the decimal year), the text in
/// `time_label`; numbers and text times get the same float `time` column.
#[test]
fn measure_times_have_one_type() {
    assert_eq!(decimal_year("2024-01-01"), Some(2024.0));
    assert_eq!(
        decimal_year("2023-07-02T12:00:00Z"),
        Some(2023.0 + 182.5 / 365.0)
    );
    assert_eq!(decimal_year("2024-02-30"), None);
    assert_eq!(decimal_year("Q1"), None);
    let opts = MeasureOptions {
        time: Some("t".into()),
        ..MeasureOptions::new("v")
    };
    // 2024-10-01 sorts after 2024-9-30? Not ISO; these are.
    let m = measure_reader(
        "t,v\n2024-10-01,1\n2024-09-30,2\n2024-09-30T06:00,1\n".as_bytes(),
        "t.csv",
        &opts,
    )
    .unwrap();
    assert_eq!(m.time_kind, Some(TimeKind::Date));
    assert_eq!(m.times, ["2024-09-30", "2024-09-30T06:00", "2024-10-01"]);
    let t = m.table.f64_column("time").unwrap();
    assert!(t.windows(2).all(|w| w[0] < w[1]), "{t:?}");
    let m = measure_reader("t,v\nb,1\na,2\n".as_bytes(), "t.csv", &opts).unwrap();
    assert_eq!(m.time_kind, Some(TimeKind::Text));
    assert_eq!(m.table.f64_column("time").unwrap(), [0.0, 1.0]);
    assert_eq!(m.times, ["a", "b"]);
}

/// The top holders at the latest time, with their shares.
#[test]
fn measure_top_holders() {
    let opts = MeasureOptions {
        entity: Some("who".into()),
        ..MeasureOptions::new("v")
    };
    let m = measure_reader("who,v\na,1\nb,6\nc,3\na,0\n".as_bytes(), "t.csv", &opts).unwrap();
    let top = m.top_holders(2);
    assert_eq!(top.len(), 2);
    assert_eq!((top[0].rank, top[0].entity.as_str()), (1, "b"));
    assert!((top[0].share - 0.6).abs() < 1e-15);
    assert_eq!((top[1].rank, top[1].entity.as_str()), (2, "c"));
}

// ------------------------------------------------------------------------ item 4

const CORE_CLAIM: &str = include_str!("../../../scenarios/core-claim.toml");

fn scenario_error(src: &str) -> counterweight::scenario::ScenarioError {
    counterweight::scenario::parse(src, "core-claim.toml", None, &[]).unwrap_err()
}

fn line_of(src: &str, needle: &str) -> usize {
    src.lines().position(|l| l.contains(needle)).unwrap() + 1
}

/// A bad field of the base scenario of a file with `[[compare]]` variants is located at
/// that field (it used to be reported as `compare[0].set`, with no line).
#[test]
fn compare_base_error_is_located_at_the_field() {
    let src = CORE_CLAIM.replace("spillover = 4.0", "spillover = -1.0");
    let e = scenario_error(&src);
    assert_eq!(e.field.as_deref(), Some("growth.spillover"), "{e}");
    let loc = e.location.expect("a location");
    assert_eq!(loc.line, line_of(&src, "spillover = -1.0"));
    assert!(e.message.contains("in variant"), "{e}");
}

/// A bad value set by a variant is located inside its `set`, and a type error there too.
#[test]
fn compare_set_error_is_located_in_the_set() {
    for bad in ["-1.3", "\"x\""] {
        let src = CORE_CLAIM.replacen(
            "set = { growth = { returns_to_scale = 1.3 } }",
            &format!("set = {{ growth = {{ returns_to_scale = {bad} }} }}"),
            1,
        );
        let e = scenario_error(&src);
        assert_eq!(
            e.field.as_deref(),
            Some("compare[1].set.growth.returns_to_scale"),
            "{e}"
        );
        let loc = e.location.expect("a location");
        assert_eq!(
            loc.line,
            line_of(&src, &format!("returns_to_scale = {bad}"))
        );
        let col = src.lines().nth(loc.line - 1).unwrap().find(bad).unwrap() + 1;
        assert_eq!(loc.col, col, "{e}");
    }
}

/// Invalid UTF-8 in a scenario file is located (line and column of the first bad byte).
#[test]
fn invalid_utf8_scenario_is_located() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bad.toml");
    std::fs::write(&p, b"name = \"x\"\nseed = 1\ndescription = \"ab\xff\"\n").unwrap();
    let e = counterweight::scenario::load(&p, &[]).unwrap_err();
    let loc = e.location.expect("a location");
    assert_eq!((loc.line, loc.col), (3, 18), "{e}");
}

/// TOML nested past the parser's recursion limit is located.
#[test]
fn recursion_limit_is_located() {
    let src = format!("name = \"x\"\nv = {}{}\n", "[".repeat(300), "]".repeat(300));
    let e = counterweight::scenario::parse(&src, "deep.toml", None, &[]).unwrap_err();
    assert_eq!(e.location.expect("a location").line, 2, "{e}");
}

// ------------------------------------------------------------------------ item 5 (laws)

/// Initial laws whose draws leave floating point are refused when the scenario is read,
/// at the field, instead of failing at the first step with no field named ("the values
/// sum to zero" for `mu = -800`, "value 0 is negative or not finite" for `scale = 1e308`).
/// The bounds are exact: ln of the smallest normal and the largest double for the
/// lognormal's `mu ± 10 sigma`, `scale · 2^(53/alpha)` below f64::MAX for the Pareto law.
#[test]
fn initial_laws_that_overflow_are_refused_at_the_field() {
    let law = |init: &str| {
        CORE_CLAIM.replace(
            "initial = { lognormal = { mu = 0.0, sigma = 0.2 } }",
            &format!("initial = {init}"),
        )
    };
    for (init, field) in [
        (
            "{ lognormal = { mu = -800.0, sigma = 1.0 } }",
            "lognormal.mu",
        ),
        (
            "{ lognormal = { mu = 710.0, sigma = 0.0 } }",
            "lognormal.mu",
        ),
        (
            "{ lognormal = { mu = 0.0, sigma = 80.0 } }",
            "lognormal.sigma",
        ),
        (
            "{ pareto = { scale = 1e308, alpha = 1.5 } }",
            "pareto.scale",
        ),
        ("{ pareto = { scale = 1.0, alpha = 0.05 } }", "pareto.alpha"),
    ] {
        let src = law(init);
        let e = scenario_error(&src);
        assert_eq!(
            e.field.as_deref(),
            Some(format!("actors[0].initial.{field}").as_str()),
            "{init}: {e}"
        );
        assert!(e.location.is_some(), "{init}: {e}");
    }
    // Just inside the bounds: accepted, and every drawn value is positive and finite.
    for init in [
        "{ lognormal = { mu = -700.0, sigma = 0.5 } }",
        "{ lognormal = { mu = 0.0, sigma = 70.0 } }",
        "{ pareto = { scale = 1e297, alpha = 1.5 } }",
        "{ pareto = { scale = 1.0, alpha = 0.0519 } }",
    ] {
        let exp = counterweight::scenario::parse(&law(init), "core-claim.toml", None, &[])
            .unwrap_or_else(|e| panic!("{init}: {e}"));
        let sc = &exp.variants[0].scenario;
        let v = counterweight::setup::initial_values(&sc.groups, sc.seed, 0);
        assert!(v.iter().all(|x| x.is_finite() && *x > 0.0), "{init}: {v:?}");
    }
}

// ------------------------------------------------------------------------ item 7

/// A scenario name becomes one safe file-name component: it can never escape `runs/`.
#[test]
fn names_become_safe_file_names() {
    use counterweight::io::atomic::file_name_of;
    assert_eq!(file_name_of("core-claim"), "core-claim");
    assert_eq!(file_name_of("../../escaped"), "escaped");
    assert_eq!(file_name_of("/some/dir/x"), "some-dir-x");
    assert_eq!(file_name_of(".."), "run");
    assert_eq!(file_name_of(""), "run");
    assert!(file_name_of(&"é/".repeat(400)).len() <= 100);
    for n in ["..", "../x", "a/../../b", "/", "C:\\x", "a\0b"] {
        let f = file_name_of(n);
        assert!(
            !f.contains(['/', '\\', '\0']) && f != ".." && f != ".",
            "{n} -> {f}"
        );
    }
}

/// `initial = { csv = ... }` reads only regular files and never echoes their content.
#[test]
fn initial_csv_reads_only_regular_files_and_echoes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret.txt");
    std::fs::write(&secret, "root\nhunter2-secret-line\n").unwrap();
    let sc = |path: &std::path::Path| {
        format!(
            "name = \"x\"\n[[actors]]\ngroup = \"a\"\ncount = 2\ninitial = {{ csv = \"{}\" }}\n",
            path.display()
        )
    };
    let e = counterweight::scenario::parse(&sc(&secret), "x.toml", None, &[]).unwrap_err();
    assert!(!e.to_string().contains("hunter2"), "{e}");
    for not_regular in [dir.path().to_path_buf(), "/dev/zero".into()] {
        let e = counterweight::scenario::parse(&sc(&not_regular), "x.toml", None, &[]).unwrap_err();
        assert!(e.message.contains("not a regular file"), "{e}");
    }
}

// ------------------------------------------------------------------------ item 2 (--actors)

/// Two variants × 3 replicates × 2,000 actors × 41 recorded steps: 82,000 per-actor rows a
/// replicate (more than one batch handed to the sink, `runner::ACTOR_BATCH_ROWS`), 492,000
/// in all (more than one Arrow batch of the Parquet writer, 2^18 rows).
const STREAMED: &str = r#"
name = "streamed"
seed = 11
replicates = 3
time = { end = 4.0, dt = 0.1 }
output = { every = 1, actors = "all" }

[growth]
returns_to_scale = 1.0
base_rate = 0.1
volatility = 0.3

[[actors]]
group = "small"
count = 1500
initial = { constant = 1.0 }

[[actors]]
group = "large"
count = 500
initial = { constant = 2.0 }

[[compare]]
label = "proportional"

[[compare]]
label = "increasing, \"1.2\""
set = { growth = { returns_to_scale = 1.2 } }
"#;

/// Every file of a directory, by name.
fn files_of(dir: &std::path::Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

/// `run_to_dir` streams the per-actor rows to disk while the replicates run, and the run
/// directory is byte-identical to the in-memory path's (`run_experiment` then
/// `write_run_dir`) on 1 and 2 threads: the replicates that are not first in line spill
/// their rows and are copied in order; no spill file is left.
#[test]
fn actor_rows_stream_to_the_same_files_on_any_threads() {
    use counterweight::io::run::{RunRecord, run_to_dir, write_run_dir};
    use counterweight::runner::{self, RunOptions};
    let exp = counterweight::scenario::parse(STREAMED, "streamed.toml", None, &[]).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let memory = tmp.path().join("memory");
    let out = runner::run_experiment(&exp, &RunOptions::default()).unwrap();
    let rows = out.actors_table().unwrap().rows();
    assert_eq!(rows, 2 * 3 * 2000 * 41);
    write_run_dir(&memory, &RunRecord::from_output(&exp, &out)).unwrap();
    drop(out);
    let expected = files_of(&memory);
    assert!(expected.contains_key("actors.parquet"));
    for threads in [1, 2] {
        let dir = tmp.path().join(format!("streamed-{threads}"));
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let (out, record) = pool
            .install(|| run_to_dir(&dir, &exp, &RunOptions::default()))
            .unwrap();
        assert!(out.variants.iter().all(|(_, o)| o.actors.is_none()));
        assert!(record.actors_written && record.actors.is_none());
        // The last evaluation's sort of replicate 0 moved into the record (not copied);
        // the output keeps every replicate's values in actor order.
        for (v, (_, o)) in record.variants.iter().zip(&out.variants) {
            assert!(o.final_sorted.is_none());
            let mut want = o.final_values[0].clone();
            want.sort_by(f64::total_cmp);
            assert_eq!(v.final_values, want);
        }
        let got = files_of(&dir);
        assert_eq!(
            got.keys().collect::<Vec<_>>(),
            expected.keys().collect::<Vec<_>>(),
            "{threads} threads"
        );
        for (name, bytes) in &expected {
            assert!(got[name] == *bytes, "{name} differs on {threads} threads");
        }
    }
    // Nothing else beside the directories (no staging directory, no spill file).
    let mut left: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["memory", "streamed-1", "streamed-2"]);
}

/// The runner hands a sink batches of at most `ACTOR_BATCH_ROWS` rows and keeps none: its
/// memory does not grow with the per-actor rows.
#[test]
fn the_runner_holds_at_most_one_batch_of_actor_rows() {
    use counterweight::runner::{
        self, ACTOR_BATCH_ROWS, ActorBatch, ActorSink, RunOptions, SinkError,
    };
    use std::sync::Mutex;
    #[derive(Default)]
    struct Counting {
        largest: Mutex<usize>,
        rows: Mutex<Vec<usize>>,
        done: Mutex<Vec<(usize, u32)>>,
    }
    impl ActorSink for Counting {
        fn rows(&self, variant: usize, replicate: u32, b: &ActorBatch) -> Result<(), SinkError> {
            let mut l = self.largest.lock().unwrap();
            *l = (*l).max(b.len());
            self.rows.lock().unwrap()[variant * 3 + replicate as usize] += b.len();
            Ok(())
        }
        fn replicate_done(&self, variant: usize, replicate: u32) -> Result<(), SinkError> {
            self.done.lock().unwrap().push((variant, replicate));
            Ok(())
        }
    }
    let exp = counterweight::scenario::parse(STREAMED, "streamed.toml", None, &[]).unwrap();
    let sink = Counting {
        rows: Mutex::new(vec![0; 6]),
        ..Counting::default()
    };
    let out = runner::run_experiment_into(&exp, &RunOptions::default(), &sink).unwrap();
    assert!(out.actors_table().is_none());
    assert!(*sink.largest.lock().unwrap() <= ACTOR_BATCH_ROWS);
    assert_eq!(*sink.rows.lock().unwrap(), vec![2000 * 41; 6]);
    let mut done = sink.done.into_inner().unwrap();
    done.sort();
    assert_eq!(done, [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)]);
}

/// A run cancelled while its rows stream leaves nothing: no directory, no staging
/// directory, no spill file.
#[test]
fn a_cancelled_streaming_run_leaves_nothing() {
    use counterweight::io::run::{RunDirError, run_to_dir};
    use counterweight::runner::{RunError, RunOptions};
    use std::sync::atomic::{AtomicBool, Ordering};
    let exp = counterweight::scenario::parse(STREAMED, "streamed.toml", None, &[]).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("out");
    let cancel = AtomicBool::new(false);
    // Cancel half-way through the steps.
    let total = counterweight::runner::total_steps(&exp);
    let tick = |done: u64| {
        if done * 2 >= total {
            cancel.store(true, Ordering::SeqCst);
        }
    };
    let opts = RunOptions {
        progress: Some(&tick),
        cancel: Some(&cancel),
    };
    let err = run_to_dir(&dir, &exp, &opts).unwrap_err();
    assert!(err.is_cancelled(), "{err}");
    assert!(
        matches!(&err, RunDirError::Run(e) if matches!(**e, RunError::Cancelled)),
        "{err}"
    );
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
}

/// The estimate counts per-actor rows as disk, not memory: 10^6 actors × 1,000 recorded
/// steps (10^9 rows) need fixed buffers in memory and about 64 GB on disk.
#[test]
fn estimate_counts_actor_rows_as_disk() {
    let exp = |actors: &str| {
        counterweight::scenario::parse(
            "name = \"e\"\ntime = { end = 1000.0, dt = 1.0 }\n[[actors]]\ngroup = \"a\"\ncount = 1000000\ninitial = { constant = 1.0 }\n",
            "e.toml",
            None,
            &[format!("output.actors=\"{actors}\"")],
        )
        .unwrap()
    };
    let none = counterweight::estimate::experiment(&exp("none"), 2);
    let all = counterweight::estimate::experiment(&exp("all"), 2);
    // 1,001 recorded rows × 10^6 actors.
    assert!(all.disk >= 1_001_000_000 * 40, "{}", all.disk);
    // Memory: the same as without them, plus the buffers (at most 100 MB + a batch).
    assert!(
        all.memory - none.memory < 110 << 20,
        "{} vs {}",
        all.memory,
        none.memory
    );
}

// ------------------------------------------------------------------------ item 2 (sweeps)

/// A sweep's points are checked with progress reported (in chunks, up to every point) and
/// the check stops when its cancel flag is set: a sweep of 10^6 points used to check for
/// minutes with no sign of life and no way to stop it but killing it.
#[test]
fn sweep_points_are_checked_with_progress_and_can_be_cancelled() {
    use counterweight::sweep::{self, PrepareOptions, Source, SweepError};
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    let src = Source {
        text: "name = \"s\"\ntime = { end = 1.0, dt = 0.5 }\n[[actors]]\ngroup = \"a\"\ncount = 3\ninitial = { constant = 1.0 }\n".into(),
        origin: "s.toml".into(),
        base_dir: None,
    };
    // 2,501 points: three chunks of the check.
    let spec = || {
        sweep::parse_spec(
            &["growth.spillover=0:0.5:0.0002".to_string()],
            false,
            None,
            1,
        )
        .unwrap()
    };
    let (calls, last) = (AtomicU64::new(0), AtomicU64::new(0));
    let tick = |n: u64| {
        calls.fetch_add(1, Ordering::SeqCst);
        assert!(n > last.swap(n, Ordering::SeqCst), "progress goes forward");
    };
    let plan = sweep::prepare_observed(
        counterweight::model::builtin(),
        src.clone(),
        Vec::new(),
        spec(),
        Some(1),
        &PrepareOptions {
            progress: Some(&tick),
            cancel: None,
        },
    )
    .unwrap();
    assert_eq!(plan.points(), 2501);
    assert_eq!(last.load(Ordering::SeqCst), 2501);
    assert!(calls.load(Ordering::SeqCst) >= 3);
    let cancel = AtomicBool::new(true);
    let err = sweep::prepare_observed(
        counterweight::model::builtin(),
        src,
        Vec::new(),
        spec(),
        Some(1),
        &PrepareOptions {
            progress: None,
            cancel: Some(&cancel),
        },
    )
    .unwrap_err();
    assert!(matches!(err, SweepError::Cancelled), "{err}");
}
