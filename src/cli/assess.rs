//! `sgaudit assess`: snapshot + config → findings, scores, reports.

use std::process::ExitCode;

use anyhow::Context;

use crate::analyze::{self, checks, Assessment};
use crate::config::{self, LoadedConfig};
use crate::model;
use crate::report;

use super::{exit, AssessArgs, Gates, UsageError};

/// Load the config (or the defaults), and check what only the analysis
/// knows: that exceptions name existing checks.
pub fn load_config(path: Option<&std::path::Path>) -> anyhow::Result<LoadedConfig> {
    let loaded = match path {
        Some(p) => config::load(p).map_err(|e| UsageError(e.to_string()))?,
        None => LoadedConfig::defaults(),
    };
    for (i, e) in loaded.config.exceptions.iter().enumerate() {
        if let Some(c) = &e.check {
            if checks::find(c).is_none() {
                let err = loaded.error_at(
                    e.span.clone(),
                    format!("exceptions[{i}].check"),
                    format!(
                        "no check `{c}`; `sgaudit checks` lists the ids (SGA101) and names (admin-port-open-to-world)"
                    ),
                );
                return Err(UsageError(err.to_string()).into());
            }
        }
    }
    Ok(loaded)
}

pub fn run(args: AssessArgs, quiet: bool) -> anyhow::Result<ExitCode> {
    let loaded = load_config(args.config.as_deref())?;
    // The baseline and the snapshot are independent: read them side by side.
    let (baseline, snapshot) = std::thread::scope(|scope| {
        let baseline = scope.spawn(|| load_baseline(&args.gates));
        let started = std::time::Instant::now();
        let snapshot = model::read_snapshot(&args.snapshot);
        if let Ok(s) = &snapshot {
            tracing::info!(accounts = s.accounts.len(), elapsed = ?started.elapsed(), memory_mib = ?super::memory_mib(), "snapshot read");
        }
        (baseline.join().expect("the baseline reader panicked"), snapshot)
    });
    let baseline = baseline?;
    let snapshot = snapshot?;
    let usage = match &args.usage {
        Some(path) => Some(load_usage(path, &args.snapshot, quiet)?),
        None => None,
    };
    assess_and_report(
        snapshot,
        &args.snapshot,
        &loaded,
        &args.out,
        &args.format,
        &args.gates,
        Extra { baseline, usage },
        quiet,
    )
}

/// What `assess_and_report` may use beside the snapshot: a verified
/// baseline, and a usage summary with the file it came from.
pub struct Extra {
    pub baseline: Option<analyze::history::Baseline>,
    pub usage: Option<(model::usage::Usage, std::path::PathBuf)>,
}

/// Read `--usage`, warning when it was made from another snapshot.
fn load_usage(
    path: &std::path::Path,
    snapshot_path: &std::path::Path,
    quiet: bool,
) -> anyhow::Result<(model::usage::Usage, std::path::PathBuf)> {
    let usage = model::usage::read_usage(path).map_err(|e| UsageError(format!("--usage: {e}")))?;
    let bytes = std::fs::read(snapshot_path).with_context(|| format!("reading {}", snapshot_path.display()))?;
    if crate::digest::sha256_tag(&bytes) != usage.snapshot.sha256 && !quiet {
        eprintln!(
            "sgaudit: {} was made from another snapshot (collected {}): its rules are matched to this one's by \
             account, region, group and rule; rules added since are \"not assessed\"",
            path.display(),
            crate::report::rfc3339(usage.snapshot.started_at)
        );
    }
    Ok((usage, path.to_path_buf()))
}

/// The baseline given with --baseline, verified.
pub fn load_baseline(gates: &Gates) -> anyhow::Result<Option<analyze::history::Baseline>> {
    let Some(dir) = &gates.baseline else { return Ok(None) };
    let started = std::time::Instant::now();
    let baseline = report::package::baseline::load(dir)?;
    tracing::info!(findings = baseline.findings.len(), elapsed = ?started.elapsed(), "baseline read and verified");
    Ok(Some(baseline))
}

/// Assess a snapshot (read from `snapshot_path`) and write everything into `out`.
pub fn assess_and_report(
    mut snapshot: model::Snapshot,
    snapshot_path: &std::path::Path,
    loaded: &LoadedConfig,
    out: &std::path::Path,
    formats: &[report::Format],
    gates: &Gates,
    extra: Extra,
    quiet: bool,
) -> anyhow::Result<ExitCode> {
    let started = std::time::Instant::now();
    let Extra { baseline, usage } = extra;
    let evidence = analyze::Evidence {
        baseline: baseline.as_ref(),
        usage: usage.as_ref().map(|u| &u.0),
    };
    // The reports read the groups, not the network around them: each
    // region's network detail is dropped once its checks have run.
    let assessment = analyze::assess_releasing(&mut snapshot, &loaded.config, &evidence);
    tracing::info!(findings = assessment.findings.len(), elapsed = ?started.elapsed(), memory_mib = ?super::memory_mib(), "assessed");
    // The network detail and the checks' indexes are freed: hand their
    // pages back before the reports allocate theirs.
    super::return_freed_memory();
    let inputs = report::Inputs {
        assessment: &assessment,
        snapshot: &snapshot,
        snapshot_path,
        config: loaded,
        usage: usage.as_ref().map(|(u, p)| (u, p.as_path())),
        assessed_at: time::OffsetDateTime::now_utc(),
    };
    let written =
        report::write(out, &inputs, formats).with_context(|| format!("writing reports to {}", out.display()))?;
    tracing::info!(files = written.len(), elapsed = ?started.elapsed(), memory_mib = ?super::memory_mib(), "reports written");
    if !quiet {
        summarize(&assessment, out, written.len());
    }
    let code = exit_code(&assessment, gates, quiet);
    // The process ends here: freeing a million rules one by one would only
    // delay the exit (by about half a second on a large organization).
    std::mem::forget(snapshot);
    std::mem::forget(assessment);
    std::mem::forget(baseline);
    std::mem::forget(usage);
    Ok(ExitCode::from(code))
}

/// How many causes of "not assessed" a large organization's summary prints.
const SHOWN: usize = 10;

fn summarize(a: &Assessment, out: &std::path::Path, files: usize) {
    let org = &a.org;
    if let Some(c) = &a.comparison {
        eprintln!(
            "sgaudit: since the baseline: {} new, {} fixed, {} persisting ({} changed severity), {} unknown",
            c.new,
            c.resolved.len(),
            c.persisting,
            c.severity_changed,
            c.unknown.len()
        );
    }
    let overdue = a.open_findings().filter(|f| f.overdue).count();
    if overdue > 0 {
        eprintln!("sgaudit: {overdue} open finding(s) past their age target ([sla])");
    }
    let counts: Vec<String> = report::open_by_severity(a)
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(s, n)| format!("{n} {s}"))
        .collect();
    let score = org
        .score
        .map(|s| format!("{s:.1}"))
        .unwrap_or_else(|| "not assessed".into());
    eprintln!(
        "sgaudit: {} of {} accounts assessed; {} open findings{}; org score {} ({})",
        org.accounts_assessed,
        org.accounts,
        a.open_findings().count(),
        if counts.is_empty() {
            String::new()
        } else {
            format!(" ({})", counts.join(", "))
        },
        score,
        org.status.label()
    );
    if report::rollup::is_large(a) {
        // One line per cause, not per account: a large organization's
        // terminal would scroll through thousands.
        let gaps = report::rollup::grouped_collection_gaps(a);
        for g in gaps.iter().take(SHOWN) {
            eprintln!(
                "sgaudit: not assessed in {} account(s), e.g. {}: {}",
                g.accounts,
                g.examples.join(", "),
                g.what
            );
        }
        if gaps.len() > SHOWN {
            eprintln!(
                "sgaudit: and {} other causes: accounts.html lists them",
                gaps.len() - SHOWN
            );
        }
    } else {
        for acc in &a.accounts {
            for m in &acc.collection.missing {
                eprintln!("sgaudit: not assessed: {} {}: {m}", acc.account_id, acc.name);
            }
        }
    }
    let first = if out.join("index.html").is_file() {
        "index.html"
    } else {
        "report.md"
    };
    eprintln!(
        "sgaudit: wrote {files} files to {} (start with {first}; manifest.json lists them)",
        out.display()
    );
}

fn exit_code(a: &Assessment, gates: &Gates, quiet: bool) -> u8 {
    let mut tripped = Vec::new();
    if let Some(min) = gates.fail_under {
        match a.org.score {
            Some(s) if s >= min => {}
            Some(s) => tripped.push(format!("org score {s:.1} is below --fail-under {min}")),
            None => tripped.push(format!("org score could not be computed (--fail-under {min})")),
        }
    }
    if let Some(sev) = gates.fail_on {
        let n = a.open_findings().filter(|f| f.severity >= sev).count();
        if n > 0 {
            tripped.push(format!(
                "{n} open finding(s) of severity {sev} or worse (--fail-on {sev})"
            ));
        }
    }
    if let Some(sev) = gates.fail_on_new {
        let new = Some(analyze::finding::Change::New);
        let n = a
            .open_findings()
            .filter(|f| f.severity >= sev && f.change == new)
            .count();
        if n > 0 {
            tripped.push(format!(
                "{n} new open finding(s) of severity {sev} or worse (--fail-on-new {sev})"
            ));
        }
    }
    if !tripped.is_empty() {
        for t in &tripped {
            eprintln!("sgaudit: gate tripped: {t}");
        }
        return exit::GATE;
    }
    let unread = a.usage.as_ref().map_or(0, |u| u.unread_objects);
    if a.is_partial() || unread > 0 {
        if !quiet {
            if unread > 0 {
                eprintln!("sgaudit: {unread} flow-log object(s) could not be read: usage.json names them");
            }
            eprintln!("sgaudit: the assessment is partial (exit code 3): see \"Not assessed\" in report.md");
        }
        return exit::PARTIAL;
    }
    exit::OK
}
