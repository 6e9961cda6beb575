//! The laboratory's run session: one WebSocket per page. The page sends `run`, `pause`,
//! `resume`, `step` and `cancel`; the server answers with `started`, throttled
//! `progress`, one `variant` message per completed `[[compare]]` variant (its charts),
//! then `done` (or `cancelled`, or `error`). A malformed message gets an `error` reply
//! and the session goes on.
//!
//! A run goes through [`counterweight::runner::run`] on a rayon pool of its own, started
//! from `spawn_blocking`: the async workers only shuttle messages. Pausing blocks the
//! run's workers in the runner's progress callback (they stop within one progress tick,
//! about 1/500 of a replicate); cancelling sets the runner's cancel flag, which it checks
//! before every step.

// `RunError` and the scenario error are large, and built at most once per run.
#![allow(clippy::result_large_err)]

use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::mpsc;

use counterweight::runner::{self, ExperimentOutput, RunError, RunOptions};
use counterweight::scenario::Experiment;

use crate::App;
use crate::api::{ScenarioRequest, parse_request};
use crate::payload::{VariantData, variant_payload};

/// Progress messages are sent at most this often.
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

/// What the page may send.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum ClientMsg {
    /// Start a run of this scenario (text, overrides, seed), optionally paused.
    Run {
        #[serde(flatten)]
        scenario: ScenarioRequest,
        #[serde(default)]
        paused: bool,
    },
    Pause,
    Resume,
    /// Let a paused run advance by about one progress tick, then pause again.
    Step,
    Cancel,
}

/// Pausing and stepping: the runner's progress callback waits here while paused.
struct Gate {
    state: Mutex<GateState>,
    cv: Condvar,
}

struct GateState {
    paused: bool,
    /// Progress ticks that may pass while paused (granted by `step`).
    tokens: u64,
    /// Ticks a `step` grants: one per replicate of the variant under way.
    per_step: u64,
    cancelled: bool,
}

impl Gate {
    fn new(paused: bool) -> Gate {
        Gate {
            state: Mutex::new(GateState {
                paused,
                tokens: 0,
                per_step: 1,
                cancelled: false,
            }),
            cv: Condvar::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, GateState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Called by the run's workers at each progress tick.
    fn pass(&self) {
        let mut s = self.lock();
        while s.paused && s.tokens == 0 && !s.cancelled {
            s = self.cv.wait(s).unwrap_or_else(|e| e.into_inner());
        }
        if s.paused && s.tokens > 0 {
            s.tokens -= 1;
        }
    }

    fn set_paused(&self, paused: bool) {
        let mut s = self.lock();
        s.paused = paused;
        s.tokens = 0;
        self.cv.notify_all();
    }

    fn step(&self) {
        let mut s = self.lock();
        s.paused = true;
        s.tokens += s.per_step;
        self.cv.notify_all();
    }

    fn set_per_step(&self, n: u64) {
        self.lock().per_step = n.max(1);
    }

    fn cancel(&self) {
        self.lock().cancelled = true;
        self.cv.notify_all();
    }
}

/// A run under way, as the session sees it.
struct Running {
    seq: u64,
    cancel: Arc<AtomicBool>,
    gate: Arc<Gate>,
    done: Arc<AtomicU64>,
    total: u64,
    started: Instant,
    last_sent: u64,
}

/// What the run thread reports to the session.
enum RunEvent {
    Variant(Box<VariantData>),
    Done { run_id: String, elapsed: f64 },
    Failed(String),
    Cancelled,
}

pub(crate) async fn session(mut socket: WebSocket, ip: IpAddr, app: App) {
    let (tx, mut rx) = mpsc::channel::<(u64, RunEvent)>(64);
    let mut running: Option<Running> = None;
    let mut seq = 0u64;
    let mut ticker = tokio::time::interval(PROGRESS_EVERY);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut shutdown = app.shutdown.clone();
    loop {
        tokio::select! {
            msg = socket.recv() => {
                let msg = match msg {
                    None => break,
                    Some(Ok(m)) => m,
                    Some(Err(e)) => {
                        // Over the hard size limit (1009), or not WebSocket (1002): say
                        // why and close.
                        let (code, reason) = refusal(&e.to_string(), app.limits.max_message.saturating_mul(4));
                        let _ = socket
                            .send(Message::Close(Some(CloseFrame {
                                code,
                                reason: Utf8Bytes::from(reason),
                            })))
                            .await;
                        break;
                    }
                };
                let text = match msg {
                    Message::Text(t) => t,
                    Message::Close(_) => break,
                    Message::Ping(_) | Message::Pong(_) => continue,
                    Message::Binary(_) => {
                        send(&mut socket, json!({"type": "error", "kind": "protocol",
                            "message": "malformed message: expected a JSON text message"})).await;
                        continue;
                    }
                };
                if text.len() > app.limits.max_message {
                    send(&mut socket, json!({"type": "error", "kind": "protocol",
                        "message": format!("message too large: {} bytes (the limit is {} bytes)",
                            text.len(), app.limits.max_message)})).await;
                    continue;
                }
                let parsed: Result<ClientMsg, _> = serde_json::from_str(text.as_str());
                let cmd = match parsed {
                    Ok(c) => c,
                    Err(e) => {
                        send(&mut socket, json!({"type": "error", "kind": "protocol",
                            "message": format!("malformed message: {e} (expected {{\"type\": \"run\" | \"pause\" | \"resume\" | \"step\" | \"cancel\", ...}})")})).await;
                        continue;
                    }
                };
                match cmd {
                    ClientMsg::Run { scenario, paused } => {
                        if running.is_some() {
                            send(&mut socket, json!({"type": "error", "kind": "busy",
                                "message": "a run is already going on this page: cancel it first"})).await;
                            continue;
                        }
                        seq += 1;
                        match start(&app, ip, scenario, paused, seq, tx.clone()).await {
                            Ok((r, started)) => {
                                running = Some(r);
                                send(&mut socket, started).await;
                            }
                            Err(reply) => send(&mut socket, reply).await,
                        }
                    }
                    ClientMsg::Pause | ClientMsg::Resume | ClientMsg::Step => {
                        let Some(r) = &running else {
                            send(&mut socket, json!({"type": "error", "kind": "idle",
                                "message": "no run is going: press Run first"})).await;
                            continue;
                        };
                        let paused = match cmd {
                            ClientMsg::Pause => { r.gate.set_paused(true); true }
                            ClientMsg::Resume => { r.gate.set_paused(false); false }
                            _ => { r.gate.step(); true }
                        };
                        send(&mut socket, json!({"type": "state", "seq": r.seq, "paused": paused})).await;
                    }
                    ClientMsg::Cancel => {
                        if let Some(r) = &running {
                            r.cancel.store(true, Ordering::SeqCst);
                            r.gate.cancel();
                        }
                        // The run thread answers with `cancelled` once it has stopped.
                    }
                }
            }
            Some((s, ev)) = rx.recv() => {
                let Some(r) = running.as_mut().filter(|r| r.seq == s) else { continue };
                let finished = !matches!(ev, RunEvent::Variant(_));
                if finished {
                    let done = r.done.load(Ordering::Relaxed);
                    send(&mut socket, progress_msg(r, done)).await;
                }
                let reply = match ev {
                    RunEvent::Variant(d) => json!({"type": "variant", "seq": s, "data": d}),
                    RunEvent::Done { run_id, elapsed } => json!({"type": "done", "seq": s,
                        "run_id": run_id, "elapsed": elapsed}),
                    RunEvent::Failed(message) => json!({"type": "error", "seq": s, "kind": "run",
                        "message": message}),
                    RunEvent::Cancelled => json!({"type": "cancelled", "seq": s}),
                };
                send(&mut socket, reply).await;
                if finished {
                    running = None;
                }
            }
            _ = ticker.tick() => {
                if let Some(r) = running.as_mut() {
                    let done = r.done.load(Ordering::Relaxed);
                    if done != r.last_sent {
                        r.last_sent = done;
                        let m = progress_msg(r, done);
                        send(&mut socket, m).await;
                    }
                }
            }
            () = stopping(&mut shutdown) => {
                let _ = socket
                    .send(Message::Close(Some(CloseFrame {
                        code: 1001,
                        reason: Utf8Bytes::from_static("the server is shutting down"),
                    })))
                    .await;
                break;
            }
        }
    }
    // The page is gone: stop its run.
    if let Some(r) = running {
        r.cancel.store(true, Ordering::SeqCst);
        r.gate.cancel();
    }
}

/// Completes when the server shuts down.
async fn stopping(rx: &mut tokio::sync::watch::Receiver<bool>) {
    let _ = rx.wait_for(|s| *s).await;
}

fn progress_msg(r: &Running, done: u64) -> serde_json::Value {
    json!({"type": "progress", "seq": r.seq, "done": done, "total": r.total,
        "elapsed": r.started.elapsed().as_secs_f64()})
}

/// A close code and a clear sentence for a failed receive (tungstenite's "Space limit
/// exceeded: Message too long: N > M" and friends).
fn refusal(err: &str, limit: usize) -> (u16, String) {
    if err.contains("too long") || err.contains("Space limit") || err.contains("Capacity") {
        (
            1009,
            format!("message too large: the limit is {limit} bytes"),
        )
    } else {
        let mut s = format!("closed: {err}");
        // A close reason must fit in 123 bytes.
        while s.len() > 120 {
            s.pop();
        }
        (1002, s)
    }
}

async fn send(socket: &mut WebSocket, v: serde_json::Value) {
    let _ = socket
        .send(Message::Text(Utf8Bytes::from(v.to_string())))
        .await;
}

/// Parse, check and start a run. Returns the session's handle and the `started` reply,
/// or the error reply.
async fn start(
    app: &App,
    ip: IpAddr,
    req: ScenarioRequest,
    paused: bool,
    seq: u64,
    tx: mpsc::Sender<(u64, RunEvent)>,
) -> Result<(Running, serde_json::Value), serde_json::Value> {
    let app2 = app.clone();
    let parsed = tokio::task::spawn_blocking(move || parse_request(&app2, &req))
        .await
        .map_err(|e| json!({"type": "error", "kind": "run", "message": e.to_string()}))?;
    let exp = match parsed {
        Ok(exp) => exp,
        Err(err) => {
            return Err(json!({"type": "error", "kind": "scenario", "error": err}));
        }
    };
    if let Err(message) = check_size(&exp, &app.limits) {
        return Err(json!({"type": "error", "kind": "limit", "message": message}));
    }
    let slot = app
        .clients
        .acquire(ip, &app.limits)
        .map_err(|message| json!({"type": "error", "kind": "busy", "message": message}))?;

    let total = runner::total_steps(&exp);
    let cancel = Arc::new(AtomicBool::new(false));
    let gate = Arc::new(Gate::new(paused));
    let done = Arc::new(AtomicU64::new(0));
    let started = json!({
        "type": "started",
        "seq": seq,
        "name": exp.name,
        "total": total,
        "paused": paused,
        "variants": exp.variants.iter().map(|v| &v.label).collect::<Vec<_>>(),
        "resolved_toml": resolved_toml(&exp),
    });
    let running = Running {
        seq,
        cancel: cancel.clone(),
        gate: gate.clone(),
        done: done.clone(),
        total,
        started: Instant::now(),
        last_sent: 0,
    };
    let app = app.clone();
    tokio::task::spawn_blocking(move || {
        let _slot = slot; // released when the run ends
        let t0 = Instant::now();
        let ev = match execute(&exp, &cancel, &gate, &done, &tx, seq) {
            Ok(output) => {
                let elapsed = t0.elapsed().as_secs_f64();
                let run_id = app.runs.insert(exp, output, app.limits.kept_runs);
                RunEvent::Done { run_id, elapsed }
            }
            Err(RunError::Cancelled) => RunEvent::Cancelled,
            Err(e) => RunEvent::Failed(e.to_string()),
        };
        let _ = tx.blocking_send((seq, ev));
    });
    Ok((running, started))
}

/// The resolved scenario as `counterweight run` writes it into `scenario.toml`.
pub(crate) fn resolved_toml(exp: &Experiment) -> String {
    format!(
        "# counterweight {} — resolved scenario\n{}",
        counterweight::VERSION,
        exp.resolved_toml
    )
}

/// Run every variant in order on a pool of the run's own, sending each variant's charts
/// as soon as it completes.
fn execute(
    exp: &Experiment,
    cancel: &AtomicBool,
    gate: &Gate,
    done: &AtomicU64,
    tx: &mpsc::Sender<(u64, RunEvent)>,
    seq: u64,
) -> Result<ExperimentOutput, RunError> {
    // A pool of the run's own: pausing blocks its workers and nobody else's. Should the
    // pool fail to start (no threads left), the run uses the global pool.
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("serve-run-{i}"))
        .build()
        .ok();
    let several = exp.variants.len() > 1;
    let mut base = 0u64;
    let mut variants = Vec::with_capacity(exp.variants.len());
    for (i, v) in exp.variants.iter().enumerate() {
        gate.set_per_step(u64::from(v.scenario.replicates));
        let tick = |d: u64| {
            done.store(base + d, Ordering::Relaxed);
            gate.pass();
        };
        let opts = RunOptions {
            progress: Some(&tick),
            cancel: Some(cancel),
        };
        let run = || runner::run(&v.scenario, &opts);
        let out = match &pool {
            Some(p) => p.install(run),
            None => run(),
        }
        .map_err(|e| e.in_variant(&several.then(|| v.label.clone())))?;
        base += v.scenario.time.steps * u64::from(v.scenario.replicates);
        done.store(base, Ordering::Relaxed);
        let (data, out) = variant_payload(exp, i, out);
        let _ = tx.blocking_send((seq, RunEvent::Variant(Box::new(data))));
        variants.push((v.label.clone(), out));
    }
    Ok(ExperimentOutput { variants })
}

/// Refuse runs that would not fit: memory for the actors, the recorded rows.
fn check_size(exp: &Experiment, limits: &crate::Limits) -> Result<(), String> {
    use counterweight::scenario::ActorsOutput;
    let mut actor_reps = 0u64;
    let mut rows = 0u64;
    let mut actor_rows = 0u64;
    for v in &exp.variants {
        let s = &v.scenario;
        let reps = u64::from(s.replicates);
        let n = s.actor_count() as u64;
        let recorded = s.time.steps / s.output.every.max(1) + 2;
        actor_reps = actor_reps.saturating_add(n.saturating_mul(reps));
        rows = rows.saturating_add(recorded.saturating_mul(reps));
        actor_rows = actor_rows.saturating_add(match s.output.actors {
            ActorsOutput::None => 0,
            ActorsOutput::Final => n.saturating_mul(reps),
            ActorsOutput::All => n.saturating_mul(reps).saturating_mul(recorded),
        });
    }
    if actor_reps > limits.max_actor_replicates {
        return Err(format!(
            "this run is too large for `serve`: {actor_reps} actors × replicates (the limit is {}); run it with `counterweight run` instead",
            limits.max_actor_replicates
        ));
    }
    if rows > limits.max_recorded_rows {
        return Err(format!(
            "this run would record {rows} rows of metrics (the limit is {}): raise output.every",
            limits.max_recorded_rows
        ));
    }
    if actor_rows > limits.max_actor_rows {
        return Err(format!(
            "this run would record {actor_rows} per-actor rows (the limit is {}): set output.actors = \"final\" or \"none\"",
            limits.max_actor_rows
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_parse_strictly() {
        let m: ClientMsg = serde_json::from_str(
            r#"{"type":"run","toml":"x","origin":"a.toml","overrides":["seed=3"],"paused":true}"#,
        )
        .unwrap();
        assert!(matches!(m, ClientMsg::Run { paused: true, .. }));
        assert!(serde_json::from_str::<ClientMsg>(r#"{"type":"pause"}"#).is_ok());
        assert!(serde_json::from_str::<ClientMsg>(r#"{"type":"explode"}"#).is_err());
        assert!(serde_json::from_str::<ClientMsg>(r#"{"type":"run"}"#).is_err());
        assert!(serde_json::from_str::<ClientMsg>("not json").is_err());
    }

    #[test]
    fn a_paused_gate_lets_a_step_through_and_a_cancel_wakes_it() {
        let gate = Arc::new(Gate::new(true));
        let passed = Arc::new(AtomicU64::new(0));
        let (g, p) = (gate.clone(), passed.clone());
        let worker = std::thread::spawn(move || {
            for _ in 0..3 {
                g.pass();
                p.fetch_add(1, Ordering::SeqCst);
            }
        });
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(passed.load(Ordering::SeqCst), 0, "paused");
        gate.step();
        let t = Instant::now();
        while passed.load(Ordering::SeqCst) < 1 && t.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(5));
        }
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(passed.load(Ordering::SeqCst), 1, "one step, one tick");
        gate.cancel();
        worker.join().unwrap();
        assert_eq!(passed.load(Ordering::SeqCst), 3);
    }
}
