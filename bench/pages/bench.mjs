// The in-page half of the benchmark. The driver (bench/driver.mjs) opens this page in a fresh
// browser context per implementation and calls `window.bench.<workload>(params)`; every workload
// returns plain JSON. Nothing here reads the network except the live workloads' WebSocket.
//
// statscope is the release build the driver copied to bench/.build/pkg/ (so a rebuild of pkg/ by
// someone else mid-run cannot change what is measured); uPlot is bench/node_modules/uplot.

import { Fleet, hubFrames, samplesFrame, START_MS } from "../lib/gen.mjs";
import { JsEngine } from "../lib/engine.mjs";

const params = new URLSearchParams(location.search);
const PKG = params.get("pkg") || "../.build/pkg/statscope.js";
const PALETTE = ["#0072b2", "#e69f00", "#009e73", "#d55e00", "#cc79a7", "#56b4e9", "#aa3377", "#228833", "#ee6677", "#4477aa"];

const now = () => performance.now();
const raf = () => new Promise((r) => requestAnimationFrame(r));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const gc = () => (typeof window.gc === "function" ? window.gc() : undefined);

let statscope = null;
async function loadStatscope() {
  if (!statscope) {
    const mod = await import(PKG);
    const wasm = await mod.default();
    statscope = { Dashboard: mod.Dashboard, wasm };
  }
  return statscope;
}

async function loadUplot() {
  const mod = await import("../node_modules/uplot/dist/uPlot.esm.js");
  return mod.default;
}

function quantiles(xs) {
  const s = Float64Array.from(xs).sort();
  const q = (p) => (s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))] : NaN);
  const mean = s.reduce((a, b) => a + b, 0) / (s.length || 1);
  return { n: s.length, p50: q(0.5), p90: q(0.9), p99: q(0.99), max: s.length ? s[s.length - 1] : NaN, mean };
}

/** A digest of a snapshot, to check that two implementations computed the same curves. */
function digest(snapshot) {
  let points = 0, sum = 0, sumT = 0;
  const per = [];
  for (const c of snapshot.containers) {
    let s = 0;
    for (const [t, v] of c.cpu) { s += v; sumT += (t - START_MS) / 1000; }
    points += c.cpu.length;
    sum += s;
    per.push([c.name, c.cpu.length, s]);
  }
  return { containers: snapshot.containers.length, points, sum, sumT, per };
}

/** The engine under test as { ingest, flush, snapshot, destroy }. */
async function makeEngine(impl, options) {
  if (impl === "statscope") {
    const { Dashboard } = await loadStatscope();
    // A canvas outside the document has no size: render() returns at once, so W1 measures no drawing.
    const d = new Dashboard(document.createElement("canvas"), { connect: false, ...options });
    return { ingest: (t) => d.ingest(t), flush: () => d.flush(), snapshot: () => d.snapshot(), destroy: () => d.destroy() };
  }
  const e = new JsEngine(options);
  // A binary frame's bytes become text first, as a JS client of a binary feed must.
  const decoder = new TextDecoder();
  return {
    ingest: (t) => e.ingest(typeof t === "string" ? t : decoder.decode(t)),
    flush: () => e.flush(), snapshot: () => e.snapshot(), destroy: () => {},
  };
}

// Texts built by concatenation are V8 "cons" strings (ropes) until flattened; WebSocket frames arrive
// as flat strings decoded from UTF-8. Decode every generated frame the same way, so that neither
// engine pays (or is spared) a flattening the real page never sees.
const utf8 = { enc: new TextEncoder(), dec: new TextDecoder() };
const flat = (s) => utf8.dec.decode(utf8.enc.encode(s));

function generate(containers, ticks, seed, frames) {
  const fleet = new Fleet({ containers, seed });
  const out = [];
  let samples = 0, bytes = 0;
  for (let k = 0; k < ticks; k++) {
    const texts = fleet.tick();
    samples += texts.length;
    const fs = (frames.startsWith("array") ? hubFrames(fleet, texts, k) : texts).map(flat);
    for (const f of fs) bytes += f.length;
    // Binary frames: the UTF-8 bytes a binary WebSocket message delivers (an ArrayBuffer's view).
    out.push(frames.endsWith("-binary") ? fs.map((f) => utf8.enc.encode(f)) : fs);
  }
  return { ticks: out, samples, bytes };
}

/**
 * W1 ingest: per tick, every frame's text → ingest(), then one flush() (one micro-batch, as the page
 * does per animation frame). Returns µs per sample over the timed ticks (after a warm-up run on
 * other data with another engine instance), plus a digest of the result.
 */
async function w1({ impl, containers = 100, ticks = 300, warm = 60, frames = "object", seed = 1 }) {
  const options = { windowSeconds: 300 };
  const warmData = generate(containers, warm, seed + 1000, frames);
  const data = generate(containers, ticks, seed, frames);
  let e = await makeEngine(impl, options);
  for (const fs of warmData.ticks) { for (const f of fs) e.ingest(f); e.flush(); }
  e.destroy();
  e = await makeEngine(impl, options);
  gc();
  await sleep(50);
  const perTick = new Float64Array(data.ticks.length);
  const t0 = now();
  for (let k = 0; k < data.ticks.length; k++) {
    const a = now();
    const fs = data.ticks[k];
    for (let i = 0; i < fs.length; i++) e.ingest(fs[i]);
    e.flush();
    perTick[k] = now() - a;
  }
  const total = now() - t0;
  const snap = e.snapshot();
  e.destroy();
  return {
    impl, frames, containers, ticks, samples: data.samples, bytesPerSample: data.bytes / data.samples,
    totalMs: total, usPerSample: (total * 1000) / data.samples,
    perTickMs: quantiles(perTick), digest: digest(snap), crossOriginIsolated,
    copy: impl === "statscope" && !frames.endsWith("-binary") ? copyCosts(data) : undefined,
  };
}

/**
 * W1 diagnostics (not a goal): what handing the frames' text to Wasm costs, per sample, on the same
 * data. `charCodeAt` is the loop wasm-bindgen's `passStringToWasm0` runs for an ASCII string (what
 * `ingest(&str)` pays today); `encodeInto` is `TextEncoder.encodeInto` into a reused buffer (what an
 * `ingest_bytes` export fed by a JS shim would pay). Both copy into a JS-side buffer the size of the
 * largest frame, as Wasm memory would be written.
 */
function copyCosts(data) {
  let largest = 0;
  for (const fs of data.ticks) for (const f of fs) largest = Math.max(largest, f.length);
  const buf = new Uint8Array(largest * 3);
  const encoder = new TextEncoder();
  const run = (copy) => {
    let best = Infinity;
    for (let round = 0; round < 3; round++) {
      const t0 = now();
      for (const fs of data.ticks) for (const f of fs) copy(f);
      best = Math.min(best, now() - t0);
    }
    return (best * 1000) / data.samples;
  };
  const charCodeAt = (arg) => {
    const len = arg.length;
    let offset = 0;
    for (; offset < len; offset++) {
      const code = arg.charCodeAt(offset);
      if (code > 0x7f) break;
      buf[offset] = code;
    }
    return offset;
  };
  const encodeInto = (arg) => encoder.encodeInto(arg, buf).written;
  return { charCodeAtUsPerSample: run(charCodeAt), encodeIntoUsPerSample: run(encodeInto) };
}

// ---------------------------------------------------------------------------------------------
// W2 redraw: one chart of `containers` × `points`, 800×300 CSS px, at the DPR the driver set.

const w2state = {};

/**
 * The width statscope strokes its curves with at this DPR for `containers` curves, in device px, as
 * its status() reports it (1.5 CSS px up to 12 curves, else one device pixel). uPlot is given the
 * same, so the comparison follows chart.rs if its line width changes.
 */
async function probeLineWidth(containers = 3) {
  const { Dashboard } = await loadStatscope();
  const canvas = document.createElement("canvas");
  canvas.style.cssText = "display:block;width:800px;height:300px";
  document.getElementById("root").append(canvas);
  const d = new Dashboard(canvas, { connect: false, theme: "light" });
  const fleet = new Fleet({ containers, seed: 5 });
  for (let k = 0; k < 5; k++) for (const t of fleet.tick()) d.ingest(t);
  d.redraw();
  const width = d.status().lineWidthDevicePx ?? canvas.getContext("2d").lineWidth;
  d.destroy();
  canvas.remove();
  return width;
}

/** Builds the chart and feeds it the data (untimed). */
async function w2setup({ impl, containers, points, seed = 1, lineDevicePx: probed }) {
  const box = document.createElement("div");
  box.id = "w2-box";
  document.getElementById("root").append(box);
  const fleet = new Fleet({ containers, seed });
  const dpr = devicePixelRatio;
  // The curves' width in device px: what statscope draws (probeLineWidth), the same for uPlot.
  const lineDevicePx = probed ?? Math.max(1, Math.round(1.5 * dpr));
  const t0 = now();
  if (impl === "statscope") {
    const { Dashboard } = await loadStatscope();
    const canvas = document.createElement("canvas");
    canvas.className = "statscope";
    box.append(canvas);
    const d = new Dashboard(canvas, { connect: false, windowSeconds: points, historyPoints: points + 10, theme: "light" });
    for (let k = 0; k < points; k++) {
      for (const t of fleet.tick()) d.ingest(t);
      d.flush();
    }
    d.redraw();
    Object.assign(w2state, { impl, canvas, redraw: () => d.redraw(), snapshot: () => d.snapshot(), dashboard: d });
  } else {
    const uPlot = await loadUplot();
    const e = new JsEngine({ windowSeconds: points, historyPoints: points + 10 });
    for (let k = 0; k < points; k++) {
      for (const t of fleet.tick()) e.ingest(t);
      e.flush();
    }
    const snap = e.snapshot();
    // Columnar data on the tick grid (x in s); a missing point is null, so breaks stay breaks.
    const xs = Float64Array.from({ length: points }, (_, k) => (START_MS + k * 1000) / 1000);
    const ys = snap.containers.map((c) => {
      const y = new Array(points).fill(null);
      for (const [t, v] of c.cpu) y[Math.floor((t - START_MS) / 1000)] = v;
      return y;
    });
    const data = [Array.from(xs), ...ys];
    const opts = {
      width: 800, height: 300,
      legend: { show: false },
      cursor: { show: false },
      series: [{}, ...snap.containers.map((c, i) => ({
        label: c.name, stroke: PALETTE[i % PALETTE.length], width: lineDevicePx / dpr,
        spanGaps: false, points: { show: false },
      }))],
    };
    const u = new uPlot(opts, data, box);
    const canvas = box.querySelector("canvas");
    Object.assign(w2state, {
      impl, canvas, uplot: u,
      redraw: () => u.batch(() => u.setData(data)),
      snapshot: () => snap,
    });
  }
  await raf();
  await raf();
  return { setupMs: now() - t0, dpr, lineDevicePx, canvas: [w2state.canvas.width, w2state.canvas.height], digest: digest(w2state.snapshot()) };
}

/**
 * Times full redraws, one per animation frame: `callMs` is the synchronous call, `totalMs` adds a
 * 1-pixel getImageData, which makes Chromium rasterize every recorded canvas command now (the
 * honest cost of getting the pixels; both implementations pay it the same way).
 */
async function w2loop({ maxRedraws = 60, minRedraws = 12, maxMs = 5000, warm = 2 }) {
  const { canvas, redraw } = w2state;
  const ctx = canvas.getContext("2d");
  for (let i = 0; i < warm; i++) { await raf(); redraw(); ctx.getImageData(0, 0, 1, 1); }
  gc();
  const call = [], total = [];
  const start = now();
  while (total.length < maxRedraws && (total.length < minRedraws || now() - start < maxMs)) {
    await raf();
    const a = now();
    redraw();
    const b = now();
    ctx.getImageData(0, 0, 1, 1);
    const c = now();
    call.push(b - a);
    total.push(c - a);
  }
  return { callMs: quantiles(call), totalMs: quantiles(total), raw: total, warm };
}

/** Diagnostics for one statscope redraw: DOM elements created (plotters' text measuring), canvas calls. */
function w2diagnose() {
  const { canvas, redraw } = w2state;
  const counts = {};
  const restore = [];
  const wrap = (proto, name, key = name) => {
    const orig = proto[name];
    proto[name] = function (...a) { counts[key] = (counts[key] || 0) + 1; return orig.apply(this, a); };
    restore.push(() => { proto[name] = orig; });
  };
  const created = {};
  const origCreate = Document.prototype.createElement;
  Document.prototype.createElement = function (tag, ...a) { created[tag] = (created[tag] || 0) + 1; return origCreate.call(this, tag, ...a); };
  restore.push(() => { Document.prototype.createElement = origCreate; });
  const C = CanvasRenderingContext2D.prototype;
  for (const n of ["lineTo", "moveTo", "stroke", "beginPath", "fillText", "measureText", "fillRect", "arc", "fill"]) wrap(C, n);
  const layoutReads = { offsetWidth: 0, offsetHeight: 0 };
  for (const p of ["offsetWidth", "offsetHeight"]) {
    const d = Object.getOwnPropertyDescriptor(HTMLElement.prototype, p);
    Object.defineProperty(HTMLElement.prototype, p, { configurable: true, get() { layoutReads[p]++; return d.get.call(this); } });
    restore.push(() => Object.defineProperty(HTMLElement.prototype, p, d));
  }
  const a = now();
  redraw();
  canvas.getContext("2d").getImageData(0, 0, 1, 1);
  const ms = now() - a;
  for (const r of restore.reverse()) r();
  return { canvasCalls: counts, elementsCreated: created, layoutReads, instrumentedMs: ms };
}

/**
 * The raster floor: the same curves (the W2 chart's snapshot) drawn by plain JS canvas calls into a
 * canvas of the same size — one path per series, integer device coordinates as plotters produces —
 * at several line widths, with and without min/max decimation to 2 points per pixel column, each
 * timed until the pixels exist. Tells how much of a redraw is rasterization.
 */
function rasterWhatIf({ widths = [1, 2, 3], reps = 8 }) {
  const snap = w2state.snapshot();
  const src = w2state.canvas;
  const dpr = devicePixelRatio;
  const c = document.createElement("canvas");
  c.width = src.width; c.height = src.height;
  c.style.cssText = `display:block;width:${src.width / dpr}px;height:${src.height / dpr}px`;
  document.getElementById("root").append(c);
  const g = c.getContext("2d");
  const L = 62 * dpr, R = src.width - 34 * dpr, T = 10 * dpr, B = src.height - 36 * dpr;
  let t0 = Infinity, t1 = -Infinity, vmax = 0;
  for (const s of snap.containers) for (const [t, v] of s.cpu) { t0 = Math.min(t0, t); t1 = Math.max(t1, t); vmax = Math.max(vmax, v); }
  const paths = (decimate) => snap.containers.map((s) => {
    const xs = [], ys = [];
    let col = null, lo = 0, hi = 0, first = 0, last = 0;
    const emit = (x, y) => { xs.push(x); ys.push(y); };
    for (const [t, v] of s.cpu) {
      const x = Math.round(L + ((t - t0) / (t1 - t0)) * (R - L)), y = Math.round(B - (v / (vmax * 1.05)) * (B - T));
      if (!decimate) { emit(x, y); continue; }
      if (x !== col) {
        if (col !== null) { emit(col, first); if (lo !== first && lo !== last) emit(col, lo); if (hi !== first && hi !== last && hi !== lo) emit(col, hi); if (last !== first) emit(col, last); }
        col = x; lo = hi = first = last = y;
      } else { lo = Math.min(lo, y); hi = Math.max(hi, y); last = y; }
    }
    if (decimate && col !== null) { emit(col, first); if (lo !== first) emit(col, lo); if (hi !== first && hi !== lo) emit(col, hi); if (last !== first) emit(col, last); }
    return [Int32Array.from(xs), Int32Array.from(ys)];
  });
  const out = { canvas: [c.width, c.height], series: snap.containers.length };
  for (const decimate of [false, true]) {
    const ps = paths(decimate);
    out[decimate ? "verticesM4" : "vertices"] = ps.reduce((a, [xs]) => a + xs.length, 0);
    for (const w of widths) {
      const times = [];
      for (let r = 0; r < reps + 1; r++) {
        const a = now();
        g.fillStyle = "#fff"; g.fillRect(0, 0, c.width, c.height);
        g.lineWidth = w;
        ps.forEach(([xs, ys], i) => {
          g.strokeStyle = PALETTE[i % PALETTE.length];
          g.beginPath(); g.moveTo(xs[0], ys[0]);
          for (let j = 1; j < xs.length; j++) g.lineTo(xs[j], ys[j]);
          g.stroke();
        });
        g.getImageData(0, 0, 1, 1);
        if (r > 0) times.push(now() - a);
      }
      out[`${decimate ? "m4_" : ""}${w}px_ms`] = quantiles(times).p50;
    }
  }
  c.remove();
  return out;
}

// ---------------------------------------------------------------------------------------------
// W3–W5 live: the real page's layout and options, fed by `statscope serve --replay` over a
// loopback WebSocket. `prefillTicks` seconds of history are ingested first (the bridge's file
// starts with a quiet gap for that), so the chart shows a full window, as after minutes of use.

const live = { frames: [], longtasks: [], loaf: [], timeline: [], recording: false };

async function liveStart({ feed, containers = 0, prefillTicks = 0, seed = 1, windowSeconds = 300, impl = "statscope", host = "replay" }) {
  document.title = "statscope live bench";
  const root = document.getElementById("root");
  root.innerHTML = `<header><h1>statscope</h1><p id="statscope-status" role="status"></p></header>
    <main><canvas id="statscope-canvas"></canvas><ul id="statscope-legend"></ul></main>`;
  const t0 = now();
  let prefillSamples = 0;
  if (impl === "statscope") {
    const { Dashboard } = await loadStatscope();
    const d = new Dashboard(document.getElementById("statscope-canvas"), {
      feed, windowSeconds, status: document.getElementById("statscope-status"),
      legend: document.getElementById("statscope-legend"),
    });
    live.dashboard = d;
    if (prefillTicks > 0) {
      // As the bridge would send them: `statscope.samples` of the replay's host, so the prefilled
      // containers are the ones the live feed continues (`ID@replay`).
      const fleet = new Fleet({ containers, seed });
      for (let k = 0; k < prefillTicks; k++) {
        const texts = fleet.tick();
        prefillSamples += texts.length;
        d.ingest(samplesFrame(host, texts));
        d.flush();
      }
    }
    live.status = () => d.status();
  } else {
    // The bare socket (W4's control): counts frames and samples, parses nothing.
    const counts = { frames: 0, samples: 0, bytes: 0, bridgeDropped: 0 };
    const ws = new WebSocket(feed);
    ws.onmessage = (e) => {
      const s = e.data;
      counts.frames++;
      counts.bytes += s.length;
      if (s.startsWith('{"type":"statscope.samples"')) {
        // Each compact sample is an array that starts with its key: `["ID@host",`.
        let i = s.indexOf('"samples":[');
        while ((i = s.indexOf('["', i + 1)) !== -1) counts.samples++;
        return;
      }
      const m = /"frames":(\d+)/.exec(s);
      if (s.includes("statscope.dropped") && m) counts.bridgeDropped += Number(m[1]);
    };
    live.socket = ws;
    live.status = () => ({ ...counts });
  }
  return { prefillSamples, prefillMs: now() - t0 };
}

function liveRecord({ seconds = 600 } = {}) {
  // Frame times go to a preallocated typed array (a growing JS array would itself raise the JS
  // heap that W5 measures): 2 numbers per frame, room for 70 frames per second.
  const cap = Math.ceil(seconds * 70) + 1000;
  const buf = new Float64Array(cap * 2);
  let n = 0;
  live.frameCount = () => n;
  live.framesOf = () => Array.from({ length: n }, (_, i) => [buf[2 * i], buf[2 * i + 1]]);
  live.timeline = [];
  live.recording = true;
  const t0 = now();
  live.t0 = t0;
  let last = null;
  const loop = (t) => {
    if (!live.recording) return;
    if (last !== null && n < cap) { buf[2 * n] = t - t0; buf[2 * n + 1] = t - last; n++; }
    last = t;
    requestAnimationFrame(loop);
  };
  requestAnimationFrame(loop);
  // Long tasks and long animation frames: counted, with the first 500 kept (a list that grows
  // with the run would itself raise the JS heap that W5 measures).
  const tally = () => ({ count: 0, max: 0, totalMs: 0, first: [] });
  live.longtasks = tally();
  live.loaf = tally();
  live.obs = [];
  for (const [type, t] of [["longtask", live.longtasks], ["long-animation-frame", live.loaf]]) {
    try {
      const o = new PerformanceObserver((l) => {
        for (const e of l.getEntries()) {
          if (e.startTime < t0) continue;
          t.count++; t.totalMs += e.duration; t.max = Math.max(t.max, e.duration);
          if (t.first.length < 500) {
            // For long animation frames, what ran in them (invoker and ms), to tell what a long one was.
            const scripts = e.scripts ? e.scripts.map((x) => `${x.invokerType}:${x.invoker}:${x.duration.toFixed(0)}ms`) : undefined;
            t.first.push([e.startTime - t0, e.duration, e.blockingDuration ?? null, ...(scripts ? [scripts, e.renderStart ? e.startTime + e.duration - e.renderStart : null] : [])]);
          }
        }
      });
      o.observe({ type, buffered: false });
      live.obs.push(o);
    } catch { /* not supported */ }
  }
  const tick = () => {
    const s = live.status();
    live.timeline.push({ t: now() - t0, samples: s.samples, frames: s.frames, bridgeDropped: s.bridgeDropped, containers: s.containers, redraws: s.redraws, redrawMs: s.redrawMs, redrawFrames: s.redrawFrames, painter: s.painter, workerMs: s.workerMs });
  };
  tick();
  live.timer = setInterval(tick, 1000);
  return true;
}

function liveStop() {
  live.recording = false;
  clearInterval(live.timer);
  const s = live.status();
  live.timeline.push({ t: now() - live.t0, samples: s.samples, frames: s.frames, bridgeDropped: s.bridgeDropped, containers: s.containers, redraws: s.redraws, redrawMs: s.redrawMs, redrawFrames: s.redrawFrames, painter: s.painter, workerMs: s.workerMs });
  for (const o of live.obs) o.disconnect();
  const first = live.timeline[0], last = live.timeline[live.timeline.length - 1];
  const secs = (last.t - first.t) / 1000;
  const frames = live.framesOf();
  const deltas = frames.map((f) => f[1]);
  return {
    durationMs: now() - live.t0,
    frameMs: quantiles(deltas),
    framesOver20ms: deltas.filter((d) => d > 20).length,
    framesOver50ms: deltas.filter((d) => d > 50).length,
    frames,
    longtasks: live.longtasks,
    longAnimationFrames: live.loaf,
    timeline: live.timeline,
    status: s,
    redrawsPerSecond: last.redraws === undefined ? null : (last.redraws - first.redraws) / secs,
    // Who drew (status().painter), and the paint worker's share of a core: its last chart's ms
    // (sampled once a second) times the redraws a second. Not in busyPct, which is the main thread's.
    painter: s.painter,
    workerPct: last.workerMs === undefined ? null
      : (live.timeline.reduce((a, x) => a + (x.workerMs || 0), 0) / live.timeline.length)
        * ((last.redraws - first.redraws) / secs) / 10,
    framesPerSecondIn: (last.frames - first.frames) / secs,
  };
}

/** Memory now, after a full GC: Wasm linear memory and the JS heap. */
function memory() {
  gc();
  return {
    t: live.t0 ? now() - live.t0 : 0,
    wasmBytes: statscope ? statscope.wasm.memory.buffer.byteLength : null,
    jsHeapUsed: performance.memory ? performance.memory.usedJSHeapSize : null,
    jsHeapTotal: performance.memory ? performance.memory.totalJSHeapSize : null,
    samples: live.status ? live.status().samples : null,
  };
}

function status() {
  return live.status ? live.status() : null;
}

window.bench = { w1, probeLineWidth, w2setup, w2loop, w2diagnose, rasterWhatIf, liveStart, liveRecord, liveStop, memory, status, ready: true };
