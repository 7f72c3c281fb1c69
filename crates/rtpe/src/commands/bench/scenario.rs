//! The operations of the scenarios: one `ping`, one call (offer, answer, optional RTP, delete),
//! one `query`; and the SDPs and RTP packets they send.

use rtpengine_client::NgCommands;
use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket as StdUdpSocket};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rtpengine_client::{Client, DeleteOptions, Error, OfferOptions, QueryOptions};
use tokio::net::UdpSocket;
use tokio::time::Instant;

use super::report::Stats;
use crate::common::global::Target;

/// RTP packets sent in each direction of a call with `--media`.
pub(crate) const MEDIA_PACKETS: u16 = 5;

/// How long a call waits for its RTP to come back through rtpengine (at most `--timeout`).
const MEDIA_WAIT: Duration = Duration::from_secs(2);

/// 20 ms of PCMU silence.
const PCMU_FRAME: [u8; 160] = [0xff; 160];

/// What the run sends to: one server, or a cluster of several.
#[derive(Debug, Clone)]
pub(crate) struct Server {
    /// Its client (one UDP socket, shared by every worker), or the cluster (one per node).
    pub(crate) client: Target,
    /// The local address towards it (a cluster: towards its first node): the SDPs' address and
    /// where `--media` sockets bind.
    pub(crate) local_ip: IpAddr,
}

impl Server {
    /// One server, with the local address the system routes towards it.
    pub(crate) fn new(client: Client) -> Self {
        Self::with_addr(client.server_addr(), Target::One(client))
    }

    /// A target with the local address the system routes towards `addr`.
    pub(crate) fn with_addr(addr: SocketAddr, client: Target) -> Self {
        Self {
            client,
            local_ip: local_ip_towards(addr),
        }
    }
}

/// The local address the system would use to reach `server` (no packet is sent): loopback for
/// a local daemon. Falls back to 127.0.0.1.
fn local_ip_towards(server: SocketAddr) -> IpAddr {
    let unspecified: SocketAddr = match server {
        SocketAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
        SocketAddr::V6(_) => (std::net::Ipv6Addr::UNSPECIFIED, 0).into(),
    };
    StdUdpSocket::bind(unspecified)
        .and_then(|s| s.connect(server).and_then(|()| s.local_addr()))
        .map(|a| a.ip())
        .ok()
        .filter(|ip| !ip.is_unspecified())
        .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST))
}

/// Locks a mutex, ignoring poisoning (a panicked worker leaves consistent counters).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Names the calls of one run, so concurrent runs and earlier calls never collide.
#[derive(Debug, Clone)]
pub(crate) struct Naming {
    /// `rtpe-bench-<pid>-<time>`.
    prefix: String,
}

impl Naming {
    /// A fresh prefix for this process.
    pub(crate) fn new() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos() ^ (d.as_secs() as u32))
            .unwrap_or(0);
        Self {
            prefix: format!("rtpe-bench-{}-{nanos:08x}", std::process::id()),
        }
    }

    /// The call-id of call number `n`.
    pub(crate) fn call_id(&self, n: u64) -> String {
        format!("{}-{n}", self.prefix)
    }

    /// The caller's tag of call number `n`.
    pub(crate) fn from_tag(n: u64) -> String {
        format!("caller-{n}")
    }

    /// The callee's tag of call number `n`.
    pub(crate) fn to_tag(n: u64) -> String {
        format!("callee-{n}")
    }
}

/// An audio SDP as a phone would send it: PCMU, PCMA and telephone-event, 20 ms, sendrecv.
pub(crate) fn sdp_audio(addr: IpAddr, port: u16, session_id: u64) -> String {
    let family = if addr.is_ipv4() { "IP4" } else { "IP6" };
    format!(
        "v=0\r\n\
         o=- {session_id} {session_id} IN {family} {addr}\r\n\
         s=rtpe bench\r\n\
         c=IN {family} {addr}\r\n\
         t=0 0\r\n\
         m=audio {port} RTP/AVP 0 8 101\r\n\
         a=rtpmap:0 PCMU/8000\r\n\
         a=rtpmap:8 PCMA/8000\r\n\
         a=rtpmap:101 telephone-event/8000\r\n\
         a=fmtp:101 0-16\r\n\
         a=sendrecv\r\n\
         a=ptime:20\r\n"
    )
}

/// The address and port of the first audio stream of an SDP (`c=` and `m=audio`).
pub(crate) fn sdp_audio_target(sdp: &str) -> Option<SocketAddr> {
    let mut addr: Option<IpAddr> = None;
    for line in sdp.lines().map(|l| l.trim_end_matches('\r')) {
        if let Some(rest) = line.strip_prefix("c=") {
            // `c=IN IP4 ADDR[/TTL]`; a media-level `c=` after `m=` is rare enough to ignore.
            addr = rest
                .split_whitespace()
                .nth(2)
                .and_then(|a| a.split('/').next())
                .and_then(|a| a.parse().ok())
                .or(addr);
        } else if let Some(rest) = line.strip_prefix("m=audio ") {
            let port: u16 = rest
                .split_whitespace()
                .next()?
                .split('/')
                .next()?
                .parse()
                .ok()?;
            return Some(SocketAddr::new(addr?, port));
        }
    }
    None
}

/// An RTP packet: version 2, PCMU, 20 ms of silence.
fn rtp_packet(seq: u16, ssrc: u32) -> Vec<u8> {
    let mut p = Vec::with_capacity(12 + PCMU_FRAME.len());
    p.push(0x80);
    p.push(0); // PCMU
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&(u32::from(seq) * 160).to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend_from_slice(&PCMU_FRAME);
    p
}

/// Whether a datagram is an RTP packet of `ssrc` (version 2, at least a header).
fn is_rtp_of(packet: &[u8], ssrc: u32) -> bool {
    packet.len() >= 12 && packet[0] >> 6 == 2 && packet[8..12] == ssrc.to_be_bytes()
}

/// The calls that may exist on a server (started and not yet deleted): the final cleanup
/// deletes whatever is left.
#[derive(Debug, Default)]
pub(crate) struct LiveCalls(Mutex<HashSet<u64>>);

impl LiveCalls {
    fn insert(&self, n: u64) {
        lock(&self.0).insert(n);
    }

    fn remove(&self, n: u64) {
        lock(&self.0).remove(&n);
    }

    /// The calls still alive, emptied.
    pub(crate) fn take(&self) -> Vec<u64> {
        let mut calls: Vec<u64> = lock(&self.0).drain().collect();
        calls.sort_unstable();
        calls
    }
}

/// Times one request and records it.
async fn timed<T>(
    stats: &Mutex<Stats>,
    command: &'static str,
    request: impl std::future::Future<Output = Result<T, Error>>,
) -> (Duration, Result<T, Error>) {
    let start = Instant::now();
    let result = request.await;
    let took = start.elapsed();
    lock(stats).request(command, took, result.as_ref().map(|_| ()));
    (took, result)
}

/// The options of every delete the bench sends: the call goes at once.
pub(crate) fn delete_now() -> DeleteOptions {
    DeleteOptions::new().delete_delay(0)
}

/// One `ping`.
pub(crate) async fn ping(server: &Server, stats: &Mutex<Stats>) {
    let _ = timed(stats, "ping", server.client.ping()).await;
}

/// One `query` of call `n`.
pub(crate) async fn query(server: &Server, naming: &Naming, n: u64, stats: &Mutex<Stats>) {
    let call_id = naming.call_id(n);
    let options = QueryOptions::new();
    let _ = timed(stats, "query", server.client.query(&call_id, &options)).await;
}

/// Creates call `n` (offer and answer) without measuring it; the setup of `query`.
pub(crate) async fn create_call(server: &Server, naming: &Naming, n: u64) -> Result<(), Error> {
    let call_id = naming.call_id(n);
    let options = OfferOptions::new();
    let port = placeholder_port(n);
    let offer = sdp_audio(server.local_ip, port, n);
    server
        .client
        .offer(offer, &call_id, &Naming::from_tag(n), &options)
        .await?;
    let answer = sdp_audio(server.local_ip, port + 2, n + 1);
    server
        .client
        .answer(
            answer,
            &call_id,
            &Naming::from_tag(n),
            &Naming::to_tag(n),
            &options,
        )
        .await?;
    Ok(())
}

/// A media port for SDPs that carry no media (even, in the dynamic range).
fn placeholder_port(n: u64) -> u16 {
    // 30000..=49998, even.
    30_000 + 2 * (n % 10_000) as u16
}

/// One call: offer, answer, RTP both ways (with `media`), delete (also after an error).
pub(crate) async fn call(
    server: &Server,
    naming: &Naming,
    n: u64,
    media: bool,
    live: &LiveCalls,
    stats: &Mutex<Stats>,
) {
    lock(stats).calls.started += 1;
    let call_id = naming.call_id(n);
    let from_tag = Naming::from_tag(n);
    let to_tag = Naming::to_tag(n);
    let options = OfferOptions::new();

    // Two local sockets stand for the two phones.
    let sockets = if media {
        match bind_pair(server.local_ip).await {
            Ok(pair) => Some(pair),
            Err(e) => {
                let mut s = lock(stats);
                s.media.failed_calls += 1;
                s.sample(format!("binding RTP sockets: {e}"));
                return;
            }
        }
    } else {
        None
    };
    let (caller_port, callee_port) = match &sockets {
        Some((a, b)) => (port_of(a), port_of(b)),
        None => (placeholder_port(n), placeholder_port(n) + 2),
    };

    live.insert(n);
    let mut ng_time = Duration::ZERO;
    let mut ok = true;
    let offer_sdp = sdp_audio(server.local_ip, caller_port, n);
    let (took, offer) = timed(
        stats,
        "offer",
        server
            .client
            .offer(offer_sdp, &call_id, &from_tag, &options),
    )
    .await;
    ng_time += took;
    let mut replies = None;
    if let Ok(offer) = offer {
        let answer_sdp = sdp_audio(server.local_ip, callee_port, n + 1);
        let (took, answer) = timed(
            stats,
            "answer",
            server
                .client
                .answer(answer_sdp, &call_id, &from_tag, &to_tag, &options),
        )
        .await;
        ng_time += took;
        match answer {
            Ok(answer) => replies = Some((offer, answer)),
            Err(_) => ok = false,
        }
    } else {
        ok = false;
    }

    if let (Some((caller, callee)), Some((offer, answer))) = (&sockets, &replies) {
        let wait = MEDIA_WAIT.min(server.client.timeout());
        let outcome =
            exchange_rtp(caller, callee, &offer.sdp_str(), &answer.sdp_str(), n, wait).await;
        let mut s = lock(stats);
        s.media.sent += outcome.sent;
        s.media.received += outcome.received;
        if let Some(problem) = outcome.problem {
            ok = false;
            s.media.failed_calls += 1;
            s.sample(format!("media: {problem}"));
        }
    }

    let (took, deleted) = timed(
        stats,
        "delete",
        server.client.delete(&call_id, &from_tag, &delete_now()),
    )
    .await;
    ng_time += took;
    match deleted {
        Ok(_) => live.remove(n),
        Err(_) => ok = false,
    }
    if ok {
        lock(stats).call_completed(ng_time);
    }
}

/// Two UDP sockets on the local address, for the caller and the callee.
async fn bind_pair(ip: IpAddr) -> std::io::Result<(UdpSocket, UdpSocket)> {
    let a = UdpSocket::bind((ip, 0)).await?;
    let b = UdpSocket::bind((ip, 0)).await?;
    Ok((a, b))
}

fn port_of(socket: &UdpSocket) -> u16 {
    socket.local_addr().map(|a| a.port()).unwrap_or(0)
}

/// What the RTP exchange of one call did.
#[derive(Debug, Default)]
struct MediaOutcome {
    sent: u64,
    received: u64,
    /// Why the call's media failed, if it did.
    problem: Option<String>,
}

/// Sends [`MEDIA_PACKETS`] RTP packets each way through rtpengine's ports and waits (at most
/// `wait`) until every one has arrived on the other side.
///
/// The offer's rewritten SDP (`to_callee`) tells the callee where to send; the answer's
/// (`to_caller`) tells the caller.
async fn exchange_rtp(
    caller: &UdpSocket,
    callee: &UdpSocket,
    to_callee: &str,
    to_caller: &str,
    n: u64,
    wait: Duration,
) -> MediaOutcome {
    let mut out = MediaOutcome::default();
    let (Some(callee_target), Some(caller_target)) =
        (sdp_audio_target(to_callee), sdp_audio_target(to_caller))
    else {
        out.problem = Some("no audio address in the rewritten SDPs".to_owned());
        return out;
    };
    let caller_ssrc = 0x1000_0000 | (n as u32 & 0x0fff_ffff);
    let callee_ssrc = 0x2000_0000 | (n as u32 & 0x0fff_ffff);
    for seq in 0..MEDIA_PACKETS {
        for (socket, target, ssrc) in [
            (caller, caller_target, caller_ssrc),
            (callee, callee_target, callee_ssrc),
        ] {
            match socket.send_to(&rtp_packet(seq, ssrc), target).await {
                Ok(_) => out.sent += 1,
                Err(e) => {
                    out.problem = Some(format!("sending RTP to {target}: {e}"));
                    return out;
                }
            }
        }
    }
    let deadline = Instant::now() + wait;
    // The caller receives the callee's packets and vice versa.
    let (at_caller, at_callee) = tokio::join!(
        receive(caller, callee_ssrc, deadline),
        receive(callee, caller_ssrc, deadline)
    );
    out.received = at_caller + at_callee;
    let expected = 2 * u64::from(MEDIA_PACKETS);
    if out.received < expected {
        out.problem = Some(format!(
            "{} of {expected} RTP packets came through within {} ms",
            out.received,
            wait.as_millis()
        ));
    }
    out
}

/// Counts RTP packets of `ssrc` arriving on `socket` until [`MEDIA_PACKETS`] came or the
/// deadline passes.
async fn receive(socket: &UdpSocket, ssrc: u32, deadline: Instant) -> u64 {
    let mut buf = [0u8; 2048];
    let mut got = 0;
    while got < u64::from(MEDIA_PACKETS) {
        match tokio::time::timeout_at(deadline, socket.recv_from(&mut buf)).await {
            Ok(Ok((len, _))) => {
                if is_rtp_of(&buf[..len], ssrc) {
                    got += 1;
                }
            }
            // ICMP errors surface as receive errors on some systems: keep waiting.
            Ok(Err(_)) => {}
            Err(_) => break,
        }
    }
    got
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sdp_round_trip() {
        let sdp = sdp_audio(IpAddr::V4(Ipv4Addr::LOCALHOST), 40_000, 7);
        assert!(sdp.starts_with("v=0\r\no=- 7 7 IN IP4 127.0.0.1\r\n"));
        assert!(sdp.ends_with("a=ptime:20\r\n"));
        assert_eq!(
            sdp_audio_target(&sdp),
            Some("127.0.0.1:40000".parse().unwrap())
        );
        let v6 = sdp_audio("::1".parse().unwrap(), 40_002, 7);
        assert!(v6.contains("c=IN IP6 ::1\r\n"));
        assert_eq!(sdp_audio_target(&v6), Some("[::1]:40002".parse().unwrap()));
        assert_eq!(sdp_audio_target("v=0\r\nm=audio 1 RTP/AVP 0\r\n"), None);
    }

    #[test]
    fn rtp_packets() {
        let p = rtp_packet(3, 0xdead_beef);
        assert_eq!(p.len(), 172);
        assert!(is_rtp_of(&p, 0xdead_beef));
        assert!(!is_rtp_of(&p, 1));
        assert!(!is_rtp_of(&p[..11], 0xdead_beef));
        assert_eq!(&p[2..4], &[0, 3]);
    }

    #[test]
    fn names() {
        let naming = Naming::new();
        assert_ne!(naming.call_id(1), naming.call_id(2));
        assert!(naming.call_id(1).starts_with("rtpe-bench-"));
        assert_eq!(placeholder_port(0), 30_000);
        assert_eq!(placeholder_port(9_999), 49_998);
    }

    #[test]
    fn local_ip_of_loopback() {
        assert_eq!(
            local_ip_towards("127.0.0.1:2223".parse().unwrap()),
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        );
    }
}
