//! Raw AWS CLI exports into a snapshot (`sgaudit import`), for the auditor
//! who gets JSON files from the client instead of a role in the organization.
//!
//! The layout is the one CloudMapper's `collect` writes, and the one
//! scripts/export-account.sh writes: `DIR/<account>/<region>/<service>-<operation>.json`
//! (`ec2-describe-security-groups.json`), with the calls made per resource
//! in folders of one file per resource (`elbv2-describe-target-health/<url-encoded ARN>`).
//! A folder that holds region folders directly is one account.
//!
//! What the export lacks is a gap of the account-region, exactly as a call
//! that failed during `collect` would be: "not in the export", never an
//! empty list. A file that does not parse is an error naming the file, the
//! line and column, and the JSON path. The snapshot records the folder and
//! every file read with its SHA-256 (`Snapshot::imported`).

mod listing;
mod region;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use serde::Deserialize;
use time::OffsetDateTime;

use crate::model::*;

/// Why an export could not be imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read {path}")]
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
        /// Where in the document, e.g. `SecurityGroups[3].IpPermissions[0].IpRanges[0].CidrIp`.
        field: Option<String>,
        message: String,
    },
    #[error("{path}: {message}")]
    Layout { path: PathBuf, message: String },
}

fn at_field(field: &Option<String>) -> String {
    match field {
        Some(f) if !f.is_empty() => format!(" (at `{f}`)"),
        _ => String::new(),
    }
}

/// What the command line adds to what the files say.
#[derive(Clone, Debug, Default)]
pub struct ImportOptions {
    /// The account of a folder that holds region folders directly, when
    /// neither the folder's name nor the data says it.
    pub account_id: Option<AccountId>,
    /// When the export was taken, when it does not say (no `export-info.json`).
    pub exported_at: Option<OffsetDateTime>,
}

/// Reads the export's files, keeping a record of each (path, size, SHA-256).
pub(crate) struct Reader<'r> {
    root: &'r Path,
    files: Vec<ImportedFile>,
    /// The earliest modification time of the files read: the fallback for
    /// when the export was taken.
    oldest: Option<OffsetDateTime>,
}

impl<'r> Reader<'r> {
    fn new(root: &'r Path) -> Self {
        Reader {
            root,
            files: Vec::new(),
            oldest: None,
        }
    }

    /// The file's bytes, or `None` if there is no such file.
    fn read(&mut self, path: &Path) -> Result<Option<listing::Source>, ImportError> {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(_) if path.is_dir() => return Ok(None),
            Err(source) => {
                return Err(ImportError::Io {
                    path: path.to_path_buf(),
                    source,
                })
            }
        };
        if let Ok(modified) = std::fs::metadata(path).and_then(|m| m.modified()) {
            let t = OffsetDateTime::from(modified);
            self.oldest = Some(self.oldest.map_or(t, |o| o.min(t)));
        }
        let rel = path.strip_prefix(self.root).unwrap_or(path);
        self.files.push(ImportedFile {
            path: rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/"),
            bytes: bytes.len() as u64,
            sha256: crate::digest::sha256_tag(&bytes),
        });
        Ok(Some(listing::Source {
            path: path.to_path_buf(),
            bytes,
        }))
    }
}

/// The entries of a folder, sorted.
fn entries(dir: &Path) -> Result<Vec<PathBuf>, ImportError> {
    let io = |source| ImportError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        out.push(entry.map_err(io)?.path());
    }
    out.sort();
    Ok(out)
}

/// `eu-west-1`, `us-gov-west-1`, `ap-southeast-5`: a region's name.
fn is_region_name(name: &str) -> bool {
    let parts: Vec<&str> = name.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts.iter().all(|p| !p.is_empty())
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts[parts.len() - 1].bytes().all(|b| b.is_ascii_digit())
}

fn name_of(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// The region folders of a folder.
fn region_dirs(dir: &Path) -> Result<Vec<PathBuf>, ImportError> {
    Ok(entries(dir)?
        .into_iter()
        .filter(|p| p.is_dir() && is_region_name(&name_of(p)))
        .collect())
}

/// `export-info.json`, written by scripts/export-account.sh beside the region folders.
#[derive(Deserialize)]
struct ExportInfo {
    #[serde(with = "time::serde::rfc3339")]
    exported_at: OffsetDateTime,
    #[serde(default, with = "time::serde::rfc3339::option")]
    finished_at: Option<OffsetDateTime>,
}

/// `describe-regions.json`: which regions the export meant to cover.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RegionName {
    region_name: String,
}

/// One account folder, read.
struct Account {
    snapshot: AccountSnapshot,
    caller: Option<CallerIdentity>,
    info: Option<ExportInfo>,
    files: Vec<ImportedFile>,
    oldest: Option<OffsetDateTime>,
}

fn read_json<T: serde::de::DeserializeOwned>(
    reader: &mut Reader,
    path: &Path,
    key: &str,
) -> Result<Option<T>, ImportError> {
    let Some(source) = reader.read(path)? else {
        return Ok(None);
    };
    let mut de = serde_json::Deserializer::from_slice(&source.bytes);
    serde_path_to_error::deserialize(&mut de).map(Some).map_err(|e| {
        let field = e.path().to_string();
        let inner = e.into_inner();
        let full = inner.to_string();
        ImportError::Parse {
            path: path.to_path_buf(),
            line: inner.line(),
            column: inner.column(),
            field: Some(if field == "." { key.to_string() } else { field }),
            message: full[..full.rfind(" at line ").unwrap_or(full.len())].to_string(),
        }
    })
}

fn read_account(root: &Path, dir: &Path, regions: &[PathBuf], options: &ImportOptions) -> Result<Account, ImportError> {
    let mut reader = Reader::new(root);
    let folder = name_of(dir);
    let caller: Option<CallerIdentity> = read_json(&mut reader, &dir.join("sts-get-caller-identity.json"), "Account")?;
    let info: Option<ExportInfo> = read_json(&mut reader, &dir.join("export-info.json"), "exported_at")?;
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Regions {
        #[serde(default)]
        regions: Vec<RegionName>,
    }
    let listed: Option<Regions> = read_json(&mut reader, &dir.join("describe-regions.json"), "Regions")?;

    let mut out = Vec::new();
    for path in regions {
        let name = name_of(path);
        out.push(region::read(
            &mut reader,
            &region::RegionDir { dir: path, name: &name },
        )?);
    }
    // Regions the export meant to cover but holds no folder for.
    for r in listed.map(|l| l.regions).unwrap_or_default() {
        if !out.iter().any(|x| x.region.as_str() == r.region_name) {
            out.push(RegionSnapshot {
                region: r.region_name.as_str().into(),
                status: CollectionStatus::Failed {
                    reason: format!(
                        "not in the export: describe-regions.json lists {}, but there is no {}/ folder",
                        r.region_name, r.region_name
                    ),
                },
                ..Default::default()
            });
        }
    }
    out.sort_by(|a, b| a.region.cmp(&b.region));

    let account_id = account_id(dir, &folder, caller.as_ref(), &out, options)?;
    let name = AccountId::parse(&folder).is_err().then(|| folder.clone());
    Ok(Account {
        snapshot: AccountSnapshot {
            account_id,
            name,
            ou_path: Vec::new(),
            status: CollectionStatus::Ok,
            read_at: None,
            regions: out,
        },
        caller,
        info,
        files: reader.files,
        oldest: reader.oldest,
    })
}

/// The account a folder holds: its name if that is an account id, the
/// caller identity the export recorded, the owner of its security groups,
/// or `--account-id`; any two of them that disagree are an error.
fn account_id(
    dir: &Path,
    folder: &str,
    caller: Option<&CallerIdentity>,
    regions: &[RegionSnapshot],
    options: &ImportOptions,
) -> Result<AccountId, ImportError> {
    let mut owners: std::collections::BTreeMap<&AccountId, usize> = Default::default();
    for g in regions.iter().flat_map(|r| &r.security_groups) {
        if let Some(o) = &g.owner_id {
            *owners.entry(o).or_default() += 1;
        }
    }
    let owner = owners.iter().max_by_key(|(_, n)| **n).map(|(o, _)| (*o).clone());
    let candidates: Vec<(String, AccountId)> = [
        AccountId::parse(folder)
            .ok()
            .map(|a| ("the folder's name".to_string(), a)),
        caller.map(|c| ("sts-get-caller-identity.json".to_string(), c.account.clone())),
        owner.map(|o| ("the security groups' OwnerId".to_string(), o)),
        options.account_id.clone().map(|a| ("--account-id".to_string(), a)),
    ]
    .into_iter()
    .flatten()
    .collect();
    let Some((_, first)) = candidates.first() else {
        return Err(ImportError::Layout {
            path: dir.to_path_buf(),
            message: "which account is this? Neither the folder's name, an sts-get-caller-identity.json, \
                      nor a security group's OwnerId says; name the folder after the account id or pass --account-id"
                .into(),
        });
    };
    if let Some((what, other)) = candidates.iter().find(|(_, a)| a != first) {
        return Err(ImportError::Layout {
            path: dir.to_path_buf(),
            message: format!(
                "{} says account {first}, but {what} says {other}: is this folder another account's export?",
                candidates[0].0
            ),
        });
    }
    Ok(first.clone())
}

/// Build a snapshot from the export in `from`.
pub fn import(from: &Path, options: &ImportOptions) -> Result<Snapshot, ImportError> {
    if !from.is_dir() {
        return Err(ImportError::Layout {
            path: from.to_path_buf(),
            message: "not a folder: expected a folder of AWS CLI exports (<account>/<region>/ec2-describe-security-groups.json)"
                .into(),
        });
    }
    // One account (region folders directly in it), or a folder of accounts.
    let own = region_dirs(from)?;
    let mut folders: Vec<(PathBuf, Vec<PathBuf>)> = Vec::new();
    if !own.is_empty() {
        folders.push((from.to_path_buf(), own));
    } else {
        for child in entries(from)?.into_iter().filter(|p| p.is_dir()) {
            let regions = region_dirs(&child)?;
            if !regions.is_empty() {
                folders.push((child, regions));
            } else if AccountId::parse(&name_of(&child)).is_ok() {
                return Err(ImportError::Layout {
                    path: child,
                    message: "an account folder without region folders: expected <region>/ec2-describe-security-groups.json in it (e.g. eu-west-1/)".into(),
                });
            } else {
                tracing::warn!(folder = %child.display(), "skipped: no region folders in it");
            }
        }
    }
    if folders.is_empty() {
        return Err(ImportError::Layout {
            path: from.to_path_buf(),
            message: "no region folders: expected <region>/<service>-<operation>.json (e.g. eu-west-1/ec2-describe-security-groups.json), \
                      or <account>/<region>/… for several accounts; scripts/export-account.sh writes this layout"
                .into(),
        });
    }
    if folders.len() > 1 && options.account_id.is_some() {
        return Err(ImportError::Layout {
            path: from.to_path_buf(),
            message: format!(
                "--account-id names the account of a single-account export, but this folder holds {} account folders",
                folders.len()
            ),
        });
    }

    let read = crate::par::map_queue(&folders, |(dir, regions)| read_account(from, dir, regions, options));
    let mut accounts = Vec::new();
    for a in read {
        accounts.push(a?);
    }
    accounts.sort_by(|a, b| a.snapshot.account_id.cmp(&b.snapshot.account_id));
    for pair in accounts.windows(2) {
        if pair[0].snapshot.account_id == pair[1].snapshot.account_id {
            return Err(ImportError::Layout {
                path: from.to_path_buf(),
                message: format!("account {} is exported twice", pair[0].snapshot.account_id),
            });
        }
    }

    let (started_at, taken_at_from) = match (
        options.exported_at,
        accounts
            .iter()
            .filter_map(|a| a.info.as_ref())
            .map(|i| i.exported_at)
            .min(),
    ) {
        (Some(t), _) => (t, "--exported-at".to_string()),
        (None, Some(t)) => (t, "export-info.json".to_string()),
        (None, None) => match accounts.iter().filter_map(|a| a.oldest).min() {
            Some(t) => (t, "file modification times".to_string()),
            None => (OffsetDateTime::UNIX_EPOCH, "unknown".to_string()),
        },
    };
    let finished_at = accounts
        .iter()
        .filter_map(|a| a.info.as_ref())
        .filter_map(|i| i.finished_at)
        .max();
    let caller_identity = match accounts.as_slice() {
        [one] => one.caller.clone(),
        _ => None,
    };
    let mut files: Vec<ImportedFile> = accounts.iter_mut().flat_map(|a| std::mem::take(&mut a.files)).collect();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(Snapshot {
        schema_version: SCHEMA_VERSION,
        tool: ToolInfo::this_build(),
        started_at: started_at.replace_nanosecond(0).unwrap_or(started_at),
        finished_at,
        caller_identity,
        config_digest: None,
        organization: None,
        imported: Some(ImportSource {
            folder: from.display().to_string(),
            taken_at_from,
            files,
        }),
        shard: None,
        merged_from: None,
        resumed: None,
        accounts: accounts.into_iter().map(|a| a.snapshot).collect(),
    })
}
