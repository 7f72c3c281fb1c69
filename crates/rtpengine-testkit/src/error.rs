//! Error type of the test kit.

use std::path::PathBuf;

/// Everything that can go wrong while starting a real rtpengine daemon.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TestkitError {
    /// No rtpengine binary could be found. The message explains how to install one.
    #[error(
        "rtpengine binary not found (looked at $RTPENGINE_BIN, PATH, /usr/bin, /usr/sbin). \
         Install it with `sudo apt-get update && sudo apt-get install -y rtpengine-daemon` \
         (or run `scripts/install-deps.sh` from the repository), or set RTPENGINE_BIN to its path."
    )]
    BinaryNotFound,

    /// `$RTPENGINE_RELEASE` names no release the test kit knows.
    #[error(
        "unknown rtpengine release '{value}' in RTPENGINE_RELEASE \
         (expected 10.5 or host, 12.5 or trixie, 26.0 or forky)"
    )]
    UnknownRelease {
        /// The value that was given.
        value: String,
    },

    /// The selected release runs from a chroot that has not been built. The message names the
    /// command that builds it.
    #[error(
        "rtpengine {release} is not installed: {} is missing. Install it with `{install}` \
         (from the repository root, as root; about a minute and 300 MB), \
         or unset RTPENGINE_RELEASE to use the host's rtpengine.",
        binary.display()
    )]
    ReleaseNotInstalled {
        /// The release, e.g. `12.5 (Debian trixie chroot)`.
        release: String,
        /// The daemon binary that was looked for, on the host.
        binary: PathBuf,
        /// The command that installs the release.
        install: String,
    },

    /// The binary exists but the process could not be spawned.
    #[error("failed to spawn rtpengine at {}: {source}", path.display())]
    Spawn {
        /// Path of the binary that was executed.
        path: PathBuf,
        /// The underlying OS error.
        source: std::io::Error,
    },

    /// The daemon was spawned but did not become ready (it exited, or did not
    /// answer an NG `ping` within the startup timeout).
    #[error(
        "rtpengine failed to start: {reason}\n--- last lines of the rtpengine log ---\n{log_tail}"
    )]
    StartupFailed {
        /// What went wrong.
        reason: String,
        /// The last lines (up to 40) of the daemon's stdout/stderr.
        log_tail: String,
    },

    /// No redis-server binary could be found (for [`crate::redis::RedisServer`]). The message
    /// explains how to install one.
    #[error(
        "redis-server binary not found (looked at $REDIS_SERVER_BIN, PATH, /usr/bin, /usr/sbin). \
         Install it with `apt-get install -y redis-server` (as root; or run \
         `scripts/install-deps.sh` from the repository), or set REDIS_SERVER_BIN to its path."
    )]
    RedisNotFound,

    /// redis-server did not start, or a command sent to it failed.
    #[error("redis-server: {reason}")]
    Redis {
        /// What went wrong (with the end of redis-server's log where it helps).
        reason: String,
    },

    /// Any other I/O error (e.g. while choosing ports).
    #[error(transparent)]
    Io(#[from] std::io::Error),
}
