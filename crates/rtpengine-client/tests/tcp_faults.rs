//! The TCP transport against a tiny fake TCP NG server (written below with a tokio
//! `TcpListener`), for what the real daemon never does: replies split into single bytes or
//! glued together, replies out of order, notifications carrying a waiter's cookie, garbage,
//! a connection closed mid-reply, nesting bombs, absurd string lengths, JSON, servers that
//! accept and hang up at once.
//!
//! Each scenario checks what the client did on the wire (which requests arrived on which
//! connection, with which cookie), what the caller got, and that the client recovers.

use rtpengine_client::NgCommands;
use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use rtpengine_client::bencode::{Dict, Value};
use rtpengine_client::message::{message_len, parse_message, MAX_MESSAGE_LEN};
use rtpengine_client::{Client, Error};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

// ---------------------------------------------------------------------------------------------
// The fake server

/// One request as the fake server read it.
#[derive(Debug, Clone)]
struct Seen {
    /// Which connection (0 = the first one accepted).
    conn: usize,
    cookie: Bytes,
    command: String,
    dict: Dict,
}

/// One accepted connection, handed to the scenario's handler.
struct Conn {
    index: usize,
    stream: TcpStream,
    buf: BytesMut,
    log: Arc<Mutex<Vec<Seen>>>,
}

impl Conn {
    /// The next whole request, or `None` at EOF (or when the client sent something that is
    /// not NG).
    async fn request(&mut self) -> Option<Seen> {
        loop {
            if let Ok(Some(len)) = message_len(&self.buf) {
                let msg = self.buf.split_to(len).freeze();
                let (cookie, dict) = parse_message(&msg).ok()?;
                let seen = Seen {
                    conn: self.index,
                    cookie,
                    command: dict.get_string("command").unwrap_or_default(),
                    dict,
                };
                self.log.lock().unwrap().push(seen.clone());
                return Some(seen);
            }
            match self.stream.read_buf(&mut self.buf).await {
                Ok(0) | Err(_) => return None,
                Ok(_) => {}
            }
        }
    }

    /// Writes `bytes` in one `write_all` (errors are the client's doing: ignored).
    async fn send(&mut self, bytes: &[u8]) {
        let _ = self.stream.write_all(bytes).await;
    }

    /// Writes `bytes` one byte per write (Nagle is off, so one byte per segment).
    async fn send_bytewise(&mut self, bytes: &[u8], pause: Duration) {
        for b in bytes {
            if self
                .stream
                .write_all(std::slice::from_ref(b))
                .await
                .is_err()
            {
                return;
            }
            if !pause.is_zero() {
                tokio::time::sleep(pause).await;
            }
        }
    }

    /// Waits until the client closes the connection; returns how long that took.
    async fn until_closed(&mut self) -> Duration {
        let start = Instant::now();
        let mut sink = vec![0u8; 4096];
        loop {
            match self.stream.read(&mut sink).await {
                Ok(0) | Err(_) => return start.elapsed(),
                Ok(_) => {}
            }
        }
    }
}

/// A TCP NG server running `handler` for every connection it accepts.
struct FakeTcp {
    addr: SocketAddr,
    log: Arc<Mutex<Vec<Seen>>>,
    accepted: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl FakeTcp {
    async fn start<F, Fut>(handler: F) -> Self
    where
        F: Fn(Conn) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let accepted = Arc::new(AtomicUsize::new(0));
        let (log2, accepted2) = (Arc::clone(&log), Arc::clone(&accepted));
        let task = tokio::spawn(async move {
            // Dropped with this task: aborts every connection task.
            let mut conns = JoinSet::new();
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let _ = stream.set_nodelay(true);
                let conn = Conn {
                    index: accepted2.fetch_add(1, Ordering::SeqCst),
                    stream,
                    buf: BytesMut::new(),
                    log: Arc::clone(&log2),
                };
                conns.spawn(handler(conn));
                while conns.try_join_next().is_some() {}
            }
        });
        Self {
            addr,
            log,
            accepted,
            task,
        }
    }

    fn url(&self) -> String {
        format!("tcp://{}", self.addr)
    }

    fn seen(&self) -> Vec<Seen> {
        self.log.lock().unwrap().clone()
    }

    fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

impl Drop for FakeTcp {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// `cookie SP body`.
fn msg(cookie: &[u8], body: &[u8]) -> Vec<u8> {
    [cookie, b" ", body].concat()
}

const PONG: &[u8] = b"d6:result4:ponge";

/// A `list` reply naming `ids`.
fn list_reply(ids: &[String]) -> Vec<u8> {
    let mut body = b"d5:callsl".to_vec();
    for id in ids {
        body.extend_from_slice(format!("{}:{id}", id.len()).as_bytes());
    }
    body.extend_from_slice(b"e6:result2:oke");
    body
}

async fn client(fake: &FakeTcp, timeout: Duration) -> Client {
    Client::builder(fake.url())
        .timeout(timeout)
        .connect()
        .await
        .expect("connect to the fake server")
}

/// A raw request with a `call-id` (the fake echoes it back).
fn echo(client: &Client, id: &str) -> impl Future<Output = Result<Dict, Error>> + Send + 'static {
    let (client, id) = (client.clone(), id.to_owned());
    async move {
        let mut d = Dict::new();
        d.insert("call-id", id.as_str());
        client.request("query", &d).await
    }
}

/// The fake's answer to an `echo` request: `echo` = the request's call-id.
fn echo_reply(seen: &Seen) -> Vec<u8> {
    let id = seen.dict.get_string("call-id").unwrap_or_default();
    msg(
        &seen.cookie,
        format!("d4:echo{}:{id}6:result2:oke", id.len()).as_bytes(),
    )
}

/// Waits until `cond` holds (at most 3 s).
async fn eventually(what: &str, cond: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(3);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

// ---------------------------------------------------------------------------------------------
// Framing

#[tokio::test]
async fn replies_written_one_byte_at_a_time_are_reassembled() {
    let ids: Vec<String> = (0..40).map(|i| format!("call-{i:03}")).collect();
    let ids2 = ids.clone();
    let fake = FakeTcp::start(move |mut conn| {
        let ids = ids2.clone();
        async move {
            while let Some(req) = conn.request().await {
                match req.command.as_str() {
                    // Paced, so each byte really is read on its own, cookie included.
                    "ping" => {
                        conn.send_bytewise(&msg(&req.cookie, PONG), Duration::from_millis(2))
                            .await
                    }
                    _ => {
                        conn.send_bytewise(&msg(&req.cookie, &list_reply(&ids)), Duration::ZERO)
                            .await
                    }
                }
            }
        }
    })
    .await;
    let client = client(&fake, Duration::from_secs(5)).await;
    client.ping().await.expect("a pong sent byte by byte");
    assert_eq!(client.list(Some(100)).await.unwrap(), ids);
    assert_eq!(client.connection_count(), Some(1), "no reconnect");
    assert_eq!(fake.accepted(), 1);
    assert_eq!(client.in_flight(), 0);
}

#[tokio::test]
async fn several_replies_in_one_write_are_all_delivered() {
    let fake = FakeTcp::start(|mut conn| async move {
        // Wait for three requests, then answer all three in one write, followed by the first
        // half of a fourth reply; the rest of it comes with the next write.
        let mut reqs = Vec::new();
        for _ in 0..4 {
            reqs.push(conn.request().await.unwrap());
        }
        let mut glued = Vec::new();
        for r in &reqs[..3] {
            glued.extend(echo_reply(r));
        }
        let fourth = echo_reply(&reqs[3]);
        let (head, tail) = fourth.split_at(fourth.len() / 2);
        glued.extend_from_slice(head);
        conn.send(&glued).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        conn.send(tail).await;
        conn.until_closed().await;
    })
    .await;
    let client = client(&fake, Duration::from_secs(3)).await;
    let ids = ["one", "two", "three", "four"];
    let replies = futures_join_all(ids.iter().map(|id| echo(&client, id)).collect()).await;
    for (id, reply) in ids.iter().zip(replies) {
        let reply = reply.unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(reply.get_string("echo").as_deref(), Some(*id));
    }
    assert_eq!(fake.seen().len(), 4);
    assert_eq!(client.connection_count(), Some(1));
}

#[tokio::test]
async fn replies_out_of_order_are_matched_by_cookie() {
    const N: usize = 25;
    let fake = FakeTcp::start(|mut conn| async move {
        let mut reqs = Vec::new();
        for _ in 0..N {
            reqs.push(conn.request().await.unwrap());
        }
        // Reverse order, and a reply with a cookie nobody waits for in between.
        for r in reqs.iter().rev() {
            conn.send(&echo_reply(r)).await;
            conn.send(&msg(b"stranger", b"d4:echo5:wrong6:result2:oke"))
                .await;
        }
        conn.until_closed().await;
    })
    .await;
    let client = client(&fake, Duration::from_secs(3)).await;
    let ids: Vec<String> = (0..N).map(|i| format!("ooo-{i}")).collect();
    let replies = futures_join_all(ids.iter().map(|id| echo(&client, id)).collect()).await;
    for (id, reply) in ids.iter().zip(replies) {
        assert_eq!(reply.unwrap().get_string("echo").as_ref(), Some(id));
    }
    // Every request went out once, each with its own cookie.
    let seen = fake.seen();
    assert_eq!(seen.len(), N);
    let mut cookies: Vec<&Bytes> = seen.iter().map(|s| &s.cookie).collect();
    cookies.sort();
    cookies.dedup();
    assert_eq!(cookies.len(), N);
    assert_eq!(client.in_flight(), 0);
}

/// `join_all` without the `futures` crate: spawn every future on the runtime.
async fn futures_join_all<F>(futs: Vec<F>) -> Vec<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futs.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        out.push(h.await.expect("task"));
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Notifications

#[tokio::test]
async fn notifications_go_to_events_never_to_a_waiter() {
    let dtmf = |cookie: &[u8], digit: u8| {
        msg(
            cookie,
            format!(
                "d6:notify6:onDTMF4:datad4:tagsl1:A1:Be6:callid2:c110:source_tag1:A\
                 4:type4:DTMF9:source_ip9:127.0.0.19:timestampi1700000000e5:eventi{digit}e\
                 8:durationi80e6:volumei10eee"
            )
            .as_bytes(),
        )
    };
    let fake = FakeTcp::start(move |mut conn| async move {
        let req = conn.request().await.unwrap();
        // A notification with a random cookie, one with the waiting request's own cookie,
        // one without `data`, and only then the reply.
        conn.send(&dtmf(b"0123456789abcdef", 5)).await;
        conn.send(&dtmf(&req.cookie, 11)).await;
        conn.send(&msg(b"fedcba9876543210", b"d6:notify7:onOthere"))
            .await;
        tokio::time::sleep(Duration::from_millis(150)).await;
        conn.send(&msg(&req.cookie, PONG)).await;
        conn.until_closed().await;
    })
    .await;
    let client = client(&fake, Duration::from_secs(3)).await;
    let mut events = client.events().expect("TCP clients have events");
    let mut late = client.events().expect("a second, independent stream");
    let start = Instant::now();
    client
        .ping()
        .await
        .expect("the real reply, not a notification");
    assert!(
        start.elapsed() >= Duration::from_millis(140),
        "the ping must wait for its reply, not take a notification ({:?})",
        start.elapsed()
    );
    let first = events.recv().await.unwrap();
    assert_eq!(first.kind, "onDTMF");
    let d = first.dtmf().expect("a DTMF event");
    assert_eq!(
        (d.call_id.as_str(), d.source_tag.as_str(), d.digit()),
        ("c1", "A", Some('5'))
    );
    assert_eq!(d.tags, ["A", "B"]);
    assert_eq!(
        (d.duration_ms, d.volume, d.timestamp),
        (Some(80), Some(10), Some(1_700_000_000))
    );
    assert_eq!(d.source_ip.as_deref(), Some("127.0.0.1"));
    let second = events.recv().await.unwrap().dtmf().unwrap();
    assert_eq!(second.digit(), Some('#'));
    let other = events.recv().await.unwrap();
    assert_eq!(other.kind, "onOther");
    assert!(other.dtmf().is_none() && other.data.is_empty());
    // Every subscriber gets every event.
    for _ in 0..3 {
        late.recv().await.unwrap();
    }
    assert_eq!(client.in_flight(), 0);
    assert!(fake.seen().iter().all(|s| s.command == "ping"));
}

#[tokio::test]
async fn event_streams_end_when_the_client_is_dropped_and_the_connection_closes() {
    let closed = Arc::new(Mutex::new(None));
    let closed2 = Arc::clone(&closed);
    let fake = FakeTcp::start(move |mut conn| {
        let closed = Arc::clone(&closed2);
        async move {
            let req = conn.request().await.unwrap();
            conn.send(&msg(&req.cookie, PONG)).await;
            let waited = conn.until_closed().await;
            *closed.lock().unwrap() = Some(waited);
        }
    })
    .await;
    let client = client(&fake, Duration::from_secs(3)).await;
    client.ping().await.unwrap();
    let mut events = client.events().unwrap();
    let clone = client.clone();
    drop(client);
    // A clone keeps the connection.
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(closed.lock().unwrap().is_none());
    drop(clone);
    let end = tokio::time::timeout(Duration::from_secs(2), events.recv())
        .await
        .expect("the event stream ends");
    assert!(end.is_none());
    eventually("the server sees EOF", || closed.lock().unwrap().is_some()).await;
    assert_eq!(fake.accepted(), 1);
}

// ---------------------------------------------------------------------------------------------
// Broken streams: drop, reconnect, re-send

/// A server whose first connection misbehaves with `bad` after reading the request; later
/// connections answer properly.
async fn first_connection_sends(bad: Vec<u8>) -> FakeTcp {
    let bad = Arc::new(bad);
    FakeTcp::start(move |mut conn| {
        let bad = Arc::clone(&bad);
        async move {
            while let Some(req) = conn.request().await {
                if conn.index == 0 {
                    let mut out = req.cookie.to_vec();
                    out.push(b' ');
                    out.extend_from_slice(&bad);
                    conn.send(&out).await;
                    // The client drops the stream; this connection is done.
                    conn.until_closed().await;
                    return;
                }
                conn.send(&msg(&req.cookie, PONG)).await;
            }
        }
    })
    .await
}

/// Checks that the one ping was answered on the second connection after a re-send with the
/// same cookie.
async fn assert_resent_and_answered(fake: &FakeTcp, what: &str) {
    let client = client(fake, Duration::from_secs(3)).await;
    let start = Instant::now();
    client
        .ping()
        .await
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "{what}: took {:?}",
        start.elapsed()
    );
    let seen = fake.seen();
    assert_eq!(seen.len(), 2, "{what}: {seen:?}");
    assert_eq!((seen[0].conn, seen[1].conn), (0, 1), "{what}");
    assert_eq!(
        seen[0].cookie, seen[1].cookie,
        "{what}: re-sent with the same cookie"
    );
    assert_eq!(client.connection_count(), Some(2), "{what}");
    assert_eq!(client.in_flight(), 0);
    // The new connection keeps working.
    client.ping().await.unwrap();
    assert_eq!(fake.accepted(), 2);
}

#[tokio::test]
async fn garbage_drops_the_connection_and_the_waiting_request_is_resent() {
    // An HTTP error page: "400" reads as a string length that never ends with ':'.
    let fake = FakeTcp::start(|mut conn| async move {
        while let Some(req) = conn.request().await {
            if conn.index == 0 {
                conn.send(b"HTTP/1.1 400 Bad Request\r\n\r\n").await;
                conn.until_closed().await;
                return;
            }
            conn.send(&msg(&req.cookie, PONG)).await;
        }
    })
    .await;
    assert_resent_and_answered(&fake, "garbage").await;
}

#[tokio::test]
async fn a_reply_that_is_not_a_dictionary_drops_the_connection() {
    let fake = first_connection_sends(b"li1ei2ee".to_vec()).await;
    assert_resent_and_answered(&fake, "a list").await;
}

#[tokio::test]
async fn a_connection_closed_mid_reply_is_reconnected_and_the_request_resent() {
    let fake = FakeTcp::start(|mut conn| async move {
        while let Some(req) = conn.request().await {
            let reply = msg(&req.cookie, PONG);
            if conn.index == 0 {
                conn.send(&reply[..reply.len() / 2]).await;
                return; // closes the connection
            }
            conn.send(&reply).await;
        }
    })
    .await;
    assert_resent_and_answered(&fake, "closed mid-reply").await;
}

#[tokio::test]
async fn a_nesting_bomb_drops_the_connection_without_a_crash() {
    let mut bomb = b"d1:a".to_vec();
    bomb.extend(std::iter::repeat_n(b'l', 200_000));
    let fake = first_connection_sends(bomb).await;
    assert_resent_and_answered(&fake, "nesting bomb").await;
}

#[tokio::test]
async fn a_huge_string_length_is_refused_at_once() {
    // The claim alone exceeds the bound: the client must not wait for (or buffer) the bytes.
    let claim = MAX_MESSAGE_LEN as u64 * 16;
    let fake = first_connection_sends(format!("d6:result{claim}:pong").into_bytes()).await;
    let client = client(&fake, Duration::from_secs(3)).await;
    let start = Instant::now();
    let err = client.ping().await.expect_err("a reply over the bound");
    assert_reply_too_large(&err, start.elapsed());
    // Not re-sent (it would get the same reply): the next request goes on a new connection.
    assert_eq!(fake.seen().len(), 1);
    client.ping().await.unwrap();
    assert_eq!(client.connection_count(), Some(2));
    assert_eq!(client.in_flight(), 0);
}

/// The request a reply over the (default) bound answers fails at once, clearly.
fn assert_reply_too_large(err: &Error, took: Duration) {
    match err {
        Error::ReplyTooLarge { size, limit, .. } => {
            assert_eq!(*limit, MAX_MESSAGE_LEN, "{err}");
            assert!(*size > MAX_MESSAGE_LEN, "{err}");
        }
        other => panic!("expected ReplyTooLarge, got {other:?}"),
    }
    assert!(took < Duration::from_secs(2), "took {took:?}");
}

#[tokio::test]
async fn a_message_growing_past_the_bound_drops_the_connection() {
    // A list that never ends, of 1 MiB strings: no single claim is too long, so the client reads
    // up to the bound and then drops the connection, never holding much more than the bound;
    // the request it answered fails with ReplyTooLarge.
    let sent = Arc::new(AtomicUsize::new(0));
    let sent2 = Arc::clone(&sent);
    let fake = FakeTcp::start(move |mut conn| {
        let sent = Arc::clone(&sent2);
        async move {
            while let Some(req) = conn.request().await {
                if conn.index == 0 {
                    let head = msg(&req.cookie, b"d4:listl");
                    conn.send(&head).await;
                    let mut item = format!("{}:", 1 << 20).into_bytes();
                    item.resize(item.len() + (1 << 20), b'x');
                    let mut total = head.len();
                    while conn.stream.write_all(&item).await.is_ok() {
                        total += item.len();
                        if total > 4 * MAX_MESSAGE_LEN {
                            break; // the client never stopped reading: fails below
                        }
                    }
                    sent.store(total, Ordering::SeqCst);
                    return;
                }
                conn.send(&msg(&req.cookie, PONG)).await;
            }
        }
    })
    .await;
    let client = client(&fake, Duration::from_secs(10)).await;
    let start = Instant::now();
    let err = client.ping().await.expect_err("a reply over the bound");
    assert_reply_too_large(&err, start.elapsed());
    client.ping().await.expect("answered on a new connection");
    let total = sent.load(Ordering::SeqCst);
    eprintln!(
        "oversized message: the server wrote {total} bytes before the client dropped the \
         connection; the ping took {:?}",
        start.elapsed()
    );
    // The client read past the bound (`total` leaves out the item whose write failed); what was
    // written beyond it sat in socket buffers.
    assert!(
        total + (1 << 20) > MAX_MESSAGE_LEN && total < MAX_MESSAGE_LEN + (32 << 20),
        "{total}"
    );
    assert_eq!(client.connection_count(), Some(2));
}

#[tokio::test]
async fn a_large_reply_in_many_small_reads_is_framed_in_linear_time() {
    // 2 MB of tiny values, written 1 KiB at a time. Re-parsing the whole buffer after every
    // read would do ~2,000 parses of up to 2 MB.
    const ITEMS: usize = 700_000;
    let fake = FakeTcp::start(|mut conn| async move {
        while let Some(req) = conn.request().await {
            let mut body = b"d4:listl".to_vec();
            for _ in 0..ITEMS {
                body.extend_from_slice(b"i7e");
            }
            body.extend_from_slice(b"e6:result2:oke");
            for chunk in msg(&req.cookie, &body).chunks(1024) {
                conn.send(chunk).await;
                tokio::task::yield_now().await;
            }
        }
    })
    .await;
    let client = client(&fake, Duration::from_secs(30)).await;
    let start = Instant::now();
    let reply = client.request("list", &Dict::new()).await.unwrap();
    let took = start.elapsed();
    eprintln!("2 MB reply in 1 KiB writes framed in {took:?}");
    assert_eq!(
        reply
            .get("list")
            .and_then(Value::as_list)
            .map(<[Value]>::len),
        Some(ITEMS)
    );
    assert!(took < Duration::from_secs(3), "{took:?}");
}

#[tokio::test]
async fn json_replies_drop_the_stream_and_requests_end_by_their_deadline() {
    let sane = Arc::new(AtomicBool::new(false));
    let sane2 = Arc::clone(&sane);
    let fake = FakeTcp::start(move |mut conn| {
        let sane = Arc::clone(&sane2);
        async move {
            while let Some(req) = conn.request().await {
                if sane.load(Ordering::SeqCst) {
                    conn.send(&msg(&req.cookie, PONG)).await;
                } else {
                    conn.send(&msg(&req.cookie, br#"{"result":"pong"}"#)).await;
                }
            }
        }
    })
    .await;
    let client = client(&fake, Duration::from_millis(800)).await;
    let start = Instant::now();
    let err = client
        .ping()
        .await
        .expect_err("JSON is not an NG reply on TCP");
    let took = start.elapsed();
    assert!(err.is_timeout(), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains(&fake.addr.to_string()) && text.contains("ping"),
        "{text}"
    );
    assert!(
        took >= Duration::from_millis(800) && took < Duration::from_millis(1500),
        "{took:?}"
    );
    // Each JSON reply cost a connection; the re-sends were paced by the backoff.
    let conns = fake.accepted();
    assert!((2..=8).contains(&conns), "{conns} connections in 800 ms");
    let seen = fake.seen();
    assert!(seen.iter().all(|s| s.cookie == seen[0].cookie));
    // Once the server speaks bencode again, the client recovers on its own.
    sane.store(true, Ordering::SeqCst);
    client
        .with_timeout(Duration::from_secs(4))
        .ping()
        .await
        .expect("recovered");
    assert_eq!(client.in_flight(), 0);
}

#[tokio::test]
async fn a_server_that_hangs_up_at_once_is_retried_with_backoff() {
    let fake = FakeTcp::start(|conn| async move {
        drop(conn);
    })
    .await;
    let client = client(&fake, Duration::from_millis(600)).await;
    let err = client.ping().await.unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    let conns = fake.accepted();
    // 50, 100, 200 ms… between attempts: a handful, not a busy loop.
    assert!((2..=8).contains(&conns), "{conns} connections in 600 ms");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let later = fake.accepted();
    assert!(later - conns <= 3, "{conns} then {later}");
}

#[tokio::test]
async fn requests_that_gave_up_are_not_resent_after_a_reconnect() {
    let fake = FakeTcp::start(|mut conn| async move {
        if conn.index == 0 {
            // Swallow the first request; hang up once its caller gave up.
            let _ = conn.request().await;
            tokio::time::sleep(Duration::from_millis(400)).await;
            return;
        }
        while let Some(req) = conn.request().await {
            conn.send(&echo_reply(&req)).await;
        }
    })
    .await;
    let client = client(&fake, Duration::from_secs(3)).await;
    let err = echo(&client.with_timeout(Duration::from_millis(200)), "gave-up")
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert_eq!(client.in_flight(), 0);
    eventually("a reconnect", || fake.accepted() == 2).await;
    let reply = echo(&client, "fresh").await.unwrap();
    assert_eq!(reply.get_string("echo").as_deref(), Some("fresh"));
    let on_second: Vec<String> = fake
        .seen()
        .iter()
        .filter(|s| s.conn == 1)
        .map(|s| s.dict.get_string("call-id").unwrap())
        .collect();
    assert_eq!(on_second, ["fresh"]);
}

#[tokio::test]
async fn connecting_to_a_closed_port_fails_with_an_io_error_naming_the_address() {
    let port = {
        let l = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("tcp://127.0.0.1:{port}");
    let err = Client::connect(&url).await.expect_err("nothing listens");
    match &err {
        Error::Io { source, .. } => {
            assert_eq!(source.kind(), std::io::ErrorKind::ConnectionRefused)
        }
        other => panic!("expected Error::Io, got {other:?}"),
    }
    assert!(
        err.to_string().contains(&format!("127.0.0.1:{port}")),
        "{err}"
    );
}

#[tokio::test]
async fn connecting_to_a_host_that_drops_syns_fails_in_bounded_time() {
    // A listener with a backlog of one that never accepts: once one connection waits in its
    // queue, the kernel drops further SYNs, as a firewalled or dead host would.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind((Ipv4Addr::LOCALHOST, 0).into()).unwrap();
    let listener = socket.listen(0).unwrap();
    let addr = listener.local_addr().unwrap();
    let mut queued = Vec::new();
    loop {
        match tokio::time::timeout(Duration::from_millis(200), TcpStream::connect(addr)).await {
            Ok(Ok(s)) => queued.push(s),
            Ok(Err(e)) => panic!("{e}"),
            Err(_) => break, // this one hangs: the queue is full
        }
        assert!(queued.len() < 16, "the backlog never filled");
    }
    let start = Instant::now();
    let err = Client::connect(&format!("tcp://{addr}"))
        .await
        .expect_err("never accepted");
    let took = start.elapsed();
    match &err {
        Error::Io { source, .. } => assert_eq!(source.kind(), std::io::ErrorKind::TimedOut),
        other => panic!("expected Error::Io, got {other:?}"),
    }
    assert!(err.to_string().contains(&addr.to_string()), "{err}");
    assert!(
        took >= Duration::from_secs(2) && took < Duration::from_secs(5),
        "{took:?}"
    );
    drop((listener, queued));
}

#[tokio::test]
async fn waiting_requests_are_resent_in_the_order_they_were_made() {
    // The first connection swallows eight requests and hangs up; the second answers. A stream
    // server handles one connection's messages in order, so the re-sends must keep the order
    // (an `answer` must not overtake its `offer`).
    const N: usize = 8;
    let fake = FakeTcp::start(|mut conn| async move {
        if conn.index == 0 {
            for _ in 0..N {
                conn.request().await.unwrap();
            }
            return;
        }
        while let Some(req) = conn.request().await {
            conn.send(&echo_reply(&req)).await;
        }
    })
    .await;
    let client = client(&fake, Duration::from_secs(3)).await;
    let mut tasks = Vec::new();
    for i in 0..N {
        tasks.push(tokio::spawn(echo(&client, &format!("req-{i}"))));
        // One at a time, so the order they were made in is known.
        eventually("the request reached the server", || fake.seen().len() > i).await;
    }
    for (i, t) in tasks.into_iter().enumerate() {
        let reply = t.await.unwrap().expect("answered after the re-send");
        assert_eq!(reply.get_string("echo"), Some(format!("req-{i}")));
    }
    let ids = |conn: usize| -> Vec<String> {
        fake.seen()
            .iter()
            .filter(|s| s.conn == conn)
            .map(|s| s.dict.get_string("call-id").unwrap())
            .collect()
    };
    assert_eq!(ids(1), ids(0), "re-sent in the original order");
    assert_eq!(client.connection_count(), Some(2));
}
