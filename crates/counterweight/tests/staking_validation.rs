//! The staking model (issue 11) against exact results:
//!
//! * `min_first` keeps max − min active validators ≤ 1 after any sequence of deposits
//!   without exits or caps, respects target limits exactly, and deals exactly what Lido's
//!   `MinFirstAllocationStrategy.allocate` (re-implemented here from its specification)
//!   deals, whatever the start and the capacities (property tests);
//! * two providers, no fees, equal quality, γ = 1, θ = 0, one validator per deposit: the
//!   deposits to provider A follow the Pólya urn's beta-binomial law exactly, and A's share
//!   tends to Beta(a, b) (χ² and Kolmogorov–Smirnov over replicates, critical values at
//!   99.9%);
//! * γ = 0 (and θ = 1 under γ = 2): a multinomial split by quality × g(fee);
//! * the self-limit holds to within one step's deposits (exactly, under net inflow);
//! * stake is conserved exactly every step (deposits + redeposits − exits = change in
//!   total) in a run that uses every feature;
//! * the veto: a rage quit leaves no opponent harmed, no veto harms those still queued;
//! * exit rules, bonded allocation, the churn rule, Nakamoto at 2/3, layer attribution.
//!
//! Tolerances of statistical checks are critical values of the test statistic under the
//! exact law (stated at each test), so a correct model passes with probability ≥ 99.9%
//! per check for any seed; the seeds are fixed, so the suite is deterministic.
//!
//! Run with `cargo test --release -p counterweight --test integration staking_validation`.

use counterweight::governance::dual::PercentD16;
use counterweight::metrics::{self, LayerMetrics, MetricOptions};
use counterweight::model::staking::control::{Governance, Holders, Veto};
use counterweight::model::staking::{
    Allocation, Churn, ExitRule, OperatorParams, OperatorSet, ProviderParams, Staking,
    StakingParams, StakingPolicy, UNLIMITED, Window, even_operators,
};
use counterweight::rng;
use proptest::prelude::*;
use rayon::prelude::*;
use statrs::distribution::{Beta, ChiSquared, ContinuousCDF};
use statrs::function::beta::ln_beta;
use statrs::function::gamma::ln_gamma;

// ---------------------------------------------------------------------------------------
// min_first, bonded and exit rules on an operator set

fn min_first(active: Vec<u64>, limit: Vec<u64>) -> OperatorSet {
    let n = active.len();
    OperatorSet::new(
        Allocation::MinFirst,
        ExitRule::MaxFirst,
        active,
        limit,
        vec![1.0; n],
    )
}

/// Lido's `MinFirstAllocationStrategy.allocate(buckets, capacities, n)`, written from the
/// contract's specification (lidofinance/core, contracts/common/lib/
/// MinFirstAllocationStrategy.sol): repeatedly take the first least-filled bucket with
/// free space, count the buckets tied with it, and give it min(ceil(rest / ties) if ties >
/// 1 else rest, min(next higher fill among buckets with space, its capacity) − its fill).
fn lido_allocate(buckets: &mut [u64], capacities: &[u64], size: u64) -> u64 {
    let mut allocated = 0;
    while allocated < size {
        let rest = size - allocated;
        let mut best = None;
        let mut best_fill = u64::MAX;
        let mut ties = 0u64;
        for i in 0..buckets.len() {
            if buckets[i] >= capacities[i] {
                continue;
            }
            if buckets[i] < best_fill {
                best = Some(i);
                best_fill = buckets[i];
                ties = 1;
            } else if buckets[i] == best_fill {
                ties += 1;
            }
        }
        let Some(b) = best else { break };
        let mut upper = u64::MAX;
        for i in 0..buckets.len() {
            if buckets[i] < capacities[i] && buckets[i] > best_fill && buckets[i] < upper {
                upper = buckets[i];
            }
        }
        let want = if ties > 1 { rest.div_ceil(ties) } else { rest };
        let give = want.min(upper.min(capacities[b]) - best_fill);
        if give == 0 {
            break;
        }
        buckets[b] += give;
        allocated += give;
    }
    allocated
}

/// The example of the contract's documentation: buckets [9998, 70, 0], capacities
/// [10000, 101, 100], 101 to allocate -> [9998, 86, 85].
#[test]
fn min_first_matches_the_contract_example() {
    let mut b = vec![9998, 70, 0];
    assert_eq!(lido_allocate(&mut b, &[10_000, 101, 100], 101), 101);
    assert_eq!(b, vec![9998, 86, 85]);
    let mut s = min_first(vec![9998, 70, 0], vec![10_000, 101, 100]);
    let mut g = rng::stream(0, 0);
    for _ in 0..101 {
        s.deposit(&mut g).unwrap();
    }
    assert_eq!(s.active(), &[9998, 86, 85]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// From equal counts (or zero), without limits or exits: after every deposit of any
    /// sequence max − min <= 1, and deposits go to the lowest index among the fewest.
    #[test]
    fn min_first_keeps_max_minus_min_at_most_one(
        n in 1usize..40,
        start in 0u64..5,
        batches in prop::collection::vec(0u64..200, 1..20),
    ) {
        let mut s = min_first(vec![start; n], vec![UNLIMITED; n]);
        let mut g = rng::stream(1, 0);
        for m in batches {
            for _ in 0..m {
                let before = s.active().to_vec();
                let lo = *before.iter().min().unwrap();
                let i = s.deposit(&mut g).unwrap();
                prop_assert_eq!(i, before.iter().position(|&a| a == lo).unwrap());
                let a = s.active();
                prop_assert!(a.iter().max().unwrap() - a.iter().min().unwrap() <= 1);
            }
        }
    }

    /// Any start, any target limits: deposits one at a time give exactly the contract's
    /// batch allocation; no operator passes its limit (or grows if it started above it);
    /// deposits stop exactly when every operator is full; and water-filling holds: an
    /// operator with room is never more than one below any operator that received a
    /// deposit.
    #[test]
    fn min_first_respects_target_limits_and_matches_the_contract(
        ops in prop::collection::vec((0u64..60, prop::option::of(0u64..80)), 1..16),
        size in 0u64..600,
    ) {
        let start: Vec<u64> = ops.iter().map(|o| o.0).collect();
        let limit: Vec<u64> = ops.iter().map(|o| o.1.unwrap_or(UNLIMITED)).collect();
        let mut s = min_first(start.clone(), limit.clone());
        let mut g = rng::stream(2, 0);
        let mut placed = 0;
        for _ in 0..size {
            if s.deposit(&mut g).is_none() {
                prop_assert!(!s.has_room());
                break;
            }
            placed += 1;
        }
        let mut buckets = start.clone();
        let want = lido_allocate(&mut buckets, &limit, size);
        prop_assert_eq!(placed, want);
        prop_assert_eq!(s.active(), &buckets[..]);
        let room = start
            .iter()
            .zip(&limit)
            .fold(0u64, |r, (&a, &l)| r.saturating_add(l.saturating_sub(a)));
        prop_assert_eq!(placed, size.min(room));
        let a = s.active();
        for i in 0..a.len() {
            prop_assert!(a[i] <= limit[i].max(start[i]));
            if a[i] > start[i] {
                prop_assert!(a[i] <= limit[i]);
                for j in 0..a.len() {
                    if a[j] < limit[j] {
                        prop_assert!(a[i] <= a[j] + 1, "{:?} limits {:?}", a, limit);
                    }
                }
            }
        }
    }

    /// Deposits and completed exits interleaved, min-first in and max-first out, from
    /// zero: max − min stays <= 1.
    #[test]
    fn max_first_exits_keep_the_spread(
        n in 1usize..20,
        moves in prop::collection::vec((0u64..50, 0u64..50), 1..20),
    ) {
        let mut s = min_first(vec![0; n], vec![UNLIMITED; n]);
        let mut g = rng::stream(3, 0);
        let mut out = vec![0; n];
        for (d, x) in moves {
            for _ in 0..d {
                s.deposit(&mut g).unwrap();
            }
            out.fill(0);
            s.request_exits(x, &mut g, &mut out);
            for (i, &c) in out.iter().enumerate() {
                s.complete_exits(i, c);
            }
            let a = s.active();
            prop_assert!(a.iter().max().unwrap() - a.iter().min().unwrap() <= 1, "{:?}", a);
        }
    }

    /// Bonded from zero: every operator holds at least ⌊bond share × validators⌋ (D'Hondt's
    /// lower quota), and equal bonds deal exactly like min-first.
    #[test]
    fn bonded_follows_bonds(
        bonds in prop::collection::vec(1u32..50, 1..12),
        size in 0u64..500,
    ) {
        let n = bonds.len();
        let w: Vec<f64> = bonds.iter().map(|&b| f64::from(b)).collect();
        let mut s = OperatorSet::new(
            Allocation::Bonded, ExitRule::Random, vec![0; n], vec![UNLIMITED; n], w.clone());
        let mut g = rng::stream(4, 0);
        for _ in 0..size {
            s.deposit(&mut g).unwrap();
        }
        let total: f64 = w.iter().sum();
        for (&a, &wi) in s.active().iter().zip(&w) {
            let quota = (wi / total * size as f64 * (1.0 - 1e-12)).floor() as u64;
            prop_assert!(a >= quota, "{:?} bonds {:?}", s.active(), bonds);
        }
        let mut eq = OperatorSet::new(
            Allocation::Bonded, ExitRule::Random, vec![0; n], vec![UNLIMITED; n], vec![7.0; n]);
        let mut mf = min_first(vec![0; n], vec![UNLIMITED; n]);
        for _ in 0..size {
            eq.deposit(&mut g).unwrap();
            mf.deposit(&mut g).unwrap();
        }
        prop_assert_eq!(eq.active(), mf.active());
    }
}

// ---------------------------------------------------------------------------------------
// The market: Pólya, multinomial

fn run(params: &StakingParams, steps: u64, seed: u64) -> Staking {
    let mut m = Staking::new(params, 1.0, steps as f64, seed).unwrap();
    for s in 1..=steps {
        m.step(s, (s - 1) as f64);
    }
    m
}

/// Final stakes of `runs` independent replicates (stream seeds derived from (master, r)).
fn finals(params: &StakingParams, steps: u64, runs: usize, master: u64) -> Vec<Vec<u64>> {
    (0..runs)
        .into_par_iter()
        .map(|r| {
            run(params, steps, rng::derive_seed(master, &[r as u64]))
                .stake()
                .to_vec()
        })
        .collect()
}

fn market(stakes: &[u64], gamma: f64, theta: f64, per_step: f64) -> StakingParams {
    let providers = stakes
        .iter()
        .enumerate()
        .map(|(i, &s)| ProviderParams::single(format!("P{i}"), s))
        .collect();
    let mut p = StakingParams::new(providers);
    p.gamma = gamma;
    p.interoperability = theta;
    p.deposit_rate = per_step;
    p.churn = Churn::Fixed(0);
    p
}

/// Pearson χ² of observed counts against expected ones, merging neighbouring cells until
/// each expects >= 5; returns (statistic, degrees of freedom).
fn chi_square(observed: &[u64], expected: &[f64]) -> (f64, f64) {
    let mut cells: Vec<(f64, f64)> = Vec::new();
    let (mut o, mut e) = (0.0, 0.0);
    for (&ob, &ex) in observed.iter().zip(expected) {
        o += ob as f64;
        e += ex;
        if e >= 5.0 {
            cells.push((o, e));
            o = 0.0;
            e = 0.0;
        }
    }
    if e > 0.0 || o > 0.0 {
        match cells.last_mut() {
            Some(last) => {
                last.0 += o;
                last.1 += e;
            }
            None => cells.push((o, e)),
        }
    }
    let stat = cells.iter().map(|(o, e)| (o - e).powi(2) / e).sum();
    (stat, (cells.len() - 1) as f64)
}

fn chi2_crit(df: f64) -> f64 {
    ChiSquared::new(df).unwrap().inverse_cdf(0.999)
}

/// P(X = x) for X ~ BetaBinomial(n, a, b): the number of n Pólya draws that go to the
/// colour with a of a + b starting balls.
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

/// γ = 1, θ = 0, two single-operator providers with no fee and equal quality, 20 deposits
/// per step for 20 steps (n = 400 validators, one per deposit). From (1, 1) the number X
/// of deposits to A is uniform on {0..n} exactly (Pólya); with R = 20,000 replicates the
/// χ² over the 401 cells (expected ~50 each) must stay below its 99.9% point.
#[test]
fn polya_uniform_from_one_one() {
    let n = 400u64;
    let runs = 20_000;
    let f = finals(&market(&[1, 1], 1.0, 0.0, 20.0), 20, runs, 11);
    let mut hist = vec![0u64; n as usize + 1];
    for c in &f {
        assert_eq!(c[0] + c[1], n + 2);
        hist[(c[0] - 1) as usize] += 1;
    }
    let e = vec![runs as f64 / (n + 1) as f64; n as usize + 1];
    let (chi2, df) = chi_square(&hist, &e);
    println!(
        "Pólya (1,1): chi2 = {chi2:.1}, df {df}, 99.9% point {:.1}",
        chi2_crit(df)
    );
    assert!(chi2 < chi2_crit(df));
}

/// From (2, 3), n = 400 deposits, R = 20,000 replicates:
/// * X (deposits to A) against the exact BetaBinomial(400, 2, 3) law: χ² (cells merged to
///   expected >= 5) below its 99.9% point;
/// * A's final share x = (2 + X)/405 against its limit Beta(2, 3): the KS distance D obeys
///   D <= D_exact + δ, D_exact the distance to the exact finite-n law (a discrete law, for
///   which the Kolmogorov 99.9% point 1.9495/√R is conservative) and δ = sup |F_n − F_Beta|
///   computed here exactly on both sides of every jump of F_n (deterministic, O(1/n)).
#[test]
fn polya_beta_law_from_two_three() {
    let n = 400u64;
    let runs = 20_000usize;
    let (a, b) = (2.0, 3.0);
    let f = finals(&market(&[2, 3], 1.0, 0.0, 20.0), 20, runs, 12);
    let pmf = beta_binomial(n, a, b);
    assert!((pmf.iter().sum::<f64>() - 1.0).abs() < 1e-9);
    let mut hist = vec![0u64; n as usize + 1];
    for c in &f {
        assert_eq!(c[0] + c[1], n + 5);
        hist[(c[0] - 2) as usize] += 1;
    }
    let expected: Vec<f64> = pmf.iter().map(|p| p * runs as f64).collect();
    let (chi2, df) = chi_square(&hist, &expected);
    println!(
        "Pólya (2,3): chi2 = {chi2:.1}, df {df}, 99.9% point {:.1}",
        chi2_crit(df)
    );
    assert!(chi2 < chi2_crit(df));

    // KS against Beta(2, 3) on x = (2 + X)/405.
    let beta = Beta::new(a, b).unwrap();
    let total = (n + 5) as f64;
    let r = runs as f64;
    let mut cdf_n = 0.0;
    let mut delta: f64 = 0.0;
    let mut emp = 0.0;
    let mut ks: f64 = 0.0;
    for x in 0..=n as usize {
        let share = (2.0 + x as f64) / total;
        let fb = beta.cdf(share);
        // Just below the jump at `share` and at it.
        delta = delta.max((cdf_n - fb).abs());
        ks = ks.max((emp - fb).abs());
        cdf_n += pmf[x];
        emp += hist[x] as f64 / r;
        delta = delta.max((cdf_n - fb).abs());
        ks = ks.max((emp - fb).abs());
    }
    let crit = 1.9495 / r.sqrt();
    println!("Pólya (2,3): KS to Beta(2,3) = {ks:.5} (<= {crit:.5} + delta {delta:.5})");
    assert!(
        delta < 0.01,
        "the finite-n law is far from its limit: {delta}"
    );
    assert!(ks <= crit + delta);
}

/// Per-replicate Pearson statistics X²_r = Σ_k (c_k − m p_k)²/(m p_k) over R replicates sum
/// to ~χ²(R(K−1)) if each replicate is Multinomial(m, p): two-sided 99.9% band. The pooled
/// counts (R·m independent draws) against p: χ²(K−1) below its 99.9% point. An urn with
/// memory (Pólya-like over-dispersion) fails the first.
fn check_multinomial(f: &[Vec<u64>], start: &[u64], m: u64, p: &[f64], what: &str) {
    let k = p.len();
    let mut sum_x2 = 0.0;
    let mut pooled = vec![0u64; k];
    for c in f {
        for j in 0..k {
            let got = c[j] - start[j];
            let e = m as f64 * p[j];
            sum_x2 += (got as f64 - e).powi(2) / e;
            pooled[j] += got;
        }
    }
    let df = (f.len() * (k - 1)) as f64;
    let chi = ChiSquared::new(df).unwrap();
    let (lo, hi) = (chi.inverse_cdf(0.0005), chi.inverse_cdf(0.9995));
    println!("{what}: sum of per-replicate chi2 = {sum_x2:.1} in [{lo:.1}, {hi:.1}]");
    assert!(sum_x2 > lo && sum_x2 < hi, "{what}: dispersion {sum_x2}");
    let total = (f.len() as u64 * m) as f64;
    let e: Vec<f64> = p.iter().map(|x| x * total).collect();
    let (stat, df) = chi_square(&pooled, &e);
    println!("{what}: pooled chi2 = {stat:.2}, df {df}");
    assert!(stat < chi2_crit(df), "{what}: pooled chi2 {stat}");
}

/// γ = 0: qualities (1, 2, 3), fees (0, 0, 0.1) with fee_scale 0.1, starting stakes (50, 1,
/// 0): each deposit goes to k with probability q_k·exp(−fee_k/0.1)/Σ (stake plays no role,
/// even an empty provider is chosen). And θ = 1 under γ = 2: every provider reaches the
/// whole network, so the same split. R = 4,000 replicates of m = 200 deposits.
#[test]
fn multinomial_split_by_quality_and_fee() {
    let start = [50u64, 1, 0];
    let w = [1.0, 2.0, 3.0 * (-1.0f64).exp()];
    let sum: f64 = w.iter().sum();
    let p: Vec<f64> = w.iter().map(|x| x / sum).collect();
    for (gamma, theta, what) in [(0.0, 0.0, "gamma = 0"), (2.0, 1.0, "gamma = 2, theta = 1")] {
        let mut params = market(&start, gamma, theta, 10.0);
        for (i, pr) in params.providers.iter_mut().enumerate() {
            pr.quality = [1.0, 2.0, 3.0][i];
        }
        params.providers[2].fee = 0.1;
        let f = finals(&params, 20, 4_000, 13);
        check_multinomial(&f, &start, 200, &p, what);
    }
}

/// Proportional allocation: operator i receives each deposit with probability
/// weight_i/Σ weight: per-replicate and pooled χ² as above (weights 1, 2, 5; 300 deposits
/// per replicate, 2,000 replicates).
#[test]
fn proportional_allocation_is_multinomial() {
    let mut ops = even_operators("op", 3, 0);
    for (o, w) in ops.iter_mut().zip([1.0, 2.0, 5.0]) {
        o.weight = Some(w);
    }
    let mut params = StakingParams::new(vec![ProviderParams::new(
        "pool",
        Allocation::Proportional,
        ops,
    )]);
    params.providers[0].operators[0].validators = 1; // a provider needs stake to be chosen
    params.deposit_rate = 15.0;
    params.churn = Churn::Fixed(0);
    let f: Vec<Vec<u64>> = (0..2_000u64)
        .into_par_iter()
        .map(|r| {
            run(&params, 20, rng::derive_seed(14, &[r]))
                .operators(0)
                .active()
                .to_vec()
        })
        .collect();
    check_multinomial(&f, &[1, 0, 0], 300, &[0.125, 0.25, 0.625], "proportional");
}

// ---------------------------------------------------------------------------------------
// Self-limit, conservation, veto

/// γ = 2 (increasing returns: without a cap the leader runs away) with net inflow (120
/// deposits per step, churn 60, withdrawals 0.5% a day). Case A: two providers, the leader
/// at 60% with a self-limit of 0.7 (it grows to the cap). Case B: three providers, the
/// leader at 50% with a cap of 0.4 (it starts above: it receives nothing until the others
/// dilute it).
///
/// Checked every step: (i) the bound, leader − cap·total <= that step's deposits
/// (for a leader that starts under its cap);
/// (ii) the exact bound of the rule: excess_end <= max(excess_start, 0) + cap·max(exits −
/// deposits, 0); (iii) a step in which the leader received a deposit (and nothing was
/// refused) ends with leader <= cap·total exactly. At the end the cap binds (share within
/// 1% below it), while the same run without the cap ends well above it.
#[test]
fn self_limit_holds_within_one_steps_deposits() {
    let base = |stakes: &[u64]| {
        let mut p = market(stakes, 2.0, 0.0, 120.0);
        p.withdrawal_rate = 0.005;
        p.churn = Churn::Fixed(60);
        p
    };
    let cases: [(&[u64], f64, u64); 2] = [(&[6000, 4000], 0.7, 21), (&[5000, 2500, 2500], 0.4, 22)];
    for (stakes, cap, seed) in cases {
        let mut p = base(stakes);
        p.policies.push(StakingPolicy::SelfLimit {
            window: Window::always(),
            providers: vec![0],
            cap,
        });
        let mut m = Staking::new(&p, 1.0, 400.0, seed).unwrap();
        let mut excess = m.stake()[0] as f64 - cap * m.total_stake() as f64;
        let started_under = excess <= 0.0;
        for s in 1..=400 {
            m.step(s, (s - 1) as f64);
            let fl = m.flows();
            let (lead, total) = (m.stake()[0] as f64, m.total_stake() as f64);
            let e = lead - cap * total;
            let deposits = (fl.deposits + fl.redeposits) as f64;
            if started_under {
                assert!(
                    e <= deposits + 1e-9,
                    "step {s}: excess {e} > deposits {deposits}"
                );
            }
            let bound = excess.max(0.0) + cap * (fl.exits as f64 - deposits).max(0.0);
            assert!(e <= bound + 1e-9, "step {s}: excess {e} > {bound}");
            if m.inflow()[0] > 0 && fl.refused == 0 {
                assert!(
                    e <= 1e-9,
                    "step {s}: the leader received deposits and exceeds its cap"
                );
            }
            excess = e;
        }
        let share = m.stake()[0] as f64 / m.total_stake() as f64;
        let free = run(&base(stakes), 400, seed);
        let free_share = free.stake()[0] as f64 / free.total_stake() as f64;
        println!("self-limit {cap}: final share {share:.4}; without it {free_share:.4}");
        assert!(share <= cap + 1e-12 && share > cap - 0.01, "share {share}");
        assert!(
            free_share > cap + 0.05,
            "the cap does not bind: {free_share}"
        );
    }
}

/// Net outflow (exits > deposits): the excess can grow only by cap·(exits − deposits), the
/// exact bound of the rule.
#[test]
fn self_limit_under_net_outflow() {
    let mut p = market(&[3000, 3000, 3000], 2.0, 0.0, 20.0);
    p.withdrawal_rate = 0.02;
    p.providers[0].withdrawal_rate = Some(0.0); // others leave, the leader does not
    p.churn = Churn::Fixed(150);
    let cap = 0.34;
    p.policies.push(StakingPolicy::SelfLimit {
        window: Window::always(),
        providers: vec![0],
        cap,
    });
    let mut m = Staking::new(&p, 1.0, 100.0, 31).unwrap();
    let mut excess = m.stake()[0] as f64 - cap * m.total_stake() as f64;
    let mut grew = false;
    for s in 1..=100 {
        m.step(s, (s - 1) as f64);
        let fl = m.flows();
        let e = m.stake()[0] as f64 - cap * m.total_stake() as f64;
        let d = (fl.deposits + fl.redeposits) as f64;
        let bound = excess.max(0.0) + cap * (fl.exits as f64 - d).max(0.0);
        assert!(e <= bound + 1e-9, "step {s}: excess {e} > {bound}");
        grew |= e > 0.0;
        excess = e;
    }
    assert!(
        grew,
        "the outflow case never pushed the leader over its cap"
    );
}

fn lido_like(stake: u64, veto: bool) -> ProviderParams {
    let mut p = ProviderParams::new(
        "Lido",
        Allocation::MinFirst,
        even_operators("Lido operator", 29, stake),
    );
    p.fee = 0.1;
    p.governance = Governance::Token(Holders::equal(100));
    p.timelock = 3.0;
    if veto {
        p.veto = Some(Veto::mainnet(Holders::equal(1000)));
    }
    p
}

/// Every feature at once: five providers under all four allocation rules, withdrawals,
/// the Ethereum churn rule, a self-limit, operator caps, fee bounds, a mandated θ, and
/// three harmful actions (no veto; veto below the second seal; rage quit). Every step:
/// total after − total before = deposits + redeposits − exits exactly; each provider's
/// stake = Σ of its operators' validators; Σ exiting = the queue; nothing is lost (stake +
/// queue-independent accounting: start + Σ deposits + Σ redeposits − Σ exits = total).
/// The same seed gives the same run; another seed a different one.
#[test]
fn stake_is_conserved_every_step() {
    let params = rich_params();
    let trace = |seed| {
        let mut m = Staking::new(&params, 1.0, 300.0, seed).unwrap();
        let start = m.total_stake();
        let (mut dep, mut ex) = (0u64, 0u64);
        let mut trail = Vec::new();
        for s in 1..=300 {
            let before = m.total_stake();
            m.step(s, (s - 1) as f64);
            let f = m.flows();
            assert_eq!(
                m.total_stake() as i128 - before as i128,
                (f.deposits + f.redeposits) as i128 - f.exits as i128,
                "step {s}"
            );
            assert!(f.exits <= f.churn_limit);
            dep += f.deposits + f.redeposits;
            ex += f.exits;
            assert_eq!(start + dep - ex, m.total_stake());
            let mut exiting = 0;
            for k in 0..m.stake().len() {
                let ops = m.operators(k);
                assert_eq!(ops.active().iter().sum::<u64>(), m.stake()[k], "step {s}");
                exiting += ops.exiting().iter().sum::<u64>();
            }
            assert_eq!(exiting, m.queued());
            assert_eq!(f.queue, m.queued());
            trail.push(m.stake().to_vec());
        }
        (trail, m.actions().to_vec())
    };
    let (a, acts) = trace(5);
    assert_eq!(a, trace(5).0);
    assert_ne!(a, trace(6).0);
    // The three actions fired and executed; the rage quit harmed nobody.
    assert!(acts.iter().all(|x| x.fired && x.executed), "{acts:?}");
    assert!(acts[2].rage_quit && acts[2].harmed == 0);
}

fn rich_params() -> StakingParams {
    let mut lido = lido_like(3000, true);
    lido.operators[3].target_limit = Some(90);
    let mut rp = ProviderParams::new(
        "RocketPool",
        Allocation::Bonded,
        even_operators("rp", 50, 500),
    );
    rp.bond_per_validator = 8.0;
    for (i, o) in rp.operators.iter_mut().enumerate() {
        o.weight = Some(16.0 * (1 + i % 5) as f64 * 8.0);
    }
    let mut prop = ProviderParams::new(
        "Pool",
        Allocation::Proportional,
        even_operators("pp", 4, 400),
    );
    prop.exits = ExitRule::MaxFirst;
    prop.timelock = 2.0;
    let mut cex = ProviderParams::single("Exchange", 2000);
    cex.fee = 0.25;
    let mut solo = ProviderParams::new(
        "Solo",
        Allocation::MinFirst,
        even_operators("solo", 200, 1000),
    );
    solo.exits = ExitRule::Random;
    let mut p = StakingParams::new(vec![lido, rp, prop, cex, solo]);
    p.gamma = 1.2;
    p.deposit_rate = 40.0;
    p.withdrawal_rate = 0.002;
    p.churn = Churn::Ethereum {
        min_per_epoch: 4,
        quotient: 65_536,
        max_per_epoch: None,
        epochs_per_unit: 10.0,
    };
    p.policies = vec![
        StakingPolicy::SelfLimit {
            window: Window::from(50.0),
            providers: vec![0],
            cap: 0.3,
        },
        StakingPolicy::OperatorCap {
            window: Window::from(100.0),
            providers: vec![0, 4],
            share: 0.005,
        },
        StakingPolicy::FeeBounds {
            window: Window {
                from: 20.0,
                until: 200.0,
            },
            providers: vec![],
            floor: 0.05,
            cap: 0.15,
        },
        StakingPolicy::Interoperability {
            window: Window::from(150.0),
            theta: 0.3,
        },
        StakingPolicy::HarmfulAction {
            at: 30.0,
            provider: 2,
            opposed: 0.2,
            fee: Some(0.5),
            quality_factor: 0.5,
        },
        StakingPolicy::HarmfulAction {
            at: 60.0,
            provider: 0,
            opposed: 0.05,
            fee: None,
            quality_factor: 0.9,
        },
        StakingPolicy::HarmfulAction {
            at: 120.0,
            provider: 0,
            opposed: 0.15,
            fee: Some(0.3),
            quality_factor: 1.0,
        },
    ];
    p
}

/// A harmful action opposed by 15% of a Lido-like provider (3,000 validators of 10,000,
/// so 450 opponents) with an exit churn of 50 per step and nothing else moving:
/// * no veto, timelock 3: it executes in the step containing t = 13, before that step's
///   exits; the opponents exit 50 per step from step 11, so 3 steps (150) are out and 300
///   are harmed;
/// * with a veto, R = 15% >= the second seal: rage quit; the last opponent exits in step
///   19 (t_done = 19), the decision executes at max(19, 10 + 3 + 45) + 7 + 1 = 66 and the
///   ether comes back at 19 + 7 + 75 = 101: nobody is harmed, the 450 validators redeposit
///   in the step containing t = 101, never with Lido.
///
/// Both times Lido's stake falls by exactly 450.
#[test]
fn veto_turns_harm_into_exit() {
    let build = |veto| {
        let mut p = StakingParams::new(vec![
            lido_like(3000, veto),
            ProviderParams::single("Exchange", 7000),
        ]);
        p.churn = Churn::Fixed(50);
        p.policies.push(StakingPolicy::HarmfulAction {
            at: 10.0,
            provider: 0,
            opposed: 0.15,
            fee: Some(0.5),
            quality_factor: 1.0,
        });
        p
    };
    let mut m = Staking::new(&build(false), 1.0, 120.0, 1).unwrap();
    for s in 1..=120 {
        m.step(s, (s - 1) as f64);
    }
    let a = &m.actions()[0];
    assert_eq!((a.opposed, a.harmed, a.rage_quit), (450, 300, false));
    assert_eq!(a.exec_at, Some(13.0));
    assert_eq!(m.stake(), &[2550, 7450]);
    assert_eq!(m.fees()[0], 0.5);

    let mut m = Staking::new(&build(true), 1.0, 120.0, 1).unwrap();
    let mut redeposited_at = None;
    for s in 1..=120 {
        m.step(s, (s - 1) as f64);
        if m.flows().redeposits > 0 {
            redeposited_at.get_or_insert((s, m.flows().redeposits));
        }
        if s == 60 {
            assert!(!m.actions()[0].executed);
            assert_eq!(m.flows().awaiting_redeposit, 450);
        }
    }
    let a = &m.actions()[0];
    assert!(a.rage_quit);
    assert_eq!(a.support, Some(PercentD16::from_fraction(450, 3000)));
    assert_eq!((a.opposed, a.harmed), (450, 0));
    assert_eq!(a.exec_at, Some(66.0));
    assert_eq!(redeposited_at, Some((102, 450))); // the step [101, 102)
    assert_eq!(m.stake(), &[2550, 7450]);
}

/// Below the second seal the dynamic timelock gives opponents time: R = 5% (150 of 3,000)
/// delays execution by T_lock(5%) = 1,968,000 s (22.78 d) + 3 d + 1 d after the 3-day
/// vote, while the 150 opponents leave in 3 steps of 50: nobody is harmed, and they
/// redeposit at once (with the other provider).
#[test]
fn veto_signalling_delays_a_decision() {
    let mut p = StakingParams::new(vec![
        lido_like(3000, true),
        ProviderParams::single("Exchange", 7000),
    ]);
    p.churn = Churn::Fixed(50);
    p.policies.push(StakingPolicy::HarmfulAction {
        at: 10.0,
        provider: 0,
        opposed: 0.05,
        fee: None,
        quality_factor: 1.0,
    });
    let m = run(&p, 60, 2);
    let a = &m.actions()[0];
    assert!(!a.rage_quit && a.executed);
    assert_eq!(
        a.exec_at,
        Some(10.0 + 3.0 + 1_968_000.0 / 86_400.0 + 3.0 + 1.0)
    );
    assert_eq!((a.opposed, a.harmed), (150, 0));
    assert_eq!(m.stake(), &[2850, 7150]);
}

// ---------------------------------------------------------------------------------------
// Churn, Nakamoto at 2/3, layers

/// Ethereum's exit churn: max(4, ⌊active/65536⌋) per epoch, 225 epochs a day. About
/// 583,000 validators (the 2023-04-19 snapshot) give 8 per epoch, 1,800 a day; 100,000
/// give the minimum 4, 900 a day.
#[test]
fn ethereum_churn() {
    let c = Churn::ethereum();
    assert_eq!(c.limit(583_000, 1.0), 1800);
    assert_eq!(c.limit(100_000, 1.0), 900);
    assert_eq!(c.limit(100_000, 7.0), 6300);
    assert_eq!(Churn::Fixed(3).limit(1, 5.0), 3);
}

/// Strict Nakamoto at 2/3 on the vectors of validation.md §7.8 (and agreement with the
/// contract's 1/3 and 1/2): A [1,2,3,4] -> 2 (7 > 20/3); B [5,5,5,5] -> 3; D [50,25,25]
/// -> 2; E [3,1,4,1,5,9,2,6] -> 4 (9+6+5 = 20 < 62/3); F [1,1,1] -> 3 (2 = 2/3 of 3 is not
/// strictly above).
#[test]
fn nakamoto_at_two_thirds() {
    let vectors: [(&[f64], usize); 5] = [
        (&[1.0, 2.0, 3.0, 4.0], 2),
        (&[5.0; 4], 3),
        (&[50.0, 25.0, 25.0], 2),
        (&[3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0], 4),
        (&[1.0; 3], 3),
    ];
    for (v, want) in vectors {
        assert_eq!(metrics::nakamoto_at(v, 2, 3).unwrap(), Some(want), "{v:?}");
        let c = metrics::concentration(v, &MetricOptions::default()).unwrap();
        assert_eq!(metrics::nakamoto_at(v, 1, 3).unwrap(), c.nakamoto_1_3);
        assert_eq!(metrics::nakamoto_at(v, 1, 2).unwrap(), c.nakamoto_1_2);
    }
    assert_eq!(metrics::nakamoto_at(&[1.0], 1, 1).unwrap(), None);
    assert!(metrics::nakamoto_at(&[0.0], 2, 3).is_err());
}

/// Layer attribution on a fixed state: Lido-like pool (3,000 validators, 29 operators of
/// which one shares its name with an exchange, a DAO of 100 equal token holders), the
/// exchange (2,000, its own operator and owner) and a bonded pool owned by an entity that
/// also owns the exchange.
#[test]
fn layers_attribute_stake() {
    let mut lido = lido_like(2900, false);
    lido.operators[0].name = "Exchange".into();
    let mut bonded =
        ProviderParams::new("Bonded", Allocation::Bonded, even_operators("b", 10, 1000));
    bonded.governance = Governance::Owner("Exchange".into());
    let p = StakingParams::new(vec![lido, ProviderParams::single("Exchange", 2000), bonded]);
    let m = Staking::new(&p, 1.0, 1.0, 0).unwrap();
    let l = m.layers();
    // Capability: 2900, 2000, 1000 of 5900.
    assert_eq!(l.capability.nakamoto_1_3, Some(1));
    assert_eq!(l.capability.nakamoto_1_2, Some(2));
    assert_eq!(l.capability.nakamoto_2_3, Some(2));
    // Consensus: "Exchange" holds 2000 + 100 (its Lido share), 28 Lido operators 100
    // each, 10 bonded operators 100 each: 2100 of 5900 > 1/3 alone.
    let (names, v) = m.consensus_holdings();
    assert_eq!(names.len(), 1 + 28 + 10);
    assert_eq!(v[0], 2100.0);
    assert_eq!(l.consensus.nakamoto_1_3, Some(1));
    // 2/3 of 5900 = 3933.3: 2100 + 19 x 100 = 4000.
    assert_eq!(l.consensus.nakamoto_2_3, Some(20));
    // Governance: "Exchange" owns 3000, 100 token holders of 29 each.
    let (gnames, g) = m.governance_holdings();
    assert_eq!(gnames.len(), 101);
    let ex = gnames.iter().position(|n| n == "Exchange").unwrap();
    assert_eq!(g[ex], 3000.0);
    assert_eq!(l.governance.nakamoto_1_2, Some(1));
    // With a veto the Lido stake belongs to its stakers: 1000 of 2.9 each.
    let mut p2 = p.clone();
    p2.providers[0].veto = Some(Veto::mainnet(Holders::equal(1000)));
    let l2 = Staking::new(&p2, 1.0, 1.0, 0).unwrap().layers();
    assert_eq!(l2.governance.n, 1001);
    assert_eq!(
        l2.governance,
        LayerMetrics::of(
            &std::iter::once(3000.0)
                .chain(std::iter::repeat_n(2900.0 * (1.0 / 1000.0), 1000))
                .collect::<Vec<_>>()
        )
        .unwrap()
    );
}

/// Bad parameters name their field.
#[test]
fn bad_parameters_name_the_field() {
    let good = market(&[1, 1], 1.0, 0.0, 1.0);
    assert!(good.check(1.0, 10.0).is_ok());
    let field = |f: &dyn Fn(&mut StakingParams)| {
        let mut p = good.clone();
        f(&mut p);
        p.check(1.0, 10.0).unwrap_err().field
    };
    assert_eq!(field(&|p| p.gamma = -1.0), "gamma");
    assert_eq!(field(&|p| p.interoperability = 2.0), "interoperability");
    assert_eq!(field(&|p| p.providers[1].fee = 1.5), "providers[1].fee");
    assert_eq!(
        field(&|p| p.providers[1].name = "P0".into()),
        "providers[1].name"
    );
    assert_eq!(
        field(&|p| p.providers[0].operators.push(OperatorParams::new("x", 1))),
        "providers[0].operators"
    );
    assert_eq!(
        field(&|p| {
            p.providers[0].allocation = Allocation::Bonded;
            p.providers[0].operators[0].weight = Some(0.0);
        }),
        "providers[0].operators[0].weight"
    );
    assert_eq!(
        field(&|p| p.providers[0].governance = Governance::Token(Holders {
            named: vec![("a".into(), 0.7)],
            others: 0,
            others_share: 0.0,
        })),
        "providers[0].governance"
    );
    assert_eq!(
        field(&|p| p.policies.push(StakingPolicy::SelfLimit {
            window: Window::always(),
            providers: vec![5],
            cap: 0.3,
        })),
        "policy[0].providers"
    );
    assert_eq!(
        field(&|p| p.policies.push(StakingPolicy::HarmfulAction {
            at: 1.0,
            provider: 0,
            opposed: 1.2,
            fee: None,
            quality_factor: 1.0,
        })),
        "policy[0].opposed"
    );
    assert_eq!(
        field(&|p| {
            for pr in &mut p.providers {
                pr.operators[0].validators = 0;
            }
        }),
        "providers"
    );
}
