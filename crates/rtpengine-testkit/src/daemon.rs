//! Launcher for a real, userspace-only rtpengine daemon.
//!
//! Every [`Rtpengine`] instance gets its own control ports (NG over UDP and
//! TCP, HTTP, CLI) and its own 200-port media range, so many daemons can run
//! in parallel: in several threads of one test binary and in several test
//! binaries at once.
//!
//! The daemon is the host's rtpengine or, selected with `$RTPENGINE_RELEASE` or
//! [`RtpengineBuilder::release`], a newer release run from its Debian chroot (see
//! [`crate::release`]). A chroot daemon is started as
//! `chroot ROOT /usr/bin/rtpengine ARGS`, in a private mount namespace where the host's temporary
//! directory (and any [`RtpengineBuilder::share_dir`]) is bind-mounted at the same path, so the
//! file paths tests pass (recording spools, certificates, media files under `/tmp`) mean the same
//! to the daemon as to the test. Other paths the daemon sees map to host paths with
//! [`Rtpengine::host_path`].
//!
//! # Faults and clusters
//!
//! A daemon can be killed ([`Rtpengine::kill`], SIGKILL: a crash), frozen ([`Rtpengine::stop`],
//! SIGSTOP: a hang, it keeps its sockets but answers nothing) and thawed ([`Rtpengine::cont`]),
//! and started again on the same ports with the same arguments ([`Rtpengine::restart`]).
//! [`RtpengineBuilder::start_many`] starts several independent daemons in parallel (the nodes of
//! a cluster): all listen on 127.0.0.1 and tell apart by their ports. With a
//! [`RedisServer`](crate::redis::RedisServer), [`RtpengineBuilder::redis`] and
//! [`RtpengineBuilder::active_switchover`] set up rtpengine's Redis high availability.
//!
//! This module only uses `std` (signals are sent with the `kill` tool), so it works from
//! synchronous and asynchronous tests alike.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, UdpSocket};
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::error::TestkitError;
use crate::process::Process;
use crate::release::{parse_version, Release, CHROOT_BINARY};

/// Environment variable that overrides the location of the host's rtpengine binary. Used only
/// when the selected release is [`Release::Host`].
pub const RTPENGINE_BIN_ENV: &str = "RTPENGINE_BIN";

/// Number of ports in each daemon's media range.
pub const MEDIA_RANGE_LEN: u16 = 200;

/// Lowest port a media range may start at.
const MEDIA_PORT_FLOOR: u16 = 10_000;
/// Media ranges end below this port (Linux's default ephemeral range starts at 32768).
const MEDIA_PORT_CEILING: u16 = 32_000;
/// Total number of start attempts when the daemon exits early (1 + 3 retries).
const START_ATTEMPTS: usize = 4;
/// Number of log lines included in startup errors.
const LOG_TAIL_LINES: usize = 40;
/// Interval between readiness pings.
const PING_INTERVAL: Duration = Duration::from_millis(50);

/// Well-known install locations searched after `$RTPENGINE_BIN` and `PATH`.
const FALLBACK_PATHS: &[&str] = &["/usr/bin/rtpengine", "/usr/sbin/rtpengine"];

/// Ports and media ranges currently handed out to live instances of this process.
#[derive(Default)]
struct Reserved {
    ranges: BTreeSet<u16>,
    ports: BTreeSet<u16>,
}

static RESERVED: Mutex<Reserved> = Mutex::new(Reserved {
    ranges: BTreeSet::new(),
    ports: BTreeSet::new(),
});

static PING_COUNTER: AtomicU64 = AtomicU64::new(0);

fn reserved() -> MutexGuard<'static, Reserved> {
    RESERVED.lock().unwrap_or_else(|e| e.into_inner())
}

fn lock_log(log: &Mutex<String>) -> MutexGuard<'_, String> {
    log.lock().unwrap_or_else(|e| e.into_inner())
}

/// Ports reserved for one daemon; released (process-wide) on drop.
struct Reservation {
    ng_udp: u16,
    ng_tcp: u16,
    http: u16,
    cli: u16,
    media_base: u16,
    /// A TCP listener on the first media port, held for the daemon's lifetime.
    /// rtpengine only uses UDP on media ports, so this does not disturb it, but
    /// it keeps other processes using this test kit from choosing the same range.
    _range_lock: TcpListener,
}

impl Reservation {
    fn media_range(&self) -> RangeInclusive<u16> {
        self.media_base..=self.media_base + (MEDIA_RANGE_LEN - 1)
    }

    fn new() -> Result<Self, TestkitError> {
        let (ng_udp, ng_tcp, http, cli) = pick_control_ports()?;
        match pick_media_range() {
            Ok((media_base, lock)) => Ok(Reservation {
                ng_udp,
                ng_tcp,
                http,
                cli,
                media_base,
                _range_lock: lock,
            }),
            Err(e) => {
                let mut r = reserved();
                for p in [ng_udp, ng_tcp, http, cli] {
                    r.ports.remove(&p);
                }
                Err(e)
            }
        }
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        let mut r = reserved();
        r.ranges.remove(&self.media_base);
        for p in [self.ng_udp, self.ng_tcp, self.http, self.cli] {
            r.ports.remove(&p);
        }
    }
}

/// Picks four free control ports (one UDP, three TCP) by binding ephemeral
/// sockets on 127.0.0.1, skipping ports already handed out by this process.
fn pick_control_ports() -> Result<(u16, u16, u16, u16), TestkitError> {
    let localhost = (Ipv4Addr::LOCALHOST, 0);
    for _ in 0..64 {
        // All sockets are held at the same time so the TCP ports are distinct.
        let udp = UdpSocket::bind(localhost)?;
        let tcp: Vec<TcpListener> = (0..3)
            .map(|_| TcpListener::bind(localhost))
            .collect::<Result<_, _>>()?;
        let ng_udp = udp.local_addr()?.port();
        let mut tcp_ports = Vec::with_capacity(3);
        for l in &tcp {
            tcp_ports.push(l.local_addr()?.port());
        }
        let ports = [ng_udp, tcp_ports[0], tcp_ports[1], tcp_ports[2]];
        let mut r = reserved();
        if ports.iter().any(|p| r.ports.contains(p)) {
            continue;
        }
        r.ports.extend(ports);
        return Ok((ports[0], ports[1], ports[2], ports[3]));
    }
    Err(TestkitError::Io(std::io::Error::new(
        std::io::ErrorKind::AddrInUse,
        "could not find free control ports on 127.0.0.1",
    )))
}

/// Picks a free TCP port on 127.0.0.1 that no other live instance of this process holds, and
/// reserves it until [`release_port`]. Used for servers the test kit starts besides rtpengine
/// (redis-server).
pub(crate) fn reserve_tcp_port() -> Result<u16, TestkitError> {
    for _ in 0..64 {
        let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        let port = l.local_addr()?.port();
        if reserved().ports.insert(port) {
            return Ok(port);
        }
    }
    Err(TestkitError::Io(std::io::Error::new(
        std::io::ErrorKind::AddrInUse,
        "could not find a free TCP port on 127.0.0.1",
    )))
}

/// Hands back a port taken with [`reserve_tcp_port`].
pub(crate) fn release_port(port: u16) {
    reserved().ports.remove(&port);
}

/// Reads Linux's ephemeral port range, if available.
fn ephemeral_range() -> Option<RangeInclusive<u16>> {
    let s = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range").ok()?;
    let mut it = s.split_whitespace().map(|t| t.parse::<u16>());
    let lo = it.next()?.ok()?;
    let hi = it.next()?.ok()?;
    Some(lo..=hi)
}

/// Picks a free, 200-aligned media range in 10000..32000.
fn pick_media_range() -> Result<(u16, TcpListener), TestkitError> {
    let ephemeral = ephemeral_range();
    let mut bases: Vec<u16> = (MEDIA_PORT_FLOOR..=MEDIA_PORT_CEILING - MEDIA_RANGE_LEN)
        .step_by(usize::from(MEDIA_RANGE_LEN))
        .filter(|&base| {
            let end = base + (MEDIA_RANGE_LEN - 1);
            match &ephemeral {
                Some(e) => end < *e.start() || base > *e.end(),
                None => true,
            }
        })
        .collect();
    fastrand::shuffle(&mut bases);

    for base in bases {
        if reserved().ranges.contains(&base) {
            continue;
        }
        // Cross-process lock: whoever holds a listener on the base port owns the range.
        let Ok(lock) = TcpListener::bind((Ipv4Addr::LOCALHOST, base)) else {
            continue;
        };
        let all_free = (base..=base + (MEDIA_RANGE_LEN - 1))
            .all(|p| UdpSocket::bind((Ipv4Addr::LOCALHOST, p)).is_ok());
        if !all_free {
            continue;
        }
        if reserved().ranges.insert(base) {
            return Ok((base, lock));
        }
    }
    Err(TestkitError::Io(std::io::Error::new(
        std::io::ErrorKind::AddrInUse,
        "no free 200-port media range found in 10000..32000",
    )))
}

pub(crate) fn is_executable_file(p: &Path) -> bool {
    match std::fs::metadata(p) {
        Ok(m) if m.is_file() => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                m.permissions().mode() & 0o111 != 0
            }
            #[cfg(not(unix))]
            {
                true
            }
        }
        _ => false,
    }
}

fn search_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| is_executable_file(p))
}

/// Resolves an explicitly configured binary: a bare name is looked up on
/// `PATH`, anything containing a `/` is used as a path.
fn resolve_explicit(p: &Path) -> Option<PathBuf> {
    let has_slash = p.to_string_lossy().contains('/');
    if has_slash {
        is_executable_file(p).then(|| p.to_path_buf())
    } else {
        search_path(&p.to_string_lossy())
    }
}

/// Finds the rtpengine binary.
///
/// Order: `explicit` (if given), then `$RTPENGINE_BIN` (if set and non-empty),
/// then `rtpengine` on `PATH`, then `/usr/bin/rtpengine` and
/// `/usr/sbin/rtpengine`. An explicit path or `$RTPENGINE_BIN` that does not
/// point to an executable file is an error rather than silently falling back
/// to another binary.
pub fn locate_binary(explicit: Option<&Path>) -> Result<PathBuf, TestkitError> {
    if let Some(p) = explicit {
        return resolve_explicit(p).ok_or(TestkitError::BinaryNotFound);
    }
    if let Some(env) = std::env::var_os(RTPENGINE_BIN_ENV).filter(|v| !v.is_empty()) {
        return resolve_explicit(Path::new(&env)).ok_or(TestkitError::BinaryNotFound);
    }
    if let Some(p) = search_path("rtpengine") {
        return Ok(p);
    }
    FALLBACK_PATHS
        .iter()
        .map(PathBuf::from)
        .find(|p| is_executable_file(p))
        .ok_or(TestkitError::BinaryNotFound)
}

/// Returns the last `n` lines of `log`.
fn tail_lines(log: &str, n: usize) -> String {
    let lines: Vec<&str> = log.lines().collect();
    let start = lines.len().saturating_sub(n);
    lines[start..].join("\n")
}

/// Finds a system tool (`chroot`, `unshare`) on `PATH`, else at `fallback`.
pub(crate) fn system_tool(name: &str, fallback: &str) -> PathBuf {
    search_path(name).unwrap_or_else(|| PathBuf::from(fallback))
}

/// Run by `sh` inside a fresh mount namespace: bind-mounts each shared host directory at the same
/// path inside the chroot, then execs `chroot ROOT /usr/bin/rtpengine ARGS` (so the process keeps
/// its PID: the one the test kit holds is the daemon's). Arguments: ROOT, CHROOT-TOOL, N, N
/// directories, then the daemon's arguments.
const SHARE_SCRIPT: &str = r#"root=$1; chroot_tool=$2; n=$3; shift 3
while [ "$n" -gt 0 ]; do
    mkdir -p "$root$1" && mount --bind "$1" "$root$1" || { echo "testkit: cannot share $1 with the chroot $root" >&2; exit 125; }
    shift; n=$((n - 1))
done
exec "$chroot_tool" "$root" /usr/bin/rtpengine "$@""#;

/// How the daemon is started.
#[derive(Debug, Clone)]
enum Launcher {
    /// The host's binary.
    Host(PathBuf),
    /// `/usr/bin/rtpengine` of a release chroot, with host directories shared into it.
    Chroot {
        release: Release,
        root: PathBuf,
        shared: Vec<PathBuf>,
    },
}

impl Launcher {
    fn release(&self) -> Release {
        match self {
            Launcher::Host(_) => Release::Host,
            Launcher::Chroot { release, .. } => *release,
        }
    }

    /// The daemon binary as a host path.
    fn binary(&self) -> PathBuf {
        match self {
            Launcher::Host(binary) => binary.clone(),
            Launcher::Chroot { root, .. } => root.join(&CHROOT_BINARY[1..]),
        }
    }

    /// For error messages.
    fn describe(&self) -> String {
        match self {
            Launcher::Host(binary) => binary.display().to_string(),
            Launcher::Chroot { release, root, .. } => {
                format!("rtpengine {release} in {}", root.display())
            }
        }
    }

    fn daemon_command(&self, args: &[OsString]) -> Command {
        let chroot = system_tool("chroot", "/usr/sbin/chroot");
        let mut cmd;
        match self {
            Launcher::Host(binary) => cmd = Command::new(binary),
            Launcher::Chroot { root, shared, .. } if shared.is_empty() => {
                cmd = Command::new(chroot);
                cmd.arg(root).arg(CHROOT_BINARY);
            }
            Launcher::Chroot { root, shared, .. } => {
                cmd = Command::new(system_tool("unshare", "/usr/bin/unshare"));
                cmd.args(["--mount", "--propagation", "private", "--", "/bin/sh", "-c"])
                    .arg(SHARE_SCRIPT)
                    .arg("rtpengine-chroot")
                    .arg(root)
                    .arg(chroot)
                    .arg(shared.len().to_string())
                    .args(shared);
            }
        }
        cmd.args(args);
        cmd
    }

    fn version_command(&self) -> Command {
        let mut cmd = match self {
            Launcher::Host(binary) => Command::new(binary),
            Launcher::Chroot { root, .. } => {
                let mut cmd = Command::new(system_tool("chroot", "/usr/sbin/chroot"));
                cmd.arg(root).arg(CHROOT_BINARY);
                cmd
            }
        };
        cmd.arg("--version");
        cmd
    }
}

/// Canonical, deduplicated shared directories; one inside another is dropped (the outer
/// mount already shares it).
fn normalize_shared(dirs: &[PathBuf]) -> Result<Vec<PathBuf>, TestkitError> {
    let mut out: Vec<PathBuf> = Vec::new();
    for d in dirs {
        let c = std::fs::canonicalize(d).map_err(|e| {
            TestkitError::Io(std::io::Error::new(
                e.kind(),
                format!(
                    "cannot share {} with the rtpengine chroot: {e}",
                    d.display()
                ),
            ))
        })?;
        out.push(c);
    }
    out.sort();
    out.dedup();
    let mut kept: Vec<PathBuf> = Vec::new();
    for d in out {
        if !kept.iter().any(|k| d.starts_with(k)) {
            kept.push(d);
        }
    }
    Ok(kept)
}

fn spawn_reader<R: Read + Send + 'static>(
    src: R,
    log: Arc<Mutex<String>>,
) -> Option<JoinHandle<()>> {
    std::thread::Builder::new()
        .name("rtpengine-log".into())
        .spawn(move || {
            let mut reader = BufReader::new(src);
            let mut buf = Vec::new();
            loop {
                buf.clear();
                match reader.read_until(b'\n', &mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        let line = String::from_utf8_lossy(&buf);
                        let mut l = lock_log(&log);
                        l.push_str(&line);
                        if !line.ends_with('\n') {
                            l.push('\n');
                        }
                    }
                }
            }
        })
        .ok()
}

/// Builder for [`Rtpengine`]; obtain one with [`Rtpengine::builder`].
#[derive(Debug, Clone)]
pub struct RtpengineBuilder {
    binary: Option<PathBuf>,
    release: Option<Release>,
    shared_dirs: Vec<PathBuf>,
    share_temp_dir: bool,
    interfaces: Vec<String>,
    delete_delay: u32,
    extra_args: Vec<String>,
    startup_timeout: Duration,
}

impl Default for RtpengineBuilder {
    fn default() -> Self {
        RtpengineBuilder {
            binary: None,
            release: None,
            shared_dirs: Vec::new(),
            share_temp_dir: true,
            interfaces: vec!["127.0.0.1".to_owned()],
            delete_delay: 0,
            extra_args: Vec::new(),
            startup_timeout: Duration::from_secs(15),
        }
    }
}

impl RtpengineBuilder {
    /// Creates a builder with the defaults: interface `127.0.0.1`,
    /// `--delete-delay=0`, startup timeout 15 s, release from `$RTPENGINE_RELEASE` (the host's
    /// binary, auto-detected, when unset).
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends an extra daemon argument, e.g. `--dtmf-log-ng-tcp` or `--log-level=7`.
    pub fn arg(mut self, arg: impl Into<String>) -> Self {
        self.extra_args.push(arg.into());
        self
    }

    /// Appends several extra daemon arguments.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.extra_args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Sets `--delete-delay` (default 0).
    pub fn delete_delay(mut self, seconds: u32) -> Self {
        self.delete_delay = seconds;
        self
    }

    /// Uses this host binary instead of auto-detection. A bare name (no `/`) is
    /// looked up on `PATH`. Selects [`Release::Host`], whatever `$RTPENGINE_RELEASE` says
    /// (the later of `binary` and [`RtpengineBuilder::release`] wins).
    pub fn binary(mut self, path: impl Into<PathBuf>) -> Self {
        self.binary = Some(path.into());
        self.release = Some(Release::Host);
        self
    }

    /// Runs this release instead of the one `$RTPENGINE_RELEASE` selects. A chroot release that
    /// is not installed makes [`RtpengineBuilder::start`] fail with
    /// [`TestkitError::ReleaseNotInstalled`], which names the install command. Forgets an
    /// earlier [`RtpengineBuilder::binary`].
    pub fn release(mut self, release: Release) -> Self {
        self.release = Some(release);
        self.binary = None;
        self
    }

    /// For a chroot release: also bind-mounts this existing host directory into the chroot at
    /// the same path (in the daemon's own mount namespace), so paths under it mean the same
    /// to the daemon and to the test. The host's temporary directory is shared by default.
    /// Ignored for the host release.
    pub fn share_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.shared_dirs.push(dir.into());
        self
    }

    /// For a chroot release: whether to share the host's temporary directory
    /// ([`std::env::temp_dir`]) with the chroot (default true). Without any shared directory
    /// the daemon runs as plain `chroot ROOT /usr/bin/rtpengine`, with no mount namespace.
    pub fn share_temp_dir(mut self, share: bool) -> Self {
        self.share_temp_dir = share;
        self
    }

    /// Uses a single `--interface=` value (default `127.0.0.1`).
    pub fn interface(mut self, interface: impl Into<String>) -> Self {
        self.interfaces = vec![interface.into()];
        self
    }

    /// Uses these `--interface=` values, one argument each (default `["127.0.0.1"]`).
    pub fn interfaces(mut self, interfaces: Vec<String>) -> Self {
        self.interfaces = interfaces;
        self
    }

    /// How long to wait for the daemon to answer an NG ping (default 15 s).
    pub fn startup_timeout(mut self, timeout: Duration) -> Self {
        self.startup_timeout = timeout;
        self
    }

    /// Connects the daemon to `redis` for high availability: writes its calls to database
    /// `own_db` (`--redis=127.0.0.1:P/own_db`) and restores, as foreign calls, those its peers
    /// write to `subscribe_dbs` (one `--subscribe-keyspace=N` per database; the option repeats,
    /// a comma list is not understood).
    ///
    /// The layout that works gives every node its own database, subscribed to all the peers'
    /// databases: A `redis(&r, 1, &[2])`, B `redis(&r, 2, &[1])`. Two nodes writing the same
    /// database lose calls (see `redis-ha.md` in the project's shared reference).
    pub fn redis(
        mut self,
        redis: &crate::redis::RedisServer,
        own_db: u32,
        subscribe_dbs: &[u32],
    ) -> Self {
        self.extra_args
            .push(format!("--redis={}", redis.rtpengine_arg(own_db)));
        self.extra_args.extend(
            subscribe_dbs
                .iter()
                .map(|db| format!("--subscribe-keyspace={db}")),
        );
        self
    }

    /// Adds `--active-switchover`: a node that holds a peer's call as foreign takes it over
    /// (becomes its owner and writes it to its own database) on the first offer/answer or RTP
    /// packet for it.
    pub fn active_switchover(mut self) -> Self {
        self.extra_args.push("--active-switchover".to_owned());
        self
    }

    /// Adds `--max-sessions=n`: the daemon refuses new calls beyond `n` concurrent ones.
    pub fn max_sessions(mut self, n: u32) -> Self {
        self.extra_args.push(format!("--max-sessions={n}"));
        self
    }

    /// Starts `n` daemons with these settings in parallel (one thread each), for the nodes of a
    /// cluster.
    ///
    /// Every daemon gets its own reserved ports and media range as with
    /// [`RtpengineBuilder::start`]; all listen on 127.0.0.1 and are told apart by their ports.
    /// Each is an independent [`Rtpengine`] (kill, stop or restart one, the others run on).
    /// If any fails to start, the ones that did are killed and the first error is returned.
    /// Settings that must differ per node (e.g. [`RtpengineBuilder::redis`] databases) need one
    /// builder per node.
    pub fn start_many(self, n: usize) -> Result<Vec<Rtpengine>, TestkitError> {
        let results: Vec<Result<Rtpengine, TestkitError>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..n)
                .map(|_| {
                    let builder = self.clone();
                    scope.spawn(move || builder.start())
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join().unwrap_or_else(|_| {
                        Err(TestkitError::StartupFailed {
                            reason: "the thread starting a daemon panicked".to_owned(),
                            log_tail: String::new(),
                        })
                    })
                })
                .collect()
        });
        results.into_iter().collect()
    }

    /// Starts the daemon and waits until it answers an NG `ping` over UDP.
    ///
    /// If the daemon exits during startup (e.g. because a port was taken in
    /// the meantime) it is retried with fresh ports up to 3 times.
    pub fn start(self) -> Result<Rtpengine, TestkitError> {
        let launcher = self.launcher()?;
        let mut last_err = None;
        for attempt in 1..=START_ATTEMPTS {
            let reservation = Reservation::new()?;
            match self.try_start(&launcher, reservation) {
                Ok(daemon) => return Ok(daemon),
                Err(Attempt::Fatal(e)) => return Err(e),
                Err(Attempt::Exited { status, log_tail }) => {
                    tracing::debug!(attempt, %status, "rtpengine exited during startup; retrying with new ports");
                    last_err = Some(TestkitError::StartupFailed {
                        reason: format!(
                            "rtpengine ({}) exited during startup with {status} \
                             (tried {attempt} time(s) with different ports)",
                            launcher.describe()
                        ),
                        log_tail,
                    });
                }
            }
        }
        Err(last_err.unwrap_or_else(|| TestkitError::StartupFailed {
            reason: "no start attempt was made".to_owned(),
            log_tail: String::new(),
        }))
    }

    /// Resolves the release (explicit, else `$RTPENGINE_RELEASE`) to what is started.
    fn launcher(&self) -> Result<Launcher, TestkitError> {
        let release = match self.release {
            Some(r) => r,
            None => Release::from_env()?,
        };
        let Some(root) = release.root() else {
            return Ok(Launcher::Host(locate_binary(self.binary.as_deref())?));
        };
        if !release.is_installed() {
            return Err(TestkitError::ReleaseNotInstalled {
                release: release.to_string(),
                binary: root.join(&CHROOT_BINARY[1..]),
                install: release.install_command().unwrap_or_default(),
            });
        }
        let mut shared = Vec::new();
        if self.share_temp_dir {
            shared.push(std::env::temp_dir());
        }
        shared.extend(self.shared_dirs.iter().cloned());
        Ok(Launcher::Chroot {
            release,
            root,
            shared: normalize_shared(&shared)?,
        })
    }

    fn command_args(&self, r: &Reservation) -> Vec<OsString> {
        let media = r.media_range();
        let mut args: Vec<String> = Vec::new();
        // Isolate test daemons from the host's /etc/rtpengine/rtpengine.conf (the Debian package
        // ships one with TOS, recording and other settings) unless the caller names a config.
        if !self
            .extra_args
            .iter()
            .any(|a| a.starts_with("--config-file"))
        {
            args.push("--config-file=none".into());
        }
        args.extend([
            "--foreground".into(),
            "--no-fallback".into(),
            "--table=-1".into(),
            "--log-stderr".into(),
        ]);
        args.extend(self.interfaces.iter().map(|i| format!("--interface={i}")));
        args.extend([
            format!("--listen-ng=127.0.0.1:{}", r.ng_udp),
            format!("--listen-tcp-ng=127.0.0.1:{}", r.ng_tcp),
            format!("--listen-http=127.0.0.1:{}", r.http),
            format!("--listen-cli=127.0.0.1:{}", r.cli),
            format!("--port-min={}", media.start()),
            format!("--port-max={}", media.end()),
            format!("--delete-delay={}", self.delete_delay),
        ]);
        args.extend(self.extra_args.iter().cloned());
        args.into_iter().map(OsString::from).collect()
    }

    fn try_start(
        &self,
        launcher: &Launcher,
        reservation: Reservation,
    ) -> Result<Rtpengine, Attempt> {
        let args = self.command_args(&reservation);
        tracing::debug!(daemon = %launcher.describe(), ?args, "starting rtpengine");
        let binary = launcher.binary();
        let mut child = launcher
            .daemon_command(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|source| {
                Attempt::Fatal(TestkitError::Spawn {
                    path: binary.to_path_buf(),
                    source,
                })
            })?;

        let log = Arc::new(Mutex::new(String::new()));
        let mut readers = Vec::new();
        if let Some(out) = child.stdout.take() {
            readers.extend(spawn_reader(out, Arc::clone(&log)));
        }
        if let Some(err) = child.stderr.take() {
            readers.extend(spawn_reader(err, Arc::clone(&log)));
        }

        let localhost = Ipv4Addr::LOCALHOST;
        let mut daemon = Rtpengine {
            args,
            startup_timeout: self.startup_timeout,
            process: Process::new(child, "rtpengine"),
            binary,
            launcher: launcher.clone(),
            log,
            readers,
            ng_udp: SocketAddr::from((localhost, reservation.ng_udp)),
            ng_tcp: SocketAddr::from((localhost, reservation.ng_tcp)),
            http: SocketAddr::from((localhost, reservation.http)),
            cli: SocketAddr::from((localhost, reservation.cli)),
            media: reservation.media_range(),
            interfaces: self.interfaces.clone(),
            version: OnceLock::new(),
            _reservation: reservation,
        };

        match daemon.wait_ready(self.startup_timeout) {
            Ok(()) => Ok(daemon),
            Err(Ready::Exited(status)) => {
                daemon.wait_for_readers(Duration::from_millis(500));
                Err(Attempt::Exited {
                    status,
                    log_tail: daemon.log_tail(LOG_TAIL_LINES),
                })
            }
            Err(Ready::Timeout) => {
                let _ = daemon.kill();
                daemon.wait_for_readers(Duration::from_millis(500));
                Err(Attempt::Fatal(TestkitError::StartupFailed {
                    reason: format!(
                        "rtpengine ({}) did not answer an NG ping on {} within {:?}",
                        launcher.describe(),
                        daemon.ng_udp,
                        self.startup_timeout
                    ),
                    log_tail: daemon.log_tail(LOG_TAIL_LINES),
                }))
            }
            Err(Ready::Io(e)) => {
                let _ = daemon.kill();
                Err(Attempt::Fatal(TestkitError::Io(e)))
            }
        }
    }
}

/// Outcome of one failed start attempt.
enum Attempt {
    /// Not worth retrying.
    Fatal(TestkitError),
    /// The daemon exited early; retry with other ports.
    Exited {
        status: ExitStatus,
        log_tail: String,
    },
}

/// Why the readiness wait failed.
enum Ready {
    Exited(ExitStatus),
    Timeout,
    Io(std::io::Error),
}

/// A running rtpengine daemon, killed (SIGKILL) when dropped.
///
/// ```no_run
/// let rtpe = rtpengine_testkit::Rtpengine::start()?;
/// println!("NG control at {}", rtpe.udp_url());
/// # Ok::<(), rtpengine_testkit::TestkitError>(())
/// ```
pub struct Rtpengine {
    process: Process,
    /// The arguments it was started with, for [`Rtpengine::restart`].
    args: Vec<OsString>,
    startup_timeout: Duration,
    binary: PathBuf,
    launcher: Launcher,
    log: Arc<Mutex<String>>,
    readers: Vec<JoinHandle<()>>,
    ng_udp: SocketAddr,
    ng_tcp: SocketAddr,
    http: SocketAddr,
    cli: SocketAddr,
    media: RangeInclusive<u16>,
    interfaces: Vec<String>,
    version: OnceLock<String>,
    /// Released after the process is killed (fields drop after `Drop::drop`).
    _reservation: Reservation,
}

impl std::fmt::Debug for Rtpengine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rtpengine")
            .field("pid", &self.process.id())
            .field("release", &self.launcher.release())
            .field("binary", &self.binary)
            .field("ng_udp", &self.ng_udp)
            .field("ng_tcp", &self.ng_tcp)
            .field("http", &self.http)
            .field("cli", &self.cli)
            .field("media", &self.media)
            .field("interfaces", &self.interfaces)
            .finish_non_exhaustive()
    }
}

impl Rtpengine {
    /// Starts a daemon with default settings; same as `Rtpengine::builder().start()`.
    pub fn start() -> Result<Rtpengine, TestkitError> {
        Self::builder().start()
    }

    /// Returns a builder for a customised daemon.
    pub fn builder() -> RtpengineBuilder {
        RtpengineBuilder::default()
    }

    fn wait_ready(&mut self, timeout: Duration) -> Result<(), Ready> {
        let deadline = Instant::now() + timeout;
        let sock = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).map_err(Ready::Io)?;
        sock.set_read_timeout(Some(PING_INTERVAL))
            .map_err(Ready::Io)?;
        let n = PING_COUNTER.fetch_add(1, Ordering::Relaxed);
        let cookie = format!("tk{}_{n}", std::process::id());
        let ping = format!("{cookie} d7:command4:pinge");
        let mut buf = [0u8; 2048];
        loop {
            if let Some(status) = self.process.try_exit().map_err(Ready::Io)? {
                return Err(Ready::Exited(status));
            }
            if Instant::now() >= deadline {
                return Err(Ready::Timeout);
            }
            // Sending may fail transiently (e.g. ECONNREFUSED from an earlier ICMP); ignore.
            let _ = sock.send_to(ping.as_bytes(), self.ng_udp);
            let window_end = Instant::now() + PING_INTERVAL;
            while Instant::now() < window_end {
                match sock.recv_from(&mut buf) {
                    Ok((len, from)) => {
                        let reply = &buf[..len];
                        if from == self.ng_udp
                            && reply.starts_with(cookie.as_bytes())
                            && reply.get(cookie.len()) == Some(&b' ')
                            && reply.windows(4).any(|w| w == b"pong")
                        {
                            return Ok(());
                        }
                    }
                    Err(_) => break,
                }
            }
        }
    }

    fn wait_for_readers(&mut self, max: Duration) {
        let deadline = Instant::now() + max;
        while self.readers.iter().any(|h| !h.is_finished()) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Address of the NG control protocol over UDP.
    pub fn ng_udp_addr(&self) -> SocketAddr {
        self.ng_udp
    }

    /// Address of the NG control protocol over TCP.
    pub fn ng_tcp_addr(&self) -> SocketAddr {
        self.ng_tcp
    }

    /// Address of the HTTP/WebSocket listener.
    pub fn http_addr(&self) -> SocketAddr {
        self.http
    }

    /// Address of the CLI listener.
    pub fn cli_addr(&self) -> SocketAddr {
        self.cli
    }

    /// The NG UDP address as a URL, e.g. `udp://127.0.0.1:40123`.
    pub fn udp_url(&self) -> String {
        format!("udp://{}", self.ng_udp)
    }

    /// The media port range (`--port-min..=--port-max`), 200 ports.
    pub fn media_port_range(&self) -> RangeInclusive<u16> {
        self.media.clone()
    }

    /// The `--interface=` values the daemon was started with.
    pub fn interfaces(&self) -> &[String] {
        &self.interfaces
    }

    /// Process id of the daemon.
    pub fn pid(&self) -> u32 {
        self.process.id()
    }

    /// Path of the binary that was started, on the host (for a chroot release, inside its
    /// root, e.g. `/var/cache/rtpengine-releases/trixie/usr/bin/rtpengine`).
    pub fn binary(&self) -> &Path {
        &self.binary
    }

    /// The release this daemon runs.
    pub fn release(&self) -> Release {
        self.launcher.release()
    }

    /// Root directory of the daemon's chroot; `None` for the host's release.
    pub fn root(&self) -> Option<&Path> {
        match &self.launcher {
            Launcher::Host(_) => None,
            Launcher::Chroot { root, .. } => Some(root),
        }
    }

    /// The host path of a path as the daemon sees it (e.g. a file it reports having written).
    ///
    /// The identity for the host release and for paths under a directory shared with the
    /// chroot (the host's temporary directory by default); otherwise the path inside the
    /// chroot's root. Relative paths are taken relative to the chroot's `/` (the daemon's
    /// working directory there).
    pub fn host_path(&self, daemon_path: impl AsRef<Path>) -> PathBuf {
        let p = daemon_path.as_ref();
        match &self.launcher {
            Launcher::Host(_) => p.to_path_buf(),
            Launcher::Chroot { shared, .. } if shared.iter().any(|s| p.starts_with(s)) => {
                p.to_path_buf()
            }
            Launcher::Chroot { root, .. } => root.join(p.strip_prefix("/").unwrap_or(p)),
        }
    }

    /// The path the daemon sees for a host path (e.g. a file a test wrote for it to play), or
    /// `None` if the daemon cannot see it (a chroot daemon sees only its root and the shared
    /// directories). The identity for the host release.
    pub fn daemon_path(&self, host_path: impl AsRef<Path>) -> Option<PathBuf> {
        let p = host_path.as_ref();
        match &self.launcher {
            Launcher::Host(_) => Some(p.to_path_buf()),
            Launcher::Chroot { shared, .. } if shared.iter().any(|s| p.starts_with(s)) => {
                Some(p.to_path_buf())
            }
            Launcher::Chroot { root, .. } => p
                .strip_prefix(root)
                .ok()
                .map(|rel| Path::new("/").join(rel)),
        }
    }

    /// First line of `rtpengine --version` of the binary that was started (e.g.
    /// `Version: 10.5.3.5-1+deb12u1`, or `Version: 12.5.1.31-1` for the trixie chroot).
    ///
    /// Runs the binary once per instance; best-effort, returns `"unknown"` if
    /// the version cannot be determined.
    pub fn version(&self) -> String {
        self.version
            .get_or_init(|| {
                self.launcher
                    .version_command()
                    .stdin(Stdio::null())
                    .output()
                    .ok()
                    .and_then(|out| {
                        let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
                        text.push('\n');
                        text.push_str(&String::from_utf8_lossy(&out.stderr));
                        text.lines()
                            .map(str::trim)
                            .find(|l| !l.is_empty())
                            .map(str::to_owned)
                    })
                    .unwrap_or_else(|| "unknown".to_owned())
            })
            .clone()
    }

    /// [`Rtpengine::version`] as numbers `(major, minor, patch, build)`, e.g. `(12, 5, 1, 31)`;
    /// `None` if it cannot be determined.
    pub fn version_numbers(&self) -> Option<(u16, u16, u16, u16)> {
        parse_version(&self.version())
    }

    /// Everything the daemon wrote to stdout and stderr so far (after [`Rtpengine::sync_log`],
    /// so every line the daemon wrote before this call is included).
    pub fn log(&self) -> String {
        self.sync_log();
        lock_log(&self.log).clone()
    }

    /// The last `n` lines of the daemon's log (synced like [`Rtpengine::log`]).
    pub fn log_tail(&self, n: usize) -> String {
        self.sync_log();
        tail_lines(&lock_log(&self.log), n)
    }

    /// Number of (possibly overlapping) occurrences of `needle` in the log (synced like
    /// [`Rtpengine::log`]).
    pub fn log_count(&self, needle: &str) -> usize {
        self.sync_log();
        self.count_captured(needle)
    }

    /// Makes sure everything the daemon logged before this call has been captured.
    ///
    /// The log arrives through a pipe read by a background thread, so a line the daemon wrote
    /// just before answering a request may not be captured yet when the answer arrives. This
    /// sends the daemon a cookie-less datagram with a unique marker (the daemon logs it as
    /// invalid NG data and does nothing else: no reply, no statistics) and waits, up to one
    /// second, until the marker shows up in the captured log. Returns whether it did (false
    /// when the daemon is gone).
    pub fn sync_log(&self) -> bool {
        static MARKER: AtomicU64 = AtomicU64::new(0);
        let marker = format!(
            "testkit-log-sync-{}-{}",
            std::process::id(),
            MARKER.fetch_add(1, Ordering::Relaxed)
        );
        let Ok(socket) = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)) else {
            return false;
        };
        if socket.send_to(marker.as_bytes(), self.ng_udp).is_err() {
            return false;
        }
        let deadline = Instant::now() + Duration::from_secs(1);
        while Instant::now() < deadline {
            if self.count_captured(&marker) > 0 {
                return true;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        false
    }

    fn count_captured(&self, needle: &str) -> usize {
        if needle.is_empty() {
            return 0;
        }
        let log = lock_log(&self.log);
        let (hay, pat) = (log.as_bytes(), needle.as_bytes());
        hay.windows(pat.len()).filter(|w| *w == pat).count()
    }

    /// Waits until `needle` appears in the log at least `count` times, or
    /// `timeout` passes. Returns whether it did.
    pub fn wait_for_log(&self, needle: &str, count: usize, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if self.count_captured(needle) >= count {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Whether the daemon process is still alive.
    pub fn is_running(&mut self) -> bool {
        self.process.is_running()
    }

    /// Kills the daemon (SIGKILL) and waits for it to exit. Idempotent.
    pub fn kill(&mut self) -> std::io::Result<()> {
        self.process.kill()
    }

    /// Freezes the daemon (SIGSTOP) and waits until the kernel reports it stopped.
    ///
    /// A hang, not a death: the process keeps its sockets, so NG requests are queued by the
    /// kernel but not answered (nor refused) until [`Rtpengine::cont`]; requests still queued
    /// then are answered late. [`Rtpengine::kill`], [`Rtpengine::restart`] and dropping work on
    /// a stopped daemon. An error if the daemon is not running.
    pub fn stop(&mut self) -> std::io::Result<()> {
        self.process.stop()
    }

    /// Resumes a daemon frozen by [`Rtpengine::stop`] (SIGCONT) and waits until the kernel
    /// reports it running. Harmless on a running daemon; an error if it is dead.
    pub fn cont(&mut self) -> std::io::Result<()> {
        self.process.cont()
    }

    /// Whether the daemon is frozen by [`Rtpengine::stop`].
    pub fn is_stopped(&self) -> bool {
        self.process.is_stopped()
    }

    /// Starts the daemon again after a crash: kills it first if it still runs (also when
    /// stopped), then starts the same binary with the same arguments on the same ports and
    /// media range, and waits until it answers an NG `ping`.
    ///
    /// The new process has a new [`Rtpengine::pid`]; its output is appended to the same log,
    /// after a line `--- testkit: rtpengine restarted (pid N) ---`. With Redis (see
    /// [`RtpengineBuilder::redis`]) it restores its own calls from its database at start-up.
    /// If it exits at once (e.g. a port still held by someone else), it is retried a few times.
    pub fn restart(&mut self) -> Result<(), TestkitError> {
        self.kill()?;
        self.wait_for_readers(Duration::from_millis(500));
        let mut last_err = None;
        for attempt in 1..=START_ATTEMPTS {
            if attempt > 1 {
                std::thread::sleep(Duration::from_millis(200));
            }
            let mut child = self
                .launcher
                .daemon_command(&self.args)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .map_err(|source| TestkitError::Spawn {
                    path: self.binary.clone(),
                    source,
                })?;
            self.readers.retain(|h| !h.is_finished());
            lock_log(&self.log).push_str(&format!(
                "--- testkit: rtpengine restarted (pid {}) ---\n",
                child.id()
            ));
            if let Some(out) = child.stdout.take() {
                self.readers
                    .extend(spawn_reader(out, Arc::clone(&self.log)));
            }
            if let Some(err) = child.stderr.take() {
                self.readers
                    .extend(spawn_reader(err, Arc::clone(&self.log)));
            }
            self.process = Process::new(child, "rtpengine");
            match self.wait_ready(self.startup_timeout) {
                Ok(()) => return Ok(()),
                Err(Ready::Exited(status)) => {
                    self.wait_for_readers(Duration::from_millis(500));
                    last_err = Some(TestkitError::StartupFailed {
                        reason: format!(
                            "restarted rtpengine ({}) exited during startup with {status} \
                             (tried {attempt} time(s) on the same ports)",
                            self.launcher.describe()
                        ),
                        log_tail: tail_lines(&lock_log(&self.log), LOG_TAIL_LINES),
                    });
                }
                Err(Ready::Timeout) => {
                    let _ = self.kill();
                    self.wait_for_readers(Duration::from_millis(500));
                    return Err(TestkitError::StartupFailed {
                        reason: format!(
                            "restarted rtpengine ({}) did not answer an NG ping on {} within {:?}",
                            self.launcher.describe(),
                            self.ng_udp,
                            self.startup_timeout
                        ),
                        log_tail: tail_lines(&lock_log(&self.log), LOG_TAIL_LINES),
                    });
                }
                Err(Ready::Io(e)) => {
                    let _ = self.kill();
                    return Err(TestkitError::Io(e));
                }
            }
        }
        Err(last_err.unwrap_or_else(|| TestkitError::StartupFailed {
            reason: "no restart attempt was made".to_owned(),
            log_tail: String::new(),
        }))
    }
}

impl Drop for Rtpengine {
    fn drop(&mut self) {
        if let Err(e) = self.kill() {
            tracing::warn!(pid = self.process.id(), error = %e, "failed to kill rtpengine");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_lines_takes_last_lines() {
        assert_eq!(tail_lines("a\nb\nc\n", 2), "b\nc");
        assert_eq!(tail_lines("a\nb", 5), "a\nb");
        assert_eq!(tail_lines("", 5), "");
    }

    #[test]
    fn media_ranges_are_aligned_and_distinct() {
        let a = Reservation::new().unwrap();
        let b = Reservation::new().unwrap();
        assert_ne!(a.media_base, b.media_base);
        for r in [&a, &b] {
            assert_eq!(r.media_base % MEDIA_RANGE_LEN, 0);
            assert!(r.media_base >= MEDIA_PORT_FLOOR);
            assert!(*r.media_range().end() < MEDIA_PORT_CEILING);
            assert_eq!(r.media_range().count(), usize::from(MEDIA_RANGE_LEN));
        }
        let ports_a = [a.ng_udp, a.ng_tcp, a.http, a.cli];
        let ports_b = [b.ng_udp, b.ng_tcp, b.http, b.cli];
        assert!(ports_a.iter().all(|p| !ports_b.contains(p)));
        let base = a.media_base;
        drop(a);
        assert!(!reserved().ranges.contains(&base));
    }
}
