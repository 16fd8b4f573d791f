// The page side of the fleet and hosts benchmarks (issues 14, 15, 16): opens statscope's real page
// (index.html, served by the bridge or hub under test) in Debian's headless Chromium and measures,
// for a while, what it costs the browser: bytes per second the page's WebSocket received, the
// renderer main thread's busy share (CDP `TaskDuration`, wall and CPU time), `requestAnimationFrame`
// deltas (frame p50/p99/max), long tasks, and each live sample's age when the chart was next drawn
// (sample-to-curve latency: the sample's `read` time to the first canvas stroke after its frame
// arrived). Or, with --full-chart, how long after navigation the chart shows the whole window of a
// bridge that already holds it. Prints one JSON object on its last line (bench/fleet.py keeps it).
//
//   node bench/fleet-page.mjs URL SECONDS [--warmup S] [--throttle N] [--full-chart N_SAMPLES]
//
// URL is the page's (e.g. http://127.0.0.1:PORT/?top=50). The probes are installed before the page
// runs (CDP `addScriptToEvaluateOnNewDocument`): a WebSocket subclass that counts the bytes of each
// message and reads the first sample's `read` from a samples frame's first 400 bytes, and a wrapper
// of `CanvasRenderingContext2D.stroke` that notes the time of the latest stroke. Both cost the page a
// little; they are the same for every page compared.

import puppeteer from "puppeteer-core";

const CHROME_ARGS = [
  "--headless=new", "--no-sandbox", "--disable-gpu",
  "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
  "--disable-backgrounding-occluded-windows", "--enable-precise-memory-info",
  "--no-first-run", "--no-default-browser-check", "--disable-background-networking",
  "--disable-component-update", "--disable-default-apps", "--disable-extensions", "--disable-sync",
  "--disable-dev-shm-usage", "--force-color-profile=srgb", "--mute-audio", "--window-size=1280,800",
];

function args() {
  const a = process.argv.slice(2);
  const opt = (name, dflt) => {
    const i = a.indexOf(name);
    if (i < 0) return dflt;
    const v = a[i + 1];
    a.splice(i, 2);
    return v;
  };
  const warmup = Number(opt("--warmup", 10));
  const throttle = Number(opt("--throttle", process.env.BENCH_CPU_THROTTLE || 1));
  const fullChart = opt("--full-chart", null);
  if (a.length < 1) {
    console.error("usage: node bench/fleet-page.mjs URL [SECONDS] [--warmup S] [--throttle N] [--full-chart N_SAMPLES]");
    process.exit(2);
  }
  return { url: a[0], seconds: Number(a[1] || 30), warmup, throttle, fullChart: fullChart === null ? null : Number(fullChart) };
}

// Runs in the page before its own scripts.
function probes() {
  const st = { byType: {}, bytes: 0, messages: 0, sampleFrames: 0, recording: false, pending: [], lat: [], drewAt: 0, frames: [], lastRaf: null };
  window.__bench = st;
  const Base = window.WebSocket;
  const dec = new TextDecoder();
  const READ = /^\{"type":"statscope\.samples","host":"(?:[^"\\]|\\.)*","seq":\d+,"samples":\[\["(?:[^"\\]|\\.)*","(?:[^"\\]|\\.)*",(?:null|"[^"]*"),(\d+)/;
  window.WebSocket = class extends Base {
    constructor(...a) {
      super(...a);
      this.addEventListener("message", (e) => {
        const d = e.data;
        const n = typeof d === "string" ? d.length : d.byteLength;
        st.bytes += n;
        st.messages++;
        if (!st.recording) return;
        const head = typeof d === "string" ? d.slice(0, 400) : dec.decode(new Uint8Array(d, 0, Math.min(400, d.byteLength)));
        // Bytes by message type (history samples apart), to tell where a page's bytes go.
        const t = /^\{"type":"([^"]+)"/.exec(head);
        const kind = t ? (t[1] === "statscope.samples" && head.includes('"history":true') ? "statscope.samples (history)" : t[1]) : "other";
        const k = st.byType[kind] || (st.byType[kind] = [0, 0]);
        k[0]++;
        k[1] += n;
        const m = READ.exec(head); // history frames say "history":true before "samples": no match
        if (m) {
          st.sampleFrames++;
          // ns since the epoch → ms (the string is longer than a double keeps exactly).
          st.pending.push([Number(m[1].slice(0, -6)), performance.now()]);
        }
      });
    }
  };
  const stroke = CanvasRenderingContext2D.prototype.stroke;
  CanvasRenderingContext2D.prototype.stroke = function (...a) {
    st.drewAt = performance.now();
    return stroke.apply(this, a);
  };
  let seen = 0;
  const loop = (t) => {
    if (st.recording) {
      if (st.lastRaf !== null) st.frames.push(t - st.lastRaf);
      st.lastRaf = t;
      if (st.drewAt !== seen) {
        seen = st.drewAt;
        const wall = performance.timeOrigin + seen;
        let keep = 0;
        for (const p of st.pending) {
          if (p[1] <= seen) st.lat.push(wall - p[0]);
          else st.pending[keep++] = p;
        }
        st.pending.length = keep;
      }
    }
    requestAnimationFrame(loop);
  };
  requestAnimationFrame(loop);
  const tally = { count: 0, max: 0, totalMs: 0 };
  st.longtasks = tally;
  new PerformanceObserver((l) => {
    if (!st.recording) return;
    for (const e of l.getEntries()) { tally.count++; tally.max = Math.max(tally.max, e.duration); tally.totalMs += e.duration; }
  }).observe({ type: "longtask" });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
function quantiles(xs) {
  const s = Float64Array.from(xs).sort();
  const q = (p) => (s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))] : null);
  return { n: s.length, p50: q(0.5), p99: q(0.99), max: s.length ? s[s.length - 1] : null };
}

async function main() {
  const { url, seconds, warmup, throttle, fullChart } = args();
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM || "/usr/lib/chromium/chromium", headless: true,
    ignoreDefaultArgs: true, args: CHROME_ARGS, protocolTimeout: 600000, defaultViewport: null,
  });
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 800, deviceScaleFactor: 1 });
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    const wall = await page.createCDPSession();
    await wall.send("Performance.enable", { timeDomain: "timeTicks" });
    const cpu = await page.createCDPSession();
    await cpu.send("Performance.enable", { timeDomain: "threadTicks" });
    if (throttle > 1) await wall.send("Emulation.setCPUThrottlingRate", { rate: throttle });
    await page.evaluateOnNewDocument(probes);
    const metric = async (s) => Object.fromEntries((await s.send("Performance.getMetrics")).metrics.map((m) => [m.name, m.value]));

    if (fullChart !== null) {
      // Time to a full chart: from navigation until the page holds `fullChart` history samples
      // and has drawn after the last of them arrived.
      await page.evaluateOnNewDocument(() => { window.__bench.recording = false; });
      const t0 = Date.now();
      await page.goto(url, { waitUntil: "domcontentloaded" });
      const res = await page.waitForFunction((want) => {
        const d = window.statscope;
        if (!d) return false;
        const s = d.status();
        const b = window.__bench;
        if (s.history < want) { b.fullAt = null; return false; }
        if (!b.fullAt) { b.fullAt = performance.now(); b.fullRedraws = s.redraws; return false; }
        // A redraw that started after the last history sample was in.
        if (s.redraws > b.fullRedraws + 1 || (s.redraws > b.fullRedraws && b.drewAt > b.fullAt)) {
          return { historyInMs: b.fullAt, drawnMs: performance.now(), history: s.history, containers: s.containers, redraws: s.redraws };
        }
        return false;
      }, { polling: 5, timeout: 120000 }, fullChart);
      const r = await res.jsonValue();
      const snap = await page.evaluate(() => {
        const s = window.statscope.snapshot();
        let first = Infinity, last = -Infinity;
        for (const c of s.containers) for (const [t] of c.cpu) { first = Math.min(first, t); last = Math.max(last, t); }
        return { containers: s.containers.length, spanS: (last - first) / 1000, bytes: window.__bench.bytes };
      });
      console.log(JSON.stringify({ url, throttle, wallMs: Date.now() - t0, ...r, snapshot: snap, errors }));
      return;
    }

    await page.goto(url, { waitUntil: "load" });
    await page.waitForFunction(() => window.statscope && window.statscope.status().samples > 0, { timeout: 120000, polling: 200 });
    await sleep(warmup * 1000);
    const start = await page.evaluate(() => {
      const b = window.__bench;
      b.recording = true;
      b.frames = []; b.lat = []; b.pending = []; b.lastRaf = null; b.sampleFrames = 0; b.byType = {};
      const s = window.statscope.status();
      return { bytes: b.bytes, messages: b.messages, t: performance.now(), samples: s.samples, redraws: s.redraws };
    });
    const [w0, c0] = await Promise.all([metric(wall), metric(cpu)]);
    await sleep(seconds * 1000);
    const [w1, c1] = await Promise.all([metric(wall), metric(cpu)]);
    const end = await page.evaluate(() => {
      const b = window.__bench;
      b.recording = false;
      const s = window.statscope.status();
      return {
        bytes: b.bytes, messages: b.messages, t: performance.now(), samples: s.samples, redraws: s.redraws,
        frames: b.frames, lat: b.lat, sampleFrames: b.sampleFrames, longtasks: b.longtasks, byType: b.byType,
        containers: s.containers, subscribed: s.subscribed ?? null, bridgeDropped: s.bridgeDropped,
        redrawMs: s.redrawMs, redrawFrames: s.redrawFrames,
        jsHeap: performance.memory ? performance.memory.usedJSHeapSize : null, wasm: s.wasmMemoryBytes ?? null,
      };
    });
    const secs = (end.t - start.t) / 1000;
    const f = quantiles(end.frames);
    const out = {
      url, throttle, seconds: +secs.toFixed(1),
      bytesPerS: Math.round((end.bytes - start.bytes) / secs),
      messagesPerS: +((end.messages - start.messages) / secs).toFixed(1),
      samplesPerS: Math.round((end.samples - start.samples) / secs),
      redrawsPerS: +((end.redraws - start.redraws) / secs).toFixed(2),
      busyPct: +((100 * (w1.TaskDuration - w0.TaskDuration)) / secs).toFixed(2),
      busyCpuPct: +((100 * (c1.TaskDuration - c0.TaskDuration)) / secs).toFixed(2),
      scriptPct: +((100 * (w1.ScriptDuration - w0.ScriptDuration)) / secs).toFixed(2),
      mainThreadMsPerS: +((1000 * (w1.TaskDuration - w0.TaskDuration)) / secs).toFixed(1),
      frameMs: { p50: f.p50, p99: f.p99, max: f.max, n: f.n, over20: end.frames.filter((x) => x > 20).length },
      longtasks: end.longtasks,
      latencyMs: quantiles(end.lat),
      sampleFrames: end.sampleFrames,
      bytesPerSByType: Object.fromEntries(Object.entries(end.byType).map(([k, [n, b]]) => [k, { messagesPerS: +(n / secs).toFixed(2), bytesPerS: Math.round(b / secs) }])),
      containers: end.containers, subscribed: end.subscribed, bridgeDropped: end.bridgeDropped,
      lastRedraw: { ms: end.redrawMs, frames: end.redrawFrames },
      jsHeapMiB: end.jsHeap && +(end.jsHeap / 2 ** 20).toFixed(1), wasmMiB: end.wasm && +(end.wasm / 2 ** 20).toFixed(1),
      errors,
    };
    console.log(JSON.stringify(out));
  } finally {
    await browser.close();
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
