//! Commands that act on an established call: recording, DTMF and media blocking, silencing,
//! forwarding, and media and DTMF playback.
//!
//! Most of them pick participants with a [`Selector`]. Since rtpengine 12.4, `block DTMF`,
//! `unblock DTMF`, `block media`, `unblock media`, `start forwarding` and `stop forwarding`
//! ignore a `from-tag` unless the flag `directional` is present, and act on the whole call
//! instead; older releases do not know the flag and ignore it. These requests therefore add
//! `directional` whenever the selector names one party and the target is unknown or 12.4+, so
//! that one request means the same on every release (this added flag is not version-checked).

use std::str::FromStr;
use std::time::Duration;

use bytes::Bytes;

use super::Selector;
use crate::bencode::{Dict, Encoder, Value};
use crate::error::{Error, Result};
use crate::message::options::{CodecOptions, Flag, Kind, Raw, Scalar};
use crate::message::request::{command_requirement, Request};
use crate::message::version::{Requirements, Version};

text_enum! {
    /// What `block DTMF` does with DTMF (`DTMF-security` and its trigger variants). Modes other
    /// than `drop` and `off` need audio to go through the transcoding engine.
    pub enum DtmfSecurity {
        /// Drop DTMF events (the default).
        Drop => "drop",
        /// Replace DTMF with silence.
        Silence => "silence",
        /// Replace DTMF with a tone (`frequency`, `volume`).
        Tone => "tone",
        /// Replace DTMF with random DTMF digits.
        Random => "random",
        /// Replace DTMF with the digit `0`.
        Zero => "zero",
        /// Replace DTMF with the digit given in `digit`.
        Dtmf => "DTMF" | "dtmf",
        /// Do not block.
        Off => "off",
    }
}

text_enum! {
    /// The `all` key of `block media` and friends (11.1+): which media flows of the selected
    /// party are meant.
    pub enum FlowScope {
        /// The whole call, like the `all` flag.
        All => "all",
        /// No flows (the default).
        None => "none",
        /// Flows that came from offer/answer.
        OfferAnswer => "offer-answer",
        /// Flows that did not come from offer/answer (subscriptions).
        ExceptOfferAnswer => "except-offer-answer" | "non-offer-answer" | "not-offer-answer",
        /// Every established flow.
        Flows => "flows",
    }
}

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

/// What [`Client::play_dtmf`](crate::Client::play_dtmf) takes as the event: a [`DtmfDigit`], a
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
    /// Options of `start recording`, `stop recording` and `pause recording`.
    pub struct RecordingOptions {
        /// `from-tag`: the party whose metadata `metadata` sets (the call is recorded as a
        /// whole either way; an unknown tag only logs a warning).
        from_tag: Option<String> = "from-tag";
        /// `metadata`: free text stored with the recording (`key:value` pairs joined by `|`
        /// for the database backend).
        metadata: Option<String> = "metadata";
        /// `output-destination` (start recording): the recording's path, used as given.
        output_destination: Option<String> = "output-destination";
        /// `recording-file`: the recording's file name (12.2).
        recording_file: Option<String> = "recording-file" @ (12, 2);
        /// `recording-dir`: the recording's directory (12.2).
        recording_dir: Option<String> = "recording-dir" @ (12, 2);
        /// `recording-pattern`: the pattern for the recording's file name (12.2).
        recording_pattern: Option<String> = "recording-pattern" @ (12, 2);
        /// `pause` (stop recording only): `yes` pauses instead of stopping, like
        /// `pause recording`.
        pause: Option<bool> = "pause" @ (11, 3);
        /// The `flags` list (e.g. `discard-recording`, 11.4+).
        flags: Vec<Flag> = "flags";
    }
}

ng_options! {
    /// Options of `block DTMF` (and `unblock DTMF`, which honours only `delay-buffer` and the
    /// flags).
    ///
    /// Replacement modes, triggers and delays need the transcoding engine.
    pub struct BlockDtmfOptions {
        /// `DTMF-security`: what to do with DTMF (default `drop`, or `off` when a trigger is
        /// set).
        dtmf_security: Option<DtmfSecurity> = "DTMF-security";
        /// `DTMF-security-trigger`: the mode once `trigger` was seen.
        dtmf_security_trigger: Option<DtmfSecurity> = "DTMF-security-trigger";
        /// `DTMF-security-trigger-end`: the mode once `trigger-end` was seen.
        dtmf_security_trigger_end: Option<DtmfSecurity> = "DTMF-security-trigger-end";
        /// `trigger`: a DTMF sequence that switches to `DTMF-security-trigger`.
        trigger: Option<String> = "trigger";
        /// `trigger-end`: a DTMF sequence that switches to `DTMF-security-trigger-end`.
        trigger_end: Option<String> = "trigger-end";
        /// `trigger-end-time`: ms after the trigger until the end mode applies.
        trigger_end_time: Option<u32> = "trigger-end-time";
        /// `trigger-end-digits`: digits after the trigger until the end mode applies.
        trigger_end_digits: Option<u32> = "trigger-end-digits";
        /// `frequency`: the replacement tone's frequency in Hz (mode `tone`).
        frequency: Option<u32> = "frequency";
        /// `frequencies`: several tone frequencies in Hz, played in turn (a list gets one more).
        frequencies: Vec<u32> = "frequencies" @ (11, 2);
        /// `volume`: the replacement tone's volume in dB below full scale (0–63; the sign is
        /// ignored).
        volume: Option<i32> = "volume";
        /// `digit`: the replacement digit (mode `DTMF`).
        digit: Option<DtmfDigit> = "digit" | "code";
        /// `delay-buffer`: delay audio by this many ms, so DTMF can be removed from it.
        delay_buffer: Option<u32> = "delay-buffer" | "delay buffer";
        /// `DTMF-delay`: delay DTMF events by this many ms.
        dtmf_delay: Option<u32> = "DTMF-delay" | "DTMF delay";
        /// `set-label`: gives the selected party this label (every release).
        set_label: Option<String> = "set-label";
        /// The `flags` list.
        flags: Vec<Flag> = "flags";
    }
}

ng_options! {
    /// Options of `block media`, `unblock media`, `silence media`, `unsilence media`,
    /// `start forwarding` and `stop forwarding`.
    pub struct MediaOptions {
        /// `to-tag` (block/silence media): with a selected party, only its media flow towards
        /// this party. 10.5 ignores it.
        to_tag: Option<String> = "to-tag" @ (11, 1);
        /// `to-label` (block/silence media): like `to-tag`, by label. 10.5 takes `to-label` as
        /// `set-label` and would relabel the selected party instead.
        to_label: Option<String> = "to-label" @ (11, 1);
        /// `all` (block/silence media): which flows of the selected party are meant.
        all: Option<FlowScope> = "all" @ (11, 1);
        /// `metadata` (forwarding): free text stored with the call or party.
        metadata: Option<String> = "metadata";
        /// `set-label`: gives the selected party this label (every release).
        set_label: Option<String> = "set-label";
        /// The `flags` list.
        flags: Vec<Flag> = "flags";
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

/// The flags a request adds for its selector: `all` for [`Selector::All`], and `directional` for
/// a one-party selector of a command that needs it on `target` (unknown or 12.4+).
pub fn selector_flags(
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

macro_rules! recording_request {
    ($(#[$meta:meta])* $name:ident, $command:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy)]
        pub struct $name<'a> {
            /// The SIP Call-ID.
            pub call_id: &'a str,
            /// Options.
            pub options: &'a RecordingOptions,
        }

        impl Request for $name<'_> {
            fn command(&self) -> &str {
                $command
            }
            fn call_id(&self) -> Option<&str> {
                Some(self.call_id)
            }
            fn encode_keys(&self, enc: &mut Encoder<'_>, _target: Option<Version>) {
                enc.entry_str("call-id", self.call_id);
                self.options.encode_keys(enc);
            }
            fn requirements(&self) -> Requirements {
                command_requirement($command).and(self.options.requirements())
            }
            fn validate(&self) -> Result<()> {
                if $command != "stop recording" && self.options.pause.is_some() {
                    return Err(Error::InvalidRequest {
                        reason: format!("'pause' only applies to 'stop recording', not '{}'", $command),
                    });
                }
                Ok(())
            }
        }
    };
}

recording_request!(
    /// `start recording`: records the call with the daemon's recording method.
    StartRecording,
    "start recording"
);
recording_request!(
    /// `stop recording`.
    StopRecording,
    "stop recording"
);
recording_request!(
    /// `pause recording` (11.3+): stops recording but keeps the recording open to resume.
    PauseRecording,
    "pause recording"
);

macro_rules! selector_request {
    ($(#[$meta:meta])* $name:ident, $command:literal, $options:ty, directional: $dir:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy)]
        pub struct $name<'a> {
            /// The SIP Call-ID.
            pub call_id: &'a str,
            /// The participants acted on.
            pub selector: &'a Selector,
            /// Options.
            pub options: &'a $options,
        }

        impl Request for $name<'_> {
            fn command(&self) -> &str {
                $command
            }
            fn call_id(&self) -> Option<&str> {
                Some(self.call_id)
            }
            fn encode_keys(&self, enc: &mut Encoder<'_>, target: Option<Version>) {
                enc.entry_str("call-id", self.call_id);
                self.selector.encode_key(enc);
                encode_with_flags!(
                    enc,
                    self.options,
                    selector_flags(self.selector, &self.options.flags, $dir, target)
                );
            }
            fn requirements(&self) -> Requirements {
                command_requirement($command).and(self.options.requirements())
            }
        }
    };
}

selector_request!(
    /// `block DTMF`: drops (or replaces) DTMF from the selected party, or in the whole call.
    BlockDtmf,
    "block DTMF",
    BlockDtmfOptions,
    directional: true
);
selector_request!(
    /// `unblock DTMF`. With [`Selector::All`] it also clears per-party blocks.
    UnblockDtmf,
    "unblock DTMF",
    BlockDtmfOptions,
    directional: true
);
selector_request!(
    /// `block media`: drops media from the selected party, or in the whole call (DTMF events
    /// still pass).
    BlockMedia,
    "block media",
    MediaOptions,
    directional: true
);
selector_request!(
    /// `unblock media`. With [`Selector::All`] it also clears per-party blocks.
    UnblockMedia,
    "unblock media",
    MediaOptions,
    directional: true
);
selector_request!(
    /// `silence media`: replaces the payload of the selected party's media with silence
    /// (G.711 and G.722 only).
    SilenceMedia,
    "silence media",
    MediaOptions,
    directional: false
);
selector_request!(
    /// `unsilence media`. With [`Selector::All`] it also clears per-party silencing.
    UnsilenceMedia,
    "unsilence media",
    MediaOptions,
    directional: false
);
selector_request!(
    /// `start forwarding`: starts the recording daemon's PCM forwarding for the selected party
    /// or the whole call.
    StartForwarding,
    "start forwarding",
    MediaOptions,
    directional: true
);
selector_request!(
    /// `stop forwarding`.
    StopForwarding,
    "stop forwarding",
    MediaOptions,
    directional: true
);

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

/// The reply of a command that answers with `result: ok` alone.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct Ack {
    /// A `warning`, if rtpengine gave one.
    pub warning: Option<String>,
    /// The whole reply dictionary.
    pub raw: Dict,
}

impl Ack {
    /// Reads an `ok` reply.
    pub fn from_dict(raw: Dict) -> Self {
        Self {
            warning: raw.get_string("warning"),
            raw,
        }
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
    use crate::message::request::{check_version, encode_request};

    fn body<R: Request>(r: &R, target: Option<Version>) -> String {
        let b = encode_request("c", r, target).unwrap();
        String::from_utf8(b[2..].to_vec()).unwrap()
    }

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
    fn directional_added_for_one_party_on_new_or_unknown_targets() {
        let sel = Selector::FromTag("a".into());
        let opts = MediaOptions::new();
        let req = BlockMedia {
            call_id: "x",
            selector: &sel,
            options: &opts,
        };
        let with = "d7:command11:block media7:call-id1:x8:from-tag1:a5:flagsl11:directionalee";
        assert_eq!(body(&req, None), with);
        assert_eq!(body(&req, Some(Version::new(12, 4))), with);
        assert_eq!(
            body(&req, Some(Version::V10_5)),
            "d7:command11:block media7:call-id1:x8:from-tag1:ae"
        );
        // Silencing has no such shim.
        let req = SilenceMedia {
            call_id: "x",
            selector: &sel,
            options: &opts,
        };
        assert!(!body(&req, None).contains("directional"));
        // The added flag is not version-checked; a typed one is.
        assert!(check_version(&req, Version::V10_5).is_ok());
        let typed = MediaOptions::new().flags(Flag::Directional);
        let req = BlockMedia {
            call_id: "x",
            selector: &sel,
            options: &typed,
        };
        assert!(check_version(&req, Version::V10_5).is_err());
        assert_eq!(body(&req, None).matches("directional").count(), 1);
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
