//! Fault cases of the UDP client against the scriptable fake NG server: loss, retransmission
//! schedule, duplicate, late, foreign and undecodable replies, error results, size guards, IPv6
//! and bad URLs. Faults the real daemon cannot produce; the real-daemon tests live elsewhere.

mod common;

use rtpengine_client::NgCommands;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use common::{benc, call_id_of, eventually, fake_and_client, ms, SDP};
use rtpengine_client::bencode::{Dict, Value};
use rtpengine_client::{
    Client, Error, OfferOptions, QueryOptions, RetransmitPolicy, DEFAULT_TIMEOUT,
};
use rtpengine_testkit::{FakeAction, FakeNg};
use tokio::time::Instant;
use tracing_subscriber::fmt::MakeWriter;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// `d<k><v>…6:result2:oke` with string values.
fn ok_body(fields: &[(&str, &str)]) -> Bytes {
    let mut out = b"d".to_vec();
    for (k, v) in fields {
        out.extend_from_slice(&benc(k.as_bytes()));
        out.extend_from_slice(&benc(v.as_bytes()));
    }
    out.extend_from_slice(b"6:result2:oke");
    Bytes::from(out)
}

/// An `ok` reply carrying a marker `n`, so a test can tell which reply the caller got.
fn marked(n: &str) -> Bytes {
    ok_body(&[("n", n)])
}

/// `query` with this call-id; returns the reply's `n` marker.
async fn query_marker(client: &Client, call_id: &str) -> Result<String, Error> {
    let stats = client.query(call_id, &QueryOptions::new()).await?;
    Ok(stats.raw.get_string("n").unwrap_or_default())
}

/// Debug logs of the current thread (the client's driver task runs there too on the default
/// current-thread test runtime), so tests can see that a datagram was dropped and why.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl io::Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Logs {
    type Writer = LogWriter;
    fn make_writer(&'a self) -> LogWriter {
        LogWriter(Arc::clone(&self.0))
    }
}

impl Logs {
    /// Captures debug logs until the guard is dropped.
    fn capture() -> (Self, tracing::subscriber::DefaultGuard) {
        let logs = Logs::default();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_ansi(false)
            .with_writer(logs.clone())
            .finish();
        (logs, tracing::subscriber::set_default(subscriber))
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }

    fn count(&self, needle: &str) -> usize {
        self.text().matches(needle).count()
    }
}

/// The logs say `n` datagrams were dropped for `why`, and no request is left waiting.
fn assert_dropped(logs: &Logs, why: &str, n: usize, client: &Client) {
    assert_eq!(logs.count(why), n, "{}", logs.text());
    assert_eq!(client.in_flight(), 0);
}

const UNKNOWN_COOKIE: &str = "dropping reply with unknown cookie";
const UNDECODABLE: &str = "dropping undecodable datagram";
const FOREIGN: &str = "dropping datagram from a foreign address";

/// A fake that never answers and records the (virtual) time of every datagram.
async fn silent_fake() -> (FakeNg, Arc<Mutex<Vec<Instant>>>) {
    let times = Arc::new(Mutex::new(Vec::new()));
    let t = Arc::clone(&times);
    let fake = FakeNg::start(move |_| {
        t.lock().unwrap().push(Instant::now());
        vec![]
    })
    .await
    .unwrap();
    (fake, times)
}

/// Sends a `ping` the fake never answers; returns the error, the send offsets and the time the
/// call took.
async fn ping_into_silence(
    client: &Client,
    times: &Mutex<Vec<Instant>>,
) -> (Error, Vec<Duration>, Duration) {
    times.lock().unwrap().clear();
    let start = Instant::now();
    let err = client.ping().await.unwrap_err();
    let took = start.elapsed();
    let offsets = times.lock().unwrap().iter().map(|t| *t - start).collect();
    (err, offsets, took)
}

/// Under paused time the offsets are exact; the tolerance only absorbs scheduling slack and is
/// far below the shortest interval (500 ms), so a wrong schedule still fails.
fn assert_schedule(offsets: &[Duration], expected: &[Duration]) {
    assert_eq!(
        offsets.len(),
        expected.len(),
        "sends at {offsets:?}, expected {expected:?}"
    );
    for (got, want) in offsets.iter().zip(expected) {
        assert!(
            got.abs_diff(*want) <= ms(20),
            "sends at {offsets:?}, expected {expected:?}"
        );
    }
}

fn assert_timeout(err: &Error, command: &str, attempts: usize, deadline: Duration) {
    match err {
        Error::Timeout {
            command: c,
            attempts: a,
            deadline: d,
            ..
        } => {
            assert_eq!(c, command);
            assert_eq!(*a as usize, attempts, "{err}");
            assert_eq!(*d, deadline);
        }
        other => panic!("expected Timeout, got {other:?}"),
    }
    assert!(err.is_timeout() && err.is_retryable_elsewhere());
}

// ---------------------------------------------------------------------------------------------
// 1. Loss and retransmission
// ---------------------------------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn lost_requests_are_retransmitted_with_the_same_cookie_and_bytes() {
    const LOST: usize = 3;
    let times = Arc::new(Mutex::new(Vec::new()));
    let t = Arc::clone(&times);
    let (fake, client) = fake_and_client(move |req| {
        t.lock().unwrap().push(Instant::now());
        if req.attempt < LOST {
            vec![]
        } else {
            vec![FakeAction::ok_with_sdp(b"v=0\r\nrewritten\r\n")]
        }
    })
    .await;
    let start = Instant::now();
    let reply = client
        .offer(SDP, "loss-call", "tag-a", &OfferOptions::new())
        .await
        .unwrap();
    assert_eq!(reply.sdp_str(), "v=0\r\nrewritten\r\n");

    let received = fake.received();
    assert_eq!(received.len(), LOST + 1);
    let cookie = received[0].cookie.clone();
    assert_eq!(fake.count_for_cookie(&cookie), LOST + 1);
    for (i, r) in received.iter().enumerate() {
        assert_eq!(r.cookie, cookie, "copy {i} changed the cookie");
        assert_eq!(r.body, received[0].body, "copy {i} changed the bytes");
        assert_eq!(r.attempt, i);
    }
    assert!(received[0].is_command("offer"));
    assert!(received[0].body_contains(&benc(SDP.as_bytes())));

    // The copies followed the default schedule, and the reply came with the 4th.
    let offsets: Vec<Duration> = times.lock().unwrap().iter().map(|t| *t - start).collect();
    let schedule = RetransmitPolicy::default().schedule(DEFAULT_TIMEOUT);
    assert_schedule(&offsets, &schedule[..=LOST]);

    // Nothing more is sent once answered.
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert_eq!(fake.received_count(), LOST + 1);
    assert_eq!(client.in_flight(), 0);
}

#[tokio::test]
async fn builder_retransmit_policy_is_used() {
    let fake = FakeNg::start(|req| {
        if req.attempt < 2 {
            vec![]
        } else {
            vec![FakeAction::pong()]
        }
    })
    .await
    .unwrap();
    let policy = RetransmitPolicy {
        initial: ms(20),
        max: ms(40),
        window: Duration::from_secs(25),
    };
    let client = Client::builder(fake.url())
        .retransmit(policy)
        .timeout(Duration::from_secs(5))
        .connect()
        .await
        .unwrap();
    let start = std::time::Instant::now();
    client.ping().await.unwrap();
    // Two losses cost 20 + 40 ms, far less than the default 0.5 + 1 s.
    assert!(start.elapsed() < ms(900), "{:?}", start.elapsed());
    let received = fake.received();
    assert_eq!(received.len(), 3);
    assert_eq!(fake.count_for_cookie(&received[0].cookie), 3);
    assert!(received.iter().all(|r| r.body == received[0].body));
}

// ---------------------------------------------------------------------------------------------
// 2. Retransmission schedule and deadlines (paused time)
// ---------------------------------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn default_schedule_and_timeout() {
    let (fake, times) = silent_fake().await;
    let client = Client::connect(&fake.url()).await.unwrap();
    assert_eq!(client.timeout(), DEFAULT_TIMEOUT);
    let expected = RetransmitPolicy::default().schedule(DEFAULT_TIMEOUT);
    // To a silent server: 200 ms doubling to 1 s, 12 datagrams in the 10 s deadline.
    assert_eq!(
        expected,
        [0, 200, 600, 1400, 2400, 3400, 4400, 5400, 6400, 7400, 8400, 9400].map(ms)
    );

    let (err, offsets, took) = ping_into_silence(&client, &times).await;
    assert_timeout(&err, "ping", expected.len(), DEFAULT_TIMEOUT);
    if let Error::Timeout { server, .. } = &err {
        assert_eq!(*server, fake.addr().to_string());
    }
    assert_schedule(&offsets, &expected);
    assert!(took.abs_diff(DEFAULT_TIMEOUT) <= ms(20), "{took:?}");

    // Every copy carried the same cookie; nothing is sent after the deadline.
    let cookie = fake.received()[0].cookie.clone();
    assert_eq!(fake.count_for_cookie(&cookie), expected.len());
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert_eq!(fake.received_count(), expected.len());
    assert_eq!(client.in_flight(), 0);
}

#[tokio::test(start_paused = true)]
async fn with_timeout_shortens_the_schedule() {
    let (fake, times) = silent_fake().await;
    let client = Client::connect(&fake.url()).await.unwrap();
    let short = client.with_timeout(Duration::from_secs(3));
    assert_eq!(short.timeout(), Duration::from_secs(3));
    assert_eq!(
        client.timeout(),
        DEFAULT_TIMEOUT,
        "the original is unchanged"
    );

    let expected = RetransmitPolicy::default().schedule(Duration::from_secs(3));
    assert_eq!(expected, [0, 200, 600, 1400, 2400].map(ms));
    let (err, offsets, took) = ping_into_silence(&short, &times).await;
    assert_timeout(&err, "ping", 5, Duration::from_secs(3));
    assert_schedule(&offsets, &expected);
    assert!(took.abs_diff(Duration::from_secs(3)) <= ms(20), "{took:?}");

    // A deadline that falls exactly on a send time does not send that copy.
    let (err, offsets, _) = ping_into_silence(&client.with_timeout(ms(1400)), &times).await;
    assert_timeout(&err, "ping", 3, ms(1400));
    assert_schedule(&offsets, &[0, 200, 600].map(ms));
}

#[tokio::test(start_paused = true)]
async fn builder_timeout_and_window() {
    let (fake, times) = silent_fake().await;
    let client = Client::builder(fake.url())
        .timeout(ms(1200))
        .connect()
        .await
        .unwrap();
    assert_eq!(client.timeout(), ms(1200));
    let (err, offsets, took) = ping_into_silence(&client, &times).await;
    assert_timeout(&err, "ping", 3, ms(1200));
    assert_schedule(&offsets, &[0, 200, 600].map(ms));
    assert!(took.abs_diff(ms(1200)) <= ms(20), "{took:?}");

    // A long deadline: no copy later than the 25 s window, intervals capped at 1 s.
    let long = Duration::from_secs(40);
    let expected = RetransmitPolicy::default().schedule(long);
    assert_eq!(expected.len(), 27);
    assert_eq!(expected.last(), Some(&ms(24_400)));
    let (err, offsets, took) = ping_into_silence(&client.with_timeout(long), &times).await;
    assert_timeout(&err, "ping", expected.len(), long);
    assert_schedule(&offsets, &expected);
    assert!(took.abs_diff(long) <= ms(20), "{took:?}");
}

#[tokio::test(start_paused = true)]
async fn custom_policy_schedules_are_followed() {
    let (fake, times) = silent_fake().await;
    let deadline = Duration::from_secs(2);
    for policy in [
        RetransmitPolicy {
            initial: ms(100),
            max: ms(200),
            window: ms(450),
        },
        RetransmitPolicy {
            initial: ms(300),
            max: Duration::from_secs(4),
            window: Duration::from_secs(25),
        },
        RetransmitPolicy::never(),
    ] {
        let client = client_with(&fake, deadline, policy).await;
        let expected = policy.schedule(deadline);
        let (err, offsets, took) = ping_into_silence(&client, &times).await;
        assert_timeout(&err, "ping", expected.len(), deadline);
        assert_schedule(&offsets, &expected);
        assert!(took.abs_diff(deadline) <= ms(20), "{policy:?}: {took:?}");
    }
}

/// A client for `fake` with this deadline and retransmission policy.
async fn client_with(fake: &FakeNg, deadline: Duration, policy: RetransmitPolicy) -> Client {
    Client::builder(fake.url())
        .timeout(deadline)
        .retransmit(policy)
        .connect()
        .await
        .unwrap()
}

/// The schedule of `policy`, computed on another thread so a looping `schedule` fails the test
/// instead of hanging it.
fn schedule_within_a_second(policy: RetransmitPolicy, deadline: Duration) -> Vec<Duration> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(policy.schedule(deadline));
    });
    rx.recv_timeout(Duration::from_secs(1))
        .unwrap_or_else(|_| panic!("{policy:?}.schedule({deadline:?}) does not terminate"))
}

/// A zero interval (a zero `initial`, or a zero `max`) means "no retransmission" in
/// [`RetransmitPolicy::schedule`]; neither the schedule nor the client may turn it into a loop.
#[tokio::test]
async fn zero_interval_policies_do_not_flood() {
    let (fake, _times) = silent_fake().await;
    let deadline = ms(150);
    for policy in [
        RetransmitPolicy {
            initial: Duration::ZERO,
            max: Duration::from_secs(4),
            window: Duration::from_secs(25),
        },
        RetransmitPolicy {
            initial: ms(500),
            max: Duration::ZERO,
            window: Duration::from_secs(25),
        },
    ] {
        assert_eq!(schedule_within_a_second(policy, deadline), [Duration::ZERO]);
        let client = client_with(&fake, deadline, policy).await;
        let before = fake.received_count();
        let err = client.ping().await.unwrap_err();
        assert_timeout(&err, "ping", 1, deadline);
        tokio::time::sleep(ms(30)).await;
        assert_eq!(fake.received_count() - before, 1, "{policy:?}");
    }
}

/// A deadline too far away for `Instant` arithmetic means "wait (practically) forever", not a
/// panic; so does a policy whose intervals overflow.
#[tokio::test(start_paused = true)]
async fn huge_deadlines_and_intervals_do_not_panic() {
    let fake = FakeNg::start(|_| vec![FakeAction::pong().after(Duration::from_secs(3600))])
        .await
        .unwrap();
    let client = Client::builder(fake.url())
        .timeout(Duration::MAX)
        .connect()
        .await
        .unwrap();
    let start = Instant::now();
    client.ping().await.unwrap();
    assert!(start.elapsed() >= Duration::from_secs(3600));

    let client = Client::builder(fake.url())
        .timeout(Duration::from_secs(7200))
        .retransmit(RetransmitPolicy {
            initial: Duration::MAX,
            max: Duration::MAX,
            window: Duration::from_secs(25),
        })
        .connect()
        .await
        .unwrap();
    client.ping().await.unwrap();
    // The first client sent the default schedule within the 25 s window (27 copies), the second
    // only once: its huge interval schedules no retransmission.
    let first = RetransmitPolicy::default().schedule(Duration::MAX).len();
    assert_eq!(first, 27);
    assert_eq!(fake.received_count(), first + 1);
}

// ---------------------------------------------------------------------------------------------
// 3.–8. Duplicate, late, wrong-cookie, undecodable and foreign replies
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn duplicate_replies_are_dropped_without_cross_talk() {
    let (logs, _guard) = Logs::capture();
    let (fake, client) = fake_and_client(|req| match call_id_of(req).as_deref() {
        Some("dup") => vec![
            FakeAction::Reply(marked("1")),
            FakeAction::Reply(marked("2")),
            FakeAction::ReplyAfter(ms(60), marked("3")),
        ],
        // Answered after the late duplicate of "dup" has arrived, before the first
        // retransmission (200 ms).
        Some("next") => vec![FakeAction::ReplyAfter(ms(120), marked("next"))],
        _ => vec![FakeAction::Reply(marked("other"))],
    })
    .await;

    assert_eq!(query_marker(&client, "dup").await.unwrap(), "1");
    assert_eq!(query_marker(&client, "next").await.unwrap(), "next");
    assert_eq!(query_marker(&client, "after").await.unwrap(), "other");

    // Both duplicates reached the client and were dropped as unknown cookies.
    assert!(
        eventually(ms(1000), || logs.count(UNKNOWN_COOKIE) == 2).await,
        "{}",
        logs.text()
    );
    assert_eq!(client.in_flight(), 0);
    // One copy each: the duplicates did not come from retransmissions.
    let received = fake.received();
    assert_eq!(received.len(), 3);
    for r in &received {
        assert_eq!(fake.count_for_cookie(&r.cookie), 1);
    }
}

#[tokio::test]
async fn late_reply_after_the_deadline_is_dropped() {
    let (logs, _guard) = Logs::capture();
    let (_fake, client) = fake_and_client(|req| match call_id_of(req).as_deref() {
        Some("late") => vec![FakeAction::ReplyAfter(ms(250), marked("late"))],
        Some("slow") => vec![FakeAction::ReplyAfter(ms(350), marked("slow"))],
        _ => vec![FakeAction::Reply(marked("quick"))],
    })
    .await;

    let err = query_marker(&client.with_timeout(ms(100)), "late")
        .await
        .unwrap_err();
    assert_timeout(&err, "query", 1, ms(100));
    assert_eq!(
        client.in_flight(),
        0,
        "a timed-out request leaves the table"
    );

    // The late reply arrives while this request waits; it must not be taken for this one.
    assert_eq!(query_marker(&client, "slow").await.unwrap(), "slow");
    assert_dropped(&logs, UNKNOWN_COOKIE, 1, &client);
    assert_eq!(query_marker(&client, "quick").await.unwrap(), "quick");
}

#[tokio::test]
async fn replies_with_another_cookie_are_ignored() {
    let (logs, _guard) = Logs::capture();
    let (_fake, client) = fake_and_client(|req| {
        let c = &req.cookie;
        let cookie = |b: &[u8]| Bytes::copy_from_slice(b);
        let mut longer = c.to_vec();
        longer.push(b'0');
        let mut upper = c.to_ascii_uppercase();
        if upper == c.as_ref() {
            upper.push(b'X');
        }
        vec![
            FakeAction::ReplyWithCookie(cookie(b"bogus"), marked("bogus")),
            FakeAction::ReplyWithCookie(cookie(&c[..c.len() - 1]), marked("prefix")),
            FakeAction::ReplyWithCookie(cookie(&longer), marked("longer")),
            FakeAction::ReplyWithCookie(cookie(&upper), marked("upper")),
            FakeAction::ReplyAfter(ms(50), marked("right")),
        ]
    })
    .await;
    assert_eq!(query_marker(&client, "wc").await.unwrap(), "right");
    assert_dropped(&logs, UNKNOWN_COOKIE, 4, &client);
}

#[tokio::test]
async fn undecodable_datagrams_are_dropped() {
    let (logs, _guard) = Logs::capture();
    let (fake, client) = fake_and_client(|req| {
        let with_cookie = |body: &[u8]| {
            let mut d = req.cookie.to_vec();
            d.push(b' ');
            d.extend_from_slice(body);
            FakeAction::Raw(Bytes::from(d))
        };
        vec![
            FakeAction::Raw(Bytes::from_static(b"\x00\xff garbage \x80")),
            FakeAction::Raw(Bytes::from_static(b"no-space-at-all")),
            FakeAction::Raw(Bytes::new()),
            // Empty cookie.
            FakeAction::Raw(Bytes::from_static(b" d6:result2:oke")),
            // The cookie alone, no space.
            FakeAction::Raw(req.cookie.clone()),
            // Right cookie, bodies that are not an NG reply dictionary.
            FakeAction::Reply(Bytes::from_static(b"li1ei2ee")),
            FakeAction::Reply(Bytes::from_static(b"5:hello")),
            FakeAction::Reply(Bytes::from_static(b"i42e")),
            FakeAction::Reply(Bytes::from_static(b"d1:n5:trunc6:result2:ok")),
            FakeAction::Reply(Bytes::from_static(b"d1:n5:trunc6:result2:oke trailing")),
            FakeAction::Reply(Bytes::from_static(b"{\"result\":\"ok\"")),
            with_cookie(b"  x"),
            FakeAction::Reply(Bytes::from_static(b"d6:resulti1e")),
            FakeAction::Reply(marked("right")),
        ]
    })
    .await;
    assert_eq!(query_marker(&client, "garbage").await.unwrap(), "right");
    // Datagrams are handled in order, so all 13 were dropped before the right one arrived.
    assert_dropped(&logs, UNDECODABLE, 13, &client);
    assert_eq!(fake.received_count(), 1);
}

/// rtpengine 26 answers a request it cannot decode with `<cookie> ` and nothing else, from its
/// cache for every copy: the request fails at once with a clear error, not after the deadline.
#[tokio::test]
async fn an_empty_reply_fails_the_request_at_once() {
    let (fake, client) = fake_and_client(|req| {
        let mut d = req.cookie.to_vec();
        d.push(b' ');
        vec![FakeAction::Raw(Bytes::from(d))]
    })
    .await;
    let started = std::time::Instant::now();
    let err = client.ping().await.expect_err("an empty reply");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert!(matches!(err, Error::MalformedReply { .. }), "{err:?}");
    assert!(err.to_string().contains("empty body"), "{err}");
    assert_eq!(fake.received_count(), 1, "no copy sent");
    assert_eq!(client.stats().errors.malformed_reply, 1);
    assert_eq!(client.in_flight(), 0);
}

/// Nesting bombs. 60,000 balanced levels (`l`×60000 `e`×60000) need 120,000 bytes, more than a
/// UDP datagram holds, so the bombs are 60,000 unterminated levels and the deepest balanced
/// nestings that fit in one datagram.
fn nesting_bombs() -> Vec<Bytes> {
    let balanced = |open: &[u8], levels: usize| {
        let mut b = open.repeat(levels);
        b.extend(std::iter::repeat_n(b'e', levels));
        Bytes::from(b)
    };
    let mut inside_reply = b"d6:result2:ok3:sdp".to_vec();
    inside_reply.extend_from_slice(&balanced(b"l", 30_000));
    inside_reply.push(b'e');
    vec![
        Bytes::from(b"l".repeat(60_000)),
        Bytes::from(b"d1:a".repeat(16_000)),
        balanced(b"l", 32_000),
        balanced(b"d1:a", 13_000),
        Bytes::from(inside_reply),
    ]
}

/// Bombs are nearly 64 KiB each; sent back to back they overflow the client's default socket
/// receive buffer (about three fit), so they go out one every few milliseconds.
const BOMB_SPACING: Duration = Duration::from_millis(15);

fn spaced(bombs: &[Bytes]) -> Vec<FakeAction> {
    bombs
        .iter()
        .enumerate()
        .map(|(i, b)| FakeAction::ReplyAfter(BOMB_SPACING * i as u32, b.clone()))
        .collect()
}

#[tokio::test]
async fn nesting_bomb_is_dropped_and_the_right_reply_wins() {
    let (logs, _guard) = Logs::capture();
    let bombs = nesting_bombs();
    let count = bombs.len();
    let (_fake, client) = fake_and_client(move |_| {
        let mut actions = spaced(&bombs);
        // A legitimately deep reply (50 levels) is still accepted.
        let mut right = b"d1:n5:right5:extra".to_vec();
        right.extend_from_slice(&b"l".repeat(50));
        right.extend_from_slice(&b"e".repeat(50));
        right.extend_from_slice(b"6:result2:oke");
        actions.push(FakeAction::ReplyAfter(
            BOMB_SPACING * bombs.len() as u32,
            Bytes::from(right),
        ));
        actions
    })
    .await;
    assert_eq!(query_marker(&client, "bomb").await.unwrap(), "right");
    assert_eq!(logs.count(UNDECODABLE), count, "{}", logs.text());
    assert_eq!(logs.count("nesting deeper than"), count);
}

#[tokio::test]
async fn nesting_bomb_alone_times_out_cleanly() {
    let (logs, _guard) = Logs::capture();
    let bombs = nesting_bombs();
    let count = bombs.len();
    let (_fake, client) = fake_and_client(move |_| spaced(&bombs)).await;
    // Shorter than the first retransmission interval (200 ms): one copy, one set of bombs.
    let err = client.with_timeout(ms(150)).ping().await.unwrap_err();
    assert_timeout(&err, "ping", 1, ms(150));
    assert_dropped(&logs, UNDECODABLE, count, &client);
}

#[tokio::test]
async fn reply_from_a_foreign_address_is_ignored() {
    let (logs, _guard) = Logs::capture();
    let (_fake, client) = fake_and_client(|_| {
        vec![FakeAction::ReplyFromOtherSocket(Bytes::from_static(
            b"d6:result4:ponge",
        ))]
    })
    .await;
    let err = client.with_timeout(ms(200)).ping().await.unwrap_err();
    assert_timeout(&err, "ping", 1, ms(200));
    // The client's socket is connected to the server: the kernel drops the foreign datagram
    // before the driver's own source check would.
    assert_dropped(&logs, FOREIGN, 0, &client);
}

#[tokio::test]
async fn reply_from_the_right_socket_after_a_foreign_one_wins() {
    let (logs, _guard) = Logs::capture();
    let (_fake, client) = fake_and_client(|_| {
        vec![
            FakeAction::ReplyFromOtherSocket(marked("foreign")),
            FakeAction::ReplyAfter(ms(50), marked("right")),
        ]
    })
    .await;
    assert_eq!(query_marker(&client, "f").await.unwrap(), "right");
    // Filtered by the connected socket, below the driver.
    assert_eq!(logs.count(FOREIGN), 0, "{}", logs.text());
}

/// Nothing listens: the request times out (ICMP port unreachable is not fatal), and the same
/// client works once a server appears on that port.
#[tokio::test]
async fn server_down_then_up() {
    let addr: SocketAddr = {
        let probe = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap()
    };
    let client = Client::builder(format!("udp://{addr}"))
        .timeout(ms(200))
        .retransmit(RetransmitPolicy {
            initial: ms(20),
            max: ms(20),
            window: Duration::from_secs(25),
        })
        .connect()
        .await
        .unwrap();
    let err = client.ping().await.unwrap_err();
    // Real time on a busy machine: a late timer can cost the last copy or two, so the count
    // is bounded by the schedule rather than equal to it (the paused-time tests pin it).
    let expected = client_policy_attempts(ms(20), ms(200));
    match &err {
        Error::Timeout { attempts, .. } => assert!(
            (2..=expected).contains(&(*attempts as usize)),
            "{attempts} copies, schedule {expected}: {err}"
        ),
        other => panic!("expected Timeout, got {other:?}"),
    }

    let fake = FakeNg::start_on(addr, |_| vec![FakeAction::pong()])
        .await
        .unwrap();
    client.ping().await.unwrap();
    assert_eq!(fake.received_count(), 1);
}

fn client_policy_attempts(interval: Duration, deadline: Duration) -> usize {
    RetransmitPolicy {
        initial: interval,
        max: interval,
        window: Duration::from_secs(25),
    }
    .schedule(deadline)
    .len()
}

// ---------------------------------------------------------------------------------------------
// 10. Result values
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn result_values_become_typed_errors() {
    let (_fake, client) = fake_and_client(|req| {
        let body: &[u8] = match call_id_of(req).as_deref() {
            Some("error") => b"d6:result5:error12:error-reason15:Unknown call-ide",
            Some("error-no-reason") => b"d6:result5:errore",
            Some("load") => b"d6:result10:load limit7:message30:Parallel session limit reachede",
            Some("no-result") => b"d3:sdp3:v=0e",
            Some("no-sdp") => b"d6:result2:oke",
            Some("sdp-not-string") => b"d3:sdpi1e6:result2:oke",
            Some("result-int") => b"d6:resulti0ee",
            Some("weird") => b"d6:result5:maybee",
            Some("warning") => b"d3:sdp3:v=07:warning4:meh!6:result2:oke",
            _ => b"d6:result2:oke",
        };
        vec![FakeAction::Reply(Bytes::copy_from_slice(body))]
    })
    .await;
    let offer = |call_id: &'static str| {
        let client = client.clone();
        async move {
            client
                .offer(SDP, call_id, "tag", &OfferOptions::new())
                .await
        }
    };

    let err = offer("error").await.unwrap_err();
    assert!(
        matches!(&err, Error::Rtpengine { reason } if reason == "Unknown call-id"),
        "{err:?}"
    );
    assert!(err.is_rtpengine_error() && !err.is_retryable_elsewhere() && !err.is_timeout());
    assert_eq!(err.reason(), Some("Unknown call-id"));

    let err = offer("error-no-reason").await.unwrap_err();
    assert!(err.is_rtpengine_error(), "{err:?}");
    assert!(!err.reason().unwrap().is_empty());

    let err = offer("load").await.unwrap_err();
    assert!(
        matches!(&err, Error::LoadLimit { message } if message == "Parallel session limit reached"),
        "{err:?}"
    );
    assert!(err.is_retryable_elsewhere() && !err.is_rtpengine_error());
    assert_eq!(err.reason(), Some("Parallel session limit reached"));

    for case in [
        "no-result",
        "no-sdp",
        "sdp-not-string",
        "result-int",
        "weird",
    ] {
        let err = offer(case).await.unwrap_err();
        assert!(
            matches!(err, Error::MalformedReply { .. }),
            "{case}: {err:?}"
        );
        assert!(!err.is_retryable_elsewhere(), "{case}");
        assert_eq!(err.reason(), None);
    }
    let err = offer("no-sdp").await.unwrap_err();
    assert!(err.to_string().contains("sdp"), "{err}");
    let err = offer("no-result").await.unwrap_err();
    assert!(err.to_string().contains("result"), "{err}");

    let ok = offer("warning").await.unwrap();
    assert_eq!(ok.sdp_str(), "v=0");
    assert_eq!(ok.warning.as_deref(), Some("meh!"));

    // `send_unchecked` hands back the error reply itself; `ping` wants `pong`.
    let dict: Dict = [("call-id", Value::str("error"))].into_iter().collect();
    let raw = client
        .send_unchecked(&rtpengine_client::RawRequest {
            command: "query",
            dict: &dict,
        })
        .await
        .unwrap();
    assert_eq!(raw.get_string("result").as_deref(), Some("error"));
    let err = client.ping().await.unwrap_err();
    assert!(matches!(err, Error::MalformedReply { .. }), "{err:?}");
    assert!(err.to_string().contains("pong"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// 12. Size guards
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn requests_too_large_are_refused_before_sending() {
    let (fake, client) = fake_and_client(|_| vec![FakeAction::ok_with_sdp(b"v=0\r\n")]).await;
    let opts = OfferOptions::new();

    // Over the UDP limit (65,507), well under the string limit.
    let sdp = "a".repeat(70_000);
    let err = client.offer(&sdp, "big", "t", &opts).await.unwrap_err();
    assert!(matches!(err, Error::RequestTooLarge { .. }), "{err:?}");
    assert!(err.to_string().contains("65507"), "UDP rule: {err}");
    assert!(!err.is_retryable_elsewhere());

    // A 99,999-byte string: the crash guard, whatever the datagram size.
    let pad =
        |len: usize| OfferOptions::new().raw_key("pad", Value::bytes(Bytes::from(vec![b'x'; len])));
    let err = client
        .offer("v=0", "c", "t", &pad(99_999))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::RequestTooLarge { .. }), "{err:?}");
    assert!(err.to_string().contains("string of 99999 bytes"), "{err}");
    let mut dict = Dict::new();
    dict.insert("call-id", Value::bytes(Bytes::from(vec![b'c'; 99_999])));
    let err = client.request("query", &dict).await.unwrap_err();
    assert!(err.to_string().contains("string of 99999 bytes"), "{err}");

    // 99,998 bytes passes the string guard and is refused by the UDP rule only.
    let err = client
        .offer("v=0", "c", "t", &pad(99_998))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::RequestTooLarge { .. }), "{err:?}");
    assert!(!err.to_string().contains("string of"), "{err}");
    assert!(err.to_string().contains("65507"), "{err}");

    tokio::time::sleep(ms(50)).await;
    assert_eq!(fake.received_count(), 0, "nothing may be sent");
    assert_eq!(client.in_flight(), 0);

    // 65,000 bytes of SDP still fits in one datagram and goes out intact.
    let sdp = "b".repeat(65_000);
    let reply = client.offer(&sdp, "fits", "t", &opts).await.unwrap();
    assert_eq!(reply.sdp_str(), "v=0\r\n");
    let received = fake.received();
    assert_eq!(received.len(), 1);
    assert!(received[0].body_contains(&benc(sdp.as_bytes())));
    assert!(received[0].cookie.len() + 1 + received[0].body.len() <= 65_507);
}

// ---------------------------------------------------------------------------------------------
// 14.–15. IPv6 and URLs
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn ipv6_ping() {
    let fake = FakeNg::start_v6(|req| {
        if req.is_command("ping") {
            vec![FakeAction::pong()]
        } else {
            vec![]
        }
    })
    .await
    .unwrap();
    let url = format!("udp://[::1]:{}", fake.addr().port());
    assert_eq!(url, fake.url());
    let client = Client::connect(&url).await.unwrap();
    assert_eq!(client.server_addr(), fake.addr());
    assert!(client.local_addr().unwrap().is_ipv6());
    client.ping().await.unwrap();
    let received = fake.received();
    assert_eq!(received.len(), 1);
    assert!(received[0].from.is_ipv6());
    assert_eq!(received[0].from.port(), client.local_addr().unwrap().port());
}

#[tokio::test]
async fn bad_urls_are_explained() {
    for (url, why) in [
        (
            "udp://no-such-host.invalid",
            "cannot resolve 'no-such-host.invalid'",
        ),
        ("udp://no-such-host.invalid:2223", "cannot resolve"),
        ("127.0.0.1:2223", "scheme"),
        ("sip://127.0.0.1:2223", "unsupported scheme"),
        ("udp://", "missing host"),
        ("udp://127.0.0.1:0", "invalid port"),
        ("udp://::1:2223", "brackets"),
    ] {
        let err = Client::connect(url).await.unwrap_err();
        assert!(matches!(err, Error::BadUrl { .. }), "{url}: {err:?}");
        let text = err.to_string();
        assert!(text.contains(url) && text.contains(why), "{url}: {text}");
        assert!(!err.is_retryable_elsewhere());
    }

    // An IPv6-only URL with an IPv4 bind address has no usable address.
    let err = Client::builder("udp://[::1]:2223")
        .bind("127.0.0.1:0".parse().unwrap())
        .connect()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::BadUrl { .. }), "{err:?}");
    assert!(err.to_string().contains("no usable address"), "{err}");
}
