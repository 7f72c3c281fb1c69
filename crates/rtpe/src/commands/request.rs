//! `request`: any request, given as a JSON object; prints the reply as an indented tree.

use rtpengine_client::NgCommands;
use std::path::PathBuf;

use clap::Args;
use rtpengine_client::bencode::Dict;
use rtpengine_client::message::{json_to_dict, result_kind, JsonError, ResultKind};
use rtpengine_client::RawRequest;

use crate::common::global::block_on;
use crate::common::input::{describe, read_input};
use crate::common::render::json_line;
use crate::common::summary::tree;
use crate::common::{Failure, GlobalArgs, Output, EXIT_OTHER, EXIT_RTPENGINE, EXIT_USAGE};

/// Arguments of `request`.
#[derive(Debug, Args)]
pub(crate) struct RequestCmd {
    /// The request as a JSON object, e.g. '{"command":"list","limit":5}'.
    #[arg(
        value_name = "JSON",
        required_unless_present = "json_file",
        conflicts_with = "json_file"
    )]
    pub(crate) request: Option<String>,
    /// Read the JSON object from a file (`-`: standard input).
    #[arg(long, value_name = "PATH")]
    pub(crate) json_file: Option<PathBuf>,
    /// The command to send (instead of, or equal to, the object's "command").
    #[arg(long, value_name = "NAME")]
    pub(crate) command: Option<String>,
}

/// Sends the request unchecked; an error reply is still printed, and exits 1.
pub(crate) fn run(g: &GlobalArgs, c: &RequestCmd) -> Result<Output, Failure> {
    let (command, dict) = raw_request(c)?;
    block_on(async {
        let client = g.connect().await?;
        let request = RawRequest {
            command: &command,
            dict: &dict,
        };
        let reply = client
            .send_unchecked(&request)
            .await
            .map_err(|e| g.failure(e))?;
        let mut out = Output::default();
        if let Some(w) = reply.get_string("warning") {
            out.warnings.push(w);
        }
        out.stdout = if g.json {
            json_line(&reply)
        } else {
            tree(&reply).into_bytes()
        };
        let failed = match result_kind(&reply) {
            Ok(ResultKind::Error(reason)) => Some(format!("rtpengine: {reason}")),
            Ok(ResultKind::LoadLimit(message)) => Some(format!("rtpengine: load limit: {message}")),
            Ok(_) => None,
            Err(e) => Some(e.to_string()),
        };
        if let Some(message) = failed {
            let mut failure = Failure::new(EXIT_RTPENGINE, message);
            failure.stdout = out.stdout;
            failure.warnings = out.warnings;
            return Err(failure);
        }
        Ok(out)
    })
}

/// The command and dictionary of `request`: an unreadable file is exit 4, anything else wrong
/// a usage error.
fn raw_request(c: &RequestCmd) -> Result<(String, Dict), Failure> {
    let text = match (&c.request, &c.json_file) {
        (Some(text), _) => text.clone(),
        (None, Some(path)) => {
            let bytes = read_input(path).map_err(|e| {
                Failure::new(
                    EXIT_OTHER,
                    format!("cannot read the request from {}: {e}", describe(path)),
                )
            })?;
            String::from_utf8(bytes).map_err(|_| {
                Failure::new(
                    EXIT_USAGE,
                    format!("the request in {} is not UTF-8", describe(path)),
                )
            })?
        }
        (None, None) => {
            return Err(Failure::new(
                EXIT_USAGE,
                "a request is required: JSON or --json-file PATH",
            ))
        }
    };
    raw_dict(&text, c.command.as_deref()).map_err(|msg| Failure::new(EXIT_USAGE, msg))
}

/// The command and dictionary of a JSON request; `flag` is `--command`. `Err` is a usage
/// error.
fn raw_dict(text: &str, flag: Option<&str>) -> Result<(String, Dict), String> {
    let mut dict = json_to_dict(text).map_err(|e| match e {
        JsonError::Syntax(e) => format!("the request is not valid JSON: {e}"),
        JsonError::NotAnObject(kind) => format!("the request must be a JSON object, not {kind}"),
        // A value without a bencode form: the message names where it is.
        other => other.to_string(),
    })?;
    let in_dict = match dict.remove("command") {
        None => None,
        Some(v) => Some(
            v.as_str()
                .map(str::to_owned)
                .ok_or("'command' must be a string")?,
        ),
    };
    let command = match (flag, in_dict) {
        (Some(flag), Some(key)) if flag != key => {
            return Err(format!(
                "--command '{flag}' contradicts the request's command '{key}'"
            ))
        }
        (Some(flag), _) => flag.to_owned(),
        (None, Some(key)) => key,
        (None, None) => {
            return Err("the request needs a \"command\" key (or give --command NAME)".to_owned())
        }
    };
    if command.is_empty() {
        return Err("the command is empty".to_owned());
    }
    Ok((command, dict))
}
