//! End-to-end media through the real rtpengine daemon (10.5, 12.5 or 26.0, as
//! `RTPENGINE_RELEASE` selects): two local UDP endpoints set up a call with offer and answer,
//! exchange RTP through the ports rtpengine advertised, and `query` / `delete` report the
//! packets, each release in its own shape.

mod common;

use rtpengine_client::NgCommands;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use common::{connect, daemon_version, media_target, offer_answer_with, start, start_with_ipv6};
use rtpengine_client::bencode::Value;
use rtpengine_client::{
    AddressFamily, AnswerOptions, CallStats, DeleteOptions, OfferOptions, QueryOptions,
    StreamStats, Version,
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

/// The RTP stream of `tag`'s first media.
fn rtp_stream<'a>(stats: &'a CallStats, tag: &str) -> &'a StreamStats {
    let party = stats.tag(tag).unwrap_or_else(|| panic!("no {tag}"));
    &party.medias[0].streams[0]
}

fn rtp_packets_from(stats: &CallStats, tag: &str) -> (u64, u64) {
    let rtp = rtp_stream(stats, tag);
    assert!(rtp.flags.iter().any(|f| f == "RTP"), "{:?}", rtp.flags);
    (rtp.stats.packets, rtp.stats.bytes)
}

/// `(SSRC, packets, bytes)` of each entry of a stream's `ingress SSRCs` / `egress SSRCs` list
/// (12.5's shape).
fn ssrc_list(stream: &StreamStats, key: &str) -> Vec<(i64, i64, i64)> {
    let list = stream
        .raw
        .get(key)
        .and_then(Value::as_list)
        .unwrap_or_else(|| panic!("no '{key}' list in {:?}", stream.raw));
    list.iter()
        .map(|e| {
            let field = |f: &str| {
                e.get(f)
                    .and_then(Value::as_int)
                    .unwrap_or_else(|| panic!("no '{f}' in {e:?}"))
            };
            (field("SSRC"), field("packets"), field("bytes"))
        })
        .collect()
}

/// `(packets, bytes)` of a stream's `stats_out` (what rtpengine sent to that party; 12.5+).
fn stats_out(stream: &StreamStats) -> Option<(i64, i64)> {
    let out = stream.raw.get("stats_out")?;
    Some((
        out.get("packets").and_then(Value::as_int)?,
        out.get("bytes").and_then(Value::as_int)?,
    ))
}

/// Waits (up to 2 s) for the daemon's final report line of the stream with `ssrc` and returns
/// it. 10.5: `… SSRC 1111aaaa, 50 p, 8600 b, 0 e, 0 ts`; 12.5 and 26.0:
/// `… SSRC 1111aaaa, in 50 p, 8600 b, 0 e, 0 ts, out 50 p, 8600 b, 0 e` (26.0 also logs an
/// `(RTCP)` line per stream, with `in 0 p`).
fn final_report(rtpe: &Rtpengine, ssrc: u32, first_counters: &str) -> String {
    let needle = format!("SSRC {ssrc:x}, {first_counters}");
    assert!(
        rtpe.wait_for_log(&needle, 1, Duration::from_secs(2)),
        "{needle:?} expected in the log:\n{}",
        rtpe.log_tail(30)
    );
    let log = rtpe.log();
    let lines: Vec<&str> = log.lines().filter(|l| l.contains(&needle)).collect();
    assert_eq!(lines.len(), 1, "{lines:#?}");
    lines[0].to_owned()
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
    // rtpengine saw each sender's SSRC, reported per release in its own shape.
    let release = daemon_version(rtpe).line();
    let (n_i, len_i) = (i64::from(N), (12 + PAYLOAD_LEN) as i64 * i64::from(N));
    for (tag, ssrc, other) in [("tagA", ssrc_a, ssrc_b), ("tagB", ssrc_b, ssrc_a)] {
        let rtp = rtp_stream(&stats, tag);
        let (ssrc, other) = (i64::from(ssrc), i64::from(other));
        if release == Version::new(12, 5) {
            // 12.5 has no `SSRC` key in a stream: `ingress SSRCs` lists what the party sent
            // (with its own counters), `egress SSRCs` what rtpengine sent to it, and
            // `stats_out` counts the latter.
            assert_eq!(rtp.raw.get("SSRC"), None, "{tag}: {:?}", rtp.raw);
            assert_eq!(
                ssrc_list(rtp, "ingress SSRCs"),
                [(ssrc, n_i, len_i)],
                "{tag}"
            );
            assert_eq!(
                ssrc_list(rtp, "egress SSRCs"),
                [(other, n_i, len_i)],
                "{tag}"
            );
        } else {
            // 10.5 and 26.0: the sender's SSRC under `SSRC`, no SSRC lists.
            assert_eq!(rtp.raw.get_int("SSRC"), Some(ssrc), "{tag}");
            assert_eq!(rtp.raw.get("ingress SSRCs"), None, "{tag}");
            assert_eq!(rtp.raw.get("egress SSRCs"), None, "{tag}");
        }
        if release == Version::V10_5 {
            // 10.5 counts only what the party sent.
            assert_eq!(stats_out(rtp), None, "{tag}: {:?}", rtp.raw);
        } else {
            // 12.5 and 26.0 also count what rtpengine sent to it: the other party's packets.
            assert_eq!(stats_out(rtp), Some((n_i, len_i)), "{tag}");
        }
    }
    // The call-level `SSRC` dictionary: empty on 10.5 and 12.5 (it is filled from RTCP
    // there); 26.0 lists every SSRC it saw, keyed by its decimal value, with its counters.
    let call_ssrcs = stats
        .raw
        .get("SSRC")
        .and_then(Value::as_dict)
        .unwrap_or_else(|| panic!("no call-level SSRC dictionary: {:?}", stats.raw));
    if release == Version::new(26, 0) {
        assert_eq!(call_ssrcs.len(), 2, "{call_ssrcs:?}");
        for ssrc in [ssrc_a, ssrc_b] {
            let entry = call_ssrcs
                .get(&ssrc.to_string())
                .unwrap_or_else(|| panic!("no SSRC {ssrc} in {call_ssrcs:?}"));
            assert_eq!(
                (
                    entry.get("packets").and_then(Value::as_int),
                    entry.get("bytes").and_then(Value::as_int)
                ),
                (Some(n_i), Some(len_i)),
                "{ssrc:x}"
            );
        }
    } else {
        assert!(call_ssrcs.is_empty(), "{call_ssrcs:?}");
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
    if release == Version::new(12, 5) {
        // 12.5 (12.5.1.31) removes the from-tag's party before it writes the statistics of a
        // delete with a from-tag: `"tags": {}` and zero totals (call.c call_delete_branch:
        // monologue_stop/monologue_delete_iter, then ng_call_stats finds no such tag).
        assert!(last.tags.is_empty(), "{:?}", last.raw);
        assert_eq!(
            (last.rtp_totals.packets, last.rtp_totals.bytes),
            (0, 0),
            "{:?}",
            last.rtp_totals
        );
    } else {
        // 10.5 and 26.0: both parties and the real totals.
        assert!(last.tag("tagA").is_some() && last.tag("tagB").is_some());
        assert!(last.rtp_totals.packets >= 2 * n, "{:?}", last.rtp_totals);
        assert!(last.rtp_totals.bytes >= 2 * n * packet_len);
    }
    assert!(client.list(None).await.unwrap().is_empty());
    // The daemon's final per-stream report agrees: what each party sent (and, 12.5 and 26.0,
    // what rtpengine sent to it: the other party's packets).
    let bytes = n * packet_len;
    for ssrc in [ssrc_a, ssrc_b] {
        if release == Version::V10_5 {
            let line = final_report(rtpe, ssrc, &format!("{n} p, {bytes} b, 0 e"));
            assert!(!line.contains(" out "), "{line}");
        } else {
            let line = final_report(rtpe, ssrc, &format!("in {n} p, {bytes} b, 0 e"));
            assert!(
                line.contains(&format!(", out {n} p, {bytes} b, 0 e")),
                "{line}"
            );
        }
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
