//! The exchange model (DESIGN.md §4.2): yard-sale with wealth-attained advantage and
//! redistribution (Boghosian et al. 2017), and the Boltzmann and fixed-amount rules.
//! NOT YET IMPLEMENTED: issue 5.

use serde::{Deserialize, Serialize};

use super::{Model, ModelError};
use crate::scenario::{FieldError, Scenario, TimeGrid};

/// `[exchange]` as written in a scenario.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ExchangeSpec {}

/// Validated parameters of the exchange model.
#[derive(Debug, Clone, PartialEq)]
pub struct ExchangeParams {}

/// Validate `[exchange]` for a run on `time` with `n` actors.
pub fn validate(
    _spec: &ExchangeSpec,
    _time: &TimeGrid,
    _n: usize,
) -> Result<ExchangeParams, FieldError> {
    Err(FieldError {
        field: "model".into(),
        message: "the exchange model is not implemented yet".into(),
        help: Some("\"growth\"".into()),
    })
}

/// The exchange model's state for one replicate.
pub struct ExchangeModel {
    w: Vec<f64>,
}

impl ExchangeModel {
    pub fn new(_sc: &Scenario, _params: &ExchangeParams, _replicate: u32) -> ExchangeModel {
        ExchangeModel { w: Vec::new() }
    }
}

impl Model for ExchangeModel {
    fn step(&mut self, _step: u64, _t: f64) -> Result<(), ModelError> {
        Ok(())
    }
    fn values(&self) -> &[f64] {
        &self.w
    }
    fn total(&self) -> f64 {
        self.w.iter().sum()
    }
    fn max(&self) -> f64 {
        self.w.iter().copied().fold(f64::MIN, f64::max)
    }
}
