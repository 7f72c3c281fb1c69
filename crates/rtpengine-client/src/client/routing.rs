//! Which transport a request takes when a client has both a datagram and a stream transport.
//!
//! UDP loses replies larger than a datagram (a big `list`, the statistics of a large call) and
//! fragments large requests, so a client configured with a stream transport for the same node
//! ([`ClientBuilder::stream`]) sends over the stream: every request larger than a threshold, and
//! every command whose reply may be large.

use super::ClientBuilder;

/// The default request size above which the stream transport is used: above ~4 KB a datagram
/// is fragmented on ordinary networks.
pub const DEFAULT_STREAM_THRESHOLD: usize = 4096;

/// Commands whose replies can outgrow a datagram, sent over the stream transport by default.
pub const DEFAULT_STREAM_COMMANDS: &[&str] = &["list", "query", "delete", "statistics"];

#[derive(Debug, Clone)]
pub(crate) struct Routing {
    pub(crate) stream_url: Option<String>,
    pub(crate) threshold: usize,
    pub(crate) commands: Vec<String>,
}

impl Default for Routing {
    fn default() -> Self {
        Self {
            stream_url: None,
            threshold: DEFAULT_STREAM_THRESHOLD,
            commands: DEFAULT_STREAM_COMMANDS
                .iter()
                .map(|c| (*c).to_owned())
                .collect(),
        }
    }
}

impl Routing {
    /// Whether a request takes the stream transport.
    pub(crate) fn use_stream(&self, command: &str, message_len: usize) -> bool {
        message_len > self.threshold || self.commands.iter().any(|c| c == command)
    }
}

impl ClientBuilder {
    /// A stream transport (`tcp://`, `http(s)://`, `ws(s)://`) to the same rtpengine, for what UDP
    /// carries badly: requests larger than [`ClientBuilder::stream_threshold`] and the commands
    /// of [`ClientBuilder::stream_commands`] (by default `list`, `query`, `delete` and
    /// `statistics`, whose replies can outgrow a datagram). Everything else stays on the main
    /// transport.
    pub fn stream(mut self, url: impl Into<String>) -> Self {
        self.routing.stream_url = Some(url.into());
        self
    }

    /// Requests larger than this many bytes take the stream transport (default 4096).
    pub fn stream_threshold(mut self, bytes: usize) -> Self {
        self.routing.threshold = bytes;
        self
    }

    /// The commands that always take the stream transport (replaces the default list).
    pub fn stream_commands<I, S>(mut self, commands: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.routing.commands = commands.into_iter().map(Into::into).collect();
        self
    }
}
