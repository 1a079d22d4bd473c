//! `sgaudit merge`: shard snapshots into one.

use std::process::ExitCode;

use anyhow::Context;

use crate::model::{self, merge};

use super::collect::{report_gaps, summary, tallies, write_snapshot};
use super::{exit, MergeArgs};

pub fn run(args: MergeArgs, quiet: bool) -> anyhow::Result<ExitCode> {
    let mut parts = Vec::with_capacity(args.snapshots.len());
    for path in &args.snapshots {
        let snapshot = model::read_snapshot(path)?;
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        parts.push(merge::Part {
            file: path.display().to_string(),
            sha256: crate::digest::sha256_tag(&bytes),
            snapshot,
        });
    }
    let merged = merge::merge(parts).context("merging the shards")?;
    write_snapshot(&args.out, &merged)?;
    let partial = report_gaps(&tallies(&merged), true);
    if !quiet {
        eprintln!(
            "sgaudit: merged {} snapshots: {}; wrote {}",
            args.snapshots.len(),
            summary(&tallies(&merged)),
            args.out.display()
        );
    }
    Ok(ExitCode::from(if partial { exit::PARTIAL } else { exit::OK }))
}
