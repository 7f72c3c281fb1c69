//! The library's modules form layers, not circles: `client → transport → counters → message →
//! version`, `error` below `message` and above `version`, `bencode` at the bottom.
//!
//! Library code outside `lib.rs` names modules, not the root's re-exports (`crate::message::…`,
//! not `crate::OfferOptions`), so the graph read from the sources is the whole graph.

use std::collections::BTreeSet;
use std::path::Path;

use rtpengine_testkit::import_graph::{find_cycle, sources, top_level_graph};

/// The library's sources and what each names.
fn library() -> Vec<(Vec<String>, Vec<Vec<String>>)> {
    sources(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"))
}

#[test]
fn top_level_modules_form_no_cycle() {
    let sources = library();
    let modules: BTreeSet<String> = sources.iter().map(|(m, _)| m[0].clone()).collect();
    // Every path names a module (a root re-export would hide an edge).
    let mut not_modules = Vec::new();
    for (module, named) in &sources {
        if module[0] == "lib" {
            continue;
        }
        for path in named {
            if !modules.contains(&path[0]) {
                not_modules.push(format!(
                    "{} → crate::{}",
                    module.join("::"),
                    path.join("::")
                ));
            }
        }
    }
    assert!(
        not_modules.is_empty(),
        "paths through the root: {not_modules:?}"
    );
    let mut graph = top_level_graph(&sources);
    graph.remove("lib");
    // The layering is really there (the check is not vacuous).
    assert!(graph["client"].contains("transport"), "{graph:?}");
    assert!(graph["transport"].contains("message"), "{graph:?}");
    assert!(graph["error"].contains("version"), "{graph:?}");
    if let Some(cycle) = find_cycle(&graph) {
        panic!("import cycle between modules: {}", cycle.join(" → "));
    }
}

#[test]
fn the_message_model_knows_no_io() {
    // Sans-IO: the codec and the message model name neither the transports nor the client.
    let graph = top_level_graph(&library());
    for lower in ["bencode", "message", "version", "error"] {
        let up: Vec<_> = graph
            .get(lower)
            .into_iter()
            .flatten()
            .filter(|m| ["client", "transport", "counters"].contains(&m.as_str()))
            .collect();
        assert!(up.is_empty(), "{lower} names {up:?}");
    }
}
