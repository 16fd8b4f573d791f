//! The engine and the Docker model stay pure: no browser, no runtime, no clock, no I/O.
//!
//! These modules compile for the host and for `wasm32-unknown-unknown` alike and take time only from
//! the samples. This test fails if any of them names what would break that.

const PURE_MODULES: &[&str] = &[
    "src/keyed.rs",
    "src/model.rs",
    "src/figures.rs",
    "src/rates.rs",
    "src/report.rs",
    "src/units.rs",
    "src/seed.rs",
    "src/chart.rs",
    "src/dashboard.rs",
    "src/reconnect.rs",
    "src/view.rs",
    "src/lifecycle.rs",
    "src/sorting.rs",
    "src/idmap.rs",
];

const FORBIDDEN: &[&str] = &[
    "web_sys",
    "js_sys",
    "wasm_bindgen",
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

#[test]
fn engine_and_model_modules_are_free_of_platform_code() {
    let root = env!("CARGO_MANIFEST_DIR");
    let mut found = Vec::new();
    for module in PURE_MODULES {
        let path = format!("{root}/{module}");
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {path}: {e}"));
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for word in FORBIDDEN {
                if code.contains(word) {
                    found.push(format!("{module}:{}: `{word}` in `{}`", n + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "platform code in pure modules:\n{}",
        found.join("\n")
    );
}

#[test]
fn every_library_module_is_classified() {
    // A new module must be added to PURE_MODULES, or be the browser layer (gated to wasm32).
    let root = env!("CARGO_MANIFEST_DIR");
    let lib = std::fs::read_to_string(format!("{root}/src/lib.rs")).expect("lib.rs");
    let mut prev = "";
    for line in lib.lines() {
        let line = line.trim();
        if let Some(name) = line
            .strip_prefix("pub mod ")
            .or_else(|| line.strip_prefix("mod "))
        {
            let name = name.trim_end_matches(';');
            let gated = prev.contains("target_arch = \"wasm32\"");
            assert!(
                gated || PURE_MODULES.contains(&format!("src/{name}.rs").as_str()),
                "module `{name}` is neither listed as pure nor gated to wasm32"
            );
        }
        prev = line;
    }
}
