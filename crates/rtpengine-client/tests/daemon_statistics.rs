//! `statistics` against the real rtpengine daemon (10.5): the counters move with the calls and
//! requests the test makes, and every documented figure reads as `Some` on 10.5. The tests fail,
//! never skip, when rtpengine is not installed.

mod common;

use std::time::Duration;

use common::{connect, media_target, offer_answer, start, udp};
use rtpengine_client::{Client, DeleteOptions, Layer, OfferOptions, QueryOptions, Statistics};
use rtpengine_testkit::rtp::{rtp_packet, sdp_audio};

async fn stats(client: &Client) -> Statistics {
    client.statistics().await.expect("statistics")
}

fn ports_used(s: &Statistics) -> u64 {
    s.interfaces()[0].ports.used.expect("ports used")
}

/// rtpengine closes a deleted call's sockets on its next timer run, not at once: polls the
/// port usage until `ok` holds (up to 3 s) and returns the last figure.
async fn wait_ports_used(client: &Client, ok: impl Fn(u64) -> bool) -> u64 {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    loop {
        let used = ports_used(&stats(client).await);
        if ok(used) || tokio::time::Instant::now() >= deadline {
            return used;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn counters_follow_the_calls_made() {
    let rtpe = start();
    let client = connect(&rtpe).await;
    let range = rtpe.media_port_range();

    let fresh = stats(&client).await;
    assert_eq!(fresh.sessions_own(), Some(0));
    assert_eq!(fresh.sessions_total(), Some(0));
    assert_eq!(fresh.command_count("offer"), Some(0));
    assert_eq!(fresh.managed_sessions(), Some(0));
    // One interface, the testkit's loopback range.
    let ifaces = fresh.interfaces();
    assert_eq!(ifaces.len(), 1, "{:?}", fresh.raw);
    let lo = &ifaces[0];
    assert_eq!(lo.name.as_deref(), Some("default"));
    assert_eq!(lo.address.as_deref(), Some("127.0.0.1"));
    assert_eq!(lo.ports.min, Some(u64::from(*range.start())));
    assert_eq!(lo.ports.max, Some(u64::from(*range.end())));
    let span = u64::from(range.end() - range.start()) + 1;
    assert_eq!(lo.ports.totals, Some(span));
    let used0 = ports_used(&fresh);
    assert_eq!(lo.ports.free, Some(span - used0));

    // Three offers: three calls of our own, each holding ports.
    for i in 0..3u16 {
        client
            .offer(
                sdp_audio("192.0.2.10", 40_000 + 10 * i, 1),
                &format!("stats-call-{i}"),
                "A",
                &OfferOptions::new(),
            )
            .await
            .expect("offer");
    }
    let after = stats(&client).await;
    assert_eq!(after.sessions_own(), Some(3));
    assert_eq!(after.sessions_total(), Some(3));
    assert_eq!(after.sessions_foreign(), Some(0));
    assert_eq!(after.command_count("offer"), Some(3));
    assert_eq!(after.command_count("answer"), Some(0));
    // The previous `statistics` request is counted; the current one is not yet.
    assert_eq!(after.command_count("statistics"), Some(1));
    assert_eq!(after.command_count("stats"), Some(1));
    let used3 = ports_used(&after);
    assert!(used3 >= used0 + 6, "ports used {used0} → {used3}");
    let last = after.interfaces()[0].ports.last.unwrap();
    assert!(range.contains(&u16::try_from(last).unwrap()));
    let pct = after.interfaces()[0].ports.used_pct.unwrap();
    assert!(
        (pct - 100.0 * used3 as f64 / span as f64).abs() < 0.01,
        "{pct}"
    );
    // Per peer: this client's address sent them all.
    let proxies = after.proxies();
    assert_eq!(proxies.len(), 1, "{proxies:?}");
    assert_eq!(proxies[0].proxy.as_deref(), Some("127.0.0.1"));
    assert_eq!(proxies[0].command_count("offer"), Some(3));
    assert!(proxies[0].command_duration("offer").unwrap() > 0.0);

    // A failed request counts as an error; a delete ends a managed session.
    let errors = after.error_count().unwrap();
    client
        .query("no-such-call", &QueryOptions::new())
        .await
        .unwrap_err();
    client
        .delete("stats-call-0", "A", &DeleteOptions::new().delete_delay(0))
        .await
        .expect("delete");
    let end = stats(&client).await;
    assert_eq!(end.error_count(), Some(errors + 1));
    assert_eq!(end.command_count("query"), Some(1));
    assert_eq!(end.command_count("delete"), Some(1));
    assert_eq!(end.sessions_own(), Some(2));
    assert_eq!(end.managed_sessions(), Some(1));
    assert_eq!(end.regular_terminated_sessions(), Some(1));
    let used = wait_ports_used(&client, |u| u < used3).await;
    assert!(
        used < used3,
        "the deleted call's ports are not free again: {used}"
    );
}

#[tokio::test]
async fn relayed_media_and_pubsub_are_counted() {
    let rtpe = start();
    let client = connect(&rtpe).await;
    let (a, b) = (udp().await, udp().await);
    let (a_at, b_at) = (a.local_addr().unwrap(), b.local_addr().unwrap());
    let (_, answer) = offer_answer(&client, "rtp-call", a_at, b_at).await;
    // A sends to the address in the answer rtpengine gave it.
    let a_sends_to = media_target(&answer);
    let before = stats(&client).await;
    assert_eq!(before.relayed_packets(Layer::Total), Some(0));
    let mut buf = [0u8; 2048];
    for seq in 0..5u16 {
        let pkt = rtp_packet(seq, u32::from(seq) * 160, 0xabc, 0, &[0xff; 160]);
        a.send_to(&pkt, a_sends_to).await.unwrap();
        tokio::time::timeout(Duration::from_secs(1), b.recv_from(&mut buf))
            .await
            .expect("relayed to B")
            .unwrap();
    }
    let after = stats(&client).await;
    assert_eq!(after.relayed_packets(Layer::Total), Some(5));
    assert_eq!(
        after.relayed_packets(Layer::User),
        Some(5),
        "no kernel module"
    );
    assert_eq!(after.relayed_packets(Layer::Kernel), Some(0));
    assert_eq!(after.relayed_bytes(Layer::Total), Some(5 * 172));
    assert_eq!(after.relayed_packet_errors(Layer::Total), Some(0));

    // pub/sub commands have their own counters, under short names.
    let sdp = sdp_audio("127.0.0.1", 40_100, 3).replace("a=sendrecv", "a=sendonly");
    client
        .publish(sdp, "pub-call", "P", &OfferOptions::new())
        .await
        .unwrap();
    client
        .subscribe_request(
            "pub-call",
            &rtpengine_client::SubscribeSources::from_tag("P"),
            None,
            &OfferOptions::new(),
        )
        .await
        .unwrap();
    let s = stats(&client).await;
    assert_eq!(s.command_count("publish"), Some(1));
    assert_eq!(s.command_count("pub"), Some(1));
    assert_eq!(s.command_count("subscribe request"), Some(1));
    assert_eq!(s.command_count("subscribe answer"), Some(0));
    assert_eq!(s.sessions_own(), Some(2));
}

/// Every figure the accessors document is there on 10.5, with the value a fresh daemon has.
#[tokio::test]
async fn documented_figures_are_present_on_10_5() {
    let rtpe = start();
    let client = connect(&rtpe).await;
    let s = stats(&client).await;
    for layer in [Layer::Total, Layer::User, Layer::Kernel] {
        assert_eq!(s.packet_rate(layer), Some(0), "{layer:?}");
        assert_eq!(s.byte_rate(layer), Some(0), "{layer:?}");
        assert_eq!(s.error_rate(layer), Some(0), "{layer:?}");
        assert_eq!(s.media_streams(layer), Some(0), "{layer:?}");
        assert_eq!(s.relayed_packets(layer), Some(0), "{layer:?}");
        assert_eq!(s.relayed_bytes(layer), Some(0), "{layer:?}");
        assert_eq!(s.relayed_packet_errors(layer), Some(0), "{layer:?}");
    }
    assert_eq!(s.transcoded_media(), Some(0));
    let uptime = s.uptime().expect("uptime (a string in 10.5)");
    assert!(uptime < Duration::from_secs(60), "{uptime:?}");
    assert!(s
        .get(&["totalstatistics", "uptime"])
        .unwrap()
        .as_int()
        .is_none());
    for figure in [
        s.managed_sessions(),
        s.rejected_sessions(),
        s.timeout_sessions(),
        s.silent_timeout_sessions(),
        s.final_timeout_sessions(),
        s.offer_timeout_sessions(),
        s.regular_terminated_sessions(),
        s.forced_terminated_sessions(),
        s.zero_way_streams(),
        s.one_way_streams(),
    ] {
        assert_eq!(figure, Some(0));
    }
    assert_eq!(s.avg_call_duration(), Some(0.0));
    assert_eq!(s.total_calls_duration(), Some(0.0));
    let mos = s.mos().expect("mos");
    assert_eq!(
        (mos.average, mos.stddev, mos.samples, mos.total),
        (Some(0.0), Some(0.0), Some(0), Some(0.0))
    );
    // Every 10.5 command has a total count and an interval delay and rate.
    for cmd in [
        "ping",
        "offer",
        "answer",
        "delete",
        "query",
        "list",
        "start recording",
        "stop recording",
        "start forwarding",
        "stop forwarding",
        "block DTMF",
        "unblock DTMF",
        "block media",
        "unblock media",
        "play media",
        "stop media",
        "play DTMF",
        "statistics",
        "silence media",
        "unsilence media",
        "publish",
        "subscribe request",
        "subscribe answer",
        "unsubscribe",
    ] {
        // The testkit pinged the daemon once to see it was up.
        let expected = u64::from(cmd == "ping");
        assert_eq!(s.command_count(cmd), Some(expected), "{cmd}");
        assert_eq!(s.command_delay(cmd), Some(0.0), "{cmd}");
        assert_eq!(s.command_request_rate(cmd), Some(0.0), "{cmd}");
    }
    // Newer commands are not counted by 10.5.
    assert_eq!(s.command_count("connect"), None);
    assert_eq!(s.command_count("pause recording"), None);
    // The generic paths reach everything, lists by index.
    assert_eq!(s.int(&["currentstatistics", "sessionsown"]), Some(0));
    assert_eq!(
        s.text(&["interfaces", "0", "name"]).as_deref(),
        Some("default")
    );
    assert!(s.get(&["transcoders"]).unwrap().as_list().is_some());
    assert_eq!(s.get(&["no such section"]), None);
}
