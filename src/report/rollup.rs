//! The summaries of a large organization, where one row per account no
//! longer fits on page one: scores rolled up by OU, the lowest-scoring
//! accounts, and what was not assessed grouped by reason.
//!
//! Above [`LARGE_ORG`] accounts, `index.html` and `report.md` show these
//! instead of every account, so that page one stays one page (and a few
//! hundred kilobytes) at any size; the complete account table moves to
//! `accounts.html` and `scores.csv`, each account's Markdown section to
//! `accounts/<id>.md`.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::analyze::score::{score_org, Status};
use crate::analyze::{AccountScore, Assessment, Question, Severity};

/// Above this many accounts, the summaries roll up by OU.
pub const LARGE_ORG: usize = 200;

/// How many of the lowest-scoring accounts the summaries list in full.
pub const LOWEST_SHOWN: usize = 25;

/// How many OUs, and how many kinds of gap, the summaries list.
pub const ROWS_SHOWN: usize = 500;

pub fn is_large(a: &Assessment) -> bool {
    a.accounts.len() > LARGE_ORG
}

/// The accounts grouped by OU path, in path order: the heat map's order,
/// and the order of the anchors `ou-1`, `ou-2`, … of `accounts.html`.
pub fn by_ou(a: &Assessment) -> Vec<(&str, Vec<&AccountScore>)> {
    let mut by_ou: BTreeMap<&str, Vec<&AccountScore>> = BTreeMap::new();
    for acc in &a.accounts {
        by_ou.entry(acc.ou_path.as_str()).or_default().push(acc);
    }
    by_ou.into_iter().collect()
}

/// An OU's accounts in brief.
#[derive(Serialize)]
pub struct OuSummary<'a> {
    pub ou: &'a str,
    /// `ou-3`: the OU's rows on `accounts.html`.
    pub anchor: String,
    pub accounts: usize,
    pub accounts_assessed: usize,
    /// Mean of the assessed accounts' scores, and the worst status.
    pub score: Option<f64>,
    pub status: Status,
    /// Per question, in [`Question::SCORED`] order: the mean over the
    /// accounts where it was assessed, and the worst status among them.
    pub questions: Vec<(Question, Option<f64>, Status)>,
    /// Open findings: critical, high, medium, low, info.
    pub open: [usize; 5],
}

pub fn ou_summaries(a: &Assessment) -> Vec<OuSummary<'_>> {
    by_ou(a)
        .into_iter()
        .enumerate()
        .map(|(i, (ou, accounts))| {
            let owned: Vec<AccountScore> = accounts.iter().map(|&a| a.clone()).collect();
            let org = score_org(&owned);
            let questions = Question::SCORED
                .into_iter()
                .map(|q| {
                    let statuses = accounts.iter().filter_map(|a| a.question(q)).map(|s| s.status);
                    let worst = statuses
                        .clone()
                        .filter(|s| s.is_assessed())
                        .max()
                        .or_else(|| statuses.clone().find(|s| *s == Status::NotAssessed))
                        .unwrap_or(Status::NotApplicable);
                    (q, org.questions.get(&q).copied().flatten(), worst)
                })
                .collect();
            let mut open = [0; 5];
            for acc in &accounts {
                for (slot, s) in Severity::ALL.into_iter().enumerate() {
                    open[slot] += acc.open_findings[s];
                }
            }
            OuSummary {
                ou,
                anchor: format!("ou-{}", i + 1),
                accounts: accounts.len(),
                accounts_assessed: org.accounts_assessed,
                score: org.score,
                status: org.status,
                questions,
                open,
            }
        })
        .collect()
}

/// The `n` accounts with the lowest scores (then the most open critical and
/// high findings, then by id); accounts without a score are left to the
/// "not assessed" list.
pub fn lowest(a: &Assessment, n: usize) -> Vec<&AccountScore> {
    let mut scored: Vec<&AccountScore> = a.accounts.iter().filter(|acc| acc.score.is_some()).collect();
    scored.sort_by(|x, y| {
        x.score
            .partial_cmp(&y.score)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(y.open_findings[Severity::Critical].cmp(&x.open_findings[Severity::Critical]))
            .then(y.open_findings[Severity::High].cmp(&x.open_findings[Severity::High]))
            .then(x.account_id.cmp(&y.account_id))
    });
    scored.truncate(n);
    scored
}

/// One reason something was not assessed, with how many accounts it
/// concerns and the first few of them.
#[derive(Serialize)]
pub struct GapGroup<'a> {
    pub what: String,
    pub accounts: usize,
    /// `name (id)` of the first accounts, in account order.
    pub examples: Vec<String>,
    #[serde(skip)]
    last: Option<&'a str>,
}

/// What was not assessed, grouped by what and why (the region and the
/// account left out, so that one cause across the organization is one
/// line), most accounts first.
pub fn grouped_gaps(a: &Assessment) -> Vec<GapGroup<'_>> {
    group_gaps(a, true)
}

/// [`grouped_gaps`] of what was not collected only (no question left
/// unassessed by the configuration): the terminal's summary.
pub fn grouped_collection_gaps(a: &Assessment) -> Vec<GapGroup<'_>> {
    group_gaps(a, false)
}

fn group_gaps(a: &Assessment, questions: bool) -> Vec<GapGroup<'_>> {
    let mut groups: BTreeMap<String, GapGroup> = BTreeMap::new();
    for acc in &a.accounts {
        let whats = acc
            .collection
            .missing
            .iter()
            .map(|m| generic(m, &acc.account_id))
            .chain(
                acc.not_assessed_questions()
                    .filter(|_| questions)
                    .map(|q| format!("{}: {}", q.question, q.reason)),
            );
        for what in whats {
            let g = groups.entry(what.clone()).or_insert_with(|| GapGroup {
                what,
                accounts: 0,
                examples: Vec::new(),
                last: None,
            });
            if g.last != Some(acc.account_id.as_str()) {
                g.last = Some(acc.account_id.as_str());
                g.accounts += 1;
                if g.examples.len() < 3 {
                    g.examples.push(format!("{} ({})", acc.name, acc.account_id));
                }
            }
        }
    }
    let mut list: Vec<GapGroup> = groups.into_values().collect();
    list.sort_by(|x, y| y.accounts.cmp(&x.accounts).then_with(|| x.what.cmp(&y.what)));
    list
}

/// A gap's text with its account-specific parts left out: the account id,
/// and a leading region (`eu-west-1: ssm DescribeInstanceInformation: …`).
fn generic(what: &str, account: &str) -> String {
    let what = what.replace(account, "ACCOUNT");
    match what.split_once(": ") {
        Some((head, rest)) if looks_like_region(head) => rest.to_string(),
        _ => what,
    }
}

fn looks_like_region(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() >= 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()))
        && parts.last().is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_gap_loses_its_region_and_account_so_that_one_cause_is_one_line() {
        assert_eq!(
            super::generic("eu-west-1: ssm DescribeInstanceInformation: HTTP 500", "111111111111"),
            "ssm DescribeInstanceInformation: HTTP 500"
        );
        assert_eq!(
            super::generic(
                "cannot assume arn:aws:iam::111111111111:role/Audit: AccessDenied",
                "111111111111"
            ),
            "cannot assume arn:aws:iam::ACCOUNT:role/Audit: AccessDenied"
        );
        assert!(super::looks_like_region("us-gov-west-1"));
        assert!(!super::looks_like_region("Q3"));
    }
}
