//! The NG operations, one API for one rtpengine ([`Client`](crate::Client)) and for many
//! ([`Cluster`](crate::Cluster)).
//!
//! [`NgCommands`] has two required methods, [`send`](NgCommands::send) and
//! [`send_unchecked`](NgCommands::send_unchecked), which carry any [`Request`]; every typed
//! operation is a provided method built on them. Application code written against
//! `impl NgCommands` works unchanged whether it drives one node or a cluster.

use std::future::Future;

use crate::bencode::Dict;
use crate::error::{Error, Result};
use crate::message::commands::cli::{Cli, CliReply};
use crate::message::commands::inject::{Inject, InjectOptions};
use crate::message::commands::media_control::{
    BlockDtmf, BlockDtmfOptions, BlockMedia, MediaOptions, SilenceMedia, StartForwarding,
    StopForwarding, UnblockDtmf, UnblockMedia, UnsilenceMedia,
};
use crate::message::commands::playback::{
    IntoDtmfDigit, MediaSource, PlayDtmf, PlayDtmfOptions, PlayMedia, PlayMediaOptions,
    PlayMediaReply, StopMedia, StopMediaReply,
};
use crate::message::commands::pubsub::{
    Publish, PublishReply, SubscribeAnswer, SubscribeReply, SubscribeRequest, SubscribeSources,
    Unsubscribe, UnsubscribeOptions,
};
use crate::message::commands::recording::{
    PauseRecording, RecordingOptions, StartRecording, StopRecording,
};
use crate::message::commands::session::{
    Connect, ConnectOptions, Create, CreateAnswer, CreateMedia, CreateReply, Mesh, MeshOptions,
    Transform, TransformMedia, TransformOptions, TransformReply,
};
use crate::message::commands::Selector;
use crate::message::list_calls;
use crate::message::options::{AnswerOptions, DeleteOptions, OfferOptions, QueryOptions};
use crate::message::reply::{Ack, CallStats, SdpReply};
use crate::message::request::{self, Request};
use crate::message::statistics::{Statistics, StatisticsRequest};

/// `list` returns at most this many calls unless told otherwise (rtpengine's own default).
pub const DEFAULT_LIST_LIMIT: u32 = 32;

/// The NG operations of rtpengine, for a [`Client`](crate::Client) (one rtpengine) and a
/// [`Cluster`](crate::Cluster) (many): bring the trait into scope (`use
/// rtpengine_client::NgCommands;`) to call them.
///
/// Each operation returns a `Send` future, so it can be spawned. Write application code
/// against `impl NgCommands` to run it on either:
///
/// ```no_run
/// use rtpengine_client::{NgCommands, OfferOptions, Result, SdpReply};
///
/// async fn place_call(ng: &impl NgCommands, sdp: &str) -> Result<SdpReply> {
///     ng.offer(sdp, "call-1", "tag-a", &OfferOptions::new()).await
/// }
/// ```
pub trait NgCommands: Sync {
    /// Sends any [`Request`] and returns the reply dictionary when its `result` is `ok`:
    /// `result: error` becomes [`Error::Rtpengine`] and `load limit` [`Error::LoadLimit`].
    fn send<R: Request + Sync + ?Sized>(
        &self,
        request: &R,
    ) -> impl Future<Output = Result<Dict>> + Send;

    /// Sends any [`Request`] and returns the reply without looking at `result`.
    fn send_unchecked<R: Request + Sync + ?Sized>(
        &self,
        request: &R,
    ) -> impl Future<Output = Result<Dict>> + Send;

    // ---- Calls

    /// `ping`: succeeds when rtpengine answers `pong`.
    fn ping(&self) -> impl Future<Output = Result<()>> + Send {
        async move {
            let reply = self.send(&request::Ping).await?;
            match reply.get("result").and_then(|v| v.as_bytes()) {
                Some(r) if r.as_ref() == b"pong" => Ok(()),
                _ => Err(Error::malformed(format!(
                    "ping was answered with {reply:?} instead of pong"
                ))),
            }
        }
    }

    /// `offer`: rewrites the caller's SDP so media flows through rtpengine.
    fn offer(
        &self,
        sdp: impl AsRef<[u8]> + Send,
        call_id: &str,
        from_tag: &str,
        options: &OfferOptions,
    ) -> impl Future<Output = Result<SdpReply>> + Send {
        async move {
            let req = request::Offer {
                sdp: sdp.as_ref(),
                call_id,
                from_tag,
                options,
            };
            SdpReply::from_dict(self.send(&req).await?)
        }
    }

    /// `answer`: rewrites the callee's SDP. `from_tag` is still the caller's tag.
    fn answer(
        &self,
        sdp: impl AsRef<[u8]> + Send,
        call_id: &str,
        from_tag: &str,
        to_tag: &str,
        options: &AnswerOptions,
    ) -> impl Future<Output = Result<SdpReply>> + Send {
        async move {
            let req = request::Answer {
                sdp: sdp.as_ref(),
                call_id,
                from_tag,
                to_tag,
                options,
            };
            SdpReply::from_dict(self.send(&req).await?)
        }
    }

    /// `delete`: ends the call (or one branch). An empty `from_tag` is not sent.
    ///
    /// An unknown call is a success with [`CallStats::warning`] set and no call data, unless
    /// [`DeleteOptions::fatal`] makes it an error.
    fn delete(
        &self,
        call_id: &str,
        from_tag: &str,
        options: &DeleteOptions,
    ) -> impl Future<Output = Result<CallStats>> + Send {
        async move {
            let req = request::Delete {
                call_id,
                from_tag,
                options,
            };
            Ok(CallStats::from_dict(self.send(&req).await?))
        }
    }

    /// `list`: call-ids known to rtpengine, at most `limit` ([`DEFAULT_LIST_LIMIT`] when `None`).
    fn list(&self, limit: Option<u32>) -> impl Future<Output = Result<Vec<String>>> + Send {
        async move {
            let req = request::List {
                limit: limit.unwrap_or(DEFAULT_LIST_LIMIT),
            };
            list_calls(&self.send(&req).await?)
        }
    }

    /// `query`: statistics of a call.
    fn query(
        &self,
        call_id: &str,
        options: &QueryOptions,
    ) -> impl Future<Output = Result<CallStats>> + Send {
        async move {
            let req = request::Query { call_id, options };
            Ok(CallStats::from_dict(self.send(&req).await?))
        }
    }

    /// Any command with a hand-built dictionary. `result: error` and `load limit` become errors;
    /// the whole reply dictionary is returned otherwise.
    fn request(&self, command: &str, dict: &Dict) -> impl Future<Output = Result<Dict>> + Send {
        async move { self.send(&request::RawRequest { command, dict }).await }
    }
    // ---- from session.rs

    /// `connect` (13.2): connects the media of parties `from_tag` and `to_tag` without an
    /// offer/answer exchange (an empty `from_tag` is not sent: use `from-tags` or flag `all`
    /// with `directional`).
    ///
    /// Not named `connect`, which opens a client.
    fn connect_parties(
        &self,
        call_id: &str,
        from_tag: &str,
        to_tag: &str,
        options: &ConnectOptions,
    ) -> impl Future<Output = Result<Ack>> + Send {
        async move {
            let req = Connect {
                call_id,
                from_tag,
                to_tag,
                options,
            };
            self.send(&req).await.map(Ack::from_dict)
        }
    }

    /// `transform` (13.3): sets up remote transcoding; the reply says where to send each media.
    fn transform(
        &self,
        media: &[TransformMedia],
        options: &TransformOptions,
    ) -> impl Future<Output = Result<TransformReply>> + Send {
        async move {
            let req = Transform { media, options };
            Ok(TransformReply::from_dict(self.send(&req).await?))
        }
    }

    /// `create` (26.0): creates a call and/or party (empty `call_id` / `from_tag` are
    /// generated) and returns an offer SDP for it.
    fn create(
        &self,
        call_id: &str,
        from_tag: &str,
        medias: &[CreateMedia],
        options: &OfferOptions,
    ) -> impl Future<Output = Result<CreateReply>> + Send {
        async move {
            let req = Create {
                call_id,
                from_tag,
                medias,
                options,
            };
            CreateReply::from_dict(self.send(&req).await?)
        }
    }

    /// `create answer` (26.0): the remote answer to the SDP `create` returned.
    fn create_answer(
        &self,
        sdp: impl AsRef<[u8]> + Send,
        call_id: &str,
        from_tag: &str,
        options: &AnswerOptions,
    ) -> impl Future<Output = Result<Ack>> + Send {
        async move {
            let req = CreateAnswer {
                sdp: sdp.as_ref(),
                call_id,
                from_tag,
                options,
            };
            self.send(&req).await.map(Ack::from_dict)
        }
    }

    /// `mesh` (26.1): merges `calls` into one and sets up the media flows in `options.tags`.
    fn mesh<S: AsRef<str> + Sync>(
        &self,
        calls: &[S],
        options: &MeshOptions,
    ) -> impl Future<Output = Result<Ack>> + Send {
        async move {
            let calls: Vec<String> = calls.iter().map(|c| c.as_ref().to_owned()).collect();
            let req = Mesh {
                calls: &calls,
                options,
            };
            self.send(&req).await.map(Ack::from_dict)
        }
    }

    // ---- Media control

    /// `block DTMF`: drops (or replaces, see [`BlockDtmfOptions`]) DTMF sent by the selected
    /// party, or in the whole call with [`Selector::Call`].
    fn block_dtmf(
        &self,
        call_id: &str,
        selector: &Selector,
        options: &BlockDtmfOptions,
    ) -> impl Future<Output = Result<Ack>> + Send {
        async move {
            let req = BlockDtmf {
                call_id,
                selector,
                options,
            };
            Ok(Ack::from_dict(self.send(&req).await?))
        }
    }

    /// `unblock DTMF` ([`Selector::All`] also clears per-party blocks).
    fn unblock_dtmf(
        &self,
        call_id: &str,
        selector: &Selector,
        options: &BlockDtmfOptions,
    ) -> impl Future<Output = Result<Ack>> + Send {
        async move {
            let req = UnblockDtmf {
                call_id,
                selector,
                options,
            };
            Ok(Ack::from_dict(self.send(&req).await?))
        }
    }

    /// `block media`: drops media sent by the selected party, or in the whole call.
    fn block_media(
        &self,
        call_id: &str,
        selector: &Selector,
        options: &MediaOptions,
    ) -> impl Future<Output = Result<Ack>> + Send {
        async move {
            let req = BlockMedia {
                call_id,
                selector,
                options,
            };
            Ok(Ack::from_dict(self.send(&req).await?))
        }
    }

    /// `unblock media` ([`Selector::All`] also clears per-party blocks).
    fn unblock_media(
        &self,
        call_id: &str,
        selector: &Selector,
        options: &MediaOptions,
    ) -> impl Future<Output = Result<Ack>> + Send {
        async move {
            let req = UnblockMedia {
                call_id,
                selector,
                options,
            };
            Ok(Ack::from_dict(self.send(&req).await?))
        }
    }

    /// `silence media`: media sent by the selected party keeps flowing with silent payload
    /// (G.711 and G.722).
    fn silence_media(
        &self,
        call_id: &str,
        selector: &Selector,
        options: &MediaOptions,
    ) -> impl Future<Output = Result<Ack>> + Send {
        async move {
            let req = SilenceMedia {
                call_id,
                selector,
                options,
            };
            Ok(Ack::from_dict(self.send(&req).await?))
        }
    }

    /// `unsilence media` ([`Selector::All`] also clears per-party silencing).
    fn unsilence_media(
        &self,
        call_id: &str,
        selector: &Selector,
        options: &MediaOptions,
    ) -> impl Future<Output = Result<Ack>> + Send {
        async move {
            let req = UnsilenceMedia {
                call_id,
                selector,
                options,
            };
            Ok(Ack::from_dict(self.send(&req).await?))
        }
    }

    /// `start forwarding`: the recording daemon's PCM forwarding for the selected party or the
    /// whole call.
    fn start_forwarding(
        &self,
        call_id: &str,
        selector: &Selector,
        options: &MediaOptions,
    ) -> impl Future<Output = Result<Ack>> + Send {
        async move {
            let req = StartForwarding {
                call_id,
                selector,
                options,
            };
            Ok(Ack::from_dict(self.send(&req).await?))
        }
    }

    /// `stop forwarding`.
    fn stop_forwarding(
        &self,
        call_id: &str,
        selector: &Selector,
        options: &MediaOptions,
    ) -> impl Future<Output = Result<Ack>> + Send {
        async move {
            let req = StopForwarding {
                call_id,
                selector,
                options,
            };
            Ok(Ack::from_dict(self.send(&req).await?))
        }
    }

    // ---- Playback

    /// `play media`: plays `source` to the selected party (one party or [`Selector::All`];
    /// transcoding builds only). The reply has the media's duration when rtpengine knows it.
    fn play_media(
        &self,
        call_id: &str,
        selector: &Selector,
        source: MediaSource,
        options: &PlayMediaOptions,
    ) -> impl Future<Output = Result<PlayMediaReply>> + Send {
        async move {
            let req = PlayMedia {
                call_id,
                selector,
                source: &source,
                options,
            };
            Ok(PlayMediaReply::from_dict(self.send(&req).await?))
        }
    }

    /// `stop media`: stops playback to the selected party (an error when nothing plays).
    fn stop_media(
        &self,
        call_id: &str,
        selector: &Selector,
    ) -> impl Future<Output = Result<StopMediaReply>> + Send {
        async move {
            let req = StopMedia { call_id, selector };
            Ok(StopMediaReply::from_dict(self.send(&req).await?))
        }
    }

    /// `play DTMF`: injects `code` (a [`DtmfDigit`](crate::DtmfDigit), `'#'`, `11u8`, `"#"`)
    /// as if the selected party had sent it; its peers receive it. The call needs the
    /// `inject DTMF` flag on offer and answer. A code that is not a DTMF event is refused
    /// before anything is sent.
    fn play_dtmf(
        &self,
        call_id: &str,
        selector: &Selector,
        code: impl IntoDtmfDigit,
        options: &PlayDtmfOptions,
    ) -> impl Future<Output = Result<Ack>> + Send {
        // Read before the future, so the code's type need not be `Send`.
        let code = code.into_dtmf_digit();
        async move {
            let req = PlayDtmf {
                call_id,
                selector,
                code: code?,
                options,
            };
            Ok(Ack::from_dict(self.send(&req).await?))
        }
    }

    // ---- Publish/subscribe

    /// `publish`: hands rtpengine a publisher's SDP (should be sendonly); the reply holds the
    /// recvonly answer rtpengine generated, with one codec per media section.
    ///
    /// rtpengine up to 14.x needs `call_id` and `from_tag`; 26.0+ generates an empty one and
    /// returns it in [`PublishReply::call_id`] / [`PublishReply::from_tag`].
    fn publish(
        &self,
        sdp: impl AsRef<[u8]> + Send,
        call_id: &str,
        from_tag: &str,
        options: &OfferOptions,
    ) -> impl Future<Output = Result<PublishReply>> + Send {
        async move {
            let req = Publish {
                sdp: sdp.as_ref(),
                call_id,
                from_tag,
                options,
            };
            PublishReply::from_dict(self.send(&req).await?)
        }
    }

    /// `subscribe request`: creates a subscriber to `sources` (tagged `to_tag`, or a tag
    /// rtpengine generates) and returns the sendonly offer SDP for it and its tag.
    fn subscribe_request(
        &self,
        call_id: &str,
        sources: &SubscribeSources,
        to_tag: Option<&str>,
        options: &OfferOptions,
    ) -> impl Future<Output = Result<SubscribeReply>> + Send {
        async move {
            let req = SubscribeRequest {
                call_id,
                sources,
                to_tag,
                options,
            };
            SubscribeReply::from_dict(self.send(&req).await?)
        }
    }

    /// `subscribe answer`: the subscriber's answer SDP; media then flows to it.
    fn subscribe_answer(
        &self,
        call_id: &str,
        to_tag: &str,
        sdp: impl AsRef<[u8]> + Send,
        options: &AnswerOptions,
    ) -> impl Future<Output = Result<Ack>> + Send {
        async move {
            let req = SubscribeAnswer {
                call_id,
                to_tag,
                sdp: sdp.as_ref(),
                options,
            };
            self.send(&req).await.map(Ack::from_dict)
        }
    }

    /// `unsubscribe`: stops the subscriber `to_tag`'s media.
    fn unsubscribe(
        &self,
        call_id: &str,
        to_tag: &str,
        options: &UnsubscribeOptions,
    ) -> impl Future<Output = Result<Ack>> + Send {
        async move {
            let req = Unsubscribe {
                call_id,
                to_tag,
                options,
            };
            self.send(&req).await.map(Ack::from_dict)
        }
    }

    // ---- Recording

    /// `start recording`: records the call with the daemon's recording method (rtpengine
    /// answers `ok` even when no recording method is configured).
    fn start_recording(
        &self,
        call_id: &str,
        options: &RecordingOptions,
    ) -> impl Future<Output = Result<Ack>> + Send {
        async move {
            let req = StartRecording { call_id, options };
            Ok(Ack::from_dict(self.send(&req).await?))
        }
    }

    /// `stop recording` (with [`RecordingOptions::pause`] on 11.3+: pause instead).
    fn stop_recording(
        &self,
        call_id: &str,
        options: &RecordingOptions,
    ) -> impl Future<Output = Result<Ack>> + Send {
        async move {
            let req = StopRecording { call_id, options };
            Ok(Ack::from_dict(self.send(&req).await?))
        }
    }

    /// `pause recording` (11.3+): stops recording but keeps the recording open to resume with
    /// [`NgCommands::start_recording`].
    fn pause_recording(
        &self,
        call_id: &str,
        options: &RecordingOptions,
    ) -> impl Future<Output = Result<Ack>> + Send {
        async move {
            let req = PauseRecording { call_id, options };
            Ok(Ack::from_dict(self.send(&req).await?))
        }
    }

    // ---- Injection (26.0)

    /// `inject start` (26.0): mixes the audio of party `source_tag` into party `to_tag`.
    fn inject_start(
        &self,
        call_id: &str,
        to_tag: &str,
        source_tag: &str,
        options: &InjectOptions,
    ) -> impl Future<Output = Result<Ack>> + Send {
        async move {
            let req = Inject {
                start: true,
                call_id,
                to_tag,
                source_tag,
                options,
            };
            self.send(&req).await.map(Ack::from_dict)
        }
    }

    /// `inject stop` (26.0): stops what `inject start` started.
    fn inject_stop(
        &self,
        call_id: &str,
        to_tag: &str,
        source_tag: &str,
        options: &InjectOptions,
    ) -> impl Future<Output = Result<Ack>> + Send {
        async move {
            let req = Inject {
                start: false,
                call_id,
                to_tag,
                source_tag,
                options,
            };
            self.send(&req).await.map(Ack::from_dict)
        }
    }

    // ---- The daemon's CLI (13.2)

    /// `cli` (13.2): runs a command of rtpengine's CLI and returns its output.
    fn cli(&self, body: &str) -> impl Future<Output = Result<CliReply>> + Send {
        async move { CliReply::from_dict(self.send(&Cli { body }).await?) }
    }

    // ---- Statistics

    /// `statistics`: the daemon's counters (sessions, rates, ports, per-command counts…), as a
    /// loosely typed tree with typed accessors returning `None` for figures the daemon did not
    /// send.
    fn statistics(&self) -> impl Future<Output = Result<Statistics>> + Send {
        async move { Ok(Statistics::from_dict(self.send(&StatisticsRequest).await?)) }
    }
}
