//! Lines of outside input (a Docker Engine's streams, a recording), bounded in length and read in
//! time linear in their size: tokio-util's [`LinesCodec`] with a maximum length, which remembers
//! where it stopped looking for a newline and, past the maximum, discards up to the next one.
//!
//! A line over the maximum is not an error that ends the input: it is reported once
//! ([`Line::TooLong`]) and skipped, and the line after it is read as usual. So is a line that is not
//! UTF-8 ([`Line::NotUtf8`]). Memory stays under the maximum plus one read.

use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio_util::codec::{Decoder, LinesCodec, LinesCodecError};

/// What [`BoundedLines::next`] read.
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    /// One line, without its `\n` (or `\r\n`); never blank.
    Text(String),
    /// A line over the maximum: skipped.
    TooLong,
    /// A line that is not UTF-8: skipped.
    NotUtf8,
}

/// Reads at most this much at a time: a stream's buffer starts no larger (a thousand idle stats
/// streams hold little), and grows only for a long line.
const READ_BYTES: usize = 8 << 10;

/// The lines of `reader`, each at most `max_bytes` long (see the module docs).
#[derive(Debug)]
pub struct BoundedLines<R> {
    reader: R,
    codec: LinesCodec,
    buffer: BytesMut,
    eof: bool,
    max_bytes: usize,
}

impl<R: AsyncRead + Unpin> BoundedLines<R> {
    pub fn new(reader: R, max_bytes: usize) -> BoundedLines<R> {
        BoundedLines {
            reader,
            codec: LinesCodec::new_with_max_length(max_bytes),
            buffer: BytesMut::new(),
            eof: false,
            max_bytes,
        }
    }

    /// The longest line read.
    pub fn max_bytes(&self) -> usize {
        self.max_bytes
    }

    /// The next non-blank line, a line skipped, or `None` at the end. Cancel-safe: a `select!`
    /// may drop it and call it again without losing input.
    pub async fn next(&mut self) -> std::io::Result<Option<Line>> {
        loop {
            let decoded = if self.eof {
                self.codec.decode_eof(&mut self.buffer)
            } else {
                self.codec.decode(&mut self.buffer)
            };
            match decoded {
                Ok(Some(line)) if line.trim().is_empty() => continue,
                Ok(Some(line)) => {
                    self.shrink();
                    return Ok(Some(Line::Text(line)));
                }
                Ok(None) if self.eof => return Ok(None),
                Ok(None) => {}
                Err(LinesCodecError::MaxLineLengthExceeded) => {
                    self.shrink();
                    return Ok(Some(Line::TooLong));
                }
                Err(LinesCodecError::Io(_)) => return Ok(Some(Line::NotUtf8)),
            }
            self.buffer.reserve(READ_BYTES);
            if (&mut self.reader)
                .take(READ_BYTES as u64)
                .read_buf(&mut self.buffer)
                .await?
                == 0
            {
                self.eof = true;
            }
        }
    }
}

impl<R> BoundedLines<R> {
    /// Gives back what a long line made the buffer grow to, once nothing is left in it.
    fn shrink(&mut self) {
        if self.buffer.is_empty() && self.buffer.capacity() > 4 * READ_BYTES {
            self.buffer = BytesMut::new();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn all(input: &[u8], max: usize) -> Vec<Line> {
        let mut lines = BoundedLines::new(input, max);
        let mut out = Vec::new();
        while let Some(line) = lines.next().await.expect("reads") {
            out.push(line);
        }
        out
    }

    fn text(s: &str) -> Line {
        Line::Text(s.to_string())
    }

    #[tokio::test]
    async fn lines_blank_lines_and_a_last_line_without_newline() {
        assert_eq!(
            all(b"{\"a\":1}\r\n\n  \n{\"b\":2}\n{\"c\":3}", 100).await,
            [text("{\"a\":1}"), text("{\"b\":2}"), text("{\"c\":3}")]
        );
        assert_eq!(all(b"", 100).await, []);
    }

    #[tokio::test]
    async fn a_long_line_is_reported_once_and_the_next_one_read() {
        let mut input = b"short\n".to_vec();
        input.extend(std::iter::repeat_n(b'x', 10_000));
        input.extend(b"\nafter\n");
        input.extend(std::iter::repeat_n(b'y', 11));
        assert_eq!(
            all(&input, 10).await,
            [text("short"), Line::TooLong, text("after"), Line::TooLong]
        );
        assert_eq!(all(b"0123456789\n", 10).await, [text("0123456789")]);
    }

    #[tokio::test]
    async fn a_line_that_is_not_utf8_is_skipped() {
        assert_eq!(
            all(b"ok\n\xff\xfe\nok again\n", 100).await,
            [text("ok"), Line::NotUtf8, text("ok again")]
        );
    }

    #[tokio::test]
    async fn a_huge_line_in_small_pieces_costs_linear_time_and_bounded_memory() {
        // 50 MB without a newline, in 256-byte pieces, then a good line.
        let (mut tx, rx) = tokio::io::duplex(1 << 16);
        let writer = tokio::spawn(async move {
            use tokio::io::AsyncWriteExt;
            let piece = [b'x'; 256];
            for _ in 0..(50_000_000 / 256) {
                tx.write_all(&piece).await.expect("write");
            }
            tx.write_all(b"\n{\"ok\":1}\n").await.expect("write");
        });
        let mut lines = BoundedLines::new(rx, 1 << 20);
        assert_eq!(lines.next().await.expect("reads"), Some(Line::TooLong));
        assert_eq!(lines.next().await.expect("reads"), Some(text("{\"ok\":1}")));
        // The buffer grows by doubling: at most twice the longest line plus one read.
        assert!(
            lines.buffer.capacity() <= 2 * ((1 << 20) + READ_BYTES),
            "buffer {} bytes",
            lines.buffer.capacity()
        );
        assert_eq!(lines.next().await.expect("reads"), None);
        writer.await.expect("writer");
    }
}
