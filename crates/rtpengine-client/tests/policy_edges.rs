//! Edge settings of deadlines and retransmission: no retransmission, an unbounded deadline,
//! a zero deadline.

use rtpengine_client::NgCommands;
use std::time::Duration;

use rtpengine_client::{Client, Error, RetransmitPolicy};
use rtpengine_testkit::{FakeAction, FakeNg};

#[tokio::test(start_paused = true)]
async fn never_retransmit_sends_once() {
    let fake = FakeNg::start(|_| vec![]).await.unwrap();
    let client = Client::builder(fake.url())
        .retransmit(RetransmitPolicy::never())
        .timeout(Duration::from_secs(3))
        .connect()
        .await
        .unwrap();
    let err = client.ping().await.unwrap_err();
    assert!(matches!(err, Error::Timeout { attempts: 1, .. }), "{err:?}");
    assert_eq!(fake.received_count(), 1);
}

#[tokio::test]
async fn huge_deadline_does_not_overflow() {
    let fake = FakeNg::start(|_| vec![FakeAction::pong()]).await.unwrap();
    let client = Client::builder(fake.url())
        .timeout(Duration::MAX)
        .retransmit(RetransmitPolicy {
            initial: Duration::MAX,
            max: Duration::MAX,
            window: Duration::MAX,
        })
        .connect()
        .await
        .unwrap();
    client.ping().await.unwrap();
}

#[tokio::test]
async fn zero_deadline_times_out_after_one_send() {
    let fake = FakeNg::start(|_| vec![]).await.unwrap();
    let client = Client::connect(&fake.url()).await.unwrap();
    let err = client
        .with_timeout(Duration::ZERO)
        .ping()
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert_eq!(client.in_flight(), 0);
}
