//! Counters a program can read: what a [`Client`](super::Client) sent and what came of it.
//!
//! The hot path only touches atomics (relaxed `fetch_add`/`fetch_sub`, no lock): each request
//! adds to the slot of its command, found in the library's command catalogue
//! ([`COMMANDS`]); the totals are summed when a snapshot is taken. [`Client::stats`] returns a
//! [`ClientStats`] snapshot of plain `u64` fields, with one [`CommandStats`] per catalogue
//! command (in catalogue order) and one for any other command name, so an exporter (for
//! example to the `metrics` facade) is a loop over fields and rows.
//!
//! [`Client::stats`]: super::Client::stats

use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Error, Result};
use crate::message::commands::COMMANDS;

/// The name of the row counting commands outside the catalogue (sent with
/// [`NgCommands::request`](crate::NgCommands::request) or a hand-written [`Request`](crate::Request)).
pub const OTHER_COMMAND: &str = "other";

/// A snapshot of a client's counters, shared by every clone of the client (and by
/// [`Client::with_timeout`](super::Client::with_timeout) handles); it covers the client's
/// stream transport too ([`ClientBuilder::stream`](super::ClientBuilder::stream)).
///
/// Every request counts once in `requests` when it starts, and once more in exactly one of
/// these when it ends: `replies` (the daemon answered, whatever its `result`), `timeouts`,
/// `errors` other than [`ErrorCounts::rtpengine`], [`ErrorCounts::load_limit`] and
/// [`ErrorCounts::malformed_reply`] (failures without a reply: refused before sending, socket
/// failures, the client closing), or `cancelled` (the caller dropped the request future); until
/// then it counts in `in_flight`. A reply that [`NgCommands::send`](crate::NgCommands::send) turns into
/// an error (`result: error`, `load limit`, no `result`) counts in `replies` and in `errors`.
/// Once no request is in flight:
///
/// `requests = replies + timeouts + cancelled + errors.total() − errors.rtpengine −
/// errors.load_limit − errors.malformed_reply`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientStats {
    /// Requests started.
    pub requests: u64,
    /// Requests the daemon answered (error replies included).
    pub replies: u64,
    /// Copies of requests sent again over UDP (datagrams sent − requests sent). Stream
    /// transports never retransmit.
    pub retransmissions: u64,
    /// Requests that got no reply within their deadline ([`Error::Timeout`]).
    pub timeouts: u64,
    /// Requests whose caller dropped the future before it ended.
    pub cancelled: u64,
    /// Failed requests other than timeouts, by kind of [`Error`].
    pub errors: ErrorCounts,
    /// Times a `tcp://` connection (main or stream transport) was re-established after it
    /// broke or failed.
    pub reconnects: u64,
    /// Times the server's port was seen refusing: an ICMP port unreachable reported on the UDP
    /// socket, or a `tcp://` connection attempt refused (nothing listens there: the daemon is
    /// down). See [`ClientBuilder::fail_fast_when_refused`](super::ClientBuilder::fail_fast_when_refused)
    /// for what the waiting requests do then.
    pub refusals: u64,
    /// Requests started and not ended yet.
    pub in_flight: u64,
    /// The same counters per command: one row per entry of [`COMMANDS`], in its order, then one
    /// named [`OTHER_COMMAND`].
    pub commands: Vec<CommandStats>,
}

impl ClientStats {
    /// The row of `command` (a catalogue name, or [`OTHER_COMMAND`]).
    pub fn command(&self, command: &str) -> Option<&CommandStats> {
        self.commands.iter().find(|c| c.command == command)
    }
}

/// The counters of one command (see [`ClientStats`] for what each counts).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CommandStats {
    /// The command's name as in [`COMMANDS`], or [`OTHER_COMMAND`].
    pub command: &'static str,
    /// Requests started.
    pub requests: u64,
    /// Requests answered by the daemon.
    pub replies: u64,
    /// UDP copies sent again.
    pub retransmissions: u64,
    /// Requests without a reply within the deadline.
    pub timeouts: u64,
    /// Requests whose caller gave up.
    pub cancelled: u64,
    /// Failed requests other than timeouts (every kind).
    pub errors: u64,
    /// Requests started and not ended yet.
    pub in_flight: u64,
}

/// Failed requests by kind of [`Error`] (timeouts are counted in [`ClientStats::timeouts`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ErrorCounts {
    /// [`Error::Io`]: a socket operation failed.
    pub io: u64,
    /// [`Error::MalformedReply`] found in the reply's `result` (a reply without one).
    pub malformed_reply: u64,
    /// [`Error::Rtpengine`]: the daemon answered `result: error`.
    pub rtpengine: u64,
    /// [`Error::LoadLimit`]: the daemon answered `result: load limit`.
    pub load_limit: u64,
    /// [`Error::RequestTooLarge`]: refused before sending.
    pub request_too_large: u64,
    /// [`Error::ReplyTooLarge`]: the reply was over the client's bound.
    pub reply_too_large: u64,
    /// [`Error::TooManyInFlight`]: refused before sending.
    pub too_many_in_flight: u64,
    /// [`Error::InvalidRequest`]: refused before sending.
    pub invalid_request: u64,
    /// [`Error::Unsupported`]: refused before sending by the version check.
    pub unsupported: u64,
    /// [`Error::Closed`]: the client's background task is gone.
    pub closed: u64,
    /// Any other error.
    pub other: u64,
}

impl ErrorCounts {
    /// Every kind with its count, named as the fields are (for exporters).
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, u64)> {
        let counts = *self;
        ErrorKind::ALL
            .into_iter()
            .map(move |kind| (kind.name(), counts.get(kind)))
    }

    /// The sum over every kind.
    pub fn total(&self) -> u64 {
        self.iter().map(|(_, n)| n).sum()
    }

    fn get(&self, kind: ErrorKind) -> u64 {
        match kind {
            ErrorKind::Io => self.io,
            ErrorKind::MalformedReply => self.malformed_reply,
            ErrorKind::Rtpengine => self.rtpengine,
            ErrorKind::LoadLimit => self.load_limit,
            ErrorKind::RequestTooLarge => self.request_too_large,
            ErrorKind::ReplyTooLarge => self.reply_too_large,
            ErrorKind::TooManyInFlight => self.too_many_in_flight,
            ErrorKind::InvalidRequest => self.invalid_request,
            ErrorKind::Unsupported => self.unsupported,
            ErrorKind::Closed => self.closed,
            ErrorKind::Other => self.other,
        }
    }

    fn slot(&mut self, kind: ErrorKind) -> &mut u64 {
        match kind {
            ErrorKind::Io => &mut self.io,
            ErrorKind::MalformedReply => &mut self.malformed_reply,
            ErrorKind::Rtpengine => &mut self.rtpengine,
            ErrorKind::LoadLimit => &mut self.load_limit,
            ErrorKind::RequestTooLarge => &mut self.request_too_large,
            ErrorKind::ReplyTooLarge => &mut self.reply_too_large,
            ErrorKind::TooManyInFlight => &mut self.too_many_in_flight,
            ErrorKind::InvalidRequest => &mut self.invalid_request,
            ErrorKind::Unsupported => &mut self.unsupported,
            ErrorKind::Closed => &mut self.closed,
            ErrorKind::Other => &mut self.other,
        }
    }
}

/// The kinds [`ErrorCounts`] distinguishes (an index into the atomic array).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ErrorKind {
    Io,
    MalformedReply,
    Rtpengine,
    LoadLimit,
    RequestTooLarge,
    ReplyTooLarge,
    TooManyInFlight,
    InvalidRequest,
    Unsupported,
    Closed,
    Other,
}

impl ErrorKind {
    const ALL: [Self; 11] = [
        Self::Io,
        Self::MalformedReply,
        Self::Rtpengine,
        Self::LoadLimit,
        Self::RequestTooLarge,
        Self::ReplyTooLarge,
        Self::TooManyInFlight,
        Self::InvalidRequest,
        Self::Unsupported,
        Self::Closed,
        Self::Other,
    ];

    fn of(err: &Error) -> Self {
        match err {
            Error::Io { .. } => Self::Io,
            Error::MalformedReply { .. } => Self::MalformedReply,
            Error::Rtpengine { .. } => Self::Rtpengine,
            Error::LoadLimit { .. } => Self::LoadLimit,
            Error::RequestTooLarge { .. } => Self::RequestTooLarge,
            Error::ReplyTooLarge { .. } => Self::ReplyTooLarge,
            Error::TooManyInFlight { .. } => Self::TooManyInFlight,
            Error::InvalidRequest { .. } => Self::InvalidRequest,
            Error::Unsupported { .. } => Self::Unsupported,
            Error::Closed { .. } => Self::Closed,
            _ => Self::Other,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Io => "io",
            Self::MalformedReply => "malformed_reply",
            Self::Rtpengine => "rtpengine",
            Self::LoadLimit => "load_limit",
            Self::RequestTooLarge => "request_too_large",
            Self::ReplyTooLarge => "reply_too_large",
            Self::TooManyInFlight => "too_many_in_flight",
            Self::InvalidRequest => "invalid_request",
            Self::Unsupported => "unsupported",
            Self::Closed => "closed",
            Self::Other => "other",
        }
    }
}

/// The atomics of one command.
#[derive(Debug, Default)]
pub(crate) struct CommandCells {
    requests: AtomicU64,
    replies: AtomicU64,
    retransmissions: AtomicU64,
    timeouts: AtomicU64,
    cancelled: AtomicU64,
    errors: AtomicU64,
    in_flight: AtomicU64,
}

impl CommandCells {
    /// One more copy of a request was sent (UDP).
    pub(crate) fn retransmitted(&self) {
        self.retransmissions.fetch_add(1, Ordering::Relaxed);
    }

    fn snapshot(&self, command: &'static str) -> CommandStats {
        CommandStats {
            command,
            requests: self.requests.load(Ordering::Relaxed),
            replies: self.replies.load(Ordering::Relaxed),
            retransmissions: self.retransmissions.load(Ordering::Relaxed),
            timeouts: self.timeouts.load(Ordering::Relaxed),
            cancelled: self.cancelled.load(Ordering::Relaxed),
            errors: self.errors.load(Ordering::Relaxed),
            in_flight: self.in_flight.load(Ordering::Relaxed),
        }
    }
}

/// Rows: the catalogue, then [`OTHER_COMMAND`].
const ROWS: usize = COMMANDS.len() + 1;

/// Every counter of one client (shared by its clones and its transports).
#[derive(Debug)]
pub(crate) struct StatsCells {
    commands: [CommandCells; ROWS],
    errors: [AtomicU64; ErrorKind::ALL.len()],
    reconnects: AtomicU64,
    refusals: AtomicU64,
}

impl Default for StatsCells {
    fn default() -> Self {
        Self {
            commands: std::array::from_fn(|_| CommandCells::default()),
            errors: std::array::from_fn(|_| AtomicU64::new(0)),
            reconnects: AtomicU64::new(0),
            refusals: AtomicU64::new(0),
        }
    }
}

impl StatsCells {
    /// The row of `command` (`CLI` is an alias of `cli`; unknown names share the last row).
    fn row(command: &str) -> usize {
        let command = if command == "CLI" { "cli" } else { command };
        COMMANDS
            .iter()
            .position(|(name, _)| *name == command)
            .unwrap_or(COMMANDS.len())
    }

    /// A request of `command` starts; the guard counts how it ends.
    pub(crate) fn start(&self, command: &str) -> RequestGuard<'_> {
        let cells = &self.commands[Self::row(command)];
        cells.requests.fetch_add(1, Ordering::Relaxed);
        cells.in_flight.fetch_add(1, Ordering::Relaxed);
        RequestGuard {
            stats: self,
            cells,
            ended: false,
        }
    }

    /// A stream connection was re-established.
    #[cfg_attr(not(feature = "tcp"), allow(dead_code))]
    pub(crate) fn reconnected(&self) {
        self.reconnects.fetch_add(1, Ordering::Relaxed);
    }

    /// The server's port refused (ICMP port unreachable, or a refused TCP connect).
    pub(crate) fn refused(&self) {
        self.refusals.fetch_add(1, Ordering::Relaxed);
    }

    fn error(&self, cells: &CommandCells, err: &Error) {
        if err.is_timeout() {
            cells.timeouts.fetch_add(1, Ordering::Relaxed);
        } else {
            cells.errors.fetch_add(1, Ordering::Relaxed);
            self.errors[ErrorKind::of(err) as usize].fetch_add(1, Ordering::Relaxed);
        }
    }

    /// A snapshot (each counter read once; counters of requests ending meanwhile may be caught
    /// half-way).
    pub(crate) fn snapshot(&self) -> ClientStats {
        let names = COMMANDS
            .iter()
            .map(|(name, _)| *name)
            .chain([OTHER_COMMAND]);
        let commands: Vec<CommandStats> = self
            .commands
            .iter()
            .zip(names)
            .map(|(cells, name)| cells.snapshot(name))
            .collect();
        let mut errors = ErrorCounts::default();
        for kind in ErrorKind::ALL {
            *errors.slot(kind) = self.errors[kind as usize].load(Ordering::Relaxed);
        }
        let sum = |f: fn(&CommandStats) -> u64| commands.iter().map(f).sum::<u64>();
        ClientStats {
            requests: sum(|c| c.requests),
            replies: sum(|c| c.replies),
            retransmissions: sum(|c| c.retransmissions),
            timeouts: sum(|c| c.timeouts),
            cancelled: sum(|c| c.cancelled),
            errors,
            reconnects: self.reconnects.load(Ordering::Relaxed),
            refusals: self.refusals.load(Ordering::Relaxed),
            in_flight: sum(|c| c.in_flight),
            commands,
        }
    }
}

/// One request being counted: in flight until dropped; counted as cancelled unless it ended
/// through [`RequestGuard::exchanged`].
pub(crate) struct RequestGuard<'a> {
    stats: &'a StatsCells,
    cells: &'a CommandCells,
    ended: bool,
}

impl RequestGuard<'_> {
    /// The counters retransmissions of this request go to.
    pub(crate) fn cells(&self) -> &CommandCells {
        self.cells
    }

    /// Counts the outcome of the exchange: a reply, a timeout or an error without a reply.
    pub(crate) fn exchanged<T>(&mut self, result: &Result<T>) {
        self.ended = true;
        match result {
            Ok(_) => {
                self.cells.replies.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => self.stats.error(self.cells, e),
        }
    }

    /// Counts an error found in a reply already counted by [`RequestGuard::exchanged`].
    pub(crate) fn reply_refused(&self, err: &Error) {
        self.stats.error(self.cells, err);
    }
}

impl Drop for RequestGuard<'_> {
    fn drop(&mut self) {
        self.cells.in_flight.fetch_sub(1, Ordering::Relaxed);
        if !self.ended {
            self.cells.cancelled.fetch_add(1, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_follow_the_catalogue() {
        let cells = StatsCells::default();
        let mut ok = cells.start("offer");
        ok.exchanged(&Ok(()));
        drop(ok);
        let mut refused = cells.start("CLI");
        refused.exchanged(&Ok(()));
        refused.reply_refused(&Error::Rtpengine {
            reason: "no".into(),
        });
        drop(refused);
        let cancelled = cells.start("frobnicate");
        cancelled.cells().retransmitted();
        let s = cells.snapshot();
        assert_eq!(s.commands.len(), COMMANDS.len() + 1);
        assert_eq!(s.commands.last().unwrap().command, OTHER_COMMAND);
        assert_eq!(s.requests, 3);
        assert_eq!(s.replies, 2);
        assert_eq!(s.in_flight, 1);
        assert_eq!(s.retransmissions, 1);
        assert_eq!(s.command("offer").unwrap().replies, 1);
        assert_eq!(s.command("cli").unwrap().errors, 1);
        assert_eq!(s.errors.rtpengine, 1);
        assert_eq!(s.errors.total(), 1);
        drop(cancelled);
        let s = cells.snapshot();
        assert_eq!((s.in_flight, s.cancelled), (0, 1));
        assert_eq!(s.command(OTHER_COMMAND).unwrap().cancelled, 1);
        let names: Vec<&str> = s.errors.iter().map(|(n, _)| n).collect();
        assert_eq!(names.len(), ErrorKind::ALL.len());
        assert!(names.contains(&"too_many_in_flight"));
    }
}
