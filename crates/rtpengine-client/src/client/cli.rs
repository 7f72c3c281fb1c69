//! The operation of [`Client`] for `cli` (13.2), refused with
//! [`Error::Unsupported`](crate::Error::Unsupported) before sending when the client knows its
//! rtpengine is older.

use super::Client;
use crate::error::Result;
use crate::message::commands::cli::{Cli, CliReply};

impl Client {
    /// `cli` (13.2): runs a command of rtpengine's CLI and returns its output.
    pub async fn cli(&self, body: &str) -> Result<CliReply> {
        CliReply::from_dict(self.send(&Cli { body }).await?)
    }
}
