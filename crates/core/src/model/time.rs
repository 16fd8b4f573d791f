//! [`Timestamp`]: a point in time as Go's `time.Time` carries it in the stats JSON, and RFC 3339
//! parsing and printing without a date crate.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

/// A point in time, as Go's `time.Time` carries it in the stats JSON: nanoseconds since the Unix epoch,
/// in UTC. Go's zero time (`0001-01-01T00:00:00Z`) is [`Timestamp::ZERO`]; Docker sends it in the empty
/// samples of a stopped container and as the `preread` of the first object of a stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    unix_ns: i128,
}

/// Seconds from 0001-01-01T00:00:00Z to 1970-01-01T00:00:00Z.
const GO_ZERO_UNIX_S: i128 = -62_135_596_800;

pub(super) const NS_PER_S: i128 = 1_000_000_000;
const S_PER_DAY: i64 = 86_400;

/// The range [`Timestamp::to_rfc3339`] spells: years −9999 to 9999, as the `time` crate did.
const MIN_FORMATTED_S: i64 = days_from_civil(-9999, 1, 1) * S_PER_DAY;
const MAX_FORMATTED_S: i64 = days_from_civil(9999, 12, 31) * S_PER_DAY + S_PER_DAY - 1;

impl Timestamp {
    /// Go's zero `time.Time`, `0001-01-01T00:00:00Z`.
    pub const ZERO: Timestamp = Timestamp {
        unix_ns: GO_ZERO_UNIX_S * NS_PER_S,
    };

    /// A timestamp from nanoseconds since the Unix epoch.
    pub const fn from_unix_ns(unix_ns: i128) -> Self {
        Timestamp { unix_ns }
    }

    /// Nanoseconds since the Unix epoch (negative before 1970; Go's zero time is about −6.2e19).
    pub const fn unix_ns(self) -> i128 {
        self.unix_ns
    }

    /// Milliseconds since the Unix epoch, as a float (what a chart's time axis uses).
    pub fn unix_ms(self) -> f64 {
        self.unix_ns as f64 / 1e6
    }

    /// Is this Go's zero time, i.e. "no timestamp"?
    pub const fn is_zero(self) -> bool {
        self.unix_ns == Self::ZERO.unix_ns
    }

    /// `self − earlier` in nanoseconds, saturating at the `i64` range exactly as Go's `Time.Sub` does.
    pub fn go_sub_ns(self, earlier: Timestamp) -> i64 {
        let d = self.unix_ns - earlier.unix_ns;
        d.clamp(i64::MIN as i128, i64::MAX as i128) as i64
    }

    /// Parses RFC 3339 (`2024-05-01T10:00:00.123456789Z`, `…-08:00`; 0–9 fraction digits).
    ///
    /// The grammar of the `time` crate's `Rfc3339` parser, which statscope used before (a test
    /// compares the two): `YYYY-MM-DD`, any one byte, `hh:mm:ss`, an optional `.` and one or more
    /// digits (those after the ninth ignored), then `Z`, `z` or `±hh:mm` (hours ≤ 23, minutes ≤ 59).
    /// Calendar dates only; second 60 is a leap second, read as `:59.999999999`, and only where one
    /// can be (23:59:60 UTC on a month's last day).
    pub fn parse_rfc3339(text: &str) -> Result<Self, String> {
        rfc3339_unix_ns(text.as_bytes())
            .map(Timestamp::from_unix_ns)
            .map_err(|what| format!("invalid RFC 3339 timestamp {text:?}: {what}"))
    }

    /// Formats as Go's `time.RFC3339Nano` in UTC: the fraction's trailing zeros trimmed, none when zero.
    pub fn to_rfc3339(self) -> String {
        let secs = self.unix_ns.div_euclid(NS_PER_S);
        let nanos = self.unix_ns.rem_euclid(NS_PER_S) as u32;
        let secs = match i64::try_from(secs) {
            Ok(s) if (MIN_FORMATTED_S..=MAX_FORMATTED_S).contains(&s) => s,
            _ => return format!("<out of range: {} ns>", self.unix_ns),
        };
        let (year, month, day) = civil_from_days(secs.div_euclid(S_PER_DAY));
        let in_day = secs.rem_euclid(S_PER_DAY);
        let mut out = format!(
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
            in_day / 3600,
            in_day / 60 % 60,
            in_day % 60
        );
        if nanos != 0 {
            let frac = format!("{nanos:09}");
            out.push('.');
            out.push_str(frac.trim_end_matches('0'));
        }
        out.push('Z');
        out
    }
}

impl Default for Timestamp {
    fn default() -> Self {
        Timestamp::ZERO
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    /// A string, or `null` for Go's zero time; the text is read in place, not copied.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> Visitor<'de> for Visit {
            type Value = Timestamp;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an RFC 3339 timestamp")
            }
            fn visit_none<E: de::Error>(self) -> Result<Timestamp, E> {
                Ok(Timestamp::ZERO)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Timestamp, D::Error> {
                d.deserialize_str(self)
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Timestamp, E> {
                Timestamp::parse_rfc3339(text).map_err(E::custom)
            }
        }
        d.deserialize_option(Visit)
    }
}

/// Days from 1970-01-01 to a date of the proleptic Gregorian calendar (H. Hinnant's `days_from_civil`).
const fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date `days` after 1970-01-01 (the inverse of [`days_from_civil`]).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

const fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// RFC 3339 text → ns since the Unix epoch (see [`Timestamp::parse_rfc3339`]); the error says what.
pub(super) fn rfc3339_unix_ns(b: &[u8]) -> Result<i128, &'static str> {
    fn number(b: &[u8], at: usize, len: usize, what: &'static str) -> Result<u32, &'static str> {
        let digits = b.get(at..at + len).ok_or(what)?;
        digits.iter().try_fold(0, |n, &c| {
            if c.is_ascii_digit() {
                Ok(n * 10 + u32::from(c - b'0'))
            } else {
                Err(what)
            }
        })
    }
    fn literal(b: &[u8], at: usize, c: u8) -> Result<(), &'static str> {
        match b.get(at) {
            Some(&x) if x == c => Ok(()),
            _ => Err("a separator is missing or wrong"),
        }
    }
    let year = i64::from(number(b, 0, 4, "no 4-digit year")?);
    literal(b, 4, b'-')?;
    let month = number(b, 5, 2, "no 2-digit month")?;
    literal(b, 7, b'-')?;
    let day = number(b, 8, 2, "no 2-digit day")?;
    // Byte 10 separates date and time: `T` by the RFC, but any byte is accepted (as `time` did).
    let hour = number(b, 11, 2, "no 2-digit hour")?;
    literal(b, 13, b':')?;
    let minute = number(b, 14, 2, "no 2-digit minute")?;
    literal(b, 16, b':')?;
    let second = number(b, 17, 2, "no 2-digit second")?;
    let mut at = 19;
    let mut nanos = 0;
    if b.get(at) == Some(&b'.') {
        at += 1;
        let first = at;
        let mut scale = 100_000_000;
        while let Some(&c) = b.get(at).filter(|c| c.is_ascii_digit()) {
            nanos += u32::from(c - b'0') * scale;
            scale /= 10;
            at += 1;
        }
        if at == first {
            return Err("no digit after the decimal point");
        }
    }
    let offset_s = match b.get(at) {
        Some(b'Z' | b'z') => {
            at += 1;
            0
        }
        Some(&sign @ (b'+' | b'-')) => {
            let h = number(b, at + 1, 2, "no 2-digit offset hour")?;
            literal(b, at + 3, b':')?;
            let m = number(b, at + 4, 2, "no 2-digit offset minute")?;
            if h > 23 || m > 59 {
                return Err("offset out of range");
            }
            at += 6;
            let s = i64::from(h * 3600 + m * 60);
            if sign == b'-' {
                -s
            } else {
                s
            }
        }
        _ => return Err("no offset (Z or ±hh:mm)"),
    };
    if at != b.len() {
        return Err("unexpected characters after the offset");
    }
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return Err("no such date");
    }
    if hour > 23 || minute > 59 || second > 60 {
        return Err("time of day out of range");
    }
    let leap = second == 60;
    let (second, nanos) = if leap {
        (59, 999_999_999)
    } else {
        (second, nanos)
    };
    let unix_s = days_from_civil(year, month, day) * S_PER_DAY
        + i64::from(hour * 3600 + minute * 60 + second)
        - offset_s;
    if leap {
        // A leap second ends a month in UTC.
        let (y, m, d) = civil_from_days(unix_s.div_euclid(S_PER_DAY));
        let last_of_month = d == days_in_month(y, m) && (-9999..=9999).contains(&y);
        if unix_s.rem_euclid(S_PER_DAY) != S_PER_DAY - 1 || !last_of_month {
            return Err("a leap second not at the end of a UTC month");
        }
    }
    Ok(i128::from(unix_s) * NS_PER_S + i128::from(nanos))
}
