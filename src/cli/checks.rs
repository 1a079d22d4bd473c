//! `sgaudit checks [ID]`: the catalogue, or one check explained.

use std::io::Write;
use std::process::ExitCode;

use serde::Serialize;

use crate::analyze::checks::{self, Check, ALL_CHECKS};
use crate::report::records::ControlRecord;

use super::{exit, ChecksArgs, UsageError};

#[derive(Serialize)]
struct CheckRecord {
    id: &'static str,
    name: &'static str,
    question: &'static str,
    title: &'static str,
    severity: String,
    controls: Vec<ControlRecord>,
    what: &'static str,
    why: &'static str,
    remediation: &'static str,
}

fn record(c: &Check) -> CheckRecord {
    let m = &c.meta;
    CheckRecord {
        id: m.id,
        name: m.name,
        question: m.question.code(),
        title: m.title,
        severity: m.severity.describe(),
        controls: m.controls.iter().map(ControlRecord::of).collect(),
        what: m.what,
        why: m.why,
        remediation: m.remediation,
    }
}

fn controls_line(c: &Check) -> String {
    if c.meta.controls.is_empty() {
        "—".into()
    } else {
        c.meta.controls.iter().map(|c| c.label()).collect::<Vec<_>>().join(", ")
    }
}

#[derive(Serialize)]
struct ControlMapping {
    id: &'static str,
    title: &'static str,
    version: &'static str,
    mapping: crate::controls::Mapping,
    source: &'static str,
    note: Option<&'static str>,
    checks: Vec<&'static str>,
}

/// `sgaudit checks --framework EDITION`.
fn framework(slug: &str, json: bool, out: &mut impl Write) -> anyhow::Result<()> {
    let edition = crate::controls::Edition::find(slug).ok_or_else(|| {
        let known: Vec<&str> = crate::controls::EDITIONS.iter().map(|e| e.slug).collect();
        UsageError(format!("no framework edition `{slug}`; known: {}", known.join(", ")))
    })?;
    let rows: Vec<ControlMapping> = edition
        .controls()
        .map(|c| ControlMapping {
            id: c.id,
            title: c.title,
            version: c.version,
            mapping: c.mapping,
            source: c.source,
            note: c.note,
            checks: ALL_CHECKS
                .iter()
                .filter(|k| k.meta.controls.contains(c))
                .map(|k| k.meta.id)
                .collect(),
        })
        .collect();
    if json {
        serde_json::to_writer_pretty(&mut *out, &rows)?;
        writeln!(out)?;
        return Ok(());
    }
    writeln!(out, "{} ({})", edition.title, edition.version)?;
    writeln!(out, "source: {}", edition.source)?;
    if edition.mapping == crate::controls::Mapping::Interpretive {
        writeln!(
            out,
            "interpretive: a failing check is evidence against the control, a pass is not proof of it"
        )?;
    }
    for r in &rows {
        writeln!(out, "\n{}  {}", r.id, r.title)?;
        if let Some(note) = r.note {
            writeln!(out, "        {note}")?;
        }
        for id in &r.checks {
            let check = checks::find(id).expect("a catalogued check");
            writeln!(out, "        {id}  {}", check.meta.name)?;
        }
        if r.checks.is_empty() {
            writeln!(out, "        (no check maps to it)")?;
        }
    }
    writeln!(
        out,
        "\nThe per-account status of each control is in compliance/{slug}.html and .csv after `sgaudit assess`."
    )?;
    Ok(())
}

pub fn run(args: ChecksArgs) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    if let Some(slug) = &args.framework {
        framework(slug, args.json, &mut out)?;
        out.flush()?;
        return Ok(ExitCode::from(exit::OK));
    }
    match &args.check {
        Some(id) => {
            let check = checks::find(id).ok_or_else(|| {
                UsageError(format!("no check `{id}`; `sgaudit checks` lists them (ids like SGA101, or names like admin-port-open-to-world)"))
            })?;
            if args.json {
                serde_json::to_writer_pretty(&mut out, &record(check))?;
                writeln!(out)?;
            } else {
                let m = &check.meta;
                writeln!(out, "{} {} ({})", m.id, m.title, m.name)?;
                writeln!(out, "\nQuestion: {} {}", m.question, m.question.text())?;
                writeln!(out, "Severity: {}", m.severity.describe())?;
                writeln!(out, "Controls: {}", controls_line(check))?;
                writeln!(out, "\nWhat it does\n  {}", m.what)?;
                writeln!(out, "\nWhy it matters\n  {}", m.why)?;
                writeln!(out, "\nHow to fix it\n{}", indent(m.remediation))?;
            }
        }
        None if args.json => {
            let all: Vec<CheckRecord> = ALL_CHECKS.iter().map(|c| record(c)).collect();
            serde_json::to_writer_pretty(&mut out, &all)?;
            writeln!(out)?;
        }
        None => {
            for c in ALL_CHECKS {
                let m = &c.meta;
                writeln!(out, "{}  {:<7}  {}", m.id, m.question.code(), m.name)?;
                writeln!(out, "        {}", m.title)?;
                writeln!(out, "        severity: {}", m.severity.describe())?;
                writeln!(out, "        controls: {}\n", controls_line(c))?;
            }
            writeln!(
                out,
                "`sgaudit checks ID` explains a check: what it looks at, why it matters, how to fix it."
            )?;
        }
    }
    out.flush()?;
    Ok(ExitCode::from(exit::OK))
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("  {l}")).collect::<Vec<_>>().join("\n")
}
