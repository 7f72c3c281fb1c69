//! rtpengine release versions, for gating options and commands (sans-IO).

use std::fmt;
use std::str::FromStr;

use crate::error::Error;

/// An rtpengine release line (`major.minor`; patch levels never change the protocol).
///
/// Releases after 10.5: 11.0–11.5, 12.0–12.5, 13.0–13.5, 14.0–14.1, then 26.0 onwards (there is
/// no 15–25).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    /// Major number.
    pub major: u16,
    /// Minor number.
    pub minor: u16,
}

impl Version {
    /// Every option and command of 10.5 and older.
    pub const BASE: Self = Self::new(0, 0);
    /// 10.5 (Debian 12's package).
    pub const V10_5: Self = Self::new(10, 5);
    /// The newest release line this crate knows.
    pub const LATEST_KNOWN: Self = Self::new(26, 2);

    /// `major.minor`.
    pub const fn new(major: u16, minor: u16) -> Self {
        Self { major, minor }
    }

    /// Parses `10.5`, `10.5.3.5`, `mr10.5.3.5`, `10.5.3.5-1+deb12u1`, `Version: 10.5.3.5`, or
    /// the SDP session name rtpengine writes (`rtpengine-10-5-3-5-1-deb12u1`).
    pub fn parse(text: &str) -> Result<Self, Error> {
        let bad = || Error::InvalidRequest {
            reason: format!("'{text}' is not an rtpengine version"),
        };
        let t = text.trim();
        let t = t.strip_prefix("Version:").unwrap_or(t).trim();
        let t = t.strip_prefix("rtpengine-").unwrap_or(t);
        let t = t.strip_prefix("mr").unwrap_or(t);
        let mut parts = t.split(['.', '-']);
        let major = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        let minor = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        Ok(Self::new(major, minor))
    }
}

impl FromStr for Version {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::parse(s)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// A feature that needs a newer rtpengine than the target: what it is and where it arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    /// The release that introduced it.
    pub since: Version,
    /// What needs it, e.g. `key 'sdp-attr'` or `flag 'directional'`.
    pub what: String,
}

impl Requirement {
    /// Keeps the stricter of two requirements.
    pub fn max(self, other: Option<Self>) -> Self {
        match other {
            Some(o) if o.since > self.since => o,
            _ => self,
        }
    }
}

/// The stricter of two optional requirements.
pub(crate) fn newest(a: Option<Requirement>, b: Option<Requirement>) -> Option<Requirement> {
    match a {
        Some(a) => Some(a.max(b)),
        None => b,
    }
}

/// Collects the newest requirement seen.
#[derive(Debug, Default, Clone)]
pub struct Requirements {
    newest: Option<Requirement>,
}

impl Requirements {
    /// Notes that `what` needs `since`.
    pub fn need(&mut self, since: Version, what: impl FnOnce() -> String) {
        if since > Version::BASE && self.newest.as_ref().is_none_or(|n| since > n.since) {
            self.newest = Some(Requirement {
                since,
                what: what(),
            });
        }
    }

    /// The newest requirement, if any is newer than the baseline.
    pub fn newest(self) -> Option<Requirement> {
        self.newest
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_spelling() {
        for text in [
            "10.5",
            "10.5.3.5",
            "mr10.5.3.5",
            "10.5.3.5-1+deb12u1",
            "Version: 10.5.3.5-1+deb12u1",
            "rtpengine-10-5-3-5-1-deb12u1",
        ] {
            assert_eq!(Version::parse(text).unwrap(), Version::V10_5, "{text}");
        }
        assert!(Version::parse("ten").is_err());
        assert!(Version::new(12, 4) > Version::new(12, 3));
        assert!(Version::new(26, 0) > Version::new(14, 1));
        assert_eq!(Version::new(13, 2).to_string(), "13.2");
    }

    #[test]
    fn requirements_keep_the_newest() {
        let mut r = Requirements::default();
        r.need(Version::BASE, || "old".into());
        assert!(r.clone().newest().is_none());
        r.need(Version::new(11, 3), || "a".into());
        r.need(Version::new(12, 4), || "b".into());
        r.need(Version::new(12, 0), || "c".into());
        assert_eq!(r.newest().unwrap().what, "b");
    }
}
