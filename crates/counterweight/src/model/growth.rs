//! The growth model: returns to scale, diseconomies, spillover, exchange and shocks
//! (DESIGN.md §4.1), applied in exactly that order each step, then the policies.
//!
//! Per step of length dt, on resources R_i > 0 with reference scale K:
//! 1. returns to scale  `R_i += dt a K (R_i/K)^beta`                          (explicit Euler)
//! 2. diseconomies      `R_i -= dt c K (R_i/K)^delta`                         (explicit Euler)
//! 3. spillover         `R_i += dt D_eff mean_j[o_j max(R_j - R_i, 0)]`       (explicit Euler, O(N log N))
//! 4. exchange          `R_i  = m + (R_i - m) exp(-J_eff dt)`, m = mean(R)     (exact, conserves the total)
//! 5. shocks            `R_i *= exp(sigma sqrt(dt) Z_i - sigma^2 dt / 2)`      (exact, Ito, mean-preserving)
//! 6. policies          (see [`crate::policy`])
//!
//! With `diffusion_scaling = "frontier"`, D_eff = D a (mean(R)/K)^(beta-1) and likewise
//! J_eff: a pull that strengthens as fast as returns to scale do
//! (reference/validation.md §4.3b; mean taken at the start of the step).
//!
//! State is struct-of-arrays. Actors are processed in fixed chunks of [`CHUNK`], each
//! with its own random stream, so results are identical on any number of threads.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;

use super::{Ledger, Model, ModelError};
use crate::policy::{self, Policy, PolicyKind, Rebate};
use crate::rng;
use crate::scenario::{Initial, Scenario};

/// Actors per chunk: the unit of parallel work and of random streams.
pub const CHUNK: usize = 8192;
/// Below this many actors a step runs on the calling thread (same results, less overhead).
const PARALLEL_MIN: usize = 4 * CHUNK;
/// Random stream numbers at and above this are used for initial values, one per group.
pub(crate) const INIT_STREAM: u64 = 1 << 62;

/// How the diffusion rates (spillover D and exchange J) scale with progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiffusionScaling {
    /// The rates as given.
    Constant,
    /// Both multiplied by `a (mean(R)/K)^(beta-1)`.
    Frontier,
}

/// Validated parameters of the growth model (`[growth]`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GrowthParams {
    pub returns_to_scale: f64,
    pub base_rate: f64,
    pub reference_scale: Option<f64>,
    pub diseconomy_rate: f64,
    pub diseconomy_exponent: f64,
    pub spillover: f64,
    pub exchange: f64,
    pub volatility: f64,
    pub diffusion_scaling: DiffusionScaling,
    pub stop_at_share: f64,
}

/// A growth parameter that a `set` policy may change over time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrowthParam {
    ReturnsToScale,
    BaseRate,
    DiseconomyRate,
    DiseconomyExponent,
    Spillover,
    Exchange,
    Volatility,
}

impl GrowthParam {
    pub const ALL: [GrowthParam; 7] = [
        GrowthParam::ReturnsToScale,
        GrowthParam::BaseRate,
        GrowthParam::DiseconomyRate,
        GrowthParam::DiseconomyExponent,
        GrowthParam::Spillover,
        GrowthParam::Exchange,
        GrowthParam::Volatility,
    ];

    /// The scenario path, e.g. `growth.spillover`.
    pub fn path(self) -> &'static str {
        match self {
            GrowthParam::ReturnsToScale => "growth.returns_to_scale",
            GrowthParam::BaseRate => "growth.base_rate",
            GrowthParam::DiseconomyRate => "growth.diseconomy_rate",
            GrowthParam::DiseconomyExponent => "growth.diseconomy_exponent",
            GrowthParam::Spillover => "growth.spillover",
            GrowthParam::Exchange => "growth.exchange",
            GrowthParam::Volatility => "growth.volatility",
        }
    }

    pub fn from_path(path: &str) -> Option<Self> {
        let p = path.strip_prefix("growth.").unwrap_or(path);
        Self::ALL
            .into_iter()
            .find(|g| g.path().strip_prefix("growth.") == Some(p))
    }

    /// Check a value for this parameter; `Err` says what is valid.
    pub fn check(self, v: f64) -> Result<(), String> {
        let ok = match self {
            GrowthParam::ReturnsToScale | GrowthParam::DiseconomyExponent => v > 0.0,
            GrowthParam::BaseRate => v.is_finite(),
            _ => v >= 0.0,
        };
        if ok && v.is_finite() {
            Ok(())
        } else if matches!(
            self,
            GrowthParam::ReturnsToScale | GrowthParam::DiseconomyExponent
        ) {
            Err("a number > 0".into())
        } else {
            Err("a number >= 0".into())
        }
    }

    fn apply(self, p: &mut GrowthParams, v: f64) {
        match self {
            GrowthParam::ReturnsToScale => p.returns_to_scale = v,
            GrowthParam::BaseRate => p.base_rate = v,
            GrowthParam::DiseconomyRate => p.diseconomy_rate = v,
            GrowthParam::DiseconomyExponent => p.diseconomy_exponent = v,
            GrowthParam::Spillover => p.spillover = v,
            GrowthParam::Exchange => p.exchange = v,
            GrowthParam::Volatility => p.volatility = v,
        }
    }
}

/// The growth model's state for one replicate.
pub struct GrowthModel {
    base: GrowthParams,
    /// Parameters in force this step (after `set` policies).
    params: GrowthParams,
    k: f64,
    dt: f64,
    r: Vec<f64>,
    base_openness: Vec<f64>,
    openness: Vec<f64>,
    /// Per-actor multiplier of the spillover rate received (spillover boosts).
    spill_mult: Vec<f64>,
    /// Group index of each actor; groups are contiguous ranges.
    group: Vec<u32>,
    group_names: Vec<String>,
    /// This step's growth from returns to scale (for the proprietary tax).
    growth_term: Vec<f64>,
    rngs: Vec<ChaCha8Rng>,
    policies: Vec<Policy>,
    active: Vec<bool>,
    total: f64,
    max: f64,
    ledger: Ledger,
    /// Scratch for the spillover sort.
    order: Vec<u32>,
    spill: Vec<f64>,
}

/// Per-chunk result of a pass: the sum and max of the chunk, or the first bad actor.
#[derive(Clone, Copy)]
struct ChunkStat {
    sum: f64,
    max: f64,
    bad: Option<(usize, f64, &'static str)>,
}

impl ChunkStat {
    fn of(values: &[f64], offset: usize, term: &'static str) -> ChunkStat {
        let (sum, max, ok) = sum_max_ok(values);
        let bad = if ok {
            None
        } else {
            values
                .iter()
                .position(|&v| !(v > 0.0 && v.is_finite()))
                .map(|i| (offset + i, values[i], term))
        };
        ChunkStat { sum, max, bad }
    }
}

/// Lanes of [`sum_max_ok`]: independent partial sums, so the adds vectorise instead of
/// waiting on one another.
const LANES: usize = 8;

/// Sum (in [`LANES`] interleaved partial sums, added pairwise at the end: a fixed
/// association, independent of threads), max, and whether every value is positive and
/// finite.
#[inline]
fn sum_max_ok(values: &[f64]) -> (f64, f64, bool) {
    let mut sum = [0.0f64; LANES];
    let mut max = [f64::MIN; LANES];
    let mut ok = true;
    let chunks = values.chunks_exact(LANES);
    let rest = chunks.remainder();
    for c in chunks {
        for l in 0..LANES {
            let v = c[l];
            sum[l] += v;
            max[l] = if v > max[l] { v } else { max[l] };
            ok &= (v > 0.0) & (v < f64::INFINITY);
        }
    }
    for (l, &v) in rest.iter().enumerate() {
        sum[l] += v;
        max[l] = if v > max[l] { v } else { max[l] };
        ok &= (v > 0.0) & (v < f64::INFINITY);
    }
    let total = ((sum[0] + sum[1]) + (sum[2] + sum[3])) + ((sum[4] + sum[5]) + (sum[6] + sum[7]));
    let m = max.iter().copied().fold(f64::MIN, f64::max);
    (total, m, ok)
}

impl GrowthModel {
    /// Build replicate `replicate` of a scenario: initial values are drawn from the
    /// replicate's own streams.
    pub fn new(sc: &Scenario, replicate: u32) -> GrowthModel {
        let seed = replicate_seed(sc.seed, replicate);
        let n = sc.actor_count();
        let mut r = Vec::with_capacity(n);
        let mut base_openness = Vec::with_capacity(n);
        let mut group = Vec::with_capacity(n);
        for (g, spec) in sc.groups.iter().enumerate() {
            let mut init_rng = rng::stream(seed, INIT_STREAM + g as u64);
            draw_initial(&spec.initial, spec.count, &mut init_rng, &mut r);
            base_openness.extend(std::iter::repeat_n(spec.openness, spec.count));
            group.extend(std::iter::repeat_n(g as u32, spec.count));
        }
        let chunks = n.div_ceil(CHUNK);
        let rngs = (0..chunks as u64).map(|c| rng::stream(seed, c)).collect();
        let total: f64 = sum_chunked(&r);
        let k = sc.growth.reference_scale.unwrap_or(total / n as f64);
        let max = r.iter().copied().fold(f64::MIN, f64::max);
        GrowthModel {
            base: sc.growth,
            params: sc.growth,
            k,
            dt: sc.time.dt,
            openness: base_openness.clone(),
            base_openness,
            spill_mult: vec![1.0; n],
            group,
            group_names: sc.groups.iter().map(|g| g.name.clone()).collect(),
            growth_term: Vec::new(),
            rngs,
            policies: sc.policies.clone(),
            active: vec![false; sc.policies.len()],
            total,
            max,
            ledger: Ledger::default(),
            order: Vec::new(),
            spill: Vec::new(),
            r,
        }
    }

    /// The reference scale K in use.
    pub fn reference_scale(&self) -> f64 {
        self.k
    }

    /// Parameters in force (after `set` policies) during the last step.
    pub fn params(&self) -> &GrowthParams {
        &self.params
    }

    /// Current openness of every actor (after mandates).
    pub fn openness(&self) -> &[f64] {
        &self.openness
    }

    fn n(&self) -> usize {
        self.r.len()
    }

    /// Re-derive the parameters, openness and spillover multipliers when the set of
    /// active policies changes.
    fn update_policies(&mut self, t: f64) {
        let active: Vec<bool> = self
            .policies
            .iter()
            .map(|p| p.window.contains(t, self.dt))
            .collect();
        if active == self.active {
            return;
        }
        self.active = active;
        let mut params = self.base;
        self.openness.copy_from_slice(&self.base_openness);
        self.spill_mult.iter_mut().for_each(|m| *m = 1.0);
        for (p, _) in self.policies.iter().zip(&self.active).filter(|(_, a)| **a) {
            match p.kind {
                PolicyKind::Set { param, value } => param.apply(&mut params, value),
                PolicyKind::OpennessMandate { openness } => {
                    for (o, &g) in self.openness.iter_mut().zip(&self.group) {
                        if p.groups[g as usize] {
                            *o = o.max(openness);
                        }
                    }
                }
                PolicyKind::SpilloverBoost { factor } => {
                    for (m, &g) in self.spill_mult.iter_mut().zip(&self.group) {
                        if p.groups[g as usize] {
                            *m *= factor;
                        }
                    }
                }
                PolicyKind::WealthTax { .. } | PolicyKind::ProprietaryTax { .. } => {}
                // Exchange-model levers (rejected for growth scenarios at validation).
                PolicyKind::Redistribution { .. } | PolicyKind::AdvantageCap { .. } => {}
                // Adoption only (validation rejects it for growth).
                PolicyKind::Interoperability { .. } => {}
            }
        }
        params.stop_at_share = self.base.stop_at_share;
        params.reference_scale = self.base.reference_scale;
        self.params = params;
    }

    fn blow_up(
        &self,
        step: u64,
        t: f64,
        (actor, value, term): (usize, f64, &'static str),
    ) -> ModelError {
        let hint = match term {
            "returns_to_scale" if self.params.returns_to_scale > 1.0 => {
                let beta = self.params.returns_to_scale;
                let a = self.params.base_rate;
                format!(
                    "; under increasing returns (beta = {beta}, a = {a}) growth blows up in finite time \
                     (an actor starting at R0 reaches infinity at t* = (R0/K)^(1-beta) / ((beta-1) a)): \
                     end the run earlier, set growth.stop_at_share, or add diseconomies"
                )
            }
            "diseconomies" => {
                "; the diseconomy term overshot zero: reduce time.dt or growth.diseconomy_rate"
                    .into()
            }
            "spillover" => "; reduce time.dt or growth.spillover".into(),
            _ => String::new(),
        };
        let group = self
            .group
            .get(actor)
            .map_or(String::new(), |&g| self.group_names[g as usize].clone());
        ModelError::BlowUp {
            step,
            time: t,
            actor,
            group,
            value,
            term,
            hint,
        }
    }

    /// Record a pass's sum and max; map its first bad actor to an error.
    fn finish(
        &mut self,
        (total, max, bad): PassResult,
        step: u64,
        t: f64,
    ) -> Result<(), ModelError> {
        self.total = total;
        self.max = max;
        match bad {
            Some(b) => Err(self.blow_up(step, t, b)),
            None => Ok(()),
        }
    }

    /// Term 3: `S_i = (1/N) sum_j o_j max(R_j - R_i, 0)` for every i in O(N log N):
    /// sort by R descending; for actor i, S_i = (P_i - R_i Q_i)/N where P_i and Q_i sum
    /// o_j R_j and o_j over the actors strictly above R_i.
    fn spillover_sums(&mut self) {
        let n = self.n();
        let r = &self.r;
        self.order.clear();
        self.order.extend(0..n as u32);
        let cmp = |a: &u32, b: &u32| r[*b as usize].total_cmp(&r[*a as usize]).then(a.cmp(b));
        if n >= PARALLEL_MIN {
            self.order.par_sort_unstable_by(cmp);
        } else {
            self.order.sort_unstable_by(cmp);
        }
        self.spill.resize(n, 0.0);
        let (mut p, mut q) = (0.0f64, 0.0f64);
        let mut i = 0;
        while i < n {
            // A run of equal values: all see the same actors strictly above them.
            let v = r[self.order[i] as usize];
            let mut j = i;
            while j < n && r[self.order[j] as usize] == v {
                j += 1;
            }
            let s = ((p - v * q) / n as f64).max(0.0);
            for &a in &self.order[i..j] {
                self.spill[a as usize] = s;
            }
            for &a in &self.order[i..j] {
                let o = self.openness[a as usize];
                p += o * r[a as usize];
                q += o;
            }
            i = j;
        }
    }

    fn apply_taxes(&mut self, t: f64) -> Ledger {
        let mut ledger = Ledger::default();
        let dt = self.dt;
        for (idx, p) in self.policies.iter().enumerate() {
            if !self.active[idx] || !p.window.contains(t, dt) {
                continue;
            }
            let targeted = |i: usize| p.groups[self.group[i] as usize];
            let l = match p.kind {
                PolicyKind::WealthTax { rate, threshold } => {
                    let mean = self.total / self.r.len() as f64;
                    policy::wealth_tax(&mut self.r, targeted, rate * dt, threshold * mean)
                }
                PolicyKind::ProprietaryTax { rate, rebate } => {
                    let weights = match rebate {
                        Rebate::Equal => None,
                        Rebate::Open => Some(self.openness.as_slice()),
                    };
                    policy::proprietary_tax(
                        &mut self.r,
                        targeted,
                        rate,
                        &self.openness,
                        &self.growth_term,
                        weights,
                    )
                }
                _ => continue,
            };
            ledger.collected += l.collected;
            ledger.paid += l.paid;
        }
        ledger
    }

    fn taxes_active(&self) -> (bool, bool) {
        let mut any = false;
        let mut proprietary = false;
        for (p, &a) in self.policies.iter().zip(&self.active) {
            if a {
                match p.kind {
                    PolicyKind::WealthTax { .. } => any = true,
                    PolicyKind::ProprietaryTax { .. } => {
                        any = true;
                        proprietary = true;
                    }
                    _ => {}
                }
            }
        }
        (any, proprietary)
    }
}

impl Model for GrowthModel {
    fn step(&mut self, step: u64, t: f64) -> Result<(), ModelError> {
        self.update_policies(t);
        let p = self.params;
        let (dt, k, n) = (self.dt, self.k, self.n() as f64);
        let beta = p.returns_to_scale;
        let frontier = match p.diffusion_scaling {
            DiffusionScaling::Constant => 1.0,
            DiffusionScaling::Frontier => p.base_rate * (self.total / n / k).powf(beta - 1.0),
        };
        let (taxes, proprietary) = self.taxes_active();
        self.ledger = Ledger::default();

        // Terms 1 and 2, elementwise.
        if p.base_rate != 0.0 || p.diseconomy_rate != 0.0 {
            if proprietary {
                let (a, r) = (p.base_rate, &self.r);
                self.growth_term.clear();
                self.growth_term
                    .extend(r.iter().map(|&x| growth_increment(x, dt, a, k, beta)));
            }
            let a = p.base_rate;
            if a != 0.0 {
                let res = pass(
                    &mut self.r,
                    &mut self.rngs,
                    "returns_to_scale",
                    |vals, _, _| {
                        if beta == 1.0 {
                            vals.iter_mut().for_each(|x| *x += dt * a * *x);
                        } else {
                            vals.iter_mut()
                                .for_each(|x| *x += growth_increment(*x, dt, a, k, beta));
                        }
                    },
                );
                self.finish(res, step, t)?;
            }
            let (c, delta) = (p.diseconomy_rate, p.diseconomy_exponent);
            if c != 0.0 {
                let res = pass(&mut self.r, &mut self.rngs, "diseconomies", |vals, _, _| {
                    vals.iter_mut()
                        .for_each(|x| *x -= dt * c * k * (*x / k).powf(delta));
                });
                self.finish(res, step, t)?;
            }
        } else if proprietary {
            self.growth_term.clear();
            self.growth_term.resize(self.r.len(), 0.0);
        }

        // Term 3: spillover (non-rival; nobody loses).
        let d = p.spillover * frontier;
        if d > 0.0 && self.openness.iter().any(|&o| o > 0.0) {
            self.spillover_sums();
            let (spill, mult) = (&self.spill, &self.spill_mult);
            let res = pass(&mut self.r, &mut self.rngs, "spillover", |vals, off, _| {
                for (i, x) in vals.iter_mut().enumerate() {
                    *x += dt * d * mult[off + i] * spill[off + i];
                }
            });
            self.finish(res, step, t)?;
        }

        // Terms 4 and 5 fused: exchange toward the mean, then shocks.
        let j = p.exchange * frontier;
        let sigma = p.volatility;
        if j > 0.0 || sigma > 0.0 {
            let m = self.total / n;
            let e = (-j * dt).exp();
            let s = sigma * dt.sqrt();
            let drift = -0.5 * sigma * sigma * dt;
            let term = if sigma > 0.0 { "shocks" } else { "exchange" };
            let res = pass(&mut self.r, &mut self.rngs, term, |vals, _, rng| {
                if sigma == 0.0 {
                    vals.iter_mut().for_each(|x| *x = m + (*x - m) * e);
                    return;
                }
                // Draw a block of normals (one per actor, in actor order), exponentiate the
                // block at once (vectorised), then apply exchange and shock in one sweep.
                let mut g = [0.0f64; SHOCK_BLOCK];
                for block in vals.chunks_mut(SHOCK_BLOCK) {
                    let g = &mut g[..block.len()];
                    for gi in g.iter_mut() {
                        let z: f64 = StandardNormal.sample(rng);
                        *gi = s * z + drift;
                    }
                    exp_in_place(g);
                    if j > 0.0 {
                        for (x, &gi) in block.iter_mut().zip(g.iter()) {
                            *x = (m + (*x - m) * e) * gi;
                        }
                    } else {
                        for (x, &gi) in block.iter_mut().zip(g.iter()) {
                            *x *= gi;
                        }
                    }
                }
            });
            self.finish(res, step, t)?;
        }

        // Term 6: taxes and transfers.
        if taxes {
            self.ledger = self.apply_taxes(t);
            let res = pass(&mut self.r, &mut self.rngs, "policy", |_, _, _| {});
            self.finish(res, step, t)?;
        }
        Ok(())
    }

    fn values(&self) -> &[f64] {
        &self.r
    }

    fn total(&self) -> f64 {
        self.total
    }

    fn max(&self) -> f64 {
        self.max
    }

    fn ledger(&self) -> Ledger {
        self.ledger
    }
}

type PassResult = (f64, f64, Option<(usize, f64, &'static str)>);

/// Run `f` over every chunk (in parallel for large N) and fold the chunk stats in chunk
/// order, so the result does not depend on the number of threads.
fn pass<F>(r: &mut [f64], rngs: &mut [ChaCha8Rng], term: &'static str, f: F) -> PassResult
where
    F: Fn(&mut [f64], usize, &mut ChaCha8Rng) + Sync + Send,
{
    let body = |(c, (vals, rng)): (usize, (&mut [f64], &mut ChaCha8Rng))| {
        f(vals, c * CHUNK, rng);
        ChunkStat::of(vals, c * CHUNK, term)
    };
    let stats: Vec<ChunkStat> = if r.len() >= PARALLEL_MIN {
        r.par_chunks_mut(CHUNK)
            .zip(rngs.par_iter_mut())
            .enumerate()
            .map(body)
            .collect()
    } else {
        r.chunks_mut(CHUNK)
            .zip(rngs.iter_mut())
            .enumerate()
            .map(body)
            .collect()
    };
    let total = stats.iter().map(|s| s.sum).sum();
    let max = stats.iter().map(|s| s.max).fold(f64::MIN, f64::max);
    (total, max, stats.iter().find_map(|s| s.bad))
}

/// Actors per block of the shock term: normals are drawn for a block, then
/// exponentiated together by [`exp_in_place`].
const SHOCK_BLOCK: usize = 256;

/// Arguments of magnitude up to this take [`exp_in_place`]'s fast path (results normal).
const EXP_FAST_MAX: f64 = 708.0;

/// `v[i] = exp(v[i])` for every element, with error below 1 ulp (fdlibm's e_exp.c
/// algorithm) and only IEEE +, -, *, / in the fast path, so it vectorises and gives
/// bit-identical results with or without AVX2. Blocks with an argument outside
/// [-708, 708] (or NaN) use the standard library's `exp` instead.
fn exp_in_place(v: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: AVX2 is available (checked just above).
        unsafe { exp_in_place_avx2(v) };
        return;
    }
    exp_in_place_generic(v);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn exp_in_place_avx2(v: &mut [f64]) {
    exp_in_place_generic(v);
}

#[inline(always)]
fn exp_in_place_generic(v: &mut [f64]) {
    let in_range = v.iter().fold(true, |ok, &x| ok & (x.abs() <= EXP_FAST_MAX));
    if in_range {
        v.iter_mut().for_each(|x| *x = exp_fast(*x));
    } else {
        v.iter_mut().for_each(|x| *x = x.exp());
    }
}

/// exp(x) for |x| <= [`EXP_FAST_MAX`]: x = k ln2 + r with |r| <= ln2/2 (Cody–Waite), the
/// rational approximation of fdlibm's e_exp.c on r, times 2^k built from bits.
#[inline(always)]
fn exp_fast(x: f64) -> f64 {
    const LOG2E: f64 = std::f64::consts::LOG2_E;
    // fdlibm's constants, as bit patterns (ln2 split in a high part with trailing zeros
    // and a low part; P1..P5 the rational approximation's coefficients).
    const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000); // 6.93147180369123816490e-01
    const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76); // 1.90821492927058770002e-10
    const P1: f64 = f64::from_bits(0x3fc5_5555_5555_553e); // 1.66666666666666019037e-01
    const P2: f64 = f64::from_bits(0xbf66_c16c_16be_bd93); // -2.77777777770155933842e-03
    const P3: f64 = f64::from_bits(0x3f11_566a_af25_de2c); // 6.61375632143793436117e-05
    const P4: f64 = f64::from_bits(0xbebb_bd41_c5d2_6bf1); // -1.65339022054652515390e-06
    const P5: f64 = f64::from_bits(0x3e66_3769_72be_a4d0); // 4.13813679705723846039e-08
    // Adding 1.5 * 2^52 rounds to the nearest integer k and leaves k in the low bits.
    const SHIFT: f64 = 6_755_399_441_055_744.0;
    let t = x * LOG2E + SHIFT;
    let k = t - SHIFT;
    let hi = x - k * LN2_HI;
    let lo = k * LN2_LO;
    let r = hi - lo;
    let rr = r * r;
    let c = r - rr * (P1 + rr * (P2 + rr * (P3 + rr * (P4 + rr * P5))));
    let y = 1.0 - ((lo - (r * c) / (2.0 - c)) - hi);
    // 2^k for k in [-1021, 1022]: biased exponent k + 1023 from t's low bits.
    let scale = f64::from_bits(t.to_bits().wrapping_add(1023) << 52);
    y * scale
}

/// Term 1's increment `dt a K (R/K)^beta`.
#[inline]
fn growth_increment(x: f64, dt: f64, a: f64, k: f64, beta: f64) -> f64 {
    dt * a * k * (x / k).powf(beta)
}

/// The seed of one replicate of a scenario.
pub fn replicate_seed(seed: u64, replicate: u32) -> u64 {
    rng::derive_seed(seed, &[u64::from(replicate)])
}

/// Sum in fixed chunks, then the chunk sums in order (the same association as a pass).
fn sum_chunked(v: &[f64]) -> f64 {
    v.chunks(CHUNK).map(|c| sum_max_ok(c).0).sum()
}

pub(crate) fn draw_initial(init: &Initial, count: usize, rng: &mut ChaCha8Rng, out: &mut Vec<f64>) {
    match init {
        Initial::Constant(v) => out.extend(std::iter::repeat_n(*v, count)),
        Initial::Values(v) => out.extend_from_slice(v),
        Initial::Uniform { low, high } => {
            out.extend((0..count).map(|_| low + (high - low) * rng.random::<f64>()));
        }
        Initial::Lognormal { mu, sigma } => {
            out.extend((0..count).map(|_| {
                let z: f64 = StandardNormal.sample(rng);
                (mu + sigma * z).exp()
            }));
        }
        Initial::Pareto { scale, alpha } => {
            // Inverse CDF: x = scale * U^(-1/alpha), U in (0, 1].
            out.extend((0..count).map(|_| {
                let u = 1.0 - rng.random::<f64>();
                scale * u.powf(-1.0 / alpha)
            }));
        }
    }
}

#[cfg(test)]
mod exp_tests {
    use super::*;

    fn ulps(a: f64, b: f64) -> u64 {
        (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs()
    }

    #[test]
    fn exp_within_one_ulp_of_std() {
        let mut xs: Vec<f64> = vec![0.0, -0.0, 1e-300, -1e-20, 0.5, -0.5, 1.0, 708.0, -708.0];
        let mut state = 1u64;
        for i in 0..200_000 {
            state = crate::rng::mix64(state);
            let u = (state >> 11) as f64 / (1u64 << 53) as f64; // [0, 1)
            let width = [1.0, 10.0, 700.0][i % 3];
            xs.push((2.0 * u - 1.0) * width);
        }
        let mut got = xs.clone();
        for block in got.chunks_mut(SHOCK_BLOCK) {
            exp_in_place(block);
        }
        let mut generic = xs.clone();
        exp_in_place_generic(&mut generic);
        for ((&x, &g), &h) in xs.iter().zip(&got).zip(&generic) {
            assert!(ulps(g, x.exp()) <= 1, "exp({x}) = {g}, std {}", x.exp());
            assert_eq!(g.to_bits(), h.to_bits(), "AVX2 and generic differ at {x}");
        }
        // Out of the fast range: the standard library's exp.
        let mut v = vec![0.5, 800.0, -800.0, f64::NAN, f64::INFINITY];
        exp_in_place(&mut v);
        assert_eq!(v[0], 0.5f64.exp());
        assert_eq!(v[1], f64::INFINITY);
        assert_eq!(v[2], 0.0);
        assert!(v[3].is_nan());
        assert_eq!(v[4], f64::INFINITY);
    }
}
