//! `statistics` against the real rtpengine daemon (10.5, 12.5 or 26.0, as `RTPENGINE_RELEASE`
//! selects): the counters move with the calls and requests the test makes, and every documented
//! figure reads as a fresh daemon's value, or as absent where that release does not report it
//! (12.5 and 26.0 have no `intervalstatistics` and no `ports.last`). The tests fail, never skip,
//! when rtpengine is not installed.

mod common;

use rtpengine_client::NgCommands;
use std::time::Duration;

use common::{connect, daemon_version, is_10_5, media_target, offer_answer, start, udp};
use rtpengine_client::{
    Client, DeleteOptions, Layer, OfferOptions, QueryOptions, Statistics, Version,
};
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
    // The last port handed out: 10.5 reports it (`ports.last`); 12.5 and 26.0 do not have
    // the field at all (their statistics.c writes min, max, used, used_pct, free, totals).
    let last = after.interfaces()[0].ports.last;
    if is_10_5(&rtpe) {
        let last = last.expect("ports.last (10.5)");
        assert!(range.contains(&u16::try_from(last).unwrap()), "{last}");
    } else {
        assert_eq!(last, None);
        assert_eq!(after.get(&["interfaces", "0", "ports", "last"]), None);
        assert!(after.get(&["interfaces", "0", "ports", "used"]).is_some());
    }
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

/// The 24 commands of 10.5: every release counts them.
const COMMANDS_10_5: [&str; 24] = [
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
];

/// Newer commands and the first of the testkit's release lines (10.5, 12.5, 26.0) whose
/// `controlstatistics` has their `total<short>count`: 12.5 has `totalpausereccount`; 26.0 adds
/// `totalconncount`, `totalclicount`, `totalinjstartcount`, `totalinjstopcount`,
/// `totaltrnsfmcount`, `totalcreatecount`, `totalcrtanswcount`; `mesh` (26.1) is in none.
const NEWER_COMMANDS: [(&str, Version); 9] = [
    ("pause recording", Version::new(12, 5)),
    ("connect", Version::new(26, 0)),
    ("cli", Version::new(26, 0)),
    ("inject start", Version::new(26, 0)),
    ("inject stop", Version::new(26, 0)),
    ("transform", Version::new(26, 0)),
    ("create", Version::new(26, 0)),
    ("create answer", Version::new(26, 0)),
    ("mesh", Version::new(26, 1)),
];

/// Every figure the accessors document reads as the value a fresh daemon has, on every
/// release; what a release does not report reads as `None` (10.5 has `intervalstatistics`,
/// 12.5 and 26.0 do not; each release counts the commands it knows).
#[tokio::test]
async fn documented_figures_read_as_a_fresh_daemons_values() {
    let rtpe = start();
    let release = daemon_version(&rtpe).line();
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
    // A string ("0") in every release.
    let uptime = s.uptime().expect("uptime (a string)");
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
    // `intervalstatistics` (per-command delays and rates): 10.5 always sends it; 12.5 and
    // 26.0 only when graphite is configured (statistics.c: `if (graphite_is_enabled())`), and
    // the testkit configures none, so `command_delay` / `command_request_rate` read `None`
    // there. 12.5 and 26.0 have a `voip_metrics` section, which 10.5 lacks.
    let interval = release == Version::V10_5;
    assert_eq!(s.get(&["intervalstatistics"]).is_some(), interval);
    assert_eq!(s.get(&["voip_metrics"]).is_some(), !interval);
    // Every 10.5 command has a total count in every release, and (10.5 only) an interval
    // delay and rate.
    for cmd in COMMANDS_10_5 {
        // The testkit pinged the daemon once to see it was up.
        let expected = u64::from(cmd == "ping");
        assert_eq!(s.command_count(cmd), Some(expected), "{cmd}");
        let (delay, rate) = (s.command_delay(cmd), s.command_request_rate(cmd));
        if interval {
            assert_eq!((delay, rate), (Some(0.0), Some(0.0)), "{cmd}");
        } else {
            assert_eq!((delay, rate), (None, None), "{cmd}");
        }
    }
    // Newer commands are counted from the release that knows them on.
    for (cmd, counted_from) in NEWER_COMMANDS {
        let expected = (release >= counted_from).then_some(0);
        assert_eq!(s.command_count(cmd), expected, "{cmd} on {release}");
    }
    // The generic paths reach everything, lists by index.
    assert_eq!(s.int(&["currentstatistics", "sessionsown"]), Some(0));
    assert_eq!(
        s.text(&["interfaces", "0", "name"]).as_deref(),
        Some("default")
    );
    assert!(s.get(&["transcoders"]).unwrap().as_list().is_some());
    assert_eq!(s.get(&["no such section"]), None);
}
