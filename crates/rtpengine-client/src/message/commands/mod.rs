//! The command catalogue and what commands share: participant selection.

use std::net::IpAddr;

use crate::bencode::Encoder;
use crate::message::options::Flag;
use crate::version::{Since, Version};

/// Writes an options struct, adding `extra` flags to its `flags` list.
macro_rules! encode_with_flags {
    ($enc:expr, $options:expr, $extra:expr) => {{
        let extra: Vec<Flag> = $extra;
        if extra.is_empty() {
            $options.encode_keys($enc);
        } else {
            let mut options = $options.clone();
            options.flags.extend(extra);
            options.encode_keys($enc);
        }
    }};
}

pub(crate) mod cli;
pub(crate) mod inject;
pub(crate) mod media_control;
pub(crate) mod playback;
pub(crate) mod pubsub;
pub(crate) mod recording;
pub(crate) mod session;

/// The commands that may open a call no node holds yet (see
/// [`Request::opens_call`](crate::Request::opens_call)).
pub(crate) const CALL_OPENING_COMMANDS: &[&str] =
    &["offer", "publish", "subscribe request", "create"];

/// Every NG command with the release that introduced it (names are case-sensitive and contain
/// spaces).
pub const COMMANDS: &[(&str, Since)] = &[
    ("ping", Since::BASE),
    ("offer", Since::BASE),
    ("answer", Since::BASE),
    ("delete", Since::BASE),
    ("query", Since::BASE),
    ("list", Since::BASE),
    ("statistics", Since::BASE),
    ("start recording", Since::BASE),
    ("stop recording", Since::BASE),
    ("pause recording", since!(11, 3)),
    ("block DTMF", Since::BASE),
    ("unblock DTMF", Since::BASE),
    ("block media", Since::BASE),
    ("unblock media", Since::BASE),
    ("silence media", Since::BASE),
    ("unsilence media", Since::BASE),
    ("start forwarding", Since::BASE),
    ("stop forwarding", Since::BASE),
    ("play media", Since::BASE),
    ("stop media", Since::BASE),
    ("play DTMF", Since::BASE),
    ("publish", Since::BASE),
    ("subscribe request", Since::BASE),
    ("subscribe answer", Since::BASE),
    ("unsubscribe", Since::BASE),
    ("connect", since!(13, 2)),
    ("cli", since!(13, 2)),
    ("transform", since!(13, 3)),
    ("inject start", since!(26, 0)),
    ("inject stop", since!(26, 0)),
    ("create", since!(26, 0)),
    ("create answer", since!(26, 0)),
    ("mesh", since!(26, 1)),
];

/// The release that introduced `command`, if it is a known command (`CLI` is an alias of
/// `cli`).
pub fn command_since(command: &str) -> Option<Since> {
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
    pub(crate) fn encode_key(&self, enc: &mut Encoder<'_>) {
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
    pub(crate) fn needs_all_flag(&self) -> bool {
        matches!(self, Self::All)
    }
}

/// The flags a request adds for its selector: `all` for [`Selector::All`], and `directional` for
/// a one-party selector of a command that needs it on `target` (unknown or 12.4+).
pub(crate) fn selector_flags(
    selector: &Selector,
    present: &[Flag],
    directional_command: bool,
    target: Option<Version>,
) -> Vec<Flag> {
    let mut out = Vec::new();
    if selector.needs_all_flag() && !present.contains(&Flag::All) {
        out.push(Flag::All);
    }
    if directional_command
        && selector.is_party()
        && !present.contains(&Flag::Directional)
        && Flag::Directional.shim_for(target)
    {
        out.push(Flag::Directional);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue() {
        assert_eq!(COMMANDS.len(), 33);
        assert_eq!(command_since("block DTMF"), Some(Since::BASE));
        assert_eq!(command_since("CLI"), Some(since!(13, 2)));
        assert_eq!(command_since("block dtmf"), None);
    }
}
