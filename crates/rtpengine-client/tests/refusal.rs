//! A daemon that is down on a live host refuses: its NG port draws an ICMP port unreachable
//! over UDP and a RST over TCP. The client always counts that (`ClientStats::refusals`); with
//! `fail_fast_when_refused` (what a cluster gives its nodes) every waiting request fails at once
//! with a retryable `Error::Io`, instead of waiting for its deadline, and the client works again
//! once the daemon is back. Real daemons, SIGKILLed and restarted on the same ports.

mod common;

use std::io::ErrorKind;
use std::time::{Duration, Instant};

use rtpengine_client::{Client, Error, NgCommands};
use rtpengine_testkit::Rtpengine;

async fn client(url: &str, fail_fast: bool, timeout: Duration) -> Client {
    Client::builder(url)
        .timeout(timeout)
        .fail_fast_when_refused(fail_fast)
        .connect()
        .await
        .expect("client")
}

/// The error is a refusal, named as one, and worth trying elsewhere.
fn assert_refused(e: &Error) {
    match e {
        Error::Io { source, .. } => assert_eq!(source.kind(), ErrorKind::ConnectionRefused, "{e}"),
        other => panic!("expected a refusal, got {other}"),
    }
    assert!(e.to_string().contains("refused"), "{e}");
    assert!(e.is_retryable_elsewhere());
}

/// Pings until one succeeds; panics after `within`.
async fn ping_until_answered(client: &Client, within: Duration) -> Duration {
    let started = Instant::now();
    loop {
        if client.ping().await.is_ok() {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < within,
            "no answer within {within:?} of the restart"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A ping made while the daemon is down waits (refused all along) for `down`, then the daemon
/// is restarted and the ping answered within its deadline.
async fn answered_after_restart(client: &Client, rtpe: &mut Rtpengine, down: Duration) {
    let waiting = {
        let client = client.clone();
        tokio::spawn(async move { client.ping().await })
    };
    tokio::time::sleep(down).await;
    assert!(!waiting.is_finished(), "it waits through the refusals");
    rtpe.restart().expect("restart on the same ports");
    waiting
        .await
        .expect("task")
        .expect("answered after the restart");
    assert!(client.stats().refusals >= 1);
}

fn tcp_url(rtpe: &Rtpengine) -> String {
    format!("tcp://{}", rtpe.ng_tcp_addr())
}

/// A daemon and a client (over TCP or UDP) that it answered once, then the daemon SIGKILLed.
async fn killed_after_a_ping(tcp: bool, fail_fast: bool, timeout: Duration) -> (Rtpengine, Client) {
    let mut rtpe = common::start();
    let url = if tcp { tcp_url(&rtpe) } else { rtpe.udp_url() };
    let client = client(&url, fail_fast, timeout).await;
    client.ping().await.expect("up");
    rtpe.kill().expect("SIGKILL");
    (rtpe, client)
}

/// Three pings, each refused in well under the first retransmission interval (200 ms).
async fn three_pings_refused_at_once(client: &Client) {
    for _ in 0..3 {
        let started = Instant::now();
        let e = client.ping().await.expect_err("nothing listens");
        let took = started.elapsed();
        assert_refused(&e);
        assert!(took < Duration::from_millis(150), "{took:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_fail_fast_a_dead_daemon_fails_a_udp_request_in_a_round_trip() {
    let (mut rtpe, client) = killed_after_a_ping(false, true, Duration::from_secs(5)).await;
    // The first copy's ICMP error, not a retransmission's.
    three_pings_refused_at_once(&client).await;
    let stats = client.stats();
    assert!(stats.refusals >= 3, "{stats:?}");
    assert_eq!((stats.retransmissions, stats.in_flight), (0, 0));
    assert_eq!(client.in_flight(), 0);
    // The same client (same socket) works again once the daemon is back.
    rtpe.restart().expect("restart on the same ports");
    ping_until_answered(&client, Duration::from_secs(5)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_fail_fast_every_udp_request_in_flight_fails_when_the_daemon_dies() {
    let mut rtpe = common::start();
    let client = client(&rtpe.udp_url(), true, Duration::from_secs(10)).await;
    client.ping().await.expect("up");
    // Frozen, the daemon lets requests pile up unanswered (retransmitting); then it dies.
    rtpe.stop().expect("SIGSTOP");
    let waiting: Vec<_> = (0..20)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move {
                let r = client.ping().await;
                (r, Instant::now())
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(client.in_flight(), 20);
    let killed = Instant::now();
    rtpe.kill().expect("SIGKILL");
    for task in waiting {
        let (result, ended) = task.await.expect("task");
        assert_refused(&result.expect_err("the daemon died"));
        // The next copy of any of them draws the ICMP error (copies of a silent server are
        // at most 1 s apart), far before the 10 s deadline.
        let after = ended.saturating_duration_since(killed);
        assert!(after < Duration::from_millis(1500), "{after:?}");
    }
    assert_eq!(client.in_flight(), 0);
    assert_eq!(client.stats().in_flight, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn by_default_a_refusal_is_counted_and_the_request_waits_for_its_deadline() {
    let deadline = Duration::from_millis(1500);
    let (_rtpe, client) = killed_after_a_ping(false, false, deadline).await;
    let started = Instant::now();
    let e = client.ping().await.expect_err("nothing listens");
    let took = started.elapsed();
    let Error::Timeout { attempts, .. } = e else {
        panic!("a timeout, not {e}")
    };
    assert!(took >= deadline, "{took:?}");
    assert!(attempts >= 3, "kept retransmitting: {attempts}");
    let refusals = client.stats().refusals;
    assert!(refusals >= 1, "counted: {refusals}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_tcp_fail_fast_fails_requests_until_the_daemon_is_back() {
    let (mut rtpe, client) = killed_after_a_ping(true, true, Duration::from_secs(5)).await;
    // The driver sees the connection close and its reconnection refused.
    tokio::time::sleep(Duration::from_millis(100)).await;
    three_pings_refused_at_once(&client).await;
    assert!(client.stats().refusals >= 1);
    assert_eq!(client.in_flight(), 0);
    rtpe.restart().expect("restart on the same ports");
    // Reconnection attempts are at most 1 s apart.
    let took = ping_until_answered(&client, Duration::from_secs(5)).await;
    assert!(took < Duration::from_secs(3), "{took:?}");
    assert!(client.stats().reconnects >= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_tcp_by_default_a_request_waits_for_the_daemon_to_come_back() {
    let (mut rtpe, client) = killed_after_a_ping(true, false, Duration::from_secs(5)).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    answered_after_restart(&client, &mut rtpe, Duration::from_millis(500)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lazy_tcp_client_starts_before_its_daemon() {
    let mut rtpe = common::start();
    let url = tcp_url(&rtpe);
    rtpe.kill().expect("SIGKILL");
    let e = Client::connect(&url).await.expect_err("nothing listens");
    assert!(e.to_string().contains("refused"), "{e}");
    let client = Client::builder(&url)
        .timeout(Duration::from_secs(5))
        .connect_lazily(true)
        .connect()
        .await
        .expect("a lazy client starts without its daemon");
    answered_after_restart(&client, &mut rtpe, Duration::from_millis(300)).await;
}
