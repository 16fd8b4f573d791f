// The benchmark's driver: serves the bench page (bench/server.mjs, COOP/COEP), drives Debian's
// headless Chromium with puppeteer-core (CDP), starts `statscope serve --replay` for the live
// workloads, and writes bench/results/<date>.json, the frame-time plot and BENCHMARKS.md's tables.
// bench/run.sh builds everything first and then runs this; see BENCHMARKS.md for what each
// workload measures.
//
// Settings (environment):
//   BENCH_ONLY=w1,w2,w3,w4,w5,w6   workloads to run (default: all)
//   BENCH_ROUNDS=3                  rounds of the side-by-side workloads (W1, W2), alternating order
//   BENCH_W3_SECONDS=60             W3 measured seconds per size;  BENCH_W3_SIZES=10,100,1000
//   BENCH_W4_SECONDS=30             W4 measured seconds
//   BENCH_SOAK_SECONDS=120          W5 soak length (the issue's full soak: 600)
//   BENCH_QUICK=1                   small, fast settings to check the harness (numbers not comparable)
//   BENCH_W5_CONTROL=1              also soak the bare-socket page (the browser's own memory drift)
//   BENCH_CPU_THROTTLE=4            slow the pages' CPU down this many times (CDP
//                                   Emulation.setCPUThrottlingRate; issue 16: a slow laptop)
//   BENCH_TAG=name                  write results/<date>-name.* and leave BENCHMARKS.md alone
//   CHROMIUM=/usr/lib/chromium/chromium   STATSCOPE_BIN=target/release/statscope
//   BENCH_BUILD_DIR=bench/.build    where run.sh put the snapshot of the package (pkg/, build.json)

import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { fileURLToPath } from "node:url";
import puppeteer from "puppeteer-core";
import { serve } from "./server.mjs";
import { writeReplay } from "./lib/replay.mjs";
import { writeReport } from "./report.mjs";

const BENCH = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.join(BENCH, "..");
const env = process.env;
const QUICK = env.BENCH_QUICK === "1";
const num = (name, dflt) => (env[name] ? Number(env[name]) : dflt);
const ONLY = new Set((env.BENCH_ONLY || "w1,w2,w3,w4,w5,w6").split(","));
const ROUNDS = num("BENCH_ROUNDS", QUICK ? 1 : 3);
const W3_SECONDS = num("BENCH_W3_SECONDS", QUICK ? 8 : 60);
const W3_SIZES = (env.BENCH_W3_SIZES || "10,100,1000").split(",").map(Number);
const W4_SECONDS = num("BENCH_W4_SECONDS", QUICK ? 8 : 30);
const SOAK_SECONDS = num("BENCH_SOAK_SECONDS", QUICK ? 20 : 120);
const CPU_THROTTLE = num("BENCH_CPU_THROTTLE", 1);
// BENCH_TRACE=file.json: a Chrome trace (the timeline's categories: what runs inside each long
// frame, rendering included, which the CPU profile of bench/profile.mjs does not see) of the first
// 10 s of each W3 run's measured minute, written to file-<containers>.json.
const TRACE = env.BENCH_TRACE || "";
const CHROMIUM = env.CHROMIUM || "/usr/lib/chromium/chromium";
const STATSCOPE_BIN = env.STATSCOPE_BIN || path.join(ROOT, "target/release/statscope");
const DATA = path.join(BENCH, "data");
// The snapshot of what is measured (bench/run.sh: bench/.build, or bench/.build/<tag> for a tagged
// run); the bench page is told where its package is when it is not the default.
const BUILD = path.resolve(ROOT, env.BENCH_BUILD_DIR || path.join("bench", ".build"));
const PAGE_PKG = path.relative(path.join(BENCH, "pages"), path.join(BUILD, "pkg", "statscope.js")).split(path.sep).join("/");
const PAGE_QUERY = PAGE_PKG === "../.build/pkg/statscope.js" ? "" : `?pkg=${encodeURIComponent(PAGE_PKG)}`;
const RESULTS = path.join(BENCH, "results");
const SEED = 1;

// The issue's flags, plus quiet-profile ones that start no background work.
const CHROME_ARGS = [
  "--headless=new", "--no-sandbox", "--disable-gpu",
  "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
  "--disable-backgrounding-occluded-windows", "--enable-precise-memory-info", "--js-flags=--expose-gc",
  "--no-first-run", "--no-default-browser-check", "--disable-background-networking",
  "--disable-component-update", "--disable-default-apps", "--disable-extensions", "--disable-sync",
  "--disable-dev-shm-usage", "--force-color-profile=srgb", "--mute-audio", "--window-size=1280,800",
];

const log = (...a) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}]`, ...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};

function machine() {
  const cpus = os.cpus();
  let chromiumPkg = null;
  return {
    cpu: cpus[0]?.model, cores: cpus.length, memGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
    kernel: `${os.type()} ${os.release()}`, node: process.version, loadavg: os.loadavg(),
    os: fs.existsSync("/etc/debian_version") ? `Debian ${fs.readFileSync("/etc/debian_version", "utf8").trim()}` : os.platform(),
    chromiumPkg,
  };
}

// ---------------------------------------------------------------------------------------------
// Browser and pages

let browser, server;

async function freshPage({ dpr = 1, width = 1280, height = 800 } = {}) {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  await page.setViewport({ width, height, deviceScaleFactor: dpr });
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => {
    if ((m.type() === "error" || m.type() === "warn") && !m.text().includes("willReadFrequently")) errors.push(`${m.type()}: ${m.text()}`);
  });
  await page.goto(`${server.url}/bench/pages/bench.html${PAGE_QUERY}`, { waitUntil: "load" });
  await page.waitForFunction(() => window.bench && window.bench.ready, { timeout: 30000 });
  const isolated = await page.evaluate(() => crossOriginIsolated);
  if (!isolated) throw new Error("the bench page is not cross-origin isolated (COOP/COEP headers missing?)");
  // Two CDP sessions: durations in wall time (timeTicks) and in the main thread's CPU time
  // (threadTicks). On a quiet machine they agree; under contention wall time also counts the
  // time the thread waited for a core, CPU time does not.
  const wall = await page.createCDPSession();
  await wall.send("Performance.enable", { timeDomain: "timeTicks" });
  const cpu = await page.createCDPSession();
  await cpu.send("Performance.enable", { timeDomain: "threadTicks" });
  if (CPU_THROTTLE > 1) await wall.send("Emulation.setCPUThrottlingRate", { rate: CPU_THROTTLE });
  const get = async (s) => Object.fromEntries((await s.send("Performance.getMetrics")).metrics.map((m) => [m.name, m.value]));
  const metrics = async () => {
    const [w, c] = await Promise.all([get(wall), get(cpu)]);
    return { ...w, cpu: c };
  };
  return { page, context, errors, metrics, close: () => context.close() };
}

// ---------------------------------------------------------------------------------------------
// W1 ingest

async function runW1() {
  const out = { rounds: [], config: { containers: 100, ticks: QUICK ? 60 : 300, warm: QUICK ? 10 : 60 } };
  for (const frames of ["object", "array", "object-binary", "array-binary"]) {
    for (let r = 0; r < ROUNDS; r++) {
      const order = r % 2 === 0 ? ["statscope", "js"] : ["js", "statscope"];
      for (const impl of order) {
        const p = await freshPage();
        const res = await p.page.evaluate((args) => window.bench.w1(args), { impl, frames, ...out.config, seed: SEED });
        res.round = r;
        res.errors = p.errors;
        await p.close();
        log(`W1 ${frames} round ${r + 1} ${impl}: ${res.usPerSample.toFixed(2)} µs/sample` +
          (res.copy ? ` (copying the text in: charCodeAt loop ${res.copy.charCodeAtUsPerSample.toFixed(2)} µs, ` +
            `encodeInto ${res.copy.encodeIntoUsPerSample.toFixed(2)} µs)` : ""));
        out.rounds.push(res);
      }
    }
  }
  out.summary = {};
  for (const frames of ["object", "array", "object-binary", "array-binary"]) {
    const med = (impl) => median(out.rounds.filter((x) => x.impl === impl && x.frames === frames).map((x) => x.usPerSample));
    const s = med("statscope"), j = med("js");
    const copy = (k) => median(out.rounds.filter((x) => x.copy && x.frames === frames).map((x) => x.copy[k]));
    out.summary[frames] = {
      statscopeUsPerSample: s, jsUsPerSample: j, ratio: s / j,
      copyCharCodeAtUsPerSample: copy("charCodeAtUsPerSample"), copyEncodeIntoUsPerSample: copy("encodeIntoUsPerSample"),
    };
  }
  // The two engines must agree on what they computed.
  const a = out.rounds.find((x) => x.impl === "statscope").digest, b = out.rounds.find((x) => x.impl === "js").digest;
  const rel = (x, y) => Math.abs(x - y) / Math.max(1e-12, Math.abs(x), Math.abs(y));
  out.agreement = {
    containers: [a.containers, b.containers], points: [a.points, b.points],
    cpuSumRelDiff: rel(a.sum, b.sum),
    perContainerMaxRelDiff: Math.max(...a.per.map((c, i) => (b.per[i] && b.per[i][0] === c[0] && b.per[i][1] === c[1] ? rel(c[2], b.per[i][2]) : 1))),
  };
  out.agreement.ok = a.containers === b.containers && a.points === b.points && out.agreement.perContainerMaxRelDiff < 1e-9;
  for (const r of out.rounds) delete r.digest.per;
  return out;
}

// ---------------------------------------------------------------------------------------------
// W2 redraw

async function runW2() {
  const sizes = QUICK ? [[100, 600]] : [[100, 600], [1000, 300]];
  const out = { rounds: [], diagnostics: [] };
  for (const [containers, points] of sizes) {
    for (const dpr of [1, 2]) {
      const probe = await freshPage({ dpr });
      const lineDevicePx = await probe.page.evaluate((n) => window.bench.probeLineWidth(n), containers);
      await probe.close();
      for (let r = 0; r < ROUNDS; r++) {
        const order = r % 2 === 0 ? ["statscope", "uplot"] : ["uplot", "statscope"];
        for (const impl of order) {
          const p = await freshPage({ dpr });
          const setup = await p.page.evaluate((a) => window.bench.w2setup(a), { impl, containers, points, seed: SEED, lineDevicePx });
          const m0 = await p.metrics();
          const loop = await p.page.evaluate((a) => window.bench.w2loop(a), QUICK ? { maxRedraws: 20, minRedraws: 10, maxMs: 3000 } : {});
          const m1 = await p.metrics();
          const n = loop.totalMs.n + loop.warm; // the metrics bracket the warm-up redraws too
          const per = (k) => (m1[k] - m0[k]) / n;
          const res = {
            impl, containers, points, dpr, round: r, setup, callMs: loop.callMs, totalMs: loop.totalMs,
            perRedraw: {
              layouts: per("LayoutCount"), styleRecalcs: per("RecalcStyleCount"),
              layoutMs: per("LayoutDuration") * 1000, styleMs: per("RecalcStyleDuration") * 1000,
              scriptMs: per("ScriptDuration") * 1000, taskMs: per("TaskDuration") * 1000,
            },
            errors: p.errors,
          };
          if (r === 0) {
            const shot = path.join(BENCH, ".build", `w2-${impl}-${containers}x${points}-dpr${dpr}.png`);
            await p.page.screenshot({ path: shot, clip: { x: 0, y: 0, width: 820, height: 320 } });
            if (impl === "statscope") out.diagnostics.push({ containers, points, dpr, ...(await p.page.evaluate(() => window.bench.w2diagnose())) });
          }
          await p.close();
          log(`W2 ${containers}x${points} dpr${dpr} round ${r + 1} ${impl}: p50 ${res.totalMs.p50.toFixed(2)} ms (call ${res.callMs.p50.toFixed(2)}), p99 ${res.totalMs.p99.toFixed(2)} ms, n=${res.totalMs.n}`);
          out.rounds.push(res);
        }
      }
    }
  }
  out.summary = [];
  for (const [containers, points] of sizes) {
    for (const dpr of [1, 2]) {
      const pick = (impl) => out.rounds.filter((x) => x.impl === impl && x.containers === containers && x.dpr === dpr);
      const s = pick("statscope"), u = pick("uplot");
      const row = { containers, points, dpr };
      for (const [k, q] of [["p50", "p50"], ["p99", "p99"]]) {
        row[`statscope_${k}`] = median(s.map((x) => x.totalMs[q]));
        row[`uplot_${k}`] = median(u.map((x) => x.totalMs[q]));
        row[`ratio_${k}`] = row[`statscope_${k}`] / row[`uplot_${k}`];
      }
      row.statscope_call_p50 = median(s.map((x) => x.callMs.p50));
      row.uplot_call_p50 = median(u.map((x) => x.callMs.p50));
      row.statscope_layouts_per_redraw = median(s.map((x) => x.perRedraw.layouts));
      row.uplot_layouts_per_redraw = median(u.map((x) => x.perRedraw.layouts));
      row.statscope_layout_ms = median(s.map((x) => x.perRedraw.layoutMs + x.perRedraw.styleMs));
      row.n = [median(s.map((x) => x.totalMs.n)), median(u.map((x) => x.totalMs.n))];
      row.lineDevicePx = s[0]?.setup.lineDevicePx;
      out.summary.push(row);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Replay files and the bridge

// Bridges still running; killed if the driver stops early.
const children = new Set();
process.on("exit", () => { for (const c of children) c.kill("SIGKILL"); });

async function startBridge({ file, speed = 1, loop = false }) {
  const port = 18000 + Math.floor(Math.random() * 2000);
  // The page subscribes to what it shows (all containers: no top N); a cap above every size here
  // so it gets them all, as before subscriptions.
  const args = ["serve", "--replay", file, "--speed", String(speed), "--listen", `127.0.0.1:${port}`,
    "--web-root", ROOT, "--allow-origin", server.url, "--max-per-page", "100000"];
  if (loop) args.push("--loop");
  const child = spawn(STATSCOPE_BIN, args, { stdio: ["ignore", "ignore", "pipe"], env: { ...env, RUST_LOG: "warn" } });
  children.add(child);
  child.once("exit", () => children.delete(child));
  let stderr = "";
  child.stderr.on("data", (d) => { stderr += d; });
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`statscope serve exited: ${stderr}`);
    const ok = await fetch(`http://127.0.0.1:${port}/`).then((r) => r.ok).catch(() => false);
    if (ok) break;
    await sleep(100);
  }
  return {
    feed: `ws://127.0.0.1:${port}/ws`,
    stop: async () => {
      child.kill("SIGTERM");
      await Promise.race([new Promise((r) => child.once("exit", r)), sleep(3000)]);
      if (child.exitCode === null) child.kill("SIGKILL");
      return stderr;
    },
  };
}

/** One live run: a fresh page on the feed, prefill, wait for live data, record, stop. */
async function liveRun({ bridge, containers, prefillTicks = 0, seconds, impl = "statscope", memoryEverySec = 0 }) {
  const p = await freshPage();
  const start = await p.page.evaluate((a) => window.bench.liveStart(a),
    { feed: bridge.feed, containers, prefillTicks, seed: SEED, impl });
  // Live data flowing: at least one second's samples beyond the prefill.
  const want = start.prefillSamples + Math.max(1, containers);
  const t0 = Date.now();
  while ((await p.page.evaluate(() => window.bench.status().samples)) < want) {
    if (Date.now() - t0 > 60000) throw new Error(`no live data after 60 s: ${JSON.stringify(await p.page.evaluate(() => window.bench.status()))} ${p.errors.join("; ")}`);
    await sleep(100);
  }
  await sleep(1000);
  const m0 = await p.metrics();
  await p.page.evaluate((seconds) => window.bench.liveRecord({ seconds }), seconds);
  if (TRACE) {
    await p.page.tracing.start({
      path: TRACE.replace(/\.json$/, "") + `-${containers}.json`,
      categories: ["devtools.timeline", "disabled-by-default-devtools.timeline", "blink", "cc", "gpu",
        "disabled-by-default-devtools.timeline.frame", "toplevel", "v8.execute", "blink.user_timing"],
    });
    await sleep(10000);
    await p.page.tracing.stop();
  }
  const mem = [];
  const started = Date.now();
  while (Date.now() - started < seconds * 1000) {
    await sleep(Math.min(1000, seconds * 1000 - (Date.now() - started)));
    if (memoryEverySec && mem.length * memoryEverySec * 1000 <= Date.now() - started) {
      mem.push(await p.page.evaluate(() => window.bench.memory()));
    }
  }
  const m1 = await p.metrics();
  const res = await p.page.evaluate(() => window.bench.liveStop());
  if (memoryEverySec) mem.push(await p.page.evaluate(() => window.bench.memory()));
  const wall = res.durationMs / 1000;
  res.busyPct = ((m1.TaskDuration - m0.TaskDuration) / wall) * 100;
  res.busyCpuPct = ((m1.cpu.TaskDuration - m0.cpu.TaskDuration) / wall) * 100;
  res.scriptPct = ((m1.ScriptDuration - m0.ScriptDuration) / wall) * 100;
  res.layoutPct = (((m1.LayoutDuration - m0.LayoutDuration) + (m1.RecalcStyleDuration - m0.RecalcStyleDuration)) / wall) * 100;
  res.prefill = start;
  res.memory = mem;
  res.errors = p.errors;
  await p.close();
  return res;
}

// ---------------------------------------------------------------------------------------------
// W3 live at 1 Hz

async function runW3() {
  const out = { runs: [], config: { seconds: W3_SECONDS, sizes: W3_SIZES, windowSeconds: 300 } };
  for (const containers of W3_SIZES) {
    // A full 5-minute window when measuring: 240 s prefilled in the page, then the live minute.
    const prefillTicks = QUICK ? 30 : 240;
    // Time for the prefill before live data (a throttled page prefills slower).
    const gap = Math.round((containers >= 1000 ? 25 : 6) * (1 + (CPU_THROTTLE - 1) / 2));
    const file = path.join(DATA, `w3-${containers}.ndjson`);
    writeReplay(file, SEED, { containers, skip: prefillTicks, ticks: W3_SECONDS + 15, gap });
    const bridge = await startBridge({ file, speed: 1 });
    try {
      const res = await liveRun({ bridge, containers, prefillTicks, seconds: W3_SECONDS });
      res.containers = containers;
      const lt = res.longtasks;
      log(`W3 ${containers} containers: ${res.framesPerSecondIn.toFixed(1)} frames/s in, ${res.redrawsPerSecond.toFixed(1)} redraws/s; frame p50 ${res.frameMs.p50.toFixed(1)} p99 ${res.frameMs.p99.toFixed(1)} max ${res.frameMs.max.toFixed(1)} ms, ` +
        `long tasks ${lt.count} (max ${lt.max.toFixed(0)} ms), busy ${res.busyPct.toFixed(1)} % (CPU ${res.busyCpuPct.toFixed(1)} %), painter ${res.painter}` +
        `${res.workerPct == null ? "" : ` (worker ${res.workerPct.toFixed(1)} % of a core)`}, prefill ${res.prefill.prefillMs.toFixed(0)} ms`);
      out.runs.push(res);
    } finally {
      await bridge.stop();
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// W4 burst: 100× replay of 100 containers (looped recording)

function lagOf(timeline, rate) {
  // Samples received vs what the replay sent at `rate` samples/s from the first point on.
  const first = timeline[0];
  return timeline.map((p) => {
    const expected = first.samples + ((p.t - first.t) / 1000) * rate;
    return { t: p.t, received: p.samples, expected, lagS: (expected - p.samples) / rate, bridgeDropped: p.bridgeDropped };
  });
}

async function runW4() {
  const containers = 100, speed = 100, rate = containers * speed;
  const file = path.join(DATA, "loop-100.ndjson");
  writeReplay(file, SEED, { containers, ticks: 600 });
  const out = { config: { containers, speed, seconds: W4_SECONDS, samplesPerSecond: rate } };
  for (const impl of ["bare", "statscope"]) {
    const bridge = await startBridge({ file, speed, loop: true });
    try {
      const res = await liveRun({ bridge, containers, seconds: impl === "bare" ? Math.min(15, W4_SECONDS) : W4_SECONDS, impl });
      res.lag = lagOf(res.timeline, rate);
      const last = res.lag[res.lag.length - 1];
      res.receivedPerSecond = (last.received - res.lag[0].received) / ((last.t - res.lag[0].t) / 1000);
      res.finalLagS = last.lagS;
      res.maxLagS = Math.max(...res.lag.map((x) => x.lagS));
      res.bridgeDropped = last.bridgeDropped - res.lag[0].bridgeDropped;
      res.keepsUp = res.receivedPerSecond >= 0.97 * rate && res.bridgeDropped === 0;
      log(`W4 ${impl}: received ${res.receivedPerSecond.toFixed(0)}/s of ${rate}/s, lag at end ${res.finalLagS.toFixed(2)} s, ` +
        `bridge dropped ${res.bridgeDropped} frames, busy ${res.busyPct.toFixed(0)} %, frame p99 ${res.frameMs.p99.toFixed(1)} ms`);
      out[impl] = res;
    } finally {
      await bridge.stop();
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// W5 memory soak: 100 containers at 10× (looped), memory every 5 s after a full GC

async function runW5(impl = "statscope") {
  const containers = 100, speed = 10;
  const file = path.join(DATA, "loop-100.ndjson");
  writeReplay(file, SEED, { containers, ticks: 600 });
  const bridge = await startBridge({ file, speed, loop: true });
  try {
    const res = await liveRun({ bridge, containers, seconds: SOAK_SECONDS, memoryEverySec: 5, impl });
    // The window (300 s, 360 points per container) is full after 36 s of sample time at 10×; take
    // the first probe after 60 s of wall time (or half the soak, if shorter) as "full".
    const fullAt = Math.min(60000, (SOAK_SECONDS * 1000) / 2);
    // The JS heap holds the feed's frames in flight (at 10× about 2 MB of text a second), so a
    // single probe swings by a megabyte either way; compare levels instead: the median of the probes
    // in the first stretch after the window is full against the median of the last stretch (each
    // a minute, or a quarter of the time after "full" if the soak is short), and show the range.
    const after = res.memory.filter((m) => m.t >= fullAt);
    const probes = after.length ? after : res.memory;
    const t0 = probes[0].t, t1 = probes[probes.length - 1].t;
    const span = Math.min(60000, (t1 - t0) / 4);
    const median = (xs) => { const v = [...xs].sort((a, b) => a - b); const m = v.length >> 1; return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2; };
    const first = probes.filter((m) => m.t <= t0 + span), last = probes.filter((m) => m.t >= t1 - span);
    const level = (ms, k) => median(ms.map((m) => m[k]));
    const range = (k) => [Math.min(...probes.map((m) => m[k])), Math.max(...probes.map((m) => m[k]))];
    res.summary = {
      soakSeconds: SOAK_SECONDS, fullAtS: t0 / 1000, endAtS: t1 / 1000, spanS: span / 1000,
      probesFull: first.length, probesEnd: last.length,
      wasmFull: level(first, "wasmBytes"), wasmEnd: level(last, "wasmBytes"),
      heapFull: level(first, "jsHeapUsed"), heapEnd: level(last, "jsHeapUsed"),
      wasmRange: range("wasmBytes"), heapRange: range("jsHeapUsed"),
    };
    res.summary.wasmDelta = res.summary.wasmEnd - res.summary.wasmFull;
    res.summary.heapDelta = res.summary.heapEnd - res.summary.heapFull;
    const [full, end] = [{ wasmBytes: res.summary.wasmFull, jsHeapUsed: res.summary.heapFull }, { wasmBytes: res.summary.wasmEnd, jsHeapUsed: res.summary.heapEnd }];
    res.summary.flat = Math.abs(res.summary.wasmDelta) <= 2 ** 20 && Math.abs(res.summary.heapDelta) <= 2 ** 20;
    res.impl = impl;
    log(`W5 ${impl} ${SOAK_SECONDS} s: wasm ${(full.wasmBytes / 2 ** 20).toFixed(2)} → ${(end.wasmBytes / 2 ** 20).toFixed(2)} MiB, ` +
      `JS heap ${(full.jsHeapUsed / 2 ** 20).toFixed(2)} → ${(end.jsHeapUsed / 2 ** 20).toFixed(2)} MiB`);
    delete res.frames;
    return res;
  } finally {
    await bridge.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// W6 size

function runW6(pkgDir) {
  // The module, its glue, and the glue's inline_js snippets (statscope.js imports them).
  const files = ["statscope_bg.wasm", "statscope.js"];
  const snippets = path.join(pkgDir, "snippets");
  if (fs.existsSync(snippets)) {
    for (const e of fs.readdirSync(snippets, { recursive: true })) {
      if (e.endsWith(".js")) files.push(path.join("snippets", e));
    }
  }
  const out = { files: {} };
  let raw = 0, gz = 0, br = 0;
  for (const f of files) {
    const b = fs.readFileSync(path.join(pkgDir, f));
    const g = zlib.gzipSync(b, { level: 9 }).length;
    const r = zlib.brotliCompressSync(b, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
    out.files[f] = { raw: b.length, gzip: g, brotli: r };
    raw += b.length; gz += g; br += r;
  }
  out.total = { raw, gzip: gz, brotli: br };
  log(`W6: ${raw} B raw, ${gz} B gzip -9, ${br} B brotli`);
  return out;
}

// ---------------------------------------------------------------------------------------------
// The frame-time plot: drawn on a canvas in the browser, saved as PNG.

async function plotFrames(results, file) {
  const series = [];
  for (const r of results.w3?.runs || []) series.push({ label: `W3 live, ${r.containers} containers @ 1 Hz`, frames: r.frames });
  if (results.w4?.statscope) series.push({ label: "W4 burst, 100 containers @ 100×", frames: results.w4.statscope.frames });
  if (!series.length) return null;
  const p = await freshPage({ dpr: 1, width: 1000, height: 200 * series.length + 60 });
  await p.page.evaluate((series) => {
    const c = document.createElement("canvas");
    const W = 1000, H = 200 * series.length + 60;
    c.width = W; c.height = H; c.style.cssText = `width:${W}px;height:${H}px;display:block`;
    document.body.style.margin = "0";
    document.body.replaceChildren(c);
    const g = c.getContext("2d");
    g.fillStyle = "#fff"; g.fillRect(0, 0, W, H);
    g.font = "13px sans-serif"; g.fillStyle = "#222";
    g.fillText("requestAnimationFrame deltas (ms) over time (s); log scale; dashed: 16.7 ms and 50 ms", 12, 20);
    const yOf = (ms, top) => top + 170 - (Math.log10(Math.max(8, Math.min(ms, 1000))) - Math.log10(8)) / (3 - Math.log10(8)) * 160;
    series.forEach((s, i) => {
      const top = 40 + i * 200, left = 60, right = W - 20;
      const tmax = Math.max(1, ...s.frames.map((f) => f[0])) / 1000;
      g.strokeStyle = "#ccc"; g.strokeRect(left, top, right - left, 180);
      g.fillStyle = "#222"; g.fillText(s.label, left + 6, top + 14);
      for (const [ms, dash] of [[16.7, [4, 4]], [50, [2, 2]], [100, []], [1000, []]]) {
        g.setLineDash(dash); g.strokeStyle = ms === 16.7 ? "#009e73" : ms === 50 ? "#d55e00" : "#ddd";
        g.beginPath(); g.moveTo(left, yOf(ms, top)); g.lineTo(right, yOf(ms, top)); g.stroke();
        g.fillStyle = "#666"; g.fillText(String(ms), 8, yOf(ms, top) + 4);
      }
      g.setLineDash([]);
      g.fillStyle = "#0072b2";
      for (const [t, d] of s.frames) g.fillRect(left + (t / 1000 / tmax) * (right - left) - 1, yOf(d, top) - 1, 2, 2);
      g.fillStyle = "#666"; g.fillText(`${tmax.toFixed(0)} s`, right - 30, top + 195);
    });
  }, series);
  await p.page.screenshot({ path: file, clip: { x: 0, y: 0, width: 1000, height: 200 * series.length + 60 } });
  await p.close();
  return path.relative(ROOT, file);
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const pkgDir = path.join(BUILD, "pkg");
  if (!fs.existsSync(path.join(pkgDir, "statscope_bg.wasm"))) throw new Error(`${pkgDir} missing: run bench/run.sh`);
  fs.mkdirSync(RESULTS, { recursive: true });
  const started = new Date();
  const results = {
    date: started.toISOString(), quick: QUICK,
    machine: machine(),
    settings: { cpuThrottle: CPU_THROTTLE, rounds: ROUNDS, w3Seconds: W3_SECONDS, w3Sizes: W3_SIZES, w4Seconds: W4_SECONDS, soakSeconds: SOAK_SECONDS, chromeArgs: CHROME_ARGS },
    build: fs.existsSync(path.join(BUILD, "build.json")) ? JSON.parse(fs.readFileSync(path.join(BUILD, "build.json"), "utf8")) : null,
  };
  server = await serve({ root: ROOT });
  browser = await puppeteer.launch({
    executablePath: CHROMIUM, headless: true, ignoreDefaultArgs: true, args: CHROME_ARGS,
    protocolTimeout: 900000, defaultViewport: null,
  });
  results.browser = await browser.version();
  log(`${results.browser}, ${results.machine.cpu} × ${results.machine.cores}, load ${results.machine.loadavg.map((x) => x.toFixed(2)).join(" ")}`);
  // The machine's load as each workload starts and ends (1-minute average), and the busiest
  // processes that are not this benchmark's: the honest context of every figure.
  results.load = {};
  const others = () => {
    try {
      const rows = spawnSync("ps", ["-eo", "pid=,ppid=,pcpu=,etimes=,args="], { encoding: "utf8" }).stdout
        .split("\n").filter((l) => l.trim()).map((l) => {
          const [pid, ppid, pcpu, etimes, ...args] = l.trim().split(/\s+/);
          return { pid: +pid, ppid: +ppid, pcpu: +pcpu, line: `${pcpu} ${etimes} ${args.join(" ")}` };
        });
      const parent = new Map(rows.map((r) => [r.pid, r.ppid]));
      const mine = new Set([process.pid, browser.process()?.pid].filter(Boolean));
      const ours = (pid) => { for (let p = pid, i = 0; p > 1 && i < 50; p = parent.get(p), i++) if (mine.has(p)) return true; return false; };
      return rows.filter((r) => !ours(r.pid) && !r.line.includes(" ps -eo")).sort((a, b) => b.pcpu - a.pcpu)
        .slice(0, 3).map((r) => r.line.slice(0, 100));
    } catch { return []; }
  };
  const stage = async (name, fn) => {
    const start = { load1: os.loadavg()[0], others: others() };
    const value = await fn();
    results.load[name] = { start, end: { load1: os.loadavg()[0] } };
    log(`${name}: load ${start.load1.toFixed(2)} → ${os.loadavg()[0].toFixed(2)}`);
    return value;
  };
  try {
    if (ONLY.has("w6")) results.w6 = runW6(pkgDir);
    if (ONLY.has("w1")) results.w1 = await stage("w1", runW1);
    if (ONLY.has("w2")) results.w2 = await stage("w2", runW2);
    if (ONLY.has("w3")) results.w3 = await stage("w3", runW3);
    if (ONLY.has("w4")) results.w4 = await stage("w4", runW4);
    if (ONLY.has("w5")) results.w5 = await stage("w5", () => runW5());
    // BENCH_W5_CONTROL=1: the same soak on the bare-socket page, to tell the browser's and the
    // harness's own heap drift from statscope's.
    if (ONLY.has("w5") && env.BENCH_W5_CONTROL === "1") results.w5control = await stage("w5control", () => runW5("bare"));
    const day = started.toISOString().slice(0, 10);
    const png = path.join(RESULTS, `${day}${QUICK ? "-quick" : env.BENCH_TAG ? `-${env.BENCH_TAG}` : ""}-frames.png`);
    results.plot = await plotFrames(results, png);
  } finally {
    await browser.close();
    await server.close();
  }
  results.machine.loadavgAfter = os.loadavg();
  results.durationS = (Date.now() - started) / 1000;
  const day = started.toISOString().slice(0, 10);
  const tag = QUICK ? "-quick" : env.BENCH_TAG ? `-${env.BENCH_TAG}` : "";
  const file = path.join(RESULTS, `${day}${tag}.json`);
  // Per-frame arrays are kept for the plot but trimmed in the JSON to [t, delta] pairs rounded to 0.1 ms.
  const round1 = (x) => Math.round(x * 10) / 10;
  for (const r of [...(results.w3?.runs || []), results.w4?.statscope, results.w4?.bare].filter(Boolean)) {
    r.frames = r.frames?.map(([t, d]) => [round1(t), round1(d)]);
  }
  for (const r of results.w2?.rounds || []) { delete r.raw; delete r.setup?.digest?.per; }
  // Indented, but arrays of plain numbers (the [t, ms] frame pairs) each on one line.
  const text = JSON.stringify(results, null, 1).replace(/\[\s+(-?[\d.e+-]+(?:,\s+-?[\d.e+-]+)*)\s+\]/g, (_, inner) => `[${inner.replace(/\s+/g, "")}]`);
  fs.writeFileSync(file, text + "\n");
  log(`results: ${path.relative(ROOT, file)} (${results.durationS.toFixed(0)} s)`);
  // A tagged run (BENCH_TAG=…) keeps its own .json/.md and leaves BENCHMARKS.md alone.
  if (!QUICK) writeReport(results, path.relative(ROOT, file), { updateBenchmarksMd: !env.BENCH_TAG });
}

process.on("SIGINT", () => process.exit(130));
process.on("SIGTERM", () => process.exit(143));
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
