#![cfg(not(target_arch = "wasm32"))]
//! Replays every file of `tests/fuzz-regressions/` through the checks of the fuzz targets (`fuzz/`):
//! `Stats::from_json`, `parse_frame`, the page's `DashboardCore` (ingest, flush, view, snapshot,
//! legend, counters), the `RateEngine` (finite, non-negative rates; bounded, ordered rings), the
//! wire protocol and the page's intake of it (`protocol`), the Podman stats adapter (`podman`) and
//! the `statscope stats` line handling (through the library functions `stats_cmd` is made of; the fuzz
//! target `stats_cmd` and the bridge's `bridge/tests/fuzz_checks.rs` also run the real command on
//! every saved input and compare it with them byte for byte; it also runs the `endpoint` target's
//! check on every saved input). `tests/fuzz_checks.rs` runs the same checks over the seed corpus and
//! inputs generated from it.
//!
//! The checks are the fuzz crate's own file, included here, so a saved input keeps failing or passing
//! exactly as it did under the fuzzer. Every file goes through every check (the inputs share one
//! convention: lines split at `\n`). To add one: `cargo fuzz tmin` it and copy it into the folder;
//! RELIABILITY.md lists what each file is.

#[path = "../fuzz/src/checks.rs"]
mod checks;
#[path = "../fuzz/src/podman_checks.rs"]
mod podman_checks;
#[path = "../fuzz/src/protocol_checks.rs"]
mod protocol_checks;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;

fn inputs() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    files
}

/// The library's checks: the first five targets', then `protocol`'s and `podman`'s.
fn all_checks() -> impl Iterator<Item = &'static (&'static str, checks::Check)> {
    checks::ALL
        .iter()
        .chain(protocol_checks::ALL)
        .chain(podman_checks::ALL)
}

#[test]
fn every_saved_input_passes_every_fuzz_check() {
    let files = inputs();
    assert!(
        !files.is_empty(),
        "no saved inputs in tests/fuzz-regressions/"
    );
    let mut failures = Vec::new();
    for path in &files {
        let data = std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
        let name = path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        for (target, check) in all_checks() {
            if let Err(panic) = catch_unwind(AssertUnwindSafe(|| check(&data))) {
                let message = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_string()))
                    .unwrap_or_default();
                failures.push(format!("{name} [{target}]: {message}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} checks failed on {} saved inputs:\n{}",
        failures.len(),
        files.len() * all_checks().count(),
        files.len(),
        failures.join("\n")
    );
}

#[test]
fn the_page_takes_a_frame_of_exactly_the_limit_and_refuses_one_byte_more() {
    checks::check_frame_size_limit();
}

#[test]
fn the_saved_inputs_stay_small() {
    let total: u64 = inputs()
        .iter()
        .map(|p| std::fs::metadata(p).map_or(0, |m| m.len()))
        .sum();
    assert!(
        total < 100 * 1024,
        "tests/fuzz-regressions/ holds {total} bytes (keep it under 100 KB)"
    );
}
