//! `bencode::decode` / `decode_prefix` on arbitrary bytes: never a panic; whatever decodes
//! re-encodes to something that decodes to the same value, and a value found by
//! `decode_prefix` is `Incomplete` when cut short (what stream framing relies on).
#![no_main]

use libfuzzer_sys::fuzz_target;
use rtpengine_client::bencode::{
    decode, decode_prefix, decode_prefix_with_depth, encode, DecodeError,
};

fuzz_target!(|data: &[u8]| {
    if let Ok(value) = decode(data) {
        let owned = value.to_owned_value();
        let encoded = encode(&owned);
        let again = decode(&encoded).expect("re-encoded value decodes");
        assert_eq!(again, value, "round trip changed the value");
        assert_eq!(
            encode(&again.to_owned_value()),
            encoded,
            "encoding is not stable"
        );
        // The zero-copy conversion gives the same tree as the copying one.
        let backing = bytes::Bytes::copy_from_slice(data);
        let value_in = decode(&backing).expect("same bytes decode");
        assert_eq!(value_in.to_owned_in(&backing), owned);
    }

    match decode_prefix(data) {
        Ok((value, used)) => {
            assert!(
                used > 0 && used <= data.len(),
                "used {used} of {}",
                data.len()
            );
            // The prefix alone is the value.
            assert_eq!(decode(&data[..used]).ok(), Some(value.clone()));
            // Cut short, it needs more bytes (never an error, never a shorter value).
            for cut in [used - 1, used / 2] {
                match decode_prefix(&data[..cut]) {
                    Err(e) => assert!(e.is_incomplete(), "cut at {cut} of {used}: {e:?}"),
                    Ok((_, n)) => panic!("cut at {cut} of {used} decoded {n} bytes"),
                }
            }
            // With trailing bytes, `decode` refuses the whole input.
            if used < data.len() {
                assert!(matches!(
                    decode(data),
                    Err(DecodeError::TrailingBytes { .. })
                ));
            }
        }
        Err(e) => {
            assert!(
                decode(data).is_err(),
                "decode accepts what decode_prefix refuses: {e:?}"
            );
        }
    }

    // Small nesting limits are errors, never a stack overflow or a panic.
    let _ = decode_prefix_with_depth(data, 0);
    let _ = decode_prefix_with_depth(data, 3);
});
