//! Operations of [`Client`] for `inject start` / `inject stop` (26.0), refused with
//! [`Error::Unsupported`](crate::Error::Unsupported) before sending when the client knows its
//! rtpengine is older.

use super::Client;
use crate::error::Result;
use crate::message::commands::inject::{Inject, InjectOptions};
use crate::message::reply::Ack;

impl Client {
    /// `inject start` (26.0): mixes the audio of party `source_tag` into party `to_tag`.
    pub async fn inject_start(
        &self,
        call_id: &str,
        to_tag: &str,
        source_tag: &str,
        options: &InjectOptions,
    ) -> Result<Ack> {
        self.inject(true, call_id, to_tag, source_tag, options)
            .await
    }

    /// `inject stop` (26.0): stops what `inject start` started.
    pub async fn inject_stop(
        &self,
        call_id: &str,
        to_tag: &str,
        source_tag: &str,
        options: &InjectOptions,
    ) -> Result<Ack> {
        self.inject(false, call_id, to_tag, source_tag, options)
            .await
    }

    async fn inject(
        &self,
        start: bool,
        call_id: &str,
        to_tag: &str,
        source_tag: &str,
        options: &InjectOptions,
    ) -> Result<Ack> {
        let req = Inject {
            start,
            call_id,
            to_tag,
            source_tag,
            options,
        };
        self.send(&req).await.map(Ack::from_dict)
    }
}
