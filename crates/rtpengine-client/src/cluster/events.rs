//! What a cluster tells the application as it happens: nodes going down and up, calls moving to
//! an HA peer, new calls failing over.

use tokio::sync::broadcast;
use tracing::warn;

use super::node::NodeToken;

/// Something that happened in a [`Cluster`](crate::Cluster).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClusterEvent {
    /// A node's breaker opened: no new calls go there; its calls fail fast or move to an HA
    /// peer.
    NodeDown {
        /// The node's URL.
        node: String,
        /// Its token.
        token: NodeToken,
        /// What the node did last (`timeout`, `transport error`, `overload`).
        reason: String,
    },
    /// A node answered again and takes new calls.
    NodeUp {
        /// The node's URL.
        node: String,
        /// Its token.
        token: NodeToken,
    },
    /// A call whose node is down continued on an HA peer, where it now stays. Without a
    /// floating media address the peer's SDP carries the peer's address: re-INVITE both legs.
    CallMoved {
        /// The call.
        call_id: String,
        /// The node that held it.
        from: String,
        /// The peer that holds it now.
        to: String,
    },
    /// A new call's request (or one naming no call) failed on a node and went on to the next.
    Failover {
        /// The call-id, if the request had one.
        call_id: Option<String>,
        /// The command.
        command: String,
        /// The node that failed.
        from: String,
        /// The node tried next.
        to: String,
        /// Why (the error).
        reason: String,
    },
}

/// The events of a cluster from the moment it was asked for ([`Cluster::events`]).
///
/// [`Cluster::events`]: crate::Cluster::events
#[derive(Debug)]
pub struct ClusterEvents {
    pub(crate) rx: broadcast::Receiver<ClusterEvent>,
}

impl ClusterEvents {
    /// The next event; `None` once every handle on the cluster is gone. A reader that falls more
    /// than 1,024 events behind loses the oldest (with a warning).
    pub async fn recv(&mut self) -> Option<ClusterEvent> {
        loop {
            match self.rx.recv().await {
                Ok(event) => return Some(event),
                Err(broadcast::error::RecvError::Lagged(lost)) => {
                    warn!(lost, "cluster event reader too slow; oldest events dropped");
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    }
}
