//! What `sgaudit diff` writes: `diff.json`, `diff.md`, `diff.csv`.

use tera::{Context, Tera};

use crate::analyze::changes::RuleChange;
use crate::analyze::history::Comparison;
use crate::analyze::Assessment;

use super::escape;
use super::json::findings_diff;
use super::output::{OutDir, WrittenFile};
use super::ReportError;

const TEMPLATE: &str = include_str!("../../templates/diff.md.tera");

fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Write the three files into `out`.
pub fn write(
    out: &OutDir,
    a: &Assessment,
    c: &Comparison,
    rules: &[RuleChange],
) -> Result<Vec<WrittenFile>, ReportError> {
    let json = super::json::write_diff(out, a, c, Some(rules))?;
    let findings = findings_diff(a, c);

    let mut tera = Tera::default();
    tera.autoescape_on(vec![".md"]);
    tera.set_escape_fn(escape::markdown_to);
    tera.add_raw_template("diff.md", TEMPLATE)
        .map_err(|source| ReportError::Template {
            template: "diff.md",
            source,
        })?;
    let mut ctx = Context::new();
    ctx.insert("baseline_as_of", &rfc3339(c.baseline_as_of));
    ctx.insert("as_of", &rfc3339(a.as_of));
    ctx.insert("diff", &findings);
    ctx.insert("rules", rules);
    let md = tera.render("diff.md", &ctx).map_err(|source| ReportError::Template {
        template: "diff.md",
        source,
    })?;

    let csv_out = out.write("diff.csv", |w| {
        let mut wr = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(w);
        wr.write_record([
            "change",
            "account_id",
            "region",
            "security_group_id",
            "check_id",
            "severity",
            "severity_was",
            "detail",
        ])?;
        let f = &findings;
        let rows = f
            .new
            .iter()
            .map(|x| ("new", x))
            .chain(f.severity_changed.iter().map(|x| ("severity changed", x)))
            .chain(f.resolved.iter().map(|x| ("fixed", x)))
            .chain(f.unknown.iter().map(|x| ("unknown", x)));
        for (change, x) in rows {
            let detail = match x.reason {
                Some(r) => format!("{} (not judged: {r})", x.summary),
                None => x.summary.to_string(),
            };
            let row = [
                change.to_string(),
                x.account_id.to_string(),
                x.region.unwrap_or_default().to_string(),
                x.security_group_id.unwrap_or_default().to_string(),
                x.check_id.to_string(),
                x.severity.to_string(),
                x.severity_was.map(|s| s.to_string()).unwrap_or_default(),
                detail,
            ];
            wr.write_record(row.iter().map(|c| escape::csv_cell(c).into_owned()))?;
        }
        for r in rules {
            let row = [
                r.kind.label().to_string(),
                r.account_id.clone(),
                r.region.clone(),
                r.group_id.clone(),
                String::new(),
                String::new(),
                String::new(),
                format!("{}: {}", r.group_name, r.detail),
            ];
            wr.write_record(row.iter().map(|c| escape::csv_cell(c).into_owned()))?;
        }
        wr.flush()
    })?;
    Ok(vec![json, out.write_bytes("diff.md", md.as_bytes())?, csv_out])
}
