//! Commands that set up calls, parties and media flows without an offer/answer exchange:
//! `connect` (13.2), `transform` (13.3), `create` / `create answer` (26.0), `mesh` (26.1), and
//! their typed replies.
//!
//! Each request needs its command's release (see [`COMMANDS`](super::COMMANDS)); a client that
//! knows its rtpengine's version refuses them before sending (`Error::Unsupported`).

use std::net::{IpAddr, SocketAddr};

use bytes::Bytes;

use crate::bencode::{Dict, Encoder, Value};
use crate::error::{Error, Result};
use crate::message::options::{AddressFamily, AnswerOptions, Flag, OfferOptions, Scalar};
use crate::message::reply::{dicts, sdp_of};
use crate::message::request::{command_requirement, Request};
use crate::version::{Requirements, Version};

ng_options! {
    /// Options of `connect` (13.2).
    ///
    /// 13.2–14.1 connect exactly one `from-tag` party with the `to-tag` party, both ways; the
    /// other source forms (`from-tags`, flag `all`, no from-tag) and the flags `directional`
    /// and `bidirectional` arrived in 26.0 (earlier releases answer `No from-tag in message`
    /// or ignore the flags), so a client that knows its target refuses them before 26.0.
    pub struct ConnectOptions {
        /// `to-call-id`: the `to-tag` party belongs to this other call; both calls are merged.
        to_call_id: Option<String> = "to-call-id" @ (13, 2);
        /// `from-tags`: several sources (26.0; with flag `directional`).
        from_tags: Vec<String> = "from-tags" @ (26, 0);
        /// The `flags` list (`directional`, `bidirectional`, `all`: 26.0 in `connect`).
        flags: Vec<Flag> = "flags";
    }
}

impl ConnectOptions {
    /// Adds a flag (same as [`ConnectOptions::flags`]).
    pub fn flag(self, flag: Flag) -> Self {
        self.flags(flag)
    }
}

/// The release whose `connect` takes sources other than one from-tag, and its flags.
const CONNECT_SOURCES_SINCE: Version = Version::new(26, 0);

/// `connect` (13.2): connects the media of two parties without an offer/answer exchange. With
/// flag `directional` it only adds subscriptions from the source(s) to the `to-tag` party.
#[derive(Debug, Clone, Copy)]
pub struct Connect<'a> {
    /// The call-id.
    pub call_id: &'a str,
    /// The source party (empty: not sent, for `from-tags` or flag `all`).
    pub from_tag: &'a str,
    /// The destination party.
    pub to_tag: &'a str,
    /// Options.
    pub options: &'a ConnectOptions,
}

impl Request for Connect<'_> {
    fn command(&self) -> &str {
        "connect"
    }
    fn call_id(&self) -> Option<&str> {
        Some(self.call_id)
    }
    fn encode_keys(&self, enc: &mut Encoder<'_>, _target: Option<Version>) {
        enc.entry_str("call-id", self.call_id);
        if !self.from_tag.is_empty() {
            enc.entry_str("from-tag", self.from_tag);
        }
        enc.entry_str("to-tag", self.to_tag);
        self.options.encode_keys(enc);
    }
    fn requirements(&self) -> Requirements {
        let mut r = command_requirement("connect").and(self.options.requirements());
        // The flags are older than `connect`, but `connect` reads them since 26.0 only.
        let newer_flag = [Flag::All, Flag::Directional, Flag::Bidirectional]
            .into_iter()
            .find(|f| self.options.flags.contains(f));
        if let Some(flag) = newer_flag {
            r.need(CONNECT_SOURCES_SINCE, || {
                format!("flag '{flag}' of 'connect'")
            });
        }
        if self.from_tag.is_empty() {
            r.need(CONNECT_SOURCES_SINCE, || {
                "'connect' without a from-tag".to_owned()
            });
        }
        r
    }
    fn validate(&self) -> Result<()> {
        if self.to_tag.is_empty() {
            return Err(Error::invalid("'connect' needs a to-tag"));
        }
        let all = self.options.flags.contains(&Flag::All)
            || self.options.raw.flags.iter().any(|f| f == "all");
        if self.from_tag.is_empty() && self.options.from_tags.is_empty() && !all {
            return Err(Error::invalid(
                "'connect' needs a source: a from-tag, 'from-tags' or flag 'all'",
            ));
        }
        Ok(())
    }
}

/// One side of a `transform` codec: a payload format.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PayloadFormat {
    /// `codec`: the codec name, e.g. `G729`.
    pub codec: String,
    /// `payload type` (0–127).
    pub payload_type: u8,
    /// `clock rate` in Hz.
    pub clock_rate: u32,
    /// `channels`.
    pub channels: u32,
    /// `format`: format parameters (`a=fmtp`), e.g. `annexb=no`.
    pub format: Option<String>,
    /// `options`: codec options, e.g. `bitrate=…`.
    pub options: Option<String>,
}

impl PayloadFormat {
    /// A payload format without format parameters or options.
    pub fn new(codec: impl Into<String>, payload_type: u8, clock_rate: u32, channels: u32) -> Self {
        Self {
            codec: codec.into(),
            payload_type,
            clock_rate,
            channels,
            format: None,
            options: None,
        }
    }

    /// Sets `format`.
    pub fn format(mut self, format: impl Into<String>) -> Self {
        self.format = Some(format.into());
        self
    }

    /// Sets `options`.
    pub fn options(mut self, options: impl Into<String>) -> Self {
        self.options = Some(options.into());
        self
    }

    fn encode(&self, enc: &mut Encoder<'_>) {
        enc.dict();
        enc.entry_str("codec", &self.codec);
        enc.entry_int("payload type", i64::from(self.payload_type));
        enc.entry_int("clock rate", i64::from(self.clock_rate));
        enc.entry_int("channels", i64::from(self.channels));
        if let Some(f) = &self.format {
            enc.entry_str("format", f);
        }
        if let Some(o) = &self.options {
            enc.entry_str("options", o);
        }
        enc.end();
    }

    fn decode(v: &Value) -> Option<Self> {
        let d = v.as_dict()?;
        Some(Self {
            codec: d.get_string("codec")?,
            payload_type: d
                .get_int("payload type")
                .and_then(|i| u8::try_from(i).ok())?,
            clock_rate: d
                .get_int("clock rate")
                .and_then(|i| u32::try_from(i).ok())?,
            channels: d.get_int("channels").and_then(|i| u32::try_from(i).ok())?,
            format: d.get_string("format"),
            options: d.get_string("options"),
        })
    }
}

/// One codec of a `transform` media: what comes in and what goes out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransformCodec {
    /// `input`.
    pub input: PayloadFormat,
    /// `output`.
    pub output: PayloadFormat,
}

impl TransformCodec {
    /// Transcodes `input` to `output`.
    pub fn new(input: PayloadFormat, output: PayloadFormat) -> Self {
        Self { input, output }
    }
}

/// One entry of `transform`'s `media` list.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TransformMedia {
    /// `id`: the caller's name for this media, echoed in the reply.
    pub id: Option<String>,
    /// `type`: `audio`, `video`…
    pub media_type: String,
    /// `codec`: the transcodings.
    pub codecs: Vec<TransformCodec>,
    /// `destination`: where the transformed media goes.
    pub destination: SocketAddr,
}

impl TransformMedia {
    /// A media of `media_type` sent to `destination`, with no codec yet.
    pub fn new(media_type: impl Into<String>, destination: SocketAddr) -> Self {
        Self {
            id: None,
            media_type: media_type.into(),
            codecs: Vec::new(),
            destination,
        }
    }

    /// Sets `id`.
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// Adds a codec.
    pub fn codec(mut self, codec: TransformCodec) -> Self {
        self.codecs.push(codec);
        self
    }
}

impl Scalar for TransformMedia {
    fn encode(&self, enc: &mut Encoder<'_>) {
        enc.dict();
        if let Some(id) = &self.id {
            enc.entry_str("id", id);
        }
        enc.entry_str("type", &self.media_type);
        enc.str("codec").list();
        for c in &self.codecs {
            enc.dict();
            enc.str("input");
            c.input.encode(enc);
            enc.str("output");
            c.output.encode(enc);
            enc.end();
        }
        enc.end();
        enc.str("destination").dict();
        enc.entry_str("family", AddressFamily::of(&self.destination.ip()).as_str());
        enc.entry_str("address", &self.destination.ip().to_string());
        enc.entry_int("port", i64::from(self.destination.port()));
        enc.end();
        enc.end();
    }
    fn decode(v: &Value) -> Option<Self> {
        let d = v.as_dict()?;
        let dest = d.get("destination")?;
        let ip: IpAddr = dest.get("address")?.as_str()?.parse().ok()?;
        let port = dest.get("port")?.as_int_lenient()?;
        let codecs = d
            .get("codec")
            .or_else(|| d.get("codecs"))
            .and_then(Value::as_list)
            .unwrap_or(&[])
            .iter()
            .map(|c| {
                Some(TransformCodec {
                    input: PayloadFormat::decode(c.get("input")?)?,
                    output: PayloadFormat::decode(c.get("output")?)?,
                })
            })
            .collect::<Option<Vec<_>>>()?;
        Some(Self {
            id: d.get_string("id"),
            media_type: d.get_string("type")?,
            codecs,
            destination: SocketAddr::new(ip, u16::try_from(port).ok()?),
        })
    }
}

ng_options! {
    /// Options of `transform` (13.3).
    pub struct TransformOptions {
        /// `call-id` (generated when absent).
        call_id: Option<String> = "call-id";
        /// `from-tag` (generated when absent).
        from_tag: Option<String> = "from-tag";
        /// `instance`: the requesting rtpengine's instance id (loop detection).
        instance: Option<String> = "instance" @ (13, 3);
        /// `interface`: the logical interface to use.
        interface: Option<String> = "interface";
    }
}

/// `transform` (13.3): sets up remote transcoding (used between rtpengines). rtpengine answers
/// where to send each media.
#[derive(Debug, Clone, Copy)]
pub struct Transform<'a> {
    /// The `media` list.
    pub media: &'a [TransformMedia],
    /// Options.
    pub options: &'a TransformOptions,
}

impl Request for Transform<'_> {
    fn command(&self) -> &str {
        "transform"
    }
    fn call_id(&self) -> Option<&str> {
        self.options.call_id.as_deref()
    }
    fn encode_keys(&self, enc: &mut Encoder<'_>, _target: Option<Version>) {
        self.options.encode_keys(enc);
        if !self.options.raw.has("media") {
            enc.str("media").list();
            for m in self.media {
                m.encode(enc);
            }
            enc.end();
        }
    }
    fn requirements(&self) -> Requirements {
        command_requirement("transform").and(self.options.requirements())
    }
    fn validate(&self) -> Result<()> {
        if self.media.is_empty() && !self.options.raw.has("media") {
            return Err(Error::invalid("'transform' needs at least one media"));
        }
        for m in self.media {
            if m.codecs
                .iter()
                .any(|c| c.input.payload_type > 127 || c.output.payload_type > 127)
            {
                return Err(Error::invalid("an RTP payload type is 0–127"));
            }
        }
        Ok(())
    }
}

/// Where rtpengine receives one media of a `transform` (an entry of the reply's `media`).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct TransformedMedia {
    /// The `id` of the request's media (or one rtpengine assigned).
    pub id: Option<String>,
    /// `IP4` / `IP6`.
    pub family: Option<String>,
    /// rtpengine's address for this media.
    pub address: Option<String>,
    /// rtpengine's port for this media.
    pub port: Option<u16>,
    /// Every field, unknown ones included.
    pub raw: Dict,
}

impl TransformedMedia {
    /// Address and port together, when both are known and the address is an IP literal.
    pub fn socket_addr(&self) -> Option<SocketAddr> {
        let ip: IpAddr = self.address.as_deref()?.parse().ok()?;
        Some(SocketAddr::new(ip, self.port?))
    }
}

/// The reply to `transform`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct TransformReply {
    /// The call-id (the request's, or generated).
    pub call_id: Option<String>,
    /// The tag (the request's, or generated).
    pub from_tag: Option<String>,
    /// Where to send each media.
    pub media: Vec<TransformedMedia>,
    /// The whole reply dictionary, unknown fields included.
    pub raw: Dict,
}

impl TransformReply {
    /// Reads an `ok` reply.
    pub fn from_dict(raw: Dict) -> Self {
        Self {
            call_id: raw.get_string("call-id"),
            from_tag: raw.get_string("from-tag"),
            media: dicts(raw.get("media"))
                .map(|d| TransformedMedia {
                    id: d.get_string("id"),
                    family: d.get_string("family"),
                    address: d.get_string("address"),
                    port: d.get_int("port").and_then(|p| u16::try_from(p).ok()),
                    raw: d.clone(),
                })
                .collect(),
            raw,
        }
    }
}

/// One entry of `create`'s `medias` list: a media section and its codecs.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CreateMedia {
    /// `type`: `audio`, `video`…
    pub media_type: String,
    /// `codecs`: codec specs, e.g. `G722`, `PCMA`, `opus/48000/2`.
    pub codecs: Vec<String>,
}

impl CreateMedia {
    /// A media section of `media_type` with these codecs.
    pub fn new<I, S>(media_type: impl Into<String>, codecs: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            media_type: media_type.into(),
            codecs: codecs.into_iter().map(Into::into).collect(),
        }
    }
}

impl Scalar for CreateMedia {
    fn encode(&self, enc: &mut Encoder<'_>) {
        enc.dict();
        enc.entry_str("type", &self.media_type);
        enc.entry_str_list("codecs", &self.codecs);
        enc.end();
    }
    fn decode(v: &Value) -> Option<Self> {
        let d = v.as_dict()?;
        let codecs = d.get("codecs").or_else(|| d.get("codec"))?.as_list()?;
        Some(Self {
            media_type: d.get_string("type")?,
            codecs: codecs
                .iter()
                .map(|c| c.as_str().map(str::to_owned))
                .collect::<Option<_>>()?,
        })
    }
}

/// `create` (26.0): creates a call, a party, or an offer SDP for an existing party. A new party
/// gets one audio media with PCMA and PCMU unless `medias` (or the `codec` options) say
/// otherwise.
#[derive(Debug, Clone, Copy)]
pub struct Create<'a> {
    /// The call-id (empty: not sent, generated).
    pub call_id: &'a str,
    /// The party's tag (empty: not sent, generated).
    pub from_tag: &'a str,
    /// `medias`: the media sections of a new party (empty: not sent).
    pub medias: &'a [CreateMedia],
    /// Offer-style SDP options (`transport-protocol`, `ICE`, `codec` `offer`…).
    pub options: &'a OfferOptions,
}

impl Request for Create<'_> {
    fn command(&self) -> &str {
        "create"
    }
    fn call_id(&self) -> Option<&str> {
        (!self.call_id.is_empty()).then_some(self.call_id)
    }
    fn encode_keys(&self, enc: &mut Encoder<'_>, _target: Option<Version>) {
        if !self.call_id.is_empty() {
            enc.entry_str("call-id", self.call_id);
        }
        if !self.from_tag.is_empty() {
            enc.entry_str("from-tag", self.from_tag);
        }
        if !self.medias.is_empty() && !self.options.raw.has("medias") {
            enc.str("medias").list();
            for m in self.medias {
                m.encode(enc);
            }
            enc.end();
        }
        self.options.encode_keys(enc);
    }
    fn requirements(&self) -> Requirements {
        command_requirement("create").and(self.options.requirements())
    }
    fn validate(&self) -> Result<()> {
        if self.medias.iter().any(|m| m.media_type.is_empty()) {
            return Err(Error::invalid("a 'medias' entry needs a type"));
        }
        self.options.validate()
    }
}

/// The reply to `create`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct CreateReply {
    /// The call-id (the request's, or generated).
    pub call_id: String,
    /// The party's tag (the request's, or generated).
    pub from_tag: String,
    /// The offer SDP for the party.
    pub sdp: Bytes,
    /// The whole reply dictionary, unknown fields included.
    pub raw: Dict,
}

impl CreateReply {
    /// Reads an `ok` reply that must carry `call-id`, `from-tag` and `sdp`.
    pub fn from_dict(raw: Dict) -> Result<Self> {
        let need = |k: &str| {
            raw.get_string(k)
                .ok_or_else(|| Error::malformed(format!("create reply has no '{k}'")))
        };
        Ok(Self {
            call_id: need("call-id")?,
            from_tag: need("from-tag")?,
            sdp: sdp_of(&raw, "create")?,
            raw,
        })
    }

    /// The SDP as text (lossy for non-UTF-8 bytes).
    pub fn sdp_str(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.sdp)
    }
}

/// `create answer` (26.0): the remote answer to the SDP `create` returned.
#[derive(Debug, Clone, Copy)]
pub struct CreateAnswer<'a> {
    /// The answer SDP.
    pub sdp: &'a [u8],
    /// The call-id.
    pub call_id: &'a str,
    /// The party's tag (as returned by `create`).
    pub from_tag: &'a str,
    /// Options.
    pub options: &'a AnswerOptions,
}

impl Request for CreateAnswer<'_> {
    fn command(&self) -> &str {
        "create answer"
    }
    fn call_id(&self) -> Option<&str> {
        Some(self.call_id)
    }
    fn encode_keys(&self, enc: &mut Encoder<'_>, _target: Option<Version>) {
        enc.str("sdp").bytes(self.sdp);
        enc.entry_str("call-id", self.call_id);
        enc.entry_str("from-tag", self.from_tag);
        self.options.encode_keys(enc);
    }
    fn requirements(&self) -> Requirements {
        command_requirement("create answer").and(self.options.requirements())
    }
    fn validate(&self) -> Result<()> {
        if self.sdp.is_empty() || self.call_id.is_empty() || self.from_tag.is_empty() {
            return Err(Error::invalid(
                "'create answer' needs an SDP, a call-id and a from-tag",
            ));
        }
        self.options.validate()
    }
}

/// One entry of `mesh`'s `tags`: media flows from one party to others.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeshTag {
    /// `from`: the source party.
    pub from: String,
    /// `to`: the receiving parties.
    pub to: Vec<String>,
}

impl MeshTag {
    /// Media from `from` to each of `to`.
    pub fn new<I, S>(from: impl Into<String>, to: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            from: from.into(),
            to: to.into_iter().map(Into::into).collect(),
        }
    }
}

impl Scalar for MeshTag {
    fn encode(&self, enc: &mut Encoder<'_>) {
        enc.dict();
        enc.entry_str("from", &self.from);
        enc.entry_str_list("to", &self.to);
        enc.end();
    }
    fn decode(v: &Value) -> Option<Self> {
        let d = v.as_dict()?;
        Some(Self {
            from: d.get_string("from")?,
            to: d
                .get("to")?
                .as_list()?
                .iter()
                .map(|t| t.as_str().map(str::to_owned))
                .collect::<Option<_>>()?,
        })
    }
}

ng_options! {
    /// Options of `mesh` (26.1).
    pub struct MeshOptions {
        /// `tags`: the media flows to set up.
        tags: Vec<MeshTag> = "tags" @ (26, 1);
        /// The `flags` list (`unsubscribe`, `bidirectional`).
        flags: Vec<Flag> = "flags";
    }
}

impl MeshOptions {
    /// Adds a flag (same as [`MeshOptions::flags`]).
    pub fn flag(self, flag: Flag) -> Self {
        self.flags(flag)
    }
}

/// `mesh` (26.1): merges calls into one and/or sets up media flows between their parties.
#[derive(Debug, Clone, Copy)]
pub struct Mesh<'a> {
    /// `calls`: the call-ids (at least one; several are merged).
    pub calls: &'a [String],
    /// Options.
    pub options: &'a MeshOptions,
}

impl Request for Mesh<'_> {
    fn command(&self) -> &str {
        "mesh"
    }
    fn call_id(&self) -> Option<&str> {
        self.calls.first().map(String::as_str)
    }
    fn encode_keys(&self, enc: &mut Encoder<'_>, _target: Option<Version>) {
        enc.entry_str_list("calls", self.calls);
        self.options.encode_keys(enc);
    }
    fn requirements(&self) -> Requirements {
        command_requirement("mesh").and(self.options.requirements())
    }
    fn validate(&self) -> Result<()> {
        if self.calls.is_empty() {
            return Err(Error::invalid("'mesh' needs at least one call-id"));
        }
        if self.options.tags.iter().any(|t| t.from.is_empty()) {
            return Err(Error::invalid("a 'tags' entry needs a 'from' tag"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transform_media_round_trip() {
        let m = TransformMedia::new("audio", "127.0.0.1:4444".parse().unwrap())
            .id("a1")
            .codec(TransformCodec::new(
                PayloadFormat::new("G729", 18, 8000, 1).format("annexb=no"),
                PayloadFormat::new("PCMA", 8, 8000, 1),
            ));
        let mut out = Vec::new();
        Scalar::encode(&m, &mut Encoder::new(&mut out));
        let v = crate::bencode::decode(&out).unwrap().to_owned_value();
        assert_eq!(TransformMedia::decode(&v), Some(m));
    }

    #[test]
    fn versions() {
        let o = ConnectOptions::new();
        let c = Connect {
            call_id: "c",
            from_tag: "A",
            to_tag: "B",
            options: &o,
        };
        assert_eq!(c.requirements().newest().unwrap().since, since!(13, 2));
        let o = ConnectOptions::new().flag(Flag::Bidirectional);
        let c = Connect { options: &o, ..c };
        assert_eq!(c.requirements().newest().unwrap().since, since!(26, 0));
    }
}
