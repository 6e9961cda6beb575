//! The checks model: forces (state, business, civic; any number) that restrain or feed
//! each other. Full derivation in `docs/checks.md`.
//!
//! Force g has power P_g > 0; x_g = P_g / K in units of the reference scale K. Its growth
//! rate per unit time is
//!
//! ```text
//! F_g(x) = a_g x_g^(β_g − 1) + Σ_h C_gh x_h
//! ```
//!
//! a_g (`growth`) is its own growth rate at the reference scale, β_g (`returns_to_scale`)
//! its returns to scale (1 proportional, > 1 economies of scale), and the check matrix C
//! says how the power of h changes the growth of g: C_gh < 0 when h restrains g (courts
//! and elections on the state, antitrust on business, a free press on both), C_gh > 0 when
//! h feeds g (capture, lobbying, a party-state movement); C_gg < 0 is g's own limit
//! (diseconomies of scale). With β = 1 this is the generalised Lotka–Volterra system.
//!
//! One step of length dt (exact positivity, Itô shocks as in the growth model):
//! `P_g ← P_g · exp(dt F_g(P/K) + σ √dt Z_g − σ² dt / 2)`. The essays' "merging" is a change
//! of C over time: [`CheckChange`]s set an entry C_gh to a value during a time window.
//!
//! **Balanced fixed point**: x* > 0 with F(x*) = 0 (every force coexists and stops
//! growing), found by Newton's method ([`ChecksModel::balanced_point`]). **Jacobian** of
//! dx/dt = x ∘ F(x) there: `J = diag(x*) (C + diag(a_g (β_g − 1) x*_g^(β_g − 2)))`.
//! **Stability**: the balance is locally stable iff every eigenvalue of J has a negative
//! real part; the step map's Jacobian at x* is exactly `I + dt J`, so the simulation is
//! stable iff every |1 + dt λ| < 1 ([`Stability`]). Eigenvalues by nalgebra (real Schur
//! decomposition).

use nalgebra::{DMatrix, DVector};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use thiserror::Error;

use crate::metrics::{self, Concentration, MetricOptions};
use crate::policy::PolicyFields;
use crate::registry::{
    ChartDef, ColumnDef, Model, ModelDef, ModelError, ModelSetup, NameSource, Observation,
    PanelDef, ParamInfo, PolicyInfo, ValidateCx,
};
use crate::rng;
use crate::scenario::validate::check::{err, finite, non_negative, positive};
use crate::scenario::{FieldError, Scenario};
use crate::setup::{ActorGroup, ActorKind, Initial, replicate_seed};
use serde::Deserialize;

/// One force.
#[derive(Debug, Clone, PartialEq)]
pub struct Force {
    /// The force's name (unique; no `.`, `,` or `"`; it becomes a column suffix).
    pub name: String,
    /// Initial power P_g(0) > 0.
    pub power: f64,
    /// a_g, per unit time (any sign).
    pub growth: f64,
    /// β_g > 0.
    pub returns_to_scale: f64,
}

/// Set `C[force][by]` to `value` for times in `[from, until)`; later changes in the list
/// override earlier ones where windows overlap.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CheckChange {
    /// Model time at which the change starts.
    pub from: f64,
    /// `None` = until the end.
    pub until: Option<f64>,
    /// g: the force whose growth is affected.
    pub force: usize,
    /// h: the force that restrains (< 0) or feeds (> 0) it.
    pub by: usize,
    /// C_gh during the window (any sign).
    pub value: f64,
}

/// Validated parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct ChecksParams {
    /// The forces, in file order.
    pub forces: Vec<Force>,
    /// The check matrix, row-major: `checks[g * G + h]` = C_gh.
    pub checks: Vec<f64>,
    /// K > 0.
    pub reference_scale: f64,
    /// σ >= 0, per √(unit time).
    pub volatility: f64,
    /// Changes of C over time (from `check` policies), in file order.
    pub changes: Vec<CheckChange>,
}

/// Why a checks model cannot be built or stepped.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ChecksError {
    /// A parameter is invalid.
    #[error("checks.{field}: {message}")]
    Parameter {
        /// The field path under `checks.`.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// A power stopped being finite and positive during a step.
    #[error(
        "numerical blow-up at step {step} (t = {}): the power of \"{force}\" became {}; \
         reduce time.dt, or returns to scale and feeding checks grow without bound",
        crate::fmt::sig(*.time, 6),
        crate::fmt::sig(*.value, 6)
    )]
    BlowUp {
        /// The step (1-based).
        step: u64,
        /// Model time at the end of the step.
        time: f64,
        /// The force's name.
        force: String,
        /// Its power after the step.
        value: f64,
    },
}

impl ChecksParams {
    /// Number of forces G.
    pub fn g(&self) -> usize {
        self.forces.len()
    }

    /// Check every range; errors name the field.
    pub fn check(&self) -> Result<(), ChecksError> {
        let bad = |field: String, message: String| Err(ChecksError::Parameter { field, message });
        let g = self.g();
        if g == 0 {
            return bad("forces".into(), "no forces".into());
        }
        if self.checks.len() != g * g {
            return bad(
                "matrix".into(),
                format!(
                    "{} entries for {g} forces; valid: {g}×{g}",
                    self.checks.len()
                ),
            );
        }
        for f in &self.forces {
            if !(f.power.is_finite() && f.power > 0.0) {
                return bad(
                    format!("{}.power", f.name),
                    format!("{} is not a number > 0", f.power),
                );
            }
            if !f.growth.is_finite() {
                return bad(format!("{}.growth", f.name), "not finite".into());
            }
            if !(f.returns_to_scale.is_finite() && f.returns_to_scale > 0.0) {
                return bad(
                    format!("{}.returns_to_scale", f.name),
                    format!("{} is not a number > 0", f.returns_to_scale),
                );
            }
        }
        if let Some(v) = self.checks.iter().find(|v| !v.is_finite()) {
            return bad("matrix".into(), format!("entry {v} is not finite"));
        }
        if !(self.reference_scale.is_finite() && self.reference_scale > 0.0) {
            return bad(
                "reference_scale".into(),
                format!("{} is not a number > 0", self.reference_scale),
            );
        }
        if !(self.volatility.is_finite() && self.volatility >= 0.0) {
            return bad(
                "volatility".into(),
                format!("{} is not a number >= 0", self.volatility),
            );
        }
        for c in &self.changes {
            if c.force >= g || c.by >= g || !c.value.is_finite() || !c.from.is_finite() {
                return bad(
                    "change".into(),
                    format!("invalid change {c:?} for {g} forces"),
                );
            }
            if c.until.is_some_and(|u| u.is_nan() || u <= c.from) {
                return bad("change.until".into(), "must be after `from`".into());
            }
        }
        Ok(())
    }

    /// The check matrix in effect at time `t` (changes applied in order).
    pub fn checks_at(&self, t: f64) -> Vec<f64> {
        let g = self.g();
        let mut c = self.checks.clone();
        for ch in &self.changes {
            if t >= ch.from && ch.until.is_none_or(|u| t < u) {
                c[ch.force * g + ch.by] = ch.value;
            }
        }
        c
    }

    /// F(x) for the matrix `c`.
    pub fn rates(&self, c: &[f64], x: &[f64], out: &mut [f64]) {
        let g = self.g();
        for (i, f) in self.forces.iter().enumerate() {
            let own = f.growth * x[i].powf(f.returns_to_scale - 1.0);
            let cross: f64 = (0..g).map(|h| c[i * g + h] * x[h]).sum();
            out[i] = own + cross;
        }
    }

    /// J = diag(x) (C + diag(a (β − 1) x^(β − 2))) at `x` (the Jacobian of x ∘ F(x) where
    /// F(x) = 0).
    pub fn jacobian(&self, c: &[f64], x: &[f64]) -> DMatrix<f64> {
        let g = self.g();
        DMatrix::from_fn(g, g, |i, h| {
            let mut v = c[i * g + h];
            if i == h {
                let f = &self.forces[i];
                v += f.growth * (f.returns_to_scale - 1.0) * x[i].powf(f.returns_to_scale - 2.0);
            }
            x[i] * v
        })
    }

    /// The interior fixed point x* > 0 (in units of K) of the matrix `c`, by damped
    /// Newton iterations on F from `start` (each iterate kept positive by halving the
    /// step); `None` if it does not converge to |F| < 1e-12 · (1 + max |a|) within 200
    /// iterations or the Newton matrix is singular. With every β = 1 the point is
    /// −C⁻¹a and one iteration suffices.
    pub fn fixed_point(&self, c: &[f64], start: &[f64]) -> Option<Vec<f64>> {
        let g = self.g();
        let scale = 1.0
            + self
                .forces
                .iter()
                .map(|f| f.growth.abs())
                .fold(0.0, f64::max);
        let mut x = start.to_vec();
        let mut f = vec![0.0; g];
        for _ in 0..200 {
            self.rates(c, &x, &mut f);
            let norm = f.iter().map(|v| v.abs()).fold(0.0, f64::max);
            if norm < 1e-12 * scale {
                return Some(x);
            }
            // dF/dx = C + diag(a (β − 1) x^(β − 2)).
            let m = DMatrix::from_fn(g, g, |i, h| {
                let mut v = c[i * g + h];
                if i == h {
                    let fo = &self.forces[i];
                    v += fo.growth
                        * (fo.returns_to_scale - 1.0)
                        * x[i].powf(fo.returns_to_scale - 2.0);
                }
                v
            });
            let delta = m.lu().solve(&DVector::from_column_slice(&f))?;
            let mut t = 1.0;
            loop {
                let trial: Vec<f64> = (0..g).map(|i| x[i] - t * delta[i]).collect();
                if trial.iter().all(|v| *v > 0.0 && v.is_finite()) {
                    x = trial;
                    break;
                }
                t *= 0.5;
                if t < 1e-12 {
                    return None;
                }
            }
        }
        None
    }
}

/// Local stability of a fixed point.
#[derive(Debug, Clone, PartialEq)]
pub struct Stability {
    /// Eigenvalues (re, im) of J, sorted by decreasing real part.
    pub eigenvalues: Vec<(f64, f64)>,
    /// max Re λ: the balance is stable in continuous time iff < 0.
    pub spectral_abscissa: f64,
    /// max |1 + dt λ|: the simulated step map is stable iff < 1.
    pub step_radius: f64,
}

impl Stability {
    /// Eigenvalues of `j` and both criteria for step `dt`.
    pub fn of(j: &DMatrix<f64>, dt: f64) -> Stability {
        let mut eigenvalues: Vec<(f64, f64)> = j
            .complex_eigenvalues()
            .iter()
            .map(|z| (z.re, z.im))
            .collect();
        eigenvalues.sort_by(|a, b| b.0.total_cmp(&a.0).then(b.1.total_cmp(&a.1)));
        let spectral_abscissa = eigenvalues
            .iter()
            .map(|z| z.0)
            .fold(f64::NEG_INFINITY, f64::max);
        let step_radius = eigenvalues
            .iter()
            .map(|&(re, im)| (1.0 + dt * re).hypot(dt * im))
            .fold(0.0, f64::max);
        Stability {
            eigenvalues,
            spectral_abscissa,
            step_radius,
        }
    }

    /// Stable in continuous time.
    pub fn is_stable(&self) -> bool {
        self.spectral_abscissa < 0.0
    }

    /// Stable for the step map with the dt given to [`Stability::of`].
    pub fn is_step_stable(&self) -> bool {
        self.step_radius < 1.0
    }
}

/// What is recorded at a step.
#[derive(Debug, Clone, PartialEq)]
pub struct ChecksStats {
    /// Power of each force.
    pub powers: Vec<f64>,
    /// Share of each force in total power.
    pub shares: Vec<f64>,
    /// Balance metrics of the powers (HHI, effective number, top share, Gini, ...).
    pub concentration: Concentration,
}

/// The random stream of the shocks.
const SHOCK_STREAM: u64 = 0;

/// One replicate.
#[derive(Debug, Clone)]
pub struct ChecksModel {
    params: ChecksParams,
    /// The check matrix in effect (recomputed each step only when there are changes).
    c: Vec<f64>,
    p: Vec<f64>,
    x: Vec<f64>,
    f: Vec<f64>,
    rng: ChaCha8Rng,
}

impl ChecksModel {
    /// A replicate drawing shocks from the streams of `seed`.
    pub fn new(params: ChecksParams, seed: u64) -> Result<ChecksModel, ChecksError> {
        params.check()?;
        let p: Vec<f64> = params.forces.iter().map(|f| f.power).collect();
        let g = p.len();
        Ok(ChecksModel {
            c: params.checks_at(0.0),
            params,
            p,
            x: vec![0.0; g],
            f: vec![0.0; g],
            rng: rng::stream(seed, SHOCK_STREAM),
        })
    }

    /// The validated parameters the model runs with.
    pub fn params(&self) -> &ChecksParams {
        &self.params
    }

    /// The powers P_g.
    pub fn powers(&self) -> &[f64] {
        &self.p
    }

    /// Set the powers (e.g. to perturb a fixed point); each must be finite and > 0.
    pub fn set_powers(&mut self, p: &[f64]) {
        assert!(p.len() == self.p.len() && p.iter().all(|v| v.is_finite() && *v > 0.0));
        self.p.copy_from_slice(p);
    }

    /// Advance one step of length `dt` from time `t`; `step` (1-based) names errors.
    pub fn step(&mut self, step: u64, t: f64, dt: f64) -> Result<(), ChecksError> {
        let k = self.params.reference_scale;
        if !self.params.changes.is_empty() {
            self.c = self.params.checks_at(t);
        }
        for (x, p) in self.x.iter_mut().zip(&self.p) {
            *x = p / k;
        }
        self.params.rates(&self.c, &self.x, &mut self.f);
        let sigma = self.params.volatility;
        let (s, drift) = (sigma * dt.sqrt(), -0.5 * sigma * sigma * dt);
        for g in 0..self.p.len() {
            let mut e = dt * self.f[g];
            if sigma > 0.0 {
                let z: f64 = StandardNormal.sample(&mut self.rng);
                e += s * z + drift;
            }
            let v = self.p[g] * e.exp();
            if !(v.is_finite() && v > 0.0) {
                return Err(ChecksError::BlowUp {
                    step,
                    time: t,
                    force: self.params.forces[g].name.clone(),
                    value: v,
                });
            }
            self.p[g] = v;
        }
        Ok(())
    }

    /// Powers, shares and balance metrics now.
    pub fn stats(&self) -> ChecksStats {
        let total: f64 = self.p.iter().sum();
        let concentration = metrics::concentration(&self.p, &MetricOptions::default())
            .expect("powers are positive and finite");
        ChecksStats {
            powers: self.p.clone(),
            shares: self.p.iter().map(|v| v / total).collect(),
            concentration,
        }
    }

    /// The balanced fixed point P* (in power units) of the check matrix in effect at `t`,
    /// searched from the current state; `None` if there is none with every force
    /// positive (or Newton does not find it).
    pub fn balanced_point(&self, t: f64) -> Option<Vec<f64>> {
        let k = self.params.reference_scale;
        let c = self.params.checks_at(t);
        let start: Vec<f64> = self.p.iter().map(|p| p / k).collect();
        self.params
            .fixed_point(&c, &start)
            .map(|x| x.iter().map(|v| v * k).collect())
    }

    /// Stability of the balanced point P* (power units) under the matrix at `t`.
    pub fn stability(&self, p_star: &[f64], t: f64, dt: f64) -> Stability {
        let k = self.params.reference_scale;
        let x: Vec<f64> = p_star.iter().map(|p| p / k).collect();
        Stability::of(&self.params.jacobian(&self.params.checks_at(t), &x), dt)
    }
}

// --- the registered model ----------------------------------------------------------------

/// `[checks]` as written in a scenario.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ChecksSpec {
    /// `[[checks.forces]]`, in order (rows and columns of `matrix`).
    pub forces: Vec<ForceSpec>,
    /// C, one row per force: `matrix[g][h]` = C_gh, the effect of h's power on g's growth.
    pub matrix: Vec<Vec<f64>>,
    /// K > 0 (default 1).
    pub reference_scale: Option<f64>,
    /// σ >= 0 (default 0).
    pub volatility: Option<f64>,
}

/// One `[[checks.forces]]` entry.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ForceSpec {
    /// The force's name (unique; no `.`, `,` or `"`).
    pub name: String,
    /// `"state"`, `"firm"` or `"civic"` (default: the name if it is one of those, else
    /// `"firm"`).
    pub kind: Option<String>,
    /// Initial power P_g(0) > 0.
    pub power: f64,
    /// a_g, its own growth rate at the reference scale, per unit time (any sign).
    pub growth: f64,
    /// β_g > 0 (default 1: proportional).
    pub returns_to_scale: Option<f64>,
}

/// The policy kinds of the checks model: `check` sets `C[force][by] = value` in its window
/// (a merger: a restraint that turns into feeding).
pub const POLICY_KINDS: &[PolicyFields] = &[("check", &["force", "by", "value"])];

/// The checks model's validated setup.
#[derive(Debug, Clone, PartialEq)]
pub struct ChecksSetup {
    /// The validated `[checks]` parameters and `check` policies.
    pub params: ChecksParams,
}

/// The checks model, as registered (`model = "checks"`).
pub struct Checks;

/// The column the checks model records after the balance metrics and each force's share
/// (`share.{force}`).
pub const COLUMNS: [ColumnDef; 1] = [ColumnDef::count(
    "checks_hold",
    "checks hold (a stable balance exists)",
)];

impl ModelDef for Checks {
    fn name(&self) -> &'static str {
        "checks"
    }
    fn about(&self) -> &'static str {
        "forces (state, business, civic) with returns to scale that restrain or feed each other through a check matrix"
    }
    fn keys(&self) -> &'static [&'static str] {
        &["checks"]
    }
    fn uses_actors(&self) -> bool {
        false
    }
    fn params(&self) -> Vec<ParamInfo> {
        let r = ParamInfo::real;
        vec![
            r(
                "checks.reference_scale",
                "1.0",
                Some(0.0),
                None,
                "power units",
                "K: the scale at which growth rates are given",
            ),
            r(
                "checks.volatility",
                "0.0",
                Some(0.0),
                None,
                "per sqrt(unit time)",
                "sigma: multiplicative shocks to every force",
            ),
            r(
                "checks.forces[0].growth",
                "",
                None,
                None,
                "per unit time",
                "a_g: a force's own growth rate at the reference scale",
            ),
            r(
                "checks.forces[0].returns_to_scale",
                "1.0",
                Some(0.0),
                None,
                "",
                "beta_g: returns to scale (> 1 economies of scale)",
            ),
            r(
                "checks.matrix[0][1]",
                "",
                None,
                None,
                "per unit time",
                "C_gh: < 0 when h restrains g, > 0 when h feeds g",
            ),
        ]
    }
    fn policy_kinds(&self) -> &'static [PolicyFields] {
        POLICY_KINDS
    }
    fn policies(&self) -> Vec<PolicyInfo> {
        const FORCES: NameSource = NameSource::new("checks.forces", "name");
        let name = |path: &'static str, doc: &'static str| ParamInfo::name(path, FORCES, doc);
        vec![PolicyInfo::new(
            "check",
            "sets the entry C[force][by] of the checks matrix while active",
            vec![
                name("force", "the force restrained or fed (a force's name)"),
                name("by", "the force that acts on it (a force's name)"),
                ParamInfo::real(
                    "value",
                    "",
                    None,
                    None,
                    "per unit time",
                    "C[force][by] while active",
                )
                .with_example("-0.1"),
            ],
        )]
    }
    fn validate(&self, cx: &mut ValidateCx<'_>) -> Result<Box<dyn ModelSetup>, FieldError> {
        cx.time()?;
        if !cx.groups.is_empty() {
            return Err(err(
                "actors",
                "the checks model's actors are its forces",
                "remove [[actors]]; list [[checks.forces]]",
            ));
        }
        let spec: ChecksSpec = cx.require_section("checks")?;
        let g = spec.forces.len();
        if g == 0 {
            return Err(err(
                "checks.forces",
                "no forces",
                "at least one [[checks.forces]]",
            ));
        }
        let mut forces = Vec::with_capacity(g);
        let mut groups = Vec::with_capacity(g);
        for (i, f) in spec.forces.iter().enumerate() {
            let field = |x: &str| format!("checks.forces[{i}].{x}");
            if f.name.trim().is_empty() || f.name.contains(['.', ',', '"']) {
                return Err(err(
                    field("name"),
                    format!("\"{}\" is empty or contains '.', ',' or '\"'", f.name),
                    "a short name, e.g. \"state\" (it becomes a column suffix)",
                ));
            }
            if spec.forces[..i].iter().any(|o| o.name == f.name) {
                return Err(err(
                    field("name"),
                    format!("force \"{}\" is defined twice", f.name),
                    "a unique name",
                ));
            }
            let kind = match f.kind.as_deref().unwrap_or(match f.name.as_str() {
                "state" | "civic" => f.name.as_str(),
                _ => "firm",
            }) {
                "state" => ActorKind::State,
                "firm" => ActorKind::Firm,
                "civic" => ActorKind::Civic,
                other => {
                    return Err(err(
                        field("kind"),
                        format!("unknown kind \"{other}\""),
                        "\"state\", \"firm\" or \"civic\"",
                    ));
                }
            };
            let power = positive(&field("power"), f.power)?;
            forces.push(Force {
                name: f.name.clone(),
                power,
                growth: finite(&field("growth"), f.growth)?,
                returns_to_scale: positive(
                    &field("returns_to_scale"),
                    f.returns_to_scale.unwrap_or(1.0),
                )?,
            });
            groups.push(ActorGroup {
                name: f.name.clone(),
                kind,
                count: 1,
                initial: Initial::Constant(power),
                openness: 0.0,
            });
        }
        if spec.matrix.len() != g {
            return Err(err(
                "checks.matrix",
                format!("{} rows for {g} forces", spec.matrix.len()),
                format!("{g} rows of {g} numbers (row g: the effect of each force on g)"),
            ));
        }
        let mut checks = Vec::with_capacity(g * g);
        for (r, row) in spec.matrix.iter().enumerate() {
            if row.len() != g {
                return Err(err(
                    format!("checks.matrix[{r}]"),
                    format!("{} entries for {g} forces", row.len()),
                    format!("{g} numbers"),
                ));
            }
            for (h, v) in row.iter().enumerate() {
                checks.push(finite(&format!("checks.matrix[{r}][{h}]"), *v)?);
            }
        }
        cx.groups = groups;
        let names: Vec<&str> = spec.forces.iter().map(|f| f.name.as_str()).collect();
        let changes = cx
            .policies(POLICY_KINDS, |p| {
                p.no_groups()?;
                let index = |name: &str| -> Result<usize, FieldError> {
                    let v = p.str(name)?.ok_or_else(|| {
                        err(
                            p.field(name),
                            format!("`{name}` is required for kind = \"check\""),
                            format!("one of {}", names.join(", ")),
                        )
                    })?;
                    names.iter().position(|n| *n == v).ok_or_else(|| {
                        err(
                            p.field(name),
                            format!("unknown force \"{v}\""),
                            format!("one of {}", names.join(", ")),
                        )
                    })
                };
                let w = p.window();
                Ok(CheckChange {
                    from: w.from,
                    until: w.until.is_finite().then_some(w.until),
                    force: index("force")?,
                    by: index("by")?,
                    value: p.require_f64("value")?,
                })
            })?
            .into_iter()
            .map(|p| p.kind)
            .collect();
        let params = ChecksParams {
            forces,
            checks,
            reference_scale: positive(
                "checks.reference_scale",
                spec.reference_scale.unwrap_or(1.0),
            )?,
            volatility: non_negative("checks.volatility", spec.volatility.unwrap_or(0.0))?,
            changes,
        };
        params.check().map_err(|e| match e {
            ChecksError::Parameter { field, message } => {
                err(format!("checks.{field}"), message, "see docs/checks.md")
            }
            other => err("checks", other.to_string(), "see docs/checks.md"),
        })?;
        Ok(Box::new(ChecksSetup { params }))
    }
}

impl ModelSetup for ChecksSetup {
    fn build(&self, sc: &Scenario, replicate: u32) -> Box<dyn Model> {
        let seed = replicate_seed(sc.seed, replicate);
        Box::new(ChecksRun {
            model: ChecksModel::new(self.params.clone(), seed).expect("validated parameters"),
            dt: sc.time.dt,
            t: 0.0,
        })
    }
    fn observation(&self) -> Observation {
        Observation {
            concentration: true,
            columns: COLUMNS.to_vec(),
            key: vec!["top1_share", "effective_number", "checks_hold"],
        }
    }
    /// Each force's share of total power (`share.{force}`, one actor per force) and
    /// whether the checks hold.
    fn charts(&self) -> Vec<ChartDef> {
        let shares = self.params.forces.iter().fold(
            PanelDef::lines("each force's share", "share of total power").share(),
            |p, f| p.series(&format!("share.{}", f.name), &f.name),
        );
        vec![
            ChartDef::new(
                "forces",
                "Forces and checks over time",
                "Each force's share of total power, and whether the check matrix in effect has a \
                 stable balance with every force positive (1: the checks hold, 0: they do not).",
            )
            .panel(shares)
            .panel(
                PanelDef::lines("checks hold", "1 = stable balance exists")
                    .series("checks_hold", "checks hold")
                    .range(-0.05, 1.05),
            ),
        ]
    }
}

/// One replicate as the runner sees it: the values are the forces' powers (one actor
/// per force, so `share.{force}` is each force's share of total power).
struct ChecksRun {
    model: ChecksModel,
    dt: f64,
    /// The time at the end of the last step.
    t: f64,
}

impl Model for ChecksRun {
    fn step(&mut self, step: u64, t: f64) -> Result<(), ModelError> {
        self.t = t + self.dt;
        self.model
            .step(step, t, self.dt)
            .map_err(|e| ModelError::Other {
                step,
                time: t,
                message: e.to_string(),
            })
    }
    fn values(&self) -> &[f64] {
        self.model.powers()
    }
    /// `checks_hold`: 1 when the check matrix in effect has a balanced point with every
    /// force positive and every eigenvalue of its Jacobian has a negative real part.
    fn observe(&self, out: &mut Vec<f64>) {
        let hold = self
            .model
            .balanced_point(self.t)
            .is_some_and(|p| self.model.stability(&p, self.t, self.dt).is_stable());
        out.push(f64::from(u8::from(hold)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn force(name: &str, growth: f64, beta: f64) -> Force {
        Force {
            name: name.into(),
            power: 1.0,
            growth,
            returns_to_scale: beta,
        }
    }

    fn params(forces: Vec<Force>, checks: Vec<f64>) -> ChecksParams {
        ChecksParams {
            forces,
            checks,
            reference_scale: 1.0,
            volatility: 0.0,
            changes: vec![],
        }
    }

    #[test]
    fn linear_fixed_point_is_minus_c_inverse_a() {
        // a = (1, 1), C = [[-2, -0.5], [-0.5, -1]]: x* solves C x = -a:
        // -2x - 0.5y = -1, -0.5x - y = -1 → x = 2/7, y = 6/7.
        let p = params(
            vec![force("s", 1.0, 1.0), force("b", 1.0, 1.0)],
            vec![-2.0, -0.5, -0.5, -1.0],
        );
        let x = p.fixed_point(&p.checks, &[1.0, 1.0]).unwrap();
        assert!((x[0] - 2.0 / 7.0).abs() < 1e-14 && (x[1] - 6.0 / 7.0).abs() < 1e-14);
        // 2×2: stable iff tr J < 0 and det J > 0.
        let j = p.jacobian(&p.checks, &x);
        let (tr, det) = (j[(0, 0)] + j[(1, 1)], j.determinant());
        let s = Stability::of(&j, 0.01);
        assert_eq!(s.is_stable(), tr < 0.0 && det > 0.0);
        assert!(s.is_stable());
    }

    #[test]
    fn changes_apply_in_their_window() {
        let mut p = params(
            vec![force("s", 1.0, 1.0), force("b", 1.0, 1.0)],
            vec![-1.0, -0.2, -0.2, -1.0],
        );
        p.changes = vec![CheckChange {
            from: 5.0,
            until: Some(10.0),
            force: 0,
            by: 1,
            value: 0.3,
        }];
        assert_eq!(p.checks_at(4.9)[1], -0.2);
        assert_eq!(p.checks_at(5.0)[1], 0.3);
        assert_eq!(p.checks_at(10.0)[1], -0.2);
        assert!(p.check().is_ok());
        p.changes[0].until = Some(5.0);
        assert!(p.check().is_err());
    }

    #[test]
    fn blow_up_is_reported() {
        // One force with economies of scale and no limit: finite-time blow-up.
        let p = params(vec![force("state", 1.0, 2.0)], vec![0.0]);
        let mut m = ChecksModel::new(p, 1).unwrap();
        let mut err = None;
        for k in 1..=1000 {
            if let Err(e) = m.step(k, (k - 1) as f64 * 0.1, 0.1) {
                err = Some(e);
                break;
            }
        }
        assert!(matches!(err, Some(ChecksError::BlowUp { .. })), "{err:?}");
    }
}
