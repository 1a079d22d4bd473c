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

use super::checks::{self, Check, EXCEPTION_EXPIRED};
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

/// What an exception's `check` names (by id or by name): the check, or
/// `Err(())` for a name that is none (the config's validation refuses those;
/// such an exception then matches nothing).
fn named_check(e: &Exception) -> Option<Result<&'static Check, ()>> {
    let name = e.check.as_ref()?;
    Some(checks::find(name).ok_or(()))
}

/// Whether exception `e`, naming `check` (its [`named_check`]), covers `f`.
fn matches(e: &Exception, check: Option<Result<&'static Check, ()>>, f: &Finding) -> bool {
    if check.is_some_and(|c| c != Ok(f.check)) {
        return false;
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
            Subject::Exception(_) => None,
            other => Some(other.id()),
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
    let named: Vec<Option<Result<&'static Check, ()>>> = config.exceptions.iter().map(named_check).collect();
    for f in findings.iter_mut() {
        for (i, e) in config.exceptions.iter().enumerate() {
            if !matches(e, named[i], f) {
                continue;
            }
            statuses[i].matched += 1;
            if statuses[i].expired {
                *reopened.entry((i, f.account_id.clone())).or_default() += 1;
                continue;
            }
            if f.accepted.is_none() {
                f.accepted = Some(Box::new(Acceptance {
                    exception: i,
                    owner: e.owner.clone(),
                    reason: e.reason.clone(),
                    expires: statuses[i].expires.clone(),
                }));
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
        let mut f = Finding::new(
            EXCEPTION_EXPIRED,
            account,
            None,
            Severity::Medium,
            None,
            Subject::Exception(format!("{} until {}", status.scope, status.expires)),
            summary,
        );
        f.security_group_id = e.security_group.as_deref().map(Into::into);
        f.resource_ids = e.resource.iter().cloned().collect();
        findings.push(f);
    }
    statuses
}

#[cfg(test)]
mod tests {
    use crate::analyze::testing::{describe, TestOrg};
    use crate::config::Exception;

    fn exception(check: Option<&str>, sg: Option<&str>, expires: time::Date) -> Exception {
        Exception {
            check: check.map(Into::into),
            account: None,
            security_group: sg.map(Into::into),
            resource: None,
            owner: "team".into(),
            reason: "vendor access".into(),
            expires,
            span: None,
        }
    }

    #[test]
    fn an_accepted_finding_stays_visible_and_stops_counting() {
        let mut fx = TestOrg::new();
        fx.sg("sg-ssh", &["tcp 22 0.0.0.0/0"]);
        fx.instance("i-1", "subnet-public", &["sg-ssh"], Some("203.0.113.90"));
        fx.ssm(&["i-1"]);
        fx.config.exceptions.push(exception(
            Some("admin-port-open-to-world"),
            Some("sg-ssh"),
            time::macros::date!(2027 - 01 - 01),
        ));
        let a = fx.assess();
        let accepted: Vec<_> = a.findings.iter().filter(|f| !f.is_open()).collect();
        assert_eq!(accepted.len(), 1);
        assert_eq!(accepted[0].check_id(), "SGA101");
        assert_eq!(accepted[0].accepted.as_ref().unwrap().owner, "team");
        assert_eq!(a.exceptions[0].matched, 1);
        assert!(!a.exceptions[0].expired);
        // Q1 no longer fails on it: what fails is the default network ACL
        // (SGA102), not the group.
        assert_eq!(a.accounts[0].questions[0].failing, 1);
    }

    #[test]
    fn an_expired_exception_reopens_and_is_reported() {
        let mut fx = TestOrg::new();
        fx.sg("sg-ssh", &["tcp 22 0.0.0.0/0"]);
        // The snapshot is from 2026-11-01.
        fx.config.exceptions.push(exception(
            Some("SGA101"),
            Some("sg-ssh"),
            time::macros::date!(2026 - 10 - 31),
        ));
        let a = fx.assess();
        assert!(a.findings.iter().all(|f| f.is_open()));
        let expired: Vec<String> = a
            .findings
            .iter()
            .filter(|f| f.check_id() == "SGA906")
            .map(describe)
            .collect();
        assert_eq!(
            expired,
            ["medium 111111111111: exception #1 (SGA101 on sg-ssh) owned by team expired on 2026-10-31; the finding it covered is open again []"]
        );
        // Valid through its expiry day.
        let mut fx = TestOrg::new();
        fx.sg("sg-ssh", &["tcp 22 0.0.0.0/0"]);
        fx.config
            .exceptions
            .push(exception(Some("SGA101"), None, time::macros::date!(2026 - 11 - 01)));
        assert!(fx.assess().findings.iter().any(|f| !f.is_open()));
    }
}
