//! `sgaudit verify DIR`: is the evidence package as it was written?

use std::process::ExitCode;

use crate::report::package::manifest;

use super::{exit, VerifyArgs};

pub fn run(args: VerifyArgs, quiet: bool) -> anyhow::Result<ExitCode> {
    let v = manifest::verify(&args.dir)?;
    let dir = args.dir.display();
    if v.is_intact() {
        if !quiet {
            eprintln!("sgaudit: {dir}: all {} files match manifest.json", v.checked);
        }
        return Ok(ExitCode::from(exit::OK));
    }
    for (path, why) in &v.changed {
        println!("changed: {path}: {why}");
    }
    for path in &v.missing {
        println!("missing: {path}");
    }
    for path in &v.added {
        println!("added: {path}");
    }
    eprintln!(
        "sgaudit: {dir} does not match its manifest: {} changed, {} missing, {} added ({} checked)",
        v.changed.len(),
        v.missing.len(),
        v.added.len(),
        v.checked
    );
    Ok(ExitCode::from(exit::TAMPERED))
}
