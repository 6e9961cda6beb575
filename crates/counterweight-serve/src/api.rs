//! The HTTP side: pages, assets, JSON endpoints and the WebSocket upgrade.
//!
//! | route | what |
//! |---|---|
//! | `GET /`, `/governance`, `/measure` | the pages |
//! | `GET /assets/NAME` | scripts, styles, the charting library (exact names only) |
//! | `GET /api/info` | version, limits, the scenario `serve` was started with |
//! | `GET /api/examples`, `/api/examples/NAME` | the embedded scenarios |
//! | `POST /api/scenario` | check a scenario (text, overrides, seed): its controls or its located error |
//! | `GET /api/runs/ID/scenario.toml`, `/api/runs/ID/run.zip` | exports of a completed run |
//! | `GET /api/governance/timelines`, `.../NAME` | the reference timelines |
//! | `POST /api/governance/replay` | replay a timeline |
//! | `POST /api/measure/columns`, `/api/measure` | a CSV's columns; its metrics |
//! | `GET /ws` | the laboratory's run session ([`crate::lab`]) |
//!
//! Every refusal is a status code with a JSON body `{"error": "..."}` in words.

// Refusals are axum responses and scenario errors carry their location and source line:
// both are larger than clippy likes in an `Err`, and both are built once per request.
#![allow(clippy::result_large_err)]

use std::net::SocketAddr;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Path as UrlPath, State};
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use serde_json::json;

use counterweight::registry::Registry;
use counterweight::scenario::{self, Experiment, ScenarioError, examples};

use crate::{App, assets, edit, lab, params, store};

type Reply = Result<Response, Response>;

pub(crate) fn router(app: App) -> Router {
    let upload = app.limits.max_upload;
    let body = app.limits.max_body;
    let measure = Router::new()
        .route("/api/measure/columns", post(crate::api::measure_columns))
        .route("/api/measure", post(crate::api::measure))
        .layer(DefaultBodyLimit::max(upload));
    let mut router = Router::new()
        .route("/api/info", get(info))
        .route("/api/models", get(models))
        .route("/api/examples", get(examples_list))
        .route("/api/examples/{name}", get(example))
        .route("/api/scenario", post(check_scenario))
        .route("/api/runs/{id}/{file}", get(run_file))
        .route("/api/governance/timelines", get(timelines))
        .route("/api/governance/timelines/{name}", get(timeline))
        .route("/api/governance/replay", post(replay))
        .route("/ws", get(ws))
        .route("/assets/{name}", get(asset))
        .layer(DefaultBodyLimit::max(body))
        .merge(measure);
    for (route, page) in assets::PAGES {
        router = router.route(route, get(move || async move { serve_asset(page) }));
    }
    router
        .fallback(not_found)
        .layer(axum::middleware::map_response(explain_refusals))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            upload.max(body),
        ))
        .layer(axum::middleware::from_fn(same_origin_only))
        .with_state(app)
}

// ------------------------------------------------------------------- refusals

fn refuse(status: StatusCode, message: impl Into<String>) -> Response {
    (status, axum::Json(json!({"error": message.into()}))).into_response()
}

async fn not_found(uri: Uri) -> Response {
    let path: String = uri.path().chars().take(200).collect();
    refuse(
        StatusCode::NOT_FOUND,
        format!("not found: {path} (this server serves its own pages and nothing else)"),
    )
}

/// Give bare refusals from the layers below (a body over the limit, a wrong method) a
/// sentence.
async fn explain_refusals(res: Response) -> Response {
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if is_json {
        return res;
    }
    match res.status() {
        StatusCode::PAYLOAD_TOO_LARGE => refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            "request too large: scenarios and timelines may be up to 1 MiB, CSV uploads up to 16 MiB (see docs/serve.md)",
        ),
        StatusCode::METHOD_NOT_ALLOWED => refuse(
            StatusCode::METHOD_NOT_ALLOWED,
            "method not allowed on this route",
        ),
        _ => res,
    }
}

/// Refuse requests that a page of another site sends (a WebSocket or a POST from
/// `evil.example` to `127.0.0.1`): the `Origin` header, when present, must name the host
/// the request was sent to.
async fn same_origin_only(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    if let Some(origin) = req.headers().get(header::ORIGIN) {
        let host = req
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("");
        let origin = origin.to_str().unwrap_or("");
        let origin_host = origin
            .strip_prefix("http://")
            .or_else(|| origin.strip_prefix("https://"))
            .unwrap_or("");
        if origin_host.is_empty() || origin_host != host {
            return refuse(
                StatusCode::FORBIDDEN,
                "cross-origin request refused: use the page this server serves",
            );
        }
    }
    next.run(req).await
}

/// The body as text, or a refusal in words (too large, not UTF-8).
fn body_text(body: Result<Bytes, BytesRejection>, limit: usize) -> Result<String, Response> {
    let bytes = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            refuse(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("request too large: the limit is {limit} bytes"),
            )
        } else {
            refuse(e.status(), format!("cannot read the request: {e}"))
        }
    })?;
    String::from_utf8(bytes.to_vec())
        .map_err(|_| refuse(StatusCode::BAD_REQUEST, "malformed request: not UTF-8 text"))
}

/// Parse a JSON request body, or refuse it in words.
fn json_body<T: serde::de::DeserializeOwned>(
    body: Result<Bytes, BytesRejection>,
    limit: usize,
) -> Result<T, Response> {
    let text = body_text(body, limit)?;
    serde_json::from_str(&text)
        .map_err(|e| refuse(StatusCode::BAD_REQUEST, format!("malformed request: {e}")))
}

fn ok_json(v: impl Serialize) -> Response {
    axum::Json(v).into_response()
}

// ------------------------------------------------------------------- pages and assets

fn serve_asset(a: &'static assets::Asset) -> Response {
    let mut res = a.body.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(a.mime));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
        ),
    );
    res
}

async fn asset(UrlPath(name): UrlPath<String>) -> Response {
    match assets::get(&name) {
        Some(a) => serve_asset(a),
        None => refuse(
            StatusCode::NOT_FOUND,
            "no such asset (this server serves its own embedded files and nothing else)",
        ),
    }
}

// ------------------------------------------------------------------- scenarios

async fn info(State(app): State<App>) -> Response {
    let startup = app
        .startup
        .as_ref()
        .map(|s| json!({"name": s.name, "origin": s.origin, "text": s.text}));
    ok_json(json!({
        "version": counterweight::VERSION,
        "startup": startup,
        "default_example": examples::DEFAULT,
        "limits": {
            "max_body": app.limits.max_body,
            "max_upload": app.limits.max_upload,
            "max_message": app.limits.max_message,
            "runs_per_client": app.limits.runs_per_client,
        },
    }))
}

/// Every registered model with its declared parameters and policy kinds: what the
/// laboratory generates its controls from.
async fn models(State(app): State<App>) -> Response {
    let list: Vec<_> = app
        .registry
        .models()
        .map(|m| {
            json!({
                "name": m.name(),
                "about": m.about(),
                "sections": m.keys(),
                "params": params::declared_list(m),
                "policy_kinds": m.policies().iter().map(|k| json!({"kind": k.kind, "doc": k.doc,
                    "fields": params::declared_fields(&k.fields), "groups": k.groups,
                    "template": k.template()})).collect::<Vec<_>>(),
            })
        })
        .collect();
    ok_json(list)
}

async fn examples_list() -> Response {
    let list: Vec<_> = examples::EXAMPLES
        .iter()
        .map(|e| {
            let table = e.toml.parse::<toml::Table>().ok();
            let text = |key: &str| {
                table
                    .as_ref()
                    .and_then(|t| t.get(key)?.as_str().map(str::to_string))
            };
            let description = text("description").unwrap_or_default();
            json!({
                "name": e.name,
                "model": text("model").unwrap_or_else(|| counterweight::model::DEFAULT.into()),
                "summary": e.summary,
                "description": description,
                "default": e.name == examples::DEFAULT,
                "gallery": examples::in_gallery(e.name),
            })
        })
        .collect();
    ok_json(list)
}

async fn example(UrlPath(name): UrlPath<String>) -> Response {
    match examples::find(&name) {
        Some(e) => {
            ok_json(json!({"name": e.name, "origin": format!("{}.toml", e.name), "text": e.toml}))
        }
        None => refuse(
            StatusCode::NOT_FOUND,
            "no embedded scenario of that name (GET /api/examples lists them)",
        ),
    }
}

/// A scenario as the page sends it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ScenarioRequest {
    /// The TOML text.
    pub toml: String,
    /// How errors name it (a file name; no path is opened).
    pub origin: String,
    /// `key=value` overrides, as `--set`.
    #[serde(default)]
    pub overrides: Vec<String>,
    /// The master seed (overrides the scenario's).
    #[serde(default)]
    pub seed: Option<u64>,
}

/// A scenario error for the page: the CLI's text and its parts.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ErrorJson {
    /// Exactly what `counterweight check` prints.
    pub text: String,
    pub origin: String,
    pub line: Option<usize>,
    pub col: Option<usize>,
    pub field: Option<String>,
    pub message: String,
    pub help: Option<String>,
}

impl From<&ScenarioError> for ErrorJson {
    fn from(e: &ScenarioError) -> Self {
        ErrorJson {
            text: format!("error: {}", counterweight::diagnostic::scenario(e)),
            origin: e.origin.clone(),
            line: e.location.map(|l| l.line),
            col: e.location.map(|l| l.col),
            field: e.field.clone(),
            message: e.message.clone(),
            help: e.help.clone(),
        }
    }
}

/// Parse a scenario request: the only place the server turns text into an experiment.
/// Files are read only for the scenario `serve` was started with, unchanged; any other
/// text that names a file (`csv = "..."`) is refused at that field.
pub(crate) fn parse_request(app: &App, req: &ScenarioRequest) -> Result<Experiment, ErrorJson> {
    let mut origin: String = req
        .origin
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    if origin.is_empty() {
        origin = "scenario.toml".into();
    }
    let mut overrides = req.overrides.clone();
    if let Some(seed) = req.seed {
        overrides.push(format!("seed={seed}"));
    }
    let startup_dir = app
        .startup
        .as_ref()
        .filter(|s| s.text == req.toml)
        .and_then(|s| s.base_dir.clone());
    // The startup scenario's own text may name its files; overrides never may.
    let text = if startup_dir.is_some() { "" } else { &req.toml };
    if let Some(e) = file_reference(text, &overrides, &origin) {
        return Err(ErrorJson::from(&e));
    }
    scenario::parse_with(
        &app.registry,
        &req.toml,
        &origin,
        startup_dir.as_deref(),
        &overrides,
    )
    .map_err(|e| ErrorJson::from(&e))
}

/// The keys whose value names a file that validation would read.
const FILE_KEYS: &[&str] = &["csv"];

/// A located error for the first field of `src` or of an override that names a file.
fn file_reference(src: &str, overrides: &[String], origin: &str) -> Option<ScenarioError> {
    let refusal = |origin: String, location, field: String, source_line| {
        ScenarioError {
        origin,
        location,
        field: Some(field),
        message: "reading files is turned off in `serve`: a scenario from the page may not name a file on the server".into(),
        help: Some("the values inline, e.g. initial = { values = [1.0, 2.0, 3.0] }, or start `counterweight serve FILE.toml` with the file".into()),
        source_line,
        suggestion: None,
    }
    };
    if let Ok(table) = src.parse::<toml::Table>()
        && let Some(field) = find_file_key(&toml::Value::Table(table), "")
    {
        let offset = scenario::span::find_span(src, &field).map(|s| s.start);
        let location = offset.map(|o| scenario::span::line_col(src, o));
        let line = location.and_then(|l| src.lines().nth(l.line - 1).map(str::to_string));
        return Some(refusal(origin.to_string(), location, field, line));
    }
    for o in overrides {
        let Ok((key, value)) = scenario::overrides::parse_assignment(o) else {
            continue; // the parser reports it
        };
        let in_key = scenario::span::parse_path(&key).iter().any(
            |s| matches!(s, scenario::span::Segment::Key(k) if FILE_KEYS.contains(&k.as_str())),
        );
        let in_value = find_file_key(&value, &key);
        if in_key || in_value.is_some() {
            return Some(refusal(
                format!("--set {o}"),
                None,
                in_value.unwrap_or(key),
                None,
            ));
        }
    }
    None
}

fn find_file_key(v: &toml::Value, path: &str) -> Option<String> {
    match v {
        toml::Value::Table(t) => t.iter().find_map(|(k, v)| {
            let p = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            if FILE_KEYS.contains(&k.as_str()) {
                Some(p)
            } else {
                find_file_key(v, &p)
            }
        }),
        toml::Value::Array(a) => a
            .iter()
            .enumerate()
            .find_map(|(i, v)| find_file_key(v, &format!("{path}[{i}]"))),
        _ => None,
    }
}

/// A check, optionally after an edit that a control asks for ([`crate::edit`]).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckRequest {
    toml: String,
    origin: String,
    #[serde(default)]
    overrides: Vec<String>,
    #[serde(default)]
    seed: Option<u64>,
    #[serde(default)]
    edit: Option<edit::Edit>,
}

async fn check_scenario(State(app): State<App>, body: Result<Bytes, BytesRejection>) -> Reply {
    let req: CheckRequest = json_body(body, app.limits.max_body)?;
    let app2 = app.clone();
    let result = tokio::task::spawn_blocking(move || {
        let mut scenario = ScenarioRequest {
            toml: req.toml,
            origin: req.origin,
            overrides: req.overrides,
            seed: req.seed,
        };
        // The edited text and overrides go back to the page, which adopts them.
        let edited = match &req.edit {
            None => None,
            Some(e) => match edit::apply(&app2.registry, &scenario.toml, &scenario.overrides, e) {
                Ok((toml, overrides)) => {
                    scenario.toml = toml;
                    scenario.overrides = overrides;
                    Some(json!({"toml": scenario.toml, "overrides": scenario.overrides}))
                }
                Err(message) => return json!({"ok": false, "edit_error": message}),
            },
        };
        let mut v = match parse_request(&app2, &scenario) {
            Ok(exp) => describe(&exp, &app2.registry),
            Err(e) => json!({"ok": false, "error": e}),
        };
        if let Some(edited) = edited {
            v["edited"] = edited;
        }
        v
    })
    .await
    .map_err(|e| refuse(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    Ok(ok_json(result))
}

/// What the page needs to know about a valid scenario: the variants and the controls.
fn describe(exp: &Experiment, registry: &Registry) -> serde_json::Value {
    let first = &exp.variants[0].scenario;
    let variants: Vec<_> = exp
        .variants
        .iter()
        .map(|v| {
            let s = &v.scenario;
            json!({
                "label": v.label,
                "model": s.model.name(),
                "actors": s.actor_count(),
                "groups": s.groups.iter().map(|g| &g.name).collect::<Vec<_>>(),
                "steps": s.time.steps,
                "dt": s.time.dt,
                "replicates": s.replicates,
                "policies": s.policy_count,
            })
        })
        .collect();
    json!({
        "ok": true,
        "name": exp.name,
        "description": exp.description,
        "seed": first.seed,
        "variants": variants,
        "model_about": registry.get(first.model.name()).map_or("", |m| m.about()),
        "params": params::describe(exp, registry),
        "policy_kinds": params::policy_kinds(exp, registry),
        "tables": params::optional_tables(exp, registry),
        "resolved_toml": lab::resolved_toml(exp),
    })
}

// ------------------------------------------------------------------- exports

async fn run_file(State(app): State<App>, UrlPath((id, file)): UrlPath<(String, String)>) -> Reply {
    if !store::is_run_id(&id) {
        return Err(refuse(StatusCode::NOT_FOUND, "no such run"));
    }
    let run = app.runs.get(&id).ok_or_else(|| {
        refuse(
            StatusCode::NOT_FOUND,
            "no such run (the server keeps the last few runs in memory only)",
        )
    })?;
    let name = run.experiment.name.clone();
    match file.as_str() {
        "scenario.toml" => Ok(download(
            lab::resolved_toml(&run.experiment).into_bytes(),
            "application/toml; charset=utf-8",
            &format!("{name}.toml"),
        )),
        "run.zip" => {
            let bytes = tokio::task::spawn_blocking(move || crate::export::run_zip(&run))
                .await
                .map_err(|e| refuse(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
                .map_err(|e| refuse(StatusCode::INTERNAL_SERVER_ERROR, e))?;
            Ok(download(bytes, "application/zip", &format!("{name}.zip")))
        }
        _ => Err(refuse(
            StatusCode::NOT_FOUND,
            "a run exports scenario.toml and run.zip",
        )),
    }
}

fn download(bytes: Vec<u8>, mime: &'static str, filename: &str) -> Response {
    let safe: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{safe}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    res
}

// ------------------------------------------------------------------- governance

async fn timelines() -> Response {
    let list: Vec<_> = assets::TIMELINES
        .iter()
        .map(|(name, text)| {
            let description = text
                .parse::<toml::Table>()
                .ok()
                .and_then(|t| t.get("description")?.as_str().map(str::to_string))
                .unwrap_or_default();
            json!({"name": name, "description": description,
                "default": *name == assets::DEFAULT_TIMELINE})
        })
        .collect();
    ok_json(list)
}

async fn timeline(UrlPath(name): UrlPath<String>) -> Response {
    match assets::TIMELINES.iter().find(|t| t.0 == name) {
        Some((name, text)) => {
            ok_json(json!({"name": name, "origin": format!("{name}.toml"), "text": text}))
        }
        None => refuse(
            StatusCode::NOT_FOUND,
            "no reference timeline of that name (GET /api/governance/timelines lists them)",
        ),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReplayRequest {
    toml: String,
    origin: String,
}

async fn replay(State(app): State<App>, body: Result<Bytes, BytesRejection>) -> Reply {
    let req: ReplayRequest = json_body(body, app.limits.max_body)?;
    let v = tokio::task::spawn_blocking(move || crate::govern::replay_json(&req.toml, &req.origin))
        .await
        .map_err(|e| refuse(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    Ok(ok_json(v))
}

// ------------------------------------------------------------------- measure

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ColumnsRequest {
    csv: String,
}

async fn measure_columns(State(app): State<App>, body: Result<Bytes, BytesRejection>) -> Reply {
    let req: ColumnsRequest = json_body(body, app.limits.max_upload)?;
    Ok(ok_json(crate::measure::columns(&req.csv)))
}

async fn measure(State(app): State<App>, body: Result<Bytes, BytesRejection>) -> Reply {
    let req: crate::measure::MeasureRequest = json_body(body, app.limits.max_upload)?;
    let v = tokio::task::spawn_blocking(move || crate::measure::measure(&req))
        .await
        .map_err(|e| refuse(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    Ok(ok_json(v))
}

// ------------------------------------------------------------------- the run session

async fn ws(
    State(app): State<App>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    upgrade: WebSocketUpgrade,
) -> Response {
    // Messages up to the limit are read; larger ones up to four times the limit are read
    // and refused with a reply (the session goes on); beyond that the protocol closes
    // the session (code 1009), so no message can take more memory than that.
    let hard = app.limits.max_message.saturating_mul(4);
    upgrade
        .max_message_size(hard)
        .max_frame_size(hard)
        .on_upgrade(move |socket| lab::session(socket, addr.ip(), app))
}
