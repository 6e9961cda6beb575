//! Metrics: the exact test vectors of validation.md §7.8, properties, and known
//! distributions.

use counterweight::io::Column;
use counterweight::metrics::{
    Concentration, MetricColumns, MetricOptions, MetricsError, concentration, hill, lorenz,
    top_share,
};
use proptest::prelude::*;
use rand::RngExt;
use rand_distr::{LogNormal, Pareto};

fn conc(v: &[f64]) -> Concentration {
    concentration(v, &MetricOptions::default()).unwrap()
}

fn assert_close(got: f64, want: f64, tol: f64, what: &str) {
    assert!(
        (got - want).abs() <= tol,
        "{what}: got {got:.15}, want {want:.15} (tol {tol:e})"
    );
}

// ---------------------------------------------------------------------------------------
// §7.8 table: population Gini, HHI, 1/HHI, Theil T, top-1, Nakamoto strict at 1/2 and 1/3.
// ---------------------------------------------------------------------------------------

struct Vector {
    name: &'static str,
    x: &'static [f64],
    gini: f64,
    hhi: f64,
    inv_hhi: f64,
    theil_t: f64,
    top1: f64,
    nc_half: usize,
    nc_third: usize,
}

const VECTORS: &[Vector] = &[
    Vector {
        name: "A",
        x: &[1.0, 2.0, 3.0, 4.0],
        gini: 0.25,
        hhi: 0.30,
        inv_hhi: 1.0 / 0.3,
        theil_t: 0.1064401353,
        top1: 0.4,
        nc_half: 2,
        nc_third: 1,
    },
    Vector {
        name: "B",
        x: &[5.0, 5.0, 5.0, 5.0],
        gini: 0.0,
        hhi: 0.25,
        inv_hhi: 4.0,
        theil_t: 0.0,
        top1: 0.25,
        nc_half: 3,
        nc_third: 2,
    },
    Vector {
        name: "C",
        x: &[0.0, 0.0, 0.0, 10.0],
        gini: 0.75,
        hhi: 1.0,
        inv_hhi: 1.0,
        theil_t: 1.3862943611, // ln 4
        top1: 1.0,
        nc_half: 1,
        nc_third: 1,
    },
    Vector {
        name: "D",
        x: &[50.0, 25.0, 25.0],
        gini: 1.0 / 6.0,
        hhi: 0.375,
        inv_hhi: 1.0 / 0.375,
        theil_t: 0.0588915178,
        top1: 0.5,
        nc_half: 2,
        nc_third: 1,
    },
    Vector {
        name: "E",
        x: &[3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0],
        gini: 91.0 / 248.0,
        hhi: 173.0 / 961.0,
        inv_hhi: 961.0 / 173.0,
        theil_t: 0.2196503451,
        top1: 9.0 / 31.0,
        nc_half: 3,
        nc_third: 2,
    },
    Vector {
        name: "F",
        x: &[1.0, 1.0, 1.0],
        gini: 0.0,
        hhi: 1.0 / 3.0,
        inv_hhi: 3.0,
        theil_t: 0.0,
        top1: 1.0 / 3.0,
        nc_half: 2,
        nc_third: 2,
    },
];

#[test]
fn validation_table_7_8() {
    for v in VECTORS {
        let c = conc(v.x);
        let name = v.name;
        assert_eq!(c.n, v.x.len(), "{name} n");
        assert_close(c.total, v.x.iter().sum(), 0.0, &format!("{name} total"));
        assert_close(c.gini, v.gini, 1e-12, &format!("{name} gini"));
        assert_close(c.hhi, v.hhi, 1e-12, &format!("{name} hhi"));
        assert_close(
            c.hhi * 1e4,
            v.hhi * 1e4,
            1e-8,
            &format!("{name} hhi x 10^4"),
        );
        assert_close(
            c.effective_number,
            v.inv_hhi,
            1e-12,
            &format!("{name} 1/hhi"),
        );
        // Theil values in the table have 10 decimals.
        assert_close(c.theil_t, v.theil_t, 1e-10, &format!("{name} theil_t"));
        assert_close(c.top1_share, v.top1, 1e-15, &format!("{name} top1"));
        assert_eq!(c.nakamoto_1_2, Some(v.nc_half), "{name} NC>1/2");
        assert_eq!(c.nakamoto_1_3, Some(v.nc_third), "{name} NC>1/3");
    }
    // Extra exact forms from the table.
    assert_close(
        conc(&[0.0, 0.0, 0.0, 10.0]).theil_t,
        4f64.ln(),
        1e-15,
        "C ln4",
    );
    // E's top-2 = 15/31 (between 1/3 and 1/2), with top_k = 2.
    let e = concentration(
        &[3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0],
        &MetricOptions {
            top_k: 2,
            hill_k: None,
        },
    )
    .unwrap();
    assert_close(e.topk_share, 15.0 / 31.0, 1e-15, "E top-2");
}

#[test]
fn top_p_shares_of_a() {
    let a = [1.0, 2.0, 3.0, 4.0];
    assert_close(top_share(&a, 0.25).unwrap(), 0.4, 1e-15, "top 25%");
    assert_close(top_share(&a, 0.50).unwrap(), 0.7, 1e-15, "top 50%");
    // top 30% of n = 4 covers 1.2 entities: (4 + 0.2*3)/10.
    assert_close(top_share(&a, 0.30).unwrap(), 0.46, 1e-12, "top 30%");
    assert_close(top_share(&a, 0.0).unwrap(), 0.0, 0.0, "top 0%");
    assert_close(top_share(&a, 1.0).unwrap(), 1.0, 0.0, "top 100%");
    // top 10% of A = 0.4 entities of the largest; top 1% = 0.04 of it.
    let c = conc(&a);
    assert_close(c.top10pct_share, 0.4 * 4.0 / 10.0, 1e-15, "A top10pct");
    assert_close(c.top1pct_share, 0.04 * 4.0 / 10.0, 1e-15, "A top1pct");
    // n = 200: top 1% = 2 entities exactly, top 10% = 20 entities.
    let v: Vec<f64> = (1..=200).map(f64::from).collect();
    let c = conc(&v);
    let total = 200.0 * 201.0 / 2.0;
    assert_close(
        c.top1pct_share,
        (200.0 + 199.0) / total,
        1e-15,
        "n=200 top1%",
    );
    let top20: f64 = (181..=200).map(f64::from).sum();
    assert_close(c.top10pct_share, top20 / total, 1e-15, "n=200 top10%");
    // topk with k > n is everything, k = 0 nothing.
    let all = concentration(
        &a,
        &MetricOptions {
            top_k: 10,
            hill_k: None,
        },
    )
    .unwrap();
    assert_eq!(all.topk_share, 1.0);
    let none = concentration(
        &a,
        &MetricOptions {
            top_k: 0,
            hill_k: None,
        },
    )
    .unwrap();
    assert_eq!(none.topk_share, 0.0);
}

#[test]
fn hill_vectors() {
    let x = [1.0, 2.0, 4.0, 8.0, 16.0];
    let ln2 = 2f64.ln();
    let h4 = hill(&x, Some(4)).unwrap();
    assert_eq!(h4.k, 4);
    assert_close(h4.alpha, 1.0 / (2.5 * ln2), 1e-12, "hill k=4");
    assert_close(h4.alpha, 0.5770780164, 1e-10, "hill k=4 table");
    assert_close(h4.se, h4.alpha / 2.0, 1e-15, "hill k=4 se");
    let h2 = hill(&x, Some(2)).unwrap();
    assert_close(h2.alpha, 1.0 / (1.5 * ln2), 1e-12, "hill k=2");
    assert_close(h2.alpha, 0.9617966939, 1e-10, "hill k=2 table");
    assert_close(h2.se, h2.alpha / 2f64.sqrt(), 1e-15, "hill k=2 se");
    // Through concentration(): default k = round(sqrt 5) = 2.
    let c = conc(&x);
    assert_close(c.hill_alpha, h2.alpha, 0.0, "default k");
    let c4 = concentration(
        &x,
        &MetricOptions {
            top_k: 3,
            hill_k: Some(4),
        },
    )
    .unwrap();
    assert_close(c4.hill_alpha, h4.alpha, 0.0, "explicit k");
    assert_close(c4.hill_se, h4.se, 0.0, "explicit k se");
    // Order does not matter.
    assert_eq!(hill(&[16.0, 1.0, 8.0, 2.0, 4.0], Some(4)).unwrap(), h4);
    // Explicit k clamped to n-1.
    assert_eq!(hill(&x, Some(99)).unwrap(), h4);
    // NaN when n < 2 or when the threshold is zero.
    let one = conc(&[3.0]);
    assert!(one.hill_alpha.is_nan() && one.hill_se.is_nan());
    assert_eq!(one.gini, 0.0);
    assert_eq!(one.hhi, 1.0);
    let c = conc(&[0.0, 0.0, 0.0, 10.0]); // k = 2, threshold = 0
    assert!(c.hill_alpha.is_nan() && c.hill_se.is_nan());
    // Default k is round(sqrt(n)) clamped to [1, n-1].
    assert_eq!(counterweight::metrics::default_hill_k(2), 1);
    assert_eq!(counterweight::metrics::default_hill_k(100), 10);
    assert_eq!(counterweight::metrics::default_hill_k(1), 0);
}

#[test]
fn lorenz_curve() {
    let a = [4.0, 1.0, 3.0, 2.0];
    let l = lorenz(&a, 4).unwrap();
    let want = [(0.0, 0.0), (0.25, 0.1), (0.5, 0.3), (0.75, 0.6), (1.0, 1.0)];
    assert_eq!(l.len(), 5);
    for ((p, s), (wp, ws)) in l.iter().zip(want) {
        assert_close(*p, wp, 0.0, "lorenz p");
        assert_close(*s, ws, 1e-15, "lorenz L");
    }
    // Endpoints for any number of points, and interpolation between entities.
    for points in [1, 2, 3, 7, 100] {
        let l = lorenz(&a, points).unwrap();
        assert_eq!(l.len(), points + 1);
        assert_eq!(l[0], (0.0, 0.0));
        assert_eq!(l[points], (1.0, 1.0));
    }
    let l = lorenz(&a, 10).unwrap();
    // L(0.3): 1.2 entities from the bottom = (1 + 0.2*2)/10.
    assert_close(l[3].1, 0.14, 1e-15, "L(0.3)");
    // L(0.7) = 1 - top 30% = 0.54.
    assert_close(l[7].1, 0.54, 1e-15, "L(0.7)");
    // points = 0 is treated as 1.
    assert_eq!(lorenz(&a, 0).unwrap(), vec![(0.0, 0.0), (1.0, 1.0)]);
}

#[test]
fn errors() {
    let o = MetricOptions::default();
    assert_eq!(concentration(&[], &o).unwrap_err(), MetricsError::Empty);
    assert_eq!(
        concentration(&[1.0, -0.5], &o).unwrap_err(),
        MetricsError::InvalidValue {
            index: 1,
            value: -0.5
        }
    );
    assert!(matches!(
        concentration(&[1.0, 2.0, f64::NAN], &o).unwrap_err(),
        MetricsError::InvalidValue { index: 2, .. }
    ));
    assert!(matches!(
        concentration(&[f64::INFINITY], &o).unwrap_err(),
        MetricsError::InvalidValue { index: 0, .. }
    ));
    assert_eq!(
        concentration(&[0.0, 0.0], &o).unwrap_err(),
        MetricsError::ZeroTotal
    );
    assert_eq!(lorenz(&[], 4).unwrap_err(), MetricsError::Empty);
    assert_eq!(lorenz(&[0.0], 4).unwrap_err(), MetricsError::ZeroTotal);
    assert_eq!(top_share(&[0.0], 0.1).unwrap_err(), MetricsError::ZeroTotal);
    assert_eq!(
        MetricsError::InvalidValue {
            index: 3,
            value: -1.0
        }
        .to_string(),
        "value 3 is negative or not finite (-1)"
    );
}

#[test]
fn metric_columns_contract() {
    let mut cols = MetricColumns::new(3);
    cols.push(&conc(&[1.0, 2.0, 3.0, 4.0]));
    cols.push(&conc(&[5.0, 5.0, 5.0, 5.0]));
    cols.push_undefined(0.0);
    assert_eq!(cols.len(), 3);
    let out = cols.into_columns(".firms");
    let names: Vec<&str> = out.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "hhi.firms",
            "effective_number.firms",
            "gini.firms",
            "theil_t.firms",
            "top1_share.firms",
            "top10pct_share.firms",
            "nakamoto_1_3.firms",
            "nakamoto_1_2.firms",
            "top3_share.firms",
            "top1pct_share.firms",
            "hill_alpha.firms",
            "hill_se.firms",
            "total.firms",
        ]
    );
    for (name, col) in &out {
        assert_eq!(col.len(), 3, "{name}");
        match col {
            Column::OptU64(_) => assert!(name.starts_with("nakamoto")),
            Column::F64(_) => assert!(!name.starts_with("nakamoto")),
            _ => panic!("{name}: unexpected column type"),
        }
    }
    match &out[2].1 {
        Column::F64(g) => {
            assert_eq!(&g[..2], &[0.25, 0.0]);
            assert!(g[2].is_nan());
        }
        c => panic!("{c:?}"),
    }
    assert_eq!(out[7].1, Column::OptU64(vec![Some(2), Some(3), None]));
    assert_eq!(out[12].1, Column::F64(vec![10.0, 20.0, 0.0]));
    let plain = MetricColumns::new(5).into_columns("");
    assert_eq!(plain[0].0, "hhi");
    assert_eq!(plain[8].0, "top5_share");
    assert!(plain.iter().all(|(_, c)| c.is_empty()));
}

// ---------------------------------------------------------------------------------------
// Determinism: the parallel path (n > 100,000) gives bit-identical results on 1 thread.
// ---------------------------------------------------------------------------------------

fn bits(c: &Concentration) -> Vec<u64> {
    vec![
        c.n as u64,
        c.total.to_bits(),
        c.hhi.to_bits(),
        c.effective_number.to_bits(),
        c.gini.to_bits(),
        c.theil_t.to_bits(),
        c.top1_share.to_bits(),
        c.topk_share.to_bits(),
        c.top1pct_share.to_bits(),
        c.top10pct_share.to_bits(),
        c.nakamoto_1_3.map_or(u64::MAX, |v| v as u64),
        c.nakamoto_1_2.map_or(u64::MAX, |v| v as u64),
        c.hill_alpha.to_bits(),
        c.hill_se.to_bits(),
    ]
}

#[test]
fn deterministic_across_thread_counts() {
    let mut rng = counterweight::rng::stream(42, 0);
    let dist = LogNormal::new(0.0, 1.5).unwrap();
    let v: Vec<f64> = (0..250_000).map(|_| rng.sample(dist)).collect();
    let many = conc(&v);
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap()
        .install(|| conc(&v));
    assert_eq!(bits(&many), bits(&one));
    let lm = lorenz(&v, 100).unwrap();
    let l1 = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap()
        .install(|| lorenz(&v, 100).unwrap());
    assert_eq!(lm, l1);
}

// ---------------------------------------------------------------------------------------
// Known distributions: Gini of large exact samples against closed forms.
// ---------------------------------------------------------------------------------------

/// Population Gini of a sample and its standard error by linearisation (delta method).
///
/// Derivation. G = Δ/(2μ) with Δ = E|X − Y|. The sample version Ĝ = Δ̂/(2x̄), where
/// Δ̂ = n⁻²ΣΣ|x_i − x_j| is a V-statistic with first projection h(x) = E|x − Y|, so
/// Δ̂ − Δ ≈ (2/n)Σ(h(X_i) − Δ) and x̄ − μ = (1/n)Σ(X_i − μ). Hence
///   Ĝ − G ≈ (1/n)Σ IF(X_i),  IF(x) = [h(x) − Δ − G·(x − μ)] / μ,
/// and Var(Ĝ) ≈ Var(IF)/n (needs E[X²] < ∞: true for Pareto α = 3 and the lognormal).
/// Plug-in: with x ascending and C_i = Σ_{l<=i} x_(l),
///   h_i = n⁻¹[x_(i)·i − C_i + (C_n − C_i) − x_(i)·(n − i)],
/// SE = sqrt(Σ IF_i²)/n. The bias of the population Gini is −G/n (E[Δ̂] = (n−1)Δ/n),
/// negligible here but added to the tolerance.
fn gini_and_se(values: &[f64]) -> (f64, f64) {
    let mut x = values.to_vec();
    x.sort_unstable_by(f64::total_cmp);
    let n = x.len() as f64;
    let total: f64 = x.iter().sum();
    let mu = total / n;
    let mut cum = 0.0;
    let h: Vec<f64> = x
        .iter()
        .enumerate()
        .map(|(i, &xi)| {
            cum += xi;
            let i = (i + 1) as f64;
            (xi * i - cum + (total - cum) - xi * (n - i)) / n
        })
        .collect();
    let delta = h.iter().sum::<f64>() / n;
    let g = delta / (2.0 * mu);
    let sum_if2: f64 = x
        .iter()
        .zip(&h)
        .map(|(&xi, &hi)| {
            let inf = (hi - delta - g * (xi - mu)) / mu;
            inf * inf
        })
        .sum();
    (g, sum_if2.sqrt() / n)
}

fn check_gini_of_sample(sample: &[f64], target: f64, what: &str) {
    let c = conc(sample);
    let (g_md, se) = gini_and_se(sample);
    // The sorted formula and the mean-difference formula agree.
    assert_close(
        c.gini,
        g_md,
        1e-9,
        &format!("{what}: sorted vs mean difference"),
    );
    // SE must be small enough for the check to mean something.
    assert!(se > 0.0 && se < 0.003, "{what}: SE {se}");
    let n = sample.len() as f64;
    let tol = 4.0 * se + target / n;
    assert!(
        (c.gini - target).abs() <= tol,
        "{what}: Gini {} vs {target} (SE {se:.2e}, tol {tol:.2e})",
        c.gini
    );
}

#[test]
fn gini_of_pareto_alpha_3() {
    // Exact Pareto(scale 1, α = 3) by inverse transform; Gini = 1/(2α − 1) = 0.2.
    let alpha = 3.0;
    let mut rng = counterweight::rng::stream(2024, 0);
    let dist = Pareto::new(1.0, alpha).unwrap();
    let v: Vec<f64> = (0..400_000).map(|_| rng.sample(dist)).collect();
    check_gini_of_sample(&v, 1.0 / (2.0 * alpha - 1.0), "Pareto(3)");
}

#[test]
fn gini_of_lognormal_sigma_1() {
    // Lognormal(0, σ = 1); Gini = erf(σ/2) = erf(0.5) = 0.5204998778.
    let target = statrs::function::erf::erf(0.5);
    assert_close(target, 0.5204998778, 1e-10, "erf(1/2)");
    let mut rng = counterweight::rng::stream(2025, 0);
    let dist = LogNormal::new(0.0, 1.0).unwrap();
    let v: Vec<f64> = (0..400_000).map(|_| rng.sample(dist)).collect();
    check_gini_of_sample(&v, target, "lognormal(1)");
}

// ---------------------------------------------------------------------------------------
// Properties.
// ---------------------------------------------------------------------------------------

/// Non-negative values with a positive total: uniform, zeros, and 20 decades of magnitude.
fn values() -> impl Strategy<Value = Vec<f64>> {
    let one = prop_oneof![
        1 => Just(0.0),
        4 => 0.0f64..1e6,
        2 => (-10.0f64..10.0).prop_map(|e| 10f64.powf(e)),
        1 => (1u32..20).prop_map(f64::from),
    ];
    prop::collection::vec(one, 1..300).prop_filter("positive total", |v| v.iter().any(|&x| x > 0.0))
}

/// Relative 1e-12, with an absolute floor of 1e-12 for values near 0 (a Gini or Theil of
/// an equal split is a difference of O(1) terms and has absolute rounding error ~n·ε).
fn close_rel(a: f64, b: f64) -> bool {
    if a == b || (a.is_nan() && b.is_nan()) {
        return true;
    }
    (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1.0)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn permutation_invariance(v in values().prop_flat_map(|v| (Just(v.clone()), Just(v).prop_shuffle()))) {
        let (a, b) = v;
        let opts = MetricOptions { top_k: 3, hill_k: None };
        let ca = concentration(&a, &opts).unwrap();
        let cb = concentration(&b, &opts).unwrap();
        prop_assert_eq!(bits(&ca), bits(&cb));
        prop_assert_eq!(lorenz(&a, 20).unwrap(), lorenz(&b, 20).unwrap());
    }

    #[test]
    fn scale_invariance(v in values(), c in 1e-3f64..1e3, j in -20i32..20) {
        let opts = MetricOptions { top_k: 3, hill_k: None };
        let base = concentration(&v, &opts).unwrap();
        let scaled: Vec<f64> = v.iter().map(|x| x * c).collect();
        let s = concentration(&scaled, &opts).unwrap();
        let pairs = [
            ("hhi", base.hhi, s.hhi),
            ("effective_number", base.effective_number, s.effective_number),
            ("gini", base.gini, s.gini),
            ("theil_t", base.theil_t, s.theil_t),
            ("top1", base.top1_share, s.top1_share),
            ("topk", base.topk_share, s.topk_share),
            ("top1pct", base.top1pct_share, s.top1pct_share),
            ("top10pct", base.top10pct_share, s.top10pct_share),
        ];
        for (name, a, b) in pairs {
            prop_assert!(close_rel(a, b), "{}: {} vs {} (c = {})", name, a, b, c);
        }
        prop_assert!(close_rel(s.total, base.total * c));
        // Hill uses ratios of order statistics; ratios of nearly equal values lose relative
        // precision in ln, so compare with 1e-9 there.
        let hill_ok = |a: f64, b: f64| a == b || (a.is_nan() && b.is_nan())
            || (a - b).abs() <= 1e-9 * a.abs().max(b.abs());
        prop_assert!(hill_ok(base.hill_alpha, s.hill_alpha), "hill {} vs {}", base.hill_alpha, s.hill_alpha);
        prop_assert!(hill_ok(base.hill_se, s.hill_se));
        // Nakamoto compares sums; an arbitrary c can break an exact tie by rounding, so it is
        // checked with a power of two, where scaling is exact and every metric is bit-equal.
        let p2 = 2f64.powi(j);
        let exact: Vec<f64> = v.iter().map(|x| x * p2).collect();
        let e = concentration(&exact, &opts).unwrap();
        prop_assert_eq!(e.nakamoto_1_3, base.nakamoto_1_3);
        prop_assert_eq!(e.nakamoto_1_2, base.nakamoto_1_2);
        prop_assert_eq!(e.gini.to_bits(), base.gini.to_bits());
        prop_assert_eq!(e.hhi.to_bits(), base.hhi.to_bits());
    }

    #[test]
    fn bounds(v in values(), k in 0usize..10) {
        let opts = MetricOptions { top_k: k, hill_k: None };
        let c = concentration(&v, &opts).unwrap();
        let n = v.len() as f64;
        prop_assert!(c.hhi >= 1.0 / n && c.hhi <= 1.0, "hhi {}", c.hhi);
        prop_assert!(c.effective_number >= 1.0 && c.effective_number <= n);
        prop_assert!(c.gini >= 0.0 && c.gini <= (n - 1.0) / n, "gini {}", c.gini);
        prop_assert!(c.theil_t >= 0.0 && c.theil_t <= n.ln(), "theil {}", c.theil_t);
        prop_assert!(c.top1_share > 0.0 && c.top1_share <= 1.0);
        if k >= 1 {
            prop_assert!(c.top1_share <= c.topk_share && c.topk_share <= 1.0);
        }
        prop_assert!(c.top1pct_share <= c.top10pct_share && c.top10pct_share <= 1.0);
        // A top p-share is at least p (the top p·n are at least average).
        prop_assert!(c.top10pct_share >= 0.1 * (1.0 - 1e-12));
        let nc3 = c.nakamoto_1_3.unwrap();
        let nc2 = c.nakamoto_1_2.unwrap();
        prop_assert!(1 <= nc3 && nc3 <= nc2 && nc2 <= v.len());
        // Definition: the nc largest exceed the threshold, nc − 1 do not.
        let mut d = v.clone();
        d.sort_unstable_by(|a, b| b.total_cmp(a));
        let s = |m: usize| d[..m].iter().sum::<f64>();
        prop_assert!(2.0 * s(nc2) > c.total * (1.0 - 1e-12));
        prop_assert!(2.0 * s(nc2 - 1) <= c.total * (1.0 + 1e-12));
        prop_assert!(3.0 * s(nc3) > c.total * (1.0 - 1e-12));
        prop_assert!(3.0 * s(nc3 - 1) <= c.total * (1.0 + 1e-12));
        if c.hill_alpha.is_finite() {
            prop_assert!(c.hill_alpha > 0.0 && c.hill_se > 0.0);
        }
    }

    #[test]
    fn lorenz_monotone_convex_below_diagonal(v in values(), points in 1usize..60) {
        let l = lorenz(&v, points).unwrap();
        prop_assert_eq!(l.len(), points + 1);
        prop_assert_eq!(l[0], (0.0, 0.0));
        prop_assert_eq!(l[points], (1.0, 1.0));
        for w in l.windows(2) {
            prop_assert!(w[1].0 > w[0].0);
            prop_assert!(w[1].1 >= w[0].1, "not monotone: {:?}", w);
        }
        for &(p, s) in &l {
            prop_assert!(s <= p + 1e-12, "above the diagonal: ({}, {})", p, s);
        }
        // Convex: non-decreasing slopes (equal spacing, so second differences >= 0).
        for w in l.windows(3) {
            let d2 = w[2].1 - 2.0 * w[1].1 + w[0].1;
            prop_assert!(d2 >= -1e-12, "not convex: {:?}", w);
        }
        // Top-p share is 1 − L(1 − p) on the grid.
        for (j, &(_, s)) in l.iter().enumerate() {
            let p = 1.0 - j as f64 / points as f64;
            let t = top_share(&v, p).unwrap();
            prop_assert!((t - (1.0 - s)).abs() <= 1e-9, "top {} = {} vs 1 - L = {}", p, t, 1.0 - s);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Layer metrics (one layer of holdings: stake by provider, operator or controller).
// ---------------------------------------------------------------------------------------

/// `metrics::LayerMetrics` agrees with `concentration` on what both compute and adds the
/// strict Nakamoto coefficient at 2/3; the staking model's re-export is the same type.
#[test]
fn layer_metrics_are_a_metric_family() {
    use counterweight::metrics::{LAYER_METRIC_NAMES, LayerMetrics};
    // Shares 0.4, 0.25, 0.2, 0.15: > 1/3 needs 1, > 1/2 needs 2 (0.65), > 2/3 needs 3
    // (0.65 is not enough, 0.85 is); exactly 2/3 is not enough: [2, 1] has 2/3 in its top
    // holder.
    let v = [40.0, 25.0, 20.0, 15.0];
    let m = LayerMetrics::of(&v).unwrap();
    let c = conc(&v);
    assert_eq!((m.n, m.total, m.hhi), (c.n, c.total, c.hhi));
    assert_eq!(m.top1_share, c.top1_share);
    assert_eq!(
        (m.nakamoto_1_3, m.nakamoto_1_2),
        (c.nakamoto_1_3, c.nakamoto_1_2)
    );
    assert_eq!(m.nakamoto_2_3, Some(3));
    assert_eq!(LayerMetrics::of(&[2.0, 1.0]).unwrap().nakamoto_2_3, Some(2));
    let row = m.as_row();
    assert_eq!(row.len(), LAYER_METRIC_NAMES.len());
    assert_eq!(
        row[LAYER_METRIC_NAMES
            .iter()
            .position(|&x| x == "nakamoto_2_3")
            .unwrap()],
        3.0
    );
    let empty = LayerMetrics::of(&[0.0, 0.0, 0.0]).unwrap();
    assert_eq!(empty.n, 3);
    assert!(empty.top1_share.is_nan() && empty.nakamoto_1_3.is_none());
    assert!(LayerMetrics::of(&[1.0, -1.0]).is_err());
    let via_model: counterweight::model::staking::LayerMetrics = m;
    assert_eq!(via_model, m);
}
