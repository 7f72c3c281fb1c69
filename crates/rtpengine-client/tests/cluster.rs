//! A `Cluster` of real rtpengine daemons: placement spread, adding a node, drain, overload
//! failover, a node killed under load, re-admission, two proxies agreeing. (HA with Redis:
//! `cluster_ha.rs`.)

use std::collections::HashMap;
use std::time::{Duration, Instant};

use rtpengine_client::{
    Cluster, ClusterEvent, DeleteOptions, Error, NgCommands, NodeToken, OfferOptions, QueryOptions,
};
use rtpengine_testkit::rtp::sdp_audio;
use rtpengine_testkit::Rtpengine;

mod cluster_common;
use cluster_common::{builder, command_count, ids, next_event, routed_offer, sdp, start, urls};

/// The daemon's own count of a command.
async fn count(daemon: &Rtpengine, command: &str) -> u64 {
    command_count(&daemon.udp_url(), command).await
}

async fn counts(daemons: &[Rtpengine], command: &str) -> Vec<u64> {
    let mut out = Vec::new();
    for d in daemons {
        out.push(count(d, command).await);
    }
    out
}

/// Offers and deletes calls `ids` through the cluster, 16 at a time (an offer takes 4 of a
/// daemon's 200 media ports); the node of each.
async fn offer_and_delete(cluster: &Cluster, ids: &[String]) -> HashMap<String, NodeToken> {
    let mut nodes = HashMap::new();
    for chunk in ids.chunks(16) {
        let mut tasks = Vec::new();
        for (i, id) in chunk.iter().enumerate() {
            let cluster = cluster.clone();
            let id = id.clone();
            tasks.push(tokio::spawn(async move {
                let routed = routed_offer(&cluster, &id, i as u32).await.expect("offer");
                let deleted = cluster
                    .delete(&id, "tag-a", &DeleteOptions::new())
                    .await
                    .expect("delete");
                assert!(deleted.has_call(), "the delete found the call on its node");
                assert!(
                    cluster.route_of(&id).is_none(),
                    "a deleted call is forgotten"
                );
                (id, routed.node)
            }));
        }
        for t in tasks {
            let (id, node) = t.await.expect("task");
            nodes.insert(id, node);
        }
    }
    nodes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_calls_spread_by_weight_over_3000_calls() {
    let daemons = start(3);
    let weights = [1u32, 2, 1];
    let cluster = builder(
        daemons
            .iter()
            .zip(weights)
            .map(|(d, w)| format!("{}?weight={w}", d.udp_url())),
    )
    .build()
    .await
    .expect("cluster");
    let placed = offer_and_delete(&cluster, &ids("spread", 3000)).await;
    assert_eq!(placed.len(), 3000);
    let offers = counts(&daemons, "offer").await;
    let deletes = counts(&daemons, "delete").await;
    let total: u32 = weights.iter().sum();
    for (i, (&offers, &w)) in offers.iter().zip(&weights).enumerate() {
        let expected = 3000.0 * f64::from(w) / f64::from(total);
        let off = (offers as f64 - expected).abs() / expected;
        eprintln!("node {i}: weight {w}, {offers} offers (expected {expected}, off {off:.3})");
        assert!(
            off <= 0.10,
            "node {i}: {offers} offers, expected {expected} ± 10 %"
        );
    }
    // Every delete followed its call to the node that held it.
    assert_eq!(offers, deletes);
    assert_eq!(offers.iter().sum::<u64>(), 3000);
    for status in cluster.nodes() {
        assert_eq!(status.errors, 0, "{status:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fourth_node_takes_a_fair_share_of_new_calls_and_no_live_call() {
    let mut daemons = start(4);
    let fourth = daemons.pop().expect("four");
    let cluster = builder(urls(&daemons)).build().await.expect("cluster");
    // Live calls, kept through the change.
    let live = ids("live", 60);
    for (i, id) in live.iter().enumerate() {
        cluster
            .offer(sdp(i as u32), id, "tag-a", &OfferOptions::new())
            .await
            .expect("offer");
    }
    let probe = ids("probe", 1000);
    let before = offer_and_delete(&cluster, &probe).await;
    let token = cluster.add_node(&fourth.udp_url()).await.expect("add");
    let after = offer_and_delete(&cluster, &probe).await;
    let moved: Vec<&String> = probe
        .iter()
        .filter(|id| before[*id] != after[*id])
        .collect();
    let share = moved.len() as f64 / probe.len() as f64;
    eprintln!(
        "a fourth node: {} of 1000 placements moved ({share:.3})",
        moved.len()
    );
    assert!(share <= 0.30, "{share}");
    assert!(share >= 0.18, "the new node takes about a quarter: {share}");
    assert!(
        moved.iter().all(|id| after[*id] == token),
        "moves go to the new node only"
    );
    assert_eq!(count(&fourth, "offer").await, moved.len() as u64);
    // No live call moved: each follow-up reaches the node that has it; the new node saw none.
    for id in &live {
        let stats = cluster
            .query(id, &QueryOptions::new())
            .await
            .expect("query");
        assert!(stats.has_call(), "{id} still found");
        assert_ne!(cluster.route_of(id).expect("known").node, token);
    }
    assert_eq!(count(&fourth, "query").await, 0);
    for id in &live {
        cluster
            .delete(id, "tag-a", &DeleteOptions::new())
            .await
            .expect("delete");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_clusters_with_the_same_nodes_agree_without_talking() {
    let daemons = start(3);
    let one = builder(urls(&daemons)).build().await.expect("cluster");
    // The other proxy lists the nodes in another order.
    let mut reversed = urls(&daemons);
    reversed.reverse();
    let two = builder(reversed).build().await.expect("cluster");
    let calls = ids("agree", 60);
    for (i, id) in calls.iter().enumerate() {
        one.offer(sdp(i as u32), id, "tag-a", &OfferOptions::new())
            .await
            .expect("offer");
    }
    // The second proxy never saw these calls: placement sends each query where the first put it.
    for id in &calls {
        let stats = two.query(id, &QueryOptions::new()).await.expect("query");
        assert!(stats.has_call(), "{id}: the second proxy found the call");
        assert_eq!(two.route_of(id), one.route_of(id));
        two.delete(id, "tag-a", &DeleteOptions::new())
            .await
            .expect("delete");
    }
    assert_eq!(counts(&daemons, "query").await.iter().sum::<u64>(), 60);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drain_keeps_existing_calls_and_sends_new_ones_elsewhere() {
    let daemons = start(2);
    let cluster = builder(urls(&daemons)).build().await.expect("cluster");
    let live = ids("drain-live", 20);
    for (i, id) in live.iter().enumerate() {
        cluster
            .offer(sdp(i as u32), id, "tag-a", &OfferOptions::new())
            .await
            .expect("offer");
    }
    let a = &daemons[0];
    let on_a: Vec<&String> = live
        .iter()
        .filter(|id| cluster.route_of(id).expect("known").url == a.udp_url())
        .collect();
    assert!(!on_a.is_empty(), "some calls on A");
    cluster.drain(&a.udp_url()).expect("drain");
    let offers_on_a = count(a, "offer").await;
    offer_and_delete(&cluster, &ids("drain-new", 100)).await;
    assert_eq!(
        count(a, "offer").await,
        offers_on_a,
        "no new call on a draining node"
    );
    // A's calls continue on A: answer, query, delete.
    for id in &on_a {
        let answer = sdp_audio("192.0.2.20", 42000, 7);
        cluster
            .answer(answer, id, "tag-a", "tag-b", &OfferOptions::new())
            .await
            .expect("answer on the draining node");
        assert!(cluster
            .delete(id, "tag-a", &DeleteOptions::new())
            .await
            .expect("delete")
            .has_call());
    }
    assert_eq!(count(a, "answer").await, on_a.len() as u64);
    cluster.enable(&a.udp_url()).expect("enable");
    offer_and_delete(&cluster, &ids("drain-back", 100)).await;
    assert!(count(a, "offer").await > offers_on_a, "enabled again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overload_answers_fail_over_to_the_next_node() {
    let a = Rtpengine::builder()
        .max_sessions(2)
        .start()
        .expect("start rtpengine");
    let b = Rtpengine::start().expect("start rtpengine");
    // Tiers make the order certain: A first, B only when A cannot take the call.
    let cluster = builder([
        format!("{}?tier=0", a.udp_url()),
        format!("{}?tier=1", b.udp_url()),
    ])
    .build()
    .await
    .expect("cluster");
    let mut events = cluster.events();
    for i in 0..10u32 {
        let id = format!("overload-{i}");
        let started = Instant::now();
        cluster
            .offer(sdp(i), &id, "tag-a", &OfferOptions::new())
            .await
            .expect("every offer succeeds somewhere");
        assert!(
            started.elapsed() < Duration::from_millis(500),
            "no deadline spent"
        );
    }
    let on_a = cluster
        .node_client(&a.udp_url())
        .unwrap()
        .list(None)
        .await
        .unwrap();
    let on_b = cluster
        .node_client(&b.udp_url())
        .unwrap()
        .list(None)
        .await
        .unwrap();
    assert_eq!(
        (on_a.len(), on_b.len()),
        (2, 8),
        "A took its two sessions, B the rest"
    );
    let failover = next_event(&mut events, |e| matches!(e, ClusterEvent::Failover { .. })).await;
    let ClusterEvent::Failover { reason, .. } = failover else {
        unreachable!()
    };
    assert!(reason.contains("limit"), "{reason}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_killed_under_load_costs_no_new_call_and_its_calls_fail_fast() {
    let mut daemons = start(3);
    let cluster = builder(urls(&daemons)).build().await.expect("cluster");
    let mut events = cluster.events();
    let live = ids("kill-live", 60);
    for (i, id) in live.iter().enumerate() {
        cluster
            .offer(sdp(i as u32), id, "tag-a", &OfferOptions::new())
            .await
            .expect("offer");
    }
    let victim_url = daemons[0].udp_url();
    let on_victim: Vec<String> = live
        .iter()
        .filter(|id| cluster.route_of(id).expect("known").url == victim_url)
        .cloned()
        .collect();
    assert!(!on_victim.is_empty());
    // Load: 300 new calls in flight while the node dies.
    let load = {
        let cluster = cluster.clone();
        tokio::spawn(async move {
            let mut worst = Duration::ZERO;
            let mut handles = Vec::new();
            for (i, id) in ids("kill-new", 300).into_iter().enumerate() {
                let cluster = cluster.clone();
                handles.push(tokio::spawn(async move {
                    let started = Instant::now();
                    let result = cluster
                        .offer(sdp(i as u32), &id, "tag-a", &OfferOptions::new())
                        .await;
                    let took = started.elapsed();
                    // Free the ports (the node may be the dead one: then the call is lost with it).
                    if result.is_ok() {
                        let _ = cluster.delete(&id, "tag-a", &DeleteOptions::new()).await;
                    }
                    (result, took)
                }));
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            let mut failed = Vec::new();
            for h in handles {
                let (result, took) = h.await.expect("task");
                worst = worst.max(took);
                if let Err(e) = result {
                    failed.push(e);
                }
            }
            (failed, worst)
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let killed_at = Instant::now();
    daemons[0].kill().expect("kill");
    next_event(
        &mut events,
        |e| matches!(e, ClusterEvent::NodeDown { node, .. } if *node == victim_url),
    )
    .await;
    let detected = killed_at.elapsed();
    let (failed, worst) = load.await.expect("load");
    eprintln!("kill under load: detected in {detected:?}, worst new call {worst:?}");
    assert!(failed.is_empty(), "every new call succeeded: {failed:?}");
    // The dead daemon's port refuses, so no new call waits half its deadline there (1 s, what
    // a hung node costs), and the refusals take the node down before a ping would.
    assert!(worst < Duration::from_millis(900), "{worst:?}");
    assert!(detected < Duration::from_millis(500), "{detected:?}");
    // Follow-ups of the dead node's calls fail fast, naming node and call.
    for id in &on_victim {
        let started = Instant::now();
        let e = cluster
            .query(id, &QueryOptions::new())
            .await
            .expect_err("the call's node is down");
        assert!(
            started.elapsed() < Duration::from_millis(50),
            "{:?}",
            started.elapsed()
        );
        assert!(
            matches!(&e, Error::NodeDown { node, call_id } if *node == victim_url && call_id == id),
            "{e}"
        );
    }
    // The other calls are untouched.
    for id in live.iter().filter(|id| !on_victim.contains(id)) {
        assert!(cluster
            .query(id, &QueryOptions::new())
            .await
            .expect("query")
            .has_call());
    }
    // The node comes back: the breaker re-admits it and it takes new calls again.
    let restarted_at = Instant::now();
    daemons[0].restart().expect("restart");
    next_event(
        &mut events,
        |e| matches!(e, ClusterEvent::NodeUp { node, .. } if *node == victim_url),
    )
    .await;
    let recovery = restarted_at.elapsed();
    eprintln!("re-admitted {recovery:?} after the restart");
    let before = count(&daemons[0], "offer").await;
    offer_and_delete(&cluster, &ids("kill-back", 60)).await;
    assert!(
        count(&daemons[0], "offer").await > before,
        "new calls reach the node again"
    );
}

/// Daemon A (tier 0) and its backup B (tier 1) in a cluster whose pings are slower than the
/// test, so only requests find what happens to A.
async fn primary_and_backup() -> (Rtpengine, Rtpengine, Cluster) {
    let a = Rtpengine::start().expect("start rtpengine");
    let b = Rtpengine::start().expect("start rtpengine");
    let cluster = builder([
        format!("{}?tier=0", a.udp_url()),
        format!("{}?tier=1", b.udp_url()),
    ])
    .ping(Duration::from_secs(30), Duration::from_millis(300))
    .build()
    .await
    .expect("cluster");
    (a, b, cluster)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_node_gets_half_the_deadline_and_the_next_node_the_rest() {
    let (mut a, b, cluster) = primary_and_backup().await;
    let mut events = cluster.events();
    a.stop().expect("SIGSTOP A");
    let started = Instant::now();
    let routed = routed_offer(&cluster, "hung-1", 1)
        .await
        .expect("B takes the call");
    let took = started.elapsed();
    a.cont().expect("SIGCONT A");
    eprintln!("failover from a hung node took {took:?} of a 2 s deadline");
    assert_eq!(
        (routed.url.as_str(), routed.attempts),
        (b.udp_url().as_str(), 2)
    );
    assert!(
        took >= Duration::from_millis(990) && took < Duration::from_millis(1400),
        "A had half of the 2 s deadline: {took:?}"
    );
    let ClusterEvent::Failover {
        from, to, reason, ..
    } = next_event(&mut events, |e| matches!(e, ClusterEvent::Failover { .. })).await
    else {
        unreachable!()
    };
    assert_eq!((from, to), (a.udp_url(), b.udp_url()));
    assert!(reason.contains("no reply"), "{reason}");
}

/// A dead daemon on a live host is not a hang: its port draws ICMP port unreachable, which the
/// node's connected socket reports, so a new call placed there fails over in about a round
/// trip instead of half its deadline, and two refused requests open the breaker without any
/// ping.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_node_costs_a_new_call_a_round_trip_not_half_the_deadline() {
    let (mut a, b, cluster) = primary_and_backup().await;
    let mut events = cluster.events();
    routed_offer(&cluster, "dead-0", 0).await.expect("A up");
    a.kill().expect("SIGKILL A");
    let mut took = Vec::new();
    for i in 1..=2 {
        let started = Instant::now();
        let routed = routed_offer(&cluster, &format!("dead-{i}"), i)
            .await
            .expect("B takes the call");
        took.push(started.elapsed());
        assert_eq!(
            (routed.url.as_str(), routed.attempts),
            (b.udp_url().as_str(), 2),
            "A was tried first, then B"
        );
    }
    eprintln!("failover from a dead node took {took:?} of a 2 s deadline");
    // Half the deadline is what a hung node costs (the test above).
    assert!(
        took.iter().all(|t| *t < Duration::from_millis(300)),
        "{took:?}"
    );
    // Both failovers name the refusal, and the second refusal in a row took A down, before
    // any ping.
    let mut failovers = Vec::new();
    let mut down = false;
    while failovers.len() < 2 || !down {
        match next_event(&mut events, |_| true).await {
            ClusterEvent::Failover { from, reason, .. } => failovers.push((from, reason)),
            ClusterEvent::NodeDown { node, .. } => down |= node == a.udp_url(),
            _ => {}
        }
    }
    for (from, reason) in &failovers {
        assert_eq!(*from, a.udp_url());
        assert!(reason.contains("refused"), "{reason}");
    }
    let started = Instant::now();
    let routed = routed_offer(&cluster, "dead-3", 3).await.expect("B");
    assert_eq!((routed.url, routed.attempts), (b.udp_url(), 1), "A skipped");
    assert!(started.elapsed() < Duration::from_millis(300));
    let refusals = cluster.nodes()[0].stats.refusals;
    assert!(refusals >= 2, "A's client counted the refusals: {refusals}");
}

/// A node that is down when the cluster is built (here a `tcp://` node, whose client would
/// otherwise need its first connection) does not stop the cluster: it starts as a down node,
/// new calls go elsewhere at once, and it joins when its daemon comes up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_down_at_build_starts_down_and_joins_when_it_comes_back() {
    let mut a = Rtpengine::start().expect("start rtpengine");
    let b = Rtpengine::start().expect("start rtpengine");
    let a_url = format!("tcp://{}", a.ng_tcp_addr());
    a.kill().expect("SIGKILL A");
    let cluster = builder([a_url.clone(), b.udp_url()])
        .build()
        .await
        .expect("the cluster starts without A");
    let mut events = cluster.events();
    for (i, id) in ids("down-at-build", 20).iter().enumerate() {
        let started = Instant::now();
        let routed = routed_offer(&cluster, id, i as u32).await.expect("B");
        assert_eq!(routed.url, b.udp_url());
        assert!(
            started.elapsed() < Duration::from_millis(300),
            "{:?}",
            started.elapsed()
        );
    }
    assert_ne!(
        cluster.nodes()[0].breaker,
        rtpengine_client::BreakerState::Closed,
        "A is down"
    );
    a.restart().expect("start A on its ports");
    next_event(
        &mut events,
        |e| matches!(e, ClusterEvent::NodeUp { node, .. } if *node == a_url),
    )
    .await;
    let mut on_a = 0;
    for (i, id) in ids("after-up", 20).iter().enumerate() {
        let routed = routed_offer(&cluster, id, i as u32).await.expect("offer");
        on_a += usize::from(routed.url == a_url);
    }
    assert!(on_a > 0, "A takes new calls once up");
    assert_eq!(count(&a, "offer").await, on_a as u64, "A's own count");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_rtpengine_error_about_the_call_never_fails_over() {
    let daemons = start(2);
    let cluster = builder(urls(&daemons)).build().await.expect("cluster");
    // An answer for a call nobody has: the node placement picks says so, nobody else is asked.
    let e = cluster
        .answer(
            sdp(1),
            "never-offered",
            "tag-a",
            "tag-b",
            &OfferOptions::new(),
        )
        .await
        .expect_err("unknown call");
    assert!(e.is_rtpengine_error(), "{e}");
    assert_eq!(counts(&daemons, "answer").await.iter().sum::<u64>(), 1);
    // An offer rtpengine refuses (no SDP body it can parse) is not retried elsewhere either.
    let e = cluster
        .offer("not an SDP", "bad-sdp", "tag-a", &OfferOptions::new())
        .await
        .expect_err("refused");
    assert!(e.is_rtpengine_error(), "{e}");
    assert_eq!(counts(&daemons, "offer").await.iter().sum::<u64>(), 1);
    // Neither marks a node down: they are answers.
    for status in cluster.nodes() {
        assert_eq!(status.breaker, rtpengine_client::BreakerState::Closed);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_token_kept_in_dialog_state_routes_later_requests() {
    let daemons = start(3);
    let first = builder(urls(&daemons[..2])).build().await.expect("cluster");
    let calls = ids("token", 20);
    let mut tokens = Vec::new();
    for (i, id) in calls.iter().enumerate() {
        first
            .offer(sdp(i as u32), id, "tag-a", &OfferOptions::new())
            .await
            .expect("offer");
        // What an application stores in its dialog: text.
        tokens.push(first.route_of(id).expect("placed").node.to_string());
    }
    drop(first);
    // The proxy restarts with a third, heavily weighted node: placement alone would send most
    // of the calls' requests there, where they are not.
    let mut nodes = urls(&daemons[..2]);
    nodes.push(format!("{}?weight=50", daemons[2].udp_url()));
    let second = builder(nodes).build().await.expect("cluster");
    for (id, token) in calls.iter().zip(&tokens) {
        let token: NodeToken = token.parse().expect("a token reads back");
        second.assign(id, &token).expect("assign");
        let stats = second.query(id, &QueryOptions::new()).await.expect("query");
        assert!(stats.has_call(), "{id} found on its node");
    }
    assert_eq!(
        count(&daemons[2], "query").await,
        0,
        "nothing went to the third node"
    );
    // A token also forces a new call's node, draining or not.
    second.drain(&daemons[0].udp_url()).expect("drain");
    let a = second.nodes()[0].token.clone();
    let pinned = second.on(&a).expect("pinned view");
    pinned
        .offer(sdp(99), "token-forced", "tag-a", &OfferOptions::new())
        .await
        .expect("offer");
    assert_eq!(second.route_of("token-forced").expect("placed").node, a);
    assert!(second
        .on(&"n0000000000000000".parse().expect("token"))
        .is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_default_settings_a_dead_node_is_seen_down_within_3_s() {
    let mut daemons = start(2);
    let cluster = Cluster::connect(urls(&daemons)).await.expect("cluster");
    let mut events = cluster.events();
    // Let the first pings go out, as in a cluster that has been up a while.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let victim = daemons[0].udp_url();
    daemons[0].kill().expect("kill");
    let killed = Instant::now();
    next_event(
        &mut events,
        |e| matches!(e, ClusterEvent::NodeDown { node, .. } if *node == victim),
    )
    .await;
    let detected = killed.elapsed();
    eprintln!("default settings: a dead node seen down after {detected:?}");
    assert!(detected <= Duration::from_millis(3200), "{detected:?}");
    // The live one stays up.
    let live = &cluster.nodes()[1];
    assert_eq!(live.breaker, rtpengine_client::BreakerState::Closed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disabled_and_removed_nodes_fail_their_calls_fast_and_take_no_new_ones() {
    let daemons = start(3);
    let cluster = builder(urls(&daemons)).build().await.expect("cluster");
    let live = ids("admin", 30);
    for (i, id) in live.iter().enumerate() {
        cluster
            .offer(sdp(i as u32), id, "tag-a", &OfferOptions::new())
            .await
            .expect("offer");
    }
    let on = |url: &str| -> Vec<String> {
        live.iter()
            .filter(|id| cluster.route_of(id).expect("known").url == url)
            .cloned()
            .collect()
    };
    let (a, b) = (daemons[0].udp_url(), daemons[1].udp_url());
    let (on_a, on_b) = (on(&a), on(&b));
    assert!(!on_a.is_empty() && !on_b.is_empty());
    cluster.disable(&a).expect("disable");
    cluster.remove_node(&b).expect("remove");
    assert_eq!(cluster.nodes().len(), 2);
    for id in on_a.iter().chain(&on_b) {
        let started = Instant::now();
        let e = cluster
            .query(id, &QueryOptions::new())
            .await
            .expect_err("its node is out");
        assert!(started.elapsed() < Duration::from_millis(50));
        assert!(
            matches!(&e, Error::NodeDown { call_id, .. } if call_id == id),
            "{e}"
        );
    }
    let (offers_a, offers_b) = (
        count(&daemons[0], "offer").await,
        count(&daemons[1], "offer").await,
    );
    offer_and_delete(&cluster, &ids("admin-new", 40)).await;
    assert_eq!(
        count(&daemons[0], "offer").await,
        offers_a,
        "none on the disabled node"
    );
    assert_eq!(
        count(&daemons[1], "offer").await,
        offers_b,
        "none on the removed node"
    );
    // Enabled again, A serves its calls.
    cluster.enable(&a).expect("enable");
    for id in &on_a {
        assert!(cluster
            .query(id, &QueryOptions::new())
            .await
            .expect("query")
            .has_call());
    }
    assert!(matches!(cluster.drain(&b), Err(Error::UnknownNode { .. })));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_overload_reason_of_the_application_fails_over() {
    let daemons = start(2);
    // Pretend rtpengine's SDP parse failure were an overload: the offer is tried on both.
    let cluster = builder(urls(&daemons))
        .overload_reason("failed to parse SDP")
        .build()
        .await
        .expect("cluster");
    let e = cluster
        .offer("not an SDP", "parse-fails", "tag-a", &OfferOptions::new())
        .await
        .expect_err("refused everywhere");
    assert!(
        e.reason()
            .is_some_and(|r| r.to_lowercase().contains("parse")),
        "{e}"
    );
    assert_eq!(
        counts(&daemons, "offer").await,
        vec![1, 1],
        "both nodes asked"
    );
}
