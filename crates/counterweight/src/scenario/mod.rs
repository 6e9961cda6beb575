//! Scenarios: the TOML format (DESIGN.md §3), validation into typed parameters, `--set`
//! overrides, `[[compare]]` variants and the embedded examples.
//!
//! Loading goes: text -> [`file::ScenarioFile`] (serde, unknown fields rejected) ->
//! overrides -> [`validate::validate`] -> [`Scenario`]. Every error carries the origin
//! (file, `--set`, a compare variant), the line and column when the text has one, the
//! field path and what would be valid.

pub mod examples;
pub mod file;
pub mod overrides;
pub mod span;
pub mod suggest;
pub mod validate;

use std::fmt;
use std::path::Path;

use crate::registry::{ModelSpec, Registry};
pub use crate::setup::{ActorGroup, ActorKind, Initial, TimeGrid};
pub use file::ScenarioFile;
pub use span::LineCol;
pub use validate::FieldError;

/// A validated scenario: everything a run needs, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// From the file's `name`.
    pub name: String,
    /// From the file's `description`.
    pub description: String,
    /// The master seed.
    pub seed: u64,
    /// Number of replicates, 1 to 1,000,000.
    pub replicates: u32,
    /// The time grid (from `time`, or set by the model).
    pub time: TimeGrid,
    /// The model, with its validated parameters and policies.
    pub model: ModelSpec,
    /// The validated actor groups, in file order (empty for models without actors).
    pub groups: Vec<ActorGroup>,
    /// The number of `[[policy]]` tables (each validated by the model).
    pub policy_count: usize,
    /// What to record.
    pub output: OutputParams,
}

impl Scenario {
    /// Total number of actors over all groups.
    pub fn actor_count(&self) -> usize {
        self.groups.iter().map(|g| g.count).sum()
    }
}

/// Which per-actor values to record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActorsOutput {
    /// No per-actor table.
    None,
    /// Only the final values.
    Final,
    /// Every recorded step.
    All,
}

/// The validated `[output]` section.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OutputParams {
    /// Record every k steps (>= 1; the last step is always recorded).
    pub every: u64,
    /// k of the `top{k}_share` column (>= 1).
    pub top_k: usize,
    /// Order statistics of the Hill estimator (`None`: round(sqrt(n))).
    pub hill_k: Option<usize>,
    /// Which per-actor values to record.
    pub actors: ActorsOutput,
}

/// What a scenario file describes: one scenario, or several labelled variants of it
/// (`[[compare]]`) that run side by side.
#[derive(Debug, Clone, PartialEq)]
pub struct Experiment {
    /// The file's `name`.
    pub name: String,
    /// The file's `description`.
    pub description: String,
    /// The resolved scenario (overrides applied), as TOML.
    pub resolved_toml: String,
    /// One scenario without `[[compare]]`, else one per `[[compare]]` table.
    pub variants: Vec<Variant>,
}

/// One labelled scenario of an [`Experiment`].
#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    /// The `[[compare]]` label (the scenario's name without variants).
    pub label: String,
    /// The scenario with the variant's overrides applied.
    pub scenario: Scenario,
}

/// Where a piece of scenario text came from.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioError {
    /// The file path, `--set key=value`, or `compare[i].set` of a file.
    pub origin: String,
    /// Line and column of the problem in the text, when known.
    pub location: Option<LineCol>,
    /// The field path, e.g. `actors[0].count`.
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
    /// What would be valid.
    pub help: Option<String>,
    /// The source line, for rendering with a caret.
    pub source_line: Option<String>,
    /// A likely fix ("did you mean ..."), from [`suggest`].
    pub suggestion: Option<String>,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.origin)?;
        if let Some(l) = self.location {
            write!(f, ":{}:{}", l.line, l.col)?;
        }
        write!(f, ": ")?;
        if let Some(field) = &self.field {
            write!(f, "field `{field}`: ")?;
        }
        write!(f, "{}", self.message)?;
        if let Some(h) = &self.help {
            write!(f, " (valid: {h})")?;
        }
        Ok(())
    }
}

impl std::error::Error for ScenarioError {}

impl ScenarioError {
    fn at(
        origin: &str,
        src: Option<&str>,
        offset: Option<usize>,
        field: Option<String>,
        message: String,
        help: Option<String>,
    ) -> Self {
        let (location, source_line) = match (src, offset) {
            (Some(src), Some(o)) => {
                let lc = span::line_col(src, o);
                (Some(lc), src.lines().nth(lc.line - 1).map(str::to_string))
            }
            _ => (None, None),
        };
        ScenarioError {
            origin: origin.to_string(),
            location,
            field,
            message,
            help,
            source_line,
            suggestion: None,
        }
    }
}

/// Load a scenario file of a built-in model, applying `--set key=value` overrides.
// The error is large on purpose (origin, location, source line, help); it is built once.
#[allow(clippy::result_large_err)]
pub fn load(path: &Path, overrides: &[String]) -> Result<Experiment, ScenarioError> {
    load_with(crate::model::builtin(), path, overrides)
}

/// [`load`] with the models of `registry`.
#[allow(clippy::result_large_err)]
pub fn load_with(
    registry: &Registry,
    path: &Path,
    overrides: &[String],
) -> Result<Experiment, ScenarioError> {
    let origin = path.display().to_string();
    let src = crate::io::input::read_text(path, crate::io::input::TEXT_LIMIT).map_err(|e| {
        // Invalid UTF-8: the line and column of the first bad byte, in the valid text
        // before it (the file's content is not echoed past that point).
        let (location, shown) = match &e {
            crate::io::input::ReadError::NotUtf8 { line, col, .. } => (
                Some(span::LineCol {
                    line: *line,
                    col: *col,
                }),
                "cannot read the scenario: invalid UTF-8".to_string(),
            ),
            _ => (None, format!("cannot read the scenario: {e}")),
        };
        ScenarioError {
            origin: origin.clone(),
            location,
            field: None,
            message: shown,
            help: Some(if location.is_some() {
                "a scenario TOML file in UTF-8".into()
            } else {
                "the path of a scenario TOML file (`counterweight scenarios` lists examples)".into()
            }),
            source_line: None,
            suggestion: e
                .is_not_found()
                .then(|| suggest::example_name(&path.to_string_lossy()))
                .flatten()
                .map(|n| format!("did you mean the example `{n}`?")),
        }
    })?;
    let base = path.parent().map(Path::to_path_buf);
    parse_with(
        registry,
        &src,
        &path.display().to_string(),
        base.as_deref(),
        overrides,
    )
}

/// Parse and validate scenario text of a built-in model. `origin` names it in errors;
/// `base_dir` resolves relative `csv` paths.
#[allow(clippy::result_large_err)]
pub fn parse(
    src: &str,
    origin: &str,
    base_dir: Option<&Path>,
    overrides: &[String],
) -> Result<Experiment, ScenarioError> {
    parse_with(crate::model::builtin(), src, origin, base_dir, overrides)
}

/// [`parse`] with the models of `registry`.
#[allow(clippy::result_large_err)]
pub fn parse_with(
    registry: &Registry,
    src: &str,
    origin: &str,
    base_dir: Option<&Path>,
    overrides: &[String],
) -> Result<Experiment, ScenarioError> {
    // 1. Syntax and types against the user's own text, so errors point into it (a field
    //    missing there may still come from an override: that error waits for step 2).
    let mut table: toml::Table = toml::from_str(src).map_err(|e| toml_error(origin, src, &e))?;
    let first = toml::from_str::<ScenarioFile>(src).map_err(|e| toml_error(origin, src, &e));
    if overrides.is_empty() {
        first.as_ref().map_err(Clone::clone)?;
    }
    // 2. Overrides.
    let mut overridden = Vec::new();
    for o in overrides {
        let (key, value) = overrides::parse_assignment(o).map_err(|m| set_error(o, None, m))?;
        overrides::set_path(&mut table, &key, value)
            .map_err(|m| set_error(o, Some(key.clone()), m))?;
        overridden.push((key, o.clone()));
    }
    let (file, text) = match first {
        Ok(file) if overrides.is_empty() => (file, src.to_string()),
        first => deserialize_table(&table).map_err(|m| match first {
            // The user's text was wrong before any override: point into it.
            Err(located) => located,
            Ok(_) => {
                // The override that names the unknown field, if that is the problem.
                let unknown = unknown_name(&m);
                let culprit = unknown
                    .as_deref()
                    .and_then(|u| {
                        overridden
                            .iter()
                            .rev()
                            .find(|(k, _)| k.rsplit(['.', ']']).next() == Some(u))
                    })
                    .or(overridden.last());
                let mut e = set_error(
                    &culprit.map(|o| o.1.clone()).unwrap_or_default(),
                    culprit.map(|o| o.0.clone()),
                    m,
                );
                e.suggestion = culprit
                    .filter(|_| unknown.is_some())
                    .and_then(|(k, _)| suggest::field_path(k))
                    .map(|p| format!("did you mean `{p}`?"));
                e
            }
        })?,
    };
    let resolved_toml = toml::to_string_pretty(&file).unwrap_or_default();

    let locate = |fe: FieldError| -> ScenarioError {
        // An unknown field: the known one closest to it.
        let other = unknown_name(&fe.message).and_then(|_| suggest::other_format(src));
        let suggestion = other.map(str::to_string).or_else(|| {
            unknown_name(&fe.message)
                .and_then(|_| suggest::field_path(&fe.field))
                .map(|p| format!("did you mean `{p}`?"))
        });
        // A file of another format: what its fields would mean in a scenario misleads.
        let fe = FieldError {
            help: fe.help.filter(|_| other.is_none()),
            ..fe
        };
        if let Some((_, o)) = overridden
            .iter()
            .rev()
            .find(|(k, _)| fe.field.starts_with(k.as_str()) || k.starts_with(fe.field.as_str()))
        {
            let mut e = set_error(o, Some(fe.field), fe.message).with_help(fe.help);
            e.suggestion = suggestion;
            return e;
        }
        let offset = span::find_span(src, &fe.field).map(|s| s.start);
        let mut e = ScenarioError::at(
            origin,
            Some(src),
            offset,
            Some(fe.field),
            fe.message,
            fe.help,
        );
        e.suggestion = suggestion;
        e
    };

    let mut variants = Vec::new();
    if file.compare.is_empty() {
        let scenario = validate::validate(&file, &text, base_dir, registry).map_err(&locate)?;
        variants.push(Variant {
            label: file.name.clone(),
            scenario,
        });
    } else {
        let mut base = table.clone();
        base.remove("compare");
        for (i, c) in file.compare.iter().enumerate() {
            let label = c.label.trim();
            let field = format!("compare[{i}]");
            if label.is_empty() || variants.iter().any(|v: &Variant| v.label == label) {
                let fe = FieldError {
                    field: format!("{field}.label"),
                    message: "empty or repeated label".into(),
                    help: Some("a unique, non-empty label".into()),
                };
                return Err(locate(fe));
            }
            let mut t = base.clone();
            overrides::merge(&mut t, &c.set).map_err(|m| {
                locate(FieldError {
                    field: format!("{field}.set"),
                    message: m,
                    help: None,
                })
            })?;
            // A problem in the variant: at the field in its `set` when the variant sets
            // it, else at the field in the base scenario (which every variant shares).
            let in_variant = |fe: FieldError| {
                let field = if set_covers(&c.set, &fe.field) {
                    format!("{field}.set.{}", fe.field)
                } else {
                    fe.field.clone()
                };
                let mut e = locate(FieldError {
                    field,
                    ..fe.clone()
                });
                e.message = format!(
                    "in variant \"{label}\": field `{}`: {}",
                    fe.field, fe.message
                );
                e
            };
            let (vf, vtext) = deserialize_table(&t).map_err(|m| {
                // The path of the value the message is about, from its span.
                let at = toml::to_string(&t).ok().and_then(|text| {
                    let e = toml::from_str::<ScenarioFile>(&text).err()?;
                    overrides::path_at(&text, e.span()?.start)
                });
                match at {
                    Some(f) => in_variant(FieldError {
                        field: f,
                        message: m,
                        help: None,
                    }),
                    None => locate(FieldError {
                        field: format!("{field}.set"),
                        message: m,
                        help: None,
                    }),
                }
            })?;
            let scenario =
                validate::validate(&vf, &vtext, base_dir, registry).map_err(in_variant)?;
            variants.push(Variant {
                label: label.to_string(),
                scenario,
            });
        }
    }
    Ok(Experiment {
        name: file.name.clone(),
        description: file.description.clone(),
        resolved_toml,
        variants,
    })
}

impl ScenarioError {
    fn with_help(mut self, help: Option<String>) -> Self {
        self.help = help;
        self
    }
}

fn set_error(assignment: &str, field: Option<String>, message: String) -> ScenarioError {
    ScenarioError {
        origin: format!("--set {assignment}"),
        location: None,
        field,
        message,
        help: None,
        source_line: None,
        suggestion: None,
    }
}

/// Whether a variant's `set` table supplies the field at `path` (or a table or array
/// containing it, which replaces the base's).
fn set_covers(set: &toml::Table, path: &str) -> bool {
    let segments = span::parse_path(path);
    let mut table = set;
    for (i, seg) in segments.iter().enumerate() {
        let span::Segment::Key(k) = seg else {
            return false;
        };
        // A dotted key (`"growth.spillover" = 1`) covers the paths it starts.
        let rest: Vec<span::Segment> = segments[i..].to_vec();
        if table.keys().any(|key| {
            (key.contains('.') || key.contains('[')) && rest.starts_with(&span::parse_path(key))
        }) {
            return true;
        }
        match table.get(k) {
            Some(toml::Value::Table(t)) if i + 1 < segments.len() => table = t,
            Some(_) => return true,
            None => return false,
        }
    }
    false
}

/// The name in serde's "unknown field `x`" (or toml's "unexpected keys in table: x")
/// message.
fn unknown_name(message: &str) -> Option<String> {
    if let Some((_, rest)) = message.split_once("unexpected keys in table: ") {
        return Some(rest.split([',', ' ']).next()?.to_string());
    }
    let rest = message.split_once("unknown field `")?.1;
    Some(rest.split_once('`')?.0.to_string())
}

/// A table (after overrides) as a scenario file, with the TOML text it was read from.
fn deserialize_table(t: &toml::Table) -> Result<(ScenarioFile, String), String> {
    let text = toml::to_string(t).map_err(|e| e.to_string())?;
    let file = toml::from_str::<ScenarioFile>(&text).map_err(|e| words(e.message()))?;
    Ok((file, text))
}

/// A parser's message in words: Rust type names become what a user writes.
pub(crate) fn words(message: &str) -> String {
    message
        .trim()
        .replace("f64", "a number")
        .replace("i64", "an integer")
        .replace("u64", "a non-negative integer")
        .replace("u32", "a non-negative integer")
}

/// Turn a toml error into a located scenario error, naming the field when possible.
fn toml_error(origin: &str, src: &str, e: &toml::de::Error) -> ScenarioError {
    let msg = e.message().trim().to_string();
    // A field missing from the top level has an empty span at 0 (or the whole document):
    // no line to point at.
    let whole = e
        .span()
        .is_some_and(|s| s.start == 0 && (s.end == 0 || s.end >= src.trim_end().len()));
    let offset = e.span().filter(|_| !whole).map(|s| s.start);
    let field = match (offset, msg.strip_prefix("missing field `")) {
        (None, Some(rest)) => rest.split('`').next().map(str::to_string),
        _ => offset.and_then(|o| overrides::path_at(src, o)),
    };
    let help = if msg.contains("unknown field") || msg.contains("unknown variant") {
        None // toml already lists what is expected
    } else {
        Some("see docs/scenarios.md for every field, its type and range".into())
    };
    let mut err = ScenarioError::at(origin, Some(src), offset, field.clone(), msg, help);
    err.suggestion = suggest::other_format(src).map(str::to_string).or_else(|| {
        let f = field.or_else(|| unknown_name(&err.message))?;
        unknown_name(&err.message)?;
        suggest::field_path(&f).map(|p| format!("did you mean `{p}`?"))
    });
    err
}
