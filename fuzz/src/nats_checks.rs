//! The check behind the `nats_message` fuzz target: the fleet hub's reading of whatever an agent
//! publishes (`statscope_bridge::nats::read_agent_message`, `bridge/src/nats/read.rs`), on any
//! subject and any bytes. Shared by the fuzz target (`fuzz/fuzz_targets/nats_message.rs`) and the
//! bridge's standing test (`bridge/tests/fuzz_checks.rs`, over the seeds of `nats_seeds.rs`, inputs
//! generated from them and every saved input), which include this file with `#[path]`.
//!
//! Input: a subject line and a payload ([`crate::nats_seeds::split`]). Read with the hub's default
//! limit (`FleetConfig::default().max_message_bytes`) and with the limits [`SMALL_LIMIT_BYTES`],
//! the payload's length and one byte less:
//!
//! - no panic, and the outcome is the harness's own reading of the rules, in their order: a
//!   subject that is not `statscope.v1.<key>.<samples|control|host>` (a key: 1 to 64 of
//!   `[A-Za-z0-9_-]`) is foreign; then a payload over the limit is refused **without being read**
//!   (whatever it holds, and only when over); then not UTF-8; not statscope's / cannot be read
//!   (`Message::decode`); a known type on a subject that does not carry it is misplaced; a type the
//!   hub does not know is read as newer, on any subject;
//! - a message read: its host is the subject's key, a valid host key (`protocol::host_key` leaves
//!   it as it is), in every `host` field and in the key of every sample kept; its kind is one its
//!   subject carries; the samples kept and those left out are all of the payload's, in order; it
//!   holds what the protocol promises (`protocol_checks::check_message_fields`); and it **round
//!   trips**: encoded, published again on the same subject and read, it is the same (with nothing
//!   left out), and encoding is stable;
//! - a refusal: its text is not empty, at most `MAX_AGENT_ERROR_BYTES`, and names the subject (its
//!   start, when it is longer than `MAX_SUBJECT_SHOWN_BYTES`); it names the subject's host when the
//!   subject has one; a refusal for size says the payload's size and the limit; an unreadable
//!   message carries the protocol's error.

#![allow(dead_code)]

use statscope::protocol::{host_key, Message};
use statscope_bridge::nats::fleet::FleetConfig;
use statscope_bridge::nats::read::{MAX_AGENT_ERROR_BYTES, MAX_SUBJECT_SHOWN_BYTES};
use statscope_bridge::nats::{read_agent_message, AgentError, AgentMessage, Kind};

use crate::nats_seeds::split;
use crate::protocol_checks::check_message_fields;

/// A limit below most real messages, so refusals for size are reached with small inputs.
pub const SMALL_LIMIT_BYTES: usize = 256;

/// The harness's reading of a subject: its host key and last token, if it is the fleet's.
pub fn subject_model(subject: &str) -> Option<(&str, &str)> {
    let tokens: Vec<&str> = subject.split('.').collect();
    match tokens[..] {
        ["statscope", "v1", host, kind @ ("samples" | "control" | "host")]
            if (1..=64).contains(&host.len())
                && host
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') =>
        {
            Some((host, kind))
        }
        _ => None,
    }
}

/// What the harness expects of an input, by the rules in their order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Foreign,
    TooLarge,
    NotUtf8,
    NotStatscope,
    Unreadable,
    Misplaced,
    Read,
    Newer,
}

impl Outcome {
    /// The outcome the function gave.
    pub fn of(result: &Result<AgentMessage, AgentError>) -> Outcome {
        match result {
            Ok(AgentMessage::Newer { .. }) => Outcome::Newer,
            Ok(_) => Outcome::Read,
            Err(AgentError::Foreign { .. }) => Outcome::Foreign,
            Err(AgentError::TooLarge { .. }) => Outcome::TooLarge,
            Err(AgentError::NotUtf8 { .. }) => Outcome::NotUtf8,
            Err(AgentError::NotStatscope { .. }) => Outcome::NotStatscope,
            Err(AgentError::Unreadable { .. }) => Outcome::Unreadable,
            Err(AgentError::Misplaced { .. }) => Outcome::Misplaced,
        }
    }
}

/// Does a subject of this last token carry `m`?
fn carries(kind: &str, m: &Message) -> bool {
    matches!(
        (kind, m),
        ("samples", Message::Samples(_))
            | (
                "control",
                Message::Container(_) | Message::Event(_) | Message::Notice(_)
            )
            | ("host", Message::Host(_))
    )
}

/// The outcome the rules give for `subject` and `payload` under `max_bytes`.
pub fn expected(subject: &str, payload: &[u8], max_bytes: usize) -> Outcome {
    let Some((_, kind)) = subject_model(subject) else {
        return Outcome::Foreign;
    };
    if payload.len() > max_bytes {
        return Outcome::TooLarge;
    }
    let Ok(text) = std::str::from_utf8(payload) else {
        return Outcome::NotUtf8;
    };
    match Message::decode(text) {
        Ok(None) => Outcome::NotStatscope,
        Err(_) => Outcome::Unreadable,
        Ok(Some(Message::Other(_))) => Outcome::Newer,
        Ok(Some(m)) if carries(kind, &m) => Outcome::Read,
        Ok(Some(_)) => Outcome::Misplaced,
    }
}

/// `text`'s start of at most `max` bytes, at a character.
fn start_of(text: &str, max: usize) -> &str {
    let cut = (0..=max.min(text.len()))
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0);
    &text[..cut]
}

fn check_read(subject: &str, payload: &[u8], m: &AgentMessage) {
    let (host, kind) = subject_model(subject).expect("read on a fleet subject");
    assert_eq!(m.host(), host, "the host is not the subject's: {m:?}");
    assert_eq!(host_key(host), host, "not a valid host key: {host:?}");
    match m.subject_kind() {
        Some(k) => assert_eq!(k.token(), kind, "a {k:?} message read on {subject}"),
        None => assert!(matches!(m, AgentMessage::Newer { .. }), "{m:?}"),
    }
    let decoded = Message::decode(std::str::from_utf8(payload).expect("read: UTF-8"))
        .expect("read: decodes")
        .expect("read: statscope's");
    match (m, &decoded) {
        (AgentMessage::Host(h), _) => assert_eq!(h.host, host),
        (AgentMessage::Container(c), _) => assert_eq!(c.host, host),
        (AgentMessage::Event(e), _) => assert_eq!(e.host, host),
        (AgentMessage::Notice(n), _) => assert_eq!(n.host, host),
        (
            AgentMessage::Samples {
                host: h,
                samples,
                foreign,
            },
            Message::Samples(all),
        ) => {
            assert_eq!(h, host);
            let mine =
                |s: &&statscope::model::Sample| s.key.split_once('@').map(|(_, h)| h) == Some(host);
            let want: Vec<_> = all.samples.iter().filter(mine).cloned().collect();
            assert_eq!(samples, &want, "the samples kept are not the host's own");
            assert_eq!(
                *foreign as usize,
                all.samples.len() - want.len(),
                "the samples left out"
            );
        }
        (AgentMessage::Newer { host: h, kind }, Message::Other(k)) => {
            assert_eq!((h.as_str(), kind), (host, k));
        }
        (m, d) => panic!("read {m:?} from {d:?}"),
    }
    // What it is otherwise is what the agent said.
    let mut said = m.to_message();
    if let (Message::Samples(s), Message::Samples(all)) = (&mut said, &decoded) {
        assert_eq!((s.seq, s.history), (0, false));
        s.seq = all.seq;
        s.history = all.history;
        s.samples.clone_from(&all.samples);
    }
    let mut agent = decoded.clone();
    match &mut agent {
        Message::Host(h) => h.host = host.to_string(),
        Message::Container(c) => c.host = host.to_string(),
        Message::Event(e) => e.host = host.to_string(),
        Message::Notice(n) => n.host = host.to_string(),
        Message::Samples(s) => s.host = host.to_string(),
        _ => {}
    }
    assert_eq!(said, agent, "what was read is not what the agent said");
    check_message_fields(&m.to_message());
    // Published again on the same subject, it reads the same.
    let text = m.to_message().encode();
    assert!(
        Message::is_framed(&text) && !text.contains(['\n', '\r']),
        "{text:?}"
    );
    let again = read_agent_message(subject, text.as_bytes(), usize::MAX);
    let mut want = m.clone();
    if let AgentMessage::Samples { foreign, .. } = &mut want {
        *foreign = 0;
    }
    assert_eq!(again.as_ref(), Ok(&want), "no round trip; the text: {text}");
    if let Ok(again) = again {
        assert_eq!(again.to_message().encode(), text, "encoding is not stable");
    }
}

fn check_refused(subject: &str, payload: &[u8], max_bytes: usize, e: &AgentError) {
    let text = e.to_string();
    assert!(!text.is_empty(), "an empty refusal");
    assert!(
        text.len() <= MAX_AGENT_ERROR_BYTES,
        "a refusal of {} bytes: {text}",
        text.len()
    );
    assert!(
        text.contains(start_of(subject, MAX_SUBJECT_SHOWN_BYTES)),
        "the refusal does not name {subject:?}: {text}"
    );
    assert_eq!(
        e.host(),
        subject_model(subject).map(|(h, _)| h),
        "the refusal's host: {text}"
    );
    assert_eq!(
        e.admits_host(),
        !matches!(e, AgentError::Foreign { .. } | AgentError::TooLarge { .. }),
        "{e:?}"
    );
    assert_eq!(
        e.is_sign_of_life(),
        matches!(e, AgentError::Misplaced { .. }),
        "{e:?}"
    );
    match e {
        AgentError::TooLarge {
            bytes,
            max_bytes: max,
            ..
        } => assert_eq!((*bytes, *max), (payload.len(), max_bytes), "{text}"),
        AgentError::Unreadable { error, .. } => {
            let decoded = std::str::from_utf8(payload).map(Message::decode);
            assert_eq!(decoded, Ok(Err(error.clone())), "{text}");
        }
        AgentError::Misplaced { kind, on, .. } => {
            let (_, token) = subject_model(subject).expect("a fleet subject");
            assert_eq!(on.token(), token, "{text}");
            assert!(text.contains(kind.as_str()), "{text}");
        }
        _ => {}
    }
}

/// One reading, against the rules.
fn check_one(subject: &str, payload: &[u8], max_bytes: usize) -> Result<AgentMessage, AgentError> {
    let result = read_agent_message(subject, payload, max_bytes);
    let want = expected(subject, payload, max_bytes);
    assert_eq!(
        Outcome::of(&result),
        want,
        "under {max_bytes} bytes: {result:?}"
    );
    match &result {
        Ok(m) => check_read(subject, payload, m),
        Err(e) => check_refused(subject, payload, max_bytes, e),
    }
    result
}

/// Target `nats_message` (see the module docs).
pub fn check_nats_message(data: &[u8]) {
    let (subject, payload) = split(data);
    let hub = FleetConfig::default().max_message_bytes;
    let read = check_one(&subject, payload, hub);
    for limit in [
        SMALL_LIMIT_BYTES,
        payload.len(),
        payload.len().saturating_sub(1),
    ] {
        let under = check_one(&subject, payload, limit);
        if payload.len() <= limit {
            assert_eq!(under, read, "within the limit {limit}, another reading");
        }
    }
}

/// A check of one input.
pub type Check = fn(&[u8]);

/// The checks of this file.
pub const ALL: &[(&str, Check)] = &[("nats_message", check_nats_message)];

/// The outcome of every seed under the hub's limit and the small one: the seeds must reach each.
pub fn outcomes(data: &[u8]) -> [Outcome; 2] {
    let (subject, payload) = split(data);
    let hub = FleetConfig::default().max_message_bytes;
    [hub, SMALL_LIMIT_BYTES].map(|limit| Outcome::of(&read_agent_message(&subject, payload, limit)))
}

/// Every outcome, for the seeds' coverage.
pub const OUTCOMES: [Outcome; 8] = [
    Outcome::Foreign,
    Outcome::TooLarge,
    Outcome::NotUtf8,
    Outcome::NotStatscope,
    Outcome::Unreadable,
    Outcome::Misplaced,
    Outcome::Read,
    Outcome::Newer,
];

/// The seeds' subject tokens are the bridge's (`Kind::token`).
pub fn check_kinds_are_the_bridges() {
    let tokens: Vec<&str> = Kind::ALL.iter().map(|k| k.token()).collect();
    assert_eq!(tokens, crate::nats_seeds::KINDS);
}
