//! The test kit's cluster pieces against real processes: several daemons, process faults
//! (kill, SIGSTOP/SIGCONT, restart on the same ports) and Redis high availability with a real
//! redis-server. Missing binaries fail the tests with an install hint; nothing is skipped.

use std::collections::HashSet;
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rtpengine_testkit::{sdp_audio, RedisServer, Rtpengine, TestkitError};

/// How long a node that should be silent gets to answer.
const SILENCE: Duration = Duration::from_millis(500);

static COOKIE: AtomicU64 = AtomicU64::new(0);

/// A bencoded string.
fn bstr(s: &str) -> String {
    format!("{}:{s}", s.len())
}

/// Sends one NG message (a bencoded dictionary) with a fresh cookie and returns the reply's
/// dictionary, or `None` if nothing came back within `timeout`.
fn ng(addr: SocketAddr, dict: &str, timeout: Duration) -> Option<String> {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let cookie = format!(
        "ck{}_{}",
        std::process::id(),
        COOKIE.fetch_add(1, Ordering::Relaxed)
    );
    sock.send_to(format!("{cookie} {dict}").as_bytes(), addr)
        .unwrap();
    let deadline = Instant::now() + timeout;
    let mut buf = vec![0u8; 65_536];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return None;
        }
        sock.set_read_timeout(Some(left)).unwrap();
        match sock.recv_from(&mut buf) {
            Ok((len, from)) => {
                let reply = String::from_utf8_lossy(&buf[..len]).into_owned();
                if from == addr {
                    if let Some(body) = reply.strip_prefix(&format!("{cookie} ")) {
                        return Some(body.to_owned());
                    }
                }
            }
            // Timeout, or ECONNREFUSED from the ICMP of a dead daemon's port.
            Err(_) => std::thread::sleep(Duration::from_millis(5)),
        }
    }
}

/// Whether the daemon at `addr` answers an NG ping within `timeout`.
fn pings(addr: SocketAddr, timeout: Duration) -> bool {
    ng(addr, "d7:command4:pinge", timeout).as_deref() == Some("d6:result4:ponge")
}

fn offer(addr: SocketAddr, call_id: &str) -> String {
    let sdp = sdp_audio("127.0.0.1", 30_000, 1);
    let dict = format!(
        "d{}{}{}{}{}{}{}{}e",
        bstr("call-id"),
        bstr(call_id),
        bstr("command"),
        bstr("offer"),
        bstr("from-tag"),
        bstr("ft-1"),
        bstr("sdp"),
        bstr(&sdp)
    );
    ng(addr, &dict, Duration::from_secs(2)).expect("no reply to offer")
}

fn list(addr: SocketAddr) -> String {
    ng(addr, "d7:command4:liste", Duration::from_secs(2)).expect("no reply to list")
}

/// Polls `list` on `addr` until it names `call_id`; returns how long that took.
fn wait_listed(addr: SocketAddr, call_id: &str, within: Duration) -> Option<Duration> {
    let start = Instant::now();
    while start.elapsed() < within {
        if list(addr).contains(&bstr(call_id)) {
            return Some(start.elapsed());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    None
}

#[test]
fn three_daemons_answer_on_their_own_ports() {
    let t = Instant::now();
    let nodes = Rtpengine::builder().start_many(3).unwrap();
    eprintln!("start_many(3) took {:?}", t.elapsed());
    assert_eq!(nodes.len(), 3);
    let ports: HashSet<u16> = nodes.iter().map(|n| n.ng_udp_addr().port()).collect();
    assert_eq!(ports.len(), 3, "{nodes:?}");
    let ranges: HashSet<u16> = nodes
        .iter()
        .map(|n| *n.media_port_range().start())
        .collect();
    assert_eq!(ranges.len(), 3, "{nodes:?}");
    for n in &nodes {
        assert!(pings(n.ng_udp_addr(), Duration::from_secs(2)), "{n:?}");
    }
}

#[test]
fn killed_node_is_silent_and_restart_brings_it_back_on_the_same_ports() {
    let mut nodes = Rtpengine::builder().start_many(3).unwrap();
    let addr = nodes[1].ng_udp_addr();
    let media = nodes[1].media_port_range();
    let old_pid = nodes[1].pid();

    nodes[1].kill().unwrap();
    assert!(!nodes[1].is_running());
    assert!(!pings(addr, SILENCE), "a killed daemon answered");
    for i in [0, 2] {
        assert!(pings(nodes[i].ng_udp_addr(), Duration::from_secs(2)));
    }

    let t = Instant::now();
    nodes[1].restart().unwrap();
    eprintln!("restart took {:?}", t.elapsed());
    assert!(nodes[1].is_running());
    assert_ne!(nodes[1].pid(), old_pid);
    assert_eq!(nodes[1].ng_udp_addr(), addr);
    assert_eq!(nodes[1].media_port_range(), media);
    assert!(pings(addr, Duration::from_secs(2)));
    // One log across both lives.
    let log = nodes[1].log();
    assert_eq!(log.matches("Startup complete").count(), 2, "{log}");
    assert!(
        log.contains("--- testkit: rtpengine restarted (pid"),
        "{log}"
    );

    // Restarting a running daemon kills it first.
    nodes[1].restart().unwrap();
    assert!(pings(addr, Duration::from_secs(2)));
    assert_eq!(nodes[1].log_count("Startup complete"), 3);
}

#[test]
fn stopped_node_hangs_until_cont() {
    let mut nodes = Rtpengine::builder().start_many(2).unwrap();
    let addr = nodes[0].ng_udp_addr();
    nodes[0].stop().unwrap();
    assert!(nodes[0].is_stopped());
    assert!(nodes[0].is_running(), "a stopped daemon is alive");
    assert!(!pings(addr, SILENCE), "a stopped daemon answered");
    assert!(pings(nodes[1].ng_udp_addr(), Duration::from_secs(2)));

    // A request sent during the hang is answered once the daemon resumes.
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.send_to(b"hang1 d7:command4:pinge", addr).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    nodes[0].cont().unwrap();
    assert!(!nodes[0].is_stopped());
    sock.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let mut buf = [0u8; 256];
    let (len, _) = sock.recv_from(&mut buf).expect("queued ping not answered");
    assert_eq!(&buf[..len], b"hang1 d6:result4:ponge");
    assert!(pings(addr, Duration::from_secs(2)));

    // kill and drop work on a stopped daemon; stop/cont on a dead one are errors.
    nodes[0].stop().unwrap();
    nodes[0].kill().unwrap();
    assert!(nodes[0].stop().is_err());
    assert!(nodes[0].cont().is_err());
    nodes[1].stop().unwrap(); // dropped while stopped
}

#[test]
fn redis_server_answers_ping_with_keyspace_notifications() {
    let t = Instant::now();
    let redis = RedisServer::start().unwrap();
    eprintln!("redis-server start took {:?}", t.elapsed());
    assert_eq!(redis.command(&["PING"]).unwrap(), "PONG");
    assert_eq!(
        redis
            .command(&["CONFIG", "GET", "notify-keyspace-events"])
            .unwrap(),
        "notify-keyspace-events\nAKE"
    );
    assert_eq!(redis.command(&["CONFIG", "GET", "save"]).unwrap(), "save\n");
    let port = redis.port();
    assert_eq!(redis.addr().to_string(), format!("127.0.0.1:{port}"));
    assert_eq!(redis.url(3), format!("redis://127.0.0.1:{port}/3"));
    assert_eq!(redis.rtpengine_arg(3), format!("127.0.0.1:{port}/3"));

    redis.command_in(5, &["SET", "k", "v"]).unwrap();
    assert_eq!(redis.keys(5).unwrap(), ["k"]);
    assert_eq!(redis.dbsize(5).unwrap(), 1);
    assert_eq!(redis.dbsize(0).unwrap(), 0);
    assert_eq!(redis.command_in(5, &["GET", "k"]).unwrap(), "v");
    assert_eq!(redis.command(&["GET", "k"]).unwrap(), "(nil)");
    let err = redis.command(&["NO-SUCH-COMMAND"]).unwrap_err();
    assert!(matches!(err, TestkitError::Redis { .. }), "{err:?}");

    // Two servers at once get distinct ports; a killed one no longer answers.
    let mut other = RedisServer::start().unwrap();
    assert_ne!(other.port(), port);
    other.kill().unwrap();
    assert!(other.command(&["PING"]).is_err());
}

#[test]
fn missing_redis_server_error_names_the_install_command() {
    let msg = TestkitError::RedisNotFound.to_string();
    assert!(msg.contains("apt-get install -y redis-server"), "{msg}");
    assert!(msg.contains("scripts/install-deps.sh"), "{msg}");
}

#[test]
fn builder_adds_redis_and_cluster_options() {
    let redis = RedisServer::start().unwrap();
    let rtpe = Rtpengine::builder()
        .redis(&redis, 4, &[5, 6])
        .active_switchover()
        .max_sessions(1)
        .start()
        .unwrap();
    let port = redis.port();
    let cmdline = std::fs::read(format!("/proc/{}/cmdline", rtpe.pid())).unwrap();
    let args: Vec<String> = cmdline
        .split(|b| *b == 0)
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    for want in [
        format!("--redis=127.0.0.1:{port}/4"),
        "--subscribe-keyspace=5".to_owned(),
        "--subscribe-keyspace=6".to_owned(),
        "--active-switchover".to_owned(),
        "--max-sessions=1".to_owned(),
    ] {
        assert!(args.contains(&want), "{want} missing from {args:?}");
    }
    // One pattern subscription per database.
    assert!(wait_for(Duration::from_secs(2), || redis
        .command(&["PUBSUB", "NUMPAT"])
        .is_ok_and(|n| n == "2")));

    // --max-sessions: the second call is refused.
    assert!(offer(rtpe.ng_udp_addr(), "max-1").contains("6:result2:ok"));
    let second = offer(rtpe.ng_udp_addr(), "max-2");
    assert!(second.contains("6:result5:error"), "{second}");
}

fn wait_for(within: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    cond()
}

#[test]
fn redis_ha_peer_restores_the_call_and_a_restarted_node_its_own() {
    let redis = RedisServer::start().unwrap();
    let mut a = Rtpengine::builder().redis(&redis, 1, &[2]).start().unwrap();
    let b = Rtpengine::builder().redis(&redis, 2, &[1]).start().unwrap();

    let call_id = "kit-ha-call-1";
    let reply = offer(a.ng_udp_addr(), call_id);
    assert!(reply.contains("6:result2:ok"), "{reply}");

    let took = wait_listed(b.ng_udp_addr(), call_id, Duration::from_secs(5))
        .unwrap_or_else(|| panic!("B never listed the call; B's log:\n{}", b.log_tail(40)));
    eprintln!("B restored A's call after {took:?}");
    assert_eq!(redis.keys(1).unwrap(), [call_id]);
    assert_eq!(
        redis.dbsize(2).unwrap(),
        0,
        "B must not write a foreign call"
    );

    // A crashes: B still knows the call; A restarted restores it from its database.
    a.kill().unwrap();
    let query = format!(
        "d{}{}{}{}e",
        bstr("call-id"),
        bstr(call_id),
        bstr("command"),
        bstr("query")
    );
    let reply = ng(b.ng_udp_addr(), &query, Duration::from_secs(2)).unwrap();
    assert!(reply.contains("6:result2:ok"), "{reply}");
    a.restart().unwrap();
    assert!(
        wait_listed(a.ng_udp_addr(), call_id, Duration::from_secs(2)).is_some(),
        "restarted A did not restore its call; log:\n{}",
        a.log_tail(40)
    );
}
