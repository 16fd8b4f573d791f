//! The Docker Engine stats object (`GET /containers/{id}/stats`), as `serde` types that keep only what
//! statscope reads.
//!
//! One [`Stats`] is one JSON object of the stats stream, Linux (cgroup v1 or v2) or Windows. The types
//! follow Go's encoding rules, so they are tolerant in the same places Docker is loose:
//! a missing key is zero or empty, `null` lists and maps are empty, `{}` objects are all-zero structs,
//! `u64` counters are parsed as integers (exact up to 2^64−1, never through `f64`), and timestamps are
//! RFC 3339 with 0–9 fraction digits and `Z` or a `±hh:mm` offset. Unknown keys are ignored. But a
//! whole object with none of the stats object's keys ([`STATS_KEYS`]: `{}`, `{"foo":1}`, another
//! protocol's message) is not a stats object, and is refused like any other bad input.
//!
//! Lean, not loose: every known key is still checked as strictly as a full model would check it (a
//! counter must be an unsigned integer, a nested struct a JSON object or `null`, never an array), but
//! what no figure needs is not kept. A sample allocates only its ID and name: `memory_stats.stats`
//! (~30 keys) keeps its two `inactive_file` keys, `networks` and the blkio lists are summed while
//! they are read (only `io_service_bytes_recursive` counts), `percpu_usage` keeps its length, and
//! `os_type` and the timestamps are read without copying.
//!
//! Two readers, one meaning: the serde model above is the reference, and every error comes from it.
//! A common, well-formed object (no escapes, plain unsigned counters) is first read by a small
//! hand-written scanner (`fast`, ~2× faster in WebAssembly) that builds the same [`Stats`] and gives
//! up on anything else; the serde model then reads the text. `tests/model_fast.rs` checks that the
//! two agree.
//!
//! Bad input (not JSON, the wrong shape, a negative or fractional counter, a bad timestamp) is a
//! [`ParseError`] with a message that says where and what — never a panic.
//!
//! This module does no I/O and reads no clock: time comes only from the samples' `read` fields.
//! What the figures mean, and how the docker CLI computes its columns, lives in [`crate::figures`].

mod fast;
mod frame;
pub mod podman;
mod sample;
mod stats;
mod time;

pub use frame::{parse_frame, parse_frame_lenient, FrameParse};
pub use sample::{Sample, FIELDS as SAMPLE_FIELDS};
pub use stats::*;
pub use time::Timestamp;

use stats::StatsObject;

/// For tests (`tests/model_fast.rs`): the fast path alone (`None` where it gives up) and the serde
/// model alone, on one object's text. Not part of the API.
#[doc(hidden)]
pub fn parse_object_paths(text: &str) -> (Option<Stats>, Result<Stats, ParseError>) {
    let text = text.trim();
    (
        fast::object(text),
        serde_json::from_str::<StatsObject>(text)
            .map(|m| m.0)
            .map_err(ParseError::from),
    )
}

#[cfg(test)]
mod tests {
    use super::time::NS_PER_S;
    use super::*;

    #[test]
    fn timestamps_parse_every_fraction_length_and_offset() {
        let base = Timestamp::parse_rfc3339("2024-05-01T10:00:00Z").unwrap();
        assert_eq!(base.unix_ns(), 1_714_557_600 * NS_PER_S);
        for (text, extra_ns) in [
            ("2024-05-01T10:00:00.5Z", 500_000_000),
            ("2024-05-01T10:00:00.01020304Z", 10_203_040),
            ("2024-05-01T10:00:00.123456789Z", 123_456_789),
            ("2024-05-01T10:00:00.1234567891234z", 123_456_789),
            ("2024-05-01T02:00:00.1234567-08:00", 123_456_700),
            ("2024-05-01 10:00:00+00:00", 0),
        ] {
            let t = Timestamp::parse_rfc3339(text).unwrap();
            assert_eq!(t.unix_ns() - base.unix_ns(), extra_ns, "{text}");
        }
        assert!(Timestamp::parse_rfc3339("0001-01-01T00:00:00Z")
            .unwrap()
            .is_zero());
        assert!(Timestamp::parse_rfc3339("yesterday").is_err());
    }

    #[test]
    fn timestamps_refuse_what_is_not_a_date() {
        for text in [
            "2024-02-30T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2024-13-01T00:00:00Z",
            "2024-00-01T00:00:00Z",
            "2024-05-00T00:00:00Z",
            "2024-05-01T24:00:00Z",
            "2024-05-01T10:60:00Z",
            "2024-05-01T10:00:61Z",
            "2024-05-01T10:00:00",
            "2024-05-01T10:00:00.Z",
            "2024-05-01T10:00:00+24:00",
            "2024-05-01T10:00:00+01:60",
            "2024-05-01T10:00:00+0100",
            "2024-05-01T10:00:00Z ",
            "2024-5-01T10:00:00Z",
            "+2024-05-01T10:00:00Z",
            // A leap second only ends a UTC month.
            "2024-05-01T10:00:60Z",
            "2016-12-31T23:59:60+01:00",
        ] {
            let err = Timestamp::parse_rfc3339(text).unwrap_err();
            assert!(err.contains("RFC 3339"), "{text}: {err}");
        }
        let leap = Timestamp::parse_rfc3339("2016-12-31T23:59:60Z").unwrap();
        assert_eq!(leap.to_rfc3339(), "2016-12-31T23:59:59.999999999Z");
        let leap = Timestamp::parse_rfc3339("2017-01-01T00:59:60.5+01:00").unwrap();
        assert_eq!(leap.to_rfc3339(), "2016-12-31T23:59:59.999999999Z");
        assert!(Timestamp::parse_rfc3339("2024-02-29T00:00:00Z").is_ok());
        assert!(Timestamp::parse_rfc3339("2000-02-29T00:00:00Z").is_ok());
        assert!(Timestamp::parse_rfc3339("1900-02-29T00:00:00Z").is_err());
    }

    #[test]
    fn timestamps_format_like_go_rfc3339nano() {
        for text in [
            "2024-05-01T10:00:00Z",
            "2024-05-01T10:00:00.5Z",
            "2024-05-01T10:00:00.01020304Z",
            "0001-01-01T00:00:00Z",
            "1969-12-31T23:59:59.999999999Z",
            "9999-12-31T23:59:59Z",
            "0000-03-01T00:00:00Z",
        ] {
            assert_eq!(Timestamp::parse_rfc3339(text).unwrap().to_rfc3339(), text);
        }
        let local = Timestamp::parse_rfc3339("2024-05-01T02:00:00.1234567-08:00").unwrap();
        assert_eq!(local.to_rfc3339(), "2024-05-01T10:00:00.1234567Z");
        // Year 0 at +01:00 is year −1 in UTC; beyond ±9999 is out of range.
        let early = Timestamp::parse_rfc3339("0000-01-01T00:00:00+01:00").unwrap();
        assert_eq!(early.to_rfc3339(), "-001-12-31T23:00:00Z");
        let late = Timestamp::parse_rfc3339("9999-12-31T23:59:59-01:00").unwrap();
        assert!(late.to_rfc3339().starts_with("<out of range"));
        assert!(Timestamp::from_unix_ns(i128::MAX)
            .to_rfc3339()
            .starts_with("<out of range"));
    }

    #[test]
    fn go_sub_saturates_like_time_sub() {
        let t = Timestamp::parse_rfc3339("2024-05-01T10:00:00Z").unwrap();
        assert_eq!(t.go_sub_ns(Timestamp::ZERO), i64::MAX);
        assert_eq!(Timestamp::ZERO.go_sub_ns(t), i64::MIN);
        assert_eq!(t.go_sub_ns(t), 0);
    }

    #[test]
    fn missing_null_and_empty_all_mean_zero() {
        let s = Stats::from_json(
            r#"{"read":"0001-01-01T00:00:00Z","cpu_stats":{},"precpu_stats":null,
               "memory_stats":{"stats":null},"blkio_stats":{"io_service_bytes_recursive":null,"sectors_recursive":[]},
               "pids_stats":{},"networks":null,"num_procs":0,"storage_stats":{},
               "preread":null}"#,
        )
        .unwrap();
        assert_eq!(s, Stats::default());
        assert!(s.is_empty_sample());
        assert_eq!(
            Stats::from_json(r#"{"networks":{},"memory_stats":{"stats":{}}}"#).unwrap(),
            Stats::default()
        );
        assert_eq!(Stats::from_json(r#"{"id":""}"#).unwrap(), Stats::default());
    }

    #[test]
    fn an_object_without_any_stats_field_is_not_a_sample() {
        // Not a Docker stats object: refused by every reader, by the fast path and the serde
        // model alike (the fast path gives up, the serde model says why).
        for text in [
            "{}",
            " { } ",
            r#"{"foo":1}"#,
            r#"{"type":"x"}"#,
            r#"{"type":"statscope.dropped","frames":3}"#,
            r#"{"Id":"a","Name":"/a","Read":"2026-11-24T02:23:00Z"}"#,
            r#"{"i\u0064x":"a"}"#,
            r#"{"foo":{"id":"a","read":"2026-11-24T02:23:00Z"}}"#,
        ] {
            let err = Stats::from_json(text).unwrap_err().to_string();
            assert!(
                err.starts_with("not a Docker stats object: none of its keys is a stats field"),
                "{text}: {err}"
            );
            assert!(parse_frame(text).is_err(), "{text}");
            let lenient = parse_frame_lenient(text);
            assert_eq!(
                (lenient.samples.len(), lenient.errors.len()),
                (0, 1),
                "{text}"
            );
            assert_eq!(parse_object_paths(text).0, None, "{text}");
        }
        // In an array, each such object is one bad element; the strict reading refuses the frame.
        let mixed = r#"[{"id":"a"},{},{"foo":1},{"name":"/b"}]"#;
        assert!(parse_frame(mixed).is_err());
        let lenient = parse_frame_lenient(mixed);
        assert_eq!((lenient.samples.len(), lenient.errors.len()), (2, 2));
        // One stats field, even an escaped, empty or null one, makes a sample (missing = zero).
        for text in [
            r#"{"id":"a","name":"/a"}"#,
            r#"{"type":"x","id":"a"}"#,
            r#"{"\u0069d":"a"}"#,
            r#"{"read":null}"#,
            r#"{"num_procs":0,"foo":1}"#,
            r#"{"foo":1,"storage_stats":{}}"#,
        ] {
            let s = Stats::from_json(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert!(s.is_empty_sample(), "{text}");
            assert_eq!(parse_frame(text).unwrap(), vec![s], "{text}");
        }
        for key in STATS_KEYS {
            let value = match key {
                "id" | "name" | "os_type" => r#""""#,
                _ => "null",
            };
            let text = format!(r#"{{"{key}":{value}}}"#);
            assert!(Stats::from_json(&text).is_ok(), "{text}");
        }
    }

    #[test]
    fn u64_counters_are_exact_near_2_pow_64() {
        let s = Stats::from_json(
            r#"{"pids_stats":{"current":3,"limit":18446744073709551615},
               "cpu_stats":{"system_cpu_usage":18446744073709551610,"cpu_usage":{"total_usage":9007199254740993}}}"#,
        )
        .unwrap();
        assert_eq!(s.pids_stats.limit, u64::MAX);
        assert_eq!(s.cpu_stats.system_cpu_usage, u64::MAX - 5);
        assert_eq!(s.cpu_stats.cpu_usage.total_usage, (1u64 << 53) + 1);
    }

    #[test]
    fn bad_input_is_a_clear_error() {
        for (text, needle) in [
            ("not json", "expected"),
            (
                r#"{"cpu_stats":{"system_cpu_usage":-5}}"#,
                "system_cpu_usage",
            ),
            (r#"{"cpu_stats":{"online_cpus":1.5}}"#, "online_cpus"),
            (r#"{"read":"yesterday"}"#, "RFC 3339"),
            (r#"{"read":5}"#, "RFC 3339"),
            (r#"{"cpu_stats": 7}"#, "cpu_stats"),
            ("[]", "array"),
            ("", "empty"),
        ] {
            let err = Stats::from_json(text).unwrap_err().to_string();
            assert!(
                err.contains(needle) || err.contains("invalid"),
                "{text:?} gave {err:?}"
            );
        }
    }

    #[test]
    fn what_is_not_kept_is_still_checked() {
        // Each of these is a counter or list a full model would refuse; the lean one must too.
        for text in [
            r#"{"memory_stats":{"stats":{"pgfault":-1}}}"#,
            r#"{"memory_stats":{"stats":{"pgfault":null}}}"#,
            r#"{"memory_stats":{"stats":{"inactive_file":1.5}}}"#,
            r#"{"memory_stats":{"stats":[1]}}"#,
            r#"{"networks":{"eth0":{"rx_packets":-1}}}"#,
            r#"{"networks":{"eth0":null}}"#,
            r#"{"networks":[]}"#,
            r#"{"cpu_stats":{"cpu_usage":{"percpu_usage":[1,-2]}}}"#,
            r#"{"cpu_stats":{"cpu_usage":{"percpu_usage":[null]}}}"#,
            r#"{"cpu_stats":{"cpu_usage":{"percpu_usage":{}}}}"#,
            r#"{"cpu_stats":{"throttling_data":{"periods":"1"}}}"#,
            r#"{"blkio_stats":{"sectors_recursive":[{"major":-8}]}}"#,
            r#"{"blkio_stats":{"io_serviced_recursive":[{"op":7}]}}"#,
            r#"{"blkio_stats":{"io_serviced_recursive":[null]}}"#,
            r#"{"blkio_stats":{"io_time_recursive":{}}}"#,
            r#"{"blkio_stats":{"io_queue_recursive":[[8,0,"Read",1]]}}"#,
            r#"{"blkio_stats":{"io_service_bytes_recursive":[{"op":"Read","op":"Write"}]}}"#,
            r#"{"os_type":null}"#,
            r#"{"os_type":1}"#,
            r#"{"id":"a","id":"b"}"#,
            r#"{"storage_stats":{"read_count_normalized":-1}}"#,
        ] {
            assert!(Stats::from_json(text).is_err(), "{text}");
        }
    }

    #[test]
    fn memory_stat_keeps_the_two_inactive_file_keys() {
        let s = Stats::from_json(
            r#"{"memory_stats":{"usage":100,"stats":{"active_file":5,"inactive_file":7,
                "total_inactive_file":9,"inactive_file":8,"pgfault":18446744073709551615}}}"#,
        )
        .unwrap();
        let want = MemoryStat {
            inactive_file: Some(8),
            total_inactive_file: Some(9),
        };
        assert_eq!(s.memory_stats.stats, want);
        let s = Stats::from_json(r#"{"memory_stats":{"stats":{"in\u0061ctive_file":3}}}"#).unwrap();
        assert_eq!(s.memory_stats.stats.inactive_file, Some(3));
        assert_eq!(s.memory_stats.stats.total_inactive_file, None);
    }

    #[test]
    fn networks_are_summed_once_per_interface() {
        let s = Stats::from_json(
            r#"{"networks":{"eth1":{"rx_bytes":10,"tx_bytes":1},"eth0":{"rx_bytes":5,"tx_bytes":2},
                "eth1":{"rx_bytes":20,"tx_bytes":3},"lo":null}}"#,
        );
        assert!(s.is_err(), "a null interface is the wrong shape");
        let s = Stats::from_json(
            r#"{"networks":{"eth1":{"rx_bytes":10,"tx_bytes":1},"eth0":{"rx_bytes":5,"tx_bytes":2},
                "eth1":{"rx_bytes":20,"tx_bytes":3},"e\u0074h2":{"rx_bytes":18446744073709551615}}}"#,
        )
        .unwrap();
        let n = s.networks;
        assert_eq!(n.interfaces, 3);
        assert_eq!((n.rx_bytes, n.tx_bytes), (24, 5)); // 5 + 20 + (2^64 − 1), wrapped
        assert_eq!(n.tx_bytes_f64, 5.0);
        // Name order: 5 + 20 first, then 2^64 − 1 (as a BTreeMap of interfaces summed them).
        assert_eq!(n.rx_bytes_f64, 25.0 + u64::MAX as f64);
        // Where the order of float additions matters: (2^53 + 1) + 1 rounds twice, 1 + 1 + 2^53 not.
        let order = Stats::from_json(
            r#"{"networks":{"c":{"rx_bytes":1},"b":{"rx_bytes":1},"a":{"rx_bytes":9007199254740992}}}"#,
        )
        .unwrap()
        .networks;
        assert_eq!(order.rx_bytes_f64, 9007199254740992.0);
        assert_eq!(order.rx_bytes, 9007199254740994);
        let one = Stats::from_json(r#"{"networks":{"eth0":{"rx_bytes":7,"tx_bytes":9}}}"#)
            .unwrap()
            .networks;
        assert_eq!(
            one,
            NetworkTotals {
                interfaces: 1,
                rx_bytes: 7,
                tx_bytes: 9,
                rx_bytes_f64: 7.0,
                tx_bytes_f64: 9.0
            }
        );
    }

    #[test]
    fn blkio_sums_service_bytes_by_direction_only() {
        let s = Stats::from_json(
            r#"{"blkio_stats":{"io_service_bytes_recursive":[
                {"major":8,"minor":0,"op":"Read","value":10},{"major":8,"minor":0,"op":"write","value":20},
                {"major":8,"minor":0,"op":"Total","value":30},{"op":null,"value":4},{"value":5},
                {"major":254,"op":"r","value":18446744073709551615}],
               "io_serviced_recursive":[{"major":8,"minor":0,"op":"Read","value":1000}],
               "sectors_recursive":[{"major":8,"minor":0,"op":"","value":7}]}}"#,
        )
        .unwrap();
        assert_eq!(
            s.blkio_stats,
            BlkioStats {
                service_read_bytes: 9, // 10 + (2^64 − 1), wrapped
                service_write_bytes: 20,
            }
        );
    }

    #[test]
    fn percpu_usage_and_os_type_keep_what_the_figures_need() {
        let s = Stats::from_json(
            r#"{"os_type":"windows","cpu_stats":{"cpu_usage":{"percpu_usage":[1,2,3]}},
                "precpu_stats":{"cpu_usage":{"percpu_usage":null}}}"#,
        )
        .unwrap();
        assert_eq!(s.cpu_stats.cpu_usage.percpu_usage_len, 3);
        assert_eq!(s.precpu_stats.cpu_usage.percpu_usage_len, 0);
        assert_eq!(s.os(OsType::Linux), OsType::Windows);
        let s = Stats::from_json(r#"{"os_type":"freebsd"}"#).unwrap();
        assert_eq!(s.os_type, None);
        assert_eq!(s.os(OsType::Windows), OsType::Windows);
        let s = Stats::from_json(r#"{"os_type":"linux"}"#).unwrap();
        assert_eq!(s.os(OsType::Windows), OsType::Linux);
    }

    #[test]
    fn frames_hold_one_object_or_an_array() {
        assert_eq!(parse_frame(r#"{"id":"a"}"#).unwrap().len(), 1);
        let two = parse_frame(r#"[{"id":"a"},{"id":"b"}]"#).unwrap();
        assert_eq!((two[0].id.as_str(), two[1].id.as_str()), ("a", "b"));
        assert_eq!(
            parse_frame("42").unwrap_err(),
            ParseError::FrameShape("a JSON scalar")
        );
        assert!(matches!(parse_frame("[1]"), Err(ParseError::Json(_))));
        assert!(matches!(parse_frame("{"), Err(ParseError::Json(_))));
    }

    #[test]
    fn a_lenient_frame_keeps_the_good_objects() {
        let f = parse_frame_lenient(r#"[{"id":"a"}, {"cpu_stats": 7}, 5, {"id":"b"}]"#);
        assert_eq!(
            f.samples.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
            ["a", "b"]
        );
        assert_eq!(f.errors.len(), 2);
        assert_eq!(parse_frame_lenient(r#"{"id":"a"}"#).samples.len(), 1);
        let broken = parse_frame_lenient(r#"[{"id":"a"}, {"#);
        assert_eq!((broken.samples.len(), broken.errors.len()), (0, 1));
        assert_eq!(parse_frame_lenient("7").errors.len(), 1);
        let good = parse_frame_lenient(r#" [{"id":"a"},{"id":"b"}] "#);
        assert_eq!((good.samples.len(), good.errors.len()), (2, 0));
    }

    #[test]
    fn arrays_are_never_read_as_structs() {
        // Serde's derive would read these positionally; Docker never sends them: wrong shape.
        for text in [
            r#"{"cpu_stats":[[7,[1,2]],9]}"#,
            r#"{"memory_stats":[4096]}"#,
            r#"{"blkio_stats":[[]]}"#,
            r#"{"blkio_stats":{"io_service_bytes_recursive":[[8,0,"Read",10]]}}"#,
            r#"{"networks":{"eth0":[1,2]}}"#,
            r#"{"cpu_stats":{"cpu_usage":[5]}}"#,
            r#"{"cpu_stats":{"throttling_data":[5]}}"#,
            r#"{"pids_stats":[5]}"#,
            r#"{"storage_stats":[5]}"#,
        ] {
            assert!(Stats::from_json(text).is_err(), "{text}");
        }
        assert!(parse_frame("[[]]").is_err());
        assert_eq!(parse_frame_lenient(r#"[[], {"id":"a"}]"#).errors.len(), 1);
        // null still means empty.
        assert!(Stats::from_json(r#"{"cpu_stats":null,"networks":null}"#).is_ok());
    }

    #[test]
    fn plain_len_finds_the_first_quote_backslash_or_control_byte() {
        for len in 0..20 {
            for at in 0..=len {
                for c in 0..=255u8 {
                    let mut b = vec![b'a'; len];
                    if at < len {
                        b[at] = c;
                    }
                    // Bytes after the first stop byte must not matter either.
                    b.extend_from_slice(b"\"\\\x01");
                    let want = b.iter().position(|&c| c == b'"' || c == b'\\' || c < 0x20);
                    assert_eq!(Some(fast::plain_len(&b)), want, "{b:?}");
                    let mut high = vec![0xc3; len];
                    if at < len {
                        high[at] = c;
                    }
                    let want = high
                        .iter()
                        .position(|&c| c == b'"' || c == b'\\' || c < 0x20);
                    assert_eq!(fast::plain_len(&high), want.unwrap_or(len), "{high:?}");
                }
            }
        }
    }

    #[test]
    fn names_lose_the_leading_slash() {
        let mut s = Stats {
            name: "/redis-cache".into(),
            ..Stats::default()
        };
        assert_eq!(s.display_name(), "redis-cache");
        s.name = "/".into();
        assert_eq!(s.display_name(), "--");
        s.name.clear();
        assert_eq!(s.display_name(), "--");
    }
}
