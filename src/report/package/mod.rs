//! The evidence package: every file written atomically through a hashing
//! writer (`output`), the snapshot copy, the effective config and the
//! manifest of SHA-256s written last and verified (`manifest`), and an
//! earlier package read back as the baseline of a new assessment (`baseline`).

pub mod baseline;
pub mod manifest;
pub mod output;

use std::path::{Path, PathBuf};

/// The snapshot copy in the package in `dir`, if it has one.
pub fn snapshot_path(dir: &Path) -> Option<PathBuf> {
    ["snapshot.json", "snapshot.json.gz"]
        .iter()
        .map(|n| dir.join(n))
        .find(|p| p.is_file())
}
