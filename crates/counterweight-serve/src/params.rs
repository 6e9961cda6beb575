//! The controls of the laboratory: one description per parameter, from which the page
//! generates sliders (bounded numbers), inputs (other numbers), toggles (booleans) and
//! menus (choices). The page sends a changed control back as an override
//! `path=value`, exactly as `counterweight run --set path=value`.

use serde::Serialize;

use counterweight::registry::{Condition, ModelDef, ParamInfo, ParamType, PolicyInfo, Registry};
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
    /// Whether it applies to the scenario as it stands (the registry's `applies_when`
    /// conditions hold): a control that does not is disabled.
    pub applies: bool,
    /// Its conditions in words ("" when it always applies).
    pub when: String,
    /// The model's optional table it lives in (growth's `market`), if any.
    pub table: Option<String>,
    /// Whether that table is in the scenario (the page offers to add it otherwise).
    pub table_present: bool,
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
    let def = registry.get(model);
    let params = def.map(|m| m.params()).unwrap_or_default();
    let mut out: Vec<ParamDesc> = params
        .iter()
        .map(|p| declared(p, &params, model, &root))
        .collect();
    let mut rest = Vec::new();
    walk(&root, String::new(), &mut rest);
    rest.retain(|r| !out.iter().any(|d| d.path == r.path));
    // A policy's fields get their kind's declaration (doc line, unit, range, default).
    if let Some(def) = def {
        let kinds = def.policies();
        for r in &mut rest {
            decorate_policy_field(r, &kinds, &root);
        }
    }
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
    let params = model.params();
    params
        .iter()
        .map(|p| declared(p, &params, model.name(), &empty))
        .collect()
}

/// A policy kind's declared fields as controls with their defaults.
pub(crate) fn declared_fields(fields: &[ParamInfo]) -> Vec<ParamDesc> {
    let empty = toml::Value::Table(toml::Table::new());
    fields
        .iter()
        .map(|f| declared(f, fields, "policy", &empty))
        .collect()
}

/// The model's optional tables (growth's `market`, `network`) and whether the scenario has
/// each.
pub(crate) fn optional_tables(exp: &Experiment, registry: &Registry) -> Vec<TableDesc> {
    let Ok(root) = exp.resolved_toml.parse::<toml::Table>() else {
        return Vec::new();
    };
    let model = exp.variants[0].scenario.model.name();
    let mut out: Vec<TableDesc> = Vec::new();
    for p in registry.get(model).map(|m| m.params()).unwrap_or_default() {
        if let Some(t) = p.optional_table
            && !out.iter().any(|d| d.name == t)
        {
            out.push(TableDesc {
                name: t,
                present: root.contains_key(t),
            });
        }
    }
    out
}

/// An optional table of the model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct TableDesc {
    pub name: &'static str,
    pub present: bool,
}

/// Conditions in words: `market.demand = "linear"`, joined by "and".
fn when(conditions: &[Condition]) -> String {
    conditions
        .iter()
        .map(Condition::describe)
        .collect::<Vec<_>>()
        .join(" and ")
}

fn kind_word(k: ParamType) -> &'static str {
    match k {
        ParamType::Real => "real",
        ParamType::Integer => "integer",
        ParamType::Choice => "choice",
        ParamType::Bool => "bool",
        ParamType::Text => "text",
    }
}

/// Fill a policy field's control (`policy[2].rate`) from its kind's declaration.
fn decorate_policy_field(d: &mut ParamDesc, kinds: &[PolicyInfo], root: &toml::Value) {
    let Some((head, field)) = d.path.split_once("].") else {
        return;
    };
    let Some(i) = head
        .strip_prefix("policy[")
        .and_then(|i| i.parse::<usize>().ok())
    else {
        return;
    };
    let kind = root
        .get("policy")
        .and_then(|p| p.get(i))
        .and_then(|p| p.get("kind"))
        .and_then(|k| k.as_str());
    let Some(f) = kind
        .and_then(|k| kinds.iter().find(|x| x.kind == k))
        .and_then(|k| k.fields.iter().find(|f| f.path == field))
    else {
        return;
    };
    d.unit = f.unit.to_string();
    d.default = f.default.to_string();
    d.min = f.min;
    d.max = f.max;
    d.doc = f.doc.to_string();
    if let Some(k) = kind {
        d.section = format!("{}: {k}", d.section);
    }
}

/// The kinds of `[[policy]]` the experiment's model accepts, with their fields.
pub(crate) fn policy_kinds(exp: &Experiment, registry: &Registry) -> Vec<PolicyKind> {
    let model = exp.variants[0].scenario.model.name();
    let root = exp
        .resolved_toml
        .parse::<toml::Table>()
        .map(toml::Value::Table)
        .unwrap_or(toml::Value::Table(toml::Table::new()));
    let Some(m) = registry.get(model) else {
        return Vec::new();
    };
    let params = m.params();
    m.policies()
        .iter()
        .map(|k| PolicyKind {
            kind: k.kind,
            doc: k.doc,
            fields: k.fields.iter().map(|f| f.path).collect(),
            groups: k.groups,
            applies: k.applies_when.iter().all(|c| {
                let v = lookup(&root, c.param)
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| {
                        params
                            .iter()
                            .find(|p| p.path == c.param)
                            .map_or(String::new(), |p| p.default.to_string())
                    });
                c.holds(&v)
            }),
            when: when(&k.applies_when),
        })
        .collect()
}

/// One `[[policy]]` kind a model accepts, as declared.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct PolicyKind {
    pub kind: &'static str,
    pub doc: &'static str,
    pub fields: Vec<&'static str>,
    /// Whether it takes `groups`.
    pub groups: bool,
    /// Whether it applies to the scenario as it stands.
    pub applies: bool,
    pub when: String,
}

/// A declared parameter as a control, with the scenario's value or the default.
fn declared(p: &ParamInfo, params: &[ParamInfo], model: &str, root: &toml::Value) -> ParamDesc {
    let table_present = p.optional_table.is_none_or(|t| root.get(t).is_some());
    let value = lookup(root, p.path).and_then(|v| match v {
        toml::Value::Float(f) => Some(toml::Value::Float(*f).to_string()),
        toml::Value::Integer(_) | toml::Value::Boolean(_) | toml::Value::String(_) => {
            Some(v.to_string())
        }
        _ => None,
    });
    let applies = p.applies(params, |q| lookup(root, q).map(|v| v.to_string()));
    ParamDesc {
        path: p.path.to_string(),
        kind: kind_word(p.kind),
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
            None if !table_present => String::new(),
            None => p.default.to_string(),
        },
        section: match p.optional_table {
            Some(t) => format!("[{t}] (optional)"),
            None => format!("model: {model}"),
        },
        applies,
        when: when(&p.applies_when),
        table: p.optional_table.map(str::to_string),
        table_present,
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
            applies: true,
            when: String::new(),
            table: None,
            table_present: true,
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
            if p.value.is_empty() || !p.applies {
                // An optional table the scenario leaves out, or a parameter of another
                // setting (the adaptive integrator's `rtol` under `integrator = "euler"`).
                continue;
            }
            let o = format!("{}={}", p.path, p.value);
            counterweight::scenario::parse(ex.toml, "core-claim", None, std::slice::from_ref(&o))
                .unwrap_or_else(|e| panic!("{o}: {e}"));
        }
    }
}
