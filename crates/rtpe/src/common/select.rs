//! The participant selection of the call-control commands (`--from-tag`, `--label`,
//! `--address`, `--all`).

use std::net::IpAddr;

use clap::Args;
use rtpengine_client::Selector;

use super::outcome::{usage, Failure};
use super::raw::RawArgs;

/// Which participants a command acts on (at most one of these; none: the whole call).
#[derive(Debug, Args)]
#[group(id = "party", multiple = false)]
pub(crate) struct SelectArgs {
    /// Select the party with this SIP tag.
    #[arg(long, value_name = "TAG")]
    pub(crate) from_tag: Option<String>,
    /// Select the party with this label.
    #[arg(long, visible_alias = "from-label", value_name = "LABEL")]
    pub(crate) label: Option<String>,
    /// Select the party whose SDP media address is this.
    #[arg(long, value_name = "ADDR")]
    pub(crate) address: Option<IpAddr>,
    /// Select every party (flag 'all').
    #[arg(long)]
    pub(crate) all: bool,
}

impl SelectArgs {
    /// The library's selector.
    pub(crate) fn selector(&self) -> Selector {
        if self.all {
            Selector::All
        } else if let Some(tag) = &self.from_tag {
            Selector::FromTag(tag.clone())
        } else if let Some(label) = &self.label {
            Selector::Label(label.clone())
        } else if let Some(addr) = self.address {
            Selector::Address(addr)
        } else {
            Selector::Call
        }
    }
}

/// Refuses a command that must select someone but selects nobody, before anything is sent
/// (unless a raw key or flag selects someone).
pub(crate) fn need_party(command: &str, selector: &Selector, raw: &RawArgs) -> Result<(), Failure> {
    if *selector == Selector::Call && !raw.selects_party() {
        return Err(usage(format!(
            "{command} needs a participant: --from-tag TAG, --label LABEL, --address ADDR or --all"
        )));
    }
    Ok(())
}
