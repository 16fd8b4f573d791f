// A/B of Wasm packages in renderer main-thread CPU time: W1 (ingest) and W2 (redraw) for two or
// more builds of the page, alternating, in one headless Chromium. A diagnostic for build levers, not
// part of run.sh and not a result of the benchmark: on a shared machine wall time (what run.sh
// reports) moves by ±20 % with the load, CPU time (CDP `Performance.getMetrics`, timeDomain
// threadTicks) by ~2 %, which is what telling a 5 % change needs.
//
//   node bench/ab.mjs [--reps 8] DIR_A DIR_B [DIR_C …]    each DIR a wasm-pack output (e.g. pkg/)
//
// Per repetition and package (the order reversed every other repetition), each in a fresh page:
//   - W1: the bench's data (100 containers × 300 ticks, seed 1) in each of its four frame kinds,
//     ingested and flushed per tick, four times over (a fresh Dashboard each time, after one
//     untimed pass): CPU µs per sample.
//   - W2: window.bench.w2setup / w2loop at DPR 1 (100 × 600 and 1000 × 300): CPU ms per redraw,
//     the forced rasterization included, and the synchronous call's wall-time p50.
// Prints, per measure, the median over repetitions for each package and its ratio to DIR_A's.
// Needs bench/node_modules (run.sh installs it) and Debian's chromium (CHROMIUM=… to pick another).
// The packages are copied to bench/.build/ab/ (gitignored) so that the bench's server reaches them.

import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { serve } from "./server.mjs";

const BENCH = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.dirname(BENCH);
const args = process.argv.slice(2);
let reps = 8;
if (args[0] === "--reps") { reps = Number(args[1]); args.splice(0, 2); }
if (args.length < 2 || !(reps > 0)) {
  console.error("usage: node bench/ab.mjs [--reps N] DIR_A DIR_B [DIR_C …]");
  process.exit(2);
}
if (!fs.existsSync(path.join(BENCH, "node_modules", "puppeteer-core"))) {
  console.error("bench/node_modules is missing: run `npm ci` in bench/ (bash bench/run.sh does)");
  process.exit(1);
}
const puppeteer = createRequire(path.join(BENCH, "package.json"))("puppeteer-core");

const pkgs = args.map((dir, i) => {
  const dest = path.join(BENCH, ".build", "ab", String(i), "pkg");
  fs.rmSync(dest, { recursive: true, force: true });
  fs.mkdirSync(dest, { recursive: true });
  for (const f of ["statscope.js", "statscope_bg.wasm", "snippets"]) {
    if (fs.existsSync(path.join(dir, f))) fs.cpSync(path.join(dir, f), path.join(dest, f), { recursive: true });
  }
  return { name: dir, url: `../.build/ab/${i}/pkg/statscope.js` };
});

const CHROME_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-timer-throttling",
  "--disable-renderer-backgrounding", "--disable-backgrounding-occluded-windows", "--js-flags=--expose-gc",
  "--no-first-run", "--disable-extensions", "--disable-dev-shm-usage", "--force-color-profile=srgb",
  "--window-size=1280,800"];
const server = await serve({ root: ROOT });
const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || "/usr/lib/chromium/chromium", headless: true, ignoreDefaultArgs: true, args: CHROME_ARGS,
});

async function freshPage(pkg) {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  await page.setViewport({ width: 1280, height: 800, deviceScaleFactor: 1 });
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(`${server.url}/bench/pages/bench.html?pkg=${encodeURIComponent(pkg.url)}`, { waitUntil: "load" });
  await page.waitForFunction(() => window.bench && window.bench.ready, { timeout: 30000 });
  const cdp = await page.createCDPSession();
  await cdp.send("Performance.enable", { timeDomain: "threadTicks" });
  const cpuS = async () => (await cdp.send("Performance.getMetrics")).metrics.find((m) => m.name === "TaskDuration").value;
  const close = async () => {
    await context.close();
    if (errors.length) throw new Error(`${pkg.name}: ${errors.join("; ")}`);
  };
  return { page, cpuS, close };
}

const PASSES = 4;
async function w1(pkg, frames) {
  const p = await freshPage(pkg);
  const samples = await p.page.evaluate(async ({ frames, url }) => {
    const { Fleet, hubFrames } = await import("../lib/gen.mjs");
    const mod = await import(url);
    await mod.default();
    const enc = new TextEncoder(), dec = new TextDecoder();
    const fleet = new Fleet({ containers: 100, seed: 1 });
    const ticks = [];
    let n = 0;
    for (let k = 0; k < 300; k++) {
      const texts = fleet.tick();
      n += texts.length;
      const fs = (frames.startsWith("array") ? hubFrames(fleet, texts, k) : texts).map((s) => dec.decode(enc.encode(s)));
      ticks.push(frames.endsWith("-binary") ? fs.map((f) => enc.encode(f)) : fs);
    }
    window.abRun = (passes) => {
      for (let r = 0; r < passes; r++) {
        const d = new mod.Dashboard(document.createElement("canvas"), { connect: false, windowSeconds: 300 });
        for (const fs of ticks) { for (const f of fs) d.ingest(f); d.flush(); }
        d.destroy();
      }
    };
    window.abRun(1);
    window.gc?.();
    return n;
  }, { frames, url: pkg.url });
  const c0 = await p.cpuS();
  await p.page.evaluate((passes) => window.abRun(passes), PASSES);
  const c1 = await p.cpuS();
  await p.close();
  return ((c1 - c0) * 1e6) / (PASSES * samples);
}

async function w2(pkg, containers, points) {
  const p = await freshPage(pkg);
  await p.page.evaluate((a) => window.bench.w2setup(a), { impl: "statscope", containers, points, seed: 1 });
  const n = containers >= 1000 ? 20 : 60;
  const c0 = await p.cpuS();
  const loop = await p.page.evaluate((a) => window.bench.w2loop(a), { maxRedraws: n, minRedraws: n, maxMs: 120000 });
  const c1 = await p.cpuS();
  await p.close();
  return { cpuMs: ((c1 - c0) * 1e3) / (loop.totalMs.n + (loop.warm || 0)), callMs: loop.callMs.p50 };
}

const got = new Map();
const add = (key, i, v) => {
  if (!got.has(key)) got.set(key, pkgs.map(() => []));
  got.get(key)[i].push(v);
};
for (let r = 0; r < reps; r++) {
  const order = pkgs.map((_, i) => i);
  if (r % 2) order.reverse();
  for (const i of order) {
    for (const frames of ["object", "array", "object-binary", "array-binary"]) {
      add(`W1 ${frames}, CPU µs/sample`, i, await w1(pkgs[i], frames));
    }
    for (const [c, pts] of [[100, 600], [1000, 300]]) {
      const x = await w2(pkgs[i], c, pts);
      add(`W2 ${c} × ${pts}, CPU ms/redraw`, i, x.cpuMs);
      add(`W2 ${c} × ${pts}, call p50 ms (wall)`, i, x.callMs);
    }
  }
  console.error(`ab: repetition ${r + 1} of ${reps} done`);
}
await browser.close();
await server.close();

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
console.log(`medians of ${reps} repetitions; ratio to ${pkgs[0].name}`);
console.log(["measure", ...pkgs.map((p) => p.name)].join(" | "));
for (const [key, per] of got) {
  const base = median(per[0]);
  console.log([key, ...per.map((xs) => `${median(xs).toFixed(3)} (${(median(xs) / base).toFixed(3)}×)`)].join(" | "));
}
