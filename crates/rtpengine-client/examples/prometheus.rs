//! A [`Cluster`]'s metrics in Prometheus: installs `metrics-exporter-prometheus` with its HTTP
//! listener, sends a few pings, offers and deletes through a cluster, then scrapes its own
//! `/metrics` endpoint and prints the `rtpengine_*` series (the list is in
//! [`CLUSTER_METRICS`]).
//!
//! ```text
//! cargo run -p rtpengine-client --example prometheus -- [URL ...]
//! ```
//!
//! * `URL`: the cluster's nodes (default `udp://127.0.0.1:2223`), each with optional
//!   `?weight=N&tier=N`.
//! * `METRICS_ADDR`: where the exporter listens (default `127.0.0.1:9898`); Prometheus scrapes
//!   `http://METRICS_ADDR/metrics`. Set `HOLD_SECS=N` to keep the endpoint up N seconds after
//!   the run, for a `curl` or a real Prometheus.
//!
//! Against test daemons: start two rtpengines by hand with distinct ports, e.g.
//!
//! ```text
//! rtpengine --foreground --no-fallback --table=-1 --log-stderr --interface=127.0.0.1 \
//!     --listen-ng=127.0.0.1:22230 --listen-cli=127.0.0.1:22231 \
//!     --port-min=30000 --port-max=30199 --config-file=none &
//! rtpengine --foreground --no-fallback --table=-1 --log-stderr --interface=127.0.0.1 \
//!     --listen-ng=127.0.0.1:22240 --listen-cli=127.0.0.1:22241 \
//!     --port-min=30200 --port-max=30399 --config-file=none &
//! cargo run -p rtpengine-client --example prometheus -- \
//!     udp://127.0.0.1:22230 udp://127.0.0.1:22240
//! ```
//!
//! (`rtpengine_testkit::Rtpengine` starts the same daemons from a test.) Kill one daemon
//! before a run to see `rtpengine_node_up` drop to 0 and the failovers counted.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};
use rtpengine_client::{Cluster, DeleteOptions, NgCommands, OfferOptions, CLUSTER_METRICS};

/// Latency buckets for `rtpengine_request_duration_seconds` (else the exporter renders a
/// summary).
const BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr: SocketAddr = std::env::var("METRICS_ADDR")
        .unwrap_or_else(|_| "127.0.0.1:9898".into())
        .parse()?;
    let mut urls: Vec<String> = std::env::args().skip(1).collect();
    if urls.is_empty() {
        urls.push("udp://127.0.0.1:2223".into());
    }

    // The exporter: the global recorder plus the HTTP listener serving /metrics.
    let (recorder, exporter) = PrometheusBuilder::new()
        .with_http_listener(addr)
        .set_buckets_for_metric(
            Matcher::Full("rtpengine_request_duration_seconds".into()),
            BUCKETS,
        )?
        .build()?;
    let handle = recorder.handle();
    metrics::set_global_recorder(recorder)?;
    tokio::spawn(exporter);

    // The cluster registers its metric descriptions when built, so build it after the
    // recorder is installed.
    let cluster = Cluster::builder()
        .nodes(urls.iter().cloned())
        .timeout(Duration::from_secs(2))
        .build()
        .await?;
    println!("cluster of {} node(s): {}", urls.len(), urls.join(" "));

    for _ in 0..3 {
        match cluster.ping().await {
            Ok(()) => println!("ping: pong"),
            Err(e) => println!("ping: {e}"),
        }
    }
    let sdp = "v=0\r\no=- 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n\
               m=audio 40000 RTP/AVP 0\r\n";
    for i in 0..10 {
        let call_id = format!("prometheus-example-{}-{i}", std::process::id());
        match cluster
            .offer(sdp, &call_id, "tag-a", &OfferOptions::new())
            .await
        {
            Ok(_) => {
                let node = cluster
                    .route_of(&call_id)
                    .map(|r| r.url)
                    .unwrap_or_default();
                println!("offer {call_id}: ok on {node}");
                if let Err(e) = cluster
                    .delete(&call_id, "tag-a", &DeleteOptions::new())
                    .await
                {
                    println!("delete {call_id}: {e}");
                }
            }
            Err(e) => println!("offer {call_id}: {e}"),
        }
    }
    for node in cluster.nodes() {
        println!(
            "node {}: breaker {}, latency {:?}, {} requests ({} ok, {} errors)",
            node.url, node.breaker, node.latency, node.requests, node.ok, node.errors
        );
    }

    // Scrape the endpoint as Prometheus would (the handle's render() gives the same text).
    let text = match scrape(addr) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("scraping http://{addr}/metrics failed ({e}); rendering directly");
            handle.render()
        }
    };
    println!("\n# GET http://{addr}/metrics (rtpengine_* lines)");
    for line in text.lines().filter(|l| l.contains("rtpengine_")) {
        println!("{line}");
    }
    let missing: Vec<&str> = CLUSTER_METRICS
        .iter()
        .map(|m| m.0)
        .filter(|name| !text.contains(name))
        .collect();
    if !missing.is_empty() {
        println!("# not recorded in this run: {}", missing.join(", "));
    }

    if let Some(secs) = std::env::var("HOLD_SECS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
    {
        println!("# serving http://{addr}/metrics for {secs} s");
        tokio::time::sleep(Duration::from_secs(secs)).await;
    }
    Ok(())
}

/// A plain HTTP/1.0 GET of `/metrics`: the body.
fn scrape(addr: SocketAddr) -> std::io::Result<String> {
    let mut last = None;
    // The listener task may not have bound yet on the first try.
    for _ in 0..20 {
        match TcpStream::connect_timeout(&addr, Duration::from_secs(1)) {
            Ok(mut stream) => {
                stream.set_read_timeout(Some(Duration::from_secs(5)))?;
                write!(
                    stream,
                    "GET /metrics HTTP/1.0\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
                )?;
                let mut response = String::new();
                stream.read_to_string(&mut response)?;
                let body = response
                    .split_once("\r\n\r\n")
                    .map_or(response.as_str(), |(_, b)| b);
                return Ok(body.to_owned());
            }
            Err(e) => last = Some(e),
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no attempt")))
}
