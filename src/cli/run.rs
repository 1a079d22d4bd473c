//! `sgaudit run`: collect, then assess, in one output directory. The main job.

use std::process::ExitCode;

use anyhow::Context;

use super::assess::{assess_and_report, load_baseline, Extra};
use super::collect::{collect_snapshot, effective_config, summary, tallies, write_snapshot};
use super::RunArgs;

pub fn run(args: RunArgs, quiet: bool) -> anyhow::Result<ExitCode> {
    if args.flow.flow_logs.is_empty()
        && (args.flow.since.is_some() || args.flow.until.is_some() || args.flow.flow_logs_role.is_some())
    {
        return Err(super::UsageError("--since, --until and --flow-logs-role go with --flow-logs".into()).into());
    }
    let loaded = effective_config(&args.collect)?;
    // A baseline that does not verify stops the run before any AWS call.
    let baseline = load_baseline(&args.gates)?;
    let snapshot = collect_snapshot(&loaded, quiet)?;
    let path = args.out.join("snapshot.json");
    write_snapshot(&path, &snapshot)?;
    if !quiet {
        eprintln!("sgaudit: {}; assessing", summary(&tallies(&snapshot)));
    }
    let usage = if args.flow.flow_logs.is_empty() {
        None
    } else {
        let usage = super::usage::attribute(&snapshot, &path, &args.flow, &loaded.config.collect, quiet)?;
        let usage_path = args.out.join(crate::report::package::manifest::USAGE);
        crate::model::usage::write_usage(&usage_path, &usage)
            .with_context(|| format!("writing {}", usage_path.display()))?;
        Some((usage, usage_path))
    };
    assess_and_report(
        snapshot,
        &path,
        &loaded,
        &args.out,
        &args.format,
        &args.gates,
        Extra { baseline, usage },
        quiet,
    )
}
