//! Bencode decoding: borrowed, order-preserving, depth-bounded.

use super::ValueRef;

/// Default nesting limit of [`decode`] and [`decode_prefix`].
///
/// rtpengine's deepest replies (query statistics with MOS data) nest about ten levels; the limit
/// only exists so a hostile datagram cannot exhaust the stack.
pub const DEFAULT_MAX_DEPTH: usize = 64;

/// Why a byte string is not a bencode value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The input ends before the value does. A stream reader should wait for more bytes.
    #[error("incomplete bencode value: input ends after {len} bytes")]
    Incomplete {
        /// How many bytes were available.
        len: usize,
    },
    /// Lists or dictionaries nest deeper than the limit.
    #[error("bencode nesting deeper than {limit} levels at byte {at}")]
    TooDeep {
        /// The nesting limit in force.
        limit: usize,
        /// Offset of the container that crossed the limit.
        at: usize,
    },
    /// A byte that cannot start a value (or a dictionary key that is not a byte string).
    #[error("unexpected byte 0x{byte:02x} at offset {at}")]
    UnexpectedByte {
        /// The offending byte.
        byte: u8,
        /// Its offset in the input.
        at: usize,
    },
    /// An integer that is empty, has leading zeros, is `-0` or does not fit in an `i64`.
    #[error("invalid bencode integer at offset {at}")]
    InvalidInteger {
        /// Offset of the `i` that starts it.
        at: usize,
    },
    /// A string length prefix that is not a decimal number that fits in memory.
    #[error("invalid bencode string length at offset {at}")]
    InvalidLength {
        /// Offset of the length prefix.
        at: usize,
    },
    /// Bytes follow a complete value where none were expected (only from [`decode`]).
    #[error("{extra} trailing bytes after the bencode value at offset {at}")]
    TrailingBytes {
        /// Offset where the trailing bytes start.
        at: usize,
        /// How many bytes follow.
        extra: usize,
    },
}

impl DecodeError {
    /// True when more input could complete the value (see [`decode_prefix`]).
    pub fn is_incomplete(&self) -> bool {
        matches!(self, Self::Incomplete { .. })
    }
}

/// Decodes exactly one value that must fill the whole input.
///
/// Strings borrow from `input`; dictionary keys keep their wire order and duplicates are kept.
pub fn decode(input: &[u8]) -> Result<ValueRef<'_>, DecodeError> {
    let (value, used) = decode_prefix(input)?;
    if used != input.len() {
        return Err(DecodeError::TrailingBytes {
            at: used,
            extra: input.len() - used,
        });
    }
    Ok(value)
}

/// Decodes the value at the start of `input` and returns it with the number of bytes it used.
///
/// Returns [`DecodeError::Incomplete`] when `input` holds only the beginning of a value, which is
/// how a stream transport finds where one message ends (rtpengine's TCP framing has no length
/// prefix).
pub fn decode_prefix(input: &[u8]) -> Result<(ValueRef<'_>, usize), DecodeError> {
    decode_prefix_with_depth(input, DEFAULT_MAX_DEPTH)
}

/// [`decode_prefix`] with an explicit nesting limit (a scalar at the top is depth 0).
pub fn decode_prefix_with_depth(
    input: &[u8],
    max_depth: usize,
) -> Result<(ValueRef<'_>, usize), DecodeError> {
    let mut parser = Parser {
        input,
        pos: 0,
        max_depth,
    };
    let value = parser.value(0)?;
    Ok((value, parser.pos))
}

struct Parser<'a> {
    input: &'a [u8],
    pos: usize,
    max_depth: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Result<u8, DecodeError> {
        self.input
            .get(self.pos)
            .copied()
            .ok_or(DecodeError::Incomplete {
                len: self.input.len(),
            })
    }

    // Recursion is bounded by `max_depth`, so the stack use is bounded too.
    fn value(&mut self, depth: usize) -> Result<ValueRef<'a>, DecodeError> {
        match self.peek()? {
            b'i' => self.integer().map(ValueRef::Int),
            b'0'..=b'9' => self.bytes().map(ValueRef::Bytes),
            b'l' => {
                self.enter(depth)?;
                let mut items = Vec::new();
                loop {
                    if self.peek()? == b'e' {
                        self.pos += 1;
                        break;
                    }
                    items.push(self.value(depth + 1)?);
                }
                Ok(ValueRef::List(items))
            }
            b'd' => {
                self.enter(depth)?;
                let mut entries = Vec::new();
                loop {
                    match self.peek()? {
                        b'e' => {
                            self.pos += 1;
                            break;
                        }
                        b'0'..=b'9' => {
                            let key = self.bytes()?;
                            let value = self.value(depth + 1)?;
                            entries.push((key, value));
                        }
                        byte => {
                            return Err(DecodeError::UnexpectedByte { byte, at: self.pos });
                        }
                    }
                }
                Ok(ValueRef::Dict(entries))
            }
            byte => Err(DecodeError::UnexpectedByte { byte, at: self.pos }),
        }
    }

    fn enter(&mut self, depth: usize) -> Result<(), DecodeError> {
        if depth >= self.max_depth {
            return Err(DecodeError::TooDeep {
                limit: self.max_depth,
                at: self.pos,
            });
        }
        self.pos += 1;
        Ok(())
    }

    fn integer(&mut self) -> Result<i64, DecodeError> {
        let at = self.pos;
        let rest = &self.input[at + 1..];
        let Some(end) = rest.iter().position(|&b| b == b'e') else {
            // Only digits (and one leading minus) may still turn into an integer.
            let plausible = rest
                .iter()
                .enumerate()
                .all(|(i, &b)| b.is_ascii_digit() || (i == 0 && b == b'-'));
            return Err(if plausible && rest.len() <= 20 {
                DecodeError::Incomplete {
                    len: self.input.len(),
                }
            } else {
                DecodeError::InvalidInteger { at }
            });
        };
        let text = &rest[..end];
        let digits = text.strip_prefix(b"-").unwrap_or(text);
        let valid = !digits.is_empty()
            && digits.iter().all(u8::is_ascii_digit)
            && (digits.len() == 1 || digits[0] != b'0')
            && (text.len() == digits.len() || digits != b"0");
        if !valid {
            return Err(DecodeError::InvalidInteger { at });
        }
        let value = std::str::from_utf8(text)
            .ok()
            .and_then(|s| s.parse::<i64>().ok())
            .ok_or(DecodeError::InvalidInteger { at })?;
        self.pos = at + 1 + end + 1;
        Ok(value)
    }

    fn bytes(&mut self) -> Result<&'a [u8], DecodeError> {
        let at = self.pos;
        let mut len: usize = 0;
        let mut i = at;
        loop {
            let Some(&b) = self.input.get(i) else {
                return Err(DecodeError::Incomplete {
                    len: self.input.len(),
                });
            };
            match b {
                b'0'..=b'9' => {
                    len = len
                        .checked_mul(10)
                        .and_then(|l| l.checked_add(usize::from(b - b'0')))
                        .ok_or(DecodeError::InvalidLength { at })?;
                    i += 1;
                }
                b':' if i > at => break,
                _ => return Err(DecodeError::InvalidLength { at }),
            }
        }
        let start = i + 1;
        let end = start
            .checked_add(len)
            .ok_or(DecodeError::InvalidLength { at })?;
        if end > self.input.len() {
            return Err(DecodeError::Incomplete {
                len: self.input.len(),
            });
        }
        self.pos = end;
        Ok(&self.input[start..end])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars() {
        assert_eq!(decode(b"i42e").unwrap(), ValueRef::Int(42));
        assert_eq!(decode(b"i-7e").unwrap(), ValueRef::Int(-7));
        assert_eq!(decode(b"i0e").unwrap(), ValueRef::Int(0));
        assert_eq!(decode(b"4:spam").unwrap(), ValueRef::Bytes(b"spam"));
        assert_eq!(decode(b"0:").unwrap(), ValueRef::Bytes(b""));
    }

    #[test]
    fn bad_integers() {
        for bad in [
            &b"ie"[..],
            b"i-0e",
            b"i01e",
            b"i-e",
            b"i1x2e",
            b"i99999999999999999999e",
        ] {
            assert!(
                matches!(decode(bad), Err(DecodeError::InvalidInteger { .. })),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn dict_keeps_order_and_duplicates() {
        let v = decode(b"d3:sdp3:abc6:result2:ok3:sdp1:xe").unwrap();
        let ValueRef::Dict(entries) = &v else {
            panic!("not a dict")
        };
        let keys: Vec<&[u8]> = entries.iter().map(|(k, _)| *k).collect();
        assert_eq!(keys, [&b"sdp"[..], b"result", b"sdp"]);
        // Lookup returns the first, like the daemon.
        assert_eq!(
            v.get(b"sdp").and_then(ValueRef::as_bytes),
            Some(&b"abc"[..])
        );
    }

    #[test]
    fn prefix_and_incomplete() {
        let msg = b"d6:result4:ponged";
        let (v, used) = decode_prefix(msg).unwrap();
        assert_eq!(used, msg.len() - 1);
        assert_eq!(
            v.get(b"result").and_then(ValueRef::as_bytes),
            Some(&b"pong"[..])
        );
        for cut in 0..used {
            assert!(
                decode_prefix(&msg[..cut]).unwrap_err().is_incomplete(),
                "cut at {cut}"
            );
        }
        assert!(matches!(
            decode(msg),
            Err(DecodeError::TrailingBytes { at: 16, extra: 1 })
        ));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let mut bomb = vec![b'l'; 60_000];
        bomb.extend(std::iter::repeat_n(b'e', 60_000));
        assert!(matches!(decode(&bomb), Err(DecodeError::TooDeep { .. })));
        let mut dict_bomb = Vec::new();
        for _ in 0..60_000 {
            dict_bomb.extend_from_slice(b"d1:a");
        }
        assert!(matches!(
            decode(&dict_bomb),
            Err(DecodeError::TooDeep { .. })
        ));
    }

    #[test]
    fn non_string_key_rejected() {
        assert!(matches!(
            decode(b"di1ei2ee"),
            Err(DecodeError::UnexpectedByte { byte: b'i', at: 1 })
        ));
    }

    #[test]
    fn huge_length_is_not_a_crash() {
        assert!(decode(b"99999999999999999999999:").is_err());
        assert!(decode_prefix(b"999999:abc").unwrap_err().is_incomplete());
    }
}
