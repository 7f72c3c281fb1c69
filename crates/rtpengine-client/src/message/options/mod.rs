//! Typed options, each with a raw escape hatch, and the machinery they share.
//!
//! Every options type is declared with one macro: a field per key (with the rtpengine release
//! that introduced it), a setter per field, `raw_key`/`raw_flag` for what is not typed,
//! `encode_keys` (writes straight into the request buffer), `from_dict` (reads a request
//! dictionary back, keeping what it does not know as raw) and `requirements` (the releases the set
//! options need). Key spellings are those rtpengine 10.5 understands.

#[macro_use]
mod macros;
mod call;
mod catalogue;
mod enums;
mod flags;
mod sdp;
mod value;

pub use call::{DeleteOptions, QueryOptions};
pub use catalogue::{Kind, OptionSpec, Shape, ValueSpec};
pub use enums::{
    AddressFamily, AliasKey, AudioPlayer, Bundle, Direction, DropTraffic, Dtls, DtlsFingerprint,
    DtlsReverse, EndpointLearning, Ice, IceLite, MediaEcho, MediaType, OnOff, Osrtp, ReceivedFrom,
    RecordCall, Replace, RtcpMux, Sdes, Supports, TransportProtocol, T38,
};
pub use flags::Flag;
pub use sdp::{
    AnswerOptions, CodecOptions, Extmap, Moh, MohMode, OfferOptions, SdpAttr, SdpAttrSection,
    Substitution,
};
pub use value::{IntoItem, OneOrList, OptionValue, Scalar};

use crate::bencode::{Encoder, Value};

/// Raw keys and flags shared by every options type.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Raw {
    /// Extra dictionary entries, written after the typed ones; they replace typed keys of the
    /// same name.
    pub keys: Vec<(String, Value)>,
    /// Extra entries of the `flags` list.
    pub flags: Vec<String>,
}

impl Raw {
    /// True when a raw entry has this key.
    pub fn has(&self, key: &str) -> bool {
        self.keys.iter().any(|(k, _)| k == key)
    }

    /// Sets a raw entry, replacing one with the same key.
    pub fn set(&mut self, key: String, value: Value) {
        match self.keys.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.keys.push((key, value)),
        }
    }
}

/// Writes typed entries unless a raw key overrides them, merges raw flags into `flags`, then
/// writes the raw entries.
pub(crate) struct KeyWriter<'e, 'b, 'r> {
    enc: &'e mut Encoder<'b>,
    raw: &'r Raw,
    flags_written: bool,
}

impl<'e, 'b, 'r> KeyWriter<'e, 'b, 'r> {
    /// A writer over `enc` with these raw overrides.
    pub(crate) fn new(enc: &'e mut Encoder<'b>, raw: &'r Raw) -> Self {
        Self {
            enc,
            raw,
            flags_written: false,
        }
    }

    /// Writes one typed field if it is set and not overridden.
    pub(crate) fn field<V: OptionValue>(&mut self, key: &str, value: &V) {
        if self.raw.has(key) {
            return;
        }
        if key == "flags" {
            if !value.is_set() && self.raw.flags.is_empty() {
                return;
            }
            self.enc.str("flags").list();
            value.encode_items(self.enc);
            for f in &self.raw.flags {
                self.enc.str(f);
            }
            self.enc.end();
            self.flags_written = true;
        } else if value.is_set() {
            self.enc.str(key);
            value.encode(self.enc);
        }
    }

    /// Writes raw flags (when no typed `flags` field took them) and raw keys.
    pub(crate) fn finish(self) {
        if !self.flags_written && !self.raw.flags.is_empty() && !self.raw.has("flags") {
            self.enc.str("flags").list();
            for f in &self.raw.flags {
                self.enc.str(f);
            }
            self.enc.end();
        }
        for (k, v) in &self.raw.keys {
            self.enc.str(k).value(v);
        }
    }
}
