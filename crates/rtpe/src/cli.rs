//! The command line: the global options, one variant per command, and the one place that hands
//! each command to the module that runs it.
//!
//! Option names follow rtpengine's own `rtpengine-ng-client` script (`--trust-address`, `--ICE`,
//! `--TOS`, …); upper-case names also have lower-case aliases (`--ice`, `--tos`, …).

use clap::{CommandFactory, FromArgMatches as _, Parser, Subcommand};
use rtpengine_client::COMMANDS;

use crate::commands::media_control::MediaKind;
use crate::commands::recording::RecordingKind;
use crate::commands::{
    bench, call, events, info, media_control, nodes, playback, pubsub, recording, request, session,
};
use crate::common::{Failure, GlobalArgs, Output};

/// `rtpe`: a command-line client for Sipwise rtpengine's NG control protocol.
#[derive(Debug, Parser)]
#[command(
    name = "rtpe",
    version,
    about = "Command-line client for Sipwise rtpengine's NG control protocol",
    after_help = "Exit status: 0 success, 1 rtpengine answered an error, 2 usage error, \
                  3 no reply within the deadline, 4 any other failure."
)]
pub(crate) struct Cli {
    /// The options every command takes.
    #[command(flatten)]
    pub(crate) global: GlobalArgs,

    /// The NG command to send.
    #[command(subcommand)]
    pub(crate) command: Command,
}

impl Cli {
    /// The command line with each NG command's help naming the release that introduced it,
    /// from the library's command table ([`COMMANDS`]), so no release is written here.
    pub(crate) fn command_with_releases() -> clap::Command {
        let mut cmd = Cli::command();
        let names: Vec<String> = cmd
            .get_subcommands()
            .map(|c| c.get_name().to_owned())
            .collect();
        for name in names {
            // rtpengine's name: `create-answer` is `create answer`, `block-dtmf` `block DTMF`.
            let ng = name.replace('-', " ");
            let Some((_, since)) = COMMANDS.iter().find(|(c, _)| c.eq_ignore_ascii_case(&ng))
            else {
                continue;
            };
            if since.is_base() {
                continue;
            }
            cmd = cmd.mut_subcommand(&name, |sub| {
                let about = sub.get_about().map(ToString::to_string).unwrap_or_default();
                let about = about.trim_end_matches('.');
                sub.about(format!("{about} ({since})."))
            });
        }
        cmd
    }

    /// Parses the process's arguments (exits with a usage message on an error, as clap does).
    pub(crate) fn parse_with_releases() -> Self {
        let matches = Self::command_with_releases().get_matches();
        Self::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
    }

    /// Runs the command: the one dispatch point, each command to its module.
    pub(crate) fn run(&self) -> Result<Output, Failure> {
        let g = &self.global;
        match &self.command {
            Command::Ping => info::ping(g),
            Command::Statistics => info::statistics(g),
            Command::Version => info::version(g),
            Command::Cli(c) => info::cli(g, c),
            Command::Completions(c) => Ok(info::completions(g, c, Cli::command_with_releases())),
            Command::Offer(c) => call::offer(g, c),
            Command::Answer(c) => call::answer(g, c),
            Command::Delete(c) => call::delete(g, c),
            Command::List(c) => call::list(g, c),
            Command::Query(c) => call::query(g, c),
            Command::Request(c) => request::run(g, c),
            Command::Bench(c) => bench::run(g, c),
            Command::Events(c) => events::run(g, c),
            Command::Nodes => nodes::run(g),
            Command::StartRecording(c) => recording::run(g, RecordingKind::Start, c),
            Command::StopRecording(c) => recording::run(g, RecordingKind::Stop, c),
            Command::PauseRecording(c) => recording::run(g, RecordingKind::Pause, c),
            Command::BlockDtmf(c) => media_control::dtmf(g, true, c),
            Command::UnblockDtmf(c) => media_control::dtmf(g, false, c),
            Command::BlockMedia(c) => media_control::media(g, MediaKind::Block, c),
            Command::UnblockMedia(c) => media_control::media(g, MediaKind::Unblock, c),
            Command::SilenceMedia(c) => media_control::media(g, MediaKind::Silence, c),
            Command::UnsilenceMedia(c) => media_control::media(g, MediaKind::Unsilence, c),
            Command::StartForwarding(c) => media_control::media(g, MediaKind::StartForwarding, c),
            Command::StopForwarding(c) => media_control::media(g, MediaKind::StopForwarding, c),
            Command::PlayMedia(c) => playback::play_media(g, c),
            Command::StopMedia(c) => playback::stop_media(g, c),
            Command::PlayDtmf(c) => playback::play_dtmf(g, c),
            Command::Publish(c) => pubsub::publish(g, c),
            Command::SubscribeRequest(c) => pubsub::subscribe_request(g, c),
            Command::SubscribeAnswer(c) => pubsub::subscribe_answer(g, c),
            Command::Unsubscribe(c) => pubsub::unsubscribe(g, c),
            Command::Connect(c) => pubsub::connect(g, c),
            Command::Transform(c) => session::transform(g, c),
            Command::InjectStart(c) => session::inject(g, true, c),
            Command::InjectStop(c) => session::inject(g, false, c),
            Command::Create(c) => session::create(g, c),
            Command::CreateAnswer(c) => session::create_answer(g, c),
            Command::Mesh(c) => session::mesh(g, c),
        }
    }
}

/// The NG commands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Check that rtpengine answers; prints `pong`.
    Ping,
    /// Rewrite the caller's SDP; prints the rewritten SDP.
    Offer(call::OfferCmd),
    /// Rewrite the callee's SDP; prints the rewritten SDP.
    Answer(call::AnswerCmd),
    /// End a call (or one branch of it); prints its statistics.
    Delete(call::DeleteCmd),
    /// List the call-ids rtpengine knows, one per line.
    List(call::ListCmd),
    /// Print the statistics of a call.
    Query(call::QueryCmd),
    /// Print a summary of rtpengine's statistics (sessions, rates, ports, commands).
    Statistics,
    /// Send a raw request given as a JSON object; prints the reply.
    Request(request::RequestCmd),
    /// Print a shell completion script.
    Completions(info::CompletionsCmd),
    /// Ask the daemon which release it is (e.g. 10.5) and print it.
    Version,
    /// Load-test rtpengine (ping, call or query) and report throughput and latency.
    Bench(bench::BenchCmd),
    /// Print the events rtpengine pushes (DTMF with --dtmf-log-ng-tcp), one per line, until
    /// interrupted; needs a tcp:// server.
    Events(events::EventsCmd),
    /// Ping every --server and print each node's URL, weight, tier, health, version and
    /// latency; exits 3 when a node did not answer.
    Nodes,

    // --- call control (each also answers to rtpengine's own command name) ---
    /// Start recording the call.
    #[command(visible_alias = "start recording")]
    StartRecording(recording::RecordingCmd),
    /// Stop recording the call.
    #[command(visible_alias = "stop recording")]
    StopRecording(recording::RecordingCmd),
    /// Pause recording the call.
    #[command(visible_alias = "pause recording")]
    PauseRecording(recording::RecordingCmd),
    /// Drop (or replace) DTMF sent by the selected party, or in the whole call.
    #[command(visible_alias = "block DTMF", alias = "block dtmf")]
    BlockDtmf(media_control::BlockDtmfCmd),
    /// Let DTMF through again (--all also clears per-party blocks).
    #[command(visible_alias = "unblock DTMF", alias = "unblock dtmf")]
    UnblockDtmf(media_control::BlockDtmfCmd),
    /// Drop media sent by the selected party, or in the whole call.
    #[command(visible_alias = "block media")]
    BlockMedia(media_control::MediaCmd),
    /// Let media through again (--all also clears per-party blocks).
    #[command(visible_alias = "unblock media")]
    UnblockMedia(media_control::MediaCmd),
    /// Replace the payload of media sent by the selected party with silence.
    #[command(visible_alias = "silence media")]
    SilenceMedia(media_control::MediaCmd),
    /// Stop silencing media (--all also clears per-party silencing).
    #[command(visible_alias = "unsilence media")]
    UnsilenceMedia(media_control::MediaCmd),
    /// Start forwarding the call's media to the recording daemon.
    #[command(visible_alias = "start forwarding")]
    StartForwarding(media_control::MediaCmd),
    /// Stop forwarding media.
    #[command(visible_alias = "stop forwarding")]
    StopForwarding(media_control::MediaCmd),
    /// Play a media file to a party; prints its duration when known.
    #[command(visible_alias = "play media")]
    PlayMedia(playback::PlayMediaCmd),
    /// Stop playing media to a party.
    #[command(visible_alias = "stop media")]
    StopMedia(playback::StopMediaCmd),
    /// Inject a DTMF event as if a party had sent it (the call needs --inject-DTMF).
    #[command(visible_alias = "play DTMF", alias = "play dtmf")]
    PlayDtmf(playback::PlayDtmfCmd),

    // --- publish/subscribe ---
    /// Publish a (sendonly) stream; prints the recvonly SDP rtpengine generated.
    Publish(pubsub::PublishCmd),
    /// Create a subscriber; prints its sendonly SDP (and `to-tag: …` on stderr).
    #[command(visible_alias = "subscribe request")]
    SubscribeRequest(pubsub::SubscribeRequestCmd),
    /// Hand rtpengine the subscriber's SDP; media then flows to it.
    #[command(visible_alias = "subscribe answer")]
    SubscribeAnswer(pubsub::SubscribeAnswerCmd),
    /// Stop a subscriber's media.
    Unsubscribe(pubsub::UnsubscribeCmd),

    // --- without offer/answer, and rtpengine's CLI (all newer than 10.5; the release each
    // needs is added to its help from the library's command table) ---
    /// Connect the media of two parties without offer/answer.
    Connect(pubsub::ConnectCmd),
    /// Run a command of rtpengine's CLI and print its output.
    #[command(visible_alias = "CLI")]
    Cli(info::CliCmd),
    /// Set up remote transcoding; prints where to send each media.
    Transform(session::TransformCmd),
    /// Mix a party's audio into another party's.
    #[command(visible_alias = "inject start")]
    InjectStart(session::InjectCmd),
    /// Stop what inject-start started.
    #[command(visible_alias = "inject stop")]
    InjectStop(session::InjectCmd),
    /// Create a call or party; prints its offer SDP (and `call-id: …`, `from-tag: …` on
    /// stderr).
    Create(session::CreateCmd),
    /// Hand rtpengine the remote answer to what create printed.
    #[command(visible_alias = "create answer")]
    CreateAnswer(session::CreateAnswerCmd),
    /// Merge calls and set up media flows between their parties.
    Mesh(session::MeshCmd),
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Parses `rtpe ARGS…` and returns the command (the commands' unit tests use it).
    pub(crate) fn parse(args: &[&str]) -> Result<Command, String> {
        let mut argv = vec!["rtpe"];
        argv.extend_from_slice(args);
        Cli::try_parse_from(argv)
            .map(|c| c.command)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
        Cli::command_with_releases().debug_assert();
    }

    #[test]
    fn newer_commands_name_their_release_from_the_library() {
        let cmd = Cli::command_with_releases();
        let about = |name: &str| {
            cmd.find_subcommand(name)
                .and_then(|c| c.get_about())
                .map(ToString::to_string)
                .unwrap_or_default()
        };
        for (name, ng) in [
            ("connect", "connect"),
            ("mesh", "mesh"),
            ("create-answer", "create answer"),
            ("pause-recording", "pause recording"),
        ] {
            let (_, since) = COMMANDS.iter().find(|(c, _)| *c == ng).unwrap();
            assert!(
                about(name).ends_with(&format!("({since}).")),
                "{name}: {}",
                about(name)
            );
        }
        assert!(!about("offer").contains('('), "{}", about("offer"));
    }
}
