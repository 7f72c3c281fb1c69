//! What a cluster exports through the [`metrics`] facade: nothing is recorded until the
//! application installs an exporter (Prometheus, StatsD, …), and then these series appear. The
//! names and labels are listed once, here, and in [`Cluster`](crate::Cluster)'s documentation.
//!
//! [`CLUSTER_METRICS`] lists every series with its kind, labels and meaning; the recording
//! functions below are the only writers.

use std::time::Duration;

use super::health::Transition;

/// Requests answered or failed, per node, command and outcome.
pub(crate) const REQUESTS: &str = "rtpengine_requests_total";
/// Time from sending a request to its reply, per node and command.
pub(crate) const REQUEST_DURATION: &str = "rtpengine_request_duration_seconds";
/// New calls (and requests naming no call) that moved to the next node.
pub(crate) const FAILOVERS: &str = "rtpengine_failovers_total";
/// Calls whose node went down and that continued on an HA peer.
pub(crate) const CALLS_MOVED: &str = "rtpengine_calls_moved_total";
/// Requests for calls whose node is down, refused at once.
pub(crate) const NODE_DOWN_REJECTIONS: &str = "rtpengine_node_down_rejections_total";
/// Circuit breaker state changes.
pub(crate) const BREAKER_TRANSITIONS: &str = "rtpengine_breaker_transitions_total";
/// 1 while a node's breaker is closed.
pub(crate) const NODE_UP: &str = "rtpengine_node_up";
/// Requests in flight per node.
pub(crate) const IN_FLIGHT: &str = "rtpengine_in_flight";

/// Every series a [`Cluster`](crate::Cluster) records through the `metrics` facade: name, kind,
/// labels, meaning. Nothing is recorded until the application installs an exporter.
pub const CLUSTER_METRICS: &[(&str, &str, &str, &str)] = &[
    (REQUESTS, "counter", "node, command, outcome",
        "requests sent to a node; outcome ok, rtpengine_error, overload, timeout, transport, busy or local"),
    (REQUEST_DURATION, "histogram", "node, command", "seconds from sending a request to its answer"),
    (FAILOVERS, "counter", "from, to, command", "new calls' requests that moved to the next node"),
    (CALLS_MOVED, "counter", "from, to", "calls that continued on an HA peer of their node, which went down"),
    (NODE_DOWN_REJECTIONS, "counter", "node, command", "requests for calls on a down node, refused at once"),
    (BREAKER_TRANSITIONS, "counter", "node, from, to", "circuit breaker changes (closed, open, half-open)"),
    (NODE_UP, "gauge", "node", "1 while the node's breaker is closed, else 0"),
    (IN_FLIGHT, "gauge", "node", "requests in flight on the node"),
];

/// Registers the descriptions of [`CLUSTER_METRICS`] with the installed recorder.
pub(crate) fn describe() {
    for &(name, kind, _, help) in CLUSTER_METRICS {
        match kind {
            "counter" => metrics::describe_counter!(name, help),
            "gauge" => metrics::describe_gauge!(name, help),
            _ => metrics::describe_histogram!(name, metrics::Unit::Seconds, help),
        }
    }
}

/// How a request to one node ended, for [`REQUESTS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Ok,
    RtpengineError,
    Overload,
    Timeout,
    Transport,
    Busy,
    Local,
}

impl Outcome {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::RtpengineError => "rtpengine_error",
            Self::Overload => "overload",
            Self::Timeout => "timeout",
            Self::Transport => "transport",
            Self::Busy => "busy",
            Self::Local => "local",
        }
    }
}

pub(crate) fn request(node: &str, command: &str, outcome: Outcome, elapsed: Duration) {
    metrics::counter!(REQUESTS, "node" => node.to_owned(), "command" => command.to_owned(),
        "outcome" => outcome.as_str())
    .increment(1);
    if matches!(
        outcome,
        Outcome::Ok | Outcome::RtpengineError | Outcome::Overload
    ) {
        metrics::histogram!(REQUEST_DURATION, "node" => node.to_owned(),
            "command" => command.to_owned())
        .record(elapsed.as_secs_f64());
    }
}

pub(crate) fn failover(from: &str, to: &str, command: &str) {
    metrics::counter!(FAILOVERS, "from" => from.to_owned(), "to" => to.to_owned(),
        "command" => command.to_owned())
    .increment(1);
}

pub(crate) fn call_moved(from: &str, to: &str) {
    metrics::counter!(CALLS_MOVED, "from" => from.to_owned(), "to" => to.to_owned()).increment(1);
}

pub(crate) fn node_down_rejection(node: &str, command: &str) {
    metrics::counter!(NODE_DOWN_REJECTIONS, "node" => node.to_owned(),
        "command" => command.to_owned())
    .increment(1);
}

pub(crate) fn breaker(node: &str, t: Transition) {
    metrics::counter!(BREAKER_TRANSITIONS, "node" => node.to_owned(), "from" => t.from.as_str(),
        "to" => t.to.as_str())
    .increment(1);
    node_up(node, t.to == super::health::BreakerState::Closed);
}

pub(crate) fn node_up(node: &str, up: bool) {
    metrics::gauge!(NODE_UP, "node" => node.to_owned()).set(if up { 1.0 } else { 0.0 });
}

pub(crate) fn in_flight(node: &str, n: usize) {
    metrics::gauge!(IN_FLIGHT, "node" => node.to_owned()).set(n as f64);
}
