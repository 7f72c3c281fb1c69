//! Size-aware transport choice: a client with UDP and a TCP stream to the same real rtpengine
//! sends large requests and large-reply commands over TCP, the rest over UDP.

mod common;

use rtpengine_client::NgCommands;
use std::time::Duration;

use common::start;
use rtpengine_client::{Client, ClientBuilder, DeleteOptions, OfferOptions};
use rtpengine_testkit::rtp::sdp_audio;
use rtpengine_testkit::Rtpengine;

/// A client builder for the daemon's UDP port with its TCP port as the stream.
fn udp_and_tcp(rtpe: &Rtpengine) -> ClientBuilder {
    Client::builder(rtpe.udp_url()).stream(format!("tcp://{}", rtpe.ng_tcp_addr()))
}

/// How many times the daemon logged `command` from `port`.
fn from_port(rtpe: &Rtpengine, command: &str, port: u16) -> usize {
    rtpe.log_count(&format!(
        "Received command '{command}' from 127.0.0.1:{port}"
    ))
}

#[tokio::test]
async fn large_requests_and_replies_take_the_stream() {
    let rtpe = start();
    let client = udp_and_tcp(&rtpe)
        .timeout(Duration::from_secs(5))
        .connect()
        .await
        .unwrap();
    let udp_port = client.local_addr().unwrap().port();

    // Small requests stay on UDP.
    client.ping().await.unwrap();
    let small = sdp_audio("127.0.0.1", 40_000, 1);
    client
        .offer(&small, "small", "a", &OfferOptions::new())
        .await
        .unwrap();
    assert_eq!(from_port(&rtpe, "ping", udp_port), 1);
    assert_eq!(from_port(&rtpe, "offer", udp_port), 1);

    // A request over the threshold goes over TCP.
    let mut big = sdp_audio("127.0.0.1", 40_002, 2);
    for i in 0..200 {
        big.push_str(&format!("a=x-pad-{i}:{}\r\n", "y".repeat(20)));
    }
    assert!(big.len() > 4096);
    client
        .offer(&big, "big", "a", &OfferOptions::new())
        .await
        .unwrap();
    assert_eq!(
        from_port(&rtpe, "offer", udp_port),
        1,
        "the big offer must not use UDP"
    );
    assert_eq!(rtpe.log_count("Received command 'offer'"), 2);

    // Commands with large replies go over TCP whatever their size.
    let calls = client.list(None).await.unwrap();
    assert_eq!(calls.len(), 2);
    assert_eq!(from_port(&rtpe, "list", udp_port), 0);
    client
        .delete("small", "a", &DeleteOptions::new())
        .await
        .unwrap();
    assert_eq!(from_port(&rtpe, "delete", udp_port), 0);
    assert_eq!(rtpe.log_count("Received command 'delete'"), 1);
}

#[tokio::test]
async fn a_reply_too_large_for_udp_arrives_over_the_stream() {
    let rtpe = start();
    let both = udp_and_tcp(&rtpe).connect().await.unwrap();
    let udp_only = Client::builder(rtpe.udp_url())
        .timeout(Duration::from_millis(800))
        .connect()
        .await
        .unwrap();
    // 50 calls whose call-ids are ~1.4 KB: a `list` of them is ~70 KB, more than a datagram.
    let sdp = sdp_audio("127.0.0.1", 40_000, 1);
    for i in 0..50 {
        let call_id = format!("{i:04}-{}", "c".repeat(1400));
        both.offer(&sdp, &call_id, "a", &OfferOptions::new())
            .await
            .unwrap();
    }
    let err = udp_only.list(Some(100)).await.unwrap_err();
    assert!(err.is_timeout(), "UDP loses the 70 KB reply: {err:?}");
    let calls = both.list(Some(100)).await.unwrap();
    assert_eq!(calls.len(), 50);
    assert!(calls.iter().all(|c| c.len() == 1405));
}

#[tokio::test]
async fn a_udp_stream_url_is_refused() {
    let rtpe = start();
    let err = Client::builder(rtpe.udp_url())
        .stream(rtpe.udp_url())
        .connect()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("stream transport"), "{err}");
}
