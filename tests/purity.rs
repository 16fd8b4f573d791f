//! The engine, the Docker model and the page's logic stay pure: no browser, no runtime, no clock,
//! no I/O.
//!
//! The core crate's purity is a fact of its `Cargo.toml` (it may depend only on the crates listed
//! here); its sources, and the root package's modules outside the `wasm32`-gated browser layer,
//! compile for the host and for `wasm32-unknown-unknown` alike and take time only from the samples.
//! This test fails if any of them names what would break that.

use std::path::{Path, PathBuf};

/// The root package's pure modules (everything but the browser layer, `src/web/`).
const ROOT_PURE: &[&str] = &[
    "src/chart",
    "src/dashboard",
    "src/lifecycle",
    "src/paint_job",
    "src/reconnect",
    "src/view",
];

/// All the core crate may depend on.
const CORE_DEPENDENCIES: &[&str] = &["serde", "serde_json", "thiserror"];

const FORBIDDEN: &[&str] = &[
    "web_sys",
    "js_sys",
    "wasm_bindgen",
    "plotters",
    "tokio",
    "Instant::now",
    "SystemTime::now",
    "OffsetDateTime::now",
    "std::time::Instant",
    "std::time::SystemTime",
    "std::fs",
    "std::net",
    "std::io",
    "std::process",
    "std::thread",
    "std::env",
    "println!",
    "eprintln!",
    "print!(",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every `.rs` file at or below `path` (a module `src/x` is `src/x.rs` or the folder `src/x/`).
fn rust_files(path: &Path) -> Vec<PathBuf> {
    if !path.exists() {
        return rust_files(&path.with_extension("rs"));
    }
    if path.is_file() {
        return vec![path.to_path_buf()];
    }
    let mut files = Vec::new();
    let mut dirs = vec![path.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let p = entry.expect("entry").path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|e| e == "rs") {
                files.push(p);
            }
        }
    }
    files.sort();
    files
}

/// `word`s of [`FORBIDDEN`] in `file`'s code (comments left out), with where.
fn platform_code(file: &Path, allowed: &[&str]) -> Vec<String> {
    let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let mut found = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        for word in FORBIDDEN.iter().filter(|w| !allowed.contains(w)) {
            if code.contains(word) {
                found.push(format!(
                    "{}:{}: `{word}` in `{}`",
                    file.display(),
                    n + 1,
                    line.trim()
                ));
            }
        }
    }
    found
}

#[test]
fn the_core_depends_on_nothing_that_touches_a_platform() {
    let manifest =
        std::fs::read_to_string(root().join("crates/core/Cargo.toml")).expect("manifest");
    let mut section = String::new();
    let mut deps = Vec::new();
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            section = line.to_string();
            continue;
        }
        // Normal dependencies, for any target (dev-dependencies only build tests and benches).
        let normal = section == "[dependencies]"
            || (section.starts_with("[target.") && section.ends_with(".dependencies]"));
        if normal && !line.is_empty() && !line.starts_with('#') {
            if let Some((name, _)) = line.split_once('=') {
                deps.push(name.trim().to_string());
            }
        }
    }
    assert!(
        !deps.is_empty(),
        "no [dependencies] found in crates/core/Cargo.toml"
    );
    for dep in &deps {
        assert!(
            CORE_DEPENDENCIES.contains(&dep.as_str()),
            "statscope-core depends on `{dep}`: the core may only use {CORE_DEPENDENCIES:?}"
        );
    }
}

#[test]
fn pure_modules_are_free_of_platform_code() {
    let mut found = Vec::new();
    for file in rust_files(&root().join("crates/core/src")) {
        found.extend(platform_code(&file, &[]));
    }
    for module in ROOT_PURE {
        // The page's logic may name plotters (the chart is drawn through its backend trait).
        for file in rust_files(&root().join(module)) {
            found.extend(platform_code(&file, &["plotters"]));
        }
    }
    assert!(
        found.is_empty(),
        "platform code in pure modules:\n{}",
        found.join("\n")
    );
}

#[test]
fn every_root_module_is_classified() {
    // A new module must be listed as pure, or be the browser layer (gated to wasm32).
    let lib = std::fs::read_to_string(root().join("src/lib.rs")).expect("lib.rs");
    let mut prev = "";
    for line in lib.lines() {
        let line = line.trim();
        if let Some(name) = line
            .strip_prefix("pub mod ")
            .or_else(|| line.strip_prefix("mod "))
        {
            let name = name.trim_end_matches(';');
            let gated = prev.contains("target_arch = \"wasm32\"");
            let listed = ROOT_PURE.iter().any(|m| *m == format!("src/{name}"));
            assert!(
                gated || listed,
                "module `{name}` is neither listed as pure nor gated to wasm32"
            );
        }
        prev = line;
    }
}
