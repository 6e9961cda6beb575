// counterweight serve: the laboratory page.
// The page holds a scenario's text, the overrides set by the controls (sent as `--set`
// would be) and the seed; the server parses, runs and streams results over a WebSocket.
"use strict";

(() => {
  const {el, api, fmt, showError, caretToError, readFile, downloadLink, lineChart} = CW;
  const $ = (id) => document.getElementById(id);

  const state = {
    source: null,          // {text, origin, name}: as loaded (Reset returns here)
    text: "",
    origin: "scenario.toml",
    overrides: new Map(),  // path -> TOML value text
    seed: null,            // null: the scenario's own
    checked: null,         // the last successful check
    ws: null,
    seq: 0,                // the run the page is showing
    running: false,
    paused: false,
    runVariants: [],
    runData: [],
    checkTimer: null,
    checkCounter: 0,
    pendingEdit: null,     // an edit for the next check ("settle", {add_table}, {add_policy}, ...)
    invalid: new Map(),    // path -> message: list controls whose text is not a valid list
  };

  // The page's state for people (status line) and for tests (data-run-state).
  function setRunState(s, text, bad) {
    document.body.dataset.runState = s;
    const st = $("status");
    st.textContent = text;
    st.classList.toggle("bad", !!bad);
    $("run").disabled = state.running;
    $("pause").disabled = !state.running;
    $("cancel").disabled = !state.running;
    $("pause").textContent = state.paused ? "Resume" : "Pause";
  }

  // ------------------------------------------------------------------ the socket

  function connect() {
    const proto = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${proto}://${location.host}/ws`);
    state.ws = ws;
    ws.addEventListener("message", (ev) => {
      let msg;
      try {
        msg = JSON.parse(ev.data);
      } catch (e) {
        return;
      }
      onMessage(msg);
    });
    ws.addEventListener("close", (ev) => {
      if (state.ws !== ws) return;
      state.running = false;
      state.paused = false;
      const why = ev.reason ? `: ${ev.reason}` : "";
      setRunState("disconnected", `disconnected from the server${why}; reconnecting…`, true);
      setTimeout(connect, 1500);
    });
    ws.addEventListener("open", () => {
      if (document.body.dataset.runState === "disconnected") setRunState("idle", "reconnected");
    });
  }

  function send(msg) {
    if (!state.ws || state.ws.readyState !== WebSocket.OPEN) {
      setRunState("error", "not connected to the server", true);
      return false;
    }
    state.ws.send(JSON.stringify(msg));
    return true;
  }

  function onMessage(m) {
    if (m.seq !== undefined && m.type !== "started" && m.seq !== state.seq) return; // an old run
    switch (m.type) {
      case "started":
        state.seq = m.seq;
        state.running = true;
        state.paused = !!m.paused;
        state.runVariants = m.variants;
        state.runData = [];
        state.runToml = m.resolved_toml;
        buildCards(m.variants);
        $("progress").value = 0;
        $("export-zip").classList.add("disabled");
        $("export-zip").removeAttribute("href");
        setRunState(state.paused ? "paused" : "running", state.paused ? "paused" : "running…");
        break;
      case "progress": {
        const f = m.total > 0 ? m.done / m.total : 1;
        $("progress").value = f;
        if (state.running && !state.paused) {
          setRunState("running", `running… ${Math.floor(f * 100)}% (${m.elapsed.toFixed(1)} s)`);
        } else if (state.paused) {
          setRunState("paused", `paused at ${Math.floor(f * 100)}%`);
        }
        break;
      }
      case "state":
        state.paused = m.paused;
        setRunState(m.paused ? "paused" : "running", m.paused ? "paused" : "running…");
        break;
      case "variant":
        state.runData[m.data.index] = m.data;
        drawVariant(m.data);
        drawKeys();
        break;
      case "done":
        state.running = false;
        state.paused = false;
        $("progress").value = 1;
        $("export-zip").href = `/api/runs/${m.run_id}/run.zip`;
        $("export-zip").classList.remove("disabled");
        // What is on screen: the run's resolved scenario, from the server.
        $("export-toml").href = `/api/runs/${m.run_id}/scenario.toml`;
        $("export-toml").download = `${safeName()}.toml`;
        setRunState("done", `done in ${m.elapsed.toFixed(2)} s`);
        break;
      case "cancelled":
        state.running = false;
        state.paused = false;
        setRunState("cancelled", "cancelled");
        break;
      case "error":
        if (m.kind === "scenario") {
          showError($("error"), $("editor"), m.error);
          openEditorOnError(m.error);
        }
        if (m.kind === "run" || m.kind === "scenario" || m.kind === "limit") {
          state.running = false;
          state.paused = false;
        }
        setRunState(state.running ? document.body.dataset.runState : "error",
          m.kind === "scenario" ? "invalid scenario (see the error on the left)" : m.message, true);
        break;
      default:
        break;
    }
  }

  function safeName() {
    const n = (state.checked && state.checked.name) || "scenario";
    return n.replace(/[^A-Za-z0-9_.-]/g, "_");
  }

  // ------------------------------------------------------------------ scenario and controls

  function request() {
    return {
      toml: state.text,
      origin: state.origin,
      overrides: [...state.overrides].map(([k, v]) => `${k}=${v}`),
      seed: state.seed,
    };
  }

  // A check of the scenario, after an edit when a control asks for one: "settle" (drop
  // what no longer applies after a change, start what is now required), or adding a
  // policy or an optional table. The server edits the text (keeping its layout) from the
  // registry's metadata and sends it back with the overrides; the page adopts them.
  function scheduleCheck(delay, edit) {
    clearTimeout(state.checkTimer);
    if (edit && (state.pendingEdit === null || state.pendingEdit === "settle")) state.pendingEdit = edit;
    state.checkTimer = setTimeout(check, delay === undefined ? 350 : delay);
  }

  function adoptEdit(edited) {
    if (edited.toml !== state.text) {
      state.text = edited.toml;
      $("editor").value = state.text;
    }
    state.overrides = new Map(edited.overrides.map((o) => {
      const i = o.indexOf("=");
      return [o.slice(0, i), o.slice(i + 1)];
    }));
  }

  async function check() {
    const n = ++state.checkCounter;
    document.body.dataset.checked = "pending";
    const edit = state.pendingEdit;
    state.pendingEdit = null;
    let r;
    try {
      r = await api("/api/scenario", edit ? {...request(), edit} : request());
    } catch (e) {
      if (n === state.checkCounter) showError($("error"), null, String(e.message));
      return;
    }
    if (n !== state.checkCounter) return; // a newer check is under way
    if (r.edited) {
      adoptEdit(r.edited);
      $("controls").dataset.paths = "";
      renderPolicies();
    }
    if (r.edit_error) {
      setRunState(document.body.dataset.runState || "idle", r.edit_error, true);
      document.body.dataset.checked = state.checked ? "ok" : "error";
      return;
    }
    if (!r.ok) {
      state.checked = null;
      showError($("error"), $("editor"), r.error);
      errorAtControl(r.error);
      openEditorOnError(r.error);
      $("controls").classList.add("stale");
      document.body.dataset.checked = "error";
      return;
    }
    showError($("error"), $("editor"), null);
    errorAtControl(null);
    $("controls").classList.remove("stale");
    state.checked = r;
    $("description").textContent = r.description;
    // Show the scenario's seed, but never under the cursor of someone typing one.
    if (state.seed === null && document.activeElement !== $("seed")) $("seed").value = r.seed;
    const v = r.variants;
    const actors = v[0].actors.toLocaleString("en");
    $("summary").textContent = `${v[0].model}: ${v[0].actors ? `${actors} actors, ` : ""}${v[0].steps} steps, ${v[0].replicates} replicate(s)` +
      (v.length > 1 ? `, ${v.length} variants` : "");
    renderControls(r.params);
    renderTables(r.tables || []);
    renderPolicies();
    $("model-about").textContent = r.model_about ? `${v[0].model}: ${r.model_about}` : "";
    if (!state.running) downloadLink($("export-toml"), r.resolved_toml, `${safeName()}.toml`, "application/toml");
    document.body.dataset.checked = "ok";
  }

  function openEditorOnError(err) {
    if (err && err.line) $("editor-box").open = true;
  }

  function controlTitle(p) {
    const parts = [];
    if (p.doc) parts.push(p.doc);
    if (p.unit) parts.push(`unit: ${p.unit}`);
    if (p.min !== null || p.max !== null) parts.push(`valid: ${p.min ?? "−∞"} … ${p.max ?? "∞"}`);
    if (p.default) parts.push(`default: ${p.default}`);
    if (p.set === false) parts.push("(not set in the scenario: the default applies)");
    if (p.when) parts.push(`applies when ${p.when}${p.applies ? "" : " (not now: leave it out)"}`);
    if (p.table && !p.table_present) parts.push(`in the optional table [${p.table}]: add the table to use it`);
    parts.push(`--set ${p.path}=…`);
    return parts.join("\n");
  }

  function renderControls(params) {
    const box = $("controls");
    const paths = params.map((p) => p.path).join("|");
    if (box.dataset.paths === paths) {
      for (const p of params) {
        const input = box.querySelector(`[data-path="${CSS.escape(p.path)}"]`);
        if (input && document.activeElement !== input) setInputValue(input, p);
        const range = box.querySelector(`[data-range="${CSS.escape(p.path)}"]`);
        if (range && p.value !== "") range.value = Number(p.value);
        const row = input && input.closest(".control");
        if (row) {
          row.classList.toggle("changed", state.overrides.has(p.path));
          enable(row, p);
        }
      }
      return;
    }
    box.dataset.paths = paths;
    box.textContent = "";
    state.invalid.clear(); // new controls show the scenario's values
    let section = null;
    for (const p of params) {
      if (p.section !== section) {
        section = p.section;
        box.append(el("h4", {}, section));
      }
      box.append(control(p));
    }
  }

  // A control that does not apply (its conditions fail, or its optional table is absent)
  // is disabled and says why in its tooltip.
  function enable(row, p) {
    const off = !p.applies || !p.table_present;
    row.classList.toggle("inapplicable", off);
    row.dataset.applies = String(!off);
    row.title = controlTitle(p);
    for (const i of row.querySelectorAll("input, select")) i.disabled = off;
  }

  function setInputValue(input, p) {
    if (p.kind === "bool") input.checked = p.value === "true";
    else if (p.kind === "list") {
      // A list being corrected keeps its (invalid) text until it is valid.
      if (!state.invalid.has(p.path)) input.value = p.value.replace(/^\[|\]$/g, "").trim();
    } else input.value = p.value.replace(/^"|"$/g, "");
  }

  // A number as TOML writes it (or nothing yet).
  function isNumber(v) {
    return v === "" || /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(v);
  }

  // A list control's text ("50, 50" or "[50, 50]") as a TOML array, or the first problem
  // with it, located by item: every item a number of the declared type, within the
  // declared range, and as many items as the declaration allows.
  function parseList(p, text) {
    const body = text.trim().replace(/^\[/, "").replace(/\]$/, "").trim();
    const raw = body === "" ? [] : body.split(",").map((x) => x.trim());
    const items = [];
    for (let i = 0; i < raw.length; i++) {
      const x = raw[i];
      const where = `item ${i + 1}`;
      if (x === "") return {error: `${where} is empty (a stray comma?)`};
      const ok = p.item === "integer" ? /^[-+]?\d+$/.test(x) : /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(x);
      if (!ok) return {error: `${where}: "${x}" is not ${p.item === "integer" ? "a whole number" : "a number"}`};
      const n = Number(x);
      if (p.min !== null && n < p.min) return {error: `${where}: ${x} is below the minimum ${p.min}`};
      if (p.max !== null && n > p.max) return {error: `${where}: ${x} is above the maximum ${p.max}`};
      // As TOML writes it: no "+" or leading zeros, a real with a fraction ("5." and ".5"
      // are not TOML; the shortest text of the same double is).
      if (p.item === "integer") items.push(x.replace(/^\+/, "").replace(/^(-?)0+(?=\d)/, "$1"));
      else {
        const t = String(n);
        items.push(/^-?\d+$/.test(t) ? `${t}.0` : t);
      }
    }
    if (p.min_len !== null && items.length < Math.max(p.min_len, 1)) {
      return {error: items.length ? `at least ${p.min_len} items` : "a list of numbers, separated by commas"};
    }
    if (p.max_len !== null && items.length > p.max_len) return {error: `at most ${p.max_len} items`};
    return {value: `[${items.join(", ")}]`};
  }

  // An error shown under its control (a list item that is not a number; a scenario error
  // at that field), or none.
  function controlError(row, message) {
    let box = row.querySelector(".control-error");
    if (!message) {
      if (box) box.remove();
      row.classList.remove("invalid");
      return;
    }
    if (!box) {
      box = el("div", {class: "control-error", role: "alert"});
      row.append(box);
    }
    box.textContent = message;
    row.classList.add("invalid");
  }

  // The scenario error's field on the control it names (`network.blocks`,
  // `network.blocks[2]`, or the path of an override), if there is one.
  function errorAtControl(err) {
    for (const row of $("controls").querySelectorAll(".control.server-error")) {
      row.classList.remove("server-error");
      if (!state.invalid.has(row.dataset.control)) controlError(row, null);
    }
    if (!err || !err.field) return;
    const field = err.field.replace(/\[\d+\]$/, "");
    const input = $("controls").querySelector(`[data-path="${CSS.escape(err.field)}"]`) ||
      $("controls").querySelector(`[data-path="${CSS.escape(field)}"]`);
    const row = input && input.closest(".control");
    if (!row || state.invalid.has(row.dataset.control)) return;
    row.classList.add("server-error");
    controlError(row, `${err.field}: ${err.message}${err.help ? ` (expected: ${err.help})` : ""}`);
  }

  function control(p) {
    const id = `p-${p.path.replace(/[^A-Za-z0-9]/g, "_")}`;
    const title = controlTitle(p);
    const row = el("div", {class: "control" + (state.overrides.has(p.path) ? " changed" : ""), title, "data-control": p.path, "data-kind": p.kind});
    const name = p.path.startsWith(p.section.split(":")[0] + ".") ? p.path.slice(p.path.indexOf(".") + 1) : p.path;
    const label = el("label", {for: id}, name);
    if (p.unit) label.append(" ", el("span", {class: "unit"}, `(${p.unit})`));
    let input;
    const commit = (value) => {
      state.overrides.set(p.path, value);
      row.classList.add("changed");
      scheduleCheck(0, "settle");
    };
    if (p.kind === "list") {
      // Comma-separated numbers, checked as typed; only a valid list is sent.
      input = el("input", {id, type: "text", class: "list", "data-path": p.path, "data-list": p.item,
        placeholder: p.default ? p.default.replace(/^\[|\]$/g, "") : `${p.item === "integer" ? "whole numbers" : "numbers"}, e.g. 1, 2, 3`,
        spellcheck: "false", autocomplete: "off"});
      const validate = () => {
        const r = parseList(p, input.value);
        if (r.error) state.invalid.set(p.path, r.error);
        else state.invalid.delete(p.path);
        row.classList.remove("server-error");
        controlError(row, r.error ? `${p.path}: ${r.error}` : null);
        return r;
      };
      input.addEventListener("input", validate);
      input.addEventListener("change", () => {
        const r = validate();
        if (r.value !== undefined) commit(r.value);
      });
    } else if (p.kind === "name") {
      // One of the names the scenario defines (a force, a provider): a menu of them, the
      // current value kept when it is not (yet) among them.
      const names = [...p.choices];
      const current = p.value.replace(/^"|"$/g, "");
      if (current && !names.includes(current)) names.push(current);
      const options = names.map((c) => el("option", {value: c}, c));
      if (!current || p.optional) {
        options.unshift(el("option", {value: "", ...(p.optional ? {} : {disabled: ""})},
          p.optional ? "(absent)" : "(choose)"));
      }
      if (names.length) {
        input = el("select", {id, "data-path": p.path, "data-names": names.join("|")}, options);
        input.addEventListener("change", () => {
          if (input.value !== "") commit(JSON.stringify(input.value));
        });
      } else {
        // No names in the text (e.g. a snapshot's providers): typed in.
        input = el("input", {id, type: "text", "data-path": p.path, placeholder: "a name"});
        input.addEventListener("change", () => {
          const v = input.value.trim();
          if (v !== "") commit(JSON.stringify(v));
        });
      }
    } else if (p.kind === "bool") {
      input = el("input", {id, type: "checkbox", "data-path": p.path});
      input.addEventListener("change", () => commit(input.checked ? "true" : "false"));
    } else if (p.kind === "choice") {
      input = el("select", {id, "data-path": p.path}, p.choices.map((c) => el("option", {value: c}, c)));
      input.addEventListener("change", () => commit(JSON.stringify(input.value)));
    } else if (!isNumber(p.value.replace(/^"|"$/g, ""))) {
      // A number the scenario writes as words (e.g. "1%", "3d"): edited as text.
      input = el("input", {id, type: "text", "data-path": p.path, placeholder: p.default});
      input.addEventListener("change", () => {
        const v = input.value.trim();
        if (v === "") return;
        commit(/^-?[0-9.]+([eE][-+]?[0-9]+)?$/.test(v) ? v : JSON.stringify(v));
      });
    } else {
      const step = p.kind === "integer" ? "1" : "any";
      const attrs = {id, type: "number", step, "data-path": p.path, placeholder: p.default ? p.default : "derived"};
      if (p.min !== null) attrs.min = p.min;
      if (p.max !== null) attrs.max = p.max;
      input = el("input", attrs);
      input.addEventListener("change", () => {
        if (input.value.trim() === "") return;
        let v = input.value.trim();
        if (p.kind === "real" && /^-?\d+$/.test(v)) v += ".0";
        commit(v);
      });
    }
    setInputValue(input, p);
    row.append(label, input);
    if ((p.kind === "real" || p.kind === "integer") && p.min !== null && p.max !== null && p.max > p.min && input.type === "number") {
      const step = p.kind === "integer" ? 1 : (p.max - p.min) / 200;
      const range = el("input", {type: "range", min: p.min, max: p.max, step, "data-range": p.path});
      range.value = p.value === "" ? p.min : Number(p.value);
      range.addEventListener("input", () => { input.value = range.value; });
      range.addEventListener("change", () => {
        let v = range.value;
        if (p.kind === "real" && /^-?\d+$/.test(v)) v += ".0";
        commit(v);
      });
      row.append(range);
    }
    enable(row, p);
    return row;
  }

  // ------------------------------------------------------------------ optional tables
  // A model's optional tables (growth's [market], [network]) are absent by default; a
  // button adds one (with its required fields at their declared examples) or removes it.

  function renderTables(tables) {
    const box = $("tables");
    box.textContent = "";
    for (const t of tables) {
      const b = el("button", {type: "button", "data-table": t.name, "data-present": String(t.present),
        title: t.present ? `Remove the [${t.name}] table and everything in it` :
          `Add a [${t.name}] table to the scenario: its controls below become active`},
      t.present ? `Remove [${t.name}]` : `Add [${t.name}]`);
      b.addEventListener("click", () => {
        scheduleCheck(0, t.present ? {remove_table: t.name} : {add_table: t.name});
      });
      box.append(b);
    }
  }

  // ------------------------------------------------------------------ policy toggles
  // Each top-level [[policy]] block of the text gets a toggle. Switching one off comments
  // its lines out with the prefix "#off# " (so the text stays the one truth: what runs,
  // what is exported, where errors point); switching it on removes the prefix.

  const OFF = "#off# ";

  function policyBlocks(text) {
    const lines = text.split("\n");
    const blocks = [];
    for (let i = 0; i < lines.length; i++) {
      const m = /^(#off# )?\s*\[\[policy\]\]/.exec(lines[i]);
      if (!m) continue;
      let j = i + 1;
      while (j < lines.length && !/^(#off# )?\s*\[/.test(lines[j])) j++;
      let end = j;
      while (end > i + 1 && lines[end - 1].trim() === "") end--;
      const body = lines.slice(i, end).map((l) => (l.startsWith(OFF) ? l.slice(OFF.length) : l)).join("\n");
      const get = (re) => (re.exec(body) || [])[1];
      blocks.push({
        start: i, end, off: !!m[1],
        kind: get(/\bkind\s*=\s*"([^"]*)"/) || "policy",
        from: get(/\bfrom\s*=\s*([-0-9.eE+]+)/),
        until: get(/\buntil\s*=\s*([-0-9.eE+]+)/),
        groups: get(/\bgroups\s*=\s*\[([^\]]*)\]/),
      });
      i = end - 1;
    }
    return blocks;
  }

  function renderPolicies() {
    const box = $("policies");
    box.textContent = "";
    const blocks = policyBlocks(state.text);
    const kinds = (state.checked && state.checked.policy_kinds) || [];
    if (!blocks.length && !kinds.length) return;
    box.append(el("h4", {}, "policies"));
    if (kinds.length) {
      box.append(el("div", {class: "kinds", id: "policy-kinds"},
        "this model takes: ", kinds.map((k, i) => el("span", {title: `[[policy]] kind = "${k.kind}": ${k.doc}; fields ${k.fields.join(", ")}`},
          `${i ? ", " : ""}${k.kind}`))));
      // Add a policy of a declared kind (kinds that do not apply now are listed, disabled).
      const select = el("select", {id: "policy-add-kind", title: "The kind of [[policy]] to add"},
        kinds.map((k) => el("option", {value: k.kind, title: k.applies ? k.doc : `applies when ${k.when}`,
          ...(k.applies ? {} : {disabled: ""})}, k.applies ? k.kind : `${k.kind} (when ${k.when})`)));
      const first = kinds.find((k) => k.applies);
      if (first) select.value = first.kind;
      const add = el("button", {type: "button", id: "policy-add",
        title: "Append a [[policy]] of this kind to the scenario, its fields at their declared example values"}, "Add policy");
      add.disabled = !first;
      add.addEventListener("click", () => {
        if (select.value) scheduleCheck(0, {add_policy: select.value});
      });
      box.append(el("div", {class: "row add-policy"}, select, add));
    }
    blocks.forEach((b, k) => {
      const id = `policy-toggle-${k}`;
      const what = `${b.kind}${b.from !== undefined ? ` from t = ${b.from}` : ""}` +
        `${b.until !== undefined ? ` until t = ${b.until}` : ""}${b.groups ? ` on ${b.groups.replace(/"/g, "")}` : ""}`;
      const input = el("input", {id, type: "checkbox", "data-policy": String(k)});
      input.checked = !b.off;
      input.addEventListener("change", () => togglePolicy(k, input.checked));
      const remove = el("button", {type: "button", class: "remove", "data-policy-remove": String(k),
        title: `Remove this [[policy]] (lines ${b.start + 1}–${b.end}) from the scenario`}, "×");
      remove.addEventListener("click", () => removePolicy(k));
      box.append(el("div", {class: "control policy" + (b.off ? " changed" : ""),
        title: `Switch this [[policy]] (lines ${b.start + 1}–${b.end}) off or on: its lines are commented out with "${OFF.trim()}"`},
        el("label", {for: id}, what), el("span", {}, input, remove)));
    });
  }

  function togglePolicy(k, on) {
    const b = policyBlocks(state.text)[k];
    if (!b) return;
    const lines = state.text.split("\n");
    for (let i = b.start; i < b.end; i++) {
      if (on && lines[i].startsWith(OFF)) lines[i] = lines[i].slice(OFF.length);
      else if (!on && !lines[i].startsWith(OFF)) lines[i] = OFF + lines[i];
    }
    state.text = lines.join("\n");
    $("editor").value = state.text;
    // Overrides of policies name them by position, which has just changed.
    for (const key of [...state.overrides.keys()]) if (key.startsWith("policy[")) state.overrides.delete(key);
    $("controls").dataset.paths = "";
    renderPolicies();
    scheduleCheck(0);
  }

  function removePolicy(k) {
    const b = policyBlocks(state.text)[k];
    if (!b) return;
    const lines = state.text.split("\n");
    lines.splice(b.start, b.end - b.start);
    state.text = lines.join("\n");
    $("editor").value = state.text;
    for (const key of [...state.overrides.keys()]) if (key.startsWith("policy[")) state.overrides.delete(key);
    $("controls").dataset.paths = "";
    renderPolicies();
    scheduleCheck(0);
  }

  function load(text, origin, description) {
    state.source = {text, origin};
    state.text = text;
    state.origin = origin;
    state.overrides.clear();
    state.invalid.clear();
    state.seed = null;
    state.pendingEdit = null;
    $("editor").value = text;
    $("origin").textContent = origin;
    $("seed").value = "";
    $("controls").dataset.paths = "";
    if (description !== undefined) $("description").textContent = description;
    clearResults();
    renderPolicies();
    scheduleCheck(0);
  }

  // ------------------------------------------------------------------ results

  function clearResults() {
    $("variants").textContent = "";
    $("keys").textContent = "";
    $("notes").textContent = "";
    $("progress").value = 0;
    state.runData = [];
    $("export-zip").classList.add("disabled");
    $("export-zip").removeAttribute("href");
  }

  // The charts a variant shows follow what its model records (the registry's declared
  // observation): concentration metrics give shares, concentration, Lorenz and
  // distribution; a model's own columns are drawn as the model declares its charts (one
  // box per panel, keyed `stem` or `stem.i`), or, for a model that declares none, under
  // their declared labels, shares and probabilities on [0, 1], other quantities on their
  // own axis.
  function chartsFor(d) {
    const charts = [];
    const obs = d.observation;
    if (obs.concentration) {
      charts.push(["shares", "Shares of the total over time"], ["concentration", "Concentration over time"]);
    }
    const declared = declaredPanels(d);
    for (const p of declared) charts.push([p.key, p.title]);
    const own = declared.length ? [] : ownColumns(d);
    if (own.some((c) => c.unit_interval)) charts.push(["outcomes", "The model's shares and probabilities over time"]);
    if (own.some((c) => !c.unit_interval)) charts.push(["quantities", "The model's quantities over time"]);
    if (obs.concentration || d.lorenz.length) {
      charts.push(["lorenz", "Final Lorenz curve (replicate 0)"],
        ["distribution", "Final distribution P(X ≥ x), log–log (replicate 0)"]);
    }
    return charts;
  }

  // The model's own columns that were recorded, each with a label that tells it apart
  // (a label shared by several columns gets the column's suffix, e.g. its state).
  function ownColumns(d) {
    const cols = d.observation.columns.filter((c) => series(d, c.name));
    return cols.map((c) => {
      const shared = cols.filter((o) => o.label === c.label).length > 1;
      const suffix = c.name.includes(".") ? c.name.slice(c.name.indexOf(".") + 1) : c.name;
      return shared ? {...c, label: `${c.label} (${suffix})`} : c;
    });
  }

  // The panels of the model's declared charts that have a recorded column, each with its
  // box key and title.
  function declaredPanels(d) {
    const out = [];
    for (const c of d.observation.charts || []) {
      c.panels.forEach((p, i) => {
        const series = p.series.filter((s) => series_(d, s.column));
        if (!series.length) return;
        const key = c.panels.length > 1 ? `${c.stem}.${i}` : c.stem;
        const title = p.title ? `${c.title} — ${p.title}` : c.title;
        out.push({key, title, panel: {...p, series}});
      });
    }
    return out;
  }

  // A column's series when it holds a finite value.
  function series_(d, name) {
    const s = series(d, name);
    return s && s.mean.some((v) => v !== null && Number.isFinite(v)) ? s : null;
  }

  // Horizontal bars of final values (categorical data such as time in each state), as
  // plain elements: one row per bar with its name, the bar and the value.
  function barChart(container, bars, share) {
    container.textContent = "";
    const max = Math.max(...bars.map((b) => b.value).filter((v) => Number.isFinite(v) && v > 0), 0);
    const table = el("table", {class: "bars"});
    for (const b of bars) {
      const bar = el("span", {class: "bar"});
      const w = max > 0 && Number.isFinite(b.value) && b.value > 0 ? (b.value / max) * 100 : 0;
      bar.style.width = `${Math.max(w, 0.5)}%`;
      const text = !Number.isFinite(b.value) ? "—" : share ? `${(b.value * 100).toFixed(2)}%` : CW.sig(b.value);
      table.append(el("tr", {dataset: {bar: b.label}}, el("td", {class: "bar-name"}, b.label),
        el("td", {class: "bar-cell"}, bar), el("td", {class: "num"}, text)));
    }
    container.append(table);
  }

  function buildCards(labels) {
    clearResults();
    labels.forEach((label, i) => {
      const card = el("div", {class: "variant", "data-variant": String(i)}, el("h3", {}, label),
        el("div", {class: "charts"}, el("span", {class: "pending"}, "waiting for this variant…")));
      $("variants").append(card);
    });
  }

  function series(d, name) {
    return d.series.find((s) => s.name === name);
  }

  function drawVariant(d) {
    const card = $("variants").querySelector(`[data-variant="${d.index}"]`);
    if (!card) return;
    const box = card.querySelector(".charts");
    box.textContent = "";
    for (const [key, title] of chartsFor(d)) {
      box.append(el("div", {class: "chart-title"}, title), el("div", {class: "chart", "data-chart": key}));
    }
    const chart = (key) => card.querySelector(`[data-chart="${key}"]`);
    const band = d.replicates > 1 ? ` — mean of ${d.replicates} replicates, band: middle 90%` : "";
    const line = (name, label) => {
      const s = series(d, name);
      return s ? {label, values: s.mean, lo: s.lo, hi: s.hi} : null;
    };
    if (chart("shares")) {
      const shares = [line("top1_share", "largest actor")];
      if (d.groups.length > 1) for (const g of d.groups) shares.push(line(`share.${g}`, `group ${g}`));
      lineChart(chart("shares"), {x: d.x, series: shares.filter(Boolean), xLabel: "time" + band, yLabel: "share", yRange: [0, 1]});
    }
    if (chart("concentration")) {
      const conc = [line("hhi", "HHI"), line("gini", "Gini"), line("top10pct_share", "top-10% share")];
      lineChart(chart("concentration"), {x: d.x, series: conc.filter(Boolean), xLabel: "time" + band, yLabel: "index", yRange: [0, 1]});
    }
    // The model's declared charts: lines over time (bars of the final value when only one
    // time was recorded), or bars of final values.
    const last = (s) => {
      for (let i = s.mean.length - 1; i >= 0; i--) if (s.mean[i] !== null && Number.isFinite(s.mean[i])) return s.mean[i];
      return NaN;
    };
    for (const {key, panel} of declaredPanels(d)) {
      const box = chart(key);
      if (!box) continue;
      const share = panel.y_range === "share";
      if (panel.kind === "lines" && d.x.length >= 2) {
        const many = panel.series.length > 1;
        const yRange = panel.y_range && panel.y_range.fixed ? [panel.y_range.fixed.lo, panel.y_range.fixed.hi] : share ? [0, 1] : undefined;
        lineChart(box, {x: d.x, series: panel.series.map((s) => line(s.column, many ? s.label : "")).filter(Boolean),
          xLabel: "time" + band, yLabel: panel.y_label, yRange});
      } else {
        barChart(box, panel.series.map((s) => ({label: s.label, value: last(series(d, s.column))})), share);
      }
    }
    const own = ownColumns(d);
    if (chart("outcomes")) {
      lineChart(chart("outcomes"), {x: d.x, series: own.filter((c) => c.unit_interval).map((c) => line(c.name, c.label)),
        xLabel: "time" + band, yLabel: "share", yRange: [0, 1]});
    }
    if (chart("quantities")) {
      lineChart(chart("quantities"), {x: d.x, series: own.filter((c) => !c.unit_interval).map((c) => line(c.name, c.label)),
        xLabel: "time" + band, yLabel: ""});
    }
    if (chart("lorenz")) {
      if (d.lorenz.length) {
        const xs = d.lorenz.map((p) => p[0]);
        lineChart(chart("lorenz"), {x: xs, series: [
          {label: "Lorenz curve", values: d.lorenz.map((p) => p[1])},
          {label: "equality", values: xs, color: "#9aa4b8", dash: [4, 4]},
        ], xLabel: "share of actors (smallest first)", yLabel: "share of the total", yRange: [0, 1]});
      } else {
        chart("lorenz").textContent = "no per-actor values";
      }
    }
    if (chart("distribution")) {
      if (d.ccdf.length) {
        lineChart(chart("distribution"), {x: d.ccdf.map((p) => p[0]), series: [
          {label: "P(X ≥ x)", values: d.ccdf.map((p) => p[1])},
        ], xLabel: "value x", yLabel: "P(X ≥ x)", log: {x: true, y: true}});
      } else {
        chart("distribution").textContent = "no positive values";
      }
    }
    for (const n of d.notes) $("notes").append(el("div", {}, `${d.label}: ${n}`));
  }

  // The final row's columns: the concentration headline columns when the model records
  // them, then the model's own columns under their declared labels.
  const KEYS = [
    ["time", "t", 1],
    ["top1_share", "top-1 share", 3],
    ["top10pct_share", "top-10% share", 3],
    ["gini", "Gini", 3],
    ["hhi", "HHI", 4],
    ["effective_number", "effective number", 1],
    ["nakamoto_1_3", "Nakamoto (> 1/3)", 0],
    ["nakamoto_1_2", "Nakamoto (> 1/2)", 0],
  ];

  function keyColumns() {
    const first = state.runData.find(Boolean);
    if (!first) return [];
    const present = (col) => state.runData.some((d) => d && d.final_row.some(([n]) => n === col));
    const keys = first.observation.concentration ? KEYS.filter(([col]) => present(col)) : KEYS.slice(0, 1);
    for (const c of ownColumns(first)) {
      if (present(c.name)) keys.push([c.name, c.label, c.integer ? 0 : 4]);
    }
    return keys;
  }

  function drawKeys() {
    const box = $("keys");
    box.textContent = "";
    const labels = state.runVariants;
    // The headline numbers, as `counterweight run` prints them and report.html shows them.
    const head = el("table", {id: "keys-head"},
      el("caption", {}, "Key numbers (as in report.html)"),
      el("tr", {}, el("th", {}, ""), labels.map((l) => el("th", {}, l))));
    const first = state.runData.find(Boolean);
    for (const [k] of first ? first.key_numbers : []) {
      const tr = el("tr", {}, el("td", {}, k));
      labels.forEach((label, i) => {
        const d = state.runData[i];
        const cell = d && d.key_numbers.find(([n]) => n === k);
        tr.append(el("td", {class: "num", dataset: {variant: label, key: k}}, cell ? cell[1] : "…"));
      });
      head.append(tr);
    }
    box.append(head);
    const table = el("table", {id: "keys-table"},
      el("caption", {}, "Final values (replicate 0; hover a number for its full precision)"),
      el("tr", {}, el("th", {}, "metric"), labels.map((l) => el("th", {}, l))));
    const keys = keyColumns();
    for (const [col, name, digits] of keys) {
      const tr = el("tr", {}, el("td", {}, name));
      labels.forEach((label, i) => {
        const d = state.runData[i];
        const cell = d && d.final_row.find(([n]) => n === col);
        const v = cell ? cell[1] : null;
        tr.append(el("td", {class: "num", title: v === null ? "" : String(v),
          dataset: d ? {variant: label, col, value: v === null ? "NaN" : String(v)} : {}},
          d ? fmt(v, digits) : "…"));
      });
      table.append(tr);
    }
    box.append(table);
    const withReps = state.runData.filter((d) => d && d.final_mean);
    if (withReps.length) {
      const mt = el("table", {id: "keys-mean"},
        el("caption", {}, `Final values, mean over replicates`),
        el("tr", {}, el("th", {}, "metric"), labels.map((l) => el("th", {}, l))));
      for (const [col, name, digits] of keys) {
        const tr = el("tr", {}, el("td", {}, name));
        labels.forEach((label, i) => {
          const d = state.runData[i];
          const cell = d && d.final_mean && d.final_mean.find(([n]) => n === col);
          tr.append(el("td", {class: "num"}, cell ? fmt(cell[1], digits + (digits === 0 ? 1 : 0)) : "…"));
        });
        mt.append(tr);
      }
      box.append(mt);
    }
  }

  // ------------------------------------------------------------------ buttons

  function startRun(paused) {
    if (state.invalid.size) {
      const [path, message] = state.invalid.entries().next().value;
      setRunState(document.body.dataset.runState || "idle", `not run: fix ${path} (${message})`, true);
      document.body.dataset.refused = path;
      return;
    }
    if (!state.checked) {
      setRunState("error", "fix the scenario first (see the error on the left)", true);
      return;
    }
    delete document.body.dataset.refused;
    if (send({type: "run", ...request(), paused})) {
      setRunState("starting", "starting…");
    }
  }

  $("run").addEventListener("click", () => startRun(false));
  $("pause").addEventListener("click", () => {
    if (state.running) send({type: state.paused ? "resume" : "pause"});
  });
  $("step").addEventListener("click", () => {
    // From idle, a paused run: it holds at its first progress tick.
    if (state.running) send({type: "step"});
    else startRun(true);
  });
  $("cancel").addEventListener("click", () => {
    if (state.running) {
      send({type: "cancel"});
      setRunState("cancelling", "cancelling…");
    }
  });
  $("reset").addEventListener("click", () => {
    if (state.running) send({type: "cancel"});
    if (state.source) load(state.source.text, state.source.origin);
    setRunState("idle", "ready");
  });
  $("seed").addEventListener("change", () => {
    const v = $("seed").value.trim();
    state.seed = /^\d+$/.test(v) ? Number(v) : null;
    if (state.seed !== null && !Number.isSafeInteger(state.seed)) state.seed = null;
    scheduleCheck(0);
  });
  $("editor").addEventListener("input", () => {
    state.text = $("editor").value;
    renderPolicies();
    scheduleCheck();
  });
  $("editor").addEventListener("focus", () => caretToError($("editor")));
  $("file").addEventListener("change", async () => {
    const f = $("file").files[0];
    if (!f) return;
    try {
      const text = await readFile(f);
      $("example").value = "";
      load(text, f.name, "");
    } catch (e) {
      showError($("error"), null, e.message);
    }
  });

  // ------------------------------------------------------------------ start

  async function init() {
    setRunState("idle", "ready");
    connect();
    const [info, examples] = await Promise.all([CW.showVersion(), api("/api/examples")]);
    const select = $("example");
    if (info && info.startup) {
      select.append(el("option", {value: "@startup"}, `${info.startup.name} (started with)`));
    }
    for (const e of examples) {
      select.append(el("option", {value: e.name, title: e.summary}, `${e.name}${e.gallery ? " ★" : ""}`));
    }
    select.append(el("option", {value: ""}, "(a file or your own text)"));
    const descriptions = Object.fromEntries(examples.map((e) => [e.name, e.description]));
    select.addEventListener("change", async () => {
      const name = select.value;
      if (!name) return;
      if (name === "@startup") {
        load(info.startup.text, info.startup.origin, "");
        return;
      }
      const ex = await api(`/api/examples/${encodeURIComponent(name)}`);
      load(ex.text, ex.origin, descriptions[name]);
    });
    const wanted = new URLSearchParams(location.search).get("scenario");
    if (info && info.startup && !wanted) {
      select.value = "@startup";
      load(info.startup.text, info.startup.origin, "");
    } else {
      const name = examples.some((e) => e.name === wanted) ? wanted : (info ? info.default_example : examples[0].name);
      select.value = name;
      const ex = await api(`/api/examples/${encodeURIComponent(name)}`);
      load(ex.text, ex.origin, descriptions[name]);
    }
  }

  init().catch((e) => setRunState("error", e.message, true));
})();
