//! Options of the SDP commands (offer, answer, publish, subscribe request, create…) and the
//! dictionaries nested in them.

use std::net::IpAddr;

use bytes::Bytes;

use super::enums::*;
use super::flags::Flag;
use super::{Kind, OneOrList, Scalar};
use crate::bencode::{Encoder, Value};
use crate::error::{Error, Result};
use crate::version::Version;

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
    const KIND: Kind = Kind::Form("FROM,TO");
    /// `FROM,TO`, split at the first comma (so `TO` may contain commas).
    fn from_text(text: &str) -> Result<Self, String> {
        match text.split_once(',') {
            Some((from, to)) if !from.is_empty() && !to.is_empty() => Ok(Self::new(from, to)),
            _ => Err(format!("'{text}' is not FROM,TO (two attributes)")),
        }
    }
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
        /// Image sections (T.38; 11.5).
        image: SdpAttrSection = "image" @ (11, 5);
        /// Message sections (11.5).
        message: SdpAttrSection = "message" @ (11, 5);
        /// Text sections (13.1).
        text: SdpAttrSection = "text" @ (13, 1);
        /// Application sections (13.1).
        application: SdpAttrSection = "application" @ (13, 1);
    }
}

text_enum! {
    /// How music on hold is sent (`moh` `mode`).
    pub enum MohMode {
        /// Send-only.
        Sendonly => "sendonly",
        /// Send and receive.
        Sendrecv => "sendrecv",
        /// Reflect the offer's direction (13.3).
        Reflect => "reflect" @ (13, 3),
    }
}

ng_options! {
    /// The `moh` dictionary (13.2): music on hold when the call is put on hold. Give one source:
    /// `file`, `blob` or `db-id`.
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
    /// Options newer than 10.5 carry their releases ([`Since`](crate::Since));
    /// [`OfferOptions::requirements`] lists what the set ones need, and a client told its
    /// rtpengine's version refuses what that release lacks before sending.
    pub struct OfferOptions {
        /// `via-branch`: tells SIP branches of one call apart.
        via_branch: Option<String> = "via-branch";
        /// The `replace` list: parts of the SDP rtpengine rewrites.
        replace: Vec<Replace> = "replace";
        /// `direction`: the logical interfaces media flows between (from, to).
        direction: Option<Direction> = "direction";
        /// `received from`: where the SIP message came from (with its address family).
        received_from: Option<ReceivedFrom> = "received from" | "received-from";
        /// `ICE`: what to do with ICE candidates.
        ice: OneOrList<Ice> = "ICE" | "ice";
        /// `transport protocol` of the rewritten SDP (RTP/AVP, RTP/SAVP, RTP/AVPF, RTP/SAVPF, …).
        transport_protocol: Option<TransportProtocol> = "transport protocol" | "transport-protocol";
        /// `media address`: the address rtpengine writes into the rewritten SDP.
        media_address: Option<IpAddr> = "media address" | "media-address";
        /// `address family` of the rewritten SDP.
        address_family: Option<AddressFamily> = "address family" | "address-family";
        /// The `rtcp-mux` list: how to handle RTCP multiplexing.
        rtcp_mux: Vec<RtcpMux> = "rtcp-mux" | "RTCP-mux" | "rtcp mux" | "RTCP mux";
        /// `TOS` of the media packets rtpengine sends (0–255).
        tos: Option<u8> = "TOS" | "tos";
        /// `DTLS`: the DTLS-SRTP handling.
        dtls: OneOrList<Dtls> = "DTLS" | "dtls";
        /// The `SDES` list: SDES-SRTP options (e.g. `off`, `unencrypted_srtp`, `no-SUITE`).
        sdes: Vec<Sdes> = "SDES" | "sdes";
        /// `record call`: `yes` / `no` (a `bool` sets these) or `discard` (11.4).
        record_call: Option<RecordCall> = "record call" | "record-call";
        /// `metadata` (free text, e.g. `key:value|key:value` for recordings).
        metadata: Option<String> = "metadata";
        /// The `flags` list.
        flags: Vec<Flag> = "flags";
        /// `label` of the party this message comes from.
        label: Option<String> = "label" | "from-label" | "from label";
        /// `set-label`: the label given to the party a `subscribe request` creates (and to the
        /// selected party of other non-SDP commands); `offer`/`answer` ignore it.
        set_label: Option<String> = "set-label" | "set label";
        /// `to-label`: its own key since 11.1 (the party media flows towards, by label);
        /// 10.5 and 11.0 read it as `set-label`. `subscribe request` still takes it as the
        /// label to set.
        to_label: Option<String> = "to-label" @ (11, 1);
        /// `to-tag` (offer): the callee's tag of an established dialogue (a re-INVITE).
        /// `answer` and the subscribe commands take their to-tag as an argument and refuse
        /// this option.
        to_tag: Option<String> = "to-tag";
        /// `interface`: the logical interface (publish, subscribe).
        interface: Option<String> = "interface";
        /// `from-interface`: the offerer's logical interface (split form of `direction`).
        from_interface: Option<String> = "from-interface" | "from interface" @ (12, 5);
        /// `to-interface`: the answerer's logical interface (split form of `direction`).
        to_interface: Option<String> = "to-interface" | "to interface" @ (12, 5);
        /// `xmlrpc-callback`: where to send the call-timeout callback.
        xmlrpc_callback: Option<IpAddr> = "xmlrpc-callback" | "XMLRPC-callback";
        /// `ICE-lite` (offer only): which side is ICE-lite.
        ice_lite: Option<IceLite> = "ICE-lite" | "ice-lite" | "ICE lite" | "ice lite";
        /// `DTLS-reverse`: the DTLS role towards the offerer.
        dtls_reverse: Option<DtlsReverse> = "DTLS-reverse" | "dtls-reverse" | "DTLS reverse"
            | "dtls reverse";
        /// `DTLS-fingerprint`: the hash of the DTLS fingerprint.
        dtls_fingerprint: Option<DtlsFingerprint> = "DTLS-fingerprint" | "DTLS fingerprint"
            | "dtls-fingerprint" | "dtls fingerprint";
        /// The `OSRTP` list: opportunistic SRTP.
        osrtp: Vec<Osrtp> = "OSRTP" | "osrtp";
        /// `generate RTCP` (key form; the flag `generate RTCP` is the other form).
        generate_rtcp: Option<OnOff> = "generate RTCP" | "generate-RTCP" | "generate rtcp"
            | "generate-rtcp";
        /// The `endpoint-learning` list: when rtpengine learns the media endpoint.
        endpoint_learning: Vec<EndpointLearning> = "endpoint-learning" | "endpoint learning";
        /// `passthrough` (key form): pass media through unchanged.
        passthrough: Option<OnOff> = "passthrough" | "passthru";
        /// The `codec` dictionary: codecs to strip, offer, transcode, mask…
        codec: CodecOptions = "codec" | "codecs";
        /// The `T.38` list (offer only): T.38 gateway options.
        t38: Vec<T38> = "T.38" | "T38" | "t.38" | "t38";
        /// `T.38 version`: the T.38 version to offer.
        t38_version: Option<i64> = "T.38 version" | "T.38-version" | "T38-version" | "T38 version"
            @ (13, 3; (12, 5, 1, 26), (13, 1, 1, 12), (13, 2, 1, 8));
        /// `ptime`: packetization time in ms (offer only).
        ptime: Option<u32> = "ptime";
        /// `ptime-reverse`: packetization time towards the offerer in ms (offer only).
        ptime_reverse: Option<u32> = "ptime-reverse" | "ptime reverse" | "reverse ptime"
            | "reverse-ptime";
        /// `media echo`: echo media back (testing).
        media_echo: Option<MediaEcho> = "media echo" | "media-echo";
        /// `drop-traffic`: start or stop dropping media.
        drop_traffic: Option<DropTraffic> = "drop-traffic" | "drop traffic";
        /// The `supports` list: what the client handles (`load limit`).
        supports: Vec<Supports> = "supports";
        /// `DTMF-delay` in ms: DTMF events are replaced by silence and replayed this much later
        /// (transcoding builds).
        dtmf_delay: Option<u32> = "DTMF-delay" | "DTMF delay" | "dtmf-delay" | "dtmf delay";
        /// `delay-buffer` in ms: delay all media by this much (transcoding builds; 0 turns an
        /// earlier delay off).
        delay_buffer: Option<u32> = "delay-buffer" | "delay buffer";
        /// `output-destination` of a recording. In `offer`/`answer` since 11.4 (10.5 reads it in
        /// `start recording` only and logs it as an unknown key here); 12.2 added
        /// `recording-file` as another name for the same option.
        output_destination: Option<String> = "output-destination" | "output-dest" | "output-file"
            | "output destination" @ (11, 4);
        /// `recording-file`: another name of `output-destination` (12.2).
        recording_file: Option<String> = "recording-file" | "recording file"
            | "recording-destination" @ (12, 2);
        /// `recording-dir`: the recording's directory.
        recording_dir: Option<String> = "recording-dir" | "recording-path"
            | "recording-directory" | "output-dir" @ (12, 2);
        /// `recording-pattern`: the pattern for the recording's file name.
        recording_pattern: Option<String> = "recording-pattern" | "recording pattern"
            | "output-pattern" @ (12, 2);
        /// `recording-media-slot-offer`: the recording media slot of the offer side (13.0).
        recording_media_slot_offer: Option<u32> = "recording-media-slot-offer" @ (13, 0);
        /// `recording-media-slot-answer`: the recording media slot of the answer side (13.0).
        recording_media_slot_answer: Option<u32> = "recording-media-slot-answer" @ (13, 0);
        /// `recording-media-slots`: how many media slots the recording has (13.0).
        recording_media_slots: Option<u32> = "recording-media-slots" @ (13, 0);
        /// `vsc-start-rec`: the DTMF code that starts recording (12.3, with flag
        /// `recording VSC`).
        vsc_start_rec: Option<String> = "vsc-start-rec" | "VSC-start-rec" | "vsc-start-recording"
            @ (12, 3);
        /// `vsc-stop-rec`: the DTMF code that stops recording (12.3).
        vsc_stop_rec: Option<String> = "vsc-stop-rec" | "VSC-stop-rec" | "vsc-stop-recording"
            @ (12, 3);
        /// `vsc-start-stop-rec`: the DTMF code that starts or stops recording (12.3).
        vsc_start_stop_rec: Option<String> = "vsc-start-stop-rec" | "VSC-start-stop-rec"
            | "vsc-start-stop-recording" @ (12, 3);
        /// `vsc-pause-rec`: the DTMF code that pauses recording (12.3).
        vsc_pause_rec: Option<String> = "vsc-pause-rec" | "VSC-pause-rec" | "vsc-pause-recording"
            @ (12, 3);
        /// `vsc-pause-resume-rec`: the DTMF code that pauses or resumes recording (12.3).
        vsc_pause_resume_rec: Option<String> = "vsc-pause-resume-rec" | "VSC-pause-resume-rec"
            | "vsc-pause-resume-recording" @ (12, 3);
        /// `vsc-start-pause-resume-rec`: the DTMF code that starts, pauses or resumes recording
        /// (12.3).
        vsc_start_pause_resume_rec: Option<String> = "vsc-start-pause-resume-rec"
            | "VSC-start-pause-resume-rec" | "vsc-start-pause-resume-recording" @ (12, 3);
        /// `audio-player`: when to use the audio player (11.3; also spelled `audio player` since
        /// 13.2).
        audio_player: Option<AudioPlayer> = "audio-player" | "audio player" | "player" @ (11, 3);
        /// `DTMF-log-dest`: where DTMF events go.
        dtmf_log_dest: Option<String> = "DTMF-log-dest" | "DTMF-log-destination" | "dtmf-log-dest"
            @ (11, 3);
        /// The `sdp-attr` dictionary: SDP attributes to add, remove or substitute, per section.
        sdp_attr: SdpAttr = "sdp-attr" | "SDP-attr" | "sdp attr" @ (11, 3);
        /// `rtpp-flags`: a flags string rtpengine parses itself.
        rtpp_flags: Option<String> = "rtpp-flags" | "rtpp_flags" | "rtpp flags" @ (12, 4);
        /// `sdp-media-remove`: media sections of this type to remove.
        sdp_media_remove: Vec<MediaType> = "sdp-media-remove" | "SDP-media-remove"
            | "sdp media remove" @ (13, 1);
        /// `template`: a named set of options in rtpengine's configuration.
        template: Option<String> = "template" @ (13, 1);
        /// The `moh` dictionary: music on hold.
        moh: Moh = "moh" | "MoH" | "MOH" @ (13, 2);
        /// The `bundle` list: BUNDLE handling.
        bundle: Vec<Bundle> = "bundle" | "BUNDLE" @ (14, 0);
        /// The `extmap` dictionary: RTP header extensions to strip or mask.
        extmap: Extmap = "extmap" @ (14, 0);
        /// `peer`: pick the interface by route to this address.
        peer: Option<IpAddr> = "peer" @ (14, 1);
        /// `inbound-peer`: pick the inbound interface by route to this address.
        inbound_peer: Option<IpAddr> = "inbound-peer" | "inbound peer" @ (14, 1);
        /// `outbound-peer`: pick the outbound interface by route to this address.
        outbound_peer: Option<IpAddr> = "outbound-peer" | "outbound peer" @ (14, 1);
        /// `alias-key` (26.0; rtpengine knows only the hyphenated spelling).
        alias_key: Option<AliasKey> = "alias-key" @ (26, 0);
        /// `sip-message-type` (`request` or `reply`; 12.4, the spelling every later release
        /// knows: `SIP-message-type` is 13.1/12.5.1.17, the spaced one 26.1).
        sip_message_type: Option<String> = "sip-message-type" | "SIP-message-type"
            | "SIP message type" | "sip_message_type" @ (12, 4);
        /// `SIP-code`: the SIP response code (13.1; the spaced `SIP code` is 26.1).
        sip_code: Option<i64> = "SIP-code" | "SIP code" | "sip-code" | "SIP-response-code"
            | "SIP response code" @ (13, 1);
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

    /// Logs a warning for values that do nothing on `target` (unknown: on some release).
    pub(crate) fn warn_obsolete(&self, command: &str, target: Option<Version>) {
        const NO_EFFECT_SINCE: Version = Version::new(12, 5);
        if self.replace.contains(&Replace::SessionConnection)
            && target.is_none_or(|v| v >= NO_EFFECT_SINCE)
        {
            tracing::warn!(
                command,
                "replace 'session connection' has no effect since rtpengine 12.5 and is \
                 unknown since 26.1"
            );
        }
    }

    /// Refuses the `to-tag` option for a request that writes its own `to-tag` (`answer`,
    /// `subscribe answer`, …): the dictionary would carry the key twice.
    pub(crate) fn refuse_to_tag(&self, command: &str) -> Result<()> {
        if self.to_tag.is_some() {
            return Err(Error::invalid(format!(
                "'{command}' takes its to-tag as an argument; leave option 'to-tag' unset"
            )));
        }
        Ok(())
    }

    /// Refuses what rtpengine would not honour, naming the options: contradicting options,
    /// empty values (an empty flag, an `Other("")` value, an empty codec or `sdp-attr` entry,
    /// which rtpengine skips or misreads), addresses of the wrong family, a zero `ptime` or
    /// recording media slot, and two names of one option.
    pub fn validate(&self) -> Result<()> {
        self.validate_contradictions()?;
        self.validate_addresses()?;
        self.validate_values()
    }

    fn validate_contradictions(&self) -> Result<()> {
        let has = |f: &Flag| self.flags.contains(f);
        let both = |a: Flag, b: Flag| -> Result<()> {
            if has(&a) && has(&b) {
                return Err(Error::invalid(format!(
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
            return Err(Error::invalid(
                "the passthrough flag contradicts option 'passthrough'",
            ));
        }
        if has(&Flag::GenerateRtcp) && self.generate_rtcp == Some(OnOff::Off) {
            return Err(Error::invalid(
                "flag 'generate RTCP' contradicts option 'generate RTCP' off",
            ));
        }
        let player_on = matches!(
            self.audio_player,
            Some(AudioPlayer::Transcoding | AudioPlayer::Always)
        );
        if has(&Flag::AudioPlayer) && self.audio_player == Some(AudioPlayer::Off)
            || has(&Flag::NoAudioPlayer) && player_on
        {
            return Err(Error::invalid(
                "the audio player flag contradicts option 'audio-player'",
            ));
        }
        if self.sdes.contains(&Sdes::Off) && self.sdes.len() > 1 {
            return Err(Error::invalid(
                "'SDES' off cannot be combined with other SDES entries",
            ));
        }
        for entry in &self.sdes {
            if let Some(suite) = entry.as_str().strip_prefix("only-") {
                if self.sdes.contains(&Sdes::no(suite)) {
                    return Err(Error::invalid(format!(
                        "'SDES' entries 'only-{suite}' and 'no-{suite}' contradict each other"
                    )));
                }
            }
        }
        if self.dtls.contains(&Dtls::Off) && self.dtls_reverse.is_some() {
            return Err(Error::invalid("'DTLS' off contradicts 'DTLS-reverse'"));
        }
        if self.dtls.contains(&Dtls::Off) && self.dtls_fingerprint.is_some() {
            return Err(Error::invalid("'DTLS' off contradicts 'DTLS-fingerprint'"));
        }
        for (a, b) in [
            (RtcpMux::Offer, RtcpMux::Reject),
            (RtcpMux::Require, RtcpMux::Reject),
            (RtcpMux::Accept, RtcpMux::Reject),
        ] {
            if self.rtcp_mux.contains(&a) && self.rtcp_mux.contains(&b) {
                return Err(Error::invalid(format!(
                    "'rtcp-mux' entries '{a}' and '{b}' contradict each other"
                )));
            }
        }
        let ice_modes = [Ice::Force, Ice::Default, Ice::Optional, Ice::ForceRelay];
        if self.ice.contains(&Ice::Remove) && ice_modes.iter().any(|m| self.ice.contains(m)) {
            return Err(Error::invalid(
                "'ICE' remove contradicts the other 'ICE' values",
            ));
        }
        if self.dtls.contains(&Dtls::Off) && self.dtls.iter().any(|d| *d != Dtls::Off) {
            return Err(Error::invalid(
                "'DTLS' off contradicts the other 'DTLS' values",
            ));
        }
        if self.ice.contains(&Ice::Remove) {
            if let Some(lite @ (IceLite::Forward | IceLite::Backward | IceLite::Both)) =
                &self.ice_lite
            {
                return Err(Error::invalid(format!(
                    "'ICE' remove contradicts 'ICE-lite' {lite}"
                )));
            }
            if has(&Flag::TrickleIce) {
                return Err(Error::invalid(
                    "'ICE' remove contradicts flag 'trickle ICE'",
                ));
            }
        }
        if self.t38.contains(&T38::Force) && self.t38.contains(&T38::Stop) {
            return Err(Error::invalid(
                "'T.38' entries 'force' and 'stop' contradict each other",
            ));
        }
        if self.endpoint_learning.len() > 1 {
            return Err(Error::invalid(
                "'endpoint-learning' takes one mode, not several",
            ));
        }
        if self.direction.is_some()
            && (self.from_interface.is_some() || self.to_interface.is_some())
        {
            return Err(Error::invalid(
                "'direction' and 'from-interface'/'to-interface' are two forms of one option",
            ));
        }
        if self.output_destination.is_some() && self.recording_file.is_some() {
            return Err(Error::invalid(
                "'output-destination' and 'recording-file' are two names of one option",
            ));
        }
        let moh_sources = [
            self.moh.file.is_some(),
            self.moh.blob.is_some(),
            self.moh.db_id.is_some(),
        ];
        if moh_sources.iter().filter(|s| **s).count() > 1 {
            return Err(Error::invalid(
                "'moh' takes one source: 'file', 'blob' or 'db-id'",
            ));
        }
        Ok(())
    }

    fn validate_addresses(&self) -> Result<()> {
        if let Some(rf) = &self.received_from {
            match rf.address.parse::<IpAddr>() {
                Ok(addr) if AddressFamily::of(&addr) != rf.family => {
                    return Err(Error::invalid(format!(
                        "'received from' family {} does not match address {}",
                        rf.family, rf.address
                    )))
                }
                Err(_) if !matches!(rf.family, AddressFamily::Other(_)) => {
                    return Err(Error::invalid(format!(
                        "'received from' address '{}' is not an IP address",
                        rf.address
                    )))
                }
                _ => {}
            }
        }
        if let (Some(fam), Some(addr)) = (&self.address_family, &self.media_address) {
            if !matches!(fam, AddressFamily::Other(_)) && AddressFamily::of(addr) != *fam {
                return Err(Error::invalid(format!(
                    "'media address' {addr} is not of 'address family' {fam}"
                )));
            }
        }
        if let Some(Direction::Interfaces(a, b)) = &self.direction {
            if a.is_empty() || b.is_empty() {
                return Err(Error::invalid("'direction' needs two interface names"));
            }
        }
        Ok(())
    }

    fn validate_values(&self) -> Result<()> {
        if self.ptime == Some(0) {
            return Err(Error::invalid("'ptime' must be at least 1 ms"));
        }
        if self.ptime_reverse == Some(0) {
            return Err(Error::invalid("'ptime-reverse' must be at least 1 ms"));
        }
        for (key, slot) in [
            (
                "recording-media-slot-offer",
                self.recording_media_slot_offer,
            ),
            (
                "recording-media-slot-answer",
                self.recording_media_slot_answer,
            ),
            ("recording-media-slots", self.recording_media_slots),
        ] {
            if slot == Some(0) {
                return Err(Error::invalid(format!("'{key}' must be at least 1")));
            }
        }
        let blank = |s: &str| s.trim().is_empty();
        if self.flags.iter().any(|f| blank(f.as_str())) {
            return Err(Error::invalid("option 'flags' has an empty flag"));
        }
        // The values with an `Other` escape: an empty one is not a value rtpengine knows.
        let empty_value = [
            ("replace", self.replace.iter().any(|v| blank(v.as_str()))),
            ("ICE", self.ice.iter().any(|v| blank(v.as_str()))),
            (
                "transport protocol",
                self.transport_protocol
                    .as_ref()
                    .is_some_and(|v| blank(v.as_str())),
            ),
            (
                "address family",
                self.address_family
                    .as_ref()
                    .is_some_and(|v| blank(v.as_str())),
            ),
            ("rtcp-mux", self.rtcp_mux.iter().any(|v| blank(v.as_str()))),
            ("DTLS", self.dtls.iter().any(|v| blank(v.as_str()))),
            ("SDES", self.sdes.iter().any(|v| blank(v.as_str()))),
            (
                "ICE-lite",
                self.ice_lite.as_ref().is_some_and(|v| blank(v.as_str())),
            ),
            (
                "DTLS-reverse",
                self.dtls_reverse
                    .as_ref()
                    .is_some_and(|v| blank(v.as_str())),
            ),
            (
                "DTLS-fingerprint",
                self.dtls_fingerprint
                    .as_ref()
                    .is_some_and(|v| blank(v.as_str())),
            ),
            ("OSRTP", self.osrtp.iter().any(|v| blank(v.as_str()))),
            (
                "generate RTCP",
                self.generate_rtcp
                    .as_ref()
                    .is_some_and(|v| blank(v.as_str())),
            ),
            (
                "endpoint-learning",
                self.endpoint_learning.iter().any(|v| blank(v.as_str())),
            ),
            (
                "passthrough",
                self.passthrough.as_ref().is_some_and(|v| blank(v.as_str())),
            ),
            ("T.38", self.t38.iter().any(|v| blank(v.as_str()))),
            (
                "media echo",
                self.media_echo.as_ref().is_some_and(|v| blank(v.as_str())),
            ),
            (
                "drop-traffic",
                self.drop_traffic
                    .as_ref()
                    .is_some_and(|v| blank(v.as_str())),
            ),
            ("supports", self.supports.iter().any(|v| blank(v.as_str()))),
            (
                "audio-player",
                self.audio_player
                    .as_ref()
                    .is_some_and(|v| blank(v.as_str())),
            ),
            (
                "sdp-media-remove",
                self.sdp_media_remove.iter().any(|v| blank(v.as_str())),
            ),
            ("bundle", self.bundle.iter().any(|v| blank(v.as_str()))),
            (
                "alias-key",
                self.alias_key.as_ref().is_some_and(|v| blank(v.as_str())),
            ),
            (
                "moh",
                self.moh.mode.as_ref().is_some_and(|v| blank(v.as_str())),
            ),
        ];
        if let Some((key, _)) = empty_value.iter().find(|(_, empty)| *empty) {
            return Err(Error::invalid(format!("option '{key}' has an empty value")));
        }
        let c = &self.codec;
        for (op, list) in [
            ("strip", &c.strip),
            ("offer", &c.offer),
            ("except", &c.except),
            ("transcode", &c.transcode),
            ("mask", &c.mask),
            ("set", &c.set),
            ("accept", &c.accept),
            ("consume", &c.consume),
            ("ignore", &c.ignore),
        ] {
            if list.iter().any(|s| blank(s)) {
                return Err(Error::invalid(format!(
                    "option 'codec' has an empty '{op}' entry"
                )));
            }
        }
        let a = &self.sdp_attr;
        for (section, attrs) in [
            ("global", &a.global),
            ("none", &a.none),
            ("audio", &a.audio),
            ("video", &a.video),
        ] {
            let empty = attrs.add.iter().any(|s| blank(s))
                || attrs.remove.iter().any(|s| blank(s))
                || attrs
                    .substitute
                    .iter()
                    .any(|p| p.from.is_empty() || p.to.is_empty());
            if empty {
                // rtpengine skips an empty attribute or substitution without a word.
                return Err(Error::invalid(format!(
                    "option 'sdp-attr' has an empty entry in section '{section}'"
                )));
            }
        }
        let e = &self.extmap;
        if e.strip.iter().chain(&e.mask).any(|s| blank(s)) {
            return Err(Error::invalid("option 'extmap' has an empty entry"));
        }
        Ok(())
    }
}
