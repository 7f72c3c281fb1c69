//! End-to-end tests of the `rtpe` binary against a real rtpengine daemon.
//!
//! These tests fail (never skip) when rtpengine is not installed; the testkit's error explains
//! how to install it.

mod common;

use std::net::UdpSocket;
use std::time::{Duration, Instant};

use common::{assert_exit, daemon, rtpe_cmd, run, run_stdin, stderr, stdout};
use rtpengine_testkit::rtp::{sdp_audio, sdp_connection_addr, sdp_media_port};
use rtpengine_testkit::Rtpengine;

/// Asserts an SDP was rewritten by this daemon: its audio port is in the media range and its
/// connection address is the daemon's interface.
#[track_caller]
fn assert_rewritten(rtpe: &Rtpengine, sdp: &str) {
    let port = sdp_media_port(sdp).unwrap_or_else(|| panic!("no m=audio line in:\n{sdp}"));
    assert!(
        rtpe.media_port_range().contains(&port),
        "port {port} outside {:?} in:\n{sdp}",
        rtpe.media_port_range()
    );
    assert_eq!(
        sdp_connection_addr(sdp).as_deref(),
        Some("127.0.0.1"),
        "{sdp}"
    );
}

/// Offers a fresh call and returns the rewritten SDP.
fn offer(rtpe: &Rtpengine, call_id: &str, from_tag: &str, extra: &[&str]) -> String {
    let sdp = sdp_audio("127.0.0.1", 40_000, 1);
    let mut args = vec![
        "offer",
        "--call-id",
        call_id,
        "--from-tag",
        from_tag,
        "--sdp",
        &sdp,
    ];
    args.extend_from_slice(extra);
    let out = run(&rtpe.udp_url(), &args);
    assert_exit(&out, 0);
    stdout(&out)
}

fn list(rtpe: &Rtpengine) -> Vec<String> {
    let out = run(&rtpe.udp_url(), &["list"]);
    assert_exit(&out, 0);
    stdout(&out).lines().map(str::to_owned).collect()
}

#[test]
fn ping_prints_pong() {
    let rtpe = daemon();
    let out = run(&rtpe.udp_url(), &["ping"]);
    assert_exit(&out, 0);
    assert_eq!(stdout(&out), "pong\n");
    assert_eq!(stderr(&out), "");

    let out = run(&rtpe.udp_url(), &["--json", "ping"]);
    assert_exit(&out, 0);
    assert_eq!(stdout(&out).trim_end(), r#"{"result":"pong"}"#);
}

#[test]
fn call_lifecycle() {
    let rtpe = daemon();
    let url = rtpe.udp_url();

    // offer with --sdp
    let offered = offer(&rtpe, "call-1", "caller-tag", &[]);
    assert_rewritten(&rtpe, &offered);
    assert!(
        offered.starts_with("v=0"),
        "only the SDP is printed:\n{offered}"
    );

    // answer with --sdp-file
    let dir = std::env::temp_dir().join(format!("rtpe-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let answer_file = dir.join("answer.sdp");
    std::fs::write(&answer_file, sdp_audio("127.0.0.1", 42_000, 2)).unwrap();
    let out = run(
        &url,
        &[
            "answer",
            "--call-id",
            "call-1",
            "--from-tag",
            "caller-tag",
            "--to-tag",
            "callee-tag",
            "--sdp-file",
            answer_file.to_str().unwrap(),
        ],
    );
    std::fs::remove_dir_all(&dir).ok();
    assert_exit(&out, 0);
    assert_rewritten(&rtpe, &stdout(&out));

    // list
    assert_eq!(list(&rtpe), ["call-1"]);

    // query: summary
    let out = run(&url, &["query", "--call-id", "call-1"]);
    assert_exit(&out, 0);
    let summary = stdout(&out);
    for needle in [
        "caller-tag",
        "callee-tag",
        "created",
        "audio RTP/AVP",
        "127.0.0.1:40000",
        "totals",
    ] {
        assert!(
            summary.contains(needle),
            "{needle:?} missing in:\n{summary}"
        );
    }

    // query --json: one valid JSON object
    let out = run(&url, &["--json", "query", "--call-id", "call-1"]);
    assert_exit(&out, 0);
    let text = stdout(&out);
    assert!(text.contains(r#""result":"ok""#), "{text}");
    let json: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    assert_eq!(json["result"], "ok");
    let tags = json["tags"].as_object().expect("a tags object");
    assert!(
        tags.contains_key("caller-tag") && tags.contains_key("callee-tag"),
        "{text}"
    );
    assert!(json["created"].is_i64(), "{text}");

    // delete
    let out = run(
        &url,
        &["delete", "--call-id", "call-1", "--from-tag", "caller-tag"],
    );
    assert_exit(&out, 0);
    assert!(list(&rtpe).is_empty());
}

#[test]
fn offer_reads_sdp_from_stdin() {
    let rtpe = daemon();
    let out = run_stdin(
        &rtpe.udp_url(),
        &[
            "offer",
            "--call-id",
            "stdin-call",
            "--from-tag",
            "a",
            "--sdp-file",
            "-",
        ],
        &sdp_audio("127.0.0.1", 40_000, 7),
    );
    assert_exit(&out, 0);
    assert_rewritten(&rtpe, &stdout(&out));
}

#[test]
fn offer_without_final_newline_is_fixed_up() {
    let rtpe = daemon();
    // What `--sdp "$(cat offer.sdp)"` passes: no line break after the last (m=) line. Without
    // one, rtpengine glues its own attributes to that line.
    let trimmed = "v=0\r\no=- 8 8 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
                   m=audio 40000 RTP/AVP 0 8";
    let out = run(
        &rtpe.udp_url(),
        &[
            "offer",
            "--call-id",
            "c",
            "--from-tag",
            "a",
            "--sdp",
            trimmed,
        ],
    );
    assert_exit(&out, 0);
    let offered = stdout(&out);
    assert_rewritten(&rtpe, &offered);
    assert!(
        offered
            .lines()
            .all(|l| !l.get(1..).unwrap_or("").contains("a=")),
        "lines glued together:\n{offered}"
    );
}

#[test]
fn offer_json_has_the_sdp() {
    let rtpe = daemon();
    let sdp = sdp_audio("127.0.0.1", 40_000, 3);
    let out = run(
        &rtpe.udp_url(),
        &[
            "--json",
            "offer",
            "--call-id",
            "j",
            "--from-tag",
            "a",
            "--sdp",
            &sdp,
        ],
    );
    assert_exit(&out, 0);
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("valid JSON");
    assert_eq!(json["result"], "ok");
    assert_rewritten(&rtpe, json["sdp"].as_str().expect("sdp string"));
}

#[test]
fn unknown_call_is_an_rtpengine_error() {
    let rtpe = daemon();
    let out = run(&rtpe.udp_url(), &["query", "--call-id", "no-such-call"]);
    assert_exit(&out, 1);
    let err = stderr(&out);
    assert!(err.starts_with("error: rtpengine: "), "{err}");
    assert!(err.contains("Unknown call-id"), "{err}");
    assert_eq!(stdout(&out), "");
}

#[test]
fn silent_server_times_out() {
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let url = format!("udp://{}", silent.local_addr().unwrap());
    let start = Instant::now();
    let out = run(&url, &["--timeout", "300", "ping"]);
    let elapsed = start.elapsed();
    assert_exit(&out, 3);
    let err = stderr(&out);
    assert!(err.contains("timed out"), "{err}");
    assert!(
        err.contains(&silent.local_addr().unwrap().to_string()),
        "{err}"
    );
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
    assert_eq!(stdout(&out), "");
}

#[test]
fn usage_errors_exit_2() {
    // No daemon is needed: these fail before anything is sent.
    let server = "udp://127.0.0.1:9";
    for args in [
        &["query"][..],
        &["delete", "--from-tag", "a"],
        &["offer", "--from-tag", "a", "--sdp", "v=0"],
        &["offer", "--call-id", "c", "--sdp", "v=0"],
        &["offer", "--call-id", "c", "--from-tag", "a"],
        &[
            "offer",
            "--call-id",
            "c",
            "--from-tag",
            "a",
            "--sdp",
            "v=0",
            "--sdp-file",
            "-",
        ],
        &[
            "answer",
            "--call-id",
            "c",
            "--from-tag",
            "a",
            "--sdp",
            "v=0",
        ],
        &[
            "offer",
            "--call-id",
            "c",
            "--from-tag",
            "a",
            "--sdp",
            "v=0",
            "--ICE",
            "bogus",
        ],
        &[
            "offer",
            "--call-id",
            "c",
            "--from-tag",
            "a",
            "--sdp",
            "v=0",
            "--direction",
            "a,b,c",
        ],
        &["--timeout", "0", "ping"],
        &["frobnicate"],
    ] {
        let out = run(server, args);
        assert_exit(&out, 2);
        assert!(stderr(&out).contains("error"), "{args:?}: {}", stderr(&out));
    }

    let out = run("sip://x", &["ping"]);
    assert_exit(&out, 2);
    assert!(stderr(&out).contains("tcp"), "{}", stderr(&out));

    let out = rtpe_cmd()
        .env("RTPE_SERVER", "not a url")
        .arg("ping")
        .output()
        .unwrap();
    assert_exit(&out, 2);
}

#[test]
fn unreadable_sdp_file_exits_4() {
    let out = run(
        "udp://127.0.0.1:9",
        &[
            "offer",
            "--call-id",
            "c",
            "--from-tag",
            "a",
            "--sdp-file",
            "/nonexistent/offer.sdp",
        ],
    );
    assert_exit(&out, 4);
    assert!(stderr(&out).contains("/nonexistent/offer.sdp"));
}

#[test]
fn rtpe_server_env_is_used() {
    let rtpe = daemon();
    let out = rtpe_cmd()
        .env("RTPE_SERVER", rtpe.udp_url())
        .arg("ping")
        .output()
        .unwrap();
    assert_exit(&out, 0);
    assert_eq!(stdout(&out), "pong\n");

    // --server wins over the environment.
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let out = rtpe_cmd()
        .env(
            "RTPE_SERVER",
            format!("udp://{}", silent.local_addr().unwrap()),
        )
        .args(["--server", &rtpe.udp_url(), "ping"])
        .output()
        .unwrap();
    assert_exit(&out, 0);
}

#[test]
fn ice_remove_strips_ice_attributes() {
    let rtpe = daemon();
    let mut sdp = sdp_audio("127.0.0.1", 40_000, 4);
    sdp.push_str(
        "a=ice-ufrag:Fx3b\r\n\
         a=ice-pwd:qwertyuiopasdfghjklzxcvb\r\n\
         a=candidate:1 1 UDP 2130706431 127.0.0.1 40000 typ host\r\n\
         a=candidate:1 2 UDP 2130706430 127.0.0.1 40001 typ host\r\n",
    );
    let out = run(
        &rtpe.udp_url(),
        &[
            "offer",
            "--call-id",
            "ice",
            "--from-tag",
            "a",
            "--sdp",
            &sdp,
            "--ICE",
            "remove",
        ],
    );
    assert_exit(&out, 0);
    let offered = stdout(&out);
    assert_rewritten(&rtpe, &offered);
    for attr in ["a=ice-", "a=candidate"] {
        assert!(!offered.contains(attr), "{attr} left in:\n{offered}");
    }
}

#[test]
fn ice_force_adds_ice_attributes() {
    let rtpe = daemon();
    let offered = offer(&rtpe, "ice-force", "a", &["--ICE", "force"]);
    assert_rewritten(&rtpe, &offered);
    assert!(offered.contains("a=ice-ufrag:"), "{offered}");
    assert!(offered.contains("a=candidate:"), "{offered}");
    // The lower-case alias works too.
    let offered = offer(&rtpe, "ice-force-2", "a", &["--ice", "force"]);
    assert!(offered.contains("a=ice-ufrag:"), "{offered}");
}

#[test]
fn protocol_savp_adds_crypto() {
    let rtpe = daemon();
    let offered = offer(&rtpe, "srtp", "a", &["--protocol", "RTP/SAVP"]);
    assert_rewritten(&rtpe, &offered);
    assert!(
        offered
            .lines()
            .any(|l| l.starts_with("m=audio ") && l.contains(" RTP/SAVP ")),
        "{offered}"
    );
    assert!(offered.contains("a=crypto:"), "{offered}");
}

#[test]
fn many_options_are_accepted() {
    let rtpe = daemon();
    let offered = offer(
        &rtpe,
        "opts",
        "a",
        &[
            "--trust-address",
            "--symmetric",
            "--strict-source",
            "--media-handover",
            "--port-latching",
            "--replace-origin",
            "--replace-session-connection",
            "--received-from",
            "IP4:127.0.0.1",
            "--media-address",
            "127.0.0.1",
            "--address-family",
            "IP4",
            "--rtcp-mux",
            "demux",
            "--TOS",
            "184",
            "--SDES",
            "off",
            "--DTLS",
            "off",
            "--metadata",
            "hello",
            "--codec-strip",
            "PCMA",
            "--flag",
            "loop protect",
            "--key",
            "label=caller",
        ],
    );
    assert_rewritten(&rtpe, &offered);
    assert!(!offered.contains("PCMA"), "codec not stripped:\n{offered}");
    let out = run(&rtpe.udp_url(), &["--json", "query", "--call-id", "opts"]);
    assert_exit(&out, 0);
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["tags"]["a"]["label"], "caller", "{json}");
}

#[test]
fn delete_delay_zero_removes_the_call_at_once() {
    // A daemon that keeps deleted calls for a while, so the option makes a difference.
    let rtpe = Rtpengine::builder()
        .delete_delay(30)
        .start()
        .unwrap_or_else(|e| panic!("cannot start rtpengine: {e}"));
    let url = rtpe.udp_url();
    offer(&rtpe, "kept", "a", &[]);
    offer(&rtpe, "gone", "a", &[]);

    let out = run(&url, &["delete", "--call-id", "kept", "--from-tag", "a"]);
    assert_exit(&out, 0);
    let out = run(
        &url,
        &["delete", "--call-id", "gone", "--delete-delay", "0"],
    );
    assert_exit(&out, 0);
    assert_eq!(stdout(&out), "call gone deleted\n");
    assert_eq!(list(&rtpe), ["kept"]);
}

#[test]
fn delete_of_unknown_call_warns_unless_fatal() {
    let rtpe = daemon();
    let url = rtpe.udp_url();
    let out = run(&url, &["delete", "--call-id", "nobody"]);
    assert_exit(&out, 0);
    let err = stderr(&out);
    assert!(err.starts_with("warning: "), "{err}");
    assert_eq!(stdout(&out), "");

    let out = run(&url, &["delete", "--call-id", "nobody", "--fatal"]);
    assert_exit(&out, 1);
    assert!(
        stderr(&out).starts_with("error: rtpengine: "),
        "{}",
        stderr(&out)
    );
}

#[test]
fn list_limit_and_json() {
    let rtpe = daemon();
    for id in ["l1", "l2", "l3"] {
        offer(&rtpe, id, "a", &[]);
    }
    let mut all = list(&rtpe);
    all.sort();
    assert_eq!(all, ["l1", "l2", "l3"]);
    let out = run(&rtpe.udp_url(), &["list", "--limit", "2"]);
    assert_exit(&out, 0);
    assert_eq!(stdout(&out).lines().count(), 2);
    let out = run(&rtpe.udp_url(), &["--json", "list"]);
    assert_exit(&out, 0);
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["calls"].as_array().map(Vec::len), Some(3));
}
