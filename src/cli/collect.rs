//! `sgaudit collect`: the organization into a snapshot.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;

use crate::collect::{self, Progress};
use crate::config::LoadedConfig;
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

pub(super) fn collect_snapshot(loaded: &LoadedConfig, quiet: bool) -> anyhow::Result<Snapshot> {
    let digest = config_digest(loaded)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let progress = Progress::new(quiet);
    let snapshot = runtime.block_on(collect::collect(&loaded.config.collect, Some(digest), progress))?;
    Ok(snapshot)
}

/// What was not collected, for stderr; true if anything.
pub(super) fn report_gaps(snapshot: &Snapshot, quiet: bool) -> bool {
    let mut partial = false;
    for a in &snapshot.accounts {
        if let model::CollectionStatus::Failed { reason } = &a.status {
            partial = true;
            if !quiet {
                eprintln!("sgaudit: not collected: account {}: {reason}", a.account_id);
            }
        }
        for r in &a.regions {
            if let Some(reason) = r.status.reason() {
                partial = true;
                if !quiet {
                    eprintln!(
                        "sgaudit: not collected: account {} {}: {reason}",
                        a.account_id, r.region
                    );
                }
            }
            for g in &r.gaps {
                partial = true;
                if !quiet {
                    eprintln!(
                        "sgaudit: not collected: account {} {}: {} {}: {}",
                        a.account_id, r.region, g.service, g.operation, g.error
                    );
                }
            }
        }
    }
    partial
}

pub(super) fn summary(snapshot: &Snapshot) -> String {
    let collected = snapshot.accounts.iter().filter(|a| a.status.is_ok()).count();
    let regions: usize = snapshot
        .accounts
        .iter()
        .map(|a| a.regions.iter().filter(|r| r.status.is_ok()).count())
        .sum();
    let groups: usize = snapshot
        .accounts
        .iter()
        .flat_map(|a| &a.regions)
        .map(|r| r.security_groups.len())
        .sum();
    format!(
        "collected {collected} of {} accounts, {regions} account-regions, {groups} security groups",
        snapshot.accounts.len()
    )
}

pub fn run(args: CollectCommand, quiet: bool) -> anyhow::Result<ExitCode> {
    let mut loaded = effective_config(&args.collect)?;
    loaded.config.collect.shard = args.shard;
    let snapshot = collect_snapshot(&loaded, quiet)?;
    write_snapshot(&args.out, &snapshot)?;
    let partial = report_gaps(&snapshot, quiet);
    if !quiet {
        eprintln!("sgaudit: {}; wrote {}", summary(&snapshot), args.out.display());
    }
    Ok(ExitCode::from(if partial { exit::PARTIAL } else { exit::OK }))
}

pub(super) fn write_snapshot(path: &Path, snapshot: &Snapshot) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    model::write_snapshot(path, snapshot).with_context(|| format!("writing the snapshot to {}", path.display()))
}
