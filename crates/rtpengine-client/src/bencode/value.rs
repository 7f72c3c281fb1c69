//! The two value trees: [`ValueRef`] borrows from a buffer, [`Value`] owns (cheaply, via `Bytes`).

use std::fmt;

use bytes::Bytes;

/// A decoded bencode value that borrows its strings from the input buffer.
#[derive(Clone, PartialEq, Eq)]
pub enum ValueRef<'a> {
    /// `i…e`
    Int(i64),
    /// `N:…` — any bytes, not necessarily UTF-8.
    Bytes(&'a [u8]),
    /// `l…e`
    List(Vec<ValueRef<'a>>),
    /// `d…e` in wire order; duplicate keys are kept.
    Dict(Vec<(&'a [u8], ValueRef<'a>)>),
}

impl<'a> ValueRef<'a> {
    /// The first value stored under `key`, if this is a dictionary.
    pub fn get(&self, key: &[u8]) -> Option<&ValueRef<'a>> {
        match self {
            Self::Dict(entries) => entries.iter().find(|(k, _)| *k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The bytes of a string value.
    pub fn as_bytes(&self) -> Option<&'a [u8]> {
        match self {
            Self::Bytes(b) => Some(b),
            _ => None,
        }
    }

    /// Converts to an owned [`Value`] whose strings are zero-copy slices of `backing`.
    ///
    /// `backing` must be the buffer this value was decoded from; strings that do not lie inside
    /// it are copied instead.
    pub fn to_owned_in(&self, backing: &Bytes) -> Value {
        let slice = |b: &[u8]| -> Bytes {
            let base = backing.as_ptr() as usize;
            let start = b.as_ptr() as usize;
            if start >= base && start + b.len() <= base + backing.len() {
                backing.slice_ref(b)
            } else {
                Bytes::copy_from_slice(b)
            }
        };
        match self {
            Self::Int(i) => Value::Int(*i),
            Self::Bytes(b) => Value::Bytes(slice(b)),
            Self::List(items) => {
                Value::List(items.iter().map(|v| v.to_owned_in(backing)).collect())
            }
            Self::Dict(entries) => Value::Dict(Dict {
                entries: entries
                    .iter()
                    .map(|(k, v)| (slice(k), v.to_owned_in(backing)))
                    .collect(),
            }),
        }
    }

    /// Converts to an owned [`Value`], copying every string.
    pub fn to_owned_value(&self) -> Value {
        self.to_owned_in(&Bytes::new())
    }
}

/// An owned bencode value. Strings are [`Bytes`], so a reply can be held without copying the
/// datagram it came from.
#[derive(Clone, PartialEq, Eq)]
pub enum Value {
    /// `i…e`
    Int(i64),
    /// `N:…` — any bytes, not necessarily UTF-8.
    Bytes(Bytes),
    /// `l…e`
    List(Vec<Value>),
    /// `d…e`, order-preserving.
    Dict(Dict),
}

impl Value {
    /// A string value from anything that is bytes.
    pub fn bytes(b: impl Into<Bytes>) -> Self {
        Self::Bytes(b.into())
    }

    /// A string value copied from text.
    pub fn str(s: &str) -> Self {
        Self::Bytes(Bytes::copy_from_slice(s.as_bytes()))
    }

    /// A list of strings.
    pub fn str_list<I, S>(items: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        Self::List(items.into_iter().map(|s| Self::str(s.as_ref())).collect())
    }

    /// The first value stored under `key`, if this is a dictionary.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.as_dict().and_then(|d| d.get(key))
    }

    /// The integer, if this is one.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Self::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// The integer, also accepting a decimal string (rtpengine mixes both).
    pub fn as_int_lenient(&self) -> Option<i64> {
        match self {
            Self::Int(i) => Some(*i),
            Self::Bytes(b) => std::str::from_utf8(b).ok()?.trim().parse().ok(),
            _ => None,
        }
    }

    /// The bytes, if this is a string.
    pub fn as_bytes(&self) -> Option<&Bytes> {
        match self {
            Self::Bytes(b) => Some(b),
            _ => None,
        }
    }

    /// The text, if this is a UTF-8 string.
    pub fn as_str(&self) -> Option<&str> {
        self.as_bytes().and_then(|b| std::str::from_utf8(b).ok())
    }

    /// The items, if this is a list.
    pub fn as_list(&self) -> Option<&[Value]> {
        match self {
            Self::List(items) => Some(items),
            _ => None,
        }
    }

    /// The dictionary, if this is one.
    pub fn as_dict(&self) -> Option<&Dict> {
        match self {
            Self::Dict(d) => Some(d),
            _ => None,
        }
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Self::Int(i)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Self::str(s)
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Self::Bytes(Bytes::from(s))
    }
}

impl From<Bytes> for Value {
    fn from(b: Bytes) -> Self {
        Self::Bytes(b)
    }
}

impl From<Vec<Value>> for Value {
    fn from(items: Vec<Value>) -> Self {
        Self::List(items)
    }
}

impl From<Dict> for Value {
    fn from(d: Dict) -> Self {
        Self::Dict(d)
    }
}

/// An order-preserving bencode dictionary. Lookups return the first entry with a key, as
/// rtpengine does.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Dict {
    entries: Vec<(Bytes, Value)>,
}

impl Dict {
    /// An empty dictionary.
    pub fn new() -> Self {
        Self::default()
    }

    /// The first value under `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.get_bytes(key.as_bytes())
    }

    /// The first value under a key given as bytes.
    pub fn get_bytes(&self, key: &[u8]) -> Option<&Value> {
        self.entries
            .iter()
            .find(|(k, _)| k.as_ref() == key)
            .map(|(_, v)| v)
    }

    /// True when `key` is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Replaces the first entry under `key`, or appends one.
    pub fn insert(&mut self, key: impl Into<Bytes>, value: impl Into<Value>) {
        let key = key.into();
        let value = value.into();
        match self.entries.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.entries.push((key, value)),
        }
    }

    /// Appends an entry without looking for an existing key (duplicates are allowed on the wire).
    pub fn push(&mut self, key: impl Into<Bytes>, value: impl Into<Value>) {
        self.entries.push((key.into(), value.into()));
    }

    /// Removes and returns the first entry under `key`.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        let pos = self
            .entries
            .iter()
            .position(|(k, _)| k.as_ref() == key.as_bytes())?;
        Some(self.entries.remove(pos).1)
    }

    /// Entries in order.
    pub fn iter(&self) -> impl Iterator<Item = (&Bytes, &Value)> {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// A string value under `key`, as text (lossy for non-UTF-8 bytes).
    pub fn get_string(&self, key: &str) -> Option<String> {
        self.get(key)
            .and_then(Value::as_bytes)
            .map(|b| String::from_utf8_lossy(b).into_owned())
    }

    /// An integer under `key`, also accepting a decimal string.
    pub fn get_int(&self, key: &str) -> Option<i64> {
        self.get(key).and_then(Value::as_int_lenient)
    }
}

impl<K: Into<Bytes>, V: Into<Value>> FromIterator<(K, V)> for Dict {
    fn from_iter<T: IntoIterator<Item = (K, V)>>(iter: T) -> Self {
        Self {
            entries: iter
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }
}

impl<'d> IntoIterator for &'d Dict {
    type Item = (&'d Bytes, &'d Value);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'d, (Bytes, Value)>,
        fn(&'d (Bytes, Value)) -> (&'d Bytes, &'d Value),
    >;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter().map(|(k, v)| (k, v))
    }
}

/// Writes bytes as text, escaping what is not printable UTF-8.
fn write_text(f: &mut fmt::Formatter<'_>, b: &[u8]) -> fmt::Result {
    write!(f, "\"{}\"", b.escape_ascii())
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Int(i) => write!(f, "{i}"),
            Self::Bytes(b) => write_text(f, b),
            Self::List(items) => f.debug_list().entries(items).finish(),
            Self::Dict(d) => fmt::Debug::fmt(d, f),
        }
    }
}

impl fmt::Debug for Dict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut m = f.debug_map();
        for (k, v) in &self.entries {
            m.key(&format_args!("\"{}\"", k.escape_ascii())).value(v);
        }
        m.finish()
    }
}

impl fmt::Debug for ValueRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Int(i) => write!(f, "{i}"),
            Self::Bytes(b) => write_text(f, b),
            Self::List(items) => f.debug_list().entries(items).finish(),
            Self::Dict(entries) => {
                let mut m = f.debug_map();
                for (k, v) in entries {
                    m.key(&format_args!("\"{}\"", k.escape_ascii())).value(v);
                }
                m.finish()
            }
        }
    }
}
