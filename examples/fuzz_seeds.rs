//! Writes the fuzz targets' seed corpus (the same seeds the standing tests `tests/fuzz_checks.rs`
//! and `bridge/tests/fuzz_checks.rs` check) into libFuzzer corpus folders, for `fuzz/run.sh`:
//!
//! ```sh
//! cargo run --example fuzz_seeds -- MAX_LEN DIR...
//! ```
//!
//! Each folder's name is its target's: `protocol` gets `protocol_checks::seeds`, `podman`
//! `podman_checks::seeds`, `endpoint` `corpus::endpoint_seeds`, `nats_message` `nats_seeds::seeds`,
//! every other target the general seeds
//! (`corpus::seeds`). Each seed of at most `MAX_LEN` bytes becomes one file, named by a hash of its
//! bytes; a file already there is kept (the corpus grows between runs).

#[path = "../fuzz/src/checks.rs"]
mod checks;
#[path = "../fuzz/src/corpus.rs"]
mod corpus;
#[path = "../fuzz/src/nats_seeds.rs"]
mod nats_seeds;
#[path = "../fuzz/src/podman_checks.rs"]
mod podman_checks;
#[path = "../fuzz/src/protocol_checks.rs"]
mod protocol_checks;

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
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let general = corpus::seeds(root, max_len);
    for dir in &dirs {
        let target = dir.file_name().map(|n| n.to_string_lossy().into_owned());
        let seeds = match target.as_deref() {
            Some("protocol") => protocol_checks::seeds(root, max_len, &general),
            Some("podman") => podman_checks::seeds(root, max_len, &general),
            Some("endpoint") => corpus::endpoint_seeds(root, max_len),
            Some("nats_message") => nats_seeds::seeds(root, max_len),
            _ => general.clone(),
        };
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for seed in &seeds {
            let path = dir.join(format!("seed-{:016x}", fnv1a(seed)));
            if !path.exists() {
                std::fs::write(&path, seed).map_err(|e| format!("{}: {e}", path.display()))?;
            }
        }
        println!("{}: {} seeds", dir.display(), seeds.len());
    }
    Ok(())
}
