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
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module path of a file: `src/common/global.rs` → `["common", "global"]`,
/// `src/commands/bench/mod.rs` → `["commands", "bench"]`, `src/main.rs` → `["main"]`.
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap();
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") && parts.len() > 1 {
        parts.pop();
    }
    parts
}

/// The code of a file that counts: before `#[cfg(test)]`, without `//` comments.
fn code(text: &str) -> String {
    let body = text.split("#[cfg(test)]").next().unwrap_or("");
    body.lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// An identifier at the start of `s`.
fn ident(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// The module paths named from `module` (absolute, as lists of segments; `crate::{a, b}` gives
/// `a` and `b`). Only the first two segments matter for the checks.
fn named_paths(module: &[String], code: &str) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    for (prefix, base) in [
        ("crate::", Vec::new()),
        // `super::` from `common/global.rs` is `common::`; from `commands/bench/report.rs`
        // it is `commands::bench::`.
        ("super::", module[..module.len().saturating_sub(1)].to_vec()),
    ] {
        let mut rest = code;
        while let Some(at) = rest.find(prefix) {
            // Not the tail of a longer path (`foo::crate::` does not exist, `x_super::` might).
            let before = rest[..at].chars().last();
            rest = &rest[at + prefix.len()..];
            if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
                continue;
            }
            let heads: Vec<Vec<String>> = if let Some(group) = rest.strip_prefix('{') {
                let group = &group[..group.find('}').unwrap_or(group.len())];
                group
                    .split(',')
                    .map(|item| vec![ident(item.trim()).to_owned()])
                    .collect()
            } else {
                let first = ident(rest).to_owned();
                let after = &rest[first.len()..];
                match after.strip_prefix("::") {
                    // `crate::commands::{call, info}`: one path per item.
                    Some(next) if next.starts_with('{') => {
                        let group = &next[1..next.find('}').unwrap_or(next.len())];
                        group
                            .split(',')
                            .map(|item| ident(item.trim()))
                            .filter(|item| !item.is_empty())
                            .map(|item| vec![first.clone(), item.to_owned()])
                            .collect()
                    }
                    Some(next) if !ident(next).is_empty() => {
                        vec![vec![first.clone(), ident(next).to_owned()]]
                    }
                    _ => vec![vec![first]],
                }
            };
            for head in heads {
                if head[0].is_empty() {
                    continue;
                }
                let mut path = base.clone();
                path.extend(head);
                found.push(path);
            }
        }
    }
    found
}

/// A cycle in `graph`, as the list of its nodes, if there is one.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    /// Depth-first search; `stack` is the current path.
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = stack.iter().position(|n| n == node) {
            let mut cycle = stack[i..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, graph, stack, done) {
                return Some(c);
            }
        }
        stack.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|n| visit(n, graph, &mut Vec::new(), &mut done))
}

/// Reads the sources: for each file's module path, the module paths it names.
fn sources() -> Vec<(Vec<String>, Vec<Vec<String>>)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    files
        .iter()
        .map(|file| {
            let module = module_of(&src, file);
            let text = std::fs::read_to_string(file).unwrap();
            let named = named_paths(&module, &code(&text));
            (module, named)
        })
        .collect()
}

#[test]
fn top_level_modules_form_no_cycle() {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, named) in sources() {
        let from = module[0].clone();
        for path in named {
            if path[0] != from {
                graph
                    .entry(from.clone())
                    .or_default()
                    .insert(path[0].clone());
            }
        }
    }
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
