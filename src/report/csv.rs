//! The CSV outputs: `findings.csv`, `scores.csv`, `rules.csv`.
//!
//! UTF-8, a header row, RFC 4180 quoting, CRLF line ends; every text cell
//! passes through [`escape::csv_cell`] against formula injection.

use std::collections::HashMap;

use crate::analyze::rules::{self, Source};
use crate::analyze::{Assessment, GroupSummary};
use crate::model::Snapshot;

use super::escape;
use super::package::output::{OutDir, WrittenFile};
use super::records::{FindingRecord, Names};
use super::{rfc3339, ReportError};
use std::borrow::Cow;

/// Write rows with a header, every text cell neutralised against formulas.
pub(super) fn write_csv(
    out: &OutDir,
    name: &str,
    header: &[&str],
    rows: impl Iterator<Item = Vec<impl AsRef<str>>>,
) -> Result<WrittenFile, ReportError> {
    out.write(name, |f| {
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(f);
        w.write_record(header)?;
        for row in rows {
            for cell in &row {
                w.write_field(escape::csv_cell(cell.as_ref()).as_ref())?;
            }
            w.write_record(None::<&[u8]>)?;
        }
        w.flush()
    })
}

fn opt_num(x: Option<f64>) -> String {
    x.map(|v| format!("{v:.1}")).unwrap_or_default()
}

pub fn write_findings(out: &OutDir, a: &Assessment, names: &Names) -> Result<WrittenFile, ReportError> {
    let header = [
        "severity",
        "status",
        "account_id",
        "account_name",
        "region",
        "check_id",
        "check_name",
        "question",
        "title",
        "exposure",
        "reachability",
        "path",
        "security_group_id",
        "security_group_name",
        "resource_ids",
        "summary",
        "rule_direction",
        "rule_protocol",
        "rule_ports",
        "rule_source",
        "rule_description",
        "controls",
        "exception_owner",
        "exception_reason",
        "exception_expires",
        "fingerprint",
        "first_seen",
        "age_days",
        "change",
        "severity_was",
        "overdue",
    ];
    // Borrowed where the record has the text (a large organization's file
    // has millions of cells).
    let rows = a.findings.iter().map(|f| {
        let r = FindingRecord::new(f, names);
        let rule = r.rule;
        let owned = |s: String| Cow::Owned(s);
        fn text(s: Option<&str>) -> Cow<'_, str> {
            Cow::Borrowed(s.unwrap_or(""))
        }
        vec![
            Cow::Borrowed(r.severity.label()),
            Cow::Borrowed(r.status),
            Cow::Borrowed(r.account_id),
            Cow::Borrowed(r.account_name),
            text(r.region),
            Cow::Borrowed(r.check_id),
            Cow::Borrowed(r.check_name),
            Cow::Borrowed(r.question),
            Cow::Borrowed(r.title),
            text(r.exposure.map(|e| e.label())),
            owned(r.reachability.map(|x| x.summary()).unwrap_or_default()),
            owned(r.reachability.map(|x| x.path_line()).unwrap_or_default()),
            text(r.security_group_id),
            text(r.security_group_name),
            owned(r.resource_ids.join(" ")),
            Cow::Borrowed(r.summary),
            text(rule.map(|x| x.direction)),
            text(rule.map(|x| x.protocol.as_str())),
            text(rule.map(|x| x.ports.as_str())),
            text(rule.map(|x| x.source.as_str())),
            text(rule.and_then(|x| x.description.as_deref())),
            owned(r.controls.join("; ")),
            text(r.exception.map(|e| e.owner.as_str())),
            text(r.exception.map(|e| e.reason.as_str())),
            text(r.exception.map(|e| e.expires.as_str())),
            Cow::Borrowed(r.fingerprint),
            owned(rfc3339(r.first_seen)),
            owned(r.age_days.to_string()),
            owned(r.change.map(|c| format!("{c:?}").to_lowercase()).unwrap_or_default()),
            text(r.severity_was.map(|s| s.label())),
            Cow::Borrowed(if r.overdue { "yes" } else { "" }),
        ]
    });
    write_csv(out, "findings.csv", &header, rows)
}

pub fn write_scores(out: &OutDir, a: &Assessment) -> Result<WrittenFile, ReportError> {
    let header = [
        "account_id",
        "account_name",
        "ou_path",
        "collection",
        "Q1",
        "Q2",
        "Q3",
        "Q4",
        "Q5",
        "overall",
        "status",
        "Q1_status",
        "Q2_status",
        "Q3_status",
        "Q4_status",
        "Q5_status",
        "open_critical",
        "open_high",
        "open_medium",
        "open_low",
        "open_info",
        "accepted",
    ];
    let rows = a.accounts.iter().map(|acc| {
        let mut row = vec![
            acc.account_id.clone(),
            acc.name.clone(),
            acc.ou_path.clone(),
            acc.collection.state.to_string(),
        ];
        row.extend(acc.questions.iter().map(|q| opt_num(q.score)));
        row.push(opt_num(acc.score));
        row.push(acc.status.label().to_string());
        row.extend(acc.questions.iter().map(|q| q.status.label().to_string()));
        row.extend(acc.open_findings.iter().map(|(_, n)| n.to_string()));
        row.push(acc.accepted_findings.to_string());
        row
    });
    write_csv(out, "scores.csv", &header, rows)
}

/// `rules.csv`: every rule of every collected group, one source per row,
/// with the group's attachments and exposure.
pub fn write_rules(
    out: &OutDir,
    a: &Assessment,
    snapshot: &Snapshot,
    names: &Names,
) -> Result<WrittenFile, ReportError> {
    let header = [
        "account_id",
        "account_name",
        "region",
        "vpc_id",
        "group_id",
        "group_name",
        "direction",
        "protocol",
        "ports",
        "source",
        "source_kind",
        "description",
        "attachments",
        "exposure",
        "usage",
        "flows",
        "sources",
        "first_seen",
        "last_seen",
        "coverage_days",
    ];
    let groups: HashMap<(&str, &str), &GroupSummary> = a
        .groups
        .iter()
        .map(|g| ((g.region.as_str(), g.group_id.as_str()), g))
        .collect();
    let groups = &groups;
    let mut accounts: Vec<_> = snapshot.accounts.iter().filter(|acc| acc.status.is_ok()).collect();
    accounts.sort_by(|x, y| x.account_id.cmp(&y.account_id));
    let rows = accounts.into_iter().flat_map(move |acc| {
        let mut regions: Vec<_> = acc.regions.iter().filter(|r| r.status.is_ok()).collect();
        regions.sort_by(|x, y| x.region.cmp(&y.region));
        regions.into_iter().flat_map(move |region| {
            let mut sgs: Vec<_> = region.security_groups.iter().collect();
            sgs.sort_by(|x, y| x.group_id.cmp(&y.group_id));
            sgs.into_iter().flat_map(move |sg| {
                let summary = groups.get(&(region.region.as_str(), sg.group_id.as_str()));
                let (attached, exposure) =
                    summary.map_or((0, String::new()), |g| (g.attachments.len(), g.exposure.to_string()));
                let group_use = a
                    .usage
                    .as_ref()
                    .and_then(|u| u.group(acc.account_id.as_str(), region.region.as_str(), sg.group_id.as_str()));
                rules::ingress(sg).chain(rules::egress(sg)).map(move |rule| {
                    let e = rule.evidence();
                    let used = group_use.and_then(|g| Some((g.covered_days, g.rule(&e.key.canonical())?)));
                    let day = |t: Option<time::OffsetDateTime>| t.map(|t| t.date().to_string()).unwrap_or_default();
                    let usage_cells = match used {
                        Some((days, v)) => [
                            v.verdict.to_string(),
                            v.flows.to_string(),
                            v.sources.map_or_else(|| "more".to_string(), |n| n.to_string()),
                            day(v.first_seen),
                            day(v.last_seen),
                            days.to_string(),
                        ],
                        None => Default::default(),
                    };
                    let kind = match rule.source {
                        Source::Cidr(_) => "cidr",
                        Source::PrefixList(_) => "prefix-list",
                        Source::Group(_) => "security-group",
                    };
                    vec![
                        acc.account_id.to_string(),
                        names.account(acc.account_id.as_str()).to_string(),
                        region.region.to_string(),
                        sg.vpc_id.as_ref().map(|v| v.to_string()).unwrap_or_default(),
                        sg.group_id.to_string(),
                        sg.group_name.clone(),
                        e.direction.to_string(),
                        e.protocol.to_string(),
                        e.ports.to_string(),
                        e.source.to_string(),
                        kind.to_string(),
                        e.description.map(String::from).unwrap_or_default(),
                        attached.to_string(),
                        exposure.clone(),
                    ]
                    .into_iter()
                    .chain(usage_cells)
                    .collect::<Vec<_>>()
                })
            })
        })
    });
    write_csv(out, "rules.csv", &header, rows)
}
