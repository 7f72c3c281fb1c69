//! The findings of the audit of the library against upstream's parsers at every release line
//! (first and last patch of each line, 10.5 to 26.2), checked on the wire with the scriptable
//! `FakeNg`: what the client sends, and what it refuses for a known target, to the patch
//! level. The real-daemon side of the same findings is in `daemon_releases.rs`.

mod common;

use common::{client_for, unsupported};
use rtpengine_client::bencode::{decode, Value};
use rtpengine_client::NgCommands;
use rtpengine_client::{
    Client, ConnectOptions, DeleteOptions, Dtls, Error, Flag, Ice, MediaOptions, OfferOptions,
    PlayDtmfOptions, RecordCall, RecordingOptions, Replace, SdpAttr, SdpAttrSection, Selector,
    TransportProtocol, UnsubscribeOptions, Version,
};
use rtpengine_testkit::{FakeAction, FakeNg};

const SDP: &str = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n\
                   m=audio 4000 RTP/AVP 0\r\n";

async fn fake() -> FakeNg {
    FakeNg::start(|req| {
        if req.is_command("offer") || req.is_command("answer") {
            vec![FakeAction::ok_with_sdp(SDP.as_bytes())]
        } else {
            vec![FakeAction::ok()]
        }
    })
    .await
    .expect("start the fake server")
}

/// The last request's dictionary.
fn last(fake: &FakeNg) -> Value {
    let req = fake.received().pop().expect("something was sent");
    decode(&req.body).expect("bencode").to_owned_value()
}

fn flags_of(v: &Value) -> Vec<String> {
    v.get("flags")
        .and_then(Value::as_list)
        .map(|l| {
            l.iter()
                .filter_map(|f| f.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

async fn client(fake: &FakeNg, version: Option<Version>) -> Client {
    client_for(fake.url(), version, true).await
}

/// `stop recording` matches `discard-recording` exactly on every release (and `delete` did
/// before 12.5.1.11): the flag goes out hyphenated.
#[tokio::test]
async fn discard_recording_is_sent_hyphenated() {
    let fake = fake().await;
    let c = client(&fake, None).await;
    let opts = RecordingOptions::new().flags(Flag::DiscardRecording);
    c.stop_recording("call", &opts).await.unwrap();
    assert_eq!(flags_of(&last(&fake)), ["discard-recording"]);
    c.delete(
        "call",
        "tagA",
        &DeleteOptions::new().flags(Flag::DiscardRecording),
    )
    .await
    .unwrap();
    assert_eq!(flags_of(&last(&fake)), ["discard-recording"]);
    // Both spellings still parse to the typed flag.
    assert_eq!(Flag::from("discard recording"), Flag::DiscardRecording);
    assert_eq!(Flag::from("discard-recording"), Flag::DiscardRecording);
}

/// Backports are honoured to the patch level; a line-only version is the line's first
/// release when gating.
#[tokio::test]
async fn backported_flags_are_gated_to_the_patch_level() {
    let fake = fake().await;
    // (flag, a release that has it by backport, the patch before, a line that never had it)
    let cases = [
        (
            Flag::Recrypt,
            Version::full(12, 5, 1, 46),
            Version::full(12, 5, 1, 45),
            Version::new(13, 3),
        ),
        (
            Flag::StaticCodecs,
            Version::full(11, 3, 1, 13),
            Version::full(11, 3, 1, 12),
            Version::new(11, 4),
        ),
        (
            Flag::ExcludeRecording,
            Version::full(11, 1, 1, 12),
            Version::full(11, 1, 1, 11),
            Version::new(11, 0),
        ),
        (
            Flag::Fast,
            Version::full(26, 0, 1, 15),
            Version::full(26, 0, 1, 14),
            Version::new(14, 0),
        ),
    ];
    for (flag, has, before, never) in cases {
        let opts = OfferOptions::new().flag(flag.clone());
        let ok = client(&fake, Some(has)).await;
        ok.offer(SDP, "c", "A", &opts)
            .await
            .unwrap_or_else(|e| panic!("{flag} refused by {has}: {e}"));
        assert!(flags_of(&last(&fake)).contains(&flag.to_string()));
        for v in [before, has.line(), never] {
            let sent = fake.received_count();
            let err = client(&fake, Some(v))
                .await
                .offer(SDP, "c", "A", &opts)
                .await
                .expect_err(&format!("{flag} sent to {v}"));
            let (what, since, target) = unsupported(err);
            assert!(what.contains(flag.as_str()), "{what}");
            assert!(!since.met_by(target));
            assert_eq!(fake.received_count(), sent, "nothing sent");
        }
    }
    // T.38 version: a key backported to three lines.
    let opts = OfferOptions::new().t38_version(1);
    for v in [
        Version::full(12, 5, 1, 26),
        Version::full(13, 1, 1, 12),
        Version::full(13, 2, 1, 8),
        Version::new(13, 3),
    ] {
        client(&fake, Some(v))
            .await
            .offer(SDP, "c", "A", &opts)
            .await
            .unwrap_or_else(|e| panic!("T.38 version refused by {v}: {e}"));
    }
    for v in [
        Version::full(12, 5, 1, 25),
        Version::new(13, 0),
        Version::full(13, 1, 1, 11),
    ] {
        let err = client(&fake, Some(v))
            .await
            .offer(SDP, "c", "A", &opts)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Unsupported { .. }), "{v}: {err:?}");
    }
}

/// `connect` of 13.2–14.1 takes exactly one from-tag; the other source forms and the flags
/// `all`, `directional`, `bidirectional` are 26.0.
#[tokio::test]
async fn connect_sources_other_than_one_from_tag_need_26_0() {
    let fake = fake().await;
    let old = client(&fake, Some(Version::new(14, 1))).await;
    // One from-tag: fine on 13.2+.
    old.connect_parties("c", "A", "B", &ConnectOptions::new())
        .await
        .unwrap();
    let refused = [
        (
            "A",
            ConnectOptions::new().flag(Flag::Directional),
            "directional",
        ),
        (
            "A",
            ConnectOptions::new().flag(Flag::Bidirectional),
            "bidirectional",
        ),
        ("", ConnectOptions::new().flag(Flag::All), "all"),
        (
            "",
            ConnectOptions::new().from_tags("A").from_tags("C"),
            "from-tags",
        ),
    ];
    let new = client(&fake, Some(Version::new(26, 0))).await;
    for (from, opts, name) in &refused {
        let sent = fake.received_count();
        let err = old.connect_parties("c", from, "B", opts).await.unwrap_err();
        let (what, since, _) = unsupported(err);
        assert!(what.contains(name), "{what}");
        assert_eq!(since, Version::new(26, 0));
        assert_eq!(fake.received_count(), sent);
        new.connect_parties("c", from, "B", opts)
            .await
            .unwrap_or_else(|e| panic!("{name} refused by 26.0: {e}"));
    }
    // Without any source the request is invalid whatever the version.
    let err = new
        .connect_parties("c", "", "B", &ConnectOptions::new())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidRequest { .. }), "{err:?}");
}

/// Before 26.0 `unsubscribe` ignores a from-tag and removes every subscription: refused there.
#[tokio::test]
async fn unsubscribe_from_one_source_needs_26_0() {
    let fake = fake().await;
    let opts = UnsubscribeOptions::new()
        .from_tag("A")
        .flags(Flag::Directional);
    for v in [Version::V10_5, Version::new(12, 4), Version::new(14, 1)] {
        let err = client(&fake, Some(v))
            .await
            .unsubscribe("c", "S", &opts)
            .await
            .unwrap_err();
        let (what, since, _) = unsupported(err);
        assert!(what.contains("from-tag"), "{what}");
        assert_eq!(since, Version::new(26, 0));
    }
    assert_eq!(fake.received_count(), 0);
    client(&fake, Some(Version::full(26, 0, 1, 1)))
        .await
        .unsubscribe("c", "S", &opts)
        .await
        .unwrap();
    let sent = last(&fake);
    assert_eq!(sent.get("from-tag").and_then(Value::as_str), Some("A"));
    // Unsubscribing the whole subscriber works everywhere.
    client(&fake, Some(Version::V10_5))
        .await
        .unsubscribe("c", "S", &UnsubscribeOptions::new())
        .await
        .unwrap();
}

/// `recording-file`, `-dir`, `-pattern` arrived in 12.2 in `start recording` too.
#[tokio::test]
async fn recording_file_options_are_12_2_in_start_recording() {
    let fake = fake().await;
    let opts = RecordingOptions::new()
        .recording_file("f.pcap")
        .recording_dir("/spool")
        .recording_pattern("%c");
    client(&fake, Some(Version::new(12, 2)))
        .await
        .start_recording("c", &opts)
        .await
        .unwrap();
    let sent = last(&fake);
    assert_eq!(
        sent.get("recording-file").and_then(Value::as_str),
        Some("f.pcap")
    );
    let err = client(&fake, Some(Version::new(12, 1)))
        .await
        .start_recording("c", &opts)
        .await
        .unwrap_err();
    assert_eq!(unsupported(err).1, Version::new(12, 2));
}

/// `to-label` is its own key since 11.1 (10.5 and 11.0 read it as `set-label`); the typed
/// `to-tag` of an offer; `set-label` on the media commands.
#[tokio::test]
async fn to_label_to_tag_and_set_label_are_typed() {
    let fake = fake().await;
    let c = client(&fake, None).await;
    let opts = OfferOptions::new()
        .to_label("callee")
        .set_label("x")
        .to_tag("tagB");
    c.offer(SDP, "c", "A", &opts).await.unwrap();
    let sent = last(&fake);
    assert_eq!(sent.get("to-label").and_then(Value::as_str), Some("callee"));
    assert_eq!(sent.get("set-label").and_then(Value::as_str), Some("x"));
    assert_eq!(sent.get("to-tag").and_then(Value::as_str), Some("tagB"));
    // Read back, `to-label` stays `to-label`.
    let back = OfferOptions::from_dict(sent.as_dict().unwrap());
    assert_eq!(back.to_label.as_deref(), Some("callee"));
    assert_eq!(back.set_label.as_deref(), Some("x"));
    assert_eq!(back.to_tag.as_deref(), Some("tagB"));
    // 10.5 would relabel the party: refused there.
    let err = client(&fake, Some(Version::V10_5))
        .await
        .offer(SDP, "c", "A", &OfferOptions::new().to_label("callee"))
        .await
        .unwrap_err();
    assert_eq!(unsupported(err).1, Version::new(11, 1));
    // `answer` writes its own to-tag: the option would duplicate the key.
    let sent = fake.received_count();
    let err = c
        .answer(SDP, "c", "A", "tagB", &OfferOptions::new().to_tag("tagB"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidRequest { .. }), "{err:?}");
    assert_eq!(fake.received_count(), sent);

    let party = Selector::FromTag("A".into());
    c.block_media("c", &party, &MediaOptions::new().set_label("muted"))
        .await
        .unwrap();
    assert_eq!(
        last(&fake).get("set-label").and_then(Value::as_str),
        Some("muted")
    );
    c.play_dtmf("c", &party, '1', &PlayDtmfOptions::new().set_label("dtmf"))
        .await
        .unwrap();
    assert_eq!(
        last(&fake).get("set-label").and_then(Value::as_str),
        Some("dtmf")
    );
}

/// Values: `record call: discard` (11.4), `UDPTL`, the `sdp-attr` sections `image`/`message`
/// (11.5) and `text`/`application` (13.1), the obsolete codec flags.
#[tokio::test]
async fn newer_values_and_sections_are_typed_and_gated() {
    let fake = fake().await;
    let discard = OfferOptions::new().record_call(RecordCall::Discard);
    let err = client(&fake, Some(Version::new(11, 3)))
        .await
        .offer(SDP, "c", "A", &discard)
        .await
        .unwrap_err();
    assert_eq!(unsupported(err).1, Version::new(11, 4));
    client(&fake, Some(Version::new(11, 4)))
        .await
        .offer(SDP, "c", "A", &discard)
        .await
        .unwrap();
    assert_eq!(
        last(&fake).get("record call").and_then(Value::as_str),
        Some("discard")
    );
    // `bool` still sets yes/no.
    assert_eq!(
        OfferOptions::new().record_call(true).record_call,
        Some(RecordCall::Yes)
    );

    let old = client(&fake, Some(Version::V10_5)).await;
    old.offer(
        SDP,
        "c",
        "A",
        &OfferOptions::new().transport_protocol(TransportProtocol::Udptl),
    )
    .await
    .unwrap();
    assert_eq!(
        last(&fake)
            .get("transport protocol")
            .and_then(Value::as_str),
        Some("UDPTL")
    );

    let mut attr = SdpAttr::new();
    attr.image = SdpAttrSection::new().add("T38FaxVersion:0");
    let t38 = OfferOptions::new().sdp_attr(attr);
    let err = client(&fake, Some(Version::new(11, 4)))
        .await
        .offer(SDP, "c", "A", &t38)
        .await
        .unwrap_err();
    let (what, since, _) = unsupported(err);
    assert!(what.contains("image"), "{what}");
    assert_eq!(since, Version::new(11, 5));
    client(&fake, Some(Version::new(11, 5)))
        .await
        .offer(SDP, "c", "A", &t38)
        .await
        .unwrap();
    let mut text = SdpAttr::new();
    text.text = SdpAttrSection::new().remove("x");
    let err = client(&fake, Some(Version::new(13, 0)))
        .await
        .offer(SDP, "c", "A", &OfferOptions::new().sdp_attr(text))
        .await
        .unwrap_err();
    assert_eq!(unsupported(err).1, Version::new(13, 1));

    // Obsolete flags: every release takes them, so never gated; `from_dict` keeps them typed.
    for f in ["reorder codecs", "symmetric codecs", "asymmetric codecs"] {
        let flag = Flag::from(f);
        assert!(!matches!(flag, Flag::Other(_)), "{f}");
        old.offer(SDP, "c", "A", &OfferOptions::new().flag(flag))
            .await
            .unwrap();
    }
    // `replace: session connection` is still sent as asked (it works up to 12.4).
    old.offer(
        SDP,
        "c",
        "A",
        &OfferOptions::new().replace(Replace::SessionConnection),
    )
    .await
    .unwrap();
}

/// 26.2 reads `ICE` and `DTLS` as lists: several values go out as a list (26.2 only), one as
/// the plain string every release reads.
#[tokio::test]
async fn ice_and_dtls_lists_need_26_2() {
    let fake = fake().await;
    let one = OfferOptions::new().ice(Ice::Force);
    client(&fake, Some(Version::V10_5))
        .await
        .offer(SDP, "c", "A", &one)
        .await
        .unwrap();
    assert_eq!(
        last(&fake).get("ICE").and_then(Value::as_str),
        Some("force")
    );

    let several = OfferOptions::new()
        .ice(Ice::Force)
        .ice(Ice::Lite)
        .ice(Ice::Trickle)
        .dtls(Dtls::Passive);
    let err = client(&fake, Some(Version::full(26, 1, 1, 3)))
        .await
        .offer(SDP, "c", "A", &several)
        .await
        .unwrap_err();
    let (what, since, _) = unsupported(err);
    assert!(what.contains("ICE"), "{what}");
    assert_eq!(since, Version::new(26, 2));
    client(&fake, Some(Version::new(26, 2)))
        .await
        .offer(SDP, "c", "A", &several)
        .await
        .unwrap();
    let sent = last(&fake);
    let ice: Vec<&str> = sent
        .get("ICE")
        .and_then(Value::as_list)
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(ice, ["force", "lite", "trickle"]);
    assert_eq!(sent.get("DTLS").and_then(Value::as_str), Some("passive"));
    // Read back typed, both shapes.
    let back = OfferOptions::from_dict(sent.as_dict().unwrap());
    assert_eq!(back.ice, several.ice);
    assert_eq!(back.dtls, several.dtls);

    // Contradictions are refused whatever the version.
    for bad in [
        OfferOptions::new().ice(Ice::Remove).ice(Ice::Force),
        OfferOptions::new().dtls(Dtls::Off).dtls(Dtls::Passive),
    ] {
        let err = client(&fake, None)
            .await
            .offer(SDP, "c", "A", &bad)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::InvalidRequest { .. }), "{err:?}");
    }
}

/// 26.2 ignores `DTLS: passive` in an answer (it counts in the offer there): refused for a
/// 26.2 target, sent to older ones and when the version is unknown.
#[tokio::test]
async fn dtls_passive_in_an_answer_is_refused_for_26_2() {
    let fake = fake().await;
    let passive = OfferOptions::new().dtls(Dtls::Passive);
    let sent = fake.received_count();
    let err = client(&fake, Some(Version::new(26, 2)))
        .await
        .answer(SDP, "c", "A", "B", &passive)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidRequest { .. }), "{err:?}");
    assert!(err.to_string().contains("DTLS-reverse"), "{err}");
    assert_eq!(fake.received_count(), sent);
    // Debian's 26.0.1.26 already has the 26.2 meaning (measured: daemon_options).
    let err = client(&fake, Some(Version::full(26, 0, 1, 26)))
        .await
        .answer(SDP, "c", "A", "B", &passive)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidRequest { .. }), "{err:?}");
    for v in [
        Some(Version::full(26, 1, 1, 3)),
        Some(Version::full(26, 0, 1, 22)),
        Some(Version::new(26, 0)),
        None,
    ] {
        client(&fake, v)
            .await
            .answer(SDP, "c", "A", "B", &passive)
            .await
            .unwrap();
    }
    // In the offer it is fine everywhere (26.2 decides the role there).
    client(&fake, Some(Version::new(26, 2)))
        .await
        .offer(SDP, "c", "A", &passive)
        .await
        .unwrap();
}
