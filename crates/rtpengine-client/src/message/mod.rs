//! The NG wire format without I/O: what a program needs to build and read NG messages itself,
//! over a transport of its own.
//!
//! The types these functions take and give (requests such as [`Offer`](crate::Offer) and
//! [`RawRequest`](crate::RawRequest), the [`Request`](crate::Request) trait, replies such as
//! [`SdpReply`](crate::SdpReply), [`Version`](crate::Version)) are at the crate root; the
//! bencode codec is [`bencode`](crate::bencode).
//!
//! * requests: [`new_cookie`], [`encode_request`] (`cookie SP dict`, checked against
//!   [`MAX_STRING_LEN`]), [`check_version`];
//! * replies: [`parse_message`] (bencode or JSON), [`check_result`], [`result_kind`],
//!   [`list_calls`];
//! * stream framing: [`message_len`] splits a byte stream into messages (at most
//!   [`MAX_MESSAGE_LEN`]);
//! * JSON bodies, which rtpengine accepts on UDP, HTTP and WebSocket: [`message_to_json`],
//!   [`bencode_to_json`], [`dict_to_json`], [`parse_json_dict`] (lenient, for replies),
//!   [`json_to_dict`] and [`json_to_value`] (strict, for requests a user writes),
//!   [`write_json_string`];
//! * the command catalogue: [`command_since`] (see [`COMMANDS`](crate::COMMANDS)), and the
//!   short names `statistics` uses, [`command_short_name`] / [`command_long_name`].
//!
//! ```
//! use rtpengine_client::message::{encode_request, parse_message};
//! use rtpengine_client::Ping;
//!
//! let bytes = encode_request("c1", &Ping, None).unwrap();
//! assert_eq!(&bytes[..], b"c1 d7:command4:pinge");
//! let message = bytes::Bytes::from_static(b"c1 d6:result4:ponge");
//! let (cookie, reply) = parse_message(&message).unwrap();
//! assert_eq!(&cookie[..], b"c1");
//! assert_eq!(reply.get_string("result").as_deref(), Some("pong"));
//! ```
//!
//! # JSON bodies
//!
//! rtpengine accepts `cookie SP {json}` on UDP, HTTP and WebSocket (not on TCP) and answers in
//! JSON.
//!
//! Requests are built as bencode and converted here, so the JSON carries exactly what the
//! bencode would:
//!
//! * byte strings become JSON strings; they must be UTF-8 (JSON cannot carry other bytes): a
//!   string that is not is refused with [`Error::InvalidRequest`](crate::Error::InvalidRequest)
//!   naming its key;
//! * integers become JSON integers, lists arrays, dictionaries objects (in the same order,
//!   duplicates kept);
//! * nothing else is ever written: no floats, no `null`, no booleans. rtpengine 10.5 rejects a
//!   whole request holding a float or a `null` anywhere.
//!
//! Replies are read into the same [`Dict`](crate::bencode::Dict) a bencode reply gives:
//!
//! * strings become byte strings, integers integers;
//! * `true`/`false` become `1`/`0` (as rtpengine itself converts them);
//! * a number with a fraction or an exponent, or an integer beyond the `i64` range, becomes a
//!   byte string holding its decimal text: the shortest text that reads back as the same `f64`
//!   (`1.5` → `"1.5"`, `2.0` → `"2.0"`, `1e300` → `"1e300"`) or, for a big integer that fits
//!   `u64`, its exact digits.
//!   [`Value::as_int_lenient`](crate::bencode::Value::as_int_lenient) still reads the integral
//!   ones. rtpengine does not send floats; this only keeps an unexpected one from being lost;
//! * `null` is dropped: a key whose value is `null` is left out, and so is a `null` list item.
//!
//! Requests written as JSON by a user ([`json_to_dict`], [`json_to_value`]: the CLI's raw
//! `request`) are read the way rtpengine reads them, strictly: strings, integers, `true`/`false`
//! (as `1`/`0`), arrays and objects (in the order written); a float, a `null` or an integer
//! beyond `i64` has no bencode form and is refused with [`JsonError::NoBencodeForm`], naming
//! where it is (`'codec.strip[1]'`).
//!
//! One writer serves both directions of display and wire: [`bencode_to_json_with`] and
//! [`dict_to_json`] take a [`NonUtf8`] choice (refuse, for the wire; replace, for display), and
//! [`write_json_string`] is the one string escaper.

// First, so that its macros (`ng_options!`, `text_enum!`) can be used by `commands`.
#[macro_use]
pub(crate) mod options;

pub(crate) mod commands;
pub(crate) mod cookie;
pub(crate) mod event;
pub(crate) mod framing;
pub(crate) mod json;
pub(crate) mod reply;
pub(crate) mod request;
pub(crate) mod statistics;

pub use commands::command_since;
pub use cookie::new_cookie;
pub use framing::{message_len, MAX_COOKIE_LEN, MAX_MESSAGE_LEN};
pub use json::{
    bencode_to_json, bencode_to_json_with, dict_to_json, json_to_dict, json_to_value,
    message_to_json, parse_json_dict, write_json_string, JsonError, NonUtf8,
};
pub(crate) use reply::cookie_of;
pub use reply::{check_result, list_calls, parse_message, result_kind, MessageError, ResultKind};
pub use request::{check_version, encode_request, MAX_STRING_LEN, MAX_UDP_PAYLOAD};
pub use statistics::{command_long_name, command_short_name, COMMAND_SHORT_NAMES};
