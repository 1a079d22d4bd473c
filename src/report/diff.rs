//! What `sgaudit diff` writes: `diff.json`, `diff.md`, `diff.csv`.

use tera::Context;

use crate::analyze::changes::RuleChange;

use super::json::FindingsDiff;
use super::package::output::{OutDir, WrittenFile};
use super::{rfc3339, template_err, ReportError};

const TEMPLATE: &str = include_str!("../../templates/diff.md.tera");

/// Write the three files into `out`.
pub(crate) fn write(
    out: &OutDir,
    findings: &FindingsDiff,
    rules: &[RuleChange],
) -> Result<Vec<WrittenFile>, ReportError> {
    let json = super::json::write_diff(out, findings, Some(rules))?;

    let tera = super::markdown::engine(&[("diff.md", TEMPLATE)])?;
    let mut ctx = Context::new();
    ctx.insert("baseline_as_of", &rfc3339(findings.baseline_as_of));
    ctx.insert("as_of", &rfc3339(findings.as_of));
    ctx.insert("diff", findings);
    ctx.insert("rules", rules);
    let md = tera.render("diff.md", &ctx).map_err(template_err("diff.md"))?;

    let header = [
        "change",
        "account_id",
        "region",
        "security_group_id",
        "check_id",
        "severity",
        "severity_was",
        "detail",
    ];
    let f = findings;
    let finding_rows = f
        .new
        .iter()
        .map(|x| ("new", x))
        .chain(f.severity_changed.iter().map(|x| ("severity changed", x)))
        .chain(f.resolved.iter().map(|x| ("fixed", x)))
        .chain(f.unknown.iter().map(|x| ("unknown", x)))
        .map(|(change, x)| {
            let detail = match x.reason {
                Some(r) => format!("{} (not judged: {r})", x.summary),
                None => x.summary.to_string(),
            };
            vec![
                change.to_string(),
                x.account_id.to_string(),
                x.region.unwrap_or_default().to_string(),
                x.security_group_id.unwrap_or_default().to_string(),
                x.check_id.to_string(),
                x.severity.to_string(),
                x.severity_was.map(|s| s.to_string()).unwrap_or_default(),
                detail,
            ]
        });
    let rule_rows = rules.iter().map(|r| {
        vec![
            r.kind.label().to_string(),
            r.account_id.clone(),
            r.region.clone(),
            r.group_id.clone(),
            String::new(),
            String::new(),
            String::new(),
            format!("{}: {}", r.group_name, r.detail),
        ]
    });
    let csv_out = super::csv::write_csv(out, "diff.csv", &header, finding_rows.chain(rule_rows))?;
    let written = vec![json, out.write_bytes("diff.md", md.as_bytes())?, csv_out];
    out.sync()?;
    Ok(written)
}
