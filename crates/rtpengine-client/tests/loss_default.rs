//! Heavy loss with the DEFAULT settings (issue 11): a real rtpengine behind the test kit's lossy
//! relay, 1,000 mixed requests (250 calls × offer, answer, query, delete; 25 calls at a time).
//! At 30 % loss each way every request succeeds within the default 10 s deadline and the daemon
//! executes each offer once (its own counts); at 50 % each way at least 99 % succeed.

mod common;
use common::control_counter;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rtpengine_client::bencode::Dict;
use rtpengine_client::{
    AnswerOptions, Client, DeleteOptions, NgCommands, OfferOptions, QueryOptions, DEFAULT_TIMEOUT,
};
use rtpengine_testkit::rtp::sdp_audio;
use rtpengine_testkit::{LossPattern, LossyUdpProxy};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

const CALLS: usize = 250;
/// Calls at once: each holds 4 of the daemon's 200 media ports until deleted.
const PARALLEL: usize = 25;

#[derive(Default)]
struct Tally {
    ok: AtomicU64,
    failed: AtomicU64,
    slowest_ms: AtomicU64,
}

impl Tally {
    fn record<T>(&self, started: Instant, result: &rtpengine_client::Result<T>) -> bool {
        let ms = started.elapsed().as_millis() as u64;
        self.slowest_ms.fetch_max(ms, Ordering::Relaxed);
        match result {
            Ok(_) => {
                self.ok.fetch_add(1, Ordering::Relaxed);
                true
            }
            Err(e) => {
                eprintln!("request failed after {ms} ms: {e}");
                self.failed.fetch_add(1, Ordering::Relaxed);
                false
            }
        }
    }
}

/// offer → answer → query → delete; a failed step skips the rest but the delete (ports).
async fn call(client: Client, i: usize, tally: Arc<Tally>) {
    let id = format!("loss-default-{i}");
    let port = 30_000 + 4 * i as u16;
    let t = Instant::now();
    let offer = client
        .offer(
            sdp_audio("127.0.0.1", port, 1),
            &id,
            "tag-a",
            &OfferOptions::new(),
        )
        .await;
    if tally.record(t, &offer) {
        let t = Instant::now();
        let answer = client
            .answer(
                sdp_audio("127.0.0.1", port + 2, 2),
                &id,
                "tag-a",
                "tag-b",
                &AnswerOptions::new(),
            )
            .await;
        if tally.record(t, &answer) {
            let t = Instant::now();
            let query = client.query(&id, &QueryOptions::new()).await;
            tally.record(t, &query);
        }
    }
    let t = Instant::now();
    let deleted = client.delete(&id, "tag-a", &DeleteOptions::new()).await;
    tally.record(t, &deleted);
}

/// Runs the calls at `loss` each way; (requests ok, failed, offers the daemon executed).
async fn run(name: &str, loss: f64, seed: u64) -> (u64, u64, i64) {
    let rtpe = common::start();
    let proxy = LossyUdpProxy::start(
        rtpe.ng_udp_addr(),
        LossPattern::Random {
            request_loss: loss,
            reply_loss: loss,
            seed,
        },
    )
    .await
    .expect("lossy proxy");
    // Default settings: default retransmission, default 10 s deadline.
    let client = Client::connect(&proxy.url()).await.expect("client");
    assert_eq!(client.timeout(), DEFAULT_TIMEOUT);
    let tally = Arc::new(Tally::default());
    let permits = Arc::new(Semaphore::new(PARALLEL));
    let started = Instant::now();
    let mut calls = JoinSet::new();
    for i in 0..CALLS {
        let (client, tally, permits) = (client.clone(), Arc::clone(&tally), Arc::clone(&permits));
        calls.spawn(async move {
            let _permit = permits.acquire_owned().await.expect("permit");
            call(client, i, tally).await;
        });
    }
    while let Some(done) = calls.join_next().await {
        done.expect("call task");
    }
    let took = started.elapsed();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let direct = Client::connect(&rtpe.udp_url()).await.expect("client");
    let statistics = direct
        .request("statistics", &Dict::new())
        .await
        .expect("statistics");
    let offers = control_counter(&statistics, "totaloffercount");
    let stats = client.stats();
    let proxy_stats = proxy.stats();
    let (ok, failed) = (
        tally.ok.load(Ordering::Relaxed),
        tally.failed.load(Ordering::Relaxed),
    );
    eprintln!(
        "[{name}] {} requests in {took:?}: {ok} ok, {failed} failed, slowest {} ms; \
         {} datagrams sent ({} retransmissions); proxy dropped {} of {} requests and {} of {} \
         replies; the daemon executed {offers} offers for {CALLS} calls",
        ok + failed,
        tally.slowest_ms.load(Ordering::Relaxed),
        stats.requests + stats.retransmissions,
        stats.retransmissions,
        proxy_stats.requests_dropped,
        proxy_stats.requests_dropped + proxy_stats.requests_forwarded,
        proxy_stats.replies_dropped,
        proxy_stats.replies_dropped + proxy_stats.replies_forwarded,
    );
    assert!(
        tally.slowest_ms.load(Ordering::Relaxed) <= DEFAULT_TIMEOUT.as_millis() as u64 + 200,
        "every request ended by its deadline"
    );
    assert_eq!(client.in_flight(), 0);
    (ok, failed, offers)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_percent_loss_each_way_loses_no_request_with_the_defaults() {
    let (ok, failed, offers) = run("30 % each way", 0.30, 0x5eed_0030).await;
    assert_eq!(failed, 0, "every request succeeded");
    assert_eq!(ok, 4 * CALLS as u64);
    assert_eq!(offers, CALLS as i64, "each offer executed once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_percent_loss_each_way_loses_under_one_percent_with_the_defaults() {
    let (ok, failed, offers) = run("50 % each way", 0.50, 0x5eed_0050).await;
    let total = ok + failed;
    assert!(total >= 3 * CALLS as u64, "{total}");
    assert!(failed * 100 <= total, "{failed} of {total} failed");
    assert!(offers <= CALLS as i64, "no offer executed twice: {offers}");
}
