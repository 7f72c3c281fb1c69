//! TCP stream framing through the public `message::message_len` (the incremental
//! `FrameScanner` behind it is crate-private): the fuzz input is a byte stream, split into
//! messages as the TCP transport does. A length found must be a whole message that
//! `parse_message` reads, the same length with more bytes after it, and every shorter cut of
//! it must ask for more bytes (a message arriving in pieces is never refused early).
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use rtpengine_client::message::{message_len, parse_message};

fuzz_target!(|data: &[u8]| {
    let mut rest = data;
    while !rest.is_empty() {
        let n = match message_len(rest) {
            Ok(Some(n)) => n,
            Ok(None) | Err(_) => {
                // Incomplete or broken: every prefix is incomplete or broken too; check one.
                let _ = message_len(&rest[..rest.len() / 2]);
                return;
            }
        };
        assert!(n > 0 && n <= rest.len(), "length {n} of {}", rest.len());
        let message = &rest[..n];
        assert_eq!(
            message_len(message).ok(),
            Some(Some(n)),
            "alone, not the same length"
        );
        let owned = Bytes::copy_from_slice(message);
        if let Err(e) = parse_message(&owned) {
            panic!(
                "framed message does not parse: {e:?}: {:?}",
                String::from_utf8_lossy(message)
            );
        }
        for cut in [n - 1, n / 2, n / 3] {
            match message_len(&message[..cut]) {
                Ok(None) => {}
                other => panic!("cut at {cut} of {n}: {other:?}"),
            }
        }
        rest = &rest[n..];
    }
});
