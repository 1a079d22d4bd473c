//! Reading VPC Flow Logs: files and folders on disk (plain or gzip, in the
//! S3 delivery layout or not) and objects fetched from S3 by `collect::s3`.
//!
//! Each object is read whole, hashed (its SHA-256 goes into `usage.json`),
//! decompressed as a stream and parsed line by line into [`FlowRecord`]s,
//! which go to the reading thread's [`FlowSink`]. Nothing is kept per record.
//! Objects are spread over every core through a shared queue.
//!
//! A bad object (an unreadable gzip member, a line that does not fit its
//! format, Parquet) is a gap, not a failed run: its error is recorded in its
//! [`LogObject`] with the line and field, the records before it count, and
//! the others are read.

pub mod format;

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::model::usage::{DeliveryPath, FlowSink, LogObject};
use format::Format;

/// One object to read.
pub struct Object {
    /// A path, or `s3://bucket/key`.
    pub location: String,
    pub etag: Option<String>,
    pub data: Data,
}

pub enum Data {
    /// Read by the worker that takes it.
    Path(PathBuf),
    /// Already fetched (from S3), or why it could not be.
    Bytes(Result<Vec<u8>, String>),
}

/// Why a source cannot be read at all (as opposed to one bad object in it).
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}: no flow-log files found (looked for *.log, *.log.gz, *.gz and *.txt)")]
    Empty(PathBuf),
}

/// Every file under the given paths, sorted: a file is taken as it is named;
/// a folder is walked for `*.log`, `*.log.gz`, `*.gz`, `*.txt` (and
/// `*.parquet`, to say it cannot be read). Files whose delivery folder
/// (`…/vpcflowlogs/<region>/YYYY/MM/DD/`, or Hive-style `year=…/month=…/day=…`)
/// lies wholly outside `window` are left out.
pub fn local_objects(paths: &[PathBuf], window: Option<(i64, i64)>) -> Result<Vec<Object>, SourceError> {
    let mut files = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|source| SourceError::Io {
            path: p.clone(),
            source,
        })?;
        if meta.is_dir() {
            let before = files.len();
            walk(p, &mut files)?;
            if files.len() == before {
                return Err(SourceError::Empty(p.clone()));
            }
        } else {
            files.push(p.clone());
        }
    }
    files.sort();
    files.dedup();
    Ok(files
        .into_iter()
        .filter(|f| window.is_none_or(|w| in_window(&f.to_string_lossy(), w)))
        .map(|f| Object {
            location: f.display().to_string(),
            etag: None,
            data: Data::Path(f),
        })
        .collect())
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), SourceError> {
    let io = |source| SourceError::Io {
        path: dir.to_path_buf(),
        source,
    };
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        if entry.file_type().map_err(io)?.is_dir() {
            walk(&path, out)?;
        } else if is_log_name(&name) {
            out.push(path);
        }
    }
    Ok(())
}

/// Whether a file or object name looks like flow-log data.
pub fn is_log_name(name: &str) -> bool {
    [".log", ".log.gz", ".gz", ".txt", ".parquet"]
        .iter()
        .any(|ext| name.ends_with(ext))
}

/// Whether an object of the delivery layout may hold records of `window`
/// (unix seconds, `[since, until)`); `true` when its path names no day.
pub fn in_window(path: &str, (since, until): (i64, i64)) -> bool {
    let Some(day) = DeliveryPath::of(path).day else {
        return true;
    };
    // A day's folder holds records that started on that day (UTC); allow one
    // hour of slack for the aggregation window at midnight.
    let start = day.midnight().assume_utc().unix_timestamp();
    start - 3600 < until && start + 86_400 + 3600 > since
}

/// Read every object on every core: `sinks` has one sink per thread.
/// Returns the sinks (to merge) and what each object was.
pub fn read_all<S: FlowSink>(objects: impl Iterator<Item = Object> + Send, sinks: Vec<S>) -> (Vec<S>, Vec<LogObject>) {
    let queue = Mutex::new(objects);
    let done = Mutex::new(Vec::new());
    let sinks = std::thread::scope(|scope| {
        let handles: Vec<_> = sinks
            .into_iter()
            .map(|mut sink| {
                let (queue, done) = (&queue, &done);
                scope.spawn(move || {
                    loop {
                        let next = queue.lock().expect("no reader panicked").next();
                        let Some(object) = next else { break };
                        let read = read_object(object, &mut sink);
                        if let Some(e) = &read.error {
                            tracing::warn!(object = %read.location, error = %e, "flow-log object not (fully) read");
                        }
                        done.lock().expect("no reader panicked").push(read);
                    }
                    sink
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a flow-log reader panicked"))
            .collect()
    });
    // In the order they were read; `analyze::flows::finish` sorts them.
    (sinks, done.into_inner().expect("no reader panicked"))
}

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const PARQUET_MAGIC: &[u8; 4] = b"PAR1";

/// Read one object into `sink`.
pub fn read_object(object: Object, sink: &mut dyn FlowSink) -> LogObject {
    let mut out = LogObject {
        location: object.location,
        size: 0,
        sha256: String::new(),
        etag: object.etag,
        records: 0,
        error: None,
    };
    let bytes = match object.data {
        Data::Path(p) => std::fs::read(&p).map_err(|e| format!("cannot read: {e}")),
        Data::Bytes(b) => b,
    };
    let bytes = match bytes {
        Ok(b) => b,
        Err(e) => {
            out.error = Some(e);
            return out;
        }
    };
    out.size = bytes.len() as u64;
    out.sha256 = crate::digest::sha256_tag(&bytes);
    if bytes.starts_with(PARQUET_MAGIC) || out.location.ends_with(".parquet") {
        out.error = Some(
            "Parquet is not supported: sgaudit reads flow logs in text format; set the flow log's \
             file format to plain-text (the default) for the records sgaudit is to read"
                .into(),
        );
        return out;
    }
    let reader: Box<dyn Read + '_> = if bytes.starts_with(&GZIP_MAGIC) {
        Box::new(flate2::read::MultiGzDecoder::new(bytes.as_slice()))
    } else {
        Box::new(bytes.as_slice())
    };
    let gz = bytes.starts_with(&GZIP_MAGIC);
    if let Err(e) = parse_lines(BufReader::with_capacity(256 * 1024, reader), sink, &mut out.records) {
        out.error = Some(match e {
            ParseError::Io { line, error } if gz => {
                format!("line {line}: not a readable gzip stream past this point: {error}")
            }
            ParseError::Io { line, error } => format!("line {line}: cannot read: {error}"),
            ParseError::Header(e) => format!("line 1 (the header): {e}"),
            ParseError::Line { line, error } => format!("line {line}: {error}"),
            ParseError::NotText { line } => format!("line {line}: not text (is this a flow-log file?)"),
            ParseError::TooLong { line } => {
                format!("line {line}: longer than {MAX_LINE} bytes (is this a flow-log file?)")
            }
        });
    }
    out
}

/// The longest line read (flow-log records are about 100 to 500 bytes).
const MAX_LINE: usize = 64 * 1024;

enum ParseError {
    TooLong { line: u64 },
    Io { line: u64, error: std::io::Error },
    Header(format::HeaderError),
    Line { line: u64, error: format::LineError },
    NotText { line: u64 },
}

fn parse_lines(mut r: impl BufRead, sink: &mut dyn FlowSink, records: &mut u64) -> Result<(), ParseError> {
    let mut buf = Vec::with_capacity(512);
    let mut format: Option<(Format, bool)> = None;
    let mut line_no = 0u64;
    loop {
        buf.clear();
        // A line is short; one without end (a binary file, a bomb) stops here.
        match (&mut r).take(MAX_LINE as u64 + 1).read_until(b'\n', &mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) if n > MAX_LINE => return Err(ParseError::TooLong { line: line_no + 1 }),
            Ok(_) => {}
            Err(error) => {
                return Err(ParseError::Io {
                    line: line_no + 1,
                    error,
                })
            }
        }
        line_no += 1;
        while matches!(buf.last(), Some(b'\n' | b'\r')) {
            buf.pop();
        }
        let Ok(line) = std::str::from_utf8(&buf) else {
            return Err(ParseError::NotText { line: line_no });
        };
        if line.trim().is_empty() {
            continue;
        }
        let (f, headerless) = match &format {
            Some(f) => (&f.0, f.1),
            None => {
                if Format::is_header(line) {
                    format = Some((Format::from_header(line).map_err(ParseError::Header)?, false));
                    continue;
                }
                format = Some((Format::default_v2(), true));
                let f = format.as_ref().expect("just set");
                (&f.0, f.1)
            }
        };
        let record = f
            .parse(line, headerless)
            .map_err(|error| ParseError::Line { line: line_no, error })?;
        sink.add(&record);
        *records += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::usage::FlowRecord;

    #[derive(Default)]
    struct Count(u64, Vec<u16>);
    impl FlowSink for Count {
        fn add(&mut self, r: &FlowRecord<'_>) {
            self.0 += 1;
            self.1.extend(r.dstport);
        }
    }

    const HEADER: &str = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n";
    const LINE: &str =
        "2 111111111111 eni-web 198.51.100.7 10.0.1.10 51234 22 6 10 840 1793491200 1793491260 ACCEPT OK\n";

    fn gz(text: &str) -> Vec<u8> {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(text.as_bytes()).unwrap();
        e.finish().unwrap()
    }

    fn read(location: &str, bytes: Vec<u8>) -> (LogObject, Count) {
        let mut sink = Count::default();
        let o = read_object(
            Object {
                location: location.into(),
                etag: None,
                data: Data::Bytes(Ok(bytes)),
            },
            &mut sink,
        );
        (o, sink)
    }

    #[test]
    fn a_delivered_gzip_file_with_its_header_reads_and_is_hashed() {
        let data = gz(&format!("{HEADER}{LINE}{LINE}"));
        let (o, sink) = read("a.log.gz", data.clone());
        assert_eq!((o.records, sink.0, o.error), (2, 2, None));
        assert_eq!(o.size, data.len() as u64);
        assert_eq!(o.sha256, crate::digest::sha256_tag(&data));
    }

    #[test]
    fn several_gzip_members_are_one_stream() {
        let mut data = gz(&format!("{HEADER}{LINE}"));
        data.extend(gz(LINE));
        assert_eq!(read("a.log.gz", data).0.records, 2);
    }

    #[test]
    fn a_file_without_header_is_the_default_format() {
        let (o, _) = read("export.txt", LINE.repeat(3).into_bytes());
        assert_eq!((o.records, o.error), (3, None));
    }

    #[test]
    fn bad_input_names_the_line_and_field_and_keeps_what_came_before() {
        let text = format!("{HEADER}{LINE}2 111111111111 eni-web 198.51.100.7\n{LINE}");
        let (o, sink) = read("x.log", text.into_bytes());
        assert_eq!(sink.0, 1);
        assert_eq!(o.error.as_deref(), Some("line 3: 4 fields, but the format has 14"));
        let (o, _) = read("y.log", "version interface-id bogus\n".into());
        assert_eq!(
            o.error.as_deref(),
            Some("line 1 (the header): column 3: `bogus` is not a flow-log field (the fields are listed at https://docs.aws.amazon.com/vpc/latest/userguide/flow-log-records.html)")
        );
    }

    #[test]
    fn a_corrupt_gzip_member_is_an_error_of_that_object() {
        let mut data = gz(&format!("{HEADER}{}", LINE.repeat(2000)));
        let n = data.len();
        for b in &mut data[n / 2..n / 2 + 64] {
            *b ^= 0x5a;
        }
        let (o, _) = read("bad.log.gz", data);
        let e = o.error.expect("an error");
        assert!(e.contains("not a readable gzip stream"), "{e}");
    }

    #[test]
    fn a_line_without_end_and_impossible_times_are_refused() {
        let (o, _) = read("bin.log", vec![b'x'; 200_000]);
        assert_eq!(
            o.error.as_deref(),
            Some("line 1: longer than 65536 bytes (is this a flow-log file?)")
        );
        let text = LINE.replace("1793491200 1793491260", "9223372036854775807 9223372036854775807");
        let (o, _) = read("t.log", text.into_bytes());
        assert!(o.error.unwrap().contains("are not a time span"));
        let text = LINE.replace("1793491200 1793491260", "1793491260 1793491200");
        assert!(read("u.log", text.into_bytes()).0.error.is_some(), "end before start");
    }

    #[test]
    fn parquet_is_refused_with_what_to_do() {
        let (o, _) = read("a.parquet", b"PAR1\x00\x00".to_vec());
        assert!(o
            .error
            .unwrap()
            .contains("set the flow log's file format to plain-text"));
    }

    #[test]
    fn delivery_folders_outside_the_window_are_skipped() {
        let p = "AWSLogs/111111111111/vpcflowlogs/eu-west-1/2026/11/29/x.log.gz";
        let day = time::macros::datetime!(2026-11-29 00:00 UTC).unix_timestamp();
        assert!(in_window(p, (day, day + 86_400)));
        assert!(!in_window(p, (day + 3 * 86_400, day + 4 * 86_400)));
        assert!(in_window("hive/year=2026/month=11/day=29/x.log.gz", (day, day + 1)));
        assert!(in_window("flat/x.log", (0, 1)), "no day in the path: read it");
    }
}
