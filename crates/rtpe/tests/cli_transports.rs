//! `rtpe` over every transport against the real rtpengine: tcp://, http://, ws://, https://
//! (with --tls-ca / --tls-insecure), a --stream transport next to UDP, and `rtpe events`
//! printing the DTMF events the daemon pushes over TCP.

mod common;

use rtpengine_client::NgCommands;
use std::net::{Ipv4Addr, SocketAddr};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use common::rtpe_cmd;
use rtpengine_client::{AnswerOptions, Client, OfferOptions};
use rtpengine_testkit::rtp::{rtp_packet, sdp_audio, sdp_connection_addr, sdp_media_port};
use rtpengine_testkit::tls::{self_signed, write_pem_files};
use rtpengine_testkit::Rtpengine;

fn start(args: &[&str]) -> Rtpengine {
    let mut builder = Rtpengine::builder();
    for a in args {
        builder = builder.arg(*a);
    }
    builder
        .start()
        .expect("start rtpengine (install it with scripts/install-deps.sh)")
}

fn rtpe(args: &[&str]) -> Output {
    rtpe_cmd().args(args).output().expect("run rtpe")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn ping_over_every_plain_transport() {
    let d = start(&[]);
    for url in [
        d.udp_url(),
        format!("tcp://{}", d.ng_tcp_addr()),
        format!("http://{}", d.http_addr()),
        format!("ws://{}", d.http_addr()),
    ] {
        let out = rtpe(&["--server", &url, "ping"]);
        assert!(out.status.success(), "{url}: {}", text(&out.stderr));
        assert_eq!(text(&out.stdout), "pong\n", "{url}");
    }
    // The daemon saw one ping per transport beyond the testkit's own startup ping.
    assert!(d.wait_for_log("Received command 'ping'", 5, Duration::from_secs(2)));
    assert!(
        d.log_count("HTTP POST from") >= 1,
        "the HTTP ping went over HTTP"
    );
}

#[test]
fn a_stream_transport_takes_list_while_ping_stays_on_udp() {
    let d = start(&[]);
    let tcp = format!("tcp://{}", d.ng_tcp_addr());
    let out = rtpe(&["--server", &d.udp_url(), "--stream", &tcp, "list"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // The daemon logs where each command came from; TCP clients are logged as connections.
    assert!(d.wait_for_log("Received command 'list'", 1, Duration::from_secs(2)));
    let log = d.log();
    let list_line = log
        .lines()
        .find(|l| l.contains("Received command 'list'"))
        .unwrap();
    let udp_pings: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("Received command 'ping'"))
        .collect();
    // The list came over the TCP connection, from a port no UDP request used.
    let port_of = |line: &str| line.rsplit(':').next().unwrap_or("").trim().to_owned();
    assert!(
        udp_pings.iter().all(|p| port_of(p) != port_of(list_line)),
        "{list_line}"
    );
    let bad = rtpe(&["--server", &d.udp_url(), "--stream", &d.udp_url(), "list"]);
    assert_eq!(bad.status.code(), Some(2), "{}", text(&bad.stderr));
}

#[test]
fn https_needs_the_certificate_or_an_explicit_insecure_flag() {
    let (cert, key) = self_signed(&["127.0.0.1"]);
    let (cert_file, key_file) = write_pem_files(&cert, &key).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let _daemon = start(&[
        &format!("--listen-https=127.0.0.1:{port}"),
        &format!("--https-cert={}", cert_file.display()),
        &format!("--https-key={}", key_file.display()),
    ]);
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while std::net::TcpStream::connect(addr).is_err() {
        assert!(std::time::Instant::now() < deadline, "no HTTPS listener");
        std::thread::sleep(Duration::from_millis(20));
    }
    let url = format!("https://{addr}");
    let ca = cert_file.display().to_string();
    let out = rtpe(&["--server", &url, "--tls-ca", &ca, "ping"]);
    assert_eq!(text(&out.stdout), "pong\n", "{}", text(&out.stderr));
    let out = rtpe(&["--server", &url, "--timeout", "2000", "ping"]);
    assert_eq!(out.status.code(), Some(4), "untrusted certificate");
    assert!(
        text(&out.stderr).contains("certificate"),
        "{}",
        text(&out.stderr)
    );
    let out = rtpe(&["--server", &url, "--tls-insecure", "ping"]);
    assert_eq!(text(&out.stdout), "pong\n", "{}", text(&out.stderr));
}

#[test]
fn events_need_a_stream_server() {
    let d = start(&[]);
    let out = rtpe(&["--server", &d.udp_url(), "events", "--count", "1"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("tcp://"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test]
async fn events_prints_dtmf_from_real_rtp() {
    let d = start(&["--dtmf-log-ng-tcp"]);
    let tcp = format!("tcp://{}", d.ng_tcp_addr());
    let mut events = Command::new(env!("CARGO_BIN_EXE_rtpe"))
        .args(["--server", &tcp, "events", "--count", "2"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A call between two local phones; A then sends RFC 4733 digits 5 and # through rtpengine.
    let client = Client::connect(&d.udp_url()).await.unwrap();
    let a = tokio::net::UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .unwrap();
    let b = tokio::net::UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .unwrap();
    let sdp_a = sdp_audio("127.0.0.1", a.local_addr().unwrap().port(), 1);
    let sdp_b = sdp_audio("127.0.0.1", b.local_addr().unwrap().port(), 2);
    client
        .offer(&sdp_a, "ev-call", "tagA", &OfferOptions::new())
        .await
        .unwrap();
    let answer = client
        .answer(&sdp_b, "ev-call", "tagA", "tagB", &AnswerOptions::new())
        .await
        .unwrap();
    let sdp = answer.sdp_str();
    let to = SocketAddr::new(
        sdp_connection_addr(&sdp).unwrap().parse().unwrap(),
        sdp_media_port(&sdp).unwrap(),
    );
    // Give the events command time to connect before the first digit.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (mut seq, mut ts) = (1u16, 8000u32);
    for _ in 0..5 {
        a.send_to(&rtp_packet(seq, ts, 0xA, 0, &[0x11; 160]), to)
            .await
            .unwrap();
        seq += 1;
        ts += 160;
    }
    for digit in [5u8, 11] {
        for i in 0..6u32 {
            let end = i >= 3;
            let duration = (160 * (i.min(3) + 1)) as u16;
            let mut payload = vec![digit, if end { 0x80 | 10 } else { 10 }];
            payload.extend_from_slice(&duration.to_be_bytes());
            let mut packet = rtp_packet(seq, ts, 0xA, 101, &payload);
            if i == 0 {
                packet[1] |= 0x80;
            }
            a.send_to(&packet, to).await.unwrap();
            seq += 1;
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        ts += 640;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while events.try_wait().unwrap().is_none() {
        assert!(
            std::time::Instant::now() < deadline,
            "rtpe events did not print two events; daemon log:\n{}",
            d.log_tail(20)
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = events.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(
        lines[0].starts_with("DTMF call-id=ev-call source-tag=tagA digit=5 event=5"),
        "{stdout}"
    );
    assert!(lines[1].contains("digit=# event=11"), "{stdout}");
}
