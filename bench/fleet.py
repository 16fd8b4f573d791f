#!/usr/bin/env python3
"""statscope's fleet benchmark (issue 15): a real nats-server on loopback, simulated agents, the hub.

Not a test. For each fleet size (hosts x containers, one sample per container per second) it starts
nats-server -js (its own port, store and monitoring port), the hub (`statscope serve --nats`), and
`statscope agent --demo --hosts N --containers C` processes (one process plays many hosts with the
demo's generator), lets them warm up, then measures for a while:

  - the hub's CPU (% of one core) and memory (RSS, peak), from /proc;
  - NATS messages and bytes per second in and out, from the server's /varz;
  - the agents' and the server's CPU;
  - samples per second at the hub and each sample's age on arrival there (its `read` to the hub
    reading it: p50/p99), from the hub's own `fleet` log line (every 10 s);
  - bytes per sample on NATS, against a raw Docker stats object (the real recording's mean).

Run it on a quiet machine (it prints the load average at the start and records it):

  cargo build --release -p statscope-bridge
  python3 bench/fleet.py                       # 100x100, then 300x100, 1000x100
  python3 bench/fleet.py --sizes 100x100 --seconds 60

Writes bench/results/<date>-fleet.md and .json.

The page side: --page QUERY (repeatable) opens the hub's real page with that query in headless
Chromium (bench/fleet-page.mjs: bytes/s received, main-thread busy %, frame p50/p99, long tasks,
sample-to-curve latency). The first page runs while the hub is measured (a fleet with one viewer);
each further one runs alone afterwards, on the same fleet, for --page-seconds. E.g.

  python3 bench/fleet.py --sizes 100x100 --page '?top=50' --page '?' --max-per-page 100000

compares the top-50 page with the same page fed the whole fleet raw (no top N, a cap above the
fleet's size). --page-cmd runs any other command instead ({url} and {seconds} replaced; the JSON
object it prints last is kept).
"""

import argparse
import datetime
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STATSCOPE = os.path.join(ROOT, "target/release/statscope")
RECORDING = os.path.join(ROOT, "tests/fixtures/docker-20.10-cgroupv1.ndjson")
CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def nats_server():
    for candidate in (os.environ.get("STATSCOPE_NATS_SERVER"),
                      os.path.join(ROOT, ".venv-nats/bin/nats-server"),
                      shutil.which("nats-server")):
        if candidate and os.path.exists(candidate):
            return candidate
    sys.exit("no nats-server: bash scripts/check.sh installs one in .venv-nats/")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def status_kib(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def varz(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/varz", timeout=5) as r:
        return json.load(r)


def wait_port(port, secs=20):
    deadline = time.time() + secs
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


def raw_docker_bytes():
    with open(RECORDING, "rb") as f:
        lines = [l for l in f.read().splitlines() if l.strip()]
    return sum(len(l) for l in lines) / len(lines)


FLEET_LINE = re.compile(r"fleet hosts=(\d+) up=(\d+) containers=(\d+) samples_per_s=([\d.]+) "
                        r"age_p50_ms=(\d+) age_p99_ms=(\d+) bad=(\d+) lost=(\d+)")


def page_result_of(proc, timeout):
    out, _ = proc.communicate(timeout=timeout)
    for line in reversed(out.splitlines()):
        try:
            return json.loads(line)
        except ValueError:
            continue
    return None


def run_size(hosts, containers, seconds, warmup, procs, page_cmds, stream_mib, max_per_page,
             page_seconds, hub_args):
    work = tempfile.mkdtemp(prefix="statscope-fleet-bench-")
    port, mon, http = free_port(), free_port(), free_port()
    started = []
    logs = {}

    def spawn(name, args, env=None):
        log = open(os.path.join(work, name + ".log"), "wb")
        logs[name] = log.name
        p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=log,
                             env=dict(os.environ, **(env or {})))
        started.append(p)
        return p

    try:
        nats = spawn("nats", [nats_server(), "-js", "-a", "127.0.0.1", "-p", str(port),
                              "-m", str(mon), "-sd", os.path.join(work, "store")])
        wait_port(port)
        url = f"nats://127.0.0.1:{port}"
        hub = spawn("hub", [STATSCOPE, "serve", "--nats", url, "--listen", f"127.0.0.1:{http}",
                            "--max-hosts", str(max(hosts, 1) * 2),
                            "--nats-stream-mib", str(stream_mib), "--history-mib", "2048",
                            "--max-per-page", str(max_per_page), "--web-root", ROOT, *hub_args],
                    env={"RUST_LOG": "info,async_nats=warn"})
        wait_port(http)
        per = [hosts // procs + (1 if i < hosts % procs else 0) for i in range(procs)]
        agents = []
        for i, n in enumerate(p for p in per if p > 0):
            agents.append(spawn(f"agent{i}", [STATSCOPE, "agent", "--nats", url, "--host", f"sim{i}",
                                              "--demo", "--hosts", str(n), "--containers",
                                              str(containers)],
                                env={"RUST_LOG": "info,async_nats=warn"}))
        time.sleep(warmup)
        page_url = f"http://127.0.0.1:{http}/"

        def start_page(cmd, secs):
            cmd = cmd.replace("{url}", page_url).replace("{seconds}", str(secs))
            return subprocess.Popen(cmd, shell=True, stdout=subprocess.PIPE, text=True)

        page = None
        if page_cmds:
            page = start_page(page_cmds[0], seconds)
            # The page loads, takes its history and warms up (fleet-page.mjs --warmup 10) while
            # the hub is not measured yet.
            time.sleep(15)
        t0 = time.time()
        cpu0 = {p.pid: cpu_seconds(p.pid) for p in started}
        v0 = varz(mon)
        rss = []
        # A minute-by-minute series of the hub (for soaks: drift of memory and CPU).
        series = []
        last = (t0, cpu0[hub.pid])
        while time.time() - t0 < seconds:
            time.sleep(1)
            rss.append(status_kib(hub.pid, "VmRSS"))
            now = time.time()
            if now - last[0] >= 60:
                cpu = cpu_seconds(hub.pid)
                series.append({"t_s": round(now - t0), "rss_mib": round(rss[-1] / 1024, 1),
                               "cpu_pct": round(100.0 * (cpu - last[1]) / (now - last[0]), 1)})
                last = (now, cpu)
        elapsed = time.time() - t0
        cpu1 = {p.pid: cpu_seconds(p.pid) for p in started}
        v1 = varz(mon)
        peak = status_kib(hub.pid, "VmHWM")
        pct = lambda p: 100.0 * (cpu1[p.pid] - cpu0[p.pid]) / elapsed
        with open(logs["hub"], errors="replace") as f:
            hub_log = f.read()
        lines = [m for m in FLEET_LINE.finditer(hub_log)]
        # The report lines that fall in the measurement: the last seconds/10 of them.
        window = lines[-max(1, int(seconds // 10)):] if lines else []
        samples_s = [float(m.group(4)) for m in window]
        p50 = [int(m.group(5)) for m in window]
        p99 = [int(m.group(6)) for m in window]
        in_msgs = (v1["in_msgs"] - v0["in_msgs"]) / elapsed
        in_bytes = (v1["in_bytes"] - v0["in_bytes"]) / elapsed
        out_msgs = (v1["out_msgs"] - v0["out_msgs"]) / elapsed
        out_bytes = (v1["out_bytes"] - v0["out_bytes"]) / elapsed
        mean_samples = sum(samples_s) / len(samples_s) if samples_s else 0.0
        pages = []
        if page is not None:
            pages.append(page_result_of(page, seconds + 180))
            for cmd in page_cmds[1:]:
                pages.append(page_result_of(start_page(cmd, page_seconds), page_seconds + 180))
        if not window or mean_samples == 0:
            print("  the hub read nothing; its log says:\n" + "\n".join(
                l for l in hub_log.splitlines() if " WARN " in l or " ERROR " in l)[-3000:],
                flush=True)
        result = {
            "pages": pages, "hub_args": hub_args, "max_per_page": max_per_page,
            "hosts": hosts, "containers_per_host": containers,
            "expected_samples_per_s": hosts * containers,
            "seconds": round(elapsed, 1),
            "hub_cpu_pct": round(pct(hub), 1),
            "hub_rss_mib_mean": round(sum(rss) / len(rss) / 1024, 1) if rss else 0,
            "hub_rss_mib_peak": round(peak / 1024, 1),
            "hub_series": series,
            "agents_cpu_pct": round(sum(pct(a) for a in agents), 1),
            "nats_cpu_pct": round(pct(nats), 1),
            "nats_in_msgs_per_s": round(in_msgs), "nats_in_bytes_per_s": round(in_bytes),
            "nats_out_msgs_per_s": round(out_msgs), "nats_out_bytes_per_s": round(out_bytes),
            "hub_samples_per_s": round(mean_samples),
            "age_p50_ms": max(p50) if p50 else None,
            "age_p99_ms": max(p99) if p99 else None,
            "bytes_per_sample_on_nats": round(in_bytes / mean_samples, 1) if mean_samples else None,
            "hub_bad": int(window[-1].group(7)) if window else None,
            "hub_lost": int(window[-1].group(8)) if window else None,
        }
        return result
    finally:
        for p in reversed(started):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in reversed(started):
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        agent_logs = ""
        for name, path in logs.items():
            if name.startswith("agent"):
                with open(path, errors="replace") as f:
                    agent_logs += f.read()
        dropped = re.findall(r"the agent stopped.*?dropped=(\d+)", agent_logs)
        if dropped:
            print(f"  agents dropped {sum(int(d) for d in dropped)} messages", flush=True)
        if os.environ.get("BENCH_KEEP"):
            print(f"  kept {work}", flush=True)
        else:
            shutil.rmtree(work, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="100x100,300x100,1000x100")
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--warmup", type=int, default=25)
    ap.add_argument("--procs", type=int, default=2, help="agent processes sharing the hosts")
    ap.add_argument("--page", action="append", default=[],
                    help="open the hub's page with this query (e.g. '?top=50'); repeatable")
    ap.add_argument("--page-seconds", type=int, default=30,
                    help="how long each page after the first is measured")
    ap.add_argument("--throttle", type=int, default=1, help="the pages' CPU throttling rate")
    ap.add_argument("--max-per-page", type=int, default=500, help="the hub's --max-per-page")
    ap.add_argument("--hub-arg", action="append", default=[],
                    help="one more argument for the hub (e.g. --hub-arg=--history=0); repeatable")
    ap.add_argument("--page-cmd", action="append", default=[],
                    help="a command to run as a page ({url}, {seconds}); repeatable")
    ap.add_argument("--tag", default="fleet")
    ap.add_argument("--max-load", type=float, default=1.0,
                    help="wait (up to --wait-idle s) for the 1-minute load to fall below this")
    ap.add_argument("--wait-idle", type=int, default=0)
    ap.add_argument("--stream-mib", type=int, default=1024,
                    help="the hub's --nats-stream-mib (JetStream must have that much storage)")
    args = ap.parse_args()
    if not os.path.exists(STATSCOPE):
        sys.exit("build it first: cargo build --release -p statscope-bridge")
    load = os.getloadavg()
    print(f"load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} "
          f"({os.cpu_count()} CPUs)", flush=True)
    raw = raw_docker_bytes()
    results = []
    for size in args.sizes.split(","):
        hosts, containers = (int(x) for x in size.split("x"))
        waited = 0
        while os.getloadavg()[0] >= args.max_load and waited < args.wait_idle:
            if waited % 30 == 0:
                print(f"  load {os.getloadavg()[0]:.2f} >= {args.max_load}: waiting", flush=True)
            time.sleep(5)
            waited += 5
        size_load = os.getloadavg()
        print(f"{hosts} hosts x {containers} containers, load {size_load[0]:.2f} ...", flush=True)
        page_cmds = [f"node {ROOT}/bench/fleet-page.mjs '{{url}}{q}' {{seconds}} --throttle "
                     f"{args.throttle}" for q in args.page] + args.page_cmd
        r = run_size(hosts, containers, args.seconds, args.warmup, args.procs, page_cmds,
                     args.stream_mib, args.max_per_page, args.page_seconds, args.hub_arg)
        r["load_at_start"] = [round(x, 2) for x in size_load]
        print("  " + json.dumps(r), flush=True)
        results.append(r)
    date = datetime.date.today().isoformat()
    out = os.path.join(ROOT, "bench/results", f"{date}-{args.tag}")
    with open(out + ".json", "w") as f:
        json.dump({"load_average": load, "raw_docker_bytes_per_object": round(raw),
                   "results": results}, f, indent=1)
    rows = ["| hosts × containers | samples/s at the hub (expected) | hub CPU | hub RSS mean / peak | "
            "NATS in msgs/s, MB/s | NATS out msgs/s, MB/s | bytes/sample on NATS | age at hub p50 / p99 | "
            "agents CPU | nats-server CPU | load at start |",
            "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        rows.append(
            f"| {r['hosts']} × {r['containers_per_host']} | {r['hub_samples_per_s']:,} "
            f"({r['expected_samples_per_s']:,}) | {r['hub_cpu_pct']} % | {r['hub_rss_mib_mean']} / "
            f"{r['hub_rss_mib_peak']} MiB | {r['nats_in_msgs_per_s']:,}, "
            f"{r['nats_in_bytes_per_s'] / 1e6:.2f} | {r['nats_out_msgs_per_s']:,}, "
            f"{r['nats_out_bytes_per_s'] / 1e6:.2f} | {r['bytes_per_sample_on_nats']} | "
            f"{r['age_p50_ms']} / {r['age_p99_ms']} ms | {r['agents_cpu_pct']} % | {r['nats_cpu_pct']} % | "
            f"{r['load_at_start'][0]} |")
    prow = ["| hosts × containers | page | containers sent | received KB/s | main thread busy (CPU) | "
            "main-thread ms/s | frame p50 / p99 / max | long tasks (max) | redraws/s | "
            "sample-to-curve p50 / p99 |", "|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        for pg in r.get("pages") or []:
            if not pg:
                continue
            sub = pg.get("subscribed") or {}
            f, lt, lat = pg["frameMs"], pg["longtasks"], pg["latencyMs"]
            prow.append(
                f"| {r['hosts']} × {r['containers_per_host']} | `{pg['url'].split('/', 3)[3]}`"
                f"{' ×' + str(pg['throttle']) + ' CPU' if pg['throttle'] > 1 else ''} | "
                f"{sub.get('shown', pg['containers'])} | {pg['bytesPerS'] / 1000:.1f} | "
                f"{pg['busyPct']:.1f} % ({pg['busyCpuPct']:.1f} %) | {pg['mainThreadMsPerS']} | "
                f"{f['p50']:.1f} / {f['p99']:.1f} / {f['max']:.1f} ms | {lt['count']} "
                f"({lt['max']:.0f} ms) | {pg['redrawsPerS']} | "
                f"{lat['p50'] or 0:.0f} / {lat['p99'] or 0:.0f} ms |")
    text = (f"Fleet benchmark, {date}; load average at start {load[0]:.2f} ({os.cpu_count()} CPUs); "
            f"raw Docker stats object: {raw:.0f} bytes (mean of the real recording).\n\n"
            + "\n".join(rows) + "\n" + ("\n" + "\n".join(prow) + "\n" if len(prow) > 2 else ""))
    with open(out + ".md", "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
