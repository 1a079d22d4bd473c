//! `sgaudit diff OLD_DIR NEW_DIR`: two assessments compared.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

use crate::analyze::{self, changes};
use crate::config;
use crate::model;
use crate::report;
use crate::report::package::{manifest, output::OutDir};

use super::{exit, DiffArgs, UsageError};

/// The snapshot copy in a package.
fn package_snapshot(dir: &Path) -> anyhow::Result<PathBuf> {
    report::package::snapshot_path(dir).ok_or_else(|| {
        UsageError(format!(
            "{} has no snapshot.json: not an sgaudit output directory",
            dir.display()
        ))
        .into()
    })
}

/// A package's snapshot, config and, when the assessment had one, usage summary.
fn package(dir: &Path) -> anyhow::Result<(model::Snapshot, config::LoadedConfig, Option<model::usage::Usage>)> {
    let snapshot = model::read_snapshot(&package_snapshot(dir)?)?;
    let config = config::load(&dir.join("config.toml")).map_err(|e| UsageError(e.to_string()))?;
    let usage_path = dir.join(manifest::USAGE);
    let usage = if usage_path.is_file() {
        Some(model::usage::read_usage(&usage_path)?)
    } else {
        None
    };
    Ok((snapshot, config, usage))
}

pub fn run(args: DiffArgs, quiet: bool) -> anyhow::Result<ExitCode> {
    let baseline =
        report::package::baseline::load(&args.old).with_context(|| format!("reading {}", args.old.display()))?;
    let check = manifest::verify(&args.new)?;
    if !check.is_intact() {
        return Err(UsageError(format!(
            "{} does not match its manifest ({} changed, {} missing, {} added); `sgaudit verify {}` lists them",
            args.new.display(),
            check.changed.len(),
            check.missing.len(),
            check.added.len(),
            args.new.display()
        ))
        .into());
    }
    let (new_snapshot, new_config, new_usage) = package(&args.new)?;
    let (old_snapshot, old_config, old_usage) = package(&args.old)?;
    // Each assessed as it was: with its own usage summary, if it had one.
    let new = analyze::assess_with(
        &new_snapshot,
        &new_config.config,
        &analyze::Evidence {
            baseline: Some(&baseline),
            usage: new_usage.as_ref(),
        },
    );
    let old = analyze::assess_with(
        &old_snapshot,
        &old_config.config,
        &analyze::Evidence {
            baseline: None,
            usage: old_usage.as_ref(),
        },
    );
    let rules = changes::between(&old_snapshot, &old, &new_snapshot, &new);
    let c = new.comparison.as_ref().expect("a baseline was given");

    let count = |k: changes::ChangeKind| rules.iter().filter(|r| r.kind == k).count();
    use changes::ChangeKind as K;
    println!(
        "findings: {} new, {} fixed, {} persisting ({} changed severity), {} unknown (not assessed this time)",
        c.new,
        c.resolved.len(),
        c.persisting,
        c.severity_changed,
        c.unknown.len()
    );
    println!(
        "security groups: {} created, {} deleted; rules: {} added, {} removed, {} re-described; {} group(s) became internet-exposed, {} stopped being",
        count(K::GroupCreated),
        count(K::GroupDeleted),
        count(K::RuleAdded),
        count(K::RuleRemoved),
        count(K::DescriptionChanged),
        count(K::BecameInternetExposed),
        count(K::NoLongerInternetExposed)
    );
    let findings = report::json::findings_diff(&new, c);
    let fresh = findings.new.iter().take(10).map(|f| ("new", f));
    let fixed = findings.resolved.iter().take(10).map(|f| ("fixed", f));
    for (change, f) in fresh.chain(fixed) {
        println!(
            "  {change:<6} {:<8} {} {} {}: {}",
            f.severity,
            f.check_id,
            f.account_id,
            f.region.unwrap_or("-"),
            f.summary
        );
    }
    if let Some(dir) = &args.out {
        let out = OutDir::create(dir)?;
        let written =
            report::diff::write(&out, &findings, &rules).with_context(|| format!("writing {}", dir.display()))?;
        if !quiet {
            eprintln!("sgaudit: wrote {} files to {}", written.len(), dir.display());
        }
    }
    Ok(ExitCode::from(exit::OK))
}
