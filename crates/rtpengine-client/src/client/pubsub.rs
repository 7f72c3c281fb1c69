//! Publish/subscribe operations of [`Client`].

use super::Client;
use crate::error::Result;
use crate::message::commands::pubsub::{
    Publish, PublishReply, SubscribeAnswer, SubscribeReply, SubscribeRequest, SubscribeSources,
    Unsubscribe, UnsubscribeOptions,
};
use crate::message::options::{AnswerOptions, OfferOptions};
use crate::message::reply::Ack;

impl Client {
    /// `publish`: hands rtpengine a publisher's SDP (should be sendonly); the reply holds the
    /// recvonly answer rtpengine generated, with one codec per media section.
    ///
    /// rtpengine up to 14.x needs `call_id` and `from_tag`; 26.0+ generates an empty one and
    /// returns it in [`PublishReply::call_id`] / [`PublishReply::from_tag`].
    pub async fn publish(
        &self,
        sdp: impl AsRef<[u8]>,
        call_id: &str,
        from_tag: &str,
        options: &OfferOptions,
    ) -> Result<PublishReply> {
        let req = Publish {
            sdp: sdp.as_ref(),
            call_id,
            from_tag,
            options,
        };
        PublishReply::from_dict(self.send(&req).await?)
    }

    /// `subscribe request`: creates a subscriber to `sources` (tagged `to_tag`, or a tag
    /// rtpengine generates) and returns the sendonly offer SDP for it and its tag.
    pub async fn subscribe_request(
        &self,
        call_id: &str,
        sources: &SubscribeSources,
        to_tag: Option<&str>,
        options: &OfferOptions,
    ) -> Result<SubscribeReply> {
        let req = SubscribeRequest {
            call_id,
            sources,
            to_tag,
            options,
        };
        SubscribeReply::from_dict(self.send(&req).await?)
    }

    /// `subscribe answer`: the subscriber's answer SDP; media then flows to it.
    pub async fn subscribe_answer(
        &self,
        call_id: &str,
        to_tag: &str,
        sdp: impl AsRef<[u8]>,
        options: &AnswerOptions,
    ) -> Result<Ack> {
        let req = SubscribeAnswer {
            call_id,
            to_tag,
            sdp: sdp.as_ref(),
            options,
        };
        self.send(&req).await.map(Ack::from_dict)
    }

    /// `unsubscribe`: stops the subscriber `to_tag`'s media.
    pub async fn unsubscribe(
        &self,
        call_id: &str,
        to_tag: &str,
        options: &UnsubscribeOptions,
    ) -> Result<Ack> {
        let req = Unsubscribe {
            call_id,
            to_tag,
            options,
        };
        self.send(&req).await.map(Ack::from_dict)
    }
}
