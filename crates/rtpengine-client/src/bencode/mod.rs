//! A bencode codec made for rtpengine's NG protocol (sans-IO: no tokio here).
//!
//! * strings are bytes, not necessarily UTF-8 (SDP may carry any byte);
//! * dictionaries keep wire order and duplicates (rtpengine replies are not sorted: `result`
//!   comes last);
//! * decoding borrows from the input ([`ValueRef`]) and can be turned into an owned [`Value`]
//!   that shares the receive buffer;
//! * nesting is bounded ([`DEFAULT_MAX_DEPTH`]), so a hostile message is an error, not a stack
//!   overflow;
//! * [`decode_prefix`] reports how many bytes one value used, or [`DecodeError::Incomplete`],
//!   which is what a stream transport needs to split messages;
//! * [`Encoder`] writes straight into a buffer, in insertion order, without building a tree.
//!
//! ```
//! use rtpengine_client::bencode::{decode, Encoder};
//!
//! let mut buf = Vec::new();
//! Encoder::new(&mut buf).dict().entry_str("command", "ping").end();
//! assert_eq!(buf, b"d7:command4:pinge");
//! let value = decode(b"d6:result4:ponge").unwrap();
//! assert_eq!(value.get(b"result").and_then(|v| v.as_bytes()), Some(&b"pong"[..]));
//! ```

mod decode;
mod encode;
mod value;

pub use decode::{decode, decode_prefix, decode_prefix_with_depth, DecodeError, DEFAULT_MAX_DEPTH};
pub use encode::{encode, Encoder};
pub use value::{Dict, Value, ValueRef};
