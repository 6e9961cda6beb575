//! Validation of the d/acc model against its closed forms. Run with
//! `cargo test --release -p counterweight --test integration dacc_validation`. Derivations: docs/dacc.md.

use counterweight::model::dacc::{DaccModel, DaccParams};
use rand::RngExt;

fn base(offence: Vec<f64>, defence: Vec<f64>) -> DaccParams {
    DaccParams {
        offence,
        defence,
        attempt_rate: 0.02,
        decisiveness: 1.5,
        diffusion: 0.3,
        offence_growth: 0.0,
        defence_growth: 0.0,
        hegemon: false,
        hegemon_attempt_rate: 0.02,
    }
}

fn heterogeneous(n: usize, seed: u64) -> DaccParams {
    let mut r = counterweight::rng::stream(seed, 0);
    let a = (0..n).map(|_| 0.2 + 2.0 * r.random::<f64>()).collect();
    let d = (0..n).map(|_| 0.1 + 1.5 * r.random::<f64>()).collect();
    base(a, d)
}

fn run(p: &DaccParams, seed: u64, steps: u64, dt: f64) -> DaccModel {
    let mut m = DaccModel::new(p.clone(), seed).unwrap();
    for k in 0..steps {
        m.step(k as f64 * dt, dt);
    }
    m
}

#[test]
fn survival_is_the_closed_form_product() {
    // Constant capabilities: S(T) = Π_t Π_i (1 − p_i) = exp(−T Σ_i q s_i). The model's
    // running value, the factor-by-factor product and the exponential agree to rounding
    // (relative 1e−12 over 10,000 factors).
    let p = heterogeneous(20, 1);
    let (steps, dt) = (500u64, 0.1);
    let m = run(&p, 3, steps, dt);
    let s_model = m.stats().survival;
    let s_product = p.survival_product(steps, dt);
    let (mut h, mut a) = (Vec::new(), Vec::new());
    p.hazards(0.0, &mut h, &mut a);
    let s_exp = (-(steps as f64) * dt * h.iter().sum::<f64>()).exp();
    assert!(
        (s_model / s_product - 1.0).abs() < 1e-12,
        "{s_model} vs {s_product}"
    );
    assert!((s_exp / s_product - 1.0).abs() < 1e-12);
    assert!(
        s_model > 0.05 && s_model < 0.95,
        "an informative case: S = {s_model}"
    );
    // With growing capabilities the product still matches the running value.
    let mut g = p.clone();
    g.offence_growth = 0.03;
    g.defence_growth = 0.05;
    let m = run(&g, 3, steps, dt);
    assert!((m.stats().survival / g.survival_product(steps, dt) - 1.0).abs() < 1e-12);
}

#[test]
fn monte_carlo_survival_and_harm_match_the_closed_form() {
    // R replicates draw catastrophes with their own streams. The fraction alive at T is
    // Binomial(R, S)/R: SE sqrt(S(1−S)/R); allowed 4 SE. Realised harm per replicate is
    // a sum of independent Bernoulli(p_i)·w_i over actors and steps, mean = expected_harm,
    // variance Σ p_i(1−p_i) w_i² (computed exactly below); the mean over R is allowed 4 SE.
    let p = heterogeneous(10, 2);
    let (steps, dt, reps) = (200u64, 0.1, 4000u64);
    let mut alive = 0.0;
    let mut harm = 0.0;
    let mut survival = 0.0;
    let mut expected = 0.0;
    for r in 0..reps {
        let m = run(&p, counterweight::rng::derive_seed(77, &[r]), steps, dt);
        let s = m.stats();
        alive += f64::from(u8::from(s.alive));
        harm += s.harm;
        survival = s.survival;
        expected = s.expected_harm;
        assert_eq!(s.alive, s.catastrophes == 0);
    }
    let frac = alive / reps as f64;
    let se = (survival * (1.0 - survival) / reps as f64).sqrt();
    assert!(
        (frac - survival).abs() <= 4.0 * se,
        "{frac} vs {survival} ± {}",
        4.0 * se
    );
    let (mut h, mut a) = (Vec::new(), Vec::new());
    p.hazards(0.0, &mut h, &mut a);
    let total_a: f64 = a.iter().sum();
    let var: f64 = h
        .iter()
        .zip(&a)
        .map(|(hi, ai)| {
            let pi = -(-dt * hi).exp_m1();
            let w = ai / total_a;
            steps as f64 * pi * (1.0 - pi) * w * w
        })
        .sum();
    let mean_harm = harm / reps as f64;
    let se = (var / reps as f64).sqrt();
    assert!(
        (mean_harm - expected).abs() <= 4.0 * se,
        "{mean_harm} vs {expected} ± {}",
        4.0 * se
    );
}

#[test]
fn open_defence_with_progress_converges_to_the_continuous_closed_form() {
    // N equal actors (a, d), fully open defence (θ = 1): every target is defended by
    // e(t) = N d e^(g_d t), each attack succeeds with 1/(1 + c e^(λ t)),
    // c = (N d / a)^κ, λ = κ (g_d − g_a) > 0. The cumulative hazard to T is
    // N q ∫₀^T dt/(1 + c e^(λt)) = (N q/λ) [λT − ln((1 + c e^(λT))/(1 + c))], and
    // S(∞) = (1 + 1/c)^(−N q/λ). The model evaluates each step's hazard at its start
    // (left Riemann sum of a decreasing hazard), which overstates the integral by at most
    // dt·(h(0) − h(T)); we compare −ln S to the integral with that allowance.
    let n = 8usize;
    let (a, d, q, kappa, ga, gd) = (1.0, 0.5, 0.05, 1.0, 0.0, 0.2);
    let mut p = base(vec![a; n], vec![d; n]);
    p.attempt_rate = q;
    p.decisiveness = kappa;
    p.diffusion = 1.0;
    p.offence_growth = ga;
    p.defence_growth = gd;
    let (steps, dt) = (5000u64, 0.01);
    let t = steps as f64 * dt;
    let c = (n as f64 * d / a).powf(kappa);
    let lambda = kappa * (gd - ga);
    let nq = n as f64 * q;
    let integral = nq / lambda * (lambda * t - ((1.0 + c * (lambda * t).exp()) / (1.0 + c)).ln());
    let m = run(&p, 1, steps, dt);
    let cum = -m.stats().survival.ln();
    let h0 = nq / (1.0 + c);
    let ht = nq / (1.0 + c * (lambda * t).exp());
    assert!(
        cum >= integral && cum - integral <= dt * (h0 - ht) + 1e-12,
        "{cum} vs {integral}"
    );
    // Survival forever: S(∞) = (1 + 1/c)^(−N q/λ), i.e. a cumulative hazard of
    // (N q/λ) ln(1 + 1/c). The hazard left after T is at most (N q/(c λ)) e^(−λT)
    // (2.3e−5 here), so −ln S(T) lies within [that − tail, that + dt·h(0)].
    let cum_inf = nq / lambda * (1.0 + 1.0 / c).ln();
    let tail = nq / (c * lambda) * (-lambda * t).exp();
    assert!(
        cum >= cum_inf - tail && cum <= cum_inf + dt * h0,
        "{cum} vs {cum_inf}"
    );
}

#[test]
fn private_open_and_hegemon_rank_as_derived() {
    // N equal actors, κ = 1, a = d = 1, no growth, over T:
    //   private (θ = 0): s = a/(a + d) = ½ each, hazard N q/2;
    //   open (θ = 1): s = a/(a + N d) = 1/(N + 1), hazard N q/(N + 1);
    //   hegemon (A = N a, D = N d): s = ½, hazard q_H/2.
    let n = 10;
    let mut p = base(vec![1.0; n], vec![1.0; n]);
    p.decisiveness = 1.0;
    let q = p.attempt_rate;
    let (steps, dt) = (100u64, 1.0);
    let t = steps as f64 * dt;
    let check = |p: &DaccParams, hazard: f64, harm_rate: f64| {
        let s = run(p, 1, steps, dt).stats();
        assert!(
            (s.hazard - hazard).abs() < 1e-15,
            "{} vs {hazard}",
            s.hazard
        );
        assert!((s.survival / (-hazard * t).exp() - 1.0).abs() < 1e-12);
        // Expected harm: Σ p_i w_i per step, w_i = 1/N (the hegemon's w = 1).
        let want = steps as f64 * harm_rate;
        assert!((s.expected_harm / want - 1.0).abs() < 1e-12);
    };
    let step_p = |h: f64| -(-dt * h).exp_m1();
    p.diffusion = 0.0;
    check(&p, n as f64 * q / 2.0, step_p(q / 2.0));
    p.diffusion = 1.0;
    check(
        &p,
        n as f64 * q / (n as f64 + 1.0),
        step_p(q / (n as f64 + 1.0)),
    );
    p.hegemon = true;
    check(&p, q / 2.0, step_p(q / 2.0));
}

#[test]
fn replicates_are_reproducible() {
    let p = heterogeneous(5, 4);
    let a = run(&p, 11, 300, 0.5).stats();
    let b = run(&p, 11, 300, 0.5).stats();
    assert_eq!(a, b);
}
