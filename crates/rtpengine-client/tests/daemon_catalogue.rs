//! The whole option catalogue against the real rtpengine daemon, release-aware: 10.5 (the
//! host's), 12.5 or 26.0 (`RTPENGINE_RELEASE`), with the catalogue's `Since` values deciding
//! what the running release (`daemon_version`, to the patch) has.
//!
//! * Spelling: every flag, key and enum value of the catalogue that the running release has is
//!   sent, and the daemon logs none of them as not understood (`Unknown flag encountered`,
//!   `Unknown dictionary key encountered`, `Unknown 'X' flag encountered`, `Unknown 'codec'
//!   operation encountered`, `SDP manipulations: unsupported SDP section`, `Failed to parse …`)
//!   beyond the release's known exceptions. Coverage is computed from the `OPTIONS`/`ALL` tables,
//!   so a new entry cannot be forgotten. Values rtpengine ignores without a word (transport
//!   protocol, address family, DTLS fingerprint) are checked by their effect on the SDP instead.
//! * Versions: everything the catalogue says the running release lacks is logged as unknown by
//!   it (the gate is not too strict), and a client told that release refuses it.
//! * Effects: one visible effect per option (SDP lines, `query` contents, RTP/RTCP flow, log).
//!
//! Each test starts one daemon and runs its checks against it; the tests run in parallel.

mod common;

use rtpengine_client::NgCommands;
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::time::Duration;

use common::{
    answer_sdp, connect, daemon_version, delete, dict, dict_bytes, first_line, key_table, lines,
    local_port, media_port, offer_answer_with, offer_sdp, query, rtpengine_reason, start,
    start_with_ipv6, to_dict, udp, with_key,
};
use rtpengine_client::bencode::{Dict, Encoder, Value};
use rtpengine_client::{
    AddressFamily, AliasKey, AudioPlayer, Bundle, Client, CodecOptions, DeleteOptions, Direction,
    DropTraffic, Dtls, DtlsFingerprint, DtlsReverse, EndpointLearning, Error, Extmap, Flag, Ice,
    IceLite, MediaEcho, MediaType, Moh, MohMode, Offer, OfferOptions, OnOff, Osrtp, RecordCall,
    Replace, Request, Requirements, RtcpMux, Sdes, SdpAttr, Since, Supports, TransportProtocol,
    Version, T38,
};
use rtpengine_testkit::rtp::{rtp_packet, sdp_audio};
use rtpengine_testkit::Rtpengine;
use tokio::net::UdpSocket;
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(3);

fn m_line(sdp: &str) -> &str {
    first_line(sdp, "m=")
}

/// The payload types of the first `m=` line.
fn payload_types(sdp: &str) -> Vec<&str> {
    m_line(sdp).split_whitespace().skip(3).collect()
}

fn audio(port: u16) -> String {
    sdp_audio("127.0.0.1", port, 1)
}

/// An audio and a video section (so `sdp-media-remove: audio` leaves a media section).
fn audio_and_video(port: u16) -> String {
    format!(
        "{}m=video {} RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\n",
        audio(port),
        port + 2
    )
}

/// The options' dictionary as sent.
fn encoded(opts: &OfferOptions) -> Dict {
    to_dict(&dict_bytes(|enc| opts.encode_keys(enc)))
}

/// The texts of a string or list value.
fn texts(v: &Value) -> Vec<String> {
    match v {
        Value::Bytes(_) => vec![v.as_str().unwrap_or_default().to_owned()],
        Value::List(items) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

/// How release `v` writes a flag (or a `replace`/`SDES` value) into its log: up to 13.1 it turns
/// spaces into hyphens before matching and logging (`str_hyphenate`); 13.2 (commit 5c899c4
/// "eliminate str_hyphenate", mr13.2.1.1) matches and logs the text as sent.
fn as_logged(v: Version, s: &str) -> String {
    if v < Version::new(13, 2) {
        s.replace(' ', "-")
    } else {
        s.to_owned()
    }
}

/// Log lines saying an option was not understood.
fn not_understood(rtpe: &Rtpengine) -> Vec<String> {
    rtpe.log()
        .lines()
        .filter(|l| {
            l.contains("encountered")
                || l.contains("Failed to parse")
                || l.contains("Optional feature")
                || l.contains("SDP manipulations")
                || l.contains("is invalid flag")
        })
        .map(str::to_owned)
        .collect()
}

/// The release that introduced `key` of `OfferOptions`.
fn key_since(key: &str) -> Since {
    key_table(OfferOptions::OPTIONS)
        .iter()
        .find(|(k, _, _)| *k == key)
        .unwrap_or_else(|| panic!("'{key}' is not an OfferOptions key"))
        .2
}

/// `fatal` outside `delete`: the generic flag parser knows it since 13.0 and 12.5.1.11 (audit
/// item 2); before, only `delete`'s own flag loop read it.
const GENERIC_FATAL: Since = Since::backported(Version::new(13, 0), &[Version::full(12, 5, 1, 11)]);

/// `replace: session connection` rewrites the session-level `c=` up to 12.4; from 12.5.1.1 it
/// is accepted without effect (`replace-session-connection flag encountered, but not supported
/// anymore.`, logged by 12.5.1.31 and 26.0.1.26); 26.1 drops it (audit item 15c).
const SESSION_CONNECTION_NO_OP: Version = Version::full(12, 5, 1, 1);
/// See [`SESSION_CONNECTION_NO_OP`].
const SESSION_CONNECTION_GONE: Version = Version::new(26, 1);

/// The log lines release `v` writes for `replace: session connection`, sent `n` times.
fn session_connection_lines(v: Version, n: usize) -> Vec<String> {
    let line = if v >= SESSION_CONNECTION_GONE {
        "Unknown 'replace' flag encountered: 'session"
    } else if v >= SESSION_CONNECTION_NO_OP {
        "replace-session-connection flag encountered, but not supported anymore."
    } else {
        return Vec::new();
    };
    vec![line.to_owned(); n]
}

// ---------------------------------------------------------------------------------------------
// Spelling: everything the running release has is understood by it

/// The enum tables of `OfferOptions` values, by key.
fn value_tables() -> Vec<(&'static str, &'static [(&'static str, Since)])> {
    vec![
        ("replace", Replace::ALL),
        ("ICE", Ice::ALL),
        ("transport protocol", TransportProtocol::ALL),
        ("address family", AddressFamily::ALL),
        ("rtcp-mux", RtcpMux::ALL),
        ("DTLS", Dtls::ALL),
        ("SDES", Sdes::ALL),
        ("ICE-lite", IceLite::ALL),
        ("DTLS-reverse", DtlsReverse::ALL),
        ("DTLS-fingerprint", DtlsFingerprint::ALL),
        ("OSRTP", Osrtp::ALL),
        ("generate RTCP", OnOff::ALL),
        ("endpoint-learning", EndpointLearning::ALL),
        ("passthrough", OnOff::ALL),
        ("T.38", T38::ALL),
        ("media echo", MediaEcho::ALL),
        ("drop-traffic", DropTraffic::ALL),
        ("supports", Supports::ALL),
        ("record call", RecordCall::ALL),
        ("audio-player", AudioPlayer::ALL),
        ("sdp-media-remove", MediaType::ALL),
        ("bundle", Bundle::ALL),
        ("alias-key", AliasKey::ALL),
    ]
}

/// A `OPTIONS` table: key, aliases, release.
type Keys = &'static [(&'static str, &'static [&'static str], Since)];

/// The nested dictionaries of `OfferOptions` whose keys have releases of their own, by key.
fn nested_tables() -> Vec<(&'static str, Keys)> {
    vec![
        ("sdp-attr", key_table(SdpAttr::OPTIONS)),
        ("moh", key_table(Moh::OPTIONS)),
        ("extmap", key_table(Extmap::OPTIONS)),
    ]
}

/// `OfferOptions` with just `key`, read from `value` by `from_dict` (so the `OPTIONS` table drives
/// the test); panics when the value does not fit the key's typed field.
fn typed(key: &str, value: Value) -> OfferOptions {
    let o = OfferOptions::from_dict(&[(key.to_owned(), value.clone())].into_iter().collect());
    assert!(
        o.raw.keys.is_empty() && !o.is_empty(),
        "{value:?} does not fit key '{key}'"
    );
    o
}

/// `key` set to `text`, as a string or (for list keys) a list of one.
fn with_value(key: &str, text: &str) -> OfferOptions {
    let one = [(key.to_owned(), Value::str(text))].into_iter().collect();
    let o = OfferOptions::from_dict(&one);
    if o.raw.keys.is_empty() {
        return o;
    }
    typed(key, Value::str_list([text]))
}

/// Values for each key newer than 10.5 that a release having the key takes without complaint:
/// one per enum value (each sent in an offer of its own), one for any other key.
fn newer_key_samples(key: &str, v: Version) -> Vec<Value> {
    let has = |s: &Since| s.met_by(v);
    let each = |all: &[(&str, Since)], list: bool| -> Vec<Value> {
        all.iter()
            .filter(|(_, since)| has(since))
            .map(|(t, _)| {
                if list {
                    Value::str_list([*t])
                } else {
                    Value::str(t)
                }
            })
            .collect()
    };
    let s = |t: &str| vec![Value::str(t)];
    match key {
        "to-label" => s("callee"),
        "from-interface" | "to-interface" => s("default"),
        "T.38 version" => vec![Value::Int(0)],
        "output-destination" | "recording-file" | "recording-dir" | "recording-pattern" => {
            s("spelling")
        }
        "recording-media-slot-offer" | "recording-media-slot-answer" | "recording-media-slots" => {
            vec![Value::Int(1)]
        }
        k if k.starts_with("vsc-") => s("*1"),
        "audio-player" => each(AudioPlayer::ALL, false),
        "DTMF-log-dest" => s("127.0.0.1:5000"),
        // Every section the release has, each with every operation.
        "sdp-attr" => key_table(SdpAttr::OPTIONS)
            .iter()
            .filter(|(_, _, since)| has(since))
            .map(|(section, _, _)| {
                let ops: Dict = [
                    ("add".to_owned(), Value::str_list(["x-a:1"])),
                    ("remove".to_owned(), Value::str_list(["x-b"])),
                    (
                        "substitute".to_owned(),
                        Value::List(vec![Value::str_list(["x-c", "x-d"])]),
                    ),
                ]
                .into_iter()
                .collect();
                dict(section, Value::Dict(ops))
            })
            .collect(),
        // A flags string rtpengine parses itself.
        "rtpp-flags" => s("loop-protect"),
        "sdp-media-remove" => each(MediaType::ALL, true),
        // No template is configured: 26.0 says so in its log (checked below).
        "template" => s("spelling"),
        "moh" => {
            let mut out: Vec<Value> = MohMode::ALL
                .iter()
                .filter(|(_, since)| has(since))
                .map(|(mode, _)| {
                    Value::Dict(
                        [
                            ("file".to_owned(), Value::str("/nonexistent.wav")),
                            ("mode".to_owned(), Value::str(mode)),
                            ("connection".to_owned(), Value::str("zero")),
                        ]
                        .into_iter()
                        .collect(),
                    )
                })
                .collect();
            out.push(dict("blob", Value::str("not audio")));
            out.push(dict("db-id", Value::Int(1)));
            out
        }
        "bundle" => each(Bundle::ALL, true),
        "extmap" => vec![Value::Dict(
            [
                ("strip".to_owned(), Value::str_list(["urn:x-strip"])),
                ("mask".to_owned(), Value::str_list(["urn:x-mask"])),
            ]
            .into_iter()
            .collect(),
        )],
        "peer" | "inbound-peer" | "outbound-peer" => s("127.0.0.1"),
        "alias-key" => each(AliasKey::ALL, false),
        "sip-message-type" => vec![Value::str("request"), Value::str("reply")],
        "SIP-code" => vec![Value::Int(200)],
        other => panic!("no sample value for key '{other}': add one to newer_key_samples"),
    }
}

/// Flags sent in offers of their own rather than with all the others: those that contradict
/// others, `fragment` (no SDP in the reply), `symmetric` (unknown to every release) and `fatal`
/// (a `delete` flag only, before 12.5.1.11).
const FLAGS_APART: [Flag; 7] = [
    Flag::SipSourceAddress,
    Flag::NoPortLatching,
    Flag::NoPassthrough,
    Flag::NoAudioPlayer,
    Flag::Fragment,
    Flag::Symmetric,
    Flag::Fatal,
];

/// Offers that together use every flag, key, codec operation and enum value release `v` has.
fn spelling_variants(v: Version) -> Vec<OfferOptions> {
    let has = |s: &Since| s.met_by(v);
    let mut all_flags = OfferOptions::new();
    for (text, since) in Flag::ALL {
        let f = Flag::from(*text);
        if has(since) && !FLAGS_APART.contains(&f) {
            all_flags = all_flags.flag(f);
        }
    }
    let mut codec = CodecOptions::new()
        .strip("GSM")
        .offer("PCMU")
        .except("PCMU")
        .transcode("PCMA")
        .mask("G722")
        .set("PCMU/8000/1")
        .accept("PCMU")
        .consume("G722");
    if has(&key_table(CodecOptions::OPTIONS)
        .iter()
        .find(|k| k.0 == "ignore")
        .unwrap()
        .2)
    {
        codec = codec.ignore("G729");
    }
    let mut keys = OfferOptions::new()
        .via_branch("z9hG4bK-spelling")
        .direction(Direction::new("default", "default"))
        .received_from("127.0.0.1".parse::<std::net::IpAddr>().unwrap())
        .ice(Ice::Force)
        .ice_lite(IceLite::Forward)
        .media_address("127.0.0.1".parse::<std::net::IpAddr>().unwrap())
        .address_family(AddressFamily::Ip4)
        .tos(184)
        .dtls(Dtls::Passive)
        .dtls_reverse(DtlsReverse::Passive)
        .dtls_fingerprint(DtlsFingerprint::Sha256)
        .record_call(false)
        .metadata("a:b|c:d")
        .label("caller")
        .set_label("callee")
        .to_tag("tagB")
        .interface("default")
        .xmlrpc_callback("127.0.0.1".parse::<std::net::IpAddr>().unwrap())
        .generate_rtcp(OnOff::On)
        .endpoint_learning(EndpointLearning::Heuristic)
        .passthrough(OnOff::Off)
        .codec(codec)
        .ptime(20)
        .ptime_reverse(20)
        .media_echo(MediaEcho::Blackhole)
        .drop_traffic(DropTraffic::Stop)
        .supports(Supports::LoadLimit)
        .dtmf_delay(0)
        .delay_buffer(0);
    for (text, since) in Replace::ALL {
        if has(since) {
            keys = keys.replace(Replace::from(*text));
        }
    }
    for v in [
        RtcpMux::Offer,
        RtcpMux::Require,
        RtcpMux::Demux,
        RtcpMux::Accept,
    ] {
        keys = keys.rtcp_mux(v);
    }
    for (text, since) in Osrtp::ALL {
        if has(since) {
            keys = keys.osrtp(Osrtp::from(*text));
        }
    }
    for (text, since) in T38::ALL {
        let t = T38::from(*text);
        if has(since) && t != T38::Force && t != T38::Stop {
            keys = keys.t38(t);
        }
    }
    let mut sdes = OfferOptions::new()
        .transport_protocol(TransportProtocol::RtpSavp)
        .sdes(Sdes::no("AES_CM_128_HMAC_SHA1_32"));
    for (text, since) in Sdes::ALL {
        if has(since) && *text != "off" {
            sdes = sdes.sdes(Sdes::from(*text));
        }
    }
    // The suite-specific forms other than `no-` (sent apart: `only-` selects what `no-` drops).
    let mut sdes_suites = OfferOptions::new().transport_protocol(TransportProtocol::RtpSavp);
    for (prefix, since) in Sdes::PREFIXES {
        if has(since) && *prefix != "no-" {
            sdes_suites = sdes_suites.sdes(Sdes::from(
                format!("{prefix}AES_CM_128_HMAC_SHA1_80").as_str(),
            ));
        }
    }

    let mut variants = vec![
        all_flags,
        OfferOptions::new()
            .flag(Flag::SipSourceAddress)
            .flag(Flag::NoPortLatching)
            .flag(Flag::NoPassthrough)
            .received_from("127.0.0.1".parse::<std::net::IpAddr>().unwrap()),
        OfferOptions::new().flag(Flag::Fragment),
        OfferOptions::new().flag(Flag::Symmetric),
        keys,
        sdes,
        OfferOptions::new()
            .transport_protocol(TransportProtocol::RtpSavp)
            .sdes(Sdes::Off),
        OfferOptions::new().rtcp_mux(RtcpMux::Reject),
        OfferOptions::new().t38(T38::Force),
        OfferOptions::new().t38(T38::Stop),
        OfferOptions::new().passthrough(OnOff::On),
        OfferOptions::new().generate_rtcp(OnOff::Off),
    ];
    if !sdes_suites.sdes.is_empty() {
        variants.push(sdes_suites);
    }
    if has(&Flag::NoAudioPlayer.since()) {
        variants.push(OfferOptions::new().flag(Flag::NoAudioPlayer));
    }
    if GENERIC_FATAL.met_by(v) {
        variants.push(OfferOptions::new().flag(Flag::Fatal));
    }
    let each = |all: &[(&str, Since)], make: &dyn Fn(&str) -> OfferOptions| -> Vec<OfferOptions> {
        all.iter()
            .filter(|(_, since)| has(since))
            .map(|(text, _)| make(text))
            .collect()
    };
    variants.extend(each(Ice::ALL, &|t| OfferOptions::new().ice(Ice::from(t))));
    variants.extend(each(IceLite::ALL, &|t| {
        OfferOptions::new()
            .ice(Ice::Force)
            .ice_lite(IceLite::from(t))
    }));
    variants.extend(each(Dtls::ALL, &|t| {
        OfferOptions::new()
            .transport_protocol(TransportProtocol::UdpTlsRtpSavp)
            .dtls(Dtls::from(t))
    }));
    variants.extend(each(DtlsReverse::ALL, &|t| {
        OfferOptions::new()
            .transport_protocol(TransportProtocol::UdpTlsRtpSavp)
            .dtls_reverse(DtlsReverse::from(t))
    }));
    variants.extend(each(EndpointLearning::ALL, &|t| {
        OfferOptions::new().endpoint_learning(EndpointLearning::from(t))
    }));
    variants.extend(each(MediaEcho::ALL, &|t| {
        OfferOptions::new().media_echo(MediaEcho::from(t))
    }));
    variants.extend(each(DropTraffic::ALL, &|t| {
        OfferOptions::new().drop_traffic(DropTraffic::from(t))
    }));
    variants.extend(each(RecordCall::ALL, &|t| {
        OfferOptions::new().record_call(RecordCall::from(t))
    }));
    // Values rtpengine ignores silently when unknown: their effect is checked below.
    variants.extend(
        each(TransportProtocol::ALL, &|t| {
            OfferOptions::new().transport_protocol(TransportProtocol::from(t))
        })
        .into_iter()
        // `accept` is an answer value: see `accept_answer`.
        .filter(|o| o.transport_protocol != Some(TransportProtocol::Accept)),
    );
    variants.extend(each(DtlsFingerprint::ALL, &|t| {
        OfferOptions::new()
            .transport_protocol(TransportProtocol::UdpTlsRtpSavp)
            .dtls_fingerprint(DtlsFingerprint::from(t))
    }));
    variants.extend(each(AddressFamily::ALL, &|t| {
        OfferOptions::new().address_family(AddressFamily::from(t))
    }));
    // Keys newer than 10.5 that this release has, one offer per sample value.
    for (key, _, since) in key_table(OfferOptions::OPTIONS) {
        if has(since) && !since.is_base() {
            variants.extend(
                newer_key_samples(key, v)
                    .into_iter()
                    .map(|value| typed(key, value)),
            );
        }
    }
    variants
}

/// The answer options of the spelling test.
fn accept_answer() -> OfferOptions {
    OfferOptions::new().transport_protocol(TransportProtocol::Accept)
}

/// The variants (and the answer) use every flag, key, nested key, codec operation and enum
/// value release `v` has (`fatal` only where the generic flag parser knows it).
fn assert_coverage(variants: &[OfferOptions], v: Version) {
    let has = |s: &Since| s.met_by(v);
    let answer = accept_answer();
    let mut sent: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut nested: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for o in variants.iter().chain([&answer]) {
        for (k, val) in encoded(o).iter() {
            let key = String::from_utf8_lossy(k).into_owned();
            if let Some(d) = val.as_dict() {
                for (inner, _) in d.iter() {
                    nested
                        .entry(key.clone())
                        .or_default()
                        .insert(String::from_utf8_lossy(inner).into_owned());
                }
            }
            sent.entry(key).or_default().extend(texts(val));
        }
    }
    for (key, _, since) in key_table(OfferOptions::OPTIONS) {
        if has(since) {
            assert!(sent.contains_key(*key), "key '{key}' is never sent");
        }
    }
    let mut tables = nested_tables();
    tables.push(("codec", key_table(CodecOptions::OPTIONS)));
    for (key, inner_keys) in tables {
        if !has(&key_since(key)) {
            continue;
        }
        for (inner, _, since) in inner_keys {
            if has(since) {
                assert!(
                    nested.get(key).is_some_and(|s| s.contains(*inner)),
                    "'{key}' entry '{inner}' is never sent"
                );
            }
        }
    }
    for (text, since) in Flag::ALL {
        if has(since) && (*text != "fatal" || GENERIC_FATAL.met_by(v)) {
            assert!(sent["flags"].contains(*text), "flag '{text}' is never sent");
        }
    }
    for (key, all) in value_tables() {
        if !has(&key_since(key)) {
            continue;
        }
        for (text, since) in all {
            if has(since) {
                assert!(
                    sent.get(key).is_some_and(|s| s.contains(*text)),
                    "'{key}' value '{text}' is never sent"
                );
            }
        }
    }
}

#[tokio::test]
async fn every_spelling_the_release_has_is_understood() {
    let rtpe = start_with_ipv6();
    let v = daemon_version(&rtpe);
    let has = |s: &Since| s.met_by(v);
    let client = connect(&rtpe).await;
    let variants = spelling_variants(v);
    assert_coverage(&variants, v);
    for (i, opts) in variants.iter().enumerate() {
        let call = format!("spell-{i}");
        // Removing audio needs another media section to leave.
        let sdp = if opts.sdp_media_remove.contains(&MediaType::Audio) {
            audio_and_video(40_000)
        } else {
            audio(40_000)
        };
        if opts.flags.contains(&Flag::Fragment) {
            // A trickle-ICE fragment is queued: the reply has no SDP.
            let reply = client
                .send(&Offer {
                    sdp: sdp.as_bytes(),
                    call_id: &call,
                    from_tag: "tagA",
                    options: opts,
                })
                .await
                .expect("fragment offer");
            assert!(reply.get("sdp").is_none(), "{reply:?}");
            continue;
        }
        let out = offer_sdp(&client, &call, &sdp, opts).await;
        delete(&client, &call).await;
        // The values rtpengine ignores silently when it does not know them, by effect.
        if let Some(tp) = &opts.transport_protocol {
            // (rtpengine writes `UDPTL` in lower case.)
            if opts.osrtp.is_empty() {
                let proto = m_line(&out).split_whitespace().nth(2).unwrap_or_default();
                assert!(
                    proto.eq_ignore_ascii_case(tp.as_str()),
                    "{tp}: {}",
                    m_line(&out)
                );
            }
        }
        if let (Some(fp), Some(TransportProtocol::UdpTlsRtpSavp)) =
            (&opts.dtls_fingerprint, &opts.transport_protocol)
        {
            let want = format!("a=fingerprint:{} ", fp.as_str().to_ascii_lowercase());
            assert_eq!(lines(&out, &want).len(), 1, "{fp}:\n{out}");
        }
        if let (Some(fam), None) = (&opts.address_family, &opts.media_address) {
            let want = format!("c=IN {fam} ");
            assert_eq!(lines(&out, &want).len(), 1, "{fam}:\n{out}");
        }
        // Some of the newer keys, by effect too.
        if opts.rtpp_flags.is_some() {
            // `loop-protect` given inside `rtpp-flags` marks the SDP.
            assert_eq!(lines(&out, "a=rtpengine:").len(), 1, "rtpp-flags:\n{out}");
        }
        // (`a=x-a:1` added at session level or to the audio section.)
        if !opts.sdp_attr.global.is_empty() || !opts.sdp_attr.audio.is_empty() {
            assert!(!lines(&out, "a=x-a:1").is_empty(), "sdp-attr:\n{out}");
        }
        for removed in &opts.sdp_media_remove {
            let m = format!("m={removed} ");
            assert!(
                lines(&out, &m).is_empty(),
                "sdp-media-remove {removed}:\n{out}"
            );
        }
    }
    // `transport protocol: accept` is an answer value.
    offer_sdp(
        &client,
        "spell-accept",
        &audio(40_000),
        &OfferOptions::new(),
    )
    .await;
    answer_sdp(&client, "spell-accept", &audio(40_002), &accept_answer()).await;
    assert!(rtpe.wait_for_log("Replying to 'answer'", 1, WAIT));
    // `template` names no configured template: a release that has the key says so (26.0.1.26:
    // `Templates for signalling flags 'spelling' not found`), which shows the key is read.
    if has(&key_since("template")) {
        assert_eq!(
            rtpe.log_count("Templates for signalling flags 'spelling' not found"),
            1
        );
    }
    // What every release logs: `symmetric` is no flag of any release (10.5, 12.5.1.31 and
    // 26.0.1.26 log `Unknown flag encountered: 'symmetric'`); `replace: session connection`
    // is a no-op from 12.5.1.1 (12.5.1.31, 26.0.1.26: `replace-session-connection flag
    // encountered, but not supported anymore.`).
    let mut expected = vec!["Unknown flag encountered: 'symmetric'".to_owned()];
    expected.extend(session_connection_lines(v, 1));
    let unknown = not_understood(&rtpe);
    assert_eq!(unknown.len(), expected.len(), "rtpengine {v}: {unknown:#?}");
    for want in &expected {
        assert!(
            unknown.iter().any(|l| l.contains(want.as_str())),
            "rtpengine {v}: no '{want}' in {unknown:#?}"
        );
    }
}

#[tokio::test]
async fn fatal_makes_deleting_an_unknown_call_an_error() {
    let rtpe = start();
    let v = daemon_version(&rtpe);
    let client = connect(&rtpe).await;
    let warned = client
        .delete("no-such-call", "tagA", &DeleteOptions::new())
        .await
        .expect("delete of an unknown call is a warning");
    assert!(warned.warning.is_some(), "{warned:?}");
    let err = client
        .delete("no-such-call", "tagA", &DeleteOptions::new().fatal(true))
        .await
        .expect_err("fatal makes it an error");
    assert!(err.is_rtpengine_error(), "{err:?}");
    // In an offer: 10.5 knows `fatal` only in `delete`'s own flag loop and logs `Unknown flag
    // encountered: 'fatal'`; the generic flag parser has it since 12.5.1.11 and 13.0, so
    // 12.5.1.31 and 26.0.1.26 log nothing (and it does nothing outside `delete`).
    offer_sdp(
        &client,
        "fatal-offer",
        &audio(40_000),
        &OfferOptions::new().flag(Flag::Fatal),
    )
    .await;
    assert!(rtpe.wait_for_log("Replying to 'offer'", 1, WAIT));
    let unknown = usize::from(!GENERIC_FATAL.met_by(v));
    assert_eq!(
        rtpe.log_count("Unknown flag encountered: 'fatal'"),
        unknown,
        "rtpengine {v}"
    );
}

// ---------------------------------------------------------------------------------------------
// Versions: what the catalogue says the running release lacks is unknown to it

/// Typed options with just this key set, to a value of the right shape for the daemon.
fn with_sample(key: &str) -> OfferOptions {
    let samples = [
        Value::str("x"),
        Value::str("192.0.2.1"),
        Value::Int(1),
        Value::str_list(["x"]),
        dict("global", dict("add", Value::str_list(["x-a:1"]))),
        dict("strip", Value::str_list(["x"])),
        dict("file", Value::str("/nonexistent.wav")),
    ];
    with_key(key, &samples)
}

/// `to-label` became a key of its own in 11.1 (mr11.1.1.1); 10.5 and 11.0 read it as
/// `set-label` (audit item 12), so they do not log it as unknown: see
/// `to_label_sets_the_label_before_11_1_and_looks_it_up_since`.
const TO_LABEL_OWN_KEY: Version = Version::new(11, 1);

/// The log line of release `v` for a value of `key` it does not know (`key` itself it has).
fn unknown_value_line(v: Version, key: &str, text: &str) -> String {
    match key {
        "replace" | "SDES" => format!("Unknown '{key}' flag encountered: '{}'", as_logged(v, text)),
        "ICE" | "OSRTP" => format!("Unknown '{key}' flag encountered: '{text}'"),
        // 10.5: `"record-call" flag discard is invalid flag.`
        "record call" => format!("\"record-call\" flag {text} is invalid flag."),
        // 12.5.1.31: `SDP manipulations: unsupported SDP section 'text' targeted.`
        "sdp-attr" => format!("SDP manipulations: unsupported SDP section '{text}' targeted."),
        "codec" => format!("Unknown 'codec' operation encountered: '{text}'"),
        _ => panic!("rtpengine {v} has key '{key}' but not its value '{text}': no log line known"),
    }
}

#[tokio::test]
async fn everything_the_release_lacks_is_unknown_to_it() {
    let rtpe = start();
    let v = daemon_version(&rtpe);
    let lacks = |s: &Since| !s.met_by(v);
    // No version: nothing is gated, so everything reaches the daemon.
    let client = connect(&rtpe).await;
    let gated = Client::builder(rtpe.udp_url())
        .rtpengine_version(v)
        .connect()
        .await
        .unwrap();
    let sdp = audio(40_000);
    // The line for an entry of `key`: the key's own when the release lacks the key.
    let line_for = |key: &str, text: &str| -> String {
        if lacks(&key_since(key)) {
            format!("Unknown dictionary key encountered: '{key}'")
        } else {
            unknown_value_line(v, key, text)
        }
    };
    // (options, the log line the release must write)
    let mut cases: Vec<(OfferOptions, String)> = Vec::new();
    for (key, _, since) in key_table(OfferOptions::OPTIONS) {
        if lacks(since) && !(*key == "to-label" && v < TO_LABEL_OWN_KEY) {
            cases.push((
                with_sample(key),
                format!("Unknown dictionary key encountered: '{key}'"),
            ));
        }
    }
    for (text, since) in Flag::ALL {
        if lacks(since) {
            cases.push((
                OfferOptions::new().flag(Flag::from(*text)),
                format!("Unknown flag encountered: '{}'", as_logged(v, text)),
            ));
        }
    }
    // Values of keys, and entries of nested dictionaries.
    for (key, all) in value_tables() {
        for (text, since) in all {
            if lacks(since) {
                let mut opts = with_value(key, text);
                if key == "SDES" {
                    opts = opts.transport_protocol(TransportProtocol::RtpSavp);
                }
                cases.push((opts, line_for(key, text)));
            }
        }
    }
    for (prefix, since) in Sdes::PREFIXES {
        if lacks(since) {
            let text = format!("{prefix}AES_CM_128_HMAC_SHA1_80");
            cases.push((
                OfferOptions::new()
                    .transport_protocol(TransportProtocol::RtpSavp)
                    .sdes(Sdes::from(text.as_str())),
                line_for("SDES", &text),
            ));
        }
    }
    for (op, _, since) in key_table(CodecOptions::OPTIONS) {
        if lacks(since) {
            cases.push((
                typed("codec", dict(op, Value::str_list(["PCMA"]))),
                line_for("codec", op),
            ));
        }
    }
    for (section, _, since) in key_table(SdpAttr::OPTIONS) {
        if lacks(since) {
            cases.push((
                typed(
                    "sdp-attr",
                    dict(section, dict("add", Value::str_list(["x-a:1"]))),
                ),
                line_for("sdp-attr", section),
            ));
        }
    }
    for (mode, since) in MohMode::ALL {
        if lacks(since) {
            let moh = dict("mode", Value::str(mode));
            cases.push((typed("moh", moh), line_for("moh", mode)));
        }
    }
    // 26.2 is newer than every release tested, so each one lacks something.
    assert!(!cases.is_empty(), "rtpengine {v} lacks nothing");
    let mut want: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, (opts, line)) in cases.iter().enumerate() {
        let call = format!("newer-{i}");
        // The gate refuses each one for this release …
        let err = gated
            .offer(&sdp, &call, "tagA", opts)
            .await
            .expect_err("sent to a release that lacks it");
        assert!(
            matches!(err, Error::Unsupported { .. }),
            "{opts:?}: {err:?}"
        );
        // … and the release indeed does not know it.
        offer_sdp(&client, &call, &sdp, opts).await;
        delete(&client, &call).await;
        *want.entry(line.as_str()).or_default() += 1;
    }
    // How an unknown flag with a space is logged (which `as_logged` relies on): 10.5 and
    // 12.5.1.31 `Unknown flag encountered: 'no-such-flag'`, 26.0.1.26 `… 'no such flag'`.
    let spaced = OfferOptions::new().raw_flag("no such flag");
    offer_sdp(&client, "newer-spaced", &sdp, &spaced).await;
    delete(&client, "newer-spaced").await;
    let spaced_line = format!(
        "Unknown flag encountered: '{}'",
        as_logged(v, "no such flag")
    );
    want.insert(&spaced_line, 1);
    assert!(rtpe.wait_for_log("Replying to 'offer'", cases.len() + 1, WAIT));
    let wrong: Vec<String> = want
        .iter()
        .filter(|(line, n)| rtpe.log_count(line) != **n)
        .map(|(line, n)| format!("{line}: {n} expected, {} logged", rtpe.log_count(line)))
        .collect();
    assert!(
        wrong.is_empty(),
        "rtpengine {v} understood these: {wrong:#?}"
    );
}

/// A request of any command with string entries, to show what the daemon does with a key.
struct Raw<'a> {
    command: &'a str,
    entries: Vec<(&'a str, &'a str)>,
}

impl Request for Raw<'_> {
    fn command(&self) -> &str {
        self.command
    }
    fn encode_keys(&self, enc: &mut Encoder<'_>, _target: Option<Version>) {
        for (k, v) in &self.entries {
            enc.entry_str(k, v);
        }
    }
    fn requirements(&self) -> Requirements {
        Requirements::default()
    }
}

#[tokio::test]
async fn to_label_sets_the_label_before_11_1_and_looks_it_up_since() {
    let rtpe = start();
    let v = daemon_version(&rtpe);
    let c = connect(&rtpe).await;
    offer_sdp(
        &c,
        "tl",
        &audio(40_000),
        &OfferOptions::new().label("caller"),
    )
    .await;
    answer_sdp(
        &c,
        "tl",
        &audio(40_002),
        &OfferOptions::new().label("callee"),
    )
    .await;
    let silence = Raw {
        command: "silence media",
        entries: vec![
            ("call-id", "tl"),
            ("from-tag", "tagB"),
            ("to-label", "relabelled"),
        ],
    };
    let result = c.send(&silence).await;
    let labels = || async {
        let stats = query(&c, "tl").await;
        let label = |tag: &str| stats.tag(tag).and_then(|t| t.label.clone());
        (label("tagA"), label("tagB"))
    };
    if v < TO_LABEL_OWN_KEY {
        // 10.5 reads `to-label` as `set-label`: the party the command selects (tagB) is
        // relabelled, and no `Unknown dictionary key encountered: 'to-label'` is logged.
        result.expect("10.5: silence media with to-label");
        assert_eq!(
            labels().await,
            (Some("caller".into()), Some("relabelled".into()))
        );
        assert!(rtpe.wait_for_log("Replying to 'silence media'", 1, WAIT));
        assert_eq!(rtpe.log_count("'to-label'"), 0);
    } else {
        // 12.5.1.31 and 26.0.1.26 look the label up: none is `relabelled`, so the daemon says
        // `Media flow not found (to-label not found)` and the labels stay.
        let err = result.expect_err("no party is labelled 'relabelled'");
        assert_eq!(
            rtpengine_reason(err),
            "Media flow not found (to-label not found)"
        );
        assert_eq!(
            labels().await,
            (Some("caller".into()), Some("callee".into()))
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Effects

#[tokio::test]
async fn codec_ptime_and_t38_effects() {
    let rtpe = start();
    let c = connect(&rtpe).await;
    let sdp = audio(40_000); // PCMU, PCMA, telephone-event
    let o = |codec: CodecOptions| OfferOptions::new().codec(codec);
    let pts = |s: String| payload_types(&s).join(" ");

    let plain = offer_sdp(&c, "c-plain", &sdp, &OfferOptions::new()).await;
    assert_eq!(pts(plain), "0 8 101");
    let strip = offer_sdp(&c, "c-strip", &sdp, &o(CodecOptions::new().strip("PCMA"))).await;
    assert_eq!(pts(strip.clone()), "0 101");
    assert!(lines(&strip, "a=rtpmap:8 ").is_empty());
    let offer_order = o(CodecOptions::new().strip("all").offer("PCMA").offer("PCMU"));
    assert_eq!(
        pts(offer_sdp(&c, "c-offer", &sdp, &offer_order).await),
        "8 0"
    );
    let except = o(CodecOptions::new().strip("all").except("PCMU"));
    assert_eq!(pts(offer_sdp(&c, "c-except", &sdp, &except).await), "0");
    // Transcoding build: `mask`, `consume`, `transcode`, `accept` and `always transcode` work.
    let mask = offer_sdp(&c, "c-mask", &sdp, &o(CodecOptions::new().mask("PCMA"))).await;
    assert_eq!(pts(mask), "0 101");
    let consume = offer_sdp(
        &c,
        "c-consume",
        &sdp,
        &o(CodecOptions::new().consume("PCMA")),
    )
    .await;
    assert_eq!(pts(consume), "0 101");
    let transcode = offer_sdp(
        &c,
        "c-transcode",
        &sdp,
        &o(CodecOptions::new().transcode("G722")),
    )
    .await;
    assert_eq!(pts(transcode.clone()), "0 8 9 101");
    assert_eq!(lines(&transcode, "a=rtpmap:9 G722/8000").len(), 1);
    // The callee answers PCMA only: `accept` PCMU and `always transcode` still answer the
    // caller with PCMU (transcoding), where plain rtpengine passes PCMA through.
    let pcma_only = audio(40_002)
        .replace("RTP/AVP 0 8 101", "RTP/AVP 8")
        .replace("a=rtpmap:0 PCMU/8000\r\n", "")
        .replace(
            "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n",
            "",
        );
    offer_sdp(&c, "c-pass", &sdp, &OfferOptions::new()).await;
    assert_eq!(
        pts(answer_sdp(&c, "c-pass", &pcma_only, &OfferOptions::new()).await),
        "8"
    );
    offer_sdp(&c, "c-accept", &sdp, &o(CodecOptions::new().accept("PCMU"))).await;
    assert_eq!(
        pts(answer_sdp(&c, "c-accept", &pcma_only, &OfferOptions::new()).await),
        "0"
    );
    let always = OfferOptions::new().flag(Flag::AlwaysTranscode);
    offer_sdp(&c, "c-always", &sdp, &always).await;
    let ans = answer_sdp(&c, "c-always", &pcma_only, &OfferOptions::new()).await;
    assert_eq!(payload_types(&ans)[0], "0", "{ans}");
    // `single codec` in the answer leaves one codec (plus telephone-event).
    offer_sdp(&c, "c-single", &sdp, &OfferOptions::new()).await;
    let both = audio(40_002);
    let single = OfferOptions::new().flag(Flag::SingleCodec);
    assert_eq!(
        pts(answer_sdp(&c, "c-single", &both, &single).await),
        "0 101"
    );
    // `ptime` rewrites the offer's a=ptime; `ptime-reverse` the answer's.
    let p = offer_sdp(&c, "c-ptime", &sdp, &OfferOptions::new().ptime(30)).await;
    assert_eq!(lines(&p, "a=ptime:"), ["a=ptime:30"]);
    let rev = offer_sdp(&c, "c-ptrev", &sdp, &OfferOptions::new().ptime_reverse(40)).await;
    assert_eq!(lines(&rev, "a=ptime:"), ["a=ptime:20"]);
    let ans = answer_sdp(&c, "c-ptrev", &both, &OfferOptions::new()).await;
    assert_eq!(lines(&ans, "a=ptime:"), ["a=ptime:40"]);
    // `T.38: force` turns the audio offer into a T.38 fax offer.
    let fax = offer_sdp(&c, "c-t38", &sdp, &OfferOptions::new().t38(T38::Force)).await;
    assert!(
        m_line(&fax).starts_with("m=image ") && m_line(&fax).ends_with(" udptl t38"),
        "{fax}"
    );
    assert!(!lines(&fax, "a=T38FaxVersion:").is_empty());
}

#[tokio::test]
async fn crypto_and_ice_effects() {
    let rtpe = start();
    let c = connect(&rtpe).await;
    let sdp = audio(40_000);
    let crypto_keys = |s: &str| -> Vec<String> {
        lines(s, "a=crypto:")
            .iter()
            .map(|l| l.split("inline:").nth(1).unwrap().to_owned())
            .collect()
    };
    // OSRTP offer: plain RTP/AVP with SDES crypto lines.
    let os = offer_sdp(
        &c,
        "x-osrtp",
        &sdp,
        &OfferOptions::new().osrtp(Osrtp::Offer),
    )
    .await;
    assert!(m_line(&os).contains(" RTP/AVP "), "{os}");
    assert!(lines(&os, "a=crypto:").len() > 1, "{os}");
    let plain = offer_sdp(&c, "x-plain", &sdp, &OfferOptions::new()).await;
    assert!(lines(&plain, "a=crypto:").is_empty());
    // SDES options on an RTP/SAVP offer.
    let savp = OfferOptions::new().transport_protocol(TransportProtocol::RtpSavp);
    let default = offer_sdp(&c, "x-savp", &sdp, &savp).await;
    let keys = crypto_keys(&default);
    assert!(
        keys.iter().all(|k| !k.contains('|') && !k.ends_with('=')),
        "{keys:?}"
    );
    assert!(default.contains(" AES_CM_128_HMAC_SHA1_32 "));
    let pad = crypto_keys(&offer_sdp(&c, "x-pad", &sdp, &savp.clone().sdes(Sdes::Pad)).await);
    assert!(pad.iter().any(|k| k.ends_with('=')), "pad: {pad:?}");
    let life =
        crypto_keys(&offer_sdp(&c, "x-life", &sdp, &savp.clone().sdes(Sdes::Lifetime)).await);
    assert!(
        life.iter().all(|k| k.ends_with("|2^31")),
        "lifetime: {life:?}"
    );
    let no = offer_sdp(
        &c,
        "x-no",
        &sdp,
        &savp.clone().sdes(Sdes::no("AES_CM_128_HMAC_SHA1_32")),
    )
    .await;
    assert!(!no.contains(" AES_CM_128_HMAC_SHA1_32 "), "{no}");
    assert!(no.contains(" AES_CM_128_HMAC_SHA1_80 "));
    let off = offer_sdp(&c, "x-off", &sdp, &savp.clone().sdes(Sdes::Off)).await;
    assert!(lines(&off, "a=crypto:").is_empty(), "{off}");
    // DTLS-fingerprint SHA-1 (every hash is checked in the spelling test).
    let dtls = OfferOptions::new()
        .transport_protocol(TransportProtocol::UdpTlsRtpSavp)
        .dtls_fingerprint(DtlsFingerprint::Sha1);
    let fp = offer_sdp(&c, "x-fp", &sdp, &dtls).await;
    assert_eq!(lines(&fp, "a=fingerprint:sha-1 ").len(), 1, "{fp}");
    // ICE-lite (with ICE forced).
    let lite = OfferOptions::new()
        .ice(Ice::Force)
        .ice_lite(IceLite::Forward);
    let l = offer_sdp(&c, "x-lite", &sdp, &lite).await;
    assert_eq!(lines(&l, "a=ice-lite"), ["a=ice-lite"]);
    let forced = offer_sdp(&c, "x-ice", &sdp, &OfferOptions::new().ice(Ice::Force)).await;
    assert!(lines(&forced, "a=ice-lite").is_empty());
    assert!(lines(&forced, "a=ice-options:trickle").is_empty());
    // Trickle ICE.
    let trickle = OfferOptions::new().ice(Ice::Force).flag(Flag::TrickleIce);
    let t = offer_sdp(&c, "x-trickle", &sdp, &trickle).await;
    assert_eq!(lines(&t, "a=ice-options:trickle").len(), 1, "{t}");
    assert_eq!(lines(&t, "a=end-of-candidates").len(), 1, "{t}");
    // Reject ICE: the caller offered ICE; its answer comes without (and with, by default).
    let ice_sdp = format!(
        "{sdp}a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\n\
         a=candidate:1 1 UDP 2130706431 127.0.0.1 40000 typ host\r\n"
    );
    offer_sdp(&c, "x-ice-kept", &ice_sdp, &OfferOptions::new()).await;
    let kept = answer_sdp(&c, "x-ice-kept", &audio(40_002), &OfferOptions::new()).await;
    assert_eq!(lines(&kept, "a=ice-ufrag:").len(), 1, "{kept}");
    let reject = OfferOptions::new().flag(Flag::RejectIce);
    offer_sdp(&c, "x-ice-rejected", &ice_sdp, &reject).await;
    let rejected = answer_sdp(&c, "x-ice-rejected", &audio(40_002), &OfferOptions::new()).await;
    assert!(lines(&rejected, "a=ice-ufrag:").is_empty(), "{rejected}");
}

/// A `subscribe request` built from `OfferOptions` (to show `set-label`).
struct Subscribe<'a> {
    call_id: &'a str,
    from_tag: &'a str,
    options: &'a OfferOptions,
}

impl Request for Subscribe<'_> {
    fn command(&self) -> &str {
        "subscribe request"
    }
    fn encode_keys(&self, enc: &mut Encoder<'_>, _target: Option<Version>) {
        enc.entry_str("call-id", self.call_id);
        enc.entry_str("from-tag", self.from_tag);
        self.options.encode_keys(enc);
    }
    fn requirements(&self) -> rtpengine_client::Requirements {
        self.options.requirements()
    }
}

#[tokio::test]
async fn sdp_shaping_effects() {
    let rtpe = start();
    let c = connect(&rtpe).await;
    let sdp = audio(40_000);
    let flag = |f: Flag| OfferOptions::new().flag(f);

    // loop protect marks the SDP; a marked SDP comes back unchanged.
    let marked = offer_sdp(&c, "s-loop", &sdp, &flag(Flag::LoopProtect)).await;
    assert_eq!(lines(&marked, "a=rtpengine:").len(), 1, "{marked}");
    let again = offer_sdp(&c, "s-loop-2", &marked, &flag(Flag::LoopProtect)).await;
    assert_eq!(again, marked);
    // strip extmap.
    let ext = format!("{sdp}a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n");
    let kept = offer_sdp(&c, "s-ext-kept", &ext, &OfferOptions::new()).await;
    assert_eq!(lines(&kept, "a=extmap:").len(), 1, "{kept}");
    let stripped = offer_sdp(&c, "s-ext", &ext, &flag(Flag::StripExtmap)).await;
    assert!(lines(&stripped, "a=extmap:").is_empty(), "{stripped}");
    // generate mid.
    let mid = offer_sdp(&c, "s-mid", &sdp, &flag(Flag::GenerateMid)).await;
    assert_eq!(lines(&mid, "a=mid:"), ["a=mid:1"]);
    assert!(lines(&kept, "a=mid:").is_empty());
    // rtcp attribute: absent, or with the address.
    assert_eq!(lines(&kept, "a=rtcp:").len(), 1);
    let none = offer_sdp(&c, "s-nortcp", &sdp, &flag(Flag::NoRtcpAttribute)).await;
    assert!(lines(&none, "a=rtcp:").is_empty(), "{none}");
    let full = offer_sdp(&c, "s-fullrtcp", &sdp, &flag(Flag::FullRtcpAttribute)).await;
    let rtcp = lines(&full, "a=rtcp:");
    assert!(
        rtcp.len() == 1 && rtcp[0].ends_with(" IN IP4 127.0.0.1"),
        "{full}"
    );
    // original sendrecv: no direction attribute is added where the offer had none.
    let nodir = sdp.replace("a=sendrecv\r\n", "");
    let added = offer_sdp(&c, "s-dir-added", &nodir, &OfferOptions::new()).await;
    assert_eq!(lines(&added, "a=sendrecv"), ["a=sendrecv"]);
    let original = offer_sdp(&c, "s-dir-orig", &nodir, &flag(Flag::OriginalSendrecv)).await;
    assert!(lines(&original, "a=sendrecv").is_empty(), "{original}");
    // replace: session name, username and SDP version stay those of the first SDP.
    let first = sdp
        .replace("o=- 1 1 ", "o=alice 1 1 ")
        .replace("s=-", "s=first");
    let second = sdp
        .replace("o=- 1 1 ", "o=bob 1 5 ")
        .replace("s=-", "s=second");
    for (call, replace, want_o, want_s) in [
        ("s-rep-none", vec![], "o=bob 1 5 ", "s=second"),
        (
            "s-rep",
            vec![Replace::SessionName, Replace::Username, Replace::SdpVersion],
            "o=alice 1 1 ",
            "s=first",
        ),
    ] {
        offer_sdp(&c, call, &first, &OfferOptions::new()).await;
        let mut opts = OfferOptions::new();
        for r in replace {
            opts = opts.replace(r);
        }
        let out = offer_sdp(&c, call, &second, &opts).await;
        assert_eq!(lines(&out, "o=").len(), 1);
        assert!(lines(&out, "o=")[0].starts_with(want_o), "{call}: {out}");
        assert_eq!(lines(&out, "s="), [want_s], "{call}");
    }
    // replace origin: the o= address becomes rtpengine's.
    let foreign = sdp_audio("192.0.2.1", 40_000, 1);
    let o = offer_sdp(&c, "s-origin-kept", &foreign, &OfferOptions::new()).await;
    assert!(lines(&o, "o=")[0].ends_with(" 192.0.2.1"), "{o}");
    let o = offer_sdp(
        &c,
        "s-origin",
        &foreign,
        &OfferOptions::new().replace(Replace::Origin),
    )
    .await;
    assert!(lines(&o, "o=")[0].ends_with(" 127.0.0.1"), "{o}");
    // replace zero address: a hold address becomes rtpengine's.
    let hold = sdp.replace("c=IN IP4 127.0.0.1", "c=IN IP4 0.0.0.0");
    let z = offer_sdp(&c, "s-zero-kept", &hold, &OfferOptions::new()).await;
    assert_eq!(lines(&z, "c="), ["c=IN IP4 0.0.0.0"]);
    let z = offer_sdp(
        &c,
        "s-zero",
        &hold,
        &OfferOptions::new().replace(Replace::ZeroAddress),
    )
    .await;
    assert_eq!(lines(&z, "c="), ["c=IN IP4 127.0.0.1"]);
    // label in offer and answer, set-label in a subscribe request: labels in query.
    offer_sdp(&c, "s-label", &sdp, &OfferOptions::new().label("caller")).await;
    answer_sdp(
        &c,
        "s-label",
        &audio(40_002),
        &OfferOptions::new().label("callee"),
    )
    .await;
    let sub = OfferOptions::new().set_label("listener");
    c.send(&Subscribe {
        call_id: "s-label",
        from_tag: "tagA",
        options: &sub,
    })
    .await
    .expect("subscribe request");
    let mut labels: Vec<(String, String)> = query(&c, "s-label")
        .await
        .tags
        .iter()
        .map(|t| (t.tag.clone(), t.label.clone().unwrap_or_default()))
        .collect();
    labels.sort_by(|a, b| a.1.cmp(&b.1));
    let names: Vec<&str> = labels.iter().map(|(_, l)| l.as_str()).collect();
    assert_eq!(names, ["callee", "caller", "listener"], "{labels:?}");
}

#[tokio::test]
async fn xmlrpc_callback_is_the_host_the_timeout_callback_goes_to() {
    // Calls without media time out after a second; the daemon then calls its `b2b-url`, with
    // `%%` replaced by the call's `xmlrpc-callback` (else by the address the offer came from).
    // Nothing listens on the port: the log line naming the URL is the effect.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let rtpe = rtpengine_testkit::Rtpengine::builder()
        .arg("--timeout=1")
        .arg(format!("--b2b-url=http://%%:{port}/"))
        .arg("--xmlrpc-format=0")
        .start()
        .expect("start rtpengine with a timeout callback");
    let v = daemon_version(&rtpe);
    let c = connect(&rtpe).await;
    let typed =
        OfferOptions::new().xmlrpc_callback("127.0.0.2".parse::<std::net::IpAddr>().unwrap());
    let bad = OfferOptions::new().raw_key("xmlrpc-callback", "not-an-address");
    for (tag, opts) in [
        ("cb-typed", &typed),
        ("cb-bad", &bad),
        ("cb-none", &OfferOptions::new()),
    ] {
        c.offer(&audio(40_000), tag, tag, opts)
            .await
            .unwrap_or_else(|e| panic!("offer {tag}: {e}"));
        c.answer(
            &audio(40_002),
            tag,
            tag,
            &format!("{tag}-b"),
            &OfferOptions::new(),
        )
        .await
        .unwrap_or_else(|e| panic!("answer {tag}: {e}"));
    }
    // 10.5 and 12.5.1.31 log `Forking child to close call with tag cb-typed via XMLRPC call to
    // http://127.0.0.2:<port>/`; 26.0.1.26 logs `Initiating XMLRPC for call (ID cb-typed, tag
    // cb-typed) to http://127.0.0.2:<port>/`.
    let url_line = |tag: &str, host: &str| {
        if v < Version::new(26, 0) {
            format!("Forking child to close call with tag {tag} via XMLRPC call to http://{host}:{port}/")
        } else {
            format!("Initiating XMLRPC for call (ID {tag}, tag {tag}) to http://{host}:{port}/")
        }
    };
    // A bad address: 10.5 and 12.5.1.31 log `Failed to parse 'xmlrpc-callback' address
    // 'not-an-address'` and fall back to the offer's source address; 26.0.1.26 takes the
    // string as it is (no log line) and puts it into the URL.
    let bad_host = if v < Version::new(26, 0) {
        "127.0.0.1"
    } else {
        "not-an-address"
    };
    let wait = Duration::from_secs(10);
    for (tag, host) in [
        ("cb-typed", "127.0.0.2"),
        ("cb-bad", bad_host),
        ("cb-none", "127.0.0.1"),
    ] {
        let line = url_line(tag, host);
        assert!(
            rtpe.wait_for_log(&line, 1, wait),
            "rtpengine {v}: no '{line}' in:\n{}",
            rtpe.log_tail(40)
        );
    }
    let parse_failures = usize::from(v < Version::new(26, 0));
    assert_eq!(
        rtpe.log_count("Failed to parse 'xmlrpc-callback' address 'not-an-address'"),
        parse_failures,
        "rtpengine {v}"
    );
}

// ---------------------------------------------------------------------------------------------
// Media effects

/// An RTP socket on an even port and its RTCP socket on the next one.
async fn udp_pair() -> (UdpSocket, UdpSocket) {
    for _ in 0..200 {
        let rtp = udp().await;
        let port = rtp.local_addr().unwrap().port();
        if port % 2 != 0 || port == u16::MAX {
            continue;
        }
        if let Ok(rtcp) = UdpSocket::bind(("127.0.0.1", port + 1)).await {
            return (rtp, rtcp);
        }
    }
    panic!("no free port pair");
}

fn to(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// Packets arriving at `sock` within `wait`.
async fn received(sock: &UdpSocket, wait: Duration) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut buf = [0u8; 2048];
    let end = tokio::time::Instant::now() + wait;
    while let Ok(Ok(n)) = tokio::time::timeout_at(end, sock.recv(&mut buf)).await {
        out.push(buf[..n].to_vec());
    }
    out
}

/// A call between `a` and `b`: returns (port A sends to, port B sends to).
async fn call(c: &Client, id: &str, a: &UdpSocket, b: &UdpSocket, o: &OfferOptions) -> (u16, u16) {
    let (a_at, b_at) = (a.local_addr().unwrap(), b.local_addr().unwrap());
    let (offered, answered) = offer_answer_with(c, id, a_at, b_at, o, &OfferOptions::new()).await;
    (media_port(&answered), media_port(&offered))
}

async fn send_rtp(from: &UdpSocket, port: u16, n: u16) {
    for seq in 0..n {
        let p = rtp_packet(seq, u32::from(seq) * 160, 0x1234_5678, 0, &[0xd5; 160]);
        from.send_to(&p, to(port)).await.unwrap();
    }
}

async fn echo_and_drop(c: &Client) {
    // Control: media flows A → B.
    let (a, b) = (udp().await, udp().await);
    let (to_a, _) = call(c, "m-plain", &a, &b, &OfferOptions::new()).await;
    send_rtp(&a, to_a, 3).await;
    assert_eq!(received(&b, Duration::from_millis(300)).await.len(), 3);
    // media echo backwards (offer): the caller's media comes back to the caller.
    let (a, b) = (udp().await, udp().await);
    let echo = OfferOptions::new().media_echo(MediaEcho::Backwards);
    let (to_a, _) = call(c, "m-echo", &a, &b, &echo).await;
    send_rtp(&a, to_a, 3).await;
    assert_eq!(received(&a, Duration::from_millis(300)).await.len(), 3);
    assert!(received(&b, Duration::from_millis(50)).await.is_empty());
    // drop-traffic start: nothing is forwarded.
    let (a, b) = (udp().await, udp().await);
    let drop = OfferOptions::new().drop_traffic(DropTraffic::Start);
    let (to_a, _) = call(c, "m-drop", &a, &b, &drop).await;
    send_rtp(&a, to_a, 3).await;
    assert!(received(&b, Duration::from_millis(300)).await.is_empty());
}

async fn pierce_nat(c: &Client) {
    // pierce NAT: rtpengine sends a dummy RTP packet to the (not yet confirmed) caller.
    let (a, b) = (udp().await, udp().await);
    call(
        c,
        "m-pierce",
        &a,
        &b,
        &OfferOptions::new().flag(Flag::PierceNat),
    )
    .await;
    let got = received(&a, Duration::from_millis(2500)).await;
    assert!(
        got.iter().any(|p| p.starts_with(&[0x80, 0x7f, 0xff, 0xff])),
        "{got:?}"
    );
    let (a, b) = (udp().await, udp().await);
    call(c, "m-no-pierce", &a, &b, &OfferOptions::new()).await;
    assert!(received(&a, Duration::from_millis(1200)).await.is_empty());
}

async fn generate_rtcp(c: &Client) {
    // RTCP from the caller is forwarded by default and consumed with `generate RTCP: on`.
    let sr = [
        0x80u8, 200, 0, 6, 0x12, 0x34, 0x56, 0x78, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0,
    ];
    for (id, opts, forwarded) in [
        ("m-rtcp", OfferOptions::new(), true),
        (
            "m-rtcp-gen",
            OfferOptions::new().generate_rtcp(OnOff::On),
            false,
        ),
    ] {
        let ((a, a_rtcp), (b, b_rtcp)) = (udp_pair().await, udp_pair().await);
        let (to_a, to_b) = call(c, id, &a, &b, &opts).await;
        for _ in 0..5 {
            send_rtp(&a, to_a, 1).await;
            send_rtp(&b, to_b, 1).await;
            a_rtcp.send_to(&sr, to(to_a + 1)).await.unwrap();
        }
        let got = received(&b_rtcp, Duration::from_millis(400)).await;
        let srs = got.iter().filter(|p| p.get(1) == Some(&200)).count();
        assert_eq!(srs > 0, forwarded, "{id}: {got:?}");
    }
}

async fn endpoint_learning_and_passthrough(c: &Client) {
    // The caller's SDP names one port but it sends from another: `immediate` learns the
    // sender at once, `off` keeps the SDP's port.
    for (id, mode, learns) in [
        ("m-el-off", EndpointLearning::Off, false),
        ("m-el-immediate", EndpointLearning::Immediate, true),
    ] {
        let (a, b, actual) = (udp().await, udp().await, udp().await);
        let opts = OfferOptions::new().endpoint_learning(mode);
        let (to_a, to_b) = call(c, id, &a, &b, &opts).await;
        send_rtp(&actual, to_a, 3).await;
        assert_eq!(
            received(&b, Duration::from_millis(300)).await.len(),
            3,
            "{id}"
        );
        send_rtp(&b, to_b, 3).await;
        let (at_sdp, at_actual) = (
            received(&a, Duration::from_millis(300)).await.len(),
            received(&actual, Duration::from_millis(100)).await.len(),
        );
        assert_eq!(
            (at_sdp == 0, at_actual == 3),
            (learns, learns),
            "{id}: {at_sdp}/{at_actual}"
        );
        let stats = query(c, id).await;
        let ep = stats.tags.iter().find(|t| t.tag == "tagA").unwrap().medias[0].streams[0]
            .endpoint
            .clone()
            .unwrap();
        let want = if learns {
            local_port(&actual)
        } else {
            local_port(&a)
        };
        assert_eq!(ep.port, want, "{id}");
    }
    // passthrough on: both sides' media are flagged in query.
    offer_sdp(
        c,
        "m-pass",
        &audio(40_000),
        &OfferOptions::new().passthrough(OnOff::On),
    )
    .await;
    let stats = query(c, "m-pass").await;
    assert_eq!(stats.tags.len(), 2);
    for t in &stats.tags {
        assert!(
            t.medias[0].flags.iter().any(|f| f == "passthrough"),
            "{t:?}"
        );
    }
    offer_sdp(c, "m-nopass", &audio(40_000), &OfferOptions::new()).await;
    for t in &query(c, "m-nopass").await.tags {
        assert!(
            !t.medias[0].flags.iter().any(|f| f == "passthrough"),
            "{t:?}"
        );
    }
}

#[tokio::test]
async fn media_effects() {
    let rtpe = start();
    let c = connect(&rtpe).await;
    let all = async {
        tokio::join!(
            echo_and_drop(&c),
            pierce_nat(&c),
            generate_rtcp(&c),
            endpoint_learning_and_passthrough(&c),
        )
    };
    timeout(Duration::from_secs(15), all)
        .await
        .expect("media checks timed out");
}
