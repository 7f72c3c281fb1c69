//! The JSON readers and writers on arbitrary text: `json_to_dict` / `json_to_value` (strict,
//! requests), `parse_json_dict` (lenient, replies), `dict_to_json`, `bencode_to_json`. None may
//! panic; what a reader accepts, the writer writes and the reader reads back unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rtpengine_client::bencode::{encode, Value};
use rtpengine_client::message::{
    bencode_to_json, bencode_to_json_with, dict_to_json, json_to_dict, json_to_value,
    parse_json_dict, write_json_string, NonUtf8,
};

fuzz_target!(|data: &[u8]| {
    // Replies: any bytes.
    if let Ok(dict) = parse_json_dict(data) {
        let json = dict_to_json(&dict, NonUtf8::Replace).expect("Replace cannot fail");
        if let Ok(strict) = dict_to_json(&dict, NonUtf8::Refuse) {
            assert_eq!(strict, json, "all strings are UTF-8: both modes agree");
            let back = parse_json_dict(json.as_bytes()).expect("our JSON reads back");
            assert_eq!(back, dict, "reply JSON round trip: {json}");
            // What we write is also a valid strict request (no float, no null).
            let strict_back = json_to_dict(&json).expect("our JSON is strict JSON");
            assert_eq!(strict_back, dict);
        }
    }
    // The bencode → JSON writer on the same bytes.
    let _ = bencode_to_json(data);
    let _ = bencode_to_json_with(data, NonUtf8::Replace);

    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // Requests: strict.
    if let Ok(dict) = json_to_dict(text) {
        let lenient = parse_json_dict(data).expect("strict JSON is lenient JSON");
        assert_eq!(lenient, dict, "strict and lenient readers differ");
        let json = dict_to_json(&dict, NonUtf8::Refuse).expect("a JSON string is UTF-8");
        let back = json_to_dict(&json).expect("our JSON reads back");
        assert_eq!(back, dict, "request JSON round trip: {json}");
        // And through bencode.
        let bencoded = encode(&Value::Dict(dict.clone()));
        assert_eq!(
            bencode_to_json(&bencoded).expect("UTF-8 bencode converts"),
            json
        );
    }
    if let Ok(value) = json_to_value(text, "media") {
        let _ = encode(&value);
    }
    let mut out = String::new();
    write_json_string(&mut out, text);
    assert!(out.starts_with('"') && out.ends_with('"') && out.len() >= 2);
    let back = json_to_value(&out, "s").expect("an escaped string reads back");
    assert_eq!(back.as_bytes().map(|b| &b[..]), Some(text.as_bytes()));
});
