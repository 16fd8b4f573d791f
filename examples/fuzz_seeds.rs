//! Writes the fuzz targets' seed corpus (`fuzz/src/corpus.rs`: the same seeds the standing tests
//! `tests/fuzz_checks.rs` and `bridge/tests/fuzz_checks.rs` check) into libFuzzer corpus folders,
//! for `fuzz/run.sh`:
//!
//! ```sh
//! cargo run --example fuzz_seeds -- MAX_LEN DIR...
//! ```
//!
//! Each seed of at most `MAX_LEN` bytes becomes one file in each `DIR`, named by a hash of its
//! bytes; a file already there is kept (the corpus grows between runs).

#[path = "../fuzz/src/corpus.rs"]
mod corpus;

use std::path::{Path, PathBuf};

/// FNV-1a, 64 bits: a stable name for a seed's bytes.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn main() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: fuzz_seeds MAX_LEN DIR...";
    let max_len: usize = args
        .next()
        .ok_or(usage)?
        .parse()
        .map_err(|e| format!("MAX_LEN: {e}"))?;
    let dirs: Vec<PathBuf> = args.map(PathBuf::from).collect();
    if dirs.is_empty() {
        return Err(usage.into());
    }
    let seeds = corpus::seeds(Path::new(env!("CARGO_MANIFEST_DIR")), max_len);
    for dir in &dirs {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for seed in &seeds {
            let path = dir.join(format!("seed-{:016x}", fnv1a(seed)));
            if !path.exists() {
                std::fs::write(&path, seed).map_err(|e| format!("{}: {e}", path.display()))?;
            }
        }
    }
    println!("{} seeds per target", seeds.len());
    Ok(())
}
