//! What a command ends with: its output, or a failure and its exit status.

use rtpengine_client::Error;

/// Exit status when rtpengine answered an error.
pub(crate) const EXIT_RTPENGINE: u8 = 1;
/// Exit status of a usage error (also clap's).
pub(crate) const EXIT_USAGE: u8 = 2;
/// Exit status when no reply arrived within the deadline.
pub(crate) const EXIT_TIMEOUT: u8 = 3;
/// Exit status of any other failure.
pub(crate) const EXIT_OTHER: u8 = 4;

/// What a successful command prints.
#[derive(Debug, Default)]
pub(crate) struct Output {
    /// Bytes for stdout.
    pub(crate) stdout: Vec<u8>,
    /// Warnings for stderr (without the `warning: ` prefix).
    pub(crate) warnings: Vec<String>,
    /// Other reply fields for stderr, printed as they are (`to-tag: …`).
    pub(crate) notes: Vec<String>,
}

/// A failed command: its exit status and its message for stderr (without `error: `).
#[derive(Debug)]
pub(crate) struct Failure {
    /// The exit status.
    pub(crate) code: u8,
    /// The message.
    pub(crate) message: String,
    /// What is printed on stdout all the same (the reply to a raw `request`).
    pub(crate) stdout: Vec<u8>,
    /// Warnings for stderr (without the `warning: ` prefix).
    pub(crate) warnings: Vec<String>,
}

impl Failure {
    /// A failure with this exit status.
    pub(crate) fn new(code: u8, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            stdout: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// Classifies a library error; `timeout_ms` is the user's deadline.
    pub(crate) fn from_client(err: Error, timeout_ms: u64) -> Self {
        match err {
            Error::Rtpengine { reason } => {
                Self::new(EXIT_RTPENGINE, format!("rtpengine: {reason}"))
            }
            Error::LoadLimit { message } => {
                Self::new(EXIT_RTPENGINE, format!("rtpengine: load limit: {message}"))
            }
            Error::Timeout {
                server,
                command,
                attempts,
                ..
            } => {
                let times = if attempts == 1 { "time" } else { "times" };
                Self::new(
                    EXIT_TIMEOUT,
                    format!(
                        "timed out: no reply from rtpengine at {server} within {timeout_ms} ms \
                     ('{command}' sent {attempts} {times})"
                    ),
                )
            }
            // The library's message, naming rtpe's switch instead of the builder setting.
            Error::Unsupported {
                what,
                since,
                target,
            } => Self::new(
                EXIT_USAGE,
                format!(
                    "{what} needs rtpengine {since} or newer; the target is {target} \
                     (--no-version-check sends it anyway)"
                ),
            ),
            err @ (Error::BadUrl { .. } | Error::InvalidRequest { .. }) => {
                Self::new(EXIT_USAGE, err.to_string())
            }
            err => Self::new(EXIT_OTHER, err.to_string()),
        }
    }
}

/// A usage error (exit 2).
pub(crate) fn usage(message: impl Into<String>) -> Failure {
    Failure::new(EXIT_USAGE, message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn errors_map_to_exit_codes() {
        let code = |e| Failure::from_client(e, 300).code;
        assert_eq!(
            code(Error::Rtpengine { reason: "x".into() }),
            EXIT_RTPENGINE
        );
        assert_eq!(
            code(Error::LoadLimit {
                message: "x".into()
            }),
            EXIT_RTPENGINE
        );
        let timeout = Failure::from_client(
            Error::Timeout {
                server: "127.0.0.1:9".into(),
                command: "ping".into(),
                attempts: 2,
                deadline: Duration::from_millis(300),
            },
            300,
        );
        assert_eq!(timeout.code, EXIT_TIMEOUT);
        assert!(timeout
            .message
            .starts_with("timed out: no reply from rtpengine at 127.0.0.1:9 within 300 ms"));
        assert_eq!(
            code(Error::BadUrl {
                url: "x".into(),
                reason: "y".into()
            }),
            EXIT_USAGE
        );
        let unsupported = Failure::from_client(
            Error::Unsupported {
                what: "option 'sdp-attr'".into(),
                since: rtpengine_client::Version::new(11, 3).into(),
                target: rtpengine_client::Version::V10_5,
            },
            300,
        );
        assert_eq!(unsupported.code, EXIT_USAGE);
        assert_eq!(
            unsupported.message,
            "option 'sdp-attr' needs rtpengine 11.3 or newer; the target is 10.5 \
             (--no-version-check sends it anyway)"
        );
        assert_eq!(
            code(Error::InvalidRequest { reason: "x".into() }),
            EXIT_USAGE
        );
        assert_eq!(
            code(Error::MalformedReply { reason: "x".into() }),
            EXIT_OTHER
        );
        assert_eq!(
            code(Error::RequestTooLarge { reason: "x".into() }),
            EXIT_OTHER
        );
    }
}
