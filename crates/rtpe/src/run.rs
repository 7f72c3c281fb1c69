//! Runs one command: prepares the request, sends it within the deadline, renders the reply.

use std::io::{self, Read};
use std::path::Path;
use std::time::Duration;

use bytes::Bytes;
use clap::CommandFactory;
use rtpengine_client::message::request::RawRequest;
use rtpengine_client::message::{list_calls, result_kind, ResultKind};
use rtpengine_client::{
    CallStats, Client, ClientBuilder, DeleteOptions, Dict, Error, OfferOptions, QueryOptions,
    SdpReply, ServerUrl,
};
use tokio::time::Instant;

use crate::args::{Cli, Command, CompletionsCmd, MediaArgs, RequestCmd, SdpSource};
use crate::control::{ControlOp, MediaKind, RecordingKind};
use crate::json::{dict_to_json, json_to_dict, write_string};
use crate::output::{call_summary, tree};
use crate::session::SessionOp;
use crate::stats::statistics_summary;

/// Exit status when rtpengine answered an error.
pub(crate) const EXIT_RTPENGINE: u8 = 1;
/// Exit status of a usage error (also clap's).
pub(crate) const EXIT_USAGE: u8 = 2;
/// Exit status when no reply arrived within the deadline.
pub(crate) const EXIT_TIMEOUT: u8 = 3;
/// Exit status of any other failure.
pub(crate) const EXIT_OTHER: u8 = 4;

/// What a successful command prints.
#[derive(Debug, Default)]
pub(crate) struct Output {
    /// Bytes for stdout.
    pub(crate) stdout: Vec<u8>,
    /// Warnings for stderr (without the `warning: ` prefix).
    pub(crate) warnings: Vec<String>,
    /// Other reply fields for stderr, printed as they are (`to-tag: …`).
    pub(crate) notes: Vec<String>,
}

/// A failed command: its exit status and its message for stderr (without `error: `).
#[derive(Debug)]
pub(crate) struct Failure {
    /// The exit status.
    pub(crate) code: u8,
    /// The message.
    pub(crate) message: String,
    /// What is printed on stdout all the same (the reply to a raw `request`).
    pub(crate) stdout: Vec<u8>,
    /// Warnings for stderr (without the `warning: ` prefix).
    pub(crate) warnings: Vec<String>,
}

impl Failure {
    /// A failure with this exit status.
    pub(crate) fn new(code: u8, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            stdout: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// Classifies a library error; `timeout_ms` is the user's deadline.
    pub(crate) fn from_client(err: Error, timeout_ms: u64) -> Self {
        match err {
            Error::Rtpengine { reason } => {
                Self::new(EXIT_RTPENGINE, format!("rtpengine: {reason}"))
            }
            Error::LoadLimit { message } => {
                Self::new(EXIT_RTPENGINE, format!("rtpengine: load limit: {message}"))
            }
            Error::Timeout {
                server,
                command,
                attempts,
                ..
            } => {
                let times = if attempts == 1 { "time" } else { "times" };
                Self::new(
                    EXIT_TIMEOUT,
                    format!(
                        "timed out: no reply from rtpengine at {server} within {timeout_ms} ms \
                     ('{command}' sent {attempts} {times})"
                    ),
                )
            }
            // The library's message, naming rtpe's switch instead of the builder setting.
            Error::Unsupported {
                what,
                since,
                target,
            } => Self::new(
                EXIT_USAGE,
                format!(
                    "{what} needs rtpengine {since} or newer; the target is {target} \
                     (--no-version-check sends it anyway)"
                ),
            ),
            err @ (Error::BadUrl { .. } | Error::InvalidRequest { .. }) => {
                Self::new(EXIT_USAGE, err.to_string())
            }
            err => Self::new(EXIT_OTHER, err.to_string()),
        }
    }
}

/// A usage error (exit 2).
/// A client builder for `url` with every global connection option applied (version, stream
/// transport, JSON bodies, TLS).
pub(crate) fn client_builder(cli: &Cli, url: &ServerUrl) -> Result<ClientBuilder, Failure> {
    let mut builder = Client::builder(url.to_string())
        .timeout(Duration::from_millis(cli.timeout))
        .version_check(!cli.no_version_check)
        .json(cli.ng_json);
    if let Some(version) = cli.rtpengine_version {
        builder = builder.rtpengine_version(version);
    }
    if let Some(stream) = &cli.stream {
        builder = builder.stream(stream.to_string());
    }
    let read = |path: &std::path::Path| {
        std::fs::read(path)
            .map_err(|e| Failure::new(EXIT_OTHER, format!("cannot read {}: {e}", path.display())))
    };
    if let Some(ca) = &cli.tls_ca {
        builder = builder.tls_root_certificates_pem(read(ca)?);
    }
    if let (Some(cert), Some(key)) = (&cli.tls_cert, &cli.tls_key) {
        builder = builder.tls_client_certificate_pem(read(cert)?, read(key)?);
    }
    if cli.tls_insecure {
        builder = builder.danger_accept_invalid_certificates();
    }
    Ok(builder)
}

/// Connects a client to `url` (within `--timeout`).
pub(crate) async fn connect_client(cli: &Cli, url: &ServerUrl) -> Result<Client, Failure> {
    let builder = client_builder(cli, url)?;
    tokio::time::timeout(Duration::from_millis(cli.timeout), builder.connect())
        .await
        .map_err(|_| {
            Failure::new(
                EXIT_TIMEOUT,
                format!(
                    "timed out: connecting to {url} took longer than {} ms",
                    cli.timeout
                ),
            )
        })?
        .map_err(|e| Failure::from_client(e, cli.timeout))
}

pub(crate) fn usage(message: impl Into<String>) -> Failure {
    Failure::new(EXIT_USAGE, message)
}

/// One request, ready to send.
enum Op<'a> {
    /// `ping`.
    Ping,
    /// `offer`.
    Offer {
        sdp: Vec<u8>,
        call_id: &'a str,
        from_tag: &'a str,
        options: OfferOptions,
    },
    /// `answer`.
    Answer {
        sdp: Vec<u8>,
        call_id: &'a str,
        from_tag: &'a str,
        to_tag: &'a str,
        options: OfferOptions,
    },
    /// `delete`.
    Delete {
        call_id: &'a str,
        from_tag: &'a str,
        options: DeleteOptions,
    },
    /// `list`.
    List { limit: Option<u32> },
    /// `query`.
    Query {
        call_id: &'a str,
        options: QueryOptions,
    },
    /// `statistics`.
    Statistics,
    /// `request`: any command with a dictionary built from JSON.
    Request { command: String, dict: Dict },
    /// Recording, blocking, silencing, forwarding, playback.
    Control(ControlOp),
    /// Publish/subscribe, the commands newer than 10.5, and `version`.
    Session(SessionOp),
}

/// Runs the command of `cli` on a current-thread runtime.
pub(crate) fn run(cli: &Cli) -> Result<Output, Failure> {
    if let Command::Completions(c) = &cli.command {
        return Ok(completions(cli.json, c));
    }
    if let Command::Bench(b) = &cli.command {
        return crate::bench::run(cli, b);
    }
    if let Command::Events(e) = &cli.command {
        return crate::events::run(cli, e);
    }
    let op = prepare(&cli.command)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::new(EXIT_OTHER, format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(execute(cli, op))
}

/// Reads the SDP and builds the options (no network yet).
fn prepare(command: &Command) -> Result<Op<'_>, Failure> {
    Ok(match command {
        Command::Ping => Op::Ping,
        Command::Offer(c) => {
            let mut options = media_options(&c.media, Some(&c.sdp), c.via_branch.as_deref())?;
            if let Some(to_tag) = &c.to_tag {
                options = options.raw_key("to-tag", to_tag.clone());
            }
            Op::Offer {
                sdp: read_sdp(&c.sdp)?,
                call_id: &c.call_id,
                from_tag: &c.from_tag,
                options,
            }
        }
        Command::Answer(c) => Op::Answer {
            options: media_options(&c.media, Some(&c.sdp), c.via_branch.as_deref())?,
            sdp: read_sdp(&c.sdp)?,
            call_id: &c.call_id,
            from_tag: &c.from_tag,
            to_tag: &c.to_tag,
        },
        Command::Delete(c) => Op::Delete {
            call_id: &c.call_id,
            from_tag: c.from_tag.as_deref().unwrap_or(""),
            options: c.to_options(),
        },
        Command::List(c) => Op::List { limit: c.limit },
        Command::Query(c) => Op::Query {
            call_id: &c.call_id,
            options: c.to_options(),
        },
        Command::Statistics => Op::Statistics,
        Command::Request(c) => {
            let (command, dict) = raw_request(c)?;
            Op::Request { command, dict }
        }
        Command::Completions(_) => {
            return Err(usage("completions need no request".to_owned()));
        }
        Command::Bench(_) => return Err(usage("bench runs on its own".to_owned())),
        Command::Events(_) => return Err(usage("events runs on its own".to_owned())),
        Command::Version => Op::Session(SessionOp::Version),
        Command::StartRecording(c) => Op::Control(ControlOp::recording(RecordingKind::Start, c)),
        Command::StopRecording(c) => Op::Control(ControlOp::recording(RecordingKind::Stop, c)),
        Command::PauseRecording(c) => Op::Control(ControlOp::recording(RecordingKind::Pause, c)),
        Command::BlockDtmf(c) => Op::Control(ControlOp::dtmf(true, c)),
        Command::UnblockDtmf(c) => Op::Control(ControlOp::dtmf(false, c)),
        Command::BlockMedia(c) => Op::Control(ControlOp::media(MediaKind::Block, c)),
        Command::UnblockMedia(c) => Op::Control(ControlOp::media(MediaKind::Unblock, c)),
        Command::SilenceMedia(c) => Op::Control(ControlOp::media(MediaKind::Silence, c)),
        Command::UnsilenceMedia(c) => Op::Control(ControlOp::media(MediaKind::Unsilence, c)),
        Command::StartForwarding(c) => Op::Control(ControlOp::media(MediaKind::StartForwarding, c)),
        Command::StopForwarding(c) => Op::Control(ControlOp::media(MediaKind::StopForwarding, c)),
        Command::PlayMedia(c) => Op::Control(ControlOp::play_media(c)?),
        Command::StopMedia(c) => Op::Control(ControlOp::stop_media(c)?),
        Command::PlayDtmf(c) => Op::Control(ControlOp::play_dtmf(c)?),
        Command::Publish(c) => Op::Session(SessionOp::publish(c)?),
        Command::SubscribeRequest(c) => Op::Session(SessionOp::subscribe_request(c)?),
        Command::SubscribeAnswer(c) => Op::Session(SessionOp::subscribe_answer(c)?),
        Command::Unsubscribe(c) => Op::Session(SessionOp::unsubscribe(c)),
        Command::Connect(c) => Op::Session(SessionOp::connect(c)),
        Command::Cli(c) => Op::Session(SessionOp::cli(c)),
        Command::Transform(c) => Op::Session(SessionOp::transform(c)?),
        Command::InjectStart(c) => Op::Session(SessionOp::inject(true, c)),
        Command::InjectStop(c) => Op::Session(SessionOp::inject(false, c)),
        Command::Create(c) => Op::Session(SessionOp::create(c)?),
        Command::CreateAnswer(c) => Op::Session(SessionOp::create_answer(c)?),
        Command::Mesh(c) => Op::Session(SessionOp::mesh(c)),
    })
}

/// The options of offer/answer (and the other SDP commands), with the music-on-hold blob read
/// from its file; `sdp` is where the command's SDP comes from, if it has one.
pub(crate) fn media_options(
    media: &MediaArgs,
    sdp: Option<&SdpSource>,
    via_branch: Option<&str>,
) -> Result<OfferOptions, Failure> {
    let stdin = Path::new("-");
    let sdp_from_stdin = sdp.is_some_and(|s| s.sdp_file.as_deref() == Some(stdin));
    if media.moh_blob_file.as_deref() == Some(stdin) && sdp_from_stdin {
        return Err(Failure::new(
            EXIT_USAGE,
            "--sdp-file and --moh-blob-file cannot both read standard input",
        ));
    }
    let mut options = media
        .to_options(via_branch)
        .map_err(|msg| Failure::new(EXIT_USAGE, msg))?;
    if let Some(path) = &media.moh_blob_file {
        let blob = read_input(path).map_err(|e| {
            Failure::new(
                EXIT_OTHER,
                format!(
                    "cannot read the music-on-hold blob from {}: {e}",
                    describe(path)
                ),
            )
        })?;
        options.moh.blob = Some(Bytes::from(blob));
    }
    Ok(options)
}

/// A file's contents, or standard input's for `-`.
pub(crate) fn read_input(path: &Path) -> io::Result<Vec<u8>> {
    if path == Path::new("-") {
        let mut buf = Vec::new();
        io::stdin().lock().read_to_end(&mut buf)?;
        Ok(buf)
    } else {
        std::fs::read(path)
    }
}

/// `'path'`, or `standard input` for `-`.
pub(crate) fn describe(path: &Path) -> String {
    if path == Path::new("-") {
        "standard input".to_owned()
    } else {
        format!("'{}'", path.display())
    }
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
    let mut dict = json_to_dict(text)?;
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

/// The completion script of `rtpe` for a shell (as a JSON object with `--json`).
fn completions(json: bool, c: &CompletionsCmd) -> Output {
    let mut script = Vec::new();
    clap_complete::generate(c.shell, &mut completion_command(), "rtpe", &mut script);
    let stdout = if json {
        let mut text = String::from("{\"shell\":");
        write_string(&mut text, &c.shell.to_string());
        text.push_str(",\"script\":");
        write_string(&mut text, &String::from_utf8_lossy(&script));
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
fn completion_command() -> clap::Command {
    Cli::command().mut_subcommands(|sub| {
        if sub.get_all_aliases().any(|a| a.contains(' ')) {
            sub.alias(None::<&str>)
        } else {
            sub
        }
    })
}

/// The SDP body from `--sdp` or `--sdp-file` (`-`: stdin), ending with a line break.
pub(crate) fn read_sdp(source: &SdpSource) -> Result<Vec<u8>, Failure> {
    read_sdp_raw(source).map(terminate_last_line)
}

/// Ends the last line of a non-empty SDP with a line break, as rtpengine needs (without one, it
/// glues its own attributes to that line, e.g. `--sdp "$(cat offer.sdp)"`). Uses CRLF unless the
/// SDP uses bare LF.
fn terminate_last_line(mut sdp: Vec<u8>) -> Vec<u8> {
    match sdp.last() {
        None | Some(b'\n') => {}
        Some(b'\r') => sdp.push(b'\n'),
        Some(_) => {
            let bare_lf = sdp.contains(&b'\n') && !sdp.windows(2).any(|w| w == b"\r\n");
            if bare_lf {
                sdp.push(b'\n');
            } else {
                sdp.extend_from_slice(b"\r\n");
            }
        }
    }
    sdp
}

/// The SDP body exactly as given.
fn read_sdp_raw(source: &SdpSource) -> Result<Vec<u8>, Failure> {
    match (&source.sdp, &source.sdp_file) {
        (Some(text), _) => Ok(text.clone().into_bytes()),
        (None, Some(path)) => read_input(path).map_err(|e| {
            Failure::new(
                EXIT_OTHER,
                format!("cannot read SDP from {}: {e}", describe(path)),
            )
        }),
        // clap's argument group requires one of the two.
        (None, None) => Err(Failure::new(
            EXIT_USAGE,
            "an SDP is required: --sdp TEXT or --sdp-file PATH",
        )),
    }
}

/// Connects and sends `op`, all within `--timeout`, and renders the reply.
async fn execute(cli: &Cli, op: Op<'_>) -> Result<Output, Failure> {
    let timeout_ms = cli.timeout;
    let deadline = Duration::from_millis(timeout_ms);
    let start = Instant::now();
    let fail = |e: Error| Failure::from_client(e, timeout_ms);
    let timed_out = || {
        Failure::new(
            EXIT_TIMEOUT,
            format!(
                "timed out: no reply from rtpengine at {} within {timeout_ms} ms",
                cli.server()
            ),
        )
    };

    let connect = client_builder(cli, cli.server())?
        .timeout(deadline)
        .connect();
    let client = tokio::time::timeout(deadline, connect)
        .await
        .map_err(|_| timed_out())?
        .map_err(fail)?;
    let remaining = deadline.saturating_sub(start.elapsed());
    if remaining.is_zero() {
        return Err(timed_out());
    }
    let client = client.with_timeout(remaining);

    let mut out = Output::default();
    match op {
        Op::Ping => {
            client.ping().await.map_err(fail)?;
            out.stdout = if cli.json {
                b"{\"result\":\"pong\"}\n".to_vec()
            } else {
                b"pong\n".to_vec()
            };
        }
        Op::Offer {
            sdp,
            call_id,
            from_tag,
            options,
        } => {
            let reply = client
                .offer(sdp, call_id, from_tag, &options)
                .await
                .map_err(fail)?;
            render_sdp(cli.json, reply, &mut out);
        }
        Op::Answer {
            sdp,
            call_id,
            from_tag,
            to_tag,
            options,
        } => {
            let reply = client
                .answer(sdp, call_id, from_tag, to_tag, &options)
                .await
                .map_err(fail)?;
            render_sdp(cli.json, reply, &mut out);
        }
        Op::Delete {
            call_id,
            from_tag,
            options,
        } => {
            let stats = client
                .delete(call_id, from_tag, &options)
                .await
                .map_err(fail)?;
            // An immediate delete is answered with a bare `ok`: say what happened.
            let bare = !stats.has_data() && stats.warning.is_none();
            render_stats(cli.json, call_id, stats, &mut out);
            if bare && !cli.json {
                out.stdout = format!("call {call_id} deleted\n").into_bytes();
            }
        }
        Op::List { limit } => {
            let mut dict = Dict::new();
            if let Some(limit) = limit {
                dict.push("limit", i64::from(limit));
            }
            let reply = client.request("list", &dict).await.map_err(fail)?;
            if let Some(w) = reply.get_string("warning") {
                out.warnings.push(w);
            }
            if cli.json {
                out.stdout = json_line(&reply);
            } else {
                for call in list_calls(&reply).map_err(fail)? {
                    out.stdout.extend_from_slice(call.as_bytes());
                    out.stdout.push(b'\n');
                }
            }
        }
        Op::Query { call_id, options } => {
            let stats = client.query(call_id, &options).await.map_err(fail)?;
            render_stats(cli.json, call_id, stats, &mut out);
        }
        Op::Statistics => {
            let stats = client.statistics().await.map_err(fail)?;
            if let Some(w) = stats.raw.get_string("warning") {
                out.warnings.push(w);
            }
            out.stdout = if cli.json {
                json_line(&stats.raw)
            } else {
                statistics_summary(&stats).into_bytes()
            };
        }
        Op::Control(op) => op
            .execute(&client, cli.json, &mut out)
            .await
            .map_err(fail)?,
        Op::Session(op) => op
            .execute(&client, cli.json, &mut out)
            .await
            .map_err(fail)?,
        Op::Request { command, dict } => {
            let request = RawRequest {
                command: &command,
                dict: &dict,
            };
            let reply = client.send_unchecked(&request).await.map_err(fail)?;
            if let Some(w) = reply.get_string("warning") {
                out.warnings.push(w);
            }
            out.stdout = if cli.json {
                json_line(&reply)
            } else {
                tree(&reply).into_bytes()
            };
            let failed = match result_kind(&reply) {
                Ok(ResultKind::Error(reason)) => Some(format!("rtpengine: {reason}")),
                Ok(ResultKind::LoadLimit(message)) => {
                    Some(format!("rtpengine: load limit: {message}"))
                }
                Ok(_) => None,
                Err(e) => Some(e.to_string()),
            };
            if let Some(message) = failed {
                let mut failure = Failure::new(EXIT_RTPENGINE, message);
                failure.stdout = out.stdout;
                failure.warnings = out.warnings;
                return Err(failure);
            }
        }
    }
    Ok(out)
}

/// The dictionary as JSON plus a newline.
pub(crate) fn json_line(dict: &Dict) -> Vec<u8> {
    let mut text = dict_to_json(dict);
    text.push('\n');
    text.into_bytes()
}

/// Offer/answer: only the SDP (as received), or the whole reply as JSON.
fn render_sdp(json: bool, reply: SdpReply, out: &mut Output) {
    out.warnings.extend(reply.warning.clone());
    out.stdout = if json {
        json_line(&reply.raw)
    } else {
        reply.sdp.to_vec()
    };
}

/// Query/delete: the readable summary, or the whole reply as JSON.
fn render_stats(json: bool, call_id: &str, stats: CallStats, out: &mut Output) {
    out.warnings.extend(stats.warning.clone());
    out.stdout = if json {
        json_line(&stats.raw)
    } else {
        call_summary(call_id, &stats).into_bytes()
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_line_is_terminated() {
        let t = |s: &str| String::from_utf8(terminate_last_line(s.as_bytes().to_vec())).unwrap();
        assert_eq!(t(""), "");
        assert_eq!(
            t("v=0\r\nm=audio 1 RTP/AVP 0\r\n"),
            "v=0\r\nm=audio 1 RTP/AVP 0\r\n"
        );
        assert_eq!(
            t("v=0\r\nm=audio 1 RTP/AVP 0"),
            "v=0\r\nm=audio 1 RTP/AVP 0\r\n"
        );
        assert_eq!(
            t("v=0\r\nm=audio 1 RTP/AVP 0\r"),
            "v=0\r\nm=audio 1 RTP/AVP 0\r\n"
        );
        assert_eq!(t("v=0\nm=audio 1 RTP/AVP 0"), "v=0\nm=audio 1 RTP/AVP 0\n");
        assert_eq!(t("v=0"), "v=0\r\n");
    }

    #[test]
    fn errors_map_to_exit_codes() {
        let code = |e| Failure::from_client(e, 300).code;
        assert_eq!(
            code(Error::Rtpengine { reason: "x".into() }),
            EXIT_RTPENGINE
        );
        assert_eq!(
            code(Error::LoadLimit {
                message: "x".into()
            }),
            EXIT_RTPENGINE
        );
        let timeout = Failure::from_client(
            Error::Timeout {
                server: "127.0.0.1:9".into(),
                command: "ping".into(),
                attempts: 2,
                deadline: Duration::from_millis(300),
            },
            300,
        );
        assert_eq!(timeout.code, EXIT_TIMEOUT);
        assert!(timeout
            .message
            .starts_with("timed out: no reply from rtpengine at 127.0.0.1:9 within 300 ms"));
        assert_eq!(
            code(Error::BadUrl {
                url: "x".into(),
                reason: "y".into()
            }),
            EXIT_USAGE
        );
        let unsupported = Failure::from_client(
            Error::Unsupported {
                what: "option 'sdp-attr'".into(),
                since: rtpengine_client::message::Version::new(11, 3).into(),
                target: rtpengine_client::message::Version::V10_5,
            },
            300,
        );
        assert_eq!(unsupported.code, EXIT_USAGE);
        assert_eq!(
            unsupported.message,
            "option 'sdp-attr' needs rtpengine 11.3 or newer; the target is 10.5 \
             (--no-version-check sends it anyway)"
        );
        assert_eq!(
            code(Error::InvalidRequest { reason: "x".into() }),
            EXIT_USAGE
        );
        assert_eq!(
            code(Error::MalformedReply { reason: "x".into() }),
            EXIT_OTHER
        );
        assert_eq!(
            code(Error::RequestTooLarge { reason: "x".into() }),
            EXIT_OTHER
        );
    }
}
