//! Operations of [`Client`] that control a call's media flows: blocking DTMF and media,
//! silencing, forwarding.

use super::Client;
use crate::error::Result;
use crate::message::commands::media_control::{
    BlockDtmf, BlockDtmfOptions, BlockMedia, MediaOptions, SilenceMedia, StartForwarding,
    StopForwarding, UnblockDtmf, UnblockMedia, UnsilenceMedia,
};
use crate::message::commands::Selector;
use crate::message::reply::Ack;

impl Client {
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
}
