//! Transports (tokio). Only UDP for now; the client matches replies by cookie whatever the
//! transport.

pub mod retransmit;
pub(crate) mod udp;
pub mod url;

pub use retransmit::RetransmitPolicy;
pub use url::{Scheme, ServerUrl, DEFAULT_PORT};
