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

/// One rule for what is a sample, the same as `statscope stats` (issue 19): a frame of a
/// `statscope.` type is a message, never stats (read, or malformed with the protocol module's
/// error); a JSON object with none of the stats fields is malformed; a framed object of another
/// type with a stats field is a sample.
#[test]
fn a_statscope_message_is_never_a_sample_and_an_object_without_stats_fields_is_malformed() {
    let mut d = DashboardCore::new(Options::default()).expect("valid options");
    let mut errors = Vec::new();
    for frame in [
        r#"{"type":"statscope.dropped","frames":3}"#,
        r#"{"type":"statscope.other"}"#,
        "{}",
        r#"{"foo":1}"#,
        r#"{"type":"x"}"#,
        r#"{"type":"statscope.dropped","frames":-1,"id":"a"}"#,
        r#"{"type":"x","id":"a","read":"2026-11-24T02:23:00Z"}"#,
        r#"{"type":5,"name":"/b","read":"2026-11-24T02:23:00Z"}"#,
    ] {
        let before = d.counts().malformed;
        d.ingest(frame);
        if d.counts().malformed > before {
            errors.push(d.counts().last_error.clone().unwrap_or_default());
        }
    }
    let c = d.counts();
    assert_eq!((c.frames, c.samples, c.malformed), (8, 2, 4));
    assert_eq!(c.bridge_dropped, 3);
    let not_stats = "not a Docker stats object: none of its keys is a stats field";
    assert!(
        errors[..3].iter().all(|e| e.starts_with(not_stats)),
        "{errors:?}"
    );
    assert!(
        errors[3].starts_with("statscope.dropped: invalid value: integer `-1`"),
        "{errors:?}"
    );
    d.flush();
    let mut ids: Vec<&str> = d.engine().containers().map(|(id, _)| id.as_str()).collect();
    ids.sort_unstable();
    assert_eq!(ids, ["/b", "a"]);
}
