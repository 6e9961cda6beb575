//! A Kesten process as a counterweight model, defined outside the library: the whole cost
//! of a new model is this file plus one registration line (see `main.rs` and
//! `docs/extending.md`).
//!
//! Each actor's wealth follows `x <- a x + b` per step, with a multiplicative shock
//! `a = exp(m + s Z)` (Z standard normal) and an additive inflow `b > 0`. For
//! `E[a] = exp(m + s^2/2) < 1` the process is stationary with mean `b / (1 - E[a])` and a
//! Pareto tail whose exponent mu solves `E[a^mu] = 1`, i.e. `mu = -2m/s^2` (Kesten 1973;
//! Sornette, "Critical Phenomena", §14.2).

use counterweight::registry::{
    ChartDef, ColumnDef, Model, ModelDef, ModelError, ModelSetup, Observation, PanelDef, ParamInfo,
    ValidateCx,
};
use counterweight::scenario::validate::check::{err, finite, non_negative, positive};
use counterweight::scenario::{FieldError, Scenario};
use counterweight::setup::{initial_values, replicate_seed};
use rand_distr::{Distribution, StandardNormal};
use serde::Deserialize;

/// `[kesten]` as written in a scenario.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KestenSpec {
    /// m: mean of ln a.
    pub log_mean: f64,
    /// s: standard deviation of ln a.
    #[serde(default)]
    pub log_sd: f64,
    /// b: the additive inflow per step.
    pub inflow: f64,
}

/// The validated parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct KestenSetup {
    pub log_mean: f64,
    pub log_sd: f64,
    pub inflow: f64,
}

/// The model, as registered.
pub struct Kesten;

impl ModelDef for Kesten {
    fn name(&self) -> &'static str {
        "kesten"
    }
    fn about(&self) -> &'static str {
        "Kesten process x <- a x + b: multiplicative shocks with an inflow give a Pareto tail"
    }
    fn keys(&self) -> &'static [&'static str] {
        &["kesten"]
    }
    fn params(&self) -> Vec<ParamInfo> {
        vec![
            ParamInfo::real("kesten.log_mean", "", None, None, "", "m: mean of ln a"),
            ParamInfo::real("kesten.log_sd", "0.0", Some(0.0), None, "", "s: sd of ln a"),
            ParamInfo::real("kesten.inflow", "", Some(0.0), None, "wealth per step", "b"),
        ]
    }
    fn validate(&self, cx: &mut ValidateCx<'_>) -> Result<Box<dyn ModelSetup>, FieldError> {
        cx.time()?;
        let spec: KestenSpec = cx.require_section("kesten")?;
        let setup = KestenSetup {
            log_mean: finite("kesten.log_mean", spec.log_mean)?,
            log_sd: non_negative("kesten.log_sd", spec.log_sd)?,
            inflow: positive("kesten.inflow", spec.inflow)?,
        };
        if setup.log_mean + setup.log_sd.powi(2) / 2.0 >= 0.0 {
            return Err(err(
                "kesten.log_mean",
                "E[a] >= 1: the process has no stationary state",
                "log_mean + log_sd^2 / 2 < 0",
            ));
        }
        Ok(Box::new(setup))
    }
}

impl KestenSetup {
    /// E[a].
    pub fn mean_a(&self) -> f64 {
        (self.log_mean + self.log_sd * self.log_sd / 2.0).exp()
    }
    /// The stationary mean b / (1 - E[a]).
    pub fn stationary_mean(&self) -> f64 {
        self.inflow / (1.0 - self.mean_a())
    }
}

impl ModelSetup for KestenSetup {
    fn build(&self, sc: &Scenario, replicate: u32) -> Box<dyn Model> {
        Box::new(KestenModel {
            x: initial_values(&sc.groups, sc.seed, replicate),
            rng: counterweight::rng::stream(replicate_seed(sc.seed, replicate), 0),
            p: self.clone(),
        })
    }
    fn observation(&self) -> Observation {
        Observation {
            columns: vec![ColumnDef::real("mean", "mean wealth")],
            ..Observation::default()
        }
    }
    /// The mean wealth over time (`mean.svg` and `.png` of a run directory).
    fn charts(&self) -> Vec<ChartDef> {
        vec![
            ChartDef::new(
                "mean",
                "Mean wealth over time",
                "The mean of the actors' wealth; it tends to b / (1 − E[a]).",
            )
            .panel(PanelDef::lines("", "wealth").series("mean", "mean wealth")),
        ]
    }
}

/// One replicate: the actors' wealth, struct of arrays.
pub struct KestenModel {
    x: Vec<f64>,
    rng: rand_chacha::ChaCha8Rng,
    p: KestenSetup,
}

impl Model for KestenModel {
    fn step(&mut self, _step: u64, _t: f64) -> Result<(), ModelError> {
        let (m, s, b) = (self.p.log_mean, self.p.log_sd, self.p.inflow);
        for x in &mut self.x {
            let z: f64 = StandardNormal.sample(&mut self.rng);
            *x = (m + s * z).exp() * *x + b;
        }
        Ok(())
    }
    fn values(&self) -> &[f64] {
        &self.x
    }
    fn observe(&self, out: &mut Vec<f64>) {
        out.push(self.x.iter().sum::<f64>() / self.x.len() as f64);
    }
}
