//! Value enums of the SDP-related options. Each has an `Other(String)` escape; values newer
//! than 10.5 carry the release that introduced them.

use std::net::IpAddr;

use super::Scalar;
use crate::bencode::{Encoder, Value};

text_enum! {
    /// Values of the `replace` list.
    pub enum Replace {
        /// Rewrite the `o=` line address.
        Origin => "origin",
        /// Rewrite the session-level `c=` line.
        SessionConnection => "session connection" | "session-connection",
        /// Replace the `s=` line.
        SessionName => "session name" | "session-name",
        /// Increase the `o=` version when the SDP changed.
        SdpVersion => "SDP version" | "sdp-version",
        /// Replace the `o=` username.
        Username => "username",
        /// Replace a zero address.
        ZeroAddress => "zero address" | "zero-address",
        /// Rewrite the whole `o=` line.
        OriginFull => "origin-full" @ (12, 5),
        /// Always increase the `o=` version.
        ForceIncrementSdpVersion => "force-increment-sdp-ver" @ (11, 2),
    }
}

text_enum! {
    /// The `ICE` option.
    pub enum Ice {
        /// Strip ICE attributes.
        Remove => "remove",
        /// Add ICE attributes (rtpengine candidates).
        Force => "force",
        /// Keep ICE as it is (the default).
        Default => "default",
        /// Offer ICE only if the other side had it.
        Optional => "optional",
        /// Offer only relay candidates, rtpengine being the relay.
        ForceRelay => "force-relay" | "force_relay" | "force relay",
    }
}

text_enum! {
    /// The `ICE-lite` option (offer only).
    pub enum IceLite {
        /// ICE-lite towards the answerer.
        Forward => "forward" | "offer" | "fwd",
        /// ICE-lite towards the offerer.
        Backward => "backward" | "reverse" | "answer",
        /// Both directions.
        Both => "both",
        /// Neither.
        Off => "off" | "none" | "no",
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
        /// DTLS-SRTP.
        UdpTlsRtpSavp => "UDP/TLS/RTP/SAVP",
        /// DTLS-SRTP with feedback (WebRTC).
        UdpTlsRtpSavpf => "UDP/TLS/RTP/SAVPF",
        /// Answer with the protocol the offer asked for.
        Accept => "accept",
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
        Off => "off" | "no" | "disable" | "disabled",
        /// Passive DTLS role.
        Passive => "passive",
        /// Active DTLS role.
        Active => "active",
    }
}

text_enum! {
    /// The `DTLS-reverse` option: the role towards the offerer.
    pub enum DtlsReverse {
        /// Passive role.
        Passive => "passive",
        /// Active role.
        Active => "active",
    }
}

text_enum! {
    /// The `DTLS-fingerprint` hash.
    pub enum DtlsFingerprint {
        /// SHA-1.
        Sha1 => "SHA-1",
        /// SHA-224.
        Sha224 => "SHA-224",
        /// SHA-256.
        Sha256 => "SHA-256",
        /// SHA-384.
        Sha384 => "SHA-384",
        /// SHA-512.
        Sha512 => "SHA-512",
    }
}

text_enum! {
    /// Entries of the `SDES` list. Suite-specific forms (`no-<SUITE>`, `only-<SUITE>`,
    /// `order:<a;b>`, `offerer_pref:<a;b>`) have constructors on [`Sdes`].
    pub enum Sdes {
        /// No SDES crypto lines.
        Off => "off" | "no" | "disable",
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
        /// Pad crypto keys.
        Pad => "pad",
        /// Add a key lifetime.
        Lifetime => "lifetime",
        /// Keep the same keys across re-invites.
        Static => "static",
        /// Do not add new crypto suites on re-invites.
        NoNew => "nonew" @ (12, 1),
        /// Prefer the offerer's suite order.
        Prefer => "prefer" @ (12, 1),
    }
}

impl Sdes {
    /// `no-<SUITE>`: leave this crypto suite out.
    pub fn no(suite: &str) -> Self {
        Self::Other(format!("no-{suite}"))
    }

    /// `only-<SUITE>` (11.2): offer only this suite.
    pub fn only(suite: &str) -> Self {
        Self::Other(format!("only-{suite}"))
    }
}

text_enum! {
    /// Entries of the `OSRTP` list (opportunistic SRTP).
    pub enum Osrtp {
        /// Offer OSRTP.
        Offer => "offer",
        /// Accept OSRTP.
        Accept => "accept",
        /// Offer in RFC 8643 form.
        OfferRfc => "offer-RFC" @ (11, 3),
        /// Offer in the legacy form.
        OfferLegacy => "offer-legacy" @ (11, 3),
        /// Accept the RFC form.
        AcceptRfc => "accept-RFC" @ (11, 3),
        /// Accept the legacy form.
        AcceptLegacy => "accept-legacy" @ (11, 3),
    }
}

text_enum! {
    /// Entries of the `T.38` list (offer only; transcoding builds).
    pub enum T38 {
        /// Translate T.38 to audio.
        Decode => "decode",
        /// Force T.38 towards the answerer.
        Force => "force",
        /// Stop a T.38 session.
        Stop => "stop",
        /// No error correction mode.
        NoEcm => "no-ECM",
        /// No V.17.
        NoV17 => "no-V.17",
        /// No V.27ter.
        NoV27ter => "no-V.27ter",
        /// No V.29.
        NoV29 => "no-V.29",
        /// No V.34.
        NoV34 => "no-V.34",
        /// No IAF.
        NoIaf => "no-IAF",
        /// Forward error correction.
        Fec => "FEC",
    }
}

text_enum! {
    /// Entries of the `endpoint-learning` list.
    pub enum EndpointLearning {
        /// Never learn.
        Off => "off",
        /// Learn from the first packet.
        Immediate => "immediate",
        /// Learn after a delay (default).
        Delayed => "delayed",
        /// Learn with heuristics.
        Heuristic => "heuristic",
    }
}

text_enum! {
    /// `on` / `off` options (`generate RTCP`, `passthrough`).
    pub enum OnOff {
        /// On.
        On => "on" | "yes" | "enable" | "enabled",
        /// Off.
        Off => "off" | "no" | "disable" | "disabled",
    }
}

text_enum! {
    /// The `media echo` option.
    pub enum MediaEcho {
        /// Drop the media.
        Blackhole => "blackhole" | "sinkhole",
        /// Echo towards the answerer.
        Forward => "forward",
        /// Echo towards the offerer.
        Backwards => "backwards",
        /// Echo both ways.
        Both => "both",
    }
}

text_enum! {
    /// The `drop-traffic` option.
    pub enum DropTraffic {
        /// Start dropping media.
        Start => "start",
        /// Stop dropping media.
        Stop => "stop",
    }
}

text_enum! {
    /// Entries of the `supports` list.
    pub enum Supports {
        /// The client understands `result: load limit`.
        LoadLimit => "load limit",
    }
}

text_enum! {
    /// Entries of the `bundle` list (14.0).
    pub enum Bundle {
        /// Accept BUNDLE.
        Accept => "accept",
        /// Offer BUNDLE.
        Offer => "offer",
        /// Require BUNDLE.
        Require => "require",
        /// Strict BUNDLE.
        Strict => "strict",
        /// Reject BUNDLE.
        Reject => "reject",
    }
}

text_enum! {
    /// Entries of `sdp-media-remove` (13.1).
    pub enum MediaType {
        /// Audio.
        Audio => "audio",
        /// Video.
        Video => "video",
        /// Text.
        Text => "text",
        /// Application.
        Application => "application",
        /// Message.
        Message => "message",
        /// Image (T.38).
        Image => "image",
        /// Any other media type.
        OtherTypes => "other",
    }
}

text_enum! {
    /// The `alias key` option (26.0).
    pub enum AliasKey {
        /// No aliases.
        Off => "off",
        /// Key aliases by SDP.
        Sdp => "SDP",
        /// Key aliases by address.
        Address => "address" | "endpoint",
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

    /// The two names sent.
    pub fn pair(&self) -> [&str; 2] {
        match self {
            Self::Interfaces(a, b) => [a, b],
            Self::RoundRobinCalls => ["round-robin-calls", "round-robin-calls"],
        }
    }
}

impl Scalar for Direction {
    fn encode(&self, enc: &mut Encoder<'_>) {
        let [a, b] = self.pair();
        enc.list().str(a).str(b).end();
    }
    fn decode(v: &Value) -> Option<Self> {
        match v.as_list()? {
            [a, b] => {
                let (a, b) = (a.as_str()?, b.as_str()?);
                Some(if a == "round-robin-calls" && b == "round-robin-calls" {
                    Self::RoundRobinCalls
                } else {
                    Self::new(a, b)
                })
            }
            _ => None,
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

impl Scalar for ReceivedFrom {
    fn encode(&self, enc: &mut Encoder<'_>) {
        enc.list()
            .str(self.family.as_str())
            .str(&self.address)
            .end();
    }
    fn decode(v: &Value) -> Option<Self> {
        match v.as_list()? {
            [f, a] => Some(Self::new(f.as_str()?.into(), a.as_str()?)),
            _ => None,
        }
    }
}

impl super::IntoItem<ReceivedFrom> for IpAddr {
    fn into_item(self) -> ReceivedFrom {
        ReceivedFrom::from(self)
    }
}
