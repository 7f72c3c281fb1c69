//! The version gate over the whole option catalogue, against a fake server.
//!
//! Every key of `key_table(OfferOptions::OPTIONS)`, every `Flag::ALL` entry and every value of the enums'
//! `ALL` tables (iterated, so nothing is missed): a client told its rtpengine is 10.5 refuses
//! what is newer with `Error::Unsupported` naming it and sends nothing; told the right version,
//! or with the check off, it sends the exact key/value; told no version, it gates nothing. Raw
//! keys and flags are never gated. `delete` adds the `to-tag` flag for 13.0+ and unknown
//! targets, not for 10.5.

mod common;

use common::{benc, client_for, key_samples, key_table, with_key, SDP};
use rtpengine_client::bencode::{Dict, Value};
use rtpengine_client::NgCommands;
use rtpengine_client::{
    AddressFamily, AliasKey, AudioPlayer, Bundle, Client, CodecOptions, DeleteOptions, DropTraffic,
    Dtls, DtlsFingerprint, DtlsReverse, EndpointLearning, Error, Flag, Ice, IceLite, MediaEcho,
    MediaType, Moh, MohMode, OfferOptions, OnOff, Osrtp, Replace, RtcpMux, Sdes, Since, Supports,
    TransportProtocol, Version, T38,
};
use rtpengine_testkit::{FakeAction, FakeNg};

/// The release line before `v` (10.5 for the baseline).
fn previous(v: Version) -> Version {
    let i = Version::LINES
        .iter()
        .position(|r| *r == v)
        .unwrap_or_else(|| panic!("{v} is not a release line"));
    Version::LINES[i.saturating_sub(1)]
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
        client_for(self.fake.url(), version, check).await
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
    since: Since,
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

/// `opts`, whose newest part `name` needs `since`: when 10.5 lacks it, refused by `old` (a
/// 10.5 client) and by a client for the line before its mainline release, sent by a client for
/// that release; for each backport, sent by a client for that patch release and refused by
/// one for the patch before it and by one that knows only the line. Otherwise sent by `old`.
async fn expect_gated(
    gate: &Gate,
    old: &Client,
    opts: &OfferOptions,
    name: &str,
    since: Since,
    on_wire: &[u8],
) {
    if since.met_by(Version::V10_5) {
        expect_sent(gate, old, opts, on_wire).await;
        return;
    }
    expect_refused(gate, old, opts, name, since).await;
    let right = gate.client(Some(since.mainline), true).await;
    expect_sent(gate, &right, opts, on_wire).await;
    let line_before = gate
        .client(Some(previous(since.mainline.line())), true)
        .await;
    expect_refused(gate, &line_before, opts, name, since).await;
    for b in since.backports {
        let patch = gate.client(Some(*b), true).await;
        expect_sent(gate, &patch, opts, on_wire).await;
        let before = Version::full(b.major, b.minor, b.patch, b.build - 1);
        for v in [before, b.line()] {
            let too_old = gate.client(Some(v), true).await;
            expect_refused(gate, &too_old, opts, name, since).await;
        }
    }
}

#[tokio::test]
async fn every_key_is_gated_by_its_release() {
    let gate = Gate::start().await;
    let old = gate.client(Some(Version::V10_5), true).await;
    let unchecked = gate.client(Some(Version::V10_5), false).await;
    let unknown = gate.client(None, true).await;
    let mut newer = 0;
    let samples = key_samples();
    for (key, _, since) in key_table(OfferOptions::OPTIONS) {
        let opts = with_key(key, &samples);
        assert_eq!(
            opts.requirements().newest().map(|r| r.since),
            (!since.is_base()).then_some(*since),
            "'{key}'"
        );
        let on_wire = benc(key);
        expect_gated(&gate, &old, &opts, key, *since, &on_wire).await;
        if !since.met_by(Version::V10_5) {
            newer += 1;
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
        expect_gated(&gate, &old, &opts, text, *since, &on_wire).await;
        expect_sent(&gate, &unchecked, &opts, &on_wire).await;
        expect_sent(&gate, &unknown, &opts, &on_wire).await;
    }
}

/// Checks every value of one enum's `ALL` table in the field `set` puts it in; `key_since` is
/// the release of the key itself.
async fn check_values(
    gate: &Gate,
    all: &[(&'static str, Since)],
    key: &str,
    key_since: Since,
    set: fn(&str) -> OfferOptions,
) {
    let unchecked = gate.client(Some(Version::V10_5), false).await;
    let unknown = gate.client(None, true).await;
    for (text, since) in all {
        let opts = set(text);
        let on_wire = benc(text);
        let value_newer = since.mainline > key_since.mainline;
        let needed = if value_newer { *since } else { key_since };
        if !needed.met_by(Version::V10_5) {
            let old = gate.client(Some(Version::V10_5), true).await;
            let name = if value_newer { *text } else { key };
            expect_refused(gate, &old, &opts, name, needed).await;
            if value_newer && key_since.met_by(previous(since.mainline.line())) {
                // The key is known there, the value is not.
                let line_before = previous(since.mainline.line());
                let key_only = gate.client(Some(line_before), true).await;
                expect_refused(gate, &key_only, &opts, text, *since).await;
            }
        }
        let right = gate
            .client(Some(needed.mainline.max(Version::V10_5)), true)
            .await;
        expect_sent(gate, &right, &opts, &on_wire).await;
        expect_sent(gate, &unchecked, &opts, &on_wire).await;
        expect_sent(gate, &unknown, &opts, &on_wire).await;
    }
}

/// A setter from a value's text: `OfferOptions::new().field(Type::from(text))`.
macro_rules! set {
    ($field:ident, $ty:ident) => {
        |v: &str| OfferOptions::new().$field($ty::from(v))
    };
}

/// An enum's `ALL` table, the key it is the value of, the key's release, and how to set a value.
type EnumField = (
    &'static [(&'static str, Since)],
    &'static str,
    Since,
    fn(&str) -> OfferOptions,
);

fn enum_fields() -> Vec<EnumField> {
    let base = Since::BASE;
    vec![
        (Replace::ALL, "replace", base, set!(replace, Replace)),
        (Ice::ALL, "ICE", base, set!(ice, Ice)),
        (
            TransportProtocol::ALL,
            "transport protocol",
            base,
            set!(transport_protocol, TransportProtocol),
        ),
        (
            AddressFamily::ALL,
            "address family",
            base,
            set!(address_family, AddressFamily),
        ),
        (RtcpMux::ALL, "rtcp-mux", base, set!(rtcp_mux, RtcpMux)),
        (Dtls::ALL, "DTLS", base, set!(dtls, Dtls)),
        (Sdes::ALL, "SDES", base, set!(sdes, Sdes)),
        (IceLite::ALL, "ICE-lite", base, set!(ice_lite, IceLite)),
        (
            DtlsReverse::ALL,
            "DTLS-reverse",
            base,
            set!(dtls_reverse, DtlsReverse),
        ),
        (
            DtlsFingerprint::ALL,
            "DTLS-fingerprint",
            base,
            set!(dtls_fingerprint, DtlsFingerprint),
        ),
        (Osrtp::ALL, "OSRTP", base, set!(osrtp, Osrtp)),
        (
            OnOff::ALL,
            "generate RTCP",
            base,
            set!(generate_rtcp, OnOff),
        ),
        (OnOff::ALL, "passthrough", base, set!(passthrough, OnOff)),
        (
            EndpointLearning::ALL,
            "endpoint-learning",
            base,
            set!(endpoint_learning, EndpointLearning),
        ),
        (T38::ALL, "T.38", base, set!(t38, T38)),
        (
            MediaEcho::ALL,
            "media echo",
            base,
            set!(media_echo, MediaEcho),
        ),
        (
            DropTraffic::ALL,
            "drop-traffic",
            base,
            set!(drop_traffic, DropTraffic),
        ),
        (Supports::ALL, "supports", base, set!(supports, Supports)),
        (
            AudioPlayer::ALL,
            "audio-player",
            Since::new(Version::new(11, 3)),
            set!(audio_player, AudioPlayer),
        ),
        (
            MediaType::ALL,
            "sdp-media-remove",
            Since::new(Version::new(13, 1)),
            set!(sdp_media_remove, MediaType),
        ),
        (
            Bundle::ALL,
            "bundle",
            Since::new(Version::new(14, 0)),
            set!(bundle, Bundle),
        ),
        (
            AliasKey::ALL,
            "alias-key",
            Since::new(Version::new(26, 0)),
            set!(alias_key, AliasKey),
        ),
        (MohMode::ALL, "moh", Since::new(Version::new(13, 2)), |v| {
            let mut moh = Moh::new();
            moh.file = Some("/tmp/moh.wav".into());
            moh.mode = Some(MohMode::from(v));
            OfferOptions::new().moh(moh)
        }),
    ]
}

#[tokio::test]
async fn every_enum_value_is_gated_by_its_release() {
    let gate = Gate::start().await;
    let fields = enum_fields();
    for (all, key, key_since, set) in &fields {
        check_values(&gate, all, key, *key_since, *set).await;
    }
    // Every key newer than the baseline above has its release right.
    for (_, key, since, _) in fields.iter().filter(|f| !f.2.is_base()) {
        let (_, _, s) = key_table(OfferOptions::OPTIONS)
            .iter()
            .find(|(k, _, _)| k == key)
            .unwrap_or_else(|| panic!("no key '{key}'"));
        assert_eq!(s, since, "'{key}'");
    }
}

#[tokio::test]
async fn sdes_prefix_forms_and_nested_keys_are_gated() {
    let gate = Gate::start().await;
    let old = gate.client(Some(Version::V10_5), true).await;
    for (prefix, since) in Sdes::PREFIXES {
        let value = format!("{prefix}AES_CM_128_HMAC_SHA1_80");
        let opts = OfferOptions::new().sdes(Sdes::from(value.as_str()));
        expect_gated(&gate, &old, &opts, &value, *since, &benc(&value)).await;
    }
    // The typed constructors build the same texts.
    assert_eq!(Sdes::only("X").since(), Version::new(11, 2));
    assert_eq!(Sdes::order(&["A", "B"]).as_str(), "order:A;B");
    assert_eq!(Sdes::offerer_pref(&["A"]).since(), Version::new(11, 2));
    assert_eq!(Sdes::no("X").since(), Version::BASE);
    // A nested key newer than its dictionary: codec `ignore` (13.3) inside `codec` (10.5).
    for (key, _, since) in key_table(CodecOptions::OPTIONS) {
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
        expect_gated(&gate, &old, &opts, key, *since, &benc(key)).await;
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
        Version::new(26, 0).into(),
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
        (Some(Version::full(26, 0, 1, 26)), true),
        // The backport: 12.5.1.11 knows the flag (and deletes the whole call without it).
        (Some(Version::full(12, 5, 1, 31)), true),
        (Some(Version::full(12, 5, 1, 11)), true),
        // A line-only 12.5 may be such a patch: the harmless flag goes out.
        (Some(Version::new(12, 5)), true),
        (Some(Version::full(12, 5, 1, 10)), false),
        (Some(Version::new(12, 4)), false),
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
        matches!(&err, Error::Unsupported { what, since, .. } if what.contains("to-tag")
            && since.mainline == Version::new(13, 0)
            && since.backports == [Version::full(12, 5, 1, 11)]),
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
