// counterweight serve: the Dual Governance page. Replays a timeline on the server
// (counterweight::governance::dual::timeline) and draws what happened.
"use strict";

(() => {
  const {el, api, showError, caretToError, readFile, lineChart} = CW;
  const $ = (id) => document.getElementById(id);
  const DAY = 86400;
  let origin = "timeline.toml";
  let timer = null;

  function setStatus(s, text, bad) {
    document.body.dataset.replayState = s;
    $("status").textContent = text;
    $("status").classList.toggle("bad", !!bad);
  }

  async function replay() {
    setStatus("replaying", "replaying…");
    let r;
    try {
      r = await api("/api/governance/replay", {toml: $("editor").value, origin});
    } catch (e) {
      showError($("error"), null, e.message);
      setStatus("error", e.message, true);
      return;
    }
    if (!r.ok) {
      showError($("error"), $("editor"), r.error);
      $("editor-box").open = true;
      setStatus("error", "the timeline has an error (see below the editor)", true);
      return;
    }
    showError($("error"), $("editor"), null);
    draw(r);
    if (r.failures > 0) {
      setStatus("failed", `${r.steps.length} steps; ${r.failures} expectation(s) failed`, true);
    } else {
      setStatus("done", `${r.steps.length} steps; every expectation holds`);
    }
  }

  function draw(r) {
    drawFinal(r);
    drawBands(r);
    const x = r.steps.map((s) => s.time / DAY);
    lineChart($("chart-r"), {x, series: [{label: "R (%)", values: r.steps.map((s) => s.r)}],
      xLabel: "time since t0 (days)", yLabel: "% of supply", stepped: true, points: true});
    lineChart($("chart-t"), {x, series: [{label: "T_lock (days)", values: r.steps.map((s) => s.t_lock / DAY)}],
      xLabel: "time since t0 (days)", yLabel: "days", stepped: true, points: true});
    drawSteps(r);
  }

  function drawFinal(r) {
    const f = r.final;
    const box = $("final");
    box.textContent = "";
    if (!f) {
      box.append(el("p", {class: "muted"}, "the timeline has no steps"));
      return;
    }
    const row = (name, value, id) => el("tr", {}, el("td", {}, name), el("td", {id}, value));
    box.append(el("table", {id: "final-state"},
      el("caption", {}, `Final state (after step ${f.step}, t0 + ${f.time_human})`),
      row("persisted state", f.persisted_state, "final-persisted"),
      row("effective state", f.effective_state, "final-effective"),
      row("R (rage-quit support)", f.r_percent, "final-r"),
      row("T_lock", f.t_lock_human, "final-tlock"),
      row("rage-quit round", String(f.rage_quit_round), "final-round"),
      row("failed expectations", String(r.failures), "final-failures")));
  }

  // Persisted and effective state as two bands over time: each step's state holds from
  // its time to the next step's time.
  function drawBands(r) {
    const box = $("bands");
    box.textContent = "";
    const steps = r.steps;
    if (!steps.length) return;
    const ns = "http://www.w3.org/2000/svg";
    const W = 1000, H = 86, left = 90, right = 10, rowH = 26;
    const t0 = steps[0].time;
    const tEnd = Math.max(steps[steps.length - 1].time, t0 + 1);
    const span = (tEnd - t0) * 1.04 || 1;
    const X = (t) => left + ((t - t0) / span) * (W - left - right);
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
    svg.setAttribute("role", "img");
    const add = (tag, attrs, text) => {
      const e = document.createElementNS(ns, tag);
      for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
      if (text !== undefined) e.textContent = text;
      svg.append(e);
      return e;
    };
    [["persisted", "persisted_state", 6], ["effective", "effective_state", 6 + rowH + 4]].forEach(([name, key, y]) => {
      add("text", {x: 4, y: y + rowH / 2 + 4, "font-size": 12}, name);
      steps.forEach((s, i) => {
        const a = X(s.time);
        const b = i + 1 < steps.length ? X(steps[i + 1].time) : X(t0 + span);
        if (b - a <= 0) return;
        const rect = add("rect", {x: a, y, width: b - a, height: rowH, class: `state-${s[key]}`});
        const title = document.createElementNS(ns, "title");
        title.textContent = `${s[key]} from step ${s.step} (t0 + ${s.time_human})`;
        rect.append(title);
      });
    });
    const axisY = 6 + 2 * rowH + 18;
    for (let k = 0; k <= 5; k++) {
      const t = t0 + (span * k) / 5;
      add("text", {x: X(t), y: axisY, "font-size": 11, "text-anchor": k === 0 ? "start" : "middle", fill: "#6a7283"},
        `${((t - t0) / DAY).toFixed(1)} d`);
    }
    box.append(svg);
    const used = new Set(steps.flatMap((s) => [s.persisted_state, s.effective_state]));
    box.append(el("div", {class: "legend"}, r.states.filter((s) => used.has(s)).map((s) =>
      el("span", {}, el("span", {class: `swatch state-${s}`}), s))));
  }

  function drawSteps(r) {
    const t = $("steps");
    t.textContent = "";
    t.append(el("tr", {}, ["#", "time (t0 +)", "action", "args", "result", "persisted", "effective", "R", "T_lock"].map((h) => el("th", {}, h))));
    for (const s of r.steps) {
      const failed = s.expectation_failures.length > 0;
      const result = s.result === "ok" ? (s.detail ? `ok ${s.detail}` : "ok") : s.result;
      t.append(el("tr", {class: failed ? "failed" : "", "data-step": String(s.step), title: s.detail && s.result !== "ok" ? s.detail : ""},
        el("td", {class: "num"}, String(s.step)),
        el("td", {}, s.time_human),
        el("td", {}, s.action),
        el("td", {}, s.args),
        el("td", {class: s.result === "ok" ? "" : "err"}, result),
        el("td", {}, s.persisted_state),
        el("td", {}, s.effective_state),
        el("td", {class: "num"}, s.r_percent),
        el("td", {}, s.t_lock_human)));
      for (const f of s.expectation_failures) {
        t.append(el("tr", {class: "failure"}, el("td", {}), el("td", {colspan: "8"}, `✗ ${f}`)));
      }
    }
  }

  function load(text, name, description) {
    origin = name;
    $("editor").value = text;
    $("origin").textContent = name;
    $("description").textContent = description || "";
    replay();
  }

  $("replay").addEventListener("click", replay);
  $("editor").addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(replay, 500);
  });
  $("editor").addEventListener("focus", () => caretToError($("editor")));
  $("file").addEventListener("change", async () => {
    const f = $("file").files[0];
    if (!f) return;
    try {
      $("timeline").value = "";
      load(await readFile(f), f.name, "");
    } catch (e) {
      showError($("error"), null, e.message);
    }
  });

  async function init() {
    setStatus("idle", "");
    CW.showVersion();
    const list = await api("/api/governance/timelines");
    const select = $("timeline");
    for (const t of list) select.append(el("option", {value: t.name}, t.name));
    select.append(el("option", {value: ""}, "(a file or your own text)"));
    const descriptions = Object.fromEntries(list.map((t) => [t.name, t.description]));
    const open = async (name) => {
      const t = await api(`/api/governance/timelines/${encodeURIComponent(name)}`);
      load(t.text, t.origin, descriptions[name]);
    };
    select.addEventListener("change", () => { if (select.value) open(select.value); });
    const wanted = new URLSearchParams(location.search).get("timeline");
    const first = list.find((t) => t.name === wanted) || list.find((t) => t.default) || list[0];
    select.value = first.name;
    await open(first.name);
  }

  init().catch((e) => setStatus("error", e.message, true));
})();
