//! One node of a cluster: its client, place in the placement order, breaker and in-flight cap.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use super::health::{BreakerState, Health, HealthConfig};
use super::placement::stable_hash;
use crate::client::Client;
use crate::error::{Error, Result};
use crate::transport::ServerUrl;

/// A node's identity inside one cluster (never reused, so a stale affinity entry cannot point
/// at a node added later).
pub(crate) type NodeId = u64;

/// What a node is open for, as the operator set it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NodeMode {
    /// New calls and the calls it holds.
    Active,
    /// The calls it holds only: no new calls (taking a node out of service without dropping
    /// calls).
    Draining,
    /// Nothing: its calls are treated as if it were down (failing fast, or moving to an HA
    /// peer).
    Disabled,
}

impl NodeMode {
    const ALL: [NodeMode; 3] = [NodeMode::Active, NodeMode::Draining, NodeMode::Disabled];

    /// The mode's name: `active`, `draining`, `disabled`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Draining => "draining",
            Self::Disabled => "disabled",
        }
    }

    fn index(self) -> u8 {
        match self {
            Self::Active => 0,
            Self::Draining => 1,
            Self::Disabled => 2,
        }
    }
}

impl std::fmt::Display for NodeMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An opaque name of a node that stays valid across restarts and across proxies with the same
/// node list: keep it in the dialog state (it is short and holds no address) and hand it back
/// with [`Cluster::on`](crate::Cluster::on) or [`Cluster::assign`](crate::Cluster::assign).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeToken(Arc<str>);

impl NodeToken {
    /// The token of the node whose URL (as the cluster spells it) is `key`.
    pub(crate) fn of(key: &str) -> Self {
        Self(format!("n{:016x}", stable_hash(key.as_bytes(), b"node-token")).into())
    }

    /// The token as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for NodeToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for NodeToken {
    type Err = Error;

    /// Reads a token written by [`NodeToken`]'s `Display` (`n` and 16 hex digits).
    fn from_str(s: &str) -> Result<Self> {
        let hex = s.strip_prefix('n').unwrap_or("");
        if hex.len() == 16 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(Self(s.to_ascii_lowercase().into()))
        } else {
            Err(Error::invalid(format!(
                "'{s}' is not a node token ('n' and 16 hex digits)"
            )))
        }
    }
}

/// A cluster node's URL as written in configuration: `scheme://host[:port][/path]` with optional
/// `?weight=N&tier=N` (weight 1 and tier 0 by default). The one reader of that syntax, for
/// [`ClusterBuilder::node`](crate::ClusterBuilder::node), [`Cluster::add_node`](crate::Cluster::add_node)
/// and command lines.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NodeUrl {
    /// The URL without its query.
    pub url: ServerUrl,
    /// The node's share of new calls within its tier (0: a backup).
    pub weight: u32,
    /// Its priority tier (0 first).
    pub tier: u32,
    /// `url` spelled canonically: the identity every proxy hashes.
    pub(crate) key: String,
}

impl NodeUrl {
    /// Reads `scheme://host[:port][/path][?weight=N&tier=N]`; a bad URL or parameter is
    /// [`Error::BadUrl`] naming it.
    pub fn parse(text: &str) -> Result<Self> {
        let (base, query) = match text.split_once('?') {
            Some((b, q)) => (b, Some(q)),
            None => (text, None),
        };
        let url = ServerUrl::parse(base)?;
        let mut spec = Self {
            key: url.to_string(),
            url,
            weight: 1,
            tier: 0,
        };
        let bad = |reason: String| Error::BadUrl {
            url: text.to_owned(),
            reason,
        };
        for pair in query
            .into_iter()
            .flat_map(|q| q.split('&'))
            .filter(|p| !p.is_empty())
        {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let number = || {
                value.parse::<u32>().map_err(|_| {
                    bad(format!(
                        "'{name}' must be a whole number ≥ 0, not '{value}'"
                    ))
                })
            };
            match name {
                "weight" => spec.weight = number()?,
                "tier" => spec.tier = number()?,
                _ => {
                    return Err(bad(format!(
                        "unknown parameter '{name}' (a node URL takes weight=N and tier=N)"
                    )))
                }
            }
        }
        Ok(spec)
    }

    /// The URL spelled canonically (`udp://host:port`, no query): the node's identity, which
    /// every proxy with the same node list hashes alike.
    pub fn key(&self) -> &str {
        &self.key
    }
}

impl std::fmt::Display for NodeUrl {
    /// The canonical URL with the weight and tier when they are not the defaults.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.key)?;
        match (self.weight, self.tier) {
            (1, 0) => Ok(()),
            (w, 0) => write!(f, "?weight={w}"),
            (1, t) => write!(f, "?tier={t}"),
            (w, t) => write!(f, "?weight={w}&tier={t}"),
        }
    }
}

/// A live node.
#[derive(Debug)]
pub(crate) struct Node {
    pub(crate) id: NodeId,
    pub(crate) spec: NodeUrl,
    pub(crate) token: NodeToken,
    pub(crate) client: Client,
    mode: AtomicU8,
    health: Mutex<Health>,
    /// Requests in flight on this node, bounded by the cluster's per-node cap.
    pub(crate) permits: Arc<Semaphore>,
    pub(crate) max_in_flight: usize,
    in_flight: AtomicUsize,
    requests: AtomicU64,
    ok: AtomicU64,
    errors: AtomicU64,
    /// When the health task pings next.
    pub(crate) next_ping: Mutex<Instant>,
    /// A ping is on its way (one at a time).
    pub(crate) pinging: AtomicBool,
}

impl Node {
    pub(crate) fn new(
        id: NodeId,
        spec: NodeUrl,
        client: Client,
        health: HealthConfig,
        max_in_flight: usize,
    ) -> Self {
        Self {
            id,
            token: NodeToken::of(&spec.key),
            spec,
            client,
            mode: AtomicU8::new(NodeMode::Active.index()),
            health: Mutex::new(Health::new(health)),
            permits: Arc::new(Semaphore::new(max_in_flight.max(1))),
            max_in_flight: max_in_flight.max(1),
            in_flight: AtomicUsize::new(0),
            requests: AtomicU64::new(0),
            ok: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            next_ping: Mutex::new(Instant::now()),
            pinging: AtomicBool::new(false),
        }
    }

    pub(crate) fn mode(&self) -> NodeMode {
        let i = self.mode.load(Ordering::Relaxed);
        NodeMode::ALL[usize::from(i).min(2)]
    }

    pub(crate) fn set_mode(&self, mode: NodeMode) -> NodeMode {
        NodeMode::ALL[usize::from(self.mode.swap(mode.index(), Ordering::Relaxed)).min(2)]
    }

    pub(crate) fn health(&self) -> MutexGuard<'_, Health> {
        self.health.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn breaker(&self) -> BreakerState {
        self.health().state()
    }

    pub(crate) fn latency(&self) -> Option<Duration> {
        self.health().latency()
    }

    pub(crate) fn count_request(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn count_ok(&self) {
        self.ok.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn count_error(&self) {
        self.errors.fetch_add(1, Ordering::Relaxed);
    }

    /// Requests sent, answered ok, failed.
    pub(crate) fn counts(&self) -> (u64, u64, u64) {
        (
            self.requests.load(Ordering::Relaxed),
            self.ok.load(Ordering::Relaxed),
            self.errors.load(Ordering::Relaxed),
        )
    }

    /// Counts a request in flight until the guard drops; the new count.
    pub(crate) fn enter(self: &Arc<Self>) -> (InFlight, usize) {
        let n = self.in_flight.fetch_add(1, Ordering::Relaxed) + 1;
        (InFlight(Arc::clone(self)), n)
    }

    pub(crate) fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Relaxed)
    }
}

/// A request in flight on a node (see [`Node::enter`]).
pub(crate) struct InFlight(Arc<Node>);

impl Drop for InFlight {
    fn drop(&mut self) {
        let n = self.0.in_flight.fetch_sub(1, Ordering::Relaxed) - 1;
        super::metrics::in_flight(&self.0.spec.key, n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_query_sets_weight_and_tier() {
        let s = NodeUrl::parse("udp://127.0.0.1?weight=3&tier=1").unwrap();
        assert_eq!((s.key(), s.weight, s.tier), ("udp://127.0.0.1:2223", 3, 1));
        let s = NodeUrl::parse("udp://127.0.0.1:2224").unwrap();
        assert_eq!((s.weight, s.tier), (1, 0));
        let e = NodeUrl::parse("udp://127.0.0.1?weight=x").unwrap_err();
        assert!(
            e.to_string().contains("'weight' must be a whole number"),
            "{e}"
        );
        assert_eq!(
            NodeUrl::parse("UDP://127.0.0.1?tier=2&weight=3")
                .unwrap()
                .to_string(),
            "udp://127.0.0.1:2223?weight=3&tier=2"
        );
        assert_eq!(s.to_string(), "udp://127.0.0.1:2224");
        let e = NodeUrl::parse("udp://127.0.0.1?colour=red").unwrap_err();
        assert!(e.to_string().contains("unknown parameter 'colour'"), "{e}");
    }

    #[test]
    fn tokens_are_stable_and_read_back() {
        let t = NodeToken::of("udp://127.0.0.1:2223");
        assert_eq!(t, NodeToken::of("udp://127.0.0.1:2223"));
        assert_ne!(t, NodeToken::of("udp://127.0.0.1:2224"));
        assert_eq!(t.as_str().len(), 17);
        assert_eq!(t.as_str().parse::<NodeToken>().unwrap(), t);
        assert!("udp://x".parse::<NodeToken>().is_err());
        assert!("n123".parse::<NodeToken>().is_err());
    }
}
