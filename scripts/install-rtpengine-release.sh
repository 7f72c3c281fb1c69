#!/usr/bin/env bash
# Installs a newer rtpengine release than the host's into a minimal Debian chroot, for the
# test kit's RTPENGINE_RELEASE selector:
#
#   scripts/install-rtpengine-release.sh trixie   # or 12.5: rtpengine 12.5.x (Debian 13)
#   scripts/install-rtpengine-release.sh forky    # or 26.0: rtpengine 26.0.x (Debian testing)
#
# The chroot goes to "${RTPENGINE_RELEASES_DIR:-/var/cache/rtpengine-releases}/SUITE" (the same
# default as rtpengine_testkit::DEFAULT_RELEASES_DIR). It is built with
# `debootstrap --variant=minbase` from the host's own Debian mirror (read from its apt sources;
# RTPENGINE_RELEASES_MIRROR overrides it) in a temporary directory that is renamed into place
# only when complete, so an interrupted build is never taken for a finished one. An existing
# chroot is reused. rtpengine-daemon is installed with --no-install-recommends and a
# policy-rc.d that keeps its service from starting. Prints the installed version.
#
# The daemon then runs as `chroot DIR /usr/bin/rtpengine --table=-1 ...`; it shares the host's
# network namespace. Needs root (re-runs itself with sudo if available) and debootstrap
# (installed with apt-get if missing). About a minute and ~300 MB per suite.
set -euo pipefail

log() { printf 'install-rtpengine-release: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

usage() {
    cat >&2 <<'EOF'
usage: scripts/install-rtpengine-release.sh SUITE

SUITE: trixie (or 12.5) | forky (or 26.0)
Environment: RTPENGINE_RELEASES_DIR (default /var/cache/rtpengine-releases),
             RTPENGINE_RELEASES_MIRROR (default: the host's Debian mirror from its apt sources)
EOF
}

[[ $# -eq 1 ]] || { usage; exit 2; }
case "$1" in
    trixie | 12.5) suite=trixie ;;
    forky | 26.0) suite=forky ;;
    -h | --help) usage; exit 0 ;;
    *) usage; die "unknown release '$1' (expected trixie, 12.5, forky or 26.0)" ;;
esac

if [[ "$(id -u)" -ne 0 ]]; then
    command -v sudo >/dev/null 2>&1 || die "needs root (debootstrap and chroot); run it as root"
    log "re-running as root with sudo"
    exec sudo RTPENGINE_RELEASES_DIR="${RTPENGINE_RELEASES_DIR:-}" \
        RTPENGINE_RELEASES_MIRROR="${RTPENGINE_RELEASES_MIRROR:-}" "$0" "$@"
fi

base="${RTPENGINE_RELEASES_DIR:-/var/cache/rtpengine-releases}"
dir="$base/$suite"

print_version() {
    local v
    v="$(chroot "$dir" /usr/bin/rtpengine --version 2>&1 | head -n1)" ||
        die "$dir/usr/bin/rtpengine does not run: $v"
    log "rtpengine in $dir: $v"
    printf '%s\n' "$v"
}

if [[ -e "$dir" ]]; then
    [[ -x "$dir/usr/bin/rtpengine" ]] ||
        die "$dir exists but holds no usr/bin/rtpengine; remove it (rm -rf --one-file-system '$dir') and run again"
    print_version
    exit 0
fi

# The host's Debian mirror: the first enabled `deb` source (one-line or deb822 format) that
# carries the host's own codename.
host_mirror() {
    local codename f m
    codename="$(. /etc/os-release && printf '%s' "${VERSION_CODENAME:-}")"
    [[ -n "$codename" ]] || return 1
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [[ -f "$f" ]] || continue
        m="$(awk -v want="$codename" '$1 == "deb" {
                i = 2
                if ($i ~ /^\[/) { while ($i !~ /\]$/ && i < NF) i++; i++ }
                if ($(i + 1) == want) { print $i; exit }
            }' "$f")"
        [[ -n "$m" ]] && { printf '%s\n' "$m"; return 0; }
    done
    for f in /etc/apt/sources.list.d/*.sources; do
        [[ -f "$f" ]] || continue
        m="$(awk -v want="$codename" '
            function flush(  n, i, s, u) {
                if (types ~ /(^|[ \t])deb([ \t]|$)/ && enabled !~ /no/) {
                    n = split(suites, s, /[ \t]+/)
                    for (i = 1; i <= n; i++)
                        if (s[i] == want) { split(uris, u, /[ \t]+/); print u[1]; found = 1; exit }
                }
                types = ""; uris = ""; suites = ""; enabled = ""
            }
            /^[ \t]*$/ { flush(); next }
            /^[ \t]*#/ { next }
            { key = tolower($1); $1 = ""; sub(/^[ \t]+/, "") }
            key == "types:" { types = $0 }
            key == "uris:" { uris = $0 }
            key == "suites:" { suites = $0 }
            key == "enabled:" { enabled = tolower($0) }
            END { if (!found) flush() }
        ' "$f")"
        [[ -n "$m" ]] && { printf '%s\n' "$m"; return 0; }
    done
    return 1
}

mirror="${RTPENGINE_RELEASES_MIRROR:-}"
if [[ -z "$mirror" ]]; then
    mirror="$(host_mirror || true)"
    [[ -n "$mirror" ]] ||
        die "no Debian mirror found in the host's apt sources; set RTPENGINE_RELEASES_MIRROR to one"
fi

if ! command -v debootstrap >/dev/null 2>&1; then
    command -v apt-get >/dev/null 2>&1 || die "debootstrap is missing and apt-get is not available"
    log "installing debootstrap"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
fi
# Older debootstraps (bookworm's) have no script for the newest suites; sid's fits them.
script="/usr/share/debootstrap/scripts/$suite"
[[ -e "$script" ]] || script=/usr/share/debootstrap/scripts/sid
[[ -e "$script" ]] || die "debootstrap has no script for $suite nor sid; update debootstrap"

mkdir -p "$base"
# One build per suite at a time.
exec 9>"$base/.$suite.lock"
flock 9 || die "cannot lock $base/.$suite.lock"
if [[ -e "$dir" ]]; then # another run finished it while we waited
    print_version
    exit 0
fi

tmp="$(mktemp -d "$base/.$suite.build.XXXXXX")"
chmod 755 "$tmp" # the chroot's /
cleanup() {
    local status=$?
    if [[ -n "${tmp:-}" && -d "$tmp" ]]; then
        # debootstrap mounts proc/sys inside the target; never delete through a mount.
        awk -v t="$tmp" '$2 == t || index($2, t "/") == 1 { print $2 }' /proc/mounts |
            sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
        rm -rf --one-file-system "$tmp"
        log "removed the unfinished build $tmp"
    fi
    [[ -n "${tmp:-}" ]] && rm -f "$tmp.debootstrap.log" "$tmp.apt.log"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start=$SECONDS
log "debootstrap --variant=minbase $suite from $mirror into $tmp (takes about a minute)"
if ! debootstrap --variant=minbase "$suite" "$tmp" "$mirror" "$script" >"$tmp.debootstrap.log" 2>&1; then
    tail -n 20 "$tmp.debootstrap.log" >&2 || true
    rm -f "$tmp.debootstrap.log"
    die "debootstrap of $suite failed (see above)"
fi
rm -f "$tmp.debootstrap.log"

# Keep the package's service from starting; testing suites' Release files may be reported expired.
printf '#!/bin/sh\nexit 101\n' >"$tmp/usr/sbin/policy-rc.d"
chmod 755 "$tmp/usr/sbin/policy-rc.d"
printf 'Acquire::Check-Valid-Until "false";\n' >"$tmp/etc/apt/apt.conf.d/99no-check-valid-until"

log "installing rtpengine-daemon in the $suite chroot"
if ! chroot "$tmp" /usr/bin/env DEBIAN_FRONTEND=noninteractive sh -c \
    'apt-get update -qq && apt-get install -y -qq --no-install-recommends rtpengine-daemon' \
    >"$tmp.apt.log" 2>&1; then
    tail -n 20 "$tmp.apt.log" >&2 || true
    rm -f "$tmp.apt.log"
    die "installing rtpengine-daemon in the $suite chroot failed (see above)"
fi
rm -f "$tmp.apt.log"
chroot "$tmp" apt-get clean
rm -rf "$tmp"/var/lib/apt/lists/* "$tmp"/var/cache/apt/*.bin
[[ -x "$tmp/usr/bin/rtpengine" ]] || die "rtpengine-daemon installed but $suite has no /usr/bin/rtpengine"

mv -T "$tmp" "$dir"
tmp=""
log "built $dir in $((SECONDS - start)) s, $(du -sh --one-file-system "$dir" | cut -f1)"
print_version
