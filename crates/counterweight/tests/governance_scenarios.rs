//! Every §6 scenario timeline under scenarios/governance/ replays with all its
//! expectations met (through the library; the CLI test does the same through the binary).

use std::path::PathBuf;

use counterweight::governance::dual::timeline;

fn scenario_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/governance")
}

fn scenarios() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(scenario_dir())
        .expect("scenarios/governance exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    v.sort();
    v
}

#[test]
fn every_section6_scenario_is_shipped() {
    let names: Vec<String> = scenarios()
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for prefix in [
        "s1_",
        "s2_full",
        "s2_veto_cooldown_loop",
        "s3_second",
        "s3_front_run",
        "s4_",
        "s5_",
        "s7_",
        "s9_",
        "s12_",
    ] {
        assert!(
            names.iter().any(|n| n.starts_with(prefix)),
            "no scenario {prefix}* in {names:?}"
        );
    }
}

#[test]
fn every_scenario_replays_with_its_expectations() {
    let files = scenarios();
    assert!(files.len() >= 14);
    for f in files {
        let src = std::fs::read_to_string(&f).unwrap();
        let tl = timeline::parse(&src).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let expectations: usize = tl
            .steps
            .iter()
            .map(|s| {
                s.expect.state.is_some() as usize
                    + s.expect.effective_state.is_some() as usize
                    + s.expect.result.is_some() as usize
            })
            .sum();
        assert!(
            expectations >= 3,
            "{} has too few expectations",
            f.display()
        );
        let rp = timeline::replay(&tl).unwrap();
        assert_eq!(
            rp.first_failure(),
            None,
            "{}: {:?}",
            f.display(),
            rp.first_failure()
        );
    }
}

#[test]
fn a_wrong_expectation_is_reported() {
    let src = r#"
[[step]]
do = "lock"
holder = "a"
amount = "1%"
expect_state = "Normal"
"#;
    let tl = timeline::parse(src).unwrap();
    let rp = timeline::replay(&tl).unwrap();
    let f = rp.first_failure().unwrap();
    assert!(f.contains("expected Normal, got VetoSignalling"), "{f}");
}

#[test]
fn s3_rage_quit_round_and_withdrawal_delay() {
    let src =
        std::fs::read_to_string(scenario_dir().join("s3_second_seal_rage_quit.toml")).unwrap();
    let tl = timeline::parse(&src).unwrap();
    let rp = timeline::replay(&tl).unwrap();
    let rq = rp
        .records
        .iter()
        .find(|r| r.persisted.name() == "RageQuit")
        .unwrap();
    assert_eq!(rq.rage_quit_round, 1);
    let dg = &rp.final_state;
    let esc = &dg.escrows[dg.rage_quit_escrow.unwrap()];
    assert_eq!(esc.h.rage_quit_eth_withdrawals_delay.0, 75 * 86_400);
    // the rage quit escrow paid out everything it claimed (up to rounding)
    let paid: u128 = esc.holders.values().map(|a| a.withdrawn_eth).sum();
    assert!(esc.h.claimed_eth - paid <= 2);
}

#[test]
fn bad_timelines_give_spans() {
    let cases = [
        ("[[step]]\ndo = \"lok\"\n", (2, 6), "unknown action"),
        (
            "[[step]]\nat = \"1x\"\ndo = \"activate\"\n",
            (2, 6),
            "malformed duration",
        ),
        (
            "[[step]]\ndo = \"lock\"\nholder = \"a\"\namount = \"100.01%\"\n",
            (4, 10),
            "above the total supply",
        ),
        (
            "[[step]]\ndo = \"lock\"\nholder = \"a\"\namount = \"-1%\"\n",
            (4, 10),
            "negative",
        ),
        ("[config]\nbogus = 1\n", (2, 1), "unknown field"),
        (
            "[[step]]\ndo = \"lock\"\nholder = \"a\"\namount = 1.5\n",
            (4, 10),
            "floating-point",
        ),
        (
            "[[step]]\nat = \"2d\"\ndo = \"activate\"\n[[step]]\nat = \"1d\"\ndo = \"activate\"\n",
            (5, 6),
            "backwards",
        ),
        (
            "[[step]]\ndo = \"schedule\"\nproposal = \"X\"\n",
            (3, 12),
            "not submitted",
        ),
        (
            "[[step]]\ndo = \"activate\"\nexpect_error = \"Nope\"\n",
            (3, 16),
            "unknown error name",
        ),
        (
            "[[step]]\ndo = \"unlock\"\nholder = \"a\"\namount = \"1%\"\n",
            (4, 10),
            "takes no `amount`",
        ),
    ];
    for (src, (line, col), msg) in cases {
        let e = timeline::parse(src).unwrap_err();
        assert!(e.message.contains(msg), "{src:?}: {}", e.message);
        assert_eq!(e.line_col(src), Some((line, col)), "{src:?}: {}", e.message);
    }
}

#[test]
fn runtime_amount_above_supply_is_a_timeline_error() {
    // after a rage quit burns 60% of the supply, 50% of the original is above the supply
    let src = r#"
[[step]]
do = "lock"
holder = "a"
amount = "60%"
[[step]]
at = "45d 1s"
do = "activate"
[[step]]
do = "withdrawals_done"
[[step]]
do = "lock"
holder = "b"
amount = "4500000 ETH"
"#;
    let tl = timeline::parse(src).unwrap();
    let e = timeline::replay(&tl).unwrap_err();
    assert!(
        e.message.contains("above the total supply"),
        "{}",
        e.message
    );
    assert_eq!(e.line_col(src).unwrap().0, 14);
}
