//! The release selector: the daemon of the release `RTPENGINE_RELEASE` selects starts, reports
//! that release's version and answers an NG ping. Run it per release, e.g.
//! `RTPENGINE_RELEASE=12.5 cargo test -p rtpengine-testkit --test release`.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{ping, wait_gone};
use rtpengine_testkit::{Release, Rtpengine, TestkitError};

#[test]
fn selected_release_starts_reports_its_version_and_answers_ping() {
    let release = Release::from_env().unwrap();
    let mut rtpe = Rtpengine::start().unwrap_or_else(|e| panic!("start rtpengine {release}: {e}"));
    assert_eq!(rtpe.release(), release);

    let version = rtpe.version();
    assert!(version.starts_with("Version: "), "{version}");
    let (major, minor, _, _) = rtpe.version_numbers().expect("numeric version");
    assert_eq!(format!("{major}.{minor}"), release.line(), "{version}");

    assert_eq!(ping(rtpe.ng_udp_addr(), "r1"), b"r1 d6:result4:ponge");
    assert!(rtpe.wait_for_log("Replying to 'ping'", 1, Duration::from_secs(2)));

    // The PID is the daemon's own: its executable is the release's binary.
    let pid = rtpe.pid();
    let exe = std::fs::read_link(format!("/proc/{pid}/exe")).unwrap();
    assert!(exe.ends_with("usr/bin/rtpengine"), "{exe:?}");
    match rtpe.root() {
        None => assert_eq!(release, Release::Host),
        Some(root) => {
            assert!(exe.starts_with(root), "{exe:?} not in {root:?}");
            assert_eq!(rtpe.binary(), exe);
        }
    }
    rtpe.kill().unwrap();
    assert!(!rtpe.is_running());
    assert!(wait_gone(pid), "rtpengine pid {pid} alive after kill");
}

#[test]
fn paths_map_between_host_and_daemon() {
    let rtpe = Rtpengine::start().unwrap();
    // The host's temporary directory is the same path for both.
    let tmp = std::fs::canonicalize(std::env::temp_dir()).unwrap();
    let file = tmp.join("x.wav");
    assert_eq!(rtpe.host_path(&file), file);
    assert_eq!(rtpe.daemon_path(&file), Some(file.clone()));
    match rtpe.root() {
        None => assert_eq!(rtpe.host_path("/etc/passwd"), Path::new("/etc/passwd")),
        Some(root) => {
            assert_eq!(rtpe.host_path("/etc/passwd"), root.join("etc/passwd"));
            assert_eq!(
                rtpe.daemon_path(root.join("etc/passwd")),
                Some("/etc/passwd".into())
            );
            assert_eq!(rtpe.daemon_path("/etc/passwd"), None);
        }
    }
}

/// A recording spool in the host's temporary directory: the chroot daemon writes where the test
/// reads.
#[test]
fn daemon_writes_into_the_shared_temp_dir() {
    let dir = std::env::temp_dir().join(format!("testkit-release-spool-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let rtpe = Rtpengine::builder()
        .arg(format!("--recording-dir={}", dir.display()))
        .arg("--recording-method=pcap")
        .start()
        .unwrap();
    // rtpengine creates its spool subdirectories at startup.
    let deadline = Instant::now() + Duration::from_secs(5);
    while !dir.join("metadata").is_dir() {
        assert!(
            Instant::now() < deadline,
            "no spool in {dir:?}:\n{}",
            rtpe.log_tail(20)
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    drop(rtpe);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn unknown_release_is_an_error() {
    let err = "13.4".parse::<Release>().unwrap_err();
    assert!(
        matches!(err, TestkitError::UnknownRelease { .. }),
        "{err:?}"
    );
}

/// A release whose chroot is missing names the command that installs it.
#[test]
fn missing_chroot_names_the_install_command() {
    let Some(missing) = Release::ALL.into_iter().find(|r| !r.is_installed()) else {
        return; // every release is installed here: nothing to check
    };
    let err = Rtpengine::builder().release(missing).start().unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(err, TestkitError::ReleaseNotInstalled { .. }),
        "{err:?}"
    );
    let suite = missing.suite().unwrap();
    assert!(
        msg.contains(&format!("scripts/install-rtpengine-release.sh {suite}")),
        "{msg}"
    );
}
