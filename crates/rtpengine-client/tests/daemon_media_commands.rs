//! The call-control commands against the real rtpengine daemon (10.5, 12.5 or 26.0, as
//! `RTPENGINE_RELEASE` selects): recording, DTMF and media blocking, silencing, forwarding, and
//! media and DTMF playback. Where the releases differ, each test asserts what each does.
//!
//! Each test sets up a real call with offer and answer between two local UDP sockets (the
//! "phones" A and B), sends real RTP through the ports rtpengine advertised, and checks what the
//! command did to the media (packets dropped, payload silenced, events removed or injected, a
//! WAV file played), to the recording spool, or in the daemon's log. The tests fail, never skip,
//! when rtpengine is not installed.

mod common;

use rtpengine_client::NgCommands;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::{
    assert_log, client_for, connect, daemon_version, is_10_5, logged, media_target,
    offer_answer_with, rtpengine_reason, start_recording, TempDir,
};
use rtpengine_client::{
    AnswerOptions, BlockDtmfOptions, Client, DtmfDigit, Error, Flag, IntoDtmfDigit, MediaOptions,
    MediaSource, OfferOptions, PlayDtmfOptions, PlayMediaOptions, RecordingOptions, Selector,
    Version,
};
use rtpengine_testkit::rtp::{parse_rtp, rtp_packet};
use rtpengine_testkit::Rtpengine;
use tokio::net::UdpSocket;

/// RFC 4733 telephone-event, as in the testkit's SDP.
const PT_EVENT: u8 = 101;
const PT_PCMU: u8 = 0;
const PT_PCMA: u8 = 8;
/// Samples per 20 ms packet at 8 kHz.
const SAMPLES: u32 = 160;
/// How long a socket must stay quiet before a burst counts as received.
const QUIET: Duration = Duration::from_millis(150);

/// A daemon that logs at debug level (the commands' effects show there).
fn start() -> Rtpengine {
    Rtpengine::builder()
        .arg("--log-level=7")
        .start()
        .expect("start rtpengine (these tests need the real daemon)")
}

/// One phone: its socket, where it sends media (rtpengine's port for it), and its RTP state.
struct Phone {
    sock: UdpSocket,
    to: SocketAddr,
    ssrc: u32,
    seq: u16,
    ts: u32,
}

impl Phone {
    /// Sends `n` audio packets of payload type `pt` filled with `byte`, paced at 5 ms.
    async fn audio(&mut self, n: usize, pt: u8, byte: u8) {
        for _ in 0..n {
            let packet = rtp_packet(self.seq, self.ts, self.ssrc, pt, &[byte; SAMPLES as usize]);
            self.sock.send_to(&packet, self.to).await.expect("send RTP");
            self.seq = self.seq.wrapping_add(1);
            self.ts = self.ts.wrapping_add(SAMPLES);
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Sends one RFC 4733 event: three packets while it lasts, then three end packets.
    async fn event(&mut self, event: u8) {
        let start = self.ts;
        for i in 0..6u32 {
            let end = i >= 3;
            let duration = (SAMPLES * (i.min(3) + 1)) as u16;
            let mut payload = vec![event, if end { 0x80 | 10 } else { 10 }];
            payload.extend_from_slice(&duration.to_be_bytes());
            let mut packet = rtp_packet(self.seq, start, self.ssrc, PT_EVENT, &payload);
            if i == 0 {
                packet[1] |= 0x80; // marker: start of the event
            }
            self.sock.send_to(&packet, self.to).await.expect("send RTP");
            self.seq = self.seq.wrapping_add(1);
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        self.ts = self.ts.wrapping_add(SAMPLES * 4);
    }

    /// Everything that arrives until the socket stays quiet for `QUIET` (at most 3 s).
    async fn collect(&self) -> Vec<(SocketAddr, Vec<u8>)> {
        let mut out = Vec::new();
        let mut buf = vec![0u8; 2048];
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            match tokio::time::timeout(QUIET, self.sock.recv_from(&mut buf)).await {
                Ok(Ok((len, from))) => out.push((from, buf[..len].to_vec())),
                Ok(Err(e)) => panic!("recv: {e}"),
                Err(_) => break,
            }
        }
        out
    }

    /// The RTP packets that arrive (see [`Phone::collect`]), checking they come from `from`.
    async fn rtp_from(&self, from: SocketAddr) -> Vec<Vec<u8>> {
        self.collect()
            .await
            .into_iter()
            .map(|(src, packet)| {
                assert_eq!(src, from, "RTP must come from rtpengine's port");
                assert!(parse_rtp(&packet).is_some(), "not RTP: {packet:?}");
                packet
            })
            .collect()
    }
}

fn pt_of(packet: &[u8]) -> u8 {
    packet[1] & 0x7f
}

fn count_pt(packets: &[Vec<u8>], pt: u8) -> usize {
    packets.iter().filter(|p| pt_of(p) == pt).count()
}

/// A call set up with offer (from A, tag `tagA`) and answer (from B, tag `tagB`).
struct Call {
    client: Client,
    id: String,
    a: Phone,
    b: Phone,
}

impl Call {
    /// A on 127.0.0.1, B on `b_ip` (another loopback address lets `address` tell them apart).
    async fn new(rtpe: &Rtpengine, id: &str, b_ip: Ipv4Addr, opts: &OfferOptions) -> Self {
        Self::with_answer(rtpe, id, b_ip, opts, opts).await
    }

    /// A and B on 127.0.0.1, with default options.
    async fn plain(rtpe: &Rtpengine, id: &str) -> Self {
        Self::new(rtpe, id, Ipv4Addr::LOCALHOST, &OfferOptions::new()).await
    }

    async fn with_answer(
        rtpe: &Rtpengine,
        id: &str,
        b_ip: Ipv4Addr,
        offer_opts: &OfferOptions,
        answer_opts: &AnswerOptions,
    ) -> Self {
        let client = connect(rtpe).await;
        let a = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        let b = UdpSocket::bind((b_ip, 0)).await.unwrap();
        let (a_at, b_at) = (a.local_addr().unwrap(), b.local_addr().unwrap());
        let (offer, answer) =
            offer_answer_with(&client, id, a_at, b_at, offer_opts, answer_opts).await;
        Self {
            client,
            id: id.to_owned(),
            a: Phone {
                sock: a,
                to: media_target(&answer),
                ssrc: 0x1111_aaaa,
                seq: 1000,
                ts: 8000,
            },
            b: Phone {
                sock: b,
                to: media_target(&offer),
                ssrc: 0x2222_bbbb,
                seq: 5000,
                ts: 16000,
            },
        }
    }

    /// A sends `n` PCMU packets; returns what B receives.
    async fn a_to_b(&mut self, n: usize, byte: u8) -> Vec<Vec<u8>> {
        self.a.audio(n, PT_PCMU, byte).await;
        self.b.rtp_from(self.b.to).await
    }

    /// B sends `n` PCMU packets; returns what A receives.
    async fn b_to_a(&mut self, n: usize, byte: u8) -> Vec<Vec<u8>> {
        self.b.audio(n, PT_PCMU, byte).await;
        self.a.rtp_from(self.a.to).await
    }
}

fn tag(t: &str) -> Selector {
    Selector::FromTag(t.to_owned())
}

// ---------------------------------------------------------------------------------------------
// block / unblock media

#[tokio::test]
async fn block_media_stops_rtp_and_unblock_media_restores_it() {
    let rtpe = start();
    let mut call = Call::plain(&rtpe, "block-media").await;
    let (c, id) = (call.client.clone(), call.id.clone());
    let none = MediaOptions::new();
    assert_eq!(call.a_to_b(5, 0x11).await.len(), 5, "media flows at first");
    assert_eq!(call.b_to_a(5, 0x22).await.len(), 5);

    // Blocking A: nothing from A reaches B; B's media still reaches A.
    let ack = c.block_media(&id, &tag("tagA"), &none).await.unwrap();
    assert!(ack.warning.is_none(), "{ack:?}");
    logged(&rtpe, "Blocking directional media (tag 'tagA')", 1);
    assert!(call.a_to_b(5, 0x11).await.is_empty(), "A is blocked");
    assert_eq!(call.b_to_a(5, 0x22).await.len(), 5, "B is not");
    // The client targets an unknown version, so it added `directional` ("Dump for 'block
    // media'": `"from-tag": "tagA", "flags": [ "directional" ]`). 10.5 ignores the flag
    // ("Unknown flag encountered: 'directional'") and the from-tag selects one party all the
    // same; 12.5 and 26.0 know it (no such line) and block that party's media.
    assert_log(
        &rtpe,
        r#""command": "block media", "call-id": "block-media", "from-tag": "tagA", "flags": [ "directional" ]"#,
        1,
    );
    if is_10_5(&rtpe) {
        assert_log(&rtpe, "Unknown flag encountered: 'directional'", 1);
    } else {
        assert_eq!(rtpe.log_count("Unknown flag encountered"), 0);
    }

    // Unblocking the whole call leaves the per-party block in place, in every release (10.5
    // logs "Unblocking media (entire call)", 12.5 and 26.0 "Unblocking media (entire call and
    // participants)", and clear the parties' own flags only with `all`)…
    let unblock_call = if is_10_5(&rtpe) {
        "Unblocking media (entire call)"
    } else {
        "Unblocking media (entire call and participants)"
    };
    c.unblock_media(&id, &Selector::Call, &none).await.unwrap();
    logged(&rtpe, unblock_call, 1);
    assert!(call.a_to_b(5, 0x11).await.is_empty(), "still blocked");
    // …`all` clears it.
    c.unblock_media(&id, &Selector::All, &none).await.unwrap();
    logged(&rtpe, unblock_call, 2);
    let got = call.a_to_b(5, 0x11).await;
    assert_eq!(got.len(), 5, "A flows again");
    let seqs: Vec<u16> = got.iter().map(|p| parse_rtp(p).unwrap().seq).collect();
    assert_eq!(
        seqs,
        (1015..1020).collect::<Vec<u16>>(),
        "the packets sent after unblocking"
    );

    // The whole call: both directions stop, and start again.
    c.block_media(&id, &Selector::Call, &none).await.unwrap();
    logged(&rtpe, "Blocking media (entire call)", 1);
    assert!(call.a_to_b(3, 0x11).await.is_empty());
    assert!(call.b_to_a(3, 0x22).await.is_empty());
    c.unblock_media(&id, &Selector::Call, &none).await.unwrap();
    assert_eq!(call.a_to_b(3, 0x11).await.len(), 3);
    assert_eq!(call.b_to_a(3, 0x22).await.len(), 3);
}

#[tokio::test]
async fn block_media_by_address_selects_the_party_with_that_sdp_address() {
    let rtpe = start();
    let b_ip = Ipv4Addr::new(127, 0, 0, 2);
    let mut call = Call::new(&rtpe, "block-address", b_ip, &OfferOptions::new()).await;
    let (c, id) = (call.client.clone(), call.id.clone());
    let by_address = Selector::Address(IpAddr::V4(b_ip));
    c.block_media(&id, &by_address, &MediaOptions::new())
        .await
        .unwrap();
    logged(&rtpe, "Blocking directional media (tag 'tagB')", 1);
    assert!(
        call.b_to_a(4, 0x22).await.is_empty(),
        "B (127.0.0.2) is blocked"
    );
    assert_eq!(call.a_to_b(4, 0x11).await.len(), 4, "A is not");
    c.unblock_media(&id, &by_address, &MediaOptions::new())
        .await
        .unwrap();
    assert_eq!(call.b_to_a(4, 0x22).await.len(), 4);
}

// ---------------------------------------------------------------------------------------------
// silence / unsilence media

#[tokio::test]
async fn silence_media_keeps_packets_but_silences_their_payload() {
    let rtpe = start();
    let mut call = Call::plain(&rtpe, "silence").await;
    let (c, id) = (call.client.clone(), call.id.clone());
    let none = MediaOptions::new();

    c.silence_media(&id, &tag("tagA"), &none).await.unwrap();
    logged(&rtpe, "Silencing directional media (tag 'tagA')", 1);
    // Every packet still arrives, in order, with its header, but PCMU payload is 0xFF…
    let got = call.a_to_b(5, 0x11).await;
    assert_eq!(got.len(), 5);
    for p in &got {
        let h = parse_rtp(p).unwrap();
        assert_eq!(
            (h.ssrc, h.payload_type, h.payload_len),
            (0x1111_aaaa, 0, 160)
        );
        assert!(
            p[12..].iter().all(|&x| x == 0xff),
            "PCMU silence: {:x?}",
            &p[12..20]
        );
    }
    // …and PCMA payload 0xD5.
    call.a.audio(3, PT_PCMA, 0x11).await;
    let got = call.b.rtp_from(call.b.to).await;
    assert_eq!(count_pt(&got, PT_PCMA), 3);
    assert!(got.iter().all(|p| p[12..].iter().all(|&x| x == 0xd5)));
    // The other direction is untouched.
    let back = call.b_to_a(3, 0x22).await;
    assert_eq!(back.len(), 3);
    assert!(back.iter().all(|p| p[12..].iter().all(|&x| x == 0x22)));

    c.unsilence_media(&id, &tag("tagA"), &none).await.unwrap();
    let got = call.a_to_b(3, 0x11).await;
    assert_eq!(got.len(), 3);
    assert!(got.iter().all(|p| p[12..].iter().all(|&x| x == 0x11)));
}

// ---------------------------------------------------------------------------------------------
// block / unblock DTMF

#[tokio::test]
async fn block_dtmf_drops_telephone_events_but_not_audio() {
    let rtpe = start();
    // A is labelled, so the label can select it.
    let mut call = Call::with_answer(
        &rtpe,
        "block-dtmf",
        Ipv4Addr::LOCALHOST,
        &OfferOptions::new().label("caller"),
        &AnswerOptions::new(),
    )
    .await;
    let (c, id) = (call.client.clone(), call.id.clone());
    let caller = Selector::Label("caller".into());
    let none = BlockDtmfOptions::new();

    async fn audio_event_audio(phone: &mut Phone, event: u8) {
        phone.audio(3, PT_PCMU, 0x11).await;
        phone.event(event).await;
        phone.audio(3, PT_PCMU, 0x11).await;
    }

    audio_event_audio(&mut call.a, 5).await;
    let got = call.b.rtp_from(call.b.to).await;
    assert_eq!((count_pt(&got, PT_PCMU), count_pt(&got, PT_EVENT)), (6, 6));

    c.block_dtmf(&id, &caller, &none).await.unwrap();
    logged(&rtpe, "Blocking directional DTMF (tag 'tagA')", 1);
    audio_event_audio(&mut call.a, 6).await;
    let got = call.b.rtp_from(call.b.to).await;
    assert_eq!(
        (count_pt(&got, PT_PCMU), count_pt(&got, PT_EVENT)),
        (6, 0),
        "A's events are dropped, its audio is not"
    );
    // rtpengine still saw the event.
    assert_log(&rtpe, "DTMF event packet: event 6", 1);
    // B's events still reach A.
    audio_event_audio(&mut call.b, 7).await;
    let got = call.a.rtp_from(call.a.to).await;
    assert_eq!(count_pt(&got, PT_EVENT), 6);

    c.unblock_dtmf(&id, &caller, &none).await.unwrap();
    logged(&rtpe, "Unblocking directional DTMF (tag 'tagA')", 1);
    audio_event_audio(&mut call.a, 8).await;
    let got = call.b.rtp_from(call.b.to).await;
    assert_eq!(count_pt(&got, PT_EVENT), 6, "events pass again");
    let events: Vec<u8> = got
        .iter()
        .filter(|p| pt_of(p) == PT_EVENT)
        .map(|p| p[12])
        .collect();
    assert!(events.iter().all(|&e| e == 8), "{events:?}");

    // Whole-call blocking, and `all` on unblock.
    c.block_dtmf(&id, &Selector::Call, &none).await.unwrap();
    logged(&rtpe, "Blocking DTMF (entire call)", 1);
    audio_event_audio(&mut call.b, 9).await;
    assert_eq!(count_pt(&call.a.rtp_from(call.a.to).await, PT_EVENT), 0);
    c.unblock_dtmf(&id, &Selector::All, &none).await.unwrap();
    audio_event_audio(&mut call.b, 9).await;
    assert_eq!(count_pt(&call.a.rtp_from(call.a.to).await, PT_EVENT), 6);
}

// ---------------------------------------------------------------------------------------------
// start / stop forwarding

#[tokio::test]
async fn forwarding_without_a_recording_daemon_is_accepted_and_logged() {
    let rtpe = start();
    let call = Call::plain(&rtpe, "forwarding").await;
    let (c, id) = (call.client.clone(), call.id.clone());

    let meta = MediaOptions::new().metadata("fwd:1");
    c.start_forwarding(&id, &tag("tagA"), &meta).await.unwrap();
    logged(&rtpe, "Start forwarding for single party (tag 'tagA')", 1);
    // Sent as the client built it: from-tag, metadata and the added `directional` flag.
    assert_log(
        &rtpe,
        r#""command": "start forwarding", "call-id": "forwarding", "from-tag": "tagA", "metadata": "fwd:1", "flags": [ "directional" ]"#,
        1,
    );
    c.stop_forwarding(&id, &Selector::Call, &MediaOptions::new())
        .await
        .unwrap();
    logged(&rtpe, "Stop forwarding (entire call)", 1);
    // With no recording method configured, nothing is recorded.
    assert_eq!(rtpe.log_count("Turning on call recording."), 0);

    // A client that knows it talks to 10.5 does not send the flag. 10.5 selects the party by
    // its from-tag all the same; 12.5 and 26.0 ignore a from-tag without `directional` in the
    // directional commands (block/unblock DTMF and media, start/stop forwarding:
    // call_interfaces.c media_block_match1 "ignore from-tag, if directional is not set"), so
    // the same request stops forwarding for the entire call there.
    let v10_5 = client_for(rtpe.udp_url(), Some(Version::V10_5), true).await;
    let unknown_flag = rtpe.log_count("Unknown flag encountered: 'directional'");
    let (single, entire) = (
        "Stop forwarding for single party (tag 'tagA')",
        "Stop forwarding (entire call)",
    );
    v10_5
        .stop_forwarding(&id, &tag("tagA"), &MediaOptions::new())
        .await
        .unwrap();
    assert_log(
        &rtpe,
        r#""command": "stop forwarding", "call-id": "forwarding", "from-tag": "tagA" }"#,
        1,
    );
    if is_10_5(&rtpe) {
        logged(&rtpe, single, 1);
        logged(&rtpe, entire, 1);
    } else {
        logged(&rtpe, entire, 2);
        assert_eq!(rtpe.log_count(single), 0);
    }
    assert_eq!(
        rtpe.log_count("Unknown flag encountered: 'directional'"),
        unknown_flag
    );

    // The library's default (no version configured) adds `directional` for a one-party
    // selector, so the same stop selects only that party on every release (10.5 ignores the
    // flag and goes by the from-tag; 12.5 and 26.0 honour it).
    let (singles_before, entire_before) = (rtpe.log_count(single), rtpe.log_count(entire));
    c.stop_forwarding(&id, &tag("tagA"), &MediaOptions::new())
        .await
        .unwrap();
    assert_log(
        &rtpe,
        r#""command": "stop forwarding", "call-id": "forwarding", "from-tag": "tagA", "flags": [ "directional" ]"#,
        1,
    );
    logged(&rtpe, single, singles_before + 1);
    assert_eq!(rtpe.log_count(entire), entire_before, "no whole-call stop");
}

// ---------------------------------------------------------------------------------------------
// recording

#[tokio::test]
async fn recording_starts_records_rtp_and_stops_with_metadata() {
    let spool = TempDir::new("media-rec");
    let rtpe = start_recording(&spool);
    let mut call = Call::plain(&rtpe, "rec-cmd").await;
    let (c, id) = (call.client.clone(), call.id.clone());
    assert!(
        spool.files("pcaps", "rec-cmd").is_empty(),
        "not recorded yet"
    );

    c.start_recording(&id, &RecordingOptions::new().metadata("customer:42"))
        .await
        .unwrap();
    assert_log(&rtpe, "Turning on call recording.", 1);
    let pcaps = spool.files("pcaps", "rec-cmd");
    assert_eq!(pcaps.len(), 1, "one pcap file for the call");
    // RTP is written to it.
    assert_eq!(call.a_to_b(10, 0x11).await.len(), 10);
    assert_eq!(call.b_to_a(10, 0x22).await.len(), 10);

    c.stop_recording(
        &id,
        &RecordingOptions::new()
            .from_tag("tagA")
            .metadata("customer:42|result:done"),
    )
    .await
    .unwrap();
    assert_log(&rtpe, "Turning off call recording.", 1);
    let size = std::fs::metadata(&pcaps[0]).unwrap().len();
    assert!(
        size > 24 + 20 * 172,
        "pcap holds the 20 packets: {size} bytes"
    );
    assert_eq!(
        pcap_records(&std::fs::read(&pcaps[0]).unwrap()),
        20,
        "one record per packet"
    );
    // Stopping finishes the metadata file, with the metadata given last.
    let deadline = Instant::now() + Duration::from_secs(3);
    let meta = loop {
        if let Some(path) = spool
            .files("metadata", "rtpengine-meta-rec-cmd")
            .into_iter()
            .find(|p| p.extension().is_some_and(|e| e == "txt"))
        {
            break std::fs::read_to_string(path).unwrap();
        }
        assert!(Instant::now() < deadline, "no metadata file");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(meta.contains("\ncustomer:42|result:done\n"), "{meta}");
    assert!(meta.contains(&pcaps[0].display().to_string()), "{meta}");

    // Packets after the stop are not recorded.
    assert_eq!(call.a_to_b(5, 0x11).await.len(), 5);
    assert_eq!(std::fs::metadata(&pcaps[0]).unwrap().len(), size);

    // `pause recording` is 11.3+: refused for a 10.5 target without a round trip…
    let v10_5 = client_for(rtpe.udp_url(), Some(Version::V10_5), true).await;
    let err = v10_5
        .pause_recording(&id, &RecordingOptions::new())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }), "{err:?}");
    assert_eq!(rtpe.log_count("'pause recording'"), 0);
    // …and sent anyway, 10.5 does not know it ("Unrecognized command"); 12.5 and 26.0 accept
    // it and log "Pausing call recording." for a running recording, but only 26.0 stops
    // writing the pcap: 12.5's pcap writer ignores the pause (recording.c dump_packet_pcap has
    // no RECORDING_ON check before 26.0). Recording started again after the stop, 12.5 writes
    // the call's first pcap file anew (same name, old records gone), 26.0 a second file.
    let unchecked = client_for(rtpe.udp_url(), Some(Version::V10_5), false).await;
    if is_10_5(&rtpe) {
        let err = unchecked
            .pause_recording(&id, &RecordingOptions::new())
            .await
            .unwrap_err();
        assert_eq!(rtpengine_reason(err), "Unrecognized command");
        return;
    }
    c.start_recording(&id, &RecordingOptions::new())
        .await
        .unwrap();
    logged(&rtpe, "Turning on call recording.", 2);
    assert_eq!(call.a_to_b(5, 0x11).await.len(), 5, "recorded");
    unchecked
        .pause_recording(&id, &RecordingOptions::new())
        .await
        .expect("pause recording (12.5, 26.0)");
    logged(&rtpe, "Pausing call recording.", 1);
    assert_eq!(call.a_to_b(7, 0x11).await.len(), 7, "media still flows");
    c.stop_recording(&id, &RecordingOptions::new())
        .await
        .unwrap();
    logged(&rtpe, "Turning off call recording.", 2);
    let files = spool.files("pcaps", "rec-cmd");
    let records = |p: &Path| pcap_records(&std::fs::read(p).unwrap());
    if daemon_version(&rtpe).line() == Version::new(12, 5) {
        assert_eq!(files, pcaps, "the same file");
        assert_eq!(
            records(&pcaps[0]),
            5 + 7,
            "the paused packets are written too"
        );
    } else {
        assert_eq!(files.len(), 2, "{files:?}");
        let second = files.iter().find(|p| **p != pcaps[0]).unwrap();
        assert_eq!(records(&pcaps[0]), 20, "the first recording is kept");
        assert_eq!(records(second), 5, "only the packets before the pause");
    }
}

/// The number of packet records of a pcap file.
fn pcap_records(data: &[u8]) -> usize {
    assert!(data.len() >= 24, "not a pcap file: {} bytes", data.len());
    let le = match &data[..4] {
        [0xd4, 0xc3, 0xb2, 0xa1] | [0x4d, 0x3c, 0xb2, 0xa1] => true,
        [0xa1, 0xb2, 0xc3, 0xd4] | [0xa1, 0xb2, 0x3c, 0x4d] => false,
        magic => panic!("not a pcap file: magic {magic:x?}"),
    };
    let (mut at, mut n) = (24, 0);
    while at + 16 <= data.len() {
        let len: [u8; 4] = data[at + 8..at + 12].try_into().unwrap();
        let len = if le {
            u32::from_le_bytes(len)
        } else {
            u32::from_be_bytes(len)
        };
        at += 16 + len as usize;
        n += 1;
    }
    assert_eq!(at, data.len(), "a truncated pcap record");
    n
}

// ---------------------------------------------------------------------------------------------
// play media / stop media

/// An 8 kHz mono 16-bit PCM WAV file holding `seconds` of a 440 Hz tone.
fn wav(seconds: u32) -> Vec<u8> {
    let samples = 8000 * seconds;
    let data_len = samples * 2;
    let mut out = Vec::with_capacity(44 + data_len as usize);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes()); // fmt chunk size
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&8000u32.to_le_bytes()); // sample rate
    out.extend_from_slice(&16000u32.to_le_bytes()); // byte rate
    out.extend_from_slice(&2u16.to_le_bytes()); // block align
    out.extend_from_slice(&16u16.to_le_bytes()); // bits per sample
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for i in 0..samples {
        let t = f64::from(i) / 8000.0;
        let s = (8000.0 * (2.0 * std::f64::consts::PI * 440.0 * t).sin()) as i16;
        out.extend_from_slice(&s.to_le_bytes());
    }
    out
}

fn write_wav(dir: &Path) -> String {
    let path = dir.join("tone.wav");
    std::fs::write(&path, wav(1)).unwrap();
    path.display().to_string()
}

#[tokio::test]
async fn play_media_plays_a_wav_file_to_one_party_and_stop_media_ends_it() {
    let dir = TempDir::new("media-play");
    let file = write_wav(&dir.0);
    let rtpe = start();
    let call = Call::plain(&rtpe, "play").await;
    let (c, id) = (call.client.clone(), call.id.clone());

    // Played to B ten times over, unless stopped.
    let started = Instant::now();
    let reply = c
        .play_media(
            &id,
            &tag("tagB"),
            MediaSource::File(file.clone()),
            &PlayMediaOptions::new().repeat_times(10),
        )
        .await
        .unwrap();
    assert_eq!(
        reply.duration,
        Some(Duration::from_millis(1000)),
        "{reply:?}"
    );
    // B hears it: PCMU (its preferred codec) from rtpengine's port, 20 ms each, not silence.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let mut buf = vec![0u8; 2048];
    let mut heard = Vec::new();
    while let Ok(Ok((len, from))) =
        tokio::time::timeout(Duration::from_millis(50), call.b.sock.recv_from(&mut buf)).await
    {
        assert_eq!(from, call.b.to);
        heard.push(buf[..len].to_vec());
        if heard.len() == 10 {
            break;
        }
    }
    assert_eq!(heard.len(), 10, "B receives the file as RTP");
    for p in &heard {
        let h = parse_rtp(p).unwrap();
        assert_eq!((h.payload_type, h.payload_len), (PT_PCMU, 160));
    }
    let payload: Vec<u8> = heard.iter().flat_map(|p| p[12..].to_vec()).collect();
    let distinct = payload
        .iter()
        .collect::<std::collections::HashSet<_>>()
        .len();
    assert!(
        distinct > 20,
        "a tone, not silence ({distinct} distinct bytes)"
    );
    // A hears nothing.
    assert!(call.a.collect().await.is_empty());

    // stop media ends it. 10.5 reports no frame position; 12.5 and 26.0 report
    // `last-frame-pos`, the pts of the last frame read from the file (call_interfaces.c
    // call_stop_media_ng: `media_player_stop()` returns `mp->last_frame_ts`), in the file's
    // 8 kHz samples: past the start, and no further than what played since (plus the
    // player's one second of read-ahead at most).
    let stopped = c.stop_media(&id, &tag("tagB")).await.unwrap();
    let played_ms = started.elapsed().as_millis() as i64;
    if is_10_5(&rtpe) {
        assert_eq!(stopped.last_frame_pos, None, "{:?}", stopped.raw);
    } else {
        let pos = stopped.last_frame_pos.expect("last-frame-pos (12.5, 26.0)");
        assert!(
            pos > 0 && pos <= 8 * (played_ms + 1000),
            "{pos} after {played_ms} ms"
        );
    }
    call.b.collect().await; // what was in flight
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(call.b.collect().await.is_empty(), "playback stopped");
    // Nothing plays to A.
    let err = c.stop_media(&id, &tag("tagA")).await.unwrap_err();
    assert_eq!(rtpengine_reason(err), "Not currently playing media");

    // A blob with the same file, to every party.
    let reply = c
        .play_media(
            &id,
            &Selector::All,
            MediaSource::Blob(Bytes::from(wav(1))),
            &PlayMediaOptions::new(),
        )
        .await
        .unwrap();
    assert_eq!(reply.duration, Some(Duration::from_millis(1000)));
    let (to_a, to_b) = tokio::join!(call.a.collect(), call.b.collect());
    assert!(
        to_a.len() >= 40 && to_b.len() >= 40,
        "{} {}",
        to_a.len(),
        to_b.len()
    );

    // rtpengine's own errors.
    let err = c
        .play_media(
            &id,
            &tag("tagA"),
            MediaSource::File(dir.0.join("missing.wav").display().to_string()),
            &PlayMediaOptions::new(),
        )
        .await
        .unwrap_err();
    assert_eq!(
        rtpengine_reason(err),
        "Failed to start media playback from file"
    );
    // Refused by the client: nobody selected, nothing sent.
    // Three were sent so far (file, blob, missing file).
    logged(&rtpe, "Received command 'play media'", 3);
    let err = c
        .play_media(
            &id,
            &Selector::Call,
            MediaSource::File(file),
            &PlayMediaOptions::new(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidRequest { .. }), "{err:?}");
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(rtpe.log_count("Received command 'play media'"), 3);
}

// ---------------------------------------------------------------------------------------------
// play DTMF

/// The RFC 4733 packets among `packets`: (event, volume, end).
///
/// In RTP sequence order: the daemon may send them from more than one thread, so they can
/// arrive out of order even on loopback.
fn events(packets: &[Vec<u8>]) -> Vec<(u8, u8, bool)> {
    let mut ev: Vec<(u16, (u8, u8, bool))> = packets
        .iter()
        .filter(|p| pt_of(p) == PT_EVENT)
        .map(|p| {
            let seq = parse_rtp(p).map_or(0, |h| h.seq);
            (seq, (p[12], p[13] & 0x3f, p[13] & 0x80 != 0))
        })
        .collect();
    ev.sort_by_key(|(seq, _)| *seq);
    ev.into_iter().map(|(_, e)| e).collect()
}

/// Before A sent anything there is no stream to inject A's event into.
async fn assert_nothing_to_inject_into(
    c: &Client,
    id: &str,
    digit: impl IntoDtmfDigit,
    opts: &PlayDtmfOptions,
) {
    let err = c
        .play_dtmf(id, &tag("tagA"), digit, opts)
        .await
        .unwrap_err();
    assert_eq!(
        rtpengine_reason(err),
        "No SSRC context present for DTMF injection"
    );
}

#[tokio::test]
async fn play_dtmf_injects_telephone_events_with_inject_dtmf() {
    let rtpe = start();
    let inject = OfferOptions::new().flag(Flag::InjectDtmf);
    let mut call = Call::new(&rtpe, "play-dtmf", Ipv4Addr::LOCALHOST, &inject).await;
    let (c, id) = (call.client.clone(), call.id.clone());
    let hash = DtmfDigit::from_char('#').unwrap();
    let opts = PlayDtmfOptions::new().duration(200).volume(-10);
    assert_eq!(hash.code(), 11);

    assert_nothing_to_inject_into(&c, &id, hash, &opts).await;

    call.a.audio(5, PT_PCMU, 0x11).await;
    c.play_dtmf(&id, &tag("tagA"), hash, &opts).await.unwrap();
    logged(
        &rtpe,
        "Injecting RFC DTMF event #11 for 200 ms (vol -10) from 'tagA'",
        1,
    );
    // The event goes out to B as A's media advances (50 packets = 1 s of media, well past the
    // 200 ms event, so a slow machine still sees the end packets).
    // On a loaded machine the daemon may still be inside the event when B stops listening, so
    // keep A's media going (a few more rounds at most) until the end packets have arrived.
    call.a.audio(50, PT_PCMU, 0x11).await;
    let mut got = call.b.rtp_from(call.b.to).await;
    for _ in 0..4 {
        if events(&got).last().is_some_and(|e| e.2) {
            break;
        }
        call.a.audio(25, PT_PCMU, 0x11).await;
        got.extend(call.b.rtp_from(call.b.to).await);
    }
    let ev = events(&got);
    assert!(ev.len() >= 5, "telephone-event packets at B: {ev:?}");
    assert!(ev.iter().all(|&(e, vol, _)| e == 11 && vol == 10), "{ev:?}");
    assert!(ev.last().unwrap().2, "the event ends: {ev:?}");
    assert!(count_pt(&got, PT_PCMU) >= 20, "audio flows too");
    // The events are part of A's stream towards B (with `inject DTMF` rtpengine transcodes,
    // so that stream has an SSRC of rtpengine's own).
    let ssrcs: std::collections::HashSet<u32> =
        got.iter().map(|p| parse_rtp(p).unwrap().ssrc).collect();
    assert_eq!(ssrcs.len(), 1, "{ssrcs:x?}");

    // Without `volume`, rtpengine injects at its lowest volume (63 = −63 dB), not at the
    // −8 dB its documentation promises.
    c.play_dtmf(&id, &tag("tagA"), '7', &PlayDtmfOptions::new())
        .await
        .unwrap();
    call.a.audio(30, PT_PCMU, 0x11).await;
    let quiet = events(&call.b.rtp_from(call.b.to).await);
    assert!(!quiet.is_empty(), "telephone-event packets at B");
    assert!(
        quiet.iter().all(|&(e, vol, _)| e == 7 && vol == 63),
        "{quiet:?}"
    );

    // A digit rtpengine does not know, sent through the raw escape hatch.
    let raw = PlayDtmfOptions::new().raw_key("code", 99i64);
    let err = c
        .play_dtmf(&id, &tag("tagA"), hash, &raw)
        .await
        .unwrap_err();
    assert_eq!(rtpengine_reason(err), "Out of range 'code' specified");
    // The client refuses it without the escape hatch.
    let sent = rtpe.log_count("Received command 'play DTMF'");
    let err = c
        .play_dtmf(&id, &tag("tagA"), 16u8, &PlayDtmfOptions::new())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidRequest { reason } if reason.contains("'code'")),
        "{err:?}"
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(rtpe.log_count("Received command 'play DTMF'"), sent);
}

#[tokio::test]
async fn play_dtmf_without_inject_dtmf_is_accepted_but_plays_nothing() {
    let rtpe = start();
    let mut call = Call::plain(&rtpe, "no-inject").await;
    let (c, id) = (call.client.clone(), call.id.clone());
    let five = 5u8;

    assert_nothing_to_inject_into(&c, &id, five, &PlayDtmfOptions::new()).await;
    // With media flowing every release says ok and logs the injection, but without
    // `inject DTMF` the call is passed through and no event reaches B.
    call.a.audio(5, PT_PCMU, 0x11).await;
    c.play_dtmf(&id, &tag("tagA"), five, &PlayDtmfOptions::new())
        .await
        .unwrap();
    logged(&rtpe, "Injecting RFC DTMF event #5", 1);
    call.a.audio(30, PT_PCMU, 0x11).await;
    let got = call.b.rtp_from(call.b.to).await;
    assert_eq!(count_pt(&got, PT_PCMU), 35);
    assert!(events(&got).is_empty(), "{:?}", events(&got));
}

// ---------------------------------------------------------------------------------------------
// Selection errors

#[tokio::test]
async fn selection_errors_come_back_as_rtpengine_errors() {
    let rtpe = start();
    let call = Call::plain(&rtpe, "select").await;
    let (c, id) = (call.client.clone(), call.id.clone());
    let media = MediaOptions::new();

    let err = c.block_media(&id, &tag("nope"), &media).await.unwrap_err();
    assert_eq!(
        rtpengine_reason(err),
        "From-tag given, but no such tag exists"
    );
    let err = c
        .block_dtmf(
            &id,
            &Selector::Label("nope".into()),
            &BlockDtmfOptions::new(),
        )
        .await
        .unwrap_err();
    assert_eq!(
        rtpengine_reason(err),
        "No monologue matching the given label"
    );
    let err = c
        .silence_media(
            &id,
            &Selector::Address("192.0.2.99".parse().unwrap()),
            &media,
        )
        .await
        .unwrap_err();
    assert_eq!(rtpengine_reason(err), "Failed to match address to any tag");
    let err = c.stop_media(&id, &tag("nope")).await.unwrap_err();
    assert_eq!(
        rtpengine_reason(err),
        "From-tag given, but no such tag exists"
    );

    // Unknown calls (note the two spellings).
    let err = c
        .start_forwarding("no-such-call", &Selector::Call, &media)
        .await
        .unwrap_err();
    assert_eq!(rtpengine_reason(err), "Unknown call-ID");
    let err = c
        .play_dtmf("no-such-call", &Selector::All, '1', &PlayDtmfOptions::new())
        .await
        .unwrap_err();
    assert_eq!(rtpengine_reason(err), "Unknown call-ID");
    let err = c
        .start_recording("no-such-call", &RecordingOptions::new())
        .await
        .unwrap_err();
    assert_eq!(rtpengine_reason(err), "Unknown call-id");
    // Recording ignores an unknown from-tag (it only says where metadata goes).
    c.stop_recording(&id, &RecordingOptions::new().from_tag("nope"))
        .await
        .unwrap();
    assert_log(&rtpe, "Given from-tag", 1);
}
