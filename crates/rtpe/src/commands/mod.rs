//! One module per group of commands, each with its clap arguments and the functions that run
//! them. Commands share code only through `common` (and `sdp_options`), never with each other.

pub(crate) mod bench;
pub(crate) mod call;
pub(crate) mod events;
pub(crate) mod info;
pub(crate) mod media_control;
pub(crate) mod nodes;
pub(crate) mod playback;
pub(crate) mod pubsub;
pub(crate) mod recording;
pub(crate) mod request;
pub(crate) mod session;
