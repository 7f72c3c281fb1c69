//! Reading what a command sends: files or standard input (`-`), and SDP bodies.

use std::io::{self, Read};
use std::path::{Path, PathBuf};

use clap::Args;

use super::outcome::{Failure, EXIT_OTHER, EXIT_USAGE};

/// A file's contents, or standard input's for `-`.
pub(crate) fn read_input(path: &Path) -> io::Result<Vec<u8>> {
    if path == Path::new("-") {
        let mut buf = Vec::new();
        io::stdin().lock().read_to_end(&mut buf)?;
        Ok(buf)
    } else {
        std::fs::read(path)
    }
}

/// `'path'`, or `standard input` for `-`.
pub(crate) fn describe(path: &Path) -> String {
    if path == Path::new("-") {
        "standard input".to_owned()
    } else {
        format!("'{}'", path.display())
    }
}

/// Where the SDP body of `offer`/`answer` comes from (exactly one is required).
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub(crate) struct SdpSource {
    /// The SDP body as text.
    #[arg(long, value_name = "TEXT")]
    pub(crate) sdp: Option<String>,
    /// Read the SDP body from a file (`-`: standard input).
    #[arg(long, value_name = "PATH")]
    pub(crate) sdp_file: Option<PathBuf>,
}

/// The SDP body from `--sdp` or `--sdp-file` (`-`: stdin), ending with a line break.
pub(crate) fn read_sdp(source: &SdpSource) -> Result<Vec<u8>, Failure> {
    read_sdp_raw(source).map(terminate_last_line)
}

/// Ends the last line of a non-empty SDP with a line break, as rtpengine needs (without one, it
/// glues its own attributes to that line, e.g. `--sdp "$(cat offer.sdp)"`). Uses CRLF unless the
/// SDP uses bare LF.
fn terminate_last_line(mut sdp: Vec<u8>) -> Vec<u8> {
    match sdp.last() {
        None | Some(b'\n') => {}
        Some(b'\r') => sdp.push(b'\n'),
        Some(_) => {
            let bare_lf = sdp.contains(&b'\n') && !sdp.windows(2).any(|w| w == b"\r\n");
            if bare_lf {
                sdp.push(b'\n');
            } else {
                sdp.extend_from_slice(b"\r\n");
            }
        }
    }
    sdp
}

/// The SDP body exactly as given.
fn read_sdp_raw(source: &SdpSource) -> Result<Vec<u8>, Failure> {
    match (&source.sdp, &source.sdp_file) {
        (Some(text), _) => Ok(text.clone().into_bytes()),
        (None, Some(path)) => read_input(path).map_err(|e| {
            Failure::new(
                EXIT_OTHER,
                format!("cannot read SDP from {}: {e}", describe(path)),
            )
        }),
        // clap's argument group requires one of the two.
        (None, None) => Err(Failure::new(
            EXIT_USAGE,
            "an SDP is required: --sdp TEXT or --sdp-file PATH",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_line_is_terminated() {
        let t = |s: &str| String::from_utf8(terminate_last_line(s.as_bytes().to_vec())).unwrap();
        assert_eq!(t(""), "");
        assert_eq!(
            t("v=0\r\nm=audio 1 RTP/AVP 0\r\n"),
            "v=0\r\nm=audio 1 RTP/AVP 0\r\n"
        );
        assert_eq!(
            t("v=0\r\nm=audio 1 RTP/AVP 0"),
            "v=0\r\nm=audio 1 RTP/AVP 0\r\n"
        );
        assert_eq!(
            t("v=0\r\nm=audio 1 RTP/AVP 0\r"),
            "v=0\r\nm=audio 1 RTP/AVP 0\r\n"
        );
        assert_eq!(t("v=0\nm=audio 1 RTP/AVP 0"), "v=0\nm=audio 1 RTP/AVP 0\n");
        assert_eq!(t("v=0"), "v=0\r\n");
    }
}
