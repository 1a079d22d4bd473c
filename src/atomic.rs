//! Atomic file writes: a reader never sees a half-written file.
//!
//! Every output goes to a temporary file in the destination's directory and is
//! renamed over the destination only once it is complete. An interrupted run
//! leaves the previous file (or none) behind, plus at worst a stray
//! `.*.tmp-*` file, never a truncated report that looks whole.
//!
//! [`write_with`] syncs each file before its rename. A writer of many files
//! (an output directory of 150,000 files) uses [`write_unsynced`] for them
//! and [`sync_filesystem`] once, before the file that vouches for the others
//! (the manifest) is written with [`write_with`]: one flush of the
//! filesystem instead of a journal commit per file.

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    path.with_file_name(format!(".{name}.tmp-{}-{n}", std::process::id()))
}

/// Write `path` through `fill`, atomically, and sync it before the rename.
pub fn write_with(path: &Path, fill: impl FnOnce(&mut File) -> io::Result<()>) -> io::Result<()> {
    write_then_rename(path, true, fill)
}

/// Write `path` through `fill`, atomically, leaving the sync to a later
/// [`sync_filesystem`] (where the platform has no such call, the file is
/// synced here, as [`write_with`] does).
pub fn write_unsynced(path: &Path, fill: impl FnOnce(&mut File) -> io::Result<()>) -> io::Result<()> {
    write_then_rename(path, !cfg!(target_os = "linux"), fill)
}

fn write_then_rename(path: &Path, sync: bool, fill: impl FnOnce(&mut File) -> io::Result<()>) -> io::Result<()> {
    let tmp = temp_path(path);
    let result = (|| {
        let mut file = File::create(&tmp)?;
        fill(&mut file)?;
        if sync {
            file.sync_all()?;
        }
        drop(file);
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Make durable everything written so far to the filesystem that holds
/// `dir` (Linux: `syncfs`), and `dir` itself.
pub fn sync_filesystem(dir: &Path) -> io::Result<()> {
    let handle = File::open(dir)?;
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        // SAFETY: `syncfs` takes any open descriptor and touches no memory.
        if unsafe { libc::syncfs(handle.as_raw_fd()) } != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    handle.sync_all()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_failed_write_leaves_the_old_file_and_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.md");
        super::write_with(&path, |f| std::io::Write::write_all(f, b"old")).unwrap();
        let err = super::write_with(&path, |f| {
            std::io::Write::write_all(f, b"half")?;
            Err(std::io::Error::other("interrupted"))
        });
        assert!(err.is_err());
        assert_eq!(std::fs::read(&path).unwrap(), b"old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
