//! A scriptable fake NG server over UDP.
//!
//! [`FakeNg`] exists only to produce faults the real daemon cannot produce:
//! dropped, delayed, duplicated and reordered replies, replies with the wrong
//! cookie, garbage datagrams, and replies from a different source port. For
//! everything else, test against the real daemon ([`crate::Rtpengine`]).
//!
//! Each received datagram `<cookie> SP <body>` is handed to the script as a
//! [`FakeRequest`]; the script returns the [`FakeAction`]s to perform (an
//! empty vector drops the request).

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use tokio::net::UdpSocket;
use tokio::task::{JoinHandle, JoinSet};

/// One datagram received by a [`FakeNg`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeRequest {
    /// Bytes before the first space. Empty if the datagram contained no space.
    pub cookie: Bytes,
    /// Bytes after the first space (the bencoded dictionary). If the datagram
    /// contained no space, the whole datagram.
    pub body: Bytes,
    /// Source address of the datagram.
    pub from: SocketAddr,
    /// 0-based index of this datagram among all datagrams received.
    pub seq: usize,
    /// Number of earlier datagrams with the same cookie (0 for the first one).
    pub attempt: usize,
}

impl FakeRequest {
    /// Whether the body contains `needle` anywhere (e.g. `b"7:command5:offer"`).
    pub fn body_contains(&self, needle: &[u8]) -> bool {
        if needle.is_empty() {
            return true;
        }
        self.body.windows(needle.len()).any(|w| w == needle)
    }

    /// Whether this is an NG command named `command` (e.g. `"ping"`, `"offer"`).
    pub fn is_command(&self, command: &str) -> bool {
        let mut needle = b"7:command".to_vec();
        needle.extend_from_slice(&bstr(command.as_bytes()));
        self.body_contains(&needle)
    }
}

/// What a [`FakeNg`] does in response to a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FakeAction {
    /// Send `<request cookie> SP <body>` immediately.
    Reply(Bytes),
    /// Send `<request cookie> SP <body>` after the delay (uses
    /// `tokio::time::sleep`, so it follows paused test time).
    ReplyAfter(Duration, Bytes),
    /// Send exactly these bytes as the datagram.
    Raw(Bytes),
    /// Send exactly these bytes as the datagram after the delay.
    RawAfter(Duration, Bytes),
    /// Send `<cookie> SP <body>` with the given cookie instead of the request's.
    ReplyWithCookie(Bytes, Bytes),
    /// Send `<request cookie> SP <body>` from a different UDP socket (another
    /// source port).
    ReplyFromOtherSocket(Bytes),
}

/// Encodes a bencode byte string `<len>:<bytes>`.
fn bstr(s: &[u8]) -> Vec<u8> {
    let mut out = format!("{}:", s.len()).into_bytes();
    out.extend_from_slice(s);
    out
}

impl FakeAction {
    /// Reply `d6:result4:ponge`.
    pub fn pong() -> Self {
        FakeAction::Reply(Bytes::from_static(b"d6:result4:ponge"))
    }

    /// Reply `d6:result2:oke`.
    pub fn ok() -> Self {
        FakeAction::Reply(Bytes::from_static(b"d6:result2:oke"))
    }

    /// Reply `d3:sdp<len>:<sdp>6:result2:oke`.
    pub fn ok_with_sdp(sdp: &[u8]) -> Self {
        let mut body = b"d3:sdp".to_vec();
        body.extend_from_slice(&bstr(sdp));
        body.extend_from_slice(b"6:result2:oke");
        FakeAction::Reply(Bytes::from(body))
    }

    /// Reply `d6:result5:error12:error-reason<len>:<reason>e`.
    pub fn error(reason: &str) -> Self {
        let mut body = b"d6:result5:error12:error-reason".to_vec();
        body.extend_from_slice(&bstr(reason.as_bytes()));
        body.push(b'e');
        FakeAction::Reply(Bytes::from(body))
    }

    /// Turns a `Reply` into a `ReplyAfter` with the given delay; `Raw` into
    /// `RawAfter`. Other actions are returned unchanged.
    pub fn after(self, delay: Duration) -> Self {
        match self {
            FakeAction::Reply(b) => FakeAction::ReplyAfter(delay, b),
            FakeAction::Raw(b) => FakeAction::RawAfter(delay, b),
            other => other,
        }
    }
}

type Script = dyn Fn(&FakeRequest) -> Vec<FakeAction> + Send + Sync + 'static;

#[derive(Default)]
struct State {
    received: Vec<FakeRequest>,
    per_cookie: HashMap<Bytes, usize>,
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(|e| e.into_inner())
}

/// A scriptable fake NG server on UDP; stops when dropped.
///
/// Must be started inside a tokio runtime.
///
/// ```no_run
/// use rtpengine_testkit::{FakeAction, FakeNg};
/// # async fn example() -> std::io::Result<()> {
/// // Drop the first attempt of every request, answer retransmissions.
/// let fake = FakeNg::start(|req| {
///     if req.attempt == 0 { vec![] } else { vec![FakeAction::pong()] }
/// })
/// .await?;
/// let url = fake.url(); // "udp://127.0.0.1:P"
/// # Ok(()) }
/// ```
pub struct FakeNg {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    task: JoinHandle<()>,
}

impl std::fmt::Debug for FakeNg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeNg")
            .field("addr", &self.addr)
            .field("received", &self.received_count())
            .finish_non_exhaustive()
    }
}

impl FakeNg {
    /// Starts a fake server on `127.0.0.1:0`.
    pub async fn start<F>(script: F) -> std::io::Result<FakeNg>
    where
        F: Fn(&FakeRequest) -> Vec<FakeAction> + Send + Sync + 'static,
    {
        Self::start_on(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), script).await
    }

    /// Starts a fake server on `[::1]:0`.
    pub async fn start_v6<F>(script: F) -> std::io::Result<FakeNg>
    where
        F: Fn(&FakeRequest) -> Vec<FakeAction> + Send + Sync + 'static,
    {
        Self::start_on(SocketAddr::from((Ipv6Addr::LOCALHOST, 0)), script).await
    }

    /// Starts a fake server bound to `bind`.
    pub async fn start_on<F>(bind: SocketAddr, script: F) -> std::io::Result<FakeNg>
    where
        F: Fn(&FakeRequest) -> Vec<FakeAction> + Send + Sync + 'static,
    {
        let socket = Arc::new(UdpSocket::bind(bind).await?);
        let addr = socket.local_addr()?;
        let state = Arc::new(Mutex::new(State::default()));
        let script: Arc<Script> = Arc::new(script);
        let task = tokio::spawn(serve(socket, Arc::clone(&state), script));
        Ok(FakeNg { addr, state, task })
    }

    /// Local address of the server.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The address as a URL: `udp://127.0.0.1:P` or `udp://[::1]:P`.
    pub fn url(&self) -> String {
        format!("udp://{}", self.addr)
    }

    /// All datagrams received so far, in order.
    pub fn received(&self) -> Vec<FakeRequest> {
        lock(&self.state).received.clone()
    }

    /// Number of datagrams received so far.
    pub fn received_count(&self) -> usize {
        lock(&self.state).received.len()
    }

    /// Number of datagrams received with this cookie.
    pub fn count_for_cookie(&self, cookie: &[u8]) -> usize {
        lock(&self.state)
            .per_cookie
            .get(cookie)
            .copied()
            .unwrap_or(0)
    }
}

impl Drop for FakeNg {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn framed(cookie: &[u8], body: &[u8]) -> Bytes {
    let mut out = BytesMut::with_capacity(cookie.len() + 1 + body.len());
    out.put_slice(cookie);
    out.put_u8(b' ');
    out.put_slice(body);
    out.freeze()
}

async fn send(socket: &UdpSocket, data: &[u8], to: SocketAddr) {
    if let Err(e) = socket.send_to(data, to).await {
        tracing::debug!(%to, error = %e, "fake NG: send failed");
    }
}

async fn send_from_other_socket(local: IpAddr, data: Bytes, to: SocketAddr) {
    match UdpSocket::bind(SocketAddr::new(local, 0)).await {
        Ok(other) => send(&other, &data, to).await,
        Err(e) => tracing::debug!(error = %e, "fake NG: could not bind second socket"),
    }
}

async fn serve(socket: Arc<UdpSocket>, state: Arc<Mutex<State>>, script: Arc<Script>) {
    // Delayed sends live in this set so they are aborted together with the server task.
    let mut delayed = JoinSet::new();
    let local_ip = socket
        .local_addr()
        .map(|a| a.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
    let mut buf = vec![0u8; 65_536];
    loop {
        let (len, from) = match socket.recv_from(&mut buf).await {
            Ok(x) => x,
            Err(e) => {
                // E.g. ECONNREFUSED reported for an earlier send; keep serving.
                tracing::debug!(error = %e, "fake NG: recv failed");
                tokio::time::sleep(Duration::from_millis(1)).await;
                continue;
            }
        };
        while delayed.try_join_next().is_some() {}
        let datagram = Bytes::copy_from_slice(&buf[..len]);
        let space = datagram.iter().position(|&b| b == b' ');

        let request = {
            let mut st = lock(&state);
            let seq = st.received.len();
            let req = match space {
                Some(i) => {
                    let cookie = datagram.slice(..i);
                    let count = st.per_cookie.entry(cookie.clone()).or_insert(0);
                    let attempt = *count;
                    *count += 1;
                    FakeRequest {
                        cookie,
                        body: datagram.slice(i + 1..),
                        from,
                        seq,
                        attempt,
                    }
                }
                None => FakeRequest {
                    cookie: Bytes::new(),
                    body: datagram.clone(),
                    from,
                    seq,
                    attempt: 0,
                },
            };
            st.received.push(req.clone());
            req
        };
        if space.is_none() {
            // The real daemon silently drops datagrams without a cookie.
            continue;
        }

        let actions = match std::panic::catch_unwind(AssertUnwindSafe(|| script(&request))) {
            Ok(actions) => actions,
            Err(_) => {
                tracing::error!(
                    seq = request.seq,
                    "fake NG: script panicked; dropping request"
                );
                Vec::new()
            }
        };

        for action in actions {
            match action {
                FakeAction::Reply(body) => {
                    send(&socket, &framed(&request.cookie, &body), from).await;
                }
                FakeAction::Raw(data) => send(&socket, &data, from).await,
                FakeAction::ReplyWithCookie(cookie, body) => {
                    send(&socket, &framed(&cookie, &body), from).await;
                }
                FakeAction::ReplyAfter(delay, body) => {
                    let socket = Arc::clone(&socket);
                    let data = framed(&request.cookie, &body);
                    delayed.spawn(async move {
                        tokio::time::sleep(delay).await;
                        send(&socket, &data, from).await;
                    });
                }
                FakeAction::RawAfter(delay, data) => {
                    let socket = Arc::clone(&socket);
                    delayed.spawn(async move {
                        tokio::time::sleep(delay).await;
                        send(&socket, &data, from).await;
                    });
                }
                FakeAction::ReplyFromOtherSocket(body) => {
                    send_from_other_socket(local_ip, framed(&request.cookie, &body), from).await;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(a: FakeAction) -> Bytes {
        match a {
            FakeAction::Reply(b) => b,
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn constructors_encode_bencode() {
        assert_eq!(&body(FakeAction::pong())[..], b"d6:result4:ponge");
        assert_eq!(&body(FakeAction::ok())[..], b"d6:result2:oke");
        assert_eq!(
            &body(FakeAction::ok_with_sdp(b"v=0\r\n"))[..],
            b"d3:sdp5:v=0\r\n6:result2:oke"
        );
        assert_eq!(
            &body(FakeAction::error("Unknown call-id"))[..],
            b"d6:result5:error12:error-reason15:Unknown call-ide"
        );
    }

    #[test]
    fn request_helpers() {
        let req = FakeRequest {
            cookie: Bytes::from_static(b"c1"),
            body: Bytes::from_static(b"d7:command4:pinge"),
            from: SocketAddr::from((Ipv4Addr::LOCALHOST, 1)),
            seq: 0,
            attempt: 0,
        };
        assert!(req.body_contains(b"ping"));
        assert!(!req.body_contains(b"offer"));
        assert!(req.is_command("ping"));
        assert!(!req.is_command("offer"));
    }
}
