//! The command catalogue and what commands share: participant selection.

use std::net::IpAddr;

use crate::bencode::Encoder;
use crate::message::version::Version;

pub mod media;
pub use media::{
    Ack, BlockDtmfOptions, DtmfDigit, DtmfSecurity, FlowScope, IntoDtmfDigit, MediaOptions,
    MediaSource, PlayDtmfOptions, PlayMediaOptions, PlayMediaReply, RecordingOptions,
    StopMediaReply,
};

pub mod newer;
pub mod pubsub;

/// Every NG command with the release that introduced it (names are case-sensitive and contain
/// spaces).
pub const COMMANDS: &[(&str, Version)] = &[
    ("ping", Version::BASE),
    ("offer", Version::BASE),
    ("answer", Version::BASE),
    ("delete", Version::BASE),
    ("query", Version::BASE),
    ("list", Version::BASE),
    ("statistics", Version::BASE),
    ("start recording", Version::BASE),
    ("stop recording", Version::BASE),
    ("pause recording", Version::new(11, 3)),
    ("block DTMF", Version::BASE),
    ("unblock DTMF", Version::BASE),
    ("block media", Version::BASE),
    ("unblock media", Version::BASE),
    ("silence media", Version::BASE),
    ("unsilence media", Version::BASE),
    ("start forwarding", Version::BASE),
    ("stop forwarding", Version::BASE),
    ("play media", Version::BASE),
    ("stop media", Version::BASE),
    ("play DTMF", Version::BASE),
    ("publish", Version::BASE),
    ("subscribe request", Version::BASE),
    ("subscribe answer", Version::BASE),
    ("unsubscribe", Version::BASE),
    ("connect", Version::new(13, 2)),
    ("cli", Version::new(13, 2)),
    ("transform", Version::new(13, 3)),
    ("inject start", Version::new(26, 0)),
    ("inject stop", Version::new(26, 0)),
    ("create", Version::new(26, 0)),
    ("create answer", Version::new(26, 0)),
    ("mesh", Version::new(26, 1)),
];

/// The release that introduced `command`, if it is a known command (`CLI` is an alias of
/// `cli`).
pub fn command_since(command: &str) -> Option<Version> {
    let command = if command == "CLI" { "cli" } else { command };
    COMMANDS
        .iter()
        .find(|(name, _)| *name == command)
        .map(|(_, v)| *v)
}

/// Which participants of a call a command acts on.
///
/// rtpengine's precedence is `all` → label → address → from-tag; with no selector the whole
/// call is meant.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Selector {
    /// The whole call (nothing sent).
    #[default]
    Call,
    /// Every party (`flags: ["all"]`).
    All,
    /// The party with this SIP tag (`from-tag`).
    FromTag(String),
    /// The party with this label (`label`).
    Label(String),
    /// The party whose SDP media address is this (`address`).
    Address(IpAddr),
}

impl Selector {
    /// True when the selector names one party (what 12.4+ honours only with `directional`).
    pub fn is_party(&self) -> bool {
        matches!(self, Self::FromTag(_) | Self::Label(_) | Self::Address(_))
    }

    /// Writes the selecting key (not the `all` flag, which joins the `flags` list).
    pub fn encode_key(&self, enc: &mut Encoder<'_>) {
        match self {
            Self::Call | Self::All => {}
            Self::FromTag(tag) => {
                enc.entry_str("from-tag", tag);
            }
            Self::Label(label) => {
                enc.entry_str("label", label);
            }
            Self::Address(addr) => {
                enc.entry_str("address", &addr.to_string());
            }
        }
    }

    /// Whether the `all` flag is needed.
    pub fn needs_all_flag(&self) -> bool {
        matches!(self, Self::All)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue() {
        assert_eq!(COMMANDS.len(), 33);
        assert_eq!(command_since("block DTMF"), Some(Version::BASE));
        assert_eq!(command_since("CLI"), Some(Version::new(13, 2)));
        assert_eq!(command_since("block dtmf"), None);
    }
}
