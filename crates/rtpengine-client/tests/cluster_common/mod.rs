//! What the cluster suites share: daemons, a cluster tuned for tests, SDPs, events, the
//! daemons' own counts.
#![allow(dead_code)]

use std::time::Duration;

use rtpengine_client::bencode::Dict;
use rtpengine_client::{
    Client, Cluster, ClusterBuilder, ClusterEvent, ClusterEvents, NgCommands, Offer, OfferOptions,
    RetransmitPolicy, Routed,
};
use rtpengine_testkit::rtp::sdp_audio;
use rtpengine_testkit::Rtpengine;

/// `n` real daemons (a missing rtpengine fails with the kit's install hint).
pub(crate) fn start(n: usize) -> Vec<Rtpengine> {
    Rtpengine::builder()
        .start_many(n)
        .unwrap_or_else(|e| panic!("start {n} rtpengine daemons: {e}"))
}

/// The daemons' NG URLs.
pub(crate) fn urls(daemons: &[Rtpengine]) -> Vec<String> {
    daemons.iter().map(Rtpengine::udp_url).collect()
}

/// A cluster tuned for tests: 2 s deadline, fast retransmissions, pings every 200 ms (300 ms
/// timeout), breaker open after 2 failures for 300 ms.
pub(crate) fn builder(urls: impl IntoIterator<Item = String>) -> ClusterBuilder {
    Cluster::builder()
        .nodes(urls)
        .timeout(Duration::from_secs(2))
        .ping(Duration::from_millis(200), Duration::from_millis(300))
        .breaker(2, Duration::from_millis(300))
        .client(|b| {
            b.retransmit(RetransmitPolicy {
                initial: Duration::from_millis(100),
                max: Duration::from_millis(400),
                ..RetransmitPolicy::default()
            })
        })
}

/// An offer SDP, distinct per `i`.
pub(crate) fn sdp(i: u32) -> String {
    sdp_audio(
        "192.0.2.10",
        40000 + (i % 1000) as u16 * 2,
        u64::from(i) + 1,
    )
}

/// Offers call `call_id` (SDP number `i`, from-tag `tag-a`) and says where it went.
pub(crate) async fn routed_offer(
    cluster: &Cluster,
    call_id: &str,
    i: u32,
) -> rtpengine_client::Result<Routed<Dict>> {
    let sdp = sdp(i);
    let options = OfferOptions::new();
    let offer = Offer {
        sdp: sdp.as_bytes(),
        call_id,
        from_tag: "tag-a",
        options: &options,
    };
    cluster.send_routed(&offer).await
}

/// `n` call-ids.
pub(crate) fn ids(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}-{i}")).collect()
}

/// The next event `want` accepts, within 10 s.
pub(crate) async fn next_event(
    events: &mut ClusterEvents,
    want: impl Fn(&ClusterEvent) -> bool,
) -> ClusterEvent {
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let e = events.recv().await.expect("events");
            if want(&e) {
                return e;
            }
        }
    })
    .await
    .expect("the event within 10 s")
}

/// The daemon's own count of a command (its `statistics`).
pub(crate) async fn command_count(url: &str, command: &str) -> u64 {
    let client = Client::connect(url).await.expect("client");
    client
        .statistics()
        .await
        .expect("statistics")
        .command_count(command)
        .unwrap_or(0)
}
