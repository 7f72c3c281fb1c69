//! The options of `offer` and `answer`: the whole SDP catalogue of the library's
//! [`OfferOptions`], spelled as in rtpengine's `rtpengine-ng-client` where it has a spelling.
//!
//! Boolean switches (`--trust-address`, `--loop-protect`, `--replace-origin`, …) come from two
//! tables, [`FLAG_SWITCHES`] and [`REPLACE_SWITCHES`]; everything with a value is a clap derive
//! field of [`MediaArgs`]; the parsers of those values follow it. [`media_options`] adds the
//! music-on-hold blob read from its file. Used by every command that sends an SDP (call,
//! publish/subscribe, create).

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use clap::{Arg, ArgAction, ArgMatches, Args, FromArgMatches};
use rtpengine_client::message::options::Scalar;
use rtpengine_client::{
    AddressFamily, Direction, Dtls, Flag, Ice, OfferOptions, ReceivedFrom, Replace, RtcpMux, Sdes,
    TransportProtocol, Value,
};

use crate::common::input::{describe, read_input, SdpSource};
use crate::common::values::known;
use crate::common::{Failure, RawArgs, EXIT_OTHER, EXIT_USAGE};

/// A boolean switch adding one entry to the `flags` list: `Flag::from(long)`.
#[derive(Debug)]
pub(crate) struct FlagSwitch {
    /// The option name, as rtpengine-ng-client spells it (also the clap id).
    pub(crate) long: &'static str,
    /// Other accepted spellings (hidden).
    pub(crate) aliases: &'static [&'static str],
    /// The help line.
    pub(crate) help: &'static str,
}

/// Shorthand for the table.
const fn sw(
    long: &'static str,
    aliases: &'static [&'static str],
    help: &'static str,
) -> FlagSwitch {
    FlagSwitch {
        long,
        aliases,
        help,
    }
}

/// Every boolean flag of rtpengine-ng-client, then the other flags the library knows that
/// apply to offer/answer. The flag sent is `Flag::from(long)`: a known flag in its canonical
/// spelling (and with its since-version), anything else as written.
pub(crate) const FLAG_SWITCHES: &[FlagSwitch] = &[
    // rtpengine-ng-client's boolean flags, in its order.
    sw("trust-address", &[], "Use the addresses in the SDP"),
    sw(
        "symmetric",
        &[],
        "Symmetric RTP (the default; 10.5 ignores it)",
    ),
    sw(
        "asymmetric",
        &[],
        "Never learn endpoints from received media",
    ),
    sw("unidirectional", &[], "Let one-way media kernelize"),
    sw("force", &[], "Legacy flag 'force' (sent as is)"),
    sw("strict-source", &[], "Drop media from unexpected sources"),
    sw("media-handover", &[], "Allow the media endpoint to change"),
    sw("reset", &[], "Reset the negotiated state (offer)"),
    sw(
        "port-latching",
        &[],
        "Keep the ports of the previous negotiation",
    ),
    sw("no-rtcp-attribute", &[], "Do not add a=rtcp"),
    sw("full-rtcp-attribute", &[], "Add a=rtcp with an address"),
    sw(
        "loop-protect",
        &[],
        "Mark the SDP (a=rtpengine) to detect loops",
    ),
    sw(
        "record-call",
        &[],
        "Record the call (also sets 'record call: yes')",
    ),
    sw("always-transcode", &[], "Transcode to every offered codec"),
    sw("SIPREC", &["siprec"], "SIPREC subscription"),
    sw("pad-crypto", &[], "Pad SDES keys"),
    sw("generate-mid", &[], "Add a=mid lines"),
    sw("fragment", &[], "The SDP is a trickle-ICE fragment"),
    sw(
        "original-sendrecv",
        &[],
        "Keep the original direction attribute",
    ),
    sw(
        "symmetric-codecs",
        &[],
        "Legacy flag (ignored by rtpengine)",
    ),
    sw(
        "asymmetric-codecs",
        &[],
        "Legacy flag (ignored by rtpengine)",
    ),
    sw("inject-DTMF", &["inject-dtmf"], "Enable DTMF injection"),
    sw("detect-DTMF", &["detect-dtmf"], "Detect DTMF events"),
    sw(
        "generate-RTCP",
        &["generate-rtcp"],
        "Generate RTCP (flag form)",
    ),
    sw("single-codec", &[], "Answer with a single codec"),
    sw(
        "no-codec-renegotiation",
        &["reuse-codecs"],
        "Keep codecs across re-negotiations (flag 'reuse codecs')",
    ),
    sw(
        "pierce-NAT",
        &["pierce-nat"],
        "Send packets to open NAT pinholes",
    ),
    sw(
        "SIP-source-address",
        &["sip-source-address"],
        "Use the SIP source address instead of the SDP's",
    ),
    sw(
        "allow-transcoding",
        &[],
        "Allow transcoding (subscribe answer)",
    ),
    sw("force-transcoding", &[], "Force transcoding (13.3)"),
    sw("trickle-ICE", &["trickle-ice"], "Trickle ICE"),
    sw("reject-ICE", &["reject-ice"], "Reject ICE"),
    sw("egress", &[], "Egress (subscribe request)"),
    sw("no-jitter-buffer", &[], "Disable the jitter buffer"),
    sw(
        "passthrough",
        &[],
        "Pass media through unchanged (flag form)",
    ),
    sw("no-passthrough", &[], "Never pass media through"),
    sw("pause", &[], "Flag 'pause' (sent as is)"),
    sw("early-media", &[], "Early media (11.3)"),
    sw("block-short", &[], "Block short DTMF events (12.0)"),
    sw(
        "recording-vsc",
        &["recording-VSC"],
        "Recording control by DTMF codes (12.3)",
    ),
    sw(
        "block-egress",
        &[],
        "Block egress media while playing (12.3)",
    ),
    sw(
        "directional",
        &[],
        "Honour the from-tag of selections (12.4)",
    ),
    sw(
        "allow-no-codec-media",
        &[],
        "Allow media sections without codecs (13.1)",
    ),
    // Other flags of the library's catalogue that apply to SDP commands.
    sw(
        "no-port-latching",
        &[],
        "Never keep ports across negotiations",
    ),
    sw(
        "NAT-wait",
        &["nat-wait"],
        "Wait for media before learning a NATed endpoint",
    ),
    sw("strip-extmap", &[], "Remove a=extmap lines"),
    sw("debug", &["debugging"], "Debug logging for this call"),
    sw(
        "no-redis-update",
        &[],
        "Do not replicate this update to redis",
    ),
    sw(
        "RTCP-mirror",
        &["rtcp-mirror", "mirror-RTCP"],
        "Mirror RTCP to the subscriber",
    ),
    sw("inactive", &[], "Inactive media (11.3)"),
    sw("discard-recording", &[], "Discard the recording (11.4)"),
    sw(
        "exclude-recording",
        &[],
        "Exclude this party from recording (11.4; 11.1.1.12, 11.2.1.10, 11.3.1.5)",
    ),
    sw(
        "allow-asymmetric-codecs",
        &[],
        "Allow asymmetric codecs (11.5)",
    ),
    sw(
        "static-codecs",
        &[],
        "Keep the codec list static (12.2; 11.3.1.13, 11.5.1.17, 12.0.1.4, 12.1.1.3)",
    ),
    sw(
        "block-DTMF",
        &["block-dtmf"],
        "Start with DTMF blocked (12.3)",
    ),
    sw(
        "recording-announcement",
        &[],
        "Recording announcement (12.3)",
    ),
    sw(
        "skip-recording-db",
        &[],
        "Skip the recording database (12.3)",
    ),
    sw("WebRTC", &["webrtc"], "WebRTC defaults (12.5)"),
    sw("new-branch", &[], "A new SIP branch (13.1)"),
    sw("provisional", &[], "A provisional answer (13.1)"),
    sw("recrypt", &[], "Re-encrypt (13.4; 12.5.1.46)"),
];

/// A boolean switch adding one entry to the `replace` list.
#[derive(Debug)]
pub(crate) struct ReplaceSwitch {
    /// The option name (also the clap id).
    pub(crate) long: &'static str,
    /// Other accepted spellings (hidden).
    pub(crate) aliases: &'static [&'static str],
    /// The `replace` value, parsed with `Replace::from`.
    pub(crate) value: &'static str,
    /// The help line.
    pub(crate) help: &'static str,
}

/// The `--replace-*` switches.
pub(crate) const REPLACE_SWITCHES: &[ReplaceSwitch] = &[
    ReplaceSwitch {
        long: "replace-origin",
        aliases: &[],
        value: "origin",
        help: "Rewrite the o= line address",
    },
    ReplaceSwitch {
        long: "replace-session-connection",
        aliases: &[],
        value: "session connection",
        help: "Rewrite the session-level c= line",
    },
    ReplaceSwitch {
        long: "replace-sdp-version",
        aliases: &["replace-SDP-version"],
        value: "SDP version",
        help: "Increase the o= version when the SDP changed",
    },
    ReplaceSwitch {
        long: "replace-username",
        aliases: &[],
        value: "username",
        help: "Replace the o= username",
    },
    ReplaceSwitch {
        long: "replace-session-name",
        aliases: &[],
        value: "session name",
        help: "Replace the s= line",
    },
    ReplaceSwitch {
        long: "replace-zero-address",
        aliases: &[],
        value: "zero address",
        help: "Replace a zero address",
    },
    ReplaceSwitch {
        long: "replace-force-increment-sdp-version",
        aliases: &["replace-force-increment-sdp-ver"],
        value: "force-increment-sdp-ver",
        help: "Always increase the o= version (11.2)",
    },
    ReplaceSwitch {
        long: "replace-origin-full",
        aliases: &[],
        value: "origin-full",
        help: "Rewrite the whole o= line (12.5)",
    },
];

/// The heading of the boolean switches in `--help`.
const FLAGS_HEADING: &str = "Flags (each adds an entry to 'flags')";

/// The boolean switches of offer/answer, built from the two tables.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Switches {
    /// The flags set, in table order.
    pub(crate) flags: Vec<Flag>,
    /// The replace values set, in table order.
    pub(crate) replace: Vec<Replace>,
}

impl FromArgMatches for Switches {
    fn from_arg_matches(m: &ArgMatches) -> Result<Self, clap::Error> {
        let set = |id: &str| m.try_get_one::<bool>(id).ok().flatten() == Some(&true);
        Ok(Self {
            flags: FLAG_SWITCHES
                .iter()
                .filter(|s| set(s.long))
                .map(|s| Flag::from(s.long))
                .collect(),
            replace: REPLACE_SWITCHES
                .iter()
                .filter(|s| set(s.long))
                .map(|s| Replace::from(s.value))
                .collect(),
        })
    }

    fn update_from_arg_matches(&mut self, m: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(m)?;
        Ok(())
    }
}

impl Args for Switches {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        let flags = FLAG_SWITCHES.iter().map(|s| {
            Arg::new(s.long)
                .long(s.long)
                .aliases(s.aliases.iter().copied())
                .action(ArgAction::SetTrue)
                .help(s.help)
                .help_heading(FLAGS_HEADING)
        });
        let replace = REPLACE_SWITCHES.iter().map(|s| {
            Arg::new(s.long)
                .long(s.long)
                .aliases(s.aliases.iter().copied())
                .action(ArgAction::SetTrue)
                .help(format!("{} (replace: {})", s.help, s.value))
                .help_heading("Replace (each adds an entry to 'replace')")
        });
        cmd.args(flags).args(replace)
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        Self::augment_args(cmd)
    }
}

/// The options of `offer` and `answer`, named as in rtpengine-ng-client.
#[derive(Debug, Args)]
#[command(next_help_heading = "Offer/answer options")]
pub(crate) struct MediaArgs {
    /// Boolean flags and replace switches.
    #[command(flatten)]
    pub(crate) switches: Switches,

    // --- addressing and interfaces ---
    /// Logical interfaces media flows between: A,B (or given twice); `round-robin-calls`.
    #[arg(long, value_name = "A,B", value_delimiter = ',')]
    pub(crate) direction: Vec<String>,
    /// Where the SIP message came from: an IP address, or IP4:ADDR / IP6:ADDR (or, as
    /// rtpengine-ng-client takes it, the family and the address given twice).
    #[arg(long, value_name = "ADDR")]
    pub(crate) received_from: Vec<String>,
    /// Use this address in the rewritten SDP.
    #[arg(long, value_name = "ADDR")]
    pub(crate) media_address: Option<IpAddr>,
    /// Address family of the rewritten SDP: IP4 or IP6.
    #[arg(long, value_name = "FAMILY", value_parser = parse_family)]
    pub(crate) address_family: Option<AddressFamily>,
    /// The logical interface (publish, subscribe).
    #[arg(long, value_name = "NAME")]
    pub(crate) interface: Option<String>,
    /// The offerer's logical interface (split form of --direction; 12.5).
    #[arg(long, value_name = "NAME")]
    pub(crate) from_interface: Option<String>,
    /// The answerer's logical interface (split form of --direction; 12.5).
    #[arg(long, value_name = "NAME")]
    pub(crate) to_interface: Option<String>,
    /// Pick the interface by the route to this address (14.1).
    #[arg(long, value_name = "ADDR")]
    pub(crate) peer: Option<IpAddr>,
    /// Pick the inbound interface by the route to this address (14.1).
    #[arg(long, value_name = "ADDR")]
    pub(crate) inbound_peer: Option<IpAddr>,
    /// Pick the outbound interface by the route to this address (14.1).
    #[arg(long, value_name = "ADDR")]
    pub(crate) outbound_peer: Option<IpAddr>,
    /// Where to send the call-timeout callback (an IP address).
    #[arg(long, value_name = "ADDR")]
    pub(crate) xmlrpc_callback: Option<IpAddr>,

    // --- transport, ICE, crypto, RTCP ---
    /// Transport protocol of the rewritten SDP, e.g. RTP/AVP, RTP/SAVP, RTP/AVPF, RTP/SAVPF.
    #[arg(
        long,
        visible_alias = "transport-protocol",
        value_name = "PROTO",
        value_parser = parse_protocol
    )]
    pub(crate) protocol: Option<TransportProtocol>,
    /// ICE handling: remove, force, default, optional, force-relay.
    #[arg(long = "ICE", visible_alias = "ice", value_name = "MODE", value_parser = parse_ice)]
    pub(crate) ice: Option<Ice>,
    /// ICE-lite (offer): forward, backward, both, off.
    #[arg(long = "ICE-lite", visible_alias = "ice-lite", value_name = "MODE")]
    pub(crate) ice_lite: Option<String>,
    /// DTLS handling: off, passive, active.
    #[arg(long = "DTLS", visible_alias = "dtls", value_name = "MODE", value_parser = parse_dtls)]
    pub(crate) dtls: Option<Dtls>,
    /// DTLS role towards the offerer: passive, active.
    #[arg(
        long = "DTLS-reverse",
        visible_alias = "dtls-reverse",
        value_name = "ROLE"
    )]
    pub(crate) dtls_reverse: Option<String>,
    /// DTLS fingerprint hash: SHA-1, SHA-224, SHA-256, SHA-384, SHA-512.
    #[arg(
        long = "DTLS-fingerprint",
        visible_alias = "dtls-fingerprint",
        value_name = "HASH"
    )]
    pub(crate) dtls_fingerprint: Option<String>,
    /// SDES option, e.g. off, unencrypted_srtp, no-AES_CM_128_HMAC_SHA1_32 (repeatable).
    #[arg(long = "SDES", visible_alias = "sdes", value_name = "OPT", value_parser = parse_sdes)]
    pub(crate) sdes: Vec<Sdes>,
    /// Opportunistic SRTP: offer, accept, offer-RFC, offer-legacy, … (repeatable).
    #[arg(long = "OSRTP", visible_alias = "osrtp", value_name = "MODE")]
    pub(crate) osrtp: Vec<String>,
    /// rtcp-mux handling: offer, demux, accept, reject, require (repeatable).
    #[arg(long, value_name = "MODE", value_parser = parse_rtcp_mux)]
    pub(crate) rtcp_mux: Vec<RtcpMux>,
    /// The key form of 'generate RTCP': on or off (--generate-RTCP is the flag form).
    #[arg(
        long = "generate-RTCP-mode",
        visible_alias = "generate-rtcp-mode",
        value_name = "on|off"
    )]
    pub(crate) generate_rtcp_mode: Option<String>,
    /// The key form of 'passthrough': on or off (--passthrough is the flag form).
    #[arg(long, value_name = "on|off")]
    pub(crate) passthrough_mode: Option<String>,
    /// Endpoint learning: off, immediate, delayed, heuristic.
    #[arg(long, value_name = "MODE")]
    pub(crate) endpoint_learning: Vec<String>,
    /// BUNDLE handling: accept, offer, require, strict, reject (repeatable; 14.0).
    #[arg(long, value_name = "MODE")]
    pub(crate) bundle: Vec<String>,
    /// TOS value of the media packets rtpengine sends (0-255).
    #[arg(long = "TOS", visible_alias = "tos", value_name = "N")]
    pub(crate) tos: Option<u8>,

    // --- codecs and media ---
    /// Remove this codec (repeatable; codec: strip).
    #[arg(long, value_name = "CODEC")]
    pub(crate) codec_strip: Vec<String>,
    /// Offer this codec (repeatable; codec: offer).
    #[arg(long, value_name = "CODEC")]
    pub(crate) codec_offer: Vec<String>,
    /// Transcode to this codec (repeatable; codec: transcode).
    #[arg(long, value_name = "CODEC")]
    pub(crate) codec_transcode: Vec<String>,
    /// Hide this codec from the other side (repeatable; codec: mask).
    #[arg(long, value_name = "CODEC")]
    pub(crate) codec_mask: Vec<String>,
    /// Set codec parameters (repeatable; codec: set).
    #[arg(long, value_name = "CODEC")]
    pub(crate) codec_set: Vec<String>,
    /// Consume this codec (repeatable; codec: consume).
    #[arg(long, value_name = "CODEC")]
    pub(crate) codec_consume: Vec<String>,
    /// Accept this codec in the answer (repeatable; codec: accept).
    #[arg(long, value_name = "CODEC")]
    pub(crate) codec_accept: Vec<String>,
    /// Keep this codec when stripping all (repeatable; codec: except).
    #[arg(long, value_name = "CODEC")]
    pub(crate) codec_except: Vec<String>,
    /// Leave this codec alone (repeatable; codec: ignore; 13.3).
    #[arg(long, value_name = "CODEC")]
    pub(crate) codec_ignore: Vec<String>,
    /// Send the --codec-* options as flags 'codec-OP-CODEC' instead of the 'codec' dictionary.
    #[arg(long)]
    pub(crate) codec_options_flat: bool,
    /// Packetization time in milliseconds (offer).
    #[arg(long, value_name = "MS")]
    pub(crate) ptime: Option<u32>,
    /// Packetization time towards the offerer in milliseconds (offer).
    #[arg(long, value_name = "MS")]
    pub(crate) ptime_reverse: Option<u32>,
    /// T.38 handling: decode, force, stop, no-ECM, no-V.17, …, FEC (repeatable; offer).
    #[arg(long = "T38", visible_aliases = ["T.38", "t38"], value_name = "OPT")]
    pub(crate) t38: Vec<String>,
    /// T.38 version (13.3; 12.5.1.26, 13.1.1.12, 13.2.1.8).
    #[arg(long = "T38-version", visible_alias = "t38-version", value_name = "N")]
    pub(crate) t38_version: Option<i64>,
    /// Media echo: blackhole, forward, backwards, both.
    #[arg(long, value_name = "MODE")]
    pub(crate) media_echo: Option<String>,
    /// Drop media: start, stop.
    #[arg(long, value_name = "start|stop")]
    pub(crate) drop_traffic: Option<String>,
    /// Remove media sections of this type: audio, video, text, application, message, image,
    /// other (repeatable; 13.1).
    #[arg(long, value_name = "TYPE")]
    pub(crate) sdp_media_remove: Vec<String>,
    /// Remove this RTP header extension, or all (repeatable; 14.0).
    #[arg(long, value_name = "EXT")]
    pub(crate) extmap_strip: Vec<String>,
    /// Hide this RTP header extension from the other side, or all (repeatable; 14.0).
    #[arg(long, value_name = "EXT")]
    pub(crate) extmap_mask: Vec<String>,

    // --- SDP attributes (11.3) ---
    /// Add this session-level attribute (without a=; repeatable; 11.3).
    #[arg(long, value_name = "ATTR", help_heading = "SDP attributes (11.3)")]
    pub(crate) sdp_attr_global_add: Vec<String>,
    /// Remove this session-level attribute (repeatable).
    #[arg(long, value_name = "NAME", help_heading = "SDP attributes (11.3)")]
    pub(crate) sdp_attr_global_remove: Vec<String>,
    /// Replace session-level attribute FROM with TO (split at the first comma; repeatable).
    #[arg(long, value_name = "FROM,TO", value_parser = parse_substitution, help_heading = "SDP attributes (11.3)")]
    pub(crate) sdp_attr_global_substitute: Vec<(String, String)>,
    /// Add this attribute when the SDP has no media section (repeatable).
    #[arg(long, value_name = "ATTR", help_heading = "SDP attributes (11.3)")]
    pub(crate) sdp_attr_none_add: Vec<String>,
    /// Remove this attribute when the SDP has no media section (repeatable).
    #[arg(long, value_name = "NAME", help_heading = "SDP attributes (11.3)")]
    pub(crate) sdp_attr_none_remove: Vec<String>,
    /// Replace FROM with TO when the SDP has no media section (repeatable).
    #[arg(long, value_name = "FROM,TO", value_parser = parse_substitution, help_heading = "SDP attributes (11.3)")]
    pub(crate) sdp_attr_none_substitute: Vec<(String, String)>,
    /// Add this attribute to audio sections (repeatable).
    #[arg(long, value_name = "ATTR", help_heading = "SDP attributes (11.3)")]
    pub(crate) sdp_attr_audio_add: Vec<String>,
    /// Remove this attribute from audio sections (repeatable).
    #[arg(long, value_name = "NAME", help_heading = "SDP attributes (11.3)")]
    pub(crate) sdp_attr_audio_remove: Vec<String>,
    /// Replace FROM with TO in audio sections (repeatable).
    #[arg(long, value_name = "FROM,TO", value_parser = parse_substitution, help_heading = "SDP attributes (11.3)")]
    pub(crate) sdp_attr_audio_substitute: Vec<(String, String)>,
    /// Add this attribute to video sections (repeatable).
    #[arg(long, value_name = "ATTR", help_heading = "SDP attributes (11.3)")]
    pub(crate) sdp_attr_video_add: Vec<String>,
    /// Remove this attribute from video sections (repeatable).
    #[arg(long, value_name = "NAME", help_heading = "SDP attributes (11.3)")]
    pub(crate) sdp_attr_video_remove: Vec<String>,
    /// Replace FROM with TO in video sections (repeatable).
    #[arg(long, value_name = "FROM,TO", value_parser = parse_substitution, help_heading = "SDP attributes (11.3)")]
    pub(crate) sdp_attr_video_substitute: Vec<(String, String)>,

    // --- labels, recording, misc ---
    /// Label of the party this message comes from.
    #[arg(long, visible_alias = "from-label", value_name = "LABEL")]
    pub(crate) label: Option<String>,
    /// Label to give the party (subscribe request: the subscriber).
    #[arg(long, value_name = "LABEL")]
    pub(crate) set_label: Option<String>,
    /// Label of the party media flows towards (11.1; 10.5 and 11.0 read it as set-label).
    #[arg(long, value_name = "LABEL")]
    pub(crate) to_label: Option<String>,
    /// Free-text metadata (e.g. key:value|key:value for recordings).
    #[arg(long, value_name = "TEXT")]
    pub(crate) metadata: Option<String>,
    /// Where a recording goes.
    #[arg(long, value_name = "PATH")]
    pub(crate) output_destination: Option<String>,
    /// The recording's file name (12.2).
    #[arg(long, value_name = "NAME")]
    pub(crate) recording_file: Option<String>,
    /// The recording's directory (12.2).
    #[arg(long, value_name = "DIR")]
    pub(crate) recording_dir: Option<String>,
    /// The recording's file name pattern (12.2).
    #[arg(long, value_name = "PATTERN")]
    pub(crate) recording_pattern: Option<String>,
    /// Where DTMF events are logged (11.3).
    #[arg(
        long = "DTMF-log-dest",
        visible_alias = "dtmf-log-dest",
        value_name = "DEST"
    )]
    pub(crate) dtmf_log_dest: Option<String>,
    /// Tell rtpengine the client understands 'load limit' replies: load-limit (repeatable).
    #[arg(long, value_name = "FEATURE")]
    pub(crate) supports: Vec<String>,
    /// A flags string rtpengine parses itself (12.4).
    #[arg(long, value_name = "TEXT")]
    pub(crate) rtpp_flags: Option<String>,
    /// A named option template from rtpengine's configuration (13.1).
    #[arg(long, value_name = "NAME")]
    pub(crate) template: Option<String>,
    /// How alias keys are built: off, SDP, address (26.0).
    #[arg(long, value_name = "MODE")]
    pub(crate) alias_key: Option<String>,
    /// The SIP message type this SDP came with: request or reply (12.4).
    #[arg(
        long = "SIP-message-type",
        visible_alias = "sip-message-type",
        value_name = "TYPE"
    )]
    pub(crate) sip_message_type: Option<String>,
    /// The SIP response code this SDP came with (13.1).
    #[arg(long = "SIP-code", visible_alias = "sip-code", value_name = "CODE")]
    pub(crate) sip_code: Option<i64>,

    // --- music on hold (13.2) ---
    /// Music on hold from this media file (13.2).
    #[arg(long, value_name = "PATH", help_heading = "Music on hold (13.2)")]
    pub(crate) moh_file: Option<String>,
    /// Music on hold from this local file's bytes, sent in the request (moh: blob).
    #[arg(
        long,
        visible_alias = "blob-file",
        value_name = "PATH",
        help_heading = "Music on hold (13.2)"
    )]
    pub(crate) moh_blob_file: Option<PathBuf>,
    /// Music on hold from this media database id.
    #[arg(long, value_name = "ID", help_heading = "Music on hold (13.2)")]
    pub(crate) moh_db_id: Option<i64>,
    /// Music on hold direction attribute: sendonly, sendrecv, reflect.
    #[arg(long, value_name = "MODE", help_heading = "Music on hold (13.2)")]
    pub(crate) moh_mode: Option<String>,
    /// Music on hold connection: zero (send a zero connection address).
    #[arg(long, value_name = "zero", help_heading = "Music on hold (13.2)")]
    pub(crate) moh_connection: Option<String>,

    /// Raw flags and keys.
    #[command(flatten)]
    pub(crate) raw: RawArgs,
}

/// Parses `FROM,TO` of the `--sdp-attr-*-substitute` options (split at the first comma, so TO
/// may hold commas).
fn parse_substitution(s: &str) -> Result<(String, String), String> {
    match s.split_once(',') {
        Some((from, to)) if !from.is_empty() && !to.is_empty() => {
            Ok((from.to_owned(), to.to_owned()))
        }
        _ => Err("expected FROM,TO (two attributes, split at the first comma)".to_owned()),
    }
}

/// Turns the values of `--received-from` into the option: one value (`ADDR`, `IP4:ADDR`), or
/// the family and the address as two values (rtpengine-ng-client's list form).
fn received_from(values: &[String]) -> Result<Option<ReceivedFrom>, String> {
    let parsed = match values {
        [] => return Ok(None),
        [one] => parse_received_from(one),
        [family, addr] => parse_received_from(&format!("{family}:{addr}")),
        _ => Err("expected one address, or a family and an address".to_owned()),
    };
    parsed
        .map(Some)
        .map_err(|e| format!("--received-from {}: {e}", values.join(" ")))
}

/// Fills one `sdp-attr` section. A macro rather than a function because the library does not
/// export the section type's name yet.
macro_rules! sdp_attr_section {
    ($section:expr, $add:expr, $remove:expr, $substitute:expr) => {{
        let section = &mut $section;
        section.add.extend($add.iter().cloned());
        section.remove.extend($remove.iter().cloned());
        for (from, to) in $substitute {
            // The library does not export `Substitution` yet: it is decoded from its wire form
            // (a two-string list) through the public `Scalar` trait.
            let pair = Value::List(vec![Value::str(from), Value::str(to)]);
            match Scalar::decode(&pair) {
                Some(substitution) => section.substitute.push(substitution),
                None => return Err(format!("cannot substitute '{from}' with '{to}'")),
            }
        }
    }};
}

impl MediaArgs {
    /// Builds the library's options (without the music-on-hold blob, which is read from a file
    /// by the caller); `Err` is a usage error.
    pub(crate) fn to_options(&self, via_branch: Option<&str>) -> Result<OfferOptions, String> {
        let mut opts = OfferOptions::new();
        if let Some(branch) = via_branch {
            opts = opts.via_branch(branch);
        }

        // Flags, replace.
        for flag in &self.switches.flags {
            opts = opts.flag(flag.clone());
        }
        if self.switches.flags.contains(&Flag::RecordCall) {
            opts = opts.record_call(true);
        }
        for replace in &self.switches.replace {
            opts = opts.replace(replace.clone());
        }

        // Addressing and interfaces.
        if let Some(direction) = direction(&self.direction)? {
            opts = opts.direction(direction);
        }
        if let Some(from) = received_from(&self.received_from)? {
            opts = opts.received_from(from);
        }
        if let Some(addr) = self.media_address {
            opts = opts.media_address(addr);
        }
        if let Some(family) = &self.address_family {
            opts = opts.address_family(family.clone());
        }
        if let Some(v) = &self.interface {
            opts = opts.interface(v.as_str());
        }
        if let Some(v) = &self.from_interface {
            opts = opts.from_interface(v.as_str());
        }
        if let Some(v) = &self.to_interface {
            opts = opts.to_interface(v.as_str());
        }
        if let Some(v) = self.peer {
            opts = opts.peer(v);
        }
        if let Some(v) = self.inbound_peer {
            opts = opts.inbound_peer(v);
        }
        if let Some(v) = self.outbound_peer {
            opts = opts.outbound_peer(v);
        }
        if let Some(v) = self.xmlrpc_callback {
            opts = opts.xmlrpc_callback(v);
        }

        // Transport, ICE, crypto, RTCP.
        if let Some(proto) = &self.protocol {
            opts = opts.transport_protocol(proto.clone());
        }
        if let Some(ice) = &self.ice {
            opts = opts.ice(ice.clone());
        }
        if let Some(v) = &self.ice_lite {
            opts = opts.ice_lite(v.as_str());
        }
        if let Some(dtls) = &self.dtls {
            opts = opts.dtls(dtls.clone());
        }
        if let Some(v) = &self.dtls_reverse {
            opts = opts.dtls_reverse(v.as_str());
        }
        if let Some(v) = &self.dtls_fingerprint {
            opts = opts.dtls_fingerprint(v.as_str());
        }
        for sdes in &self.sdes {
            opts = opts.sdes(sdes.clone());
        }
        for v in &self.osrtp {
            opts = opts.osrtp(v.as_str());
        }
        for mux in &self.rtcp_mux {
            opts = opts.rtcp_mux(mux.clone());
        }
        if let Some(v) = &self.generate_rtcp_mode {
            opts = opts.generate_rtcp(v.as_str());
        }
        if let Some(v) = &self.passthrough_mode {
            opts = opts.passthrough(v.as_str());
        }
        for v in &self.endpoint_learning {
            opts = opts.endpoint_learning(v.as_str());
        }
        for v in &self.bundle {
            opts = opts.bundle(v.as_str());
        }
        if let Some(tos) = self.tos {
            opts = opts.tos(tos);
        }

        // Codecs and media.
        let codec_ops: [(&str, &Vec<String>); 9] = [
            ("strip", &self.codec_strip),
            ("offer", &self.codec_offer),
            ("transcode", &self.codec_transcode),
            ("mask", &self.codec_mask),
            ("set", &self.codec_set),
            ("consume", &self.codec_consume),
            ("accept", &self.codec_accept),
            ("except", &self.codec_except),
            ("ignore", &self.codec_ignore),
        ];
        if self.codec_options_flat {
            for (op, codecs) in codec_ops {
                for codec in codecs {
                    opts = opts.flag(Flag::from(format!("codec-{op}-{codec}").as_str()));
                }
            }
        } else {
            let codec = &mut opts.codec;
            codec.strip.extend(self.codec_strip.iter().cloned());
            codec.offer.extend(self.codec_offer.iter().cloned());
            codec.transcode.extend(self.codec_transcode.iter().cloned());
            codec.mask.extend(self.codec_mask.iter().cloned());
            codec.set.extend(self.codec_set.iter().cloned());
            codec.consume.extend(self.codec_consume.iter().cloned());
            codec.accept.extend(self.codec_accept.iter().cloned());
            codec.except.extend(self.codec_except.iter().cloned());
            codec.ignore.extend(self.codec_ignore.iter().cloned());
        }
        if let Some(v) = self.ptime {
            opts = opts.ptime(v);
        }
        if let Some(v) = self.ptime_reverse {
            opts = opts.ptime_reverse(v);
        }
        for v in &self.t38 {
            opts = opts.t38(v.as_str());
        }
        if let Some(v) = self.t38_version {
            opts = opts.t38_version(v);
        }
        if let Some(v) = &self.media_echo {
            opts = opts.media_echo(v.as_str());
        }
        if let Some(v) = &self.drop_traffic {
            opts = opts.drop_traffic(v.as_str());
        }
        for v in &self.sdp_media_remove {
            opts = opts.sdp_media_remove(v.as_str());
        }
        opts.extmap.strip.extend(self.extmap_strip.iter().cloned());
        opts.extmap.mask.extend(self.extmap_mask.iter().cloned());

        // SDP attributes.
        sdp_attr_section!(
            opts.sdp_attr.global,
            self.sdp_attr_global_add,
            self.sdp_attr_global_remove,
            &self.sdp_attr_global_substitute
        );
        sdp_attr_section!(
            opts.sdp_attr.none,
            self.sdp_attr_none_add,
            self.sdp_attr_none_remove,
            &self.sdp_attr_none_substitute
        );
        sdp_attr_section!(
            opts.sdp_attr.audio,
            self.sdp_attr_audio_add,
            self.sdp_attr_audio_remove,
            &self.sdp_attr_audio_substitute
        );
        sdp_attr_section!(
            opts.sdp_attr.video,
            self.sdp_attr_video_add,
            self.sdp_attr_video_remove,
            &self.sdp_attr_video_substitute
        );

        // Labels, recording, misc.
        if let Some(v) = &self.label {
            opts = opts.label(v.as_str());
        }
        if let Some(v) = &self.to_label {
            opts = opts.to_label(v.as_str());
        }
        if let Some(v) = &self.set_label {
            opts = opts.set_label(v.as_str());
        }
        if let Some(v) = &self.metadata {
            opts = opts.metadata(v.as_str());
        }
        if let Some(v) = &self.output_destination {
            opts = opts.output_destination(v.as_str());
        }
        if let Some(v) = &self.recording_file {
            opts = opts.recording_file(v.as_str());
        }
        if let Some(v) = &self.recording_dir {
            opts = opts.recording_dir(v.as_str());
        }
        if let Some(v) = &self.recording_pattern {
            opts = opts.recording_pattern(v.as_str());
        }
        if let Some(v) = &self.dtmf_log_dest {
            opts = opts.dtmf_log_dest(v.as_str());
        }
        for v in &self.supports {
            opts = opts.supports(v.as_str());
        }
        if let Some(v) = &self.rtpp_flags {
            opts = opts.rtpp_flags(v.as_str());
        }
        if let Some(v) = &self.template {
            opts = opts.template(v.as_str());
        }
        if let Some(v) = &self.alias_key {
            opts = opts.alias_key(v.as_str());
        }
        if let Some(v) = &self.sip_message_type {
            opts = opts.sip_message_type(v.as_str());
        }
        if let Some(v) = self.sip_code {
            opts = opts.sip_code(v);
        }

        // Music on hold (the blob is added by the caller).
        if let Some(v) = &self.moh_file {
            opts.moh.file = Some(v.clone());
        }
        if let Some(v) = self.moh_db_id {
            opts.moh.db_id = Some(v);
        }
        if let Some(v) = &self.moh_mode {
            opts.moh.mode = Some(v.as_str().into());
        }
        if let Some(v) = &self.moh_connection {
            opts.moh.connection = Some(v.clone());
        }

        // Escape hatches last: raw keys replace typed ones.
        self.raw.apply(&mut opts.raw);
        Ok(opts)
    }
}

/// The options of offer/answer (and the other SDP commands), with the music-on-hold blob read
/// from its file; `sdp` is where the command's SDP comes from, if it has one.
pub(crate) fn media_options(
    media: &MediaArgs,
    sdp: Option<&SdpSource>,
    via_branch: Option<&str>,
) -> Result<OfferOptions, Failure> {
    let stdin = Path::new("-");
    let sdp_from_stdin = sdp.is_some_and(|s| s.sdp_file.as_deref() == Some(stdin));
    if media.moh_blob_file.as_deref() == Some(stdin) && sdp_from_stdin {
        return Err(Failure::new(
            EXIT_USAGE,
            "--sdp-file and --moh-blob-file cannot both read standard input",
        ));
    }
    let mut options = media
        .to_options(via_branch)
        .map_err(|msg| Failure::new(EXIT_USAGE, msg))?;
    if let Some(path) = &media.moh_blob_file {
        let blob = read_input(path).map_err(|e| {
            Failure::new(
                EXIT_OTHER,
                format!(
                    "cannot read the music-on-hold blob from {}: {e}",
                    describe(path)
                ),
            )
        })?;
        options.moh.blob = Some(Bytes::from(blob));
    }
    Ok(options)
}

/// The interface name that asks for round-robin selection per call.
const ROUND_ROBIN_CALLS: &str = "round-robin-calls";

/// Turns the values of `--direction` (split at commas, every occurrence) into a direction.
pub(crate) fn direction(values: &[String]) -> Result<Option<Direction>, String> {
    match values {
        [] => Ok(None),
        [one] if one == ROUND_ROBIN_CALLS => Ok(Some(Direction::RoundRobinCalls)),
        [a, b] if a == ROUND_ROBIN_CALLS && b == ROUND_ROBIN_CALLS => {
            Ok(Some(Direction::RoundRobinCalls))
        }
        [a, b] if !a.is_empty() && !b.is_empty() => Ok(Some(Direction::new(a, b))),
        _ => Err(format!(
            "--direction needs two interface names, as A,B or given twice (or \
             '{ROUND_ROBIN_CALLS}'); got {values:?}"
        )),
    }
}

/// Parses `--received-from`: `ADDR`, `IP4:ADDR`, `IP6:ADDR` (or with a space instead of `:`).
pub(crate) fn parse_received_from(s: &str) -> Result<ReceivedFrom, String> {
    let s = s.trim();
    if let Ok(addr) = s.parse::<IpAddr>() {
        return Ok(ReceivedFrom::from(addr));
    }
    let family = s.get(..3).map(str::to_ascii_uppercase);
    let rest = s
        .get(4..)
        .filter(|_| matches!(s.as_bytes().get(3), Some(b':' | b' ')));
    let (Some(family), Some(rest)) = (family, rest) else {
        return Err("expected an IP address, IP4:ADDR or IP6:ADDR".to_owned());
    };
    let rest = rest.trim();
    let text = rest
        .strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .unwrap_or(rest);
    let addr: IpAddr = text
        .parse()
        .map_err(|_| format!("'{text}' is not an IP address"))?;
    let family = match family.as_str() {
        "IP4" => AddressFamily::Ip4,
        "IP6" => AddressFamily::Ip6,
        other => return Err(format!("unknown address family '{other}' (IP4 or IP6)")),
    };
    if family != AddressFamily::of(&addr) {
        return Err(format!("'{addr}' is not an {family} address"));
    }
    Ok(ReceivedFrom::new(family, addr.to_string()))
}

/// Parses `--ICE`.
pub(crate) fn parse_ice(s: &str) -> Result<Ice, String> {
    known(s, "remove, force, force-relay", |v| {
        matches!(v, Ice::Other(_))
    })
}

/// Parses `--DTLS`.
pub(crate) fn parse_dtls(s: &str) -> Result<Dtls, String> {
    known(s, "off, passive, active", |v| matches!(v, Dtls::Other(_)))
}

/// Parses `--address-family`.
pub(crate) fn parse_family(s: &str) -> Result<AddressFamily, String> {
    known(s, "IP4, IP6", |v| matches!(v, AddressFamily::Other(_)))
}

/// Parses `--rtcp-mux`.
pub(crate) fn parse_rtcp_mux(s: &str) -> Result<RtcpMux, String> {
    known(s, "offer, demux, accept, reject, require", |v| {
        matches!(v, RtcpMux::Other(_))
    })
}

/// Parses `--protocol`: the known profiles in their canonical spelling, anything else as written.
pub(crate) fn parse_protocol(s: &str) -> Result<TransportProtocol, String> {
    if s.is_empty() {
        return Err("empty transport protocol".to_owned());
    }
    match s.parse::<TransportProtocol>() {
        Ok(v) => Ok(v),
        Err(never) => match never {},
    }
}

/// Parses `--SDES`: the known options, anything else (e.g. suite names) as written.
pub(crate) fn parse_sdes(s: &str) -> Result<Sdes, String> {
    if s.is_empty() {
        return Err("empty SDES option".to_owned());
    }
    match s.parse::<Sdes>() {
        Ok(v) => Ok(v),
        Err(never) => match never {},
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use crate::common::global::DEFAULT_TIMEOUT_MS;
    use crate::common::render::json_text;
    use clap::Parser;
    use rtpengine_client::bencode::{decode, Encoder};
    use rtpengine_client::message::Version;

    /// The boolean flags of rtpengine-ng-client (its `--help`, in its order).
    const NG_CLIENT_FLAGS: &[&str] = &[
        "trust-address",
        "symmetric",
        "asymmetric",
        "unidirectional",
        "force",
        "strict-source",
        "media-handover",
        "reset",
        "port-latching",
        "no-rtcp-attribute",
        "full-rtcp-attribute",
        "loop-protect",
        "record-call",
        "always-transcode",
        "SIPREC",
        "pad-crypto",
        "generate-mid",
        "fragment",
        "original-sendrecv",
        "symmetric-codecs",
        "asymmetric-codecs",
        "inject-DTMF",
        "detect-DTMF",
        "generate-RTCP",
        "single-codec",
        "no-codec-renegotiation",
        "pierce-NAT",
        "SIP-source-address",
        "allow-transcoding",
        "force-transcoding",
        "trickle-ICE",
        "reject-ICE",
        "egress",
        "no-jitter-buffer",
        "passthrough",
        "no-passthrough",
        "pause",
        "early-media",
        "block-short",
        "recording-vsc",
        "block-egress",
        "directional",
        "allow-no-codec-media",
    ];

    /// Flags of rtpengine-ng-client the library has no variant for (sent as written).
    const UNTYPED: &[&str] = &["force", "pause"];

    /// Parses `rtpe offer --call-id c --from-tag f --sdp v=0 ARGS…` and returns its options.
    fn offer_options(args: &[&str]) -> Result<OfferOptions, String> {
        let mut argv = vec![
            "rtpe",
            "offer",
            "--call-id",
            "c",
            "--from-tag",
            "f",
            "--sdp",
            "v=0",
        ];
        argv.extend_from_slice(args);
        let cli = Cli::try_parse_from(argv).map_err(|e| e.to_string())?;
        let Command::Offer(offer) = cli.command else {
            panic!("not an offer")
        };
        offer.media.to_options(None)
    }

    /// The options as the JSON of the dictionary they encode to (compared as JSON values, so
    /// the order of the library's fields does not matter).
    fn wire(opts: &OfferOptions) -> serde_json::Value {
        let mut out = Vec::new();
        let mut enc = Encoder::new(&mut out);
        enc.dict();
        opts.encode_keys(&mut enc);
        enc.end();
        match decode(&out).expect("valid bencode").to_owned_value() {
            Value::Dict(d) => serde_json::from_str(&json_text(&d)).expect("JSON"),
            other => panic!("not a dictionary: {other:?}"),
        }
    }

    #[test]
    fn every_ng_client_flag_is_a_switch() {
        for name in NG_CLIENT_FLAGS {
            let opts =
                offer_options(&[&format!("--{name}")]).unwrap_or_else(|e| panic!("--{name}: {e}"));
            assert_eq!(opts.flags, [Flag::from(*name)], "--{name}");
            let typed = !matches!(opts.flags[0], Flag::Other(_));
            assert_eq!(typed, !UNTYPED.contains(name), "--{name}: {:?}", opts.flags);
        }
        // Lower-case aliases of the upper-case spellings.
        let opts = offer_options(&["--sip-source-address", "--inject-dtmf", "--siprec"]).unwrap();
        assert_eq!(
            opts.flags,
            [Flag::Siprec, Flag::InjectDtmf, Flag::SipSourceAddress]
        );
        // The table has no duplicate.
        for (i, a) in FLAG_SWITCHES.iter().enumerate() {
            for b in &FLAG_SWITCHES[i + 1..] {
                assert_ne!(Flag::from(a.long), Flag::from(b.long), "{}", a.long);
            }
        }
    }

    #[test]
    fn switches_map_to_flags_and_replace() {
        let opts = offer_options(&[
            "--loop-protect",
            "--no-codec-renegotiation",
            "--record-call",
            "--force",
            "--replace-origin",
            "--replace-session-name",
            "--replace-force-increment-sdp-version",
            "--replace-sdp-version",
            "--replace-username",
            "--replace-zero-address",
            "--replace-session-connection",
            "--replace-origin-full",
        ])
        .unwrap();
        assert_eq!(
            opts.flags,
            // Table order.
            [
                Flag::Other("force".into()),
                Flag::LoopProtect,
                Flag::RecordCall,
                Flag::ReuseCodecs,
            ]
        );
        assert_eq!(opts.record_call, Some(rtpengine_client::RecordCall::Yes));
        assert_eq!(
            opts.replace,
            [
                Replace::Origin,
                Replace::SessionConnection,
                Replace::SdpVersion,
                Replace::Username,
                Replace::SessionName,
                Replace::ZeroAddress,
                Replace::ForceIncrementSdpVersion,
                Replace::OriginFull,
            ]
        );
    }

    #[test]
    fn value_options_fill_the_typed_catalogue() {
        let opts = offer_options(&[
            "--codec-strip=PCMA",
            "--codec-strip=G722",
            "--codec-offer=PCMU",
            "--codec-transcode=opus",
            "--codec-mask=G729",
            "--codec-set=PCMU/8000",
            "--codec-consume=GSM",
            "--codec-accept=PCMA",
            "--codec-except=PCMU",
            "--sdp-attr-global-add=foo:bar",
            "--sdp-attr-audio-remove=ptime",
            "--sdp-attr-video-substitute=a,b,c",
            "--label=caller",
            "--to-label=callee",
            "--interface=pub",
            "--xmlrpc-callback=192.0.2.9",
            "--ICE-lite=fwd",
            "--DTLS-fingerprint=sha-256",
            "--DTLS-reverse=active",
            "--OSRTP=offer",
            "--T.38=decode",
            "--generate-RTCP-mode=on",
            "--passthrough-mode=off",
            "--endpoint-learning=heuristic",
            "--ptime=30",
            "--ptime-reverse=20",
            "--media-echo=both",
            "--drop-traffic=start",
            "--supports=load limit",
            "--output-destination=/tmp/x",
            "--metadata=k:v",
            "--moh-file=/m.wav",
            "--moh-mode=sendonly",
            "--moh-db-id=7",
            "--moh-connection=zero",
        ])
        .unwrap();
        let expected: serde_json::Value = serde_json::from_str(
            r#"{"metadata":"k:v","label":"caller","to-label":"callee","interface":"pub","xmlrpc-callback":"192.0.2.9","ICE-lite":"forward","DTLS-reverse":"active","DTLS-fingerprint":"SHA-256","OSRTP":["offer"],"generate RTCP":"on","endpoint-learning":["heuristic"],"passthrough":"off","codec":{"strip":["PCMA","G722"],"offer":["PCMU"],"except":["PCMU"],"transcode":["opus"],"mask":["G729"],"set":["PCMU/8000"],"accept":["PCMA"],"consume":["GSM"]},"T.38":["decode"],"ptime":30,"ptime-reverse":20,"media echo":"both","drop-traffic":"start","supports":["load limit"],"output-destination":"/tmp/x","sdp-attr":{"global":{"add":["foo:bar"]},"audio":{"remove":["ptime"]},"video":{"substitute":[["a","b,c"]]}},"moh":{"file":"/m.wav","db-id":7,"mode":"sendonly","connection":"zero"}}"#,
        )
        .unwrap();
        assert_eq!(wire(&opts), expected);
    }

    #[test]
    fn codec_options_flat_become_flags() {
        let opts = offer_options(&[
            "--codec-options-flat",
            "--codec-strip=PCMA",
            "--codec-transcode=opus",
        ])
        .unwrap();
        assert_eq!(
            opts.flags,
            [
                Flag::Other("codec-strip-PCMA".into()),
                Flag::Other("codec-transcode-opus".into())
            ]
        );
        assert!(opts.codec.strip.is_empty() && opts.codec.transcode.is_empty());
        assert_eq!(
            wire(&opts),
            serde_json::json!({"flags": ["codec-strip-PCMA", "codec-transcode-opus"]})
        );
    }

    #[test]
    fn newer_options_carry_their_release() {
        // The release is the library's business (its key table); what is checked here is that
        // each option lands on its key, so the library's version gate sees it.
        let since_of = |key: &str| {
            OfferOptions::KEYS
                .iter()
                .find(|(k, _, _)| *k == key)
                .map(|(_, _, since)| *since)
                .unwrap_or_else(|| panic!("no key {key:?} in the library"))
        };
        let need = |args: &[&str]| {
            offer_options(args)
                .unwrap()
                .requirements()
                .newest()
                .cloned()
                .unwrap_or_else(|| panic!("{args:?}: no requirement"))
        };
        assert!(
            offer_options(&["--trust-address", "--ICE=remove", "--codec-strip=PCMA"])
                .unwrap()
                .requirements()
                .is_empty()
        );
        for (args, key) in [
            (&["--sdp-attr-audio-add=foo:bar"][..], "sdp-attr"),
            (&["--from-interface=a"], "from-interface"),
            (&["--recording-dir=/r"], "recording-dir"),
            (&["--DTMF-log-dest=127.0.0.1:5"], "DTMF-log-dest"),
            (&["--rtpp-flags=strict-source"], "rtpp-flags"),
            (&["--sdp-media-remove=video"], "sdp-media-remove"),
            (&["--template=webrtc"], "template"),
            (&["--bundle=accept"], "bundle"),
            (&["--extmap-strip=all"], "extmap"),
            (&["--peer=192.0.2.1"], "peer"),
            (&["--moh-file=/m.wav"], "moh"),
            (&["--T38-version=1"], "T.38 version"),
            (&["--SIP-code=183"], "SIP-code"),
        ] {
            let req = need(args);
            assert!(req.what.contains(key), "{args:?}: {}", req.what);
            assert_eq!(req.since, since_of(key), "{args:?}");
            assert!(!req.since.met_by(Version::V10_5), "{args:?}");
        }
        // Values newer than their key.
        let req = need(&["--directional"]);
        assert!(req.what.contains("directional"), "{}", req.what);
        assert_eq!(req.since, Flag::Directional.since());
        let req = need(&["--replace-origin-full"]);
        assert!(req.what.contains("origin-full"), "{}", req.what);
        assert_eq!(req.since, Replace::OriginFull.since());
        let req = need(&["--OSRTP=offer-RFC"]);
        assert!(req.what.contains("offer-RFC"), "{}", req.what);
        let req = need(&["--codec-ignore=PCMA"]);
        assert!(req.what.contains("ignore"), "{}", req.what);
    }

    #[test]
    fn received_from_in_both_forms() {
        let want = Some(ReceivedFrom::new(AddressFamily::Ip4, "192.0.2.1"));
        for args in [
            &["--received-from=IP4:192.0.2.1"][..],
            &["--received-from=192.0.2.1"],
            &["--received-from=IP4", "--received-from=192.0.2.1"],
        ] {
            assert_eq!(offer_options(args).unwrap().received_from, want, "{args:?}");
        }
        for args in [
            &["--received-from=IP6", "--received-from=192.0.2.1"][..],
            &[
                "--received-from=a",
                "--received-from=b",
                "--received-from=c",
            ],
            &["--received-from=example.com"],
        ] {
            let err = offer_options(args).unwrap_err();
            assert!(err.contains("--received-from"), "{args:?}: {err}");
        }
    }

    #[test]
    fn bad_values_are_usage_errors() {
        assert!(offer_options(&["--sdp-attr-audio-substitute=nocomma"]).is_err());
        assert!(offer_options(&["--sdp-attr-audio-substitute=,x"]).is_err());
        assert!(offer_options(&["--xmlrpc-callback=not-an-ip"]).is_err());
        assert!(offer_options(&["--ptime=x"]).is_err());
        assert!(offer_options(&["--label=a", "--from-label=b"]).is_err());
    }

    #[test]
    fn directions() {
        let s = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(direction(&[]).unwrap(), None);
        assert_eq!(
            direction(&s(&["pub", "priv"])).unwrap(),
            Some(Direction::new("pub", "priv"))
        );
        assert_eq!(
            direction(&s(&["round-robin-calls"])).unwrap(),
            Some(Direction::RoundRobinCalls)
        );
        assert!(direction(&s(&["a"])).is_err());
        assert!(direction(&s(&["a", "b", "c"])).is_err());
        assert!(direction(&s(&["a", ""])).is_err());
    }

    #[test]
    fn received_from() {
        let rf = parse_received_from("192.0.2.1").unwrap();
        assert_eq!(
            (rf.family, rf.address.as_str()),
            (AddressFamily::Ip4, "192.0.2.1")
        );
        let rf = parse_received_from("IP6:2001:db8::1").unwrap();
        assert_eq!(
            (rf.family, rf.address.as_str()),
            (AddressFamily::Ip6, "2001:db8::1")
        );
        let rf = parse_received_from("ip4 10.0.0.1").unwrap();
        assert_eq!(rf.family, AddressFamily::Ip4);
        let rf = parse_received_from("IP6:[::1]").unwrap();
        assert_eq!(rf.address, "::1");
        assert!(parse_received_from("IP4:::1").is_err());
        assert!(parse_received_from("IP5:1.2.3.4").is_err());
        assert!(parse_received_from("example.com").is_err());
    }

    #[test]
    fn enums_and_keys() {
        assert_eq!(parse_ice("force-relay").unwrap(), Ice::ForceRelay);
        assert_eq!(parse_ice("REMOVE").unwrap(), Ice::Remove);
        assert!(parse_ice("sometimes").is_err());
        assert_eq!(parse_family("ip6").unwrap(), AddressFamily::Ip6);
        assert_eq!(
            parse_protocol("rtp/savp").unwrap(),
            TransportProtocol::RtpSavp
        );
        assert_eq!(
            parse_protocol("UDP/TLS/RTP/SAVPF").unwrap(),
            TransportProtocol::UdpTlsRtpSavpf
        );
    }

    #[test]
    fn parses_ng_client_spellings() {
        let cli = Cli::try_parse_from([
            "rtpe",
            "offer",
            "--call-id=c",
            "--from-tag=f",
            "--sdp=v=0",
            "--ICE=remove",
            "--TOS",
            "184",
            "--SDES",
            "off",
            "--sdes",
            "unencrypted_srtcp",
            "--direction",
            "a,b",
            "--rtcp-mux",
            "demux",
            "--record-call",
            "--flag",
            "loop protect",
            "--key",
            "label=x",
        ])
        .unwrap();
        let Command::Offer(offer) = cli.command else {
            panic!("not an offer")
        };
        let opts = offer.media.to_options(None).unwrap();
        assert_eq!(
            opts.ice,
            rtpengine_client::message::options::OneOrList(vec![Ice::Remove])
        );
        assert_eq!(opts.tos, Some(184));
        assert_eq!(opts.sdes, [Sdes::Off, Sdes::UnencryptedSrtcp]);
        assert_eq!(opts.direction, Some(Direction::new("a", "b")));
        assert_eq!(opts.flags, [Flag::RecordCall]);
        assert_eq!(opts.record_call, Some(rtpengine_client::RecordCall::Yes));
        assert_eq!(opts.raw.flags, ["loop protect"]);
        assert_eq!(cli.global.timeout, DEFAULT_TIMEOUT_MS);

        let cli = Cli::try_parse_from([
            "rtpe",
            "answer",
            "--call-id=c",
            "--from-tag=f",
            "--to-tag=t",
            "--sdp-file=-",
            "--direction",
            "pub",
            "--direction",
            "priv",
            "--received-from",
            "IP4:192.0.2.1",
            "--json",
            "--timeout",
            "250",
        ])
        .unwrap();
        let Command::Answer(answer) = cli.command else {
            panic!("not an answer")
        };
        let opts = answer.media.to_options(Some("z9hG4bK1")).unwrap();
        assert_eq!(opts.direction, Some(Direction::new("pub", "priv")));
        assert_eq!(opts.via_branch.as_deref(), Some("z9hG4bK1"));
        assert_eq!(
            opts.received_from,
            Some(ReceivedFrom::new(AddressFamily::Ip4, "192.0.2.1"))
        );
        assert!(cli.global.json);
        assert_eq!(cli.global.timeout, 250);
    }
}
