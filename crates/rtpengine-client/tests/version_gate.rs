//! The version gate over the whole option catalogue, against a fake server.
//!
//! Every key of `OfferOptions::KEYS`, every `Flag::ALL` entry and every value of the enums'
//! `ALL` tables (iterated, so nothing is missed): a client told its rtpengine is 10.5 refuses
//! what is newer with `Error::Unsupported` naming it and sends nothing; told the right version,
//! or with the check off, it sends the exact key/value; told no version, it gates nothing. Raw
//! keys and flags are never gated. `delete` adds the `to-tag` flag for 13.0+ and unknown
//! targets, not for 10.5.

use rtpengine_client::bencode::{Dict, Value};
use rtpengine_client::message::options::{
    AliasKey, AudioPlayer, Bundle, CodecOptions, DropTraffic, DtlsFingerprint, DtlsReverse,
    EndpointLearning, IceLite, MediaEcho, MediaType, Moh, MohMode, OnOff, Osrtp, Supports, T38,
};
use rtpengine_client::message::Version;
use rtpengine_client::{
    AddressFamily, Client, DeleteOptions, Dtls, Error, Flag, Ice, OfferOptions, Replace, RtcpMux,
    Sdes, TransportProtocol,
};
use rtpengine_testkit::{FakeAction, FakeNg};

const SDP: &str = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n\
                   m=audio 40000 RTP/AVP 0\r\n";

/// Every release line from 10.5 on (there is no 15–25).
const RELEASES: &[(u16, u16)] = &[
    (10, 5),
    (11, 0),
    (11, 1),
    (11, 2),
    (11, 3),
    (11, 4),
    (11, 5),
    (12, 0),
    (12, 1),
    (12, 2),
    (12, 3),
    (12, 4),
    (12, 5),
    (13, 0),
    (13, 1),
    (13, 2),
    (13, 3),
    (13, 4),
    (13, 5),
    (14, 0),
    (14, 1),
    (26, 0),
    (26, 1),
    (26, 2),
];

/// The release line before `v` (10.5 for the baseline).
fn previous(v: Version) -> Version {
    let releases: Vec<Version> = RELEASES.iter().map(|(a, b)| Version::new(*a, *b)).collect();
    let i = releases
        .iter()
        .position(|r| *r == v)
        .unwrap_or_else(|| panic!("{v} is not a release line"));
    releases[i.saturating_sub(1)]
}

/// `len:text`, as it appears on the wire.
fn benc(s: &str) -> Vec<u8> {
    let mut out = format!("{}:", s.len()).into_bytes();
    out.extend_from_slice(s.as_bytes());
    out
}

struct Gate {
    fake: FakeNg,
}

impl Gate {
    async fn start() -> Self {
        let fake = FakeNg::start(|req| {
            if req.is_command("offer") || req.is_command("answer") {
                vec![FakeAction::ok_with_sdp(SDP.as_bytes())]
            } else {
                vec![FakeAction::ok()]
            }
        })
        .await
        .expect("start the fake server");
        Self { fake }
    }

    async fn client(&self, version: Option<Version>, check: bool) -> Client {
        let mut b = Client::builder(self.fake.url()).version_check(check);
        if let Some(v) = version {
            b = b.rtpengine_version(v);
        }
        b.connect().await.expect("connect")
    }

    fn count(&self) -> usize {
        self.fake.received_count()
    }

    fn last_body(&self) -> Vec<u8> {
        self.fake
            .received()
            .last()
            .expect("something was sent")
            .body
            .to_vec()
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Sends `opts` in an offer through `client`, expecting `Unsupported` naming `name` with this
/// `since` and nothing sent.
async fn expect_refused(
    gate: &Gate,
    client: &Client,
    opts: &OfferOptions,
    name: &str,
    since: Version,
) {
    let before = gate.count();
    let err = client
        .offer(SDP, "gate", "tagA", opts)
        .await
        .expect_err(&format!(
            "'{name}' (since {since}) was sent to {:?}",
            client.rtpengine_version()
        ));
    match err {
        Error::Unsupported {
            what,
            since: s,
            target,
        } => {
            assert!(what.contains(name), "'{what}' does not name '{name}'");
            assert_eq!(s, since, "'{name}'");
            assert_eq!(Some(target), client.rtpengine_version());
        }
        other => panic!("'{name}': expected Unsupported, got {other:?}"),
    }
    // The answer is gated the same way.
    let err = client
        .answer(SDP, "gate", "tagA", "tagB", opts)
        .await
        .expect_err("answer sent");
    assert!(matches!(err, Error::Unsupported { .. }), "{err:?}");
    assert_eq!(gate.count(), before, "'{name}' reached the server");
}

/// Sends `opts` in an offer through `client`, expecting it on the wire with `needle` in the
/// body.
async fn expect_sent(gate: &Gate, client: &Client, opts: &OfferOptions, needle: &[u8]) {
    let before = gate.count();
    client
        .offer(SDP, "gate", "tagA", opts)
        .await
        .unwrap_or_else(|e| panic!("{opts:?} to {:?}: {e}", client.rtpengine_version()));
    assert_eq!(gate.count(), before + 1);
    let body = gate.last_body();
    assert!(
        contains(&body, needle),
        "{} not in {}",
        String::from_utf8_lossy(needle),
        String::from_utf8_lossy(&body)
    );
}

/// A value of the right shape for each key, so `from_dict` sets the typed field.
fn samples() -> Vec<Value> {
    let dict = |k: &str, v: Value| Value::Dict([(k.to_owned(), v)].into_iter().collect::<Dict>());
    vec![
        Value::str("x"),
        Value::str("yes"),
        Value::str("192.0.2.1"),
        Value::Int(1),
        Value::str_list(["x"]),
        Value::List(vec![Value::str("IP4"), Value::str("192.0.2.1")]),
        dict("strip", Value::str_list(["x"])),
        dict("global", dict("add", Value::str_list(["x"]))),
        dict("file", Value::str("x")),
    ]
}

/// Typed options with just this key set (via `from_dict`, so the table drives the test).
fn with_key(key: &str) -> OfferOptions {
    samples()
        .into_iter()
        .map(|v| OfferOptions::from_dict(&[(key.to_owned(), v)].into_iter().collect()))
        .find(|o| o.raw.keys.is_empty() && !o.is_empty())
        .unwrap_or_else(|| panic!("no sample value fits key '{key}'"))
}

#[tokio::test]
async fn every_key_is_gated_by_its_release() {
    let gate = Gate::start().await;
    let old = gate.client(Some(Version::V10_5), true).await;
    let unchecked = gate.client(Some(Version::V10_5), false).await;
    let unknown = gate.client(None, true).await;
    let mut newer = 0;
    for (key, _, since) in OfferOptions::KEYS {
        let opts = with_key(key);
        assert_eq!(
            opts.requirement().map(|r| r.since),
            (*since > Version::BASE).then_some(*since),
            "'{key}'"
        );
        let on_wire = benc(key);
        if *since > Version::V10_5 {
            newer += 1;
            expect_refused(&gate, &old, &opts, key, *since).await;
            // One release too old is refused too; the release itself takes it.
            let before = gate.client(Some(previous(*since)), true).await;
            expect_refused(&gate, &before, &opts, key, *since).await;
            let right = gate.client(Some(*since), true).await;
            expect_sent(&gate, &right, &opts, &on_wire).await;
        } else {
            expect_sent(&gate, &old, &opts, &on_wire).await;
        }
        expect_sent(&gate, &unchecked, &opts, &on_wire).await;
        expect_sent(&gate, &unknown, &opts, &on_wire).await;
    }
    assert!(newer >= 25, "only {newer} keys newer than 10.5");
}

#[tokio::test]
async fn every_flag_is_gated_by_its_release() {
    let gate = Gate::start().await;
    let old = gate.client(Some(Version::V10_5), true).await;
    let unchecked = gate.client(Some(Version::V10_5), false).await;
    let unknown = gate.client(None, true).await;
    for (text, since) in Flag::ALL {
        let flag = Flag::from(*text);
        assert!(!matches!(flag, Flag::Other(_)), "'{text}' does not parse");
        let opts = OfferOptions::new().flag(flag);
        let on_wire = benc(text);
        if *since > Version::V10_5 {
            expect_refused(&gate, &old, &opts, text, *since).await;
            let right = gate.client(Some(*since), true).await;
            expect_sent(&gate, &right, &opts, &on_wire).await;
        } else {
            expect_sent(&gate, &old, &opts, &on_wire).await;
        }
        expect_sent(&gate, &unchecked, &opts, &on_wire).await;
        expect_sent(&gate, &unknown, &opts, &on_wire).await;
    }
}

/// Checks every value of one enum's `ALL` table in the field `set` puts it in; `key_since` is
/// the release of the key itself.
async fn check_values<T>(
    gate: &Gate,
    all: &[(&'static str, Version)],
    key: &str,
    key_since: Version,
    set: impl Fn(T) -> OfferOptions,
) where
    T: for<'a> From<&'a str>,
{
    let unchecked = gate.client(Some(Version::V10_5), false).await;
    let unknown = gate.client(None, true).await;
    for (text, since) in all {
        let opts = set(T::from(*text));
        let on_wire = benc(text);
        let needed = key_since.max(*since);
        if needed > Version::V10_5 {
            let old = gate.client(Some(Version::V10_5), true).await;
            let name = if *since > key_since { *text } else { key };
            expect_refused(gate, &old, &opts, name, needed).await;
            if *since > key_since && previous(*since) >= key_since {
                // The key is known there, the value is not.
                let key_only = gate.client(Some(previous(*since)), true).await;
                expect_refused(gate, &key_only, &opts, text, *since).await;
            }
        }
        let right = gate.client(Some(needed.max(Version::V10_5)), true).await;
        expect_sent(gate, &right, &opts, &on_wire).await;
        expect_sent(gate, &unchecked, &opts, &on_wire).await;
        expect_sent(gate, &unknown, &opts, &on_wire).await;
    }
}

#[tokio::test]
async fn every_enum_value_is_gated_by_its_release() {
    let gate = Gate::start().await;
    let base = Version::BASE;
    let g = &gate;
    check_values(g, Replace::ALL, "replace", base, |v: Replace| {
        OfferOptions::new().replace(v)
    })
    .await;
    check_values(g, Ice::ALL, "ICE", base, |v: Ice| {
        OfferOptions::new().ice(v)
    })
    .await;
    check_values(g, TransportProtocol::ALL, "transport protocol", base, |v| {
        OfferOptions::new().transport_protocol::<TransportProtocol>(v)
    })
    .await;
    check_values(g, AddressFamily::ALL, "address family", base, |v| {
        OfferOptions::new().address_family::<AddressFamily>(v)
    })
    .await;
    check_values(g, RtcpMux::ALL, "rtcp-mux", base, |v: RtcpMux| {
        OfferOptions::new().rtcp_mux(v)
    })
    .await;
    check_values(g, Dtls::ALL, "DTLS", base, |v: Dtls| {
        OfferOptions::new().dtls(v)
    })
    .await;
    check_values(g, Sdes::ALL, "SDES", base, |v: Sdes| {
        OfferOptions::new().sdes(v)
    })
    .await;
    check_values(g, IceLite::ALL, "ICE-lite", base, |v: IceLite| {
        OfferOptions::new().ice_lite(v)
    })
    .await;
    check_values(
        g,
        DtlsReverse::ALL,
        "DTLS-reverse",
        base,
        |v: DtlsReverse| OfferOptions::new().dtls_reverse(v),
    )
    .await;
    check_values(
        g,
        DtlsFingerprint::ALL,
        "DTLS-fingerprint",
        base,
        |v: DtlsFingerprint| OfferOptions::new().dtls_fingerprint(v),
    )
    .await;
    check_values(g, Osrtp::ALL, "OSRTP", base, |v: Osrtp| {
        OfferOptions::new().osrtp(v)
    })
    .await;
    check_values(g, OnOff::ALL, "generate RTCP", base, |v: OnOff| {
        OfferOptions::new().generate_rtcp(v)
    })
    .await;
    check_values(g, OnOff::ALL, "passthrough", base, |v: OnOff| {
        OfferOptions::new().passthrough(v)
    })
    .await;
    check_values(
        g,
        EndpointLearning::ALL,
        "endpoint-learning",
        base,
        |v: EndpointLearning| OfferOptions::new().endpoint_learning(v),
    )
    .await;
    check_values(g, T38::ALL, "T.38", base, |v: T38| {
        OfferOptions::new().t38(v)
    })
    .await;
    check_values(g, MediaEcho::ALL, "media echo", base, |v: MediaEcho| {
        OfferOptions::new().media_echo(v)
    })
    .await;
    check_values(
        g,
        DropTraffic::ALL,
        "drop-traffic",
        base,
        |v: DropTraffic| OfferOptions::new().drop_traffic(v),
    )
    .await;
    check_values(g, Supports::ALL, "supports", base, |v: Supports| {
        OfferOptions::new().supports(v)
    })
    .await;
    check_values(
        g,
        AudioPlayer::ALL,
        "audio-player",
        Version::new(11, 3),
        |v: AudioPlayer| OfferOptions::new().audio_player(v),
    )
    .await;
    check_values(
        g,
        MediaType::ALL,
        "sdp-media-remove",
        Version::new(13, 1),
        |v: MediaType| OfferOptions::new().sdp_media_remove(v),
    )
    .await;
    check_values(
        g,
        Bundle::ALL,
        "bundle",
        Version::new(14, 0),
        |v: Bundle| OfferOptions::new().bundle(v),
    )
    .await;
    check_values(
        g,
        AliasKey::ALL,
        "alias-key",
        Version::new(26, 0),
        |v: AliasKey| OfferOptions::new().alias_key(v),
    )
    .await;
    check_values(g, MohMode::ALL, "moh", Version::new(13, 2), |v: MohMode| {
        let mut moh = Moh::new();
        moh.file = Some("/tmp/moh.wav".into());
        moh.mode = Some(v);
        OfferOptions::new().moh(moh)
    })
    .await;
    // Every table above names its key's release correctly.
    for (key, since) in [
        ("audio-player", Version::new(11, 3)),
        ("sdp-media-remove", Version::new(13, 1)),
        ("bundle", Version::new(14, 0)),
        ("alias-key", Version::new(26, 0)),
        ("moh", Version::new(13, 2)),
    ] {
        let (_, _, s) = OfferOptions::KEYS
            .iter()
            .find(|(k, _, _)| *k == key)
            .unwrap_or_else(|| panic!("no key '{key}'"));
        assert_eq!(*s, since, "'{key}'");
    }
}

#[tokio::test]
async fn sdes_prefix_forms_and_nested_keys_are_gated() {
    let gate = Gate::start().await;
    let old = gate.client(Some(Version::V10_5), true).await;
    for (prefix, since) in Sdes::PREFIXES {
        let value = format!("{prefix}AES_CM_128_HMAC_SHA1_80");
        let opts = OfferOptions::new().sdes(Sdes::from(value.as_str()));
        if *since > Version::V10_5 {
            expect_refused(&gate, &old, &opts, &value, *since).await;
            let right = gate.client(Some(*since), true).await;
            expect_sent(&gate, &right, &opts, &benc(&value)).await;
        } else {
            expect_sent(&gate, &old, &opts, &benc(&value)).await;
        }
    }
    // The typed constructors build the same texts.
    assert_eq!(Sdes::only("X").since(), Version::new(11, 2));
    assert_eq!(Sdes::order(&["A", "B"]).as_str(), "order:A;B");
    assert_eq!(Sdes::offerer_pref(&["A"]).since(), Version::new(11, 2));
    assert_eq!(Sdes::no("X").since(), Version::BASE);
    // A nested key newer than its dictionary: codec `ignore` (13.3) inside `codec` (10.5).
    for (key, _, since) in CodecOptions::KEYS {
        let mut codec = CodecOptions::new();
        codec = match *key {
            "strip" => codec.strip("PCMA"),
            "offer" => codec.offer("PCMA"),
            "except" => codec.except("PCMA"),
            "transcode" => codec.transcode("PCMA"),
            "mask" => codec.mask("PCMA"),
            "set" => codec.set("PCMA"),
            "accept" => codec.accept("PCMA"),
            "consume" => codec.consume("PCMA"),
            "ignore" => codec.ignore("PCMA"),
            other => panic!("codec key '{other}' has no case here"),
        };
        let opts = OfferOptions::new().codec(codec);
        if *since > Version::V10_5 {
            expect_refused(&gate, &old, &opts, key, *since).await;
            let right = gate.client(Some(*since), true).await;
            expect_sent(&gate, &right, &opts, &benc(key)).await;
        } else {
            expect_sent(&gate, &old, &opts, &benc(key)).await;
        }
    }
}

#[tokio::test]
async fn raw_keys_and_flags_are_not_gated() {
    let gate = Gate::start().await;
    let old = gate.client(Some(Version::V10_5), true).await;
    let sdp_attr: Dict = [(
        "global",
        Value::Dict([("add", Value::str_list(["x-a:1"]))].into_iter().collect()),
    )]
    .into_iter()
    .collect();
    let opts = OfferOptions::new()
        .raw_key("sdp-attr", Value::Dict(sdp_attr))
        .raw_key("alias-key", "SDP")
        .raw_flag("directional")
        .raw_flag("fast");
    expect_sent(&gate, &old, &opts, b"8:sdp-attrd6:globald3:addl5:x-a:1eee").await;
    let body = gate.last_body();
    assert!(contains(&body, b"9:alias-key3:SDP"));
    assert!(contains(&body, b"5:flagsl11:directional4:faste"));
    // The typed equivalent is refused.
    expect_refused(
        &gate,
        &old,
        &OfferOptions::new().alias_key(AliasKey::Sdp),
        "alias-key",
        Version::new(26, 0),
    )
    .await;
}

#[tokio::test]
async fn delete_to_tag_flag_depends_on_the_target() {
    let gate = Gate::start().await;
    let opts = DeleteOptions::new().to_tag("tt");
    let flag_list = b"5:flagsl6:to-tage".as_slice();
    for (target, with_flag) in [
        (None, true),
        (Some(Version::new(13, 0)), true),
        (Some(Version::new(26, 2)), true),
        (Some(Version::new(12, 5)), false),
        (Some(Version::V10_5), false),
    ] {
        let client = gate.client(target, true).await;
        client
            .delete("call", "tagA", &opts)
            .await
            .unwrap_or_else(|e| panic!("delete for {target:?}: {e}"));
        let body = gate.last_body();
        assert!(contains(&body, b"6:to-tag2:tt"), "{target:?}");
        assert_eq!(
            contains(&body, flag_list),
            with_flag,
            "{target:?}: {}",
            String::from_utf8_lossy(&body)
        );
    }
    // Without a to-tag there is no flag.
    let client = gate.client(None, true).await;
    client
        .delete("call", "tagA", &DeleteOptions::new())
        .await
        .unwrap();
    assert!(!contains(&gate.last_body(), b"to-tag"));
    // The flag asked for explicitly is a 13.0 feature.
    let old = gate.client(Some(Version::V10_5), true).await;
    let before = gate.count();
    let err = old
        .delete("call", "tagA", &DeleteOptions::new().flags(Flag::ToTag))
        .await
        .expect_err("to-tag flag sent to 10.5");
    assert!(
        matches!(&err, Error::Unsupported { what, since, .. } if what.contains("to-tag") && *since == Version::new(13, 0)),
        "{err:?}"
    );
    let err = old
        .delete("call", "tagA", &DeleteOptions::new().flags(Flag::Fast))
        .await
        .expect_err("fast sent to 10.5");
    assert!(
        matches!(&err, Error::Unsupported { what, .. } if what.contains("fast")),
        "{err:?}"
    );
    assert_eq!(gate.count(), before);
    // `fatal` works everywhere in delete.
    old.delete("call", "tagA", &DeleteOptions::new().fatal(true))
        .await
        .unwrap();
    assert!(contains(&gate.last_body(), b"5:flagsl5:fatale"));
}
