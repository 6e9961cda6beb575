//! Edits of the page's scenario text that the controls make, from the registry's metadata
//! (no model is named here): add or remove a model's optional table (growth's `[market]`),
//! add a `[[policy]]` of a declared kind
//! ([`counterweight::registry::PolicyInfo::template_in`]: its fields that name something
//! of the scenario start at names the scenario defines), and *settle* a
//! scenario after a control changed: declared parameters that no longer apply (their
//! `applies_when` conditions fail, e.g. `market.scale` once demand is linear) leave the
//! text and the overrides, and required ones that now apply start at their example
//! value. The text is edited with `toml_edit`, so the user's comments and layout stay.
//! Validation in the library remains the judge of the result.

use serde::Deserialize;
use toml_edit::{DocumentMut, Item};

use counterweight::registry::{ListItem, ModelDef, ParamInfo, ParamType, Registry};

/// What a control asks of the text.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum Edit {
    /// Drop what no longer applies, start what is required (after a control changed).
    Settle,
    /// Add the model's optional table `name` with its required fields at their examples.
    AddTable(String),
    /// Remove the model's optional table `name` (and the overrides inside it).
    RemoveTable(String),
    /// Append a `[[policy]]` of this kind as declared.
    AddPolicy(String),
}

/// The scenario text and overrides after `edit`, or a sentence saying why not.
pub(crate) fn apply(
    registry: &Registry,
    text: &str,
    overrides: &[String],
    edit: &Edit,
) -> Result<(String, Vec<String>), String> {
    let mut doc: DocumentMut = text
        .parse()
        .map_err(|_| "fix the TOML first (see the error)".to_string())?;
    let model_name = overrides
        .iter()
        .rev()
        .find_map(|o| o.strip_prefix("model="))
        .map(|m| m.trim().trim_matches('"').to_string())
        .or_else(|| {
            doc.get("model")
                .and_then(|m| m.as_str())
                .map(str::to_string)
        })
        .unwrap_or_else(|| counterweight::model::DEFAULT.to_string());
    let model = registry
        .get(&model_name)
        .ok_or_else(|| format!("no model \"{model_name}\""))?;
    let mut overrides = overrides.to_vec();
    match edit {
        Edit::Settle => {}
        Edit::AddTable(name) => {
            if !is_optional_table(model, name) {
                return Err(format!(
                    "model = \"{model_name}\" has no optional table [{name}]"
                ));
            }
            if doc.get(name).is_none() {
                doc.insert(name, Item::Table(toml_edit::Table::new()));
            }
            let params = model.params();
            for p in params
                .iter()
                .filter(|p| p.optional_table == Some(name.as_str()))
            {
                if p.default.is_empty() && !p.example.is_empty() && lookup(&doc, p.path).is_none() {
                    let applies = p.applies(&params, |q| value_of(&doc, &overrides, q));
                    if applies {
                        set(&mut doc, p.path, &as_written(p, p.example))?;
                    }
                }
            }
        }
        Edit::RemoveTable(name) => {
            if !is_optional_table(model, name) {
                return Err(format!(
                    "model = \"{model_name}\" has no optional table [{name}]"
                ));
            }
            doc.remove(name);
            overrides.retain(|o| !o.starts_with(&format!("{name}.")));
        }
        Edit::AddPolicy(kind) => {
            let info = model
                .policies()
                .into_iter()
                .find(|k| k.kind == kind)
                .ok_or_else(|| {
                    format!("model = \"{model_name}\" takes no policy of kind \"{kind}\"")
                })?;
            let root: toml::Table = toml::from_str(&doc.to_string()).unwrap_or_default();
            let added: DocumentMut = info
                .template_in(&root)
                .parse()
                .map_err(|e| format!("the template of {kind}: {e}"))?;
            let table = added["policy"]
                .as_array_of_tables()
                .and_then(|a| a.get(0))
                .cloned()
                .ok_or("an empty template")?;
            match doc.get_mut("policy") {
                None => {
                    let mut list = toml_edit::ArrayOfTables::new();
                    list.push(table);
                    doc.insert("policy", Item::ArrayOfTables(list));
                }
                Some(Item::ArrayOfTables(list)) => list.push(table),
                Some(_) => {
                    return Err(
                        "the policies are written inline (policy = [...]): add it in the editor"
                            .into(),
                    );
                }
            }
        }
    }
    settle(model, &mut doc, &mut overrides)?;
    Ok((doc.to_string(), overrides))
}

fn is_optional_table(model: &dyn ModelDef, name: &str) -> bool {
    model
        .params()
        .iter()
        .any(|p| p.optional_table == Some(name))
}

/// Drop the declared parameters that do not apply (from the text and the overrides) and
/// start the required ones that do (as overrides, at their examples), until nothing
/// changes: conditions may depend on each other.
fn settle(
    model: &dyn ModelDef,
    doc: &mut DocumentMut,
    overrides: &mut Vec<String>,
) -> Result<(), String> {
    let params = model.params();
    let plain: Vec<&ParamInfo> = params
        .iter()
        .filter(|p| !p.path.contains('[') && p.path.contains('.'))
        .collect();
    for _ in 0..4 {
        let mut changed = false;
        for p in &plain {
            if p.applies(&params, |q| value_of(doc, overrides, q)) {
                continue;
            }
            if remove(doc, p.path) {
                changed = true;
            }
            let before = overrides.len();
            overrides.retain(|o| key(o) != p.path);
            changed |= overrides.len() != before;
        }
        for p in &plain {
            let table = p.path.split('.').next().unwrap_or_default();
            let table_there = doc.get(table).is_some()
                || overrides
                    .iter()
                    .any(|o| key(o).starts_with(&format!("{table}.")));
            if p.default.is_empty()
                && !p.example.is_empty()
                && table_there
                && value_of(doc, overrides, p.path).is_none()
                && p.applies(&params, |q| value_of(doc, overrides, q))
            {
                overrides.push(format!("{}={}", p.path, as_written(p, p.example)));
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    Ok(())
}

/// The key of an override `key=value`.
fn key(o: &str) -> &str {
    o.split_once('=').map_or(o, |(k, _)| k).trim()
}

/// A parameter's value as TOML text: the last override of it, else the text's.
fn value_of(doc: &DocumentMut, overrides: &[String], path: &str) -> Option<String> {
    overrides
        .iter()
        .rev()
        .find(|o| key(o) == path)
        .and_then(|o| o.split_once('=').map(|(_, v)| v.trim().to_string()))
        .or_else(|| {
            lookup(doc, path).map(|v| {
                // Without its decor (spaces, a trailing comment).
                let mut v = v.clone();
                v.decor_mut().clear();
                v.to_string().trim().to_string()
            })
        })
}

/// A declared value as the page writes it: a real number with a fraction, and so every
/// item of a list of reals (`[1, 2.5]` -> `[1.0, 2.5]`).
pub(crate) fn as_written(p: &ParamInfo, value: &str) -> String {
    let real = |v: &str| {
        let v = v.trim();
        if v.parse::<i64>().is_ok() {
            format!("{v}.0")
        } else {
            v.to_string()
        }
    };
    match p.kind {
        ParamType::Real => real(value),
        ParamType::List {
            of: ListItem::Real, ..
        } => match value
            .trim()
            .strip_prefix('[')
            .and_then(|v| v.strip_suffix(']'))
        {
            Some(items) if !items.trim().is_empty() => {
                let items: Vec<String> = items.split(',').map(real).collect();
                format!("[{}]", items.join(", "))
            }
            _ => value.to_string(),
        },
        _ => value.to_string(),
    }
}

fn lookup<'a>(doc: &'a DocumentMut, path: &str) -> Option<&'a toml_edit::Value> {
    let mut parts = path.split('.');
    let mut item: &Item = doc.get(parts.next()?)?;
    for k in parts {
        item = item.as_table_like()?.get(k)?;
    }
    item.as_value()
}

/// Remove the key at a dotted path; whether it was there.
fn remove(doc: &mut DocumentMut, path: &str) -> bool {
    let Some((head, last)) = path.rsplit_once('.') else {
        return doc.remove(path).is_some();
    };
    let mut parts = head.split('.');
    let Some(mut item) = parts.next().and_then(|k| doc.get_mut(k)) else {
        return false;
    };
    for k in parts {
        match item.as_table_like_mut().and_then(|t| t.get_mut(k)) {
            Some(i) => item = i,
            None => return false,
        }
    }
    item.as_table_like_mut()
        .is_some_and(|t| t.remove(last).is_some())
}

/// Set the key at a dotted path (its tables must exist) to a TOML value.
fn set(doc: &mut DocumentMut, path: &str, value: &str) -> Result<(), String> {
    let parsed: DocumentMut = format!("v = {value}")
        .parse()
        .map_err(|e| format!("{path} = {value}: {e}"))?;
    let v = parsed["v"].clone();
    let (head, last) = path.rsplit_once('.').ok_or("not a table's field")?;
    let mut parts = head.split('.');
    let mut item = parts
        .next()
        .and_then(|k| doc.get_mut(k))
        .ok_or("no such table")?;
    for k in parts {
        item = item
            .as_table_like_mut()
            .and_then(|t| t.get_mut(k))
            .ok_or("no such table")?;
    }
    item.as_table_like_mut()
        .ok_or("not a table")?
        .insert(last, v);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry() -> &'static Registry {
        counterweight::model::builtin()
    }

    fn valid(text: &str, overrides: &[String]) {
        counterweight::scenario::parse(text, "t.toml", None, overrides).unwrap_or_else(|e| {
            panic!(
                "error: {}\n{text}\n{overrides:?}",
                counterweight::diagnostic::scenario(&e)
            )
        });
    }

    #[test]
    fn an_optional_table_is_added_with_its_required_fields_and_removed() {
        let ex = counterweight::scenario::examples::find("core-claim")
            .unwrap()
            .toml;
        let (text, o) = apply(registry(), ex, &[], &Edit::AddTable("market".into())).unwrap();
        assert!(text.contains("[market]\nintercept = 10.0"), "{text}");
        assert!(text.starts_with(&ex[..40]), "the user's text stays");
        valid(&text, &o);
        let (back, o) = apply(registry(), &text, &o, &Edit::RemoveTable("market".into())).unwrap();
        assert!(!back.contains("[market]"));
        valid(&back, &o);
        assert!(apply(registry(), ex, &[], &Edit::AddTable("growth".into())).is_err());
    }

    #[test]
    fn switching_a_condition_drops_what_no_longer_applies_and_starts_what_does() {
        let ex = counterweight::scenario::examples::find("core-claim")
            .unwrap()
            .toml;
        let (text, o) = apply(registry(), ex, &[], &Edit::AddTable("market".into())).unwrap();
        let o2 = [o, vec!["market.demand=\"constant_elasticity\"".to_string()]].concat();
        let (text, o) = apply(registry(), &text, &o2, &Edit::Settle).unwrap();
        assert!(!text.contains("intercept"), "{text}");
        assert!(o.contains(&"market.elasticity=1.5".to_string()), "{o:?}");
        valid(&text, &o);
    }

    #[test]
    fn a_policy_is_added_as_declared() {
        let ex = counterweight::scenario::examples::find("core-claim")
            .unwrap()
            .toml;
        let (text, o) = apply(registry(), ex, &[], &Edit::AddPolicy("wealth_tax".into())).unwrap();
        assert!(text.contains("kind = \"wealth_tax\""), "{text}");
        valid(&text, &o);
        assert!(apply(registry(), ex, &[], &Edit::AddPolicy("nope".into())).is_err());
    }

    #[test]
    fn a_list_of_reals_is_written_with_fractions() {
        let p = ParamInfo::list("a.b", ListItem::Real, None, None, "", "");
        assert_eq!(as_written(&p, "[1, 2.5, -3]"), "[1.0, 2.5, -3.0]");
        assert_eq!(as_written(&p, "[]"), "[]");
        let p = ParamInfo::list("a.b", ListItem::Integer, None, None, "", "");
        assert_eq!(as_written(&p, "[1, 2]"), "[1, 2]");
    }
}
