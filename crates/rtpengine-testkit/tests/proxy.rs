//! Tests of the lossy UDP proxy.

use std::time::Duration;

use rtpengine_testkit::{FakeAction, FakeNg, LossPattern, LossyUdpProxy, ProxyStats, Rtpengine};
use tokio::net::UdpSocket;
use tokio::time::timeout;

async fn ping(
    sock: &UdpSocket,
    to: std::net::SocketAddr,
    cookie: &str,
    wait: Duration,
) -> Option<Vec<u8>> {
    sock.send_to(format!("{cookie} d7:command4:pinge").as_bytes(), to)
        .await
        .unwrap();
    let mut buf = [0u8; 2048];
    match timeout(wait, sock.recv_from(&mut buf)).await {
        Ok(Ok((len, from))) => {
            assert_eq!(from, to);
            Some(buf[..len].to_vec())
        }
        Ok(Err(e)) => panic!("recv failed: {e}"),
        Err(_) => None,
    }
}

#[tokio::test]
async fn every_second_request_is_dropped() {
    let fake = FakeNg::start(|_| vec![FakeAction::pong()]).await.unwrap();
    let proxy = LossyUdpProxy::start(
        fake.addr(),
        LossPattern::EveryNth {
            requests: 2,
            replies: 0,
        },
    )
    .await
    .unwrap();
    assert_eq!(proxy.url(), format!("udp://{}", proxy.addr()));

    let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    for i in 1..=6 {
        let cookie = format!("c{i}");
        let reply = ping(&sock, proxy.addr(), &cookie, Duration::from_millis(150)).await;
        if i % 2 == 0 {
            assert_eq!(reply, None, "request {i} should have been dropped");
        } else {
            assert_eq!(
                reply,
                Some(format!("{cookie} d6:result4:ponge").into_bytes())
            );
        }
    }
    assert_eq!(
        proxy.stats(),
        ProxyStats {
            requests_forwarded: 3,
            requests_dropped: 3,
            replies_forwarded: 3,
            replies_dropped: 0,
        }
    );
    let cookies: Vec<_> = fake.received().iter().map(|r| r.cookie.clone()).collect();
    assert_eq!(cookies, ["c1", "c3", "c5"]);
}

#[tokio::test]
async fn reply_loss_and_random_pattern() {
    let fake = FakeNg::start(|_| vec![FakeAction::pong()]).await.unwrap();
    let proxy = LossyUdpProxy::start(
        fake.addr(),
        LossPattern::EveryNth {
            requests: 0,
            replies: 1,
        },
    )
    .await
    .unwrap();
    let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    assert_eq!(
        ping(&sock, proxy.addr(), "r1", Duration::from_millis(150)).await,
        None
    );
    assert_eq!(fake.received_count(), 1, "request reached the server");
    assert_eq!(proxy.stats().replies_dropped, 1);

    // Random with zero loss forwards everything.
    let lossless = LossyUdpProxy::start(
        fake.addr(),
        LossPattern::Random {
            request_loss: 0.0,
            reply_loss: 0.0,
            seed: 7,
        },
    )
    .await
    .unwrap();
    for i in 0..5 {
        let cookie = format!("z{i}");
        assert!(
            ping(&sock, lossless.addr(), &cookie, Duration::from_secs(2))
                .await
                .is_some()
        );
    }
    assert_eq!(lossless.stats().replies_forwarded, 5);
}

#[tokio::test]
async fn relays_to_the_real_daemon() {
    let rtpe = Rtpengine::start().unwrap();
    let proxy = LossyUdpProxy::start(rtpe.ng_udp_addr(), LossPattern::none())
        .await
        .unwrap();
    let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let reply = ping(&sock, proxy.addr(), "real1", Duration::from_secs(2)).await;
    assert_eq!(reply, Some(b"real1 d6:result4:ponge".to_vec()));
}

#[tokio::test]
async fn blackhole_and_pattern_change_at_run_time() {
    let fake = FakeNg::start(|_| vec![FakeAction::pong()]).await.unwrap();
    let proxy = LossyUdpProxy::start(fake.addr(), LossPattern::none())
        .await
        .unwrap();
    let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let wait = Duration::from_millis(150);
    assert!(ping(&sock, proxy.addr(), "b1", wait).await.is_some());

    proxy.set_blackhole(true);
    assert_eq!(ping(&sock, proxy.addr(), "b2", wait).await, None);
    assert_eq!(ping(&sock, proxy.addr(), "b3", wait).await, None);
    proxy.set_blackhole(false);
    assert!(ping(&sock, proxy.addr(), "b4", wait).await.is_some());
    // In the blackhole nothing reached the fake.
    let cookies: Vec<_> = fake.received().iter().map(|r| r.cookie.clone()).collect();
    assert_eq!(cookies, ["b1", "b4"]);

    // Every reply lost from now on; then none again.
    proxy.set_pattern(LossPattern::EveryNth {
        requests: 0,
        replies: 1,
    });
    assert_eq!(ping(&sock, proxy.addr(), "b5", wait).await, None);
    proxy.set_pattern(LossPattern::none());
    assert!(ping(&sock, proxy.addr(), "b6", wait).await.is_some());
    assert_eq!(
        proxy.stats(),
        ProxyStats {
            requests_forwarded: 4,
            requests_dropped: 2,
            replies_forwarded: 3,
            replies_dropped: 1,
        }
    );
}
