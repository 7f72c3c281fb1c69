//! Blocking, silencing and forwarding of a call's media and DTMF: `block-dtmf`,
//! `unblock-dtmf`, `block-media`, `unblock-media`, `silence-media`, `unsilence-media`,
//! `start-forwarding`, `stop-forwarding`.

use clap::Args;
use rtpengine_client::NgCommands;
use rtpengine_client::{BlockDtmfOptions, MediaOptions};

use crate::common::global::block_on;
use crate::common::options::OptionArgs;
use crate::common::render::render_ack;
use crate::common::select::SelectArgs;
use crate::common::{Failure, GlobalArgs, Output};

/// Arguments of `block-dtmf` and `unblock-dtmf` (which honours only --delay-buffer and flags):
/// the call, the party and the library's DTMF-blocking options (generated from its catalogue).
#[derive(Debug, Args)]
pub(crate) struct BlockDtmfCmd {
    /// The SIP Call-ID.
    #[arg(long, value_name = "ID")]
    pub(crate) call_id: String,
    /// Participant selection.
    #[command(flatten)]
    pub(crate) select: SelectArgs,
    /// The library's DTMF-blocking options.
    #[command(flatten)]
    pub(crate) options: OptionArgs<BlockDtmfOptions>,
}

/// Arguments of `block-media`, `unblock-media`, `silence-media`, `unsilence-media`,
/// `start-forwarding` and `stop-forwarding`: the call, the party and the library's media
/// options (`--to-tag`, `--to-label`, `--all-scope` for the key `all`, `--metadata`, …).
#[derive(Debug, Args)]
pub(crate) struct MediaCmd {
    /// The SIP Call-ID.
    #[arg(long, value_name = "ID")]
    pub(crate) call_id: String,
    /// Participant selection.
    #[command(flatten)]
    pub(crate) select: SelectArgs,
    /// The library's media options.
    #[command(flatten)]
    pub(crate) options: OptionArgs<MediaOptions>,
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
    let options = c.options.options();
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
    let options = c.options.options();
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

#[cfg(test)]
mod tests {
    use crate::cli::tests::parse;
    use crate::cli::Command;
    use rtpengine_client::{DtmfDigit, DtmfSecurity, FlowScope, Selector};

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
        let o = c.options.options();
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
        let o = c.options.options();
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
