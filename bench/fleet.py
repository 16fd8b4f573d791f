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

The page-side figures (a top-50 page's bytes/s, main-thread busy %, frame p99, and the same page fed
the whole fleet raw) need the page to tell the hub what it shows (issue 15 item 3), not built yet.
The hook is ready: --page-cmd runs a command during each measurement, with {url} replaced by the
hub's page URL and {seconds} by the measurement's length; whatever JSON object it prints last on
stdout is kept in the results as "page" (e.g. --page-cmd 'node bench/fleet-page.mjs {url}?top=50
{seconds}', a driver to write beside bench/driver.mjs).
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


def run_size(hosts, containers, seconds, warmup, procs, page_cmd, stream_mib):
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
                            "--nats-stream-mib", str(stream_mib), "--history-mib", "2048"],
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
        page = None
        if page_cmd:
            cmd = page_cmd.replace("{url}", f"http://127.0.0.1:{http}/").replace(
                "{seconds}", str(seconds))
            page = subprocess.Popen(cmd, shell=True, stdout=subprocess.PIPE, text=True)
        t0 = time.time()
        cpu0 = {p.pid: cpu_seconds(p.pid) for p in started}
        v0 = varz(mon)
        rss = []
        while time.time() - t0 < seconds:
            time.sleep(1)
            rss.append(status_kib(hub.pid, "VmRSS"))
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
        page_result = None
        if page is not None:
            out, _ = page.communicate(timeout=seconds + 120)
            for line in reversed(out.splitlines()):
                try:
                    page_result = json.loads(line)
                    break
                except ValueError:
                    continue
        if not window or mean_samples == 0:
            print("  the hub read nothing; its log says:\n" + "\n".join(
                l for l in hub_log.splitlines() if " WARN " in l or " ERROR " in l)[-3000:],
                flush=True)
        result = {
            "page": page_result,
            "hosts": hosts, "containers_per_host": containers,
            "expected_samples_per_s": hosts * containers,
            "seconds": round(elapsed, 1),
            "hub_cpu_pct": round(pct(hub), 1),
            "hub_rss_mib_mean": round(sum(rss) / len(rss) / 1024, 1) if rss else 0,
            "hub_rss_mib_peak": round(peak / 1024, 1),
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
    ap.add_argument("--page-cmd", help="a command to run during each measurement ({url}, {seconds})")
    ap.add_argument("--tag", default="fleet")
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
        print(f"{hosts} hosts x {containers} containers ...", flush=True)
        r = run_size(hosts, containers, args.seconds, args.warmup, args.procs, args.page_cmd,
                     args.stream_mib)
        print("  " + json.dumps(r), flush=True)
        results.append(r)
    date = datetime.date.today().isoformat()
    out = os.path.join(ROOT, "bench/results", f"{date}-{args.tag}")
    with open(out + ".json", "w") as f:
        json.dump({"load_average": load, "raw_docker_bytes_per_object": round(raw),
                   "results": results}, f, indent=1)
    rows = ["| hosts × containers | samples/s at the hub (expected) | hub CPU | hub RSS mean / peak | "
            "NATS in msgs/s, MB/s | NATS out msgs/s, MB/s | bytes/sample on NATS | age at hub p50 / p99 | "
            "agents CPU | nats-server CPU |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        rows.append(
            f"| {r['hosts']} × {r['containers_per_host']} | {r['hub_samples_per_s']:,} "
            f"({r['expected_samples_per_s']:,}) | {r['hub_cpu_pct']} % | {r['hub_rss_mib_mean']} / "
            f"{r['hub_rss_mib_peak']} MiB | {r['nats_in_msgs_per_s']:,}, "
            f"{r['nats_in_bytes_per_s'] / 1e6:.2f} | {r['nats_out_msgs_per_s']:,}, "
            f"{r['nats_out_bytes_per_s'] / 1e6:.2f} | {r['bytes_per_sample_on_nats']} | "
            f"{r['age_p50_ms']} / {r['age_p99_ms']} ms | {r['agents_cpu_pct']} % | {r['nats_cpu_pct']} % |")
    text = (f"Fleet benchmark, {date}; load average at start {load[0]:.2f} ({os.cpu_count()} CPUs); "
            f"raw Docker stats object: {raw:.0f} bytes (mean of the real recording).\n\n"
            + "\n".join(rows) + "\n")
    with open(out + ".md", "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
