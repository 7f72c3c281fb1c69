//! The one error type of the crate.

use std::{io, sync::Arc, time::Duration};

/// Everything that can go wrong talking to rtpengine.
///
/// `Clone` (I/O errors are shared through an `Arc`) so one failure can be handed to every waiting
/// request. Use the predicates rather than matching when deciding what to do next.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No reply within the deadline, after every retransmission.
    #[error("no reply from rtpengine at {server} to '{command}' within {deadline:?} ({attempts} attempts)")]
    Timeout {
        /// The server address the request was sent to.
        server: String,
        /// The NG command.
        command: String,
        /// How many times the request was sent (the first send plus retransmissions).
        attempts: u32,
        /// The deadline that ran out (the whole budget of the request, retransmissions
        /// included; the request ended when it passed).
        deadline: Duration,
    },
    /// A socket operation failed.
    #[error("I/O error ({context}): {source}")]
    Io {
        /// What the client was doing.
        context: String,
        /// The underlying error.
        #[source]
        source: Arc<io::Error>,
    },
    /// The reply is a well-formed message but not a valid NG reply (no `result`, missing `sdp`…).
    #[error("malformed reply from rtpengine: {reason}")]
    MalformedReply {
        /// What was wrong.
        reason: String,
    },
    /// rtpengine answered `result: error`.
    #[error("rtpengine error: {reason}")]
    Rtpengine {
        /// The `error-reason` text (human text; do not parse it).
        reason: String,
    },
    /// rtpengine answered `result: load limit` (only when the request announced support).
    #[error("rtpengine load limit: {message}")]
    LoadLimit {
        /// The `message` text, e.g. "Parallel session limit reached".
        message: String,
    },
    /// The server URL could not be used.
    #[error("bad rtpengine URL '{url}': {reason}")]
    BadUrl {
        /// The URL as given.
        url: String,
        /// What was wrong with it.
        reason: String,
    },
    /// The request cannot be sent safely: the datagram is too big for UDP, or a string is so long
    /// that rtpengine would crash echoing it.
    #[error("request too large: {reason}")]
    RequestTooLarge {
        /// Which limit was exceeded.
        reason: String,
    },
    /// The server sent a reply longer than the client's bound
    /// ([`ClientBuilder::max_reply_size`](crate::ClientBuilder::max_reply_size)): it was dropped
    /// without being decoded (on a stream transport, with the connection it came on).
    #[error("reply from rtpengine at {server} is over the {limit}-byte bound ({size} bytes or more); raise ClientBuilder::max_reply_size if such replies are expected")]
    ReplyTooLarge {
        /// The server, as the client names it.
        server: String,
        /// The reply's length in bytes, or as many as were seen (or announced) when it passed
        /// the bound.
        size: usize,
        /// The bound in force.
        limit: usize,
    },
    /// The in-flight table is full; the request was not sent.
    #[error("too many requests in flight (limit {limit})")]
    TooManyInFlight {
        /// The configured limit.
        limit: usize,
    },
    /// A request could not be built (an invalid option value).
    #[error("invalid request: {reason}")]
    InvalidRequest {
        /// What was wrong.
        reason: String,
    },
    /// The request needs a newer rtpengine than the one the client was told it talks to.
    #[error("{what} needs rtpengine {since} or newer; the target is {target} (turn the version check off to send it anyway)")]
    Unsupported {
        /// What needs the newer release, e.g. `option 'sdp-attr'` or `command 'connect'`.
        what: String,
        /// The release that introduced it.
        since: crate::version::Since,
        /// The version the client targets.
        target: crate::version::Version,
    },
    /// The client's background task is gone (the runtime is shutting down).
    #[error("client is closed: {reason}")]
    Closed {
        /// Why.
        reason: String,
    },
    /// A [`Cluster`](crate::Cluster) request for a call whose node is down (or disabled, or
    /// removed) and which no HA peer can take: refused at once rather than after a deadline.
    #[error("rtpengine node {node}, which holds call '{call_id}', is down and no HA peer can take the call")]
    NodeDown {
        /// The node's URL.
        node: String,
        /// The call.
        call_id: String,
    },
    /// A call whose node went down moved to an HA peer that does not know it (the call had not
    /// reached the peer through Redis): the call is lost.
    #[error("call '{call_id}' is lost: its node is down and HA peer {node} does not know it")]
    CallLost {
        /// The peer asked.
        node: String,
        /// The call.
        call_id: String,
    },
    /// No node of a [`Cluster`](crate::Cluster) can take the request (all down, draining or
    /// disabled, or none configured).
    #[error("no rtpengine node can take the request: {reason}")]
    NoNode {
        /// Why.
        reason: String,
    },
    /// A node already has as many requests in flight as the cluster allows it
    /// ([`ClusterBuilder::max_in_flight_per_node`](crate::ClusterBuilder::max_in_flight_per_node)).
    #[error("rtpengine node {node} is busy: {limit} requests in flight")]
    NodeBusy {
        /// The node's URL.
        node: String,
        /// The cap.
        limit: usize,
    },
    /// A node named by URL or token is not in the cluster.
    #[error("no node {node} in the cluster")]
    UnknownNode {
        /// The URL or token given.
        node: String,
    },
}

impl Error {
    pub(crate) fn io(context: impl Into<String>, source: io::Error) -> Self {
        Self::Io {
            context: context.into(),
            source: Arc::new(source),
        }
    }

    pub(crate) fn invalid(reason: impl Into<String>) -> Self {
        Self::InvalidRequest {
            reason: reason.into(),
        }
    }

    pub(crate) fn malformed(reason: impl Into<String>) -> Self {
        Self::MalformedReply {
            reason: reason.into(),
        }
    }

    /// No reply arrived in time.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Timeout { .. })
    }

    /// rtpengine itself answered with an error (`result: error`).
    pub fn is_rtpengine_error(&self) -> bool {
        matches!(self, Self::Rtpengine { .. })
    }

    /// The `error-reason` of an rtpengine error, or the message of a load-limit reply.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Self::Rtpengine { reason } => Some(reason),
            Self::LoadLimit { message } => Some(message),
            _ => None,
        }
    }

    /// Sending the same request to another rtpengine node could succeed: the node did not answer,
    /// its socket failed, it is overloaded, or this client's in-flight table for it is full. Errors that describe the
    /// request itself (bad options, rtpengine's own `error` reply, size) are not.
    pub fn is_retryable_elsewhere(&self) -> bool {
        matches!(
            self,
            Self::Timeout { .. }
                | Self::Io { .. }
                | Self::LoadLimit { .. }
                | Self::TooManyInFlight { .. }
                | Self::Closed { .. }
                | Self::NodeBusy { .. }
        )
    }

    /// A cluster refused a request at once because the call's node is down
    /// ([`Error::NodeDown`]) or the call was lost with it ([`Error::CallLost`]).
    pub fn is_node_down(&self) -> bool {
        matches!(self, Self::NodeDown { .. } | Self::CallLost { .. })
    }
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<crate::version::ParseVersionError> for Error {
    fn from(e: crate::version::ParseVersionError) -> Self {
        Self::InvalidRequest {
            reason: e.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predicates() {
        let t = Error::Timeout {
            server: "127.0.0.1:2223".into(),
            command: "offer".into(),
            attempts: 5,
            deadline: Duration::from_secs(10),
        };
        assert!(t.is_timeout() && t.is_retryable_elsewhere());
        assert!(t.to_string().contains("127.0.0.1:2223"));
        let e = Error::Rtpengine {
            reason: "Unknown call-id".into(),
        };
        assert!(!e.is_retryable_elsewhere() && e.is_rtpengine_error());
        assert_eq!(e.reason(), Some("Unknown call-id"));
        assert!(Error::LoadLimit {
            message: "x".into()
        }
        .is_retryable_elsewhere());
        assert!(!Error::RequestTooLarge { reason: "x".into() }.is_retryable_elsewhere());
        let io = Error::io("send", io::Error::other("boom"));
        let copy = io.clone();
        assert!(copy.is_retryable_elsewhere());
    }
}
