//! The upstream audit's findings proven on the real daemons of every release the testkit runs
//! (`RTPENGINE_RELEASE` = 10.5 on the host, 12.5 = 12.5.1.31, 26.0 = 26.0.1.26 from their
//! chroots). Each test passes on all three and pins where the releases differ:
//!
//! * a branch delete (`delete` with from-tag and to-tag of one forked branch) keeps the other
//!   branch whatever version the client is told; without the `to-tag` flag 12.5.1.31 and
//!   26.0.1.26 delete the whole call (the `to-tag` flag arrived in 12.5.1.11 and 13.0);
//! * `stop recording` with `discard-recording` throws the recording's metadata away (11.4+);
//! * `delete` with `fast` (26.0.1.15 backport) answers a plain `ok`, and the client sends it
//!   only to a release known to have it.
//!
//! The tests fail, never skip, when rtpengine is not installed.

mod common;

use rtpengine_client::NgCommands;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use common::{
    assert_log, client_for, connect, daemon_version, local_port, media_target, offer_answer, query,
    rtpengine_reason, udp, unsupported, TempDir,
};
use rtpengine_client::{
    AnswerOptions, CallStats, Client, DeleteOptions, Flag, OfferOptions, QueryOptions,
    RecordingOptions, Version,
};
use rtpengine_testkit::rtp::{rtp_packet, sdp_audio};
use rtpengine_testkit::Rtpengine;
use tokio::net::UdpSocket;

const NOT_FOUND: &str = "Call-ID not found or tags didn't match";

/// The 12.5 line (trixie's 12.5.1.31).
const V12_5: Version = Version::new(12, 5);
/// The 26.0 line (forky's 26.0.1.26).
const V26_0: Version = Version::new(26, 0);

/// A daemon that logs at debug level (its request dumps show what the client sent).
fn start() -> Rtpengine {
    Rtpengine::builder()
        .arg("--log-level=7")
        .start()
        .expect("start rtpengine (these tests need the real daemon)")
}

/// The parties (tags) of a `query` or `delete` reply, sorted.
fn parties(stats: &CallStats) -> Vec<String> {
    let mut tags: Vec<String> = stats.tags.iter().map(|t| t.tag.clone()).collect();
    tags.sort();
    tags
}

/// The parties a `query` restricted to `to_tag` reports (that party and its peers).
async fn parties_of(client: &Client, call_id: &str, to_tag: &str) -> Vec<String> {
    let stats = client
        .query(call_id, &QueryOptions::new().to_tag(to_tag))
        .await
        .unwrap_or_else(|e| panic!("query {call_id} to-tag {to_tag}: {e}"));
    parties(&stats)
}

/// The request dumps (`--log-level=7`) of `command` for `call_id`, e.g. to see its `flags`.
fn dumps(rtpe: &Rtpengine, command: &str, call_id: &str) -> Vec<String> {
    let call = format!("\"call-id\": \"{call_id}\"");
    rtpe.log()
        .lines()
        .filter(|l| l.contains(&format!("Dump for '{command}'")) && l.contains(&call))
        .map(str::to_owned)
        .collect()
}

// ---------------------------------------------------------------------------------------------
// 2a. Branch delete

/// One call forked into two branches, as a forking proxy makes it: the offer from `tagA` with
/// `via-branch` b1 answered by `tagB1`, the same offer with `via-branch` b2 answered by `tagB2`.
async fn fork(client: &Client, call_id: &str, base_port: u16) {
    let offer_sdp = sdp_audio("127.0.0.1", base_port, 1);
    for (branch, to_tag, port) in [
        ("z9hG4bK-b1", "tagB1", base_port + 2),
        ("z9hG4bK-b2", "tagB2", base_port + 4),
    ] {
        client
            .offer(
                &offer_sdp,
                call_id,
                "tagA",
                &OfferOptions::new().via_branch(branch),
            )
            .await
            .unwrap_or_else(|e| panic!("offer {call_id} {branch}: {e}"));
        client
            .answer(
                sdp_audio("127.0.0.1", port, 2),
                call_id,
                "tagA",
                to_tag,
                &AnswerOptions::new().via_branch(branch),
            )
            .await
            .unwrap_or_else(|e| panic!("answer {call_id} {branch}: {e}"));
    }
    assert_eq!(
        parties(&query(client, call_id).await),
        ["tagA", "tagB1", "tagB2"]
    );
    // Each branch's party is there; `tagA` is in dialogue with the latest branch only, so it
    // comes with `tagB2` (the same on every release).
    assert_eq!(parties_of(client, call_id, "tagB1").await, ["tagB1"]);
    assert_eq!(
        parties_of(client, call_id, "tagB2").await,
        ["tagA", "tagB2"]
    );
}

/// Asserts that only branch `tagB1` of the forked call is gone: the call is listed, `tagB2`
/// still talks to `tagA`, and a query by `tagB1` finds nobody.
async fn assert_only_branch_1_deleted(rtpe: &Rtpengine, client: &Client, call_id: &str) {
    assert!(
        client
            .list(None)
            .await
            .unwrap()
            .iter()
            .any(|c| c == call_id),
        "{call_id} was deleted entirely:\n{}",
        rtpe.log_tail(20)
    );
    assert_eq!(
        parties_of(client, call_id, "tagB2").await,
        ["tagA", "tagB2"]
    );
    assert!(parties_of(client, call_id, "tagB1").await.is_empty());
    assert_log(
        rtpe,
        &format!("[{call_id}]: [core] Deleting call branch 'tagB1'"),
        1,
    );
    assert_eq!(
        rtpe.log_count(&format!("[{call_id}]: [core] Deleting entire call")),
        0
    );
}

/// Deletes what is left of a call (at once, freeing its ports).
async fn delete_rest(client: &Client, call_id: &str) {
    client
        .delete(call_id, "", &DeleteOptions::new().delete_delay(0))
        .await
        .unwrap_or_else(|e| panic!("delete {call_id}: {e}"));
    assert!(!client
        .list(None)
        .await
        .unwrap()
        .iter()
        .any(|c| c == call_id));
}

/// `delete` with from-tag + to-tag of one branch removes that branch only, on every release,
/// whether the client knows no version, the daemon's exact one, or only its line: the client
/// adds the `to-tag` flag wherever the target may know it (12.5.1.11+, 13.0+), and releases
/// before that honour the to-tag without it.
#[tokio::test]
async fn a_branch_delete_keeps_the_other_branch_on_every_release() {
    let rtpe = start();
    let version = daemon_version(&rtpe);
    let targets = [
        ("no version", None),
        ("exact version", Some(version)),
        ("line only", Some(version.line())),
    ];
    for (i, (told, target)) in targets.into_iter().enumerate() {
        let client = client_for(rtpe.udp_url(), target, true).await;
        let id = format!("branch-{i}");
        fork(&client, &id, 40_000 + 10 * i as u16).await;

        let deleted = client
            .delete(&id, "tagA", &DeleteOptions::new().to_tag("tagB1"))
            .await
            .unwrap_or_else(|e| panic!("{told}: {e}"));
        assert_eq!(deleted.warning, None, "{told}: {:?}", deleted.raw);
        assert!(deleted.has_call() && deleted.created.is_some(), "{told}");
        if version.line() == Version::V10_5 {
            // 10.5 answers with the deleted branch's party (probe: `tags: [tagB1]`).
            assert_eq!(parties(&deleted), ["tagB1"], "{told}");
        } else {
            // 12.5.1.31 and 26.0.1.26 name no party after a branch delete (probe: `tags: {}`).
            assert!(deleted.tags.is_empty(), "{told}: {:?}", deleted.raw);
        }
        assert_only_branch_1_deleted(&rtpe, &client, &id).await;
        delete_rest(&client, &id).await;
    }
    // What went on the wire (the daemon's request dumps): the `to-tag` flag for the targets
    // that may know it (unknown, 12.5 line, 12.5.1.31, 26.0…), no flags for a 10.5 target (it
    // has no such flag and honours the to-tag without it).
    let with_flag: Vec<bool> = (0..3)
        .map(|i| {
            let d = dumps(&rtpe, "delete", &format!("branch-{i}"));
            assert_eq!(d.len(), 2, "the branch delete and the final one: {d:?}");
            assert!(d[0].contains("\"to-tag\": \"tagB1\""), "{}", d[0]);
            let flagged = d[0].contains("\"flags\": [ \"to-tag\" ]");
            assert!(flagged || !d[0].contains("\"flags\""), "{}", d[0]);
            flagged
        })
        .collect();
    if version.line() == Version::V10_5 {
        assert_eq!(with_flag, [true, false, false]);
    } else {
        assert_eq!(with_flag, [true, true, true]);
    }
}

/// What the library protects against: the same branch delete without the `to-tag` flag (what
/// a client told 12.5.1.10 sends, since the flag arrived in 12.5.1.11). 10.5 honours the
/// to-tag key by itself; 12.5.1.31 and 26.0.1.26 ignore the key without the flag and delete
/// the whole call.
#[tokio::test]
async fn a_branch_delete_without_the_to_tag_flag_is_a_whole_call_delete_on_12_5_and_26_0() {
    let rtpe = start();
    let old = client_for(rtpe.udp_url(), Some(Version::full(12, 5, 1, 10)), true).await;
    let id = "branch-noflag";
    fork(&old, id, 40_000).await;
    let deleted = old
        .delete(id, "tagA", &DeleteOptions::new().to_tag("tagB1"))
        .await
        .unwrap();
    assert_eq!(deleted.warning, None, "{:?}", deleted.raw);
    assert!(deleted.has_call());
    // The request carried the to-tag but no flags.
    let sent = dumps(&rtpe, "delete", id);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(sent[0].contains("\"to-tag\": \"tagB1\""), "{}", sent[0]);
    assert!(!sent[0].contains("\"flags\""), "{}", sent[0]);

    if daemon_version(&rtpe).line() == Version::V10_5 {
        // 10.5: `call_delete_ng` reads the `to-tag` key unconditionally.
        assert_eq!(parties(&deleted), ["tagB1"]);
        assert_only_branch_1_deleted(&rtpe, &old, id).await;
        delete_rest(&old, id).await;
    } else {
        // 12.5.1.31, 26.0.1.26: the to-tag is ignored without the flag; from-tag `tagA` is in
        // both branches, so the whole call goes (newer-releases.md; probe: list empty).
        assert!(old.list(None).await.unwrap().is_empty());
        let err = old.query(id, &QueryOptions::new()).await.unwrap_err();
        assert!(rtpengine_reason(&err).contains("Unknown call-id"), "{err}");
        assert_log(&rtpe, &format!("[{id}]: [core] Deleting entire call"), 1);
    }
}

// ---------------------------------------------------------------------------------------------
// 2b. stop recording, discard-recording

/// A daemon recording pcap files into `spool` (debug log).
fn start_recording(spool: &TempDir) -> Rtpengine {
    Rtpengine::builder()
        .arg(format!("--recording-dir={}", spool.0.display()))
        .arg("--recording-method=pcap")
        .arg("--log-level=7")
        .start()
        .expect("start rtpengine with pcap recording")
}

/// Sends `n` RTP packets (PCMU) from `sock` to `to`, paced at 2 ms.
async fn send_rtp(sock: &UdpSocket, to: SocketAddr, n: u16, ssrc: u32) {
    for seq in 0..n {
        let packet = rtp_packet(seq, u32::from(seq) * 160, ssrc, 0, &[0xff; 160]);
        sock.send_to(&packet, to).await.expect("send RTP");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// A call between two local sockets, recorded (`start recording`) with 10 RTP packets each
/// way; returns once the packets are counted. The spool holds its pcap and the metadata file
/// in the making (`tmp/rtpengine-meta-<call>-*.tmp`).
async fn recorded_call(client: &Client, spool: &TempDir, call_id: &str) {
    let (a, b) = (udp().await, udp().await);
    let (offer_sdp, answer_sdp) = offer_answer(
        client,
        call_id,
        (Ipv4Addr::LOCALHOST, local_port(&a)),
        (Ipv4Addr::LOCALHOST, local_port(&b)),
    )
    .await;
    client
        .start_recording(call_id, &RecordingOptions::new())
        .await
        .unwrap_or_else(|e| panic!("start recording {call_id}: {e}"));
    send_rtp(&a, media_target(&answer_sdp), 10, 0x1111_aaaa).await;
    send_rtp(&b, media_target(&offer_sdp), 10, 0x2222_bbbb).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    while query(client, call_id).await.rtp_totals.packets < 20 {
        assert!(tokio::time::Instant::now() < deadline, "RTP not counted");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let prefix = format!("{call_id}-");
    assert_eq!(
        spool.files("pcaps", &prefix).len(),
        1,
        "{call_id}: one pcap"
    );
    let meta = format!("rtpengine-meta-{call_id}-");
    assert_eq!(spool.files("tmp", &meta).len(), 1, "{call_id}: metadata");
    assert!(spool.files("metadata", &meta).is_empty());
}

/// What `stop recording` did with the call's recording: `true` when it was discarded (the
/// metadata file in the making is deleted, nothing reaches `metadata/`, and the daemon says so),
/// `false` when it was kept (the metadata file moved to `metadata/`).
fn discarded(rtpe: &Rtpengine, spool: &TempDir, call_id: &str) -> bool {
    let meta = format!("rtpengine-meta-{call_id}-");
    let tag = format!("[{call_id}]: [core] ");
    let discard_line = format!("{tag}Turning off call recording and discarding outputs.");
    let stop_line = format!("{tag}Turning off call recording.");
    assert_log(
        rtpe,
        &format!("[{call_id}]: [control] Replying to 'stop recording'"),
        1,
    );
    // Both spellings are the daemon's NOTICE lines; exactly one of them is logged.
    let (discards, stops) = (rtpe.log_count(&discard_line), rtpe.log_count(&stop_line));
    assert_eq!(discards + stops, 1, "{call_id}:\n{}", rtpe.log_tail(20));
    // The pcap itself stays in every release (only the metadata, which tells a recording
    // daemon to pick the pcap up, is thrown away).
    let pcaps = spool.files("pcaps", &format!("{call_id}-"));
    assert_eq!(pcaps.len(), 1, "{call_id}: {pcaps:?}");
    assert!(
        std::fs::metadata(&pcaps[0]).unwrap().len() > 24 + 20 * 172,
        "the pcap holds the 20 packets"
    );
    let (tmp, kept) = (spool.files("tmp", &meta), spool.files("metadata", &meta));
    if discards == 1 {
        assert!(tmp.is_empty() && kept.is_empty(), "{tmp:?} {kept:?}");
        true
    } else {
        assert!(tmp.is_empty(), "{tmp:?}");
        assert_eq!(kept.len(), 1, "{call_id}: metadata kept");
        assert_log(
            rtpe,
            &format!("{tag}Moved metadata file \"{}", spool.0.display()),
            1,
        );
        false
    }
}

/// `stop recording` with `Flag::DiscardRecording` (sent as `discard-recording`, the only
/// spelling `stop recording` matches): 12.5.1.31 and 26.0.1.26 discard the recording; 10.5
/// has no discard (11.4+), so a client told 10.5 refuses the flag and 10.5 ignores it when sent
/// anyway. The spaced spelling the client used to send is ignored by 26.0.1.26.
#[tokio::test]
async fn stop_recording_with_discard_recording_discards_it() {
    let spool = TempDir::new("discard");
    let rtpe = start_recording(&spool);
    let version = daemon_version(&rtpe);
    let exact = client_for(rtpe.udp_url(), Some(version), true).await;
    let any = connect(&rtpe).await;
    let discard = RecordingOptions::new().flags(Flag::DiscardRecording);

    // 1. The typed flag.
    recorded_call(&any, &spool, "rec-typed").await;
    if version.line() == Version::V10_5 {
        // 10.5: refused before anything is sent (`discard-recording` is 11.4)…
        let err = exact
            .stop_recording("rec-typed", &discard)
            .await
            .unwrap_err();
        let (what, since, target) = unsupported(err);
        assert!(what.contains("discard-recording"), "{what}");
        assert_eq!((since.mainline, target), (Version::new(11, 4), version));
        assert_eq!(rtpe.log_count("Received command 'stop recording'"), 0);
        // …and ignored when sent anyway: the recording is kept (log `Turning off call
        // recording.`, metadata moved to metadata/).
        any.stop_recording("rec-typed", &discard).await.unwrap();
        assert!(!discarded(&rtpe, &spool, "rec-typed"));
    } else {
        // 12.5.1.31, 26.0.1.26: `Turning off call recording and discarding outputs.`, the
        // metadata file is deleted (probe: no metadata/ file; the pcap stays).
        exact.stop_recording("rec-typed", &discard).await.unwrap();
        assert!(discarded(&rtpe, &spool, "rec-typed"));
    }
    let sent = dumps(&rtpe, "stop recording", "rec-typed");
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(sent[0].contains("\"discard-recording\""), "{}", sent[0]);

    // 2. The spelling the client sent before (`discard recording`, spaced), raw.
    recorded_call(&any, &spool, "rec-spaced").await;
    any.stop_recording(
        "rec-spaced",
        &RecordingOptions::new().raw_flag("discard recording"),
    )
    .await
    .unwrap();
    // 26.0.1.26 matches `discard-recording` exactly in `stop recording` (audit item 8) and 10.5
    // has no discard: the recording is kept. 12.5.1.31 discards it all the same (probe: its
    // `Turning off call recording and discarding outputs.` for the spaced flag too).
    let spaced_discards = version.line() == V12_5;
    assert_eq!(discarded(&rtpe, &spool, "rec-spaced"), spaced_discards);

    // 3. No flag: every release keeps the recording.
    recorded_call(&any, &spool, "rec-plain").await;
    any.stop_recording("rec-plain", &RecordingOptions::new())
        .await
        .unwrap();
    assert!(!discarded(&rtpe, &spool, "rec-plain"));
    assert!(spool
        .metadata_of("rec-plain")
        .is_some_and(|m| m.contains("rec-plain")));

    for id in ["rec-typed", "rec-spaced", "rec-plain"] {
        common::delete(&any, id).await;
    }
}

// ---------------------------------------------------------------------------------------------
// 2c. delete with fast

/// `delete` with `Flag::Fast`: 26.0.1.26 (backport from 26.0.1.15) answers a plain `ok` and
/// deletes the call; the client sends the flag only when told a release that has it (26.0.1.26,
/// not the 26.0 line, nor 10.5.3.5 or 12.5.1.31).
#[tokio::test]
async fn delete_fast_answers_a_plain_ok_where_the_release_has_it() {
    let rtpe = start();
    let version = daemon_version(&rtpe);
    let line_only = client_for(rtpe.udp_url(), Some(version.line()), true).await;
    let exact = client_for(rtpe.udp_url(), Some(version), true).await;
    let fast = DeleteOptions::new().flags(Flag::Fast);
    let id = "fast-call";
    offer_answer(
        &exact,
        id,
        (Ipv4Addr::LOCALHOST, 40_000),
        (Ipv4Addr::LOCALHOST, 40_002),
    )
    .await;

    // A client told only the line refuses it on every release: 10.5 and 12.5 never had it, and
    // of 26.0 only 26.0.1.15 onwards has it.
    let err = line_only.delete(id, "tagA", &fast).await.unwrap_err();
    let (what, since, target) = unsupported(err);
    assert!(what.contains("fast"), "{what}");
    assert_eq!(target, version.line());
    assert!(!since.met_by(version.line()));
    assert_eq!(rtpe.log_count("Received command 'delete'"), 0);

    if version.line() == V26_0 {
        // 26.0.1.26, told exactly: sent, and the reply is a bare `result: ok` (no created,
        // tags, totals; audit item 7), which `has_call` reads as a found call.
        let reply = exact.delete(id, "tagA", &fast).await.expect("fast delete");
        assert_eq!(reply.raw.len(), 1, "{:?}", reply.raw);
        assert_eq!(reply.raw.get_string("result").as_deref(), Some("ok"));
        assert!(reply.has_call());
        assert!(reply.tags.is_empty() && reply.created.is_none());
        assert_eq!(reply.warning, None);
        let sent = dumps(&rtpe, "delete", id);
        assert!(sent[0].contains("\"fast\""), "{}", sent[0]);
        // The call is gone.
        assert!(exact.list(None).await.unwrap().is_empty());
        let err = exact.query(id, &QueryOptions::new()).await.unwrap_err();
        assert!(rtpengine_reason(&err).contains("Unknown call-id"), "{err}");
        // A fast delete of an unknown call still says so.
        let again = exact.delete(id, "tagA", &fast).await.unwrap();
        assert_eq!(again.warning.as_deref(), Some(NOT_FOUND));
        assert!(!again.has_call());
    } else {
        // 10.5.3.5, 12.5.1.31 told exactly: refused before anything is sent.
        let err = exact.delete(id, "tagA", &fast).await.unwrap_err();
        let (_, since, target) = unsupported(err);
        assert_eq!(target, version);
        assert!(!since.met_by(version));
        assert_eq!(rtpe.log_count("Received command 'delete'"), 0);
        assert_eq!(exact.list(None).await.unwrap(), [id]);
        // Sent anyway (no version), they ignore the unknown flag: the usual statistics reply
        // (10.5: both parties; 12.5.1.31: `tags: {}` as for any delete with a from-tag).
        let any = connect(&rtpe).await;
        let reply = any.delete(id, "tagA", &fast).await.unwrap();
        assert!(
            reply.has_call() && reply.created.is_some(),
            "{:?}",
            reply.raw
        );
        if version.line() == Version::V10_5 {
            // 10.5's own delete flag loop knows only `fatal` and `discard-recording`: silent.
            assert_eq!(parties(&reply), ["tagA", "tagB"]);
            assert_eq!(rtpe.log_count("Unknown flag encountered: 'fast'"), 0);
        } else {
            // 12.5.1.31 parses delete flags with the generic parser: it says so.
            assert!(reply.tags.is_empty(), "{:?}", reply.raw);
            assert_log(&rtpe, "Unknown flag encountered: 'fast'", 1);
        }
        assert!(any.list(None).await.unwrap().is_empty());
    }
}
