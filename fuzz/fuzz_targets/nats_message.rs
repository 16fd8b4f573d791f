//! libFuzzer target `nats_message`: the fleet hub's reading of whatever an agent publishes
//! (`fuzz/src/nats_checks.rs`; input: a subject line, then the payload).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    statscope_fuzz::nats_checks::check_nats_message(data);
});
