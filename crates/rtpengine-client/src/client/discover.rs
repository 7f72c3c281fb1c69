//! Learning the daemon's version: [`Client::discover_version`].

use tracing::debug;

use super::Client;
use crate::api::NgCommands;
use crate::bencode::Encoder;
use crate::error::{Error, Result};
use crate::message::commands::cli::{Cli, CliReply};
use crate::message::commands::pubsub::Publish;
use crate::message::options::{DeleteOptions, OfferOptions};
use crate::message::request::Delete;
use crate::message::request::Request;
use crate::version::{Requirements, Version};

/// Sends a request whatever the version gate says (discovery must ask newer commands).
struct Ungated<'a, R: ?Sized>(&'a R);

impl<R: Request + ?Sized> Request for Ungated<'_, R> {
    fn command(&self) -> &str {
        self.0.command()
    }
    fn call_id(&self) -> Option<&str> {
        self.0.call_id()
    }
    fn encode_keys(&self, enc: &mut Encoder<'_>, target: Option<Version>) {
        self.0.encode_keys(enc, target);
    }
    fn requirements(&self) -> Requirements {
        Requirements::default()
    }
    fn validate(&self) -> Result<()> {
        self.0.validate()
    }
}

/// The release `cli` arrived in: a daemon that knows it is at least this new.
const CLI_SINCE: Version = Version::new(13, 2);

/// A version named in CLI output, with its line: the text after the word `version` on some
/// line (`Version: 13.2.1.0`, `rtpengine version 13.2.1.0`).
fn version_in_text(text: &str) -> Option<(Version, String)> {
    text.lines().find_map(|line| {
        let lower = line.to_ascii_lowercase();
        let at = lower.rfind("version")?;
        let rest = line.get(at + "version".len()..)?;
        let rest = rest.trim_start_matches(|c: char| c == ':' || c.is_whitespace());
        let v = Version::parse(rest).ok()?;
        Some((v, line.trim().to_owned()))
    })
}

/// The `s=` line of an SDP.
fn session_name(sdp: &str) -> Option<&str> {
    sdp.lines()
        .map(|l| l.trim_end_matches('\r'))
        .find_map(|l| l.strip_prefix("s="))
}

/// How [`Client::discover_version_detail`] learned the daemon's version.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum VersionSource {
    /// The output of the `cli` command (13.2+) named it.
    Cli {
        /// The line that named the version.
        line: String,
    },
    /// The `s=` line rtpengine wrote into the SDP of a throw-away `publish` (its default
    /// software id, `rtpengine-` and the version with every other character a hyphen).
    SessionName {
        /// The session name, e.g. `rtpengine-12-5-1-31-1`.
        name: String,
    },
}

impl std::fmt::Display for VersionSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Cli { line } => write!(f, "the 'cli' output line '{line}'"),
            Self::SessionName { name } => {
                write!(f, "the SDP session name 's={name}' of a publish probe")
            }
        }
    }
}

/// A discovered version and how it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Discovery {
    /// The daemon's version, to the patch level where the daemon reveals it.
    pub version: Version,
    /// Where it came from.
    pub source: VersionSource,
}

impl Client {
    /// Asks the daemon which release it is, records it with
    /// [`Client::set_rtpengine_version`] (so later requests are checked against it) and returns
    /// it.
    ///
    /// 1. `cli` with body `version`. A daemon older than 13.2 answers `Unrecognized command`
    ///    (10.5 does); a newer one runs its CLI, and if the output names a version, that is the
    ///    answer. (rtpengine's CLI has no `version` command so far: it answers
    ///    `Unknown command: version`, which only shows the daemon is 13.2 or newer.)
    /// 2. Otherwise a `publish` of a one-line sendonly audio SDP (no media is ever sent) under
    ///    a random call-id: rtpengine writes its software id into the `s=` line of the SDP it
    ///    generates (10.5: `s=rtpengine-10-5-3-5-1-deb12u1`). The probe call is then deleted
    ///    with `delete delay` 0, so no call is left behind; the daemon's statistics do count
    ///    the probe (a `publish`, a `delete`, a managed session, and on 10.5 one error for
    ///    `cli`).
    ///
    /// Fails with [`Error::MalformedReply`] when neither names a version (a daemon started
    /// with a custom `--software-id`); set the version with
    /// [`ClientBuilder::rtpengine_version`](crate::ClientBuilder::rtpengine_version) then. If a
    /// version was already recorded, it stays in force (the first one wins) and the discovered
    /// one is still returned.
    pub async fn discover_version(&self) -> Result<Version> {
        Ok(self.discover_version_detail().await?.version)
    }

    /// [`Client::discover_version`], also saying how the version was found.
    pub async fn discover_version_detail(&self) -> Result<Discovery> {
        let floor = match self.send(&Ungated(&Cli { body: "version" })).await {
            Ok(reply) => {
                let named = CliReply::from_dict(reply)
                    .ok()
                    .and_then(|r| version_in_text(&r.response));
                if let Some((version, line)) = named {
                    return Ok(self.record_discovered(Discovery {
                        version,
                        source: VersionSource::Cli { line },
                    }));
                }
                Some(CLI_SINCE)
            }
            Err(Error::Rtpengine { reason })
                if reason.eq_ignore_ascii_case("Unrecognized command") =>
            {
                None
            }
            // `cli` exists but refused the body: still 13.2 or newer.
            Err(Error::Rtpengine { .. }) => Some(CLI_SINCE),
            Err(e) => return Err(e),
        };
        let name = self.probe_session_name().await?;
        let v = name
            .strip_prefix("rtpengine-")
            .and_then(|rest| Version::parse(rest).ok())
            .ok_or_else(|| {
                Error::malformed(format!(
                    "rtpengine's SDP session name 's={name}' names no version (a custom \
                     --software-id?); tell the client the version with \
                     ClientBuilder::rtpengine_version"
                ))
            })?;
        if let Some(floor) = floor.filter(|f| v < *f) {
            return Err(Error::malformed(format!(
                "rtpengine's SDP session name says {v}, but it knows the 'cli' command of \
                 {floor}+ (a custom --software-id?)"
            )));
        }
        Ok(self.record_discovered(Discovery {
            version: v,
            source: VersionSource::SessionName { name },
        }))
    }

    fn record_discovered(&self, found: Discovery) -> Discovery {
        let in_force = self.set_rtpengine_version(found.version);
        debug!(version = %found.version, %in_force, source = %found.source, "rtpengine version discovered");
        found
    }

    /// Publishes a throw-away sendonly stream, deletes it, and returns the `s=` line of the
    /// SDP rtpengine generated.
    async fn probe_session_name(&self) -> Result<String> {
        let call_id = format!("rtpengine-client-version-probe-{:016x}", fastrand::u64(..));
        let (family, addr) = if self.server_addr().is_ipv6() {
            ("IP6", "2001:db8::1")
        } else {
            ("IP4", "192.0.2.1")
        };
        let sdp = format!(
            "v=0\r\no=- 1 1 IN {family} {addr}\r\ns=-\r\nc=IN {family} {addr}\r\nt=0 0\r\n\
             m=audio 9 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendonly\r\n"
        );
        let options = OfferOptions::new();
        let published = self
            .send(&Ungated(&Publish {
                sdp: sdp.as_bytes(),
                call_id: &call_id,
                from_tag: "probe",
                options: &options,
            }))
            .await;
        // Delete even after an error: the call may exist anyway.
        let delete_options = DeleteOptions::new().delete_delay(0);
        let deleted = self
            .send(&Ungated(&Delete {
                call_id: &call_id,
                from_tag: "",
                options: &delete_options,
            }))
            .await;
        let reply = published?;
        deleted?;
        let sdp = reply
            .get("sdp")
            .and_then(|v| v.as_bytes())
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .ok_or_else(|| Error::malformed("publish reply has no 'sdp' string"))?;
        session_name(&sdp)
            .map(str::to_owned)
            .ok_or_else(|| Error::malformed("the SDP rtpengine generated has no 's=' line"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_in_cli_text() {
        assert_eq!(
            version_in_text("Version: 13.2.1.4\n").map(|(v, _)| v),
            Some(Version::full(13, 2, 1, 4))
        );
        assert_eq!(
            version_in_text("uptime 5\nrtpengine version mr14.1.2.3\n"),
            Some((
                Version::full(14, 1, 2, 3),
                "rtpengine version mr14.1.2.3".to_owned()
            ))
        );
        assert_eq!(version_in_text("Unknown command: version\n"), None);
        assert_eq!(version_in_text(""), None);
        assert_eq!(
            session_name("v=0\r\ns=rtpengine-10-5-3-5-1-deb12u1\r\n"),
            Some("rtpengine-10-5-3-5-1-deb12u1")
        );
    }
}
