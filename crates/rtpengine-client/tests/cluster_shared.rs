//! Two proxies sharing the call → node table through a real `redis-server` (feature `redis`),
//! with real rtpengine daemons: a call one proxy placed is found by the other even when their
//! node lists differ (where placement alone would look elsewhere), and its final delete removes
//! the shared entry.

use std::time::Duration;

use rtpengine_client::{
    Cluster, DeleteOptions, NgCommands, OfferOptions, QueryOptions, DEFAULT_SHARED_AFFINITY_PREFIX,
};
use rtpengine_testkit::rtp::sdp_audio;
use rtpengine_testkit::{RedisServer, Rtpengine};

async fn proxy(redis: &RedisServer, nodes: &[String]) -> Cluster {
    Cluster::builder()
        .nodes(nodes.iter().cloned())
        .timeout(Duration::from_secs(2))
        .shared_affinity(redis.url(0))
        .build()
        .await
        .expect("cluster with a shared table")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_placed_by_one_proxy_is_found_by_another_whose_nodes_differ() {
    let redis = RedisServer::start().unwrap_or_else(|e| panic!("start redis-server: {e}"));
    let daemons = Rtpengine::builder()
        .start_many(3)
        .unwrap_or_else(|e| panic!("start rtpengine: {e}"));
    let urls: Vec<String> = daemons.iter().map(Rtpengine::udp_url).collect();
    let one = proxy(&redis, &urls[..2]).await;
    // The second proxy also knows a third node, heavily weighted: placement alone would send
    // most follow-ups there, where the calls are not.
    let mut two_nodes = urls[..2].to_vec();
    two_nodes.push(format!("{}?weight=50", urls[2]));
    let two = proxy(&redis, &two_nodes).await;
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
