//! Validation of the checks model: fixed points, the Jacobian's eigenvalue criterion
//! against simulated stability on random check matrices, a closed-form threshold, the
//! response to a change of C, and the noise. Run with
//! `cargo test --release -p counterweight --test integration checks_validation`. Derivations: docs/checks.md.

use counterweight::model::checks::{CheckChange, ChecksModel, ChecksParams, Force, Stability};
use rand::RngExt;

fn forces(growth: &[f64], beta: &[f64], power: &[f64]) -> Vec<Force> {
    (0..growth.len())
        .map(|g| Force {
            name: format!("f{g}"),
            power: power[g],
            growth: growth[g],
            returns_to_scale: beta[g],
        })
        .collect()
}

fn norm_rel(p: &[f64], star: &[f64]) -> f64 {
    p.iter()
        .zip(star)
        .map(|(a, b)| ((a - b) / b).powi(2))
        .sum::<f64>()
        .sqrt()
}

/// Simulate from x*(1 + 1e−7·u) and classify: `Some(true)` if the relative deviation
/// shrank below 1e−11 (decay by 10⁴), `Some(false)` if it grew above 1e−3 (growth by 10⁴,
/// still in the linear regime), `None` if neither within `max_steps`.
fn simulate(p: &ChecksParams, star: &[f64], dt: f64, max_steps: u64, seed: u64) -> Option<bool> {
    let mut rng = counterweight::rng::stream(seed, 3);
    let start: Vec<f64> = star
        .iter()
        .map(|v| v * (1.0 + 1e-7 * (2.0 * rng.random::<f64>() - 1.0)))
        .collect();
    let mut m = ChecksModel::new(p.clone(), 1).unwrap();
    m.set_powers(&start);
    for k in 1..=max_steps {
        m.step(k, (k - 1) as f64 * dt, dt).ok()?;
        let d = norm_rel(m.powers(), star);
        if d < 1e-11 {
            return Some(true);
        }
        if d > 1e-3 {
            return Some(false);
        }
    }
    None
}

#[test]
fn stability_matches_the_eigenvalue_criterion_on_random_matrices() {
    // Random G ∈ {2..5}, C_gh uniform in [−1, 1] (diagonal in [−2, 0]), β_g in
    // [0.7, 1.3], a chosen so that a random x* in [0.5, 2]^G is the balanced point:
    // a_g = −(C x*)_g / x*_g^(β_g − 1). The step map's Jacobian at x* is I + dt J, so a
    // small perturbation decays iff ρ = max|1 + dt λ| < 1. Cases with |ln ρ| < 2e−4 are
    // skipped (a 10⁴ change would need > 46,000 steps). Transient (non-normal) growth of
    // 10⁴ before decay does not occur at these sizes; the verdict must agree in every
    // case; the continuous criterion (Re λ < 0) must agree too wherever
    // dt|λ|²/2 < |Re λ| for every eigenvalue.
    let dt = 0.01;
    let mut rng = counterweight::rng::stream(2026, 0);
    let (mut stable, mut unstable, mut skipped) = (0, 0, 0);
    for case in 0..300u64 {
        let g = 2 + (case % 4) as usize;
        let mut c = vec![0.0; g * g];
        for i in 0..g {
            for h in 0..g {
                c[i * g + h] = if i == h {
                    -2.0 * rng.random::<f64>()
                } else {
                    2.0 * rng.random::<f64>() - 1.0
                };
            }
        }
        let x: Vec<f64> = (0..g).map(|_| 0.5 + 1.5 * rng.random::<f64>()).collect();
        let beta: Vec<f64> = (0..g).map(|_| 0.7 + 0.6 * rng.random::<f64>()).collect();
        let a: Vec<f64> = (0..g)
            .map(|i| {
                let cx: f64 = (0..g).map(|h| c[i * g + h] * x[h]).sum();
                -cx / x[i].powf(beta[i] - 1.0)
            })
            .collect();
        let p = ChecksParams {
            forces: forces(&a, &beta, &x),
            checks: c.clone(),
            reference_scale: 1.0,
            volatility: 0.0,
            changes: vec![],
        };
        let s = Stability::of(&p.jacobian(&c, &x), dt);
        let log_rho = s.step_radius.ln();
        if log_rho.abs() < 2e-4 {
            skipped += 1;
            continue;
        }
        let max_steps = (3.0 * (1e4f64).ln() / log_rho.abs()).ceil() as u64 + 100;
        let verdict = simulate(&p, &x, dt, max_steps, case)
            .unwrap_or_else(|| panic!("case {case}: no verdict in {max_steps} steps ({s:?})"));
        assert_eq!(
            verdict,
            s.is_step_stable(),
            "case {case}: simulation says stable = {verdict}, eigenvalues {:?}",
            s.eigenvalues
        );
        // Euler's |1 + dt λ|² = 1 + 2 dt Re λ + dt²|λ|²: the two criteria agree whenever
        // dt|λ|²/2 < |Re λ| for every eigenvalue.
        if s.eigenvalues
            .iter()
            .all(|&(re, im)| dt * (re * re + im * im) / 2.0 < re.abs())
        {
            assert_eq!(s.is_stable(), s.is_step_stable(), "case {case}: {s:?}");
        }
        if verdict {
            stable += 1;
        } else {
            unstable += 1;
        }
    }
    // Both outcomes are exercised.
    assert!(
        stable > 30 && unstable > 30,
        "{stable} stable, {unstable} unstable, {skipped} skipped"
    );
}

#[test]
fn newton_finds_the_balanced_point() {
    // β ≠ 1: construct x*, start Newton from 20% away; with β = 1 it is −C⁻¹a.
    let c = vec![-1.0, -0.3, 0.2, 0.1, -0.8, -0.4, -0.2, 0.3, -1.2];
    let x = [0.8, 1.3, 0.6];
    let beta = [1.2, 0.9, 1.1];
    let a: Vec<f64> = (0..3)
        .map(|i| -(0..3).map(|h| c[i * 3 + h] * x[h]).sum::<f64>() / x[i].powf(beta[i] - 1.0))
        .collect();
    let p = ChecksParams {
        forces: forces(&a, &beta, &[1.0; 3]),
        checks: c.clone(),
        reference_scale: 1.0,
        volatility: 0.0,
        changes: vec![],
    };
    let found = p.fixed_point(&c, &[1.0, 1.0, 1.0]).unwrap();
    assert!(norm_rel(&found, &x) < 1e-10, "{found:?}");
}

#[test]
fn symmetric_forces_lose_balance_at_the_closed_form_threshold() {
    // G equal forces, C_gg = −d, C_gh = −c (mutual restraint), growth a, returns β < 2.
    // Balanced point x*^(2−β) = a/(d + (G−1)c). Eigenvalues of J:
    //   uniform mode      x*(β − 2)(d + (G−1)c)       (< 0 for β < 2),
    //   G−1 differential  x*[c − d + (β − 1)(d + (G−1)c)],
    // so the balance holds iff β < β_c = 1 + (d − c)/(d + (G−1)c). G = 3, d = 1, c = 0.5:
    // β_c = 1.25.
    let (g, d, c, a) = (3usize, 1.0, 0.5, 1.0);
    let beta_c = 1.0 + (d - c) / (d + (g as f64 - 1.0) * c);
    assert!((beta_c - 1.25).abs() < 1e-15);
    let dt = 0.01;
    for (beta, stable) in [(1.2, true), (1.3, false)] {
        let mut m = vec![-c; g * g];
        for i in 0..g {
            m[i * g + i] = -d;
        }
        let xs = (a / (d + (g as f64 - 1.0) * c)).powf(1.0 / (2.0 - beta));
        let p = ChecksParams {
            forces: forces(&[a; 3], &[beta; 3], &[xs; 3]),
            checks: m.clone(),
            reference_scale: 1.0,
            volatility: 0.0,
            changes: vec![],
        };
        let star = vec![xs; 3];
        let s = Stability::of(&p.jacobian(&m, &star), dt);
        let diff = xs * (c - d + (beta - 1.0) * (d + (g as f64 - 1.0) * c));
        let uniform = xs * (beta - 2.0) * (d + (g as f64 - 1.0) * c);
        assert!(
            (s.eigenvalues[0].0 - diff.max(uniform)).abs() < 1e-12,
            "{s:?}"
        );
        assert_eq!(s.is_stable(), stable);
        assert_eq!(simulate(&p, &star, dt, 200_000, 1), Some(stable));
    }
}

#[test]
fn a_merger_moves_the_system_to_the_new_balance() {
    // State and business restrain each other (C = −0.2) until t = 20, then feed each
    // other (+0.2: capture). The balance of the new matrix is stable here (checked), so
    // the simulation, started at the old balance, ends at the new one; the merged pair's
    // share rises and civic society's falls.
    let base = vec![
        -1.0, -0.2, -0.3, // state: restrained by business, courts/press
        -0.2, -1.0, -0.3, // business
        -0.3, -0.3, -1.0, // civic
    ];
    let mut p = ChecksParams {
        forces: forces(&[1.0; 3], &[1.0; 3], &[1.0; 3]),
        checks: base.clone(),
        reference_scale: 1.0,
        volatility: 0.0,
        changes: vec![],
    };
    let old = p.fixed_point(&base, &[1.0; 3]).unwrap();
    p.changes = vec![
        CheckChange {
            from: 20.0,
            until: None,
            force: 0,
            by: 1,
            value: 0.2,
        },
        CheckChange {
            from: 20.0,
            until: None,
            force: 1,
            by: 0,
            value: 0.2,
        },
    ];
    let merged = p.checks_at(20.0);
    let new = p.fixed_point(&merged, &old).unwrap();
    let dt = 0.01;
    assert!(Stability::of(&p.jacobian(&merged, &new), dt).is_step_stable());
    p.forces = forces(&[1.0; 3], &[1.0; 3], &old);
    let mut m = ChecksModel::new(p, 1).unwrap();
    let share = |v: &[f64]| v[2] / v.iter().sum::<f64>();
    for k in 1..=20_000u64 {
        m.step(k, (k - 1) as f64 * dt, dt).unwrap();
        if k == 1999 {
            // Before the change the old balance holds (to rounding).
            assert!(norm_rel(m.powers(), &old) < 1e-12);
        }
    }
    assert!(
        norm_rel(m.powers(), &new) < 1e-9,
        "{:?} vs {new:?}",
        m.powers()
    );
    assert!(share(&new) < share(&old));
    let st = m.stats();
    assert!((st.shares.iter().sum::<f64>() - 1.0).abs() < 1e-15);
    assert!(st.concentration.hhi > 1.0 / 3.0);
}

#[test]
fn shocks_have_the_ito_variance_and_are_reproducible() {
    // C = 0, a = 0: ln P_g(T) = ln P_g(0) + Σ (σ√dt Z − σ² dt/2): mean −σ²T/2, variance
    // σ²T exactly. 500 forces at σ = 0.3, T = 4 (400 steps): the sample variance has
    // SE σ²T sqrt(2/(n−1)) = 0.023; allowed 4.5 SE. The mean: SE σ√T/√n.
    let n = 500;
    let (sigma, dt, steps) = (0.3, 0.01, 400u64);
    let t = dt * steps as f64;
    let make = || ChecksParams {
        forces: forces(&vec![0.0; n], &vec![1.0; n], &vec![1.0; n]),
        checks: vec![0.0; n * n],
        reference_scale: 1.0,
        volatility: sigma,
        changes: vec![],
    };
    let mut m = ChecksModel::new(make(), 5).unwrap();
    let mut twin = ChecksModel::new(make(), 5).unwrap();
    for k in 1..=steps {
        m.step(k, (k - 1) as f64 * dt, dt).unwrap();
        twin.step(k, (k - 1) as f64 * dt, dt).unwrap();
    }
    assert_eq!(m.powers(), twin.powers());
    let logs: Vec<f64> = m.powers().iter().map(|p| p.ln()).collect();
    let mean = logs.iter().sum::<f64>() / n as f64;
    let var = logs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    let v = sigma * sigma * t;
    assert!(
        (var - v).abs() <= 4.5 * v * (2.0 / (n - 1) as f64).sqrt(),
        "{var} vs {v}"
    );
    assert!(
        (mean + v / 2.0).abs() <= 4.5 * v.sqrt() / (n as f64).sqrt(),
        "{mean}"
    );
}
