//! The controls of the laboratory: one description per parameter, from which the page
//! generates sliders (bounded numbers), inputs (other numbers), toggles (booleans),
//! menus (choices, and names of things the scenario defines) and list inputs (arrays of
//! numbers). The page sends a changed control back as an override `path=value` (a list as
//! a TOML array, `path=[50, 50]`), exactly as `counterweight run --set path=value`.

use serde::Serialize;

use counterweight::registry::{
    Condition, ListItem, ModelDef, ParamInfo, ParamType, PolicyInfo, Registry,
};
use counterweight::scenario::Experiment;

/// One control. The fields follow the model registry's declared parameters (path, type,
/// unit, default, valid range, choices, doc line) plus the scenario's current value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct ParamDesc {
    /// The scenario path, e.g. `growth.returns_to_scale` (what `--set` takes).
    pub path: String,
    /// `real`, `integer`, `bool`, `choice`, `list` (an array of numbers: see `item`),
    /// `name` (one of `choices`, the names the scenario defines) or `text`.
    pub kind: &'static str,
    /// For a `list`: the items' type, `real` or `integer` ("" otherwise).
    pub item: &'static str,
    /// For a `list`: the fewest and the most items (`None`: unbounded).
    pub min_len: Option<usize>,
    pub max_len: Option<usize>,
    /// Whether leaving it out is valid although it has no default (a `name` control then
    /// offers "absent").
    pub optional: bool,
    /// The unit in words ("" when unit-free or unknown).
    pub unit: String,
    /// The default as TOML text ("" when unknown or required).
    pub default: String,
    /// The valid range (of every item, for a `list`).
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// A `choice`'s words, or a `name`'s names as defined in the scenario now.
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
    // A policy's fields get their kind's declaration (doc line, unit, range, default), and
    // its fields that name something of the scenario get menus of those names.
    if let Some(def) = def {
        let kinds = def.policies();
        for r in &mut rest {
            decorate_policy_field(r, &kinds, &root);
        }
        policy_names(&kinds, &root, &mut rest);
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

/// The control a declared parameter gets (see [`ParamDesc::kind`]).
fn kind_word(p: &ParamInfo) -> &'static str {
    match p.kind {
        ParamType::Real => "real",
        ParamType::Integer => "integer",
        ParamType::Choice => "choice",
        ParamType::Bool => "bool",
        ParamType::Text if p.names.is_some() => "name",
        ParamType::Text => "text",
        ParamType::List { .. } => "list",
    }
}

/// A declared list's item type and length bounds (`("", None, None)` for other kinds).
fn list_shape(k: ParamType) -> (&'static str, Option<usize>, Option<usize>) {
    match k {
        ParamType::List {
            of,
            min_len,
            max_len,
        } => (
            match of {
                ListItem::Real => "real",
                ListItem::Integer => "integer",
            },
            Some(min_len),
            max_len,
        ),
        _ => ("", None, None),
    }
}

/// A control for every declared field of every `[[policy]]` that names something of the
/// scenario (`force`, `by`, `provider`), written or not: a menu of the names the scenario
/// defines ([`counterweight::registry::NameSource`]), placed after that policy's other
/// fields. Its value is the quoted name, or "" when the policy leaves it out.
fn policy_names(kinds: &[PolicyInfo], root: &toml::Value, out: &mut Vec<ParamDesc>) {
    let toml::Value::Table(table) = root else {
        return;
    };
    let Some(policies) = root.get("policy").and_then(toml::Value::as_array) else {
        return;
    };
    for (i, block) in policies.iter().enumerate() {
        let Some(kind) = block
            .get("kind")
            .and_then(|k| k.as_str())
            .and_then(|k| kinds.iter().find(|x| x.kind == k))
        else {
            continue;
        };
        for f in kind.fields.iter().filter(|f| f.names.is_some()) {
            let path = format!("policy[{i}].{}", f.path);
            if out.iter().any(|d| d.path == path) {
                continue;
            }
            let value = block.get(f.path).map(|v| v.to_string());
            let mut d = declared(f, &kind.fields, "policy", root);
            d.path = path;
            d.section = format!("policy[{i}]: {}", kind.kind);
            d.set = value.is_some();
            d.value = value.unwrap_or_default();
            d.choices = f.names.map(|n| n.names(table)).unwrap_or_default();
            let at = out
                .iter()
                .rposition(|d| d.path.starts_with(&format!("policy[{i}]")))
                .map_or(out.len(), |k| k + 1);
            out.insert(at, d);
        }
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
    if d.kind == "list" && matches!(f.kind, ParamType::List { .. }) {
        (d.item, d.min_len, d.max_len) = list_shape(f.kind);
    }
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
        // A list of numbers as TOML writes it: `[50, 50]`.
        toml::Value::Array(a) if a.iter().all(is_number) => Some(v.to_string()),
        _ => None,
    });
    let applies = p.applies(params, |q| lookup(root, q).map(|v| v.to_string()));
    let (item, min_len, max_len) = list_shape(p.kind);
    let table = match root {
        toml::Value::Table(t) => Some(t),
        _ => None,
    };
    ParamDesc {
        path: p.path.to_string(),
        kind: kind_word(p),
        item,
        min_len,
        max_len,
        optional: p.optional,
        unit: p.unit.to_string(),
        default: p.default.to_string(),
        min: p.min,
        max: p.max,
        choices: match (p.names, table) {
            (Some(n), Some(t)) => n.names(t),
            _ => p.choices.iter().map(|c| c.to_string()).collect(),
        },
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

fn is_number(v: &toml::Value) -> bool {
    matches!(v, toml::Value::Integer(_) | toml::Value::Float(_))
}

/// The value at a dotted path of plain keys (`growth.returns_to_scale`).
fn lookup<'a>(root: &'a toml::Value, path: &str) -> Option<&'a toml::Value> {
    path.split('.').try_fold(root, |v, k| v.get(k))
}

fn walk(v: &toml::Value, path: String, out: &mut Vec<ParamDesc>) {
    let leaf = |kind: &'static str, item: &'static str, value: String, out: &mut Vec<ParamDesc>| {
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
            item,
            min_len: (kind == "list").then_some(0),
            max_len: None,
            optional: false,
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
        toml::Value::Integer(i) => leaf("integer", "", i.to_string(), out),
        toml::Value::Float(f) => leaf("real", "", toml::Value::Float(*f).to_string(), out),
        toml::Value::Boolean(b) => leaf("bool", "", b.to_string(), out),
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
            // Arrays of tables (actors, policies, variants) have addressable fields; a
            // non-empty array of numbers (an actor group's `initial.values`) is a list
            // control, of integers when every item is one; other arrays (of names, of
            // rows) are edited as text.
            if a.iter().all(toml::Value::is_table) {
                for (i, v) in a.iter().enumerate() {
                    walk(v, format!("{path}[{i}]"), out);
                }
            } else if !a.is_empty() && a.iter().all(is_number) {
                let item = if a.iter().all(toml::Value::is_integer) {
                    "integer"
                } else {
                    "real"
                };
                leaf("list", item, v.to_string(), out);
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

    fn controls(example: &str, overrides: &[String]) -> Vec<ParamDesc> {
        let ex = counterweight::scenario::examples::find(example).unwrap();
        let exp = counterweight::scenario::parse(ex.toml, example, None, overrides)
            .unwrap_or_else(|e| panic!("{}", counterweight::diagnostic::scenario(&e)));
        describe(&exp, counterweight::model::builtin())
    }

    #[test]
    fn a_declared_list_becomes_a_list_control_that_takes_a_toml_array_back() {
        let params = controls("lock-in", &[]);
        let find = |p: &str| params.iter().find(|d| d.path == p).cloned();
        let initial = find("adoption.initial").expect("the declared list");
        assert_eq!(
            (initial.kind, initial.item, initial.min_len, initial.max_len),
            ("list", "integer", Some(1), None)
        );
        assert_eq!(initial.value, "[10, 10, 10, 10]");
        assert_eq!(initial.min, Some(0.0));
        assert!(initial.set && initial.section.starts_with("model: adoption"));
        // Declared but left out: an empty list control (the default is derived).
        let quality = find("adoption.quality").expect("the declared list");
        assert_eq!((quality.kind, quality.item), ("list", "real"));
        assert_eq!((quality.value.as_str(), quality.set), ("", false));
        // What the page sends back is an override the library takes, and the control
        // shows it.
        let params = controls("lock-in", &["adoption.initial=[40, 10, 10, 10]".into()]);
        let initial = params
            .iter()
            .find(|d| d.path == "adoption.initial")
            .unwrap();
        assert_eq!(initial.value, "[40, 10, 10, 10]");
        // The declared list is its only control (not also an undeclared one).
        assert_eq!(
            params
                .iter()
                .filter(|d| d.path == "adoption.initial")
                .count(),
            1
        );
    }

    #[test]
    fn an_undeclared_array_of_numbers_is_a_list_control_and_other_arrays_are_not() {
        // cournot: `initial = { values = [9.5] }` in an actor group.
        let params = controls("cournot", &[]);
        let values = params
            .iter()
            .find(|d| d.path.ends_with("initial.values"))
            .expect("the actors' initial values");
        assert_eq!((values.kind, values.item), ("list", "real"));
        let n = values.value.split(',').count();
        assert!(values.value.starts_with('[') && values.value.contains('.'));
        // Sent back as integers, shown as the resolved scenario writes them (reals).
        let ints: Vec<String> = (1..=n).map(|i| i.to_string()).collect();
        let reals: Vec<String> = (1..=n).map(|i| format!("{i}.0")).collect();
        let params = controls(
            "cournot",
            &[format!("{}=[{}]", values.path, ints.join(", "))],
        );
        let values = params.iter().find(|d| d.path == values.path).unwrap();
        assert_eq!(values.value, format!("[{}]", reals.join(", ")));
        // A list of names (a policy's groups) is not a number list.
        let params = controls("cheetah-and-tortoise", &[]);
        assert!(
            params.iter().all(|d| !d.path.ends_with("groups")),
            "{:?}",
            params.iter().map(|d| &d.path).collect::<Vec<_>>()
        );
    }

    #[test]
    fn every_declared_kind_maps_to_its_control() {
        let registry = counterweight::model::builtin();
        let mut kinds = std::collections::BTreeSet::new();
        for m in registry.models() {
            let declared = m.params();
            let descs = declared_list(m);
            for (p, d) in declared.iter().zip(&descs) {
                let want = match p.kind {
                    ParamType::Real => "real",
                    ParamType::Integer => "integer",
                    ParamType::Choice => "choice",
                    ParamType::Bool => "bool",
                    ParamType::Text if p.names.is_some() => "name",
                    ParamType::Text => "text",
                    ParamType::List { .. } => "list",
                };
                assert_eq!(d.kind, want, "{}", p.path);
                assert_eq!(d.item.is_empty(), want != "list", "{}", p.path);
                assert_eq!(d.min_len.is_some(), want == "list", "{}", p.path);
                kinds.insert(d.kind);
            }
            for k in m.policies() {
                for (f, d) in k.fields.iter().zip(declared_fields(&k.fields)) {
                    assert_eq!(d.optional, f.optional, "{}.{}", k.kind, f.path);
                    kinds.insert(d.kind);
                }
            }
        }
        // network.blocks is a list of integers of at least one item, each >= 1.
        let opinion = registry.get("opinion").unwrap();
        let blocks = declared_list(opinion)
            .into_iter()
            .find(|d| d.path == "network.blocks")
            .expect("network.blocks declared");
        assert_eq!(
            (blocks.kind, blocks.item, blocks.min, blocks.min_len),
            ("list", "integer", Some(1.0), Some(1))
        );
        assert_eq!(blocks.when, "network.kind = \"sbm\"");
        for k in ["real", "integer", "choice", "bool", "list", "name"] {
            assert!(
                kinds.contains(k),
                "no built-in parameter of kind {k}: {kinds:?}"
            );
        }
    }

    #[test]
    fn a_policy_field_that_names_a_force_offers_the_scenarios_forces() {
        let ex = counterweight::scenario::examples::find("three-forces")
            .unwrap()
            .toml;
        let registry = counterweight::model::builtin();
        let (text, o) = crate::edit::apply(
            registry,
            ex,
            &[],
            &crate::edit::Edit::AddPolicy("check".into()),
        )
        .unwrap();
        // Added with distinct forces of the scenario, so it validates as added.
        assert!(
            text.contains("force = \"state\"\nby = \"business\""),
            "{text}"
        );
        let exp = counterweight::scenario::parse(&text, "t.toml", None, &o)
            .unwrap_or_else(|e| panic!("{}", counterweight::diagnostic::scenario(&e)));
        let params = describe(&exp, registry);
        let force = params
            .iter()
            .find(|d| d.path == "policy[0].force")
            .expect("a control for the force");
        assert_eq!(force.kind, "name");
        assert_eq!(force.choices, ["state", "business", "civic"]);
        assert_eq!(force.value, "\"state\"");
        assert!(force.set && !force.optional);
        assert_eq!(force.section, "policy[0]: check");
        // Placed with its policy's other fields.
        let at = |p: &str| params.iter().position(|d| d.path == p).unwrap();
        assert_eq!(at("policy[0].by"), at("policy[0].force") + 1);
        assert!(at("policy[0].value").abs_diff(at("policy[0].force")) <= 2);
        // Another force, sent back as the page sends it, is taken.
        let o2 = [o, vec!["policy[0].force=\"civic\"".to_string()]].concat();
        let exp = counterweight::scenario::parse(&text, "t.toml", None, &o2).unwrap();
        let force = describe(&exp, registry)
            .into_iter()
            .find(|d| d.path == "policy[0].force")
            .unwrap();
        assert_eq!(force.value, "\"civic\"");
    }

    #[test]
    fn a_providers_name_left_out_is_an_optional_name_control() {
        let ex = counterweight::scenario::examples::find("staking-operators")
            .unwrap()
            .toml;
        let registry = counterweight::model::builtin();
        let (text, o) = crate::edit::apply(
            registry,
            ex,
            &[],
            &crate::edit::Edit::AddPolicy("self_limit".into()),
        )
        .unwrap();
        assert_eq!(
            text.matches("provider =").count(),
            ex.matches("provider =").count(),
            "an optional name is not filled in:\n{text}"
        );
        let exp = counterweight::scenario::parse(&text, "t.toml", None, &o)
            .unwrap_or_else(|e| panic!("{}", counterweight::diagnostic::scenario(&e)));
        let root: toml::Table = text.parse().unwrap();
        let n = root["policy"]
            .as_array()
            .unwrap()
            .iter()
            .position(|p| p["kind"].as_str() == Some("self_limit"))
            .unwrap();
        let provider = describe(&exp, registry)
            .into_iter()
            .find(|d| d.path == format!("policy[{n}].provider"))
            .expect("a control for the provider");
        assert_eq!(provider.kind, "name");
        assert!(provider.optional, "{provider:?}");
        assert!(!provider.set && provider.value.is_empty(), "{provider:?}");
        let names: Vec<String> = root["staking"]["providers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap().to_string())
            .collect();
        assert!(!names.is_empty());
        assert_eq!(provider.choices, names);
    }
}
