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

pub use commands::command_since;
pub use cookie::new_cookie;
pub use framing::{message_len, MAX_COOKIE_LEN, MAX_MESSAGE_LEN};
pub use json::{
    bencode_to_json, bencode_to_json_with, dict_to_json, json_to_dict, json_to_value,
    message_to_json, parse_json_dict, write_json_string, JsonError, NonUtf8,
};
pub use statistics::{command_long_name, command_short_name, COMMAND_SHORT_NAMES};
// TODO(path switch): the type re-exports below go (the types are at the crate root).
pub use commands::{Selector, COMMANDS};
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
