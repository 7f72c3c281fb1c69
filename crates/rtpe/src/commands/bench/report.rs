//! What a benchmark measured, and its text and JSON reports.

use std::fmt::Write as _;
use std::time::Duration;

use hdrhistogram::Histogram;
use rtpengine_client::Error;
use serde_json::{json, Map, Value};

/// Latencies are recorded in microseconds from 1 µs to an hour, with 3 significant digits.
const HIGHEST_US: u64 = 3_600_000_000;

/// How many distinct error messages are kept as examples.
const MAX_SAMPLES: usize = 5;

/// A latency histogram in microseconds.
pub(crate) fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, HIGHEST_US, 3).expect("valid histogram bounds")
}

/// Records a duration into a histogram (clamped to its range).
fn record(h: &mut Histogram<u64>, d: Duration) {
    let us = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
    h.saturating_record(us.clamp(1, HIGHEST_US));
}

/// Why a request failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ErrorKind {
    /// No reply within `--timeout`.
    Timeout,
    /// rtpengine answered `result: error` or `load limit`.
    Rtpengine,
    /// Anything else (I/O, malformed reply, …).
    Other,
}

impl ErrorKind {
    /// The kind of a library error.
    pub(crate) fn of(err: &Error) -> Self {
        match err {
            Error::Timeout { .. } => Self::Timeout,
            Error::Rtpengine { .. } | Error::LoadLimit { .. } => Self::Rtpengine,
            _ => Self::Other,
        }
    }
}

/// Failed requests by kind.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ErrorCounts {
    /// No reply within the deadline.
    pub(crate) timeout: u64,
    /// Error replies.
    pub(crate) rtpengine: u64,
    /// Anything else.
    pub(crate) other: u64,
}

impl ErrorCounts {
    fn total(&self) -> u64 {
        self.timeout + self.rtpengine + self.other
    }

    fn add(&mut self, kind: ErrorKind) {
        match kind {
            ErrorKind::Timeout => self.timeout += 1,
            ErrorKind::Rtpengine => self.rtpengine += 1,
            ErrorKind::Other => self.other += 1,
        }
    }
}

/// The requests of one NG command.
#[derive(Debug, Clone)]
pub(crate) struct CommandStats {
    /// Requests sent.
    pub(crate) requests: u64,
    /// Requests answered without error.
    pub(crate) ok: u64,
    /// Latency of the requests that got a reply (µs).
    pub(crate) latency: Histogram<u64>,
}

/// Calls of the `call` scenario.
#[derive(Debug, Clone)]
pub(crate) struct CallTotals {
    /// Calls started (offer sent).
    pub(crate) started: u64,
    /// Calls whose requests (and media, with `--media`) all succeeded.
    pub(crate) completed: u64,
    /// NG time of each completed call: offer + answer + delete latencies (µs).
    pub(crate) latency: Histogram<u64>,
}

/// RTP sent through the calls (`--media`).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct MediaTotals {
    /// RTP packets sent (both directions).
    pub(crate) sent: u64,
    /// RTP packets received back through rtpengine.
    pub(crate) received: u64,
    /// Calls in which not every packet arrived in time.
    pub(crate) failed_calls: u64,
}

/// Everything measured, shared by the workers (behind a mutex).
#[derive(Debug, Clone)]
pub(crate) struct Stats {
    /// Requests sent.
    pub(crate) requests: u64,
    /// Requests answered without error.
    pub(crate) ok: u64,
    /// Failed requests by kind.
    pub(crate) errors: ErrorCounts,
    /// Latency of every request that got a reply, error replies included (µs).
    pub(crate) latency: Histogram<u64>,
    /// Per command, in first-use order.
    pub(crate) commands: Vec<(&'static str, CommandStats)>,
    /// The `call` scenario's calls.
    pub(crate) calls: CallTotals,
    /// `--media`.
    pub(crate) media: MediaTotals,
    /// The first distinct error messages.
    pub(crate) samples: Vec<String>,
}

impl Default for Stats {
    fn default() -> Self {
        Self {
            requests: 0,
            ok: 0,
            errors: ErrorCounts::default(),
            latency: histogram(),
            commands: Vec::new(),
            calls: CallTotals {
                started: 0,
                completed: 0,
                latency: histogram(),
            },
            media: MediaTotals::default(),
            samples: Vec::new(),
        }
    }
}

impl Stats {
    /// Records one request: its command, how long it took and how it ended.
    pub(crate) fn request(
        &mut self,
        command: &'static str,
        took: Duration,
        result: Result<(), &Error>,
    ) {
        self.requests += 1;
        let index = match self.commands.iter().position(|(c, _)| *c == command) {
            Some(i) => i,
            None => {
                self.commands.push((
                    command,
                    CommandStats {
                        requests: 0,
                        ok: 0,
                        latency: histogram(),
                    },
                ));
                self.commands.len() - 1
            }
        };
        let answered = match result {
            Ok(()) => {
                self.ok += 1;
                self.commands[index].1.ok += 1;
                true
            }
            Err(err) => {
                let kind = ErrorKind::of(err);
                self.errors.add(kind);
                self.sample(format!("{command}: {err}"));
                kind == ErrorKind::Rtpengine
            }
        };
        let per_command = &mut self.commands[index].1;
        per_command.requests += 1;
        // A timeout's "latency" would only be the deadline: only answered requests count.
        if answered {
            record(&mut self.latency, took);
            record(&mut per_command.latency, took);
        }
    }

    /// Keeps an error message as an example (the first few distinct ones).
    pub(crate) fn sample(&mut self, message: String) {
        if self.samples.len() < MAX_SAMPLES && !self.samples.contains(&message) {
            self.samples.push(message);
        }
    }

    /// Records a completed call's NG time.
    pub(crate) fn call_completed(&mut self, ng_time: Duration) {
        self.calls.completed += 1;
        record(&mut self.calls.latency, ng_time);
    }
}

/// What one node of a cluster did during the run (requests the cluster sent it, failovers
/// included, health pings not).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NodeCount {
    /// The node's URL (canonical, without the query).
    pub(crate) url: String,
    /// Requests sent to it.
    pub(crate) requests: u64,
    /// Of those, answered `ok`.
    pub(crate) ok: u64,
    /// Of those, failed.
    pub(crate) errors: u64,
}

/// The run as a whole.
#[derive(Debug)]
pub(crate) struct Report {
    /// `ping`, `call` or `query`.
    pub(crate) scenario: &'static str,
    /// The servers, as given (several: the nodes of the cluster).
    pub(crate) servers: Vec<String>,
    /// Operations in flight at most.
    pub(crate) concurrency: usize,
    /// `--rate`, if given.
    pub(crate) rate: Option<f64>,
    /// Whether `--media` was given.
    pub(crate) media: bool,
    /// Calls created before the `query` scenario.
    pub(crate) setup_calls: Option<usize>,
    /// From the first request to the last reply.
    pub(crate) elapsed: Duration,
    /// UDP retransmissions during the run.
    pub(crate) retransmissions: u64,
    /// Whether Ctrl-C ended the run early.
    pub(crate) interrupted: bool,
    /// Per node of a cluster (empty with one server).
    pub(crate) nodes: Vec<NodeCount>,
    /// The measurements.
    pub(crate) stats: Stats,
}

/// The percentiles the reports show.
const PERCENTILES: [(&str, &str, f64); 4] = [
    ("p50", "p50", 50.0),
    ("p90", "p90", 90.0),
    ("p99", "p99", 99.0),
    ("p999", "p99.9", 99.9),
];

/// The percentiles of a histogram as a JSON object (integers, µs; all 0 when empty).
fn latency_json(h: &Histogram<u64>) -> Value {
    let mut map = Map::new();
    for (key, _, q) in PERCENTILES {
        map.insert(key.to_owned(), json!(quantile(h, q)));
    }
    map.insert("max".to_owned(), json!(h.max()));
    map.insert(
        "min".to_owned(),
        json!(if h.is_empty() { 0 } else { h.min() }),
    );
    map.insert("mean".to_owned(), json!(h.mean().round() as u64));
    map.insert("count".to_owned(), json!(h.len()));
    Value::Object(map)
}

/// The value at percentile `q` (0 for an empty histogram).
fn quantile(h: &Histogram<u64>, q: f64) -> u64 {
    if h.is_empty() {
        0
    } else {
        h.value_at_percentile(q)
    }
}

/// `p50 120  p90 180  p99 400  p99.9 900  max 1200` (µs).
fn latency_text(h: &Histogram<u64>) -> String {
    if h.is_empty() {
        return "none".to_owned();
    }
    let mut s = String::new();
    for (_, label, q) in PERCENTILES {
        let _ = write!(s, "{label} {}  ", quantile(h, q));
    }
    let _ = write!(s, "max {}", h.max());
    s
}

/// `x` per second of `elapsed` (0 for no time at all).
fn per_second(x: u64, elapsed: Duration) -> f64 {
    let secs = elapsed.as_secs_f64();
    if secs > 0.0 {
        x as f64 / secs
    } else {
        0.0
    }
}

/// Rounds to 6 decimals (µs, for seconds) for JSON.
fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// Rounds to 3 decimals for JSON.
fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

impl Report {
    /// The human-readable report.
    pub(crate) fn text(&self) -> String {
        let s = &self.stats;
        let mut out = String::new();
        let servers = match self.servers.as_slice() {
            [one] => one.clone(),
            many => format!("{} servers ({})", many.len(), many.join(", ")),
        };
        let what = match (self.scenario, self.media) {
            ("call", true) => "call (offer, answer, RTP both ways, delete)",
            ("call", false) => "call (offer, answer, delete)",
            (other, _) => other,
        };
        let _ = writeln!(out, "scenario         {what} against {servers}");
        let mut shape = format!("concurrency {}", self.concurrency);
        if let Some(rate) = self.rate {
            let _ = write!(shape, ", target rate {rate}/s");
        }
        if let Some(k) = self.setup_calls {
            let _ = write!(shape, ", {k} calls queried round-robin");
        }
        if self.interrupted {
            shape.push_str(", interrupted");
        }
        let _ = writeln!(out, "                 {shape}");
        let _ = writeln!(out, "seconds          {:.3}", self.elapsed.as_secs_f64());
        let _ = writeln!(
            out,
            "requests         {} (ok {}, errors {})",
            s.requests,
            s.ok,
            s.errors.total()
        );
        let _ = writeln!(
            out,
            "throughput       {:.1} requests/s",
            per_second(s.requests, self.elapsed)
        );
        let _ = writeln!(out, "latency µs       {}", latency_text(&s.latency));
        if s.commands.len() > 1 {
            for (command, c) in &s.commands {
                let _ = writeln!(out, "  {command:<14} {}", latency_text(&c.latency));
            }
        }
        if self.scenario == "call" {
            let _ = writeln!(
                out,
                "calls            {} (completed {}, failed {}), {:.1} calls/s",
                s.calls.started,
                s.calls.completed,
                s.calls.started - s.calls.completed,
                per_second(s.calls.started, self.elapsed)
            );
            let _ = writeln!(
                out,
                "call latency µs  {} (offer + answer + delete)",
                latency_text(&s.calls.latency)
            );
        }
        if self.media {
            let _ = writeln!(
                out,
                "media            RTP packets sent {}, received {}; calls with missing packets {}",
                s.media.sent, s.media.received, s.media.failed_calls
            );
        }
        let _ = writeln!(
            out,
            "errors           timeout {}, rtpengine {}, other {}",
            s.errors.timeout, s.errors.rtpengine, s.errors.other
        );
        let _ = writeln!(out, "retransmissions  {}", self.retransmissions);
        for node in &self.nodes {
            let _ = writeln!(
                out,
                "node             {} requests {} (ok {}, errors {})",
                node.url, node.requests, node.ok, node.errors
            );
        }
        out
    }

    /// The JSON report (one object).
    pub(crate) fn json(&self) -> Value {
        let s = &self.stats;
        let mut map = Map::new();
        map.insert("scenario".into(), json!(self.scenario));
        map.insert("servers".into(), json!(self.servers));
        map.insert("concurrency".into(), json!(self.concurrency));
        map.insert("rate".into(), json!(self.rate));
        map.insert("interrupted".into(), json!(self.interrupted));
        map.insert("seconds".into(), json!(round6(self.elapsed.as_secs_f64())));
        map.insert("requests".into(), json!(s.requests));
        map.insert("ok".into(), json!(s.ok));
        map.insert("errors".into(), json!(s.errors.total()));
        map.insert(
            "error_kinds".into(),
            json!({
                "timeout": s.errors.timeout,
                "rtpengine": s.errors.rtpengine,
                "other": s.errors.other,
            }),
        );
        map.insert("retransmissions".into(), json!(self.retransmissions));
        map.insert(
            "per_second".into(),
            json!(round3(per_second(s.requests, self.elapsed))),
        );
        map.insert("latency_us".into(), latency_json(&s.latency));
        let mut commands = Map::new();
        for (command, c) in &s.commands {
            commands.insert(
                (*command).to_owned(),
                json!({
                    "requests": c.requests,
                    "ok": c.ok,
                    "errors": c.requests - c.ok,
                    "latency_us": latency_json(&c.latency),
                }),
            );
        }
        map.insert("commands".into(), Value::Object(commands));
        if self.scenario == "call" {
            map.insert(
                "calls".into(),
                json!({
                    "started": s.calls.started,
                    "completed": s.calls.completed,
                    "failed": s.calls.started - s.calls.completed,
                    "per_second": round3(per_second(s.calls.started, self.elapsed)),
                    "latency_us": latency_json(&s.calls.latency),
                }),
            );
        }
        if let Some(k) = self.setup_calls {
            map.insert("setup_calls".into(), json!(k));
        }
        if self.media {
            map.insert(
                "media".into(),
                json!({
                    "packets_sent": s.media.sent,
                    "packets_received": s.media.received,
                    "failed_calls": s.media.failed_calls,
                }),
            );
        }
        if !self.nodes.is_empty() {
            let nodes: Map<String, Value> = self
                .nodes
                .iter()
                .map(|n| {
                    (
                        n.url.clone(),
                        json!({"requests": n.requests, "ok": n.ok, "errors": n.errors}),
                    )
                })
                .collect();
            map.insert("nodes".into(), Value::Object(nodes));
        }
        map.insert("error_samples".into(), json!(s.samples));
        Value::Object(map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(stats: Stats) -> Report {
        Report {
            scenario: "call",
            servers: vec!["udp://127.0.0.1:2223".into()],
            concurrency: 4,
            rate: None,
            media: false,
            setup_calls: None,
            elapsed: Duration::from_secs(2),
            retransmissions: 3,
            interrupted: false,
            nodes: Vec::new(),
            stats,
        }
    }

    #[test]
    fn counts_and_percentiles() {
        let mut s = Stats::default();
        for us in 1..=1000u64 {
            s.request("offer", Duration::from_micros(us), Ok(()));
        }
        let timeout = Error::Timeout {
            server: "x".into(),
            command: "delete".into(),
            attempts: 1,
            deadline: Duration::from_millis(200),
        };
        s.request("delete", Duration::from_millis(200), Err(&timeout));
        s.request(
            "delete",
            Duration::from_micros(7),
            Err(&Error::Rtpengine {
                reason: "Unknown call-id".into(),
            }),
        );
        s.calls.started = 3;
        s.call_completed(Duration::from_micros(300));
        let v = report(s).json();
        assert_eq!(v["requests"], 1002);
        assert_eq!(v["ok"], 1000);
        assert_eq!(v["errors"], 2);
        assert_eq!(v["error_kinds"]["timeout"], 1);
        assert_eq!(v["error_kinds"]["rtpengine"], 1);
        assert_eq!(v["retransmissions"], 3);
        assert_eq!(v["per_second"], 501.0);
        // The timeout is not a latency; the error reply is.
        assert_eq!(v["latency_us"]["count"], 1001);
        let p50 = v["latency_us"]["p50"].as_u64().unwrap();
        assert!((495..=505).contains(&p50), "{p50}");
        assert_eq!(v["latency_us"]["max"], 1000);
        assert_eq!(v["commands"]["delete"]["errors"], 2);
        assert_eq!(v["calls"]["failed"], 2);
        assert_eq!(v["calls"]["latency_us"]["max"], 300);
        assert_eq!(v["error_samples"].as_array().unwrap().len(), 2);
        let text = report(Stats::default()).text();
        assert!(text.contains("latency µs       none"), "{text}");
    }
}
