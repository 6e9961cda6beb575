//! `model = "market"`: the Cournot market alone. Every actor is a firm; its `initial`
//! value is its marginal cost (`[market] costs = "given"`, the default) or its size
//! (`costs = "sizes"`: `c_i = c0 · (R_i/K)^(−η)`, K by default the firms' mean initial
//! size). Costs do not change, so one step is enough: without a time grid the run has one
//! step of length 1. Each actor's value is its equilibrium quantity q_i, so the
//! concentration metrics are those of market shares (`hhi` = `market_hhi`).

use super::layer::{self, MarketLayer, MarketSpec};
use super::{CournotOutcome, Demand, MarketError};
use crate::registry::{
    ChartDef, Model, ModelDef, ModelError, ModelSetup, Observation, ParamInfo, ValidateCx,
};
use crate::scenario::validate::check::err;
use crate::scenario::{FieldError, Scenario};
use crate::setup::{Initial, TimeGrid, initial_values};

/// The market model, as registered.
pub struct Market;

/// The market model's validated setup.
#[derive(Debug, Clone, PartialEq)]
pub struct MarketSetup {
    /// The validated `[market]` section and the firms.
    pub layer: MarketLayer,
}

impl ModelDef for Market {
    fn name(&self) -> &'static str {
        "market"
    }
    fn about(&self) -> &'static str {
        "Cournot market among firms with given (or size-based) marginal costs: price, Lerner index, HHI, surplus and deadweight loss (docs/market.md)"
    }
    fn keys(&self) -> &'static [&'static str] {
        &["market"]
    }
    fn params(&self) -> Vec<ParamInfo> {
        layer::params()
    }
    fn validate(&self, cx: &mut ValidateCx<'_>) -> Result<Box<dyn ModelSetup>, FieldError> {
        let spec: MarketSpec = cx.require_section("market")?;
        let layer = layer::validate(&spec, &cx.groups, false)?;
        if cx.time.is_none() {
            cx.time = Some(TimeGrid {
                end: 1.0,
                dt: 1.0,
                steps: 1,
            });
        }
        // Costs known before the run (constant or listed values): solve now, so a market
        // that cannot be recorded is a located error rather than a failed run.
        let known: Option<Vec<f64>> = cx
            .groups
            .iter()
            .map(|g| match &g.initial {
                Initial::Constant(v) => Some(vec![*v; g.count]),
                Initial::Values(v) => Some(v.clone()),
                _ => None,
            })
            .collect::<Option<Vec<_>>>()
            .map(|v| v.concat());
        if let Some(values) = known {
            let k = mean(&values);
            let outcome = layer
                .solve(&values, k)
                .map_err(|e| err("market", e.to_string(), "see docs/market.md"))?;
            if let Some(msg) = no_trade(&layer.demand, &outcome) {
                return Err(err(
                    "market.intercept",
                    msg,
                    "a demand intercept above the lowest marginal cost",
                ));
            }
        }
        Ok(Box::new(MarketSetup { layer }))
    }
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// Why an outcome cannot be recorded as shares (nothing is produced), if so.
fn no_trade(demand: &Demand, o: &CournotOutcome) -> Option<String> {
    (o.active == 0).then(|| {
        let a = match *demand {
            Demand::Linear { intercept, .. } => intercept,
            Demand::ConstantElasticity { .. } => f64::NAN,
        };
        format!(
            "no firm produces: the lowest marginal cost {} is at or above the demand intercept {a}",
            o.efficient_price
        )
    })
}

impl ModelSetup for MarketSetup {
    fn build(&self, sc: &Scenario, replicate: u32) -> Box<dyn Model> {
        let values = initial_values(&sc.groups, sc.seed, replicate);
        let k = mean(&values);
        let outcome = self.layer.solve(&values, k);
        let failure = match &outcome {
            Ok(o) => no_trade(&self.layer.demand, o),
            Err(e) => Some(e.to_string()),
        };
        // A market that cannot be recorded (possible only with random costs) fails at
        // step 1 with the reason; the placeholder values are never reported.
        let quantities = match (&outcome, &failure) {
            (Ok(o), None) => o.quantities.clone(),
            _ => vec![1.0; values.len()],
        };
        Box::new(MarketModel {
            outcome,
            quantities,
            failure,
        })
    }
    fn observation(&self) -> Observation {
        Observation {
            concentration: true,
            columns: layer::COLUMNS.to_vec(),
            key: vec!["price", "lerner", "deadweight_loss"],
        }
    }
    /// The market outcome ([`layer::chart`]); one recorded step draws it as bars.
    fn charts(&self) -> Vec<ChartDef> {
        vec![layer::chart()]
    }
}

/// One replicate of the market alone: the equilibrium of its costs.
struct MarketModel {
    outcome: Result<CournotOutcome, MarketError>,
    quantities: Vec<f64>,
    failure: Option<String>,
}

impl Model for MarketModel {
    fn step(&mut self, step: u64, t: f64) -> Result<(), ModelError> {
        match &self.failure {
            None => Ok(()),
            Some(message) => Err(ModelError::Other {
                step,
                time: t,
                message: format!("market: {message}"),
            }),
        }
    }
    fn values(&self) -> &[f64] {
        &self.quantities
    }
    fn observe(&self, out: &mut Vec<f64>) {
        layer::observe(self.outcome.as_ref(), out);
    }
}
