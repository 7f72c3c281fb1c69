//! What the commands print: a reply as a JSON line, a bare acknowledgement, and `name: value`
//! notes for stderr.

use rtpengine_client::bencode::Dict;
use rtpengine_client::Ack;

use rtpengine_client::message::{dict_to_json, NonUtf8};

use super::outcome::Output;

/// The dictionary as one line of JSON, keys in reply order; bytes that are not UTF-8 are
/// replaced (this is for reading, not for sending).
pub(crate) fn json_text(dict: &Dict) -> String {
    dict_to_json(dict, NonUtf8::Replace)
        // Cannot fail when replacing; an error still shows as a JSON string rather than a panic.
        .unwrap_or_else(|e| {
            let mut text = String::new();
            rtpengine_client::message::write_json_string(&mut text, &e.to_string());
            text
        })
}

/// The dictionary as JSON plus a newline.
pub(crate) fn json_line(dict: &Dict) -> Vec<u8> {
    let mut text = json_text(dict);
    text.push('\n');
    text.into_bytes()
}

/// A plain acknowledgement: nothing (its warning goes to stderr), or the reply as JSON.
pub(crate) fn render_ack(json: bool, ack: Ack) -> Output {
    let mut out = Output::default();
    out.warnings.extend(ack.warning.clone());
    if json {
        out.stdout = json_line(&ack.raw);
    }
    out
}

/// A `name: value` line for stderr, when there is a value.
pub(crate) fn note(out: &mut Output, name: &str, value: Option<&str>) {
    if let Some(v) = value {
        out.notes.push(format!("{name}: {v}"));
    }
}
