//! Many rtpengines as one: [`Cluster`] and what it is made of.
//!
//! * `placement` — where a new call goes (weighted rendezvous hashing over priority tiers);
//! * `affinity` — the call → node table;
//! * `health` — each node's circuit breaker and latency (sans-IO);
//! * `route` — which node a request goes to (sans-IO);
//! * `node`, `handle`, `builder` — the nodes and the handle;
//! * `monitor` — the health task (pings, probes, purge);
//! * `shared` — the table shared through Redis (feature `redis`);
//! * `events`, `metrics` — what the cluster tells the application and the metrics facade.

mod affinity;
mod builder;
mod events;
mod handle;
mod health;
pub(crate) mod metrics;
mod monitor;
mod node;
mod placement;
mod route;
#[cfg(feature = "redis")]
mod shared;

pub use builder::{
    ClusterBuilder, DEFAULT_AFFINITY_CAPACITY, DEFAULT_AFFINITY_TTL,
    DEFAULT_MAX_IN_FLIGHT_PER_NODE, DEFAULT_OVERLOAD_REASONS, DEFAULT_PING_INTERVAL,
    DEFAULT_PING_TIMEOUT,
};
pub use events::{ClusterEvent, ClusterEvents};
pub use handle::{CallRoute, Cluster, NodeStatus, Routed};
pub use health::BreakerState;
pub use metrics::CLUSTER_METRICS;
pub use node::{NodeMode, NodeToken, NodeUrl};
#[cfg(feature = "redis")]
pub use shared::DEFAULT_SHARED_AFFINITY_PREFIX;
