//! RTP and SDP helpers for end-to-end media tests.

/// Length of the fixed RTP header.
pub const RTP_HEADER_LEN: usize = 12;

/// The interesting fields of an RTP packet, as returned by [`parse_rtp`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RtpHeader {
    /// Payload type (7 bits).
    pub payload_type: u8,
    /// Marker bit.
    pub marker: bool,
    /// Sequence number.
    pub seq: u16,
    /// Timestamp.
    pub timestamp: u32,
    /// Synchronisation source.
    pub ssrc: u32,
    /// Payload length in bytes (excluding header, CSRCs, extension and padding).
    pub payload_len: usize,
}

/// Builds an RTP version 2 packet with a 12-byte header (no padding,
/// extension, CSRCs or marker). Only the low 7 bits of `payload_type` are used.
pub fn rtp_packet(
    seq: u16,
    timestamp: u32,
    ssrc: u32,
    payload_type: u8,
    payload: &[u8],
) -> Vec<u8> {
    let mut p = Vec::with_capacity(RTP_HEADER_LEN + payload.len());
    p.push(0x80);
    p.push(payload_type & 0x7f);
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&timestamp.to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend_from_slice(payload);
    p
}

/// Parses an RTP packet. Returns `None` if it is not a well-formed RTP
/// version 2 packet (too short, wrong version, inconsistent CSRC count,
/// extension or padding length).
pub fn parse_rtp(packet: &[u8]) -> Option<RtpHeader> {
    let fixed = packet.get(..RTP_HEADER_LEN)?;
    let b0 = fixed[0];
    if b0 >> 6 != 2 {
        return None;
    }
    let padding = b0 & 0x20 != 0;
    let extension = b0 & 0x10 != 0;
    let csrc_count = usize::from(b0 & 0x0f);
    let mut header_len = RTP_HEADER_LEN + 4 * csrc_count;
    if extension {
        let ext = packet.get(header_len..header_len + 4)?;
        let words = usize::from(u16::from_be_bytes([ext[2], ext[3]]));
        header_len += 4 + 4 * words;
    }
    let mut payload_len = packet.len().checked_sub(header_len)?;
    if padding {
        let pad = usize::from(*packet.last()?);
        if pad == 0 {
            return None;
        }
        payload_len = payload_len.checked_sub(pad)?;
    }
    Some(RtpHeader {
        payload_type: fixed[1] & 0x7f,
        marker: fixed[1] & 0x80 != 0,
        seq: u16::from_be_bytes([fixed[2], fixed[3]]),
        timestamp: u32::from_be_bytes([fixed[4], fixed[5], fixed[6], fixed[7]]),
        ssrc: u32::from_be_bytes([fixed[8], fixed[9], fixed[10], fixed[11]]),
        payload_len,
    })
}

fn sdp(addr_type: &str, addr: &str, media_port: u16, session_id: u64) -> String {
    [
        "v=0".to_owned(),
        format!("o=- {session_id} {session_id} IN {addr_type} {addr}"),
        "s=-".to_owned(),
        format!("c=IN {addr_type} {addr}"),
        "t=0 0".to_owned(),
        format!("m=audio {media_port} RTP/AVP 0 8 101"),
        "a=rtpmap:0 PCMU/8000".to_owned(),
        "a=rtpmap:8 PCMA/8000".to_owned(),
        "a=rtpmap:101 telephone-event/8000".to_owned(),
        "a=fmtp:101 0-16".to_owned(),
        "a=sendrecv".to_owned(),
        "a=ptime:20".to_owned(),
    ]
    .iter()
    .map(|l| format!("{l}\r\n"))
    .collect()
}

/// A minimal audio offer (PCMU, PCMA, telephone-event) for an IPv4 address,
/// with CRLF line endings.
pub fn sdp_audio(origin_addr: &str, media_port: u16, session_id: u64) -> String {
    sdp("IP4", origin_addr, media_port, session_id)
}

/// Like [`sdp_audio`] but with `IN IP6` addresses.
pub fn sdp_audio_v6(origin_addr: &str, media_port: u16, session_id: u64) -> String {
    sdp("IP6", origin_addr, media_port, session_id)
}

fn sdp_lines(sdp: &str) -> impl Iterator<Item = &str> {
    sdp.lines().map(|l| l.trim_end_matches('\r'))
}

/// Port of the first `m=audio` line.
pub fn sdp_media_port(sdp: &str) -> Option<u16> {
    sdp_lines(sdp)
        .find_map(|l| l.strip_prefix("m=audio "))
        .and_then(|rest| rest.split_whitespace().next())
        // "port/count" form: take the port.
        .and_then(|port| port.split('/').next())
        .and_then(|port| port.parse().ok())
}

/// Address of the first `c=` line (without a `/ttl` suffix).
pub fn sdp_connection_addr(sdp: &str) -> Option<String> {
    sdp_lines(sdp)
        .find_map(|l| l.strip_prefix("c="))
        .and_then(|rest| rest.split_whitespace().nth(2))
        .and_then(|addr| addr.split('/').next())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rtp_round_trip() {
        let pkt = rtp_packet(0xfffe, 0xdead_beef, 0x1234_5678, 8, &[0xd5; 160]);
        assert_eq!(pkt.len(), 172);
        assert_eq!(
            parse_rtp(&pkt),
            Some(RtpHeader {
                payload_type: 8,
                marker: false,
                seq: 0xfffe,
                timestamp: 0xdead_beef,
                ssrc: 0x1234_5678,
                payload_len: 160,
            })
        );
    }

    #[test]
    fn parse_rejects_garbage() {
        assert_eq!(parse_rtp(&[]), None);
        assert_eq!(parse_rtp(&[0x80; 11]), None);
        let mut pkt = rtp_packet(1, 2, 3, 0, b"x");
        pkt[0] = 0x40; // version 1
        assert_eq!(parse_rtp(&pkt), None);
        let mut pkt = rtp_packet(1, 2, 3, 0, b"");
        pkt[0] = 0x8f; // 15 CSRCs but none present
        assert_eq!(parse_rtp(&pkt), None);
        let mut pkt = rtp_packet(1, 2, 3, 0, b"");
        pkt[0] = 0x90; // extension flag but no extension
        assert_eq!(parse_rtp(&pkt), None);
        let mut pkt = rtp_packet(1, 2, 3, 0, &[9]);
        pkt[0] = 0xa0; // padding of 9 bytes in a 1-byte payload
        assert_eq!(parse_rtp(&pkt), None);
    }

    #[test]
    fn parse_handles_csrc_extension_and_padding() {
        let mut pkt = vec![0xb1, 0x80 | 101, 0, 7, 0, 0, 0, 9, 0, 0, 0, 5];
        pkt.extend_from_slice(&[1, 2, 3, 4]); // CSRC
        pkt.extend_from_slice(&[0xbe, 0xde, 0, 1, 0, 0, 0, 0]); // extension, 1 word
        pkt.extend_from_slice(b"abcd"); // payload
        pkt.extend_from_slice(&[0, 0, 3]); // padding
        let h = parse_rtp(&pkt).unwrap();
        assert_eq!(h.payload_type, 101);
        assert!(h.marker);
        assert_eq!(h.seq, 7);
        assert_eq!(h.payload_len, 4);
    }

    #[test]
    fn sdp_offer_is_well_formed() {
        let sdp = sdp_audio("127.0.0.1", 30000, 42);
        assert!(
            sdp.starts_with("v=0\r\no=- 42 42 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n")
        );
        assert!(sdp.contains("m=audio 30000 RTP/AVP 0 8 101\r\n"));
        assert!(sdp.ends_with("a=ptime:20\r\n"));
        assert!(!sdp.replace("\r\n", "").contains('\n'));
        assert_eq!(sdp_media_port(&sdp), Some(30000));
        assert_eq!(sdp_connection_addr(&sdp).as_deref(), Some("127.0.0.1"));

        let v6 = sdp_audio_v6("::1", 4000, 7);
        assert!(v6.contains("o=- 7 7 IN IP6 ::1\r\n"));
        assert!(v6.contains("c=IN IP6 ::1\r\n"));
        assert_eq!(sdp_connection_addr(&v6).as_deref(), Some("::1"));
    }

    #[test]
    fn sdp_parsers_tolerate_variants() {
        assert_eq!(
            sdp_media_port("m=video 1 RTP/AVP 96\nm=audio 5004/2 RTP/AVP 0\n"),
            Some(5004)
        );
        assert_eq!(sdp_media_port("v=0\n"), None);
        assert_eq!(sdp_media_port("m=audio x RTP/AVP 0"), None);
        assert_eq!(
            sdp_connection_addr("c=IN IP4 224.2.1.1/127\n").as_deref(),
            Some("224.2.1.1")
        );
        assert_eq!(sdp_connection_addr("c=IN IP4\n"), None);
    }
}
