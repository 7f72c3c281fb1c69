//! `Client::discover_version` against the real rtpengine daemon (10.5, 12.5 or 26.0, as
//! `RTPENGINE_RELEASE` selects): it learns the daemon's whole version (from the SDP session name
//! of a throw-away `publish`, after `cli` is refused by 10.5 and 12.5, or answered without a
//! version by 26.0), leaves no call behind, and from then on the client refuses exactly the
//! commands that release lacks before sending them, while the ones it has reach the daemon.
//! The tests fail, never skip, when rtpengine is not installed.

mod common;

use rtpengine_client::NgCommands;
use std::time::Duration;

use common::{assert_log, client_for, connect, daemon_version, logged, start, unsupported};
use rtpengine_client::{
    Client, ConnectOptions, CreateMedia, Error, InjectOptions, MeshOptions, OfferOptions,
    QueryOptions, Version,
};
use rtpengine_testkit::rtp::sdp_audio;

/// `cli` (and `connect`) arrived in 13.2 (mr13.2.1.1; no backport): 10.5 and 12.5 answer
/// `Unrecognized command`, 26.0 runs it.
const CLI_SINCE: Version = Version::new(13, 2);

#[tokio::test]
async fn discovers_the_daemons_version_and_leaves_nothing_behind() {
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
    // The whole version, to the patch level (10.5.3.5, 12.5.1.31, 26.0.1.26): the one
    // `rtpengine --version` prints.
    let daemon = daemon_version(&rtpe);
    assert_eq!(v, daemon);
    assert!(!v.is_line_only(), "{v}");
    assert_eq!(
        Version::parse(&rtpe.version()).expect("rtpengine --version names a version"),
        daemon
    );
    assert_eq!(client.rtpengine_version(), Some(daemon));
    // Clones share it.
    assert_eq!(client.clone().rtpengine_version(), Some(daemon));

    // How: `cli version` first. 10.5 and 12.5 do not know `cli` ("Protocol error … Unrecognized
    // command [d7:command3:cli4:body7:versione]"); 26.0 runs it ("Got CLI command: version")
    // and answers `Unknown command: version`, which names no version. Either way one
    // publish and one delete of a probe call follow, whose generated SDP names the version
    // (`s=rtpengine-26-0-1-26-0-mr26-0-1-26`).
    logged(&rtpe, "Received command 'cli'", 1);
    if daemon >= CLI_SINCE {
        logged(&rtpe, "Got CLI command: version", 1);
        assert_eq!(rtpe.log_count("Unrecognized command"), 0);
    } else {
        assert_log(
            &rtpe,
            "Unrecognized command [d7:command3:cli4:body7:versione]",
            1,
        );
        assert_eq!(rtpe.log_count("Got CLI command"), 0);
    }
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
    logged(&rtpe, "Received command 'cli'", 2);
    assert_eq!(rtpe.log_count("Received command 'publish'"), 2);
    assert!(client.list(None).await.unwrap().is_empty());
}

/// The newer commands the test tries, with the release that brought each (mainline, none
/// backported): `connect` and `cli` 13.2, `inject start` and `create` 26.0, `mesh` 26.1.
const NEWER: [(&str, Version); 5] = [
    ("connect", CLI_SINCE),
    ("cli", CLI_SINCE),
    ("inject start", Version::new(26, 0)),
    ("create", Version::new(26, 0)),
    ("mesh", Version::new(26, 1)),
];

/// Sends the newer command `cmd` through `client` (call `c`, parties A and B); returns the
/// text of the reply that has one (`cli`'s response, `create`'s SDP).
async fn send_newer(client: &Client, cmd: &str) -> Result<String, Error> {
    match cmd {
        "connect" => client
            .connect_parties("c", "A", "B", &ConnectOptions::new())
            .await
            .map(|_| String::new()),
        "cli" => client.cli("list numsessions").await.map(|r| r.response),
        "inject start" => client
            .inject_start("c", "B", "A", &InjectOptions::new())
            .await
            .map(|_| String::new()),
        "create" => client
            .create(
                "created",
                "X",
                &[CreateMedia::new("audio", ["PCMU"])],
                &OfferOptions::new(),
            )
            .await
            .map(|r| String::from_utf8_lossy(&r.sdp).into_owned()),
        "mesh" => client
            .mesh(&["c", "created"], &MeshOptions::new())
            .await
            .map(|_| String::new()),
        other => unreachable!("{other}"),
    }
}

/// What a daemon that knows `cmd` did with it (26.0, the only one of the testkit's releases
/// that knows any of them).
async fn assert_handled(client: &Client, cmd: &str, reply: Result<String, Error>) {
    match cmd {
        // The to-tag's party B, unknown until now (see the offer), is created (26.0:
        // `call_get_or_create_monologue`); it has no media of its own yet.
        "connect" => {
            reply.expect("connect");
            let stats = client.query("c", &QueryOptions::new()).await.unwrap();
            let b = stats.tag("B").expect("B is a party after connect");
            assert!(b.medias.is_empty(), "{:?}", b.raw);
            assert!(stats.tag("A").is_some());
        }
        // The CLI counts call `c`.
        "cli" => {
            let text = reply.expect("cli");
            assert!(text.contains("Current sessions own: 1\n"), "{text}");
        }
        // Parsed and looked up (call, to-tag B, source-tag A all found: call_interfaces.c
        // returns "Unknown call-ID" / "To-tag not found" / "Source-tag not found" otherwise);
        // mixing itself cannot start for this offer-only call.
        "inject start" => {
            let err = reply.unwrap_err();
            assert_eq!(err.reason(), Some("Failed to start inject"), "{err:?}");
        }
        // A new call with one party and an offer for it.
        "create" => {
            let sdp = reply.expect("create");
            assert!(sdp.contains("m=audio "), "{sdp}");
            assert!(sdp.contains("a=rtpmap:0 PCMU/8000"), "{sdp}");
            let mut calls = client.list(None).await.unwrap();
            calls.sort_unstable();
            assert_eq!(calls, ["c", "created"]);
        }
        other => panic!("no expectation for {other} being known"),
    }
}

#[tokio::test]
async fn after_discovery_the_gate_refuses_exactly_what_the_daemon_lacks() {
    let rtpe = start();
    let daemon = daemon_version(&rtpe);
    let client = connect(&rtpe).await;
    assert_eq!(client.discover_version().await.unwrap(), daemon);
    let received = |cmd: &str| rtpe.log_count(&format!("Received command '{cmd}'"));
    // The discovery's own `cli`.
    assert_eq!(received("cli"), 1);

    // 10.5 commands go through.
    client
        .offer(
            sdp_audio("192.0.2.1", 40_000, 1),
            "c",
            "A",
            &OfferOptions::new(),
        )
        .await
        .expect("offer");
    assert_eq!(received("offer"), 1);
    let stats = client.query("c", &QueryOptions::new()).await.unwrap();
    assert!(stats.tag("A").is_some() && stats.tag("B").is_none());

    // The same request once through the discovered gate and once unchecked: the gate refuses
    // it, without a round trip, exactly when the daemon answers it `Unrecognized command`.
    let unchecked = client_for(rtpe.udp_url(), Some(daemon), false).await;
    for (cmd, since) in NEWER {
        let before = received(cmd);
        let gated = send_newer(&client, cmd).await;
        if daemon >= since {
            // Known (26.0: connect, cli, inject start, create): sent, and the daemon handles
            // it.
            assert!(
                !matches!(gated, Err(Error::Unsupported { .. })),
                "{cmd} refused for {daemon}: {gated:?}"
            );
            assert_eq!(received(cmd), before + 1, "{cmd} did not reach the daemon");
            assert_handled(&client, cmd, gated).await;
        } else {
            // Unknown (10.5, 12.5: all five; 26.0: mesh): refused, naming the release that
            // has it and the target, and never sent.
            let (what, needed, target) = unsupported(gated.unwrap_err());
            assert_eq!((needed.mainline, target), (since, daemon), "{cmd}: {what}");
            assert_eq!(received(cmd), before, "{cmd} was sent");
            // Sent anyway, the daemon does not know it.
            let err = send_newer(&unchecked, cmd).await.unwrap_err();
            assert_eq!(err.reason(), Some("Unrecognized command"), "{cmd}");
            assert_eq!(received(cmd), before + 1, "{cmd}");
        }
    }
    // Each newer command reached the daemon exactly once (through the gate when known,
    // unchecked when not), `cli` once more for the discovery.
    for (cmd, _) in NEWER {
        let expected = if cmd == "cli" { 2 } else { 1 };
        assert_eq!(received(cmd), expected, "{cmd}");
    }
    assert_eq!(received("offer"), 1);
}
