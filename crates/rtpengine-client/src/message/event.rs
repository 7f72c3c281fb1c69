//! Unsolicited messages rtpengine pushes to stream clients (sans-IO).
//!
//! With `--dtmf-log-ng-tcp` the daemon sends every TCP NG client a message with a random cookie
//! and a `notify` key instead of `result`, e.g. `{"notify": "onDTMF", "data": {"callid": …,
//! "source_tag": …, "tags": […], "type": "DTMF", "source_ip": …, "timestamp": …, "event": 5,
//! "duration": 100, "volume": 10}}`.

use crate::bencode::{Dict, Value};
use crate::message::reply::strings;

/// An unsolicited message from rtpengine.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct NgEvent {
    /// The `notify` value, e.g. `onDTMF`.
    pub kind: String,
    /// The `data` dictionary (empty when absent).
    pub data: Dict,
    /// The whole message dictionary.
    pub raw: Dict,
}

impl NgEvent {
    /// Reads a message dictionary that has a `notify` key; `None` otherwise.
    pub fn from_dict(raw: Dict) -> Option<Self> {
        let kind = raw.get_string("notify")?;
        let data = raw
            .get("data")
            .and_then(Value::as_dict)
            .cloned()
            .unwrap_or_default();
        Some(Self { kind, data, raw })
    }

    /// The DTMF event this is, if it is one (`onDTMF`).
    pub fn dtmf(&self) -> Option<DtmfEvent> {
        if self.kind != "onDTMF" {
            return None;
        }
        let d = &self.data;
        Some(DtmfEvent {
            call_id: d.get_string("callid").unwrap_or_default(),
            source_tag: d.get_string("source_tag").unwrap_or_default(),
            tags: strings(d.get("tags")),
            event_type: d.get_string("type"),
            source_ip: d.get_string("source_ip"),
            timestamp: d.get_int("timestamp"),
            event: d.get_int("event").and_then(|e| u8::try_from(e).ok())?,
            duration_ms: d.get_int("duration").and_then(|v| u32::try_from(v).ok()),
            volume: d.get_int("volume").and_then(|v| i32::try_from(v).ok()),
        })
    }
}

/// A DTMF event detected by rtpengine.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DtmfEvent {
    /// The call.
    pub call_id: String,
    /// The party that sent the tone.
    pub source_tag: String,
    /// Every tag of the call.
    pub tags: Vec<String>,
    /// `DTMF` (or another event type on newer releases).
    pub event_type: Option<String>,
    /// The address the tone came from.
    pub source_ip: Option<String>,
    /// Unix time of the event.
    pub timestamp: Option<i64>,
    /// The event code: 0–9, 10 = `*`, 11 = `#`, 12–15 = A–D.
    pub event: u8,
    /// How long it lasted, in ms.
    pub duration_ms: Option<u32>,
    /// Its volume (dB below the maximum).
    pub volume: Option<i32>,
}

impl DtmfEvent {
    /// The digit as a character (`0`–`9`, `*`, `#`, `A`–`D`).
    pub fn digit(&self) -> Option<char> {
        match self.event {
            0..=9 => Some(char::from(b'0' + self.event)),
            10 => Some('*'),
            11 => Some('#'),
            12..=15 => Some(char::from(b'A' + self.event - 12)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::parse_message;
    use bytes::Bytes;

    #[test]
    fn dtmf_notification() {
        let msg = Bytes::from_static(
            b"0123456789abcdef d6:notify6:onDTMF4:datad4:tagsl1:A1:Be6:callid8:dtmfcall\
              10:source_tag1:A4:type4:DTMF9:source_ip9:127.0.0.19:timestampi1795689668e\
              5:eventi11e8:durationi100e6:volumei10eee",
        );
        let (_, dict) = parse_message(&msg).unwrap();
        let ev = NgEvent::from_dict(dict).unwrap();
        let dtmf = ev.dtmf().unwrap();
        assert_eq!(dtmf.call_id, "dtmfcall");
        assert_eq!(dtmf.tags, ["A", "B"]);
        assert_eq!(dtmf.digit(), Some('#'));
        assert_eq!(dtmf.duration_ms, Some(100));
        assert!(NgEvent::from_dict(Dict::new()).is_none());
    }
}
