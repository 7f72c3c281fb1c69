//! Which node a request goes to, sans-IO: a pure function of the request's call-id, the call's
//! recorded node and the nodes' states.
//!
//! * A call the cluster knows (affinity table, or a node the application forced) goes to its
//!   node, failing never over: the call lives there. When that node is down or disabled, the
//!   request moves to one of its HA peers (rtpengine's Redis replication) if one is up, else
//!   fails fast.
//! * A request that may open a call (`offer`, `publish`, …) for an unknown call-id, and a
//!   request that names no call, go down the placement order, failing over.
//! * Any other request for an unknown call-id goes to the node placement picks for that
//!   call-id (where a proxy with the same node list put it) among the nodes that serve their
//!   calls (draining ones included), without failing over.

use super::health::BreakerState;
use super::node::{NodeId, NodeMode};
use super::placement::{rank, Candidate};

/// A node as routing sees it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NodeView<'a> {
    pub(crate) id: NodeId,
    pub(crate) key: &'a str,
    pub(crate) weight: u32,
    pub(crate) tier: u32,
    pub(crate) mode: NodeMode,
    pub(crate) breaker: BreakerState,
}

impl NodeView<'_> {
    /// May take a new call.
    fn takes_new_calls(&self) -> bool {
        self.mode == NodeMode::Active && self.breaker == BreakerState::Closed
    }

    /// May serve the calls it holds: not disabled, and answering (a half-open node is still
    /// down until its probe succeeds, so its calls fail fast rather than wait).
    fn serves_its_calls(&self) -> bool {
        self.mode != NodeMode::Disabled && self.breaker == BreakerState::Closed
    }
}

/// What the request is, as routing needs it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RequestView<'a> {
    /// The call-id, or a random key for requests without one (so they spread).
    pub(crate) key: &'a [u8],
    /// Whether it names a call.
    pub(crate) has_call: bool,
    pub(crate) opens_call: bool,
}

/// Where a request goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Plan {
    /// Down this list (node ids), the next one when a node fails or is overloaded.
    Place(Vec<NodeId>),
    /// To this node only.
    Follow(NodeId),
    /// To an HA peer of the call's node, which is down: the call moves there.
    Move { from: NodeId, to: NodeId },
    /// The call's node is down (or gone) and no peer can take the call.
    Down(NodeId),
    /// No node may take the request.
    NoNode,
}

/// Routes a request. `target` is the call's node when known (affinity or forced); `peers` lists
/// the HA peers of a node.
pub(crate) fn plan(
    request: RequestView<'_>,
    target: Option<NodeId>,
    nodes: &[NodeView<'_>],
    peers: impl Fn(NodeId) -> Vec<NodeId>,
) -> Plan {
    let by_id = |id: NodeId| nodes.iter().find(|n| n.id == id);
    if let Some(id) = target {
        if by_id(id).is_some_and(NodeView::serves_its_calls) {
            return Plan::Follow(id);
        }
        // Down, disabled or removed: an HA peer that can serve, the same one for every proxy.
        let peers = peers(id);
        let candidates: Vec<Candidate<'_>> = nodes
            .iter()
            .map(|n| Candidate {
                key: n.key,
                weight: n.weight.max(1),
                tier: 0,
                usable: peers.contains(&n.id) && n.serves_its_calls(),
            })
            .collect();
        return match rank(request.key, &candidates).first() {
            Some(&i) => Plan::Move {
                from: id,
                to: nodes[i].id,
            },
            None => Plan::Down(id),
        };
    }
    // A follow-up of a call placed elsewhere looks where placement put it then: a draining node
    // still holds its calls, so it counts here.
    let follow_up = request.has_call && !request.opens_call;
    let candidates: Vec<Candidate<'_>> = nodes
        .iter()
        .map(|n| Candidate {
            key: n.key,
            weight: n.weight,
            tier: n.tier,
            usable: if follow_up {
                n.serves_its_calls()
            } else {
                n.takes_new_calls()
            },
        })
        .collect();
    let order: Vec<NodeId> = rank(request.key, &candidates)
        .into_iter()
        .map(|i| nodes[i].id)
        .collect();
    match order.first() {
        None => Plan::NoNode,
        Some(&first) if follow_up => Plan::Follow(first),
        Some(_) => Plan::Place(order),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(id: NodeId, key: &str) -> NodeView<'_> {
        NodeView {
            id,
            key,
            weight: 1,
            tier: 0,
            mode: NodeMode::Active,
            breaker: BreakerState::Closed,
        }
    }

    fn offer(key: &[u8]) -> RequestView<'_> {
        RequestView {
            key,
            has_call: true,
            opens_call: true,
        }
    }

    fn answer(key: &[u8]) -> RequestView<'_> {
        RequestView {
            key,
            has_call: true,
            opens_call: false,
        }
    }

    const NO_PEERS: fn(NodeId) -> Vec<NodeId> = |_| Vec::new();

    #[test]
    fn a_new_call_goes_down_the_placement_order() {
        let nodes = [view(1, "a"), view(2, "b"), view(3, "c")];
        let Plan::Place(order) = plan(offer(b"call"), None, &nodes, NO_PEERS) else {
            panic!("placed")
        };
        assert_eq!(order.len(), 3);
        let mut sorted = order.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, [1, 2, 3]);
        // A follow-up of an unknown call goes where the offer would have gone, alone.
        assert_eq!(
            plan(answer(b"call"), None, &nodes, NO_PEERS),
            Plan::Follow(order[0])
        );
    }

    #[test]
    fn a_follow_up_of_an_unseen_call_looks_on_draining_nodes_too() {
        let mut nodes = [view(1, "a"), view(2, "b"), view(3, "c")];
        let placed: Vec<NodeId> = (0..100u32)
            .map(|i| {
                let key = format!("call-{i}");
                match plan(offer(key.as_bytes()), None, &nodes, NO_PEERS) {
                    Plan::Place(order) => order[0],
                    other => panic!("{other:?}"),
                }
            })
            .collect();
        nodes[0].mode = NodeMode::Draining;
        for (i, &node) in placed.iter().enumerate() {
            let key = format!("call-{i}");
            assert_eq!(
                plan(answer(key.as_bytes()), None, &nodes, NO_PEERS),
                Plan::Follow(node)
            );
        }
    }

    #[test]
    fn draining_disabled_and_open_nodes_take_no_new_call() {
        let mut nodes = [view(1, "a"), view(2, "b"), view(3, "c"), view(4, "d")];
        nodes[0].mode = NodeMode::Draining;
        nodes[1].mode = NodeMode::Disabled;
        nodes[2].breaker = BreakerState::Open;
        for i in 0..200u32 {
            let key = format!("call-{i}");
            assert_eq!(
                plan(offer(key.as_bytes()), None, &nodes, NO_PEERS),
                Plan::Place(vec![4])
            );
        }
        nodes[3].breaker = BreakerState::HalfOpen;
        assert_eq!(plan(offer(b"x"), None, &nodes, NO_PEERS), Plan::NoNode);
    }

    #[test]
    fn a_known_call_stays_on_its_node_while_it_serves() {
        let mut nodes = [view(1, "a"), view(2, "b")];
        nodes[0].mode = NodeMode::Draining;
        assert_eq!(
            plan(answer(b"c"), Some(1), &nodes, NO_PEERS),
            Plan::Follow(1)
        );
        // A re-offer is a follow-up too: no failover.
        assert_eq!(
            plan(offer(b"c"), Some(1), &nodes, NO_PEERS),
            Plan::Follow(1)
        );
        nodes[0].breaker = BreakerState::Open;
        assert_eq!(plan(answer(b"c"), Some(1), &nodes, NO_PEERS), Plan::Down(1));
        // Half-open is still down for the calls: only the probe decides.
        nodes[0].breaker = BreakerState::HalfOpen;
        assert_eq!(plan(answer(b"c"), Some(1), &nodes, NO_PEERS), Plan::Down(1));
        nodes[0].breaker = BreakerState::HalfOpen;
        assert_eq!(plan(answer(b"c"), Some(1), &nodes, NO_PEERS), Plan::Down(1));
        nodes[0].breaker = BreakerState::Closed;
        nodes[0].mode = NodeMode::Disabled;
        assert_eq!(plan(answer(b"c"), Some(1), &nodes, NO_PEERS), Plan::Down(1));
        // A removed node is down for its calls.
        assert_eq!(plan(answer(b"c"), Some(9), &nodes, NO_PEERS), Plan::Down(9));
    }

    #[test]
    fn a_down_node_hands_its_calls_to_an_ha_peer_that_serves() {
        let mut nodes = [view(1, "a"), view(2, "b"), view(3, "c"), view(4, "d")];
        nodes[0].breaker = BreakerState::Open;
        let peers = |id: NodeId| if id == 1 { vec![2, 3] } else { Vec::new() };
        let to = |p: Plan| match p {
            Plan::Move { from: 1, to } => to,
            other => panic!("{other:?}"),
        };
        // Every proxy picks the same peer for a call; calls spread over the peers.
        let mut seen = [0; 5];
        for i in 0..200u32 {
            let key = format!("call-{i}");
            let t = to(plan(answer(key.as_bytes()), Some(1), &nodes, peers));
            assert_eq!(t, to(plan(answer(key.as_bytes()), Some(1), &nodes, peers)));
            seen[t as usize] += 1;
        }
        assert!(seen[2] > 50 && seen[3] > 50 && seen[4] == 0, "{seen:?}");
        nodes[1].breaker = BreakerState::Open;
        assert_eq!(to(plan(answer(b"x"), Some(1), &nodes, peers)), 3);
        nodes[2].mode = NodeMode::Disabled;
        assert_eq!(plan(answer(b"x"), Some(1), &nodes, peers), Plan::Down(1));
    }

    #[test]
    fn requests_without_a_call_spread_and_fail_over() {
        let nodes = [view(1, "a"), view(2, "b")];
        let request = RequestView {
            key: b"random",
            has_call: false,
            opens_call: false,
        };
        assert!(matches!(plan(request, None, &nodes, NO_PEERS), Plan::Place(o) if o.len() == 2));
    }
}
