#!/usr/bin/env python3
"""record-podman.py - record real Podman fixtures through its Docker-compatible API.

Starts `podman system service` on a private socket with its own storage (--root, --runroot,
cgroupfs, file events: no systemd needed), imports a static-busybox image, runs four containers,
and records, byte for byte as the service sent them:

  podman-4.3.ndjson           the stats streams (GET /v1.41/containers/{id}/stats?stream=true) of
                              all four, interleaved in arrival order, one JSON object per line
  podman-4.3-reopen.ndjson    a second stats stream of pm-burn, opened half way (what a bridge
                              that reconnects sees): its first sample is the noisy one
  podman-4.3-oneshot.ndjson   one `stream=false` answer per container
  podman-4.3-events.ndjson    GET /v1.41/events?filters={"type":["container"]} meanwhile
  podman-4.3-version.json     GET /version's body; podman-4.3-version.headers: its headers
  podman-4.3-truth.tsv        the ground truth: for each stats line (file, line number), the
                              container's cgroup CPU time as this script read it from the kernel
                              when the line arrived, and the script's own wall clock then (not
                              Podman's counters or clock): CPU % over any two lines is
                              Δcgroup ÷ Δwall × 100

  pm-burn   `while :; do :; done`                    (~100 % of a core)
  pm-half   --cpus 0.5, the same loop                (~50 %)
  pm-idle   `sleep 3600`                             (~0 %)
  pm-short  `sleep 3600`, stopped (`podman stop -t 0`) half way: its stream just ends

Containers need `--ulimit nofile=20000:20000 --ulimit nproc=32768:32768` as root on this machine
kind (no CAP_SYS_RESOURCE). Everything started is stopped by PID at the end.

Usage: scripts/record-podman.py [OUT_DIR]   (default tests/fixtures/podman; root)
Environment: STATSCOPE_RECORD_SECONDS (default 36).
"""
import http.client
import json
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
import threading
import time

HERE = pathlib.Path(__file__).resolve().parent
OUT = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else HERE.parent / "tests/fixtures/podman")
SECONDS = float(os.environ.get("STATSCOPE_RECORD_SECONDS", "36"))
ROOT = "/var/lib/statscope-podman-record"
RUNROOT = "/run/statscope-podman-record"
SOCK = "/run/statscope-podman-record.sock"
GLOBAL = ["--root", ROOT, "--runroot", RUNROOT, "--cgroup-manager", "cgroupfs", "--events-backend", "file"]
ULIMITS = ["--ulimit", "nofile=20000:20000", "--ulimit", "nproc=32768:32768"]
IMAGE = "statscope-busybox:latest"
EVENTS = "/v1.41/events?filters=%7B%22type%22%3A%5B%22container%22%5D%7D"


def log(msg):
    print(f"record-podman: {msg}", file=sys.stderr)


def podman(*args, check=True):
    out = subprocess.run(["podman", *GLOBAL, *args], capture_output=True, text=True)
    if check and out.returncode != 0:
        raise SystemExit(f"podman {' '.join(args)}: {out.stderr.strip()}")
    return out.stdout.strip()


class UnixHTTP(http.client.HTTPConnection):
    def __init__(self, path, timeout=None):
        super().__init__("d", timeout=timeout)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.path)


def get(path, timeout=10):
    c = UnixHTTP(SOCK, timeout)
    c.request("GET", path)
    r = c.getresponse()
    return r, c


def ensure_image():
    if subprocess.run(["podman", *GLOBAL, "image", "exists", IMAGE]).returncode == 0:
        return
    with tempfile.TemporaryDirectory() as tmp:
        rootfs = pathlib.Path(tmp, "rootfs")
        for sub in ["bin", "tmp", "etc"]:
            (rootfs / sub).mkdir(parents=True)
        shutil.copy("/bin/busybox", rootfs / "bin/busybox")
        applets = subprocess.run(["/bin/busybox", "--list"], capture_output=True, text=True).stdout.split()
        for a in applets:
            if a != "busybox" and "/" not in a:
                os.symlink("busybox", rootfs / "bin" / a)
        (rootfs / "etc/passwd").write_text("root:x:0:0:root:/root:/bin/sh\n")
        (rootfs / "etc/group").write_text("root:x:0:\n")
        tar = pathlib.Path(tmp, "busybox.tar")
        with tarfile.open(tar, "w") as t:
            t.add(rootfs, arcname=".")
        podman("import", "--change", "ENV PATH=/bin", "--change", 'CMD ["sh"]', str(tar), IMAGE)


def cgroup_cpu_ns(pid):
    """The container's CPU time from the kernel: cgroup v1 cpuacct.usage, or v2 cpu.stat."""
    for line in pathlib.Path(f"/proc/{pid}/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if "cpuacct" in controllers.split(","):
            for mount in ["/sys/fs/cgroup/cpuacct", "/sys/fs/cgroup/cpu,cpuacct"]:
                f = pathlib.Path(mount + path, "cpuacct.usage")
                if f.exists():
                    return int(f.read_text())
    for line in pathlib.Path(f"/proc/{pid}/cgroup").read_text().splitlines():
        if line.startswith("0::"):
            stat = pathlib.Path("/sys/fs/cgroup" + line[3:], "cpu.stat").read_text()
            usec = dict(l.split() for l in stat.splitlines())["usage_usec"]
            return int(usec) * 1000
    raise SystemExit(f"no cgroup CPU counter for pid {pid}")


def main():
    if os.geteuid() != 0:
        raise SystemExit("run as root")
    OUT.mkdir(parents=True, exist_ok=True)
    if os.path.exists(SOCK):
        os.remove(SOCK)
    service = subprocess.Popen(["podman", *GLOBAL, "system", "service", "--time=0", f"unix://{SOCK}"],
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    log(f"podman system service: pid {service.pid}")
    names = ["pm-burn", "pm-half", "pm-idle", "pm-short"]
    try:
        for _ in range(150):
            try:
                r, c = get("/_ping", 2)
                if r.read() == b"OK":
                    break
            except OSError:
                pass
            time.sleep(0.2)
        else:
            raise SystemExit("the service did not answer /_ping")
        ensure_image()
        podman("rm", "-f", "-t", "0", *names, check=False)

        events, events_conn = get(EVENTS, None)
        event_lines = []

        def read_events():
            try:
                while True:
                    line = events.readline()
                    if not line:
                        return
                    event_lines.append(line)
            except (OSError, ValueError, http.client.HTTPException):
                return

        threading.Thread(target=read_events, daemon=True).start()

        loop = "while :; do :; done"
        ids = {
            "pm-burn": podman("run", "-d", "--name", "pm-burn", *ULIMITS, IMAGE, "sh", "-c", loop),
            "pm-half": podman("run", "-d", "--name", "pm-half", "--cpus", "0.5", *ULIMITS, IMAGE, "sh", "-c", loop),
            "pm-idle": podman("run", "-d", "--name", "pm-idle", *ULIMITS, IMAGE, "sh", "-c", "sleep 3600"),
            "pm-short": podman("run", "-d", "--name", "pm-short", *ULIMITS, IMAGE, "sh", "-c", "sleep 3600"),
        }
        pids = {n: int(podman("inspect", "--format", "{{.State.Pid}}", i)) for n, i in ids.items()}

        r, c = get("/version")
        version = r.read()
        (OUT / "podman-4.3-version.json").write_bytes(version)
        (OUT / "podman-4.3-version.headers").write_text(
            "".join(f"{k}: {v}\n" for k, v in r.getheaders() if k not in ("Date", "X-Reference-Id")))
        oneshot = []
        for n in names:
            r, c = get(f"/v1.41/containers/{ids[n]}/stats?stream=false")
            oneshot.append(r.read().rstrip(b"\n"))
        (OUT / "podman-4.3-oneshot.ndjson").write_bytes(b"\n".join(oneshot) + b"\n")

        lines = []  # (arrival monotonic ns, name, bytes)
        lock = threading.Lock()
        ended = {}

        def read_stats(name, into):
            r, c = get(f"/v1.41/containers/{ids[name]}/stats?stream=true", None)
            while True:
                line = r.readline()
                if not line:
                    ended[name] = time.monotonic_ns()
                    return
                wall = time.time_ns()
                try:
                    used = cgroup_cpu_ns(pids[name])
                except (OSError, SystemExit):
                    used = None  # stopped meanwhile
                with lock:
                    into.append((time.monotonic_ns(), name, line.rstrip(b"\n"), wall, used))

        reopened = []

        threads = [threading.Thread(target=read_stats, args=(n, lines), daemon=True) for n in names]
        for t in threads:
            t.start()
        start = time.monotonic()
        stopped = False
        while time.monotonic() - start < SECONDS:
            if not stopped and time.monotonic() - start > SECONDS / 2:
                podman("stop", "-t", "0", "pm-short")
                stopped = True
                log("stopped pm-short")
                threading.Thread(target=read_stats, args=("pm-burn", reopened), daemon=True).start()
            time.sleep(0.2)
        with lock:
            recorded = sorted(lines)
            again = sorted(reopened)
        with open(OUT / "podman-4.3-truth.tsv", "w") as f:
            f.write("file\tline\tname\tid\twall_unix_ns\tcgroup_cpu_ns\n")
            for file, rows in [("podman-4.3.ndjson", recorded), ("podman-4.3-reopen.ndjson", again)]:
                (OUT / file).write_bytes(b"".join(r[2] + b"\n" for r in rows))
                for i, (_, name, _, wall, used) in enumerate(rows):
                    if used is not None:
                        f.write(f"{file}\t{i}\t{name}\t{ids[name]}\t{wall}\t{used}\n")
        per = {n: sum(1 for r in recorded if r[1] == n) for n in names}
        log(f"{len(recorded)} stats lines {per}; pm-short's stream ended: {'pm-short' in ended}")
        podman("rm", "-f", "-t", "0", *names, check=False)
        time.sleep(1.0)
        (OUT / "podman-4.3-events.ndjson").write_bytes(b"".join(event_lines))
        log(f"{len(event_lines)} events; wrote {OUT}")
    finally:
        podman("rm", "-f", "-t", "0", *names, check=False)
        service.terminate()
        try:
            service.wait(10)
        except subprocess.TimeoutExpired:
            service.kill()
            service.wait()
        if os.path.exists(SOCK):
            os.remove(SOCK)


if __name__ == "__main__":
    main()
