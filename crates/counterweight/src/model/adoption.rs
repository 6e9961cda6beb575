//! The adoption model (DESIGN.md §4.3): increasing returns, lock-in and
//! interoperability (a generalised Polya urn; W. B. Arthur 1989).
//! NOT YET IMPLEMENTED: issue 5.

use serde::{Deserialize, Serialize};

use super::{Model, ModelError};
use crate::scenario::{FieldError, Scenario, TimeGrid};

/// `[adoption]` as written in a scenario.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AdoptionSpec {}

/// Validated parameters of the adoption model.
#[derive(Debug, Clone, PartialEq)]
pub struct AdoptionParams {}

/// Validate `[adoption]` for a run on `time` with `n` actors.
pub fn validate(
    _spec: &AdoptionSpec,
    _time: &TimeGrid,
    _n: usize,
) -> Result<AdoptionParams, FieldError> {
    Err(FieldError {
        field: "model".into(),
        message: "the adoption model is not implemented yet".into(),
        help: Some("\"growth\"".into()),
    })
}

/// The adoption model's state for one replicate.
pub struct AdoptionModel {
    w: Vec<f64>,
}

impl AdoptionModel {
    pub fn new(_sc: &Scenario, _params: &AdoptionParams, _replicate: u32) -> AdoptionModel {
        AdoptionModel { w: Vec::new() }
    }
}

impl Model for AdoptionModel {
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
