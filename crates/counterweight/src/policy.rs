//! Policies: time-scheduled interventions, the essays' levers (DESIGN.md §5).
//!
//! The framework every model's policies share: a `[[policy]]` table's common fields
//! (`kind`, `from`, `until`, `groups`), its active [`Window`], the targeted groups, and a
//! [`PolicyCx`] through which a model reads the fields of the kinds it accepts (see
//! [`crate::registry::ValidateCx::policies`]). Which kinds exist, and what each does, is
//! each model's own business: its module defines its policy enum.
//!
//! Each policy is active on the steps whose start time `t` satisfies `from <= t < until`
//! and applies to a set of groups. The transfer helpers here ([`wealth_tax`],
//! [`proprietary_tax`]) are budget-neutral by construction: every unit collected is paid
//! out in the same step, and the [`Ledger`] records both sides.

use crate::scenario::FieldError;
use crate::scenario::file::PolicySpec;
use crate::scenario::validate::check;
use crate::setup::ActorGroup;

/// The active window of a policy, in model time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Window {
    /// The time at which the policy starts (`from`, >= 0; default 0).
    pub from: f64,
    /// `f64::INFINITY` when the policy never ends.
    pub until: f64,
}

impl Window {
    /// Whether a step starting at `t` (of length `dt`) is inside the window. A tolerance
    /// of a millionth of a step absorbs the rounding of `k * dt`.
    pub fn contains(&self, t: f64, dt: f64) -> bool {
        let eps = 1e-6 * dt;
        t + eps >= self.from && t + eps < self.until
    }
}

/// Who receives the revenue of a proprietary tax.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rebate {
    /// Equal shares to every actor.
    Equal,
    /// To actors in proportion to their openness (equal shares if nobody is open).
    Open,
}

/// A validated policy of a model whose policy kinds are `K`.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy<K> {
    /// The model's typed policy: what the kind does, with its own validated fields.
    pub kind: K,
    /// When it is active (see [`Window::contains`]).
    pub window: Window,
    /// `groups[g]` is true if group `g` is targeted (all groups when `groups` is left out).
    pub groups: Vec<bool>,
}

/// The money trail of the policies in one step: what taxes collected and what transfers
/// paid out. Budget neutrality means the two agree to rounding.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Ledger {
    /// The total taken from actors by taxes, in units of the actors' values.
    pub collected: f64,
    /// The total paid back to actors, in the same units.
    pub paid: f64,
}

/// A policy kind a model accepts, with the names of its own fields (besides `kind`,
/// `from`, `until`, `groups`).
pub type PolicyFields = (&'static str, &'static [&'static str]);

/// One `[[policy]]` table being validated: its index, kind, window and targets, and its
/// own fields, read by the model through the typed accessors. Fields that the kind does
/// not declare are rejected before the model sees the policy.
pub struct PolicyCx<'a> {
    index: usize,
    spec: &'a PolicySpec,
    window: Window,
    targets: Vec<bool>,
}

impl<'a> PolicyCx<'a> {
    pub(crate) fn new(
        index: usize,
        spec: &'a PolicySpec,
        groups: &[ActorGroup],
        model: &str,
        kinds: &[PolicyFields],
    ) -> Result<Self, FieldError> {
        let f = |name: &str| format!("policy[{index}].{name}");
        let Some(&(_, allowed)) = kinds.iter().find(|(k, _)| *k == spec.kind) else {
            let names: Vec<&str> = kinds.iter().map(|(k, _)| *k).collect();
            let help = if kinds.is_empty() {
                format!("model = \"{model}\" takes no policies: remove [[policy]]")
            } else {
                format!("for model = \"{model}\": {}", names.join(", "))
            };
            return Err(FieldError {
                field: f("kind"),
                message: format!(
                    "policy \"{}\" does not apply to model = \"{model}\"",
                    spec.kind
                ),
                help: Some(help),
            });
        };
        // Fields the kind does not take are named before anything else is checked.
        for name in spec.fields.keys() {
            if !allowed.contains(&name.as_str()) {
                let valid = if allowed.is_empty() {
                    "no other field".to_string()
                } else {
                    allowed.join(", ")
                };
                return Err(check::err(
                    f(name),
                    format!("`{name}` does not apply to kind = \"{}\"", spec.kind),
                    format!("for {}: {valid}", spec.kind),
                ));
            }
        }
        let from = check::non_negative(&f("from"), spec.from)?;
        let until = match spec.until {
            Some(u) => {
                let u = check::finite(&f("until"), u)?;
                if u <= from {
                    return Err(check::err(
                        f("until"),
                        format!("until = {u} is not after from = {from}"),
                        "until > from",
                    ));
                }
                u
            }
            None => f64::INFINITY,
        };
        let targets = match &spec.groups {
            None => vec![true; groups.len()],
            Some(names) => {
                let mut t = vec![false; groups.len()];
                for (j, n) in names.iter().enumerate() {
                    match groups.iter().position(|g| &g.name == n) {
                        Some(k) => t[k] = true,
                        None => {
                            let known: Vec<_> =
                                groups.iter().map(|g| format!("\"{}\"", g.name)).collect();
                            return Err(check::err(
                                format!("policy[{index}].groups[{j}]"),
                                format!("no group \"{n}\""),
                                format!("one of {}", known.join(", ")),
                            ));
                        }
                    }
                }
                t
            }
        };
        Ok(PolicyCx {
            index,
            spec,
            window: Window { from, until },
            targets,
        })
    }

    /// The policy's `kind`.
    pub fn kind(&self) -> &str {
        &self.spec.kind
    }

    /// The field path of one of this policy's fields, e.g. `policy[0].rate`.
    pub fn field(&self, name: &str) -> String {
        format!("policy[{}].{name}", self.index)
    }

    /// The active window.
    pub fn window(&self) -> Window {
        self.window
    }

    /// An optional number field.
    pub fn f64(&self, name: &str) -> Result<Option<f64>, FieldError> {
        match self.spec.fields.get(name) {
            None => Ok(None),
            Some(toml::Value::Float(x)) => Ok(Some(*x)),
            Some(toml::Value::Integer(i)) => Ok(Some(*i as f64)),
            Some(v) => Err(check::err(
                self.field(name),
                format!("{} is not a number", v.type_str()),
                "a number",
            )),
        }
    }

    /// A number field the kind requires; finite.
    pub fn require_f64(&self, name: &str) -> Result<f64, FieldError> {
        let v = self.f64(name)?.ok_or_else(|| {
            check::err(
                self.field(name),
                format!("`{name}` is required for kind = \"{}\"", self.kind()),
                format!("e.g. {name} = 0.5"),
            )
        })?;
        check::finite(&self.field(name), v)
    }

    /// An optional text field.
    pub fn str(&self, name: &str) -> Result<Option<String>, FieldError> {
        match self.spec.fields.get(name) {
            None => Ok(None),
            Some(toml::Value::String(s)) => Ok(Some(s.clone())),
            Some(v) => Err(check::err(
                self.field(name),
                format!("{} is not a string", v.type_str()),
                "a quoted string",
            )),
        }
    }

    /// Reject `groups` for a kind that changes a model-wide parameter.
    pub fn no_groups(&self) -> Result<(), FieldError> {
        if self.spec.groups.is_some() {
            return Err(check::err(
                self.field("groups"),
                format!("`{}` changes a model-wide parameter", self.kind()),
                "leave `groups` out",
            ));
        }
        Ok(())
    }

    pub(crate) fn policy<K>(&self, kind: K) -> Policy<K> {
        Policy {
            kind,
            window: self.window,
            groups: self.targets.clone(),
        }
    }
}

/// Wealth tax: every targeted actor pays `rate_dt * max(R_i - threshold, 0)`; the revenue
/// is returned in equal shares to all actors. Requires `rate_dt <= 1` (validated), so no
/// one pays more than their excess.
pub fn wealth_tax(
    values: &mut [f64],
    targeted: impl Fn(usize) -> bool,
    rate_dt: f64,
    threshold: f64,
) -> Ledger {
    let mut collected = 0.0;
    for (i, x) in values.iter_mut().enumerate() {
        if targeted(i) && *x > threshold {
            let tax = rate_dt * (*x - threshold);
            *x -= tax;
            collected += tax;
        }
    }
    let paid = transfer(values, collected, None);
    Ledger { collected, paid }
}

/// Proprietary tax: every targeted actor pays `rate * (1 - o_i) * g_i` of this step's
/// growth `g_i` from returns to scale. The revenue is returned equally, or in proportion
/// to openness (`weights`), falling back to equal shares when nobody is open.
pub fn proprietary_tax(
    values: &mut [f64],
    targeted: impl Fn(usize) -> bool,
    rate: f64,
    openness: &[f64],
    growth: &[f64],
    weights: Option<&[f64]>,
) -> Ledger {
    let mut collected = 0.0;
    for (i, x) in values.iter_mut().enumerate() {
        if targeted(i) {
            let tax = rate * (1.0 - openness[i]) * growth[i].max(0.0);
            *x -= tax;
            collected += tax;
        }
    }
    let paid = transfer(values, collected, weights);
    Ledger { collected, paid }
}

/// Pay `amount` out: equally, or in proportion to `weights`. Returns what was paid.
fn transfer(values: &mut [f64], amount: f64, weights: Option<&[f64]>) -> f64 {
    if amount == 0.0 || values.is_empty() {
        return 0.0;
    }
    let total_w: f64 = weights.map_or(0.0, |w| w.iter().sum());
    let mut paid = 0.0;
    match weights {
        Some(w) if total_w > 0.0 => {
            for (x, &wi) in values.iter_mut().zip(w) {
                let p = amount * (wi / total_w);
                *x += p;
                paid += p;
            }
        }
        _ => {
            let p = amount / values.len() as f64;
            for x in values.iter_mut() {
                *x += p;
                paid += p;
            }
        }
    }
    paid
}
