//! The global options and what they set up: the client, its connection within the deadline,
//! and the runtime a command runs on.

use rtpengine_client::NgCommands;
use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgAction, Args};
use rtpengine_client::{Client, ClientBuilder, Error, ServerUrl, Version};
use tokio::time::Instant;

use rtpengine_client::{Ack, Request};

use super::outcome::{Failure, Output, EXIT_OTHER, EXIT_TIMEOUT};
use super::render::render_ack;

/// The server used when neither `--server` nor `$RTPE_SERVER` is given.
pub(crate) const DEFAULT_SERVER: &str = "udp://127.0.0.1:2223";

/// The default deadline of a request, in milliseconds.
pub(crate) const DEFAULT_TIMEOUT_MS: u64 = 10_000;

/// The help heading of the options every command takes.
const GLOBAL: &str = "Global options";

/// The options every command takes (`global = true`: they may follow the subcommand too).
#[derive(Debug, Args)]
pub(crate) struct GlobalArgs {
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
}

impl GlobalArgs {
    /// The server of every command but `bench`: the first `--server`.
    pub(crate) fn server(&self) -> &ServerUrl {
        // clap's default value guarantees one.
        &self.servers[0]
    }

    /// Classifies a library error against this deadline.
    pub(crate) fn failure(&self, err: Error) -> Failure {
        Failure::from_client(err, self.timeout)
    }

    /// Connects to the first server; connecting and the request that follows share the one
    /// `--timeout` (the client gets what connecting left over).
    pub(crate) async fn connect(&self) -> Result<Client, Failure> {
        let timeout_ms = self.timeout;
        let deadline = Duration::from_millis(timeout_ms);
        let start = Instant::now();
        let timed_out = || {
            Failure::new(
                EXIT_TIMEOUT,
                format!(
                    "timed out: no reply from rtpengine at {} within {timeout_ms} ms",
                    self.server()
                ),
            )
        };
        let connect = client_builder(self, self.server())?
            .timeout(deadline)
            .connect();
        let client = tokio::time::timeout(deadline, connect)
            .await
            .map_err(|_| timed_out())?
            .map_err(|e| self.failure(e))?;
        let remaining = deadline.saturating_sub(start.elapsed());
        if remaining.is_zero() {
            return Err(timed_out());
        }
        Ok(client.with_timeout(remaining))
    }

    /// Connects and sends a request that rtpengine answers with a bare acknowledgement; prints
    /// nothing but its warning (the reply with `--json`).
    pub(crate) async fn send_ack<R: Request + Sync + ?Sized>(
        &self,
        request: &R,
    ) -> Result<Output, Failure> {
        let client = self.connect().await?;
        let reply = client.send(request).await.map_err(|e| self.failure(e))?;
        Ok(render_ack(self.json, Ack::from_dict(reply)))
    }
}

/// Runs a command's future on a current-thread runtime.
pub(crate) fn block_on(
    command: impl Future<Output = Result<Output, Failure>>,
) -> Result<Output, Failure> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::new(EXIT_OTHER, format!("cannot start the async runtime: {e}")))?
        .block_on(command)
}

/// A client builder for `url` with every global connection option applied (version, stream
/// transport, JSON bodies, TLS).
pub(crate) fn client_builder(
    global: &GlobalArgs,
    url: &ServerUrl,
) -> Result<ClientBuilder, Failure> {
    let mut builder = Client::builder(url.to_string())
        .timeout(Duration::from_millis(global.timeout))
        .version_check(!global.no_version_check)
        .json(global.ng_json);
    if let Some(version) = global.rtpengine_version {
        builder = builder.rtpengine_version(version);
    }
    if let Some(stream) = &global.stream {
        builder = builder.stream(stream.to_string());
    }
    let read = |path: &std::path::Path| {
        std::fs::read(path)
            .map_err(|e| Failure::new(EXIT_OTHER, format!("cannot read {}: {e}", path.display())))
    };
    if let Some(ca) = &global.tls_ca {
        builder = builder.tls_root_certificates_pem(read(ca)?);
    }
    if let (Some(cert), Some(key)) = (&global.tls_cert, &global.tls_key) {
        builder = builder.tls_client_certificate_pem(read(cert)?, read(key)?);
    }
    if global.tls_insecure {
        builder = builder.danger_accept_invalid_certificates();
    }
    Ok(builder)
}

/// Connects a client to `url` (within `--timeout`).
pub(crate) async fn connect_client(
    global: &GlobalArgs,
    url: &ServerUrl,
) -> Result<Client, Failure> {
    let builder = client_builder(global, url)?;
    tokio::time::timeout(Duration::from_millis(global.timeout), builder.connect())
        .await
        .map_err(|_| {
            Failure::new(
                EXIT_TIMEOUT,
                format!(
                    "timed out: connecting to {url} took longer than {} ms",
                    global.timeout
                ),
            )
        })?
        .map_err(|e| Failure::from_client(e, global.timeout))
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
