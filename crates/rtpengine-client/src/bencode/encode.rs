//! Bencode encoding straight into one buffer, in insertion order, without building a tree.

use super::Value;

/// Writes bencode into a `Vec<u8>`.
///
/// Containers are opened with [`Encoder::dict`] / [`Encoder::list`] and closed with
/// [`Encoder::end`]; keys are written with [`Encoder::bytes`] like any string. The encoder does not
/// sort keys (rtpengine needs no order) and remembers the longest string it wrote, so a caller can
/// refuse strings the daemon cannot handle.
#[derive(Debug)]
pub struct Encoder<'b> {
    out: &'b mut Vec<u8>,
    longest_string: usize,
}

impl<'b> Encoder<'b> {
    /// An encoder appending to `out`.
    pub fn new(out: &'b mut Vec<u8>) -> Self {
        Self {
            out,
            longest_string: 0,
        }
    }

    /// The length of the longest byte string written so far (keys included).
    pub fn longest_string(&self) -> usize {
        self.longest_string
    }

    /// Bytes written to the underlying buffer so far (including what was there before).
    pub fn len(&self) -> usize {
        self.out.len()
    }

    /// True when the underlying buffer is empty.
    pub fn is_empty(&self) -> bool {
        self.out.is_empty()
    }

    /// Writes a byte string.
    pub fn bytes(&mut self, value: &[u8]) -> &mut Self {
        self.longest_string = self.longest_string.max(value.len());
        write_decimal(self.out, value.len() as u64, false);
        self.out.push(b':');
        self.out.extend_from_slice(value);
        self
    }

    /// Writes a UTF-8 string as a byte string.
    pub fn str(&mut self, value: &str) -> &mut Self {
        self.bytes(value.as_bytes())
    }

    /// Writes an integer.
    pub fn int(&mut self, value: i64) -> &mut Self {
        self.out.push(b'i');
        write_decimal(self.out, value.unsigned_abs(), value < 0);
        self.out.push(b'e');
        self
    }

    /// Opens a list; close it with [`Encoder::end`].
    pub fn list(&mut self) -> &mut Self {
        self.out.push(b'l');
        self
    }

    /// Opens a dictionary; close it with [`Encoder::end`].
    pub fn dict(&mut self) -> &mut Self {
        self.out.push(b'd');
        self
    }

    /// Closes the innermost open list or dictionary.
    pub fn end(&mut self) -> &mut Self {
        self.out.push(b'e');
        self
    }

    /// Writes a dictionary entry whose value is a string.
    pub fn entry_str(&mut self, key: &str, value: &str) -> &mut Self {
        self.str(key).str(value)
    }

    /// Writes a dictionary entry whose value is an integer.
    pub fn entry_int(&mut self, key: &str, value: i64) -> &mut Self {
        self.str(key).int(value)
    }

    /// Writes a dictionary entry whose value is a list of strings.
    pub fn entry_str_list<I, S>(&mut self, key: &str, items: I) -> &mut Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.str(key).list();
        for item in items {
            self.str(item.as_ref());
        }
        self.end()
    }

    /// Writes a whole owned value tree.
    pub fn value(&mut self, value: &Value) -> &mut Self {
        match value {
            Value::Int(i) => self.int(*i),
            Value::Bytes(b) => self.bytes(b),
            Value::List(items) => {
                self.list();
                for item in items {
                    self.value(item);
                }
                self.end()
            }
            Value::Dict(dict) => {
                self.dict();
                for (k, v) in dict.iter() {
                    self.bytes(k);
                    self.value(v);
                }
                self.end()
            }
        }
    }
}

/// Encodes one value into a new buffer.
pub fn encode(value: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    Encoder::new(&mut out).value(value);
    out
}

fn write_decimal(out: &mut Vec<u8>, mut n: u64, negative: bool) {
    let mut buf = [0u8; 21];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if negative {
        i -= 1;
        buf[i] = b'-';
    }
    out.extend_from_slice(&buf[i..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers() {
        for (n, text) in [
            (0i64, &b"i0e"[..]),
            (-1, b"i-1e"),
            (1234567890, b"i1234567890e"),
            (i64::MIN, b"i-9223372036854775808e"),
            (i64::MAX, b"i9223372036854775807e"),
        ] {
            let mut out = Vec::new();
            Encoder::new(&mut out).int(n);
            assert_eq!(out, text);
        }
    }

    #[test]
    fn nested_in_insertion_order() {
        let mut out = Vec::new();
        let mut e = Encoder::new(&mut out);
        e.dict()
            .entry_str("command", "offer")
            .entry_str_list("flags", ["trust address", "symmetric"])
            .entry_int("TOS", 184)
            .end();
        assert_eq!(e.longest_string(), 13);
        assert_eq!(
            out,
            b"d7:command5:offer5:flagsl13:trust address9:symmetrice3:TOSi184ee"
        );
    }
}
