//! A `Cluster` over rtpengine's own Redis HA, with real daemons and a real `redis-server`: node A
//! writes database 1 and subscribes to 2, node B the reverse (the layout of
//! ../shared/reference/redis-ha.md). A call offered on A continues on B when A dies.

use std::time::{Duration, Instant};

use rtpengine_client::{
    Answer, Cluster, ClusterEvent, DeleteOptions, Error, NgCommands, OfferOptions, QueryOptions,
};
use rtpengine_testkit::rtp::sdp_audio;
use rtpengine_testkit::{RedisServer, Rtpengine};

mod cluster_common;
use cluster_common::{builder, command_count, next_event};

struct Ha {
    _redis: RedisServer,
    a: Rtpengine,
    b: Rtpengine,
}

fn start_ha() -> Ha {
    let redis = RedisServer::start().unwrap_or_else(|e| panic!("start redis-server: {e}"));
    let a = Rtpengine::builder()
        .redis(&redis, 1, &[2])
        .start()
        .unwrap_or_else(|e| panic!("start rtpengine A: {e}"));
    let b = Rtpengine::builder()
        .redis(&redis, 2, &[1])
        .start()
        .unwrap_or_else(|e| panic!("start rtpengine B: {e}"));
    Ha {
        _redis: redis,
        a,
        b,
    }
}

/// A first (tier 0), B only when A cannot take a call; `ha` declares them peers.
async fn cluster(ha: &Ha, peers: bool) -> Cluster {
    let a = format!("{}?tier=0", ha.a.udp_url());
    let b = format!("{}?tier=1", ha.b.udp_url());
    let mut builder = builder([a, b]);
    if peers {
        builder = builder.ha_peers([ha.a.udp_url(), ha.b.udp_url()]);
    }
    builder.build().await.expect("cluster")
}

async fn wait_until_listed(cluster: &Cluster, node: &str, call_id: &str) {
    let client = cluster.node_client(node).expect("node");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let calls = client.list(Some(1000)).await.expect("list");
        if calls.iter().any(|c| c == call_id) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{node} never learned {call_id} through Redis"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_of_a_dead_node_continue_on_its_ha_peer_and_stay_there() {
    let mut ha = start_ha();
    let (a_url, b_url) = (ha.a.udp_url(), ha.b.udp_url());
    let cluster = cluster(&ha, true).await;
    let mut events = cluster.events();
    let offer = sdp_audio("192.0.2.10", 40000, 1);
    for call in ["ha-x", "ha-y"] {
        cluster
            .offer(&offer, call, "tag-a", &OfferOptions::new())
            .await
            .expect("offer");
        assert_eq!(cluster.route_of(call).expect("placed").url, a_url);
        wait_until_listed(&cluster, &b_url, call).await;
    }
    // A call A never had, recorded on A (as from another proxy's dialog state).
    let a_token = cluster.route_of("ha-x").expect("placed").node;
    cluster.assign("ha-ghost", &a_token).expect("assign");

    ha.a.kill().expect("kill A");
    let down_at = Instant::now();
    next_event(
        &mut events,
        |e| matches!(e, ClusterEvent::NodeDown { node, .. } if *node == a_url),
    )
    .await;
    eprintln!("A seen down after {:?}", down_at.elapsed());

    // The answer goes to B unchanged, and says the call moved.
    let answer_sdp = sdp_audio("192.0.2.20", 42000, 2);
    let options = OfferOptions::new();
    let answer = Answer {
        sdp: answer_sdp.as_bytes(),
        call_id: "ha-x",
        from_tag: "tag-a",
        to_tag: "tag-b",
        options: &options,
    };
    let started = Instant::now();
    let routed = cluster.send_routed(&answer).await.expect("answer on B");
    eprintln!("answer of a moved call took {:?}", started.elapsed());
    assert!(routed.moved);
    assert_eq!(routed.url, b_url);
    assert!(routed.reply.get("sdp").is_some(), "B rewrote the answer");
    let moved = next_event(&mut events, |e| matches!(e, ClusterEvent::CallMoved { .. })).await;
    assert_eq!(
        moved,
        ClusterEvent::CallMoved {
            call_id: "ha-x".into(),
            from: a_url.clone(),
            to: b_url.clone()
        }
    );
    let route = cluster.route_of("ha-x").expect("known");
    assert!(route.moved && route.url == b_url);
    assert_eq!(command_count(&b_url, "answer").await, 1);
    let stats = cluster
        .query("ha-x", &QueryOptions::new())
        .await
        .expect("query on B");
    assert!(stats.has_call());
    assert_eq!(command_count(&b_url, "query").await, 1);

    // y moves on its first request too.
    let y = cluster
        .query("ha-y", &QueryOptions::new())
        .await
        .expect("query y on B");
    assert!(y.has_call());
    assert!(cluster.route_of("ha-y").expect("known").moved);

    // A call B does not know is lost, clearly.
    let e = cluster
        .query("ha-ghost", &QueryOptions::new())
        .await
        .expect_err("lost");
    assert!(
        matches!(&e, Error::CallLost { node, call_id } if *node == b_url && call_id == "ha-ghost"),
        "{e}"
    );
    assert!(e.is_node_down());

    // A returns; the moved calls stay on B (no split brain).
    ha.a.restart().expect("restart A");
    next_event(
        &mut events,
        |e| matches!(e, ClusterEvent::NodeUp { node, .. } if *node == a_url),
    )
    .await;
    let y = cluster
        .query("ha-y", &QueryOptions::new())
        .await
        .expect("query y");
    assert!(y.has_call());
    assert_eq!(
        cluster.route_of("ha-y").expect("known").url,
        b_url,
        "y moved to B and stays there"
    );
    assert!(cluster.route_of("ha-x").expect("known").moved);
    let answers_on_a = command_count(&a_url, "answer").await;
    cluster
        .answer(&answer_sdp, "ha-x", "tag-a", "tag-b", &OfferOptions::new())
        .await
        .expect("re-answer");
    assert_eq!(
        command_count(&a_url, "answer").await,
        answers_on_a,
        "nothing back to A"
    );
    for call in ["ha-x", "ha-y"] {
        let deleted = cluster
            .delete(call, "tag-a", &DeleteOptions::new())
            .await
            .expect("delete on B");
        assert!(deleted.has_call(), "{call} deleted on B");
        assert!(cluster.route_of(call).is_none());
    }
    // New calls go to A again, the best tier.
    cluster
        .offer(&offer, "ha-new", "tag-a", &OfferOptions::new())
        .await
        .expect("offer");
    assert_eq!(cluster.route_of("ha-new").expect("placed").url, a_url);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_ha_peers_the_calls_of_a_dead_node_fail_fast() {
    let mut ha = start_ha();
    let a_url = ha.a.udp_url();
    let cluster = cluster(&ha, false).await;
    let mut events = cluster.events();
    cluster
        .offer(
            sdp_audio("192.0.2.10", 40000, 1),
            "solo",
            "tag-a",
            &OfferOptions::new(),
        )
        .await
        .expect("offer");
    ha.a.kill().expect("kill A");
    next_event(
        &mut events,
        |e| matches!(e, ClusterEvent::NodeDown { node, .. } if *node == a_url),
    )
    .await;
    let started = Instant::now();
    let e = cluster
        .answer(
            sdp_audio("192.0.2.20", 42000, 2),
            "solo",
            "tag-a",
            "tag-b",
            &OfferOptions::new(),
        )
        .await
        .expect_err("A is down");
    assert!(
        started.elapsed() < Duration::from_millis(50),
        "{:?}",
        started.elapsed()
    );
    assert!(
        matches!(&e, Error::NodeDown { node, call_id } if *node == a_url && call_id == "solo"),
        "{e}"
    );
    // B knows the call (Redis), but without declared peers the cluster does not move it.
    assert_eq!(command_count(&ha.b.udp_url(), "answer").await, 0);
}
