// Where statscope's time goes: CPU profiles (CDP Profiler, 100 µs sampling) of the benchmark's
// workloads in the same headless Chromium, aggregated by function (self time) and by a few
// functions' inclusive time; plus a raster what-if (the same curves drawn by plain JS at 1, 2 and
// 3 device px). The release .wasm keeps its name section, so Rust functions show by name.
// Not part of run.sh's measurement: `node bench/profile.mjs` after run.sh has built everything
// (STATSCOPE_BIN as for the driver; PROFILE_ONLY=w1,w2,raster,live picks parts). Writes bench/results/<date>-profile.json and prints a summary.

import fs from "node:fs";
import path from "node:path";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import puppeteer from "puppeteer-core";
import { serve } from "./server.mjs";
import { writeReplay } from "./lib/replay.mjs";

const BENCH = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.join(BENCH, "..");
const CHROMIUM = process.env.CHROMIUM || "/usr/lib/chromium/chromium";
const STATSCOPE_BIN = process.env.STATSCOPE_BIN || path.join(ROOT, "target/release/statscope");
const ONLY = new Set((process.env.PROFILE_ONLY || "w1,w2,raster,live,heap").split(","));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-timer-throttling",
  "--disable-renderer-backgrounding", "--disable-backgrounding-occluded-windows", "--enable-precise-memory-info",
  "--js-flags=--expose-gc", "--no-first-run", "--disable-extensions", "--disable-background-networking",
  "--disable-dev-shm-usage", "--force-color-profile=srgb", "--window-size=1280,800"];

// Inclusive time of these (substring of the function name), to split the work.
const INCLUSIVE = [
  "Dashboard::ingest", "Dashboard::redraw", "Dashboard::flush", "DashboardCore::ingest", "DashboardCore::flush",
  "DashboardCore::view", "parse_frame", "Deserialize for statscope::model::Stats", "parse_rfc3339",
  "RateEngine::update", "KeyedState", "chart::draw", "configure_mesh", "draw_series", "LineSeries",
  "update_legend", "update_status", "web::render", "dlmalloc", "memcpy", "getImageData", "passStringToWasm0",
  "JSON.parse", "JsEngine", "setData", "(garbage collector)", "(program)", "(idle)", "lineTo", "stroke",
  "createElement", "appendChild", "set_text_content", "textContent", "setProperty", "getBoundingClientRect",
];

function aggregate(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children || []) parent.set(c, n.id);
  const self = new Map();
  const incl = new Map();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = (profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0) / 1000; // ms
    total += dt;
    let id = profile.samples[i];
    const leaf = byId.get(id).callFrame;
    const leafName = leaf.functionName || `(anonymous ${path.basename(leaf.url || "")}:${leaf.lineNumber})`;
    self.set(leafName, (self.get(leafName) || 0) + dt);
    const seen = new Set();
    while (id !== undefined) {
      const fn = byId.get(id).callFrame.functionName || "";
      for (const key of INCLUSIVE) {
        if (!seen.has(key) && fn.includes(key)) { seen.add(key); incl.set(key, (incl.get(key) || 0) + dt); }
      }
      id = parent.get(id);
    }
  }
  const top = [...self].sort((a, b) => b[1] - a[1]).slice(0, 30).map(([name, ms]) => ({ name: name.slice(0, 140), ms: +ms.toFixed(1), pct: +((ms / total) * 100).toFixed(1) }));
  const inclusive = Object.fromEntries([...incl].sort((a, b) => b[1] - a[1]).map(([k, ms]) => [k, { ms: +ms.toFixed(1), pct: +((ms / total) * 100).toFixed(1) }]));
  return { totalMs: +total.toFixed(1), top, inclusive };
}

/** Self time by trace event name on the renderer main thread(s): what "(program)" is made of. */
function traceBreakdown(buffer, wallMs) {
  const events = JSON.parse(Buffer.from(buffer).toString("utf8")).traceEvents;
  const main = new Set(events.filter((e) => e.ph === "M" && e.name === "thread_name" && e.args.name === "CrRendererMain").map((e) => `${e.pid}:${e.tid}`));
  const byThread = new Map();
  for (const e of events) {
    if (e.ph !== "X" || !main.has(`${e.pid}:${e.tid}`) || e.dur === undefined) continue;
    const k = `${e.pid}:${e.tid}`;
    if (!byThread.has(k)) byThread.set(k, []);
    byThread.get(k).push(e);
  }
  const self = new Map();
  let busy = 0;
  for (const list of byThread.values()) {
    list.sort((a, b) => a.ts - b.ts || b.dur - a.dur);
    const stack = [];
    for (const e of list) {
      while (stack.length && stack[stack.length - 1].ts + stack[stack.length - 1].dur <= e.ts) stack.pop();
      if (stack.length) stack[stack.length - 1].child += e.dur; else busy += e.dur;
      e.child = 0;
      stack.push(e);
    }
    for (const e of list) self.set(e.name, (self.get(e.name) || 0) + (e.dur - e.child));
  }
  const top = [...self].sort((a, b) => b[1] - a[1]).slice(0, 20).map(([name, us]) => ({ name, ms: +(us / 1000).toFixed(1), pctOfWall: +((us / 1000 / wallMs) * 100).toFixed(1) }));
  return { busyPctOfWall: +((busy / 1000 / wallMs) * 100).toFixed(1), top };
}

/** A heap snapshot, summarized: self size and count per (node type, constructor name). */
async function heapSummary(page) {
  const cdp = await page.createCDPSession();
  await cdp.send("HeapProfiler.enable");
  await cdp.send("HeapProfiler.collectGarbage");
  let chunks = [];
  cdp.on("HeapProfiler.addHeapSnapshotChunk", (e) => chunks.push(e.chunk));
  await cdp.send("HeapProfiler.takeHeapSnapshot", { reportProgress: false });
  const snap = JSON.parse(chunks.join(""));
  chunks = null;
  const f = snap.snapshot.meta.node_fields, types = snap.snapshot.meta.node_types[0];
  const [iType, iName, iSize] = ["type", "name", "self_size"].map((k) => f.indexOf(k));
  const by = new Map();
  let total = 0;
  for (let i = 0; i < snap.nodes.length; i += f.length) {
    const type = types[snap.nodes[i + iType]];
    let name = snap.strings[snap.nodes[i + iName]];
    if (type === "string" || type === "concatenated string" || type === "sliced string") name = "(strings)";
    if (type === "number") name = "(heap numbers)";
    const key = `${type}: ${name.slice(0, 60)}`;
    const e = by.get(key) || { n: 0, bytes: 0 };
    e.n++; e.bytes += snap.nodes[i + iSize]; total += snap.nodes[i + iSize];
    by.set(key, e);
  }
  await cdp.detach();
  return { total, by };
}

function heapDiff(a, b) {
  const keys = new Set([...a.by.keys(), ...b.by.keys()]);
  const rows = [...keys].map((k) => {
    const x = a.by.get(k) || { n: 0, bytes: 0 }, y = b.by.get(k) || { n: 0, bytes: 0 };
    return { key: k, dn: y.n - x.n, dbytes: y.bytes - x.bytes, n: y.n };
  }).filter((r) => r.dbytes !== 0 || r.dn !== 0).sort((p, q) => q.dbytes - p.dbytes);
  return { totalBefore: a.total, totalAfter: b.total, grew: rows.slice(0, 15), shrank: rows.slice(-5) };
}

async function profiled(page, fn) {
  const cdp = await page.createCDPSession();
  await cdp.send("Profiler.enable");
  await cdp.send("Profiler.setSamplingInterval", { interval: 100 });
  await cdp.send("Profiler.start");
  const value = await fn();
  const { profile } = await cdp.send("Profiler.stop");
  return { value, ...aggregate(profile) };
}

async function main() {
  const server = await serve({ root: ROOT });
  const browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, ignoreDefaultArgs: true, args: ARGS, protocolTimeout: 600000, defaultViewport: null });
  const fresh = async (dpr = 1) => {
    const ctx = await browser.createBrowserContext();
    const page = await ctx.newPage();
    await page.setViewport({ width: 1280, height: 800, deviceScaleFactor: dpr });
    await page.goto(`${server.url}/bench/pages/bench.html`);
    await page.waitForFunction(() => window.bench && window.bench.ready);
    return { page, close: () => ctx.close() };
  };
  const out = { date: new Date().toISOString(), browser: await browser.version() };
  const show = (name, r) => {
    console.log(`\n== ${name}: ${r.totalMs} ms profiled`);
    for (const t of r.top.slice(0, 15)) console.log(`  self ${String(t.ms).padStart(8)} ms ${String(t.pct).padStart(5)} %  ${t.name}`);
    console.log("  inclusive: " + Object.entries(r.inclusive).map(([k, v]) => `${k} ${v.pct} %`).join(", "));
  };
  try {
    // P1: W1 ingest (object frames), statscope and the JS port.
    for (const impl of ONLY.has("w1") ? ["statscope", "js"] : []) {
      const p = await fresh();
      const r = await profiled(p.page, () => p.page.evaluate((impl) => window.bench.w1({ impl, frames: "object", containers: 100, ticks: 300, warm: 60 }).then((x) => x.usPerSample), impl));
      out[`w1_${impl}`] = r; show(`W1 ingest, ${impl} (${r.value.toFixed(2)} µs/sample)`, r);
      await p.close();
    }
    // P2: W2 redraw 100 × 600, DPR 1, both.
    for (const impl of ONLY.has("w2") ? ["statscope", "uplot"] : []) {
      const p = await fresh(1);
      await p.page.evaluate((a) => window.bench.w2setup(a), { impl, containers: 100, points: 600, seed: 1 });
      const r = await profiled(p.page, () => p.page.evaluate(() => window.bench.w2loop({ maxRedraws: 20, minRedraws: 20 }).then((x) => x.totalMs.p50)));
      out[`w2_${impl}`] = r; show(`W2 redraw 100×600 DPR1, ${impl}`, r);
      await p.close();
    }
    // P3: the raster what-if: the W2 data as plain-JS canvas paths at 1, 2, 3 device px.
    for (const [containers, points, dpr] of ONLY.has("raster") ? [[100, 600, 1], [100, 600, 2], [1000, 300, 1]] : []) {
      const p = await fresh(dpr);
      await p.page.evaluate((a) => window.bench.w2setup(a), { impl: "statscope", containers, points, seed: 1 });
      const r = await p.page.evaluate(() => window.bench.rasterWhatIf({}));
      out[`raster_${containers}x${points}_dpr${dpr}`] = r;
      console.log(`\n== raster what-if ${containers}×${points} DPR ${dpr}: ` + JSON.stringify(r));
      await p.close();
    }
    // P5: the live page's JS heap over 90 s (W5's setting: 100 containers at 10×, looped), two
    // snapshots after GC, diffed by constructor: what the heap growth is made of.
    if (ONLY.has("heap")) {
      const file = path.join(BENCH, "data", "loop-100.ndjson");
      writeReplay(file, 1, { containers: 100, ticks: 600 });
      const port = 19500 + Math.floor(Math.random() * 400);
      const child = spawn(STATSCOPE_BIN, ["serve", "--replay", file, "--speed", "10", "--loop", "--listen", `127.0.0.1:${port}`, "--web-root", ROOT, "--allow-origin", server.url], { stdio: "ignore" });
      try {
        await sleep(800);
        const p = await fresh(1);
        await p.page.evaluate((a) => window.bench.liveStart(a), { feed: `ws://127.0.0.1:${port}/ws`, containers: 100, seed: 1 });
        await sleep(40000);
        const a = await heapSummary(p.page);
        await sleep(90000);
        const b = await heapSummary(p.page);
        out.heap = heapDiff(a, b);
        console.log(`\n== live page JS heap over 90 s (100 containers at 10×): ${(a.total / 2 ** 20).toFixed(3)} → ${(b.total / 2 ** 20).toFixed(3)} MiB`);
        for (const r of out.heap.grew.slice(0, 10)) console.log(`  +${String(r.dbytes).padStart(8)} B  ${String(r.dn >= 0 ? "+" + r.dn : r.dn).padStart(7)} objects  ${r.key} (now ${r.n})`);
        await p.close();
      } finally {
        child.kill("SIGTERM");
      }
    }
    // P4: live, 100 containers at 100× (W4) and 1,000 at 1 Hz (W3), 10 s each.
    const file100 = path.join(BENCH, "data", "loop-100.ndjson");
    const file1000 = path.join(BENCH, "data", "w3-1000.ndjson");
    writeReplay(file100, 1, { containers: 100, ticks: 600 });
    writeReplay(file1000, 1, { containers: 1000, skip: 240, ticks: 75, gap: 15 });
    for (const [name, file, speed, containers, prefill, loop] of !ONLY.has("live") ? [] : [["w4_live_100x100", file100, 100, 100, 0, true], ["w3_live_1000", file1000, 1, 1000, 240, false]]) {
      if (!fs.existsSync(file)) { console.log(`skip ${name}: ${file} missing (run the driver first)`); continue; }
      const port = 19500 + Math.floor(Math.random() * 400);
      const args = ["serve", "--replay", file, "--speed", String(speed), "--listen", `127.0.0.1:${port}`, "--web-root", ROOT, "--allow-origin", server.url];
      if (loop) args.push("--loop");
      const child = spawn(STATSCOPE_BIN, args, { stdio: "ignore" });
      try {
        await sleep(800);
        const p = await fresh(1);
        await p.page.evaluate((a) => window.bench.liveStart(a), { feed: `ws://127.0.0.1:${port}/ws`, containers, prefillTicks: prefill, seed: 1 });
        for (let i = 0; i < 600 && (await p.page.evaluate(() => window.bench.status().samples)) < containers * (prefill + 2); i++) await sleep(100);
        await sleep(2000);
        const r = await profiled(p.page, () => sleep(10000));
        out[name] = r; show(`live ${name}`, r);
        await p.page.tracing.start({ categories: ["devtools.timeline", "disabled-by-default-devtools.timeline", "toplevel", "blink", "cc", "skia"] });
        await sleep(5000);
        const buf = await p.page.tracing.stop();
        out[`${name}_trace`] = traceBreakdown(buf, 5000);
        console.log(`  trace (renderer main thread, 5 s): busy ${out[`${name}_trace`].busyPctOfWall} %; ` + out[`${name}_trace`].top.slice(0, 14).map((t) => `${t.name} ${t.pctOfWall} %`).join(", "));
        await p.close();
      } finally {
        child.kill("SIGTERM");
      }
    }
  } finally {
    await browser.close();
    await server.close();
  }
  const file = path.join(BENCH, "results", `${out.date.slice(0, 10)}-profile.json`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(out, null, 1) + "\n");
  console.log(`\nwrote ${path.relative(ROOT, file)}`);
}

main().catch((e) => { console.error(e); process.exit(1); });
