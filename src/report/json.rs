//! `findings.json` and `scores.json`.

use serde::Serialize;

use crate::analyze::{Assessment, Finding};

use super::interchange::ocsf::{self, Ocsf};
use super::package::output::{OutDir, WrittenFile};
use super::records::{FindingRecord, Names};
use super::remediation::{Planner, RemediationRecord};
use super::ReportError;
use std::io::Write;

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

/// How many findings one thread serializes at a time (with OCSF, a run is
/// two buffers: 1,024 findings make about 5 MB).
const RUN: usize = 1024;

/// `findings.json`: the header pretty-printed, then one finding per line, so
/// that the file stays small, greps well and diffs line by line. With `ocsf`,
/// `findings.ocsf.jsonl` too, in the same pass: each finding's fix is planned
/// and written out once for both (it is most of the cost of a line).
pub fn write_findings(
    out: &OutDir,
    a: &Assessment,
    names: &Names,
    planner: &Planner,
    ocsf: Option<&Ocsf>,
) -> Result<Vec<WrittenFile>, ReportError> {
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
    // Runs of findings are serialized on every core, and written in order.
    let first = a.findings.first();
    let lines = |run: &[Finding]| -> Result<(Vec<u8>, Vec<u8>), serde_json::Error> {
        let mut json = Vec::with_capacity(run.len() * 2048);
        let mut ocsf_lines = Vec::with_capacity(if ocsf.is_some() { run.len() * 3072 } else { 0 });
        for finding in run {
            let head = first.is_some_and(|f| std::ptr::eq(finding, f));
            json.extend_from_slice(if head { b"\n    " } else { b",\n    " });
            let mut record = FindingRecord::new(finding, names);
            let fix = RemediationRecord::new(finding, &planner.fix(finding), planner);
            if let Some(ocsf) = ocsf {
                ocsf.line(finding, &fix, &mut ocsf_lines)?;
            }
            record.remediation = Some(fix);
            serde_json::to_writer(&mut json, &record)?;
        }
        Ok((json, ocsf_lines))
    };
    let body = |w: &mut dyn Write, mut ocsf_w: Option<&mut dyn Write>| -> std::io::Result<()> {
        let head = serde_json::to_string_pretty(&header)?;
        let head = head.strip_suffix("\n}").unwrap_or(&head);
        w.write_all(head.as_bytes())?;
        w.write_all(b",\n  \"findings\": [")?;
        crate::par::map_runs_in_order(&a.findings, RUN, lines, |bufs| -> std::io::Result<()> {
            let (json, ocsf_lines) = bufs?;
            w.write_all(&json)?;
            if let Some(o) = ocsf_w.as_mut() {
                o.write_all(&ocsf_lines)?;
            }
            Ok(())
        })?;
        w.write_all(if a.findings.is_empty() {
            b"]\n}\n"
        } else {
            b"\n  ]\n}\n"
        })
    };
    if ocsf.is_none() {
        return Ok(vec![out.write("findings.json", |w| body(w, None))?]);
    }
    // Both files at once: the OCSF file is written inside findings.json's
    // writer, and an error in either fails both (neither is renamed into
    // place). The error reported is the OCSF file's: in the shared pass a
    // write to either file fails there first.
    let mut ocsf_file = None;
    let json_file = out.write("findings.json", |w| {
        let written = out.write(ocsf::FILE, |o| body(w, Some(o)));
        let failed = written.is_err();
        ocsf_file = Some(written);
        match failed {
            true => Err(std::io::Error::other("findings.ocsf.jsonl could not be written")),
            false => Ok(()),
        }
    });
    let ocsf_file = ocsf_file.expect("set by the writer")?;
    Ok(vec![json_file?, ocsf_file])
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
