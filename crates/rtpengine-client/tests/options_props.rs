//! Property tests of the option catalogue: arbitrary `OfferOptions` (every field, the nested
//! `codec`, `sdp-attr`, `moh` and `extmap` dictionaries, enum values known and `Other`, flags,
//! raw keys and flags), `DeleteOptions` and `QueryOptions`.
//!
//! * encode → bencode decode → `from_dict` → encode gives the same bytes, and `from_dict` gives
//!   back the options themselves (raw flags come back typed, see `normalized`);
//! * with raw keys that collide with typed keys (or their aliases), one `from_dict`/encode pass
//!   reaches a fixed point;
//! * `requirement()` is the newest since-version of everything set, computed here independently
//!   from the `OPTIONS` and `ALL` tables and the encoded dictionary.

mod common;

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use bytes::Bytes;
use common::{dict_bytes, key_samples, key_table, sample_for, to_dict};
use proptest::collection::vec;
use proptest::option::of;
use proptest::prelude::*;
use rtpengine_client::bencode::{Dict, Value};
use rtpengine_client::{
    AddressFamily, AliasKey, AudioPlayer, Bundle, CodecOptions, DeleteOptions, Direction,
    DropTraffic, Dtls, DtlsFingerprint, DtlsReverse, EndpointLearning, Extmap, Flag, Ice, IceLite,
    MediaEcho, MediaType, Moh, MohMode, OfferOptions, OnOff, OneOrList, Osrtp, QueryOptions, Raw,
    ReceivedFrom, RecordCall, Replace, RtcpMux, Sdes, SdpAttr, SdpAttrSection, Since, Substitution,
    Supports, TransportProtocol, Version, T38,
};

// ------------------------------------------------------------------------------------------------
// Strategies
// ------------------------------------------------------------------------------------------------

/// Option texts: mostly short ASCII with the characters rtpengine values use, sometimes any
/// Unicode.
fn text() -> BoxedStrategy<String> {
    prop_oneof![
        4 => "[a-zA-Z0-9 :/;._=|-]{0,12}",
        1 => any::<String>(),
    ]
    .boxed()
}

/// A value of a text enum: one of its known texts (or an alias of one, through `From<&str>`)
/// or anything else, which becomes `Other`.
fn enum_value<T>(all: &'static [(&'static str, Since)]) -> BoxedStrategy<T>
where
    T: for<'a> From<&'a str> + fmt::Debug + 'static,
{
    prop_oneof![
        3 => prop::sample::select(all).prop_map(|(t, _)| T::from(t)),
        1 => text().prop_map(|s| T::from(s.as_str())),
    ]
    .boxed()
}

/// SDES entries also come in prefix forms (`no-`, `only-`, `order:`, `offerer_pref:`).
fn sdes() -> BoxedStrategy<Sdes> {
    prop_oneof![
        3 => enum_value::<Sdes>(Sdes::ALL),
        1 => (prop::sample::select(Sdes::PREFIXES), "[A-Z0-9_;]{1,20}")
            .prop_map(|((p, _), suite)| Sdes::from(format!("{p}{suite}").as_str())),
    ]
    .boxed()
}

fn ip() -> BoxedStrategy<IpAddr> {
    prop_oneof![
        any::<[u8; 4]>().prop_map(IpAddr::from),
        any::<[u16; 8]>().prop_map(IpAddr::from),
    ]
    .boxed()
}

fn direction() -> BoxedStrategy<Direction> {
    prop_oneof![
        4 => (text(), text())
            // Two `round-robin-calls` names are read back as `RoundRobinCalls`.
            .prop_filter("the round-robin pair", |(a, b)| {
                !(a == "round-robin-calls" && b == "round-robin-calls")
            })
            .prop_map(|(a, b)| Direction::new(a, b)),
        1 => Just(Direction::RoundRobinCalls),
    ]
    .boxed()
}

fn received_from() -> BoxedStrategy<ReceivedFrom> {
    prop_oneof![
        ip().prop_map(ReceivedFrom::from),
        (enum_value::<AddressFamily>(AddressFamily::ALL), text())
            .prop_map(|(f, a)| ReceivedFrom::new(f, a)),
    ]
    .boxed()
}

/// A bencode value for raw entries (a few levels deep, duplicate dictionary keys allowed).
fn raw_value() -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        any::<i64>().prop_map(Value::Int),
        vec(any::<u8>(), 0..12).prop_map(|b| Value::Bytes(Bytes::from(b))),
        text().prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Value::List),
            vec(("[a-z]{0,4}", inner), 0..4)
                .prop_map(|entries| Value::Dict(entries.into_iter().collect::<Dict>())),
        ]
    })
    .boxed()
}

/// Raw keys that no typed key (or alias) of any options type uses, and raw flags.
fn raw(with_flags: bool) -> BoxedStrategy<Raw> {
    let flags = if with_flags { 0..3usize } else { 0..1usize };
    (vec(("x-[a-z]{1,6}", raw_value()), 0..3), vec(text(), flags))
        .prop_map(|(keys, flags)| {
            let mut raw = Raw::default();
            for (k, v) in keys {
                raw.set(k, v);
            }
            raw.flags = flags;
            raw
        })
        .boxed()
}

fn codec_options() -> BoxedStrategy<CodecOptions> {
    let list = || vec(text(), 0..3);
    (
        (list(), list(), list(), list(), list()),
        (list(), list(), list(), list()),
        raw(true),
    )
        .prop_map(
            |((strip, offer, except, transcode, mask), (set, accept, consume, ignore), raw)| {
                let mut c = CodecOptions::new();
                c.strip = strip;
                c.offer = offer;
                c.except = except;
                c.transcode = transcode;
                c.mask = mask;
                c.set = set;
                c.accept = accept;
                c.consume = consume;
                c.ignore = ignore;
                c.raw = raw;
                c
            },
        )
        .boxed()
}

fn sdp_attr_section() -> BoxedStrategy<SdpAttrSection> {
    (
        vec(text(), 0..3),
        vec(text(), 0..3),
        vec(
            (text(), text()).prop_map(|(a, b)| Substitution::new(a, b)),
            0..3,
        ),
        raw(false),
    )
        .prop_map(|(add, remove, substitute, raw)| {
            let mut s = SdpAttrSection::new();
            s.add = add;
            s.remove = remove;
            s.substitute = substitute;
            s.raw = raw;
            s
        })
        .boxed()
}

fn sdp_attr() -> BoxedStrategy<SdpAttr> {
    (
        (
            sdp_attr_section(),
            sdp_attr_section(),
            sdp_attr_section(),
            sdp_attr_section(),
        ),
        (
            sdp_attr_section(),
            sdp_attr_section(),
            sdp_attr_section(),
            sdp_attr_section(),
        ),
        raw(true),
    )
        .prop_map(
            |((global, none, audio, video), (image, message, text, application), raw)| {
                let mut a = SdpAttr::new();
                a.global = global;
                a.none = none;
                a.audio = audio;
                a.video = video;
                a.image = image;
                a.message = message;
                a.text = text;
                a.application = application;
                a.raw = raw;
                a
            },
        )
        .boxed()
}

fn moh() -> BoxedStrategy<Moh> {
    (
        of(text()),
        of(vec(any::<u8>(), 0..16).prop_map(Bytes::from)),
        of(any::<i64>()),
        of(enum_value::<MohMode>(MohMode::ALL)),
        of(text()),
        raw(true),
    )
        .prop_map(|(file, blob, db_id, mode, connection, raw)| {
            let mut m = Moh::new();
            m.file = file;
            m.blob = blob;
            m.db_id = db_id;
            m.mode = mode;
            m.connection = connection;
            m.raw = raw;
            m
        })
        .boxed()
}

fn extmap() -> BoxedStrategy<Extmap> {
    (vec(text(), 0..3), vec(text(), 0..3), raw(true))
        .prop_map(|(strip, mask, raw)| {
            let mut e = Extmap::new();
            e.strip = strip;
            e.mask = mask;
            e.raw = raw;
            e
        })
        .boxed()
}

/// One field of `OfferOptions` set to a generated value (shown by `Debug` as `key = value`).
struct Set {
    what: String,
    apply: Arc<dyn Fn(&mut OfferOptions) + Send + Sync>,
}

impl fmt::Debug for Set {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.what)
    }
}

fn field<T, S>(name: &'static str, s: S, apply: fn(&mut OfferOptions, T)) -> BoxedStrategy<Set>
where
    T: fmt::Debug + Clone + Send + Sync + 'static,
    S: Strategy<Value = T> + 'static,
{
    s.prop_map(move |v| Set {
        what: format!("{name} = {v:?}"),
        apply: Arc::new(move |o| apply(o, v.clone())),
    })
    .boxed()
}

/// Every field of `OfferOptions`. A new field without a strategy here fails
/// `every_key_has_a_strategy`.
fn offer_fields() -> Vec<(&'static str, BoxedStrategy<Set>)> {
    macro_rules! opt {
        ($key:literal, $f:ident, $s:expr) => {
            ($key, field($key, of($s), |o, v| o.$f = v))
        };
    }
    macro_rules! list {
        ($key:literal, $f:ident, $s:expr) => {
            ($key, field($key, vec($s, 0..3), |o, v| o.$f = v))
        };
    }
    macro_rules! one_or_list {
        ($key:literal, $f:ident, $s:expr) => {
            (
                $key,
                field($key, vec($s, 0..3).prop_map(OneOrList), |o, v| o.$f = v),
            )
        };
    }
    macro_rules! dict {
        ($key:literal, $f:ident, $s:expr) => {
            ($key, field($key, $s, |o, v| o.$f = v))
        };
    }
    vec![
        opt!("via-branch", via_branch, text()),
        list!("replace", replace, enum_value::<Replace>(Replace::ALL)),
        opt!("direction", direction, direction()),
        opt!("received from", received_from, received_from()),
        one_or_list!("ICE", ice, enum_value::<Ice>(Ice::ALL)),
        opt!(
            "transport protocol",
            transport_protocol,
            enum_value::<TransportProtocol>(TransportProtocol::ALL)
        ),
        opt!("media address", media_address, ip()),
        opt!(
            "address family",
            address_family,
            enum_value::<AddressFamily>(AddressFamily::ALL)
        ),
        list!("rtcp-mux", rtcp_mux, enum_value::<RtcpMux>(RtcpMux::ALL)),
        opt!("TOS", tos, any::<u8>()),
        one_or_list!("DTLS", dtls, enum_value::<Dtls>(Dtls::ALL)),
        list!("SDES", sdes, sdes()),
        opt!(
            "record call",
            record_call,
            enum_value::<RecordCall>(RecordCall::ALL)
        ),
        opt!("metadata", metadata, text()),
        list!("flags", flags, enum_value::<Flag>(Flag::ALL)),
        opt!("label", label, text()),
        opt!("set-label", set_label, text()),
        opt!("to-label", to_label, text()),
        opt!("to-tag", to_tag, text()),
        opt!("interface", interface, text()),
        opt!("from-interface", from_interface, text()),
        opt!("to-interface", to_interface, text()),
        opt!("xmlrpc-callback", xmlrpc_callback, ip()),
        opt!("ICE-lite", ice_lite, enum_value::<IceLite>(IceLite::ALL)),
        opt!(
            "DTLS-reverse",
            dtls_reverse,
            enum_value::<DtlsReverse>(DtlsReverse::ALL)
        ),
        opt!(
            "DTLS-fingerprint",
            dtls_fingerprint,
            enum_value::<DtlsFingerprint>(DtlsFingerprint::ALL)
        ),
        list!("OSRTP", osrtp, enum_value::<Osrtp>(Osrtp::ALL)),
        opt!(
            "generate RTCP",
            generate_rtcp,
            enum_value::<OnOff>(OnOff::ALL)
        ),
        list!(
            "endpoint-learning",
            endpoint_learning,
            enum_value::<EndpointLearning>(EndpointLearning::ALL)
        ),
        opt!("passthrough", passthrough, enum_value::<OnOff>(OnOff::ALL)),
        dict!("codec", codec, codec_options()),
        list!("T.38", t38, enum_value::<T38>(T38::ALL)),
        opt!("T.38 version", t38_version, any::<i64>()),
        opt!("ptime", ptime, any::<u32>()),
        opt!("ptime-reverse", ptime_reverse, any::<u32>()),
        opt!(
            "media echo",
            media_echo,
            enum_value::<MediaEcho>(MediaEcho::ALL)
        ),
        opt!(
            "drop-traffic",
            drop_traffic,
            enum_value::<DropTraffic>(DropTraffic::ALL)
        ),
        list!("supports", supports, enum_value::<Supports>(Supports::ALL)),
        opt!("DTMF-delay", dtmf_delay, any::<u32>()),
        opt!("delay-buffer", delay_buffer, any::<u32>()),
        opt!("output-destination", output_destination, text()),
        opt!("recording-file", recording_file, text()),
        opt!("recording-dir", recording_dir, text()),
        opt!("recording-pattern", recording_pattern, text()),
        opt!(
            "recording-media-slot-offer",
            recording_media_slot_offer,
            any::<u32>()
        ),
        opt!(
            "recording-media-slot-answer",
            recording_media_slot_answer,
            any::<u32>()
        ),
        opt!("recording-media-slots", recording_media_slots, any::<u32>()),
        opt!("vsc-start-rec", vsc_start_rec, text()),
        opt!("vsc-stop-rec", vsc_stop_rec, text()),
        opt!("vsc-start-stop-rec", vsc_start_stop_rec, text()),
        opt!("vsc-pause-rec", vsc_pause_rec, text()),
        opt!("vsc-pause-resume-rec", vsc_pause_resume_rec, text()),
        opt!(
            "vsc-start-pause-resume-rec",
            vsc_start_pause_resume_rec,
            text()
        ),
        opt!(
            "audio-player",
            audio_player,
            enum_value::<AudioPlayer>(AudioPlayer::ALL)
        ),
        opt!("DTMF-log-dest", dtmf_log_dest, text()),
        dict!("sdp-attr", sdp_attr, sdp_attr()),
        opt!("rtpp-flags", rtpp_flags, text()),
        list!(
            "sdp-media-remove",
            sdp_media_remove,
            enum_value::<MediaType>(MediaType::ALL)
        ),
        opt!("template", template, text()),
        dict!("moh", moh, moh()),
        list!("bundle", bundle, enum_value::<Bundle>(Bundle::ALL)),
        dict!("extmap", extmap, extmap()),
        opt!("peer", peer, ip()),
        opt!("inbound-peer", inbound_peer, ip()),
        opt!("outbound-peer", outbound_peer, ip()),
        opt!(
            "alias-key",
            alias_key,
            enum_value::<AliasKey>(AliasKey::ALL)
        ),
        opt!("sip-message-type", sip_message_type, text()),
        opt!("SIP-code", sip_code, any::<i64>()),
    ]
}

fn offer_options() -> BoxedStrategy<OfferOptions> {
    let fields: Vec<BoxedStrategy<Set>> = offer_fields().into_iter().map(|(_, s)| s).collect();
    (fields, raw(true))
        .prop_map(|(sets, raw)| {
            let mut o = OfferOptions::new();
            for s in &sets {
                (s.apply)(&mut o);
            }
            o.raw = raw;
            o
        })
        .boxed()
}

fn delete_options() -> BoxedStrategy<DeleteOptions> {
    (
        of(text()),
        of(text()),
        of(any::<u32>()),
        vec(enum_value::<Flag>(Flag::ALL), 0..3),
        raw(true),
    )
        .prop_map(|(to_tag, via_branch, delete_delay, flags, raw)| {
            let mut d = DeleteOptions::new();
            d.to_tag = to_tag;
            d.via_branch = via_branch;
            d.delete_delay = delete_delay;
            d.flags = flags;
            d.raw = raw;
            d
        })
        .boxed()
}

fn query_options() -> BoxedStrategy<QueryOptions> {
    (of(text()), of(text()), of(text()), raw(true))
        .prop_map(|(from_tag, to_tag, via_branch, raw)| {
            let mut q = QueryOptions::new();
            q.from_tag = from_tag;
            q.to_tag = to_tag;
            q.via_branch = via_branch;
            q.raw = raw;
            q
        })
        .boxed()
}

// ------------------------------------------------------------------------------------------------
// Helpers
// ------------------------------------------------------------------------------------------------

/// In a dictionary without a typed `flags` field, raw flags are written as a `flags` list
/// before the raw keys, and `from_dict` keeps that list as a raw key.
fn flags_as_raw_key(raw: &Raw) -> Raw {
    if raw.flags.is_empty() {
        return raw.clone();
    }
    let mut keys = vec![("flags".to_owned(), Value::str_list(&raw.flags))];
    keys.extend(raw.keys.iter().cloned());
    Raw {
        keys,
        flags: Vec::new(),
    }
}

/// What `from_dict` gives back for options without colliding raw keys: raw flags merged into
/// the typed `flags` list (each parsed as a `Flag`), and nested dictionaries as above.
fn normalized(o: &OfferOptions) -> OfferOptions {
    let mut n = o.clone();
    n.flags
        .extend(n.raw.flags.drain(..).map(|f| Flag::from(f.as_str())));
    if n.codec != CodecOptions::default() {
        n.codec.raw = flags_as_raw_key(&n.codec.raw);
    }
    if n.sdp_attr != SdpAttr::default() {
        n.sdp_attr.raw = flags_as_raw_key(&n.sdp_attr.raw);
    }
    if n.moh != Moh::default() {
        n.moh.raw = flags_as_raw_key(&n.moh.raw);
    }
    if n.extmap != Extmap::default() {
        n.extmap.raw = flags_as_raw_key(&n.extmap.raw);
    }
    n
}

fn offer_bytes(o: &OfferOptions) -> Vec<u8> {
    dict_bytes(|e| o.encode_keys(e))
}

// ------------------------------------------------------------------------------------------------
// Independent version computation
// ------------------------------------------------------------------------------------------------

/// The since-version of a key in a `OPTIONS` table (canonical spelling only: we encode canonical).
fn key_since(keys: &[(&str, &[&str], Since)], key: &[u8]) -> Option<Since> {
    keys.iter()
        .find(|(k, _, _)| k.as_bytes() == key)
        .map(|(_, _, v)| *v)
}

/// The since-version of a value text in an `ALL` table (the baseline for unknown texts).
fn value_since(all: &[(&str, Since)], text: &[u8]) -> Since {
    all.iter()
        .find(|(t, _)| t.as_bytes() == text)
        .map_or(Since::BASE, |(_, v)| *v)
}

fn sdes_since(text: &[u8]) -> Since {
    let s = String::from_utf8_lossy(text).to_ascii_lowercase();
    let known = value_since(Sdes::ALL, text);
    let prefixed = Sdes::PREFIXES
        .iter()
        .filter(|(p, _)| s.starts_with(&p.to_ascii_lowercase()))
        .map(|(_, v)| *v)
        .max_by_key(|v| v.mainline)
        .unwrap_or(Since::BASE);
    if prefixed.mainline > known.mainline {
        prefixed
    } else {
        known
    }
}

/// The `ALL` table of the enum a top-level key carries, if any.
fn value_table(key: &[u8]) -> Option<&'static [(&'static str, Since)]> {
    Some(match key {
        b"replace" => Replace::ALL,
        b"ICE" => Ice::ALL,
        b"transport protocol" => TransportProtocol::ALL,
        b"address family" => AddressFamily::ALL,
        b"rtcp-mux" => RtcpMux::ALL,
        b"DTLS" => Dtls::ALL,
        b"flags" => Flag::ALL,
        b"ICE-lite" => IceLite::ALL,
        b"DTLS-reverse" => DtlsReverse::ALL,
        b"DTLS-fingerprint" => DtlsFingerprint::ALL,
        b"OSRTP" => Osrtp::ALL,
        b"generate RTCP" | b"passthrough" => OnOff::ALL,
        b"endpoint-learning" => EndpointLearning::ALL,
        b"T.38" => T38::ALL,
        b"media echo" => MediaEcho::ALL,
        b"drop-traffic" => DropTraffic::ALL,
        b"supports" => Supports::ALL,
        b"audio-player" => AudioPlayer::ALL,
        b"sdp-media-remove" => MediaType::ALL,
        b"bundle" => Bundle::ALL,
        b"alias-key" => AliasKey::ALL,
        b"record call" => RecordCall::ALL,
        _ => return None,
    })
}

/// The texts of a string or a list of strings.
fn texts(v: &Value) -> Vec<&[u8]> {
    match v {
        Value::Bytes(b) => vec![b.as_ref()],
        Value::List(items) => items
            .iter()
            .filter_map(|i| i.as_bytes().map(|b| b.as_ref()))
            .collect(),
        _ => Vec::new(),
    }
}

/// Every (since, name) the encoded typed options need: each key from `key_table(OfferOptions::OPTIONS)`,
/// each value from its enum's `ALL`, nested keys from the nested types' `OPTIONS`.
fn needs(dict: &Dict) -> Vec<(Since, String)> {
    let mut out = Vec::new();
    for (k, v) in dict.iter() {
        let name = String::from_utf8_lossy(k).into_owned();
        let Some(since) = key_since(key_table(OfferOptions::OPTIONS), k) else {
            continue; // a raw key
        };
        out.push((since, name.clone()));
        // Several `ICE` or `DTLS` values go out as a list, which 26.2 reads.
        let is_one_or_list = k.as_ref() == b"ICE" || k.as_ref() == b"DTLS";
        if is_one_or_list && v.as_list().is_some_and(|l| l.len() > 1) {
            out.push((Since::new(Version::new(26, 2)), name.clone()));
        }
        if k.as_ref() == b"SDES" {
            for t in texts(v) {
                out.push((sdes_since(t), String::from_utf8_lossy(t).into_owned()));
            }
        } else if let Some(all) = value_table(k) {
            for t in texts(v) {
                out.push((value_since(all, t), String::from_utf8_lossy(t).into_owned()));
            }
        }
        let nested: Option<&[(&str, &[&str], Since)]> = match k.as_ref() {
            b"codec" => Some(key_table(CodecOptions::OPTIONS)),
            b"sdp-attr" => Some(key_table(SdpAttr::OPTIONS)),
            b"moh" => Some(key_table(Moh::OPTIONS)),
            b"extmap" => Some(key_table(Extmap::OPTIONS)),
            _ => None,
        };
        if let (Some(keys), Some(inner)) = (nested, v.as_dict()) {
            for (nk, nv) in inner.iter() {
                if let Some(s) = key_since(keys, nk) {
                    out.push((s, String::from_utf8_lossy(nk).into_owned()));
                }
                if k.as_ref() == b"moh" && nk.as_ref() == b"mode" {
                    for t in texts(nv) {
                        out.push((
                            value_since(MohMode::ALL, t),
                            String::from_utf8_lossy(t).into_owned(),
                        ));
                    }
                }
            }
        }
    }
    out
}

/// Targets to check requirements against: every release line, and around every backport
/// (the patch before it, the patch itself, and the line alone).
fn targets() -> Vec<Version> {
    let mut out: Vec<Version> = Version::LINES.to_vec();
    let backports = Flag::ALL.iter().flat_map(|(_, s)| s.backports.iter());
    let backports = backports.chain(
        key_table(OfferOptions::OPTIONS)
            .iter()
            .flat_map(|(_, _, s)| s.backports),
    );
    for b in backports {
        out.push(*b);
        out.push(Version::full(b.major, b.minor, b.patch, b.build - 1));
    }
    out
}

// ------------------------------------------------------------------------------------------------
// Properties
// ------------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn offer_options_round_trip(o in offer_options()) {
        let bytes = offer_bytes(&o);
        let back = OfferOptions::from_dict(&to_dict(&bytes));
        prop_assert_eq!(offer_bytes(&back), bytes, "re-encoding differs");
        prop_assert_eq!(back, normalized(&o));
    }

    #[test]
    fn delete_options_round_trip(d in delete_options()) {
        let bytes = dict_bytes(|e| d.encode_keys(e));
        let back = DeleteOptions::from_dict(&to_dict(&bytes));
        prop_assert_eq!(dict_bytes(|e| back.encode_keys(e)), bytes);
        let mut want = d.clone();
        want.flags.extend(want.raw.flags.drain(..).map(|f| Flag::from(f.as_str())));
        prop_assert_eq!(back, want);
    }

    #[test]
    fn query_options_round_trip(q in query_options()) {
        let bytes = dict_bytes(|e| q.encode_keys(e));
        let back = QueryOptions::from_dict(&to_dict(&bytes));
        prop_assert_eq!(dict_bytes(|e| back.encode_keys(e)), bytes);
        let mut want = q.clone();
        want.raw = flags_as_raw_key(&want.raw);
        prop_assert_eq!(back, want);
    }

    /// Raw keys named like typed keys (canonical or alias, at most one spelling per typed key):
    /// the raw value replaces the typed one on the wire, `from_dict` takes it back typed when it
    /// fits (normalising it, e.g. `"184"` → 184, `fwd` → `forward`), so one pass reaches a
    /// fixed point.
    #[test]
    fn colliding_raw_keys_reach_a_fixed_point(
        o in offer_options(),
        collisions in vec((any::<prop::sample::Index>(), any::<prop::sample::Index>(), raw_value()), 1..4),
    ) {
        let mut o = o;
        let mut used = Vec::new();
        for (which, spelling, value) in collisions {
            let (key, aliases, _) = key_table(OfferOptions::OPTIONS)[which.index(key_table(OfferOptions::OPTIONS).len())];
            if used.contains(&key) {
                continue;
            }
            used.push(key);
            let names: Vec<&str> = std::iter::once(key).chain(aliases.iter().copied()).collect();
            o = o.raw_key(names[spelling.index(names.len())], value);
        }
        let once = OfferOptions::from_dict(&to_dict(&offer_bytes(&o)));
        let bytes = offer_bytes(&once);
        let twice = OfferOptions::from_dict(&to_dict(&bytes));
        prop_assert_eq!(offer_bytes(&twice), bytes);
        prop_assert_eq!(twice, once);
    }

    #[test]
    fn requirements_are_what_is_set(o in offer_options()) {
        // Raw keys and flags are never gated: compute from the typed part only.
        let mut typed = o.clone();
        typed.raw = Raw::default();
        let needs = needs(&to_dict(&offer_bytes(&typed)));
        let got = o.requirements();
        // Every target: refused exactly when something set is missing there, naming a part
        // that is missing there.
        for target in targets() {
            let missing: Vec<&(Since, String)> =
                needs.iter().filter(|(s, _)| !s.met_by(target)).collect();
            match got.unmet(target) {
                None => prop_assert!(missing.is_empty(), "{target}: {missing:?} not refused"),
                Some(r) => {
                    let named = missing
                        .iter()
                        .any(|(s, name)| *s == r.since && r.what.contains(name.as_str()));
                    prop_assert!(named, "{target}: '{}' names none of {:?}", r.what, missing);
                }
            }
        }
        let newest = needs.iter().map(|(s, _)| s.mainline).max().unwrap_or(Version::BASE);
        let got_newest = got.newest().map_or(Version::BASE, |r| r.since.mainline);
        prop_assert_eq!(got_newest, newest);
    }

    #[test]
    fn delete_requirements_follow_flags(d in delete_options()) {
        let needs: Vec<Since> = d
            .flags
            .iter()
            .map(|f| value_since(Flag::ALL, f.as_str().as_bytes()))
            .collect();
        let got = d.requirements();
        for target in targets() {
            let lacking = needs.iter().any(|s| !s.met_by(target));
            prop_assert_eq!(got.unmet(target).is_some(), lacking, "{}", target);
        }
    }
}

/// Every `OPTIONS` entry of `OfferOptions` has a strategy above (a new key cannot be forgotten),
/// and the strategies cover nothing else.
#[test]
fn every_key_has_a_strategy() {
    let mut covered: Vec<&str> = offer_fields().iter().map(|(k, _)| *k).collect();
    covered.push("flags");
    let mut keys: Vec<&str> = key_table(OfferOptions::OPTIONS)
        .iter()
        .map(|(k, _, _)| *k)
        .collect();
    covered.sort_unstable();
    covered.dedup();
    keys.sort_unstable();
    assert_eq!(covered, keys);
}

/// Every alias in `OPTIONS` decodes into the same typed field as the canonical key.
#[test]
fn aliases_decode_into_the_typed_field() {
    let samples = key_samples();
    for (key, aliases, _) in key_table(OfferOptions::OPTIONS) {
        let sample = sample_for(key, &samples);
        let canonical = OfferOptions::from_dict(&[(*key, sample.clone())].into_iter().collect());
        for alias in *aliases {
            let via_alias =
                OfferOptions::from_dict(&[(*alias, sample.clone())].into_iter().collect());
            assert_eq!(via_alias, canonical, "alias '{alias}' of '{key}'");
        }
    }
}
