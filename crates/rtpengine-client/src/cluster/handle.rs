//! The [`Cluster`] handle: routing each request to a node, failover under one deadline, HA
//! moves, and the node set's administration.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::{Duration, Instant};

use tokio::sync::broadcast;
use tokio::task::AbortHandle;
use tracing::{debug, debug_span, info, warn, Instrument};

use super::affinity::Affinity;
use super::builder::ClusterBuilder;
use super::events::{ClusterEvent, ClusterEvents};
use super::health::{BreakerState, Failure, HealthConfig, Transition};
use super::metrics::{self, Outcome};
use super::node::{Node, NodeId, NodeMode, NodeToken, NodeUrl};
use super::route::{plan, NodeView, Plan, RequestView};
use crate::api::NgCommands;
use crate::bencode::Dict;
use crate::client::{Client, ClientBuilder};
use crate::counters::ClientStats;
use crate::error::{Error, Result};
use crate::message::reply::{result_kind, ResultKind};
use crate::message::request::Request;

/// A call's node in the affinity table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Route {
    pub(crate) node: NodeId,
    /// The call moved to this node from a node that went down.
    pub(crate) moved: bool,
}

pub(crate) struct Config {
    pub(crate) template: Option<Arc<dyn Fn(ClientBuilder) -> ClientBuilder + Send + Sync>>,
    /// Lower-case overload reasons.
    pub(crate) overload: Vec<String>,
    pub(crate) health: HealthConfig,
    pub(crate) ping_interval: Duration,
    pub(crate) ping_timeout: Duration,
    pub(crate) max_in_flight_per_node: usize,
    pub(crate) wait_when_busy: bool,
    pub(crate) timeout: Duration,
}

pub(crate) struct Inner {
    pub(crate) nodes: RwLock<Vec<Arc<Node>>>,
    pub(crate) next_id: AtomicU64,
    pub(crate) affinity: Mutex<Affinity<Route>>,
    /// Each node's HA peers (kept for removed nodes too, so their calls can still move).
    pub(crate) ha: Mutex<HashMap<NodeId, Vec<NodeId>>>,
    pub(crate) events: broadcast::Sender<ClusterEvent>,
    pub(crate) config: Config,
    pub(crate) monitor: Mutex<Option<AbortHandle>>,
    /// The call → node table shared with other proxies through Redis.
    #[cfg(feature = "redis")]
    pub(crate) shared: Option<super::shared::SharedAffinity>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(task) = self.monitor.get_mut().ok().and_then(Option::take) {
            task.abort();
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Inner {
    pub(crate) fn nodes(&self) -> Vec<Arc<Node>> {
        self.nodes.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn peers(&self, id: NodeId) -> Vec<NodeId> {
        lock(&self.ha).get(&id).cloned().unwrap_or_default()
    }

    fn emit(&self, event: ClusterEvent) {
        // No receiver is fine: nobody listens.
        let _ = self.events.send(event);
    }

    /// Reports what a node did to its breaker; logs, counts and announces a state change.
    pub(crate) fn report(&self, node: &Node, outcome: Result<Duration, Failure>) {
        let transition = {
            let mut health = node.health();
            match outcome {
                Ok(latency) => health.success(latency),
                Err(failure) => health.failure(failure, Instant::now()),
            }
        };
        if let Some(t) = transition {
            self.transition(node, t);
        }
    }

    pub(crate) fn transition(&self, node: &Node, t: Transition) {
        metrics::breaker(&node.spec.key, t);
        match t.to {
            BreakerState::Open if t.from == BreakerState::Closed => {
                let reason = node
                    .health()
                    .last_failure()
                    .map_or("unknown", failure_name)
                    .to_owned();
                warn!(node = %node.spec.key, %reason, "rtpengine node down");
                self.emit(ClusterEvent::NodeDown {
                    node: node.spec.key.clone(),
                    token: node.token.clone(),
                    reason,
                });
            }
            BreakerState::Closed => {
                info!(node = %node.spec.key, "rtpengine node up");
                self.emit(ClusterEvent::NodeUp {
                    node: node.spec.key.clone(),
                    token: node.token.clone(),
                });
            }
            _ => debug!(node = %node.spec.key, from = %t.from, to = %t.to, "breaker"),
        }
    }
}

fn failure_name(f: Failure) -> &'static str {
    match f {
        Failure::Timeout => "timeout",
        Failure::Transport => "transport error",
        Failure::Overload => "overload",
    }
}

/// A reply with where it came from (see [`Cluster::send_routed`]).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Routed<T> {
    /// The reply.
    pub reply: T,
    /// The node that answered.
    pub node: NodeToken,
    /// Its URL.
    pub url: String,
    /// The call lives on an HA peer of the node that held it, which went down: without a
    /// floating media address the reply's SDP carries the peer's address, and both legs need a
    /// re-INVITE.
    pub moved: bool,
    /// Nodes tried (more than 1 after failovers).
    pub attempts: u32,
}

impl<T> Routed<T> {
    /// The same routing information with another reply.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Routed<U> {
        Routed {
            reply: f(self.reply),
            node: self.node,
            url: self.url,
            moved: self.moved,
            attempts: self.attempts,
        }
    }
}

/// Where a call lives (see [`Cluster::route_of`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CallRoute {
    /// The node's token.
    pub node: NodeToken,
    /// Its URL.
    pub url: String,
    /// The call moved there from a node that went down.
    pub moved: bool,
}

/// A node's state, settings and counters (see [`Cluster::nodes`]).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct NodeStatus {
    /// The URL, spelled canonically.
    pub url: String,
    /// The token.
    pub token: NodeToken,
    /// Share of new calls in its tier (0: backup).
    pub weight: u32,
    /// Priority tier (0 first).
    pub tier: u32,
    /// What the operator opened it for.
    pub mode: NodeMode,
    /// The circuit breaker.
    pub breaker: BreakerState,
    /// Smoothed round-trip time of its answers.
    pub latency: Option<Duration>,
    /// Requests in flight now.
    pub in_flight: usize,
    /// Requests the cluster routed to it: sent, or refused at its in-flight cap (pings and
    /// requests refused locally, e.g. by the version gate, not included).
    pub requests: u64,
    /// Of those, answered `ok`.
    pub ok: u64,
    /// Of those, failed (an rtpengine error, overload, timeout, transport, busy).
    pub errors: u64,
    /// Its HA peers' URLs.
    pub ha_peers: Vec<String>,
    /// Its client's counters (pings included).
    pub stats: ClientStats,
}

/// Many rtpengines as one: every operation of [`NgCommands`], like a [`Client`], with each call
/// kept on one node.
///
/// * **Placement.** A request that may open a call (`offer`, `publish`, `subscribe request`,
///   `create`) for a call-id the cluster has not seen goes to the node weighted rendezvous
///   hashing of the call-id picks among the usable nodes of the best tier: proxies with the
///   same node list agree without talking, and adding a node moves only the new calls that
///   hash to it. Every later request of the call follows it there (the call → node table,
///   refreshed on use, forgotten after the final `delete` or an idle TTL). A request for a call
///   the cluster never saw (another proxy placed it) goes where placement puts its call-id,
///   without failover. A request naming no call (`ping`, `list`, `statistics`, `transform`, …)
///   goes to a usable node picked per request and fails over like a new call; address one node
///   with [`Cluster::node_client`].
/// * **Failover under one deadline.** A new call's request that times out, fails on the
///   transport, finds the node at its in-flight cap or gets an overload answer moves to the
///   next node in placement order, all within the request's deadline; each node gets at most
///   half of what is left while another one remains. An rtpengine error about the call itself
///   never fails over.
/// * **Health.** A circuit breaker per node, fed by requests and by jittered pings off the
///   request path: consecutive failures mark a node down; a ping probes it after a pause and
///   re-admits it. Local errors never count. Requests for a call on a down node fail at once
///   with [`Error::NodeDown`] — unless the node has HA peers ([`ClusterBuilder::ha_peers`]):
///   then they go to a peer, unchanged, and the call stays there ([`Routed::moved`],
///   [`ClusterEvent::CallMoved`]); a peer that does not know the call gives
///   [`Error::CallLost`].
/// * **Administration at run time**: [`Cluster::add_node`], [`Cluster::remove_node`],
///   [`Cluster::drain`] (no new calls, existing ones continue), [`Cluster::disable`],
///   [`Cluster::enable`]; [`Cluster::nodes`] and [`Cluster::events`] to watch.
/// * **Node tokens**: [`Cluster::route_of`] gives a call's node as an opaque [`NodeToken`] to keep
///   in the dialog; [`Cluster::assign`] or [`Cluster::on`] use it later.
/// * **Metrics** through the `metrics` facade: requests per node × command × outcome, latency
///   histograms, failovers, moved calls, breaker transitions, in-flight gauges (names in
///   [`CLUSTER_METRICS`](crate::CLUSTER_METRICS)); tracing spans `ng_cluster` (command, call-id) around
///   the client's `ng_request` (cookie, server) with the node.
///
/// Cheap to clone; clones share nodes, table and health task, which ends with the last clone.
///
/// ```no_run
/// # async fn demo() -> rtpengine_client::Result<()> {
/// use rtpengine_client::{Cluster, NgCommands, OfferOptions};
///
/// let cluster = Cluster::builder()
///     .node("udp://10.0.0.1:2223")
///     .node("udp://10.0.0.2:2223?weight=2")
///     .node("udp://10.0.0.3:2223?tier=1")
///     .build()
///     .await?;
/// let sdp = "v=0\r\no=- 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n\
///            m=audio 40000 RTP/AVP 0\r\n";
/// let reply = cluster.offer(sdp, "call-1", "tag-a", &OfferOptions::new()).await?;
/// let token = cluster.route_of("call-1").map(|r| r.node); // keep it with the dialog
/// # let _ = (reply, token);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Cluster {
    inner: Arc<Inner>,
    timeout: Duration,
    pinned: Option<NodeToken>,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let nodes: Vec<String> = self
            .inner
            .nodes()
            .iter()
            .map(|n| n.spec.key.clone())
            .collect();
        f.debug_struct("Cluster")
            .field("nodes", &nodes)
            .field("timeout", &self.timeout)
            .field("pinned", &self.pinned)
            .finish_non_exhaustive()
    }
}

impl NgCommands for Cluster {
    async fn send<R: Request + Sync + ?Sized>(&self, request: &R) -> Result<Dict> {
        self.route(request, true).await.map(|r| r.reply)
    }

    async fn send_unchecked<R: Request + Sync + ?Sized>(&self, request: &R) -> Result<Dict> {
        self.route(request, false).await.map(|r| r.reply)
    }
}

/// What one node's answer means for routing.
enum Verdict {
    /// Answered (ok, or an rtpengine error about the request).
    Answered,
    /// Overloaded, timed out, transport failure or at its in-flight cap: the next node may
    /// succeed.
    Unavailable,
    /// A local error, or an answer that cannot be judged: return it.
    Final,
}

impl Cluster {
    pub(crate) fn from_inner(inner: Arc<Inner>, timeout: Duration) -> Self {
        Self {
            inner,
            timeout,
            pinned: None,
        }
    }

    /// A builder.
    pub fn builder() -> ClusterBuilder {
        ClusterBuilder::new()
    }

    /// A cluster of `urls` (each with optional `?weight=N&tier=N`) with default settings.
    pub async fn connect<I, S>(urls: I) -> Result<Self>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        ClusterBuilder::new().nodes(urls).build().await
    }

    /// A handle on the same cluster whose requests use another deadline.
    pub fn with_timeout(&self, timeout: Duration) -> Self {
        Self {
            timeout,
            ..self.clone()
        }
    }

    /// The deadline of this handle's requests.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// A handle on the same cluster whose every request goes to the node of `token` (no
    /// placement, no failover; HA peers still take over when it is down).
    pub fn on(&self, token: &NodeToken) -> Result<Self> {
        self.node_by_token(token)?;
        Ok(Self {
            pinned: Some(token.clone()),
            ..self.clone()
        })
    }

    /// The events from now on: nodes down and up, calls moved, failovers.
    pub fn events(&self) -> ClusterEvents {
        ClusterEvents {
            rx: self.inner.events.subscribe(),
        }
    }

    /// Where a call lives, if the cluster knows (refreshes its entry).
    pub fn route_of(&self, call_id: &str) -> Option<CallRoute> {
        let route = lock(&self.inner.affinity).get(call_id.as_bytes(), Instant::now())?;
        let node = self.node_by_id(route.node)?;
        Some(CallRoute {
            node: node.token.clone(),
            url: node.spec.key.clone(),
            moved: route.moved,
        })
    }

    /// Records that `call_id` lives on the node of `token` (from dialog state after a proxy
    /// restart, or to hand a moved call back): its requests go there from now on.
    pub fn assign(&self, call_id: &str, token: &NodeToken) -> Result<()> {
        let node = self.node_by_token(token)?;
        lock(&self.inner.affinity).insert(
            call_id.as_bytes(),
            Route {
                node: node.id,
                moved: false,
            },
            Instant::now(),
        );
        Ok(())
    }

    /// Forgets where `call_id` lives; whether it was known.
    pub fn forget(&self, call_id: &str) -> bool {
        lock(&self.inner.affinity)
            .remove(call_id.as_bytes())
            .is_some()
    }

    /// Calls the call → node table knows now.
    pub fn known_calls(&self) -> usize {
        lock(&self.inner.affinity).len()
    }

    /// Sends a request and returns its reply with where it went ([`Routed`]): the node's token,
    /// whether the call moved to an HA peer, how many nodes were tried. Checks `result` like
    /// [`NgCommands::send`].
    pub async fn send_routed<R: Request + Sync + ?Sized>(
        &self,
        request: &R,
    ) -> Result<Routed<Dict>> {
        self.route(request, true).await
    }

    async fn route<R: Request + Sync + ?Sized>(
        &self,
        request: &R,
        checked: bool,
    ) -> Result<Routed<Dict>> {
        let call_id = request.call_id().filter(|c| !c.is_empty());
        let span = debug_span!(
            "ng_cluster",
            command = request.command(),
            call_id = call_id.unwrap_or(""),
        );
        self.route_inner(request, call_id, checked)
            .instrument(span)
            .await
    }

    async fn route_inner<R: Request + Sync + ?Sized>(
        &self,
        request: &R,
        call_id: Option<&str>,
        checked: bool,
    ) -> Result<Routed<Dict>> {
        let deadline = Instant::now() + self.timeout;
        let random = fastrand::u64(..).to_le_bytes();
        let view = RequestView {
            key: call_id.map_or(&random[..], str::as_bytes),
            has_call: call_id.is_some(),
            opens_call: request.opens_call(),
        };
        let known = match (&self.pinned, call_id) {
            (Some(token), _) => Some(Route {
                node: self.node_by_token(token)?.id,
                moved: false,
            }),
            (None, Some(c)) => {
                let local = lock(&self.inner.affinity).get(c.as_bytes(), Instant::now());
                match local {
                    Some(route) => Some(route),
                    None => self.shared_lookup(c, deadline).await,
                }
            }
            (None, None) => None,
        };
        let nodes = self.inner.nodes();
        let decided = {
            let views: Vec<NodeView<'_>> = nodes
                .iter()
                .map(|n| NodeView {
                    id: n.id,
                    key: &n.spec.key,
                    weight: n.spec.weight,
                    tier: n.spec.tier,
                    mode: n.mode(),
                    breaker: n.breaker(),
                })
                .collect();
            plan(view, known.map(|r| r.node), &views, |id| {
                self.inner.peers(id)
            })
        };
        let find = |id: NodeId| nodes.iter().find(|n| n.id == id);
        match decided {
            Plan::Follow(id) => {
                let node = find(id).ok_or_else(|| Error::NoNode {
                    reason: "the node left during routing".into(),
                })?;
                let (reply, _) = self.attempt(node, request, deadline, checked).await;
                let reply = reply?;
                let moved = known.is_some_and(|r| r.moved);
                self.remember(request, call_id, Route { node: id, moved })
                    .await;
                Ok(self.routed(node, reply, moved, 1))
            }
            Plan::Move { from, to } => {
                let call = call_id.unwrap_or_default();
                let from_url = self
                    .node_by_id(from)
                    .map_or_else(|| format!("(removed node {from})"), |n| n.spec.key.clone());
                let peer = find(to).ok_or_else(|| Error::NoNode {
                    reason: "the HA peer left during routing".into(),
                })?;
                let (reply, _) = self.attempt(peer, request, deadline, checked).await;
                let reply = match reply {
                    Err(Error::Rtpengine { reason }) if reason.contains("Unknown call-id") => {
                        self.forget(call);
                        return Err(Error::CallLost {
                            node: peer.spec.key.clone(),
                            call_id: call.to_owned(),
                        });
                    }
                    other => other?,
                };
                if !known.is_some_and(|r| r.moved && r.node == to) {
                    warn!(call_id = call, from = %from_url, to = %peer.spec.key, "call moved to an HA peer");
                    metrics::call_moved(&from_url, &peer.spec.key);
                    self.inner.emit(ClusterEvent::CallMoved {
                        call_id: call.to_owned(),
                        from: from_url,
                        to: peer.spec.key.clone(),
                    });
                }
                let route = Route {
                    node: to,
                    moved: true,
                };
                self.remember(request, call_id, route).await;
                Ok(self.routed(peer, reply, true, 1))
            }
            Plan::Down(id) => {
                let url = self
                    .node_by_id(id)
                    .map_or_else(|| format!("(removed node {id})"), |n| n.spec.key.clone());
                metrics::node_down_rejection(&url, request.command());
                Err(Error::NodeDown {
                    node: url,
                    call_id: call_id.unwrap_or_default().to_owned(),
                })
            }
            Plan::NoNode => Err(Error::NoNode {
                reason: self.no_node_reason(&nodes),
            }),
            Plan::Place(order) => {
                // The last unavailable node's answer, returned when time runs out.
                let mut last: Option<(Result<Dict>, &Arc<Node>, u32)> = None;
                for (i, &id) in order.iter().enumerate() {
                    let Some(node) = find(id) else { continue };
                    if Instant::now() >= deadline {
                        break;
                    }
                    let next = order[i + 1..].iter().find_map(|&n| find(n));
                    // While another node remains, this one gets half of what is left.
                    let share = if next.is_some() {
                        let left = deadline.saturating_duration_since(Instant::now());
                        Instant::now() + left / 2
                    } else {
                        deadline
                    };
                    let attempts = i as u32 + 1;
                    let (reply, verdict) = self.attempt(node, request, share, checked).await;
                    let Some(next) = next.filter(|_| matches!(verdict, Verdict::Unavailable))
                    else {
                        // Answered, a local error, or no node left: this is the result.
                        let reply = reply?;
                        let route = Route {
                            node: id,
                            moved: false,
                        };
                        self.remember(request, call_id, route).await;
                        return Ok(self.routed(node, reply, false, attempts));
                    };
                    let reason = match &reply {
                        Err(e) => e.to_string(),
                        // An overload answer of an unchecked request.
                        Ok(dict) => format!("overload answer {:?}", result_kind(dict).ok()),
                    };
                    debug!(from = %node.spec.key, to = %next.spec.key, %reason, "failover");
                    metrics::failover(&node.spec.key, &next.spec.key, request.command());
                    self.inner.emit(ClusterEvent::Failover {
                        call_id: call_id.map(str::to_owned),
                        command: request.command().to_owned(),
                        from: node.spec.key.clone(),
                        to: next.spec.key.clone(),
                        reason,
                    });
                    last = Some((reply, node, attempts));
                }
                match last {
                    Some((Ok(reply), node, attempts)) => {
                        Ok(self.routed(node, reply, false, attempts))
                    }
                    Some((Err(e), _, _)) => Err(e),
                    None => Err(Error::Timeout {
                        server: "cluster".into(),
                        command: request.command().to_owned(),
                        attempts: 0,
                        deadline: self.timeout,
                    }),
                }
            }
        }
    }

    fn routed(&self, node: &Node, reply: Dict, moved: bool, attempts: u32) -> Routed<Dict> {
        Routed {
            reply,
            node: node.token.clone(),
            url: node.spec.key.clone(),
            moved,
            attempts,
        }
    }

    /// After a success: the call lives on `route.node`, or nowhere after its final delete.
    async fn remember<R: Request + ?Sized>(
        &self,
        request: &R,
        call_id: Option<&str>,
        route: Route,
    ) {
        let Some(call_id) = call_id else { return };
        if self.pinned.is_some() && !request.opens_call() {
            // A forced request for a call elsewhere does not move the call.
            let recorded = lock(&self.inner.affinity).get(call_id.as_bytes(), Instant::now());
            if recorded.is_some_and(|k| k.node != route.node) {
                return;
            }
        }
        let ends = request.ends_call();
        let due = {
            let mut affinity = lock(&self.inner.affinity);
            if ends {
                affinity.remove(call_id.as_bytes());
                false
            } else {
                let now = Instant::now();
                affinity.insert(call_id.as_bytes(), route, now);
                // New or moved here, or a long call's shared entry nearing its TTL.
                affinity.shared_due(call_id.as_bytes(), now)
            }
        };
        self.shared_record(call_id, ends, due.then_some(route))
            .await;
    }

    /// The call's node per the shared table, recorded locally; `None` without one.
    #[cfg(feature = "redis")]
    async fn shared_lookup(&self, call_id: &str, deadline: Instant) -> Option<Route> {
        let shared = self.inner.shared.as_ref()?;
        let budget = deadline.saturating_duration_since(Instant::now());
        let found = shared.get(call_id, budget).await?;
        let Ok(node) = self.node_by_token(&found.token) else {
            warn!(call_id, token = %found.token, "shared call table names a node this cluster lacks");
            return None;
        };
        let route = Route {
            node: node.id,
            moved: found.moved,
        };
        lock(&self.inner.affinity).insert(call_id.as_bytes(), route, Instant::now());
        Some(route)
    }

    #[cfg(not(feature = "redis"))]
    async fn shared_lookup(&self, _call_id: &str, _deadline: Instant) -> Option<Route> {
        None
    }

    /// Writes a route that is due (`changed`: new, moved, or to refresh the entry's TTL), or
    /// the call's end, to the shared table.
    #[cfg(feature = "redis")]
    async fn shared_record(&self, call_id: &str, ends: bool, changed: Option<Route>) {
        let Some(shared) = self.inner.shared.as_ref() else {
            return;
        };
        if ends {
            shared.remove(call_id).await;
        } else if let Some(route) = changed {
            if let Some(node) = self.node_by_id(route.node) {
                let entry = super::shared::SharedRoute {
                    token: node.token.clone(),
                    moved: route.moved,
                };
                shared.set(call_id, &entry).await;
            }
        }
    }

    #[cfg(not(feature = "redis"))]
    async fn shared_record(&self, _call_id: &str, _ends: bool, _changed: Option<Route>) {}

    /// Sends `request` to one node by `deadline`: the reply, and what it means for failover.
    async fn attempt<R: Request + Sync + ?Sized>(
        &self,
        node: &Arc<Node>,
        request: &R,
        deadline: Instant,
        checked: bool,
    ) -> (Result<Dict>, Verdict) {
        let command = request.command();
        let key = node.spec.key.as_str();
        let busy = || Error::NodeBusy {
            node: key.to_owned(),
            limit: node.max_in_flight,
        };
        let permit = if self.inner.config.wait_when_busy {
            let budget = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(budget, Arc::clone(&node.permits).acquire_owned()).await {
                Ok(Ok(p)) => Ok(p),
                _ => Err(busy()),
            }
        } else {
            Arc::clone(&node.permits)
                .try_acquire_owned()
                .map_err(|_| busy())
        };
        let _permit = match permit {
            Ok(p) => p,
            Err(e) => {
                node.count_request();
                node.count_error();
                metrics::request(key, command, Outcome::Busy, Duration::ZERO);
                return (Err(e), Verdict::Unavailable);
            }
        };
        let (_in_flight, n) = node.enter();
        metrics::in_flight(key, n);
        let started = Instant::now();
        let budget = deadline.saturating_duration_since(started);
        let client = node.client.with_timeout(budget);
        let span = debug_span!("ng_node", node = key);
        let reply = if checked {
            client.send(request).instrument(span).await
        } else {
            client.send_unchecked(request).instrument(span).await
        };
        let elapsed = started.elapsed();
        let (outcome, health) = self.judge(&reply);
        metrics::request(key, command, outcome, elapsed);
        // A local error (the version gate, encoding) never reached the node.
        if outcome != Outcome::Local {
            node.count_request();
            if outcome == Outcome::Ok {
                node.count_ok();
            } else {
                node.count_error();
            }
        }
        match health {
            Some(Ok(())) => self.inner.report(node, Ok(elapsed)),
            Some(Err(f)) => self.inner.report(node, Err(f)),
            None => {}
        }
        let verdict = match outcome {
            Outcome::Ok | Outcome::RtpengineError => Verdict::Answered,
            Outcome::Overload | Outcome::Timeout | Outcome::Transport | Outcome::Busy => {
                Verdict::Unavailable
            }
            Outcome::Local => Verdict::Final,
        };
        // An unchecked overload answer is still the reply when no node is left to try.
        (reply, verdict)
    }

    /// The outcome of one node's reply, and what the breaker learns (`None`: nothing).
    fn judge(&self, reply: &Result<Dict>) -> (Outcome, Option<Result<(), Failure>>) {
        let overload = |reason: &str| {
            let reason = reason.to_lowercase();
            self.inner
                .config
                .overload
                .iter()
                .any(|o| reason.contains(o.as_str()))
        };
        let answered = |kind: ResultKind| match kind {
            ResultKind::Ok | ResultKind::Pong => (Outcome::Ok, Some(Ok(()))),
            ResultKind::LoadLimit(_) => (Outcome::Overload, Some(Err(Failure::Overload))),
            ResultKind::Error(r) if overload(&r) => {
                (Outcome::Overload, Some(Err(Failure::Overload)))
            }
            ResultKind::Error(_) => (Outcome::RtpengineError, Some(Ok(()))),
            ResultKind::Other(_) => (Outcome::Local, None),
        };
        match reply {
            Ok(dict) => match result_kind(dict) {
                Ok(kind) => answered(kind),
                Err(_) => (Outcome::Local, None),
            },
            Err(Error::Rtpengine { reason }) => answered(ResultKind::Error(reason.clone())),
            Err(Error::LoadLimit { message }) => answered(ResultKind::LoadLimit(message.clone())),
            Err(Error::Timeout { .. }) => (Outcome::Timeout, Some(Err(Failure::Timeout))),
            Err(Error::Io { .. } | Error::Closed { .. }) => {
                (Outcome::Transport, Some(Err(Failure::Transport)))
            }
            Err(Error::TooManyInFlight { .. } | Error::NodeBusy { .. }) => (Outcome::Busy, None),
            Err(_) => (Outcome::Local, None),
        }
    }

    fn no_node_reason(&self, nodes: &[Arc<Node>]) -> String {
        if nodes.is_empty() {
            return "the cluster has no node".into();
        }
        let states: Vec<String> = nodes
            .iter()
            .map(|n| format!("{} {}/{}", n.spec.key, n.mode(), n.breaker()))
            .collect();
        format!(
            "every node is down, draining or disabled ({})",
            states.join(", ")
        )
    }

    // ---- The node set

    /// Adds a node at run time (`URL[?weight=N&tier=N]`); it takes new calls at once. Its token.
    pub async fn add_node(&self, url: &str) -> Result<NodeToken> {
        let spec = NodeUrl::parse(url)?;
        if self.inner.nodes().iter().any(|n| n.spec.key == spec.key) {
            return Err(Error::invalid(format!(
                "node {} is already in the cluster",
                spec.key
            )));
        }
        self.add_spec(spec).await
    }

    pub(crate) async fn add_spec(&self, spec: NodeUrl) -> Result<NodeToken> {
        let config = &self.inner.config;
        // A node that refuses is down: its requests fail over at once; one that is down when
        // it is added starts as a down node rather than failing the cluster (the template may
        // turn either off).
        let builder = Client::builder(spec.url.to_string())
            .fail_fast_when_refused(true)
            .connect_lazily(true);
        let builder = match &config.template {
            Some(f) => f(builder),
            None => builder,
        };
        let client = builder.timeout(config.timeout).connect().await?;
        let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        let node = Arc::new(Node::new(
            id,
            spec,
            client,
            config.health,
            config.max_in_flight_per_node,
        ));
        metrics::node_up(&node.spec.key, true);
        let token = node.token.clone();
        let mut nodes = self.inner.nodes.write().unwrap_or_else(|e| e.into_inner());
        if nodes.iter().any(|n| n.spec.key == node.spec.key) {
            return Err(Error::invalid(format!(
                "node {} is already in the cluster",
                node.spec.key
            )));
        }
        nodes.push(node);
        Ok(token)
    }

    /// Removes a node (by URL or token): it takes nothing any more; requests of the calls it
    /// held fail with [`Error::NodeDown`] (or move to an HA peer). Drain it first to let its
    /// calls end.
    pub fn remove_node(&self, node: &str) -> Result<()> {
        let removed = self.resolve(node)?;
        let id = removed.id;
        // Its gauges stop at "down, nothing in flight" rather than their last values.
        metrics::node_up(&removed.spec.key, false);
        metrics::in_flight(&removed.spec.key, 0);
        self.inner
            .nodes
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|n| n.id != id);
        Ok(())
    }

    /// Stops new calls to a node (by URL or token); the calls it holds continue there.
    pub fn drain(&self, node: &str) -> Result<NodeMode> {
        self.set_mode(node, NodeMode::Draining)
    }

    /// Takes a node (by URL or token) out of service: no new calls, and its calls are treated
    /// as on a down node (fail fast, or move to an HA peer).
    pub fn disable(&self, node: &str) -> Result<NodeMode> {
        self.set_mode(node, NodeMode::Disabled)
    }

    /// Puts a drained or disabled node (by URL or token) back in service.
    pub fn enable(&self, node: &str) -> Result<NodeMode> {
        self.set_mode(node, NodeMode::Active)
    }

    /// Sets a node's mode; the previous one.
    pub fn set_mode(&self, node: &str, mode: NodeMode) -> Result<NodeMode> {
        let node = self.resolve(node)?;
        let before = node.set_mode(mode);
        info!(node = %node.spec.key, from = %before, to = %mode, "node mode");
        Ok(before)
    }

    /// Every node's state, settings and counters, in the order they were added.
    pub fn nodes(&self) -> Vec<NodeStatus> {
        let nodes = self.inner.nodes();
        nodes
            .iter()
            .map(|n| {
                let peers = self.inner.peers(n.id);
                let (requests, ok, errors) = n.counts();
                NodeStatus {
                    url: n.spec.key.clone(),
                    token: n.token.clone(),
                    weight: n.spec.weight,
                    tier: n.spec.tier,
                    mode: n.mode(),
                    breaker: n.breaker(),
                    latency: n.latency(),
                    in_flight: n.in_flight(),
                    requests,
                    ok,
                    errors,
                    ha_peers: nodes
                        .iter()
                        .filter(|p| peers.contains(&p.id))
                        .map(|p| p.spec.key.clone())
                        .collect(),
                    stats: n.client.stats(),
                }
            })
            .collect()
    }

    /// The client of one node (by URL or token), to address it alone (`statistics`, `list`).
    pub fn node_client(&self, node: &str) -> Result<Client> {
        Ok(self.resolve(node)?.client.clone())
    }

    /// The node a URL (any spelling that parses to the same node) or a token names.
    pub(crate) fn resolve(&self, node: &str) -> Result<Arc<Node>> {
        let nodes = self.inner.nodes();
        let key = NodeUrl::parse(node).ok().map(|s| s.key);
        nodes
            .into_iter()
            .find(|n| key.as_deref() == Some(n.spec.key.as_str()) || n.token.as_str() == node)
            .ok_or_else(|| Error::UnknownNode {
                node: node.to_owned(),
            })
    }

    fn node_by_token(&self, token: &NodeToken) -> Result<Arc<Node>> {
        self.inner
            .nodes()
            .into_iter()
            .find(|n| &n.token == token)
            .ok_or_else(|| Error::UnknownNode {
                node: token.to_string(),
            })
    }

    fn node_by_id(&self, id: NodeId) -> Option<Arc<Node>> {
        self.inner.nodes().into_iter().find(|n| n.id == id)
    }
}
