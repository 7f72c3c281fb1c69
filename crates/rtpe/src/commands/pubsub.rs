//! Publish/subscribe and `connect`: `publish`, `subscribe-request`, `subscribe-answer`,
//! `unsubscribe`, `connect` (13.2).
//!
//! Commands whose reply carries an SDP print only the SDP on stdout, so they pipe; the other
//! fields of the reply go to stderr as `name: value` lines.

use rtpengine_client::NgCommands;
use std::fmt::Write as _;
use std::net::IpAddr;

use clap::{ArgGroup, Args};
use rtpengine_client::{
    Connect, ConnectOptions, Flag, OfferOptions, Selector, SubscribeAnswer, SubscribeSources,
    Unsubscribe, UnsubscribeOptions,
};

use crate::common::global::block_on;
use crate::common::input::{read_sdp, SdpSource};
use crate::common::options::flag_help;
use crate::common::render::{json_line, note};
use crate::common::{usage, Failure, GlobalArgs, Output, RawArgs};
use crate::sdp_options::{label_arg, media_options, MediaArgs};

/// Arguments of `publish`.
#[derive(Debug, Args)]
pub(crate) struct PublishCmd {
    /// The SIP Call-ID (required up to rtpengine 14.x; 26.0 generates one).
    #[arg(long, value_name = "ID")]
    pub(crate) call_id: Option<String>,
    /// The publisher's tag (required up to rtpengine 14.x; 26.0 generates one).
    #[arg(long, value_name = "TAG")]
    pub(crate) from_tag: Option<String>,
    /// The publisher's SDP (should be sendonly).
    #[command(flatten)]
    pub(crate) sdp: SdpSource,
    /// Offer/answer options.
    #[command(flatten)]
    pub(crate) media: MediaArgs,
}

/// Arguments of `subscribe-request`: the source is --from-tag, --from-tags, --label (also
/// --from-label), --address or --all.
#[derive(Debug, Args)]
#[command(group(
    ArgGroup::new("sources")
        .args(["from_tag", "from_tags", "address", "all"].map(String::from))
        .arg(label_arg())
        .required(true)
        .multiple(false)
))]
pub(crate) struct SubscribeRequestCmd {
    /// The SIP Call-ID.
    #[arg(long, value_name = "ID")]
    pub(crate) call_id: String,
    /// Subscribe to the party with this tag.
    #[arg(long, value_name = "TAG")]
    pub(crate) from_tag: Option<String>,
    /// Subscribe to several parties by tag (repeatable).
    #[arg(long, value_name = "TAG")]
    pub(crate) from_tags: Vec<String>,
    /// Subscribe to the party whose SDP media address is this.
    #[arg(long, value_name = "ADDR")]
    pub(crate) address: Option<IpAddr>,
    /// Subscribe to every party created by offer/answer (flag 'all').
    #[arg(long)]
    pub(crate) all: bool,
    /// The subscriber's tag (default: rtpengine generates one, printed as `to-tag: …`).
    #[arg(long, value_name = "TAG")]
    pub(crate) to_tag: Option<String>,
    /// Offer options for the generated SDP (--label selects the source by label; --set-label
    /// labels the subscriber; --SIPREC, --RTCP-mirror, …).
    #[command(flatten)]
    pub(crate) media: MediaArgs,
}

/// Arguments of `subscribe-answer`.
#[derive(Debug, Args)]
pub(crate) struct SubscribeAnswerCmd {
    /// The SIP Call-ID.
    #[arg(long, value_name = "ID")]
    pub(crate) call_id: String,
    /// The subscriber's tag (the `to-tag` subscribe-request printed).
    #[arg(long, value_name = "TAG")]
    pub(crate) to_tag: String,
    /// The subscriber's SDP.
    #[command(flatten)]
    pub(crate) sdp: SdpSource,
    /// Answer options (--allow-transcoding, …).
    #[command(flatten)]
    pub(crate) media: MediaArgs,
}

/// Arguments of `unsubscribe`.
#[derive(Debug, Args)]
pub(crate) struct UnsubscribeCmd {
    /// The SIP Call-ID.
    #[arg(long, value_name = "ID")]
    pub(crate) call_id: String,
    /// The subscriber's tag.
    #[arg(long, value_name = "TAG")]
    pub(crate) to_tag: String,
    /// With --directional: stop only the subscription to this source.
    #[arg(long, value_name = "TAG")]
    pub(crate) from_tag: Option<String>,
    /// Flag 'directional'.
    #[arg(long, help = flag_help(Flag::Directional, "Stop only the subscription to --from-tag"))]
    pub(crate) directional: bool,
    /// Raw flags and keys.
    #[command(flatten)]
    pub(crate) raw: RawArgs,
}

/// Arguments of `connect`.
#[derive(Debug, Args)]
pub(crate) struct ConnectCmd {
    /// The SIP Call-ID.
    #[arg(long, value_name = "ID")]
    pub(crate) call_id: String,
    /// The source party.
    #[arg(long, value_name = "TAG")]
    pub(crate) from_tag: Option<String>,
    /// The destination party.
    #[arg(long, value_name = "TAG")]
    pub(crate) to_tag: String,
    /// The destination party is in this other call (the calls are merged).
    #[arg(long, value_name = "ID")]
    pub(crate) to_call_id: Option<String>,
    /// Several sources, with --directional (repeatable).
    #[arg(long, value_name = "TAG")]
    pub(crate) from_tags: Vec<String>,
    /// Flag 'directional'.
    #[arg(long, help = flag_help(
        Flag::Directional,
        "Only add subscriptions from the source(s) to the destination",
    ))]
    pub(crate) directional: bool,
    /// Flag 'bidirectional'.
    #[arg(long, help = flag_help(Flag::Bidirectional, ""))]
    pub(crate) bidirectional: bool,
    /// Every party is a source (flag 'all').
    #[arg(long)]
    pub(crate) all: bool,
    /// Raw flags and keys.
    #[command(flatten)]
    pub(crate) raw: RawArgs,
}

/// `publish`: the recvonly SDP rtpengine generated (`call-id`, `from-tag` on stderr).
pub(crate) fn publish(g: &GlobalArgs, c: &PublishCmd) -> Result<Output, Failure> {
    let options = media_options(&c.media, Some(&c.sdp), None)?;
    let sdp = read_sdp(&c.sdp)?;
    let call_id = c.call_id.clone().unwrap_or_default();
    let from_tag = c.from_tag.clone().unwrap_or_default();
    block_on(async {
        let client = g.connect().await?;
        let reply = client
            .publish(sdp, &call_id, &from_tag, &options)
            .await
            .map_err(|e| g.failure(e))?;
        let mut out = Output::default();
        out.warnings.extend(reply.warning.clone());
        if g.json {
            out.stdout = json_line(&reply.raw);
        } else {
            out.stdout = reply.sdp.to_vec();
            note(&mut out, "call-id", reply.call_id.as_deref());
            note(&mut out, "from-tag", reply.from_tag.as_deref());
        }
        Ok(out)
    })
}

/// The sources and the offer options of `subscribe-request`.
fn sources_and_options(
    c: &SubscribeRequestCmd,
) -> Result<(SubscribeSources, OfferOptions), Failure> {
    let mut options = media_options(&c.media, None, None)?;
    // The source label and option 'label' are one key: --label selects the source.
    let sources = if let Some(label) = options.label.take() {
        SubscribeSources::label(label)
    } else if c.all {
        SubscribeSources::All
    } else if let Some(tag) = &c.from_tag {
        SubscribeSources::from_tag(tag.clone())
    } else if let Some(addr) = c.address {
        SubscribeSources::Selector(Selector::Address(addr))
    } else if !c.from_tags.is_empty() {
        SubscribeSources::tags(c.from_tags.iter().cloned())
    } else {
        // clap's argument group requires one.
        return Err(usage(
            "subscribe-request needs a source: --from-tag, --from-tags, --label, --address \
                 or --all",
        ));
    };
    Ok((sources, options))
}

/// `subscribe-request`: the subscriber's sendonly SDP (`to-tag` and the sources on stderr).
pub(crate) fn subscribe_request(
    g: &GlobalArgs,
    c: &SubscribeRequestCmd,
) -> Result<Output, Failure> {
    let (sources, options) = sources_and_options(c)?;
    block_on(async {
        let client = g.connect().await?;
        let reply = client
            .subscribe_request(&c.call_id, &sources, c.to_tag.as_deref(), &options)
            .await
            .map_err(|e| g.failure(e))?;
        let mut out = Output::default();
        out.warnings.extend(reply.warning.clone());
        if g.json {
            out.stdout = json_line(&reply.raw);
        } else {
            out.stdout = reply.sdp.to_vec();
            note(&mut out, "to-tag", Some(&reply.to_tag));
            if reply.from_tag.is_some() {
                note(&mut out, "from-tag", reply.from_tag.as_deref());
            } else if !reply.from_tags.is_empty() {
                note(&mut out, "from-tags", Some(&reply.from_tags.join(", ")));
            }
            for l in &reply.media_labels {
                let mut line = format!("media-label: {}", l.media_label);
                for (name, value) in [
                    ("tag", l.tag.clone()),
                    ("label", l.label.clone()),
                    ("index", l.index.map(|i| i.to_string())),
                    ("type", l.media_type.clone()),
                    ("mode", l.mode.clone()),
                ] {
                    if let Some(v) = value {
                        let _ = write!(line, " {name}={v}");
                    }
                }
                out.notes.push(line);
            }
        }
        Ok(out)
    })
}

/// `subscribe-answer`.
pub(crate) fn subscribe_answer(g: &GlobalArgs, c: &SubscribeAnswerCmd) -> Result<Output, Failure> {
    let options = media_options(&c.media, Some(&c.sdp), None)?;
    let sdp = read_sdp(&c.sdp)?;
    block_on(g.send_ack(&SubscribeAnswer {
        call_id: &c.call_id,
        to_tag: &c.to_tag,
        sdp: &sdp,
        options: &options,
    }))
}

/// `unsubscribe`.
pub(crate) fn unsubscribe(g: &GlobalArgs, c: &UnsubscribeCmd) -> Result<Output, Failure> {
    let mut options = UnsubscribeOptions::new();
    options.from_tag.clone_from(&c.from_tag);
    if c.directional {
        options.flags.push(Flag::Directional);
    }
    c.raw.apply(&mut options.raw);
    block_on(g.send_ack(&Unsubscribe {
        call_id: &c.call_id,
        to_tag: &c.to_tag,
        options: &options,
    }))
}

/// The options of `connect`.
fn connect_options(c: &ConnectCmd) -> ConnectOptions {
    let mut options = ConnectOptions::new();
    options.to_call_id.clone_from(&c.to_call_id);
    options.from_tags.clone_from(&c.from_tags);
    for (on, flag) in [
        (c.directional, Flag::Directional),
        (c.bidirectional, Flag::Bidirectional),
        (c.all, Flag::All),
    ] {
        if on {
            options.flags.push(flag);
        }
    }
    c.raw.apply(&mut options.raw);
    options
}

/// `connect`.
pub(crate) fn connect(g: &GlobalArgs, c: &ConnectCmd) -> Result<Output, Failure> {
    let options = connect_options(c);
    block_on(g.send_ack(&Connect {
        call_id: &c.call_id,
        from_tag: c.from_tag.as_deref().unwrap_or(""),
        to_tag: &c.to_tag,
        options: &options,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::tests::parse;
    use crate::cli::Command;

    #[test]
    fn subscribe_sources() {
        let source = |args: &[&str]| {
            let mut argv = vec!["subscribe-request", "--call-id=c"];
            argv.extend_from_slice(args);
            let Command::SubscribeRequest(c) = parse(&argv)? else {
                panic!()
            };
            sources_and_options(&c).map_err(|f| f.message)
        };
        assert_eq!(
            source(&["--from-tag=a"]).unwrap().0,
            SubscribeSources::from_tag("a")
        );
        let (s, o) = source(&["--from-label=caller", "--set-label=sub", "--SIPREC"]).unwrap();
        assert_eq!(s, SubscribeSources::label("caller"));
        assert_eq!(o.label, None);
        assert_eq!(o.set_label.as_deref(), Some("sub"));
        assert_eq!(o.flags, [Flag::Siprec]);
        assert_eq!(
            source(&["--from-tags=a", "--from-tags=b"]).unwrap().0,
            SubscribeSources::tags(["a", "b"])
        );
        assert_eq!(source(&["--all"]).unwrap().0, SubscribeSources::All);
        assert!(source(&[]).is_err());
        assert!(source(&["--all", "--from-tag=a"]).is_err());
        assert!(source(&["--label=x", "--from-tag=a"]).is_err());
    }

    #[test]
    fn connect_flags() {
        let Command::Connect(c) = parse(&[
            "connect",
            "--call-id=c",
            "--to-tag=B",
            "--from-tags=A",
            "--from-tags=C",
            "--directional",
            "--to-call-id=d",
        ])
        .unwrap() else {
            panic!()
        };
        let options = connect_options(&c);
        assert_eq!(c.from_tag.unwrap_or_default(), "");
        assert_eq!(options.from_tags, ["A", "C"]);
        assert_eq!(options.flags, [Flag::Directional]);
        assert_eq!(options.to_call_id.as_deref(), Some("d"));
    }
}
