//! NG over HTTP (`http://host:port/ng`) and WebSocket (`ws://host:port`, subprotocol
//! `ng.rtpengine.com`) against the real rtpengine daemon (its `--listen-http` port serves both),
//! plus a few scripted fake servers for what the daemon never does (pings, close frames,
//! refused subprotocols, keep-alive connections closed while idle, chunked replies).
//!
//! Connections are counted with a small TCP relay between the client and the daemon. The daemon
//! is the release `RTPENGINE_RELEASE` selects (10.5, 12.5.1.31 or 26.0.1.26); where they answer
//! differently, the test pins each release's behaviour.

use rtpengine_client::NgCommands;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use rtpengine_client::{
    AnswerOptions, Client, DeleteOptions, Error, OfferOptions, QueryOptions, Version,
};
use rtpengine_testkit::rtp::{sdp_audio, sdp_connection_addr, sdp_media_port};
use rtpengine_testkit::Rtpengine;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::broadcast;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;

fn start() -> Rtpengine {
    Rtpengine::builder()
        .arg("--log-level-http=7")
        .start()
        .expect("start rtpengine (these tests need the real daemon)")
}

/// The daemon's release line (10.5, 12.5 or 26.0), for the replies that differ per release.
fn line(rtpe: &Rtpengine) -> Version {
    let (major, minor, _, _) = rtpe
        .version_numbers()
        .unwrap_or_else(|| panic!("rtpengine --version names no version: {}", rtpe.version()));
    Version::new(major, minor)
}

fn url(scheme: &str, addr: SocketAddr) -> String {
    format!("{scheme}://{addr}")
}

/// A TCP relay to `upstream` that counts the connections it accepts and can cut them all.
struct Relay {
    addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
    cut: broadcast::Sender<()>,
}

impl Relay {
    async fn start(upstream: SocketAddr) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let accepted = Arc::new(AtomicUsize::new(0));
        let (cut, _) = broadcast::channel(4);
        let (count, cut_tx) = (Arc::clone(&accepted), cut.clone());
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                let mut cut_rx = cut_tx.subscribe();
                tokio::spawn(async move {
                    let Ok(mut outbound) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = cut_rx.recv() => {}
                    }
                });
            }
        });
        Relay {
            addr,
            accepted,
            cut,
        }
    }

    fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    /// Drops every relayed connection (both sides see the connection end).
    fn cut_all(&self) {
        let _ = self.cut.send(());
    }
}

/// ping, offer, answer, query, list, delete over one client, checking the daemon's effects.
async fn operation_suite(client: &Client, rtpe: &Rtpengine, call_id: &str) {
    client.ping().await.expect("ping");
    let offer = client
        .offer(
            sdp_audio("192.0.2.10", 40_000, 1),
            call_id,
            "tagA",
            &OfferOptions::new(),
        )
        .await
        .expect("offer");
    let sdp = offer.sdp_str();
    assert_eq!(
        sdp_connection_addr(&sdp).as_deref(),
        Some("127.0.0.1"),
        "{sdp}"
    );
    let offer_port = sdp_media_port(&sdp).expect("m=audio port");
    assert!(rtpe.media_port_range().contains(&offer_port), "{sdp}");
    let answer = client
        .answer(
            sdp_audio("192.0.2.20", 50_000, 2),
            call_id,
            "tagA",
            "tagB",
            &AnswerOptions::new(),
        )
        .await
        .expect("answer");
    let answer_port = sdp_media_port(&answer.sdp_str()).expect("m=audio port");
    assert!(rtpe.media_port_range().contains(&answer_port));
    assert_ne!(answer_port, offer_port);

    let stats = client
        .query(call_id, &QueryOptions::new())
        .await
        .expect("query");
    let mut tags: Vec<_> = stats.tags.iter().map(|t| t.tag.clone()).collect();
    tags.sort();
    assert_eq!(tags, ["tagA", "tagB"], "{:?}", stats.raw);

    let calls = client.list(Some(100)).await.expect("list");
    assert!(calls.iter().any(|c| c == call_id), "{calls:?}");

    let deleted = client
        .delete(call_id, "tagA", &DeleteOptions::new())
        .await
        .expect("delete");
    assert_eq!(deleted.warning, None);
    assert!(
        deleted.has_call() && deleted.created.is_some(),
        "{:?}",
        deleted.raw
    );
    if line(rtpe) == Version::new(12, 5) {
        // 12.5.1.31 answers a `delete` with a from-tag with `tags: {}` and zero totals
        // (release matrix run and a raw NG probe: 10.5 and 26.0 list both parties). The query
        // above saw both parties.
        assert!(deleted.tags.is_empty(), "{:?}", deleted.raw);
        assert_eq!(deleted.rtp_totals.packets, 0);
    } else {
        // 10.5 and 26.0: the final stats of both parties.
        let mut tags: Vec<_> = deleted.tags.iter().map(|t| t.tag.clone()).collect();
        tags.sort();
        assert_eq!(tags, ["tagA", "tagB"], "{:?}", deleted.raw);
    }
    let calls = client.list(Some(100)).await.expect("list after delete");
    assert!(!calls.iter().any(|c| c == call_id), "{calls:?}");
    let err = client
        .query(call_id, &QueryOptions::new())
        .await
        .unwrap_err();
    assert!(err.is_rtpengine_error(), "{err}");
}

#[tokio::test]
async fn every_operation_over_http() {
    let rtpe = start();
    let client = Client::connect(&url("http", rtpe.http_addr()))
        .await
        .expect("connect over HTTP");
    assert_eq!(client.url().path, "/ng");
    operation_suite(&client, &rtpe, "http-call").await;
    // The requests really went over HTTP POST /ng from the client's connection.
    let port = client.local_addr().unwrap().port();
    // ping, offer, answer, query, list, delete, list, query: 8 requests.
    let line = format!("HTTP POST from 127.0.0.1:{port}: '/ng'");
    assert!(
        rtpe.wait_for_log(&line, 8, Duration::from_secs(2)),
        "{line}\n{}",
        rtpe.log()
    );
    assert_eq!(rtpe.log_count(&line), 8);
    assert_eq!(
        rtpe.log_count("POST content-type: application/x-rtpengine-ng"),
        8
    );
}

#[tokio::test]
async fn every_operation_over_websocket() {
    let rtpe = start();
    let client = Client::connect(&url("ws", rtpe.http_addr()))
        .await
        .expect("connect over WebSocket");
    operation_suite(&client, &rtpe, "ws-call").await;
    assert!(rtpe.sync_log());
    assert_eq!(
        rtpe.log_count("Websocket protocol 'rtpengine-ng' established"),
        1
    );
    assert_eq!(rtpe.log_count("HTTP POST from"), 0);
    // Every reply went back through the WebSocket (the 8 requests of the suite).
    assert_eq!(
        rtpe.log_count("Writing back to LWS: '"),
        8,
        "{}",
        rtpe.log()
    );
}

/// A `list` reply of ~70 KB: lost over UDP (over the datagram limit), whole over HTTP and WS.
#[tokio::test]
async fn a_70_kb_list_reply_arrives_over_http_and_ws() {
    let rtpe = start();
    let udp = Client::connect(&rtpe.udp_url()).await.unwrap();
    let mut created = Vec::new();
    // 46 calls (each takes four of the daemon's 200 media ports) with ~1.5 KB call-ids.
    for n in 0..46 {
        let call_id = format!("{n:03}-{}", "x".repeat(1_550));
        udp.offer(
            sdp_audio("192.0.2.10", 40_000 + 2 * n, 1),
            &call_id,
            "tagA",
            &OfferOptions::new(),
        )
        .await
        .expect("offer");
        created.push(call_id);
    }
    created.sort();
    let total: usize = created.iter().map(|c| c.len() + 6).sum();
    assert!(total > 70_000, "{total}");

    let err = udp
        .with_timeout(Duration::from_millis(1_500))
        .list(Some(100))
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "UDP: {err}");

    for scheme in ["http", "ws"] {
        let client = Client::connect(&url(scheme, rtpe.http_addr()))
            .await
            .unwrap();
        let mut calls = client
            .list(Some(100))
            .await
            .unwrap_or_else(|e| panic!("{scheme}: {e}"));
        calls.sort();
        assert_eq!(calls, created, "{scheme}");
    }
}

#[tokio::test]
async fn http_keep_alive_uses_one_connection_for_sequential_requests() {
    let rtpe = start();
    let relay = Relay::start(rtpe.http_addr()).await;
    let client = Client::connect(&url("http", relay.addr)).await.unwrap();
    let local = client.local_addr().unwrap();
    for _ in 0..20 {
        client.ping().await.expect("ping");
    }
    assert_eq!(
        relay.accepted(),
        1,
        "one keep-alive connection for 20 requests"
    );
    assert_eq!(client.local_addr().unwrap(), local);
    assert!(rtpe.wait_for_log("Received command 'ping'", 20, Duration::from_secs(2)));
}

#[tokio::test]
async fn one_hundred_concurrent_requests_over_http_and_ws() {
    let rtpe = start();
    for scheme in ["http", "ws"] {
        let relay = Relay::start(rtpe.http_addr()).await;
        let client = Client::connect(&url(scheme, relay.addr)).await.unwrap();
        // A call every query below reads.
        let base = format!("{scheme}-base");
        client
            .offer(
                sdp_audio("192.0.2.10", 29_000, 1),
                &base,
                "tagBase",
                &OfferOptions::new(),
            )
            .await
            .unwrap();
        // 100 at once: 40 offers of new calls (each takes four of the daemon's 200 media ports)
        // and 60 queries.
        let tasks: Vec<_> = (0..100u16)
            .map(|n| {
                let (client, base) = (client.clone(), base.clone());
                tokio::spawn(async move {
                    if n % 5 < 2 {
                        let call_id = format!("{scheme}-conc-{n}");
                        let reply = client
                            .offer(
                                sdp_audio("192.0.2.10", 30_000 + 2 * n, 1),
                                &call_id,
                                "tagA",
                                &OfferOptions::new(),
                            )
                            .await?;
                        assert!(sdp_media_port(&reply.sdp_str()).is_some());
                        Ok(Some(call_id))
                    } else {
                        let stats = client.query(&base, &QueryOptions::new()).await?;
                        assert!(
                            stats.tags.iter().any(|t| t.tag == "tagBase"),
                            "{:?}",
                            stats.raw
                        );
                        Ok::<_, Error>(None)
                    }
                })
            })
            .collect();
        let mut ids = Vec::new();
        for t in tasks {
            ids.extend(t.await.unwrap().unwrap_or_else(|e| panic!("{scheme}: {e}")));
        }
        assert_eq!(ids.len(), 40);
        assert_eq!(client.in_flight(), 0);
        let calls = client.list(Some(1_000)).await.unwrap();
        for id in &ids {
            assert!(calls.contains(id), "{scheme}: {id} missing");
        }
        // And the calls deleted concurrently (which also frees the media ports for the next
        // round).
        ids.push(base);
        let tasks: Vec<_> = ids
            .iter()
            .map(|id| {
                let (client, id) = (client.clone(), id.clone());
                tokio::spawn(async move {
                    let tag = if id.ends_with("-base") {
                        "tagBase"
                    } else {
                        "tagA"
                    };
                    client.delete(&id, tag, &DeleteOptions::new()).await
                })
            })
            .collect();
        for t in tasks {
            let stats = t.await.unwrap().unwrap_or_else(|e| panic!("{scheme}: {e}"));
            assert_eq!(stats.warning, None);
        }
        assert!(client.list(Some(1_000)).await.unwrap().is_empty());
        // A bounded pool of connections, one request on each at a time (rtpengine garbles
        // concurrent replies on one WebSocket connection).
        let connections = relay.accepted();
        assert!(
            (2..=32).contains(&connections),
            "{scheme}: {connections} connections"
        );
    }
}

#[tokio::test]
async fn a_wrong_path_is_an_error_naming_status_404() {
    let rtpe = start();
    let pings_before = rtpe.log_count("Received command 'ping'");
    let client = Client::connect(&format!("http://{}/nope", rtpe.http_addr()))
        .await
        .unwrap();
    let err = client.ping().await.unwrap_err();
    assert!(matches!(err, Error::MalformedReply { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("HTTP status 404"), "{text}");
    assert!(text.contains("/nope"), "{text}");
    // The daemon's log line: 10.5 names the method, 12.5.1.31 and 26.0.1.26 do not
    // (release matrix run; the daemon log: `Unhandled HTTP URI: '/nope'`).
    let logged = if line(&rtpe) == Version::V10_5 {
        "Unhandled HTTP POST URI: '/nope'"
    } else {
        "Unhandled HTTP URI: '/nope'"
    };
    assert!(
        rtpe.wait_for_log(logged, 1, Duration::from_secs(2)),
        "{logged}\n{}",
        rtpe.log_tail(20)
    );
    // Nothing was executed.
    assert_eq!(rtpe.log_count("Received command 'ping'"), pings_before);
}

#[tokio::test]
async fn nothing_listening_is_an_io_error_at_connect() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    for scheme in ["http", "ws"] {
        let err = Client::connect(&format!("{scheme}://127.0.0.1:{port}"))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Io { .. }), "{scheme}: {err:?}");
    }
}

#[tokio::test]
async fn websocket_reconnects_after_the_connection_drops() {
    let rtpe = start();
    let relay = Relay::start(rtpe.http_addr()).await;
    let client = Client::connect(&url("ws", relay.addr)).await.unwrap();
    client.ping().await.unwrap();
    relay.cut_all();
    tokio::time::sleep(Duration::from_millis(100)).await;
    // The driver reconnects; requests keep working.
    for _ in 0..3 {
        client.ping().await.expect("ping after reconnect");
    }
    assert_eq!(relay.accepted(), 2);
    assert!(rtpe.wait_for_log(
        "Websocket protocol 'rtpengine-ng' established",
        2,
        Duration::from_secs(2)
    ));
}

#[tokio::test]
async fn http_survives_the_daemon_dropping_its_connections() {
    let rtpe = start();
    let relay = Relay::start(rtpe.http_addr()).await;
    let client = Client::connect(&url("http", relay.addr)).await.unwrap();
    client.ping().await.unwrap();
    relay.cut_all();
    tokio::time::sleep(Duration::from_millis(100)).await;
    // The pooled connection is dead: the request goes again on a fresh one.
    client
        .ping()
        .await
        .expect("ping after the pooled connection died");
    client.ping().await.expect("and again");
    assert_eq!(relay.accepted(), 2);
}

// ---- scripted fake servers -------------------------------------------------------------------

/// A fake WebSocket NG server: checks the subprotocol, pings the client as soon as it
/// connects, sends a stale reply (another cookie) before each real one, and closes the first
/// connection with a close frame after its first reply; the client answers the ping, skips the
/// stale reply, and after the close frame sends its next request again on a new connection.
#[tokio::test]
// The handshake callback's error type is the WebSocket library's.
#[allow(clippy::result_large_err)]
async fn websocket_pings_stale_replies_and_close_frames() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let log = Arc::new(Mutex::new(Vec::<String>::new()));
    let server_log = Arc::clone(&log);
    tokio::spawn(async move {
        for conn in 0.. {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let log = Arc::clone(&server_log);
            tokio::spawn(async move {
                let handshake_log = Arc::clone(&log);
                let callback = move |req: &Request, mut resp: Response| {
                    let offered = req
                        .headers()
                        .get("Sec-WebSocket-Protocol")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_owned();
                    handshake_log
                        .lock()
                        .unwrap()
                        .push(format!("{conn}: protocol {offered}"));
                    resp.headers_mut().insert(
                        "Sec-WebSocket-Protocol",
                        HeaderValue::from_static("ng.rtpengine.com"),
                    );
                    Ok(resp)
                };
                let mut ws = tokio_tungstenite::accept_hdr_async(tcp, callback)
                    .await
                    .unwrap();
                ws.send(Message::Ping(b"hello".to_vec().into()))
                    .await
                    .unwrap();
                while let Some(Ok(msg)) = ws.next().await {
                    match msg {
                        Message::Pong(p) => log
                            .lock()
                            .unwrap()
                            .push(format!("{conn}: pong {}", String::from_utf8_lossy(&p))),
                        Message::Binary(b) => {
                            let cookie = b.split(|&c| c == b' ').next().unwrap().to_vec();
                            log.lock().unwrap().push(format!(
                                "{conn}: request {}",
                                String::from_utf8_lossy(&cookie)
                            ));
                            let stale = b"stale-cookie d6:result5:errore".to_vec();
                            ws.send(Message::Binary(stale.into())).await.unwrap();
                            let mut reply = cookie;
                            reply.extend_from_slice(b" d6:result4:ponge");
                            ws.send(Message::Binary(reply.into())).await.unwrap();
                            if conn == 0 {
                                let _ = ws.send(Message::Close(None)).await;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
            });
        }
    });

    let client = Client::connect(&format!("ws://{addr}")).await.unwrap();
    client.ping().await.expect("first ping");
    tokio::time::sleep(Duration::from_millis(50)).await;
    // The pooled connection got a close frame: the request goes again on a new connection.
    client.ping().await.expect("ping after a close frame");
    client.ping().await.expect("and on the new connection");
    let log = log.lock().unwrap().clone();
    assert!(
        log.contains(&"0: protocol ng.rtpengine.com".to_owned()),
        "{log:?}"
    );
    assert!(
        log.contains(&"1: protocol ng.rtpengine.com".to_owned()),
        "{log:?}"
    );
    // (The first connection is closed before the fake reads its pong; the second reads it.)
    assert!(log.contains(&"1: pong hello".to_owned()), "{log:?}");
    assert!(
        !log.iter().any(|l| l.starts_with("2:")),
        "two connections: {log:?}"
    );
    let requests: Vec<_> = log.iter().filter(|l| l.contains("request")).collect();
    assert_eq!(requests.len(), 3, "{log:?}");
}

/// A request whose connection drops before its reply is sent again, with the same cookie, on
/// the next connection.
#[tokio::test]
#[allow(clippy::result_large_err)]
async fn websocket_resends_a_request_whose_connection_dropped() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let cookies = Arc::new(Mutex::new(Vec::<Vec<u8>>::new()));
    let seen = Arc::clone(&cookies);
    tokio::spawn(async move {
        for conn in 0.. {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let callback = |_: &Request, mut resp: Response| {
                resp.headers_mut().insert(
                    "Sec-WebSocket-Protocol",
                    HeaderValue::from_static("ng.rtpengine.com"),
                );
                Ok(resp)
            };
            let mut ws = tokio_tungstenite::accept_hdr_async(tcp, callback)
                .await
                .unwrap();
            while let Some(Ok(msg)) = ws.next().await {
                if let Message::Binary(b) = msg {
                    let cookie = b.split(|&c| c == b' ').next().unwrap().to_vec();
                    seen.lock().unwrap().push(cookie.clone());
                    if conn == 0 {
                        break; // drop the connection without a reply (and without a close frame)
                    }
                    let mut reply = cookie;
                    reply.extend_from_slice(b" d6:result4:ponge");
                    ws.send(Message::Binary(reply.into())).await.unwrap();
                }
            }
        }
    });
    let client = Client::connect(&format!("ws://{addr}")).await.unwrap();
    client
        .ping()
        .await
        .expect("answered on the second connection");
    let cookies = cookies.lock().unwrap().clone();
    assert_eq!(cookies.len(), 2, "{cookies:?}");
    assert_eq!(cookies[0], cookies[1], "the same cookie both times");
}

#[tokio::test]
async fn websocket_refused_subprotocol_is_a_clear_error() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        // Accepts the upgrade but names no subprotocol.
        while let Ok((tcp, _)) = listener.accept().await {
            tokio::spawn(async move {
                if let Ok(mut ws) = tokio_tungstenite::accept_async(tcp).await {
                    while ws.next().await.is_some() {}
                }
            });
        }
    });
    let err = Client::connect(&format!("ws://{addr}")).await.unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err:?}");
    assert!(err.to_string().contains("ng.rtpengine.com"), "{err}");
}

/// A fake HTTP server: reads one request per loop, hands it to `respond`, which returns the raw
/// response and whether to close the connection afterwards.
async fn fake_http<F>(respond: F) -> (SocketAddr, Arc<Mutex<Vec<(usize, Vec<u8>)>>>)
where
    F: Fn(usize, &[u8]) -> (Vec<u8>, bool) + Send + Sync + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen2 = Arc::clone(&seen);
    let respond = Arc::new(respond);
    tokio::spawn(async move {
        for conn in 0.. {
            let Ok((mut tcp, _)) = listener.accept().await else {
                return;
            };
            let (seen, respond) = (Arc::clone(&seen2), Arc::clone(&respond));
            tokio::spawn(async move {
                let mut buf = Vec::new();
                loop {
                    let mut chunk = [0u8; 4096];
                    let head_end = loop {
                        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                            break p + 4;
                        }
                        match tcp.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    };
                    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
                    let len: usize = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .map(|v| v.trim().parse().unwrap())
                        .unwrap_or(0);
                    while buf.len() < head_end + len {
                        match tcp.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    let request: Vec<u8> = buf.drain(..head_end + len).collect();
                    seen.lock().unwrap().push((conn, request.clone()));
                    let (response, close) = respond(conn, &request);
                    if tcp.write_all(&response).await.is_err() || close {
                        return;
                    }
                }
            });
        }
    });
    (addr, seen)
}

fn cookie_of(request: &[u8]) -> Vec<u8> {
    let head_end = request.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let body = &request[head_end..];
    body.split(|&c| c == b' ').next().unwrap().to_vec()
}

fn ok_response(request: &[u8], body: &str) -> Vec<u8> {
    let mut reply = cookie_of(request);
    reply.push(b' ');
    reply.extend_from_slice(body.as_bytes());
    let mut out = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/x-rtpengine-ng\r\nContent-Length: {}\r\n\r\n",
        reply.len()
    )
    .into_bytes();
    out.extend_from_slice(&reply);
    out
}

#[tokio::test]
async fn http_request_format_and_retry_on_a_closed_keep_alive_connection() {
    // Every connection serves one request and then closes silently (no `Connection: close`):
    // the next request finds its pooled connection closed and goes again on a new one.
    let (addr, seen) = fake_http(|_, req| (ok_response(req, "d6:result4:ponge"), true)).await;
    let client = Client::builder(format!("http://{addr}/custom/ng"))
        .rtpengine_version(Version::V10_5)
        .connect()
        .await
        .unwrap();
    client.ping().await.expect("first ping");
    tokio::time::sleep(Duration::from_millis(50)).await;
    client
        .ping()
        .await
        .expect("second ping, retried on a new connection");
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2, "the closed connection got nothing");
    assert_ne!(seen[0].0, seen[1].0, "the retry used a new connection");
    let first = String::from_utf8_lossy(&seen[0].1).into_owned();
    let (head, body) = first.split_once("\r\n\r\n").unwrap();
    let mut lines = head.lines();
    assert_eq!(lines.next(), Some("POST /custom/ng HTTP/1.1"));
    let headers: Vec<_> = lines.collect();
    assert!(
        headers.contains(&format!("Host: {addr}").as_str()),
        "{headers:?}"
    );
    assert!(
        headers.contains(&"Content-Type: application/x-rtpengine-ng"),
        "{headers:?}"
    );
    assert!(
        headers.contains(&format!("Content-Length: {}", body.len()).as_str()),
        "{headers:?}"
    );
    assert!(body.ends_with(" d7:command4:pinge"), "{body}");
}

#[tokio::test]
async fn http_status_600_chunked_replies_and_wrong_cookies_are_errors() {
    let (addr, _) = fake_http(|_, req| {
        let body = String::from_utf8_lossy(req).into_owned();
        let response = if body.contains("4:list") {
            b"HTTP/1.1 600 Error\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\nerror\n"
                .to_vec()
        } else if body.contains("5:query") {
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nc d6:\r\n0\r\n\r\n".to_vec()
        } else {
            let reply = b"wrong-cookie d6:result4:ponge";
            let mut out =
                format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", reply.len()).into_bytes();
            out.extend_from_slice(reply);
            out
        };
        (response, false)
    })
    .await;
    let client = Client::connect(&format!("http://{addr}")).await.unwrap();
    let err = client.list(None).await.unwrap_err();
    assert!(
        matches!(err, Error::MalformedReply { .. }) && err.to_string().contains("HTTP status 600"),
        "{err}"
    );
    assert!(err.to_string().contains("no cookie"), "{err}");
    let err = client.query("c", &QueryOptions::new()).await.unwrap_err();
    assert!(
        matches!(err, Error::Io { .. }) && err.to_string().contains("chunked"),
        "{err}"
    );
    let err = client.ping().await.unwrap_err();
    assert!(
        matches!(err, Error::MalformedReply { .. }) && err.to_string().contains("wrong-cookie"),
        "{err}"
    );
}

#[tokio::test]
async fn http_deadline_covers_a_server_that_never_answers() {
    let (addr, seen) = fake_http(|_, _| (Vec::new(), false)).await;
    let client = Client::builder(format!("http://{addr}"))
        .timeout(Duration::from_millis(300))
        .connect()
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let err = client.ping().await.unwrap_err();
    assert!(err.is_timeout(), "{err}");
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(seen.lock().unwrap().len(), 1);
    assert_eq!(client.in_flight(), 0);
}
