//! Cookies: unique across processes and hosts, never reused for a new request.
//!
//! rtpengine caches every reply under its cookie for 30–60 s (longer on an idle daemon) and
//! answers any later request with the same cookie from that cache, whoever sends it. A cookie
//! is therefore `<random per-process prefix>-<counter>-<random part>`: the prefix (64 random bits)
//! separates processes and hosts, the counter makes cookies of one process distinct, and the
//! random part (64 fresh bits per cookie) makes a spoofed reply, or a reply pre-seeded in the
//! daemon's cache, guess 64 bits even for an attacker who saw earlier cookies. Both random parts
//! come from a CSPRNG (rand's `ThreadRng`: ChaCha12 seeded and periodically reseeded from the
//! operating system), so earlier cookies do not predict later ones.

use std::sync::{
    atomic::{AtomicU64, Ordering},
    OnceLock,
};

use rand::Rng;

static PREFIX: OnceLock<String> = OnceLock::new();
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A fresh cookie, never returned before by this process.
pub fn new_cookie() -> String {
    let prefix = PREFIX.get_or_init(|| format!("{:016x}", rand::rng().random::<u64>()));
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}-{n:x}-{:016x}", rand::rng().random::<u64>())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn unique_and_well_formed() {
        let cookies: HashSet<String> = (0..10_000).map(|_| new_cookie()).collect();
        assert_eq!(cookies.len(), 10_000);
        for c in &cookies {
            assert!(!c.is_empty() && !c.contains(' '));
        }
        let a = new_cookie();
        let b = new_cookie();
        // Same process prefix, different counters.
        assert_eq!(a.split('-').next(), b.split('-').next());
        assert_ne!(a.split('-').nth(1), b.split('-').nth(1));
        // 64 fresh bits each: 16 hex digits, and no two alike among 10,000.
        let suffixes: HashSet<&str> = cookies
            .iter()
            .filter_map(|c| c.rsplit('-').next())
            .collect();
        assert_eq!(suffixes.len(), 10_000);
        assert!(suffixes
            .iter()
            .all(|s| s.len() == 16 && s.bytes().all(|b| b.is_ascii_hexdigit())));
    }
}
