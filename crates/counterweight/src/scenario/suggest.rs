//! "Did you mean": the closest known name to a mistyped one, for errors.
//!
//! * [`example_name`]: an embedded example close to what was typed (`core_claim` ->
//!   `core-claim`);
//! * [`field_path`]: the full path of a scenario field (`returns_to_scale` ->
//!   `growth.returns_to_scale`), searched over every field the scenario format knows;
//! * [`other_format`]: which command reads a file that is not a scenario (a Dual
//!   Governance timeline).
//!
//! The known field paths are read from the format itself: each common table of
//! [`super::ScenarioFile`] is asked, through serde, which fields it expects, and the
//! models' parameters and policy fields come from the registry, so the list never goes
//! stale as fields or models are added.

use std::sync::OnceLock;

use super::examples::EXAMPLES;

/// A key no scenario field has: asking a table for it makes serde list the fields.
const PROBE: &str = "__counterweight_probe__";

/// Lower case, `_` and `-` alike: `Core_Claim` and `core-claim` are the same name.
fn normal(s: &str) -> String {
    s.trim().to_lowercase().replace('_', "-")
}

/// The candidate closest to `input` by edit distance (optimal string alignment over
/// normalised names), if it is close enough to be a plausible typo: at most a third of
/// the longer name's characters differ (and at least one may).
pub fn closest<'a>(input: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let want = normal(input);
    if want.is_empty() {
        return None;
    }
    let mut best: Option<(usize, &'a str)> = None;
    for c in candidates {
        let cand = normal(c);
        let d = strsim::osa_distance(&want, &cand);
        let limit = (want.chars().count().max(cand.chars().count()) / 3).max(1);
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// The embedded example whose name is closest to `input` (a path's file stem counts:
/// `scenarios/core_claim.toml` -> `core-claim`).
pub fn example_name(input: &str) -> Option<&'static str> {
    let stem = std::path::Path::new(input)
        .file_stem()
        .map_or(input.to_string(), |s| s.to_string_lossy().into_owned());
    let names = EXAMPLES.iter().map(|e| e.name);
    closest(input, names.clone()).or_else(|| closest(&stem, names))
}

/// Every field path of the scenario format, e.g. `growth.returns_to_scale`,
/// `actors[0].initial.uniform.low`, `policy[0].rate` (array entries as `[0]`).
pub fn field_paths() -> &'static [String] {
    static PATHS: OnceLock<Vec<String>> = OnceLock::new();
    PATHS.get_or_init(|| {
        let mut out = Vec::new();
        probe(&mut Vec::new(), &mut out, 0);
        // The models' own sections and policy fields, as the registry declares them.
        let registry = crate::model::builtin();
        for p in registry.param_paths() {
            out.push(p.to_string());
        }
        for m in registry.models() {
            for (_, fields) in m.policy_kinds() {
                out.extend(fields.iter().map(|f| format!("policy[0].{f}")));
            }
        }
        let mut seen = std::collections::HashSet::new();
        out.retain(|p| seen.insert(p.clone()));
        out
    })
}

/// One step of a path being probed.
#[derive(Clone)]
enum Step {
    Key(String),
    /// An array of tables: probe its first entry.
    Index,
}

/// The names serde lists after "expected" in an unknown-field or unknown-variant
/// message (`expected one of `a`, `b``, `expected `a` or `b``), or toml after
/// "available keys:".
fn expected_names(message: &str) -> Option<Vec<String>> {
    // toml's own wording for enum struct variants: "..., available keys: low, high"
    if let Some((_, keys)) = message.split_once("available keys:") {
        let names: Vec<String> = keys
            .split(',')
            .map(|k| k.trim().to_string())
            .filter(|k| !k.is_empty())
            .collect();
        return (!names.is_empty()).then_some(names);
    }
    let (_, rest) = message.split_once("expected")?;
    let names: Vec<String> = rest
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect();
    (!names.is_empty()).then_some(names)
}

/// Build the TOML document with `leaf` at `path`.
fn document(path: &[Step], leaf: toml::Value) -> toml::Value {
    let mut v = leaf;
    for step in path.iter().rev() {
        v = match step {
            Step::Key(k) => {
                let mut t = toml::Table::new();
                t.insert(k.clone(), v);
                toml::Value::Table(t)
            }
            Step::Index => toml::Value::Array(vec![v]),
        };
    }
    v
}

/// The deserialisation message of `doc` as a scenario file, if it fails.
fn message_of(doc: &toml::Value) -> Option<String> {
    let text = toml::to_string(doc).ok()?;
    toml::from_str::<super::ScenarioFile>(&text)
        .err()
        .map(|e| e.message().to_string())
}

fn render(path: &[Step]) -> String {
    let mut s = String::new();
    for step in path {
        match step {
            Step::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            Step::Index => s.push_str("[0]"),
        }
    }
    s
}

/// Ask the table at `path` which fields it expects; record leaves, recurse into tables,
/// arrays of tables and enum variants.
fn probe(path: &mut Vec<Step>, out: &mut Vec<String>, depth: usize) {
    if depth > 6 {
        return;
    }
    let mut probe_table = toml::Table::new();
    probe_table.insert(PROBE.into(), toml::Value::Integer(0));
    let as_table = document(path, toml::Value::Table(probe_table.clone()));
    let names = match message_of(&as_table) {
        // The top level takes any key (a model's section): its common fields are listed.
        _ if path.is_empty() => Some(
            super::file::COMMON_FIELDS
                .iter()
                .map(|s| s.to_string())
                .collect(),
        ),
        Some(m) if m.contains(PROBE) => expected_names(&m),
        Some(m)
            if path.last().is_some_and(|s| matches!(s, Step::Key(_)))
                && m.contains("expected a sequence") =>
        {
            // An array: of tables (probe its first entry), or of values (a leaf).
            path.push(Step::Index);
            let entry = message_of(&document(path, toml::Value::Table(probe_table)));
            if entry.is_some_and(|m| m.contains(PROBE)) {
                probe(path, out, depth + 1);
                path.pop();
            } else {
                path.pop();
                out.push(render(path));
            }
            return;
        }
        _ => None,
    };
    match names {
        Some(names) => {
            for n in names {
                path.push(Step::Key(n));
                probe(path, out, depth + 1);
                path.pop();
            }
        }
        None => {
            if !path.is_empty() {
                out.push(render(path));
            }
        }
    }
}

/// The full path of the known field closest to `key` (a dotted path as typed in `--set`
/// or found in a file): a known path ending in the same field name first (e.g.
/// `returns_to_scale` -> `growth.returns_to_scale`), else the path closest by edit
/// distance. `None` if `key` is itself a known path or nothing is close.
pub fn field_path(key: &str) -> Option<String> {
    let paths = field_paths();
    let normalised = |p: &str| {
        // actors[3].count and actors[0].count are the same field
        let mut s = String::new();
        let mut in_index = false;
        for c in p.chars() {
            match c {
                '[' => {
                    in_index = true;
                    s.push_str("[0");
                }
                ']' => {
                    in_index = false;
                    s.push(']');
                }
                _ if in_index => {}
                _ => s.push(c),
            }
        }
        s
    };
    let key_n = normalised(key.trim());
    if paths.contains(&key_n) {
        return None;
    }
    let last = key_n.rsplit(['.', ']']).next().unwrap_or(&key_n);
    let same_last: Vec<&String> = paths
        .iter()
        .filter(|p| p.rsplit(['.', ']']).next() == Some(last))
        .collect();
    if let Some(p) = same_last.first() {
        return Some((*p).clone());
    }
    if let Some(p) = closest(&key_n, paths.iter().map(String::as_str)) {
        return Some(p.to_string());
    }
    // A mistyped last segment: compare field names only.
    let by_name = closest(
        last,
        paths.iter().filter_map(|p| p.rsplit(['.', ']']).next()),
    )?;
    paths
        .iter()
        .find(|p| p.rsplit(['.', ']']).next() == Some(by_name))
        .cloned()
}

/// If `src` is a TOML file of another counterweight format, the command that reads it.
pub fn other_format(src: &str) -> Option<&'static str> {
    let t: toml::Table = toml::from_str(src).ok()?;
    if t.contains_key("time") || t.contains_key("actors") {
        return None;
    }
    if t.contains_key("step") {
        return Some(
            "this looks like a Dual Governance timeline: `counterweight govern replay FILE` reads it",
        );
    }
    const SIMULATION: [&str; 7] = [
        "group",
        "horizon",
        "drain",
        "tick",
        "proposals",
        "dao",
        "rage_quit",
    ];
    // A veto simulation (`model = "veto"`) is a scenario: `run` reads it.
    if t.contains_key("model") || SIMULATION.iter().any(|k| t.contains_key(*k)) {
        return None;
    }
    if t.contains_key("config") {
        return Some(
            "this looks like a Dual Governance timeline: `counterweight govern replay FILE` reads it",
        );
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn examples_by_edit_distance() {
        assert_eq!(example_name("core_claim"), Some("core-claim"));
        assert_eq!(example_name("Core-Claim"), Some("core-claim"));
        assert_eq!(
            example_name("cheetah-and-tortise"),
            Some("cheetah-and-tortoise")
        );
        assert_eq!(example_name("scenarios/lock_in.toml"), Some("lock-in"));
        assert_eq!(example_name("something-else-entirely"), None);
    }

    #[test]
    fn field_paths_cover_the_format() {
        let p = field_paths();
        for want in [
            "name",
            "time.end",
            "growth.returns_to_scale",
            "actors[0].count",
            "actors[0].initial.uniform.low",
            "policy[0].rate",
            "output.every",
            "compare[0].label",
        ] {
            assert!(p.iter().any(|x| x == want), "{want} missing from {p:?}");
        }
    }

    #[test]
    fn field_suggestions() {
        assert_eq!(
            field_path("returns_to_scale").as_deref(),
            Some("growth.returns_to_scale")
        );
        assert_eq!(
            field_path("growth.retruns_to_scale").as_deref(),
            Some("growth.returns_to_scale")
        );
        assert_eq!(field_path("growth.returns_to_scale"), None);
        assert_eq!(field_path("actors[2].count"), None);
        assert_eq!(field_path("zzzzzzzzzzzzzzzzzzzz"), None);
    }

    #[test]
    fn other_formats() {
        assert!(
            other_format("[[step]]\nat = \"0s\"\ndo = \"activate\"\n")
                .unwrap()
                .contains("govern replay")
        );
        assert_eq!(
            other_format("name = \"v\"\nhorizon = \"30d\"\n[[group]]\nname = \"a\"\n"),
            None
        );
        assert_eq!(
            other_format("name = \"x\"\n[time]\nend = 1.0\ndt = 1.0\n"),
            None
        );
    }
}
