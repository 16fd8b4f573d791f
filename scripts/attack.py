#!/usr/bin/env python3
"""Attacks on `statscope serve`, measured: the figures of RELIABILITY.md's "Hostile engines and crowds".

    python3 scripts/attack.py [--bin target/release/statscope] [SCENARIO ...]

Each scenario starts the given binary (a fake Docker Engine on a Unix socket, or the demo feed),
attacks it, and prints what it measured: the bridge's peak and current RSS (/proc/PID/status), its
CPU time, what a good WebSocket client still receives, what the bridge logged (WARN lines) and, with
a bridge that has them, its `statscope.notice` messages. Run it against two builds to compare
(before/after). Not part of the test command: bridge/tests/hostile.rs asserts the same things,
smaller and faster.

Scenarios: huge-list long-line silent event-flood many-containers lookalike idle-conns idle-ws
origin-flood (default: all).
"""
import argparse
import asyncio
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ID0 = "5ec0de" + "0" * 58
CLK = os.sysconf("SC_CLK_TCK")


def cid(n):
    return "%064x" % (0x5EC0DE000000 + n)


def status(pid, key):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])  # KiB
    except FileNotFoundError:
        return 0
    return 0


def cpu_s(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK


def mib(kib):
    return f"{kib / 1024:.0f} MiB"


class Bridge:
    """`BIN serve ARGS`, with its stderr collected; `ulimit` sets the soft (and hard) open-file limit."""

    def __init__(self, binary, args, nofile=None):
        root = tempfile.mkdtemp(prefix="statscope-attack-web-")
        with open(os.path.join(root, "index.html"), "w") as f:
            f.write("<!doctype html><title>statscope</title>")

        def limit():
            if nofile:
                resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))

        self.proc = subprocess.Popen(
            [binary, "serve", "--listen", "127.0.0.1:0", "--web-root", root] + args,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=dict(os.environ, RUST_LOG="info"), preexec_fn=limit,
        )
        line = self.proc.stdout.readline()
        self.port = int(re.search(r"http://127\.0\.0\.1:(\d+)", line).group(1))
        self.log = []
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self):
        for line in self.proc.stderr:
            self.log.append(re.sub(r"\x1b\[[0-9;]*m", "", line.rstrip()))

    def warns(self):
        return [l for l in self.log if " WARN " in l]

    def rss(self):
        return status(self.proc.pid, "VmRSS")

    def peak(self):
        return status(self.proc.pid, "VmHWM")

    def stop(self):
        self.proc.kill()
        self.proc.wait()


# ---------------------------------------------------------------------------------------------
# A WebSocket client, enough for a bridge's text frames.

async def ws_open(port, path="/ws", headers=()):
    r, w = await asyncio.open_connection("127.0.0.1", port)
    extra = "".join(f"{h}\r\n" for h in headers)
    w.write(
        (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         f"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n{extra}\r\n").encode()
    )
    head = await r.readuntil(b"\r\n\r\n")
    code = int(head.split()[1])
    return r, w, code


async def ws_frame(r):
    b0, b1 = await r.readexactly(2)
    n = b1 & 0x7F
    if n == 126:
        n = int.from_bytes(await r.readexactly(2), "big")
    elif n == 127:
        n = int.from_bytes(await r.readexactly(8), "big")
    data = await r.readexactly(n)
    return b0 & 0x0F, data


class Viewer:
    """A good client: counts stats frames, keeps notices and what it learned first."""

    def __init__(self):
        self.frames = 0
        self.stats_frames = 0
        self.notices = {}
        self.first = []
        self.all = []
        self.task = None

    async def run(self, port):
        r, w, code = await ws_open(port)
        assert code == 101, code
        start = time.monotonic()
        while True:
            op, data = await ws_frame(r)
            if op != 1:
                continue
            text = data.decode("utf-8", "replace")
            self.frames += 1
            if time.monotonic() - start < 0.3:
                self.first.append(text)
            if len(self.all) < 1000:
                self.all.append(text)
            if text.startswith('{"type"'):
                m = json.loads(text)
                if m.get("type") == "statscope.notice":
                    self.notices[m["cause"]] = m
            else:
                self.stats_frames += 1

    def start(self, port):
        self.task = asyncio.ensure_future(self.run(port))
        return self


# ---------------------------------------------------------------------------------------------
# A fake Docker Engine on a Unix socket.

def stats_line(i, n):
    return json.dumps({
        "read": "2026-11-24T05:%02d:%02d.000000000Z" % (n // 60 % 60, n % 60),
        "id": cid(i), "name": f"/c{i}",
        "cpu_stats": {"cpu_usage": {"total_usage": n * 10_000_000}, "system_cpu_usage": n * 100_000_000, "online_cpus": 1},
        "memory_stats": {"usage": 1 << 20},
    }, separators=(",", ":"))


def inspect_body(i_or_id, running=True):
    ident = i_or_id if isinstance(i_or_id, str) else cid(i_or_id)
    return json.dumps({"Id": ident, "Name": "/c", "Config": {"Image": "busybox"}, "State": {"Running": running},
                       "HostConfig": {"NanoCpus": 0}}).encode()


class Engine:
    def __init__(self, handler):
        self.dir = tempfile.mkdtemp(prefix="statscope-attack-engine-")
        self.sock = os.path.join(self.dir, "docker.sock")
        self.handler = handler
        self.requests = {}
        self.open_streams = 0
        self.max_open_streams = 0

    async def start(self):
        self.server = await asyncio.start_unix_server(self._conn, path=self.sock, limit=1 << 20)
        return self

    def count(self, kind):
        self.requests[kind] = self.requests.get(kind, 0) + 1

    async def _conn(self, r, w):
        try:
            while True:
                line = await r.readline()
                if not line:
                    return
                target = line.decode().split(" ")[1]
                while (await r.readline()) not in (b"\r\n", b""):
                    pass
                await self.handler(self, target, r, w)
        except (ConnectionError, asyncio.IncompleteReadError, IndexError):
            pass
        finally:
            w.close()


def reply(w, body, status="200 OK", length=None):
    length = len(body) if length is None else length
    w.write(f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n\r\n".encode() + body)


STREAM = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"


def chunk(data):
    return b"%x\r\n%s\r\n" % (len(data), data)


async def stream_stats(engine, w, i, extra=None):
    engine.open_streams += 1
    engine.max_open_streams = max(engine.max_open_streams, engine.open_streams)
    try:
        w.write(STREAM)
        n = 0
        while True:
            if extra:
                await extra(w, n)
            w.write(chunk((stats_line(i, n) + "\n").encode()))
            await w.drain()
            n += 1
            await asyncio.sleep(1)
    finally:
        engine.open_streams -= 1


async def hold_open(w):
    w.write(STREAM)
    await w.drain()
    await asyncio.Event().wait()


def standard(list_ids, on_stats=None, events=None, inspect=None):
    """An engine running `list_ids` (indexes), streaming a line a second for each."""

    async def handler(engine, target, r, w):
        engine.count(target.split("?")[0].rsplit("/", 1)[-1] if target.startswith("/containers/") else target.split("?")[0])
        if target == "/_ping":
            reply(w, b"OK")
        elif target == "/containers/json":
            reply(w, json.dumps([{"Id": cid(i)} for i in list_ids]).encode())
        elif target.startswith("/events"):
            if events:
                await events(engine, w)
            else:
                await hold_open(w)
        elif target.endswith("/json"):
            ident = target.split("/")[2]
            reply(w, inspect(ident) if inspect else inspect_body(ident))
        elif "/stats" in target:
            ident = target.split("/")[2]
            i = int(ident, 16) - 0x5EC0DE000000
            await stream_stats(engine, w, i, on_stats(i) if on_stats else None)
        else:
            reply(w, b"", "404 Not Found")
        await w.drain()

    return handler


# ---------------------------------------------------------------------------------------------
# Scenarios. Each returns a dict of figures.

async def watch(bridge, seconds, viewer=None):
    """Samples the bridge's RSS and CPU for `seconds`; returns (peak RSS KiB, CPU s used)."""
    cpu0 = cpu_s(bridge.proc.pid)
    peak = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        peak = max(peak, bridge.rss())
        await asyncio.sleep(0.2)
    return peak, cpu_s(bridge.proc.pid) - cpu0


async def huge_list(binary):
    size = 1_500_000_000
    piece = (json.dumps({"Id": ID0, "Names": ["/x" * 100], "Labels": {"k": "v" * 400}}) + ",").encode()
    block = piece * (1 << 20 // len(piece))

    async def handler(engine, target, r, w):
        if target == "/containers/json":
            # A long answer, announced; then sent (if the bridge reads it).
            w.write(f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {size}\r\n\r\n[".encode())
            sent = 1
            while sent < size - 2:
                data = block[: size - 2 - sent]
                w.write(data)
                sent += len(data)
                await w.drain()
            w.write(b"{}]")
            await w.drain()
        else:
            await standard([0])(engine, target, r, w)

    engine = await Engine(handler).start()
    b = Bridge(binary, ["--docker", f"unix://{engine.sock}"])
    v = Viewer().start(b.port)
    peak, cpu = await watch(b, 20)
    out = {"peak_rss": mib(b.peak()), "rss_after": mib(b.rss()), "cpu_s": round(cpu, 1),
           "notices": sorted(v.notices), "warn_lines": len(b.warns())}
    b.stop()
    return out


async def long_line(binary):
    done = {}

    def on_stats(i):
        async def extra(w, n):
            if n == 1:
                t0 = time.monotonic()
                piece = b"x" * 256
                for k in range(50_000_000 // 256):
                    w.write(chunk(piece))
                    if k % 64 == 0:
                        await w.drain()
                w.write(chunk(b"\n"))
                await w.drain()
                done["send_s"] = time.monotonic() - t0
        return extra

    engine = await Engine(standard([0, 1], on_stats=on_stats)).start()
    b = Bridge(binary, ["--docker", f"unix://{engine.sock}"])
    v = Viewer().start(b.port)
    await asyncio.sleep(1)
    frames0 = v.stats_frames
    cpu0 = cpu_s(b.proc.pid)
    t0 = time.monotonic()
    while "send_s" not in done and time.monotonic() - t0 < 300:
        await asyncio.sleep(0.2)
    # The bridge may still be chewing on what it was sent: wait until its CPU use settles.
    last = cpu_s(b.proc.pid)
    while time.monotonic() - t0 < 180:
        await asyncio.sleep(1)
        now = cpu_s(b.proc.pid)
        if now - last < 0.2:
            break
        last = now
    out = {"line_fully_read": "send_s" in done,
           "bridge_cpu_s": round(cpu_s(b.proc.pid) - cpu0, 1), "wall_s": round(time.monotonic() - t0, 1),
           "peak_rss": mib(b.peak()), "stats_frames_meanwhile": v.stats_frames - frames0,
           "notices": sorted(v.notices)}
    b.stop()
    return out


async def silent(binary):
    async def handler(engine, target, r, w):
        engine.count(target)
        await asyncio.Event().wait()  # accepts, reads the request, never answers

    engine = await Engine(handler).start()
    b = Bridge(binary, ["--docker", f"unix://{engine.sock}"])
    v = Viewer().start(b.port)
    await asyncio.sleep(30)
    out = {"requests_in_30s": sum(engine.requests.values()), "warn_lines": len(b.warns()),
           "first_warn": (b.warns() or ["-"])[0][-160:], "notices": sorted(v.notices)}
    b.stop()
    return out


async def event_flood(binary):
    async def events(engine, w):
        w.write(STREAM)
        n = 0
        t0 = time.monotonic()
        while time.monotonic() - t0 < 25:
            batch = b"".join(
                chunk((json.dumps({"Type": "container", "Action": "start", "Actor": {"ID": cid(1000 + (n + k) % 5000), "Attributes": {"name": "f"}},
                                   "time": 1795496400, "timeNano": 1795496400000000000}) + "\n").encode())
                for k in range(50))
            n += 50
            engine.events_sent = n
            w.write(batch)
            await w.drain()
            await asyncio.sleep(0)
        await asyncio.Event().wait()

    engine = await Engine(standard([0], events=events)).start()
    b = Bridge(binary, ["--docker", f"unix://{engine.sock}"])
    rss0 = b.rss()
    v = Viewer().start(b.port)
    await asyncio.sleep(1)
    f0 = v.stats_frames
    peak, cpu = await watch(b, 25)
    out = {"events_sent": getattr(engine, "events_sent", 0), "stats_streams_opened": engine.requests.get("stats", 0),
           "max_streams_open": engine.max_open_streams, "inspects": engine.requests.get("json", 0) - 0,
           "rss": f"{mib(rss0)} -> {mib(peak)}", "good_client_stats_frames_25s": v.stats_frames - f0,
           "event_frames": v.frames - v.stats_frames, "notices": sorted(v.notices)}
    b.stop()
    return out


async def many_containers(binary):
    engine = await Engine(standard(range(1100))).start()
    b = Bridge(binary, ["--docker", f"unix://{engine.sock}"], nofile=1024)
    seen = set()

    async def read():
        r, w, code = await ws_open(b.port)
        notices = {}
        while True:
            op, data = await ws_frame(r)
            text = data.decode()
            if text.startswith('{"type"'):
                m = json.loads(text)
                if m["type"] == "statscope.notice":
                    notices[m["cause"]] = m
                    read.notices = notices
                continue
            for m in re.finditer(r'"id":"([0-9a-f]{64})"', text):
                seen.add(m.group(1))

    read.notices = {}
    t = asyncio.ensure_future(read())
    await asyncio.sleep(20)
    t.cancel()
    out = {"containers_with_stats": len(seen), "max_streams_open": engine.max_open_streams,
           "notices": {k: v["text"] for k, v in read.notices.items()}, "warn_lines": len(b.warns()),
           "peak_rss": mib(b.peak())}
    b.stop()
    return out


async def lookalike(binary):
    evil = json.dumps({"type": "statscope.container", "id": cid(0), "name": "EVIL", "image": "x", "cpuLimit": 64},
                      separators=(",", ":"))

    def on_stats(i):
        async def extra(w, n):
            if n == 1:
                # Alone in its 100 ms tick.
                w.write(chunk((evil + "\n").encode()))
                await w.drain()
                await asyncio.sleep(0.5)
        return extra

    engine = await Engine(standard([0], on_stats=on_stats)).start()
    b = Bridge(binary, ["--docker", f"unix://{engine.sock}"])
    early = Viewer().start(b.port)
    await asyncio.sleep(4)
    late = Viewer().start(b.port)
    await asyncio.sleep(1)
    out = {"sent_alone_as_a_frame": any(f == evil for f in early.all),
           "relayed_inside_an_array": any(f.startswith("[") and evil in f for f in early.all),
           "late_viewer_told_EVIL": any("EVIL" in f for f in late.first)}
    b.stop()
    return out


async def idle_conns(binary):
    b = Bridge(binary, ["--demo"], nofile=1024)
    rss0 = b.rss()
    conns = []
    for _ in range(1100):
        try:
            conns.append(await asyncio.open_connection("127.0.0.1", b.port))
        except OSError:
            break
    half = conns[:50]
    for _, w in half:
        w.write(b"GET / HTTP/1.1\r\nHost: x\r\n")  # half a request
    await asyncio.sleep(1)

    async def fresh():
        try:
            r, w = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", b.port), 5)
            w.write(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            line = await asyncio.wait_for(r.readline(), 5)
            w.close()
            return line.decode().strip()
        except (OSError, asyncio.TimeoutError) as e:
            return f"failed: {type(e).__name__}"

    answer = await fresh()
    # How long are they held? Count the ones still open after 15 s and after 45 s.

    async def still_open(pairs):
        n = 0
        for r, w in pairs:
            try:
                data = await asyncio.wait_for(r.read(1), 0.001)
                if data:
                    n += 1
            except asyncio.TimeoutError:
                n += 1
            except OSError:
                pass
        return n

    await asyncio.sleep(14)
    open15 = await still_open(conns)
    await asyncio.sleep(30)
    open45 = await still_open(conns)
    out = {"opened": len(conns), "fresh_client": answer, "open_after_15s": open15, "open_after_45s": open45,
           "warn_lines": len(b.warns()), "log_sample": (b.warns() or ["-"])[-1][-120:], "rss": f"{mib(rss0)} -> {mib(b.peak())}"}
    for _, w in conns:
        w.close()
    b.stop()
    return out


async def idle_ws(binary, args=(), n=5000):
    b = Bridge(binary, ["--demo"] + list(args), nofile=20000)
    await asyncio.sleep(1)
    rss0 = b.rss()
    socks = []
    refused = 0
    for k in range(n):
        try:
            r, w, code = await ws_open(b.port)
            if code == 101:
                socks.append((r, w))
            else:
                refused += 1
                w.close()
        except (OSError, asyncio.IncompleteReadError):
            refused += 1
    await asyncio.sleep(3)
    rss_open = b.rss()
    for _, w in socks:
        w.close()
    await asyncio.sleep(10)
    rss_closed = b.rss()
    out = {"websockets": len(socks), "refused": refused, "rss_start": mib(rss0), "rss_open": mib(rss_open),
           "rss_after_close": mib(rss_closed)}
    b.stop()
    return out


async def origin_flood(binary):
    b = Bridge(binary, ["--demo", "--token", "s3cret"])
    await asyncio.sleep(0.5)
    w0 = len(b.warns())
    t0 = time.monotonic()
    n = 0
    while time.monotonic() - t0 < 10:
        for hdr in (["Origin: http://evil.example"], []):
            try:
                r, w, code = await ws_open(b.port, "/ws?token=wrong" if not hdr else "/ws", hdr)
                w.close()
            except OSError:
                pass
            n += 1
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.5)
    out = {"refused_attempts": n, "warn_lines": len(b.warns()) - w0}
    b.stop()
    return out


SCENARIOS = {
    "huge-list": huge_list, "long-line": long_line, "silent": silent, "event-flood": event_flood,
    "many-containers": many_containers, "lookalike": lookalike, "idle-conns": idle_conns, "idle-ws": idle_ws,
    "origin-flood": origin_flood,
}


def quiet_exit(loop, context):
    """Tasks of the fake engine cut off when a scenario ends are not news."""
    if not isinstance(context.get("exception"), (asyncio.CancelledError, ConnectionError)):
        loop.default_exception_handler(context)


async def main():
    asyncio.get_running_loop().set_exception_handler(quiet_exit)
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--bin", default=os.path.join(ROOT, "target/release/statscope"))
    p.add_argument("--ws-args", default="", help="extra flags for idle-ws (e.g. raised caps)")
    p.add_argument("scenarios", nargs="*", default=list(SCENARIOS))
    a = p.parse_args()
    resource.setrlimit(resource.RLIMIT_NOFILE, (20000, 20000))
    for name in a.scenarios:
        t0 = time.monotonic()
        if name == "idle-ws" and a.ws_args:
            result = await idle_ws(a.bin, a.ws_args.split())
        else:
            result = await SCENARIOS[name](a.bin)
        print(json.dumps({"scenario": name, "seconds": round(time.monotonic() - t0), **result}), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
