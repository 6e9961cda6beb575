//! The adoption model (DESIGN.md §4.3): increasing returns, lock-in and interoperability,
//! a generalised Pólya urn (W. B. Arthur 1989; reference/validation.md §3).
//!
//! # The model
//!
//! K platforms hold `n_k` adopters each (N = Σ n_k, counting the initial ones). Adopters
//! arrive one at a time; each chooses platform k with probability proportional to
//!
//! ```text
//! w_k = q_k · (n_k + θ · Σ_{j≠k} n_j)^γ  =  q_k · ((1 − θ) n_k + θ N)^γ
//! ```
//!
//! `γ` (`gamma`) is the strength of network effects: γ > 1 locks in one platform, γ = 1 is
//! Pólya's urn (a random limiting share: Beta(n_1, n_2) for two platforms), γ < 1
//! equalises. `θ` (`interoperability`) makes that fraction of every other platform's
//! network available to platform k's users: θ = 1 makes every platform equally attractive
//! (only quality matters). For two platforms the urn function's slope at the even split
//! is γ(1 − θ)/(1 + θ), so the even split is stable (no lock-in) iff θ > (γ − 1)/(γ + 1).
//! `q_k` (`quality`, default 1) is an intrinsic quality that multiplies attractiveness.
//! With 0^0 = 1: under γ = 0 every platform, empty or not, has weight q_k.
//!
//! # Time
//!
//! The run has `time.steps` steps; step s (1-based) brings
//! `⌊s·A/S⌋ − ⌊(s−1)·A/S⌋` arrivals (A = `adopters`, S = steps): the arrivals are spread as
//! evenly as integers allow and all A have arrived by the end. The runner records the
//! counts every `output.every` steps.
//!
//! **Switching** (`switching` = σ ≥ 0, per adopter per unit model time): in a step of
//! length dt there are Poisson(σ · dt · N) re-choices, N the adopters at the start of the
//! step. A re-choice takes an existing adopter uniformly at random (so from platform k with
//! probability n_k/N), removes them, and lets them choose again by the rule above on the
//! counts without them (they may return to the same platform). The step's arrivals and
//! re-choices happen in a uniformly random order.
//!
//! # Sampling: exact, one event at a time, in O(1) amortised work per event
//!
//! Every arrival (and re-choice) is drawn sequentially from the exact choice
//! probabilities, by rejection from an envelope held in a sum tree:
//!
//! * For each platform we keep an interval of counts `[lo_k, hi_k]` around `n_k` (width
//!   2·max(1, ⌊n_k/256⌋)) and, when θ > 0, an interval `[N_lo, N_hi]` of the total. Since
//!   `w_k` is non-decreasing in n_k and N (γ ≥ 0), `U_k = w_k(hi_k, N_hi)` bounds the exact
//!   weight from above and `L_k = w_k(lo_k, N_lo)` from below while the state stays in the
//!   box.
//! * A proposal draws u uniform on [0, Σ U) and descends the sum tree of the `U_k` to the
//!   platform k whose cumulative interval contains u; the residual r = u − (cumulative
//!   before k) is uniform on [0, U_k) and independent of k. The proposal is accepted iff
//!   r < w_k (exact weight), so P(k and accept) = U_k/ΣU · w_k/U_k = w_k/ΣU: conditionally
//!   on acceptance k has exactly the law w_k/Σw (standard rejection sampling); on
//!   rejection nothing changes and we propose again. The squeeze r < L_k accepts without
//!   computing the power, so most events cost one uniform, one tree descent and no `powf`.
//! * When a count leaves its interval the platform's bounds are recomputed (O(log K));
//!   when N leaves `[N_lo, N_hi]` all are (O(K)). The total's window is
//!   ⌊min_k a_k / (256 θ)⌋ arrivals (a_k = (1−θ)n_k + θN ≥ θN), so θ·ΔN moves no
//!   platform's a_k by more than 1/256 of itself; with θ = 0 the window is infinite and
//!   only the chosen platform's bound ever changes.
//!
//! The acceptance rate is ≥ (1 + 1/128)^(−γ) once counts are in the hundreds, so the cost
//! is O(log K) per event with a small constant and exact in distribution (up to the 53-bit
//! resolution of the uniforms and f64 sums). 10^8 adopters take about a second (see
//! `benches/adoption.rs`).
//!
//! **Exact batches.** Where the urn has a closed form the step's arrivals are drawn in one
//! go ([`Method::Auto`], the default; only in steps without re-choices):
//! * γ = 1, θ = 0, equal qualities (Pólya's urn): the m arrivals of a step are
//!   Dirichlet-multinomial(m; n_1..n_K) (exchangeability): draw p ~ Dirichlet(n) by
//!   normalised Gamma(n_k, 1) variates, then Multinomial(m, p) by conditional binomials;
//! * γ = 0 or θ = 1: every platform's network term is equal, so the arrivals are
//!   Multinomial(m, q / Σq).
//!
//! [`Method::Sequential`] turns the batches off (the tests check both against the same
//! targets).
//!
//! # On a network: interoperability with neighbours
//!
//! With a `[network]` over the platforms (actor i is platform i), interoperability runs
//! along edges only: platform k's users reach its own adopters and θ of those of its
//! *neighbours* (a shared standard inside a coalition, bilateral interconnection):
//!
//! ```text
//! w_k = q_k · (n_k + θ · Σ_{j ∈ N(k)} n_j)^γ
//! ```
//!
//! On the complete graph this is the formula above, and `kind = "complete"` (or no
//! `[network]`) runs the sampler above unchanged (bit for bit). On any other graph each
//! event is drawn exactly from these weights by a direct scan ([`NetUrn`]): O(K) per event
//! plus the degree of the platform that changed, so meant for the few-to-thousands of
//! platforms a market has. Batches: only γ = 0 (a multinomial split by quality) and θ = 0
//! with γ = 1 and equal qualities (Pólya: the graph plays no part) keep their closed
//! form. Known answers (tested): with θ = 0 the graph plays no part; on two disconnected
//! components under γ = 1 and θ = 1 every platform of component c weighs S_c (the
//! component's adopters), so component c attracts in proportion to |c|·S_c and, for
//! components of equal size, the components' totals follow Pólya's urn while arrivals
//! inside a component split evenly.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Binomial, Distribution, Gamma, Poisson};
use serde::{Deserialize, Serialize};

use std::sync::Arc;

use crate::network::section::{self, NetworkSetup};
use crate::network::{Csr, Network};
use crate::policy::{Policy, PolicyCx, PolicyFields, Window};
use crate::registry::{
    ListItem, Model, ModelDef, ModelError, ModelSetup, ParamInfo, ParamType, PolicyInfo, ValidateCx,
};
use crate::rng;
use crate::scenario::validate::check::unit_interval;
use crate::scenario::{FieldError, Scenario};
use crate::setup::{ActorGroup, ActorKind, Initial, TimeGrid, replicate_seed};

/// What an adoption policy does.
#[derive(Debug, Clone, PartialEq)]
pub enum AdoptionPolicy {
    /// A floor `value` on interoperability θ while active (adversarial interoperability,
    /// alternative clients, mandated standards such as the common charger). The θ in
    /// force is the largest of `adoption.interoperability` and the active floors;
    /// model-wide.
    Interoperability {
        /// The floor on θ, in `[0, 1]`.
        value: f64,
    },
}

/// The policy kinds of the adoption model.
pub const POLICY_KINDS: &[PolicyFields] = &[("interoperability", &["value"])];

/// The adoption model's validated setup.
#[derive(Debug, Clone, PartialEq)]
pub struct AdoptionSetup {
    /// Validated `[adoption]` parameters.
    pub params: AdoptionParams,
    /// The validated `[[policy]]` tables, in file order.
    pub policies: Vec<Policy<AdoptionPolicy>>,
    /// `[network]` over the platforms: interoperability with neighbours only (absent:
    /// with every platform).
    pub network: NetworkSetup,
}

/// The adoption model, as registered.
pub struct Adoption;

impl ModelDef for Adoption {
    fn name(&self) -> &'static str {
        "adoption"
    }
    fn about(&self) -> &'static str {
        "increasing returns and lock-in: a generalised Pólya urn with interoperability (DESIGN.md §4.3)"
    }
    fn keys(&self) -> &'static [&'static str] {
        &["adoption", "network"]
    }
    fn uses_actors(&self) -> bool {
        false
    }
    fn params(&self) -> Vec<ParamInfo> {
        let r = ParamInfo::real;
        let int = |path: &'static str,
                   default: &'static str,
                   min: Option<f64>,
                   max: Option<f64>,
                   unit: &'static str,
                   doc: &'static str| ParamInfo {
            kind: ParamType::Integer,
            ..r(path, default, min, max, unit, doc)
        };
        vec![
            int(
                "adoption.platforms",
                "",
                Some(1.0),
                Some(MAX_PLATFORMS as f64),
                "platforms",
                "K, the number of competing platforms",
            ),
            r(
                "adoption.adopters",
                "",
                Some(0.0),
                Some(MAX_ADOPTERS),
                "adopters",
                "arrivals over the run",
            )
            .with_example("1000"),
            r(
                "adoption.gamma",
                "1.0",
                Some(0.0),
                Some(MAX_GAMMA),
                "",
                "network effect exponent: 1 = Pólya urn, > 1 lock-in",
            ),
            r(
                "adoption.interoperability",
                "0.0",
                Some(0.0),
                Some(1.0),
                "",
                "theta: the share of rivals' networks each platform can use",
            ),
            r(
                "adoption.switching",
                "0.0",
                Some(0.0),
                None,
                "per adopter per unit time",
                "rate at which adopters re-choose",
            ),
            ParamInfo::list(
                "adoption.initial",
                ListItem::Integer,
                Some(0.0),
                None,
                "adopters",
                "starting adopters per platform, one count per platform (default 1 each)",
            ),
            ParamInfo::list(
                "adoption.quality",
                ListItem::Real,
                Some(0.0),
                None,
                "",
                "intrinsic quality per platform, > 0, one per platform (default 1 each)",
            ),
        ]
        .into_iter()
        .chain(
            section::params()
                .into_iter()
                .map(|p| p.in_optional_table("network")),
        )
        .collect()
    }
    fn policy_kinds(&self) -> &'static [PolicyFields] {
        POLICY_KINDS
    }
    fn policies(&self) -> Vec<PolicyInfo> {
        vec![PolicyInfo::new(
            "interoperability",
            "theta is at least `value` while active (adversarial interoperability, mandated standards)",
            vec![
                ParamInfo::real("value", "", Some(0.0), Some(1.0), "", "the floor on theta")
                    .with_example("0.5"),
            ],
        )]
    }
    fn validate(&self, cx: &mut ValidateCx<'_>) -> Result<Box<dyn ModelSetup>, FieldError> {
        let time = cx.time()?;
        let spec: AdoptionSpec = cx.require_section("adoption")?;
        let params = validate(&spec, &time, cx.actor_count())?;
        // The platforms are the actors: one group.
        cx.groups = vec![params.group()];
        let policies = cx.policies(POLICY_KINDS, |p: &PolicyCx<'_>| {
            p.no_groups()?;
            Ok(AdoptionPolicy::Interoperability {
                value: unit_interval(&p.field("value"), p.require_f64("value")?)?,
            })
        })?;
        let network =
            section::validate(cx)?.unweighted("adoption", "platforms that interoperate")?;
        Ok(Box::new(AdoptionSetup {
            params,
            policies,
            network,
        }))
    }
}

impl ModelSetup for AdoptionSetup {
    fn build(&self, sc: &Scenario, replicate: u32) -> Box<dyn Model> {
        let mut m = AdoptionModel::new(sc, &self.params, &self.policies, replicate);
        let net = self
            .network
            .network_for(self.params.platforms, replicate_seed(sc.seed, replicate));
        if !net.is_complete() {
            m.net = Some(NetUrn::new(&self.params, net));
        }
        Box::new(m)
    }
}

/// Largest number of platforms.
pub const MAX_PLATFORMS: usize = 1_000_000;
/// Largest `gamma` (keeps every weight finite in f64).
pub const MAX_GAMMA: f64 = 10.0;
/// Largest number of adopters (initial + arrivals): counts stay exact in f64.
pub const MAX_ADOPTERS: f64 = 4_503_599_627_370_496.0; // 2^52
/// Largest expected number of re-choices in a run (a guard against a typo in `switching`).
pub const MAX_RECHOICES: f64 = 1e10;
/// The name of the single actor group the platforms form.
pub const GROUP: &str = "platforms";
/// Relative half-width of the envelope intervals.
const EPS: f64 = 1.0 / 256.0;

/// `[adoption]` as written in a scenario.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AdoptionSpec {
    /// K, the number of platforms (default: the length of `initial`).
    pub platforms: Option<i64>,
    /// γ >= 0, the strength of network effects (default 1).
    pub gamma: Option<f64>,
    /// θ in [0, 1] (default 0).
    pub interoperability: Option<f64>,
    /// Starting adopters per platform (default: 1 each).
    pub initial: Option<Vec<f64>>,
    /// Arrivals per run.
    pub adopters: f64,
    /// Intrinsic quality per platform, > 0 (default: 1 each).
    pub quality: Option<Vec<f64>>,
    /// Re-choices per adopter per unit model time (default 0).
    pub switching: Option<f64>,
}

/// How arrivals are sampled (both exact in distribution).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Method {
    /// Exact batches where a closed form exists, else one by one.
    #[default]
    Auto,
    /// Always one by one.
    Sequential,
}

/// Validated parameters of the adoption model.
#[derive(Debug, Clone, PartialEq)]
pub struct AdoptionParams {
    /// K, the number of platforms (1 to [`MAX_PLATFORMS`]).
    pub platforms: usize,
    /// γ in `[0, MAX_GAMMA]`: strength of network effects (1 = Pólya's urn, > 1 lock-in).
    pub gamma: f64,
    /// θ in `[0, 1]`: the share of other platforms' networks available to each platform's
    /// users (0 none, 1 full interoperability).
    pub interoperability: f64,
    /// Starting adopters per platform (K counts, at least one adopter in all; default 1 each).
    pub initial: Vec<u64>,
    /// Adopters arriving over the run (all of them by `time.end`).
    pub adopters: u64,
    /// Intrinsic quality q_k > 0 per platform, multiplying attractiveness (default 1 each).
    pub quality: Vec<f64>,
    /// σ >= 0: re-choices per adopter per unit model time (default 0).
    pub switching: f64,
    /// How arrivals are sampled (always [`Method::Auto`] from a scenario; tests use both).
    pub method: Method,
}

impl AdoptionParams {
    /// The actor group the platforms form in outputs.
    pub fn group(&self) -> ActorGroup {
        ActorGroup {
            name: GROUP.into(),
            kind: ActorKind::Firm,
            count: self.platforms,
            initial: Initial::Values(self.initial.iter().map(|&n| n as f64).collect()),
            openness: 0.0,
        }
    }
}

fn ferr(field: &str, message: String, help: &str) -> FieldError {
    FieldError {
        field: format!("adoption.{field}"),
        message,
        help: Some(help.into()),
    }
}

/// A count: a finite, non-negative integer below [`MAX_ADOPTERS`].
fn count(field: &str, v: f64) -> Result<u64, FieldError> {
    if v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v <= MAX_ADOPTERS {
        Ok(v as u64)
    } else {
        Err(ferr(
            field,
            format!("{v} is not a whole number of adopters"),
            "an integer >= 0 (at most 2^52)",
        ))
    }
}

/// Validate `[adoption]` for a run on `time`. `n` is the number of actors that
/// `[[actors]]` defines, which must be 0: the platforms are the actors.
pub fn validate(
    spec: &AdoptionSpec,
    time: &TimeGrid,
    n: usize,
) -> Result<AdoptionParams, FieldError> {
    if n > 0 {
        return Err(FieldError {
            field: "actors".into(),
            message: "model = \"adoption\" takes no [[actors]]: the platforms are the actors"
                .into(),
            help: Some(
                "remove [[actors]]; set adoption.platforms and adoption.initial instead".into(),
            ),
        });
    }
    let platforms = match (spec.platforms, &spec.initial) {
        (Some(k), _) if k < 1 || k as usize > MAX_PLATFORMS => {
            return Err(ferr(
                "platforms",
                format!("platforms = {k}"),
                &format!("an integer from 1 to {MAX_PLATFORMS}"),
            ));
        }
        (Some(k), _) => k as usize,
        (None, Some(v)) if !v.is_empty() && v.len() <= MAX_PLATFORMS => v.len(),
        (None, _) => {
            return Err(ferr(
                "platforms",
                "the number of platforms is not given".into(),
                "platforms = K, or an `initial` list of K counts",
            ));
        }
    };
    let gamma = spec.gamma.unwrap_or(1.0);
    if !(gamma.is_finite() && (0.0..=MAX_GAMMA).contains(&gamma)) {
        return Err(ferr(
            "gamma",
            format!("gamma = {gamma}"),
            &format!("a number from 0 to {MAX_GAMMA} (1 = Pólya's urn, > 1 lock-in)"),
        ));
    }
    let theta = spec.interoperability.unwrap_or(0.0);
    if !(theta.is_finite() && (0.0..=1.0).contains(&theta)) {
        return Err(ferr(
            "interoperability",
            format!("interoperability = {theta}"),
            "a number between 0 (none) and 1 (full)",
        ));
    }
    let initial = match &spec.initial {
        None => vec![1; platforms],
        Some(v) if v.len() != platforms => {
            return Err(ferr(
                "initial",
                format!("{} counts for {platforms} platforms", v.len()),
                &format!("a list of {platforms} counts, one per platform"),
            ));
        }
        Some(v) => v
            .iter()
            .enumerate()
            .map(|(i, &x)| count(&format!("initial[{i}]"), x))
            .collect::<Result<Vec<_>, _>>()?,
    };
    let start: u64 = initial.iter().sum();
    if start == 0 {
        return Err(ferr(
            "initial",
            "no platform has an adopter".into(),
            "at least one initial adopter (counts >= 0, sum >= 1)",
        ));
    }
    let adopters = count("adopters", spec.adopters)?;
    let final_total = start as f64 + adopters as f64;
    if final_total > MAX_ADOPTERS {
        return Err(ferr(
            "adopters",
            format!("{final_total} adopters in all (with the initial ones)"),
            "at most 2^52 in all",
        ));
    }
    let quality = match &spec.quality {
        None => vec![1.0; platforms],
        Some(v) if v.len() != platforms => {
            return Err(ferr(
                "quality",
                format!("{} qualities for {platforms} platforms", v.len()),
                &format!("a list of {platforms} numbers > 0, one per platform"),
            ));
        }
        Some(v) => {
            for (i, &q) in v.iter().enumerate() {
                if !(q.is_finite() && q > 0.0) {
                    return Err(ferr(
                        &format!("quality[{i}]"),
                        format!("{q} is not a positive number"),
                        "a number > 0 (1 = neutral; it multiplies attractiveness)",
                    ));
                }
            }
            v.clone()
        }
    };
    let qmax = quality.iter().copied().fold(0.0, f64::max);
    let largest = qmax * final_total.powf(gamma);
    if largest.is_nan() || largest >= 1e300 {
        return Err(ferr(
            "gamma",
            format!("quality x (adopters)^gamma = {largest:e} overflows"),
            "a smaller gamma, quality or number of adopters",
        ));
    }
    let switching = spec.switching.unwrap_or(0.0);
    if !(switching.is_finite() && switching >= 0.0) {
        return Err(ferr(
            "switching",
            format!("switching = {switching}"),
            "a rate >= 0 per adopter per unit time",
        ));
    }
    let expected = switching * time.end * final_total;
    if expected > MAX_RECHOICES {
        return Err(ferr(
            "switching",
            format!("about {expected:e} re-choices in a run"),
            &format!(
                "switching <= {:e} per adopter per unit time here",
                MAX_RECHOICES / (time.end * final_total)
            ),
        ));
    }
    Ok(AdoptionParams {
        platforms,
        gamma,
        interoperability: theta,
        initial,
        adopters,
        quality,
        switching,
        method: Method::Auto,
    })
}

/// A complete binary tree of sums over `len` leaves (padded with zeros to a power of two).
/// Every internal node is recomputed from its children, so sums never drift.
#[derive(Debug, Clone)]
pub(crate) struct SumTree<T> {
    size: usize,
    node: Vec<T>,
}

impl<T> SumTree<T>
where
    T: Copy + Default + PartialOrd + std::ops::Add<Output = T> + std::ops::Sub<Output = T>,
{
    pub(crate) fn new(leaves: &[T]) -> Self {
        let size = leaves.len().next_power_of_two();
        let mut t = SumTree {
            size,
            node: vec![T::default(); 2 * size],
        };
        t.rebuild(leaves);
        t
    }

    pub(crate) fn rebuild(&mut self, leaves: &[T]) {
        self.node[self.size..self.size + leaves.len()].copy_from_slice(leaves);
        for i in (1..self.size).rev() {
            self.node[i] = self.node[2 * i] + self.node[2 * i + 1];
        }
    }

    pub(crate) fn total(&self) -> T {
        self.node[1]
    }

    pub(crate) fn set(&mut self, k: usize, v: T) {
        let mut i = self.size + k;
        self.node[i] = v;
        while i > 1 {
            i /= 2;
            self.node[i] = self.node[2 * i] + self.node[2 * i + 1];
        }
    }

    /// The leaf whose cumulative interval contains `u`, and the residual within it.
    #[inline]
    pub(crate) fn find(&self, mut u: T) -> (usize, T) {
        let mut i = 1;
        while i < self.size {
            let l = self.node[2 * i];
            if u < l {
                i *= 2;
            } else {
                u = u - l;
                i = 2 * i + 1;
            }
        }
        (i - self.size, u)
    }
}

/// The urn: counts and the sampler's envelope. Exposed for tests and benchmarks;
/// [`AdoptionModel`] drives it through time.
#[derive(Debug, Clone)]
pub struct Urn {
    n: Vec<u64>,
    total: u64,
    q: Vec<f64>,
    gamma: f64,
    theta: f64,
    /// Envelope interval of each count, and of the total.
    lo: Vec<u64>,
    hi: Vec<u64>,
    total_lo: u64,
    total_hi: u64,
    /// Lower (squeeze) and upper (proposal) weights.
    w_lo: Vec<f64>,
    w_hi: Vec<f64>,
    tree: SumTree<f64>,
    /// Counts, for drawing who re-chooses (kept only with switching).
    count_tree: Option<SumTree<u64>>,
}

impl Urn {
    /// An urn with the given counts (at least one positive), qualities, γ and θ;
    /// `switching` keeps the structure needed for re-choices.
    pub fn new(initial: &[u64], quality: &[f64], gamma: f64, theta: f64, switching: bool) -> Urn {
        let k = initial.len();
        assert!(k >= 1 && quality.len() == k);
        let mut u = Urn {
            n: initial.to_vec(),
            total: initial.iter().sum(),
            q: quality.to_vec(),
            gamma,
            theta,
            lo: vec![0; k],
            hi: vec![0; k],
            total_lo: 0,
            total_hi: 0,
            w_lo: vec![0.0; k],
            w_hi: vec![0.0; k],
            tree: SumTree::new(&vec![0.0; k]),
            count_tree: switching.then(|| SumTree::new(initial)),
        };
        u.refresh_all();
        u
    }

    /// Adopters per platform.
    pub fn counts(&self) -> &[u64] {
        &self.n
    }

    /// All adopters.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// The interoperability θ in force.
    pub fn interoperability(&self) -> f64 {
        self.theta
    }

    /// Change θ (a policy); the envelope is rebuilt.
    pub fn set_interoperability(&mut self, theta: f64) {
        if theta != self.theta {
            self.theta = theta;
            self.refresh_all();
        }
    }

    /// a = (1 − θ) n + θ N, the network a platform with n adopters reaches.
    #[inline]
    fn reach(&self, n: u64, total: u64) -> f64 {
        if self.theta == 0.0 {
            n as f64
        } else {
            (1.0 - self.theta) * n as f64 + self.theta * total as f64
        }
    }

    #[inline]
    fn f(&self, a: f64) -> f64 {
        if self.gamma == 1.0 {
            a
        } else if self.gamma == 2.0 {
            a * a
        } else {
            a.powf(self.gamma)
        }
    }

    /// The exact weight of platform k now.
    #[inline]
    fn weight(&self, k: usize) -> f64 {
        self.q[k] * self.f(self.reach(self.n[k], self.total))
    }

    fn bounds(&mut self, k: usize) {
        let n = self.n[k];
        let h = ((n as f64 * EPS) as u64).max(1);
        self.lo[k] = n.saturating_sub(h);
        self.hi[k] = n + h;
        self.w_lo[k] = self.q[k] * self.f(self.reach(self.lo[k], self.total_lo));
        self.w_hi[k] = self.q[k] * self.f(self.reach(self.hi[k], self.total_hi));
    }

    fn refresh_one(&mut self, k: usize) {
        self.bounds(k);
        self.tree.set(k, self.w_hi[k]);
    }

    fn refresh_all(&mut self) {
        if self.theta == 0.0 {
            self.total_lo = 0;
            self.total_hi = u64::MAX;
        } else {
            let min_reach = (0..self.n.len())
                .map(|k| self.reach(self.n[k], self.total))
                .fold(f64::INFINITY, f64::min);
            let window = ((min_reach * EPS / self.theta) as u64).max(1);
            // One below: a re-choice removes its adopter before choosing.
            self.total_lo = self.total.saturating_sub(1);
            self.total_hi = self.total.saturating_add(window);
        }
        for k in 0..self.n.len() {
            self.bounds(k);
        }
        self.tree.rebuild(&self.w_hi);
        if let Some(ct) = &mut self.count_tree {
            ct.rebuild(&self.n);
        }
    }

    /// Draw a platform with probability w_k / Σ w (exact, by rejection; see the module doc).
    #[inline]
    fn choose(&self, rng: &mut ChaCha8Rng) -> usize {
        let k_count = self.n.len();
        loop {
            let u = rng.random::<f64>() * self.tree.total();
            let (k, r) = self.tree.find(u);
            if k >= k_count {
                continue; // rounding past the last leaf: propose again
            }
            if r < self.w_lo[k] || (r < self.w_hi[k] && r < self.weight(k)) {
                return k;
            }
        }
    }

    #[inline]
    fn add(&mut self, k: usize) {
        self.n[k] += 1;
        self.total += 1;
        if let Some(ct) = &mut self.count_tree {
            ct.set(k, self.n[k]);
        }
        if self.n[k] > self.hi[k] {
            self.refresh_one(k);
        }
        if self.total > self.total_hi {
            self.refresh_all();
        }
    }

    /// One arrival; returns the platform chosen.
    #[inline]
    pub fn arrive(&mut self, rng: &mut ChaCha8Rng) -> usize {
        let k = self.choose(rng);
        self.add(k);
        k
    }

    /// Set platform k's quality (>= 0; a platform of quality 0 is never chosen, e.g. one
    /// that accepts no newcomers for a while). The envelope is updated.
    pub fn set_quality(&mut self, k: usize, q: f64) {
        if self.q[k] != q {
            self.q[k] = q;
            self.refresh_one(k);
        }
    }

    /// Qualities per platform.
    pub fn qualities(&self) -> &[f64] {
        &self.q
    }

    /// `m` adopters of platform k leave the urn (m <= n_k). The envelope is updated.
    pub fn remove(&mut self, k: usize, m: u64) {
        assert!(
            m <= self.n[k],
            "removing more adopters than platform {k} holds"
        );
        if m == 0 {
            return;
        }
        self.n[k] -= m;
        self.total -= m;
        if let Some(ct) = &mut self.count_tree {
            ct.set(k, self.n[k]);
        }
        if self.total < self.total_lo {
            self.refresh_all();
        } else if self.n[k] < self.lo[k] {
            self.refresh_one(k);
        }
    }

    /// One arrival, drawn exactly like [`Urn::arrive`], or `None` when no platform can be
    /// chosen (every exact weight is 0: every quality 0, or only empty platforms under
    /// γ > 0 and θ = 0). Stopping only when the acceptance probability is 0 leaves the
    /// law of an accepted draw unchanged.
    pub fn try_arrive(&mut self, rng: &mut ChaCha8Rng) -> Option<usize> {
        let k_count = self.n.len();
        let mut rejections = 0u32;
        loop {
            if self.tree.total() <= 0.0 {
                return None;
            }
            let u = rng.random::<f64>() * self.tree.total();
            let (k, r) = self.tree.find(u);
            if k < k_count && (r < self.w_lo[k] || (r < self.w_hi[k] && r < self.weight(k))) {
                self.add(k);
                return Some(k);
            }
            rejections += 1;
            if rejections.is_multiple_of(64) && (0..k_count).all(|j| self.weight(j) <= 0.0) {
                return None;
            }
        }
    }

    /// One re-choice: a uniformly random existing adopter leaves and chooses again.
    /// Returns (from, to). Needs an urn built with `switching`.
    pub fn rechoose(&mut self, rng: &mut ChaCha8Rng) -> (usize, usize) {
        let ct = self
            .count_tree
            .as_mut()
            .expect("an urn built with switching");
        let (j, _) = ct.find(rng.random_range(0..self.total));
        if self.total == 1 {
            return (j, j); // a lone adopter has no other network to weigh: stays
        }
        self.n[j] -= 1;
        self.total -= 1;
        ct.set(j, self.n[j]);
        if self.n[j] < self.lo[j] {
            self.refresh_one(j);
        }
        let k = self.choose(rng);
        self.add(k);
        (j, k)
    }

    /// `m` arrivals drawn one by one.
    pub fn arrivals(&mut self, m: u64, rng: &mut ChaCha8Rng) {
        for _ in 0..m {
            self.arrive(rng);
        }
    }

    /// `m` arrivals and `s` re-choices in a uniformly random order; exact batches where
    /// `method` allows and a closed form applies (see the module doc).
    pub fn advance(&mut self, m: u64, s: u64, method: Method, rng: &mut ChaCha8Rng) {
        if s == 0 {
            if method == Method::Auto && m > 0 && self.batch(m, rng) {
                return;
            }
            self.arrivals(m, rng);
            return;
        }
        let (mut ra, mut rs) = (m, s);
        while ra + rs > 0 {
            if rng.random_range(0..ra + rs) < ra {
                self.arrive(rng);
                ra -= 1;
            } else {
                self.rechoose(rng);
                rs -= 1;
            }
        }
    }

    /// Exact batch of `m` arrivals if a closed form applies; false if none does.
    fn batch(&mut self, m: u64, rng: &mut ChaCha8Rng) -> bool {
        let equal_q = self.q.iter().all(|&q| q == self.q[0]);
        let probs: Vec<f64> = if self.gamma == 0.0 || self.theta == 1.0 {
            // Every platform reaches the same network: Multinomial(m, q / Σq).
            self.q.clone()
        } else if self.gamma == 1.0 && self.theta == 0.0 && equal_q && m > 1 {
            // Pólya: Dirichlet-multinomial(m; n).
            self.n
                .iter()
                .map(|&n| {
                    if n == 0 {
                        0.0
                    } else {
                        Gamma::new(n as f64, 1.0).expect("shape > 0").sample(rng)
                    }
                })
                .collect()
        } else {
            return false;
        };
        let mut left = m;
        let mut mass: f64 = probs.iter().sum();
        let last = probs
            .iter()
            .rposition(|&p| p > 0.0)
            .expect("a positive weight");
        for (k, &p) in probs.iter().enumerate() {
            if left == 0 {
                break;
            }
            let x = if k == last {
                left
            } else if p <= 0.0 {
                0
            } else {
                let pk = (p / mass).clamp(0.0, 1.0);
                Binomial::new(left, pk).expect("p in [0, 1]").sample(rng)
            };
            self.n[k] += x;
            left -= x;
            mass -= p;
        }
        self.total += m;
        self.refresh_all();
        true
    }
}

/// The urn on a sparse network of platforms: interoperability with neighbours only
/// (module doc), each event drawn exactly by a scan of the K weights.
pub struct NetUrn {
    graph: Arc<Network>,
    n: Vec<u64>,
    total: u64,
    /// Σ of the neighbours' adopters, per platform.
    near: Vec<u64>,
    q: Vec<f64>,
    gamma: f64,
    theta: f64,
    w: Vec<f64>,
}

impl NetUrn {
    fn new(params: &AdoptionParams, graph: Arc<Network>) -> NetUrn {
        let n = params.initial.clone();
        let mut u = NetUrn {
            near: vec![0; n.len()],
            total: n.iter().sum(),
            q: params.quality.clone(),
            gamma: params.gamma,
            theta: params.interoperability,
            w: vec![0.0; n.len()],
            graph,
            n,
        };
        for k in 0..u.n.len() {
            u.near[k] = u.csr().neighbours(k).iter().map(|&j| u.n[j as usize]).sum();
        }
        u
    }

    fn csr(&self) -> &Csr {
        match self.graph.as_ref() {
            Network::Sparse(g) => g,
            Network::Complete { .. } => unreachable!("the complete graph uses Urn"),
        }
    }

    /// Adopters per platform.
    pub fn counts(&self) -> &[u64] {
        &self.n
    }

    /// w_k = q_k (n_k + θ Σ_{j∈N(k)} n_j)^γ, with 0^0 = 1.
    fn weight(&self, k: usize) -> f64 {
        let a = self.n[k] as f64 + self.theta * self.near[k] as f64;
        let f = if self.gamma == 1.0 {
            a
        } else if self.gamma == 0.0 {
            1.0
        } else {
            a.powf(self.gamma)
        };
        self.q[k] * f
    }

    /// Platform k gains `add` adopters and loses `remove` (its neighbours' reach follows).
    fn shift(&mut self, k: usize, add: u64, remove: u64) {
        self.n[k] = self.n[k] + add - remove;
        self.total = self.total + add - remove;
        let Network::Sparse(g) = self.graph.as_ref() else {
            unreachable!("the complete graph uses Urn")
        };
        for &j in g.neighbours(k) {
            let j = j as usize;
            self.near[j] = self.near[j] + add - remove;
        }
    }

    /// One platform drawn with probability w_k / Σ w.
    fn choose(&mut self, rng: &mut ChaCha8Rng) -> usize {
        let mut sum = 0.0;
        for k in 0..self.n.len() {
            self.w[k] = self.weight(k);
            sum += self.w[k];
        }
        let last = self
            .w
            .iter()
            .rposition(|&w| w > 0.0)
            .expect("a positive weight");
        let mut u = rng.random::<f64>() * sum;
        for (k, &w) in self.w.iter().enumerate() {
            if u < w {
                return k;
            }
            u -= w;
        }
        last // rounding past the end
    }

    fn arrive(&mut self, rng: &mut ChaCha8Rng) {
        let k = self.choose(rng);
        self.shift(k, 1, 0);
    }

    /// A uniformly random adopter leaves and chooses again (stays if alone).
    fn rechoose(&mut self, rng: &mut ChaCha8Rng) {
        if self.total <= 1 {
            return;
        }
        let mut u = rng.random_range(0..self.total);
        let mut j = 0;
        while u >= self.n[j] {
            u -= self.n[j];
            j += 1;
        }
        self.shift(j, 0, 1);
        let k = self.choose(rng);
        self.shift(k, 1, 0);
    }

    /// `m` arrivals and `s` re-choices in a uniformly random order; exact batches for
    /// γ = 0 (multinomial by quality) and for Pólya (γ = 1, θ = 0, equal qualities).
    fn advance(&mut self, m: u64, s: u64, method: Method, rng: &mut ChaCha8Rng) {
        let equal_q = self.q.iter().all(|&q| q == self.q[0]);
        let closed = self.gamma == 0.0 || (self.gamma == 1.0 && self.theta == 0.0 && equal_q);
        if s == 0 && method == Method::Auto && m > 1 && closed {
            // The same closed forms as the mean-field urn (θ plays no part in them).
            let mut urn = Urn::new(&self.n, &self.q, self.gamma, 0.0, false);
            urn.advance(m, 0, method, rng);
            for k in 0..self.n.len() {
                let add = urn.counts()[k] - self.n[k];
                self.shift(k, add, 0);
            }
            return;
        }
        let (mut ra, mut rs) = (m, s);
        while ra + rs > 0 {
            if rs == 0 || rng.random_range(0..ra + rs) < ra {
                self.arrive(rng);
                ra -= 1;
            } else {
                self.rechoose(rng);
                rs -= 1;
            }
        }
    }
}

/// The adoption model's state for one replicate.
pub struct AdoptionModel {
    urn: Urn,
    rng: ChaCha8Rng,
    params: AdoptionParams,
    steps: u64,
    dt: f64,
    /// (window, θ floor) of every `interoperability` policy.
    interop: Vec<(Window, f64)>,
    values: Vec<f64>,
    max: f64,
    /// A sparse `[network]` of platforms (then the counts live here, not in `urn`).
    net: Option<NetUrn>,
}

impl AdoptionModel {
    /// Replicate `replicate` of a scenario with these parameters and policies: the urn
    /// starts from `params.initial`, and the replicate draws from its own stream.
    pub fn new(
        sc: &Scenario,
        params: &AdoptionParams,
        policies: &[Policy<AdoptionPolicy>],
        replicate: u32,
    ) -> AdoptionModel {
        let seed = replicate_seed(sc.seed, replicate);
        let urn = Urn::new(
            &params.initial,
            &params.quality,
            params.gamma,
            params.interoperability,
            params.switching > 0.0,
        );
        let interop = policies
            .iter()
            .map(|p| match p.kind {
                AdoptionPolicy::Interoperability { value } => (p.window, value),
            })
            .collect();
        let mut m = AdoptionModel {
            urn,
            rng: rng::stream(seed, 0),
            params: params.clone(),
            steps: sc.time.steps,
            dt: sc.time.dt,
            interop,
            values: Vec::new(),
            max: 0.0,
            net: None,
        };
        m.refresh_values();
        m
    }

    /// The urn (counts and the θ in force).
    pub fn urn(&self) -> &Urn {
        &self.urn
    }

    /// Arrivals in step `step` (1-based): `⌊s·A/S⌋ − ⌊(s−1)·A/S⌋`.
    pub fn arrivals_in_step(&self, step: u64) -> u64 {
        let a = u128::from(self.params.adopters);
        let s = u128::from(self.steps.max(1));
        let at = |k: u64| (a * u128::from(k.min(self.steps)) / s) as u64;
        at(step) - at(step.saturating_sub(1))
    }

    fn refresh_values(&mut self) {
        self.values.clear();
        let counts = match &self.net {
            Some(u) => u.counts(),
            None => self.urn.counts(),
        };
        self.values.extend(counts.iter().map(|&n| n as f64));
        self.max = self.values.iter().copied().fold(0.0, f64::max);
    }
}

impl Model for AdoptionModel {
    fn step(&mut self, step: u64, t: f64) -> Result<(), ModelError> {
        let theta = self
            .interop
            .iter()
            .filter(|(w, _)| w.contains(t, self.dt))
            .fold(self.params.interoperability, |a, &(_, v)| a.max(v));
        let m = self.arrivals_in_step(step);
        let total = match &self.net {
            Some(u) => u.total,
            None => self.urn.total(),
        };
        let s = if self.params.switching > 0.0 && total > 1 {
            let mean = self.params.switching * self.dt * total as f64;
            Poisson::new(mean)
                .map(|p| p.sample(&mut self.rng) as u64)
                .unwrap_or(0)
        } else {
            0
        };
        match &mut self.net {
            Some(u) => {
                u.theta = theta;
                u.advance(m, s, self.params.method, &mut self.rng);
            }
            None => {
                self.urn.set_interoperability(theta);
                self.urn.advance(m, s, self.params.method, &mut self.rng);
            }
        }
        self.refresh_values();
        Ok(())
    }
    fn values(&self) -> &[f64] {
        &self.values
    }
    fn into_values(self: Box<Self>) -> Vec<f64> {
        self.values
    }
    fn total(&self) -> f64 {
        match &self.net {
            Some(u) => u.total as f64,
            None => self.urn.total() as f64,
        }
    }
    fn max(&self) -> f64 {
        self.max
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid() -> TimeGrid {
        TimeGrid {
            end: 10.0,
            dt: 1.0,
            steps: 10,
        }
    }

    #[test]
    fn validation_names_fields() {
        let ok = AdoptionSpec {
            platforms: Some(2),
            gamma: Some(2.0),
            initial: Some(vec![1.0, 1.0]),
            adopters: 100.0,
            ..Default::default()
        };
        let p = validate(&ok, &grid(), 0).unwrap();
        assert_eq!(p.quality, vec![1.0, 1.0]);
        assert_eq!(validate(&ok, &grid(), 3).unwrap_err().field, "actors");
        let bad = |s: AdoptionSpec| validate(&s, &grid(), 0).unwrap_err().field;
        let mut s = ok.clone();
        s.initial = Some(vec![1.0]);
        assert_eq!(bad(s), "adoption.initial");
        let mut s = ok.clone();
        s.initial = Some(vec![1.0, 1.5]);
        assert_eq!(bad(s), "adoption.initial[1]");
        let mut s = ok.clone();
        s.interoperability = Some(1.5);
        assert_eq!(bad(s), "adoption.interoperability");
        let mut s = ok.clone();
        s.gamma = Some(-1.0);
        assert_eq!(bad(s), "adoption.gamma");
        let mut s = ok.clone();
        s.quality = Some(vec![1.0, 0.0]);
        assert_eq!(bad(s), "adoption.quality[1]");
        let mut s = ok.clone();
        s.initial = Some(vec![0.0, 0.0]);
        assert_eq!(bad(s), "adoption.initial");
        let mut s = ok.clone();
        s.adopters = -3.0;
        assert_eq!(bad(s), "adoption.adopters");
        let mut s = ok;
        s.switching = Some(f64::NAN);
        assert_eq!(bad(s), "adoption.switching");
    }

    #[test]
    fn sum_tree_finds_leaves() {
        let t = SumTree::new(&[1.0, 0.0, 2.0]);
        assert_eq!(t.total(), 3.0);
        assert_eq!(t.find(0.5).0, 0);
        assert_eq!(t.find(1.5), (2, 0.5));
        let c = SumTree::new(&[3u64, 1, 0, 5, 2]);
        assert_eq!(c.total(), 11);
        assert_eq!(c.find(3).0, 1);
        assert_eq!(c.find(4), (3, 0));
        assert_eq!(c.find(10), (4, 1));
    }

    #[test]
    fn counts_conserved_and_reproducible() {
        let run = |seed| {
            let mut urn = Urn::new(&[3, 0, 5], &[1.0, 2.0, 1.0], 1.5, 0.3, true);
            let mut rng = rng::stream(seed, 0);
            for _ in 0..50 {
                urn.advance(1000, 300, Method::Auto, &mut rng);
            }
            urn.counts().to_vec()
        };
        let a = run(1);
        assert_eq!(a.iter().sum::<u64>(), 8 + 50 * 1000);
        assert_eq!(a, run(1));
        assert_ne!(a, run(2));
    }

    #[test]
    fn empty_platform_never_chosen_without_interoperability() {
        let mut urn = Urn::new(&[1, 0], &[1.0, 1.0], 1.0, 0.0, false);
        let mut rng = rng::stream(3, 0);
        urn.advance(10_000, 0, Method::Sequential, &mut rng);
        assert_eq!(urn.counts(), &[10_001, 0]);
        urn.advance(10_000, 0, Method::Auto, &mut rng);
        assert_eq!(urn.counts(), &[20_001, 0]);
    }
}
