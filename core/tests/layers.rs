//! Core's layers: each top-level module of `core/src` belongs to one layer, and its code
//! (tests aside) names only its own module and the layers below it. Two modules of one layer
//! (metrics and logs) do not name each other. This reads every `crate::` and `super::` path
//! in the sources, so an import that points up fails here with its file and line.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

/// The layers, bottom first.
const LAYERS: &[&[&str]] = &[
    &["base"],
    &["config"],
    &["export"],
    &["metrics", "logs"],
    &["system"],
    &["sdk"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

/// Every `.rs` file under `dir`.
fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module path of a source file, from the crate root: `metrics/views.rs` is
/// `["metrics", "views"]`, `metrics/mod.rs` is `["metrics"]`.
fn module_path(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
        parts.pop();
    }
    parts
}

/// The code of a file without its tests (from the first `#[cfg(...test...)]` on) and without
/// comments.
fn code(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("#[cfg(") && trimmed.contains("test") {
            break;
        }
        let without_comment = match line.find("//") {
            Some(i) => &line[..i],
            None => line,
        };
        out.push((n + 1, without_comment.to_owned()));
    }
    out
}

/// The first segment after each `crate::` in `line`, or each name of a `crate::{a, b}` group.
fn crate_names(line: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = line;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            names.extend(
                group[..end]
                    .split(',')
                    .map(|item| leading_name(item.trim()))
                    .filter(|n| !n.is_empty()),
            );
        } else {
            names.push(leading_name(rest));
        }
    }
    names
}

fn leading_name(s: &str) -> String {
    s.chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

/// How many `super::` open the paths in `line`, each with the name that follows.
fn super_paths(line: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(i) = rest.find("super::") {
        let before = &rest[..i];
        if before.ends_with("super::") {
            rest = &rest[i + "super::".len()..];
            continue;
        }
        let mut after = &rest[i..];
        let mut ups = 0;
        while let Some(r) = after.strip_prefix("super::") {
            ups += 1;
            after = r;
        }
        out.push((ups, leading_name(after)));
        rest = after;
    }
    out
}

#[test]
fn no_core_module_names_a_layer_above_its_own() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    files.sort();
    let mut wrong = Vec::new();
    let mut seen_top = std::collections::BTreeSet::new();
    for file in &files {
        let module = module_path(&src, file);
        let Some(top) = module.first() else {
            continue; // lib.rs: the crate's face, above every layer.
        };
        seen_top.insert(top.clone());
        let own = layer_of(top).unwrap_or_else(|| {
            panic!(
                "{}: module {top:?} is in no layer of LAYERS",
                file.display()
            )
        });
        let text = std::fs::read_to_string(file).unwrap();
        for (n, line) in code(&text) {
            let mut named: Vec<String> = crate_names(&line);
            // `super::` in module `a::b` is `a`: a path that climbs past the top-level module
            // names another top-level module.
            named.extend(
                super_paths(&line)
                    .into_iter()
                    .filter(|(ups, _)| *ups >= module.len())
                    .map(|(_, name)| name),
            );
            for name in named {
                if name == *top || name.is_empty() || name == "Result" {
                    continue;
                }
                let Some(theirs) = layer_of(&name) else {
                    // A name the crate root re-exports (`crate::Config`): the root is above
                    // every layer.
                    if name.chars().next().is_some_and(char::is_uppercase) {
                        wrong.push(format!(
                            "{}:{n}: crate::{name} goes through the crate root",
                            file.display()
                        ));
                    }
                    continue;
                };
                if theirs >= own {
                    wrong.push(format!(
                        "{}:{n}: {top} (layer {own}) names {name} (layer {theirs})",
                        file.strip_prefix(&src).unwrap().display()
                    ));
                }
            }
        }
    }
    let listed: std::collections::BTreeSet<String> = LAYERS
        .iter()
        .flat_map(|l| l.iter().map(|m| (*m).to_owned()))
        .collect();
    assert_eq!(
        seen_top, listed,
        "every layer's module exists, and no other"
    );
    assert!(
        wrong.is_empty(),
        "imports against the layers:\n{}",
        wrong.join("\n")
    );
}
