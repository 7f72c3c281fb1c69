//! Tests against the real rtpengine daemon.

mod common;

use std::collections::HashSet;
use std::net::TcpStream;
use std::path::Path;
use std::time::Duration;

use common::{ping, wait_gone};
use rtpengine_testkit::{Rtpengine, TestkitError};

#[test]
fn starts_and_answers_ping() {
    let mut rtpe = Rtpengine::start().unwrap();
    assert_eq!(ping(rtpe.ng_udp_addr(), "c1"), b"c1 d6:result4:ponge");
    assert!(rtpe.is_running());
    assert_eq!(rtpe.udp_url(), format!("udp://{}", rtpe.ng_udp_addr()));
    let range = rtpe.media_port_range();
    assert_eq!(range.clone().count(), 200);
    assert_eq!(range.start() % 200, 0);
    assert!(*range.start() >= 10_000 && *range.end() < 32_000);
    assert_eq!(rtpe.interfaces(), ["127.0.0.1".to_owned()]);

    // The TCP listeners are up as well.
    TcpStream::connect(rtpe.http_addr()).unwrap();
    TcpStream::connect(rtpe.cli_addr()).unwrap();
    TcpStream::connect(rtpe.ng_tcp_addr()).unwrap();

    // The log is captured.
    assert!(rtpe.wait_for_log("Replying to 'ping'", 1, Duration::from_secs(2)));
    assert!(rtpe.log_count("Received command 'ping'") >= 1);
    assert!(rtpe.log().contains("Startup complete"));
    let version = rtpe.version();
    assert!(version.contains("Version"), "{version}");
}

#[test]
fn parallel_instances_use_distinct_ports() {
    let handles: Vec<_> = (0..4)
        .map(|_| std::thread::spawn(|| Rtpengine::start().unwrap()))
        .collect();
    let daemons: Vec<Rtpengine> = handles.into_iter().map(|h| h.join().unwrap()).collect();

    let mut ports = HashSet::new();
    for d in &daemons {
        for addr in [
            d.ng_udp_addr(),
            d.ng_tcp_addr(),
            d.http_addr(),
            d.cli_addr(),
        ] {
            assert!(ports.insert(addr.port()), "port {} used twice", addr.port());
        }
    }
    let mut bases = HashSet::new();
    for d in &daemons {
        assert!(bases.insert(*d.media_port_range().start()));
    }
    for (i, d) in daemons.iter().enumerate() {
        let cookie = format!("p{i}");
        assert_eq!(
            ping(d.ng_udp_addr(), &cookie),
            format!("{cookie} d6:result4:ponge").into_bytes()
        );
    }
}

#[test]
fn drop_kills_the_process() {
    let rtpe = Rtpengine::start().unwrap();
    let pid = rtpe.pid();
    assert!(Path::new(&format!("/proc/{pid}")).exists());
    drop(rtpe);
    assert!(wait_gone(pid), "rtpengine pid {pid} still alive after drop");
}

#[test]
fn kill_stops_the_process() {
    let mut rtpe = Rtpengine::builder().arg("--log-level=7").start().unwrap();
    let pid = rtpe.pid();
    assert!(rtpe.is_running());
    rtpe.kill().unwrap();
    assert!(!rtpe.is_running());
    rtpe.kill().unwrap(); // idempotent
    assert!(wait_gone(pid));
}

#[test]
fn missing_binary_is_an_error_with_install_hint() {
    let err = Rtpengine::builder()
        .binary("/nonexistent/rtpengine")
        .start()
        .unwrap_err();
    assert!(matches!(err, TestkitError::BinaryNotFound), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("sudo apt-get update && sudo apt-get install -y rtpengine-daemon"),
        "{msg}"
    );
    assert!(msg.contains("scripts/install-deps.sh"), "{msg}");
    assert!(msg.contains("RTPENGINE_BIN"), "{msg}");
}

#[test]
fn bad_arguments_fail_with_log_tail() {
    let err = Rtpengine::builder()
        // Later options override earlier ones: make the HTTP listener fail.
        .arg("--listen-http=127.0.0.1:notaport")
        .start()
        .unwrap_err();
    match &err {
        TestkitError::StartupFailed { reason, log_tail } => {
            assert!(reason.contains("exited"), "{reason}");
            assert!(log_tail.contains("Fatal error"), "{log_tail}");
            assert!(err.to_string().contains("Fatal error"), "{err}");
        }
        other => panic!("unexpected error {other:?}"),
    }
}
