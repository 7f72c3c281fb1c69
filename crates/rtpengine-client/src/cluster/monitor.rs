//! The health task: pings every node off the request path (jittered), moves open breakers to
//! half-open and probes them, and purges the call → node table. One task per cluster; it holds
//! the cluster weakly and ends when the last handle is gone.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use tracing::debug;

use super::handle::Inner;
use super::health::{jittered, BreakerState, Failure};
use super::node::Node;
use crate::api::NgCommands;
use crate::error::Error;

/// How often the task looks at the nodes.
const TICK: Duration = Duration::from_millis(50);
/// How often expired calls leave the table.
const PURGE_EVERY: Duration = Duration::from_secs(10);

pub(crate) fn start(inner: &Arc<Inner>) {
    let weak = Arc::downgrade(inner);
    let task = tokio::spawn(run(weak));
    *inner.monitor.lock().unwrap_or_else(|e| e.into_inner()) = Some(task.abort_handle());
}

async fn run(weak: Weak<Inner>) {
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut next_purge = Instant::now() + PURGE_EVERY;
    // First pings spread over one interval, so proxies started together do not ping in step.
    if let Some(inner) = weak.upgrade() {
        for node in inner.nodes() {
            *lock(&node.next_ping) = Instant::now() + jittered(inner.config.ping_interval / 2);
        }
    }
    loop {
        tick.tick().await;
        let Some(inner) = weak.upgrade() else { return };
        let now = Instant::now();
        for node in inner.nodes() {
            let half_open = node.health().poll(now);
            if let Some(t) = half_open {
                inner.transition(&node, t);
            }
            let probing = node.breaker() == BreakerState::HalfOpen;
            let due = probing || *lock(&node.next_ping) <= now;
            if due && !node.pinging.swap(true, Ordering::AcqRel) {
                *lock(&node.next_ping) = now + jittered(inner.config.ping_interval);
                tokio::spawn(ping(Weak::clone(&weak), node, inner.config.ping_timeout));
            }
        }
        if now >= next_purge {
            next_purge = now + PURGE_EVERY;
            let gone = lock(&inner.affinity).purge(now);
            if gone > 0 {
                debug!(gone, "expired calls left the call → node table");
            }
        }
    }
}

async fn ping(weak: Weak<Inner>, node: Arc<Node>, timeout: Duration) {
    let started = Instant::now();
    let result = node.client.with_timeout(timeout).ping().await;
    let elapsed = started.elapsed();
    node.pinging.store(false, Ordering::Release);
    let Some(inner) = weak.upgrade() else { return };
    let outcome = match result {
        Ok(()) => Ok(elapsed),
        Err(Error::Timeout { .. }) => Err(Failure::Timeout),
        Err(Error::LoadLimit { .. }) => Err(Failure::Overload),
        Err(Error::Io { .. } | Error::Closed { .. }) => Err(Failure::Transport),
        // Any other answer proves the node is there.
        Err(_) => Ok(elapsed),
    };
    debug!(node = %node.spec.key, ?outcome, "health ping");
    inner.report(&node, outcome);
}

fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
