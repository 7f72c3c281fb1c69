//! The reply-size bound (`ClientBuilder::max_reply_size`, issue 11 item 6) against the real
//! daemon on every transport: a `statistics` reply (several KB) over a small bound fails its
//! request at once with `Error::ReplyTooLarge` (no retransmission, no wait for the deadline),
//! the client goes on working (a stream transport reconnects), and a bound above the reply
//! lets it through.

mod common;

use std::time::{Duration, Instant};

use rtpengine_client::{Client, Error, NgCommands};

/// Far below any `statistics` reply, far above a `pong`.
const SMALL_BOUND: usize = 300;

fn urls(rtpe: &rtpengine_testkit::Rtpengine) -> Vec<String> {
    vec![
        rtpe.udp_url(),
        format!("tcp://{}", rtpe.ng_tcp_addr()),
        format!("ws://{}", rtpe.http_addr()),
        format!("http://{}", rtpe.http_addr()),
    ]
}

#[tokio::test]
async fn a_reply_over_the_bound_fails_its_request_at_once_on_every_transport() {
    let rtpe = common::start();
    for url in urls(&rtpe) {
        let client = Client::builder(&url)
            .max_reply_size(SMALL_BOUND)
            .connect()
            .await
            .unwrap_or_else(|e| panic!("{url}: {e}"));
        let started = Instant::now();
        let err = client
            .statistics()
            .await
            .expect_err("a statistics reply is longer than 300 bytes");
        let elapsed = started.elapsed();
        let Error::ReplyTooLarge {
            ref server,
            size,
            limit,
        } = err
        else {
            panic!("{url}: expected ReplyTooLarge, got {err:?}");
        };
        assert_eq!(limit, SMALL_BOUND, "{url}");
        assert!(size > SMALL_BOUND, "{url}: size {size}");
        assert_eq!(*server, client.server_addr().to_string(), "{url}");
        assert!(
            err.to_string().contains("max_reply_size"),
            "{url}: the message says what to change: {err}"
        );
        assert!(
            !err.is_retryable_elsewhere(),
            "{url}: the reply, not the node"
        );
        // At once: not after the 10 s deadline, and nothing sent twice.
        assert!(elapsed < Duration::from_secs(2), "{url}: took {elapsed:?}");
        let stats = client.stats();
        assert_eq!(stats.errors.reply_too_large, 1, "{url}: {stats:?}");
        assert_eq!(stats.retransmissions, 0, "{url}: {stats:?}");

        // The same client goes on (a stream transport on a new connection).
        client
            .ping()
            .await
            .unwrap_or_else(|e| panic!("{url}: ping after the refused reply: {e}"));
        assert_eq!(client.in_flight(), 0, "{url}");

        // A bound above the reply lets it through.
        let roomy = Client::builder(&url)
            .max_reply_size(size + 4096)
            .connect()
            .await
            .unwrap();
        let statistics = roomy
            .statistics()
            .await
            .unwrap_or_else(|e| panic!("{url}: statistics under a roomy bound: {e}"));
        assert!(statistics.sessions_own().is_some(), "{url}: {statistics:?}");
    }
}
