//! End-to-end tests of `rtpe`'s option catalogue, version awareness, `request`, `statistics` and
//! `completions`, against a real rtpengine daemon where it can show the effect.
//!
//! These tests fail (never skip) when rtpengine is not installed.

mod common;

use std::net::UdpSocket;
use std::process::Output;
use std::time::Duration;

use common::{assert_exit, daemon, run, run_stdin, stderr, stdout};
use rtpengine_testkit::rtp::sdp_audio;
use rtpengine_testkit::Rtpengine;

/// `rtpe offer` of `sdp` for a new call; returns the whole output.
fn offer_sdp(
    rtpe: &Rtpengine,
    globals: &[&str],
    call_id: &str,
    sdp: &str,
    extra: &[&str],
) -> Output {
    let mut args: Vec<&str> = globals.to_vec();
    args.extend([
        "offer",
        "--call-id",
        call_id,
        "--from-tag",
        "a",
        "--sdp",
        sdp,
    ]);
    args.extend_from_slice(extra);
    run(&rtpe.udp_url(), &args)
}

/// Offers the testkit's audio SDP (PCMU 0, PCMA 8, telephone-event) and returns the rewritten
/// SDP, asserting success.
fn offer(rtpe: &Rtpengine, call_id: &str, extra: &[&str]) -> String {
    let out = offer_sdp(
        rtpe,
        &[],
        call_id,
        &sdp_audio("127.0.0.1", 40_000, 1),
        extra,
    );
    assert_exit(&out, 0);
    stdout(&out)
}

/// The payload types of the first m=audio line.
fn audio_payload_types(sdp: &str) -> Vec<String> {
    let line = sdp
        .lines()
        .find(|l| l.starts_with("m=audio "))
        .unwrap_or_else(|| panic!("no m=audio line in:\n{sdp}"));
    line.trim_end()
        .split(' ')
        .skip(3)
        .map(str::to_owned)
        .collect()
}

/// Waits for `needle` to appear in the daemon's log `count` times.
#[track_caller]
fn assert_logged(rtpe: &Rtpengine, needle: &str, count: usize) {
    assert!(
        rtpe.wait_for_log(needle, count, Duration::from_secs(3)),
        "{needle:?} not logged {count} time(s); log tail:\n{}",
        rtpe.log_tail(30)
    );
}

/// A local UDP socket that never answers, to prove nothing was sent.
fn silent_server() -> (UdpSocket, String) {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_nonblocking(true).unwrap();
    let url = format!("udp://{}", sock.local_addr().unwrap());
    (sock, url)
}

/// Asserts no datagram arrived on `sock`.
#[track_caller]
fn assert_nothing_sent(sock: &UdpSocket) {
    let mut buf = [0u8; 2048];
    match sock.recv(&mut buf) {
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
        other => panic!("something was sent: {other:?}"),
    }
}

#[test]
fn codec_strip_removes_the_payload_type() {
    let rtpe = daemon();
    let plain = offer(&rtpe, "codec-plain", &[]);
    assert!(
        audio_payload_types(&plain).contains(&"8".to_owned()),
        "{plain}"
    );

    // The `codec` dictionary…
    let stripped = offer(&rtpe, "codec-dict", &["--codec-strip", "PCMA"]);
    let pts = audio_payload_types(&stripped);
    assert!(!pts.contains(&"8".to_owned()), "{stripped}");
    assert!(pts.contains(&"0".to_owned()), "{stripped}");
    assert!(!stripped.contains("PCMA"), "{stripped}");

    // …and the flag form (`codec-strip-PCMA` in `flags`) have the same effect.
    let flat = offer(
        &rtpe,
        "codec-flat",
        &["--codec-options-flat", "--codec-strip", "PCMA"],
    );
    assert_eq!(audio_payload_types(&flat), pts, "{flat}");
    assert!(!flat.contains("PCMA"), "{flat}");

    // Two codecs stripped, repeatable.
    let both = offer(
        &rtpe,
        "codec-two",
        &["--codec-strip", "PCMA", "--codec-strip", "telephone-event"],
    );
    assert_eq!(audio_payload_types(&both), ["0"], "{both}");
}

#[test]
fn replace_session_name_keeps_the_first_session_name() {
    let rtpe = daemon();
    // rtpengine remembers the party's first s= line; with `replace: session name` a later SDP
    // of that party gets it back.
    let sdp = |name: &str, version: u32| {
        format!(
            "v=0\r\no=- 1 {version} IN IP4 127.0.0.1\r\ns={name}\r\nc=IN IP4 127.0.0.1\r\n\
             t=0 0\r\nm=audio 40000 RTP/AVP 0 8\r\n"
        )
    };
    let s_line = |out: &Output| {
        assert_exit(out, 0);
        stdout(out)
            .lines()
            .find(|l| l.starts_with("s="))
            .map(str::to_owned)
            .unwrap_or_default()
    };
    let url = rtpe.udp_url();
    let reoffer = |name: &str, version: u32, extra: &[&str]| {
        let body = sdp(name, version);
        let mut args = vec![
            "offer",
            "--call-id",
            "sname",
            "--from-tag",
            "a",
            "--sdp",
            &body,
        ];
        args.extend_from_slice(extra);
        run(&url, &args)
    };
    assert_eq!(s_line(&reoffer("first", 1, &[])), "s=first");
    assert_eq!(
        s_line(&reoffer("second", 2, &["--replace-session-name"])),
        "s=first"
    );
    assert_eq!(s_line(&reoffer("third", 3, &[])), "s=third");
}

#[test]
fn sdp_attr_is_refused_for_10_5_and_sent_otherwise() {
    let rtpe = daemon();
    let sdp = sdp_audio("127.0.0.1", 40_000, 2);
    let attr = ["--sdp-attr-audio-add", "foo:bar"];

    // Told the server is 10.5: refused before sending (sdp-attr is 11.3).
    let out = offer_sdp(
        &rtpe,
        &["--rtpengine-version", "10.5"],
        "attr-gated",
        &sdp,
        &attr,
    );
    assert_exit(&out, 2);
    let err = stderr(&out);
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.contains("sdp-attr") && err.contains("11.3"), "{err}");
    assert!(err.contains("--no-version-check"), "{err}");
    assert_eq!(stdout(&out), "");

    // Without a version: sent, and 10.5 says it does not know the key.
    let out = offer_sdp(&rtpe, &[], "attr-sent", &sdp, &attr);
    assert_exit(&out, 0);
    assert_logged(&rtpe, "Unknown dictionary key encountered: 'sdp-attr'", 1);

    // With the check turned off: sent too.
    let out = offer_sdp(
        &rtpe,
        &["--rtpengine-version", "10.5", "--no-version-check"],
        "attr-unchecked",
        &sdp,
        &attr,
    );
    assert_exit(&out, 0);
    assert_logged(&rtpe, "Unknown dictionary key encountered: 'sdp-attr'", 2);

    // The refused offer never reached the daemon.
    assert_eq!(rtpe.log_count("attr-gated"), 0, "{}", rtpe.log_tail(30));
    assert!(rtpe.log_count("attr-sent") > 0);
}

#[test]
fn music_on_hold_blob_is_read_and_sent() {
    let rtpe = daemon();
    let dir = std::env::temp_dir().join(format!("rtpe-moh-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("moh.raw");
    std::fs::write(&file, [0u8, 1, 2, 255]).unwrap();
    let sdp = sdp_audio("127.0.0.1", 40_000, 4);
    let out = offer_sdp(
        &rtpe,
        &[],
        "moh",
        &sdp,
        &[
            "--blob-file",
            file.to_str().unwrap(),
            "--moh-mode",
            "sendonly",
        ],
    );
    std::fs::remove_dir_all(&dir).ok();
    assert_exit(&out, 0);
    // 10.5 has no music on hold (13.2): it names the key it ignores.
    assert_logged(&rtpe, "Unknown dictionary key encountered: 'moh'", 1);
    // Told the version, rtpe refuses it instead.
    let out = offer_sdp(
        &rtpe,
        &["--rtpengine-version", "10.5"],
        "moh-gated",
        &sdp,
        &["--moh-file", "/m.wav"],
    );
    assert_exit(&out, 2);
    assert!(stderr(&out).contains("'moh'"), "{}", stderr(&out));
}

#[test]
fn newer_flag_is_refused_for_10_5() {
    let rtpe = daemon();
    let sdp = sdp_audio("127.0.0.1", 40_000, 3);
    let out = offer_sdp(
        &rtpe,
        &["--rtpengine-version", "10.5"],
        "dir-gated",
        &sdp,
        &["--directional"],
    );
    assert_exit(&out, 2);
    let err = stderr(&out);
    assert!(
        err.contains("'directional'") && err.contains("12.4"),
        "{err}"
    );

    // A 12.4 target accepts it; 10.5 logs the flag as unknown.
    let out = offer_sdp(
        &rtpe,
        &["--rtpengine-version", "12.4"],
        "dir-sent",
        &sdp,
        &["--directional"],
    );
    assert_exit(&out, 0);
    assert_logged(&rtpe, "Unknown flag encountered: 'directional'", 1);
    assert_eq!(rtpe.log_count("dir-gated"), 0);

    // Contradictory options are a usage error too (the library's validation).
    let out = offer_sdp(&rtpe, &[], "contra", &sdp, &["--symmetric", "--asymmetric"]);
    assert_exit(&out, 2);
    assert!(stderr(&out).contains("contradict"), "{}", stderr(&out));
    assert_eq!(rtpe.log_count("contra"), 0);

    // Patch-level versions: `recrypt` was backported to 12.5.1.46 (mainline 13.4).
    let out = offer_sdp(
        &rtpe,
        &["--rtpengine-version", "12.5.1.45"],
        "recrypt-gated",
        &sdp,
        &["--recrypt"],
    );
    assert_exit(&out, 2);
    let err = stderr(&out);
    assert!(
        err.contains("'recrypt'") && err.contains("12.5.1.46") && err.contains("12.5.1.45"),
        "{err}"
    );
    // A bare 12.5 is the line's first release.
    let out = offer_sdp(
        &rtpe,
        &["--rtpengine-version", "12.5"],
        "recrypt-line",
        &sdp,
        &["--recrypt"],
    );
    assert_exit(&out, 2);
    let out = offer_sdp(
        &rtpe,
        &["--rtpengine-version", "12.5.1.46"],
        "recrypt-sent",
        &sdp,
        &["--recrypt"],
    );
    assert_exit(&out, 0);
    assert_eq!(
        rtpe.log_count("recrypt-gated") + rtpe.log_count("recrypt-line"),
        0
    );

    // Not a version.
    let out = offer_sdp(&rtpe, &["--rtpengine-version", "ten"], "bad-ver", &sdp, &[]);
    assert_exit(&out, 2);
    assert!(stderr(&out).contains("ten"), "{}", stderr(&out));
}

#[test]
fn flags_and_value_options_take_effect() {
    let rtpe = daemon();

    // --loop-protect marks the SDP.
    let plain = offer(&rtpe, "lp-plain", &[]);
    assert!(!plain.contains("a=rtpengine:"), "{plain}");
    let marked = offer(&rtpe, "lp", &["--loop-protect"]);
    assert!(marked.contains("a=rtpengine:"), "{marked}");

    // --OSRTP offer adds SDES crypto to a plain RTP/AVP offer, keeping the profile.
    let osrtp = offer(&rtpe, "osrtp", &["--OSRTP", "offer"]);
    assert!(osrtp.contains("a=crypto:"), "{osrtp}");
    assert!(
        osrtp
            .lines()
            .any(|l| l.starts_with("m=audio ") && l.contains(" RTP/AVP ")),
        "{osrtp}"
    );
    assert!(!plain.contains("a=crypto:"), "{plain}");

    // --ptime rewrites the packetization time.
    let ptime = offer(&rtpe, "ptime", &["--ptime", "30"]);
    assert!(ptime.contains("a=ptime:30"), "{ptime}");

    // --ICE-lite with forced ICE.
    let lite = offer(&rtpe, "lite", &["--ICE", "force", "--ICE-lite", "forward"]);
    assert!(lite.contains("a=ice-lite"), "{lite}");

    // --DTLS-fingerprint picks the hash.
    let fp = offer(
        &rtpe,
        "fp",
        &[
            "--protocol",
            "UDP/TLS/RTP/SAVP",
            "--DTLS-fingerprint",
            "SHA-1",
        ],
    );
    assert!(fp.contains("a=fingerprint:sha-1 "), "{fp}");
}

#[test]
fn label_appears_in_query() {
    let rtpe = daemon();
    offer(&rtpe, "labelled", &["--label", "caller"]);
    let out = run(
        &rtpe.udp_url(),
        &["--json", "query", "--call-id", "labelled"],
    );
    assert_exit(&out, 0);
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert_eq!(json["tags"]["a"]["label"], "caller", "{json}");

    // The readable summary shows it too.
    let out = run(&rtpe.udp_url(), &["query", "--call-id", "labelled"]);
    assert_exit(&out, 0);
    assert!(stdout(&out).contains("label caller"), "{}", stdout(&out));
}

#[test]
fn raw_requests() {
    let rtpe = daemon();
    let url = rtpe.udp_url();

    let out = run(&url, &["request", r#"{"command":"ping"}"#]);
    assert_exit(&out, 0);
    assert_eq!(stdout(&out), "result: pong\n");
    let out = run(&url, &["--json", "request", r#"{"command":"ping"}"#]);
    assert_exit(&out, 0);
    assert_eq!(stdout(&out).trim_end(), r#"{"result":"pong"}"#);

    offer(&rtpe, "raw-1", &[]);
    let out = run(&url, &["request", r#"{"command":"list","limit":5}"#]);
    assert_exit(&out, 0);
    assert_eq!(stdout(&out), "calls:\n  - raw-1\nresult: ok\n");
    let out = run(
        &url,
        &["--json", "request", r#"{"command":"list","limit":5}"#],
    );
    assert_exit(&out, 0);
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert_eq!(json["calls"], serde_json::json!(["raw-1"]));

    // limit 0: the integer reached the daemon as an integer.
    let out = run(
        &url,
        &["--json", "request", r#"{"command":"list","limit":0}"#],
    );
    assert_exit(&out, 0);
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert_eq!(json["calls"], serde_json::json!([]));

    // --command and --json-file - (stdin); nested lists and booleans convert.
    let out = run_stdin(
        &url,
        &["request", "--command", "query", "--json-file", "-"],
        r#"{"call-id":"raw-1","flags":["debug"],"fatal":true}"#,
    );
    assert_exit(&out, 0);
    let tree = stdout(&out);
    assert!(tree.contains("tags:\n  a:\n    tag: a\n"), "{tree}");
    assert!(tree.ends_with("result: ok\n"), "{tree}");

    // An error reply: printed, error on stderr, exit 1.
    let out = run(
        &url,
        &["request", r#"{"command":"query","call-id":"nobody"}"#],
    );
    assert_exit(&out, 1);
    assert!(
        stdout(&out).contains("error-reason: Unknown call-id"),
        "{}",
        stdout(&out)
    );
    assert_eq!(stderr(&out), "error: rtpengine: Unknown call-id\n");
}

#[test]
fn bad_raw_requests_are_usage_errors_and_not_sent() {
    let (sock, url) = silent_server();
    for (args, needle) in [
        (
            &["request", r#"{"command":"list","limit":1.5}"#][..],
            "'limit'",
        ),
        (
            &["request", r#"{"command":"x","a":{"b":[null]}}"#],
            "'a.b[0]'",
        ),
        (&["request", r#"{"limit":5}"#], "command"),
        (&["request", r#"{"command":5}"#], "command"),
        (&["request", "[1,2]"], "object"),
        (&["request", "{not json"], "JSON"),
        (
            &["request", "--command", "ping", r#"{"command":"list"}"#],
            "contradicts",
        ),
        (&["request"], "required"),
        (
            &["request", "{}", "--json-file", "x.json"],
            "cannot be used",
        ),
        (
            &[
                "--rtpengine-version",
                "10.5",
                "request",
                r#"{"command":"connect"}"#,
            ],
            "'connect'",
        ),
    ] {
        let out = run(&url, args);
        assert_exit(&out, 2);
        let err = stderr(&out);
        assert!(err.contains(needle), "{args:?}: {err}");
    }
    assert_nothing_sent(&sock);

    // An unreadable file is exit 4, like an unreadable SDP file.
    let out = run(
        &url,
        &["request", "--json-file", "/nonexistent/request.json"],
    );
    assert_exit(&out, 4);
    assert!(stderr(&out).contains("/nonexistent/request.json"));

    // An unreadable music-on-hold file fails before sending, like an unreadable SDP file.
    let out = run(
        &url,
        &[
            "offer",
            "--call-id",
            "c",
            "--from-tag",
            "a",
            "--sdp",
            "v=0",
            "--moh-blob-file",
            "/nonexistent/moh.wav",
        ],
    );
    assert_exit(&out, 4);
    assert!(stderr(&out).contains("/nonexistent/moh.wav"));
    let out = run(
        &url,
        &[
            "offer",
            "--call-id",
            "c",
            "--from-tag",
            "a",
            "--sdp-file",
            "-",
            "--blob-file",
            "-",
        ],
    );
    assert_exit(&out, 2);
    assert!(stderr(&out).contains("standard input"), "{}", stderr(&out));
    assert_nothing_sent(&sock);
}

#[test]
fn statistics_summary_and_json() {
    let rtpe = daemon();
    let url = rtpe.udp_url();
    offer(&rtpe, "stats-1", &[]);

    let out = run(&url, &["statistics"]);
    assert_exit(&out, 0);
    let text = stdout(&out);
    let range = rtpe.media_port_range();
    for needle in [
        "sessions: own 1, foreign 0, total 1".to_owned(),
        "uptime: ".to_owned(),
        format!("ports {}-{}: used ", range.start(), range.end()),
        "commands:\n".to_owned(),
        "errors: 0".to_owned(),
    ] {
        assert!(text.contains(&needle), "{needle:?} missing in:\n{text}");
    }
    let offer_line = text
        .lines()
        .find(|l| l.trim_start().starts_with("offer "))
        .unwrap_or_else(|| panic!("no offer line in:\n{text}"));
    assert!(offer_line.contains(" 1  avg "), "{offer_line}");

    let out = run(&url, &["--json", "statistics"]);
    assert_exit(&out, 0);
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert_eq!(json["result"], "ok");
    assert_eq!(json["statistics"]["currentstatistics"]["sessionsown"], 1);
    assert!(json["statistics"]["interfaces"].is_array(), "{json}");
}

#[test]
fn completions_for_every_shell() {
    // No daemon needed: nothing is sent.
    let out = run("udp://127.0.0.1:9", &["completions", "bash"]);
    assert_exit(&out, 0);
    let script = stdout(&out);
    assert!(script.contains("rtpe"), "{script}");
    assert!(script.contains("offer"), "{script}");
    assert!(
        script.contains("--codec-strip"),
        "options are completed too"
    );
    for shell in ["zsh", "fish", "elvish", "powershell"] {
        let out = run("udp://127.0.0.1:9", &["completions", shell]);
        assert_exit(&out, 0);
        assert!(stdout(&out).contains("offer"), "{shell}");
    }
    let out = run("udp://127.0.0.1:9", &["--json", "completions", "bash"]);
    assert_exit(&out, 0);
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert_eq!(json["shell"], "bash");
    assert_eq!(json["script"].as_str(), Some(script.as_str()));

    let out = run("udp://127.0.0.1:9", &["completions", "tcsh"]);
    assert_exit(&out, 2);
}
