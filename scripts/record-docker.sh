#!/usr/bin/env bash
# record-docker.sh - record a real, interleaved Docker stats stream fixture.
#
# Uses the private dockerd (scripts/dockerd-up.sh; started if needed and
# stopped again at the end if this script started it). Runs five containers
# from statscope-busybox:latest, opens ONE `GET /containers/{id}/stats?stream=true`
# per container with `curl -sN --unix-socket` at the same time, and merges the
# responses line by line in arrival order into one NDJSON file. Every line is
# byte-for-byte what the daemon sent (never re-serialised).
#
#   ss-burn     --cpus 0.5, `while :; do :; done`             (CPU ~50%)
#   ss-idle     sleep                                          (~0%)
#   ss-io       8 MB page-cache file, then a loop of 1 MB O_DIRECT dd write+read
#               and ping to the bridge gateway                 (blkio, net I/O)
#   ss-short    does a little I/O, exits by itself after ~5 s; its stream is
#               kept open ~8 s more (empty zero-timestamp samples), then the
#               container is removed (stream EOF)
#   ss-restart  --cpus 0.2 `yes >/dev/null` as PID 1 (ignores SIGTERM):
#               ~7 s `docker restart -t 2` (SIGKILL after 2 s; the down time is
#               ~0.2 s, so usually no tick falls in it: fast-restart pattern),
#               ~14 s `docker stop -t 0` + 2.5 s + `docker start` (down across
#               ticks: empty samples), ~21 s `docker restart -t 0` (fast)
#
# Usage: scripts/record-docker.sh [OUTPUT]
#   OUTPUT default: tests/fixtures/docker-20.10-cgroupv1.ndjson (repo-relative)
# Environment: STATSCOPE_RECORD_SECONDS (total length, default 28) and the
# STATSCOPE_DOCKER_* variables of dockerd-up.sh.
# A side log with arrival times (<OUTPUT>.arrivals.tsv) is written to /tmp.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
OUT=${1:-$REPO/tests/fixtures/docker-20.10-cgroupv1.ndjson}
SECONDS_TOTAL=${STATSCOPE_RECORD_SECONDS:-28}
SOCK=${STATSCOPE_DOCKER_SOCK:-/run/statscope-docker.sock}
IMAGE=${STATSCOPE_DOCKER_IMAGE:-statscope-busybox:latest}
ARRIVALS=/tmp/$(basename "$OUT").arrivals.tsv
NAMES=(ss-burn ss-idle ss-io ss-short ss-restart)

log() { printf 'record-docker: %s\n' "$*" >&2; }

if [ -x /usr/bin/docker ]; then DOCKER=/usr/bin/docker; else DOCKER=docker; fi
command -v python3 >/dev/null || { log "python3 required"; exit 1; }

started_daemon=0
if [ "$(curl -fsS --max-time 2 --unix-socket "$SOCK" http://localhost/_ping 2>/dev/null || true)" != OK ]; then
    started_daemon=1
fi
export DOCKER_HOST=unix://$SOCK
unset DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH || true

MERGER_PID=
cleanup() {
    local rc=$?
    [ -n "$MERGER_PID" ] && kill "$MERGER_PID" 2>/dev/null || true
    "$DOCKER" rm -f "${NAMES[@]}" >/dev/null 2>&1 || true
    if [ "$started_daemon" = 1 ]; then "$HERE/dockerd-down.sh" || true; fi
    exit "$rc"
}
trap cleanup EXIT

up_env=$("$HERE/dockerd-up.sh")   # fails the script if the daemon cannot start
eval "$up_env"

"$DOCKER" rm -f "${NAMES[@]}" >/dev/null 2>&1 || true

run() { "$DOCKER" run -d --name "$@" 2>/dev/null; }   # stderr: IPv4-forwarding warning
log "starting containers"
run ss-idle "$IMAGE" sleep 3600 >/dev/null
run ss-burn --cpus 0.5 "$IMAGE" sh -c 'while :; do :; done' >/dev/null
# blkio accounting: on recent kernels (seen on 6.18) cgroup v1
# blkio.throttle.io_service_bytes only counts I/O once throttling is active on
# the device's queue, so give ss-io a harmless 1 GB/s limit on the disk that
# holds the data root (best effort; without it the blkio lists stay []).
io_limit=()
src=$(df --output=source "${STATSCOPE_DOCKER_ROOT:-/var/lib/statscope-docker}" 2>/dev/null | tail -n 1 || true)
if [ -b "$src" ]; then
    disk=$(lsblk -ndo pkname "$src" 2>/dev/null | head -n 1 || true)
    dev=/dev/${disk:-$(basename "$src")}
    [ -b "$dev" ] && io_limit=(--device-read-bps "$dev:1gb" --device-write-bps "$dev:1gb")
fi
log "ss-io block device limit: ${io_limit[*]:-(none)}"
run ss-io "${io_limit[@]}" "$IMAGE" sh -c '
    dd if=/dev/zero of=/tmp/cache bs=1M count=8 2>/dev/null
    gw=$(ip route | awk "/^default/ {print \$3}")
    while :; do
        dd if=/dev/zero of=/tmp/direct bs=64k count=16 oflag=direct 2>/dev/null
        dd if=/tmp/direct of=/dev/null bs=64k iflag=direct 2>/dev/null
        ping -c 2 -s 1000 -W 1 "$gw" >/dev/null 2>&1
        sleep 1
    done' >/dev/null
run ss-restart --cpus 0.2 "$IMAGE" sh -c 'exec yes >/dev/null' >/dev/null
run ss-short "$IMAGE" sh -c 'dd if=/dev/zero of=/tmp/f bs=64k count=32 oflag=direct 2>/dev/null; sleep 5' >/dev/null

ids=()
for n in "${NAMES[@]}"; do ids+=("$n=$("$DOCKER" inspect -f '{{.Id}}' "$n")"); done

mkdir -p "$(dirname "$OUT")"
# The merger: one curl per container, complete lines appended in arrival order.
python3 - "$SOCK" "$OUT" "$ARRIVALS" "${ids[@]}" <<'PY' &
import os, selectors, signal, subprocess, sys, time
sock, out, arrivals = sys.argv[1:4]
pairs = [a.split("=", 1) for a in sys.argv[4:]]
procs = {}
sel = selectors.DefaultSelector()
for name, cid in pairs:
    p = subprocess.Popen(
        ["curl", "-sN", "--unix-socket", sock,
         f"http://localhost/containers/{cid}/stats?stream=true"],
        stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
    os.set_blocking(p.stdout.fileno(), False)
    procs[p.stdout.fileno()] = (name, p, bytearray())
    sel.register(p.stdout.fileno(), selectors.EVENT_READ)
stop = False
def on_term(*_):
    global stop
    stop = True
signal.signal(signal.SIGTERM, on_term)
t0 = time.time()
with open(out, "wb") as f, open(arrivals, "w") as a:
    a.write("t_rel\tcontainer\tbytes\n")
    open_fds = set(procs)
    while open_fds and not stop:
        for key, _ in sel.select(timeout=0.2):
            fd = key.fd
            name, p, buf = procs[fd]
            try:
                chunk = os.read(fd, 1 << 16)
            except BlockingIOError:
                continue
            if not chunk:
                sel.unregister(fd); open_fds.discard(fd)
                a.write(f"{time.time()-t0:.3f}\t{name}\tEOF\n"); a.flush()
                continue
            buf += chunk
            while True:
                i = buf.find(b"\n")
                if i < 0:
                    break
                line = bytes(buf[:i + 1]); del buf[:i + 1]
                f.write(line); f.flush()
                a.write(f"{time.time()-t0:.3f}\t{name}\t{len(line)}\n"); a.flush()
for name, p, buf in procs.values():
    if p.poll() is None:
        p.terminate()
    p.wait()
PY
MERGER_PID=$!

t_start=$(date +%s.%N)
at() { # wait until second $1 of the recording
    local now; now=$(date +%s.%N)
    local d; d=$(awk -v s="$t_start" -v n="$now" -v t="$1" 'BEGIN{d=s+t-n; print (d>0)?d:0}')
    sleep "$d"
}
log "recording ${SECONDS_TOTAL}s (ss-short exits by itself at ~5s)"
at 7;  log "t=7s:  docker restart -t 2 ss-restart"; "$DOCKER" restart -t 2 ss-restart >/dev/null
at 13; log "t=13s: docker rm ss-short (its stream ends)"; "$DOCKER" rm ss-short >/dev/null
at 14; log "t=14s: docker stop -t 0 ss-restart; sleep 2.5; docker start ss-restart (slow restart)"
"$DOCKER" stop -t 0 ss-restart >/dev/null; sleep 2.5; "$DOCKER" start ss-restart >/dev/null
at 21; log "t=21s: docker restart -t 0 ss-restart (fast restart)"; "$DOCKER" restart -t 0 ss-restart >/dev/null
at "$SECONDS_TOTAL"
kill "$MERGER_PID"; wait "$MERGER_PID" || true; MERGER_PID=

python3 - "$OUT" <<'PY'
import json, sys, collections
c = collections.Counter(); empty = collections.Counter()
with open(sys.argv[1], "rb") as f:
    for n, line in enumerate(f, 1):
        o = json.loads(line)
        c[o["name"]] += 1
        if o["read"].startswith("0001-"):
            empty[o["name"]] += 1
for k in sorted(c):
    print(f"record-docker: {k}: {c[k]} lines ({empty[k]} empty)", file=sys.stderr)
PY
log "wrote $OUT ($(wc -l <"$OUT") lines, $(wc -c <"$OUT") bytes); arrival log $ARRIVALS"
