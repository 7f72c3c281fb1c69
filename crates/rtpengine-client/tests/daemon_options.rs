//! Every typed offer/answer option of the client against the real rtpengine daemon: 10.5 (the
//! host's), 12.5 or 26.0 (`RTPENGINE_RELEASE`).
//!
//! rtpengine silently ignores keys, flags and values it does not understand, so a request that
//! succeeds proves nothing. Each test here shows the option's effect: in the rewritten SDP, in
//! `query` (flags, endpoints, local addresses), in files the daemon writes, on the daemon's
//! sockets, or in its log. Where a release has no observable effect, or a different one, the
//! test says so and asserts what that release does (see [`Line`]).

mod common;

use rtpengine_client::NgCommands;
use std::net::IpAddr;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::{
    answer_sdp, assert_log, connect, daemon_version, first_line, ip, lines, media_port, offer,
    offer_sdp, query, start, start_recording, start_with_ipv6, TempDir,
};
use rtpengine_client::bencode::Value;
use rtpengine_client::{
    AddressFamily, AnswerOptions, CallStats, DeleteOptions, Direction, Dtls, Flag, Ice, MediaStats,
    OfferOptions, ReceivedFrom, Replace, RtcpMux, Sdes, SdpReply, StreamStats, TransportProtocol,
    Version,
};
use rtpengine_testkit::rtp::{sdp_audio, sdp_audio_v6, sdp_connection_addr};
use rtpengine_testkit::Rtpengine;

/// The release line under test, for the behaviours seen to differ between the three tested
/// releases (10.5.3.5, 12.5.1.31 and 26.0.1.26; each difference is written down where it is
/// asserted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Line {
    V10_5,
    V12_5,
    V26_0,
}

/// The line of the started daemon; any other release has no recorded behaviour (probe it and
/// add it here rather than guess).
fn line(rtpe: &Rtpengine) -> Line {
    let v = daemon_version(rtpe);
    match (v.major, v.minor) {
        (10, 5) => Line::V10_5,
        (12, 5) => Line::V12_5,
        (26, 0) => Line::V26_0,
        _ => panic!("rtpengine {v}: no behaviour recorded for this release; add it to `Line`"),
    }
}

/// A daemon with two named interfaces, `pub` (127.0.0.1) and `priv` (127.0.0.2).
fn start_with_named_interfaces() -> Rtpengine {
    Rtpengine::builder()
        .interfaces(vec!["pub/127.0.0.1".into(), "priv/127.0.0.2".into()])
        .start()
        .expect("start rtpengine with two named interfaces")
}

/// The first media of a party: `tagA`, or the callee, which is `<untagged 1>` before the answer.
fn media<'a>(stats: &'a CallStats, key: &str) -> &'a MediaStats {
    let party = stats
        .tags
        .iter()
        .find(|t| t.key == key)
        .unwrap_or_else(|| panic!("no party {key} in {:?}", stats.raw));
    &party.medias[0]
}

fn rtp_stream<'a>(stats: &'a CallStats, key: &str) -> &'a StreamStats {
    &media(stats, key).streams[0]
}

fn has(flags: &[String], flag: &str) -> bool {
    flags.iter().any(|f| f == flag)
}

fn m_line(sdp: &str) -> &str {
    first_line(sdp, "m=audio ")
}

fn origin_addr(sdp: &str) -> &str {
    lines(sdp, "o=")[0].rsplit(' ').next().unwrap()
}

fn sdp_with(base: &str, extra: &str) -> String {
    format!("{base}{extra}")
}

// ---------------------------------------------------------------------------------------------
// Addressing

#[tokio::test]
async fn trust_address_vs_sip_source_address() {
    let rtpe = start();
    let client = connect(&rtpe).await;
    let sdp = sdp_audio("192.0.2.1", 40_000, 1);
    let sip_source = IpAddr::from([127, 0, 0, 9]);

    // SIP source address: the media endpoint is taken from `received from`, not from the SDP.
    let opts = OfferOptions::new()
        .flag(Flag::SipSourceAddress)
        .received_from(sip_source);
    offer(&client, "sip-source", &sdp, &opts).await;
    let ep = rtp_stream(&query(&client, "sip-source").await, "tagA")
        .endpoint
        .clone()
        .unwrap();
    assert_eq!((ep.address.as_str(), ep.port), ("127.0.0.9", 40_000));

    // Trust address: the SDP's own address wins over `received from`.
    let opts = OfferOptions::new()
        .flag(Flag::TrustAddress)
        .received_from(sip_source);
    offer(&client, "trust", &sdp, &opts).await;
    let ep = rtp_stream(&query(&client, "trust").await, "tagA")
        .endpoint
        .clone()
        .unwrap();
    assert_eq!((ep.address.as_str(), ep.port), ("192.0.2.1", 40_000));
}

#[tokio::test]
async fn received_from_family_inferred_or_explicit() {
    let rtpe = start_with_ipv6();
    let client = connect(&rtpe).await;
    let v4 = sdp_audio("192.0.2.1", 40_000, 1);
    let v6 = sdp_audio_v6("2001:db8::1", 40_000, 1);
    let cases: [(&str, &str, ReceivedFrom, &str, &str); 4] = [
        ("rf-v4-ip", &v4, ip("127.0.0.9").into(), "127.0.0.9", "IPv4"),
        (
            "rf-v4-explicit",
            &v4,
            ReceivedFrom::new(AddressFamily::Ip4, "127.0.0.8"),
            "127.0.0.8",
            "IPv4",
        ),
        ("rf-v6-ip", &v6, ip("::2").into(), "::2", "IPv6"),
        (
            "rf-v6-explicit",
            &v6,
            ReceivedFrom::new(AddressFamily::Ip6, "::3"),
            "::3",
            "IPv6",
        ),
    ];
    for (call, sdp, from, want_addr, want_family) in cases {
        let opts = OfferOptions::new()
            .flag(Flag::SipSourceAddress)
            .received_from(from);
        offer(&client, call, sdp, &opts).await;
        let ep = rtp_stream(&query(&client, call).await, "tagA")
            .endpoint
            .clone()
            .unwrap();
        assert_eq!(ip(&ep.address), ip(want_addr), "{call}");
        assert_eq!(ep.family.as_deref(), Some(want_family), "{call}");
    }
}

#[tokio::test]
async fn media_address_is_advertised_in_the_rewritten_sdp() {
    // 10.5 uses `media address` as the address it writes into the rewritten SDP (sdp.c only
    // reads it when printing addresses); the learned endpoint stays the SDP's address.
    let rtpe = start();
    let client = connect(&rtpe).await;
    let sdp = offer_sdp(
        &client,
        "media-addr",
        &sdp_audio("192.0.2.1", 40_000, 1),
        &OfferOptions::new().media_address(ip("203.0.113.7")),
    )
    .await;
    assert_eq!(sdp_connection_addr(&sdp).as_deref(), Some("203.0.113.7"));
    let stats = query(&client, "media-addr").await;
    let ep = rtp_stream(&stats, "tagA").endpoint.clone().unwrap();
    assert_eq!(ep.address, "192.0.2.1");
    // Without the option the daemon advertises its own interface address.
    let plain = offer_sdp(
        &client,
        "no-media-addr",
        &sdp_audio("192.0.2.1", 40_000, 1),
        &OfferOptions::new(),
    )
    .await;
    assert_eq!(sdp_connection_addr(&plain).as_deref(), Some("127.0.0.1"));
}

#[tokio::test]
async fn address_family_ip6() {
    let rtpe = start_with_ipv6();
    let client = connect(&rtpe).await;
    let sdp = offer_sdp(
        &client,
        "af6",
        &sdp_audio("127.0.0.1", 40_000, 1),
        &OfferOptions::new().address_family(AddressFamily::Ip6),
    )
    .await;
    assert!(sdp.contains("\r\nc=IN IP6 ::1\r\n"), "{sdp}");
    let stats = query(&client, "af6").await;
    // The callee side (IPv6) and the caller side (still IPv4).
    let callee = rtp_stream(&stats, "<untagged 1>");
    assert_eq!(callee.local_address.as_deref(), Some("::1"));
    assert_eq!(callee.family.as_deref(), Some("IPv6"));
    assert_eq!(callee.local_port, Some(media_port(&sdp)));
    assert_eq!(
        rtp_stream(&stats, "tagA").local_address.as_deref(),
        Some("127.0.0.1")
    );
    // And back: IP4 for an IPv6 caller.
    let sdp = offer_sdp(
        &client,
        "af4",
        &sdp_audio_v6("::1", 40_000, 1),
        &OfferOptions::new().address_family(AddressFamily::Ip4),
    )
    .await;
    assert!(sdp.contains("\r\nc=IN IP4 127.0.0.1\r\n"), "{sdp}");
}

#[tokio::test]
async fn direction_selects_logical_interfaces() {
    let rtpe = start_with_named_interfaces();
    let client = connect(&rtpe).await;
    // direction = [interface facing the caller, interface facing the callee]
    for (i, (from, to)) in [
        ("pub", "priv"),
        ("priv", "pub"),
        ("priv", "priv"),
        ("pub", "pub"),
    ]
    .into_iter()
    .enumerate()
    {
        let addr = |name: &str| {
            if name == "pub" {
                "127.0.0.1"
            } else {
                "127.0.0.2"
            }
        };
        let call = format!("dir-{i}");
        let sdp = offer_sdp(
            &client,
            &call,
            &sdp_audio("127.0.0.1", 40_000, 1),
            &OfferOptions::new().direction(Direction::new(from, to)),
        )
        .await;
        assert_eq!(
            sdp_connection_addr(&sdp).as_deref(),
            Some(addr(to)),
            "{call}"
        );
        let stats = query(&client, &call).await;
        assert_eq!(
            rtp_stream(&stats, "tagA").local_address.as_deref(),
            Some(addr(from)),
            "{call}"
        );
        // The answer SDP (for the caller) carries the caller-facing interface.
        let answer = answer_sdp(
            &client,
            &call,
            &sdp_audio("127.0.0.1", 40_002, 2),
            &AnswerOptions::new(),
        )
        .await;
        assert_eq!(sdp_connection_addr(&answer).as_deref(), Some(addr(from)));
    }
    // All four names were known: no fallback was logged.
    assert_log(&rtpe, "Replying to 'answer'", 4);
    assert_eq!(rtpe.log_count("not found, using default"), 0);
}

#[tokio::test]
async fn direction_default_and_unknown_interface_names() {
    let rtpe = start();
    let client = connect(&rtpe).await;
    // Unnamed interfaces are called "default".
    let sdp = offer_sdp(
        &client,
        "dir-default",
        &sdp_audio("127.0.0.1", 40_000, 1),
        &OfferOptions::new().direction(Direction::new("default", "default")),
    )
    .await;
    assert_eq!(sdp_connection_addr(&sdp).as_deref(), Some("127.0.0.1"));
    assert_log(&rtpe, "Replying to 'offer'", 1);
    assert_eq!(rtpe.log_count("not found, using default"), 0);
    // An unknown name is no error: the daemon logs it and falls back to the default interface.
    let sdp = offer_sdp(
        &client,
        "dir-bogus",
        &sdp_audio("127.0.0.1", 40_000, 1),
        &OfferOptions::new().direction(Direction::new("bogus-in", "bogus-out")),
    )
    .await;
    assert_eq!(sdp_connection_addr(&sdp).as_deref(), Some("127.0.0.1"));
    assert_log(&rtpe, "Interface 'bogus-in' not found, using default", 1);
    assert_log(&rtpe, "Interface 'bogus-out' not found, using default", 1);
}

#[tokio::test]
async fn round_robin_calls() {
    let rtpe = start_with_named_interfaces();
    let client = connect(&rtpe).await;
    // Without a direction both sides use the first interface.
    offer(
        &client,
        "rr-none",
        &sdp_audio("127.0.0.1", 40_000, 1),
        &OfferOptions::new(),
    )
    .await;
    let stats = query(&client, "rr-none").await;
    assert_eq!(
        rtp_stream(&stats, "tagA").local_address.as_deref(),
        Some("127.0.0.1")
    );
    assert_eq!(
        rtp_stream(&stats, "<untagged 1>").local_address.as_deref(),
        Some("127.0.0.1")
    );
    // round-robin-calls takes the interfaces in turn: each of the two sides of a call gets the
    // next one, so the two sides end up on different interfaces.
    for i in 0..3 {
        let call = format!("rr-{i}");
        offer(
            &client,
            &call,
            &sdp_audio("127.0.0.1", 40_000, 1),
            &OfferOptions::new().direction(Direction::RoundRobinCalls),
        )
        .await;
        let stats = query(&client, &call).await;
        let mut used = [
            rtp_stream(&stats, "tagA").local_address.clone().unwrap(),
            rtp_stream(&stats, "<untagged 1>")
                .local_address
                .clone()
                .unwrap(),
        ];
        used.sort();
        assert_eq!(used, ["127.0.0.1", "127.0.0.2"], "{call}");
    }
}

// ---------------------------------------------------------------------------------------------
// Flags

#[tokio::test]
async fn asymmetric_and_symmetric() {
    let rtpe = start();
    let client = connect(&rtpe).await;
    let sdp = sdp_audio("127.0.0.1", 40_000, 1);
    offer(
        &client,
        "asym",
        &sdp,
        &OfferOptions::new().flag(Flag::Asymmetric),
    )
    .await;
    let stats = query(&client, "asym").await;
    assert!(has(&media(&stats, "tagA").flags, "asymmetric"));

    // `symmetric` is rtpengine's default behaviour; no release has the flag (10.5, 12.5.1.31 and
    // 26.0.1.26 log `Unknown flag encountered: 'symmetric'` and ignore it), so the call is
    // simply not asymmetric.
    offer(
        &client,
        "sym",
        &sdp,
        &OfferOptions::new().flag(Flag::Symmetric),
    )
    .await;
    let stats = query(&client, "sym").await;
    assert!(!has(&media(&stats, "tagA").flags, "asymmetric"));
    assert_log(&rtpe, "Unknown flag encountered: 'symmetric'", 1);
}

#[tokio::test]
async fn unidirectional_strict_source_media_handover() {
    let rtpe = start();
    let client = connect(&rtpe).await;
    let sdp = sdp_audio("127.0.0.1", 40_000, 1);

    offer(&client, "plain", &sdp, &OfferOptions::new()).await;
    let plain = query(&client, "plain").await;
    let plain_media = media(&plain, "tagA");
    assert!(!has(&plain_media.flags, "unidirectional"));
    assert!(plain_media
        .streams
        .iter()
        .all(|s| !has(&s.flags, "strict source address") && !has(&s.flags, "media handover")));

    offer(
        &client,
        "unidir",
        &sdp,
        &OfferOptions::new().flag(Flag::Unidirectional),
    )
    .await;
    assert!(has(
        &media(&query(&client, "unidir").await, "tagA").flags,
        "unidirectional"
    ));

    offer(
        &client,
        "strict",
        &sdp,
        &OfferOptions::new().flag(Flag::StrictSource),
    )
    .await;
    let stats = query(&client, "strict").await;
    for s in &media(&stats, "tagA").streams {
        assert!(has(&s.flags, "strict source address"), "{:?}", s.flags);
    }

    offer(
        &client,
        "handover",
        &sdp,
        &OfferOptions::new().flag(Flag::MediaHandover),
    )
    .await;
    let stats = query(&client, "handover").await;
    for s in &media(&stats, "tagA").streams {
        assert!(has(&s.flags, "media handover"), "{:?}", s.flags);
    }
}

#[tokio::test]
async fn reset_restarts_ice() {
    let rtpe = start();
    let client = connect(&rtpe).await;
    let sdp = sdp_audio("127.0.0.1", 40_000, 1);
    let ice = OfferOptions::new().ice(Ice::Force);
    for (call, reset) in [("no-reset", false), ("reset", true)] {
        let first = offer_sdp(&client, call, &sdp, &ice).await;
        let again = if reset {
            ice.clone().flag(Flag::Reset)
        } else {
            ice.clone()
        };
        let second = offer_sdp(&client, call, &sdp, &again).await;
        let (u1, u2) = (
            lines(&first, "a=ice-ufrag:"),
            lines(&second, "a=ice-ufrag:"),
        );
        assert_eq!(u1.len(), 1, "{first}");
        assert_eq!(u2.len(), 1, "{second}");
        // A re-offer keeps the ICE credentials; with `reset` the daemon restarts ICE.
        assert_eq!(u1 != u2, reset, "{call}: {u1:?} vs {u2:?}");
        assert_eq!(
            lines(&first, "a=ice-pwd:") != lines(&second, "a=ice-pwd:"),
            reset
        );
    }
}

#[tokio::test]
async fn port_latching_keeps_the_port_on_reoffer() {
    let rtpe = start();
    let client = connect(&rtpe).await;
    for (call, latching) in [("no-latch", false), ("latch", true)] {
        let opts = if latching {
            OfferOptions::new().flag(Flag::PortLatching)
        } else {
            OfferOptions::new()
        };
        let first = offer_sdp(&client, call, &sdp_audio("127.0.0.1", 40_000, 1), &opts).await;
        // The caller re-offers from another port.
        let second = offer_sdp(&client, call, &sdp_audio("127.0.0.1", 40_010, 1), &opts).await;
        let (p1, p2) = (media_port(&first), media_port(&second));
        assert!(rtpe.media_port_range().contains(&p2));
        assert_eq!(p1 == p2, latching, "{call}: {p1} then {p2}");
        // The caller's new port was taken either way.
        let ep = rtp_stream(&query(&client, call).await, "tagA")
            .endpoint
            .clone()
            .unwrap();
        assert_eq!(ep.port, 40_010);
    }
}

// ---------------------------------------------------------------------------------------------
// Recording and metadata

/// The `recordings` list of an offer reply.
fn recordings(reply: &SdpReply) -> Vec<String> {
    reply
        .raw
        .get("recordings")
        .and_then(Value::as_list)
        .unwrap_or(&[])
        .iter()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect()
}

fn assert_pcap_in(spool: &TempDir, paths: &[String], call_id: &str) {
    assert_eq!(paths.len(), 1, "{paths:?}");
    let path = Path::new(&paths[0]);
    assert!(path.starts_with(spool.0.join("pcaps")), "{path:?}");
    assert!(
        path.file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with(call_id),
        "{path:?}"
    );
    assert!(path.exists(), "{path:?} was not created");
}

#[tokio::test]
async fn record_call_key_and_flag() {
    let spool = TempDir::new("rec");
    let rtpe = start_recording(&spool);
    let client = connect(&rtpe).await;
    let sdp = sdp_audio("127.0.0.1", 40_000, 1);

    // Not recorded: no `recordings` in the reply.
    let plain = offer(&client, "rec-none", &sdp, &OfferOptions::new()).await;
    assert!(recordings(&plain).is_empty());
    let no = offer(
        &client,
        "rec-no",
        &sdp,
        &OfferOptions::new().record_call(false),
    )
    .await;
    assert!(recordings(&no).is_empty());

    // `record call: yes` and the `record call` flag both start a pcap recording.
    let yes = offer(
        &client,
        "rec-key",
        &sdp,
        &OfferOptions::new().record_call(true),
    )
    .await;
    assert_pcap_in(&spool, &recordings(&yes), "rec-key");
    let flag = offer(
        &client,
        "rec-flag",
        &sdp,
        &OfferOptions::new().flag(Flag::RecordCall),
    )
    .await;
    assert_pcap_in(&spool, &recordings(&flag), "rec-flag");
    assert_log(&rtpe, "Turning on call recording.", 2);
    assert_eq!(rtpe.log_count("Turning on call recording."), 2);

    // `record call: no` in a re-offer stops the recording, which finishes its metadata file.
    assert!(spool.0.join("metadata").is_dir());
    offer(
        &client,
        "rec-key",
        &sdp,
        &OfferOptions::new().record_call(false),
    )
    .await;
    assert_log(&rtpe, "Turning off call recording.", 1);
    let meta = spool
        .metadata_of("rec-key")
        .expect("metadata file of rec-key");
    assert!(meta.contains("SDP mode: offer"), "{meta}");
}

#[tokio::test]
async fn metadata_goes_into_the_recording() {
    let spool = TempDir::new("meta");
    let rtpe = start_recording(&spool);
    let client = connect(&rtpe).await;
    offer(
        &client,
        "meta-call",
        &sdp_audio("127.0.0.1", 40_000, 1),
        &OfferOptions::new()
            .record_call(true)
            .metadata("customer:42|queue:sales"),
    )
    .await;
    // `query` reports the metadata on 26.0.1.26 only; 10.5 and 12.5.1.31 leave it out.
    let stats = query(&client, "meta-call").await;
    let reported = stats.raw.get("metadata").and_then(Value::as_str);
    let want = match line(&rtpe) {
        Line::V10_5 | Line::V12_5 => None,
        Line::V26_0 => Some("customer:42|queue:sales"),
    };
    assert_eq!(reported, want, "{:?}", stats.raw);
    // It is written to the recording's metadata file when the recording ends.
    client
        .delete("meta-call", "tagA", &DeleteOptions::new())
        .await
        .unwrap();
    let meta = spool
        .metadata_of("meta-call")
        .expect("metadata file of meta-call");
    assert!(meta.contains("\ncustomer:42|queue:sales\n"), "{meta}");
}

// ---------------------------------------------------------------------------------------------
// SDP shaping

#[tokio::test]
async fn replace_origin_and_session_connection() {
    let rtpe = start();
    let client = connect(&rtpe).await;
    let sdp = sdp_audio("192.0.2.1", 40_000, 1);
    let kept = offer_sdp(&client, "origin-kept", &sdp, &OfferOptions::new()).await;
    assert_eq!(origin_addr(&kept), "192.0.2.1");
    let replaced = offer_sdp(
        &client,
        "origin-replaced",
        &sdp,
        &OfferOptions::new().replace(Replace::Origin),
    )
    .await;
    assert_eq!(origin_addr(&replaced), "127.0.0.1", "{replaced}");
    assert_eq!(lines(&replaced, "o=")[0], "o=- 1 1 IN IP4 127.0.0.1");

    // With a c= line in every media section, what becomes of the session-level c= line
    // depends on the release, and `replace: session connection` only matters on 10.5:
    //   10.5:      left alone, unless `session connection` is replaced too;
    //   12.5.1.31: always rewritten to rtpengine's address; the option is accepted without
    //              effect (`replace-session-connection flag encountered, but not supported
    //              anymore.`, a no-op since 12.5.1.1);
    //   26.0.1.26: dropped (only the media-level c= is written); the option is a no-op as on
    //              12.5 and logged the same way.
    let two_level = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.5\r\nt=0 0\r\n\
                     m=audio 40000 RTP/AVP 0\r\nc=IN IP4 192.0.2.6\r\n";
    let ours = "c=IN IP4 127.0.0.1";
    let (want_kept, want_replaced, no_op_logged): (&[&str], &[&str], usize) = match line(&rtpe) {
        Line::V10_5 => (&["c=IN IP4 192.0.2.5", ours], &[ours, ours], 0),
        Line::V12_5 => (&[ours, ours], &[ours, ours], 1),
        Line::V26_0 => (&[ours], &[ours], 1),
    };
    let kept = offer_sdp(&client, "sc-kept", two_level, &OfferOptions::new()).await;
    assert_eq!(lines(&kept, "c="), want_kept, "{kept}");
    let replaced = offer_sdp(
        &client,
        "sc-replaced",
        two_level,
        &OfferOptions::new().replace(Replace::SessionConnection),
    )
    .await;
    assert_eq!(lines(&replaced, "c="), want_replaced, "{replaced}");
    assert_log(&rtpe, "Replying to 'offer'", 4);
    assert_eq!(
        rtpe.log_count("replace-session-connection flag encountered, but not supported anymore."),
        no_op_logged
    );
    assert_eq!(origin_addr(&replaced), "192.0.2.1");
}

const ICE_SDP: &str = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n\
    m=audio 40000 RTP/AVP 0\r\na=ice-ufrag:Ufrag123\r\na=ice-pwd:Password1234567890abcdef\r\n\
    a=candidate:1 1 UDP 2130706431 192.0.2.1 40000 typ host\r\n\
    a=candidate:1 2 UDP 2130706430 192.0.2.1 40001 typ host\r\n";

#[tokio::test]
async fn ice_remove_force_and_force_relay() {
    let rtpe = start();
    let client = connect(&rtpe).await;
    let range = rtpe.media_port_range();

    // Default: rtpengine takes part in ICE and offers its own candidates.
    let default = offer_sdp(&client, "ice-default", ICE_SDP, &OfferOptions::new()).await;
    assert_eq!(lines(&default, "a=ice-ufrag:").len(), 1);
    assert!(!default.contains("Ufrag123"));

    let removed = offer_sdp(
        &client,
        "ice-remove",
        ICE_SDP,
        &OfferOptions::new().ice(Ice::Remove),
    )
    .await;
    assert!(lines(&removed, "a=ice-").is_empty(), "{removed}");
    assert!(lines(&removed, "a=candidate").is_empty(), "{removed}");

    let forced = offer_sdp(
        &client,
        "ice-force",
        &sdp_audio("192.0.2.1", 40_000, 1),
        &OfferOptions::new().ice(Ice::Force),
    )
    .await;
    assert_eq!(lines(&forced, "a=ice-ufrag:").len(), 1, "{forced}");
    assert_eq!(lines(&forced, "a=ice-pwd:").len(), 1, "{forced}");
    let port = media_port(&forced);
    let candidates = lines(&forced, "a=candidate:");
    assert!(!candidates.is_empty());
    assert!(candidates
        .iter()
        .any(|c| c.contains(&format!(" 127.0.0.1 {port} typ host"))));
    let stats = query(&client, "ice-force").await;
    assert!(has(&media(&stats, "<untagged 1>").flags, "ICE"));

    // force-relay: m=/c= keep the original address and port (rtpengine only relays).
    // For an offerer without ICE:
    //   10.5, 12.5.1.31: rtpengine adds its own ICE credentials and only relay candidates,
    //                    itself as the relay;
    //   26.0.1.26:       no ICE is added at all (no credentials, no candidates).
    let relay_only = |c: &&str| {
        let port: u16 = c.split(' ').nth(5).unwrap().parse().unwrap();
        c.contains(" typ relay ") && range.contains(&port)
    };
    let force_relay = OfferOptions::new().ice(Ice::ForceRelay);
    let relay = offer_sdp(
        &client,
        "ice-relay",
        &sdp_audio("192.0.2.1", 40_000, 1),
        &force_relay,
    )
    .await;
    assert_eq!(media_port(&relay), 40_000);
    assert_eq!(sdp_connection_addr(&relay).as_deref(), Some("192.0.2.1"));
    let candidates = lines(&relay, "a=candidate:");
    match line(&rtpe) {
        Line::V10_5 | Line::V12_5 => {
            assert_eq!(lines(&relay, "a=ice-ufrag:").len(), 1, "{relay}");
            assert_eq!(candidates.len(), 2, "{relay}");
            assert!(candidates.iter().all(relay_only), "{relay}");
        }
        Line::V26_0 => {
            assert!(lines(&relay, "a=ice-").is_empty(), "{relay}");
            assert!(candidates.is_empty(), "{relay}");
        }
    }
    // For an ICE offerer, every release: the offerer's credentials and host candidates are
    // passed on, and rtpengine's relay candidates (RTP and RTCP) are added.
    let relay = offer_sdp(&client, "ice-relay-ice", ICE_SDP, &force_relay).await;
    assert_eq!(media_port(&relay), 40_000);
    assert_eq!(lines(&relay, "a=ice-ufrag:"), ["a=ice-ufrag:Ufrag123"]);
    let candidates = lines(&relay, "a=candidate:");
    let (relayed, passed): (Vec<&str>, Vec<&str>) = candidates.into_iter().partition(relay_only);
    assert_eq!(relayed.len(), 2, "{relay}");
    assert_eq!(
        passed,
        [
            "a=candidate:1 1 UDP 2130706431 192.0.2.1 40000 typ host",
            "a=candidate:1 2 UDP 2130706430 192.0.2.1 40001 typ host"
        ],
        "{relay}"
    );
}

#[tokio::test]
async fn transport_protocols() {
    let rtpe = start();
    let client = connect(&rtpe).await;
    let sdp = sdp_audio("127.0.0.1", 40_000, 1);
    for (i, (proto, text, srtp)) in [
        (TransportProtocol::RtpAvp, "RTP/AVP", false),
        (TransportProtocol::RtpAvpf, "RTP/AVPF", false),
        (TransportProtocol::RtpSavp, "RTP/SAVP", true),
        (TransportProtocol::RtpSavpf, "RTP/SAVPF", true),
    ]
    .into_iter()
    .enumerate()
    {
        let call = format!("proto-{i}");
        let out = offer_sdp(
            &client,
            &call,
            &sdp,
            &OfferOptions::new().transport_protocol(proto),
        )
        .await;
        let m = m_line(&out);
        assert!(m.ends_with(&format!(" {text} 0 8 101")), "{m}");
        let crypto = lines(&out, "a=crypto:");
        assert_eq!(!crypto.is_empty(), srtp, "{out}");
        assert!(
            crypto
                .iter()
                .any(|c| c.contains(" AES_CM_128_HMAC_SHA1_80 inline:"))
                == srtp
        );
        let stats = query(&client, &call).await;
        assert_eq!(
            media(&stats, "<untagged 1>").protocol.as_deref(),
            Some(text)
        );
        assert_eq!(media(&stats, "tagA").protocol.as_deref(), Some("RTP/AVP"));
    }
}

#[tokio::test]
async fn rtcp_mux_offer_require_demux() {
    let rtpe = start();
    let client = connect(&rtpe).await;
    let plain = sdp_audio("127.0.0.1", 40_000, 1);
    let muxed = sdp_with(&plain, "a=rtcp-mux\r\n");

    let none = offer_sdp(&client, "mux-none", &plain, &OfferOptions::new()).await;
    assert!(lines(&none, "a=rtcp-mux").is_empty());

    // offer: rtcp-mux is offered to the callee, with a fallback RTCP port.
    let offered = offer_sdp(
        &client,
        "mux-offer",
        &plain,
        &OfferOptions::new().rtcp_mux(RtcpMux::Offer),
    )
    .await;
    assert_eq!(lines(&offered, "a=rtcp-mux"), ["a=rtcp-mux"]);
    let port = media_port(&offered);
    assert_eq!(lines(&offered, "a=rtcp:"), [format!("a=rtcp:{}", port + 1)]);

    // require: RTCP on the RTP port only, no separate RTCP port towards the callee.
    let required = offer_sdp(
        &client,
        "mux-require",
        &plain,
        &OfferOptions::new().rtcp_mux(RtcpMux::Require),
    )
    .await;
    let port = media_port(&required);
    assert_eq!(lines(&required, "a=rtcp-mux"), ["a=rtcp-mux"]);
    assert_eq!(lines(&required, "a=rtcp:"), [format!("a=rtcp:{port}")]);
    let stats = query(&client, "mux-require").await;
    assert_eq!(media(&stats, "<untagged 1>").streams[1].local_port, Some(0));

    // demux: the caller's rtcp-mux is not passed on to the callee.
    let passed = offer_sdp(&client, "mux-pass", &muxed, &OfferOptions::new()).await;
    assert_eq!(lines(&passed, "a=rtcp-mux"), ["a=rtcp-mux"]);
    let demuxed = offer_sdp(
        &client,
        "mux-demux",
        &muxed,
        &OfferOptions::new().rtcp_mux(RtcpMux::Demux),
    )
    .await;
    assert!(lines(&demuxed, "a=rtcp-mux").is_empty(), "{demuxed}");
    let stats = query(&client, "mux-demux").await;
    assert!(!has(&media(&stats, "<untagged 1>").flags, "rtcp-mux"));
    assert!(has(&media(&stats, "tagA").flags, "rtcp-mux"));
}

#[tokio::test]
async fn rtcp_mux_accept_and_reject() {
    let rtpe = start();
    let client = connect(&rtpe).await;
    let caller = sdp_with(&sdp_audio("127.0.0.1", 40_000, 1), "a=rtcp-mux\r\n");
    let callee_plain = sdp_audio("127.0.0.1", 40_002, 2);
    let callee_mux = sdp_with(&callee_plain, "a=rtcp-mux\r\n");

    // The caller offers rtcp-mux. What the caller gets back in the answer:
    //   callee declines, no option -> no rtcp-mux (the callee's choice)
    //   callee declines, accept     -> rtcp-mux (rtpengine accepts it itself)
    //   callee accepts,  no option  -> rtcp-mux
    //   callee accepts,  reject     -> no rtcp-mux
    let cases = [
        ("mux-decline", &callee_plain, None, false),
        ("mux-accept", &callee_plain, Some(RtcpMux::Accept), true),
        ("mux-agree", &callee_mux, None, true),
        ("mux-reject", &callee_mux, Some(RtcpMux::Reject), false),
    ];
    for (call, callee, opt, caller_gets_mux) in cases {
        let opts = match opt {
            Some(m) => OfferOptions::new().rtcp_mux(m),
            None => OfferOptions::new(),
        };
        let offered = offer_sdp(&client, call, &caller, &opts).await;
        assert_eq!(lines(&offered, "a=rtcp-mux"), ["a=rtcp-mux"], "{call}");
        let answer = answer_sdp(&client, call, callee, &AnswerOptions::new()).await;
        assert_eq!(
            !lines(&answer, "a=rtcp-mux").is_empty(),
            caller_gets_mux,
            "{call}:\n{answer}"
        );
        let stats = query(&client, call).await;
        assert_eq!(
            has(&media(&stats, "tagA").flags, "rtcp-mux"),
            caller_gets_mux,
            "{call}"
        );
    }
}

#[tokio::test]
async fn tos_is_set_on_the_media_sockets() {
    let rtpe = start();
    let client = connect(&rtpe).await;
    let sdp = sdp_audio("127.0.0.1", 40_000, 1);
    let with_tos = offer_sdp(&client, "tos", &sdp, &OfferOptions::new().tos(0x20)).await;
    let without = offer_sdp(&client, "no-tos", &sdp, &OfferOptions::new()).await;
    // TOS is a socket option on rtpengine's media sockets; `ss --tos` shows it.
    let ss = match Command::new("ss")
        .args(["-u", "-a", "-n", "--tos"])
        .output()
    {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).into_owned(),
        other => panic!(
            "`ss --tos` is needed to see TOS on rtpengine's sockets ({other:?}); install iproute2 \
             (scripts/install-deps.sh does)"
        ),
    };
    let tos_of = |port: u16| -> String {
        let needle = format!("127.0.0.1:{port} ");
        let line = ss
            .lines()
            .find(|l| l.contains(&needle))
            .unwrap_or_else(|| panic!("no socket on port {port} in:\n{ss}"));
        line.split_whitespace()
            .find_map(|w| w.strip_prefix("tos:"))
            .unwrap_or_else(|| panic!("no tos in {line}"))
            .to_owned()
    };
    assert_eq!(tos_of(media_port(&with_tos)), "0x20");
    assert_ne!(tos_of(media_port(&without)), "0x20");
}

const DTLS_SDP: &str = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
    m=audio 40000 UDP/TLS/RTP/SAVPF 0\r\na=setup:actpass\r\n\
    a=fingerprint:sha-256 32:E1:17:C4:CB:59:18:16:F1:36:5D:2D:51:D3:7B:E9:D0:D5:92:6A:52:55:40:F1:F1:DC:3D:73:B3:04:78:6D\r\n\
    a=rtcp-mux\r\n";

#[tokio::test]
async fn dtls_off_and_passive() {
    let rtpe = start();
    let client = connect(&rtpe).await;
    let sdp = sdp_audio("127.0.0.1", 40_000, 1);
    let savpf = OfferOptions::new().transport_protocol(TransportProtocol::RtpSavpf);

    // By default an SRTP offer carries DTLS (a=setup, a=fingerprint) as well as SDES.
    let default = offer_sdp(&client, "dtls-default", &sdp, &savpf).await;
    assert_eq!(lines(&default, "a=setup:"), ["a=setup:actpass"]);
    assert_eq!(lines(&default, "a=fingerprint:").len(), 1);
    let off = offer_sdp(&client, "dtls-off", &sdp, &savpf.clone().dtls(Dtls::Off)).await;
    assert!(lines(&off, "a=setup:").is_empty(), "{off}");
    assert!(lines(&off, "a=fingerprint:").is_empty(), "{off}");
    assert!(!lines(&off, "a=crypto:").is_empty(), "SDES stays on");
    let stats = query(&client, "dtls-off").await;
    assert!(!has(&media(&stats, "<untagged 1>").flags, "DTLS-SRTP"));

    // The DTLS role rtpengine takes towards a DTLS offerer (which offered actpass): active by
    // default. `DTLS: passive` asks for the passive role, read at a different time:
    //   10.5, 12.5.1.31: in the answer (`a=setup:passive`); in the offer it does nothing;
    //   26.0.1.26:       in the offer (26.2's semantics); in the answer it is ignored, logged as
    //                    `Ignoring DTLS=passive flag in answer as it is too late`.
    let role_at_offer = line(&rtpe) == Line::V26_0;
    let (active, passive) = ("a=setup:active", "a=setup:passive");
    for (call, in_offer, in_answer, role) in [
        ("dtls-role-default", None, None, active),
        ("dtls-role-active", None, Some(Dtls::Active), active),
        (
            "dtls-role-passive",
            None,
            Some(Dtls::Passive),
            if role_at_offer { active } else { passive },
        ),
        (
            "dtls-role-passive-offer",
            Some(Dtls::Passive),
            None,
            if role_at_offer { passive } else { active },
        ),
    ] {
        let plain = OfferOptions::new().transport_protocol(TransportProtocol::RtpAvp);
        let plain = match in_offer {
            Some(d) => plain.dtls(d),
            None => plain,
        };
        let to_callee = offer_sdp(&client, call, DTLS_SDP, &plain).await;
        assert!(m_line(&to_callee).contains(" RTP/AVP "), "{to_callee}");
        let opts = match in_answer {
            Some(d) => AnswerOptions::new().dtls(d),
            None => AnswerOptions::new(),
        };
        let to_caller = answer_sdp(&client, call, &sdp_audio("127.0.0.1", 40_002, 2), &opts).await;
        assert!(m_line(&to_caller).contains(" UDP/TLS/RTP/SAVPF "));
        assert_eq!(lines(&to_caller, "a=setup:"), [role], "{call}");
    }
    assert_log(&rtpe, "Replying to 'answer'", 4);
    let too_late = if role_at_offer { 2 } else { 0 };
    assert_eq!(rtpe.log_count("flag in answer as it is too late"), too_late);
    assert_eq!(
        rtpe.log_count("Ignoring DTLS=passive flag in answer as it is too late"),
        too_late / 2
    );
}

#[tokio::test]
async fn dtls_active_overrides_a_passive_daemon_default() {
    // `--dtls-passive` makes the daemon prefer the passive role towards a DTLS offerer. What
    // overrides it depends on the release:
    //   10.5, 12.5.1.31: `DTLS: active` in the answer, once `DTLS-reverse` (decided at offer
    //                    time, passive by default too) is lifted in the offer (raw key): either
    //                    alone leaves the role passive;
    //   26.0.1.26:       `DTLS-reverse: active` or `DTLS: active` in the offer (the role is
    //                    decided at offer time; `DTLS` in the answer is ignored, "too late").
    let rtpe = Rtpengine::builder()
        .arg("--dtls-passive")
        .start()
        .expect("start rtpengine --dtls-passive");
    let client = connect(&rtpe).await;
    let at_offer = line(&rtpe) == Line::V26_0;
    let (active, passive) = ("a=setup:active", "a=setup:passive");
    let either = |on_26: &'static str| if at_offer { on_26 } else { passive };
    for (call, reverse_active, in_offer, in_answer, role) in [
        ("dtls-daemon-default", false, None, None, passive),
        ("dtls-reverse-only", true, None, None, either(active)),
        ("dtls-active", true, None, Some(Dtls::Active), active),
        ("dtls-answer-only", false, None, Some(Dtls::Active), passive),
        (
            "dtls-offer-active",
            false,
            Some(Dtls::Active),
            None,
            either(active),
        ),
    ] {
        let plain = OfferOptions::new().transport_protocol(TransportProtocol::RtpAvp);
        let plain = if reverse_active {
            plain.raw_key("DTLS-reverse", "active")
        } else {
            plain
        };
        let plain = match in_offer {
            Some(d) => plain.dtls(d),
            None => plain,
        };
        offer(&client, call, DTLS_SDP, &plain).await;
        let opts = match in_answer {
            Some(d) => AnswerOptions::new().dtls(d),
            None => AnswerOptions::new(),
        };
        let to_caller = answer_sdp(&client, call, &sdp_audio("127.0.0.1", 40_002, 2), &opts).await;
        assert_eq!(lines(&to_caller, "a=setup:"), [role], "{call}");
    }
}

const SAVP_SDP: &str = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
    m=audio 40000 RTP/SAVP 0\r\n\
    a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz \
    UNENCRYPTED_SRTP UNENCRYPTED_SRTCP UNAUTHENTICATED_SRTP\r\n";

#[tokio::test]
async fn sdes_off_and_session_parameters() {
    let rtpe = start();
    let client = connect(&rtpe).await;
    let sdp = sdp_audio("127.0.0.1", 40_000, 1);
    let savp = OfferOptions::new().transport_protocol(TransportProtocol::RtpSavp);

    let default = offer_sdp(&client, "sdes-default", &sdp, &savp).await;
    let crypto = lines(&default, "a=crypto:");
    assert!(crypto.len() > 1, "{default}");
    assert!(crypto.iter().all(|c| !c.contains("UNENCRYPTED")));

    let off = offer_sdp(&client, "sdes-off", &sdp, &savp.clone().sdes(Sdes::Off)).await;
    assert!(m_line(&off).contains(" RTP/SAVP "));
    assert!(lines(&off, "a=crypto:").is_empty(), "{off}");
    assert_eq!(lines(&off, "a=fingerprint:").len(), 1, "DTLS stays on");
    let stats = query(&client, "sdes-off").await;
    assert!(!has(&media(&stats, "<untagged 1>").flags, "SDES"));

    // The unencrypted/unauthenticated entries add session parameters to every crypto line.
    for (i, (sdes, param)) in [
        (Sdes::UnencryptedSrtp, "UNENCRYPTED_SRTP"),
        (Sdes::UnencryptedSrtcp, "UNENCRYPTED_SRTCP"),
        (Sdes::UnauthenticatedSrtp, "UNAUTHENTICATED_SRTP"),
    ]
    .into_iter()
    .enumerate()
    {
        let out = offer_sdp(
            &client,
            &format!("sdes-param-{i}"),
            &sdp,
            &savp.clone().sdes(sdes),
        )
        .await;
        let crypto = lines(&out, "a=crypto:");
        assert!(!crypto.is_empty());
        for c in crypto {
            assert!(c.ends_with(&format!(" {param}")), "{c}");
        }
    }

    // The encrypted/authenticated entries remove those parameters from the caller's crypto
    // line that rtpengine passes on.
    let passed = offer_sdp(&client, "sdes-pass", SAVP_SDP, &OfferOptions::new()).await;
    assert!(lines(&passed, "a=crypto:1 ")[0]
        .ends_with(" UNENCRYPTED_SRTP UNENCRYPTED_SRTCP UNAUTHENTICATED_SRTP"));
    for (i, (sdes, removed)) in [
        (Sdes::EncryptedSrtp, "UNENCRYPTED_SRTP"),
        (Sdes::EncryptedSrtcp, "UNENCRYPTED_SRTCP"),
        (Sdes::AuthenticatedSrtp, "UNAUTHENTICATED_SRTP"),
    ]
    .into_iter()
    .enumerate()
    {
        let out = offer_sdp(
            &client,
            &format!("sdes-enc-{i}"),
            SAVP_SDP,
            &OfferOptions::new().sdes(sdes),
        )
        .await;
        let first = lines(&out, "a=crypto:1 ")[0];
        assert!(first.contains(" AES_CM_128_HMAC_SHA1_80 "), "{first}");
        let params = [
            "UNENCRYPTED_SRTP",
            "UNENCRYPTED_SRTCP",
            "UNAUTHENTICATED_SRTP",
        ];
        let left: Vec<&str> = first.split(' ').filter(|w| params.contains(w)).collect();
        let expected: Vec<&str> = params.into_iter().filter(|p| *p != removed).collect();
        assert_eq!(left, expected, "{first}");
    }
}

// ---------------------------------------------------------------------------------------------
// Raw escape hatches

#[tokio::test]
async fn raw_key_and_raw_flag_reach_the_daemon() {
    let rtpe = start();
    let client = connect(&rtpe).await;
    let sdp = sdp_audio("127.0.0.1", 40_000, 1);
    let plain = offer_sdp(&client, "raw-none", &sdp, &OfferOptions::new()).await;
    assert!(lines(&plain, "a=rtpengine:").is_empty());

    let out = offer_sdp(
        &client,
        "raw",
        &sdp,
        &OfferOptions::new()
            .raw_flag("loop protect")
            .raw_key("label", "caller"),
    )
    .await;
    // `loop protect` marks the SDP with a=rtpengine:<id>.
    assert_eq!(lines(&out, "a=rtpengine:").len(), 1, "{out}");
    let stats = query(&client, "raw").await;
    let a = stats.tag("tagA").unwrap();
    assert_eq!(a.label.as_deref(), Some("caller"));

    // A raw key replaces the typed key of the same name: ICE force wins over remove.
    let out = offer_sdp(
        &client,
        "raw-override",
        &sdp,
        &OfferOptions::new().ice(Ice::Remove).raw_key("ICE", "force"),
    )
    .await;
    assert_eq!(lines(&out, "a=ice-ufrag:").len(), 1, "{out}");
}

// ---------------------------------------------------------------------------------------------
// Spellings

/// Every typed key, flag and value of this file's tests: the daemon logs `Unknown …
/// encountered` for anything it does not understand (and otherwise ignores it), so a clean log
/// proves the spellings. The expected entries: the `symmetric` flag, which no release has, and
/// from 12.5.1.1 on `replace: session connection`, accepted without effect (12.5.1.31 and
/// 26.0.1.26 log `replace-session-connection flag encountered, but not supported anymore.`).
#[tokio::test]
async fn every_typed_spelling_is_understood() {
    let rtpe = start_with_ipv6();
    let v = daemon_version(&rtpe);
    let client = connect(&rtpe).await;
    let sdp = sdp_audio("127.0.0.1", 40_000, 1);
    // `SIP source address` contradicts `trust address` (the client refuses both at once), so it
    // is sent in a variant of its own below.
    let flags = [
        Flag::TrustAddress,
        Flag::Asymmetric,
        Flag::Unidirectional,
        Flag::StrictSource,
        Flag::MediaHandover,
        Flag::Reset,
        Flag::PortLatching,
        Flag::RecordCall,
    ];
    let mut all = OfferOptions::new()
        .via_branch("z9hG4bK-spelling")
        .replace(Replace::Origin)
        .replace(Replace::SessionConnection)
        .direction(Direction::new("default", "default"))
        .received_from(ip("127.0.0.1"))
        .media_address(ip("127.0.0.1"))
        .tos(184)
        .record_call(false)
        .metadata("a:b");
    for f in flags {
        all = all.flag(f);
    }
    let mut variants: Vec<OfferOptions> = vec![all];
    variants.extend([Ice::Remove, Ice::Force, Ice::ForceRelay].map(|v| OfferOptions::new().ice(v)));
    variants.extend(
        [
            TransportProtocol::RtpAvp,
            TransportProtocol::RtpAvpf,
            TransportProtocol::RtpSavp,
            TransportProtocol::RtpSavpf,
        ]
        .map(|v| OfferOptions::new().transport_protocol(v)),
    );
    variants.extend(
        [AddressFamily::Ip4, AddressFamily::Ip6].map(|v| OfferOptions::new().address_family(v)),
    );
    variants.extend(
        [
            RtcpMux::Offer,
            RtcpMux::Demux,
            RtcpMux::Accept,
            RtcpMux::Reject,
            RtcpMux::Require,
        ]
        .map(|v| OfferOptions::new().rtcp_mux(v)),
    );
    variants.extend([Dtls::Off, Dtls::Passive, Dtls::Active].map(|v| OfferOptions::new().dtls(v)));
    variants.extend(
        [
            Sdes::Off,
            Sdes::UnencryptedSrtp,
            Sdes::UnencryptedSrtcp,
            Sdes::UnauthenticatedSrtp,
            Sdes::EncryptedSrtp,
            Sdes::EncryptedSrtcp,
            Sdes::AuthenticatedSrtp,
        ]
        .map(|v| {
            OfferOptions::new()
                .transport_protocol(TransportProtocol::RtpSavp)
                .sdes(v)
        }),
    );
    variants.push(OfferOptions::new().direction(Direction::RoundRobinCalls));
    variants.push(OfferOptions::new().flag(Flag::Symmetric));
    variants.push(
        OfferOptions::new()
            .flag(Flag::SipSourceAddress)
            .received_from(ip("127.0.0.1")),
    );
    let count = variants.len();
    for (i, opts) in variants.into_iter().enumerate() {
        let call = format!("spell-{i}");
        offer(&client, &call, &sdp, &opts).await;
        // The same options in the answer.
        answer_sdp(&client, &call, &sdp_audio("127.0.0.1", 40_002, 2), &opts).await;
        client
            .delete(
                &call,
                "tagA",
                &DeleteOptions::new()
                    .to_tag("tagB")
                    .via_branch("z9hG4bK-spelling")
                    .delete_delay(0),
            )
            .await
            .unwrap();
    }
    assert!(rtpe.wait_for_log("Replying to 'delete'", count, Duration::from_secs(3)));
    let unknown: Vec<String> = rtpe
        .log()
        .lines()
        .filter(|l| l.contains("encountered"))
        .map(str::to_owned)
        .collect();
    // Each twice (offer and answer).
    let mut expected = vec!["Unknown flag encountered: 'symmetric'"; 2];
    if v >= Version::full(12, 5, 1, 1) {
        expected
            .extend(["replace-session-connection flag encountered, but not supported anymore."; 2]);
    }
    assert_eq!(unknown.len(), expected.len(), "rtpengine {v}: {unknown:#?}");
    for want in expected {
        let n = unknown.iter().filter(|l| l.contains(want)).count();
        assert_eq!(n, 2, "rtpengine {v}: '{want}' in {unknown:#?}");
    }
}
