//! The staking model through the registry path a user takes: scenario text →
//! `scenario::parse` → `runner::run_experiment` → recorded columns, checked against closed
//! forms and against the real 2023 snapshot; located errors; thread-count independence.
//!
//! Run with `cargo test --release -p counterweight --test integration staking_registry`.

use counterweight::runner::{self, RunOptions};
use counterweight::scenario::{self, Experiment, examples};
use counterweight::table::Table;
use statrs::distribution::{Beta, ContinuousCDF};
use statrs::function::beta::ln_beta;
use statrs::function::gamma::ln_gamma;

fn parse(text: &str) -> Experiment {
    scenario::parse(text, "test.toml", None, &[]).unwrap_or_else(|e| panic!("{e}"))
}

fn run(exp: &Experiment) -> Table {
    runner::run_experiment(exp, &RunOptions::default())
        .unwrap()
        .metrics_table()
}

fn col(t: &Table, name: &str) -> Vec<f64> {
    t.f64_column(name)
        .unwrap_or_else(|| panic!("no column {name}"))
}

/// Two single-operator providers with 2 and 3 validators, no fees, equal quality,
/// γ = 1, θ = 0, 20 deposits a day for 20 days (n = 400 deposits, one validator each).
const POLYA: &str = r#"
name = "polya"
model = "staking"
seed = 99
time = { end = 20.0, dt = 1.0 }
replicates = 4000

[staking]
gamma = 1.0
deposit_rate = 20.0
churn = 0

[[staking.providers]]
name = "A"
validators = 2

[[staking.providers]]
name = "B"
validators = 3

[output]
every = 20
"#;

/// P(X = x), X ~ BetaBinomial(n, a, b): deposits of n Pólya draws that go to the colour
/// with a of a + b starting balls.
fn beta_binomial(n: u64, a: f64, b: f64) -> Vec<f64> {
    let nn = n as f64;
    (0..=n)
        .map(|x| {
            let x = x as f64;
            (ln_gamma(nn + 1.0) - ln_gamma(x + 1.0) - ln_gamma(nn - x + 1.0)
                + ln_beta(x + a, nn - x + b)
                - ln_beta(a, b))
            .exp()
        })
        .collect()
}

/// Pólya's urn through the registry: provider A's final share `first_share` over
/// R = 4,000 replicates against its limit law Beta(2, 3) (reference/validation.md §3).
/// Tolerance: the Kolmogorov–Smirnov distance D to Beta(2, 3) obeys D ≤ D_exact + δ, where
/// D_exact is the distance to the exact finite-n law (beta-binomial; for a discrete law
/// the Kolmogorov 99.9% point 1.9495/√R is conservative) and δ = sup |F_n − F_Beta| is
/// computed exactly here on both sides of every jump of F_n. A correct model passes with
/// probability ≥ 99.9%; the seed is fixed.
#[test]
fn polya_share_follows_the_beta_law_through_the_registry() {
    let exp = parse(POLYA);
    let t = run(&exp);
    let step = col(&t, "step");
    let share = col(&t, "first_share");
    let total = col(&t, "total_stake");
    let finals: Vec<f64> = (0..step.len())
        .filter(|&i| step[i] == 20.0)
        .map(|i| {
            assert_eq!(total[i], 405.0, "stake = 5 + 400 deposits");
            share[i]
        })
        .collect();
    let r = finals.len();
    assert_eq!(r, 4000);
    let n = 400u64;
    let pmf = beta_binomial(n, 2.0, 3.0);
    let mut hist = vec![0u64; n as usize + 1];
    for s in &finals {
        let x = (s * 405.0).round() as usize - 2;
        hist[x] += 1;
    }
    let beta = Beta::new(2.0, 3.0).unwrap();
    let (mut cdf_n, mut emp, mut delta, mut ks) = (0.0, 0.0, 0.0f64, 0.0f64);
    for x in 0..=n as usize {
        let fb = beta.cdf((2.0 + x as f64) / 405.0);
        delta = delta.max((cdf_n - fb).abs());
        ks = ks.max((emp - fb).abs());
        cdf_n += pmf[x];
        emp += hist[x] as f64 / r as f64;
        delta = delta.max((cdf_n - fb).abs());
        ks = ks.max((emp - fb).abs());
    }
    let crit = 1.9495 / (r as f64).sqrt();
    println!("registry Pólya: KS {ks:.4} <= {crit:.4} + {delta:.4}");
    assert!(delta < 0.01);
    assert!(ks <= crit + delta, "KS {ks} > {crit} + {delta}");
    // The mean share is a martingale: E = 2/5 exactly; 99.9% two-sided band on the mean of
    // R shares of variance Var(Beta-binomial share) <= ab/((a+b)²(a+b+1)) = 0.04.
    let mean = finals.iter().sum::<f64>() / r as f64;
    let band = 3.29 * (0.04 / r as f64).sqrt();
    assert!((mean - 0.4).abs() < band, "mean {mean} vs 0.4 ± {band}");
}

/// The real 2023 snapshot (embedded example `staking-2023`): at the start the layers
/// are the numbers of docs/staking.md §5 (pinned by tests/staking_snapshot.rs from the
/// data file): capability 2, 2, 4; consensus 6, 21, 36; governance 4, 6, 12. The self-limit
/// variant keeps Lido at most 1/3 of the stake after the step's deposits — to within one
/// step's deposits (1,100 validators) of the total.
#[test]
fn snapshot_example_starts_from_the_documented_layers() {
    let ex = examples::find("staking-2023").expect("embedded");
    let exp = scenario::parse(ex.toml, ex.name, None, &["replicates=1".into()]).unwrap();
    assert_eq!(exp.variants.len(), 3);
    let t = run(&exp);
    let step = col(&t, "step");
    let at0: Vec<usize> = (0..step.len()).filter(|&i| step[i] == 0.0).collect();
    assert_eq!(at0.len(), 3);
    for (layer, want) in [
        ("capability", [2.0, 2.0, 4.0]),
        ("consensus", [6.0, 21.0, 36.0]),
        ("governance", [4.0, 6.0, 12.0]),
    ] {
        for (j, th) in ["1_3", "1_2", "2_3"].iter().enumerate() {
            let c = col(&t, &format!("{layer}_nakamoto_{th}"));
            for &i in &at0 {
                assert_eq!(c[i], want[j], "{layer} {th}");
            }
        }
    }
    assert_eq!(col(&t, "total_stake")[at0[0]], 585_902.0);
    // Self-limit: the last variant's rows.
    let variant = t.str_column("variant").unwrap();
    let share = col(&t, "first_share");
    let total = col(&t, "total_stake");
    for i in 0..step.len() {
        if variant[i].contains("self-limit") {
            assert!(
                share[i] * total[i] <= 0.3333 * total[i] + 1100.0,
                "step {}: share {}",
                step[i],
                share[i]
            );
        }
    }
}

/// Stake is conserved through the recorded columns: with every step recorded,
/// total(s) − total(s − 1) = deposits + redeposits − exits, in the veto example (harmful
/// action, queue, rage quit and redeposits).
#[test]
fn recorded_flows_balance_every_step() {
    let ex = examples::find("staking-veto").expect("embedded");
    let exp = scenario::parse(
        ex.toml,
        ex.name,
        None,
        &["output.every=1".into(), "replicates=2".into()],
    )
    .unwrap();
    let t = run(&exp);
    let step = col(&t, "step");
    let total = col(&t, "total_stake");
    let (dep, red, ex_) = (col(&t, "deposits"), col(&t, "redeposits"), col(&t, "exits"));
    let mut checked = 0;
    for i in 1..step.len() {
        if step[i] == step[i - 1] + 1.0 {
            assert_eq!(total[i] - total[i - 1], dep[i] + red[i] - ex_[i], "row {i}");
            checked += 1;
        }
    }
    assert_eq!(checked, 2 * 2 * 240);
    // The veto variant harms nobody; without a veto opponents still queued when the
    // decision executes are harmed (`harmed` is cumulative).
    let variant = t.str_column("variant").unwrap();
    let harmed = col(&t, "harmed");
    let last = |veto: bool| -> f64 {
        (0..step.len())
            .filter(|&i| variant[i].contains("veto (") == veto)
            .map(|i| harmed[i])
            .fold(0.0, f64::max)
    };
    assert_eq!(last(true), 0.0);
    assert!(last(false) > 0.0);
}

/// The same scenario on 1 and 2 threads gives identical tables.
#[test]
fn thread_count_does_not_change_outputs() {
    let exp = parse(&POLYA.replace("replicates = 4000", "replicates = 16"));
    let on = |threads| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| format!("{:?}", run(&exp)))
    };
    assert_eq!(on(1), on(2));
}

fn error_of(text: &str) -> String {
    match scenario::parse(text, "bad.toml", None, &[]) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => e.to_string(),
    }
}

/// Bad fields name the field and its line.
#[test]
fn bad_fields_give_located_errors() {
    let base = POLYA.replace("replicates = 4000", "replicates = 1");
    let e = error_of(&base.replace(
        "name = \"B\"\nvalidators = 3",
        "name = \"B\"\nvalidators = 3\nfee = 1.5",
    ));
    assert!(
        e.contains("bad.toml:20:") && e.contains("staking.providers[1].fee"),
        "{e}"
    );
    let e = error_of(&base.replace("gamma = 1.0", "gamma = 11.0"));
    assert!(
        e.contains("bad.toml:9:") && e.contains("staking.gamma"),
        "{e}"
    );
    let e = error_of(&base.replace("churn = 0", "churn = \"fast\""));
    assert!(e.contains("staking.churn"), "{e}");
    let e = error_of(&base.replace("name = \"A\"", "name = \"A\"\nallocation = \"greedy\""));
    assert!(
        e.contains("staking.providers[0].allocation") && e.contains("min_first"),
        "{e}"
    );
    let e = error_of(&base.replace("name = \"A\"", "name = \"A\"\nfees = 0.1"));
    assert!(e.contains("bad.toml:") && e.contains("fees"), "{e}");
    let e = error_of(&format!(
        "{base}\n[[policy]]\nkind = \"self_limit\"\nprovider = \"C\"\ncap = 0.3\n"
    ));
    assert!(
        e.contains("policy[0].provider") && e.contains("no provider \"C\""),
        "{e}"
    );
    let e = error_of(&format!(
        "{base}\n[[policy]]\nkind = \"self_limit\"\ncap = 1.5\n"
    ));
    assert!(e.contains("policy[0].cap"), "{e}");
    let e = error_of(&format!(
        "{base}\n[[policy]]\nkind = \"wealth_tax\"\nrate = 0.1\n"
    ));
    assert!(
        e.contains("policy[0].kind") && e.contains("self_limit"),
        "{e}"
    );
    let e = error_of(&base.replace("name = \"B\"", "name = \"A\""));
    assert!(e.contains("staking.providers[1].name"), "{e}");
}

/// Issue 11's phase diagram (docs/staking.md §9): where a self-limit binds, the largest
/// provider's share goes to the cap. Two single-operator providers at 600 and 400
/// validators, γ = 2, no fees, θ = 0, 20 deposits a day for 100 days, and a self-limit of
/// c = 0.6 on every provider.
///
/// The prediction, with its tolerance derived. Let D_s = ⌊c·T_s⌋ − L_s be the leader's
/// room below the cap (in validators) after step s. Each step adds c·20 = 12 to the room
/// and the leader takes min(X_s, D_s + 12) deposits, X_s the deposits it would win if it
/// stayed open: D_{s+1} = max(0, D_s + 12 − X_s), a reflected random walk (Lindley's
/// recursion) started at 0. Its increments have mean −μ = 12 − E[X] < 0 and variance
/// σ² = Var X, and Kingman's bound gives E[D_s] ≤ σ²/(2μ) for every s (from 0 the walk
/// increases stochastically to its stationary law). X is a sum of 20 Bernoulli draws with
/// p = s^γ/(s^γ + (1 − s)^γ) at the leader's share s at that draw; while s ≥ c − 0.02
/// (asserted below: D stays below 20 validators of ≥ 1,000), p ≥ p(0.58) = 0.656, so
/// μ ≥ 20·0.656 − 12 and σ² ≤ 20/4. So: the share never exceeds c (exact, the policy), and
/// the mean final room over R replicates is at most σ²/(2μ) plus 3.29 standard errors
/// (one-sided 99.95%). Without the cap the leader ends far above c (γ = 2 locks in).
#[test]
fn binding_self_limit_sends_the_largest_share_to_the_cap() {
    const CAPPED: &str = r#"
name = "cap-binds"
model = "staking"
seed = 2026
time = { end = 100.0, dt = 1.0 }
replicates = 400

[staking]
gamma = 2.0
deposit_rate = 20.0
churn = 0

[[staking.providers]]
name = "A"
validators = 600

[[staking.providers]]
name = "B"
validators = 400

[[policy]]
kind = "self_limit"
cap = 0.6

[output]
every = 100
"#;
    let c = 0.6;
    let t = run(&parse(CAPPED));
    let (step, top1, total) = (
        col(&t, "step"),
        col(&t, "top1_share"),
        col(&t, "total_stake"),
    );
    let mut rooms = Vec::new();
    for i in 0..step.len() {
        assert!(top1[i] <= c, "share {} above the cap", top1[i]);
        if step[i] == 100.0 {
            assert_eq!(total[i], 3000.0);
            let leader = (top1[i] * total[i]).round();
            rooms.push((c * total[i]).floor() - leader);
        }
    }
    let r = rooms.len() as f64;
    assert_eq!(r, 400.0);
    let mean = rooms.iter().sum::<f64>() / r;
    let sd = (rooms.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / (r - 1.0)).sqrt();
    let worst = rooms.iter().copied().fold(0.0, f64::max);
    let p = |s: f64| s * s / (s * s + (1.0 - s) * (1.0 - s));
    let mu = 20.0 * p(c - 0.02) - 12.0;
    let kingman = (20.0 / 4.0) / (2.0 * mu);
    let bound = kingman + 3.29 * sd / r.sqrt();
    println!(
        "room below the cap at the end: mean {mean:.3} validators (sd {sd:.3}, max {worst}); \
         Kingman bound {kingman:.3}, with 3.29 SE {bound:.3}"
    );
    assert!(
        worst < 20.0,
        "room {worst}: the leader fell more than 2 points below c"
    );
    assert!(mean <= bound, "mean room {mean} > {bound}");
    let mean_share = top1
        .iter()
        .zip(&step)
        .filter(|(_, s)| **s == 100.0)
        .map(|(x, _)| x)
        .sum::<f64>()
        / r;
    assert!(
        (c - mean_share) * 3000.0 <= bound + 1.0,
        "mean share {mean_share}"
    );

    // Without the self-limit the leader runs away (the cap is what binds).
    let free = CAPPED
        .replace("cap = 0.6", "cap = 1.0")
        .replace("replicates = 400", "replicates = 20");
    let t = run(&parse(&free));
    let (step, top1) = (col(&t, "step"), col(&t, "top1_share"));
    let end: Vec<f64> = top1
        .iter()
        .zip(&step)
        .filter(|(_, s)| **s == 100.0)
        .map(|(x, _)| *x)
        .collect();
    let m = end.iter().sum::<f64>() / end.len() as f64;
    println!("without the cap: mean final top-1 share {m:.4}");
    assert!(m > c + 0.05, "uncapped share {m}");
}
