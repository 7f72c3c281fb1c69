//! Packet loss between the client and the real rtpengine daemon (10.5).
//!
//! The client talks to the daemon through a `LossyUdpProxy` that drops requests and replies.
//! Behind the proxy a small counting relay records, per command, how many request datagrams
//! actually reached the daemon and with how many distinct cookies. With a short retransmission
//! schedule every request must still succeed, and the daemon must execute each command exactly
//! once: more `offer` datagrams reach it than offers it executes, and the surplus shows up in its
//! log as duplicates answered from its cookie cache.

mod common;

use rtpengine_client::NgCommands;
use std::collections::{HashMap, HashSet};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::{control_counter, media_port, offer_answer, spawn_relay, start, udp};
use rtpengine_client::bencode::Dict;
use rtpengine_client::message::parse_message;
use rtpengine_client::{Client, DeleteOptions, RetransmitPolicy};
use rtpengine_testkit::{LossPattern, LossyUdpProxy};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// Calls per run (offer + answer + delete each).
const CALLS: usize = 100;
/// Calls in progress at once: each holds 4 of the daemon's 200 media ports until deleted.
const PARALLEL: usize = 10;
/// The line rtpengine logs when it answers a request from its cookie cache.
const DUPLICATE_LOG: &str = "as a duplicate";

#[derive(Default)]
struct PerCommand {
    datagrams: u64,
    cookies: HashSet<Bytes>,
}

/// A UDP relay in front of the daemon that counts the request datagrams passing through, per
/// command.
struct CountingRelay {
    addr: SocketAddr,
    counts: Arc<Mutex<HashMap<String, PerCommand>>>,
    task: tokio::task::JoinHandle<()>,
}

impl CountingRelay {
    async fn start(upstream: SocketAddr) -> Self {
        let (front, back) = (udp().await, udp().await);
        let addr = front.local_addr().unwrap();
        let counts: Arc<Mutex<HashMap<String, PerCommand>>> = Arc::default();
        let c = Arc::clone(&counts);
        let task = spawn_relay(front, back, upstream, move |datagram| {
            if let Ok((cookie, dict)) = parse_message(&Bytes::copy_from_slice(datagram)) {
                let command = dict.get_string("command").unwrap_or_default();
                let mut counts = c.lock().unwrap();
                let entry = counts.entry(command).or_default();
                entry.datagrams += 1;
                entry.cookies.insert(cookie);
            }
        });
        Self { addr, counts, task }
    }

    /// (datagrams, distinct cookies) of `command` that reached the daemon.
    fn count(&self, command: &str) -> (u64, usize) {
        let counts = self.counts.lock().unwrap();
        counts
            .get(command)
            .map(|p| (p.datagrams, p.cookies.len()))
            .unwrap_or_default()
    }
}

impl Drop for CountingRelay {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// One call through the lossy path; checks every reply.
async fn call_flow(client: Client, i: usize, range: std::ops::RangeInclusive<u16>) {
    let call_id = format!("loss-call-{i}");
    let port = 20_000 + 4 * i as u16;
    let (offer, answer) = offer_answer(
        &client,
        &call_id,
        (Ipv4Addr::LOCALHOST, port),
        (Ipv4Addr::LOCALHOST, port + 2),
    )
    .await;
    assert!(range.contains(&media_port(&offer)));
    assert!(range.contains(&media_port(&answer)));
    // A delete executed twice would answer the second time with a "not found" warning; a
    // retransmission answered from the cache repeats the first reply, with the statistics.
    let stats = client
        .delete(&call_id, "tagA", &DeleteOptions::new())
        .await
        .unwrap_or_else(|e| panic!("delete {call_id}: {e}"));
    assert!(stats.has_call(), "{call_id}: {:?}", stats.raw);
    assert_eq!(stats.warning, None, "{call_id}");
}

/// Waits until `count()` reaches `want` (log lines are captured by a reader thread).
fn settle(mut count: impl FnMut() -> usize, want: usize) -> usize {
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let now = count();
        if now >= want || Instant::now() > deadline {
            return now;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

async fn run_lossy_calls(name: &str, pattern: LossPattern, min_dropped: u64) {
    let rtpe = start();
    let relay = CountingRelay::start(rtpe.ng_udp_addr()).await;
    let proxy = LossyUdpProxy::start(relay.addr, pattern)
        .await
        .expect("start lossy proxy");
    let client = Client::builder(proxy.url())
        .retransmit(RetransmitPolicy {
            initial: Duration::from_millis(20),
            max: Duration::from_millis(100),
            window: Duration::from_secs(25),
        })
        .timeout(Duration::from_secs(20))
        .connect()
        .await
        .expect("client");

    let started = Instant::now();
    let permits = Arc::new(Semaphore::new(PARALLEL));
    let mut calls = JoinSet::new();
    for i in 0..CALLS {
        let client = client.clone();
        let permits = Arc::clone(&permits);
        let range = rtpe.media_port_range();
        calls.spawn(async move {
            let _permit = permits.acquire_owned().await.unwrap();
            call_flow(client, i, range).await;
        });
    }
    while let Some(done) = calls.join_next().await {
        done.expect("call flow");
    }
    let elapsed = started.elapsed();
    // Let copies still travelling through the proxy land.
    tokio::time::sleep(Duration::from_millis(300)).await;

    // What the daemon executed, asked directly (not through the lossy path).
    let direct = Client::connect(&rtpe.udp_url()).await.unwrap();
    let statistics = direct.request("statistics", &Dict::new()).await.unwrap();
    assert!(
        direct.list(None).await.unwrap().is_empty(),
        "every call deleted"
    );
    let executed: Vec<(&str, i64)> = [
        ("offer", "totaloffercount"),
        ("answer", "totalanswercount"),
        ("delete", "totaldeletecount"),
    ]
    .into_iter()
    .map(|(cmd, key)| (cmd, control_counter(&statistics, key)))
    .collect();

    let proxy_stats = proxy.stats();
    let sent = proxy_stats.requests_forwarded + proxy_stats.requests_dropped;
    let mut reached_total = 0;
    let mut report = String::new();
    for (cmd, done) in &executed {
        let (datagrams, cookies) = relay.count(cmd);
        reached_total += datagrams;
        report.push_str(&format!(
            "\n  {cmd:6}: {datagrams} datagrams reached the daemon with {cookies} cookies, \
             executed {done} times"
        ));
        // Every command was executed exactly once per call…
        assert_eq!(*done, CALLS as i64, "{cmd} executions");
        let needle = format!("Received command '{cmd}'");
        assert_eq!(
            settle(|| rtpe.log_count(&needle), CALLS),
            CALLS,
            "{cmd} processing lines in the log"
        );
        // …and each call's retransmissions kept its cookie.
        assert_eq!(cookies, CALLS, "{cmd} cookies");
    }
    let (offer_datagrams, _) = relay.count("offer");
    let executed_total = 3 * CALLS;
    let duplicates = settle(
        || rtpe.log_count(DUPLICATE_LOG),
        (reached_total as usize).saturating_sub(executed_total),
    );
    eprintln!(
        "[{name}] {CALLS} calls in {elapsed:?}: client sent {sent} request datagrams; proxy \
         dropped {} requests and {} replies (forwarded {} requests, {} replies); {reached_total} \
         requests reached the daemon, which executed {executed_total} and answered {duplicates} \
         from its cookie cache ('{DUPLICATE_LOG}'); offers: {offer_datagrams} datagrams, {} \
         executed{report}",
        proxy_stats.requests_dropped,
        proxy_stats.replies_dropped,
        proxy_stats.requests_forwarded,
        proxy_stats.replies_forwarded,
        executed[0].1,
    );

    let dropped = proxy_stats.requests_dropped + proxy_stats.replies_dropped;
    assert!(
        dropped >= min_dropped,
        "only {dropped} datagrams dropped, expected at least {min_dropped}"
    );
    assert!(
        proxy_stats.requests_dropped > 0 && proxy_stats.replies_dropped > 0,
        "{proxy_stats:?}"
    );
    // More offer datagrams than offers executed: the daemon recognised the rest as duplicates.
    assert!(
        offer_datagrams > CALLS as u64,
        "{offer_datagrams} offer datagrams"
    );
    assert!(duplicates > 0, "no duplicate detected");
    // Every request datagram that reached the daemon was either executed or a duplicate.
    assert_eq!(reached_total, proxy_stats.requests_forwarded);
    assert_eq!(duplicates as u64, reached_total - executed_total as u64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_loss_in_both_directions() {
    // 30 % of requests and 30 % of replies lost: ~900 datagrams, ~270 requests and ~180
    // replies dropped.
    run_lossy_calls(
        "random 30%/30%",
        LossPattern::Random {
            request_loss: 0.3,
            reply_loss: 0.3,
            seed: 0x5eed_1234,
        },
        200,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_nth_datagram_lost() {
    // Every 3rd request and every 2nd reply dropped.
    run_lossy_calls(
        "every 3rd request, every 2nd reply",
        LossPattern::EveryNth {
            requests: 3,
            replies: 2,
        },
        300,
    )
    .await;
}
