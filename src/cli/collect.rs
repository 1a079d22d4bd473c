//! `sgaudit collect`: the organization into a snapshot.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;

use crate::collect::{self, Keep, Progress};
use crate::config::LoadedConfig;
use crate::model::parts::Tally;
use crate::model::{self, AccountId, Snapshot};
use crate::report;

use super::assess::load_config;
use super::{exit, CollectArgs, CollectCommand, UsageError};

/// The config file with the command line's flags on top.
pub(super) fn effective_config(args: &CollectArgs) -> anyhow::Result<LoadedConfig> {
    let mut loaded = load_config(args.config.as_deref())?;
    let c = &mut loaded.config.collect;
    if let Some(v) = &args.role_name {
        c.role_name = v.clone();
    }
    if let Some(v) = &args.external_id {
        c.external_id = Some(v.clone());
    }
    if !args.regions.is_empty() {
        c.regions = args.regions.clone();
    }
    if !args.accounts.is_empty() {
        c.accounts = args
            .accounts
            .iter()
            .map(|a| AccountId::parse(a.trim()).map_err(|e| UsageError(format!("--accounts: {e}"))))
            .collect::<Result<_, _>>()?;
    }
    if !args.ous.is_empty() {
        c.ous = args.ous.clone();
    }
    if let Some(v) = args.max_concurrency {
        if v == 0 {
            return Err(UsageError("--max-concurrency must be at least 1".into()).into());
        }
        c.max_concurrency = v;
    }
    if let Some(v) = &args.profile {
        c.profile = Some(v.clone());
    }
    Ok(loaded)
}

/// `sha256:<hex>` of the effective configuration as the evidence package writes it.
fn config_digest(loaded: &LoadedConfig) -> anyhow::Result<String> {
    use sha2::Digest;
    let text = report::package::manifest::config_toml(loaded)?;
    Ok(format!(
        "sha256:{}",
        report::package::output::hex(&sha2::Sha256::digest(text.as_bytes()))
    ))
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// Collect into memory (`sgaudit run`, which assesses the snapshot at once).
pub(super) fn collect_snapshot(loaded: &LoadedConfig, quiet: bool) -> anyhow::Result<Snapshot> {
    let digest = config_digest(loaded)?;
    let progress = Progress::new(quiet);
    let collected = runtime()?.block_on(collect::collect(
        &loaded.config.collect,
        Some(digest),
        progress,
        Keep::Memory,
    ))?;
    Ok(collected.snapshot)
}

/// Each account's tally, for [`report_gaps`] and [`summary`].
pub(super) fn tallies(snapshot: &Snapshot) -> Vec<Tally> {
    snapshot.accounts.iter().map(Tally::of).collect()
}

/// What was not collected, for stderr; true if anything.
pub(super) fn report_gaps(tallies: &[Tally], quiet: bool) -> bool {
    let mut partial = false;
    for line in tallies.iter().flat_map(|t| &t.problems) {
        partial = true;
        if !quiet {
            eprintln!("sgaudit: not collected: {line}");
        }
    }
    partial
}

pub(super) fn summary(tallies: &[Tally]) -> String {
    let collected = tallies.iter().filter(|t| t.collected).count();
    let regions: usize = tallies.iter().map(|t| t.regions_ok).sum();
    let groups: usize = tallies.iter().map(|t| t.security_groups).sum();
    format!(
        "collected {collected} of {} accounts, {regions} account-regions, {groups} security groups",
        tallies.len()
    )
}

pub fn run(args: CollectCommand, quiet: bool) -> anyhow::Result<ExitCode> {
    let mut loaded = effective_config(&args.collect)?;
    loaded.config.collect.shard = args.shard;
    let digest = config_digest(&loaded)?;
    if let Some(dir) = args.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let keep = Keep::Checkpoints {
        snapshot: args.out.clone(),
        resume: args.resume,
    };
    let progress = Progress::new(quiet);
    let collected = runtime()?.block_on(collect::collect(&loaded.config.collect, Some(digest), progress, keep))?;
    let checkpointed = collected.checkpoints.expect("a collection to a file is checkpointed");
    let parts = checkpointed.parts;
    parts
        .assemble(&collected.snapshot, &checkpointed.accounts, &args.out)
        .with_context(|| format!("writing the snapshot to {}", args.out.display()))?;
    let dir = parts.dir().to_path_buf();
    parts.remove().with_context(|| {
        format!(
            "removing the checkpoints in {} (the snapshot is written)",
            dir.display()
        )
    })?;
    let tallies: Vec<Tally> = checkpointed.accounts.into_iter().map(|c| c.tally).collect();
    let partial = report_gaps(&tallies, quiet);
    if !quiet {
        let resumed = match &collected.snapshot.resumed {
            Some(r) => format!(" (resumed, {} accounts kept)", r.last().map_or(0, |r| r.accounts_kept)),
            None => String::new(),
        };
        eprintln!("sgaudit: {}{resumed}; wrote {}", summary(&tallies), args.out.display());
    }
    Ok(ExitCode::from(if partial { exit::PARTIAL } else { exit::OK }))
}

pub(super) fn write_snapshot(path: &Path, snapshot: &Snapshot) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    model::write_snapshot(path, snapshot).with_context(|| format!("writing the snapshot to {}", path.display()))
}
