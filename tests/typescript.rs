//! The package's TypeScript (`src/web/dashboard.d.ts`, which wasm-bindgen appends to
//! `pkg/statscope.d.ts`) begins with what the options schema and the metrics table generate
//! (`DashboardOptions`, `DashboardMetric`): a new option or metric cannot be left out of it.
//! `STATSCOPE_BLESS=1 cargo test --test typescript` writes the generated part into the file.

use statscope::dashboard::options::typescript;

const FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src/web/dashboard.d.ts");
const END: &str = "// (end of the part generated from the options schema and the metrics table)\n";

#[test]
fn the_d_ts_begins_with_the_generated_options_and_metrics() {
    let text = std::fs::read_to_string(FILE).expect("src/web/dashboard.d.ts");
    let generated = format!("{}{END}", typescript());
    if std::env::var_os("STATSCOPE_BLESS").is_some() && !text.starts_with(&generated) {
        let rest = text.split_once(END).map_or(text.as_str(), |(_, rest)| rest);
        std::fs::write(FILE, format!("{generated}{rest}")).expect("write");
        return;
    }
    assert!(
        text.starts_with(&generated),
        "src/web/dashboard.d.ts is out of date with the options schema or the metrics table: \
         run `STATSCOPE_BLESS=1 cargo test --test typescript`; it must begin with:\n{generated}"
    );
}
