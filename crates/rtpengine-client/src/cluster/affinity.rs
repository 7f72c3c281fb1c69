//! Which node holds a call: call-id → node, refreshed on every use, removed after the call's
//! final delete or an idle time-to-live, bounded in size.
//!
//! Placement decides a new call once; this table makes every follow-up go to the node that
//! holds the call even after the node set changed. It also says when a call's entry in the
//! shared (Redis) table is due a rewrite, so that entry outlives its TTL as long as the call is
//! used, as the local one does. Sans-IO: time is passed in.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// One call's node, when it was last used and when its shared copy was last written.
#[derive(Debug, Clone, Copy)]
struct Entry<N> {
    node: N,
    last_used: Instant,
    /// `None`: not written by this table since the node was recorded.
    shared_at: Option<Instant>,
}

/// Call-id → node.
#[derive(Debug)]
pub(crate) struct Affinity<N> {
    entries: HashMap<Box<[u8]>, Entry<N>>,
    /// An entry unused this long is forgotten (a call whose delete never came).
    ttl: Duration,
    /// The most entries kept; past it the expired ones go, then the least recently used.
    capacity: usize,
}

impl<N: Copy + PartialEq> Affinity<N> {
    /// An empty table (`capacity` at least 1).
    pub(crate) fn new(ttl: Duration, capacity: usize) -> Self {
        Self {
            entries: HashMap::new(),
            ttl,
            capacity: capacity.max(1),
        }
    }

    /// The node of a call, refreshing its entry; `None` when unknown or expired.
    pub(crate) fn get(&mut self, call_id: &[u8], now: Instant) -> Option<N> {
        let ttl = self.ttl;
        match self.entries.get_mut(call_id) {
            Some(e) if now.saturating_duration_since(e.last_used) < ttl => {
                e.last_used = now;
                Some(e.node)
            }
            Some(_) => {
                self.entries.remove(call_id);
                None
            }
            None => None,
        }
    }

    /// Records (or moves) a call's node.
    pub(crate) fn insert(&mut self, call_id: &[u8], node: N, now: Instant) {
        if let Some(e) = self.entries.get_mut(call_id) {
            if e.node == node {
                e.last_used = now;
                return;
            }
        } else if self.entries.len() >= self.capacity {
            self.make_room(now);
        }
        self.entries.insert(
            call_id.into(),
            Entry {
                node,
                last_used: now,
                shared_at: None,
            },
        );
    }

    /// Whether the call's shared entry is due a write: its node is new or changed here, or it
    /// was last written a quarter of the TTL ago (a Redis key lives one TTL from its write).
    /// Marks it written.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn shared_due(&mut self, call_id: &[u8], now: Instant) -> bool {
        let refresh = self.ttl / 4;
        match self.entries.get_mut(call_id) {
            Some(e)
                if e.shared_at
                    .is_none_or(|at| now.saturating_duration_since(at) >= refresh) =>
            {
                e.shared_at = Some(now);
                true
            }
            _ => false,
        }
    }

    /// Forgets a call (after its final delete); its node, if it was known.
    pub(crate) fn remove(&mut self, call_id: &[u8]) -> Option<N> {
        self.entries.remove(call_id).map(|e| e.node)
    }

    /// Forgets every expired entry; how many went.
    pub(crate) fn purge(&mut self, now: Instant) -> usize {
        let before = self.entries.len();
        let ttl = self.ttl;
        self.entries
            .retain(|_, e| now.saturating_duration_since(e.last_used) < ttl);
        before - self.entries.len()
    }

    /// The number of calls known.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Frees one slot at least: the expired entries, else the least recently used 1/64 of the
    /// table (at least one), so a full table pays one scan per many inserts, not per insert.
    fn make_room(&mut self, now: Instant) {
        if self.purge(now) > 0 {
            return;
        }
        let evict = (self.entries.len() / 64).max(1);
        let mut ages: Vec<Instant> = self.entries.values().map(|e| e.last_used).collect();
        if ages.is_empty() {
            return;
        }
        let (_, cutoff, _) = ages.select_nth_unstable(evict - 1);
        let cutoff = *cutoff;
        let mut left = evict;
        self.entries.retain(|_, e| {
            if left > 0 && e.last_used <= cutoff {
                left -= 1;
                false
            } else {
                true
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TTL: Duration = Duration::from_secs(60);

    #[test]
    fn follow_ups_find_the_node_and_refresh_it() {
        let t0 = Instant::now();
        let mut a = Affinity::new(TTL, 10);
        a.insert(b"c1", 2usize, t0);
        assert_eq!(a.get(b"c1", t0 + Duration::from_secs(59)), Some(2));
        // Refreshed at 59 s: still there at 118 s, gone 60 s after the last use.
        assert_eq!(a.get(b"c1", t0 + Duration::from_secs(118)), Some(2));
        assert_eq!(a.get(b"c1", t0 + Duration::from_secs(178)), None);
        assert_eq!(a.len(), 0, "an expired entry found on lookup is dropped");
    }

    #[test]
    fn a_delete_forgets_the_call_and_a_move_replaces_the_node() {
        let t0 = Instant::now();
        let mut a = Affinity::new(TTL, 10);
        a.insert(b"c1", 1usize, t0);
        a.insert(b"c1", 3, t0);
        assert_eq!(a.get(b"c1", t0), Some(3));
        assert_eq!(a.remove(b"c1"), Some(3));
        assert_eq!(a.get(b"c1", t0), None);
        assert_eq!(a.remove(b"c1"), None);
    }

    #[test]
    fn the_shared_copy_is_written_when_new_or_moved_and_every_quarter_ttl() {
        let t0 = Instant::now();
        let mut a = Affinity::new(TTL, 10);
        assert!(!a.shared_due(b"c1", t0), "unknown call");
        a.insert(b"c1", 1usize, t0);
        assert!(a.shared_due(b"c1", t0), "new");
        assert!(!a.shared_due(b"c1", t0 + Duration::from_secs(1)));
        // Used again on the same node: not rewritten until a quarter of the TTL passed.
        a.insert(b"c1", 1, t0 + Duration::from_secs(10));
        assert!(!a.shared_due(b"c1", t0 + Duration::from_secs(14)));
        assert!(a.shared_due(b"c1", t0 + Duration::from_secs(15)));
        assert!(!a.shared_due(b"c1", t0 + Duration::from_secs(16)));
        // Moved: due at once.
        a.insert(b"c1", 2, t0 + Duration::from_secs(17));
        assert!(a.shared_due(b"c1", t0 + Duration::from_secs(17)));
        a.remove(b"c1");
        assert!(
            !a.shared_due(b"c1", t0 + Duration::from_secs(60)),
            "deleted"
        );
    }

    #[test]
    fn the_table_is_bounded() {
        let t0 = Instant::now();
        let mut a = Affinity::new(TTL, 3);
        for (i, id) in [b"a", b"b", b"c"].iter().enumerate() {
            a.insert(*id, i, t0 + Duration::from_secs(i as u64));
        }
        // Full, nothing expired: the least recently used ("a") makes room.
        a.insert(b"d", 9, t0 + Duration::from_secs(10));
        assert_eq!(a.len(), 3);
        assert_eq!(a.get(b"a", t0 + Duration::from_secs(10)), None);
        assert_eq!(a.get(b"d", t0 + Duration::from_secs(10)), Some(9));
        // Expired entries go first, all of them.
        a.insert(b"e", 5, t0 + Duration::from_secs(65));
        assert_eq!(a.len(), 2, "b and c expired; d and e left");
        assert_eq!(a.purge(t0 + Duration::from_secs(200)), 2);
    }

    #[test]
    fn a_full_table_evicts_the_oldest_sixty_fourth_at_once() {
        let t0 = Instant::now();
        let mut a = Affinity::new(TTL, 640);
        for i in 0..640u32 {
            a.insert(
                &i.to_be_bytes(),
                i,
                t0 + Duration::from_millis(u64::from(i)),
            );
        }
        let later = t0 + Duration::from_secs(1);
        a.insert(b"new", 1000, later);
        // The ten least recently used went; the next nine inserts need no scan.
        assert_eq!(a.len(), 631);
        for i in 0..10u32 {
            assert_eq!(a.get(&i.to_be_bytes(), later), None, "{i}");
        }
        assert_eq!(a.get(&10u32.to_be_bytes(), later), Some(10));
        for i in 0..9u32 {
            a.insert(&(5000 + i).to_be_bytes(), i, later);
        }
        assert_eq!(a.len(), 640);
    }
}
