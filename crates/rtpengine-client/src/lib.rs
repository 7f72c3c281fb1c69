//! An async client for the [Sipwise rtpengine](https://github.com/sipwise/rtpengine) NG control
//! protocol.
//!
//! A SIP proxy, B2BUA, SBC or WebRTC gateway tells rtpengine, per call, to rewrite the SDP of an
//! offer and of its answer so that media flows through rtpengine, then deletes the call. This
//! crate speaks every command of that protocol over every transport rtpengine offers:
//!
//! * one cheap, cloneable [`Client`] per rtpengine; many requests in flight, matched by cookie;
//! * a [`Cluster`] of many rtpengines with the same operations ([`NgCommands`], implemented by
//!   both): new calls placed by weighted rendezvous hashing over priority tiers, every request
//!   of a call kept on its node, failover of new calls under one deadline, circuit breakers
//!   with active pings, drain/disable at run time, HA peers on rtpengine's Redis replication,
//!   metrics through the `metrics` facade;
//! * transports by URL: `udp://` (retransmission with the same cookie inside one deadline, 10 s
//!   by default, which the daemon's cookie cache makes idempotent), `tcp://` (one persistent
//!   connection, reconnected, with the daemon's DTMF events as an [`EventStream`]), `ws://`,
//!   `wss://`, `http://`, `https://` (TLS with rustls), JSON bodies where the daemon accepts
//!   them, and a stream transport for large requests and replies next to UDP
//!   ([`ClientBuilder::stream`]);
//! * typed operations and options for all 33 commands ([`Client::offer`], [`OfferOptions`],
//!   [`Client::block_media`], …) with a raw escape hatch at every level
//!   ([`OfferOptions::raw_key`], [`Client::request`]);
//! * version awareness to the patch level: commands and options the daemon's release lacks are
//!   refused before sending ([`ClientBuilder::rtpengine_version`], [`Client::discover_version`];
//!   see [Releases](#releases));
//! * typed replies that keep every field ([`SdpReply::raw`], [`CallStats::raw`], [`Statistics`]);
//! * one error type, [`Error`], with predicates such as [`Error::is_timeout`];
//! * counters a program can read ([`Client::stats`]): requests, replies, retransmissions,
//!   timeouts, errors by kind, reconnects and requests in flight, per command.
//!
//! The codec ([`bencode`]) and the message model do no I/O and can be used alone: every type
//! (requests such as [`Offer`], options, replies, [`Version`]) is here at the crate root, and
//! [`message`] holds the wire functions ([`message::encode_request`],
//! [`message::parse_message`], framing, JSON). Each public item has one path: the root, or one
//! of those two modules.
//!
//! # Quick start
//!
//! ```no_run
//! use rtpengine_client::{Client, DeleteOptions, Flag, NgCommands, OfferOptions, QueryOptions};
//!
//! # async fn run() -> Result<(), rtpengine_client::Error> {
//! let client = Client::connect("udp://127.0.0.1:2223").await?;
//! client.ping().await?;
//!
//! let offer_sdp = "v=0\r\no=- 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\n\
//!                  t=0 0\r\nm=audio 40000 RTP/AVP 0\r\n";
//! let opts = OfferOptions::new().flag(Flag::TrustAddress);
//! let offer = client.offer(offer_sdp, "call-1", "caller-tag", &opts).await?;
//! // … send offer.sdp to the callee, get its answer SDP …
//! # let answer_sdp = offer.sdp.clone();
//! let answer = client
//!     .answer(&answer_sdp, "call-1", "caller-tag", "callee-tag", &opts)
//!     .await?;
//! let stats = client.query("call-1", &QueryOptions::new()).await?;
//! println!("{} parties", stats.tags.len());
//! client
//!     .delete("call-1", "caller-tag", &DeleteOptions::new())
//!     .await?;
//! # let _ = answer;
//! # Ok(()) }
//! ```

//!
//! # Releases
//!
//! rtpengine changes its protocol in minor releases and backports some changes to patch
//! releases of older lines (the `to-tag` flag of `delete` arrived in 13.0 and in 12.5.1.11).
//! Every option, value and command carries a [`Since`]: the mainline release that introduced it
//! and the first patch of each older line that received it. The rules:
//!
//! * **Known version** ([`ClientBuilder::rtpengine_version`], [`Client::discover_version`],
//!   which reads e.g. `12.5.1.31` from the daemon): requests are gated to the patch level, and
//!   whatever the release lacks fails with [`Error::Unsupported`] before anything is sent. A
//!   version given as a line only (`12.5`) stands for the line's first release when gating.
//! * **Unknown version**: nothing is gated, and the request is encoded so that it means the same
//!   on every release. Where releases read a request differently, the client adds what the
//!   newer ones need and the older ones ignore (they only log an unknown flag): a `delete` with
//!   a to-tag carries the flag `to-tag` (without it 12.5.1.11+ and 13.0+ delete the whole call;
//!   10.5 honours the to-tag alone), a one-party selection of `block`/`unblock`
//!   `DTMF`/`media` and of forwarding carries `directional` (12.4+ act on the whole call
//!   without it), and flags are sent in the spelling every release matches
//!   (`discard-recording`, which `stop recording` compares exactly). The same flags are added
//!   for a known release that has them, or for a line-only version whose later patches may
//!   ([`Flag::shim_for`]).
//! * Where no encoding can mean the same everywhere (`unsubscribe` from one source before
//!   26.0 removes every subscription; `connect` without a from-tag before 26.0 fails), the
//!   option is documented and gated for known versions; an unknown version sends it as asked.

#![cfg_attr(not(test), deny(clippy::print_stdout, clippy::print_stderr))]
#![deny(rustdoc::broken_intra_doc_links)]

mod api;
pub mod bencode;
mod client;
mod cluster;
mod counters;
mod error;
pub mod message;
mod transport;
mod version;

// Every type a user names is here, at the root, and only here (the modules behind are private);
// `bencode` and `message` hold the sans-IO codec and wire functions.
pub use api::{NgCommands, DEFAULT_LIST_LIMIT};
pub use client::{
    Client, ClientBuilder, Discovery, EventStream, VersionSource, DEFAULT_STREAM_COMMANDS,
    DEFAULT_STREAM_THRESHOLD, DEFAULT_TIMEOUT,
};
#[cfg(feature = "redis")]
pub use cluster::DEFAULT_SHARED_AFFINITY_PREFIX;
pub use cluster::{
    BreakerState, CallRoute, Cluster, ClusterBuilder, ClusterEvent, ClusterEvents, NodeMode,
    NodeStatus, NodeToken, NodeUrl, Routed, CLUSTER_METRICS, DEFAULT_AFFINITY_CAPACITY,
    DEFAULT_AFFINITY_TTL, DEFAULT_MAX_IN_FLIGHT_PER_NODE, DEFAULT_OVERLOAD_REASONS,
    DEFAULT_PING_INTERVAL, DEFAULT_PING_TIMEOUT,
};
pub use counters::{ClientStats, CommandStats, ErrorCounts, OTHER_COMMAND};
pub use error::{Error, Result};
pub use message::commands::cli::{Cli, CliReply};
pub use message::commands::inject::{Inject, InjectOptions};
pub use message::commands::media_control::{
    BlockDtmf, BlockDtmfOptions, BlockMedia, DtmfSecurity, FlowScope, MediaOptions, SilenceMedia,
    StartForwarding, StopForwarding, UnblockDtmf, UnblockMedia, UnsilenceMedia,
};
pub use message::commands::playback::{
    DtmfDigit, IntoDtmfDigit, MediaSource, PlayDtmf, PlayDtmfOptions, PlayMedia, PlayMediaOptions,
    PlayMediaReply, StopMedia, StopMediaReply, DTMF_MS_RANGE,
};
pub use message::commands::pubsub::{
    MediaLabel, Publish, PublishReply, SubscribeAnswer, SubscribeReply, SubscribeRequest,
    SubscribeSources, TagMedia, TagMedias, Unsubscribe, UnsubscribeOptions,
};
pub use message::commands::recording::{
    PauseRecording, RecordingOptions, StartRecording, StopRecording,
};
pub use message::commands::session::{
    Connect, ConnectOptions, Create, CreateAnswer, CreateMedia, CreateReply, Mesh, MeshOptions,
    MeshTag, PayloadFormat, Transform, TransformCodec, TransformMedia, TransformOptions,
    TransformReply, TransformedMedia,
};
pub use message::commands::{Selector, COMMANDS};
pub use message::event::{DtmfEvent, NgEvent};
pub use message::options::{
    AddressFamily, AliasKey, AnswerOptions, AudioPlayer, Bundle, CodecOptions, DeleteOptions,
    Direction, DropTraffic, Dtls, DtlsFingerprint, DtlsReverse, EndpointLearning, Extmap, Flag,
    Ice, IceLite, IntoItem, Kind, MediaEcho, MediaType, Moh, MohMode, OfferOptions, OnOff,
    OneOrList, OptionSpec, OptionValue, Osrtp, QueryOptions, Raw, ReceivedFrom, RecordCall,
    Replace, RtcpMux, Scalar, Sdes, SdpAttr, SdpAttrSection, Shape, Substitution, Supports,
    TransportProtocol, ValueSpec, T38,
};
pub use message::reply::{
    Ack, CallStats, Counters, Endpoint, MediaStats, SdpReply, StreamStats, TagStats,
};
pub use message::request::{Answer, Delete, List, Offer, Ping, Query, RawRequest, Request};
pub use message::statistics::{
    InterfaceStats, Layer, Mos, PortUsage, ProxyStats, Statistics, StatisticsRequest,
};
pub use transport::{
    RetransmitPolicy, Scheme, ServerUrl, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_IDLE_CONNECTIONS,
    DEFAULT_MAX_IN_FLIGHT, DEFAULT_MAX_REPLY_SIZE, DEFAULT_POOL_SIZE, DEFAULT_PORT,
};
pub use version::{Requirement, Requirements, Since, Version};

// Compiles the README's Rust examples as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;
