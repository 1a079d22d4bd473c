//! `findings.json` and `scores.json`.

use serde::Serialize;

use crate::analyze::{Assessment, Finding};

use super::package::output::{OutDir, WrittenFile};
use super::records::{FindingRecord, Names};
use super::remediation::{Planner, RemediationRecord};
use super::ReportError;

#[derive(Serialize)]
pub(crate) struct Generator {
    name: &'static str,
    version: &'static str,
}

pub(crate) const GENERATOR: Generator = Generator {
    name: env!("CARGO_PKG_NAME"),
    version: env!("CARGO_PKG_VERSION"),
};

#[derive(Serialize)]
struct FindingsHeader {
    schema: &'static str,
    generator: Generator,
    #[serde(with = "time::serde::rfc3339")]
    as_of: time::OffsetDateTime,
    /// How the findings' fingerprints were computed (docs/findings.md).
    fingerprint_recipe: u32,
    count: usize,
    open: usize,
    /// Every control the findings name, by the label they use.
    controls: std::collections::BTreeMap<String, &'static crate::controls::Control>,
}

/// How many findings one thread serializes at a time.
const RUN: usize = 2048;

/// `findings.json`: the header pretty-printed, then one finding per line, so
/// that the file stays small, greps well and diffs line by line.
pub fn write_findings(
    out: &OutDir,
    a: &Assessment,
    names: &Names,
    planner: &Planner,
) -> Result<WrittenFile, ReportError> {
    let mut controls = std::collections::BTreeMap::new();
    for f in &a.findings {
        for c in f.controls() {
            controls.entry(c.label()).or_insert(c);
        }
    }
    let header = FindingsHeader {
        schema: "sgaudit/findings@1",
        generator: GENERATOR,
        as_of: a.as_of,
        fingerprint_recipe: crate::analyze::fingerprint::RECIPE,
        count: a.findings.len(),
        open: a.open_findings().count(),
        controls,
    };
    out.write("findings.json", |w| {
        let head = serde_json::to_string_pretty(&header)?;
        let head = head.strip_suffix("\n}").unwrap_or(&head);
        w.write_all(head.as_bytes())?;
        w.write_all(b",\n  \"findings\": [")?;
        // Runs of findings are serialized on every core, a window of runs
        // at a time (memory stays a few runs' worth), and written in order.
        let runs: Vec<&[Finding]> = a.findings.chunks(RUN).collect();
        let first = a.findings.first();
        for window in runs.chunks(crate::par::threads() * 2) {
            let bufs = crate::par::map_queue(window, |run| -> Result<Vec<u8>, serde_json::Error> {
                let mut buf = Vec::with_capacity(run.len() * 2048);
                for finding in *run {
                    let head = first.is_some_and(|f| std::ptr::eq(finding, f));
                    buf.extend_from_slice(if head { b"\n    " } else { b",\n    " });
                    let mut record = FindingRecord::new(finding, names);
                    record.remediation = Some(RemediationRecord::new(finding, &planner.fix(finding), planner));
                    serde_json::to_writer(&mut buf, &record)?;
                }
                Ok(buf)
            });
            for buf in bufs {
                w.write_all(&buf?)?;
            }
        }
        w.write_all(if a.findings.is_empty() {
            b"]\n}\n"
        } else {
            b"\n  ]\n}\n"
        })
    })
}

#[derive(Serialize)]
struct ScoresDocument<'a> {
    schema: &'static str,
    generator: Generator,
    #[serde(with = "time::serde::rfc3339")]
    as_of: time::OffsetDateTime,
    org: &'a crate::analyze::OrgScore,
    accounts: &'a [crate::analyze::AccountScore],
    exceptions: &'a [crate::analyze::ExceptionStatus],
}

/// `scores.json`: the organization's and every account's scores, and how
/// each exception fared.
pub fn write_scores(out: &OutDir, a: &Assessment) -> Result<WrittenFile, ReportError> {
    let doc = ScoresDocument {
        schema: "sgaudit/scores@1",
        generator: GENERATOR,
        as_of: a.as_of,
        org: &a.org,
        accounts: &a.accounts,
        exceptions: &a.exceptions,
    };
    out.write_json_pretty("scores.json", &doc)
}

/// `trend.json`: this assessment's scores after the baseline's, the last 24.
pub fn write_trend(out: &OutDir, a: &Assessment) -> Result<WrittenFile, ReportError> {
    #[derive(Serialize)]
    struct TrendDocument<'a> {
        schema: &'static str,
        generator: Generator,
        entries: &'a [crate::analyze::history::TrendEntry],
    }
    let doc = TrendDocument {
        schema: "sgaudit/trend@1",
        generator: GENERATOR,
        entries: &a.trend,
    };
    out.write_json_pretty("trend.json", &doc)
}

/// A finding in `diff.json`.
#[derive(Serialize)]
pub(crate) struct DiffFinding<'a> {
    pub fingerprint: &'a str,
    pub check_id: &'a str,
    pub account_id: &'a str,
    pub region: Option<&'a str>,
    pub severity: crate::analyze::Severity,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity_was: Option<crate::analyze::Severity>,
    pub security_group_id: Option<&'a str>,
    pub summary: &'a str,
    #[serde(with = "time::serde::rfc3339")]
    pub first_seen: time::OffsetDateTime,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'a str>,
}

impl<'a> DiffFinding<'a> {
    pub fn current(f: &'a crate::analyze::Finding) -> Self {
        DiffFinding {
            fingerprint: f.fingerprint.as_str(),
            check_id: f.check_id(),
            account_id: f.account_id.as_str(),
            region: f.region.as_ref().map(|r| r.as_str()),
            severity: f.severity,
            severity_was: f.severity_was,
            security_group_id: f.security_group_id.as_ref().map(|g| g.as_str()),
            summary: &f.summary,
            first_seen: f.first_seen,
            reason: None,
        }
    }
    pub fn past(f: &'a crate::analyze::history::PastFinding, reason: Option<&'a str>) -> Self {
        DiffFinding {
            fingerprint: f.fingerprint.as_str(),
            check_id: &f.check_id,
            account_id: &f.account_id,
            region: f.region.as_deref(),
            severity: f.severity,
            severity_was: None,
            security_group_id: f.security_group_id.as_deref(),
            summary: &f.summary,
            first_seen: f.first_seen,
            reason,
        }
    }
}

/// The findings part of a comparison, as `diff.json` holds it.
#[derive(Serialize)]
pub(crate) struct FindingsDiff<'a> {
    #[serde(with = "time::serde::rfc3339")]
    pub baseline_as_of: time::OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub as_of: time::OffsetDateTime,
    pub counts: DiffCounts,
    pub new: Vec<DiffFinding<'a>>,
    pub severity_changed: Vec<DiffFinding<'a>>,
    pub resolved: Vec<DiffFinding<'a>>,
    pub unknown: Vec<DiffFinding<'a>>,
}

#[derive(Serialize)]
pub(crate) struct DiffCounts {
    pub new: usize,
    pub persisting: usize,
    pub severity_changed: usize,
    pub resolved: usize,
    pub unknown: usize,
}

pub(crate) fn findings_diff<'a>(a: &'a Assessment, c: &'a crate::analyze::history::Comparison) -> FindingsDiff<'a> {
    use crate::analyze::finding::Change;
    FindingsDiff {
        baseline_as_of: c.baseline_as_of,
        as_of: a.as_of,
        counts: DiffCounts {
            new: c.new,
            persisting: c.persisting,
            severity_changed: c.severity_changed,
            resolved: c.resolved.len(),
            unknown: c.unknown.len(),
        },
        new: a
            .findings
            .iter()
            .filter(|f| f.change == Some(Change::New))
            .map(DiffFinding::current)
            .collect(),
        severity_changed: a
            .findings
            .iter()
            .filter(|f| f.severity_was.is_some())
            .map(DiffFinding::current)
            .collect(),
        resolved: c.resolved.iter().map(|p| DiffFinding::past(p, None)).collect(),
        unknown: c
            .unknown
            .iter()
            .map(|u| DiffFinding::past(&u.finding, Some(u.reason.as_str())))
            .collect(),
    }
}

/// `diff.json`: the new, severity-changed, resolved and unknown findings,
/// and (from `sgaudit diff`) the rule-level change log.
pub(crate) fn write_diff(
    out: &OutDir,
    findings: &FindingsDiff,
    rules: Option<&[crate::analyze::changes::RuleChange]>,
) -> Result<WrittenFile, ReportError> {
    #[derive(Serialize)]
    struct DiffDocument<'a> {
        schema: &'static str,
        generator: Generator,
        #[serde(flatten)]
        findings: &'a FindingsDiff<'a>,
        #[serde(skip_serializing_if = "Option::is_none")]
        rules: Option<&'a [crate::analyze::changes::RuleChange]>,
    }
    let doc = DiffDocument {
        schema: "sgaudit/diff@1",
        generator: GENERATOR,
        findings,
        rules,
    };
    out.write_json_pretty("diff.json", &doc)
}
