//! The whole option catalogue against the real rtpengine 10.5 daemon.
//!
//! * Spelling: every 10.5-era flag, key and enum value of the catalogue is sent, and the daemon
//!   logs none of them as unknown (`Unknown flag encountered`, `Unknown dictionary key
//!   encountered`, `Unknown 'X' flag encountered`, `Unknown 'codec' operation encountered`,
//!   `Failed to parse …`). Coverage is computed from the `KEYS`/`ALL` tables, so a new entry
//!   cannot be forgotten. Values 10.5 ignores without a word (transport protocol, address
//!   family, DTLS fingerprint) are checked by their effect on the SDP instead.
//! * Versions: everything the catalogue marks newer than 10.5 is logged as unknown by 10.5 (the
//!   gate is not too strict), and the client refuses it when told the daemon is 10.5.
//! * Effects: one visible effect per option (SDP lines, `query` contents, RTP/RTCP flow).
//!
//! Each test starts one daemon and runs its checks against it; the tests run in parallel.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::time::Duration;

use common::{
    answer_sdp, connect, delete, dict, dict_bytes, first_line, lines, local_port, media_port,
    offer_answer_with, offer_sdp, query, start, start_with_ipv6, to_dict, udp, with_key,
};
use rtpengine_client::bencode::{Dict, Encoder, Value};
use rtpengine_client::message::options::{
    CodecOptions, DropTraffic, DtlsFingerprint, DtlsReverse, EndpointLearning, IceLite, MediaEcho,
    OnOff, Osrtp, Supports, T38,
};
use rtpengine_client::message::request::{Offer, Request};
use rtpengine_client::message::{Since, Version};
use rtpengine_client::{
    AddressFamily, Client, DeleteOptions, Direction, Dtls, Error, Flag, Ice, OfferOptions, Replace,
    RtcpMux, Sdes, TransportProtocol,
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

/// rtpengine 10.5 turns spaces into hyphens before matching (and logging) flags, `SDES`,
/// `replace` and `T.38` values.
fn hyphenated(s: &str) -> String {
    s.replace(' ', "-")
}

/// Log lines saying an option was not understood.
fn not_understood(rtpe: &Rtpengine) -> Vec<String> {
    rtpe.log()
        .lines()
        .filter(|l| {
            l.contains("encountered")
                || l.contains("Failed to parse")
                || l.contains("Optional feature")
        })
        .map(str::to_owned)
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Spelling: everything 10.5-era is understood by 10.5

/// The enum tables whose values 10.5 checks (and logs when unknown), by key.
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
    ]
}

/// Offers that together use every 10.5-era flag, key, codec operation and enum value.
fn spelling_variants() -> Vec<OfferOptions> {
    let base = |v: &Since| v.met_by(Version::V10_5);
    // Flags: all but those that contradict others (sent apart), `fragment` (no SDP in the
    // reply), `symmetric` (unknown to 10.5) and `fatal` (a `delete` flag in 10.5).
    let apart = [
        Flag::SipSourceAddress,
        Flag::NoPortLatching,
        Flag::NoPassthrough,
        Flag::Fragment,
        Flag::Symmetric,
        Flag::Fatal,
    ];
    let mut all_flags = OfferOptions::new();
    for (text, since) in Flag::ALL {
        let f = Flag::from(*text);
        if base(since) && !apart.contains(&f) {
            all_flags = all_flags.flag(f);
        }
    }
    let codec = CodecOptions::new()
        .strip("GSM")
        .offer("PCMU")
        .except("PCMU")
        .transcode("PCMA")
        .mask("G722")
        .set("PCMU/8000/1")
        .accept("PCMU")
        .consume("G722");
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
        if base(since) {
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
    for v in [Osrtp::Offer, Osrtp::Accept] {
        keys = keys.osrtp(v);
    }
    for (text, since) in T38::ALL {
        let v = T38::from(*text);
        if base(since) && v != T38::Force && v != T38::Stop {
            keys = keys.t38(v);
        }
    }
    let mut sdes = OfferOptions::new()
        .transport_protocol(TransportProtocol::RtpSavp)
        .sdes(Sdes::no("AES_CM_128_HMAC_SHA1_32"));
    for (text, since) in Sdes::ALL {
        if base(since) && *text != "off" {
            sdes = sdes.sdes(Sdes::from(*text));
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
    let each = |all: &[(&str, Since)], make: &dyn Fn(&str) -> OfferOptions| -> Vec<OfferOptions> {
        all.iter()
            .filter(|(_, since)| base(since))
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
    // Values 10.5 ignores silently when unknown: their effect is checked below.
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
    variants
}

/// The answer options of the spelling test.
fn accept_answer() -> OfferOptions {
    OfferOptions::new().transport_protocol(TransportProtocol::Accept)
}

/// The variants (and the answer) use every 10.5-era flag (but `fatal`), key, codec operation
/// and enum value.
fn assert_coverage(variants: &[OfferOptions]) {
    let answer = accept_answer();
    let mut sent: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut codec_ops = BTreeSet::new();
    for v in variants.iter().chain([&answer]) {
        for (k, val) in encoded(v).iter() {
            let key = String::from_utf8_lossy(k).into_owned();
            if key == "codec" {
                for (op, _) in val.as_dict().unwrap().iter() {
                    codec_ops.insert(String::from_utf8_lossy(op).into_owned());
                }
            }
            sent.entry(key).or_default().extend(texts(val));
        }
    }
    let base = |v: &Since| v.met_by(Version::V10_5);
    for (key, _, since) in OfferOptions::KEYS {
        if base(since) {
            assert!(sent.contains_key(*key), "key '{key}' is never sent");
        }
    }
    for (op, _, since) in CodecOptions::KEYS {
        if base(since) {
            assert!(codec_ops.contains(*op), "codec '{op}' is never sent");
        }
    }
    for (text, since) in Flag::ALL {
        if base(since) && *text != "fatal" {
            assert!(sent["flags"].contains(*text), "flag '{text}' is never sent");
        }
    }
    for (key, all) in value_tables() {
        for (text, since) in all {
            if base(since) {
                assert!(
                    sent.get(key).is_some_and(|s| s.contains(*text)),
                    "'{key}' value '{text}' is never sent"
                );
            }
        }
    }
}

#[tokio::test]
async fn every_base_spelling_is_understood_by_10_5() {
    let rtpe = start_with_ipv6();
    let client = connect(&rtpe).await;
    let variants = spelling_variants();
    assert_coverage(&variants);
    let sdp = audio(40_000);
    for (i, opts) in variants.iter().enumerate() {
        let call = format!("spell-{i}");
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
        // The values 10.5 ignores silently when it does not know them, by effect.
        if let Some(tp) = &opts.transport_protocol {
            if opts.osrtp.is_empty() {
                assert!(
                    m_line(&out).contains(&format!(" {tp} ")),
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
    }
    // `transport protocol: accept` is an answer value.
    offer_sdp(&client, "spell-accept", &sdp, &OfferOptions::new()).await;
    answer_sdp(&client, "spell-accept", &audio(40_002), &accept_answer()).await;
    assert!(rtpe.wait_for_log("Replying to 'answer'", 1, WAIT));
    let unknown = not_understood(&rtpe);
    assert_eq!(unknown.len(), 1, "{unknown:#?}");
    assert!(
        unknown[0].contains("Unknown flag encountered: 'symmetric'"),
        "{unknown:#?}"
    );
}

#[tokio::test]
async fn fatal_is_a_delete_flag_in_10_5() {
    let rtpe = start();
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
    // In an offer 10.5 does not know it (a generic flag since 13.0).
    offer_sdp(
        &client,
        "fatal-offer",
        &audio(40_000),
        &OfferOptions::new().flag(Flag::Fatal),
    )
    .await;
    assert!(rtpe.wait_for_log("Unknown flag encountered: 'fatal'", 1, WAIT));
}

// ---------------------------------------------------------------------------------------------
// Versions: what the catalogue marks newer than 10.5 is unknown to 10.5

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

#[tokio::test]
async fn everything_newer_than_10_5_is_unknown_to_10_5() {
    let rtpe = start();
    // No version: nothing is gated, so everything reaches the daemon.
    let client = connect(&rtpe).await;
    let gated = Client::builder(rtpe.udp_url())
        .rtpengine_version(Version::V10_5)
        .connect()
        .await
        .unwrap();
    let sdp = audio(40_000);
    // (options, the log line 10.5 must write)
    let mut cases: Vec<(OfferOptions, String)> = Vec::new();
    for (key, _, since) in OfferOptions::KEYS {
        if !since.met_by(Version::V10_5) {
            cases.push((
                with_sample(key),
                format!("Unknown dictionary key encountered: '{key}'"),
            ));
        }
    }
    for (text, since) in Flag::ALL {
        if !since.met_by(Version::V10_5) {
            cases.push((
                OfferOptions::new().flag(Flag::from(*text)),
                format!("Unknown flag encountered: '{}'", hyphenated(text)),
            ));
        }
    }
    // Newer values of keys 10.5 has.
    let newer = |all: &'static [(&'static str, Since)]| {
        all.iter()
            .filter(|(_, v)| !v.met_by(Version::V10_5))
            .map(|(t, _)| *t)
            .collect::<Vec<_>>()
    };
    for t in newer(Replace::ALL) {
        cases.push((
            OfferOptions::new().replace(Replace::from(t)),
            format!("Unknown 'replace' flag encountered: '{}'", hyphenated(t)),
        ));
    }
    for t in newer(Ice::ALL) {
        cases.push((
            OfferOptions::new().ice(Ice::from(t)),
            format!("Unknown 'ICE' flag encountered: '{t}'"),
        ));
    }
    for t in newer(Osrtp::ALL) {
        cases.push((
            OfferOptions::new().osrtp(Osrtp::from(t)),
            format!("Unknown 'OSRTP' flag encountered: '{t}'"),
        ));
    }
    let mut sdes_values: Vec<String> = newer(Sdes::ALL).into_iter().map(str::to_owned).collect();
    for (prefix, since) in Sdes::PREFIXES {
        if !since.met_by(Version::V10_5) {
            sdes_values.push(format!("{prefix}AES_CM_128_HMAC_SHA1_80"));
        }
    }
    for t in &sdes_values {
        cases.push((
            OfferOptions::new()
                .transport_protocol(TransportProtocol::RtpSavp)
                .sdes(Sdes::from(t.as_str())),
            format!("Unknown 'SDES' flag encountered: '{}'", hyphenated(t)),
        ));
    }
    for (op, _, since) in CodecOptions::KEYS {
        if !since.met_by(Version::V10_5) {
            let mut codec = CodecOptions::new();
            codec.ignore = vec!["PCMA".into()];
            assert_eq!(*op, "ignore", "a new codec operation needs a case here");
            cases.push((
                OfferOptions::new().codec(codec),
                format!("Unknown 'codec' operation encountered: '{op}'"),
            ));
        }
    }
    assert!(cases.len() > 70, "only {} newer entries", cases.len());
    for (i, (opts, _)) in cases.iter().enumerate() {
        let call = format!("newer-{i}");
        // The gate refuses each one for 10.5 …
        let err = gated
            .offer(&sdp, &call, "tagA", opts)
            .await
            .expect_err("sent to 10.5");
        assert!(
            matches!(err, Error::Unsupported { .. }),
            "{opts:?}: {err:?}"
        );
        // … and 10.5 indeed does not know it.
        offer_sdp(&client, &call, &sdp, opts).await;
        delete(&client, &call).await;
    }
    assert!(rtpe.wait_for_log("Replying to 'offer'", cases.len(), WAIT));
    let log = rtpe.log();
    let missing: Vec<&String> = cases
        .iter()
        .map(|(_, line)| line)
        .filter(|line| !log.contains(line.as_str()))
        .collect();
    assert!(missing.is_empty(), "10.5 understood these: {missing:#?}");
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
    fn requirements(&self) -> rtpengine_client::message::Requirements {
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
    // xmlrpc-callback: a typed address is parsed; a bad raw one is reported by the daemon
    // (which shows the key is read).
    let cb = OfferOptions::new().xmlrpc_callback("127.0.0.1".parse::<std::net::IpAddr>().unwrap());
    offer_sdp(&c, "s-cb", &sdp, &cb).await;
    offer_sdp(
        &c,
        "s-cb-bad",
        &sdp,
        &OfferOptions::new().raw_key("xmlrpc-callback", "not-an-address"),
    )
    .await;
    assert!(rtpe.wait_for_log(
        "Failed to parse 'xmlrpc-callback' address 'not-an-address'",
        1,
        WAIT
    ));
    assert_eq!(rtpe.log_count("Failed to parse 'xmlrpc-callback'"), 1);
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
