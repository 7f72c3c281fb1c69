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
    /// NG over UDP (`udp://`, default port 2223).
    Udp,
    /// NG over TCP (`tcp://`, default port 2223): no framing, messages end with their dictionary.
    Tcp,
    /// NG over WebSocket (`ws://`, default port 80), subprotocol `ng.rtpengine.com`.
    Ws,
    /// NG over WebSocket with TLS (`wss://`, default port 443).
    Wss,
    /// NG over HTTP `POST /ng` (`http://`, default port 80).
    Http,
    /// NG over HTTPS `POST /ng` (`https://`, default port 443).
    Https,
}

impl Scheme {
    /// The scheme's name in URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Udp => "udp",
            Self::Tcp => "tcp",
            Self::Ws => "ws",
            Self::Wss => "wss",
            Self::Http => "http",
            Self::Https => "https",
        }
    }

    /// The port used when the URL names none.
    pub fn default_port(self) -> u16 {
        match self {
            Self::Udp | Self::Tcp => DEFAULT_PORT,
            Self::Ws | Self::Http => 80,
            Self::Wss | Self::Https => 443,
        }
    }

    /// True for the schemes that run over TLS.
    pub fn is_tls(self) -> bool {
        matches!(self, Self::Wss | Self::Https)
    }

    /// True for the schemes whose URL may carry a path.
    fn takes_path(self) -> bool {
        matches!(self, Self::Ws | Self::Wss | Self::Http | Self::Https)
    }
}

/// A parsed server URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerUrl {
    /// The transport.
    pub scheme: Scheme,
    /// Host name or address literal (IPv6 without brackets).
    pub host: String,
    /// Port (the scheme's default when the URL has none).
    pub port: u16,
    /// The path for HTTP (`/ng` by default) and WebSocket (`/` by default); empty otherwise.
    pub path: String,
}

impl ServerUrl {
    /// Parses `scheme://host[:port][/path]`; the host is a name, an IPv4 address or a bracketed
    /// IPv6 address (`udp://[::1]:2223`). Schemes: `udp`, `tcp`, `ws`, `wss`, `http`, `https`;
    /// only HTTP and WebSocket URLs may have a path.
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
            "tcp" => Scheme::Tcp,
            "ws" => Scheme::Ws,
            "wss" => Scheme::Wss,
            "http" => Scheme::Http,
            "https" => Scheme::Https,
            other => {
                return Err(bad(&format!(
                    "unsupported scheme '{other}' (supported: udp, tcp, ws, wss, http, https)"
                )))
            }
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        let path = if path == "/" && !scheme.takes_path() {
            ""
        } else {
            path
        };
        if !path.is_empty() && !scheme.takes_path() {
            return Err(bad(&format!(
                "a path is not allowed in a {} URL",
                scheme.as_str()
            )));
        }
        if authority.contains(['?', '#', '@']) || path.contains(['?', '#']) {
            return Err(bad("a query, fragment or user part is not allowed"));
        }
        let (host, port) = if let Some(after) = authority.strip_prefix('[') {
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
            match authority.rsplit_once(':') {
                Some((h, _)) if h.contains(':') => {
                    return Err(bad("IPv6 addresses must be in brackets: udp://[::1]:2223"))
                }
                Some((h, p)) => (h, Some(p)),
                None => (authority, None),
            }
        };
        if host.is_empty() {
            return Err(bad("missing host"));
        }
        let port = match port {
            None => scheme.default_port(),
            Some(p) => match p.parse::<u16>() {
                Ok(0) | Err(_) => return Err(bad(&format!("invalid port '{p}'"))),
                Ok(p) => p,
            },
        };
        let path = match (scheme, path) {
            (Scheme::Http | Scheme::Https, "") => "/ng".to_owned(),
            (Scheme::Ws | Scheme::Wss, "") => "/".to_owned(),
            (_, p) => p.to_owned(),
        };
        Ok(Self {
            scheme,
            host: host.to_owned(),
            port,
            path,
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
        write!(
            f,
            "{}://{}{}",
            self.scheme.as_str(),
            self.host_port(),
            self.path
        )
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
        let u = ServerUrl::parse("tcp://h").unwrap();
        assert_eq!((u.scheme, u.port, u.path.as_str()), (Scheme::Tcp, 2223, ""));
        let u = ServerUrl::parse("http://h:8080").unwrap();
        assert_eq!((u.port, u.path.as_str()), (8080, "/ng"));
        assert_eq!(u.to_string(), "http://h:8080/ng");
        let u = ServerUrl::parse("https://h/custom/ng").unwrap();
        assert_eq!((u.port, u.path.as_str()), (443, "/custom/ng"));
        let u = ServerUrl::parse("wss://[::1]").unwrap();
        assert_eq!(
            (u.port, u.path.as_str(), u.scheme.is_tls()),
            (443, "/", true)
        );
    }

    #[test]
    fn bad_urls_say_why() {
        for (url, why) in [
            ("127.0.0.1:2223", "scheme"),
            ("sip://h:1", "unsupported scheme 'sip'"),
            ("udp://", "missing host"),
            ("udp://:2223", "missing host"),
            ("udp://h:0", "invalid port"),
            ("udp://h:70000", "invalid port"),
            ("udp://h:x", "invalid port"),
            ("udp://::1", "brackets"),
            ("udp://[::1", "unclosed"),
            ("udp://[nope]:1", "not an IPv6"),
            ("udp://h:1/ng", "path"),
            ("tcp://h:1/ng", "path"),
            ("http://h:1/ng?x", "query"),
        ] {
            let err = ServerUrl::parse(url).unwrap_err();
            assert!(
                matches!(err, Error::BadUrl { .. }) && err.to_string().contains(why),
                "{url}: {err}"
            );
        }
    }
}
