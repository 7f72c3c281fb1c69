//! Which rtpengine release the test daemons run.
//!
//! The host's own rtpengine (10.5 on Debian 12) is the default. Newer releases run from minimal
//! Debian chroots built by `scripts/install-rtpengine-release.sh`:
//!
//! | `RTPENGINE_RELEASE`       | [`Release`]          | daemon                                   |
//! |---------------------------|----------------------|------------------------------------------|
//! | unset, `10.5`, `host`     | [`Release::Host`]    | the host's binary (`RTPENGINE_BIN`, `PATH`) |
//! | `12.5`, `trixie`          | [`Release::Trixie`]  | `chroot DIR/trixie /usr/bin/rtpengine`   |
//! | `26.0`, `forky`           | [`Release::Forky`]   | `chroot DIR/forky /usr/bin/rtpengine`    |
//!
//! `DIR` is `$RTPENGINE_RELEASES_DIR`, by default [`DEFAULT_RELEASES_DIR`].

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use crate::error::TestkitError;

/// Environment variable selecting the release test daemons run (see [`Release::from_env`]).
pub const RTPENGINE_RELEASE_ENV: &str = "RTPENGINE_RELEASE";

/// Environment variable overriding the directory that holds the release chroots.
pub const RTPENGINE_RELEASES_DIR_ENV: &str = "RTPENGINE_RELEASES_DIR";

/// Where `scripts/install-rtpengine-release.sh` puts the release chroots unless
/// `$RTPENGINE_RELEASES_DIR` says otherwise (one subdirectory per Debian suite).
pub const DEFAULT_RELEASES_DIR: &str = "/var/cache/rtpengine-releases";

/// Path of the daemon binary inside a release chroot.
pub const CHROOT_BINARY: &str = "/usr/bin/rtpengine";

/// An rtpengine release the test kit can start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Release {
    /// The host's installed rtpengine (10.5 on Debian 12), found through `$RTPENGINE_BIN`,
    /// `PATH`, `/usr/bin` or `/usr/sbin`.
    #[default]
    Host,
    /// rtpengine 12.5 from Debian 13 (trixie), run in a chroot.
    Trixie,
    /// rtpengine 26.0 from Debian testing (forky), run in a chroot. Testing moves: the exact
    /// version is whatever the chroot was built with.
    Forky,
}

impl Release {
    /// Every release, oldest first.
    pub const ALL: [Release; 3] = [Release::Host, Release::Trixie, Release::Forky];

    /// The release selected by `$RTPENGINE_RELEASE`; [`Release::Host`] when it is unset or
    /// empty. An unknown value is an error, never a silent fallback.
    pub fn from_env() -> Result<Release, TestkitError> {
        match std::env::var(RTPENGINE_RELEASE_ENV) {
            Ok(v) if !v.trim().is_empty() => v.parse(),
            Ok(_) | Err(std::env::VarError::NotPresent) => Ok(Release::Host),
            Err(std::env::VarError::NotUnicode(v)) => Err(TestkitError::UnknownRelease {
                value: v.to_string_lossy().into_owned(),
            }),
        }
    }

    /// The release line this selector stands for: `"10.5"` (the Debian 12 host's package),
    /// `"12.5"` or `"26.0"`.
    pub fn line(self) -> &'static str {
        match self {
            Release::Host => "10.5",
            Release::Trixie => "12.5",
            Release::Forky => "26.0",
        }
    }

    /// The Debian suite of the release's chroot; `None` for the host's release.
    pub fn suite(self) -> Option<&'static str> {
        match self {
            Release::Host => None,
            Release::Trixie => Some("trixie"),
            Release::Forky => Some("forky"),
        }
    }

    /// Root directory of the release's chroot (`$RTPENGINE_RELEASES_DIR/SUITE`); `None` for the
    /// host's release.
    pub fn root(self) -> Option<PathBuf> {
        self.suite().map(|suite| releases_dir().join(suite))
    }

    /// Whether the release can be started: the chroot holds the daemon binary (always true for
    /// the host's release; whether a host binary exists is checked at start).
    pub fn is_installed(self) -> bool {
        match self.root() {
            None => true,
            Some(root) => crate::daemon::is_executable_file(&root.join(&CHROOT_BINARY[1..])),
        }
    }

    /// The command that installs the release's chroot, run from the repository root, e.g.
    /// `scripts/install-rtpengine-release.sh trixie`; `None` for the host's release.
    pub fn install_command(self) -> Option<String> {
        let suite = self.suite()?;
        let dir = std::env::var_os(RTPENGINE_RELEASES_DIR_ENV).filter(|v| !v.is_empty());
        Some(match dir {
            Some(dir) => format!(
                "{RTPENGINE_RELEASES_DIR_ENV}={} scripts/install-rtpengine-release.sh {suite}",
                dir.to_string_lossy()
            ),
            None => format!("scripts/install-rtpengine-release.sh {suite}"),
        })
    }
}

impl fmt::Display for Release {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.suite() {
            None => write!(f, "{} (host)", self.line()),
            Some(suite) => write!(f, "{} (Debian {suite} chroot)", self.line()),
        }
    }
}

impl FromStr for Release {
    type Err = TestkitError;

    /// Accepts a release line (`10.5`, `12.5`, `26.0`), a Debian suite (`bookworm`, `trixie`,
    /// `forky`) or `host`, case-insensitively.
    fn from_str(s: &str) -> Result<Release, TestkitError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "10.5" | "10" | "host" | "bookworm" => Ok(Release::Host),
            "12.5" | "12" | "trixie" => Ok(Release::Trixie),
            "26.0" | "26" | "forky" => Ok(Release::Forky),
            _ => Err(TestkitError::UnknownRelease {
                value: s.to_owned(),
            }),
        }
    }
}

/// The directory holding the release chroots: `$RTPENGINE_RELEASES_DIR` if set and non-empty,
/// else [`DEFAULT_RELEASES_DIR`].
pub fn releases_dir() -> PathBuf {
    std::env::var_os(RTPENGINE_RELEASES_DIR_ENV)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_RELEASES_DIR))
}

/// Parses the first dotted number in an rtpengine version text into
/// `(major, minor, patch, build)`; missing parts are 0.
///
/// ```
/// use rtpengine_testkit::release::parse_version;
/// assert_eq!(parse_version("Version: 10.5.3.5-1+deb12u1"), Some((10, 5, 3, 5)));
/// assert_eq!(parse_version("Version: 26.0.1.26+0~mr26.0.1.26"), Some((26, 0, 1, 26)));
/// assert_eq!(parse_version("12.5"), Some((12, 5, 0, 0)));
/// assert_eq!(parse_version("unknown"), None);
/// ```
pub fn parse_version(text: &str) -> Option<(u16, u16, u16, u16)> {
    let start = text.find(|c: char| c.is_ascii_digit())?;
    let token: &str = text[start..]
        .split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .next()?;
    let mut parts = token.split('.').filter(|p| !p.is_empty());
    let mut next = || -> Option<u16> { parts.next().map(str::parse).transpose().ok().flatten() };
    let major = next()?;
    let minor = next()?;
    Some((major, minor, next().unwrap_or(0), next().unwrap_or(0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_and_lines() {
        for (s, r) in [
            ("10.5", Release::Host),
            ("host", Release::Host),
            ("12.5", Release::Trixie),
            ("Trixie", Release::Trixie),
            ("26.0", Release::Forky),
            (" forky ", Release::Forky),
        ] {
            assert_eq!(s.parse::<Release>().unwrap(), r, "{s}");
        }
        let err = "13.4".parse::<Release>().unwrap_err().to_string();
        assert!(err.contains("13.4") && err.contains("26.0"), "{err}");
    }

    #[test]
    fn parses_versions() {
        assert_eq!(parse_version("Version: 12.5.1.31-1"), Some((12, 5, 1, 31)));
        assert_eq!(parse_version("10.5.3"), Some((10, 5, 3, 0)));
        assert_eq!(parse_version("Version: 10"), None);
        assert_eq!(parse_version(""), None);
    }

    #[test]
    fn install_command_names_the_suite() {
        assert_eq!(Release::Host.install_command(), None);
        let cmd = Release::Trixie.install_command().unwrap();
        assert!(
            cmd.ends_with("scripts/install-rtpengine-release.sh trixie"),
            "{cmd}"
        );
    }
}
