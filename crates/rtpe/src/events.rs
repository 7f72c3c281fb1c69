//! `rtpe events`: prints the daemon's unsolicited messages as they arrive.

use std::io::Write;

use rtpengine_client::NgEvent;

use crate::args::{Cli, EventsCmd};
use crate::json::dict_to_json;
use crate::run::{connect_client, Failure, Output, EXIT_OTHER, EXIT_USAGE};

/// Connects over the stream transport and prints each event on its own line (JSON with
/// `--json`) until `--count` events or Ctrl-C.
pub(crate) fn run(cli: &Cli, cmd: &EventsCmd) -> Result<Output, Failure> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::new(EXIT_OTHER, format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async {
        let client = connect_client(cli, cli.server()).await?;
        let mut events = client.events().ok_or_else(|| {
            Failure::new(
                EXIT_USAGE,
                format!(
                    "{} carries no events: use a tcp:// server (rtpengine's --listen-tcp-ng, \
                     started with --dtmf-log-ng-tcp)",
                    cli.server()
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
            let line = if cli.json {
                dict_to_json(&event.raw)
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
        None => format!("{} {}", event.kind, dict_to_json(&event.data)),
    }
}
