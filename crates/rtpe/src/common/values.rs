//! Parsers of command values that are not library options (the options parse through the
//! library: `common::options`).

use rtpengine_client::{DtmfDigit, Error};

/// Parses a DTMF event (`--code`, `--digit`).
pub(crate) fn parse_digit(s: &str) -> Result<DtmfDigit, String> {
    s.parse::<DtmfDigit>().map_err(|e| match e {
        Error::InvalidRequest { reason } => reason,
        other => other.to_string(),
    })
}
