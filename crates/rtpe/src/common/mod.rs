//! The bottom layer every command uses: the outcome of a command and its exit codes, the global
//! options and the connection they describe, reading input, the raw escape hatches, the party
//! selection, and rendering (JSON through the library's one writer, summaries, trees).
//!
//! Nothing here imports `cli` or `commands` (checked by `tests/import_graph.rs`).

pub(crate) mod global;
pub(crate) mod input;
pub(crate) mod options;
pub(crate) mod outcome;
pub(crate) mod raw;
pub(crate) mod render;
pub(crate) mod select;
pub(crate) mod statistics;
pub(crate) mod summary;

pub(crate) use global::GlobalArgs;
pub(crate) use outcome::{usage, Failure, Output, EXIT_OTHER, EXIT_RTPENGINE, EXIT_USAGE};
pub(crate) use raw::RawArgs;
