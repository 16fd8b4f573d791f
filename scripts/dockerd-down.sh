#!/usr/bin/env bash
# dockerd-down.sh - stop the PRIVATE dockerd started by scripts/dockerd-up.sh.
#
# Only the processes named by our own pidfiles are signalled (dockerd first, it
# stops its containers; then our containerd). No other dockerd/containerd is
# touched. Idempotent: exits 0 when nothing is running.
#
# Environment: the same STATSCOPE_DOCKER_* variables as dockerd-up.sh
#   (STATSCOPE_DOCKER_ROOT, STATSCOPE_DOCKER_EXEC_ROOT, STATSCOPE_DOCKER_PIDFILE, STATSCOPE_DOCKER_SOCK,
#    STATSCOPE_DOCKER_BRIDGE, STATSCOPE_DOCKER_CGROUP_PARENT), plus
#   STATSCOPE_DOCKER_STOP_TIMEOUT  seconds to wait after SIGTERM before SIGKILL [30]
#   STATSCOPE_DOCKER_KEEP_BRIDGE   1 = keep the bridge device we created      [0]
# Data (images) in STATSCOPE_DOCKER_ROOT is kept, so the next start is fast.
set -euo pipefail

ROOT=${STATSCOPE_DOCKER_ROOT:-/var/lib/statscope-docker}
EXEC_ROOT=${STATSCOPE_DOCKER_EXEC_ROOT:-/run/statscope-docker}
PIDFILE=${STATSCOPE_DOCKER_PIDFILE:-/run/statscope-docker.pid}
SOCK=${STATSCOPE_DOCKER_SOCK:-/run/statscope-docker.sock}
BRIDGE=${STATSCOPE_DOCKER_BRIDGE:-statscope0}
CGROUP_PARENT=${STATSCOPE_DOCKER_CGROUP_PARENT:-/statscope-docker}
STOP_TIMEOUT=${STATSCOPE_DOCKER_STOP_TIMEOUT:-30}
KEEP_BRIDGE=${STATSCOPE_DOCKER_KEEP_BRIDGE:-0}
CTD_PIDFILE=$EXEC_ROOT/containerd/statscope-containerd.pid
BRIDGE_MARK=statscope-docker

log() { printf 'dockerd-down: %s\n' "$*" >&2; }

pid_alive() { # pidfile comm -> prints pid of a live process with that comm
    local f=$1 name=$2 pid
    [ -s "$f" ] || return 1
    pid=$(tr -dc '0-9' <"$f")
    [ -n "$pid" ] && [ -r "/proc/$pid/comm" ] || return 1
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$name" ] || return 1
    # an unreaped zombie (state Z) is not running
    [ "$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1)" != Z ] || return 1
    echo "$pid"
}

# proc_alive PID NAME: PID is a live (not zombie) process whose comm is NAME. Polled by PID, not
# through the pidfile: dockerd deletes its own pidfile early in its shutdown, while it still runs.
proc_alive() {
    local pid=$1 name=$2
    [ -r "/proc/$pid/comm" ] || return 1
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$name" ] || return 1
    [ "$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1)" != Z ]
}

stop_pid() { # pidfile comm label
    local f=$1 name=$2 label=$3 pid i
    if ! pid=$(pid_alive "$f" "$name"); then
        log "$label not running"
        rm -f "$f"
        return 0
    fi
    log "stopping $label (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 $((STOP_TIMEOUT * 4))); do
        proc_alive "$pid" "$name" || break   # gone, or an unreaped zombie
        sleep 0.25
    done
    if proc_alive "$pid" "$name"; then
        log "$label pid $pid still alive after ${STOP_TIMEOUT}s: SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        for i in $(seq 1 40); do proc_alive "$pid" "$name" || break; sleep 0.25; done
    fi
    rm -f "$f"
    log "$label stopped"
}

# dockerd bind-mounts its data root onto itself; a daemon that dies during
# startup leaves that mount behind. Remove it (only exactly $ROOT, only while
# our dockerd is not running).
unmount_stale_root() {
    local i
    for i in 1 2 3; do
        awk -v r="$ROOT" '$2 == r { f = 1 } END { exit !f }' /proc/mounts || return 0
        umount "$ROOT" 2>/dev/null || umount -l "$ROOT" 2>/dev/null || return 0
    done
}

stop_pid "$PIDFILE" dockerd dockerd
stop_pid "$CTD_PIDFILE" containerd containerd
rm -f "$SOCK"
unmount_stale_root

# the (now empty) cgroup parent directories runc created for our containers
cg=${CGROUP_PARENT#/}
case $cg in
    ''|*/*|.|..) ;;   # only a plain, single-level name of ours
    *) for d in /sys/fs/cgroup/*/"$cg" /sys/fs/cgroup/"$cg"; do
           [ -d "$d" ] && rmdir "$d" 2>/dev/null || true
       done ;;
esac

if [ "$KEEP_BRIDGE" != 1 ] && [ "$BRIDGE" != default ] && command -v ip >/dev/null &&
    ip -d link show "$BRIDGE" 2>/dev/null | grep -q "alias $BRIDGE_MARK"; then
    ip link del "$BRIDGE" && log "removed bridge $BRIDGE"
fi
