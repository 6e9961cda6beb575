//! The registry's declared parameters and policy kinds agree with validation, the one
//! source of truth: for every built-in model, its embedded example with each declared
//! parameter set to its declared default (or example value) under the conditions that
//! make it apply validates; so does the example with each declared policy kind added as a
//! dashboard adds it ([`PolicyInfo::template_in`]: names of the scenario filled in). A
//! declared list is read by validation as an array of its item type, and a declared name
//! source lists the names validation accepts.

use std::collections::BTreeMap;

use counterweight::registry::{ListItem, ModelDef, ParamInfo, ParamType, PolicyInfo};
use counterweight::scenario::{self, examples};

/// The first embedded example of `model`, without its `[[compare]]` variants (which may
/// change the very parameters under test).
fn base(model: &str) -> toml::Table {
    let ex = examples::EXAMPLES
        .iter()
        .find(|e| {
            let t: toml::Table = e.toml.parse().unwrap();
            t.get("model")
                .and_then(|m| m.as_str())
                .unwrap_or(counterweight::model::DEFAULT)
                == model
        })
        .unwrap_or_else(|| panic!("no embedded example of {model}"));
    let mut t: toml::Table = ex.toml.parse().unwrap();
    t.remove("compare");
    t
}

/// A declared value as an override writes it: a real number always with a fraction (as
/// the laboratory sends it), so a parameter declared real must take one.
fn as_written(p: &ParamInfo, value: &str) -> String {
    if p.kind == ParamType::Real && value.parse::<i64>().is_ok() {
        format!("{value}.0")
    } else {
        value.to_string()
    }
}

/// The words of a condition's value as TOML text for the parameter it names.
fn condition_value(params: &[ParamInfo], param: &str, word: &str) -> String {
    match params.iter().find(|p| p.path == param).map(|p| p.kind) {
        Some(ParamType::Choice) | Some(ParamType::Text) => format!("\"{word}\""),
        _ => word.to_string(),
    }
}

fn lookup<'a>(t: &'a toml::Table, path: &str) -> Option<&'a toml::Value> {
    let mut parts = path.split('.');
    let mut v = t.get(parts.next()?)?;
    for k in parts {
        v = v.get(k)?;
    }
    Some(v)
}

fn remove(t: &mut toml::Table, path: &str) {
    if let Some((head, last)) = path.rsplit_once('.') {
        let mut v = t.get_mut(head.split('.').next().unwrap());
        for k in head.split('.').skip(1) {
            v = v.and_then(|v| v.get_mut(k));
        }
        if let Some(toml::Value::Table(inner)) = v {
            inner.remove(last);
        }
    } else {
        t.remove(path);
    }
}

/// The scenario `t` with `set` (path → TOML text) applied as overrides, after removing the
/// declared parameters that no longer apply and adding, with their example values, those
/// that are required and now apply: what a dashboard does when the user changes a value.
fn settle(
    model: &dyn ModelDef,
    mut t: toml::Table,
    mut set: BTreeMap<String, String>,
) -> (String, Vec<String>) {
    let params = model.params();
    let plain = |p: &str| !p.contains('[');
    for _ in 0..4 {
        let value_of = |t: &toml::Table, set: &BTreeMap<String, String>, path: &str| {
            set.get(path)
                .cloned()
                .or_else(|| lookup(t, path).map(|v| v.to_string()))
        };
        for p in params.iter().filter(|p| plain(p.path)) {
            let applies = p.applies(&params, |q| value_of(&t, &set, q));
            if !applies {
                remove(&mut t, p.path);
                set.remove(p.path);
            }
        }
        for p in params.iter().filter(|p| plain(p.path)) {
            let table_there = p.optional_table.is_none_or(|tab| {
                t.contains_key(tab) || set.keys().any(|k| k.starts_with(&format!("{tab}.")))
            });
            if p.default.is_empty()
                && !p.example.is_empty()
                && table_there
                && value_of(&t, &set, p.path).is_none()
                && p.applies(&params, |q| value_of(&t, &set, q))
            {
                set.insert(p.path.to_string(), as_written(p, p.example));
            }
        }
    }
    let overrides = set.iter().map(|(k, v)| format!("{k}={v}")).collect();
    (toml::to_string(&t).unwrap(), overrides)
}

/// The overrides that make `p`'s conditions hold (and those of the parameters they name).
fn conditions(params: &[ParamInfo], p: &ParamInfo, set: &mut BTreeMap<String, String>) {
    for c in &p.applies_when {
        set.insert(
            c.param.to_string(),
            condition_value(params, c.param, c.values[0]),
        );
        if let Some(q) = params.iter().find(|q| q.path == c.param) {
            conditions(params, q, set);
        }
    }
}

/// Required fields declared without an example because a valid value depends on the
/// scenario at hand (block sizes summing to its number of actors): an error naming one of
/// them is not the declared value's fault.
const UNDECLARED: &[&str] = &["network.blocks"];

#[test]
fn every_declared_default_is_valid_where_it_applies() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for model in counterweight::model::builtin().models() {
        let params = model.params();
        for p in &params {
            let value = p.start_value();
            if value.is_empty() {
                continue; // derived from the scenario (a reference scale, a snapshot)
            }
            let mut set = BTreeMap::new();
            conditions(&params, p, &mut set);
            set.insert(p.path.to_string(), as_written(p, value));
            let (text, overrides) = settle(model, base(model.name()), set);
            match scenario::parse(&text, "declared.toml", None, &overrides) {
                Ok(_) => {}
                Err(e) if e.field.as_deref().is_some_and(|f| UNDECLARED.contains(&f)) => {}
                // A graph's degree is bounded by its number of nodes: the adoption model's
                // graph is over its platforms (4 in its example), fewer than a default degree
                // of 4 needs. That is the example's size, not the declared value's fault.
                Err(e)
                    if model.name() == "adoption"
                        && matches!(
                            e.field.as_deref(),
                            Some("network.k" | "network.mean_degree")
                        ) => {}
                Err(e) => failures.push(format!(
                    "{}: {} = {value} does not validate under its conditions {:?}:\n{}\noverrides: {overrides:?}",
                    model.name(),
                    p.path,
                    p.applies_when,
                    counterweight::diagnostic::scenario(&e)
                )),
            }
            checked += 1;
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(checked > 40, "only {checked} parameters checked");
}

#[test]
fn every_declared_policy_kind_is_accepted_as_a_dashboard_adds_it() {
    let mut checked = 0;
    for model in counterweight::model::builtin().models() {
        let declared: Vec<(&str, Vec<&str>)> = model
            .policies()
            .iter()
            .map(|k| (k.kind, k.fields.iter().map(|f| f.path).collect()))
            .collect();
        let kinds: Vec<(&str, Vec<&str>)> = model
            .policy_kinds()
            .iter()
            .map(|(k, f)| (*k, f.to_vec()))
            .collect();
        assert_eq!(
            declared,
            kinds,
            "{}: policies() and policy_kinds() differ",
            model.name()
        );
        let params = model.params();
        for kind in model.policies() {
            let mut set = BTreeMap::new();
            for c in &kind.applies_when {
                set.insert(
                    c.param.to_string(),
                    condition_value(&params, c.param, c.values[0]),
                );
            }
            let mut t = base(model.name());
            let added: toml::Table = kind.template_in(&t).parse().unwrap();
            let policy = added["policy"].as_array().unwrap()[0].clone();
            let list = t
                .entry("policy")
                .or_insert_with(|| toml::Value::Array(Vec::new()));
            let index = list.as_array().map_or(0, Vec::len);
            list.as_array_mut().unwrap().push(policy);
            let (text, overrides) = settle(model, t.clone(), set);
            match scenario::parse(&text, "declared.toml", None, &overrides) {
                Ok(_) => {}
                // A field that names something of the scenario has no example: the user
                // fills it in, and validation names it.
                Err(e) if needs_a_name(&kind, &t, index, e.field.as_deref()) => {}
                Err(e) => panic!(
                    "{}: policy {} as added does not validate:\n{}\n{text}",
                    model.name(),
                    kind.kind,
                    counterweight::diagnostic::scenario(&e)
                ),
            }
            checked += 1;
        }
    }
    assert!(checked >= 10, "only {checked} policy kinds checked");
}

/// A required name the scenario `t` cannot supply (its names come from elsewhere, e.g. a
/// snapshot's providers): the user types it in, and validation names it.
fn needs_a_name(kind: &PolicyInfo, t: &toml::Table, index: usize, field: Option<&str>) -> bool {
    kind.fields.iter().any(|f| {
        f.kind == ParamType::Text
            && f.start_value().is_empty()
            && f.names.is_none_or(|n| n.names(t).is_empty())
            && field == Some(&format!("policy[{index}].{}", f.path))
    })
}

/// Every declared list is an array of its item type to validation: `min_len` items at the
/// declared minimum (or 1) get past deserialization (validation may still want another
/// length or sum for this scenario, but never another type), and a list holding a word
/// is refused at the parameter.
#[test]
fn every_declared_list_is_read_as_an_array_of_its_items() {
    let mut checked = 0;
    for model in counterweight::model::builtin().models() {
        let params = model.params();
        for p in &params {
            let ParamType::List {
                of,
                min_len,
                max_len,
            } = p.kind
            else {
                continue;
            };
            assert!(max_len.is_none_or(|m| m >= min_len.max(1)), "{}", p.path);
            let item = p.min.unwrap_or(1.0).max(1.0);
            let item = match of {
                ListItem::Integer => format!("{}", item as i64),
                ListItem::Real => format!("{item:?}"),
            };
            let list = format!("[{}]", vec![item; min_len.max(1)].join(", "));
            let mut set = BTreeMap::new();
            conditions(&params, p, &mut set);
            set.insert(p.path.to_string(), list.clone());
            let (text, overrides) = settle(model, base(model.name()), set.clone());
            if let Err(e) = scenario::parse(&text, "declared.toml", None, &overrides) {
                assert!(
                    !e.message.contains("invalid type"),
                    "{}: {} = {list}: {}",
                    model.name(),
                    p.path,
                    counterweight::diagnostic::scenario(&e)
                );
            }
            set.insert(p.path.to_string(), "[1, \"x\"]".to_string());
            let (text, overrides) = settle(model, base(model.name()), set);
            let e = scenario::parse(&text, "declared.toml", None, &overrides)
                .expect_err("a word in a list of numbers");
            let field = e.field.clone().unwrap_or_default();
            assert!(
                field.starts_with(p.path) || e.message.contains(p.path.rsplit('.').next().unwrap()),
                "{}: {} = [1, \"x\"] is refused elsewhere: {}",
                model.name(),
                p.path,
                counterweight::diagnostic::scenario(&e)
            );
            checked += 1;
        }
    }
    assert!(checked >= 3, "only {checked} lists checked");
}

/// A policy field's name source lists exactly what validation accepts there: each name
/// the example defines validates, a name it does not define is refused at the field.
#[test]
fn declared_names_are_the_names_validation_accepts() {
    let mut checked = 0;
    for model in counterweight::model::builtin().models() {
        for kind in model.policies() {
            for f in kind.fields.iter().filter(|f| f.names.is_some()) {
                let t = base(model.name());
                let names = f.names.unwrap().names(&t);
                for name in names.iter().map(String::as_str).chain(["no such name"]) {
                    let mut t = t.clone();
                    let mut policy: toml::Table =
                        kind.template_in(&t).parse::<toml::Table>().unwrap()["policy"][0]
                            .as_table()
                            .unwrap()
                            .clone();
                    policy.insert(f.path.to_string(), toml::Value::String(name.into()));
                    let list = t
                        .entry("policy")
                        .or_insert_with(|| toml::Value::Array(Vec::new()));
                    let index = list.as_array().map_or(0, Vec::len);
                    list.as_array_mut()
                        .unwrap()
                        .push(toml::Value::Table(policy));
                    let text = toml::to_string(&t).unwrap();
                    let r = scenario::parse(&text, "names.toml", None, &[]);
                    let field = format!("policy[{index}].{}", f.path);
                    match (name, r) {
                        ("no such name", Ok(_)) => {
                            panic!("{}: {field} = \"no such name\" validates", model.name())
                        }
                        ("no such name", Err(e)) => {
                            assert_eq!(e.field.as_deref(), Some(field.as_str()), "{e}")
                        }
                        (_, Err(e)) => panic!(
                            "{}: {field} = {name:?} (a name the scenario defines) is refused:\n{}",
                            model.name(),
                            counterweight::diagnostic::scenario(&e)
                        ),
                        (_, Ok(_)) => {}
                    }
                    checked += 1;
                }
            }
        }
    }
    assert!(checked >= 4, "only {checked} names checked");
}

#[test]
fn set_policies_name_the_parameters_that_can_change() {
    let growth = counterweight::model::builtin().get("growth").unwrap();
    let set = growth
        .policies()
        .into_iter()
        .find(|k| k.kind == "set")
        .unwrap();
    let param = set.fields.iter().find(|f| f.path == "param").unwrap();
    let all: Vec<&str> = counterweight::model::growth::GrowthParam::ALL
        .iter()
        .map(|g| g.path())
        .collect();
    assert_eq!(param.choices, all.as_slice());
}
