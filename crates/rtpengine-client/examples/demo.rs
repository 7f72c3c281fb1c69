//! A whole call through a real rtpengine, narrated for a newcomer.
//!
//! Starts rtpengine on loopback (via `rtpengine-testkit`), then: offer, answer, real RTP in both
//! directions through the ports rtpengine wrote into the SDPs, query showing the packet counts,
//! delete. Run with `make demo` (installs rtpengine first) or
//! `cargo run -p rtpengine-client --example demo`.

use rtpengine_client::NgCommands;
use std::time::Duration;

use rtpengine_client::{Client, DeleteOptions, Flag, OfferOptions, QueryOptions};
use rtpengine_testkit::rtp::{parse_rtp, rtp_packet, sdp_audio, sdp_media_port};
use rtpengine_testkit::Rtpengine;
use tokio::net::UdpSocket;

const PACKETS: u16 = 50;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rtpe = Rtpengine::start()?;
    let version = rtpe.version();
    println!(
        "1. Started rtpengine {} on loopback",
        version.trim_start_matches("Version: ")
    );
    println!(
        "   NG control: {}   media ports: {:?}",
        rtpe.udp_url(),
        rtpe.media_port_range()
    );

    let client = Client::connect(&rtpe.udp_url()).await?;
    client.ping().await?;
    println!("2. ping -> pong");

    // Two phones on this machine: Alice calls Bob.
    let alice = UdpSocket::bind("127.0.0.1:0").await?;
    let bob = UdpSocket::bind("127.0.0.1:0").await?;
    let (alice_port, bob_port) = (alice.local_addr()?.port(), bob.local_addr()?.port());
    let call_id = format!("demo-{}", std::process::id());
    let opts = OfferOptions::new().flag(Flag::TrustAddress);

    let alice_sdp = sdp_audio("127.0.0.1", alice_port, 1);
    let offer = client.offer(&alice_sdp, &call_id, "alice", &opts).await?;
    let to_bob = sdp_media_port(&offer.sdp_str()).ok_or("no m=audio in the offer reply")?;
    println!("3. offer:  Alice's SDP says media at 127.0.0.1:{alice_port};");
    println!("           rtpengine rewrote it for Bob to 127.0.0.1:{to_bob}");
    print_lines(&offer.sdp_str());

    let bob_sdp = sdp_audio("127.0.0.1", bob_port, 2);
    let answer = client
        .answer(&bob_sdp, &call_id, "alice", "bob", &opts)
        .await?;
    let to_alice = sdp_media_port(&answer.sdp_str()).ok_or("no m=audio in the answer reply")?;
    println!("4. answer: Bob's SDP says media at 127.0.0.1:{bob_port};");
    println!("           rtpengine rewrote it for Alice to 127.0.0.1:{to_alice}");

    // Each phone sends where its SDP told it to: to rtpengine, which relays to the other phone.
    println!("5. media:  Alice and Bob each send {PACKETS} RTP packets (160-byte PCMU payloads)");
    for seq in 0..PACKETS {
        let ts = u32::from(seq) * 160;
        alice
            .send_to(
                &rtp_packet(seq, ts, 0xA11CE, 0, &[0xFF; 160]),
                ("127.0.0.1", to_alice),
            )
            .await?;
        bob.send_to(
            &rtp_packet(seq, ts, 0xB0B, 0, &[0x7F; 160]),
            ("127.0.0.1", to_bob),
        )
        .await?;
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let at_bob = receive(&bob, 0xA11CE).await?;
    let at_alice = receive(&alice, 0xB0B).await?;
    println!(
        "           Bob received {at_bob} of Alice's packets, Alice received {at_alice} of Bob's"
    );

    let stats = client.query(&call_id, &QueryOptions::new()).await?;
    println!("6. query:  what rtpengine counted");
    for tag in &stats.tags {
        for media in &tag.medias {
            for s in &media.streams {
                let kind = s.flags.first().map(String::as_str).unwrap_or("?");
                println!(
                    "           {:<5} {:<4} rtpengine port {:>5}: {:>3} packets, {:>5} bytes from {}",
                    tag.tag,
                    kind,
                    s.local_port.unwrap_or(0),
                    s.stats.packets,
                    s.stats.bytes,
                    s.endpoint
                        .as_ref()
                        .map(|e| format!("{}:{}", e.address, e.port))
                        .unwrap_or_else(|| "-".into()),
                );
            }
        }
    }
    println!(
        "           totals: RTP {} packets / {} bytes",
        stats.rtp_totals.packets, stats.rtp_totals.bytes
    );

    let deleted = client
        .delete(&call_id, "alice", &DeleteOptions::new())
        .await?;
    let remaining = client.list(None).await?;
    println!(
        "7. delete: final RTP total {} packets; calls left on rtpengine: {}",
        deleted.rtp_totals.packets,
        remaining.len()
    );
    if at_bob == 0 || at_alice == 0 {
        return Err("media did not flow through rtpengine".into());
    }
    println!("Done: the call's media went through rtpengine both ways.");
    Ok(())
}

fn print_lines(sdp: &str) {
    for line in sdp
        .lines()
        .filter(|l| l.starts_with("c=") || l.starts_with("m="))
    {
        println!("             {line}");
    }
}

/// Counts RTP packets with `ssrc` until the socket stays quiet for 300 ms.
async fn receive(socket: &UdpSocket, ssrc: u32) -> std::io::Result<usize> {
    let mut buf = [0u8; 2048];
    let mut count = 0;
    while let Ok(r) = tokio::time::timeout(Duration::from_millis(300), socket.recv(&mut buf)).await
    {
        let n = r?;
        if parse_rtp(&buf[..n]).is_some_and(|h| h.ssrc == ssrc) {
            count += 1;
        }
    }
    Ok(count)
}
