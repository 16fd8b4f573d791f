//! statscope's fuzz targets share their checks: [`checks`] (the library; also replayed by the root
//! package's `tests/fuzz_regressions.rs`) and [`bridge_checks`] (`statscope stats`).

pub mod bridge_checks;
pub mod checks;
