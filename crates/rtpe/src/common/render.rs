//! What the commands print: a reply as a JSON line, a bare acknowledgement, and `name: value`
//! notes for stderr.

use rtpengine_client::{Ack, Dict};

use super::json::dict_to_json;
use super::outcome::Output;

/// The dictionary as JSON plus a newline.
pub(crate) fn json_line(dict: &Dict) -> Vec<u8> {
    let mut text = dict_to_json(dict);
    text.push('\n');
    text.into_bytes()
}

/// A plain acknowledgement: nothing (its warning goes to stderr), or the reply as JSON.
pub(crate) fn render_ack(json: bool, ack: Ack, out: &mut Output) {
    out.warnings.extend(ack.warning.clone());
    if json {
        out.stdout = json_line(&ack.raw);
    }
}

/// A `name: value` line for stderr, when there is a value.
pub(crate) fn note(out: &mut Output, name: &str, value: Option<&str>) {
    if let Some(v) = value {
        out.notes.push(format!("{name}: {v}"));
    }
}
