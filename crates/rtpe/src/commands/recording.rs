//! The recording commands: `start-recording`, `stop-recording`, `pause-recording`.

use clap::Args;
use rtpengine_client::NgCommands;
use rtpengine_client::RecordingOptions;

use crate::common::global::block_on;
use crate::common::options::OptionArgs;
use crate::common::render::render_ack;
use crate::common::{Failure, GlobalArgs, Output};

/// Arguments of `start-recording`, `stop-recording` and `pause-recording`: the call, the raw
/// escape hatches and the library's recording options (`--from-tag`, `--metadata`,
/// `--output-destination`, `--recording-file/-dir/-pattern`, `--pause`,
/// `--discard-recording`, …, generated from its catalogue).
#[derive(Debug, Args)]
pub(crate) struct RecordingCmd {
    /// The SIP Call-ID.
    #[arg(long, value_name = "ID")]
    pub(crate) call_id: String,
    /// The library's recording options.
    #[command(flatten)]
    pub(crate) options: OptionArgs<RecordingOptions>,
}

/// The recording commands.
#[derive(Debug, Clone, Copy)]
pub(crate) enum RecordingKind {
    /// `start recording`.
    Start,
    /// `stop recording`.
    Stop,
    /// `pause recording`.
    Pause,
}

/// Sends the recording request; prints nothing but warnings (the reply with `--json`).
pub(crate) fn run(
    g: &GlobalArgs,
    kind: RecordingKind,
    c: &RecordingCmd,
) -> Result<Output, Failure> {
    let options = c.options.options();
    let call_id = c.call_id.as_str();
    block_on(async {
        let client = g.connect().await?;
        let ack = match kind {
            RecordingKind::Start => client.start_recording(call_id, &options).await,
            RecordingKind::Stop => client.stop_recording(call_id, &options).await,
            RecordingKind::Pause => client.pause_recording(call_id, &options).await,
        }
        .map_err(|e| g.failure(e))?;
        Ok(render_ack(g.json, ack))
    })
}

#[cfg(test)]
mod tests {
    use crate::cli::tests::parse;
    use crate::cli::Command;

    #[test]
    fn recording_options() {
        let Command::StopRecording(c) = parse(&[
            "stop recording",
            "--call-id=c",
            "--from-tag=a",
            "--metadata=k:v",
            "--pause",
            "--recording-dir=/r",
            "--discard-recording",
            "--flag=x",
        ])
        .unwrap() else {
            panic!()
        };
        let o = c.options.options();
        assert_eq!(o.pause, Some(true));
        assert_eq!(o.metadata.as_deref(), Some("k:v"));
        assert_eq!(o.recording_dir.as_deref(), Some("/r"));
        assert_eq!(o.raw.flags, ["x"]);
        assert_eq!(o.flags, [rtpengine_client::Flag::DiscardRecording]);
        assert_eq!(o.from_tag.as_deref(), Some("a"));
        assert!(
            !o.requirements().is_empty(),
            "recording-dir and pause are newer"
        );
    }
}
