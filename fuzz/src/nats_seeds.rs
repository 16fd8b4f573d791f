//! The inputs of the `nats_message` fuzz target (the hub's reading of what an agent publishes,
//! checked by `fuzz/src/nats_checks.rs`): their framing ([`input`], [`split`]) and the seed corpus
//! ([`seeds`]). Apart from the check because it needs the root package only (`statscope`), so the
//! root package's `examples/fuzz_seeds.rs` can write the seeds; includes `protocol_checks.rs` for
//! the protocol's examples and the recordings.
//!
//! Framing: the input's first line (up to the first `\n`, read lossily: NATS gives the hub a
//! string) is the NATS subject; the rest, as bytes, is the message's payload. An input without a
//! `\n` is a subject with an empty payload.

#![allow(dead_code)]

use std::borrow::Cow;
use std::path::Path;

use statscope::model::Sample;
use statscope::protocol::{Message, Samples};
use statscope::Stats;

use crate::protocol_checks::{fixture_objects, message_examples, EDGE_FRAMES};

/// The host the seeds' agent publishes as.
pub const HOST: &str = "edge-1";

/// The last token of the fleet's subjects (`bridge/src/nats/mod.rs`, `Kind::token`).
pub const KINDS: [&str; 3] = ["samples", "control", "host"];

/// `statscope.v1.<host>.<kind>`, the fleet's layout as `docs/protocol.md` ("On NATS") says it.
pub fn subject(host: &str, kind: &str) -> String {
    format!("statscope.v1.{host}.{kind}")
}

/// One input: `subject`, `\n`, `payload`.
pub fn input(subject: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(subject.len() + 1 + payload.len());
    out.extend_from_slice(subject.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(payload);
    out
}

/// An input's subject (read lossily) and payload.
pub fn split(data: &[u8]) -> (Cow<'_, str>, &[u8]) {
    match data.iter().position(|&b| b == b'\n') {
        Some(i) => (String::from_utf8_lossy(&data[..i]), &data[i + 1..]),
        None => (String::from_utf8_lossy(data), &[]),
    }
}

/// Subjects that are not the fleet's (or whose host is no key), each tried with a good message.
pub const FOREIGN_SUBJECTS: [&str; 14] = [
    "statscope.v1.edge-1.other",
    "statscope.v2.edge-1.samples",
    "statscope.v1..samples",
    "statscope.v1.edge-1.samples.x",
    "statscope.v1.w@b.samples",
    "statscope.v1.a.b.samples",
    "statscope.v1.*.samples",
    "statscope.v1.>",
    "statscope.v1.samples",
    "statscope.v1",
    "x.statscope.v1.edge-1.host",
    "STATSCOPE.V1.edge-1.host",
    "statscope.v1.édge.host",
    "",
];

/// Payloads that are not statscope messages, or not UTF-8, or not read (from the fleet test of a
/// hostile agent, `bridge/tests/fleet.rs`, and more).
pub const BAD_PAYLOADS: [&[u8]; 12] = [
    b"",
    b"not json",
    b"\xff\xfe\x00",
    b"{\"type\":\"statscope.samples\",\"samples\":[[1]]}",
    b"{\"type\":\"statscope.host\",\"host\":\"\xc3\x28\"}",
    b"{\"type\":\"x\"}",
    b"{\"type\":7}",
    b"[]",
    b"{\"type\":\"statscope.future\",\"x\":1}",
    b"{\"type\":\"statscope.host\",\"name\":\"n\"}",
    b"{\"type\":\"statscope.container\",\"id\":\"a\",\"cpuLimit\":\"1\"}",
    b"{\"type\":\"statscope.notice\",\"cause\":\"c\"}{}",
];

/// The samples of the recordings (the Docker and the Podman fixtures) as `HOST`'s agent makes
/// them, one list per file, in order.
pub fn recorded_samples(root: &Path) -> Vec<Vec<Sample>> {
    let mut by_file: Vec<(String, Vec<Sample>)> = Vec::new();
    for (file, line) in fixture_objects(root) {
        let Ok(stats) = Stats::from_json(&line) else {
            continue;
        };
        let sample = Sample::of(&stats, HOST);
        match by_file.last_mut() {
            Some((f, samples)) if *f == file => samples.push(sample),
            _ => by_file.push((file, vec![sample])),
        }
    }
    by_file.into_iter().map(|(_, samples)| samples).collect()
}

/// `samples` as the agent publishes them: a `statscope.samples` message of `HOST`.
pub fn batch(seq: u64, samples: &[Sample]) -> String {
    Message::Samples(Samples {
        host: HOST.into(),
        seq,
        history: false,
        samples: samples.to_vec(),
    })
    .encode()
}

/// The seed corpus of `nats_message`, sorted: every protocol message example (one of each kind
/// and shape) and every edge frame on each of `HOST`'s three subjects (so each kind both where it
/// belongs and misplaced); the recordings as the agent publishes them, also with a sample naming
/// another host, and as one batch of about `max_len` bytes (over the check's small limit); a good
/// message on foreign subjects; bad payloads (not UTF-8, not statscope's, unreadable) on each
/// subject; a subject alone; a long subject and long bad values (which an error would quote). At
/// most `max_len` bytes each.
pub fn seeds(root: &Path, max_len: usize) -> Vec<Vec<u8>> {
    let mut seeds = std::collections::BTreeSet::new();
    let payloads: Vec<Vec<u8>> = message_examples()
        .iter()
        .map(|m| m.encode().into_bytes())
        .chain(EDGE_FRAMES.iter().map(|f| f.as_bytes().to_vec()))
        .chain(BAD_PAYLOADS.iter().map(|p| p.to_vec()))
        .collect();
    for kind in KINDS {
        for payload in &payloads {
            seeds.insert(input(&subject(HOST, kind), payload));
        }
        seeds.insert(subject(HOST, kind).into_bytes());
    }
    let recorded = recorded_samples(root);
    let mut batches = Vec::new();
    let mut seq = 0u64;
    for samples in &recorded {
        for chunk in samples.chunks(4) {
            seq += chunk.len() as u64;
            batches.push(batch(seq, chunk));
        }
    }
    let samples = subject(HOST, "samples");
    for b in &batches {
        seeds.insert(input(&samples, b.as_bytes()));
    }
    if let Some(first) = batches.first() {
        let stolen = first.replacen(&format!("@{HOST}\""), "@victim\"", 1);
        seeds.insert(input(&samples, stolen.as_bytes()));
        for foreign in FOREIGN_SUBJECTS {
            seeds.insert(input(foreign, first.as_bytes()));
        }
        let mut invalid = first.clone().into_bytes();
        if let Some(at) = invalid.iter().position(|&b| b == b'@') {
            invalid.insert(at, 0xff);
        }
        seeds.insert(input(&samples, &invalid));
    }
    // One batch as large as an input may be: over any small limit.
    if let Some(file) = recorded.iter().max_by_key(|s| s.len()) {
        let fits = (1..=file.len())
            .take_while(|&n| input(&samples, batch(1, &file[..n]).as_bytes()).len() <= max_len)
            .last();
        if let Some(n) = fits {
            seeds.insert(input(&samples, batch(n as u64, &file[..n]).as_bytes()));
        }
    }
    seeds.insert(b"statscope.v1.\xff.host\n{}".to_vec());
    // Errors that would quote what the agent chose at length: a long subject, long bad values.
    let long = "é".repeat(200);
    seeds.insert(input(&format!("statscope.v1.{long}.host"), b"{}"));
    for (kind, payload) in [
        (
            "control",
            format!(r#"{{"type":"statscope.container","id":"a","cpuLimit":"{long}"}}"#),
        ),
        (
            "control",
            format!(r#"{{"type":"statscope.container","id":"a","cpuLimitFrom":"{long}"}}"#),
        ),
        ("host", format!(r#"{{"type":"statscope.{long}"#)),
        (
            "samples",
            format!(r#"{{"type":"statscope.samples","{long}":[}}"#),
        ),
    ] {
        seeds.insert(input(&subject(HOST, kind), payload.as_bytes()));
    }
    seeds.into_iter().filter(|s| s.len() <= max_len).collect()
}
