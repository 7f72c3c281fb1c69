//! The NG message model (sans-IO): cookies, requests with typed options, replies.

// First, so that its macros (`ng_options!`, `text_enum!`) can be used by `commands`.
#[macro_use]
pub mod options;

pub mod commands;
pub mod cookie;
pub mod event;
pub mod framing;
pub mod json;
pub mod reply;
pub mod request;
pub mod statistics;
pub mod version;

pub use commands::{Selector, COMMANDS};
pub use cookie::new_cookie;
pub use options::{
    AddressFamily, AnswerOptions, DeleteOptions, Direction, Dtls, Flag, Ice, OfferOptions,
    QueryOptions, Raw, ReceivedFrom, RecordCall, Replace, RtcpMux, Sdes, TransportProtocol,
};
pub use reply::{
    check_result, list_calls, parse_message, result_kind, CallStats, Counters, Endpoint,
    MediaStats, MessageError, ResultKind, SdpReply, StreamStats, TagStats,
};
pub use request::{
    check_version, command_requirement, encode_request, Request, MAX_STRING_LEN, MAX_UDP_PAYLOAD,
};
pub use version::{Requirement, Requirements, Since, Version};
