//! `sgaudit run`: collect, then assess, in one output directory. The main job.

use std::process::ExitCode;

use super::assess::{assess_and_report, load_baseline};
use super::collect::{collect_snapshot, effective_config, summary, write_snapshot};
use super::RunArgs;

pub fn run(args: RunArgs, quiet: bool) -> anyhow::Result<ExitCode> {
    let loaded = effective_config(&args.collect)?;
    // A baseline that does not verify stops the run before any AWS call.
    let baseline = load_baseline(&args.gates)?;
    let snapshot = collect_snapshot(&loaded, quiet)?;
    let path = args.out.join("snapshot.json");
    write_snapshot(&path, &snapshot)?;
    if !quiet {
        eprintln!("sgaudit: {}; assessing", summary(&snapshot));
    }
    assess_and_report(
        snapshot,
        &path,
        &loaded,
        &args.out,
        &args.format,
        &args.gates,
        baseline,
        quiet,
    )
}
