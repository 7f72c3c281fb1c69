//! `rtpe events`: prints the daemon's unsolicited messages as they arrive.

use std::io::Write;

use clap::Args;
use rtpengine_client::NgEvent;

use crate::common::global::{block_on, connect_client};
use crate::common::render::json_text;
use crate::common::{Failure, GlobalArgs, Output, EXIT_OTHER, EXIT_USAGE};

/// Arguments of `events`.
#[derive(Debug, Args)]
pub(crate) struct EventsCmd {
    /// Stop after this many events.
    #[arg(long, value_name = "N")]
    pub(crate) count: Option<u64>,
}

/// Connects over the stream transport and prints each event on its own line (JSON with
/// `--json`) until `--count` events or Ctrl-C.
pub(crate) fn run(global: &GlobalArgs, cmd: &EventsCmd) -> Result<Output, Failure> {
    // Events come over one connection to one daemon.
    global.single("events")?;
    block_on(async {
        let client = connect_client(global, global.server()).await?;
        let mut events = client.events().ok_or_else(|| {
            Failure::new(
                EXIT_USAGE,
                format!(
                    "{} carries no events: use a tcp:// server (rtpengine's --listen-tcp-ng, \
                     started with --dtmf-log-ng-tcp)",
                    global.server()
                ),
            )
        })?;
        let mut seen = 0u64;
        loop {
            if cmd.count.is_some_and(|n| seen >= n) {
                return Ok(Output::default());
            }
            let event = tokio::select! {
                e = events.recv() => e,
                _ = tokio::signal::ctrl_c() => return Ok(Output::default()),
            };
            let Some(event) = event else {
                return Err(Failure::new(EXIT_OTHER, "the connection task ended"));
            };
            let line = if global.json {
                json_text(&event.raw)
            } else {
                describe(&event)
            };
            let mut out = std::io::stdout().lock();
            // A closed stdout (e.g. `| head -1`) ends the command quietly.
            if writeln!(out, "{line}").and_then(|()| out.flush()).is_err() {
                return Ok(Output::default());
            }
            seen += 1;
        }
    })
}

/// One readable line per event.
fn describe(event: &NgEvent) -> String {
    match event.dtmf() {
        Some(d) => format!(
            "DTMF call-id={} source-tag={} digit={} event={} duration={}ms volume={} source={}",
            d.call_id,
            d.source_tag,
            d.digit().map(String::from).unwrap_or_else(|| "?".into()),
            d.event,
            d.duration_ms.map_or_else(|| "?".into(), |v| v.to_string()),
            d.volume.map_or_else(|| "?".into(), |v| v.to_string()),
            d.source_ip.as_deref().unwrap_or("?"),
        ),
        None => format!("{} {}", event.kind, json_text(&event.data)),
    }
}
