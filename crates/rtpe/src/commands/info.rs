//! Commands about the daemon rather than a call: `ping`, `statistics`, `version`, `cli`
//! (rtpengine's own CLI), and `completions` (which sends nothing).

use clap::Args;
use clap_complete::Shell;
use rtpengine_client::message::write_json_string;
use rtpengine_client::NgCommands;
use rtpengine_client::VersionSource;

use crate::common::global::block_on;
use crate::common::render::json_line;
use crate::common::statistics::statistics_summary;
use crate::common::{Failure, GlobalArgs, Output};

/// Arguments of `completions`.
#[derive(Debug, Args)]
pub(crate) struct CompletionsCmd {
    /// The shell.
    #[arg(value_name = "SHELL")]
    pub(crate) shell: Shell,
}

/// Arguments of `cli`.
#[derive(Debug, Args)]
pub(crate) struct CliCmd {
    /// The CLI command, e.g. `list numsessions` (the words are joined with spaces).
    #[arg(value_name = "COMMAND", required = true, num_args = 1.., trailing_var_arg = true)]
    pub(crate) body: Vec<String>,
}

/// `ping`: prints `pong` (with several `--server`s: a node of the cluster answered).
pub(crate) fn ping(g: &GlobalArgs) -> Result<Output, Failure> {
    block_on(async {
        let client = g.connect().await?;
        client.ping().await.map_err(|e| g.failure(e))?;
        let stdout = if g.json {
            b"{\"result\":\"pong\"}\n".to_vec()
        } else {
            b"pong\n".to_vec()
        };
        Ok(Output {
            stdout,
            ..Output::default()
        })
    })
}

/// `statistics`: a summary of the daemon's statistics (one `--server` only).
pub(crate) fn statistics(g: &GlobalArgs) -> Result<Output, Failure> {
    g.single("statistics")?;
    block_on(async {
        let client = g.connect_one().await?;
        let stats = client.statistics().await.map_err(|e| g.failure(e))?;
        let mut out = Output::default();
        if let Some(w) = stats.raw.get_string("warning") {
            out.warnings.push(w);
        }
        out.stdout = if g.json {
            json_line(&stats.raw)
        } else {
            statistics_summary(&stats).into_bytes()
        };
        Ok(out)
    })
}

/// `version`: discovers the daemon's release and prints it (how it was found on stderr; one
/// `--server` only: `nodes` shows every node's).
pub(crate) fn version(g: &GlobalArgs) -> Result<Output, Failure> {
    g.single("version")?;
    block_on(async {
        let client = g.connect_one().await?;
        let found = client
            .discover_version_detail()
            .await
            .map_err(|e| g.failure(e))?;
        let version = found.version;
        let stdout = if g.json {
            let source = match &found.source {
                VersionSource::Cli { line } => format!("cli: {line}"),
                VersionSource::SessionName { name } => format!("s={name}"),
                other => other.to_string(),
            };
            let mut quoted = String::new();
            write_json_string(&mut quoted, &source);
            format!("{{\"version\":\"{version}\",\"source\":{quoted}}}\n").into_bytes()
        } else {
            format!("{version}\n").into_bytes()
        };
        Ok(Output {
            stdout,
            notes: vec![format!("found from {}", found.source)],
            ..Output::default()
        })
    })
}

/// `cli`: the response of rtpengine's CLI, ending with a line break (one `--server` only).
pub(crate) fn cli(g: &GlobalArgs, c: &CliCmd) -> Result<Output, Failure> {
    g.single("cli")?;
    let body = c.body.join(" ");
    block_on(async {
        let client = g.connect_one().await?;
        let reply = client.cli(&body).await.map_err(|e| g.failure(e))?;
        let stdout = if g.json {
            json_line(&reply.raw)
        } else {
            let mut text = reply.response;
            if !text.is_empty() && !text.ends_with('\n') {
                text.push('\n');
            }
            text.into_bytes()
        };
        Ok(Output {
            stdout,
            ..Output::default()
        })
    })
}

/// `completions`: the completion script of `command` (rtpe's whole command line, handed down
/// by `cli` so this module need not know it) for a shell, as a JSON object with `--json`.
pub(crate) fn completions(g: &GlobalArgs, c: &CompletionsCmd, command: clap::Command) -> Output {
    let mut script = Vec::new();
    clap_complete::generate(
        c.shell,
        &mut completion_command(command),
        "rtpe",
        &mut script,
    );
    let stdout = if g.json {
        let mut text = String::from("{\"shell\":");
        write_json_string(&mut text, &c.shell.to_string());
        text.push_str(",\"script\":");
        write_json_string(&mut text, &String::from_utf8_lossy(&script));
        text.push_str("}\n");
        text.into_bytes()
    } else {
        script
    };
    Output {
        stdout,
        ..Output::default()
    }
}

/// The command line as completion scripts describe it: without the aliases of the subcommands
/// that answer to rtpengine's own command names with spaces (`block DTMF`), which the generated
/// scripts cannot quote (bash's is a syntax error) and nobody completes anyway. (Those
/// subcommands have no other alias; `cli`'s `CLI` stays.)
fn completion_command(command: clap::Command) -> clap::Command {
    command.mut_subcommands(|sub| {
        if sub.get_all_aliases().any(|a| a.contains(' ')) {
            sub.alias(None::<&str>)
        } else {
            sub
        }
    })
}

#[cfg(test)]
mod tests {
    use crate::cli::{Cli, Command};
    use clap::Parser;

    #[test]
    fn cli_body() {
        let cli = Cli::try_parse_from(["rtpe", "cli", "list", "numsessions"]).unwrap();
        let Command::Cli(c) = cli.command else {
            panic!()
        };
        assert_eq!(c.body.join(" "), "list numsessions");
        assert!(Cli::try_parse_from(["rtpe", "cli"]).is_err());
    }
}
