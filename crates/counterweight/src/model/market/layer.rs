//! The `[market]` section: a Cournot market among some of a scenario's actors, recorded each
//! recorded step (columns [`COLUMNS`]).
//!
//! On the growth model (`model = "growth"` with a `[market]` table) the firms are the actors
//! of `market.groups` (default: all) and their marginal costs come from their current sizes,
//! `c_i = c0 · (R_i/K)^(−η)` ([`super::costs_from_sizes`]); K is `market.reference_scale`,
//! by default the growth model's reference scale. On the market model alone
//! (`model = "market"`) every actor is a firm and its `initial` value is its marginal cost
//! (`costs = "given"`, the default) or its size (`costs = "sizes"`).

use serde::{Deserialize, Serialize};

use super::{CournotOutcome, Demand, MarketError, cournot};
use crate::registry::{ChartDef, ColumnDef, Condition, PanelDef, ParamInfo};
use crate::scenario::FieldError;
use crate::scenario::validate::check::{err, non_negative, positive};
use crate::setup::ActorGroup;

/// `[market]` as written in a scenario. Fields that do not apply to the chosen demand
/// curve or cost source are rejected.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MarketSpec {
    /// `"linear"` (default: P = a − bQ) or `"constant_elasticity"` (Q = scale·P^(−ε)).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub demand: Option<String>,
    /// Linear demand: a, the price at which nothing is bought.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub intercept: Option<f64>,
    /// Linear demand: b, the fall in price per unit bought (default 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slope: Option<f64>,
    /// Constant-elasticity demand: ε.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub elasticity: Option<f64>,
    /// Constant-elasticity demand: the quantity bought at price 1 (default 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scale: Option<f64>,
    /// `"given"` (the actors' values are marginal costs; the market model's default) or
    /// `"sizes"` (costs from sizes; the only choice on the growth model).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub costs: Option<String>,
    /// c0: the marginal cost of a firm of the reference size (default 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost: Option<f64>,
    /// η ≥ 0: economies of scale in cost (default 0: equal costs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost_elasticity: Option<f64>,
    /// K: the reference size (default: the growth model's; on the market model, the mean
    /// initial size).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference_scale: Option<f64>,
    /// `"fixed"` (default: K as above) or `"mean"` (K = the firms' current mean size: costs
    /// depend on relative size only, so common growth does not make every firm cheaper).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// The groups whose actors are the firms (default: all; growth model only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<String>>,
}

/// Where the firms' marginal costs come from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Costs {
    /// The actors' values are the costs.
    Given,
    /// `c_i = c0 · (R_i/K)^(−η)` from the actors' values (sizes); `reference_scale` `None`
    /// means the host's default K; `relative`: K is the firms' current mean size.
    Sizes {
        /// c0 > 0: the marginal cost of a firm of the reference size (default 1).
        c0: f64,
        /// η >= 0: economies of scale in cost (default 0: equal costs).
        eta: f64,
        /// K; `None`: the host model's default.
        reference_scale: Option<f64>,
        /// `true` (`reference = "mean"`): K is the firms' current mean size.
        relative: bool,
    },
}

/// A validated market: demand, costs, and the actors that are firms.
#[derive(Debug, Clone, PartialEq)]
pub struct MarketLayer {
    /// The demand curve.
    pub demand: Demand,
    /// Where the marginal costs come from.
    pub costs: Costs,
    /// The actor index ranges of the firms (one per firm group, in group order).
    pub firms: Vec<std::ops::Range<usize>>,
}

/// The market's chart ([`crate::registry::ModelSetup::charts`] of the market alone and of
/// the growth model with a `[market]`): price, markup, deadweight loss and consumer
/// surplus, one column per panel (so `[[compare]]` variants share each panel).
pub fn chart() -> ChartDef {
    ChartDef::new(
        "market",
        "The market outcome",
        "The Cournot price, the industry Lerner index (P − share-weighted marginal cost)/P, \
         the deadweight loss against marginal-cost pricing, and consumer surplus.",
    )
    .panel(PanelDef::lines("price", "price").series("price", "price"))
    .panel(
        PanelDef::lines("Lerner index", "(P − c̄)/P")
            .series("lerner", "Lerner index")
            .share(),
    )
    .panel(
        PanelDef::lines("deadweight loss", "welfare lost")
            .series("deadweight_loss", "deadweight loss"),
    )
    .panel(
        PanelDef::lines("consumer surplus", "welfare")
            .series("consumer_surplus", "consumer surplus"),
    )
}

/// The columns the market records, in [`observe`] order.
pub const COLUMNS: [ColumnDef; 11] = [
    ColumnDef::real("price", "market price"),
    ColumnDef::share("lerner", "industry Lerner index (P - mean cost)/P"),
    ColumnDef::share("market_hhi", "market-share HHI"),
    ColumnDef::real("consumer_surplus", "consumer surplus"),
    ColumnDef::real(
        "deadweight_loss",
        "deadweight loss vs marginal-cost pricing",
    ),
    ColumnDef::real("producer_surplus", "producer surplus"),
    ColumnDef::real("output_loss", "deadweight loss: units left unsold"),
    ColumnDef::real(
        "production_loss",
        "deadweight loss: output by costlier firms",
    ),
    ColumnDef::real("total_quantity", "market output Q"),
    ColumnDef::count("active_firms", "firms that produce"),
    ColumnDef::real(
        "demand_elasticity",
        "price elasticity of demand at the equilibrium",
    ),
];

const LINEAR: &[Condition] = &[Condition::new("market.demand", &["linear"])];
const CONSTANT_ELASTICITY: &[Condition] =
    &[Condition::new("market.demand", &["constant_elasticity"])];
const SIZES: &[Condition] = &[Condition::new("market.costs", &["sizes"])];
const FIXED: &[Condition] = &[
    Condition::new("market.costs", &["sizes"]),
    Condition::new("market.reference", &["fixed"]),
];

/// The declared parameters of `[market]`, with the demand curve and cost source each
/// applies to (on the growth model the costs always come from sizes).
pub fn params() -> Vec<ParamInfo> {
    let r = ParamInfo::real;
    vec![
        ParamInfo::choice(
            "market.demand",
            "\"linear\"",
            &["linear", "constant_elasticity"],
            "the demand curve: P = a - bQ, or Q = scale P^(-elasticity)",
        ),
        r(
            "market.intercept",
            "",
            Some(0.0),
            None,
            "price",
            "a: linear demand's choke price (required for linear demand)",
        )
        .when(LINEAR)
        .with_example("10.0"),
        r(
            "market.slope",
            "1.0",
            Some(0.0),
            None,
            "price per unit",
            "b: linear demand's fall in price per unit bought",
        )
        .when(LINEAR),
        r(
            "market.elasticity",
            "",
            Some(0.0),
            None,
            "",
            "epsilon: constant price elasticity of demand (required for constant_elasticity)",
        )
        .when(CONSTANT_ELASTICITY)
        .with_example("1.5"),
        r(
            "market.scale",
            "1.0",
            Some(0.0),
            None,
            "units",
            "constant elasticity: the quantity bought at price 1",
        )
        .when(CONSTANT_ELASTICITY),
        ParamInfo::choice(
            "market.costs",
            "\"given\"",
            &["given", "sizes"],
            "market model: the actors' values are marginal costs, or sizes (growth: always sizes)",
        ),
        r(
            "market.cost",
            "1.0",
            Some(0.0),
            None,
            "price",
            "c0: marginal cost of a firm of the reference size",
        )
        .when(SIZES),
        r(
            "market.cost_elasticity",
            "0.0",
            Some(0.0),
            None,
            "",
            "eta: c_i = c0 (R_i/K)^(-eta); 0 = equal costs, > 0 economies of scale",
        )
        .when(SIZES),
        r(
            "market.reference_scale",
            "",
            Some(0.0),
            None,
            "resources",
            "K; default: the growth model's K (market model: the mean initial size)",
        )
        .when(FIXED),
        ParamInfo::choice(
            "market.reference",
            "\"fixed\"",
            &["fixed", "mean"],
            "K fixed, or the firms' current mean size (costs from relative size only)",
        )
        .when(SIZES),
    ]
}

/// Validate `[market]` for actors in `groups`. `on_growth`: the section sits on the growth
/// model (costs from sizes, `groups` allowed); otherwise it is the market model itself.
pub fn validate(
    spec: &MarketSpec,
    groups: &[ActorGroup],
    on_growth: bool,
) -> Result<MarketLayer, FieldError> {
    let demand_name = spec.demand.as_deref().unwrap_or("linear");
    let demand = match demand_name {
        "linear" => {
            reject(spec.elasticity, "elasticity", "linear")?;
            reject(spec.scale, "scale", "linear")?;
            let intercept = spec.intercept.ok_or_else(|| {
                err(
                    "market.intercept",
                    "`intercept` is required for demand = \"linear\"",
                    "e.g. intercept = 10.0 (the price at which nothing is bought)",
                )
            })?;
            Demand::Linear {
                intercept: positive("market.intercept", intercept)?,
                slope: positive("market.slope", spec.slope.unwrap_or(1.0))?,
            }
        }
        "constant_elasticity" => {
            reject(spec.intercept, "intercept", "constant_elasticity")?;
            reject(spec.slope, "slope", "constant_elasticity")?;
            let e = spec.elasticity.ok_or_else(|| {
                err(
                    "market.elasticity",
                    "`elasticity` is required for demand = \"constant_elasticity\"",
                    "e.g. elasticity = 1.5",
                )
            })?;
            Demand::ConstantElasticity {
                elasticity: positive("market.elasticity", e)?,
                scale: positive("market.scale", spec.scale.unwrap_or(1.0))?,
            }
        }
        other => {
            return Err(err(
                "market.demand",
                format!("unknown demand \"{other}\""),
                "\"linear\" or \"constant_elasticity\"",
            ));
        }
    };
    let default_costs = if on_growth { "sizes" } else { "given" };
    let costs = match spec.costs.as_deref().unwrap_or(default_costs) {
        "sizes" => {
            let relative = match spec.reference.as_deref().unwrap_or("fixed") {
                "fixed" => false,
                "mean" if spec.reference_scale.is_some() => {
                    return Err(err(
                        "market.reference_scale",
                        "`reference_scale` does not apply to reference = \"mean\"",
                        "remove reference_scale, or reference = \"fixed\"",
                    ));
                }
                "mean" => true,
                other => {
                    return Err(err(
                        "market.reference",
                        format!("unknown reference \"{other}\""),
                        "\"fixed\" or \"mean\"",
                    ));
                }
            };
            Costs::Sizes {
                c0: positive("market.cost", spec.cost.unwrap_or(1.0))?,
                eta: non_negative(
                    "market.cost_elasticity",
                    spec.cost_elasticity.unwrap_or(0.0),
                )?,
                reference_scale: spec
                    .reference_scale
                    .map(|k| positive("market.reference_scale", k))
                    .transpose()?,
                relative,
            }
        }
        "given" if !on_growth => {
            for (value, name) in [
                (spec.cost, "cost"),
                (spec.cost_elasticity, "cost_elasticity"),
                (spec.reference_scale, "reference_scale"),
                (spec.reference.as_ref().map(|_| 0.0), "reference"),
            ] {
                if value.is_some() {
                    return Err(err(
                        format!("market.{name}"),
                        format!("`{name}` does not apply to costs = \"given\""),
                        "costs = \"sizes\" (the actors' values are sizes), or remove it",
                    ));
                }
            }
            Costs::Given
        }
        "given" => {
            return Err(err(
                "market.costs",
                "on the growth model the firms' costs come from their sizes",
                "costs = \"sizes\" (or remove `costs`); model = \"market\" takes given costs",
            ));
        }
        other => {
            return Err(err(
                "market.costs",
                format!("unknown cost source \"{other}\""),
                "\"given\" or \"sizes\"",
            ));
        }
    };
    let mut starts = Vec::with_capacity(groups.len());
    let mut start = 0;
    for g in groups {
        starts.push(start..start + g.count);
        start += g.count;
    }
    let firms = match &spec.groups {
        None => starts,
        Some(_) if !on_growth => {
            return Err(err(
                "market.groups",
                "every actor of model = \"market\" is a firm",
                "remove `groups` (it selects the firms when [market] sits on the growth model)",
            ));
        }
        Some(names) => {
            if names.is_empty() {
                return Err(err(
                    "market.groups",
                    "no firm groups",
                    "at least one group name",
                ));
            }
            let mut firms = Vec::with_capacity(names.len());
            for (i, name) in names.iter().enumerate() {
                let Some(g) = groups.iter().position(|g| &g.name == name) else {
                    let known: Vec<&str> = groups.iter().map(|g| g.name.as_str()).collect();
                    return Err(err(
                        format!("market.groups[{i}]"),
                        format!("no group \"{name}\""),
                        format!("one of {}", known.join(", ")),
                    ));
                };
                if names[..i].contains(name) {
                    return Err(err(
                        format!("market.groups[{i}]"),
                        format!("group \"{name}\" is listed twice"),
                        "each group once",
                    ));
                }
                firms.push(g);
            }
            firms.sort_unstable();
            firms.into_iter().map(|g| starts[g].clone()).collect()
        }
    };
    let layer = MarketLayer {
        demand,
        costs,
        firms,
    };
    if let Demand::ConstantElasticity { elasticity, .. } = demand {
        let n = layer.firm_count();
        if (n as f64) * elasticity <= 1.0 {
            return Err(err(
                "market.elasticity",
                format!(
                    "no Cournot equilibrium: with {n} firms and elasticity {elasticity}, \
                     n * elasticity <= 1 (a firm facing inelastic demand raises its price without bound)"
                ),
                format!("elasticity > 1/{n} = {:.4}, or more firms", 1.0 / n as f64),
            ));
        }
    }
    Ok(layer)
}

fn reject(value: Option<f64>, name: &str, demand: &str) -> Result<(), FieldError> {
    match value {
        None => Ok(()),
        Some(_) => Err(err(
            format!("market.{name}"),
            format!("`{name}` does not apply to demand = \"{demand}\""),
            match demand {
                "linear" => "for linear demand: intercept, slope",
                _ => "for constant_elasticity demand: elasticity, scale",
            },
        )),
    }
}

impl MarketLayer {
    /// The number of firms.
    pub fn firm_count(&self) -> usize {
        self.firms.iter().map(|r| r.len()).sum()
    }

    /// The firms' marginal costs from the actors' `values`; `default_k` is the host's
    /// reference scale, used when `market.reference_scale` is not set.
    pub fn costs(&self, values: &[f64], default_k: f64) -> Result<Vec<f64>, MarketError> {
        let firms = self
            .firms
            .iter()
            .flat_map(|r| values[r.clone()].iter().copied());
        match self.costs {
            Costs::Given => Ok(firms.collect()),
            Costs::Sizes {
                c0,
                eta,
                reference_scale,
                relative,
            } => {
                let sizes: Vec<f64> = firms.collect();
                let k = if relative {
                    sizes.iter().sum::<f64>() / sizes.len() as f64
                } else {
                    reference_scale.unwrap_or(default_k)
                };
                super::costs_from_sizes(&sizes, c0, eta, k)
            }
        }
    }

    /// The Cournot equilibrium of the firms among `values` (see [`MarketLayer::costs`]).
    pub fn solve(&self, values: &[f64], default_k: f64) -> Result<CournotOutcome, MarketError> {
        cournot(&self.demand, &self.costs(values, default_k)?)
    }
}

/// Append the [`COLUMNS`] of an outcome to `out` (NaN for every column when the market
/// could not be solved).
pub fn observe(outcome: Result<&CournotOutcome, &MarketError>, out: &mut Vec<f64>) {
    match outcome {
        Ok(o) => out.extend([
            o.price,
            o.lerner,
            o.hhi,
            o.consumer_surplus,
            o.deadweight_loss,
            o.producer_surplus,
            o.output_loss,
            o.production_loss,
            o.total_quantity,
            o.active as f64,
            o.elasticity,
        ]),
        Err(_) => out.extend([f64::NAN; COLUMNS.len()]),
    }
}
