// counterweight serve: the measure page. A CSV dropped here is sent to the server
// (counterweight::measure), never stored.
"use strict";

(() => {
  const {el, api, fmt, sig, showError, readFile, lineChart} = CW;
  const $ = (id) => document.getElementById(id);
  let csv = null;
  let name = "data.csv";

  function setState(s) {
    document.body.dataset.measureState = s;
  }

  async function open(file) {
    showError($("error"), null, null);
    try {
      csv = await readFile(file);
    } catch (e) {
      showError($("error"), null, e.message);
      return;
    }
    name = file.name;
    $("filename").textContent = `${file.name} (${file.size.toLocaleString("en")} bytes)`;
    let r;
    try {
      r = await api("/api/measure/columns", {csv});
    } catch (e) {
      showError($("error"), null, e.message);
      setState("error");
      return;
    }
    if (!r.ok) {
      showError($("error"), null, `${name}: ${r.error}`);
      setState("error");
      return;
    }
    fillColumns(r.columns, r.preview);
    $("choose").hidden = false;
    setState("columns");
  }

  function fillColumns(columns, preview) {
    const numeric = columns.filter((c, i) => preview.length > 0 && preview.every((row) => row[i] !== undefined && row[i] !== "" && !Number.isNaN(Number(row[i]))));
    const textual = columns.filter((c) => !numeric.includes(c));
    const fill = (select, optional, pick) => {
      select.textContent = "";
      if (optional) select.append(el("option", {value: ""}, "(none)"));
      for (const c of columns) select.append(el("option", {value: c}, c));
      select.value = pick || "";
    };
    fill($("value"), false, numeric[numeric.length - 1] || columns[columns.length - 1]);
    fill($("entity"), true, textual.find((c) => !/date|time|year|day/i.test(c)) || "");
    fill($("time"), true, columns.find((c) => /^(date|time|year|day|month|t)$/i.test(c)) || "");
    const table = $("preview");
    table.textContent = "";
    table.append(el("tr", {}, columns.map((c) => el("th", {}, c))));
    for (const row of preview) table.append(el("tr", {}, row.map((v) => el("td", {}, v))));
  }

  async function measure() {
    setState("measuring");
    const req = {
      csv, name,
      value: $("value").value,
      entity: $("entity").value || null,
      time: $("time").value || null,
      exclude: $("exclude").value.split(",").map((s) => s.trim()).filter(Boolean),
    };
    let r;
    try {
      r = await api("/api/measure", req);
    } catch (e) {
      showError($("error"), null, e.message);
      setState("error");
      return;
    }
    if (!r.ok) {
      showError($("error"), null, r.error);
      setState("error");
      return;
    }
    showError($("error"), null, null);
    draw(r);
    setState("done");
  }

  const METRICS = [
    ["n_entities", "entities", (x) => String(x)],
    ["top1_share", "top-1 share", (x) => fmt(x, 4)],
    ["top10pct_share", "top-10% share", (x) => fmt(x, 4)],
    ["hhi", "HHI (0–10,000)", (x) => fmt(x * 10000, 0)],
    ["effective_number", "effective number", (x) => fmt(x, 2)],
    ["gini", "Gini", (x) => fmt(x, 4)],
    ["theil_t", "Theil T", (x) => fmt(x, 4)],
    ["nakamoto_1_3", "Nakamoto (> 1/3)", (x) => fmt(x, 0)],
    ["nakamoto_1_2", "Nakamoto (> 1/2)", (x) => fmt(x, 0)],
  ];

  function draw(r) {
    const last = r.rows - 1;
    const box = $("metrics");
    box.textContent = "";
    const t = el("table", {id: "metrics-table"},
      el("caption", {}, r.times.length ? `Concentration of ${$("value").value} at ${r.times[last]} (${r.times.length} times)` : `Concentration of ${$("value").value}`));
    if (r.top.length) t.append(el("tr", {}, el("td", {}, "largest"), el("td", {class: "num"}, r.top[0].entity)));
    for (const [col, label, f] of METRICS) {
      const c = r.table[col];
      if (!c) continue;
      t.append(el("tr", {}, el("td", {}, label), el("td", {class: "num", "data-col": col, "data-value": String(c[last])}, f(c[last]))));
    }
    box.append(t);

    const top = $("top");
    top.textContent = "";
    top.append(el("tr", {}, el("th", {}, "entity"), el("th", {}, "value"), el("th", {}, "share"), el("th", {}, "")));
    const max = r.top.length ? r.top[0].share : 1;
    for (const h of r.top) {
      const bar = el("span", {class: "bar"});
      bar.style.width = `${Math.max(1, (h.share / max) * 120)}px`;
      top.append(el("tr", {}, el("td", {}, h.entity), el("td", {class: "num"}, sig(h.value)),
        el("td", {class: "num"}, `${(h.share * 100).toFixed(2)}%`), el("td", {}, bar)));
    }

    if (r.lorenz.length) {
      const xs = r.lorenz.map((p) => p[0]);
      lineChart($("chart-lorenz"), {x: xs, series: [
        {label: "Lorenz curve", values: r.lorenz.map((p) => p[1])},
        {label: "equality", values: xs, color: "#9aa4b8", dash: [4, 4]},
      ], xLabel: "share of holders (smallest first)", yLabel: "share of the total", yRange: [0, 1]});
    }
    if (r.ccdf.length) {
      lineChart($("chart-ccdf"), {x: r.ccdf.map((p) => p[0]), series: [{label: "P(X ≥ x)", values: r.ccdf.map((p) => p[1])}],
        xLabel: "value x", yLabel: "P(X ≥ x)", log: {x: true, y: true}, points: r.ccdf.length < 100});
    }
    const overTime = r.times.length > 1;
    $("over-time-card").hidden = !overTime;
    if (overTime) {
      const numeric = r.times.every((s) => !Number.isNaN(Number(s)));
      const x = numeric ? r.times.map(Number) : r.times.map((_, i) => i);
      lineChart($("chart-time"), {x, series: [
        {label: "top-1 share", values: r.table.top1_share},
        {label: "HHI", values: r.table.hhi},
        {label: "Gini", values: r.table.gini},
      ], xLabel: numeric ? $("time").value : `${$("time").value} (in order: ${r.times[0]} … ${r.times[last]})`, yLabel: "", yRange: [0, 1], points: true});
    }
  }

  const drop = $("drop");
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    const f = e.dataTransfer.files[0];
    if (f) open(f);
  });
  $("file").addEventListener("change", () => { if ($("file").files[0]) open($("file").files[0]); });
  $("measure").addEventListener("click", measure);
  setState("idle");
  CW.showVersion();
})();
