//! Recording: `start recording`, `stop recording`, `pause recording`.

use crate::bencode::Encoder;
use crate::error::{Error, Result};
use crate::message::options::Flag;
use crate::message::request::{command_requirement, Request};
use crate::version::{Requirements, Version};

ng_options! {
    /// Options of `start recording`, `stop recording` and `pause recording`.
    pub struct RecordingOptions {
        /// `from-tag`: the party whose metadata `metadata` sets (the call is recorded as a
        /// whole either way; an unknown tag only logs a warning).
        from_tag: Option<String> = "from-tag";
        /// `metadata`: free text stored with the recording (`key:value` pairs joined by `|`
        /// for the database backend).
        metadata: Option<String> = "metadata";
        /// `output-destination` (start recording): the recording's path, used as given.
        output_destination: Option<String> = "output-destination";
        /// `recording-file`: the recording's file name (12.2).
        recording_file: Option<String> = "recording-file" @ (12, 2);
        /// `recording-dir`: the recording's directory (12.2).
        recording_dir: Option<String> = "recording-dir" @ (12, 2);
        /// `recording-pattern`: the pattern for the recording's file name (12.2).
        recording_pattern: Option<String> = "recording-pattern" @ (12, 2);
        /// `pause` (stop recording only): `yes` pauses instead of stopping, like
        /// `pause recording`.
        pause: Option<bool> = "pause" @ (11, 3);
        /// The `flags` list (e.g. `discard-recording`, 11.4+).
        flags: Vec<Flag> = "flags";
    }
}

macro_rules! recording_request {
    ($(#[$meta:meta])* $name:ident, $command:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy)]
        pub struct $name<'a> {
            /// The SIP Call-ID.
            pub call_id: &'a str,
            /// Options.
            pub options: &'a RecordingOptions,
        }

        impl Request for $name<'_> {
            fn command(&self) -> &str {
                $command
            }
            fn call_id(&self) -> Option<&str> {
                Some(self.call_id)
            }
            fn encode_keys(&self, enc: &mut Encoder<'_>, _target: Option<Version>) {
                enc.entry_str("call-id", self.call_id);
                self.options.encode_keys(enc);
            }
            fn requirements(&self) -> Requirements {
                command_requirement($command).and(self.options.requirements())
            }
            fn validate(&self) -> Result<()> {
                if $command != "stop recording" && self.options.pause.is_some() {
                    return Err(Error::InvalidRequest {
                        reason: format!("'pause' only applies to 'stop recording', not '{}'", $command),
                    });
                }
                Ok(())
            }
        }
    };
}

recording_request!(
    /// `start recording`: records the call with the daemon's recording method.
    StartRecording,
    "start recording"
);
recording_request!(
    /// `stop recording`.
    StopRecording,
    "stop recording"
);
recording_request!(
    /// `pause recording` (11.3+): stops recording but keeps the recording open to resume.
    PauseRecording,
    "pause recording"
);
