//! How option values are encoded, decoded and version-checked.

use std::fmt::Debug;
use std::net::IpAddr;

use bytes::Bytes;

use super::catalogue::{Kind, Shape};
use crate::bencode::{Encoder, Value};
use crate::version::{Requirements, Since, Version};

/// A single option value: a string, an integer, an enum, an address…
pub trait Scalar: Clone + PartialEq + Debug {
    /// What the value is, for the catalogue's tables.
    const KIND: Kind = Kind::Text;
    /// Writes the value.
    fn encode(&self, enc: &mut Encoder<'_>);
    /// Reads the value; `None` when the wire value has another type or an unknown form.
    fn decode(v: &Value) -> Option<Self>;
    /// The releases that have this value (most values are as old as their key).
    fn since(&self) -> Since {
        Since::BASE
    }
    /// The value as text, for error messages.
    fn describe(&self) -> String {
        format!("{self:?}")
    }
    /// Reads the value as a person types it (a command-line argument). `Err` says what was
    /// wrong, without naming the option.
    fn from_text(text: &str) -> Result<Self, String> {
        Self::decode(&Value::from(text)).ok_or_else(|| match Self::KIND {
            Kind::Integer => format!("'{text}' is not an integer in range"),
            Kind::YesNo => format!("'{text}' is not yes or no"),
            Kind::Address => format!("'{text}' is not an IP address"),
            Kind::Form(form) => format!("'{text}' is not of the form {form}"),
            _ => format!("'{text}' is not a valid value"),
        })
    }
}

impl Scalar for String {
    fn encode(&self, enc: &mut Encoder<'_>) {
        enc.str(self);
    }
    fn decode(v: &Value) -> Option<Self> {
        v.as_bytes()
            .map(|b| String::from_utf8_lossy(b).into_owned())
    }
    fn describe(&self) -> String {
        self.clone()
    }
}

impl Scalar for Bytes {
    const KIND: Kind = Kind::Bytes;
    fn encode(&self, enc: &mut Encoder<'_>) {
        enc.bytes(self);
    }
    fn decode(v: &Value) -> Option<Self> {
        v.as_bytes().cloned()
    }
    fn describe(&self) -> String {
        format!("{} bytes", self.len())
    }
}

impl Scalar for Value {
    fn encode(&self, enc: &mut Encoder<'_>) {
        enc.value(self);
    }
    fn decode(v: &Value) -> Option<Self> {
        Some(v.clone())
    }
}

macro_rules! int_scalar {
    ($($t:ty),*) => {$(
        impl Scalar for $t {
            const KIND: Kind = Kind::Integer;
            fn encode(&self, enc: &mut Encoder<'_>) {
                enc.int(i64::from(*self));
            }
            /// Integers are also accepted as decimal strings, as rtpengine does.
            fn decode(v: &Value) -> Option<Self> {
                v.as_int_lenient().and_then(|i| <$t>::try_from(i).ok())
            }
            fn describe(&self) -> String {
                self.to_string()
            }
        }
    )*};
}
int_scalar!(i64, i32, u8, u16, u32);

/// `yes` / `no` (decodes `on`/`off`, `true`/`false`, `1`/`0` too).
impl Scalar for bool {
    const KIND: Kind = Kind::YesNo;
    fn encode(&self, enc: &mut Encoder<'_>) {
        enc.str(if *self { "yes" } else { "no" });
    }
    fn decode(v: &Value) -> Option<Self> {
        match v.as_str()?.to_ascii_lowercase().as_str() {
            "yes" | "on" | "true" | "1" | "enable" | "enabled" => Some(true),
            "no" | "off" | "false" | "0" | "disable" | "disabled" => Some(false),
            _ => None,
        }
    }
}

impl Scalar for IpAddr {
    const KIND: Kind = Kind::Address;
    fn encode(&self, enc: &mut Encoder<'_>) {
        enc.str(&self.to_string());
    }
    fn decode(v: &Value) -> Option<Self> {
        v.as_str()?.parse().ok()
    }
    fn describe(&self) -> String {
        self.to_string()
    }
}

/// A field of an options struct: absent or present, encoded under one key.
pub trait OptionValue: Default + Clone + PartialEq + Debug {
    /// What a setter takes: the value itself, or one item of a list.
    type Item;
    /// What the value looks like, for the catalogue's tables.
    const SHAPE: Shape;
    /// Whether the field is sent.
    fn is_set(&self) -> bool;
    /// Sets the value, or appends an item to a list.
    fn set(&mut self, item: Self::Item);
    /// Writes the value.
    fn encode(&self, enc: &mut Encoder<'_>);
    /// Reads the value; `None` when the wire value does not fit (it is then kept raw).
    fn decode(v: &Value) -> Option<Self>;
    /// Notes what any part of the value (under `key`) needs of the daemon.
    fn need(&self, key: &str, r: &mut Requirements);
    /// Writes the items of a list without the list brackets (other values write themselves),
    /// so raw flags can join typed ones in one `flags` list.
    fn encode_items(&self, enc: &mut Encoder<'_>) {
        self.encode(enc);
    }
    /// Sets the value (or appends an item) from text, as [`Scalar::from_text`] reads it.
    fn set_text(&mut self, text: &str) -> Result<(), String>;
    /// Sets an option nested under this one (`path` names it below this key); only
    /// dictionaries have any.
    fn set_nested(&mut self, path: &[&str], text: &str) -> Result<(), String> {
        let _ = text;
        Err(format!("has no option '{}'", path.join(".")))
    }
}

impl<T: Scalar> OptionValue for Option<T> {
    type Item = T;
    const SHAPE: Shape = Shape::One(T::KIND);
    fn is_set(&self) -> bool {
        self.is_some()
    }
    fn set(&mut self, item: T) {
        *self = Some(item);
    }
    fn encode(&self, enc: &mut Encoder<'_>) {
        if let Some(v) = self {
            v.encode(enc);
        }
    }
    fn decode(v: &Value) -> Option<Self> {
        T::decode(v).map(Some)
    }
    fn set_text(&mut self, text: &str) -> Result<(), String> {
        *self = Some(T::from_text(text)?);
        Ok(())
    }
    fn need(&self, key: &str, r: &mut Requirements) {
        need_each(self, key, r);
    }
}

/// Lists: the setter appends.
impl<T: Scalar> OptionValue for Vec<T> {
    type Item = T;
    const SHAPE: Shape = Shape::List(T::KIND);
    fn is_set(&self) -> bool {
        !self.is_empty()
    }
    fn set(&mut self, item: T) {
        self.push(item);
    }
    fn encode(&self, enc: &mut Encoder<'_>) {
        enc.list();
        for v in self {
            v.encode(enc);
        }
        enc.end();
    }
    fn decode(v: &Value) -> Option<Self> {
        v.as_list()?.iter().map(T::decode).collect()
    }
    fn set_text(&mut self, text: &str) -> Result<(), String> {
        self.push(T::from_text(text)?);
        Ok(())
    }
    fn encode_items(&self, enc: &mut Encoder<'_>) {
        for v in self {
            v.encode(enc);
        }
    }
    fn need(&self, key: &str, r: &mut Requirements) {
        need_each(self, key, r);
    }
}

/// Notes what each value of an option under `key` needs.
fn need_each<'a, T: Scalar + 'a>(
    values: impl IntoIterator<Item = &'a T>,
    key: &str,
    r: &mut Requirements,
) {
    for v in values {
        r.need(v.since(), || {
            format!("value {} of option '{key}'", v.describe())
        });
    }
}

/// What a setter accepts for a field whose item type is `T`: the item itself, or a handy
/// stand-in (`&str` for text and enums, an `IpAddr` for `received from`, …).
///
/// A custom trait rather than `Into`, so integer literals still infer (`.tos(184)`).
pub trait IntoItem<T> {
    /// Converts.
    fn into_item(self) -> T;
}

impl<T> IntoItem<T> for T {
    fn into_item(self) -> T {
        self
    }
}

impl IntoItem<String> for &str {
    fn into_item(self) -> String {
        self.to_owned()
    }
}

impl IntoItem<String> for &String {
    fn into_item(self) -> String {
        self.clone()
    }
}

impl IntoItem<IpAddr> for std::net::Ipv4Addr {
    fn into_item(self) -> IpAddr {
        IpAddr::V4(self)
    }
}

impl IntoItem<IpAddr> for std::net::Ipv6Addr {
    fn into_item(self) -> IpAddr {
        IpAddr::V6(self)
    }
}

impl IntoItem<Bytes> for Vec<u8> {
    fn into_item(self) -> Bytes {
        Bytes::from(self)
    }
}

impl IntoItem<Bytes> for &'static [u8] {
    fn into_item(self) -> Bytes {
        Bytes::from_static(self)
    }
}

/// A value rtpengine takes as one string or, since 26.2 (`ICE`, `DTLS`), as a list of several.
///
/// One item goes out as a plain string, which every release reads; several go out as a list,
/// which needs 26.2 (older releases read a list as an empty value). The setter appends.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OneOrList<T>(pub Vec<T>);

impl<T> Default for OneOrList<T> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<T: PartialEq> OneOrList<T> {
    /// The release that reads a list of several values.
    pub const LIST_SINCE: Version = Version::new(26, 2);

    /// True when `v` is one of the values.
    pub fn contains(&self, v: &T) -> bool {
        self.0.contains(v)
    }

    /// The values.
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.0.iter()
    }
}

impl<T: Scalar> OptionValue for OneOrList<T> {
    type Item = T;
    const SHAPE: Shape = Shape::List(T::KIND);
    fn is_set(&self) -> bool {
        !self.0.is_empty()
    }
    fn set(&mut self, item: T) {
        self.0.push(item);
    }
    fn encode(&self, enc: &mut Encoder<'_>) {
        match self.0.as_slice() {
            [one] => one.encode(enc),
            _ => self.0.encode(enc),
        }
    }
    /// A string is one value; a list of several is several. A list of one or none is not what
    /// this type writes, so it stays raw (re-encoded as it came).
    fn decode(v: &Value) -> Option<Self> {
        match v.as_list() {
            Some(items) if items.len() > 1 => Vec::decode(v).map(Self),
            Some(_) => None,
            None => T::decode(v).map(|one| Self(vec![one])),
        }
    }
    fn set_text(&mut self, text: &str) -> Result<(), String> {
        self.0.set_text(text)
    }
    fn need(&self, key: &str, r: &mut Requirements) {
        if self.0.len() > 1 {
            r.need(Self::LIST_SINCE, || {
                format!("several values of option '{key}'")
            });
        }
        need_each(&self.0, key, r);
    }
}
