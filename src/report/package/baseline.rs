//! Reading an earlier evidence package as the baseline of a new assessment.
//!
//! The package must verify against its manifest first: a baseline that was
//! changed after it was written would carry false history forward.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::analyze::fingerprint;
use crate::analyze::history::{Baseline, PastFinding, TrendEntry};

use super::manifest;

#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error(transparent)]
    Verify(#[from] manifest::VerifyError),
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

/// `findings.json` with its findings still unparsed, so that they can be
/// parsed on every core (a baseline of a large organization holds hundreds of
/// thousands).
#[derive(Deserialize)]
struct FindingsFile<'a> {
    #[serde(with = "time::serde::rfc3339")]
    as_of: time::OffsetDateTime,
    /// Absent in the packages of sgaudit 0.1.0, which used recipe 1.
    #[serde(default = "recipe_1")]
    fingerprint_recipe: u32,
    #[serde(borrow)]
    findings: Vec<&'a serde_json::value::RawValue>,
}

fn recipe_1() -> u32 {
    1
}

/// A baseline's findings as its findings.json has them.
#[derive(Debug)]
struct Parsed {
    as_of: time::OffsetDateTime,
    recipe: u32,
    findings: Vec<PastFinding>,
}

fn parse_findings(path: &Path, bytes: &[u8]) -> Result<Parsed, BaselineError> {
    let unreadable = |message: String| BaselineError::Unreadable {
        path: path.to_path_buf(),
        message,
    };
    let file: FindingsFile = serde_json::from_slice(bytes).map_err(|e| unreadable(e.to_string()))?;
    let parts: Vec<Result<Vec<PastFinding>, String>> = crate::par::map_chunks(&file.findings, |offset, part| {
        part.iter()
            .enumerate()
            .map(|(i, raw)| {
                serde_json::from_str::<PastFinding>(raw.get()).map_err(|e| format!("finding {}: {e}", offset + i + 1))
            })
            .collect()
    });
    let mut findings = Vec::with_capacity(file.findings.len());
    for part in parts {
        findings.extend(part.map_err(unreadable)?);
    }
    Ok(Parsed {
        as_of: file.as_of,
        recipe: file.fingerprint_recipe,
        findings,
    })
}

/// Give the findings of a package fingerprinted with an older recipe their
/// current prints, by assessing the package's own snapshot (with its own
/// config) again. Findings this build no longer raises keep their old print,
/// which matches nothing: they are gone, as they should be.
fn upgrade_fingerprints(dir: &Path, findings: &mut [PastFinding]) -> Result<(), BaselineError> {
    let started = std::time::Instant::now();
    let snapshot_path = super::snapshot_path(dir).ok_or_else(|| BaselineError::Unreadable {
        path: dir.join("snapshot.json"),
        message: "the package has no snapshot copy, which upgrading its fingerprints needs".into(),
    })?;
    let snapshot = crate::model::read_snapshot(&snapshot_path).map_err(|e| BaselineError::Unreadable {
        path: snapshot_path.clone(),
        message: e.to_string(),
    })?;
    // The package's config decides which findings its snapshot gives; one
    // this version cannot read falls back to the defaults, with a warning.
    let config = match crate::config::load(&dir.join("config.toml")) {
        Ok(loaded) => loaded.config,
        Err(e) => {
            tracing::warn!("baseline config not readable, its findings are upgraded with the defaults: {e}");
            crate::config::Config::default()
        }
    };
    let upgraded = fingerprint::upgrade(&snapshot, &config);
    let mut matched = 0;
    for f in findings.iter_mut() {
        if let Some(new) = upgraded.get(f.fingerprint.as_str()) {
            f.fingerprint = new.as_str().into();
            matched += 1;
        }
    }
    tracing::info!(
        matched,
        of = findings.len(),
        elapsed = ?started.elapsed(),
        "baseline fingerprints upgraded to recipe {}",
        fingerprint::RECIPE
    );
    Ok(())
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
    let started = std::time::Instant::now();
    let v = manifest::verify(dir)?;
    tracing::debug!(files = v.checked, elapsed = ?started.elapsed(), "baseline verified");
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
    let bytes = std::fs::read(&findings_path).map_err(|e| BaselineError::Unreadable {
        path: findings_path.clone(),
        message: e.to_string(),
    })?;
    let Parsed {
        as_of,
        recipe,
        mut findings,
    } = parse_findings(&findings_path, &bytes)?;
    drop(bytes);
    tracing::debug!(findings = findings.len(), elapsed = ?started.elapsed(), "baseline findings parsed");
    if recipe < fingerprint::RECIPE {
        upgrade_fingerprints(dir, &mut findings)?;
    }
    let trend_path = dir.join("trend.json");
    let trend = if trend_path.is_file() {
        read::<TrendFile>(&trend_path)?.entries
    } else {
        Vec::new()
    };
    Ok(Baseline { as_of, findings, trend })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    fn finding(n: usize) -> String {
        format!(
            r#"{{"fingerprint":"fp{n}","check_id":"SGA101","account_id":"111111111111","region":"us-east-1",
                "severity":"critical","first_seen":"2026-10-01T00:00:00Z","summary":"port 22 open to the world"}}"#
        )
    }

    #[test]
    fn findings_are_parsed_in_order_whatever_the_split() {
        let list: Vec<String> = (1..=7).map(finding).collect();
        let text = format!(
            r#"{{"as_of":"2026-11-01T00:00:00Z","findings":[{}]}}"#,
            list.join(",\n")
        );
        let super::Parsed { as_of, findings, .. } =
            super::parse_findings(Path::new("findings.json"), text.as_bytes()).unwrap();
        assert_eq!(as_of.date().to_string(), "2026-11-01");
        let order: Vec<&str> = findings.iter().map(|f| f.fingerprint.as_str()).collect();
        assert_eq!(order, ["fp1", "fp2", "fp3", "fp4", "fp5", "fp6", "fp7"]);
    }

    #[test]
    fn a_bad_finding_is_named_by_its_position() {
        let text = format!(
            r#"{{"as_of":"2026-11-01T00:00:00Z","findings":[{},{{"fingerprint":"fp2"}}]}}"#,
            finding(1)
        );
        let err = super::parse_findings(Path::new("b/findings.json"), text.as_bytes()).unwrap_err();
        let message = err.to_string();
        assert!(message.contains("b/findings.json"), "{message}");
        assert!(message.contains("finding 2: missing field"), "{message}");
    }
}
