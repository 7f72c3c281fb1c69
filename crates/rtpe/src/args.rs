//! Command-line arguments (clap derive) and their conversion into library options.
//!
//! Option names follow rtpengine's own `rtpengine-ng-client` script (`--trust-address`, `--ICE`,
//! `--TOS`, …); upper-case names also have lower-case aliases (`--ice`, `--tos`, …).

use std::net::IpAddr;
use std::path::PathBuf;

use clap::{ArgAction, Args, Parser, Subcommand};
use clap_complete::Shell;
use rtpengine_client::message::Version;
use rtpengine_client::{
    AddressFamily, DeleteOptions, Direction, Dtls, Ice, QueryOptions, ReceivedFrom, RtcpMux, Sdes,
    ServerUrl, TransportProtocol,
};

pub(crate) use crate::control::{
    BlockDtmfCmd, MediaCmd, PlayDtmfCmd, PlayMediaCmd, RecordingCmd, StopMediaCmd,
};
pub(crate) use crate::media::MediaArgs;
pub(crate) use crate::session::{
    CliCmd, ConnectCmd, CreateAnswerCmd, CreateCmd, InjectCmd, MeshCmd, PublishCmd,
    SubscribeAnswerCmd, SubscribeRequestCmd, TransformCmd, UnsubscribeCmd,
};

/// The server used when neither `--server` nor `$RTPE_SERVER` is given.
pub(crate) const DEFAULT_SERVER: &str = "udp://127.0.0.1:2223";

/// The default deadline of a request, in milliseconds.
pub(crate) const DEFAULT_TIMEOUT_MS: u64 = 10_000;

/// The help heading of the options every command takes.
const GLOBAL: &str = "Global options";

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
    /// rtpengine's NG control address: `udp://HOST[:PORT]`, `tcp://HOST:PORT`, `ws(s)://…`
    /// or `http(s)://…` (bench: repeatable, load spread round-robin; other commands use the
    /// first).
    #[arg(
        long = "server",
        global = true,
        help_heading = GLOBAL,
        env = "RTPE_SERVER",
        default_value = DEFAULT_SERVER,
        value_name = "URL",
        value_parser = parse_server,
        action = ArgAction::Append,
    )]
    pub(crate) servers: Vec<ServerUrl>,

    /// The whole deadline of the request in milliseconds, retransmissions included.
    #[arg(
        long,
        global = true,
        help_heading = GLOBAL,
        value_name = "MS",
        default_value_t = DEFAULT_TIMEOUT_MS,
        value_parser = clap::value_parser!(u64).range(1..),
    )]
    pub(crate) timeout: u64,

    /// Print the whole reply dictionary as one JSON object.
    #[arg(long, global = true, help_heading = GLOBAL)]
    pub(crate) json: bool,

    /// Log to stderr (-v: debug, -vv: trace); setting RUST_LOG also enables logging.
    #[arg(short, long, global = true, help_heading = GLOBAL, action = ArgAction::Count)]
    pub(crate) verbose: u8,

    /// The rtpengine release the server runs, to the patch level where known (12.5.1.31; a
    /// bare 12.5 counts as the line's first release): options and commands it lacks are
    /// refused before anything is sent (exit 2).
    #[arg(
        long,
        global = true,
        help_heading = GLOBAL,
        value_name = "VERSION",
        value_parser = parse_version,
    )]
    pub(crate) rtpengine_version: Option<Version>,

    /// Send options and commands even when --rtpengine-version is older than they need.
    #[arg(long, global = true, help_heading = GLOBAL)]
    pub(crate) no_version_check: bool,

    /// A stream transport to the same rtpengine (tcp://, ws(s)://, http(s)://) for large
    /// requests and for list/query/delete/statistics, whose replies can outgrow a datagram.
    #[arg(long, global = true, help_heading = GLOBAL, value_name = "URL", value_parser = parse_server)]
    pub(crate) stream: Option<ServerUrl>,

    /// Send request bodies as JSON (UDP, HTTP and WebSocket only).
    #[arg(long, global = true, help_heading = GLOBAL)]
    pub(crate) ng_json: bool,

    /// PEM file of root certificates to trust for https:// and wss:// (default: the system's).
    #[arg(long, global = true, help_heading = GLOBAL, value_name = "FILE")]
    pub(crate) tls_ca: Option<PathBuf>,

    /// PEM file of a client certificate chain (with --tls-key).
    #[arg(long, global = true, help_heading = GLOBAL, value_name = "FILE", requires = "tls_key")]
    pub(crate) tls_cert: Option<PathBuf>,

    /// PEM file of the client certificate's private key (with --tls-cert).
    #[arg(long, global = true, help_heading = GLOBAL, value_name = "FILE", requires = "tls_cert")]
    pub(crate) tls_key: Option<PathBuf>,

    /// Do not verify the server's TLS certificate (insecure; logged as a warning).
    #[arg(long, global = true, help_heading = GLOBAL)]
    pub(crate) tls_insecure: bool,

    /// The NG command to send.
    #[command(subcommand)]
    pub(crate) command: Command,
}

impl Cli {
    /// The server of every command but `bench`: the first `--server`.
    pub(crate) fn server(&self) -> &ServerUrl {
        // clap's default value guarantees one.
        &self.servers[0]
    }
}

/// The NG commands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Check that rtpengine answers; prints `pong`.
    Ping,
    /// Rewrite the caller's SDP; prints the rewritten SDP.
    Offer(OfferCmd),
    /// Rewrite the callee's SDP; prints the rewritten SDP.
    Answer(AnswerCmd),
    /// End a call (or one branch of it); prints its statistics.
    Delete(DeleteCmd),
    /// List the call-ids rtpengine knows, one per line.
    List(ListCmd),
    /// Print the statistics of a call.
    Query(QueryCmd),
    /// Print a summary of rtpengine's statistics (sessions, rates, ports, commands).
    Statistics,
    /// Send a raw request given as a JSON object; prints the reply.
    Request(RequestCmd),
    /// Print a shell completion script.
    Completions(CompletionsCmd),
    /// Ask the daemon which release it is (e.g. 10.5) and print it.
    Version,
    /// Load-test rtpengine (ping, call or query) and report throughput and latency.
    Bench(crate::bench::BenchCmd),
    /// Print the events rtpengine pushes (DTMF with --dtmf-log-ng-tcp), one per line, until
    /// interrupted; needs a tcp:// server.
    Events(EventsCmd),

    // --- call control (each also answers to rtpengine's own command name) ---
    /// Start recording the call.
    #[command(visible_alias = "start recording")]
    StartRecording(RecordingCmd),
    /// Stop recording the call.
    #[command(visible_alias = "stop recording")]
    StopRecording(RecordingCmd),
    /// Pause recording the call (11.3).
    #[command(visible_alias = "pause recording")]
    PauseRecording(RecordingCmd),
    /// Drop (or replace) DTMF sent by the selected party, or in the whole call.
    #[command(visible_alias = "block DTMF", alias = "block dtmf")]
    BlockDtmf(BlockDtmfCmd),
    /// Let DTMF through again (--all also clears per-party blocks).
    #[command(visible_alias = "unblock DTMF", alias = "unblock dtmf")]
    UnblockDtmf(BlockDtmfCmd),
    /// Drop media sent by the selected party, or in the whole call.
    #[command(visible_alias = "block media")]
    BlockMedia(MediaCmd),
    /// Let media through again (--all also clears per-party blocks).
    #[command(visible_alias = "unblock media")]
    UnblockMedia(MediaCmd),
    /// Replace the payload of media sent by the selected party with silence.
    #[command(visible_alias = "silence media")]
    SilenceMedia(MediaCmd),
    /// Stop silencing media (--all also clears per-party silencing).
    #[command(visible_alias = "unsilence media")]
    UnsilenceMedia(MediaCmd),
    /// Start forwarding the call's media to the recording daemon.
    #[command(visible_alias = "start forwarding")]
    StartForwarding(MediaCmd),
    /// Stop forwarding media.
    #[command(visible_alias = "stop forwarding")]
    StopForwarding(MediaCmd),
    /// Play a media file to a party; prints its duration when known.
    #[command(visible_alias = "play media")]
    PlayMedia(PlayMediaCmd),
    /// Stop playing media to a party.
    #[command(visible_alias = "stop media")]
    StopMedia(StopMediaCmd),
    /// Inject a DTMF event as if a party had sent it (the call needs --inject-DTMF).
    #[command(visible_alias = "play DTMF", alias = "play dtmf")]
    PlayDtmf(PlayDtmfCmd),

    // --- publish/subscribe ---
    /// Publish a (sendonly) stream; prints the recvonly SDP rtpengine generated.
    Publish(PublishCmd),
    /// Create a subscriber; prints its sendonly SDP (and `to-tag: …` on stderr).
    #[command(visible_alias = "subscribe request")]
    SubscribeRequest(SubscribeRequestCmd),
    /// Hand rtpengine the subscriber's SDP; media then flows to it.
    #[command(visible_alias = "subscribe answer")]
    SubscribeAnswer(SubscribeAnswerCmd),
    /// Stop a subscriber's media.
    Unsubscribe(UnsubscribeCmd),

    // --- newer than 10.5 ---
    /// Connect the media of two parties without offer/answer (13.2).
    Connect(ConnectCmd),
    /// Run a command of rtpengine's CLI and print its output (13.2).
    #[command(visible_alias = "CLI")]
    Cli(CliCmd),
    /// Set up remote transcoding; prints where to send each media (13.3).
    Transform(TransformCmd),
    /// Mix a party's audio into another party's (26.0).
    #[command(visible_alias = "inject start")]
    InjectStart(InjectCmd),
    /// Stop what inject-start started (26.0).
    #[command(visible_alias = "inject stop")]
    InjectStop(InjectCmd),
    /// Create a call or party; prints its offer SDP (and `call-id: …`, `from-tag: …` on
    /// stderr) (26.0).
    Create(CreateCmd),
    /// Hand rtpengine the remote answer to what create printed (26.0).
    #[command(visible_alias = "create answer")]
    CreateAnswer(CreateAnswerCmd),
    /// Merge calls and set up media flows between their parties (26.1).
    Mesh(MeshCmd),
}

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

/// Arguments of `events`.
#[derive(Debug, Args)]
pub(crate) struct EventsCmd {
    /// Stop after this many events.
    #[arg(long, value_name = "N")]
    pub(crate) count: Option<u64>,
}

/// Arguments of `completions`.
#[derive(Debug, Args)]
pub(crate) struct CompletionsCmd {
    /// The shell.
    #[arg(value_name = "SHELL")]
    pub(crate) shell: Shell,
}

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
    /// Delete only the dialogue branch with this callee tag.
    #[arg(long, value_name = "TAG")]
    pub(crate) to_tag: Option<String>,
    /// The branch of the SIP Via header.
    #[arg(long, value_name = "BRANCH")]
    pub(crate) via_branch: Option<String>,
    /// An unknown call is an error (exit 1) instead of a warning.
    #[arg(long)]
    pub(crate) fatal: bool,
    /// Seconds before the call is removed (0: at once; default: the daemon's setting).
    #[arg(long, value_name = "N")]
    pub(crate) delete_delay: Option<u32>,
    /// Raw flags and keys.
    #[command(flatten)]
    pub(crate) raw: RawArgs,
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
    /// The caller's tag.
    #[arg(long, value_name = "TAG")]
    pub(crate) from_tag: Option<String>,
    /// The callee's tag.
    #[arg(long, value_name = "TAG")]
    pub(crate) to_tag: Option<String>,
    /// The branch of the SIP Via header.
    #[arg(long, value_name = "BRANCH")]
    pub(crate) via_branch: Option<String>,
    /// Raw flags and keys.
    #[command(flatten)]
    pub(crate) raw: RawArgs,
}

/// Where the SDP body of `offer`/`answer` comes from (exactly one is required).
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub(crate) struct SdpSource {
    /// The SDP body as text.
    #[arg(long, value_name = "TEXT")]
    pub(crate) sdp: Option<String>,
    /// Read the SDP body from a file (`-`: standard input).
    #[arg(long, value_name = "PATH")]
    pub(crate) sdp_file: Option<PathBuf>,
}

/// The generic escape hatches, accepted by every command with options.
#[derive(Debug, Default, Args)]
pub(crate) struct RawArgs {
    /// Add a raw entry to the `flags` list (repeatable).
    #[arg(long = "flag", visible_alias = "flags", value_name = "TEXT")]
    pub(crate) flags: Vec<String>,
    /// Add a raw string key, KEY=VALUE (repeatable; replaces a typed key of the same name).
    #[arg(long = "key", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    pub(crate) keys: Vec<(String, String)>,
}

impl DeleteCmd {
    /// Builds the library's options.
    pub(crate) fn to_options(&self) -> DeleteOptions {
        let mut opts = DeleteOptions::new().fatal(self.fatal);
        if let Some(tag) = &self.to_tag {
            opts = opts.to_tag(tag.clone());
        }
        if let Some(branch) = &self.via_branch {
            opts = opts.via_branch(branch.clone());
        }
        if let Some(delay) = self.delete_delay {
            opts = opts.delete_delay(delay);
        }
        for flag in &self.raw.flags {
            opts = opts.raw_flag(flag.clone());
        }
        for (key, value) in &self.raw.keys {
            opts = opts.raw_key(key.clone(), value.clone());
        }
        opts
    }
}

impl QueryCmd {
    /// Builds the library's options.
    pub(crate) fn to_options(&self) -> QueryOptions {
        let mut opts = QueryOptions::new();
        if let Some(tag) = &self.from_tag {
            opts = opts.from_tag(tag.clone());
        }
        if let Some(tag) = &self.to_tag {
            opts = opts.to_tag(tag.clone());
        }
        if let Some(branch) = &self.via_branch {
            opts = opts.raw_key("via-branch", branch.clone());
        }
        for flag in &self.raw.flags {
            opts = opts.raw_flag(flag.clone());
        }
        for (key, value) in &self.raw.keys {
            opts = opts.raw_key(key.clone(), value.clone());
        }
        opts
    }
}

/// The interface name that asks for round-robin selection per call.
const ROUND_ROBIN_CALLS: &str = "round-robin-calls";

/// Turns the values of `--direction` (split at commas, every occurrence) into a direction.
pub(crate) fn direction(values: &[String]) -> Result<Option<Direction>, String> {
    match values {
        [] => Ok(None),
        [one] if one == ROUND_ROBIN_CALLS => Ok(Some(Direction::RoundRobinCalls)),
        [a, b] if a == ROUND_ROBIN_CALLS && b == ROUND_ROBIN_CALLS => {
            Ok(Some(Direction::RoundRobinCalls))
        }
        [a, b] if !a.is_empty() && !b.is_empty() => Ok(Some(Direction::new(a, b))),
        _ => Err(format!(
            "--direction needs two interface names, as A,B or given twice (or \
             '{ROUND_ROBIN_CALLS}'); got {values:?}"
        )),
    }
}

/// Parses `--server`.
fn parse_server(s: &str) -> Result<ServerUrl, String> {
    ServerUrl::parse(s).map_err(|e| e.to_string())
}

/// Parses `--rtpengine-version`.
fn parse_version(s: &str) -> Result<Version, String> {
    Version::parse(s)
        .map_err(|_| format!("'{s}' is not an rtpengine version (e.g. 12.5 or 12.5.1.31)"))
}

/// Parses `--key KEY=VALUE`.
fn parse_key_value(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_owned(), value.to_owned())),
        _ => Err("expected KEY=VALUE with a non-empty KEY".to_owned()),
    }
}

/// Parses `--received-from`: `ADDR`, `IP4:ADDR`, `IP6:ADDR` (or with a space instead of `:`).
pub(crate) fn parse_received_from(s: &str) -> Result<ReceivedFrom, String> {
    let s = s.trim();
    if let Ok(addr) = s.parse::<IpAddr>() {
        return Ok(ReceivedFrom::from(addr));
    }
    let family = s.get(..3).map(str::to_ascii_uppercase);
    let rest = s
        .get(4..)
        .filter(|_| matches!(s.as_bytes().get(3), Some(b':' | b' ')));
    let (Some(family), Some(rest)) = (family, rest) else {
        return Err("expected an IP address, IP4:ADDR or IP6:ADDR".to_owned());
    };
    let rest = rest.trim();
    let text = rest
        .strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .unwrap_or(rest);
    let addr: IpAddr = text
        .parse()
        .map_err(|_| format!("'{text}' is not an IP address"))?;
    let family = match family.as_str() {
        "IP4" => AddressFamily::Ip4,
        "IP6" => AddressFamily::Ip6,
        other => return Err(format!("unknown address family '{other}' (IP4 or IP6)")),
    };
    if family != AddressFamily::of(&addr) {
        return Err(format!("'{addr}' is not an {family} address"));
    }
    Ok(ReceivedFrom::new(family, addr.to_string()))
}

/// Parses a value of one of the library's text enums, refusing values it does not know.
pub(crate) fn known<T>(s: &str, expected: &str, is_other: impl Fn(&T) -> bool) -> Result<T, String>
where
    T: std::str::FromStr<Err = std::convert::Infallible>,
{
    let value = match s.parse::<T>() {
        Ok(v) => v,
        Err(never) => match never {},
    };
    if is_other(&value) {
        Err(format!(
            "unknown value '{s}' (expected one of: {expected}; --key sends any other value)"
        ))
    } else {
        Ok(value)
    }
}

/// Parses `--ICE`.
pub(crate) fn parse_ice(s: &str) -> Result<Ice, String> {
    known(s, "remove, force, force-relay", |v| {
        matches!(v, Ice::Other(_))
    })
}

/// Parses `--DTLS`.
pub(crate) fn parse_dtls(s: &str) -> Result<Dtls, String> {
    known(s, "off, passive, active", |v| matches!(v, Dtls::Other(_)))
}

/// Parses `--address-family`.
pub(crate) fn parse_family(s: &str) -> Result<AddressFamily, String> {
    known(s, "IP4, IP6", |v| matches!(v, AddressFamily::Other(_)))
}

/// Parses `--rtcp-mux`.
pub(crate) fn parse_rtcp_mux(s: &str) -> Result<RtcpMux, String> {
    known(s, "offer, demux, accept, reject, require", |v| {
        matches!(v, RtcpMux::Other(_))
    })
}

/// Parses `--protocol`: the known profiles in their canonical spelling, anything else as written.
pub(crate) fn parse_protocol(s: &str) -> Result<TransportProtocol, String> {
    if s.is_empty() {
        return Err("empty transport protocol".to_owned());
    }
    match s.parse::<TransportProtocol>() {
        Ok(v) => Ok(v),
        Err(never) => match never {},
    }
}

/// Parses `--SDES`: the known options, anything else (e.g. suite names) as written.
pub(crate) fn parse_sdes(s: &str) -> Result<Sdes, String> {
    if s.is_empty() {
        return Err("empty SDES option".to_owned());
    }
    match s.parse::<Sdes>() {
        Ok(v) => Ok(v),
        Err(never) => match never {},
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;
    use rtpengine_client::Flag;

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn directions() {
        let s = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(direction(&[]).unwrap(), None);
        assert_eq!(
            direction(&s(&["pub", "priv"])).unwrap(),
            Some(Direction::new("pub", "priv"))
        );
        assert_eq!(
            direction(&s(&["round-robin-calls"])).unwrap(),
            Some(Direction::RoundRobinCalls)
        );
        assert!(direction(&s(&["a"])).is_err());
        assert!(direction(&s(&["a", "b", "c"])).is_err());
        assert!(direction(&s(&["a", ""])).is_err());
    }

    #[test]
    fn received_from() {
        let rf = parse_received_from("192.0.2.1").unwrap();
        assert_eq!(
            (rf.family, rf.address.as_str()),
            (AddressFamily::Ip4, "192.0.2.1")
        );
        let rf = parse_received_from("IP6:2001:db8::1").unwrap();
        assert_eq!(
            (rf.family, rf.address.as_str()),
            (AddressFamily::Ip6, "2001:db8::1")
        );
        let rf = parse_received_from("ip4 10.0.0.1").unwrap();
        assert_eq!(rf.family, AddressFamily::Ip4);
        let rf = parse_received_from("IP6:[::1]").unwrap();
        assert_eq!(rf.address, "::1");
        assert!(parse_received_from("IP4:::1").is_err());
        assert!(parse_received_from("IP5:1.2.3.4").is_err());
        assert!(parse_received_from("example.com").is_err());
    }

    #[test]
    fn enums_and_keys() {
        assert_eq!(parse_ice("force-relay").unwrap(), Ice::ForceRelay);
        assert_eq!(parse_ice("REMOVE").unwrap(), Ice::Remove);
        assert!(parse_ice("sometimes").is_err());
        assert_eq!(parse_family("ip6").unwrap(), AddressFamily::Ip6);
        assert_eq!(
            parse_protocol("rtp/savp").unwrap(),
            TransportProtocol::RtpSavp
        );
        assert_eq!(
            parse_protocol("UDP/TLS/RTP/SAVPF").unwrap(),
            TransportProtocol::UdpTlsRtpSavpf
        );
        assert_eq!(
            parse_key_value("a=b=c").unwrap(),
            ("a".to_owned(), "b=c".to_owned())
        );
        assert!(parse_key_value("=x").is_err());
        assert!(parse_key_value("x").is_err());
        assert!(parse_server("ftp://x").is_err());
    }

    #[test]
    fn parses_ng_client_spellings() {
        let cli = Cli::try_parse_from([
            "rtpe",
            "offer",
            "--call-id=c",
            "--from-tag=f",
            "--sdp=v=0",
            "--ICE=remove",
            "--TOS",
            "184",
            "--SDES",
            "off",
            "--sdes",
            "unencrypted_srtcp",
            "--direction",
            "a,b",
            "--rtcp-mux",
            "demux",
            "--record-call",
            "--flag",
            "loop protect",
            "--key",
            "label=x",
        ])
        .unwrap();
        let Command::Offer(offer) = cli.command else {
            panic!("not an offer")
        };
        let opts = offer.media.to_options(None).unwrap();
        assert_eq!(
            opts.ice,
            rtpengine_client::message::options::OneOrList(vec![Ice::Remove])
        );
        assert_eq!(opts.tos, Some(184));
        assert_eq!(opts.sdes, [Sdes::Off, Sdes::UnencryptedSrtcp]);
        assert_eq!(opts.direction, Some(Direction::new("a", "b")));
        assert_eq!(opts.flags, [Flag::RecordCall]);
        assert_eq!(opts.record_call, Some(rtpengine_client::RecordCall::Yes));
        assert_eq!(opts.raw.flags, ["loop protect"]);
        assert_eq!(cli.timeout, DEFAULT_TIMEOUT_MS);

        let cli = Cli::try_parse_from([
            "rtpe",
            "answer",
            "--call-id=c",
            "--from-tag=f",
            "--to-tag=t",
            "--sdp-file=-",
            "--direction",
            "pub",
            "--direction",
            "priv",
            "--received-from",
            "IP4:192.0.2.1",
            "--json",
            "--timeout",
            "250",
        ])
        .unwrap();
        let Command::Answer(answer) = cli.command else {
            panic!("not an answer")
        };
        let opts = answer.media.to_options(Some("z9hG4bK1")).unwrap();
        assert_eq!(opts.direction, Some(Direction::new("pub", "priv")));
        assert_eq!(opts.via_branch.as_deref(), Some("z9hG4bK1"));
        assert_eq!(
            opts.received_from,
            Some(ReceivedFrom::new(AddressFamily::Ip4, "192.0.2.1"))
        );
        assert!(cli.json);
        assert_eq!(cli.timeout, 250);
    }
}
