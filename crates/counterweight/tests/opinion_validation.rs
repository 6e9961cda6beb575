//! Validation of the opinion model (Deffuant–Weisbuch and Hegselmann–Krause bounded
//! confidence) against the literature's regimes and exact identities. Run with
//! `cargo test --release -p counterweight --test integration opinion_validation`.
//!
//! Literature: Deffuant, Neau, Amblard and Weisbuch, "Mixing beliefs among interacting
//! agents", Adv. Complex Syst. 3 (2000): with uniform initial opinions the number of final
//! (major) opinion clusters is about ⌊1/(2ε)⌋, and one cluster for ε above about 0.27
//! (Lorenz, "Continuous opinion dynamics under bounded confidence: a survey", IJMPC 18,
//! 2007, §3). The rate-equation analysis (Ben-Naim, Krapivsky and Redner, Physica D 183,
//! 2003) puts the spacing of major clusters at ≈ 2.155ε as ε → 0, i.e. ≈ 1/(2.155ε)
//! clusters: the ⌊1/(2ε)⌋ rule is itself good to about one cluster (0.36 apart at
//! ε = 0.1). Hegselmann–Krause on the complete graph converges in finitely many steps
//! (Dittmer 2001; Lorenz 2005) and reaches consensus for ε above ≈ 0.2 (Fortunato,
//! IJMPC 16, 2005).
//!
//! Tolerance policy (shared/reference/validation.md): at least ±4 standard errors of the
//! statistic plus the known approximation error of the target.

use std::sync::Arc;

use counterweight::model::opinion::{Broadcaster, OpinionModel, OpinionParams, Rule, clusters};
use counterweight::network::{Network, NetworkSpec};
use rand::RngExt;

fn uniform(n: usize, seed: u64) -> Vec<f64> {
    let mut r = counterweight::rng::stream(seed, 1 << 40);
    (0..n).map(|_| r.random::<f64>()).collect()
}

fn complete(n: usize) -> Arc<Network> {
    Arc::new(Network::Complete { n })
}

fn deffuant(eps: f64) -> OpinionParams {
    OpinionParams::new(Rule::Deffuant {
        confidence: eps,
        convergence: 0.5,
    })
}

fn hk(eps: f64) -> OpinionParams {
    OpinionParams::new(Rule::HegselmannKrause { confidence: eps })
}

/// Neumaier-compensated sum (error ~1 ulp of the result).
fn exact_sum(x: &[f64]) -> f64 {
    let (mut s, mut c) = (0.0f64, 0.0f64);
    for &v in x {
        let t = s + v;
        if s.abs() >= v.abs() {
            c += (s - t) + v;
        } else {
            c += (v - t) + s;
        }
        s = t;
    }
    s + c
}

fn mean_sd(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0);
    (m, var.sqrt())
}

#[test]
fn deffuant_meetings_conserve_the_mean() {
    // A meeting adds d to one opinion and subtracts the same d from the other: the sum
    // changes only by the two roundings, each at most half an ulp of a number in [0, 1],
    // i.e. <= 2⁻⁵² per meeting, N meetings per step. The sums are compensated (error
    // ~ulp(N)), so the per-step bound is N·2⁻⁵² + 2·ulp(N).
    let n = 1000;
    let nets = [
        complete(n),
        Arc::new(NetworkSpec::BarabasiAlbert { m: 3 }.generate(n, 3).unwrap()),
    ];
    for net in nets {
        let mut m = OpinionModel::new(deffuant(0.2), uniform(n, 1), net, 7).unwrap();
        let bound = n as f64 * f64::EPSILON + 2.0 * (n as f64) * f64::EPSILON;
        let mut prev = exact_sum(m.opinions());
        let start = prev;
        for step in 1..=200u64 {
            m.step();
            let s = exact_sum(m.opinions());
            assert!(
                (s - prev).abs() <= bound,
                "step {step}: sum moved by {}",
                s - prev
            );
            prev = s;
        }
        assert!((prev - start).abs() <= 200.0 * bound);
        // Opinions moved (the test is not vacuous) and stayed in [0, 1].
        assert!(m.stats().dispersion < 0.25);
        assert!(m.opinions().iter().all(|x| (0.0..=1.0).contains(x)));
    }
}

#[test]
fn deffuant_consensus_for_large_confidence() {
    // ε well above the ≈0.27 threshold: one major cluster in every replicate.
    let n = 1000;
    for eps in [0.3, 0.35, 0.4] {
        for rep in 0..20u64 {
            let mut m =
                OpinionModel::new(deffuant(eps), uniform(n, rep), complete(n), rep).unwrap();
            for _ in 0..500 {
                m.step();
            }
            let s = m.stats();
            assert_eq!(s.major_clusters, 1, "ε = {eps}, replicate {rep}: {s:?}");
        }
    }
}

#[test]
fn deffuant_clusters_near_one_over_two_epsilon() {
    // Major clusters (>= ε/2 of the actors) after 500 steps (the clusters are separated by
    // more than ε long before: the count no longer changes). Target ⌊1/(2ε)⌋ with the
    // rule's own accuracy of one cluster, plus 4 standard errors of the mean over R = 20
    // replicates (SE = sample SD/√R).
    let n = 1000;
    for eps in [0.1f64, 0.15, 0.2] {
        let counts: Vec<f64> = (0..20u64)
            .map(|rep| {
                let mut m =
                    OpinionModel::new(deffuant(eps), uniform(n, 100 + rep), complete(n), rep)
                        .unwrap();
                for _ in 0..500 {
                    m.step();
                }
                m.stats().major_clusters as f64
            })
            .collect();
        let (mean, sd) = mean_sd(&counts);
        let target = (1.0 / (2.0 * eps)).floor();
        let tol = 1.0 + 4.0 * sd / (counts.len() as f64).sqrt();
        assert!(
            (mean - target).abs() <= tol,
            "ε = {eps}: mean {mean} major clusters, expected {target} ± {tol} ({counts:?})"
        );
    }
}

#[test]
fn hegselmann_krause_converges_in_finitely_many_steps() {
    let n = 1000;
    for eps in [0.05, 0.1, 0.2, 0.3] {
        for rep in 0..10u64 {
            let mut m = OpinionModel::new(hk(eps), uniform(n, rep), complete(n), rep).unwrap();
            let mut steps = 0;
            while m.converged_at().is_none() && steps < 2000 {
                m.step();
                steps += 1;
            }
            let at = m.converged_at().expect("HK converges");
            assert!(at < 2000, "ε = {eps}: converged at {at}");
            // The fixed point: clusters more than ε apart, each of one exact value; more
            // steps change nothing, bit for bit.
            let cl = clusters(m.opinions(), eps);
            for c in &cl {
                assert_eq!(c.lowest, c.highest, "ε = {eps}: cluster not settled");
            }
            for w in cl.windows(2) {
                assert!(w[1].lowest - w[0].highest > eps);
            }
            let before = m.opinions().to_vec();
            for _ in 0..5 {
                m.step();
            }
            assert_eq!(m.opinions(), before.as_slice());
        }
    }
}

#[test]
fn hegselmann_krause_consensus_above_the_threshold() {
    let n = 1000;
    for eps in [0.25, 0.3, 0.4] {
        for rep in 0..50u64 {
            let mut m =
                OpinionModel::new(hk(eps), uniform(n, 1000 + rep), complete(n), rep).unwrap();
            for _ in 0..2000 {
                m.step();
                if m.converged_at().is_some() {
                    break;
                }
            }
            let s = m.stats();
            assert_eq!(
                (s.clusters, s.largest_cluster_share),
                (1, 1.0),
                "ε = {eps}, replicate {rep}"
            );
        }
    }
}

#[test]
fn hegselmann_krause_fast_step_matches_the_definition() {
    // One O(N log N) step on the complete graph, the O(N + m) step on the materialised
    // K_n and the O(N²) definition agree to rounding (window sums of <= N values in [0, 1]
    // with compensated prefix sums: error ~1e-15).
    let n = 400;
    let x0 = uniform(n, 5);
    let eps = 0.15;
    let mut fast = OpinionModel::new(hk(eps), x0.clone(), complete(n), 1).unwrap();
    let csr = Arc::new(Network::Sparse(Network::Complete { n }.to_csr()));
    let mut sparse = OpinionModel::new(hk(eps), x0.clone(), csr, 1).unwrap();
    let mut x = x0;
    for _ in 0..4 {
        let next: Vec<f64> = x
            .iter()
            .map(|&xi| {
                let near: Vec<f64> = x
                    .iter()
                    .copied()
                    .filter(|xj| (xj - xi).abs() <= eps)
                    .collect();
                near.iter().sum::<f64>() / near.len() as f64
            })
            .collect();
        x = next;
        fast.step();
        sparse.step();
        for (i, want) in x.iter().enumerate() {
            assert!((fast.opinions()[i] - want).abs() < 1e-13, "{i}");
            assert!((sparse.opinions()[i] - want).abs() < 1e-13, "{i}");
        }
    }
}

#[test]
fn broadcaster_pull_under_hk_is_geometric() {
    // Everyone at x0 = 0.3, one broadcaster at b = 0.4 reaching everyone, ε = 0.2,
    // exposure e: all actors stay equal and x_t = b + (x0 − b)(1 − e)^t.
    let n = 50;
    let (x0, b, e) = (0.3, 0.4, 0.1);
    let mut p = hk(0.2);
    p.broadcasters = vec![Broadcaster {
        opinion: b,
        share: 1.0,
    }];
    p.exposure = e;
    let mut m = OpinionModel::new(p, vec![x0; n], complete(n), 1).unwrap();
    for t in 1..=30 {
        m.step();
        let want = b + (x0 - b) * (1.0f64 - e).powi(t);
        for &x in m.opinions() {
            assert!((x - want).abs() < 1e-14, "t = {t}: {x} vs {want}");
        }
    }
    assert_eq!(m.converged_at(), None);
}

#[test]
fn broadcaster_pull_under_deffuant_matches_its_expectation() {
    // Everyone at x0 = 0.3, broadcaster b = 0.4 reaching everyone, ε = 0.2 (all actors
    // stay in [x0, b], within reach). Peer meetings conserve the mean; a broadcast (each
    // meeting with probability e, on a uniform actor) moves the mean by (μ/N)(b − x_i).
    // So E[b − mean_t] = (b − x0)(1 − eμ/N)^(N t) exactly. Tolerance: 4.5 standard errors
    // of the mean over R = 20 replicates (SE from their spread).
    let n = 2000;
    let (x0, b, e, mu) = (0.3, 0.4, 0.2, 0.5);
    let t = 5;
    let gaps: Vec<f64> = (0..20u64)
        .map(|rep| {
            let mut p = OpinionParams::new(Rule::Deffuant {
                confidence: 0.2,
                convergence: mu,
            });
            p.broadcasters = vec![Broadcaster {
                opinion: b,
                share: 1.0,
            }];
            p.exposure = e;
            let mut m = OpinionModel::new(p, vec![x0; n], complete(n), rep).unwrap();
            for _ in 0..t {
                m.step();
            }
            b - m.stats().mean
        })
        .collect();
    let (mean, sd) = mean_sd(&gaps);
    let want = (b - x0) * (1.0 - e * mu / n as f64).powi((n * t) as i32);
    let tol = 4.5 * sd / (gaps.len() as f64).sqrt();
    assert!((mean - want).abs() <= tol, "{mean} vs {want} ± {tol}");
    assert!(sd > 0.0);
}

#[test]
fn audiences_follow_shares_and_out_of_reach_broadcasters_do_nothing() {
    let n = 1000;
    let mut p = hk(0.1);
    p.broadcasters = vec![
        Broadcaster {
            opinion: 0.9,
            share: 0.7,
        },
        Broadcaster {
            opinion: 0.1,
            share: 0.2,
        },
    ];
    p.exposure = 0.5;
    let m = OpinionModel::new(p.clone(), vec![0.5; n], complete(n), 3).unwrap();
    let count = |k: Option<usize>| (0..n).filter(|&i| m.audience(i) == k).count();
    assert_eq!(
        (count(Some(0)), count(Some(1)), count(None)),
        (700, 200, 100)
    );
    // Everyone at 0.5: both broadcasters are 0.4 away, beyond ε = 0.1: a fixed point.
    let mut m = m;
    m.step();
    assert_eq!(m.converged_at(), Some(0));
    assert!(m.opinions().iter().all(|&x| x == 0.5));
}

#[test]
fn deffuant_on_a_network_leaves_isolated_actors_alone_and_is_deterministic() {
    // Actor 3 has no edge: it never meets anyone.
    let g = counterweight::network::Csr::from_edges(4, &[(0, 1), (1, 2)], None).unwrap();
    let net = Arc::new(Network::Sparse(g));
    let x0 = vec![0.1, 0.2, 0.3, 0.4];
    let mut a = OpinionModel::new(deffuant(0.5), x0.clone(), net.clone(), 9).unwrap();
    let mut b = OpinionModel::new(deffuant(0.5), x0.clone(), net.clone(), 9).unwrap();
    let mut c = OpinionModel::new(deffuant(0.5), x0, net, 10).unwrap();
    for t in 0..50 {
        a.step();
        b.step();
        c.step();
        assert_eq!(a.opinions(), b.opinions());
        if t == 1 {
            // Different streams, different meetings (before both settle at the mean).
            assert_ne!(a.opinions(), c.opinions());
        }
    }
    assert_eq!(a.opinions()[3], 0.4);
    // 0, 1, 2 converge toward their (conserved) mean 0.2.
    for i in 0..3 {
        assert!((a.opinions()[i] - 0.2).abs() < 1e-6);
    }
}
