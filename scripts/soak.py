#!/usr/bin/env python3
"""Soak: a synthetic 24-hour recording of 200 containers, replayed at high speed into the real page.

    python3 scripts/soak.py [--hours 24] [--containers 200] [--speed 300] [--window 300]

One hour of recording is generated to a file (~430 MB for 200 containers) and played with
`statscope serve --replay FILE --loop`, each pass shifted to follow the last, so `--hours` passes
are one continuous day (counters start over once an hour, which the engine sees as one reset per
container per pass). Headless Chromium shows the real page.
Every few seconds it records the page's WebAssembly memory and JS heap, the samples applied, and the
bridge's RSS. Output: test-artifacts/soak-<date>.csv and .png, and a summary printed for
RELIABILITY.md. Not part of the test command (it runs for hours/speed minutes: 24 h at 300x = 4.8 min).

Needs: the release page (scripts/build-web.sh) and bridge (cargo build --release -p statscope-bridge),
Debian's chromium + chromium-driver; selenium and matplotlib from PyPI (installed if missing).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def ensure(module, package):
    try:
        __import__(module)
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", package], check=True)


def generate(path, hours, containers, t0):
    """Writes the recording: one object per container per second, cgroup v2 shape, counters rising."""
    rates = [(5 + (i * 37) % 180) / 100.0 for i in range(containers)]  # cores
    ids = ["%064x" % (0xC0FFEE0000 + i) for i in range(containers)]
    totals = [0] * containers
    system = 0
    with open(path, "w") as out:
        prev = ["0001-01-01T00:00:00Z"] * containers
        prev_cpu = ['{"cpu_usage":{"total_usage":0}}'] * containers
        for s in range(hours * 3600):
            system += 4_000_000_000
            second = datetime.fromtimestamp(t0 + s, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
            lines = []
            for i in range(containers):
                totals[i] += int(rates[i] * (1.0 + 0.1 * ((s * 7 + i) % 5 - 2) / 2) * 1e9) // 1000 * 1000
                read = "%s.%06dZ" % (second, 1000 * i + 1)
                cpu = '{"cpu_usage":{"total_usage":%d},"system_cpu_usage":%d,"online_cpus":4}' % (totals[i], system)
                lines.append(
                    '{"id":"%s","name":"/soak-%03d","read":"%s","preread":"%s","cpu_stats":%s,'
                    '"precpu_stats":%s,"memory_stats":{"usage":%d,"limit":8589934592},'
                    '"networks":{"eth0":{"rx_bytes":%d,"tx_bytes":%d}}}'
                    % (ids[i], i, read, prev[i], cpu, prev_cpu[i], 50_000_000 + (s % 600) * 4096, s * 1500, s * 900)
                )
                prev[i], prev_cpu[i] = read, cpu
            out.write("\n".join(lines) + "\n")


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hours", type=int, default=24)
    ap.add_argument("--containers", type=int, default=200)
    ap.add_argument("--speed", type=float, default=300.0)
    ap.add_argument("--window", type=int, default=300, help="the page's window, seconds")
    ap.add_argument("--every", type=float, default=5.0, help="seconds between measurements")
    args = ap.parse_args()
    ensure("selenium", "selenium")
    ensure("matplotlib", "matplotlib")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary = os.path.join(ROOT, "target/release/statscope")
    if not os.path.exists(binary) or not os.path.exists(os.path.join(ROOT, "pkg/statscope_bg.wasm")):
        sys.exit("build first: bash scripts/build-web.sh && cargo build --release -p statscope-bridge")
    work = tempfile.mkdtemp(prefix="statscope-soak-")
    recording = os.path.join(work, "one-hour.ndjson")
    t0 = int(time.time()) - args.hours * 3600
    began = time.time()
    generate(recording, 1, args.containers, t0)
    print("generated 1 h of %d containers (%.0f MB) in %.0f s" % (
        args.containers, os.path.getsize(recording) / 2**20, time.time() - began), flush=True)
    bridge = subprocess.Popen(
        [binary, "serve", "--replay", recording, "--loop", "--speed", str(args.speed), "--listen", "127.0.0.1:0", "--web-root", ROOT],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env={**os.environ, "RUST_LOG": "warn"},
    )
    url = bridge.stdout.readline().split()[2]
    options = webdriver.ChromeOptions()
    for a in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--disable-background-networking", "--disable-component-update", "--no-first-run",
              "--disable-sync", "--enable-precise-memory-info", "--js-flags=--expose-gc", "--window-size=1200,760"]:
        options.add_argument(a)
    options.binary_location = "/usr/lib/chromium/chromium" if os.path.exists("/usr/lib/chromium/chromium") else "/usr/bin/chromium"
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.get("%s?window=%d" % (url, args.window))
    total = args.hours * 3600 * args.containers
    rows = []
    start = time.time()
    # The generator (Python) may be slower than --speed asks; allow it, within a bound.
    deadline = start + args.hours * 3600 / args.speed * 3 + 120
    print("soak: %d containers x %d h at %gx -> %d samples, ~%.1f min" % (
        args.containers, args.hours, args.speed, total, args.hours * 3600 / args.speed / 60), flush=True)
    while time.time() < deadline:
        time.sleep(args.every)
        m = driver.execute_script(
            "if (window.gc) gc(); const s = window.statscope && window.statscope.status();"
            "return s && { samples: s.samples, containers: s.containers, malformed: s.malformed, late: s.late,"
            " wasm: s.wasmMemoryBytes, heap: performance.memory.usedJSHeapSize, state: s.state };")
        if not m:
            continue
        row = {"t_s": round(time.time() - start, 1), "recorded_h": m["samples"] / args.containers / 3600,
               "samples": m["samples"], "wasm_mb": m["wasm"] / 2**20, "heap_mb": m["heap"] / 2**20,
               "bridge_rss_mb": rss_kb(bridge.pid) / 1024, "containers": m["containers"]}
        rows.append(row)
        print("  %(t_s)7.1fs  %(recorded_h)5.2f h  wasm %(wasm_mb)6.1f MB  heap %(heap_mb)6.1f MB  bridge %(bridge_rss_mb)6.1f MB" % row, flush=True)
        if m["samples"] >= total:
            break
    final = driver.execute_script("return window.statscope.status();")
    driver.save_screenshot(os.path.join(ROOT, "test-artifacts", "soak.png") if os.path.isdir(os.path.join(ROOT, "test-artifacts")) else os.path.join(work, "soak-page.png"))
    driver.quit()
    bridge.terminate()
    os.remove(recording)

    os.makedirs(os.path.join(ROOT, "test-artifacts"), exist_ok=True)
    stamp = datetime.now().strftime("%Y-%m-%d")
    csv = os.path.join(ROOT, "test-artifacts", "soak-%s.csv" % stamp)
    with open(csv, "w") as f:
        f.write(",".join(rows[0].keys()) + "\n")
        for r in rows:
            f.write(",".join(str(v) for v in r.values()) + "\n")
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(8, 3.6))
    hours = [r["recorded_h"] for r in rows]
    for key, label in [("wasm_mb", "Wasm memory"), ("heap_mb", "JS heap"), ("bridge_rss_mb", "bridge RSS")]:
        ax.plot(hours, [r[key] for r in rows], label=label)
    ax.axvline(max(args.window * 1.2, 600) / 3600, color="grey", linestyle=":", label="rings full")
    ax.set_xlabel("recording replayed (hours)")
    ax.set_ylabel("MB")
    ax.set_title("soak: %d containers, %d h at %gx" % (args.containers, args.hours, args.speed))
    ax.legend(loc="upper right")
    fig.tight_layout()
    png = os.path.join(ROOT, "docs", "soak.png")
    fig.savefig(png, dpi=110)
    # "Full": every container's ring of points (max(window x 1.2, 600) s at 1 Hz) has filled, and
    # an hour has passed for the allocator to settle; from then on memory must stay flat.
    settle_h = max(max(args.window * 1.2, 600) / 3600, 1.0)
    full = [r for r in rows if r["recorded_h"] > settle_h]
    spread = lambda k: (max(r[k] for r in full) - min(r[k] for r in full)) if full else float("nan")
    summary = {
        "containers": args.containers, "hours": args.hours, "speed": args.speed, "window_s": args.window,
        "samples_applied": final["samples"], "malformed": final["malformed"], "late": final["late"],
        "bridge_dropped_frames": final["bridgeDropped"],
        "wall_s": round(time.time() - start, 1),
        "samples_per_s": round(final["samples"] / (time.time() - start)),
        "recorded_hours": round(rows[-1]["recorded_h"], 2),
        "settled_after_h": round(settle_h, 2),
        "after_window_full": {
            "wasm_mb": [round(min(r["wasm_mb"] for r in full), 1), round(max(r["wasm_mb"] for r in full), 1)] if full else None,
            "heap_mb": [round(min(r["heap_mb"] for r in full), 1), round(max(r["heap_mb"] for r in full), 1)] if full else None,
            "bridge_rss_mb": [round(min(r["bridge_rss_mb"] for r in full), 1), round(max(r["bridge_rss_mb"] for r in full), 1)] if full else None,
            "spread_mb": {k: round(spread(k), 2) for k in ["wasm_mb", "heap_mb", "bridge_rss_mb"]},
        },
        "csv": os.path.relpath(csv, ROOT), "plot": os.path.relpath(png, ROOT),
    }
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
