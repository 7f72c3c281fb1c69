//! A private, throw-away `redis-server` for rtpengine's Redis high availability.
//!
//! [`RedisServer::start`] runs the host's `redis-server` (Debian package `redis-server`) on
//! 127.0.0.1 with its own free port, in its own temporary directory, with persistence off and
//! keyspace notifications on (`--notify-keyspace-events AKE`: rtpengine's subscriptions rely on
//! them and do not turn them on). It is killed, and its directory removed, on drop.
//! [`RtpengineBuilder::redis`](crate::RtpengineBuilder::redis) points a daemon at it.
//!
//! [`RedisServer::command`] is a tiny RESP client for assertions (`KEYS *`, `DBSIZE`,
//! `CONFIG GET ...`); [`RedisServer::command_in`] runs a command in another database.
//!
//! ```no_run
//! use rtpengine_testkit::{RedisServer, Rtpengine};
//!
//! let redis = RedisServer::start()?;
//! // Each node writes its own database and subscribes to its peer's.
//! let a = Rtpengine::builder().redis(&redis, 1, &[2]).start()?;
//! let b = Rtpengine::builder().redis(&redis, 2, &[1]).start()?;
//! // ... offer a call to A; B restores it as a foreign call ...
//! let keys = redis.keys(1)?; // A's calls, by call-id
//! # let _ = (a, b, keys);
//! # Ok::<(), rtpengine_testkit::TestkitError>(())
//! ```

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::daemon::{is_executable_file, release_port, reserve_tcp_port};
use crate::error::TestkitError;
use crate::process::Process;

/// Environment variable that overrides the location of the `redis-server` binary.
pub const REDIS_SERVER_BIN_ENV: &str = "REDIS_SERVER_BIN";

/// Well-known install locations searched after `$REDIS_SERVER_BIN` and `PATH`.
const FALLBACK_PATHS: &[&str] = &["/usr/bin/redis-server", "/usr/sbin/redis-server"];
/// Start attempts (a fresh port each) when redis-server exits at once.
const START_ATTEMPTS: usize = 4;
/// How long to wait for the first `PONG`.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(10);
/// Read/write timeout of [`RedisServer::command`].
const COMMAND_TIMEOUT: Duration = Duration::from_secs(5);

static DIR_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Finds `redis-server`: `$REDIS_SERVER_BIN` (if set and non-empty; must then be executable),
/// `PATH`, `/usr/bin`, `/usr/sbin`.
pub fn locate_redis_server() -> Result<PathBuf, TestkitError> {
    if let Some(env) = std::env::var_os(REDIS_SERVER_BIN_ENV).filter(|v| !v.is_empty()) {
        let p = PathBuf::from(env);
        return is_executable_file(&p)
            .then_some(p)
            .ok_or(TestkitError::RedisNotFound);
    }
    if let Some(path) = std::env::var_os("PATH") {
        if let Some(p) = std::env::split_paths(&path)
            .map(|dir| dir.join("redis-server"))
            .find(|p| is_executable_file(p))
        {
            return Ok(p);
        }
    }
    FALLBACK_PATHS
        .iter()
        .map(PathBuf::from)
        .find(|p| is_executable_file(p))
        .ok_or(TestkitError::RedisNotFound)
}

/// A running `redis-server` on 127.0.0.1, killed (SIGKILL) when dropped.
pub struct RedisServer {
    process: Process,
    port: u16,
    dir: PathBuf,
    log: Arc<Mutex<String>>,
}

impl std::fmt::Debug for RedisServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisServer")
            .field("pid", &self.process.id())
            .field("port", &self.port)
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

fn redis_error(reason: impl Into<String>) -> TestkitError {
    TestkitError::Redis {
        reason: reason.into(),
    }
}

fn tail(log: &Mutex<String>, n: usize) -> String {
    let log = log.lock().unwrap_or_else(|e| e.into_inner());
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

impl RedisServer {
    /// Starts `redis-server` on 127.0.0.1 with a free port (reserved like the daemons' ports),
    /// `--save "" --appendonly no --notify-keyspace-events AKE --daemonize no`, in a fresh
    /// temporary directory, and waits until it answers `PING`.
    ///
    /// A missing binary is [`TestkitError::RedisNotFound`], whose message says how to install
    /// it. If the server exits at once (its port taken meanwhile) it is retried on another port.
    pub fn start() -> Result<RedisServer, TestkitError> {
        let binary = locate_redis_server()?;
        let mut last_err = None;
        for _ in 0..START_ATTEMPTS {
            match Self::try_start(&binary)? {
                Ok(server) => return Ok(server),
                Err(e) => last_err = Some(e),
            }
        }
        Err(last_err.unwrap_or_else(|| redis_error("no start attempt was made")))
    }

    /// `Err` for fatal problems; `Ok(Err)` when worth retrying with another port.
    fn try_start(binary: &Path) -> Result<Result<RedisServer, TestkitError>, TestkitError> {
        let port = reserve_tcp_port()?;
        let dir = std::env::temp_dir().join(format!(
            "rtpengine-testkit-redis-{}-{}",
            std::process::id(),
            DIR_COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        if let Err(e) = std::fs::create_dir_all(&dir) {
            release_port(port);
            return Err(e.into());
        }
        let spawned = Command::new(binary)
            .arg("--port")
            .arg(port.to_string())
            .args(["--bind", "127.0.0.1"])
            .args(["--save", ""])
            .args(["--appendonly", "no"])
            .args(["--notify-keyspace-events", "AKE"])
            .args(["--daemonize", "no"])
            .arg("--dir")
            .arg(&dir)
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn();
        let mut child = match spawned {
            Ok(c) => c,
            Err(source) => {
                release_port(port);
                let _ = std::fs::remove_dir_all(&dir);
                return Err(TestkitError::Spawn {
                    path: binary.to_path_buf(),
                    source,
                });
            }
        };
        let log = Arc::new(Mutex::new(String::new()));
        if let Some(out) = child.stdout.take() {
            spawn_reader(out, Arc::clone(&log));
        }
        if let Some(err) = child.stderr.take() {
            spawn_reader(err, Arc::clone(&log));
        }
        let mut server = RedisServer {
            process: Process::new(child, "redis-server"),
            port,
            dir,
            log,
        };

        let deadline = Instant::now() + STARTUP_TIMEOUT;
        loop {
            if let Some(status) = server.process.try_exit()? {
                std::thread::sleep(Duration::from_millis(50));
                return Ok(Err(redis_error(format!(
                    "redis-server exited during startup with {status}\n\
                     --- last lines of its log ---\n{}",
                    tail(&server.log, 20)
                ))));
            }
            if server.command(&["PING"]).is_ok_and(|r| r == "PONG") {
                return Ok(Ok(server));
            }
            if Instant::now() >= deadline {
                return Err(redis_error(format!(
                    "redis-server did not answer PING on 127.0.0.1:{port} within \
                     {STARTUP_TIMEOUT:?}\n--- last lines of its log ---\n{}",
                    tail(&server.log, 20)
                )));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The server's address, `127.0.0.1:P`.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.port))
    }

    /// The server's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Process id of the server.
    pub fn pid(&self) -> u32 {
        self.process.id()
    }

    /// A URL for database `db`: `redis://127.0.0.1:P/db`.
    pub fn url(&self, db: u32) -> String {
        format!("redis://127.0.0.1:{}/{db}", self.port)
    }

    /// Database `db` in the form rtpengine's `--redis=` and `--redis-write=` take:
    /// `127.0.0.1:P/db`.
    pub fn rtpengine_arg(&self, db: u32) -> String {
        format!("127.0.0.1:{}/{db}", self.port)
    }

    /// Everything the server wrote to stdout and stderr so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Runs one command in database 0 and returns its reply as text: a status or bulk string
    /// as is, an integer in decimal, a nil as `(nil)`, an array as its elements (flattened),
    /// one per line. A Redis error reply is [`TestkitError::Redis`]. One connection per call.
    ///
    /// ```no_run
    /// # let redis = rtpengine_testkit::RedisServer::start()?;
    /// assert_eq!(redis.command(&["PING"])?, "PONG");
    /// assert_eq!(redis.command(&["CONFIG", "GET", "notify-keyspace-events"])?,
    ///            "notify-keyspace-events\nAKE");
    /// # Ok::<(), rtpengine_testkit::TestkitError>(())
    /// ```
    pub fn command(&self, args: &[&str]) -> Result<String, TestkitError> {
        Ok(self.run(None, args)?.join("\n"))
    }

    /// [`RedisServer::command`] in database `db` (a `SELECT db` first, on the same connection).
    pub fn command_in(&self, db: u32, args: &[&str]) -> Result<String, TestkitError> {
        Ok(self.run(Some(db), args)?.join("\n"))
    }

    /// The keys of database `db` (`KEYS *`), sorted. rtpengine names a call's key by its
    /// call-id.
    pub fn keys(&self, db: u32) -> Result<Vec<String>, TestkitError> {
        let mut keys = self.run(Some(db), &["KEYS", "*"])?;
        keys.sort();
        Ok(keys)
    }

    /// The number of keys in database `db` (`DBSIZE`).
    pub fn dbsize(&self, db: u32) -> Result<u64, TestkitError> {
        let reply = self.command_in(db, &["DBSIZE"])?;
        reply
            .parse()
            .map_err(|_| redis_error(format!("DBSIZE answered {reply:?}")))
    }

    fn run(&self, db: Option<u32>, args: &[&str]) -> Result<Vec<String>, TestkitError> {
        let stream = TcpStream::connect_timeout(&self.addr(), COMMAND_TIMEOUT)?;
        stream.set_read_timeout(Some(COMMAND_TIMEOUT))?;
        stream.set_write_timeout(Some(COMMAND_TIMEOUT))?;
        let mut writer = stream.try_clone()?;
        let mut reader = BufReader::new(stream);
        if let Some(db) = db {
            let db = db.to_string();
            writer.write_all(&encode(&["SELECT", &db]))?;
            read_reply(&mut reader)?;
        }
        writer.write_all(&encode(args))?;
        let mut out = Vec::new();
        flatten(read_reply(&mut reader)?, &mut out);
        Ok(out)
    }

    /// Whether the server process is still alive.
    pub fn is_running(&mut self) -> bool {
        self.process.is_running()
    }

    /// Freezes the server (SIGSTOP): connections stay open, commands go unanswered until
    /// [`RedisServer::cont`]. An error if it is not running.
    pub fn stop(&mut self) -> std::io::Result<()> {
        self.process.stop()
    }

    /// Resumes a server frozen by [`RedisServer::stop`] (SIGCONT).
    pub fn cont(&mut self) -> std::io::Result<()> {
        self.process.cont()
    }

    /// Whether the server is frozen by [`RedisServer::stop`].
    pub fn is_stopped(&self) -> bool {
        self.process.is_stopped()
    }

    /// Kills the server (SIGKILL) and waits for it to exit. Idempotent. Its data is gone
    /// (nothing is persisted).
    pub fn kill(&mut self) -> std::io::Result<()> {
        self.process.kill()
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        if let Err(e) = self.kill() {
            tracing::warn!(pid = self.process.id(), error = %e, "failed to kill redis-server");
        }
        release_port(self.port);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn spawn_reader<R: Read + Send + 'static>(src: R, log: Arc<Mutex<String>>) {
    let _ = std::thread::Builder::new()
        .name("redis-log".into())
        .spawn(move || {
            let mut reader = BufReader::new(src);
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 0) {
                log.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push_str(&line);
                line.clear();
            }
        });
}

/// One RESP reply.
#[derive(Debug)]
enum Reply {
    Text(String),
    Nil,
    Array(Vec<Reply>),
}

fn flatten(reply: Reply, out: &mut Vec<String>) {
    match reply {
        Reply::Text(t) => out.push(t),
        Reply::Nil => out.push("(nil)".to_owned()),
        Reply::Array(items) => {
            for item in items {
                flatten(item, out);
            }
        }
    }
}

/// A command as a RESP array of bulk strings.
fn encode(args: &[&str]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out
}

fn protocol_error(what: impl Into<String>) -> TestkitError {
    redis_error(format!("protocol error: {}", what.into()))
}

fn read_reply<R: BufRead>(r: &mut R) -> Result<Reply, TestkitError> {
    let mut line = Vec::new();
    r.read_until(b'\n', &mut line)?;
    if !line.ends_with(b"\r\n") {
        return Err(protocol_error("connection closed mid-reply"));
    }
    line.truncate(line.len() - 2);
    let (kind, rest) = line
        .split_first()
        .ok_or_else(|| protocol_error("empty reply line"))?;
    let rest = String::from_utf8_lossy(rest).into_owned();
    let len = || -> Result<i64, TestkitError> {
        rest.parse()
            .map_err(|_| protocol_error(format!("bad length {rest:?}")))
    };
    match kind {
        b'+' | b':' => Ok(Reply::Text(rest)),
        b'-' => Err(redis_error(format!("error reply: {rest}"))),
        b'$' => {
            let n = len()?;
            if n < 0 {
                return Ok(Reply::Nil);
            }
            let n = usize::try_from(n).map_err(|_| protocol_error("bulk length"))?;
            let mut buf = vec![0u8; n + 2];
            r.read_exact(&mut buf)?;
            buf.truncate(n);
            Ok(Reply::Text(String::from_utf8_lossy(&buf).into_owned()))
        }
        b'*' => {
            let n = len()?;
            if n < 0 {
                return Ok(Reply::Nil);
            }
            let mut items = Vec::new();
            for _ in 0..n {
                items.push(read_reply(r)?);
            }
            Ok(Reply::Array(items))
        }
        other => Err(protocol_error(format!(
            "unexpected reply type {:?}",
            char::from(*other)
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_commands_as_resp_arrays() {
        assert_eq!(encode(&["PING"]), b"*1\r\n$4\r\nPING\r\n");
        assert_eq!(encode(&["SAVE", ""]), b"*2\r\n$4\r\nSAVE\r\n$0\r\n\r\n");
    }

    #[test]
    fn parses_replies() {
        let mut input: &[u8] = b"*3\r\n$1\r\na\r\n:42\r\n$-1\r\n";
        let mut out = Vec::new();
        flatten(read_reply(&mut input).unwrap(), &mut out);
        assert_eq!(out, ["a", "42", "(nil)"]);
        let mut err: &[u8] = b"-ERR unknown command\r\n";
        let e = read_reply(&mut err).unwrap_err().to_string();
        assert!(e.contains("ERR unknown command"), "{e}");
    }
}
