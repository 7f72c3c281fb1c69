//! Publish/subscribe and the commands newer than 10.5 (`connect`, `cli`, `transform`,
//! `inject start`/`stop`, `create`, `create answer`, `mesh`), and `version`. Arguments (clap
//! derive), their conversion into the library's types, and the execution and rendering of each
//! command.
//!
//! Commands whose reply carries an SDP print only the SDP on stdout, so they pipe; the other
//! fields of the reply go to stderr as `name: value` lines.

use std::fmt::Write as _;
use std::net::IpAddr;
use std::path::PathBuf;

use clap::{ArgGroup, Args};
use rtpengine_client::message::commands::newer::{Connect, CreateAnswer, Inject, Mesh};
use rtpengine_client::message::commands::pubsub::{SubscribeAnswer, Unsubscribe};
use rtpengine_client::message::options::Scalar;
use rtpengine_client::{
    Ack, Client, ConnectOptions, CreateMedia, Error, Flag, InjectOptions, MeshOptions, MeshTag,
    OfferOptions, Selector, SubscribeSources, TransformMedia, TransformOptions, UnsubscribeOptions,
    VersionSource,
};

use crate::args::{MediaArgs, RawArgs, SdpSource};
use crate::control::render_ack;
use crate::json::json_to_value;
use crate::run::{
    describe, json_line, media_options, read_input, read_sdp, usage, Failure, Output, EXIT_OTHER,
};

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
        .args(["from_tag", "from_tags", "address", "all", "label"])
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
    /// Flag 'directional' (12.4).
    #[arg(long)]
    pub(crate) directional: bool,
    /// Raw flags and keys.
    #[command(flatten)]
    pub(crate) raw: RawArgs,
}

/// Arguments of `connect` (13.2).
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
    /// Only add subscriptions from the source(s) to the destination (flag; 12.4).
    #[arg(long)]
    pub(crate) directional: bool,
    /// Flag 'bidirectional' (26.0).
    #[arg(long)]
    pub(crate) bidirectional: bool,
    /// Every party is a source (flag 'all').
    #[arg(long)]
    pub(crate) all: bool,
    /// Raw flags and keys.
    #[command(flatten)]
    pub(crate) raw: RawArgs,
}

/// Arguments of `cli` (13.2).
#[derive(Debug, Args)]
pub(crate) struct CliCmd {
    /// The CLI command, e.g. `list numsessions` (the words are joined with spaces).
    #[arg(value_name = "COMMAND", required = true, num_args = 1.., trailing_var_arg = true)]
    pub(crate) body: Vec<String>,
}

/// Where the media list of `transform` comes from (exactly one).
#[derive(Debug, Args)]
#[group(id = "media_list", required = true, multiple = false)]
pub(crate) struct MediaJson {
    /// The `media` list as JSON: an array of (or one) {"id", "type", "codec": [{"input": FMT,
    /// "output": FMT}], "destination": {"address", "port"}}, FMT being {"codec",
    /// "payload type", "clock rate", "channels", "format", "options"}.
    #[arg(long, value_name = "JSON")]
    pub(crate) media_json: Option<String>,
    /// Read the --media-json list from a file (`-`: standard input).
    #[arg(long, value_name = "PATH")]
    pub(crate) media_json_file: Option<PathBuf>,
}

/// Arguments of `transform` (13.3).
#[derive(Debug, Args)]
pub(crate) struct TransformCmd {
    /// The media to transcode.
    #[command(flatten)]
    pub(crate) media: MediaJson,
    /// The call-id (generated when absent).
    #[arg(long, value_name = "ID")]
    pub(crate) call_id: Option<String>,
    /// The tag (generated when absent).
    #[arg(long, value_name = "TAG")]
    pub(crate) from_tag: Option<String>,
    /// The requesting rtpengine's instance id (loop detection).
    #[arg(long, value_name = "ID")]
    pub(crate) instance: Option<String>,
    /// The logical interface to use.
    #[arg(long, value_name = "NAME")]
    pub(crate) interface: Option<String>,
    /// Raw flags and keys.
    #[command(flatten)]
    pub(crate) raw: RawArgs,
}

/// Arguments of `inject-start` and `inject-stop` (26.0).
#[derive(Debug, Args)]
pub(crate) struct InjectCmd {
    /// The destination party's call-id.
    #[arg(long, value_name = "ID")]
    pub(crate) call_id: String,
    /// The destination party.
    #[arg(long, value_name = "TAG")]
    pub(crate) to_tag: String,
    /// The source party, whose audio is mixed in.
    #[arg(long, value_name = "TAG")]
    pub(crate) source_tag: String,
    /// The source party is in this other call (the calls are merged).
    #[arg(long, value_name = "ID")]
    pub(crate) source_call_id: Option<String>,
    /// Raw flags and keys.
    #[command(flatten)]
    pub(crate) raw: RawArgs,
}

/// Arguments of `create` (26.0).
#[derive(Debug, Args)]
pub(crate) struct CreateCmd {
    /// The call-id (generated when absent; printed as `call-id: …`).
    #[arg(long, value_name = "ID")]
    pub(crate) call_id: Option<String>,
    /// The party's tag (generated when absent; printed as `from-tag: …`).
    #[arg(long, value_name = "TAG")]
    pub(crate) from_tag: Option<String>,
    /// A media section of a new party: TYPE or TYPE:CODEC,CODEC… (repeatable), e.g.
    /// audio:PCMA,opus/48000/2.
    #[arg(long = "media", value_name = "TYPE[:CODECS]", value_parser = parse_create_media)]
    pub(crate) medias: Vec<CreateMedia>,
    /// Offer options for the generated SDP.
    #[command(flatten)]
    pub(crate) media: MediaArgs,
}

/// Arguments of `create-answer` (26.0).
#[derive(Debug, Args)]
pub(crate) struct CreateAnswerCmd {
    /// The SIP Call-ID.
    #[arg(long, value_name = "ID")]
    pub(crate) call_id: String,
    /// The party's tag (as create printed it).
    #[arg(long, value_name = "TAG")]
    pub(crate) from_tag: String,
    /// The remote answer SDP.
    #[command(flatten)]
    pub(crate) sdp: SdpSource,
    /// Answer options.
    #[command(flatten)]
    pub(crate) media: MediaArgs,
}

/// Arguments of `mesh` (26.1).
#[derive(Debug, Args)]
pub(crate) struct MeshCmd {
    /// A call to merge (repeatable; at least one).
    #[arg(
        long = "call-id",
        visible_alias = "calls",
        value_name = "ID",
        required = true
    )]
    pub(crate) calls: Vec<String>,
    /// Media flows from one party to others: FROM:TO[,TO…] (repeatable).
    #[arg(long = "tag", visible_alias = "tags", value_name = "FROM:TO,…", value_parser = parse_mesh_tag)]
    pub(crate) tags: Vec<MeshTag>,
    /// Flag 'unsubscribe' (26.1).
    #[arg(long)]
    pub(crate) unsubscribe: bool,
    /// Flag 'bidirectional' (26.0).
    #[arg(long)]
    pub(crate) bidirectional: bool,
    /// Raw flags and keys.
    #[command(flatten)]
    pub(crate) raw: RawArgs,
}

/// Parses `--media TYPE[:CODEC,…]` of `create`.
fn parse_create_media(s: &str) -> Result<CreateMedia, String> {
    let (kind, codecs) = match s.split_once(':') {
        Some((kind, codecs)) => (kind, codecs.split(',').collect::<Vec<_>>()),
        None => (s, Vec::new()),
    };
    if kind.is_empty() || codecs.iter().any(|c| c.is_empty()) {
        return Err("expected TYPE or TYPE:CODEC,CODEC… (e.g. audio:PCMA,PCMU)".to_owned());
    }
    Ok(CreateMedia::new(kind, codecs))
}

/// Parses `--tag FROM:TO[,TO…]` of `mesh`.
fn parse_mesh_tag(s: &str) -> Result<MeshTag, String> {
    match s.split_once(':') {
        Some((from, to)) if !from.is_empty() && !to.is_empty() => {
            let to: Vec<&str> = to.split(',').collect();
            if to.iter().any(|t| t.is_empty()) {
                return Err("an empty destination tag".to_owned());
            }
            Ok(MeshTag::new(from, to))
        }
        _ => Err("expected FROM:TO[,TO…] (a source tag and destination tags)".to_owned()),
    }
}

/// Adds the raw escape hatches to a library options struct (they all have `raw_flag` and
/// `raw_key`).
macro_rules! with_raw {
    ($opts:expr, $raw:expr) => {{
        let mut o = $opts;
        for flag in &$raw.flags {
            o = o.raw_flag(flag.clone());
        }
        for (key, value) in &$raw.keys {
            o = o.raw_key(key.clone(), value.clone());
        }
        o
    }};
}

/// Parses the `transform` media list: a JSON array of media objects, or one object.
fn transform_media(text: &str) -> Result<Vec<TransformMedia>, String> {
    let json: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("--media-json is not valid JSON: {e}"))?;
    let items = match json {
        serde_json::Value::Array(items) => items,
        one @ serde_json::Value::Object(_) => vec![one],
        _ => return Err("--media-json must be an array of media objects (or one)".to_owned()),
    };
    if items.is_empty() {
        return Err("--media-json is an empty list: transform needs at least one media".to_owned());
    }
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let value = json_to_value(item, &format!("media[{i}]"))?;
            TransformMedia::decode(&value).ok_or_else(|| {
                format!(
                    "media[{i}] is not a transform media: it needs \"type\", \"codec\" (a list \
                     of {{\"input\", \"output\"}}, each with \"codec\", \"payload type\", \
                     \"clock rate\", \"channels\") and \"destination\" {{\"address\", \"port\"}}"
                )
            })
        })
        .collect()
}

/// A publish/subscribe or newer request, ready to send.
pub(crate) enum SessionOp {
    /// `publish`.
    Publish {
        sdp: Vec<u8>,
        call_id: String,
        from_tag: String,
        options: OfferOptions,
    },
    /// `subscribe request`.
    SubscribeRequest {
        call_id: String,
        sources: SubscribeSources,
        to_tag: Option<String>,
        options: OfferOptions,
    },
    /// `subscribe answer`.
    SubscribeAnswer {
        call_id: String,
        to_tag: String,
        sdp: Vec<u8>,
        options: OfferOptions,
    },
    /// `unsubscribe`.
    Unsubscribe {
        call_id: String,
        to_tag: String,
        options: UnsubscribeOptions,
    },
    /// `connect`.
    Connect {
        call_id: String,
        from_tag: String,
        to_tag: String,
        options: ConnectOptions,
    },
    /// `cli`.
    Cli { body: String },
    /// `transform`.
    Transform {
        media: Vec<TransformMedia>,
        options: TransformOptions,
    },
    /// `inject start` (`start` true) / `inject stop`.
    Inject {
        start: bool,
        call_id: String,
        to_tag: String,
        source_tag: String,
        options: InjectOptions,
    },
    /// `create`.
    Create {
        call_id: String,
        from_tag: String,
        medias: Vec<CreateMedia>,
        options: OfferOptions,
    },
    /// `create answer`.
    CreateAnswer {
        sdp: Vec<u8>,
        call_id: String,
        from_tag: String,
        options: OfferOptions,
    },
    /// `mesh`.
    Mesh {
        calls: Vec<String>,
        options: MeshOptions,
    },
    /// `version`: discovers the daemon's release.
    Version,
}

impl SessionOp {
    /// A `publish` request.
    pub(crate) fn publish(c: &PublishCmd) -> Result<Self, Failure> {
        Ok(Self::Publish {
            options: media_options(&c.media, Some(&c.sdp), None)?,
            sdp: read_sdp(&c.sdp)?,
            call_id: c.call_id.clone().unwrap_or_default(),
            from_tag: c.from_tag.clone().unwrap_or_default(),
        })
    }

    /// A `subscribe request`.
    pub(crate) fn subscribe_request(c: &SubscribeRequestCmd) -> Result<Self, Failure> {
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
        Ok(Self::SubscribeRequest {
            call_id: c.call_id.clone(),
            sources,
            to_tag: c.to_tag.clone(),
            options,
        })
    }

    /// A `subscribe answer`.
    pub(crate) fn subscribe_answer(c: &SubscribeAnswerCmd) -> Result<Self, Failure> {
        Ok(Self::SubscribeAnswer {
            options: media_options(&c.media, Some(&c.sdp), None)?,
            sdp: read_sdp(&c.sdp)?,
            call_id: c.call_id.clone(),
            to_tag: c.to_tag.clone(),
        })
    }

    /// An `unsubscribe`.
    pub(crate) fn unsubscribe(c: &UnsubscribeCmd) -> Self {
        let mut options = UnsubscribeOptions::new();
        options.from_tag.clone_from(&c.from_tag);
        if c.directional {
            options.flags.push(Flag::Directional);
        }
        Self::Unsubscribe {
            call_id: c.call_id.clone(),
            to_tag: c.to_tag.clone(),
            options: with_raw!(options, c.raw),
        }
    }

    /// A `connect`.
    pub(crate) fn connect(c: &ConnectCmd) -> Self {
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
        Self::Connect {
            call_id: c.call_id.clone(),
            from_tag: c.from_tag.clone().unwrap_or_default(),
            to_tag: c.to_tag.clone(),
            options: with_raw!(options, c.raw),
        }
    }

    /// A `cli`.
    pub(crate) fn cli(c: &CliCmd) -> Self {
        Self::Cli {
            body: c.body.join(" "),
        }
    }

    /// A `transform` (reads and checks the media list).
    pub(crate) fn transform(c: &TransformCmd) -> Result<Self, Failure> {
        let text = match (&c.media.media_json, &c.media.media_json_file) {
            (Some(text), _) => text.clone(),
            (None, Some(path)) => {
                let bytes = read_input(path).map_err(|e| {
                    Failure::new(
                        EXIT_OTHER,
                        format!("cannot read the media list from {}: {e}", describe(path)),
                    )
                })?;
                String::from_utf8(bytes).map_err(|_| {
                    usage(format!("the media list in {} is not UTF-8", describe(path)))
                })?
            }
            (None, None) => {
                return Err(usage(
                    "transform needs --media-json JSON or --media-json-file PATH",
                ))
            }
        };
        let media = transform_media(&text).map_err(usage)?;
        let mut options = TransformOptions::new();
        options.call_id.clone_from(&c.call_id);
        options.from_tag.clone_from(&c.from_tag);
        options.instance.clone_from(&c.instance);
        options.interface.clone_from(&c.interface);
        Ok(Self::Transform {
            media,
            options: with_raw!(options, c.raw),
        })
    }

    /// An `inject start` / `inject stop`.
    pub(crate) fn inject(start: bool, c: &InjectCmd) -> Self {
        let mut options = InjectOptions::new();
        options.source_call_id.clone_from(&c.source_call_id);
        Self::Inject {
            start,
            call_id: c.call_id.clone(),
            to_tag: c.to_tag.clone(),
            source_tag: c.source_tag.clone(),
            options: with_raw!(options, c.raw),
        }
    }

    /// A `create`.
    pub(crate) fn create(c: &CreateCmd) -> Result<Self, Failure> {
        Ok(Self::Create {
            call_id: c.call_id.clone().unwrap_or_default(),
            from_tag: c.from_tag.clone().unwrap_or_default(),
            medias: c.medias.clone(),
            options: media_options(&c.media, None, None)?,
        })
    }

    /// A `create answer`.
    pub(crate) fn create_answer(c: &CreateAnswerCmd) -> Result<Self, Failure> {
        Ok(Self::CreateAnswer {
            options: media_options(&c.media, Some(&c.sdp), None)?,
            sdp: read_sdp(&c.sdp)?,
            call_id: c.call_id.clone(),
            from_tag: c.from_tag.clone(),
        })
    }

    /// A `mesh`.
    pub(crate) fn mesh(c: &MeshCmd) -> Self {
        let mut options = MeshOptions::new();
        options.tags.clone_from(&c.tags);
        for (on, flag) in [
            (c.unsubscribe, Flag::Unsubscribe),
            (c.bidirectional, Flag::Bidirectional),
        ] {
            if on {
                options.flags.push(flag);
            }
        }
        Self::Mesh {
            calls: c.calls.clone(),
            options: with_raw!(options, c.raw),
        }
    }

    /// Sends the request and renders its reply into `out`.
    pub(crate) async fn execute(
        self,
        client: &Client,
        json: bool,
        out: &mut Output,
    ) -> Result<(), Error> {
        match self {
            Self::Publish {
                sdp,
                call_id,
                from_tag,
                options,
            } => {
                let reply = client.publish(sdp, &call_id, &from_tag, &options).await?;
                out.warnings.extend(reply.warning.clone());
                if json {
                    out.stdout = json_line(&reply.raw);
                } else {
                    out.stdout = reply.sdp.to_vec();
                    note(out, "call-id", reply.call_id.as_deref());
                    note(out, "from-tag", reply.from_tag.as_deref());
                }
            }
            Self::SubscribeRequest {
                call_id,
                sources,
                to_tag,
                options,
            } => {
                let reply = client
                    .subscribe_request(&call_id, &sources, to_tag.as_deref(), &options)
                    .await?;
                out.warnings.extend(reply.warning.clone());
                if json {
                    out.stdout = json_line(&reply.raw);
                } else {
                    out.stdout = reply.sdp.to_vec();
                    note(out, "to-tag", Some(&reply.to_tag));
                    if reply.from_tag.is_some() {
                        note(out, "from-tag", reply.from_tag.as_deref());
                    } else if !reply.from_tags.is_empty() {
                        note(out, "from-tags", Some(&reply.from_tags.join(", ")));
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
            }
            Self::SubscribeAnswer {
                call_id,
                to_tag,
                sdp,
                options,
            } => {
                let req = SubscribeAnswer {
                    call_id: &call_id,
                    to_tag: &to_tag,
                    sdp: &sdp,
                    options: &options,
                };
                render_ack(json, Ack::from_dict(client.send(&req).await?), out);
            }
            Self::Unsubscribe {
                call_id,
                to_tag,
                options,
            } => {
                let req = Unsubscribe {
                    call_id: &call_id,
                    to_tag: &to_tag,
                    options: &options,
                };
                render_ack(json, Ack::from_dict(client.send(&req).await?), out);
            }
            Self::Connect {
                call_id,
                from_tag,
                to_tag,
                options,
            } => {
                let req = Connect {
                    call_id: &call_id,
                    from_tag: &from_tag,
                    to_tag: &to_tag,
                    options: &options,
                };
                render_ack(json, Ack::from_dict(client.send(&req).await?), out);
            }
            Self::Cli { body } => {
                let reply = client.cli(&body).await?;
                out.stdout = if json {
                    json_line(&reply.raw)
                } else {
                    let mut text = reply.response;
                    if !text.is_empty() && !text.ends_with('\n') {
                        text.push('\n');
                    }
                    text.into_bytes()
                };
            }
            Self::Transform { media, options } => {
                let reply = client.transform(&media, &options).await?;
                out.warnings.extend(reply.raw.get_string("warning"));
                if json {
                    out.stdout = json_line(&reply.raw);
                } else {
                    let mut text = String::new();
                    for (i, m) in reply.media.iter().enumerate() {
                        let id = m.id.clone().unwrap_or_else(|| format!("#{}", i + 1));
                        let at = match (m.socket_addr(), &m.address, m.port) {
                            (Some(sa), _, _) => sa.to_string(),
                            (None, Some(a), Some(p)) => format!("{a}:{p}"),
                            (None, Some(a), None) => a.clone(),
                            (None, None, _) => "?".to_owned(),
                        };
                        let _ = writeln!(text, "media {id}: {at}");
                    }
                    out.stdout = text.into_bytes();
                    note(out, "call-id", reply.call_id.as_deref());
                    note(out, "from-tag", reply.from_tag.as_deref());
                }
            }
            Self::Inject {
                start,
                call_id,
                to_tag,
                source_tag,
                options,
            } => {
                let req = Inject {
                    start,
                    call_id: &call_id,
                    to_tag: &to_tag,
                    source_tag: &source_tag,
                    options: &options,
                };
                render_ack(json, Ack::from_dict(client.send(&req).await?), out);
            }
            Self::Create {
                call_id,
                from_tag,
                medias,
                options,
            } => {
                let reply = client
                    .create(&call_id, &from_tag, &medias, &options)
                    .await?;
                out.warnings.extend(reply.raw.get_string("warning"));
                if json {
                    out.stdout = json_line(&reply.raw);
                } else {
                    out.stdout = reply.sdp.to_vec();
                    note(out, "call-id", Some(&reply.call_id));
                    note(out, "from-tag", Some(&reply.from_tag));
                }
            }
            Self::CreateAnswer {
                sdp,
                call_id,
                from_tag,
                options,
            } => {
                let req = CreateAnswer {
                    sdp: &sdp,
                    call_id: &call_id,
                    from_tag: &from_tag,
                    options: &options,
                };
                render_ack(json, Ack::from_dict(client.send(&req).await?), out);
            }
            Self::Mesh { calls, options } => {
                let req = Mesh {
                    calls: &calls,
                    options: &options,
                };
                render_ack(json, Ack::from_dict(client.send(&req).await?), out);
            }
            Self::Version => {
                let found = client.discover_version_detail().await?;
                let version = found.version;
                out.stdout = if json {
                    let source = match &found.source {
                        VersionSource::Cli { line } => format!("cli: {line}"),
                        VersionSource::SessionName { name } => format!("s={name}"),
                        other => other.to_string(),
                    };
                    let mut quoted = String::new();
                    crate::json::write_string(&mut quoted, &source);
                    format!("{{\"version\":\"{version}\",\"source\":{quoted}}}\n").into_bytes()
                } else {
                    format!("{version}\n").into_bytes()
                };
                out.notes.push(format!("found from {}", found.source));
            }
        }
        Ok(())
    }
}

/// A `name: value` line for stderr, when there is a value.
fn note(out: &mut Output, name: &str, value: Option<&str>) {
    if let Some(v) = value {
        out.notes.push(format!("{name}: {v}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::{Cli, Command};
    use clap::Parser;
    use rtpengine_client::PayloadFormat;

    fn parse(args: &[&str]) -> Result<Command, String> {
        let mut argv = vec!["rtpe"];
        argv.extend_from_slice(args);
        Cli::try_parse_from(argv)
            .map(|c| c.command)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn subscribe_sources() {
        let source = |args: &[&str]| {
            let mut argv = vec!["subscribe-request", "--call-id=c"];
            argv.extend_from_slice(args);
            let Command::SubscribeRequest(c) = parse(&argv)? else {
                panic!()
            };
            match SessionOp::subscribe_request(&c) {
                Ok(SessionOp::SubscribeRequest {
                    sources, options, ..
                }) => Ok((sources, options)),
                Ok(_) => panic!(),
                Err(f) => Err(f.message),
            }
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
    fn create_and_mesh_values() {
        assert_eq!(
            parse_create_media("audio:PCMA,opus/48000/2").unwrap(),
            CreateMedia::new("audio", ["PCMA", "opus/48000/2"])
        );
        assert_eq!(
            parse_create_media("video").unwrap(),
            CreateMedia::new("video", Vec::<String>::new())
        );
        assert!(parse_create_media(":PCMA").is_err());
        assert!(parse_create_media("audio:PCMA,").is_err());
        assert_eq!(
            parse_mesh_tag("A:B,C").unwrap(),
            MeshTag::new("A", ["B", "C"])
        );
        assert!(parse_mesh_tag("A").is_err());
        assert!(parse_mesh_tag("A:").is_err());
        assert!(parse_mesh_tag("A:B,,C").is_err());
        let Command::Mesh(c) = parse(&[
            "mesh",
            "--call-id=x",
            "--calls=y",
            "--tag=A:B",
            "--unsubscribe",
        ])
        .unwrap() else {
            panic!()
        };
        let SessionOp::Mesh { calls, options } = SessionOp::mesh(&c) else {
            panic!()
        };
        assert_eq!(calls, ["x", "y"]);
        assert_eq!(options.tags, [MeshTag::new("A", ["B"])]);
        assert_eq!(options.flags, [Flag::Unsubscribe]);
        assert!(parse(&["mesh"]).is_err());
    }

    #[test]
    fn transform_media_json() {
        let m = transform_media(
            r#"[{"id":"a1","type":"audio","codec":[{"input":{"codec":"G729","payload type":18,
            "clock rate":8000,"channels":1,"format":"annexb=no"},"output":{"codec":"PCMA",
            "payload type":8,"clock rate":8000,"channels":1}}],
            "destination":{"family":"IP4","address":"127.0.0.1","port":4444}}]"#,
        )
        .unwrap();
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].id.as_deref(), Some("a1"));
        assert_eq!(m[0].destination, "127.0.0.1:4444".parse().unwrap());
        assert_eq!(
            m[0].codecs[0].input,
            PayloadFormat::new("G729", 18, 8000, 1).format("annexb=no")
        );
        // One object is a list of one.
        let one = transform_media(
            r#"{"type":"audio","codec":[],"destination":{"address":"::1","port":5}}"#,
        )
        .unwrap();
        assert_eq!(one[0].destination, "[::1]:5".parse().unwrap());
        for bad in ["[]", "5", "{", r#"[{"type":"audio"}]"#, r#"[{"x":1.5}]"#] {
            assert!(transform_media(bad).is_err(), "{bad}");
        }
        assert!(transform_media(r#"[{"type":"audio"}]"#)
            .unwrap_err()
            .contains("media[0]"));
    }

    #[test]
    fn cli_body_and_connect_flags() {
        let Command::Cli(c) = parse(&["cli", "list", "numsessions"]).unwrap() else {
            panic!()
        };
        let SessionOp::Cli { body } = SessionOp::cli(&c) else {
            panic!()
        };
        assert_eq!(body, "list numsessions");
        assert!(parse(&["cli"]).is_err());
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
        let SessionOp::Connect {
            from_tag, options, ..
        } = SessionOp::connect(&c)
        else {
            panic!()
        };
        assert_eq!(from_tag, "");
        assert_eq!(options.from_tags, ["A", "C"]);
        assert_eq!(options.flags, [Flag::Directional]);
        assert_eq!(options.to_call_id.as_deref(), Some("d"));
    }
}
