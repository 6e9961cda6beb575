//! The growth model's opt-in integrators (`growth.integrator`, DESIGN.md §4.1) against the
//! closed forms of reference/validation.md §4: convergence order, the 2.02 share, the
//! blow-up time, the frontier-scaled pull near the blow-up, and determinism.
//!
//! Two facts carry the derived tolerances. (1) For dR/dt = a R^2 (K = 1) the exact flow
//! in u = 1/R is a translation, u -> u - a h, so a perturbation of u is neither amplified
//! nor damped: the global error in u is exactly the sum of the local errors in u.
//! (2) One classical RK4 step of R' = a R^2 is R -> R P(z), z = a h R, with
//! P(z) = 1 + z + z^2 + z^3 + z^4 + (23/24) z^5 + (5/6) z^6 + ... (expanding the four
//! stages), so in u it is u -> u / P(z) = u (1 - z + z^5/24 + z^6/12 + 5 z^7/192 + ...):
//! a local error of u z^5/24 (1 + 2z + ...) <= u z^5 (1 + 3z)/24 for z <= 0.1, positive
//! (RK4 lags the convex solution).

use counterweight::model::growth::GrowthModel;
use counterweight::model::{Model, ModelError};
use counterweight::runner::{self, RunError, RunOptions};

use crate::growth_validation::{
    BLOWUP_SRC, DETERMINISM_SRC, actor_tables, closed_form, column_bits, run_with_threads, scenario,
};

/// Two or more actors from `r0`, no diffusion, K = 1, with `extra` lines in `[growth]`.
fn closed_form_src(beta: f64, a: f64, end: f64, dt: f64, r0: &[f64], extra: &str) -> String {
    format!(
        "name = \"closed-form\"\ntime = {{ end = {end:?}, dt = {dt:?} }}\n\
         [growth]\nreturns_to_scale = {beta:?}\nbase_rate = {a:?}\nreference_scale = 1.0\n{extra}\n\n{}",
        actor_tables(r0, &vec![0.0; r0.len()])
    )
}

fn run_values(src: &str) -> Vec<f64> {
    let sc = scenario(src);
    let mut m = GrowthModel::new(&sc, 0);
    for s in 1..=sc.time.steps {
        m.step(s, (s - 1) as f64 * sc.time.dt)
            .unwrap_or_else(|e| panic!("step {s}: {e}"));
    }
    m.values().to_vec()
}

/// Step until the model fails; the error, the model and the last step's start time.
fn run_to_failure(src: &str) -> (ModelError, GrowthModel) {
    let sc = scenario(src);
    let mut m = GrowthModel::new(&sc, 0);
    for s in 1..=sc.time.steps {
        if let Err(e) = m.step(s, (s - 1) as f64 * sc.time.dt) {
            return (e, m);
        }
    }
    panic!("no blow-up by t = {}", sc.time.end)
}

#[test]
fn integrator_field_is_validated_and_euler_is_the_default() {
    // An explicit "euler" is the default, bit for bit (shocks, spillover, exchange, taxes).
    let with = DETERMINISM_SRC.replace(
        "volatility = 0.3\n",
        "volatility = 0.3\nintegrator = \"euler\"\n",
    );
    assert_ne!(with, DETERMINISM_SRC);
    let (a, b) = (
        run_with_threads(&scenario(DETERMINISM_SRC), 2),
        run_with_threads(&scenario(&with), 2),
    );
    for (ra, rb) in a.final_values.iter().zip(&b.final_values) {
        assert!(ra.iter().zip(rb).all(|(x, y)| x.to_bits() == y.to_bits()));
    }
    let parse = |extra: &str| {
        counterweight::scenario::parse(
            &closed_form_src(2.0, 0.01, 1.0, 0.1, &[1.0], extra),
            "t.toml",
            None,
            &[],
        )
        .map(|_| ())
        .map_err(|e| e.to_string())
    };
    assert!(parse("integrator = \"rk4\"").is_ok());
    assert!(parse("integrator = \"adaptive\"\nrtol = 1e-9\natol = 1e-12").is_ok());
    let e = parse("integrator = \"rk5\"").unwrap_err();
    eprintln!("{e}");
    assert!(
        e.contains("growth.integrator") && e.contains("\"euler\", \"rk4\" or \"adaptive\""),
        "{e}"
    );
    let e = parse("integrator = \"rk4\"\nrtol = 1e-9").unwrap_err();
    assert!(
        e.contains("growth.rtol") && e.contains("does not apply"),
        "{e}"
    );
    let e = parse("integrator = \"adaptive\"\nrtol = 1e-15").unwrap_err();
    assert!(e.contains("growth.rtol"), "{e}");
    let e = parse("integrator = \"adaptive\"\natol = -1.0").unwrap_err();
    assert!(e.contains("growth.atol"), "{e}");
}

#[test]
fn rk4_converges_at_fourth_order_and_euler_at_first() {
    // dR/dt = a R^beta, a = 0.1, to T = 2 from R0 = 1 and 2. The error is
    // C dt^p (1 + g dt + ...), so the observed order log2(e(dt)/e(dt/2)) is
    // p + g dt/(2 ln 2) + ...; g dt is of the order of the largest z = a dt R^(beta-1)
    // (for beta = 2 exactly 2z, from the series in the module docs): z <= 0.1 * 0.1 *
    // 3.4 = 0.034 at the coarsest dt, a shift of ~0.05 for RK4 and of the same relative
    // size for Euler (see growth_validation). Bands: order 3.8..4.2, and for Euler the
    // ratio 1.7..2.3 of growth_validation (order 0.77..1.2), four times that. Rounding (~1e-14 relative after 80 steps) is below 1e-4 of the smallest error.
    let (a, t_end) = (0.1, 2.0);
    let r0 = [1.0, 2.0];
    for beta in [1.5, 2.0] {
        let err = |integ: &str, dt: f64| -> Vec<f64> {
            run_values(&closed_form_src(
                beta,
                a,
                t_end,
                dt,
                &r0,
                &format!("integrator = \"{integ}\""),
            ))
            .iter()
            .zip(r0)
            .map(|(&r, r0)| (r - closed_form(r0, beta, a, t_end)).abs())
            .collect()
        };
        for (integ, dts, band) in [
            ("rk4", [0.1, 0.05], 3.8..=4.2),
            ("euler", [0.02, 0.01], 1.7f64.log2()..=2.3f64.log2()),
        ] {
            for dt in dts {
                let (e1, e2) = (err(integ, dt), err(integ, dt / 2.0));
                for i in 0..2 {
                    let order = (e1[i] / e2[i]).log2();
                    eprintln!(
                        "  {integ}, beta = {beta}, R0 = {}: error {:.3e} at dt = {dt}, observed order {order:.4}",
                        r0[i], e1[i]
                    );
                    assert!(band.contains(&order), "{integ} order {order}");
                }
            }
        }
    }
}

/// The 2.02 example in continuous time (validation.md §4.2): beta = 2, a = 1/102, actors
/// at 1 (listed first) and 2; leader share s(t) = (102 - t)/(153 - 2t).
fn two_oh_two_share(t: f64) -> f64 {
    (102.0 - t) / (153.0 - 2.0 * t)
}

#[test]
fn rk4_and_adaptive_track_the_two_oh_two_share() {
    let a = 1.0 / 102.0;
    let r0 = [1.0, 2.0];
    let checkpoints = [1.0, 10.0, 25.0, 40.0, 50.0];
    // RK4 at dt = 0.01: by the module docs, the error in u_i at t is
    // delta u <= (1 + 3 z) sum_k u_k z_k^5 / 24 with z_k = a h / u_k; u_k^-4 is increasing
    // and u_k >= u(s) on the step, so the sum is <= (a h)^4 (u_t^-3 - u0^-3) / 72 (1 + 3z),
    // and R's relative error is <= delta u / u_t. The share moves by s (1 - s) times the
    // difference of the two relative errors. Rounding: ~4 roundings per step over 5000
    // steps, ~2e-12 relative; allow 1e-11.
    let h = 0.01;
    let sc = scenario(&closed_form_src(
        2.0,
        a,
        50.0,
        h,
        &r0,
        "integrator = \"rk4\"",
    ));
    let mut m = GrowthModel::new(&sc, 0);
    let mut step = 0u64;
    for &t in &checkpoints {
        while (step as f64) * h < t - h / 2.0 {
            step += 1;
            m.step(step, (step - 1) as f64 * h).unwrap();
        }
        let v = m.values();
        let s = v[1] / (v[0] + v[1]);
        let exact = two_oh_two_share(t);
        let rel = |r0: f64| {
            let (u0, ut) = (1.0 / r0, 1.0 / r0 - a * t);
            let z = a * h / ut;
            (1.0 + 3.0 * z) * (a * h).powi(4) * (ut.powi(-3) - u0.powi(-3)) / 72.0 / ut
        };
        let tol = exact * (1.0 - exact) * (rel(1.0) + rel(2.0)) + 1e-11;
        eprintln!(
            "  rk4 t = {t}: share {s:.12}, closed form {exact:.12}, |diff| {:.2e} <= {tol:.2e}",
            (s - exact).abs()
        );
        assert!((s - exact).abs() <= tol, "rk4 at t = {t}");
        // RK4 lags: each R is below its closed form, by at most its bound.
        for (i, &r) in r0.iter().enumerate() {
            let want = r / (1.0 - r * t / 102.0);
            assert!(v[i] <= want * (1.0 + 1e-11) && (want - v[i]) / want <= rel(r) + 1e-11);
        }
    }

    // Adaptive, rtol = 1e-10, dt = 0.1, to t = 50.9 (the leader at 511 times its start).
    // Each accepted sub-step's local error is at most rtol max(R, R_new) (the embedded
    // estimate bounds the error of the 4th-order solution, and the 5th-order one that is
    // propagated is smaller), i.e. at most rtol u_k R_new/R_k <= 2 rtol u_k in u (a
    // sub-step with z > 1/2 would have an estimate ~ z^5 >> rtol); by fact (1) the errors
    // add: |delta u| <= 2 rtol n u0 after n sub-steps, a relative error <= that / u_t.
    let rtol = 1e-10;
    let src = closed_form_src(
        2.0,
        a,
        50.9,
        0.1,
        &r0,
        "integrator = \"adaptive\"\nrtol = 1e-10",
    );
    let sc = scenario(&src);
    let mut m = GrowthModel::new(&sc, 0);
    let mut step = 0u64;
    for &t in checkpoints.iter().chain(&[50.9]) {
        while (step as f64) * 0.1 < t - 0.05 {
            step += 1;
            m.step(step, (step - 1) as f64 * 0.1).unwrap();
        }
        let v = m.values();
        let s = v[1] / (v[0] + v[1]);
        let exact = two_oh_two_share(t);
        let n = m.substeps() as f64;
        let rel = |r0: f64| 2.0 * rtol * n * (1.0 / r0) / (1.0 / r0 - a * t);
        let tol = exact * (1.0 - exact) * (rel(1.0) + rel(2.0)) + 1e-11;
        eprintln!(
            "  adaptive t = {t}: share {s:.12}, closed form {exact:.12}, |diff| {:.2e} <= {tol:.2e} ({n} sub-steps)",
            (s - exact).abs()
        );
        assert!((s - exact).abs() <= tol, "adaptive at t = {t}");
    }
}

#[test]
fn adaptive_blow_up_time_approaches_t_star() {
    // BLOWUP_SRC: beta = 2, a = 1/102, the leader from 2: t* = 51 (validation.md §4.2).
    let rtol = 1e-10;
    let src = BLOWUP_SRC.replace(
        "reference_scale = 1.0\n",
        "reference_scale = 1.0\nintegrator = \"adaptive\"\nrtol = 1e-10\n",
    );
    assert_ne!(src, BLOWUP_SRC);
    let (e, m) = run_to_failure(&src);
    eprintln!("  adaptive: {e}");
    let ModelError::BlowUp {
        time,
        actor,
        group,
        value,
        term,
        ..
    } = e
    else {
        panic!("expected a blow-up, got {e}")
    };
    assert_eq!(
        (actor, group.as_str(), term),
        (1, "leader", "returns_to_scale")
    );
    let (a, u0) = (1.0 / 102.0, 0.5);
    let t_star = u0 / a;
    // The run stops at `time` with the leader at `value`, which the exact flow takes to
    // infinity in 1/(a value) more. By fact (1) of the module docs that prediction is off
    // t* by |delta u|/a <= 2 rtol n u0 / a (n sub-steps, as in the 2.02 test), plus
    // rounding of t (~1e-12).
    let n = m.substeps() as f64;
    let predicted = time + 1.0 / (a * value);
    let tol = 2.0 * rtol * n * u0 / a + 1e-9;
    eprintln!(
        "  t* = {t_star}: stopped at t = {time} (R = {value:.3e}, {n} sub-steps), predicted t* {predicted}, |diff| {:.2e} <= {tol:.2e}",
        (predicted - t_star).abs()
    );
    assert!((predicted - t_star).abs() <= tol);
    assert!((time - t_star).abs() <= tol + 1.0 / (a * value));
    // Euler at the same dt reports the start of the step that overflowed: farther away.
    let sc = scenario(BLOWUP_SRC);
    let Err(RunError::Model {
        source: ModelError::BlowUp { time: t_euler, .. },
        ..
    }) = runner::run(&sc, &RunOptions::default())
    else {
        panic!("euler must blow up")
    };
    eprintln!("  euler at dt = 0.01 stopped at t = {t_euler}");
    assert!((time - t_star).abs() < (t_euler - t_star).abs());
}

#[test]
fn adaptive_follows_frontier_diffusion_to_the_blow_up() {
    // validation.md §4.3b: beta = 2, a frontier-scaled pull toward the mean
    // (exchange = kappa = 0.5, diffusion_scaling = "frontier"), two actors from 2 and 1.
    // The relative sizes are autonomous in tau = int a Rbar dt, which tends to infinity at
    // the blow-up, and the leader share tends to (1 + sqrt(1 - kappa))/2 = 0.853553.
    let kappa = 0.5;
    let target = (1.0 + (1.0f64 - kappa).sqrt()) / 2.0;
    let src = |integ: &str| {
        format!(
            "name = \"frontier-blow-up\"\ntime = {{ end = 100.0, dt = 0.1 }}\n\
             [growth]\nreturns_to_scale = 2.0\nbase_rate = 0.01\nreference_scale = 1.0\n\
             exchange = {kappa:?}\ndiffusion_scaling = \"frontier\"\n{integ}\n\n{}",
            actor_tables(&[2.0, 1.0], &[0.0, 0.0])
        )
    };
    // Euler at a fixed dt: tau's increment a dt Rbar outgrows 1 near the blow-up, where
    // the exact exchange factor exp(-kappa a dt Rbar) wipes out the asymmetry: the
    // leader's share collapses to 1/2 before the values overflow.
    let sc = scenario(&src(""));
    let mut m = GrowthModel::new(&sc, 0);
    let mut shares = Vec::new();
    for s in 1..=sc.time.steps {
        if m.step(s, (s - 1) as f64 * 0.1).is_err() {
            break;
        }
        let v = m.values();
        shares.push(v[0] / (v[0] + v[1]));
    }
    let last = *shares.last().unwrap();
    let peak = shares.iter().copied().fold(0.0, f64::max);
    eprintln!("  euler: peak share {peak:.6}, last finite share {last:.8} (target {target:.6})");
    assert!((last - 0.5).abs() < 1e-3 && (last - target).abs() > 0.3);

    // Adaptive, rtol = 1e-10: it follows the solution until its sub-step falls below
    // 1e-12 dt. There the share is within: the convergence left in tau (y = x^2 solves
    // dy/dtau = 2y(c - y), c = 1 - kappa, so the share is below target by
    // <= x* (c/y0 - 1) e^{-2 c tau} / 4 with y0 = 1/9; dRbar/dtau = Rbar (1 + x^2) <= 2 Rbar
    // gives tau >= ln(Rbar/Rbar0)/2), plus the integration error: each sub-step moves
    // each R by at most 2 rtol relative (as in the 2.02 test), so x by at most 2 rtol,
    // and without counting the contraction toward x*, n sub-steps move it by <= 2 rtol n.
    // Tolerance: twice the sum.
    let rtol = 1e-10;
    let (e, m) = run_to_failure(&src("integrator = \"adaptive\"\nrtol = 1e-10"));
    eprintln!("  adaptive: {e}");
    assert!(matches!(
        e,
        ModelError::BlowUp {
            term: "returns_to_scale",
            ..
        }
    ));
    let v = m.values();
    let share = v[0] / (v[0] + v[1]);
    let rbar = (v[0] + v[1]) / 2.0;
    let tau_min = (rbar / 1.5).ln() / 2.0;
    let (c, x_star) = (1.0 - kappa, (1.0 - kappa).sqrt());
    let conv = x_star * (c / (1.0 / 9.0) - 1.0) * (-2.0 * c * tau_min).exp() / 4.0;
    let n = m.substeps() as f64;
    let tol = 2.0 * (conv + 2.0 * rtol * n);
    eprintln!(
        "  adaptive: share {share:.12} at Rbar = {rbar:.3e} (tau >= {tau_min:.1}, {n} sub-steps), target {target:.12}, tol {tol:.2e}"
    );
    assert!((share - target).abs() <= tol);
}

#[test]
fn rk4_and_adaptive_are_bit_identical_on_one_and_two_threads() {
    for integ in ["rk4", "adaptive"] {
        let src = DETERMINISM_SRC.replace(
            "volatility = 0.3\n",
            &format!("volatility = 0.3\nintegrator = \"{integ}\"\n"),
        );
        let sc = scenario(&src);
        assert!(sc.actor_count() >= 4 * 8192); // the parallel path
        let (a, b) = (run_with_threads(&sc, 1), run_with_threads(&sc, 2));
        for (ra, rb) in a.final_values.iter().zip(&b.final_values) {
            assert!(
                ra.iter().zip(rb).all(|(x, y)| x.to_bits() == y.to_bits()),
                "{integ}"
            );
        }
        for (name, (ca, cb)) in a
            .metrics
            .names
            .iter()
            .zip(a.metrics.columns.iter().zip(&b.metrics.columns))
        {
            assert_eq!(column_bits(ca), column_bits(cb), "{integ}: column {name}");
        }
        // And not the default's numbers.
        let euler = run_with_threads(&scenario(DETERMINISM_SRC), 2);
        assert_ne!(euler.final_values[0], a.final_values[0], "{integ}");
    }
}
