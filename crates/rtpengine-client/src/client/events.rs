//! Unsolicited messages from the daemon (stream transports only).

use tokio::sync::broadcast;
use tracing::warn;

use super::Client;
use crate::message::event::NgEvent;
#[cfg(feature = "tcp")]
use crate::transport::Transport;

/// A stream of the unsolicited messages rtpengine pushes to this client, e.g. DTMF events
/// (daemon option `--dtmf-log-ng-tcp`).
///
/// Events are never confused with replies and never hold replies up: a slow reader only loses
/// the oldest events (with a warning), never a reply.
#[derive(Debug)]
pub struct EventStream {
    rx: broadcast::Receiver<NgEvent>,
}

impl EventStream {
    /// The next event; `None` once the client is gone.
    pub async fn recv(&mut self) -> Option<NgEvent> {
        loop {
            match self.rx.recv().await {
                Ok(event) => return Some(event),
                Err(broadcast::error::RecvError::Lagged(lost)) => {
                    warn!(lost, "event reader too slow; oldest events dropped");
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    }
}

impl Client {
    /// The daemon's unsolicited messages, for a client on a stream transport (`tcp://`); `None`
    /// on transports that carry none (UDP). Each call gives an independent stream of the events
    /// from now on.
    pub fn events(&self) -> Option<EventStream> {
        match &self.transport {
            #[cfg(feature = "tcp")]
            Transport::Tcp(t) => Some(EventStream { rx: t.events() }),
            _ => None,
        }
    }

    /// How many times the stream connection was established (1 until a reconnect); `None` on
    /// UDP.
    pub fn connection_count(&self) -> Option<u64> {
        match &self.transport {
            #[cfg(feature = "tcp")]
            Transport::Tcp(t) => Some(t.connects()),
            _ => None,
        }
    }
}
