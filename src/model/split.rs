//! A snapshot document read as a stream and split into its accounts, so that
//! reading holds a window of the file rather than all of it.
//!
//! The scan knows only JSON's syntax: strings (with their escapes), nesting,
//! and the top-level object's keys. Every value of the top-level object but
//! `accounts` is kept as raw JSON (the envelope: a few kilobytes); each
//! element of `accounts` is handed over as raw JSON in batches of about
//! [`BATCH`] bytes, which the caller parses (on every core) before the next
//! batch is read. The scan checks structure only as far as it needs to find
//! the boundaries; serde then parses every byte of every value, so a
//! malformed document is still refused, and the caller explains where.

use std::io::{self, Read};

/// How many bytes of accounts are parsed at a time.
pub const BATCH: usize = 32 << 20;

/// How many bytes are read from the source at a time.
const READ: usize = 4 << 20;

/// Why the scan stopped.
pub enum Stop {
    /// Reading the source failed.
    Io(io::Error),
    /// The document is not the shape of a snapshot (not an object, a
    /// truncated value, an unterminated string): the caller parses it again
    /// to explain where.
    Malformed,
}

impl From<io::Error> for Stop {
    fn from(e: io::Error) -> Self {
        Stop::Io(e)
    }
}

/// The document's top-level keys other than `accounts`, with their raw JSON
/// values, rebuilt as an object whose `accounts` is empty.
pub struct Envelope(pub String);

/// Read a snapshot document from `source`, calling `batch` with each run of
/// accounts (the raw JSON of each, in document order); returns the envelope.
pub fn split(source: impl Read, mut batch: impl FnMut(&[&[u8]]) -> Result<(), Stop>) -> Result<Envelope, Stop> {
    let mut s = Scanner {
        source,
        buf: Vec::with_capacity(READ * 2),
        pos: 0,
        eof: false,
    };
    let mut envelope = String::from("{");
    s.expect(b'{')?;
    let mut first = true;
    let mut seen_accounts = false;
    loop {
        match s.peek_token()? {
            b'}' if first => {
                s.pos += 1;
                break;
            }
            b'"' => {}
            _ => return Err(Stop::Malformed),
        }
        first = false;
        let key_start = s.pos;
        let key_end = s.string_end(key_start)?;
        let key: String = serde_json::from_slice(&s.buf[key_start..key_end]).map_err(|_| Stop::Malformed)?;
        s.pos = key_end;
        s.expect(b':')?;
        if key == "accounts" {
            // Twice would be a duplicate field; serde says so.
            if seen_accounts {
                return Err(Stop::Malformed);
            }
            seen_accounts = true;
            s.accounts(&mut batch)?;
        } else {
            s.peek_token()?;
            let start = s.pos;
            let end = s.value_end(start)?;
            envelope.push_str(&String::from_utf8_lossy(&s.buf[key_start..key_end]));
            envelope.push(':');
            envelope.push_str(std::str::from_utf8(&s.buf[start..end]).map_err(|_| Stop::Malformed)?);
            envelope.push(',');
            s.pos = end;
        }
        match s.peek_token()? {
            b',' => s.pos += 1,
            b'}' => {
                s.pos += 1;
                break;
            }
            _ => return Err(Stop::Malformed),
        }
    }
    // Nothing but white space may follow the document, and a snapshot has
    // accounts (serde names what is missing).
    if s.peek_token_or_end()?.is_some() || !seen_accounts {
        return Err(Stop::Malformed);
    }
    envelope.push_str("\"accounts\":[]}");
    Ok(Envelope(envelope))
}

struct Scanner<R> {
    source: R,
    /// Bytes read and not yet dropped; `pos` indexes into it.
    buf: Vec<u8>,
    pos: usize,
    eof: bool,
}

impl<R: Read> Scanner<R> {
    /// Read more of the source onto the end of the buffer; false at its end.
    fn fill(&mut self) -> io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        let len = self.buf.len();
        self.buf.resize(len + READ, 0);
        let n = loop {
            match self.source.read(&mut self.buf[len..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.buf.truncate(len);
                    return Err(e);
                }
            }
        };
        self.buf.truncate(len + n);
        if n == 0 {
            self.eof = true;
        }
        Ok(n > 0)
    }

    /// Forget what was read before `pos`.
    fn drop_consumed(&mut self) {
        self.buf.drain(..self.pos);
        self.pos = 0;
    }

    /// The next byte that is not white space (at `pos`, after skipping), or
    /// `None` at the end of the source.
    fn peek_token_or_end(&mut self) -> Result<Option<u8>, Stop> {
        loop {
            while let Some(&b) = self.buf.get(self.pos) {
                if !matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
                    return Ok(Some(b));
                }
                self.pos += 1;
            }
            if !self.fill()? {
                return Ok(None);
            }
        }
    }

    fn peek_token(&mut self) -> Result<u8, Stop> {
        self.peek_token_or_end()?.ok_or(Stop::Malformed)
    }

    fn expect(&mut self, byte: u8) -> Result<(), Stop> {
        if self.peek_token()? != byte {
            return Err(Stop::Malformed);
        }
        self.pos += 1;
        Ok(())
    }

    /// The end (one past the closing quote) of the string that opens at `start`.
    fn string_end(&mut self, start: usize) -> Result<usize, Stop> {
        let mut i = start + 1;
        loop {
            match memchr::memchr2(b'"', b'\\', &self.buf[i.min(self.buf.len())..]) {
                Some(k) if self.buf[i + k] == b'"' => return Ok(i + k + 1),
                Some(k) => {
                    // An escape: skip the backslash and the byte it escapes
                    // (the rest of a \u escape is plain hex).
                    i += k + 2;
                    if i > self.buf.len() && !self.fill()? {
                        return Err(Stop::Malformed);
                    }
                }
                None => {
                    i = self.buf.len();
                    if !self.fill()? {
                        return Err(Stop::Malformed);
                    }
                }
            }
        }
    }

    /// The end of the value that starts at `start` (a non-white-space byte).
    fn value_end(&mut self, start: usize) -> Result<usize, Stop> {
        let mut depth = 0usize;
        let mut i = start;
        loop {
            let Some(&b) = self.buf.get(i) else {
                if !self.fill()? {
                    // A number or literal may end the source; anything
                    // nested may not.
                    return if depth == 0 && i > start {
                        Ok(i)
                    } else {
                        Err(Stop::Malformed)
                    };
                }
                continue;
            };
            match b {
                b'"' => {
                    i = self.string_end(i)?;
                    if depth == 0 {
                        return Ok(i);
                    }
                    continue;
                }
                b'{' | b'[' => depth += 1,
                b'}' | b']' => {
                    if depth == 0 {
                        // The end of the enclosing container: a number
                        // or literal ended just before.
                        return if i > start { Ok(i) } else { Err(Stop::Malformed) };
                    }
                    depth -= 1;
                    if depth == 0 {
                        return Ok(i + 1);
                    }
                }
                b',' | b' ' | b'\n' | b'\r' | b'\t' if depth == 0 => {
                    return if i > start { Ok(i) } else { Err(Stop::Malformed) };
                }
                _ => {}
            }
            i += 1;
        }
    }

    /// The `accounts` array: each element's raw JSON, handed over in batches.
    fn accounts(&mut self, batch: &mut impl FnMut(&[&[u8]]) -> Result<(), Stop>) -> Result<(), Stop> {
        self.expect(b'[')?;
        // Each pending account as a range of the buffer.
        let mut pending: Vec<(usize, usize)> = Vec::new();
        let mut flush = |s: &mut Self, pending: &mut Vec<(usize, usize)>| -> Result<(), Stop> {
            let raws: Vec<&[u8]> = pending.iter().map(|&(a, b)| &s.buf[a..b]).collect();
            if !raws.is_empty() {
                batch(&raws)?;
            }
            pending.clear();
            s.drop_consumed();
            Ok(())
        };
        if self.peek_token()? == b']' {
            self.pos += 1;
            return Ok(());
        }
        loop {
            self.peek_token()?;
            let start = self.pos;
            let end = self.value_end(start)?;
            pending.push((start, end));
            self.pos = end;
            let last = match self.peek_token()? {
                b',' => false,
                b']' => true,
                _ => return Err(Stop::Malformed),
            };
            self.pos += 1;
            if last || end - pending[0].0 >= BATCH {
                flush(self, &mut pending)?;
            }
            if last {
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Split `doc` read `chunk` bytes at a time; the envelope and the accounts.
    fn split_all(doc: &str, chunk: usize) -> Result<(String, Vec<String>), ()> {
        struct Trickle<'a>(&'a [u8], usize);
        impl Read for Trickle<'_> {
            fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
                let n = self.1.min(self.0.len()).min(out.len());
                out[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut accounts = Vec::new();
        let envelope = split(Trickle(doc.as_bytes(), chunk), |raws| {
            accounts.extend(raws.iter().map(|r| String::from_utf8(r.to_vec()).unwrap()));
            Ok(())
        })
        .map_err(|_| ())?;
        Ok((envelope.0, accounts))
    }

    #[test]
    fn accounts_come_out_whole_whatever_the_reads_and_keys_may_follow_them() {
        let doc = r#" { "schema_version" : 2, "accounts": [ {"a": "x\"]}", "n": [1, {"b": []}]} ,{"c":-1.5e3}],
            "tool": {"name": "s\\"}, "z": null } "#;
        for chunk in [1, 2, 3, 7, 64, 1 << 20] {
            let (envelope, accounts) = split_all(doc, chunk).unwrap();
            assert_eq!(
                accounts,
                [r#"{"a": "x\"]}", "n": [1, {"b": []}]}"#, r#"{"c":-1.5e3}"#],
                "reads of {chunk}"
            );
            let envelope: serde_json::Value = serde_json::from_str(&envelope).unwrap();
            assert_eq!(
                envelope,
                serde_json::json!({"schema_version": 2, "tool": {"name": "s\\"}, "z": null, "accounts": []})
            );
        }
    }

    #[test]
    fn an_empty_list_of_accounts_is_a_document_and_none_at_all_is_not() {
        assert_eq!(
            split_all(r#"{"accounts": []}"#, 3).unwrap(),
            (r#"{"accounts":[]}"#.into(), vec![])
        );
        assert!(split_all("{}", 1).is_err());
        assert!(split_all(r#"{"accounts": [], "accounts": []}"#, 1).is_err());
    }

    #[test]
    fn a_truncated_or_malformed_document_stops_the_scan() {
        for doc in [
            r#"{"accounts": [{"a": 1}"#,
            r#"{"accounts": [{"a": "unterminated}]}"#,
            r#"{"accounts": [{"a": 1}] "#,
            r#"[{"accounts": []}]"#,
            r#"{"accounts": [] } trailing"#,
            r#"{"accounts" [] }"#,
            "",
        ] {
            assert!(split_all(doc, 2).is_err(), "{doc}");
        }
    }
}
