//! Operations of [`Client`] that play media and DTMF into a call.

use super::Client;
use crate::error::Result;
use crate::message::commands::playback::{
    IntoDtmfDigit, MediaSource, PlayDtmf, PlayDtmfOptions, PlayMedia, PlayMediaOptions,
    PlayMediaReply, StopMedia, StopMediaReply,
};
use crate::message::commands::Selector;
use crate::message::reply::Ack;

impl Client {
    /// `play media`: plays `source` to the selected party (one party or [`Selector::All`];
    /// transcoding builds only). The reply has the media's duration when rtpengine knows it.
    pub async fn play_media(
        &self,
        call_id: &str,
        selector: &Selector,
        source: MediaSource,
        options: &PlayMediaOptions,
    ) -> Result<PlayMediaReply> {
        let req = PlayMedia {
            call_id,
            selector,
            source: &source,
            options,
        };
        Ok(PlayMediaReply::from_dict(self.send(&req).await?))
    }

    /// `stop media`: stops playback to the selected party (an error when nothing plays).
    pub async fn stop_media(&self, call_id: &str, selector: &Selector) -> Result<StopMediaReply> {
        let req = StopMedia { call_id, selector };
        Ok(StopMediaReply::from_dict(self.send(&req).await?))
    }

    /// `play DTMF`: injects `code` (a [`DtmfDigit`](crate::DtmfDigit), `'#'`, `11u8`, `"#"`)
    /// as if the selected party had sent it; its peers receive it. The call needs the
    /// `inject DTMF` flag on offer and answer. A code that is not a DTMF event is refused
    /// before anything is sent.
    pub async fn play_dtmf(
        &self,
        call_id: &str,
        selector: &Selector,
        code: impl IntoDtmfDigit,
        options: &PlayDtmfOptions,
    ) -> Result<Ack> {
        let req = PlayDtmf {
            call_id,
            selector,
            code: code.into_dtmf_digit()?,
            options,
        };
        Ok(Ack::from_dict(self.send(&req).await?))
    }
}
