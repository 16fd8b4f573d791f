// A plain-JS port of statscope's engine for the benchmark's W1 (ingest) and of the data path the
// uPlot peer draws from in W2/W3: `JSON.parse` plus the same rules as src/rates.rs (RateEngine,
// Container::apply) and src/dashboard.rs (DashboardCore::ingest / flush / view), written as fast,
// idiomatic JS: one Map of containers, per-container rings in typed arrays, no per-point objects.
//
// The rules, as in rates.rs: CPU % = Δtotal_usage / Δsystem_cpu_usage × online CPUs × 100 against the
// sample's own precpu_stats when real, else the engine's previous sample; First (no rate), Reset (a
// counter went down, or the first sample after a stop), Stopped (read = Go's zero time: the curve
// ends; one marker), Gap (> 3 × the usual interval: averaged), Late (not newer: ignored), byte rates
// against the previous sample, memory without inactive file pages (docker CLI), eviction by TTL in
// sample time. Windows samples use the CLI's Windows formula, as the Rust engine does.
//
// Differences, deliberate and in JS's favour: counters are doubles (exact to 2^53; the Rust engine
// parses u64 exactly), times are ms doubles (0.2 µs resolution today; Rust keeps i128 ns), and the
// input is not validated field by field (serde checks every field's type; JSON.parse does not).
// Containers are visited in Map order, not ascending ID order: updates are independent per key, so
// the results are the same.

export const MAX_FRAME_BYTES = 1 << 20;
const ZERO_PREFIX = "0001-01-01T00:00:00";

// Flags, as src/rates.rs `Flag`.
export const NONE = 0, FIRST = 1, RESET = 2, GAP = 3, STOPPED = 4, LATE = 5;

/** RFC 3339 (0–9 fraction digits, Z or ±hh:mm) → ms since the epoch (a double); null for Go's zero. */
export function parseTime(s) {
  if (s == null || s.startsWith(ZERO_PREFIX)) return null;
  // Fast path: YYYY-MM-DDTHH:MM:SS[.f…]Z
  const ms0 = Date.UTC(
    +s.slice(0, 4), +s.slice(5, 7) - 1, +s.slice(8, 10),
    +s.slice(11, 13), +s.slice(14, 16), +s.slice(17, 19),
  );
  let i = 19, frac = 0, scale = 100;
  if (s.charCodeAt(i) === 46 /* . */) {
    i++;
    let c;
    while ((c = s.charCodeAt(i) - 48) >= 0 && c <= 9) { frac += c * scale; scale /= 10; i++; }
  }
  let t = ms0 + frac;
  if (s.charCodeAt(i) !== 90 /* Z */) {
    const sign = s[i] === "-" ? -1 : 1;
    t -= sign * (+s.slice(i + 1, i + 3) * 60 + +s.slice(i + 4, i + 6)) * 60000;
  }
  if (Number.isNaN(t)) throw new Error(`invalid RFC 3339 timestamp ${JSON.stringify(s)}`);
  return t;
}

function memUsedNoCache(mem) {
  const usage = mem.usage || 0;
  const st = mem.stats;
  if (st) {
    const tif = st.total_inactive_file;
    if (tif !== undefined && tif < usage) return usage - tif;
    const v = st.inactive_file || 0;
    if (v < usage) return usage - v;
  }
  return usage;
}

function onlineCpus(cpu) {
  if (cpu.online_cpus) return cpu.online_cpus;
  const per = cpu.cpu_usage && cpu.cpu_usage.percpu_usage;
  return per ? per.length : 0;
}

class Container {
  constructor(capacity, os) {
    this.cap = capacity;
    this.name = "";
    this.os = os;
    this.stopped = false;
    this.hasBase = false;
    // Baseline: the previous real sample's counters.
    this.bRead = 0; this.bCpu = 0; this.bSys = 0; this.bRx = 0; this.bTx = 0; this.bBr = 0; this.bBw = 0;
    this.interval = 0;
    // The ring: `len` points ending at `head` (exclusive), oldest first.
    this.t = new Float64Array(capacity);
    this.flag = new Uint8Array(capacity);
    this.cpu = new Float64Array(capacity);
    this.mem = new Float64Array(capacity);
    this.memPct = new Float64Array(capacity);
    this.rx = new Float64Array(capacity);
    this.tx = new Float64Array(capacity);
    this.br = new Float64Array(capacity);
    this.bw = new Float64Array(capacity);
    this.head = 0;
    this.len = 0;
  }

  push(t, flag, cpu, mem, memPct, rx, tx, br, bw) {
    const h = this.head;
    this.t[h] = t; this.flag[h] = flag; this.cpu[h] = cpu; this.mem[h] = mem; this.memPct[h] = memPct;
    this.rx[h] = rx; this.tx[h] = tx; this.br[h] = br; this.bw[h] = bw;
    this.head = h + 1 === this.cap ? 0 : h + 1;
    if (this.len < this.cap) this.len++;
  }

  /** Index of the j-th kept point (0 = oldest). */
  at(j) {
    const i = this.head - this.len + j;
    return i < 0 ? i + this.cap : i;
  }

  lastReadMs() {
    return this.hasBase ? this.bRead : null;
  }

  /** Container::apply: one sample → one point (pushed to the ring unless late). Returns the flag. */
  apply(s, readMs, cfg) {
    if (readMs === null) {
      // An empty sample: stopped. One marker at the last real time, then nothing.
      if (!this.stopped) {
        this.stopped = true;
        this.push(this.hasBase ? this.bRead : 0, STOPPED, NaN, NaN, NaN, NaN, NaN, NaN, NaN);
      }
      return STOPPED;
    }
    const name = s.name || "";
    this.name = name.length > 1 ? name.slice(1) : "--";
    this.os = s.os_type === "windows" ? 1 : s.os_type === "linux" ? 0 : cfg.daemonOs;
    const cpuStats = s.cpu_stats || {};
    const usage = cpuStats.cpu_usage || {};
    const total = usage.total_usage || 0;
    const system = cpuStats.system_cpu_usage || 0;
    let rx = 0, tx = 0;
    const nets = s.networks;
    if (nets) for (const k in nets) { const n = nets[k]; rx += n.rx_bytes || 0; tx += n.tx_bytes || 0; }
    let br = 0, bw = 0;
    if (this.os === 0) {
      const list = s.blkio_stats && s.blkio_stats.io_service_bytes_recursive;
      if (list) for (let j = 0; j < list.length; j++) {
        const e = list[j], c = e.op ? e.op.charCodeAt(0) : 0;
        if (c === 114 || c === 82) br += e.value || 0; else if (c === 119 || c === 87) bw += e.value || 0;
      }
    } else {
      const st = s.storage_stats || {};
      br = st.read_size_bytes || 0; bw = st.write_size_bytes || 0;
    }
    const memStats = s.memory_stats || {};
    let mem, memPct;
    if (this.os === 0) {
      mem = memUsedNoCache(memStats);
      const limit = memStats.limit || 0;
      memPct = limit !== 0 ? (mem / limit) * 100 : 0;
    } else {
      mem = memStats.privateworkingset || 0;
      memPct = NaN;
    }

    if (!this.hasBase) {
      this.setBase(readMs, total, system, rx, tx, br, bw);
      this.stopped = false;
      this.push(readMs, FIRST, NaN, mem, memPct, NaN, NaN, NaN, NaN);
      return FIRST;
    }
    if (readMs <= this.bRead) return LATE;
    const pre = s.precpu_stats || {};
    const preUsage = pre.cpu_usage || {};
    const prereadMs = parseTime(s.preread);
    const precpuReal = prereadMs !== null && (this.os === 1 || (pre.system_cpu_usage || 0) > 0);
    const precpuDown = precpuReal && total < (preUsage.total_usage || 0);
    if (
      this.stopped || precpuDown ||
      total < this.bCpu || system < this.bSys || rx < this.bRx || tx < this.bTx || br < this.bBr || bw < this.bBw
    ) {
      this.setBase(readMs, total, system, rx, tx, br, bw);
      this.stopped = false;
      this.push(readMs, RESET, NaN, mem, memPct, NaN, NaN, NaN, NaN);
      return RESET;
    }
    const dt = readMs - this.bRead;
    let flag = NONE;
    if (this.interval > 0 && dt > cfg.gapFactor * this.interval) flag = GAP;
    const sampleDt = this.interval > 0 ? Math.min(dt, cfg.gapFactor * this.interval) : dt;
    this.interval = this.interval > 0 ? 0.8 * this.interval + 0.2 * sampleDt : sampleDt;

    let preTotal, preSys, preRead;
    if (precpuReal) { preTotal = preUsage.total_usage || 0; preSys = pre.system_cpu_usage || 0; preRead = prereadMs; }
    else { preTotal = this.bCpu; preSys = this.bSys; preRead = this.bRead; }
    let cpuDelta, sysDelta, cpus;
    if (this.os === 0) {
      cpuDelta = total - preTotal;
      sysDelta = system - preSys;
      cpus = onlineCpus(cpuStats);
    } else {
      cpuDelta = Math.max(0, total - preTotal);
      cpus = s.num_procs || 0;
      sysDelta = Math.floor(Math.max(0, readMs - preRead) * 1e4) * cpus; // 100 ns intervals
    }
    let cpu = 0;
    if (sysDelta > 0 && cpuDelta > 0) cpu = this.os === 0 ? (cpuDelta / sysDelta) * cpus * 100 : (cpuDelta / sysDelta) * 100;
    const perS = 1000 / dt;
    this.push(readMs, flag, cpu, mem, memPct,
      (rx - this.bRx) * perS, (tx - this.bTx) * perS, (br - this.bBr) * perS, (bw - this.bBw) * perS);
    this.setBase(readMs, total, system, rx, tx, br, bw);
    this.stopped = false;
    return flag;
  }

  setBase(read, cpu, sys, rx, tx, br, bw) {
    this.hasBase = true;
    this.bRead = read; this.bCpu = cpu; this.bSys = sys; this.bRx = rx; this.bTx = tx; this.bBr = br; this.bBw = bw;
  }
}

/** The engine plus the dashboard's ingest/flush (DashboardCore without the canvas). */
export class JsEngine {
  constructor({ windowSeconds = 300, ttlSeconds = 60, historyPoints } = {}) {
    this.windowMs = windowSeconds * 1000;
    this.cfg = {
      history: historyPoints ?? Math.max(Math.floor(windowSeconds * 1.2), 600),
      gapFactor: 3,
      stoppedTtl: ttlSeconds * 1000,
      silentTtl: Math.max(ttlSeconds, windowSeconds) * 1000,
      daemonOs: 0,
    };
    this.containers = new Map();
    this.pending = [];
    this.clock = null;
    this.counts = { frames: 0, samples: 0, malformed: 0, oversized: 0, bridgeDropped: 0, lastError: null, source: null };
    this.changed = true;
  }

  /** DashboardCore::ingest: one WebSocket text frame. */
  ingest(text) {
    const c = this.counts;
    c.frames++;
    if (text.length > MAX_FRAME_BYTES) { c.oversized++; c.lastError = "oversized"; return; }
    let v;
    try { v = JSON.parse(text); } catch (e) { c.malformed++; c.lastError = String(e); return; }
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        if (v[i] === null || typeof v[i] !== "object") { c.malformed++; c.lastError = "not an object"; return; }
      }
      c.samples += v.length;
      for (let i = 0; i < v.length; i++) this.pending.push(v[i]);
    } else if (v !== null && typeof v === "object") {
      if (typeof v.type === "string") {
        if (v.type === "statscope.hello") c.source = v.source;
        else if (v.type === "statscope.dropped") c.bridgeDropped += v.frames || 0;
        return;
      }
      c.samples++;
      this.pending.push(v);
    } else {
      c.malformed++; c.lastError = "a JSON scalar";
    }
  }

  /** DashboardCore::flush: the queued samples as one micro-batch. Returns whether anything changed. */
  flush() {
    const batch = this.pending;
    if (batch.length === 0) return this.changed;
    const cfg = this.cfg;
    // Times first: the eviction clock is the newest real `read` of the batch.
    const times = new Array(batch.length);
    for (let i = 0; i < batch.length; i++) {
      const t = parseTime(batch[i].read);
      times[i] = t;
      if (t !== null && (this.clock === null || t > this.clock)) this.clock = t;
    }
    const touched = new Set();
    for (let i = 0; i < batch.length; i++) {
      const s = batch[i];
      const key = s.id || s.name || "";
      let c = this.containers.get(key);
      if (c === undefined) {
        if (times[i] === null) continue; // an empty sample for an unknown container: no trace
        c = new Container(cfg.history, cfg.daemonOs);
        this.containers.set(key, c);
      }
      c.apply(s, times[i], cfg);
      touched.add(key);
    }
    // Every container is visited once per batch (updateStateByKey), for eviction.
    const now = this.clock;
    for (const [key, c] of this.containers) {
      const last = c.lastReadMs();
      if (now !== null && last !== null && now - last > (c.stopped ? cfg.stoppedTtl : cfg.silentTtl)) {
        this.containers.delete(key);
      }
    }
    this.pending = [];
    this.changed = true;
    return true;
  }

  /** DashboardCore::window_ms. */
  windowMs_() {
    if (this.clock === null) return [0, 0];
    const end = this.clock;
    let earliest = Infinity;
    for (const c of this.containers.values()) if (c.len) earliest = Math.min(earliest, c.t[c.at(0)]);
    return [Math.max(end - this.windowMs, Math.min(earliest, end - 30000)), end];
  }

  /** Containers in legend order: by name, then ID. */
  ordered() {
    return [...this.containers].sort((a, b) =>
      a[1].name < b[1].name ? -1 : a[1].name > b[1].name ? 1 : a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
  }

  /** snapshot(): per container in legend order, the window's [t_ms, cpu] pairs (as Dashboard.snapshot). */
  snapshot() {
    const [x0, x1] = this.windowMs_();
    return {
      containers: this.ordered().map(([id, c]) => {
        const cpu = [];
        for (let j = 0; j < c.len; j++) {
          const i = c.at(j), t = c.t[i];
          if (t >= x0 && t <= x1 && !Number.isNaN(c.cpu[i])) cpu.push([t, c.cpu[i]]);
        }
        return { id, name: c.name, cpu };
      }),
    };
  }
}
