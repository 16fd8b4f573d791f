//! The fuzz targets' inputs, in one place: the seed corpus that `fuzz/run.sh` writes into
//! `fuzz/corpus/<target>/` (through the root package's `examples/fuzz_seeds.rs`), the saved inputs
//! of `tests/fuzz-regressions/`, and a bounded, deterministic stream of inputs made from them by a
//! seeded mutator. The standing tests (`tests/fuzz_checks.rs` and `bridge/tests/fuzz_checks.rs`, in
//! the README's test command) run every fuzz check over all three on stable Rust; libFuzzer
//! (`fuzz/run.sh`, nightly) starts its long campaigns from the same seeds.
//!
//! Depends on `std` and `serde_json` only, so any package can include it with `#[path]`.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

/// The longest input: `fuzz/run.sh`'s default `-max_len` (`FUZZ_MAX_LEN`), three objects of the real
/// recording.
pub const MAX_LEN: usize = 8192;

/// statscope's own messages, ticks, the size limit and edge shapes, seeded besides the fixtures.
/// The second is the input that `stats_cmd` failed on for sixty commits (issue 19).
pub const EXTRA_SEEDS: [&[u8]; 4] = [
    br#"{"type":"statscope.hello","source":"demo","describe":"six simulated containers"}"#,
    b"{\"type\":\"statscope.dropped\",\"frames\":3}\n\n{\"type\":\"statscope.other\"}",
    b"{\"type\":7}\n[]\n\n \n{}\n[{}]\nnull\n42\n\"x\"\n[1]",
    b"\x00\x03{}\n\x00\x01[]",
];

/// The files of `dir` (sorted by name) with their bytes; `ext`: only names ending so.
fn files(dir: &Path, ext: Option<&str>) -> Vec<(PathBuf, Vec<u8>)> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|p| p.is_file())
        .filter(|p| ext.is_none_or(|ext| p.to_string_lossy().ends_with(ext)))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()));
            (p, bytes)
        })
        .collect()
}

/// Every non-blank line of `tests/fixtures/*.ndjson` (files in name order), without its `\n`.
pub fn fixture_lines(root: &Path) -> Vec<Vec<u8>> {
    let mut lines = Vec::new();
    for (_, bytes) in files(&root.join("tests/fixtures"), Some(".ndjson")) {
        for line in bytes.split_inclusive(|&b| b == b'\n') {
            if line.iter().any(|b| !b.is_ascii_whitespace()) {
                let end = line.len() - line.iter().rev().take_while(|&&b| b == b'\n').count();
                lines.push(line[..end].to_vec());
            }
        }
    }
    lines
}

/// The container a fixture line belongs to: its `id`, else its `name`, else `""`; `None` when the
/// line is not JSON.
fn container_of(line: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(line).ok()?;
    let text = |key: &str| {
        value
            .get(key)
            .and_then(serde_json::Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    Some(text("id").or_else(|| text("name")).unwrap_or_default())
}

/// The seed corpus, sorted: every fixture line; per container, runs of three consecutive samples
/// (so rates, resets and stops are reached) and two-sample array frames; three consecutive lines of
/// the files as recorded (several containers interleaved); and [`EXTRA_SEEDS`]. Only seeds of at most
/// `max_len` bytes.
pub fn seeds(root: &Path, max_len: usize) -> Vec<Vec<u8>> {
    let lines = fixture_lines(root);
    let mut seeds: BTreeSet<Vec<u8>> = lines.iter().cloned().collect();
    let mut by_container: BTreeMap<String, Vec<&[u8]>> = BTreeMap::new();
    for line in &lines {
        if let Some(id) = container_of(line) {
            by_container.entry(id).or_default().push(line);
        }
    }
    for run in by_container.values() {
        for three in run.windows(3) {
            let mut seed = three.join(&b'\n');
            seed.push(b'\n');
            seeds.insert(seed);
            let mut array = b"[".to_vec();
            array.extend(three[..2].join(&b','));
            array.push(b']');
            seeds.insert(array);
        }
    }
    for i in (0..lines.len().saturating_sub(2)).step_by(2) {
        seeds.insert(lines[i..i + 3].join(&b'\n'));
    }
    seeds.extend(EXTRA_SEEDS.iter().map(|s| s.to_vec()));
    let mut first_line = b"\x00\x02".to_vec();
    first_line.extend(lines.first().map_or(&b"{}"[..], Vec::as_slice));
    seeds.insert(first_line);
    seeds.into_iter().filter(|s| s.len() <= max_len).collect()
}

/// The saved inputs of `tests/fuzz-regressions/` (file name, bytes), in name order.
pub fn regressions(root: &Path) -> Vec<(String, Vec<u8>)> {
    files(&root.join("tests/fuzz-regressions"), None)
        .into_iter()
        .map(|(p, bytes)| {
            let name = p
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
            (name, bytes)
        })
        .collect()
}

/// A small, seeded PRNG (SplitMix64): the same inputs on every machine and every run.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`0` when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Bytes a flip writes: JSON's structure, escapes, digits, NUL, bytes that are not UTF-8.
const BYTES: &[u8] = b"\"{}[],:\\\n\r\t 0189-.eE+nulx\x00\x01\x7f\xc3\xa9\xff";

/// Numbers a counter is replaced with: the `u64` edges, signs, fractions, exponents, overflow.
const NUMBERS: [&str; 14] = [
    "0",
    "-0",
    "-1",
    "1.5",
    "1e2",
    "1E400",
    "-1e-400",
    "4294967295",
    "4294967296",
    "9007199254740993",
    "18446744073709551615",
    "18446744073709551616",
    "340282366920938463463374607431768211456",
    "00",
];

/// Times a timestamp is replaced with: Go's zero time, offsets, the year edges, leap seconds, bad
/// dates, not a string.
const TIMES: [&str; 12] = [
    "\"0001-01-01T00:00:00Z\"",
    "\"1969-12-31T23:59:59.999999999Z\"",
    "\"2026-11-24T02:23:00+14:00\"",
    "\"2026-11-24T02:23:00.1234567891-12:00\"",
    "\"2016-12-31T23:59:60Z\"",
    "\"9999-12-31T23:59:59Z\"",
    "\"0000-01-01T00:00:00+01:00\"",
    "\"2024-02-30T00:00:00Z\"",
    "\"2026-11-24T02:23:00\"",
    "\"yesterday\"",
    "null",
    "7",
];

/// Lines a mutation inserts: statscope's messages, good, bad and mangled, and objects with no stats
/// field or one of another protocol.
const LINES: [&str; 22] = [
    r#"{"type":"statscope.hello","source":"docker","describe":"x","version":"0.1.0"}"#,
    r#"{"type":"statscope.hello","source":5}"#,
    r#"{"type":"statscope.hello","source":"a","source":"b"}"#,
    r#"{"type":"statscope.dropped","frames":3,"total":9}"#,
    r#"{"type":"statscope.dropped","frames":18446744073709551615}"#,
    r#"{"type":"statscope.dropped","frames":-1,"id":"a"}"#,
    r#"{"type":"statscope.heartbeat"}"#,
    r#"{"type":"statscope.other","read":"2026-11-24T02:23:00Z"}"#,
    r#"{"type":"statscope.container","id":"a","name":"web","image":"busybox","cpuLimit":0.5,"cpuLimitFrom":"NanoCpus","memoryLimitBytes":67108864}"#,
    r#"{"type":"statscope.container","cpuLimit":1}"#,
    r#"{"type":"statscope.container","id":"a","memoryLimitBytes":1.5}"#,
    r#"{"type":"statscope.event","id":"a","name":"web","action":"die","time":"2026-11-24T02:23:00Z","exitCode":137}"#,
    r#"{"type":"statscope.event","id":"a","action":"die","time":"yesterday"}"#,
    r#"{"type":"statscope.event","id":"a","action":"oom"}"#,
    r#"{"type":"statscope.hello"} x"#,
    r#" {"type":"statscope.hello"}"#,
    r#"{"type":"x"}"#,
    r#"{"type":5,"id":"a","read":"2026-11-24T02:23:00Z"}"#,
    r#"{"type":"x","id":"a","name":"/a"}"#,
    "{}",
    r#"{"foo":1}"#,
    r#"{"id":"a","name":"/a"}"#,
];

/// What a mutation puts first in an object: a `type` that is statscope's, another, or not a string.
const FRAMED_TYPES: [&str; 3] = [
    r#""type":"x","#,
    r#""type":"statscope.other","#,
    r#""type":null,"#,
];

/// What may stand before a line's first `{`: JSON whitespace and some that is not.
const SPACES: [&str; 6] = [" ", "\t", "\r", "\u{a0}", "\u{feff}", "\u{2028}"];

/// The byte ranges of `"key":` in `data`: (start of the key's quote, end after the colon).
fn keys(data: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(open) = data[i..].iter().position(|&b| b == b'"').map(|p| p + i) {
        let Some(close) = data[open + 1..]
            .iter()
            .position(|&b| b == b'"' || b == b'\\')
            .map(|p| p + open + 1)
        else {
            break;
        };
        if data[close] == b'"' && data.get(close + 1) == Some(&b':') {
            out.push((open, close + 2));
        }
        i = close + 1;
    }
    out
}

/// The end of the value starting at `at`: the next `,`, `}` or `]` outside strings at the value's
/// own nesting level (or the end of the data).
fn value_end(data: &[u8], at: usize) -> usize {
    let (mut depth, mut quoted, mut escaped) = (0i32, false, false);
    for (i, &b) in data.iter().enumerate().skip(at) {
        if quoted {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => quoted = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => quoted = true,
            b'{' | b'[' => depth += 1,
            b'}' | b']' if depth == 0 => return i,
            b'}' | b']' => depth -= 1,
            b',' if depth == 0 => return i,
            b'\n' => return i,
            _ => {}
        }
    }
    data.len()
}

/// The start offsets of the lines of `data`.
fn line_starts(data: &[u8]) -> Vec<usize> {
    std::iter::once(0)
        .chain(
            data.iter()
                .enumerate()
                .filter(|(_, &b)| b == b'\n')
                .map(|(i, _)| i + 1),
        )
        .collect()
}

/// One mutation of `data` (`other`: a second input, for splices).
pub fn mutate(rng: &mut Rng, data: &mut Vec<u8>, other: &[u8]) {
    match rng.below(16) {
        // A byte flipped, or set to a byte of JSON's structure.
        0 | 1 if !data.is_empty() => {
            let at = rng.below(data.len());
            data[at] = if rng.below(2) == 0 {
                data[at] ^ (1 << rng.below(8))
            } else {
                *rng.pick(BYTES)
            };
        }
        // Truncated.
        2 if !data.is_empty() => data.truncate(rng.below(data.len())),
        // Spliced: a prefix of this one and a suffix of another.
        3 => {
            let cut = rng.below(data.len() + 1);
            let from = rng.below(other.len() + 1);
            data.truncate(cut);
            data.extend_from_slice(&other[from..]);
        }
        // A key given twice (the whole `"key":value` repeated after it).
        4 => {
            let found = keys(data);
            if !found.is_empty() {
                let (start, colon) = *rng.pick(&found);
                let end = value_end(data, colon);
                let entry = data[start..end].to_vec();
                let mut with = b",".to_vec();
                with.extend(entry);
                data.splice(end..end, with);
            }
        }
        // A key removed with its value.
        5 => {
            let found = keys(data);
            if !found.is_empty() {
                let (start, colon) = *rng.pick(&found);
                let mut end = value_end(data, colon);
                if data.get(end) == Some(&b',') {
                    end += 1;
                }
                data.drain(start..end);
            }
        }
        // A number replaced by a huge, negative, fractional or malformed one.
        6 | 7 => {
            let digits: Vec<usize> = (0..data.len())
                .filter(|&i| data[i].is_ascii_digit() && (i == 0 || !data[i - 1].is_ascii_digit()))
                .collect();
            if !digits.is_empty() {
                let start = *rng.pick(&digits);
                let end = start
                    + data[start..]
                        .iter()
                        .take_while(|b| b.is_ascii_digit())
                        .count();
                data.splice(start..end, rng.pick(&NUMBERS).bytes());
            }
        }
        // A timestamp replaced.
        8 => {
            let found: Vec<(usize, usize)> = keys(data)
                .into_iter()
                .filter(|&(s, c)| matches!(&data[s..c], b"\"read\":" | b"\"preread\":"))
                .collect();
            if !found.is_empty() {
                let (_, colon) = *rng.pick(&found);
                let end = value_end(data, colon);
                data.splice(colon..end, rng.pick(&TIMES).bytes());
            }
        }
        // A statscope message (good, bad or mangled) or an object with no stats field as a line.
        9 | 10 => {
            let starts = line_starts(data);
            let at = *rng.pick(&starts);
            let mut line = rng.pick(&LINES).as_bytes().to_vec();
            line.push(b'\n');
            data.splice(at..at, line);
        }
        // Lines: one repeated, removed, or a blank line (a tick) inserted.
        11 => {
            let starts = line_starts(data);
            let k = rng.below(starts.len());
            let start = starts[k];
            let end = starts.get(k + 1).copied().unwrap_or(data.len());
            match rng.below(3) {
                0 => {
                    let line: Vec<u8> = data[start..end].to_vec();
                    data.splice(start..start, line);
                }
                1 => {
                    data.drain(start..end);
                }
                _ => {
                    data.insert(start, b'\n');
                }
            }
        }
        // A line wrapped as an array frame, or two lines made one.
        12 => {
            let starts = line_starts(data);
            let k = rng.below(starts.len());
            let line_end = |k: usize| starts.get(k + 1).map_or(data.len(), |&next| next - 1);
            let (start, end) = (starts[k], line_end(k));
            if rng.below(2) == 0 && k + 1 < starts.len() {
                let next_end = line_end(k + 1);
                data[end] = b',';
                data.insert(next_end, b']');
            } else {
                data.insert(end, b']');
            }
            data.insert(start, b'[');
        }
        // Whitespace, JSON's or not, before a line or at any place.
        13 => {
            let at = if rng.below(2) == 0 {
                *rng.pick(&line_starts(data))
            } else {
                rng.below(data.len() + 1)
            };
            data.splice(at..at, rng.pick(&SPACES).bytes());
        }
        // A line made a framed object of another type, or of a statscope type.
        14 => {
            let starts: Vec<usize> = line_starts(data)
                .into_iter()
                .filter(|&s| data.get(s) == Some(&b'{'))
                .collect();
            if !starts.is_empty() {
                let at = *rng.pick(&starts) + 1;
                let kind = *rng.pick(&FRAMED_TYPES);
                data.splice(at..at, kind.bytes());
            }
        }
        // A line led by NUL: the `dashboard` target's frame over the size limit.
        _ => {
            let at = *rng.pick(&line_starts(data));
            data.splice(at..at, [0u8, rng.below(3) as u8]);
        }
    }
}

/// `count` inputs made from `bases`: each a random base with one to four mutations, at most
/// `max_len` bytes. Deterministic for a given `seed`.
pub fn generated(bases: &[Vec<u8>], count: usize, seed: u64, max_len: usize) -> Vec<Vec<u8>> {
    assert!(!bases.is_empty(), "nothing to mutate");
    let mut rng = Rng::new(seed);
    (0..count)
        .map(|_| {
            let mut data = rng.pick(bases).clone();
            for _ in 0..1 + rng.below(4) {
                let other = rng.pick(bases).clone();
                mutate(&mut rng, &mut data, &other);
            }
            data.truncate(max_len);
            data
        })
        .collect()
}

/// An input for a failure message: printable, at most ~300 characters.
pub fn show(data: &[u8]) -> String {
    let text = format!("{:?}", String::from_utf8_lossy(data));
    match text.char_indices().nth(300) {
        Some((cut, _)) => format!("{}… ({} bytes)", &text[..cut], data.len()),
        None => text,
    }
}

/// A check of one input (as in `checks.rs`): it panics when an invariant does not hold.
pub type Check = fn(&[u8]);

/// Runs every check on every input; the failures (at most `limit`), each with the input's name,
/// the check and its panic message.
pub fn failures(
    inputs: &[(String, Vec<u8>)],
    checks: &[(&str, Check)],
    limit: usize,
) -> Vec<String> {
    let mut out = Vec::new();
    for (name, data) in inputs {
        for (check, run) in checks {
            if let Err(panic) = catch_unwind(AssertUnwindSafe(|| run(data))) {
                let message = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_string()))
                    .unwrap_or_default();
                out.push(format!(
                    "{name} [{check}]: {message}\n    input: {}",
                    show(data)
                ));
                if out.len() >= limit {
                    return out;
                }
            }
        }
    }
    out
}

/// The seed corpus of the `endpoint` target (`fuzz/src/endpoint_checks.rs`), sorted: the input of
/// every docker CLI golden of `tests/fixtures/docker-cli/` in the target's format (`URL`;
/// `\0NAME\0META`; `\0\0\0CONFIG`), and the real contexts of `tests/fixtures/docker-config/`, each
/// with a URL, `config.json` and four combinations of TLS files. At most `max_len` bytes each.
pub fn endpoint_seeds(root: &Path, max_len: usize) -> Vec<Vec<u8>> {
    let golden = |file: &str| -> Vec<serde_json::Value> {
        let path = root.join("tests/fixtures/docker-cli").join(file);
        std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{file}: {e}: {l}")))
            .collect()
    };
    // A text field, or its bytes in hex (`KEY_hex`) when they are not UTF-8.
    let bytes = |v: &serde_json::Value, key: &str| -> Vec<u8> {
        if let Some(t) = v.get(key).and_then(|t| t.as_str()) {
            return t.as_bytes().to_vec();
        }
        let hex = v[format!("{key}_hex")].as_str().unwrap_or_default();
        (0..hex.len() / 2)
            .filter_map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok())
            .collect()
    };
    let mut seeds = BTreeSet::new();
    for v in golden("docker-host.jsonl") {
        seeds.insert(bytes(&v, "url"));
    }
    for v in golden("context-meta.jsonl") {
        let mut s = vec![0];
        s.extend(bytes(&v, "name"));
        s.push(0);
        s.extend(bytes(&v, "meta"));
        seeds.insert(s);
    }
    for v in golden("config-json.jsonl") {
        let mut s = vec![0, 0, 0];
        s.extend(bytes(&v, "config"));
        seeds.insert(s);
    }
    let metas = root.join("tests/fixtures/docker-config/contexts/meta");
    for (_, meta) in files_in_subfolders(&metas, "meta.json") {
        let name = serde_json::from_slice::<serde_json::Value>(&meta)
            .ok()
            .and_then(|v| v["Name"].as_str().map(str::to_string))
            .unwrap_or_default();
        for flags in [0u8, 1, 6, 7] {
            let mut s = b"tcp://h:1\0".to_vec();
            s.extend(name.as_bytes());
            s.push(0);
            s.extend(&meta);
            s.extend(b"\0{\"currentContext\":\"ctx\"}\0");
            s.push(flags);
            seeds.insert(s);
        }
    }
    seeds.into_iter().filter(|s| s.len() <= max_len).collect()
}

/// `NAME` in each subfolder of `dir` (sorted by folder), with its bytes.
fn files_in_subfolders(dir: &Path, name: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path().join(name))
        .filter(|p| p.is_file())
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()));
            (p, bytes)
        })
        .collect()
}
