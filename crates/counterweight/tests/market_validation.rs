//! The market layer against the Cournot theory of issue 12 ("Must show") and
//! docs/market.md: the Lerner–HHI identity at every equilibrium (property test, random
//! costs, firms priced out), the linear closed form against a brute-force active set, the
//! constant-elasticity equilibrium against an independent root find on Q, the symmetric
//! textbook price (η = 0), each firm's best response, and the welfare definitions.
//!
//! Everything here is deterministic (no sampling): tolerances are rounding bounds. Prices,
//! quantities and surpluses come from a handful of additions and divisions of inputs of
//! order 1–100, so each is exact to ~1e-14 relative; the identity L = HHI/ε is checked to
//! the issue's 1e-9, the closed forms to 1e-12 relative.
//!
//! Run with `cargo test --release -p counterweight --test integration market_validation`.

use counterweight::model::market::{
    CournotOutcome, Demand, MarketError, costs_from_sizes, cournot,
};
use proptest::prelude::*;

fn linear(a: f64, b: f64) -> Demand {
    Demand::Linear {
        intercept: a,
        slope: b,
    }
}

fn ce(eps: f64, scale: f64) -> Demand {
    Demand::ConstantElasticity {
        elasticity: eps,
        scale,
    }
}

fn close(got: f64, want: f64, rel: f64) -> bool {
    (got - want).abs() <= rel * want.abs().max(1e-300)
}

/// The price elasticity at the outcome, from the demand curve's own definition:
/// ε = −(dQ/dP)(P/Q): 1/b · P/Q for linear demand, the parameter for constant elasticity.
fn elasticity_at(d: &Demand, o: &CournotOutcome) -> f64 {
    match *d {
        Demand::Linear { slope, .. } => o.price / (slope * o.total_quantity),
        Demand::ConstantElasticity { elasticity, .. } => elasticity,
    }
}

/// Equilibrium conditions checked firm by firm, independently of the solver: an active
/// firm's first-order condition P + q_i P'(Q) = c_i, an inactive firm's c_i ≥ P, and no
/// profitable deviation to 0.99 q_i, 1.01 q_i or (for an inactive firm) a small positive q.
fn check_equilibrium(d: &Demand, costs: &[f64], o: &CournotOutcome) {
    let q_total: f64 = o.quantities.iter().sum();
    assert!(close(o.total_quantity, q_total, 1e-12));
    assert!(
        close(d.price(q_total), o.price, 1e-11),
        "price on the curve"
    );
    let slope = match *d {
        Demand::Linear { slope, .. } => -slope,
        Demand::ConstantElasticity { elasticity, .. } => -o.price / (elasticity * q_total),
    };
    for (i, (&c, &q)) in costs.iter().zip(&o.quantities).enumerate() {
        // Zero output earns zero (P(0) is infinite under constant elasticity).
        let profit = |x: f64| {
            if x == 0.0 {
                0.0
            } else {
                (d.price(q_total - q + x) - c) * x
            }
        };
        if q > 0.0 {
            let foc = o.price + q * slope - c;
            assert!(foc.abs() <= 1e-10 * o.price, "firm {i}: FOC residual {foc}");
            for x in [0.99 * q, 1.01 * q, 0.0] {
                assert!(
                    profit(x) <= profit(q) + 1e-12 * profit(q).abs(),
                    "firm {i} deviates to {x}"
                );
            }
        } else {
            assert!(
                c >= o.price,
                "firm {i} is out at cost {c} below the price {}",
                o.price
            );
            let eps = 1e-6 * o.total_quantity.max(1e-9);
            assert!(profit(eps) <= 0.0, "firm {i} would enter");
        }
    }
}

/// Linear demand by brute force: the k cheapest firms active for exactly one k in 0..=n
/// (c_(k) < P_k ≤ c_(k+1)); returns that price.
fn linear_brute_force(a: f64, costs: &[f64]) -> f64 {
    let mut c = costs.to_vec();
    c.sort_by(f64::total_cmp);
    let mut found = Vec::new();
    for k in 0..=c.len() {
        let p = (a + c[..k].iter().sum::<f64>()) / (k as f64 + 1.0);
        let inside_ok = c[..k].iter().all(|&x| x < p);
        let outside_ok = c[k..].iter().all(|&x| x >= p);
        if inside_ok && outside_ok {
            found.push(p);
        }
    }
    assert_eq!(found.len(), 1, "exactly one active set is an equilibrium");
    found[0]
}

/// Constant elasticity by an independent monotone root find: aggregate supply of best
/// responses at total Q, S(Q) = Σ_i max(0, εQ(1 − c_i/P(Q))), crosses Q exactly once
/// (S(Q)/Q = ε Σ max(0, 1 − c_i/P(Q)) decreases in Q). Bisection on ln Q.
fn ce_root_find(eps: f64, scale: f64, costs: &[f64]) -> f64 {
    let d = ce(eps, scale);
    let g = |lnq: f64| {
        let p = d.price(lnq.exp());
        eps * costs.iter().map(|&c| (1.0 - c / p).max(0.0)).sum::<f64>() - 1.0
    };
    let (mut lo, mut hi) = (-200.0f64, 200.0f64);
    assert!(g(lo) > 0.0 && g(hi) < 0.0);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if g(mid) > 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    d.price((0.5 * (lo + hi)).exp())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Must show: L = HHI/ε at every Cournot equilibrium, to 1e-9, with random costs;
    /// costs spread over [0.1, 40] against intercepts in [1, 30] price many firms out.
    #[test]
    fn lerner_is_hhi_over_elasticity_linear(
        a in 1.0f64..30.0,
        b in 0.05f64..5.0,
        costs in prop::collection::vec(0.1f64..40.0, 1..12),
    ) {
        let d = linear(a, b);
        let o = cournot(&d, &costs).unwrap();
        if o.active == 0 {
            prop_assert!(costs.iter().all(|&c| c >= a));
            return Ok(());
        }
        let want = o.hhi / elasticity_at(&d, &o);
        prop_assert!((o.lerner - want).abs() <= 1e-9, "L = {} vs HHI/eps = {}", o.lerner, want);
        check_equilibrium(&d, &costs, &o);
        // The closed form, against the brute-force active set.
        let p = linear_brute_force(a, &costs);
        prop_assert!(close(o.price, p, 1e-12), "{} vs {}", o.price, p);
        for (&q, &c) in o.quantities.iter().zip(&costs) {
            prop_assert!((q - ((p - c) / b).max(0.0)).abs() <= 1e-12 * (a / b));
        }
    }

    #[test]
    fn lerner_is_hhi_over_elasticity_constant_elasticity(
        eps in 0.3f64..5.0,
        scale in 0.1f64..100.0,
        costs in prop::collection::vec(0.1f64..10.0, 1..12),
    ) {
        let d = ce(eps, scale);
        let o = match cournot(&d, &costs) {
            Ok(o) => o,
            Err(MarketError::NoEquilibrium { .. }) => {
                prop_assert!(costs.len() as f64 * eps <= 1.0);
                return Ok(());
            }
            Err(e) => panic!("{e}"),
        };
        let want = o.hhi / elasticity_at(&d, &o);
        prop_assert!((o.lerner - want).abs() <= 1e-9, "L = {} vs HHI/eps = {}", o.lerner, want);
        check_equilibrium(&d, &costs, &o);
        // Against the independent root find (bisection to 2^-200 in ln Q, far below
        // rounding; the two agree to rounding of P).
        let p = ce_root_find(eps, scale, &costs);
        prop_assert!(close(o.price, p, 1e-10), "{} vs {}", o.price, p);
    }
}

/// The property tests' ranges price firms out often: on 5,000 draws from the same ranges
/// (a fixed generator), count the cases with a firm priced out and check the identity on
/// each (it must hold there too, not only on all-active markets).
#[test]
fn priced_out_firms_are_covered() {
    let mut state = 99u64;
    let mut u = || {
        state = counterweight::rng::mix64(state);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let (mut lin_out, mut ce_out) = (0, 0);
    for _ in 0..5000 {
        let n = 1 + (u() * 11.0) as usize;
        let costs: Vec<f64> = (0..n).map(|_| 0.1 + 39.9 * u()).collect();
        let d = linear(1.0 + 29.0 * u(), 0.05 + 4.95 * u());
        let o = cournot(&d, &costs).unwrap();
        if o.active > 0 && o.active < n {
            lin_out += 1;
            assert!((o.lerner - o.hhi / elasticity_at(&d, &o)).abs() <= 1e-9);
            check_equilibrium(&d, &costs, &o);
        }
        let costs: Vec<f64> = costs.iter().map(|c| c / 4.0).collect();
        let d = ce(0.3 + 4.7 * u(), 0.1 + 99.9 * u());
        if let Ok(o) = cournot(&d, &costs)
            && o.active < n
        {
            ce_out += 1;
            assert!((o.lerner - o.hhi / elasticity_at(&d, &o)).abs() <= 1e-9);
            check_equilibrium(&d, &costs, &o);
        }
    }
    println!("priced out: {lin_out} linear, {ce_out} constant-elasticity markets of 5000");
    assert!(lin_out > 500 && ce_out > 500, "{lin_out} {ce_out}");
}

/// Hand-checked markets with a firm priced out.
#[test]
fn priced_out_by_hand() {
    // A firm priced out: P = 10 − Q, costs 1, 2 and 5. Two firms: P = (10 + 3)/3 = 4.33 < 5.
    let d = linear(10.0, 1.0);
    let o = cournot(&d, &[1.0, 5.0, 2.0]).unwrap();
    assert_eq!(o.active, 2);
    assert_eq!(o.quantities[1], 0.0);
    assert!(close(o.price, 13.0 / 3.0, 1e-15));
    assert!((o.lerner - o.hhi / elasticity_at(&d, &o)).abs() <= 1e-12);
    check_equilibrium(&d, &[1.0, 5.0, 2.0], &o);
    // The same under constant elasticity: ε = 2, costs 1, 1, 3: P = 2/(2 − 1/2) = 4/3 < 3.
    let d = ce(2.0, 1.0);
    let o = cournot(&d, &[1.0, 3.0, 1.0]).unwrap();
    assert_eq!(o.active, 2);
    assert_eq!(o.quantities[1], 0.0);
    assert!(close(o.price, 4.0 / 3.0, 1e-15));
    assert!((o.lerner - o.hhi / 2.0).abs() <= 1e-12);
    // A firm exactly at the price is out (q = 0, no FOC to satisfy).
    let o = cournot(&linear(10.0, 1.0), &[1.0, 5.5]).unwrap();
    assert_eq!((o.active, o.price), (1, 5.5));
    // Under ε < 1 the cheapest ⌊1/ε⌋ + 1 produce even at a higher cost: ε = 0.4 needs 3.
    let o = cournot(&ce(0.4, 1.0), &[1.0, 1.0, 50.0, 60.0]).unwrap();
    assert!(o.active >= 3, "{}", o.active);
    assert!((o.lerner - o.hhi / 0.4).abs() <= 1e-9);
}

/// Must show: η = 0 (equal costs whatever the sizes) with N firms gives the textbook
/// symmetric Cournot price: (a + Nc)/(N + 1) for linear demand, c/(1 − 1/(Nε)) for
/// constant elasticity, each firm (a − c)/(b(N + 1)) or Q/N, and L = 1/(Nε).
#[test]
fn symmetric_textbook_price() {
    let sizes = [1.0, 7.0, 0.3, 2.5, 40.0, 0.01];
    for n in 1..=sizes.len() {
        let costs = costs_from_sizes(&sizes[..n], 2.0, 0.0, 3.0).unwrap();
        assert!(costs.iter().all(|&c| c == 2.0));
        let nf = n as f64;
        let (a, b, c) = (10.0, 0.5, 2.0);
        let o = cournot(&linear(a, b), &costs).unwrap();
        assert!(close(o.price, (a + nf * c) / (nf + 1.0), 1e-15), "n = {n}");
        for &q in &o.quantities {
            assert!(close(q, (a - c) / (b * (nf + 1.0)), 1e-14));
        }
        assert!(close(o.hhi, 1.0 / nf, 1e-14));
        // Consumer surplus bQ²/2 and DWL (P − c)²/(2b).
        let q = nf * (a - c) / (b * (nf + 1.0));
        assert!(close(o.consumer_surplus, b * q * q / 2.0, 1e-14));
        assert!(close(
            o.deadweight_loss,
            (o.price - c).powi(2) / (2.0 * b),
            1e-14
        ));
        assert_eq!(o.production_loss, 0.0);

        let eps = 1.5;
        let o = cournot(&ce(eps, 4.0), &costs).unwrap();
        let p = c / (1.0 - 1.0 / (nf * eps));
        assert!(close(o.price, p, 1e-14), "n = {n}: {} vs {p}", o.price);
        assert!(close(o.lerner, 1.0 / (nf * eps), 1e-13));
        assert!(close(o.total_quantity, 4.0 * p.powf(-eps), 1e-13));
    }
}

/// Must show: the linear-demand equilibrium matches its closed form over the active set,
/// P = (a + Σ_S c_i)/(n + 1), on a hand-computed case: P = 20 − 2Q, costs 2, 4, 6, 15.
/// Firm 4 is out: with three firms P = (20 + 12)/4 = 8 ≤ 15. q = (6, 4, 2)/2 = (3, 2, 1),
/// Q = 6, s = (1/2, 1/3, 1/6), HHI = 14/36, L = Σ s (8 − c)/8 = (3 + 4/3 + 1/3)/8 = 7/12;
/// ε = P/(bQ) = 8/12 = 2/3 and HHI/ε = 14/24 = 7/12. CS = 2·36/2 = 36; PS = 6·3 + 4·2 + 2·1
/// = 28; efficient: P = 2, Q* = 9, W* = 2·81/2 = 81; W = 64; DWL = 17 = output loss
/// (8 − 2)²/4 = 9 + production loss 2·2 + 4·1 = 8.
#[test]
fn linear_closed_form_by_hand() {
    let d = linear(20.0, 2.0);
    let costs = [2.0, 4.0, 6.0, 15.0];
    let o = cournot(&d, &costs).unwrap();
    assert_eq!(o.active, 3);
    assert_eq!(o.price, 8.0);
    assert_eq!(o.quantities, vec![3.0, 2.0, 1.0, 0.0]);
    assert_eq!(o.total_quantity, 6.0);
    assert!(close(o.hhi, 14.0 / 36.0, 1e-15));
    assert!(close(o.lerner, 7.0 / 12.0, 1e-15));
    assert!(close(o.elasticity, 2.0 / 3.0, 1e-15));
    assert_eq!(o.consumer_surplus, 36.0);
    assert_eq!(o.producer_surplus, 28.0);
    assert_eq!(o.efficient_quantity, 9.0);
    assert_eq!(o.output_loss, 9.0);
    assert_eq!(o.production_loss, 8.0);
    assert_eq!(o.deadweight_loss, 17.0);
}

/// DWL = W(efficient) − W(Cournot), W = CS + PS, computed from the other outputs: for
/// linear demand and constant elasticity ε > 1 (where CS is finite), random costs.
#[test]
fn deadweight_loss_is_the_welfare_gap() {
    let mut state = 12345u64;
    let mut uniform = || {
        state = counterweight::rng::mix64(state);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    for case in 0..500 {
        let n = 1 + (uniform() * 8.0) as usize;
        let costs: Vec<f64> = (0..n).map(|_| 0.5 + 9.5 * uniform()).collect();
        let c_min = costs.iter().cloned().fold(f64::INFINITY, f64::min);
        let (a, b) = (5.0 + 20.0 * uniform(), 0.1 + 2.0 * uniform());
        let d = linear(a, b);
        let o = cournot(&d, &costs).unwrap();
        let w_star = if a > c_min {
            (a - c_min).powi(2) / (2.0 * b)
        } else {
            0.0
        };
        let w = o.consumer_surplus + o.producer_surplus;
        assert!(
            (w_star - w - o.deadweight_loss).abs() <= 1e-12 * w_star.max(1.0),
            "linear case {case}"
        );
        let eps = 1.05 + 3.0 * uniform();
        let scale = 0.5 + 5.0 * uniform();
        let d = ce(eps, scale);
        let o = cournot(&d, &costs).unwrap();
        let w_star = scale * c_min.powf(1.0 - eps) / (eps - 1.0);
        let w = o.consumer_surplus + o.producer_surplus;
        // CS* is up to 20x larger than the DWL: cancellation costs ~1e-14 of CS*.
        assert!(
            (w_star - w - o.deadweight_loss).abs() <= 1e-11 * w_star,
            "constant-elasticity case {case}: {w_star} - {w} vs {}",
            o.deadweight_loss
        );
        assert!(o.deadweight_loss >= 0.0 && o.output_loss >= 0.0 && o.production_loss >= 0.0);
    }
}

/// The chain of the essays: economies of scale in cost (η > 0) turn unequal sizes into
/// unequal costs, larger shares, a higher HHI, a higher markup and a larger deadweight loss.
#[test]
fn returns_to_scale_raise_markup_and_welfare_loss() {
    let sizes = [8.0, 4.0, 2.0, 1.0, 1.0];
    let d = linear(10.0, 1.0);
    let mut last: Option<CournotOutcome> = None;
    for eta in [0.0, 0.2, 0.4, 0.6] {
        let costs = costs_from_sizes(&sizes, 4.0, eta, 3.2).unwrap();
        let o = cournot(&d, &costs).unwrap();
        if let Some(prev) = &last {
            assert!(o.hhi > prev.hhi, "eta {eta}: HHI");
            assert!(o.lerner > prev.lerner, "eta {eta}: Lerner");
            assert!(o.shares[0] > prev.shares[0], "eta {eta}: leader share");
        }
        last = Some(o);
    }
    // A size-0 firm under η > 0 cannot produce.
    let costs = costs_from_sizes(&[1.0, 0.0], 1.0, 0.5, 1.0).unwrap();
    assert_eq!(costs[1], f64::INFINITY);
    let o = cournot(&d, &costs).unwrap();
    assert_eq!((o.active, o.hhi), (1, 1.0));
    // Errors name the field.
    assert!(matches!(
        costs_from_sizes(&[1.0], 1.0, -0.1, 1.0),
        Err(MarketError::InvalidParameter {
            field: "cost_elasticity",
            ..
        })
    ));
    assert!(matches!(
        costs_from_sizes(&[1.0, -1.0], 1.0, 0.1, 1.0),
        Err(MarketError::InvalidSize { firm: 1, .. })
    ));
}

// --- Through the registry: scenario text -> scenario::parse -> runner::run_experiment ----

mod registry_path {
    use counterweight::runner::{self, RunOptions};
    use counterweight::scenario;
    use counterweight::table::Table;

    fn run(src: &str) -> Vec<(String, Table)> {
        let exp = scenario::parse(src, "test", None, &[]).unwrap_or_else(|e| panic!("{e}"));
        runner::run_experiment(&exp, &RunOptions::default())
            .unwrap()
            .variants
            .into_iter()
            .map(|(l, o)| (l, o.metrics))
            .collect()
    }

    fn col(t: &Table, name: &str) -> Vec<f64> {
        t.f64_column(name)
            .unwrap_or_else(|| panic!("no column {name}"))
    }

    fn rel(got: f64, want: f64) -> f64 {
        (got - want).abs() / want.abs().max(1e-300)
    }

    const CORNER: &str = r#"
name = "corner"
model = "market"
[market]
demand = "linear"
intercept = 10.0
slope = 1.0
[[actors]]
group = "incumbents"
count = 4
initial = { values = [1.0, 1.5, 2.0, 3.0] }
[[actors]]
group = "entrant"
count = 1
initial = { values = [9.5] }
"#;

    /// `model = "market"` alone, a firm priced out: every recorded number against its hand
    /// closed form. P = (10 + 7.5)/5 = 3.5, q = (2.5, 2, 1.5, 0.5, 0), Q = 6.5,
    /// HHI = (2.5² + 2² + 1.5² + 0.5²)/6.5², ε = P/(bQ) = 3.5/6.5, CS = Q²/2 = 21.125,
    /// output loss (P − c_min)²/2 = 3.125, production loss Σ (c_i − 1) q_i = 3.5. Deterministic:
    /// a handful of operations on inputs of order 1–10, so 1e-12 relative is a rounding bound.
    #[test]
    fn market_alone_matches_the_closed_form() {
        let v = run(CORNER);
        assert_eq!(v.len(), 1);
        let t = &v[0].1;
        // Step 0 (the initial state) and step 1 (one step is enough): the same market.
        assert_eq!(col(t, "step"), vec![0.0, 1.0]);
        let hhi = (2.5f64.powi(2) + 4.0 + 2.25 + 0.25) / 6.5f64.powi(2);
        for row in 0..2 {
            assert!(rel(col(t, "price")[row], 3.5) < 1e-12);
            assert!(rel(col(t, "market_hhi")[row], hhi) < 1e-12);
            // The concentration of the actors' values (quantities) is that of market shares.
            assert!(rel(col(t, "hhi")[row], hhi) < 1e-12);
            assert!(rel(col(t, "top1_share")[row], 2.5 / 6.5) < 1e-12);
            assert!(rel(col(t, "demand_elasticity")[row], 3.5 / 6.5) < 1e-12);
            // Lerner = HHI / ε to the issue's 1e-9.
            let l = col(t, "lerner")[row];
            assert!((l - hhi / (3.5 / 6.5)).abs() < 1e-9, "{l}");
            assert!(rel(col(t, "consumer_surplus")[row], 21.125) < 1e-12);
            assert!(rel(col(t, "output_loss")[row], 3.125) < 1e-12);
            assert!(rel(col(t, "production_loss")[row], 3.5) < 1e-12);
            assert!(rel(col(t, "deadweight_loss")[row], 6.625) < 1e-12);
            assert_eq!(col(t, "active_firms")[row], 4.0);
            // The priced-out group sells nothing: share 0, its concentration undefined.
            assert_eq!(col(t, "share.entrant")[row], 0.0);
            assert!(col(t, "hhi.entrant")[row].is_nan());
        }
    }

    fn layer(reference: &str, eta: f64) -> String {
        format!(
            r#"
name = "layer"
seed = 3
time = {{ end = 2.0, dt = 0.02 }}
[growth]
base_rate = 0.5
reference_scale = 1.0
[market]
demand = "linear"
intercept = 5.0
cost = 1.0
cost_elasticity = {eta}
{reference}
[[actors]]
group = "firms"
count = 4
initial = {{ values = [0.5, 1.0, 1.5, 2.0] }}
[[actors]]
group = "bystanders"
count = 2
initial = {{ values = [100.0, 100.0] }}
[output]
every = 10
"#
        )
    }

    /// `[market]` on the growth model, costs from sizes. With β = 1 and no other term each
    /// size grows by (1 + a·dt) per step, so at step s, R_i = R_i(0)(1 + a dt)^s and
    /// c_i = c0 R_i^(−η) (K = 1, fixed). All four firms stay active (c_i < 5/5 + …), so
    /// P = (a + Σ c_i)/5. The growth step is x + dt·a·x, one rounding per step: after 100
    /// steps the sizes agree with the power to ~1e-13 relative, so 1e-10 is a safe bound.
    /// Only the firm groups enter the market (`groups`).
    #[test]
    fn growth_layer_prices_follow_the_sizes() {
        let v = run(&(layer("groups = [\"firms\"]", 0.5)));
        let t = &v[0].1;
        let steps = col(t, "step");
        let price = col(t, "price");
        assert_eq!(steps.len(), 11);
        for (k, &s) in steps.iter().enumerate() {
            let g = (1.0 + 0.5 * 0.02f64).powi(s as i32);
            let costs: Vec<f64> = [0.5, 1.0, 1.5, 2.0]
                .iter()
                .map(|r0: &f64| (r0 * g).powf(-0.5))
                .collect();
            let want = (5.0 + costs.iter().sum::<f64>()) / 5.0;
            assert!(costs.iter().all(|&c| c < want));
            assert!(
                rel(price[k], want) < 1e-10,
                "step {s}: {} vs {want}",
                price[k]
            );
            assert_eq!(col(t, "active_firms")[k], 4.0);
        }
        // Costs fall as every firm grows: the price falls.
        assert!(price[10] < price[0]);
    }

    /// With `reference = "mean"` costs depend on relative size only, which proportional
    /// growth leaves unchanged: the market is the same at every step (to rounding).
    #[test]
    fn relative_costs_ignore_common_growth() {
        let v = run(&layer("groups = [\"firms\"]\nreference = \"mean\"", 0.5));
        let t = &v[0].1;
        let price = col(t, "price");
        let l = col(t, "lerner");
        for k in 1..price.len() {
            assert!(rel(price[k], price[0]) < 1e-12, "{price:?}");
            assert!(rel(l[k], l[0]) < 1e-12);
        }
        // η = 0: every firm has cost c0, the symmetric price (a + N c)/(N + 1) = 9/5, and
        // with all six actors (the default `groups`) (5 + 6)/7.
        let t = &run(&layer("groups = [\"firms\"]", 0.0))[0].1;
        assert!(col(t, "price").iter().all(|&p| rel(p, 9.0 / 5.0) < 1e-12));
        let t = &run(&layer("", 0.0))[0].1;
        assert!(col(t, "price").iter().all(|&p| rel(p, 11.0 / 7.0) < 1e-12));
    }

    /// The embedded `market-power` example shows the chain: increasing returns raise the
    /// market HHI, the Lerner index and the deadweight loss above the proportional case;
    /// forced diffusion brings all three back down, under increasing and under proportional
    /// returns. Deterministic (fixed seed, no shocks); the margins asserted are a fraction of
    /// the measured gaps (HHI 0.11 → 0.49 → 0.10, Lerner 0.23 → 0.65 → 0.21, DWL 0.42 →
    /// 1.48 → 0.10; proportional + diffusion: HHI 0.100, Lerner 0.214, DWL 0.115).
    #[test]
    fn market_power_example_shows_the_chain() {
        let ex = scenario::examples::find("market-power").expect("embedded");
        let v = run(ex.toml);
        assert_eq!(v.len(), 4);
        let last = |t: &Table, c: &str| *col(t, c).last().unwrap();
        let [prop, incr, diff, prop_diff] = [&v[0].1, &v[1].1, &v[2].1, &v[3].1];
        for c in ["market_hhi", "lerner", "deadweight_loss"] {
            let (p, i, d, pd) = (
                last(prop, c),
                last(incr, c),
                last(diff, c),
                last(prop_diff, c),
            );
            eprintln!(
                "{c}: proportional {p:.4}, increasing {i:.4}, + forced diffusion {d:.4}; proportional + forced diffusion {pd:.4}"
            );
            assert!(i > 2.0 * p, "{c}: {i} vs {p}");
            assert!(d < 0.5 * i, "{c}: {d} vs {i}");
            // Diffusion evens out sizes, hence costs: below the proportional case without it.
            assert!(pd < p, "{c}: {pd} vs {p}");
        }
        // The mandate's largest effect is on the deadweight loss (0.42 -> 0.12).
        let dwl = |t: &Table| last(t, "deadweight_loss");
        assert!(dwl(prop_diff) < 0.5 * dwl(prop));
    }

    fn err(src: &str) -> scenario::ScenarioError {
        scenario::parse(src, "test", None, &[]).expect_err("rejected")
    }

    /// Bad `[market]` sections name the field.
    #[test]
    fn bad_market_sections_are_located() {
        let cases: &[(&str, &str, &str)] = &[
            ("intercept = 10.0", "intercept = -1.0", "market.intercept"),
            ("intercept = 10.0", "elasticity = 2.0", "market.elasticity"),
            ("intercept = 10.0\n", "", "market.intercept"),
            (
                "demand = \"linear\"",
                "demand = \"kinked\"",
                "market.demand",
            ),
            ("slope = 1.0", "slope = 1.0\ncost = 2.0", "market.cost"),
            (
                "slope = 1.0",
                "slope = 1.0\ngroups = [\"incumbents\"]",
                "market.groups",
            ),
        ];
        for (from, to, field) in cases {
            let src = if to.is_empty() {
                CORNER.replace(from, "")
            } else {
                CORNER.replace(from, to)
            };
            let e = err(&src);
            assert_eq!(e.field.as_deref(), Some(*field), "{e}");
        }
        // Constant elasticity 0.2 with five firms: n ε = 1, no equilibrium.
        let ce = CORNER.replace(
            "demand = \"linear\"\nintercept = 10.0\nslope = 1.0",
            "demand = \"constant_elasticity\"\nelasticity = 0.2",
        );
        let e = err(&ce);
        assert_eq!(e.field.as_deref(), Some("market.elasticity"), "{e}");
        // Nothing is sold: every cost at or above the intercept.
        let e = err(&CORNER.replace("intercept = 10.0", "intercept = 0.5"));
        assert_eq!(e.field.as_deref(), Some("market.intercept"), "{e}");
        assert!(e.message.contains("no firm produces"), "{e}");
        // On the growth model: an unknown firm group, and given costs.
        let e = err(&layer("groups = [\"banks\"]", 0.5));
        assert_eq!(e.field.as_deref(), Some("market.groups[0]"), "{e}");
        assert!(e.help.unwrap().contains("firms, bystanders"));
        let e = err(&layer("costs = \"given\"", 0.5));
        assert_eq!(e.field.as_deref(), Some("market.costs"), "{e}");
        // Located in the text.
        let e = err(&CORNER.replace("intercept = 10.0", "intercept = -1.0"));
        assert!(e.location.is_some(), "{e}");
    }
}
