//! statscope's fuzz targets share their checks: [`checks`] (the library; also run by the root
//! package's `tests/fuzz_checks.rs` and `tests/fuzz_regressions.rs`), [`bridge_checks`]
//! (`statscope stats`; also run by `bridge/tests/fuzz_checks.rs`), and their inputs: [`corpus`] (the
//! seed corpus `run.sh` writes, and the generated inputs of the standing tests).

pub mod bridge_checks;
pub mod checks;
pub mod corpus;
