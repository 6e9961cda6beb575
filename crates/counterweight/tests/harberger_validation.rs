//! The Harberger model against reference/validation.md §6 and issue 12 ("Must show"): the
//! `myopic` declaration (1 + v − τ)/2 and its λ < 1 and exponential-buyer forms, the monopoly
//! price at τ = 0 and its lower turnover, allocative efficiency rising with τ up to the
//! turnover rate (static closed form and a dynamic sweep), the exact tax ledger, and
//! reproducibility.
//!
//! Tolerances of simulated statistics come from the replicate standard error: R independent
//! replicates (streams of different seeds), each giving one mean over its steps; the SE is
//! the sample standard deviation of those R means over √R, and checks allow 4.5 SE (a
//! correct model fails a single two-sided check with probability ~7e-6; with t-quantiles
//! for R = 8 (7 degrees of freedom), P(|t| > 4.5) ≈ 0.003 per check, acceptable for the
//! handful of checks here and they are deterministic for the fixed seeds). Comparisons
//! across tax rates use common random numbers (same seeds) and paired differences.
//!
//! Run with `cargo test --release -p counterweight --test integration harberger_validation`.

use counterweight::model::harberger::{
    BuyerValues, Harberger, HarbergerParams, Rebate, Rule, StepStats, declared_price,
};
use counterweight::rng;
use rand::RngExt;
use rayon::prelude::*;

const R: usize = 8;

/// Evenly spread initial use values (j + 1/2)/M: the U[0, 1] quantiles.
fn spread(m: usize) -> Vec<f64> {
    (0..m).map(|j| (j as f64 + 0.5) / m as f64).collect()
}

/// Run one replicate: M assets held one each by M actors, `steps` steps; the stats of
/// every step.
fn run(params: HarbergerParams, m: usize, steps: usize, seed: u64) -> Vec<StepStats> {
    let mut h = Harberger::one_asset_each(params, spread(m), seed).unwrap();
    (0..steps).map(|_| *h.step()).collect()
}

/// Per replicate r in 0..R (seed derived from (100, r)): the step statistics averaged
/// over steps `burn..`.
fn replicate_means(params: HarbergerParams, m: usize, steps: usize, burn: usize) -> Vec<StepStats> {
    (0..R)
        .into_par_iter()
        .map(|r| {
            let s = run(params, m, steps, rng::derive_seed(100, &[r as u64]));
            let tail = &s[burn..];
            let k = tail.len() as f64;
            let avg = |f: fn(&StepStats) -> f64| tail.iter().map(f).sum::<f64>() / k;
            StepStats {
                turnover: avg(|s| s.turnover),
                allocative_efficiency: avg(|s| s.allocative_efficiency),
                allocative_loss: avg(|s| s.allocative_loss),
                ..StepStats::default()
            }
        })
        .collect()
}

/// One field of every replicate.
fn field(reps: &[StepStats], f: fn(&StepStats) -> f64) -> Vec<f64> {
    reps.iter().map(f).collect()
}

fn mean_se(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n;
    let var = x.iter().map(|a| (a - m).powi(2)).sum::<f64>() / (n - 1.0);
    (m, (var / n).sqrt())
}

fn check(what: &str, got: f64, want: f64, tol: f64) {
    println!("{what}: got {got:.6}, want {want:.6} ± {tol:.2e}");
    assert!(
        (got - want).abs() <= tol,
        "{what}: got {got}, want {want} ± {tol}"
    );
}

fn static_params(tau: f64) -> HarbergerParams {
    HarbergerParams {
        revaluation: 1.0,
        ..HarbergerParams::new(tau)
    }
}

/// Must show: myopic declarations are (1 + v − τ)/2 clipped to [0, 1] for uniform buyers
/// every step; with λ < 1, (1 + v − τ/λ)/2 clipped; both equal the argmax of the exact
/// expected payoff U(p) on a grid of step 1e-5 (to the grid step), and the model declares
/// exactly these prices.
#[test]
fn myopic_price_formula() {
    let u = BuyerValues::default();
    for lambda in [1.0, 0.5, 0.25] {
        for i in 0..=24 {
            let v = 0.05 * i as f64;
            for k in 0..=15 {
                let tau = 0.1 * k as f64;
                let p = declared_price(Rule::Myopic, v, tau, lambda, u);
                let formula = ((1.0 + v - tau / lambda) / 2.0).clamp(0.0, 1.0);
                assert!(
                    (p - formula).abs() <= 1e-15,
                    "v {v} tau {tau} lambda {lambda}"
                );
                if lambda == 1.0 {
                    assert!((p - ((1.0 + v - tau) / 2.0).clamp(0.0, 1.0)).abs() <= 1e-15);
                }
                // U(p) = λ[(1 − p)p + p v] + (1 − λ)v − τp on [0, 1.2] (above 1: no buyer).
                let util = |p: f64| {
                    let f = p.min(1.0);
                    lambda * ((1.0 - f) * p + f * v) + (1.0 - lambda) * v - tau * p
                };
                let best = (0..=120_000)
                    .map(|g| g as f64 * 1e-5)
                    .max_by(|a, b| util(*a).total_cmp(&util(*b)))
                    .unwrap();
                let tie = (util(best) - util(p)).abs() <= 1e-12;
                assert!(
                    (best - p).abs() <= 1e-5 + 1e-12 || tie,
                    "v {v} tau {tau} lambda {lambda}: argmax {best} vs {p}"
                );
            }
        }
    }
    // The model: first step's mean declared price over evenly spread values.
    for tau in [0.0, 0.3, 0.9] {
        let m = 1000;
        let s = run(HarbergerParams::new(tau), m, 1, 1);
        let want: f64 = spread(m)
            .iter()
            .map(|v| ((1.0 + v - tau) / 2.0).clamp(0.0, 1.0))
            .sum::<f64>()
            / m as f64;
        assert!(
            (s[0].mean_declared_price - want).abs() <= 1e-14,
            "tau {tau}"
        );
    }
}

/// validation.md Test 6A: the Monte Carlo argmax of Û(p) = (1 − F̂(p))p + F̂(p)v − τp with
/// the empirical F̂ of 10^6 uniform valuations, on a grid of step 0.0005, is within ±0.01 of
/// (1 + v − τ)/2 (the argmax error is ≈ M^(−1/3) = 0.01 at most; prototype errors ≤ 0.0035).
#[test]
fn monte_carlo_argmax_6a() {
    let mut g = rng::stream(61, 0);
    let mut b: Vec<f64> = (0..1_000_000).map(|_| g.random::<f64>()).collect();
    b.sort_by(f64::total_cmp);
    let n = b.len() as f64;
    let f_hat = |p: f64| b.partition_point(|&x| x <= p) as f64 / n;
    for (v, tau) in [
        (0.2, 0.0),
        (0.2, 0.1),
        (0.2, 0.3),
        (0.2, 0.5),
        (0.2, 0.8),
        (0.5, 0.0),
        (0.5, 0.5),
        (0.5, 0.8),
    ] {
        let util = |p: f64| {
            let f = f_hat(p);
            (1.0 - f) * p + f * v - tau * p
        };
        let best = (0..=2000)
            .map(|k| k as f64 * 0.0005)
            .max_by(|x, y| util(*x).total_cmp(&util(*y)))
            .unwrap();
        let p = declared_price(Rule::Myopic, v, tau, 1.0, BuyerValues::default());
        check(&format!("6A v={v} tau={tau}"), best, p, 0.01);
    }
}

/// validation.md Test 6B: exponential buyers (mean 1): p − v = 1 − τe^p; the table's values,
/// to the table's 4 decimals, and truthful at τ = e^(−v).
#[test]
fn exponential_buyers_6b() {
    let e = BuyerValues::Exponential { mean: 1.0 };
    for (v, tau, want) in [
        (1.0, 0.0, 2.0),
        (1.0, (-1.0f64).exp(), 1.0),
        (1.0, 0.2, 1.2804),
        (0.5, 0.3, 0.8193),
    ] {
        let p = declared_price(Rule::Myopic, v, tau, 1.0, e);
        check(&format!("6B v={v} tau={tau}"), p, want, 5e-5);
        // And the FOC itself, to rounding.
        assert!((p - v - (1.0 - tau * p.exp())).abs() <= 1e-12);
    }
    // Scaled: mean 2 doubles prices and values; λ = 1/2 doubles the effective tax.
    let p1 = declared_price(Rule::Myopic, 0.5, 0.3, 1.0, e);
    let p2 = declared_price(
        Rule::Myopic,
        1.0,
        0.3,
        1.0,
        BuyerValues::Exponential { mean: 2.0 },
    );
    assert!((p2 - 2.0 * p1).abs() <= 1e-12);
    let half = declared_price(Rule::Myopic, 0.5, 0.15, 0.5, e);
    assert!((half - p1).abs() <= 1e-12);
    // Taxed so heavily that the owner declares 0: h(0) = 1 + v − τ/λ ≤ 0.
    assert_eq!(declared_price(Rule::Myopic, 0.5, 2.0, 1.0, e), 0.0);
}

/// Must show: τ = 0 declares the monopoly price argmax (1 − F(p))(p − v) = (1 + v)/2, and
/// turnover falls. With revaluation ρ = 1 every step is an independent draw v ~ U[0, 1], so
/// the expected turnover is E[1 − p*] = 1/4 + τ/2: 1/4 at τ = 0, 1/2 at τ = 1/2. Turnover
/// per step is a mean of M independent Bernoulli sales; tolerance 4.5 replicate SE.
#[test]
fn zero_tax_is_the_monopoly_price_and_turnover_falls() {
    for i in 0..=20 {
        let v = 0.05 * i as f64;
        let p = declared_price(Rule::Myopic, v, 0.0, 1.0, BuyerValues::default());
        let monopoly = (0..=100_000)
            .map(|k| k as f64 * 1e-5)
            .max_by(|a, b| ((1.0 - a) * (a - v)).total_cmp(&((1.0 - b) * (b - v))))
            .unwrap();
        assert!((p - monopoly).abs() <= 1e-5, "v {v}");
        assert!((p - (1.0 + v) / 2.0).abs() <= 1e-15);
    }
    let (m, steps) = (20_000, 40);
    let mut turn = Vec::new();
    for tau in [0.0, 0.5] {
        let t = field(&replicate_means(static_params(tau), m, steps, 0), |s| {
            s.turnover
        });
        let (mean, se) = mean_se(&t);
        check(
            &format!("turnover at tau = {tau}"),
            mean,
            0.25 + tau / 2.0,
            4.5 * se,
        );
        turn.push(t);
    }
    // Paired: every replicate sells less at τ = 0.
    let d: Vec<f64> = turn[1].iter().zip(&turn[0]).map(|(a, b)| a - b).collect();
    let (md, sed) = mean_se(&d);
    println!("turnover(0.5) - turnover(0) = {md:.4} ± {sed:.1e}");
    assert!(md > 4.5 * sed && turn[0].iter().zip(&turn[1]).all(|(a, b)| a < b));
    // Truthful owners: price ratio exactly 1.
    let p = HarbergerParams {
        rule: Rule::Truthful,
        ..static_params(0.2)
    };
    for s in run(p, 1000, 5, 3) {
        assert!((s.mean_price_ratio - 1.0).abs() <= 1e-14);
    }
}

/// Must show (static): with ρ = 1 (fresh use values each step) and uniform buyers every
/// step, the expected allocative loss per asset is E[(1 − v − τ)²]/8 = ((1−τ)² − (1−τ) +
/// 1/3)/8 (validation.md §6.1) and the efficiency ≈ 1 − L/E[max(v, b)] = 1 − 3L/2 (a ratio of
/// sums over M = 20,000 assets: bias ≤ Var/M ≈ 1e-5, added to the tolerance). The loss is
/// minimal, the efficiency maximal, at τ = 1/2, which is where τ equals the turnover rate
/// 1/4 + τ/2. The sweep shows efficiency rising on [0, 1/2] and falling after (paired
/// differences > 4.5 SE).
#[test]
fn static_efficiency_rises_up_to_the_turnover_rate() {
    let (m, steps) = (20_000, 40);
    let taus = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.7, 0.9];
    let mut eff = Vec::new();
    for &tau in &taus {
        let c = 1.0 - tau;
        let loss = (c * c - c + 1.0 / 3.0) / 8.0;
        let reps = replicate_means(static_params(tau), m, steps, 0);
        let l = field(&reps, |s| s.allocative_loss);
        let (ml, sel) = mean_se(&l);
        check(&format!("loss at tau = {tau}"), ml, loss, 4.5 * sel);
        let e = field(&reps, |s| s.allocative_efficiency);
        let (me, see) = mean_se(&e);
        check(
            &format!("efficiency at tau = {tau}"),
            me,
            1.0 - 1.5 * loss,
            4.5 * see + 1e-5,
        );
        eff.push(e);
    }
    for w in 0..taus.len() - 1 {
        let d: Vec<f64> = eff[w + 1].iter().zip(&eff[w]).map(|(a, b)| a - b).collect();
        let (md, sed) = mean_se(&d);
        println!(
            "efficiency({}) - efficiency({}) = {md:.2e} ± {sed:.1e}",
            taus[w + 1],
            taus[w]
        );
        if taus[w + 1] <= 0.5 {
            assert!(md > 4.5 * sed, "efficiency must rise up to tau = 1/2");
        } else {
            assert!(md < -4.5 * sed, "efficiency must fall beyond tau = 1/2");
        }
    }
}

/// Must show (dynamic): with ρ = 0.2 holders keep assets across steps, so the stationary
/// distribution of holders' values depends on τ and there is no closed form. A sweep over τ
/// locates the Posner–Weyl point τ_PW where τ equals the measured turnover rate (turnover
/// rises with τ from above τ at τ = 0, so it is crossed once); allocative efficiency rises
/// with τ at every grid step that ends at or below τ_PW and falls at every grid step that
/// starts at or beyond τ_PW + 0.1, each by more than 4.5 paired SE. The band just above
/// τ_PW, where the slope is near zero, is not asserted. (Measured, seeds from 100: τ_PW = 0.265,
/// efficiency highest at τ = 0.30, 0.9903 against 0.9767 at τ = 0.)
#[test]
fn dynamic_efficiency_rises_up_to_the_turnover_rate() {
    let (m, steps, burn) = (5_000, 150, 30);
    let base = HarbergerParams {
        revaluation: 0.2,
        ..HarbergerParams::new(0.0)
    };
    let taus: Vec<f64> = (0..=12).map(|k| 0.05 * k as f64).collect();
    let mut eff = Vec::new();
    let mut turnover = Vec::new();
    for &tau in &taus {
        let p = HarbergerParams {
            tax_rate: tau,
            ..base
        };
        let reps = replicate_means(p, m, steps, burn);
        let e = field(&reps, |s| s.allocative_efficiency);
        let t = field(&reps, |s| s.turnover);
        let (me, see) = mean_se(&e);
        let (mt, set) = mean_se(&t);
        println!("tau {tau:.2}: efficiency {me:.5} ± {see:.1e}, turnover {mt:.4} ± {set:.1e}");
        eff.push(e);
        turnover.push(mt);
    }
    // The crossing of turnover(τ) − τ, linearly interpolated.
    let k = (0..taus.len() - 1)
        .find(|&k| turnover[k] >= taus[k] && turnover[k + 1] < taus[k + 1])
        .expect("turnover crosses tau");
    let (d0, d1) = (turnover[k] - taus[k], turnover[k + 1] - taus[k + 1]);
    let tau_pw = taus[k] + 0.05 * d0 / (d0 - d1);
    println!("tau = turnover at {tau_pw:.4}");
    for w in 0..taus.len() - 1 {
        let d: Vec<f64> = eff[w + 1].iter().zip(&eff[w]).map(|(a, b)| a - b).collect();
        let (md, sed) = mean_se(&d);
        println!(
            "  efficiency({:.2}) - efficiency({:.2}) = {md:.2e} ± {sed:.1e}",
            taus[w + 1],
            taus[w]
        );
        if taus[w + 1] <= tau_pw {
            assert!(md > 4.5 * sed, "must rise below tau_PW");
        } else if taus[w] >= tau_pw + 0.1 - 1e-12 {
            assert!(md < -4.5 * sed, "must fall beyond tau_PW");
        }
    }
}

/// Must show: the ledger balances exactly. Every step the revenue collected equals the
/// rebates paid (the same integer number of quanta), the actors' cash sums to exactly 0,
/// and the revenue agrees with τ Σ p to the rounding of one half quantum per asset; for
/// equal and open rebates, λ < 1, revaluation, and a change of τ mid-run.
#[test]
fn ledger_balances_exactly() {
    for (case, (rebate, lambda, rho, tau)) in [
        (Rebate::Equal, 1.0, 0.0, 0.1),
        (Rebate::Equal, 0.3, 0.5, 0.1),
        (Rebate::Open, 1.0, 0.2, 0.25),
        (Rebate::Open, 0.6, 1.0, 0.05),
    ]
    .into_iter()
    .enumerate()
    {
        let n = 97;
        let m = 1000;
        let mut g = rng::stream(9, case as u64);
        let owners: Vec<usize> = (0..m).map(|_| g.random_range(0..n)).collect();
        let values: Vec<f64> = (0..m).map(|_| g.random::<f64>()).collect();
        let openness: Vec<f64> = (0..n)
            .map(|i| if i % 3 == 0 { 0.0 } else { g.random::<f64>() })
            .collect();
        let params = HarbergerParams {
            rebate,
            buyer_rate: lambda,
            revaluation: rho,
            ..HarbergerParams::new(tau)
        };
        let mut h = Harberger::new(params, owners, values, openness.clone(), 5).unwrap();
        for step in 0..200 {
            if step == 100 {
                h.set_params(HarbergerParams {
                    tax_rate: 2.0 * tau,
                    ..params
                })
                .unwrap();
            }
            let cash_before = h.cash_quanta().to_vec();
            let s = *h.step();
            let (collected, paid) = h.ledger_quanta();
            assert_eq!(collected, paid, "case {case} step {step}");
            // (τ/λ below 1 in every case, so prices and revenue are positive.)
            assert!(collected > 0);
            assert_eq!(s.tax_revenue.to_bits(), s.rebates_paid.to_bits());
            assert_eq!(
                h.cash_quanta().iter().sum::<i128>(),
                0,
                "case {case} step {step}"
            );
            let tax_rate = h.params().tax_rate;
            let want = tax_rate * s.mean_declared_price * m as f64;
            assert!(
                (s.tax_revenue - want).abs() <= (m as f64) * h.quantum() + 1e-12 * want,
                "case {case}: revenue {} vs tau sum p {want}",
                s.tax_revenue
            );
            // Open rebates: closed actors (openness 0) receive nothing, so their cash can
            // only fall by taxes and purchases or rise by sales: check one who owns nothing
            // and sold nothing receives no rebate.
            if rebate == Rebate::Open {
                for i in (0..n).filter(|i| i % 3 == 0) {
                    if h.holdings()[i] == 0.0 && h.cash_quanta()[i] > cash_before[i] {
                        panic!("closed actor {i} gained cash without selling");
                    }
                }
            }
        }
        let held: f64 = h.holdings().iter().sum();
        assert_eq!(held, m as f64, "assets are conserved");
    }
}

/// Same seed, same everything; another seed, another path; holdings concentration and the
/// hoarded share are well defined.
#[test]
fn reproducible_and_observable() {
    let p = HarbergerParams {
        revaluation: 0.1,
        buyer_rate: 0.7,
        ..HarbergerParams::new(0.2)
    };
    let a = run(p, 5000, 30, 42);
    let b = run(p, 5000, 30, 42);
    let c = run(p, 5000, 30, 43);
    assert_eq!(a, b);
    assert_ne!(a, c);
    let mut h = Harberger::one_asset_each(p, spread(100), 1).unwrap();
    for _ in 0..50 {
        h.step();
    }
    let conc = counterweight::metrics::concentration(
        h.holdings(),
        &counterweight::metrics::MetricOptions::default(),
    )
    .unwrap();
    assert!(conc.hhi > 0.01 && conc.hhi < 1.0);
    let s = h.stats();
    let hoarded = h.use_values().iter().filter(|&&v| v < 0.25).count() as f64 / 100.0;
    assert_eq!(s.hoarded_share, hoarded);
}

// --- Through the registry: scenario text -> scenario::parse -> runner::run_experiment ----

mod registry_path {
    use counterweight::runner::{self, RunOptions};
    use counterweight::scenario;
    use counterweight::setup::initial_values;
    use counterweight::table::Table;

    fn col(t: &Table, name: &str) -> Vec<f64> {
        t.f64_column(name)
            .unwrap_or_else(|| panic!("no column {name}"))
    }

    fn src(tau: f64, extra: &str) -> String {
        format!(
            r#"
name = "h"
model = "harberger"
seed = 21
time = {{ end = 10.0, dt = 1.0 }}
[harberger]
tax_rate = {tau}
rule = "myopic"
buyer_rate = 1.0
{extra}
[[actors]]
group = "owners"
count = 20000
initial = {{ uniform = {{ low = 0.000001, high = 1.0 }} }}
"#
        )
    }

    /// Step 1 of `model = "harberger"` against the closed forms, for τ = 0 (the monopoly
    /// price) and τ = 0.3. With ρ = 0 each holder declares p_j = clip((1 + v_j − τ)/2) on
    /// its initial use value, so `mean_declared_price` and `mean_price_ratio` = Σp/Σv are
    /// exact sums (1e-10 relative covers the rounding of 20,000 additions). The tax ledger
    /// balances exactly (revenue = rebates, bit for bit) and the revenue is τΣp up to half
    /// a quantum (2^-40) per asset. Turnover: asset j is sold iff its buyer's b ~ U[0, 1]
    /// exceeds p_j, so the count is a sum of independent Bernoulli(1 − p_j); its mean is
    /// mean(1 − p_j) and its SD sqrt(Σ p_j(1 − p_j))/M ≈ 0.003; the check allows 4.5 SD
    /// (a correct model fails with probability ~7e-6). Lower τ, higher prices, lower
    /// turnover: the τ = 0 expectation is 0.15 below the τ = 0.3 one, 50 SD apart.
    #[test]
    fn myopic_step_matches_the_closed_form() {
        let mut turnovers = Vec::new();
        for tau in [0.0, 0.3] {
            let exp = scenario::parse(&src(tau, ""), "test", None, &[]).unwrap();
            let sc = &exp.variants[0].scenario;
            let v = initial_values(&sc.groups, sc.seed, 0);
            let p: Vec<f64> = v
                .iter()
                .map(|&v| ((1.0 + v - tau) / 2.0).clamp(0.0, 1.0))
                .collect();
            let m = v.len() as f64;
            let (sp, sv): (f64, f64) = (p.iter().sum(), v.iter().sum());
            let out = runner::run_experiment(&exp, &RunOptions::default()).unwrap();
            let t = &out.variants[0].1.metrics;
            // Row 0 is the initial state (no step yet: NaN flows), row 1 is step 1.
            assert!(col(t, "turnover")[0].is_nan());
            let rel = |a: f64, b: f64| (a - b).abs() / b.abs();
            assert!(rel(col(t, "mean_declared_price")[1], sp / m) < 1e-10);
            assert!(rel(col(t, "mean_price_ratio")[1], sp / sv) < 1e-10);
            if tau == 0.0 {
                // The monopoly price (1 + v)/2 lies above every use value below 1.
                assert!(col(t, "mean_price_ratio")[1] > 1.0);
            }
            let (rev, paid) = (col(t, "tax_revenue"), col(t, "rebates_paid"));
            for (r, q) in rev.iter().zip(&paid).skip(1) {
                assert_eq!(r.to_bits(), q.to_bits());
            }
            assert!((rev[1] - tau * sp).abs() <= m * 2f64.powi(-41) * (1.0 + 1e-9));
            let want: f64 = p.iter().map(|p| 1.0 - p).sum::<f64>() / m;
            let sd = p.iter().map(|p| p * (1.0 - p)).sum::<f64>().sqrt() / m;
            let got = col(t, "turnover")[1];
            eprintln!("tau {tau}: turnover {got:.5}, expected {want:.5} ± {sd:.1e}");
            assert!((got - want).abs() < 4.5 * sd);
            turnovers.push(got);
            // Holdings are conserved: the concentration total is the number of assets.
            assert!(col(t, "total").iter().all(|&x| x == m));
        }
        assert!(turnovers[0] < turnovers[1]);
    }

    /// The `harberger_tax` policy sets τ over time: no revenue before t = 4, τΣp after.
    #[test]
    fn tax_policy_sets_tau_over_time() {
        let s = src(
            0.0,
            "[[policy]]\nkind = \"harberger_tax\"\nfrom = 4.0\nrate = 0.2\n",
        );
        let exp = scenario::parse(&s, "test", None, &[]).unwrap();
        let out = runner::run_experiment(&exp, &RunOptions::default()).unwrap();
        let t = &out.variants[0].1.metrics;
        let rev = col(t, "tax_revenue");
        // Row k is step k, which starts at t = k − 1.
        assert!(rev[1..=4].iter().all(|&r| r == 0.0), "{rev:?}");
        assert!(rev[5..].iter().all(|&r| r > 0.0), "{rev:?}");
    }

    /// The embedded `harberger` example, 8 replicates: allocative efficiency is higher at
    /// τ = 0.265 (where τ equals the turnover rate, docs/harberger.md) than with no tax and
    /// than over-taxed at τ = 0.5. Per replicate, the mean over steps 31–200 (after the
    /// burn-in); variants share seeds (common random numbers), so the paired differences
    /// over the 8 replicates give the SE; each check allows 4.5 SE (t with 7 degrees of
    /// freedom: P(|t| > 4.5) ≈ 0.003).
    #[test]
    fn example_efficiency_peaks_near_the_turnover_rate() {
        let ex = scenario::examples::find("harberger").expect("embedded");
        let overrides = ["replicates=8".to_string(), "output.every=1".to_string()];
        let exp = scenario::parse(ex.toml, "harberger", None, &overrides).unwrap();
        let out = runner::run_experiment(&exp, &RunOptions::default()).unwrap();
        let per_rep: Vec<Vec<f64>> = out
            .variants
            .iter()
            .map(|(_, o)| {
                let (rep, step) = (col(&o.metrics, "replicate"), col(&o.metrics, "step"));
                let e = col(&o.metrics, "allocative_efficiency");
                (0..8)
                    .map(|r| {
                        let xs: Vec<f64> = (0..e.len())
                            .filter(|&i| rep[i] == r as f64 && step[i] > 30.0)
                            .map(|i| e[i])
                            .collect();
                        xs.iter().sum::<f64>() / xs.len() as f64
                    })
                    .collect()
            })
            .collect();
        let paired = |a: &[f64], b: &[f64]| {
            let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
            let n = d.len() as f64;
            let m = d.iter().sum::<f64>() / n;
            let var = d.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0);
            (m, (var / n).sqrt())
        };
        let (up, se_up) = paired(&per_rep[1], &per_rep[0]);
        let (down, se_down) = paired(&per_rep[1], &per_rep[2]);
        eprintln!("efficiency(0.265) - efficiency(0) = {up:.5} ± {se_up:.1e}");
        eprintln!("efficiency(0.265) - efficiency(0.5) = {down:.5} ± {se_down:.1e}");
        assert!(up > 4.5 * se_up);
        assert!(down > 4.5 * se_down);
    }

    /// Bad `[harberger]` sections and policies name the field.
    #[test]
    fn bad_harberger_sections_are_located() {
        let cases: &[(f64, &str, &str)] = &[
            (-0.1, "", "harberger.tax_rate"),
            (0.1, "revaluation = 1.5", "harberger.revaluation"),
            (0.1, "buyer_mean = 2.0", "harberger.buyer_mean"),
            (0.1, "assets = 0", "harberger.assets"),
            (0.1, "rebate = \"banks\"", "harberger.rebate"),
            (
                0.1,
                "[[policy]]\nkind = \"harberger_tax\"\nrate = 0.1\nrebate = \"x\"",
                "policy[0].rebate",
            ),
        ];
        for (tau, extra, field) in cases {
            let e = scenario::parse(&src(*tau, extra), "test", None, &[]).expect_err("rejected");
            assert_eq!(e.field.as_deref(), Some(*field), "{e}");
        }
        let s = src(0.1, "").replace("buyer_rate = 1.0", "buyer_rate = 0.0");
        let e = scenario::parse(&s, "test", None, &[]).expect_err("rejected");
        assert_eq!(e.field.as_deref(), Some("harberger.buyer_rate"), "{e}");
        let s = src(0.1, "").replace("rule = \"myopic\"", "rule = \"greedy\"");
        let e = scenario::parse(&s, "test", None, &[]).expect_err("rejected");
        assert_eq!(e.field.as_deref(), Some("harberger.rule"), "{e}");
        let s = src(0.1, "").replace("tax_rate = 0.1\n", "");
        let e = scenario::parse(&s, "test", None, &[]).expect_err("rejected");
        assert_eq!(e.field.as_deref(), Some("harberger.tax_rate"), "{e}");
    }
}
