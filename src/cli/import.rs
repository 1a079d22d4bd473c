//! `sgaudit import`: AWS CLI exports into a snapshot.

use std::process::ExitCode;

use anyhow::Context;

use crate::ingest::awscli::{self, ImportOptions};
use crate::model::AccountId;

use super::collect::{report_gaps, summary, tallies, write_snapshot};
use super::{exit, ImportArgs, UsageError};

pub fn run(args: ImportArgs, quiet: bool) -> anyhow::Result<ExitCode> {
    let account_id = args
        .account_id
        .as_deref()
        .map(|a| AccountId::parse(a.trim()).map_err(|e| UsageError(format!("--account-id: {e}"))))
        .transpose()?;
    let options = ImportOptions {
        account_id,
        exported_at: args.exported_at,
    };
    let snapshot = awscli::import(&args.from, &options)
        .with_context(|| format!("importing the export in {}", args.from.display()))?;
    write_snapshot(&args.out, &snapshot)?;
    let partial = report_gaps(&tallies(&snapshot), quiet);
    if !quiet {
        let files = snapshot.imported.as_ref().map_or(0, |i| i.files.len());
        eprintln!(
            "sgaudit: imported {files} files: {}; wrote {}",
            summary(&tallies(&snapshot)),
            args.out.display()
        );
    }
    Ok(ExitCode::from(if partial { exit::PARTIAL } else { exit::OK }))
}
