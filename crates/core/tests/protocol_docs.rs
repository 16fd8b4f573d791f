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
