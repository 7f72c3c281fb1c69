//! The options of the SDP commands (offer, answer, publish, subscribe, create): the library's
//! [`OfferOptions`] catalogue as generated arguments ([`OptionArgs`]), plus what only the
//! command line has: `--codec-options-flat`, `--moh-blob-file`, rtpengine-ng-client's legacy
//! switches, the raw escape hatches, and `--record-call` also setting `record call: yes`.

use std::path::{Path, PathBuf};

use bytes::Bytes;
use clap::Args;
use rtpengine_client::{Flag, OfferOptions, RecordCall};

use crate::common::input::{describe, read_input, SdpSource};
use crate::common::options::{arg_id, OptionArgs};
use crate::common::{Failure, EXIT_OTHER, EXIT_USAGE};

/// The clap id of `--label` (subscribe-request's source group names it).
pub(crate) fn label_arg() -> String {
    arg_id("label")
}

/// rtpengine-ng-client's switches for flags rtpengine does not parse; sent as written.
const LEGACY_FLAGS: [&str; 2] = ["force", "pause"];

/// The options of the SDP commands.
#[derive(Debug, Args)]
pub(crate) struct MediaArgs {
    /// Send the --codec-* options as flags 'codec-OP-CODEC' instead of the 'codec' dictionary.
    #[arg(long, help_heading = "Offer/answer options")]
    pub(crate) codec_options_flat: bool,
    /// Music on hold from this local file's bytes, sent in the request (moh: blob; 13.2).
    #[arg(
        long,
        visible_alias = "blob-file",
        value_name = "PATH",
        help_heading = "Offer/answer options"
    )]
    pub(crate) moh_blob_file: Option<PathBuf>,
    /// Legacy flag 'force' of rtpengine-ng-client (sent as is; rtpengine ignores it).
    #[arg(long, help_heading = "Flags (each adds an entry to 'flags')")]
    pub(crate) force: bool,
    /// Legacy flag 'pause' of rtpengine-ng-client (sent as is).
    #[arg(long, help_heading = "Flags (each adds an entry to 'flags')")]
    pub(crate) pause: bool,
    /// The library's catalogue (last, so the command's own options keep their names).
    #[command(flatten)]
    pub(crate) options: OptionArgs<OfferOptions>,
}

impl MediaArgs {
    /// Builds the library's options (without the music-on-hold blob, which is read from a file
    /// by the caller). Values were checked when the arguments were parsed.
    pub(crate) fn to_options(&self, via_branch: Option<&str>) -> OfferOptions {
        let mut opts = self.options.options();
        if let Some(branch) = via_branch {
            opts = opts.via_branch(branch);
        }
        for (on, flag) in [self.force, self.pause].into_iter().zip(LEGACY_FLAGS) {
            if on {
                opts.raw.flags.push(flag.to_owned());
            }
        }
        // rtpengine-ng-client's --record-call sets both the flag and the key.
        if opts.flags.contains(&Flag::RecordCall) && opts.record_call.is_none() {
            opts.record_call = Some(RecordCall::Yes);
        }
        if self.codec_options_flat {
            let codec = std::mem::take(&mut opts.codec);
            let ops = [
                ("strip", codec.strip),
                ("offer", codec.offer),
                ("transcode", codec.transcode),
                ("mask", codec.mask),
                ("set", codec.set),
                ("consume", codec.consume),
                ("accept", codec.accept),
                ("except", codec.except),
                ("ignore", codec.ignore),
            ];
            for (op, codecs) in ops {
                for c in codecs {
                    opts = opts.flag(Flag::from(format!("codec-{op}-{c}").as_str()));
                }
            }
        }
        opts
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
    let mut options = media.to_options(via_branch);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use crate::common::global::DEFAULT_TIMEOUT_MS;
    use crate::common::render::json_text;
    use clap::Parser;
    use rtpengine_client::bencode::{decode, Encoder, Value};
    use rtpengine_client::{
        AddressFamily, Direction, Ice, ReceivedFrom, Replace, Sdes, TransportProtocol, Version,
    };

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
        Ok(offer.media.to_options(None))
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
            if UNTYPED.contains(name) {
                assert!(opts.flags.is_empty(), "--{name}: {:?}", opts.flags);
                assert_eq!(opts.raw.flags, [*name], "--{name}");
            } else {
                assert_eq!(opts.flags, [Flag::from(*name)], "--{name}");
                assert!(!matches!(opts.flags[0], Flag::Other(_)), "--{name}");
            }
        }
        // Lower-case aliases of the upper-case spellings.
        let opts = offer_options(&["--sip-source-address", "--inject-dtmf", "--siprec"]).unwrap();
        let mut flags = opts.flags;
        flags.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        assert_eq!(
            flags,
            [Flag::SipSourceAddress, Flag::Siprec, Flag::InjectDtmf]
        );
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
        // Catalogue order.
        let order = |text: &str| Flag::VALUES.iter().position(|v| v.text == text);
        let mut want = vec![Flag::LoopProtect, Flag::RecordCall, Flag::ReuseCodecs];
        want.sort_by_key(|f| order(f.as_str()));
        assert_eq!(opts.flags, want);
        assert_eq!(opts.raw.flags, ["force"]);
        assert_eq!(opts.record_call, Some(rtpengine_client::RecordCall::Yes));
        let mut replace: Vec<&str> = opts.replace.iter().map(Replace::as_str).collect();
        replace.sort_unstable();
        let all = [
            Replace::Origin,
            Replace::SessionConnection,
            Replace::SdpVersion,
            Replace::Username,
            Replace::SessionName,
            Replace::ZeroAddress,
            Replace::ForceIncrementSdpVersion,
            Replace::OriginFull,
        ];
        let mut want: Vec<&str> = all.iter().map(Replace::as_str).collect();
        want.sort_unstable();
        assert_eq!(replace, want);
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
            OfferOptions::OPTIONS
                .iter()
                .find(|o| o.key == key)
                .map(|o| o.since)
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
        let dir = |args: &[&str]| offer_options(args).map(|o| o.direction);
        assert_eq!(dir(&[]).unwrap(), None);
        assert_eq!(
            dir(&["--direction=pub", "--direction=priv"]).unwrap(),
            Some(Direction::new("pub", "priv"))
        );
        assert_eq!(
            dir(&["--direction=round-robin-calls"]).unwrap(),
            Some(Direction::RoundRobinCalls)
        );
        for bad in [
            &["--direction=a"][..],
            &["--direction=a", "--direction=b", "--direction=c"],
            &["--direction=a,"],
        ] {
            let err = dir(bad).unwrap_err();
            assert!(err.contains("--direction"), "{bad:?}: {err}");
        }
    }

    #[test]
    fn received_from() {
        let rf = |text: &str| {
            offer_options(&[&format!("--received-from={text}")]).map(|o| o.received_from.unwrap())
        };
        let got = rf("192.0.2.1").unwrap();
        assert_eq!(
            (got.family, got.address.as_str()),
            (AddressFamily::Ip4, "192.0.2.1")
        );
        let got = rf("IP6:2001:db8::1").unwrap();
        assert_eq!(
            (got.family, got.address.as_str()),
            (AddressFamily::Ip6, "2001:db8::1")
        );
        assert_eq!(rf("ip4 10.0.0.1").unwrap().family, AddressFamily::Ip4);
        assert_eq!(rf("IP6:[::1]").unwrap().address, "::1");
        assert!(rf("IP4:::1").is_err());
        assert!(rf("IP5:1.2.3.4").is_err());
        assert!(rf("example.com").is_err());
    }

    #[test]
    fn enums_and_keys() {
        let o = offer_options(&[
            "--ICE=REMOVE",
            "--address-family=ip6",
            "--protocol=rtp/savp",
        ])
        .unwrap();
        assert_eq!(o.ice.0, [Ice::Remove]);
        assert_eq!(o.address_family, Some(AddressFamily::Ip6));
        assert_eq!(o.transport_protocol, Some(TransportProtocol::RtpSavp));
        let o = offer_options(&[
            "--ICE=force-relay",
            "--transport-protocol=UDP/TLS/RTP/SAVPF",
        ])
        .unwrap();
        assert_eq!(o.ice.0, [Ice::ForceRelay]);
        assert_eq!(
            o.transport_protocol,
            Some(TransportProtocol::UdpTlsRtpSavpf)
        );
        let err = offer_options(&["--ICE=sometimes"]).unwrap_err();
        assert!(err.contains("unknown value 'sometimes'"), "{err}");
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
        let opts = offer.media.to_options(None);
        assert_eq!(opts.ice, rtpengine_client::OneOrList(vec![Ice::Remove]));
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
        let opts = answer.media.to_options(Some("z9hG4bK1"));
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
