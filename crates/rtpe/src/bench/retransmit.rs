//! Counts the client library's UDP retransmissions.
//!
//! The library does not report how often a request was sent; its UDP transport logs
//! `debug!(attempts, "retransmitted")` after every copy beyond the first. This module counts
//! those events with a `tracing` layer whose per-layer filter only lets that callsite family
//! through (the transport's debug events with an `attempts` field and no `elapsed` field:
//! "retransmitted" and "deadline passed"), so every other callsite stays disabled and costs
//! nothing. The count is therefore exactly "datagrams sent − requests sent" over UDP. Stream
//! transports (`tcp://`) never retransmit and count nothing.
//!
//! `main` installs the layer only for `rtpe bench`, next to the `-v` logging layer if any.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use tracing::field::{Field, Visit};
use tracing::level_filters::LevelFilter;
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::filter::{filter_fn, Filtered};
use tracing_subscriber::layer::{Context, Layer};

/// Retransmissions counted since the process started.
static RETRANSMISSIONS: AtomicU64 = AtomicU64::new(0);

/// The event message the library's UDP transport logs after each copy beyond the first.
const MESSAGE: &str = "retransmitted";

/// Retransmissions counted so far (only while the layer is installed).
pub(crate) fn retransmissions() -> u64 {
    RETRANSMISSIONS.load(Ordering::Relaxed)
}

/// The counting layer with its filter.
pub(crate) fn counter<S>() -> Filtered<Counter, impl tracing_subscriber::layer::Filter<S>, S>
where
    S: Subscriber,
{
    Counter.with_filter(filter_fn(is_candidate).with_max_level_hint(LevelFilter::DEBUG))
}

/// Whether a callsite may be the transport's "retransmitted" event (decided once per callsite).
fn is_candidate(meta: &Metadata<'_>) -> bool {
    meta.is_event()
        && *meta.level() == Level::DEBUG
        && meta.target().starts_with("rtpengine_client::transport")
        && meta.fields().field("attempts").is_some()
        && meta.fields().field("elapsed").is_none()
}

/// Counts the events whose message is [`MESSAGE`].
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Counter;

impl<S: Subscriber> Layer<S> for Counter {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let mut visitor = MessageIs(false);
        event.record(&mut visitor);
        if visitor.0 {
            RETRANSMISSIONS.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Records whether the `message` field is [`MESSAGE`].
struct MessageIs(bool);

impl Visit for MessageIs {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.0 = value == MESSAGE;
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            // `format_args!` messages arrive here; their Debug form is the text itself.
            let mut text = Bounded::default();
            self.0 = fmt::write(&mut text, format_args!("{value:?}")).is_ok()
                && text.as_str() == MESSAGE;
        }
    }
}

/// A small stack buffer that refuses (errors on) anything longer than [`MESSAGE`].
#[derive(Default)]
struct Bounded {
    buf: [u8; MESSAGE.len()],
    len: usize,
}

impl Bounded {
    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
}

impl fmt::Write for Bounded {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        let slot = self.buf.get_mut(self.len..end).ok_or(fmt::Error)?;
        slot.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// A subscriber with only the counter (for unit tests).
#[cfg(test)]
fn test_subscriber() -> impl Subscriber {
    use tracing_subscriber::layer::SubscriberExt as _;
    tracing_subscriber::registry().with(counter())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_only_retransmissions() {
        let before = retransmissions();
        tracing::subscriber::with_default(test_subscriber(), || {
            // The library's own callsites are the real thing; these mimic their shape.
            tracing::debug!(target: "rtpengine_client::transport::udp", attempts = 2, "retransmitted");
            tracing::debug!(target: "rtpengine_client::transport::udp", attempts = 3, "retransmitted");
            tracing::debug!(target: "rtpengine_client::transport::udp", attempts = 3, "deadline passed");
            tracing::debug!(target: "rtpengine_client::transport::udp", attempts = 1, elapsed = 5, "reply received");
            tracing::debug!(target: "other", attempts = 2, "retransmitted");
            tracing::info!(target: "rtpengine_client::transport::udp", attempts = 2, "retransmitted");
        });
        assert_eq!(retransmissions() - before, 2);
    }

    #[test]
    fn bounded_buffer() {
        use std::fmt::Write as _;
        let mut b = Bounded::default();
        assert!(b.write_str("retrans").is_ok());
        assert!(b.write_str("mitted").is_ok());
        assert_eq!(b.as_str(), MESSAGE);
        assert!(b.write_str("x").is_err());
    }
}
