//! End-to-end tests of `rtpe bench` against real rtpengine daemons (and, for retransmissions
//! and timeouts, against fake servers).
//!
//! These tests fail (never skip) when rtpengine is not installed.

mod common;

use std::net::UdpSocket;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{daemon, rtpe_cmd};
use rtpengine_testkit::{FakeAction, FakeNg, Rtpengine};
use serde_json::Value;

/// Runs `rtpe --server S1 [--server S2…] ARGS…`.
fn run(servers: &[&str], args: &[&str]) -> Output {
    let mut cmd = rtpe_cmd();
    for server in servers {
        cmd.arg("--server").arg(server);
    }
    cmd.args(args).output().expect("run rtpe")
}

/// Runs a bench that must succeed (exit 0) and returns its JSON report.
fn bench_json(servers: &[&str], args: &[&str]) -> Value {
    let mut all = vec!["bench"];
    all.extend_from_slice(args);
    all.push("--json");
    let out = run(servers, &all);
    assert!(
        out.status.success(),
        "rtpe {all:?} failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("UTF-8 report");
    assert_eq!(text.lines().count(), 1, "one JSON line: {text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

fn u(v: &Value, key: &str) -> u64 {
    v[key]
        .as_u64()
        .unwrap_or_else(|| panic!("{key} is not an integer in {v}"))
}

/// The latency percentiles are integers in order.
fn assert_percentiles(latency: &Value) {
    let p: Vec<u64> = ["p50", "p90", "p99", "p999", "max"]
        .iter()
        .map(|k| u(latency, k))
        .collect();
    assert!(p.windows(2).all(|w| w[0] <= w[1]), "unordered: {latency}");
    assert!(p[0] > 0, "a real request takes at least 1 µs: {latency}");
}

/// The calls the daemon knows.
fn list(rtpe: &Rtpengine) -> Vec<String> {
    let out = run(&[&rtpe.udp_url()], &["list", "--limit", "1000"]);
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

/// `Received command 'NAME'` lines in the daemon's log.
fn received(rtpe: &Rtpengine, command: &str) -> usize {
    rtpe.log_count(&format!("Received command '{command}'"))
}

#[test]
fn ping_count_json() {
    let rtpe = daemon();
    let before = received(&rtpe, "ping");
    let url = rtpe.udp_url();
    let mut out = run(&[&url], &["bench", "ping", "--count", "200", "--json"]);
    assert!(out.status.success(), "{out:?}");
    // stderr is not a terminal: no progress bar, and nothing failed: no warning.
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&std::mem::take(&mut out.stdout)).unwrap();
    assert_eq!(v["scenario"], "ping");
    assert_eq!(u(&v, "requests"), 200);
    assert_eq!(u(&v, "ok"), 200);
    assert_eq!(u(&v, "errors"), 0);
    assert_eq!(u(&v, "retransmissions"), 0);
    assert_eq!(u(&v["latency_us"], "count"), 200);
    assert_percentiles(&v["latency_us"]);
    let seconds = v["seconds"].as_f64().unwrap();
    let per_second = v["per_second"].as_f64().unwrap();
    assert!(seconds > 0.0 && per_second > 0.0, "{v}");
    // per_second is requests / seconds (rounded to 3 and 6 decimals).
    assert!((per_second * seconds - 200.0).abs() < 1.0, "{v}");
    // The daemon saw every one of them.
    assert_eq!(received(&rtpe, "ping") - before, 200);
}

#[test]
fn ping_text_report() {
    let rtpe = daemon();
    let out = run(
        &[&rtpe.udp_url()],
        &["bench", "ping", "--count", "20", "-c", "2"],
    );
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "scenario         ping against udp://127.0.0.1:",
        "concurrency 2",
        "requests         20 (ok 20, errors 0)",
        "requests/s",
        "latency µs       p50 ",
        " p99.9 ",
        "errors           timeout 0, rtpengine 0, other 0",
        "retransmissions  0",
        "seconds          ",
    ] {
        assert!(text.contains(needle), "no {needle:?} in:\n{text}");
    }
}

#[test]
fn call_count_json_cleans_up() {
    let rtpe = daemon();
    let v = bench_json(&[&rtpe.udp_url()], &["call", "--count", "20", "-c", "8"]);
    assert_eq!(u(&v, "requests"), 60);
    assert_eq!(u(&v, "ok"), 60);
    assert_eq!(u(&v, "errors"), 0);
    assert_percentiles(&v["latency_us"]);
    for command in ["offer", "answer", "delete"] {
        assert_eq!(u(&v["commands"][command], "ok"), 20, "{v}");
        assert_percentiles(&v["commands"][command]["latency_us"]);
        assert_eq!(received(&rtpe, command), 20, "{command}");
    }
    let calls = &v["calls"];
    assert_eq!(u(calls, "started"), 20);
    assert_eq!(u(calls, "completed"), 20);
    assert_eq!(u(calls, "failed"), 0);
    assert_eq!(u(&calls["latency_us"], "count"), 20);
    assert_percentiles(&calls["latency_us"]);
    // A call's NG time is at least the slowest request's latency.
    assert!(u(&calls["latency_us"], "max") >= u(&v["commands"]["offer"]["latency_us"], "min"));
    // Every call was deleted at once.
    assert!(list(&rtpe).is_empty(), "calls left: {:?}", list(&rtpe));
    assert_eq!(rtpe.log_count("Final packet stats"), 20);
}

#[test]
fn call_with_media() {
    let rtpe = daemon();
    let v = bench_json(&[&rtpe.udp_url()], &["call", "--count", "5", "--media"]);
    assert_eq!(u(&v, "requests"), 15);
    assert_eq!(u(&v, "ok"), 15);
    assert_eq!(u(&v["calls"], "completed"), 5);
    let media = &v["media"];
    assert_eq!(u(media, "packets_sent"), 50, "{v}");
    assert_eq!(u(media, "packets_received"), 50, "{v}");
    assert_eq!(u(media, "failed_calls"), 0);
    assert!(list(&rtpe).is_empty());
    // rtpengine relayed them: its final statistics count 5 packets of 172 bytes on each of the
    // 10 RTP ports (2 per call).
    assert_eq!(
        rtpe.log_count(", 5 p, 860 b, 0 e"),
        10,
        "{}",
        rtpe.log_tail(40)
    );
}

#[test]
fn query_scenario() {
    let rtpe = daemon();
    let v = bench_json(
        &[&rtpe.udp_url()],
        &["query", "--count", "50", "--calls", "5"],
    );
    assert_eq!(u(&v, "requests"), 50);
    assert_eq!(u(&v, "ok"), 50);
    assert_eq!(u(&v, "setup_calls"), 5);
    assert_eq!(u(&v["commands"]["query"], "requests"), 50);
    assert_percentiles(&v["latency_us"]);
    assert_eq!(received(&rtpe, "query"), 50);
    // The 5 calls were created before and deleted after.
    assert_eq!(received(&rtpe, "offer"), 5);
    assert_eq!(received(&rtpe, "delete"), 5);
    assert!(list(&rtpe).is_empty());
}

#[test]
fn duration_and_rate() {
    let rtpe = daemon();
    let started = Instant::now();
    let v = bench_json(
        &[&rtpe.udp_url()],
        &["ping", "--duration", "1", "--rate", "100"],
    );
    let wall = started.elapsed();
    let requests = u(&v, "requests");
    assert!((95..=101).contains(&requests), "{requests} requests: {v}");
    assert_eq!(u(&v, "ok"), requests);
    let seconds = v["seconds"].as_f64().unwrap();
    assert!((0.9..1.5).contains(&seconds), "{seconds} s: {v}");
    assert!(wall < Duration::from_secs(5), "{wall:?}");
    let rate = v["per_second"].as_f64().unwrap();
    assert!((80.0..=115.0).contains(&rate), "{rate}/s: {v}");
}

#[test]
fn call_duration_cleans_up() {
    let rtpe = daemon();
    let v = bench_json(
        &[&rtpe.udp_url()],
        &["call", "--duration", "0.5", "-c", "4", "--rate", "40"],
    );
    let calls = u(&v["calls"], "started");
    assert!((15..=21).contains(&calls), "{calls} calls: {v}");
    assert_eq!(u(&v["calls"], "completed"), calls);
    assert_eq!(u(&v, "requests"), 3 * calls);
    assert!(list(&rtpe).is_empty());
}

#[test]
fn servers_share_the_load() {
    let (a, b) = (daemon(), daemon());
    let (a0, b0) = (received(&a, "ping"), received(&b, "ping"));
    let v = bench_json(&[&a.udp_url(), &b.udp_url()], &["ping", "--count", "100"]);
    assert_eq!(u(&v, "ok"), 100);
    assert_eq!(v["servers"].as_array().unwrap().len(), 2);
    // Pings name no call: they go round-robin over the nodes. (The daemons' logs may also
    // count a health ping of the cluster.)
    for (rtpe, before) in [(&a, a0), (&b, b0)] {
        assert_eq!(u(&v["nodes"][rtpe.udp_url()], "requests"), 50, "{v}");
        assert!(received(rtpe, "ping") - before >= 50);
    }

    // Calls are placed by call-id; a call's three requests all go to its node.
    let v = bench_json(&[&a.udp_url(), &b.udp_url()], &["call", "--count", "10"]);
    assert_eq!(u(&v, "ok"), 30);
    let mut offers = 0;
    for rtpe in [&a, &b] {
        let n = received(rtpe, "offer");
        assert_eq!(received(rtpe, "answer"), n);
        assert_eq!(received(rtpe, "delete"), n);
        assert_eq!(
            u(&v["nodes"][rtpe.udp_url()], "requests"),
            3 * n as u64,
            "{v}"
        );
        assert!(list(rtpe).is_empty());
        offers += n;
    }
    assert_eq!(offers, 10);
}

#[test]
fn silent_server_counts_timeouts() {
    // Bound but never read: no reply ever comes.
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let url = format!("udp://{}", silent.local_addr().unwrap());
    let started = Instant::now();
    let out = run(
        &[&url],
        &[
            "--timeout",
            "200",
            "bench",
            "ping",
            "--count",
            "5",
            "--json",
        ],
    );
    // The bench ran: exit 0, the errors are in the report (and a warning on stderr).
    assert!(out.status.success(), "{out:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(u(&v, "requests"), 5);
    assert_eq!(u(&v, "ok"), 0);
    assert_eq!(u(&v, "errors"), 5);
    assert_eq!(u(&v["error_kinds"], "timeout"), 5);
    assert_eq!(u(&v["error_kinds"], "rtpengine"), 0);
    // 200 ms is shorter than the first retransmission interval (500 ms).
    assert_eq!(u(&v, "retransmissions"), 0);
    assert_eq!(u(&v["latency_us"], "count"), 0);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("warning: 5 of 5 requests failed"),
        "{stderr}"
    );

    // Calls against it: every call fails, and its cleanup delete times out too.
    let out = run(
        &[&url],
        &["--timeout", "200", "bench", "call", "--count", "2"],
    );
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("calls            2 (completed 0, failed 2)"),
        "{text}"
    );
    assert!(
        text.contains("errors           timeout 4, rtpengine 0, other 0"),
        "{text}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("could not delete 2 call(s)"), "{stderr}");
}

#[test]
fn query_setup_failure_exits_nonzero() {
    // The query scenario cannot create its calls on a silent server: a failure (exit 3, as for
    // any timeout), not a report.
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let url = format!("udp://{}", silent.local_addr().unwrap());
    let out = run(
        &[&url],
        &["--timeout", "200", "bench", "query", "--count", "5"],
    );
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("creating call 1 of 10 for the query scenario"),
        "{stderr}"
    );
}

#[test]
fn rtpengine_errors_are_counted() {
    // One session at most: of 4 concurrent offers, the daemon refuses the later ones.
    let limited = Rtpengine::builder()
        .arg("--max-sessions=1")
        .start()
        .expect("start rtpengine");
    let v = bench_json(&[&limited.udp_url()], &["call", "--count", "4", "-c", "4"]);
    let kinds = &v["error_kinds"];
    assert!(u(kinds, "rtpengine") >= 1, "{v}");
    assert_eq!(u(kinds, "timeout"), 0, "{v}");
    assert_eq!(u(&v, "errors"), u(kinds, "rtpengine") + u(kinds, "other"));
    assert_eq!(u(&v, "requests"), u(&v, "ok") + u(&v, "errors"));
    assert!(u(&v["calls"], "failed") >= 1, "{v}");
    let samples = v["error_samples"].to_string();
    assert!(samples.contains("offer: "), "{samples}");
    // Error replies have a latency; only they and the successes are in the histogram.
    assert_eq!(u(&v["latency_us"], "count"), u(&v, "requests"));
    assert!(list(&limited).is_empty());
}

#[test]
fn retransmissions_are_counted() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    // Ignores the first copy of every request and answers the second.
    let fake = runtime
        .block_on(FakeNg::start(|req| {
            if req.attempt == 0 {
                vec![]
            } else {
                vec![FakeAction::pong()]
            }
        }))
        .unwrap();
    let v = bench_json(&[&fake.url()], &["ping", "--count", "10", "-c", "10"]);
    assert_eq!(u(&v, "ok"), 10);
    // The client's counters: datagrams the server received − requests.
    let datagrams = fake.received_count() as u64;
    assert_eq!(datagrams, 20);
    assert_eq!(
        u(&v, "retransmissions"),
        datagrams - u(&v, "requests"),
        "{v}"
    );
    assert_eq!(u(&v, "retransmissions"), 10, "{v}");
    // Each request waited for its retransmission (the default's first interval, 200 ms).
    assert!(u(&v["latency_us"], "p50") >= 200_000, "{v}");
}

#[test]
fn retransmissions_equal_datagrams_sent_minus_requests() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    // Loses none, one or two copies of a request, by its cookie's last byte: a count the test
    // cannot know in advance.
    let fake = runtime
        .block_on(FakeNg::start(|req| {
            let lost = req.cookie.last().map_or(0, |b| usize::from(*b % 3));
            if req.attempt < lost {
                vec![]
            } else {
                vec![FakeAction::pong()]
            }
        }))
        .unwrap();
    let v = bench_json(&[&fake.url()], &["ping", "--count", "30", "-c", "30"]);
    assert_eq!(u(&v, "ok"), 30, "{v}");
    let datagrams = fake.received_count() as u64;
    assert!(datagrams > 30, "{datagrams}");
    assert_eq!(
        u(&v, "retransmissions"),
        datagrams - u(&v, "requests"),
        "{v}"
    );
}

#[test]
fn ctrl_c_stops_and_cleans_up() {
    let rtpe = daemon();
    let child = rtpe_cmd()
        .arg("--server")
        .arg(rtpe.udp_url())
        .args([
            "bench",
            "call",
            "--duration",
            "30",
            "-c",
            "4",
            "--rate",
            "200",
            "--json",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn rtpe");
    // Let it run until calls are under way.
    assert!(rtpe.wait_for_log("Received command 'delete'", 10, Duration::from_secs(10)));
    let started = Instant::now();
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success());
    let out = child.wait_with_output().expect("wait for rtpe");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(out.status.success(), "{out:?}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["interrupted"], true);
    let calls = u(&v["calls"], "started");
    assert!(calls >= 10, "{v}");
    assert_eq!(u(&v["calls"], "completed"), calls, "{v}");
    assert_eq!(u(&v, "errors"), 0);
    assert!(list(&rtpe).is_empty(), "calls left: {:?}", list(&rtpe));
    assert!(String::from_utf8_lossy(&out.stderr).contains("interrupted"));
}

#[test]
fn usage_errors() {
    let rtpe = daemon();
    let url = rtpe.udp_url();
    for args in [
        &["bench", "ping", "--media"][..],
        &["bench", "call", "--calls", "3"],
        &["bench", "ping", "--count", "5", "--duration", "1"],
        &["bench", "ping", "--rate", "-3"],
        &["bench", "ping", "--concurrency", "0"],
        &["bench", "nothing"],
    ] {
        let out = run(&[&url], args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {out:?}");
        assert!(out.stdout.is_empty());
    }
    assert_eq!(received(&rtpe, "offer"), 0);
    // Other commands use the cluster of the --servers: a node that answers.
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let other = format!("udp://{}", silent.local_addr().unwrap());
    let out = run(&[&url, &other], &["--timeout", "2000", "ping"]);
    assert!(out.status.success(), "{out:?}");
}
