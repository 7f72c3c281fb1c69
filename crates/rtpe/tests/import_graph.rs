//! The layers of `rtpe`'s source stay layers: `main → cli → commands → sdp_options → common`.
//!
//! Reads every `src/**/*.rs` (code before its `#[cfg(test)]`, comments left out), collects the
//! modules each one names through `crate::…` or `super::…`, and fails on:
//!
//! * a cycle between the top-level modules (`cli`, `commands`, `common`, `sdp_options`, …);
//! * a command module naming another command module (they share code through `common`);
//! * a cycle between the files of one directory module (e.g. `common/global.rs` ↔
//!   `common/render.rs`).
//!
//! Unit tests are left out on purpose: they may parse through `cli::Cli` from anywhere.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use rtpengine_testkit::import_graph::{find_cycle, top_level_graph};

/// This crate's sources and what each names.
fn sources() -> Vec<(Vec<String>, Vec<Vec<String>>)> {
    rtpengine_testkit::import_graph::sources(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"))
}

#[test]
fn top_level_modules_form_no_cycle() {
    let graph = top_level_graph(&sources());
    // The layering is really there (the check is not vacuous).
    assert!(graph["cli"].contains("commands"), "{graph:?}");
    assert!(graph["commands"].contains("common"), "{graph:?}");
    if let Some(cycle) = find_cycle(&graph) {
        panic!("import cycle between modules: {}", cycle.join(" → "));
    }
    for lower in ["common", "sdp_options"] {
        let up: Vec<_> = graph
            .get(lower)
            .into_iter()
            .flatten()
            .filter(|m| *m == "cli" || *m == "commands")
            .collect();
        assert!(up.is_empty(), "{lower} imports {up:?}");
    }
}

#[test]
fn commands_do_not_import_each_other() {
    let mut wrong = Vec::new();
    for (module, named) in sources() {
        if module[0] != "commands" || module.len() < 2 {
            continue;
        }
        for path in named {
            if path[0] == "commands" && path.get(1).is_some_and(|m| *m != module[1]) {
                wrong.push(format!("{} → {}", module.join("::"), path.join("::")));
            }
        }
    }
    assert!(wrong.is_empty(), "commands importing commands: {wrong:?}");
}

#[test]
fn files_of_a_directory_module_form_no_cycle() {
    // Per directory module (`common`, `commands`, `commands::bench`): its files and the
    // sibling files they name. Naming the directory module itself (its re-exports) is not an
    // edge between files.
    let mut graphs: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for (module, named) in sources() {
        if module.len() < 2 {
            continue;
        }
        let parent = module[..module.len() - 1].join("::");
        let me = module.join("::");
        for path in named {
            if path.len() < module.len() || path[..module.len() - 1] != module[..module.len() - 1] {
                continue;
            }
            let sibling = path[..module.len()].join("::");
            if sibling != me {
                graphs
                    .entry(parent.clone())
                    .or_default()
                    .entry(me.clone())
                    .or_default()
                    .insert(sibling);
            }
        }
    }
    assert!(graphs.contains_key("common"), "{graphs:?}");
    for (parent, graph) in &graphs {
        if let Some(cycle) = find_cycle(graph) {
            panic!("import cycle inside {parent}: {}", cycle.join(" → "));
        }
    }
}
