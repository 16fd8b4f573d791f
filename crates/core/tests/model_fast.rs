//! The fast path of `src/model.rs` (a hand-written scanner for the common, well-formed object)
//! against the serde model it falls back to: whenever the fast path gives a `Stats`, the serde
//! model must give the same one; where the serde model refuses a text, the fast path must give up.
//! Over every fixture, every prefix and many one-byte changes of them, reformatted copies, the
//! bench corpus, and generated objects (`tests/model_lean.rs` runs the same check on its own
//! generator of good and bad objects).
#![cfg(not(target_arch = "wasm32"))]

#[path = "../benches/common/mod.rs"]
#[allow(dead_code)]
mod common;

use proptest::prelude::*;
use statscope_core::model::parse_object_paths;

/// The two paths agree on `text`; returns whether the fast path read it.
fn agree(text: &str) -> bool {
    let (fast, serde) = parse_object_paths(text);
    match (&fast, &serde) {
        (Some(f), Ok(s)) => assert_eq!(f, s, "{text}"),
        (Some(_), Err(e)) => panic!("the fast path accepted what serde refuses ({e}): {text}"),
        (None, _) => {}
    }
    fast.is_some()
}

/// Every object of the fixtures (read once).
fn fixture_objects() -> &'static [String] {
    static OBJECTS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    OBJECTS.get_or_init(read_fixture_objects)
}

fn read_fixture_objects() -> Vec<String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures");
    let mut out = Vec::new();
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .expect("fixtures")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "ndjson" || x == "json"))
        .collect();
    names.sort();
    for path in names {
        let text = std::fs::read_to_string(&path).expect("fixture");
        out.extend(
            text.lines()
                .filter(|l| !l.trim().is_empty())
                .map(String::from),
        );
    }
    out
}

/// `text` with JSON whitespace after every structural character outside strings.
fn spaced(text: &str, ws: &str) -> String {
    let mut out = String::new();
    let mut in_string = false;
    let mut escaped = false;
    for c in text.chars() {
        out.push(c);
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
        } else if c == '"' {
            in_string = true;
        } else if matches!(c, '{' | '}' | '[' | ']' | ':' | ',') {
            out.push_str(ws);
        }
    }
    out
}

#[test]
fn every_fixture_object_reads_the_same_both_ways() {
    let objects = fixture_objects();
    assert!(objects.len() > 100);
    let fast = objects.iter().filter(|t| agree(t)).count();
    // The fixtures are Docker's output: the fast path reads all but the one whose name has escapes
    // (`\u003c`…) and the hand-made one that is meant to be refused.
    assert_eq!(fast + 2, objects.len());
    for t in objects {
        let fast = agree(t);
        assert_eq!(agree(&spaced(t, " \n\t\r")), fast);
        assert_eq!(agree(&format!(" \n{t}\t ")), fast);
    }
}

#[test]
fn the_bench_corpus_takes_the_fast_path() {
    let mut fleet = common::Fleet::new(20, 3);
    for _ in 0..3 {
        for t in fleet.tick() {
            assert!(agree(&t), "{t}");
        }
    }
}

#[test]
fn prefixes_and_one_byte_changes_never_pass_where_serde_fails() {
    let objects = fixture_objects();
    let replacements: &[&str] = &[
        "",
        " ",
        "-",
        "0",
        "9",
        ".",
        "e",
        "\"",
        "\\",
        "\\\"",
        "{",
        "}",
        "[",
        "]",
        ",",
        ":",
        "n",
        "null",
        "x",
        "\u{1}",
        "é",
        "18446744073709551616",
        "1.0",
    ];
    for (k, t) in objects.iter().enumerate().step_by(11) {
        let cuts: Vec<usize> = (0..=t.len()).filter(|&i| t.is_char_boundary(i)).collect();
        // Every position of the first object, some positions of the rest.
        let step = if k == 0 { 1 } else { 17 };
        for &i in cuts.iter().step_by(step) {
            agree(&t[..i]);
            let next = cuts.iter().find(|&&j| j > i).copied().unwrap_or(t.len());
            for r in replacements {
                let changed = format!("{}{}{}", &t[..i], r, &t[next..]);
                agree(&changed);
                let inserted = format!("{}{}{}", &t[..i], r, &t[i..]);
                agree(&inserted);
            }
        }
    }
}

#[test]
fn arrays_of_objects_read_the_same_both_ways() {
    let objects = fixture_objects();
    let array = format!("[{}]", objects[..20].join(",\n "));
    let fast = statscope_core::parse_frame(&array).expect("parses");
    let one_by_one: Vec<_> = objects[..20]
        .iter()
        .map(|t| statscope_core::Stats::from_json(t).expect("parses"))
        .collect();
    assert_eq!(fast, one_by_one);
    for bad in [
        format!("[{},]", objects[0]),
        format!("[{} {}]", objects[0], objects[1]),
        format!("[{}", objects[0]),
        format!("[{}]]", objects[0]),
        format!("[{},null]", objects[0]),
    ] {
        assert!(statscope_core::parse_frame(&bad).is_err(), "{bad}");
    }
    assert_eq!(statscope_core::parse_frame("[ ]").expect("empty"), vec![]);
}

/// A value of a field, with the oddities a JSON writer may produce.
fn counter() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<u64>().prop_map(|v| v.to_string()),
        Just(u64::MAX.to_string()),
        Just("0".to_string()),
        Just("null".to_string()),
        Just("-0".to_string()),
        Just("00".to_string()),
        Just("1.0".to_string()),
        Just("1e2".to_string()),
        Just("18446744073709551616".to_string()),
        Just("\"1\"".to_string()),
        Just("nul".to_string()),
        Just("nullx".to_string()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    /// A fixture object with its top-level keys reordered, some dropped or repeated, one value
    /// replaced, names with escapes and whitespace in between.
    #[test]
    fn edited_fixture_objects_read_the_same_both_ways(
        pick in any::<prop::sample::Index>(),
        order in any::<prop::sample::Index>(),
        drop in prop::collection::vec(any::<bool>(), 16),
        twice in prop::option::weighted(0.1, any::<prop::sample::Index>()),
        name in prop::sample::select(&["/a", "/w\\u00e9b", "/\\\"q\\\"", "/é", "", "/tab\\t"][..]),
        field in any::<prop::sample::Index>(),
        odd in counter(),
        ws in prop::sample::select(&["", " ", "\n", "\t\r\n "][..]),
    ) {
        let objects = fixture_objects();
        let text = &objects[pick.index(objects.len())];
        let value: serde_json::Value = serde_json::from_str(text).expect("json");
        let serde_json::Value::Object(map) = value else { panic!("object") };
        let mut kv: Vec<(String, String)> = map
            .into_iter()
            .map(|(k, v)| (k, v.to_string()))
            .collect();
        let n = kv.len();
        kv.rotate_left(order.index(n));
        let mut kept: Vec<(String, String)> = kv
            .into_iter()
            .enumerate()
            .filter(|(i, _)| !drop[i % drop.len()] || i % 3 != 0)
            .map(|(_, e)| e)
            .collect();
        if let Some(t) = twice {
            let e = kept[t.index(kept.len())].clone();
            kept.push(e);
        }
        for (k, v) in kept.iter_mut() {
            if k == "name" {
                *v = format!("\"{name}\"");
            }
        }
        let body: Vec<String> = kept.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
        let mut object = format!("{{{}}}", body.join(","));
        // One counter somewhere replaced by an odd value.
        let digits: Vec<usize> = object
            .match_indices(':')
            .map(|(i, _)| i + 1)
            .filter(|&i| object[i..].starts_with(|c: char| c.is_ascii_digit()))
            .collect();
        if !digits.is_empty() {
            let at = digits[field.index(digits.len())];
            let end = at + object[at..].find(|c: char| !c.is_ascii_digit()).unwrap_or(0);
            object.replace_range(at..end, &odd);
        }
        agree(&spaced(&object, ws));
    }
}

#[test]
fn unknown_keys_are_skipped_as_serde_skips_them() {
    let objects = fixture_objects();
    let text = &objects[0];
    let good = [
        "1",
        "-0",
        "0.5",
        "-12.25e+3",
        "1E-2",
        "18446744073709551616",
        "true",
        "false",
        "null",
        "\"\"",
        "\"x y\"",
        "[]",
        "{}",
        "[1,[2,{\"a\":[null]}]]",
        "{\"a\":{\"a\":1},\"a\":2}",
    ];
    let bad = [
        "-",
        "01",
        "1.",
        "1e",
        "1e+",
        ".5",
        "+1",
        "tru",
        "nul",
        "[1,]",
        "[1",
        "{\"a\"}",
        "{\"a\":}",
        "{,}",
        "\"\\u12\"",
        "\"\u{1}\"",
        "",
    ];
    // After each `{` of the object (every struct level), a new key.
    let opens: Vec<usize> = text.match_indices('{').map(|(i, _)| i + 1).collect();
    for &at in &opens {
        for v in good {
            let t = format!("{}\"x_new\":{v},{}", &text[..at], &text[at..]);
            let fast = agree(&t);
            // `memory_stats.stats` and `networks` are maps (of counters, of interfaces), not structs.
            let in_map = ["\"stats\":{", "\"networks\":{"]
                .iter()
                .any(|m| text[..at].ends_with(m));
            assert!(fast || in_map || !text[at..].starts_with('"'), "{t}");
        }
        for v in bad {
            let t = format!("{}\"x_new\":{v},{}", &text[..at], &text[at..]);
            assert!(parse_object_paths(&t).1.is_err(), "{t}");
            agree(&t);
        }
    }
    // Deep nesting: the fast path gives up, serde reads it.
    let deep = format!(
        "{}\"x\":{}1{},{}",
        &text[..1],
        "[".repeat(40),
        "]".repeat(40),
        &text[1..]
    );
    assert!(!agree(&deep));
    assert!(parse_object_paths(&deep).1.is_ok());
}
