#!/usr/bin/env python3
"""docker-cli-golden.py - the docker CLI's OWN `docker stats` output for every
line of a stats recording (ground truth for `statscope stats --format json`).

For each input line (one Docker Engine stats JSON object) a fake Docker daemon
on a private Unix socket serves exactly that object as the answer of
`GET /v*/containers/{id}/stats?stream=0`, and the real docker CLI is run once:

    DOCKER_HOST=unix://<tmp>/fake.sock docker stats --no-stream --format '{{json .}}'

i.e. the no-argument mode: the CLI subscribes to /events, lists the running
containers via /containers/json (the fake lists the line's container) and
fetches its stats. In that mode the `Container` column is the CLI's default
(the 12-char ID on CLI <= 28). The CLI's single output line is written to
<recording>.docker-cli.jsonl (one line per input line, same order).

Lines whose `id` is missing or shorter than 12 characters are listed under a
placeholder ID (PLACEHOLDER_ID), which then shows in the `Container` column.

The daemon OS type the CLI uses comes from the parenthesised part of the
`Server: Docker/20.10.24 (linux)` header of the stats response (docker/client
getDockerOS); `--os auto` (default) says "windows" for lines whose `os_type`
is "windows" and "linux" otherwise. The ping's `OSType` header matches.

Usage:
    scripts/docker-cli-golden.py RECORDING [RECORDING...]
        [--docker PATH] [--os auto|linux|windows]
        [--out PATH] (only with one recording) [--jobs N] [--log-requests] [--check]

  --check         do not write; compare with the existing golden, exit 1 on a
                  difference (for CI, needs the same CLI version)
  --log-requests  print every request the CLI makes (method, path, headers)

Needs only the Python 3 standard library and the docker CLI binary (no
daemon): the `docker` on PATH unless --docker names another. The committed
goldens were produced with docker CLI 28.2.2; Debian's CLI 20.10.24
(`docker.io`'s /usr/bin/docker, which also asks for /version and sends limit=0
to /containers/json) gives byte-identical output for all of them, so `--check`
works in CI with whichever of the two is installed.
"""

import argparse
import concurrent.futures
import json
import os
import shutil
import queue
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler

API_VERSION = "1.41"          # Docker 20.10.24
MIN_API_VERSION = "1.12"
DAEMON_VERSION = "20.10.24"
PLACEHOLDER_ID = "0123456789ab" * 5 + "cdef"


class State:
    """What the fake daemon currently serves (one recorded line)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.line = b""
        self.obj = {}
        self.os = "linux"
        self.requests = []
        self.log = False

    def cid(self):
        cid = self.obj.get("id") or ""
        return cid if len(cid) >= 12 else PLACEHOLDER_ID

    def name(self):
        return self.obj.get("name") or "/statscope-fake"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    @property
    def state(self):
        return self.server.state

    def version_string(self):  # the Server header
        return f"Docker/{DAEMON_VERSION} ({self.state.os})"

    def log_message(self, fmt, *args):  # silence stderr access log
        pass

    def _record(self):
        entry = f"{self.command} {self.path}"
        with self.state.lock:
            self.state.requests.append(entry)
        if self.state.log:
            hdrs = "; ".join(f"{k}: {v}" for k, v in self.headers.items())
            print(f"  fake-daemon <- {entry}  [{hdrs}]", file=sys.stderr)

    def _common_headers(self):
        self.send_header("Api-Version", API_VERSION)
        self.send_header("Docker-Experimental", "false")
        self.send_header("Ostype", self.state.os)

    def _send(self, code, body, ctype="application/json", head=False):
        self.send_response(code)
        self._common_headers()
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _path(self):
        p = self.path.split("?", 1)[0]
        # strip the /v1.xx API version prefix
        parts = p.split("/")
        if len(parts) > 1 and parts[1].startswith("v") and parts[1][1:2].isdigit():
            p = "/" + "/".join(parts[2:])
        return p

    def do_HEAD(self):
        self._record()
        if self._path() == "/_ping":
            self.send_response(200)
            self._common_headers()
            self.send_header("Cache-Control", "no-cache, no-store, must-revalidate")
            self.send_header("Pragma", "no-cache")
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self._send(404, b"", head=True)

    def do_GET(self):
        self._record()
        p = self._path()
        if p == "/_ping":
            self._send(200, b"OK", "text/plain; charset=utf-8")
        elif p == "/version":
            body = {
                "Version": DAEMON_VERSION, "ApiVersion": API_VERSION,
                "MinAPIVersion": MIN_API_VERSION, "Os": self.state.os, "Arch": "amd64",
                "GitCommit": "5d6db84", "GoVersion": "go1.19.8",
                "KernelVersion": "6.1.0", "BuildTime": "2023-01-01T00:00:00.000000000+00:00",
            }
            self._send(200, json.dumps(body).encode() + b"\n")
        elif p == "/info":
            body = {"OSType": self.state.os, "ServerVersion": DAEMON_VERSION,
                    "NCPU": 2, "Containers": 1, "ContainersRunning": 1}
            self._send(200, json.dumps(body).encode() + b"\n")
        elif p == "/containers/json":
            c = {"Id": self.state.cid(), "Names": [self.state.name()],
                 "Image": "statscope-busybox:latest", "ImageID": "sha256:" + "0" * 64,
                 "Command": "sh", "Created": 1700000000, "Ports": [], "Labels": {},
                 "State": "running", "Status": "Up 5 minutes",
                 "HostConfig": {"NetworkMode": "default"},
                 "NetworkSettings": {"Networks": {}}, "Mounts": []}
            self._send(200, json.dumps([c]).encode() + b"\n")
        elif p == "/events":
            # A stream that never delivers an event; held open until the CLI
            # disconnects (it does when it exits).
            self.send_response(200)
            self._common_headers()
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.wfile.flush()
            try:
                while True:
                    # wait for the client to close the connection
                    if not self.rfile.read(1):
                        break
            except OSError:
                pass
            self.close_connection = True
        elif p.startswith("/containers/") and p.endswith("/stats"):
            self._send(200, self.state.line)
        else:
            msg = {"message": f"statscope fake daemon: {self.command} {p} not implemented"}
            self._send(404, json.dumps(msg).encode() + b"\n")


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    allow_reuse_address = True

    def get_request(self):
        req, _ = super().get_request()
        return req, ("fake-docker", 0)  # BaseHTTPRequestHandler wants a tuple


def line_os(obj, mode):
    if mode != "auto":
        return mode
    return "windows" if obj.get("os_type") == "windows" else "linux"


class Worker:
    """One fake daemon (own socket, own state) plus the env to point the CLI at it."""

    def __init__(self, tmp, idx, docker, log):
        self.sock = os.path.join(tmp, f"fake{idx}.sock")
        self.state = State()
        self.state.log = log
        self.srv = Server(self.sock, Handler)
        self.srv.state = self.state
        threading.Thread(target=self.srv.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()
        cfg = os.path.join(tmp, f"config{idx}")
        os.mkdir(cfg)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKER_")}
        self.env.update({"DOCKER_HOST": f"unix://{self.sock}", "DOCKER_CONFIG": cfg,
                         "DOCKER_CLI_HINTS": "false", "LC_ALL": "C"})
        self.docker = docker

    def run(self, raw, os_type):
        st = self.state
        with st.lock:
            st.line = raw + b"\n"
            st.obj = json.loads(raw)
            st.os = os_type
            st.requests = []
        cmd = [self.docker, "stats", "--no-stream", "--format", "{{json .}}"]
        t = time.monotonic()
        p = subprocess.run(cmd, env=self.env, capture_output=True, timeout=60)
        dt = time.monotonic() - t
        with st.lock:
            reqs = list(st.requests)
        return p.returncode, p.stdout, p.stderr, reqs, dt

    def close(self):
        self.srv.shutdown()
        self.srv.server_close()


def golden_for(path, args, workers):
    with open(path, "rb") as f:
        lines = [l for l in f.read().split(b"\n") if l.strip()]
    free = queue.Queue()
    for w in workers:
        free.put(w)

    def one(n_raw):
        n, raw = n_raw
        w = free.get()
        try:
            return (n,) + w.run(raw, line_os(json.loads(raw), args.os))
        finally:
            free.put(w)

    out_lines, times = [], []
    with concurrent.futures.ThreadPoolExecutor(len(workers)) as ex:
        for n, rc, out, err, reqs, dt in ex.map(one, enumerate(lines, 1)):
            got = out.decode().splitlines()
            if rc != 0 or len(got) != 1:
                sys.exit(f"{path}:{n}: docker CLI rc={rc}, {len(got)} output lines\n"
                         f"stdout: {out!r}\nstderr: {err!r}\nrequests: {reqs}")
            if err.strip():
                print(f"{path}:{n}: CLI stderr: {err.decode().strip()}", file=sys.stderr)
            if args.log_requests:
                print(f"{path}:{n}: requests: {reqs}", file=sys.stderr)
            out_lines.append(got[0])
            times.append(dt)
    return out_lines, times


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("recordings", nargs="+")
    ap.add_argument("--docker", default=shutil.which("docker") or "docker",
                    help="the docker CLI to run (default: the one on PATH)")
    ap.add_argument("--os", default="auto", choices=["auto", "linux", "windows"])
    ap.add_argument("--out")
    ap.add_argument("--log-requests", action="store_true")
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--jobs", type=int, default=6,
                    help="CLI runs in parallel, each against its own fake daemon (default 6)")
    args = ap.parse_args()
    if args.out and len(args.recordings) != 1:
        ap.error("--out needs exactly one recording")

    ver = subprocess.run([args.docker, "--version"], capture_output=True, text=True)
    print(f"using {args.docker}: {ver.stdout.strip()}", file=sys.stderr)
    if "version 28.2.2," not in ver.stdout and "version 20.10.24" not in ver.stdout:
        print("WARNING: the committed goldens were made with docker CLI 28.2.2 (Debian's "
              "20.10.24 gives identical output); other versions may differ", file=sys.stderr)

    with tempfile.TemporaryDirectory(prefix="statscope-fake-docker.") as tmp:
        workers = [Worker(tmp, i, args.docker, args.log_requests) for i in range(args.jobs)]
        status = 0
        try:
            for rec in args.recordings:
                if args.out:
                    out_path = args.out
                elif rec.endswith(".ndjson"):
                    out_path = rec[:-len(".ndjson")] + ".docker-cli.jsonl"
                else:
                    out_path = rec + ".docker-cli.jsonl"
                t0 = time.monotonic()
                lines, times = golden_for(rec, args, workers)
                wall = time.monotonic() - t0
                text = "".join(l + "\n" for l in lines)
                avg = sum(times) / len(times) if times else 0
                if args.check:
                    old = open(out_path).read() if os.path.exists(out_path) else None
                    if old != text:
                        status = 1
                        print(f"MISMATCH {out_path}", file=sys.stderr)
                        if old is not None:
                            for i, (a, b) in enumerate(zip(old.splitlines(), lines), 1):
                                if a != b:
                                    print(f"  line {i}:\n    have {a}\n    cli  {b}", file=sys.stderr)
                    else:
                        print(f"OK {out_path}", file=sys.stderr)
                else:
                    with open(out_path, "w") as f:
                        f.write(text)
                    print(f"wrote {out_path}", file=sys.stderr)
                print(f"  {len(lines)} lines in {wall:.1f}s wall with {args.jobs} jobs; "
                      f"one CLI run: {avg*1000:.0f} ms avg, {max(times, default=0)*1000:.0f} ms max",
                      file=sys.stderr)
        finally:
            for w in workers:
                w.close()
    sys.exit(status)


if __name__ == "__main__":
    main()
