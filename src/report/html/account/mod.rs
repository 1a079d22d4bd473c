//! `accounts/<id>.html`: one account's scores, findings with their evidence,
//! remediation, and the security-group graph of each region.

use crate::report::remediation::Planner;
use std::collections::{BTreeMap, HashMap};

use compact_str::CompactString;
use serde::Serialize;

use crate::analyze::checks::ALL_CHECKS;
use crate::analyze::exceptions::format_date;
use crate::analyze::reach::Verdict;
use crate::analyze::{AccountScore, Assessment, Finding, GroupSummary, Severity};
use crate::config::Networks;
use crate::model::{AccountSnapshot, Snapshot};
use crate::report::graph;
use crate::report::records::Names;
use crate::report::{header_context, template_err};

use super::cell::{cell, Cell};
use super::{AccountSlices, Html, ATTACHMENTS_SHOWN};

mod rows;
use rows::write_elements;

#[derive(Serialize)]
struct QuestionRow<'a> {
    code: &'static str,
    text: &'static str,
    cell: Cell,
    reason: &'a str,
    items: usize,
    failing: usize,
}

#[cfg_attr(test, derive(Serialize))]
struct AttachmentView<'a> {
    resource_id: &'a str,
    kind: &'a str,
    exposure: &'static str,
    why: &'a str,
}

/// A finding as its row on the page shows it.
#[cfg_attr(test, derive(Serialize))]
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
    resource_ids: &'a [CompactString],
    summary: &'a str,
    rule: Option<&'a crate::analyze::finding::RuleEvidence>,
    exception: Option<&'a crate::analyze::finding::Acceptance>,
    first_seen: String,
    age_days: i64,
    overdue: bool,
    new: bool,
    severity_was: Option<Severity>,
    /// `reachable`, `blocked` or `unknown`, when the finding has a verdict.
    verdict: Option<&'static str>,
    /// `reachable (IPv4, direct)`, `blocked: …`, `unverified: …`
    reach: Option<String>,
    /// `internet → igw-… → … → eni-… 54.12.3.4`
    path: Option<String>,
    /// What the flow logs say about the finding's rule.
    usage: Option<&'a str>,
    fix: FixView,
}

/// A group that findings are about, with what it is attached to.
#[cfg_attr(test, derive(Serialize))]
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
    /// The check's texts, unless the page links to `checks.html` for them.
    what: Option<&'a str>,
    why: Option<&'a str>,
    remediation: Option<&'a str>,
    controls: Vec<String>,
    open: usize,
    count: usize,
    /// The findings' table rows, written by [`FindingView::write_row`].
    rows: String,
}

/// A finding of the account, with its anchor on the page.
type Numbered<'a> = (usize, &'a Finding);

impl Html {
    #[allow(clippy::too_many_arguments)]
    pub fn account(
        &self,
        a: &Assessment,
        snapshot: &Snapshot,
        account: &AccountSnapshot,
        score: &AccountScore,
        slices: &AccountSlices,
        names: &Names,
        planner: &Planner,
        networks: &Networks,
        w: &mut dyn std::io::Write,
    ) -> std::io::Result<()> {
        let mut ctx = header_context(a, snapshot);
        // A large organization's pages link to `checks.html` for the
        // checks' texts (7 KB a page, 340 MB at 50,000 accounts).
        let shared_texts = crate::report::rollup::is_large(a);
        ctx.insert("shared_texts", &shared_texts);
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

        let groups: &[&GroupSummary] = slices.groups.get(id).map_or(&[], Vec::as_slice);
        let findings: &[Numbered] = slices.findings.get(id).map_or(&[], Vec::as_slice);
        let evidence = group_evidence(groups, findings);
        let usage = a.usage.as_ref();
        ctx.insert(
            "sections",
            &self.sections(findings, &evidence, names, planner, usage, shared_texts, id),
        );
        ctx.insert("has_usage", &usage.is_some());
        ctx.insert(
            "rule_usage",
            &usage.map(|u| u.of_account(id).collect::<Vec<_>>()).unwrap_or_default(),
        );
        let mut group_rows = Vec::new();
        for g in evidence.values() {
            g.write_row(&mut group_rows);
        }
        ctx.insert(
            "group_rows",
            &String::from_utf8(group_rows).expect("rows are written from UTF-8 text"),
        );
        ctx.insert("finding_count", &findings.len());
        ctx.insert("blocked", &public_but_blocked(findings));
        ctx.insert("graphs", &graphs(account, groups, networks));
        self.tera
            .render_to("account.html", &ctx, w)
            .map_err(|e| std::io::Error::other(template_err("account.html")(e)))
    }

    /// The findings, grouped by check in catalogue order, each check with its texts.
    #[allow(clippy::too_many_arguments)]
    fn sections<'a>(
        &'a self,
        findings: &'a [Numbered<'a>],
        evidence: &Evidence,
        names: &Names<'a>,
        planner: &Planner,
        usage: Option<&'a crate::analyze::flows::judge::UsageSummary>,
        shared_texts: bool,
        account_id: &str,
    ) -> Vec<CheckSection<'a>> {
        let mut by_check: HashMap<&str, Vec<&Numbered>> = HashMap::new();
        for entry in findings {
            by_check.entry(entry.1.check_id()).or_default().push(entry);
        }
        let mut sections = Vec::new();
        for check in ALL_CHECKS {
            let m = &check.meta;
            let Some(of_check) = by_check.remove(m.id) else {
                continue;
            };
            let texts = (!shared_texts).then(|| &self.texts[m.id]);
            sections.push(CheckSection {
                id: m.id,
                name: m.name,
                title: m.title,
                question: m.question.code(),
                severity_rule: m.severity.describe(),
                what: texts.map(|t| t[0].as_str()),
                why: texts.map(|t| t[1].as_str()),
                remediation: texts.map(|t| t[2].as_str()),
                controls: m.controls.iter().map(|c| c.label()).collect(),
                open: of_check.iter().filter(|(_, f)| f.is_open()).count(),
                count: of_check.len(),
                rows: {
                    let mut rows = Vec::new();
                    for &&(anchor, f) in &of_check {
                        finding_view(anchor, f, evidence, names, planner, usage).write_row(account_id, &mut rows);
                    }
                    String::from_utf8(rows).expect("rows are written from UTF-8 text")
                },
            });
        }
        sections
    }
}

/// The groups the findings are about, each listed once with its evidence,
/// by region and group id.
type Evidence<'a> = BTreeMap<(&'a str, &'a str), GroupEvidence<'a>>;

fn group_evidence<'a>(groups: &[&'a GroupSummary], findings: &[Numbered<'a>]) -> Evidence<'a> {
    let group_of: HashMap<(&str, &str), &GroupSummary> = groups
        .iter()
        .map(|g| ((g.region.as_str(), g.group_id.as_str()), *g))
        .collect();
    let mut evidence = Evidence::new();
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
                    })
                    .collect(),
                more_attachments: group.attachments.len().saturating_sub(ATTACHMENTS_SHOWN),
                findings: 0,
            })
            .findings += 1;
    }
    evidence
}

fn finding_view<'a>(
    anchor: usize,
    f: &'a Finding,
    evidence: &Evidence,
    names: &Names<'a>,
    planner: &Planner,
    usage: Option<&'a crate::analyze::flows::judge::UsageSummary>,
) -> FindingView<'a> {
    let rule_use = match (usage, &f.region, &f.security_group_id, &f.rule) {
        (Some(u), Some(r), Some(g), Some(rule)) if rule.direction == "ingress" => u
            .rule(f.account_id.as_str(), r.as_str(), g.as_str(), &rule.key.canonical())
            .map(|v| v.label.as_str()),
        _ => None,
    };
    let group_evidence = match (&f.region, &f.security_group_id) {
        (Some(r), Some(g)) => evidence.contains_key(&(r.as_str(), g.as_str())),
        _ => false,
    };
    FindingView {
        anchor,
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
        verdict: f.reachability.as_ref().map(|r| r.verdict.label()),
        reach: f.reachability.as_ref().map(|r| r.summary()),
        path: f.reachability.as_ref().filter(|r| r.has_path()).map(|r| r.path_line()),
        usage: rule_use,
        fix: FixView::new(f, &planner.fix(f), planner),
    }
}

/// A finding's fix on the page: the CLI commands, and whether the
/// account's script applies them or what stops it.
#[cfg_attr(test, derive(Serialize))]
struct FixView {
    cli: String,
    scripted: bool,
    in_code: Option<String>,
    first: Option<String>,
    placeholders: Vec<&'static str>,
}

impl FixView {
    fn new(f: &Finding, fix: &crate::analyze::fixes::Fix, planner: &Planner) -> Self {
        let r = crate::report::remediation::RemediationRecord::commands(f, fix, planner);
        FixView {
            cli: r.cli,
            scripted: r.scripted,
            in_code: r.in_code,
            first: r.first,
            placeholders: r.placeholders,
        }
    }
}

/// A finding that a public path leads to but something stops: one route or
/// ACL change from being exposed.
#[derive(Serialize)]
struct Blocked<'a> {
    anchor: usize,
    severity: Severity,
    check_id: &'static str,
    summary: &'a str,
    blocked_by: String,
}

/// The findings about a rule from anywhere (or a wide range) whose verdict
/// is blocked, in page order.
fn public_but_blocked<'a>(findings: &[Numbered<'a>]) -> Vec<Blocked<'a>> {
    findings
        .iter()
        .filter_map(|&(anchor, f)| {
            let r = f.reachability.as_ref()?;
            (r.verdict == Verdict::Blocked && f.is_open()).then(|| Blocked {
                anchor,
                severity: f.severity,
                check_id: f.check_id(),
                summary: &f.summary,
                blocked_by: r.blocked_by.clone().unwrap_or_default(),
            })
        })
        .collect()
}

/// The security-group graph of each collected region.
/// A region's graph as the page draws it: its size and notes for the
/// template, its edges and nodes written by [`write_elements`] (a region of
/// a hundred groups is hundreds of elements, which a Tera loop turned into
/// most of the page's time after the findings).
#[derive(Serialize)]
struct GraphView {
    region: String,
    #[serde(serialize_with = "graph::plain_number")]
    width: f64,
    #[serde(serialize_with = "graph::plain_number")]
    height: f64,
    /// Whether there is anything to draw.
    drawn: bool,
    elements: String,
    not_drawn: usize,
    too_large: Option<usize>,
}

fn graphs(account: &AccountSnapshot, groups: &[&GroupSummary], networks: &Networks) -> Vec<GraphView> {
    account
        .regions
        .iter()
        .filter(|r| r.status.is_ok())
        .enumerate()
        .map(|(i, r)| {
            let of_region: Vec<&GroupSummary> = groups.iter().copied().filter(|g| g.region == r.region).collect();
            let g = graph::layout(r, &of_region, networks);
            let mut elements = Vec::new();
            // The arrow head's id is the graph's number on the page, from 1.
            write_elements(&g, i + 1, &mut elements);
            GraphView {
                drawn: !g.nodes.is_empty(),
                elements: String::from_utf8(elements).expect("elements are written from UTF-8 text"),
                region: g.region,
                width: g.width,
                height: g.height,
                not_drawn: g.not_drawn,
                too_large: g.too_large,
            }
        })
        .collect()
}
