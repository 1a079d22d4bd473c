//! `index.html`: the executive summary.

use std::collections::HashMap;

use serde::Serialize;
use tera::Context;

use crate::analyze::exceptions::format_date;
use crate::analyze::{AccountScore, Assessment, Finding, Question, Severity};
use crate::model::Snapshot;
use crate::report::graph::plain_number;
use crate::report::records::Names;
use crate::report::rollup;
use crate::report::{header_context, template_err, ReportError};

use super::cell::{cell, Cell};
use super::{AccountSlices, Html, ACCOUNTS_JS, SORT_JS};

#[derive(Serialize)]
pub(super) struct AccountRow<'a> {
    id: &'a str,
    name: &'a str,
    cells: Vec<Cell>,
    overall: Cell,
    /// Open findings: critical, high, medium, low, info.
    open: crate::analyze::finding::PerSeverity<usize>,
    collection: crate::analyze::CollectionState,
}

#[derive(Serialize)]
pub(super) struct OuGroup<'a> {
    ou: &'a str,
    /// `ou-3`, on `accounts.html`, where the index's roll-up links to.
    anchor: Option<String>,
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
        ctx.insert("editions", crate::controls::EDITIONS);
        ctx.insert(
            "org_cell",
            &cell(
                a.org.status,
                a.org.score,
                "mean of the assessed accounts' scores".into(),
            ),
        );
        let large = rollup::is_large(a);
        ctx.insert("large", &large);
        if large {
            let rows = ou_rows(a);
            ctx.insert("ous_total", &rows.len());
            ctx.insert("rollup", &rows.into_iter().take(rollup::ROWS_SHOWN).collect::<Vec<_>>());
            ctx.insert("ous", &[lowest_group(a)]);
        } else {
            ctx.insert("ous", &heat_map(a, false));
        }
        ctx.insert("questions", &questions(a));
        let (bars, unscored) = distribution(&a.accounts);
        ctx.insert("bars", &bars);
        ctx.insert("unscored", &unscored);
        crate::report::insert_counts(&mut ctx, a);
        ctx.insert("risks", &top_risks(a, slices, names));
        self.history(&mut ctx, a, slices, names);
        if large {
            let gaps = rollup::grouped_gaps(a);
            ctx.insert("gaps_total", &gaps.len());
            ctx.insert("gaps", &gaps.into_iter().take(rollup::ROWS_SHOWN).collect::<Vec<_>>());
            ctx.insert("missing", &Vec::<Missing>::new());
        } else {
            ctx.insert("gaps", &Vec::<rollup::GapGroup>::new());
            ctx.insert("missing", &not_assessed(a));
        }
        ctx.insert("exceptions", &a.exceptions);
        ctx.insert("script", SORT_JS);
        ctx.insert("script_hash", &self.script_hash);
        self.tera.render("index.html", &ctx).map_err(template_err("index.html"))
    }

    /// `accounts.html`: every account's row of the heat map, by OU, and
    /// what was not assessed, grouped by cause; for organizations too
    /// large for the index to list them. The rows travel as data (a JSON
    /// block the page's script renders 500 at a time, sorts and filters):
    /// 50,000 rows as table markup took a browser 30 seconds to open.
    pub fn accounts(&self, a: &Assessment, snapshot: &Snapshot, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        let mut ctx = header_context(a, snapshot);
        ctx.insert("org", &a.org);
        ctx.insert("questions", &questions(a));
        ctx.insert("compared", &a.comparison.is_some());
        ctx.insert("table", &crate::report::escape::json_in_html(&table_data(a)));
        let gaps = rollup::grouped_gaps(a);
        ctx.insert("gaps", &gaps);
        ctx.insert("script", ACCOUNTS_JS);
        ctx.insert("script_hash", &self.accounts_script_hash);
        self.tera
            .render_to("accounts.html", &ctx, w)
            .map_err(|e| std::io::Error::other(template_err("accounts.html")(e)))
    }
}

/// The account table of `accounts.html` as data, compact: each row an
/// array, each cell `[class, glyph and text, sort key, reason, change,
/// was]`, the reasons (most of the bytes, and mostly the same few
/// sentences) in a table of their own.
#[derive(Serialize)]
struct TableData<'a> {
    /// `[path, anchor, accounts, mean]`, in the rows' order.
    ous: Vec<(&'a str, String, usize, Option<String>)>,
    reasons: Vec<String>,
    /// `[ou, name, id, collection, [cells of Q1–Q5], overall, critical, high]`.
    rows: Vec<TableRow<'a>>,
}

type TableCell = (
    &'static str,
    String,
    serde_json::Value,
    usize,
    &'static str,
    Option<String>,
);
type TableRow<'a> = (
    usize,
    &'a str,
    &'a str,
    &'static str,
    Vec<TableCell>,
    TableCell,
    usize,
    usize,
);

fn table_data(a: &Assessment) -> TableData<'_> {
    let mut reasons: Vec<String> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut reason = |text: String| -> usize {
        if let Some(&i) = index.get(&text) {
            return i;
        }
        reasons.push(text.clone());
        index.insert(text, reasons.len() - 1);
        reasons.len() - 1
    };
    let mut compact = |c: Cell| -> TableCell {
        let parts = c.parts();
        (
            parts.class,
            parts.text,
            parts.key,
            reason(parts.title),
            parts.delta,
            parts.was,
        )
    };
    let mut ous = Vec::new();
    let mut rows = Vec::new();
    for (i, group) in heat_map(a, true).into_iter().enumerate() {
        ous.push((
            group.ou,
            group.anchor.clone().unwrap_or_default(),
            group.accounts,
            group.mean.map(|m| format!("{m:.1}")),
        ));
        for r in group.rows {
            let cells = r.cells.into_iter().map(&mut compact).collect();
            let overall = compact(r.overall);
            rows.push((
                i,
                r.name,
                r.id,
                r.collection.label(),
                cells,
                overall,
                r.open[crate::analyze::Severity::Critical],
                r.open[crate::analyze::Severity::High],
            ));
        }
    }
    TableData { ous, reasons, rows }
}

fn questions(a: &Assessment) -> Vec<serde_json::Value> {
    Question::SCORED
        .iter()
        .map(|q| {
            let mean = a.org.questions.get(q).copied().flatten();
            serde_json::json!({"code": q.code(), "text": q.text(), "items": q.items(), "mean": mean})
        })
        .collect()
}

/// The heat map: accounts x questions, grouped by OU (sorted by OU path,
/// then account id), each cell against the previous assessment.
pub(super) fn heat_map(a: &Assessment, anchors: bool) -> Vec<OuGroup<'_>> {
    crate::report::rollup::by_ou(a)
        .into_iter()
        .enumerate()
        .map(|(i, (ou, accounts))| OuGroup {
            ou,
            anchor: anchors.then(|| format!("ou-{}", i + 1)),
            accounts: accounts.len(),
            mean: crate::analyze::score::mean(accounts.iter().filter_map(|a| a.score)),
            rows: accounts.into_iter().map(|acc| row(a, acc)).collect(),
        })
        .collect()
}

/// The lowest-scoring accounts, as one group of the heat map.
fn lowest_group(a: &Assessment) -> OuGroup<'_> {
    let accounts = rollup::lowest(a, rollup::LOWEST_SHOWN);
    OuGroup {
        ou: "The lowest scores",
        anchor: None,
        accounts: accounts.len(),
        mean: crate::analyze::score::mean(accounts.iter().filter_map(|a| a.score)),
        rows: accounts.into_iter().map(|acc| row(a, acc)).collect(),
    }
}

/// One account's row of the heat map.
fn row<'a>(a: &Assessment, acc: &'a AccountScore) -> AccountRow<'a> {
    let previous = a.trend.len().checked_sub(2).map(|i| &a.trend[i]);
    let was = previous.map(|p| p.accounts.get(&acc.account_id));
    AccountRow {
        id: &acc.account_id,
        name: &acc.name,
        cells: acc
            .questions
            .iter()
            .map(|q| {
                let was_q = was.map(|t| t.and_then(|t| t.questions.get(&q.question).copied().flatten()));
                cell(q.status, q.score, format!("{}: {}", q.question, q.reason)).against(was_q)
            })
            .collect(),
        overall: cell(
            acc.status,
            acc.score,
            format!("{} ({})", acc.status.label(), acc.collection.state),
        )
        .against(was.map(|t| t.and_then(|t| t.score))),
        open: acc.open_findings,
        collection: acc.collection.state,
    }
}

/// An OU's row of the roll-up: its means as heat-map cells.
#[derive(Serialize)]
struct OuRow<'a> {
    ou: &'a str,
    anchor: String,
    accounts: usize,
    accounts_assessed: usize,
    cells: Vec<Cell>,
    overall: Cell,
    open: [usize; 5],
}

fn ou_rows(a: &Assessment) -> Vec<OuRow<'_>> {
    rollup::ou_summaries(a)
        .into_iter()
        .map(|o| OuRow {
            ou: o.ou,
            anchor: o.anchor,
            accounts: o.accounts,
            accounts_assessed: o.accounts_assessed,
            cells: o
                .questions
                .iter()
                .map(|&(q, mean, status)| {
                    cell(
                        status,
                        mean,
                        format!(
                            "{q}: mean over the accounts where it was assessed; worst status {}",
                            status.label()
                        ),
                    )
                })
                .collect(),
            overall: cell(
                o.status,
                o.score,
                format!("mean of {} assessed account(s)", o.accounts_assessed),
            ),
            open: o.open,
        })
        .collect()
}

/// The ten worst open findings. The assessment's order is severity, then
/// where; within a severity, internet-exposed first.
fn top_risks<'a>(a: &'a Assessment, slices: &AccountSlices, names: &Names<'a>) -> Vec<Risk<'a>> {
    crate::report::top_risks(a, 10)
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
        .collect()
}

/// What was not assessed, account by account: what was not collected, then
/// the questions that could not be judged.
fn not_assessed(a: &Assessment) -> Vec<Missing<'_>> {
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
    missing
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
    /// [`crate::report::insert_counts`]'s).
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
            &crate::report::oldest_open(a, 10)
                .into_iter()
                .map(view)
                .collect::<Vec<_>>(),
        );
        if let Some(c) = &a.comparison {
            ctx.insert("baseline_as_of", &format_date(c.baseline_as_of.date()));
            let mut new = crate::report::new_open(a);
            new.sort_by(|x, y| y.severity.cmp(&x.severity).then(y.exposure.cmp(&x.exposure)));
            ctx.insert("new_count", &new.len());
            ctx.insert("new", &new.into_iter().take(10).map(view).collect::<Vec<_>>());
            ctx.insert("severity_changed", &c.severity_changed);
        }
    }
}
