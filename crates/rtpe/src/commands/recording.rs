//! The recording commands: `start-recording`, `stop-recording`, `pause-recording`.

use clap::Args;
use rtpengine_client::{Flag, RecordingOptions};

use crate::common::global::block_on;
use crate::common::render::render_ack;
use crate::common::{Failure, GlobalArgs, Output, RawArgs};

/// Arguments of `start-recording`, `stop-recording` and `pause-recording`.
#[derive(Debug, Args)]
pub(crate) struct RecordingCmd {
    /// The SIP Call-ID.
    #[arg(long, value_name = "ID")]
    pub(crate) call_id: String,
    /// The party whose metadata --metadata sets.
    #[arg(long, value_name = "TAG")]
    pub(crate) from_tag: Option<String>,
    /// Free text stored with the recording (key:value pairs joined by | for the database).
    #[arg(long, value_name = "TEXT")]
    pub(crate) metadata: Option<String>,
    /// The recording's path, used as given (start-recording).
    #[arg(long, value_name = "PATH")]
    pub(crate) output_destination: Option<String>,
    /// The recording's file name (12.2).
    #[arg(long, value_name = "NAME")]
    pub(crate) recording_file: Option<String>,
    /// The recording's directory (12.2).
    #[arg(long, value_name = "DIR")]
    pub(crate) recording_dir: Option<String>,
    /// The pattern of the recording's file name (12.2).
    #[arg(long, value_name = "PATTERN")]
    pub(crate) recording_pattern: Option<String>,
    /// Pause instead of stopping (stop-recording only; 11.3).
    #[arg(long)]
    pub(crate) pause: bool,
    /// Discard the recording (flag 'discard-recording'; 11.4).
    #[arg(long)]
    pub(crate) discard_recording: bool,
    /// Raw flags and keys.
    #[command(flatten)]
    pub(crate) raw: RawArgs,
}

impl RecordingCmd {
    /// Builds the library's options.
    fn to_options(&self) -> RecordingOptions {
        let mut o = RecordingOptions::new();
        o.from_tag.clone_from(&self.from_tag);
        o.metadata.clone_from(&self.metadata);
        o.output_destination.clone_from(&self.output_destination);
        o.recording_file.clone_from(&self.recording_file);
        o.recording_dir.clone_from(&self.recording_dir);
        o.recording_pattern.clone_from(&self.recording_pattern);
        if self.pause {
            o.pause = Some(true);
        }
        if self.discard_recording {
            o.flags.push(Flag::DiscardRecording);
        }
        self.raw.apply(&mut o.raw);
        o
    }
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
    let options = c.to_options();
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
    use crate::cli::{Cli, Command};
    use clap::Parser;

    fn parse(args: &[&str]) -> Result<Command, String> {
        let mut argv = vec!["rtpe"];
        argv.extend_from_slice(args);
        Cli::try_parse_from(argv)
            .map(|c| c.command)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn recording_options() {
        let Command::StopRecording(c) = parse(&[
            "stop recording",
            "--call-id=c",
            "--from-tag=a",
            "--metadata=k:v",
            "--pause",
            "--recording-dir=/r",
            "--flag=x",
        ])
        .unwrap() else {
            panic!()
        };
        let o = c.to_options();
        assert_eq!(o.pause, Some(true));
        assert_eq!(o.metadata.as_deref(), Some("k:v"));
        assert_eq!(o.recording_dir.as_deref(), Some("/r"));
        assert_eq!(o.raw.flags, ["x"]);
        assert!(
            !o.requirements().is_empty(),
            "recording-dir and pause are newer"
        );
    }
}
