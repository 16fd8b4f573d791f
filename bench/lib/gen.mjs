// The benchmark's one source of data: a seeded generator of realistic Docker Engine stats objects,
// in the shape a Docker 29 daemon on cgroup v2 streams (the same keys, order and units as
// bridge/src/demo.rs: `total_usage` in whole µs × 1000, `system_cpu_usage` in multiples of 1e7,
// `pids_stats.limit` 2^64−1, 33 `memory_stats.stats` keys, eight blkio lists), ~2 KB per object.
//
// Runs unchanged in Node (to write replay files) and in the browser (bench pages generate their
// own data, so nothing big is shipped over the wire). Deterministic: the same (containers, seed)
// give byte-identical text, tick after tick, in any host.
//
//   const fleet = new Fleet({ containers: 100, seed: 1 });
//   const texts = fleet.tick();          // one object's text per container for the next second
//
// The cast (per container, chosen by its index and the seed): steady web servers (~25 % of a core),
// bursty workers (bursts to ~1.8 cores), databases (a slow wave around 40 %), restarting crons
// (every 5–10 minutes: two empty samples, then counters from zero — a break in the curve), and
// idle sidecars. No container is removed, so the count stays fixed while measuring.
// Sample times: container i of N is read at (tick s) + i × 700 ms / N + jitter, with nanosecond
// fractions, so a tick's objects spread over 0.7 s like a daemon's collector loop; the bridge's hub
// then batches them into ~100 ms frames.

export const HOST_CPUS = 16;
const HOST_RAM = 64 * 2 ** 30;
const SEC_NS = 1e9;
export const ZERO_TIME = "0001-01-01T00:00:00Z";
/** 2025-01-01T00:00:00Z: the first tick. */
export const START_MS = Date.UTC(2025, 0, 1);

/** mulberry32: a small, fast, seeded PRNG, identical in every JS engine. */
export function rng(seed) {
  let a = seed >>> 0;
  return function next() {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ROLES = ["web", "worker", "db", "cron", "idle", "web", "worker", "web", "idle", "db"];

function hex64(next) {
  let s = "";
  while (s.length < 64) s += Math.floor(next() * 4294967296).toString(16).padStart(8, "0");
  return s;
}

const pad2 = (n) => (n < 10 ? "0" : "") + n;

/** Go's RFC3339Nano in UTC for `ms` (whole ms since the epoch) plus `ns` (0–999999). */
export function rfc3339(ms, ns) {
  const d = new Date(ms);
  let s =
    d.getUTCFullYear() + "-" + pad2(d.getUTCMonth() + 1) + "-" + pad2(d.getUTCDate()) + "T" +
    pad2(d.getUTCHours()) + ":" + pad2(d.getUTCMinutes()) + ":" + pad2(d.getUTCSeconds());
  const frac = (ms % 1000) * 1e6 + ns;
  if (frac !== 0) s += "." + String(frac).padStart(9, "0").replace(/0+$/, "");
  return s + "Z";
}

class Sim {
  constructor(index, count, seed) {
    const next = rng((seed * 7919 + index * 104729) ^ 0x5eed);
    this.next = next;
    this.index = index;
    this.role = ROLES[Math.floor(next() * ROLES.length)];
    this.id = hex64(next);
    this.name = `/${this.role}-${String(index).padStart(4, "0")}`;
    this.offsetMs = Math.floor((index * 700) / count);
    this.age = Math.floor(next() * 3600);
    this.cpuNs = Math.floor(next() * 1e6) * 1e6; // whole µs × 1000
    this.rx = Math.floor(next() * 1e9);
    this.tx = Math.floor(next() * 1e9);
    this.blkRead = this.role === "db" ? Math.floor(next() * 1e9) : 0;
    this.blkWrite = this.role === "db" ? Math.floor(next() * 1e9) : 0;
    this.restartEvery = this.role === "cron" ? 300 + Math.floor(next() * 300) : 0;
    this.restartPhase = Math.floor(next() * 600);
    this.down = 0;
    this.burst = 0;
    this.base = 0.05 + next() * 0.4;
    this.prev = null; // [readText, cpuStatsText]
  }
}

/** A fleet of simulated containers on one host. */
export class Fleet {
  constructor({ containers, seed = 1 }) {
    this.next = rng(seed ^ 0xc0ffee);
    this.sims = Array.from({ length: containers }, (_, i) => new Sim(i, containers, seed));
    this.tickIndex = 0;
    this.systemNs = 3 * 86400 * HOST_CPUS * SEC_NS; // a host up for ~3 days
  }

  /** The sample time (ms) of container `i`'s object at tick `k` (without its sub-ms jitter). */
  timeMs(k, i) {
    return START_MS + k * 1000 + this.sims[i].offsetMs;
  }

  /** Advances one second; returns one object's JSON text per container, in container order. */
  tick() {
    const k = this.tickIndex++;
    const jitter = Math.round((this.next() * 2 - 1) * 2);
    this.systemNs += HOST_CPUS * SEC_NS + jitter * 1e7;
    const out = new Array(this.sims.length);
    for (let i = 0; i < this.sims.length; i++) out[i] = this.sample(this.sims[i], k);
    return out;
  }

  sample(c, k) {
    const next = c.next;
    if (c.down > 0) {
      c.down--;
      if (c.down === 0) [c.cpuNs, c.rx, c.tx, c.blkRead, c.blkWrite, c.age] = [0, 0, 0, 0, 0, 0];
      c.prev = null;
      return emptyObject(c);
    }
    c.age++;
    let cores;
    switch (c.role) {
      case "web": cores = c.base * 0.8 + 0.03 * (next() * 2 - 1); break;
      case "worker":
        if (c.burst === 0 && next() < 0.04) c.burst = 4 + Math.floor(next() * 8);
        if (c.burst > 0) { c.burst--; cores = 1.8 + 0.15 * (next() * 2 - 1); }
        else cores = 0.05 + 0.02 * (next() * 2 - 1);
        break;
      case "db": cores = 0.4 + 0.2 * Math.sin((c.age + c.index) / 30) + 0.04 * (next() * 2 - 1); break;
      case "cron": cores = 0.6 + 0.1 * (next() * 2 - 1); break;
      default: cores = 0.001 + 0.0005 * (next() * 2 - 1);
    }
    c.cpuNs += Math.floor(Math.max(0, cores) * 1e6) * 1000;
    const net = c.role === "web" ? 180000 : c.role === "db" ? 40000 : c.role === "worker" ? 8000 : 200;
    c.rx += Math.floor(net * (1 + 0.2 * (next() * 2 - 1)));
    c.tx += Math.floor(net * 2.5 * (1 + 0.2 * (next() * 2 - 1)));
    if (c.role === "db") {
      c.blkWrite += 4096 * (20 + Math.floor(next() * 30));
      c.blkRead += 4096 * Math.floor(next() * 5);
    }
    if (c.restartEvery && (k + c.restartPhase) % c.restartEvery === 0 && k > 0) c.down = 2;
    const nsJitter = Math.floor(next() * 3_000_000); // 0–3 ms, in ns
    return runningObject(c, k, this.systemNs, nsJitter);
  }
}

function cpuStats(total, system) {
  const user = Math.floor(Math.floor(total / 10) * 7 / 1000) * 1000;
  return `{"cpu_usage":{"total_usage":${total},"usage_in_kernelmode":${total - user},"usage_in_usermode":${user}},"system_cpu_usage":${system},"online_cpus":${HOST_CPUS},"throttling_data":{"periods":0,"throttled_periods":0,"throttled_time":0}}`;
}

const ZERO_CPU = `{"cpu_usage":{"total_usage":0,"usage_in_kernelmode":0,"usage_in_usermode":0},"throttling_data":{"periods":0,"throttled_periods":0,"throttled_time":0}}`;
const NULL_BLKIO_TAIL = `"io_serviced_recursive":null,"io_queue_recursive":null,"io_service_time_recursive":null,"io_wait_time_recursive":null,"io_merged_recursive":null,"io_time_recursive":null,"sectors_recursive":null`;

function runningObject(c, k, systemNs, nsJitter) {
  const ms = START_MS + k * 1000 + c.offsetMs + Math.floor(nsJitter / 1e6);
  const read = rfc3339(ms, nsJitter % 1e6);
  const cpu = cpuStats(c.cpuNs, systemNs);
  let preread = ZERO_TIME, precpu = ZERO_CPU;
  if (c.prev) [preread, precpu] = c.prev;
  const [limit, baseMem] =
    c.role === "db" ? [2 * 2 ** 30, 900 * 2 ** 20] :
    c.role === "web" ? [512 * 2 ** 20, 120 * 2 ** 20] :
    [HOST_RAM, 12 * 2 ** 20];
  const file = Math.floor(baseMem / 3);
  const usage = baseMem + (c.age % 60) * 262144;
  const half = Math.floor(file / 2);
  const blkio = c.blkRead + c.blkWrite === 0 ? "null"
    : `[{"major":259,"minor":0,"op":"read","value":${c.blkRead}},{"major":259,"minor":0,"op":"write","value":${c.blkWrite}}]`;
  const text =
    `{"id":"${c.id}","name":"${c.name}","os_type":"linux","read":"${read}",` +
    `"cpu_stats":${cpu},` +
    `"memory_stats":{"usage":${usage},"stats":{"active_anon":0,"active_file":${half},"anon":${usage - file},"anon_thp":0,"file":${file},"file_dirty":0,"file_mapped":${Math.floor(file / 8)},"file_writeback":0,"inactive_anon":${usage - file},"inactive_file":${half},"kernel_stack":16384,"pgactivate":0,"pgdeactivate":0,"pgfault":${c.age * 120},"pglazyfree":0,"pglazyfreed":0,"pgmajfault":0,"pgrefill":0,"pgscan":0,"pgsteal":0,"shmem":0,"slab":65536,"slab_reclaimable":32768,"slab_unreclaimable":32768,"sock":0,"thp_collapse_alloc":0,"thp_fault_alloc":0,"unevictable":0,"workingset_activate":0,"workingset_nodereclaim":0,"workingset_refault":0},"limit":${limit}},` +
    `"networks":{"eth0":{"rx_bytes":${c.rx},"rx_packets":${Math.floor(c.rx / 900)},"rx_errors":0,"rx_dropped":0,"tx_bytes":${c.tx},"tx_packets":${Math.floor(c.tx / 1200)},"tx_errors":0,"tx_dropped":0}},` +
    `"pids_stats":{"current":${c.role === "web" ? 9 : 1},"limit":18446744073709551615},` +
    `"blkio_stats":{"io_service_bytes_recursive":${blkio},${NULL_BLKIO_TAIL}},` +
    `"num_procs":0,"storage_stats":{},"preread":"${preread}","precpu_stats":${precpu}}`;
  c.prev = [read, cpu];
  return text;
}

function emptyObject(c) {
  return (
    `{"id":"${c.id}","name":"${c.name}","os_type":"linux","read":"${ZERO_TIME}",` +
    `"cpu_stats":${ZERO_CPU},"memory_stats":{},"pids_stats":{},` +
    `"blkio_stats":{"io_service_bytes_recursive":null,${NULL_BLKIO_TAIL}},` +
    `"num_procs":0,"storage_stats":{},"preread":"${ZERO_TIME}","precpu_stats":${ZERO_CPU}}`
  );
}

/**
 * Groups one tick's texts into WebSocket frames the way the bridge's hub does: objects whose
 * sample times fall in the same 100 ms go out together, alone as the object, else as a JSON array.
 */
export function hubFrames(fleet, texts, k) {
  const frames = [];
  let bucket = -1, batch = [];
  for (let i = 0; i < texts.length; i++) {
    const b = Math.floor((fleet.timeMs(k, i) - START_MS - k * 1000) / 100);
    if (b !== bucket && batch.length) {
      frames.push(batch.length === 1 ? batch[0] : "[" + batch.join(",") + "]");
      batch = [];
    }
    bucket = b;
    batch.push(texts[i]);
  }
  if (batch.length) frames.push(batch.length === 1 ? batch[0] : "[" + batch.join(",") + "]");
  return frames;
}

/** ns since the epoch, as the decimal text of an integer, of an RFC 3339 time; null for Go's zero time. */
function nsOf(text) {
  if (!text || text === ZERO_TIME) return null;
  const m = /^(.*?)(?:\.(\d+))?Z$/.exec(text);
  const frac = (m[2] || "").padEnd(9, "0");
  return (BigInt(Date.parse(m[1] + "Z")) * 1000000n + BigInt(frac)).toString();
}

/**
 * One tick's objects as the bridge sends them: a `statscope.samples` frame of host `host`, each
 * object as a compact sample (the 23 fields of `SAMPLE_FIELDS`, docs/protocol.md; what
 * `crates/core/src/model/sample.rs` makes of this generator's objects). The live workloads prefill the
 * page with these, so the prefilled containers are the ones the bridge's replay then sends
 * (`ID@host`). bench/check-samples.mjs compares this with the bridge's own encoding.
 */
export function samplesFrame(host, texts, seq = 0) {
  const enc = (v) => (v === null || v === undefined ? "null" : typeof v === "string" && !/^\d+$/.test(v) ? JSON.stringify(v) : String(v));
  const rows = texts.map((t) => {
    const o = JSON.parse(t);
    const m = o.memory_stats || {};
    const ms = m.stats || {};
    const nets = Object.values(o.networks || {});
    const blk = (op) => (o.blkio_stats?.io_service_bytes_recursive || []).filter((e) => e.op.toLowerCase() === op).reduce((a, e) => a + e.value, 0);
    const cpus = o.cpu_stats?.online_cpus ?? (o.cpu_stats?.cpu_usage?.percpu_usage || []).length;
    const fields = [
      `${o.id}@${host}`, o.name.replace(/^\//, ""), o.os_type ?? null, nsOf(o.read), nsOf(o.preread),
      o.cpu_stats?.cpu_usage?.total_usage ?? 0, o.cpu_stats?.system_cpu_usage ?? 0, cpus, o.num_procs ?? 0,
      o.precpu_stats?.cpu_usage?.total_usage ?? 0, o.precpu_stats?.system_cpu_usage ?? 0,
      m.usage ?? 0, m.limit ?? 0, ms.total_inactive_file ?? null, ms.inactive_file ?? null, m.privateworkingset ?? 0,
      nets.reduce((a, n) => a + n.rx_bytes, 0), nets.reduce((a, n) => a + n.tx_bytes, 0), blk("read"), blk("write"),
      o.storage_stats?.read_size_bytes ?? 0, o.storage_stats?.write_size_bytes ?? 0, o.pids_stats?.current ?? 0,
    ];
    return "[" + fields.map(enc).join(",") + "]";
  });
  return `{"type":"statscope.samples","host":${JSON.stringify(host)},"seq":${seq},"samples":[${rows.join(",")}]}`;
}
