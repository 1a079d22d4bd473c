//! Files of an output directory: written atomically, hashed as they are
//! written, and listed for the manifest.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::report::ReportError;

/// A file written into the output directory.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct WrittenFile {
    /// Relative to the output directory, with `/` separators.
    pub path: String,
    pub sha256: String,
    pub size: u64,
}

pub use crate::digest::hex;

/// A writer that hashes and counts what passes through it.
pub struct Hashing<W> {
    inner: W,
    hasher: Sha256,
    size: u64,
}

impl<W: Write> Hashing<W> {
    pub fn new(inner: W) -> Self {
        Hashing {
            inner,
            hasher: Sha256::new(),
            size: 0,
        }
    }
    pub fn finish(self) -> (W, String, u64) {
        (self.inner, hex(&self.hasher.finalize()), self.size)
    }
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// The output directory.
pub struct OutDir {
    pub root: PathBuf,
}

impl OutDir {
    pub fn create(root: &Path) -> Result<Self, ReportError> {
        std::fs::create_dir_all(root).map_err(|source| ReportError::Io {
            path: root.to_path_buf(),
            source,
        })?;
        Ok(OutDir {
            root: root.to_path_buf(),
        })
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// Write `rel` atomically through a buffered, hashing writer. It is
    /// durable once [`OutDir::sync`] returns.
    pub fn write(
        &self,
        rel: &str,
        fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    ) -> Result<WrittenFile, ReportError> {
        self.write_as(rel, false, fill)
    }

    /// Make every file written so far durable: called once, before the
    /// manifest that vouches for them.
    pub fn sync(&self) -> Result<(), ReportError> {
        crate::atomic::sync_filesystem(&self.root).map_err(|source| ReportError::Io {
            path: self.root.clone(),
            source,
        })
    }

    /// [`OutDir::write`], synced before it is renamed into place (the manifest).
    pub fn write_synced(
        &self,
        rel: &str,
        fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    ) -> Result<WrittenFile, ReportError> {
        self.write_as(rel, true, fill)
    }

    fn write_as(
        &self,
        rel: &str,
        synced: bool,
        fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    ) -> Result<WrittenFile, ReportError> {
        let path = self.path(rel);
        let err = |source| ReportError::Io {
            path: path.clone(),
            source,
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(err)?;
        }
        let mut digest = None;
        let write = |file: &mut std::fs::File| {
            // Buffer before hashing, so that the hasher sees large chunks
            // rather than every token the writers emit (64 KiB: large
            // enough for the hasher, small enough to allocate per file).
            let mut w = io::BufWriter::with_capacity(64 << 10, Hashing::new(file));
            fill(&mut w)?;
            let hashing = w.into_inner().map_err(io::IntoInnerError::into_error)?;
            let (_, sha256, size) = hashing.finish();
            digest = Some((sha256, size));
            Ok(())
        };
        match synced {
            true => crate::atomic::write_with(&path, write),
            false => crate::atomic::write_unsynced(&path, write),
        }
        .map_err(err)?;
        let (sha256, size) = digest.expect("set by a successful write");
        Ok(WrittenFile {
            path: rel.to_string(),
            sha256,
            size,
        })
    }

    pub fn write_bytes(&self, rel: &str, bytes: &[u8]) -> Result<WrittenFile, ReportError> {
        self.write(rel, |w| w.write_all(bytes))
    }

    /// Write `value` as pretty-printed JSON and a final newline.
    pub fn write_json_pretty(&self, rel: &str, value: &impl Serialize) -> Result<WrittenFile, ReportError> {
        let mut text = serde_json::to_string_pretty(value).map_err(|e| ReportError::Io {
            path: self.path(rel),
            source: e.into(),
        })?;
        text.push('\n');
        self.write_bytes(rel, text.as_bytes())
    }
}

/// SHA-256 and size of a file, read in chunks.
pub fn digest_file(path: &Path) -> io::Result<(String, u64)> {
    let mut file = std::fs::File::open(path)?;
    let mut w = Hashing::new(io::sink());
    io::copy(&mut file, &mut w)?;
    let (_, sha256, size) = w.finish();
    Ok((sha256, size))
}
