//! The `serve` pages in a real browser: headless Chromium driven through chromedriver
//! (WebDriver, with the `fantoccini` client). Ignored by default because it needs
//! Debian's `chromium` and `chromium-driver`; `scripts/test.d/browser.sh` installs them
//! and runs it (`cargo test --release -p counterweight-cli --test browser -- --ignored`).
//!
//! One browser session goes through the checks in order; each check reports on its own
//! line, and the test fails at the end if any check failed. The screenshots of the pages
//! land in the test's temporary directory (viewport only), or, with
//! `COUNTERWEIGHT_SCREENSHOTS=DIR` (relative to the workspace, e.g. `docs/img`), in `DIR`
//! as full-page images: that is how the docs' `serve-*.png` are made.
//!
//! Environment: `CHROMIUM` (default `/usr/bin/chromium`), `CHROMEDRIVER` (default
//! `chromedriver` on the PATH), `COUNTERWEIGHT_SCREENSHOTS`, and
//! `COUNTERWEIGHT_BROWSER_CHECKS=word,...` to run only the checks whose names contain
//! one of the words.

mod common;

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{Server, cli, final_rows};
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

type R = Result<(), String>;

/// The 200 ms budget for a UI action during a run of a million actors (issue 10).
const BUDGET_MS: f64 = 200.0;

struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start_driver() -> Driver {
    let exe = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
    let port = free_port();
    let child = Command::new(&exe)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {exe}: {e} (install chromium-driver)"));
    let t = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "chromedriver did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    Driver { child, port }
}

async fn browser(driver: &Driver, profile: &Path) -> Client {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let caps = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": chromium,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", format!("--window-size={},{}", WINDOW.0, WINDOW.1), "--hide-scrollbars",
                format!("--user-data-dir={}", profile.display()),
            ],
        },
        "goog:loggingPrefs": {"browser": "ALL"},
    });
    let caps: serde_json::Map<String, Value> = serde_json::from_value(caps).unwrap();
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a WebDriver session with headless Chromium")
}

/// chromedriver's log endpoint: the console messages since the last call.
#[derive(Debug)]
struct BrowserLog;

impl fantoccini::wd::WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
    }
    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(r#"{"type":"browser"}"#.into()))
    }
}

struct Ctx {
    c: Client,
    base: String,
    dir: PathBuf,
    img: PathBuf,
    /// Whole pages (for the docs) rather than the window.
    full_page: bool,
}

/// The browser window's size (`--window-size`).
const WINDOW: (u32, u32) = (1440, 1500);

impl Ctx {
    async fn goto(&self, path: &str) -> R {
        self.c
            .goto(&format!("{}{path}", self.base))
            .await
            .map_err(|e| format!("goto {path}: {e}"))
    }

    async fn js(&self, script: &str) -> Result<Value, String> {
        self.c
            .execute(script, vec![])
            .await
            .map_err(|e| format!("script failed: {e}\n{script}"))
    }

    async fn js_async(&self, script: &str) -> Result<Value, String> {
        self.c
            .execute_async(script, vec![])
            .await
            .map_err(|e| format!("script failed: {e}\n{script}"))
    }

    /// Wait until the JavaScript expression `cond` is true.
    async fn wait(&self, cond: &str, timeout: Duration) -> R {
        let t = Instant::now();
        loop {
            if self.js(&format!("return !!({cond});")).await? == json!(true) {
                return Ok(());
            }
            if t.elapsed() > timeout {
                let state = self
                    .js("return [document.body.dataset.runState, document.body.dataset.checked, document.getElementById('status') && document.getElementById('status').textContent];")
                    .await
                    .unwrap_or_default();
                return Err(format!(
                    "timed out after {timeout:?} waiting for {cond} (page: {state})"
                ));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn find(&self, css: &str) -> Result<Element, String> {
        self.c
            .find(Locator::Css(css))
            .await
            .map_err(|e| format!("no element {css}: {e}"))
    }

    async fn click(&self, css: &str) -> R {
        self.find(css)
            .await?
            .click()
            .await
            .map_err(|e| format!("click {css}: {e}"))
    }

    /// Type into an input as a person would: select its text, type over it, press Tab
    /// (which commits the value: a change event).
    async fn type_into(&self, css: &str, text: &str) -> R {
        use fantoccini::key::Key;
        let e = self.find(css).await?;
        e.click().await.map_err(|e| format!("click {css}: {e}"))?;
        let keys = format!(
            "{}a{}{text}{}",
            char::from(Key::Control),
            char::from(Key::Null),
            char::from(Key::Tab)
        );
        e.send_keys(&keys)
            .await
            .map_err(|e| format!("type into {css}: {e}"))
    }

    /// Set a textarea's whole text (as pasting does) and let the page hear about it.
    async fn set_editor(&self, text: &str) -> R {
        self.c
            .execute(
                "const e = document.getElementById('editor'); e.value = arguments[0]; e.dispatchEvent(new Event('input'));",
                vec![json!(text)],
            )
            .await
            .map(|_| ())
            .map_err(|e| format!("set editor: {e}"))
    }

    async fn text(&self, css: &str) -> Result<String, String> {
        self.find(css)
            .await?
            .text()
            .await
            .map_err(|e| format!("text of {css}: {e}"))
    }

    async fn console_errors(&self) -> Result<Vec<String>, String> {
        let logs = self
            .c
            .issue_cmd(BrowserLog)
            .await
            .map_err(|e| format!("browser log: {e}"))?;
        Ok(logs
            .as_array()
            .into_iter()
            .flatten()
            .filter(|l| l["level"] == "SEVERE")
            .map(|l| l["message"].as_str().unwrap_or_default().to_string())
            .collect())
    }

    async fn screenshot(&self, name: &str) -> R {
        self.js("window.scrollTo(0, 0); document.activeElement && document.activeElement.blur();")
            .await?;
        if self.full_page {
            // Grow the window to the page's height (the viewport is what is captured),
            // correcting once for the difference between window and viewport.
            let height = || async {
                let v = self
                    .js("return [Math.ceil(Math.max(document.documentElement.scrollHeight, document.body.scrollHeight)), window.innerHeight];")
                    .await?;
                Ok::<(u32, u32), String>((
                    v[0].as_u64().unwrap_or(1500) as u32,
                    v[1].as_u64().unwrap_or(1500) as u32,
                ))
            };
            let (page, _) = height().await?;
            let want = page.clamp(WINDOW.1, 12_000);
            self.c
                .set_window_size(WINDOW.0, want)
                .await
                .map_err(|e| format!("resize: {e}"))?;
            tokio::time::sleep(Duration::from_millis(300)).await;
            let (page, inner) = height().await?;
            if inner < page.min(12_000) {
                self.c
                    .set_window_size(WINDOW.0, want + (page.min(12_000) - inner))
                    .await
                    .map_err(|e| format!("resize: {e}"))?;
            }
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        let png = self
            .c
            .screenshot()
            .await
            .map_err(|e| format!("screenshot: {e}"));
        if self.full_page {
            self.c
                .set_window_size(WINDOW.0, WINDOW.1)
                .await
                .map_err(|e| format!("resize: {e}"))?;
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        std::fs::write(self.img.join(name), png?).map_err(|e| format!("write {name}: {e}"))
    }

    /// Every control's path and value (what Reset must restore).
    async fn controls(&self) -> Result<Value, String> {
        self.js("return [...document.querySelectorAll('#controls [data-path]')].map(i => [i.dataset.path, i.type === 'checkbox' ? String(i.checked) : i.value, i.disabled]);")
            .await
    }

    /// The editor's text.
    async fn editor(&self) -> Result<String, String> {
        Ok(self
            .js("return document.getElementById('editor').value;")
            .await?
            .as_str()
            .unwrap_or_default()
            .to_string())
    }

    /// Run and wait for the end of the run.
    async fn run(&self) -> R {
        self.click("#run").await?;
        self.wait(
            "document.body.dataset.runState === 'running' || document.body.dataset.runState === 'done'",
            Duration::from_secs(30),
        )
        .await?;
        self.wait(
            "document.body.dataset.runState === 'done'",
            Duration::from_secs(120),
        )
        .await
    }

    /// Choose `value` in the menu `css` as a person would (a change event).
    async fn choose(&self, css: &str, value: &str) -> R {
        self.c
            .execute(
                "const s = document.querySelector(arguments[0]); s.value = arguments[1]; s.dispatchEvent(new Event('change'));",
                vec![json!(css), json!(value)],
            )
            .await
            .map(|_| ())
            .map_err(|e| format!("choose {value} in {css}: {e}"))
    }

    /// The key numbers on the laboratory page: (variant, column, exact value).
    async fn key_numbers(&self) -> Result<Vec<(String, String, f64)>, String> {
        let v = self
            .js("return [...document.querySelectorAll('#keys-table td[data-col]')].map(td => [td.dataset.variant, td.dataset.col, td.dataset.value]);")
            .await?;
        Ok(v.as_array()
            .into_iter()
            .flatten()
            .map(|r| {
                (
                    r[0].as_str().unwrap_or_default().to_string(),
                    r[1].as_str().unwrap_or_default().to_string(),
                    r[2].as_str().unwrap_or("NaN").parse().unwrap_or(f64::NAN),
                )
            })
            .collect())
    }

    /// A fingerprint of a variant's chart pixels.
    async fn chart_pixels(&self, variant: usize, chart: &str) -> Result<String, String> {
        let v = self
            .js(&format!(
                "const c = document.querySelector('[data-variant=\"{variant}\"] [data-chart=\"{chart}\"] canvas'); return c ? c.toDataURL() : '';"
            ))
            .await?;
        Ok(v.as_str().unwrap_or_default().to_string())
    }

    async fn lab(&self, scenario: &str) -> R {
        self.goto(&format!("/?scenario={scenario}")).await?;
        self.wait(
            "document.body.dataset.checked === 'ok' && document.querySelectorAll('#controls [data-path]').length > 0",
            Duration::from_secs(30),
        )
        .await
    }

    /// After a control changed: wait for the page's check of the new scenario.
    async fn checked(&self, want: &str) -> R {
        tokio::time::sleep(Duration::from_millis(50)).await;
        self.wait(
            &format!("document.body.dataset.checked === '{want}'"),
            Duration::from_secs(30),
        )
        .await
    }
}

// ---------------------------------------------------------------------- the checks

/// Every page loads without a console error.
async fn pages_load_without_console_errors(cx: &Ctx) -> R {
    cx.console_errors().await?;
    for (path, ready) in [
        (
            "/",
            "document.body.dataset.checked === 'ok' && document.querySelectorAll('#controls [data-path]').length > 0",
        ),
        (
            "/governance",
            "document.body.dataset.replayState === 'done'",
        ),
        ("/measure", "document.body.dataset.measureState === 'idle'"),
    ] {
        cx.goto(path).await?;
        cx.wait(ready, Duration::from_secs(30)).await?;
        let errors = cx.console_errors().await?;
        if !errors.is_empty() {
            return Err(format!("{path}: console errors: {errors:?}"));
        }
    }
    Ok(())
}

/// Change returns to scale and the seed, run: the charts and key numbers change, and the
/// numbers are the CLI's for the same scenario and seed, bit for bit. The exported
/// scenario is the CLI's resolved scenario.
async fn returns_to_scale_updates_charts_and_numbers_as_the_cli(cx: &Ctx) -> R {
    cx.lab("core-claim").await?;
    cx.click("#run").await?;
    cx.wait(
        "document.body.dataset.runState === 'done'",
        Duration::from_secs(60),
    )
    .await?;
    let before = cx.key_numbers().await?;
    let pixels_before = cx.chart_pixels(0, "shares").await?;
    if before.len() < 3 * 7 || pixels_before.is_empty() {
        return Err(format!(
            "no key numbers or chart after the first run: {before:?}"
        ));
    }

    cx.type_into("[data-path=\"growth.returns_to_scale\"]", "1.1")
        .await?;
    cx.checked("ok").await?;
    cx.type_into("#seed", "11").await?;
    cx.checked("ok").await?;
    cx.click("#run").await?;
    cx.wait(
        "document.body.dataset.runState === 'running' || document.body.dataset.runState === 'done'",
        Duration::from_secs(30),
    )
    .await?;
    cx.wait(
        "document.body.dataset.runState === 'done'",
        Duration::from_secs(60),
    )
    .await?;
    let after = cx.key_numbers().await?;
    let pixels_after = cx.chart_pixels(0, "shares").await?;
    if after == before {
        return Err("the key numbers did not change".into());
    }
    if pixels_after == pixels_before {
        return Err("the shares chart did not change".into());
    }

    let out = cli(
        &[
            "run",
            "core-claim",
            "--seed",
            "11",
            "--set",
            "growth.returns_to_scale=1.1",
            "--out",
            "lab-cli",
            "--quiet",
        ],
        &cx.dir,
    );
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    // The exported scenario is the CLI's resolved scenario, byte for byte.
    let exported = cx
        .js_async("const done = arguments[arguments.length - 1]; fetch(document.getElementById('export-toml').href).then(r => r.text()).then(done, e => done('ERR ' + e));")
        .await?;
    let cli_toml =
        std::fs::read_to_string(cx.dir.join("lab-cli/scenario.toml")).map_err(|e| e.to_string())?;
    if exported.as_str() != Some(cli_toml.as_str()) {
        return Err(format!(
            "exported scenario differs from the CLI's:\n{exported}\n---\n{cli_toml}"
        ));
    }
    let csv =
        std::fs::read_to_string(cx.dir.join("lab-cli/metrics.csv")).map_err(|e| e.to_string())?;
    let rows = final_rows(&csv);
    let mut compared = 0;
    for (variant, col, got) in &after {
        let row = &rows
            .iter()
            .find(|(l, _)| l == variant)
            .ok_or_else(|| format!("no variant {variant} in the CLI's metrics"))?
            .1;
        let cell = &row
            .iter()
            .find(|(n, _)| n == col)
            .ok_or_else(|| format!("no column {col}"))?
            .1;
        let want: f64 = cell.parse().unwrap_or(f64::NAN);
        if !(want.to_bits() == got.to_bits() || (want.is_nan() && got.is_nan())) {
            return Err(format!("{variant}: {col}: page {got} vs CLI {want}"));
        }
        compared += 1;
    }
    if compared < 3 * 7 {
        return Err(format!("only {compared} numbers compared"));
    }

    let zip = cx
        .js("return document.getElementById('export-zip').getAttribute('href') || '';")
        .await?;
    if !zip.as_str().unwrap_or_default().ends_with("/run.zip") {
        return Err(format!("no zip export link: {zip}"));
    }
    cx.screenshot("serve-lab.png").await
}

/// Every registered model appears with no page code of its own: its embedded example
/// gets a control per declared parameter (the doc line in the tooltip, the unit shown, a
/// slider where the range is bounded on both sides), and a run charts what the model
/// records (its own columns when it has them, e.g. the veto simulation) with the run
/// record's key numbers.
async fn every_model_renders_its_controls_and_runs(cx: &Ctx) -> R {
    let models = cx
        .js_async("const done = arguments[arguments.length - 1]; Promise.all([fetch('/api/models').then(r => r.json()), fetch('/api/examples').then(r => r.json())]).then(done, e => done('ERR ' + e));")
        .await?;
    let (models, examples) = (
        models[0].as_array().cloned().unwrap_or_default(),
        models[1].clone(),
    );
    if models.len() < 4 {
        return Err(format!("models: {models:?}"));
    }
    let mut screenshot_taken = false;
    for m in &models {
        let name = m["name"].as_str().unwrap_or_default();
        let example = examples
            .as_array()
            .into_iter()
            .flatten()
            .find(|e| e["model"] == name)
            .and_then(|e| e["name"].as_str())
            .ok_or_else(|| format!("no example of {name}"))?;
        cx.lab(example).await?;
        for p in m["params"].as_array().into_iter().flatten() {
            let path = p["path"].as_str().unwrap_or_default();
            let doc = p["doc"].as_str().unwrap_or_default();
            let found = cx
                .js(&format!(
                    "const i = document.querySelector('#controls [data-path=\"{path}\"]'); if (!i) return null; const row = i.closest('.control'); \
                     return [row.title, row.textContent, !!document.querySelector('#controls [data-range=\"{path}\"]'), i.type];"
                ))
                .await?;
            if found.is_null() {
                return Err(format!("{name}: no control for {path}"));
            }
            if !found[0].as_str().unwrap_or_default().contains(doc) {
                return Err(format!(
                    "{name}: {path}: tooltip {} lacks {doc:?}",
                    found[0]
                ));
            }
            let unit = p["unit"].as_str().unwrap_or_default();
            if !unit.is_empty() && !found[1].as_str().unwrap_or_default().contains(unit) {
                return Err(format!("{name}: {path}: unit {unit:?} not shown"));
            }
            // Numbers written as words ("1%") are edited as text, without a slider.
            let bounded = p["min"].is_number()
                && p["max"].is_number()
                && p["kind"] != "choice"
                && found[3] == "number";
            if found[2] != json!(bounded) {
                return Err(format!(
                    "{name}: {path}: slider {} but bounded {bounded}",
                    found[2]
                ));
            }
        }
        cx.type_into("[data-path=\"replicates\"]", "2").await?;
        cx.checked("ok").await?;
        cx.click("#run").await?;
        cx.wait(
            "document.body.dataset.runState === 'done'",
            Duration::from_secs(120),
        )
        .await?;
        let charts = cx
            .js("return [...document.querySelectorAll('[data-variant=\"0\"] [data-chart]')].map(c => [c.dataset.chart, !!c.querySelector('canvas, table.bars')]);")
            .await?;
        let charts: Vec<(String, bool)> =
            serde_json::from_value(charts).map_err(|e| e.to_string())?;
        let drawn = |k: &str| charts.iter().any(|(c, d)| c == k && *d);
        let own = cx
            .js("return document.querySelectorAll('#keys-head tr td.num').length;")
            .await?;
        if own.as_u64().unwrap_or(0) == 0 {
            return Err(format!("{name}: no key numbers"));
        }
        if name == "veto" {
            // Its declared charts: time in each state as bars over the state names.
            if !drawn("time_in_state") || drawn("shares") {
                return Err(format!(
                    "veto: its own columns are not what is charted: {charts:?}"
                ));
            }
            let bars = cx
                .js("return [...document.querySelectorAll('[data-variant=\"0\"] [data-chart=\"time_in_state\"] tr')].map(r => r.dataset.bar);")
                .await?;
            let states = json!([
                "Normal",
                "VetoSignalling",
                "VetoSignallingDeactivation",
                "VetoCooldown",
                "RageQuit"
            ]);
            if bars != states {
                return Err(format!("veto: time-in-state bars {bars}"));
            }
            // The same numbers as the CLI's run of the same scenario.
            let out = cli(
                &[
                    "run",
                    example,
                    "--set",
                    "replicates=2",
                    "--out",
                    "veto-cli",
                    "--quiet",
                ],
                &cx.dir,
            );
            if !out.status.success() {
                return Err(String::from_utf8_lossy(&out.stderr).into_owned());
            }
            let csv = std::fs::read_to_string(cx.dir.join("veto-cli/metrics.csv"))
                .map_err(|e| e.to_string())?;
            let row = &final_rows(&csv)[0].1;
            let page = cx.key_numbers().await?;
            if page.len() < 10 {
                return Err(format!("veto: few numbers on the page: {page:?}"));
            }
            for (_, col, got) in &page {
                let want: f64 = row
                    .iter()
                    .find(|(n, _)| n == col)
                    .map_or(f64::NAN, |(_, v)| v.parse().unwrap_or(f64::NAN));
                if !(want.to_bits() == got.to_bits() || (want.is_nan() && got.is_nan())) {
                    return Err(format!("veto: {col}: page {got} vs CLI {want}"));
                }
            }
            if !screenshot_taken {
                cx.screenshot("serve-lab-veto.png").await?;
                screenshot_taken = true;
            }
        } else if !(drawn("outcomes")
            || (drawn("shares") && drawn("concentration"))
            || charts.iter().any(|(c, d)| c.contains('.') && *d))
        {
            // Value-per-actor models chart shares and concentration; models without
            // concentration metrics (opinion) chart their own outcomes, as declared.
            return Err(format!("{name}: charts {charts:?}"));
        }
    }
    Ok(())
}

/// Open a scenario file from the disk: it becomes the page's scenario, named after the file.
async fn open_a_scenario_file(cx: &Ctx) -> R {
    let text = include_str!("../../../scenarios/two-oh-two.toml").replacen(
        "name = \"two-oh-two\"",
        "name = \"my-own\"",
        1,
    );
    let path = cx.dir.join("my-own.toml");
    std::fs::write(&path, &text).map_err(|e| e.to_string())?;
    cx.lab("core-claim").await?;
    cx.find("#file")
        .await?
        .send_keys(path.to_str().unwrap())
        .await
        .map_err(|e| format!("choose file: {e}"))?;
    cx.wait(
        "document.getElementById('origin').textContent === 'my-own.toml' && document.body.dataset.checked === 'ok'",
        Duration::from_secs(30),
    )
    .await?;
    let editor = cx
        .js("return document.getElementById('editor').value;")
        .await?;
    if editor.as_str() != Some(text.as_str()) {
        return Err("the editor does not hold the file".into());
    }
    cx.click("#run").await?;
    cx.wait(
        "document.body.dataset.runState === 'done'",
        Duration::from_secs(60),
    )
    .await?;
    let title = cx.text("#variants h3").await?;
    if title != "my-own" {
        return Err(format!("the run shows {title}"));
    }
    Ok(())
}

/// A policy toggle switches a [[policy]] off (its lines commented out) and the run is
/// then the CLI's run of the text as shown.
async fn a_policy_toggle_switches_a_policy_off(cx: &Ctx) -> R {
    cx.lab("cheetah-and-tortoise").await?;
    cx.click("#policies input[data-policy=\"0\"]").await?;
    cx.checked("ok").await?;
    let text = cx
        .js("return document.getElementById('editor').value;")
        .await?;
    let text = text.as_str().unwrap_or_default().to_string();
    if !text.contains("#off# [[policy]]") || !text.contains("#off# kind = \"openness_mandate\"") {
        return Err(format!("the policy is not commented out:\n{text}"));
    }
    cx.click("#run").await?;
    cx.wait(
        "document.body.dataset.runState === 'done'",
        Duration::from_secs(60),
    )
    .await?;
    let page = cx.key_numbers().await?;
    std::fs::write(cx.dir.join("no-policy.toml"), &text).map_err(|e| e.to_string())?;
    let out = cli(
        &["run", "no-policy.toml", "--out", "no-policy", "--quiet"],
        &cx.dir,
    );
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let csv =
        std::fs::read_to_string(cx.dir.join("no-policy/metrics.csv")).map_err(|e| e.to_string())?;
    let row = &final_rows(&csv)[0].1;
    let want: f64 = row
        .iter()
        .find(|(n, _)| n == "top1_share")
        .map_or(f64::NAN, |(_, v)| v.parse().unwrap_or(f64::NAN));
    let got = page
        .iter()
        .find(|(_, c, _)| c == "top1_share")
        .map_or(f64::NAN, |(_, _, v)| *v);
    if got.to_bits() != want.to_bits() {
        return Err(format!("top-1 share: page {got}, CLI {want}"));
    }
    // And back on.
    cx.click("#policies input[data-policy=\"0\"]").await?;
    cx.checked("ok").await?;
    let back = cx
        .js("return document.getElementById('editor').value;")
        .await?;
    let original = include_str!("../../../scenarios/cheetah-and-tortoise.toml");
    if back.as_str() != Some(original) {
        return Err("switching the policy back on does not restore the text".into());
    }
    Ok(())
}

/// A bad edit shows the error at its line and column, with the CLI's exact text.
async fn a_bad_edit_shows_the_located_error_of_the_cli(cx: &Ctx) -> R {
    cx.lab("cheetah-and-tortoise").await?;
    let text = cx
        .js("return document.getElementById('editor').value;")
        .await?;
    let text = text.as_str().unwrap_or_default();
    let bad = text.replacen("count = 1", "count = -5", 1);
    if bad == text {
        return Err("cheetah-and-tortoise has no `count = 1` to break".into());
    }
    cx.click("#editor-box summary").await?;
    cx.set_editor(&bad).await?;
    cx.checked("error").await?;
    let shown = cx
        .js("return document.getElementById('error').textContent;")
        .await?;
    std::fs::write(cx.dir.join("cheetah-and-tortoise.toml"), &bad).map_err(|e| e.to_string())?;
    let out = cli(&["check", "cheetah-and-tortoise.toml"], &cx.dir);
    let want = String::from_utf8_lossy(&out.stderr);
    if out.status.code() != Some(2) || shown.as_str() != Some(want.as_ref()) {
        return Err(format!("page shows:\n{shown}\nthe CLI prints:\n{want}"));
    }
    if !want.contains("--> cheetah-and-tortoise.toml:") {
        return Err(format!("not located: {want}"));
    }
    // The editor is marked, and focusing it puts the caret on the error.
    let caret = cx
        .js("const e = document.getElementById('editor'); e.blur(); e.focus(); const before = e.value.slice(0, e.selectionStart); return [e.classList.contains('has-error'), before.split('\\n').length, before.length - before.lastIndexOf('\\n')];")
        .await?;
    let line_col = want
        .lines()
        .find_map(|l| l.trim().strip_prefix("--> cheetah-and-tortoise.toml:"))
        .unwrap_or_default()
        .to_string();
    if caret[0] != json!(true) || format!("{}:{}", caret[1], caret[2]) != line_col {
        return Err(format!("editor mark and caret {caret} vs {line_col}"));
    }
    cx.screenshot("serve-lab-error.png").await
}

/// The Dual Governance page replays a reference timeline to the CLI's final state; a
/// failed expectation is highlighted; a bad timeline shows the CLI's located error.
async fn governance_replays_a_reference_timeline(cx: &Ctx) -> R {
    let name = "s5_submitted_in_vs_blocked_in_next_cooldown";
    cx.goto(&format!("/governance?timeline={name}")).await?;
    cx.wait(
        "document.body.dataset.replayState === 'done'",
        Duration::from_secs(30),
    )
    .await?;
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(format!("../../scenarios/governance/{name}.toml"));
    let out = cli(
        &["govern", "replay", "--json", path.to_str().unwrap()],
        &cx.dir,
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last: Value =
        serde_json::from_str(stdout.lines().last().unwrap_or("{}")).map_err(|e| e.to_string())?;
    let persisted = cx.text("#final-persisted").await?;
    let effective = cx.text("#final-effective").await?;
    if persisted != last["persisted_state"] || effective != last["effective_state"] {
        return Err(format!("page: {persisted}/{effective}; CLI: {last}"));
    }
    let rows = cx
        .js("return document.querySelectorAll('#steps tr[data-step]').length;")
        .await?;
    if rows != json!(stdout.lines().count()) {
        return Err(format!(
            "{rows} step rows, the CLI replays {}",
            stdout.lines().count()
        ));
    }
    let bands = cx
        .js("return document.querySelectorAll('#bands rect').length;")
        .await?;
    if bands.as_u64().unwrap_or(0) < 2 {
        return Err("no state bands".into());
    }
    cx.screenshot("serve-governance.png").await?;

    let text = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
    let failing = text.replacen(
        "expect_state = \"VetoCooldown\"",
        "expect_state = \"Normal\"",
        1,
    );
    cx.set_editor(&failing).await?;
    cx.wait(
        "document.body.dataset.replayState === 'failed'",
        Duration::from_secs(30),
    )
    .await?;
    let failed = cx.js("return [document.querySelectorAll('#steps tr.failed').length, document.querySelector('#steps tr.failure') ? document.querySelector('#steps tr.failure').textContent : ''];").await?;
    if failed[0] != json!(1)
        || !failed[1]
            .as_str()
            .unwrap_or_default()
            .contains("expected Normal, got VetoCooldown")
    {
        return Err(format!("failed expectation not highlighted: {failed}"));
    }

    let broken = text.replacen("do = \"lock\"", "do = \"dance\"", 1);
    cx.set_editor(&broken).await?;
    cx.wait(
        "document.body.dataset.replayState === 'error'",
        Duration::from_secs(30),
    )
    .await?;
    let shown = cx
        .js("return document.getElementById('error').textContent;")
        .await?;
    let file = format!("{name}.toml");
    std::fs::write(cx.dir.join(&file), &broken).map_err(|e| e.to_string())?;
    let out = cli(&["govern", "replay", &file], &cx.dir);
    let want = String::from_utf8_lossy(&out.stderr);
    if shown.as_str() != Some(want.as_ref()) || !want.contains(&format!("{file}:")) {
        return Err(format!("page shows:\n{shown}\nthe CLI prints:\n{want}"));
    }
    Ok(())
}

/// The measure page: drop a CSV (here: choose it), pick columns, see the CLI's metrics.
async fn measure_shows_the_metrics_of_a_csv(cx: &Ctx) -> R {
    let csv = cx.dir.join("stakes.csv");
    let mut text = String::from("date,provider,stake\n");
    let providers = [
        "Lido",
        "Coinbase",
        "Kraken",
        "Binance",
        "Rocket Pool",
        "Figment",
        "Other",
    ];
    for (d, date) in ["2023-01-01", "2023-04-01", "2023-07-01", "2023-10-01"]
        .iter()
        .enumerate()
    {
        for (i, p) in providers.iter().enumerate() {
            let stake =
                1000.0 * (7 - i) as f64 * (1.0 + 0.02 * (d * i) as f64) + (d * 37 % 11) as f64;
            text.push_str(&format!("{date},{p},{stake}\n"));
        }
    }
    std::fs::write(&csv, &text).map_err(|e| e.to_string())?;
    cx.goto("/measure").await?;
    cx.wait(
        "document.body.dataset.measureState === 'idle'",
        Duration::from_secs(30),
    )
    .await?;
    cx.find("#file")
        .await?
        .send_keys(csv.to_str().unwrap())
        .await
        .map_err(|e| format!("choose file: {e}"))?;
    cx.wait(
        "document.body.dataset.measureState === 'columns'",
        Duration::from_secs(30),
    )
    .await?;
    for (id, value) in [("value", "stake"), ("entity", "provider"), ("time", "date")] {
        cx.find(&format!("#{id}"))
            .await?
            .select_by_value(value)
            .await
            .map_err(|e| format!("select {id}: {e}"))?;
    }
    cx.click("#measure").await?;
    cx.wait(
        "document.body.dataset.measureState === 'done'",
        Duration::from_secs(30),
    )
    .await?;
    let out = cli(
        &[
            "measure",
            "stakes.csv",
            "--value",
            "stake",
            "--entity",
            "provider",
            "--time",
            "date",
            "--out",
            "m-cli",
            "--quiet",
        ],
        &cx.dir,
    );
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let metrics =
        std::fs::read_to_string(cx.dir.join("m-cli/metrics.csv")).map_err(|e| e.to_string())?;
    let row = &final_rows(&metrics)[0].1;
    for col in ["hhi", "gini", "top1_share", "effective_number"] {
        let shown = cx
            .js(&format!("return document.querySelector('#metrics-table td[data-col=\"{col}\"]').dataset.value;"))
            .await?;
        let got: f64 = shown.as_str().unwrap_or("NaN").parse().unwrap_or(f64::NAN);
        let want: f64 = row
            .iter()
            .find(|(n, _)| n == col)
            .map_or(f64::NAN, |(_, v)| v.parse().unwrap_or(f64::NAN));
        if got.to_bits() != want.to_bits() {
            return Err(format!("{col}: page {got}, CLI {want}"));
        }
    }
    let top = cx.text("#top tr:nth-child(2) td").await?;
    if top != "Lido" {
        return Err(format!("top holder {top}"));
    }
    cx.screenshot("serve-measure.png").await
}

/// Step (from idle: a paused run), resume, then cancel: a long run stops at once.
async fn cancel_stops_a_long_run(cx: &Ctx) -> R {
    cx.lab("bouchaud-mezard").await?;
    cx.type_into("[data-path=\"time.end\"]", "2000.0").await?;
    cx.checked("ok").await?;
    // Step from idle: a paused run that advanced by one tick, and stays there.
    cx.click("#step").await?;
    cx.wait("document.body.dataset.runState === 'paused' && document.getElementById('progress').value > 0", Duration::from_secs(60)).await?;
    let progress = "return document.getElementById('progress').value;";
    let p0 = cx.js(progress).await?.as_f64().unwrap_or(0.0);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let p1 = cx.js(progress).await?.as_f64().unwrap_or(0.0);
    if p1 != p0 || p0 > 0.01 {
        return Err(format!("paused after one step, yet progress {p0} -> {p1}"));
    }
    cx.click("#step").await?;
    cx.wait(
        &format!("document.getElementById('progress').value > {p0}"),
        Duration::from_secs(30),
    )
    .await?;
    cx.click("#pause").await?; // Resume
    cx.wait(
        "document.body.dataset.runState === 'running'",
        Duration::from_secs(10),
    )
    .await?;
    let t = Instant::now();
    cx.click("#cancel").await?;
    cx.wait(
        "document.body.dataset.runState === 'cancelled'",
        Duration::from_secs(10),
    )
    .await?;
    let took = t.elapsed();
    let p1 = cx
        .js("return document.getElementById('progress').value;")
        .await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let p2 = cx
        .js("return document.getElementById('progress').value;")
        .await?;
    if p1 != p2 {
        return Err(format!("progress moved after cancel: {p1} -> {p2}"));
    }
    println!("    cancel acknowledged in {} ms", took.as_millis());
    Ok(())
}

/// With a million actors running, UI actions are handled within 200 ms: pause and
/// resume (a round trip to the server) and a local one (opening the editor).
async fn a_million_actors_leave_the_page_responsive(cx: &Ctx) -> R {
    cx.lab("bouchaud-mezard").await?;
    cx.type_into("[data-path=\"actors[0].count\"]", "1000000")
        .await?;
    cx.checked("ok").await?;
    cx.type_into("[data-path=\"time.end\"]", "40.0").await?;
    cx.checked("ok").await?;
    let actors = cx.text("#summary").await?;
    if !actors.contains("1,000,000 actors") {
        return Err(format!("not a million actors: {actors}"));
    }
    cx.click("#run").await?;
    cx.wait("document.body.dataset.runState === 'running' && document.getElementById('progress').value > 0.01", Duration::from_secs(120)).await?;
    // The main thread stays free while results stream: the longest gap between timer
    // ticks over two seconds.
    let lag = cx
        .js_async("const done = arguments[arguments.length - 1]; let last = performance.now(), worst = 0; const id = setInterval(() => { const t = performance.now(); worst = Math.max(worst, t - last); last = t; }, 20); setTimeout(() => { clearInterval(id); done(worst); }, 2000);")
        .await?;
    let action = |id: &str, want: &str| {
        format!(
            "const done = arguments[arguments.length - 1]; const t0 = performance.now(); \
             const obs = new MutationObserver(() => {{ if (document.body.dataset.runState === '{want}') {{ obs.disconnect(); done(performance.now() - t0); }} }}); \
             obs.observe(document.body, {{attributes: true}}); document.getElementById('{id}').click(); \
             setTimeout(() => done(-1), 5000);"
        )
    };
    let pause = cx.js_async(&action("pause", "paused")).await?;
    let resume = cx.js_async(&action("pause", "running")).await?;
    let local = cx
        .js_async("const done = arguments[arguments.length - 1]; const t0 = performance.now(); document.querySelector('#editor-box summary').click(); requestAnimationFrame(() => done(performance.now() - t0));")
        .await?;
    let still = cx.js("return document.body.dataset.runState;").await?;
    cx.click("#cancel").await?;
    cx.wait("document.body.dataset.runState === 'cancelled' || document.body.dataset.runState === 'done'", Duration::from_secs(30)).await?;
    let ms = |v: &Value| v.as_f64().unwrap_or(f64::INFINITY);
    println!(
        "    N = 10^6: pause {:.1} ms, resume {:.1} ms, local action {:.1} ms, worst timer gap {:.1} ms (run still {still})",
        ms(&pause),
        ms(&resume),
        ms(&local),
        ms(&lag)
    );
    for (what, v) in [
        ("pause", &pause),
        ("resume", &resume),
        ("opening the editor", &local),
        ("timer gap", &lag),
    ] {
        let t = ms(v);
        if !(0.0..=BUDGET_MS).contains(&t) {
            return Err(format!(
                "{what} took {t:.1} ms during the run (budget {BUDGET_MS} ms)"
            ));
        }
    }
    if still != "running" {
        return Err(format!(
            "the run was not going during the measurements ({still}): use a longer run"
        ));
    }
    Ok(())
}

/// From the page itself: a malformed message and an oversize one are refused, a path
/// outside the server is refused, and the page goes on working.
async fn refusals_from_the_page(cx: &Ctx) -> R {
    cx.lab("two-oh-two").await?;
    let v = cx
        .js_async(
            "const done = arguments[arguments.length - 1]; const out = {}; \
             const ws = new WebSocket(`ws://${location.host}/ws`); \
             ws.onopen = () => ws.send('{\"type\": \"run\", \"toml\": 42}'); \
             let n = 0; \
             ws.onmessage = (e) => { const m = JSON.parse(e.data); n += 1; \
               if (n === 1) { out.malformed = m.message; ws.send('x'.repeat(2 * 1024 * 1024)); } \
               else if (n === 2) { out.big_message = m.message; ws.send('{\"type\": \"pause\"}'); } \
               else { out.after = m.message; ws.close(); } }; \
             ws.onclose = () => { \
               fetch('/assets/..%2F..%2Fetc%2Fpasswd').then(r => r.json().then(j => { out.path = [r.status, j.error]; })) \
               .then(() => fetch('/api/scenario', {method: 'POST', headers: {'Content-Type': 'application/json'}, body: 'x'.repeat(2 * 1024 * 1024)})) \
               .then(r => r.json().then(j => { out.big = [r.status, j.error]; done(out); })); };",
        )
        .await?;
    let ok = v["malformed"]
        .as_str()
        .unwrap_or_default()
        .starts_with("malformed message")
        && v["big_message"]
            .as_str()
            .unwrap_or_default()
            .starts_with("message too large")
        && v["after"]
            .as_str()
            .unwrap_or_default()
            .contains("no run is going")
        && v["path"][0] == json!(404)
        && v["big"][0] == json!(413)
        && v["big"][1]
            .as_str()
            .unwrap_or_default()
            .contains("too large");
    if !ok {
        return Err(format!("refusals: {v}"));
    }
    cx.click("#run").await?;
    cx.wait(
        "document.body.dataset.runState === 'done'",
        Duration::from_secs(60),
    )
    .await?;
    // The browser reports the refused requests on its console; nothing else may be there.
    let unexpected: Vec<String> = cx
        .console_errors()
        .await?
        .into_iter()
        .filter(|m| !(m.contains("status of 404") || m.contains("status of 413")))
        .collect();
    if !unexpected.is_empty() {
        return Err(format!("console errors: {unexpected:?}"));
    }
    Ok(())
}

/// Reset: change controls and the seed, press Reset: the controls and the seed are the
/// scenario's again, nothing is marked changed, and a run gives the first run's numbers.
async fn reset_returns_to_the_scenario_and_its_numbers(cx: &Ctx) -> R {
    cx.lab("two-oh-two").await?;
    let controls = cx.controls().await?;
    let seed = cx
        .js("return document.getElementById('seed').value;")
        .await?;
    cx.run().await?;
    let first = cx.key_numbers().await?;
    if first.is_empty() {
        return Err("no key numbers".into());
    }
    cx.type_into("[data-path=\"growth.returns_to_scale\"]", "1.2")
        .await?;
    cx.checked("ok").await?;
    cx.type_into("[data-path=\"replicates\"]", "3").await?;
    cx.checked("ok").await?;
    cx.type_into("#seed", "99").await?;
    cx.checked("ok").await?;
    if cx.controls().await? == controls {
        return Err("the controls did not change".into());
    }
    cx.run().await?;
    if cx.key_numbers().await? == first {
        return Err("the changed run gave the same numbers".into());
    }
    cx.click("#reset").await?;
    cx.checked("ok").await?;
    cx.wait(
        "document.querySelectorAll('#controls [data-path]').length > 0",
        Duration::from_secs(10),
    )
    .await?;
    let after = cx.controls().await?;
    if after != controls {
        return Err(format!(
            "after Reset the controls are {after}, not {controls}"
        ));
    }
    let seed_after = cx
        .js("return document.getElementById('seed').value;")
        .await?;
    let changed = cx
        .js("return document.querySelectorAll('#controls .control.changed').length;")
        .await?;
    if seed_after != seed || changed != json!(0) {
        return Err(format!(
            "after Reset: seed {seed_after} (was {seed}), {changed} controls marked changed"
        ));
    }
    if cx
        .js("return document.getElementById('keys').textContent;")
        .await?
        != json!("")
    {
        return Err("Reset left the old key numbers".into());
    }
    cx.run().await?;
    let again = cx.key_numbers().await?;
    if again != first {
        return Err(format!(
            "after Reset the run gives {again:?}, not the first run's {first:?}"
        ));
    }
    Ok(())
}

/// Add a policy of a kind the model declares: it is appended to the text with its
/// declared example values, its fields get controls with their doc lines, a run uses it,
/// the exported scenario contains it and reproduces the page's numbers with the CLI; the
/// policy's remove button takes it out again.
async fn a_policy_of_a_declared_kind_is_added_run_and_exported(cx: &Ctx) -> R {
    cx.lab("two-oh-two").await?;
    let n = cx
        .js("return document.querySelectorAll('[data-policy-remove]').length;")
        .await?
        .as_u64()
        .unwrap_or(0);
    let kinds = cx
        .js("return [...document.querySelectorAll('#policy-add-kind option')].map(o => [o.value, o.disabled]);")
        .await?;
    if !kinds
        .as_array()
        .into_iter()
        .flatten()
        .any(|k| k[0] == "wealth_tax" && k[1] == false)
    {
        return Err(format!("the kinds offered: {kinds}"));
    }
    cx.choose("#policy-add-kind", "wealth_tax").await?;
    cx.click("#policy-add").await?;
    cx.checked("ok").await?;
    let text = cx.editor().await?;
    if !text.contains("[[policy]]\nkind = \"wealth_tax\"\nfrom = 0.0\nrate = 0.05") {
        return Err(format!("the policy is not in the text:\n{text}"));
    }
    let rate = format!("[data-path=\"policy[{n}].rate\"]");
    let title = cx
        .js(&format!(
            "const i = document.querySelector('#controls {rate}'); return i ? i.closest('.control').title : null;"
        ))
        .await?;
    if !title.as_str().unwrap_or_default().contains("the tax rate") {
        return Err(format!(
            "no declared control for the policy's rate: {title}"
        ));
    }
    cx.type_into(&format!("#controls {rate}"), "0.2").await?;
    cx.checked("ok").await?;
    cx.run().await?;
    let page = cx.key_numbers().await?;
    let exported = cx
        .js_async("const done = arguments[arguments.length - 1]; fetch(document.getElementById('export-toml').href).then(r => r.text()).then(done, e => done('ERR ' + e));")
        .await?;
    let exported = exported.as_str().unwrap_or_default().to_string();
    if !exported.contains("kind = \"wealth_tax\"") || !exported.contains("rate = 0.2") {
        return Err(format!(
            "the exported scenario lacks the policy:\n{exported}"
        ));
    }
    let file = cx.dir.join("with-policy.toml");
    std::fs::write(&file, &exported).map_err(|e| e.to_string())?;
    let out = cli(
        &[
            "run",
            file.to_str().unwrap(),
            "--out",
            "policy-cli",
            "--quiet",
        ],
        &cx.dir,
    );
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let csv = std::fs::read_to_string(cx.dir.join("policy-cli/metrics.csv"))
        .map_err(|e| e.to_string())?;
    let rows = final_rows(&csv);
    for (variant, col, got) in &page {
        // One variant: the CLI's metrics have no variant column.
        let row = if rows.len() == 1 {
            rows.first()
        } else {
            rows.iter().find(|(l, _)| l == variant)
        };
        let want: f64 = row
            .and_then(|(_, r)| r.iter().find(|(c, _)| c == col))
            .map_or(f64::NAN, |(_, v)| v.parse().unwrap_or(f64::NAN));
        if !(want.to_bits() == got.to_bits() || (want.is_nan() && got.is_nan())) {
            return Err(format!("{variant}: {col}: page {got} vs CLI {want}"));
        }
    }
    if !csv
        .lines()
        .next()
        .unwrap_or_default()
        .contains("tax_collected")
    {
        return Err("the CLI's run of the export records no tax".into());
    }
    cx.screenshot("serve-lab-policy.png").await?;
    cx.click(&format!("[data-policy-remove=\"{n}\"]")).await?;
    cx.checked("ok").await?;
    if cx.editor().await?.contains("wealth_tax") {
        return Err("the remove button left the policy in the text".into());
    }
    Ok(())
}

/// A list parameter (the adoption model's `initial`, one count per platform) has a list
/// control: edited in the page it changes the run, to the CLI's numbers for the same list;
/// an item that is not a number is shown at the control, located by item, and Run refuses
/// without running; a list validation refuses (one count short) is shown at the control
/// with the library's message.
async fn a_list_control_changes_the_run_as_the_cli(cx: &Ctx) -> R {
    let list = "#controls input[data-path=\"adoption.initial\"]";
    cx.lab("lock-in").await?;
    let shown = cx
        .js(&format!(
            "const i = document.querySelector('{list}'); return i ? [i.value, i.dataset.list, i.closest('.control').dataset.kind] : null;"
        ))
        .await?;
    if shown != json!(["10, 10, 10, 10", "integer", "list"]) {
        return Err(format!("the list control of adoption.initial: {shown}"));
    }
    cx.type_into("#controls [data-path=\"replicates\"]", "2")
        .await?;
    cx.checked("ok").await?;
    cx.type_into(list, "40, 10, 10, 10").await?;
    cx.checked("ok").await?;
    cx.run().await?;
    let page = cx.key_numbers().await?;
    let out = cli(
        &[
            "run",
            "lock-in",
            "--set",
            "replicates=2",
            "--set",
            "adoption.initial=[40, 10, 10, 10]",
            "--out",
            "list-cli",
            "--quiet",
        ],
        &cx.dir,
    );
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let exported = cx
        .js_async("const done = arguments[arguments.length - 1]; fetch(document.getElementById('export-toml').href).then(r => r.text()).then(done, e => done('ERR ' + e));")
        .await?;
    let cli_toml = std::fs::read_to_string(cx.dir.join("list-cli/scenario.toml"))
        .map_err(|e| e.to_string())?;
    if exported.as_str() != Some(cli_toml.as_str()) || !cli_toml.contains("initial = [") {
        return Err(format!(
            "exported scenario differs from the CLI's:\n{exported}\n---\n{cli_toml}"
        ));
    }
    let csv =
        std::fs::read_to_string(cx.dir.join("list-cli/metrics.csv")).map_err(|e| e.to_string())?;
    let rows = final_rows(&csv);
    let mut compared = 0;
    for (variant, col, got) in &page {
        let want: f64 = rows
            .iter()
            .find(|(l, _)| l == variant)
            .and_then(|(_, r)| r.iter().find(|(c, _)| c == col))
            .map_or(f64::NAN, |(_, v)| v.parse().unwrap_or(f64::NAN));
        if !(want.to_bits() == got.to_bits() || (want.is_nan() && got.is_nan())) {
            return Err(format!("{variant}: {col}: page {got} vs CLI {want}"));
        }
        compared += 1;
    }
    if compared < 3 * 5 {
        return Err(format!("only {compared} numbers compared: {page:?}"));
    }
    // The list changed the run: the same page with the scenario's list differs.
    let level = cli(
        &[
            "run",
            "lock-in",
            "--set",
            "replicates=2",
            "--out",
            "level-cli",
            "--quiet",
        ],
        &cx.dir,
    );
    let level = std::fs::read_to_string(cx.dir.join("level-cli/metrics.csv"))
        .map_err(|e| format!("{e}: {}", String::from_utf8_lossy(&level.stderr)))?;
    if final_rows(&level) == rows {
        return Err("the list made no difference to the run".into());
    }

    // An item that is not a number: located at the control, nothing sent, no run.
    cx.type_into(list, "40, x, 10, 10").await?;
    let error = cx
        .js(&format!(
            "const e = document.querySelector('{list}').closest('.control').querySelector('.control-error'); return e ? e.textContent : null;"
        ))
        .await?;
    if error != json!("adoption.initial: item 2: \"x\" is not a whole number") {
        return Err(format!("the error at the list control: {error}"));
    }
    cx.click("#run").await?;
    tokio::time::sleep(Duration::from_millis(700)).await;
    let after = cx
        .js("return [document.body.dataset.runState, document.body.dataset.refused || '', document.getElementById('status').textContent];")
        .await?;
    if after[0] != "done" || after[1] != "adoption.initial" {
        return Err(format!("Run with an invalid list: {after}"));
    }
    if cx.key_numbers().await? != page {
        return Err("the key numbers changed without a valid run".into());
    }
    cx.screenshot("serve-lab-list.png").await?;

    // A well-formed list that validation refuses (one count short): the library's error,
    // at the control and under the editor.
    cx.type_into(list, "40, 10, 10").await?;
    cx.checked("error").await?;
    let error = cx
        .js(&format!(
            "const e = document.querySelector('{list}').closest('.control').querySelector('.control-error'); return [e ? e.textContent : '', document.getElementById('error').textContent];"
        ))
        .await?;
    let at_control = error[0].as_str().unwrap_or_default();
    if !at_control.starts_with("adoption.initial: ")
        || !at_control.contains("3 counts for 4 platforms")
        || !error[1]
            .as_str()
            .unwrap_or_default()
            .contains("3 counts for 4 platforms")
    {
        return Err(format!("a list of the wrong length: {error}"));
    }
    Ok(())
}

/// A policy field that names something of the scenario (the checks model's `force` and
/// `by`) is a menu of the names the scenario defines; a check added from the page starts
/// at two distinct forces and validates as added.
async fn a_policy_name_is_a_menu_of_the_scenarios_names(cx: &Ctx) -> R {
    cx.lab("three-forces").await?;
    cx.choose("#policy-add-kind", "check").await?;
    cx.click("#policy-add").await?;
    cx.checked("ok").await?;
    let text = cx.editor().await?;
    if !text.contains(
        "kind = \"check\"\nfrom = 0.0\nforce = \"state\"\nby = \"business\"\nvalue = -0.1",
    ) {
        return Err(format!("the check as added:\n{text}"));
    }
    let menu = cx
        .js("const s = document.querySelector('#controls select[data-path=\"policy[0].by\"]'); return s ? [s.value, [...s.options].map(o => o.value)] : null;")
        .await?;
    if menu != json!(["business", ["state", "business", "civic"]]) {
        return Err(format!("the menu of policy[0].by: {menu}"));
    }
    cx.choose("#controls select[data-path=\"policy[0].by\"]", "civic")
        .await?;
    cx.checked("ok").await?;
    // The export before a run is a blob: link, which the page's CSP (connect-src 'self')
    // lets a person download but not a script fetch; after a run it is the server's copy.
    cx.run().await?;
    let exported = cx
        .js_async("const done = arguments[arguments.length - 1]; fetch(document.getElementById('export-toml').href).then(r => r.text()).then(done, e => done('ERR ' + e));")
        .await?;
    if !exported
        .as_str()
        .unwrap_or_default()
        .contains("by = \"civic\"")
    {
        return Err(format!("the export lacks the chosen force:\n{exported}"));
    }
    Ok(())
}

/// Conditional parameters: the growth model's optional `[market]` is absent, so its
/// controls are disabled; "Add [market]" writes the table with its required field; the
/// demand curve's own parameters follow the choice of curve (switching to constant
/// elasticity disables the intercept and takes it out of the text, and enables the
/// scale); a run records the market; "Remove [market]" takes the table out again.
async fn conditional_parameters_and_an_optional_table(cx: &Ctx) -> R {
    let applies = |path: &str| {
        format!(
            "return (() => {{ const i = document.querySelector('#controls [data-path=\"{path}\"]'); return i ? !i.disabled : null; }})();"
        )
    };
    cx.lab("two-oh-two").await?;
    if cx.js(&applies("market.intercept")).await? != json!(false) {
        return Err("market.intercept is enabled without a [market] table".into());
    }
    cx.click("#tables button[data-table=\"market\"]").await?;
    cx.checked("ok").await?;
    let text = cx.editor().await?;
    if !text.contains("[market]\nintercept = 10.0") {
        return Err(format!("no [market] table with its intercept:\n{text}"));
    }
    for (path, want) in [
        ("market.intercept", true),
        ("market.slope", true),
        ("market.scale", false),
        ("market.elasticity", false),
    ] {
        if cx.js(&applies(path)).await? != json!(want) {
            return Err(format!("linear demand: {path} enabled should be {want}"));
        }
    }
    cx.choose(
        "#controls [data-path=\"market.demand\"]",
        "constant_elasticity",
    )
    .await?;
    cx.checked("ok").await?;
    cx.wait(
        "document.querySelector('#controls [data-path=\"market.scale\"]') && !document.querySelector('#controls [data-path=\"market.scale\"]').disabled",
        Duration::from_secs(10),
    )
    .await?;
    for (path, want) in [
        ("market.intercept", false),
        ("market.slope", false),
        ("market.scale", true),
        ("market.elasticity", true),
    ] {
        if cx.js(&applies(path)).await? != json!(want) {
            return Err(format!(
                "constant elasticity: {path} enabled should be {want}"
            ));
        }
    }
    if cx.editor().await?.contains("intercept") {
        return Err("the intercept stayed in the text under constant elasticity".into());
    }
    let title = cx
        .js("return document.querySelector('#controls [data-path=\"market.intercept\"]').closest('.control').title;")
        .await?;
    if !title
        .as_str()
        .unwrap_or_default()
        .contains("applies when market.demand = \"linear\"")
    {
        return Err(format!("the intercept's tooltip: {title}"));
    }
    cx.run().await?;
    let has_price = cx
        .js("return !!document.querySelector('#keys-table td[data-col=\"price\"]');")
        .await?;
    if has_price != json!(true) {
        return Err("the run with [market] shows no market price".into());
    }
    cx.screenshot("serve-lab-market.png").await?;
    cx.click("#tables button[data-table=\"market\"]").await?;
    cx.checked("ok").await?;
    if cx.editor().await?.contains("[market]") {
        return Err("Remove [market] left the table".into());
    }
    if cx.js(&applies("market.scale")).await? != json!(false) {
        return Err("market.scale is enabled after removing [market]".into());
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium and chromium-driver: run scripts/test.d/browser.sh"]
async fn the_pages_in_headless_chromium() {
    let server = Server::start(&[]);
    let driver = start_driver();
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("profile");
    // Screenshots go to the temporary directory unless asked for (the docs' images).
    let (img, full_page) = match std::env::var("COUNTERWEIGHT_SCREENSHOTS") {
        Ok(d) if !d.trim().is_empty() => {
            let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
            (root.join(d.trim()), true)
        }
        _ => (dir.path().join("screenshots"), false),
    };
    std::fs::create_dir_all(&img).unwrap();
    println!(
        "screenshots: {}{}",
        img.display(),
        if full_page { " (full pages)" } else { "" }
    );
    let c = browser(&driver, &profile).await;
    let cx = Ctx {
        c,
        base: format!("http://{}", server.addr),
        dir: dir.path().to_path_buf(),
        img,
        full_page,
    };
    let mut failures = Vec::new();
    // COUNTERWEIGHT_BROWSER_CHECKS=word,word runs only the checks whose names contain one
    // of the words (while working on one part of the pages).
    let only: Vec<String> = std::env::var("COUNTERWEIGHT_BROWSER_CHECKS")
        .map(|s| {
            s.split(',')
                .map(|w| w.trim().to_string())
                .filter(|w| !w.is_empty())
                .collect()
        })
        .unwrap_or_default();
    macro_rules! check {
        ($f:ident) => {{
            if !only.is_empty() && !only.iter().any(|w| stringify!($f).contains(w.as_str())) {
                println!("skip {}", stringify!($f));
            } else {
                let t = Instant::now();
                let r = $f(&cx).await;
                // Console errors anywhere fail the check that caused them.
                let r = match (r, cx.console_errors().await) {
                    (Ok(()), Ok(e)) if !e.is_empty() => Err(format!("console errors: {e:?}")),
                    (r, _) => r,
                };
                match r {
                    Ok(()) => println!(
                        "ok   {} ({:.1} s)",
                        stringify!($f),
                        t.elapsed().as_secs_f64()
                    ),
                    Err(e) => {
                        println!("FAIL {}: {e}", stringify!($f));
                        failures.push(stringify!($f));
                    }
                }
            }
        }};
    }
    check!(pages_load_without_console_errors);
    check!(returns_to_scale_updates_charts_and_numbers_as_the_cli);
    check!(every_model_renders_its_controls_and_runs);
    check!(open_a_scenario_file);
    check!(a_policy_toggle_switches_a_policy_off);
    check!(reset_returns_to_the_scenario_and_its_numbers);
    check!(a_policy_of_a_declared_kind_is_added_run_and_exported);
    check!(conditional_parameters_and_an_optional_table);
    check!(a_list_control_changes_the_run_as_the_cli);
    check!(a_policy_name_is_a_menu_of_the_scenarios_names);
    check!(a_bad_edit_shows_the_located_error_of_the_cli);
    check!(governance_replays_a_reference_timeline);
    check!(measure_shows_the_metrics_of_a_csv);
    check!(cancel_stops_a_long_run);
    check!(a_million_actors_leave_the_page_responsive);
    check!(refusals_from_the_page);
    let _ = cx.c.close().await;
    drop(driver);
    drop(server);
    assert!(failures.is_empty(), "failed: {failures:?}");
}
