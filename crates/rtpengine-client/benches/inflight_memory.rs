//! Memory per request in flight: registers 10,000 `ping`s against a UDP socket that never
//! answers and measures what they hold.
//!
//! Run with `cargo bench -p rtpengine-client --bench inflight_memory`; it fails when a request
//! in flight holds more than the 2 KB budget. `cargo test --benches` runs it too, unoptimized,
//! where the figures are only printed.
//!
//! The request futures are boxed and polled once each, by hand, on one task: each one has then
//! taken its cookie, encoded its message, registered in the in-flight table, sent its datagram
//! and is waiting, exactly as when awaited by an application, but without an application task
//! around it. A counting global allocator gives the heap bytes live before and after (exact,
//! and the same on every run); `/proc/self/statm` gives the resident set as a cross-check
//! (page-granular, includes allocator slack). Per request:
//!
//! * `future`: the boxed state of `Client::ping()` (where an application keeps it: in its own
//!   task, or in a `JoinSet`), its `size_of`;
//! * `heap inside the library`: everything else allocated and still held (cookie, encoded
//!   message, table entry and its share of the table's growth, the reply channel);
//! * beyond the request bytes: the above minus the encoded datagram's length.

use rtpengine_client::NgCommands;
use std::alloc::{GlobalAlloc, Layout, System};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicIsize, AtomicUsize, Ordering};
use std::task::Poll;
use std::time::Duration;

use rtpengine_client::{Client, RetransmitPolicy};

/// Requests put in flight.
const REQUESTS: usize = 10_000;

/// The budget per request in flight beyond the request bytes.
const BUDGET: usize = 2_048;

/// The length of the datagram a `ping` sends: `<cookie> d7:command4:pinge`.
fn ping_datagram_len(cookie_len: usize) -> usize {
    cookie_len + " d7:command4:pinge".len()
}

/// The system allocator, counting live bytes and allocations.
struct Counting;

static LIVE_BYTES: AtomicIsize = AtomicIsize::new(0);
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE_BYTES.fetch_add(layout.size() as isize, Ordering::Relaxed);
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        LIVE_BYTES.fetch_add(layout.size() as isize, Ordering::Relaxed);
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE_BYTES.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE_BYTES.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Resident set size in bytes (from /proc/self/statm), if readable.
fn rss() -> Option<usize> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: usize = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

type PingFuture<'a> = Pin<Box<dyn Future<Output = rtpengine_client::Result<()>> + Send + 'a>>;

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    // A server that never answers: a bound socket nobody reads.
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
    let url = format!("udp://{}", silent.local_addr().expect("addr"));

    let report = rt.block_on(async {
        let client = Client::builder(&url)
            .max_in_flight(20_000)
            .timeout(Duration::from_secs(60))
            .retransmit(RetransmitPolicy::never())
            .connect()
            .await
            .expect("client");
        let cookie_len = rtpengine_client::message::new_cookie().len();
        let future_size = std::mem::size_of_val(&client.ping());

        // Warm up once (lazy statics, the runtime's first timer, the table's first allocation).
        {
            let mut one: PingFuture<'_> = Box::pin(client.ping());
            std::future::poll_fn(|cx| {
                assert!(one.as_mut().poll(cx).is_pending());
                Poll::Ready(())
            })
            .await;
        }
        assert_eq!(client.in_flight(), 0);

        let mut futures: Vec<PingFuture<'_>> = Vec::with_capacity(REQUESTS);
        let (live0, allocs0, rss0) = (
            LIVE_BYTES.load(Ordering::Relaxed),
            ALLOCATIONS.load(Ordering::Relaxed),
            rss(),
        );
        for _ in 0..REQUESTS {
            futures.push(Box::pin(client.ping()));
        }
        std::future::poll_fn(|cx| {
            for f in &mut futures {
                assert!(f.as_mut().poll(cx).is_pending(), "nobody answers");
            }
            Poll::Ready(())
        })
        .await;
        let (live1, allocs1, rss1) = (
            LIVE_BYTES.load(Ordering::Relaxed),
            ALLOCATIONS.load(Ordering::Relaxed),
            rss(),
        );
        assert_eq!(client.in_flight(), REQUESTS);
        drop(futures);
        assert_eq!(client.in_flight(), 0, "dropping a request frees its entry");
        let live2 = LIVE_BYTES.load(Ordering::Relaxed);

        let per_request = (live1 - live0) as usize / REQUESTS;
        let heap_inside = per_request - future_size;
        let datagram = ping_datagram_len(cookie_len);
        let beyond = per_request.saturating_sub(datagram);
        let lines = [
            format!("requests in flight:                {REQUESTS}"),
            format!("heap per request (counted):        {per_request} B"),
            format!("  the request future (size_of):    {future_size} B"),
            format!("  heap inside the library:         {heap_inside} B"),
            format!(
                "  allocations per request:         {:.2}",
                (allocs1 - allocs0) as f64 / REQUESTS as f64
            ),
            format!("request bytes (the datagram):      {datagram} B"),
            format!("per request beyond the request:    {beyond} B (budget {BUDGET} B)"),
            match (rss0, rss1) {
                (Some(a), Some(b)) => format!(
                    "resident set growth per request:   {} B",
                    b.saturating_sub(a) / REQUESTS
                ),
                _ => "resident set: /proc/self/statm unreadable".to_owned(),
            },
            format!(
                "heap still held after dropping:    {} B per request",
                (live2 - live0).max(0) as usize / REQUESTS
            ),
        ];
        (lines, beyond)
    });
    println!("inflight_memory");
    for line in report.0 {
        println!("  {line}");
    }
    // Only an optimized build says what a request costs: without optimizations the request
    // future alone is several times larger (`cargo test --benches` builds benches that way).
    if cfg!(debug_assertions) {
        println!("  (unoptimized build: the budget is checked by `cargo bench` only)");
    } else {
        assert!(
            report.1 <= BUDGET,
            "{} B per request in flight beyond the request bytes (budget {BUDGET} B)",
            report.1
        );
    }
}
