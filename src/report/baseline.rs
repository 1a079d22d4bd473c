//! Reading an earlier evidence package as the baseline of a new assessment.
//!
//! The package must verify against its manifest first: a baseline that was
//! changed after it was written would carry false history forward.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::analyze::history::{Baseline, PastFinding, TrendEntry};

use super::evidence;

#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error(transparent)]
    Verify(#[from] evidence::VerifyError),
    #[error(
        "the baseline {dir} does not match its manifest ({}); it was changed after it was written, so it cannot be \
         trusted as history (`sgaudit verify {dir}` lists every difference)",
        .problems.join("; ")
    )]
    Tampered { dir: String, problems: Vec<String> },
    #[error("the baseline {0} has no findings.json: it was assessed without `json` in --format")]
    NoFindings(PathBuf),
    #[error("cannot read the baseline's {path}: {message}")]
    Unreadable { path: PathBuf, message: String },
}

#[derive(Deserialize)]
struct FindingsFile {
    #[serde(with = "time::serde::rfc3339")]
    as_of: time::OffsetDateTime,
    findings: Vec<PastFinding>,
}

#[derive(Deserialize)]
struct TrendFile {
    entries: Vec<TrendEntry>,
}

fn read<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, BaselineError> {
    let unreadable = |message: String| BaselineError::Unreadable {
        path: path.to_path_buf(),
        message,
    };
    let bytes = std::fs::read(path).map_err(|e| unreadable(e.to_string()))?;
    serde_json::from_slice(&bytes).map_err(|e| unreadable(e.to_string()))
}

/// Verify the package in `dir` and read its findings and trend.
pub fn load(dir: &Path) -> Result<Baseline, BaselineError> {
    let v = evidence::verify(dir)?;
    if !v.is_intact() {
        let mut problems: Vec<String> = v.changed.iter().map(|(p, _)| format!("{p} changed")).collect();
        problems.extend(v.missing.iter().map(|p| format!("{p} missing")));
        problems.extend(v.added.iter().map(|p| format!("{p} added")));
        return Err(BaselineError::Tampered {
            dir: dir.display().to_string(),
            problems,
        });
    }
    let findings_path = dir.join("findings.json");
    if !findings_path.is_file() {
        return Err(BaselineError::NoFindings(dir.to_path_buf()));
    }
    let findings: FindingsFile = read(&findings_path)?;
    let trend_path = dir.join("trend.json");
    let trend = if trend_path.is_file() {
        read::<TrendFile>(&trend_path)?.entries
    } else {
        Vec::new()
    };
    Ok(Baseline {
        as_of: findings.as_of,
        findings: findings.findings,
        trend,
    })
}
