//! Command-line options generated from the library's catalogue.
//!
//! Every options type of the library lists its keys in an `OPTIONS` table (key, releases, doc,
//! value shape) and its enums list their values in `VALUES` tables. [`OptionArgs`] turns such a
//! table into clap arguments at run time: one `--KEY` per key (nested dictionaries joined with
//! dashes: `--codec-strip`, `--sdp-attr-audio-add`), one switch per flag (`--trust-address`)
//! and per `replace` value (`--replace-origin`), help from the doc line, version notes from the
//! releases. Values go through the library's `set_text`, so the version gate and the value
//! checks are the library's too. Adding an option to the library adds it here, with no edit.
//!
//! What stays here is how `rtpe` spells things where that differs from the key: a few renames
//! (rtpengine-ng-client's names), the flags each command offers as switches, and the options
//! given as two words (`--direction A --direction B`).

use std::collections::HashSet;
use std::fmt::Debug;

use clap::{Arg, ArgAction, ArgMatches, Args, FromArgMatches};
use rtpengine_client::{
    BlockDtmfOptions, DeleteOptions, Flag, Kind, MediaOptions, OfferOptions, OptionSpec,
    PlayDtmfOptions, PlayMediaOptions, QueryOptions, Raw, RecordingOptions, Shape, Since,
    ValueSpec,
};

use super::RawArgs;

/// How one options type appears on the command line.
pub(crate) trait CliOptions: Default + Clone + Debug + Send + Sync + 'static {
    /// The library's catalogue of the type.
    const OPTIONS: &'static [OptionSpec];
    /// The `--help` heading of its options.
    const HEADING: &'static str;
    /// The flags offered as switches (`None`: every flag the library knows).
    const FLAG_SWITCHES: Option<&'static [Flag]>;
    /// Options spelled otherwise than their key: (the name derived from the key, the name used).
    const RENAMES: &'static [(&'static str, &'static str)];
    /// Sets one option from text (the library's `set_text`).
    fn set_text(&mut self, path: &[&str], text: &str) -> rtpengine_client::Result<()>;
    /// The raw keys and flags of the options.
    fn raw_mut(&mut self) -> &mut Raw;
}

/// Implements [`CliOptions`] for library options types (each has `OPTIONS`, `set_text` and a
/// `raw` field).
macro_rules! cli_options {
    ($($ty:ty: $heading:literal, flags $flags:expr, renames $renames:expr;)*) => {$(
        impl CliOptions for $ty {
            const OPTIONS: &'static [OptionSpec] = <$ty>::OPTIONS;
            const HEADING: &'static str = $heading;
            const FLAG_SWITCHES: Option<&'static [Flag]> = $flags;
            const RENAMES: &'static [(&'static str, &'static str)] = $renames;
            fn set_text(&mut self, path: &[&str], text: &str) -> rtpengine_client::Result<()> {
                <$ty>::set_text(self, path, text)
            }
            fn raw_mut(&mut self) -> &mut Raw {
                &mut self.raw
            }
        }
    )*};
}

cli_options! {
    OfferOptions: "Offer/answer options", flags None, renames OFFER_RENAMES;
    RecordingOptions: "Recording options", flags Some(&[Flag::DiscardRecording]), renames &[];
    BlockDtmfOptions: "DTMF blocking options", flags Some(&[]), renames &[];
    // `--all` selects every party; the `all` key is the scope of the selection.
    MediaOptions: "Media options", flags Some(&[]), renames &[("all", "all-scope")];
    PlayMediaOptions: "Playback options", flags Some(&[Flag::BlockEgress]), renames &[];
    PlayDtmfOptions: "DTMF options", flags Some(&[]), renames &[];
    DeleteOptions: "Delete options", flags Some(&[Flag::Fatal]), renames &[];
    QueryOptions: "Query options", flags Some(&[]), renames &[];
}

/// Spellings of rtpengine-ng-client and earlier `rtpe` releases for offer/answer options, as
/// (name derived from the key, name used).
const OFFER_RENAMES: &[(&str, &str)] = &[
    ("transport-protocol", "protocol"),
    ("T.38", "T38"),
    ("T.38-version", "T38-version"),
    // The key forms of options that are flags too (the flag keeps the plain name).
    ("generate-RTCP", "generate-RTCP-mode"),
    ("passthrough", "passthrough-mode"),
    ("record-call", "record-call-mode"),
];

/// Extra accepted names (visible aliases) by the name used.
const EXTRA_ALIASES: &[(&str, &[&str])] = &[
    (
        "replace-force-increment-sdp-ver",
        &["replace-force-increment-sdp-version"],
    ),
    ("protocol", &["transport-protocol"]),
    ("T38", &["T.38", "t38"]),
    ("T38-version", &["t38-version"]),
    ("generate-RTCP-mode", &["generate-rtcp-mode"]),
];

/// Options given as one text or as two words, joined with this separator.
const TWO_WORDS: &[(&str, &str)] = &[("direction", ","), ("received-from", ":")];

/// What one generated argument does.
#[derive(Debug, Clone)]
enum Action {
    /// Sets the option at this key path from each value given.
    Value {
        path: Vec<&'static str>,
        /// Two words joined with this separator, for [`TWO_WORDS`] options.
        join: Option<&'static str>,
    },
    /// A switch setting the option at this key path to this text (a flag, a `replace` value,
    /// `yes`).
    Switch {
        path: Vec<&'static str>,
        text: &'static str,
    },
}

/// One generated argument.
#[derive(Debug, Clone)]
struct Planned {
    /// The clap id (unique: derived from the key path).
    id: String,
    /// `--NAME`.
    long: String,
    /// Other accepted names: visible, then hidden.
    visible: Vec<String>,
    hidden: Vec<String>,
    /// The help line's text (the doc summary).
    summary: String,
    /// The values the help lists after the release note.
    values: String,
    value_name: &'static str,
    heading: String,
    action: Action,
    kind: Option<Kind>,
    /// The value's shape (for value options).
    shape: Option<Shape>,
    /// The releases that have it (the help's note).
    since: Since,
}

/// The clap id of the generated option `--long` (for argument groups naming it).
pub(crate) fn arg_id(long: &str) -> String {
    format!("opt:{long}")
}

impl Planned {
    /// The help line: the doc summary, the release note, the values.
    fn help(&self) -> String {
        format!(
            "{}{}.{}",
            self.summary,
            since_note(&self.since),
            self.values
        )
    }
}

/// The command-line name of a key path: words joined by dashes.
fn cli_name(path: &[&str]) -> String {
    path.iter()
        .map(|k| k.replace(' ', "-"))
        .collect::<Vec<_>>()
        .join("-")
}

/// The release note of help texts: ` (12.2)`, ` (13.3; 12.5.1.26, 13.1.1.12)`, or nothing.
pub(crate) fn since_note(since: &Since) -> String {
    if since.is_base() {
        return String::new();
    }
    let mut note = format!(" ({}", since.mainline);
    for (i, b) in since.backports.iter().enumerate() {
        note.push_str(if i == 0 { "; " } else { ", " });
        note.push_str(&b.to_string());
    }
    note.push(')');
    note
}

/// The help line of a switch that adds `flag` (the command decides what it means there): the
/// flag's documentation and releases from the library's catalogue, so no release is written in
/// the command line.
pub(crate) fn flag_help(flag: Flag, what: &str) -> String {
    let (summary, since) = Flag::VALUES
        .iter()
        .find(|v| v.text == flag.as_str())
        .map_or((String::new(), Since::BASE), |v| {
            (help_line(&v.summary()), v.since)
        });
    let what = if what.is_empty() {
        summary
    } else {
        what.to_owned()
    };
    format!("{what} (flag '{}'){}.", flag.as_str(), since_note(&since))
}

/// A doc summary as the start of a help line: code quotes and the final full stop dropped
/// (the release note and the full stop follow).
fn help_line(summary: &str) -> String {
    summary.replace('`', "").trim_end_matches('.').to_owned()
}

/// The value names and help suffix of a kind.
fn describe(kind: Kind) -> (&'static str, String) {
    match kind {
        Kind::Integer => ("N", String::new()),
        Kind::YesNo => ("yes|no", String::new()),
        Kind::Address => ("ADDR", String::new()),
        Kind::Choice(values) => (
            "VALUE",
            format!(
                " Values: {}.",
                values
                    .iter()
                    .map(value_with_note)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ),
        Kind::Form(form) => ("VALUE", format!(" Form: {form}.")),
        _ => ("TEXT", String::new()),
    }
}

/// `text` or `text (12.3)`.
fn value_with_note(v: &ValueSpec) -> String {
    format!("{}{}", v.text, since_note(&v.since))
}

/// Every argument generated for `T`, in catalogue order.
///
/// Keys come before flag switches: where a flag and a key would have one name (`to-tag`,
/// `all`), the key keeps it and the flag stays reachable through `--flag`.
fn plan<T: CliOptions>() -> Vec<Planned> {
    let mut out = Vec::new();
    walk::<T>(T::OPTIONS, &mut Vec::new(), Since::BASE, &mut out);
    let (mut keys, flags): (Vec<Planned>, Vec<Planned>) =
        out.into_iter().partition(|p| !p.id.starts_with("flag:"));
    keys.extend(flags);
    keys
}

/// The arguments of `T` registered in a command whose own names are `taken` (updated with
/// every name registered): the plan without the arguments whose name is taken already.
fn registered<T: CliOptions>(taken: &mut HashSet<String>) -> Vec<Planned> {
    plan::<T>()
        .into_iter()
        .filter(|p| taken.insert(p.long.clone()))
        .collect()
}

/// Plans the arguments of one table (`prefix`: the keys above it; `outer`: their release).
fn walk<T: CliOptions>(
    table: &'static [OptionSpec],
    prefix: &mut Vec<&'static str>,
    outer: Since,
    out: &mut Vec<Planned>,
) {
    for spec in table {
        prefix.push(spec.key);
        // A nested key's note is its own release, or its dictionary's when its own is the
        // baseline (`--sdp-attr-audio-add` is as new as `sdp-attr`).
        let since = if spec.since.is_base() {
            outer
        } else {
            spec.since
        };
        match spec.shape {
            Shape::Dict(sub) => walk::<T>(sub, prefix, since, out),
            Shape::List(Kind::Choice(values)) if prefix.as_slice() == ["flags"] => {
                switches::<T>(values, prefix, out);
            }
            Shape::List(Kind::Choice(values)) if prefix.as_slice() == ["replace"] => {
                for v in values {
                    let long = format!("replace-{}", v.text.replace(' ', "-"));
                    out.push(Planned {
                        id: format!("replace:{}", v.text),
                        visible: extra_aliases(&long),
                        long,
                        hidden: v
                            .aliases
                            .iter()
                            .map(|a| format!("replace-{}", a.replace(' ', "-")))
                            .collect(),
                        summary: help_line(&v.summary()),
                        values: String::new(),
                        value_name: "",
                        heading: "Replace (each adds an entry to 'replace')".to_owned(),
                        action: Action::Switch {
                            path: prefix.clone(),
                            text: v.text,
                        },
                        kind: None,
                        shape: None,
                        since: v.since,
                    });
                }
            }
            Shape::One(Kind::YesNo) => {
                let derived = cli_name(prefix);
                out.push(Planned {
                    id: arg_id(&renamed::<T>(&derived)),
                    long: renamed::<T>(&derived),
                    visible: extra_aliases(&renamed::<T>(&derived)),
                    hidden: Vec::new(),
                    summary: format!("{} (sends 'yes')", help_line(&spec.summary())),
                    values: String::new(),
                    value_name: "",
                    heading: T::HEADING.to_owned(),
                    action: Action::Switch {
                        path: prefix.clone(),
                        text: "yes",
                    },
                    kind: None,
                    shape: None,
                    since,
                });
            }
            Shape::One(kind) | Shape::List(kind) => {
                let derived = cli_name(prefix);
                let long = renamed::<T>(&derived);
                let repeat = if matches!(spec.shape, Shape::List(_)) {
                    " (repeatable)"
                } else {
                    ""
                };
                let (value_name, values) = describe(kind);
                let join = TWO_WORDS
                    .iter()
                    .find(|(name, _)| *name == derived)
                    .map(|(_, sep)| *sep);
                let mut hidden: Vec<String> = spec
                    .aliases
                    .iter()
                    .map(|a| {
                        let mut p = prefix.clone();
                        p.pop();
                        p.push(a);
                        cli_name(&p)
                    })
                    .collect();
                if derived != long {
                    hidden.push(derived.clone());
                }
                out.push(Planned {
                    id: arg_id(&long),
                    visible: extra_aliases(&long),
                    long,
                    hidden,
                    summary: format!("{}{repeat}", help_line(&spec.summary())),
                    values,
                    value_name,
                    heading: T::HEADING.to_owned(),
                    action: Action::Value {
                        path: prefix.clone(),
                        join,
                    },
                    kind: Some(kind),
                    shape: Some(spec.shape),
                    since,
                });
            }
            // A shape this release of rtpe does not know: reachable through --key only.
            _ => {}
        }
        prefix.pop();
    }
}

/// The flag switches `T` offers.
fn switches<T: CliOptions>(
    values: &'static [ValueSpec],
    path: &[&'static str],
    out: &mut Vec<Planned>,
) {
    for v in values {
        if let Some(offered) = T::FLAG_SWITCHES {
            if !offered.iter().any(|f| f.as_str() == v.text) {
                continue;
            }
        }
        out.push(Planned {
            id: format!("flag:{}", v.text),
            long: v.text.replace(' ', "-"),
            visible: extra_aliases(&v.text.replace(' ', "-")),
            hidden: v.aliases.iter().map(|a| a.replace(' ', "-")).collect(),
            summary: help_line(&v.summary()),
            values: String::new(),
            value_name: "",
            heading: FLAGS_HEADING.to_owned(),
            action: Action::Switch {
                path: path.to_vec(),
                text: v.text,
            },
            kind: None,
            shape: None,
            since: v.since,
        });
    }
}

/// The heading of the flag switches in `--help`.
const FLAGS_HEADING: &str = "Flags (each adds an entry to 'flags')";

/// The name `T` uses for a derived name.
fn renamed<T: CliOptions>(derived: &str) -> String {
    T::RENAMES
        .iter()
        .find(|(from, _)| *from == derived)
        .map_or_else(|| derived.to_owned(), |(_, to)| (*to).to_owned())
}

/// The visible aliases of a name.
fn extra_aliases(long: &str) -> Vec<String> {
    EXTRA_ALIASES
        .iter()
        .filter(|(name, _)| *name == long)
        .flat_map(|(_, aliases)| aliases.iter().map(|a| (*a).to_owned()))
        .collect()
}

/// The options of one options type, as generated arguments, with the raw escape hatches
/// (`--flag`, `--key`).
#[derive(Debug, Clone, Default)]
pub(crate) struct OptionArgs<T> {
    /// The typed options set on the command line.
    typed: T,
    /// The raw flags and keys.
    raw: RawArgs,
}

impl<T: CliOptions> OptionArgs<T> {
    /// The options: the typed ones, then the raw flags and keys (a raw key replaces a typed key
    /// of the same name).
    pub(crate) fn options(&self) -> T {
        let mut options = self.typed.clone();
        self.raw.apply(options.raw_mut());
        options
    }

    /// The raw escape hatches given.
    pub(crate) fn raw(&self) -> &RawArgs {
        &self.raw
    }
}

impl<T: CliOptions> FromArgMatches for OptionArgs<T> {
    fn from_arg_matches(m: &ArgMatches) -> Result<Self, clap::Error> {
        let mut options = T::default();
        for arg in plan::<T>() {
            // An argument left out because its name was taken is not in the matches.
            let Ok(Some(values)) = m.try_get_many::<String>(&arg.id) else {
                if let Ok(Some(true)) = m.try_get_one::<bool>(&arg.id).map(|v| v.copied()) {
                    if let Action::Switch { path, text } = &arg.action {
                        set(&mut options, path, text, &arg.long)?;
                    }
                }
                continue;
            };
            let values: Vec<&String> = values.collect();
            if let Action::Value { path, join } = &arg.action {
                match join {
                    Some(sep) if values.len() == 2 => {
                        let text = format!("{}{sep}{}", values[0], values[1]);
                        set(&mut options, path, &text, &arg.long)?;
                    }
                    Some(_) if values.len() > 2 => {
                        return Err(usage(&arg.long, "given more than twice"));
                    }
                    _ => {
                        for v in values {
                            set(&mut options, path, v, &arg.long)?;
                        }
                    }
                }
            }
        }
        Ok(Self {
            typed: options,
            raw: RawArgs::from_arg_matches(m)?,
        })
    }

    fn update_from_arg_matches(&mut self, m: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(m)?;
        Ok(())
    }
}

/// Sets one option, turning the library's refusal into a usage error naming the argument.
fn set<T: CliOptions>(
    options: &mut T,
    path: &[&str],
    text: &str,
    long: &str,
) -> Result<(), clap::Error> {
    options.set_text(path, text).map_err(|e| {
        let mut reason = e.to_string();
        if reason.contains("unknown value") {
            reason.push_str("; --key KEY=VALUE sends any other value");
        }
        usage(long, &reason)
    })
}

/// A usage error about `--long`.
fn usage(long: &str, reason: &str) -> clap::Error {
    clap::Error::raw(
        clap::error::ErrorKind::ValueValidation,
        format!("invalid value for '--{long}': {reason}\n"),
    )
}

impl<T: CliOptions> Args for OptionArgs<T> {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        let cmd = RawArgs::augment_args(cmd);
        // Names the command has already (its own fields come first) are not generated again.
        let mut taken: HashSet<String> = cmd
            .get_arguments()
            .flat_map(|a| {
                a.get_long()
                    .into_iter()
                    .map(str::to_owned)
                    .chain(a.get_all_aliases().into_iter().flatten().map(str::to_owned))
            })
            .collect();
        // Primary names first, so an alias never takes another option's name.
        let planned = registered::<T>(&mut taken);
        let mut args = Vec::new();
        for p in planned {
            let lower = p.long.to_ascii_lowercase();
            let help = p.help();
            let visible: Vec<String> = p
                .visible
                .into_iter()
                .filter(|a| taken.insert(a.clone()))
                .collect();
            let hidden: Vec<String> = p
                .hidden
                .into_iter()
                .chain(std::iter::once(lower))
                .filter(|a| taken.insert(a.clone()))
                .collect();
            let mut arg = Arg::new(p.id)
                .long(p.long)
                .visible_aliases(visible)
                .aliases(hidden)
                .help(help)
                .help_heading(p.heading);
            arg = match (&p.action, p.kind) {
                (Action::Switch { .. }, _) => arg.action(ArgAction::SetTrue),
                (Action::Value { join, .. }, kind) => {
                    // A single value may be given once; lists and two-word values repeat.
                    let once = matches!(p.shape, Some(Shape::One(_))) && join.is_none();
                    let action = if once {
                        ArgAction::Set
                    } else {
                        ArgAction::Append
                    };
                    let arg = arg.action(action).value_name(p.value_name);
                    match kind {
                        // Lists of numbers may be comma-separated (`--frequencies=400,500`).
                        Some(Kind::Integer) if !once => {
                            arg.allow_negative_numbers(true).value_delimiter(',')
                        }
                        Some(Kind::Integer) => arg.allow_negative_numbers(true),
                        _ => arg,
                    }
                }
            };
            args.push(arg);
        }
        cmd.args(args)
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        Self::augment_args(cmd)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{CommandFactory, Parser};
    use rtpengine_client::{Replace, Version};

    #[derive(Debug, Parser)]
    struct Offer {
        #[arg(long)]
        call_id: Option<String>,
        #[command(flatten)]
        options: OptionArgs<OfferOptions>,
    }

    #[derive(Debug, Parser)]
    struct Media {
        #[arg(long)]
        all: bool,
        #[command(flatten)]
        options: OptionArgs<MediaOptions>,
    }

    fn offer(args: &[&str]) -> Result<OfferOptions, clap::Error> {
        let argv = std::iter::once("offer").chain(args.iter().copied());
        Offer::try_parse_from(argv).map(|o| o.options.options())
    }

    #[test]
    fn the_definition_is_valid() {
        Offer::command().debug_assert();
        Media::command().debug_assert();
    }

    #[test]
    fn every_key_of_the_catalogue_is_an_argument() {
        let cmd = Offer::command();
        let longs: HashSet<&str> = cmd.get_arguments().filter_map(|a| a.get_long()).collect();
        for p in plan::<OfferOptions>() {
            assert!(longs.contains(p.long.as_str()), "--{} missing", p.long);
        }
        for v in Flag::VALUES {
            assert!(
                longs.contains(v.text.replace(' ', "-").as_str()),
                "flag {}",
                v.text
            );
        }
        for v in Replace::VALUES {
            let long = format!("replace-{}", v.text.replace(' ', "-"));
            assert!(longs.contains(long.as_str()), "{long}");
        }
    }

    #[test]
    fn values_reach_the_typed_options() {
        let o = offer(&[
            "--ICE",
            "remove",
            "--codec-strip",
            "PCMA",
            "--codec-strip",
            "G722",
            "--sdp-attr-audio-add",
            "ptime:20",
            "--direction",
            "a",
            "--direction",
            "b",
            "--received-from",
            "IP4",
            "--received-from",
            "192.0.2.1",
            "--trust-address",
            "--replace-origin",
            "--T38",
            "decode",
            "--protocol",
            "RTP/SAVPF",
        ])
        .unwrap();
        assert_eq!(o.codec.strip, ["PCMA", "G722"]);
        assert_eq!(o.sdp_attr.audio.add, ["ptime:20"]);
        assert_eq!(
            o.direction,
            Some(rtpengine_client::Direction::new("a", "b"))
        );
        assert_eq!(o.received_from.as_ref().unwrap().address, "192.0.2.1");
        assert_eq!(o.flags, [Flag::TrustAddress]);
        assert_eq!(o.replace, [Replace::Origin]);
        assert_eq!(o.t38.len(), 1);
        assert_eq!(o.transport_protocol.as_ref().unwrap().as_str(), "RTP/SAVPF");
    }

    #[test]
    fn bad_values_are_usage_errors_naming_the_argument() {
        let err = offer(&["--ICE", "remvoe"]).unwrap_err().to_string();
        assert!(
            err.contains("'--ICE'") && err.contains("unknown value 'remvoe'"),
            "{err}"
        );
        let err = offer(&["--TOS", "999"]).unwrap_err().to_string();
        assert!(err.contains("'--TOS'"), "{err}");
    }

    #[test]
    fn a_name_the_command_has_is_not_generated_again() {
        let m = Media::try_parse_from(["m", "--all", "--all-scope", "flows"]).unwrap();
        assert!(m.all);
        assert!(m.options.options().all.is_some());
    }

    #[test]
    fn help_carries_doc_line_and_releases() {
        let p = plan::<OfferOptions>();
        let t38 = p.iter().find(|p| p.long == "T38-version").unwrap();
        assert!(
            t38.help()
                .contains("(13.3; 12.5.1.26, 13.1.1.12, 13.2.1.8)"),
            "{}",
            t38.help()
        );
        let ice = p.iter().find(|p| p.long == "ICE").unwrap();
        assert!(ice.help().starts_with("ICE: "), "{}", ice.help());
        assert!(ice.help().contains("Values: remove"), "{}", ice.help());
    }

    /// A value every option of `kind` accepts.
    fn sample(kind: Kind) -> &'static str {
        match kind {
            Kind::Integer => "5",
            Kind::YesNo => "yes",
            Kind::Address => "192.0.2.1",
            Kind::Choice(values) => values.last().map_or("x", |v| v.text),
            Kind::Form(form) if form.starts_with("FROM,TO") => "a,b",
            Kind::Form(form) if form.starts_with("ADDR") => "192.0.2.1",
            Kind::Form(form) if form.contains("DTMF digit") => "5",
            _ => "x",
        }
    }

    /// Every generated argument of `T`, given on a command line, reaches the typed options,
    /// and one newer than 10.5 is refused for a 10.5 target naming its key: what the library's
    /// catalogue gains appears here with its gate, with no edit of the command line.
    fn every_argument_reaches_the_options_and_the_gate<T: CliOptions>(
        requirements: impl Fn(&T) -> rtpengine_client::Requirements,
    ) {
        #[derive(Debug, Parser)]
        struct Probe<T: CliOptions> {
            #[command(flatten)]
            options: OptionArgs<T>,
        }
        for p in registered::<T>(&mut HashSet::new()) {
            let mut argv = vec!["probe".to_owned(), format!("--{}", p.long)];
            if let Some(kind) = p.kind {
                argv.push(sample(kind).to_owned());
            }
            let parsed = Probe::<T>::try_parse_from(&argv)
                .unwrap_or_else(|e| panic!("{argv:?}: {e}"))
                .options
                .options();
            assert_ne!(
                format!("{parsed:?}"),
                format!("{:?}", T::default()),
                "{argv:?} set nothing"
            );
            // Something newer than 10.5 is refused for 10.5, naming what needs it.
            if !p.since.met_by(Version::V10_5) {
                let needed = requirements(&parsed);
                let refused = needed.unmet(Version::V10_5);
                assert!(refused.is_some(), "{argv:?} ({}) is not gated", p.since);
            }
        }
    }

    #[test]
    fn every_argument_of_every_command_reaches_the_options_and_the_gate() {
        every_argument_reaches_the_options_and_the_gate::<OfferOptions>(|o| o.requirements());
        every_argument_reaches_the_options_and_the_gate::<RecordingOptions>(|o| o.requirements());
        every_argument_reaches_the_options_and_the_gate::<BlockDtmfOptions>(|o| o.requirements());
        every_argument_reaches_the_options_and_the_gate::<MediaOptions>(|o| o.requirements());
        every_argument_reaches_the_options_and_the_gate::<PlayMediaOptions>(|o| o.requirements());
        every_argument_reaches_the_options_and_the_gate::<PlayDtmfOptions>(|o| o.requirements());
        every_argument_reaches_the_options_and_the_gate::<DeleteOptions>(|o| o.requirements());
        every_argument_reaches_the_options_and_the_gate::<QueryOptions>(|o| o.requirements());
    }

    #[test]
    fn flag_help_names_flag_and_release() {
        let help = flag_help(Flag::Directional, "");
        assert!(help.contains("(flag 'directional') (12.4)."), "{help}");
        let help = flag_help(Flag::Bidirectional, "Both ways");
        assert!(
            help.starts_with("Both ways (flag 'bidirectional') (26.0"),
            "{help}"
        );
    }
}
