//! Options of the SDP commands (offer, answer, publish, subscribe request, create…) and the
//! dictionaries nested in them.

use std::net::IpAddr;

use bytes::Bytes;

use super::enums::*;
use super::flags::Flag;
use super::Scalar;
use crate::bencode::{Encoder, Value};
use crate::error::{Error, Result};

ng_options! {
    /// The `codec` dictionary: each entry a list of codec specs
    /// (`name[/clock[/channels[/bitrate[/ptime[/fmtp[/options]]]]]]`, or `all`/`full`/`any`).
    ///
    /// `transcode`, `mask`, `set`, `accept` and `consume` act in offer, publish and subscribe
    /// request only; rtpengine ignores them elsewhere.
    pub struct CodecOptions {
        /// Remove these codecs.
        strip: Vec<String> = "strip";
        /// Offer these codecs (and only these, in this order, among the original ones).
        offer: Vec<String> = "offer";
        /// Keep these codecs even when stripping `all`.
        except: Vec<String> = "except";
        /// Add these codecs, transcoding to them.
        transcode: Vec<String> = "transcode";
        /// Hide these codecs from the answerer but accept them from the offerer.
        mask: Vec<String> = "mask";
        /// Set codec parameters.
        set: Vec<String> = "set";
        /// Accept these codecs in the answer, transcoding if needed.
        accept: Vec<String> = "accept";
        /// Consume these codecs (like mask, but also for the answerer's direction).
        consume: Vec<String> = "consume";
        /// Leave these codecs alone.
        ignore: Vec<String> = "ignore" @ (13, 3);
    }
}

/// One `substitute` pair of `sdp-attr`: replace attribute `from` with `to`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Substitution {
    /// The attribute to replace.
    pub from: String,
    /// Its replacement.
    pub to: String,
}

impl Substitution {
    /// A pair.
    pub fn new(from: impl Into<String>, to: impl Into<String>) -> Self {
        Self {
            from: from.into(),
            to: to.into(),
        }
    }
}

impl Scalar for Substitution {
    fn encode(&self, enc: &mut Encoder<'_>) {
        enc.list().str(&self.from).str(&self.to).end();
    }
    fn decode(v: &Value) -> Option<Self> {
        match v.as_list()? {
            [a, b] => Some(Self::new(a.as_str()?, b.as_str()?)),
            _ => None,
        }
    }
}

ng_options! {
    /// Attribute changes for one SDP section of `sdp-attr`.
    pub struct SdpAttrSection {
        /// Attributes to add (without `a=`).
        add: Vec<String> = "add";
        /// Attributes to remove (by name).
        remove: Vec<String> = "remove";
        /// Attributes to replace.
        substitute: Vec<Substitution> = "substitute";
    }
}

ng_options! {
    /// The `sdp-attr` dictionary (11.3): attribute changes per section.
    pub struct SdpAttr {
        /// Session level.
        global: SdpAttrSection = "global";
        /// Session level when there is no media section (`none`).
        none: SdpAttrSection = "none";
        /// Audio sections.
        audio: SdpAttrSection = "audio";
        /// Video sections.
        video: SdpAttrSection = "video";
    }
}

text_enum! {
    /// How music on hold is sent (`moh` `mode`).
    pub enum MohMode {
        /// Send-only.
        Sendonly => "sendonly",
        /// Send and receive.
        Sendrecv => "sendrecv",
        /// Reflect the offer's direction.
        Reflect => "reflect",
    }
}

ng_options! {
    /// The `moh` dictionary (13.2): music on hold when the call is put on hold.
    pub struct Moh {
        /// A media file.
        file: Option<String> = "file";
        /// Media bytes.
        blob: Option<Bytes> = "blob";
        /// A media database id.
        db_id: Option<i64> = "db-id";
        /// The direction attribute used.
        mode: Option<MohMode> = "mode";
        /// `zero`: send a zero connection address.
        connection: Option<String> = "connection";
    }
}

ng_options! {
    /// The `extmap` dictionary (14.0): RTP header extensions to strip or mask.
    pub struct Extmap {
        /// Remove these extensions (or `all`).
        strip: Vec<String> = "strip";
        /// Hide these extensions from the other side (or `all`).
        mask: Vec<String> = "mask";
    }
}

ng_options! {
    /// Options of `offer` and `answer` (and the SDP part of `publish`, `subscribe request`,
    /// `create`): the whole catalogue of rtpengine's SDP options.
    ///
    /// Options newer than 10.5 carry their release; [`OfferOptions::requirement`] names the
    /// newest one set, and a client told its rtpengine's version refuses them before sending.
    pub struct OfferOptions {
        /// `via-branch`: tells SIP branches of one call apart.
        via_branch: Option<String> = "via-branch";
        /// The `replace` list.
        replace: Vec<Replace> = "replace";
        /// `direction`: the logical interfaces (from, to).
        direction: Option<Direction> = "direction";
        /// `received from`: where the SIP message came from.
        received_from: Option<ReceivedFrom> = "received from" | "received-from";
        /// `ICE`.
        ice: Option<Ice> = "ICE" | "ice";
        /// `transport protocol`.
        transport_protocol: Option<TransportProtocol> = "transport protocol" | "transport-protocol";
        /// `media address`: the address rtpengine writes into the rewritten SDP.
        media_address: Option<IpAddr> = "media address" | "media-address";
        /// `address family` of the rewritten SDP.
        address_family: Option<AddressFamily> = "address family" | "address-family";
        /// The `rtcp-mux` list.
        rtcp_mux: Vec<RtcpMux> = "rtcp-mux";
        /// `TOS` of the media packets rtpengine sends.
        tos: Option<u8> = "TOS";
        /// `DTLS`.
        dtls: Option<Dtls> = "DTLS";
        /// The `SDES` list.
        sdes: Vec<Sdes> = "SDES";
        /// `record call`: `yes` / `no`.
        record_call: Option<bool> = "record call" | "record-call";
        /// `metadata` (free text, e.g. `key:value|key:value` for recordings).
        metadata: Option<String> = "metadata";
        /// The `flags` list.
        flags: Vec<Flag> = "flags";
        /// `label` of the party this message comes from.
        label: Option<String> = "label" | "from-label";
        /// `set-label`: label the other party.
        set_label: Option<String> = "set-label" | "to-label";
        /// `interface` (publish, subscribe).
        interface: Option<String> = "interface";
        /// `from-interface` (split form of `direction`).
        from_interface: Option<String> = "from-interface" @ (12, 5);
        /// `to-interface` (split form of `direction`).
        to_interface: Option<String> = "to-interface" @ (12, 5);
        /// `xmlrpc-callback`: where to send the timeout callback.
        xmlrpc_callback: Option<IpAddr> = "xmlrpc-callback";
        /// `ICE-lite` (offer only).
        ice_lite: Option<IceLite> = "ICE-lite";
        /// `DTLS-reverse`.
        dtls_reverse: Option<DtlsReverse> = "DTLS-reverse";
        /// `DTLS-fingerprint`.
        dtls_fingerprint: Option<DtlsFingerprint> = "DTLS-fingerprint";
        /// The `OSRTP` list.
        osrtp: Vec<Osrtp> = "OSRTP";
        /// `generate RTCP`.
        generate_rtcp: Option<OnOff> = "generate RTCP" | "generate-RTCP";
        /// The `endpoint-learning` list.
        endpoint_learning: Vec<EndpointLearning> = "endpoint-learning" | "endpoint learning";
        /// `passthrough`.
        passthrough: Option<OnOff> = "passthrough";
        /// The `codec` dictionary.
        codec: CodecOptions = "codec" | "codecs";
        /// The `T.38` list (offer only).
        t38: Vec<T38> = "T.38" | "T38";
        /// `T.38 version`.
        t38_version: Option<i64> = "T.38 version" @ (13, 3);
        /// `ptime` in ms (offer only).
        ptime: Option<u32> = "ptime";
        /// `ptime-reverse` in ms (offer only).
        ptime_reverse: Option<u32> = "ptime-reverse";
        /// `media echo`.
        media_echo: Option<MediaEcho> = "media echo" | "media-echo";
        /// `drop-traffic`.
        drop_traffic: Option<DropTraffic> = "drop-traffic";
        /// The `supports` list (`load limit`).
        supports: Vec<Supports> = "supports";
        /// `output-destination` of a recording.
        output_destination: Option<String> = "output-destination";
        /// `recording-file`.
        recording_file: Option<String> = "recording-file" @ (12, 3);
        /// `recording-dir`.
        recording_dir: Option<String> = "recording-dir" @ (12, 3);
        /// `recording-pattern`.
        recording_pattern: Option<String> = "recording-pattern" @ (12, 3);
        /// `DTMF-log-dest`: where DTMF events go.
        dtmf_log_dest: Option<String> = "DTMF-log-dest" @ (11, 3);
        /// The `sdp-attr` dictionary.
        sdp_attr: SdpAttr = "sdp-attr" @ (11, 3);
        /// `rtpp-flags`: a flags string rtpengine parses itself.
        rtpp_flags: Option<String> = "rtpp-flags" @ (12, 4);
        /// `sdp-media-remove`: media types to remove.
        sdp_media_remove: Vec<MediaType> = "sdp-media-remove" @ (13, 1);
        /// `template`: a named set of options in rtpengine's configuration.
        template: Option<String> = "template" @ (13, 1);
        /// The `moh` dictionary.
        moh: Moh = "moh" @ (13, 2);
        /// The `bundle` list.
        bundle: Vec<Bundle> = "bundle" @ (14, 0);
        /// The `extmap` dictionary.
        extmap: Extmap = "extmap" @ (14, 0);
        /// `peer`: pick the interface by route to this address.
        peer: Option<IpAddr> = "peer" @ (14, 1);
        /// `inbound-peer`.
        inbound_peer: Option<IpAddr> = "inbound-peer" @ (14, 1);
        /// `outbound-peer`.
        outbound_peer: Option<IpAddr> = "outbound-peer" @ (14, 1);
        /// `alias key`.
        alias_key: Option<AliasKey> = "alias key" @ (26, 0);
        /// `SIP message type`.
        sip_message_type: Option<String> = "SIP message type" @ (26, 1);
        /// `SIP code`.
        sip_code: Option<i64> = "SIP code" @ (26, 1);
    }
}

/// Options of `answer`: the same set as [`OfferOptions`] (offer-only options are ignored by
/// rtpengine in an answer).
pub type AnswerOptions = OfferOptions;

impl OfferOptions {
    /// Adds a flag (same as [`OfferOptions::flags`]).
    pub fn flag(self, flag: Flag) -> Self {
        self.flags(flag)
    }

    /// Refuses combinations rtpengine would not honour, naming the options.
    pub fn validate(&self) -> Result<()> {
        let has = |f: &Flag| self.flags.contains(f);
        let both = |a: Flag, b: Flag| -> Result<()> {
            if has(&a) && has(&b) {
                return Err(invalid(format!(
                    "flags '{a}' and '{b}' contradict each other"
                )));
            }
            Ok(())
        };
        both(Flag::Symmetric, Flag::Asymmetric)?;
        both(Flag::PortLatching, Flag::NoPortLatching)?;
        both(Flag::Passthrough, Flag::NoPassthrough)?;
        both(Flag::TrustAddress, Flag::SipSourceAddress)?;
        both(Flag::AudioPlayer, Flag::NoAudioPlayer)?;
        if has(&Flag::Passthrough) && self.passthrough == Some(OnOff::Off)
            || has(&Flag::NoPassthrough) && self.passthrough == Some(OnOff::On)
        {
            return Err(invalid(
                "the passthrough flag contradicts option 'passthrough'".into(),
            ));
        }
        if self.sdes.contains(&Sdes::Off) && self.sdes.len() > 1 {
            return Err(invalid(
                "'SDES' off cannot be combined with other SDES entries".into(),
            ));
        }
        if self.dtls == Some(Dtls::Off) && self.dtls_reverse.is_some() {
            return Err(invalid("'DTLS' off contradicts 'DTLS-reverse'".into()));
        }
        for (a, b) in [
            (RtcpMux::Offer, RtcpMux::Reject),
            (RtcpMux::Require, RtcpMux::Reject),
            (RtcpMux::Accept, RtcpMux::Reject),
        ] {
            if self.rtcp_mux.contains(&a) && self.rtcp_mux.contains(&b) {
                return Err(invalid(format!(
                    "'rtcp-mux' entries '{a}' and '{b}' contradict each other"
                )));
            }
        }
        if self.endpoint_learning.len() > 1 {
            return Err(invalid(
                "'endpoint-learning' takes one mode, not several".into(),
            ));
        }
        if let Some(rf) = &self.received_from {
            match rf.address.parse::<IpAddr>() {
                Ok(addr) if AddressFamily::of(&addr) != rf.family => {
                    return Err(invalid(format!(
                        "'received from' family {} does not match address {}",
                        rf.family, rf.address
                    )))
                }
                Err(_) if !matches!(rf.family, AddressFamily::Other(_)) => {
                    return Err(invalid(format!(
                        "'received from' address '{}' is not an IP address",
                        rf.address
                    )))
                }
                _ => {}
            }
        }
        if let (Some(fam), Some(addr)) = (&self.address_family, &self.media_address) {
            if !matches!(fam, AddressFamily::Other(_)) && AddressFamily::of(addr) != *fam {
                return Err(invalid(format!(
                    "'media address' {addr} is not of 'address family' {fam}"
                )));
            }
        }
        if let Some(Direction::Interfaces(a, b)) = &self.direction {
            if a.is_empty() || b.is_empty() {
                return Err(invalid("'direction' needs two interface names".into()));
            }
        }
        if self.direction.is_some()
            && (self.from_interface.is_some() || self.to_interface.is_some())
        {
            return Err(invalid(
                "'direction' and 'from-interface'/'to-interface' are two forms of one option"
                    .into(),
            ));
        }
        if self.ptime == Some(0) || self.ptime_reverse == Some(0) {
            return Err(invalid("'ptime' must be at least 1 ms".into()));
        }
        for f in &self.flags {
            if let Flag::Other(s) = f {
                if s.trim().is_empty() {
                    return Err(invalid("an empty flag".into()));
                }
            }
        }
        Ok(())
    }
}

fn invalid(reason: String) -> Error {
    Error::InvalidRequest { reason }
}
