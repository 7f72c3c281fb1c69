//! `rtpe`: a command-line client for Sipwise rtpengine's NG control protocol.
//!
//! ```text
//! rtpe [--server URL] [--timeout MS] [--json] [-v] COMMAND [options]
//! ```
//!
//! * `--server URL`: rtpengine's NG address, `udp://host[:port]`; defaults to `$RTPE_SERVER`,
//!   else `udp://127.0.0.1:2223`.
//! * `--timeout MS`: the whole deadline in milliseconds, retransmissions included (default
//!   10000).
//! * `--json`: print the whole reply dictionary as one JSON object (keys in reply order).
//! * `-v` / `RUST_LOG`: log to stderr.
//!
//! Commands:
//!
//! * `ping`: prints `pong`.
//! * `offer --call-id ID --from-tag TAG (--sdp TEXT | --sdp-file PATH|-) [options]` and
//!   `answer … --to-tag TAG …`: print only the rewritten SDP, so they pipe. The options are
//!   those of rtpengine's `rtpengine-ng-client`: `--trust-address`, `--sip-source-address`,
//!   `--symmetric`, `--asymmetric`, `--unidirectional`, `--strict-source`, `--media-handover`,
//!   `--reset`, `--port-latching`, `--record-call`, `--replace-origin`,
//!   `--replace-session-connection`, `--direction A,B`, `--received-from ADDR`,
//!   `--ICE MODE`, `--protocol PROTO`, `--media-address ADDR`, `--address-family IP4|IP6`,
//!   `--rtcp-mux MODE`, `--TOS N`, `--DTLS MODE`, `--SDES OPT`, `--metadata TEXT`,
//!   `--codec-strip/-offer/-transcode/-mask CODEC`, `--ptime MS`.
//! * `delete --call-id ID [--from-tag TAG] [--to-tag TAG] [--fatal] [--delete-delay N]`
//!   and `query --call-id ID [--from-tag TAG] [--to-tag TAG]`: print a readable summary of the
//!   call (parties, media, streams, counters).
//! * `list [--limit N]`: prints one call-id per line.
//!
//! `offer`, `answer`, `delete` and `query` also take the raw escape hatches `--flag TEXT`
//! (an entry of the `flags` list) and `--key KEY=VALUE` (a string key), both repeatable.
//!
//! Warnings of rtpengine go to stderr as `warning: …`, errors as `error: …`.
//!
//! Exit status: 0 success; 1 rtpengine answered an error; 2 usage error; 3 no reply within the
//! deadline; 4 any other failure.
//!
//! ```text
//! $ rtpe offer --call-id c1 --from-tag a --ICE remove --sdp-file offer.sdp > rewritten.sdp
//! $ rtpe --json query --call-id c1
//! $ rtpe delete --call-id c1 --from-tag a
//! ```

mod args;
mod json;
mod output;
mod run;

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

use crate::args::Cli;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose);
    match run::run(&cli) {
        Ok(output) => {
            for warning in &output.warnings {
                eprintln!("warning: {warning}");
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
                    ExitCode::from(run::EXIT_OTHER)
                }
            }
        }
        Err(failure) => {
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
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(io::stderr)
        .init();
}
