//! The two macros every options type is built with.

/// A [`Since`](crate::version::Since): `since!()` is the baseline; `since!(12, 4)` is
/// 12.4; `since!(13, 0; (12, 5, 1, 11))` is 13.0 with a backport to 12.5.1.11 (the mainline may
/// be a full version too: `since!(26, 1, 1, 3; …)`).
macro_rules! since {
    () => {
        $crate::version::Since::BASE
    };
    ($maj:literal, $min:literal $(, $patch:literal, $build:literal)?) => {
        $crate::version::Since::new(since!(@v $maj, $min $(, $patch, $build)?))
    };
    ($maj:literal, $min:literal $(, $patch:literal, $build:literal)?;
        $(($a:literal, $b:literal, $c:literal, $d:literal)),+ $(,)?) => {{
        // A const item, so the backport list is 'static wherever the macro is used.
        const SINCE: $crate::version::Since = $crate::version::Since::backported(
            since!(@v $maj, $min $(, $patch, $build)?),
            &[$($crate::version::Version::full($a, $b, $c, $d)),+],
        );
        SINCE
    }};
    (@v $maj:literal, $min:literal) => {
        $crate::version::Version::new($maj, $min)
    };
    (@v $maj:literal, $min:literal, $patch:literal, $build:literal) => {
        $crate::version::Version::full($maj, $min, $patch, $build)
    };
}

/// An enum of the texts rtpengine accepts for one option, with an `Other(String)` escape.
///
/// ```text
/// text_enum! {
///     /// doc
///     pub enum Ice {
///         /// doc
///         Remove => "remove",
///         ForceRelay => "force-relay" | "force_relay",
///         Trickle => "trickle" @ (11, 2),
///     }
/// }
/// ```
/// Parsing is case-insensitive and treats `-`, `_` and space alike.
macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident $(($open:ident))? {
            $(
                $(#[doc = $vdoc:literal])*
                $variant:ident => $text:literal $(| $alias:literal)* $(@ ($($since:tt)*))?,
            )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[doc = $vdoc])* $variant, )*
            /// Any other value, sent as written.
            Other(String),
        }

        impl $name {
            /// Every known value with its text.
            pub const ALL: &'static [(&'static str, $crate::version::Since)] =
                &[ $( ($text, since!($($($since)*)?)) ),* ];

            /// Every known value with its text, other accepted spellings, releases and
            /// documentation.
            pub const VALUES: &'static [$crate::message::options::ValueSpec] = &[ $(
                $crate::message::options::ValueSpec {
                    text: $text,
                    aliases: &[$($alias),*],
                    since: since!($($($since)*)?),
                    doc: concat!($($vdoc, "\n",)* ""),
                }
            ),* ];

            /// The text sent to rtpengine.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $text, )*
                    Self::Other(s) => s,
                }
            }

            /// The releases that have this value (the baseline for `Other`).
            pub fn since(&self) -> $crate::version::Since {
                match self {
                    $( Self::$variant => since!($($($since)*)?), )*
                    Self::Other(_) => $crate::version::Since::BASE,
                }
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::convert::Infallible;
            /// Parses rtpengine's spelling (case-insensitive; `-`, `_` and space alike);
            /// anything else becomes `Other`.
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let norm = |t: &str| t.to_ascii_lowercase().replace(['_', ' '], "-");
                let wanted = norm(s);
                $(
                    if norm($text) == wanted $(|| norm($alias) == wanted)* {
                        return Ok(Self::$variant);
                    }
                )*
                Ok(Self::Other(s.to_owned()))
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                match s.parse() {
                    Ok(v) => v,
                    Err(never) => match never {},
                }
            }
        }

        impl $crate::message::options::IntoItem<$name> for &str {
            fn into_item(self) -> $name {
                $name::from(self)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl $crate::message::options::Scalar for $name {
            const KIND: $crate::message::options::Kind =
                $crate::message::options::Kind::Choice(Self::VALUES);
            fn encode(&self, enc: &mut $crate::bencode::Encoder<'_>) {
                enc.str(self.as_str());
            }
            /// A known value; any other text too when the enum is open (`(open)`).
            fn from_text(text: &str) -> Result<Self, String> {
                let open = false $(|| stringify!($open) == "open")?;
                match Self::from(text) {
                    _ if text.is_empty() => Err("an empty value".to_owned()),
                    Self::Other(_) if !open => Err(format!(
                        "unknown value '{text}' (one of: {})",
                        Self::ALL.iter().map(|(t, _)| *t).collect::<Vec<_>>().join(", ")
                    )),
                    value => Ok(value),
                }
            }
            fn decode(v: &$crate::bencode::Value) -> Option<Self> {
                v.as_str().map(Self::from)
            }
            fn since(&self) -> $crate::version::Since {
                $name::since(self)
            }
            fn describe(&self) -> String {
                format!("'{}'", self.as_str())
            }
        }
    };
}

/// An options struct: typed fields, each sent under one key, plus raw keys and flags.
///
/// ```text
/// ng_options! {
///     /// doc
///     pub struct QueryOptions {
///         /// doc
///         from_tag: Option<String> = "from-tag";
///         sdp_attr: SdpAttr = "sdp-attr" @ (11, 3);
///     }
/// }
/// ```
/// Generates the struct (`#[non_exhaustive]`, `Default`), the `OPTIONS` table (the catalogue as
/// data), a setter per field (lists append), `set_text`, `raw_key`/`raw_flag`, `encode_keys`,
/// `from_dict`, `requirements` (version gate) and an
/// [`OptionValue`](crate::message::options::OptionValue) impl so it can nest as a dictionary.
macro_rules! ng_options {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $(
                $(#[doc = $fdoc:literal])*
                $field:ident : $ty:ty = $key:literal $(| $alias:literal)* $(@ ($($since:tt)*))?;
            )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq)]
        #[non_exhaustive]
        pub struct $name {
            $( $(#[doc = $fdoc])* pub $field: $ty, )*
            /// Raw keys and flags, for what is not typed (raw keys replace typed ones).
            pub raw: $crate::message::options::Raw,
        }

        impl $name {
            /// Every key this type sends: its accepted aliases, the releases that have it, its
            /// documentation and the shape of its value.
            pub const OPTIONS: &'static [$crate::message::options::OptionSpec] = &[ $(
                $crate::message::options::OptionSpec {
                    key: $key,
                    aliases: &[$($alias),*],
                    since: since!($($($since)*)?),
                    doc: concat!($($fdoc, "\n",)* ""),
                    shape: <$ty as $crate::message::options::OptionValue>::SHAPE,
                }
            ),* ];

            /// No options.
            pub fn new() -> Self {
                Self::default()
            }

            $(
                #[doc = concat!("Sets `", $key, "` (a list gets one more item).")]
                // Setters are named after their keys, even where that is `add` or `set`.
                #[allow(clippy::should_implement_trait)]
                pub fn $field<V>(mut self, value: V) -> Self
                where
                    V: $crate::message::options::IntoItem<
                        <$ty as $crate::message::options::OptionValue>::Item,
                    >,
                {
                    $crate::message::options::OptionValue::set(
                        &mut self.$field,
                        $crate::message::options::IntoItem::into_item(value),
                    );
                    self
                }
            )*

            /// Sets the option at `path` (a key of [`Self::OPTIONS`], then keys of nested
            /// dictionaries) from text as a person types it: a value, or one more item of a
            /// list. Aliases are not accepted here; an unknown key or a value that does not
            /// fit is an [`Error::InvalidRequest`](crate::Error::InvalidRequest) naming it.
            pub fn set_text(&mut self, path: &[&str], text: &str) -> $crate::error::Result<()> {
                self.set_path(path, text).map_err(|reason| {
                    $crate::error::Error::InvalidRequest {
                        reason: format!("option '{}': {reason}", path.join(".")),
                    }
                })
            }

            fn set_path(&mut self, path: &[&str], text: &str) -> Result<(), String> {
                // Qualified: a nested options type has an inherent `set_text` too.
                use $crate::message::options::OptionValue as V;
                match path {
                    $(
                        [$key] => V::set_text(&mut self.$field, text),
                        [$key, rest @ ..] => V::set_nested(&mut self.$field, rest, text),
                    )*
                    _ => Err(format!("{} has no such option", stringify!($name))),
                }
            }

            /// Adds a raw dictionary entry; it replaces a typed key of the same name.
            pub fn raw_key(
                mut self,
                key: impl Into<String>,
                value: impl Into<$crate::bencode::Value>,
            ) -> Self {
                self.raw.set(key.into(), value.into());
                self
            }

            /// Adds a raw entry to the `flags` list.
            pub fn raw_flag(mut self, flag: impl Into<String>) -> Self {
                self.raw.flags.push(flag.into());
                self
            }

            /// True when nothing is set.
            pub fn is_empty(&self) -> bool {
                // Field by field: cheaper than building a default value to compare with.
                true $(&& !$crate::message::options::OptionValue::is_set(&self.$field))*
                    && self.raw.keys.is_empty()
                    && self.raw.flags.is_empty()
            }

            /// Writes the entries (typed, then raw).
            pub fn encode_keys(&self, enc: &mut $crate::bencode::Encoder<'_>) {
                let mut w = $crate::message::options::KeyWriter::new(enc, &self.raw);
                $( w.field($key, &self.$field); )*
                w.finish();
            }

            /// Reads options from a request dictionary. Known keys (and their aliases) fill the
            /// typed fields; everything else, or a value of an unexpected shape, stays raw, so
            /// `encode_keys` writes the same entries back.
            pub fn from_dict(dict: &$crate::bencode::Dict) -> Self {
                let mut out = Self::default();
                for (k, v) in dict.iter() {
                    let k = String::from_utf8_lossy(k);
                    let taken = false;
                    $(
                        let taken = taken || ((k == $key $(|| k == $alias)*)
                            && !$crate::message::options::OptionValue::is_set(&out.$field)
                            && match <$ty as $crate::message::options::OptionValue>::decode(v) {
                                Some(val) => { out.$field = val; true }
                                None => false,
                            });
                    )*
                    if !taken {
                        out.raw.keys.push((k.into_owned(), v.clone()));
                    }
                }
                out
            }

            /// What the set options need of the daemon, each naming the option (empty when
            /// everything set is as old as 10.5).
            pub fn requirements(&self) -> $crate::version::Requirements {
                #[allow(unused_mut)]
                let mut r = $crate::version::Requirements::default();
                $(
                    if $crate::message::options::OptionValue::is_set(&self.$field) {
                        r.need(since!($($($since)*)?), || format!("option '{}'", $key));
                        $crate::message::options::OptionValue::need(&self.$field, $key, &mut r);
                    }
                )*
                r
            }
        }

        impl $crate::message::options::OptionValue for $name {
            type Item = Self;
            const SHAPE: $crate::message::options::Shape =
                $crate::message::options::Shape::Dict(Self::OPTIONS);
            fn set_text(&mut self, _text: &str) -> Result<(), String> {
                Err("is a dictionary: set one of its options".to_owned())
            }
            fn set_nested(&mut self, path: &[&str], text: &str) -> Result<(), String> {
                self.set_path(path, text)
            }
            fn is_set(&self) -> bool {
                !self.is_empty()
            }
            fn set(&mut self, item: Self) {
                *self = item;
            }
            fn encode(&self, enc: &mut $crate::bencode::Encoder<'_>) {
                enc.dict();
                self.encode_keys(enc);
                enc.end();
            }
            fn decode(v: &$crate::bencode::Value) -> Option<Self> {
                v.as_dict().map(Self::from_dict)
            }
            fn need(&self, key: &str, r: &mut $crate::version::Requirements) {
                for req in self.requirements().iter() {
                    r.need(req.since, || format!("{} of option '{}'", req.what, key));
                }
            }
        }
    };
}
