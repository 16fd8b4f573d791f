//! `docs/protocol.md` shows what the protocol module writes: every example message in it decodes to
//! a known message and encodes back to the same text, byte for byte.

use statscope_core::protocol::Message;

#[test]
fn the_documented_examples_are_what_is_written() {
    let docs = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/protocol.md");
    let docs = std::fs::read_to_string(docs).expect("docs/protocol.md");
    let examples: Vec<&str> = docs
        .lines()
        .filter(|l| l.starts_with("{\"type\""))
        .collect();
    assert!(examples.len() >= 5, "examples in docs/protocol.md");
    for example in examples {
        let m = Message::decode(example)
            .unwrap_or_else(|e| panic!("{example}: {e}"))
            .unwrap_or_else(|| panic!("{example}: not statscope's"));
        assert!(!matches!(m, Message::Other(_)), "{example}");
        assert_eq!(
            m.encode(),
            example,
            "docs/protocol.md's example is what is written"
        );
    }
}

fn docs() -> String {
    let docs = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/protocol.md");
    std::fs::read_to_string(docs).expect("docs/protocol.md")
}

#[test]
fn every_message_type_has_its_section_and_an_example() {
    let docs = docs();
    let examples: Vec<Message> = docs
        .lines()
        .filter(|l| l.starts_with("{\"type\""))
        .filter_map(|l| Message::decode(l).ok().flatten())
        .collect();
    for kind in [
        "statscope.hello",
        "statscope.host",
        "statscope.samples",
        "statscope.container",
        "statscope.event",
        "statscope.dropped",
        "statscope.heartbeat",
        "statscope.notice",
        "statscope.subscribe",
        "statscope.subscribed",
        "statscope.fleet",
    ] {
        assert!(
            docs.contains(&format!("## `{kind}`")),
            "docs/protocol.md has no section for {kind}"
        );
        assert!(
            examples.iter().any(|m| m.kind() == kind),
            "docs/protocol.md has no example of {kind}"
        );
    }
}

#[test]
fn the_documented_sample_fields_are_the_wire_order() {
    let docs = docs();
    // The table's rows: `| # | `field` | … |`.
    let documented: Vec<String> = docs
        .lines()
        .filter_map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            (cells.len() > 3 && cells[1].parse::<usize>().is_ok())
                .then(|| cells[2].trim_matches('`').to_string())
        })
        .collect();
    assert_eq!(documented, statscope_core::model::SAMPLE_FIELDS);
}
