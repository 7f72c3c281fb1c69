//! The import graph of a crate's sources, for tests that keep its layers layers: which module
//! names which (`crate::…`, `super::…`), and a cycle finder. Reads files as text; no parser, so
//! it sees what `use` lines and paths in code say (macros that build paths are not followed).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
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
    let rel = file.strip_prefix(src).unwrap_or(file);
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
pub fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
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

/// Reads the sources under `src` (a crate's `src` folder): for each file's module path (e.g.
/// `["common", "global"]`), the module paths it names through `crate::…` and `super::…` (code
/// before `#[cfg(test)]`, comments left out; `crate::{a, b}` groups give one path each).
pub fn sources(src: &Path) -> Vec<(Vec<String>, Vec<Vec<String>>)> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    files.sort();
    files
        .iter()
        .map(|file| {
            let module = module_of(src, file);
            let text = std::fs::read_to_string(file).unwrap_or_default();
            let named = named_paths(&module, &code(&text));
            (module, named)
        })
        .collect()
}

/// The graph between the top-level modules of `sources`: each module and the other top-level
/// modules (first path segments) it names.
pub fn top_level_graph(
    sources: &[(Vec<String>, Vec<Vec<String>>)],
) -> BTreeMap<String, BTreeSet<String>> {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, named) in sources {
        let from = module[0].clone();
        graph.entry(from.clone()).or_default();
        for path in named {
            if path[0] != from {
                graph
                    .entry(from.clone())
                    .or_default()
                    .insert(path[0].clone());
            }
        }
    }
    graph
}
