//! `inject start` / `inject stop` (26.0): mixing the audio of one party into another's stream.
//!
//! Needs its command's release (see [`COMMANDS`](super::COMMANDS)); a client that knows its
//! rtpengine's version refuses it before sending (`Error::Unsupported`).

use crate::bencode::Encoder;
use crate::error::{Error, Result};
use crate::message::request::{command_requirement, Request};
use crate::version::{Requirements, Version};

ng_options! {
    /// Options of `inject start` / `inject stop` (26.0).
    pub struct InjectOptions {
        /// `source-call-id`: the source party is in this other call (the calls are merged).
        source_call_id: Option<String> = "source-call-id" @ (26, 0);
    }
}

/// `inject start` / `inject stop` (26.0): mixes (or stops mixing) the audio of a source party
/// into a destination party's stream.
#[derive(Debug, Clone, Copy)]
pub struct Inject<'a> {
    /// `true` for `inject start`, `false` for `inject stop`.
    pub start: bool,
    /// The call-id of the destination party.
    pub call_id: &'a str,
    /// The destination party (`to-tag`).
    pub to_tag: &'a str,
    /// The source party (`source-tag`).
    pub source_tag: &'a str,
    /// Options.
    pub options: &'a InjectOptions,
}

impl Request for Inject<'_> {
    fn command(&self) -> &str {
        if self.start {
            "inject start"
        } else {
            "inject stop"
        }
    }
    fn call_id(&self) -> Option<&str> {
        Some(self.call_id)
    }
    fn encode_keys(&self, enc: &mut Encoder<'_>, _target: Option<Version>) {
        enc.entry_str("call-id", self.call_id);
        enc.entry_str("to-tag", self.to_tag);
        enc.entry_str("source-tag", self.source_tag);
        self.options.encode_keys(enc);
    }
    fn requirements(&self) -> Requirements {
        command_requirement(self.command()).and(self.options.requirements())
    }
    fn validate(&self) -> Result<()> {
        if self.to_tag.is_empty() || self.source_tag.is_empty() {
            return Err(Error::invalid(format!(
                "'{}' needs a to-tag and a source-tag",
                self.command()
            )));
        }
        if self.to_tag == self.source_tag && self.options.source_call_id.is_none() {
            return Err(Error::invalid("a party cannot be injected into itself"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::request::encode_request;

    #[test]
    fn inject_stop() {
        let i = InjectOptions::new();
        let stop = Inject {
            start: false,
            call_id: "c",
            to_tag: "B",
            source_tag: "A",
            options: &i,
        };
        assert_eq!(stop.command(), "inject stop");
        assert_eq!(stop.requirements().newest().unwrap().since, since!(26, 0));
        assert_eq!(
            String::from_utf8(encode_request("c", &stop, None).unwrap().to_vec()).unwrap(),
            "c d7:command11:inject stop7:call-id1:c6:to-tag1:B10:source-tag1:Ae"
        );
    }
}
