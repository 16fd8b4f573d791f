//! The bridge's control messages (`docs/protocol.md`) as the page reads them: which fields count,
//! and the errors it reports for a malformed lifecycle message, word for word.

use statscope::dashboard::{DashboardCore, Options};

const ID: &str = "ad14fe331ae9e7b4b1ba244e9af197cd81c64b1794700bab29de222168ef5b6e";

fn last_error(frames: &[&str]) -> (u64, Option<String>) {
    let mut d = DashboardCore::new(Options::default()).expect("valid options");
    for f in frames {
        d.ingest(f);
    }
    (d.counts().malformed, d.counts().last_error.clone())
}

#[test]
fn a_malformed_lifecycle_field_is_reported_without_a_position() {
    let bad_limit = format!(r#"{{"type":"statscope.container","id":"{ID}","cpuLimit":"x"}}"#);
    assert_eq!(
        last_error(&[&bad_limit]),
        (
            1,
            Some(r#"statscope.container: invalid type: string "x", expected f64"#.into())
        )
    );
    let bad_code = format!(
        r#"{{"type":"statscope.event","id":"{ID}","action":"die","time":"2024-05-01T10:00:00Z","exitCode":1.5}}"#
    );
    assert_eq!(
        last_error(&[&bad_code]),
        (
            1,
            Some("statscope.event: invalid type: floating point `1.5`, expected i64".into())
        )
    );
    let bad_id = r#"{"type":"statscope.event","id":[1],"action":"die"}"#;
    assert_eq!(
        last_error(&[bad_id]),
        (
            1,
            Some("statscope.event: invalid type: sequence, expected a string".into())
        )
    );
}

#[test]
fn unknown_fields_are_ignored_and_a_repeated_field_keeps_its_last_value() {
    let hello =
        r#"{"type":"statscope.hello","source":"replay","describe":"a file","extra":{"a":[1,2]}}"#;
    assert_eq!(last_error(&[hello]), (0, None));
    let twice = format!(
        r#"{{"type":"statscope.container","id":"x","cpuLimit":2,"future":[null],"id":"{ID}","cpuLimit":0.5}}"#
    );
    let mut d = DashboardCore::new(Options::default()).expect("valid options");
    d.ingest(&twice);
    assert_eq!(d.counts().malformed, 0, "{:?}", d.counts().last_error);
    assert_eq!(d.lifecycle().info(ID).and_then(|i| i.cpu_limit), Some(0.5));
    assert!(d.lifecycle().info("x").is_none());
}
