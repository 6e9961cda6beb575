//! The laboratory is generated from the registry: a model registered by a downstream crate
//! (the Kesten process of docs/extending.md, kept in the library's examples) gets its
//! controls from its declared parameters and its charts from its declared columns, and
//! runs to the library's numbers, with no server code of its own; every built-in model's
//! declared parameters become controls of its embedded example, and it runs.

#[path = "support/ws_client.rs"]
mod ws_client;

#[path = "../../counterweight/examples/kesten/model.rs"]
#[allow(dead_code)]
mod model;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use serde_json::{Value, json};
use tungstenite::Message;

use counterweight::registry::Registry;
use counterweight_serve::Config;

const KESTEN: &str = r#"
name = "kesten-lab"
model = "kesten"
seed = 5
replicates = 3
time = { end = 40.0, dt = 1.0 }

[kesten]
log_mean = -0.1
inflow = 1.0

[[actors]]
group = "households"
count = 200
initial = { constant = 1.0 }

[output]
every = 5
"#;

/// A server on a free port, on its own runtime; stopped when dropped.
struct Server {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    fn start(registry: Registry) -> Server {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        std_listener.set_nonblocking(true).unwrap();
        let addr = std_listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(std_listener).unwrap();
                let config = Config {
                    port: addr.port(),
                    registry,
                    ..Config::default()
                };
                counterweight_serve::serve(listener, config, async move {
                    let _ = rx.await;
                })
                .await
                .unwrap();
            });
        });
        Server {
            addr,
            stop: Some(tx),
            thread: Some(thread),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn http(addr: SocketAddr, req: &[u8]) -> (u16, Value) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    s.write_all(req).unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).unwrap();
    let text = String::from_utf8_lossy(&buf).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let status = head[9..12].parse().unwrap();
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

fn get(addr: SocketAddr, path: &str) -> Value {
    let (status, v) = http(
        addr,
        format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
    );
    assert_eq!(status, 200, "{path}: {v}");
    v
}

fn post(addr: SocketAddr, path: &str, body: &Value) -> Value {
    let body = body.to_string();
    let req = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let (status, v) = http(addr, req.as_bytes());
    assert_eq!(status, 200, "{path}: {v}");
    v
}

fn scenario(toml: &str, overrides: &[&str]) -> Value {
    json!({"toml": toml, "origin": "lab.toml", "overrides": overrides, "seed": null})
}

/// Run over the WebSocket; the `variant` messages and the `done` message.
fn run(addr: SocketAddr, toml: &str, overrides: &[&str]) -> (Vec<Value>, Value) {
    let mut ws = ws_client::connect(addr);
    let mut msg = scenario(toml, overrides);
    msg["type"] = json!("run");
    ws.send(Message::text(msg.to_string())).unwrap();
    let mut variants = Vec::new();
    loop {
        if let Message::Text(t) = ws_client::read(&mut ws).unwrap() {
            let v: Value = serde_json::from_str(t.as_str()).unwrap();
            match v["type"].as_str().unwrap() {
                "variant" => variants.push(v["data"].clone()),
                "done" => return (variants, v),
                "error" | "cancelled" => panic!("{v}"),
                _ => {}
            }
        }
    }
}

fn control<'a>(params: &'a Value, path: &str) -> &'a Value {
    params
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["path"] == path)
        .unwrap_or_else(|| panic!("no control {path} in {params}"))
}

#[test]
fn a_model_registered_downstream_gets_controls_charts_and_the_library_numbers() {
    let registry = counterweight::model::builtin().clone().with(model::Kesten);
    let s = Server::start(registry.clone());

    // Listed with its declared parameters.
    let models = get(s.addr, "/api/models");
    let kesten = models
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "kesten")
        .expect("kesten is listed");
    assert!(kesten["about"].as_str().unwrap().contains("Kesten"));
    assert_eq!(kesten["params"].as_array().unwrap().len(), 3);

    // Controls from the declaration: unit, range, doc line; a parameter the scenario
    // leaves out shows its default.
    let r = post(s.addr, "/api/scenario", &scenario(KESTEN, &[]));
    assert_eq!(r["ok"], true, "{r}");
    let params = &r["params"];
    let inflow = control(params, "kesten.inflow");
    assert_eq!(inflow["unit"], "wealth per step");
    assert_eq!(inflow["min"], 0.0);
    assert_eq!(inflow["doc"], "b");
    assert_eq!(inflow["value"], "1.0");
    assert_eq!(inflow["section"], "model: kesten");
    let sd = control(params, "kesten.log_sd");
    assert_eq!(
        (sd["set"].clone(), sd["value"].clone()),
        (json!(false), json!("0.0"))
    );
    assert_eq!(control(params, "kesten.log_mean")["doc"], "m: mean of ln a");
    // Common scenario fields follow as plain inputs.
    assert_eq!(control(params, "actors[0].count")["kind"], "integer");
    assert!(r["model_about"].as_str().unwrap().contains("Kesten"));

    // A control's change is an override, as `--set`; the run gives the library's numbers
    // and charts the model's own column.
    let overrides = ["kesten.log_sd=0.3", "seed=9"];
    let (variants, done) = run(s.addr, KESTEN, &overrides);
    assert!(done["run_id"].as_str().is_some());
    let d = &variants[0];
    assert_eq!(d["observation"]["concentration"], true);
    let cols = d["observation"]["columns"].as_array().unwrap();
    assert_eq!(cols.len(), 1);
    assert_eq!(cols[0]["name"], "mean");
    let mean = d["series"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["name"] == "mean")
        .expect("the model's column is charted");
    assert!(
        mean["lo"].is_array() && mean["hi"].is_array(),
        "replicates give a band"
    );
    let overrides: Vec<String> = overrides.iter().map(|o| o.to_string()).collect();
    let exp = counterweight::scenario::parse_with(&registry, KESTEN, "lab.toml", None, &overrides)
        .unwrap();
    let out = counterweight::runner::run_experiment(&exp, &Default::default()).unwrap();
    let m = &out.variants[0].1.metrics;
    let reps = m.f64_column("replicate").unwrap();
    let last0 = reps.iter().rposition(|&r| r == 0.0).unwrap();
    for col in ["mean", "gini", "top1_share"] {
        let want = m.f64_column(col).unwrap()[last0];
        let got = d["final_row"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c[0] == col)
            .unwrap()[1]
            .as_f64()
            .unwrap();
        assert_eq!(got.to_bits(), want.to_bits(), "{col}");
    }
    // The key numbers are the run record's (as `counterweight run` prints them).
    let record = counterweight::io::run::RunRecord::from_output(&exp, &out);
    let keys: Vec<(String, String)> = serde_json::from_value(d["key_numbers"].clone()).unwrap();
    assert_eq!(keys, record.key_numbers);

    // A server with the built-in models only does not know it, and says so.
    drop(s);
    let b = Server::start(counterweight::model::builtin().clone());
    let r = post(b.addr, "/api/scenario", &scenario(KESTEN, &[]));
    assert_eq!(r["ok"], false);
    assert!(
        r["error"]["message"].as_str().unwrap().contains("kesten"),
        "{r}"
    );
}

#[test]
fn every_builtin_model_gets_its_declared_controls_and_runs() {
    let s = Server::start(counterweight::model::builtin().clone());
    let models = get(s.addr, "/api/models");
    let examples = get(s.addr, "/api/examples");
    let models = models.as_array().unwrap();
    assert!(models.len() >= 4, "{models:?}");
    for m in models {
        let name = m["name"].as_str().unwrap();
        let declared = m["params"].as_array().unwrap();
        assert!(!declared.is_empty(), "{name} declares no parameters");
        let ex = examples
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["model"] == name)
            .unwrap_or_else(|| panic!("no embedded example of {name}"));
        let text = get(
            s.addr,
            &format!("/api/examples/{}", ex["name"].as_str().unwrap()),
        );
        let toml = text["text"].as_str().unwrap();
        let r = post(s.addr, "/api/scenario", &scenario(toml, &[]));
        assert_eq!(r["ok"], true, "{name}: {r}");
        for p in declared {
            let path = p["path"].as_str().unwrap();
            let c = control(&r["params"], path);
            for field in ["kind", "unit", "default", "min", "max", "choices", "doc"] {
                assert_eq!(c[field], p[field], "{name}: {path}: {field}");
            }
            let section = match p["table"].as_str() {
                Some(t) => format!("[{t}] (optional)"),
                None => format!("model: {name}"),
            };
            assert_eq!(c["section"], section, "{name}: {path}");
            // What the example sets applies to it (the registry's conditions agree).
            if c["set"] == true {
                assert_eq!(
                    c["applies"], true,
                    "{name}: {path} is set but does not apply"
                );
            }
            // Every value the scenario sets is accepted back as an override (a default
            // resent for a field the scenario leaves out may not apply: market.scale is for
            // constant-elasticity demand only).
            if c["set"] == true {
                let o = format!("{path}={}", c["value"].as_str().unwrap());
                let back = post(s.addr, "/api/scenario", &scenario(toml, &[o.as_str()]));
                assert_eq!(back["ok"], true, "{name}: {o}: {back}");
            }
        }
        // And it runs, one replicate, charting what the model records.
        let (variants, _) = run(s.addr, toml, &["replicates=1"]);
        for d in &variants {
            let obs = &d["observation"];
            let names: Vec<&str> = d["series"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x["name"].as_str().unwrap())
                .collect();
            if obs["concentration"] == true {
                assert!(names.contains(&"gini"), "{name}: {names:?}");
            }
            for c in obs["columns"].as_array().unwrap() {
                assert!(
                    names.contains(&c["name"].as_str().unwrap()),
                    "{name}: column {c} not charted"
                );
            }
            assert!(!d["key_numbers"].as_array().unwrap().is_empty(), "{name}");
        }
    }
}
