//! The global options and what they set up: the client (one `--server`) or the cluster
//! (several), its connection within the deadline, and the runtime a command runs on.

use rtpengine_client::NgCommands;
use std::fmt;
use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgAction, Args};
use rtpengine_client::bencode::Dict;
use rtpengine_client::{Client, ClientBuilder, Cluster, Error, NodeUrl, ServerUrl, Version};
use tokio::time::Instant;

use rtpengine_client::{Ack, Request};

use super::outcome::{usage, Failure, Output, EXIT_OTHER, EXIT_TIMEOUT};
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
    /// or `http(s)://…`. Repeat it for a cluster: each call goes to one node, placed by its
    /// call-id; `?weight=N&tier=N` after a URL sets the node's share of new calls (default 1,
    /// 0: backup only) and priority tier (default 0, lower first).
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
    pub(crate) servers: Vec<ServerArg>,

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
    /// (One --server only.)
    #[arg(long, global = true, help_heading = GLOBAL, value_name = "URL", value_parser = parse_url)]
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

/// One `--server` value: the URL and, for a node of a cluster, its weight and tier
/// (`?weight=N&tier=N`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ServerArg {
    /// The URL without its query.
    pub(crate) url: ServerUrl,
    /// The value as given (query included): what the cluster reads.
    pub(crate) text: String,
    /// The node's share of new calls in its tier (default 1; 0: backup only).
    pub(crate) weight: u32,
    /// The node's priority tier (default 0; lower tiers first).
    pub(crate) tier: u32,
}

impl fmt::Display for ServerArg {
    /// The URL, spelled canonically, without the query (the node's name in reports).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.url.fmt(f)
    }
}

/// Where a command's requests go: one rtpengine (one `--server`, exactly as before clusters
/// existed) or a cluster of them (several `--server`s; calls placed by call-id).
#[derive(Debug, Clone)]
pub(crate) enum Target {
    /// One rtpengine.
    One(Client),
    /// Several, as one cluster.
    Many(Cluster),
}

impl NgCommands for Target {
    async fn send<R: Request + Sync + ?Sized>(&self, request: &R) -> Result<Dict, Error> {
        match self {
            Self::One(client) => client.send(request).await,
            Self::Many(cluster) => cluster.send(request).await,
        }
    }

    async fn send_unchecked<R: Request + Sync + ?Sized>(&self, request: &R) -> Result<Dict, Error> {
        match self {
            Self::One(client) => client.send_unchecked(request).await,
            Self::Many(cluster) => cluster.send_unchecked(request).await,
        }
    }
}

impl Target {
    /// The deadline of a request.
    pub(crate) fn timeout(&self) -> Duration {
        match self {
            Self::One(client) => client.timeout(),
            Self::Many(cluster) => cluster.timeout(),
        }
    }
}

/// The client settings of the global options, applied to every node's client (owned, so a
/// cluster can apply them to each node it opens).
#[derive(Debug, Clone, Default)]
struct ClientSettings {
    version_check: bool,
    json: bool,
    version: Option<Version>,
    stream: Option<String>,
    tls_ca: Option<Vec<u8>>,
    tls_identity: Option<(Vec<u8>, Vec<u8>)>,
    tls_insecure: bool,
}

impl ClientSettings {
    /// Reads the settings (and the TLS files) of the global options.
    fn of(global: &GlobalArgs) -> Result<Self, Failure> {
        let read = |path: &std::path::Path| {
            std::fs::read(path).map_err(|e| {
                Failure::new(EXIT_OTHER, format!("cannot read {}: {e}", path.display()))
            })
        };
        let tls_identity = match (&global.tls_cert, &global.tls_key) {
            (Some(cert), Some(key)) => Some((read(cert)?, read(key)?)),
            _ => None,
        };
        Ok(Self {
            version_check: !global.no_version_check,
            json: global.ng_json,
            version: global.rtpengine_version,
            stream: global.stream.as_ref().map(ToString::to_string),
            tls_ca: global.tls_ca.as_deref().map(read).transpose()?,
            tls_identity,
            tls_insecure: global.tls_insecure,
        })
    }

    /// `builder` with these settings.
    fn apply(&self, builder: ClientBuilder) -> ClientBuilder {
        let mut builder = builder.version_check(self.version_check).json(self.json);
        if let Some(version) = self.version {
            builder = builder.rtpengine_version(version);
        }
        if let Some(stream) = &self.stream {
            builder = builder.stream(stream.clone());
        }
        if let Some(ca) = &self.tls_ca {
            builder = builder.tls_root_certificates_pem(ca.clone());
        }
        if let Some((cert, key)) = &self.tls_identity {
            builder = builder.tls_client_certificate_pem(cert.clone(), key.clone());
        }
        if self.tls_insecure {
            builder = builder.danger_accept_invalid_certificates();
        }
        builder
    }
}

impl GlobalArgs {
    /// The first `--server` (the only one unless a cluster is given).
    pub(crate) fn server(&self) -> &ServerUrl {
        // clap's default value guarantees one.
        &self.servers[0].url
    }

    /// Whether several `--server`s make a cluster.
    pub(crate) fn is_cluster(&self) -> bool {
        self.servers.len() > 1
    }

    /// Refuses a command that talks to one rtpengine when several `--server`s are given.
    pub(crate) fn single(&self, command: &str) -> Result<(), Failure> {
        if self.is_cluster() {
            return Err(usage(format!(
                "'{command}' talks to one rtpengine, but {} --server options were given: give \
                 one (`rtpe nodes` shows every node of the cluster)",
                self.servers.len()
            )));
        }
        Ok(())
    }

    /// Classifies a library error against this deadline.
    pub(crate) fn failure(&self, err: Error) -> Failure {
        Failure::from_client(err, self.timeout)
    }

    /// Connects to the server, or with several `--server`s to the cluster they form;
    /// connecting and the request that follows share the one `--timeout` (the requests get
    /// what connecting left over).
    pub(crate) async fn connect(&self) -> Result<Target, Failure> {
        if self.is_cluster() {
            return self.cluster().await.map(Target::Many);
        }
        self.connect_one().await.map(Target::One)
    }

    /// Connects to the first server alone, within `--timeout` (the client gets what connecting
    /// left over).
    pub(crate) async fn connect_one(&self) -> Result<Client, Failure> {
        let deadline = Duration::from_millis(self.timeout);
        let connect = client_builder(self, self.server())?
            .timeout(deadline)
            .connect();
        let what = format!("no reply from rtpengine at {}", self.server());
        let (client, remaining) = self.within_timeout(connect, &what).await?;
        Ok(client.with_timeout(remaining))
    }

    /// The cluster of every `--server` (also of one, for `nodes`): each node's client gets the
    /// global settings; opening it and the request that follows share `--timeout`.
    pub(crate) async fn cluster(&self) -> Result<Cluster, Failure> {
        if self.stream.is_some() && self.is_cluster() {
            return Err(usage(
                "--stream names the stream transport of one rtpengine: it cannot be used with \
                 several --server options",
            ));
        }
        let settings = ClientSettings::of(self)?;
        let build = Cluster::builder()
            .nodes(self.servers.iter().map(|s| s.text.clone()))
            .client(move |b| settings.apply(b))
            .timeout(Duration::from_millis(self.timeout))
            .build();
        let (cluster, remaining) = self
            .within_timeout(build, "could not connect to the nodes")
            .await?;
        Ok(cluster.with_timeout(remaining))
    }

    /// Runs `open` within `--timeout`: what it opened and the time left for the requests.
    async fn within_timeout<T>(
        &self,
        open: impl Future<Output = Result<T, Error>>,
        what: &str,
    ) -> Result<(T, Duration), Failure> {
        let timeout_ms = self.timeout;
        let deadline = Duration::from_millis(timeout_ms);
        let start = Instant::now();
        let timed_out = || {
            Failure::new(
                EXIT_TIMEOUT,
                format!("timed out: {what} within {timeout_ms} ms"),
            )
        };
        let opened = tokio::time::timeout(deadline, open)
            .await
            .map_err(|_| timed_out())?
            .map_err(|e| self.failure(e))?;
        let remaining = deadline.saturating_sub(start.elapsed());
        if remaining.is_zero() {
            return Err(timed_out());
        }
        Ok((opened, remaining))
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

/// A client builder for `url` with every global connection option applied (deadline, version,
/// stream transport, JSON bodies, TLS).
pub(crate) fn client_builder(
    global: &GlobalArgs,
    url: &ServerUrl,
) -> Result<ClientBuilder, Failure> {
    let builder = Client::builder(url.to_string()).timeout(Duration::from_millis(global.timeout));
    Ok(ClientSettings::of(global)?.apply(builder))
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

/// Parses `--server`: a URL with an optional `?weight=N&tier=N` (for a cluster's node), read by
/// the library's one reader of that syntax.
fn parse_server(s: &str) -> Result<ServerArg, String> {
    let node = NodeUrl::parse(s).map_err(|e| e.to_string())?;
    Ok(ServerArg {
        url: node.url.clone(),
        text: s.to_owned(),
        weight: node.weight,
        tier: node.tier,
    })
}

/// Parses a plain URL (`--stream`, and `--server` before its query).
fn parse_url(s: &str) -> Result<ServerUrl, String> {
    ServerUrl::parse(s).map_err(|e| e.to_string())
}

/// Parses `--rtpengine-version`.
fn parse_version(s: &str) -> Result<Version, String> {
    Version::parse(s)
        .map_err(|_| format!("'{s}' is not an rtpengine version (e.g. 12.5 or 12.5.1.31)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_query_sets_weight_and_tier() {
        let plain = parse_server("udp://127.0.0.1:2223").unwrap();
        assert_eq!((plain.weight, plain.tier), (1, 0));
        assert_eq!(plain.to_string(), "udp://127.0.0.1:2223");
        let node = parse_server("udp://127.0.0.1:2224?weight=3&tier=2").unwrap();
        assert_eq!((node.weight, node.tier), (3, 2));
        assert_eq!(node.text, "udp://127.0.0.1:2224?weight=3&tier=2");
        assert_eq!(node.to_string(), "udp://127.0.0.1:2224");
        assert_eq!(parse_server("udp://h:1?weight=0").unwrap().weight, 0);
        assert!(parse_server("udp://h:1?weight=-1").is_err());
        assert!(parse_server("udp://h:1?colour=red").is_err());
        assert!(parse_server("nonsense://h?weight=1").is_err());
    }
}
