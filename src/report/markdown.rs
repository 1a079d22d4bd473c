//! `report.md`: the assessment's story in Markdown, for wikis and tickets.
//!
//! Rendered by Tera from `templates/report.md.tera` with autoescaping on and
//! [`escape::markdown`](super::escape::markdown) as the escape function: every
//! `{{ value }}` is escaped, so data from AWS cannot form links, HTML or table
//! cells. Only sgaudit's own texts are marked `| safe`.

use serde::Serialize;
use tera::Tera;

use std::collections::HashMap;

use crate::analyze::{AccountScore, Assessment, Finding, Question, Severity};
use crate::model::Snapshot;

use super::records::{FindingRecord, Names};
use super::rollup;
use super::{rfc3339, template_err, ReportError};

const TEMPLATE: &str = include_str!("../../templates/report.md.tera");
const SECTION: &str = include_str!("../../templates/account_section.md.tera");
const ACCOUNT: &str = include_str!("../../templates/account.md.tera");

/// A Tera engine for Markdown templates (names end in `.md`): values
/// escaped for Markdown, the `score` filter registered.
pub(super) fn engine(templates: &[(&'static str, &'static str)]) -> Result<Tera, ReportError> {
    let mut tera = Tera::default();
    tera.autoescape_on(vec![".md"]);
    tera.set_escape_fn(super::escape::markdown_to);
    tera.register_filter("score", score_filter);
    tera.add_raw_templates(templates.to_vec())
        .map_err(template_err(templates[0].0))?;
    Ok(tera)
}

fn report_engine() -> Result<Tera, ReportError> {
    engine(&[
        ("report.md", TEMPLATE),
        ("account_section.md", SECTION),
        ("account.md", ACCOUNT),
    ])
}

/// `{{ x | score }}`: a score with one decimal (`100.0`, `66.7`), `—` when absent.
pub(crate) fn score_filter(v: tera::Value, _: tera::Kwargs, _: &tera::State) -> String {
    match v.as_f64() {
        Some(x) => format!("{x:.1}"),
        None => "—".into(),
    }
}

#[derive(Serialize)]
struct QuestionInfo {
    code: &'static str,
    text: &'static str,
    mean: Option<f64>,
}

/// Findings listed per account in report.md before "and N more".
const FINDINGS_PER_ACCOUNT: usize = 50;

#[derive(Serialize)]
struct AccountSection<'a> {
    score: &'a crate::analyze::AccountScore,
    findings: Vec<Listed<'a>>,
    more: usize,
    /// What was not collected, and the questions that could not be judged
    /// (listed by `accounts/<id>.md`; report.md has its own list).
    missing: Vec<String>,
}

impl<'a> AccountSection<'a> {
    fn new(acc: &'a AccountScore, all: &[&'a Finding], names: &Names<'a>) -> Self {
        AccountSection {
            score: acc,
            findings: all
                .iter()
                .take(FINDINGS_PER_ACCOUNT)
                .map(|f| Listed::new(f, names))
                .collect(),
            more: all.len().saturating_sub(FINDINGS_PER_ACCOUNT),
            missing: acc
                .collection
                .missing
                .iter()
                .cloned()
                .chain(
                    acc.not_assessed_questions()
                        .map(|q| format!("{}: {}", q.question, q.reason)),
                )
                .collect(),
        }
    }
}

/// The findings of each account, in the assessment's order.
fn per_account(a: &Assessment) -> HashMap<&str, Vec<&Finding>> {
    let mut per_account: HashMap<&str, Vec<&Finding>> = HashMap::new();
    for f in &a.findings {
        per_account.entry(f.account_id.as_str()).or_default().push(f);
    }
    per_account
}

/// `accounts/<id>.md`, one per account, beside a report.md of a large
/// organization (`rollup::is_large`), which has no room for their sections.
pub struct AccountFiles<'a> {
    tera: Tera,
    header: tera::Context,
    per_account: HashMap<&'a str, Vec<&'a Finding>>,
    names: &'a Names<'a>,
}

impl<'a> AccountFiles<'a> {
    pub fn new(a: &'a Assessment, snapshot: &Snapshot, names: &'a Names<'a>) -> Result<Self, ReportError> {
        Ok(AccountFiles {
            tera: report_engine()?,
            header: super::header_context(a, snapshot),
            per_account: per_account(a),
            names,
        })
    }

    pub fn render(&self, acc: &AccountScore) -> Result<String, ReportError> {
        let all = self
            .per_account
            .get(acc.account_id.as_str())
            .map(Vec::as_slice)
            .unwrap_or_default();
        let mut ctx = self.header.clone();
        ctx.insert("sec", &AccountSection::new(acc, all, self.names));
        self.tera.render("account.md", &ctx).map_err(template_err("account.md"))
    }
}

/// A finding as an account's table lists it (`account_section.md.tera`),
/// with its verdict in words: only what the table shows, since each is
/// turned into a Tera value (a large organization lists 50 per account, for
/// every account).
#[derive(Serialize)]
struct Listed<'a> {
    severity: Severity,
    /// `open` or `accepted`.
    status: &'static str,
    check_id: &'static str,
    region: Option<&'a str>,
    security_group_id: Option<&'a str>,
    security_group_name: Option<&'a str>,
    exposure: Option<crate::analyze::Exposure>,
    summary: &'a str,
    rule: Option<&'a crate::analyze::finding::RuleEvidence>,
    /// `reachable (IPv4, direct)`, `blocked: …`, `unverified: …`
    reach: Option<String>,
    /// The path, hop by hop.
    path: Option<String>,
}

impl<'a> Listed<'a> {
    fn new(f: &'a crate::analyze::Finding, names: &Names<'a>) -> Self {
        let r = f.reachability.as_ref();
        let group = f.security_group_id.as_ref().map(|g| g.as_str());
        Listed {
            severity: f.severity,
            status: if f.is_open() { "open" } else { "accepted" },
            check_id: f.check.meta.id,
            region: f.region.as_ref().map(|r| r.as_str()),
            security_group_id: group,
            security_group_name: group.and_then(|g| names.group(g)),
            exposure: f.exposure,
            summary: &f.summary,
            rule: f.rule.as_deref(),
            reach: r.map(|r| r.summary()),
            path: r.filter(|r| r.has_path()).map(|r| r.path_line()),
        }
    }
}

#[derive(Serialize)]
struct Remedy {
    id: &'static str,
    title: &'static str,
    why: &'static str,
    remediation: &'static str,
}

/// A question that could not be judged in an account that was collected.
#[derive(Serialize)]
struct NotAssessed<'a> {
    account_id: &'a str,
    name: &'a str,
    question: &'static str,
    reason: &'a str,
}

#[derive(Serialize)]
struct Risk<'a> {
    #[serde(flatten)]
    record: FindingRecord<'a>,
    why: &'static str,
}

pub fn render(a: &Assessment, snapshot: &Snapshot, names: &Names) -> Result<String, ReportError> {
    let tera = report_engine()?;
    let mut ctx = super::header_context(a, snapshot);
    ctx.insert("org", &a.org);
    let large = rollup::is_large(a);
    ctx.insert("large", &large);
    if large {
        let ous = rollup::ou_summaries(a);
        ctx.insert("ous_total", &ous.len());
        ctx.insert("rollup", &ous.into_iter().take(rollup::ROWS_SHOWN).collect::<Vec<_>>());
        ctx.insert("accounts", &rollup::lowest(a, rollup::LOWEST_SHOWN));
        let gaps = rollup::grouped_gaps(a);
        ctx.insert("gaps_total", &gaps.len());
        ctx.insert("gaps", &gaps.into_iter().take(rollup::ROWS_SHOWN).collect::<Vec<_>>());
    } else {
        ctx.insert("accounts", &a.accounts);
    }
    ctx.insert(
        "questions",
        &Question::SCORED
            .iter()
            .map(|q| QuestionInfo {
                code: q.code(),
                text: q.text(),
                mean: a.org.questions.get(q).copied().flatten(),
            })
            .collect::<Vec<_>>(),
    );
    super::insert_counts(&mut ctx, a);
    let top: Vec<Risk> = super::top_risks(a, 10)
        .into_iter()
        .map(|f| Risk {
            record: FindingRecord::new(f, names),
            why: f.check.meta.why,
        })
        .collect();
    ctx.insert("top_risks", &top);
    ctx.insert("exceptions", &a.exceptions);
    let not_assessed: Vec<NotAssessed> = if large {
        Vec::new()
    } else {
        a.accounts
            .iter()
            .flat_map(|acc| {
                acc.not_assessed_questions().map(move |q| NotAssessed {
                    account_id: &acc.account_id,
                    name: &acc.name,
                    question: q.question.code(),
                    reason: &q.reason,
                })
            })
            .collect()
    };
    ctx.insert("not_assessed", &not_assessed);

    let sections: Vec<AccountSection> = if large {
        Vec::new()
    } else {
        let per_account = per_account(a);
        a.accounts
            .iter()
            .map(|acc| {
                let all = per_account
                    .get(acc.account_id.as_str())
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                AccountSection::new(acc, all, names)
            })
            .collect()
    };
    ctx.insert("sections", &sections);
    let remedies: Vec<Remedy> = crate::analyze::checks::ALL_CHECKS
        .iter()
        .filter(|c| a.findings.iter().any(|f| f.check == **c))
        .map(|c| Remedy {
            id: c.meta.id,
            title: c.meta.title,
            why: c.meta.why,
            remediation: c.meta.remediation,
        })
        .collect();
    ctx.insert("remedies", &remedies);

    // History: what changed since the baseline, what has waited longest.
    let record = |f| FindingRecord::new(f, names);
    ctx.insert(
        "oldest",
        &super::oldest_open(a, 10).into_iter().map(record).collect::<Vec<_>>(),
    );
    if let Some(c) = &a.comparison {
        let mut fresh = super::new_open(a);
        fresh.sort_by_key(|x| std::cmp::Reverse(x.severity));
        ctx.insert("new_count", &fresh.len());
        ctx.insert("new", &fresh.into_iter().take(10).map(record).collect::<Vec<_>>());
        ctx.insert("baseline_as_of", &rfc3339(c.baseline_as_of));
    }
    tera.render("report.md", &ctx).map_err(template_err("report.md"))
}
