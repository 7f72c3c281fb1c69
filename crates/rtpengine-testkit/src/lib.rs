//! Test kit for rtpengine NG control protocol clients.
//!
//! * [`Rtpengine`] starts a real, userspace-only rtpengine daemon with its own
//!   ports and media range, waits until it answers an NG `ping`, captures its
//!   log and kills it on drop. Many instances can run in parallel.
//! * [`FakeNg`] is a scriptable fake NG server over UDP, for faults the real
//!   daemon cannot produce (lost, late, duplicated or reordered replies, wrong
//!   cookies, garbage, replies from another port).
//! * [`LossyUdpProxy`] relays UDP to an upstream (e.g. the real daemon) and
//!   drops datagrams according to a [`LossPattern`]; a [`Chaos`] adds duplicated,
//!   reordered, delayed, corrupted and truncated datagrams.
//! * [`CuttingTcpProxy`] relays TCP to an upstream (e.g. the daemon's NG TCP port) and cuts
//!   connections in the middle of a message, as its [`TcpFaults`] say.
//! * [`rtp`] has small RTP/SDP helpers for end-to-end media tests.
//! * [`RedisServer`] runs a private `redis-server` for rtpengine's Redis high availability.
//!
//! If no rtpengine binary is installed, [`Rtpengine::start`] fails with
//! [`TestkitError::BinaryNotFound`], whose message explains how to install it
//! (tests fail rather than skip).
//!
//! # Newer rtpengine releases
//!
//! `RTPENGINE_RELEASE` selects the release every daemon runs (or [`RtpengineBuilder::release`]
//! for one daemon): `10.5` (default: the host's binary, `RTPENGINE_BIN` or `PATH`), `12.5` or
//! `trixie`, `26.0` or `forky`. The newer ones run from Debian chroots under
//! `$RTPENGINE_RELEASES_DIR` (default [`release::DEFAULT_RELEASES_DIR`]) that
//! `scripts/install-rtpengine-release.sh trixie|forky` builds; a missing chroot is an error
//! ([`TestkitError::ReleaseNotInstalled`]) naming that command. Chroot daemons need root.
//! [`Rtpengine::version_numbers`] tells tests which version they got.
//!
//! ```no_run
//! use rtpengine_testkit::{Release, Rtpengine};
//!
//! let rtpe = Rtpengine::builder().release(Release::Trixie).start()?;
//! assert_eq!(rtpe.version_numbers().map(|v| (v.0, v.1)), Some((12, 5)));
//! # Ok::<(), rtpengine_testkit::TestkitError>(())
//! ```
//!
//! # Starting the real daemon
//!
//! ```no_run
//! use rtpengine_testkit::Rtpengine;
//!
//! let rtpe = Rtpengine::builder()
//!     .arg("--log-level=7")
//!     .start()
//!     .expect("start rtpengine");
//! let ng = rtpe.ng_udp_addr(); // send NG commands here
//! let url = rtpe.udp_url(); // "udp://127.0.0.1:P"
//! let media = rtpe.media_port_range(); // 200 ports, e.g. 23400..=23599
//! assert_eq!(rtpe.log_count("Fatal"), 0);
//! drop(rtpe); // SIGKILL + wait
//! # let _ = (ng, url, media);
//! ```
//!
//! # Clusters, faults and Redis high availability
//!
//! [`RtpengineBuilder::start_many`] starts several independent daemons in parallel (on
//! 127.0.0.1, told apart by their ports). Each can crash ([`Rtpengine::kill`], SIGKILL), hang
//! ([`Rtpengine::stop`], SIGSTOP, undone by [`Rtpengine::cont`]) and come back on the same ports
//! ([`Rtpengine::restart`]). [`RedisServer::start`] runs a private `redis-server` (a missing one
//! is [`TestkitError::RedisNotFound`], naming `apt-get install -y redis-server`);
//! [`RtpengineBuilder::redis`] gives each node its own database, subscribed to its peers'.
//!
//! ```no_run
//! use rtpengine_testkit::{RedisServer, Rtpengine};
//!
//! let redis = RedisServer::start()?;
//! let a = Rtpengine::builder().redis(&redis, 1, &[2]).active_switchover().start()?;
//! let mut b = Rtpengine::builder().redis(&redis, 2, &[1]).active_switchover().start()?;
//! b.stop()?; // B hangs
//! b.cont()?; // and recovers
//! let mut nodes = Rtpengine::builder().start_many(3)?;
//! nodes[0].kill()?; // node 0 crashes
//! nodes[0].restart()?; // same ports, same arguments
//! # let _ = a;
//! # Ok::<(), rtpengine_testkit::TestkitError>(())
//! ```
//!
//! # Scripting a fake NG server
//!
//! ```no_run
//! use std::time::Duration;
//! use rtpengine_testkit::{FakeAction, FakeNg};
//!
//! # async fn example() -> std::io::Result<()> {
//! let fake = FakeNg::start(|req| {
//!     if req.body_contains(b"4:ping") {
//!         // Lose the first transmission, answer the retransmission twice.
//!         if req.attempt == 0 {
//!             vec![]
//!         } else {
//!             vec![FakeAction::pong(), FakeAction::pong()]
//!         }
//!     } else {
//!         vec![FakeAction::ReplyAfter(
//!             Duration::from_millis(200),
//!             bytes::Bytes::from_static(b"d6:result2:oke"),
//!         )]
//!     }
//! })
//! .await?;
//! // Point the client under test at fake.url(), then inspect fake.received().
//! # Ok(()) }
//! ```

pub mod daemon;
pub mod error;
pub mod fake;
pub mod import_graph;
mod process;
pub mod proxy;
pub mod redis;
pub mod release;
pub mod rtp;
pub mod tcp_proxy;
pub mod tls;

pub use daemon::{Rtpengine, RtpengineBuilder};
pub use error::TestkitError;
pub use fake::{FakeAction, FakeNg, FakeRequest};
pub use proxy::{Chaos, Faults, LossPattern, LossyUdpProxy, ProxyStats};
pub use redis::RedisServer;
pub use release::{Release, RTPENGINE_RELEASES_DIR_ENV, RTPENGINE_RELEASE_ENV};
pub use rtp::{
    parse_rtp, rtp_packet, sdp_audio, sdp_audio_v6, sdp_connection_addr, sdp_media_port, RtpHeader,
};
pub use tcp_proxy::{CuttingTcpProxy, TcpFaults, TcpProxyStats};
