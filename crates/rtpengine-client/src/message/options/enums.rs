//! Value enums of the SDP-related options. Each has an `Other(String)` escape; values newer
//! than 10.5 carry the release that introduced them.

use std::net::IpAddr;

use super::{Kind, Scalar};
use crate::bencode::{Encoder, Value};
use crate::version::Since;

text_enum! {
    /// Values of the `replace` list.
    pub enum Replace {
        /// Rewrite the `o=` line address.
        Origin => "origin",
        /// Rewrite the session-level `c=` line. Works up to 12.4; 12.5 and 26.0 accept it but
        /// ignore it (they log "not supported anymore": 12.5 always rewrites that line, 26.0
        /// drops it when every media section has its own); 26.1 no longer knows it. Offers and
        /// answers that carry it log a warning when the target is unknown or 12.5+.
        SessionConnection => "session connection" | "session-connection",
        /// Keep the `s=` line of the first SDP of this party on later ones.
        SessionName => "session name" | "session-name",
        /// Keep the `o=` version of the first SDP, increasing it only when the SDP changed.
        SdpVersion => "SDP version" | "sdp-version",
        /// Keep the `o=` username of the first SDP on later ones.
        Username => "username",
        /// Replace a zero (hold) address with rtpengine's own address.
        ZeroAddress => "zero address" | "zero-address",
        /// Rewrite the whole `o=` line.
        OriginFull => "origin-full" | "origin full" @ (12, 5),
        /// Always increase the `o=` version.
        ForceIncrementSdpVersion => "force-increment-sdp-ver" | "force increment SDP ver" @ (11, 2),
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
        /// ICE-lite towards the answerer (the list form of `ICE`; 26.2).
        Lite => "lite" | "lite-forward" | "lite-fwd" | "lite-fw" | "lite-offer" @ (26, 2),
        /// ICE-lite towards the offerer (26.2).
        LiteBackward => "lite-backward" | "lite-backwards" | "lite-reverse" | "lite-answer"
            | "lite-back" | "lite-bkw" | "lite-bk" @ (26, 2),
        /// ICE-lite both ways (26.2).
        LiteBoth => "lite-both" @ (26, 2),
        /// No ICE-lite (26.2).
        LiteOff => "lite-off" | "lite-no" | "lite-none" | "no-lite" @ (26, 2),
        /// Trickle ICE (26.2; the `trickle ICE` flag on older releases).
        Trickle => "trickle" @ (26, 2),
        /// ICE2 (26.2).
        Ice2 => "ice2" @ (26, 2),
    }
}

text_enum! {
    /// The `ICE-lite` option (offer only).
    pub enum IceLite {
        /// ICE-lite towards the answerer.
        Forward => "forward" | "offer" | "fwd" | "fw",
        /// ICE-lite towards the offerer.
        Backward => "backward" | "backwards" | "reverse" | "answer" | "back" | "bkw" | "bk",
        /// Both directions.
        Both => "both",
        /// Neither.
        Off => "off" | "none" | "no",
    }
}

text_enum! {
    /// The `transport protocol` option.
    pub enum TransportProtocol (open) {
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
        /// `UDPTL` (T.38 over UDP; every release).
        Udptl => "UDPTL",
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
    /// The `DTLS` option (a list of several since 26.2, see
    /// [`OneOrList`](super::OneOrList)).
    ///
    /// 26.2 (and 26.0.1.26, see [`Dtls::PASSIVE_IN_OFFER`]) changed what `passive` means.
    /// Before, it counts in an `answer`: rtpengine
    /// answers the offerer with `a=setup:passive`. From 26.2 it counts in an `offer` or
    /// `publish`, where it decides the role towards the offerer at once (what `DTLS-reverse:
    /// passive` did, which 26.2 reads as an alias of `DTLS`), and an `answer` ignores it ("too
    /// late"). `DTLS-reverse: passive` in the offer therefore means the same on every release;
    /// a client that knows its target has the new meaning refuses `DTLS: passive` in an answer.
    pub enum Dtls {
        /// No DTLS.
        Off => "off" | "no" | "disable" | "disabled",
        /// Passive DTLS role (see the type's note on 26.2).
        Passive => "passive",
        /// Active DTLS role.
        Active => "active",
    }
}

impl Dtls {
    /// The releases where `passive` counts in the offer and an answer ignores it: 26.2, and
    /// 26.0.1.26 (measured on Debian's package; upstream's 26.0.1.22 still has the old
    /// meaning, so the patch that brought it lies in 26.0.1.23–26).
    pub const PASSIVE_IN_OFFER: Since = since!(26, 2; (26, 0, 1, 26));
}

text_enum! {
    /// The `DTLS-reverse` option (offer): the role towards the offerer, decided at offer time.
    /// 26.2 reads the key as `DTLS`, with the same effect for `passive`.
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

/// An entry of the `SDES` list.
///
/// Written by hand rather than with `text_enum!` because the suite-specific forms
/// (`no-<SUITE>`, `only-<SUITE>`, `order:<a;b>`, `offerer_pref:<a;b>`) are texts with a prefix,
/// and those added after 10.5 must still be version-gated: [`Sdes::since`] looks at the prefix
/// of an `Other` text (see [`Sdes::PREFIXES`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Sdes {
    /// No SDES crypto lines.
    Off,
    /// Offer suites with unencrypted SRTP.
    UnencryptedSrtp,
    /// Offer suites with unencrypted SRTCP.
    UnencryptedSrtcp,
    /// Offer suites with unauthenticated SRTP.
    UnauthenticatedSrtp,
    /// Encrypted SRTP (default).
    EncryptedSrtp,
    /// Encrypted SRTCP (default).
    EncryptedSrtcp,
    /// Authenticated SRTP (default).
    AuthenticatedSrtp,
    /// Pad crypto keys (base64 with `=` padding).
    Pad,
    /// Add a key lifetime (`|2^31`).
    Lifetime,
    /// Keep the same keys across re-invites.
    Static,
    /// Do not add new crypto suites on re-invites (11.2).
    NoNew,
    /// Prefer the offerer's suite order (12.1).
    Prefer,
    /// Any other value, sent as written; the prefix forms built by [`Sdes::no`],
    /// [`Sdes::only`], [`Sdes::order`] and [`Sdes::offerer_pref`] are `Other` texts.
    Other(String),
}

/// `(text, aliases, since)` of the fixed `SDES` values.
const SDES_VALUES: &[(&str, &[&str], Since)] = &[
    ("off", &["no", "disable", "disabled"], Since::BASE),
    ("unencrypted_srtp", &[], Since::BASE),
    ("unencrypted_srtcp", &[], Since::BASE),
    ("unauthenticated_srtp", &[], Since::BASE),
    ("encrypted_srtp", &[], Since::BASE),
    ("encrypted_srtcp", &[], Since::BASE),
    ("authenticated_srtp", &[], Since::BASE),
    ("pad", &[], Since::BASE),
    ("lifetime", &[], Since::BASE),
    ("static", &[], Since::BASE),
    ("nonew", &[], since!(11, 2)),
    ("prefer", &["priority"], since!(12, 1)),
];

impl Sdes {
    /// Every fixed value with its text and the release that introduced it (the prefix forms
    /// are in [`Sdes::PREFIXES`]).
    pub const ALL: &'static [(&'static str, Since)] = &[
        ("off", Since::BASE),
        ("unencrypted_srtp", Since::BASE),
        ("unencrypted_srtcp", Since::BASE),
        ("unauthenticated_srtp", Since::BASE),
        ("encrypted_srtp", Since::BASE),
        ("encrypted_srtcp", Since::BASE),
        ("authenticated_srtp", Since::BASE),
        ("pad", Since::BASE),
        ("lifetime", Since::BASE),
        ("static", Since::BASE),
        ("nonew", since!(11, 2)),
        ("prefer", since!(12, 1)),
    ];

    /// The prefixes of the suite-specific forms and the release that introduced each.
    pub const PREFIXES: &'static [(&'static str, Since)] = &[
        ("no-", Since::BASE),
        ("only-", since!(11, 2)),
        ("order:", since!(11, 2)),
        ("offerer_pref:", since!(11, 2)),
    ];

    /// The known values, in the order of [`SDES_VALUES`].
    const VARIANTS: [Self; 12] = [
        Self::Off,
        Self::UnencryptedSrtp,
        Self::UnencryptedSrtcp,
        Self::UnauthenticatedSrtp,
        Self::EncryptedSrtp,
        Self::EncryptedSrtcp,
        Self::AuthenticatedSrtp,
        Self::Pad,
        Self::Lifetime,
        Self::Static,
        Self::NoNew,
        Self::Prefer,
    ];

    fn index(&self) -> Option<usize> {
        Some(match self {
            Self::Off => 0,
            Self::UnencryptedSrtp => 1,
            Self::UnencryptedSrtcp => 2,
            Self::UnauthenticatedSrtp => 3,
            Self::EncryptedSrtp => 4,
            Self::EncryptedSrtcp => 5,
            Self::AuthenticatedSrtp => 6,
            Self::Pad => 7,
            Self::Lifetime => 8,
            Self::Static => 9,
            Self::NoNew => 10,
            Self::Prefer => 11,
            Self::Other(_) => return None,
        })
    }

    /// The text sent to rtpengine.
    pub fn as_str(&self) -> &str {
        match (self, self.index()) {
            (Self::Other(s), _) => s,
            (_, Some(i)) => SDES_VALUES[i].0,
            (_, None) => "",
        }
    }

    /// The release that introduced this value: from [`Sdes::ALL`], or for an `Other` text from
    /// its prefix ([`Sdes::PREFIXES`]; the baseline for anything else).
    pub fn since(&self) -> Since {
        match self {
            Self::Other(s) => {
                let s = normalize(s);
                Self::PREFIXES
                    .iter()
                    .find(|(p, _)| s.starts_with(&normalize(p)))
                    .map_or(Since::BASE, |(_, v)| *v)
            }
            known => known.index().map_or(Since::BASE, |i| SDES_VALUES[i].2),
        }
    }

    /// `no-<SUITE>`: leave this crypto suite out.
    pub fn no(suite: &str) -> Self {
        Self::Other(format!("no-{suite}"))
    }

    /// `only-<SUITE>` (11.2): offer only this suite (repeat for several).
    pub fn only(suite: &str) -> Self {
        Self::Other(format!("only-{suite}"))
    }

    /// `order:<a;b;…>` (11.2): put these suites first, in this order.
    pub fn order(suites: &[&str]) -> Self {
        Self::Other(format!("order:{}", suites.join(";")))
    }

    /// `offerer_pref:<a;b;…>` (11.2): the offerer's preferred suites, in order.
    pub fn offerer_pref(suites: &[&str]) -> Self {
        Self::Other(format!("offerer_pref:{}", suites.join(";")))
    }
}

/// Lower case, with `-`, `_` and space alike (the comparison `text_enum!` uses).
fn normalize(t: &str) -> String {
    t.to_ascii_lowercase().replace(['_', ' '], "-")
}

impl std::str::FromStr for Sdes {
    type Err = std::convert::Infallible;
    /// Parses rtpengine's spelling (case-insensitive; `-`, `_` and space alike); anything else
    /// (including the prefix forms) becomes `Other`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = normalize(s);
        for (v, (text, aliases, _)) in Self::VARIANTS.into_iter().zip(SDES_VALUES) {
            if normalize(text) == wanted || aliases.iter().any(|a| normalize(a) == wanted) {
                return Ok(v);
            }
        }
        Ok(Self::Other(s.to_owned()))
    }
}

impl From<&str> for Sdes {
    fn from(s: &str) -> Self {
        match s.parse() {
            Ok(v) => v,
            Err(never) => match never {},
        }
    }
}

impl super::IntoItem<Sdes> for &str {
    fn into_item(self) -> Sdes {
        Sdes::from(self)
    }
}

impl std::fmt::Display for Sdes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Scalar for Sdes {
    const KIND: Kind =
        Kind::Form("an SDES option, no-SUITE, only-SUITE, order:A;B or offerer_pref:A;B");
    fn encode(&self, enc: &mut Encoder<'_>) {
        enc.str(self.as_str());
    }
    fn decode(v: &Value) -> Option<Self> {
        v.as_str().map(Self::from)
    }
    fn since(&self) -> Since {
        Sdes::since(self)
    }
    /// Any non-empty text: the suite-specific forms are open-ended.
    fn from_text(text: &str) -> std::result::Result<Self, String> {
        if text.is_empty() {
            return Err("an empty SDES option".to_owned());
        }
        Ok(Self::from(text))
    }
    fn describe(&self) -> String {
        format!("'{}'", self.as_str())
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
        /// Echo towards the receiver of the message (the answerer for an offer): its media
        /// goes back to it.
        Forward => "forward" | "fwd" | "fw",
        /// Echo towards the sender of the message (the offerer for an offer).
        Backwards => "backwards" | "backward" | "reverse" | "back" | "bkw" | "bk",
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
    /// The `audio-player` option (11.3): whether this party's media goes through the audio
    /// player (needed to play media into a call without transcoding).
    pub enum AudioPlayer {
        /// Follow the daemon's `audio-player` setting.
        Default => "default",
        /// Use the audio player when transcoding anyway.
        Transcoding => "transcoding" | "transcode" | "on" | "yes" | "enable" | "enabled",
        /// Never use the audio player.
        Off => "off" | "no" | "disable" | "disabled",
        /// Always use the audio player.
        Always => "always" | "force" | "forced" | "everything",
    }
}

text_enum! {
    /// The `alias-key` option (26.0).
    pub enum AliasKey {
        /// No aliases.
        Off => "off" | "none" | "no",
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
    const KIND: Kind = Kind::Form("FROM,TO (two interface names) or round-robin-calls");
    /// `FROM,TO`, or `round-robin-calls` alone.
    fn from_text(text: &str) -> std::result::Result<Self, String> {
        const ROUND_ROBIN: &str = "round-robin-calls";
        match text.split_once(',') {
            _ if text == ROUND_ROBIN => Ok(Self::RoundRobinCalls),
            Some((a, b)) if a == ROUND_ROBIN && b == ROUND_ROBIN => Ok(Self::RoundRobinCalls),
            Some((a, b)) if !a.is_empty() && !b.is_empty() && !b.contains(',') => {
                Ok(Self::new(a, b))
            }
            _ => Err(format!(
                "'{text}' is not two interface names FROM,TO (or round-robin-calls)"
            )),
        }
    }
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
    const KIND: Kind = Kind::Form("ADDR, IP4:ADDR or IP6:ADDR");
    /// An address (the family follows from it), or `IP4:ADDR` / `IP6:ADDR` (also with a space
    /// instead of the colon, the family in any case, an IPv6 address in brackets); the family
    /// must match the address.
    fn from_text(text: &str) -> std::result::Result<Self, String> {
        let text = text.trim();
        if let Ok(addr) = text.parse::<IpAddr>() {
            return Ok(Self::from(addr));
        }
        let family = text.get(..3).map(str::to_ascii_uppercase);
        let rest = text
            .get(4..)
            .filter(|_| matches!(text.as_bytes().get(3), Some(b':' | b' ')));
        let (Some(family), Some(rest)) = (family, rest) else {
            return Err(format!(
                "'{text}' is not an IP address, IP4:ADDR or IP6:ADDR"
            ));
        };
        let rest = rest.trim();
        let bare = rest
            .strip_prefix('[')
            .and_then(|r| r.strip_suffix(']'))
            .unwrap_or(rest);
        let addr: IpAddr = bare
            .parse()
            .map_err(|_| format!("'{bare}' is not an IP address"))?;
        let family = match family.as_str() {
            "IP4" => AddressFamily::Ip4,
            "IP6" => AddressFamily::Ip6,
            other => return Err(format!("unknown address family '{other}' (IP4 or IP6)")),
        };
        if family != AddressFamily::of(&addr) {
            return Err(format!("'{addr}' is not an {family} address"));
        }
        Ok(Self::new(family, addr.to_string()))
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sdes_tables_agree() {
        assert_eq!(Sdes::ALL.len(), SDES_VALUES.len());
        for (v, ((text, since), (t2, aliases, s2))) in
            Sdes::VARIANTS.iter().zip(Sdes::ALL.iter().zip(SDES_VALUES))
        {
            assert_eq!((text, since), (t2, s2));
            assert_eq!(v.as_str(), *text);
            assert_eq!(v.since(), *since);
            assert_eq!(Sdes::from(*text), *v);
            assert_eq!(Sdes::from(text.to_ascii_uppercase().as_str()), *v);
            for a in *aliases {
                assert_eq!(Sdes::from(*a), *v, "{a}");
            }
        }
        assert_eq!(Sdes::from("priority"), Sdes::Prefer);
        assert_eq!(Sdes::from("only-X"), Sdes::only("X"));
        assert_eq!(Sdes::only("X").since(), since!(11, 2));
        assert_eq!(Sdes::from("ORDER:A;B").since(), since!(11, 2));
        assert_eq!(Sdes::offerer_pref(&["A"]).since(), since!(11, 2));
        assert_eq!(Sdes::no("X").since(), Since::BASE);
        assert_eq!(Sdes::Other("bogus".into()).since(), Since::BASE);
    }
}

text_enum! {
    /// `record call`: start recording the call, or not, or discard what was recorded.
    pub enum RecordCall {
        /// Record (`yes`).
        Yes => "yes" | "on" | "true" | "1",
        /// Do not record (`no`).
        No => "no" | "off" | "false" | "0",
        /// Stop recording and discard what was recorded (11.4).
        Discard => "discard" @ (11, 4),
    }
}

impl super::IntoItem<RecordCall> for bool {
    fn into_item(self) -> RecordCall {
        if self {
            RecordCall::Yes
        } else {
            RecordCall::No
        }
    }
}
