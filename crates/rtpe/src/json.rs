//! A small JSON writer over bencode values that keeps dictionary order.
//!
//! Byte strings become JSON strings (invalid UTF-8 is replaced, lossily), integers become
//! numbers, lists become arrays and dictionaries become objects with their keys in wire order.

use std::fmt::Write as _;

use rtpengine_client::{Dict, Value};

/// The dictionary as one line of JSON (no trailing newline).
pub(crate) fn dict_to_json(dict: &Dict) -> String {
    let mut out = String::new();
    write_dict(&mut out, dict);
    out
}

/// Appends a value.
fn write_value(out: &mut String, value: &Value) {
    match value {
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Bytes(b) => write_string(out, &String::from_utf8_lossy(b)),
        Value::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, item);
            }
            out.push(']');
        }
        Value::Dict(d) => write_dict(out, d),
    }
}

/// Appends a dictionary as an object, in order.
fn write_dict(out: &mut String, dict: &Dict) {
    out.push('{');
    for (i, (key, value)) in dict.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_string(out, &String::from_utf8_lossy(key));
        out.push(':');
        write_value(out, value);
    }
    out.push('}');
}

/// Appends a quoted, escaped JSON string.
pub(crate) fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            c if u32::from(c) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    #[test]
    fn keeps_order_and_escapes() {
        let mut inner = Dict::new();
        inner.push("z", 1i64);
        inner.push("a", Value::List(vec![Value::Int(-2), Value::str("x")]));
        let mut d = Dict::new();
        d.push("sdp", "v=0\r\n\"q\"\\ \u{1}\t\u{7f}é");
        d.push(Bytes::from_static(b"k\xff"), Value::bytes(&b"\xfe"[..]));
        d.push("inner", inner);
        d.push("empty", Dict::new());
        d.push("list", Value::List(vec![]));
        d.push("result", "ok");
        let text = dict_to_json(&d);
        assert_eq!(
            text,
            "{\"sdp\":\"v=0\\r\\n\\\"q\\\"\\\\ \\u0001\\t\\u007fé\",\"k\u{fffd}\":\"\u{fffd}\",\
             \"inner\":{\"z\":1,\"a\":[-2,\"x\"]},\"empty\":{},\"list\":[],\"result\":\"ok\"}"
        );
        let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed["sdp"], "v=0\r\n\"q\"\\ \u{1}\t\u{7f}é");
        assert_eq!(parsed["inner"]["a"][0], -2);
    }

    #[test]
    fn every_control_character_round_trips() {
        let s: String = (0u8..0x80).map(char::from).collect();
        let mut out = String::new();
        write_string(&mut out, &s);
        let back: String = serde_json::from_str(&out).unwrap();
        assert_eq!(back, s);
    }
}
