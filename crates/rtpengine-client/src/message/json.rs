//! JSON bodies: see [JSON bodies](crate::message#json-bodies) for how each type is mapped.

use std::cell::RefCell;
use std::fmt::Write as _;

use bytes::Bytes;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::bencode::{self, Dict, Encoder, Value, ValueRef};
use crate::error::{Error, Result};

/// What the JSON writer does with a byte string that is not UTF-8 (JSON strings cannot carry
/// arbitrary bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonUtf8 {
    /// Refuse it with [`Error::InvalidRequest`] naming its key: a request must not be altered.
    Refuse,
    /// Replace the invalid sequences with U+FFFD, as `String::from_utf8_lossy` does: for
    /// showing a reply to a person.
    Replace,
}

/// Why a JSON text is not a bencode dictionary (or value).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JsonError {
    /// Not JSON; serde_json's message.
    #[error("not valid JSON: {0}")]
    Syntax(String),
    /// Valid JSON, but its top level is not an object; what it is (`an array`, `null`, …).
    #[error("not a JSON object but {0}")]
    NotAnObject(&'static str),
    /// A value bencode has no form for (a float, `null`, an integer beyond `i64`), in a
    /// request: the message names where it is, e.g. `'codec.strip[1]' is 1.5: …`.
    #[error("{0}")]
    NoBencodeForm(String),
}

/// Converts a bencode value (a request body) to JSON text.
///
/// Fails with [`Error::InvalidRequest`] when the input is not bencode or holds a string that is
/// not UTF-8 (the error names its key, e.g. `'sdp'` or `'flags[2]'`).
pub fn bencode_to_json(body: &[u8]) -> Result<String> {
    bencode_to_json_with(body, NonUtf8::Refuse)
}

/// Converts a bencode value to JSON text, with a choice for strings that are not UTF-8.
///
/// Fails with [`Error::InvalidRequest`] when the input is not bencode, or (with
/// [`NonUtf8::Refuse`]) holds a string that is not UTF-8.
pub fn bencode_to_json_with(body: &[u8], non_utf8: NonUtf8) -> Result<String> {
    let value = bencode::decode(body).map_err(|e| Error::InvalidRequest {
        reason: format!("cannot convert the request to JSON: {e}"),
    })?;
    value_ref_to_json(&value, body.len(), non_utf8)
}

/// A dictionary as one line of JSON, keys in their order (duplicates kept), with a choice for
/// strings that are not UTF-8 (with [`NonUtf8::Replace`] this cannot fail).
pub fn dict_to_json(dict: &Dict, non_utf8: NonUtf8) -> Result<String> {
    // Through its bencode form, so that one writer serves owned and borrowed values.
    let mut body = Vec::new();
    let mut enc = Encoder::new(&mut body);
    enc.dict();
    for (key, value) in dict.iter() {
        enc.bytes(key).value(value);
    }
    enc.end();
    // No nesting limit: the dictionary is ours, not input from the network.
    let (value, _) = bencode::decode_prefix_with_depth(&body, usize::MAX).map_err(|e| {
        Error::InvalidRequest {
            reason: format!("cannot convert the dictionary to JSON: {e}"),
        }
    })?;
    value_ref_to_json(&value, body.len(), non_utf8)
}

/// The writer's entry point.
fn value_ref_to_json(value: &ValueRef<'_>, size_hint: usize, non_utf8: NonUtf8) -> Result<String> {
    let mut out = String::with_capacity(size_hint + size_hint / 8 + 16);
    let mut path = String::new();
    write_value(&mut out, value, &mut path, non_utf8)?;
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

/// The error of a string that is not UTF-8 at `path`.
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

/// Appends one value; `path` names where it is, for errors.
fn write_value(
    out: &mut String,
    value: &ValueRef<'_>,
    path: &mut String,
    non_utf8: NonUtf8,
) -> Result<()> {
    match value {
        ValueRef::Int(i) => {
            let _ = write!(out, "{i}");
        }
        ValueRef::Bytes(b) => match (std::str::from_utf8(b), non_utf8) {
            (Ok(s), _) => write_json_string(out, s),
            (Err(_), NonUtf8::Replace) => write_json_string(out, &String::from_utf8_lossy(b)),
            (Err(_), NonUtf8::Refuse) => return Err(not_utf8(path)),
        },
        ValueRef::List(items) => {
            out.push('[');
            for (n, item) in items.iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                let len = path.len();
                let _ = write!(path, "[{n}]");
                write_value(out, item, path, non_utf8)?;
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
                match (std::str::from_utf8(key), non_utf8) {
                    (Ok(k), _) => {
                        path.push_str(k);
                        write_json_string(out, k);
                    }
                    (Err(_), NonUtf8::Replace) => {
                        let k = String::from_utf8_lossy(key);
                        path.push_str(&k);
                        write_json_string(out, &k);
                    }
                    (Err(_), NonUtf8::Refuse) => {
                        path.push_str(&String::from_utf8_lossy(key));
                        return Err(not_utf8(path));
                    }
                }
                out.push(':');
                write_value(out, item, path, non_utf8)?;
                path.truncate(len);
            }
            out.push('}');
        }
    }
    Ok(())
}

/// Appends `s` as a quoted JSON string: the short escapes JSON has (`\"`, `\\`, `\n`, `\r`,
/// `\t`, `\b`, `\f`), `\u00XX` for the other control characters and DEL, everything else as
/// it is.
pub fn write_json_string(out: &mut String, s: &str) {
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

/// Reads a JSON reply body (an object) into a [`Dict`] (see [JSON bodies](crate::message#json-bodies) for how
/// each JSON type is mapped: leniently, nothing is refused).
pub fn parse_json_dict(body: &[u8]) -> Result<Dict, JsonError> {
    read_dict(body, Mode::Reply)
}

/// Reads a JSON request written by a user (an object) into a [`Dict`], strictly: a float, a
/// `null` or an integer beyond `i64` is refused, naming where it is (`'codec.strip[1]'`).
pub fn json_to_dict(text: &str) -> Result<Dict, JsonError> {
    read_dict(text.as_bytes(), Mode::Request)
}

/// Reads one JSON value of a request into a [`Value`], strictly (as [`json_to_dict`]); `path`
/// names the value in errors (`media` gives `'media[0].port'`).
pub fn json_to_value(text: &str, path: &str) -> Result<Value, JsonError> {
    match read(text.as_bytes(), Mode::Request, path)? {
        Some(value) => Ok(value),
        // Refused by the request mode already; kept total.
        None => Err(JsonError::NoBencodeForm(format!("'{path}' is null"))),
    }
}

/// An object into a dictionary; anything else is [`JsonError::NotAnObject`].
fn read_dict(text: &[u8], mode: Mode) -> Result<Dict, JsonError> {
    let first = text.iter().find(|b| !b.is_ascii_whitespace()).copied();
    if first != Some(b'{') {
        // Valid JSON of another kind, or a syntax error; a top-level float or null is "not an
        // object" rather than a refused value.
        serde_json::from_slice::<IgnoredAny>(text).map_err(|e| JsonError::Syntax(e.to_string()))?;
        return Err(JsonError::NotAnObject(match first {
            Some(b'[') => "an array",
            Some(b'"') => "a string",
            Some(b't' | b'f') => "a boolean",
            Some(b'n') => "null",
            _ => "a number",
        }));
    }
    match read(text, mode, "")? {
        Some(Value::Dict(d)) => Ok(d),
        _ => Err(JsonError::NotAnObject("not an object")),
    }
}

/// Reads one JSON value; `None` for a `null` the mode drops.
fn read(text: &[u8], mode: Mode, root: &str) -> Result<Option<Value>, JsonError> {
    let refused = RefCell::new(None);
    let path = Path {
        seg: Seg::Root(root),
        parent: None,
    };
    let seed = Seed {
        mode,
        path: &path,
        refused: &refused,
    };
    let mut de = serde_json::Deserializer::from_slice(text);
    let read = seed.deserialize(&mut de).and_then(|v| de.end().map(|()| v));
    read.map_err(|e| match refused.into_inner() {
        // serde_json would append a position to our message: keep ours as it is.
        Some(message) => JsonError::NoBencodeForm(message),
        None => JsonError::Syntax(e.to_string()),
    })
}

/// How values without a bencode form are treated.
#[derive(Clone, Copy)]
enum Mode {
    /// A reply: floats and big integers become their text, `null` is dropped.
    Reply,
    /// A user's request: they are refused.
    Request,
}

/// One step of the path to a value.
enum Seg<'a> {
    /// The start (`""` at the top of a request).
    Root(&'a str),
    /// A key of an object.
    Key(&'a str),
    /// An index of an array.
    Index(usize),
}

/// Where a value is, built on the stack as the reader descends; rendered only for an error.
struct Path<'a> {
    /// The last step.
    seg: Seg<'a>,
    /// The path up to it (`None` at the root).
    parent: Option<&'a Path<'a>>,
}

impl Path<'_> {
    /// `codec.strip[1]`.
    fn render(&self) -> String {
        let mut s = self.parent.map(Path::render).unwrap_or_default();
        match self.seg {
            Seg::Root(r) => s.push_str(r),
            Seg::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            Seg::Index(i) => {
                let _ = write!(s, "[{i}]");
            }
        }
        s
    }
}

/// Reads one JSON value as the library's [`Value`] (`None` for a dropped `null`).
struct Seed<'a> {
    /// Reply or request.
    mode: Mode,
    /// Where the value is.
    path: &'a Path<'a>,
    /// The message of a refused value (request mode).
    refused: &'a RefCell<Option<String>>,
}

impl Seed<'_> {
    /// Refuses the value here with `what` (e.g. `is null: …`).
    fn refuse<E: de::Error>(
        &self,
        what: std::fmt::Arguments<'_>,
    ) -> std::result::Result<Option<Value>, E> {
        let message = format!("'{}' {what}", self.path.render());
        *self.refused.borrow_mut() = Some(message.clone());
        Err(E::custom(message))
    }
}

impl<'de> DeserializeSeed<'de> for Seed<'_> {
    type Value = Option<Value>;

    fn deserialize<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> std::result::Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seed<'_> {
    type Value = Option<Value>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> std::result::Result<Self::Value, E> {
        Ok(Some(Value::Int(i64::from(v))))
    }

    fn visit_i64<E>(self, v: i64) -> std::result::Result<Self::Value, E> {
        Ok(Some(Value::Int(v)))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<Self::Value, E> {
        match (i64::try_from(v), self.mode) {
            (Ok(i), _) => Ok(Some(Value::Int(i))),
            (Err(_), Mode::Reply) => Ok(Some(Value::Bytes(Bytes::from(v.to_string())))),
            (Err(_), Mode::Request) => {
                self.refuse(format_args!("is {v}: too large for a bencode integer"))
            }
        }
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<Self::Value, E> {
        match self.mode {
            // `Debug` is the shortest text that parses back to the same f64, and keeps a `.0`
            // or an exponent, so the value is not mistaken for an exact integer.
            Mode::Reply => Ok(Some(Value::Bytes(Bytes::from(format!("{v:?}"))))),
            Mode::Request => self.refuse(format_args!(
                "is {v:?}: bencode has no floating-point numbers (send a whole number, or the \
                 number as a string)"
            )),
        }
    }

    fn visit_str<E>(self, v: &str) -> std::result::Result<Self::Value, E> {
        Ok(Some(Value::Bytes(Bytes::copy_from_slice(v.as_bytes()))))
    }

    fn visit_string<E>(self, v: String) -> std::result::Result<Self::Value, E> {
        Ok(Some(Value::Bytes(Bytes::from(v))))
    }

    fn visit_unit<E: de::Error>(self) -> std::result::Result<Self::Value, E> {
        match self.mode {
            Mode::Reply => Ok(None),
            Mode::Request => self.refuse(format_args!(
                "is null: bencode has no null (leave the key out)"
            )),
        }
    }

    fn visit_none<E: de::Error>(self) -> std::result::Result<Self::Value, E> {
        self.visit_unit()
    }

    fn visit_seq<A: SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        loop {
            let here = Path {
                seg: Seg::Index(items.len()),
                parent: Some(self.path),
            };
            let seed = Seed {
                mode: self.mode,
                path: &here,
                refused: self.refused,
            };
            match seq.next_element_seed(seed)? {
                Some(item) => items.extend(item),
                None => break,
            }
        }
        Ok(Some(Value::List(items)))
    }

    fn visit_map<A: MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let mut dict = Dict::new();
        while let Some(key) = map.next_key::<String>()? {
            let here = Path {
                seg: Seg::Key(&key),
                parent: Some(self.path),
            };
            let value = map.next_value_seed(Seed {
                mode: self.mode,
                path: &here,
                refused: self.refused,
            })?;
            if let Some(value) = value {
                // `push`, not `insert`: keep duplicates and order as received, like bencode.
                dict.push(Bytes::from(key), value);
            }
        }
        Ok(Some(Value::Dict(dict)))
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
            Err(JsonError::NotAnObject(_))
        ));
        assert!(matches!(
            parse_json_dict(b"null"),
            Err(JsonError::NotAnObject(_))
        ));
        assert!(matches!(
            parse_json_dict(b"{\"a\":"),
            Err(JsonError::Syntax(_))
        ));
        assert!(matches!(
            parse_json_dict(b"{} x"),
            Err(JsonError::Syntax(_))
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

    #[test]
    fn display_form_replaces_bytes_and_keeps_order() {
        let mut inner = Dict::new();
        inner.push("z", 1i64);
        inner.push("a", Value::List(vec![Value::Int(-2), Value::str("x")]));
        let mut d = Dict::new();
        d.push("sdp", "v=0\r\n\"q\"\\ \u{1}\t\u{7f}é\u{8}\u{c}");
        d.push(Bytes::from_static(b"k\xff"), Value::bytes(&b"\xfe"[..]));
        d.push("inner", inner);
        d.push("empty", Dict::new());
        d.push("list", Value::List(vec![]));
        d.push("result", "ok");
        let text = dict_to_json(&d, NonUtf8::Replace).unwrap();
        assert_eq!(
            text,
            "{\"sdp\":\"v=0\\r\\n\\\"q\\\"\\\\ \\u0001\\t\\u007fé\\b\\f\",\"k\u{fffd}\":\"\u{fffd}\",\
             \"inner\":{\"z\":1,\"a\":[-2,\"x\"]},\"empty\":{},\"list\":[],\"result\":\"ok\"}"
        );
        let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed["sdp"], "v=0\r\n\"q\"\\ \u{1}\t\u{7f}é\u{8}\u{c}");
        assert!(dict_to_json(&d, NonUtf8::Refuse)
            .unwrap_err()
            .to_string()
            .contains("not UTF-8"));
    }

    #[test]
    fn every_control_character_round_trips() {
        let s: String = (0u8..0x80).map(char::from).collect();
        let mut out = String::new();
        write_json_string(&mut out, &s);
        let back: String = serde_json::from_str(&out).unwrap();
        assert_eq!(back, s);
    }

    #[test]
    fn json_requests_become_dicts_in_written_order() {
        let d = json_to_dict(
            r#"{"command":"offer","limit":5,"neg":-3,"flags":["a","b"],"yes":true,"no":false,
                "codec":{"strip":["PCMA"]},"zeta":"z","alpha":"a"}"#,
        )
        .unwrap();
        let keys: Vec<_> = d.iter().map(|(k, _)| String::from_utf8_lossy(k)).collect();
        assert_eq!(
            keys,
            ["command", "limit", "neg", "flags", "yes", "no", "codec", "zeta", "alpha"]
        );
        assert_eq!(d.get_int("neg"), Some(-3));
        assert_eq!(d.get("flags"), Some(&Value::str_list(["a", "b"])));
        assert_eq!((d.get_int("yes"), d.get_int("no")), (Some(1), Some(0)));
        let codec = d.get("codec").and_then(Value::as_dict).unwrap();
        assert_eq!(codec.get("strip"), Some(&Value::str_list(["PCMA"])));
    }

    #[test]
    fn json_requests_without_bencode_form_are_refused_naming_the_path() {
        let err = json_to_dict(r#"{"command":"x","codec":{"strip":["a",1.5]}}"#).unwrap_err();
        assert_eq!(
            err,
            JsonError::NoBencodeForm(
                "'codec.strip[1]' is 1.5: bencode has no floating-point numbers (send a whole \
                 number, or the number as a string)"
                    .into()
            )
        );
        let err = json_to_dict(r#"{"command":"x","label":null}"#).unwrap_err();
        assert!(err.to_string().starts_with("'label' is null"), "{err}");
        let err = json_to_dict(r#"{"n":18446744073709551615}"#).unwrap_err();
        assert!(err.to_string().contains("'n'"), "{err}");
        assert_eq!(json_to_dict("[1]"), Err(JsonError::NotAnObject("an array")));
        assert_eq!(json_to_dict(" null"), Err(JsonError::NotAnObject("null")));
        assert_eq!(json_to_dict("1.5"), Err(JsonError::NotAnObject("a number")));
        assert!(matches!(json_to_dict("{"), Err(JsonError::Syntax(_))));
        assert!(matches!(json_to_dict("[1"), Err(JsonError::Syntax(_))));
        let err = json_to_value(r#"[{"port":5},{"port":5.5}]"#, "media").unwrap_err();
        assert!(
            err.to_string().starts_with("'media[1].port' is 5.5"),
            "{err}"
        );
        assert_eq!(json_to_value("7", "x"), Ok(Value::Int(7)));
    }
}
