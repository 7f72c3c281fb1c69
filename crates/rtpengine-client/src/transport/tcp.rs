//! NG over TCP: one persistent connection carrying many requests, reconnected when it breaks.
//!
//! The driver task owns the connection. Callers register their cookie (with the request bytes)
//! in the in-flight table and hand the message to the driver, which writes each one whole with a
//! single `write_all` (the daemon drops a connection holding more than 1,024 bytes of a partial
//! message) and never half-closes. Replies are split with the bencode framing and matched by
//! cookie; unsolicited `notify` messages go to the event channel. When the connection breaks the
//! driver reconnects (at once after a connection that carried messages, otherwise with backoff,
//! each attempt bounded by a connect timeout) and re-sends every request still waiting, in the
//! order they were made and with the same cookie (the daemon's cookie cache makes that safe);
//! requests that see no reply by their deadline end with [`Error::Timeout`]. A refused
//! reconnection (the daemon is down) is counted; with `fail_fast_when_refused` it also fails
//! every waiting request, and every new one until a connection is made again.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{broadcast, mpsc};
use tokio::time::Instant;
use tracing::{debug, info, warn};

use super::inflight::InFlight;
use super::{
    is_refusal, on_refusal, reply_too_large, resolve, tcp_connect, DriverGuard, Exchange,
    ServerUrl, TransportConfig,
};
use crate::bencode::Dict;
use crate::counters::StatsCells;
use crate::error::{Error, Result};
use crate::message::event::NgEvent;
use crate::message::framing::{FrameError, FrameScanner};
use crate::message::{cookie_of, parse_message};

/// First and longest pause between reconnection attempts. The longest is the UDP
/// retransmission cap, so a daemon that comes back is found within one interval on either
/// transport (with 2 s, requests waited up to 1.99 s after a 3 s outage: tests/process_faults.rs).
const BACKOFF_MIN: Duration = Duration::from_millis(50);
const BACKOFF_MAX: Duration = Duration::from_secs(1);
/// A connection that broke before it carried a single message and sooner than this after it was
/// established counts as a failed attempt: the next one waits for the backoff (a server that
/// accepts and hangs up at once, or answers garbage, must not be hammered in a busy loop).
const STABLE_AFTER: Duration = Duration::from_secs(1);
/// Events kept for slow event readers.
const EVENT_BUFFER: usize = 1024;

struct Shared {
    server: SocketAddr,
    label: String,
    inflight: InFlight,
    /// The longest reply (and so the most bytes buffered for one message).
    max_reply_size: usize,
    outbox: mpsc::UnboundedSender<Bytes>,
    events: broadcast::Sender<NgEvent>,
    state: Mutex<ConnState>,
    /// The client's counters (reconnects).
    stats: Arc<StatsCells>,
    /// The longest wait for a connection to be accepted (a host that drops SYNs would
    /// otherwise hold `Client::connect`, or a reconnection, for the kernel's two minutes).
    connect_timeout: Duration,
    /// A refused reconnection fails the waiting requests (else they wait for the next one).
    fail_fast_when_refused: bool,
}

#[derive(Default)]
struct ConnState {
    local: Option<SocketAddr>,
    connects: u64,
    last_error: Option<String>,
}

/// A cheap, cloneable handle on one TCP NG connection and its driver task.
#[derive(Clone)]
pub(crate) struct TcpTransport {
    shared: Arc<Shared>,
    _driver: Arc<DriverGuard>,
}

impl TcpTransport {
    /// Resolves the server, connects once (so a wrong address fails here, clearly; unless
    /// `connect_lazily`, when the driver keeps trying) and starts the driver task.
    pub(crate) async fn open(url: &ServerUrl, config: &TransportConfig) -> Result<Self> {
        let server = resolve(url, config.bind).await?;
        let stream = match connect(server, config.bind, config.connect_timeout).await {
            Ok(stream) => Some(stream),
            Err(e) if config.connect_lazily => {
                debug!(error = %e, "first connection failed; connecting in the background");
                None
            }
            Err(e) => return Err(e),
        };
        let (outbox, inbox) = mpsc::unbounded_channel();
        let (events, _) = broadcast::channel(EVENT_BUFFER);
        let shared = Arc::new(Shared {
            server,
            label: format!("tcp://{server}"),
            inflight: InFlight::new(config.max_in_flight),
            max_reply_size: config.max_reply_size,
            outbox,
            events,
            state: Mutex::new(ConnState::default()),
            stats: Arc::clone(&config.stats),
            connect_timeout: config.connect_timeout,
            fail_fast_when_refused: config.fail_fast_when_refused,
        });
        let task = tokio::spawn(drive(Arc::clone(&shared), stream, inbox, config.bind));
        Ok(Self {
            shared,
            _driver: Arc::new(DriverGuard(task.abort_handle())),
        })
    }

    pub(crate) fn server(&self) -> SocketAddr {
        self.shared.server
    }

    pub(crate) fn local_addr(&self) -> Result<SocketAddr> {
        let state = self.shared.state.lock().unwrap_or_else(|e| e.into_inner());
        state.local.ok_or_else(|| {
            Error::io(
                format!("no connection to {}", self.shared.label),
                std::io::Error::from(std::io::ErrorKind::NotConnected),
            )
        })
    }

    pub(crate) fn in_flight(&self) -> usize {
        self.shared.inflight.len()
    }

    /// How many times the connection was (re)established.
    pub(crate) fn connects(&self) -> u64 {
        self.shared
            .state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .connects
    }

    /// A receiver of the unsolicited messages the daemon pushes on this connection.
    pub(crate) fn events(&self) -> broadcast::Receiver<NgEvent> {
        self.shared.events.subscribe()
    }

    /// Sends the request once (and again after a reconnect) and waits for its reply.
    pub(crate) async fn exchange(&self, ex: Exchange<'_>) -> Result<Dict> {
        let start = Instant::now();
        let deadline = ex.deadline(start);
        let mut registration = self
            .shared
            .inflight
            .register(ex.cookie.clone(), ex.message.clone())?;
        self.shared
            .outbox
            .send(ex.message.clone())
            .map_err(|_| Error::Closed {
                reason: "the TCP connection task ended".to_owned(),
            })?;
        tokio::select! {
            reply = &mut registration.rx => {
                debug!(elapsed = ?start.elapsed(), "reply received");
                ex.received(reply)
            }
            () = tokio::time::sleep_until(deadline) => {
                let state = self.shared.state.lock().unwrap_or_else(|e| e.into_inner());
                debug!(connected = state.local.is_some(), last_error = ?state.last_error, "deadline passed");
                Err(ex.timeout(1))
            }
        }
    }
}

/// One connection, accepted within `timeout`.
async fn connect(
    server: SocketAddr,
    bind: Option<SocketAddr>,
    timeout: Duration,
) -> Result<TcpStream> {
    let label = format!("tcp://{server}");
    tokio::time::timeout(timeout, tcp_connect(server, bind, &label))
        .await
        .map_err(|_| {
            Error::io(
                format!("connecting to {label}"),
                std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!("not accepted within the connect timeout ({timeout:?})"),
                ),
            )
        })?
}

async fn drive(
    shared: Arc<Shared>,
    first: Option<TcpStream>,
    mut inbox: mpsc::UnboundedReceiver<Bytes>,
    bind: Option<SocketAddr>,
) {
    let mut stream = first;
    let mut backoff = BACKOFF_MIN;
    loop {
        let conn = match stream.take() {
            Some(s) => s,
            None => match connect(shared.server, bind, shared.connect_timeout).await {
                Ok(s) => {
                    info!(server = %shared.label, "reconnected");
                    s
                }
                Err(e) => {
                    debug!(error = %e, ?backoff, "reconnect failed");
                    set_error(&shared, e.to_string());
                    let fail = match &e {
                        Error::Io { source, .. } if is_refusal(source) => on_refusal(
                            &shared.label,
                            &shared.stats,
                            &shared.inflight,
                            shared.fail_fast_when_refused,
                            std::io::Error::from(std::io::ErrorKind::ConnectionRefused),
                        ),
                        _ => None,
                    };
                    let fail = fail.as_ref().map(|err| (&shared.inflight, err));
                    if !pause(&mut inbox, backoff, fail).await {
                        return;
                    }
                    backoff = (backoff * 2).min(BACKOFF_MAX);
                    continue;
                }
            },
        };
        let established = Instant::now();
        {
            let mut state = shared.state.lock().unwrap_or_else(|e| e.into_inner());
            state.local = conn.local_addr().ok();
            state.connects += 1;
            if state.connects > 1 {
                shared.stats.reconnected();
            }
        }
        // Everything queued so far is in the table too: drop the queue and send the table, so
        // each waiting request goes out on this connection. (Drain first, then read the table:
        // a request registered in between is then sent twice with one cookie, which the daemon
        // answers once; the other order could lose it.)
        while inbox.try_recv().is_ok() {}
        let pending = shared.inflight.messages();
        let mut delivered = false;
        match serve(&shared, conn, &mut inbox, pending, &mut delivered).await {
            Ok(()) => return, // every handle is gone
            Err(e) => {
                warn!(server = %shared.label, error = %e, "connection lost; reconnecting");
                set_error(&shared, e.to_string());
                shared.state.lock().unwrap_or_else(|e| e.into_inner()).local = None;
            }
        }
        if delivered || established.elapsed() >= STABLE_AFTER {
            // A connection that worked: try again at once.
            backoff = BACKOFF_MIN;
        } else {
            // It broke before carrying anything (a relay with nothing behind it, garbage, an
            // immediate hang-up): back off as after a failed connect.
            if !pause(&mut inbox, backoff, None).await {
                return;
            }
            backoff = (backoff * 2).min(BACKOFF_MAX);
        }
    }
}

/// Waits `pause` while taking (and dropping) queued messages, so senders never block; they are
/// re-sent from the in-flight table once connected, or, with `fail` (the server refused and
/// refusals fail fast), failed at once with its error. False when every handle is gone.
async fn pause(
    inbox: &mut mpsc::UnboundedReceiver<Bytes>,
    pause: Duration,
    fail: Option<(&InFlight, &Error)>,
) -> bool {
    let sleep = tokio::time::sleep(pause);
    tokio::pin!(sleep);
    loop {
        tokio::select! {
            () = &mut sleep => return true,
            msg = inbox.recv() => match (msg, fail) {
                (None, _) => return false,
                // Its request registered before it was queued, so it is in the table.
                (Some(_), Some((inflight, err))) => inflight.fail_all(err),
                (Some(_), None) => {}
            },
        }
    }
}

fn set_error(shared: &Shared, error: String) {
    shared
        .state
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .last_error = Some(error);
}

/// Runs one connection until it breaks (`Err`) or every handle is gone (`Ok`); sets `delivered`
/// once a message arrived on it.
async fn serve(
    shared: &Shared,
    conn: TcpStream,
    inbox: &mut mpsc::UnboundedReceiver<Bytes>,
    resend: Vec<Bytes>,
    delivered: &mut bool,
) -> std::io::Result<()> {
    let (mut reader, mut writer) = conn.into_split();
    if !resend.is_empty() {
        debug!(count = resend.len(), "re-sending requests still waiting");
    }
    for msg in resend {
        writer.write_all(&msg).await?;
    }
    let mut buf = BytesMut::with_capacity(64 * 1024);
    // The buffer holds at most the current message (refused once it passes the bound) plus
    // what one read brought after it.
    let mut scanner = FrameScanner::new(shared.max_reply_size);
    loop {
        tokio::select! {
            msg = inbox.recv() => match msg {
                Some(msg) => writer.write_all(&msg).await?,
                None => return Ok(()),
            },
            read = reader.read_buf(&mut buf) => {
                if read? == 0 {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        "the daemon closed the connection",
                    ));
                }
                if route_messages(shared, &mut buf, &mut scanner)? > 0 {
                    *delivered = true;
                }
            }
        }
    }
}

/// Hands every complete message in `buf` to its waiter (or to the event channel); returns how
/// many there were.
fn route_messages(
    shared: &Shared,
    buf: &mut BytesMut,
    scanner: &mut FrameScanner,
) -> std::io::Result<usize> {
    // Nothing after a framing or decoding error can be trusted: the connection is dropped.
    let broken = |what: String| std::io::Error::new(std::io::ErrorKind::InvalidData, what);
    let mut routed = 0;
    loop {
        let len = match scanner.scan(buf) {
            Ok(Some(len)) => len,
            Ok(None) => return Ok(routed),
            Err(FrameError::TooLong { limit }) => {
                // The request it answers fails now (re-sent, it would get the same reply);
                // nothing after the message can be found, so the connection goes too.
                let size = buf.len().max(limit.saturating_add(1));
                if let Some(cookie) = cookie_of(buf) {
                    let server = shared.server.to_string();
                    shared
                        .inflight
                        .fail(cookie, reply_too_large(&server, size, limit));
                }
                return Err(broken(format!(
                    "a reply over the {limit}-byte bound on the NG stream"
                )));
            }
            Err(e) => return Err(broken(format!("undecodable data on the NG stream: {e}"))),
        };
        scanner.reset();
        let message = buf.split_to(len).freeze();
        let (cookie, dict) = parse_message(&message)
            .map_err(|e| broken(format!("undecodable message on the NG stream: {e}")))?;
        routed += 1;
        if dict.contains_key("notify") && !dict.contains_key("result") {
            if let Some(event) = NgEvent::from_dict(dict) {
                debug!(kind = %event.kind, "event received");
                // No receiver is fine: nobody listens for events.
                let _ = shared.events.send(event);
            }
            continue;
        }
        shared.inflight.complete(&cookie, dict);
    }
}
