//! A collection in progress, checkpointed account by account in a folder
//! beside the snapshot (`SNAPSHOT.parts/`).
//!
//! Every account is written to the folder the moment it is complete, so the
//! collector holds only the accounts in flight, and an interrupted run loses
//! only those: `collect --resume` keeps the rest. At the end the snapshot is
//! assembled from the folder, one account at a time, in account order, and
//! the folder is removed.
//!
//! ```text
//! SNAPSHOT.parts/
//!   run.json            who started the run, when, with which configuration
//!   checkpoints.jsonl   one line per account written: file, SHA-256, when read
//!   accounts/ID.json    the account, as it will appear in the snapshot
//! ```
//!
//! A checkpoint counts only if its line is in `checkpoints.jsonl` (written
//! after the file is renamed into place) and the file still has that digest;
//! anything else is collected again.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use sha2::Digest;
use time::OffsetDateTime;

use super::ids::AccountId;
use super::snapshot::*;

#[derive(Debug, thiserror::Error)]
pub enum PartsError {
    #[error(
        "{} holds the checkpoints of an earlier collection that did not finish\n\
         hint: continue it with the same command and --resume, or remove the folder to start over",
        .0.display()
    )]
    Exists(PathBuf),
    #[error(
        "cannot resume from {}: it was collected {what} {was}, and this run would be {now}\n\
         hint: resume with the same configuration, credentials and shard, or remove the folder to start over",
        dir.display()
    )]
    Mismatch {
        dir: PathBuf,
        what: &'static str,
        was: String,
        now: String,
    },
    #[error("{}: {message}", path.display())]
    Corrupt { path: PathBuf, message: String },
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
}

fn io_at(path: &Path) -> impl FnOnce(io::Error) -> PartsError + '_ {
    move |source| PartsError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// What a run is, so that a resumption can tell it continues the same one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Run {
    pub tool: ToolInfo,
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller_identity: Option<CallerIdentity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_digest: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<Shard>,
    /// Every earlier resumption of the run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resumed: Vec<Resumption>,
}

impl Run {
    /// The first difference that forbids continuing `self` as `now`.
    fn mismatch(&self, now: &Run) -> Option<(&'static str, String, String)> {
        let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "none".into());
        if self.tool != now.tool {
            return Some((
                "by",
                format!("{} {}", self.tool.name, self.tool.version),
                format!("{} {}", now.tool.name, now.tool.version),
            ));
        }
        if self.config_digest != now.config_digest {
            return Some((
                "with the configuration",
                show(&self.config_digest),
                show(&now.config_digest),
            ));
        }
        let account = |c: &Option<CallerIdentity>| c.as_ref().map(|c| c.account.to_string());
        if account(&self.caller_identity) != account(&now.caller_identity) {
            return Some((
                "as the caller account",
                show(&account(&self.caller_identity)),
                show(&account(&now.caller_identity)),
            ));
        }
        if self.shard != now.shard {
            let shard = |s: &Option<Shard>| s.map_or("all accounts".to_string(), |s| format!("shard {s}"));
            return Some(("for", shard(&self.shard), shard(&now.shard)));
        }
        None
    }
}

/// One line of `checkpoints.jsonl`: an account written, and what the run's
/// closing summary needs to know of it without reading it again.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub account_id: AccountId,
    /// `sha256:<hex>` of `accounts/ID.json`.
    pub sha256: String,
    pub bytes: u64,
    #[serde(with = "time::serde::rfc3339")]
    pub read_at: OffsetDateTime,
    pub tally: Tally,
}

/// An account's collection in brief: enough for the run's summary and its
/// list of what was not collected.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Tally {
    pub collected: bool,
    /// Regions read without a region-level failure.
    pub regions_ok: usize,
    pub security_groups: usize,
    /// Whether a retry could add something: the account or a region failed.
    /// Gaps of one service are kept (they are usually permanent: a service
    /// not offered, a permission not granted).
    pub retry: bool,
    /// What was not collected, one line each: `account 1111 eu-west-1: …`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<String>,
}

impl Tally {
    pub fn of(a: &AccountSnapshot) -> Tally {
        let mut problems = Vec::new();
        let mut retry = false;
        if let CollectionStatus::Failed { reason } = &a.status {
            retry = true;
            problems.push(format!("account {}: {reason}", a.account_id));
        }
        for r in &a.regions {
            if let CollectionStatus::Failed { .. } = r.status {
                retry = true;
            }
            if let Some(reason) = r.status.reason() {
                problems.push(format!("account {} {}: {reason}", a.account_id, r.region));
            }
            for g in &r.gaps {
                problems.push(format!(
                    "account {} {}: {} {}: {}",
                    a.account_id, r.region, g.service, g.operation, g.error
                ));
            }
        }
        Tally {
            collected: a.status.is_ok(),
            regions_ok: a.regions.iter().filter(|r| r.status.is_ok()).count(),
            security_groups: a.regions.iter().map(|r| r.security_groups.len()).sum(),
            retry,
            problems,
        }
    }
}

/// The checkpoint folder of one collection.
pub struct Parts {
    dir: PathBuf,
    run: Run,
    log: Mutex<File>,
    /// The latest verified checkpoint of each account.
    done: Mutex<BTreeMap<AccountId, Checkpoint>>,
}

impl Parts {
    /// `snapshot.json` → `snapshot.json.parts`
    pub fn dir_for(snapshot: &Path) -> PathBuf {
        let mut name = snapshot.file_name().unwrap_or_default().to_os_string();
        name.push(".parts");
        snapshot.with_file_name(name)
    }

    /// Start a collection; refuses a folder left by an earlier one.
    pub fn create(snapshot: &Path, run: Run) -> Result<Parts, PartsError> {
        let dir = Self::dir_for(snapshot);
        if dir.exists() {
            return Err(PartsError::Exists(dir));
        }
        fs::create_dir_all(dir.join("accounts")).map_err(io_at(&dir))?;
        write_json(&dir.join("run.json"), &run)?;
        let log = open_log(&dir)?;
        Ok(Parts {
            dir,
            run,
            log: Mutex::new(log),
            done: Mutex::default(),
        })
    }

    /// Continue the collection `now` describes, keeping every account whose
    /// checkpoint verifies; start one if there is no folder. The run keeps
    /// its first start and gains a resumption.
    pub fn resume(snapshot: &Path, now: Run) -> Result<Parts, PartsError> {
        let dir = Self::dir_for(snapshot);
        let run_path = dir.join("run.json");
        if !run_path.exists() {
            tracing::info!(dir = %dir.display(), "no checkpoints to resume from; starting a new collection");
            if dir.exists() {
                fs::remove_dir_all(&dir).map_err(io_at(&dir))?;
            }
            return Self::create(snapshot, now);
        }
        let mut run: Run = read_json(&run_path)?;
        if let Some((what, was, now)) = run.mismatch(&now) {
            return Err(PartsError::Mismatch { dir, what, was, now });
        }
        let done = verified(&dir)?;
        run.resumed.push(Resumption {
            at: now.started_at,
            accounts_kept: done.values().filter(|c| !c.tally.retry).count(),
        });
        write_json(&run_path, &run)?;
        remove_strays(&dir.join("accounts"));
        let log = open_log(&dir)?;
        Ok(Parts {
            dir,
            run,
            log: Mutex::new(log),
            done: Mutex::new(done),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn run(&self) -> &Run {
        &self.run
    }

    /// Whether `account` is already complete and need not be collected again.
    pub fn has(&self, account: &AccountId) -> bool {
        let done = self.done.lock().expect("the checkpoint index is never poisoned");
        done.get(account).is_some_and(|c| !c.tally.retry)
    }

    /// How many accounts are checkpointed.
    pub fn len(&self) -> usize {
        self.done.lock().expect("the checkpoint index is never poisoned").len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Checkpoint a complete account: its file, then its line in the log.
    pub fn put(&self, account: &AccountSnapshot) -> Result<Checkpoint, PartsError> {
        let bytes = serde_json::to_vec(account).map_err(|e| PartsError::Corrupt {
            path: self.dir.clone(),
            message: format!("cannot serialize account {}: {e}", account.account_id),
        })?;
        let path = self.account_file(&account.account_id);
        crate::atomic::write_with(&path, |f| f.write_all(&bytes)).map_err(io_at(&path))?;
        let checkpoint = Checkpoint {
            account_id: account.account_id.clone(),
            sha256: sha256(&bytes),
            bytes: bytes.len() as u64,
            read_at: account.read_at.unwrap_or_else(OffsetDateTime::now_utc),
            tally: Tally::of(account),
        };
        let mut line = serde_json::to_vec(&checkpoint).expect("a checkpoint serializes");
        line.push(b'\n');
        {
            let mut log = self.log.lock().expect("the checkpoint log is never poisoned");
            let log_path = self.dir.join("checkpoints.jsonl");
            log.write_all(&line).map_err(io_at(&log_path))?;
            log.sync_data().map_err(io_at(&log_path))?;
        }
        self.done
            .lock()
            .expect("the checkpoint index is never poisoned")
            .insert(account.account_id.clone(), checkpoint.clone());
        Ok(checkpoint)
    }

    /// The checkpoints of `accounts`, in their order; an account without one
    /// is an error (it was neither kept nor collected).
    pub fn checkpoints(&self, accounts: &[AccountId]) -> Result<Vec<Checkpoint>, PartsError> {
        let done = self.done.lock().expect("the checkpoint index is never poisoned");
        accounts
            .iter()
            .map(|id| {
                done.get(id).cloned().ok_or_else(|| PartsError::Corrupt {
                    path: self.dir.clone(),
                    message: format!("account {id} has no checkpoint"),
                })
            })
            .collect()
    }

    /// Write the snapshot: `envelope` (whose `accounts` must be empty) with
    /// the checkpointed `accounts` in that order, each read, checked against
    /// its digest and copied in turn. Atomic, like every output.
    pub fn assemble(&self, envelope: &Snapshot, accounts: &[Checkpoint], out: &Path) -> Result<(), PartsError> {
        assert!(envelope.accounts.is_empty(), "the accounts come from the checkpoints");
        let head = serde_json::to_string(envelope).expect("a snapshot serializes");
        let head = head
            .strip_suffix("\"accounts\":[]}")
            .expect("`accounts` is the envelope's last field");
        let gz = out.extension().is_some_and(|e| e == "gz");
        let mut buffer = Vec::new();
        let fill = |w: &mut File| -> io::Result<()> {
            let mut w: Box<dyn Write> = if gz {
                Box::new(flate2::write::GzEncoder::new(
                    BufWriter::new(w),
                    flate2::Compression::fast(),
                ))
            } else {
                Box::new(BufWriter::new(w))
            };
            w.write_all(head.as_bytes())?;
            w.write_all(b"\"accounts\":[")?;
            for (i, c) in accounts.iter().enumerate() {
                let path = self.account_file(&c.account_id);
                buffer.clear();
                File::open(&path)
                    .and_then(|mut f| f.read_to_end(&mut buffer))
                    .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
                if sha256(&buffer) != c.sha256 {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!(
                            "{} changed after it was checkpointed (its SHA-256 is no longer {})",
                            path.display(),
                            c.sha256
                        ),
                    ));
                }
                if i > 0 {
                    w.write_all(b",")?;
                }
                w.write_all(&buffer)?;
            }
            w.write_all(b"]}\n")?;
            w.flush()
        };
        crate::atomic::write_with(out, fill).map_err(io_at(out))
    }

    /// Remove the folder, once the snapshot is written.
    pub fn remove(self) -> Result<(), PartsError> {
        drop(self.log);
        fs::remove_dir_all(&self.dir).map_err(io_at(&self.dir))
    }

    fn account_file(&self, id: &AccountId) -> PathBuf {
        self.dir.join("accounts").join(format!("{id}.json"))
    }
}

fn sha256(bytes: &[u8]) -> String {
    let digest = sha2::Sha256::digest(bytes);
    let mut hex = String::with_capacity(71);
    hex.push_str("sha256:");
    for b in digest {
        hex.push_str(&format!("{b:02x}"));
    }
    hex
}

fn open_log(dir: &Path) -> Result<File, PartsError> {
    let path = dir.join("checkpoints.jsonl");
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(io_at(&path))
}

fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), PartsError> {
    let bytes = serde_json::to_vec_pretty(value).expect("a checkpoint record serializes");
    crate::atomic::write_with(path, |f| f.write_all(&bytes)).map_err(io_at(path))
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, PartsError> {
    let bytes = fs::read(path).map_err(io_at(path))?;
    serde_json::from_slice(&bytes).map_err(|e| PartsError::Corrupt {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

/// The latest checkpoint of each account whose file still has its digest.
/// A torn last line (the machine stopped while writing it) is ignored: its
/// account is collected again.
fn verified(dir: &Path) -> Result<BTreeMap<AccountId, Checkpoint>, PartsError> {
    let log_path = dir.join("checkpoints.jsonl");
    let mut latest = BTreeMap::new();
    match File::open(&log_path) {
        Ok(f) => {
            for (n, line) in BufReader::new(f).lines().enumerate() {
                let line = line.map_err(io_at(&log_path))?;
                match serde_json::from_str::<Checkpoint>(&line) {
                    Ok(c) => {
                        latest.insert(c.account_id.clone(), c);
                    }
                    Err(e) => tracing::warn!(
                        file = %log_path.display(), line = n + 1,
                        "ignoring an unreadable checkpoint line: {e}"
                    ),
                }
            }
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(io_at(&log_path)(e)),
    }
    latest.retain(|id, c| {
        let path = dir.join("accounts").join(format!("{id}.json"));
        match fs::read(&path) {
            Ok(bytes) if sha256(&bytes) == c.sha256 => true,
            Ok(_) => {
                tracing::warn!(file = %path.display(), "its SHA-256 differs from its checkpoint; collecting the account again");
                false
            }
            Err(e) => {
                tracing::warn!(file = %path.display(), "cannot read a checkpoint ({e}); collecting the account again");
                false
            }
        }
    });
    Ok(latest)
}

/// Temporary files of writes that never finished.
fn remove_strays(dir: &Path) {
    if let Ok(entries) = fs::read_dir(dir) {
        for e in entries.flatten() {
            if e.file_name().to_string_lossy().starts_with('.') {
                let _ = fs::remove_file(e.path());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(digest: &str) -> Run {
        Run {
            tool: ToolInfo::this_build(),
            started_at: time::macros::datetime!(2026-12-01 02:00 UTC),
            caller_identity: None,
            config_digest: Some(digest.into()),
            shard: None,
            resumed: Vec::new(),
        }
    }

    fn account(id: &str, status: CollectionStatus) -> AccountSnapshot {
        AccountSnapshot {
            account_id: AccountId::parse(id).unwrap(),
            name: Some(format!("acct {id}")),
            ou_path: Vec::new(),
            status,
            read_at: Some(time::macros::datetime!(2026-12-01 02:05 UTC)),
            regions: vec![RegionSnapshot {
                region: "eu-west-1".into(),
                ..Default::default()
            }],
        }
    }

    fn envelope(run: &Run) -> Snapshot {
        Snapshot {
            schema_version: SCHEMA_VERSION,
            tool: run.tool.clone(),
            started_at: run.started_at,
            finished_at: Some(time::macros::datetime!(2026-12-01 02:10 UTC)),
            caller_identity: None,
            config_digest: run.config_digest.clone(),
            organization: None,
            imported: None,
            shard: None,
            merged_from: None,
            resumed: None,
            accounts: Vec::new(),
        }
    }

    #[test]
    fn accounts_checkpointed_then_assembled_make_the_snapshot_a_single_write_would() {
        let dir = tempfile::tempdir().unwrap();
        for out in ["s.json", "s.json.gz"] {
            let out = dir.path().join(out);
            let parts = Parts::create(&out, run("sha256:a")).unwrap();
            let b = account("222222222222", CollectionStatus::Ok);
            let a = account("111111111111", CollectionStatus::Ok);
            parts.put(&b).unwrap();
            parts.put(&a).unwrap();
            let ids = [a.account_id.clone(), b.account_id.clone()];
            let cps = parts.checkpoints(&ids).unwrap();
            parts.assemble(&envelope(parts.run()), &cps, &out).unwrap();
            parts.remove().unwrap();
            assert!(!Parts::dir_for(&out).exists());
            let read = crate::model::read_snapshot(&out).unwrap();
            let mut whole = envelope(&run("sha256:a"));
            whole.accounts = vec![a, b];
            assert_eq!(read, whole);
        }
    }

    #[test]
    fn a_second_collection_refuses_the_folder_of_one_that_did_not_finish() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("s.json");
        let _parts = Parts::create(&out, run("sha256:a")).unwrap();
        let err = Parts::create(&out, run("sha256:a")).err().unwrap().to_string();
        assert!(err.contains("s.json.parts holds the checkpoints"), "{err}");
        assert!(err.contains("--resume"), "{err}");
    }

    #[test]
    fn resuming_keeps_verified_complete_accounts_and_retries_failed_or_altered_ones() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("s.json");
        let parts = Parts::create(&out, run("sha256:a")).unwrap();
        parts.put(&account("111111111111", CollectionStatus::Ok)).unwrap();
        parts.put(&account("222222222222", CollectionStatus::Ok)).unwrap();
        parts
            .put(&account(
                "333333333333",
                CollectionStatus::Failed {
                    reason: "ExpiredToken".into(),
                },
            ))
            .unwrap();
        drop(parts);
        // The second file is altered; the log's last line is torn.
        let altered = Parts::dir_for(&out).join("accounts/222222222222.json");
        fs::write(&altered, b"{}").unwrap();
        let log = Parts::dir_for(&out).join("checkpoints.jsonl");
        let mut f = OpenOptions::new().append(true).open(&log).unwrap();
        f.write_all(b"{\"account_id\": \"4444").unwrap();

        let mut later = run("sha256:a");
        later.started_at = time::macros::datetime!(2026-12-02 09:00 UTC);
        let parts = Parts::resume(&out, later).unwrap();
        let id = |s: &str| AccountId::parse(s).unwrap();
        assert!(parts.has(&id("111111111111")));
        assert!(!parts.has(&id("222222222222")), "altered after its checkpoint");
        assert!(!parts.has(&id("333333333333")), "failed: a retry may succeed");
        assert_eq!(parts.run().started_at, time::macros::datetime!(2026-12-01 02:00 UTC));
        assert_eq!(
            parts.run().resumed,
            vec![Resumption {
                at: time::macros::datetime!(2026-12-02 09:00 UTC),
                accounts_kept: 1
            }]
        );
    }

    #[test]
    fn resuming_with_another_configuration_is_refused_and_says_which() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("s.json");
        drop(Parts::create(&out, run("sha256:a")).unwrap());
        let err = Parts::resume(&out, run("sha256:b")).err().unwrap().to_string();
        assert!(
            err.contains("with the configuration sha256:a, and this run would be sha256:b"),
            "{err}"
        );
        let mut sharded = run("sha256:a");
        sharded.shard = Some(Shard { index: 1, count: 2 });
        let err = Parts::resume(&out, sharded).err().unwrap().to_string();
        assert!(
            err.contains("for all accounts, and this run would be shard 1/2"),
            "{err}"
        );
    }

    #[test]
    fn resuming_without_a_folder_starts_a_new_collection() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("s.json");
        let parts = Parts::resume(&out, run("sha256:a")).unwrap();
        assert!(parts.is_empty());
        assert!(parts.run().resumed.is_empty());
        assert!(Parts::dir_for(&out).join("run.json").exists());
    }
}
