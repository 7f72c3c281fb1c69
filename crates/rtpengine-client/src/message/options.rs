//! Typed options of the seed operations, each with a raw escape hatch.
//!
//! Every options type encodes with key spellings rtpengine 10.5 understands. Keys and flags that
//! are not typed yet go in through [`OfferOptions::raw_key`] / [`OfferOptions::raw_flag`] (and the
//! same methods on the other options types). A raw key replaces a typed key of the same name.

use std::net::IpAddr;

use crate::bencode::{Encoder, Value};

macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident { $( $(#[$vmeta:meta])* $variant:ident => $text:literal, )* }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// Any other value, sent as written.
            Other(String),
        }

        impl $name {
            /// The text sent to rtpengine.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $text, )*
                    Self::Other(s) => s,
                }
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::convert::Infallible;
            /// Parses the rtpengine spelling (case-insensitive, `-`, `_` and space alike);
            /// anything else becomes `Other`.
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let norm = |t: &str| t.to_ascii_lowercase().replace(['_', ' '], "-");
                let wanted = norm(s);
                $( if norm($text) == wanted { return Ok(Self::$variant); } )*
                Ok(Self::Other(s.to_owned()))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum! {
    /// Entries of the `flags` list used by the seed API.
    pub enum Flag {
        /// Use the SIP source address instead of the SDP address (`SIP source address`).
        SipSourceAddress => "SIP source address",
        /// Trust the addresses in the SDP (`trust address`).
        TrustAddress => "trust address",
        /// Symmetric RTP (`symmetric`; rtpengine's default, 10.5 logs it as unknown and ignores it).
        Symmetric => "symmetric",
        /// Asymmetric RTP: never learn the endpoint from received media (`asymmetric`).
        Asymmetric => "asymmetric",
        /// Allow one-way media to kernelize (`unidirectional`).
        Unidirectional => "unidirectional",
        /// Drop media from unexpected source addresses (`strict source`).
        StrictSource => "strict source",
        /// Allow the media endpoint to change mid-call (`media handover`).
        MediaHandover => "media handover",
        /// Reset the call's negotiated state (offer only) (`reset`).
        Reset => "reset",
        /// Bind ports from the previous negotiation (`port latching`).
        PortLatching => "port latching",
        /// Start recording the call (`record call`).
        RecordCall => "record call",
    }
}

text_enum! {
    /// Values of the `replace` list.
    pub enum Replace {
        /// Rewrite the `o=` line address.
        Origin => "origin",
        /// Rewrite the session-level `c=` line.
        SessionConnection => "session connection",
    }
}

text_enum! {
    /// The `ICE` option.
    pub enum Ice {
        /// Strip ICE attributes.
        Remove => "remove",
        /// Add ICE attributes (rtpengine candidates).
        Force => "force",
        /// Offer only relay candidates, rtpengine being the relay.
        ForceRelay => "force-relay",
    }
}

text_enum! {
    /// The `transport protocol` option.
    pub enum TransportProtocol {
        /// Plain RTP.
        RtpAvp => "RTP/AVP",
        /// RTP with feedback.
        RtpAvpf => "RTP/AVPF",
        /// SRTP (SDES).
        RtpSavp => "RTP/SAVP",
        /// SRTP with feedback.
        RtpSavpf => "RTP/SAVPF",
    }
}

text_enum! {
    /// The `address family` option and the family in `received from`.
    pub enum AddressFamily {
        /// IPv4.
        Ip4 => "IP4",
        /// IPv6.
        Ip6 => "IP6",
    }
}

impl AddressFamily {
    /// The family of an address.
    pub fn of(addr: &IpAddr) -> Self {
        match addr {
            IpAddr::V4(_) => Self::Ip4,
            IpAddr::V6(_) => Self::Ip6,
        }
    }
}

text_enum! {
    /// Entries of the `rtcp-mux` list.
    pub enum RtcpMux {
        /// Offer rtcp-mux.
        Offer => "offer",
        /// Demultiplex RTCP towards the other side.
        Demux => "demux",
        /// Accept rtcp-mux if offered.
        Accept => "accept",
        /// Reject rtcp-mux.
        Reject => "reject",
        /// Require rtcp-mux.
        Require => "require",
    }
}

text_enum! {
    /// The `DTLS` option.
    pub enum Dtls {
        /// No DTLS.
        Off => "off",
        /// Passive DTLS role.
        Passive => "passive",
        /// Active DTLS role.
        Active => "active",
    }
}

text_enum! {
    /// Entries of the `SDES` list.
    pub enum Sdes {
        /// No SDES crypto lines.
        Off => "off",
        /// Offer suites with unencrypted SRTP.
        UnencryptedSrtp => "unencrypted_srtp",
        /// Offer suites with unencrypted SRTCP.
        UnencryptedSrtcp => "unencrypted_srtcp",
        /// Offer suites with unauthenticated SRTP.
        UnauthenticatedSrtp => "unauthenticated_srtp",
        /// Encrypted SRTP (default).
        EncryptedSrtp => "encrypted_srtp",
        /// Encrypted SRTCP (default).
        EncryptedSrtcp => "encrypted_srtcp",
        /// Authenticated SRTP (default).
        AuthenticatedSrtp => "authenticated_srtp",
    }
}

/// The `direction` option: the logical interfaces media flows between.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Direction {
    /// From the offerer's interface to the answerer's.
    Interfaces(String, String),
    /// Round-robin across logical interfaces, per call (`round-robin-calls` on both sides).
    RoundRobinCalls,
}

impl Direction {
    /// A pair of interface names.
    pub fn new(from: impl Into<String>, to: impl Into<String>) -> Self {
        Self::Interfaces(from.into(), to.into())
    }

    fn pair(&self) -> [&str; 2] {
        match self {
            Self::Interfaces(a, b) => [a, b],
            Self::RoundRobinCalls => ["round-robin-calls", "round-robin-calls"],
        }
    }
}

/// The `received from` option: where the SIP message came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedFrom {
    /// Address family.
    pub family: AddressFamily,
    /// Address text.
    pub address: String,
}

impl ReceivedFrom {
    /// From an explicit family and address text.
    pub fn new(family: AddressFamily, address: impl Into<String>) -> Self {
        Self {
            family,
            address: address.into(),
        }
    }
}

impl From<IpAddr> for ReceivedFrom {
    /// The family is inferred from the address.
    fn from(addr: IpAddr) -> Self {
        Self::new(AddressFamily::of(&addr), addr.to_string())
    }
}

/// Raw keys and flags shared by every options type.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Raw {
    /// Extra dictionary entries, written after the typed ones; they replace typed keys of the
    /// same name.
    pub keys: Vec<(String, Value)>,
    /// Extra entries of the `flags` list.
    pub flags: Vec<String>,
}

impl Raw {
    fn has(&self, key: &str) -> bool {
        self.keys.iter().any(|(k, _)| k == key)
    }

    fn set(&mut self, key: String, value: Value) {
        match self.keys.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.keys.push((key, value)),
        }
    }

    fn write_keys(&self, enc: &mut Encoder<'_>) {
        for (k, v) in &self.keys {
            enc.str(k).value(v);
        }
    }
}

/// Writes typed keys unless a raw key overrides them.
pub(crate) struct KeyWriter<'e, 'b, 'r> {
    pub(crate) enc: &'e mut Encoder<'b>,
    pub(crate) raw: &'r Raw,
}

impl KeyWriter<'_, '_, '_> {
    pub(crate) fn str(&mut self, key: &str, value: &str) {
        if !self.raw.has(key) {
            self.enc.entry_str(key, value);
        }
    }

    pub(crate) fn opt_str(&mut self, key: &str, value: Option<&str>) {
        if let Some(v) = value {
            self.str(key, v);
        }
    }

    pub(crate) fn int(&mut self, key: &str, value: i64) {
        if !self.raw.has(key) {
            self.enc.entry_int(key, value);
        }
    }

    pub(crate) fn list<'s>(&mut self, key: &str, items: impl IntoIterator<Item = &'s str>) {
        let mut items = items.into_iter().peekable();
        if items.peek().is_some() && !self.raw.has(key) {
            self.enc.entry_str_list(key, items);
        }
    }

    /// Writes `flags` (typed then raw) and then every raw key.
    pub(crate) fn finish<'s>(self, flags: impl IntoIterator<Item = &'s str>) {
        let mut flags = flags.into_iter().peekable();
        if (flags.peek().is_some() || !self.raw.flags.is_empty()) && !self.raw.has("flags") {
            self.enc.str("flags").list();
            for f in flags {
                self.enc.str(f);
            }
            for f in &self.raw.flags {
                self.enc.str(f);
            }
            self.enc.end();
        }
        self.raw.write_keys(self.enc);
    }
}

macro_rules! raw_methods {
    () => {
        /// Adds a raw dictionary entry (replaces a typed key of the same name).
        pub fn raw_key(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
            self.raw.set(key.into(), value.into());
            self
        }

        /// Adds a raw entry to the `flags` list.
        pub fn raw_flag(mut self, flag: impl Into<String>) -> Self {
            self.raw.flags.push(flag.into());
            self
        }
    };
}

/// Options of `offer` and `answer` (the seed's option set).
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct OfferOptions {
    /// `via-branch`: tells SIP branches of one call apart.
    pub via_branch: Option<String>,
    /// The `flags` list.
    pub flags: Vec<Flag>,
    /// The `replace` list.
    pub replace: Vec<Replace>,
    /// `direction`.
    pub direction: Option<Direction>,
    /// `received from`.
    pub received_from: Option<ReceivedFrom>,
    /// `ICE`.
    pub ice: Option<Ice>,
    /// `transport protocol`.
    pub transport_protocol: Option<TransportProtocol>,
    /// `media address`: overrides the address in the SDP.
    pub media_address: Option<IpAddr>,
    /// `address family` of the rewritten SDP.
    pub address_family: Option<AddressFamily>,
    /// The `rtcp-mux` list.
    pub rtcp_mux: Vec<RtcpMux>,
    /// `TOS` of the media packets rtpengine sends.
    pub tos: Option<u8>,
    /// `DTLS`.
    pub dtls: Option<Dtls>,
    /// The `SDES` list.
    pub sdes: Vec<Sdes>,
    /// `record call`: `yes` / `no`.
    pub record_call: Option<bool>,
    /// `metadata` (free text, e.g. for recordings).
    pub metadata: Option<String>,
    /// Raw keys and flags.
    pub raw: Raw,
}

/// Options of `answer`: the same set as [`OfferOptions`].
pub type AnswerOptions = OfferOptions;

impl OfferOptions {
    /// No options.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `via-branch`.
    pub fn via_branch(mut self, branch: impl Into<String>) -> Self {
        self.via_branch = Some(branch.into());
        self
    }

    /// Adds a flag.
    pub fn flag(mut self, flag: Flag) -> Self {
        self.flags.push(flag);
        self
    }

    /// Adds a `replace` entry.
    pub fn replace(mut self, what: Replace) -> Self {
        self.replace.push(what);
        self
    }

    /// Sets `direction`.
    pub fn direction(mut self, direction: Direction) -> Self {
        self.direction = Some(direction);
        self
    }

    /// Sets `received from` (an `IpAddr` infers the family).
    pub fn received_from(mut self, from: impl Into<ReceivedFrom>) -> Self {
        self.received_from = Some(from.into());
        self
    }

    /// Sets `ICE`.
    pub fn ice(mut self, ice: Ice) -> Self {
        self.ice = Some(ice);
        self
    }

    /// Sets `transport protocol`.
    pub fn transport_protocol(mut self, proto: TransportProtocol) -> Self {
        self.transport_protocol = Some(proto);
        self
    }

    /// Sets `media address`.
    pub fn media_address(mut self, addr: IpAddr) -> Self {
        self.media_address = Some(addr);
        self
    }

    /// Sets `address family`.
    pub fn address_family(mut self, family: AddressFamily) -> Self {
        self.address_family = Some(family);
        self
    }

    /// Adds an `rtcp-mux` entry.
    pub fn rtcp_mux(mut self, mux: RtcpMux) -> Self {
        self.rtcp_mux.push(mux);
        self
    }

    /// Sets `TOS`.
    pub fn tos(mut self, tos: u8) -> Self {
        self.tos = Some(tos);
        self
    }

    /// Sets `DTLS`.
    pub fn dtls(mut self, dtls: Dtls) -> Self {
        self.dtls = Some(dtls);
        self
    }

    /// Adds an `SDES` entry (`Sdes::Off` disables SDES).
    pub fn sdes(mut self, sdes: Sdes) -> Self {
        self.sdes.push(sdes);
        self
    }

    /// Sets `record call` to `yes` or `no`.
    pub fn record_call(mut self, record: bool) -> Self {
        self.record_call = Some(record);
        self
    }

    /// Sets `metadata`.
    pub fn metadata(mut self, metadata: impl Into<String>) -> Self {
        self.metadata = Some(metadata.into());
        self
    }

    raw_methods!();

    /// Writes the option keys (not `command`, `sdp`, `call-id` or tags).
    pub fn encode_keys(&self, enc: &mut Encoder<'_>) {
        let mut w = KeyWriter {
            enc,
            raw: &self.raw,
        };
        w.opt_str("via-branch", self.via_branch.as_deref());
        w.list("replace", self.replace.iter().map(Replace::as_str));
        if let Some(d) = &self.direction {
            w.list("direction", d.pair());
        }
        if let Some(rf) = &self.received_from {
            w.list("received from", [rf.family.as_str(), rf.address.as_str()]);
        }
        w.opt_str("ICE", self.ice.as_ref().map(Ice::as_str));
        w.opt_str(
            "transport protocol",
            self.transport_protocol
                .as_ref()
                .map(TransportProtocol::as_str),
        );
        if let Some(addr) = &self.media_address {
            w.str("media address", &addr.to_string());
        }
        w.opt_str(
            "address family",
            self.address_family.as_ref().map(AddressFamily::as_str),
        );
        w.list("rtcp-mux", self.rtcp_mux.iter().map(RtcpMux::as_str));
        if let Some(tos) = self.tos {
            w.int("TOS", i64::from(tos));
        }
        w.opt_str("DTLS", self.dtls.as_ref().map(Dtls::as_str));
        w.list("SDES", self.sdes.iter().map(Sdes::as_str));
        if let Some(rec) = self.record_call {
            w.str("record call", if rec { "yes" } else { "no" });
        }
        w.opt_str("metadata", self.metadata.as_deref());
        w.finish(self.flags.iter().map(Flag::as_str));
    }
}

/// Options of `delete`.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct DeleteOptions {
    /// `to-tag`: delete only this dialogue branch.
    pub to_tag: Option<String>,
    /// `via-branch`.
    pub via_branch: Option<String>,
    /// The `fatal` flag: an unknown call is an error instead of a warning.
    pub fatal: bool,
    /// `delete delay` in seconds (0 = remove immediately; absent = the daemon's default).
    pub delete_delay: Option<u32>,
    /// Raw keys and flags.
    pub raw: Raw,
}

impl DeleteOptions {
    /// No options.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `to-tag`.
    pub fn to_tag(mut self, tag: impl Into<String>) -> Self {
        self.to_tag = Some(tag.into());
        self
    }

    /// Sets `via-branch`.
    pub fn via_branch(mut self, branch: impl Into<String>) -> Self {
        self.via_branch = Some(branch.into());
        self
    }

    /// Sets the `fatal` flag.
    pub fn fatal(mut self, fatal: bool) -> Self {
        self.fatal = fatal;
        self
    }

    /// Sets `delete delay` in seconds.
    pub fn delete_delay(mut self, seconds: u32) -> Self {
        self.delete_delay = Some(seconds);
        self
    }

    raw_methods!();

    /// Writes the option keys.
    pub fn encode_keys(&self, enc: &mut Encoder<'_>) {
        let mut w = KeyWriter {
            enc,
            raw: &self.raw,
        };
        w.opt_str("to-tag", self.to_tag.as_deref());
        w.opt_str("via-branch", self.via_branch.as_deref());
        if let Some(delay) = self.delete_delay {
            w.int("delete delay", i64::from(delay));
        }
        w.finish(self.fatal.then_some("fatal"));
    }
}

/// Options of `query`.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct QueryOptions {
    /// `from-tag`.
    pub from_tag: Option<String>,
    /// `to-tag`.
    pub to_tag: Option<String>,
    /// Raw keys and flags.
    pub raw: Raw,
}

impl QueryOptions {
    /// No options.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `from-tag`.
    pub fn from_tag(mut self, tag: impl Into<String>) -> Self {
        self.from_tag = Some(tag.into());
        self
    }

    /// Sets `to-tag`.
    pub fn to_tag(mut self, tag: impl Into<String>) -> Self {
        self.to_tag = Some(tag.into());
        self
    }

    raw_methods!();

    /// Writes the option keys.
    pub fn encode_keys(&self, enc: &mut Encoder<'_>) {
        let mut w = KeyWriter {
            enc,
            raw: &self.raw,
        };
        w.opt_str("from-tag", self.from_tag.as_deref());
        w.opt_str("to-tag", self.to_tag.as_deref());
        w.finish([]);
    }
}
