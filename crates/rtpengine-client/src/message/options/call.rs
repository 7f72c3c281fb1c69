//! Options of `delete` and `query`.

use super::flags::Flag;

ng_options! {
    /// Options of `delete`.
    pub struct DeleteOptions {
        /// `to-tag`: delete only this dialogue branch (13.0+ only honour it with the `to-tag`
        /// flag, which the client adds).
        to_tag: Option<String> = "to-tag";
        /// `via-branch`.
        via_branch: Option<String> = "via-branch";
        /// `delete delay` in seconds (0 = remove immediately; absent = the daemon's default).
        delete_delay: Option<u32> = "delete delay" | "delete-delay" | "delete_delay";
        /// The `flags` list (`fatal`, …).
        flags: Vec<Flag> = "flags";
    }
}

impl DeleteOptions {
    /// Sets or clears the `fatal` flag: an unknown call is then an error, not a warning.
    pub fn fatal(mut self, fatal: bool) -> Self {
        self.flags.retain(|f| *f != Flag::Fatal);
        if fatal {
            self.flags.push(Flag::Fatal);
        }
        self
    }

    /// True when the `fatal` flag is set.
    pub fn is_fatal(&self) -> bool {
        self.flags.contains(&Flag::Fatal)
    }
}

ng_options! {
    /// Options of `query`.
    pub struct QueryOptions {
        /// `from-tag`.
        from_tag: Option<String> = "from-tag";
        /// `to-tag`.
        to_tag: Option<String> = "to-tag";
        /// `via-branch` (10.5 ignores it in `query`).
        via_branch: Option<String> = "via-branch";
    }
}
