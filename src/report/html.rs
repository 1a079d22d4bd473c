//! The HTML reports: `index.html` (the executive summary) and one page per
//! account under `accounts/`.
//!
//! Pages are self-contained: inline CSS and SVG, no fonts, images or scripts
//! from anywhere, and a Content-Security-Policy that allows only the page's
//! own sorting script (by hash). Every value from the data goes through Tera's
//! HTML autoescaping; `| safe` is used only for sgaudit's own texts (check
//! descriptions rendered from Markdown, the script).

use std::collections::HashMap;

use serde::Serialize;
use tera::{Context, Tera};

use crate::analyze::checks::ALL_CHECKS;
use crate::analyze::exceptions::format_date;
use crate::analyze::score::Status;
use crate::analyze::{AccountScore, Assessment, Finding, GroupSummary, Question, Severity};
use crate::model::{AccountSnapshot, Snapshot};

use super::graph::{self, plain_number, Graph};
use super::records::Names;
use super::{header_context, template_err, ReportError};

const INDEX: &str = include_str!("../../templates/index.html.tera");
const ACCOUNT: &str = include_str!("../../templates/account.html.tera");
const STYLE: &str = include_str!("../../templates/style.css");
const SORT_JS: &str = include_str!("../../templates/sort.js");

/// How many attachments a group lists before "and N more".
const ATTACHMENTS_SHOWN: usize = 25;

pub struct Html {
    tera: Tera,
    /// Check texts rendered from Markdown once: (what, why, remediation).
    texts: HashMap<&'static str, [String; 3]>,
    script_hash: String,
}

fn markdown_to_html(text: &str) -> String {
    let mut out = String::new();
    pulldown_cmark::html::push_html(&mut out, pulldown_cmark::Parser::new(text));
    out
}

/// Base64 (standard alphabet, padded), for the CSP script hash.
fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

impl Html {
    pub fn new() -> Result<Self, ReportError> {
        let mut tera = Tera::default();
        tera.autoescape_on(vec![".html"]);
        tera.set_escape_fn(super::escape::html_to);
        tera.register_filter("score", super::markdown::score_filter);
        tera.add_raw_templates(vec![
            ("style.css", STYLE),
            ("index.html", INDEX),
            ("account.html", ACCOUNT),
        ])
        .map_err(template_err("index.html"))?;
        let texts = ALL_CHECKS
            .iter()
            .map(|c| {
                let m = &c.meta;
                (
                    m.id,
                    [
                        markdown_to_html(m.what),
                        markdown_to_html(m.why),
                        markdown_to_html(m.remediation),
                    ],
                )
            })
            .collect();
        use sha2::Digest;
        let script_hash = format!("sha256-{}", base64(&sha2::Sha256::digest(SORT_JS.as_bytes())));
        Ok(Html {
            tera,
            texts,
            script_hash,
        })
    }
}

// ------------------------------------------------------------------ views

#[derive(Serialize)]
struct Cell {
    /// `66.7`, `n/a`, `not assessed`.
    text: String,
    /// A glyph that tells the status without colour.
    glyph: &'static str,
    /// CSS class: `pass`, `partial`, `fail`, `na`, `nx`.
    class: &'static str,
    /// Tooltip: the reason.
    title: String,
    /// Sort key: the score, or -1.
    #[serde(serialize_with = "plain_number")]
    key: f64,
    /// Against the previous assessment: `▲` better, `▼` worse, `=` same.
    delta: &'static str,
    /// `was 66.7`
    was: Option<String>,
}

impl Cell {
    /// Mark the change from the previous assessment's score.
    fn against(mut self, previous: Option<Option<f64>>) -> Self {
        if let (Some(prev), Some(now)) = (previous, self.score()) {
            match prev {
                Some(p) if now > p + 0.05 => self.delta = "▲",
                Some(p) if now < p - 0.05 => self.delta = "▼",
                Some(_) => self.delta = "=",
                None => {}
            }
            self.was = prev.map(|p| format!("was {p:.1}"));
        }
        self
    }
    fn score(&self) -> Option<f64> {
        (self.key >= 0.0).then_some(self.key)
    }
}

fn cell(status: Status, score: Option<f64>, title: String) -> Cell {
    let (glyph, class) = match status {
        Status::Pass => ("✔", "pass"),
        Status::Partial => ("◐", "partial"),
        Status::Fail => ("✖", "fail"),
        Status::NotAssessed => ("?", "nx"),
        Status::NotApplicable => ("–", "na"),
    };
    let text = match (score, status) {
        (Some(s), _) => format!("{s:.1}"),
        (None, Status::NotApplicable) => "n/a".into(),
        (None, _) => "not assessed".into(),
    };
    Cell {
        text,
        glyph,
        class,
        title,
        key: score.unwrap_or(-1.0),
        delta: "",
        was: None,
    }
}

#[derive(Serialize)]
struct AccountRow<'a> {
    id: &'a str,
    name: &'a str,
    cells: Vec<Cell>,
    overall: Cell,
    /// Open findings: critical, high, medium, low, info.
    open: crate::analyze::finding::PerSeverity<usize>,
    collection: crate::analyze::CollectionState,
}

#[derive(Serialize)]
struct OuGroup<'a> {
    ou: &'a str,
    accounts: usize,
    mean: Option<f64>,
    rows: Vec<AccountRow<'a>>,
}

#[derive(Serialize)]
struct Bar {
    label: &'static str,
    count: usize,
    #[serde(serialize_with = "plain_number")]
    x: f64,
    #[serde(serialize_with = "plain_number")]
    y: f64,
    #[serde(serialize_with = "plain_number")]
    h: f64,
}

#[derive(Serialize)]
struct Risk<'a> {
    severity: Severity,
    exposure: Option<&'static str>,
    check_id: &'static str,
    title: &'static str,
    account_id: &'a str,
    account_name: &'a str,
    region: Option<&'a str>,
    group: Option<String>,
    summary: &'a str,
    why: &'a str,
    /// The finding's anchor on its account page.
    anchor: usize,
}

#[derive(Serialize)]
struct Missing<'a> {
    account_id: &'a str,
    name: &'a str,
    what: String,
}

fn distribution(accounts: &[AccountScore]) -> (Vec<Bar>, usize) {
    const LABELS: [&str; 10] = [
        "0–9", "10–19", "20–29", "30–39", "40–49", "50–59", "60–69", "70–79", "80–89", "90–100",
    ];
    let mut counts = [0usize; 10];
    let mut none = 0;
    for a in accounts {
        match a.score {
            Some(s) => counts[((s / 10.0).floor() as usize).min(9)] += 1,
            None => none += 1,
        }
    }
    let max = counts.iter().copied().max().unwrap_or(0).max(1) as f64;
    let bars = counts
        .iter()
        .enumerate()
        .map(|(i, &count)| {
            let h = 100.0 * count as f64 / max;
            Bar {
                label: LABELS[i],
                count,
                x: 8.0 + i as f64 * 34.0,
                y: 110.0 - h,
                h,
            }
        })
        .collect();
    (bars, none)
}

impl Html {
    pub fn index(
        &self,
        a: &Assessment,
        snapshot: &Snapshot,
        slices: &AccountSlices,
        names: &Names,
    ) -> Result<String, ReportError> {
        let mut ctx = header_context(a, snapshot);
        ctx.insert("org", &a.org);
        ctx.insert(
            "org_cell",
            &cell(
                a.org.status,
                a.org.score,
                "mean of the assessed accounts' scores".into(),
            ),
        );
        // The previous assessment's scores, for the arrows.
        let previous = a.trend.len().checked_sub(2).map(|i| &a.trend[i]);
        // Heat map, grouped by OU (sorted by OU path, then account id).
        let mut by_ou: std::collections::BTreeMap<&str, Vec<&AccountScore>> = std::collections::BTreeMap::new();
        for acc in &a.accounts {
            by_ou.entry(acc.ou_path.as_str()).or_default().push(acc);
        }
        let ous: Vec<OuGroup> = by_ou
            .into_iter()
            .map(|(ou, accounts)| OuGroup {
                ou,
                accounts: accounts.len(),
                mean: crate::analyze::score::mean(accounts.iter().filter_map(|a| a.score)),
                rows: accounts
                    .into_iter()
                    .map(|acc| AccountRow {
                        id: &acc.account_id,
                        name: &acc.name,
                        cells: acc
                            .questions
                            .iter()
                            .map(|q| {
                                let was = previous.map(|p| {
                                    p.accounts
                                        .get(&acc.account_id)
                                        .and_then(|t| t.questions.get(&q.question).copied().flatten())
                                });
                                cell(q.status, q.score, format!("{}: {}", q.question, q.reason)).against(was)
                            })
                            .collect(),
                        overall: cell(
                            acc.status,
                            acc.score,
                            format!("{} ({})", acc.status.label(), acc.collection.state),
                        )
                        .against(previous.map(|p| p.accounts.get(&acc.account_id).and_then(|t| t.score))),
                        open: acc.open_findings,
                        collection: acc.collection.state,
                    })
                    .collect(),
            })
            .collect();
        ctx.insert("ous", &ous);
        ctx.insert(
            "questions",
            &Question::SCORED
                .iter()
                .map(|q| {
                    let mean = a.org.questions.get(q).copied().flatten();
                    serde_json::json!({"code": q.code(), "text": q.text(), "items": q.items(), "mean": mean})
                })
                .collect::<Vec<_>>(),
        );
        let (bars, unscored) = distribution(&a.accounts);
        ctx.insert("bars", &bars);
        ctx.insert("unscored", &unscored);
        super::insert_counts(&mut ctx, a);

        // Top risks: the order of the assessment is severity, then where; within
        // a severity, internet-exposed first.
        let risks: Vec<Risk> = super::top_risks(a, 10)
            .into_iter()
            .map(|f| {
                let m = &f.check.meta;
                Risk {
                    severity: f.severity,
                    exposure: f.exposure.map(|e| e.label()),
                    check_id: m.id,
                    title: m.title,
                    account_id: f.account_id.as_str(),
                    account_name: names.account(f.account_id.as_str()),
                    region: f.region.as_ref().map(|r| r.as_str()),
                    group: f.security_group_id.as_ref().map(|g| match names.group(g.as_str()) {
                        Some(n) => format!("{n} ({g})"),
                        None => g.to_string(),
                    }),
                    summary: &f.summary,
                    why: m.why,
                    anchor: slices.anchor(f).expect("every finding is on its account's page"),
                }
            })
            .collect();
        ctx.insert("risks", &risks);
        self.history(&mut ctx, a, slices, names);

        let mut missing = Vec::new();
        for acc in &a.accounts {
            for m in &acc.collection.missing {
                missing.push(Missing {
                    account_id: &acc.account_id,
                    name: &acc.name,
                    what: m.clone(),
                });
            }
            for q in acc.not_assessed_questions() {
                missing.push(Missing {
                    account_id: &acc.account_id,
                    name: &acc.name,
                    what: format!("{}: {}", q.question, q.reason),
                });
            }
        }
        ctx.insert("missing", &missing);
        ctx.insert("exceptions", &a.exceptions);
        ctx.insert("script", SORT_JS);
        ctx.insert("script_hash", &self.script_hash);
        self.tera.render("index.html", &ctx).map_err(template_err("index.html"))
    }
}

#[derive(Serialize)]
struct Point {
    #[serde(serialize_with = "plain_number")]
    x: f64,
    #[serde(serialize_with = "plain_number")]
    y: f64,
    label: String,
    score: Option<f64>,
}

#[derive(Serialize)]
struct Aged<'a> {
    severity: Severity,
    check_id: &'a str,
    title: &'static str,
    account_id: &'a str,
    account_name: &'a str,
    region: Option<&'a str>,
    summary: &'a str,
    first_seen: String,
    age_days: i64,
    overdue: bool,
    anchor: Option<usize>,
}

fn aged<'a>(f: &'a Finding, names: &Names<'a>, slices: &AccountSlices) -> Aged<'a> {
    Aged {
        severity: f.severity,
        check_id: f.check_id(),
        title: f.check.meta.title,
        account_id: f.account_id.as_str(),
        account_name: names.account(f.account_id.as_str()),
        region: f.region.as_ref().map(|r| r.as_str()),
        summary: &f.summary,
        first_seen: format_date(f.first_seen.date()),
        age_days: f.age_days,
        overdue: f.overdue,
        anchor: slices.anchor(f),
    }
}

impl Html {
    /// The history sections of the index: trend, new since the baseline,
    /// the oldest open findings (the counts, and the fixed findings, are
    /// [`super::insert_counts`]'s).
    fn history(&self, ctx: &mut Context, a: &Assessment, slices: &AccountSlices, names: &Names) {
        // The org score over time: x by position, y 0-100 (top is 100).
        let n = a.trend.len();
        let (w, h, left, top) = (640.0, 160.0, 36.0, 12.0);
        let step = if n > 1 { (w - left - 20.0) / (n - 1) as f64 } else { 0.0 };
        let points: Vec<Point> = a
            .trend
            .iter()
            .enumerate()
            .map(|(i, e)| Point {
                x: left + 10.0 + i as f64 * step,
                y: top + (100.0 - e.org_score.unwrap_or(0.0)) / 100.0 * (h - top - 24.0),
                label: format_date(e.as_of.date()),
                score: e.org_score,
            })
            .collect();
        let line: Vec<String> = points
            .iter()
            .filter(|p| p.score.is_some())
            .map(|p| format!("{:.1},{:.1}", p.x, p.y))
            .collect();
        ctx.insert("trend_points", &points);
        ctx.insert("trend_line", &line.join(" "));
        ctx.insert("trend_size", &(w as u32, h as u32));

        let view = |f| aged(f, names, slices);
        ctx.insert(
            "oldest",
            &super::oldest_open(a, 10).into_iter().map(view).collect::<Vec<_>>(),
        );
        if let Some(c) = &a.comparison {
            ctx.insert("baseline_as_of", &format_date(c.baseline_as_of.date()));
            let mut new = super::new_open(a);
            new.sort_by(|x, y| y.severity.cmp(&x.severity).then(y.exposure.cmp(&x.exposure)));
            ctx.insert("new_count", &new.len());
            ctx.insert("new", &new.into_iter().take(10).map(view).collect::<Vec<_>>());
            ctx.insert("severity_changed", &c.severity_changed);
        }
    }
}

// --------------------------------------------------------- account pages

#[derive(Serialize)]
struct QuestionRow<'a> {
    code: &'static str,
    text: &'static str,
    cell: Cell,
    reason: &'a str,
    items: usize,
    failing: usize,
}

#[derive(Serialize)]
struct AttachmentView<'a> {
    resource_id: &'a str,
    kind: &'a str,
    exposure: &'static str,
    why: &'a str,
    public_ips: &'a [String],
}

#[derive(Serialize)]
struct FindingView<'a> {
    anchor: usize,
    severity: Severity,
    open: bool,
    exposure: Option<&'static str>,
    region: Option<&'a str>,
    group_id: Option<&'a str>,
    group_name: Option<&'a str>,
    /// Set when the group's evidence is listed on the page.
    group_evidence: bool,
    resource_ids: &'a [String],
    summary: &'a str,
    rule: Option<&'a crate::analyze::finding::RuleEvidence>,
    exception: Option<&'a crate::analyze::finding::Acceptance>,
    first_seen: String,
    age_days: i64,
    overdue: bool,
    new: bool,
    severity_was: Option<Severity>,
}

/// A group that findings are about, with what it is attached to.
#[derive(Serialize)]
struct GroupEvidence<'a> {
    region: &'a str,
    id: &'a str,
    name: &'a str,
    vpc_id: Option<&'a str>,
    exposure: &'static str,
    critical: bool,
    attachments: Vec<AttachmentView<'a>>,
    more_attachments: usize,
    findings: usize,
}

#[derive(Serialize)]
struct CheckSection<'a> {
    id: &'static str,
    name: &'static str,
    title: &'static str,
    question: &'static str,
    severity_rule: String,
    what: &'a str,
    why: &'a str,
    remediation: &'a str,
    controls: Vec<String>,
    open: usize,
    findings: Vec<FindingView<'a>>,
}

/// What an account page needs from the assessment, sliced once for all pages.
pub struct AccountSlices<'a> {
    findings: HashMap<&'a str, Vec<(usize, &'a Finding)>>,
    groups: HashMap<&'a str, Vec<&'a GroupSummary>>,
}

impl<'a> AccountSlices<'a> {
    pub fn new(a: &'a Assessment) -> Self {
        let mut findings: HashMap<&str, Vec<(usize, &Finding)>> = HashMap::new();
        for f in &a.findings {
            let list = findings.entry(f.account_id.as_str()).or_default();
            list.push((list.len() + 1, f));
        }
        let mut groups: HashMap<&str, Vec<&GroupSummary>> = HashMap::new();
        for g in &a.groups {
            groups.entry(g.account_id.as_str()).or_default().push(g);
        }
        AccountSlices { findings, groups }
    }

    /// The anchor of `f` on its account page: `f<n>`, n counting from 1 in
    /// the page's order (the assessment's order filtered to the account).
    fn anchor(&self, f: &Finding) -> Option<usize> {
        let list = self.findings.get(f.account_id.as_str())?;
        list.iter().find(|(_, g)| std::ptr::eq(*g, f)).map(|&(n, _)| n)
    }
}

impl Html {
    pub fn account(
        &self,
        a: &Assessment,
        snapshot: &Snapshot,
        account: &AccountSnapshot,
        score: &AccountScore,
        slices: &AccountSlices,
        names: &Names,
    ) -> Result<String, ReportError> {
        let mut ctx = header_context(a, snapshot);
        let id = account.account_id.as_str();
        ctx.insert("account", score);
        ctx.insert("overall", &cell(score.status, score.score, score.status.label().into()));
        let questions: Vec<QuestionRow> = score
            .questions
            .iter()
            .map(|q| QuestionRow {
                code: q.question.code(),
                text: q.question.text(),
                cell: cell(q.status, q.score, q.reason.clone()),
                reason: &q.reason,
                items: q.items,
                failing: q.failing,
            })
            .collect();
        ctx.insert("questions", &questions);

        let empty_groups = Vec::new();
        let groups = slices.groups.get(id).unwrap_or(&empty_groups);
        let group_of: HashMap<(&str, &str), &GroupSummary> = groups
            .iter()
            .map(|g| ((g.region.as_str(), g.group_id.as_str()), *g))
            .collect();

        // Findings, grouped by check in catalogue order.
        let empty = Vec::new();
        let findings = slices.findings.get(id).unwrap_or(&empty);
        let mut by_check: HashMap<&str, Vec<&(usize, &Finding)>> = HashMap::new();
        for entry in findings {
            by_check.entry(entry.1.check_id()).or_default().push(entry);
        }
        // The groups the findings are about, each listed once with its evidence.
        let mut evidence: std::collections::BTreeMap<(&str, &str), GroupEvidence> = std::collections::BTreeMap::new();
        for (_, f) in findings {
            let (Some(r), Some(g)) = (&f.region, &f.security_group_id) else {
                continue;
            };
            let Some(group) = group_of.get(&(r.as_str(), g.as_str())) else {
                continue;
            };
            evidence
                .entry((r.as_str(), g.as_str()))
                .or_insert_with(|| GroupEvidence {
                    region: group.region.as_str(),
                    id: group.group_id.as_str(),
                    name: &group.name,
                    vpc_id: group.vpc_id.as_ref().map(|v| v.as_str()),
                    exposure: group.exposure.label(),
                    critical: group.critical,
                    attachments: group
                        .attachments
                        .iter()
                        .take(ATTACHMENTS_SHOWN)
                        .map(|x| AttachmentView {
                            resource_id: &x.resource_id,
                            kind: &x.kind,
                            exposure: x.exposure.label(),
                            why: &x.why,
                            public_ips: &x.public_ips,
                        })
                        .collect(),
                    more_attachments: group.attachments.len().saturating_sub(ATTACHMENTS_SHOWN),
                    findings: 0,
                })
                .findings += 1;
        }
        let mut sections: Vec<CheckSection> = Vec::new();
        for check in ALL_CHECKS {
            let m = &check.meta;
            let Some(of_check) = by_check.remove(m.id) else {
                continue;
            };
            let texts = &self.texts[m.id];
            sections.push(CheckSection {
                id: m.id,
                name: m.name,
                title: m.title,
                question: m.question.code(),
                severity_rule: m.severity.describe(),
                what: &texts[0],
                why: &texts[1],
                remediation: &texts[2],
                controls: m.controls.iter().map(|c| c.label()).collect(),
                open: of_check.iter().filter(|(_, f)| f.is_open()).count(),
                findings: of_check
                    .into_iter()
                    .map(|(anchor, f)| {
                        let group_evidence = match (&f.region, &f.security_group_id) {
                            (Some(r), Some(g)) => evidence.contains_key(&(r.as_str(), g.as_str())),
                            _ => false,
                        };
                        FindingView {
                            anchor: *anchor,
                            severity: f.severity,
                            open: f.is_open(),
                            exposure: f.exposure.map(|e| e.label()),
                            region: f.region.as_ref().map(|r| r.as_str()),
                            group_id: f.security_group_id.as_ref().map(|g| g.as_str()),
                            group_name: f.security_group_id.as_ref().and_then(|g| names.group(g.as_str())),
                            group_evidence,
                            resource_ids: &f.resource_ids,
                            summary: &f.summary,
                            rule: f.rule.as_deref(),
                            exception: f.accepted.as_deref(),
                            first_seen: format_date(f.first_seen.date()),
                            age_days: f.age_days,
                            overdue: f.overdue,
                            new: f.change == Some(crate::analyze::finding::Change::New),
                            severity_was: f.severity_was,
                        }
                    })
                    .collect(),
            });
        }
        ctx.insert("groups", &evidence.into_values().collect::<Vec<_>>());
        ctx.insert("sections", &sections);
        ctx.insert("finding_count", &findings.len());

        let graphs: Vec<Graph> = account
            .regions
            .iter()
            .filter(|r| r.status.is_ok())
            .map(|r| {
                let of_region: Vec<&GroupSummary> = groups.iter().copied().filter(|g| g.region == r.region).collect();
                graph::layout(r, &of_region)
            })
            .collect();
        ctx.insert("graphs", &graphs);
        self.tera
            .render("account.html", &ctx)
            .map_err(template_err("account.html"))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64_matches_the_standard() {
        assert_eq!(super::base64(b""), "");
        assert_eq!(super::base64(b"f"), "Zg==");
        assert_eq!(super::base64(b"fo"), "Zm8=");
        assert_eq!(super::base64(b"foo"), "Zm9v");
        assert_eq!(super::base64(b"foobar"), "Zm9vYmFy");
    }
}
