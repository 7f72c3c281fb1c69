//! Offer, answer, query and delete against an rtpengine you already run.
//!
//! ```text
//! cargo run -p rtpengine-client --example offer_answer -- udp://127.0.0.1:2223
//! ```

use rtpengine_client::NgCommands;
use rtpengine_client::{
    Client, DeleteOptions, Flag, Ice, OfferOptions, QueryOptions, TransportProtocol,
};

#[tokio::main]
async fn main() -> Result<(), rtpengine_client::Error> {
    let url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "udp://127.0.0.1:2223".to_owned());
    let client = Client::connect(&url).await?;
    client.ping().await?;

    let call_id = format!("example-{}", std::process::id());
    let caller_sdp = "v=0\r\no=- 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n\
                      m=audio 40000 RTP/AVP 0 8\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n";
    let offer_opts = OfferOptions::new()
        .flag(Flag::TrustAddress)
        .ice(Ice::Remove)
        .transport_protocol(TransportProtocol::RtpAvp);
    let offer = client
        .offer(caller_sdp, &call_id, "caller", &offer_opts)
        .await?;
    println!("offer -> SDP for the callee:\n{}", offer.sdp_str());

    let callee_sdp = "v=0\r\no=- 2 2 IN IP4 198.51.100.20\r\ns=-\r\nc=IN IP4 198.51.100.20\r\n\
                      t=0 0\r\nm=audio 50000 RTP/AVP 0\r\na=sendrecv\r\n";
    let answer = client
        .answer(
            callee_sdp,
            &call_id,
            "caller",
            "callee",
            &OfferOptions::new(),
        )
        .await?;
    println!("answer -> SDP for the caller:\n{}", answer.sdp_str());

    let stats = client.query(&call_id, &QueryOptions::new()).await?;
    for tag in &stats.tags {
        println!("party {:?}: {} media section(s)", tag.tag, tag.medias.len());
    }
    let deleted = client
        .delete(&call_id, "caller", &DeleteOptions::new())
        .await?;
    println!(
        "deleted; RTP packets relayed: {}",
        deleted.rtp_totals.packets
    );
    Ok(())
}
