//! JSON and bencode: a small JSON writer over bencode values that keeps dictionary order, and
//! the conversion of a JSON request object into a bencode dictionary.
//!
//! Writing: byte strings become JSON strings (invalid UTF-8 is replaced, lossily), integers
//! become numbers, lists become arrays and dictionaries become objects with their keys in wire
//! order.
//!
//! Reading (as rtpengine converts JSON requests): strings become byte strings, integers stay
//! integers, `true`/`false` become 1/0, arrays become lists and objects dictionaries (in the
//! order written). Floats and `null` have no bencode form: they are refused, naming where they
//! are.

use std::fmt::Write as _;

use rtpengine_client::{Dict, Value};

/// Parses a JSON request: one object, converted to a dictionary. `Err` names the problem and
/// where it is (e.g. `codec.strip[1]`).
pub(crate) fn json_to_dict(text: &str) -> Result<Dict, String> {
    let json: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("the request is not valid JSON: {e}"))?;
    match json {
        serde_json::Value::Object(map) => object_to_dict(&map, ""),
        other => Err(format!(
            "the request must be a JSON object, not {}",
            kind(&other)
        )),
    }
}

/// What a JSON value is, for messages.
fn kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// An object as a dictionary; `path` is where it is (empty at the top).
fn object_to_dict(
    map: &serde_json::Map<String, serde_json::Value>,
    path: &str,
) -> Result<Dict, String> {
    let mut dict = Dict::new();
    for (key, value) in map {
        let here = if path.is_empty() {
            key.clone()
        } else {
            format!("{path}.{key}")
        };
        dict.push(key.clone().into_bytes(), json_to_value(value, &here)?);
    }
    Ok(dict)
}

/// One JSON value as bencode; `path` names where it is, for messages.
pub(crate) fn json_to_value(v: &serde_json::Value, path: &str) -> Result<Value, String> {
    Ok(match v {
        serde_json::Value::String(s) => Value::str(s),
        serde_json::Value::Bool(b) => Value::Int(i64::from(*b)),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None if n.is_f64() => {
                return Err(format!(
                    "'{path}' is {n}: bencode has no floating-point numbers \
                     (send a whole number, or the number as a string)"
                ))
            }
            None => return Err(format!("'{path}' is {n}: too large for a bencode integer")),
        },
        serde_json::Value::Array(items) => Value::List(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| json_to_value(item, &format!("{path}[{i}]")))
                .collect::<Result<_, _>>()?,
        ),
        serde_json::Value::Object(map) => Value::Dict(object_to_dict(map, path)?),
        serde_json::Value::Null => {
            return Err(format!(
                "'{path}' is null: bencode has no null (leave the key out)"
            ))
        }
    })
}

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
    fn json_requests_become_dicts() {
        let d = json_to_dict(
            r#"{"command":"offer","limit":5,"neg":-3,"flags":["a","b"],"yes":true,"no":false,
                "codec":{"strip":["PCMA"]},"zeta":"z","alpha":"a"}"#,
        )
        .unwrap();
        let keys: Vec<_> = d.iter().map(|(k, _)| String::from_utf8_lossy(k)).collect();
        // The written order, not sorted.
        assert_eq!(
            keys,
            ["command", "limit", "neg", "flags", "yes", "no", "codec", "zeta", "alpha"]
        );
        assert_eq!(d.get_string("command").as_deref(), Some("offer"));
        assert_eq!(d.get_int("limit"), Some(5));
        assert_eq!(d.get_int("neg"), Some(-3));
        assert_eq!(d.get("flags"), Some(&Value::str_list(["a", "b"])));
        assert_eq!(d.get_int("yes"), Some(1));
        assert_eq!(d.get_int("no"), Some(0));
        let codec = d.get("codec").and_then(Value::as_dict).unwrap();
        assert_eq!(codec.get("strip"), Some(&Value::str_list(["PCMA"])));
    }

    #[test]
    fn json_without_bencode_form_is_refused() {
        let err = json_to_dict(r#"{"command":"x","codec":{"strip":["a",1.5]}}"#).unwrap_err();
        assert!(err.contains("'codec.strip[1]'"), "{err}");
        assert!(err.contains("floating-point"), "{err}");
        let err = json_to_dict(r#"{"command":"x","label":null}"#).unwrap_err();
        assert!(err.contains("'label' is null"), "{err}");
        let err = json_to_dict(r#"{"n":18446744073709551615}"#).unwrap_err();
        assert!(err.contains("'n'"), "{err}");
        assert!(json_to_dict("[1]").unwrap_err().contains("an array"));
        assert!(json_to_dict("{").unwrap_err().contains("not valid JSON"));
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
