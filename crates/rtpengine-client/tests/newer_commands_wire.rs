//! Commands newer than the installed rtpengine 10.5 (`connect`, `cli`, `transform`,
//! `inject start`/`stop`, `create`, `create answer`, `mesh`, anonymous `publish`), checked
//! against the protocol reference with the scriptable `FakeNg`: the exact request dictionary
//! the client sends, the typed reply read from a scripted reply, and the version gate (refused
//! before sending for 10.5; sent with the check off or with the right version). Also
//! `discover_version` against fakes of newer daemons.

mod common;

use bytes::Bytes;
use common::{client_for, unsupported};
use rtpengine_client::bencode::{encode, Dict, Value};
use rtpengine_client::NgCommands;
use rtpengine_client::{
    AnswerOptions, Client, ConnectOptions, CreateMedia, Error, Flag, InjectOptions, MeshOptions,
    MeshTag, OfferOptions, PayloadFormat, TransformCodec, TransformMedia, TransformOptions,
    TransportProtocol, Version,
};
use rtpengine_testkit::{FakeAction, FakeNg, FakeRequest};

fn s(text: &str) -> Value {
    Value::str(text)
}

fn l(items: &[&str]) -> Value {
    Value::str_list(items)
}

fn d(entries: Vec<(&'static str, Value)>) -> Value {
    Value::Dict(entries.into_iter().collect::<Dict>())
}

fn i(n: i64) -> Value {
    Value::Int(n)
}

/// A scripted reply body.
fn reply(entries: Vec<(&'static str, Value)>) -> FakeAction {
    let mut entries = entries;
    entries.push(("result", s("ok")));
    FakeAction::Reply(Bytes::from(encode(&d(entries))))
}

/// Replies as a newer rtpengine would.
fn newer_daemon(req: &FakeRequest) -> Vec<FakeAction> {
    let action = if req.is_command("cli") {
        reply(vec![(
            "response",
            s("Current sessions own: 2\nCurrent sessions foreign: 0\n"),
        )])
    } else if req.is_command("transform") {
        reply(vec![
            ("call-id", s("generated-call")),
            ("from-tag", s("generated-tag")),
            (
                "media",
                Value::List(vec![
                    d(vec![
                        ("id", s("a1")),
                        ("family", s("IP4")),
                        ("address", s("203.0.113.5")),
                        ("port", i(30_000)),
                    ]),
                    d(vec![("id", s("v1"))]),
                ]),
            ),
        ])
    } else if req.is_command("create") {
        reply(vec![
            ("call-id", s("new-call")),
            ("from-tag", s("new-tag")),
            (
                "sdp",
                s("v=0\r\ns=rtpengine-26-0-1-1\r\nm=audio 30002 RTP/AVP 9 8\r\n"),
            ),
        ])
    } else if req.is_command("publish") {
        reply(vec![
            ("call-id", s("anon-call")),
            ("from-tag", s("anon-tag")),
            ("sdp", s("v=0\r\na=recvonly\r\n")),
        ])
    } else {
        FakeAction::ok()
    };
    vec![action]
}

async fn fake() -> FakeNg {
    FakeNg::start(newer_daemon).await.expect("start the fake")
}

/// The one request the fake received, checked byte for byte against `expected`.
fn assert_sent(fake: &FakeNg, expected: Value) {
    let got = fake.received();
    assert_eq!(got.len(), 1, "expected one request, got {got:?}");
    let want = encode(&expected);
    assert_eq!(
        got[0].body.as_ref(),
        want.as_slice(),
        "\n sent: {}\n want: {}",
        got[0].body.escape_ascii(),
        want.escape_ascii()
    );
}

#[tokio::test]
async fn connect_sends_the_reference_keys() {
    let fake = fake().await;
    // `directional` and the other source forms are read by `connect` since 26.0.
    let client = client_for(fake.url(), Some(Version::new(26, 0)), true).await;
    client
        .connect_parties(
            "call-1",
            "A",
            "B",
            &ConnectOptions::new()
                .to_call_id("call-2")
                .flag(Flag::Directional),
        )
        .await
        .expect("connect");
    assert_sent(
        &fake,
        d(vec![
            ("command", s("connect")),
            ("call-id", s("call-1")),
            ("from-tag", s("A")),
            ("to-tag", s("B")),
            ("to-call-id", s("call-2")),
            ("flags", l(&["directional"])),
        ]),
    );

    // Several sources in directional mode: `from-tags`, no from-tag.
    let fake = self::fake().await;
    let client = client_for(fake.url(), Some(Version::new(26, 0)), true).await;
    client
        .connect_parties(
            "call-1",
            "",
            "C",
            &ConnectOptions::new()
                .from_tags("A")
                .from_tags("B")
                .flag(Flag::Directional),
        )
        .await
        .unwrap();
    assert_sent(
        &fake,
        d(vec![
            ("command", s("connect")),
            ("call-id", s("call-1")),
            ("to-tag", s("C")),
            ("from-tags", l(&["A", "B"])),
            ("flags", l(&["directional"])),
        ]),
    );

    // No source at all is refused before sending.
    let err = client
        .connect_parties("call-1", "", "C", &ConnectOptions::new())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidRequest { .. }), "{err:?}");
    assert_eq!(fake.received_count(), 1);
}

#[tokio::test]
async fn cli_sends_the_body_and_returns_the_response() {
    let fake = fake().await;
    let client = client_for(fake.url(), Some(Version::new(13, 2)), true).await;
    let out = client.cli("list numsessions").await.expect("cli");
    assert_eq!(
        out.response,
        "Current sessions own: 2\nCurrent sessions foreign: 0\n"
    );
    assert_sent(
        &fake,
        d(vec![("command", s("cli")), ("body", s("list numsessions"))]),
    );
}

#[tokio::test]
async fn transform_sends_typed_media_and_reads_where_to_send() {
    let fake = fake().await;
    let client = client_for(fake.url(), Some(Version::new(13, 3)), true).await;
    let media = [
        TransformMedia::new("audio", "192.0.2.7:4444".parse().unwrap())
            .id("a1")
            .codec(TransformCodec::new(
                PayloadFormat::new("G729", 18, 8000, 1).format("annexb=no"),
                PayloadFormat::new("PCMA", 8, 8000, 1).options("bitrate=64000"),
            )),
    ];
    let out = client
        .transform(&media, &TransformOptions::new().instance("node-1"))
        .await
        .expect("transform");
    assert_sent(
        &fake,
        d(vec![
            ("command", s("transform")),
            ("instance", s("node-1")),
            (
                "media",
                Value::List(vec![d(vec![
                    ("id", s("a1")),
                    ("type", s("audio")),
                    (
                        "codec",
                        Value::List(vec![d(vec![
                            (
                                "input",
                                d(vec![
                                    ("codec", s("G729")),
                                    ("payload type", i(18)),
                                    ("clock rate", i(8000)),
                                    ("channels", i(1)),
                                    ("format", s("annexb=no")),
                                ]),
                            ),
                            (
                                "output",
                                d(vec![
                                    ("codec", s("PCMA")),
                                    ("payload type", i(8)),
                                    ("clock rate", i(8000)),
                                    ("channels", i(1)),
                                    ("options", s("bitrate=64000")),
                                ]),
                            ),
                        ])]),
                    ),
                    (
                        "destination",
                        d(vec![
                            ("family", s("IP4")),
                            ("address", s("192.0.2.7")),
                            ("port", i(4444)),
                        ]),
                    ),
                ])]),
            ),
        ]),
    );
    assert_eq!(out.call_id.as_deref(), Some("generated-call"));
    assert_eq!(out.from_tag.as_deref(), Some("generated-tag"));
    assert_eq!(out.media.len(), 2);
    assert_eq!(out.media[0].id.as_deref(), Some("a1"));
    assert_eq!(out.media[0].family.as_deref(), Some("IP4"));
    assert_eq!(
        out.media[0].socket_addr(),
        Some("203.0.113.5:30000".parse().unwrap())
    );
    // rtpengine leaves out the address of a media it could not place.
    assert_eq!(out.media[1].socket_addr(), None);

    // `instance` is itself a 13.3 key; an IPv6 destination says IP6.
    let fake = self::fake().await;
    let client = client_for(fake.url(), Some(Version::new(13, 3)), true).await;
    let v6 = [TransformMedia::new(
        "audio",
        "[2001:db8::7]:5000".parse().unwrap(),
    )];
    client
        .transform(&v6, &TransformOptions::new().call_id("c").from_tag("f"))
        .await
        .unwrap();
    assert_sent(
        &fake,
        d(vec![
            ("command", s("transform")),
            ("call-id", s("c")),
            ("from-tag", s("f")),
            (
                "media",
                Value::List(vec![d(vec![
                    ("type", s("audio")),
                    ("codec", Value::List(vec![])),
                    (
                        "destination",
                        d(vec![
                            ("family", s("IP6")),
                            ("address", s("2001:db8::7")),
                            ("port", i(5000)),
                        ]),
                    ),
                ])]),
            ),
        ]),
    );
}

#[tokio::test]
async fn inject_start_and_stop_name_destination_and_source() {
    for (start, command) in [(true, "inject start"), (false, "inject stop")] {
        let fake = fake().await;
        let client = client_for(fake.url(), Some(Version::new(26, 0)), true).await;
        let opts = InjectOptions::new().source_call_id("src-call");
        if start {
            client.inject_start("main-call", "dst", "src", &opts).await
        } else {
            client.inject_stop("main-call", "dst", "src", &opts).await
        }
        .expect(command);
        assert_sent(
            &fake,
            d(vec![
                ("command", s(command)),
                ("call-id", s("main-call")),
                ("to-tag", s("dst")),
                ("source-tag", s("src")),
                ("source-call-id", s("src-call")),
            ]),
        );
    }
}

#[tokio::test]
async fn create_and_create_answer() {
    let fake = fake().await;
    let client = client_for(fake.url(), Some(Version::new(26, 0)), true).await;
    let medias = [
        CreateMedia::new("audio", ["G722", "PCMA"]),
        CreateMedia::new("video", ["VP8"]),
    ];
    let out = client
        .create(
            "",
            "",
            &medias,
            &OfferOptions::new().transport_protocol(TransportProtocol::RtpAvp),
        )
        .await
        .expect("create");
    assert_sent(
        &fake,
        d(vec![
            ("command", s("create")),
            (
                "medias",
                Value::List(vec![
                    d(vec![("type", s("audio")), ("codecs", l(&["G722", "PCMA"]))]),
                    d(vec![("type", s("video")), ("codecs", l(&["VP8"]))]),
                ]),
            ),
            ("transport protocol", s("RTP/AVP")),
        ]),
    );
    assert_eq!(out.call_id, "new-call");
    assert_eq!(out.from_tag, "new-tag");
    assert!(out.sdp_str().contains("m=audio 30002 RTP/AVP 9 8"));

    let fake = self::fake().await;
    let client = client_for(fake.url(), Some(Version::new(26, 0)), true).await;
    client
        .create_answer("v=0\r\n", "new-call", "new-tag", &AnswerOptions::new())
        .await
        .expect("create answer");
    assert_sent(
        &fake,
        d(vec![
            ("command", s("create answer")),
            ("sdp", s("v=0\r\n")),
            ("call-id", s("new-call")),
            ("from-tag", s("new-tag")),
        ]),
    );
}

#[tokio::test]
async fn mesh_sends_calls_tags_and_flags() {
    let fake = fake().await;
    let client = client_for(fake.url(), Some(Version::new(26, 1)), true).await;
    let opts = MeshOptions::new()
        .tags(MeshTag::new("A", ["B", "C"]))
        .tags(MeshTag::new("B", ["A"]))
        .flag(Flag::Unsubscribe)
        .flag(Flag::Bidirectional);
    client
        .mesh(&["call-1", "call-2"], &opts)
        .await
        .expect("mesh");
    assert_sent(
        &fake,
        d(vec![
            ("command", s("mesh")),
            ("calls", l(&["call-1", "call-2"])),
            (
                "tags",
                Value::List(vec![
                    d(vec![("from", s("A")), ("to", l(&["B", "C"]))]),
                    d(vec![("from", s("B")), ("to", l(&["A"]))]),
                ]),
            ),
            ("flags", l(&["unsubscribe", "bidirectional"])),
        ]),
    );
    let none: [&str; 0] = [];
    let err = client.mesh(&none, &MeshOptions::new()).await.unwrap_err();
    assert!(matches!(err, Error::InvalidRequest { .. }), "{err:?}");
    assert_eq!(fake.received_count(), 1);
}

#[tokio::test]
async fn anonymous_publish_reads_the_generated_identity() {
    let fake = fake().await;
    let client = client_for(fake.url(), Some(Version::new(26, 0)), true).await;
    let out = client
        .publish("v=0\r\na=sendonly\r\n", "", "", &OfferOptions::new())
        .await
        .expect("publish");
    assert_sent(
        &fake,
        d(vec![
            ("command", s("publish")),
            ("sdp", s("v=0\r\na=sendonly\r\n")),
        ]),
    );
    assert_eq!(out.call_id.as_deref(), Some("anon-call"));
    assert_eq!(out.from_tag.as_deref(), Some("anon-tag"));
    assert_eq!(out.sdp_str(), "v=0\r\na=recvonly\r\n");
}

/// Each newer command, sent by a client that targets `version`; `Ok(())` when the fake
/// answered.
async fn send_each(client: &Client) -> Vec<(&'static str, Result<(), Error>)> {
    let media = [TransformMedia::new(
        "audio",
        "192.0.2.7:4444".parse().unwrap(),
    )];
    let offer = OfferOptions::new();
    vec![
        (
            "connect",
            client
                .connect_parties("c", "A", "B", &ConnectOptions::new())
                .await
                .map(drop),
        ),
        ("cli", client.cli("list totals").await.map(drop)),
        (
            "transform",
            client
                .transform(&media, &TransformOptions::new())
                .await
                .map(drop),
        ),
        (
            "inject start",
            client
                .inject_start("c", "B", "A", &InjectOptions::new())
                .await
                .map(drop),
        ),
        (
            "inject stop",
            client
                .inject_stop("c", "B", "A", &InjectOptions::new())
                .await
                .map(drop),
        ),
        ("create", client.create("", "", &[], &offer).await.map(drop)),
        (
            "create answer",
            client
                .create_answer("v=0\r\n", "c", "A", &AnswerOptions::new())
                .await
                .map(drop),
        ),
        (
            "mesh",
            client.mesh(&["c"], &MeshOptions::new()).await.map(drop),
        ),
    ]
}

const SINCE: &[(&str, Version)] = &[
    ("connect", Version::new(13, 2)),
    ("cli", Version::new(13, 2)),
    ("transform", Version::new(13, 3)),
    ("inject start", Version::new(26, 0)),
    ("inject stop", Version::new(26, 0)),
    ("create", Version::new(26, 0)),
    ("create answer", Version::new(26, 0)),
    ("mesh", Version::new(26, 1)),
];

#[tokio::test]
async fn version_gate_refuses_before_sending() {
    // 10.5: every one refused, nothing sent.
    let fake = fake().await;
    let client = client_for(fake.url(), Some(Version::V10_5), true).await;
    for ((name, result), (cmd, since)) in send_each(&client).await.into_iter().zip(SINCE) {
        assert_eq!(name, *cmd);
        let (what, got_since, target) = unsupported(result.unwrap_err());
        assert_eq!(
            (got_since.mainline, target),
            (*since, Version::V10_5),
            "{name}"
        );
        assert_eq!(what, format!("command '{name}'"));
    }
    assert_eq!(fake.received_count(), 0, "{:?}", fake.received());

    // 13.3: connect, cli and transform go out; the 26.x ones do not.
    let fake = self::fake().await;
    let client = client_for(fake.url(), Some(Version::new(13, 3)), true).await;
    for ((name, result), (_, since)) in send_each(&client).await.into_iter().zip(SINCE) {
        if *since <= Version::new(13, 3) {
            result.unwrap_or_else(|e| panic!("{name}: {e}"));
        } else {
            assert_eq!(unsupported(result.unwrap_err()).1, *since, "{name}");
        }
    }
    let sent: Vec<_> = fake.received().iter().map(command_of).collect();
    assert_eq!(sent, ["connect", "cli", "transform"]);

    // The newest release line: everything goes out.
    let fake = self::fake().await;
    let client = client_for(fake.url(), Some(Version::LATEST_KNOWN), true).await;
    for (name, result) in send_each(&client).await {
        result.unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    assert_eq!(fake.received_count(), SINCE.len());

    // Check off: a 10.5 target sends them anyway; so does a client with no version.
    for builder in [
        Client::builder(fake.url())
            .rtpengine_version(Version::V10_5)
            .version_check(false),
        Client::builder(fake.url()),
    ] {
        let before = fake.received_count();
        let client = builder.connect().await.unwrap();
        for (name, result) in send_each(&client).await {
            result.unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        assert_eq!(fake.received_count() - before, SINCE.len());
    }

    // An option newer than its command: a 13.2 `connect` with a 26.0 flag.
    let fake = self::fake().await;
    let client = client_for(fake.url(), Some(Version::new(13, 2)), true).await;
    let err = client
        .connect_parties(
            "c",
            "A",
            "B",
            &ConnectOptions::new().flag(Flag::Bidirectional),
        )
        .await
        .unwrap_err();
    let (what, since, _) = unsupported(err);
    assert_eq!(since, Version::new(26, 0));
    assert!(what.contains("bidirectional"), "{what}");
    assert_eq!(fake.received_count(), 0);
}

fn command_of(req: &FakeRequest) -> String {
    let v = rtpengine_client::bencode::decode(&req.body)
        .unwrap()
        .to_owned_value();
    v.get("command").unwrap().as_str().unwrap().to_owned()
}

/// A fake whose `cli` answers `cli_response` (or `Unrecognized command` when `None`) and whose
/// `publish` answers an SDP with session name `session`.
async fn versioned_fake(cli_response: Option<&'static str>, session: &'static str) -> FakeNg {
    FakeNg::start(move |req| {
        let action = if req.is_command("cli") {
            match cli_response {
                Some(text) => reply(vec![("response", s(text))]),
                None => FakeAction::error("Unrecognized command"),
            }
        } else if req.is_command("publish") {
            let sdp = format!(
                "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns={session}\r\nt=0 0\r\n\
                 m=audio 30000 RTP/AVP 0\r\nc=IN IP4 127.0.0.1\r\na=recvonly\r\n"
            );
            FakeAction::ok_with_sdp(sdp.as_bytes())
        } else {
            FakeAction::ok()
        };
        vec![action]
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn discover_version_reads_the_cli_response() {
    let fake = versioned_fake(Some("rtpengine\nVersion: 13.2.1.4\n"), "unused").await;
    let client = Client::connect(&fake.url()).await.unwrap();
    // The whole version, to the patch level.
    assert_eq!(
        client.discover_version().await.unwrap(),
        Version::full(13, 2, 1, 4)
    );
    assert_eq!(client.rtpengine_version(), Some(Version::full(13, 2, 1, 4)));
    assert_sent(
        &fake,
        d(vec![("command", s("cli")), ("body", s("version"))]),
    );
    // From now on 13.2 is the target: `connect` goes out, `transform` does not.
    client
        .connect_parties("c", "A", "B", &ConnectOptions::new())
        .await
        .unwrap();
    let err = client
        .transform(
            &[TransformMedia::new("audio", "192.0.2.7:1".parse().unwrap())],
            &TransformOptions::new(),
        )
        .await
        .unwrap_err();
    assert_eq!(unsupported(err).1, Version::new(13, 3));
}

#[tokio::test]
async fn discover_version_falls_back_to_a_publish_probe() {
    // 13.2+ whose CLI has no `version` command (rtpengine's so far): the probe decides.
    let fake = versioned_fake(Some("Unknown command: version\n"), "rtpengine-14-1-2-0").await;
    let client = Client::connect(&fake.url()).await.unwrap();
    assert_eq!(
        client.discover_version().await.unwrap(),
        Version::full(14, 1, 2, 0)
    );
    let sent = fake.received();
    let commands: Vec<_> = sent.iter().map(command_of).collect();
    assert_eq!(commands, ["cli", "publish", "delete"]);
    // The probe is a sendonly stream under a random call-id, deleted at once.
    let publish = rtpengine_client::bencode::decode(&sent[1].body)
        .unwrap()
        .to_owned_value();
    let call_id = publish.get("call-id").unwrap().as_str().unwrap().to_owned();
    assert!(
        call_id.starts_with("rtpengine-client-version-probe-"),
        "{call_id}"
    );
    let sdp = publish.get("sdp").unwrap().as_str().unwrap().to_owned();
    assert!(sdp.contains("a=sendonly\r\n"), "{sdp}");
    let delete = rtpengine_client::bencode::decode(&sent[2].body)
        .unwrap()
        .to_owned_value();
    assert_eq!(
        delete.get("call-id").unwrap().as_str(),
        Some(call_id.as_str())
    );
    assert_eq!(delete.get("delete delay").unwrap().as_int(), Some(0));

    // Before 13.2 (`cli` unknown), as 10.5 answers.
    let fake = versioned_fake(None, "rtpengine-12-5-1-3").await;
    let client = Client::connect(&fake.url()).await.unwrap();
    assert_eq!(
        client.discover_version().await.unwrap(),
        Version::full(12, 5, 1, 3)
    );
    assert_eq!(fake.received_count(), 3);

    // A custom --software-id names no version: an error, and the probe is still deleted.
    let fake = versioned_fake(None, "my-sbc").await;
    let client = Client::connect(&fake.url()).await.unwrap();
    let err = client.discover_version().await.unwrap_err();
    assert!(matches!(err, Error::MalformedReply { .. }), "{err:?}");
    assert!(err.to_string().contains("s=my-sbc"), "{err}");
    assert_eq!(client.rtpengine_version(), None);
    let commands: Vec<_> = fake.received().iter().map(command_of).collect();
    assert_eq!(commands, ["cli", "publish", "delete"]);

    // A session name older than `cli` contradicts the daemon knowing `cli`.
    let fake = versioned_fake(Some("Unknown command: version\n"), "rtpengine-10-5-3-5").await;
    let client = Client::connect(&fake.url()).await.unwrap();
    assert!(client.discover_version().await.is_err());
    assert_eq!(client.rtpengine_version(), None);
}

#[tokio::test]
async fn discovery_asks_even_when_a_version_is_configured() {
    // `cli` is newer than the configured 10.5, but discovery must still ask it.
    let fake = versioned_fake(Some("Version: 26.1.0.0"), "unused").await;
    let client = client_for(fake.url(), Some(Version::V10_5), true).await;
    assert_eq!(
        client.discover_version().await.unwrap(),
        Version::new(26, 1)
    );
    // The first recorded version stays in force.
    assert_eq!(client.rtpengine_version(), Some(Version::V10_5));
    assert_eq!(fake.received_count(), 1);
}
