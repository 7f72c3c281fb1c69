//! End-to-end tests of `rtpe`'s call-control, publish/subscribe and newer subcommands.
//!
//! Against the real rtpengine daemon (10.5) wherever it can serve: a call is set up through
//! `rtpe offer`/`rtpe answer` between two local UDP "phones", and each command's effect is
//! checked on real RTP (packets dropped, silenced, played, injected), in the daemon's log, or in
//! its recording spool. Commands newer than 10.5 are checked twice: against 10.5 (refused before
//! sending with `--rtpengine-version 10.5`, refused by the daemon otherwise) and against a
//! scripted fake server (the exact request sent, and how the reply is printed). Each test shares
//! one daemon between the steps that do not need isolation. The tests fail, never skip, when
//! rtpengine is not installed.

mod common;

use std::collections::HashSet;
use std::net::{SocketAddr, UdpSocket};
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use common::{assert_exit, run, stderr, stdout};
use rtpengine_client::bencode::{decode, Value};
use rtpengine_testkit::rtp::{
    parse_rtp, rtp_packet, sdp_audio, sdp_connection_addr, sdp_media_port,
};
use rtpengine_testkit::{FakeAction, FakeNg, FakeRequest, Rtpengine};
use serde_json::json;

const PT_PCMU: u8 = 0;
const PT_PCMA: u8 = 8;
/// RFC 4733 telephone-event, as in the testkit's SDP.
const PT_EVENT: u8 = 101;
/// Samples per 20 ms packet at 8 kHz.
const SAMPLES: u32 = 160;
/// How long a socket must stay quiet before a burst counts as received.
const QUIET: Duration = Duration::from_millis(150);
/// How long to wait for a log line.
const WAIT: Duration = Duration::from_secs(3);

// ---------------------------------------------------------------------------------------------
// Running rtpe

/// Runs rtpe, asserts success and returns stdout.
#[track_caller]
fn ok(server: &str, args: &[&str]) -> String {
    let out = run(server, args);
    assert_exit(&out, 0);
    stdout(&out)
}

/// Runs rtpe with `--json`, asserts success and parses stdout.
#[track_caller]
fn ok_json(server: &str, args: &[&str]) -> serde_json::Value {
    let mut argv = vec!["--json"];
    argv.extend_from_slice(args);
    let text = ok(server, &argv);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// The `name: value` line of stderr.
#[track_caller]
fn stderr_field(out: &Output, name: &str) -> String {
    let err = stderr(out);
    err.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}: ")))
        .unwrap_or_else(|| panic!("no '{name}: ' line on stderr:\n{err}"))
        .to_owned()
}

fn daemon(args: &[String]) -> Rtpengine {
    Rtpengine::builder()
        .args(args.iter().cloned())
        .start()
        .expect("start rtpengine (these tests need the real daemon)")
}

/// Asserts `needle` is (or, within [`WAIT`], comes to be) in the log `n` times.
#[track_caller]
fn logged(rtpe: &Rtpengine, needle: &str, n: usize) {
    assert!(
        rtpe.wait_for_log(needle, n, WAIT),
        "{n} x {needle:?} expected in the log:\n{}",
        rtpe.log_tail(30)
    );
    assert_eq!(rtpe.log_count(needle), n, "{needle}");
}

/// A temporary directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "rtpe-cmd-{name}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    /// The files below `sub` whose names start with `prefix`.
    fn files(&self, sub: &str, prefix: &str) -> Vec<PathBuf> {
        let Ok(entries) = std::fs::read_dir(self.0.join(sub)) else {
            return Vec::new();
        };
        entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix))
            .collect()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

// ---------------------------------------------------------------------------------------------
// Phones and calls

/// Where the SDP tells its receiver to send media.
fn media_target(sdp: &str) -> SocketAddr {
    let addr = sdp_connection_addr(sdp).unwrap_or_else(|| panic!("no c= line:\n{sdp}"));
    let port = sdp_media_port(sdp).unwrap_or_else(|| panic!("no m=audio line:\n{sdp}"));
    SocketAddr::new(addr.parse().unwrap(), port)
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
    fn bind() -> UdpSocket {
        UdpSocket::bind("127.0.0.1:0").unwrap()
    }

    fn port(sock: &UdpSocket) -> u16 {
        sock.local_addr().unwrap().port()
    }

    /// Sends `n` audio packets of payload type `pt` filled with `byte`, paced at 5 ms.
    fn audio(&mut self, n: usize, pt: u8, byte: u8) {
        for _ in 0..n {
            let packet = rtp_packet(self.seq, self.ts, self.ssrc, pt, &[byte; SAMPLES as usize]);
            self.sock.send_to(&packet, self.to).expect("send RTP");
            self.seq = self.seq.wrapping_add(1);
            self.ts = self.ts.wrapping_add(SAMPLES);
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Sends one RFC 4733 event: three packets while it lasts, then three end packets.
    fn event(&mut self, event: u8) {
        let start = self.ts;
        for i in 0..6u32 {
            let end = i >= 3;
            let duration = (SAMPLES * (i.min(3) + 1)) as u16;
            let mut payload = vec![event, if end { 0x80 | 10 } else { 10 }];
            payload.extend_from_slice(&duration.to_be_bytes());
            let mut packet = rtp_packet(self.seq, start, self.ssrc, PT_EVENT, &payload);
            if i == 0 {
                packet[1] |= 0x80;
            }
            self.sock.send_to(&packet, self.to).expect("send RTP");
            self.seq = self.seq.wrapping_add(1);
            std::thread::sleep(Duration::from_millis(5));
        }
        self.ts = self.ts.wrapping_add(SAMPLES * 4);
    }

    /// The RTP packets that arrive until the socket stays quiet for [`QUIET`] (at most 3 s),
    /// checking they come from rtpengine's port for this phone.
    fn rtp(&self) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        let mut buf = vec![0u8; 2048];
        self.sock.set_read_timeout(Some(QUIET)).unwrap();
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            match self.sock.recv_from(&mut buf) {
                Ok((len, from)) => {
                    assert_eq!(from, self.to, "RTP must come from rtpengine's port");
                    assert!(parse_rtp(&buf[..len]).is_some(), "not RTP");
                    out.push(buf[..len].to_vec());
                }
                Err(_) => break,
            }
        }
        out
    }

    /// The first `n` RTP packets (within 3 s).
    fn first(&self, n: usize) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        let mut buf = vec![0u8; 2048];
        self.sock
            .set_read_timeout(Some(Duration::from_millis(500)))
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(3);
        while out.len() < n && Instant::now() < deadline {
            if let Ok((len, from)) = self.sock.recv_from(&mut buf) {
                assert_eq!(from, self.to);
                out.push(buf[..len].to_vec());
            }
        }
        out
    }
}

fn pt_of(packet: &[u8]) -> u8 {
    packet[1] & 0x7f
}

fn count_pt(packets: &[Vec<u8>], pt: u8) -> usize {
    packets.iter().filter(|p| pt_of(p) == pt).count()
}

/// The RFC 4733 events among `packets`.
fn events(packets: &[Vec<u8>]) -> Vec<u8> {
    packets
        .iter()
        .filter(|p| pt_of(p) == PT_EVENT)
        .map(|p| p[12])
        .collect()
}

/// A call set up with `rtpe offer` (from A, tag `A`) and `rtpe answer` (from B, tag `B`).
struct Call {
    url: String,
    id: String,
    a: Phone,
    b: Phone,
}

impl Call {
    fn new(rtpe: &Rtpengine, id: &str, options: &[&str]) -> Self {
        let url = rtpe.udp_url();
        let (a, b) = (Phone::bind(), Phone::bind());
        let offer_sdp = sdp_audio("127.0.0.1", Phone::port(&a), 1);
        let mut args = vec![
            "offer",
            "--call-id",
            id,
            "--from-tag",
            "A",
            "--sdp",
            &offer_sdp,
        ];
        args.extend_from_slice(options);
        let offered = ok(&url, &args);
        let answer_sdp = sdp_audio("127.0.0.1", Phone::port(&b), 2);
        let mut args = vec![
            "answer",
            "--call-id",
            id,
            "--from-tag",
            "A",
            "--to-tag",
            "B",
            "--sdp",
            &answer_sdp,
        ];
        args.extend_from_slice(options);
        let answered = ok(&url, &args);
        Self {
            url,
            id: id.to_owned(),
            a: Phone {
                sock: a,
                to: media_target(&answered),
                ssrc: 0x1111_aaaa,
                seq: 1000,
                ts: 8000,
            },
            b: Phone {
                sock: b,
                to: media_target(&offered),
                ssrc: 0x2222_bbbb,
                seq: 5000,
                ts: 16000,
            },
        }
    }

    /// Runs `rtpe COMMAND --call-id ID ARGS…` and asserts success; returns stdout.
    #[track_caller]
    fn cmd(&self, command: &str, args: &[&str]) -> String {
        let mut argv = vec![command, "--call-id", &self.id];
        argv.extend_from_slice(args);
        ok(&self.url, &argv)
    }

    /// A sends `n` PCMU packets; returns what B receives.
    fn a_to_b(&mut self, n: usize, byte: u8) -> Vec<Vec<u8>> {
        self.a.audio(n, PT_PCMU, byte);
        self.b.rtp()
    }

    /// B sends `n` PCMU packets; returns what A receives.
    fn b_to_a(&mut self, n: usize, byte: u8) -> Vec<Vec<u8>> {
        self.b.audio(n, PT_PCMU, byte);
        self.a.rtp()
    }
}

/// An 8 kHz mono 16-bit PCM WAV file holding `seconds` of a 440 Hz tone.
fn wav(seconds: u32) -> Vec<u8> {
    let samples = 8000 * seconds;
    let data_len = samples * 2;
    let mut out = Vec::with_capacity(44 + data_len as usize);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&8000u32.to_le_bytes());
    out.extend_from_slice(&16000u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for i in 0..samples {
        let t = f64::from(i) / 8000.0;
        let s = (8000.0 * (2.0 * std::f64::consts::PI * 440.0 * t).sin()) as i16;
        out.extend_from_slice(&s.to_le_bytes());
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Blocking and silencing

#[test]
fn block_silence_and_dtmf_blocking_act_on_real_media() {
    let rtpe = daemon(&["--log-level=7".to_owned()]);
    let mut call = Call::new(&rtpe, "blocking", &[]);
    assert_eq!(call.a_to_b(5, 0x11).len(), 5, "media flows at first");
    assert_eq!(call.b_to_a(5, 0x22).len(), 5);

    // block-media --from-tag A: A's media no longer reaches B; B's still reaches A.
    assert_eq!(call.cmd("block-media", &["--from-tag", "A"]), "");
    logged(&rtpe, "Blocking directional media (tag 'A')", 1);
    assert!(call.a_to_b(5, 0x11).is_empty(), "A is blocked");
    assert_eq!(call.b_to_a(5, 0x22).len(), 5, "B is not");
    // unblock-media --all (rtpengine's own spelling) clears the per-party block.
    assert_eq!(call.cmd("unblock media", &["--all"]), "");
    let got = call.a_to_b(5, 0x11);
    let seqs: Vec<u16> = got.iter().map(|p| parse_rtp(p).unwrap().seq).collect();
    assert_eq!(
        seqs,
        (1010..1015).collect::<Vec<u16>>(),
        "A flows again: the packets sent after unblocking"
    );

    // silence-media --from-tag A: packets keep flowing with silent payload (PCMU 0xFF, PCMA
    // 0xD5); the other direction is untouched.
    assert_eq!(call.cmd("silence-media", &["--from-tag", "A"]), "");
    logged(&rtpe, "Silencing directional media (tag 'A')", 1);
    let got = call.a_to_b(5, 0x11);
    assert_eq!(got.len(), 5);
    assert!(got.iter().all(|p| p[12..].iter().all(|&x| x == 0xff)));
    call.a.audio(3, PT_PCMA, 0x11);
    let got = call.b.rtp();
    assert_eq!(count_pt(&got, PT_PCMA), 3);
    assert!(got.iter().all(|p| p[12..].iter().all(|&x| x == 0xd5)));
    let back = call.b_to_a(3, 0x22);
    assert!(back.len() == 3 && back.iter().all(|p| p[12..].iter().all(|&x| x == 0x22)));
    assert_eq!(call.cmd("unsilence-media", &["--from-tag", "A"]), "");
    let got = call.a_to_b(3, 0x11);
    assert!(got.len() == 3 && got.iter().all(|p| p[12..].iter().all(|&x| x == 0x11)));

    // block-dtmf --from-tag A: A's telephone events are dropped, its audio is not.
    let send = |phone: &mut Phone, event: u8| {
        phone.audio(3, PT_PCMU, 0x11);
        phone.event(event);
        phone.audio(3, PT_PCMU, 0x11);
    };
    send(&mut call.a, 5);
    let got = call.b.rtp();
    assert_eq!((count_pt(&got, PT_PCMU), count_pt(&got, PT_EVENT)), (6, 6));
    assert_eq!(call.cmd("block-dtmf", &["--from-tag", "A"]), "");
    logged(&rtpe, "Blocking directional DTMF (tag 'A')", 1);
    send(&mut call.a, 6);
    let got = call.b.rtp();
    assert_eq!((count_pt(&got, PT_PCMU), count_pt(&got, PT_EVENT)), (6, 0));
    send(&mut call.b, 7);
    assert_eq!(
        count_pt(&call.a.rtp(), PT_EVENT),
        6,
        "B's events still pass"
    );
    assert_eq!(call.cmd("unblock DTMF", &["--from-tag", "A"]), "");
    send(&mut call.a, 8);
    assert_eq!(events(&call.b.rtp()), [8; 6], "A's events pass again");

    // Forwarding is accepted (there is no recording daemon to forward to).
    assert_eq!(call.cmd("start-forwarding", &["--from-tag", "A"]), "");
    assert_eq!(call.cmd("stop-forwarding", &[]), "");
    logged(&rtpe, "Received command 'start forwarding'", 1);
    logged(&rtpe, "Received command 'stop forwarding'", 1);

    // rtpengine's selection errors exit 1.
    for (args, reason) in [
        (
            &["block-media", "--from-tag", "nope"][..],
            "From-tag given, but no such tag exists",
        ),
        (
            &["block-dtmf", "--label", "nope"],
            "No monologue matching the given label",
        ),
        (
            &["silence-media", "--address", "192.0.2.99"],
            "Failed to match address to any tag",
        ),
    ] {
        let mut argv = args.to_vec();
        argv.extend_from_slice(&["--call-id", &call.id]);
        let out = run(&call.url, &argv);
        assert_exit(&out, 1);
        assert_eq!(stderr(&out), format!("error: rtpengine: {reason}\n"));
        assert_eq!(stdout(&out), "");
    }
}

#[test]
fn json_prints_the_whole_reply_of_each_kind() {
    let rtpe = daemon(&[]);
    let _call = Call::new(&rtpe, "json", &[]);
    let url = rtpe.udp_url();

    // A plain acknowledgement.
    let ack = ok_json(&url, &["block-media", "--call-id", "json", "--all"]);
    assert_eq!(ack, json!({"result": "ok"}));
    let ack = ok_json(&url, &["unblock-media", "--call-id", "json", "--all"]);
    assert_eq!(ack["result"], "ok");

    // play media (with its duration).
    let dir = TempDir::new("json");
    let file = dir.0.join("tone.wav");
    std::fs::write(&file, wav(1)).unwrap();
    let played = ok_json(
        &url,
        &[
            "play-media",
            "--call-id",
            "json",
            "--from-tag",
            "B",
            "--file",
            file.to_str().unwrap(),
        ],
    );
    assert_eq!(played["result"], "ok");
    assert_eq!(played["duration"], 1000);
    let stopped = ok_json(
        &url,
        &["stop-media", "--call-id", "json", "--from-tag", "B"],
    );
    assert_eq!(stopped["result"], "ok");

    // publish and subscribe request (with their SDPs).
    let sdp = sdp_audio("127.0.0.1", 41_000, 7).replace("a=sendrecv", "a=sendonly");
    let published = ok_json(
        &url,
        &[
            "publish",
            "--call-id",
            "json-pub",
            "--from-tag",
            "P",
            "--sdp",
            &sdp,
        ],
    );
    assert_eq!(published["result"], "ok");
    assert!(published["sdp"].as_str().unwrap().contains("a=recvonly"));
    let sub = ok_json(
        &url,
        &[
            "subscribe-request",
            "--call-id",
            "json-pub",
            "--from-tag",
            "P",
            "--to-tag",
            "S",
        ],
    );
    assert_eq!(sub["to-tag"], "S");
    assert!(sub["sdp"].as_str().unwrap().contains("a=sendonly"));
    assert_eq!(sub["from-tags"], json!(["P"]));

    // version: the whole version, and how it was found (10.5 refuses `cli`, so the SDP
    // session name of a publish probe).
    let (a, b, c, d) = rtpe.version_numbers().expect("the daemon's version");
    let version = ok_json(&url, &["version"]);
    assert_eq!(version["version"], format!("{a}.{b}.{c}.{d}"));
    let source = version["source"].as_str().unwrap();
    assert!(source.starts_with("s=rtpengine-"), "{source}");
}

// ---------------------------------------------------------------------------------------------
// Playback

#[test]
fn play_media_stop_media_and_play_dtmf() {
    let dir = TempDir::new("play");
    let file = dir.0.join("tone.wav");
    std::fs::write(&file, wav(1)).unwrap();
    let file = file.to_str().unwrap();
    let rtpe = daemon(&["--log-level=7".to_owned()]);
    let mut call = Call::new(&rtpe, "play", &["--inject-DTMF"]);

    // play-media to B: prints the file's duration; B hears it as RTP (PCMU, 20 ms, a tone).
    let out = call.cmd(
        "play-media",
        &["--from-tag", "B", "--file", file, "--repeat-times", "10"],
    );
    assert_eq!(out, "duration: 1000 ms\n");
    let heard = call.b.first(10);
    assert_eq!(heard.len(), 10, "B receives the file as RTP");
    for p in &heard {
        let h = parse_rtp(p).unwrap();
        assert_eq!((h.payload_type, h.payload_len), (PT_PCMU, 160));
    }
    let distinct: HashSet<u8> = heard.iter().flat_map(|p| p[12..].to_vec()).collect();
    assert!(distinct.len() > 20, "a tone, not silence");

    // stop-media ends it (10.5 reports no frame position: nothing printed).
    assert_eq!(call.cmd("stop media", &["--from-tag", "B"]), "");
    call.b.rtp(); // what was in flight
    std::thread::sleep(Duration::from_millis(300));
    assert!(call.b.rtp().is_empty(), "playback stopped");
    // Nothing plays to A: rtpengine's error.
    let out = run(
        &call.url,
        &["stop-media", "--call-id", "play", "--from-tag", "A"],
    );
    assert_exit(&out, 1);
    assert_eq!(
        stderr(&out),
        "error: rtpengine: Not currently playing media\n"
    );

    // A blob read from a local file, to every party.
    let out = call.cmd("play-media", &["--all", "--blob-file", file]);
    assert_eq!(out, "duration: 1000 ms\n");
    assert!(call.b.first(5).len() == 5 && call.a.first(5).len() == 5);
    call.cmd("stop-media", &["--all"]);
    std::thread::sleep(Duration::from_millis(100));
    call.a.rtp();
    call.b.rtp();

    // play-dtmf --code 5: once A sends media, B receives telephone events 5 in A's stream.
    call.a.audio(5, PT_PCMU, 0x11);
    call.b.rtp();
    assert_eq!(
        call.cmd(
            "play-dtmf",
            &["--from-tag", "A", "--code", "5", "--volume", "-10"]
        ),
        ""
    );
    logged(
        &rtpe,
        "Injecting RFC DTMF event #5 for 250 ms (vol -10) from 'A'",
        1,
    );
    call.a.audio(30, PT_PCMU, 0x11);
    let got = call.b.rtp();
    let ev = events(&got);
    assert!(ev.len() >= 5, "telephone events at B: {ev:?}");
    assert!(ev.iter().all(|&e| e == 5), "{ev:?}");
    // `play DTMF` with --digit and a character.
    call.cmd("play DTMF", &["--from-tag", "A", "--digit", "#"]);
    logged(&rtpe, "Injecting RFC DTMF event #11", 1);

    // Refused before sending: nobody selected, a code that is no DTMF event.
    let sent = rtpe.log_count("Received command 'play DTMF'");
    for args in [
        &["play-dtmf", "--call-id", "play", "--code", "5"][..],
        &["play-dtmf", "--call-id", "play", "--all", "--code", "16"],
        &["play-media", "--call-id", "play", "--file", file],
    ] {
        let out = run(&call.url, args);
        assert_exit(&out, 2);
        assert!(stderr(&out).starts_with("error: "), "{}", stderr(&out));
    }
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(rtpe.log_count("Received command 'play DTMF'"), sent);
}

// ---------------------------------------------------------------------------------------------
// Recording

#[test]
fn recording_commands_and_pause_recording_on_10_5() {
    let spool = TempDir::new("rec");
    let rtpe = daemon(&[
        format!("--recording-dir={}", spool.0.display()),
        "--recording-method=pcap".to_owned(),
    ]);
    let mut call = Call::new(&rtpe, "rec", &[]);
    assert!(spool.files("pcaps", "rec").is_empty());

    assert_eq!(
        call.cmd("start-recording", &["--metadata", "customer:42"]),
        ""
    );
    logged(&rtpe, "Received command 'start recording'", 1);
    logged(&rtpe, "Turning on call recording.", 1);
    let pcaps = spool.files("pcaps", "rec");
    assert_eq!(pcaps.len(), 1, "one pcap file for the call");
    assert_eq!(call.a_to_b(10, 0x11).len(), 10);
    let ack = ok_json(
        &call.url,
        &[
            "stop recording",
            "--call-id",
            "rec",
            "--from-tag",
            "A",
            "--metadata",
            "customer:42|result:done",
        ],
    );
    assert_eq!(ack["result"], "ok");
    logged(&rtpe, "Turning off call recording.", 1);
    let size = std::fs::metadata(&pcaps[0]).unwrap().len();
    assert!(size > 24 + 10 * 172, "the pcap holds the packets: {size}");

    // pause recording is 11.3: refused for a 10.5 target, nothing sent…
    let out = run(
        &call.url,
        &[
            "--rtpengine-version",
            "10.5",
            "pause-recording",
            "--call-id",
            "rec",
        ],
    );
    assert_exit(&out, 2);
    let err = stderr(&out);
    assert!(
        err.contains("'pause recording'") && err.contains("11.3"),
        "{err}"
    );
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(rtpe.log_count("pause recording"), 0);
    // …and unknown to 10.5 when sent.
    let out = run(&call.url, &["pause recording", "--call-id", "rec"]);
    assert_exit(&out, 1);
    assert_eq!(stderr(&out), "error: rtpengine: Unrecognized command\n");
    logged(
        &rtpe,
        "Unrecognized command [d7:command15:pause recording",
        1,
    );
    // --pause belongs to stop-recording only: refused before sending.
    let out = run(
        &call.url,
        &["start-recording", "--call-id", "rec", "--pause"],
    );
    assert_exit(&out, 2);
}

// ---------------------------------------------------------------------------------------------
// Publish / subscribe

/// Sends RTP from `from` to `to` until a packet arrives at `sink` from `source`; panics after
/// 50 packets.
fn send_until_received(from: &UdpSocket, to: SocketAddr, sink: &UdpSocket, source: SocketAddr) {
    sink.set_read_timeout(Some(Duration::from_millis(40)))
        .unwrap();
    let mut buf = [0u8; 2048];
    for seq in 0..50u16 {
        let pkt = rtp_packet(seq, u32::from(seq) * 160, 0x5eed_0001, 0, &[0xff; 160]);
        from.send_to(&pkt, to).unwrap();
        if let Ok((n, src)) = sink.recv_from(&mut buf) {
            assert_eq!(src, source, "media comes from the subscription's port");
            assert_eq!(parse_rtp(&buf[..n]).unwrap().ssrc, 0x5eed_0001);
            return;
        }
    }
    panic!("no RTP reached the subscriber after 50 packets");
}

#[test]
fn publish_subscribe_and_unsubscribe() {
    let rtpe = daemon(&[]);
    let url = rtpe.udp_url();
    let (publisher, subscriber) = (Phone::bind(), Phone::bind());

    // publish: only the recvonly SDP rtpengine generated, on stdout.
    let offered =
        sdp_audio("127.0.0.1", Phone::port(&publisher), 1).replace("a=sendrecv", "a=sendonly");
    let out = run(
        &url,
        &[
            "publish",
            "--call-id",
            "ps",
            "--from-tag",
            "pub",
            "--sdp",
            &offered,
        ],
    );
    assert_exit(&out, 0);
    let answer = stdout(&out);
    assert!(answer.starts_with("v=0\r\n"), "{answer}");
    assert!(answer.contains("\r\na=recvonly\r\n"), "{answer}");
    assert!(answer.contains("\r\ns=rtpengine-"), "generated: {answer}");
    assert_eq!(stderr(&out), "", "10.5 echoes no call-id");
    let publish_to = media_target(&answer);

    // subscribe-request --from-tag: the sendonly SDP on stdout, the generated to-tag on stderr.
    let out = run(
        &url,
        &["subscribe-request", "--call-id", "ps", "--from-tag", "pub"],
    );
    assert_exit(&out, 0);
    let offer = stdout(&out);
    assert!(offer.starts_with("v=0\r\n"), "{offer}");
    assert!(offer.contains("\r\na=sendonly\r\n"), "{offer}");
    let to_tag = stderr_field(&out, "to-tag");
    assert!(to_tag.len() >= 16, "a generated tag: {to_tag}");
    assert_eq!(stderr_field(&out, "from-tag"), "pub");
    let sub_source = media_target(&offer);

    // subscribe-answer with the subscriber's SDP: media then flows to it.
    let sub_sdp = sdp_audio("127.0.0.1", Phone::port(&subscriber), 2)
        .replace("a=sendrecv", "a=recvonly")
        .replace("RTP/AVP 0 8 101", "RTP/AVP 0");
    let out = run(
        &url,
        &[
            "subscribe answer",
            "--call-id",
            "ps",
            "--to-tag",
            &to_tag,
            "--sdp",
            &sub_sdp,
        ],
    );
    assert_exit(&out, 0);
    assert_eq!((stdout(&out), stderr(&out)), (String::new(), String::new()));
    send_until_received(&publisher, publish_to, &subscriber, sub_source);

    // unsubscribe: the copy stops.
    assert_eq!(
        ok(
            &url,
            &["unsubscribe", "--call-id", "ps", "--to-tag", &to_tag]
        ),
        ""
    );
    let mut buf = [0u8; 2048];
    subscriber
        .set_read_timeout(Some(Duration::from_millis(10)))
        .unwrap();
    while subscriber.recv_from(&mut buf).is_ok() {}
    for seq in 100..110u16 {
        let pkt = rtp_packet(seq, u32::from(seq) * 160, 0x5eed_0001, 0, &[0xff; 160]);
        publisher.send_to(&pkt, publish_to).unwrap();
        std::thread::sleep(Duration::from_millis(20));
    }
    subscriber
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    assert!(
        subscriber.recv_from(&mut buf).is_err(),
        "the subscriber still receives media"
    );

    // Several sources by tag, and a label: the subscriber's tag as asked.
    let out = run(
        &url,
        &[
            "subscribe-request",
            "--call-id",
            "ps",
            "--from-tags",
            "pub",
            "--to-tag",
            "sub2",
            "--set-label",
            "second",
        ],
    );
    assert_exit(&out, 0);
    assert_eq!(stderr_field(&out, "to-tag"), "sub2");
    logged(&rtpe, "Received command 'subscribe request'", 2);
    // A source selection is required.
    let out = run(&url, &["subscribe-request", "--call-id", "ps"]);
    assert_exit(&out, 2);
}

// ---------------------------------------------------------------------------------------------
// version and the commands newer than 10.5, against 10.5

/// The arguments of each newer command (valid requests).
fn newer_commands(sdp: &str) -> Vec<(&'static str, &'static str, Vec<String>)> {
    let s = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
    let media = r#"[{"type":"audio","codec":[{"input":{"codec":"PCMA","payload type":8,"clock rate":8000,"channels":1},"output":{"codec":"PCMU","payload type":0,"clock rate":8000,"channels":1}}],"destination":{"address":"127.0.0.1","port":4444}}]"#;
    vec![
        (
            "connect",
            "13.2",
            s(&[
                "connect",
                "--call-id",
                "c",
                "--from-tag",
                "A",
                "--to-tag",
                "B",
            ]),
        ),
        ("cli", "13.2", s(&["cli", "list", "numsessions"])),
        (
            "transform",
            "13.3",
            s(&["transform", "--media-json", media]),
        ),
        (
            "inject start",
            "26.0",
            s(&[
                "inject-start",
                "--call-id",
                "c",
                "--to-tag",
                "B",
                "--source-tag",
                "A",
            ]),
        ),
        (
            "inject stop",
            "26.0",
            s(&[
                "inject stop",
                "--call-id",
                "c",
                "--to-tag",
                "B",
                "--source-tag",
                "A",
            ]),
        ),
        ("create", "26.0", s(&["create", "--media", "audio:PCMA"])),
        (
            "create answer",
            "26.0",
            s(&[
                "create-answer",
                "--call-id",
                "c",
                "--from-tag",
                "A",
                "--sdp",
                sdp,
            ]),
        ),
        (
            "mesh",
            "26.1",
            s(&["mesh", "--call-id", "c", "--call-id", "d"]),
        ),
    ]
}

#[test]
fn version_and_newer_commands_against_10_5() {
    let rtpe = daemon(&[]);
    let url = rtpe.udp_url();
    let out = run(&url, &["version"]);
    assert_exit(&out, 0);
    // The whole version (10.5.3.5 for Debian 12's package), and how it was found.
    let (a, b, c, d) = rtpe.version_numbers().expect("the daemon's version");
    assert_eq!(stdout(&out), format!("{a}.{b}.{c}.{d}\n"));
    assert!(
        stderr(&out).contains("found from the SDP session name 's=rtpengine-10-5"),
        "{}",
        stderr(&out)
    );

    let sdp = sdp_audio("127.0.0.1", 40_000, 1);
    for (command, since, args) in newer_commands(&sdp) {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        // Told the daemon is 10.5: refused before sending, naming the command and its release.
        let mut gated = vec!["--rtpengine-version", "10.5"];
        gated.extend_from_slice(&args);
        let out = run(&url, &gated);
        assert_exit(&out, 2);
        let err = stderr(&out);
        assert!(
            err.contains(&format!("'{command}'")) && err.contains(since),
            "{command}: {err}"
        );
        assert_eq!(stdout(&out), "");
        // Sent: 10.5 does not know the command.
        let out = run(&url, &args);
        assert_exit(&out, 1);
        assert_eq!(
            stderr(&out),
            "error: rtpengine: Unrecognized command\n",
            "{command}"
        );
    }
    // Only the ungated ones reached the daemon (the version probe sent one `cli`).
    let sent = rtpe.log_count("Unrecognized command [d7:command");
    assert_eq!(
        sent,
        1 + newer_commands(&sdp).len(),
        "{}",
        rtpe.log_tail(30)
    );
    assert_eq!(rtpe.log_count("d7:command7:connect"), 1);
    assert_eq!(rtpe.log_count("d7:command4:mesh"), 1);
}

// ---------------------------------------------------------------------------------------------
// The newer commands against a fake newer daemon: what is sent, how the reply is printed

/// The request body as JSON (byte strings as strings).
fn body_json(req: &FakeRequest) -> serde_json::Value {
    fn conv(v: &Value) -> serde_json::Value {
        match v {
            Value::Int(i) => json!(i),
            Value::Bytes(b) => json!(String::from_utf8_lossy(b)),
            Value::List(items) => serde_json::Value::Array(items.iter().map(conv).collect()),
            Value::Dict(d) => serde_json::Value::Object(
                d.iter()
                    .map(|(k, v)| (String::from_utf8_lossy(k).into_owned(), conv(v)))
                    .collect(),
            ),
        }
    }
    conv(&decode(&req.body).expect("bencode").to_owned_value())
}

/// A bencoded reply dictionary from JSON-like entries.
fn reply(entries: &[(&str, Value)]) -> FakeAction {
    let mut d = rtpengine_client::bencode::Dict::new();
    for (k, v) in entries {
        d.push(k.to_string(), v.clone());
    }
    d.push("result", "ok");
    FakeAction::Reply(rtpengine_client::bencode::encode(&Value::Dict(d)).into())
}

/// What a 26.1 daemon answers.
fn newer_daemon(req: &FakeRequest) -> Vec<FakeAction> {
    let sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=rtpengine\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 30000 RTP/AVP 8\r\n";
    let action = if req.is_command("cli") {
        reply(&[("response", Value::str("sessions: 3"))])
    } else if req.is_command("transform") {
        let mut m = rtpengine_client::bencode::Dict::new();
        m.push("id", "a1");
        m.push("family", "IP4");
        m.push("address", "127.0.0.1");
        m.push("port", 30_002i64);
        reply(&[
            ("call-id", Value::str("gen-call")),
            ("from-tag", Value::str("gen-tag")),
            ("media", Value::List(vec![Value::Dict(m)])),
        ])
    } else if req.is_command("create") {
        reply(&[
            ("call-id", Value::str("gen-call")),
            ("from-tag", Value::str("gen-tag")),
            ("sdp", Value::str(sdp)),
        ])
    } else if req.is_command("publish") {
        reply(&[
            ("sdp", Value::str(sdp)),
            ("call-id", Value::str("gen-call")),
            ("from-tag", Value::str("gen-tag")),
        ])
    } else {
        reply(&[("warning", Value::str("just so"))])
    };
    vec![action]
}

#[test]
fn newer_commands_send_typed_requests_and_print_their_replies() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let fake = runtime.block_on(FakeNg::start(newer_daemon)).unwrap();
    let url = fake.url();
    let last = || body_json(fake.received().last().expect("a request"));

    // cli: the words joined; the response printed.
    assert_eq!(ok(&url, &["cli", "list", "numsessions"]), "sessions: 3\n");
    assert_eq!(
        last(),
        json!({"command": "cli", "body": "list numsessions"})
    );
    let reply = ok_json(&url, &["CLI", "list", "totals"]);
    assert_eq!(reply["response"], "sessions: 3");

    // connect: keys and flags; a warning goes to stderr.
    let out = run(
        &url,
        &[
            "connect",
            "--call-id",
            "c1",
            "--to-tag",
            "B",
            "--from-tags",
            "A",
            "--from-tags",
            "C",
            "--directional",
            "--to-call-id",
            "c2",
        ],
    );
    assert_exit(&out, 0);
    assert_eq!(stdout(&out), "");
    assert_eq!(stderr(&out), "warning: just so\n");
    assert_eq!(
        last(),
        json!({"command": "connect", "call-id": "c1", "to-tag": "B", "to-call-id": "c2",
               "from-tags": ["A", "C"], "flags": ["directional"]})
    );

    // transform: the media list from JSON; where to send each media on stdout.
    let media = r#"{"id":"a1","type":"audio","codec":[{"input":{"codec":"G729","payload type":18,"clock rate":8000,"channels":1,"format":"annexb=no"},"output":{"codec":"PCMA","payload type":8,"clock rate":8000,"channels":1}}],"destination":{"address":"127.0.0.1","port":4444}}"#;
    let out = run(
        &url,
        &["transform", "--media-json", media, "--instance", "i1"],
    );
    assert_exit(&out, 0);
    assert_eq!(stdout(&out), "media a1: 127.0.0.1:30002\n");
    assert_eq!(stderr(&out), "call-id: gen-call\nfrom-tag: gen-tag\n");
    assert_eq!(
        last(),
        json!({"command": "transform", "instance": "i1", "media": [{
            "id": "a1", "type": "audio",
            "codec": [{"input": {"codec": "G729", "payload type": 18, "clock rate": 8000,
                                 "channels": 1, "format": "annexb=no"},
                       "output": {"codec": "PCMA", "payload type": 8, "clock rate": 8000,
                                  "channels": 1}}],
            "destination": {"family": "IP4", "address": "127.0.0.1", "port": 4444}}]})
    );
    let bad = run(
        &url,
        &["transform", "--media-json", r#"[{"type":"audio"}]"#],
    );
    assert_exit(&bad, 2);

    // inject start / stop.
    ok(
        &url,
        &[
            "inject start",
            "--call-id",
            "c1",
            "--to-tag",
            "B",
            "--source-tag",
            "A",
            "--source-call-id",
            "c0",
        ],
    );
    assert_eq!(
        last(),
        json!({"command": "inject start", "call-id": "c1", "to-tag": "B", "source-tag": "A",
               "source-call-id": "c0"})
    );
    ok(
        &url,
        &[
            "inject-stop",
            "--call-id",
            "c1",
            "--to-tag",
            "B",
            "--source-tag",
            "A",
        ],
    );
    assert_eq!(last()["command"], "inject stop");

    // create: the SDP on stdout, the generated identity on stderr.
    let out = run(
        &url,
        &["create", "--media", "audio:PCMA,PCMU", "--ICE", "remove"],
    );
    assert_exit(&out, 0);
    assert!(stdout(&out).starts_with("v=0\r\n"));
    assert!(stdout(&out).ends_with("RTP/AVP 8\r\n"));
    assert_eq!(stderr(&out), "call-id: gen-call\nfrom-tag: gen-tag\n");
    assert_eq!(
        last(),
        json!({"command": "create", "medias": [{"type": "audio", "codecs": ["PCMA", "PCMU"]}],
               "ICE": "remove"})
    );
    // create answer.
    let sdp = sdp_audio("127.0.0.1", 40_000, 1);
    ok(
        &url,
        &[
            "create answer",
            "--call-id",
            "gen-call",
            "--from-tag",
            "gen-tag",
            "--sdp",
            &sdp,
        ],
    );
    assert_eq!(
        last(),
        json!({"command": "create answer", "sdp": sdp, "call-id": "gen-call",
               "from-tag": "gen-tag"})
    );

    // mesh.
    let reply = ok_json(
        &url,
        &[
            "mesh",
            "--call-id",
            "c1",
            "--calls",
            "c2",
            "--tag",
            "A:B,C",
            "--bidirectional",
        ],
    );
    assert_eq!(reply, json!({"warning": "just so", "result": "ok"}));
    assert_eq!(
        last(),
        json!({"command": "mesh", "calls": ["c1", "c2"], "tags": [{"from": "A", "to": ["B", "C"]}],
               "flags": ["bidirectional"]})
    );

    // An anonymous publish (26.0): the generated identity on stderr.
    let offered = sdp_audio("127.0.0.1", 40_000, 1).replace("a=sendrecv", "a=sendonly");
    let out = run(&url, &["publish", "--sdp", &offered]);
    assert_exit(&out, 0);
    assert_eq!(stderr(&out), "call-id: gen-call\nfrom-tag: gen-tag\n");
    assert_eq!(last(), json!({"command": "publish", "sdp": offered}));

    // Nothing was sent twice (no retransmission was needed).
    let n = fake.received().len();
    assert_eq!(n, 10, "{:?}", fake.received());
}

// ---------------------------------------------------------------------------------------------
// Names

#[test]
fn rtpengine_command_names_are_aliases_and_completions_stay_valid() {
    // No daemon needed: nothing is sent.
    let server = "udp://127.0.0.1:9";
    let help = ok(server, &["--help"]);
    for (dashed, ng) in [
        ("block-dtmf", "block DTMF"),
        ("play-media", "play media"),
        ("subscribe-request", "subscribe request"),
        ("create-answer", "create answer"),
    ] {
        let line = help
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{dashed} ")))
            .unwrap_or_else(|| panic!("no {dashed} in:\n{help}"));
        assert!(line.contains(&format!("[alias: {ng}]")), "{line}");
        // Both names parse the same arguments.
        for name in [dashed, ng] {
            let out = run(server, &[name, "--help"]);
            assert_exit(&out, 0);
            assert!(stdout(&out).contains("--call-id"), "{name}");
        }
    }
    // The completion scripts leave the names with spaces out: bash's still parses.
    let dir = TempDir::new("completions");
    let script = ok(server, &["completions", "bash"]);
    assert!(script.contains("block-dtmf") && !script.contains("block DTMF"));
    let path = dir.0.join("rtpe.bash");
    std::fs::write(&path, &script).unwrap();
    let checked = Command::new("bash").arg("-n").arg(&path).output().unwrap();
    assert!(checked.status.success(), "{}", stderr(&checked));
}
