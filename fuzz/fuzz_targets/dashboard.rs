#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    statscope_fuzz::checks::check_dashboard(data);
});
