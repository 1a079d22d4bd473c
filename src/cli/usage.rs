//! `sgaudit usage`: flow-log records → which rules are used (usage.json).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

use crate::analyze::flows::{self, Attributor, Bounds, Provenance};
use crate::collect::s3::{self, S3Location};
use crate::config::Collect;
use crate::ingest::flowlogs::{self, Data, Object};
use crate::model::usage::{SnapshotRef, Usage};
use crate::model::{self, Snapshot, ToolInfo};

use super::assess::load_config;
use super::{exit, FlowLogArgs, UsageCommand, UsageError};

pub fn run(args: UsageCommand, quiet: bool) -> anyhow::Result<ExitCode> {
    let mut loaded = load_config(args.config.as_deref())?;
    if let Some(p) = &args.profile {
        loaded.config.collect.profile = Some(p.clone());
    }
    if args.flow.flow_logs.is_empty() {
        return Err(UsageError("--flow-logs: name at least one file, folder or s3:// prefix".into()).into());
    }
    let snapshot = model::read_snapshot(&args.snapshot)?;
    let usage = attribute(&snapshot, &args.snapshot, &args.flow, &loaded.config.collect, quiet)?;
    model::usage::write_usage(&args.out, &usage).with_context(|| format!("writing {}", args.out.display()))?;
    if !quiet {
        eprintln!("sgaudit: wrote {}", args.out.display());
    }
    Ok(ExitCode::from(if failed_objects(&usage) > 0 {
        exit::PARTIAL
    } else {
        exit::OK
    }))
}

pub(super) fn failed_objects(usage: &Usage) -> usize {
    usage.objects.iter().filter(|o| o.error.is_some()).count()
}

/// Read every source and attribute its records to `snapshot` (read from
/// `snapshot_path`, whose digest the summary records).
pub(super) fn attribute(
    snapshot: &Snapshot,
    snapshot_path: &Path,
    flow: &FlowLogArgs,
    collect: &Collect,
    quiet: bool,
) -> anyhow::Result<Usage> {
    let started = std::time::Instant::now();
    let bounds = Bounds {
        since: flow.since.map(|t| t.unix_timestamp()),
        until: flow.until.map(|t| t.unix_timestamp()),
    };
    if let (Some(s), Some(u)) = (bounds.since, bounds.until) {
        if s >= u {
            return Err(UsageError("--since must be before --until".into()).into());
        }
    }
    // For skipping delivery folders: an open end is no limit.
    let window = (bounds.since.is_some() || bounds.until.is_some()).then(|| {
        (
            bounds.since.unwrap_or(i64::MIN / 4),
            bounds.until.unwrap_or(i64::MAX / 4),
        )
    });
    let (mut local, mut remote) = (Vec::new(), Vec::new());
    for source in &flow.flow_logs {
        match S3Location::parse(source) {
            Some(loc) => remote.push(loc),
            None if source.starts_with("s3://") => {
                return Err(UsageError(format!("--flow-logs {source}: an S3 source is s3://bucket/prefix")).into())
            }
            None => local.push(PathBuf::from(source)),
        }
    }
    let local = flowlogs::local_objects(&local, window).map_err(|e| UsageError(format!("--flow-logs {e}")))?;
    let snapshot_bytes =
        std::fs::read(snapshot_path).with_context(|| format!("reading {}", snapshot_path.display()))?;
    let snapshot_ref = SnapshotRef {
        sha256: crate::digest::sha256_tag(&snapshot_bytes),
        started_at: snapshot.started_at,
    };
    drop(snapshot_bytes);

    let attributor = Attributor::new(snapshot, bounds);
    let sinks: Vec<_> = (0..crate::par::threads()).map(|_| attributor.tally()).collect();
    let mut fetch = (!remote.is_empty()).then(|| {
        s3::fetch(collect, flow.flow_logs_role.clone(), remote, move |key| {
            flowlogs::is_log_name(key) && window.is_none_or(|w| flowlogs::in_window(key, w))
        })
    });
    let from_s3 = fetch.iter_mut().flat_map(|f| {
        f.by_ref().map(|o| Object {
            location: o.location,
            etag: o.etag,
            data: Data::Bytes(o.bytes),
        })
    });
    let (sinks, objects) = flowlogs::read_all(local.into_iter().chain(from_s3), sinks);
    if let Some(f) = fetch {
        f.finish().map_err(|e| anyhow::anyhow!("--flow-logs: {e}"))?;
    }
    if objects.is_empty() {
        anyhow::bail!(
            "--flow-logs: no flow-log objects found in {} (within --since/--until, if given)",
            flow.flow_logs.join(", ")
        );
    }
    let failed: Vec<_> = objects.iter().filter(|o| o.error.is_some()).collect();
    if failed.len() == objects.len() {
        let first = failed[0];
        anyhow::bail!(
            "no flow-log object could be read; the first: {}: {}",
            first.location.escape_default(),
            first.error.as_deref().unwrap_or_default().escape_default()
        );
    }
    // Keys and log text are anyone's who can write to the bucket: no
    // terminal control sequences reach the operator's screen.
    let safe = |s: &str| s.chars().flat_map(char::escape_default).collect::<String>();
    for o in &failed {
        eprintln!(
            "sgaudit: not read (a gap in coverage): {}: {}",
            safe(&o.location),
            safe(o.error.as_deref().unwrap_or_default())
        );
    }
    let usage = flows::finish(
        &attributor,
        sinks,
        Provenance {
            tool: ToolInfo::this_build(),
            snapshot: snapshot_ref,
            objects,
        },
    );
    let elapsed = started.elapsed();
    tracing::info!(records = usage.records.total, ?elapsed, "flow logs attributed");
    if !quiet {
        let r = &usage.records;
        let used = usage
            .groups
            .iter()
            .flat_map(|g| &g.rules)
            .filter(|r| r.flows > 0)
            .count();
        let rules: usize = usage.groups.iter().map(|g| g.rules.len()).sum();
        eprintln!(
            "sgaudit: {} records from {} objects over {} days ({:.0} records/s): {} inbound flows, {} replies, \
             {} outbound, {} rejected; {used} of {rules} inbound rules used",
            r.total,
            usage.objects.len(),
            usage.window.days(),
            r.total as f64 / elapsed.as_secs_f64().max(1e-6),
            r.inbound,
            r.replies,
            r.outbound,
            r.rejected,
        );
        if r.unknown_interface > 0 {
            eprintln!(
                "sgaudit: {} records are of interfaces the snapshot does not have (other accounts or regions, or \
                 interfaces deleted since)",
                r.unknown_interface
            );
        }
    }
    Ok(usage)
}
