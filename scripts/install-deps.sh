#!/usr/bin/env bash
# Installs what the demo and the tests need on a fresh Debian/Ubuntu machine:
# the rtpengine daemon (Debian package rtpengine-daemon; it runs in userspace, no kernel
# module needed) and redis-server (the cluster tests run rtpengine's Redis high availability
# against a private redis-server the test kit starts). A Rust toolchain (cargo) must already be
# on PATH.
#
# Optional arguments name newer rtpengine releases to install as well, in Debian chroots, for
# the tests' RTPENGINE_RELEASE selector: `scripts/install-deps.sh 12.5 26.0` (or trixie, forky;
# 10.5 is the host's own and needs nothing more). See scripts/install-rtpengine-release.sh.
set -euo pipefail

log() { printf 'install-deps: %s\n' "$*" >&2; }

releases=()
for r in "$@"; do
    case "$r" in
        10.5 | host | bookworm) ;;
        12.5 | trixie | 26.0 | forky) releases+=("$r") ;;
        *) log "unknown release '$r' (expected 10.5, 12.5 or trixie, 26.0 or forky)"; exit 2 ;;
    esac
done

install_releases() {
    local r
    for r in ${releases[@]+"${releases[@]}"}; do
        "$(dirname "$0")/install-rtpengine-release.sh" "$r" >/dev/null
    done
}

if ! command -v cargo >/dev/null 2>&1; then
    log "cargo not found: install a Rust toolchain first (https://rustup.rs)"
    exit 1
fi

have_rtpengine() {
    if [[ -n "${RTPENGINE_BIN:-}" ]]; then
        [[ -x "${RTPENGINE_BIN}" ]]
    else
        command -v rtpengine >/dev/null 2>&1 || [[ -x /usr/bin/rtpengine ]] || [[ -x /usr/sbin/rtpengine ]]
    fi
}

have_redis() {
    command -v redis-server >/dev/null 2>&1 || [[ -x /usr/bin/redis-server ]]
}

# `ss` (iproute2) lets a test see the TOS rtpengine sets on its media sockets.
if have_rtpengine && have_redis && command -v ss >/dev/null 2>&1; then
    log "rtpengine present: $( (${RTPENGINE_BIN:-rtpengine} --version 2>&1 || true) | head -n1)"
    log "redis-server present: $( (redis-server --version 2>&1 || true) | head -n1)"
    install_releases
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    log "rtpengine, redis-server or ss is missing and apt-get is not available."
    log "Install rtpengine (set RTPENGINE_BIN to its path), redis-server and iproute2 by hand."
    exit 1
fi

SUDO=""
if [[ "$(id -u)" -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
        log "need root (or sudo) to install rtpengine-daemon and redis-server"; exit 1
    fi
fi

log "installing rtpengine-daemon, redis-server and iproute2 from the distribution's packages"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# The packages' services are not used: tests and the demo start their own daemons on loopback
# (the test kit starts a private redis-server on a free port for each test that needs one).
$SUDO apt-get install -y -qq --no-install-recommends rtpengine-daemon redis-server iproute2 >/dev/null
# Some images start the packaged services on install; they would hold the default ports
# (rtpengine's NG port, redis's 6379).
if command -v service >/dev/null 2>&1; then
    $SUDO service rtpengine-daemon stop >/dev/null 2>&1 || true
    $SUDO service redis-server stop >/dev/null 2>&1 || true
fi

if ! have_redis; then
    log "redis-server installed but no redis-server binary found"
    exit 1
fi
if have_rtpengine; then
    log "installed: $( (rtpengine --version 2>&1 || true) | head -n1)"
    log "installed: $( (redis-server --version 2>&1 || true) | head -n1)"
    install_releases
else
    log "rtpengine-daemon installed but no rtpengine binary found"
    exit 1
fi
