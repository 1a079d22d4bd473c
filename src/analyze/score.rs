//! Scores: per account and question, per account, for the organization.
//!
//! The rubric (docs/scoring.md explains it for people, with a worked example):
//! - a question's **items** are what it is about (`Question::items`); an item
//!   **fails** when it has an open (not accepted) finding of medium severity
//!   or worse from one of the question's checks;
//! - question score = 100 × (items − failing) ÷ items, rounded half up to one
//!   decimal; status **pass** with no failing item, **fail** with a critical
//!   finding or a score under 50, **partial** otherwise;
//! - **not assessed** when the data or the attestation is missing, **not
//!   applicable** when there is nothing to judge; neither counts as passed,
//!   and neither enters the account score;
//! - account score = weighted mean of its assessed questions' (rounded)
//!   scores, rounded; org score = mean of the (rounded) account scores, rounded.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use serde::Serialize;
use time::{Date, Duration};

use crate::config::{scope_covers, Attestation, Config};
use crate::model::{AccountSnapshot, CollectionStatus, Region, SecurityGroupId};

use super::checks::ALL_CHECKS;
use super::exceptions::format_date;
use super::finding::{Finding, Question, Severity, Subject};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pass,
    Partial,
    Fail,
    NotAssessed,
    NotApplicable,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Partial => "partial",
            Status::Fail => "fail",
            Status::NotAssessed => "not assessed",
            Status::NotApplicable => "not applicable",
        }
    }
    pub fn is_assessed(self) -> bool {
        matches!(self, Status::Pass | Status::Partial | Status::Fail)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct QuestionScore {
    pub question: Question,
    pub status: Status,
    /// 0-100, one decimal; absent when not assessed or not applicable.
    pub score: Option<f64>,
    /// Items judged.
    pub items: usize,
    /// Items with an open finding of medium severity or worse.
    pub failing: usize,
    /// Items in scope that could not be judged (missing data).
    pub not_assessed_items: usize,
    /// One sentence: why this status.
    pub reason: String,
}

/// The region-level facts the scores are computed from, gathered per account.
#[derive(Debug, Default)]
pub struct AccountFacts {
    /// Per scored question (Q1..Q5): the items judged.
    pub in_scope: [HashSet<Subject>; 5],
    /// Per question: items in scope whose judgement needs data that is
    /// missing; they count only if a finding already fails them.
    pub unknown: [HashSet<Subject>; 5],
    /// Why items were unknown, e.g. `Systems Manager data missing in eu-west-1`.
    pub unknown_why: [Vec<String>; 5],
    pub groups: usize,
    pub groups_iac: usize,
    pub running_instances: usize,
    pub ssm_judged: usize,
    pub ssm_managed: usize,
    pub bastion_groups: BTreeSet<SecurityGroupId>,
    pub regions_total: usize,
    pub regions_collected: usize,
    /// `(region, reason)` for regions not collected.
    pub region_failures: Vec<(Region, String)>,
    /// `(region, service, operation, error)` for partial regions.
    pub gaps: Vec<(Region, String, String, String)>,
}

/// What the technical signals say, beside the scores.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Signals {
    /// Share (0-100) of non-default groups defined by infrastructure as code.
    pub iac_share: Option<f64>,
    /// Share (0-100) of running instances managed by Systems Manager (where known).
    pub ssm_share: Option<f64>,
    /// Groups used as the source of admin-port rules: the bastions.
    pub bastion_groups: Vec<SecurityGroupId>,
    /// The attestation that covers the account for Q4, if any.
    pub attestation: Option<AttestationSummary>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AttestationSummary {
    pub owner: String,
    pub training: String,
    pub attested_by: String,
    pub date: String,
    pub current: bool,
}

/// How completely an account was collected.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Collection {
    /// `complete`, `partial`, `failed` or `skipped`.
    pub state: &'static str,
    pub regions_collected: usize,
    pub regions_total: usize,
    /// Each thing that was not collected, and why.
    pub missing: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AccountScore {
    pub account_id: String,
    pub name: String,
    pub ou_path: String,
    pub collection: Collection,
    pub questions: Vec<QuestionScore>,
    pub score: Option<f64>,
    pub status: Status,
    /// Open findings by severity: critical, high, medium, low, info.
    pub open_findings: [usize; 5],
    pub accepted_findings: usize,
    pub signals: Signals,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OrgScore {
    pub score: Option<f64>,
    pub status: Status,
    pub accounts: usize,
    pub accounts_assessed: usize,
    pub accounts_partial: usize,
    pub accounts_failed: usize,
    pub accounts_skipped: usize,
    pub regions: usize,
    pub regions_collected: usize,
    /// Mean score per question over the accounts where it was assessed.
    pub questions: BTreeMap<Question, Option<f64>>,
}

/// 100 × good ÷ total, in tenths, rounded half up, as a number with one decimal.
pub fn share(good: usize, total: usize) -> f64 {
    let tenths = (2000 * good as u128 + total as u128) / (2 * total as u128);
    tenths as f64 / 10.0
}

/// A mean in tenths, rounded half up (scores are non-negative).
fn round1(x: f64) -> f64 {
    (x * 10.0 + 0.5 + 1e-9).floor() / 10.0
}

fn question_index(q: Question) -> Option<usize> {
    Question::SCORED.iter().position(|x| *x == q)
}

/// The newest attestation covering the account, and whether it is current.
fn attestation<'c>(config: &'c Config, account: &AccountSnapshot, today: Date) -> Option<(&'c Attestation, bool)> {
    let newest = config
        .attestations
        .iter()
        .filter(|a| scope_covers(&a.accounts, &a.ous, account))
        .max_by_key(|a| a.date)?;
    let max_age = Duration::days(config.governance.attestation_max_age_days);
    Some((newest, newest.date + max_age >= today))
}

/// Score one account from its facts and its findings (exceptions applied).
pub fn score_account(
    account: &AccountSnapshot,
    facts: &AccountFacts,
    findings: &[&Finding],
    config: &Config,
    today: Date,
) -> AccountScore {
    let mut open_findings = [0usize; 5];
    let mut accepted_findings = 0;
    let mut failing: [HashSet<&Subject>; 5] = Default::default();
    let mut critical: [bool; 5] = [false; 5];
    for f in findings {
        if !f.is_open() {
            accepted_findings += 1;
            continue;
        }
        open_findings[4 - f.severity as usize] += 1;
        let question = ALL_CHECKS
            .iter()
            .find(|c| c.meta.id == f.check_id)
            .map(|c| c.meta.question);
        let Some(q) = question.and_then(question_index) else {
            continue;
        };
        if f.severity >= Severity::Medium
            && (facts.in_scope[q].contains(&f.subject) || facts.unknown[q].contains(&f.subject))
        {
            failing[q].insert(&f.subject);
            critical[q] |= f.severity == Severity::Critical;
        }
    }

    let collection = collection(account, facts);
    let assessed_account = matches!(collection.state, "complete" | "partial");
    let attested = attestation(config, account, today);

    let mut questions = Vec::with_capacity(5);
    for (q_i, q) in Question::SCORED.into_iter().enumerate() {
        let unknown_failing = facts.unknown[q_i].iter().filter(|s| failing[q_i].contains(s)).count();
        let items = facts.in_scope[q_i].len() + unknown_failing;
        let not_assessed_items = facts.unknown[q_i].len() - unknown_failing;
        let fails = failing[q_i].len();
        let mut result = QuestionScore {
            question: q,
            status: Status::NotAssessed,
            score: None,
            items,
            failing: fails,
            not_assessed_items,
            reason: String::new(),
        };
        let blocked: Option<String> = if !assessed_account {
            Some(format!(
                "not collected: {}",
                collection.missing.first().cloned().unwrap_or_default()
            ))
        } else if q == Question::Q4 {
            match attested {
                None => Some(
                    "no attestation of who defines security groups and their training ([[attestations]] in the config)"
                        .into(),
                ),
                Some((a, false)) => Some(format!(
                    "the attestation by {} dated {} is older than {} days",
                    a.attested_by,
                    format_date(a.date),
                    config.governance.attestation_max_age_days
                )),
                Some((_, true)) => None,
            }
        } else if q == Question::Q5 && !config.critical.is_configured() {
            Some("no critical resources are defined ([critical] in the config)".into())
        } else {
            None
        };
        if let Some(reason) = blocked {
            result.reason = reason;
            questions.push(result);
            continue;
        }
        if items == 0 {
            result.status = if not_assessed_items > 0 {
                Status::NotAssessed
            } else {
                Status::NotApplicable
            };
            result.reason = if not_assessed_items > 0 {
                format!(
                    "{not_assessed_items} item(s) could not be judged: {}",
                    facts.unknown_why[q_i].join("; ")
                )
            } else {
                format!("no {} in this account", q.items())
            };
            questions.push(result);
            continue;
        }
        let score = share(items - fails, items);
        result.score = Some(score);
        result.status = if fails == 0 {
            Status::Pass
        } else if critical[q_i] || score < 50.0 {
            Status::Fail
        } else {
            Status::Partial
        };
        result.reason = if fails == 0 {
            format!(
                "none of {items} {} has a finding of medium severity or worse",
                q.items()
            )
        } else {
            format!(
                "{fails} of {items} {} {} an open finding of medium severity or worse{}",
                q.items(),
                if fails == 1 { "has" } else { "have" },
                if critical[q_i] { ", one of them critical" } else { "" }
            )
        };
        if not_assessed_items > 0 {
            result.reason.push_str(&format!(
                "; {not_assessed_items} more could not be judged ({})",
                facts.unknown_why[q_i].join("; ")
            ));
        }
        questions.push(result);
    }

    let weights = &config.scoring.weights;
    let weight = |q: Question| match q {
        Question::Q1 => weights.q1,
        Question::Q2 => weights.q2,
        Question::Q3 => weights.q3,
        Question::Q4 => weights.q4,
        Question::Q5 => weights.q5,
        Question::Hygiene => 0.0,
    };
    let (mut sum, mut total_weight) = (0.0, 0.0);
    for qs in &questions {
        if let Some(s) = qs.score {
            sum += weight(qs.question) * s;
            total_weight += weight(qs.question);
        }
    }
    let score = (total_weight > 0.0).then(|| round1(sum / total_weight));
    let assessed: Vec<Status> = questions.iter().map(|q| q.status).filter(|s| s.is_assessed()).collect();
    let status = if assessed.is_empty() {
        Status::NotAssessed
    } else {
        *assessed.iter().max().expect("non-empty")
    };

    AccountScore {
        account_id: account.account_id.to_string(),
        name: account.name.clone().unwrap_or_default(),
        ou_path: account.ou_path_label(),
        collection,
        questions,
        score,
        status,
        open_findings,
        accepted_findings,
        signals: Signals {
            iac_share: (facts.groups > 0).then(|| share(facts.groups_iac, facts.groups)),
            ssm_share: (facts.ssm_judged > 0).then(|| share(facts.ssm_managed, facts.ssm_judged)),
            bastion_groups: facts.bastion_groups.iter().cloned().collect(),
            attestation: attested.map(|(a, current)| AttestationSummary {
                owner: a.owner.clone(),
                training: a.training.clone(),
                attested_by: a.attested_by.clone(),
                date: format_date(a.date),
                current,
            }),
        },
    }
}

fn collection(account: &AccountSnapshot, facts: &AccountFacts) -> Collection {
    let mut missing = Vec::new();
    let state = match &account.status {
        CollectionStatus::Failed { reason } => {
            missing.push(format!("account: {reason}"));
            "failed"
        }
        CollectionStatus::Skipped { reason } => {
            missing.push(format!("account skipped: {reason}"));
            "skipped"
        }
        CollectionStatus::Ok => {
            for (region, reason) in &facts.region_failures {
                missing.push(format!("{region}: {reason}"));
            }
            for (region, service, operation, error) in &facts.gaps {
                missing.push(format!("{region}: {service} {operation}: {error}"));
            }
            if facts.regions_collected == 0 {
                if missing.is_empty() {
                    missing.push("no region was collected".into());
                }
                "failed"
            } else if missing.is_empty() {
                "complete"
            } else {
                "partial"
            }
        }
    };
    Collection {
        state,
        regions_collected: facts.regions_collected,
        regions_total: facts.regions_total,
        missing,
    }
}

/// The organization's score and coverage from its accounts' scores.
pub fn score_org(accounts: &[AccountScore]) -> OrgScore {
    let scored: Vec<f64> = accounts.iter().filter_map(|a| a.score).collect();
    let score = (!scored.is_empty()).then(|| round1(scored.iter().sum::<f64>() / scored.len() as f64));
    let assessed: Vec<Status> = accounts.iter().map(|a| a.status).filter(|s| s.is_assessed()).collect();
    let status = assessed.iter().max().copied().unwrap_or(Status::NotAssessed);
    let questions = Question::SCORED
        .into_iter()
        .enumerate()
        .map(|(i, q)| {
            let s: Vec<f64> = accounts.iter().filter_map(|a| a.questions[i].score).collect();
            (
                q,
                (!s.is_empty()).then(|| round1(s.iter().sum::<f64>() / s.len() as f64)),
            )
        })
        .collect();
    let count = |state: &str| accounts.iter().filter(|a| a.collection.state == state).count();
    OrgScore {
        score,
        status,
        accounts: accounts.len(),
        accounts_assessed: count("complete") + count("partial"),
        accounts_partial: count("partial"),
        accounts_failed: count("failed"),
        accounts_skipped: count("skipped"),
        regions: accounts.iter().map(|a| a.collection.regions_total).sum(),
        regions_collected: accounts.iter().map(|a| a.collection.regions_collected).sum(),
        questions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::testing::Fx;
    use crate::config::Attestation;
    use crate::model::Tag;

    /// The worked example of docs/scoring.md, computed by hand there.
    #[test]
    fn the_worked_example_of_the_scoring_doc() {
        let mut fx = Fx::critical();
        fx.sg("sg-a", &["tcp 22 0.0.0.0/0 desc=ssh"]);
        fx.sg("sg-b", &["tcp 443 sg-a desc=from a"]);
        fx.sg("sg-c", &["tcp 8080 10.0.0.0/16 desc=spare"]);
        fx.sg("sg-d", &[]);
        fx.rename("sg-d", "default", "default VPC security group");
        for sg in ["sg-b", "sg-c"] {
            fx.tag_sg(
                sg,
                Tag {
                    key: "aws:cloudformation:stack-name".into(),
                    value: "app".into(),
                },
            );
        }
        fx.instance("i-1", "subnet-public", &["sg-a"], Some("203.0.113.80"));
        fx.instance("i-2", "subnet-private", &["sg-b"], None);
        fx.tag_instance("i-2", "criticality", "critical");
        fx.ssm(&["i-2"]);
        fx.config.attestations.push(Attestation {
            accounts: vec!["*".into()],
            ous: vec![],
            owner: "platform".into(),
            training: "course".into(),
            attested_by: "ciso".into(),
            date: time::macros::date!(2026 - 06 - 01),
            span: None,
        });
        let a = fx.assess();
        let acc = &a.accounts[0];
        let table: Vec<(String, Option<f64>, usize, usize, Status)> = acc
            .questions
            .iter()
            .map(|q| (q.question.to_string(), q.score, q.items, q.failing, q.status))
            .collect();
        assert_eq!(
            table,
            [
                ("Q1".to_string(), Some(75.0), 4, 1, Status::Fail),
                ("Q2".to_string(), Some(100.0), 4, 0, Status::Pass),
                ("Q3".to_string(), Some(50.0), 2, 1, Status::Fail),
                ("Q4".to_string(), Some(66.7), 3, 1, Status::Partial),
                ("Q5".to_string(), Some(100.0), 1, 0, Status::Pass),
            ]
        );
        assert_eq!(acc.score, Some(78.3)); // (75 + 100 + 50 + 66.7 + 100) / 5 = 78.34
        assert_eq!(acc.status, Status::Fail);
        assert_eq!(a.org.score, Some(78.3));
        assert_eq!(acc.signals.iac_share, Some(66.7));
        assert_eq!(acc.signals.ssm_share, Some(50.0));
    }

    #[test]
    fn missing_attestation_and_missing_data_are_not_assessed_never_passed() {
        let mut fx = Fx::new();
        fx.sg("sg-a", &[]);
        fx.instance("i-1", "subnet-private", &["sg-a"], None);
        fx.gap("ssm", "DescribeInstanceInformation");
        let a = fx.assess();
        let q = &a.accounts[0].questions;
        assert_eq!(q[2].status, Status::NotAssessed, "{}", q[2].reason);
        assert!(
            q[2].reason.contains("Systems Manager data missing in eu-west-1"),
            "{}",
            q[2].reason
        );
        assert_eq!(q[3].status, Status::NotAssessed);
        assert!(q[3].reason.contains("no attestation"), "{}", q[3].reason);
        assert_eq!(q[4].status, Status::NotAssessed);
        assert!(
            q[4].reason.contains("no critical resources are defined"),
            "{}",
            q[4].reason
        );
        // Only Q1 and Q2 count.
        assert_eq!(a.accounts[0].score, Some(100.0));
        assert!(a.is_partial());
    }

    #[test]
    fn an_old_attestation_does_not_count() {
        let mut fx = Fx::new();
        fx.sg("sg-a", &[]);
        fx.config.attestations.push(Attestation {
            accounts: vec!["111111111111".into()],
            ous: vec![],
            owner: "o".into(),
            training: "t".into(),
            attested_by: "x".into(),
            date: time::macros::date!(2025 - 01 - 01),
            span: None,
        });
        let a = fx.assess();
        assert_eq!(a.accounts[0].questions[3].status, Status::NotAssessed);
        assert!(a.accounts[0].questions[3].reason.contains("older than 365 days"));
    }

    #[test]
    fn shares_round_half_up_to_one_decimal() {
        assert_eq!(share(2, 3), 66.7);
        assert_eq!(share(1, 3), 33.3);
        assert_eq!(share(1, 8), 12.5);
        assert_eq!(share(1, 16), 6.3); // 6.25 rounds up
        assert_eq!(share(0, 5), 0.0);
        assert_eq!(share(5, 5), 100.0);
        assert_eq!(round1(80.25), 80.3);
        assert_eq!(round1(66.65), 66.7);
    }
}
