#!/usr/bin/env bash
# record-contexts.sh - make tests/fixtures/docker-config/: docker CLI contexts written by the REAL
# docker CLI (`docker context create`), and what the CLI itself resolves for each.
#
# No daemon is needed. The certificates are throwaway test material made here with openssl (a CA and
# a client certificate signed by it); no key in the fixture protects anything.
#
#   tls-remote   tcp://10.20.30.40:2376, ca + cert + key
#   ca-only      tcp://engine.example:2376, ca only
#   ipv6-tls     tcp://[::1]:2376, ca + cert + key
#   plain-tcp    tcp://127.0.0.1:2375, no TLS
#   local-sock   unix:///run/other-docker.sock
#   insecure     tcp://10.0.0.9:2376, skip-tls-verify=true (statscope refuses it)
#   over-ssh     ssh://someone@build-host (statscope refuses it)
#   no-port      tcp://10.0.0.7 (what the CLI stores as given)
# then `docker context use tls-remote` (config.json's currentContext).
#
# expected/NAME.json is `docker --context NAME context inspect` with the fixture folder's absolute
# path replaced by $DOCKER_CONFIG. bridge/tests/contexts.rs compares statscope's resolution with
# these, and with the installed CLI run live on the committed files.
#
# Usage: scripts/record-contexts.sh   (rewrites tests/fixtures/docker-config/)
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=$HERE/../tests/fixtures/docker-config
DOCKER=${STATSCOPE_DOCKER_CLI:-docker}
rm -rf "$OUT"
mkdir -p "$OUT/expected"
OUT=$(cd "$OUT" && pwd)
export DOCKER_CONFIG=$OUT
unset DOCKER_HOST DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH DOCKER_TLS || true

pki=$(mktemp -d /tmp/statscope-ctx-pki.XXXXXX)
trap 'rm -rf "$pki"' EXIT
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 36500 \
    -keyout "$pki/ca-key.pem" -out "$pki/ca.pem" -subj "/CN=statscope fixture CA" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$pki/key.pem" -out "$pki/client.csr" -subj "/CN=statscope fixture client" 2>/dev/null
printf 'extendedKeyUsage = clientAuth\n' >"$pki/ext.cnf"
openssl x509 -req -in "$pki/client.csr" -CA "$pki/ca.pem" -CAkey "$pki/ca-key.pem" -CAcreateserial \
    -days 36500 -extfile "$pki/ext.cnf" -out "$pki/cert.pem" 2>/dev/null

ca=$pki/ca.pem cert=$pki/cert.pem key=$pki/key.pem
"$DOCKER" context create tls-remote --docker "host=tcp://10.20.30.40:2376,ca=$ca,cert=$cert,key=$key" >/dev/null
"$DOCKER" context create ca-only --docker "host=tcp://engine.example:2376,ca=$ca" >/dev/null
"$DOCKER" context create ipv6-tls --docker "host=tcp://[::1]:2376,ca=$ca,cert=$cert,key=$key" >/dev/null
"$DOCKER" context create plain-tcp --docker "host=tcp://127.0.0.1:2375" >/dev/null
"$DOCKER" context create local-sock --docker "host=unix:///run/other-docker.sock" >/dev/null
"$DOCKER" context create insecure --docker "host=tcp://10.0.0.9:2376,skip-tls-verify=true" >/dev/null
"$DOCKER" context create over-ssh --docker "host=ssh://someone@build-host" >/dev/null
"$DOCKER" context create no-port --docker "host=tcp://10.0.0.7" >/dev/null
"$DOCKER" context use tls-remote >/dev/null

for name in default tls-remote ca-only ipv6-tls plain-tcp local-sock insecure over-ssh no-port; do
    "$DOCKER" --context "$name" context inspect | sed "s#$OUT#\$DOCKER_CONFIG#g" >"$OUT/expected/$name.json"
done
"$DOCKER" --version >"$OUT/expected/docker-version.txt"
echo "record-contexts: wrote $OUT ($("$DOCKER" --version))" >&2
