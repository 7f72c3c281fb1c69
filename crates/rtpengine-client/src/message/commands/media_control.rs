//! Controlling a call's media flows: `block DTMF` / `unblock DTMF`, `block media` /
//! `unblock media`, `silence media` / `unsilence media`, `start forwarding` / `stop forwarding`.
//!
//! They pick participants with a [`Selector`]. Since rtpengine 12.4, all of them but silencing
//! ignore a `from-tag` unless the flag `directional` is present, and act on the whole call
//! instead; older releases do not know the flag and ignore it. These requests therefore add
//! `directional` whenever the selector names one party and the target is unknown or 12.4+, so
//! that one request means the same on every release (this added flag is not version-checked).

use super::playback::DtmfDigit;
use super::{selector_flags, Selector};
use crate::bencode::Encoder;
use crate::message::options::Flag;
use crate::message::request::{command_requirement, Request};
use crate::version::{Requirements, Version};

text_enum! {
    /// What `block DTMF` does with DTMF (`DTMF-security` and its trigger variants). Modes other
    /// than `drop` and `off` need audio to go through the transcoding engine.
    pub enum DtmfSecurity {
        /// Drop DTMF events (the default).
        Drop => "drop",
        /// Replace DTMF with silence.
        Silence => "silence",
        /// Replace DTMF with a tone (`frequency`, `volume`).
        Tone => "tone",
        /// Replace DTMF with random DTMF digits.
        Random => "random",
        /// Replace DTMF with the digit `0`.
        Zero => "zero",
        /// Replace DTMF with the digit given in `digit`.
        Dtmf => "DTMF" | "dtmf",
        /// Do not block.
        Off => "off",
    }
}

text_enum! {
    /// The `all` key of `block media` and friends (11.1+): which media flows of the selected
    /// party are meant.
    pub enum FlowScope {
        /// The whole call, like the `all` flag.
        All => "all",
        /// No flows (the default).
        None => "none",
        /// Flows that came from offer/answer.
        OfferAnswer => "offer-answer",
        /// Flows that did not come from offer/answer (subscriptions).
        ExceptOfferAnswer => "except-offer-answer" | "non-offer-answer" | "not-offer-answer",
        /// Every established flow.
        Flows => "flows",
    }
}

ng_options! {
    /// Options of `block DTMF` (and `unblock DTMF`, which honours only `delay-buffer` and the
    /// flags).
    ///
    /// Replacement modes, triggers and delays need the transcoding engine.
    pub struct BlockDtmfOptions {
        /// `DTMF-security`: what to do with DTMF (default `drop`, or `off` when a trigger is
        /// set).
        dtmf_security: Option<DtmfSecurity> = "DTMF-security";
        /// `DTMF-security-trigger`: the mode once `trigger` was seen.
        dtmf_security_trigger: Option<DtmfSecurity> = "DTMF-security-trigger";
        /// `DTMF-security-trigger-end`: the mode once `trigger-end` was seen.
        dtmf_security_trigger_end: Option<DtmfSecurity> = "DTMF-security-trigger-end";
        /// `trigger`: a DTMF sequence that switches to `DTMF-security-trigger`.
        trigger: Option<String> = "trigger";
        /// `trigger-end`: a DTMF sequence that switches to `DTMF-security-trigger-end`.
        trigger_end: Option<String> = "trigger-end";
        /// `trigger-end-time`: ms after the trigger until the end mode applies.
        trigger_end_time: Option<u32> = "trigger-end-time";
        /// `trigger-end-digits`: digits after the trigger until the end mode applies.
        trigger_end_digits: Option<u32> = "trigger-end-digits";
        /// `frequency`: the replacement tone's frequency in Hz (mode `tone`).
        frequency: Option<u32> = "frequency";
        /// `frequencies`: several tone frequencies in Hz, played in turn (a list gets one more).
        frequencies: Vec<u32> = "frequencies" @ (11, 2);
        /// `volume`: the replacement tone's volume in dB below full scale (0–63; the sign is
        /// ignored).
        volume: Option<i32> = "volume";
        /// `digit`: the replacement digit (mode `DTMF`).
        digit: Option<DtmfDigit> = "digit" | "code";
        /// `delay-buffer`: delay audio by this many ms, so DTMF can be removed from it.
        delay_buffer: Option<u32> = "delay-buffer" | "delay buffer";
        /// `DTMF-delay`: delay DTMF events by this many ms.
        dtmf_delay: Option<u32> = "DTMF-delay" | "DTMF delay";
        /// `set-label`: gives the selected party this label (every release).
        set_label: Option<String> = "set-label";
        /// The `flags` list.
        flags: Vec<Flag> = "flags";
    }
}

ng_options! {
    /// Options of `block media`, `unblock media`, `silence media`, `unsilence media`,
    /// `start forwarding` and `stop forwarding`.
    pub struct MediaOptions {
        /// `to-tag` (block/silence media): with a selected party, only its media flow towards
        /// this party. 10.5 ignores it.
        to_tag: Option<String> = "to-tag" @ (11, 1);
        /// `to-label` (block/silence media): like `to-tag`, by label. 10.5 takes `to-label` as
        /// `set-label` and would relabel the selected party instead.
        to_label: Option<String> = "to-label" @ (11, 1);
        /// `all` (block/silence media): which flows of the selected party are meant.
        all: Option<FlowScope> = "all" @ (11, 1);
        /// `metadata` (forwarding): free text stored with the call or party.
        metadata: Option<String> = "metadata";
        /// `set-label`: gives the selected party this label (every release).
        set_label: Option<String> = "set-label";
        /// The `flags` list.
        flags: Vec<Flag> = "flags";
    }
}

macro_rules! selector_request {
    ($(#[$meta:meta])* $name:ident, $command:literal, $options:ty, directional: $dir:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy)]
        pub struct $name<'a> {
            /// The SIP Call-ID.
            pub call_id: &'a str,
            /// The participants acted on.
            pub selector: &'a Selector,
            /// Options.
            pub options: &'a $options,
        }

        impl Request for $name<'_> {
            fn command(&self) -> &str {
                $command
            }
            fn call_id(&self) -> Option<&str> {
                Some(self.call_id)
            }
            fn encode_keys(&self, enc: &mut Encoder<'_>, target: Option<Version>) {
                enc.entry_str("call-id", self.call_id);
                self.selector.encode_key(enc);
                encode_with_flags!(
                    enc,
                    self.options,
                    selector_flags(self.selector, &self.options.flags, $dir, target)
                );
            }
            fn requirements(&self) -> Requirements {
                command_requirement($command).and(self.options.requirements())
            }
        }
    };
}

selector_request!(
    /// `block DTMF`: drops (or replaces) DTMF from the selected party, or in the whole call.
    BlockDtmf,
    "block DTMF",
    BlockDtmfOptions,
    directional: true
);
selector_request!(
    /// `unblock DTMF`. With [`Selector::All`] it also clears per-party blocks.
    UnblockDtmf,
    "unblock DTMF",
    BlockDtmfOptions,
    directional: true
);
selector_request!(
    /// `block media`: drops media from the selected party, or in the whole call (DTMF events
    /// still pass).
    BlockMedia,
    "block media",
    MediaOptions,
    directional: true
);
selector_request!(
    /// `unblock media`. With [`Selector::All`] it also clears per-party blocks.
    UnblockMedia,
    "unblock media",
    MediaOptions,
    directional: true
);
selector_request!(
    /// `silence media`: replaces the payload of the selected party's media with silence
    /// (G.711 and G.722 only).
    SilenceMedia,
    "silence media",
    MediaOptions,
    directional: false
);
selector_request!(
    /// `unsilence media`. With [`Selector::All`] it also clears per-party silencing.
    UnsilenceMedia,
    "unsilence media",
    MediaOptions,
    directional: false
);
selector_request!(
    /// `start forwarding`: starts the recording daemon's PCM forwarding for the selected party
    /// or the whole call.
    StartForwarding,
    "start forwarding",
    MediaOptions,
    directional: true
);
selector_request!(
    /// `stop forwarding`.
    StopForwarding,
    "stop forwarding",
    MediaOptions,
    directional: true
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::request::{check_version, encode_request};

    fn body<R: Request>(r: &R, target: Option<Version>) -> String {
        let b = encode_request("c", r, target).unwrap();
        String::from_utf8(b[2..].to_vec()).unwrap()
    }

    #[test]
    fn directional_added_for_one_party_on_new_or_unknown_targets() {
        let sel = Selector::FromTag("a".into());
        let opts = MediaOptions::new();
        let req = BlockMedia {
            call_id: "x",
            selector: &sel,
            options: &opts,
        };
        let with = "d7:command11:block media7:call-id1:x8:from-tag1:a5:flagsl11:directionalee";
        assert_eq!(body(&req, None), with);
        assert_eq!(body(&req, Some(Version::new(12, 4))), with);
        assert_eq!(
            body(&req, Some(Version::V10_5)),
            "d7:command11:block media7:call-id1:x8:from-tag1:ae"
        );
        // Silencing has no such shim.
        let req = SilenceMedia {
            call_id: "x",
            selector: &sel,
            options: &opts,
        };
        assert!(!body(&req, None).contains("directional"));
        // The added flag is not version-checked; a typed one is.
        assert!(check_version(&req, Version::V10_5).is_ok());
        let typed = MediaOptions::new().flags(Flag::Directional);
        let req = BlockMedia {
            call_id: "x",
            selector: &sel,
            options: &typed,
        };
        assert!(check_version(&req, Version::V10_5).is_err());
        assert_eq!(body(&req, None).matches("directional").count(), 1);
    }
}
