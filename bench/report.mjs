// Results JSON → the tables in BENCHMARKS.md (between the bench:results markers; the rest of the
// file is written by hand). `node bench/report.mjs bench/results/<date>.json` redoes it from a file.

import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");
const START = "<!-- bench:results:start (written by bench/report.mjs; do not edit by hand) -->";
const END = "<!-- bench:results:end -->";

const f = (x, d = 2) => (x == null || Number.isNaN(x) ? "–" : Number(x).toFixed(d));
const kb = (b) => `${(b / 1000).toFixed(1)} KB`;
const mib = (b) => (b == null ? "–" : `${(b / 2 ** 20).toFixed(2)} MiB`);
const yes = (ok) => (ok ? "**met**" : "**not met**");
const row = (cells) => `| ${cells.join(" | ")} |`;

export function renderTables(r, file) {
  const out = [];
  const m = r.machine;
  out.push(`Run of ${r.date.slice(0, 16).replace("T", " ")} UTC (\`${file}\`), ${f(r.durationS / 60, 1)} min. ` +
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memGiB} GiB, ${m.os}, ${m.kernel}; ${r.browser} (Debian's), ` +
    `node ${m.node}. Load average (1/5/15 min) at the start: ${m.loadavg.map((x) => f(x)).join(" / ")}, ` +
    `at the end: ${(m.loadavgAfter || []).map((x) => f(x)).join(" / ")}.` +
    (r.build ? ` Build: ${r.build.git}${r.build.dirty ? ` + ${r.build.dirty} uncommitted product file(s)` : ""}, ` +
      `${r.build.profile ? `\`${r.build.profile}\`` : "release profile (LTO, opt-level 3, 1 codegen unit)"}, ` +
      `wasm-opt ${r.build.wasmOpt ? "applied" : "**not applied** (" + r.build.wasmOptNote + ")"}.` : "") +
    ` Settings: ${r.settings.rounds} rounds (W1, W2; alternating order, each implementation in a fresh page), ` +
    `W3 ${r.settings.w3Seconds} s per size, W4 ${r.settings.w4Seconds} s, W5 soak ${r.settings.soakSeconds} s` +
    `${r.settings.soakSeconds < 600 ? " (the short default; BENCH_SOAK_SECONDS=600 for the issue's 10 minutes)" : ""}.` +
    `${r.settings.cpuThrottle > 1 ? ` **The pages' CPU throttled ×${r.settings.cpuThrottle}** (CDP \`Emulation.setCPUThrottlingRate\`).` : ""}`);
  if (r.load) {
    out.push("", "Load (1-minute average) while each workload ran, start → end: " +
      Object.entries(r.load).map(([k, v]) => `${k.toUpperCase()} ${f(v.start.load1)} → ${f(v.end.load1)}`).join(", ") +
      ". Other busy processes at the start of each: " +
      Object.entries(r.load).map(([k, v]) => `${k.toUpperCase()}: ${v.start.others.filter((o) => !/^\S+ \S+ \[chromium\]/.test(o)).map((o) => "`" + o.split(" ").slice(2).join(" ").slice(0, 60) + "` (" + o.split(" ")[0] + " %)").join(", ") || "none"}`).join("; ") + ".");
  }
  out.push("");
  const goals = [];

  if (r.w1) {
    out.push("### W1 ingest: parse + engine update per sample (100 containers, 300 ticks)", "");
    out.push(row(["frames", "statscope (Wasm)", "JS port", "ratio", "goal ≤ 0.7×"]));
    out.push(row(["---", "---:", "---:", "---:", "---"]));
    const labels = {
      object: "one object per frame, text",
      array: "hub frames (arrays of ~14 objects), text",
      "object-binary": "one object per frame, binary",
      "array-binary": "hub frames, binary",
    };
    for (const [k, s] of Object.entries(r.w1.summary)) {
      const label = labels[k] || k;
      out.push(row([label, `${f(s.statscopeUsPerSample)} µs`, `${f(s.jsUsPerSample)} µs`, `${f(s.ratio)}×`, yes(s.ratio <= 0.7)]));
      // Binary against binary makes the JS port pay a TextDecoder it would not choose: a goal row
      // only for text against text and for each side's best frames (below).
      const short = k.startsWith("object") ? "one object per frame" : "hub frames";
      if (!k.endsWith("-binary")) goals.push([`W1 ingest, ${short}: text frames on both sides`, `${f(s.ratio)}× the JS port`, "≤ 0.7×", s.ratio <= 0.7]);
    }
    for (const k of ["object", "array"]) {
      const text = r.w1.summary[k], bin = r.w1.summary[`${k}-binary`];
      if (!text || !bin) continue;
      const best = (a, b) => Math.min(a, b);
      const s = best(text.statscopeUsPerSample, bin.statscopeUsPerSample), j = best(text.jsUsPerSample, bin.jsUsPerSample);
      const label = `${k === "object" ? "one object per frame" : "hub frames"}, each side's faster frames`;
      out.push(row([`**${label}**`, `${f(s)} µs`, `${f(j)} µs`, `${f(s / j)}×`, yes(s / j <= 0.7)]));
      const short = k === "object" ? "one object per frame" : "hub frames";
      goals.push([`W1 ingest, ${short}: each side's faster frames (statscope ${s === bin.statscopeUsPerSample ? "binary" : "text"}, JS port ${j === text.jsUsPerSample ? "text" : "binary"})`, `${f(s / j)}× the JS port`, "≤ 0.7×", s / j <= 0.7]);
    }
    const a = r.w1.agreement;
    out.push("", `Medians of ${r.settings.rounds} rounds; ~${f(r.w1.rounds[0].bytesPerSample, 0)} bytes per sample. ` +
      `Both engines computed the same curves: ${a.ok ? "yes" : "**no**"} (${a.points[0]} points, CPU sums differ by ${a.perContainerMaxRelDiff.toExponential(1)} relative at most).`);
    const copies = Object.entries(r.w1.summary).filter(([, s]) => Number.isFinite(s.copyCharCodeAtUsPerSample));
    if (copies.length) {
      out.push(`Handing the text to Wasm alone (diagnostic, same data, per sample): wasm-bindgen's charCodeAt loop ` +
        copies.map(([k, s]) => `${f(s.copyCharCodeAtUsPerSample)} µs (${k})`).join(", ") +
        `; \`TextEncoder.encodeInto\` ` + copies.map(([k, s]) => `${f(s.copyEncodeIntoUsPerSample)} µs (${k})`).join(", ") + ".");
    }
    out.push("");
  }

  if (r.w2) {
    out.push("### W2 redraw: one chart, 800×300 CSS px, same data, same line width", "");
    out.push(row(["data", "DPR (line)", "statscope p50 / p99", "uPlot p50 / p99", "ratio p50", "ratio p99", "JS call only p50 (s / u)", "goal ≤ 1.0×"]));
    out.push(row(["---", "---:", "---:", "---:", "---:", "---:", "---:", "---"]));
    for (const s of r.w2.summary) {
      const ok = s.ratio_p50 <= 1 && s.ratio_p99 <= 1;
      out.push(row([`${s.containers} × ${s.points}`, `${s.dpr} (${s.lineDevicePx} px)`, `${f(s.statscope_p50, 1)} / ${f(s.statscope_p99, 1)} ms`,
        `${f(s.uplot_p50, 1)} / ${f(s.uplot_p99, 1)} ms`, `${f(s.ratio_p50)}×`, `${f(s.ratio_p99)}×`,
        `${f(s.statscope_call_p50, 1)} / ${f(s.uplot_call_p50, 1)} ms`, yes(ok)]));
      goals.push([`W2 redraw ${s.containers} × ${s.points}, DPR ${s.dpr}`, `${f(s.ratio_p50)}× (p50), ${f(s.ratio_p99)}× (p99) uPlot`, "≤ 1.0×", ok]);
    }
    out.push("", "ms per full redraw until the pixels exist (the call, then a 1-pixel `getImageData` that makes " +
      "Chromium rasterize the recorded canvas commands), one redraw per animation frame; medians over rounds of each " +
      "round's p50 and p99 (n = redraws per round: " + r.w2.summary.map((s) => `${s.n[0]}/${s.n[1]}`).join(", ") + "). " +
      "\"JS call only\" is the synchronous `redraw()` / `setData()` before rasterization.", "");
  }

  if (r.w3) {
    out.push("### W3 live: 1 Hz through `statscope serve --replay`, the real page's layout (status line, legend)", "");
    out.push(row(["containers", "frame p50", "frame p99", "frame max", "frames > 20 ms", "long tasks > 50 ms (max)", "main thread busy", "script / style+layout", "feed frames / redraws per s", "last redraw: ms / frames", "painter (worker's share of a core)"]));
    out.push(row(["---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:"]));
    for (const x of r.w3.runs) {
      // Older results kept every entry; newer ones keep a tally.
      const lt = Array.isArray(x.longtasks) ? { count: x.longtasks.length, max: Math.max(0, ...x.longtasks.map((t) => t[1])) } : x.longtasks;
      out.push(row([x.containers, `${f(x.frameMs.p50, 1)} ms`, `${f(x.frameMs.p99, 1)} ms`, `${f(x.frameMs.max, 0)} ms`,
        `${x.framesOver20ms} of ${x.frameMs.n}`, `${lt.count} (${lt.count ? f(lt.max, 0) + " ms" : "–"})`,
        `${f(x.busyPct, 1)} % (CPU ${f(x.busyCpuPct, 1)} %)`, `${f(x.scriptPct, 1)} % / ${f(x.layoutPct, 1)} %`, `${f(x.framesPerSecondIn, 1)} / ${f(x.redrawsPerSecond, 1)}`,
        x.status && x.status.redrawMs !== undefined ? `${f(x.status.redrawMs, 1)} ms / ${x.status.redrawFrames}` : "–",
        x.painter ? `${x.painter}${x.workerPct != null && x.painter === "worker" ? ` (${f(x.workerPct, 1)} %)` : ""}` : "main"]));
      if (x.containers === 1000) {
        const ltMax = lt.max;
        goals.push(["W3 1,000 containers: p99 frame", `${f(x.frameMs.p99, 1)} ms`, "≤ 16.7 ms", x.frameMs.p99 <= 16.7 * 1.05]);
        goals.push(["W3 1,000 containers: long tasks > 50 ms", `${lt.count} (max ${f(ltMax, 0)} ms)`, "none", lt.count === 0]);
        goals.push(["W3 1,000 containers: main thread busy", `${f(x.busyPct, 1)} % (CPU ${f(x.busyCpuPct, 1)} %)`, "< 25 %", x.busyPct < 25]);
      }
    }
    out.push("", `Each size: ${r.settings.w3Seconds} s measured with a full 5-minute window on screen (240 s prefilled ` +
      "through `ingest()` before the live data starts). Frame times are `requestAnimationFrame` deltas (60 Hz: 16.7 ms; " +
      "the p99 goal allows 5 % vsync jitter); busy = the renderer main thread's task time per wall second (CDP `TaskDuration` in wall time; " +
      "in parentheses the same in the thread's CPU time, which does not count waiting for a core on a busy machine).", "");
  }

  if (r.w4) {
    out.push("### W4 burst: 100× replay of 100 containers (10,000 samples/s)", "");
    out.push(row(["page", "received / s", "lag at the end", "max lag", "bridge dropped frames", "main thread busy", "frame p50 / p99", "redraws / s", "keeps up"]));
    out.push(row(["---", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---"]));
    for (const [name, x] of [["bare WebSocket (control)", r.w4.bare], ["statscope", r.w4.statscope]]) {
      if (!x) continue;
      out.push(row([name, `${f(x.receivedPerSecond, 0)} of ${r.w4.config.samplesPerSecond}`, `${f(x.finalLagS, 1)} s`, `${f(x.maxLagS, 1)} s`,
        x.bridgeDropped, `${f(x.busyPct, 0)} % (CPU ${f(x.busyCpuPct, 0)} %)`, `${f(x.frameMs.p50, 1)} / ${f(x.frameMs.p99, 1)} ms`, x.redrawsPerSecond == null ? "–" : f(x.redrawsPerSecond, 1), x.keepsUp ? "yes" : "**no**"]));
    }
    if (r.w4.statscope) goals.push(["W4 100× of 100 containers", r.w4.statscope.keepsUp ? "keeps up" : `falls behind (${f(r.w4.statscope.finalLagS, 1)} s after ${r.settings.w4Seconds} s)`, "keeps up", r.w4.statscope.keepsUp]);
    out.push("", "Lag = samples the replay sent (at 10,000/s from the first measured second) minus samples the page received, in seconds of feed; " +
      "\"keeps up\" = ≥ 97 % of the rate received and no frame dropped by the bridge.", "");
  }

  if (r.w5) {
    const s = r.w5.summary;
    out.push(`### W5 memory: ${s.soakSeconds} s soak, 100 containers at 10× (looped replay)`, "");
    const levels = s.spanS !== undefined;
    const head = levels
      ? [`window full (median ${f(s.fullAtS, 0)}–${f(s.fullAtS + s.spanS, 0)} s)`, `end (median ${f(s.endAtS - s.spanS, 0)}–${f(s.endAtS, 0)} s)`]
      : [`window full (${f(s.fullAtS, 0)} s)`, `end (${f(s.endAtS, 0)} s)`];
    out.push(row(["", ...head, "change", ...(levels ? ["range after full"] : []), "goal ± 1 MB"]));
    out.push(row(["---", "---:", "---:", "---:", ...(levels ? ["---:"] : []), "---"]));
    const rng = (r) => (r ? `${mib(r[0])} – ${mib(r[1])}` : "");
    out.push(row(["Wasm memory", mib(s.wasmFull), mib(s.wasmEnd), mib(s.wasmDelta), ...(levels ? [rng(s.wasmRange)] : []), yes(Math.abs(s.wasmDelta) <= 2 ** 20)]));
    out.push(row(["JS heap (used, after GC)", mib(s.heapFull), mib(s.heapEnd), mib(s.heapDelta), ...(levels ? [rng(s.heapRange)] : []), yes(Math.abs(s.heapDelta) <= 2 ** 20)]));
    if (levels) {
      out.push("", `"Full" and "end" are medians of the probes in the first and the last ${f(s.spanS, 0)} s after the window is full ` +
        `(${s.probesFull} and ${s.probesEnd} probes): the JS heap also holds the feed's frames in flight (~2 MB a second at 10×: ` +
        "strings for text frames, `ArrayBuffer`s for the binary frames the page now asks for), so single probes swing, and the " +
        "last one, taken after the feed stopped, falls (the range includes it); the change of level is what tells growth.");
    }
    goals.push([`W5 memory (${s.soakSeconds} s soak)`, `Wasm ${mib(s.wasmDelta)}, JS heap ${mib(s.heapDelta)}`, "± 1 MB", s.flat]);
    out.push("", "Probes every 5 s after a forced GC: " + r.w5.memory.map((x) => `${f(x.t / 1000, 0)} s: ${f(x.wasmBytes / 2 ** 20, 1)}/${f(x.jsHeapUsed / 2 ** 20, 1)}`).join(", ") + " (MiB Wasm/JS).", "");
  }

  if (r.w6) {
    out.push("### W6 size", "");
    out.push("KB = 1,000 bytes.", "");
    out.push(row(["file", "raw", "gzip -9", "brotli -11"]));
    out.push(row(["---", "---:", "---:", "---:"]));
    for (const [name, x] of Object.entries(r.w6.files)) out.push(row([name, kb(x.raw), kb(x.gzip), kb(x.brotli)]));
    const t = r.w6.total;
    out.push(row(["**total**", kb(t.raw), kb(t.gzip), kb(t.brotli)]), "");
    goals.push(["W6 .wasm + JS glue, gzipped", kb(t.gzip), "≤ 100 KB", t.gzip <= 100 * 1000]);
  }

  out.push("### Goals", "");
  out.push(row(["goal", "measured", "target", ""]));
  out.push(row(["---", "---", "---", "---"]));
  for (const [name, got, want, ok] of goals) out.push(row([name, got, want, yes(ok)]));
  out.push("");
  if (r.plot) out.push(`Frame times (W3, W4): ![frame times](${r.plot})`, "");
  return out.join("\n");
}

export function writeReport(results, file, { updateBenchmarksMd = true } = {}) {
  const md = path.join(ROOT, "BENCHMARKS.md");
  const tables = renderTables(results, file);
  fs.writeFileSync(path.resolve(ROOT, file.replace(/\.json$/, ".md")), tables + "\n");
  if (!updateBenchmarksMd) return;
  let text = fs.existsSync(md) ? fs.readFileSync(md, "utf8") : "# Benchmarks\n\n## Results\n\n";
  const block = `${START}\n\n${tables}\n${END}`;
  if (text.includes(START) && text.includes(END)) {
    text = text.slice(0, text.indexOf(START)) + block + text.slice(text.indexOf(END) + END.length);
  } else {
    text = text.trimEnd() + "\n\n" + block + "\n";
  }
  fs.writeFileSync(md, text);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = process.argv[2];
  if (!file) { console.error("usage: node bench/report.mjs bench/results/<date>.json"); process.exit(2); }
  writeReport(JSON.parse(fs.readFileSync(file, "utf8")), path.relative(ROOT, path.resolve(file)));
}
