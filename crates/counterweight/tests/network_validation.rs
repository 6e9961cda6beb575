//! Validation of the network generators and graph metrics against their analytic degree
//! and clustering statistics. Run with `cargo test --release -p counterweight --test integration network_validation`.
//!
//! Tolerance policy (shared/reference/validation.md): a correct implementation passes with
//! probability > 99.9%: every check allows at least ±4 standard errors of its statistic
//! (derived below from exact binomial laws or from the literature's asymptotic variances)
//! plus any known finite-size bias. The seeds are fixed, so the tests are deterministic;
//! the tolerances are what a fresh seed would need.

use counterweight::network::generate::block_labels;
use counterweight::network::measure::{average_clustering, components, modularity, transitivity};
use counterweight::network::{Csr, Network, NetworkError, NetworkSpec, read_edge_list, spillover};

fn sparse(net: &Network) -> &Csr {
    match net {
        Network::Sparse(g) => g,
        Network::Complete { .. } => panic!("expected a sparse graph"),
    }
}

/// Binomial(n, p) standard deviation.
fn binom_sd(n: f64, p: f64) -> f64 {
    (n * p * (1.0 - p)).sqrt()
}

#[test]
fn erdos_renyi_edge_count_and_degree_variance() {
    // M ~ Binomial(N, p), N = n(n−1)/2, p = c/(n−1): mean nc/2, sd sqrt(N p (1−p)).
    let (n, c) = (4000usize, 8.0);
    let pairs = (n * (n - 1) / 2) as f64;
    let p = c / (n - 1) as f64;
    for seed in 0..5 {
        let g = NetworkSpec::ErdosRenyi { mean_degree: c }
            .generate(n, seed)
            .unwrap();
        let m = g.edge_count() as f64;
        let sd = binom_sd(pairs, p);
        assert!(
            (m - pairs * p).abs() <= 4.5 * sd,
            "seed {seed}: {m} edges, expected {} ± {}",
            pairs * p,
            4.5 * sd
        );
        // Degrees ~ Binomial(n−1, p): variance v = (n−1)p(1−p). The sample variance of n
        // (nearly independent) degrees has SE sqrt((μ4 − v²)/n); for a binomial
        // μ4 = v(1 + 3(n−2)p(1−p)) ≈ v + 3v², so SE ≈ sqrt((v + 2v²)/n).
        let deg: Vec<f64> = (0..n).map(|i| g.degree(i) as f64).collect();
        let mean = deg.iter().sum::<f64>() / n as f64;
        let var = deg.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        let v = (n - 1) as f64 * p * (1.0 - p);
        let se = ((v + 2.0 * v * v) / n as f64).sqrt();
        assert!(
            (var - v).abs() <= 4.5 * se,
            "seed {seed}: var {var} vs {v} ± {}",
            4.5 * se
        );
    }
}

#[test]
fn erdos_renyi_pairs_are_uniform_across_the_enumeration() {
    // Skip sampling walks the pairs in lexicographic order; an off-by-one in the walk
    // would favour early or late pairs. Split nodes into halves A = [0, n/2), B: the edges
    // inside A, inside B and across are independent binomials on C(n/2, 2), C(n/2, 2) and
    // (n/2)² pairs.
    let (n, c) = (3000usize, 20.0);
    let p = c / (n - 1) as f64;
    let h = n / 2;
    let g = NetworkSpec::ErdosRenyi { mean_degree: c }
        .generate(n, 11)
        .unwrap();
    let (mut aa, mut bb, mut ab) = (0.0, 0.0, 0.0);
    for (a, b, _) in sparse(&g).edge_list() {
        match ((a as usize) < h, (b as usize) < h) {
            (true, true) => aa += 1.0,
            (false, false) => bb += 1.0,
            _ => ab += 1.0,
        }
    }
    let within = (h * (h - 1) / 2) as f64;
    let across = (h * h) as f64;
    for (got, pairs) in [(aa, within), (bb, within), (ab, across)] {
        assert!(
            (got - pairs * p).abs() <= 4.5 * binom_sd(pairs, p),
            "{got} vs {}",
            pairs * p
        );
    }
}

#[test]
fn erdos_renyi_is_linear_time_for_a_million_sparse_nodes() {
    // n = 10⁶, c = 2: 10⁶ expected edges among 5·10¹¹ pairs (an O(n²) loop would not
    // finish). Edge count within ±4.5 binomial SD.
    let n = 1_000_000usize;
    let g = NetworkSpec::ErdosRenyi { mean_degree: 2.0 }
        .generate(n, 5)
        .unwrap();
    let pairs = n as f64 * (n - 1) as f64 / 2.0;
    let p = 2.0 / (n - 1) as f64;
    let m = g.edge_count() as f64;
    assert!((m - pairs * p).abs() <= 4.5 * binom_sd(pairs, p), "{m}");
}

#[test]
fn erdos_renyi_giant_component() {
    // Mean degree c = 3: the giant component's share S solves S = 1 − e^(−cS)
    // (S = 0.94048); its fluctuations are Gaussian with n·Var(S_n) →
    // S(1−S)/(1 − c(1−S))² (Pittel 1990; Janson, Łuczak and Ruciński, Random Graphs,
    // Thm 5.12), = 0.0829 here: SD 0.0029 at n = 10⁴. Below the threshold (c = 0.5) the
    // largest component is O(log n): share < 1%.
    let c: f64 = 3.0;
    let mut s = 0.5;
    for _ in 0..200 {
        s = 1.0 - (-c * s).exp();
    }
    let n = 10_000;
    let sd = (s * (1.0 - s) / (1.0 - c * (1.0 - s)).powi(2) / n as f64).sqrt();
    for seed in 0..3 {
        let g = NetworkSpec::ErdosRenyi { mean_degree: c }
            .generate(n, seed)
            .unwrap();
        let share = components(&g).largest_share();
        assert!(
            (share - s).abs() <= 4.5 * sd,
            "seed {seed}: {share} vs {s} ± {}",
            4.5 * sd
        );
        let g = NetworkSpec::ErdosRenyi { mean_degree: 0.5 }
            .generate(n, seed)
            .unwrap();
        assert!(components(&g).largest_share() < 0.01);
    }
}

#[test]
fn barabasi_albert_edges_and_power_law_tail() {
    // Exactly m(m+1)/2 + m(n − m − 1) edges; every node has degree >= m.
    // Tail: P(K >= k) → m(m+1)/(k(k+1)) (Bollobás, Riordan, Spencer, Tusnády 2001;
    // Dorogovtsev, Mendes, Samukhin 2000), i.e. p_k ~ k⁻³. At finite n the law holds
    // below the cutoff k_c ~ m√n (≈ 424 here); we check k <= 8m. Finite-size bias,
    // measured over 20 graphs of n = 20,000 with this generator: relative −0.03% (k = 6),
    // +0.4% (k = 12), +2.3% ± 0.9% (k = 24); allowed: 3% of the target. Sampling error: the
    // fraction of the R·n nodes with K >= k has binomial SE sqrt(P(1−P)/(R n)), degrees
    // treated as independent (their correlations are O(1/n)); the per-graph spread
    // measured over the 20 graphs agrees with it (4.0% vs 5.0% relative at k = 24).
    let (n, m, reps) = (20_000usize, 3usize, 8u64);
    let ks = [6usize, 12, 24];
    let mut counts = [0.0f64; 3];
    for seed in 0..reps {
        let g = NetworkSpec::BarabasiAlbert { m }.generate(n, seed).unwrap();
        assert_eq!(g.edge_count() as usize, m * (m + 1) / 2 + m * (n - m - 1));
        assert!((0..n).all(|i| g.degree(i) >= m));
        for (c, &k) in counts.iter_mut().zip(&ks) {
            *c += (0..n).filter(|&i| g.degree(i) >= k).count() as f64;
        }
    }
    let total = (n as u64 * reps) as f64;
    for (c, &k) in counts.iter().zip(&ks) {
        let target = (m * (m + 1)) as f64 / (k * (k + 1)) as f64;
        let got = c / total;
        let tol = 4.0 * (target * (1.0 - target) / total).sqrt() + 0.03 * target;
        assert!(
            (got - target).abs() <= tol,
            "P(K >= {k}) = {got}, expected {target} ± {tol}"
        );
    }
    // The hubs: a k⁻³ law puts the largest degree near m√n (≈ 424 here); an exponential
    // tail (uniform attachment) would give ~ m ln n (≈ 30).
    let g = NetworkSpec::BarabasiAlbert { m }.generate(n, 0).unwrap();
    let kmax = (0..n).map(|i| g.degree(i)).max().unwrap();
    assert!(kmax > 150, "largest degree {kmax}");
}

#[test]
fn watts_strogatz_clustering_and_edges() {
    // rewire = 0 is the ring lattice, whose clustering is 3(k−2)/(4(k−1)) exactly (every
    // node alike; Watts and Strogatz 1998).
    let (n, k) = (2000usize, 10usize);
    let ring = NetworkSpec::Ring { k }.generate(n, 1).unwrap();
    let ws0 = NetworkSpec::WattsStrogatz { k, rewire: 0.0 }
        .generate(n, 1)
        .unwrap();
    assert_eq!(ring, ws0);
    let c0 = 3.0 * (k - 2) as f64 / (4.0 * (k - 1) as f64);
    assert!((average_clustering(&ring) - c0).abs() < 1e-12);
    // Rewiring keeps nk/2 edges, and each node keeps the k/2 edges it owns.
    for p in [0.1, 0.5, 1.0] {
        let g = NetworkSpec::WattsStrogatz { k, rewire: p }
            .generate(n, 2)
            .unwrap();
        assert_eq!(g.edge_count() as usize, n * k / 2);
        assert!((0..n).all(|i| g.degree(i) >= k / 2));
    }
    // Transitivity falls as (1 − p)³ (Barrat and Weigt, Eur. Phys. J. B 13, 2000): a
    // lattice triangle survives iff none of its three edges is rewired, and rewired edges
    // close new triangles only with probability O(k/n). The connected triples grow with the
    // degree variance: a node keeps its k/2 own edges, keeps each of the k/2 edges owned by
    // others with probability 1 − p and gains Poisson(pk/2) rewired ones, so
    // Var(K) = (k/2) p (2 − p) and E[K(K−1)] = k(k−1) + Var(K). Target:
    // C(0) (1 − p)³ · k(k−1)/(k(k−1) + Var K). The SD of one graph's transitivity at
    // n = 2000, k = 10 is 0.0045–0.0053 at p = 0.05–0.2 (measured over 20 seeds); the
    // mean of 10 graphs is allowed 4.5 · 0.0053/√10 = 0.0075, plus the O(k/n) = 0.005
    // new-triangle term.
    for p in [0.05, 0.2] {
        let var_k = (k as f64 / 2.0) * p * (2.0 - p);
        let kk = (k * (k - 1)) as f64;
        let target = c0 * (1.0 - p).powi(3) * kk / (kk + var_k);
        let mean = (0..10u64)
            .map(|seed| {
                let g = NetworkSpec::WattsStrogatz { k, rewire: p }
                    .generate(n, seed)
                    .unwrap();
                transitivity(&g)
            })
            .sum::<f64>()
            / 10.0;
        assert!(
            (mean - target).abs() <= 0.0075 + 0.005,
            "p = {p}: {mean} vs {target}"
        );
    }
    // Fully rewired: close to a random graph, clustering ~ k/n.
    let g = NetworkSpec::WattsStrogatz { k, rewire: 1.0 }
        .generate(n, 3)
        .unwrap();
    assert!(average_clustering(&g) < 0.02);
}

#[test]
fn stochastic_block_model_densities_and_modularity() {
    let blocks = vec![300usize, 300, 400];
    let (p_in, p_out) = (0.05, 0.004);
    let n: usize = blocks.iter().sum();
    let g = NetworkSpec::Sbm {
        blocks: blocks.clone(),
        p_in,
        p_out,
    }
    .generate(n, 9)
    .unwrap();
    let labels = block_labels(&blocks);
    let b = blocks.len();
    let mut count = vec![0.0f64; b * b];
    for (u, v, _) in sparse(&g).edge_list() {
        let (x, y) = (labels[u as usize] as usize, labels[v as usize] as usize);
        count[x.min(y) * b + x.max(y)] += 1.0;
    }
    // Each block and block pair: an independent binomial.
    let mut expected = vec![0.0f64; b * b];
    let mut sd = vec![0.0f64; b * b];
    for x in 0..b {
        for y in x..b {
            let (pairs, p) = if x == y {
                ((blocks[x] * (blocks[x] - 1) / 2) as f64, p_in)
            } else {
                ((blocks[x] * blocks[y]) as f64, p_out)
            };
            expected[x * b + y] = pairs * p;
            sd[x * b + y] = binom_sd(pairs, p);
            let got = count[x * b + y];
            assert!(
                (got - pairs * p).abs() <= 4.5 * sd[x * b + y],
                "blocks {x},{y}: {got} vs {}",
                pairs * p
            );
        }
    }
    // Modularity of the planted partition vs the same formula on the expected counts.
    // Delta method: Q is smooth in the counts, so its SD is sqrt(Σ (∂Q/∂L · sd_L)²),
    // computed numerically; allowance 4.5 SD plus the curvature bias O(1/m).
    let q_of = |cnt: &[f64]| {
        let m: f64 = cnt.iter().sum();
        (0..b)
            .map(|x| {
                let deg: f64 = (0..b)
                    .map(|y| {
                        let c = cnt[x.min(y) * b + x.max(y)];
                        if x == y { 2.0 * c } else { c }
                    })
                    .sum();
                cnt[x * b + x] / m - (deg / (2.0 * m)).powi(2)
            })
            .sum::<f64>()
    };
    let q_expected = q_of(&expected);
    let mut var = 0.0;
    for i in 0..b * b {
        if sd[i] > 0.0 {
            let mut e = expected.clone();
            e[i] += sd[i];
            var += (q_of(&e) - q_expected).powi(2);
        }
    }
    let q = modularity(&g, &labels).unwrap();
    let m = g.edge_count() as f64;
    assert!(
        (q - q_expected).abs() <= 4.5 * var.sqrt() + 1.0 / m,
        "Q = {q}, expected {q_expected} ± {}",
        4.5 * var.sqrt()
    );
    assert!(
        (q - q_of(&count)).abs() < 1e-12,
        "Q from the graph = Q from its counts"
    );
}

#[test]
fn generation_is_deterministic_per_seed() {
    let specs = [
        NetworkSpec::ErdosRenyi { mean_degree: 4.0 },
        NetworkSpec::BarabasiAlbert { m: 2 },
        NetworkSpec::WattsStrogatz { k: 4, rewire: 0.3 },
        NetworkSpec::Sbm {
            blocks: vec![100, 100],
            p_in: 0.1,
            p_out: 0.01,
        },
    ];
    for s in &specs {
        let a = s.generate(200, 42).unwrap();
        let b = s.generate(200, 42).unwrap();
        let c = s.generate(200, 43).unwrap();
        assert_eq!(a, b, "{}", s.kind());
        assert_ne!(a, c, "{}", s.kind());
    }
}

#[test]
fn spillover_on_the_complete_graph_is_the_mean_field() {
    // The closed neighbourhood of an actor in K_n is everyone, so the network spillover
    // (1/(k+1)) Σ_{j ∈ N(i)} o_j max(R_j − R_i, 0) with k = n − 1 is the mean field
    // (1/n) Σ_j o_j max(R_j − R_i, 0): the materialised K_n, the implicit complete
    // graph (O(n log n)) and the brute-force formula agree to rounding.
    let n = 300;
    let r: Vec<f64> = (0..n)
        .map(|i| 1.0 + ((i * 37) % 101) as f64 / 7.0)
        .collect();
    let o: Vec<f64> = (0..n).map(|i| ((i * 13) % 11) as f64 / 10.0).collect();
    let brute: Vec<f64> = (0..n)
        .map(|i| (0..n).map(|j| o[j] * (r[j] - r[i]).max(0.0)).sum::<f64>() / n as f64)
        .collect();
    let complete = Network::Complete { n };
    let materialised = Network::Sparse(complete.to_csr());
    let (mut a, mut b) = (vec![0.0; n], vec![0.0; n]);
    spillover(&complete, &r, &o, &mut a);
    spillover(&materialised, &r, &o, &mut b);
    for i in 0..n {
        let scale = brute[i].abs().max(1e-300);
        assert!(
            (a[i] - brute[i]).abs() <= 1e-12 * scale,
            "{i}: {} vs {}",
            a[i],
            brute[i]
        );
        assert!(
            (b[i] - brute[i]).abs() <= 1e-12 * scale,
            "{i}: {} vs {}",
            b[i],
            brute[i]
        );
    }
}

#[test]
fn bad_edge_lists_give_located_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("edges.csv");
    let cases = [
        ("source,target\n0,1\n1,9\n", 3, 3, "unknown node 9"),
        ("source,target\n0,1\n2,2\n", 3, 3, "self-loop"),
        ("source,target,weight\n0,1,-2\n", 2, 5, "weight"),
    ];
    for (text, line, col, what) in cases {
        std::fs::write(&path, text).unwrap();
        let e = read_edge_list(&path, 3).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.starts_with(&format!("{}:{line}:{col}: ", path.display())),
            "{msg}"
        );
        assert!(msg.contains(what), "{msg}");
        assert!(matches!(e, NetworkError::EdgeList { .. }));
    }
    std::fs::write(&path, "source,target,weight\n0,1,2.5\n2,1,1\n").unwrap();
    let g = read_edge_list(&path, 3).unwrap();
    assert_eq!(g.edge_count(), 2);
    assert_eq!(g.weights_of(1).unwrap(), &[2.5, 1.0]);
    let missing = read_edge_list(&dir.path().join("nope.csv"), 3).unwrap_err();
    assert!(missing.to_string().contains("cannot read"), "{missing}");
}
