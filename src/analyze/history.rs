//! Remembering the previous assessment: what is new, what persists (and
//! since when), what was fixed, what cannot be told; findings past their age
//! target; the score trend.
//!
//! The baseline is plain data (read from an earlier evidence package by
//! `report::baseline`); everything here is pure, like the rest of `analyze`.

use std::collections::{BTreeMap, HashMap, HashSet};

use compact_str::CompactString;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::config::Sla;
use crate::model::{CollectionStatus, Service, Snapshot};

use super::finding::{Change, Finding, Question, Severity};
use super::score::AccountScore;
use super::OrgScore;

/// How many assessments `trend.json` keeps.
pub const TREND_LENGTH: usize = 24;

/// A finding of the baseline, as its `findings.json` records it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PastFinding {
    // Short strings stay inline (a baseline of a large organization holds
    // hundreds of thousands of these; one allocation each adds up).
    pub fingerprint: CompactString,
    pub check_id: CompactString,
    pub account_id: CompactString,
    #[serde(default)]
    pub account_name: CompactString,
    pub region: Option<CompactString>,
    pub severity: Severity,
    #[serde(with = "time::serde::rfc3339")]
    pub first_seen: OffsetDateTime,
    pub summary: String,
    #[serde(default)]
    pub security_group_id: Option<CompactString>,
    #[serde(default)]
    pub security_group_name: Option<CompactString>,
    #[serde(default)]
    pub title: String,
}

/// Fingerprints are already hex digests: a multiply-and-fold over their
/// bytes spreads them well enough, at a fraction of SipHash's cost.
type ByFingerprint = super::fasthash::FoldBuild;

/// One assessment's scores, as `trend.json` keeps them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrendEntry {
    #[serde(with = "time::serde::rfc3339")]
    pub as_of: OffsetDateTime,
    pub org_score: Option<f64>,
    pub questions: BTreeMap<Question, Option<f64>>,
    pub accounts: BTreeMap<String, AccountTrend>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccountTrend {
    pub score: Option<f64>,
    pub questions: BTreeMap<Question, Option<f64>>,
}

/// The previous assessment.
#[derive(Clone, Debug, PartialEq)]
pub struct Baseline {
    /// The baseline snapshot's time.
    pub as_of: OffsetDateTime,
    pub findings: Vec<PastFinding>,
    /// Its trend, oldest first (it ends with the baseline itself).
    pub trend: Vec<TrendEntry>,
}

/// A baseline finding that is gone, but whose account or region was not
/// assessed this time: it cannot be called fixed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Unknown {
    #[serde(flatten)]
    pub finding: PastFinding,
    pub reason: String,
}

/// This assessment against the baseline.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Comparison {
    #[serde(with = "time::serde::rfc3339")]
    pub baseline_as_of: OffsetDateTime,
    pub new: usize,
    pub persisting: usize,
    /// Persisting findings whose severity changed (`severity_was`).
    pub severity_changed: usize,
    /// Gone, in an account and region that were assessed: fixed.
    pub resolved: Vec<PastFinding>,
    pub unknown: Vec<Unknown>,
}

/// The age target of a severity, in days.
pub fn target(sla: &Sla, severity: Severity) -> Option<u32> {
    match severity {
        Severity::Critical => sla.critical,
        Severity::High => sla.high,
        Severity::Medium => sla.medium,
        Severity::Low => sla.low,
        Severity::Info => sla.info,
    }
}

/// Whether a finding of this check can only be judged with Systems
/// Manager's inventory: for every other check, a region collected without
/// it still shows whether the finding is gone.
fn needs_ssm(check_id: &str) -> bool {
    super::checks::find(check_id).is_none_or(|c| super::checks::NEEDS_SSM.contains(&c))
}

/// Why a region's findings cannot be judged this time, if they cannot. A
/// gap in Systems Manager counts only for the checks that need it.
fn not_assessed(snapshot: &Snapshot, account: &str, region: Option<&str>, ssm: bool) -> Option<String> {
    let Some(acc) = snapshot.accounts.iter().find(|a| a.account_id.as_str() == account) else {
        return Some("the account is not in this snapshot".into());
    };
    if let Some(reason) = acc.status.reason() {
        return Some(format!("the account was not collected: {reason}"));
    }
    let region = region?;
    match acc.regions.iter().find(|r| r.region.as_str() == region) {
        None => Some(format!("{region} was not collected this time")),
        Some(r) => match &r.status {
            CollectionStatus::Ok => {
                let gaps: Vec<String> = r
                    .gaps
                    .iter()
                    .filter(|g| ssm || g.service != Service::Ssm)
                    .map(|g| format!("{} {}", g.service, g.operation))
                    .collect();
                (!gaps.is_empty()).then(|| format!("{region} was collected without {}", gaps.join(", ")))
            }
            other => Some(format!(
                "{region} was not collected: {}",
                other.reason().unwrap_or_default()
            )),
        },
    }
}

/// Set each finding's age, change and overdue flag; compare with the baseline.
pub fn apply(
    findings: &mut [Finding],
    snapshot: &Snapshot,
    baseline: Option<&Baseline>,
    sla: &Sla,
) -> Option<Comparison> {
    let as_of = snapshot.started_at;
    let past: HashMap<&str, &PastFinding, ByFingerprint> = baseline
        .map(|b| b.findings.iter().map(|f| (f.fingerprint.as_str(), f)).collect())
        .unwrap_or_default();
    let (mut new, mut persisting, mut severity_changed) = (0, 0, 0);
    for f in findings.iter_mut() {
        match past.get(f.fingerprint.as_str()) {
            Some(p) => {
                f.first_seen = p.first_seen.min(as_of);
                f.change = Some(Change::Persisting);
                persisting += 1;
                if p.severity != f.severity {
                    f.severity_was = Some(p.severity);
                    severity_changed += 1;
                }
            }
            None => {
                f.first_seen = as_of;
                if baseline.is_some() {
                    f.change = Some(Change::New);
                    new += 1;
                }
            }
        }
        f.age_days = (as_of - f.first_seen).whole_days().max(0);
        f.overdue = f.is_open() && target(sla, f.severity).is_some_and(|days| f.age_days > i64::from(days));
    }
    let baseline = baseline?;
    let present: HashSet<&str, ByFingerprint> = findings.iter().map(|f| f.fingerprint.as_str()).collect();
    let mut resolved = Vec::new();
    let mut unknown = Vec::new();
    // Once per account-region, not once per gone finding: an account that
    // failed collection takes all of its baseline findings through here.
    let mut why_not: HashMap<(&str, Option<&str>, bool), Option<String>> = HashMap::new();
    for p in baseline
        .findings
        .iter()
        .filter(|p| !present.contains(p.fingerprint.as_str()))
    {
        let ssm = needs_ssm(&p.check_id);
        let reason = why_not
            .entry((p.account_id.as_str(), p.region.as_deref(), ssm))
            .or_insert_with(|| not_assessed(snapshot, &p.account_id, p.region.as_deref(), ssm))
            .clone();
        match reason {
            Some(reason) => unknown.push(Unknown {
                finding: p.clone(),
                reason,
            }),
            None => resolved.push(p.clone()),
        }
    }
    Some(Comparison {
        baseline_as_of: baseline.as_of,
        new,
        persisting,
        severity_changed,
        resolved,
        unknown,
    })
}

/// The trend: the baseline's, then this assessment, the last `TREND_LENGTH`.
pub fn trend(
    as_of: OffsetDateTime,
    org: &OrgScore,
    accounts: &[AccountScore],
    baseline: Option<&Baseline>,
) -> Vec<TrendEntry> {
    let mut entries: Vec<TrendEntry> = baseline.map(|b| b.trend.clone()).unwrap_or_default();
    entries.retain(|e| e.as_of < as_of);
    entries.push(TrendEntry {
        as_of,
        org_score: org.score,
        questions: org.questions.clone(),
        accounts: accounts
            .iter()
            .map(|a| {
                (
                    a.account_id.clone(),
                    AccountTrend {
                        score: a.score,
                        questions: a.questions.iter().map(|q| (q.question, q.score)).collect(),
                    },
                )
            })
            .collect(),
    });
    let excess = entries.len().saturating_sub(TREND_LENGTH);
    entries.drain(..excess);
    entries
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::testing::TestOrg;
    use crate::analyze::{assess, assess_with, Evidence};
    use time::macros::datetime;

    fn baseline_of(fx: &TestOrg) -> Baseline {
        let a = assess(&fx.snapshot, &fx.config);
        Baseline {
            as_of: fx.snapshot.started_at,
            findings: a
                .findings
                .iter()
                .map(|f| PastFinding {
                    fingerprint: f.fingerprint.as_str().into(),
                    check_id: f.check_id().into(),
                    account_id: f.account_id.to_string().into(),
                    account_name: CompactString::default(),
                    region: f.region.as_ref().map(|r| r.to_string().into()),
                    severity: f.severity,
                    first_seen: f.first_seen,
                    summary: f.summary.clone(),
                    security_group_id: f.security_group_id.as_ref().map(|g| g.to_string().into()),
                    security_group_name: None,
                    title: String::new(),
                })
                .collect(),
            trend: a.trend,
        }
    }

    /// The organization assessed again, with `base` as the baseline.
    fn against(fx: &TestOrg, base: &Baseline) -> crate::analyze::Assessment {
        assess_with(
            &fx.snapshot,
            &fx.config,
            &Evidence {
                baseline: Some(base),
                usage: None,
            },
        )
    }

    fn month_later(fx: &mut TestOrg) {
        fx.snapshot.started_at = datetime!(2026-12-01 02:00 UTC);
    }

    #[test]
    fn first_seen_is_carried_and_age_and_overdue_follow() {
        let mut fx = TestOrg::new();
        fx.sg("sg-ssh", &["tcp 22 0.0.0.0/0"]);
        fx.instance("i-1", "subnet-public", &["sg-ssh"], Some("203.0.113.9"));
        let base = baseline_of(&fx);
        month_later(&mut fx);
        let a = against(&fx, &base);
        let ssh = a.findings.iter().find(|f| f.check_id() == "SGA101").unwrap();
        assert_eq!(ssh.first_seen, datetime!(2026-11-01 02:00 UTC));
        assert_eq!(ssh.age_days, 30);
        assert_eq!(ssh.change, Some(Change::Persisting));
        assert!(ssh.overdue, "critical, 30 days > 7");
        let c = a.comparison.unwrap();
        assert_eq!(
            (c.new, c.persisting, c.resolved.len(), c.unknown.len()),
            (0, a.findings.len(), 0, 0)
        );
    }

    #[test]
    fn new_fixed_changed_and_unknown_are_told_apart() {
        let mut fx = TestOrg::new();
        fx.sg("sg-a", &["tcp 22 0.0.0.0/0", "tcp 3306 0.0.0.0/0"]);
        fx.instance("i-1", "subnet-private", &["sg-a"], None);
        fx.second_account_sg("sg-b", &["tcp 3389 0.0.0.0/0"]);
        let base = baseline_of(&fx);
        month_later(&mut fx);
        // SSH closed, RDP opened; the instance becomes internet-exposed; the
        // second account was not collected this time.
        fx.set_rules("sg-a", &["tcp 3389 0.0.0.0/0", "tcp 3306 0.0.0.0/0"]);
        fx.move_instance("i-1", "subnet-public", Some("203.0.113.9"));
        fx.snapshot.accounts[1].status = CollectionStatus::Failed {
            reason: "AccessDenied".into(),
        };
        fx.snapshot.accounts[1].regions.clear();
        let a = against(&fx, &base);
        let c = a.comparison.as_ref().unwrap();
        let find = |check: &str, text: &str| {
            a.findings
                .iter()
                .find(|f| f.check_id() == check && f.summary.contains(text))
                .unwrap()
        };
        assert_eq!(find("SGA101", "3389").change, Some(Change::New));
        let mysql = find("SGA202", "3306");
        assert_eq!(mysql.change, Some(Change::Persisting));
        assert_eq!(
            (mysql.severity_was, mysql.severity),
            (Some(Severity::High), Severity::Critical)
        );
        assert!(c
            .resolved
            .iter()
            .any(|p| p.check_id == "SGA101" && p.summary.contains("port 22/tcp")));
        assert!(c.unknown.iter().all(|u| u.finding.account_id == "222222222222"));
        assert!(!c.unknown.is_empty());
        assert!(c.unknown[0].reason.contains("AccessDenied"), "{}", c.unknown[0].reason);
        assert!(
            c.resolved.iter().all(|p| p.account_id != "222222222222"),
            "not assessed is never resolved"
        );
    }

    #[test]
    fn a_systems_manager_gap_hides_only_what_needs_systems_manager() {
        let mut fx = TestOrg::new();
        fx.sg("sg-a", &["tcp 22 0.0.0.0/0"]);
        fx.instance("i-1", "subnet-public", &["sg-a"], Some("203.0.113.9"));
        fx.ssm(&[]);
        let base = baseline_of(&fx);
        month_later(&mut fx);
        // SSH closed and the instance stopped; Systems Manager could not be read.
        fx.set_rules("sg-a", &[]);
        fx.stop("i-1");
        fx.gap(Service::Ssm, "DescribeInstanceInformation");
        let a = against(&fx, &base);
        let c = a.comparison.as_ref().unwrap();
        assert!(c.resolved.iter().any(|p| p.check_id == "SGA101"), "{:?}", c.resolved);
        assert!(
            c.unknown.iter().all(|u| u.finding.check_id == "SGA301"),
            "{:?}",
            c.unknown
        );
        assert!(
            c.unknown
                .iter()
                .any(|u| u.finding.check_id == "SGA301" && u.reason.contains("ssm DescribeInstanceInformation")),
            "{:?}",
            c.unknown
        );
    }

    #[test]
    fn the_trend_keeps_the_last_24() {
        let fx = TestOrg::new();
        let a = assess(&fx.snapshot, &fx.config);
        let mut base = Baseline {
            as_of: fx.snapshot.started_at,
            findings: vec![],
            trend: (0..30)
                .map(|i| TrendEntry {
                    as_of: datetime!(2024-01-01 00:00 UTC) + time::Duration::days(i * 7),
                    org_score: Some(i as f64),
                    questions: BTreeMap::new(),
                    accounts: BTreeMap::new(),
                })
                .collect(),
        };
        let entries = trend(fx.snapshot.started_at, &a.org, &a.accounts, Some(&base));
        assert_eq!(entries.len(), TREND_LENGTH);
        assert_eq!(entries.last().unwrap().as_of, fx.snapshot.started_at);
        assert_eq!(entries[0].org_score, Some(7.0), "the oldest are dropped");
        // A baseline from the future (or the same snapshot again) is not repeated.
        base.trend.push(TrendEntry {
            as_of: fx.snapshot.started_at,
            ..base.trend[0].clone()
        });
        let again = trend(fx.snapshot.started_at, &a.org, &a.accounts, Some(&base));
        assert_eq!(again.iter().filter(|e| e.as_of == fx.snapshot.started_at).count(), 1);
    }
}
