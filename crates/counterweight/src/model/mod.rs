//! Models. Each owns only its state and its step; the runner owns the loop, recording,
//! progress and cancellation. Models know nothing about files, terminals or plots.

pub mod adoption;
pub mod exchange;
pub mod growth;
pub mod staking;

use thiserror::Error;

/// A step that cannot be completed: the state left the model's domain.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ModelError {
    /// A value became non-finite or non-positive (finite-time blow-up under increasing
    /// returns, or a step too large for a term).
    #[error(
        "numerical blow-up at step {step} (t = {time}): actor {actor} (group \"{group}\") became {value} in the {term} term{hint}"
    )]
    BlowUp {
        step: u64,
        time: f64,
        actor: usize,
        group: String,
        value: f64,
        term: &'static str,
        hint: String,
    },
    /// The step size is too large for a term (e.g. the exchange model's win probability
    /// would leave [0, 1]): names the largest safe dt at that state.
    #[error(
        "step {step} (t = {time}): time.dt is too large for the {term} term: {detail}; \
         the largest safe dt at this state is {safe_dt:e}, and dt <= {never_dt:e} never fails"
    )]
    StepTooLarge {
        step: u64,
        time: f64,
        term: &'static str,
        detail: String,
        safe_dt: f64,
        never_dt: f64,
    },
}

/// The money trail of the policies in one step: what taxes collected and what transfers
/// paid out. Budget neutrality means the two agree to rounding.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Ledger {
    pub collected: f64,
    pub paid: f64,
}

/// Which model a scenario runs, with its validated parameters.
#[derive(Debug, Clone, PartialEq)]
pub enum ModelKind {
    /// Parameters in [`crate::scenario::Scenario::growth`].
    Growth,
    Exchange(exchange::ExchangeParams),
    Adoption(adoption::AdoptionParams),
}

impl ModelKind {
    /// The name used in scenario files (`model = "..."`).
    pub fn name(&self) -> &'static str {
        match self {
            ModelKind::Growth => "growth",
            ModelKind::Exchange(_) => "exchange",
            ModelKind::Adoption(_) => "adoption",
        }
    }
}

/// Build replicate `replicate` of a scenario's model.
pub fn build(sc: &crate::scenario::Scenario, replicate: u32) -> Box<dyn Model> {
    match &sc.model {
        ModelKind::Growth => Box::new(growth::GrowthModel::new(sc, replicate)),
        ModelKind::Exchange(p) => Box::new(exchange::ExchangeModel::new(sc, p, replicate)),
        ModelKind::Adoption(p) => Box::new(adoption::AdoptionModel::new(sc, p, replicate)),
    }
}

/// The contract between a model and the runner.
pub trait Model: Send {
    /// Advance one step; `step` is 1-based, `t` the time at the start of the step.
    fn step(&mut self, step: u64, t: f64) -> Result<(), ModelError>;
    /// The current non-negative value of every actor (the observation).
    fn values(&self) -> &[f64];
    /// The sum of [`Model::values`], maintained incrementally.
    fn total(&self) -> f64;
    /// The largest value.
    fn max(&self) -> f64;
    /// The policy budget of the last step.
    fn ledger(&self) -> Ledger {
        Ledger::default()
    }
}
