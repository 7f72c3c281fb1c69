//! The `flags` list. rtpengine matches flags with spaces and hyphens alike; the texts below are
//! the canonical spellings. Prefix flags (`codec-strip-…`, `SDES-…`, `from-tags-…`) are covered
//! by typed options instead; any other flag goes in as `Flag::Other` or a raw flag.

use crate::version::Version;

text_enum! {
    /// An entry of the `flags` list.
    pub enum Flag {
        /// Use the SIP source address instead of the SDP address.
        SipSourceAddress => "SIP source address",
        /// Trust the addresses in the SDP.
        TrustAddress => "trust address",
        /// Symmetric RTP (rtpengine's default; no release parses it: 10.5 and later log it as
        /// an unknown flag and ignore it).
        Symmetric => "symmetric",
        /// Asymmetric RTP: never learn the endpoint from received media.
        Asymmetric => "asymmetric",
        /// Allow one-way media to kernelize.
        Unidirectional => "unidirectional",
        /// Drop media from unexpected source addresses.
        StrictSource => "strict source",
        /// Allow the media endpoint to change mid-call.
        MediaHandover => "media handover",
        /// Reset the call's negotiated state (offer only).
        Reset => "reset",
        /// Bind ports from the previous negotiation.
        PortLatching => "port latching",
        /// Never re-use ports across negotiations.
        NoPortLatching => "no port latching",
        /// Wait for media before learning the endpoint behind NAT.
        NatWait => "NAT-wait",
        /// Send packets to open NAT pinholes.
        PierceNat => "pierce NAT",
        /// Do not add `a=rtcp`.
        NoRtcpAttribute => "no rtcp attribute",
        /// Add `a=rtcp` with an address.
        FullRtcpAttribute => "full rtcp attribute",
        /// Mark the SDP so a second pass through rtpengine is detected.
        LoopProtect => "loop protect",
        /// Keep the original `a=sendrecv`-style attribute.
        OriginalSendrecv => "original sendrecv",
        /// Add `a=mid` lines.
        GenerateMid => "generate mid",
        /// Remove `a=extmap` lines.
        StripExtmap => "strip extmap",
        /// Generate RTCP for media that has none.
        GenerateRtcp => "generate RTCP",
        /// Trickle ICE.
        TrickleIce => "trickle ICE",
        /// Reject ICE.
        RejectIce => "reject ICE" | "ICE reject",
        /// The SDP is a trickle-ICE fragment.
        Fragment => "fragment",
        /// Transcode to every offered codec.
        AlwaysTranscode => "always transcode",
        /// Answer with a single codec.
        SingleCodec => "single codec",
        /// Keep codecs across re-negotiations.
        ReuseCodecs => "reuse codecs" | "no codec renegotiation",
        /// Allow transcoding (subscribe answer).
        AllowTranscoding => "allow transcoding",
        /// Enable DTMF injection on this call.
        InjectDtmf => "inject DTMF",
        /// Detect DTMF events.
        DetectDtmf => "detect DTMF",
        /// Pass media through unchanged.
        Passthrough => "passthrough",
        /// Never pass through.
        NoPassthrough => "no passthrough",
        /// Disable the jitter buffer.
        NoJitterBuffer => "no jitter buffer",
        /// Start recording the call.
        RecordCall => "record call",
        /// Debug logging for this call.
        Debug => "debug" | "debugging",
        /// Do not replicate this update to redis.
        NoRedisUpdate => "no redis update",
        /// Apply to the whole call (block/unblock, play media, subscribe request).
        All => "all",
        /// Egress (subscribe request).
        Egress => "egress",
        /// SIPREC subscription.
        Siprec => "SIPREC",
        /// Mirror RTCP to the subscriber.
        RtcpMirror => "RTCP mirror" | "mirror RTCP",
        /// Pad SDES keys.
        PadCrypto => "pad crypto",
        /// `delete`: an unknown call is an error. Every release honours it in `delete`; the
        /// generic flag parser knows it since 13.0 and 12.5.1.11, but only `delete` reads it
        /// (older releases log it as unknown elsewhere).
        Fatal => "fatal",
        /// Early media.
        EarlyMedia => "early media" @ (11, 3),
        /// Inactive media.
        Inactive => "inactive" @ (11, 3),
        /// Use the audio player.
        AudioPlayer => "audio player" | "player" @ (11, 3),
        /// Do not use the audio player.
        NoAudioPlayer => "no audio player" | "no player" @ (11, 3),
        /// Discard the recording. Sent hyphenated: `stop recording` (every release) and `delete`
        /// (before 12.5.1.11) match only `discard-recording`, exactly.
        DiscardRecording => "discard-recording" | "discard recording" @ (11, 4),
        /// Exclude this party from recording (backported to 11.1.1.12, 11.2.1.10, 11.3.1.5).
        ExcludeRecording => "exclude recording"
            @ (11, 4; (11, 1, 1, 12), (11, 2, 1, 10), (11, 3, 1, 5)),
        /// Allow asymmetric codecs.
        AllowAsymmetricCodecs => "allow asymmetric codecs" | "allow asymmetric codec" @ (11, 5),
        /// Block short DTMF events.
        BlockShort => "block short" | "block shorts" | "block short packets" @ (11, 5),
        /// Keep the codec list static (backported to 11.3.1.13, 11.5.1.17, 12.0.1.4, 12.1.1.3;
        /// no 11.4 release has it).
        StaticCodecs => "static codecs" | "static codec"
            @ (12, 2; (11, 3, 1, 13), (11, 5, 1, 17), (12, 0, 1, 4), (12, 1, 1, 3)),
        /// Block DTMF (flag form).
        BlockDtmf => "block DTMF" @ (12, 3),
        /// Block egress media while playing.
        BlockEgress => "block egress" @ (12, 3),
        /// Recording announcement.
        RecordingAnnouncement => "recording announcement" @ (12, 3),
        /// Skip the recording database.
        SkipRecordingDb => "skip-recording-db" | "skip recording database" @ (12, 2),
        /// Recording VSC.
        RecordingVsc => "recording VSC" @ (12, 3),
        /// Honour the from-tag of block/unblock and forwarding commands (12.4+).
        Directional => "directional" @ (12, 4),
        /// WebRTC defaults.
        WebRtc => "WebRTC" @ (12, 5),
        /// Allow media sections without codecs.
        AllowNoCodecMedia => "allow no codec media" | "allow no codec medias"
            | "allow empty codec media" | "allow empty codec medias" @ (13, 1),
        /// A new SIP branch.
        NewBranch => "new branch" @ (13, 1),
        /// A provisional answer.
        Provisional => "provisional" @ (13, 1),
        /// `delete`: delete only the branch of the `to-tag` key (13.0, 12.5.1.11). Releases that
        /// know the flag delete the whole call when a to-tag comes without it; older ones
        /// honour the to-tag without it. `delete` adds it as needed (see [`Flag::shim_for`]).
        ToTag => "to-tag" @ (13, 0; (12, 5, 1, 11)),
        /// Force transcoding.
        ForceTranscoding => "force transcoding" @ (13, 3),
        /// Re-encrypt (13.4, 12.5.1.46).
        Recrypt => "recrypt" @ (13, 4; (12, 5, 1, 46)),
        /// Both directions (connect, mesh).
        Bidirectional => "bidirectional" @ (26, 0),
        /// No TLS id.
        NoTlsId => "no-tls-id" @ (26, 0),
        /// Mix.
        Mix => "mix" | "mixed" @ (26, 1),
        /// Unsubscribe (mesh).
        Unsubscribe => "unsubscribe" @ (26, 1),
        /// `delete`: skip the statistics in the reply (its reply is a plain `ok`). 26.2, and
        /// 13.5.1.18, 14.1.1.15, 26.0.1.15, 26.1.1.3 (no 14.0 release has it).
        Fast => "fast" @ (26, 2; (13, 5, 1, 18), (14, 1, 1, 15), (26, 0, 1, 15), (26, 1, 1, 3)),
        /// Obsolete: every release accepts and ignores it (kept so `from_dict` stays typed).
        ReorderCodecs => "reorder codecs",
        /// Obsolete: every release accepts and ignores it.
        SymmetricCodecs => "symmetric codecs",
        /// Obsolete: every release accepts and ignores it.
        AsymmetricCodecs => "asymmetric codecs",
    }
}

impl Flag {
    /// Whether to add this flag as a compatibility shim for `target`: rtpengine ignores flags
    /// it does not know (it only logs them), so a flag that keeps a request's meaning on the
    /// releases that have it is sent whenever the target is unknown or may be such a release
    /// (a line-only `12.5` may be a patch that received a backport).
    pub fn shim_for(&self, target: Option<Version>) -> bool {
        target.is_none_or(|v| self.since().may_be_met_by(v))
    }
}
