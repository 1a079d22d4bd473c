//! Writing an assessment out: JSON, CSV and Markdown (HTML comes with the
//! full reports).
//!
//! Every file is written atomically (temporary file, then rename), and every
//! output is a pure function of the assessment and the snapshot: no clock, no
//! randomness, sorted lists. Re-running on the same inputs gives the same bytes.

pub mod escape;
mod markdown;
pub mod records;

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::analyze::{Assessment, Severity};
use crate::model::Snapshot;

use records::{FindingRecord, Names};

/// An output format, as `--format` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
pub enum Format {
    Json,
    Csv,
    Md,
}

impl Format {
    pub const ALL: [Format; 3] = [Format::Json, Format::Csv, Format::Md];
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Format::Json => "json",
            Format::Csv => "csv",
            Format::Md => "md",
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("cannot write {path}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot render {template}")]
    Template {
        template: &'static str,
        #[source]
        source: tera::Error,
    },
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> ReportError + '_ {
    move |source| ReportError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Write the selected formats into `dir` (created if missing). Returns the
/// files written, in a fixed order. The formats are written concurrently.
pub fn write(
    dir: &Path,
    assessment: &Assessment,
    snapshot: &Snapshot,
    formats: &[Format],
) -> Result<Vec<PathBuf>, ReportError> {
    std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    let names = Names::new(snapshot);
    let names = &names;
    let results: Vec<Result<Vec<PathBuf>, ReportError>> = std::thread::scope(|scope| {
        let jobs: Vec<_> = formats
            .iter()
            .copied()
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .map(|format| {
                scope.spawn(move || -> Result<Vec<PathBuf>, ReportError> {
                    match format {
                        Format::Json => Ok(vec![
                            write_findings_json(&dir.join("findings.json"), assessment, names)?,
                            write_json(&dir.join("scores.json"), &scores_document(assessment))?,
                        ]),
                        Format::Csv => Ok(vec![
                            write_findings_csv(&dir.join("findings.csv"), assessment, names)?,
                            write_scores_csv(&dir.join("scores.csv"), assessment)?,
                        ]),
                        Format::Md => {
                            let path = dir.join("report.md");
                            let text = markdown::render(assessment, snapshot, names)?;
                            crate::atomic::write(&path, text.as_bytes()).map_err(io_err(&path))?;
                            Ok(vec![path])
                        }
                    }
                })
            })
            .collect();
        jobs.into_iter()
            .map(|j| j.join().expect("a report writer panicked"))
            .collect()
    });
    let mut written = Vec::new();
    for r in results {
        written.extend(r?);
    }
    Ok(written)
}

#[derive(Serialize)]
struct Generator {
    name: &'static str,
    version: &'static str,
}

const GENERATOR: Generator = Generator {
    name: env!("CARGO_PKG_NAME"),
    version: env!("CARGO_PKG_VERSION"),
};

#[derive(Serialize)]
struct FindingsHeader {
    schema: &'static str,
    generator: Generator,
    #[serde(with = "time::serde::rfc3339")]
    as_of: time::OffsetDateTime,
    count: usize,
    open: usize,
    /// Every control the findings name, by the label they use.
    controls: std::collections::BTreeMap<String, &'static crate::controls::Control>,
}

/// `findings.json`: the header pretty-printed, then one finding per line, so
/// that the file stays small, greps well and diffs line by line.
fn write_findings_json(path: &Path, a: &Assessment, names: &Names) -> Result<PathBuf, ReportError> {
    let mut controls = std::collections::BTreeMap::new();
    for f in &a.findings {
        for c in &f.controls {
            controls.entry(c.label()).or_insert(*c);
        }
    }
    let header = FindingsHeader {
        schema: "sgaudit/findings@1",
        generator: GENERATOR,
        as_of: a.as_of,
        count: a.findings.len(),
        open: a.open_findings().count(),
        controls,
    };
    crate::atomic::write_with(path, |f| {
        use std::io::Write;
        let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
        let head = serde_json::to_string_pretty(&header)?;
        let head = head.strip_suffix("\n}").unwrap_or(&head);
        w.write_all(head.as_bytes())?;
        w.write_all(b",\n  \"findings\": [")?;
        for (i, finding) in a.findings.iter().enumerate() {
            w.write_all(if i == 0 { b"\n    " } else { b",\n    " })?;
            serde_json::to_writer(&mut w, &FindingRecord::new(finding, names))?;
        }
        w.write_all(if a.findings.is_empty() {
            b"]\n}\n"
        } else {
            b"\n  ]\n}\n"
        })?;
        w.flush()
    })
    .map_err(io_err(path))?;
    Ok(path.to_path_buf())
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

fn scores_document(a: &Assessment) -> ScoresDocument<'_> {
    ScoresDocument {
        schema: "sgaudit/scores@1",
        generator: GENERATOR,
        as_of: a.as_of,
        org: &a.org,
        accounts: &a.accounts,
        exceptions: &a.exceptions,
    }
}

fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<PathBuf, ReportError> {
    crate::atomic::write_with(path, |f| {
        let mut w = std::io::BufWriter::new(f);
        serde_json::to_writer_pretty(&mut w, value)?;
        std::io::Write::write_all(&mut w, b"\n")?;
        std::io::Write::flush(&mut w)
    })
    .map_err(io_err(path))?;
    Ok(path.to_path_buf())
}

/// Write rows with a header, every text cell neutralised against formulas.
fn write_csv(path: &Path, header: &[&str], rows: impl Iterator<Item = Vec<String>>) -> Result<PathBuf, ReportError> {
    crate::atomic::write_with(path, |f| {
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(std::io::BufWriter::new(f));
        w.write_record(header)?;
        for row in rows {
            w.write_record(row.iter().map(|c| escape::csv_cell(c).into_owned()))?;
        }
        w.flush()
    })
    .map_err(io_err(path))?;
    Ok(path.to_path_buf())
}

fn opt_num(x: Option<f64>) -> String {
    x.map(|v| format!("{v:.1}")).unwrap_or_default()
}

fn write_findings_csv(path: &Path, a: &Assessment, names: &Names) -> Result<PathBuf, ReportError> {
    let header = [
        "severity",
        "status",
        "account_id",
        "account_name",
        "region",
        "check_id",
        "check_name",
        "question",
        "title",
        "exposure",
        "security_group_id",
        "security_group_name",
        "resource_ids",
        "summary",
        "rule_direction",
        "rule_protocol",
        "rule_ports",
        "rule_source",
        "rule_description",
        "controls",
        "exception_owner",
        "exception_reason",
        "exception_expires",
    ];
    let rows = a.findings.iter().map(|f| {
        let r = FindingRecord::new(f, names);
        let rule = r.rule;
        vec![
            r.severity.to_string(),
            r.status.to_string(),
            r.account_id.to_string(),
            r.account_name.to_string(),
            r.region.unwrap_or("").to_string(),
            r.check_id.to_string(),
            r.check_name.to_string(),
            r.question.to_string(),
            r.title.to_string(),
            r.exposure.map(|e| e.to_string()).unwrap_or_default(),
            r.security_group_id.unwrap_or("").to_string(),
            r.security_group_name.unwrap_or("").to_string(),
            r.resource_ids.join(" "),
            r.summary.to_string(),
            rule.map(|x| x.direction.to_string()).unwrap_or_default(),
            rule.map(|x| x.protocol.clone()).unwrap_or_default(),
            rule.map(|x| x.ports.clone()).unwrap_or_default(),
            rule.map(|x| x.source.clone()).unwrap_or_default(),
            rule.and_then(|x| x.description.clone()).unwrap_or_default(),
            f.controls.iter().map(|c| c.label()).collect::<Vec<_>>().join("; "),
            r.exception.map(|e| e.owner.clone()).unwrap_or_default(),
            r.exception.map(|e| e.reason.clone()).unwrap_or_default(),
            r.exception.map(|e| e.expires.clone()).unwrap_or_default(),
        ]
    });
    write_csv(path, &header, rows)
}

fn write_scores_csv(path: &Path, a: &Assessment) -> Result<PathBuf, ReportError> {
    let header = [
        "account_id",
        "account_name",
        "ou_path",
        "collection",
        "Q1",
        "Q2",
        "Q3",
        "Q4",
        "Q5",
        "overall",
        "status",
        "Q1_status",
        "Q2_status",
        "Q3_status",
        "Q4_status",
        "Q5_status",
        "open_critical",
        "open_high",
        "open_medium",
        "open_low",
        "open_info",
        "accepted",
    ];
    let rows = a.accounts.iter().map(|acc| {
        let mut row = vec![
            acc.account_id.clone(),
            acc.name.clone(),
            acc.ou_path.clone(),
            acc.collection.state.to_string(),
        ];
        row.extend(acc.questions.iter().map(|q| opt_num(q.score)));
        row.push(opt_num(acc.score));
        row.push(acc.status.label().to_string());
        row.extend(acc.questions.iter().map(|q| q.status.label().to_string()));
        row.extend(acc.open_findings.iter().map(|n| n.to_string()));
        row.push(acc.accepted_findings.to_string());
        row
    });
    write_csv(path, &header, rows)
}

/// Count of open findings at each severity, worst first.
pub fn open_by_severity(a: &Assessment) -> Vec<(Severity, usize)> {
    Severity::ALL
        .into_iter()
        .map(|s| (s, a.open_findings().filter(|f| f.severity == s).count()))
        .collect()
}
