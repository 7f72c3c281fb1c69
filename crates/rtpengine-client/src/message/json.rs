//! JSON bodies (sans-IO): rtpengine accepts `cookie SP {json}` on UDP, HTTP and WebSocket (not
//! on TCP) and answers in JSON.
//!
//! Requests are built as bencode and converted here, so the JSON carries exactly what the
//! bencode would:
//!
//! * byte strings become JSON strings; they must be UTF-8 (JSON cannot carry other bytes): a
//!   string that is not is refused with [`Error::InvalidRequest`] naming its key;
//! * integers become JSON integers, lists arrays, dictionaries objects (in the same order,
//!   duplicates kept);
//! * nothing else is ever written: no floats, no `null`, no booleans. rtpengine 10.5 rejects a
//!   whole request holding a float or a `null` anywhere.
//!
//! Replies are read into the same [`Dict`] a bencode reply gives:
//!
//! * strings become byte strings, integers integers;
//! * `true`/`false` become `1`/`0` (as rtpengine itself converts them);
//! * a number with a fraction or an exponent, or an integer beyond the `i64` range, becomes a
//!   byte string holding its decimal text: the shortest text that reads back as the same `f64`
//!   (`1.5` → `"1.5"`, `2.0` → `"2.0"`, `1e300` → `"1e300"`) or, for a big integer that fits
//!   `u64`, its exact digits. [`Value::as_int_lenient`] still reads the integral ones. rtpengine
//!   does not send floats; this only keeps an unexpected one from being lost;
//! * `null` is dropped: a key whose value is `null` is left out, and so is a `null` list item.

use std::fmt::Write as _;

use bytes::Bytes;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use super::reply::MessageError;
use crate::bencode::{self, Dict, Value, ValueRef};
use crate::error::{Error, Result};

/// Converts a bencode value (a request body) to JSON text.
///
/// Fails with [`Error::InvalidRequest`] when the input is not bencode or holds a string that is
/// not UTF-8 (the error names its key, e.g. `'sdp'` or `'flags[2]'`).
pub fn bencode_to_json(body: &[u8]) -> Result<String> {
    let value = bencode::decode(body).map_err(|e| Error::InvalidRequest {
        reason: format!("cannot convert the request to JSON: {e}"),
    })?;
    let mut out = String::with_capacity(body.len() + body.len() / 8 + 16);
    let mut path = String::new();
    write_value(&mut out, &value, &mut path)?;
    Ok(out)
}

/// Converts a whole bencode message, `cookie SP dict`, to `cookie SP {json}`.
pub fn message_to_json(message: &[u8]) -> Result<Bytes> {
    let space = message
        .iter()
        .position(|&b| b == b' ')
        .filter(|&s| s > 0)
        .ok_or_else(|| Error::InvalidRequest {
            reason: "cannot convert the request to JSON: no cookie".to_owned(),
        })?;
    let json = bencode_to_json(&message[space + 1..])?;
    let mut out = Vec::with_capacity(space + 1 + json.len());
    out.extend_from_slice(&message[..=space]);
    out.extend_from_slice(json.as_bytes());
    Ok(Bytes::from(out))
}

fn not_utf8(path: &str) -> Error {
    let at = if path.is_empty() {
        "the top-level value".to_owned()
    } else {
        format!("key '{path}'")
    };
    Error::InvalidRequest {
        reason: format!(
            "{at} holds bytes that are not UTF-8, which JSON cannot carry (send this request \
             without JSON)"
        ),
    }
}

fn write_value(out: &mut String, value: &ValueRef<'_>, path: &mut String) -> Result<()> {
    match value {
        ValueRef::Int(i) => {
            let _ = write!(out, "{i}");
        }
        ValueRef::Bytes(b) => {
            let s = std::str::from_utf8(b).map_err(|_| not_utf8(path))?;
            write_string(out, s);
        }
        ValueRef::List(items) => {
            out.push('[');
            for (n, item) in items.iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                let len = path.len();
                let _ = write!(path, "[{n}]");
                write_value(out, item, path)?;
                path.truncate(len);
            }
            out.push(']');
        }
        ValueRef::Dict(entries) => {
            out.push('{');
            for (n, (key, item)) in entries.iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                match std::str::from_utf8(key) {
                    Ok(k) => {
                        path.push_str(k);
                        write_string(out, k);
                    }
                    Err(_) => {
                        path.push_str(&String::from_utf8_lossy(key));
                        return Err(not_utf8(path));
                    }
                }
                out.push(':');
                write_value(out, item, path)?;
                path.truncate(len);
            }
            out.push('}');
        }
    }
    Ok(())
}

fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Reads a JSON reply body (an object) into a [`Dict`] (see the module documentation for how
/// each JSON type is mapped).
pub fn parse_json_dict(body: &[u8]) -> Result<Dict, MessageError> {
    match serde_json::from_slice::<JsonValue>(body) {
        Ok(JsonValue(Some(Value::Dict(d)))) => Ok(d),
        Ok(_) => Err(MessageError::NotADict),
        Err(e) => Err(MessageError::Json(e.to_string())),
    }
}

/// One JSON value as the library's [`Value`]; `None` for `null`.
struct JsonValue(Option<Value>);

impl<'de> Deserialize<'de> for JsonValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = JsonValue;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> std::result::Result<JsonValue, E> {
        Ok(JsonValue(Some(Value::Int(i64::from(v)))))
    }

    fn visit_i64<E>(self, v: i64) -> std::result::Result<JsonValue, E> {
        Ok(JsonValue(Some(Value::Int(v))))
    }

    fn visit_u64<E>(self, v: u64) -> std::result::Result<JsonValue, E> {
        Ok(JsonValue(Some(match i64::try_from(v) {
            Ok(i) => Value::Int(i),
            Err(_) => Value::Bytes(Bytes::from(v.to_string())),
        })))
    }

    fn visit_f64<E>(self, v: f64) -> std::result::Result<JsonValue, E> {
        // `Debug` is the shortest text that parses back to the same f64, and keeps a `.0` or an
        // exponent, so the value is not mistaken for an exact integer.
        Ok(JsonValue(Some(Value::Bytes(Bytes::from(format!("{v:?}"))))))
    }

    fn visit_str<E>(self, v: &str) -> std::result::Result<JsonValue, E> {
        Ok(JsonValue(Some(Value::Bytes(Bytes::copy_from_slice(
            v.as_bytes(),
        )))))
    }

    fn visit_string<E>(self, v: String) -> std::result::Result<JsonValue, E> {
        Ok(JsonValue(Some(Value::Bytes(Bytes::from(v)))))
    }

    fn visit_unit<E>(self) -> std::result::Result<JsonValue, E> {
        Ok(JsonValue(None))
    }

    fn visit_none<E>(self) -> std::result::Result<JsonValue, E> {
        Ok(JsonValue(None))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<JsonValue, A::Error> {
        let mut items = Vec::new();
        while let Some(JsonValue(item)) = seq.next_element::<JsonValue>()? {
            items.extend(item);
        }
        Ok(JsonValue(Some(Value::List(items))))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<JsonValue, A::Error> {
        let mut dict = Dict::new();
        while let Some((key, JsonValue(value))) = map.next_entry::<String, JsonValue>()? {
            if let Some(value) = value {
                // `push`, not `insert`: keep duplicates and order as received, like bencode.
                dict.push(Bytes::from(key), value);
            }
        }
        Ok(JsonValue(Some(Value::Dict(dict))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_float_or_null(v: &serde_json::Value) -> bool {
        match v {
            serde_json::Value::Null | serde_json::Value::Bool(_) => false,
            serde_json::Value::Number(n) => n.is_i64() || n.is_u64(),
            serde_json::Value::String(_) => true,
            serde_json::Value::Array(a) => a.iter().all(no_float_or_null),
            serde_json::Value::Object(o) => o.values().all(no_float_or_null),
        }
    }

    #[test]
    fn converts_every_bencode_type() {
        let body = b"d7:command5:offer3:sdp12:v=0\r\no=- 1 \"5:flagsl5:a\\b\\c3:\xc3\xa9\te3:numi-42e4:nestd1:xi0e1:yleee";
        let json = bencode_to_json(body).unwrap();
        assert_eq!(
            json,
            r#"{"command":"offer","sdp":"v=0\r\no=- 1 \"","flags":["a\\b\\c","é\t"],"num":-42,"nest":{"x":0,"y":[]}}"#
        );
        let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert!(no_float_or_null(&parsed));
        assert_eq!(parsed["sdp"], "v=0\r\no=- 1 \"");
    }

    #[test]
    fn control_characters_are_escaped() {
        let json = bencode_to_json(b"d1:a3:\x01\x1f\x7fe").unwrap();
        assert_eq!(json, r#"{"a":"\u0001\u001f\u007f"}"#);
        let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(parsed["a"], "\u{1}\u{1f}\u{7f}");
    }

    #[test]
    fn non_utf8_is_refused_naming_the_key() {
        let err = bencode_to_json(b"d7:command4:ping4:nestd5:flagsl1:a2:\xff\xfeeee").unwrap_err();
        assert!(matches!(err, Error::InvalidRequest { .. }), "{err}");
        assert!(err.to_string().contains("'nest.flags[1]'"), "{err}");
        let err = bencode_to_json(b"d2:\xffxi1ee").unwrap_err();
        assert!(err.to_string().contains("not UTF-8"), "{err}");
    }

    #[test]
    fn whole_message() {
        let m = message_to_json(b"abc_1 d7:command4:pinge").unwrap();
        assert_eq!(&m[..], br#"abc_1 {"command":"ping"}"#);
        assert!(message_to_json(b"d7:command4:pinge").is_err());
        assert!(message_to_json(b"c d7:command4:ping").is_err());
    }

    #[test]
    fn reads_replies() {
        let d = parse_json_dict(
            br#" {"result":"ok","n":12,"neg":-3,"big":18446744073709551615,"t":true,"f":false,
                 "fl":1.5,"two":2.0,"exp":1e300,"gone":null,"l":[1,null,"x",[]],
                 "d":{"a":{"b":"c"}},"dup":1,"dup":2,"u":"\u00e9"} "#,
        )
        .unwrap();
        assert_eq!(d.get_string("result").as_deref(), Some("ok"));
        assert_eq!(d.get_int("n"), Some(12));
        assert_eq!(d.get_int("neg"), Some(-3));
        assert_eq!(d.get_string("big").as_deref(), Some("18446744073709551615"));
        assert_eq!(d.get_int("t"), Some(1));
        assert_eq!(d.get_int("f"), Some(0));
        assert_eq!(d.get_string("fl").as_deref(), Some("1.5"));
        assert_eq!(d.get_string("two").as_deref(), Some("2.0"));
        assert_eq!(d.get_string("exp").as_deref(), Some("1e300"));
        assert!(!d.contains_key("gone"));
        let l = d.get("l").and_then(Value::as_list).unwrap();
        assert_eq!(l.len(), 3);
        assert_eq!(l[1].as_str(), Some("x"));
        assert_eq!(
            d.get("d")
                .and_then(|v| v.get("a"))
                .and_then(|v| v.get("b"))
                .and_then(Value::as_str),
            Some("c")
        );
        assert_eq!(d.get_int("dup"), Some(1));
        assert_eq!(d.get_string("u").as_deref(), Some("é"));
        let keys: Vec<_> = d.iter().map(|(k, _)| k.clone()).collect();
        assert_eq!(&keys[0][..], b"result");
    }

    #[test]
    fn bad_replies_are_errors_not_panics() {
        assert!(matches!(
            parse_json_dict(b"[1,2]"),
            Err(MessageError::NotADict)
        ));
        assert!(matches!(
            parse_json_dict(b"null"),
            Err(MessageError::NotADict)
        ));
        assert!(matches!(
            parse_json_dict(b"{\"a\":"),
            Err(MessageError::Json(_))
        ));
        assert!(matches!(
            parse_json_dict(b"{} x"),
            Err(MessageError::Json(_))
        ));
        let deep = "[".repeat(10_000);
        assert!(parse_json_dict(format!("{{\"a\":{deep}").as_bytes()).is_err());
    }

    #[test]
    fn round_trip_through_bencode() {
        let body = b"d6:result2:ok4:listl1:a1:be5:counti7ee";
        let json = bencode_to_json(body).unwrap();
        let dict = parse_json_dict(json.as_bytes()).unwrap();
        assert_eq!(bencode::encode(&Value::Dict(dict)), body.to_vec());
    }
}
