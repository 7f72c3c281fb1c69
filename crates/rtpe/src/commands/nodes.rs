//! `rtpe nodes`: pings every `--server` and prints each node's URL, weight, tier, health,
//! version and latency.

use std::fmt::Write as _;
use std::time::Duration;

use rtpengine_client::{Client, NgCommands};
use serde_json::{json, Value};
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::common::global::block_on;
use crate::common::outcome::EXIT_TIMEOUT;
use crate::common::{Failure, GlobalArgs, Output, EXIT_OTHER};

/// What one node answered.
#[derive(Debug, Clone, PartialEq)]
struct NodeReport {
    /// The node's URL (canonical, without the query).
    url: String,
    /// Its share of new calls in its tier.
    weight: u32,
    /// Its priority tier.
    tier: u32,
    /// The ping's round trip, when it answered.
    latency: Option<Duration>,
    /// The release it runs, when discovery succeeded within the deadline.
    version: Option<String>,
    /// Why the ping (or the version discovery) failed.
    error: Option<String>,
}

impl NodeReport {
    /// Whether the node answered the ping.
    fn up(&self) -> bool {
        self.latency.is_some()
    }

    /// The JSON object of this node.
    fn json(&self) -> Value {
        json!({
            "url": self.url,
            "weight": self.weight,
            "tier": self.tier,
            "health": if self.up() { "up" } else { "down" },
            "version": self.version,
            "latency_ms": self.latency.map(|l| (l.as_secs_f64() * 1e6).round() / 1e3),
            "error": self.error,
        })
    }
}

/// `nodes`: pings every node at once (each within `--timeout`), then asks each live one its
/// release (within its own `--timeout`). Exits 0 when every node answered, 3 otherwise (the
/// table is printed either way).
pub(crate) fn run(g: &GlobalArgs) -> Result<Output, Failure> {
    block_on(async {
        let cluster = g.cluster().await?;
        let deadline = Duration::from_millis(g.timeout);
        let mut probes = JoinSet::new();
        for (i, node) in cluster.nodes().into_iter().enumerate() {
            let client = cluster.node_client(&node.url).map_err(|e| g.failure(e))?;
            let mut report = NodeReport {
                url: node.url,
                weight: node.weight,
                tier: node.tier,
                latency: None,
                version: None,
                error: None,
            };
            let timeout_ms = g.timeout;
            probes.spawn(async move {
                probe(&mut report, client, deadline, timeout_ms).await;
                (i, report)
            });
        }
        let mut reports = Vec::new();
        while let Some(joined) = probes.join_next().await {
            let (i, report) = joined
                .map_err(|e| Failure::new(EXIT_OTHER, format!("a node's probe failed: {e}")))?;
            reports.push((i, report));
        }
        reports.sort_by_key(|(i, _)| *i);
        let reports: Vec<NodeReport> = reports.into_iter().map(|(_, r)| r).collect();
        let stdout = if g.json {
            let mut line = Value::Array(reports.iter().map(NodeReport::json).collect()).to_string();
            line.push('\n');
            line.into_bytes()
        } else {
            table(&reports).into_bytes()
        };
        let mut warnings: Vec<String> = reports
            .iter()
            .filter_map(|r| r.error.as_ref().map(|e| format!("{}: {e}", r.url)))
            .collect();
        let down: Vec<&str> = reports
            .iter()
            .filter(|r| !r.up())
            .map(|r| r.url.as_str())
            .collect();
        if down.is_empty() {
            return Ok(Output {
                stdout,
                warnings,
                ..Output::default()
            });
        }
        let mut failure = Failure::new(
            EXIT_TIMEOUT,
            format!(
                "{} of {} nodes did not answer: {}",
                down.len(),
                reports.len(),
                down.join(", ")
            ),
        );
        failure.stdout = stdout;
        failure.warnings.append(&mut warnings);
        Err(failure)
    })
}

/// Pings one node within `deadline`, then discovers its version within another `deadline`.
async fn probe(report: &mut NodeReport, client: Client, deadline: Duration, timeout_ms: u64) {
    let client = client.with_timeout(deadline);
    let start = Instant::now();
    match tokio::time::timeout(deadline, client.ping()).await {
        Ok(Ok(())) => report.latency = Some(start.elapsed()),
        Ok(Err(e)) => {
            report.error = Some(Failure::from_client(e, timeout_ms).message);
            return;
        }
        Err(_) => {
            report.error = Some(format!("no reply to ping within {timeout_ms} ms"));
            return;
        }
    }
    // Old daemons need a throw-away publish (and a cli round first): its own deadline.
    match tokio::time::timeout(deadline, client.discover_version()).await {
        Ok(Ok(version)) => report.version = Some(version.to_string()),
        Ok(Err(e)) => {
            report.error = Some(format!(
                "version unknown: {}",
                Failure::from_client(e, timeout_ms).message
            ));
        }
        Err(_) => {
            report.error = Some(format!("version unknown: no answer within {timeout_ms} ms"));
        }
    }
}

/// The text table: a header and one row per node.
fn table(reports: &[NodeReport]) -> String {
    let width = reports
        .iter()
        .map(|r| r.url.len())
        .max()
        .unwrap_or(0)
        .max("URL".len());
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<width$}  WEIGHT  TIER  HEALTH  {:<12}  LATENCY",
        "URL", "VERSION"
    );
    for r in reports {
        let latency = r.latency.map_or_else(
            || "-".to_owned(),
            |l| format!("{:.3} ms", l.as_secs_f64() * 1e3),
        );
        let _ = writeln!(
            out,
            "{:<width$}  {:>6}  {:>4}  {:<6}  {:<12}  {latency}",
            r.url,
            r.weight,
            r.tier,
            if r.up() { "up" } else { "down" },
            r.version.as_deref().unwrap_or("-"),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_and_json() {
        let up = NodeReport {
            url: "udp://127.0.0.1:2223".into(),
            weight: 2,
            tier: 0,
            latency: Some(Duration::from_micros(1500)),
            version: Some("10.5.3.5".into()),
            error: None,
        };
        let down = NodeReport {
            url: "udp://127.0.0.1:2224".into(),
            weight: 1,
            tier: 1,
            latency: None,
            version: None,
            error: Some("timed out".into()),
        };
        let text = table(&[up.clone(), down.clone()]);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("URL "), "{text}");
        assert!(
            lines[1].contains(" up ") && lines[1].contains("10.5.3.5"),
            "{text}"
        );
        assert!(lines[1].ends_with("1.500 ms"), "{text}");
        assert!(
            lines[2].contains(" down ") && lines[2].ends_with(" -"),
            "{text}"
        );
        assert_eq!(up.json()["health"], "up");
        assert_eq!(up.json()["latency_ms"], 1.5);
        assert_eq!(down.json()["health"], "down");
        assert!(down.json()["version"].is_null());
    }
}
