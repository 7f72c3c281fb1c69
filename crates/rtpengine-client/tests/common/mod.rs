//! Helpers shared by the integration tests: each test file says `mod common;` and uses what it
//! needs. Starting the real daemon and connecting to it, offer/answer between two local
//! "phones", SDP and error helpers, log assertions, temporary directories, a UDP relay, and the
//! pieces the tests against the scriptable `FakeNg` share.

// Every test binary compiles this module on its own and uses only part of it.
#![allow(dead_code)]

use rtpengine_client::NgCommands;
use std::borrow::Borrow;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use rtpengine_client::bencode::{decode, Dict, Encoder, Value};
use rtpengine_client::{
    AnswerOptions, CallStats, Client, DeleteOptions, Error, OfferOptions, QueryOptions, SdpReply,
};
use rtpengine_client::{OptionSpec, Since, Version};
use rtpengine_testkit::rtp::{sdp_audio, sdp_audio_v6, sdp_connection_addr, sdp_media_port};
use rtpengine_testkit::{FakeAction, FakeNg, FakeRequest, Rtpengine};
use tokio::net::UdpSocket;
use tokio::task::JoinHandle;

// ---------------------------------------------------------------------------------------------
// The real daemon

/// A daemon with the testkit's defaults (one interface, 127.0.0.1). Fails, never skips, when
/// rtpengine is not installed.
pub(crate) fn start() -> Rtpengine {
    Rtpengine::start().expect(
        "start rtpengine (these tests need the real daemon; install it with \
         scripts/install-deps.sh)",
    )
}

/// The started daemon's release, to the patch level (`10.5.3.5`, `12.5.1.31`, `26.0.1.26`):
/// the release `RTPENGINE_RELEASE` selected (see the testkit).
pub(crate) fn daemon_version(rtpe: &Rtpengine) -> Version {
    let (major, minor, patch, build) = rtpe
        .version_numbers()
        .unwrap_or_else(|| panic!("rtpengine --version names no version: {}", rtpe.version()));
    Version::full(major, minor, patch, build)
}

/// True when the daemon is the 10.5 line (Debian 12's package), whose exact log lines and
/// reply shapes many tests pin down.
pub(crate) fn is_10_5(rtpe: &Rtpengine) -> bool {
    daemon_version(rtpe).line() == Version::V10_5
}

/// A daemon with an IPv4 and an IPv6 interface (127.0.0.1 and ::1).
pub(crate) fn start_with_ipv6() -> Rtpengine {
    Rtpengine::builder()
        .interfaces(vec!["127.0.0.1".into(), "::1".into()])
        .start()
        .expect("start rtpengine with an IPv4 and an IPv6 interface")
}

/// A daemon that records calls as pcap files (and their metadata) into `spool`.
pub(crate) fn start_recording(spool: &TempDir) -> Rtpengine {
    Rtpengine::builder()
        .arg(format!("--recording-dir={}", spool.0.display()))
        .arg("--recording-method=pcap")
        .start()
        .expect("start rtpengine with pcap recording")
}

/// A client for the daemon's UDP control port (no version known, so nothing is gated).
pub(crate) async fn connect(rtpe: &Rtpengine) -> Client {
    Client::connect(&rtpe.udp_url())
        .await
        .expect("connect to rtpengine")
}

/// A client for `url` that takes its rtpengine to be `version` (unknown when `None`), with the
/// version check on or off.
pub(crate) async fn client_for(
    url: impl Into<String>,
    version: Option<Version>,
    check: bool,
) -> Client {
    let mut builder = Client::builder(url).version_check(check);
    if let Some(v) = version {
        builder = builder.rtpengine_version(v);
    }
    builder.connect().await.expect("connect")
}

/// How long to wait for a log line (the log is read from a pipe, a little after the reply).
const LOG_WAIT: Duration = Duration::from_secs(2);

/// Asserts `needle` is (or, within [`LOG_WAIT`], comes to be) in the log at least `n` times.
pub(crate) fn assert_log(rtpe: &Rtpengine, needle: &str, n: usize) {
    assert!(
        rtpe.wait_for_log(needle, n, LOG_WAIT),
        "{n} x {needle:?} expected in the log:\n{}",
        rtpe.log_tail(30)
    );
}

/// Asserts `needle` is (or, within [`LOG_WAIT`], comes to be) in the log exactly `n` times.
pub(crate) fn logged(rtpe: &Rtpengine, needle: &str, n: usize) {
    assert_log(rtpe, needle, n);
    assert_eq!(rtpe.log_count(needle), n, "{needle}");
}

// ---------------------------------------------------------------------------------------------
// Errors

/// The daemon's reason of an `Error::Rtpengine`; panics on any other error.
pub(crate) fn rtpengine_reason(err: impl Borrow<Error>) -> String {
    match err.borrow() {
        Error::Rtpengine { reason } => reason.clone(),
        other => panic!("expected Error::Rtpengine, got {other:?}"),
    }
}

/// `(what, since, target)` of an `Error::Unsupported`; panics on any other error.
pub(crate) fn unsupported(err: Error) -> (String, Since, Version) {
    match err {
        Error::Unsupported {
            what,
            since,
            target,
        } => (what, since, target),
        other => panic!("expected Error::Unsupported, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Offer, answer, query, delete (from-tag `tagA`, to-tag `tagB`)

/// `offer` from `tagA`; panics naming the call and the options on an error.
pub(crate) async fn offer(
    client: &Client,
    call_id: &str,
    sdp: &str,
    opts: &OfferOptions,
) -> SdpReply {
    client
        .offer(sdp, call_id, "tagA", opts)
        .await
        .unwrap_or_else(|e| panic!("offer {call_id} with {opts:?}: {e}"))
}

/// The rewritten SDP of [`offer`].
pub(crate) async fn offer_sdp(
    client: &Client,
    call_id: &str,
    sdp: &str,
    opts: &OfferOptions,
) -> String {
    offer(client, call_id, sdp, opts)
        .await
        .sdp_str()
        .into_owned()
}

/// `answer` from `tagB` to `tagA`; returns the rewritten SDP.
pub(crate) async fn answer_sdp(
    client: &Client,
    call_id: &str,
    sdp: &str,
    opts: &AnswerOptions,
) -> String {
    client
        .answer(sdp, call_id, "tagA", "tagB", opts)
        .await
        .unwrap_or_else(|e| panic!("answer {call_id} with {opts:?}: {e}"))
        .sdp_str()
        .into_owned()
}

/// The testkit's audio SDP (PCMU, PCMA, telephone-event) for media at `at`, IPv4 or IPv6.
fn audio_sdp(at: SocketAddr, session: u64) -> String {
    let addr = at.ip().to_string();
    match at {
        SocketAddr::V4(_) => sdp_audio(&addr, at.port(), session),
        SocketAddr::V6(_) => sdp_audio_v6(&addr, at.port(), session),
    }
}

/// Offer from A (media at `a`) and answer from B (media at `b`) with default options; returns
/// the rewritten offer SDP (for B) and the rewritten answer SDP (for A).
pub(crate) async fn offer_answer(
    client: &Client,
    call_id: &str,
    a: impl Into<SocketAddr>,
    b: impl Into<SocketAddr>,
) -> (String, String) {
    let (offer, answer) = (OfferOptions::new(), AnswerOptions::new());
    offer_answer_with(client, call_id, a, b, &offer, &answer).await
}

/// [`offer_answer`] with these options.
pub(crate) async fn offer_answer_with(
    client: &Client,
    call_id: &str,
    a: impl Into<SocketAddr>,
    b: impl Into<SocketAddr>,
    offer_opts: &OfferOptions,
    answer_opts: &AnswerOptions,
) -> (String, String) {
    let offered = offer_sdp(client, call_id, &audio_sdp(a.into(), 1), offer_opts).await;
    let answered = answer_sdp(client, call_id, &audio_sdp(b.into(), 2), answer_opts).await;
    (offered, answered)
}

/// `query` of the whole call; panics naming the call on an error.
pub(crate) async fn query(client: &Client, call_id: &str) -> CallStats {
    client
        .query(call_id, &QueryOptions::new())
        .await
        .unwrap_or_else(|e| panic!("query {call_id}: {e}"))
}

/// Deletes the call at once, freeing its ports (the daemon has 200).
pub(crate) async fn delete(client: &Client, call_id: &str) {
    client
        .delete(call_id, "tagA", &DeleteOptions::new().delete_delay(0))
        .await
        .unwrap_or_else(|e| panic!("delete {call_id}: {e}"));
}

// ---------------------------------------------------------------------------------------------
// SDP

/// SDP lines starting with `prefix`.
pub(crate) fn lines<'a>(sdp: &'a str, prefix: &str) -> Vec<&'a str> {
    sdp.lines()
        .map(|l| l.trim_end_matches('\r'))
        .filter(|l| l.starts_with(prefix))
        .collect()
}

/// The first SDP line starting with `prefix`; panics when there is none.
pub(crate) fn first_line<'a>(sdp: &'a str, prefix: &str) -> &'a str {
    lines(sdp, prefix)
        .first()
        .copied()
        .unwrap_or_else(|| panic!("no {prefix} line:\n{sdp}"))
}

/// The port of the first `m=audio` line.
pub(crate) fn media_port(sdp: &str) -> u16 {
    sdp_media_port(sdp).unwrap_or_else(|| panic!("no m=audio port in:\n{sdp}"))
}

/// Where the SDP tells its receiver to send media (first `c=` and `m=audio`).
pub(crate) fn media_target(sdp: &str) -> SocketAddr {
    let addr: IpAddr = sdp_connection_addr(sdp)
        .unwrap_or_else(|| panic!("no c= line in:\n{sdp}"))
        .parse()
        .unwrap();
    SocketAddr::new(addr, media_port(sdp))
}

/// `s` as an IP address.
pub(crate) fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

// ---------------------------------------------------------------------------------------------
// Sockets

/// A UDP socket on 127.0.0.1 and a free port.
pub(crate) async fn udp() -> UdpSocket {
    UdpSocket::bind("127.0.0.1:0").await.unwrap()
}

/// The port `sock` is bound to.
pub(crate) fn local_port(sock: &UdpSocket) -> u16 {
    sock.local_addr().unwrap().port()
}

/// A UDP relay: what reaches `front` is shown to `inspect` and sent on to `upstream` from
/// `back`; what comes back to `back` goes to the last sender on `front`.
pub(crate) fn spawn_relay(
    front: UdpSocket,
    back: UdpSocket,
    upstream: SocketAddr,
    mut inspect: impl FnMut(&[u8]) + Send + 'static,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut peer: Option<SocketAddr> = None;
        let mut fbuf = vec![0u8; 65_536];
        let mut bbuf = vec![0u8; 65_536];
        loop {
            tokio::select! {
                Ok((n, from)) = front.recv_from(&mut fbuf) => {
                    peer = Some(from);
                    inspect(&fbuf[..n]);
                    let _ = back.send_to(&fbuf[..n], upstream).await;
                }
                Ok((n, _)) = back.recv_from(&mut bbuf) => {
                    if let Some(p) = peer {
                        let _ = front.send_to(&bbuf[..n], p).await;
                    }
                }
            }
        }
    })
}

// ---------------------------------------------------------------------------------------------
// Files

/// A fresh directory (e.g. the daemon's recording spool), removed on drop.
pub(crate) struct TempDir(pub(crate) PathBuf);

impl TempDir {
    pub(crate) fn new(name: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let dir = std::env::temp_dir().join(format!(
            "rtpengine-client-{name}-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    /// The files of `sub` whose name starts with `prefix`.
    pub(crate) fn files(&self, sub: &str, prefix: &str) -> Vec<PathBuf> {
        std::fs::read_dir(self.0.join(sub))
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix))
            .collect()
    }

    /// Text of the finished metadata file (`metadata/*<call_id>*.txt`), once it exists.
    pub(crate) fn metadata_of(&self, call_id: &str) -> Option<String> {
        let deadline = Instant::now() + Duration::from_secs(3);
        loop {
            let found = std::fs::read_dir(self.0.join("metadata"))
                .into_iter()
                .flatten()
                .flatten()
                .map(|e| e.path())
                .find(|p| {
                    let name = p.file_name().unwrap().to_string_lossy().into_owned();
                    name.contains(call_id) && name.ends_with(".txt")
                });
            if let Some(path) = found {
                return std::fs::read_to_string(path).ok();
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

// ---------------------------------------------------------------------------------------------
// The fake NG server

/// An SDP for requests to a fake server (which does not read it).
pub(crate) const SDP: &str =
    "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n\
                       m=audio 40000 RTP/AVP 0\r\n";

/// `v` milliseconds.
pub(crate) fn ms(v: u64) -> Duration {
    Duration::from_millis(v)
}

/// A fake server answering with `script` and a client for it.
pub(crate) async fn fake_and_client<F>(script: F) -> (FakeNg, Client)
where
    F: Fn(&FakeRequest) -> Vec<FakeAction> + Send + Sync + 'static,
{
    let fake = FakeNg::start(script).await.expect("start the fake server");
    let client = Client::connect(&fake.url()).await.expect("connect");
    (fake, client)
}

/// Polls `cond` every few milliseconds for up to `max` (tokio time, so it works paused too).
pub(crate) async fn eventually(max: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let until = tokio::time::Instant::now() + max;
    loop {
        if cond() {
            return true;
        }
        if tokio::time::Instant::now() >= until {
            return false;
        }
        tokio::time::sleep(ms(5)).await;
    }
}

/// The `call-id` string of a request body, read without the client's decoder.
pub(crate) fn call_id_of(req: &FakeRequest) -> Option<String> {
    let needle = b"7:call-id";
    let at = req.body.windows(needle.len()).position(|w| w == needle)? + needle.len();
    let rest = &req.body[at..];
    let colon = rest.iter().position(|&b| b == b':')?;
    let len: usize = std::str::from_utf8(&rest[..colon]).ok()?.parse().ok()?;
    let value = rest.get(colon + 1..colon + 1 + len)?;
    Some(String::from_utf8_lossy(value).into_owned())
}

/// A bencode byte string `<len>:<bytes>`, as it appears on the wire.
pub(crate) fn benc(s: impl AsRef<[u8]>) -> Vec<u8> {
    let s = s.as_ref();
    let mut out = format!("{}:", s.len()).into_bytes();
    out.extend_from_slice(s);
    out
}

// ---------------------------------------------------------------------------------------------
// Options dictionaries

/// `d` + the entries + `e`, as sent inside a request.
pub(crate) fn dict_bytes(write: impl FnOnce(&mut Encoder<'_>)) -> Vec<u8> {
    let mut out = Vec::new();
    let mut enc = Encoder::new(&mut out);
    enc.dict();
    write(&mut enc);
    enc.end();
    out
}

/// The dictionary `bytes` decode to.
pub(crate) fn to_dict(bytes: &[u8]) -> Dict {
    match decode(bytes)
        .unwrap_or_else(|e| panic!("our own encoding does not decode: {e:?}"))
        .to_owned_value()
    {
        Value::Dict(d) => d,
        other => panic!("not a dictionary: {other:?}"),
    }
}

/// `{key: value}`.
pub(crate) fn dict(key: &str, value: Value) -> Value {
    Value::Dict([(key.to_owned(), value)].into_iter().collect::<Dict>())
}

/// A value of every shape the option keys take, so one of them fits each key.
pub(crate) fn key_samples() -> Vec<Value> {
    vec![
        Value::str("x"),
        Value::str("yes"),
        Value::str("192.0.2.1"),
        Value::Int(1),
        Value::str_list(["x"]),
        Value::List(vec![Value::str("IP4"), Value::str("192.0.2.1")]),
        dict("strip", Value::str_list(["x"])),
        dict("global", dict("add", Value::str_list(["x"]))),
        dict("file", Value::str("x")),
    ]
}

/// The first of `samples` that `from_dict` takes into the typed field of `key`.
pub(crate) fn sample_for<'a>(key: &str, samples: &'a [Value]) -> &'a Value {
    samples
        .iter()
        .find(|v| {
            let o =
                OfferOptions::from_dict(&[(key.to_owned(), (*v).clone())].into_iter().collect());
            o.raw.keys.is_empty() && !o.is_empty()
        })
        .unwrap_or_else(|| panic!("no sample value fits key '{key}'"))
}

/// Typed options with just `key` set (via `from_dict`, so the `OPTIONS` table drives a test), to
/// the first of `samples` that fits.
pub(crate) fn with_key(key: &str, samples: &[Value]) -> OfferOptions {
    let value = sample_for(key, samples).clone();
    OfferOptions::from_dict(&[(key.to_owned(), value)].into_iter().collect())
}

/// A catalogue table as (key, aliases, releases) triples, the shape these tests iterate over.
/// Leaked: built once per table per test process, and `'static` like the table itself.
pub(crate) fn key_table(
    table: &'static [OptionSpec],
) -> &'static [(&'static str, &'static [&'static str], Since)] {
    table
        .iter()
        .map(|o| (o.key, o.aliases, o.since))
        .collect::<Vec<_>>()
        .leak()
}

/// A counter of the daemon's `statistics` reply under `controlstatistics` (e.g.
/// `totaloffercount`: what it executed, not what it answered from its cookie cache).
pub(crate) fn control_counter(statistics: &Dict, key: &str) -> i64 {
    statistics
        .get("statistics")
        .and_then(|s| s.get("controlstatistics"))
        .and_then(|c| c.get(key))
        .and_then(Value::as_int)
        .unwrap_or_else(|| panic!("no controlstatistics.{key}"))
}
