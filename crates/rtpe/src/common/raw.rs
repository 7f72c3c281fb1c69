//! The raw escape hatches `--flag TEXT` and `--key KEY=VALUE`, and the one place they are
//! added to a library options struct.

use clap::Args;
use rtpengine_client::bencode::Value;
use rtpengine_client::Raw;

/// The generic escape hatches, accepted by every command with options.
#[derive(Debug, Clone, Default, Args)]
pub(crate) struct RawArgs {
    /// Add a raw entry to the `flags` list (repeatable).
    #[arg(long = "flag", visible_alias = "flags", value_name = "TEXT")]
    pub(crate) flags: Vec<String>,
    /// Add a raw string key, KEY=VALUE (repeatable; replaces a typed key of the same name).
    #[arg(long = "key", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    pub(crate) keys: Vec<(String, String)>,
}

impl RawArgs {
    /// Adds the raw flags and keys to an options struct's `raw` part (every library options
    /// type has one); a raw key replaces a typed key of the same name.
    pub(crate) fn apply(&self, raw: &mut Raw) {
        raw.flags.extend(self.flags.iter().cloned());
        for (key, value) in &self.keys {
            raw.set(key.clone(), Value::from(value.clone()));
        }
    }

    /// True when a raw key or flag selects a party (`from-tag`, `label`, `from-label`,
    /// `address`, `all`).
    pub(crate) fn selects_party(&self) -> bool {
        self.keys.iter().any(|(k, _)| {
            matches!(
                k.as_str(),
                "from-tag" | "label" | "from-label" | "address" | "all"
            )
        }) || self.flags.iter().any(|f| f == "all")
    }
}

/// Parses `--key KEY=VALUE`.
fn parse_key_value(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_owned(), value.to_owned())),
        _ => Err("expected KEY=VALUE with a non-empty KEY".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_values() {
        assert_eq!(
            parse_key_value("a=b=c").unwrap(),
            ("a".to_owned(), "b=c".to_owned())
        );
        assert!(parse_key_value("=x").is_err());
        assert!(parse_key_value("x").is_err());
    }

    #[test]
    fn apply_adds_flags_and_replaces_keys() {
        let args = RawArgs {
            flags: vec!["x".into()],
            keys: vec![("k".into(), "1".into()), ("k".into(), "2".into())],
        };
        let mut raw = Raw::default();
        args.apply(&mut raw);
        assert_eq!(raw.flags, ["x"]);
        assert_eq!(raw.keys, [("k".to_owned(), Value::str("2"))]);
    }
}
