//! rtpengine release versions and what each option needs, for gating (sans-IO).
//!
//! Upstream backports protocol changes into patch releases of older lines, so "since" is not a
//! single version: [`Since`] holds the mainline release an item arrived in plus the first patch
//! release of each older line that received it.

use std::fmt;
use std::str::FromStr;

/// An rtpengine release: `major.minor.patch.build` (`12.5.1.31`).
///
/// Release lines after 10.5: 11.0–11.5, 12.0–12.5, 13.0–13.5, 14.0–14.1, then 26.0 onwards
/// (there is no 15–25). Patch releases of a line are numbered from `X.Y.1.1`.
///
/// A version with patch and build 0 (`12.5`, from [`Version::new`] or parsing `"12.5"`) means
/// "some release of the 12.5 line, patch unknown": when gating it stands for the line's first
/// release (an option backported in 12.5.1.11 is refused), and a compatibility flag that only
/// some patches need is still sent (see [`Since::may_be_met_by`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    /// Major number.
    pub major: u16,
    /// Minor number.
    pub minor: u16,
    /// Patch number (0: unknown).
    pub patch: u16,
    /// Build number within the patch.
    pub build: u16,
}

impl Version {
    /// Every option and command of 10.5 and older.
    pub const BASE: Self = Self::new(0, 0);
    /// 10.5 (Debian 12's package is 10.5.3.5).
    pub const V10_5: Self = Self::new(10, 5);
    /// The newest release line this crate knows.
    pub const LATEST_KNOWN: Self = Self::new(26, 2);

    /// Every release line from 10.5 to [`Version::LATEST_KNOWN`], oldest first.
    pub const LINES: &'static [Self] = &[
        Self::new(10, 5),
        Self::new(11, 0),
        Self::new(11, 1),
        Self::new(11, 2),
        Self::new(11, 3),
        Self::new(11, 4),
        Self::new(11, 5),
        Self::new(12, 0),
        Self::new(12, 1),
        Self::new(12, 2),
        Self::new(12, 3),
        Self::new(12, 4),
        Self::new(12, 5),
        Self::new(13, 0),
        Self::new(13, 1),
        Self::new(13, 2),
        Self::new(13, 3),
        Self::new(13, 4),
        Self::new(13, 5),
        Self::new(14, 0),
        Self::new(14, 1),
        Self::new(26, 0),
        Self::new(26, 1),
        Self::new(26, 2),
    ];

    /// A release line, `major.minor` (patch unknown).
    pub const fn new(major: u16, minor: u16) -> Self {
        Self::full(major, minor, 0, 0)
    }

    /// One release, `major.minor.patch.build`.
    pub const fn full(major: u16, minor: u16, patch: u16, build: u16) -> Self {
        Self {
            major,
            minor,
            patch,
            build,
        }
    }

    /// The release line (`12.5` of `12.5.1.31`).
    pub const fn line(self) -> Self {
        Self::new(self.major, self.minor)
    }

    /// True when only the line is known (patch and build are 0).
    pub const fn is_line_only(self) -> bool {
        self.patch == 0 && self.build == 0
    }

    /// The newest release this version can stand for: itself, or for a line-only version the
    /// line's last possible patch.
    pub const fn newest_possible(self) -> Self {
        if self.is_line_only() {
            Self::full(self.major, self.minor, u16::MAX, u16::MAX)
        } else {
            self
        }
    }

    /// Parses `10.5`, `12.5.1.31`, `mr10.5.3.5`, `10.5.3.5-1+deb12u1`, `Version: 10.5.3.5`,
    /// `26.0.1.26+0~mr26.0.1.26`, or the SDP session name rtpengine writes
    /// (`rtpengine-10-5-3-5-1-deb12u1`). Up to four numbers are read; what follows them (a
    /// Debian revision) is ignored.
    pub fn parse(text: &str) -> Result<Self, ParseVersionError> {
        let bad = || ParseVersionError {
            text: text.to_owned(),
        };
        let t = text.trim();
        let t = t.strip_prefix("Version:").unwrap_or(t).trim();
        let t = t.strip_prefix("rtpengine-").unwrap_or(t);
        // A software id made from " 12.5.1.31…" starts with a second hyphen.
        let t = t.trim_start_matches(['-', ' ']);
        let t = t.strip_prefix("mr").unwrap_or(t);
        let mut numbers = [0u16; 4];
        let mut parts = t.split(['.', '-', '+', '~']);
        for (i, slot) in numbers.iter_mut().enumerate() {
            match parts.next().map(str::parse::<u16>) {
                Some(Ok(n)) => *slot = n,
                // Major and minor are required; patch and build are optional.
                _ if i < 2 => return Err(bad()),
                _ => break,
            }
        }
        let [major, minor, patch, build] = numbers;
        Ok(Self::full(major, minor, patch, build))
    }
}

impl FromStr for Version {
    type Err = ParseVersionError;
    fn from_str(s: &str) -> Result<Self, ParseVersionError> {
        Self::parse(s)
    }
}

/// A text that is not an rtpengine version ([`Version::parse`]). Its own type rather than the
/// crate's `Error`, so versions sit below errors (an `Error` names the versions it is about);
/// it converts into [`Error::InvalidRequest`](crate::Error::InvalidRequest).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{text}' is not an rtpengine version")]
pub struct ParseVersionError {
    /// The text given.
    pub text: String,
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_line_only() {
            write!(f, "{}.{}", self.major, self.minor)
        } else {
            write!(
                f,
                "{}.{}.{}.{}",
                self.major, self.minor, self.patch, self.build
            )
        }
    }
}

/// Where an option, value or command is available: from a mainline release on (every later
/// line has it), plus backports to older lines from one of their patch releases on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Since {
    /// The release that introduced it for good (`13.0`).
    pub mainline: Version,
    /// First patch releases of older lines that have it too (`12.5.1.11`), oldest first.
    pub backports: &'static [Version],
}

impl Since {
    /// As old as 10.5: every release has it.
    pub const BASE: Self = Self::new(Version::BASE);

    /// Available from `mainline` on, no backports.
    pub const fn new(mainline: Version) -> Self {
        Self {
            mainline,
            backports: &[],
        }
    }

    /// Available from `mainline` on, and in the lines of `backports` from those patches on.
    pub const fn backported(mainline: Version, backports: &'static [Version]) -> Self {
        Self {
            mainline,
            backports,
        }
    }

    /// True when every release has it.
    pub fn is_base(&self) -> bool {
        self.mainline <= Version::BASE && self.backports.is_empty()
    }

    /// Whether release `target` has it. A line-only target (`12.5`) counts as the line's first
    /// release, so a backport to a later patch of that line is not assumed.
    pub fn met_by(&self, target: Version) -> bool {
        target >= self.mainline
            || self
                .backports
                .iter()
                .any(|b| b.line() == target.line() && target >= *b)
    }

    /// Whether some release `target` may stand for has it (a line-only `12.5` may be 12.5.1.46).
    /// For compatibility flags that are harmless where unknown: send them when this is true.
    pub fn may_be_met_by(&self, target: Version) -> bool {
        self.met_by(target.newest_possible())
    }
}

impl fmt::Display for Since {
    /// `13.0`, or `13.0 (12.5.1.11 on the 12.5 line)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.mainline)?;
        if let Some((first, rest)) = self.backports.split_first() {
            write!(f, " (")?;
            for (i, b) in std::iter::once(first).chain(rest).enumerate() {
                let sep = if i == 0 { "" } else { ", " };
                write!(f, "{sep}{b} on the {} line", b.line())?;
            }
            write!(f, ")")?;
        }
        Ok(())
    }
}

/// Equal when `since` is exactly "from this release on" (no backports).
impl PartialEq<Version> for Since {
    fn eq(&self, other: &Version) -> bool {
        self.backports.is_empty() && self.mainline == *other
    }
}

impl From<Version> for Since {
    fn from(v: Version) -> Self {
        Self::new(v)
    }
}

/// Something that needs a newer rtpengine than 10.5: what it is and where it is available.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    /// The releases that have it.
    pub since: Since,
    /// What needs it, e.g. `key 'sdp-attr'` or `flag 'directional'`.
    pub what: String,
}

/// Everything a request needs, each naming the option that needs it.
///
/// Availability is not a single version (backports), so every distinct requirement is kept;
/// [`Requirements::unmet`] names the one a target lacks.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Requirements {
    list: Vec<Requirement>,
}

impl Requirements {
    /// Notes that `what` needs `since` (nothing when every release has it, or when an earlier
    /// entry needs exactly the same releases).
    pub fn need(&mut self, since: impl Into<Since>, what: impl FnOnce() -> String) {
        let since = since.into();
        if !since.is_base() && !self.list.iter().any(|r| r.since == since) {
            self.list.push(Requirement {
                since,
                what: what(),
            });
        }
    }

    /// Both sets.
    pub fn and(mut self, other: Requirements) -> Self {
        for r in other.list {
            let Requirement { since, what } = r;
            self.need(since, || what);
        }
        self
    }

    /// True when every release has what the request needs.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Every requirement, in the order noted.
    pub fn iter(&self) -> impl Iterator<Item = &Requirement> {
        self.list.iter()
    }

    /// The requirement `target` does not meet (the one with the newest mainline when several
    /// are unmet), or `None` when `target` has everything.
    pub fn unmet(&self, target: Version) -> Option<&Requirement> {
        newest_of(self.list.iter().filter(|r| !r.since.met_by(target)))
    }

    /// The requirement with the newest mainline release (the first of equals).
    pub fn newest(&self) -> Option<&Requirement> {
        newest_of(self.list.iter())
    }
}

fn newest_of<'a>(reqs: impl Iterator<Item = &'a Requirement>) -> Option<&'a Requirement> {
    reqs.fold(None, |best: Option<&Requirement>, r| match best {
        Some(b) if b.since.mainline >= r.since.mainline => Some(b),
        _ => Some(r),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_spelling() {
        for (text, want) in [
            ("10.5", Version::V10_5),
            ("10.5.3.5", Version::full(10, 5, 3, 5)),
            ("mr10.5.3.5", Version::full(10, 5, 3, 5)),
            ("10.5.3.5-1+deb12u1", Version::full(10, 5, 3, 5)),
            ("Version: 10.5.3.5-1+deb12u1", Version::full(10, 5, 3, 5)),
            ("rtpengine-10-5-3-5-1-deb12u1", Version::full(10, 5, 3, 5)),
            ("12.5.1.31-1", Version::full(12, 5, 1, 31)),
            ("rtpengine-12-5-1-31-1", Version::full(12, 5, 1, 31)),
            ("26.0.1.26+0~mr26.0.1.26", Version::full(26, 0, 1, 26)),
            (
                "rtpengine-26-0-1-26-0-mr26-0-1-26",
                Version::full(26, 0, 1, 26),
            ),
            ("13.2.1", Version::full(13, 2, 1, 0)),
            (
                "rtpengine--12-5-1-31-0-mr12-5-1-31",
                Version::full(12, 5, 1, 31),
            ),
        ] {
            assert_eq!(Version::parse(text).unwrap(), want, "{text}");
        }
        assert!(Version::parse("ten").is_err());
        assert!(Version::parse("12").is_err());
        assert!(Version::new(12, 4) > Version::new(12, 3));
        assert!(Version::new(26, 0) > Version::new(14, 1));
        assert!(Version::full(12, 5, 1, 31) > Version::full(12, 5, 1, 4));
        assert_eq!(Version::new(13, 2).to_string(), "13.2");
        assert_eq!(Version::full(12, 5, 1, 31).to_string(), "12.5.1.31");
        assert_eq!(Version::full(12, 5, 1, 31).line(), Version::new(12, 5));
        assert!(Version::LINES.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(Version::LINES.last(), Some(&Version::LATEST_KNOWN));
    }

    const TO_TAG: Since = Since::backported(Version::new(13, 0), &[Version::full(12, 5, 1, 11)]);

    #[test]
    fn backports_count_only_in_their_line() {
        assert!(!TO_TAG.met_by(Version::V10_5));
        assert!(!TO_TAG.met_by(Version::full(12, 5, 1, 10)));
        assert!(TO_TAG.met_by(Version::full(12, 5, 1, 11)));
        assert!(TO_TAG.met_by(Version::full(12, 5, 1, 31)));
        // A line-only version is the line's first release when gating...
        assert!(!TO_TAG.met_by(Version::new(12, 5)));
        // ...but may be a later patch.
        assert!(TO_TAG.may_be_met_by(Version::new(12, 5)));
        assert!(!TO_TAG.may_be_met_by(Version::full(12, 5, 1, 10)));
        assert!(!TO_TAG.may_be_met_by(Version::new(12, 4)));
        assert!(TO_TAG.met_by(Version::new(13, 0)));
        assert!(TO_TAG.met_by(Version::full(26, 0, 1, 26)));
        assert_eq!(
            TO_TAG.to_string(),
            "13.0 (12.5.1.11 on the 12.5 line)".to_string()
        );
        assert!(Since::BASE.met_by(Version::BASE));
    }

    #[test]
    fn requirements_name_what_the_target_lacks() {
        let mut r = Requirements::default();
        r.need(Since::BASE, || "old".into());
        assert!(r.is_empty());
        r.need(Version::new(11, 3), || "a".into());
        r.need(Version::new(12, 4), || "b".into());
        r.need(Version::new(12, 0), || "c".into());
        r.need(Version::new(12, 4), || "b again".into());
        assert_eq!(r.newest().unwrap().what, "b");
        assert_eq!(r.unmet(Version::new(11, 5)).unwrap().what, "b");
        assert!(r.unmet(Version::new(12, 4)).is_none());
        let r = r.and({
            let mut o = Requirements::default();
            o.need(TO_TAG, || "to-tag".into());
            o
        });
        // 12.5.1.11 has everything; 12.5.1.10 lacks the backport although its mainline
        // (13.0) is not the newest requirement's.
        assert!(r.unmet(Version::full(12, 5, 1, 11)).is_none());
        assert_eq!(r.unmet(Version::full(12, 5, 1, 10)).unwrap().what, "to-tag");
        assert_eq!(r.iter().count(), 4);
    }
}
