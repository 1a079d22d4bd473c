//! `report.md`: the assessment's story in Markdown, for wikis and tickets.
//!
//! Rendered by Tera from `templates/report.md.tera` with autoescaping on and
//! [`escape::markdown`](super::escape::markdown) as the escape function: every
//! `{{ value }}` is escaped, so data from AWS cannot form links, HTML or table
//! cells. Only sgaudit's own texts are marked `| safe`.

use serde::Serialize;
use tera::Tera;

use crate::analyze::{Assessment, Question};
use crate::model::Snapshot;

use super::records::{FindingRecord, Names};
use super::{rfc3339, template_err, ReportError};

const TEMPLATE: &str = include_str!("../../templates/report.md.tera");

/// A Tera engine for one Markdown template (`name` ends in `.md`): values
/// escaped for Markdown, the `score` filter registered.
pub(super) fn engine(name: &'static str, template: &'static str) -> Result<Tera, ReportError> {
    let mut tera = Tera::default();
    tera.autoescape_on(vec![".md"]);
    tera.set_escape_fn(super::escape::markdown_to);
    tera.register_filter("score", score_filter);
    tera.add_raw_template(name, template).map_err(template_err(name))?;
    Ok(tera)
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
}

/// A finding as an account's table lists it, with its verdict in words.
#[derive(Serialize)]
struct Listed<'a> {
    #[serde(flatten)]
    record: FindingRecord<'a>,
    /// `reachable (IPv4, direct)`, `blocked: …`, `unverified: …`
    reach: Option<String>,
    /// The path, hop by hop.
    path: Option<String>,
}

impl<'a> Listed<'a> {
    fn new(f: &'a crate::analyze::Finding, names: &Names<'a>) -> Self {
        let r = f.reachability.as_ref();
        Listed {
            record: FindingRecord::new(f, names),
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
    let tera = engine("report.md", TEMPLATE)?;
    let mut ctx = super::header_context(a, snapshot);
    ctx.insert("org", &a.org);
    ctx.insert("accounts", &a.accounts);
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
    let not_assessed: Vec<NotAssessed> = a
        .accounts
        .iter()
        .flat_map(|acc| {
            acc.not_assessed_questions().map(move |q| NotAssessed {
                account_id: &acc.account_id,
                name: &acc.name,
                question: q.question.code(),
                reason: &q.reason,
            })
        })
        .collect();
    ctx.insert("not_assessed", &not_assessed);

    let mut per_account: std::collections::HashMap<&str, Vec<&crate::analyze::Finding>> =
        std::collections::HashMap::new();
    for f in &a.findings {
        per_account.entry(f.account_id.as_str()).or_default().push(f);
    }
    let sections: Vec<AccountSection> = a
        .accounts
        .iter()
        .map(|acc| {
            let all = per_account
                .get(acc.account_id.as_str())
                .map(Vec::as_slice)
                .unwrap_or_default();
            AccountSection {
                score: acc,
                findings: all
                    .iter()
                    .take(FINDINGS_PER_ACCOUNT)
                    .map(|f| Listed::new(f, names))
                    .collect(),
                more: all.len().saturating_sub(FINDINGS_PER_ACCOUNT),
            }
        })
        .collect();
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
