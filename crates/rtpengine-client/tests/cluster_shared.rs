//! Two proxies sharing the call → node table through a real `redis-server` (feature `redis`),
//! with real rtpengine daemons: a call one proxy placed is found by the other even when their
//! node lists differ (where placement alone would look elsewhere), also after the shared
//! entry's TTL as long as the call is used, and its final delete removes the shared entry.

use std::time::Duration;

use rtpengine_client::{
    Cluster, DeleteOptions, NgCommands, OfferOptions, QueryOptions, DEFAULT_SHARED_AFFINITY_PREFIX,
};
use rtpengine_testkit::rtp::sdp_audio;
use rtpengine_testkit::{RedisServer, Rtpengine};

async fn proxy(redis: &RedisServer, nodes: &[String]) -> Cluster {
    proxy_with_ttl(redis, nodes, rtpengine_client::DEFAULT_AFFINITY_TTL).await
}

async fn proxy_with_ttl(redis: &RedisServer, nodes: &[String], ttl: Duration) -> Cluster {
    Cluster::builder()
        .nodes(nodes.iter().cloned())
        .timeout(Duration::from_secs(2))
        .affinity(ttl, 1000)
        .shared_affinity(redis.url(0))
        .build()
        .await
        .expect("cluster with a shared table")
}

/// A private redis-server and three rtpengine daemons (kept alive by the caller), with the
/// daemons' URLs.
fn redis_and_three_daemons() -> (RedisServer, Vec<Rtpengine>, Vec<String>) {
    let redis = RedisServer::start().unwrap_or_else(|e| panic!("start redis-server: {e}"));
    let daemons = Rtpengine::builder()
        .start_many(3)
        .unwrap_or_else(|e| panic!("start rtpengine: {e}"));
    let urls = daemons.iter().map(Rtpengine::udp_url).collect();
    (redis, daemons, urls)
}

/// Proxy two's node list: proxy one's, plus a heavily weighted third node where placement
/// alone would send most calls.
fn with_heavy_third(urls: &[String]) -> Vec<String> {
    let mut nodes = urls[..2].to_vec();
    nodes.push(format!("{}?weight=50", urls[2]));
    nodes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_placed_by_one_proxy_is_found_by_another_whose_nodes_differ() {
    let (redis, _daemons, urls) = redis_and_three_daemons();
    let one = proxy(&redis, &urls[..2]).await;
    // The second proxy also knows a third node, heavily weighted: placement alone would send
    // most follow-ups there, where the calls are not.
    let two = proxy(&redis, &with_heavy_third(&urls)).await;
    let calls: Vec<String> = (0..40).map(|i| format!("shared-{i}")).collect();
    for (i, id) in calls.iter().enumerate() {
        let sdp = sdp_audio("192.0.2.10", 40000 + 2 * i as u16, 1);
        one.offer(sdp, id, "tag-a", &OfferOptions::new())
            .await
            .expect("offer");
    }
    let keys = redis.keys(0).expect("keys");
    assert_eq!(keys.len(), 40, "one shared entry per call: {keys:?}");
    assert!(keys
        .iter()
        .all(|k| k.starts_with(DEFAULT_SHARED_AFFINITY_PREFIX)));
    for id in &calls {
        let stats = two.query(id, &QueryOptions::new()).await.expect("query");
        assert!(
            stats.has_call(),
            "{id}: the second proxy found the call on its node"
        );
        assert_eq!(two.route_of(id), one.route_of(id));
    }
    let third = rtpengine_client::Client::connect(&urls[2])
        .await
        .expect("client");
    let stats = third.statistics().await.expect("statistics");
    assert_eq!(
        stats.command_count("query").unwrap_or(0),
        0,
        "nothing went to the third node"
    );
    // The final delete, from the second proxy, removes the shared entry.
    for id in &calls {
        let deleted = two
            .delete(id, "tag-a", &DeleteOptions::new())
            .await
            .expect("delete");
        assert!(deleted.has_call());
    }
    assert_eq!(redis.keys(0).expect("keys"), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn build_fails_clearly_when_redis_does_not_answer() {
    let daemon = Rtpengine::start().unwrap_or_else(|e| panic!("start rtpengine: {e}"));
    // A port nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = closed.local_addr().expect("addr").port();
    drop(closed);
    let e = Cluster::builder()
        .node(daemon.udp_url())
        .shared_affinity(format!("redis://127.0.0.1:{port}/0"))
        .build()
        .await
        .expect_err("no Redis");
    assert!(e.to_string().contains("Redis"), "{e}");
}

/// A call longer than the table's TTL keeps its shared entry while it is used: each proxy
/// rewrites the entry a quarter of the TTL after its last write, so another proxy finds the
/// call after the TTL has passed (with a 2 s TTL, after 3.2 s of follow-ups).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_in_use_keeps_its_shared_entry_past_the_ttl() {
    let (redis, _daemons, urls) = redis_and_three_daemons();
    let ttl = Duration::from_secs(2);
    let one = proxy_with_ttl(&redis, &urls[..2], ttl).await;
    let calls: Vec<String> = (0..8).map(|i| format!("long-{i}")).collect();
    for (i, id) in calls.iter().enumerate() {
        let sdp = sdp_audio("192.0.2.10", 40000 + 2 * i as u16, 1);
        one.offer(sdp, id, "tag-a", &OfferOptions::new())
            .await
            .expect("offer");
    }
    // Follow-ups every 400 ms for 3.2 s (the entries were written once, at the offer).
    for _ in 0..8 {
        tokio::time::sleep(Duration::from_millis(400)).await;
        for id in &calls {
            assert!(one
                .query(id, &QueryOptions::new())
                .await
                .expect("query")
                .has_call());
        }
    }
    let keys = redis.keys(0).expect("keys");
    assert_eq!(keys.len(), calls.len(), "alive past the 2 s TTL: {keys:?}");
    let two = proxy_with_ttl(&redis, &with_heavy_third(&urls), ttl).await;
    for id in &calls {
        assert!(
            two.query(id, &QueryOptions::new())
                .await
                .expect("query")
                .has_call(),
            "{id}: found through Redis"
        );
        assert_eq!(two.route_of(id), one.route_of(id));
    }
    // Unused, the entries expire with the TTL.
    tokio::time::sleep(ttl + Duration::from_millis(600)).await;
    assert_eq!(redis.keys(0).expect("keys"), Vec::<String>::new());
}
