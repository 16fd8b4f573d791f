//! statscope's fuzz targets share their checks: [`checks`] (the library; also run by the root
//! package's `tests/fuzz_checks.rs` and `tests/fuzz_regressions.rs`), [`protocol_checks`] (the wire
//! protocol and the page's intake of it) and [`podman_checks`] (the Podman stats adapter), both run
//! by the same tests, [`bridge_checks`] (`statscope stats`) and [`endpoint_checks`] (engine URLs,
//! docker context files and `config.json` against the docker CLI) and [`nats_checks`] (the fleet
//! hub's reading of an agent's NATS message), run by `bridge/tests/fuzz_checks.rs`; and their
//! inputs: [`corpus`] (the seed corpus `run.sh` writes, and the generated inputs of the standing
//! tests) and [`nats_seeds`] (the `nats_message` target's framing and seeds).

pub mod bridge_checks;
pub mod checks;
pub mod corpus;
pub mod endpoint_checks;
pub mod nats_checks;
pub mod nats_seeds;
pub mod podman_checks;
pub mod protocol_checks;
