/** Options for `new Dashboard(canvas, options)`. Every field is optional. */
export interface DashboardOptions {
  /** WebSocket URL of the feed (ws:// or wss://). Default: `/ws` on the page's own origin, with the page's `?token=` passed along. The page adds `frames=binary` unless the URL has a `frames` parameter (`frames=text` keeps text frames). */
  feed?: string;
  /** Connect to the feed at all; `false` feeds the chart only through `ingest()`. Default true. */
  connect?: boolean;
  /** Seconds of history shown (a sliding window ending at the newest sample). Default 300. */
  windowSeconds?: number;
  /** Seconds a stopped container's curve stays after its last sample, and at least while its points are in the window (marked as ended). Default 60. */
  ttlSeconds?: number;
  /** "light", "dark", or "auto" to follow `prefers-color-scheme`. Default "auto". */
  theme?: "light" | "dark" | "auto";
  /** Curve colours as "#rrggbb", used in order. Default: a colour-blind-safe palette. */
  colors?: string[];
  /** Points kept per container. Default: enough for the window at 1 Hz. */
  historyPoints?: number;
  /** The element (or its id) where the feed status is written as text. */
  status?: HTMLElement | string;
  /** The element (or its id), usually a <ul>, that lists the containers. Click an entry to show only it (again: all); shift- or ctrl-click to show or hide it alone. */
  legend?: HTMLElement | string;
  /** The element (or its id) of a <table> kept as a screen-reader summary (container, current value, trend), refreshed every 10 s. Default: a visually hidden table after the canvas. */
  table?: HTMLElement | string;
  /** The metric shown (see `DashboardMetric`). Rates are per second, all network interfaces summed. Default "cpu". */
  metric?: DashboardMetric;
  /** What 100 % CPU means: "core" (the docker CLI's), "host" (all online CPUs) or "limit" (the container's CPU limit, from the bridge; without a limit, the host). Default "core". */
  cpuScale?: "core" | "host" | "limit";
  /** Legend order: "name", "value" (current value of the metric, highest first), "host" (grouped by host, then by name) or "project" (grouped by Compose project). */
  sort?: "name" | "value" | "host" | "project";
  /** Show only the N busiest running containers: ranked by their mean over the last 30 s of the window (stopped and silent ones are not ranked). Default: all. */
  topN?: number;
  /** Show only the containers of this host (its key, as `hello` and `statscope.host` say it); "" or absent: every host. */
  host?: string;
  /** Show only containers whose name contains this, or whose ID starts with it. */
  filter?: string;
  /** A least-squares rate over the last k samples with a ±1 SD band; 0 = off. Default 0. */
  smooth?: number;
  /** A logarithmic y axis for CPU and the rates (containers near 0 are not squashed flat); memory and PIDs stay linear. Default false. */
  logScale?: boolean;
  /** With `to`: show this time range (ms since the epoch) instead of the live window, as a zoom does (double-click returns to live). */
  from?: number;
  /** The end of the range `from` starts (ms since the epoch). */
  to?: number;
  /** Open the detail panel of this container: its key (`ID@host`), name, or ID prefix. */
  detail?: string;
  /** Curve width, CSS px (0.5–8). Default 1.5 up to 12 curves, else one device pixel. */
  lineWidth?: number;
  /** Name curves at their right end (at most 12 curves). Default true. */
  labels?: boolean;
  /** Hover tooltip and keyboard cursor. Default true. */
  tooltip?: boolean;
  /** The fleet overview above the chart (each host's state, containers and busiest; a click shows only that host) when the bridge follows two hosts or more. Default true. */
  overview?: boolean;
  /** Draw the chart in a Web Worker on an OffscreenCanvas, off the page's main thread, where the browser allows it (OffscreenCanvas, module workers, the page on the module's origin); elsewhere, and with false, the main thread draws it over several animation frames. `status().painter` says which. Default true. */
  paintWorker?: boolean;
}

/** The metrics: "cpu" (CPU %), "memory" (Memory), "memoryPercent" (Memory % of limit), "netRx" (Network received /s), "netTx" (Network sent /s), "blockRead" (Block read /s), "blockWrite" (Block write /s), "pids" (PIDs). */
export type DashboardMetric =
  "cpu" | "memory" | "memoryPercent" | "netRx" | "netTx" | "blockRead" | "blockWrite" | "pids";
// (end of the part generated from the options schema and the metrics table)
/** What `settings()` returns: the viewer's current choices. */
export interface DashboardSettings {
  metric: DashboardMetric;
  cpuScale: "core" | "host" | "limit";
  sort: "name" | "value" | "host" | "project";
  topN: number | null;
  host: string;
  filter: string;
  smooth: number;
  paused: boolean;
  zoomed: boolean;
  theme: "light" | "dark" | "auto";
  logScale: boolean;
  /** The detail panel's container as asked ("" = closed). */
  detail: string;
}

/** What `tooltip()` returns (null without a cursor): values printed as the tooltip shows them,
 *  one field per metric (`cpu`, `memory`, …: every `DashboardMetric`). */
export interface DashboardTooltip {
  tMs: number;
  time: string;
  metric: DashboardMetric;
  rows: ({ id: string; name: string; color: string; tMs: number; value: string; flag: string;
           explain?: string; focused: boolean } & { [K in DashboardMetric]: string })[];
  more: number;
  marks: { name: string; kind: string; tMs: number; text: string }[];
  /** The curves are smoothed over this many samples (0: not); the values are the samples'. */
  smoothed: number;
}

/** What `snapshot()` returns: the current window, per container in legend order. */
export interface DashboardSnapshot {
  containers: { id: string; host: string; key: string; name: string;
                cpu: [t_ms: number, cpu_percent: number][] }[];
}

/** What `status()` returns. */
export interface DashboardStatus {
  state: "idle" | "connecting" | "live" | "reconnecting" | "stopped";
  paused: boolean;
  /** Zoomed or panned away from the live window. */
  zoomed: boolean;
  /** Redraws so far (the chart redraws for new data at most 4 times a second, and less often
   *  when a redraw is costly: drawing for new data takes at most 10 % of the main thread). */
  redraws: number;
  /** Main-thread time of the last live redraw, ms, and the animation frames it was spread over
   *  (a large chart is drawn a few curves per frame, so no frame is held up). */
  redrawMs: number;
  redrawFrames: number;
  /** The longest of those frames' share of it, ms. */
  redrawLongestFrameMs: number;
  /** Who draws the chart: "worker" (a Web Worker on an OffscreenCanvas, off the main thread) or
   *  "main" (the page's main thread, over several animation frames). */
  painter: "worker" | "main";
  /** Why the main thread draws although `paintWorker` asked for the worker: still starting, or
   *  what the browser refused (another origin, no OffscreenCanvas…). */
  painterNote?: string;
  /** The paint worker's ms for its last chart (0 when the main thread drew it). */
  workerMs: number;
  /** The curves' width at the last redraw, device px (1.5 CSS px up to 12 curves, else 1). */
  lineWidthDevicePx: number;
  /** Lifecycle events received from the bridge (kept: the last 2048). */
  events: number;
  /** The reconnect attempt about to be made (while reconnecting). */
  attempt: number;
  frames: number;
  samples: number;
  /** Of `samples`, those from the bridge's history (sent on connecting: the past minutes). */
  history: number;
  /** History samples skipped because the page had them already (a restarted bridge sends its
   *  history again). */
  known: number;
  malformed: number;
  oversized: number;
  bridgeDropped: number;
  /** Samples not newer than their container's previous one (duplicates, time going back): ignored. */
  late: number;
  /** The size of this module's WebAssembly memory, bytes (it grows, never shrinks). */
  wasmMemoryBytes: number;
  lastError?: string;
  source?: string;
  describe?: string;
  containers: number;
  feed?: string;
  /** The hosts the bridge follows (`hello`'s `hosts`, as `statscope.host` updates them). */
  hosts: { host: string; name: string; engine: string; describe: string;
           state: "connecting" | "up" | "down" | "stale"; error?: string }[];
  /** What the bridge says it cut, refused or did not follow now (`statscope.notice`), one per cause
   *  and host (`host` absent: the bridge itself). */
  notices: { host?: string; cause: string; text: string; count: number; limit: number | null;
             active: boolean }[];
  /** What the bridge sends this page, of how many (`statscope.subscribed`): absent until it says. */
  subscribed?: { shown: number; matching: number; total: number; hosts: number; cap: number;
                 capped: boolean };
  /** The fleet overview (two hosts or more, option `overview`): each host's state, containers,
   *  busiest (name, CPU % of one core), whether the chart shows it alone, and its words. */
  fleet: { host: string; name: string; state: string; containers: number; running: number;
           busiest: [string, number] | null; selected: boolean; text: string }[];
}

/** What `optionSchema()` returns: every option, and where else it can be given (the bundled page's
 *  URL parameter, the `<statscope-chart>` attribute) with how their text converts. */
export interface DashboardOptionSpec {
  key: keyof DashboardOptions;
  param?: string;
  attribute?: string;
  text: "text" | "number" | "boolean" | "list";
}

/** What `metrics()` returns: every metric, in display order. */
export interface DashboardMetricInfo {
  key: DashboardMetric;
  label: string;
  title: string;
  /** The log scale applies to it (CPU and the rates). */
  log: boolean;
}
