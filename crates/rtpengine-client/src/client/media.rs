//! Call-control commands on an established call: recording, blocking, silencing, forwarding,
//! playback.

use super::Client;
use crate::error::Result;
use crate::message::commands::media::{
    Ack, BlockDtmf, BlockDtmfOptions, BlockMedia, IntoDtmfDigit, MediaOptions, MediaSource,
    PauseRecording, PlayDtmf, PlayDtmfOptions, PlayMedia, PlayMediaOptions, PlayMediaReply,
    RecordingOptions, SilenceMedia, StartForwarding, StartRecording, StopForwarding, StopMedia,
    StopMediaReply, StopRecording, UnblockDtmf, UnblockMedia, UnsilenceMedia,
};
use crate::message::Selector;

impl Client {
    /// `start recording`: records the call with the daemon's recording method (rtpengine
    /// answers `ok` even when no recording method is configured).
    pub async fn start_recording(&self, call_id: &str, options: &RecordingOptions) -> Result<Ack> {
        let req = StartRecording { call_id, options };
        Ok(Ack::from_dict(self.send(&req).await?))
    }

    /// `stop recording` (with [`RecordingOptions::pause`] on 11.3+: pause instead).
    pub async fn stop_recording(&self, call_id: &str, options: &RecordingOptions) -> Result<Ack> {
        let req = StopRecording { call_id, options };
        Ok(Ack::from_dict(self.send(&req).await?))
    }

    /// `pause recording` (11.3+): stops recording but keeps the recording open to resume with
    /// [`Client::start_recording`].
    pub async fn pause_recording(&self, call_id: &str, options: &RecordingOptions) -> Result<Ack> {
        let req = PauseRecording { call_id, options };
        Ok(Ack::from_dict(self.send(&req).await?))
    }

    /// `block DTMF`: drops (or replaces, see [`BlockDtmfOptions`]) DTMF sent by the selected
    /// party, or in the whole call with [`Selector::Call`].
    pub async fn block_dtmf(
        &self,
        call_id: &str,
        selector: &Selector,
        options: &BlockDtmfOptions,
    ) -> Result<Ack> {
        let req = BlockDtmf {
            call_id,
            selector,
            options,
        };
        Ok(Ack::from_dict(self.send(&req).await?))
    }

    /// `unblock DTMF` ([`Selector::All`] also clears per-party blocks).
    pub async fn unblock_dtmf(
        &self,
        call_id: &str,
        selector: &Selector,
        options: &BlockDtmfOptions,
    ) -> Result<Ack> {
        let req = UnblockDtmf {
            call_id,
            selector,
            options,
        };
        Ok(Ack::from_dict(self.send(&req).await?))
    }

    /// `block media`: drops media sent by the selected party, or in the whole call.
    pub async fn block_media(
        &self,
        call_id: &str,
        selector: &Selector,
        options: &MediaOptions,
    ) -> Result<Ack> {
        let req = BlockMedia {
            call_id,
            selector,
            options,
        };
        Ok(Ack::from_dict(self.send(&req).await?))
    }

    /// `unblock media` ([`Selector::All`] also clears per-party blocks).
    pub async fn unblock_media(
        &self,
        call_id: &str,
        selector: &Selector,
        options: &MediaOptions,
    ) -> Result<Ack> {
        let req = UnblockMedia {
            call_id,
            selector,
            options,
        };
        Ok(Ack::from_dict(self.send(&req).await?))
    }

    /// `silence media`: media sent by the selected party keeps flowing with silent payload
    /// (G.711 and G.722).
    pub async fn silence_media(
        &self,
        call_id: &str,
        selector: &Selector,
        options: &MediaOptions,
    ) -> Result<Ack> {
        let req = SilenceMedia {
            call_id,
            selector,
            options,
        };
        Ok(Ack::from_dict(self.send(&req).await?))
    }

    /// `unsilence media` ([`Selector::All`] also clears per-party silencing).
    pub async fn unsilence_media(
        &self,
        call_id: &str,
        selector: &Selector,
        options: &MediaOptions,
    ) -> Result<Ack> {
        let req = UnsilenceMedia {
            call_id,
            selector,
            options,
        };
        Ok(Ack::from_dict(self.send(&req).await?))
    }

    /// `start forwarding`: the recording daemon's PCM forwarding for the selected party or the
    /// whole call.
    pub async fn start_forwarding(
        &self,
        call_id: &str,
        selector: &Selector,
        options: &MediaOptions,
    ) -> Result<Ack> {
        let req = StartForwarding {
            call_id,
            selector,
            options,
        };
        Ok(Ack::from_dict(self.send(&req).await?))
    }

    /// `stop forwarding`.
    pub async fn stop_forwarding(
        &self,
        call_id: &str,
        selector: &Selector,
        options: &MediaOptions,
    ) -> Result<Ack> {
        let req = StopForwarding {
            call_id,
            selector,
            options,
        };
        Ok(Ack::from_dict(self.send(&req).await?))
    }

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
