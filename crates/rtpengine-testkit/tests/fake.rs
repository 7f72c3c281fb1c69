//! Tests of the scriptable fake NG server.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use rtpengine_testkit::{FakeAction, FakeNg};
use tokio::net::UdpSocket;
use tokio::time::timeout;

async fn client_for(server: SocketAddr) -> UdpSocket {
    let bind = if server.is_ipv6() {
        "[::1]:0"
    } else {
        "127.0.0.1:0"
    };
    UdpSocket::bind(bind).await.unwrap()
}

async fn recv(sock: &UdpSocket, wait: Duration) -> Option<(Vec<u8>, SocketAddr)> {
    let mut buf = [0u8; 2048];
    match timeout(wait, sock.recv_from(&mut buf)).await {
        Ok(Ok((len, from))) => Some((buf[..len].to_vec(), from)),
        Ok(Err(e)) => panic!("recv failed: {e}"),
        Err(_) => None,
    }
}

const WAIT: Duration = Duration::from_secs(2);
const SHORT: Duration = Duration::from_millis(150);

#[tokio::test]
async fn scripted_replies() {
    let fake = FakeNg::start(|req| {
        if req.is_command("ping") {
            vec![FakeAction::pong()]
        } else if req.body_contains(b"5:offer") {
            vec![FakeAction::ok_with_sdp(b"v=0\r\n")]
        } else {
            vec![FakeAction::error("unsupported")]
        }
    })
    .await
    .unwrap();
    assert_eq!(fake.url(), format!("udp://{}", fake.addr()));

    let sock = client_for(fake.addr()).await;
    sock.send_to(b"a1 d7:command4:pinge", fake.addr())
        .await
        .unwrap();
    let (reply, from) = recv(&sock, WAIT).await.unwrap();
    assert_eq!(reply, b"a1 d6:result4:ponge");
    assert_eq!(from, fake.addr());

    sock.send_to(b"a2 d7:command5:offere", fake.addr())
        .await
        .unwrap();
    let (reply, _) = recv(&sock, WAIT).await.unwrap();
    assert_eq!(reply, b"a2 d3:sdp5:v=0\r\n6:result2:oke");

    sock.send_to(b"a3 d7:command6:deletee", fake.addr())
        .await
        .unwrap();
    let (reply, _) = recv(&sock, WAIT).await.unwrap();
    assert_eq!(reply, b"a3 d6:result5:error12:error-reason11:unsupportede");

    let received = fake.received();
    assert_eq!(received.len(), 3);
    assert_eq!(fake.received_count(), 3);
    assert_eq!(&received[0].cookie[..], b"a1");
    assert_eq!(&received[0].body[..], b"d7:command4:pinge");
    assert_eq!(received[0].from, sock.local_addr().unwrap());
    assert_eq!(
        received.iter().map(|r| r.seq).collect::<Vec<_>>(),
        [0, 1, 2]
    );
}

#[tokio::test]
async fn drops_first_attempt_and_counts_retransmissions() {
    let fake = FakeNg::start(|req| {
        if req.attempt == 0 {
            vec![]
        } else {
            vec![FakeAction::pong()]
        }
    })
    .await
    .unwrap();
    let sock = client_for(fake.addr()).await;

    sock.send_to(b"r1 d7:command4:pinge", fake.addr())
        .await
        .unwrap();
    assert!(
        recv(&sock, SHORT).await.is_none(),
        "first attempt must be dropped"
    );
    sock.send_to(b"r1 d7:command4:pinge", fake.addr())
        .await
        .unwrap();
    let (reply, _) = recv(&sock, WAIT).await.unwrap();
    assert_eq!(reply, b"r1 d6:result4:ponge");

    assert_eq!(fake.count_for_cookie(b"r1"), 2);
    assert_eq!(fake.count_for_cookie(b"other"), 0);
    let attempts: Vec<usize> = fake.received().iter().map(|r| r.attempt).collect();
    assert_eq!(attempts, [0, 1]);
}

#[tokio::test]
async fn duplicates_and_reordering() {
    let fake = FakeNg::start(|req| {
        if req.seq == 0 {
            vec![FakeAction::pong(), FakeAction::pong()]
        } else {
            vec![
                FakeAction::ReplyAfter(Duration::from_millis(120), Bytes::from_static(b"d1:ni1ee")),
                FakeAction::ReplyAfter(Duration::from_millis(20), Bytes::from_static(b"d1:ni2ee")),
            ]
        }
    })
    .await
    .unwrap();
    let sock = client_for(fake.addr()).await;

    sock.send_to(b"d1 d7:command4:pinge", fake.addr())
        .await
        .unwrap();
    for _ in 0..2 {
        let (reply, _) = recv(&sock, WAIT).await.unwrap();
        assert_eq!(reply, b"d1 d6:result4:ponge");
    }

    sock.send_to(b"d2 d7:command4:pinge", fake.addr())
        .await
        .unwrap();
    let (first, _) = recv(&sock, WAIT).await.unwrap();
    let (second, _) = recv(&sock, WAIT).await.unwrap();
    assert_eq!(first, b"d2 d1:ni2ee");
    assert_eq!(second, b"d2 d1:ni1ee");
}

#[tokio::test(start_paused = true)]
async fn delays_follow_paused_time() {
    let fake = FakeNg::start(|_| {
        vec![FakeAction::ReplyAfter(
            Duration::from_secs(30),
            Bytes::from_static(b"d6:result2:oke"),
        )]
    })
    .await
    .unwrap();
    let sock = client_for(fake.addr()).await;
    let started = tokio::time::Instant::now();
    sock.send_to(b"p1 d7:command4:pinge", fake.addr())
        .await
        .unwrap();
    let (reply, _) = recv(&sock, Duration::from_secs(60)).await.unwrap();
    assert_eq!(reply, b"p1 d6:result2:oke");
    assert!(started.elapsed() >= Duration::from_secs(30));
}

#[tokio::test]
async fn raw_wrong_cookie_and_other_socket() {
    let fake = FakeNg::start(|req| match req.seq {
        0 => vec![FakeAction::Raw(Bytes::from_static(b"garbage"))],
        1 => vec![FakeAction::ReplyWithCookie(
            Bytes::from_static(b"wrong"),
            Bytes::from_static(b"d6:result2:oke"),
        )],
        2 => vec![FakeAction::ReplyFromOtherSocket(Bytes::from_static(
            b"d6:result2:oke",
        ))],
        _ => vec![FakeAction::RawAfter(
            Duration::from_millis(10),
            Bytes::from_static(b"late raw"),
        )],
    })
    .await
    .unwrap();
    let sock = client_for(fake.addr()).await;

    sock.send_to(b"x0 d7:command4:pinge", fake.addr())
        .await
        .unwrap();
    assert_eq!(recv(&sock, WAIT).await.unwrap().0, b"garbage");

    sock.send_to(b"x1 d7:command4:pinge", fake.addr())
        .await
        .unwrap();
    assert_eq!(recv(&sock, WAIT).await.unwrap().0, b"wrong d6:result2:oke");

    sock.send_to(b"x2 d7:command4:pinge", fake.addr())
        .await
        .unwrap();
    let (reply, from) = recv(&sock, WAIT).await.unwrap();
    assert_eq!(reply, b"x2 d6:result2:oke");
    assert_ne!(from, fake.addr());
    assert_eq!(from.ip(), fake.addr().ip());

    sock.send_to(b"x3 d7:command4:pinge", fake.addr())
        .await
        .unwrap();
    assert_eq!(recv(&sock, WAIT).await.unwrap().0, b"late raw");
}

#[tokio::test]
async fn datagrams_without_space_are_recorded_but_not_scripted() {
    let fake = FakeNg::start(|_| vec![FakeAction::pong()]).await.unwrap();
    let sock = client_for(fake.addr()).await;
    sock.send_to(b"nospace", fake.addr()).await.unwrap();
    assert!(recv(&sock, SHORT).await.is_none());
    let received = fake.received();
    assert_eq!(received.len(), 1);
    assert!(received[0].cookie.is_empty());
    assert_eq!(&received[0].body[..], b"nospace");

    // The server keeps working afterwards.
    sock.send_to(b"ok d7:command4:pinge", fake.addr())
        .await
        .unwrap();
    assert_eq!(recv(&sock, WAIT).await.unwrap().0, b"ok d6:result4:ponge");
    assert_eq!(fake.received()[1].seq, 1);
}

#[tokio::test]
async fn ipv6_server() {
    let fake = FakeNg::start_v6(|_| vec![FakeAction::pong()])
        .await
        .unwrap();
    assert!(fake.addr().is_ipv6());
    assert!(fake.url().starts_with("udp://[::1]:"), "{}", fake.url());
    let sock = client_for(fake.addr()).await;
    sock.send_to(b"v6 d7:command4:pinge", fake.addr())
        .await
        .unwrap();
    assert_eq!(recv(&sock, WAIT).await.unwrap().0, b"v6 d6:result4:ponge");
}

#[tokio::test]
async fn stops_when_dropped() {
    let fake = FakeNg::start(|_| vec![FakeAction::pong()]).await.unwrap();
    let addr = fake.addr();
    drop(fake);
    // Give the aborted task a moment to release the socket.
    tokio::time::sleep(Duration::from_millis(20)).await;
    let sock = client_for(addr).await;
    let _ = sock.send_to(b"z d7:command4:pinge", addr).await;
    assert!(recv_ignoring_errors(&sock, SHORT).await.is_none());
}

async fn recv_ignoring_errors(sock: &UdpSocket, wait: Duration) -> Option<Vec<u8>> {
    let mut buf = [0u8; 2048];
    match timeout(wait, sock.recv_from(&mut buf)).await {
        Ok(Ok((len, _))) => Some(buf[..len].to_vec()),
        _ => None,
    }
}
