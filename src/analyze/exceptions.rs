//! Accepted risks: the config's `[[exceptions]]` applied to the findings.
//!
//! An active exception marks the findings it matches as accepted; they stay in
//! every output, marked so, and stop counting against scores. An expired one
//! (its `expires` date is before the snapshot's collection date) accepts
//! nothing, and becomes a finding of its own (SGA906) in each account where it
//! still matches something.

use std::collections::BTreeMap;

use serde::Serialize;
use time::Date;

use crate::config::{Config, Exception};
use crate::model::AccountId;

use super::checks::{self, EXCEPTION_EXPIRED};
use super::finding::{Acceptance, Finding, Severity, Subject};

/// How one exception of the config fared.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ExceptionStatus {
    /// Index in the config's `[[exceptions]]`.
    pub index: usize,
    /// `SGA101 in 333333333333 on sg-…`
    pub scope: String,
    pub owner: String,
    pub reason: String,
    pub expires: String,
    pub expired: bool,
    /// Findings it matches (accepted ones when active, reopened ones when expired).
    pub matched: usize,
}

fn matches(e: &Exception, f: &Finding) -> bool {
    if let Some(check) = &e.check {
        let id = checks::find(check).map(|c| c.meta.id).unwrap_or(check.as_str());
        if !id.eq_ignore_ascii_case(f.check_id) {
            return false;
        }
    }
    if e.account.as_ref().is_some_and(|a| *a != f.account_id) {
        return false;
    }
    if let Some(sg) = &e.security_group {
        if f.security_group_id.as_ref().is_none_or(|id| id.as_str() != sg) {
            return false;
        }
    }
    if let Some(r) = &e.resource {
        let subject = match &f.subject {
            Subject::SecurityGroup(id) => Some(id.as_str()),
            Subject::NetworkAcl(id) | Subject::Instance(id) => Some(id.as_str()),
            Subject::Account => None,
        };
        if !f.resource_ids.iter().any(|id| id == r) && subject != Some(r.as_str()) {
            return false;
        }
    }
    true
}

pub(crate) fn format_date(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// Apply the exceptions to `findings` as of `today`; add the SGA906 findings.
pub fn apply(findings: &mut Vec<Finding>, config: &Config, today: Date) -> Vec<ExceptionStatus> {
    let mut statuses: Vec<ExceptionStatus> = config
        .exceptions
        .iter()
        .enumerate()
        .map(|(index, e)| ExceptionStatus {
            index,
            scope: e.describe(),
            owner: e.owner.clone(),
            reason: e.reason.clone(),
            expires: format_date(e.expires),
            expired: e.expires < today,
            matched: 0,
        })
        .collect();
    // Per expired exception: accounts where it still matches, with the count.
    let mut reopened: BTreeMap<(usize, AccountId), usize> = BTreeMap::new();
    for f in findings.iter_mut() {
        for (i, e) in config.exceptions.iter().enumerate() {
            if !matches(e, f) {
                continue;
            }
            statuses[i].matched += 1;
            if statuses[i].expired {
                *reopened.entry((i, f.account_id.clone())).or_default() += 1;
                continue;
            }
            if f.accepted.is_none() {
                f.accepted = Some(Acceptance {
                    exception: i,
                    owner: e.owner.clone(),
                    reason: e.reason.clone(),
                    expires: statuses[i].expires.clone(),
                });
            }
        }
    }
    for (i, e) in config.exceptions.iter().enumerate() {
        if statuses[i].expired && statuses[i].matched == 0 {
            if let Some(account) = &e.account {
                reopened.insert((i, account.clone()), 0);
            }
        }
    }
    for ((i, account), count) in reopened {
        let e = &config.exceptions[i];
        let status = &statuses[i];
        let summary = format!(
            "exception #{} ({}) owned by {} expired on {}; {}",
            i + 1,
            status.scope,
            e.owner,
            status.expires,
            match count {
                0 => "it no longer matches any finding and can be removed".to_string(),
                1 => "the finding it covered is open again".to_string(),
                n => format!("the {n} findings it covered are open again"),
            }
        );
        findings.push(Finding {
            check_id: EXCEPTION_EXPIRED.meta.id,
            account_id: account,
            region: None,
            severity: Severity::Medium,
            exposure: None,
            subject: Subject::Account,
            security_group_id: e.security_group.as_deref().map(Into::into),
            resource_ids: e.resource.iter().cloned().collect(),
            summary,
            rule: None,
            controls: Vec::new(),
            accepted: None,
        });
    }
    statuses
}
