//! Where a new call goes: weighted rendezvous (highest-random-weight) hashing of the call-id
//! over the usable nodes of the best tier.
//!
//! Every node gets a score per call from a hash of (node key, call-id) that does not depend on
//! the process, the platform or the Rust release, so several proxies with the same node list
//! place a call on the same node without talking. Adding or removing a node moves only the calls
//! whose best node changed: about `weight / total weight` of them go to a new node, and only
//! the calls of a removed node move when it leaves.
//!
//! Order of preference (the failover order of a new call's first request):
//! * tiers by number, lowest first; a tier is used only when no node of a better tier is usable;
//! * within a tier, the nodes of weight > 0 by score (`weight / -ln(u)`, `u` uniform in (0, 1]
//!   from the hash), then the weight-0 nodes (backups, used only when every weighted node of the
//!   tier is unusable) by unweighted score.
//!
//! Sans-IO: a pure function of its inputs.

/// A node as placement sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Candidate<'a> {
    /// The node's stable identity (its URL as configured): what the hash is taken of, so every
    /// proxy must spell it the same way.
    pub(crate) key: &'a str,
    /// Its share of new calls relative to the tier's other nodes; 0: a backup.
    pub(crate) weight: u32,
    /// Its priority tier; 0 is the best.
    pub(crate) tier: u32,
    /// Whether it may take a new call now (not disabled, not draining, breaker not open).
    pub(crate) usable: bool,
}

/// The indexes of `nodes` in the order a new call with this call-id tries them; unusable nodes
/// are left out (empty: no node can take a new call).
pub(crate) fn rank(call_id: &[u8], nodes: &[Candidate<'_>]) -> Vec<usize> {
    let mut scored: Vec<(u32, bool, f64, usize)> = nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| n.usable)
        .map(|(i, n)| {
            let backup = n.weight == 0;
            let weight = if backup { 1 } else { n.weight };
            (n.tier, backup, score(n.key, call_id, weight), i)
        })
        .collect();
    // Tier ascending, weighted before backups, score descending; the index breaks exact ties
    // so the order is total and the same everywhere.
    scored.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then(a.1.cmp(&b.1))
            .then(b.2.total_cmp(&a.2))
            .then(a.3.cmp(&b.3))
    });
    scored.into_iter().map(|(_, _, _, i)| i).collect()
}

/// The node a new call goes to, if any node is usable.
#[cfg(test)]
pub(crate) fn place(call_id: &[u8], nodes: &[Candidate<'_>]) -> Option<usize> {
    rank(call_id, nodes).first().copied()
}

/// The rendezvous score of a node for a call: `weight / -ln(u)`, `u` in (0, 1] from the hash.
/// The highest score wins; with this form a node wins `weight / total` of the calls.
fn score(node_key: &str, call_id: &[u8], weight: u32) -> f64 {
    let h = stable_hash(node_key.as_bytes(), call_id);
    // 53 bits, offset by half a step so u is never 0 (ln 0) and at most 1 - 2^-54.
    let u = ((h >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
    f64::from(weight) / -u.ln()
}

/// A 64-bit hash of (node key, call-id) that is the same in every process and release: FNV-1a
/// over both (with a separator byte that cannot occur in UTF-8), then the SplitMix64 finalizer
/// so nearby inputs spread over all bits. Written out rather than `std`'s hasher, whose output
/// is not promised to stay the same across Rust releases.
pub(crate) fn stable_hash(node_key: &[u8], call_id: &[u8]) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut h = OFFSET;
    for &b in node_key.iter().chain(&[0xff]).chain(call_id) {
        h ^= u64::from(b);
        h = h.wrapping_mul(PRIME);
    }
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(key: &str, weight: u32) -> Candidate<'_> {
        Candidate {
            key,
            weight,
            tier: 0,
            usable: true,
        }
    }

    fn call(i: usize) -> Vec<u8> {
        format!("{i:08x}-call@proxy.example").into_bytes()
    }

    /// How many of `calls` calls each node gets.
    fn counts(nodes: &[Candidate<'_>], calls: usize) -> Vec<usize> {
        let mut n = vec![0; nodes.len()];
        for i in 0..calls {
            n[place(&call(i), nodes).expect("a node")] += 1;
        }
        n
    }

    #[test]
    fn the_hash_is_fixed() {
        // Pinned values: a change here changes where every deployed proxy puts calls.
        // (Computed independently from the description: FNV-1a, then SplitMix64's finalizer.)
        assert_eq!(stable_hash(b"", b""), 0x4f2d_b50f_1240_40cd);
        assert_eq!(stable_hash(b"udp://a:2223", b"c1"), 0x709b_37f7_a6d2_615a);
        assert_eq!(
            stable_hash(b"udp://10.0.0.1:2223", b"abc@host"),
            stable_hash(b"udp://10.0.0.1:2223", b"abc@host")
        );
        assert_ne!(
            stable_hash(b"udp://10.0.0.1:2223", b"abc@host"),
            stable_hash(b"udp://10.0.0.2:2223", b"abc@host")
        );
        // The separator keeps (key, call) pairs apart that concatenate alike.
        assert_ne!(stable_hash(b"ab", b"c"), stable_hash(b"a", b"bc"));
    }

    #[test]
    fn calls_spread_within_ten_percent_of_the_weights() {
        let nodes = [
            node("udp://a:2223", 1),
            node("udp://b:2223", 2),
            node("udp://c:2223", 3),
        ];
        let calls = 3_000;
        let got = counts(&nodes, calls);
        for (n, got) in nodes.iter().zip(&got) {
            let want = calls as f64 * f64::from(n.weight) / 6.0;
            let off = (*got as f64 - want).abs() / want;
            assert!(
                off <= 0.10,
                "{}: {got} calls, want {want:.0} ({:.1} % off)",
                n.key,
                off * 100.0
            );
        }
    }

    #[test]
    fn a_new_node_takes_only_its_share_and_moves_calls_only_to_itself() {
        let three = [
            node("udp://a:2223", 1),
            node("udp://b:2223", 1),
            node("udp://c:2223", 1),
        ];
        let four = [three[0], three[1], three[2], node("udp://d:2223", 1)];
        let calls = 3_000;
        let mut moved = 0;
        for i in 0..calls {
            let before = place(&call(i), &three).unwrap();
            let after = place(&call(i), &four).unwrap();
            if before != after {
                assert_eq!(after, 3, "call {i} moved between old nodes");
                moved += 1;
            }
        }
        let share = moved as f64 / calls as f64;
        assert!(
            (0.20..=0.30).contains(&share),
            "moved {:.1} %",
            share * 100.0
        );
    }

    #[test]
    fn a_node_that_leaves_moves_only_its_calls() {
        let mut nodes = [
            node("udp://a:2223", 1),
            node("udp://b:2223", 1),
            node("udp://c:2223", 1),
        ];
        let before: Vec<usize> = (0..1_000)
            .map(|i| place(&call(i), &nodes).unwrap())
            .collect();
        nodes[1].usable = false;
        for (i, was) in before.iter().enumerate() {
            let now = place(&call(i), &nodes).unwrap();
            if *was != 1 {
                assert_eq!(now, *was, "call {i} moved although its node stayed");
            } else {
                assert_ne!(now, 1);
            }
        }
    }

    #[test]
    fn a_lower_tier_only_when_the_better_one_has_no_usable_node() {
        let mut nodes = [
            node("udp://a:2223", 1),
            node("udp://b:2223", 1),
            Candidate {
                tier: 1,
                ..node("udp://backup:2223", 5)
            },
        ];
        assert_eq!(counts(&nodes, 500)[2], 0);
        nodes[0].usable = false;
        assert_eq!(counts(&nodes, 500)[2], 0);
        nodes[1].usable = false;
        assert_eq!(counts(&nodes, 500)[2], 500);
        // The failover order lists the tiers in order.
        nodes[0].usable = true;
        nodes[1].usable = true;
        let order = rank(b"x", &nodes);
        assert_eq!(order.len(), 3);
        assert_eq!(order[2], 2);
    }

    #[test]
    fn weight_zero_is_a_backup_of_its_tier() {
        let mut nodes = [node("udp://a:2223", 1), node("udp://spare:2223", 0)];
        assert_eq!(counts(&nodes, 500), [500, 0]);
        assert_eq!(rank(b"x", &nodes), [0, 1]);
        nodes[0].usable = false;
        assert_eq!(counts(&nodes, 500), [0, 500]);
        nodes[1].usable = false;
        assert_eq!(place(b"x", &nodes), None);
    }

    #[test]
    fn two_proxies_with_the_same_list_agree() {
        // Same keys, listed in another order: the same node (by key) for every call.
        let a = [
            node("udp://a:2223", 2),
            node("udp://b:2223", 1),
            node("udp://c:2223", 1),
        ];
        let b = [a[2], a[0], a[1]];
        for i in 0..1_000 {
            let in_a = a[place(&call(i), &a).unwrap()].key;
            let in_b = b[place(&call(i), &b).unwrap()].key;
            assert_eq!(in_a, in_b, "call {i}");
        }
    }
}
