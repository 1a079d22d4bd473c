//! Writing an assessment out: the HTML reports, Markdown, CSV and JSON, and
//! the evidence package (snapshot, effective config, manifest).
//!
//! Every file is written atomically (temporary file, then rename) and hashed
//! as it is written; `manifest.json` is written last, after the previous one
//! was removed, so an interrupted run leaves no manifest and cannot pass for
//! complete. Every output is a pure function of the assessment, the snapshot
//! and the config: no clock (but in the manifest), no randomness, sorted
//! lists. Re-running on the same inputs gives the same bytes.

mod compliance;
mod csv;
pub mod diff;
pub mod escape;
mod graph;
mod html;
pub(crate) mod interchange;
pub(crate) mod json;
mod markdown;
pub mod package;
pub mod records;
pub mod remediation;
pub mod rollup;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::analyze::history::PastFinding;
use crate::analyze::{AccountScore, Assessment, Finding, Severity};
use crate::config::LoadedConfig;
use crate::model::Snapshot;

use package::manifest;
use package::output::{OutDir, WrittenFile};
use records::Names;

/// An output format, as `--format` names it. The evidence package is always written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
pub enum Format {
    /// `index.html` and `accounts/<id>.html`
    Html,
    /// `report.md`
    Md,
    /// `findings.csv`, `scores.csv`, `rules.csv`
    Csv,
    /// `findings.json`, `scores.json`
    Json,
    /// `findings.ocsf.jsonl`: OCSF 1.3.0 Detection Findings (Security Lake, SIEMs)
    Ocsf,
    /// `findings.asff.json`: AWS Security Finding Format, in batches for
    /// `aws securityhub batch-import-findings`
    Asff,
}

impl Format {
    /// The formats written when `--format` is not given (the interchange
    /// formats are written on request).
    pub const DEFAULT: [Format; 4] = [Format::Html, Format::Md, Format::Csv, Format::Json];
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Format::Html => "html",
            Format::Md => "md",
            Format::Csv => "csv",
            Format::Json => "json",
            Format::Ocsf => "ocsf",
            Format::Asff => "asff",
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

/// What the reports are made from.
pub struct Inputs<'a> {
    pub assessment: &'a Assessment,
    pub snapshot: &'a Snapshot,
    /// The snapshot file as read: copied byte for byte into the package.
    pub snapshot_path: &'a Path,
    pub config: &'a LoadedConfig,
    /// The flow-log usage summary, and the file it was read from (copied
    /// byte for byte into the package).
    pub usage: Option<(&'a crate::model::usage::Usage, &'a Path)>,
    /// When the assessment runs: recorded in the manifest, nowhere else.
    pub assessed_at: time::OffsetDateTime,
}

type Job<'a> = Box<dyn FnOnce() -> Result<Vec<WrittenFile>, ReportError> + Send + 'a>;

/// Write the selected formats and the evidence package into `dir` (created
/// if missing). Returns every file written, the manifest last.
pub fn write(dir: &Path, inputs: &Inputs, formats: &[Format]) -> Result<Vec<WrittenFile>, ReportError> {
    let out = OutDir::create(dir)?;
    match std::fs::remove_file(out.path(manifest::MANIFEST)) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(source) => {
            return Err(ReportError::Io {
                path: out.path(manifest::MANIFEST),
                source,
            })
        }
    }
    let a = inputs.assessment;
    let snapshot = inputs.snapshot;
    let t0 = std::time::Instant::now();
    // Two indexes of the snapshot, made side by side.
    let (names, planner) = std::thread::scope(|scope| {
        let names = scope.spawn(|| Names::new(snapshot));
        let planner = remediation::Planner::new(snapshot, &inputs.config.config, a);
        (
            names.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            planner,
        )
    });
    tracing::debug!(elapsed = ?t0.elapsed(), "fixes planned");
    let (out, names, planner) = (&out, &names, &planner);
    let html = if formats.contains(&Format::Html) {
        Some(html::Html::new()?)
    } else {
        None
    };
    let slices = html.as_ref().map(|_| html::AccountSlices::new(a));
    // The account pages, with their scores.
    let pages: Option<Vec<_>> = html.as_ref().map(|_| {
        let scores: HashMap<&str, &AccountScore> = a.accounts.iter().map(|s| (s.account_id.as_str(), s)).collect();
        snapshot
            .accounts
            .iter()
            .map(|acc| (acc, scores[acc.account_id.as_str()]))
            .collect()
    });
    let page_queue = pages.as_deref().map(crate::par::Queue::new);
    let large = rollup::is_large(a);
    let md_accounts = match formats.contains(&Format::Md) && large {
        true => Some(markdown::AccountFiles::new(a, snapshot, names)?),
        false => None,
    };
    let md_queue = md_accounts.as_ref().map(|_| crate::par::Queue::new(&a.accounts));
    let snapshot_file = manifest::snapshot_file_name(inputs.snapshot_path);
    // The findings' lines: findings.json and OCSF are written together
    // when both are asked for, each finding's fix made once for both.
    let ocsf = match formats.contains(&Format::Ocsf) {
        true => Some(interchange::ocsf::Ocsf::new(a, snapshot, names, planner)),
        false => None,
    };
    let ocsf = ocsf.as_ref();

    // Independent jobs, run on every core.
    let mut jobs: Vec<Job> = vec![Box::new(move || {
        let mut files = vec![
            manifest::copy_input(out, inputs.snapshot_path, snapshot_file)?,
            out.write_bytes("config.toml", manifest::config_toml(inputs.config)?.as_bytes())?,
        ];
        if let Some((_, path)) = inputs.usage {
            files.push(manifest::copy_input(out, path, manifest::USAGE)?);
        }
        Ok(files)
    })];
    if formats.contains(&Format::Json) {
        jobs.push(Box::new(move || {
            let t = std::time::Instant::now();
            let mut files = json::write_findings(out, a, names, planner, ocsf)?;
            files.push(json::write_scores(out, a)?);
            tracing::debug!(elapsed = ?t.elapsed(), ocsf = ocsf.is_some(), "findings.json written");
            if let Some(c) = &a.comparison {
                files.push(json::write_diff(out, &json::findings_diff(a, c), None)?);
            }
            Ok(files)
        }));
    }
    if let (Some(ocsf), false) = (ocsf, formats.contains(&Format::Json)) {
        jobs.push(Box::new(move || Ok(vec![interchange::ocsf::write(out, ocsf)?])));
    }
    if formats.contains(&Format::Asff) {
        jobs.push(Box::new(move || {
            Ok(vec![interchange::asff::write(out, a, snapshot, names)?])
        }));
    }
    // The compliance views: pages with HTML, tables with CSV.
    if html.is_some() || formats.contains(&Format::Csv) {
        let html = html.as_ref();
        let csv = formats.contains(&Format::Csv);
        jobs.push(Box::new(move || {
            let t = std::time::Instant::now();
            let files = compliance::write(out, a, snapshot, html, csv);
            tracing::debug!(elapsed = ?t.elapsed(), "compliance views written");
            files
        }));
    }
    // The remediation scripts are evidence too: written whatever the formats.
    jobs.push(Box::new(move || {
        let t = std::time::Instant::now();
        let files = remediation::write_scripts(out, a, &snapshot.accounts, planner);
        tracing::debug!(elapsed = ?t.elapsed(), "remediation scripts written");
        files
    }));
    // The trend is history, not a report: written whatever the formats.
    jobs.push(Box::new(move || Ok(vec![json::write_trend(out, a)?])));
    if formats.contains(&Format::Csv) {
        jobs.push(Box::new(move || {
            Ok(vec![csv::write_findings(out, a, names)?, csv::write_scores(out, a)?])
        }));
        jobs.push(Box::new(move || Ok(vec![csv::write_rules(out, a, snapshot, names)?])));
    }
    if formats.contains(&Format::Md) {
        jobs.push(Box::new(move || {
            Ok(vec![out.write_bytes(
                "report.md",
                markdown::render(a, snapshot, names)?.as_bytes(),
            )?])
        }));
    }
    // A large organization's report.md has no room for the accounts'
    // sections: each goes to its own file beside it.
    if let (Some(files), Some(queue)) = (&md_accounts, &md_queue) {
        for _ in 0..crate::par::threads() {
            jobs.push(Box::new(move || {
                let mut written = Vec::new();
                while let Some((_, acc)) = queue.take() {
                    let text = files.render(acc)?;
                    written.push(out.write_bytes(&format!("accounts/{}.md", acc.account_id), text.as_bytes())?);
                }
                Ok(written)
            }));
        }
    }
    if let (Some(html), true) = (&html, large) {
        jobs.push(Box::new(move || {
            Ok(vec![
                out.write("accounts.html", |w| html.accounts(a, snapshot, w))?,
                out.write("checks.html", |w| html.checks(a, snapshot, w))?,
            ])
        }));
    }
    if let (Some(html), Some(slices), Some(queue)) = (&html, &slices, &page_queue) {
        jobs.push(Box::new(move || {
            Ok(vec![out.write_bytes(
                "index.html",
                html.index(a, snapshot, slices, names)?.as_bytes(),
            )?])
        }));
        // Pages are taken one at a time from a shared queue, so that the
        // workers finish together however uneven the accounts are.
        for _ in 0..crate::par::threads() {
            jobs.push(Box::new(move || {
                let mut files = Vec::new();
                while let Some((_, &(acc, score))) = queue.take() {
                    let networks = &inputs.config.config.networks;
                    // Rendered straight into the file: a page is never held whole.
                    files.push(out.write(&format!("accounts/{}.html", acc.account_id), |w| {
                        html.account(a, snapshot, acc, score, slices, names, planner, networks, w)
                    })?);
                }
                Ok(files)
            }));
        }
    }

    // As many jobs at a time as there are cores: more threads would not
    // write faster (the work is CPU-bound), but each running job holds its
    // working set (a compliance edition's statuses, a page's context), so
    // they would raise the peak of memory.
    tracing::debug!(elapsed = ?t0.elapsed(), jobs = jobs.len(), "report jobs start");
    let results = crate::par::map_queue_owned(jobs, |job| job());
    let mut written = Vec::new();
    for r in results {
        written.extend(r?);
    }
    written.sort();
    let manifest = manifest::write_manifest(out, written.clone(), snapshot_file, inputs)?;
    written.push(manifest);
    Ok(written)
}

/// What every rendered report says about itself: version, the snapshot's
/// time, the organization, who collected it.
pub(crate) fn header_context(a: &Assessment, snapshot: &Snapshot) -> tera::Context {
    let mut ctx = tera::Context::new();
    ctx.insert("version", env!("CARGO_PKG_VERSION"));
    ctx.insert("as_of", &rfc3339(a.as_of));
    ctx.insert("organization", &snapshot.organization.as_ref().map(|o| o.id.clone()));
    ctx.insert("caller", &snapshot.caller_identity.as_ref().map(|c| c.arn.clone()));
    ctx.insert(
        "imported",
        &snapshot
            .imported
            .as_ref()
            .map(|i| format!("{} files, its time from {}", i.files.len(), i.taken_at_from)),
    );
    ctx
}

/// Count of open findings at each severity, worst first.
pub fn open_by_severity(a: &Assessment) -> Vec<(Severity, usize)> {
    Severity::ALL
        .into_iter()
        .map(|s| (s, a.open_findings().filter(|f| f.severity == s).count()))
        .collect()
}

/// The `n` worst open findings: by severity, internet-exposed first, then in
/// the assessment's order.
pub fn top_risks(a: &Assessment, n: usize) -> Vec<&Finding> {
    let mut open: Vec<&Finding> = a.open_findings().collect();
    open.sort_by(|x, y| y.severity.cmp(&x.severity).then(y.exposure.cmp(&x.exposure)));
    open.truncate(n);
    open
}

/// What both summaries (`index.html`, `report.md`) count alike: open
/// findings by severity, worst first; the open, accepted and overdue totals;
/// whether there is a baseline and, against it, the fixed findings (the 10
/// worst listed) and how many are unknown.
/// Open findings by the verdict of their reachability: proven reachable,
/// public but blocked, unverified.
#[derive(serde::Serialize)]
pub(crate) struct ReachCounts {
    reachable: usize,
    blocked: usize,
    unverified: usize,
}

pub(crate) fn reach_counts(a: &Assessment) -> ReachCounts {
    use crate::analyze::reach::Verdict;
    let count = |v: Verdict| {
        a.open_findings()
            .filter(|f| f.reachability.as_ref().is_some_and(|r| r.verdict == v))
            .count()
    };
    ReachCounts {
        reachable: count(Verdict::Reachable),
        blocked: count(Verdict::Blocked),
        unverified: count(Verdict::Unknown),
    }
}

/// The flow-log figures of page one.
#[derive(serde::Serialize)]
pub(crate) struct UsageCounts {
    days: u32,
    since: String,
    until: String,
    objects: usize,
    unread_objects: usize,
    records: u64,
    rules: usize,
    used: usize,
    unused: usize,
    not_assessed: usize,
    tightenable: usize,
}

pub(crate) fn usage_counts(a: &Assessment) -> Option<UsageCounts> {
    let u = a.usage.as_ref()?;
    Some(UsageCounts {
        days: u.window.days(),
        since: u.window.since.date().to_string(),
        // The window ends before `until`: its last day is the one before.
        until: (u.window.until - time::Duration::seconds(1)).date().to_string(),
        objects: u.objects,
        unread_objects: u.unread_objects,
        records: u.records.total,
        rules: u.rules,
        used: u.used,
        unused: u.unused,
        not_assessed: u.not_assessed,
        tightenable: u.tightenable,
    })
}

pub(crate) fn insert_counts(ctx: &mut tera::Context, a: &Assessment) {
    ctx.insert("reach", &reach_counts(a));
    ctx.insert("usage", &usage_counts(a));
    let by_severity: Vec<(&str, usize)> = open_by_severity(a).into_iter().map(|(s, n)| (s.label(), n)).collect();
    ctx.insert("severity_counts", &by_severity);
    let open = a.open_findings().count();
    ctx.insert("open_total", &open);
    ctx.insert("accepted_total", &(a.findings.len() - open));
    ctx.insert("overdue", &a.open_findings().filter(|f| f.overdue).count());
    ctx.insert("compared", &a.comparison.is_some());
    if let Some(c) = &a.comparison {
        let mut fixed: Vec<&PastFinding> = c.resolved.iter().collect();
        fixed.sort_by_key(|x| std::cmp::Reverse(x.severity));
        fixed.truncate(10);
        ctx.insert("fixed_count", &c.resolved.len());
        ctx.insert("fixed", &fixed);
        ctx.insert("unknown_count", &c.unknown.len());
    }
}

/// The `n` open findings that have waited longest (worst first among
/// equals), not counting those first seen today.
pub(crate) fn oldest_open(a: &Assessment, n: usize) -> Vec<&Finding> {
    let mut oldest: Vec<&Finding> = a.open_findings().filter(|f| f.age_days > 0).collect();
    oldest.sort_by(|x, y| y.age_days.cmp(&x.age_days).then(y.severity.cmp(&x.severity)));
    oldest.truncate(n);
    oldest
}

/// The open findings new since the baseline, in the assessment's order.
pub(crate) fn new_open(a: &Assessment) -> Vec<&Finding> {
    let new = Some(crate::analyze::finding::Change::New);
    a.open_findings().filter(|f| f.change == new).collect()
}

/// A time as RFC 3339, as every report writes it.
pub(crate) fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Map a Tera error to the template it came from.
pub(crate) fn template_err(template: &'static str) -> impl FnOnce(tera::Error) -> ReportError {
    move |source| ReportError::Template { template, source }
}
