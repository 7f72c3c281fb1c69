//! `rtpe`: a command-line client for Sipwise rtpengine's NG control protocol.
//!
//! ```text
//! rtpe [--server URL] [--timeout MS] [--json] [-v] [--rtpengine-version X.Y]
//!      [--no-version-check] COMMAND [options]
//! ```
//!
//! * `--server URL`: rtpengine's NG address, `udp://host[:port]`; defaults to `$RTPE_SERVER`,
//!   else `udp://127.0.0.1:2223`. Repeated, the servers form a cluster for every command: a
//!   call is placed on one node by its call-id and its later requests follow it there;
//!   `URL?weight=N&tier=N` sets a node's share of new calls (default 1, 0: backup only) and
//!   its priority tier (default 0, lower first). `statistics`, `version`, `cli` and `events`
//!   talk to one daemon and refuse several servers (exit 2); `list` joins every node's calls.
//! * `--timeout MS`: the whole deadline in milliseconds, retransmissions included (default
//!   10000).
//! * `--json`: print the whole reply dictionary as one JSON object (keys in reply order).
//! * `-v` / `RUST_LOG`: log to stderr.
//! * `--rtpengine-version X.Y`: the release the server runs; commands and options newer than it
//!   are refused before anything is sent (exit 2, naming the option and its release).
//!   `--no-version-check` sends them anyway.
//!
//! Commands:
//!
//! * `ping`: prints `pong`.
//! * `offer --call-id ID --from-tag TAG (--sdp TEXT | --sdp-file PATH|-) [options]` and
//!   `answer … --to-tag TAG …`: print only the rewritten SDP, so they pipe. They take the whole
//!   SDP option catalogue, spelled as in rtpengine's `rtpengine-ng-client` (a superset of its
//!   options for these commands): every boolean flag (`--trust-address`, `--loop-protect`,
//!   `--SIP-source-address`, `--directional`, …), `--replace-*`, `--codec-*` (with
//!   `--codec-options-flat`), `--sdp-attr-{global,none,audio,video}-{add,remove,substitute}`,
//!   `--ICE`, `--ICE-lite`, `--DTLS`, `--DTLS-reverse`, `--DTLS-fingerprint`, `--SDES`,
//!   `--OSRTP`, `--T38`, `--label`, `--set-label`, `--interface`, `--ptime`, `--moh-*`, … (see
//!   `rtpe offer --help`). These options are generated from the library's catalogue: one
//!   `--KEY` per key (nested dictionaries joined by dashes), a switch per flag and `replace`
//!   value, the help line from the key's documentation with the releases that have it; values
//!   are checked by the library, and with `--rtpengine-version` its version gate applies.
//! * `delete --call-id ID [--from-tag TAG] [--to-tag TAG] [--fatal] [--delete-delay N]`
//!   and `query --call-id ID [--from-tag TAG] [--to-tag TAG]`: print a readable summary of the
//!   call (parties, media, streams, counters).
//! * `list [--limit N]`: prints one call-id per line.
//! * `statistics`: a summary of the daemon's statistics (sessions, rates, uptime, port usage per
//!   interface, per-command counts and average durations, MOS).
//! * `request JSON` (or `--json-file PATH|-`, with `--command NAME`): any request, as a JSON
//!   object converted to bencode (booleans become 1/0; floats and null are refused); prints
//!   the reply as an indented tree.
//! * `completions SHELL`: a completion script for bash, zsh, fish, elvish or powershell.
//! * `version`: asks the daemon which release it is (`cli`, else the SDP session name of a
//!   throw-away `publish`) and prints it, e.g. `10.5`.
//! * `bench SCENARIO [--count N | --duration SECS] [--concurrency C] [--rate R] [--media]
//!   [--calls K] [--threads N]`: a load generator (`ping`, `call` = offer + answer + delete,
//!   `query`) reporting throughput, latency percentiles, errors by kind and retransmissions;
//!   with several `--server`s, calls are placed through the cluster (pings go round-robin) and
//!   the report counts each node's requests. It exits 0 whenever the run happened, errors
//!   included (see `bench`).
//! * `nodes`: pings every `--server` and prints each node's URL, weight, tier, health (up or
//!   down), version and latency (`--json`: an array of objects); exits 3 when a node did not
//!   answer.
//!
//! Every other NG command has a subcommand, named with dashes and also answering to rtpengine's
//! own name (`rtpe "block DTMF"` is `rtpe block-dtmf`):
//!
//! * `start-recording`, `stop-recording`, `pause-recording` (11.3): `--call-id`, `--from-tag`,
//!   `--metadata`, `--output-destination`, `--recording-file/-dir/-pattern`, `--pause`
//!   (stop-recording), `--discard-recording`.
//! * `block-dtmf`, `unblock-dtmf`, `block-media`, `unblock-media`, `silence-media`,
//!   `unsilence-media`, `start-forwarding`, `stop-forwarding`: `--call-id` and a participant
//!   selection (`--from-tag TAG`, `--label`/`--from-label LABEL`, `--address ADDR` or `--all`;
//!   none: the whole call). DTMF blocking takes `--DTMF-security`, `--DTMF-security-trigger`,
//!   `--DTMF-security-trigger-end`, `--trigger`, `--trigger-end`, `--trigger-end-time`,
//!   `--trigger-end-digits`, `--frequency`, `--frequencies`, `--volume`, `--digit`,
//!   `--delay-buffer`, `--DTMF-delay`; media blocking `--to-tag`, `--to-label`, `--all-scope`
//!   (the `all` key), `--metadata`.
//! * `play-media` (`--file PATH`, `--blob-file PATH` or `--db-id ID`; `--repeat-times`,
//!   `--repeat-duration`, `--start-pos`, `--block-egress`, `--codec-set`) prints
//!   `duration: N ms` when rtpengine knows it; `stop-media` prints `last-frame-pos: N` when
//!   given; `play-dtmf --code D` (`--digit`, `--duration`, `--volume`, `--pause`). These need
//!   one party or `--all`.
//! * `publish`, `subscribe-request` (source: `--from-tag`, `--from-tags`, `--label`,
//!   `--address` or `--all`; `--to-tag`), `subscribe-answer --to-tag`, `unsubscribe --to-tag`:
//!   the SDP commands take the offer/answer options (`--SIPREC`, `--RTCP-mirror`,
//!   `--set-label`, …) and print only the SDP on stdout; other reply fields go to stderr as
//!   `to-tag: …`, `from-tag: …`, `call-id: …`.
//! * Newer than 10.5 (refused with `--rtpengine-version 10.5`): `connect` (13.2), `cli WORDS…`
//!   (13.2; prints the response), `transform --media-json JSON` (13.3; prints
//!   `media ID: ADDR:PORT` per media), `inject-start`/`inject-stop` (26.0), `create`
//!   (`--media TYPE:CODEC,…`; 26.0; prints the SDP), `create-answer` (26.0), `mesh --call-id …
//!   --tag FROM:TO,…` (26.1).
//!
//! Commands that rtpengine answers with a bare `ok` print nothing. With `--json` every command
//! prints the whole reply.
//!
//! Commands with options also take the raw escape hatches `--flag TEXT` (an entry of the
//! `flags` list) and `--key KEY=VALUE` (a string key), both repeatable.
//!
//! Warnings of rtpengine go to stderr as `warning: …`, errors as `error: …`.
//!
//! Exit status: 0 success; 1 rtpengine answered an error; 2 usage error (including an option
//! too new for `--rtpengine-version` and contradictory options); 3 no reply within the
//! deadline; 4 any other failure.
//!
//! ```text
//! $ rtpe offer --call-id c1 --from-tag a --ICE remove --sdp-file offer.sdp > rewritten.sdp
//! $ rtpe --json query --call-id c1
//! $ rtpe request '{"command":"list","limit":5}'
//! $ rtpe delete --call-id c1 --from-tag a
//! ```

// Layers, each importing only those below it (checked by `tests/import_graph.rs`):
// main → cli → commands → sdp_options → common.
mod cli;
mod commands;
mod common;
mod sdp_options;

use std::io::{self, Write};
use std::process::ExitCode;

use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{EnvFilter, Layer as _};

use crate::cli::Cli;
use crate::common::outcome::EXIT_OTHER;

fn main() -> ExitCode {
    let cli = Cli::parse_with_releases();
    init_logging(cli.global.verbose);
    match cli.run() {
        Ok(output) => {
            for warning in &output.warnings {
                eprintln!("warning: {warning}");
            }
            for note in &output.notes {
                eprintln!("{note}");
            }
            let mut stdout = io::stdout().lock();
            match stdout
                .write_all(&output.stdout)
                .and_then(|()| stdout.flush())
            {
                Ok(()) => ExitCode::SUCCESS,
                // A closed pipe (`rtpe list | head -1`) is not a failure.
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: cannot write to stdout: {e}");
                    ExitCode::from(EXIT_OTHER)
                }
            }
        }
        Err(failure) => {
            for warning in &failure.warnings {
                eprintln!("warning: {warning}");
            }
            // What a failed command still prints (a raw request's error reply); a write error
            // changes nothing, the command failed already.
            let mut stdout = io::stdout().lock();
            let _ = stdout
                .write_all(&failure.stdout)
                .and_then(|()| stdout.flush());
            eprintln!("error: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}

/// Logs to stderr when `-v` is given (debug; `-vv`: trace) or, failing that, when `RUST_LOG`
/// is set; logs nothing otherwise.
fn init_logging(verbose: u8) {
    let filter = match verbose {
        0 => match std::env::var("RUST_LOG") {
            Ok(spec) if !spec.trim().is_empty() => EnvFilter::new(spec),
            _ => return,
        },
        1 => EnvFilter::new("rtpengine_client=debug,rtpe=debug"),
        _ => EnvFilter::new("trace"),
    };
    let log = tracing_subscriber::fmt::layer()
        .with_writer(io::stderr)
        .with_filter(filter);
    tracing_subscriber::registry().with(log).init();
}
