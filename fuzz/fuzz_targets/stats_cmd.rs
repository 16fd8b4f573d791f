#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    statscope_fuzz::checks::check_stats_lines(data);
    statscope_fuzz::bridge_checks::check_stats_cmd(data);
});
