//! Control-by-control views of a framework edition (docs/compliance.md),
//! generated from the checks' one-directional mappings (`CheckMeta.controls`)
//! and the assessment: for each control, its status in each account.
//!
//! - **fail**: an open finding of low severity or worse names the control
//!   (info findings are observations, listed but never failing);
//! - **not assessed**: the account, or a region of it, was not collected, a
//!   service the control's checks read is missing there, or a check could
//!   not judge an item (and nothing failed);
//! - **not applicable**: the account has nothing the control is about (no
//!   network ACL, no database, no running instance);
//! - **pass**: none of these.
//!
//! Pure, like the rest of `analyze`.

use std::borrow::Cow;
use std::collections::HashMap;

use serde::Serialize;

use crate::controls::{Control, Edition, Scope};
use crate::model::{AccountSnapshot, Service, Snapshot};

use super::checks::{Check, ALL_CHECKS, NEEDS_SSM};
use super::{Assessment, Finding, NotJudged, Severity};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Fail,
    NotAssessed,
    Pass,
    NotApplicable,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Fail => "fail",
            Status::NotAssessed => "not assessed",
            Status::Pass => "pass",
            Status::NotApplicable => "not applicable",
        }
    }
}

/// One control of an edition, in every account.
#[derive(Debug)]
pub struct ControlView<'a> {
    pub control: &'static Control,
    /// The checks that map to it, in catalogue order.
    pub checks: Vec<&'static Check>,
    pub accounts: Vec<AccountStatus<'a>>,
}

impl ControlView<'_> {
    pub fn count(&self, status: Status) -> usize {
        self.accounts.iter().filter(|a| a.status == status).count()
    }
}

/// A control's status in one account, and the findings behind it.
#[derive(Debug)]
pub struct AccountStatus<'a> {
    pub account: &'a AccountSnapshot,
    pub status: Status,
    /// Open findings of low severity or worse that name the control.
    pub failing: Vec<&'a Finding>,
    /// Findings that name it but an exception accepts.
    pub accepted: Vec<&'a Finding>,
    /// Open info findings that name it.
    pub observations: Vec<&'a Finding>,
    /// Why it is not assessed, or not applicable. "Not applicable" says the
    /// same for every account (`Cow::Borrowed`): a large organization has
    /// tens of thousands of them in each edition.
    pub why: Option<Cow<'static, str>>,
}

/// The edition's controls, each with its status in every account of the
/// snapshot (in snapshot order).
pub fn view<'a>(edition: &Edition, a: &'a Assessment, snapshot: &'a Snapshot) -> Vec<ControlView<'a>> {
    let controls: Vec<&'static Control> = edition.controls().collect();
    // One pass over the findings: each control's, by account.
    let mut naming: Vec<HashMap<&str, Vec<&'a Finding>>> = vec![HashMap::new(); controls.len()];
    for f in &a.findings {
        for c in f
            .controls()
            .filter(|c| c.framework == edition.framework && c.version == edition.version)
        {
            if let Some(i) = controls.iter().position(|k| k.id == c.id) {
                naming[i].entry(f.account_id.as_str()).or_default().push(f);
            }
        }
    }
    let mut not_judged: HashMap<&str, Vec<&NotJudged>> = HashMap::new();
    for n in &a.not_judged {
        not_judged.entry(n.account_id.as_str()).or_default().push(n);
    }
    controls
        .iter()
        .zip(naming)
        .map(|(&control, naming)| {
            let checks: Vec<&'static Check> = ALL_CHECKS
                .iter()
                .copied()
                .filter(|c| c.meta.controls.contains(control))
                .collect();
            let accounts = snapshot
                .accounts
                .iter()
                .map(|acc| {
                    let id = acc.account_id.as_str();
                    let findings = naming.get(id).map_or(&[][..], |v| &v[..]);
                    let unjudged = not_judged.get(id).map_or(&[][..], |v| &v[..]);
                    let scopes = a.scopes.get(&acc.account_id).copied().unwrap_or_default();
                    status(control, &checks, acc, findings, unjudged, scopes)
                })
                .collect();
            ControlView {
                control,
                checks,
                accounts,
            }
        })
        .collect()
}

fn status<'a>(
    control: &'static Control,
    checks: &[&'static Check],
    acc: &'a AccountSnapshot,
    findings: &[&'a Finding],
    unjudged: &[&NotJudged],
    scopes: Scopes,
) -> AccountStatus<'a> {
    let (mut failing, mut accepted, mut observations) = (Vec::new(), Vec::new(), Vec::new());
    for &f in findings {
        if !f.is_open() {
            accepted.push(f);
        } else if f.severity >= Severity::Low {
            failing.push(f);
        } else {
            observations.push(f);
        }
    }
    let (status, why) = if !failing.is_empty() {
        (Status::Fail, None)
    } else if let Some(why) = not_seen(control, checks, acc, unjudged) {
        (Status::NotAssessed, Some(Cow::Owned(why)))
    } else if !scopes.contains(control.scope) {
        (
            Status::NotApplicable,
            Some(Cow::Borrowed(not_applicable(control.scope))),
        )
    } else {
        (Status::Pass, None)
    };
    AccountStatus {
        account: acc,
        status,
        failing,
        accepted,
        observations,
        why,
    }
}

/// What the control's checks could not see in the account, if anything.
fn not_seen(
    control: &Control,
    checks: &[&'static Check],
    acc: &AccountSnapshot,
    unjudged: &[&NotJudged],
) -> Option<String> {
    if let Some(reason) = acc.status.reason() {
        return Some(format!("the account was not collected: {reason}"));
    }
    let mut why = Vec::new();
    for r in &acc.regions {
        if let Some(reason) = r.status.reason() {
            why.push(format!("{} was not collected: {reason}", r.region));
            continue;
        }
        for g in r.gaps.iter().filter(|g| gap_matters(g.service, control, checks)) {
            why.push(format!(
                "{} was collected without {} {}",
                r.region, g.service, g.operation
            ));
        }
    }
    for n in unjudged.iter().filter(|n| checks.contains(&n.check)) {
        why.push(format!(
            "{} could not judge {} item(s) in {}: {}",
            n.check.meta.id, n.items, n.region, n.why
        ));
    }
    why.dedup();
    (!why.is_empty()).then(|| why.join("; "))
}

/// Whether a missing service leaves the control unjudged: EC2 and the load
/// balancers always (they hold the groups and what they are attached to);
/// Systems Manager only for the checks that read it; RDS only for controls
/// about databases.
fn gap_matters(service: Service, control: &Control, checks: &[&'static Check]) -> bool {
    match service {
        Service::Ssm => checks.iter().any(|c| NEEDS_SSM.contains(c)),
        Service::Rds => control.scope == Scope::Databases,
        Service::Ec2 | Service::Elb | Service::Elbv2 => true,
    }
}

/// Which kinds of resource a control may be about an account has: read
/// from the snapshot while the account is checked (the compliance views are
/// written after its network detail was dropped).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Scopes(u8);

impl Scopes {
    const ALL: [Scope; 6] = [
        Scope::SecurityGroups,
        Scope::DefaultSecurityGroups,
        Scope::NetworkAcls,
        Scope::Instances,
        Scope::Databases,
        Scope::Vpcs,
    ];

    pub fn of(acc: &AccountSnapshot) -> Self {
        Scopes(
            Self::ALL
                .into_iter()
                .filter(|&scope| in_scope(scope, acc))
                .fold(0, |bits, scope| bits | Self::bit(scope)),
        )
    }

    pub fn contains(self, scope: Scope) -> bool {
        self.0 & Self::bit(scope) != 0
    }

    fn bit(scope: Scope) -> u8 {
        1 << scope as u8
    }
}

fn in_scope(scope: Scope, acc: &AccountSnapshot) -> bool {
    acc.regions.iter().any(|r| match scope {
        Scope::SecurityGroups => !r.security_groups.is_empty(),
        Scope::DefaultSecurityGroups => r.security_groups.iter().any(|g| g.is_default()),
        Scope::NetworkAcls => r.network_acls.iter().any(|n| !n.associations.is_empty()),
        Scope::Instances => r.instances.iter().any(|i| i.is_running()),
        Scope::Databases => !r.db_instances.is_empty(),
        Scope::Vpcs => !r.vpcs.is_empty(),
    })
}

/// Why a control about `scope` does not apply to an account that has none.
fn not_applicable(scope: Scope) -> &'static str {
    match scope {
        Scope::SecurityGroups => "the account has no security group",
        Scope::DefaultSecurityGroups => "the account has no default security group",
        Scope::NetworkAcls => "the account has no network ACL in use",
        Scope::Instances => "the account has no running instance",
        Scope::Databases => "the account has no RDS database",
        Scope::Vpcs => "the account has no VPC",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::testing::TestOrg;
    use crate::controls::{Edition, CIS5_5_2, CIS5_5_3, RDS_2, SSM_1};

    fn status_of(fx: &TestOrg, slug: &str, control: &Control) -> (Status, Option<String>) {
        let a = fx.assess();
        let edition = Edition::find(slug).unwrap();
        let views = view(edition, &a, &fx.snapshot);
        let v = views.iter().find(|v| v.control == control).unwrap();
        (v.accounts[0].status, v.accounts[0].why.as_deref().map(String::from))
    }

    #[test]
    fn ssh_open_to_the_world_fails_cis_5_3_and_a_closed_account_passes() {
        let mut fx = TestOrg::new();
        fx.sg("sg-ssh", &["tcp 22 0.0.0.0/0"]);
        assert_eq!(status_of(&fx, "cis-aws-5.0.0", &CIS5_5_3).0, Status::Fail);
        fx.set_rules("sg-ssh", &["tcp 22 10.0.0.0/16"]);
        assert_eq!(status_of(&fx, "cis-aws-5.0.0", &CIS5_5_3).0, Status::Pass);
    }

    #[test]
    fn nothing_to_judge_is_not_applicable_and_nothing_seen_is_not_assessed() {
        let mut fx = TestOrg::new();
        // The test organization has no database.
        let (s, why) = status_of(&fx, "aws-fsbp", &RDS_2);
        assert_eq!(s, Status::NotApplicable, "{why:?}");
        fx.rds("orders", false, 5432, &[]);
        assert_eq!(status_of(&fx, "aws-fsbp", &RDS_2).0, Status::Pass);
        fx.gap(Service::Rds, "DescribeDBInstances");
        let (s, why) = status_of(&fx, "aws-fsbp", &RDS_2);
        assert_eq!(s, Status::NotAssessed);
        assert!(why.unwrap().contains("rds DescribeDBInstances"));
        // A missing Systems Manager inventory leaves SSM.1 unjudged, not CIS 5.2.
        fx.instance("i-1", "subnet-private", &[], None);
        fx.gap(Service::Ssm, "DescribeInstanceInformation");
        assert_eq!(status_of(&fx, "aws-fsbp", &SSM_1).0, Status::NotAssessed);
        assert_ne!(status_of(&fx, "cis-aws-5.0.0", &CIS5_5_2).0, Status::NotAssessed);
    }
}
