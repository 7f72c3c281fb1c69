//! `cli` (13.2): runs a command of rtpengine's own CLI over the NG protocol.
//!
//! Needs its command's release (see [`COMMANDS`](super::COMMANDS)); a client that knows its
//! rtpengine's version refuses it before sending (`Error::Unsupported`).

use crate::bencode::{Dict, Encoder};
use crate::error::{Error, Result};
use crate::message::request::Request;
use crate::version::Version;

/// `cli` (13.2): runs a command of rtpengine's CLI (`list numsessions`, `list totals`…).
#[derive(Debug, Clone, Copy)]
pub struct Cli<'a> {
    /// The CLI command text (`body`).
    pub body: &'a str,
}

impl Request for Cli<'_> {
    fn command(&self) -> &str {
        "cli"
    }
    fn encode_keys(&self, enc: &mut Encoder<'_>, _target: Option<Version>) {
        enc.entry_str("body", self.body);
    }
    fn validate(&self) -> Result<()> {
        if self.body.trim().is_empty() {
            return Err(Error::invalid("'cli' needs a command text"));
        }
        Ok(())
    }
}

/// The reply to `cli`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct CliReply {
    /// The CLI's output text (`Unknown command: …` for an unknown CLI command).
    pub response: String,
    /// The whole reply dictionary, unknown fields included.
    pub raw: Dict,
}

impl CliReply {
    /// Reads an `ok` reply that must carry `response`.
    pub fn from_dict(raw: Dict) -> Result<Self> {
        let response = raw
            .get_string("response")
            .ok_or_else(|| Error::malformed("cli reply has no 'response' string"))?;
        Ok(Self { response, raw })
    }
}
