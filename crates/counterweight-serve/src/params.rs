//! The controls of the laboratory: one description per parameter, from which the page
//! generates sliders (bounded numbers), inputs (other numbers), toggles (booleans) and
//! menus (choices). The page sends a changed control back as an override
//! `path=value`, exactly as `counterweight run --set path=value`.

use serde::Serialize;

use counterweight::registry::{ModelDef, ParamInfo, ParamType, Registry};
use counterweight::scenario::Experiment;

/// One control. The fields follow the model registry's declared parameters (path, type,
/// unit, default, valid range, choices, doc line) plus the scenario's current value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct ParamDesc {
    /// The scenario path, e.g. `growth.returns_to_scale` (what `--set` takes).
    pub path: String,
    /// `real`, `integer`, `bool` or `choice`.
    pub kind: &'static str,
    /// The unit in words ("" when unit-free or unknown).
    pub unit: String,
    /// The default as TOML text ("" when unknown or required).
    pub default: String,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub choices: Vec<String>,
    /// One line saying what it means (the tooltip).
    pub doc: String,
    /// The value in the scenario as resolved (TOML text), else the default.
    pub value: String,
    /// Whether the scenario sets it (false: the default applies).
    pub set: bool,
    /// A group heading for the page (the first segment of the path, with its index).
    pub section: String,
}

/// The controls for a parsed scenario, generated from the registry: first the declared
/// parameters of the experiment's model ([`counterweight::registry::ModelDef::params`]:
/// type, unit, default, valid range, doc line), each with its current value (the
/// scenario's, else the declared default); then every other number or boolean the
/// scenario sets (replicates, the time grid, actor counts, policy fields, variant
/// overrides), as plain inputs. No model is named here: a model registered tomorrow gets
/// its controls from its own declaration.
pub(crate) fn describe(exp: &Experiment, registry: &Registry) -> Vec<ParamDesc> {
    let Ok(table) = exp.resolved_toml.parse::<toml::Table>() else {
        return Vec::new();
    };
    let root = toml::Value::Table(table);
    let model = exp.variants[0].scenario.model.name();
    let mut out: Vec<ParamDesc> = registry
        .get(model)
        .map(|m| m.params())
        .unwrap_or_default()
        .into_iter()
        .map(|p| declared(&p, model, &root))
        .collect();
    let mut rest = Vec::new();
    walk(&root, String::new(), &mut rest);
    rest.retain(|r| !out.iter().any(|d| d.path == r.path));
    out.append(&mut rest);
    // A variant's overrides are headed by its label.
    for p in &mut out {
        if let Some(i) = p
            .section
            .strip_prefix("compare[")
            .and_then(|r| r.strip_suffix(']'))
            .and_then(|i| i.parse::<usize>().ok())
            && let Some(v) = exp.variants.get(i)
        {
            p.section = format!("{}: {}", p.section, v.label);
        }
    }
    out
}

/// A model's declared parameters as controls with their defaults (no scenario).
pub(crate) fn declared_list(model: &dyn ModelDef) -> Vec<ParamDesc> {
    let empty = toml::Value::Table(toml::Table::new());
    model
        .params()
        .iter()
        .map(|p| declared(p, model.name(), &empty))
        .collect()
}

/// The kinds of `[[policy]]` the experiment's model accepts, with their fields.
pub(crate) fn policy_kinds(exp: &Experiment, registry: &Registry) -> Vec<PolicyKind> {
    let model = exp.variants[0].scenario.model.name();
    registry
        .get(model)
        .map(|m| {
            m.policy_kinds()
                .iter()
                .map(|(kind, fields)| PolicyKind {
                    kind,
                    fields: fields.to_vec(),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// One `[[policy]]` kind a model accepts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct PolicyKind {
    pub kind: &'static str,
    pub fields: Vec<&'static str>,
}

/// Whether `path` lies in a top-level table other than the model's own section that the
/// scenario does not have.
fn optional_table_absent(path: &str, model: &str, root: &toml::Value) -> bool {
    match path.split_once('.') {
        Some((table, _)) => table != model && root.get(table).is_none(),
        None => false,
    }
}

/// A declared parameter as a control, with the scenario's value or the default.
fn declared(p: &ParamInfo, model: &str, root: &toml::Value) -> ParamDesc {
    let value = lookup(root, p.path).and_then(|v| match v {
        toml::Value::Float(f) => Some(toml::Value::Float(*f).to_string()),
        toml::Value::Integer(_) | toml::Value::Boolean(_) | toml::Value::String(_) => {
            Some(v.to_string())
        }
        _ => None,
    });
    ParamDesc {
        path: p.path.to_string(),
        kind: match p.kind {
            ParamType::Real => "real",
            ParamType::Integer => "integer",
            ParamType::Choice => "choice",
            ParamType::Bool => "bool",
        },
        unit: p.unit.to_string(),
        default: p.default.to_string(),
        min: p.min,
        max: p.max,
        choices: p.choices.iter().map(|c| c.to_string()).collect(),
        doc: p.doc.to_string(),
        set: value.is_some(),
        // An optional table of the model that the scenario leaves out (growth's `[market]`)
        // switches a feature on when present: no value to resend until the user sets one.
        value: match value {
            Some(v) => v,
            None if optional_table_absent(p.path, model, root) => String::new(),
            None => p.default.to_string(),
        },
        section: format!("model: {model}"),
    }
}

/// The value at a dotted path of plain keys (`growth.returns_to_scale`).
fn lookup<'a>(root: &'a toml::Value, path: &str) -> Option<&'a toml::Value> {
    path.split('.').try_fold(root, |v, k| v.get(k))
}

fn walk(v: &toml::Value, path: String, out: &mut Vec<ParamDesc>) {
    let leaf = |kind: &'static str, value: String, out: &mut Vec<ParamDesc>| {
        // The seed has its own field in the page.
        if path == "seed" {
            return;
        }
        // The first segment, with its index (`growth`, `actors[0]`, `compare[1]`); the
        // scenario's own top-level numbers (`replicates`) under `scenario`.
        let section = match path.split_once('.') {
            Some((first, _)) => first.to_string(),
            None => "scenario".to_string(),
        };
        out.push(ParamDesc {
            path: path.clone(),
            kind,
            unit: String::new(),
            default: String::new(),
            min: None,
            max: None,
            choices: Vec::new(),
            doc: String::new(),
            value,
            set: true,
            section,
        });
    };
    match v {
        toml::Value::Integer(i) => leaf("integer", i.to_string(), out),
        toml::Value::Float(f) => leaf("real", toml::Value::Float(*f).to_string(), out),
        toml::Value::Boolean(b) => leaf("bool", b.to_string(), out),
        toml::Value::Table(t) => {
            for (k, v) in t {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                walk(v, p, out);
            }
        }
        toml::Value::Array(a) => {
            // Arrays of tables (actors, policies, variants) have addressable fields;
            // arrays of plain values (a list of values, of groups) are edited as text.
            if a.iter().all(toml::Value::is_table) {
                for (i, v) in a.iter().enumerate() {
                    walk(v, format!("{path}[{i}]"), out);
                }
            }
        }
        toml::Value::String(_) | toml::Value::Datetime(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_become_controls_with_set_paths() {
        let ex = counterweight::scenario::examples::find("core-claim").unwrap();
        let exp = counterweight::scenario::parse(ex.toml, "core-claim", None, &[]).unwrap();
        let params = describe(&exp, counterweight::model::builtin());
        let find = |p: &str| params.iter().find(|d| d.path == p);
        let beta = find("growth.returns_to_scale").expect("returns to scale");
        assert_eq!(beta.kind, "real");
        assert_eq!(beta.value, "1.0");
        assert_eq!(find("actors[0].count").unwrap().kind, "integer");
        assert_eq!(
            find("compare[1].set.growth.returns_to_scale")
                .unwrap()
                .value,
            "1.3"
        );
        assert!(find("seed").is_none(), "the seed has its own field");
        assert_eq!(find("replicates").unwrap().section, "scenario");
        assert_eq!(
            find("compare[1].set.growth.returns_to_scale")
                .unwrap()
                .section,
            "compare[1]: increasing returns"
        );
        // Every path is accepted back as an override.
        for p in &params {
            if p.value.is_empty() {
                continue; // an optional table the scenario leaves out
            }
            let o = format!("{}={}", p.path, p.value);
            counterweight::scenario::parse(ex.toml, "core-claim", None, std::slice::from_ref(&o))
                .unwrap_or_else(|e| panic!("{o}: {e}"));
        }
    }
}
