//! Playing media and DTMF into a call: `play media`, `stop media`, `play DTMF`.

use std::str::FromStr;
use std::time::Duration;

use bytes::Bytes;

use super::{selector_flags, Selector};
use crate::bencode::{Dict, Encoder, Value};
use crate::error::{Error, Result};
use crate::message::options::{CodecOptions, Flag, Kind, Raw, Scalar};
use crate::message::request::{command_requirement, Request};
use crate::version::{Requirements, Version};

/// The DTMF events, in code order (RFC 4733 event codes 0–15).
const DTMF_CHARS: &[u8; 16] = b"0123456789*#ABCD";

/// A DTMF event: code 0–15, or one of `0`–`9`, `*`, `#`, `A`–`D`.
///
/// Sent as a one-character string, which every rtpengine release reads for `code`/`digit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DtmfDigit(u8);

impl DtmfDigit {
    /// The event with this code (0–9 are the digits, 10 `*`, 11 `#`, 12–15 `A`–`D`).
    pub fn from_code(code: u8) -> Result<Self> {
        if usize::from(code) < DTMF_CHARS.len() {
            Ok(Self(code))
        } else {
            Err(Error::InvalidRequest {
                reason: format!(
                    "DTMF 'code' must be 0-15 or one of 0-9 * # A-D; {code} is out of range"
                ),
            })
        }
    }

    /// The event written as this character (`a`–`d` are taken as `A`–`D`).
    pub fn from_char(c: char) -> Result<Self> {
        let upper = c.to_ascii_uppercase();
        DTMF_CHARS
            .iter()
            .position(|&d| char::from(d) == upper)
            .map(|pos| Self(pos as u8))
            .ok_or_else(|| Error::InvalidRequest {
                reason: format!(
                    "DTMF 'code' must be 0-15 or one of 0-9 * # A-D; {c:?} is not a DTMF digit"
                ),
            })
    }

    /// The event code (0–15).
    pub fn code(self) -> u8 {
        self.0
    }

    /// The event as a character (`0`–`9`, `*`, `#`, `A`–`D`).
    pub fn as_char(self) -> char {
        char::from(DTMF_CHARS[usize::from(self.0)])
    }
}

impl TryFrom<u8> for DtmfDigit {
    type Error = Error;
    fn try_from(code: u8) -> Result<Self> {
        Self::from_code(code)
    }
}

impl TryFrom<char> for DtmfDigit {
    type Error = Error;
    fn try_from(c: char) -> Result<Self> {
        Self::from_char(c)
    }
}

impl FromStr for DtmfDigit {
    type Err = Error;
    /// One character (`5`, `#`, `A`) or a code (`0`–`15`).
    fn from_str(s: &str) -> Result<Self> {
        let mut chars = s.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) => Self::from_char(c),
            _ => match s.parse::<u8>() {
                Ok(code) => Self::from_code(code),
                Err(_) => Err(Error::InvalidRequest {
                    reason: format!(
                        "DTMF 'code' must be 0-15 or one of 0-9 * # A-D; {s:?} is neither"
                    ),
                }),
            },
        }
    }
}

/// What [`NgCommands::play_dtmf`](crate::NgCommands::play_dtmf) takes as the event: a [`DtmfDigit`], a
/// `char` (`'5'`, `'#'`), a code (`11u8`) or a `&str` (`"#"`, `"11"`). Anything else than 0–15
/// or `0`–`9`, `*`, `#`, `A`–`D` is refused with [`Error::InvalidRequest`] naming `code`.
pub trait IntoDtmfDigit {
    /// Converts, refusing what is not a DTMF event.
    fn into_dtmf_digit(self) -> Result<DtmfDigit>;
}

impl IntoDtmfDigit for DtmfDigit {
    fn into_dtmf_digit(self) -> Result<DtmfDigit> {
        Ok(self)
    }
}

impl IntoDtmfDigit for char {
    fn into_dtmf_digit(self) -> Result<DtmfDigit> {
        DtmfDigit::from_char(self)
    }
}

impl IntoDtmfDigit for u8 {
    fn into_dtmf_digit(self) -> Result<DtmfDigit> {
        DtmfDigit::from_code(self)
    }
}

impl IntoDtmfDigit for &str {
    fn into_dtmf_digit(self) -> Result<DtmfDigit> {
        self.parse()
    }
}

impl std::fmt::Display for DtmfDigit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.as_char())
    }
}

impl Scalar for DtmfDigit {
    const KIND: Kind = Kind::Form("a DTMF digit: 0-9, *, #, A-D");
    /// A digit as typed (`5`, `*`, `A`), or its event code 0–15.
    fn from_text(text: &str) -> std::result::Result<Self, String> {
        text.parse().map_err(|e: Error| match e {
            Error::InvalidRequest { reason } => reason,
            other => other.to_string(),
        })
    }
    fn encode(&self, enc: &mut Encoder<'_>) {
        let mut buf = [0u8; 4];
        enc.str(self.as_char().encode_utf8(&mut buf));
    }
    /// An integer code or a one-character string, as rtpengine reads them.
    fn decode(v: &Value) -> Option<Self> {
        match v {
            Value::Int(i) => u8::try_from(*i).ok().and_then(|c| Self::from_code(c).ok()),
            Value::Bytes(b) if b.len() == 1 => Self::from_char(char::from(b[0])).ok(),
            _ => None,
        }
    }
    fn describe(&self) -> String {
        format!("'{}'", self.as_char())
    }
}

ng_options! {
    /// Options of `play media`.
    pub struct PlayMediaOptions {
        /// `repeat-times`: play this many times (default 1).
        repeat_times: Option<u32> = "repeat-times";
        /// `repeat-duration`: repeat for at least this many ms.
        repeat_duration: Option<u32> = "repeat-duration" @ (13, 2);
        /// `start-pos`: the frame position to start from.
        start_pos: Option<i64> = "start-pos" @ (11, 2);
        /// `codec`: encoder settings (`set`) for the played media (honoured since 13.0).
        codec: CodecOptions = "codec" @ (13, 0);
        /// `set-label`: gives the selected party this label (every release).
        set_label: Option<String> = "set-label";
        /// The `flags` list (`block egress`, 12.3+: mute the party's own media meanwhile).
        flags: Vec<Flag> = "flags";
    }
}

impl PlayMediaOptions {
    /// Sets or clears the `block egress` flag (12.3+).
    pub fn block_egress(mut self, on: bool) -> Self {
        self.flags.retain(|f| *f != Flag::BlockEgress);
        if on {
            self.flags.push(Flag::BlockEgress);
        }
        self
    }
}

/// The shortest and longest DTMF event and pause rtpengine plays (ms); it clamps other values.
pub const DTMF_MS_RANGE: std::ops::RangeInclusive<u32> = 100..=5000;

ng_options! {
    /// Options of `play DTMF`.
    pub struct PlayDtmfOptions {
        /// `duration`: the event's length in ms (100–5000; default 250).
        duration: Option<u32> = "duration";
        /// `volume`: in dB below full scale (positive values are negated). Set it: without it
        /// rtpengine (10.5, and still the latest) injects at −63 dB, its "unset" value, not at
        /// the documented −8 dB.
        volume: Option<i32> = "volume";
        /// `pause`: ms between consecutive events (100–5000; default 100).
        pause: Option<u32> = "pause";
        /// `set-label`: gives the selected party this label (every release).
        set_label: Option<String> = "set-label";
        /// The `flags` list.
        flags: Vec<Flag> = "flags";
    }
}

impl PlayDtmfOptions {
    /// Refuses a duration or pause rtpengine would silently clamp (or, for 0, replace by its
    /// default).
    pub fn validate(&self) -> Result<()> {
        for (key, value) in [("duration", self.duration), ("pause", self.pause)] {
            if let Some(ms) = value {
                if !DTMF_MS_RANGE.contains(&ms) {
                    return Err(Error::InvalidRequest {
                        reason: format!(
                            "play DTMF '{key}' must be {}-{} ms (rtpengine clamps other values); \
                             got {ms}",
                            DTMF_MS_RANGE.start(),
                            DTMF_MS_RANGE.end()
                        ),
                    });
                }
            }
        }
        Ok(())
    }
}

/// What `play media` plays.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MediaSource {
    /// `file`: a path on the daemon's file system (anything ffmpeg reads, e.g. WAV).
    File(String),
    /// `blob`: the media file's bytes (must fit in one request).
    Blob(Bytes),
    /// `blob64` (26.1+): the media file's bytes in base64.
    Blob64(String),
    /// `db-id`: a media file in the daemon's database (positive).
    DbId(i64),
}

impl MediaSource {
    /// The key the source is sent under.
    pub fn key(&self) -> &'static str {
        match self {
            Self::File(_) => "file",
            Self::Blob(_) => "blob",
            Self::Blob64(_) => "blob64",
            Self::DbId(_) => "db-id",
        }
    }

    fn encode(&self, enc: &mut Encoder<'_>) {
        match self {
            Self::File(path) => {
                enc.entry_str("file", path);
            }
            Self::Blob(bytes) => {
                enc.str("blob").bytes(bytes);
            }
            Self::Blob64(text) => {
                enc.entry_str("blob64", text);
            }
            Self::DbId(id) => {
                enc.entry_int("db-id", *id);
            }
        }
    }

    /// The release this source needs, if newer than 10.5.
    pub fn requirements(&self) -> Requirements {
        match self {
            Self::Blob64(_) => {
                let mut r = Requirements::default();
                r.need(Version::new(26, 1), || "option 'blob64'".to_owned());
                r
            }
            _ => Requirements::default(),
        }
    }

    /// Refuses an empty source, which rtpengine answers with `No media file specified`.
    pub fn validate(&self) -> Result<()> {
        let empty = match self {
            Self::File(path) => path.is_empty(),
            Self::Blob(bytes) => bytes.is_empty(),
            Self::Blob64(text) => text.is_empty(),
            Self::DbId(id) => *id <= 0,
        };
        if empty {
            return Err(Error::InvalidRequest {
                reason: format!(
                    "play media '{}' must be {}",
                    self.key(),
                    if matches!(self, Self::DbId(_)) {
                        "positive"
                    } else {
                        "non-empty"
                    }
                ),
            });
        }
        Ok(())
    }
}

impl From<Bytes> for MediaSource {
    fn from(bytes: Bytes) -> Self {
        Self::Blob(bytes)
    }
}

/// Refuses a playback command that selects nobody (rtpengine: `No participant party
/// specified`), unless raw keys or flags select someone.
fn require_party(command: &str, selector: &Selector, raw: &Raw) -> Result<()> {
    let raw_selects = ["from-tag", "label", "from-label", "address", "all"]
        .iter()
        .any(|k| raw.has(k))
        || raw.flags.iter().any(|f| f == "all");
    if *selector == Selector::Call && !raw_selects {
        return Err(Error::InvalidRequest {
            reason: format!(
                "'{command}' needs a participant: select a party, or Selector::All for every party"
            ),
        });
    }
    Ok(())
}

/// `play media`: plays a media file to the selected party (transcoding builds only).
#[derive(Debug, Clone, Copy)]
pub struct PlayMedia<'a> {
    /// The SIP Call-ID.
    pub call_id: &'a str,
    /// Who hears the media: one party, or [`Selector::All`].
    pub selector: &'a Selector,
    /// What to play.
    pub source: &'a MediaSource,
    /// Options.
    pub options: &'a PlayMediaOptions,
}

impl Request for PlayMedia<'_> {
    fn command(&self) -> &str {
        "play media"
    }
    fn call_id(&self) -> Option<&str> {
        Some(self.call_id)
    }
    fn encode_keys(&self, enc: &mut Encoder<'_>, target: Option<Version>) {
        enc.entry_str("call-id", self.call_id);
        self.selector.encode_key(enc);
        if !self.options.raw.has(self.source.key()) {
            self.source.encode(enc);
        }
        encode_with_flags!(
            enc,
            self.options,
            selector_flags(self.selector, &self.options.flags, false, target)
        );
    }
    fn requirements(&self) -> Requirements {
        command_requirement("play media")
            .and(self.source.requirements())
            .and(self.options.requirements())
    }
    fn validate(&self) -> Result<()> {
        require_party("play media", self.selector, &self.options.raw)?;
        self.source.validate()
    }
}

/// `stop media`: stops what `play media` plays to the selected party.
#[derive(Debug, Clone, Copy)]
pub struct StopMedia<'a> {
    /// The SIP Call-ID.
    pub call_id: &'a str,
    /// The party media is played to, or [`Selector::All`].
    pub selector: &'a Selector,
}

impl Request for StopMedia<'_> {
    fn command(&self) -> &str {
        "stop media"
    }
    fn call_id(&self) -> Option<&str> {
        Some(self.call_id)
    }
    fn encode_keys(&self, enc: &mut Encoder<'_>, target: Option<Version>) {
        enc.entry_str("call-id", self.call_id);
        self.selector.encode_key(enc);
        let flags = selector_flags(self.selector, &[], false, target);
        if !flags.is_empty() {
            enc.str("flags").list();
            for f in &flags {
                enc.str(f.as_str());
            }
            enc.end();
        }
    }
    fn validate(&self) -> Result<()> {
        require_party("stop media", self.selector, &Raw::default())
    }
}

/// `play DTMF`: injects a DTMF event as if the selected party had sent it (needs the
/// `inject DTMF` flag on offer and answer, and a transcoding build).
#[derive(Debug, Clone, Copy)]
pub struct PlayDtmf<'a> {
    /// The SIP Call-ID.
    pub call_id: &'a str,
    /// The party that "sends" the event (its peers hear it), or [`Selector::All`].
    pub selector: &'a Selector,
    /// `code`: the event.
    pub code: DtmfDigit,
    /// Options.
    pub options: &'a PlayDtmfOptions,
}

impl Request for PlayDtmf<'_> {
    fn command(&self) -> &str {
        "play DTMF"
    }
    fn call_id(&self) -> Option<&str> {
        Some(self.call_id)
    }
    fn encode_keys(&self, enc: &mut Encoder<'_>, target: Option<Version>) {
        enc.entry_str("call-id", self.call_id);
        self.selector.encode_key(enc);
        if !self.options.raw.has("code") {
            enc.str("code");
            self.code.encode(enc);
        }
        encode_with_flags!(
            enc,
            self.options,
            selector_flags(self.selector, &self.options.flags, false, target)
        );
    }
    fn requirements(&self) -> Requirements {
        command_requirement("play DTMF").and(self.options.requirements())
    }
    fn validate(&self) -> Result<()> {
        require_party("play DTMF", self.selector, &self.options.raw)?;
        self.options.validate()
    }
}

/// The reply to `play media`.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct PlayMediaReply {
    /// `duration`: the media's length, when rtpengine could tell.
    pub duration: Option<Duration>,
    /// A `warning`, if rtpengine gave one.
    pub warning: Option<String>,
    /// The whole reply dictionary.
    pub raw: Dict,
}

impl PlayMediaReply {
    /// Reads an `ok` reply (a `duration` that is not a non-negative integer is left in `raw`).
    pub fn from_dict(raw: Dict) -> Self {
        Self {
            duration: raw
                .get_int("duration")
                .and_then(|ms| u64::try_from(ms).ok())
                .map(Duration::from_millis),
            warning: raw.get_string("warning"),
            raw,
        }
    }
}

/// The reply to `stop media`.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct StopMediaReply {
    /// `last-frame-pos` (11.2+): the frame position playback stopped at (usable as
    /// `start-pos`).
    pub last_frame_pos: Option<i64>,
    /// A `warning`, if rtpengine gave one.
    pub warning: Option<String>,
    /// The whole reply dictionary.
    pub raw: Dict,
}

impl StopMediaReply {
    /// Reads an `ok` reply.
    pub fn from_dict(raw: Dict) -> Self {
        Self {
            last_frame_pos: raw.get_int("last-frame-pos"),
            warning: raw.get_string("warning"),
            raw,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits() {
        assert_eq!(DtmfDigit::from_code(11).unwrap().as_char(), '#');
        assert_eq!(DtmfDigit::from_char('d').unwrap().code(), 15);
        assert_eq!("*".parse::<DtmfDigit>().unwrap().code(), 10);
        assert_eq!("15".parse::<DtmfDigit>().unwrap().as_char(), 'D');
        for bad in ["16", "E", "", "1.5"] {
            let err = bad.parse::<DtmfDigit>().unwrap_err();
            assert!(err.to_string().contains("'code'"), "{err}");
        }
        assert!(DtmfDigit::from_code(16).is_err());
        assert_eq!(DtmfDigit::decode(&Value::Int(3)), Some(DtmfDigit(3)));
        assert_eq!(DtmfDigit::decode(&Value::str("#")), Some(DtmfDigit(11)));
        assert_eq!(DtmfDigit::decode(&Value::Int(16)), None);
    }

    #[test]
    fn play_needs_a_party_and_a_source() {
        let call = Selector::Call;
        let opts = PlayMediaOptions::new();
        let src = MediaSource::File("/x.wav".into());
        let req = PlayMedia {
            call_id: "x",
            selector: &call,
            source: &src,
            options: &opts,
        };
        assert!(req.validate().is_err());
        let all = Selector::All;
        let empty = MediaSource::DbId(0);
        let req = PlayMedia {
            selector: &all,
            source: &empty,
            ..req
        };
        assert!(req.validate().unwrap_err().to_string().contains("db-id"));
    }
}
