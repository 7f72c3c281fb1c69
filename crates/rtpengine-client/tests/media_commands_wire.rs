//! The call-control commands (recording, DTMF/media blocking, silencing, forwarding, playback)
//! on the wire, against a fake NG server: the exact request each typed call sends, the
//! `directional` flag added for newer (or unknown) targets, and the version gate of every
//! command, key and flag newer than rtpengine 10.5. What 10.5 itself does with these commands is
//! in `daemon_media_commands.rs`.

mod common;

use rtpengine_client::NgCommands;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use bytes::Bytes;
use common::client_for;
use rtpengine_client::{
    BlockDtmfOptions, Client, CodecOptions, DtmfDigit, DtmfSecurity, Error, Flag, FlowScope,
    MediaOptions, MediaSource, PlayDtmfOptions, PlayMediaOptions, RecordingOptions, Selector,
    Version,
};
use rtpengine_testkit::{FakeAction, FakeNg};

const V11_1: Version = Version::new(11, 1);
const V11_2: Version = Version::new(11, 2);
const V11_3: Version = Version::new(11, 3);
const V12_3: Version = Version::new(12, 3);
const V12_4: Version = Version::new(12, 4);

/// Answers `ok`; `play media` with a duration, `stop media` with a frame position.
async fn fake() -> FakeNg {
    FakeNg::start(|req| {
        if req.is_command("play media") {
            vec![FakeAction::Reply(Bytes::from_static(
                b"d8:durationi1500e6:result2:oke",
            ))]
        } else if req.is_command("stop media") {
            vec![FakeAction::Reply(Bytes::from_static(
                b"d14:last-frame-posi4242e6:result2:oke",
            ))]
        } else {
            vec![FakeAction::ok()]
        }
    })
    .await
    .expect("start the fake NG server")
}

/// A client for `fake` that targets `target` (unknown when `None`).
async fn client(fake: &FakeNg, target: Option<Version>) -> Client {
    let mut builder = Client::builder(fake.url()).timeout(Duration::from_secs(2));
    if let Some(v) = target {
        builder = builder.rtpengine_version(v);
    }
    builder.connect().await.expect("connect to the fake")
}

/// The body (bencoded dictionary) of the last request the fake received.
fn last(fake: &FakeNg) -> String {
    let req = fake.received().pop().expect("a request was sent");
    String::from_utf8(req.body.to_vec()).expect("UTF-8 body")
}

/// Asserts an `Error::Unsupported` for `what`, needing `since`, and that nothing was sent.
fn assert_unsupported<T: std::fmt::Debug>(
    fake: &FakeNg,
    sent_before: usize,
    result: Result<T, Error>,
    what: &str,
    since: Version,
) {
    match result {
        Err(Error::Unsupported {
            what: w,
            since: s,
            target,
        }) => {
            assert_eq!((w.as_str(), s.mainline), (what, since));
            assert!(!s.met_by(target), "{target} lacks {s}");
        }
        other => panic!("expected Unsupported for {what}, got {other:?}"),
    }
    assert_eq!(fake.received_count(), sent_before, "nothing may be sent");
}

fn assert_invalid<T: std::fmt::Debug>(result: Result<T, Error>, needle: &str) {
    match result {
        Err(Error::InvalidRequest { reason }) => {
            assert!(reason.contains(needle), "{reason:?} should name {needle}")
        }
        other => panic!("expected InvalidRequest naming {needle}, got {other:?}"),
    }
}

fn tag_a() -> Selector {
    Selector::FromTag("tagA".into())
}

#[tokio::test]
async fn recording_commands_send_exact_dicts() {
    let fake = fake().await;
    let c = client(&fake, Some(Version::V10_5)).await;

    let opts = RecordingOptions::new()
        .from_tag("tagA")
        .metadata("a:1|b:2")
        .output_destination("/rec/x.wav");
    let ack = c.start_recording("c", &opts).await.unwrap();
    assert!(ack.warning.is_none());
    assert_eq!(
        last(&fake),
        "d7:command15:start recording7:call-id1:c8:from-tag4:tagA8:metadata7:a:1|b:2\
         18:output-destination10:/rec/x.wave"
    );
    c.stop_recording("c", &RecordingOptions::new().metadata("done"))
        .await
        .unwrap();
    assert_eq!(
        last(&fake),
        "d7:command14:stop recording7:call-id1:c8:metadata4:donee"
    );

    // `pause recording` is 11.3+: refused for 10.5 without sending, sent for 11.3.
    let n = fake.received_count();
    let r = c.pause_recording("c", &RecordingOptions::new()).await;
    assert_unsupported(&fake, n, r, "command 'pause recording'", V11_3);
    client(&fake, Some(V11_3))
        .await
        .pause_recording("c", &RecordingOptions::new())
        .await
        .unwrap();
    assert_eq!(last(&fake), "d7:command15:pause recording7:call-id1:ce");
    // With the check off it goes out even for 10.5.
    let unchecked = client_for(fake.url(), Some(Version::V10_5), false).await;
    unchecked
        .pause_recording("c", &RecordingOptions::new())
        .await
        .unwrap();
    assert_eq!(last(&fake), "d7:command15:pause recording7:call-id1:ce");

    // `stop recording` with `pause: yes` (11.3+) pauses.
    let pause = RecordingOptions::new().pause(true);
    let n = fake.received_count();
    let r = c.stop_recording("c", &pause).await;
    assert_unsupported(&fake, n, r, "option 'pause'", V11_3);
    client(&fake, Some(V11_3))
        .await
        .stop_recording("c", &pause)
        .await
        .unwrap();
    assert_eq!(
        last(&fake),
        "d7:command14:stop recording7:call-id1:c5:pause3:yese"
    );
    // `pause` makes no sense for start recording.
    let n = fake.received_count();
    let v11_3 = client(&fake, Some(V11_3)).await;
    assert_invalid(v11_3.start_recording("c", &pause).await, "'pause'");
    assert_invalid(v11_3.pause_recording("c", &pause).await, "'pause'");
    assert_eq!(fake.received_count(), n);

    // Recording file naming keys are 12.2+ (in `start recording` as in `offer`).
    let named = RecordingOptions::new()
        .recording_file("f")
        .recording_dir("/d")
        .recording_pattern("%c");
    let n = fake.received_count();
    let r = client(&fake, Some(Version::new(12, 1)))
        .await
        .start_recording("c", &named)
        .await;
    assert_unsupported(&fake, n, r, "option 'recording-file'", Version::new(12, 2));
    client(&fake, Some(Version::new(12, 2)))
        .await
        .start_recording("c", &named)
        .await
        .unwrap();
    assert_eq!(
        last(&fake),
        "d7:command15:start recording7:call-id1:c14:recording-file1:f\
         13:recording-dir2:/d17:recording-pattern2:%ce"
    );
}

#[tokio::test]
async fn directional_is_added_for_one_party_on_12_4_and_unknown_targets() {
    let fake = fake().await;
    let unknown = client(&fake, None).await;
    let v12_4 = client(&fake, Some(V12_4)).await;
    let v12_3 = client(&fake, Some(V12_3)).await;
    let v10_5 = client(&fake, Some(Version::V10_5)).await;

    // (command, send it)
    async fn each(c: &Client, command: &str, sel: &Selector) {
        let dtmf = BlockDtmfOptions::new();
        let media = MediaOptions::new();
        match command {
            "block DTMF" => c.block_dtmf("c", sel, &dtmf).await,
            "unblock DTMF" => c.unblock_dtmf("c", sel, &dtmf).await,
            "block media" => c.block_media("c", sel, &media).await,
            "unblock media" => c.unblock_media("c", sel, &media).await,
            "start forwarding" => c.start_forwarding("c", sel, &media).await,
            "stop forwarding" => c.stop_forwarding("c", sel, &media).await,
            "silence media" => c.silence_media("c", sel, &media).await,
            "unsilence media" => c.unsilence_media("c", sel, &media).await,
            other => panic!("{other}"),
        }
        .unwrap_or_else(|e| panic!("{command}: {e}"));
    }
    let head = |command: &str| format!("d7:command{}:{command}7:call-id1:c", command.len());

    for command in [
        "block DTMF",
        "unblock DTMF",
        "block media",
        "unblock media",
        "start forwarding",
        "stop forwarding",
    ] {
        let sel = tag_a();
        for c in [&unknown, &v12_4] {
            each(c, command, &sel).await;
            assert_eq!(
                last(&fake),
                format!("{}8:from-tag4:tagA5:flagsl11:directionalee", head(command)),
                "{command}"
            );
        }
        for c in [&v12_3, &v10_5] {
            each(c, command, &sel).await;
            assert_eq!(
                last(&fake),
                format!("{}8:from-tag4:tagAe", head(command)),
                "{command}"
            );
        }
        // The whole call: nothing selects, nothing added; every party: the `all` flag.
        each(&unknown, command, &Selector::Call).await;
        assert_eq!(last(&fake), format!("{}e", head(command)));
        each(&unknown, command, &Selector::All).await;
        assert_eq!(last(&fake), format!("{}5:flagsl3:allee", head(command)));
    }

    // Labels and addresses name one party too.
    each(&unknown, "block media", &Selector::Label("caller".into())).await;
    assert_eq!(
        last(&fake),
        "d7:command11:block media7:call-id1:c5:label6:caller5:flagsl11:directionalee"
    );
    let addr = Selector::Address(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)));
    each(&unknown, "block DTMF", &addr).await;
    assert_eq!(
        last(&fake),
        "d7:command10:block DTMF7:call-id1:c7:address9:192.0.2.15:flagsl11:directionalee"
    );
    each(&v10_5, "block DTMF", &addr).await;
    assert_eq!(
        last(&fake),
        "d7:command10:block DTMF7:call-id1:c7:address9:192.0.2.1e"
    );

    // Silencing never needed it.
    for command in ["silence media", "unsilence media"] {
        each(&unknown, command, &tag_a()).await;
        assert_eq!(last(&fake), format!("{}8:from-tag4:tagAe", head(command)));
    }

    // The added flag joins the options' own flags (typed first, raw last) and is never doubled.
    let opts = MediaOptions::new().flags(Flag::Debug).raw_flag("x-custom");
    unknown.block_media("c", &tag_a(), &opts).await.unwrap();
    assert_eq!(
        last(&fake),
        "d7:command11:block media7:call-id1:c8:from-tag4:tagA\
         5:flagsl5:debug11:directional8:x-customee"
    );
    let explicit = MediaOptions::new().flags(Flag::Directional);
    unknown.block_media("c", &tag_a(), &explicit).await.unwrap();
    assert_eq!(last(&fake).matches("directional").count(), 1);
    // Asked for explicitly, the flag is version-checked like any other.
    let n = fake.received_count();
    let r = v10_5.block_media("c", &tag_a(), &explicit).await;
    assert_unsupported(&fake, n, r, "value 'directional' of option 'flags'", V12_4);
}

#[tokio::test]
async fn block_dtmf_options_exact_and_gated() {
    let fake = fake().await;
    let c = client(&fake, Some(Version::V10_5)).await;
    let opts = BlockDtmfOptions::new()
        .dtmf_security(DtmfSecurity::Dtmf)
        .dtmf_security_trigger(DtmfSecurity::Drop)
        .dtmf_security_trigger_end(DtmfSecurity::Off)
        .trigger("*9")
        .trigger_end("#")
        .trigger_end_time(5000)
        .trigger_end_digits(4)
        .frequency(1000)
        .volume(-10)
        .digit(DtmfDigit::from_char('#').unwrap())
        .delay_buffer(100)
        .dtmf_delay(200);
    c.block_dtmf("c", &Selector::Call, &opts).await.unwrap();
    assert_eq!(
        last(&fake),
        "d7:command10:block DTMF7:call-id1:c\
         13:DTMF-security4:DTMF21:DTMF-security-trigger4:drop25:DTMF-security-trigger-end3:off\
         7:trigger2:*911:trigger-end1:#16:trigger-end-timei5000e18:trigger-end-digitsi4e\
         9:frequencyi1000e6:volumei-10e5:digit1:#12:delay-bufferi100e10:DTMF-delayi200ee"
    );
    // unblock DTMF honours delay-buffer.
    c.unblock_dtmf(
        "c",
        &Selector::All,
        &BlockDtmfOptions::new().delay_buffer(0),
    )
    .await
    .unwrap();
    assert_eq!(
        last(&fake),
        "d7:command12:unblock DTMF7:call-id1:c12:delay-bufferi0e5:flagsl3:allee"
    );
    // Several tone frequencies are 11.2+.
    let freqs = BlockDtmfOptions::new()
        .dtmf_security(DtmfSecurity::Tone)
        .frequencies(400)
        .frequencies(800);
    let n = fake.received_count();
    let r = c.block_dtmf("c", &Selector::Call, &freqs).await;
    assert_unsupported(&fake, n, r, "option 'frequencies'", V11_2);
    client(&fake, Some(V11_2))
        .await
        .block_dtmf("c", &Selector::Call, &freqs)
        .await
        .unwrap();
    assert_eq!(
        last(&fake),
        "d7:command10:block DTMF7:call-id1:c13:DTMF-security4:tone11:frequenciesli400ei800eee"
    );
}

#[tokio::test]
async fn media_flow_selection_keys_are_11_1() {
    let fake = fake().await;
    let old = client(&fake, Some(Version::V10_5)).await;
    let new = client(&fake, Some(V11_1)).await;
    let cases = [
        (
            MediaOptions::new().to_tag("tagB"),
            "option 'to-tag'",
            "6:to-tag4:tagB",
        ),
        (
            MediaOptions::new().to_label("callee"),
            "option 'to-label'",
            "8:to-label6:callee",
        ),
        (
            MediaOptions::new().all(FlowScope::ExceptOfferAnswer),
            "option 'all'",
            "3:all19:except-offer-answer",
        ),
    ];
    for (opts, what, entry) in cases {
        let n = fake.received_count();
        let r = old.silence_media("c", &tag_a(), &opts).await;
        assert_unsupported(&fake, n, r, what, V11_1);
        new.silence_media("c", &tag_a(), &opts).await.unwrap();
        assert_eq!(
            last(&fake),
            format!("d7:command13:silence media7:call-id1:c8:from-tag4:tagA{entry}e")
        );
    }
    // Forwarding metadata is as old as 10.5.
    old.start_forwarding("c", &Selector::Call, &MediaOptions::new().metadata("m"))
        .await
        .unwrap();
    assert_eq!(
        last(&fake),
        "d7:command16:start forwarding7:call-id1:c8:metadata1:me"
    );
}

#[tokio::test]
async fn play_media_exact_gated_and_reply() {
    let fake = fake().await;
    let c = client(&fake, Some(Version::V10_5)).await;
    let b = Selector::FromTag("tagB".into());

    let reply = c
        .play_media(
            "c",
            &b,
            MediaSource::File("/tmp/x.wav".into()),
            &PlayMediaOptions::new().repeat_times(3),
        )
        .await
        .unwrap();
    assert_eq!(reply.duration, Some(Duration::from_millis(1500)));
    assert_eq!(reply.raw.get_int("duration"), Some(1500));
    assert_eq!(
        last(&fake),
        "d7:command10:play media7:call-id1:c8:from-tag4:tagB4:file10:/tmp/x.wav\
         12:repeat-timesi3ee"
    );
    // Binary blobs go as they are; database ids as integers; `all` as a flag.
    let blob = Bytes::from_static(b"RIFF\x00\xff\x80");
    c.play_media(
        "c",
        &Selector::All,
        MediaSource::Blob(blob),
        &PlayMediaOptions::new(),
    )
    .await
    .unwrap();
    let req = fake.received().pop().unwrap();
    assert_eq!(
        req.body.as_ref(),
        b"d7:command10:play media7:call-id1:c4:blob7:RIFF\x00\xff\x805:flagsl3:allee"
    );
    c.play_media("c", &b, MediaSource::DbId(7), &PlayMediaOptions::new())
        .await
        .unwrap();
    assert_eq!(
        last(&fake),
        "d7:command10:play media7:call-id1:c8:from-tag4:tagB5:db-idi7ee"
    );
    // No directional flag for playback, whatever the target.
    client(&fake, None)
        .await
        .play_media("c", &b, MediaSource::DbId(7), &PlayMediaOptions::new())
        .await
        .unwrap();
    assert!(!last(&fake).contains("directional"));

    // Newer keys, values and flags: refused for 10.5, sent for their release.
    let newer: Vec<(MediaSource, PlayMediaOptions, &str, Version, &str)> = vec![
        (
            MediaSource::Blob64("UklGRg==".into()),
            PlayMediaOptions::new(),
            "option 'blob64'",
            Version::new(26, 1),
            "6:blob648:UklGRg==",
        ),
        (
            MediaSource::DbId(1),
            PlayMediaOptions::new().start_pos(8000),
            "option 'start-pos'",
            V11_2,
            "5:db-idi1e9:start-posi8000e",
        ),
        (
            MediaSource::DbId(1),
            PlayMediaOptions::new().repeat_duration(10_000),
            "option 'repeat-duration'",
            Version::new(13, 2),
            "5:db-idi1e15:repeat-durationi10000e",
        ),
        (
            MediaSource::DbId(1),
            PlayMediaOptions::new().block_egress(true),
            "value 'block egress' of option 'flags'",
            V12_3,
            "5:db-idi1e5:flagsl12:block egresse",
        ),
        (
            MediaSource::DbId(1),
            PlayMediaOptions::new().codec(CodecOptions::new().set("opus/48000/2/32000")),
            "option 'codec'",
            Version::new(13, 0),
            "5:db-idi1e5:codecd3:setl18:opus/48000/2/32000ee",
        ),
    ];
    for (source, opts, what, since, entries) in newer {
        let n = fake.received_count();
        let r = c.play_media("c", &b, source.clone(), &opts).await;
        assert_unsupported(&fake, n, r, what, since);
        client(&fake, Some(since))
            .await
            .play_media("c", &b, source, &opts)
            .await
            .unwrap();
        assert_eq!(
            last(&fake),
            format!("d7:command10:play media7:call-id1:c8:from-tag4:tagB{entries}e")
        );
    }

    // Refused before sending: nobody selected, nothing to play.
    let n = fake.received_count();
    let file = MediaSource::File("/x.wav".into());
    assert_invalid(
        c.play_media("c", &Selector::Call, file.clone(), &PlayMediaOptions::new())
            .await,
        "participant",
    );
    assert_invalid(
        c.play_media(
            "c",
            &b,
            MediaSource::File(String::new()),
            &PlayMediaOptions::new(),
        )
        .await,
        "'file'",
    );
    assert_invalid(
        c.play_media("c", &b, MediaSource::DbId(0), &PlayMediaOptions::new())
            .await,
        "'db-id'",
    );
    assert_eq!(fake.received_count(), n);
    // A raw selection key counts as a selection.
    c.play_media(
        "c",
        &Selector::Call,
        file,
        &PlayMediaOptions::new().raw_key("label", "callee"),
    )
    .await
    .unwrap();
    assert_eq!(
        last(&fake),
        "d7:command10:play media7:call-id1:c4:file6:/x.wav5:label6:calleee"
    );
}

#[tokio::test]
async fn stop_media_and_play_dtmf() {
    let fake = fake().await;
    let c = client(&fake, None).await;
    let reply = c.stop_media("c", &Selector::All).await.unwrap();
    assert_eq!(reply.last_frame_pos, Some(4242));
    assert_eq!(
        last(&fake),
        "d7:command10:stop media7:call-id1:c5:flagsl3:allee"
    );
    c.stop_media("c", &tag_a()).await.unwrap();
    assert_eq!(
        last(&fake),
        "d7:command10:stop media7:call-id1:c8:from-tag4:tagAe"
    );

    let opts = PlayDtmfOptions::new().duration(200).volume(-10).pause(150);
    let hash = DtmfDigit::from_code(11).unwrap();
    c.play_dtmf("c", &tag_a(), hash, &opts).await.unwrap();
    assert_eq!(
        last(&fake),
        "d7:command9:play DTMF7:call-id1:c8:from-tag4:tagA4:code1:#\
         8:durationi200e6:volumei-10e5:pausei150ee"
    );
    // A char, a code or text do as well; lower-case letters are sent upper-case.
    for code in ['d', 'D'] {
        c.play_dtmf("c", &tag_a(), code, &PlayDtmfOptions::new())
            .await
            .unwrap();
        assert_eq!(
            last(&fake),
            "d7:command9:play DTMF7:call-id1:c8:from-tag4:tagA4:code1:De"
        );
    }
    c.play_dtmf("c", &tag_a(), 10u8, &PlayDtmfOptions::new())
        .await
        .unwrap();
    assert!(last(&fake).contains("4:code1:*"));
    c.play_dtmf("c", &tag_a(), "0", &PlayDtmfOptions::new())
        .await
        .unwrap();
    assert!(last(&fake).contains("4:code1:0"));

    // Out of range: refused before sending, naming the option.
    let n = fake.received_count();
    let err = DtmfDigit::from_code(16).unwrap_err();
    assert!(err.to_string().contains("'code'"), "{err}");
    assert!(matches!(err, Error::InvalidRequest { .. }));
    assert!("E".parse::<DtmfDigit>().is_err());
    assert_invalid(
        c.play_dtmf("c", &tag_a(), 16u8, &PlayDtmfOptions::new())
            .await,
        "'code'",
    );
    assert_invalid(
        c.play_dtmf("c", &tag_a(), 'x', &PlayDtmfOptions::new())
            .await,
        "'code'",
    );
    assert_invalid(
        c.play_dtmf("c", &tag_a(), "12a", &PlayDtmfOptions::new())
            .await,
        "'code'",
    );
    for (bad, key) in [
        (PlayDtmfOptions::new().duration(0), "'duration'"),
        (PlayDtmfOptions::new().duration(5001), "'duration'"),
        (PlayDtmfOptions::new().pause(99), "'pause'"),
    ] {
        assert_invalid(c.play_dtmf("c", &tag_a(), hash, &bad).await, key);
    }
    assert_invalid(
        c.play_dtmf("c", &Selector::Call, hash, &PlayDtmfOptions::new())
            .await,
        "participant",
    );
    assert_eq!(fake.received_count(), n);
}
