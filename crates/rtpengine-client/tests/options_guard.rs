//! `OfferOptions::validate()` through the client: contradictory or empty options are refused
//! with `Error::InvalidRequest` naming the options, before anything is sent; strings rtpengine
//! would crash on are refused with `Error::RequestTooLarge`. A fake server counts what arrives.
//!
//! (`TOS` is a `u8` and `ptime` a `u32` by type: `tos(300)` or a negative ptime do not compile.)

mod common;

use common::{fake_and_client, ip, SDP};
use rtpengine_client::bencode::Value;
use rtpengine_client::NgCommands;
use rtpengine_client::{
    AddressFamily, AudioPlayer, Client, CodecOptions, Direction, Dtls, DtlsFingerprint,
    DtlsReverse, EndpointLearning, Error, Extmap, Flag, Ice, IceLite, MediaEcho, Moh, OfferOptions,
    OnOff, ReceivedFrom, Replace, RtcpMux, Sdes, SdpAttrSection, Substitution, TransportProtocol,
    T38,
};
use rtpengine_testkit::{FakeAction, FakeNg};

async fn fake() -> (FakeNg, Client) {
    fake_and_client(|_| vec![FakeAction::ok_with_sdp(SDP.as_bytes())]).await
}

/// Options that must be refused, and the words the error must contain.
fn refused() -> Vec<(OfferOptions, &'static [&'static str])> {
    let mut moh_two = Moh::new();
    moh_two.file = Some("/tmp/moh.wav".into());
    moh_two.db_id = Some(7);
    let mut codec_empty = CodecOptions::new();
    codec_empty.strip = vec!["PCMA".into(), " ".into()];
    let mut attr_empty = SdpAttrSection::new();
    attr_empty.substitute = vec![Substitution::new("sendrecv", "")];
    let mut ext_empty = Extmap::new();
    ext_empty.strip = vec![String::new()];
    vec![
        // The contradictions of the issue.
        (
            OfferOptions::new()
                .flag(Flag::Symmetric)
                .flag(Flag::Asymmetric),
            &["symmetric", "asymmetric"],
        ),
        (
            OfferOptions::new()
                .flag(Flag::PortLatching)
                .flag(Flag::NoPortLatching),
            &["port latching", "no port latching"],
        ),
        (
            OfferOptions::new()
                .sdes(Sdes::Off)
                .sdes(Sdes::UnencryptedSrtp),
            &["SDES", "off"],
        ),
        (
            OfferOptions::new()
                .dtls(Dtls::Off)
                .dtls_reverse(DtlsReverse::Active),
            &["DTLS", "DTLS-reverse"],
        ),
        (
            OfferOptions::new()
                .rtcp_mux(RtcpMux::Offer)
                .rtcp_mux(RtcpMux::Reject),
            &["rtcp-mux", "offer", "reject"],
        ),
        (
            OfferOptions::new().received_from(ReceivedFrom::new(AddressFamily::Ip6, "192.0.2.9")),
            &["received from", "IP6", "192.0.2.9"],
        ),
        (
            OfferOptions::new().received_from(ReceivedFrom::new(AddressFamily::Ip4, "proxy")),
            &["received from", "proxy"],
        ),
        (
            OfferOptions::new()
                .media_address(ip("2001:db8::1"))
                .address_family(AddressFamily::Ip4),
            &["media address", "address family", "2001:db8::1"],
        ),
        (
            OfferOptions::new()
                .direction(Direction::new("pub", "priv"))
                .from_interface("pub"),
            &["direction", "from-interface"],
        ),
        (
            OfferOptions::new()
                .direction(Direction::new("pub", "priv"))
                .to_interface("priv"),
            &["direction", "to-interface"],
        ),
        (
            OfferOptions::new().flag(Flag::Other(String::new())),
            &["flags", "empty"],
        ),
        (
            OfferOptions::new().flag(Flag::Other("  ".into())),
            &["flags", "empty"],
        ),
        (OfferOptions::new().ptime(0), &["ptime"]),
        // Further guards.
        (OfferOptions::new().ptime_reverse(0), &["ptime-reverse"]),
        (
            OfferOptions::new().direction(Direction::new("pub", "")),
            &["direction"],
        ),
        (
            OfferOptions::new()
                .flag(Flag::TrustAddress)
                .flag(Flag::SipSourceAddress),
            &["trust address", "SIP source address"],
        ),
        (
            OfferOptions::new()
                .flag(Flag::Passthrough)
                .passthrough(OnOff::Off),
            &["passthrough"],
        ),
        (
            OfferOptions::new()
                .flag(Flag::GenerateRtcp)
                .generate_rtcp(OnOff::Off),
            &["generate RTCP"],
        ),
        (
            OfferOptions::new()
                .flag(Flag::AudioPlayer)
                .flag(Flag::NoAudioPlayer),
            &["audio player", "no audio player"],
        ),
        (
            OfferOptions::new()
                .flag(Flag::NoAudioPlayer)
                .audio_player(AudioPlayer::Always),
            &["audio player", "audio-player"],
        ),
        (
            OfferOptions::new()
                .sdes(Sdes::only("AES_CM_128_HMAC_SHA1_80"))
                .sdes(Sdes::no("AES_CM_128_HMAC_SHA1_80")),
            &[
                "SDES",
                "only-AES_CM_128_HMAC_SHA1_80",
                "no-AES_CM_128_HMAC_SHA1_80",
            ],
        ),
        (
            OfferOptions::new()
                .dtls(Dtls::Off)
                .dtls_fingerprint(DtlsFingerprint::Sha1),
            &["DTLS", "DTLS-fingerprint"],
        ),
        (
            OfferOptions::new().ice(Ice::Remove).ice_lite(IceLite::Both),
            &["ICE", "ICE-lite"],
        ),
        (
            OfferOptions::new().ice(Ice::Remove).flag(Flag::TrickleIce),
            &["ICE", "trickle ICE"],
        ),
        (
            OfferOptions::new().t38(T38::Force).t38(T38::Stop),
            &["T.38", "force", "stop"],
        ),
        (
            OfferOptions::new()
                .endpoint_learning(EndpointLearning::Off)
                .endpoint_learning(EndpointLearning::Immediate),
            &["endpoint-learning"],
        ),
        (
            OfferOptions::new()
                .output_destination("/tmp/a")
                .recording_file("/tmp/b"),
            &["output-destination", "recording-file"],
        ),
        (OfferOptions::new().moh(moh_two), &["moh", "file", "db-id"]),
        (
            OfferOptions::new().recording_media_slots(0),
            &["recording-media-slots"],
        ),
        (
            OfferOptions::new().recording_media_slot_offer(0),
            &["recording-media-slot-offer"],
        ),
        // Empty values of the enums' `Other` escape.
        (
            OfferOptions::new().replace(Replace::Other(String::new())),
            &["replace", "empty"],
        ),
        (
            OfferOptions::new().sdes(Sdes::Other(String::new())),
            &["SDES", "empty"],
        ),
        (
            OfferOptions::new().ice(Ice::Other(" ".into())),
            &["ICE", "empty"],
        ),
        (
            OfferOptions::new().transport_protocol(TransportProtocol::Other(String::new())),
            &["transport protocol", "empty"],
        ),
        (
            OfferOptions::new().media_echo(MediaEcho::Other(String::new())),
            &["media echo", "empty"],
        ),
        // Empty entries rtpengine skips without a word.
        (
            OfferOptions::new().codec(codec_empty),
            &["codec", "strip", "empty"],
        ),
        (
            {
                let mut o = OfferOptions::new();
                o.sdp_attr.audio = attr_empty;
                o
            },
            &["sdp-attr", "audio", "empty"],
        ),
        (OfferOptions::new().extmap(ext_empty), &["extmap", "empty"]),
    ]
}

#[tokio::test]
async fn contradictions_and_empty_values_are_refused_before_sending() {
    let (fake, client) = fake().await;
    for (opts, words) in refused() {
        let err = client
            .offer(SDP, "guard", "tagA", &opts)
            .await
            .expect_err(&format!("{opts:?} was accepted"));
        match &err {
            Error::InvalidRequest { reason } => {
                for w in words {
                    assert!(reason.contains(w), "'{reason}' does not name '{w}'");
                }
            }
            other => panic!("{opts:?}: expected InvalidRequest, got {other:?}"),
        }
        // The same options in an answer are refused too.
        let err = client
            .answer(SDP, "guard", "tagA", "tagB", &opts)
            .await
            .expect_err("answer accepted");
        assert!(matches!(err, Error::InvalidRequest { .. }), "{err:?}");
        assert_eq!(fake.received_count(), 0, "{opts:?} was sent");
    }
}

#[tokio::test]
async fn consistent_options_are_sent() {
    let (fake, client) = fake().await;
    let fine = [
        OfferOptions::new()
            .flag(Flag::Asymmetric)
            .flag(Flag::PortLatching),
        OfferOptions::new()
            .sdes(Sdes::UnencryptedSrtp)
            .sdes(Sdes::no("AES_CM_128_HMAC_SHA1_32")),
        OfferOptions::new()
            .dtls(Dtls::Passive)
            .dtls_reverse(DtlsReverse::Active),
        OfferOptions::new()
            .rtcp_mux(RtcpMux::Offer)
            .rtcp_mux(RtcpMux::Demux),
        OfferOptions::new().received_from(ip("2001:db8::9")),
        OfferOptions::new()
            .media_address(ip("2001:db8::1"))
            .address_family(AddressFamily::Ip6),
        OfferOptions::new()
            .from_interface("pub")
            .to_interface("priv"),
        OfferOptions::new().ptime(20).ptime_reverse(30),
        OfferOptions::new()
            .ice(Ice::Force)
            .ice_lite(IceLite::Forward)
            .flag(Flag::TrickleIce),
        // Raw escape hatches are not validated.
        OfferOptions::new().raw_flag("").raw_key("ptime", 0),
    ];
    let n = fine.len();
    for opts in fine {
        client
            .offer(SDP, "fine", "tagA", &opts)
            .await
            .unwrap_or_else(|e| panic!("{opts:?}: {e}"));
    }
    assert_eq!(fake.received_count(), n);
}

#[tokio::test]
async fn strings_rtpengine_would_crash_on_are_refused() {
    let (fake, client) = fake().await;
    let huge = "m".repeat(99_999);
    let mut codec = CodecOptions::new();
    codec.transcode = vec![huge.clone()];
    let cases = [
        OfferOptions::new().metadata(huge.as_str()),
        OfferOptions::new().label(huge.as_str()),
        OfferOptions::new().codec(codec),
        OfferOptions::new().flag(Flag::Other(huge.clone())),
        OfferOptions::new().raw_flag(huge.clone()),
        OfferOptions::new().raw_key("x-pad", Value::List(vec![Value::from(huge.as_str())])),
    ];
    for opts in cases {
        let err = client
            .offer(SDP, "huge", "tagA", &opts)
            .await
            .expect_err("a 99,999-byte string was accepted");
        assert!(
            matches!(err, Error::RequestTooLarge { ref reason } if reason.contains("99999")
                || reason.contains("99,999") || reason.contains("100,000")),
            "{err:?}"
        );
    }
    assert_eq!(fake.received_count(), 0);
    // One byte less is sent (over UDP only when the datagram fits, so use a shorter SDP-free
    // request: the string alone is 99,998 bytes, more than a datagram holds).
    let err = client
        .offer(
            SDP,
            "big",
            "tagA",
            &OfferOptions::new().metadata("m".repeat(99_998)),
        )
        .await
        .expect_err("a 100 KB datagram cannot be sent over UDP");
    assert!(
        matches!(err, Error::RequestTooLarge { ref reason } if reason.contains("UDP")),
        "{err:?}"
    );
    client
        .offer(
            SDP,
            "ok",
            "tagA",
            &OfferOptions::new().metadata("m".repeat(60_000)),
        )
        .await
        .expect("a 60 KB metadata string fits");
    assert_eq!(fake.received_count(), 1);
}
