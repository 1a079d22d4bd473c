//! The evidence package: the exact snapshot, the effective configuration,
//! and `manifest.json` with the SHA-256 and size of every file written, so
//! that an auditor can check a year later that nothing changed
//! (`sgaudit verify DIR`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::config::LoadedConfig;
use crate::model::{CallerIdentity, Organization};

use super::output::{digest_file, OutDir, WrittenFile};
use crate::report::{rfc3339, ReportError};

pub const MANIFEST: &str = "manifest.json";
/// The usage summary's copy in the package.
pub const USAGE: &str = "usage.json";

#[derive(Debug, Serialize, Deserialize)]
pub struct Manifest {
    pub schema: String,
    pub tool: ToolRef,
    /// When this assessment ran: the only "now" of the package. The reports
    /// themselves are as of the snapshot.
    pub assessed_at: String,
    pub snapshot: SnapshotRef,
    pub config: ConfigRef,
    /// The flow-log usage summary the assessment used, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<UsageRef>,
    /// Every file of the package but the manifest, sorted by path.
    pub files: Vec<WrittenFile>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ToolRef {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct SnapshotRef {
    /// The copy in the package.
    pub file: String,
    /// Where it was read from.
    pub source: String,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub collected_by: Option<String>,
    pub caller_identity: Option<CallerIdentity>,
    pub organization: Option<Organization>,
    /// For a snapshot `sgaudit import` built: the export's folder, how many
    /// files it read (the snapshot lists each with its SHA-256), and where
    /// its time comes from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imported: Option<ImportRef>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ImportRef {
    pub folder: String,
    pub files: usize,
    pub taken_at_from: String,
}

/// `usage.json`: where it came from and what it covers. Each log object it
/// read is listed in it, with its SHA-256.
#[derive(Debug, Serialize, Deserialize)]
pub struct UsageRef {
    pub file: String,
    pub source: String,
    pub since: String,
    pub until: String,
    pub objects: usize,
    pub records: u64,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ConfigRef {
    /// The effective configuration in the package (defaults filled in).
    pub file: String,
    /// The file it was read from, and its SHA-256; absent when the defaults were used.
    pub source: Option<String>,
    pub source_sha256: Option<String>,
}

/// The name of the snapshot copy: `snapshot.json`, or `snapshot.json.gz` when
/// the input was compressed.
pub fn snapshot_file_name(source: &Path) -> &'static str {
    let gz = std::fs::File::open(source)
        .and_then(|mut f| {
            let mut magic = [0u8; 2];
            std::io::Read::read_exact(&mut f, &mut magic).map(|_| magic == [0x1f, 0x8b])
        })
        .unwrap_or(false);
    if gz {
        "snapshot.json.gz"
    } else {
        "snapshot.json"
    }
}

/// Copy an input (the snapshot, the usage summary) byte for byte as `name`
/// (see [`snapshot_file_name`]), or, when it already is the package's copy,
/// as `sgaudit run` writes it, just hash it.
pub fn copy_input(out: &OutDir, source: &Path, name: &str) -> Result<WrittenFile, ReportError> {
    let target = out.path(name);
    let same = match (std::fs::canonicalize(source), std::fs::canonicalize(&target)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if same {
        let (sha256, size) = digest_file(&target).map_err(|source| ReportError::Io {
            path: target.clone(),
            source,
        })?;
        return Ok(WrittenFile {
            path: name.to_string(),
            sha256,
            size,
        });
    }
    let mut input = std::fs::File::open(source).map_err(|source_err| ReportError::Io {
        path: source.to_path_buf(),
        source: source_err,
    })?;
    out.write(name, |w| std::io::copy(&mut input, w).map(|_| ()))
}

/// The effective configuration as TOML: what this assessment used, defaults
/// included. Reading it back gives the same configuration (and writing that
/// gives the same bytes).
pub fn config_toml(config: &LoadedConfig) -> Result<String, ReportError> {
    let body = toml::to_string_pretty(&config.config).map_err(|e| ReportError::Io {
        path: PathBuf::from("config.toml"),
        source: std::io::Error::other(e),
    })?;
    Ok(format!(
        "# The effective configuration of this assessment, with every default filled in.\n\
         # `sgaudit assess --config config.toml` reproduces the reports beside it.\n\n{body}"
    ))
}

/// Write `manifest.json`, last, listing `files` (sorted by path).
pub fn write_manifest(
    out: &OutDir,
    files: Vec<WrittenFile>,
    snapshot_file: &str,
    inputs: &crate::report::Inputs,
) -> Result<WrittenFile, ReportError> {
    let (snapshot, snapshot_source, config) = (inputs.snapshot, inputs.snapshot_path, inputs.config);
    let (usage, assessed_at) = (inputs.usage, inputs.assessed_at);
    debug_assert!(files.is_sorted(), "the manifest lists the files sorted");
    let manifest = Manifest {
        schema: "sgaudit/manifest@1".into(),
        tool: ToolRef {
            name: env!("CARGO_PKG_NAME").into(),
            version: env!("CARGO_PKG_VERSION").into(),
        },
        assessed_at: rfc3339(assessed_at),
        snapshot: SnapshotRef {
            file: snapshot_file.into(),
            source: snapshot_source.display().to_string(),
            started_at: rfc3339(snapshot.started_at),
            finished_at: snapshot.finished_at.map(rfc3339),
            collected_by: Some(format!("{} {}", snapshot.tool.name, snapshot.tool.version)),
            caller_identity: snapshot.caller_identity.clone(),
            organization: snapshot.organization.clone(),
            imported: snapshot.imported.as_ref().map(|i| ImportRef {
                folder: i.folder.clone(),
                files: i.files.len(),
                taken_at_from: i.taken_at_from.clone(),
            }),
        },
        config: ConfigRef {
            file: "config.toml".into(),
            source: config.path.as_ref().map(|p| p.display().to_string()),
            source_sha256: config.path.as_ref().map(|_| {
                use sha2::Digest;
                super::output::hex(&sha2::Sha256::digest(config.source.as_bytes()))
            }),
        },
        usage: usage.map(|(u, path)| UsageRef {
            file: USAGE.into(),
            source: path.display().to_string(),
            since: rfc3339(u.window.since),
            until: rfc3339(u.window.until),
            objects: u.objects.len(),
            records: u.records.total,
        }),
        files,
    };
    // Everything the manifest lists is durable before the manifest is.
    out.sync()?;
    let mut text = serde_json::to_string_pretty(&manifest).map_err(|e| ReportError::Io {
        path: out.path(MANIFEST),
        source: e.into(),
    })?;
    text.push('\n');
    out.write_synced(MANIFEST, |w| w.write_all(text.as_bytes()))
}

/// What `verify` found.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Verification {
    pub checked: usize,
    /// `(path, why)`
    pub changed: Vec<(String, String)>,
    pub missing: Vec<String>,
    pub added: Vec<String>,
}

impl Verification {
    pub fn is_intact(&self) -> bool {
        self.changed.is_empty() && self.missing.is_empty() && self.added.is_empty()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("{0} has no {MANIFEST}: it is not an sgaudit output directory, or the run that wrote it did not finish")]
    NoManifest(PathBuf),
    #[error("cannot read {path}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not a valid manifest: {message}")]
    BadManifest { path: PathBuf, message: String },
}

fn walk(root: &Path, dir: &Path, out: &mut BTreeSet<String>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            walk(root, &path, out)?;
        } else {
            let rel = path.strip_prefix(root).unwrap_or(&path);
            out.insert(
                rel.components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/"),
            );
        }
    }
    Ok(())
}

/// Recompute every file's hash and size against the manifest, and look for
/// files the manifest does not list.
pub fn verify(dir: &Path) -> Result<Verification, VerifyError> {
    let manifest_path = dir.join(MANIFEST);
    if !manifest_path.is_file() {
        return Err(VerifyError::NoManifest(dir.to_path_buf()));
    }
    let text = std::fs::read_to_string(&manifest_path).map_err(|source| VerifyError::Io {
        path: manifest_path.clone(),
        source,
    })?;
    let manifest: Manifest = serde_json::from_str(&text).map_err(|e| VerifyError::BadManifest {
        path: manifest_path.clone(),
        message: e.to_string(),
    })?;
    let mut present = BTreeSet::new();
    walk(dir, dir, &mut present).map_err(|source| VerifyError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    present.remove(MANIFEST);
    let mut v = Verification::default();
    let mut to_check = Vec::new();
    for f in &manifest.files {
        if present.remove(&f.path) {
            to_check.push(f);
        } else {
            v.missing.push(f.path.clone());
        }
    }
    // Hash on every core: a package of a large organization is gigabytes.
    let digests = crate::par::map_queue(&to_check, |f| {
        let path = dir.join(&f.path);
        digest_file(&path).map_err(|source| VerifyError::Io { path, source })
    });
    for (f, digest) in to_check.iter().zip(digests) {
        let (sha256, size) = digest?;
        v.checked += 1;
        if sha256 != f.sha256 {
            v.changed.push((
                f.path.clone(),
                format!(
                    "SHA-256 is {sha256}, the manifest says {} (size {size}, was {})",
                    f.sha256, f.size
                ),
            ));
        }
    }
    v.added = present.into_iter().collect();
    Ok(v)
}
