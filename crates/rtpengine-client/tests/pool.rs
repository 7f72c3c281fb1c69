//! The connection pool of HTTP and WebSocket (one request per connection at a time) and the
//! connect timeout of every stream transport: in-flight accounting returns to zero, the pool
//! size bounds the connections, and a server that never accepts fails within the connect
//! timeout. Against the real daemon (`--listen-http` serves HTTP and WebSocket), with a TCP
//! relay counting connections.

use rtpengine_client::NgCommands;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rtpengine_client::{
    Client, Error, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_IDLE_CONNECTIONS, DEFAULT_POOL_SIZE,
};
use rtpengine_testkit::Rtpengine;
use tokio::net::{TcpListener, TcpStream};

fn start() -> Rtpengine {
    Rtpengine::builder()
        .start()
        .expect("start rtpengine (these tests need the real daemon)")
}

/// A TCP relay to `upstream` counting the connections it accepted and those open right now
/// (with the most open at once).
struct Relay {
    addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
    peak: Arc<AtomicUsize>,
}

impl Relay {
    async fn start(upstream: SocketAddr) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let accepted = Arc::new(AtomicUsize::new(0));
        let open = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let (accepted2, peak2) = (Arc::clone(&accepted), Arc::clone(&peak));
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                accepted2.fetch_add(1, Ordering::SeqCst);
                let now = open.fetch_add(1, Ordering::SeqCst) + 1;
                peak2.fetch_max(now, Ordering::SeqCst);
                let open = Arc::clone(&open);
                tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                    open.fetch_sub(1, Ordering::SeqCst);
                });
            }
        });
        Relay {
            addr,
            accepted,
            peak,
        }
    }
}

/// `n` pings at once on clones of `client`; every one must succeed.
async fn concurrent_pings(client: &Client, n: usize) {
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.ping().await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().expect("ping");
    }
}

#[test]
fn the_pool_defaults_are_documented_constants() {
    assert_eq!(DEFAULT_POOL_SIZE, 32);
    assert_eq!(DEFAULT_MAX_IDLE_CONNECTIONS, 32);
    assert_eq!(DEFAULT_CONNECT_TIMEOUT, Duration::from_secs(3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn in_flight_returns_to_zero_after_concurrent_http_and_ws_requests() {
    let rtpe = start();
    for scheme in ["http", "ws"] {
        let client = Client::connect(&format!("{scheme}://{}", rtpe.http_addr()))
            .await
            .unwrap();
        concurrent_pings(&client, 100).await;
        // A request that fails (an unknown call) ends its entry too.
        let err = client
            .query("no-such-call", &Default::default())
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Rtpengine { .. }), "{scheme}: {err:?}");
        assert_eq!(client.in_flight(), 0, "{scheme}: the transport's table");
        let stats = client.stats();
        assert_eq!(stats.in_flight, 0, "{scheme}: Client::stats");
        assert_eq!((stats.requests, stats.replies), (101, 101), "{scheme}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pool_size_one_serialises_concurrent_requests_on_one_connection() {
    let rtpe = start();
    for scheme in ["http", "ws"] {
        let relay = Relay::start(rtpe.http_addr()).await;
        let client = Client::builder(format!("{scheme}://{}", relay.addr))
            .pool_size(1)
            .connect()
            .await
            .unwrap();
        concurrent_pings(&client, 30).await;
        assert_eq!(relay.accepted.load(Ordering::SeqCst), 1, "{scheme}");
        assert_eq!(client.in_flight(), 0, "{scheme}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_pool_size_bounds_the_connections_open_at_once() {
    let rtpe = start();
    for scheme in ["http", "ws"] {
        let relay = Relay::start(rtpe.http_addr()).await;
        let client = Client::builder(format!("{scheme}://{}", relay.addr))
            .pool_size(3)
            .connect()
            .await
            .unwrap();
        concurrent_pings(&client, 60).await;
        let peak = relay.peak.load(Ordering::SeqCst);
        assert!(
            (1..=3).contains(&peak),
            "{scheme}: {peak} connections at once"
        );
    }
}

#[tokio::test]
async fn without_idle_connections_every_request_opens_one() {
    let rtpe = start();
    for scheme in ["http", "ws"] {
        let relay = Relay::start(rtpe.http_addr()).await;
        let client = Client::builder(format!("{scheme}://{}", relay.addr))
            .max_idle_connections(0)
            .connect()
            .await
            .unwrap();
        for _ in 0..4 {
            client.ping().await.unwrap();
        }
        // The first request takes the connection opened at connect; none is kept after.
        assert_eq!(relay.accepted.load(Ordering::SeqCst), 4, "{scheme}");
    }
}

/// A listening socket that never accepts, with its accept queue full: further connection
/// attempts get no answer at all (the kernel drops their SYNs), like a blackholed host.
fn full_listener() -> (socket2::Socket, Vec<std::net::TcpStream>) {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket
        .bind(&SocketAddr::from(([127, 0, 0, 1], 0)).into())
        .unwrap();
    socket.listen(0).unwrap();
    let addr = socket.local_addr().unwrap().as_socket().unwrap();
    let mut fillers = Vec::new();
    // Connect until one attempt hangs: the queue is full from then on.
    for _ in 0..16 {
        match std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
            Ok(s) => fillers.push(s),
            Err(_) => return (socket, fillers),
        }
    }
    panic!("the accept queue of a backlog-0 listener never filled");
}

#[tokio::test]
async fn every_stream_transport_gives_up_connecting_after_the_connect_timeout() {
    let (listener, _fillers) = full_listener();
    let addr = listener.local_addr().unwrap().as_socket().unwrap();
    for scheme in ["tcp", "http", "ws"] {
        let started = Instant::now();
        let err = Client::builder(format!("{scheme}://{addr}"))
            .timeout(Duration::from_secs(20))
            .connect_timeout(Duration::from_millis(300))
            .connect()
            .await
            .expect_err("nothing accepts");
        let took = started.elapsed();
        assert!(
            took >= Duration::from_millis(300) && took < Duration::from_secs(3),
            "{scheme}: {took:?}"
        );
        let Error::Io { context, source } = &err else {
            panic!("{scheme}: {err:?}")
        };
        assert_eq!(source.kind(), std::io::ErrorKind::TimedOut, "{scheme}");
        assert!(context.contains(&addr.to_string()), "{scheme}: {err}");
        assert!(
            err.to_string().contains("connect timeout"),
            "{scheme}: {err}"
        );
    }
}

#[tokio::test]
async fn the_connect_timeout_defaults_to_the_request_timeout_when_shorter() {
    let (listener, _fillers) = full_listener();
    let addr = listener.local_addr().unwrap().as_socket().unwrap();
    let started = Instant::now();
    let err = Client::builder(format!("http://{addr}"))
        .timeout(Duration::from_millis(250))
        .connect()
        .await
        .expect_err("nothing accepts");
    let took = started.elapsed();
    assert!(took < Duration::from_secs(2), "{took:?}: {err}");
    assert!(err.to_string().contains("250ms"), "{err}");
}
