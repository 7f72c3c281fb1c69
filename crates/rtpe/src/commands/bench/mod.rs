//! `rtpe bench`: a load generator against one or more rtpengines.
//!
//! ```text
//! rtpe [--server URL]… bench SCENARIO [--count N | --duration SECS] [--concurrency C]
//!      [--rate R] [--media] [--calls K] [--threads N] [--json]
//! ```
//!
//! Scenarios (one *operation* each):
//!
//! * `ping`: one `ping` request.
//! * `call`: one call, `offer` + `answer` + `delete` (delete-delay 0) with phone-like audio SDPs
//!   (PCMU, PCMA, telephone-event). With `--media`, two local UDP sockets per call stand for the
//!   phones and send 5 RTP packets each way through the ports rtpengine wrote into the SDPs
//!   before the delete; a call counts as failed unless all 10 arrive within 2 s.
//! * `query`: `--calls K` calls (default 10) are created first (unmeasured), then queried
//!   round-robin, then deleted.
//!
//! `--count N` operations in all (default 1000), or as many as `--duration SECS` allows
//! (operations in flight at the end finish and count). At most `--concurrency C` operations are
//! in flight (default 16). `--rate R` paces the starts evenly at R operations per second
//! (requests for `ping`/`query`, calls for `call`); without it they go as fast as the
//! concurrency allows. With several `--server`s the requests go through the library's
//! `Cluster`: each call is placed on a node by its call-id (weight and tier from
//! `URL?weight=N&tier=N`) and its requests follow it there; pings, which name no call, go
//! round-robin over the nodes. `--timeout` is each request's deadline (failovers included).
//!
//! A live progress bar (rate, errors) is drawn on stderr when stderr is a terminal and `--json`
//! is not given. The report goes to stdout: requests, ok, errors by kind (timeout, rtpengine's
//! error replies, other), throughput, latency percentiles (HDR histogram, µs, over the requests
//! that got a reply; per command and, for `call`, per call as offer + answer + delete time),
//! UDP retransmissions (datagrams sent − requests sent, from the clients' counters,
//! `Client::stats`), and seconds. `--json` prints one object with `requests`,
//! `ok`, `errors`, `error_kinds`, `retransmissions`, `seconds`, `per_second`, `latency_us`
//! (`p50`, `p90`, `p99`, `p999`, `max`, `min`, `mean`, `count`), `commands`, `calls` (call),
//! `media` (--media), `nodes` (several servers: `{URL: {requests, ok, errors}}` over the
//! measured run, failovers included) and `error_samples`.
//!
//! Every call the bench creates is deleted (delete-delay 0): after each call, after errors
//! (a failed offer or answer is followed by a delete; calls whose delete failed are deleted again
//! at the end), at the end of `--duration`, and on Ctrl-C (the first stops starting operations
//! and lets those in flight finish; a second one abandons them; either way the leftovers are
//! deleted and the report printed).
//!
//! Exit status: 0 when the bench ran, whatever errors it counted; 2 for usage errors; the
//! usual codes (1, 3, 4) when the `query` scenario's calls cannot be created.

mod report;
mod scenario;

use rtpengine_client::NgCommands;
use std::io::IsTerminal as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rtpengine_client::Error;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::common::global::{client_builder, Target};
use crate::common::outcome::EXIT_TIMEOUT;
use crate::common::{usage, Failure, GlobalArgs, Output, EXIT_OTHER};
use report::{NodeCount, Report, Stats};
use scenario::{lock, LiveCalls, Naming, Server};

/// Operations when neither `--count` nor `--duration` is given.
const DEFAULT_COUNT: u64 = 1000;

/// Calls the `query` scenario creates unless `--calls` says otherwise.
const DEFAULT_QUERY_CALLS: u32 = 10;

/// How often the progress bar is refreshed.
const TICK: Duration = Duration::from_millis(250);

/// Arguments of `bench`.
#[derive(Debug, Args)]
#[command(after_help = "\
The report (stdout): requests, ok, errors by kind (timeout, rtpengine, other), throughput, \
latency percentiles in µs (p50 p90 p99 p99.9 max; per request, per command and, for call, per \
call), retransmissions and seconds; --json prints one JSON object. A progress bar is drawn on \
stderr when it is a terminal (not with --json).

Every call the bench creates is deleted with delete-delay 0, also after errors, at the end of \
--duration and on Ctrl-C (the first lets operations in flight finish, a second abandons them).

Exit status: 0 when the bench ran, whatever errors it counted; 2 usage error; 1, 3 or 4 when \
the query scenario cannot create its calls.")]
pub(crate) struct BenchCmd {
    /// What one operation is.
    #[arg(value_enum, value_name = "SCENARIO")]
    pub(crate) scenario: Scenario,
    /// Operations in all: requests for ping and query, calls for call [default: 1000].
    #[arg(
        long,
        value_name = "N",
        conflicts_with = "duration",
        value_parser = clap::value_parser!(u64).range(1..),
    )]
    pub(crate) count: Option<u64>,
    /// Run for this many seconds instead of a count (fractions allowed).
    #[arg(long, value_name = "SECS", value_parser = parse_seconds)]
    pub(crate) duration: Option<Duration>,
    /// Operations in flight at most.
    #[arg(
        short,
        long,
        value_name = "C",
        default_value_t = 16,
        value_parser = clap::value_parser!(u32).range(1..=100_000),
    )]
    pub(crate) concurrency: u32,
    /// Target rate: operations started per second, evenly paced [default: as fast as
    /// --concurrency allows].
    #[arg(long, value_name = "R", value_parser = parse_rate)]
    pub(crate) rate: Option<f64>,
    /// call: send 5 RTP packets each way through rtpengine before the delete (two local UDP
    /// sockets per call).
    #[arg(long)]
    pub(crate) media: bool,
    /// query: how many calls to create first and query round-robin [default: 10].
    #[arg(
        long,
        value_name = "K",
        value_parser = clap::value_parser!(u32).range(1..=100_000),
    )]
    pub(crate) calls: Option<u32>,
    /// Threads of the async runtime (1: a single thread).
    #[arg(
        long,
        value_name = "N",
        default_value_t = 1,
        value_parser = clap::value_parser!(u32).range(1..=256),
    )]
    pub(crate) threads: u32,
}

/// The scenarios.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Scenario {
    /// One `ping` per operation.
    Ping,
    /// offer + answer (+ RTP with --media) + delete per operation.
    Call,
    /// One `query` of an existing call per operation.
    Query,
}

impl Scenario {
    fn name(self) -> &'static str {
        match self {
            Self::Ping => "ping",
            Self::Call => "call",
            Self::Query => "query",
        }
    }
}

/// Parses `--duration`: positive seconds, fractions allowed.
fn parse_seconds(s: &str) -> Result<Duration, String> {
    let secs: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("'{s}' is not a number of seconds"))?;
    if secs.is_finite() && secs > 0.0 && secs <= 1e9 {
        Ok(Duration::from_secs_f64(secs))
    } else {
        Err("the duration must be a positive number of seconds".to_owned())
    }
}

/// Parses `--rate`: a positive number per second.
fn parse_rate(s: &str) -> Result<f64, String> {
    let rate: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("'{s}' is not a rate (operations per second)"))?;
    if rate.is_finite() && rate > 0.0 {
        Ok(rate)
    } else {
        Err("the rate must be a positive number of operations per second".to_owned())
    }
}

/// When operations start: the count, the end of `--duration` and the pace of `--rate`.
struct Schedule {
    /// `--count`, when the run is bounded by count.
    count: Option<u64>,
    /// When `--duration` ends.
    end: Option<Instant>,
    rate: Option<f64>,
    start: Instant,
}

/// What the workers share.
struct Shared {
    scenario: Scenario,
    /// The server, or the cluster of several (calls placed by call-id).
    server: Server,
    /// One handle per node for the ping scenario, which goes round-robin (a ping names no call
    /// to place); `[server]` with one server.
    pingers: Vec<Server>,
    naming: Naming,
    media: bool,
    query_calls: u64,
    schedule: Schedule,
    /// The next operation's number.
    next: AtomicU64,
    /// Operations finished.
    done: AtomicU64,
    live: LiveCalls,
    stats: Mutex<Stats>,
}

impl Shared {
    /// Runs operation `k`.
    async fn operation(&self, k: u64) {
        match self.scenario {
            Scenario::Ping => {
                let n = self.pingers.len() as u64;
                scenario::ping(&self.pingers[(k % n) as usize], &self.stats).await;
            }
            Scenario::Call => {
                scenario::call(
                    &self.server,
                    &self.naming,
                    k,
                    self.media,
                    &self.live,
                    &self.stats,
                )
                .await;
            }
            Scenario::Query => {
                let call = k % self.query_calls;
                scenario::query(&self.server, &self.naming, call, &self.stats).await;
            }
        }
    }
}

impl Schedule {
    /// When operation `k` may start (None: now), or `Err` when it is past the end.
    fn slot(&self, k: u64) -> Result<Option<Instant>, ()> {
        if self.count.is_some_and(|n| k >= n) {
            return Err(());
        }
        match (self.rate, self.end) {
            (Some(rate), end) => {
                let at = self.start + Duration::from_nanos((k as f64 * 1e9 / rate).round() as u64);
                if end.is_some_and(|end| at >= end) {
                    Err(())
                } else {
                    Ok(Some(at))
                }
            }
            (None, Some(end)) if Instant::now() >= end => Err(()),
            (None, _) => Ok(None),
        }
    }
}

/// One of the `--concurrency` workers: takes the next operation until there are none left or
/// the run is stopped.
async fn worker(shared: Arc<Shared>, mut stop: watch::Receiver<bool>) {
    loop {
        if *stop.borrow() {
            return;
        }
        let k = shared.next.fetch_add(1, Ordering::Relaxed);
        match shared.schedule.slot(k) {
            Err(()) => return,
            Ok(None) => {}
            Ok(Some(at)) => {
                tokio::select! {
                    () = tokio::time::sleep_until(at) => {}
                    _ = stop.changed() => return,
                }
            }
        }
        shared.operation(k).await;
        shared.done.fetch_add(1, Ordering::Relaxed);
    }
}

/// Checks the options that clap cannot.
fn check(cmd: &BenchCmd) -> Result<(), Failure> {
    if cmd.media && cmd.scenario != Scenario::Call {
        return Err(usage("--media applies to the call scenario only"));
    }
    if cmd.calls.is_some() && cmd.scenario != Scenario::Query {
        return Err(usage("--calls applies to the query scenario only"));
    }
    Ok(())
}

/// Runs `rtpe bench` on its own runtime.
pub(crate) fn run(global: &GlobalArgs, cmd: &BenchCmd) -> Result<Output, Failure> {
    check(cmd)?;
    let mut builder = if cmd.threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.worker_threads(cmd.threads as usize);
        b
    };
    let runtime = builder
        .enable_all()
        .build()
        .map_err(|e| Failure::new(EXIT_OTHER, format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(bench(global, cmd))
}

/// Connects to the server, or to the cluster of several (nothing is sent): the target and the
/// ping scenario's handle on each node.
async fn connect(global: &GlobalArgs) -> Result<(Server, Vec<Server>), Failure> {
    let timeout = Duration::from_millis(global.timeout);
    if !global.is_cluster() {
        let url = global.server();
        let builder = client_builder(global, url)?.timeout(timeout);
        let client = tokio::time::timeout(timeout, builder.connect())
            .await
            .map_err(|_| Failure::new(EXIT_TIMEOUT, format!("timed out connecting to {url}")))?
            .map_err(|e| Failure::from_client(e, global.timeout))?;
        let server = Server::new(client);
        return Ok((server.clone(), vec![server]));
    }
    // Every request gets the whole --timeout (the cluster's own deadline, failovers included).
    let cluster = global.cluster().await?.with_timeout(timeout);
    let first = cluster
        .nodes()
        .first()
        .and_then(|n| cluster.node_client(&n.url).ok())
        .map(|c| c.server_addr())
        .ok_or_else(|| Failure::new(EXIT_OTHER, "the cluster has no node"))?;
    let pingers = cluster
        .nodes()
        .iter()
        .map(|n| {
            cluster
                .on(&n.token)
                .map(|pinned| Server::with_addr(first, Target::Many(pinned)))
                .map_err(|e| Failure::from_client(e, global.timeout))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((Server::with_addr(first, Target::Many(cluster)), pingers))
}

async fn bench(global: &GlobalArgs, cmd: &BenchCmd) -> Result<Output, Failure> {
    let (server, pingers) = connect(global).await?;
    let naming = Naming::new();
    let query_calls = u64::from(cmd.calls.unwrap_or(DEFAULT_QUERY_CALLS));
    let mut out = Output::default();

    // The query scenario's calls, created before the clock starts.
    if cmd.scenario == Scenario::Query {
        let created = tokio::select! {
            created = create_calls(&server, &naming, query_calls) => created,
            _ = tokio::signal::ctrl_c() => Err((
                None,
                Failure::new(EXIT_OTHER, "interrupted while creating the query scenario's calls"),
            )),
        };
        if let Err((n, mut failure)) = created {
            let deleted = delete_calls(&server, &naming, 0..n.map_or(query_calls, |n| n + 1)).await;
            failure.warnings.extend(deleted.err());
            return Err(failure);
        }
    }

    let count = match cmd.duration {
        Some(_) => cmd.count,
        None => Some(cmd.count.unwrap_or(DEFAULT_COUNT)),
    };
    let start = Instant::now();
    let shared = Arc::new(Shared {
        scenario: cmd.scenario,
        server,
        pingers,
        naming,
        media: cmd.media,
        query_calls,
        schedule: Schedule {
            count,
            end: cmd.duration.map(|d| start + d),
            rate: cmd.rate,
            start,
        },
        next: AtomicU64::new(0),
        done: AtomicU64::new(0),
        live: LiveCalls::default(),
        stats: Mutex::new(Stats::default()),
    });

    let progress = progress_bar(global.json, count, cmd.duration);
    let retransmissions_before = retransmissions(&shared.server.client);
    let nodes_before = node_counts(&shared.server.client);
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut workers = JoinSet::new();
    for _ in 0..cmd.concurrency {
        workers.spawn(worker(Arc::clone(&shared), stop_rx.clone()));
    }
    let ticker = progress
        .as_ref()
        .map(|bar| tokio::spawn(tick(Arc::clone(&shared), bar.clone(), cmd.duration)));

    let interrupted = wait_for_workers(&mut workers, &stop_tx).await;
    let elapsed = start.elapsed();
    let retransmissions = retransmissions(&shared.server.client) - retransmissions_before;
    let nodes = node_delta(&nodes_before, node_counts(&shared.server.client));
    if let Some(ticker) = ticker {
        ticker.abort();
    }
    if let Some(bar) = &progress {
        bar.finish_and_clear();
    }

    // Whatever is left: calls whose delete failed or whose worker was abandoned, and the
    // query scenario's calls.
    let leftovers = match cmd.scenario {
        Scenario::Call => shared.live.take(),
        Scenario::Query => (0..query_calls).collect(),
        Scenario::Ping => Vec::new(),
    };
    if let Err(warning) = delete_calls(&shared.server, &shared.naming, leftovers).await {
        out.warnings.push(warning);
    }

    let stats = lock(&shared.stats).clone();
    let failed = stats.requests - stats.ok;
    if failed > 0 || stats.media.failed_calls > 0 {
        let mut warning = format!("{failed} of {} requests failed", stats.requests);
        if stats.media.failed_calls > 0 {
            warning.push_str(&format!(
                "; {} calls lost RTP packets",
                stats.media.failed_calls
            ));
        }
        if !stats.samples.is_empty() {
            warning.push_str("; e.g. ");
            warning.push_str(&stats.samples.join("; "));
        }
        out.warnings.push(warning);
    }
    let report = Report {
        scenario: cmd.scenario.name(),
        servers: global.servers.iter().map(ToString::to_string).collect(),
        concurrency: cmd.concurrency as usize,
        rate: cmd.rate,
        media: cmd.media,
        setup_calls: (cmd.scenario == Scenario::Query).then_some(query_calls as usize),
        elapsed,
        retransmissions,
        interrupted,
        nodes,
        stats,
    };
    out.stdout = if global.json {
        let mut line = report.json().to_string();
        line.push('\n');
        line.into_bytes()
    } else {
        report.text().into_bytes()
    };
    Ok(out)
}

/// UDP retransmissions so far by the client, or the clients of every node (their counters).
fn retransmissions(target: &Target) -> u64 {
    match target {
        Target::One(client) => client.stats().retransmissions,
        Target::Many(cluster) => cluster
            .nodes()
            .iter()
            .map(|n| n.stats.retransmissions)
            .sum(),
    }
}

/// Each node's request counts so far (none for one server).
fn node_counts(target: &Target) -> Vec<NodeCount> {
    match target {
        Target::One(_) => Vec::new(),
        Target::Many(cluster) => cluster
            .nodes()
            .into_iter()
            .map(|n| NodeCount {
                url: n.url,
                requests: n.requests,
                ok: n.ok,
                errors: n.errors,
            })
            .collect(),
    }
}

/// What each node did between two snapshots of [`node_counts`].
fn node_delta(before: &[NodeCount], after: Vec<NodeCount>) -> Vec<NodeCount> {
    after
        .into_iter()
        .map(|mut n| {
            if let Some(b) = before.iter().find(|b| b.url == n.url) {
                n.requests -= b.requests;
                n.ok -= b.ok;
                n.errors -= b.errors;
            }
            n
        })
        .collect()
}

/// Creates calls `0..count` (the query scenario's), one after the other. `Err` names the call
/// that failed.
async fn create_calls(
    server: &Server,
    naming: &Naming,
    count: u64,
) -> Result<(), (Option<u64>, Failure)> {
    for n in 0..count {
        if let Err(e) = scenario::create_call(server, naming, n).await {
            let timeout_ms = u64::try_from(server.client.timeout().as_millis()).unwrap_or(u64::MAX);
            let mut failure = Failure::from_client(e, timeout_ms);
            failure.message = format!(
                "creating call {} of {count} for the query scenario: {}",
                n + 1,
                failure.message
            );
            return Err((Some(n), failure));
        }
    }
    Ok(())
}

/// Waits until every worker is done. The first Ctrl-C stops new operations, the second
/// abandons those in flight. Returns whether Ctrl-C was pressed.
async fn wait_for_workers(workers: &mut JoinSet<()>, stop: &watch::Sender<bool>) -> bool {
    let mut interrupts = 0;
    loop {
        tokio::select! {
            joined = workers.join_next() => {
                if joined.is_none() {
                    return interrupts > 0;
                }
            }
            signal = tokio::signal::ctrl_c() => {
                if signal.is_err() {
                    // No signal handling here: just wait for the workers.
                    while workers.join_next().await.is_some() {}
                    return interrupts > 0;
                }
                interrupts += 1;
                if interrupts == 1 {
                    eprintln!("interrupted: finishing the operations in flight (Ctrl-C again to abandon them)");
                    let _ = stop.send(true);
                } else {
                    workers.abort_all();
                }
            }
        }
    }
}

/// Deletes calls (delete-delay 0) concurrently; `Err` is a warning naming how many failed.
async fn delete_calls(
    server: &Server,
    naming: &Naming,
    calls: impl IntoIterator<Item = u64>,
) -> Result<(), String> {
    let mut tasks = JoinSet::new();
    for call in calls {
        let client = server.client.clone();
        let call_id = naming.call_id(call);
        tasks.spawn(async move {
            client
                .delete(&call_id, &Naming::from_tag(call), &scenario::delete_now())
                .await
                .map(|_| ())
                .map_err(|e| (call_id, e))
        });
    }
    let mut failed: Vec<(String, Error)> = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        if let Ok(Err(e)) = joined {
            failed.push(e);
        }
    }
    match failed.as_slice() {
        [] => Ok(()),
        [(call_id, e), ..] => Err(format!(
            "could not delete {} call(s) the bench created (e.g. {call_id}: {e})",
            failed.len()
        )),
    }
}

/// The progress bar, when stderr is a terminal and the report is not JSON.
fn progress_bar(json: bool, count: Option<u64>, duration: Option<Duration>) -> Option<ProgressBar> {
    if json || !std::io::stderr().is_terminal() {
        return None;
    }
    let (len, template) = match (count, duration) {
        (Some(n), _) => (
            n,
            "{spinner} {elapsed_precise} [{bar:30}] {pos}/{len} {msg}",
        ),
        // Duration mode: the bar shows time, in tenths of a second.
        (None, Some(d)) => (
            (d.as_secs_f64() * 10.0).ceil() as u64,
            "{spinner} {elapsed_precise} [{bar:30}] {msg}",
        ),
        (None, None) => (0, "{spinner} {elapsed_precise} {msg}"),
    };
    let style = ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
    let bar =
        ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr()).with_style(style);
    Some(bar)
}

/// Refreshes the progress bar: position, current request rate and errors.
async fn tick(shared: Arc<Shared>, bar: ProgressBar, duration: Option<Duration>) {
    let mut interval = tokio::time::interval(TICK);
    let mut last = (Instant::now(), 0u64);
    loop {
        interval.tick().await;
        let (requests, errors) = {
            let s = lock(&shared.stats);
            (s.requests, s.requests - s.ok)
        };
        let now = Instant::now();
        let dt = now.duration_since(last.0).as_secs_f64();
        let rate = if dt > 0.0 {
            (requests - last.1) as f64 / dt
        } else {
            0.0
        };
        last = (now, requests);
        let done = shared.done.load(Ordering::Relaxed);
        if shared.schedule.count.is_some() {
            bar.set_position(done);
        } else if duration.is_some() {
            bar.set_position((shared.schedule.start.elapsed().as_secs_f64() * 10.0) as u64);
        }
        let calls = match shared.scenario {
            Scenario::Call => format!("{done} calls, "),
            Scenario::Ping | Scenario::Query => String::new(),
        };
        bar.set_message(format!(
            "{calls}{requests} requests, {rate:.0} req/s, {errors} errors"
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Cli;
    use clap::Parser;

    #[test]
    fn parses_bench_options() {
        let cli = Cli::try_parse_from([
            "rtpe",
            "--server",
            "udp://127.0.0.1:1",
            "--server",
            "udp://127.0.0.1:2",
            "bench",
            "call",
            "--duration",
            "2.5",
            "-c",
            "4",
            "--rate",
            "100",
            "--media",
            "--json",
        ])
        .unwrap();
        assert_eq!(cli.global.servers.len(), 2);
        assert_eq!(cli.global.server().to_string(), "udp://127.0.0.1:1");
        assert!(cli.global.json);
        let crate::cli::Command::Bench(b) = cli.command else {
            panic!("not bench")
        };
        assert_eq!(b.scenario, Scenario::Call);
        assert_eq!(b.duration, Some(Duration::from_millis(2500)));
        assert_eq!(b.concurrency, 4);
        assert_eq!(b.rate, Some(100.0));
        assert!(check(&b).is_ok());

        let bad = |args: &[&str]| {
            let mut all = vec!["rtpe", "bench"];
            all.extend_from_slice(args);
            Cli::try_parse_from(all).is_err()
        };
        assert!(bad(&["ping", "--count", "5", "--duration", "1"]));
        assert!(bad(&["ping", "--count", "0"]));
        assert!(bad(&["ping", "--rate", "0"]));
        assert!(bad(&["ping", "--duration", "-1"]));
        assert!(bad(&["ping", "-c", "0"]));
        assert!(bad(&["dance"]));

        let cli = Cli::try_parse_from(["rtpe", "bench", "ping", "--media"]).unwrap();
        let crate::cli::Command::Bench(b) = cli.command else {
            panic!("not bench")
        };
        assert_eq!(check(&b).unwrap_err().code, crate::common::EXIT_USAGE);
    }

    #[test]
    fn slots() {
        let start = Instant::now();
        let shared = |count, end: Option<Duration>, rate| Schedule {
            count,
            end: end.map(|d| start + d),
            rate,
            start,
        };
        let s = shared(Some(3), None, None);
        assert_eq!(s.slot(2), Ok(None));
        assert_eq!(s.slot(3), Err(()));
        let s = shared(None, Some(Duration::from_secs(1)), Some(100.0));
        assert_eq!(s.slot(99), Ok(Some(start + Duration::from_millis(990))));
        assert_eq!(s.slot(100), Err(()));
        let s = shared(Some(10), None, Some(4.0));
        assert_eq!(s.slot(2), Ok(Some(start + Duration::from_millis(500))));
    }
}
