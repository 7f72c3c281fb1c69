//! Splitting a byte stream into NG messages (sans-IO).
//!
//! TCP NG has no length prefix and no delimiter: a message is `cookie SP dict` and ends where
//! the bencode dictionary ends, exactly as the daemon splits it.

use super::reply::MessageError;
use crate::bencode::{self, DecodeError};

/// The longest cookie accepted before a space must appear (the daemon's own are 16 bytes; ours
/// about 40).
pub const MAX_COOKIE_LEN: usize = 256;

/// The length of the first complete message in `buf`, `None` when more bytes are needed, or an
/// error when the stream cannot be an NG stream (it must then be dropped: there is no way to
/// find the next message).
pub fn message_len(buf: &[u8]) -> Result<Option<usize>, MessageError> {
    let Some(space) = buf.iter().take(MAX_COOKIE_LEN + 1).position(|&b| b == b' ') else {
        return if buf.len() > MAX_COOKIE_LEN {
            Err(MessageError::NoCookie)
        } else {
            Ok(None)
        };
    };
    if space == 0 {
        return Err(MessageError::NoCookie);
    }
    match bencode::decode_prefix(&buf[space + 1..]) {
        Ok((bencode::ValueRef::Dict(_), used)) => Ok(Some(space + 1 + used)),
        Ok(_) => Err(MessageError::NotADict),
        Err(DecodeError::Incomplete { .. }) => Ok(None),
        Err(e) => Err(MessageError::Bencode(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_back_to_back_messages() {
        let stream = b"c1 d6:result4:ponged2 d6:result4:pongec3 d6:res";
        assert_eq!(message_len(stream).unwrap(), Some(19));
        assert_eq!(message_len(&stream[19..]).unwrap(), Some(19));
        assert_eq!(message_len(&stream[38..]).unwrap(), None);
        for cut in 0..19 {
            assert_eq!(message_len(&stream[..cut]).unwrap(), None, "cut {cut}");
        }
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(message_len(b" d1:ai1ee").is_err());
        assert!(message_len(b"c li1ee").is_err());
        assert!(message_len(b"c {\"result\":\"ok\"}").is_err());
        assert!(message_len(&[b'x'; 300]).is_err());
        assert_eq!(message_len(&[b'x'; 200]).unwrap(), None);
    }
}
