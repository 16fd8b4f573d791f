#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    statscope_fuzz::protocol_checks::check_protocol(data);
});
