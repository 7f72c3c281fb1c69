//! Many rtpengines as one (issue 10, in progress): the sans-IO pieces come first — placement of
//! new calls by weighted rendezvous hashing over priority tiers, and the call → node affinity
//! table. The `Cluster` handle that uses them is not written yet, hence the `dead_code`
//! allowance below; it goes when the handle lands.
#![allow(dead_code)]

pub(crate) mod affinity;
pub(crate) mod placement;
