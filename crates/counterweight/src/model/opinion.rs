//! The opinion model: civil society's many clusters vs the monolithic movement.
//!
//! Bounded-confidence opinion dynamics (Lorenz, "Continuous opinion dynamics under bounded
//! confidence: a survey", Int. J. Mod. Phys. C 18, 2007). Every actor holds an opinion in
//! [0, 1] and only listens to opinions within its confidence bound ε.
//!
//! * **Deffuant–Weisbuch** (`rule = "deffuant"`; Deffuant, Neau, Amblard and Weisbuch,
//!   "Mixing beliefs among interacting agents", Adv. Complex Syst. 3, 2000). One step is N
//!   pairwise meetings, one per actor on average. A meeting is a uniformly random pair of
//!   distinct actors on the complete graph, a uniformly random edge on a network (an
//!   edge of weight w is w times as likely), chosen independently meeting after meeting. If
//!   `|x_i − x_j| < ε` (strict) both move toward each other by μ (`convergence`, in
//!   (0, ½]): with `d = μ (x_j − x_i)`, `x_i ← x_i + d`, `x_j ← x_j − d`. The same d is
//!   added and subtracted, so a meeting conserves the pair's sum up to two roundings
//!   (≤ 2⁻⁵² for opinions in [0, 1]).
//! * **Hegselmann–Krause** (`rule = "hk"`; Hegselmann and Krause, JASSS 5(3), 2002).
//!   Synchronous: every actor moves to the mean opinion of the actors j of its closed
//!   neighbourhood (itself and its neighbours; everyone on the complete graph) with
//!   `|x_j − x_i| <= ε` (inclusive, as in the paper), weighted by edge weights (its own
//!   weight 1). On the complete graph a step costs O(N log N): opinions are kept sorted,
//!   each actor's confidence window [x_i − ε, x_i + ε] is found by two pointers, and window
//!   sums come from compensated (Neumaier) prefix sums. On a network it costs O(N + m).
//!   The map is the identity exactly when every actor's confidence set holds only its own
//!   opinion value (and no broadcaster pulls it); the model then stops changing and
//!   reports the step at which it converged ([`OpinionModel::converged_at`]). On the
//!   complete graph HK reaches such a state in finitely many steps (Dittmer 2001; Lorenz
//!   2005).
//!
//! **Broadcasters** (media, platforms): each has an opinion and a share of the audience;
//! `round(share · N)` actors (largest remainders; a random set drawn once per replicate)
//! follow it, so a dominant broadcaster reaches most actors. With `exposure` e, a fraction e
//! of an actor's influence comes from its broadcaster when the broadcaster is within its
//! confidence bound: under Deffuant each meeting is, with probability e, a broadcast (a
//! uniformly random actor hears its broadcaster and moves by μ toward it if closer than ε;
//! the broadcaster does not move); under HK the actor's new opinion is
//! `(1 − e)·(peer mean) + e·b` when `|b − x_i| <= ε`.
//!
//! **Clusters** (the observation): the opinions sorted and split wherever two consecutive
//! opinions differ by more than ε. Actors in different clusters then cannot hear each other
//! directly, and once the dynamics have settled the clusters are the distinct final
//! opinions (settled states have distinct opinions at least ε apart). A cluster is *major*
//! if it holds at least `major_share` of the actors. The default is ε/2: from uniform
//! initial opinions the major clusters end about 2ε apart and so hold about 2ε of the
//! actors each, while the minor clusters (extremists near 0 and 1, stragglers between
//! major clusters) hold far less: at most 2.1% each in 10 Deffuant runs of N = 1000,
//! μ = ½ at each ε from 0.075 to 0.4 (at ε = 0.05, clusters of 1% to 6% blur the line;
//! set `major_share` explicitly there). Also recorded: the largest cluster's share, the
//! dispersion (population standard deviation of opinions) and the polarisation, Esteban and
//! Ray's index with α = 1 on the clusters (shares π_c, mean opinions y_c), scaled to [0, 1]:
//! `4 Σ_c Σ_d π_c² π_d |y_c − y_d|`, 0 for consensus, 1 for two equal camps at 0 and 1.

use std::sync::Arc;

use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use thiserror::Error;

use serde::Deserialize;

use crate::network::Network;
use crate::network::section::{self, NetworkSetup};
use crate::registry::{
    ChartDef, ColumnDef, Condition, Model, ModelDef, ModelError, ModelSetup, Observation, PanelDef,
    ParamInfo, ValidateCx,
};
use crate::rng;
use crate::scenario::validate::check::err;
use crate::scenario::{FieldError, Scenario};
use crate::setup::{Initial, initial_values, replicate_seed};

/// The random stream that assigns broadcasters' audiences.
pub const AUDIENCE_STREAM: u64 = (1 << 62) + 7;

/// Bounded-confidence rule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Rule {
    /// `confidence` ε in (0, 1], `convergence` μ in (0, ½].
    Deffuant {
        /// ε in (0, 1]: meet only if `|x_i − x_j| < ε`.
        confidence: f64,
        /// μ in (0, ½]: how far each moves toward the other.
        convergence: f64,
    },
    /// `confidence` ε in (0, 1].
    HegselmannKrause {
        /// ε in (0, 1]: average over `|x_j − x_i| <= ε`.
        confidence: f64,
    },
}

impl Rule {
    /// The name used in scenarios (`rule = ...`).
    pub fn name(&self) -> &'static str {
        match self {
            Rule::Deffuant { .. } => "deffuant",
            Rule::HegselmannKrause { .. } => "hk",
        }
    }

    /// The confidence bound ε.
    pub fn confidence(&self) -> f64 {
        match *self {
            Rule::Deffuant { confidence, .. } | Rule::HegselmannKrause { confidence } => confidence,
        }
    }
}

/// A medium or platform with a fixed opinion and a share of the audience.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Broadcaster {
    /// In [0, 1].
    pub opinion: f64,
    /// Share of the actors that follow it, in [0, 1]; shares sum to at most 1.
    pub share: f64,
}

/// Validated parameters of the opinion model.
#[derive(Debug, Clone, PartialEq)]
pub struct OpinionParams {
    /// The bounded-confidence rule and its parameters.
    pub rule: Rule,
    /// Broadcasters, in file order (none by default).
    pub broadcasters: Vec<Broadcaster>,
    /// e in [0, 1]: the fraction of an actor's influence that comes from its broadcaster.
    pub exposure: f64,
    /// Share of the actors a cluster must hold to count as major, in (0, 1]; `None` =
    /// ε/2.
    pub major_share: Option<f64>,
}

impl OpinionParams {
    /// Parameters for `rule` without broadcasters.
    pub fn new(rule: Rule) -> OpinionParams {
        OpinionParams {
            rule,
            broadcasters: Vec::new(),
            exposure: 0.0,
            major_share: None,
        }
    }

    /// The share a cluster must hold to count as major (`major_share`, default ε/2).
    pub fn major_threshold(&self) -> f64 {
        self.major_share
            .unwrap_or(0.5 * self.rule.confidence())
            .min(1.0)
    }

    /// Check every range; the error names the field.
    pub fn check(&self) -> Result<(), OpinionError> {
        let bad = |field: &'static str, value: f64, valid: &'static str| {
            Err(OpinionError::Parameter {
                field,
                value,
                valid,
            })
        };
        let eps = self.rule.confidence();
        if !(eps > 0.0 && eps <= 1.0) {
            return bad("confidence", eps, "a number in (0, 1]");
        }
        if let Rule::Deffuant { convergence, .. } = self.rule
            && !(convergence > 0.0 && convergence <= 0.5)
        {
            return bad("convergence", convergence, "a number in (0, 0.5]");
        }
        if !(0.0..=1.0).contains(&self.exposure) {
            return bad("exposure", self.exposure, "a number in [0, 1]");
        }
        if let Some(m) = self.major_share
            && !(m > 0.0 && m <= 1.0)
        {
            return bad("major_share", m, "a number in (0, 1]");
        }
        let mut total = 0.0;
        for b in &self.broadcasters {
            if !(0.0..=1.0).contains(&b.opinion) {
                return bad("broadcasters.opinion", b.opinion, "a number in [0, 1]");
            }
            if !(0.0..=1.0).contains(&b.share) {
                return bad("broadcasters.share", b.share, "a number in [0, 1]");
            }
            total += b.share;
        }
        if total > 1.0 + 1e-9 {
            return bad("broadcasters.share", total, "shares that sum to at most 1");
        }
        Ok(())
    }
}

/// Why an opinion model cannot be built.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum OpinionError {
    /// An `[opinion]` parameter is out of range.
    #[error("opinion.{field} = {value}: valid is {valid}")]
    Parameter {
        /// The field.
        field: &'static str,
        /// The value given.
        value: f64,
        /// What would be valid.
        valid: &'static str,
    },
    /// An initial opinion is outside `[0, 1]`.
    #[error("actor {actor}: initial opinion {value} is outside [0, 1]")]
    Initial {
        /// 0-based actor index.
        actor: usize,
        /// The opinion given.
        value: f64,
    },
    /// The network's node count differs from the number of actors.
    #[error("the network has {network} nodes but there are {actors} actors")]
    NetworkSize {
        /// Nodes in the network.
        network: usize,
        /// Actors in the scenario.
        actors: usize,
    },
    /// No actor at all.
    #[error("the opinion model needs at least one actor")]
    NoActors,
}

/// One cluster of opinions (see the module documentation for the rule).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cluster {
    /// The lowest opinion in the cluster.
    pub lowest: f64,
    /// The highest opinion in the cluster.
    pub highest: f64,
    /// The number of actors in it.
    pub count: usize,
    /// Their mean opinion.
    pub mean: f64,
}

/// Clusters of `opinions`: sorted, split where consecutive opinions differ by more than
/// `gap`. Ascending by opinion.
pub fn clusters(opinions: &[f64], gap: f64) -> Vec<Cluster> {
    let mut s = opinions.to_vec();
    s.sort_unstable_by(f64::total_cmp);
    clusters_sorted(&s, gap)
}

fn clusters_sorted(s: &[f64], gap: f64) -> Vec<Cluster> {
    let mut out = Vec::new();
    let mut start = 0;
    for k in 1..=s.len() {
        if k == s.len() || s[k] - s[k - 1] > gap {
            let part = &s[start..k];
            out.push(Cluster {
                lowest: part[0],
                highest: part[part.len() - 1],
                count: part.len(),
                mean: part.iter().sum::<f64>() / part.len() as f64,
            });
            start = k;
        }
    }
    out
}

/// The recorded statistics of a state.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OpinionStats {
    /// Number of clusters (every cluster, however small).
    pub clusters: usize,
    /// Clusters holding at least `major_share` of the actors.
    pub major_clusters: usize,
    /// Share of the actors in the largest cluster.
    pub largest_cluster_share: f64,
    /// Mean opinion.
    pub mean: f64,
    /// Population standard deviation of the opinions.
    pub dispersion: f64,
    /// Esteban–Ray (α = 1) on the clusters, scaled to [0, 1].
    pub polarisation: f64,
}

/// The statistics of `opinions` with confidence bound `gap` (the cluster rule).
pub fn stats(opinions: &[f64], gap: f64, major_share: f64) -> OpinionStats {
    let n = opinions.len() as f64;
    let cl = clusters(opinions, gap);
    let mean = opinions.iter().sum::<f64>() / n;
    let var = opinions.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    let largest = cl.iter().map(|c| c.count).max().unwrap_or(0);
    let mut er = 0.0;
    for c in &cl {
        let pc = c.count as f64 / n;
        for d in &cl {
            er += pc * pc * (d.count as f64 / n) * (c.mean - d.mean).abs();
        }
    }
    OpinionStats {
        clusters: cl.len(),
        major_clusters: cl
            .iter()
            .filter(|c| c.count as f64 >= major_share * n)
            .count(),
        largest_cluster_share: largest as f64 / n,
        mean,
        dispersion: var.sqrt(),
        polarisation: 4.0 * er,
    }
}

/// One replicate of the opinion model.
#[derive(Debug, Clone)]
pub struct OpinionModel {
    params: OpinionParams,
    x: Vec<f64>,
    network: Arc<Network>,
    rng: ChaCha8Rng,
    /// Broadcaster followed by each actor (`NONE` = none).
    audience: Vec<u32>,
    /// Deffuant on a sparse network: the near end of every half-edge.
    sources: Vec<u32>,
    /// Deffuant on a weighted network: cumulative half-edge weights.
    cum_weights: Vec<f64>,
    // Hegselmann–Krause scratch (complete graph).
    order: Vec<u32>,
    sorted: Vec<f64>,
    prefix: Vec<(f64, f64)>,
    next: Vec<f64>,
    converged_at: Option<u64>,
    steps: u64,
}

const NONE: u32 = u32::MAX;

impl OpinionModel {
    /// A replicate with the given initial opinions (one per actor, in [0, 1]) on
    /// `network`, drawing from streams of `seed` (the replicate's seed).
    pub fn new(
        params: OpinionParams,
        initial: Vec<f64>,
        network: Arc<Network>,
        seed: u64,
    ) -> Result<OpinionModel, OpinionError> {
        params.check()?;
        let n = initial.len();
        if n == 0 {
            return Err(OpinionError::NoActors);
        }
        if network.n() != n {
            return Err(OpinionError::NetworkSize {
                network: network.n(),
                actors: n,
            });
        }
        if let Some((actor, &value)) = initial
            .iter()
            .enumerate()
            .find(|(_, v)| !(0.0..=1.0).contains(*v))
        {
            return Err(OpinionError::Initial { actor, value });
        }
        let audience = assign_audience(&params.broadcasters, n, seed);
        let (mut sources, mut cum_weights) = (Vec::new(), Vec::new());
        if let (Rule::Deffuant { .. }, Network::Sparse(g)) = (&params.rule, network.as_ref()) {
            sources.reserve(g.targets().len());
            for i in 0..n {
                sources.extend(std::iter::repeat_n(i as u32, g.degree(i)));
            }
            if let Some(w) = g.weights() {
                let mut acc = 0.0;
                cum_weights = w
                    .iter()
                    .map(|x| {
                        acc += x;
                        acc
                    })
                    .collect();
            }
        }
        let mut order: Vec<u32> = Vec::new();
        if matches!(params.rule, Rule::HegselmannKrause { .. }) && network.is_complete() {
            order = (0..n as u32).collect();
        }
        Ok(OpinionModel {
            params,
            x: initial,
            network,
            rng: rng::stream(seed, 0),
            audience,
            sources,
            cum_weights,
            order,
            sorted: Vec::new(),
            prefix: Vec::new(),
            next: Vec::new(),
            converged_at: None,
            steps: 0,
        })
    }

    /// Every actor's opinion.
    pub fn opinions(&self) -> &[f64] {
        &self.x
    }

    /// The parameters.
    pub fn params(&self) -> &OpinionParams {
        &self.params
    }

    /// The broadcaster each actor follows (`None` = none).
    pub fn audience(&self, actor: usize) -> Option<usize> {
        let b = self.audience[actor];
        (b != NONE).then_some(b as usize)
    }

    /// The step (1-based) after which a Hegselmann–Krause state stopped changing; `None`
    /// while it still moves, and always for Deffuant (which converges only
    /// asymptotically).
    pub fn converged_at(&self) -> Option<u64> {
        self.converged_at
    }

    /// Steps taken so far.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// The statistics of the current state.
    pub fn stats(&self) -> OpinionStats {
        stats(
            &self.x,
            self.params.rule.confidence(),
            self.params.major_threshold(),
        )
    }

    /// Advance one step.
    pub fn step(&mut self) {
        self.steps += 1;
        match self.params.rule {
            Rule::Deffuant {
                confidence,
                convergence,
            } => self.deffuant_step(confidence, convergence),
            Rule::HegselmannKrause { confidence } => {
                if self.converged_at.is_some() {
                    return;
                }
                let fixed = if self.network.is_complete() {
                    self.hk_complete(confidence)
                } else {
                    self.hk_network(confidence)
                };
                if fixed {
                    self.converged_at = Some(self.steps - 1);
                } else {
                    std::mem::swap(&mut self.x, &mut self.next);
                }
            }
        }
    }

    fn deffuant_step(&mut self, eps: f64, mu: f64) {
        let n = self.x.len();
        let e = self.params.exposure;
        let broadcast = e > 0.0 && !self.params.broadcasters.is_empty();
        let half_edges = self.sources.len();
        for _ in 0..n {
            if broadcast && self.rng.random::<f64>() < e {
                let i = self.rng.random_range(0..n);
                let b = self.audience[i];
                if b != NONE {
                    let target = self.params.broadcasters[b as usize].opinion;
                    if (target - self.x[i]).abs() < eps {
                        self.x[i] += mu * (target - self.x[i]);
                    }
                }
                continue;
            }
            let (i, j) = match self.network.as_ref() {
                Network::Complete { .. } => {
                    if n < 2 {
                        continue;
                    }
                    let i = self.rng.random_range(0..n);
                    let mut j = self.rng.random_range(0..n - 1);
                    if j >= i {
                        j += 1;
                    }
                    (i, j)
                }
                Network::Sparse(g) => {
                    if half_edges == 0 {
                        continue;
                    }
                    let s = if self.cum_weights.is_empty() {
                        self.rng.random_range(0..half_edges)
                    } else {
                        let total = self.cum_weights[half_edges - 1];
                        let u = self.rng.random::<f64>() * total;
                        self.cum_weights
                            .partition_point(|&c| c <= u)
                            .min(half_edges - 1)
                    };
                    (self.sources[s] as usize, g.targets()[s] as usize)
                }
            };
            let (xi, xj) = (self.x[i], self.x[j]);
            if (xi - xj).abs() < eps {
                let d = mu * (xj - xi);
                self.x[i] = xi + d;
                self.x[j] = xj - d;
            }
        }
    }

    /// The broadcaster pull for actor `a` at opinion `xa`: `Some(b)` if it follows a
    /// broadcaster within `eps` and exposure is positive.
    #[inline]
    fn pull(&self, a: usize, xa: f64, eps: f64) -> Option<f64> {
        let b = self.audience[a];
        if b == NONE || self.params.exposure <= 0.0 {
            return None;
        }
        let target = self.params.broadcasters[b as usize].opinion;
        ((target - xa).abs() <= eps).then_some(target)
    }

    /// One synchronous HK step on the complete graph into `self.next`; returns whether the
    /// map is the identity at this state (then `next` is not meaningful).
    fn hk_complete(&mut self, eps: f64) -> bool {
        let n = self.x.len();
        let x = &self.x;
        // Opinions stay almost sorted from step to step: the stable sort is near O(N).
        self.order
            .sort_by(|a, b| x[*a as usize].total_cmp(&x[*b as usize]));
        self.sorted.clear();
        self.sorted
            .extend(self.order.iter().map(|&a| x[a as usize]));
        // Neumaier-compensated prefix sums: prefix[k] = Σ_{l<k} sorted[l] as (sum, error).
        self.prefix.clear();
        self.prefix.reserve(n + 1);
        let (mut s, mut c) = (0.0f64, 0.0f64);
        self.prefix.push((0.0, 0.0));
        for &v in &self.sorted {
            let t = s + v;
            if s.abs() >= v.abs() {
                c += (s - t) + v;
            } else {
                c += (v - t) + s;
            }
            s = t;
            self.prefix.push((s, c));
        }
        self.next.resize(n, 0.0);
        let e = self.params.exposure;
        let mut fixed = true;
        let (mut l, mut r) = (0usize, 0usize);
        for k in 0..n {
            let v = self.sorted[k];
            while v - self.sorted[l] > eps {
                l += 1;
            }
            if r < k {
                r = k;
            }
            while r < n && self.sorted[r] - v <= eps {
                r += 1;
            }
            let a = self.order[k] as usize;
            let pull = self.pull(a, v, eps);
            if self.sorted[l] != v || self.sorted[r - 1] != v || pull.is_some_and(|b| b != v) {
                fixed = false;
            }
            let (hi_r, lo_r) = self.prefix[r];
            let (hi_l, lo_l) = self.prefix[l];
            let mean = ((hi_r - hi_l) + (lo_r - lo_l)) / (r - l) as f64;
            self.next[a] = match pull {
                Some(b) => (1.0 - e) * mean + e * b,
                None => mean,
            };
        }
        fixed
    }

    /// One synchronous HK step on a sparse network into `self.next`.
    fn hk_network(&mut self, eps: f64) -> bool {
        let Network::Sparse(g) = self.network.as_ref() else {
            unreachable!("hk_network on the complete graph")
        };
        let n = self.x.len();
        self.next.resize(n, 0.0);
        let e = self.params.exposure;
        let mut fixed = true;
        for i in 0..n {
            let xi = self.x[i];
            let (mut sum, mut weight) = (xi, 1.0);
            let w = g.weights_of(i);
            for (k, &j) in g.neighbours(i).iter().enumerate() {
                let xj = self.x[j as usize];
                if (xj - xi).abs() <= eps {
                    if xj != xi {
                        fixed = false;
                    }
                    let wij = w.map_or(1.0, |w| w[k]);
                    sum += wij * xj;
                    weight += wij;
                }
            }
            let mean = sum / weight;
            let pull = self.pull(i, xi, eps);
            if pull.is_some_and(|b| b != xi) {
                fixed = false;
            }
            self.next[i] = match pull {
                Some(b) => (1.0 - e) * mean + e * b,
                None => mean,
            };
        }
        fixed
    }
}

/// Assign `round(share · n)` actors to each broadcaster (largest remainders, so the
/// counts sum to `round(Σ share · n)` at most n), drawn as a uniformly random set.
fn assign_audience(broadcasters: &[Broadcaster], n: usize, seed: u64) -> Vec<u32> {
    let mut audience = vec![NONE; n];
    if broadcasters.is_empty() {
        return audience;
    }
    let quotas: Vec<f64> = broadcasters.iter().map(|b| b.share * n as f64).collect();
    let total = (quotas.iter().sum::<f64>().round() as usize).min(n);
    let mut counts: Vec<usize> = quotas.iter().map(|q| q.floor() as usize).collect();
    let mut rest: Vec<usize> = (0..quotas.len()).collect();
    rest.sort_by(|&a, &b| {
        let fa = quotas[a] - quotas[a].floor();
        let fb = quotas[b] - quotas[b].floor();
        fb.total_cmp(&fa).then(a.cmp(&b))
    });
    // total − Σ floor < number of broadcasters + ½, so one pass over the remainders suffices.
    let missing = total.saturating_sub(counts.iter().sum());
    for &k in rest.iter().take(missing) {
        counts[k] += 1;
    }
    // A uniformly random order of the actors (Fisher–Yates), then consecutive runs.
    let mut rng = rng::stream(seed, AUDIENCE_STREAM);
    let mut perm: Vec<u32> = (0..n as u32).collect();
    for i in (1..n).rev() {
        let j = rng.random_range(0..=i);
        perm.swap(i, j);
    }
    let mut pos = 0;
    for (b, &c) in counts.iter().enumerate() {
        for &a in &perm[pos..pos + c] {
            audience[a as usize] = b as u32;
        }
        pos += c;
    }
    audience
}

// --- the registered model ----------------------------------------------------------------

/// `[opinion]` as written in a scenario.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OpinionSpec {
    /// `"deffuant"` (default) or `"hk"`.
    pub rule: Option<String>,
    /// ε in (0, 1].
    pub confidence: Option<f64>,
    /// μ in (0, ½] (Deffuant only; default ½).
    pub convergence: Option<f64>,
    /// e in [0, 1] (default 0: broadcasters then have no pull).
    pub exposure: Option<f64>,
    /// Share a cluster must hold to be major (default ε/2).
    pub major_share: Option<f64>,
    /// `[[opinion.broadcasters]]` entries.
    #[serde(default)]
    pub broadcasters: Vec<BroadcasterSpec>,
}

/// One `[[opinion.broadcasters]]` entry.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct BroadcasterSpec {
    /// The broadcaster's opinion, in `[0, 1]`.
    pub opinion: f64,
    /// Its audience share, in `[0, 1]`; all shares sum to at most 1.
    pub share: f64,
}

/// The opinion model's validated setup.
#[derive(Debug, Clone, PartialEq)]
pub struct OpinionSetup {
    /// The validated `[opinion]` parameters.
    pub params: OpinionParams,
    /// The graph actors meet on (`[network]`; complete by default).
    pub network: NetworkSetup,
}

/// The opinion model, as registered (`model = "opinion"`).
pub struct Opinion;

/// The columns the opinion model records, in order.
pub const COLUMNS: [ColumnDef; 7] = [
    ColumnDef::count("clusters", "opinion clusters"),
    ColumnDef::count("major_clusters", "major clusters"),
    ColumnDef::share("largest_cluster_share", "largest cluster share"),
    ColumnDef::share("mean_opinion", "mean opinion"),
    ColumnDef::real("dispersion", "dispersion (SD of opinions)"),
    ColumnDef::share("polarisation", "polarisation (Esteban–Ray)"),
    ColumnDef::count("converged", "converged (HK fixed point)"),
];

impl ModelDef for Opinion {
    fn name(&self) -> &'static str {
        "opinion"
    }
    fn about(&self) -> &'static str {
        "bounded-confidence opinion dynamics (Deffuant–Weisbuch, Hegselmann–Krause) on a network, with broadcasters"
    }
    fn keys(&self) -> &'static [&'static str] {
        &["opinion", "network"]
    }
    fn initial_may_be_zero(&self) -> bool {
        true
    }
    fn params(&self) -> Vec<ParamInfo> {
        let r = ParamInfo::real;
        let mut v = vec![
            ParamInfo::choice(
                "opinion.rule",
                "\"deffuant\"",
                &["deffuant", "hk"],
                "pairwise meetings (Deffuant–Weisbuch) or everyone to the mean of its confidence set (Hegselmann–Krause)",
            ),
            r(
                "opinion.confidence",
                "",
                Some(0.0),
                Some(1.0),
                "opinion units",
                "epsilon: actors listen only to opinions closer than this",
            )
            .with_example("0.2"),
            r(
                "opinion.convergence",
                "0.5",
                Some(0.0),
                Some(0.5),
                "",
                "mu (Deffuant): each side of a meeting moves this fraction of the gap",
            )
            .when(&[Condition::new("opinion.rule", &["deffuant"])]),
            r(
                "opinion.exposure",
                "0.0",
                Some(0.0),
                Some(1.0),
                "",
                "fraction of an actor's influence that comes from its broadcaster",
            ),
            r(
                "opinion.major_share",
                "",
                Some(0.0),
                Some(1.0),
                "",
                "share a cluster must hold to count as major (default epsilon/2)",
            ),
        ];
        v.extend(
            section::params()
                .into_iter()
                .map(|p| p.in_optional_table("network")),
        );
        v
    }
    fn validate(&self, cx: &mut ValidateCx<'_>) -> Result<Box<dyn ModelSetup>, FieldError> {
        cx.time()?;
        let spec: OpinionSpec = cx.require_section("opinion")?;
        for (i, g) in cx.groups.iter().enumerate() {
            let ok = match &g.initial {
                Initial::Constant(v) => (0.0..=1.0).contains(v),
                Initial::Uniform { low, high } => *low >= 0.0 && *high <= 1.0,
                Initial::Values(vs) => vs.iter().all(|v| (0.0..=1.0).contains(v)),
                Initial::Lognormal { .. } | Initial::Pareto { .. } => false,
            };
            if !ok {
                return Err(err(
                    format!("actors[{i}].initial"),
                    format!("group \"{}\": opinions must lie in [0, 1]", g.name),
                    "initial = { uniform = { low = 0.0, high = 1.0 } }, a constant or values in [0, 1]",
                ));
            }
        }
        let confidence = spec.confidence.ok_or_else(|| {
            err(
                "opinion.confidence",
                "`confidence` (epsilon) is required",
                "e.g. confidence = 0.2",
            )
        })?;
        let rule = match spec.rule.as_deref().unwrap_or("deffuant") {
            "deffuant" => Rule::Deffuant {
                confidence,
                convergence: spec.convergence.unwrap_or(0.5),
            },
            "hk" => {
                if spec.convergence.is_some() {
                    return Err(err(
                        "opinion.convergence",
                        "`convergence` applies to rule = \"deffuant\" only",
                        "leave it out for rule = \"hk\"",
                    ));
                }
                Rule::HegselmannKrause { confidence }
            }
            other => {
                return Err(err(
                    "opinion.rule",
                    format!("unknown rule \"{other}\""),
                    "\"deffuant\" or \"hk\"",
                ));
            }
        };
        let params = OpinionParams {
            rule,
            broadcasters: spec
                .broadcasters
                .iter()
                .map(|b| Broadcaster {
                    opinion: b.opinion,
                    share: b.share,
                })
                .collect(),
            exposure: spec.exposure.unwrap_or(0.0),
            major_share: spec.major_share,
        };
        params.check().map_err(|e| match e {
            OpinionError::Parameter {
                field,
                value,
                valid,
            } => err(format!("opinion.{field}"), format!("{value}"), valid),
            other => err("opinion", other.to_string(), "see docs/opinion.md"),
        })?;
        let network = section::validate(cx)?;
        Ok(Box::new(OpinionSetup { params, network }))
    }
}

impl ModelSetup for OpinionSetup {
    fn build(&self, sc: &Scenario, replicate: u32) -> Box<dyn Model> {
        let initial = initial_values(&sc.groups, sc.seed, replicate);
        let seed = replicate_seed(sc.seed, replicate);
        let net = self.network.network_for(initial.len(), seed);
        Box::new(OpinionRun(
            OpinionModel::new(self.params.clone(), initial, net, seed)
                .expect("validated parameters"),
        ))
    }
    fn observation(&self) -> Observation {
        Observation {
            concentration: false,
            columns: COLUMNS.to_vec(),
            key: vec!["major_clusters", "largest_cluster_share", "polarisation"],
        }
    }
    /// Clusters, the largest cluster's share, polarisation and dispersion over time, one
    /// column per panel (so `[[compare]]` variants share each panel).
    fn charts(&self) -> Vec<ChartDef> {
        vec![
            ChartDef::new(
                "clusters",
                "Opinion clusters over time",
                "The number of major opinion clusters and of all clusters (docs/opinion.md \
                 gives the clustering rule), the largest cluster's share of the actors, the \
                 Esteban–Ray polarisation and the dispersion (standard deviation) of opinions.",
            )
            .panel(
                PanelDef::lines("major clusters", "number of clusters")
                    .series("major_clusters", "major clusters"),
            )
            .panel(
                PanelDef::lines("largest cluster", "share of the actors")
                    .series("largest_cluster_share", "largest cluster")
                    .range(0.0, 1.0),
            )
            .panel(
                PanelDef::lines("all clusters", "number of clusters")
                    .series("clusters", "all clusters"),
            )
            .panel(
                PanelDef::lines("polarisation (Esteban–Ray)", "polarisation")
                    .series("polarisation", "polarisation"),
            )
            .panel(
                PanelDef::lines("dispersion", "standard deviation of opinions")
                    .series("dispersion", "dispersion"),
            ),
        ]
    }
}

/// One replicate as the runner sees it: the values are the opinions.
struct OpinionRun(OpinionModel);

impl Model for OpinionRun {
    fn step(&mut self, _step: u64, _t: f64) -> Result<(), ModelError> {
        self.0.step();
        Ok(())
    }
    fn values(&self) -> &[f64] {
        self.0.opinions()
    }
    fn observe(&self, out: &mut Vec<f64>) {
        let s = self.0.stats();
        out.extend([
            s.clusters as f64,
            s.major_clusters as f64,
            s.largest_cluster_share,
            s.mean,
            s.dispersion,
            s.polarisation,
            f64::from(u8::from(self.0.converged_at().is_some())),
        ]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clusters_split_at_gaps_above_the_bound() {
        let c = clusters(&[0.9, 0.1, 0.15, 0.5, 0.95], 0.1);
        let counts: Vec<usize> = c.iter().map(|c| c.count).collect();
        assert_eq!(counts, vec![2, 1, 2]);
        assert_eq!(c[0].lowest, 0.1);
        assert_eq!(c[2].highest, 0.95);
    }

    #[test]
    fn polarisation_test_vectors() {
        // Consensus: 0. Two equal camps at 0 and 1: 4·2·(¼·½·1) = 1.
        assert_eq!(stats(&[0.5; 10], 0.1, 0.05).polarisation, 0.0);
        let two: Vec<f64> = (0..10).map(|i| if i < 5 { 0.0 } else { 1.0 }).collect();
        let s = stats(&two, 0.1, 0.05);
        assert_eq!((s.clusters, s.polarisation, s.dispersion), (2, 1.0, 0.5));
        // Three equal camps at 0, ½, 1: 4·(1/27)·(½+1 + ½+½ + 1+½) = 4·4/27 = 16/27.
        let three = [0.0, 0.0, 0.5, 0.5, 1.0, 1.0];
        let p = stats(&three, 0.1, 0.05).polarisation;
        assert!((p - 16.0 / 27.0).abs() < 1e-15, "{p}");
    }

    #[test]
    fn audience_counts_follow_shares() {
        let b = [
            Broadcaster {
                opinion: 0.2,
                share: 0.5,
            },
            Broadcaster {
                opinion: 0.8,
                share: 0.25,
            },
        ];
        let a = assign_audience(&b, 10, 3);
        let count = |k: u32| a.iter().filter(|&&x| x == k).count();
        // Quotas 5 and 2.5: total round(7.5) = 8, the remainder goes to the second.
        assert_eq!((count(0), count(1), count(NONE)), (5, 3, 2));
    }

    #[test]
    fn parameters_are_checked() {
        let mut p = OpinionParams::new(Rule::Deffuant {
            confidence: 0.2,
            convergence: 0.7,
        });
        assert!(matches!(
            p.check(),
            Err(OpinionError::Parameter {
                field: "convergence",
                ..
            })
        ));
        p.rule = Rule::HegselmannKrause { confidence: 0.0 };
        assert!(p.check().is_err());
        p.rule = Rule::HegselmannKrause { confidence: 0.2 };
        p.broadcasters = vec![
            Broadcaster {
                opinion: 0.5,
                share: 0.7,
            };
            2
        ];
        assert!(p.check().is_err());
        let net = Arc::new(Network::Complete { n: 3 });
        let p = OpinionParams::new(Rule::HegselmannKrause { confidence: 0.2 });
        let e = OpinionModel::new(p.clone(), vec![0.1, 1.2, 0.3], net.clone(), 1).unwrap_err();
        assert_eq!(
            e,
            OpinionError::Initial {
                actor: 1,
                value: 1.2
            }
        );
        assert!(OpinionModel::new(p, vec![0.1, 0.2], net, 1).is_err());
    }
}
