//! Reading and writing snapshot files (`.json` or `.json.gz`).

use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use super::compact::Compact;
use super::snapshot::{AccountSnapshot, Snapshot, OLDEST_SCHEMA_VERSION, SCHEMA_VERSION};
use super::split;

/// Why a snapshot could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("cannot read snapshot {path}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}:{line}:{column}: {message}{}", at_field(.field))]
    Parse {
        path: PathBuf,
        line: usize,
        column: usize,
        /// Where in the document, e.g. `accounts[2].regions[0].SecurityGroups[5].IpPermissions[0].IpProtocol`.
        field: Option<String>,
        message: String,
    },
    #[error(
        "{path}: snapshot schema_version {found} is not supported by sgaudit {} (it reads versions \
         {OLDEST_SCHEMA_VERSION} to {SCHEMA_VERSION}); \
         re-collect with this version or assess with the sgaudit version that wrote it",
        env!("CARGO_PKG_VERSION")
    )]
    SchemaVersion { path: PathBuf, found: String },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

fn at_field(field: &Option<String>) -> String {
    match field {
        Some(f) if !f.is_empty() && f != "." => format!(" (at `{f}`)"),
        _ => String::new(),
    }
}

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// The whole file, decompressed if it is gzip (detected from its first bytes).
fn read_bytes(path: &Path) -> Result<Vec<u8>, SnapshotError> {
    let io = |source| SnapshotError::Io {
        path: path.to_path_buf(),
        source,
    };
    let raw = std::fs::read(path).map_err(io)?;
    if !raw.starts_with(&GZIP_MAGIC) {
        return Ok(raw);
    }
    let mut out = Vec::with_capacity(raw.len() * 6);
    flate2::read::MultiGzDecoder::new(raw.as_slice())
        .read_to_end(&mut out)
        .map_err(io)?;
    Ok(out)
}

/// Read a snapshot (gzip is detected from the content, not the name).
///
/// The document is read as a stream and split into the raw JSON of each
/// account as it goes (`split`); each batch of about 32 MB of accounts is
/// deserialized on every core while the next is read, its lists shrunk to
/// size ([`Compact`]), so reading holds the model and two batches, never the
/// whole file. Any error sends the document
/// through a plain sequential parse instead, which locates it by line,
/// column and field.
pub fn read_snapshot(path: &Path) -> Result<Snapshot, SnapshotError> {
    let io = |source| SnapshotError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(io)?;
    let mut magic = [0u8; 2];
    let mut n = 0;
    while n < magic.len() {
        match file.read(&mut magic[n..]).map_err(io)? {
            0 => break,
            k => n += k,
        }
    }
    let head = std::io::Cursor::new(magic[..n].to_vec());
    let source: Box<dyn Read> = if magic[..n] == GZIP_MAGIC {
        Box::new(flate2::read::MultiGzDecoder::new(std::io::BufReader::new(
            head.chain(file),
        )))
    } else {
        Box::new(head.chain(file))
    };
    // The scan reads and splits the next batch while another thread parses
    // the last one (on every core): the two overlap, and at most two
    // batches are held at a time.
    let (batches, to_parse) = std::sync::mpsc::sync_channel::<Batch>(1);
    let (scanned, accounts) = std::thread::scope(|scope| {
        let parser = scope.spawn(move || -> Option<Vec<AccountSnapshot>> {
            let mut accounts = Vec::new();
            let mut ok = true;
            for batch in to_parse {
                // After a failure the rest is only drained: the error is
                // explained from the whole file.
                if !ok {
                    continue;
                }
                let raws: Vec<&[u8]> = batch.ranges.iter().map(|&(a, b)| &batch.bytes[a..b]).collect();
                let parsed: Vec<Option<Vec<AccountSnapshot>>> = crate::par::map_chunks(&raws, |_, part| {
                    part.iter()
                        .map(|raw| {
                            let mut account = serde_json::from_slice::<AccountSnapshot>(raw).ok()?;
                            account.compact();
                            Some(account)
                        })
                        .collect()
                });
                for part in parsed {
                    match part {
                        Some(part) => accounts.extend(part),
                        None => ok = false,
                    }
                }
            }
            ok.then_some(accounts)
        });
        let scanned = split::split(source, |raws| {
            let mut batch = Batch {
                bytes: Vec::with_capacity(raws.iter().map(|r| r.len()).sum()),
                ranges: Vec::with_capacity(raws.len()),
            };
            for raw in raws {
                let start = batch.bytes.len();
                batch.bytes.extend_from_slice(raw);
                batch.ranges.push((start, batch.bytes.len()));
            }
            // The parser only stops early by panicking, which the join reports.
            let _ = batches.send(batch);
            Ok(())
        });
        drop(batches);
        (
            scanned,
            parser.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
        )
    });
    let (envelope, mut accounts) = match (scanned, accounts) {
        (Ok(envelope), Some(accounts)) => (envelope, accounts),
        (Err(split::Stop::Io(e)), _) => return Err(io(e)),
        // Malformed somewhere, as the scan or the parser found it.
        _ => return Err(explain_parse_error(path, &read_bytes(path)?)),
    };
    let Some(mut snapshot) = parse_envelope(&envelope.0) else {
        drop(accounts);
        return Err(explain_parse_error(path, &read_bytes(path)?));
    };
    accounts.shrink_to_fit();
    snapshot.accounts = accounts;
    validate(path, &snapshot)?;
    Ok(snapshot)
}

/// A batch of accounts on its way from the scan to the parser: their raw
/// JSON, one after another, and where each is.
struct Batch {
    bytes: Vec<u8>,
    ranges: Vec<(usize, usize)>,
}

/// Whether this build reads snapshots of schema `version`.
fn is_readable(version: u32) -> bool {
    (OLDEST_SCHEMA_VERSION..=SCHEMA_VERSION).contains(&version)
}

/// The snapshot without its accounts, if its schema version is one this
/// build reads and it parses; `None` sends the caller to explain why not.
fn parse_envelope(envelope: &str) -> Option<Snapshot> {
    #[derive(serde::Deserialize)]
    struct Version {
        schema_version: u32,
    }
    let version: Version = serde_json::from_str(envelope).ok()?;
    if !is_readable(version.schema_version) {
        return None;
    }
    serde_json::from_str(envelope).ok()
}

/// A parse failed: find out whether the document is of another schema version
/// (the most useful thing to say), else where exactly it went wrong.
fn explain_parse_error(path: &Path, bytes: &[u8]) -> SnapshotError {
    #[derive(serde::Deserialize)]
    struct VersionProbe {
        schema_version: Option<serde_json::Value>,
    }
    if let Ok(probe) = serde_json::from_slice::<VersionProbe>(bytes) {
        match probe.schema_version {
            Some(serde_json::Value::Number(n))
                if n.as_u64().and_then(|v| u32::try_from(v).ok()).is_some_and(is_readable) => {}
            Some(v) => {
                return SnapshotError::SchemaVersion {
                    path: path.to_path_buf(),
                    found: v.to_string(),
                }
            }
            None => {
                return SnapshotError::Invalid {
                    path: path.to_path_buf(),
                    message: "not an sgaudit snapshot: it has no `schema_version` field".into(),
                }
            }
        }
    }
    // Parse again, sequentially and tracking the path: slower, so only here.
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let (e, field) = match serde_path_to_error::deserialize::<_, Snapshot>(&mut de) {
        Err(pe) => {
            let field = pe.path().to_string();
            (pe.into_inner(), Some(field))
        }
        Ok(_) => match serde_json::from_slice::<Snapshot>(bytes) {
            Err(e) => (e, None),
            Ok(_) => {
                return SnapshotError::Invalid {
                    path: path.to_path_buf(),
                    message: "the snapshot could not be read in parallel but reads sequentially; please report this"
                        .into(),
                }
            }
        },
    };
    let message = {
        // serde_json appends " at line L column C"; we print those up front.
        let full = e.to_string();
        match full.rfind(" at line ") {
            Some(i) => full[..i].to_string(),
            None => full,
        }
    };
    SnapshotError::Parse {
        path: path.to_path_buf(),
        line: e.line(),
        column: e.column(),
        field,
        message,
    }
}

fn validate(path: &Path, snapshot: &Snapshot) -> Result<(), SnapshotError> {
    let mut seen = std::collections::HashMap::new();
    for (i, account) in snapshot.accounts.iter().enumerate() {
        if let Some(first) = seen.insert(account.account_id.clone(), i) {
            return Err(SnapshotError::Invalid {
                path: path.to_path_buf(),
                message: format!(
                    "account {} appears twice (accounts[{first}] and accounts[{i}])",
                    account.account_id
                ),
            });
        }
        let mut regions = std::collections::HashMap::new();
        for (j, region) in account.regions.iter().enumerate() {
            if let Some(first) = regions.insert(region.region.clone(), j) {
                return Err(SnapshotError::Invalid {
                    path: path.to_path_buf(),
                    message: format!(
                        "region {} of account {} appears twice (accounts[{i}].regions[{first}] and accounts[{i}].regions[{j}])",
                        region.region, account.account_id
                    ),
                });
            }
        }
    }
    Ok(())
}

/// Write a snapshot atomically: to a temporary file beside `path`, then
/// renamed over it. Compact JSON (one line; `jq .` pretty-prints it); a name
/// ending in `.gz` is gzip-compressed.
pub fn write_snapshot(path: &Path, snapshot: &Snapshot) -> std::io::Result<()> {
    let gz = path.extension().is_some_and(|e| e == "gz");
    crate::atomic::write_with(path, |w| {
        if gz {
            let mut enc = flate2::write::GzEncoder::new(BufWriter::new(w), flate2::Compression::fast());
            serde_json::to_writer(&mut enc, snapshot)?;
            enc.write_all(b"\n")?;
            enc.finish()?.flush()
        } else {
            let mut w = BufWriter::new(w);
            serde_json::to_writer(&mut w, snapshot)?;
            w.write_all(b"\n")?;
            w.flush()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"{"schema_version": 1, "tool": {"name": "sgaudit", "version": "0.1.0"},
        "started_at": "2026-11-01T02:00:00Z", "accounts": [{"account_id": "111111111111", "status": {"state": "ok"},
        "regions": [{"region": "eu-west-1", "status": {"state": "ok"}, "SecurityGroups": [{"GroupId": "sg-1",
        "GroupName": "a", "Description": "d", "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
        "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}], "IpPermissionsEgress": []}]}]}]}"#;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn a_minimal_snapshot_reads_and_unknown_fields_are_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let s = read_snapshot(&write(dir.path(), "a.json", MINIMAL)).unwrap();
        assert_eq!(s.accounts[0].regions[0].security_groups[0].ip_permissions.len(), 1);
        let future = MINIMAL
            .replace(
                r#""GroupName": "a","#,
                r#""GroupName": "a", "FutureField": {"x": [1, 2]},"#,
            )
            .replace(
                r#""schema_version": 1,"#,
                r#""schema_version": 1, "collector_host": "ci-7","#,
            );
        assert!(read_snapshot(&write(dir.path(), "b.json", &future)).is_ok());
    }

    #[test]
    fn gzip_is_detected_by_content() {
        let dir = tempfile::tempdir().unwrap();
        let s = read_snapshot(&write(dir.path(), "a.json", MINIMAL)).unwrap();
        let gz = dir.path().join("copy.json.gz");
        write_snapshot(&gz, &s).unwrap();
        let renamed = dir.path().join("no-extension");
        std::fs::rename(&gz, &renamed).unwrap();
        assert_eq!(read_snapshot(&renamed).unwrap(), s);
    }

    #[test]
    fn another_schema_version_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let v3 = MINIMAL.replace(r#""schema_version": 1"#, r#""schema_version": 3"#);
        let err = read_snapshot(&write(dir.path(), "v3.json", &v3))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("schema_version 3 is not supported") && err.contains("reads versions 1 to 2"),
            "{err}"
        );
        // even when the rest does not parse as version 1 or 2
        let v3 = r#"{"schema_version": 3, "accounts": "a different shape"}"#;
        let err = read_snapshot(&write(dir.path(), "v3b.json", v3))
            .unwrap_err()
            .to_string();
        assert!(err.contains("schema_version 3 is not supported"), "{err}");
    }

    #[test]
    fn schema_1_still_reads_with_the_new_facts_not_collected() {
        let dir = tempfile::tempdir().unwrap();
        let s = read_snapshot(&write(dir.path(), "v1.json", MINIMAL)).unwrap();
        let region = &s.accounts[0].regions[0];
        assert_eq!(s.schema_version, 1);
        assert_eq!(
            (
                &region.target_groups,
                &region.classic_load_balancers,
                &region.vpc_peering_connections
            ),
            (&None, &None, &None)
        );
    }

    #[test]
    fn a_bad_field_is_located_by_line_and_path() {
        let dir = tempfile::tempdir().unwrap();
        let bad = MINIMAL.replace(r#""IpProtocol": "tcp""#, r#""IpProtocol": "tcpx""#);
        let path = write(dir.path(), "bad.json", &bad);
        let err = read_snapshot(&path).unwrap_err().to_string();
        assert!(err.starts_with(&format!("{}:4:", path.display())), "{err}");
        assert!(err.contains("`tcpx` is not an IP protocol"), "{err}");
        assert!(
            err.contains("accounts[0].regions[0].SecurityGroups[0].IpPermissions[0].IpProtocol"),
            "{err}"
        );
        let err = read_snapshot(&write(dir.path(), "trunc.json", &MINIMAL[..200]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("EOF while parsing"), "{err}");
        let err = read_snapshot(&write(dir.path(), "other.json", r#"{"hello": 1}"#))
            .unwrap_err()
            .to_string();
        assert!(err.contains("not an sgaudit snapshot"), "{err}");
    }

    #[test]
    fn duplicate_accounts_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let s: Snapshot = serde_json::from_str(MINIMAL).unwrap();
        let mut twice = s.clone();
        twice.accounts.push(s.accounts[0].clone());
        let p = dir.path().join("dup.json");
        write_snapshot(&p, &twice).unwrap();
        let err = read_snapshot(&p).unwrap_err().to_string();
        assert!(
            err.contains("account 111111111111 appears twice (accounts[0] and accounts[1])"),
            "{err}"
        );
    }
}
