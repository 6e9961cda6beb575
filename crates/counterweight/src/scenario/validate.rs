//! Validation: a parsed [`ScenarioFile`] becomes a typed [`Scenario`] whose parameters are
//! known to be in range, or an error naming the field and what would be valid.

use std::path::Path;

use super::file::{ActorGroupSpec, InitialSpec, PolicySpec, ScenarioFile};
use super::{ActorGroup, ActorKind, ActorsOutput, Initial, OutputParams, Scenario, TimeGrid};
use crate::model::ModelKind;
use crate::model::growth::{DiffusionScaling, GrowthParam, GrowthParams};
use crate::policy::{POLICY_KINDS, Policy, PolicyKind, Rebate, Window};

/// A validation failure: the field path, the problem, and what would be valid.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
    pub help: Option<String>,
}

fn err(
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

type R<T> = Result<T, FieldError>;

fn finite(field: &str, v: f64) -> R<f64> {
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

fn positive(field: &str, v: f64) -> R<f64> {
    finite(field, v)?;
    if v > 0.0 {
        Ok(v)
    } else {
        Err(err(field, format!("{v} is not positive"), "a number > 0"))
    }
}

fn non_negative(field: &str, v: f64) -> R<f64> {
    finite(field, v)?;
    if v >= 0.0 {
        Ok(v)
    } else {
        Err(err(field, format!("{v} is negative"), "a number >= 0"))
    }
}

fn unit_interval(field: &str, v: f64) -> R<f64> {
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

/// Largest number of steps a run may have (a guard against `dt` typos).
pub const MAX_STEPS: u64 = 1_000_000_000;
/// Largest number of actors in a run.
pub const MAX_ACTORS: usize = 200_000_000;

/// Validate a parsed scenario. `base_dir` resolves `csv` initial files.
pub fn validate(file: &ScenarioFile, base_dir: Option<&Path>) -> R<Scenario> {
    if file.name.trim().is_empty() {
        return Err(err(
            "name",
            "the name is empty",
            "a short name, e.g. \"cheetah-and-tortoise\"",
        ));
    }
    if !["growth", "exchange", "adoption"].contains(&file.model.as_str()) {
        return Err(err(
            "model",
            format!("unknown model \"{}\"", file.model),
            "\"growth\", \"exchange\" or \"adoption\" (Dual Governance runs with `counterweight govern`)",
        ));
    }
    let end = positive("time.end", file.time.end)?;
    let dt = positive("time.dt", file.time.dt)?;
    let ratio = end / dt;
    let steps = (ratio - 1e-9 * ratio.max(1.0)).ceil();
    if !(1.0..=MAX_STEPS as f64).contains(&steps) {
        return Err(err(
            "time.dt",
            format!("end / dt = {ratio} steps"),
            format!("dt such that end / dt is between 1 and {MAX_STEPS}"),
        ));
    }
    let time = TimeGrid {
        end,
        dt,
        steps: steps as u64,
    };
    if !(1..=1_000_000).contains(&file.replicates) {
        return Err(err(
            "replicates",
            format!("{} replicates", file.replicates),
            "an integer from 1 to 1000000",
        ));
    }

    let growth = validate_growth(file)?;
    // The adoption model's platforms are its actors: one group, no [[actors]].
    let adoption = match (file.model.as_str(), &file.adoption) {
        ("adoption", Some(spec)) => Some(crate::model::adoption::validate(
            spec,
            &time,
            file.actors.len(),
        )?),
        ("adoption", None) => {
            return Err(err(
                "adoption",
                "model = \"adoption\" needs an [adoption] table",
                "an [adoption] table",
            ));
        }
        _ => None,
    };
    if file.actors.is_empty() && adoption.is_none() {
        return Err(err(
            "actors",
            "the scenario has no [[actors]]",
            "at least one [[actors]] table",
        ));
    }
    let mut groups = Vec::with_capacity(file.actors.len());
    let mut total = 0usize;
    if let Some(p) = &adoption {
        groups.push(p.group());
        total = p.platforms;
    }
    for (i, spec) in file.actors.iter().enumerate() {
        let g = validate_group(i, spec, base_dir)?;
        if groups.iter().any(|o: &ActorGroup| o.name == g.name) {
            return Err(err(
                format!("actors[{i}].group"),
                format!("group \"{}\" is defined twice", g.name),
                "a unique group name",
            ));
        }
        total += g.count;
        groups.push(g);
    }
    if total > MAX_ACTORS {
        return Err(err(
            "actors",
            format!("{total} actors in all"),
            format!("at most {MAX_ACTORS} actors"),
        ));
    }
    let policies = file
        .policy
        .iter()
        .enumerate()
        .map(|(i, p)| validate_policy(i, p, &groups, dt))
        .collect::<R<Vec<_>>>()?;
    check_policy_models(&file.model, &policies)?;
    let output = validate_output(file, total)?;
    let model = match file.model.as_str() {
        "exchange" => {
            let spec = file.exchange.clone().ok_or_else(|| {
                err(
                    "exchange",
                    "model = \"exchange\" needs an [exchange] table",
                    "an [exchange] table",
                )
            })?;
            ModelKind::Exchange(crate::model::exchange::validate(&spec, &time, &groups)?)
        }
        "adoption" => {
            let spec = file.adoption.clone().ok_or_else(|| {
                err(
                    "adoption",
                    "model = \"adoption\" needs an [adoption] table",
                    "an [adoption] table",
                )
            })?;
            ModelKind::Adoption(match adoption {
                Some(p) => p,
                None => crate::model::adoption::validate(&spec, &time, file.actors.len())?,
            })
        }
        _ => ModelKind::Growth,
    };
    // The exchange levers act on the exchange model only, and only they do.
    for (i, p) in policies.iter().enumerate() {
        let name = p.kind.name();
        let exchange_kind = crate::policy::EXCHANGE_POLICY_KINDS.contains(&name);
        if exchange_kind != (file.model == "exchange") && file.model != "adoption" {
            let help = if exchange_kind {
                "model = \"exchange\"".to_string()
            } else {
                format!(
                    "for model = \"exchange\": {}",
                    crate::policy::EXCHANGE_POLICY_KINDS.join(", ")
                )
            };
            return Err(err(
                format!("policy[{i}].kind"),
                format!(
                    "policy \"{name}\" does not apply to model = \"{}\"",
                    file.model
                ),
                help,
            ));
        }
    }
    if let ModelKind::Exchange(x) = &model {
        let yard_sale = matches!(x.rule, crate::model::exchange::Rule::YardSale { .. });
        if let Some(i) = policies.iter().position(|_| !yard_sale) {
            return Err(err(
                format!("policy[{i}].kind"),
                format!(
                    "policy \"{}\" acts on the yard-sale rule, but rule = \"{}\"",
                    policies[i].kind.name(),
                    x.rule_name()
                ),
                "exchange.rule = \"yard_sale\", or remove the policy",
            ));
        }
    }
    for (section, present) in [
        ("exchange", file.exchange.is_some()),
        ("adoption", file.adoption.is_some()),
    ] {
        if present && section != file.model {
            return Err(err(
                section,
                format!("[{section}] is given but model = \"{}\"", file.model),
                format!("model = \"{section}\", or remove [{section}]"),
            ));
        }
    }
    Ok(Scenario {
        name: file.name.clone(),
        description: file.description.clone(),
        seed: file.seed,
        replicates: file.replicates as u32,
        time,
        model,
        growth,
        groups,
        policies,
        output,
    })
}

fn validate_growth(file: &ScenarioFile) -> R<GrowthParams> {
    let g = &file.growth;
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
    })
}

fn validate_group(i: usize, spec: &ActorGroupSpec, base_dir: Option<&Path>) -> R<ActorGroup> {
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
        InitialSpec::Lognormal { mu, sigma } => Initial::Lognormal {
            mu: finite(&p("lognormal.mu"), *mu)?,
            sigma: non_negative(&p("lognormal.sigma"), *sigma)?,
        },
        InitialSpec::Pareto { scale, alpha } => Initial::Pareto {
            scale: positive(&p("pareto.scale"), *scale)?,
            alpha: positive(&p("pareto.alpha"), *alpha)?,
        },
        InitialSpec::Values(v) => Initial::Values(check_values(&p("values"), v)?),
        InitialSpec::Csv(path) => {
            let full = base_dir.map_or_else(|| Path::new(path).to_path_buf(), |d| d.join(path));
            Initial::Values(read_values_csv(&p("csv"), &full)?)
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

fn check_values(field: &str, v: &[f64]) -> R<Vec<f64>> {
    for (i, &x) in v.iter().enumerate() {
        if !(x.is_finite() && x > 0.0) {
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
fn read_values_csv(field: &str, path: &Path) -> R<Vec<f64>> {
    let shown = path.display();
    let mut rdr = csv::Reader::from_path(path).map_err(|e| {
        err(
            field,
            format!("cannot read {shown}: {e}"),
            "a readable CSV file, relative to the scenario file",
        )
    })?;
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
                format!("{shown} line {line}: \"{cell}\" is not a number"),
                "positive numbers",
            )
        })?;
        if !(x.is_finite() && x > 0.0) {
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

fn validate_policy(i: usize, p: &PolicySpec, groups: &[ActorGroup], dt: f64) -> R<Policy> {
    let f = |name: &str| format!("policy[{i}].{name}");
    let from = non_negative(&f("from"), p.from)?;
    let until = match p.until {
        Some(u) => {
            let u = finite(&f("until"), u)?;
            if u <= from {
                return Err(err(
                    f("until"),
                    format!("until = {u} is not after from = {from}"),
                    "until > from",
                ));
            }
            u
        }
        None => f64::INFINITY,
    };
    let targets = match &p.groups {
        None => vec![true; groups.len()],
        Some(names) => {
            let mut t = vec![false; groups.len()];
            for (j, n) in names.iter().enumerate() {
                match groups.iter().position(|g| &g.name == n) {
                    Some(k) => t[k] = true,
                    None => {
                        let known: Vec<_> =
                            groups.iter().map(|g| format!("\"{}\"", g.name)).collect();
                        return Err(err(
                            format!("policy[{i}].groups[{j}]"),
                            format!("no group \"{n}\""),
                            format!("one of {}", known.join(", ")),
                        ));
                    }
                }
            }
            t
        }
    };
    // Which optional fields each kind takes; any other set field is an error.
    let present: Vec<(&str, bool)> = vec![
        ("param", p.param.is_some()),
        ("value", p.value.is_some()),
        ("openness", p.openness.is_some()),
        ("factor", p.factor.is_some()),
        ("rate", p.rate.is_some()),
        ("threshold", p.threshold.is_some()),
        ("rebate", p.rebate.is_some()),
    ];
    let allowed: &[&str] = match p.kind.as_str() {
        "set" => &["param", "value"],
        "openness_mandate" => &["openness"],
        "spillover_boost" => &["factor"],
        "wealth_tax" => &["rate", "threshold"],
        "proprietary_tax" => &["rate", "rebate"],
        "redistribution" => &["rate"],
        "advantage_cap" => &["value"],
        "interoperability" => &["value"],
        other => {
            return Err(err(
                f("kind"),
                format!("unknown policy \"{other}\""),
                format!("one of {}", POLICY_KINDS.join(", ")),
            ));
        }
    };
    for (name, is_set) in present {
        if is_set && !allowed.contains(&name) {
            return Err(err(
                f(name),
                format!("`{name}` does not apply to kind = \"{}\"", p.kind),
                format!("for {}: {}", p.kind, allowed.join(", ")),
            ));
        }
    }
    let need = |v: Option<f64>, name: &str| {
        v.ok_or_else(|| {
            err(
                f(name),
                format!("`{name}` is required for kind = \"{}\"", p.kind),
                format!("e.g. {name} = 0.5"),
            )
        })
    };
    let kind = match p.kind.as_str() {
        "set" => {
            let path = p.param.as_deref().ok_or_else(|| {
                err(
                    f("param"),
                    "`param` is required for kind = \"set\"",
                    "e.g. param = \"growth.spillover\"",
                )
            })?;
            let param = GrowthParam::from_path(path).ok_or_else(|| {
                err(
                    f("param"),
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
            let value = finite(&f("value"), need(p.value, "value")?)?;
            param.check(value).map_err(|help| {
                err(f("value"), format!("{value} is not valid for {path}"), help)
            })?;
            if p.groups.is_some() {
                return Err(err(
                    f("groups"),
                    "`set` changes a model-wide parameter",
                    "leave `groups` out",
                ));
            }
            PolicyKind::Set { param, value }
        }
        "openness_mandate" => PolicyKind::OpennessMandate {
            openness: unit_interval(&f("openness"), need(p.openness, "openness")?)?,
        },
        "spillover_boost" => PolicyKind::SpilloverBoost {
            factor: non_negative(&f("factor"), need(p.factor, "factor")?)?,
        },
        "wealth_tax" => {
            let rate = non_negative(&f("rate"), need(p.rate, "rate")?)?;
            if rate * dt > 1.0 {
                return Err(err(
                    f("rate"),
                    format!(
                        "rate * dt = {} would tax more than the excess in one step",
                        rate * dt
                    ),
                    format!("rate <= 1/dt = {}", 1.0 / dt),
                ));
            }
            PolicyKind::WealthTax {
                rate,
                threshold: non_negative(&f("threshold"), p.threshold.unwrap_or(1.0))?,
            }
        }
        "proprietary_tax" => {
            let rebate = match p.rebate.as_deref().unwrap_or("equal") {
                "equal" => Rebate::Equal,
                "open" => Rebate::Open,
                other => {
                    return Err(err(
                        f("rebate"),
                        format!("unknown rebate \"{other}\""),
                        "\"equal\" or \"open\"",
                    ));
                }
            };
            let rate = unit_interval(&f("rate"), need(p.rate, "rate")?)?;
            PolicyKind::ProprietaryTax { rate, rebate }
        }
        "redistribution" | "advantage_cap" => {
            if p.groups.is_some() {
                return Err(err(
                    f("groups"),
                    format!("`{}` changes a model-wide parameter", p.kind),
                    "leave `groups` out",
                ));
            }
            if p.kind == "redistribution" {
                PolicyKind::Redistribution {
                    rate: non_negative(&f("rate"), need(p.rate, "rate")?)?,
                }
            } else {
                PolicyKind::AdvantageCap {
                    cap: non_negative(&f("value"), need(p.value, "value")?)?,
                }
            }
        }
        "interoperability" => {
            if p.groups.is_some() {
                return Err(err(
                    f("groups"),
                    "`interoperability` changes a model-wide parameter",
                    "leave `groups` out",
                ));
            }
            PolicyKind::Interoperability {
                value: unit_interval(&f("value"), need(p.value, "value")?)?,
            }
        }
        _ => unreachable!("kind checked above"),
    };
    Ok(Policy {
        kind,
        window: Window { from, until },
        groups: targets,
    })
}

/// Policies that act on one model only: `interoperability` on adoption, which takes no
/// other policy.
fn check_policy_models(model: &str, policies: &[Policy]) -> R<()> {
    for (i, p) in policies.iter().enumerate() {
        let interop = matches!(p.kind, PolicyKind::Interoperability { .. });
        if interop && model != "adoption" {
            return Err(err(
                format!("policy[{i}].kind"),
                format!("\"interoperability\" does not apply to model = \"{model}\""),
                "model = \"adoption\"",
            ));
        }
        if !interop && model == "adoption" {
            return Err(err(
                format!("policy[{i}].kind"),
                format!(
                    "\"{}\" does not apply to model = \"adoption\"",
                    p.kind.name()
                ),
                "kind = \"interoperability\"",
            ));
        }
    }
    Ok(())
}

fn validate_output(file: &ScenarioFile, total_actors: usize) -> R<OutputParams> {
    let o = &file.output;
    if o.every < 1 {
        return Err(err(
            "output.every",
            format!("every = {}", o.every),
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
        every: o.every as u64,
        top_k: o.top_k as usize,
        hill_k,
        actors,
    })
}
