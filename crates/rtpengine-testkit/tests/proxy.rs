//! Tests of the lossy UDP proxy.

use std::time::Duration;

use rtpengine_testkit::{
    Chaos, CuttingTcpProxy, FakeAction, FakeNg, Faults, LossPattern, LossyUdpProxy, ProxyStats,
    Rtpengine, TcpFaults,
};
use tokio::net::{TcpStream, UdpSocket};
use tokio::time::{timeout, Instant};

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
            ..ProxyStats::default()
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
            ..ProxyStats::default()
        }
    );
}

// ---------------------------------------------------------------------------------------------
// Chaos: faults besides loss

/// Every datagram of the chosen direction gets this one fault.
fn only(faults: Faults, requests: bool) -> Chaos {
    Chaos {
        requests: if requests { faults } else { Faults::NONE },
        replies: if requests { Faults::NONE } else { faults },
        seed: 11,
    }
}

/// Receives one datagram within `wait`.
async fn recv(sock: &UdpSocket, wait: Duration) -> Option<Vec<u8>> {
    let mut buf = [0u8; 2048];
    match timeout(wait, sock.recv_from(&mut buf)).await {
        Ok(Ok((len, _))) => Some(buf[..len].to_vec()),
        Ok(Err(e)) => panic!("recv failed: {e}"),
        Err(_) => None,
    }
}

#[tokio::test]
async fn duplicates_go_both_ways() {
    let fake = FakeNg::start(|_| vec![FakeAction::pong()]).await.unwrap();
    let dup = Faults {
        duplicate: 1.0,
        ..Faults::NONE
    };
    let proxy = LossyUdpProxy::start_with_chaos(fake.addr(), LossPattern::none(), only(dup, true))
        .await
        .unwrap();
    let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let wait = Duration::from_millis(300);
    assert!(ping(&sock, proxy.addr(), "d1", wait).await.is_some());
    // The fake answered both copies.
    assert_eq!(
        recv(&sock, wait).await,
        Some(b"d1 d6:result4:ponge".to_vec())
    );
    assert_eq!(fake.count_for_cookie(b"d1"), 2);
    // Now the replies: one request, two replies.
    proxy.set_chaos(only(dup, false));
    assert!(ping(&sock, proxy.addr(), "d2", wait).await.is_some());
    assert!(recv(&sock, wait).await.is_some());
    assert_eq!(fake.count_for_cookie(b"d2"), 1);
    let stats = proxy.stats();
    assert_eq!(
        (stats.requests_duplicated, stats.replies_duplicated),
        (1, 1)
    );
    assert_eq!((stats.requests_forwarded, stats.replies_forwarded), (2, 3));
}

#[tokio::test]
async fn delays_do_not_block_the_relay() {
    let fake = FakeNg::start(|_| vec![FakeAction::pong()]).await.unwrap();
    let slow = Faults {
        delay: 1.0,
        delay_min: Duration::from_millis(400),
        delay_max: Duration::from_millis(500),
        ..Faults::NONE
    };
    let proxy =
        LossyUdpProxy::start_with_chaos(fake.addr(), LossPattern::none(), only(slow, false))
            .await
            .unwrap();
    let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let started = Instant::now();
    // Three requests at once: all three replies are held about 400–500 ms, not one after the
    // other.
    for c in ["s1", "s2", "s3"] {
        sock.send_to(format!("{c} d7:command4:pinge").as_bytes(), proxy.addr())
            .await
            .unwrap();
    }
    assert_eq!(recv(&sock, Duration::from_millis(300)).await, None);
    let mut got = Vec::new();
    for _ in 0..3 {
        got.push(
            recv(&sock, Duration::from_secs(2))
                .await
                .expect("a late reply"),
        );
    }
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(400) && took < Duration::from_millis(1200),
        "{took:?}"
    );
    assert_eq!(fake.received_count(), 3);
    assert_eq!(proxy.stats().replies_delayed, 3);
    got.sort();
    assert_eq!(got[0], b"s1 d6:result4:ponge");
}

#[tokio::test]
async fn a_held_datagram_goes_out_after_the_next_one() {
    let fake = FakeNg::start(|_| vec![FakeAction::pong()]).await.unwrap();
    let reorder = Faults {
        reorder: 1.0,
        ..Faults::NONE
    };
    let proxy =
        LossyUdpProxy::start_with_chaos(fake.addr(), LossPattern::none(), only(reorder, true))
            .await
            .unwrap();
    let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    sock.send_to(b"r1 d7:command4:pinge", proxy.addr())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(fake.received_count(), 0, "held");
    proxy.set_chaos(Chaos::none());
    sock.send_to(b"r2 d7:command4:pinge", proxy.addr())
        .await
        .unwrap();
    assert!(recv(&sock, Duration::from_secs(1)).await.is_some());
    assert!(recv(&sock, Duration::from_secs(1)).await.is_some());
    let cookies: Vec<_> = fake.received().iter().map(|r| r.cookie.clone()).collect();
    assert_eq!(cookies, ["r2", "r1"]);
    // Alone, a held datagram goes out after the hold time.
    proxy.set_chaos(only(reorder, true));
    let reply = ping(&sock, proxy.addr(), "r3", Duration::from_secs(1)).await;
    assert_eq!(reply, Some(b"r3 d6:result4:ponge".to_vec()));
    assert_eq!(proxy.stats().requests_reordered, 2);
}

#[tokio::test]
async fn corrupted_and_truncated_replies() {
    let fake = FakeNg::start(|_| vec![FakeAction::pong()]).await.unwrap();
    let bad = Faults {
        corrupt: 1.0,
        ..Faults::NONE
    };
    let proxy = LossyUdpProxy::start_with_chaos(fake.addr(), LossPattern::none(), only(bad, false))
        .await
        .unwrap();
    let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let wait = Duration::from_secs(1);
    let intact = b"c1 d6:result4:ponge".to_vec();
    let reply = ping(&sock, proxy.addr(), "c1", wait).await.unwrap();
    let changed = reply.iter().zip(&intact).filter(|(a, b)| a != b).count();
    assert_eq!(reply.len(), intact.len());
    assert!((1..=3).contains(&changed), "{changed} bytes changed");
    proxy.set_chaos(only(
        Faults {
            truncate: 1.0,
            ..Faults::NONE
        },
        false,
    ));
    let reply = ping(&sock, proxy.addr(), "c2", wait).await.unwrap();
    // Cut inside "result" or "pong".
    assert!(
        reply.len() < intact.len() && reply.starts_with(b"c2 d6:"),
        "{reply:?}"
    );
    let stats = proxy.stats();
    assert_eq!((stats.replies_corrupted, stats.replies_truncated), (1, 1));
    assert_eq!((stats.requests_corrupted, stats.requests_truncated), (0, 0));
}

/// What the faults are designed around: rtpengine cannot decode a request cut inside a string.
/// 10.5 and 12.5 answer it with an error, 26.0 with an empty body; either way its cookie cache
/// gives every later copy of that cookie (intact or not) the same answer.
#[tokio::test]
async fn the_daemon_answers_a_truncated_request_once_and_for_all() {
    let rtpe = Rtpengine::start().unwrap();
    let cut = Faults {
        truncate: 1.0,
        ..Faults::NONE
    };
    let proxy =
        LossyUdpProxy::start_with_chaos(rtpe.ng_udp_addr(), LossPattern::none(), only(cut, true))
            .await
            .unwrap();
    let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let wait = Duration::from_secs(2);
    let reply = ping(&sock, proxy.addr(), "t1", wait)
        .await
        .expect("a reply");
    let text = String::from_utf8_lossy(&reply).into_owned();
    let body = text.strip_prefix("t1 ").unwrap_or_else(|| panic!("{text}"));
    assert!(
        body.is_empty() || (body.contains("6:result5:error") && body.contains("decode")),
        "{text}"
    );
    // The intact copy, straight to the daemon: the same cached answer.
    let direct = ping(&sock, rtpe.ng_udp_addr(), "t1", wait).await.unwrap();
    assert_eq!(direct, reply);
    assert_eq!(proxy.stats().requests_truncated, 1);
}

// ---------------------------------------------------------------------------------------------
// The cutting TCP relay

/// Writes `msg` and reads until `want` bytes or the end of the stream (`None` at a timeout).
async fn exchange(conn: &mut TcpStream, msg: &[u8], want: usize) -> Option<Vec<u8>> {
    // (The test kit has no tokio io-util: readiness and non-blocking calls.)
    let mut rest = msg;
    while !rest.is_empty() {
        conn.writable().await.unwrap();
        match conn.try_write(rest) {
            Ok(n) => rest = &rest[n..],
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => panic!("write: {e}"),
        }
    }
    let mut got = Vec::new();
    while got.len() < want {
        match timeout(Duration::from_secs(2), read_some(conn)).await {
            Ok(None) => break,
            Ok(Some(bytes)) => got.extend_from_slice(&bytes),
            Err(_) => return None,
        }
    }
    Some(got)
}

/// The next bytes read, or `None` at the end of the stream (or an error).
async fn read_some(conn: &TcpStream) -> Option<Vec<u8>> {
    let mut buf = [0u8; 1024];
    loop {
        conn.readable().await.ok()?;
        match conn.try_read(&mut buf) {
            Ok(0) => return None,
            Ok(n) => return Some(buf[..n].to_vec()),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(_) => return None,
        }
    }
}

#[tokio::test]
async fn the_tcp_relay_passes_messages_and_cuts_them() {
    let rtpe = Rtpengine::start().unwrap();
    let proxy = CuttingTcpProxy::start(rtpe.ng_tcp_addr(), TcpFaults::none())
        .await
        .unwrap();
    assert_eq!(proxy.url(), format!("tcp://{}", proxy.addr()));
    let pong = b"k1 d6:result4:ponge";
    let mut conn = TcpStream::connect(proxy.addr()).await.unwrap();
    let got = exchange(&mut conn, b"k1 d7:command4:pinge", pong.len()).await;
    assert_eq!(got.as_deref(), Some(&pong[..]));

    // Every reply cut: part of it, then the end of the stream.
    proxy.set_faults(TcpFaults {
        cut_replies: 1.0,
        ..TcpFaults::none()
    });
    let got = exchange(&mut conn, b"k2 d7:command4:pinge", pong.len())
        .await
        .expect("the end of the stream");
    assert!(
        got.len() < pong.len() && b"k2 d6:result4:ponge".starts_with(&got),
        "{got:?}"
    );

    // Every request cut: the daemon gets part of it and answers nothing.
    proxy.set_faults(TcpFaults {
        cut_requests: 1.0,
        ..TcpFaults::none()
    });
    let mut conn = TcpStream::connect(proxy.addr()).await.unwrap();
    let got = exchange(&mut conn, b"k3 d7:command4:pinge", pong.len()).await;
    assert_eq!(got.as_deref(), Some(&b""[..]), "closed without a reply");

    // cut_all: an idle connection is closed.
    proxy.set_faults(TcpFaults::none());
    let mut conn = TcpStream::connect(proxy.addr()).await.unwrap();
    assert!(exchange(&mut conn, b"k4 d7:command4:pinge", pong.len())
        .await
        .is_some());
    proxy.cut_all();
    let read = timeout(Duration::from_secs(2), read_some(&conn))
        .await
        .expect("closed at once");
    assert_eq!(read, None);
    let stats = proxy.stats();
    assert_eq!(stats.connections, 3);
    assert_eq!(
        (stats.requests_cut, stats.replies_cut, stats.forced_cuts),
        (1, 1, 1)
    );
    assert_eq!(stats.upstream_failures, 0);
}
