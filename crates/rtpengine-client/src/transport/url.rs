//! Server URLs: `udp://host[:port]` (sans-IO parsing, no name resolution here).

use std::fmt;
use std::str::FromStr;

use crate::error::Error;

/// rtpengine's conventional NG port.
pub const DEFAULT_PORT: u16 = 2223;

/// The transport named by a URL's scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Scheme {
    /// NG over UDP (`udp://`).
    Udp,
}

/// A parsed server URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerUrl {
    /// The transport.
    pub scheme: Scheme,
    /// Host name or address literal (IPv6 without brackets).
    pub host: String,
    /// Port ([`DEFAULT_PORT`] when the URL has none).
    pub port: u16,
}

impl ServerUrl {
    /// Parses `udp://host[:port]`; the host is a name, an IPv4 address or a bracketed IPv6
    /// address (`udp://[::1]:2223`).
    pub fn parse(url: &str) -> Result<Self, Error> {
        let bad = |reason: &str| Error::BadUrl {
            url: url.to_owned(),
            reason: reason.to_owned(),
        };
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| bad("expected scheme://host[:port], e.g. udp://127.0.0.1:2223"))?;
        let scheme = match scheme.to_ascii_lowercase().as_str() {
            "udp" => Scheme::Udp,
            other => {
                return Err(bad(&format!(
                    "unsupported scheme '{other}' (supported: udp)"
                )))
            }
        };
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.contains(['/', '?', '#', '@']) {
            return Err(bad("a path, query, fragment or user part is not allowed"));
        }
        let (host, port) = if let Some(after) = rest.strip_prefix('[') {
            let (host, tail) = after
                .split_once(']')
                .ok_or_else(|| bad("unclosed '[' in IPv6 address"))?;
            if host.parse::<std::net::Ipv6Addr>().is_err() {
                return Err(bad(&format!("'{host}' is not an IPv6 address")));
            }
            let port = match tail {
                "" => None,
                t => Some(
                    t.strip_prefix(':')
                        .ok_or_else(|| bad("expected ':port' after ']'"))?,
                ),
            };
            (host, port)
        } else {
            match rest.rsplit_once(':') {
                Some((h, _)) if h.contains(':') => {
                    return Err(bad("IPv6 addresses must be in brackets: udp://[::1]:2223"))
                }
                Some((h, p)) => (h, Some(p)),
                None => (rest, None),
            }
        };
        if host.is_empty() {
            return Err(bad("missing host"));
        }
        let port = match port {
            None => DEFAULT_PORT,
            Some(p) => match p.parse::<u16>() {
                Ok(0) | Err(_) => return Err(bad(&format!("invalid port '{p}'"))),
                Ok(p) => p,
            },
        };
        Ok(Self {
            scheme,
            host: host.to_owned(),
            port,
        })
    }

    /// `host:port`, with brackets around IPv6 literals (what `ToSocketAddrs` wants).
    pub fn host_port(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

impl FromStr for ServerUrl {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::parse(s)
    }
}

impl fmt::Display for ServerUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = match self.scheme {
            Scheme::Udp => "udp",
        };
        write!(f, "{scheme}://{}", self.host_port())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_urls() {
        let u = ServerUrl::parse("udp://127.0.0.1").unwrap();
        assert_eq!((u.host.as_str(), u.port), ("127.0.0.1", 2223));
        let u = ServerUrl::parse("udp://rtp.example.com:2224").unwrap();
        assert_eq!((u.host.as_str(), u.port), ("rtp.example.com", 2224));
        let u = ServerUrl::parse("UDP://[::1]:9").unwrap();
        assert_eq!((u.host.as_str(), u.port), ("::1", 9));
        assert_eq!(u.host_port(), "[::1]:9");
        assert_eq!(u.to_string(), "udp://[::1]:9");
        let u = ServerUrl::parse("udp://[2001:db8::1]").unwrap();
        assert_eq!(u.port, 2223);
        assert!(ServerUrl::parse("udp://h:1/").is_ok());
    }

    #[test]
    fn bad_urls_say_why() {
        for (url, why) in [
            ("127.0.0.1:2223", "scheme"),
            ("tcp://h:1", "unsupported scheme 'tcp'"),
            ("udp://", "missing host"),
            ("udp://:2223", "missing host"),
            ("udp://h:0", "invalid port"),
            ("udp://h:70000", "invalid port"),
            ("udp://h:x", "invalid port"),
            ("udp://::1", "brackets"),
            ("udp://[::1", "unclosed"),
            ("udp://[nope]:1", "not an IPv6"),
            ("udp://h:1/ng", "path"),
        ] {
            let err = ServerUrl::parse(url).unwrap_err();
            assert!(
                matches!(err, Error::BadUrl { .. }) && err.to_string().contains(why),
                "{url}: {err}"
            );
        }
    }
}
