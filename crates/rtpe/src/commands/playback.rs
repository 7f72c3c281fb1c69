//! Playback into a call: `play-media` (prints the duration when known), `stop-media` (prints
//! the last frame position when given), `play-dtmf`. Each needs one party or `--all`.

use rtpengine_client::NgCommands;
use std::path::PathBuf;

use bytes::Bytes;
use clap::Args;
use rtpengine_client::{
    DtmfDigit, MediaSource, PlayDtmfOptions, PlayMediaOptions, Scalar, Selector,
};

use crate::common::global::block_on;
use crate::common::input::{describe, read_input};
use crate::common::options::OptionArgs;
use crate::common::render::{json_line, render_ack};
use crate::common::select::{need_party, SelectArgs};
use crate::common::{usage, Failure, GlobalArgs, Output, RawArgs, EXIT_OTHER};

/// What `play-media` plays (exactly one).
#[derive(Debug, Args)]
#[group(id = "source", required = true, multiple = false)]
pub(crate) struct PlaySource {
    /// A media file on the daemon's file system (anything ffmpeg reads, e.g. WAV).
    #[arg(long, value_name = "PATH")]
    pub(crate) file: Option<String>,
    /// A local media file, sent in the request (key 'blob'; `-`: standard input).
    #[arg(long, value_name = "PATH")]
    pub(crate) blob_file: Option<PathBuf>,
    /// A media file in the daemon's database.
    #[arg(long, value_name = "ID")]
    pub(crate) db_id: Option<i64>,
}

/// Arguments of `play-media`.
#[derive(Debug, Args)]
pub(crate) struct PlayMediaCmd {
    /// The SIP Call-ID.
    #[arg(long, value_name = "ID")]
    pub(crate) call_id: String,
    /// Who hears the media (one party, or --all).
    #[command(flatten)]
    pub(crate) select: SelectArgs,
    /// What to play.
    #[command(flatten)]
    pub(crate) source: PlaySource,
    /// The library's playback options (`--repeat-times`, `--repeat-duration`, `--start-pos`,
    /// `--block-egress`, `--codec-set`, …).
    #[command(flatten)]
    pub(crate) options: OptionArgs<PlayMediaOptions>,
}

/// Arguments of `stop-media`.
#[derive(Debug, Args)]
pub(crate) struct StopMediaCmd {
    /// The SIP Call-ID.
    #[arg(long, value_name = "ID")]
    pub(crate) call_id: String,
    /// The party media is played to (one party, or --all).
    #[command(flatten)]
    pub(crate) select: SelectArgs,
}

/// Arguments of `play-dtmf`.
#[derive(Debug, Args)]
pub(crate) struct PlayDtmfCmd {
    /// The SIP Call-ID.
    #[arg(long, value_name = "ID")]
    pub(crate) call_id: String,
    /// The party that "sends" the event (its peers hear it), or --all.
    #[command(flatten)]
    pub(crate) select: SelectArgs,
    /// The event: 0-9, *, #, A-D, or a code 0-15.
    #[arg(long, visible_alias = "digit", value_name = "DIGIT", value_parser = <DtmfDigit as Scalar>::from_text)]
    pub(crate) code: DtmfDigit,
    /// The library's DTMF options (`--duration`, `--volume`, `--pause`, …).
    #[command(flatten)]
    pub(crate) options: OptionArgs<PlayDtmfOptions>,
}

/// What `play-media` plays, read before anything is sent (`--blob-file`).
fn play_source(c: &PlayMediaCmd) -> Result<MediaSource, Failure> {
    Ok(
        match (&c.source.file, &c.source.blob_file, c.source.db_id) {
            (Some(path), _, _) => MediaSource::File(path.clone()),
            (None, Some(path), _) => {
                let bytes = read_input(path).map_err(|e| {
                    Failure::new(
                        EXIT_OTHER,
                        format!("cannot read the media file from {}: {e}", describe(path)),
                    )
                })?;
                MediaSource::Blob(Bytes::from(bytes))
            }
            (None, None, Some(id)) => MediaSource::DbId(id),
            // clap's argument group requires one of the three.
            (None, None, None) => {
                return Err(usage(
                    "play-media needs --file PATH, --blob-file PATH or --db-id ID",
                ))
            }
        },
    )
}

/// The selector of `play-media`, refused when it selects nobody.
fn play_media_selector(c: &PlayMediaCmd) -> Result<Selector, Failure> {
    let selector = c.select.selector();
    need_party("play-media", &selector, c.options.raw())?;
    Ok(selector)
}

/// `play-media`: prints `duration: N ms` when rtpengine knows it.
pub(crate) fn play_media(g: &GlobalArgs, c: &PlayMediaCmd) -> Result<Output, Failure> {
    let options = c.options.options();
    let selector = play_media_selector(c)?;
    let source = play_source(c)?;
    block_on(async {
        let client = g.connect().await?;
        let reply = client
            .play_media(&c.call_id, &selector, source, &options)
            .await
            .map_err(|e| g.failure(e))?;
        let mut out = Output::default();
        out.warnings.extend(reply.warning.clone());
        if g.json {
            out.stdout = json_line(&reply.raw);
        } else if let Some(d) = reply.duration {
            out.stdout = format!("duration: {} ms\n", d.as_millis()).into_bytes();
        }
        Ok(out)
    })
}

/// `stop-media`: prints `last-frame-pos: N` when given.
pub(crate) fn stop_media(g: &GlobalArgs, c: &StopMediaCmd) -> Result<Output, Failure> {
    let selector = c.select.selector();
    need_party("stop-media", &selector, &RawArgs::default())?;
    block_on(async {
        let client = g.connect().await?;
        let reply = client
            .stop_media(&c.call_id, &selector)
            .await
            .map_err(|e| g.failure(e))?;
        let mut out = Output::default();
        out.warnings.extend(reply.warning.clone());
        if g.json {
            out.stdout = json_line(&reply.raw);
        } else if let Some(pos) = reply.last_frame_pos {
            out.stdout = format!("last-frame-pos: {pos}\n").into_bytes();
        }
        Ok(out)
    })
}

/// `play-dtmf`.
pub(crate) fn play_dtmf(g: &GlobalArgs, c: &PlayDtmfCmd) -> Result<Output, Failure> {
    let selector = c.select.selector();
    need_party("play-dtmf", &selector, c.options.raw())?;
    let options = c.options.options();
    block_on(async {
        let client = g.connect().await?;
        let ack = client
            .play_dtmf(&c.call_id, &selector, c.code, &options)
            .await
            .map_err(|e| g.failure(e))?;
        Ok(render_ack(g.json, ack))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::tests::parse;
    use crate::cli::Command;
    use rtpengine_client::Flag;

    #[test]
    fn play_dtmf_options() {
        let Command::PlayDtmf(c) = parse(&[
            "play DTMF",
            "--call-id=c",
            "--from-tag=a",
            "--digit",
            "*",
            "--volume",
            "-8",
        ])
        .unwrap() else {
            panic!()
        };
        assert_eq!(c.code.code(), 10);
        assert_eq!(c.options.options().volume, Some(-8));
        let err = parse(&["play-dtmf", "--call-id=c", "--all", "--code=16"]).unwrap_err();
        assert!(err.contains("'code'"), "{err}");
        assert!(parse(&["play-dtmf", "--call-id=c", "--all"]).is_err());
    }

    #[test]
    fn play_media_sources() {
        assert!(parse(&["play-media", "--call-id=c", "--all"]).is_err());
        assert!(parse(&[
            "play-media",
            "--call-id=c",
            "--all",
            "--file=/a",
            "--db-id=1"
        ])
        .is_err());
        let Command::PlayMedia(c) = parse(&[
            "play media",
            "--call-id=c",
            "--from-tag=b",
            "--db-id=4",
            "--repeat-times=3",
            "--block-egress",
        ])
        .unwrap() else {
            panic!()
        };
        let source = play_source(&c).unwrap();
        let options = c.options.options();
        assert_eq!(source, MediaSource::DbId(4));
        assert_eq!(options.repeat_times, Some(3));
        assert_eq!(options.flags, [Flag::BlockEgress]);

        // Nobody selected: refused before sending.
        let Command::PlayMedia(c) = parse(&["play-media", "--call-id=c", "--file=/a"]).unwrap()
        else {
            panic!()
        };
        let err = play_media_selector(&c).unwrap_err();
        assert_eq!(err.code, crate::common::EXIT_USAGE);
        assert!(err.message.contains("--from-tag"), "{}", err.message);
    }
}
