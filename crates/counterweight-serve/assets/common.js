// counterweight serve: helpers shared by the three pages (no framework, no build step).
"use strict";

const CW = (() => {
  const PALETTE = ["#1f5fbf", "#d1495b", "#2a9d55", "#e09f3e", "#7b4fa8", "#3d8fa8", "#8c564b", "#c44e9d"];

  /** Create an element: el("td", {class: "num", title: "..."}, "text", child, ...). */
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "class") e.className = v;
      else if (k === "text") e.textContent = v;
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else if (k === "dataset") Object.assign(e.dataset, v);
      else e.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined) continue;
      e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
  }

  /** Fetch JSON; a refusal ({"error": ...}) or a network failure throws an Error in words. */
  async function api(path, body) {
    const opts = body === undefined ? {} : {
      method: "POST",
      headers: {"Content-Type": "application/json"},
      body: JSON.stringify(body),
    };
    let res;
    try {
      res = await fetch(path, opts);
    } catch (e) {
      throw new Error("the server cannot be reached (is `counterweight serve` still running?)");
    }
    let data;
    try {
      data = await res.json();
    } catch (e) {
      throw new Error(`unexpected answer from the server (HTTP ${res.status})`);
    }
    if (!res.ok) throw new Error(data.error || `HTTP ${res.status}`);
    return data;
  }

  /** A number with `d` decimals; NaN/null as an em dash. */
  function fmt(x, d) {
    if (x === null || x === undefined || Number.isNaN(x)) return "—";
    return Number(x).toFixed(d);
  }

  /** Four significant digits, as the reports show numbers. */
  function sig(x) {
    if (x === null || x === undefined || Number.isNaN(x)) return "—";
    if (Number.isInteger(x) && Math.abs(x) < 1e15) return String(x);
    const a = Math.abs(x);
    if (a !== 0 && (a < 1e-4 || a >= 1e9)) return x.toExponential(3);
    return String(Number(x.toPrecision(4)));
  }

  /** Show a located error under an editor and put the caret at its line and column. */
  function showError(box, editor, err) {
    if (!err) {
      box.hidden = true;
      box.textContent = "";
      if (editor) editor.classList.remove("has-error");
      return;
    }
    box.hidden = false;
    box.textContent = typeof err === "string" ? err : err.text;
    if (editor) {
      editor.classList.add("has-error");
      if (err.line) {
        const lines = editor.value.split("\n");
        let offset = 0;
        for (let i = 0; i < err.line - 1 && i < lines.length; i++) offset += lines[i].length + 1;
        offset += Math.max(0, (err.col || 1) - 1);
        editor.dataset.errorOffset = String(offset);
        // Bring the line into view, a few lines from the top.
        const lh = parseFloat(getComputedStyle(editor).lineHeight) || 16;
        editor.scrollTop = Math.max(0, (err.line - 4) * lh);
      }
    }
  }

  /** Move the caret of `editor` to the error's place (on focus, so loading never steals it). */
  function caretToError(editor) {
    const o = Number(editor.dataset.errorOffset);
    if (!Number.isNaN(o) && editor.classList.contains("has-error")) {
      editor.setSelectionRange(o, o + 1);
    }
  }

  /** Read a dropped or chosen file as text. */
  function readFile(file) {
    return new Promise((resolve, reject) => {
      const r = new FileReader();
      r.onload = () => resolve(String(r.result));
      r.onerror = () => reject(new Error(`cannot read ${file.name}`));
      r.readAsText(file);
    });
  }

  /** Offer `text` as a download named `name`. */
  function downloadLink(a, text, name, mime) {
    if (a.dataset.url) URL.revokeObjectURL(a.dataset.url);
    const url = URL.createObjectURL(new Blob([text], {type: mime || "text/plain"}));
    a.dataset.url = url;
    a.href = url;
    a.download = name;
    a.classList.remove("disabled");
  }

  /**
   * A line chart (uPlot). spec: {x: [...], series: [{label, values, lo, hi, color, dash}],
   * xLabel, yLabel, yRange: [lo, hi] | null, log: {x, y}, stepped, height, points}.
   * Series with `lo` and `hi` get a band between them.
   */
  function lineChart(container, spec) {
    container.textContent = "";
    const width = Math.max(260, container.clientWidth || 360);
    const legend = el("div", {class: "legend"});
    const data = [spec.x];
    const series = [{label: spec.xLabel || "x"}];
    const bands = [];
    spec.series.forEach((s, i) => {
      const color = s.color || PALETTE[i % PALETTE.length];
      const paths = spec.stepped ? uPlot.paths.stepped({align: 1}) : undefined;
      data.push(s.values);
      series.push({label: s.label, stroke: color, width: 1.6, dash: s.dash, paths,
        points: {show: !!spec.points}, spanGaps: false});
      if (s.label) legend.append(el("span", {}, el("span", {class: "swatch", "data-color": color}), s.label));
      if (s.lo && s.hi) {
        data.push(s.hi);
        series.push({label: `${s.label} (95th percentile)`, stroke: "transparent", points: {show: false}});
        const hiIdx = data.length - 1;
        data.push(s.lo);
        series.push({label: `${s.label} (5th percentile)`, stroke: "transparent", points: {show: false}});
        const loIdx = data.length - 1;
        bands.push({series: [hiIdx, loIdx], fill: color + "33"});
      }
    });
    for (const sw of legend.querySelectorAll(".swatch")) sw.style.background = sw.dataset.color;
    const yScale = spec.log && spec.log.y ? {distr: 3} : {};
    if (spec.yRange) yScale.range = () => spec.yRange;
    const opts = {
      width,
      height: spec.height || 220,
      series,
      bands,
      scales: {x: {time: false, ...(spec.log && spec.log.x ? {distr: 3} : {})}, y: yScale},
      axes: [
        {label: spec.xLabel, size: 40, labelSize: 16},
        {label: spec.yLabel, size: 56, labelSize: 16},
      ],
      legend: {show: false},
      cursor: {drag: {x: false, y: false}},
    };
    const chart = new uPlot(opts, data, container);
    if (legend.childElementCount > 0) container.append(legend);
    container._chart = chart;
    return chart;
  }

  /** Resize every chart to its container (on window resize). */
  function fitCharts() {
    for (const c of document.querySelectorAll(".chart")) {
      if (c._chart) c._chart.setSize({width: Math.max(260, c.clientWidth), height: c._chart.height});
    }
  }
  let resizeTimer = null;
  window.addEventListener("resize", () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(fitCharts, 150);
  });

  async function showVersion() {
    try {
      const info = await api("/api/info");
      const v = document.getElementById("version");
      if (v) v.textContent = `v${info.version}`;
      return info;
    } catch (e) {
      return null;
    }
  }

  return {PALETTE, el, api, fmt, sig, showError, caretToError, readFile, downloadLink, lineChart, showVersion};
})();
