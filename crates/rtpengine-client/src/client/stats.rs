//! `statistics` on [`Client`].

use super::Client;
use crate::error::Result;
use crate::message::statistics::{Statistics, StatisticsRequest};

impl Client {
    /// `statistics`: the daemon's counters (sessions, rates, ports, per-command counts…), as a
    /// loosely typed tree with typed accessors returning `None` for figures the daemon did not
    /// send.
    pub async fn statistics(&self) -> Result<Statistics> {
        Ok(Statistics::from_dict(self.send(&StatisticsRequest).await?))
    }
}
