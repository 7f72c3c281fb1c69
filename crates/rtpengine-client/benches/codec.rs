//! Codec benchmarks: this crate's bencode encoder and decoders against `bt_bencode` and
//! `serde_bencode` on NG messages.
//!
//! Run with `cargo bench -p rtpengine-client --bench codec`. Every group is measured in the same
//! process, so the ratios between its lines are comparable (see BENCHMARKS.md).
//!
//! * `encode_offer`: a realistic `offer` request (600-byte audio+video SDP, 19 option keys with
//!   flags, a `codec` dictionary…). Ours goes the library's own way, from typed
//!   [`OfferOptions`] through [`encode_request`] (cookie, command, version and string-length
//!   checks included). The other codecs encode the same logical dictionary, built once outside
//!   the timed loop, from a serde struct and from their generic `Value`.
//! * `decode_offer_reply`: `cookie d3:sdp600:…6:result2:oke`. Ours through [`parse_message`]
//!   (owned [`Dict`](rtpengine_client::bencode::Dict) sharing the datagram), through the borrowed
//!   [`bencode::decode`], and through [`SdpReply::from_dict`] (typed); the others into a borrowed
//!   serde struct, a borrowed generic value and their owned `Value`.
//! * `decode_query_reply`: a ~15 KB `query` reply (four parties, audio and video, RTP and RTCP
//!   streams, SSRC statistics with MOS progressions), decoded the same ways.

use std::borrow::Cow;
use std::fmt;
use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rtpengine_client::bencode::Encoder;
use rtpengine_client::message::{encode_request, parse_message};
use rtpengine_client::{
    bencode, AddressFamily, CodecOptions, Direction, Dtls, EndpointLearning, Flag, Ice, Offer,
    OfferOptions, Replace, RtcpMux, Sdes, SdpReply, TransportProtocol,
};
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

/// The cookie of every message here (as long as the library's own cookies).
const COOKIE: &str = "5f3a9c1e_000000000001";

/// A 600-byte offer SDP with an audio and a video section, as a softphone sends it.
fn offer_sdp() -> String {
    let mut sdp = String::from(
        "v=0\r\n\
         o=- 3912456789 3912456789 IN IP4 192.0.2.10\r\n\
         s=-\r\n\
         c=IN IP4 192.0.2.10\r\n\
         t=0 0\r\n\
         m=audio 40000 RTP/AVP 111 0 8 9 101\r\n\
         a=rtpmap:111 opus/48000/2\r\n\
         a=fmtp:111 minptime=10;useinbandfec=1\r\n\
         a=rtpmap:0 PCMU/8000\r\n\
         a=rtpmap:8 PCMA/8000\r\n\
         a=rtpmap:9 G722/8000\r\n\
         a=rtpmap:101 telephone-event/8000\r\n\
         a=fmtp:101 0-16\r\n\
         a=ptime:20\r\n\
         a=sendrecv\r\n\
         m=video 40002 RTP/AVP 96 97\r\n\
         a=rtpmap:96 VP8/90000\r\n\
         a=rtcp-fb:96 nack\r\n\
         a=rtcp-fb:96 nack pli\r\n\
         a=rtcp-fb:96 ccm fir\r\n\
         a=rtpmap:97 H264/90000\r\n\
         a=fmtp:97 profile-level-id=42e01f;packetization-mode=1\r\n\
         a=rtcp-fb:97 nack pli\r\n\
         a=sendrecv\r\n",
    );
    // Pad with a session-level attribute to exactly 600 bytes.
    let pad = 600 - sdp.len() - "a=x-pad:\r\n".len();
    sdp.push_str("a=x-pad:");
    sdp.push_str(&"p".repeat(pad));
    sdp.push_str("\r\n");
    assert_eq!(sdp.len(), 600);
    sdp
}

/// The offer's options: 19 keys, as a SIP proxy sets them.
fn offer_options() -> OfferOptions {
    OfferOptions::new()
        .via_branch("z9hG4bK.5f3a9c1e0001")
        .replace(Replace::Origin)
        .replace(Replace::SessionConnection)
        .direction(Direction::new("external", "internal"))
        .received_from(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 10)))
        .ice(Ice::Remove)
        .transport_protocol(TransportProtocol::RtpAvp)
        .media_address(Ipv4Addr::new(198, 51, 100, 1))
        .address_family(AddressFamily::Ip4)
        .rtcp_mux(RtcpMux::Demux)
        .tos(184)
        .dtls(Dtls::Off)
        .sdes(Sdes::Off)
        .record_call(false)
        .metadata("from:alice@example.com|to:bob@example.com")
        .flag(Flag::TrustAddress)
        .flag(Flag::LoopProtect)
        .flag(Flag::StrictSource)
        .flag(Flag::GenerateMid)
        .label("caller")
        .codec(
            CodecOptions::new()
                .strip("G722")
                .offer("opus")
                .offer("PCMU")
                .offer("PCMA")
                .offer("telephone-event")
                .transcode("PCMA"),
        )
        .ptime(20)
        .endpoint_learning(EndpointLearning::Heuristic)
}

/// The same logical `offer` request as a serde struct (what a serde user would write).
#[derive(Serialize)]
struct OfferRequest {
    command: String,
    sdp: String,
    #[serde(rename = "call-id")]
    call_id: String,
    #[serde(rename = "from-tag")]
    from_tag: String,
    #[serde(rename = "via-branch")]
    via_branch: String,
    replace: Vec<String>,
    direction: Vec<String>,
    #[serde(rename = "received from")]
    received_from: Vec<String>,
    #[serde(rename = "ICE")]
    ice: String,
    #[serde(rename = "transport protocol")]
    transport_protocol: String,
    #[serde(rename = "media address")]
    media_address: String,
    #[serde(rename = "address family")]
    address_family: String,
    #[serde(rename = "rtcp-mux")]
    rtcp_mux: Vec<String>,
    #[serde(rename = "TOS")]
    tos: i64,
    #[serde(rename = "DTLS")]
    dtls: String,
    #[serde(rename = "SDES")]
    sdes: Vec<String>,
    #[serde(rename = "record call")]
    record_call: String,
    metadata: String,
    flags: Vec<String>,
    label: String,
    codec: CodecRequest,
    ptime: i64,
    #[serde(rename = "endpoint-learning")]
    endpoint_learning: Vec<String>,
}

/// The `codec` dictionary of [`OfferRequest`].
#[derive(Serialize)]
struct CodecRequest {
    strip: Vec<String>,
    offer: Vec<String>,
    transcode: Vec<String>,
}

/// Builds [`OfferRequest`] from what our encoder wrote, so both sides hold the same dictionary.
fn offer_struct(dict: &rtpengine_client::bencode::Dict) -> OfferRequest {
    let s = |k: &str| dict.get_string(k).unwrap_or_else(|| panic!("no {k}"));
    let i = |k: &str| dict.get_int(k).unwrap_or_else(|| panic!("no {k}"));
    let list = |v: Option<&rtpengine_client::bencode::Value>| -> Vec<String> {
        v.and_then(|v| v.as_list())
            .unwrap_or_else(|| panic!("not a list"))
            .iter()
            .map(|x| x.as_str().expect("string").to_owned())
            .collect()
    };
    let codec = dict.get("codec").and_then(|v| v.as_dict()).expect("codec");
    OfferRequest {
        command: s("command"),
        sdp: s("sdp"),
        call_id: s("call-id"),
        from_tag: s("from-tag"),
        via_branch: s("via-branch"),
        replace: list(dict.get("replace")),
        direction: list(dict.get("direction")),
        received_from: list(dict.get("received from")),
        ice: s("ICE"),
        transport_protocol: s("transport protocol"),
        media_address: s("media address"),
        address_family: s("address family"),
        rtcp_mux: list(dict.get("rtcp-mux")),
        tos: i("TOS"),
        dtls: s("DTLS"),
        sdes: list(dict.get("SDES")),
        record_call: s("record call"),
        metadata: s("metadata"),
        flags: list(dict.get("flags")),
        label: s("label"),
        codec: CodecRequest {
            strip: list(codec.get("strip")),
            offer: list(codec.get("offer")),
            transcode: list(codec.get("transcode")),
        },
        ptime: i("ptime"),
        endpoint_learning: list(dict.get("endpoint-learning")),
    }
}

/// An `offer` reply as a borrowed serde struct (borrows where the deserializer lends).
#[derive(Deserialize)]
struct OfferReplyStruct<'a> {
    #[serde(borrow)]
    sdp: Cow<'a, str>,
    #[serde(borrow)]
    result: Cow<'a, str>,
}

/// A generic bencode value that borrows its strings when the deserializer lends them
/// (`bt_bencode` does; `serde_bencode` only hands out copies, so its strings are owned): the
/// serde counterpart of our [`bencode::ValueRef`].
enum Borrowed<'a> {
    Int(i64),
    Bytes(Cow<'a, [u8]>),
    List(Vec<Borrowed<'a>>),
    Dict(Vec<(Cow<'a, [u8]>, Borrowed<'a>)>),
}

impl<'de> Deserialize<'de> for Borrowed<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(BorrowedVisitor)
    }
}

/// A dictionary key of [`Borrowed`].
struct Key<'a>(Cow<'a, [u8]>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match d.deserialize_any(BorrowedVisitor)? {
            Borrowed::Bytes(b) => Ok(Key(b)),
            _ => Err(de::Error::custom("dictionary key is not a string")),
        }
    }
}

struct BorrowedVisitor;

impl<'de> Visitor<'de> for BorrowedVisitor {
    type Value = Borrowed<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a bencode value")
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Borrowed::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        i64::try_from(v)
            .map(Borrowed::Int)
            .map_err(|_| E::custom("integer out of range"))
    }
    fn visit_borrowed_bytes<E: de::Error>(self, v: &'de [u8]) -> Result<Self::Value, E> {
        Ok(Borrowed::Bytes(Cow::Borrowed(v)))
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Self::Value, E> {
        Ok(Borrowed::Bytes(Cow::Owned(v.to_vec())))
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Borrowed::Bytes(Cow::Borrowed(v.as_bytes())))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Borrowed::Bytes(Cow::Owned(v.as_bytes().to_vec())))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(v) = seq.next_element()? {
            items.push(v);
        }
        Ok(Borrowed::List(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut entries = Vec::new();
        while let Some((Key(k), v)) = map.next_entry()? {
            entries.push((k, v));
        }
        Ok(Borrowed::Dict(entries))
    }
}

impl Borrowed<'_> {
    /// Strings held, how many of them borrow from the input, and the sum of the integers.
    fn shape(&self) -> (usize, usize, i64) {
        let one = |b: &Cow<'_, [u8]>| (1, usize::from(matches!(b, Cow::Borrowed(_))), 0);
        let add =
            |a: (usize, usize, i64), b: (usize, usize, i64)| (a.0 + b.0, a.1 + b.1, a.2 + b.2);
        match self {
            Self::Int(i) => (0, 0, *i),
            Self::Bytes(b) => one(b),
            Self::List(items) => items.iter().map(Self::shape).fold((0, 0, 0), add),
            Self::Dict(entries) => entries
                .iter()
                .map(|(k, v)| add(one(k), v.shape()))
                .fold((0, 0, 0), add),
        }
    }
}

/// `cookie SP body` → body (every decoder splits the cookie off the same way).
fn body(message: &[u8]) -> &[u8] {
    let space = message.iter().position(|&b| b == b' ').expect("cookie");
    &message[space + 1..]
}

/// `cookie SP d3:sdp…6:result2:oke`: an `offer` reply carrying a 600-byte SDP.
fn offer_reply() -> Bytes {
    let sdp = offer_sdp().replace("192.0.2.10", "198.51.1.1");
    let mut out = format!("{COOKIE} ").into_bytes();
    Encoder::new(&mut out)
        .dict()
        .entry_str("sdp", &sdp)
        .entry_str("result", "ok")
        .end();
    Bytes::from(out)
}

/// Writes `{"packets": p, "bytes": b, "errors": 0}`.
fn counters(enc: &mut Encoder<'_>, packets: i64, bytes: i64) {
    enc.dict()
        .entry_int("packets", packets)
        .entry_int("bytes", bytes)
        .entry_int("errors", 0)
        .end();
}

/// Writes an endpoint dictionary.
fn endpoint(enc: &mut Encoder<'_>, address: &str, port: i64) {
    enc.dict()
        .entry_str("family", "IPv4")
        .entry_str("address", address)
        .entry_int("port", port)
        .end();
}

/// Writes one MOS sample dictionary of the `SSRC` section.
fn mos_sample(enc: &mut Encoder<'_>, seed: i64, at: &str) {
    enc.dict()
        .entry_int("MOS", 40 + seed % 5)
        .entry_int("round-trip time", 1_200 + seed * 7)
        .entry_int("round-trip time leg", 600 + seed * 3)
        .entry_int("jitter", seed % 9)
        .entry_int("packet loss", seed % 3)
        .entry_int(at, 1_795_689_333_000_000 + seed * 5_000_000)
        .end();
}

/// A realistic `query` reply of a call with four parties (an offer/answer pair and two
/// subscribers), each with audio and video, RTP and RTCP streams, and SSRC statistics with
/// MOS progressions: about 15 KB.
fn query_reply() -> Bytes {
    let tags = ["as8d7f6a5s", "bq9w8e7r6t", "sub-1-zx9c8v", "sub-2-mn7b6v"];
    let ssrcs: [i64; 4] = [305_441_741, 2_864_434_397, 1_122_334_455, 3_735_928_559];
    let mut out = format!("{COOKIE} ").into_bytes();
    let mut enc = Encoder::new(&mut out);
    enc.dict()
        .entry_int("created", 1_795_689_333)
        .entry_int("created_us", 483_426)
        .entry_int("last signal", 1_795_689_395)
        .entry_int("last redis update", 0)
        .entry_str("metadata", "from:alice@example.com|to:bob@example.com");
    enc.str("SSRC").dict();
    for (i, ssrc) in ssrcs.iter().enumerate() {
        let seed = i as i64;
        enc.str(&ssrc.to_string()).dict();
        enc.str("cumulative loss").int(seed * 2);
        enc.str("average MOS");
        mos_sample(&mut enc, seed + 1, "samples");
        enc.str("lowest MOS");
        mos_sample(&mut enc, seed + 2, "reported at");
        enc.str("highest MOS");
        mos_sample(&mut enc, seed + 3, "reported at");
        enc.str("MOS progression")
            .dict()
            .entry_int("interval", 10_000_000)
            .str("entries")
            .list();
        for n in 0..6 {
            enc.dict()
                .entry_int("MOS", 39 + (seed + n) % 6)
                .entry_int("reported at", 1_795_689_333_000_000 + n * 10_000_000)
                .end();
        }
        enc.end().end();
        enc.end();
    }
    enc.end();
    enc.str("tags").dict();
    for (t, tag) in tags.iter().enumerate() {
        let other = tags[t ^ 1];
        enc.str(tag).dict();
        enc.entry_str("tag", tag)
            .entry_str("label", if t == 0 { "caller" } else { "callee" })
            .entry_int("created", 1_795_689_333 + t as i64)
            .entry_str("via-branch", "z9hG4bK.5f3a9c1e0001");
        for key in ["subscriptions", "subscribers"] {
            enc.str(key)
                .list()
                .dict()
                .entry_str("tag", other)
                .entry_str("type", if t < 2 { "offer/answer" } else { "pub/sub" })
                .end()
                .end();
        }
        enc.str("medias").list();
        for (m, (kind, codec)) in [("audio", "opus/48000/2"), ("video", "VP8/90000")]
            .iter()
            .enumerate()
        {
            let port = 31_000 + (t * 8 + m * 4) as i64;
            enc.dict()
                .entry_int("index", m as i64 + 1)
                .entry_str("type", kind)
                .entry_str("protocol", "RTP/AVP")
                .entry_str("codec", codec)
                .str("streams")
                .list();
            for (s, proto) in ["RTP", "RTCP"].iter().enumerate() {
                let seed = (t * 4 + m * 2 + s) as i64;
                enc.dict()
                    .entry_int("local port", port + s as i64)
                    .entry_str("local address", "198.51.100.1")
                    .entry_str("family", "IPv4");
                enc.str("endpoint");
                endpoint(&mut enc, "192.0.2.10", 40_000 + port - 31_000 + s as i64);
                enc.str("advertised endpoint");
                endpoint(&mut enc, "192.0.2.10", 40_000 + port - 31_000 + s as i64);
                enc.entry_int("last packet", 1_795_689_395)
                    .entry_int("last kernel packet", 1_795_689_395)
                    .entry_int("last user packet", 1_795_689_334)
                    .entry_str_list("flags", [*proto, "filled", "confirmed", "kernelized"])
                    .entry_int("SSRC", ssrcs[t % 4])
                    .str("ingress SSRCs")
                    .list()
                    .dict()
                    .entry_int("SSRC", ssrcs[t % 4])
                    .entry_int("bytes", 1_234_567 + seed)
                    .entry_int("packets", 3_100 + seed)
                    .entry_int("sequence number", 17_000 + seed)
                    .end()
                    .end()
                    .str("egress SSRCs")
                    .list()
                    .dict()
                    .entry_int("SSRC", ssrcs[(t + 1) % 4])
                    .entry_int("bytes", 1_230_000 + seed)
                    .entry_int("packets", 3_090 + seed)
                    .entry_int("sequence number", 42_000 + seed)
                    .end()
                    .end();
                enc.str("stats");
                counters(&mut enc, 3_100 + seed, 1_234_567 + seed);
                enc.end();
            }
            enc.end()
                .entry_str_list("flags", ["initialized", "send", "recv", "rtcp-mux"])
                .end();
        }
        enc.end().end();
    }
    enc.end();
    enc.str("totals").dict().str("RTP");
    counters(&mut enc, 49_600, 19_753_072);
    enc.str("RTCP");
    counters(&mut enc, 248, 21_080);
    enc.end().entry_str("result", "ok").end();
    Bytes::from(out)
}

fn encode_offer(c: &mut Criterion) {
    let sdp = offer_sdp();
    let options = offer_options();
    let request = Offer {
        sdp: sdp.as_bytes(),
        call_id: "a84b4c76e66710@pc33.example.com",
        from_tag: "as8d7f6a5s",
        options: &options,
    };
    let ours = encode_request(COOKIE, &request, None).expect("encodes");
    let (_, dict) = parse_message(&ours).expect("our request decodes");
    let keys = dict.len() - 4; // command, sdp, call-id, from-tag
    assert_eq!(keys, 19, "option keys");
    let serde_struct = offer_struct(&dict);
    let bt_value: bt_bencode::Value = bt_bencode::from_slice(body(&ours)).expect("bt decodes");
    let sb_value: serde_bencode::value::Value =
        serde_bencode::from_bytes(body(&ours)).expect("serde_bencode decodes");
    // The others write the same dictionary, keys sorted.
    let sorted = bt_bencode::to_vec(&bt_value).expect("bt encodes");
    assert_eq!(
        bt_bencode::to_vec(&serde_struct).expect("bt encodes").len(),
        sorted.len()
    );
    assert_eq!(
        serde_bencode::to_bytes(&serde_struct)
            .expect("serde_bencode encodes")
            .len(),
        sorted.len()
    );
    assert_eq!(ours.len(), COOKIE.len() + 1 + sorted.len());

    let mut group = c.benchmark_group("encode_offer");
    group.throughput(Throughput::Bytes(sorted.len() as u64));
    group.bench_function("ours/typed_encode_request", |b| {
        b.iter(|| encode_request(black_box(COOKIE), black_box(&request), None).expect("encodes"))
    });
    group.bench_function("bt_bencode/serde_struct", |b| {
        b.iter(|| bt_bencode::to_vec(black_box(&serde_struct)).expect("encodes"))
    });
    group.bench_function("bt_bencode/value", |b| {
        b.iter(|| bt_bencode::to_vec(black_box(&bt_value)).expect("encodes"))
    });
    group.bench_function("serde_bencode/serde_struct", |b| {
        b.iter(|| serde_bencode::to_bytes(black_box(&serde_struct)).expect("encodes"))
    });
    group.bench_function("serde_bencode/value", |b| {
        b.iter(|| serde_bencode::to_bytes(black_box(&sb_value)).expect("encodes"))
    });
    group.finish();
}

/// The decoders every reply is put through; `typed` decodes the offer reply into a struct.
fn decode_group(c: &mut Criterion, name: &str, message: &Bytes, typed: bool) {
    // Every decoder sees the same dictionary, and bt_bencode's strings really are borrowed.
    let (_, dict) = parse_message(message).expect("ours");
    let ours_ref = bencode::decode(body(message)).expect("ours borrowed");
    let bt: Borrowed<'_> = bt_bencode::from_slice(body(message)).expect("bt borrowed");
    let (strings, borrowed, ints) = bt.shape();
    assert_eq!(strings, borrowed, "bt_bencode lends every string");
    let sb: Borrowed<'_> = serde_bencode::from_bytes(body(message)).expect("sb");
    let (sb_strings, _, sb_ints) = sb.shape();
    assert_eq!((sb_strings, sb_ints), (strings, ints));
    let bt_value: bt_bencode::Value = bt_bencode::from_slice(body(message)).expect("bt value");
    assert_eq!(
        bt_bencode::to_vec(&bt_value).expect("bt").len() + 1 + COOKIE.len(),
        {
            // Same size re-encoded (sorted) means the same entries were read.
            message.len()
        }
    );
    match (&bt, &ours_ref) {
        (Borrowed::Dict(a), bencode::ValueRef::Dict(b)) => assert_eq!(a.len(), b.len()),
        _ => panic!("not dictionaries"),
    }
    assert_eq!(dict.len(), ours_ref_len(&ours_ref));

    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Bytes(message.len() as u64));
    group.bench_function("ours/parse_message", |b| {
        b.iter(|| parse_message(black_box(message)).expect("decodes"))
    });
    group.bench_function("ours/decode_borrowed", |b| {
        b.iter(|| bencode::decode(body(black_box(message))).expect("decodes"))
    });
    if typed {
        group.bench_function("ours/typed_sdp_reply", |b| {
            b.iter(|| {
                let (_, dict) = parse_message(black_box(message)).expect("decodes");
                SdpReply::from_dict(dict).expect("typed")
            })
        });
        group.bench_function("bt_bencode/borrowed_struct", |b| {
            b.iter(|| {
                let r: OfferReplyStruct<'_> =
                    bt_bencode::from_slice(body(black_box(message))).expect("decodes");
                r
            })
        });
        group.bench_function("serde_bencode/struct", |b| {
            b.iter(|| {
                let r: OfferReplyStruct<'_> =
                    serde_bencode::from_bytes(body(black_box(message))).expect("decodes");
                r
            })
        });
    }
    group.bench_function("bt_bencode/borrowed_value", |b| {
        b.iter(|| {
            let v: Borrowed<'_> = bt_bencode::from_slice(body(black_box(message))).expect("ok");
            v
        })
    });
    group.bench_function("bt_bencode/value", |b| {
        b.iter(|| {
            let v: bt_bencode::Value =
                bt_bencode::from_slice(body(black_box(message))).expect("decodes");
            v
        })
    });
    group.bench_function("serde_bencode/cow_value", |b| {
        b.iter(|| {
            let v: Borrowed<'_> = serde_bencode::from_bytes(body(black_box(message))).expect("ok");
            v
        })
    });
    group.bench_function("serde_bencode/value", |b| {
        b.iter(|| {
            let v: serde_bencode::value::Value =
                serde_bencode::from_bytes(body(black_box(message))).expect("decodes");
            v
        })
    });
    group.finish();
}

/// Entries of a decoded top-level dictionary.
fn ours_ref_len(v: &bencode::ValueRef<'_>) -> usize {
    match v {
        bencode::ValueRef::Dict(entries) => entries.len(),
        _ => 0,
    }
}

fn decode_offer_reply(c: &mut Criterion) {
    let message = offer_reply();
    let r: OfferReplyStruct<'_> = bt_bencode::from_slice(body(&message)).expect("decodes");
    assert!(matches!(r.sdp, Cow::Borrowed(_)) && r.result == "ok" && r.sdp.len() == 600);
    decode_group(c, "decode_offer_reply", &message, true);
}

fn decode_query_reply(c: &mut Criterion) {
    let message = query_reply();
    assert!(
        (10_000..=20_000).contains(&message.len()),
        "query reply is {} bytes",
        message.len()
    );
    // A typed sanity check: four parties, each with two medias of two streams.
    let (_, dict) = parse_message(&message).expect("decodes");
    let stats = rtpengine_client::CallStats::from_dict(dict);
    assert_eq!(stats.tags.len(), 4);
    decode_group(c, "decode_query_reply", &message, false);
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(50)
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(2));
    targets = encode_offer, decode_offer_reply, decode_query_reply
}
criterion_main!(benches);
