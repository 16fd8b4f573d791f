#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    statscope_fuzz::endpoint_checks::check_endpoint(data);
});
