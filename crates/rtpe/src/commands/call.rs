//! The call commands: `offer` and `answer` (print the rewritten SDP), `delete` and `query`
//! (print a summary of the call), `list` (prints call-ids).

use clap::Args;
use rtpengine_client::bencode::{Dict, Value};
use rtpengine_client::message::list_calls;
use rtpengine_client::NgCommands;
use rtpengine_client::{CallStats, DeleteOptions, QueryOptions, SdpReply};

use crate::common::global::{block_on, Target};
use crate::common::input::{read_sdp, SdpSource};
use crate::common::options::OptionArgs;
use crate::common::render::json_line;
use crate::common::summary::call_summary;
use crate::common::{Failure, GlobalArgs, Output};
use crate::sdp_options::{media_options, MediaArgs};

/// Arguments of `offer`.
#[derive(Debug, Args)]
pub(crate) struct OfferCmd {
    /// The SIP Call-ID.
    #[arg(long, value_name = "ID")]
    pub(crate) call_id: String,
    /// The caller's tag.
    #[arg(long, value_name = "TAG")]
    pub(crate) from_tag: String,
    /// The callee's tag (re-offers within a dialogue).
    #[arg(long, value_name = "TAG")]
    pub(crate) to_tag: Option<String>,
    /// The branch of the SIP Via header (tells forked branches apart).
    #[arg(long, value_name = "BRANCH")]
    pub(crate) via_branch: Option<String>,
    /// Where the SDP comes from.
    #[command(flatten)]
    pub(crate) sdp: SdpSource,
    /// Offer/answer options.
    #[command(flatten)]
    pub(crate) media: MediaArgs,
}

/// Arguments of `answer`.
#[derive(Debug, Args)]
pub(crate) struct AnswerCmd {
    /// The SIP Call-ID.
    #[arg(long, value_name = "ID")]
    pub(crate) call_id: String,
    /// The caller's tag (the From tag of the dialogue).
    #[arg(long, value_name = "TAG")]
    pub(crate) from_tag: String,
    /// The callee's tag.
    #[arg(long, value_name = "TAG")]
    pub(crate) to_tag: String,
    /// The branch of the SIP Via header (tells forked branches apart).
    #[arg(long, value_name = "BRANCH")]
    pub(crate) via_branch: Option<String>,
    /// Where the SDP comes from.
    #[command(flatten)]
    pub(crate) sdp: SdpSource,
    /// Offer/answer options.
    #[command(flatten)]
    pub(crate) media: MediaArgs,
}

/// Arguments of `delete`.
#[derive(Debug, Args)]
pub(crate) struct DeleteCmd {
    /// The SIP Call-ID.
    #[arg(long, value_name = "ID")]
    pub(crate) call_id: String,
    /// The caller's tag (optional: without it the whole call is deleted).
    #[arg(long, value_name = "TAG")]
    pub(crate) from_tag: Option<String>,
    /// The library's delete options (`--to-tag`, `--via-branch`, `--delete-delay`, `--fatal`,
    /// the raw escape hatches).
    #[command(flatten)]
    pub(crate) options: OptionArgs<DeleteOptions>,
}

/// Arguments of `list`.
#[derive(Debug, Args)]
pub(crate) struct ListCmd {
    /// List at most N calls (rtpengine's default: 32).
    #[arg(long, value_name = "N")]
    pub(crate) limit: Option<u32>,
}

/// Arguments of `query`.
#[derive(Debug, Args)]
pub(crate) struct QueryCmd {
    /// The SIP Call-ID.
    #[arg(long, value_name = "ID")]
    pub(crate) call_id: String,
    /// The library's query options (`--from-tag`, `--to-tag`, `--via-branch`, the raw escape
    /// hatches).
    #[command(flatten)]
    pub(crate) options: OptionArgs<QueryOptions>,
}

/// `offer`: the rewritten SDP.
pub(crate) fn offer(g: &GlobalArgs, c: &OfferCmd) -> Result<Output, Failure> {
    let mut options = media_options(&c.media, Some(&c.sdp), c.via_branch.as_deref())?;
    if let Some(to_tag) = &c.to_tag {
        options = options.raw_key("to-tag", to_tag.clone());
    }
    let sdp = read_sdp(&c.sdp)?;
    block_on(async {
        let client = g.connect().await?;
        let reply = client
            .offer(sdp, &c.call_id, &c.from_tag, &options)
            .await
            .map_err(|e| g.failure(e))?;
        Ok(render_sdp(g.json, reply))
    })
}

/// `answer`: the rewritten SDP.
pub(crate) fn answer(g: &GlobalArgs, c: &AnswerCmd) -> Result<Output, Failure> {
    let options = media_options(&c.media, Some(&c.sdp), c.via_branch.as_deref())?;
    let sdp = read_sdp(&c.sdp)?;
    block_on(async {
        let client = g.connect().await?;
        let reply = client
            .answer(sdp, &c.call_id, &c.from_tag, &c.to_tag, &options)
            .await
            .map_err(|e| g.failure(e))?;
        Ok(render_sdp(g.json, reply))
    })
}

/// `delete`: the call's last statistics, or `call ID deleted` when rtpengine only says `ok`.
pub(crate) fn delete(g: &GlobalArgs, c: &DeleteCmd) -> Result<Output, Failure> {
    let options = c.options.options();
    let from_tag = c.from_tag.as_deref().unwrap_or("");
    block_on(async {
        let client = g.connect().await?;
        let stats = client
            .delete(&c.call_id, from_tag, &options)
            .await
            .map_err(|e| g.failure(e))?;
        // An immediate delete is answered with a bare `ok`: say what happened.
        let bare = !stats.has_data() && stats.warning.is_none();
        let mut out = render_stats(g.json, &c.call_id, stats);
        if bare && !g.json {
            out.stdout = format!("call {} deleted\n", c.call_id).into_bytes();
        }
        Ok(out)
    })
}

/// `list`: one call-id per line. With several `--server`s every node is asked and the lists
/// are joined (at most `--limit` in all; `--json`: one `calls` list).
pub(crate) fn list(g: &GlobalArgs, c: &ListCmd) -> Result<Output, Failure> {
    let mut dict = Dict::new();
    if let Some(limit) = c.limit {
        dict.push("limit", i64::from(limit));
    }
    block_on(async {
        let target = g.connect().await?;
        let mut out = Output::default();
        let reply = match &target {
            Target::One(client) => {
                let reply = client
                    .request("list", &dict)
                    .await
                    .map_err(|e| g.failure(e))?;
                if let Some(w) = reply.get_string("warning") {
                    out.warnings.push(w);
                }
                reply
            }
            Target::Many(cluster) => {
                let mut calls = Vec::new();
                for node in cluster.nodes() {
                    let client = cluster
                        .node_client(&node.url)
                        .map_err(|e| g.failure(e))?
                        .with_timeout(cluster.timeout());
                    let reply = client.request("list", &dict).await.map_err(|e| {
                        let mut failure = g.failure(e);
                        failure.message = format!("{}: {}", node.url, failure.message);
                        failure
                    })?;
                    if let Some(w) = reply.get_string("warning") {
                        out.warnings.push(format!("{}: {w}", node.url));
                    }
                    calls.extend(list_calls(&reply).map_err(|e| g.failure(e))?);
                }
                if let Some(limit) = c.limit {
                    calls.truncate(limit as usize);
                }
                let mut joined = Dict::new();
                joined.push("result", "ok");
                joined.push(
                    "calls",
                    calls.into_iter().map(Value::from).collect::<Vec<_>>(),
                );
                joined
            }
        };
        if g.json {
            out.stdout = json_line(&reply);
        } else {
            for call in list_calls(&reply).map_err(|e| g.failure(e))? {
                out.stdout.extend_from_slice(call.as_bytes());
                out.stdout.push(b'\n');
            }
        }
        Ok(out)
    })
}

/// `query`: a summary of the call.
pub(crate) fn query(g: &GlobalArgs, c: &QueryCmd) -> Result<Output, Failure> {
    let options = c.options.options();
    block_on(async {
        let client = g.connect().await?;
        let stats = client
            .query(&c.call_id, &options)
            .await
            .map_err(|e| g.failure(e))?;
        Ok(render_stats(g.json, &c.call_id, stats))
    })
}

/// Offer/answer: only the SDP (as received), or the whole reply as JSON.
fn render_sdp(json: bool, reply: SdpReply) -> Output {
    let mut out = Output::default();
    out.warnings.extend(reply.warning.clone());
    out.stdout = if json {
        json_line(&reply.raw)
    } else {
        reply.sdp.to_vec()
    };
    out
}

/// Query/delete: the readable summary, or the whole reply as JSON.
fn render_stats(json: bool, call_id: &str, stats: CallStats) -> Output {
    let mut out = Output::default();
    out.warnings.extend(stats.warning.clone());
    out.stdout = if json {
        json_line(&stats.raw)
    } else {
        call_summary(call_id, &stats).into_bytes()
    };
    out
}
