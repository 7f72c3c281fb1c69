//! Blocking, silencing and forwarding of a call's media and DTMF: `block-dtmf`,
//! `unblock-dtmf`, `block-media`, `unblock-media`, `silence-media`, `unsilence-media`,
//! `start-forwarding`, `stop-forwarding`.

use clap::Args;
use rtpengine_client::{BlockDtmfOptions, DtmfDigit, DtmfSecurity, FlowScope, MediaOptions};

use crate::common::global::block_on;
use crate::common::render::render_ack;
use crate::common::select::SelectArgs;
use crate::common::values::{known, parse_digit};
use crate::common::{Failure, GlobalArgs, Output, RawArgs};

/// Arguments of `block-dtmf` and `unblock-dtmf` (which honours only --delay-buffer and flags).
#[derive(Debug, Args)]
pub(crate) struct BlockDtmfCmd {
    /// The SIP Call-ID.
    #[arg(long, value_name = "ID")]
    pub(crate) call_id: String,
    /// Participant selection.
    #[command(flatten)]
    pub(crate) select: SelectArgs,
    /// What to do with DTMF: drop, silence, tone, random, zero, DTMF, off.
    #[arg(
        long = "DTMF-security",
        visible_alias = "dtmf-security",
        value_name = "MODE",
        value_parser = parse_dtmf_security
    )]
    pub(crate) dtmf_security: Option<DtmfSecurity>,
    /// The mode once --trigger was seen.
    #[arg(
        long = "DTMF-security-trigger",
        visible_alias = "dtmf-security-trigger",
        value_name = "MODE",
        value_parser = parse_dtmf_security
    )]
    pub(crate) dtmf_security_trigger: Option<DtmfSecurity>,
    /// The mode once --trigger-end was seen.
    #[arg(
        long = "DTMF-security-trigger-end",
        visible_alias = "dtmf-security-trigger-end",
        value_name = "MODE",
        value_parser = parse_dtmf_security
    )]
    pub(crate) dtmf_security_trigger_end: Option<DtmfSecurity>,
    /// A DTMF sequence that switches to --DTMF-security-trigger.
    #[arg(long, value_name = "DIGITS")]
    pub(crate) trigger: Option<String>,
    /// A DTMF sequence that switches to --DTMF-security-trigger-end.
    #[arg(long, value_name = "DIGITS")]
    pub(crate) trigger_end: Option<String>,
    /// Milliseconds after the trigger until the end mode applies.
    #[arg(long, value_name = "MS")]
    pub(crate) trigger_end_time: Option<u32>,
    /// Digits after the trigger until the end mode applies.
    #[arg(long, value_name = "N")]
    pub(crate) trigger_end_digits: Option<u32>,
    /// The replacement tone's frequency in Hz (mode tone).
    #[arg(long, value_name = "HZ")]
    pub(crate) frequency: Option<u32>,
    /// Several tone frequencies in Hz, played in turn (repeatable or comma-separated; 11.2).
    #[arg(long, value_name = "HZ", value_delimiter = ',')]
    pub(crate) frequencies: Vec<u32>,
    /// The replacement tone's volume in dB below full scale (0-63).
    #[arg(long, value_name = "DB", allow_negative_numbers = true)]
    pub(crate) volume: Option<i32>,
    /// The replacement digit (mode DTMF): 0-9, *, #, A-D or a code 0-15.
    #[arg(long, value_name = "DIGIT", value_parser = parse_digit)]
    pub(crate) digit: Option<DtmfDigit>,
    /// Delay audio by this many milliseconds, so DTMF can be removed from it.
    #[arg(long, value_name = "MS")]
    pub(crate) delay_buffer: Option<u32>,
    /// Delay DTMF events by this many milliseconds.
    #[arg(long = "DTMF-delay", visible_alias = "dtmf-delay", value_name = "MS")]
    pub(crate) dtmf_delay: Option<u32>,
    /// Raw flags and keys.
    #[command(flatten)]
    pub(crate) raw: RawArgs,
}

impl BlockDtmfCmd {
    /// Builds the library's options.
    fn to_options(&self) -> BlockDtmfOptions {
        let mut o = BlockDtmfOptions::new();
        o.dtmf_security.clone_from(&self.dtmf_security);
        o.dtmf_security_trigger
            .clone_from(&self.dtmf_security_trigger);
        o.dtmf_security_trigger_end
            .clone_from(&self.dtmf_security_trigger_end);
        o.trigger.clone_from(&self.trigger);
        o.trigger_end.clone_from(&self.trigger_end);
        o.trigger_end_time = self.trigger_end_time;
        o.trigger_end_digits = self.trigger_end_digits;
        o.frequency = self.frequency;
        o.frequencies.clone_from(&self.frequencies);
        o.volume = self.volume;
        o.digit = self.digit;
        o.delay_buffer = self.delay_buffer;
        o.dtmf_delay = self.dtmf_delay;
        self.raw.apply(&mut o.raw);
        o
    }
}

/// Arguments of `block-media`, `unblock-media`, `silence-media`, `unsilence-media`,
/// `start-forwarding` and `stop-forwarding`.
#[derive(Debug, Args)]
pub(crate) struct MediaCmd {
    /// The SIP Call-ID.
    #[arg(long, value_name = "ID")]
    pub(crate) call_id: String,
    /// Participant selection.
    #[command(flatten)]
    pub(crate) select: SelectArgs,
    /// Only the selected party's media towards this party (block/silence; 11.1).
    #[arg(long, value_name = "TAG")]
    pub(crate) to_tag: Option<String>,
    /// Only the selected party's media towards the party with this label (block/silence;
    /// 11.1).
    #[arg(long, value_name = "LABEL")]
    pub(crate) to_label: Option<String>,
    /// Which flows of the selected party: all, none, offer-answer, except-offer-answer, flows
    /// (key 'all'; 11.1).
    #[arg(long, value_name = "SCOPE", value_parser = parse_flow_scope)]
    pub(crate) all_scope: Option<FlowScope>,
    /// Free text stored with the call or party (forwarding).
    #[arg(long, value_name = "TEXT")]
    pub(crate) metadata: Option<String>,
    /// Raw flags and keys.
    #[command(flatten)]
    pub(crate) raw: RawArgs,
}

impl MediaCmd {
    /// Builds the library's options.
    fn to_options(&self) -> MediaOptions {
        let mut o = MediaOptions::new();
        o.to_tag.clone_from(&self.to_tag);
        o.to_label.clone_from(&self.to_label);
        o.all.clone_from(&self.all_scope);
        o.metadata.clone_from(&self.metadata);
        self.raw.apply(&mut o.raw);
        o
    }
}

/// The commands that take a selector and [`MediaOptions`].
#[derive(Debug, Clone, Copy)]
pub(crate) enum MediaKind {
    /// `block media`.
    Block,
    /// `unblock media`.
    Unblock,
    /// `silence media`.
    Silence,
    /// `unsilence media`.
    Unsilence,
    /// `start forwarding`.
    StartForwarding,
    /// `stop forwarding`.
    StopForwarding,
}

/// `block-dtmf` (`block` true) or `unblock-dtmf`.
pub(crate) fn dtmf(g: &GlobalArgs, block: bool, c: &BlockDtmfCmd) -> Result<Output, Failure> {
    let selector = c.select.selector();
    let options = c.to_options();
    let call_id = c.call_id.as_str();
    block_on(async {
        let client = g.connect().await?;
        let ack = if block {
            client.block_dtmf(call_id, &selector, &options).await
        } else {
            client.unblock_dtmf(call_id, &selector, &options).await
        }
        .map_err(|e| g.failure(e))?;
        Ok(render_ack(g.json, ack))
    })
}

/// Blocking, silencing or forwarding media.
pub(crate) fn media(g: &GlobalArgs, kind: MediaKind, c: &MediaCmd) -> Result<Output, Failure> {
    let selector = c.select.selector();
    let options = c.to_options();
    block_on(async {
        let client = g.connect().await?;
        let (c, s, o) = (c.call_id.as_str(), &selector, &options);
        let ack = match kind {
            MediaKind::Block => client.block_media(c, s, o).await,
            MediaKind::Unblock => client.unblock_media(c, s, o).await,
            MediaKind::Silence => client.silence_media(c, s, o).await,
            MediaKind::Unsilence => client.unsilence_media(c, s, o).await,
            MediaKind::StartForwarding => client.start_forwarding(c, s, o).await,
            MediaKind::StopForwarding => client.stop_forwarding(c, s, o).await,
        }
        .map_err(|e| g.failure(e))?;
        Ok(render_ack(g.json, ack))
    })
}

/// Parses `--DTMF-security` and its trigger variants.
fn parse_dtmf_security(s: &str) -> Result<DtmfSecurity, String> {
    known(s, "drop, silence, tone, random, zero, DTMF, off", |v| {
        matches!(v, DtmfSecurity::Other(_))
    })
}

/// Parses `--all-scope`.
fn parse_flow_scope(s: &str) -> Result<FlowScope, String> {
    known(
        s,
        "all, none, offer-answer, except-offer-answer, flows",
        |v| matches!(v, FlowScope::Other(_)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use clap::Parser;
    use rtpengine_client::Selector;

    fn parse(args: &[&str]) -> Result<Command, String> {
        let mut argv = vec!["rtpe"];
        argv.extend_from_slice(args);
        Cli::try_parse_from(argv)
            .map(|c| c.command)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn selectors() {
        let Command::BlockMedia(c) = parse(&["block-media", "--call-id=c"]).unwrap() else {
            panic!()
        };
        assert_eq!(c.select.selector(), Selector::Call);
        let Command::BlockMedia(c) =
            parse(&["block-media", "--call-id=c", "--from-label", "x"]).unwrap()
        else {
            panic!()
        };
        assert_eq!(c.select.selector(), Selector::Label("x".into()));
        let Command::BlockMedia(c) =
            parse(&["block media", "--call-id=c", "--address", "192.0.2.1"]).unwrap()
        else {
            panic!()
        };
        assert_eq!(
            c.select.selector(),
            Selector::Address("192.0.2.1".parse().unwrap())
        );
        assert!(parse(&["block-media", "--call-id=c", "--all", "--from-tag=a"]).is_err());
        assert!(parse(&["block-media", "--call-id=c", "--address=x"]).is_err());
        let Command::BlockMedia(c) = parse(&[
            "block-media",
            "--call-id=c",
            "--from-tag=a",
            "--to-tag=b",
            "--all-scope=offer-answer",
        ])
        .unwrap() else {
            panic!()
        };
        let o = c.to_options();
        assert_eq!(o.to_tag.as_deref(), Some("b"));
        assert_eq!(o.all, Some(FlowScope::OfferAnswer));
        assert!(parse(&["block-media", "--call-id=c", "--all-scope=some"]).is_err());
    }

    #[test]
    fn dtmf_options() {
        let Command::BlockDtmf(c) = parse(&[
            "block DTMF",
            "--call-id=c",
            "--DTMF-security=tone",
            "--dtmf-security-trigger=silence",
            "--DTMF-security-trigger-end=drop",
            "--trigger=123",
            "--trigger-end=#",
            "--trigger-end-time=500",
            "--trigger-end-digits=2",
            "--frequency=400",
            "--frequencies=400,500",
            "--frequencies=600",
            "--volume=-10",
            "--digit=#",
            "--delay-buffer=100",
            "--DTMF-delay=50",
        ])
        .unwrap() else {
            panic!()
        };
        let o = c.to_options();
        assert_eq!(o.dtmf_security, Some(DtmfSecurity::Tone));
        assert_eq!(o.dtmf_security_trigger, Some(DtmfSecurity::Silence));
        assert_eq!(o.dtmf_security_trigger_end, Some(DtmfSecurity::Drop));
        assert_eq!(o.frequencies, [400, 500, 600]);
        assert_eq!(o.volume, Some(-10));
        assert_eq!(o.digit.map(DtmfDigit::code), Some(11));
        assert_eq!((o.delay_buffer, o.dtmf_delay), (Some(100), Some(50)));
        assert!(parse(&["block-dtmf", "--call-id=c", "--DTMF-security=loud"]).is_err());
    }
}
