//! The call → node table shared by several proxies through Redis (feature `redis`).
//!
//! Each proxy keeps its own table as a cache; Redis holds `PREFIX + call-id` → the node's
//! token (and `,moved` when the call moved to an HA peer), with the table's TTL, rewritten
//! while the call is used (the local table says when: `Affinity::shared_due`). A proxy that
//! does not know a call asks Redis before routing; a proxy that places or moves a call writes
//! Redis before the request's reply is returned, so another proxy's next request for the call
//! finds it; the final `delete` removes the key. Redis being slow or down costs the lookup only
//! (bounded by [`LOOKUP_TIMEOUT`] and the request's deadline): routing then falls back to
//! placement, which several proxies agree on anyway while the node set is the same.

use std::time::Duration;

use redis::aio::ConnectionManager;
use tracing::warn;

use super::node::NodeToken;
use crate::error::{Error, Result};

/// The longest a lookup or write waits for Redis.
pub(crate) const LOOKUP_TIMEOUT: Duration = Duration::from_millis(500);

/// The key prefix unless set otherwise.
pub const DEFAULT_SHARED_AFFINITY_PREFIX: &str = "rtpengine-client:call:";

/// A shared entry: the node and whether the call moved there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SharedRoute {
    pub(crate) token: NodeToken,
    pub(crate) moved: bool,
}

#[derive(Clone)]
pub(crate) struct SharedAffinity {
    conn: ConnectionManager,
    prefix: String,
    ttl: Duration,
}

impl std::fmt::Debug for SharedAffinity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedAffinity")
            .field("prefix", &self.prefix)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

fn redis_error(context: &str, e: redis::RedisError) -> Error {
    Error::io(context.to_owned(), std::io::Error::other(e.to_string()))
}

impl SharedAffinity {
    /// Connects to `url` (`redis://host:port/db`); fails when Redis does not answer.
    pub(crate) async fn connect(url: &str, prefix: String, ttl: Duration) -> Result<Self> {
        let client = redis::Client::open(url).map_err(|e| Error::BadUrl {
            url: url.to_owned(),
            reason: e.to_string(),
        })?;
        let conn = tokio::time::timeout(LOOKUP_TIMEOUT * 4, ConnectionManager::new(client))
            .await
            .map_err(|_| {
                Error::io(
                    format!("connecting to Redis at {url}"),
                    std::io::ErrorKind::TimedOut.into(),
                )
            })?
            .map_err(|e| redis_error(&format!("connecting to Redis at {url}"), e))?;
        Ok(Self { conn, prefix, ttl })
    }

    fn key(&self, call_id: &str) -> String {
        format!("{}{call_id}", self.prefix)
    }

    /// The call's node per Redis; `None` when unknown, unreadable or Redis is slow (logged).
    pub(crate) async fn get(&self, call_id: &str, budget: Duration) -> Option<SharedRoute> {
        let mut conn = self.conn.clone();
        let mut cmd = redis::cmd("GET");
        cmd.arg(self.key(call_id));
        let get = cmd.query_async::<Option<String>>(&mut conn);
        match tokio::time::timeout(budget.min(LOOKUP_TIMEOUT), get).await {
            Ok(Ok(Some(value))) => {
                let (token, moved) = match value.split_once(',') {
                    Some((t, flag)) => (t, flag == "moved"),
                    None => (value.as_str(), false),
                };
                match token.parse() {
                    Ok(token) => Some(SharedRoute { token, moved }),
                    Err(e) => {
                        warn!(call_id, %value, error = %e, "unreadable shared call entry");
                        None
                    }
                }
            }
            Ok(Ok(None)) => None,
            Ok(Err(e)) => {
                warn!(call_id, error = %e, "shared call table: lookup failed");
                None
            }
            Err(_) => {
                warn!(
                    call_id,
                    "shared call table: Redis too slow; routing without it"
                );
                None
            }
        }
    }

    /// Records the call's node (logged on failure: the local table still has it).
    pub(crate) async fn set(&self, call_id: &str, route: &SharedRoute) {
        let value = if route.moved {
            format!("{},moved", route.token)
        } else {
            route.token.to_string()
        };
        let mut conn = self.conn.clone();
        let mut cmd = redis::cmd("SET");
        cmd.arg(self.key(call_id))
            .arg(value)
            .arg("EX")
            .arg(self.ttl.as_secs().max(1));
        let set = cmd.query_async::<()>(&mut conn);
        match tokio::time::timeout(LOOKUP_TIMEOUT, set).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => warn!(call_id, error = %e, "shared call table: write failed"),
            Err(_) => warn!(call_id, "shared call table: write timed out"),
        }
    }

    /// Forgets the call (after its final delete).
    pub(crate) async fn remove(&self, call_id: &str) {
        let mut conn = self.conn.clone();
        let mut cmd = redis::cmd("DEL");
        cmd.arg(self.key(call_id));
        let del = cmd.query_async::<()>(&mut conn);
        match tokio::time::timeout(LOOKUP_TIMEOUT, del).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => warn!(call_id, error = %e, "shared call table: delete failed"),
            Err(_) => warn!(call_id, "shared call table: delete timed out"),
        }
    }
}
