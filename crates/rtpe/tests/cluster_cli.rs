//! `rtpe` with several `--server`s against real rtpengine daemons: every command goes through
//! the cluster (calls placed by call-id), `rtpe nodes`, `rtpe bench` per node, and
//! `?weight=0`.
//!
//! These tests fail (never skip) when rtpengine is not installed.

mod common;

use std::process::Output;

use common::{assert_exit, rtpe_cmd, stderr, stdout};
use rtpengine_testkit::rtp::sdp_audio;
use rtpengine_testkit::Rtpengine;
use serde_json::Value;

/// Starts `n` daemons (the kit's message when rtpengine is missing).
fn daemons(n: usize) -> Vec<Rtpengine> {
    Rtpengine::builder()
        .start_many(n)
        .unwrap_or_else(|e| panic!("cannot start rtpengine: {e}"))
}

/// Runs `rtpe --server S1 --server S2 … ARGS…`.
fn run(servers: &[&str], args: &[&str]) -> Output {
    let mut cmd = rtpe_cmd();
    for server in servers {
        cmd.arg("--server").arg(server);
    }
    cmd.args(args).output().expect("run rtpe")
}

/// The calls one daemon knows (`rtpe --server URL list`).
fn list(rtpe: &Rtpengine) -> Vec<String> {
    let out = run(&[&rtpe.udp_url()], &["list", "--limit", "1000"]);
    assert_exit(&out, 0);
    stdout(&out).lines().map(str::to_owned).collect()
}

/// Offers `call_id` through the cluster of `servers`.
fn offer(servers: &[&str], call_id: &str) {
    let sdp = sdp_audio("127.0.0.1", 40_000, 1);
    let out = run(
        servers,
        &[
            "offer",
            "--call-id",
            call_id,
            "--from-tag",
            "caller",
            "--sdp",
            &sdp,
        ],
    );
    assert_exit(&out, 0);
    assert!(stdout(&out).starts_with("v=0"), "{}", stdout(&out));
}

/// Call-ids unique to this test run.
fn call_ids(prefix: &str, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| format!("{prefix}-{}-{i}", std::process::id()))
        .collect()
}

#[test]
fn calls_spread_over_the_nodes_and_follow_them() {
    let nodes = daemons(2);
    let (a, b) = (nodes[0].udp_url(), nodes[1].udp_url());
    let servers = [a.as_str(), b.as_str()];
    let calls = call_ids("spread", 20);
    for call in &calls {
        offer(&servers, call);
    }
    let (on_a, on_b) = (list(&nodes[0]), list(&nodes[1]));
    assert!(
        !on_a.is_empty() && !on_b.is_empty(),
        "20 calls all on one node: {on_a:?} {on_b:?}"
    );
    let mut all: Vec<String> = on_a.iter().chain(&on_b).cloned().collect();
    all.sort();
    let mut expected = calls.clone();
    expected.sort();
    assert_eq!(all, expected, "each call on exactly one node");

    // `list` through the cluster joins the nodes' lists.
    let out = run(&servers, &["list", "--limit", "1000"]);
    assert_exit(&out, 0);
    let mut joined: Vec<String> = stdout(&out).lines().map(str::to_owned).collect();
    joined.sort();
    assert_eq!(joined, expected);

    // A later process finds each call on its node (same placement) and deletes it there.
    for call in &calls {
        let out = run(&servers, &["delete", "--call-id", call]);
        assert_exit(&out, 0);
        assert!(!stderr(&out).contains("warning"), "{}", stderr(&out));
    }
    assert!(list(&nodes[0]).is_empty());
    assert!(list(&nodes[1]).is_empty());

    // Commands about one daemon say so.
    for command in ["statistics", "version"] {
        let out = run(&servers, &[command]);
        assert_exit(&out, 2);
        assert!(
            stderr(&out).contains("talks to one rtpengine"),
            "{}",
            stderr(&out)
        );
    }
}

#[test]
fn weight_zero_keeps_a_node_out_of_placement() {
    let nodes = daemons(2);
    let backup = format!("{}?weight=0", nodes[1].udp_url());
    let servers = [nodes[0].udp_url(), backup];
    let servers: Vec<&str> = servers.iter().map(String::as_str).collect();
    let calls = call_ids("weight", 10);
    for call in &calls {
        offer(&servers, call);
    }
    assert_eq!(list(&nodes[0]).len(), 10);
    assert!(list(&nodes[1]).is_empty());
    for call in &calls {
        assert_exit(&run(&servers, &["delete", "--call-id", call]), 0);
    }
    assert!(list(&nodes[0]).is_empty());
}

#[test]
fn nodes_shows_health_and_version() {
    let mut nodes = daemons(2);
    let (a, b) = (
        nodes[0].udp_url(),
        format!("{}?weight=2&tier=1", nodes[1].udp_url()),
    );
    let servers = [a.as_str(), b.as_str()];

    let out = run(&servers, &["nodes"]);
    assert_exit(&out, 0);
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        lines[1].starts_with(&a) && lines[1].contains(" up "),
        "{text}"
    );
    assert!(
        lines[2].contains(" up ") && lines[2].contains("  2  "),
        "{text}"
    );

    nodes[1].kill().expect("kill");
    let out = run(&servers, &["--timeout", "1000", "nodes"]);
    assert_exit(&out, 3);
    let text = stdout(&out);
    assert!(text.lines().nth(1).unwrap().contains(" up "), "{text}");
    assert!(text.lines().nth(2).unwrap().contains(" down "), "{text}");
    assert!(stderr(&out).contains("did not answer"), "{}", stderr(&out));

    let out = run(&servers, &["--timeout", "1000", "nodes", "--json"]);
    assert_exit(&out, 3);
    let v: Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    let list = v.as_array().expect("an array");
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["url"], a.as_str());
    assert_eq!(list[0]["health"], "up");
    assert_eq!(list[0]["weight"], 1);
    assert!(
        list[0]["version"].as_str().is_some_and(|v| v.starts_with(
            &nodes[0]
                .version_numbers()
                .map_or(String::new(), |(x, y, _, _)| format!("{x}.{y}"))
        )),
        "{v}"
    );
    assert!(list[0]["latency_ms"].as_f64().is_some(), "{v}");
    assert_eq!(list[1]["health"], "down");
    assert_eq!(list[1]["weight"], 2);
    assert_eq!(list[1]["tier"], 1);
    assert!(list[1]["version"].is_null());
    assert!(list[1]["latency_ms"].is_null());
}

#[test]
fn bench_reports_each_node() {
    let nodes = daemons(2);
    let servers = [nodes[0].udp_url(), nodes[1].udp_url()];
    let servers: Vec<&str> = servers.iter().map(String::as_str).collect();
    for scenario in ["call", "ping"] {
        let out = run(
            &servers,
            &["bench", scenario, "--count", "40", "-c", "4", "--json"],
        );
        assert_exit(&out, 0);
        let v: Value = serde_json::from_str(&stdout(&out)).expect("JSON report");
        let total = v["requests"].as_u64().unwrap();
        assert_eq!(v["ok"].as_u64(), Some(total), "{v}");
        let per_node = v["nodes"].as_object().expect("nodes");
        assert_eq!(per_node.len(), 2, "{v}");
        let mut sum = 0;
        for server in &servers {
            let n = &per_node[*server];
            let requests = n["requests"].as_u64().unwrap();
            assert!(requests > 0, "{scenario}: {server} got nothing: {v}");
            assert_eq!(n["ok"].as_u64(), Some(requests), "{v}");
            assert_eq!(n["errors"].as_u64(), Some(0), "{v}");
            sum += requests;
        }
        assert_eq!(sum, total, "{v}");
    }
    assert!(list(&nodes[0]).is_empty());
    assert!(list(&nodes[1]).is_empty());

    // The text report has a line per node.
    let out = run(&servers, &["bench", "ping", "--count", "10"]);
    assert_exit(&out, 0);
    let text = stdout(&out);
    for server in &servers {
        assert!(
            text.lines()
                .any(|l| l.starts_with("node") && l.contains(server)),
            "{text}"
        );
    }
}
