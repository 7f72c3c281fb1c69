//! JSON bodies (`ClientBuilder::json(true)`): against the real daemon over UDP, HTTP and
//! WebSocket, with the bytes on the wire recorded by small relays; refused on TCP; the exact
//! request a fake server receives (no floats, no nulls, the same content as the bencode
//! request); requests JSON cannot carry; how JSON replies are read.

use rtpengine_client::NgCommands;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use rtpengine_client::bencode::{Dict, Value};
use rtpengine_client::{
    Client, CodecOptions, DeleteOptions, Error, Flag, OfferOptions, QueryOptions,
};
use rtpengine_testkit::rtp::{sdp_audio, sdp_connection_addr};
use rtpengine_testkit::{FakeAction, FakeNg, Rtpengine};
use tokio::net::{TcpListener, TcpStream, UdpSocket};

type Wire = Arc<Mutex<Vec<(bool, Vec<u8>)>>>;

/// A UDP relay to `upstream` that records every datagram (`true`: client → daemon).
async fn udp_recorder(upstream: SocketAddr) -> (SocketAddr, Wire) {
    let front = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let back = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    back.connect(upstream).await.unwrap();
    let addr = front.local_addr().unwrap();
    let wire: Wire = Arc::default();
    let log = Arc::clone(&wire);
    tokio::spawn(async move {
        let mut client = None;
        let (mut a, mut b) = (vec![0u8; 65_536], vec![0u8; 65_536]);
        loop {
            tokio::select! {
                Ok((n, from)) = front.recv_from(&mut a) => {
                    client = Some(from);
                    log.lock().unwrap().push((true, a[..n].to_vec()));
                    let _ = back.send(&a[..n]).await;
                }
                Ok(n) = back.recv(&mut b) => {
                    log.lock().unwrap().push((false, b[..n].to_vec()));
                    if let Some(c) = client {
                        let _ = front.send_to(&b[..n], c).await;
                    }
                }
            }
        }
    });
    (addr, wire)
}

/// A TCP relay to `upstream` that records every chunk (`true`: client → daemon).
async fn tcp_recorder(upstream: SocketAddr) -> (SocketAddr, Wire) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let wire: Wire = Arc::default();
    let log = Arc::clone(&wire);
    tokio::spawn(async move {
        while let Ok((inbound, _)) = listener.accept().await {
            let log = Arc::clone(&log);
            tokio::spawn(async move {
                let outbound = TcpStream::connect(upstream).await.unwrap();
                let (ri, wi) = inbound.into_split();
                let (ro, wo) = outbound.into_split();
                let up = pump(ri, wo, true, Arc::clone(&log));
                let down = pump(ro, wi, false, log);
                let _ = tokio::join!(up, down);
            });
        }
    });
    (addr, wire)
}

async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    upstream: bool,
    log: Wire,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buf = vec![0u8; 65_536];
    while let Ok(n) = from.read(&mut buf).await {
        if n == 0 {
            break;
        }
        log.lock().unwrap().push((upstream, buf[..n].to_vec()));
        if to.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
}

fn joined(wire: &Wire, upstream: bool) -> String {
    let bytes: Vec<u8> = wire
        .lock()
        .unwrap()
        .iter()
        .filter(|(up, _)| *up == upstream)
        .flat_map(|(_, b)| b.clone())
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// ping, an offer with a list, an integer and a nested dictionary, query, delete, query: five
/// requests.
async fn json_suite(client: &Client, call_id: &str) {
    client.ping().await.expect("ping");
    let options = OfferOptions::new()
        .flag(Flag::TrustAddress)
        .ptime(30)
        .codec(CodecOptions::new().strip("PCMA"));
    let offer = client
        .offer(
            sdp_audio("192.0.2.10", 40_000, 1),
            call_id,
            "tagA",
            &options,
        )
        .await
        .expect("offer");
    let sdp = offer.sdp_str();
    // The daemon applied every option: the address was trusted, PCMA stripped, ptime set.
    assert_eq!(
        sdp_connection_addr(&sdp).as_deref(),
        Some("127.0.0.1"),
        "{sdp}"
    );
    assert!(sdp.contains("a=ptime:30\r\n"), "{sdp}");
    assert!(!sdp.contains("PCMA"), "{sdp}");
    assert!(sdp.contains("PCMU/8000"), "{sdp}");
    let stats = client
        .query(call_id, &QueryOptions::new())
        .await
        .expect("query");
    assert!(
        stats.tags.iter().any(|t| t.tag == "tagA"),
        "{:?}",
        stats.raw
    );
    assert!(stats.created.is_some());
    let deleted = client
        .delete(call_id, "tagA", &DeleteOptions::new())
        .await
        .expect("delete");
    assert_eq!(deleted.warning, None);
    let err = client
        .query(call_id, &QueryOptions::new())
        .await
        .unwrap_err();
    assert!(err.is_rtpengine_error(), "{err}");
}

#[tokio::test]
async fn json_over_udp_http_and_ws_against_the_daemon() {
    let rtpe = Rtpengine::start().expect("start rtpengine (these tests need the real daemon)");

    // UDP: every request and every reply is `cookie SP {json}`.
    let (relay, wire) = udp_recorder(rtpe.ng_udp_addr()).await;
    let client = Client::builder(format!("udp://{relay}"))
        .json(true)
        .connect()
        .await
        .unwrap();
    json_suite(&client, "json-udp").await;
    let datagrams = wire.lock().unwrap().clone();
    assert_eq!(datagrams.len(), 10, "5 requests and 5 replies");
    for (_, d) in &datagrams {
        let space = d.iter().position(|&b| b == b' ').unwrap();
        assert_eq!(d[space + 1], b'{', "{}", String::from_utf8_lossy(d));
    }
    let sent = joined(&wire, true);
    assert!(
        sent.contains(r#"{"command":"offer","sdp":"v=0\r\n"#),
        "{sent}"
    );
    assert!(sent.contains(r#""flags":["trust address"]"#), "{sent}");
    assert!(sent.contains(r#""ptime":30"#), "{sent}");
    assert!(sent.contains(r#""codec":{"strip":["PCMA"]}"#), "{sent}");
    assert!(joined(&wire, false).contains(r#"{"result":"pong"}"#));

    // HTTP: the POST bodies and the reply bodies are JSON.
    let (relay, wire) = tcp_recorder(rtpe.http_addr()).await;
    let client = Client::builder(format!("http://{relay}"))
        .json(true)
        .connect()
        .await
        .unwrap();
    json_suite(&client, "json-http").await;
    let sent = joined(&wire, true);
    assert_eq!(
        sent.matches("Content-Type: application/x-rtpengine-ng\r\n")
            .count(),
        5
    );
    assert_eq!(sent.matches("\r\n\r\n").count(), 5);
    assert!(sent.contains(r#" {"command":"ping"}"#), "{sent}");
    assert!(!sent.contains("d7:command"), "{sent}");
    let received = joined(&wire, false);
    assert!(received.contains(r#" {"result":"pong"}"#), "{received}");
    assert!(received.contains(r#""result":"ok""#), "{received}");

    // WebSocket: client frames are masked, but the daemon answers in the request's encoding,
    // and its replies (unmasked) are JSON.
    let (relay, wire) = tcp_recorder(rtpe.http_addr()).await;
    let client = Client::builder(format!("ws://{relay}"))
        .json(true)
        .connect()
        .await
        .unwrap();
    json_suite(&client, "json-ws").await;
    let received = joined(&wire, false);
    assert!(received.contains(r#" {"result":"pong"}"#), "{received}");
    assert!(!received.contains("d6:result"), "{received}");
}

#[tokio::test]
async fn json_is_refused_on_tcp_before_connecting() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let err = Client::builder(format!("tcp://{addr}"))
        .json(true)
        .connect()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::BadUrl { .. }), "{err:?}");
    assert!(err.to_string().contains("JSON"), "{err}");
    assert!(err.to_string().contains("TCP"), "{err}");
    let accepted = tokio::time::timeout(Duration::from_millis(100), listener.accept()).await;
    assert!(accepted.is_err(), "nothing connected");
}

#[tokio::test]
async fn json_with_a_tcp_stream_transport_is_refused() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let fake = FakeNg::start(|_| vec![FakeAction::pong()]).await.unwrap();
    let err = Client::builder(fake.url())
        .stream(format!("tcp://{}", listener.local_addr().unwrap()))
        .json(true)
        .connect()
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::BadUrl { .. }) && err.to_string().contains("JSON"),
        "{err:?}"
    );
    // Without JSON the same setup connects.
    let client = Client::builder(fake.url())
        .stream(format!("tcp://{}", listener.local_addr().unwrap()))
        .connect()
        .await
        .unwrap();
    client.ping().await.unwrap();
}

fn no_float_null_or_bool(v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::Null | serde_json::Value::Bool(_) => false,
        serde_json::Value::Number(n) => n.is_i64(),
        serde_json::Value::String(_) => true,
        serde_json::Value::Array(a) => a.iter().all(no_float_null_or_bool),
        serde_json::Value::Object(o) => o.values().all(no_float_null_or_bool),
    }
}

fn parse_body(body: &Bytes) -> Dict {
    let message = Bytes::from([b"c ".as_slice(), body].concat());
    rtpengine_client::message::parse_message(&message)
        .unwrap()
        .1
}

#[tokio::test]
async fn the_json_request_carries_the_bencode_content_and_no_float_or_null() {
    let fake = FakeNg::start(|_| vec![FakeAction::ok()]).await.unwrap();
    let json = Client::builder(fake.url())
        .json(true)
        .connect()
        .await
        .unwrap();
    let bencode = Client::connect(&fake.url()).await.unwrap();
    let mut nested = Dict::new();
    nested.insert("n", Value::Int(-7));
    nested.insert(
        "list",
        Value::List(vec![
            Value::Int(0),
            Value::str("x \"quoted\"\n"),
            Value::List(vec![]),
        ]),
    );
    let mut dict = Dict::new();
    dict.insert("call-id", "c1");
    dict.insert("big", Value::Int(i64::MAX));
    dict.insert("zero", Value::Int(0));
    dict.insert("nested", Value::Dict(nested));
    dict.insert("empty", Value::Dict(Dict::new()));
    dict.insert("text", "é ünïcode");
    json.request("query", &dict).await.unwrap();
    bencode.request("query", &dict).await.unwrap();

    let received = fake.received();
    assert_eq!(received.len(), 2);
    let json_body = &received[0].body;
    assert_eq!(
        std::str::from_utf8(json_body).unwrap(),
        r#"{"command":"query","call-id":"c1","big":9223372036854775807,"zero":0,"nested":{"n":-7,"list":[0,"x \"quoted\"\n",[]]},"empty":{},"text":"é ünïcode"}"#
    );
    let parsed: serde_json::Value = serde_json::from_slice(json_body).unwrap();
    assert!(no_float_null_or_bool(&parsed), "{parsed}");
    // The same dictionary as the bencode request.
    assert_eq!(parse_body(json_body), parse_body(&received[1].body));
}

#[tokio::test]
async fn bytes_json_cannot_carry_are_refused_naming_the_key() {
    let fake = FakeNg::start(|_| vec![FakeAction::ok()]).await.unwrap();
    let client = Client::builder(fake.url())
        .json(true)
        .connect()
        .await
        .unwrap();
    let sdp = [b"v=0\r\ns=\xff\xfe\r\n".as_slice()].concat();
    let err = client
        .offer(&sdp, "c1", "tagA", &OfferOptions::new())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidRequest { .. }), "{err:?}");
    assert!(err.to_string().contains("'sdp'"), "{err}");
    assert!(err.to_string().contains("UTF-8"), "{err}");
    let mut dict = Dict::new();
    dict.insert(
        "flags",
        Value::List(vec![Value::str("ok"), Value::bytes(&b"\x80"[..])]),
    );
    let err = client.request("offer", &dict).await.unwrap_err();
    assert!(err.to_string().contains("'flags[1]'"), "{err}");
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(fake.received_count(), 0, "nothing was sent");
}

#[tokio::test]
async fn json_replies_are_read_into_dicts() {
    let reply = r#"{"result":"ok","n":5,"yes":true,"no":false,"ratio":0.25,"gone":null,"list":["a",null,1],"nested":{"sdp":"v=0\r\n"}}"#;
    let fake =
        FakeNg::start(move |_| vec![FakeAction::Reply(Bytes::from_static(reply.as_bytes()))])
            .await
            .unwrap();
    // Replies are read whatever the request encoding.
    for json in [true, false] {
        let client = Client::builder(fake.url())
            .json(json)
            .connect()
            .await
            .unwrap();
        let d = client.request("query", &Dict::new()).await.unwrap();
        assert_eq!(d.get_int("n"), Some(5));
        assert_eq!(d.get_int("yes"), Some(1));
        assert_eq!(d.get_int("no"), Some(0));
        assert_eq!(d.get_string("ratio").as_deref(), Some("0.25"));
        assert!(!d.contains_key("gone"));
        let list = d.get("list").and_then(Value::as_list).unwrap();
        assert_eq!(list, &[Value::str("a"), Value::Int(1)]);
        assert_eq!(
            d.get("nested")
                .and_then(|n| n.get("sdp"))
                .and_then(Value::as_str),
            Some("v=0\r\n")
        );
    }
    // A JSON `result: error` is an rtpengine error like a bencode one.
    let fake = FakeNg::start(|_| {
        vec![FakeAction::Reply(Bytes::from_static(
            br#"{"result":"error","error-reason":"Unknown call-id"}"#,
        ))]
    })
    .await
    .unwrap();
    let client = Client::builder(fake.url())
        .json(true)
        .connect()
        .await
        .unwrap();
    let err = client
        .query("nope", &QueryOptions::new())
        .await
        .unwrap_err();
    assert_eq!(err.reason(), Some("Unknown call-id"));
}
