//! Parsers of option values shared by several commands.

use rtpengine_client::{DtmfDigit, Error};

/// Parses a value of one of the library's text enums, refusing values it does not know.
pub(crate) fn known<T>(s: &str, expected: &str, is_other: impl Fn(&T) -> bool) -> Result<T, String>
where
    T: std::str::FromStr<Err = std::convert::Infallible>,
{
    let value = match s.parse::<T>() {
        Ok(v) => v,
        Err(never) => match never {},
    };
    if is_other(&value) {
        Err(format!(
            "unknown value '{s}' (expected one of: {expected}; --key sends any other value)"
        ))
    } else {
        Ok(value)
    }
}

/// Parses a DTMF event (`--code`, `--digit`).
pub(crate) fn parse_digit(s: &str) -> Result<DtmfDigit, String> {
    s.parse::<DtmfDigit>().map_err(|e| match e {
        Error::InvalidRequest { reason } => reason,
        other => other.to_string(),
    })
}
