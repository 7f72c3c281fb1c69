//! [`ClusterBuilder`]: the nodes, their HA peers and the cluster's settings.

use std::collections::HashMap;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use tokio::sync::broadcast;

use super::affinity::Affinity;
use super::handle::{Cluster, Config, Inner};
use super::health::HealthConfig;
use super::node::{NodeId, NodeUrl};
use crate::client::{ClientBuilder, DEFAULT_TIMEOUT};
use crate::error::{Error, Result};

/// Error reasons of rtpengine that mean "overloaded, try another node" (matched
/// case-insensitively as substrings of `error-reason`); a `load limit` result always is one.
pub const DEFAULT_OVERLOAD_REASONS: &[&str] = &[
    "Parallel session limit reached",
    "Ran out of ports",
    "load limit",
    "limit exceeded",
];

/// Requests in flight per node unless set otherwise.
pub const DEFAULT_MAX_IN_FLIGHT_PER_NODE: usize = 1024;

/// How often each node is pinged unless set otherwise (±20 % jitter).
pub const DEFAULT_PING_INTERVAL: Duration = Duration::from_secs(1);

/// How long a health ping waits for `pong` unless set otherwise.
pub const DEFAULT_PING_TIMEOUT: Duration = Duration::from_millis(500);

/// How long an unused entry of the call → node table lives unless set otherwise (a call whose
/// final `delete` never came).
pub const DEFAULT_AFFINITY_TTL: Duration = Duration::from_secs(24 * 3600);

/// The most calls the call → node table remembers unless set otherwise.
pub const DEFAULT_AFFINITY_CAPACITY: usize = 1_000_000;

type ClientTemplate = Arc<dyn Fn(ClientBuilder) -> ClientBuilder + Send + Sync>;

/// Configures a [`Cluster`].
#[derive(Clone)]
pub struct ClusterBuilder {
    nodes: Vec<String>,
    ha_groups: Vec<Vec<String>>,
    timeout: Duration,
    pub(crate) template: Option<ClientTemplate>,
    overload: Vec<String>,
    health: HealthConfig,
    ping_interval: Duration,
    ping_timeout: Duration,
    max_in_flight_per_node: usize,
    wait_when_busy: bool,
    affinity_ttl: Duration,
    affinity_capacity: usize,
    #[cfg(feature = "redis")]
    shared: Option<(String, String)>,
}

impl std::fmt::Debug for ClusterBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterBuilder")
            .field("nodes", &self.nodes)
            .field("ha_groups", &self.ha_groups)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl Default for ClusterBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl ClusterBuilder {
    /// A builder with no node and the defaults.
    pub fn new() -> Self {
        Self {
            nodes: Vec::new(),
            ha_groups: Vec::new(),
            timeout: DEFAULT_TIMEOUT,
            template: None,
            overload: DEFAULT_OVERLOAD_REASONS
                .iter()
                .map(|r| (*r).to_owned())
                .collect(),
            health: HealthConfig::default(),
            ping_interval: DEFAULT_PING_INTERVAL,
            ping_timeout: DEFAULT_PING_TIMEOUT,
            max_in_flight_per_node: DEFAULT_MAX_IN_FLIGHT_PER_NODE,
            wait_when_busy: true,
            affinity_ttl: DEFAULT_AFFINITY_TTL,
            affinity_capacity: DEFAULT_AFFINITY_CAPACITY,
            #[cfg(feature = "redis")]
            shared: None,
        }
    }

    /// Adds a node: a client URL (see [`ServerUrl::parse`](crate::ServerUrl::parse)) with
    /// optional `?weight=N&tier=N` (defaults 1 and 0). Weight is the node's share of new calls
    /// within its tier (0: a backup, used only when every weighted node of the tier is
    /// unusable); a tier is used only when no node of a lower-numbered tier can take the call.
    pub fn node(mut self, url: impl Into<String>) -> Self {
        self.nodes.push(url.into());
        self
    }

    /// Adds several nodes (see [`ClusterBuilder::node`]).
    pub fn nodes<I, S>(mut self, urls: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.nodes.extend(urls.into_iter().map(Into::into));
        self
    }

    /// Declares nodes (URLs as given to [`ClusterBuilder::node`], query optional) that
    /// replicate each other's calls through rtpengine's Redis HA: when one is down, the
    /// requests of its calls go to one of the others, where the calls then stay. See the
    /// README's deployment notes (each node writes its own Redis database and subscribes to
    /// the others').
    pub fn ha_peers<I, S>(mut self, urls: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.ha_groups
            .push(urls.into_iter().map(Into::into).collect());
        self
    }

    /// The whole deadline of a request, failovers included (default 10 s). A new call's request
    /// gives each node at most half of what is left while another node remains, so at least
    /// two nodes get a fair try.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Settings for every node's [`Client`](crate::Client) (retransmission, TLS, JSON, version,
    /// stream transport …): `f` gets each node's builder and returns it configured. The
    /// deadline is the cluster's. The builder `f` gets has
    /// [`fail_fast_when_refused`](ClientBuilder::fail_fast_when_refused) on, so a node whose
    /// port refuses fails over at once, and [`connect_lazily`](ClientBuilder::connect_lazily)
    /// on, so a `tcp://` node that is down at [`build`](ClusterBuilder::build) or
    /// [`Cluster::add_node`](crate::Cluster::add_node) starts as a down node instead of
    /// failing the call; `f` may turn either off.
    pub fn client(
        mut self,
        f: impl Fn(ClientBuilder) -> ClientBuilder + Send + Sync + 'static,
    ) -> Self {
        self.template = Some(Arc::new(f));
        self
    }

    /// Adds an rtpengine error reason (a case-insensitive substring of `error-reason`) that
    /// means the node is overloaded: a new call's request then moves to the next node. See
    /// [`DEFAULT_OVERLOAD_REASONS`].
    pub fn overload_reason(mut self, reason: impl Into<String>) -> Self {
        self.overload.push(reason.into());
        self
    }

    /// Replaces the overload reasons (a `load limit` result stays one).
    pub fn overload_reasons<I, S>(mut self, reasons: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.overload = reasons.into_iter().map(Into::into).collect();
        self
    }

    /// The circuit breaker: `failures` consecutive timeouts, transport errors or overload
    /// answers mark a node down (default 2) for `open_for` (default 1 s), after which a ping
    /// probes it; each failed probe doubles the pause, up to 30 s.
    pub fn breaker(mut self, failures: u32, open_for: Duration) -> Self {
        self.health.failure_threshold = failures.max(1);
        self.health.open_for = open_for;
        self.health.max_open_for = self.health.max_open_for.max(open_for);
        self
    }

    /// How often each node is pinged off the request path (default 1 s, ±20 % jitter) and how
    /// long a ping waits (default 500 ms). With the defaults and the default breaker, a dead
    /// node is marked down about 2 s after it died (two failed pings), sooner under traffic.
    pub fn ping(mut self, interval: Duration, timeout: Duration) -> Self {
        self.ping_interval = interval.max(Duration::from_millis(10));
        self.ping_timeout = timeout;
        self
    }

    /// The most requests in flight on one node (default 1,024). Past it a request waits for a
    /// slot within its deadline, or with [`ClusterBuilder::wait_when_busy`] off fails at once
    /// with [`Error::NodeBusy`] (a new call then tries the next node).
    pub fn max_in_flight_per_node(mut self, limit: usize) -> Self {
        self.max_in_flight_per_node = limit.max(1);
        self
    }

    /// Whether a request finding its node at the in-flight cap waits (default) or fails at once.
    pub fn wait_when_busy(mut self, wait: bool) -> Self {
        self.wait_when_busy = wait;
        self
    }

    /// The call → node table: an entry unused for `ttl` is forgotten (default 24 h), and at
    /// most `capacity` calls are remembered (default 1,000,000; past it the least recently
    /// used go). A forgotten call's requests go where placement puts its call-id.
    pub fn affinity(mut self, ttl: Duration, capacity: usize) -> Self {
        self.affinity_ttl = ttl;
        self.affinity_capacity = capacity.max(1);
        self
    }

    /// Shares the call → node table with other proxies through Redis at `url`
    /// (`redis://host:port/db`; feature `redis`): a call placed or moved by one proxy is found
    /// by the others, even after their node lists or node states diverged. Keys are
    /// [`DEFAULT_SHARED_AFFINITY_PREFIX`](crate::DEFAULT_SHARED_AFFINITY_PREFIX) + call-id
    /// (see [`ClusterBuilder::shared_affinity_prefix`]), values node tokens, with the table's
    /// TTL ([`ClusterBuilder::affinity`]). A key is written when a call is placed or moved
    /// (and by a proxy that learned the call from Redis, on its first success), and written
    /// again by a request that succeeds a quarter of the TTL after the proxy's last write, so
    /// it lives as long as the call is used (one write per call and proxy per TTL/4 at most).
    /// [`ClusterBuilder::build`] fails when Redis does not answer; later Redis errors are
    /// logged and routing goes on without it.
    #[cfg(feature = "redis")]
    pub fn shared_affinity(mut self, url: impl Into<String>) -> Self {
        let prefix = self.shared.take().map_or_else(
            || super::shared::DEFAULT_SHARED_AFFINITY_PREFIX.to_owned(),
            |(_, p)| p,
        );
        self.shared = Some((url.into(), prefix));
        self
    }

    /// The key prefix of the shared table (after [`ClusterBuilder::shared_affinity`]), to keep
    /// several clusters apart in one Redis database.
    #[cfg(feature = "redis")]
    pub fn shared_affinity_prefix(mut self, prefix: impl Into<String>) -> Self {
        if let Some((_, p)) = self.shared.as_mut() {
            *p = prefix.into();
        }
        self
    }

    /// Opens a client per node and starts the health task. Sends nothing yet; the first pings
    /// go out within one ping interval. A node that cannot be reached yet does not fail it
    /// (it is found down by its first requests or pings); a URL that is malformed, or whose
    /// host does not resolve, does.
    pub async fn build(self) -> Result<Cluster> {
        let specs = self
            .nodes
            .iter()
            .map(|u| NodeUrl::parse(u))
            .collect::<Result<Vec<_>>>()?;
        for (i, s) in specs.iter().enumerate() {
            if specs[..i].iter().any(|o| o.key == s.key) {
                return Err(Error::invalid(format!("node {} is listed twice", s.key)));
            }
        }
        #[cfg(feature = "redis")]
        let shared = match &self.shared {
            Some((url, prefix)) => Some(
                super::shared::SharedAffinity::connect(url, prefix.clone(), self.affinity_ttl)
                    .await?,
            ),
            None => None,
        };
        let (events, _) = broadcast::channel(1024);
        let inner = Arc::new(Inner {
            nodes: RwLock::new(Vec::new()),
            next_id: AtomicU64::new(1),
            affinity: Mutex::new(Affinity::new(self.affinity_ttl, self.affinity_capacity)),
            ha: Mutex::new(HashMap::new()),
            events,
            config: Config {
                template: self.template,
                overload: self.overload.iter().map(|r| r.to_lowercase()).collect(),
                health: self.health,
                ping_interval: self.ping_interval,
                ping_timeout: self.ping_timeout,
                max_in_flight_per_node: self.max_in_flight_per_node,
                wait_when_busy: self.wait_when_busy,
                timeout: self.timeout,
            },
            monitor: Mutex::new(None),
            #[cfg(feature = "redis")]
            shared,
        });
        let cluster = Cluster::from_inner(Arc::clone(&inner), self.timeout);
        for spec in specs {
            cluster.add_spec(spec).await?;
        }
        for group in &self.ha_groups {
            let ids = group
                .iter()
                .map(|u| cluster.resolve(u).map(|n| n.id))
                .collect::<Result<Vec<NodeId>>>()?;
            let mut ha = inner.ha.lock().unwrap_or_else(|e| e.into_inner());
            for &id in &ids {
                let peers = ha.entry(id).or_default();
                for &other in &ids {
                    if other != id && !peers.contains(&other) {
                        peers.push(other);
                    }
                }
            }
        }
        super::metrics::describe();
        super::monitor::start(&inner);
        Ok(cluster)
    }
}
