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

use crate::config::{Attestation, Config};
use crate::model::{AccountSnapshot, CollectionStatus, Region, SecurityGroupId, Service};

use super::checks::Unjudged;
use super::exceptions::format_date;
use super::finding::{Exposure, Finding, PerQuestion, PerSeverity, Question, Severity, Subject};

mod types;

pub use types::*;

/// 100 × good ÷ total, in tenths, rounded half up, as a number with one decimal.
pub fn share(good: usize, total: usize) -> f64 {
    let tenths = (2000 * good as u128 + total as u128) / (2 * total as u128);
    tenths as f64 / 10.0
}

/// A mean in tenths, rounded half up (scores are non-negative).
fn round1(x: f64) -> f64 {
    (x * 10.0 + 0.5 + 1e-9).floor() / 10.0
}

/// The mean of some (rounded) scores, rounded half up to one decimal; `None`
/// when there are none. The organization's score, its per-question means and
/// the OU means of the heat map are all this mean.
pub fn mean(scores: impl IntoIterator<Item = f64>) -> Option<f64> {
    let (sum, n) = scores.into_iter().fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
    (n > 0).then(|| round1(sum / n as f64))
}

/// Whether an account is in the scope given by account ids (or `"*"`) and
/// OU ids or names anywhere on its path.
pub fn scope_covers(accounts: &[String], ous: &[String], account: &AccountSnapshot) -> bool {
    accounts.iter().any(|a| a == "*" || a == account.account_id.as_str())
        || account
            .ou_path
            .iter()
            .any(|ou| ous.iter().any(|o| *o == ou.id || *o == ou.name))
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

/// What an account's open findings say, per question and per severity.
#[derive(Default)]
struct Tally<'f> {
    open: PerSeverity<usize>,
    accepted: usize,
    /// Items of each question with an open finding of medium or worse.
    failing: PerQuestion<HashSet<&'f Subject>>,
    /// Whether one of those findings is critical.
    critical: PerQuestion<bool>,
    /// Open findings whose exposure could not be verified (counted as exposed).
    unverified: PerQuestion<usize>,
}

fn tally<'f>(facts: &AccountFacts, findings: &[&'f Finding]) -> Tally<'f> {
    let mut t = Tally::default();
    for f in findings {
        if !f.is_open() {
            t.accepted += 1;
            continue;
        }
        t.open[f.severity] += 1;
        let q = f.check.meta.question;
        let (Some(in_scope), Some(unknown)) = (facts.in_scope.get(q), facts.unknown.get(q)) else {
            continue;
        };
        if f.severity >= q.failing_severity() && (in_scope.contains(&f.subject) || unknown.contains(&f.subject)) {
            t.failing[q].insert(&f.subject);
            t.critical[q] |= f.severity == Severity::Critical;
            t.unverified[q] += usize::from(f.exposure == Some(Exposure::Unknown));
        }
    }
    t
}

/// Why a question cannot be scored in this account at all, if it cannot:
/// the account was not collected, or the config lacks what it needs.
fn blocked(
    q: Question,
    collection: &Collection,
    attested: Option<(&Attestation, bool)>,
    config: &Config,
) -> Option<String> {
    if !collection.state.is_assessed() {
        return Some(format!(
            "not collected: {}",
            collection.missing.first().cloned().unwrap_or_default()
        ));
    }
    match q {
        Question::Q4 => match attested {
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
        },
        Question::Q5 if !config.critical.is_configured() => {
            Some("no critical resources are defined ([critical] in the config)".into())
        }
        _ => None,
    }
}

/// Score one question from its items and failing items.
fn score_question(q: Question, facts: &AccountFacts, tally: &Tally, blocked: Option<String>) -> QuestionScore {
    let (in_scope, unknown, why) = (&facts.in_scope[q], &facts.unknown[q], &facts.unknown_why[q]);
    let failing = &tally.failing[q];
    let unknown_failing = unknown.iter().filter(|s| failing.contains(s)).count();
    let items = in_scope.len() + unknown_failing;
    let not_assessed_items = unknown.len() - unknown_failing;
    let fails = failing.len();
    let critical = tally.critical[q];
    let mut result = QuestionScore {
        question: q,
        status: Status::NotAssessed,
        score: None,
        items,
        failing: fails,
        not_assessed_items,
        reason: String::new(),
    };
    if let Some(reason) = blocked {
        result.reason = reason;
        return result;
    }
    if items == 0 {
        if not_assessed_items > 0 {
            result.reason = format!("{not_assessed_items} item(s) could not be judged: {}", why.join("; "));
        } else {
            result.status = Status::NotApplicable;
            result.reason = format!("no {} in this account", q.items());
        }
        return result;
    }
    let score = share(items - fails, items);
    result.score = Some(score);
    result.status = if fails == 0 {
        Status::Pass
    } else if critical || score < 50.0 {
        Status::Fail
    } else {
        Status::Partial
    };
    result.reason = match (q, fails) {
        (Question::Q4, _) => format!(
            "{} of {items} {} {} defined in infrastructure as code{}",
            items - fails,
            q.items(),
            if items - fails == 1 { "is" } else { "are" },
            match fails {
                0 => String::new(),
                1 => "; 1 is not".to_string(),
                n => format!("; {n} are not"),
            }
        ),
        (_, 0) => format!(
            "none of {items} {} has a finding of medium severity or worse",
            q.items()
        ),
        _ => format!(
            "{fails} of {items} {} {} an open finding of medium severity or worse{}",
            q.items(),
            if fails == 1 { "has" } else { "have" },
            if critical { ", one of them critical" } else { "" }
        ),
    };
    if not_assessed_items > 0 {
        result.reason.push_str(&format!(
            "; {not_assessed_items} more could not be judged ({})",
            why.join("; ")
        ));
    }
    let unverified = tally.unverified[q];
    if unverified > 0 {
        result.reason.push_str(&format!(
            "; {unverified} of the failing findings rest on unverified reachability (counted as exposed)"
        ));
    }
    result
}

/// The weighted mean of the assessed questions' scores, rounded.
fn weighted_score(questions: &[QuestionScore], config: &Config) -> Option<f64> {
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
    for qs in questions {
        if let Some(s) = qs.score {
            sum += weight(qs.question) * s;
            total_weight += weight(qs.question);
        }
    }
    (total_weight > 0.0).then(|| round1(sum / total_weight))
}

/// Score one account from its facts and its findings (exceptions applied).
pub fn score_account(
    account: &AccountSnapshot,
    facts: &AccountFacts,
    findings: &[&Finding],
    config: &Config,
    today: Date,
) -> AccountScore {
    let tally = tally(facts, findings);
    let collection = collection(account, facts);
    let attested = attestation(config, account, today);
    let questions: Vec<QuestionScore> = Question::SCORED
        .into_iter()
        .map(|q| score_question(q, facts, &tally, blocked(q, &collection, attested, config)))
        .collect();
    let score = weighted_score(&questions, config);
    let status = questions
        .iter()
        .map(|q| q.status)
        .filter(|s| s.is_assessed())
        .max()
        .map_or(Status::NotAssessed, |s| {
            s.covering(collection.state == CollectionState::Complete)
        });

    AccountScore {
        account_id: account.account_id.to_string(),
        name: account.name.clone().unwrap_or_default(),
        ou_path: account.ou_path_label(),
        collection,
        questions,
        score,
        status,
        open_findings: tally.open,
        accepted_findings: tally.accepted,
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
            CollectionState::Failed
        }
        CollectionStatus::Skipped { reason } => {
            missing.push(format!("account skipped: {reason}"));
            CollectionState::Skipped
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
                CollectionState::Failed
            } else if missing.is_empty() {
                CollectionState::Complete
            } else {
                CollectionState::Partial
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
    let score = mean(accounts.iter().filter_map(|a| a.score));
    // Suspended accounts are skipped on purpose; any other account that was
    // not (wholly) collected keeps the organization from reading "pass".
    let complete = accounts
        .iter()
        .all(|a| matches!(a.collection.state, CollectionState::Complete | CollectionState::Skipped));
    let status = accounts
        .iter()
        .map(|a| a.status)
        .filter(|s| s.is_assessed())
        .max()
        .map_or(Status::NotAssessed, |s| s.covering(complete));
    let questions = Question::SCORED
        .into_iter()
        .map(|q| (q, mean(accounts.iter().filter_map(|a| a.question(q)?.score))))
        .collect();
    let count = |state: CollectionState| accounts.iter().filter(|a| a.collection.state == state).count();
    OrgScore {
        score,
        status,
        accounts: accounts.len(),
        accounts_assessed: count(CollectionState::Complete) + count(CollectionState::Partial),
        accounts_partial: count(CollectionState::Partial),
        accounts_failed: count(CollectionState::Failed),
        accounts_skipped: count(CollectionState::Skipped),
        regions: accounts.iter().map(|a| a.collection.regions_total).sum(),
        regions_collected: accounts.iter().map(|a| a.collection.regions_collected).sum(),
        questions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::testing::TestOrg;
    use crate::config::Attestation;
    use crate::model::Tag;

    /// The worked example of docs/scoring.md, computed by hand there.
    #[test]
    fn the_worked_example_of_the_scoring_doc() {
        let mut fx = TestOrg::critical();
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
                ("Q1".to_string(), Some(60.0), 5, 2, Status::Fail),
                ("Q2".to_string(), Some(100.0), 4, 0, Status::Pass),
                ("Q3".to_string(), Some(50.0), 2, 1, Status::Fail),
                ("Q4".to_string(), Some(66.7), 3, 1, Status::Partial),
                ("Q5".to_string(), Some(100.0), 1, 0, Status::Pass),
            ]
        );
        assert_eq!(acc.score, Some(75.3)); // (60 + 100 + 50 + 66.7 + 100) / 5 = 75.34
        assert_eq!(acc.status, Status::Fail);
        assert_eq!(a.org.score, Some(75.3));
        assert_eq!(acc.signals.iac_share, Some(66.7));
        assert_eq!(acc.signals.ssm_share, Some(50.0));
    }

    #[test]
    fn missing_attestation_and_missing_data_are_not_assessed_never_passed() {
        let mut fx = TestOrg::new();
        fx.sg("sg-a", &[]);
        fx.instance("i-1", "subnet-private", &["sg-a"], None);
        fx.gap(crate::model::Service::Ssm, "DescribeInstanceInformation");
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
        let assessed = [q[0].score.unwrap(), q[1].score.unwrap()];
        assert_eq!(a.accounts[0].score, mean(assessed));
        assert!(a.is_partial());
    }

    #[test]
    fn an_old_attestation_does_not_count() {
        let mut fx = TestOrg::new();
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
