//! Networks: who interacts with whom.
//!
//! Actors `0..n` (in scenario order) may sit on an undirected simple graph: no self-loops,
//! at most one edge per pair, optional positive edge weights. A graph is either
//! [`Network::Complete`] (implicit: everyone meets everyone, nothing stored, so a complete
//! graph of a million actors costs nothing) or [`Network::Sparse`], a [`Csr`]: one offsets
//! array and one neighbours array (each neighbour list sorted ascending), so the models'
//! hot loops read contiguous memory.
//!
//! * [`generate`]: seeded generators (Erdős–Rényi by skip sampling in O(n + m),
//!   Barabási–Albert, Watts–Strogatz, stochastic block model, ring, complete).
//! * [`edges`]: an edge list (CSV text) with errors located at file:line:col.
//! * [`measure`]: degree concentration, components, modularity of given communities,
//!   clustering, and the network spillover used by the growth model.
//!
//! petgraph was considered: its `Csr` keeps no parallel edges but builds undirected graphs
//! only by O(E) insertions per edge, and it offers neither the random generators nor
//! modularity; the one algorithm it would give (connected components) is a breadth-first
//! search of a dozen lines on the arrays below. So the storage and algorithms are here.

pub mod edges;
pub mod generate;
pub mod measure;
pub mod section;

use thiserror::Error;

pub use edges::{parse_edge_list, read_edge_list};
pub use generate::NetworkSpec;
pub use measure::{Components, spillover};

/// Why a network cannot be built.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum NetworkError {
    /// A parameter is out of its range (e.g. `k` odd or larger than n − 1).
    #[error("network.{field}: {message} (valid: {valid})")]
    Parameter {
        /// The `[network]` field.
        field: &'static str,
        /// What is wrong.
        message: String,
        /// What would be valid.
        valid: String,
    },
    /// A line of an edge list is wrong; `line` and `column` are 1-based.
    #[error("{source_name}:{line}:{column}: {message} (valid: {valid})")]
    EdgeList {
        /// The file's name, as given.
        source_name: String,
        /// 1-based line.
        line: u64,
        /// 1-based column.
        column: u64,
        /// The column of the edge list concerned (`source`, `target`, `weight`).
        field: String,
        /// What is wrong.
        message: String,
        /// What would be valid.
        valid: String,
    },
    /// An edge given in code (not from a file) is invalid.
    #[error("edge {index} ({a}, {b}): {message}")]
    Edge {
        /// 0-based index of the edge.
        index: usize,
        /// Its first end.
        a: u64,
        /// Its second end.
        b: u64,
        /// What is wrong (out of range, a self-loop, a bad weight, ...).
        message: String,
    },
}

/// Who interacts with whom among actors `0..n`.
#[derive(Debug, Clone, PartialEq)]
pub enum Network {
    /// Every pair of distinct actors is linked; nothing is stored.
    Complete {
        /// Number of actors.
        n: usize,
    },
    /// A sparse graph.
    Sparse(Csr),
}

impl Network {
    /// Number of actors (nodes).
    pub fn n(&self) -> usize {
        match self {
            Network::Complete { n } => *n,
            Network::Sparse(g) => g.n(),
        }
    }

    /// Number of undirected edges.
    pub fn edge_count(&self) -> u64 {
        match self {
            Network::Complete { n } => {
                let n = *n as u64;
                n * n.saturating_sub(1) / 2
            }
            Network::Sparse(g) => g.edge_count() as u64,
        }
    }

    /// Degree of actor `i`.
    pub fn degree(&self, i: usize) -> usize {
        match self {
            Network::Complete { n } => n.saturating_sub(1),
            Network::Sparse(g) => g.degree(i),
        }
    }

    /// Mean degree 2m/n (0 for an empty graph).
    pub fn mean_degree(&self) -> f64 {
        let n = self.n();
        if n == 0 {
            0.0
        } else {
            2.0 * self.edge_count() as f64 / n as f64
        }
    }

    /// Whether this is the implicit complete graph.
    pub fn is_complete(&self) -> bool {
        matches!(self, Network::Complete { .. })
    }

    /// The sparse form; the complete graph is materialised (n(n−1) stored neighbours:
    /// meant for tests and small n).
    pub fn to_csr(&self) -> Csr {
        match self {
            Network::Complete { n } => {
                let n = *n;
                let mut edges = Vec::with_capacity(n * n.saturating_sub(1) / 2);
                for a in 0..n as u32 {
                    for b in a + 1..n as u32 {
                        edges.push((a, b));
                    }
                }
                Csr::from_valid_edges(n, &edges, None)
            }
            Network::Sparse(g) => g.clone(),
        }
    }
}

/// An undirected simple graph in compressed sparse row form: the neighbours of `i` are
/// `targets[offsets[i]..offsets[i + 1]]`, sorted ascending; every edge {a, b} appears
/// twice (in the rows of a and of b), with the same weight.
#[derive(Debug, Clone, PartialEq)]
pub struct Csr {
    offsets: Vec<usize>,
    targets: Vec<u32>,
    /// Parallel to `targets`; `None` = every weight is 1.
    weights: Option<Vec<f64>>,
}

impl Csr {
    /// Build from undirected edges on nodes `0..n`, checking that every node is below n,
    /// there is no self-loop and no pair appears twice (in either orientation), and that
    /// weights (one per edge) are finite and > 0. Errors name the edge's index.
    pub fn from_edges(
        n: usize,
        edges: &[(u32, u32)],
        weights: Option<&[f64]>,
    ) -> Result<Csr, NetworkError> {
        let bad = |index: usize, message: String| {
            let (a, b) = edges[index];
            NetworkError::Edge {
                index,
                a: a.into(),
                b: b.into(),
                message,
            }
        };
        if let Some(w) = weights
            && w.len() != edges.len()
        {
            return Err(NetworkError::Parameter {
                field: "weights",
                message: format!("{} weights for {} edges", w.len(), edges.len()),
                valid: "one weight per edge".into(),
            });
        }
        for (i, &(a, b)) in edges.iter().enumerate() {
            if a as usize >= n || b as usize >= n {
                return Err(bad(i, format!("node out of range (there are {n} nodes)")));
            }
            if a == b {
                return Err(bad(i, "self-loop".into()));
            }
            if let Some(w) = weights
                && !(w[i].is_finite() && w[i] > 0.0)
            {
                return Err(bad(i, format!("weight {} is not a number > 0", w[i])));
            }
        }
        let g = Csr::from_valid_edges(n, edges, weights);
        if let Some(i) = g.first_duplicate(edges) {
            return Err(bad(i, "the pair appears twice".into()));
        }
        Ok(g)
    }

    /// Build from edges already known valid (generators). Duplicates are not checked.
    pub(crate) fn from_valid_edges(n: usize, edges: &[(u32, u32)], weights: Option<&[f64]>) -> Csr {
        let mut offsets = vec![0usize; n + 1];
        for &(a, b) in edges {
            offsets[a as usize + 1] += 1;
            offsets[b as usize + 1] += 1;
        }
        for i in 0..n {
            offsets[i + 1] += offsets[i];
        }
        let mut fill = offsets.clone();
        let mut targets = vec![0u32; 2 * edges.len()];
        let mut w = weights.map(|_| vec![0.0f64; 2 * edges.len()]);
        for (e, &(a, b)) in edges.iter().enumerate() {
            for (u, v) in [(a, b), (b, a)] {
                let slot = fill[u as usize];
                targets[slot] = v;
                if let (Some(w), Some(src)) = (w.as_mut(), weights) {
                    w[slot] = src[e];
                }
                fill[u as usize] += 1;
            }
        }
        // Sort each row (with its weights) so that neighbour lists are canonical.
        let mut pairs: Vec<(u32, f64)> = Vec::new();
        for i in 0..n {
            let (lo, hi) = (offsets[i], offsets[i + 1]);
            match w.as_mut() {
                None => targets[lo..hi].sort_unstable(),
                Some(w) => {
                    pairs.clear();
                    pairs.extend(
                        targets[lo..hi]
                            .iter()
                            .copied()
                            .zip(w[lo..hi].iter().copied()),
                    );
                    pairs.sort_unstable_by_key(|p| p.0);
                    for (k, (t, x)) in pairs.iter().enumerate() {
                        targets[lo + k] = *t;
                        w[lo + k] = *x;
                    }
                }
            }
        }
        Csr {
            offsets,
            targets,
            weights: w,
        }
    }

    /// Index of the first edge (in input order) whose pair already appeared earlier.
    fn first_duplicate(&self, edges: &[(u32, u32)]) -> Option<usize> {
        let dup_row = (0..self.n()).any(|i| self.neighbours(i).windows(2).any(|w| w[0] == w[1]));
        if !dup_row {
            return None;
        }
        let mut seen = std::collections::HashSet::with_capacity(edges.len());
        edges
            .iter()
            .position(|&(a, b)| !seen.insert((a.min(b), a.max(b))))
    }

    /// Number of nodes.
    pub fn n(&self) -> usize {
        self.offsets.len() - 1
    }

    /// Number of undirected edges.
    pub fn edge_count(&self) -> usize {
        self.targets.len() / 2
    }

    /// Degree of node `i`.
    #[inline]
    pub fn degree(&self, i: usize) -> usize {
        self.offsets[i + 1] - self.offsets[i]
    }

    /// Neighbours of node `i`, ascending.
    #[inline]
    pub fn neighbours(&self, i: usize) -> &[u32] {
        &self.targets[self.offsets[i]..self.offsets[i + 1]]
    }

    /// Weights of the edges of node `i`, parallel to [`Csr::neighbours`]; `None` when
    /// the graph is unweighted (every weight 1).
    #[inline]
    pub fn weights_of(&self, i: usize) -> Option<&[f64]> {
        self.weights
            .as_ref()
            .map(|w| &w[self.offsets[i]..self.offsets[i + 1]])
    }

    /// Whether edge weights were given.
    pub fn is_weighted(&self) -> bool {
        self.weights.is_some()
    }

    /// The offsets array (n + 1 entries).
    pub fn offsets(&self) -> &[usize] {
        &self.offsets
    }

    /// All neighbour lists, concatenated (2m entries): entry `s` is the far end of the
    /// directed half-edge `s`, whose near end is the row that contains `s`.
    pub fn targets(&self) -> &[u32] {
        &self.targets
    }

    /// All weights, parallel to [`Csr::targets`].
    pub fn weights(&self) -> Option<&[f64]> {
        self.weights.as_deref()
    }

    /// The row (near end) of half-edge `s`: the i with `offsets[i] <= s < offsets[i + 1]`.
    #[inline]
    pub fn source_of(&self, s: usize) -> usize {
        self.offsets.partition_point(|&o| o <= s) - 1
    }

    /// Whether {a, b} is an edge (binary search in the shorter row).
    pub fn has_edge(&self, a: usize, b: usize) -> bool {
        let (u, v) = if self.degree(a) <= self.degree(b) {
            (a, b)
        } else {
            (b, a)
        };
        self.neighbours(u).binary_search(&(v as u32)).is_ok()
    }

    /// The undirected edges (a < b) in row order, with their weights (1 if unweighted).
    pub fn edge_list(&self) -> Vec<(u32, u32, f64)> {
        let mut out = Vec::with_capacity(self.edge_count());
        for a in 0..self.n() {
            let w = self.weights_of(a);
            for (k, &b) in self.neighbours(a).iter().enumerate() {
                if (a as u32) < b {
                    out.push((a as u32, b, w.map_or(1.0, |w| w[k])));
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csr_rows_are_sorted_and_symmetric() {
        let g = Csr::from_edges(4, &[(2, 0), (0, 1), (3, 1)], Some(&[2.0, 1.0, 0.5])).unwrap();
        assert_eq!(g.neighbours(0), &[1, 2]);
        assert_eq!(g.weights_of(0).unwrap(), &[1.0, 2.0]);
        assert_eq!(g.neighbours(1), &[0, 3]);
        assert_eq!(g.neighbours(2), &[0]);
        assert_eq!(g.weights_of(3).unwrap(), &[0.5]);
        assert_eq!(g.edge_count(), 3);
        assert!(g.has_edge(3, 1) && !g.has_edge(2, 3));
        assert_eq!(g.source_of(0), 0);
        assert_eq!(g.source_of(2), 1);
        assert_eq!(g.source_of(5), 3);
        assert_eq!(g.edge_list(), vec![(0, 1, 1.0), (0, 2, 2.0), (1, 3, 0.5)]);
    }

    #[test]
    fn invalid_edges_are_named() {
        let e = Csr::from_edges(3, &[(0, 1), (1, 1)], None).unwrap_err();
        assert!(matches!(e, NetworkError::Edge { index: 1, .. }), "{e}");
        let e = Csr::from_edges(3, &[(0, 1), (2, 0), (1, 0)], None).unwrap_err();
        assert!(matches!(e, NetworkError::Edge { index: 2, .. }), "{e}");
        let e = Csr::from_edges(3, &[(0, 3)], None).unwrap_err();
        assert!(e.to_string().contains("out of range"), "{e}");
        let e = Csr::from_edges(3, &[(0, 1)], Some(&[-1.0])).unwrap_err();
        assert!(e.to_string().contains("weight -1"), "{e}");
    }

    #[test]
    fn complete_graph_counts() {
        let k = Network::Complete { n: 5 };
        assert_eq!(k.edge_count(), 10);
        assert_eq!(k.degree(3), 4);
        assert_eq!(k.mean_degree(), 4.0);
        let c = k.to_csr();
        assert_eq!(c.edge_count(), 10);
        assert_eq!(c.neighbours(2), &[0, 1, 3, 4]);
    }
}
