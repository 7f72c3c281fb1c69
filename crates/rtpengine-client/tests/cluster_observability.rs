//! What a `Cluster` tells about itself, against real rtpengine daemons: the `metrics` series
//! (read through `metrics-util`'s debugging recorder), tracing spans, the latency average,
//! local errors that never mark a node down, and the per-node in-flight cap.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};
use metrics_util::MetricKind;
use rtpengine_client::{
    AnswerOptions, BreakerState, Cluster, ClusterBuilder, ClusterEvent, DeleteOptions, Error,
    NgCommands, Offer, OfferOptions, QueryOptions, Version, CLUSTER_METRICS,
};
use rtpengine_testkit::Rtpengine;

mod cluster_common;
use cluster_common::{routed_offer, sdp, start};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

/// A cluster tuned for tests (see `cluster_common::builder`) whose pings are rare (the first
/// after ~30 s), so only requests move the breakers; a half-open node is still probed at once.
fn builder(urls: impl IntoIterator<Item = String>) -> ClusterBuilder {
    cluster_common::builder(urls)
        .ping(Duration::from_secs(60), Duration::from_millis(300))
        .breaker(2, Duration::from_secs(60))
}

// ---- Metrics

/// The process-wide debugging recorder (installed once for this test binary).
fn snapshotter() -> &'static Snapshotter {
    static SNAPSHOTTER: OnceLock<Snapshotter> = OnceLock::new();
    SNAPSHOTTER.get_or_init(|| {
        let recorder = DebuggingRecorder::new();
        let snapshotter = recorder.snapshotter();
        recorder.install().expect("install the debugging recorder");
        snapshotter
    })
}

/// One recorded series: name, labels, value.
#[derive(Debug)]
struct Series {
    name: String,
    kind: MetricKind,
    labels: HashMap<String, String>,
    value: DebugValue,
}

impl Series {
    fn label(&self, key: &str) -> Option<&str> {
        self.labels.get(key).map(String::as_str)
    }

    fn has(&self, labels: &[(&str, &str)]) -> bool {
        labels.iter().all(|(k, v)| self.label(k) == Some(*v))
    }
}

/// Takes the snapshot (the debugging recorder drains counters, gauges and histograms: take it
/// once, at the end).
fn snapshot() -> Vec<Series> {
    snapshotter()
        .snapshot()
        .into_vec()
        .into_iter()
        .map(|(key, _, _, value)| {
            let (kind, key) = key.into_parts();
            Series {
                name: key.name().to_owned(),
                kind,
                labels: key
                    .labels()
                    .map(|l| (l.key().to_owned(), l.value().to_owned()))
                    .collect(),
                value,
            }
        })
        .collect()
}

fn counter(series: &[Series], name: &str, labels: &[(&str, &str)]) -> u64 {
    series
        .iter()
        .filter(|s| s.name == name && s.has(labels))
        .map(|s| match &s.value {
            DebugValue::Counter(n) => *n,
            other => panic!("{name} is not a counter: {other:?}"),
        })
        .sum()
}

fn gauge(series: &[Series], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    series
        .iter()
        .find(|s| s.name == name && s.has(labels))
        .map(|s| match &s.value {
            DebugValue::Gauge(v) => v.into_inner(),
            other => panic!("{name} is not a gauge: {other:?}"),
        })
}

fn histogram_samples(series: &[Series], name: &str, labels: &[(&str, &str)]) -> Vec<f64> {
    series
        .iter()
        .filter(|s| s.name == name && s.has(labels))
        .flat_map(|s| match &s.value {
            DebugValue::Histogram(v) => v.iter().map(|x| x.into_inner()).collect::<Vec<_>>(),
            other => panic!("{name} is not a histogram: {other:?}"),
        })
        .collect()
}

/// Every assertion on the recorder's snapshot lives in this one test (the snapshot drains the
/// recorder), and only series naming this test's two nodes are looked at.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_requests_failovers_breaker_and_gauges_per_node() {
    snapshotter();
    let mut daemons = start(2);
    let urls: Vec<String> = daemons.iter().map(Rtpengine::udp_url).collect();
    let cluster = builder(urls.clone()).build().await.expect("cluster");
    let mut events = cluster.events();
    let mut offers_ok: HashMap<String, u64> = HashMap::new();
    let mut deletes_ok: HashMap<String, u64> = HashMap::new();

    // Calls that come and go on both nodes.
    for i in 0..20u32 {
        let id = format!("obs-m-{i}");
        let routed = routed_offer(&cluster, &id, i).await.expect("offer");
        assert_eq!(routed.attempts, 1);
        *offers_ok.entry(routed.url.clone()).or_default() += 1;
        cluster
            .delete(&id, "tag-a", &DeleteOptions::new())
            .await
            .expect("delete");
        *deletes_ok.entry(routed.url).or_default() += 1;
    }
    assert_eq!(offers_ok.len(), 2, "both nodes took calls: {offers_ok:?}");

    // One call stays; its node is the victim.
    let routed = routed_offer(&cluster, "obs-m-kept", 100)
        .await
        .expect("offer kept");
    *offers_ok.entry(routed.url.clone()).or_default() += 1;
    let victim = routed.url.clone();
    let survivor = urls.iter().find(|u| **u != victim).expect("other").clone();
    let victim_index = urls.iter().position(|u| *u == victim).expect("victim");

    // An rtpengine error: an answer for a call nobody knows. It neither fails over nor counts
    // against the node.
    let e = cluster
        .answer(
            sdp(101),
            "obs-m-nobody",
            "tag-a",
            "tag-b",
            &AnswerOptions::new(),
        )
        .await
        .expect_err("unknown call");
    assert!(matches!(e, Error::Rtpengine { .. }), "{e}");
    for node in cluster.nodes() {
        assert_eq!(node.breaker, BreakerState::Closed, "{}", node.url);
    }

    // The victim dies; new calls keep coming until one failed over and the breaker opened.
    daemons[victim_index].kill().expect("kill");
    let mut failovers = 0u64;
    let mut node_down = false;
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut i = 200u32;
    while (failovers == 0 || !node_down) && Instant::now() < deadline {
        let id = format!("obs-m-after-{i}");
        let routed = routed_offer(&cluster, &id, i)
            .await
            .expect("a new call survives the kill");
        assert_eq!(routed.url, survivor);
        failovers += u64::from(routed.attempts - 1);
        *offers_ok.entry(routed.url.clone()).or_default() += 1;
        cluster
            .delete(&id, "tag-a", &DeleteOptions::new())
            .await
            .expect("delete");
        *deletes_ok.entry(routed.url).or_default() += 1;
        while let Ok(Some(event)) =
            tokio::time::timeout(Duration::from_millis(1), events.recv()).await
        {
            if matches!(&event, ClusterEvent::NodeDown { node, .. } if *node == victim) {
                node_down = true;
            }
        }
        i += 1;
    }
    assert!(
        failovers >= 1 && node_down,
        "failovers {failovers}, down {node_down}"
    );
    // The kept call's node is down: refused at once.
    let e = cluster
        .query("obs-m-kept", &QueryOptions::new())
        .await
        .expect_err("node down");
    assert!(matches!(e, Error::NodeDown { .. }), "{e}");
    let status = cluster.nodes();
    let victim_status = status.iter().find(|n| n.url == victim).expect("victim");
    assert_ne!(victim_status.breaker, BreakerState::Closed);

    let s = snapshot();
    let ours: Vec<&Series> = s
        .iter()
        .filter(|x| {
            ["node", "from", "to"]
                .iter()
                .any(|k| x.label(k).is_some_and(|v| urls.iter().any(|u| u == v)))
        })
        .collect();
    for series in &ours {
        eprintln!(
            "{:?} {} {:?} = {:?}",
            series.kind, series.name, series.labels, series.value
        );
    }
    const REQUESTS: &str = "rtpengine_requests_total";
    for url in &urls {
        let ok = offers_ok.get(url).copied().unwrap_or(0);
        assert_eq!(
            counter(
                &s,
                REQUESTS,
                &[("node", url), ("command", "offer"), ("outcome", "ok")]
            ),
            ok,
            "offer ok on {url}"
        );
        assert_eq!(
            counter(
                &s,
                REQUESTS,
                &[("node", url), ("command", "delete"), ("outcome", "ok")]
            ),
            deletes_ok.get(url).copied().unwrap_or(0),
            "delete ok on {url}"
        );
        let durations = histogram_samples(
            &s,
            "rtpengine_request_duration_seconds",
            &[("node", url), ("command", "offer")],
        );
        assert!(
            durations.len() as u64 >= ok && ok > 0,
            "{} offer durations on {url}, {ok} answered",
            durations.len()
        );
        assert!(
            durations.iter().all(|d| (0.0..2.0).contains(d)),
            "{durations:?}"
        );
        assert_eq!(
            gauge(&s, "rtpengine_in_flight", &[("node", url)]),
            Some(0.0),
            "in flight on {url}"
        );
    }
    let offers: u64 = offers_ok.values().sum();
    let offer_ok_total: u64 = urls
        .iter()
        .map(|u| {
            counter(
                &s,
                REQUESTS,
                &[("node", u), ("command", "offer"), ("outcome", "ok")],
            )
        })
        .sum();
    assert_eq!(offer_ok_total, offers);
    // The answer's rtpengine error: once, on whichever node placement picked.
    let answer_errors: u64 = urls
        .iter()
        .map(|u| {
            counter(
                &s,
                REQUESTS,
                &[
                    ("node", u),
                    ("command", "answer"),
                    ("outcome", "rtpengine_error"),
                ],
            )
        })
        .sum();
    assert_eq!(answer_errors, 1);
    // Failed offers on the victim: one per failover (a timeout or a transport error).
    let victim_failed: u64 = ["timeout", "transport"]
        .iter()
        .map(|o| {
            counter(
                &s,
                REQUESTS,
                &[("node", &victim), ("command", "offer"), ("outcome", o)],
            )
        })
        .sum();
    assert_eq!(victim_failed, failovers);
    assert_eq!(
        counter(
            &s,
            "rtpengine_failovers_total",
            &[("from", &victim), ("to", &survivor), ("command", "offer")]
        ),
        failovers
    );
    assert_eq!(
        counter(&s, "rtpengine_failovers_total", &[("command", "answer")]),
        0,
        "an rtpengine error never fails over"
    );
    assert_eq!(
        counter(
            &s,
            "rtpengine_breaker_transitions_total",
            &[("node", &victim), ("from", "closed"), ("to", "open")]
        ),
        1
    );
    assert_eq!(
        counter(
            &s,
            "rtpengine_breaker_transitions_total",
            &[("node", &survivor)]
        ),
        0,
        "the live node's breaker (and the answer's error) moved nothing"
    );
    assert_eq!(
        counter(
            &s,
            "rtpengine_node_down_rejections_total",
            &[("node", &victim), ("command", "query")]
        ),
        1
    );
    assert_eq!(
        gauge(&s, "rtpengine_node_up", &[("node", &victim)]),
        Some(0.0)
    );
    assert_eq!(
        gauge(&s, "rtpengine_node_up", &[("node", &survivor)]),
        Some(1.0)
    );
    // Every series the scenario exercises appears (no HA peers: no call moved).
    for &(name, kind, labels, _) in CLUSTER_METRICS {
        if name == "rtpengine_calls_moved_total" {
            continue;
        }
        let found: Vec<&&Series> = ours.iter().filter(|x| x.name == name).collect();
        assert!(!found.is_empty(), "{name} ({kind}) recorded");
        let expected_kind = match kind {
            "counter" => MetricKind::Counter,
            "gauge" => MetricKind::Gauge,
            _ => MetricKind::Histogram,
        };
        for series in found {
            assert_eq!(series.kind, expected_kind, "{name}");
            let mut keys: Vec<&str> = series.labels.keys().map(String::as_str).collect();
            keys.sort_unstable();
            let mut listed: Vec<&str> = labels.split(", ").collect();
            listed.sort_unstable();
            assert_eq!(keys, listed, "{name}'s labels");
        }
    }
}

// ---- Local errors

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_errors_never_mark_a_node_down() {
    let daemons = start(1);
    let cluster = builder([daemons[0].udp_url()])
        .client(|b| b.rtpengine_version(Version::new(10, 5)))
        .build()
        .await
        .expect("cluster");
    let before = cluster.nodes()[0].stats.clone();
    let started = Instant::now();
    for _ in 0..20 {
        let e = cluster
            .cli("version")
            .await
            .expect_err("cli is newer than 10.5");
        assert!(matches!(e, Error::Unsupported { .. }), "{e}");
    }
    let took = started.elapsed();
    let node = &cluster.nodes()[0];
    assert_eq!(node.breaker, BreakerState::Closed);
    assert_eq!(node.in_flight, 0);
    // Nothing reached the daemon: the client refused each one (counted as its own
    // `unsupported` errors), no reply, no timeout.
    let stats = &node.stats;
    assert_eq!(stats.replies, before.replies, "{stats:?}");
    assert_eq!(stats.timeouts, before.timeouts, "{stats:?}");
    assert_eq!(stats.errors.io, 0, "{stats:?}");
    assert_eq!(
        stats.errors.unsupported,
        before.errors.unsupported + 20,
        "{stats:?}"
    );
    // Nor do the cluster's node counters: nothing reached the node.
    assert_eq!((node.requests, node.ok, node.errors), (0, 0, 0), "{node:?}");
    assert!(took < Duration::from_millis(200), "{took:?}");
    // The node still serves.
    cluster.ping().await.expect("ping");
    assert_eq!(cluster.nodes()[0].breaker, BreakerState::Closed);
}

// ---- Tracing

#[derive(Debug, Clone)]
struct SpanRecord {
    name: String,
    fields: HashMap<String, String>,
    /// Index of the parent in the list.
    parent: Option<usize>,
}

#[derive(Default, Clone)]
struct Spans {
    list: Arc<Mutex<Vec<SpanRecord>>>,
    /// Live span id → index in `list` (ids are reused after a span closes).
    live: Arc<Mutex<HashMap<u64, usize>>>,
}

struct Fields<'a>(&'a mut HashMap<String, String>);

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}

impl<S: tracing::Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Spans {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = HashMap::new();
        attrs.record(&mut Fields(&mut fields));
        let live = &mut *self.live.lock().unwrap();
        let parent = ctx
            .span(id)
            .and_then(|s| s.parent())
            .and_then(|p| live.get(&p.id().into_u64()).copied());
        let mut list = self.list.lock().unwrap();
        list.push(SpanRecord {
            name: attrs.metadata().name().to_owned(),
            fields,
            parent,
        });
        live.insert(id.into_u64(), list.len() - 1);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, _ctx: Context<'_, S>) {
        let live = self.live.lock().unwrap();
        if let Some(&i) = live.get(&id.into_u64()) {
            values.record(&mut Fields(&mut self.list.lock().unwrap()[i].fields));
        }
    }
}

/// Current-thread runtime: the subscriber set for this thread sees every task.
#[tokio::test]
async fn a_cluster_offer_is_traced_as_cluster_node_and_request_spans() {
    let daemons = start(2);
    let urls: Vec<String> = daemons.iter().map(Rtpengine::udp_url).collect();
    let spans = Spans::default();
    let _guard =
        tracing::subscriber::set_default(tracing_subscriber::registry().with(spans.clone()));
    let cluster = builder(urls.clone()).build().await.expect("cluster");
    let routed = cluster
        .send_routed(&Offer {
            sdp: sdp(1).as_bytes(),
            call_id: "obs-trace-1",
            from_tag: "tag-a",
            options: &OfferOptions::new(),
        })
        .await
        .expect("offer");
    cluster
        .delete("obs-trace-1", "tag-a", &DeleteOptions::new())
        .await
        .expect("delete");
    let list = spans.list.lock().unwrap().clone();
    let field = |r: &SpanRecord, k: &str| r.fields.get(k).cloned().unwrap_or_default();
    let (ci, cluster_span) = list
        .iter()
        .enumerate()
        .find(|(_, r)| {
            r.name == "ng_cluster"
                && field(r, "command") == "offer"
                && field(r, "call_id") == "obs-trace-1"
        })
        .unwrap_or_else(|| panic!("an ng_cluster span for the offer: {list:#?}"));
    assert!(cluster_span.parent.is_none());
    let (ni, node_span) = list
        .iter()
        .enumerate()
        .find(|(_, r)| r.name == "ng_node" && r.parent == Some(ci))
        .unwrap_or_else(|| panic!("an ng_node span under ng_cluster: {list:#?}"));
    assert_eq!(field(node_span, "node"), routed.url);
    let request_span = list
        .iter()
        .find(|r| r.name == "ng_request" && r.parent == Some(ni))
        .unwrap_or_else(|| panic!("an ng_request span under ng_node: {list:#?}"));
    assert_eq!(field(request_span, "command"), "offer");
    assert_eq!(field(request_span, "call_id"), "obs-trace-1");
    assert!(
        !field(request_span, "cookie").is_empty(),
        "{request_span:?}"
    );
    let port = routed.url.rsplit(':').next().expect("port");
    assert!(
        field(request_span, "server").contains(port),
        "{request_span:?} vs {}",
        routed.url
    );
    // The delete has its own tree, on the same node.
    assert!(list.iter().any(|r| r.name == "ng_cluster"
        && field(r, "command") == "delete"
        && field(r, "call_id") == "obs-trace-1"));
}

// ---- Latency average

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_nodes_get_a_smoothed_latency_below_100_ms() {
    let daemons = start(2);
    let cluster = builder(daemons.iter().map(Rtpengine::udp_url))
        .build()
        .await
        .expect("cluster");
    assert!(cluster.nodes().iter().all(|n| n.latency.is_none()));
    for i in 0..20 {
        let id = format!("obs-lat-{i}");
        cluster
            .offer(sdp(i), &id, "tag-a", &OfferOptions::new())
            .await
            .expect("offer");
        cluster
            .delete(&id, "tag-a", &DeleteOptions::new())
            .await
            .expect("delete");
    }
    for node in cluster.nodes() {
        assert!(node.requests > 0, "{node:?}");
        let latency = node
            .latency
            .unwrap_or_else(|| panic!("{} has a latency", node.url));
        assert!(
            latency > Duration::ZERO && latency < Duration::from_millis(100),
            "{}: {latency:?}",
            node.url
        );
    }
}

// ---- Backpressure

/// One node, SIGSTOPped: two requests hang on it and fill its cap of 2.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_at_its_in_flight_cap_refuses_at_once_or_waits_until_the_deadline() {
    let mut daemons = start(1);
    let url = daemons[0].udp_url();
    let fail_fast = builder([url.clone()])
        .max_in_flight_per_node(2)
        .wait_when_busy(false)
        .build()
        .await
        .expect("cluster");
    let waiting = builder([url.clone()])
        .max_in_flight_per_node(2)
        .wait_when_busy(true)
        .build()
        .await
        .expect("cluster");
    daemons[0].stop().expect("SIGSTOP");

    // Without waiting: the third request (naming no call) fails at once. With one node there is
    // no next node to try: the single node's NodeBusy is the answer.
    let blockers: Vec<_> = (0..2)
        .map(|_| {
            let c = fail_fast.with_timeout(Duration::from_secs(3));
            tokio::spawn(async move { c.ping().await })
        })
        .collect();
    wait_in_flight(&fail_fast, 2).await;
    let started = Instant::now();
    let e = fail_fast.ping().await.expect_err("busy");
    let took = started.elapsed();
    assert!(
        matches!(&e, Error::NodeBusy { node, limit: 2 } if *node == url),
        "{e}"
    );
    assert!(took < Duration::from_millis(50), "{took:?}");

    // Waiting: the third request waits for a slot and fails by its own deadline.
    let waiting_blockers: Vec<_> = (0..2)
        .map(|_| {
            let c = waiting.with_timeout(Duration::from_secs(3));
            tokio::spawn(async move { c.statistics().await.map(|_| ()) })
        })
        .collect();
    wait_in_flight(&waiting, 2).await;
    let started = Instant::now();
    let e = tokio::time::timeout(
        Duration::from_secs(3),
        waiting.with_timeout(Duration::from_secs(1)).ping(),
    )
    .await
    .expect("never hangs past its deadline")
    .expect_err("busy until the deadline");
    let took = started.elapsed();
    assert!(matches!(&e, Error::NodeBusy { limit: 2, .. }), "{e}");
    assert!(
        took >= Duration::from_millis(950) && took < Duration::from_millis(1300),
        "{took:?}"
    );
    for c in [&fail_fast, &waiting] {
        let node = &c.nodes()[0];
        assert_eq!(node.in_flight, 2, "{node:?}");
        assert_eq!(node.breaker, BreakerState::Closed, "busy is no failure");
    }

    // The node wakes up: the blocked requests are answered.
    daemons[0].cont().expect("SIGCONT");
    for b in blockers.into_iter().chain(waiting_blockers) {
        b.await.expect("task").expect("answered after SIGCONT");
    }
    for c in [&fail_fast, &waiting] {
        let node = &c.nodes()[0];
        assert_eq!(node.in_flight, 0);
        assert_eq!(node.breaker, BreakerState::Closed);
    }
}

async fn wait_in_flight(cluster: &Cluster, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(2);
    while cluster.nodes()[0].in_flight < n {
        assert!(Instant::now() < deadline, "{n} requests in flight");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}
