//! NG replies: splitting `cookie SP dict`, the `result` field, and typed views that keep every
//! field they do not know.

use bytes::Bytes;

use crate::bencode::{self, DecodeError, Dict, Value};
use crate::error::{Error, Result};

/// Why a datagram is not an NG message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MessageError {
    /// No space separates a cookie from a body.
    #[error("no cookie: message has no space separator")]
    NoCookie,
    /// The body is not bencode.
    #[error("body is not valid bencode: {0}")]
    Bencode(#[from] DecodeError),
    /// The body is bencode but not a dictionary.
    #[error("body is not a bencode dictionary")]
    NotADict,
    /// The body starts with `{` but is not valid JSON.
    #[error("body is not valid JSON: {0}")]
    Json(String),
}

impl From<super::json::JsonError> for MessageError {
    fn from(e: super::json::JsonError) -> Self {
        match e {
            super::json::JsonError::Syntax(message) => Self::Json(message),
            // A reply is read leniently: nothing is refused, only a body that is no object.
            _ => Self::NotADict,
        }
    }
}

/// Splits a whole NG message into its cookie and its decoded dictionary.
///
/// The dictionary shares `message`'s memory. Bytes after the dictionary are an error (a UDP
/// datagram holds exactly one message). A body starting with `{` is JSON (see
/// [JSON bodies](crate::message#json-bodies)).
pub fn parse_message(message: &Bytes) -> Result<(Bytes, Dict), MessageError> {
    let space = cookie_end(message).ok_or(MessageError::NoCookie)?;
    let cookie = message.slice(..space);
    let body = &message[space + 1..];
    if body.first() == Some(&b'{') {
        return Ok((cookie, super::json::parse_json_dict(body)?));
    }
    let value = bencode::decode(body)?;
    match value.to_owned_in(message) {
        Value::Dict(d) => Ok((cookie, d)),
        _ => Err(MessageError::NotADict),
    }
}

/// Where the cookie of `message` ends (the first space; a message starting with one has none).
fn cookie_end(message: &[u8]) -> Option<usize> {
    message.iter().position(|&b| b == b' ').filter(|&i| i > 0)
}

/// The cookie of a message that is not decoded (one over the size bound): the bytes before
/// the first space among the first [`MAX_COOKIE_LEN`](super::MAX_COOKIE_LEN) + 1.
pub(crate) fn cookie_of(message: &[u8]) -> Option<&[u8]> {
    let head = &message[..message.len().min(super::MAX_COOKIE_LEN + 1)];
    cookie_end(head).map(|end| &head[..end])
}

/// The outcome named by a reply's `result` key.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResultKind {
    /// `ok`
    Ok,
    /// `pong`
    Pong,
    /// `error` with its `error-reason`.
    Error(String),
    /// `load limit` with its `message`.
    LoadLimit(String),
    /// Anything else.
    Other(String),
}

/// Reads `result` (and `error-reason` / `message`).
pub fn result_kind(reply: &Dict) -> Result<ResultKind> {
    let result = reply
        .get("result")
        .ok_or_else(|| Error::malformed("reply has no 'result' key"))?
        .as_bytes()
        .ok_or_else(|| Error::malformed("'result' is not a string"))?;
    Ok(match result.as_ref() {
        b"ok" => ResultKind::Ok,
        b"pong" => ResultKind::Pong,
        b"error" => ResultKind::Error(
            reply
                .get_string("error-reason")
                .unwrap_or_else(|| "(no error-reason given)".to_owned()),
        ),
        b"load limit" => ResultKind::LoadLimit(
            reply
                .get_string("message")
                .unwrap_or_else(|| "(no message given)".to_owned()),
        ),
        other => ResultKind::Other(String::from_utf8_lossy(other).into_owned()),
    })
}

/// Turns `result: error` and `result: load limit` into errors; `ok` and `pong` pass.
pub fn check_result(reply: Dict) -> Result<Dict> {
    match result_kind(&reply)? {
        ResultKind::Ok | ResultKind::Pong => Ok(reply),
        ResultKind::Error(reason) => Err(Error::Rtpengine { reason }),
        ResultKind::LoadLimit(message) => Err(Error::LoadLimit { message }),
        ResultKind::Other(other) => {
            Err(Error::malformed(format!("unknown result value '{other}'")))
        }
    }
}

/// The reply of a command that answers with `result: ok` alone.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct Ack {
    /// A `warning`, if rtpengine gave one.
    pub warning: Option<String>,
    /// The whole reply dictionary.
    pub raw: Dict,
}

impl Ack {
    /// Reads an `ok` reply.
    pub fn from_dict(raw: Dict) -> Self {
        Self {
            warning: raw.get_string("warning"),
            raw,
        }
    }
}

/// The reply to `offer` or `answer`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SdpReply {
    /// The rewritten SDP.
    pub sdp: Bytes,
    /// A `warning`, if rtpengine gave one.
    pub warning: Option<String>,
    /// The whole reply dictionary, unknown fields included.
    pub raw: Dict,
}

impl SdpReply {
    /// Reads an `ok` reply that must carry `sdp`.
    pub fn from_dict(raw: Dict) -> Result<Self> {
        let sdp = sdp_of(&raw, "offer/answer")?;
        Ok(Self {
            sdp,
            warning: raw.get_string("warning"),
            raw,
        })
    }

    /// The SDP as text (lossy for non-UTF-8 bytes).
    pub fn sdp_str(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.sdp)
    }
}

/// The `sdp` string every SDP-carrying reply has.
pub(crate) fn sdp_of(raw: &Dict, command: &str) -> Result<Bytes> {
    raw.get("sdp")
        .and_then(Value::as_bytes)
        .cloned()
        .ok_or_else(|| Error::malformed(format!("{command} reply has no 'sdp' string")))
}

/// Packet, byte and error counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// Packets.
    pub packets: u64,
    /// Bytes.
    pub bytes: u64,
    /// Errors.
    pub errors: u64,
}

impl Counters {
    fn from_value(v: Option<&Value>) -> Self {
        let d = v.and_then(Value::as_dict);
        let get = |k| {
            d.and_then(|d| d.get_int(k))
                .and_then(|n| u64::try_from(n).ok())
                .unwrap_or(0)
        };
        Self {
            packets: get("packets"),
            bytes: get("bytes"),
            errors: get("errors"),
        }
    }
}

/// An address as rtpengine reports it (`family`, `address`, `port`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `IPv4` or `IPv6`.
    pub family: Option<String>,
    /// Address text.
    pub address: String,
    /// Port.
    pub port: u16,
}

impl Endpoint {
    /// `None` for rtpengine's empty `{}` (not known yet).
    fn from_value(v: Option<&Value>) -> Option<Self> {
        let d = v?.as_dict()?;
        Some(Self {
            family: d.get_string("family"),
            address: d.get_string("address")?,
            port: d.get_int("port").and_then(|p| u16::try_from(p).ok())?,
        })
    }
}

/// The strings of a list value (lossy for non-UTF-8 bytes; other items skipped).
pub(crate) fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_list)
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_bytes)
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// The dictionaries of a list value (other items skipped).
pub(crate) fn dicts(v: Option<&Value>) -> impl Iterator<Item = &Dict> {
    v.and_then(Value::as_list)
        .unwrap_or(&[])
        .iter()
        .filter_map(Value::as_dict)
}

/// One stream (RTP or RTCP) of a media section.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct StreamStats {
    /// The rtpengine port this party sends to.
    pub local_port: Option<u16>,
    /// The rtpengine address of that port.
    pub local_address: Option<String>,
    /// The address family.
    pub family: Option<String>,
    /// Where media for this party is sent (learned or from SDP).
    pub endpoint: Option<Endpoint>,
    /// The endpoint the SDP advertised.
    pub advertised_endpoint: Option<Endpoint>,
    /// Unix time of the last packet.
    pub last_packet: Option<i64>,
    /// Stream flags (`RTP`, `RTCP`, `filled`, `confirmed`…).
    pub flags: Vec<String>,
    /// Counters of what this party sent to rtpengine.
    pub stats: Counters,
    /// Every field, unknown ones included. The sender's SSRC is `SSRC` on 10.5 and 26.0;
    /// 12.5 has `ingress SSRCs` and `egress SSRCs` lists instead; 12.5 and 26.0 add
    /// `stats_out` (what rtpengine sent to this party).
    pub raw: Dict,
}

/// One media section (`m=` line) of a party.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct MediaStats {
    /// 1-based index of the `m=` line.
    pub index: Option<i64>,
    /// `audio`, `video`…
    pub media_type: Option<String>,
    /// Transport protocol, e.g. `RTP/AVP`.
    pub protocol: Option<String>,
    /// Media flags (`initialized`, `send`, `recv`, `rtcp-mux`, `ICE`…).
    pub flags: Vec<String>,
    /// Its streams.
    pub streams: Vec<StreamStats>,
    /// Every field, unknown ones included.
    pub raw: Dict,
}

/// One party (SIP tag) of a call.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct TagStats {
    /// The key in the `tags` dictionary (`<untagged N>` before the party has a tag).
    pub key: String,
    /// The tag (empty before it is known).
    pub tag: String,
    /// Its label, if set.
    pub label: Option<String>,
    /// Unix time it was created.
    pub created: Option<i64>,
    /// Its media sections.
    pub medias: Vec<MediaStats>,
    /// Every field, unknown ones included.
    pub raw: Dict,
}

/// Call statistics, as returned by `query` and `delete`.
///
/// The `delete` reply differs between releases: 12.5.1.31 answers a delete with a from-tag
/// with `tags: {}` and zero totals (10.5 and 26.0 give the parties and real totals; query
/// before deleting for final figures on every release); 10.5 answers a delete without a
/// from-tag with a bare `ok`; a delete with `fast` carries no call data anywhere.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct CallStats {
    /// Unix time the call was created.
    pub created: Option<i64>,
    /// Microseconds part of `created`.
    pub created_us: Option<i64>,
    /// Unix time of the last signalling event.
    pub last_signal: Option<i64>,
    /// Parties, in reply order.
    pub tags: Vec<TagStats>,
    /// RTP totals.
    pub rtp_totals: Counters,
    /// RTCP totals.
    pub rtcp_totals: Counters,
    /// A `warning`, if rtpengine gave one.
    pub warning: Option<String>,
    /// The whole reply dictionary, unknown fields included.
    pub raw: Dict,
}

impl CallStats {
    /// Reads an `ok` reply of `query` or `delete`.
    pub fn from_dict(raw: Dict) -> Self {
        let tags = raw
            .get("tags")
            .and_then(Value::as_dict)
            .map(|tags| {
                tags.iter()
                    .filter_map(|(key, v)| Some((key, v.as_dict()?)))
                    .map(|(key, t)| TagStats {
                        key: String::from_utf8_lossy(key).into_owned(),
                        tag: t.get_string("tag").unwrap_or_default(),
                        label: t.get_string("label"),
                        created: t.get_int("created"),
                        medias: dicts(t.get("medias")).map(media_stats).collect(),
                        raw: t.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let totals = raw.get("totals");
        Self {
            created: raw.get_int("created"),
            created_us: raw.get_int("created_us"),
            last_signal: raw.get_int("last signal"),
            tags,
            rtp_totals: Counters::from_value(totals.and_then(|t| t.get("RTP"))),
            rtcp_totals: Counters::from_value(totals.and_then(|t| t.get("RTCP"))),
            warning: raw.get_string("warning"),
            raw,
        }
    }

    /// True unless the reply says the call was not found: it carries call data, or it is a
    /// plain `ok` (a `delete` with the `fast` flag answers without call data). A `delete` of an
    /// unknown call (without `fatal`) answers `ok` with only the warning `Call-ID not found or
    /// tags didn't match`.
    pub fn has_call(&self) -> bool {
        let not_found = self
            .warning
            .as_deref()
            .is_some_and(|w| w.to_ascii_lowercase().contains("not found"));
        self.has_data() || !not_found
    }

    /// True when the reply carries call data (a creation time or parties). A `delete` with
    /// `fast`, or 10.5's `delete` without a from-tag, answers a found call without any.
    pub fn has_data(&self) -> bool {
        self.created.is_some() || !self.tags.is_empty()
    }

    /// The party with this tag.
    pub fn tag(&self, tag: &str) -> Option<&TagStats> {
        self.tags.iter().find(|t| t.tag == tag)
    }

    /// Every stream of every party.
    pub fn streams(&self) -> impl Iterator<Item = (&TagStats, &MediaStats, &StreamStats)> {
        self.tags.iter().flat_map(|t| {
            t.medias
                .iter()
                .flat_map(move |m| m.streams.iter().map(move |s| (t, m, s)))
        })
    }
}

fn media_stats(m: &Dict) -> MediaStats {
    MediaStats {
        index: m.get_int("index"),
        media_type: m.get_string("type"),
        protocol: m.get_string("protocol"),
        flags: strings(m.get("flags")),
        streams: dicts(m.get("streams"))
            .map(|s| StreamStats {
                local_port: s.get_int("local port").and_then(|p| u16::try_from(p).ok()),
                local_address: s.get_string("local address"),
                family: s.get_string("family"),
                endpoint: Endpoint::from_value(s.get("endpoint")),
                advertised_endpoint: Endpoint::from_value(s.get("advertised endpoint")),
                last_packet: s.get_int("last packet"),
                flags: strings(s.get("flags")),
                stats: Counters::from_value(s.get("stats")),
                raw: s.clone(),
            })
            .collect(),
        raw: m.clone(),
    }
}

/// Reads the `calls` list of a `list` reply.
pub fn list_calls(reply: &Dict) -> Result<Vec<String>> {
    let calls = reply
        .get("calls")
        .and_then(Value::as_list)
        .ok_or_else(|| Error::malformed("list reply has no 'calls' list"))?;
    Ok(calls
        .iter()
        .filter_map(Value::as_bytes)
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::MAX_COOKIE_LEN;

    fn msg(s: &[u8]) -> Bytes {
        Bytes::copy_from_slice(s)
    }

    #[test]
    fn the_cookie_of_an_undecoded_message() {
        assert_eq!(cookie_of(b"abc d6:result"), Some(&b"abc"[..]));
        assert_eq!(cookie_of(b"abc "), Some(&b"abc"[..]));
        assert_eq!(cookie_of(b" abc d"), None);
        assert_eq!(cookie_of(b"abc"), None);
        let long = [vec![b'x'; MAX_COOKIE_LEN], b" d".to_vec()].concat();
        assert_eq!(cookie_of(&long).map(<[u8]>::len), Some(MAX_COOKIE_LEN));
        let too_long = [vec![b'x'; MAX_COOKIE_LEN + 1], b" d".to_vec()].concat();
        assert_eq!(cookie_of(&too_long), None);
    }

    #[test]
    fn splits_cookie_and_keeps_order() {
        let (cookie, d) = parse_message(&msg(b"abc d3:sdp3:v=06:result2:oke")).unwrap();
        assert_eq!(cookie.as_ref(), b"abc");
        let keys: Vec<_> = d.iter().map(|(k, _)| k.clone()).collect();
        assert_eq!(
            keys,
            [Bytes::from_static(b"sdp"), Bytes::from_static(b"result")]
        );
        let reply = SdpReply::from_dict(check_result(d).unwrap()).unwrap();
        assert_eq!(reply.sdp.as_ref(), b"v=0");
    }

    #[test]
    fn message_errors() {
        assert_eq!(parse_message(&msg(b"nospace")), Err(MessageError::NoCookie));
        assert_eq!(
            parse_message(&msg(b" d1:ai1ee")),
            Err(MessageError::NoCookie)
        );
        assert_eq!(parse_message(&msg(b"c li1ee")), Err(MessageError::NotADict));
        assert!(matches!(
            parse_message(&msg(b"c d1:a")),
            Err(MessageError::Bencode(_))
        ));
    }

    #[test]
    fn results() {
        let (_, d) = parse_message(&msg(
            b"c d6:result5:error12:error-reason15:Unknown call-ide",
        ))
        .unwrap();
        let err = check_result(d).unwrap_err();
        assert_eq!(err.reason(), Some("Unknown call-id"));
        let (_, d) = parse_message(&msg(b"c d6:result10:load limit7:message4:busye")).unwrap();
        assert!(matches!(check_result(d), Err(Error::LoadLimit { message }) if message == "busy"));
        let (_, d) = parse_message(&msg(b"c d3:foo3:bare")).unwrap();
        assert!(matches!(check_result(d), Err(Error::MalformedReply { .. })));
        let (_, d) = parse_message(&msg(b"c d6:resulti1ee")).unwrap();
        assert!(matches!(check_result(d), Err(Error::MalformedReply { .. })));
    }

    #[test]
    fn has_call_tells_an_unknown_call_from_a_fast_delete() {
        let stats = |body: &[u8]| {
            let (_, d) = parse_message(&msg(body)).unwrap();
            CallStats::from_dict(check_result(d).unwrap())
        };
        // `delete` with `fast`: just `ok`.
        assert!(stats(b"c d6:result2:oke").has_call());
        // `delete` of an unknown call.
        let unknown = stats(b"c d6:result2:ok7:warning38:Call-ID not found or tags didn't matche");
        assert!(!unknown.has_call());
    }

    #[test]
    fn call_stats_keep_unknown_fields() {
        let body = b"c d7:createdi1795689333e10:created_usi483426e11:last signali1795689333e\
            4:tagsd4:tagAd3:tag4:tagA5:label6:caller7:createdi1795689333e\
            6:mediasld5:indexi1e4:type5:audio8:protocol7:RTP/AVP\
            7:streamsld10:local porti31014e13:local address9:127.0.0.16:family4:IPv4\
            8:endpointd6:family4:IPv47:address9:127.0.0.14:porti40000ee\
            19:advertised endpointde5:flagsl3:RTP6:fillede\
            5:statsd7:packetsi5e5:bytesi860e6:errorsi0ee9:new fieldi7eee\
            5:flagsl11:initializedeeeee\
            6:totalsd3:RTPd7:packetsi5e5:bytesi860e6:errorsi0ee\
            4:RTCPd7:packetsi0e5:bytesi0e6:errorsi0eee6:result2:oke";
        let (_, d) = parse_message(&msg(body)).unwrap();
        let stats = CallStats::from_dict(check_result(d).unwrap());
        assert!(stats.has_call());
        assert_eq!(stats.created_us, Some(483426));
        let a = stats.tag("tagA").unwrap();
        assert_eq!(a.label.as_deref(), Some("caller"));
        let (_, m, s) = stats.streams().next().unwrap();
        assert_eq!(m.media_type.as_deref(), Some("audio"));
        assert_eq!(s.local_port, Some(31014));
        assert_eq!(s.endpoint.as_ref().unwrap().port, 40000);
        assert_eq!(s.advertised_endpoint, None);
        assert_eq!(s.stats.packets, 5);
        assert_eq!(s.raw.get_int("new field"), Some(7));
        assert_eq!(stats.rtp_totals.bytes, 860);
    }
}
