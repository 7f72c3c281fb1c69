//! Concurrency of the UDP client against the fake NG server: many requests in flight from clones
//! across tasks with reordered replies, the in-flight limit and its cleanup on cancellation, and
//! the lifetime of the shared socket and background task.

mod common;

use rtpengine_client::NgCommands;
use std::net::SocketAddr;
use std::time::Duration;

use common::{call_id_of, eventually, fake_and_client, ms, SDP};
use rtpengine_client::{Client, Error, OfferOptions, QueryOptions, RetransmitPolicy};
use rtpengine_testkit::{FakeAction, FakeNg, FakeRequest};

/// An offer reply whose SDP names the request's call-id.
fn echo_sdp(req: &FakeRequest) -> FakeAction {
    let call_id = call_id_of(req).unwrap_or_default();
    FakeAction::ok_with_sdp(format!("v=0\r\ns=echo {call_id}\r\n").as_bytes())
}

/// Runs `n` offers concurrently from clones of `client` in separate tasks; each checks that it
/// got its own reply.
async fn concurrent_offers(client: &Client, n: usize, prefix: &str) {
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let client = client.clone();
            let call_id = format!("{prefix}-{i}");
            tokio::spawn(async move {
                let reply = client
                    .offer(SDP, &call_id, "tag", &OfferOptions::new())
                    .await
                    .unwrap_or_else(|e| panic!("{call_id}: {e}"));
                assert_eq!(
                    reply.sdp_str(),
                    format!("v=0\r\ns=echo {call_id}\r\n"),
                    "{call_id} got another request's reply"
                );
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reordered_replies_reach_their_own_callers() {
    const N: usize = 200;
    let (fake, client) = fake_and_client(|req| {
        // Random delays reorder the replies relative to the requests.
        vec![echo_sdp(req).after(ms(fastrand::u64(0..60)))]
    })
    .await;
    let start = std::time::Instant::now();
    concurrent_offers(&client, N, "reorder").await;
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(client.in_flight(), 0);

    let received = fake.received();
    let cookies: std::collections::HashSet<_> = received.iter().map(|r| r.cookie.clone()).collect();
    assert_eq!(cookies.len(), N, "one cookie per request");
    let call_ids: std::collections::HashSet<_> = received.iter().filter_map(call_id_of).collect();
    assert_eq!(call_ids.len(), N);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_requests_survive_loss_and_reordering() {
    const N: usize = 100;
    // Every request loses its first two copies; the answer to the third comes with a random
    // delay, so retransmissions of many requests interleave.
    let fake = FakeNg::start(|req| {
        if req.attempt < 2 {
            vec![]
        } else {
            vec![echo_sdp(req).after(ms(fastrand::u64(0..30)))]
        }
    })
    .await
    .unwrap();
    let client = Client::builder(fake.url())
        .retransmit(RetransmitPolicy {
            initial: ms(20),
            max: ms(40),
            window: Duration::from_secs(25),
        })
        .timeout(Duration::from_secs(5))
        .connect()
        .await
        .unwrap();
    concurrent_offers(&client, N, "lossy").await;
    assert_eq!(client.in_flight(), 0);
    let received = fake.received();
    let cookies: std::collections::HashSet<_> = received.iter().map(|r| r.cookie.clone()).collect();
    assert_eq!(cookies.len(), N);
    for cookie in &cookies {
        assert!(fake.count_for_cookie(cookie) >= 3);
        let copies: Vec<_> = received.iter().filter(|r| r.cookie == *cookie).collect();
        assert!(copies.iter().all(|r| r.body == copies[0].body));
    }
}

/// `ping` is never answered; `query` is.
async fn selective_fake() -> FakeNg {
    FakeNg::start(|req| {
        if req.is_command("query") {
            vec![FakeAction::ok()]
        } else {
            vec![]
        }
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn in_flight_limit_and_cleanup_on_cancel() {
    let fake = selective_fake().await;
    let client = Client::builder(fake.url())
        .max_in_flight(2)
        .retransmit(RetransmitPolicy::never())
        .timeout(Duration::from_secs(30))
        .connect()
        .await
        .unwrap();
    let opts = QueryOptions::new();
    let query = || client.query("q", &opts);

    // Two requests that never get an answer: one in a task, one a future polled here.
    let task = tokio::spawn({
        let client = client.clone();
        async move { client.ping().await }
    });
    let mut held = Box::pin(client.ping());
    assert!(tokio::time::timeout(ms(20), &mut held).await.is_err());
    assert!(eventually(ms(1000), || client.in_flight() == 2).await);
    assert!(eventually(ms(1000), || fake.received_count() == 2).await);

    // The third fails at once and is not sent.
    let err = tokio::time::timeout(ms(100), query())
        .await
        .expect("refused at once")
        .unwrap_err();
    assert!(
        matches!(err, Error::TooManyInFlight { limit: 2 }),
        "{err:?}"
    );
    assert!(err.is_retryable_elsewhere());
    tokio::time::sleep(ms(30)).await;
    assert_eq!(fake.received_count(), 2);
    assert_eq!(client.in_flight(), 2);

    // Cancelling the task frees its entry; one slot is enough for a request again.
    task.abort();
    assert!(task.await.unwrap_err().is_cancelled());
    assert_eq!(client.in_flight(), 1);
    query().await.unwrap();
    assert_eq!(client.in_flight(), 1);

    // Dropping the held future frees the other entry.
    drop(held);
    assert_eq!(client.in_flight(), 0);
    let (a, b) = tokio::join!(query(), query());
    a.unwrap();
    b.unwrap();
    assert_eq!(client.in_flight(), 0);

    // Timeouts free entries too.
    let short = client.with_timeout(ms(100));
    let (a, b) = tokio::join!(short.ping(), short.ping());
    assert!(a.unwrap_err().is_timeout());
    assert!(b.unwrap_err().is_timeout());
    assert_eq!(client.in_flight(), 0);
    query().await.unwrap();
}

/// Binds `addr` (the client's `0.0.0.0:P`): succeeds only once the client's socket is closed.
fn port_is_free(addr: SocketAddr) -> bool {
    std::net::UdpSocket::bind(addr).is_ok()
}

#[tokio::test]
async fn background_task_and_socket_live_as_long_as_a_handle() {
    let (fake, client) = fake_and_client(|_| vec![FakeAction::pong()]).await;
    let local = client.local_addr().unwrap();
    let clone = client.clone();
    let short = client.with_timeout(ms(500));
    assert_eq!(clone.local_addr().unwrap(), local);
    assert_eq!(short.local_addr().unwrap(), local);

    // Any one handle keeps the socket and the driver alive.
    drop(client);
    tokio::task::yield_now().await;
    assert!(!port_is_free(local));
    clone.ping().await.unwrap();
    drop(clone);
    tokio::time::sleep(ms(20)).await;
    assert!(!port_is_free(local));
    short.ping().await.unwrap();
    assert_eq!(fake.received_count(), 2);
    let senders: Vec<_> = fake.received().iter().map(|r| r.from.port()).collect();
    assert_eq!(senders, [local.port(), local.port()], "one shared socket");

    // The last handle gone, the background task ends and releases the socket.
    drop(short);
    assert!(
        eventually(ms(1000), || port_is_free(local)).await,
        "socket {local} still bound after the last handle was dropped"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn background_task_ends_on_a_multi_thread_runtime() {
    let (_fake, client) = fake_and_client(|_| vec![FakeAction::pong()]).await;
    let local = client.local_addr().unwrap();
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let c = client.clone();
            tokio::spawn(async move {
                c.ping().await.unwrap();
                c
            })
        })
        .collect();
    drop(client);
    let mut clones = Vec::new();
    for h in handles {
        clones.push(h.await.unwrap());
    }
    assert!(!port_is_free(local));
    drop(clones);
    assert!(
        eventually(ms(1000), || port_is_free(local)).await,
        "socket {local} still bound after the last handle was dropped"
    );
}
