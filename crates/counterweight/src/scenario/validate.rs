//! Validation: a parsed [`ScenarioFile`] becomes a typed [`Scenario`] whose parameters are
//! known to be in range, or an error naming the field and what would be valid.

use std::path::Path;

use super::file::{ActorGroupSpec, COMMON_FIELDS, InitialSpec, ScenarioFile};
use super::{ActorsOutput, OutputParams, Scenario};
use crate::registry::{ModelSpec, Registry, ValidateCx};
use crate::setup::{ActorGroup, ActorKind, Initial, TimeGrid};

/// A validation failure: the field path, the problem, and what would be valid.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    /// The field path, e.g. `actors[0].count` or `growth.spillover`.
    pub field: String,
    /// What is wrong.
    pub message: String,
    /// What would be valid, when there is something to say.
    pub help: Option<String>,
}

/// Checks every model's validation uses: each returns the value or a [`FieldError`]
/// naming the field and what would be valid.
pub mod check {
    use super::FieldError;

    /// A [`FieldError`] for `field` with a message and a hint.
    pub fn err(
        field: impl Into<String>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> FieldError {
        FieldError {
            field: field.into(),
            message: message.into(),
            help: Some(help.into()),
        }
    }

    /// The result of a check.
    pub type R<T> = Result<T, FieldError>;

    /// `v` if finite.
    pub fn finite(field: &str, v: f64) -> R<f64> {
        if v.is_finite() {
            Ok(v)
        } else {
            Err(err(
                field,
                format!("{v} is not a finite number"),
                "a finite number",
            ))
        }
    }

    /// `v` if finite and > 0.
    pub fn positive(field: &str, v: f64) -> R<f64> {
        finite(field, v)?;
        if v > 0.0 {
            Ok(v)
        } else {
            Err(err(field, format!("{v} is not positive"), "a number > 0"))
        }
    }

    /// `v` if finite and >= 0.
    pub fn non_negative(field: &str, v: f64) -> R<f64> {
        finite(field, v)?;
        if v >= 0.0 {
            Ok(v)
        } else {
            Err(err(field, format!("{v} is negative"), "a number >= 0"))
        }
    }

    /// `v` if in `[0, 1]`.
    pub fn unit_interval(field: &str, v: f64) -> R<f64> {
        finite(field, v)?;
        if (0.0..=1.0).contains(&v) {
            Ok(v)
        } else {
            Err(err(
                field,
                format!("{v} is outside [0, 1]"),
                "a number between 0 and 1",
            ))
        }
    }
}

use check::{R, err, finite, non_negative, positive, unit_interval};

/// Largest number of steps a run may have (a guard against `dt` typos).
pub const MAX_STEPS: u64 = 1_000_000_000;
/// Largest number of actors in a run.
pub const MAX_ACTORS: usize = 200_000_000;

/// Validate a parsed scenario against the models of `registry`. `text` is the TOML the
/// file was parsed from (the model reads its sections from it); `base_dir` resolves
/// relative paths.
pub fn validate(
    file: &ScenarioFile,
    text: &str,
    base_dir: Option<&Path>,
    registry: &Registry,
) -> R<Scenario> {
    if file.name.trim().is_empty() {
        return Err(err(
            "name",
            "the name is empty",
            "a short name, e.g. \"cheetah-and-tortoise\"",
        ));
    }
    let Some(def) = registry.get(&file.model) else {
        let names: Vec<String> = registry
            .names()
            .iter()
            .map(|n| format!("\"{n}\""))
            .collect();
        return Err(err(
            "model",
            format!("unknown model \"{}\"", file.model),
            format!("one of {}", names.join(", ")),
        ));
    };
    // Every top-level key that is not a common field belongs to the model.
    for key in file.sections.keys() {
        if def.keys().contains(&key.as_str()) {
            continue;
        }
        let owners: Vec<String> = registry
            .models()
            .filter(|m| m.keys().contains(&key.as_str()))
            .map(|m| format!("\"{}\"", m.name()))
            .collect();
        let help = match owners.as_slice() {
            [owner] => format!(
                "`{key}` belongs to model = {owner}: set model = {owner}, or remove `{key}`"
            ),
            [_, _, ..] => format!(
                "`{key}` is read by model = {}: use one of them, or remove `{key}`",
                owners.join(", ")
            ),
            [] => {
                let mut valid: Vec<&str> = COMMON_FIELDS.to_vec();
                valid.extend(def.keys());
                format!("one of {}", valid.join(", "))
            }
        };
        return Err(FieldError {
            field: key.clone(),
            message: format!("unknown field `{key}` for model = \"{}\"", file.model),
            help: Some(help),
        });
    }
    let time = file
        .time
        .as_ref()
        .map(|t| -> R<TimeGrid> {
            let end = positive("time.end", t.end)?;
            let dt = positive("time.dt", t.dt)?;
            time_grid(end, dt)
        })
        .transpose()?;
    if !(1..=1_000_000).contains(&file.replicates) {
        return Err(err(
            "replicates",
            format!("{} replicates", file.replicates),
            "an integer from 1 to 1000000",
        ));
    }
    let mut groups: Vec<ActorGroup> = Vec::with_capacity(file.actors.len());
    for (i, spec) in file.actors.iter().enumerate() {
        let g = validate_group_with(i, spec, base_dir, def.initial_may_be_zero())?;
        if groups.iter().any(|o| o.name == g.name) {
            return Err(err(
                format!("actors[{i}].group"),
                format!("group \"{}\" is defined twice", g.name),
                "a unique group name",
            ));
        }
        groups.push(g);
    }
    let mut cx = ValidateCx::new(file, text, base_dir, groups, time);
    let setup = def.validate(&mut cx)?;
    let ValidateCx { groups, time, .. } = cx;
    if def.uses_actors() && groups.is_empty() {
        return Err(err(
            "actors",
            "the scenario has no [[actors]]",
            "at least one [[actors]] table",
        ));
    }
    let time = time.ok_or_else(|| {
        err(
            "time",
            "the scenario has no time grid",
            "time = { end = 50.0, dt = 0.1 }",
        )
    })?;
    let total: usize = groups.iter().map(|g| g.count).sum();
    if total > MAX_ACTORS {
        return Err(err(
            "actors",
            format!("{total} actors in all"),
            format!("at most {MAX_ACTORS} actors"),
        ));
    }
    let output = validate_output(file, total, setup.default_every(time.steps))?;
    Ok(Scenario {
        name: file.name.clone(),
        description: file.description.clone(),
        seed: file.seed,
        replicates: file.replicates as u32,
        time,
        model: ModelSpec::new(def.name(), setup),
        groups,
        policy_count: file.policy.len(),
        output,
    })
}

/// The time grid of `end` over steps of `dt`: `ceil(end / dt)` steps (with a tolerance
/// of 1e-9 for rounding), between 1 and [`MAX_STEPS`].
pub fn time_grid(end: f64, dt: f64) -> R<TimeGrid> {
    let ratio = end / dt;
    let steps = (ratio - 1e-9 * ratio.max(1.0)).ceil();
    if !(1.0..=MAX_STEPS as f64).contains(&steps) {
        return Err(err(
            "time.dt",
            format!("end / dt = {ratio} steps"),
            format!("dt such that end / dt is between 1 and {MAX_STEPS}"),
        ));
    }
    Ok(TimeGrid {
        end,
        dt,
        steps: steps as u64,
    })
}

/// Validate `[[actors]]` table `i` (values must be > 0); `base_dir` resolves a `csv`
/// path relative to the scenario file.
pub fn validate_group(i: usize, spec: &ActorGroupSpec, base_dir: Option<&Path>) -> R<ActorGroup> {
    validate_group_with(i, spec, base_dir, false)
}

/// [`validate_group`], allowing initial values of 0 when `zero_ok` (models whose values
/// are opinions or capabilities rather than positive resources).
fn validate_group_with(
    i: usize,
    spec: &ActorGroupSpec,
    base_dir: Option<&Path>,
    zero_ok: bool,
) -> R<ActorGroup> {
    let positive = |field: &str, v: f64| {
        if zero_ok {
            non_negative(field, v)
        } else {
            positive(field, v)
        }
    };
    let f = |name: &str| format!("actors[{i}].{name}");
    if spec.group.trim().is_empty() {
        return Err(err(
            f("group"),
            "the group name is empty",
            "a short name, e.g. \"firms\"",
        ));
    }
    if spec.group.contains(['.', ',', '"']) {
        return Err(err(
            f("group"),
            format!("\"{}\" contains '.', ',' or '\"'", spec.group),
            "a name without those characters (it becomes a column suffix)",
        ));
    }
    let kind = match spec.kind.as_str() {
        "state" => ActorKind::State,
        "firm" => ActorKind::Firm,
        "civic" => ActorKind::Civic,
        other => {
            return Err(err(
                f("kind"),
                format!("unknown kind \"{other}\""),
                "\"state\", \"firm\" or \"civic\"",
            ));
        }
    };
    let openness = unit_interval(&f("openness"), spec.openness)?;
    let p = |name: &str| f(&format!("initial.{name}"));
    let initial = match &spec.initial {
        InitialSpec::Constant(v) => Initial::Constant(positive(&p("constant"), *v)?),
        InitialSpec::Uniform { low, high } => {
            let low = positive(&p("uniform.low"), *low)?;
            let high = finite(&p("uniform.high"), *high)?;
            if high < low {
                return Err(err(
                    p("uniform.high"),
                    format!("high {high} < low {low}"),
                    "high >= low",
                ));
            }
            Initial::Uniform { low, high }
        }
        InitialSpec::Lognormal { mu, sigma } => {
            let mu = finite(&p("lognormal.mu"), *mu)?;
            let sigma = non_negative(&p("lognormal.sigma"), *sigma)?;
            lognormal_in_range(&p, mu, sigma)?;
            Initial::Lognormal { mu, sigma }
        }
        InitialSpec::Pareto { scale, alpha } => {
            let scale = positive(&p("pareto.scale"), *scale)?;
            let alpha = positive(&p("pareto.alpha"), *alpha)?;
            pareto_in_range(&p, scale, alpha)?;
            Initial::Pareto { scale, alpha }
        }
        InitialSpec::Values(v) => Initial::Values(check_values(&p("values"), v, zero_ok)?),
        InitialSpec::Csv(path) => {
            let full = base_dir.map_or_else(|| Path::new(path).to_path_buf(), |d| d.join(path));
            let v = read_values_csv(&p("csv"), &full, zero_ok)?;
            Initial::Values(v)
        }
    };
    let count = match (&initial, spec.count) {
        (Initial::Values(v), None) => v.len(),
        (Initial::Values(v), Some(c)) if c as usize != v.len() || c < 0 => {
            return Err(err(
                f("count"),
                format!("count = {c} but {} values are given", v.len()),
                format!("{} or leave count out", v.len()),
            ));
        }
        (_, None) => 1,
        (_, Some(c)) if c < 1 => {
            return Err(err(f("count"), format!("count = {c}"), "an integer >= 1"));
        }
        (_, Some(c)) => c as usize,
    };
    if count == 0 {
        return Err(err(f("initial"), "no values", "at least one value"));
    }
    if count > MAX_ACTORS {
        return Err(err(
            f("count"),
            format!("count = {count}"),
            format!("at most {MAX_ACTORS}"),
        ));
    }
    Ok(ActorGroup {
        name: spec.group.clone(),
        kind,
        count,
        initial,
        openness,
    })
}

/// A lognormal law whose draws `exp(mu + sigma z)` stay positive and finite: `mu ± 10 sigma`
/// inside [ln of the smallest normal double, ln of the largest] = [-708.4, 709.8] (a draw
/// with |z| > 10 has probability 1.5e-23). `mu = -800` made every value 0 and the run
/// failed at its first step with "the values sum to zero" (issue 15 item 5).
fn lognormal_in_range(p: &dyn Fn(&str) -> String, mu: f64, sigma: f64) -> R<()> {
    let (lo, hi) = (f64::MIN_POSITIVE.ln(), f64::MAX.ln());
    let range = format!("between {:.1} and {:.1}", lo, hi);
    if !(lo..=hi).contains(&mu) {
        return Err(err(
            p("lognormal.mu"),
            format!("mu = {mu}: the values e^mu would be 0 or infinite in floating point"),
            format!("mu {range}"),
        ));
    }
    if mu - 10.0 * sigma < lo || mu + 10.0 * sigma > hi {
        return Err(err(
            p("lognormal.sigma"),
            format!(
                "sigma = {sigma} with mu = {mu}: draws e^(mu ± 10 sigma) would be 0 or infinite in floating point"
            ),
            format!("a sigma with mu ± 10 sigma {range}"),
        ));
    }
    Ok(())
}

/// A Pareto law whose largest possible draw is finite: `x = scale · u^(-1/alpha)` with `u`
/// at least 2^-53, so `scale · 2^(53/alpha)` must not overflow. `scale = 1e308` made the
/// first value infinite and the run failed at its first step (issue 15 item 5).
fn pareto_in_range(p: &dyn Fn(&str) -> String, scale: f64, alpha: f64) -> R<()> {
    let exponent = 53.0 / alpha;
    let log_max = f64::MAX.ln() - exponent * std::f64::consts::LN_2;
    if scale.ln() > log_max {
        let (field, hint) = if log_max > 0.0 {
            (
                "pareto.scale",
                format!(
                    "scale <= {} with alpha = {alpha}",
                    crate::fmt::sig(log_max.exp(), 3)
                ),
            )
        } else {
            (
                "pareto.alpha",
                format!(
                    "alpha >= {} with scale = {scale}",
                    crate::fmt::sig(
                        53.0 * std::f64::consts::LN_2 / (f64::MAX.ln() - scale.ln().max(0.0)),
                        3
                    )
                ),
            )
        };
        return Err(err(
            p(field),
            format!(
                "scale = {scale}, alpha = {alpha}: the largest draw, scale · 2^(53/alpha), is beyond the largest floating-point number (1.8e308)"
            ),
            hint,
        ));
    }
    Ok(())
}

fn check_values(field: &str, v: &[f64], zero_ok: bool) -> R<Vec<f64>> {
    for (i, &x) in v.iter().enumerate() {
        if !(x.is_finite() && (x > 0.0 || (zero_ok && x == 0.0))) {
            return Err(err(
                format!("{field}[{i}]"),
                format!("{x} is not a positive finite number"),
                "values > 0",
            ));
        }
    }
    Ok(v.to_vec())
}

/// Read initial values: a CSV with a header; the `value` column if present, else the
/// first column.
fn read_values_csv(field: &str, path: &Path, zero_ok: bool) -> R<Vec<f64>> {
    let shown = path.display();
    let file =
        crate::io::input::open_regular(path, crate::io::input::VALUES_CSV_LIMIT).map_err(|e| {
            err(
                field,
                format!("cannot read {shown}: {e}"),
                "a readable CSV file, relative to the scenario file",
            )
        })?;
    let mut rdr = csv::Reader::from_reader(file);
    let headers = rdr
        .headers()
        .map_err(|e| {
            err(
                field,
                format!("{shown}: {e}"),
                "a CSV file with a header row",
            )
        })?
        .clone();
    let col = headers
        .iter()
        .position(|h| h.trim() == "value")
        .unwrap_or(0);
    let mut out = Vec::new();
    for (row, rec) in rdr.records().enumerate() {
        let line = row + 2;
        let rec = rec.map_err(|e| err(field, format!("{shown}: {e}"), "a well-formed CSV file"))?;
        let cell = rec.get(col).unwrap_or("").trim();
        let x: f64 = cell.parse().map_err(|_| {
            err(
                field,
                // The cell is not echoed: the file may not be a table of values at all.
                format!("{shown} line {line}: not a number"),
                "positive numbers",
            )
        })?;
        if !(x.is_finite() && (x > 0.0 || (zero_ok && x == 0.0))) {
            return Err(err(
                field,
                format!("{shown} line {line}: {x} is not positive"),
                "positive numbers",
            ));
        }
        out.push(x);
    }
    if out.is_empty() {
        return Err(err(
            field,
            format!("{shown} has no values"),
            "at least one row",
        ));
    }
    Ok(out)
}

fn validate_output(
    file: &ScenarioFile,
    total_actors: usize,
    default_every: u64,
) -> R<OutputParams> {
    let o = &file.output;
    let every = o.every.unwrap_or(default_every.max(1) as i64);
    if every < 1 {
        return Err(err(
            "output.every",
            format!("every = {every}"),
            "an integer >= 1 (record every k steps)",
        ));
    }
    if o.top_k < 1 {
        return Err(err(
            "output.top_k",
            format!("top_k = {}", o.top_k),
            "an integer >= 1",
        ));
    }
    let hill_k = match o.hill_k {
        Some(k) if k < 1 || k as usize >= total_actors.max(2) => {
            return Err(err(
                "output.hill_k",
                format!("hill_k = {k}"),
                format!(
                    "an integer from 1 to {}",
                    total_actors.saturating_sub(1).max(1)
                ),
            ));
        }
        Some(k) => Some(k as usize),
        None => None,
    };
    let actors = match o.actors.as_str() {
        "none" => ActorsOutput::None,
        "final" => ActorsOutput::Final,
        "all" => ActorsOutput::All,
        other => {
            return Err(err(
                "output.actors",
                format!("unknown value \"{other}\""),
                "\"none\", \"final\" or \"all\"",
            ));
        }
    };
    Ok(OutputParams {
        every: every as u64,
        top_k: o.top_k as usize,
        hill_k,
        actors,
    })
}
