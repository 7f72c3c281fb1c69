//! `Client::stats`: the counters against the scriptable fake server (retransmissions under
//! loss, timeouts, cancellation, errors by kind), a TCP server that drops the first connection
//! (reconnects), and the real daemon (requests and replies per command).

mod common;

use rtpengine_client::NgCommands;
use std::time::Duration;

use bytes::Bytes;
use common::{benc, eventually, fake_and_client, ms, SDP};
use rtpengine_client::bencode::{Dict, Value};
use rtpengine_client::{
    Client, ClientStats, OfferOptions, QueryOptions, RetransmitPolicy, Version, OTHER_COMMAND,
};
use rtpengine_testkit::{FakeAction, FakeNg};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Retransmissions every 30 ms within the deadline.
fn fast() -> RetransmitPolicy {
    RetransmitPolicy {
        initial: ms(30),
        max: ms(30),
        window: Duration::from_secs(10),
    }
}

/// A client for `fake` with the fast schedule and this deadline.
async fn client(fake: &FakeNg, timeout: Duration) -> Client {
    Client::builder(fake.url())
        .retransmit(fast())
        .timeout(timeout)
        .connect()
        .await
        .unwrap()
}

/// A reply body `d6:result<len>:<result>…e`.
fn reply(result: &str, rest: &[u8]) -> Bytes {
    let mut body = b"d6:result".to_vec();
    body.extend(benc(result));
    body.extend_from_slice(rest);
    body.push(b'e');
    body.into()
}

/// The counters' own invariant once nothing is in flight.
fn assert_balanced(s: &ClientStats) {
    assert_eq!(s.in_flight, 0, "{s:?}");
    let without_reply =
        s.errors.total() - s.errors.rtpengine - s.errors.load_limit - s.errors.malformed_reply;
    assert_eq!(
        s.requests,
        s.replies + s.timeouts + s.cancelled + without_reply,
        "{s:?}"
    );
    let rows =
        |f: fn(&rtpengine_client::CommandStats) -> u64| s.commands.iter().map(f).sum::<u64>();
    assert_eq!(s.requests, rows(|c| c.requests));
    assert_eq!(s.errors.total(), rows(|c| c.errors));
}

#[tokio::test]
async fn retransmissions_under_scripted_loss_equal_datagrams_minus_requests() {
    // The first copy of every request is lost; requests whose cookie ends in an even digit
    // lose the second copy too.
    let fake = FakeNg::start(|req| {
        let lost = if req.cookie.last().is_some_and(|b| b % 2 == 0) {
            2
        } else {
            1
        };
        if req.attempt < lost {
            vec![]
        } else {
            vec![FakeAction::pong()]
        }
    })
    .await
    .unwrap();
    let client = client(&fake, Duration::from_secs(5)).await;
    let pings: Vec<_> = (0..20)
        .map(|_| {
            let c = client.clone();
            tokio::spawn(async move { c.ping().await })
        })
        .collect();
    for p in pings {
        p.await.unwrap().unwrap();
    }
    let s = client.stats();
    assert_eq!((s.requests, s.replies), (20, 20));
    assert_eq!(
        s.retransmissions,
        fake.received_count() as u64 - 20,
        "{s:?}"
    );
    assert!(s.retransmissions >= 20, "{s:?}");
    let ping = s.command("ping").unwrap();
    assert_eq!(ping.retransmissions, s.retransmissions);
    assert_eq!((ping.requests, ping.replies), (20, 20));
    assert_eq!(s.command("offer").unwrap().requests, 0);
    assert_balanced(&s);
}

#[tokio::test]
async fn timeouts_are_counted_and_nothing_stays_in_flight() {
    let fake = FakeNg::start(|_| vec![]).await.unwrap();
    let client = client(&fake, ms(200)).await;
    let err = client.ping().await.unwrap_err();
    assert!(err.is_timeout());
    let err = client
        .offer(SDP, "c1", "t1", &OfferOptions::new())
        .await
        .unwrap_err();
    assert!(err.is_timeout());
    let s = client.stats();
    assert_eq!((s.requests, s.replies, s.timeouts), (2, 0, 2), "{s:?}");
    assert_eq!(s.errors.total(), 0);
    assert_eq!(s.command("ping").unwrap().timeouts, 1);
    assert_eq!(s.command("offer").unwrap().timeouts, 1);
    assert_eq!(s.retransmissions, fake.received_count() as u64 - 2);
    assert!(s.retransmissions >= 4, "{s:?}");
    assert_eq!(client.in_flight(), 0);
    assert_balanced(&s);
}

#[tokio::test]
async fn a_cancelled_request_is_counted_and_leaves_the_flight() {
    let fake = FakeNg::start(|_| vec![]).await.unwrap();
    let client = client(&fake, Duration::from_secs(10)).await;
    let task = {
        let c = client.clone();
        tokio::spawn(async move { c.query("c1", &QueryOptions::new()).await })
    };
    assert!(eventually(Duration::from_secs(2), || client.stats().in_flight == 1).await);
    assert_eq!(client.stats().command("query").unwrap().in_flight, 1);
    task.abort();
    assert!(task.await.unwrap_err().is_cancelled());
    // Dropping the future inside a timeout is the same.
    let dropped = tokio::time::timeout(ms(50), client.ping()).await;
    assert!(dropped.is_err());
    let s = client.stats();
    assert_eq!((s.requests, s.cancelled, s.in_flight), (2, 2, 0), "{s:?}");
    assert_eq!(s.command("query").unwrap().cancelled, 1);
    assert_eq!(s.command("ping").unwrap().cancelled, 1);
    assert_eq!(client.in_flight(), 0);
    assert_balanced(&s);
}

#[tokio::test]
async fn errors_are_counted_by_kind_and_command() {
    let (fake, client) = fake_and_client(|req| {
        if req.is_command("offer") {
            vec![FakeAction::error("Unknown call-id")]
        } else if req.is_command("delete") {
            vec![FakeAction::Reply(reply("load limit", b"7:message4:busy"))]
        } else if req.is_command("query") {
            // No result at all.
            vec![FakeAction::Reply(Bytes::from_static(b"d3:foo3:bare"))]
        } else if req.is_command("list") {
            vec![]
        } else {
            vec![FakeAction::pong()]
        }
    })
    .await;
    let err = client
        .offer(SDP, "c1", "t1", &OfferOptions::new())
        .await
        .unwrap_err();
    assert!(err.is_rtpengine_error());
    let err = client.request("delete", &Dict::new()).await.unwrap_err();
    assert!(
        matches!(err, rtpengine_client::Error::LoadLimit { .. }),
        "{err}"
    );
    let err = client.request("query", &Dict::new()).await.unwrap_err();
    assert!(
        matches!(err, rtpengine_client::Error::MalformedReply { .. }),
        "{err}"
    );
    // A reply the caller reads unchecked is not an error.
    client
        .send_unchecked(&rtpengine_client::RawRequest {
            command: "query",
            dict: &Dict::new(),
        })
        .await
        .unwrap();
    // Refused before sending: too large for a datagram, a command the target lacks, an
    // unknown command (the last row).
    let mut big = Dict::new();
    big.insert("sdp", Value::from(Bytes::from(vec![b'x'; 70_000])));
    let err = client.request("offer", &big).await.unwrap_err();
    assert!(
        matches!(err, rtpengine_client::Error::RequestTooLarge { .. }),
        "{err}"
    );
    let old = Client::builder(fake.url())
        .rtpengine_version(Version::new(10, 5))
        .connect()
        .await
        .unwrap();
    let err = old.request("mesh", &Dict::new()).await.unwrap_err();
    assert!(
        matches!(err, rtpengine_client::Error::Unsupported { .. }),
        "{err}"
    );
    client.request("frobnicate", &Dict::new()).await.unwrap();
    // A full in-flight table.
    let one = Client::builder(fake.url())
        .max_in_flight(1)
        .timeout(ms(300))
        .connect()
        .await
        .unwrap();
    let (waiting, refused) = tokio::join!(one.list(None), async {
        tokio::time::sleep(ms(50)).await;
        one.ping().await
    });
    assert!(waiting.unwrap_err().is_timeout());
    assert!(
        matches!(
            refused,
            Err(rtpengine_client::Error::TooManyInFlight { limit: 1 })
        ),
        "{refused:?}"
    );

    let s = client.stats();
    assert_eq!(s.errors.rtpengine, 1, "{s:?}");
    assert_eq!(s.errors.load_limit, 1);
    assert_eq!(s.errors.malformed_reply, 1);
    assert_eq!(s.errors.request_too_large, 1);
    assert_eq!(s.errors.total(), 4);
    // Error replies are replies; the request refused before sending is not.
    assert_eq!((s.requests, s.replies), (6, 5), "{s:?}");
    assert_eq!(s.command("offer").unwrap().errors, 2);
    assert_eq!(s.command("offer").unwrap().replies, 1);
    assert_eq!(s.command("delete").unwrap().errors, 1);
    assert_eq!(s.command("query").unwrap().errors, 1);
    assert_eq!(s.command("query").unwrap().replies, 2);
    let other = s.command(OTHER_COMMAND).unwrap();
    assert_eq!((other.requests, other.replies, other.errors), (1, 1, 0));
    assert_eq!(s.retransmissions, 0);
    assert_balanced(&s);
    let named: Vec<_> = s.errors.iter().filter(|(_, n)| *n > 0).collect();
    assert_eq!(
        named,
        [
            ("malformed_reply", 1),
            ("rtpengine", 1),
            ("load_limit", 1),
            ("request_too_large", 1)
        ]
    );

    let s = old.stats();
    assert_eq!((s.requests, s.errors.unsupported), (1, 1), "{s:?}");
    assert_eq!(s.command("mesh").unwrap().errors, 1);
    assert_balanced(&s);

    let s = one.stats();
    assert_eq!((s.timeouts, s.errors.too_many_in_flight), (1, 1), "{s:?}");
    assert_eq!(s.command("list").unwrap().timeouts, 1);
    assert_eq!(s.command("ping").unwrap().errors, 1);
    assert_balanced(&s);
}

#[tokio::test]
async fn tcp_reconnects_are_counted() {
    // The first connection reads a request and closes; the second answers every request.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("tcp://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        let (mut first, _) = listener.accept().await.unwrap();
        let mut buf = vec![0u8; 4096];
        let _ = first.read(&mut buf).await.unwrap();
        drop(first);
        let (mut second, _) = listener.accept().await.unwrap();
        loop {
            let n = second.read(&mut buf).await.unwrap();
            if n == 0 {
                return;
            }
            // One request per read is enough here: answer its cookie.
            let space = buf[..n].iter().position(|&b| b == b' ').unwrap();
            let mut out = buf[..=space].to_vec();
            out.extend_from_slice(b"d6:result4:ponge");
            second.write_all(&out).await.unwrap();
        }
    });
    let client = Client::builder(&url)
        .timeout(Duration::from_secs(5))
        .connect()
        .await
        .unwrap();
    assert_eq!(client.stats().reconnects, 0);
    client.ping().await.unwrap();
    assert_eq!(client.connection_count(), Some(2));
    client.ping().await.unwrap();
    let s = client.stats();
    assert_eq!(s.reconnects, 1, "{s:?}");
    assert_eq!((s.requests, s.replies, s.retransmissions), (2, 2, 0));
    assert_balanced(&s);
    drop(client);
    server.await.unwrap();
}

#[tokio::test]
async fn the_real_daemon_counts_requests_and_replies_per_command() {
    let rtpe = common::start();
    let client = common::connect(&rtpe).await;
    client.ping().await.unwrap();
    common::offer_answer(
        &client,
        "counted",
        ([127, 0, 0, 1], 40_000),
        ([127, 0, 0, 1], 40_002),
    )
    .await;
    common::query(&client, "counted").await;
    common::delete(&client, "counted").await;
    let err = client
        .query("counted", &QueryOptions::new())
        .await
        .unwrap_err();
    assert!(err.is_rtpengine_error(), "{err}");
    client.statistics().await.unwrap();

    let s = client.stats();
    for (command, requests, errors) in [
        ("ping", 1, 0),
        ("offer", 1, 0),
        ("answer", 1, 0),
        ("delete", 1, 0),
        ("query", 2, 1),
        ("statistics", 1, 0),
    ] {
        let row = s.command(command).unwrap();
        assert_eq!(
            (row.requests, row.replies, row.errors, row.timeouts),
            (requests, requests, errors, 0),
            "{command}: {row:?}"
        );
    }
    assert_eq!((s.requests, s.replies), (7, 7), "{s:?}");
    assert_eq!(s.errors.rtpengine, 1);
    assert_eq!(s.errors.total(), 1);
    // Every other command: nothing.
    assert_eq!(
        s.commands.iter().filter(|c| c.requests > 0).count(),
        6,
        "{s:?}"
    );
    assert_balanced(&s);
}
