//! A fast path for the well-formed common object: a hand-written scanner over the JSON subset Docker
//! sends (no escapes in strings, no unknown keys, plain unsigned integers), giving exactly what the
//! serde model gives. On anything else it gives up (`None`) and the caller reads the text with the
//! serde model, which stays the reference and produces the errors; `tests/model_fast.rs` checks
//! that the two agree. In WebAssembly it reads an object ~2× faster than serde_json.

use super::stats::*;
use std::borrow::Cow;

use super::time::{rfc3339_unix_ns, Timestamp};

pub(super) struct Scan<'a> {
    text: &'a str,
    at: usize,
}

/// A struct's keys seen so far: a key given twice is serde's "duplicate field" error.
#[derive(Default)]
struct Seen(u32);

impl Seen {
    fn first(&mut self, bit: u32) -> Option<()> {
        let mask = 1 << bit;
        if self.0 & mask != 0 {
            return None;
        }
        self.0 |= mask;
        Some(())
    }
}

impl<'a> Scan<'a> {
    pub(super) fn new(text: &'a str) -> Self {
        Scan { text, at: 0 }
    }

    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    /// The next byte after JSON whitespace, not consumed.
    fn peek(&mut self) -> Option<u8> {
        let b = self.bytes();
        while let Some(&c) = b.get(self.at) {
            // Compact JSON: the usual next byte is above the space, no whitespace to skip.
            if c > b' ' || !matches!(c, b' ' | b'\n' | b'\r' | b'\t') {
                return Some(c);
            }
            self.at += 1;
        }
        None
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        (self.peek()? == c).then(|| self.at += 1)
    }

    /// Is the next value `null` (consumed if so)?
    fn null(&mut self) -> bool {
        if self.peek() == Some(b'n') && self.bytes()[self.at..].starts_with(b"null") {
            self.at += 4;
            true
        } else {
            false
        }
    }

    /// The end of the text (after whitespace)?
    pub(super) fn at_end(&mut self) -> bool {
        self.peek().is_none()
    }

    /// A string without escapes or control characters, borrowed.
    /// An object's key: [`Self::str`] inlined into each object reader (~6 % faster in
    /// WebAssembly), the scan itself shared.
    #[inline(always)]
    fn key(&mut self) -> Option<&'a str> {
        self.eat(b'"')?;
        let start = self.at;
        let len = plain_len(&self.bytes()[start..]);
        if self.bytes().get(start + len) != Some(&b'"') {
            return None;
        }
        self.at = start + len + 1;
        self.text.get(start..start + len)
    }

    fn str(&mut self) -> Option<&'a str> {
        self.eat(b'"')?;
        let start = self.at;
        let len = plain_len(&self.bytes()[start..]);
        if self.bytes().get(start + len) != Some(&b'"') {
            return None;
        }
        self.at = start + len + 1;
        self.text.get(start..start + len)
    }

    /// An unsigned integer as serde_json reads one into a `u64`: no sign, fraction, exponent
    /// or leading zero (what follows is checked by the caller's grammar), no overflow.
    fn u64(&mut self) -> Option<u64> {
        let b = self.bytes();
        let first = *b.get(self.at).filter(|c| c.is_ascii_digit())?;
        self.at += 1;
        let mut n = u64::from(first - b'0');
        if n == 0 {
            return Some(0);
        }
        while let Some(&c) = b.get(self.at) {
            let d = u64::from(c.wrapping_sub(b'0'));
            if d > 9 {
                break;
            }
            // Compared, not `checked_mul`: on wasm32 that is a 128-bit multiplication call.
            if n > u64::MAX / 10 || (n == u64::MAX / 10 && d > u64::MAX % 10) {
                return None;
            }
            n = n * 10 + d;
            self.at += 1;
        }
        Some(n)
    }

    fn num(&mut self) -> Option<u64> {
        self.peek()?;
        self.u64()
    }

    /// A `null_as_default` counter.
    fn counter(&mut self) -> Option<u64> {
        if self.null() {
            Some(0)
        } else {
            self.num()
        }
    }

    fn count32(&mut self) -> Option<u32> {
        u32::try_from(self.counter()?).ok()
    }

    /// `{ "key": value, … }`, each value read by `field`.
    fn object(&mut self, mut field: impl FnMut(&mut Self, &'a str) -> Option<()>) -> Option<()> {
        self.eat(b'{')?;
        if self.eat(b'}').is_some() {
            return Some(());
        }
        loop {
            let key = self.key()?;
            self.eat(b':')?;
            field(self, key)?;
            match self.peek()? {
                b',' => self.at += 1,
                b'}' => {
                    self.at += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// `[ value, … ]`, each value read by `item`.
    fn array(&mut self, mut item: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.eat(b'[')?;
        if self.eat(b']').is_some() {
            return Some(());
        }
        loop {
            item(self)?;
            match self.peek()? {
                b',' => self.at += 1,
                b']' => {
                    self.at += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// An `object_or_null` struct.
    fn or_null<T: Default>(&mut self, read: impl FnOnce(&mut Self) -> Option<T>) -> Option<T> {
        if self.null() {
            Some(T::default())
        } else {
            read(self)
        }
    }

    /// A value no figure reads (an unknown key's): checked as serde_json checks what it ignores
    /// (strings without escapes here, and at most a few levels deep), not kept.
    fn skip(&mut self) -> Option<()> {
        self.skip_nested(8)
    }

    fn skip_nested(&mut self, depth: u32) -> Option<()> {
        match self.peek()? {
            b'"' => self.str().map(drop),
            b'{' => self.object(|p, _| p.skip_nested(depth.checked_sub(1)?)),
            b'[' => self.array(|p| p.skip_nested(depth.checked_sub(1)?)),
            b'n' => self.literal(b"null"),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            _ => self.number(),
        }
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        self.bytes()[self.at..]
            .starts_with(word)
            .then(|| self.at += word.len())
    }

    /// Any JSON number: `-`, an integer part without leading zeros, a fraction, an exponent.
    fn number(&mut self) -> Option<()> {
        let digits = |p: &mut Self| {
            let start = p.at;
            while p.bytes().get(p.at).is_some_and(u8::is_ascii_digit) {
                p.at += 1;
            }
            (p.at > start).then_some(())
        };
        if self.bytes().get(self.at) == Some(&b'-') {
            self.at += 1;
        }
        match self.bytes().get(self.at)? {
            b'0' => self.at += 1,
            b'1'..=b'9' => digits(self)?,
            _ => return None,
        }
        if self.bytes().get(self.at) == Some(&b'.') {
            self.at += 1;
            digits(self)?;
        }
        if matches!(self.bytes().get(self.at), Some(b'e' | b'E')) {
            self.at += 1;
            if matches!(self.bytes().get(self.at), Some(b'+' | b'-')) {
                self.at += 1;
            }
            digits(self)?;
        }
        Some(())
    }

    fn timestamp(&mut self) -> Option<Timestamp> {
        if self.null() {
            return Some(Timestamp::ZERO);
        }
        rfc3339_unix_ns(self.str()?.as_bytes())
            .ok()
            .map(Timestamp::from_unix_ns)
    }

    pub(super) fn stats(&mut self) -> Option<Stats> {
        let mut s = Stats::default();
        let mut seen = Seen::default();
        self.object(|p, key| match key {
            "id" => {
                seen.first(0)?;
                s.id = p.str()?.to_owned();
                Some(())
            }
            "name" => {
                seen.first(1)?;
                s.name = p.str()?.to_owned();
                Some(())
            }
            "os_type" => {
                seen.first(2)?;
                s.os_type = p.str()?.parse().ok();
                Some(())
            }
            "read" => {
                seen.first(3)?;
                s.read = p.timestamp()?;
                Some(())
            }
            "preread" => {
                seen.first(4)?;
                s.preread = p.timestamp()?;
                Some(())
            }
            "cpu_stats" => {
                seen.first(5)?;
                s.cpu_stats = p.or_null(Self::cpu_stats)?;
                Some(())
            }
            "precpu_stats" => {
                seen.first(6)?;
                s.precpu_stats = p.or_null(Self::cpu_stats)?;
                Some(())
            }
            "memory_stats" => {
                seen.first(7)?;
                s.memory_stats = p.or_null(Self::memory_stats)?;
                Some(())
            }
            "networks" => {
                seen.first(8)?;
                s.networks = p.or_null(Self::networks)?;
                Some(())
            }
            "pids_stats" => {
                seen.first(9)?;
                s.pids_stats = p.or_null(|p| {
                    let mut o = PidsStats::default();
                    let mut seen = Seen::default();
                    p.object(|p, key| {
                        let (bit, slot) = match key {
                            "current" => (0, &mut o.current),
                            "limit" => (1, &mut o.limit),
                            _ => return p.skip(),
                        };
                        seen.first(bit)?;
                        *slot = p.counter()?;
                        Some(())
                    })?;
                    Some(o)
                })?;
                Some(())
            }
            "blkio_stats" => {
                seen.first(10)?;
                s.blkio_stats = p.or_null(Self::blkio_stats)?;
                Some(())
            }
            "num_procs" => {
                seen.first(11)?;
                s.num_procs = p.count32()?;
                Some(())
            }
            "storage_stats" => {
                seen.first(12)?;
                s.storage_stats = p.or_null(|p| {
                    let mut o = StorageStats::default();
                    let mut seen = Seen::default();
                    p.object(|p, key| {
                        let (bit, slot) = match key {
                            "read_count_normalized" => (0, &mut o.read_count_normalized),
                            "read_size_bytes" => (1, &mut o.read_size_bytes),
                            "write_count_normalized" => (2, &mut o.write_count_normalized),
                            "write_size_bytes" => (3, &mut o.write_size_bytes),
                            _ => return p.skip(),
                        };
                        seen.first(bit)?;
                        *slot = p.counter()?;
                        Some(())
                    })?;
                    Some(o)
                })?;
                Some(())
            }
            _ => p.skip(),
        })?;
        // No stats field at all (`{}`, `{"foo":1}`): not a stats object; the serde model says so.
        (seen.0 != 0).then_some(s)
    }

    fn cpu_stats(&mut self) -> Option<CpuStats> {
        let mut c = CpuStats::default();
        let mut seen = Seen::default();
        self.object(|p, key| match key {
            "cpu_usage" => {
                seen.first(0)?;
                c.cpu_usage = p.or_null(Self::cpu_usage)?;
                Some(())
            }
            "system_cpu_usage" => {
                seen.first(1)?;
                c.system_cpu_usage = p.counter()?;
                Some(())
            }
            "online_cpus" => {
                seen.first(2)?;
                c.online_cpus = p.count32()?;
                Some(())
            }
            "throttling_data" => {
                seen.first(3)?;
                c.throttling_data = p.or_null(|p| {
                    let mut t = ThrottlingData::default();
                    let mut seen = Seen::default();
                    p.object(|p, key| {
                        let (bit, slot) = match key {
                            "periods" => (0, &mut t.periods),
                            "throttled_periods" => (1, &mut t.throttled_periods),
                            "throttled_time" => (2, &mut t.throttled_time),
                            _ => return p.skip(),
                        };
                        seen.first(bit)?;
                        *slot = p.counter()?;
                        Some(())
                    })?;
                    Some(t)
                })?;
                Some(())
            }
            _ => p.skip(),
        })?;
        Some(c)
    }

    fn cpu_usage(&mut self) -> Option<CpuUsage> {
        let mut u = CpuUsage::default();
        let mut seen = Seen::default();
        self.object(|p, key| {
            if key == "percpu_usage" {
                seen.first(3)?;
                let mut len = 0u32;
                if !p.null() {
                    p.array(|p| {
                        p.num()?;
                        len = len.saturating_add(1);
                        Some(())
                    })?;
                }
                u.percpu_usage_len = len;
                return Some(());
            }
            let (bit, slot) = match key {
                "total_usage" => (0, &mut u.total_usage),
                "usage_in_kernelmode" => (1, &mut u.usage_in_kernelmode),
                "usage_in_usermode" => (2, &mut u.usage_in_usermode),
                _ => return p.skip(),
            };
            seen.first(bit)?;
            *slot = p.counter()?;
            Some(())
        })?;
        Some(u)
    }

    fn memory_stats(&mut self) -> Option<MemoryStats> {
        let mut m = MemoryStats::default();
        let mut seen = Seen::default();
        self.object(|p, key| {
            if key == "stats" {
                seen.first(7)?;
                let mut out = MemoryStat::default();
                if !p.null() {
                    p.object(|p, key| {
                        let value = p.num()?;
                        match key {
                            "inactive_file" => out.inactive_file = Some(value),
                            "total_inactive_file" => out.total_inactive_file = Some(value),
                            _ => {}
                        }
                        Some(())
                    })?;
                }
                m.stats = out;
                return Some(());
            }
            let (bit, slot) = match key {
                "usage" => (0, &mut m.usage),
                "max_usage" => (1, &mut m.max_usage),
                "failcnt" => (2, &mut m.failcnt),
                "limit" => (3, &mut m.limit),
                "commitbytes" => (4, &mut m.commitbytes),
                "commitpeakbytes" => (5, &mut m.commitpeakbytes),
                "privateworkingset" => (6, &mut m.privateworkingset),
                _ => return p.skip(),
            };
            seen.first(bit)?;
            *slot = p.counter()?;
            Some(())
        })?;
        Some(m)
    }

    fn networks(&mut self) -> Option<NetworkTotals> {
        let mut first: Option<(Cow<'a, str>, u64, u64)> = None;
        let mut more = Vec::new();
        self.object(|p, name| {
            let (mut rx, mut tx) = (0, 0);
            let mut seen = Seen::default();
            p.object(|p, key| {
                let bit = match key {
                    "rx_bytes" => 0,
                    "rx_packets" => 1,
                    "rx_errors" => 2,
                    "rx_dropped" => 3,
                    "tx_bytes" => 4,
                    "tx_packets" => 5,
                    "tx_errors" => 6,
                    "tx_dropped" => 7,
                    _ => return p.skip(),
                };
                seen.first(bit)?;
                let v = p.counter()?;
                match bit {
                    0 => rx = v,
                    4 => tx = v,
                    _ => {}
                }
                Some(())
            })?;
            let entry = (Cow::Borrowed(name), rx, tx);
            if first.is_none() {
                first = Some(entry);
            } else {
                more.push(entry);
            }
            Some(())
        })?;
        Some(NetworkTotals::sum(first, more))
    }

    fn blkio_stats(&mut self) -> Option<BlkioStats> {
        let mut out = BlkioStats::default();
        let mut seen = Seen::default();
        self.object(|p, key| {
            let bit = match key {
                "io_service_bytes_recursive" => 0,
                "io_serviced_recursive" => 1,
                "io_queue_recursive" => 2,
                "io_service_time_recursive" => 3,
                "io_wait_time_recursive" => 4,
                "io_merged_recursive" => 5,
                "io_time_recursive" => 6,
                "sectors_recursive" => 7,
                _ => return p.skip(),
            };
            seen.first(bit)?;
            let (mut read, mut write) = (0u64, 0u64);
            if !p.null() {
                p.array(|p| {
                    let (op, value) = p.blkio_entry()?;
                    match op {
                        BlkioOp::Read => read = read.wrapping_add(value),
                        BlkioOp::Write => write = write.wrapping_add(value),
                        BlkioOp::Other => {}
                    }
                    Some(())
                })?;
            }
            if bit == 0 {
                out.service_read_bytes = read;
                out.service_write_bytes = write;
            }
            Some(())
        })?;
        Some(out)
    }

    fn blkio_entry(&mut self) -> Option<(BlkioOp, u64)> {
        let (mut op, mut value) = (BlkioOp::Other, 0);
        let mut seen = Seen::default();
        self.object(|p, key| match key {
            "major" | "minor" => {
                seen.first(u32::from(key == "minor"))?;
                p.counter().map(drop)
            }
            "op" => {
                seen.first(2)?;
                if !p.null() {
                    op = match p.str()?.as_bytes().first() {
                        Some(b'r' | b'R') => BlkioOp::Read,
                        Some(b'w' | b'W') => BlkioOp::Write,
                        _ => BlkioOp::Other,
                    };
                }
                Some(())
            }
            "value" => {
                seen.first(3)?;
                value = p.counter()?;
                Some(())
            }
            _ => p.skip(),
        })?;
        Some((op, value))
    }
}

/// How many bytes of `b` come before the first `"`, `\\` or control character (all of `b` if
/// none): eight bytes at a time, as `u64` words (native in WebAssembly too).
#[inline(never)]
pub(super) fn plain_len(b: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut at = 0;
    for chunk in b.chunks_exact(8) {
        let mut word = [0; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word);
        // A byte of `x` is flagged if it is `"` or `\\` (zero after the xor) or below 0x20.
        let quote = x ^ (ONES * u64::from(b'"'));
        let slash = x ^ (ONES * u64::from(b'\\'));
        let flagged = (quote.wrapping_sub(ONES) & !quote)
            | (slash.wrapping_sub(ONES) & !slash)
            | (x.wrapping_sub(ONES * 0x20) & !x);
        let flagged = flagged & HIGH;
        if flagged != 0 {
            return at + (flagged.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    at + b[at..]
        .iter()
        .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
        .unwrap_or(b.len() - at)
}

/// One object, the whole (trimmed) text.
pub(super) fn object(text: &str) -> Option<Stats> {
    let mut p = Scan::new(text);
    let s = p.stats()?;
    p.at_end().then_some(s)
}

/// An array of objects, the whole (trimmed) text.
pub(super) fn array(text: &str) -> Option<Vec<Stats>> {
    let mut p = Scan::new(text);
    let mut out = Vec::new();
    p.array(|p| {
        out.push(p.stats()?);
        Some(())
    })?;
    p.at_end().then_some(out)
}
