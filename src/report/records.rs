//! The flat records that JSON and CSV outputs are made of.

use std::collections::HashMap;

use compact_str::CompactString;
use serde::Serialize;

use crate::analyze::finding::{Acceptance, RuleEvidence};
use crate::analyze::reach::ReachRecord;
use crate::analyze::{Exposure, Finding, Severity};
use crate::controls::Control;
use crate::model::Snapshot;

/// Names of accounts and groups, to print beside ids.
pub struct Names<'s> {
    accounts: HashMap<&'s str, &'s str, foldhash::fast::RandomState>,
    groups: HashMap<&'s str, &'s str, foldhash::fast::RandomState>,
}

impl<'s> Names<'s> {
    pub fn new(snapshot: &'s Snapshot) -> Self {
        let mut accounts = HashMap::default();
        let mut groups = HashMap::default();
        for a in &snapshot.accounts {
            accounts.insert(a.account_id.as_str(), a.name.as_deref().unwrap_or(""));
            for r in &a.regions {
                for sg in &r.security_groups {
                    groups.insert(sg.group_id.as_str(), sg.group_name.as_str());
                }
            }
        }
        Names { accounts, groups }
    }
    pub fn account(&self, id: &str) -> &'s str {
        self.accounts.get(id).copied().unwrap_or("")
    }
    pub fn group(&self, id: &str) -> Option<&'s str> {
        self.groups.get(id).copied()
    }
}

/// A control as outputs name it.
#[derive(Clone, Debug, Serialize)]
pub struct ControlRecord {
    pub framework: &'static str,
    pub id: &'static str,
    pub version: &'static str,
}

impl ControlRecord {
    pub fn of(c: &Control) -> Self {
        ControlRecord {
            framework: c.framework.label(),
            id: c.id,
            version: c.version,
        }
    }
}

/// One finding with its check's metadata, as `findings.json` holds it.
#[derive(Clone, Debug, Serialize)]
pub struct FindingRecord<'a> {
    pub check_id: &'static str,
    pub check_name: &'static str,
    pub question: &'static str,
    pub title: &'static str,
    pub severity: Severity,
    /// `open` or `accepted`.
    pub status: &'static str,
    pub account_id: &'a str,
    pub account_name: &'a str,
    pub region: Option<&'a str>,
    pub exposure: Option<Exposure>,
    pub security_group_id: Option<&'a str>,
    pub security_group_name: Option<&'a str>,
    pub resource_ids: &'a [CompactString],
    pub summary: &'a str,
    pub rule: Option<&'a RuleEvidence>,
    /// Whether the internet reaches what the finding is about, with the path.
    pub reachability: Option<&'a ReachRecord>,
    /// Labels such as `Security Hub EC2.13` or `CIS v3.0.0 5.2`; the
    /// document's `controls` table describes each.
    pub controls: Vec<String>,
    pub exception: Option<&'a Acceptance>,
    pub fingerprint: &'a str,
    #[serde(with = "time::serde::rfc3339")]
    pub first_seen: time::OffsetDateTime,
    pub age_days: i64,
    /// `new` or `persisting` against the baseline; absent without one.
    pub change: Option<crate::analyze::finding::Change>,
    pub severity_was: Option<Severity>,
    pub overdue: bool,
    /// The exact change (`findings.json` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remediation: Option<super::remediation::RemediationRecord>,
}

impl<'a> FindingRecord<'a> {
    pub fn new(f: &'a Finding, names: &Names<'a>) -> Self {
        let m = &f.check.meta;
        FindingRecord {
            check_id: m.id,
            check_name: m.name,
            question: m.question.code(),
            title: m.title,
            severity: f.severity,
            status: if f.is_open() { "open" } else { "accepted" },
            account_id: f.account_id.as_str(),
            account_name: names.account(f.account_id.as_str()),
            region: f.region.as_ref().map(|r| r.as_str()),
            exposure: f.exposure,
            security_group_id: f.security_group_id.as_ref().map(|s| s.as_str()),
            security_group_name: f.security_group_id.as_ref().and_then(|s| names.group(s.as_str())),
            resource_ids: &f.resource_ids,
            summary: &f.summary,
            rule: f.rule.as_deref(),
            reachability: f.reachability.as_deref(),
            controls: f.controls().map(|c| c.label()).collect(),
            exception: f.accepted.as_deref(),
            fingerprint: f.fingerprint.as_str(),
            first_seen: f.first_seen,
            age_days: f.age_days,
            change: f.change,
            severity_was: f.severity_was,
            overdue: f.overdue,
            remediation: None,
        }
    }
}
