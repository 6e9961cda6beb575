//! What a network says about power: degree concentration, components, modularity of given
//! communities, clustering; and the network spillover of the growth model.

use std::collections::VecDeque;

use super::{Csr, Network};
use crate::metrics::{self, Concentration, MetricOptions, MetricsError};

/// Every actor's degree, as values for the concentration metrics.
pub fn degrees(net: &Network) -> Vec<f64> {
    (0..net.n()).map(|i| net.degree(i) as f64).collect()
}

/// Concentration of connections: the metrics of [`crate::metrics::concentration`] on the
/// degrees (HHI of degree shares, Gini of degrees, top shares, ...). Errors: `Empty` for
/// no actors, `ZeroTotal` for a graph without edges.
pub fn degree_concentration(net: &Network) -> Result<Concentration, MetricsError> {
    metrics::concentration(&degrees(net), &MetricOptions::default())
}

/// Connected components.
#[derive(Debug, Clone, PartialEq)]
pub struct Components {
    /// Component of every node, numbered 0.. in order of each component's smallest node.
    pub labels: Vec<u32>,
    /// Size of every component, indexed by label.
    pub sizes: Vec<usize>,
}

impl Components {
    /// Number of components (an isolated node is a component).
    pub fn count(&self) -> usize {
        self.sizes.len()
    }

    /// Size of the largest component.
    pub fn largest(&self) -> usize {
        self.sizes.iter().copied().max().unwrap_or(0)
    }

    /// Share of the nodes in the largest component (0 for an empty graph).
    pub fn largest_share(&self) -> f64 {
        if self.labels.is_empty() {
            0.0
        } else {
            self.largest() as f64 / self.labels.len() as f64
        }
    }
}

/// Connected components by breadth-first search, O(n + m).
pub fn components(net: &Network) -> Components {
    let g = match net {
        Network::Complete { n } => {
            return Components {
                labels: vec![0; *n],
                sizes: if *n > 0 { vec![*n] } else { vec![] },
            };
        }
        Network::Sparse(g) => g,
    };
    let n = g.n();
    let mut labels = vec![u32::MAX; n];
    let mut sizes = Vec::new();
    let mut queue = VecDeque::new();
    for s in 0..n {
        if labels[s] != u32::MAX {
            continue;
        }
        let c = sizes.len() as u32;
        labels[s] = c;
        queue.push_back(s as u32);
        let mut size = 0;
        while let Some(u) = queue.pop_front() {
            size += 1;
            for &v in g.neighbours(u as usize) {
                if labels[v as usize] == u32::MAX {
                    labels[v as usize] = c;
                    queue.push_back(v);
                }
            }
        }
        sizes.push(size);
    }
    Components { labels, sizes }
}

/// Newman's modularity of the partition `communities` (one label per node, any u32):
/// Q = Σ_c [ W_c / W − (K_c / 2W)² ], W the total edge weight, W_c the weight of the edges
/// inside community c, K_c the summed (weighted) degree of its nodes. Q = 0 for one
/// community; positive when communities hold more internal edges than a random graph with
/// the same degrees would. `None` for a graph without edges or a label list of the wrong
/// length.
pub fn modularity(net: &Network, communities: &[u32]) -> Option<f64> {
    let n = net.n();
    if communities.len() != n || net.edge_count() == 0 {
        return None;
    }
    let k = communities
        .iter()
        .copied()
        .max()
        .map_or(0, |m| m as usize + 1);
    let mut inside = vec![0.0f64; k];
    let mut strength = vec![0.0f64; k];
    let total;
    match net {
        Network::Complete { n } => {
            let mut count = vec![0usize; k];
            for &c in communities {
                count[c as usize] += 1;
            }
            for c in 0..k {
                let nc = count[c] as f64;
                inside[c] = nc * (nc - 1.0) / 2.0;
                strength[c] = nc * (*n as f64 - 1.0);
            }
            total = (*n as f64) * (*n as f64 - 1.0) / 2.0;
        }
        Network::Sparse(g) => {
            let mut t = 0.0;
            for a in 0..n {
                let ca = communities[a] as usize;
                let w = g.weights_of(a);
                for (idx, &b) in g.neighbours(a).iter().enumerate() {
                    let x = w.map_or(1.0, |w| w[idx]);
                    strength[ca] += x;
                    // Each undirected edge is seen twice: count it once (a < b).
                    if (a as u32) < b {
                        t += x;
                        if communities[b as usize] as usize == ca {
                            inside[ca] += x;
                        }
                    }
                }
            }
            total = t;
        }
    }
    Some(
        (0..k)
            .map(|c| inside[c] / total - (strength[c] / (2.0 * total)).powi(2))
            .sum(),
    )
}

/// Average local clustering coefficient (Watts and Strogatz 1998): the mean over nodes of
/// (links among the node's neighbours) / (k(k − 1)/2); a node of degree < 2 counts as 0.
/// Topological: weights are ignored.
pub fn average_clustering(net: &Network) -> f64 {
    let g = match net {
        Network::Complete { n } => return if *n >= 3 { 1.0 } else { 0.0 },
        Network::Sparse(g) => g,
    };
    let n = g.n();
    if n == 0 {
        return 0.0;
    }
    let mut mark = vec![false; n];
    let mut sum = 0.0;
    for i in 0..n {
        let nb = g.neighbours(i);
        let k = nb.len();
        if k < 2 {
            continue;
        }
        for &j in nb {
            mark[j as usize] = true;
        }
        // Each link among neighbours is counted from both ends.
        let mut twice = 0usize;
        for &j in nb {
            twice += g
                .neighbours(j as usize)
                .iter()
                .filter(|&&x| mark[x as usize])
                .count();
        }
        for &j in nb {
            mark[j as usize] = false;
        }
        sum += twice as f64 / (k * (k - 1)) as f64;
    }
    sum / n as f64
}

/// Transitivity (global clustering): 3 × triangles / connected triples,
/// `Σ_i t_i / Σ_i k_i (k_i − 1)/2` with t_i the links among i's neighbours; the
/// ratio-of-averages clustering of Barrat and Weigt (2000). 0 without triples.
pub fn transitivity(net: &Network) -> f64 {
    let g = match net {
        Network::Complete { n } => return if *n >= 3 { 1.0 } else { 0.0 },
        Network::Sparse(g) => g,
    };
    let n = g.n();
    let mut mark = vec![false; n];
    let (mut closed, mut triples) = (0u64, 0u64);
    for i in 0..n {
        let nb = g.neighbours(i);
        let k = nb.len() as u64;
        if k < 2 {
            continue;
        }
        triples += k * (k - 1);
        for &j in nb {
            mark[j as usize] = true;
        }
        for &j in nb {
            closed += g
                .neighbours(j as usize)
                .iter()
                .filter(|&&x| mark[x as usize])
                .count() as u64;
        }
        for &j in nb {
            mark[j as usize] = false;
        }
    }
    if triples == 0 {
        0.0
    } else {
        closed as f64 / triples as f64
    }
}

/// Network spillover: for every actor i,
/// `out_i = Σ_{j ∈ N(i)} w_ij o_j max(R_j − R_i, 0) / (1 + Σ_{j ∈ N(i)} w_ij)`,
/// the mean of the catch-up pulls over the actor's *closed* neighbourhood (itself, with
/// weight 1, contributing 0; neighbours with their edge weights, 1 if unweighted). On the
/// complete graph this is the mean field `(1/N) Σ_j o_j max(R_j − R_i, 0)` exactly as in
/// the growth model, computed in O(N log N) by sorting and prefix sums; on a sparse graph
/// it costs O(n + m). An actor without neighbours gets 0.
///
/// Panics if the slices do not all have `net.n()` entries (a programming error).
pub fn spillover(net: &Network, values: &[f64], openness: &[f64], out: &mut [f64]) {
    let n = net.n();
    assert!(values.len() == n && openness.len() == n && out.len() == n);
    match net {
        Network::Complete { .. } => mean_field_spillover(values, openness, &mut Vec::new(), out),
        Network::Sparse(g) => sparse_spillover(g, values, openness, out),
    }
}

fn sparse_spillover(g: &Csr, r: &[f64], o: &[f64], out: &mut [f64]) {
    for (i, slot) in out.iter_mut().enumerate() {
        let ri = r[i];
        let nb = g.neighbours(i);
        let (num, den) = match g.weights_of(i) {
            None => {
                let s: f64 = nb
                    .iter()
                    .map(|&j| o[j as usize] * (r[j as usize] - ri).max(0.0))
                    .sum();
                (s, 1.0 + nb.len() as f64)
            }
            Some(w) => nb.iter().zip(w).fold((0.0, 1.0), |(s, d), (&j, &x)| {
                (s + x * o[j as usize] * (r[j as usize] - ri).max(0.0), d + x)
            }),
        };
        *slot = num / den;
    }
}

/// Above this many actors the sort of [`mean_field_spillover`] runs on rayon (the order is
/// total, so the result is the same on any number of threads).
const PARALLEL_SORT_MIN: usize = 32_768;

/// `(1/N) Σ_j o_j max(R_j − R_i, 0)` for every i in O(N log N), into `out`: sort by R
/// descending (ties by index, so the order is total); for actor i the sum is
/// `P − R_i Q`, P and Q summing `o_j R_j` and `o_j` over the actors strictly above R_i.
/// `order` is scratch, reused between calls (the growth model's term 3 calls this every
/// step).
///
/// Panics if `o` or `out` is shorter than `r` (a programming error).
pub fn mean_field_spillover(r: &[f64], o: &[f64], order: &mut Vec<u32>, out: &mut [f64]) {
    use rayon::slice::ParallelSliceMut;
    let n = r.len();
    order.clear();
    order.extend(0..n as u32);
    let cmp = |a: &u32, b: &u32| r[*b as usize].total_cmp(&r[*a as usize]).then(a.cmp(b));
    if n >= PARALLEL_SORT_MIN {
        order.par_sort_unstable_by(cmp);
    } else {
        order.sort_unstable_by(cmp);
    }
    let (mut p, mut q) = (0.0f64, 0.0f64);
    let mut i = 0;
    while i < n {
        // A run of equal values: all see the same actors strictly above them.
        let v = r[order[i] as usize];
        let mut j = i;
        while j < n && r[order[j] as usize] == v {
            j += 1;
        }
        let s = ((p - v * q) / n as f64).max(0.0);
        for &a in &order[i..j] {
            out[a as usize] = s;
        }
        for &a in &order[i..j] {
            p += o[a as usize] * r[a as usize];
            q += o[a as usize];
        }
        i = j;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(n: u32) -> Network {
        let e: Vec<(u32, u32)> = (1..n).map(|i| (i - 1, i)).collect();
        Network::Sparse(Csr::from_edges(n as usize, &e, None).unwrap())
    }

    #[test]
    fn components_of_two_paths_and_an_isolate() {
        let e = [(0, 1), (1, 2), (3, 4)];
        let g = Network::Sparse(Csr::from_edges(6, &e, None).unwrap());
        let c = components(&g);
        assert_eq!(c.labels, vec![0, 0, 0, 1, 1, 2]);
        assert_eq!(c.sizes, vec![3, 2, 1]);
        assert_eq!(c.count(), 3);
        assert_eq!(c.largest_share(), 0.5);
        assert_eq!(components(&Network::Complete { n: 4 }).count(), 1);
    }

    #[test]
    fn modularity_of_two_triangles_joined_by_an_edge() {
        // Two triangles {0,1,2}, {3,4,5} and the bridge 2-3: m = 7, each side has 3
        // internal edges and degree sum 7, so Q = 2·(3/7 − (7/14)²) = 6/7 − 1/2 = 5/14.
        let e = [(0, 1), (1, 2), (0, 2), (3, 4), (4, 5), (3, 5), (2, 3)];
        let g = Network::Sparse(Csr::from_edges(6, &e, None).unwrap());
        let q = modularity(&g, &[0, 0, 0, 1, 1, 1]).unwrap();
        assert!((q - 5.0 / 14.0).abs() < 1e-15, "{q}");
        assert!(modularity(&g, &[0; 6]).unwrap().abs() < 1e-15);
        // The complete graph: sparse and implicit forms agree.
        let k = Network::Complete { n: 7 };
        let labels = [0, 0, 1, 1, 1, 2, 2];
        let a = modularity(&k, &labels).unwrap();
        let b = modularity(&Network::Sparse(k.to_csr()), &labels).unwrap();
        assert!((a - b).abs() < 1e-15 && a < 0.0, "{a} {b}");
        assert_eq!(modularity(&k, &[0, 1]), None);
    }

    #[test]
    fn clustering_of_small_graphs() {
        assert_eq!(average_clustering(&path(5)), 0.0);
        let k = Network::Complete { n: 6 };
        assert_eq!(average_clustering(&k), 1.0);
        assert_eq!(average_clustering(&Network::Sparse(k.to_csr())), 1.0);
        // A triangle with a pendant node on vertex 0: C = (1/3 + 1 + 1 + 0)/4.
        let e = [(0, 1), (1, 2), (0, 2), (0, 3)];
        let g = Network::Sparse(Csr::from_edges(4, &e, None).unwrap());
        assert!((average_clustering(&g) - (1.0 / 3.0 + 2.0) / 4.0).abs() < 1e-15);
    }

    #[test]
    fn degree_concentration_of_a_star() {
        // Star on 5 nodes: degrees 4,1,1,1,1; shares 1/2, 1/8 ×4; HHI = 1/4 + 4/64.
        let e = [(0, 1), (0, 2), (0, 3), (0, 4)];
        let g = Network::Sparse(Csr::from_edges(5, &e, None).unwrap());
        let c = degree_concentration(&g).unwrap();
        assert!((c.hhi - 0.3125).abs() < 1e-15);
        let empty = Network::Sparse(Csr::from_edges(3, &[], None).unwrap());
        assert_eq!(degree_concentration(&empty), Err(MetricsError::ZeroTotal));
    }

    #[test]
    fn spillover_on_a_path_uses_the_closed_neighbourhood() {
        let g = path(3);
        let r = [1.0, 2.0, 4.0];
        let o = [1.0, 0.5, 1.0];
        let mut out = [0.0; 3];
        spillover(&g, &r, &o, &mut out);
        // Actor 0: neighbour 1 (o = 0.5, gap 1) over 2 → 0.25; actor 1: neighbour 2 (gap
        // 2) over 3; actor 2: nobody above.
        assert_eq!(out, [0.25, 2.0 / 3.0, 0.0]);
    }
}
