//! `--set key=value` and `[[compare]]` overrides on the TOML tree of a scenario, and the
//! reverse lookup from a source offset to the field path it belongs to.

use toml::de::{DeTable, DeValue};

use super::span::{Segment, parse_path};

/// Split `growth.spillover=0.2` into the key and a TOML value. The value is read as TOML
/// (numbers, booleans, arrays, inline tables, quoted strings); anything else is taken as
/// a bare string, so `--set name=my-run` works.
pub fn parse_assignment(s: &str) -> Result<(String, toml::Value), String> {
    let (key, raw) = s
        .split_once('=')
        .ok_or_else(|| format!("\"{s}\" is not of the form key=value"))?;
    let key = key.trim();
    if key.is_empty() {
        return Err("the key is empty".into());
    }
    let raw = raw.trim();
    let doc = format!("v = {raw}");
    let value = match toml::from_str::<toml::Table>(&doc) {
        Ok(mut t) => t.remove("v").unwrap_or(toml::Value::String(raw.into())),
        Err(_) => toml::Value::String(raw.to_string()),
    };
    Ok((key.to_string(), value))
}

/// Set the value at a dotted path (`growth.spillover`, `actors[0].count`), creating
/// intermediate tables for plain keys.
pub fn set_path(root: &mut toml::Table, path: &str, value: toml::Value) -> Result<(), String> {
    let segs = parse_path(path);
    let (last, init) = segs.split_last().ok_or("the key is empty")?;
    let mut cur = RefMut::Table(root);
    for seg in init {
        cur = match (cur, seg) {
            (RefMut::Table(t), Segment::Key(k)) => {
                let v = t
                    .entry(k.clone())
                    .or_insert_with(|| toml::Value::Table(toml::Table::new()));
                RefMut::Value(v)
            }
            (RefMut::Value(toml::Value::Table(t)), Segment::Key(k)) => {
                let v = t
                    .entry(k.clone())
                    .or_insert_with(|| toml::Value::Table(toml::Table::new()));
                RefMut::Value(v)
            }
            (RefMut::Value(toml::Value::Array(a)), Segment::Index(i)) => {
                let n = a.len();
                RefMut::Value(
                    a.get_mut(*i)
                        .ok_or_else(|| format!("index {i} is out of range ({n} entries)"))?,
                )
            }
            _ => return Err(format!("`{path}` does not name a field")),
        };
    }
    let table = match cur {
        RefMut::Table(t) => t,
        RefMut::Value(toml::Value::Table(t)) => t,
        RefMut::Value(toml::Value::Array(a)) => {
            if let Segment::Index(i) = last {
                let n = a.len();
                *a.get_mut(*i)
                    .ok_or_else(|| format!("index {i} is out of range ({n} entries)"))? = value;
                return Ok(());
            }
            return Err(format!("`{path}` does not name a field"));
        }
        _ => return Err(format!("`{path}` does not name a field")),
    };
    match last {
        Segment::Key(k) => {
            table.insert(k.clone(), value);
            Ok(())
        }
        Segment::Index(_) => Err(format!("`{path}` does not name a field")),
    }
}

enum RefMut<'a> {
    Table(&'a mut toml::Table),
    Value(&'a mut toml::Value),
}

/// Apply a `[[compare]].set` table: keys with dots or brackets are paths; nested tables
/// merge recursively into existing tables.
pub fn merge(base: &mut toml::Table, set: &toml::Table) -> Result<(), String> {
    for (k, v) in set {
        if k.contains('.') || k.contains('[') {
            set_path(base, k, v.clone())?;
            continue;
        }
        match (base.get_mut(k), v) {
            (Some(toml::Value::Table(bt)), toml::Value::Table(vt)) => merge(bt, vt)?,
            _ => {
                base.insert(k.clone(), v.clone());
            }
        }
    }
    Ok(())
}

/// The field path whose key or value contains the byte `offset` (deepest match).
pub fn path_at(src: &str, offset: usize) -> Option<String> {
    let root = DeTable::parse(src).ok()?;
    find_in_table(root.get_ref(), offset)
}

fn contains(span: std::ops::Range<usize>, offset: usize) -> bool {
    span.start <= offset && offset < span.end.max(span.start + 1)
}

fn find_in_table(t: &DeTable, offset: usize) -> Option<String> {
    for (k, v) in t.iter() {
        if let Some(sub) = find_in_value(v.get_ref(), offset) {
            return Some(format!("{}{sub}", k.get_ref()));
        }
        if contains(k.span(), offset) || contains(v.span(), offset) {
            return Some(k.get_ref().to_string());
        }
    }
    None
}

/// The path suffix (`.key`, `[i]`, ...) below `v` that contains `offset`.
fn find_in_value(v: &DeValue, offset: usize) -> Option<String> {
    match v {
        DeValue::Table(t) => find_in_table(t, offset).map(|p| format!(".{p}")),
        DeValue::Array(a) => a.iter().enumerate().find_map(|(i, item)| {
            find_in_value(item.get_ref(), offset)
                .map(|sub| format!("[{i}]{sub}"))
                .or_else(|| contains(item.span(), offset).then(|| format!("[{i}]")))
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assignments() {
        assert_eq!(
            parse_assignment("a.b=0.5").unwrap(),
            ("a.b".into(), toml::Value::Float(0.5))
        );
        assert_eq!(
            parse_assignment("name=my-run").unwrap().1,
            toml::Value::String("my-run".into())
        );
        let mut t: toml::Table =
            toml::from_str("[growth]\nspillover = 0.0\n[[actors]]\ncount = 1").unwrap();
        set_path(&mut t, "growth.spillover", toml::Value::Float(0.3)).unwrap();
        set_path(&mut t, "actors[0].count", toml::Value::Integer(4)).unwrap();
        assert!(set_path(&mut t, "actors[3].count", toml::Value::Integer(4)).is_err());
        assert_eq!(t["growth"]["spillover"].as_float(), Some(0.3));
        assert_eq!(t["actors"][0]["count"].as_integer(), Some(4));
    }

    #[test]
    fn path_lookup() {
        let src = "name = \"x\"\n[time]\nend = 1.0\ndt = 0.0\n[[actors]]\ngroup = \"a\"\n[[actors]]\ncount = -2\n";
        let off = src.find("-2").unwrap();
        assert_eq!(path_at(src, off).as_deref(), Some("actors[1].count"));
        let off = src.find("0.0").unwrap();
        assert_eq!(path_at(src, off).as_deref(), Some("time.dt"));
    }
}
