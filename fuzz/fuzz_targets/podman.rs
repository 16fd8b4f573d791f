#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    statscope_fuzz::podman_checks::check_podman(data);
});
