//! `Client::discover_version` against the real rtpengine daemon (10.5): it learns 10.5 (from
//! the SDP session name of a throw-away `publish`, after `cli` is refused), leaves no call
//! behind, and from then on the client refuses commands newer than 10.5 before sending them.
//! The tests fail, never skip, when rtpengine is not installed.

mod common;

use std::time::Duration;

use common::{assert_log, client_for, connect, start, unsupported};
use rtpengine_client::message::Version;
use rtpengine_client::{ConnectOptions, Error, InjectOptions, MeshOptions, OfferOptions};
use rtpengine_testkit::rtp::sdp_audio;

/// `(since, target)` of an `Error::Unsupported`.
fn since_and_target(err: Error) -> (Version, Version) {
    let (_, since, target) = unsupported(err);
    (since.mainline, target)
}

/// The daemon's own version, as `rtpengine --version` prints it (`10.5.3.5`).
fn daemon_version(rtpe: &rtpengine_testkit::Rtpengine) -> Version {
    Version::parse(&rtpe.version()).expect("rtpengine --version names a version")
}

#[tokio::test]
async fn discovers_10_5_and_leaves_nothing_behind() {
    let rtpe = start();
    let client = connect(&rtpe).await;
    assert_eq!(client.rtpengine_version(), None);
    let ports_before = client.statistics().await.unwrap().interfaces()[0]
        .ports
        .used;

    let v = client
        .discover_version()
        .await
        .expect("discover the version");
    // The whole version, to the patch level.
    let daemon = daemon_version(&rtpe);
    assert_eq!(v, daemon);
    assert_eq!(v.line(), Version::V10_5);
    assert_eq!(client.rtpengine_version(), Some(daemon));
    // Clones share it.
    assert_eq!(client.clone().rtpengine_version(), Some(daemon));

    // How: `cli` is unknown to 10.5, then one publish and one delete of a probe call.
    assert_log(
        &rtpe,
        "Unrecognized command [d7:command3:cli4:body7:versione]",
        1,
    );
    assert_eq!(rtpe.log_count("Received command 'publish'"), 1);
    assert_eq!(rtpe.log_count("Received command 'delete'"), 1);

    // No call is left behind: not listed, no session, its ports free again.
    assert!(client.list(None).await.unwrap().is_empty());
    let s = client.statistics().await.unwrap();
    assert_eq!(s.sessions_total(), Some(0));
    assert_eq!(
        s.managed_sessions(),
        Some(1),
        "the probe was created and ended"
    );
    // rtpengine closes the probe's sockets on its next timer run.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    let mut used = s.interfaces()[0].ports.used;
    while used != ports_before && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
        used = client.statistics().await.unwrap().interfaces()[0]
            .ports
            .used;
    }
    assert_eq!(used, ports_before, "the probe's ports are not free again");

    // A second discovery agrees and probes again the same way.
    assert_eq!(client.discover_version().await.unwrap(), daemon);
    assert!(client.list(None).await.unwrap().is_empty());
}

#[tokio::test]
async fn newer_commands_are_refused_after_discovery() {
    let rtpe = start();
    let client = connect(&rtpe).await;
    client.discover_version().await.unwrap();
    let received = |cmd: &str| rtpe.log_count(&format!("Received command '{cmd}'"));
    let cli_before = received("cli");

    let err = client
        .connect_parties("c", "A", "B", &ConnectOptions::new())
        .await
        .unwrap_err();
    assert_eq!(
        since_and_target(err),
        (Version::new(13, 2), daemon_version(&rtpe))
    );
    let err = client.cli("list numsessions").await.unwrap_err();
    assert_eq!(
        since_and_target(err),
        (Version::new(13, 2), daemon_version(&rtpe))
    );
    let err = client
        .inject_start("c", "B", "A", &InjectOptions::new())
        .await
        .unwrap_err();
    assert_eq!(since_and_target(err).0, Version::new(26, 0));
    let err = client
        .mesh(&["c1", "c2"], &MeshOptions::new())
        .await
        .unwrap_err();
    assert_eq!(since_and_target(err).0, Version::new(26, 1));
    let err = client
        .create("", "", &[], &OfferOptions::new())
        .await
        .unwrap_err();
    assert_eq!(since_and_target(err).0, Version::new(26, 0));

    // 10.5 commands still go through; the refused ones never reached the daemon.
    client
        .offer(
            sdp_audio("192.0.2.1", 40_000, 1),
            "c",
            "A",
            &OfferOptions::new(),
        )
        .await
        .expect("offer");
    for cmd in ["connect", "inject start", "mesh", "create"] {
        assert_eq!(received(cmd), 0, "{cmd} was sent");
    }
    assert_eq!(received("cli"), cli_before, "cli was sent again");
    assert_eq!(received("offer"), 1);

    // Without the check the same request is sent, and 10.5 does not know it.
    let unchecked = client_for(rtpe.udp_url(), Some(Version::V10_5), false).await;
    let err = unchecked
        .connect_parties("c", "A", "B", &ConnectOptions::new())
        .await
        .unwrap_err();
    assert_eq!(err.reason(), Some("Unrecognized command"));
    assert_eq!(received("connect"), 1);
}
