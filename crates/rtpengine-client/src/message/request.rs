//! NG requests: `cookie SP bencoded-dict`, encoded straight into one buffer.

use bytes::Bytes;

use super::commands::{command_since, CALL_OPENING_COMMANDS};
use super::options::{DeleteOptions, Dtls, Flag, OfferOptions, QueryOptions};
use crate::bencode::{Dict, Encoder};
use crate::error::{Error, Result};
use crate::version::{Requirements, Version};

/// The longest string a request may carry. rtpengine 10.5 aborts (assertion `str_len <= 99999`)
/// when it has to put a string of 100,000 bytes or more into a reply, and many replies echo
/// request strings (SDP, call-ids), so strings of 99,999 bytes or more are refused.
pub const MAX_STRING_LEN: usize = 99_998;

/// The largest UDP payload over IPv4 (65,535 − 20 − 8).
pub const MAX_UDP_PAYLOAD: usize = 65_507;

/// Anything that can be sent as an NG request.
pub trait Request {
    /// The `command` value, e.g. `offer` or `start recording`.
    fn command(&self) -> &str;

    /// The call-id, when the request has one (for logs and tracing).
    fn call_id(&self) -> Option<&str> {
        None
    }

    /// Whether the request may open a call no node holds yet (`offer`, `publish`, `subscribe
    /// request`, `create`). A [`Cluster`](crate::Cluster) places such a request on a node by
    /// its call-id and may fail it over to another node; every other request follows its call.
    fn opens_call(&self) -> bool {
        CALL_OPENING_COMMANDS.contains(&self.command())
    }

    /// Whether success ends the whole call (a `delete` of no single branch): a
    /// [`Cluster`](crate::Cluster) then forgets which node held it.
    fn ends_call(&self) -> bool {
        false
    }

    /// Writes every dictionary entry except `command`. `target` is the rtpengine version the
    /// request is for, when known: a few requests add what that version needs to keep the same
    /// meaning (e.g. `delete`'s `to-tag` flag on 13.0+).
    fn encode_keys(&self, enc: &mut Encoder<'_>, target: Option<Version>);

    /// What the request needs of the daemon's release, each part naming what needs it.
    fn requirements(&self) -> Requirements {
        command_requirement(self.command())
    }

    /// Refuses contradictory or invalid options before anything is sent.
    fn validate(&self) -> Result<()> {
        Ok(())
    }

    /// Refuses what release `target` would read differently from what the request means (an
    /// option whose meaning changed, or that `target` ignores). Newer options are gated by
    /// [`Request::requirements`]; this is for the other direction.
    fn check_target(&self, _target: Version) -> Result<()> {
        Ok(())
    }

    /// A guess of the encoded size, so the buffer is allocated once (the default suits
    /// requests without an SDP).
    fn size_hint(&self) -> usize {
        256
    }
}

/// The requirement of a command name (from the command catalogue).
pub(crate) fn command_requirement(command: &str) -> Requirements {
    let mut r = Requirements::default();
    if let Some(since) = command_since(command) {
        r.need(since, || format!("command '{command}'"));
    }
    r
}

/// Refuses a request that needs a newer rtpengine than `target`, or that `target` would read
/// differently ([`Request::check_target`]).
pub fn check_version<R: Request + ?Sized>(request: &R, target: Version) -> Result<()> {
    match request.requirements().unmet(target) {
        Some(req) => Err(Error::Unsupported {
            what: req.what.clone(),
            since: req.since,
            target,
        }),
        None => request.check_target(target),
    }
}

/// Encodes `cookie SP d7:command…e` into one buffer, refusing strings rtpengine cannot handle.
///
/// The UDP size limit is checked by the transport, which knows whether it applies.
pub fn encode_request<R: Request + ?Sized>(
    cookie: &str,
    request: &R,
    target: Option<Version>,
) -> Result<Bytes> {
    if cookie.is_empty() || cookie.contains(' ') {
        return Err(Error::InvalidRequest {
            reason: format!("cookie {cookie:?} must be non-empty and contain no space"),
        });
    }
    let mut out = Vec::with_capacity(request.size_hint() + cookie.len() + 1);
    out.extend_from_slice(cookie.as_bytes());
    out.push(b' ');
    let mut enc = Encoder::new(&mut out);
    enc.dict().entry_str("command", request.command());
    request.encode_keys(&mut enc, target);
    enc.end();
    let longest = enc.longest_string();
    if longest > MAX_STRING_LEN {
        return Err(Error::RequestTooLarge {
            reason: format!(
                "'{}' request holds a string of {longest} bytes; rtpengine crashes on strings of \
                 100,000 bytes or more, so strings are limited to {MAX_STRING_LEN} bytes",
                request.command()
            ),
        });
    }
    Ok(Bytes::from(out))
}

/// `ping`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Ping;

impl Request for Ping {
    fn command(&self) -> &str {
        "ping"
    }
    fn encode_keys(&self, _enc: &mut Encoder<'_>, _target: Option<Version>) {}
    fn size_hint(&self) -> usize {
        "d7:command4:pinge".len()
    }
}

/// `offer`: the caller's SDP, to be rewritten for the callee.
#[derive(Debug, Clone, Copy)]
pub struct Offer<'a> {
    /// The SDP body.
    pub sdp: &'a [u8],
    /// The SIP Call-ID.
    pub call_id: &'a str,
    /// The caller's tag.
    pub from_tag: &'a str,
    /// Options.
    pub options: &'a OfferOptions,
}

impl Request for Offer<'_> {
    fn command(&self) -> &str {
        "offer"
    }
    fn call_id(&self) -> Option<&str> {
        Some(self.call_id)
    }
    fn encode_keys(&self, enc: &mut Encoder<'_>, target: Option<Version>) {
        self.options.warn_obsolete("offer", target);
        enc.str("sdp").bytes(self.sdp);
        enc.entry_str("call-id", self.call_id);
        enc.entry_str("from-tag", self.from_tag);
        self.options.encode_keys(enc);
    }
    fn requirements(&self) -> Requirements {
        self.options.requirements()
    }
    fn validate(&self) -> Result<()> {
        self.options.validate()
    }
    fn size_hint(&self) -> usize {
        self.sdp.len() + 768
    }
}

/// `answer`: the callee's SDP, to be rewritten for the caller.
#[derive(Debug, Clone, Copy)]
pub struct Answer<'a> {
    /// The SDP body.
    pub sdp: &'a [u8],
    /// The SIP Call-ID.
    pub call_id: &'a str,
    /// The caller's tag (still the From tag, as in the offer).
    pub from_tag: &'a str,
    /// The callee's tag.
    pub to_tag: &'a str,
    /// Options.
    pub options: &'a OfferOptions,
}

impl Request for Answer<'_> {
    fn command(&self) -> &str {
        "answer"
    }
    fn call_id(&self) -> Option<&str> {
        Some(self.call_id)
    }
    fn encode_keys(&self, enc: &mut Encoder<'_>, target: Option<Version>) {
        self.options.warn_obsolete("answer", target);
        enc.str("sdp").bytes(self.sdp);
        enc.entry_str("call-id", self.call_id);
        enc.entry_str("from-tag", self.from_tag);
        enc.entry_str("to-tag", self.to_tag);
        self.options.encode_keys(enc);
    }
    fn requirements(&self) -> Requirements {
        self.options.requirements()
    }
    fn validate(&self) -> Result<()> {
        self.options.refuse_to_tag("answer")?;
        self.options.validate()
    }
    fn check_target(&self, target: Version) -> Result<()> {
        if Dtls::PASSIVE_IN_OFFER.met_by(target) && self.options.dtls.contains(&Dtls::Passive) {
            return Err(Error::invalid(format!(
                "rtpengine {target} ignores 'DTLS' passive in an answer (it counts in the offer \
                 since {}); send 'DTLS-reverse' passive with the offer instead",
                Dtls::PASSIVE_IN_OFFER
            )));
        }
        Ok(())
    }
    fn size_hint(&self) -> usize {
        self.sdp.len() + 768
    }
}

/// `delete`.
#[derive(Debug, Clone, Copy)]
pub struct Delete<'a> {
    /// The SIP Call-ID.
    pub call_id: &'a str,
    /// The caller's tag (optional for rtpengine; empty means absent).
    pub from_tag: &'a str,
    /// Options.
    pub options: &'a DeleteOptions,
}

impl Request for Delete<'_> {
    fn command(&self) -> &str {
        "delete"
    }
    fn ends_call(&self) -> bool {
        self.options.to_tag.is_none() && self.options.via_branch.is_none()
    }
    fn call_id(&self) -> Option<&str> {
        Some(self.call_id)
    }
    fn encode_keys(&self, enc: &mut Encoder<'_>, target: Option<Version>) {
        enc.entry_str("call-id", self.call_id);
        if !self.from_tag.is_empty() {
            enc.entry_str("from-tag", self.from_tag);
        }
        // Releases that know the `to-tag` flag (13.0, 12.5.1.11) delete the whole call when a
        // to-tag comes without it; older ones ignore the unknown flag. Adding it keeps one
        // meaning on every release.
        let needs_flag = self.options.to_tag.is_some()
            && !self.options.flags.contains(&Flag::ToTag)
            && Flag::ToTag.shim_for(target);
        if needs_flag {
            self.options.clone().flags(Flag::ToTag).encode_keys(enc);
        } else {
            self.options.encode_keys(enc);
        }
    }
    fn requirements(&self) -> Requirements {
        command_requirement("delete").and(self.options.requirements())
    }
}

/// `query`.
#[derive(Debug, Clone, Copy)]
pub struct Query<'a> {
    /// The SIP Call-ID.
    pub call_id: &'a str,
    /// Options.
    pub options: &'a QueryOptions,
}

impl Request for Query<'_> {
    fn command(&self) -> &str {
        "query"
    }
    fn call_id(&self) -> Option<&str> {
        Some(self.call_id)
    }
    fn encode_keys(&self, enc: &mut Encoder<'_>, _target: Option<Version>) {
        enc.entry_str("call-id", self.call_id);
        self.options.encode_keys(enc);
    }
    fn requirements(&self) -> Requirements {
        self.options.requirements()
    }
}

/// `list`.
#[derive(Debug, Clone, Copy)]
pub struct List {
    /// `limit`: at most this many call-ids.
    pub limit: u32,
}

impl Request for List {
    fn command(&self) -> &str {
        "list"
    }
    fn encode_keys(&self, enc: &mut Encoder<'_>, _target: Option<Version>) {
        enc.entry_int("limit", i64::from(self.limit));
    }
}

/// Any command with a hand-built dictionary (a `command` key in the dictionary is ignored).
#[derive(Debug, Clone, Copy)]
pub struct RawRequest<'a> {
    /// The command.
    pub command: &'a str,
    /// Everything else.
    pub dict: &'a Dict,
}

impl Request for RawRequest<'_> {
    fn command(&self) -> &str {
        self.command
    }
    fn call_id(&self) -> Option<&str> {
        self.dict
            .get("call-id")
            .and_then(crate::bencode::Value::as_str)
    }
    fn ends_call(&self) -> bool {
        self.command == "delete"
            && self.dict.get("to-tag").is_none()
            && self.dict.get("via-branch").is_none()
    }
    fn encode_keys(&self, enc: &mut Encoder<'_>, _target: Option<Version>) {
        for (k, v) in self.dict.iter() {
            if k.as_ref() != b"command" {
                enc.bytes(k).value(v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::options::*;

    fn encode<R: Request>(r: &R) -> String {
        let b = encode_request("c1", r, None).unwrap();
        String::from_utf8(b.to_vec()).unwrap()
    }

    #[test]
    fn ping_bytes() {
        assert_eq!(encode(&Ping), "c1 d7:command4:pinge");
    }

    #[test]
    fn offer_every_seed_option() {
        let opts = OfferOptions::new()
            .via_branch("z9hG4bK1")
            .flag(Flag::TrustAddress)
            .flag(Flag::SipSourceAddress)
            .replace(Replace::Origin)
            .replace(Replace::SessionConnection)
            .direction(Direction::new("pub", "priv"))
            .received_from("10.0.0.1".parse::<std::net::IpAddr>().unwrap())
            .ice(Ice::Remove)
            .transport_protocol(TransportProtocol::RtpSavp)
            .media_address("192.0.2.1".parse::<std::net::IpAddr>().unwrap())
            .address_family(AddressFamily::Ip6)
            .rtcp_mux(RtcpMux::Demux)
            .tos(184)
            .dtls(Dtls::Passive)
            .sdes(Sdes::UnencryptedSrtp)
            .record_call(true)
            .metadata("a:b|c:d")
            .raw_flag("loop protect")
            .raw_key("label", "caller");
        let o = Offer {
            sdp: b"v=0\r\n",
            call_id: "cid",
            from_tag: "ft",
            options: &opts,
        };
        let text = encode(&o);
        let expected = "c1 d7:command5:offer3:sdp5:v=0\r\n7:call-id3:cid8:from-tag2:ft\
            10:via-branch8:z9hG4bK1\
            7:replacel6:origin18:session connectione\
            9:directionl3:pub4:prive\
            13:received froml3:IP48:10.0.0.1e\
            3:ICE6:remove\
            18:transport protocol8:RTP/SAVP\
            13:media address9:192.0.2.1\
            14:address family3:IP6\
            8:rtcp-muxl5:demuxe\
            3:TOSi184e\
            4:DTLS7:passive\
            4:SDESl16:unencrypted_srtpe\
            11:record call3:yes\
            8:metadata7:a:b|c:d\
            5:flagsl13:trust address18:SIP source address12:loop protecte\
            5:label6:callere";
        assert_eq!(text, expected);
    }

    #[test]
    fn raw_key_replaces_typed_key() {
        let opts = OfferOptions::new().ice(Ice::Remove).raw_key("ICE", "force");
        let o = Offer {
            sdp: b"x",
            call_id: "c",
            from_tag: "f",
            options: &opts,
        };
        let text = encode(&o);
        assert_eq!(text.matches("3:ICE").count(), 1);
        assert!(text.contains("3:ICE5:force"));
    }

    #[test]
    fn round_robin_direction() {
        let opts = OfferOptions::new().direction(Direction::RoundRobinCalls);
        let mut out = Vec::new();
        opts.encode_keys(&mut Encoder::new(&mut out));
        assert_eq!(
            out,
            b"9:directionl17:round-robin-calls17:round-robin-callse".to_vec()
        );
    }

    #[test]
    fn delete_options() {
        let opts = DeleteOptions::new()
            .to_tag("tt")
            .via_branch("vb")
            .fatal(true)
            .delete_delay(0);
        let d = Delete {
            call_id: "c",
            from_tag: "f",
            options: &opts,
        };
        assert_eq!(
            encode(&d),
            "c1 d7:command6:delete7:call-id1:c8:from-tag1:f6:to-tag2:tt10:via-branch2:vb\
             12:delete delayi0e5:flagsl5:fatal6:to-tagee"
        );
    }

    #[test]
    fn too_long_string_refused() {
        let sdp = vec![b'a'; 99_999];
        let opts = OfferOptions::new();
        let o = Offer {
            sdp: &sdp,
            call_id: "c",
            from_tag: "f",
            options: &opts,
        };
        let err = encode_request("c1", &o, None).unwrap_err();
        assert!(matches!(err, Error::RequestTooLarge { .. }), "{err}");
        let ok_sdp = vec![b'a'; 99_998];
        let o = Offer { sdp: &ok_sdp, ..o };
        assert!(encode_request("c1", &o, None).is_ok());
    }

    #[test]
    fn bad_cookie_refused() {
        assert!(encode_request("a b", &Ping, None).is_err());
        assert!(encode_request("", &Ping, None).is_err());
    }
}
