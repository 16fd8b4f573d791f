#!/usr/bin/env bash
# dockerd-up.sh - start a PRIVATE Docker daemon for statscope tests (idempotent).
#
# The daemon never shares state with any other dockerd/containerd on the host:
# its own containerd (own socket/root/state/config), data root, exec root,
# pidfile, socket, daemon.json, trust key, cgroup parent and bridge device, and
# by default it does not touch iptables, ip_forward or ip masquerading.
#
# stdout carries ONLY shell `export` lines, so this works:
#     eval "$(scripts/dockerd-up.sh)"
# Progress and errors go to stderr. Exit status is non-zero on failure.
#
# Environment (all optional; defaults in brackets):
#   STATSCOPE_DOCKER_ROOT        data root              [/var/lib/statscope-docker]
#   STATSCOPE_DOCKER_EXEC_ROOT   exec root              [/run/statscope-docker]
#   STATSCOPE_DOCKER_PIDFILE     dockerd pidfile        [/run/statscope-docker.pid]
#   STATSCOPE_DOCKER_SOCK        API socket path        [/run/statscope-docker.sock]
#   STATSCOPE_DOCKER_LOG         dockerd log file       [/run/statscope-docker.log]
#   STATSCOPE_CONTAINERD_LOG     containerd log file    [/run/statscope-containerd.log]
#   STATSCOPE_DOCKER_STORAGE_DRIVER  overlay2 (falls back to vfs when overlay2
#                                cannot start) or any driver name    [overlay2]
#   STATSCOPE_DOCKER_BRIDGE      bridge device, created by this script with the
#                                address below; "default" = dockerd's own docker0
#                                (shared with any system dockerd!)  [statscope0]
#   STATSCOPE_DOCKER_BRIDGE_CIDR gateway address of that bridge [172.31.250.1/24]
#   STATSCOPE_DOCKER_IPTABLES    true|false, dockerd --iptables/--ip-forward/
#                                --ip-masq. true rewrites the host's shared
#                                DOCKER iptables chains, so keep false     [false]
#   STATSCOPE_DOCKER_CGROUP_PARENT  cgroup parent of the containers [/statscope-docker]
#   STATSCOPE_DOCKER_IMAGE       test image tag         [statscope-busybox:latest]
#   STATSCOPE_DOCKER_REBUILD     1 = rebuild the image even if present   [0]
#   STATSCOPE_BUSYBOX            static busybox binary  [/bin/busybox]
#   STATSCOPE_DOCKERD            dockerd binary         [dockerd in PATH or /usr/sbin/dockerd]
#   STATSCOPE_CONTAINERD         containerd binary      [containerd in PATH]
#   STATSCOPE_DOCKER_CLI         docker CLI for the build [/usr/bin/docker, else docker]
#   STATSCOPE_DOCKER_TIMEOUT     seconds to wait for /_ping  [30]
#   STATSCOPE_DOCKER_TCP         host:port: also listen on tcp://host:port, over
#                                TLS (needs STATSCOPE_DOCKER_TLS_DIR)     [none]
#   STATSCOPE_DOCKER_TLS_DIR     folder with ca.pem, server-cert.pem,
#                                server-key.pem: dockerd --tlsverify (clients
#                                need a certificate signed by ca.pem)     [none]
#
# Several private daemons run side by side when each has its own ROOT,
# EXEC_ROOT, PIDFILE, SOCK, LOG, CONTAINERD_LOG, BRIDGE (and BRIDGE_CIDR) and
# CGROUP_PARENT (bridge/tests/common/engines.rs does this); dockerd-down.sh
# with the same variables stops exactly that one.
#
# Paths outside the ones above that dockerd/containerd hard-code and create if
# missing (shared-safe): /run/docker/plugins (plugin discovery) and
# /run/containerd/s (shim sockets with unique hashed names).
#
# Tested on Debian 12: docker.io 20.10.24, containerd 1.6.20, cgroup v1,
# overlay2 on ext4: /_ping answers ~0.3 s after start. The vfs fallback was
# tested with the data root on an overlayfs mount.
#
# Stop it with scripts/dockerd-down.sh (same environment).
set -euo pipefail

ROOT=${STATSCOPE_DOCKER_ROOT:-/var/lib/statscope-docker}
EXEC_ROOT=${STATSCOPE_DOCKER_EXEC_ROOT:-/run/statscope-docker}
PIDFILE=${STATSCOPE_DOCKER_PIDFILE:-/run/statscope-docker.pid}
SOCK=${STATSCOPE_DOCKER_SOCK:-/run/statscope-docker.sock}
LOG=${STATSCOPE_DOCKER_LOG:-/run/statscope-docker.log}
CTD_LOG=${STATSCOPE_CONTAINERD_LOG:-/run/statscope-containerd.log}
DRIVER=${STATSCOPE_DOCKER_STORAGE_DRIVER:-overlay2}
BRIDGE=${STATSCOPE_DOCKER_BRIDGE:-statscope0}
BRIDGE_CIDR=${STATSCOPE_DOCKER_BRIDGE_CIDR:-172.31.250.1/24}
IPTABLES=${STATSCOPE_DOCKER_IPTABLES:-false}
CGROUP_PARENT=${STATSCOPE_DOCKER_CGROUP_PARENT:-/statscope-docker}
IMAGE=${STATSCOPE_DOCKER_IMAGE:-statscope-busybox:latest}
REBUILD=${STATSCOPE_DOCKER_REBUILD:-0}
BUSYBOX=${STATSCOPE_BUSYBOX:-/bin/busybox}
TIMEOUT=${STATSCOPE_DOCKER_TIMEOUT:-30}
TCP=${STATSCOPE_DOCKER_TCP:-}
TLS_DIR=${STATSCOPE_DOCKER_TLS_DIR:-}

CTD_DIR=$EXEC_ROOT/containerd
CTD_SOCK=$CTD_DIR/containerd.sock
CTD_PIDFILE=$CTD_DIR/statscope-containerd.pid
CTD_CONFIG=$CTD_DIR/statscope-containerd.toml
BRIDGE_MARK=statscope-docker   # `ip link ... alias`, lets dockerd-down.sh know we made it

log() { printf 'dockerd-up: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

find_bin() { # name fallback...
    local name=$1; shift
    if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return 0; fi
    local f; for f in "$@"; do [ -x "$f" ] && { echo "$f"; return 0; }; done
    return 1
}

DOCKERD=${STATSCOPE_DOCKERD:-$(find_bin dockerd /usr/sbin/dockerd /usr/bin/dockerd || true)}
CONTAINERD=${STATSCOPE_CONTAINERD:-$(find_bin containerd /usr/bin/containerd /usr/sbin/containerd || true)}
if [ -n "${STATSCOPE_DOCKER_CLI:-}" ]; then DOCKER_CLI=$STATSCOPE_DOCKER_CLI
elif [ -x /usr/bin/docker ]; then DOCKER_CLI=/usr/bin/docker
else DOCKER_CLI=$(find_bin docker /usr/local/bin/docker || true); fi

[ "$(id -u)" = 0 ] || die "must run as root"
if [ -n "$TCP" ]; then
    [ -n "$TLS_DIR" ] || die "STATSCOPE_DOCKER_TCP needs STATSCOPE_DOCKER_TLS_DIR (no plain-TCP daemon)"
    for f in ca.pem server-cert.pem server-key.pem; do
        [ -r "$TLS_DIR/$f" ] || die "$TLS_DIR/$f is missing"
    done
fi
[ -n "$DOCKERD" ] && [ -x "$DOCKERD" ] || die "dockerd not found (apt-get install docker.io)"
[ -n "$CONTAINERD" ] && [ -x "$CONTAINERD" ] || die "containerd not found (apt-get install containerd)"
command -v curl >/dev/null || die "curl not found"

# pid_alive PIDFILE NAME: prints the pid if the file names a live process whose
# comm is NAME (guards against a recycled pid).
pid_alive() {
    local f=$1 name=$2 pid
    [ -s "$f" ] || return 1
    pid=$(tr -dc '0-9' <"$f")
    [ -n "$pid" ] && [ -r "/proc/$pid/comm" ] || return 1
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$name" ] || return 1
    # an unreaped zombie (state Z) is not running
    [ "$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1)" != Z ] || return 1
    echo "$pid"
}

ping_ok() {
    [ -S "$SOCK" ] || return 1
    [ "$(curl -fsS --max-time 2 --unix-socket "$SOCK" http://localhost/_ping 2>/dev/null || true)" = OK ]
}

print_env() {
    printf 'export DOCKER_HOST=unix://%s\n' "$SOCK"
    printf 'export STATSCOPE_DOCKER_SOCK=%s\n' "$SOCK"
    printf 'export STATSCOPE_DOCKER_IMAGE=%s\n' "$IMAGE"
    [ -z "$TCP" ] || printf 'export STATSCOPE_DOCKER_TCP=%s\n' "$TCP"
    log "private dockerd ready: DOCKER_HOST=unix://$SOCK (pid $(cat "$PIDFILE" 2>/dev/null || echo ?), log $LOG)"
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

# ---------------------------------------------------------------- containerd
start_containerd() {
    if pid_alive "$CTD_PIDFILE" containerd >/dev/null && [ -S "$CTD_SOCK" ]; then
        log "containerd already running (pid $(cat "$CTD_PIDFILE"))"
        return 0
    fi
    mkdir -p "$CTD_DIR" "$ROOT/containerd"
    chmod 700 "$CTD_DIR"
    rm -f "$CTD_SOCK" "$CTD_SOCK.ttrpc"
    # Own config: own sockets/root/state; no CRI; no /opt/containerd; no
    # debug/metrics listeners. Never reads /etc/containerd/config.toml.
    cat >"$CTD_CONFIG" <<EOF
version = 2
root = "$ROOT/containerd/daemon"
state = "$CTD_DIR/daemon"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$CTD_SOCK"
[ttrpc]
  address = "$CTD_SOCK.ttrpc"
[debug]
  address = ""
  level = "info"
[metrics]
  address = ""
[plugins]
  [plugins."io.containerd.internal.v1.opt"]
    path = "$ROOT/containerd/opt"
  [plugins."io.containerd.monitor.v1.cgroups"]
    no_prometheus = true
EOF
    log "starting containerd ($CONTAINERD, socket $CTD_SOCK, log $CTD_LOG)"
    setsid "$CONTAINERD" --config "$CTD_CONFIG" </dev/null >>"$CTD_LOG" 2>&1 &
    echo $! >"$CTD_PIDFILE"
    local i
    for i in $(seq 1 $((TIMEOUT * 5))); do
        [ -S "$CTD_SOCK" ] && return 0
        if ! kill -0 "$(cat "$CTD_PIDFILE")" 2>/dev/null; then
            tail -n 30 "$CTD_LOG" >&2 || true
            die "containerd exited during startup"
        fi
        sleep 0.2
    done
    tail -n 30 "$CTD_LOG" >&2 || true
    die "containerd socket $CTD_SOCK did not appear within ${TIMEOUT}s"
}

# -------------------------------------------------------------------- bridge
setup_bridge() {
    [ "$BRIDGE" = default ] && return 0
    if ! command -v ip >/dev/null; then
        log "WARNING: 'ip' (iproute2) not found, cannot create bridge $BRIDGE;" \
            "using dockerd's default docker0 bridge instead"
        BRIDGE=default
        return 0
    fi
    if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
        log "creating bridge $BRIDGE ($BRIDGE_CIDR)"
        ip link add name "$BRIDGE" type bridge
        ip link set dev "$BRIDGE" alias "$BRIDGE_MARK" 2>/dev/null || true
    fi
    if ! ip -o -4 addr show dev "$BRIDGE" | grep -q "inet $BRIDGE_CIDR "; then
        ip addr add "$BRIDGE_CIDR" dev "$BRIDGE" 2>/dev/null ||
            log "warning: could not add $BRIDGE_CIDR to $BRIDGE (already has: $(ip -o -4 addr show dev "$BRIDGE" | awk '{print $4}' | tr '\n' ' '))"
    fi
    ip link set dev "$BRIDGE" up
}

# ------------------------------------------------------------------- dockerd
DOCKERD_PID=
launch_dockerd() { # driver
    local driver=$1
    local args=(
        --data-root "$ROOT"
        --exec-root "$EXEC_ROOT"
        --pidfile "$PIDFILE"
        -H "unix://$SOCK"
        --containerd "$CTD_SOCK"
        --config-file "$ROOT/statscope-daemon.json"
        --storage-driver "$driver"
        --cgroup-parent "$CGROUP_PARENT"
        --iptables="$IPTABLES" --ip-forward="$IPTABLES" --ip-masq="$IPTABLES"
        --userland-proxy=false
    )
    [ "$BRIDGE" = default ] || args+=(--bridge "$BRIDGE")
    if [ -n "$TCP" ]; then
        args+=(-H "tcp://$TCP" --tlsverify --tlscacert "$TLS_DIR/ca.pem"
               --tlscert "$TLS_DIR/server-cert.pem" --tlskey "$TLS_DIR/server-key.pem")
    fi
    log "starting dockerd: $DOCKERD ${args[*]}"
    printf '\n===== %s dockerd-up.sh: storage driver %s =====\n' "$(date -u +%FT%TZ)" "$driver" >>"$LOG"
    setsid "$DOCKERD" "${args[@]}" </dev/null >>"$LOG" 2>&1 &
    DOCKERD_PID=$!
}

# wait_ping: 0 = ping OK, 1 = dockerd died, 2 = timeout
wait_ping() {
    local start=$SECONDS t0
    t0=$(date +%s.%N)
    while [ $((SECONDS - start)) -lt "$TIMEOUT" ]; do
        if ping_ok; then
            log "/_ping OK after $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.2f", b-a}')s"
            return 0
        fi
        kill -0 "$DOCKERD_PID" 2>/dev/null || return 1
        sleep 0.25
    done
    return 2
}

start_dockerd() {
    mkdir -p "$ROOT" "$EXEC_ROOT" "$(dirname "$PIDFILE")" "$(dirname "$SOCK")" "$(dirname "$LOG")"
    chmod 711 "$ROOT"
    # Our own daemon.json, so /etc/docker/daemon.json is never read. 20.10
    # writes a libtrust key to /etc/docker/key.json unless the daemon.json key
    # "deprecated-key-path" moves it; later dockerd releases dropped that key
    # (and reject unknown keys), hence the probe of the binary.
    if grep -aq 'json:"deprecated-key-path' "$DOCKERD" 2>/dev/null; then
        printf '{"deprecated-key-path": "%s"}\n' "$ROOT/key.json" >"$ROOT/statscope-daemon.json"
    else
        echo '{}' >"$ROOT/statscope-daemon.json"
    fi
    # A stale pidfile/socket from a crashed run would make dockerd refuse to start.
    pid_alive "$PIDFILE" dockerd >/dev/null || rm -f "$PIDFILE"
    rm -f "$SOCK"
    unmount_stale_root

    local rc=0
    launch_dockerd "$DRIVER"
    wait_ping || rc=$?
    if [ "$rc" = 1 ] && [ "$DRIVER" = overlay2 ] &&
        tail -n 30 "$LOG" | grep -qiE 'overlay|graphdriver|storage.driver|driver not supported'; then
        log "dockerd exited with --storage-driver overlay2; log tail:"
        tail -n 15 "$LOG" >&2 || true
        log "FALLING BACK to --storage-driver vfs (slow, uses more disk)"
        rm -f "$PIDFILE" "$SOCK"
        unmount_stale_root
        launch_dockerd vfs
        rc=0; wait_ping || rc=$?
    fi
    case $rc in
        0) return 0 ;;
        1) log "dockerd exited during startup; last log lines:" ;;
        *) log "dockerd did not answer /_ping within ${TIMEOUT}s; last log lines:"
           kill "$DOCKERD_PID" 2>/dev/null || true ;;
    esac
    tail -n 40 "$LOG" >&2 || true
    exit 1
}

# --------------------------------------------------------------------- image
ensure_image() {
    [ -n "$DOCKER_CLI" ] || die "docker CLI not found"
    export DOCKER_HOST="unix://$SOCK"
    unset DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH || true
    if [ "$REBUILD" != 1 ] && "$DOCKER_CLI" image inspect "$IMAGE" >/dev/null 2>&1; then
        log "image $IMAGE present"
        return 0
    fi
    [ -x "$BUSYBOX" ] || die "$BUSYBOX not found (apt-get install busybox-static)"
    local ctx
    ctx=$(mktemp -d /tmp/statscope-busybox-ctx.XXXXXX)
    # shellcheck disable=SC2064
    trap "rm -rf '$ctx'" EXIT
    mkdir -p "$ctx/rootfs/bin" "$ctx/rootfs/tmp" "$ctx/rootfs/etc"
    chmod 1777 "$ctx/rootfs/tmp"
    cp "$BUSYBOX" "$ctx/rootfs/bin/busybox"
    chmod 755 "$ctx/rootfs/bin/busybox"
    # One symlink per applet (sh, yes, sleep, dd, ping, ...). No RUN step, so
    # the build needs no container and no network.
    local applet n=0
    for applet in $("$BUSYBOX" --list); do
        case $applet in busybox|*/*|'') continue ;; esac
        ln -sf busybox "$ctx/rootfs/bin/$applet"; n=$((n + 1))
    done
    [ -e "$ctx/rootfs/bin/sh" ] || die "$BUSYBOX has no sh applet (not busybox-static?)"
    echo 'root:x:0:0:root:/root:/bin/sh' >"$ctx/rootfs/etc/passwd"
    echo 'root:x:0:' >"$ctx/rootfs/etc/group"
    cat >"$ctx/Dockerfile" <<'EOF'
FROM scratch
COPY rootfs/ /
ENV PATH=/bin
LABEL org.statscope.purpose="statscope test image: static busybox"
CMD ["sh"]
EOF
    log "building $IMAGE (FROM scratch + $BUSYBOX, $n applet symlinks, DOCKER_BUILDKIT=0)"
    if ! DOCKER_BUILDKIT=0 "$DOCKER_CLI" build -q -t "$IMAGE" "$ctx" >&2; then
        die "docker build of $IMAGE failed"
    fi
    rm -rf "$ctx"
    "$DOCKER_CLI" run --rm --network none "$IMAGE" sh -c 'yes | head -n 1 >/dev/null && sleep 0 && echo image-ok' >&2 ||
        die "smoke test of $IMAGE failed"
}

# ---------------------------------------------------------------------- main
if pid=$(pid_alive "$PIDFILE" dockerd) && ping_ok; then
    log "private dockerd already running (pid $pid)"
else
    if pid=$(pid_alive "$PIDFILE" dockerd); then
        # Running but not answering yet (maybe still starting): give it the timeout.
        DOCKERD_PID=$pid
        rc=0; wait_ping || rc=$?
        [ "$rc" = 0 ] || { tail -n 40 "$LOG" >&2 || true; die "dockerd pid $pid is not answering on $SOCK; run scripts/dockerd-down.sh"; }
    else
        start_containerd
        setup_bridge
        start_dockerd
    fi
fi
ensure_image
print_env
