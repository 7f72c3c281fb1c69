//! Calls set up or changed without offer/answer: `transform` (13.3; prints where to send each
//! media), `inject-start`/`inject-stop` (26.0), `create` (26.0; prints the SDP),
//! `create-answer` (26.0), `mesh` (26.1).

use rtpengine_client::NgCommands;
use std::fmt::Write as _;
use std::path::PathBuf;

use clap::Args;
use rtpengine_client::bencode::Value;
use rtpengine_client::message::{json_to_value, JsonError};
use rtpengine_client::{
    CreateAnswer, CreateMedia, Flag, Inject, InjectOptions, Mesh, MeshOptions, MeshTag, Scalar,
    TransformMedia, TransformOptions,
};

use crate::common::global::block_on;
use crate::common::input::{describe, read_input, read_sdp, SdpSource};
use crate::common::options::flag_help;
use crate::common::render::{json_line, note};
use crate::common::{usage, Failure, GlobalArgs, Output, RawArgs, EXIT_OTHER};
use crate::sdp_options::{media_options, MediaArgs};

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

/// Arguments of `transform`.
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

/// Arguments of `inject-start` and `inject-stop`.
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

/// Arguments of `create`.
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

/// Arguments of `create-answer`.
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

/// Arguments of `mesh`.
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
    /// Flag 'unsubscribe'.
    #[arg(long, help = flag_help(Flag::Unsubscribe, ""))]
    pub(crate) unsubscribe: bool,
    /// Flag 'bidirectional'.
    #[arg(long, help = flag_help(Flag::Bidirectional, ""))]
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

/// Parses the `transform` media list: a JSON array of media objects, or one object.
fn transform_media(text: &str) -> Result<Vec<TransformMedia>, String> {
    const NOT_A_LIST: &str = "--media-json must be an array of media objects (or one)";
    let first = text.trim_start().chars().next();
    // One object is a list of one: its path is `media[0]` all the same.
    let root = if first == Some('{') {
        "media[0]"
    } else {
        "media"
    };
    let items = match json_to_value(text, root) {
        Ok(Value::List(items)) => items,
        Ok(one @ Value::Dict(_)) => vec![one],
        Ok(_) => return Err(NOT_A_LIST.to_owned()),
        Err(JsonError::Syntax(e)) => return Err(format!("--media-json is not valid JSON: {e}")),
        // A float or null instead of the list is not a list, whatever else it is.
        Err(_) if !matches!(first, Some('[' | '{')) => return Err(NOT_A_LIST.to_owned()),
        Err(e) => return Err(e.to_string()),
    };
    if items.is_empty() {
        return Err("--media-json is an empty list: transform needs at least one media".to_owned());
    }
    items
        .iter()
        .enumerate()
        .map(|(i, value)| {
            TransformMedia::decode(value).ok_or_else(|| {
                format!(
                    "media[{i}] is not a transform media: it needs \"type\", \"codec\" (a list \
                     of {{\"input\", \"output\"}}, each with \"codec\", \"payload type\", \
                     \"clock rate\", \"channels\") and \"destination\" {{\"address\", \"port\"}}"
                )
            })
        })
        .collect()
}

/// `transform`: prints `media ID: ADDR:PORT` per media (`call-id`, `from-tag` on stderr).
pub(crate) fn transform(g: &GlobalArgs, c: &TransformCmd) -> Result<Output, Failure> {
    let text = match (&c.media.media_json, &c.media.media_json_file) {
        (Some(text), _) => text.clone(),
        (None, Some(path)) => {
            let bytes = read_input(path).map_err(|e| {
                Failure::new(
                    EXIT_OTHER,
                    format!("cannot read the media list from {}: {e}", describe(path)),
                )
            })?;
            String::from_utf8(bytes)
                .map_err(|_| usage(format!("the media list in {} is not UTF-8", describe(path))))?
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
    c.raw.apply(&mut options.raw);
    block_on(async {
        let client = g.connect().await?;
        let reply = client
            .transform(&media, &options)
            .await
            .map_err(|e| g.failure(e))?;
        let mut out = Output::default();
        out.warnings.extend(reply.raw.get_string("warning"));
        if g.json {
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
            note(&mut out, "call-id", reply.call_id.as_deref());
            note(&mut out, "from-tag", reply.from_tag.as_deref());
        }
        Ok(out)
    })
}

/// `inject-start` (`start` true) / `inject-stop`.
pub(crate) fn inject(g: &GlobalArgs, start: bool, c: &InjectCmd) -> Result<Output, Failure> {
    let mut options = InjectOptions::new();
    options.source_call_id.clone_from(&c.source_call_id);
    c.raw.apply(&mut options.raw);
    block_on(g.send_ack(&Inject {
        start,
        call_id: &c.call_id,
        to_tag: &c.to_tag,
        source_tag: &c.source_tag,
        options: &options,
    }))
}

/// `create`: the offer SDP (`call-id`, `from-tag` on stderr).
pub(crate) fn create(g: &GlobalArgs, c: &CreateCmd) -> Result<Output, Failure> {
    let call_id = c.call_id.clone().unwrap_or_default();
    let from_tag = c.from_tag.clone().unwrap_or_default();
    let options = media_options(&c.media, None, None)?;
    block_on(async {
        let client = g.connect().await?;
        let reply = client
            .create(&call_id, &from_tag, &c.medias, &options)
            .await
            .map_err(|e| g.failure(e))?;
        let mut out = Output::default();
        out.warnings.extend(reply.raw.get_string("warning"));
        if g.json {
            out.stdout = json_line(&reply.raw);
        } else {
            out.stdout = reply.sdp.to_vec();
            note(&mut out, "call-id", Some(&reply.call_id));
            note(&mut out, "from-tag", Some(&reply.from_tag));
        }
        Ok(out)
    })
}

/// `create-answer`.
pub(crate) fn create_answer(g: &GlobalArgs, c: &CreateAnswerCmd) -> Result<Output, Failure> {
    let options = media_options(&c.media, Some(&c.sdp), None)?;
    let sdp = read_sdp(&c.sdp)?;
    block_on(g.send_ack(&CreateAnswer {
        sdp: &sdp,
        call_id: &c.call_id,
        from_tag: &c.from_tag,
        options: &options,
    }))
}

/// The options of `mesh`.
fn mesh_options(c: &MeshCmd) -> MeshOptions {
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
    c.raw.apply(&mut options.raw);
    options
}

/// `mesh`.
pub(crate) fn mesh(g: &GlobalArgs, c: &MeshCmd) -> Result<Output, Failure> {
    let options = mesh_options(c);
    block_on(g.send_ack(&Mesh {
        calls: &c.calls,
        options: &options,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::tests::parse;
    use crate::cli::Command;
    use rtpengine_client::PayloadFormat;

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
        let options = mesh_options(&c);
        assert_eq!(c.calls, ["x", "y"]);
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
}
