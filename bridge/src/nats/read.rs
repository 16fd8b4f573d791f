//! The hub's reading of one message an agent published ([`read_agent_message`]): pure (no I/O, no
//! clock, no state), so [`super::fleet`] acts on its result and the `nats_message` fuzz target
//! (`fuzz/src/nats_checks.rs`) checks it on any subject and any bytes.
//!
//! In order: the subject must be one of the fleet's ([`Subjects::parse`]: its host key and kind);
//! the payload at most `max_bytes` (refused before anything else is read); UTF-8; a statscope
//! message ([`Message::decode`]); of a type its subject carries (samples on `.samples`; container,
//! event, notice on `.control`; host on `.host`). A `statscope.` type this hub does not know (a
//! newer agent's) is read as [`AgentMessage::Newer`], which the hub ignores as a page does. What is
//! read speaks for the subject's host only: its `host` fields are set to the subject's key, and
//! samples whose key names another host are left out (and counted).

use statscope_core::model::Sample;
use statscope_core::protocol::{
    ContainerInfo, HostInfo, LifecycleEvent, Message, Notice, ProtocolError, Samples,
};

use super::{Kind, Subjects};
use crate::notice::mib;

/// The most of a subject an error quotes: every subject of the fleet (at most 85 bytes) whole.
pub const MAX_SUBJECT_SHOWN_BYTES: usize = 128;

/// The most of the protocol's error an error quotes (as the hub cuts a stats object's error).
pub const MAX_DECODE_ERROR_SHOWN_BYTES: usize = 160;

/// The longest text of an [`AgentError`], in bytes.
pub const MAX_AGENT_ERROR_BYTES: usize = 400;

/// A message an agent published, read: what the hub acts on, about the subject's host only.
#[derive(Clone, Debug, PartialEq)]
pub enum AgentMessage {
    /// `statscope.host` on `.host`, its `host` the subject's key.
    Host(HostInfo),
    /// `statscope.samples` on `.samples`: the samples whose key names the subject's host, in order,
    /// and how many named another host (left out).
    Samples {
        host: String,
        samples: Vec<Sample>,
        foreign: u64,
    },
    /// `statscope.container` on `.control`, its `host` the subject's key.
    Container(ContainerInfo),
    /// `statscope.event` on `.control`, its `host` the subject's key.
    Event(LifecycleEvent),
    /// `statscope.notice` on `.control`, its `host` the subject's key.
    Notice(Notice),
    /// A `statscope.` type this hub does not know, on any of the host's subjects: ignored.
    Newer { host: String, kind: String },
}

impl AgentMessage {
    /// The host it is about: the subject's key.
    pub fn host(&self) -> &str {
        match self {
            AgentMessage::Host(h) => &h.host,
            AgentMessage::Container(c) => &c.host,
            AgentMessage::Event(e) => &e.host,
            AgentMessage::Notice(n) => &n.host,
            AgentMessage::Samples { host, .. } | AgentMessage::Newer { host, .. } => host,
        }
    }

    /// The subject it travels on (`None`: a newer type, on any).
    pub fn subject_kind(&self) -> Option<Kind> {
        match self {
            AgentMessage::Host(_) => Some(Kind::Host),
            AgentMessage::Samples { .. } => Some(Kind::Samples),
            AgentMessage::Container(_) | AgentMessage::Event(_) | AgentMessage::Notice(_) => {
                Some(Kind::Control)
            }
            AgentMessage::Newer { .. } => None,
        }
    }

    /// As a protocol message (samples: those kept, `seq` 0, not history; the hub uses neither).
    pub fn to_message(&self) -> Message {
        match self {
            AgentMessage::Host(h) => Message::Host(h.clone()),
            AgentMessage::Samples { host, samples, .. } => Message::Samples(Samples {
                host: host.clone(),
                seq: 0,
                history: false,
                samples: samples.clone(),
            }),
            AgentMessage::Container(c) => Message::Container(c.clone()),
            AgentMessage::Event(e) => Message::Event(e.clone()),
            AgentMessage::Notice(n) => Message::Notice(n.clone()),
            AgentMessage::Newer { kind, .. } => Message::Other(kind.clone()),
        }
    }
}

/// Why an agent's message is dropped; its text is what the hub says (`bad-agent-message`), at most
/// [`MAX_AGENT_ERROR_BYTES`], naming the subject.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AgentError {
    #[error(
        "a message on {}, not one of the fleet's subjects",
        shown(subject, MAX_SUBJECT_SHOWN_BYTES)
    )]
    Foreign { subject: String },
    #[error(
        "a message of {} on {subject}, over {} (--max-agent-message-kib)",
        mib(*bytes as u64),
        mib(*max_bytes as u64)
    )]
    TooLarge {
        subject: String,
        host: String,
        bytes: usize,
        max_bytes: usize,
    },
    #[error("a message on {subject} that is not UTF-8")]
    NotUtf8 { subject: String, host: String },
    #[error("a message on {subject} that is not statscope's")]
    NotStatscope { subject: String, host: String },
    #[error(
        "a message on {subject} that cannot be read: {}",
        shown(&error.0, MAX_DECODE_ERROR_SHOWN_BYTES)
    )]
    Unreadable {
        subject: String,
        host: String,
        error: ProtocolError,
    },
    #[error("a {kind} message on {subject}, which carries {}", carries(*on))]
    Misplaced {
        subject: String,
        host: String,
        /// The message's type.
        kind: String,
        /// The subject's kind.
        on: Kind,
    },
}

impl AgentError {
    /// The subject's host key (`None`: not one of the fleet's subjects).
    pub fn host(&self) -> Option<&str> {
        match self {
            AgentError::Foreign { .. } => None,
            AgentError::TooLarge { host, .. }
            | AgentError::NotUtf8 { host, .. }
            | AgentError::NotStatscope { host, .. }
            | AgentError::Unreadable { host, .. }
            | AgentError::Misplaced { host, .. } => Some(host),
        }
    }

    /// Within the size limit on one of the host's subjects: the hub admits the host (counted
    /// against `--max-hosts`) before it says the message was bad.
    pub fn admits_host(&self) -> bool {
        !matches!(
            self,
            AgentError::Foreign { .. } | AgentError::TooLarge { .. }
        )
    }

    /// A statscope message, only on the wrong subject: a sign of life of its agent.
    pub fn is_sign_of_life(&self) -> bool {
        matches!(self, AgentError::Misplaced { .. })
    }
}

/// What a subject of `kind` carries, for people.
pub fn carries(kind: Kind) -> &'static str {
    match kind {
        Kind::Samples => "statscope.samples",
        Kind::Control => "statscope.container, statscope.event or statscope.notice",
        Kind::Host => "statscope.host",
    }
}

/// `text` cut to at most `max` bytes (at a character) with `…`, when longer.
fn shown(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let cut = (0..=max)
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0);
    format!("{}…", &text[..cut])
}

/// Reads what an agent published on `subject` (see the module docs).
pub fn read_agent_message(
    subject: &str,
    payload: &[u8],
    max_bytes: usize,
) -> Result<AgentMessage, AgentError> {
    let Some((host, on)) = Subjects::parse(subject) else {
        return Err(AgentError::Foreign {
            subject: subject.to_string(),
        });
    };
    let (subject, host) = (subject.to_string(), host.to_string());
    if payload.len() > max_bytes {
        return Err(AgentError::TooLarge {
            subject,
            host,
            bytes: payload.len(),
            max_bytes,
        });
    }
    let Ok(text) = std::str::from_utf8(payload) else {
        return Err(AgentError::NotUtf8 { subject, host });
    };
    let message = match Message::decode(text) {
        Ok(Some(m)) => m,
        Ok(None) => return Err(AgentError::NotStatscope { subject, host }),
        Err(error) => {
            return Err(AgentError::Unreadable {
                subject,
                host,
                error,
            })
        }
    };
    Ok(match (on, message) {
        (Kind::Host, Message::Host(mut info)) => {
            info.host = host;
            AgentMessage::Host(info)
        }
        (Kind::Samples, Message::Samples(samples)) => {
            let total = samples.samples.len();
            let samples: Vec<Sample> = samples
                .samples
                .into_iter()
                .filter(|s| Sample::split_key(&s.key).1 == host)
                .collect();
            AgentMessage::Samples {
                foreign: (total - samples.len()) as u64,
                host,
                samples,
            }
        }
        (Kind::Control, Message::Container(mut c)) => {
            c.host = host;
            AgentMessage::Container(c)
        }
        (Kind::Control, Message::Event(mut e)) => {
            e.host = host;
            AgentMessage::Event(e)
        }
        (Kind::Control, Message::Notice(mut n)) => {
            n.host = host;
            AgentMessage::Notice(n)
        }
        (_, Message::Other(kind)) => AgentMessage::Newer { host, kind },
        (on, m) => {
            return Err(AgentError::Misplaced {
                kind: m.kind().to_string(),
                subject,
                host,
                on,
            })
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"{"type":"statscope.samples","host":"x","seq":1,"samples":[["c1@web","a","linux",1,null,0,0,0,0,0,0,0,0,null,null,0,0,0,0,0,0,0,0],["c2@db","b","linux",1,null,0,0,0,0,0,0,0,0,null,null,0,0,0,0,0,0,0,0]]}"#;

    #[test]
    fn what_is_read_speaks_for_the_subjects_host_only() {
        let m = read_agent_message("statscope.v1.web.samples", SAMPLE.as_bytes(), 1 << 20)
            .expect("read");
        let AgentMessage::Samples {
            host,
            samples,
            foreign,
        } = &m
        else {
            panic!("{m:?}")
        };
        assert_eq!(
            (host.as_str(), samples.len(), *foreign),
            ("web", 1, 1),
            "{m:?}"
        );
        assert_eq!(samples[0].key, "c1@web");
        let host = br#"{"type":"statscope.host","host":"other","name":"n","state":"up"}"#;
        let m = read_agent_message("statscope.v1.web.host", host, 1 << 20).expect("read");
        assert_eq!(m.host(), "web");
        assert_eq!(m.subject_kind(), Some(Kind::Host));
        let newer = br#"{"type":"statscope.future","x":1}"#;
        assert_eq!(
            read_agent_message("statscope.v1.web.control", newer, 1 << 20),
            Ok(AgentMessage::Newer {
                host: "web".into(),
                kind: "statscope.future".into()
            })
        );
    }

    #[test]
    fn each_refusal_says_what_the_hub_says() {
        let read = |subject: &str, payload: &[u8], max: usize| {
            read_agent_message(subject, payload, max)
                .expect_err("refused")
                .to_string()
        };
        assert_eq!(
            read("statscope.v1.web.other", b"{}", 10),
            "a message on statscope.v1.web.other, not one of the fleet's subjects"
        );
        assert_eq!(
            read("statscope.v1.web.samples", &[b' '; 2048], 1024),
            "a message of 2 KiB on statscope.v1.web.samples, over 1 KiB (--max-agent-message-kib)"
        );
        assert_eq!(
            read("statscope.v1.web.samples", &[0xff], 10),
            "a message on statscope.v1.web.samples that is not UTF-8"
        );
        assert_eq!(
            read("statscope.v1.web.samples", br#"{"type":"x"}"#, 100),
            "a message on statscope.v1.web.samples that is not statscope's"
        );
        assert_eq!(
            read("statscope.v1.web.samples", b"not json", 100),
            "a message on statscope.v1.web.samples that cannot be read: expected ident"
        );
        assert_eq!(
            read(
                "statscope.v1.web.host",
                br#"{"type":"statscope.heartbeat"}"#,
                100
            ),
            "a statscope.heartbeat message on statscope.v1.web.host, which carries statscope.host"
        );
        assert_eq!(
            read("statscope.v1.web.control", SAMPLE.as_bytes(), 1 << 20),
            "a statscope.samples message on statscope.v1.web.control, which carries \
             statscope.container, statscope.event or statscope.notice"
        );
        // What an agent chooses is quoted cut.
        let long = format!("x.{}", "é".repeat(300));
        let text = read(&long, b"", 10);
        assert!(text.len() <= MAX_AGENT_ERROR_BYTES, "{text}");
        assert!(text.contains("x.éé") && text.contains('…'), "{text}");
        let payload = format!(
            r#"{{"type":"statscope.container","id":"a","cpuLimit":"{}"}}"#,
            "a".repeat(4000)
        );
        let text = read("statscope.v1.web.control", payload.as_bytes(), 1 << 20);
        assert!(text.len() <= MAX_AGENT_ERROR_BYTES, "{text}");
        assert!(text.contains("cpuLimit") || text.contains("aaa…"), "{text}");
    }
}
