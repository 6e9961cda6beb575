//! The growth model: returns to scale, diseconomies, spillover, exchange and shocks
//! (DESIGN.md §4.1), applied in exactly that order each step, then the policies.
//!
//! Per step of length dt, on resources R_i > 0 with reference scale K:
//! 1. returns to scale  `R_i += dt a K (R_i/K)^beta`                          (explicit Euler)
//! 2. diseconomies      `R_i -= dt c K (R_i/K)^delta`                         (explicit Euler)
//! 3. spillover         `R_i += dt D_eff mean_j[o_j max(R_j - R_i, 0)]`       (explicit Euler, O(N log N))
//!    (with a `[network]`, the mean over the actor's closed neighbourhood instead:
//!    `S_i = Σ_{j∈N(i)} w_ij o_j max(R_j − R_i, 0) / (1 + Σ_{j∈N(i)} w_ij)`, see
//!    [`crate::network::spillover`]; on the complete graph it is the mean field)
//! 4. exchange          `R_i  = m + (R_i - m) exp(-J_eff dt)`, m = mean(R)     (exact, conserves the total)
//! 5. shocks            `R_i *= exp(sigma sqrt(dt) Z_i - sigma^2 dt / 2)`      (exact, Ito, mean-preserving)
//! 6. policies          (see [`crate::policy`])
//!
//! That is the default, `integrator = "euler"`; `"rk4"` and `"adaptive"` integrate terms 1–3
//! (the adaptive one with the exchange) as the ODE they discretise, see [`Integrator`].
//!
//! With `diffusion_scaling = "frontier"`, D_eff = D a (mean(R)/K)^(beta-1) and likewise
//! J_eff: a pull that strengthens as fast as returns to scale do
//! (reference/validation.md §4.3b; mean taken at the start of the step).
//!
//! With a `[market]` table each recorded step also records a Cournot market among the
//! actors, costs from their sizes (`crate::model::market::layer`, docs/market.md).
//!
//! State is struct-of-arrays. Actors are processed in fixed chunks of [`CHUNK`], each
//! with its own random stream, so results are identical on any number of threads: the
//! shock of actor `i` (in chunk `c = i / CHUNK`) at step `k` is normal number
//! `k · CHUNK + i mod CHUNK` of the counter-based stream [`Normals`]`(key, c)`, with
//! `key = derive_seed(replicate seed, [SHOCK_STREAM])` (stream version
//! [`rng::NORMAL_STREAM_VERSION`]).

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use std::sync::Arc;

use super::market::{self, MarketLayer, MarketSpec};
use crate::network::section::{self, NetworkSetup};
use crate::network::{self, Network};
use crate::policy::{self, Ledger, Policy, PolicyCx, PolicyFields, Rebate};
use crate::registry::{
    ChartDef, ColumnDef, Condition, Model, ModelDef, ModelError, ModelSetup, Observation, PanelDef,
    ParamInfo, PolicyInfo, ValidateCx,
};
use crate::rng::{self, Normals};
use crate::scenario::validate::check::{err, finite, non_negative, positive, unit_interval};
use crate::scenario::{FieldError, Scenario};
use crate::setup::numerics::{SHOCK_BLOCK, exp_fast, in_fast_range};
use crate::setup::{initial_values, replicate_seed};

// --- the scenario section and its validation -------------------------------------------

/// `[growth]` as written in a scenario (DESIGN.md §4.1).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct GrowthSpec {
    /// beta, the exponent of returns to scale in `dt a K (R_i/K)^beta` (term 1): 1 is
    /// proportional (Gibrat) growth, > 1 economies of scale. Unit-free; default 1.
    pub returns_to_scale: f64,
    /// a, the growth rate of an actor at the reference scale K, per unit time (term 1);
    /// default 0.
    pub base_rate: f64,
    /// K, the reference scale that makes the other parameters unit-free, in resource
    /// units; absent: the initial mean of all actors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference_scale: Option<f64>,
    /// c, the rate of diseconomies of scale (coordination, communication, distance) in
    /// `dt c K (R_i/K)^delta` (term 2), per unit time; default 0.
    pub diseconomy_rate: f64,
    /// delta, the exponent of diseconomies (term 2); delta > beta gives an interior
    /// optimal size. Default 2.
    pub diseconomy_exponent: f64,
    /// D, the rate of non-rival catch-up toward more advanced, open actors (term 3), per
    /// unit time; default 0.
    pub spillover: f64,
    /// J, the rate of rival transfer toward the mean (term 4, Bouchaud–Mézard), per unit
    /// time; default 0.
    pub exchange: f64,
    /// sigma, the standard deviation of log-returns per sqrt(unit time) of the shocks
    /// (term 5); default 0. Bouchaud–Mézard's Pareto exponent is `1 + 2J/sigma^2`.
    pub volatility: f64,
    /// `"constant"` (default) or `"frontier"`: how D and J scale with progress
    /// ([`DiffusionScaling`]).
    pub diffusion_scaling: String,
    /// End a run once one actor holds at least this share of the total, in (0, 1];
    /// default 1 (never), since finite-time blow-up is real for beta > 1 (DESIGN.md §4.1).
    pub stop_at_share: f64,
    /// `"euler"` (default: the exact map of DESIGN.md §4.1), `"rk4"` or `"adaptive"`:
    /// how the deterministic terms are integrated over a step ([`Integrator`]).
    pub integrator: String,
    /// The adaptive integrator's relative tolerance per sub-step (default 1e-6); only
    /// with `integrator = "adaptive"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rtol: Option<f64>,
    /// The adaptive integrator's absolute tolerance per sub-step, in resource units
    /// (default 0: purely relative, as resources are positive); only with
    /// `integrator = "adaptive"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub atol: Option<f64>,
}

impl Default for GrowthSpec {
    fn default() -> Self {
        GrowthSpec {
            returns_to_scale: 1.0,
            base_rate: 0.0,
            reference_scale: None,
            diseconomy_rate: 0.0,
            diseconomy_exponent: 2.0,
            spillover: 0.0,
            exchange: 0.0,
            volatility: 0.0,
            diffusion_scaling: "constant".into(),
            stop_at_share: 1.0,
            integrator: "euler".into(),
            rtol: None,
            atol: None,
        }
    }
}

/// What a growth policy does (DESIGN.md §5).
#[derive(Debug, Clone, PartialEq)]
pub enum GrowthPolicy {
    /// Change a model parameter while active; the previous value returns after `until`.
    Set {
        /// The parameter changed.
        param: GrowthParam,
        /// Its value while active (checked by [`GrowthParam::check`]).
        value: f64,
    },
    /// Forced diffusion (copyleft, standards mandates, technology transfer): a floor on
    /// the openness of the targeted groups while active.
    OpennessMandate {
        /// The openness floor, in [0, 1].
        openness: f64,
    },
    /// Non-compete bans, labour mobility: multiplies the spillover rate that the targeted
    /// groups receive.
    SpilloverBoost {
        /// The multiplier of the received spillover rate (>= 0; 1 = no change).
        factor: f64,
    },
    /// A tax at `rate` per unit time on resources above `threshold` times the mean of all
    /// actors, paid by the targeted groups; the revenue is returned equally to all actors.
    WealthTax {
        /// The tax rate per unit time on the excess (`rate · dt <= 1`, so a step never
        /// takes more than the excess).
        rate: f64,
        /// The untaxed allowance, a multiple of the mean of all actors (default 1).
        threshold: f64,
    },
    /// A tax on the proprietary part of growth, `rate * (1 - o_i) * g_i` where `g_i` is
    /// the actor's growth from returns to scale in this step; paid by the targeted groups.
    ProprietaryTax {
        /// The share of proprietary growth taxed, in [0, 1].
        rate: f64,
        /// Who receives the revenue: everyone equally, or open actors by openness.
        rebate: Rebate,
    },
}

/// The policy kinds of the growth model.
pub const POLICY_KINDS: &[PolicyFields] = &[
    ("set", &["param", "value"]),
    ("openness_mandate", &["openness"]),
    ("spillover_boost", &["factor"]),
    ("wealth_tax", &["rate", "threshold"]),
    ("proprietary_tax", &["rate", "rebate"]),
];

/// The parameters a `set` policy can change ([`GrowthParam::path`] of each).
pub const GROWTH_PARAM_PATHS: &[&str] = &[
    "growth.returns_to_scale",
    "growth.base_rate",
    "growth.diseconomy_rate",
    "growth.diseconomy_exponent",
    "growth.spillover",
    "growth.exchange",
    "growth.volatility",
];

/// The growth model's validated setup: its parameters and policies.
#[derive(Debug, Clone, PartialEq)]
pub struct GrowthSetup {
    /// Validated `[growth]` parameters.
    pub params: GrowthParams,
    /// The validated `[[policy]]` tables, in scenario order.
    pub policies: Vec<Policy<GrowthPolicy>>,
    /// `[network]`: spillover from neighbours; `None` = the mean field.
    pub network: Option<NetworkSetup>,
    /// A Cournot market among some of the actors, costs from their sizes (`[market]`,
    /// [`crate::model::market::layer`]), recorded each recorded step.
    pub market: Option<MarketLayer>,
}

/// The growth model, as registered.
pub struct Growth;

impl ModelDef for Growth {
    fn name(&self) -> &'static str {
        "growth"
    }
    fn about(&self) -> &'static str {
        "returns to scale, diseconomies, spillover, exchange and shocks (DESIGN.md §4.1)"
    }
    fn keys(&self) -> &'static [&'static str] {
        &["growth", "network", "market"]
    }
    fn params(&self) -> Vec<ParamInfo> {
        let r = ParamInfo::real;
        vec![
            r(
                "growth.returns_to_scale",
                "1.0",
                Some(0.0),
                None,
                "",
                "beta: 1 = proportional growth, > 1 economies of scale",
            ),
            r(
                "growth.base_rate",
                "0.0",
                None,
                None,
                "per unit time",
                "a: the growth rate at the reference scale",
            ),
            r(
                "growth.reference_scale",
                "",
                Some(0.0),
                None,
                "resources",
                "K; default: the initial mean of all actors",
            ),
            r(
                "growth.diseconomy_rate",
                "0.0",
                Some(0.0),
                None,
                "per unit time",
                "c: coordination and distance costs",
            ),
            r(
                "growth.diseconomy_exponent",
                "2.0",
                Some(0.0),
                None,
                "",
                "delta (> beta for an optimal size)",
            ),
            r(
                "growth.spillover",
                "0.0",
                Some(0.0),
                None,
                "per unit time",
                "D: non-rival catch-up toward more advanced, open actors",
            ),
            r(
                "growth.exchange",
                "0.0",
                Some(0.0),
                None,
                "per unit time",
                "J: rival transfer toward the mean (Bouchaud–Mézard)",
            ),
            r(
                "growth.volatility",
                "0.0",
                Some(0.0),
                None,
                "per sqrt(unit time)",
                "sigma: standard deviation of log-returns",
            ),
            ParamInfo::choice(
                "growth.diffusion_scaling",
                "\"constant\"",
                &["constant", "frontier"],
                "how D and J scale with progress",
            ),
            r(
                "growth.stop_at_share",
                "1.0",
                Some(0.0),
                Some(1.0),
                "share",
                "end a run once one actor holds this share (1 = never)",
            ),
            ParamInfo::choice(
                "growth.integrator",
                "\"euler\"",
                &["euler", "rk4", "adaptive"],
                "terms 1-3 per step: the exact Euler map, classical RK4, or adaptive Dormand-Prince 5(4)",
            ),
            r(
                "growth.rtol",
                "1e-6",
                Some(MIN_RTOL),
                Some(0.1),
                "",
                "adaptive: relative error allowed per sub-step",
            )
            .when(ADAPTIVE),
            r(
                "growth.atol",
                "0.0",
                Some(0.0),
                None,
                "resources",
                "adaptive: absolute error allowed per sub-step (0 = purely relative)",
            )
            .when(ADAPTIVE),
        ]
        .into_iter()
        .chain(
            // On the growth model the firms' costs always come from their sizes.
            market::layer::params()
                .into_iter()
                .filter(|p| p.path != "market.costs")
                .map(|mut p| {
                    p.applies_when.retain(|c| c.param != "market.costs");
                    p.in_optional_table("market")
                }),
        )
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
        let r = ParamInfo::real;
        vec![
            PolicyInfo::new(
                "set",
                "a growth parameter takes `value` while active, and its previous value afterwards",
                vec![
                    ParamInfo::choice(
                        "param",
                        "",
                        GROWTH_PARAM_PATHS,
                        "the parameter to change",
                    )
                    .with_example("\"growth.spillover\""),
                    r("value", "", None, None, "", "its value while active").with_example("0.1"),
                ],
            ),
            PolicyInfo::new(
                "openness_mandate",
                "forced diffusion: the targeted actors' openness is at least `openness` while active",
                vec![
                    r("openness", "", Some(0.0), Some(1.0), "", "the openness floor")
                        .with_example("0.5"),
                ],
            )
            .with_groups(),
            PolicyInfo::new(
                "spillover_boost",
                "multiplies the spillover rate the targeted actors receive",
                vec![
                    r("factor", "", Some(0.0), None, "", "the multiplier").with_example("2.0"),
                ],
            )
            .with_groups(),
            PolicyInfo::new(
                "wealth_tax",
                "a tax on resources above `threshold` times the mean, returned equally to all",
                vec![
                    r("rate", "", Some(0.0), None, "per unit time", "the tax rate (rate · dt <= 1)")
                        .with_example("0.05"),
                    r(
                        "threshold",
                        "1.0",
                        Some(0.0),
                        None,
                        "times the mean",
                        "resources above this are taxed",
                    ),
                ],
            )
            .with_groups(),
            PolicyInfo::new(
                "proprietary_tax",
                "a tax on the proprietary part of growth, rate · (1 − openness) · growth",
                vec![
                    r("rate", "", Some(0.0), Some(1.0), "", "the share of proprietary growth taxed")
                        .with_example("0.5"),
                    ParamInfo::choice(
                        "rebate",
                        "\"equal\"",
                        &["equal", "open"],
                        "the revenue goes to all equally, or to open actors by openness",
                    ),
                ],
            )
            .with_groups(),
        ]
    }
    fn validate(&self, cx: &mut ValidateCx<'_>) -> Result<Box<dyn ModelSetup>, FieldError> {
        let time = cx.time()?;
        let params = validate_params(&cx.section_or_default::<GrowthSpec>("growth")?)?;
        let policies = cx.policies(POLICY_KINDS, |p| validate_policy(p, time.dt))?;
        let network = match cx.section::<toml::Value>("network")? {
            Some(_) => Some(section::validate(cx)?),
            None => None,
        };
        let market = cx
            .section::<MarketSpec>("market")?
            .map(|spec| market::layer::validate(&spec, &cx.groups, true))
            .transpose()?;
        Ok(Box::new(GrowthSetup {
            params,
            policies,
            network,
            market,
        }))
    }
}

fn validate_params(g: &GrowthSpec) -> Result<GrowthParams, FieldError> {
    let scaling = match g.diffusion_scaling.as_str() {
        "constant" => DiffusionScaling::Constant,
        "frontier" => DiffusionScaling::Frontier,
        other => {
            return Err(err(
                "growth.diffusion_scaling",
                format!("unknown scaling \"{other}\""),
                "\"constant\" or \"frontier\"",
            ));
        }
    };
    let stop = finite("growth.stop_at_share", g.stop_at_share)?;
    if !(stop > 0.0 && stop <= 1.0) {
        return Err(err(
            "growth.stop_at_share",
            format!("{stop} is outside (0, 1]"),
            "a share in (0, 1]; 1 = never stop",
        ));
    }
    let integrator = match g.integrator.as_str() {
        "euler" => Integrator::Euler,
        "rk4" => Integrator::Rk4,
        "adaptive" => {
            let rtol = finite("growth.rtol", g.rtol.unwrap_or(DEFAULT_RTOL))?;
            if !(MIN_RTOL..=0.1).contains(&rtol) {
                return Err(err(
                    "growth.rtol",
                    format!("{rtol} is outside [{MIN_RTOL:e}, 0.1]"),
                    "a relative tolerance in [1e-12, 0.1] (below 1e-12 rounding error dominates)",
                ));
            }
            Integrator::Adaptive {
                rtol,
                atol: non_negative("growth.atol", g.atol.unwrap_or(0.0))?,
            }
        }
        other => {
            return Err(err(
                "growth.integrator",
                format!("unknown integrator \"{other}\""),
                "\"euler\", \"rk4\" or \"adaptive\"",
            ));
        }
    };
    if !matches!(integrator, Integrator::Adaptive { .. }) {
        for (name, v) in [("rtol", g.rtol), ("atol", g.atol)] {
            if v.is_some() {
                return Err(err(
                    format!("growth.{name}"),
                    format!(
                        "`{name}` does not apply to integrator = \"{}\"",
                        g.integrator
                    ),
                    "integrator = \"adaptive\", or remove it",
                ));
            }
        }
    }
    Ok(GrowthParams {
        returns_to_scale: positive("growth.returns_to_scale", g.returns_to_scale)?,
        base_rate: finite("growth.base_rate", g.base_rate)?,
        reference_scale: g
            .reference_scale
            .map(|k| positive("growth.reference_scale", k))
            .transpose()?,
        diseconomy_rate: non_negative("growth.diseconomy_rate", g.diseconomy_rate)?,
        diseconomy_exponent: positive("growth.diseconomy_exponent", g.diseconomy_exponent)?,
        spillover: non_negative("growth.spillover", g.spillover)?,
        exchange: non_negative("growth.exchange", g.exchange)?,
        volatility: non_negative("growth.volatility", g.volatility)?,
        diffusion_scaling: scaling,
        stop_at_share: stop,
        integrator,
    })
}

fn validate_policy(p: &PolicyCx<'_>, dt: f64) -> Result<GrowthPolicy, FieldError> {
    Ok(match p.kind() {
        "set" => {
            let path = p.str("param")?.ok_or_else(|| {
                err(
                    p.field("param"),
                    "`param` is required for kind = \"set\"",
                    "e.g. param = \"growth.spillover\"",
                )
            })?;
            let param = GrowthParam::from_path(&path).ok_or_else(|| {
                err(
                    p.field("param"),
                    format!("\"{path}\" cannot be set over time"),
                    format!(
                        "one of {}",
                        GrowthParam::ALL
                            .iter()
                            .map(|g| g.path())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            })?;
            let value = p.require_f64("value")?;
            param.check(value).map_err(|help| {
                err(
                    p.field("value"),
                    format!("{value} is not valid for {path}"),
                    help,
                )
            })?;
            p.no_groups()?;
            GrowthPolicy::Set { param, value }
        }
        "openness_mandate" => GrowthPolicy::OpennessMandate {
            openness: unit_interval(&p.field("openness"), p.require_f64("openness")?)?,
        },
        "spillover_boost" => GrowthPolicy::SpilloverBoost {
            factor: non_negative(&p.field("factor"), p.require_f64("factor")?)?,
        },
        "wealth_tax" => {
            let rate = non_negative(&p.field("rate"), p.require_f64("rate")?)?;
            if rate * dt > 1.0 {
                return Err(err(
                    p.field("rate"),
                    format!(
                        "rate * dt = {} would tax more than the excess in one step",
                        rate * dt
                    ),
                    format!("rate <= 1/dt = {}", 1.0 / dt),
                ));
            }
            let threshold = p.f64("threshold")?.unwrap_or(1.0);
            GrowthPolicy::WealthTax {
                rate,
                threshold: non_negative(&p.field("threshold"), threshold)?,
            }
        }
        "proprietary_tax" => {
            let rebate = match p.str("rebate")?.as_deref().unwrap_or("equal") {
                "equal" => Rebate::Equal,
                "open" => Rebate::Open,
                other => {
                    return Err(err(
                        p.field("rebate"),
                        format!("unknown rebate \"{other}\""),
                        "\"equal\" or \"open\"",
                    ));
                }
            };
            let rate = unit_interval(&p.field("rate"), p.require_f64("rate")?)?;
            GrowthPolicy::ProprietaryTax { rate, rebate }
        }
        _ => unreachable!("kinds checked by the policy framework"),
    })
}

/// Columns recorded when a tax policy is present: the policies' money trail.
const BUDGET_COLUMNS: [ColumnDef; 2] = [
    ColumnDef::real("tax_collected", "tax collected in the step"),
    ColumnDef::real("transfers_paid", "transfers paid in the step"),
];

impl GrowthSetup {
    /// Whether a tax policy is present (the run records the policies' money trail).
    fn records_budget(&self) -> bool {
        self.policies.iter().any(|p| {
            matches!(
                p.kind,
                GrowthPolicy::WealthTax { .. } | GrowthPolicy::ProprietaryTax { .. }
            )
        })
    }
}

impl ModelSetup for GrowthSetup {
    fn build(&self, sc: &Scenario, replicate: u32) -> Box<dyn Model> {
        Box::new(GrowthModel::new(sc, replicate))
    }
    fn observation(&self) -> Observation {
        let mut columns = Vec::new();
        if self.records_budget() {
            columns.extend(BUDGET_COLUMNS);
        }
        let mut key = Vec::new();
        if self.market.is_some() {
            columns.extend(market::layer::COLUMNS);
            key = vec!["top1_share", "lerner", "deadweight_loss"];
        }
        Observation {
            columns,
            key,
            ..Observation::default()
        }
    }
    /// The market outcome with a `[market]`; the tax budget when it is recorded.
    fn charts(&self) -> Vec<ChartDef> {
        let mut charts = Vec::new();
        if self.market.is_some() {
            charts.push(market::layer::chart());
        }
        if self.records_budget() {
            charts.push(
                ChartDef::new(
                    "budget",
                    "Taxes and transfers over time",
                    "What the tax policies collect and the transfers they pay in each step.",
                )
                .panel(
                    PanelDef::lines("", "per step")
                        .series("tax_collected", "tax collected")
                        .series("transfers_paid", "transfers paid"),
                ),
            );
        }
        charts
    }
    fn stop_at_share(&self) -> Option<f64> {
        (self.params.stop_at_share < 1.0).then_some(self.params.stop_at_share)
    }
}

// --- the model --------------------------------------------------------------------------

/// Actors per chunk: the unit of parallel work and of random streams.
pub const CHUNK: usize = 8192;

/// Normals drawn per call of the generator in the shock term (16 KB, in L1): a multiple
/// of [`SHOCK_BLOCK`], the unit of the vectorised `exp`.
const NORMAL_BLOCK: usize = 8 * SHOCK_BLOCK;

/// The constants of one step's fused exchange and shocks: the mean `m`, the exchange
/// factor `e = exp(-J dt)`, the shock scale `s = σ √dt` and `drift = -σ² dt / 2`.
struct ShockStep {
    m: f64,
    e: f64,
    s: f64,
    drift: f64,
    /// Whether the exchange applies (J > 0).
    exchange: bool,
}

crate::simd::multiversion! {
    /// Terms 4 and 5 for `actors` with their normals `z` (overwritten): per block of
    /// [`SHOCK_BLOCK`], `g = exp(s z + drift)` (the vectorised `exp`), then
    /// `x ← (m + (x − m) e)·g`, or `x ← x·g` without exchange (the exact map, DESIGN.md §4.1).
    /// Compiled for AVX-512 and AVX2 where the CPU has them: the same operations per value
    /// (Rust never fuses a multiply and an add), so the same bits.
    fn exchange_and_shocks / exchange_and_shocks_on(actors: &mut [f64], z: &mut [f64], c: &ShockStep) = exchange_and_shocks_portable;
}

#[inline(always)]
fn exchange_and_shocks_portable(actors: &mut [f64], z: &mut [f64], c: &ShockStep) {
    for (block, g) in actors
        .chunks_mut(SHOCK_BLOCK)
        .zip(z.chunks_mut(SHOCK_BLOCK))
    {
        g.iter_mut().for_each(|gi| *gi = c.s * *gi + c.drift);
        // The fast `exp` where every argument of the block is in its range, else the
        // standard library's for the whole block.
        if in_fast_range(g) {
            shock_block(block, g, c, exp_fast);
        } else {
            shock_block(block, g, c, f64::exp);
        }
    }
}

/// `x ← (m + (x − m) e)·exp(a)` (or `x ← x·exp(a)` without exchange) for a block of actors
/// and their arguments `a`: the `exp` and the update in one loop, so that the actors'
/// loads (the block was last touched a whole step ago) overlap the `exp`'s chain.
#[inline(always)]
fn shock_block(block: &mut [f64], args: &[f64], c: &ShockStep, exp: impl Fn(f64) -> f64) {
    if c.exchange {
        for (x, &a) in block.iter_mut().zip(args) {
            *x = (c.m + (*x - c.m) * c.e) * exp(a);
        }
    } else {
        for (x, &a) in block.iter_mut().zip(args) {
            *x *= exp(a);
        }
    }
}

/// Coordinate of the shocks' key under the replicate seed (see the module docs).
pub const SHOCK_STREAM: u64 = 0x5348_4F43_4B53; // "SHOCKS"
/// Below this many actors a step runs on the calling thread (same results, less overhead).
const PARALLEL_MIN: usize = 4 * CHUNK;

/// How the diffusion rates (spillover D and exchange J) scale with progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiffusionScaling {
    /// The rates as given.
    Constant,
    /// Both multiplied by `a (mean(R)/K)^(beta-1)`.
    Frontier,
}

/// How the deterministic terms of a step are integrated (`growth.integrator`).
///
/// Terms 1–3 are the drift
/// `F_i(R) = a K (R_i/K)^beta - c K (R_i/K)^delta + D_eff(R) m_i S_i(R)` (m_i the spillover boost, S_i the spillover mean, D_eff with the
/// frontier factor `a (mean(R)/K)^(beta-1)` of the state it is evaluated at). The default
/// takes one explicit Euler step of each term in turn, which *is* the model of DESIGN.md
/// §4.1 (dt = 1 is the essays' yearly map); the others integrate dR/dt = F(R) more
/// accurately, for when the continuous-time model is meant (reference/validation.md §4).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Integrator {
    /// The exact map of DESIGN.md §4.1: explicit Euler for terms 1, 2, 3 one after the
    /// other, then the exact exchange and shocks. First order in dt.
    Euler,
    /// One classical Runge–Kutta step (order 4) of `dR/dt = F(R)` over dt, then the
    /// exact exchange and shock updates (terms 4–5, with J_eff from the mean at the
    /// start of the step, as in `Euler`): Lie splitting. Order 4 in dt without exchange;
    /// the splitting adds an O(dt) commutator error when J > 0.
    Rk4,
    /// Dormand–Prince 5(4) with local extrapolation (Dormand & Prince 1980; Hairer,
    /// Nørsett & Wanner, *Solving ODEs I*, §II.5), sub-steps inside each step chosen so
    /// that the embedded error estimate is at most `atol + rtol |R_i|` for every actor
    /// (max norm, so the sub-step sizes do not depend on how actors are split among
    /// threads). The deterministic exchange `J_eff (mean(R) - R_i)` is part of the
    /// integrated drift (its frontier-scaled rate grows with the mean within a step, and
    /// the error control must see it to follow a finite-time blow-up); only the shocks
    /// (term 5, exact) and the policies are applied once per step, after the drift.
    /// As the solution approaches a blow-up the sub-steps shrink; once one would be
    /// shorter than [`MIN_SUBSTEP`] · dt the run stops with a blow-up error at that
    /// sub-step's time, which tends to the blow-up time t* as rtol → 0.
    Adaptive {
        /// Relative tolerance per sub-step, in [`MIN_RTOL`, 0.1].
        rtol: f64,
        /// Absolute tolerance per sub-step (resource units, >= 0).
        atol: f64,
    },
}

/// The adaptive integrator's default relative tolerance.
pub const DEFAULT_RTOL: f64 = 1e-6;
/// The smallest relative tolerance accepted: below it the rounding of a sub-step
/// (~1e-16 relative per operation, over a few dozen operations) is comparable to the
/// tolerance, and the controller could shrink the sub-step forever.
pub const MIN_RTOL: f64 = 1e-12;
/// The adaptive integrator gives up (a blow-up error) when a sub-step would be shorter
/// than this fraction of dt: the solution is then changing on a time scale 10^12 times
/// shorter than a step, i.e. it is diverging.
pub const MIN_SUBSTEP: f64 = 1e-12;
/// The adaptive integrator gives up after this many sub-steps within one step (a term
/// so stiff, e.g. J dt ~ 10^6, that explicit sub-steps cannot cross the step).
pub const MAX_SUBSTEPS: u64 = 1_000_000;

const ADAPTIVE: &[Condition] = &[Condition::new("growth.integrator", &["adaptive"])];

/// Validated parameters of the growth model (`[growth]`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GrowthParams {
    /// beta (> 0): returns to scale, term 1 `R_i += dt a K (R_i/K)^beta`.
    pub returns_to_scale: f64,
    /// a (finite, per unit time): the growth rate at the reference scale, term 1.
    pub base_rate: f64,
    /// K (> 0, resource units); `None`: the initial mean of all actors, fixed per
    /// replicate ([`GrowthModel::reference_scale`]).
    pub reference_scale: Option<f64>,
    /// c (>= 0, per unit time): diseconomies, term 2 `R_i -= dt c K (R_i/K)^delta`.
    pub diseconomy_rate: f64,
    /// delta (> 0): the exponent of diseconomies, term 2.
    pub diseconomy_exponent: f64,
    /// D (>= 0, per unit time): spillover, term 3
    /// `R_i += dt D_eff mean_j[o_j max(R_j - R_i, 0)]`.
    pub spillover: f64,
    /// J (>= 0, per unit time): exchange, term 4 `R_i = m + (R_i - m) exp(-J_eff dt)`.
    pub exchange: f64,
    /// sigma (>= 0, per sqrt(unit time)): shocks, term 5
    /// `R_i *= exp(sigma sqrt(dt) Z_i - sigma^2 dt / 2)`.
    pub volatility: f64,
    /// How D and J scale with progress (D_eff, J_eff).
    pub diffusion_scaling: DiffusionScaling,
    /// The leader's share in (0, 1] at which a run ends; 1 = never.
    pub stop_at_share: f64,
    /// How the deterministic terms are integrated over a step.
    pub integrator: Integrator,
}

/// A growth parameter that a `set` policy may change over time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrowthParam {
    /// `growth.returns_to_scale` (beta, > 0).
    ReturnsToScale,
    /// `growth.base_rate` (a, finite).
    BaseRate,
    /// `growth.diseconomy_rate` (c, >= 0).
    DiseconomyRate,
    /// `growth.diseconomy_exponent` (delta, > 0).
    DiseconomyExponent,
    /// `growth.spillover` (D, >= 0).
    Spillover,
    /// `growth.exchange` (J, >= 0).
    Exchange,
    /// `growth.volatility` (sigma, >= 0).
    Volatility,
}

impl GrowthParam {
    /// Every parameter a `set` policy can change, in [`GROWTH_PARAM_PATHS`] order.
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

    /// The parameter at a scenario path, with or without the `growth.` prefix
    /// (`growth.spillover` or `spillover`); `None` if a `set` policy cannot change it.
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
    /// Per-actor multiplier of the spillover rate received (spillover boosts); empty (1 for
    /// every actor) when the scenario has no boost.
    spill_mult: Vec<f64>,
    /// Group index of each actor; groups are contiguous ranges.
    group: Vec<u32>,
    group_names: Vec<String>,
    /// This step's growth from returns to scale (for the proprietary tax).
    growth_term: Vec<f64>,
    /// The shocks' normal deviates (see the module docs); stream = chunk.
    shock_key: u64,
    policies: Vec<Policy<GrowthPolicy>>,
    active: Vec<bool>,
    total: f64,
    max: f64,
    ledger: Ledger,
    /// Whether [`Model::observe`] reports the ledger (a tax policy is present).
    records_budget: bool,
    /// The market among the actors, if any (`[market]`).
    market: Option<MarketLayer>,
    /// Scratch for the spillover sort.
    order: Vec<u32>,
    spill: Vec<f64>,
    /// Spillover from neighbours on this graph (`None`: the mean field).
    network: Option<Arc<Network>>,
    /// Stages and sub-step state of the opt-in integrators ([`Integrator`]).
    rk: RkState,
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
///
/// The check is kept out of the loop so that it vectorises: every value is in (0, ∞)
/// exactly when the lanes' minimum is above 0, their maximum below ∞ (both ignore NaN)
/// and the sum is finite (a NaN makes it NaN). A sum that overflows with every value
/// finite also reads as "not ok"; the caller then finds no offending value, as before.
///
/// On x86-64 with AVX2 (unless `COUNTERWEIGHT_SIMD` rules it out) the lanes are two AVX2
/// registers ([`sum_max_ok_avx2`]); the same operations per lane, so the same bits.
fn sum_max_ok(values: &[f64]) -> (f64, f64, bool) {
    #[cfg(target_arch = "x86_64")]
    if crate::simd::allows(crate::simd::SimdLevel::Avx2)
        && std::arch::is_x86_feature_detected!("avx2")
    {
        // SAFETY: AVX2 is available (checked just above).
        return unsafe { sum_max_ok_avx2(values) };
    }
    sum_max_ok_portable(values)
}

/// [`sum_max_ok`] for any CPU.
fn sum_max_ok_portable(values: &[f64]) -> (f64, f64, bool) {
    let mut lanes = Lanes::new();
    let chunks = values.chunks_exact(LANES);
    let rest = chunks.remainder();
    for c in chunks {
        for (l, &v) in c.iter().enumerate() {
            lanes.add(l, v);
        }
    }
    lanes.finish(rest)
}

/// [`sum_max_ok`] in AVX2 registers, written with intrinsics: the compiler's own
/// vectorisation of the lanes' selects under AVX2 shuffled every register (more
/// instructions than the baseline's two-wide code). `vmaxpd(v, max)` is
/// `if v > max { v } else { max }` exactly (NaN included), `vminpd` likewise, and the adds
/// are the lanes' own.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn sum_max_ok_avx2(values: &[f64]) -> (f64, f64, bool) {
    use std::arch::x86_64::*;
    let chunks = values.chunks_exact(LANES);
    let rest = chunks.remainder();
    let (mut s0, mut s1) = (_mm256_setzero_pd(), _mm256_setzero_pd());
    let (mut x0, mut x1) = (_mm256_set1_pd(f64::MIN), _mm256_set1_pd(f64::MIN));
    let (mut n0, mut n1) = (_mm256_set1_pd(f64::MAX), _mm256_set1_pd(f64::MAX));
    for c in chunks {
        // SAFETY: `c` holds LANES = 8 values; unaligned loads of 4 at 0 and 4.
        let (a, b) = unsafe {
            (
                _mm256_loadu_pd(c.as_ptr()),
                _mm256_loadu_pd(c.as_ptr().add(4)),
            )
        };
        (s0, s1) = (_mm256_add_pd(s0, a), _mm256_add_pd(s1, b));
        (x0, x1) = (_mm256_max_pd(a, x0), _mm256_max_pd(b, x1));
        (n0, n1) = (_mm256_min_pd(a, n0), _mm256_min_pd(b, n1));
    }
    let mut lanes = Lanes::new();
    // SAFETY: each array has LANES = 8 slots; unaligned stores of 4 at 0 and 4.
    unsafe {
        for (arr, lo, hi) in [
            (&mut lanes.sum, s0, s1),
            (&mut lanes.max, x0, x1),
            (&mut lanes.min, n0, n1),
        ] {
            _mm256_storeu_pd(arr.as_mut_ptr(), lo);
            _mm256_storeu_pd(arr.as_mut_ptr().add(4), hi);
        }
    }
    lanes.finish(rest)
}

/// [`sum_max_ok`]'s per-lane sums, maxima and minima.
struct Lanes {
    sum: [f64; LANES],
    max: [f64; LANES],
    min: [f64; LANES],
}

impl Lanes {
    fn new() -> Lanes {
        Lanes {
            sum: [0.0; LANES],
            max: [f64::MIN; LANES],
            min: [f64::MAX; LANES],
        }
    }

    #[inline(always)]
    fn add(&mut self, l: usize, v: f64) {
        self.sum[l] += v;
        self.max[l] = if v > self.max[l] { v } else { self.max[l] };
        self.min[l] = if v < self.min[l] { v } else { self.min[l] };
    }

    /// Add the last `rest.len() < LANES` values to the first lanes, then combine.
    fn finish(mut self, rest: &[f64]) -> (f64, f64, bool) {
        for (l, &v) in rest.iter().enumerate() {
            self.add(l, v);
        }
        let sum = self.sum;
        let total =
            ((sum[0] + sum[1]) + (sum[2] + sum[3])) + ((sum[4] + sum[5]) + (sum[6] + sum[7]));
        let m = self.max.iter().copied().fold(f64::MIN, f64::max);
        let low = self.min.iter().copied().fold(f64::MAX, f64::min);
        let ok = low > 0.0 && m < f64::INFINITY && total.is_finite();
        (total, m, ok)
    }
}

impl GrowthModel {
    /// Build replicate `replicate` of a scenario: initial values are drawn from the
    /// replicate's own streams.
    ///
    /// Panics if `sc` is not a growth scenario.
    pub fn new(sc: &Scenario, replicate: u32) -> GrowthModel {
        let setup: &GrowthSetup = sc.model.get().expect("a growth scenario");
        let seed = replicate_seed(sc.seed, replicate);
        let n = sc.actor_count();
        let r = initial_values(&sc.groups, sc.seed, replicate);
        // Per-actor vectors that are zero for most actors of most scenarios start as zeroed
        // allocations (pages the kernel maps lazily, never touched while they stay zero)
        // and only the groups that differ are written: at 10^6 actors with no openness and
        // one group this saves touching 20 MB, about 15 ms of page faults at start-up.
        let (mut base_openness, mut openness) = (vec![0.0; n], vec![0.0; n]);
        let mut group = vec![0u32; n];
        let mut start = 0;
        for (g, spec) in sc.groups.iter().enumerate() {
            let range = start..start + spec.count;
            if spec.openness.to_bits() != 0 {
                base_openness[range.clone()].fill(spec.openness);
                openness[range.clone()].fill(spec.openness);
            }
            if g > 0 {
                group[range].fill(g as u32);
            }
            start += spec.count;
        }
        // The spillover multipliers are 1 unless a spillover boost is active: allocated only
        // when the scenario has a boost (empty means 1 for every actor, see `mult_at`).
        let boosts = setup
            .policies
            .iter()
            .any(|p| matches!(p.kind, GrowthPolicy::SpilloverBoost { .. }));
        let spill_mult = if boosts { vec![1.0; n] } else { Vec::new() };
        let total: f64 = sum_chunked(&r);
        let k = setup.params.reference_scale.unwrap_or(total / n as f64);
        let max = r.iter().copied().fold(f64::MIN, f64::max);
        GrowthModel {
            base: setup.params,
            params: setup.params,
            k,
            dt: sc.time.dt,
            openness,
            base_openness,
            spill_mult,
            group,
            group_names: sc.groups.iter().map(|g| g.name.clone()).collect(),
            growth_term: Vec::new(),
            shock_key: rng::derive_seed(seed, &[SHOCK_STREAM]),
            policies: setup.policies.clone(),
            active: vec![false; setup.policies.len()],
            total,
            max,
            ledger: Ledger::default(),
            records_budget: setup.records_budget(),
            market: setup.market.clone(),
            order: Vec::new(),
            spill: Vec::new(),
            network: setup.network.as_ref().map(|g| g.network_for(n, seed)),
            rk: RkState::default(),
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
                GrowthPolicy::Set { param, value } => param.apply(&mut params, value),
                GrowthPolicy::OpennessMandate { openness } => {
                    for (o, &g) in self.openness.iter_mut().zip(&self.group) {
                        if p.groups[g as usize] {
                            *o = o.max(openness);
                        }
                    }
                }
                GrowthPolicy::SpilloverBoost { factor } => {
                    for (m, &g) in self.spill_mult.iter_mut().zip(&self.group) {
                        if p.groups[g as usize] {
                            *m *= factor;
                        }
                    }
                }
                GrowthPolicy::WealthTax { .. } | GrowthPolicy::ProprietaryTax { .. } => {}
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

    fn apply_taxes(&mut self, t: f64) -> Ledger {
        let mut ledger = Ledger::default();
        let dt = self.dt;
        for (idx, p) in self.policies.iter().enumerate() {
            if !self.active[idx] || !p.window.contains(t, dt) {
                continue;
            }
            let targeted = |i: usize| p.groups[self.group[i] as usize];
            let l = match p.kind {
                GrowthPolicy::WealthTax { rate, threshold } => {
                    let mean = self.total / self.r.len() as f64;
                    policy::wealth_tax(&mut self.r, targeted, rate * dt, threshold * mean)
                }
                GrowthPolicy::ProprietaryTax { rate, rebate } => {
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
                    GrowthPolicy::WealthTax { .. } => any = true,
                    GrowthPolicy::ProprietaryTax { .. } => {
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

impl GrowthModel {
    /// The policies' money trail in the last step.
    pub fn ledger(&self) -> Ledger {
        self.ledger
    }

    /// Sub-steps accepted so far by the adaptive integrator (0 for the others): a
    /// deterministic function of the scenario and seed, like the state.
    pub fn substeps(&self) -> u64 {
        self.rk.substeps
    }

    /// Terms 1–3 by one classical RK4 step over dt ([`Integrator::Rk4`]).
    fn rk4_step(&mut self, step: u64, t: f64, proprietary: bool) -> Result<(), ModelError> {
        let (dt, n) = (self.dt, self.r.len());
        let drift = Drift::new(
            &self.params,
            self.k,
            &self.openness,
            &self.spill_mult,
            self.network.as_deref(),
            false,
        );
        let rk = &mut self.rk;
        rk.ensure(RK4_A.len(), n, proprietary);
        for (st, coef) in RK4_A.iter().enumerate() {
            let input: &[f64] = if st == 0 {
                &self.r
            } else {
                combine(&mut rk.y, &self.r, dt, coef, &rk.k);
                &rk.y
            };
            let g = rk.g.get_mut(st).map(Vec::as_mut_slice);
            drift.eval(input, &mut rk.k[st], g, &mut self.order, &mut self.spill);
        }
        if proprietary {
            self.growth_term.clear();
            self.growth_term.resize(n, 0.0);
            accumulate(&mut self.growth_term, dt, &RK4_B, &rk.g);
        }
        let k = &rk.k;
        let res = pass(&mut self.r, "returns_to_scale", |vals, off| {
            accumulate(
                vals,
                dt,
                &RK4_B,
                &k.iter()
                    .map(|k| &k[off..off + vals.len()])
                    .collect::<Vec<_>>(),
            );
        });
        let c = self.params.diseconomy_rate;
        let res = (
            res.0,
            res.1,
            res.2.map(|(i, v, _)| (i, v, drift_term(v, c))),
        );
        self.finish(res, step, t)
    }

    /// Terms 1–4 by Dormand–Prince 5(4) sub-steps across dt ([`Integrator::Adaptive`]).
    fn adaptive_step(
        &mut self,
        step: u64,
        t: f64,
        proprietary: bool,
        rtol: f64,
        atol: f64,
    ) -> Result<(), ModelError> {
        let (dt, n) = (self.dt, self.r.len());
        let c = self.params.diseconomy_rate;
        let drift = Drift::new(
            &self.params,
            self.k,
            &self.openness,
            &self.spill_mult,
            self.network.as_deref(),
            true,
        );
        let rk = &mut self.rk;
        rk.ensure(DP_A.len(), n, proprietary);
        if proprietary {
            self.growth_term.clear();
            self.growth_term.resize(n, 0.0);
        }
        // The sub-step carries over from the previous step (the controller's last
        // proposal), so a run does not re-learn it every step.
        let mut h = if rk.h_next > 0.0 {
            rk.h_next.min(dt)
        } else {
            dt
        };
        let mut s = 0.0; // time into the step
        let mut fsal = false; // k[0] already holds F(R) (first same as last)
        let mut attempts = 0u64;
        while s < dt {
            let last = s + h >= dt;
            let h_try = if last { dt - s } else { h };
            if !fsal {
                let g = rk.g.get_mut(0).map(Vec::as_mut_slice);
                drift.eval(&self.r, &mut rk.k[0], g, &mut self.order, &mut self.spill);
                fsal = true;
            }
            for (st, coef) in DP_A.iter().enumerate().skip(1) {
                combine(&mut rk.y, &self.r, h_try, coef, &rk.k);
                let g = rk.g.get_mut(st).map(Vec::as_mut_slice);
                drift.eval(&rk.y, &mut rk.k[st], g, &mut self.order, &mut self.spill);
            }
            // The last stage's input is the 5th-order solution (a_7j = b_j).
            let (err, worst) = error_norm(&self.r, &rk.y, h_try, &DP_E, &rk.k, rtol, atol);
            attempts += 1;
            if err <= 1.0 {
                if proprietary {
                    accumulate(&mut self.growth_term, h_try, DP_A[6], &rk.g);
                }
                std::mem::swap(&mut self.r, &mut rk.y);
                rk.k.swap(0, 6);
                if proprietary {
                    rk.g.swap(0, 6);
                }
                rk.substeps += 1;
                s = if last { dt } else { s + h_try };
                // Standard controller (Hairer–Nørsett–Wanner II.4): safety 0.9, the
                // error of the order-4 estimate scales as h^5, growth at most 5x.
                let factor = if err == 0.0 {
                    5.0
                } else {
                    (0.9 * err.powf(-0.2)).clamp(0.2, 5.0)
                };
                h = if last {
                    h.max(h_try * factor)
                } else {
                    h_try * factor
                };
            } else {
                // Rejected (including a stage or result that left R > 0): shrink.
                let factor = if err.is_finite() {
                    (0.9 * err.powf(-0.2)).clamp(0.2, 0.9)
                } else {
                    0.2
                };
                h = h_try * factor;
            }
            if (s < dt && h < MIN_SUBSTEP * dt) || attempts >= MAX_SUBSTEPS {
                let (value, term) = (self.r[worst], drift_term(rk.y[worst], c));
                let mut e = self.blow_up(step, t + s, (worst, value, term));
                if let ModelError::BlowUp { hint, .. } = &mut e {
                    *hint = if attempts >= MAX_SUBSTEPS {
                        format!(
                            "; the adaptive integrator needed over {MAX_SUBSTEPS} sub-steps in this step \
                             (a stiff term: reduce growth.exchange or time.dt){hint}"
                        )
                    } else {
                        format!(
                            "; the adaptive integrator's sub-step fell below {MIN_SUBSTEP:e} dt at \
                             t = {}: the solution diverges there{hint}",
                            crate::fmt::sig(t + s, 10)
                        )
                    };
                }
                return Err(e);
            }
        }
        rk.h_next = h;
        let res = pass(&mut self.r, "returns_to_scale", |_, _| {});
        self.finish(res, step, t)
    }
}

// --- the opt-in integrators (`Integrator`) ----------------------------------------------

/// Classical RK4: stage s's coefficients on the earlier stages.
const RK4_A: [&[f64]; 4] = [&[], &[0.5], &[0.0, 0.5], &[0.0, 0.0, 1.0]];
/// Classical RK4's weights.
const RK4_B: [f64; 4] = [1.0 / 6.0, 1.0 / 3.0, 1.0 / 3.0, 1.0 / 6.0];
/// Dormand–Prince 5(4) (Hairer, Nørsett & Wanner, Table II.5.2): stage s's coefficients
/// on the earlier stages; the last row is the 5th-order weights b (first same as last).
const DP_A: [&[f64]; 7] = [
    &[],
    &[1.0 / 5.0],
    &[3.0 / 40.0, 9.0 / 40.0],
    &[44.0 / 45.0, -56.0 / 15.0, 32.0 / 9.0],
    &[
        19372.0 / 6561.0,
        -25360.0 / 2187.0,
        64448.0 / 6561.0,
        -212.0 / 729.0,
    ],
    &[
        9017.0 / 3168.0,
        -355.0 / 33.0,
        46732.0 / 5247.0,
        49.0 / 176.0,
        -5103.0 / 18656.0,
    ],
    &[
        35.0 / 384.0,
        0.0,
        500.0 / 1113.0,
        125.0 / 192.0,
        -2187.0 / 6784.0,
        11.0 / 84.0,
    ],
];
/// b - b*: the 5th-order weights minus the embedded 4th-order ones (the error estimate).
const DP_E: [f64; 7] = [
    35.0 / 384.0 - 5179.0 / 57600.0,
    0.0,
    500.0 / 1113.0 - 7571.0 / 16695.0,
    125.0 / 192.0 - 393.0 / 640.0,
    -2187.0 / 6784.0 + 92097.0 / 339200.0,
    11.0 / 84.0 - 187.0 / 2100.0,
    -1.0 / 40.0,
];

/// Stages and sub-step state of the RK integrators, kept between steps.
#[derive(Default)]
struct RkState {
    /// The stage derivatives k_s = F(stage input).
    k: Vec<Vec<f64>>,
    /// Term 1's part of each k_s (only with a proprietary tax, which taxes term 1).
    g: Vec<Vec<f64>>,
    /// The stage input (after the last stage of a DP sub-step: the new state).
    y: Vec<f64>,
    /// The adaptive controller's proposal for the next sub-step.
    h_next: f64,
    /// Sub-steps accepted so far.
    substeps: u64,
}

impl RkState {
    fn ensure(&mut self, stages: usize, n: usize, growth: bool) {
        self.k.resize_with(stages, Vec::new);
        self.k.iter_mut().for_each(|k| k.resize(n, 0.0));
        if growth {
            self.g.resize_with(stages, Vec::new);
            self.g.iter_mut().for_each(|g| g.resize(n, 0.0));
        } else {
            self.g.clear();
        }
        self.y.resize(n, 0.0);
    }
}

/// The drift of the deterministic terms at a state, as the RK integrators evaluate it
/// at every stage ([`Integrator`]): terms 1–3, plus the exchange for the adaptive one.
/// The frontier factor and the means are those of the stage's own state.
struct Drift<'a> {
    a: f64,
    k: f64,
    beta: f64,
    c: f64,
    delta: f64,
    /// D, 0 when no actor is open (the spillover is then 0).
    d: f64,
    /// J when the exchange is part of the drift, else 0.
    j: f64,
    frontier: bool,
    openness: &'a [f64],
    mult: &'a [f64],
    network: Option<&'a Network>,
}

impl<'a> Drift<'a> {
    fn new(
        p: &GrowthParams,
        k: f64,
        openness: &'a [f64],
        mult: &'a [f64],
        network: Option<&'a Network>,
        with_exchange: bool,
    ) -> Self {
        Drift {
            a: p.base_rate,
            k,
            beta: p.returns_to_scale,
            c: p.diseconomy_rate,
            delta: p.diseconomy_exponent,
            d: if openness.iter().any(|&o| o > 0.0) {
                p.spillover
            } else {
                0.0
            },
            j: if with_exchange { p.exchange } else { 0.0 },
            frontier: p.diffusion_scaling == DiffusionScaling::Frontier,
            openness,
            mult,
            network,
        }
    }

    /// `out = F(y)`, and term 1's part of it in `growth` when given.
    fn eval(
        &self,
        y: &[f64],
        out: &mut [f64],
        growth: Option<&mut [f64]>,
        order: &mut Vec<u32>,
        spill: &mut Vec<f64>,
    ) {
        let (a, k, beta, c, delta) = (self.a, self.k, self.beta, self.c, self.delta);
        let mean = if self.frontier || self.j > 0.0 {
            sum_chunked(y) / y.len() as f64
        } else {
            0.0
        };
        let f = if self.frontier {
            a * (mean / k).powf(beta - 1.0)
        } else {
            1.0
        };
        let (d, j) = (self.d * f, self.j * f);
        let spill_on = d > 0.0;
        if spill_on {
            match self.network {
                None => spillover_sums(y, self.openness, order, spill),
                Some(g) => {
                    spill.resize(y.len(), 0.0);
                    network::spillover(g, y, self.openness, spill);
                }
            }
        }
        let (spill, mult): (&[f64], &[f64]) = (spill, self.mult);
        for_chunks(out, |o, off| {
            for (i, oi) in o.iter_mut().enumerate() {
                let x = y[off + i];
                let mut v = 0.0;
                if a != 0.0 {
                    v += a * k * (x / k).powf(beta);
                }
                if c != 0.0 {
                    v -= c * k * (x / k).powf(delta);
                }
                if spill_on {
                    v += d * mult_at(mult, off + i) * spill[off + i];
                }
                if j > 0.0 {
                    v += j * (mean - x);
                }
                *oi = v;
            }
        });
        if let Some(g) = growth {
            for_chunks(g, |o, off| {
                for (i, oi) in o.iter_mut().enumerate() {
                    *oi = a * k * (y[off + i] / k).powf(beta);
                }
            });
        }
    }
}

/// The term a bad value of the drift is attributed to: only diseconomies (and a
/// negative base rate) lower R toward 0; only returns to scale diverge.
fn drift_term(value: f64, diseconomy_rate: f64) -> &'static str {
    if (value.is_nan() || value <= 0.0) && diseconomy_rate != 0.0 {
        "diseconomies"
    } else {
        "returns_to_scale"
    }
}

/// Run `f(values, offset)` over every chunk, in parallel for large N (each element is
/// computed the same way whatever the split).
fn for_chunks<F>(out: &mut [f64], f: F)
where
    F: Fn(&mut [f64], usize) + Sync + Send,
{
    if out.len() >= PARALLEL_MIN {
        out.par_chunks_mut(CHUNK)
            .enumerate()
            .for_each(|(c, v)| f(v, c * CHUNK));
    } else {
        out.chunks_mut(CHUNK)
            .enumerate()
            .for_each(|(c, v)| f(v, c * CHUNK));
    }
}

/// `out_i = y_i + h sum_j coef_j k_j,i` (the sum in stage order, zero terms skipped).
fn combine(out: &mut [f64], y: &[f64], h: f64, coef: &[f64], k: &[Vec<f64>]) {
    for_chunks(out, |o, off| {
        o.iter_mut().for_each(|x| *x = 0.0);
        for (&cj, kj) in coef.iter().zip(k) {
            if cj != 0.0 {
                for (x, &kv) in o.iter_mut().zip(&kj[off..]) {
                    *x += cj * kv;
                }
            }
        }
        for (x, &yv) in o.iter_mut().zip(&y[off..]) {
            *x = yv + h * *x;
        }
    });
}

/// `out_i += h sum_j coef_j k_j,i` (the sum in stage order, zero terms skipped).
fn accumulate<K: AsRef<[f64]>>(out: &mut [f64], h: f64, coef: &[f64], k: &[K]) {
    let mut acc = vec![0.0; out.len()];
    for (&cj, kj) in coef.iter().zip(k) {
        if cj != 0.0 {
            for (x, &kv) in acc.iter_mut().zip(kj.as_ref()) {
                *x += cj * kv;
            }
        }
    }
    for (x, a) in out.iter_mut().zip(acc) {
        *x += h * a;
    }
}

/// The embedded error of a DP sub-step in the max norm, `max_i |h sum_j e_j k_j,i| /
/// (atol + rtol max(|y_i|, |y_new_i|))` (infinite when a new value is not positive and
/// finite), and the actor to blame: the first bad one, else the first with the largest
/// error. A max does not depend on the order of evaluation, so neither does the
/// controller on the number of threads.
fn error_norm(
    y: &[f64],
    y_new: &[f64],
    h: f64,
    e: &[f64],
    k: &[Vec<f64>],
    rtol: f64,
    atol: f64,
) -> (f64, usize) {
    let chunk = |(c, yn): (usize, &[f64])| -> (f64, usize, Option<usize>) {
        let off = c * CHUNK;
        let (mut worst, mut at, mut bad) = (0.0f64, off, None);
        for (i, &ynew) in yn.iter().enumerate() {
            let idx = off + i;
            if !(ynew > 0.0 && ynew.is_finite()) {
                bad = bad.or(Some(idx));
                continue;
            }
            let mut est = 0.0;
            for (&ej, kj) in e.iter().zip(k) {
                if ej != 0.0 {
                    est += ej * kj[idx];
                }
            }
            let q = (h * est).abs() / (atol + rtol * y[idx].abs().max(ynew));
            let q = if q.is_nan() { f64::INFINITY } else { q };
            if q > worst {
                worst = q;
                at = idx;
            }
        }
        (worst, at, bad)
    };
    let stats: Vec<(f64, usize, Option<usize>)> = if y_new.len() >= PARALLEL_MIN {
        y_new.par_chunks(CHUNK).enumerate().map(chunk).collect()
    } else {
        y_new.chunks(CHUNK).enumerate().map(chunk).collect()
    };
    if let Some(b) = stats.iter().find_map(|s| s.2) {
        return (f64::INFINITY, b);
    }
    let mut best = (0.0f64, 0usize);
    for &(w, at, _) in &stats {
        if w > best.0 {
            best = (w, at);
        }
    }
    best
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

        // Terms 1–3 by the opt-in integrators (see `Integrator`); the default below.
        match p.integrator {
            Integrator::Euler => {}
            Integrator::Rk4 => self.rk4_step(step, t, proprietary)?,
            Integrator::Adaptive { rtol, atol } => {
                self.adaptive_step(step, t, proprietary, rtol, atol)?
            }
        }
        let euler = p.integrator == Integrator::Euler;

        // Terms 1 and 2, elementwise.
        if euler && (p.base_rate != 0.0 || p.diseconomy_rate != 0.0) {
            if proprietary {
                let (a, r) = (p.base_rate, &self.r);
                self.growth_term.clear();
                self.growth_term
                    .extend(r.iter().map(|&x| growth_increment(x, dt, a, k, beta)));
            }
            let a = p.base_rate;
            if a != 0.0 {
                let res = pass(&mut self.r, "returns_to_scale", |vals, _| {
                    if beta == 1.0 {
                        vals.iter_mut().for_each(|x| *x += dt * a * *x);
                    } else {
                        vals.iter_mut()
                            .for_each(|x| *x += growth_increment(*x, dt, a, k, beta));
                    }
                });
                self.finish(res, step, t)?;
            }
            let (c, delta) = (p.diseconomy_rate, p.diseconomy_exponent);
            if c != 0.0 {
                let res = pass(&mut self.r, "diseconomies", |vals, _| {
                    vals.iter_mut()
                        .for_each(|x| *x -= dt * c * k * (*x / k).powf(delta));
                });
                self.finish(res, step, t)?;
            }
        } else if euler && proprietary {
            self.growth_term.clear();
            self.growth_term.resize(self.r.len(), 0.0);
        }

        // Term 3: spillover (non-rival; nobody loses).
        let d = p.spillover * frontier;
        if euler && d > 0.0 && self.openness.iter().any(|&o| o > 0.0) {
            match &self.network {
                None => spillover_sums(&self.r, &self.openness, &mut self.order, &mut self.spill),
                Some(g) => {
                    self.spill.resize(self.r.len(), 0.0);
                    network::spillover(g, &self.r, &self.openness, &mut self.spill);
                }
            }
            let (spill, mult) = (&self.spill, &self.spill_mult);
            let res = pass(&mut self.r, "spillover", |vals, off| {
                for (i, x) in vals.iter_mut().enumerate() {
                    *x += dt * d * mult_at(mult, off + i) * spill[off + i];
                }
            });
            self.finish(res, step, t)?;
        }

        // Terms 4 and 5 fused: exchange toward the mean, then shocks.
        // (The adaptive integrator has integrated the exchange with the drift.)
        let j = match p.integrator {
            Integrator::Adaptive { .. } => 0.0,
            _ => p.exchange * frontier,
        };
        let sigma = p.volatility;
        if j > 0.0 || sigma > 0.0 {
            let m = self.total / n;
            let e = (-j * dt).exp();
            let c = ShockStep {
                m,
                e,
                s: sigma * dt.sqrt(),
                drift: -0.5 * sigma * sigma * dt,
                exchange: j > 0.0,
            };
            let term = if sigma > 0.0 { "shocks" } else { "exchange" };
            let key = self.shock_key;
            let res = pass(&mut self.r, term, |vals, off| {
                if sigma == 0.0 {
                    vals.iter_mut().for_each(|x| *x = m + (*x - m) * e);
                    return;
                }
                // Draw normals for NORMAL_BLOCK actors (in actor order; the generator
                // finishes its rare rejections for many at once), exponentiate them a
                // block at a time (vectorised), then apply exchange and shock in one sweep.
                let normals = Normals::new(key, (off / CHUNK) as u64);
                let mut index = step * CHUNK as u64;
                let mut z = [0.0f64; NORMAL_BLOCK];
                for actors in vals.chunks_mut(NORMAL_BLOCK) {
                    let z = &mut z[..actors.len()];
                    normals.fill(index, z);
                    index += z.len() as u64;
                    exchange_and_shocks(actors, z, &c);
                }
            });
            self.finish(res, step, t)?;
        }

        // Term 6: taxes and transfers.
        if taxes {
            self.ledger = self.apply_taxes(t);
            let res = pass(&mut self.r, "policy", |_, _| {});
            self.finish(res, step, t)?;
        }
        Ok(())
    }

    fn values(&self) -> &[f64] {
        &self.r
    }

    fn into_values(self: Box<Self>) -> Vec<f64> {
        self.r
    }

    fn total(&self) -> f64 {
        self.total
    }

    fn max(&self) -> f64 {
        self.max
    }

    fn observe(&self, out: &mut Vec<f64>) {
        if self.records_budget {
            out.push(self.ledger.collected);
            out.push(self.ledger.paid);
        }
        if let Some(m) = &self.market {
            market::layer::observe(m.solve(&self.r, self.k).as_ref(), out);
        }
    }
}

type PassResult = (f64, f64, Option<(usize, f64, &'static str)>);

/// Run `f(values, offset)` over every chunk (in parallel for large N) and fold the chunk
/// stats in chunk order, so the result does not depend on the number of threads.
fn pass<F>(r: &mut [f64], term: &'static str, f: F) -> PassResult
where
    F: Fn(&mut [f64], usize) + Sync + Send,
{
    let body = |(c, vals): (usize, &mut [f64])| {
        f(vals, c * CHUNK);
        ChunkStat::of(vals, c * CHUNK, term)
    };
    let stats: Vec<ChunkStat> = if r.len() >= PARALLEL_MIN {
        r.par_chunks_mut(CHUNK).enumerate().map(body).collect()
    } else {
        r.chunks_mut(CHUNK).enumerate().map(body).collect()
    };
    let total = stats.iter().map(|s| s.sum).sum();
    let max = stats.iter().map(|s| s.max).fold(f64::MIN, f64::max);
    (total, max, stats.iter().find_map(|s| s.bad))
}

/// Term 3: `S_i = (1/N) sum_j o_j max(R_j - R_i, 0)` for every i, in O(N log N) by the
/// mean-field sum the network section's complete graph uses too
/// ([`crate::network::measure::mean_field_spillover`]).
fn spillover_sums(r: &[f64], openness: &[f64], order: &mut Vec<u32>, spill: &mut Vec<f64>) {
    spill.resize(r.len(), 0.0);
    crate::network::measure::mean_field_spillover(r, openness, order, spill);
}

/// The spillover multiplier of actor `i`: 1 when `mult` is empty (no boost in the
/// scenario; multiplying by 1 is exact, so the result is the same bits either way).
#[inline(always)]
fn mult_at(mult: &[f64], i: usize) -> f64 {
    if mult.is_empty() { 1.0 } else { mult[i] }
}

/// Term 1's increment `dt a K (R/K)^beta`.
#[inline]
fn growth_increment(x: f64, dt: f64, a: f64, k: f64, beta: f64) -> f64 {
    dt * a * k * (x / k).powf(beta)
}

/// Sum in fixed chunks, then the chunk sums in order (the same association as a pass).
fn sum_chunked(v: &[f64]) -> f64 {
    v.chunks(CHUNK).map(|c| sum_max_ok(c).0).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exchange_and_shocks_is_the_same_on_every_path() {
        let mut unit = crate::rng::test_unit(17);
        for (n, exchange, scale) in [
            (0usize, true, 1.0),
            (1, true, 1.0),
            (SHOCK_BLOCK + 7, true, 1.0),
            (NORMAL_BLOCK, false, 1.0),
            // Shocks beyond the fast exp's range take its fallback in some blocks.
            (3 * SHOCK_BLOCK, true, 400.0),
        ] {
            let x: Vec<f64> = (0..n).map(|_| (4.0 * unit() - 2.0).exp()).collect();
            let z: Vec<f64> = (0..n).map(|_| scale * (6.0 * unit() - 3.0)).collect();
            let c = ShockStep {
                m: 1.25,
                e: (-0.01f64).exp(),
                s: 0.1,
                drift: -0.005,
                exchange,
            };
            let (mut x1, mut z1) = (x.clone(), z.clone());
            exchange_and_shocks_portable(&mut x1, &mut z1, &c);
            // The scalar definition, value by value.
            for (i, (&xi, &zi)) in x.iter().zip(&z).enumerate() {
                let g = crate::setup::numerics::exp_fast(c.s * zi + c.drift);
                let want = if exchange {
                    (c.m + (xi - c.m) * c.e) * g
                } else {
                    xi * g
                };
                if scale == 1.0 {
                    assert_eq!(x1[i].to_bits(), want.to_bits(), "n {n} actor {i}");
                }
            }
            let bits = |v: &[f64]| v.iter().map(|a| a.to_bits()).collect::<Vec<_>>();
            for isa in crate::simd::Isa::available() {
                let (mut x2, mut z2) = (x.clone(), z.clone());
                exchange_and_shocks_on(isa, &mut x2, &mut z2, &c);
                assert_eq!(bits(&x1), bits(&x2), "n {n} {isa:?}");
                assert_eq!(bits(&z1), bits(&z2), "n {n} {isa:?}");
            }
        }
    }

    #[test]
    fn sum_max_ok_is_the_same_on_every_path() {
        let mut next = crate::rng::test_bits(5u64);
        let special = [
            0.0,
            -0.0,
            -1.0,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            // Huge, but no sum of at most CHUNK + 3 of them overflows.
            1e300,
            f64::MIN_POSITIVE / 4.0,
        ];
        let mut cases: Vec<Vec<f64>> = Vec::new();
        for n in (0..40).chain([CHUNK - 1, CHUNK, CHUNK + 3]) {
            for with_special in [false, true] {
                let v = (0..n)
                    .map(|_| {
                        let u = (next() >> 11) as f64 / (1u64 << 53) as f64;
                        if with_special && next().is_multiple_of(16) {
                            special[(next() % 8) as usize]
                        } else {
                            (4.0 * u - 2.0).exp()
                        }
                    })
                    .collect();
                cases.push(v);
            }
        }
        let bits = |(t, m, ok): (f64, f64, bool)| (t.to_bits(), m.to_bits(), ok);
        let mut seen_bad = 0;
        for v in &cases {
            let portable = sum_max_ok_portable(v);
            assert_eq!(bits(sum_max_ok(v)), bits(portable), "{v:?}");
            // The check itself: ok iff every value is positive and finite (and the sum
            // finite, which it is for these values).
            let all_ok = v.iter().all(|&x| x > 0.0 && x.is_finite());
            assert_eq!(portable.2, all_ok, "{v:?}");
            seen_bad += usize::from(!all_ok);
            if all_ok && !v.is_empty() {
                let max = v.iter().copied().fold(f64::MIN, f64::max);
                assert_eq!(portable.1, max);
                let sum: f64 = v.iter().sum();
                assert!((portable.0 - sum).abs() <= 1e-12 * sum);
            }
        }
        assert!(seen_bad > 10, "the cases include bad values");
    }
}
