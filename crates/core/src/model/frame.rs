//! Frames: one stats object or a JSON array of them, read strictly ([`parse_frame`]) or element by
//! element ([`parse_frame_lenient`]).

use super::fast;
use super::stats::{ParseError, Stats, StatsObject};

impl Stats {
    /// Parses one stats object (one line of the stats stream).
    ///
    /// A missing key is zero or empty, as in Go: `{"id":"a","name":"/a"}` is a sample (the empty
    /// sample of a stopped container, its missing `read` being Go's zero time). But an object with
    /// none of the stats fields ([`super::STATS_KEYS`]: `{}`, `{"foo":1}`, `{"type":"x"}`) is not a
    /// stats object, and is a [`ParseError`] like any other bad input. statscope's own messages are
    /// told apart before this is called (`protocol::Message::is_framed` and `decode`); given one,
    /// this refuses it too, as it has no stats field.
    pub fn from_json(text: &str) -> Result<Stats, ParseError> {
        let text = text.trim();
        match text.as_bytes().first() {
            Some(b'{') => match fast::object(text) {
                Some(one) => Ok(one),
                None => Ok(serde_json::from_str::<StatsObject>(text)?.0),
            },
            Some(b'[') => Err(ParseError::FrameShape("an array (expected one object)")),
            None => Err(ParseError::FrameShape("an empty text")),
            Some(_) => Ok(serde_json::from_str::<StatsObject>(text)?.0),
        }
    }
}

/// A frame read object by object: the stats that parsed, and an error for each element that did not.
#[derive(Debug, Default)]
pub struct FrameParse {
    pub samples: Vec<Stats>,
    pub errors: Vec<ParseError>,
}

/// Parses a frame leniently: an array's elements are read one by one, so one bad object (wrong
/// shape, a counter out of range) costs only itself. A frame that is not JSON at all is one error.
///
/// A good frame is read in one pass (as [`parse_frame`] reads it); only a frame with an error is
/// read again element by element, which gives the same samples whenever the strict reading succeeds.
pub fn parse_frame_lenient(text: &str) -> FrameParse {
    let trimmed = text.trim();
    let strict = parse_frame(trimmed);
    if !trimmed.starts_with('[') {
        return match strict {
            Ok(samples) => FrameParse {
                samples,
                errors: Vec::new(),
            },
            Err(e) => FrameParse {
                samples: Vec::new(),
                errors: vec![e],
            },
        };
    }
    if let Ok(samples) = strict {
        return FrameParse {
            samples,
            errors: Vec::new(),
        };
    }
    let elements: Vec<&serde_json::value::RawValue> = match serde_json::from_str(trimmed) {
        Ok(elements) => elements,
        Err(e) => {
            return FrameParse {
                samples: Vec::new(),
                errors: vec![e.into()],
            }
        }
    };
    let mut out = FrameParse {
        samples: Vec::with_capacity(elements.len()),
        errors: Vec::new(),
    };
    for element in elements {
        let raw = element.get();
        let parsed = if raw.starts_with('{') {
            match fast::object(raw) {
                Some(one) => Ok(one),
                None => serde_json::from_str::<StatsObject>(raw)
                    .map(|m| m.0)
                    .map_err(ParseError::from),
            }
        } else {
            Err(ParseError::FrameShape(
                "an array element that is not an object",
            ))
        };
        match parsed {
            Ok(s) => out.samples.push(s),
            Err(e) => out.errors.push(e),
        }
    }
    out
}

/// Parses a WebSocket frame or any text holding stats objects: one object, or a JSON array of them.
/// Strict: any bad element fails the whole frame (see [`parse_frame_lenient`]).
pub fn parse_frame(text: &str) -> Result<Vec<Stats>, ParseError> {
    let text = text.trim();
    match text.as_bytes().first() {
        Some(b'[') => match fast::array(text) {
            Some(all) => Ok(all),
            None => Ok(serde_json::from_str::<Vec<StatsObject>>(text)?
                .into_iter()
                .map(|m| m.0)
                .collect()),
        },
        Some(b'{') => match fast::object(text) {
            Some(one) => Ok(vec![one]),
            None => Ok(vec![serde_json::from_str::<StatsObject>(text)?.0]),
        },
        None => Err(ParseError::FrameShape("an empty text")),
        Some(_) => match serde_json::from_str::<serde::de::IgnoredAny>(text) {
            Ok(_) => Err(ParseError::FrameShape("a JSON scalar")),
            Err(e) => Err(e.into()),
        },
    }
}
