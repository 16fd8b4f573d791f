//! `docs/protocol.md` lists exactly the notice causes the bridge has.

use statscope_bridge::notice::Cause;

#[test]
fn the_documented_causes_are_the_bridges() {
    let docs = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/protocol.md");
    let docs = std::fs::read_to_string(docs).expect("docs/protocol.md");
    let section = &docs[docs
        .find("## `statscope.notice`")
        .expect("the notice section")..];
    let documented: Vec<&str> = section
        .lines()
        .filter_map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            let kind = cells.get(2)?;
            (kind.starts_with("cut") || kind.starts_with("condition"))
                .then(|| cells[1].trim_matches('`'))
        })
        .collect();
    let causes: Vec<&str> = Cause::ALL.iter().map(|c| c.key()).collect();
    assert_eq!(documented, causes);
}
