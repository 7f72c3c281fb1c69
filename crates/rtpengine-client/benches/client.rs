//! Client round-trip benchmarks: [`Client::ping`] against a minimal in-process UDP responder,
//! and the same exchange with bare pre-encoded datagrams on a tokio `UdpSocket` (the physical
//! floor), at 1, 64, 1,000 and 10,000 requests in flight.
//!
//! Run with `cargo bench -p rtpengine-client --bench client`. The responder is one OS thread
//! answering `cookie d6:result4:ponge` to every datagram; both sides talk to the same responder
//! on loopback from a two-worker tokio runtime, so `client / bare_socket` at the same number in
//! flight is the share of the achievable throughput the client keeps (see BENCHMARKS.md).
//!
//! * `client/N`: N concurrent `ping`s per iteration. With N > 1 each ping runs in its own task
//!   (a `JoinSet`), as N independent callers of an application would; the library itself
//!   spawns nothing per request. Each ping takes a fresh cookie, encodes, registers in the
//!   in-flight table, sends, and waits for its reply, which the client's one receive task
//!   decodes and hands over.
//! * `bare_socket/N`: N pre-encoded datagrams with distinct cookies sent on one socket, then
//!   the N replies read on the same task and matched by cookie in a `HashSet`. No encoding, no
//!   table, no timers, no task switch; its socket has a large receive buffer (the client's keeps
//!   the system default), so a burst of replies waits in the kernel instead of being dropped.
//!   A reply missing for 200 ms is sent again, and the run says so at the end, since a lost
//!   datagram makes the floor meaningless.
//!
//! At the end the run lists, per benchmark, the datagrams the responder received beyond one
//! per request (retransmissions that arrived) and the machine's UDP receive-buffer drops.

use rtpengine_client::NgCommands;
use std::collections::HashSet;
use std::net::{SocketAddr, UdpSocket as StdUdpSocket};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use bytes::Bytes;
use criterion::{
    criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput,
};
use rtpengine_client::Client;
use tokio::net::UdpSocket;
use tokio::runtime::Runtime;
use tokio::task::JoinSet;

/// Requests in flight per iteration.
const IN_FLIGHT: [usize; 4] = [1, 64, 1_000, 10_000];

/// How long the bare baseline waits for a missing reply before sending its request again.
const BARE_RESEND_AFTER: Duration = Duration::from_millis(200);

/// The socket buffers of the responder and of the bare baseline (the kernel caps them at
/// `net.core.rmem_max`/`wmem_max`). The client's own socket keeps the system default.
const BIG_BUFFER: usize = 16 << 20;

/// Datagrams the bare baseline had to send again (lost on loopback).
static BARE_RESENDS: AtomicU64 = AtomicU64::new(0);

/// A UDP responder on its own thread: answers `cookie d6:result4:ponge` to every datagram.
struct Responder {
    addr: SocketAddr,
    /// Datagrams received so far.
    received: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<u64>>,
}

impl Responder {
    fn start() -> Self {
        // A large receive buffer, so that the responder, not the kernel, decides what is
        // answered when a burst arrives.
        let socket = big_buffered_socket();
        socket
            .set_read_timeout(Some(Duration::from_millis(50)))
            .expect("read timeout");
        let addr = socket.local_addr().expect("local addr");
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let received = Arc::new(AtomicU64::new(0));
        let count = Arc::clone(&received);
        let thread = std::thread::spawn(move || {
            let mut buf = vec![0u8; 65_536];
            let mut reply = Vec::with_capacity(128);
            let mut answered = 0u64;
            while !flag.load(Ordering::Relaxed) {
                let (len, from) = match socket.recv_from(&mut buf) {
                    Ok(v) => v,
                    Err(_) => continue, // read timeout: look at the stop flag
                };
                count.fetch_add(1, Ordering::Relaxed);
                let Some(space) = buf[..len].iter().position(|&b| b == b' ') else {
                    continue;
                };
                reply.clear();
                reply.extend_from_slice(&buf[..space]);
                reply.extend_from_slice(b" d6:result4:ponge");
                if socket.send_to(&reply, from).is_ok() {
                    answered += 1;
                }
            }
            answered
        });
        Self {
            addr,
            received,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Responder {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A loopback UDP socket with [`BIG_BUFFER`] receive and send buffers (blocking).
fn big_buffered_socket() -> StdUdpSocket {
    let socket = socket2::Socket::new(
        socket2::Domain::IPV4,
        socket2::Type::DGRAM,
        Some(socket2::Protocol::UDP),
    )
    .expect("socket");
    socket
        .set_recv_buffer_size(BIG_BUFFER)
        .expect("receive buffer");
    socket
        .set_send_buffer_size(BIG_BUFFER)
        .expect("send buffer");
    socket
        .bind(&SocketAddr::from(([127, 0, 0, 1], 0)).into())
        .expect("bind");
    StdUdpSocket::from(socket)
}

/// The runtime both sides run on: two workers, as many as this machine has cores.
fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

/// Requests each side has made (so that extra datagrams at the responder show retransmissions).
static REQUESTS: AtomicU64 = AtomicU64::new(0);

/// UDP datagrams the kernel dropped for a full receive buffer, machine-wide
/// (`RcvbufErrors` in /proc/net/snmp), if readable.
fn rcvbuf_errors() -> Option<u64> {
    let snmp = std::fs::read_to_string("/proc/net/snmp").ok()?;
    let mut udp = snmp.lines().filter(|l| l.starts_with("Udp: "));
    let (names, values) = (udp.next()?, udp.next()?);
    let at = names.split_whitespace().position(|n| n == "RcvbufErrors")?;
    values.split_whitespace().nth(at)?.parse().ok()
}

/// Runs one benchmark and notes the datagrams the responder received beyond one per request
/// (retransmissions that arrived) and the receive-buffer drops meanwhile.
fn noting_loss(notes: &mut Vec<String>, id: String, responder: &Responder, run: impl FnOnce()) {
    let (requests, received, drops) = (
        REQUESTS.load(Ordering::Relaxed),
        responder.received.load(Ordering::Relaxed),
        rcvbuf_errors(),
    );
    run();
    let requests = REQUESTS.load(Ordering::Relaxed) - requests;
    let received = responder.received.load(Ordering::Relaxed) - received;
    let drops = match (drops, rcvbuf_errors()) {
        (Some(a), Some(b)) => (b - a).to_string(),
        _ => "?".to_owned(),
    };
    notes.push(format!(
        "{id}: {requests} requests, {received} datagrams at the responder ({} extra), \
         {drops} receive-buffer drops machine-wide",
        received.saturating_sub(requests)
    ));
}

/// `n` concurrent pings through the client.
async fn client_round(client: &Client, n: usize) {
    REQUESTS.fetch_add(n as u64, Ordering::Relaxed);
    if n == 1 {
        client.ping().await.expect("pong");
        return;
    }
    let mut set = JoinSet::new();
    for _ in 0..n {
        let client = client.clone();
        set.spawn(async move { client.ping().await });
    }
    while let Some(done) = set.join_next().await {
        done.expect("task").expect("pong");
    }
}

/// The cookie of a message or reply (up to the first space).
fn cookie_of(message: &[u8]) -> &[u8] {
    let end = message
        .iter()
        .position(|&b| b == b' ')
        .unwrap_or(message.len());
    &message[..end]
}

/// Sends `datagrams` on `socket`, then reads the replies on the same task, matching them by
/// cookie, until each has its reply; sends missing ones again after [`BARE_RESEND_AFTER`] of
/// silence.
async fn bare_round(socket: &UdpSocket, datagrams: &[Bytes]) {
    REQUESTS.fetch_add(datagrams.len() as u64, Ordering::Relaxed);
    let mut pending: HashSet<&[u8]> = datagrams.iter().map(|d| cookie_of(d)).collect();
    let mut to_send: Vec<&Bytes> = datagrams.iter().collect();
    let mut buf = [0u8; 2048];
    loop {
        for d in &to_send {
            socket.send(d).await.expect("send");
        }
        while !pending.is_empty() {
            match tokio::time::timeout(BARE_RESEND_AFTER, socket.recv(&mut buf)).await {
                Ok(Ok(len)) => {
                    pending.remove(cookie_of(&buf[..len]));
                }
                Ok(Err(e)) => panic!("recv: {e}"),
                Err(_) => break,
            }
        }
        if pending.is_empty() {
            return;
        }
        to_send = datagrams
            .iter()
            .filter(|d| pending.contains(cookie_of(d)))
            .collect();
        BARE_RESENDS.fetch_add(to_send.len() as u64, Ordering::Relaxed);
    }
}

fn round_trips(c: &mut Criterion) {
    let rt = runtime();
    let responder = Responder::start();
    let url = format!("udp://{}", responder.addr);
    let client = rt
        .block_on(Client::builder(&url).max_in_flight(20_000).connect())
        .expect("client");
    rt.block_on(client.ping()).expect("responder answers");
    let socket = rt.block_on(async {
        let s = big_buffered_socket();
        s.set_nonblocking(true).expect("nonblocking");
        let s = UdpSocket::from_std(s).expect("tokio socket");
        s.connect(responder.addr).await.expect("connect");
        s
    });

    let mut group = c.benchmark_group("ping_round_trip");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    let mut notes = Vec::new();
    // `cargo test --benches` runs each benchmark once (no `--bench` argument): leave out the
    // 10,000 burst there, whose losses make it take seconds.
    let measuring = std::env::args().any(|a| a == "--bench");
    for n in IN_FLIGHT {
        if !measuring && n > 1_000 {
            continue;
        }
        group.throughput(Throughput::Elements(n as u64));
        // Thousands in flight take milliseconds an iteration: equal-sized samples keep the run
        // short.
        group.sampling_mode(if n >= 1_000 {
            SamplingMode::Flat
        } else {
            SamplingMode::Auto
        });
        noting_loss(&mut notes, format!("client/{n}"), &responder, || {
            group.bench_with_input(BenchmarkId::new("client", n), &n, |b, &n| {
                b.to_async(&rt).iter(|| client_round(&client, n))
            });
        });
        // The same message the client sends (`cookie d7:command4:pinge`), cookies as long as
        // the client's, encoded once.
        let datagrams: Vec<Bytes> = (0..n)
            .map(|i| Bytes::from(format!("5f3a9c1e0badcafe-{i:x}-0c0ffee0 d7:command4:pinge")))
            .collect();
        noting_loss(&mut notes, format!("bare_socket/{n}"), &responder, || {
            group.bench_with_input(BenchmarkId::new("bare_socket", n), &n, |b, _| {
                b.to_async(&rt).iter(|| bare_round(&socket, &datagrams))
            });
        });
    }
    group.finish();
    assert_eq!(client.in_flight(), 0, "every ping was answered");
    eprintln!("Datagrams per benchmark (warm-up included):");
    for note in notes {
        eprintln!("  {note}");
    }
    let resends = BARE_RESENDS.load(Ordering::Relaxed);
    if resends > 0 {
        eprintln!("warning: the bare baseline lost and re-sent {resends} datagrams");
    }
    drop(client);
    drop(rt);
    drop(responder);
}

criterion_group!(benches, round_trips);
criterion_main!(benches);
