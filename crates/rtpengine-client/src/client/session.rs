//! Operations of [`Client`] that set up calls, parties and media flows without an offer/answer
//! exchange: `connect`, `transform`, `create`, `create answer`, `mesh`. Each is refused with
//! [`Error::Unsupported`](crate::Error::Unsupported) before sending when the client knows its
//! rtpengine is older than the command.

use super::Client;
use crate::error::Result;
use crate::message::commands::session::{
    Connect, ConnectOptions, Create, CreateAnswer, CreateMedia, CreateReply, Mesh, MeshOptions,
    Transform, TransformMedia, TransformOptions, TransformReply,
};
use crate::message::options::{AnswerOptions, OfferOptions};
use crate::message::reply::Ack;

impl Client {
    /// `connect` (13.2): connects the media of parties `from_tag` and `to_tag` without an
    /// offer/answer exchange (an empty `from_tag` is not sent: use `from-tags` or flag `all`
    /// with `directional`).
    ///
    /// Not named `connect`, which opens a client.
    pub async fn connect_parties(
        &self,
        call_id: &str,
        from_tag: &str,
        to_tag: &str,
        options: &ConnectOptions,
    ) -> Result<Ack> {
        let req = Connect {
            call_id,
            from_tag,
            to_tag,
            options,
        };
        self.send(&req).await.map(Ack::from_dict)
    }

    /// `transform` (13.3): sets up remote transcoding; the reply says where to send each media.
    pub async fn transform(
        &self,
        media: &[TransformMedia],
        options: &TransformOptions,
    ) -> Result<TransformReply> {
        let req = Transform { media, options };
        Ok(TransformReply::from_dict(self.send(&req).await?))
    }

    /// `create` (26.0): creates a call and/or party (empty `call_id` / `from_tag` are
    /// generated) and returns an offer SDP for it.
    pub async fn create(
        &self,
        call_id: &str,
        from_tag: &str,
        medias: &[CreateMedia],
        options: &OfferOptions,
    ) -> Result<CreateReply> {
        let req = Create {
            call_id,
            from_tag,
            medias,
            options,
        };
        CreateReply::from_dict(self.send(&req).await?)
    }

    /// `create answer` (26.0): the remote answer to the SDP `create` returned.
    pub async fn create_answer(
        &self,
        sdp: impl AsRef<[u8]>,
        call_id: &str,
        from_tag: &str,
        options: &AnswerOptions,
    ) -> Result<Ack> {
        let req = CreateAnswer {
            sdp: sdp.as_ref(),
            call_id,
            from_tag,
            options,
        };
        self.send(&req).await.map(Ack::from_dict)
    }

    /// `mesh` (26.1): merges `calls` into one and sets up the media flows in `options.tags`.
    pub async fn mesh<S: AsRef<str>>(&self, calls: &[S], options: &MeshOptions) -> Result<Ack> {
        let calls: Vec<String> = calls.iter().map(|c| c.as_ref().to_owned()).collect();
        let req = Mesh {
            calls: &calls,
            options,
        };
        self.send(&req).await.map(Ack::from_dict)
    }
}
