//! End-to-end media through the real rtpengine daemon (10.5): two local UDP endpoints set up a
//! call with offer and answer, exchange RTP through the ports rtpengine advertised, and `query` /
//! `delete` report the packets.

mod common;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use common::{assert_log, connect, media_target, offer_answer_with, start, start_with_ipv6};
use rtpengine_client::{
    AddressFamily, AnswerOptions, CallStats, DeleteOptions, OfferOptions, QueryOptions,
};
use rtpengine_testkit::rtp::{parse_rtp, rtp_packet};
use rtpengine_testkit::Rtpengine;
use tokio::net::UdpSocket;
use tokio::time::timeout;

/// Packets sent in each direction.
const N: u16 = 50;
/// PCMU: 160 bytes every 20 ms.
const PAYLOAD_LEN: usize = 160;

fn payload(ssrc: u32, seq: u16) -> Vec<u8> {
    (0..PAYLOAD_LEN)
        .map(|i| (ssrc as usize ^ usize::from(seq) ^ i) as u8)
        .collect()
}

/// Sends `N` RTP packets from `from` to `to`, paced at 1 ms.
async fn send_stream(from: &UdpSocket, to: SocketAddr, ssrc: u32, first_seq: u16) {
    for i in 0..N {
        let seq = first_seq.wrapping_add(i);
        let ts = 1_000 + u32::from(i) * PAYLOAD_LEN as u32;
        let packet = rtp_packet(seq, ts, ssrc, 0, &payload(ssrc, seq));
        from.send_to(&packet, to).await.expect("send RTP");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// Receives the `N` packets of one stream: they come from `expected_from` (rtpengine's port)
/// with the sender's sequence numbers, SSRC and payload.
async fn receive_stream(sock: &UdpSocket, expected_from: SocketAddr, ssrc: u32, first_seq: u16) {
    let mut buf = vec![0u8; 2048];
    let mut seqs = Vec::new();
    while seqs.len() < usize::from(N) {
        let (len, from) = timeout(Duration::from_secs(5), sock.recv_from(&mut buf))
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "only {} of {N} RTP packets arrived (ssrc {ssrc:#x})",
                    seqs.len()
                )
            })
            .expect("recv RTP");
        assert_eq!(from, expected_from, "RTP must come from rtpengine's port");
        let packet = &buf[..len];
        let header = parse_rtp(packet).expect("a valid RTP packet");
        assert_eq!(header.ssrc, ssrc);
        assert_eq!(header.payload_type, 0);
        assert_eq!(header.payload_len, PAYLOAD_LEN);
        assert_eq!(&packet[12..], payload(ssrc, header.seq).as_slice());
        seqs.push(header.seq);
    }
    let expected: Vec<u16> = (0..N).map(|i| first_seq.wrapping_add(i)).collect();
    assert_eq!(seqs, expected, "all packets, in order");
}

fn rtp_packets_from(stats: &CallStats, tag: &str) -> (u64, u64) {
    let party = stats.tag(tag).unwrap_or_else(|| panic!("no {tag}"));
    let rtp = &party.medias[0].streams[0];
    assert!(rtp.flags.iter().any(|f| f == "RTP"), "{:?}", rtp.flags);
    (rtp.stats.packets, rtp.stats.bytes)
}

/// A full call between two local sockets on `local` (127.0.0.1 or ::1).
async fn call_with_media(rtpe: &Rtpengine, local: IpAddr, call_id: &str) {
    let client = connect(rtpe).await;
    let a = UdpSocket::bind((local, 0)).await.expect("bind A");
    let b = UdpSocket::bind((local, 0)).await.expect("bind B");
    let (a_at, b_at) = (a.local_addr().unwrap(), b.local_addr().unwrap());
    let (port_a, port_b) = (a_at.port(), b_at.port());
    let opts = match local {
        IpAddr::V4(_) => OfferOptions::new(),
        IpAddr::V6(_) => OfferOptions::new().address_family(AddressFamily::Ip6),
    };

    // A's offer is rewritten for B, B's answer for A.
    let (offer, answer) =
        offer_answer_with(&client, call_id, a_at, b_at, &opts, &AnswerOptions::new()).await;
    // Each side sends to the address in the SDP it received.
    let b_sends_to = media_target(&offer);
    let a_sends_to = media_target(&answer);
    assert_eq!(b_sends_to.ip(), local);
    assert_eq!(a_sends_to.ip(), local);
    assert_ne!(a_sends_to, b_sends_to);
    let range = rtpe.media_port_range();
    assert!(range.contains(&a_sends_to.port()) && range.contains(&b_sends_to.port()));

    // A → B: rtpengine relays from the port it gave B (symmetric RTP).
    let (ssrc_a, ssrc_b) = (0x1111_aaaa, 0x2222_bbbb);
    let (send, recv) = tokio::join!(
        send_stream(&a, a_sends_to, ssrc_a, 1_000),
        receive_stream(&b, b_sends_to, ssrc_a, 1_000),
    );
    let ((), ()) = (send, recv);
    // B → A, sequence numbers wrapping around.
    tokio::join!(
        send_stream(&b, b_sends_to, ssrc_b, 65_500),
        receive_stream(&a, a_sends_to, ssrc_b, 65_500),
    );

    // Per party, `stats` counts what that party sent to rtpengine.
    let packet_len = (12 + PAYLOAD_LEN) as u64;
    let n = u64::from(N);
    let stats = client
        .query(call_id, &QueryOptions::new())
        .await
        .expect("query");
    let (from_a, bytes_a) = rtp_packets_from(&stats, "tagA");
    let (from_b, bytes_b) = rtp_packets_from(&stats, "tagB");
    assert!(
        from_a >= n && from_b >= n,
        "A sent {from_a}, B sent {from_b}"
    );
    assert!(bytes_a >= n * packet_len && bytes_b >= n * packet_len);
    assert!(stats.rtp_totals.packets >= 2 * n, "{:?}", stats.rtp_totals);
    assert!(stats.rtp_totals.bytes >= 2 * n * packet_len);
    assert_eq!(stats.rtp_totals.errors, 0);
    assert_eq!(stats.rtcp_totals.packets, 0, "no RTCP was sent");
    // The endpoints rtpengine talks to are the two sockets.
    for (tag, port) in [("tagA", port_a), ("tagB", port_b)] {
        let rtp = &stats.tag(tag).unwrap().medias[0].streams[0];
        let ep = rtp.endpoint.as_ref().unwrap();
        assert_eq!(
            (ep.address.parse::<IpAddr>().unwrap(), ep.port),
            (local, port)
        );
        assert!(rtp.last_packet.is_some());
    }
    // rtpengine saw each sender's SSRC.
    for (tag, ssrc) in [("tagA", ssrc_a), ("tagB", ssrc_b)] {
        let rtp = &stats.tag(tag).unwrap().medias[0].streams[0];
        assert_eq!(rtp.raw.get_int("SSRC"), Some(i64::from(ssrc)), "{tag}");
    }
    // The codec was determined from the traffic.
    let media_a = &stats.tag("tagA").unwrap().medias[0];
    assert_eq!(
        media_a.raw.get_string("codec").as_deref(),
        Some("PCMU/8000")
    );

    // delete returns the final statistics; the call is gone afterwards.
    let last = client
        .delete(call_id, "tagA", &DeleteOptions::new())
        .await
        .expect("delete");
    assert!(last.has_call());
    assert!(last.rtp_totals.packets >= 2 * n);
    assert!(client.list(None).await.unwrap().is_empty());
    // The daemon's final per-stream report agrees.
    for ssrc in [ssrc_a, ssrc_b] {
        let line = format!("SSRC {ssrc:x}, {n} p, {} b, 0 e", n * packet_len);
        assert_log(rtpe, &line, 1);
    }
    eprintln!(
        "{call_id}: A sent {from_a} packets ({bytes_a} bytes), B sent {from_b} ({bytes_b} bytes), \
         totals {:?}",
        last.rtp_totals
    );
}

#[tokio::test]
async fn rtp_flows_both_ways_over_ipv4() {
    let rtpe = start();
    call_with_media(&rtpe, IpAddr::V4(Ipv4Addr::LOCALHOST), "media-v4").await;
}

#[tokio::test]
async fn rtp_flows_both_ways_over_ipv6() {
    let rtpe = start_with_ipv6();
    call_with_media(&rtpe, IpAddr::V6(Ipv6Addr::LOCALHOST), "media-v6").await;
}
