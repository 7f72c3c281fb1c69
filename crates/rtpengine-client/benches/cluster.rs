//! What a [`Cluster`] costs per request over a plain [`Client`], both talking to real rtpengine
//! daemons (the test kit's [`Rtpengine`], found as the integration tests find it), in one run.
//!
//! Run with `cargo bench -p rtpengine-client --bench cluster -- --measurement-time 5`. Three
//! daemons are started once (`RtpengineBuilder::start_many(3)`) before the first benchmark:
//!
//! * `client`: one [`Client`] to daemon 0;
//! * `cluster_1`: a one-node [`Cluster`] of daemon 0 (the same daemon as `client`);
//! * `cluster_3`: a three-node [`Cluster`] of daemons 0, 1 and 2 (weights 1/1/1);
//! * `clients_3`: three [`Client`]s, one per daemon, a pseudo-random one per request (per
//!   call for offer + delete): the baseline of `cluster_3`, since requests that hop between
//!   three daemons sharing two cores cost those daemons more than a stream to one.
//!
//! Both clusters have the default settings (ping every 2 s ±20 %, breaker 2 failures, deadline
//! 10 s); their background pings run during the measurement, as they would in production.
//!
//! Groups:
//!
//! * `cluster_ping/{client,cluster_1,cluster_3,clients_3}`: one `ping` per iteration. A ping
//!   has no call-id, so the cluster places it on a node chosen by weight with a random key.
//! * `cluster_offer_delete/{client,cluster_1,cluster_3,clients_3}`: a new call per iteration:
//!   `offer` (one audio stream, a fresh call-id) then `delete`. Through a cluster the offer is
//!   placed and its call-id entered in the call → node table; the delete follows it there and
//!   removes the entry. Every delete must find its call.
//! * `cluster_ping_64/{client,cluster_1,cluster_3,clients_3}`: 64 pings in flight per
//!   iteration, one task each in a `JoinSet` (as 64 independent callers would). `cluster_3`
//!   and `clients_3` spread them over three daemons.
//! * `cluster_affinity/*`: in-process, no I/O: the public parts of the routing decision —
//!   `route_of` of a known and of an unknown call (a lookup in the call → node table, which
//!   refreshes the entry) and `assign` + `forget` (insert and remove). The placement decision
//!   itself (`route::plan`) is crate-private and cannot be reached from a benchmark; its cost
//!   is inside the `cluster_*` round trips above.
//!
//! At the end the run prints the offers each daemon counted (the spread of `cluster_3`) and
//! checks that the clusters' call tables are empty again.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use rtpengine_client::{Client, Cluster, DeleteOptions, NgCommands, OfferOptions};
use rtpengine_testkit::rtp::sdp_audio;
use rtpengine_testkit::Rtpengine;
use tokio::runtime::Runtime;
use tokio::task::JoinSet;

/// Pings in flight per iteration in `cluster_ping_64`.
const IN_FLIGHT: usize = 64;

/// Call-ids handed out so far (every offer opens a new call).
static CALLS: AtomicU64 = AtomicU64::new(0);

/// The runtime every side runs on: two workers, as many as this machine has cores.
fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

/// One ping.
async fn ping_once(ng: &impl NgCommands) {
    ng.ping().await.expect("pong");
}

/// A pseudo-random pick among `clients` (splitmix64 of a counter), so that consecutive
/// requests land on the daemons as a cluster's random placement spreads them.
fn pick(clients: &[Client]) -> &Client {
    static PICKS: AtomicU64 = AtomicU64::new(0);
    let mut z = PICKS
        .fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed)
        .wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    &clients[(z % clients.len() as u64) as usize]
}

/// `n` concurrent pings, one task each, each on the handle `ng` gives.
async fn ping_many<T: NgCommands + Clone + Send + 'static>(ng: impl Fn() -> T, n: usize) {
    let mut set = JoinSet::new();
    for _ in 0..n {
        let ng = ng();
        set.spawn(async move { ng.ping().await });
    }
    while let Some(done) = set.join_next().await {
        done.expect("task").expect("pong");
    }
}

/// A new call: `offer` with a fresh call-id, then `delete`, which must find it.
async fn offer_delete(
    ng: &impl NgCommands,
    sdp: &str,
    offer: &OfferOptions,
    delete: &DeleteOptions,
) {
    let call_id = format!("bench-{}", CALLS.fetch_add(1, Ordering::Relaxed));
    ng.offer(sdp, &call_id, "tag-a", offer)
        .await
        .expect("offer");
    let stats = ng.delete(&call_id, "tag-a", delete).await.expect("delete");
    assert!(stats.has_call(), "the delete found call {call_id}");
}

/// The daemon's own count of a command.
async fn count(daemon: &Rtpengine, command: &str) -> u64 {
    let client = Client::connect(&daemon.udp_url()).await.expect("client");
    client
        .statistics()
        .await
        .expect("statistics")
        .command_count(command)
        .unwrap_or(0)
}

fn cluster_benches(c: &mut Criterion) {
    let daemons = Rtpengine::builder()
        .start_many(3)
        .unwrap_or_else(|e| panic!("start 3 rtpengine daemons: {e}"));
    eprintln!(
        "rtpengine {} (3 daemons: {})",
        daemons[0].version(),
        daemons
            .iter()
            .map(Rtpengine::udp_url)
            .collect::<Vec<_>>()
            .join(", ")
    );
    let rt = runtime();
    let urls: Vec<String> = daemons.iter().map(Rtpengine::udp_url).collect();
    let (clients, cluster_1, cluster_3) = rt.block_on(async {
        let mut clients = Vec::new();
        for url in &urls {
            clients.push(Client::connect(url).await.expect("client"));
        }
        let one = Cluster::connect([urls[0].clone()])
            .await
            .expect("one-node cluster");
        let three = Cluster::connect(urls.clone())
            .await
            .expect("three-node cluster");
        for ng in [&one, &three] {
            ng.ping().await.expect("the cluster answers");
        }
        for c in &clients {
            c.ping().await.expect("the daemon answers");
        }
        (clients, one, three)
    });

    let client = &clients[0];
    let measurement = |group: &mut criterion::BenchmarkGroup<'_, _>| {
        group.sample_size(20).warm_up_time(Duration::from_secs(1));
    };

    // (a) One ping.
    let mut group = c.benchmark_group("cluster_ping");
    measurement(&mut group);
    group.bench_function(BenchmarkId::from_parameter("client"), |b| {
        b.to_async(&rt).iter(|| ping_once(client))
    });
    group.bench_function(BenchmarkId::from_parameter("cluster_1"), |b| {
        b.to_async(&rt).iter(|| ping_once(&cluster_1))
    });
    group.bench_function(BenchmarkId::from_parameter("cluster_3"), |b| {
        b.to_async(&rt).iter(|| ping_once(&cluster_3))
    });
    group.bench_function(BenchmarkId::from_parameter("clients_3"), |b| {
        b.to_async(&rt).iter(|| ping_once(pick(&clients)))
    });
    group.finish();

    // (b) A new call: offer + delete.
    let sdp = sdp_audio("192.0.2.10", 40000, 1);
    let offer = OfferOptions::new();
    let delete = DeleteOptions::new();
    let offers_before = rt.block_on(async {
        let mut v = Vec::new();
        for d in &daemons {
            v.push(count(d, "offer").await);
        }
        v
    });
    let mut group = c.benchmark_group("cluster_offer_delete");
    measurement(&mut group);
    group.bench_function(BenchmarkId::from_parameter("client"), |b| {
        b.to_async(&rt)
            .iter(|| offer_delete(client, &sdp, &offer, &delete))
    });
    group.bench_function(BenchmarkId::from_parameter("cluster_1"), |b| {
        b.to_async(&rt)
            .iter(|| offer_delete(&cluster_1, &sdp, &offer, &delete))
    });
    let offers_mid = rt.block_on(async {
        let mut v = Vec::new();
        for d in &daemons {
            v.push(count(d, "offer").await);
        }
        v
    });
    group.bench_function(BenchmarkId::from_parameter("cluster_3"), |b| {
        b.to_async(&rt)
            .iter(|| offer_delete(&cluster_3, &sdp, &offer, &delete))
    });
    let offers_after = rt.block_on(async {
        let mut v = Vec::new();
        for d in &daemons {
            v.push(count(d, "offer").await);
        }
        v
    });
    group.bench_function(BenchmarkId::from_parameter("clients_3"), |b| {
        b.to_async(&rt)
            .iter(|| offer_delete(pick(&clients), &sdp, &offer, &delete))
    });
    group.finish();
    // (c) 64 pings in flight.
    let mut group = c.benchmark_group("cluster_ping_64");
    measurement(&mut group);
    group.throughput(criterion::Throughput::Elements(IN_FLIGHT as u64));
    group.bench_function(BenchmarkId::from_parameter("client"), |b| {
        b.to_async(&rt)
            .iter(|| ping_many(|| client.clone(), IN_FLIGHT))
    });
    group.bench_function(BenchmarkId::from_parameter("cluster_1"), |b| {
        b.to_async(&rt)
            .iter(|| ping_many(|| cluster_1.clone(), IN_FLIGHT))
    });
    group.bench_function(BenchmarkId::from_parameter("cluster_3"), |b| {
        b.to_async(&rt)
            .iter(|| ping_many(|| cluster_3.clone(), IN_FLIGHT))
    });
    group.bench_function(BenchmarkId::from_parameter("clients_3"), |b| {
        b.to_async(&rt)
            .iter(|| ping_many(|| pick(&clients).clone(), IN_FLIGHT))
    });
    group.finish();

    // In-process: the call → node table (the reachable part of the routing decision).
    let token = cluster_3.nodes()[1].token.clone();
    for i in 0..10_000 {
        cluster_3
            .assign(&format!("known-{i}"), &token)
            .expect("assign");
    }
    let mut group = c.benchmark_group("cluster_affinity");
    group
        .sample_size(50)
        .warm_up_time(Duration::from_millis(500));
    group.bench_function("route_of_known", |b| {
        b.iter(|| {
            cluster_3
                .route_of(std::hint::black_box("known-4242"))
                .expect("known")
        })
    });
    group.bench_function("route_of_unknown", |b| {
        b.iter(|| cluster_3.route_of(std::hint::black_box("unknown-4242")))
    });
    group.bench_function("assign_forget", |b| {
        b.iter(|| {
            cluster_3
                .assign(std::hint::black_box("fresh-call"), &token)
                .expect("assign");
            cluster_3.forget(std::hint::black_box("fresh-call"))
        })
    });
    group.finish();
    for i in 0..10_000 {
        cluster_3.forget(&format!("known-{i}"));
    }

    assert_eq!(
        cluster_1.known_calls(),
        0,
        "every deleted call was forgotten"
    );
    assert_eq!(
        cluster_3.known_calls(),
        0,
        "every deleted call was forgotten"
    );
    let spread: Vec<String> = (0..daemons.len())
        .map(|i| format!("daemon {i}: {}", offers_after[i] - offers_mid[i]))
        .collect();
    eprintln!(
        "offers: client + cluster_1 (daemon 0): {}; cluster_3 spread: {}",
        offers_mid[0] - offers_before[0],
        spread.join(", ")
    );
    for (i, n) in cluster_3.nodes().iter().enumerate() {
        eprintln!(
            "cluster_3 node {i}: breaker {}, {} requests, {} errors",
            n.breaker, n.requests, n.errors
        );
    }
    drop((clients, cluster_1, cluster_3));
    drop(rt);
    drop(daemons);
}

criterion_group!(benches, cluster_benches);
criterion_main!(benches);
