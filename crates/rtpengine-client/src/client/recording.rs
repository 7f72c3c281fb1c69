//! Operations of [`Client`] for recording: `start recording`, `stop recording`,
//! `pause recording`.

use super::Client;
use crate::error::Result;
use crate::message::commands::recording::{
    PauseRecording, RecordingOptions, StartRecording, StopRecording,
};
use crate::message::reply::Ack;

impl Client {
    /// `start recording`: records the call with the daemon's recording method (rtpengine
    /// answers `ok` even when no recording method is configured).
    pub async fn start_recording(&self, call_id: &str, options: &RecordingOptions) -> Result<Ack> {
        let req = StartRecording { call_id, options };
        Ok(Ack::from_dict(self.send(&req).await?))
    }

    /// `stop recording` (with [`RecordingOptions::pause`] on 11.3+: pause instead).
    pub async fn stop_recording(&self, call_id: &str, options: &RecordingOptions) -> Result<Ack> {
        let req = StopRecording { call_id, options };
        Ok(Ack::from_dict(self.send(&req).await?))
    }

    /// `pause recording` (11.3+): stops recording but keeps the recording open to resume with
    /// [`Client::start_recording`].
    pub async fn pause_recording(&self, call_id: &str, options: &RecordingOptions) -> Result<Ack> {
        let req = PauseRecording { call_id, options };
        Ok(Ack::from_dict(self.send(&req).await?))
    }
}
