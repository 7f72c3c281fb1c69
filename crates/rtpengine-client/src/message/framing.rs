//! Splitting a byte stream into NG messages (sans-IO).
//!
//! TCP NG has no length prefix and no delimiter: a message is `cookie SP dict` and ends where
//! the bencode dictionary ends, exactly as the daemon splits it.
//!
//! [`FrameScanner`] finds that end incrementally: each byte of a message is looked at once
//! however many reads it arrives in, string bodies are skipped without being read, and a
//! message longer than a bound is refused as soon as that is certain (for a string, as soon as
//! its length prefix claims too much). [`message_len`] is the one-shot form.

use super::reply::MessageError;
use crate::bencode::{DecodeError, DEFAULT_MAX_DEPTH};

/// The longest cookie accepted before a space must appear (the daemon's own are 16 bytes; ours
/// about 40).
pub const MAX_COOKIE_LEN: usize = 256;

/// The longest message a stream transport accepts from the daemon (64 MiB); a longer one means
/// the stream is broken. rtpengine's largest replies (`list` with a big limit, `statistics`,
/// `query` of a call with many parties) stay far below it.
pub const MAX_MESSAGE_LEN: usize = 64 * 1024 * 1024;

/// Why a stream cannot be split into NG messages. The stream must then be dropped: there is no
/// way to find the next message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum FrameError {
    /// The bytes are not an NG message.
    #[error(transparent)]
    Message(#[from] MessageError),
    /// The message is (or claims to be) longer than the bound.
    #[error("a message longer than {limit} bytes")]
    TooLong {
        /// The bound in force.
        limit: usize,
    },
}

/// Where a [`FrameScanner`] is in the current message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Looking for the space that ends the cookie.
    Cookie,
    /// Expecting the top-level dictionary.
    Body,
    /// Between values: a value, a key or `e` comes next.
    Next,
    /// In an integer that started at `start` (the `i`).
    Int { start: usize },
    /// In a string length prefix that started at `start`; `len` so far.
    Len { start: usize, len: usize },
    /// In a string body: `remaining` bytes to skip.
    Str { remaining: usize },
    /// The message is complete: its length is the scanned length.
    Done,
}

/// An open list or dictionary.
#[derive(Debug, Clone, Copy)]
struct Open {
    dict: bool,
    /// A dictionary expecting a key (rather than a value).
    want_key: bool,
}

/// Finds where NG messages end in a growing buffer, incrementally.
///
/// Feed it the buffer that holds the current message from its first byte, again after every
/// read (the same bytes, with more appended). It remembers how far it got, so a message that
/// arrives in many pieces is scanned in linear time. Once it returns a length, split that many
/// bytes off the buffer and call [`FrameScanner::reset`] before scanning the rest.
///
/// It checks the structure as rtpengine's splitter does (cookie, space, one bencode
/// dictionary; keys are strings; integers are well-formed; nesting at most
/// [`DEFAULT_MAX_DEPTH`]); decoding the message is left to
/// [`parse_message`](super::parse_message).
#[derive(Debug, Clone)]
pub(crate) struct FrameScanner {
    max_len: usize,
    pos: usize,
    state: State,
    open: Vec<Open>,
}

impl Default for FrameScanner {
    /// A scanner bounded by [`MAX_MESSAGE_LEN`].
    fn default() -> Self {
        Self::new(MAX_MESSAGE_LEN)
    }
}

impl FrameScanner {
    /// A scanner refusing messages longer than `max_len` bytes.
    pub(crate) fn new(max_len: usize) -> Self {
        Self {
            max_len,
            pos: 0,
            state: State::Cookie,
            open: Vec::new(),
        }
    }

    /// Forgets the current message: the next scan starts a new one.
    // Only the TCP transport reads a stream of several messages.
    #[cfg(any(feature = "tcp", test))]
    pub(crate) fn reset(&mut self) {
        self.pos = 0;
        self.state = State::Cookie;
        self.open.clear();
    }

    /// How many bytes of the current message were scanned so far.
    #[cfg(test)]
    fn scanned(&self) -> usize {
        self.pos
    }

    /// The length of the message at the start of `buf` once it is complete (again on later
    /// calls, until [`FrameScanner::reset`]), `None` while more bytes are needed. `buf` must
    /// start with the bytes seen by the previous calls since the last reset.
    pub(crate) fn scan(&mut self, buf: &[u8]) -> Result<Option<usize>, FrameError> {
        let bencode = |e: DecodeError| FrameError::Message(MessageError::Bencode(e));
        if self.state == State::Done {
            return Ok(Some(self.pos));
        }
        while self.pos < buf.len() {
            let at = self.pos;
            let byte = buf[at];
            match self.state {
                State::Cookie => {
                    let window = &buf[at..buf.len().min(MAX_COOKIE_LEN + 1)];
                    match window.iter().position(|&b| b == b' ') {
                        Some(0) if at == 0 => return Err(MessageError::NoCookie.into()),
                        Some(i) => {
                            self.pos = at + i + 1;
                            self.state = State::Body;
                        }
                        None if buf.len() > MAX_COOKIE_LEN => {
                            return Err(MessageError::NoCookie.into())
                        }
                        None => {
                            self.pos = buf.len();
                        }
                    }
                }
                State::Body => match byte {
                    b'd' => {
                        self.open.push(Open {
                            dict: true,
                            want_key: true,
                        });
                        self.pos += 1;
                        self.state = State::Next;
                    }
                    b'l' | b'i' | b'0'..=b'9' => return Err(MessageError::NotADict.into()),
                    _ => return Err(bencode(DecodeError::UnexpectedByte { byte, at })),
                },
                State::Done => return Ok(Some(self.pos)),
                State::Next => {
                    // Next always has an open container: the last one closing ends the message.
                    let Some(&top) = self.open.last() else {
                        return Ok(Some(self.pos));
                    };
                    match byte {
                        b'e' if !top.dict || top.want_key => {
                            self.open.pop();
                            self.pos += 1;
                            if let Some(len) = self.value_done() {
                                return Ok(Some(len));
                            }
                        }
                        b'0'..=b'9' => {
                            self.state = State::Len { start: at, len: 0 };
                        }
                        _ if top.dict && top.want_key => {
                            return Err(bencode(DecodeError::UnexpectedByte { byte, at }))
                        }
                        b'i' => {
                            self.state = State::Int { start: at };
                            self.pos += 1;
                        }
                        b'l' | b'd' => {
                            if self.open.len() >= DEFAULT_MAX_DEPTH {
                                return Err(bencode(DecodeError::TooDeep {
                                    limit: DEFAULT_MAX_DEPTH,
                                    at,
                                }));
                            }
                            self.open.push(Open {
                                dict: byte == b'd',
                                want_key: true,
                            });
                            self.pos += 1;
                        }
                        _ => return Err(bencode(DecodeError::UnexpectedByte { byte, at })),
                    }
                }
                State::Int { start } => {
                    let text = &buf[start + 1..at];
                    match byte {
                        b'e' => {
                            if !valid_integer(text) {
                                return Err(bencode(DecodeError::InvalidInteger { at: start }));
                            }
                            self.pos += 1;
                            self.state = State::Next;
                            if let Some(len) = self.value_done() {
                                return Ok(Some(len));
                            }
                        }
                        // An i64 has at most 19 digits and a sign.
                        b'0'..=b'9' if text.len() < 20 => self.pos += 1,
                        b'-' if text.is_empty() => self.pos += 1,
                        _ => return Err(bencode(DecodeError::InvalidInteger { at: start })),
                    }
                }
                State::Len { start, len } => match byte {
                    b'0'..=b'9' => {
                        let len = len
                            .checked_mul(10)
                            .and_then(|l| l.checked_add(usize::from(byte - b'0')))
                            .ok_or(bencode(DecodeError::InvalidLength { at: start }))?;
                        if len > self.max_len {
                            return Err(FrameError::TooLong {
                                limit: self.max_len,
                            });
                        }
                        self.state = State::Len { start, len };
                        self.pos += 1;
                    }
                    b':' if at > start => {
                        self.pos += 1;
                        self.state = State::Str { remaining: len };
                    }
                    _ => return Err(bencode(DecodeError::InvalidLength { at: start })),
                },
                State::Str { remaining } => {
                    let take = remaining.min(buf.len() - at);
                    self.pos += take;
                    if take == remaining {
                        self.state = State::Next;
                        if let Some(len) = self.value_done() {
                            return Ok(Some(len));
                        }
                    } else {
                        self.state = State::Str {
                            remaining: remaining - take,
                        };
                    }
                }
            }
            // A string claiming more than the bound is refused at its prefix; everything else
            // once the bytes are there.
            let claimed = match self.state {
                State::Str { remaining } => self.pos.saturating_add(remaining),
                _ => self.pos,
            };
            if claimed > self.max_len {
                return Err(FrameError::TooLong {
                    limit: self.max_len,
                });
            }
        }
        Ok(None)
    }

    /// A value (scalar or container) ended at `self.pos`: the message is complete when nothing
    /// is open any more; otherwise a dictionary alternates between keys and values.
    fn value_done(&mut self) -> Option<usize> {
        match self.open.last_mut() {
            None => {
                self.state = State::Done;
                Some(self.pos)
            }
            Some(top) => {
                if top.dict {
                    top.want_key = !top.want_key;
                }
                None
            }
        }
    }
}

/// `i…e` contents the decoder accepts: digits, optionally after one minus, no leading zero,
/// no `-0`, within an i64.
fn valid_integer(text: &[u8]) -> bool {
    let digits = text.strip_prefix(b"-").unwrap_or(text);
    !digits.is_empty()
        && digits.iter().all(u8::is_ascii_digit)
        && (digits.len() == 1 || digits[0] != b'0')
        && (text.len() == digits.len() || digits != b"0")
        && std::str::from_utf8(text)
            .ok()
            .and_then(|s| s.parse::<i64>().ok())
            .is_some()
}

/// The length of the first complete message in `buf`, `None` when more bytes are needed, or an
/// error when the stream cannot be an NG stream (it must then be dropped: there is no way to
/// find the next message).
///
/// Scans `buf` from its start on every call: call it again once more bytes have arrived, with
/// the message's first byte still at the start of `buf`.
pub fn message_len(buf: &[u8]) -> Result<Option<usize>, MessageError> {
    FrameScanner::new(usize::MAX)
        .scan(buf)
        .map_err(|e| match e {
            FrameError::Message(e) => e,
            // Nothing is longer than usize::MAX.
            FrameError::TooLong { .. } => {
                MessageError::Bencode(DecodeError::InvalidLength { at: 0 })
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bencode;

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
        assert!(message_len(b"c d1:ae").is_err(), "a key without a value");
        assert!(message_len(b"c di1ei2ee").is_err(), "an integer key");
        assert!(message_len(b"c d1:ai01ee").is_err());
        assert!(message_len(b"c d1:ai-0ee").is_err());
        assert!(message_len(b"c d1:ai99999999999999999999ee").is_err());
        assert!(message_len(b"c d1:a1x").is_err());
        assert!(message_len(b"c d1:a:e").is_err());
    }

    #[test]
    fn incremental_scanning_agrees_with_one_shot_at_every_split() {
        let msg = b"ck d4:listli-7e0:d1:xli1eeee3:sdp10:v=0\r\nm=a\r\n6:result2:okeNEXT";
        let whole = message_len(msg).unwrap().unwrap();
        assert_eq!(&msg[whole..], b"NEXT");
        for step in 1..=msg.len() {
            let mut s = FrameScanner::default();
            let mut found = None;
            let mut end = 0;
            while found.is_none() && end < msg.len() {
                end = (end + step).min(msg.len());
                found = s.scan(&msg[..end]).unwrap();
            }
            assert_eq!(found, Some(whole), "step {step}");
        }
    }

    #[test]
    fn depth_is_bounded_like_the_decoder() {
        let nested = |n: usize| {
            let mut m = b"c d1:a".to_vec();
            m.extend(std::iter::repeat_n(b'l', n));
            m.extend(std::iter::repeat_n(b'e', n + 1));
            m
        };
        // The top dictionary is one level.
        let ok = nested(DEFAULT_MAX_DEPTH - 1);
        assert_eq!(message_len(&ok).unwrap(), Some(ok.len()));
        assert!(bencode::decode(&ok[2..]).is_ok());
        let deep = nested(DEFAULT_MAX_DEPTH);
        assert!(matches!(
            message_len(&deep),
            Err(MessageError::Bencode(DecodeError::TooDeep { .. }))
        ));
        assert!(bencode::decode(&deep[2..]).is_err());
    }

    #[test]
    fn length_is_bounded() {
        let mut s = FrameScanner::new(100);
        assert_eq!(
            s.scan(b"c d3:pad1000:"),
            Err(FrameError::TooLong { limit: 100 }),
            "refused at the length prefix"
        );
        let mut s = FrameScanner::new(100);
        assert_eq!(
            s.scan(b"c d3:pad96:"),
            Err(FrameError::TooLong { limit: 100 })
        );
        let mut s = FrameScanner::new(100);
        let mut list = b"c d1:al".to_vec();
        assert_eq!(s.scan(&list), Ok(None));
        while list.len() <= 100 {
            list.extend_from_slice(b"i1e");
        }
        assert_eq!(s.scan(&list), Err(FrameError::TooLong { limit: 100 }));
        let mut s = FrameScanner::new(19);
        assert_eq!(s.scan(b"c1 d6:result4:ponge"), Ok(Some(19)));
    }

    /// The decoder's answer: where the first message of `buf` ends.
    fn reference_len(buf: &[u8]) -> Option<usize> {
        let space = buf.iter().position(|&b| b == b' ')?;
        match bencode::decode_prefix(&buf[space + 1..]) {
            Ok((bencode::ValueRef::Dict(_), used)) => Some(space + 1 + used),
            _ => None,
        }
    }

    #[test]
    fn random_chunking_of_a_stream_agrees_with_the_decoder() {
        let sdp = "v=0\r\n".repeat(300);
        let messages: Vec<Vec<u8>> = vec![
            b"0123456789abcdef d6:notify6:onDTMF4:datad4:tagsl1:A1:Be5:eventi11eee".to_vec(),
            format!("c-1 d3:sdp{}:{sdp}6:result2:oke", sdp.len()).into_bytes(),
            b"c-2 d5:callsl3:abc0:e6:result2:oke".to_vec(),
            b"c-3 d6:result5:error12:error-reason3:bad3:negi-12e4:zeroi0e4:nestllldeeeee".to_vec(),
            b"c-4 de".to_vec(),
        ];
        let mut rng = fastrand::Rng::with_seed(7);
        for round in 0..300 {
            let order: Vec<usize> = (0..20).map(|_| rng.usize(..messages.len())).collect();
            let stream: Vec<u8> = order.iter().flat_map(|&i| messages[i].clone()).collect();
            let mut scanner = FrameScanner::default();
            let (mut buf, mut fed, mut got) = (Vec::new(), 0, Vec::new());
            while fed < stream.len() {
                let step = if rng.bool() {
                    rng.usize(1..8)
                } else {
                    rng.usize(1..3000)
                };
                let end = (fed + step).min(stream.len());
                buf.extend_from_slice(&stream[fed..end]);
                fed = end;
                while let Some(len) = scanner.scan(&buf).unwrap() {
                    assert_eq!(Some(len), reference_len(&buf), "round {round}");
                    got.push(buf.drain(..len).collect::<Vec<u8>>());
                    scanner.reset();
                }
            }
            assert!(buf.is_empty(), "round {round}");
            let want: Vec<Vec<u8>> = order.iter().map(|&i| messages[i].clone()).collect();
            assert_eq!(got, want, "round {round}");
        }
    }

    #[test]
    fn reset_starts_the_next_message() {
        let mut s = FrameScanner::default();
        let stream = b"a d1:xi1eeb d1:yi2ee";
        assert_eq!(s.scan(stream), Ok(Some(10)));
        assert_eq!(s.scan(stream), Ok(Some(10)), "until reset");
        s.reset();
        assert_eq!(s.scanned(), 0);
        assert_eq!(s.scan(&stream[10..]), Ok(Some(10)));
    }
}
