//! Seeded random graphs. Every generator draws from one ChaCha8 stream
//! ([`NETWORK_STREAM`] of the seed it is given), in a fixed order, so a (kind, parameters,
//! n, seed) gives the same graph on any machine and thread count.
//!
//! * **Erdős–Rényi** G(n, p), p = `mean_degree`/(n − 1): each of the n(n−1)/2 pairs is an
//!   edge independently with probability p. Skip sampling (Batagelj and Brandes,
//!   "Efficient generation of large random networks", Phys. Rev. E 71, 036113, 2005): the
//!   gap to the next edge in the lexicographic order of pairs is geometric,
//!   ⌊ln(1 − r)/ln(1 − p)⌋, so the cost is O(n + m), not O(n²).
//! * **Barabási–Albert** with `m` edges per new node: a complete graph on the first m + 1
//!   nodes, then each new node links to m *distinct* existing nodes chosen with
//!   probability proportional to degree (a uniform draw from the list of edge ends;
//!   a repeated target is drawn again). Exactly m(m+1)/2 + m(n − m − 1) edges; degree
//!   tail P(K >= k) → m(m+1)/(k(k+1)) (Bollobás, Riordan, Spencer and Tusnády 2001;
//!   Dorogovtsev, Mendes and Samukhin 2000). If n <= m + 1 the graph is complete.
//! * **Watts–Strogatz** (Nature 393, 1998): a ring where each node links to its `k`
//!   nearest neighbours (k/2 on each side, k even); then, lap by lap (j = 1..k/2) and node
//!   by node, the edge (i, i + j) is rewired with probability `rewire` to (i, w), w uniform
//!   among the nodes that are neither i nor already linked to i. Rewiring keeps the number
//!   of edges, nk/2.
//! * **Stochastic block model**: blocks of given sizes (consecutive actors); a pair inside
//!   a block is an edge with probability `p_in`, across blocks with `p_out`, independently
//!   (skip sampling in each block and block pair).
//! * **Ring**: each node linked to its `k` nearest neighbours (k even); **complete**.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use super::{Csr, Network, NetworkError};
use crate::rng;

/// The random stream of network generation (distinct from the models' streams).
pub const NETWORK_STREAM: u64 = (1 << 62) + (1 << 61);

/// A graph to generate on n actors.
#[derive(Debug, Clone, PartialEq)]
pub enum NetworkSpec {
    /// Every pair linked (nothing is drawn).
    Complete,
    /// A ring lattice: each node linked to its `k` nearest neighbours.
    Ring {
        /// Even, with `2 <= k < n`.
        k: usize,
    },
    /// Erdős–Rényi G(n, p) with p = `mean_degree / (n − 1)`.
    ErdosRenyi {
        /// Expected degree, in `[0, n − 1]`.
        mean_degree: f64,
    },
    /// Barabási–Albert preferential attachment.
    BarabasiAlbert {
        /// Edges per new node (>= 1).
        m: usize,
    },
    /// Watts–Strogatz small world: a ring lattice with rewired edges.
    WattsStrogatz {
        /// Nearest neighbours of the ring, even, with `2 <= k < n`.
        k: usize,
        /// Probability that an edge is rewired, in `[0, 1]`.
        rewire: f64,
    },
    /// `blocks`: sizes of consecutive blocks, summing to n.
    Sbm {
        /// Block sizes (each > 0, summing to n).
        blocks: Vec<usize>,
        /// Edge probability inside a block, in `[0, 1]`.
        p_in: f64,
        /// Edge probability across blocks, in `[0, 1]`.
        p_out: f64,
    },
}

impl NetworkSpec {
    /// The kind as written in scenarios (`[network] kind = ...`).
    pub fn kind(&self) -> &'static str {
        match self {
            NetworkSpec::Complete => "complete",
            NetworkSpec::Ring { .. } => "ring",
            NetworkSpec::ErdosRenyi { .. } => "erdos_renyi",
            NetworkSpec::BarabasiAlbert { .. } => "barabasi_albert",
            NetworkSpec::WattsStrogatz { .. } => "watts_strogatz",
            NetworkSpec::Sbm { .. } => "sbm",
        }
    }

    /// Check the parameters for n actors (the errors generation would give, without
    /// drawing).
    pub fn check(&self, n: usize) -> Result<(), NetworkError> {
        if n > u32::MAX as usize {
            return Err(param(
                "kind",
                format!("{n} actors"),
                "at most 2^32 − 1 actors",
            ));
        }
        match self {
            NetworkSpec::Complete => Ok(()),
            NetworkSpec::Ring { k } => check_k(*k, n),
            NetworkSpec::ErdosRenyi { mean_degree } => {
                let max = n.saturating_sub(1) as f64;
                if mean_degree.is_finite() && *mean_degree >= 0.0 && *mean_degree <= max {
                    Ok(())
                } else {
                    Err(param(
                        "mean_degree",
                        format!("{mean_degree}"),
                        format!("a number in [0, n − 1] = [0, {max}]"),
                    ))
                }
            }
            NetworkSpec::BarabasiAlbert { m } => {
                if *m >= 1 {
                    Ok(())
                } else {
                    Err(param("m", "0".into(), "an integer >= 1"))
                }
            }
            NetworkSpec::WattsStrogatz { k, rewire } => {
                check_k(*k, n)?;
                check_prob("rewire", *rewire)
            }
            NetworkSpec::Sbm {
                blocks,
                p_in,
                p_out,
            } => {
                let total: usize = blocks.iter().sum();
                if blocks.is_empty() || blocks.contains(&0) || total != n {
                    return Err(param(
                        "blocks",
                        format!("sizes {blocks:?} (sum {total})"),
                        format!("positive block sizes that sum to the number of actors, {n}"),
                    ));
                }
                check_prob("p_in", *p_in)?;
                check_prob("p_out", *p_out)
            }
        }
    }

    /// Generate the graph on `n` actors from `seed`.
    pub fn generate(&self, n: usize, seed: u64) -> Result<Network, NetworkError> {
        self.check(n)?;
        let mut rng = rng::stream(seed, NETWORK_STREAM);
        let edges = match self {
            NetworkSpec::Complete => return Ok(Network::Complete { n }),
            NetworkSpec::Ring { k } => ring_edges(n, *k),
            NetworkSpec::ErdosRenyi { mean_degree } => {
                let p = if n > 1 {
                    mean_degree / (n - 1) as f64
                } else {
                    0.0
                };
                let mut e = Vec::new();
                gnp_within(0, n, p, &mut rng, &mut e);
                e
            }
            NetworkSpec::BarabasiAlbert { m } => barabasi_albert(n, *m, &mut rng),
            NetworkSpec::WattsStrogatz { k, rewire } => watts_strogatz(n, *k, *rewire, &mut rng),
            NetworkSpec::Sbm {
                blocks,
                p_in,
                p_out,
            } => sbm(blocks, *p_in, *p_out, &mut rng),
        };
        Ok(Network::Sparse(Csr::from_valid_edges(n, &edges, None)))
    }
}

/// The block label (0-based) of every actor for consecutive blocks of the given sizes.
pub fn block_labels(blocks: &[usize]) -> Vec<u32> {
    blocks
        .iter()
        .enumerate()
        .flat_map(|(b, &s)| std::iter::repeat_n(b as u32, s))
        .collect()
}

fn param(field: &'static str, message: String, valid: impl Into<String>) -> NetworkError {
    NetworkError::Parameter {
        field,
        message,
        valid: valid.into(),
    }
}

fn check_k(k: usize, n: usize) -> Result<(), NetworkError> {
    if k >= 2 && k.is_multiple_of(2) && k < n {
        Ok(())
    } else {
        Err(param(
            "k",
            format!("{k} with {n} actors"),
            "an even integer with 2 <= k < number of actors",
        ))
    }
}

fn check_prob(field: &'static str, p: f64) -> Result<(), NetworkError> {
    if (0.0..=1.0).contains(&p) {
        Ok(())
    } else {
        Err(param(field, format!("{p}"), "a probability in [0, 1]"))
    }
}

/// Geometric skip ⌊ln(1 − r)/ln(1 − p)⌋ for 0 < p < 1 (the number of non-edges before
/// the next edge), r uniform in [0, 1). Saturates instead of overflowing.
#[inline]
fn skip(rng: &mut ChaCha8Rng, log_q: f64) -> i128 {
    let r: f64 = rng.random();
    let s = ((1.0 - r).ln() / log_q).floor();
    // f64 -> u64 saturates; the caller stops once past the end anyway.
    (s as u64) as i128
}

/// G(size, p) on nodes `offset..offset + size`, appended to `out` (Batagelj–Brandes).
fn gnp_within(offset: usize, size: usize, p: f64, rng: &mut ChaCha8Rng, out: &mut Vec<(u32, u32)>) {
    if p <= 0.0 || size < 2 {
        return;
    }
    if p >= 1.0 {
        for v in 1..size {
            for w in 0..v {
                out.push(((offset + v) as u32, (offset + w) as u32));
            }
        }
        return;
    }
    let log_q = (1.0 - p).ln();
    let n = size as i128;
    let (mut v, mut w): (i128, i128) = (1, -1);
    while v < n {
        w += 1 + skip(rng, log_q);
        while w >= v && v < n {
            w -= v;
            v += 1;
        }
        if v < n {
            out.push(((offset as i128 + v) as u32, (offset as i128 + w) as u32));
        }
    }
}

/// Each of the na·nb pairs between nodes `a0..a0+na` and `b0..b0+nb` with probability p.
fn gnp_between(
    (a0, na): (usize, usize),
    (b0, nb): (usize, usize),
    p: f64,
    rng: &mut ChaCha8Rng,
    out: &mut Vec<(u32, u32)>,
) {
    if p <= 0.0 || na == 0 || nb == 0 {
        return;
    }
    if p >= 1.0 {
        for a in 0..na {
            for b in 0..nb {
                out.push(((a0 + a) as u32, (b0 + b) as u32));
            }
        }
        return;
    }
    let log_q = (1.0 - p).ln();
    let total = na as i128 * nb as i128;
    let mut k: i128 = -1;
    loop {
        k += 1 + skip(rng, log_q);
        if k >= total {
            break;
        }
        let (a, b) = (k / nb as i128, k % nb as i128);
        out.push(((a0 as i128 + a) as u32, (b0 as i128 + b) as u32));
    }
}

fn ring_edges(n: usize, k: usize) -> Vec<(u32, u32)> {
    let mut e = Vec::with_capacity(n * k / 2);
    for j in 1..=k / 2 {
        for i in 0..n {
            e.push((i as u32, ((i + j) % n) as u32));
        }
    }
    e
}

fn barabasi_albert(n: usize, m: usize, rng: &mut ChaCha8Rng) -> Vec<(u32, u32)> {
    let m0 = (m + 1).min(n);
    let mut edges = Vec::with_capacity(m0 * (m0 - 1) / 2 + m * n.saturating_sub(m0));
    // Every edge contributes both ends: a uniform draw is a degree-proportional node.
    let mut ends: Vec<u32> = Vec::with_capacity(2 * edges.capacity());
    for a in 0..m0 as u32 {
        for b in a + 1..m0 as u32 {
            edges.push((a, b));
            ends.push(a);
            ends.push(b);
        }
    }
    let mut chosen: Vec<u32> = Vec::with_capacity(m);
    for v in m0..n {
        chosen.clear();
        while chosen.len() < m {
            let t = ends[rng.random_range(0..ends.len())];
            if !chosen.contains(&t) {
                chosen.push(t);
            }
        }
        for &t in &chosen {
            edges.push((t, v as u32));
            ends.push(t);
            ends.push(v as u32);
        }
    }
    edges
}

fn watts_strogatz(n: usize, k: usize, rewire: f64, rng: &mut ChaCha8Rng) -> Vec<(u32, u32)> {
    let half = k / 2;
    let key = |a: u32, b: u32| -> u64 { (u64::from(a.min(b)) << 32) | u64::from(a.max(b)) };
    // Slot s = (j − 1)·n + i holds the edge that started as (i, i + j).
    let mut edges = ring_edges(n, k);
    if rewire <= 0.0 {
        return edges;
    }
    let mut present: std::collections::HashSet<u64> =
        edges.iter().map(|&(a, b)| key(a, b)).collect();
    let mut degree = vec![k; n];
    for j in 1..=half {
        for i in 0..n {
            let u: f64 = rng.random();
            if u >= rewire {
                continue;
            }
            let s = (j - 1) * n + i;
            let (a, b) = edges[s];
            if degree[a as usize] >= n - 1 {
                continue; // linked to everyone: nowhere to rewire to
            }
            let w = loop {
                let w = rng.random_range(0..n as u32);
                if w != a && !present.contains(&key(a, w)) {
                    break w;
                }
            };
            present.remove(&key(a, b));
            present.insert(key(a, w));
            degree[b as usize] -= 1;
            degree[w as usize] += 1;
            edges[s] = (a, w);
        }
    }
    edges
}

fn sbm(blocks: &[usize], p_in: f64, p_out: f64, rng: &mut ChaCha8Rng) -> Vec<(u32, u32)> {
    let mut starts = Vec::with_capacity(blocks.len());
    let mut acc = 0;
    for &s in blocks {
        starts.push(acc);
        acc += s;
    }
    let mut e = Vec::new();
    for (a, &na) in blocks.iter().enumerate() {
        gnp_within(starts[a], na, p_in, rng, &mut e);
        for (b, &nb) in blocks.iter().enumerate().skip(a + 1) {
            gnp_between((starts[a], na), (starts[b], nb), p_out, rng, &mut e);
        }
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gnp_extremes() {
        let mut rng = rng::stream(1, 0);
        let mut e = Vec::new();
        gnp_within(0, 5, 1.0, &mut rng, &mut e);
        assert_eq!(e.len(), 10);
        e.clear();
        gnp_within(0, 5, 0.0, &mut rng, &mut e);
        assert!(e.is_empty());
        // Every pair of the lower triangle appears at most once and in range.
        e.clear();
        gnp_within(3, 50, 0.3, &mut rng, &mut e);
        let mut seen = std::collections::HashSet::new();
        for &(v, w) in &e {
            assert!(w < v && (3..53).contains(&v) && (3..53).contains(&w));
            assert!(seen.insert((v, w)));
        }
    }

    #[test]
    fn parameters_are_checked() {
        assert!(NetworkSpec::Ring { k: 3 }.check(10).is_err());
        assert!(NetworkSpec::Ring { k: 10 }.check(10).is_err());
        assert!(NetworkSpec::Ring { k: 8 }.check(10).is_ok());
        assert!(
            NetworkSpec::ErdosRenyi { mean_degree: 10.0 }
                .check(10)
                .is_err()
        );
        assert!(NetworkSpec::BarabasiAlbert { m: 0 }.check(10).is_err());
        let sbm = NetworkSpec::Sbm {
            blocks: vec![3, 3],
            p_in: 0.5,
            p_out: 0.1,
        };
        assert!(sbm.check(7).is_err());
        assert!(sbm.check(6).is_ok());
        let e = NetworkSpec::WattsStrogatz { k: 4, rewire: 1.5 }
            .check(10)
            .unwrap_err();
        assert!(e.to_string().starts_with("network.rewire"), "{e}");
    }

    #[test]
    fn ba_small_n_is_complete() {
        let g = NetworkSpec::BarabasiAlbert { m: 4 }.generate(4, 1).unwrap();
        assert_eq!(g.edge_count(), 6);
    }

    #[test]
    fn block_labels_follow_sizes() {
        assert_eq!(block_labels(&[2, 1, 3]), vec![0, 0, 1, 2, 2, 2]);
    }
}
