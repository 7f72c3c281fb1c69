//! Commands acting on an established call: recording, DTMF and media blocking, silencing,
//! forwarding, and media and DTMF playback. Arguments (clap derive), their conversion into the
//! library's options, and the execution and rendering of each command.

use std::net::IpAddr;
use std::path::PathBuf;

use bytes::Bytes;
use clap::Args;
use rtpengine_client::{
    Ack, BlockDtmfOptions, Client, DtmfDigit, DtmfSecurity, Error, Flag, FlowScope, MediaOptions,
    MediaSource, PlayDtmfOptions, PlayMediaOptions, RecordingOptions, Selector,
};

use crate::args::{known, RawArgs};
use crate::run::{describe, json_line, read_input, usage, Failure, Output, EXIT_OTHER};

/// Which participants a command acts on (at most one of these; none: the whole call).
#[derive(Debug, Args)]
#[group(id = "party", multiple = false)]
pub(crate) struct SelectArgs {
    /// Select the party with this SIP tag.
    #[arg(long, value_name = "TAG")]
    pub(crate) from_tag: Option<String>,
    /// Select the party with this label.
    #[arg(long, visible_alias = "from-label", value_name = "LABEL")]
    pub(crate) label: Option<String>,
    /// Select the party whose SDP media address is this.
    #[arg(long, value_name = "ADDR")]
    pub(crate) address: Option<IpAddr>,
    /// Select every party (flag 'all').
    #[arg(long)]
    pub(crate) all: bool,
}

impl SelectArgs {
    /// The library's selector.
    pub(crate) fn selector(&self) -> Selector {
        if self.all {
            Selector::All
        } else if let Some(tag) = &self.from_tag {
            Selector::FromTag(tag.clone())
        } else if let Some(label) = &self.label {
            Selector::Label(label.clone())
        } else if let Some(addr) = self.address {
            Selector::Address(addr)
        } else {
            Selector::Call
        }
    }
}

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
        for flag in &self.raw.flags {
            o = o.raw_flag(flag.clone());
        }
        for (key, value) in &self.raw.keys {
            o = o.raw_key(key.clone(), value.clone());
        }
        o
    }
}

/// Arguments of `block-dtmf` and `unblock-dtmf` (which honours only --delay-buffer and flags).
#[derive(Debug, Args)]
pub(crate) struct BlockDtmfCmd {
    /// The SIP Call-ID.
    #[arg(long, value_name = "ID")]
    pub(crate) call_id: String,
    /// Participant selection.
    #[command(flatten)]
    pub(crate) select: SelectArgs,
    /// What to do with DTMF: drop, silence, tone, random, zero, DTMF, off.
    #[arg(
        long = "DTMF-security",
        visible_alias = "dtmf-security",
        value_name = "MODE",
        value_parser = parse_dtmf_security
    )]
    pub(crate) dtmf_security: Option<DtmfSecurity>,
    /// The mode once --trigger was seen.
    #[arg(
        long = "DTMF-security-trigger",
        visible_alias = "dtmf-security-trigger",
        value_name = "MODE",
        value_parser = parse_dtmf_security
    )]
    pub(crate) dtmf_security_trigger: Option<DtmfSecurity>,
    /// The mode once --trigger-end was seen.
    #[arg(
        long = "DTMF-security-trigger-end",
        visible_alias = "dtmf-security-trigger-end",
        value_name = "MODE",
        value_parser = parse_dtmf_security
    )]
    pub(crate) dtmf_security_trigger_end: Option<DtmfSecurity>,
    /// A DTMF sequence that switches to --DTMF-security-trigger.
    #[arg(long, value_name = "DIGITS")]
    pub(crate) trigger: Option<String>,
    /// A DTMF sequence that switches to --DTMF-security-trigger-end.
    #[arg(long, value_name = "DIGITS")]
    pub(crate) trigger_end: Option<String>,
    /// Milliseconds after the trigger until the end mode applies.
    #[arg(long, value_name = "MS")]
    pub(crate) trigger_end_time: Option<u32>,
    /// Digits after the trigger until the end mode applies.
    #[arg(long, value_name = "N")]
    pub(crate) trigger_end_digits: Option<u32>,
    /// The replacement tone's frequency in Hz (mode tone).
    #[arg(long, value_name = "HZ")]
    pub(crate) frequency: Option<u32>,
    /// Several tone frequencies in Hz, played in turn (repeatable or comma-separated; 11.2).
    #[arg(long, value_name = "HZ", value_delimiter = ',')]
    pub(crate) frequencies: Vec<u32>,
    /// The replacement tone's volume in dB below full scale (0-63).
    #[arg(long, value_name = "DB", allow_negative_numbers = true)]
    pub(crate) volume: Option<i32>,
    /// The replacement digit (mode DTMF): 0-9, *, #, A-D or a code 0-15.
    #[arg(long, value_name = "DIGIT", value_parser = parse_digit)]
    pub(crate) digit: Option<DtmfDigit>,
    /// Delay audio by this many milliseconds, so DTMF can be removed from it.
    #[arg(long, value_name = "MS")]
    pub(crate) delay_buffer: Option<u32>,
    /// Delay DTMF events by this many milliseconds.
    #[arg(long = "DTMF-delay", visible_alias = "dtmf-delay", value_name = "MS")]
    pub(crate) dtmf_delay: Option<u32>,
    /// Raw flags and keys.
    #[command(flatten)]
    pub(crate) raw: RawArgs,
}

impl BlockDtmfCmd {
    /// Builds the library's options.
    fn to_options(&self) -> BlockDtmfOptions {
        let mut o = BlockDtmfOptions::new();
        o.dtmf_security.clone_from(&self.dtmf_security);
        o.dtmf_security_trigger
            .clone_from(&self.dtmf_security_trigger);
        o.dtmf_security_trigger_end
            .clone_from(&self.dtmf_security_trigger_end);
        o.trigger.clone_from(&self.trigger);
        o.trigger_end.clone_from(&self.trigger_end);
        o.trigger_end_time = self.trigger_end_time;
        o.trigger_end_digits = self.trigger_end_digits;
        o.frequency = self.frequency;
        o.frequencies.clone_from(&self.frequencies);
        o.volume = self.volume;
        o.digit = self.digit;
        o.delay_buffer = self.delay_buffer;
        o.dtmf_delay = self.dtmf_delay;
        for flag in &self.raw.flags {
            o = o.raw_flag(flag.clone());
        }
        for (key, value) in &self.raw.keys {
            o = o.raw_key(key.clone(), value.clone());
        }
        o
    }
}

/// Arguments of `block-media`, `unblock-media`, `silence-media`, `unsilence-media`,
/// `start-forwarding` and `stop-forwarding`.
#[derive(Debug, Args)]
pub(crate) struct MediaCmd {
    /// The SIP Call-ID.
    #[arg(long, value_name = "ID")]
    pub(crate) call_id: String,
    /// Participant selection.
    #[command(flatten)]
    pub(crate) select: SelectArgs,
    /// Only the selected party's media towards this party (block/silence; 11.1).
    #[arg(long, value_name = "TAG")]
    pub(crate) to_tag: Option<String>,
    /// Only the selected party's media towards the party with this label (block/silence;
    /// 11.1).
    #[arg(long, value_name = "LABEL")]
    pub(crate) to_label: Option<String>,
    /// Which flows of the selected party: all, none, offer-answer, except-offer-answer, flows
    /// (key 'all'; 11.1).
    #[arg(long, value_name = "SCOPE", value_parser = parse_flow_scope)]
    pub(crate) all_scope: Option<FlowScope>,
    /// Free text stored with the call or party (forwarding).
    #[arg(long, value_name = "TEXT")]
    pub(crate) metadata: Option<String>,
    /// Raw flags and keys.
    #[command(flatten)]
    pub(crate) raw: RawArgs,
}

impl MediaCmd {
    /// Builds the library's options.
    fn to_options(&self) -> MediaOptions {
        let mut o = MediaOptions::new();
        o.to_tag.clone_from(&self.to_tag);
        o.to_label.clone_from(&self.to_label);
        o.all.clone_from(&self.all_scope);
        o.metadata.clone_from(&self.metadata);
        for flag in &self.raw.flags {
            o = o.raw_flag(flag.clone());
        }
        for (key, value) in &self.raw.keys {
            o = o.raw_key(key.clone(), value.clone());
        }
        o
    }
}

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
    /// Play this many times (default 1).
    #[arg(long, value_name = "N")]
    pub(crate) repeat_times: Option<u32>,
    /// Repeat for at least this many milliseconds (13.2).
    #[arg(long, value_name = "MS")]
    pub(crate) repeat_duration: Option<u32>,
    /// The frame position to start from (11.2).
    #[arg(long, value_name = "FRAME")]
    pub(crate) start_pos: Option<i64>,
    /// Mute the party's own media while playing (flag 'block egress'; 12.3).
    #[arg(long)]
    pub(crate) block_egress: bool,
    /// Encoder settings for the played media (repeatable; codec: set; 13.0).
    #[arg(long, value_name = "CODEC")]
    pub(crate) codec_set: Vec<String>,
    /// Raw flags and keys.
    #[command(flatten)]
    pub(crate) raw: RawArgs,
}

impl PlayMediaCmd {
    /// Builds the library's options.
    fn to_options(&self) -> PlayMediaOptions {
        let mut o = PlayMediaOptions::new().block_egress(self.block_egress);
        o.repeat_times = self.repeat_times;
        o.repeat_duration = self.repeat_duration;
        o.start_pos = self.start_pos;
        o.codec.set.extend(self.codec_set.iter().cloned());
        for flag in &self.raw.flags {
            o = o.raw_flag(flag.clone());
        }
        for (key, value) in &self.raw.keys {
            o = o.raw_key(key.clone(), value.clone());
        }
        o
    }
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
    #[arg(long, visible_alias = "digit", value_name = "DIGIT", value_parser = parse_digit)]
    pub(crate) code: DtmfDigit,
    /// The event's length in milliseconds (100-5000; default 250).
    #[arg(long, value_name = "MS")]
    pub(crate) duration: Option<u32>,
    /// The volume in dB below full scale (without it rtpengine injects at -63 dB).
    #[arg(long, value_name = "DB", allow_negative_numbers = true)]
    pub(crate) volume: Option<i32>,
    /// Milliseconds between consecutive events (100-5000; default 100).
    #[arg(long, value_name = "MS")]
    pub(crate) pause: Option<u32>,
    /// Raw flags and keys.
    #[command(flatten)]
    pub(crate) raw: RawArgs,
}

impl PlayDtmfCmd {
    /// Builds the library's options.
    fn to_options(&self) -> PlayDtmfOptions {
        let mut o = PlayDtmfOptions::new();
        o.duration = self.duration;
        o.volume = self.volume;
        o.pause = self.pause;
        for flag in &self.raw.flags {
            o = o.raw_flag(flag.clone());
        }
        for (key, value) in &self.raw.keys {
            o = o.raw_key(key.clone(), value.clone());
        }
        o
    }
}

/// Parses `--DTMF-security` and its trigger variants.
fn parse_dtmf_security(s: &str) -> Result<DtmfSecurity, String> {
    known(s, "drop, silence, tone, random, zero, DTMF, off", |v| {
        matches!(v, DtmfSecurity::Other(_))
    })
}

/// Parses `--all-scope`.
fn parse_flow_scope(s: &str) -> Result<FlowScope, String> {
    known(
        s,
        "all, none, offer-answer, except-offer-answer, flows",
        |v| matches!(v, FlowScope::Other(_)),
    )
}

/// Parses a DTMF event (`--code`, `--digit`).
fn parse_digit(s: &str) -> Result<DtmfDigit, String> {
    s.parse::<DtmfDigit>().map_err(|e| match e {
        Error::InvalidRequest { reason } => reason,
        other => other.to_string(),
    })
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

/// The commands that take a selector and [`MediaOptions`].
#[derive(Debug, Clone, Copy)]
pub(crate) enum MediaKind {
    /// `block media`.
    Block,
    /// `unblock media`.
    Unblock,
    /// `silence media`.
    Silence,
    /// `unsilence media`.
    Unsilence,
    /// `start forwarding`.
    StartForwarding,
    /// `stop forwarding`.
    StopForwarding,
}

/// A call-control request, ready to send.
pub(crate) enum ControlOp {
    /// `start/stop/pause recording`.
    Recording {
        kind: RecordingKind,
        call_id: String,
        options: RecordingOptions,
    },
    /// `block DTMF` (`block` true) or `unblock DTMF`.
    Dtmf {
        block: bool,
        call_id: String,
        selector: Selector,
        options: BlockDtmfOptions,
    },
    /// Block/silence media, forwarding.
    Media {
        kind: MediaKind,
        call_id: String,
        selector: Selector,
        options: MediaOptions,
    },
    /// `play media`.
    PlayMedia {
        call_id: String,
        selector: Selector,
        source: MediaSource,
        options: PlayMediaOptions,
    },
    /// `stop media`.
    StopMedia { call_id: String, selector: Selector },
    /// `play DTMF`.
    PlayDtmf {
        call_id: String,
        selector: Selector,
        code: DtmfDigit,
        options: PlayDtmfOptions,
    },
}

impl ControlOp {
    /// A recording request.
    pub(crate) fn recording(kind: RecordingKind, c: &RecordingCmd) -> Self {
        Self::Recording {
            kind,
            call_id: c.call_id.clone(),
            options: c.to_options(),
        }
    }

    /// A `block DTMF` / `unblock DTMF` request.
    pub(crate) fn dtmf(block: bool, c: &BlockDtmfCmd) -> Self {
        Self::Dtmf {
            block,
            call_id: c.call_id.clone(),
            selector: c.select.selector(),
            options: c.to_options(),
        }
    }

    /// A media blocking, silencing or forwarding request.
    pub(crate) fn media(kind: MediaKind, c: &MediaCmd) -> Self {
        Self::Media {
            kind,
            call_id: c.call_id.clone(),
            selector: c.select.selector(),
            options: c.to_options(),
        }
    }

    /// A `play media` request (reads `--blob-file`).
    pub(crate) fn play_media(c: &PlayMediaCmd) -> Result<Self, Failure> {
        let options = c.to_options();
        let selector = c.select.selector();
        need_party("play-media", &selector, &c.raw)?;
        let source = match (&c.source.file, &c.source.blob_file, c.source.db_id) {
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
        };
        Ok(Self::PlayMedia {
            call_id: c.call_id.clone(),
            selector,
            source,
            options,
        })
    }

    /// A `stop media` request.
    pub(crate) fn stop_media(c: &StopMediaCmd) -> Result<Self, Failure> {
        let selector = c.select.selector();
        need_party("stop-media", &selector, &RawArgs::default())?;
        Ok(Self::StopMedia {
            call_id: c.call_id.clone(),
            selector,
        })
    }

    /// A `play DTMF` request.
    pub(crate) fn play_dtmf(c: &PlayDtmfCmd) -> Result<Self, Failure> {
        let selector = c.select.selector();
        need_party("play-dtmf", &selector, &c.raw)?;
        Ok(Self::PlayDtmf {
            call_id: c.call_id.clone(),
            selector,
            code: c.code,
            options: c.to_options(),
        })
    }

    /// Sends the request and renders its reply into `out`.
    pub(crate) async fn execute(
        self,
        client: &Client,
        json: bool,
        out: &mut Output,
    ) -> Result<(), Error> {
        match self {
            Self::Recording {
                kind,
                call_id,
                options,
            } => {
                let ack = match kind {
                    RecordingKind::Start => client.start_recording(&call_id, &options).await?,
                    RecordingKind::Stop => client.stop_recording(&call_id, &options).await?,
                    RecordingKind::Pause => client.pause_recording(&call_id, &options).await?,
                };
                render_ack(json, ack, out);
            }
            Self::Dtmf {
                block,
                call_id,
                selector,
                options,
            } => {
                let ack = if block {
                    client.block_dtmf(&call_id, &selector, &options).await?
                } else {
                    client.unblock_dtmf(&call_id, &selector, &options).await?
                };
                render_ack(json, ack, out);
            }
            Self::Media {
                kind,
                call_id,
                selector,
                options,
            } => {
                let (c, s, o) = (call_id.as_str(), &selector, &options);
                let ack = match kind {
                    MediaKind::Block => client.block_media(c, s, o).await?,
                    MediaKind::Unblock => client.unblock_media(c, s, o).await?,
                    MediaKind::Silence => client.silence_media(c, s, o).await?,
                    MediaKind::Unsilence => client.unsilence_media(c, s, o).await?,
                    MediaKind::StartForwarding => client.start_forwarding(c, s, o).await?,
                    MediaKind::StopForwarding => client.stop_forwarding(c, s, o).await?,
                };
                render_ack(json, ack, out);
            }
            Self::PlayMedia {
                call_id,
                selector,
                source,
                options,
            } => {
                let reply = client
                    .play_media(&call_id, &selector, source, &options)
                    .await?;
                out.warnings.extend(reply.warning.clone());
                if json {
                    out.stdout = json_line(&reply.raw);
                } else if let Some(d) = reply.duration {
                    out.stdout = format!("duration: {} ms\n", d.as_millis()).into_bytes();
                }
            }
            Self::StopMedia { call_id, selector } => {
                let reply = client.stop_media(&call_id, &selector).await?;
                out.warnings.extend(reply.warning.clone());
                if json {
                    out.stdout = json_line(&reply.raw);
                } else if let Some(pos) = reply.last_frame_pos {
                    out.stdout = format!("last-frame-pos: {pos}\n").into_bytes();
                }
            }
            Self::PlayDtmf {
                call_id,
                selector,
                code,
                options,
            } => {
                let ack = client
                    .play_dtmf(&call_id, &selector, code, &options)
                    .await?;
                render_ack(json, ack, out);
            }
        }
        Ok(())
    }
}

/// Refuses a playback command that selects nobody, before anything is sent (unless a raw key
/// or flag selects someone).
fn need_party(command: &str, selector: &Selector, raw: &RawArgs) -> Result<(), Failure> {
    let raw_selects = raw.keys.iter().any(|(k, _)| {
        matches!(
            k.as_str(),
            "from-tag" | "label" | "from-label" | "address" | "all"
        )
    }) || raw.flags.iter().any(|f| f == "all");
    if *selector == Selector::Call && !raw_selects {
        return Err(usage(format!(
            "{command} needs a participant: --from-tag TAG, --label LABEL, --address ADDR or --all"
        )));
    }
    Ok(())
}

/// A plain acknowledgement: nothing (its warning goes to stderr), or the reply as JSON.
pub(crate) fn render_ack(json: bool, ack: Ack, out: &mut Output) {
    out.warnings.extend(ack.warning.clone());
    if json {
        out.stdout = json_line(&ack.raw);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::{Cli, Command};
    use clap::Parser;

    fn parse(args: &[&str]) -> Result<Command, String> {
        let mut argv = vec!["rtpe"];
        argv.extend_from_slice(args);
        Cli::try_parse_from(argv)
            .map(|c| c.command)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn selectors() {
        let Command::BlockMedia(c) = parse(&["block-media", "--call-id=c"]).unwrap() else {
            panic!()
        };
        assert_eq!(c.select.selector(), Selector::Call);
        let Command::BlockMedia(c) =
            parse(&["block-media", "--call-id=c", "--from-label", "x"]).unwrap()
        else {
            panic!()
        };
        assert_eq!(c.select.selector(), Selector::Label("x".into()));
        let Command::BlockMedia(c) =
            parse(&["block media", "--call-id=c", "--address", "192.0.2.1"]).unwrap()
        else {
            panic!()
        };
        assert_eq!(
            c.select.selector(),
            Selector::Address("192.0.2.1".parse().unwrap())
        );
        assert!(parse(&["block-media", "--call-id=c", "--all", "--from-tag=a"]).is_err());
        assert!(parse(&["block-media", "--call-id=c", "--address=x"]).is_err());
        let Command::BlockMedia(c) = parse(&[
            "block-media",
            "--call-id=c",
            "--from-tag=a",
            "--to-tag=b",
            "--all-scope=offer-answer",
        ])
        .unwrap() else {
            panic!()
        };
        let o = c.to_options();
        assert_eq!(o.to_tag.as_deref(), Some("b"));
        assert_eq!(o.all, Some(FlowScope::OfferAnswer));
        assert!(parse(&["block-media", "--call-id=c", "--all-scope=some"]).is_err());
    }

    #[test]
    fn dtmf_options() {
        let Command::BlockDtmf(c) = parse(&[
            "block DTMF",
            "--call-id=c",
            "--DTMF-security=tone",
            "--dtmf-security-trigger=silence",
            "--DTMF-security-trigger-end=drop",
            "--trigger=123",
            "--trigger-end=#",
            "--trigger-end-time=500",
            "--trigger-end-digits=2",
            "--frequency=400",
            "--frequencies=400,500",
            "--frequencies=600",
            "--volume=-10",
            "--digit=#",
            "--delay-buffer=100",
            "--DTMF-delay=50",
        ])
        .unwrap() else {
            panic!()
        };
        let o = c.to_options();
        assert_eq!(o.dtmf_security, Some(DtmfSecurity::Tone));
        assert_eq!(o.dtmf_security_trigger, Some(DtmfSecurity::Silence));
        assert_eq!(o.dtmf_security_trigger_end, Some(DtmfSecurity::Drop));
        assert_eq!(o.frequencies, [400, 500, 600]);
        assert_eq!(o.volume, Some(-10));
        assert_eq!(o.digit.map(DtmfDigit::code), Some(11));
        assert_eq!((o.delay_buffer, o.dtmf_delay), (Some(100), Some(50)));
        assert!(parse(&["block-dtmf", "--call-id=c", "--DTMF-security=loud"]).is_err());

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
        assert_eq!(c.to_options().volume, Some(-8));
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
        let Ok(ControlOp::PlayMedia {
            source, options, ..
        }) = ControlOp::play_media(&c)
        else {
            panic!()
        };
        assert_eq!(source, MediaSource::DbId(4));
        assert_eq!(options.repeat_times, Some(3));
        assert_eq!(options.flags, [Flag::BlockEgress]);

        // Nobody selected: refused before sending.
        let Command::PlayMedia(c) = parse(&["play-media", "--call-id=c", "--file=/a"]).unwrap()
        else {
            panic!()
        };
        let err = ControlOp::play_media(&c).err().unwrap();
        assert_eq!(err.code, crate::run::EXIT_USAGE);
        assert!(err.message.contains("--from-tag"), "{}", err.message);
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
