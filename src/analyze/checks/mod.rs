//! The check catalogue.
//!
//! One check, one file: its `META` (id, question, title, severity rule,
//! controls, rationale, remediation) and its `run`. [`ALL_CHECKS`] registers
//! them; `sgaudit checks` prints from it. Adding a check touches its own file
//! and one line here (see CONTRIBUTING.md).
//!
//! A check sees one account-region at a time ([`RegionCtx`]) and writes
//! findings through [`Emit`]. Checks share no state and may run in any order.

use crate::controls::Control;

pub use super::fixes::{FixKind, Hint, Peer, Perm, Placeholder};
use crate::model::{AccountId, Region};

use super::context::{Group, RegionCtx};
use super::finding::{Exposure, Finding, Question, ResourceIds, Severity, Subject};

use std::sync::Arc;

use super::reach::{Reach, ReachRecord};
use super::rules::Rule;

mod admin_port_open_to_world;
mod broad_cidr_between_tiers;
mod critical_all_protocols;
mod critical_egress_anywhere;
mod critical_port_without_service;
mod critical_unauthorized_public_port;
mod critical_wide_port_range;
mod default_sg_has_rules;
mod exception_expired;
mod high_risk_port_open_to_world;
mod icmp_from_anywhere;
mod identical_groups;
mod instance_admin_reachable;
mod instance_not_managed_by_ssm;
mod internal_sg_open_to_world;
mod load_balancer_bypass;
mod nacl_admin_port_open_to_world;
mod public_rds_open_to_world;
mod redundant_rule;
mod remote_admin_port_other_protocol;
mod rule_tightenable;
mod rule_unused;
mod rule_without_description;
mod sg_outside_iac;
mod stale_sg_reference;
mod temporary_sg_with_broad_rules;
mod unused_sg;
mod vpc_without_flow_log;
mod wide_public_range;

/// Every check, in catalogue order.
pub const ALL_CHECKS: &[&Check] = &[
    &admin_port_open_to_world::CHECK,
    &nacl_admin_port_open_to_world::CHECK,
    &remote_admin_port_other_protocol::CHECK,
    &internal_sg_open_to_world::CHECK,
    &high_risk_port_open_to_world::CHECK,
    &public_rds_open_to_world::CHECK,
    &broad_cidr_between_tiers::CHECK,
    &load_balancer_bypass::CHECK,
    &wide_public_range::CHECK,
    &icmp_from_anywhere::CHECK,
    &instance_not_managed_by_ssm::CHECK,
    &instance_admin_reachable::CHECK,
    &sg_outside_iac::CHECK,
    &critical_all_protocols::CHECK,
    &critical_wide_port_range::CHECK,
    &critical_unauthorized_public_port::CHECK,
    &critical_port_without_service::CHECK,
    &rule_unused::CHECK,
    &rule_tightenable::CHECK,
    &unused_sg::CHECK,
    &default_sg_has_rules::CHECK,
    &temporary_sg_with_broad_rules::CHECK,
    &rule_without_description::CHECK,
    &stale_sg_reference::CHECK,
    &redundant_rule::CHECK,
    &identical_groups::CHECK,
    &critical_egress_anywhere::CHECK,
    &vpc_without_flow_log::CHECK,
    &exception_expired::CHECK,
];

/// Find a check by id (`SGA101`) or name (`admin-port-open-to-world`).
pub fn find(id_or_name: &str) -> Option<&'static Check> {
    ALL_CHECKS
        .iter()
        .copied()
        .find(|c| c.meta.id.eq_ignore_ascii_case(id_or_name) || c.meta.name == id_or_name)
}

/// The checks that read Systems Manager's inventory: without it, whether
/// one of their findings went away is unknown.
pub const NEEDS_SSM: &[&Check] = &[&instance_not_managed_by_ssm::CHECK];

/// The id of the check that reports expired exceptions.
pub const EXCEPTION_EXPIRED: &Check = &exception_expired::CHECK;

/// A check: what it is, and how it runs.
pub struct Check {
    pub meta: CheckMeta,
    pub run: Run,
}

impl Check {
    /// `SGA101`
    pub fn id(&'static self) -> &'static str {
        self.meta.id
    }
}

/// Checks are the same check when their ids are (ids are unique: a test of
/// the catalogue proves it).
impl PartialEq for Check {
    fn eq(&self, other: &Self) -> bool {
        self.meta.id == other.meta.id
    }
}
impl Eq for Check {}

impl std::fmt::Debug for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.meta.id)
    }
}

impl serde::Serialize for Check {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.meta.id)
    }
}

pub enum Run {
    /// Looks at one account-region at a time.
    PerRegion(fn(&RegionCtx<'_>, &mut Emit<'_>)),
    /// Produced by the assessment itself rather than by looking at resources.
    Assessment,
}

/// Everything a reader needs to know about a check, checked by the compiler.
pub struct CheckMeta {
    /// Stable id: `SGA` + question digit + number (`9xx` for hygiene).
    pub id: &'static str,
    /// Stable kebab-case name.
    pub name: &'static str,
    pub question: Question,
    /// What makes two findings of the check the same finding (their fingerprint).
    pub identity: Identity,
    pub title: &'static str,
    pub severity: SeverityRule,
    /// The external controls the check's findings map to.
    pub controls: &'static [Control],
    /// What it does (Markdown).
    pub what: &'static str,
    /// Why it matters (Markdown).
    pub why: &'static str,
    /// How to fix it (Markdown).
    pub remediation: &'static str,
    /// The kind of change that fixes a finding (`analyze::fixes`).
    pub fix: FixKind,
}

/// What a finding of a check is about, for its fingerprint: the same thing
/// found again is the same finding, whatever else changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Identity {
    /// One finding per rule: its subject and the rule (direction, protocol,
    /// ports, source).
    Rule,
    /// One finding per subject (a group, a network ACL, an instance, an
    /// exception), whatever rule is quoted as evidence.
    Subject,
    /// One finding per rule and resource: a database behind a group's rule.
    RuleAndResources,
}

/// How a check decides a finding's severity.
pub enum SeverityRule {
    /// By the exposure of the group (or resource) concerned.
    ByExposure {
        internet: Severity,
        internal: Severity,
        unattached: Severity,
    },
    Fixed(Severity),
    /// Explained in words; the check's code decides.
    Described(&'static str),
}

impl SeverityRule {
    pub fn for_exposure(&self, exposure: Exposure) -> Severity {
        match *self {
            SeverityRule::ByExposure {
                internet,
                internal,
                unattached,
            } => match exposure {
                // Unverified is treated as exposed: never a lower severity
                // for what was not seen.
                Exposure::InternetExposed | Exposure::Unknown => internet,
                Exposure::Internal => internal,
                Exposure::Unattached => unattached,
            },
            SeverityRule::Fixed(s) => s,
            SeverityRule::Described(_) => Severity::Medium,
        }
    }

    /// One line for listings.
    pub fn describe(&self) -> String {
        match self {
            SeverityRule::ByExposure {
                internet,
                internal,
                unattached,
            } => format!("{internet} if internet-exposed, {internal} if internal, {unattached} if unattached"),
            SeverityRule::Fixed(s) => s.to_string(),
            SeverityRule::Described(text) => text.to_string(),
        }
    }
}

/// An item a check could not judge (its facts are missing), and why: it
/// counts as not assessed in its question, never as passing.
#[derive(Clone, Debug, PartialEq)]
pub struct Unjudged {
    pub check: &'static Check,
    pub question: Question,
    pub subject: Subject,
    pub why: String,
}

/// Where a check writes its findings, and the items it could not judge.
pub struct Emit<'a> {
    check: &'static Check,
    account: &'a AccountId,
    region: &'a Region,
    out: &'a mut Vec<Finding>,
    unjudged: &'a mut Vec<Unjudged>,
}

impl<'a> Emit<'a> {
    pub fn new(
        check: &'static Check,
        account: &'a AccountId,
        region: &'a Region,
        out: &'a mut Vec<Finding>,
        unjudged: &'a mut Vec<Unjudged>,
    ) -> Self {
        Emit {
            check,
            account,
            region,
            out,
            unjudged,
        }
    }

    /// An item this check cannot judge, because a fact it needs is missing.
    pub fn not_assessed(&mut self, subject: Subject, why: String) {
        self.unjudged.push(Unjudged {
            check: self.check,
            question: self.check.meta.question,
            subject,
            why,
        });
    }

    /// A finding about something other than a group.
    pub fn finding(
        &mut self,
        subject: Subject,
        severity: Severity,
        exposure: Option<Exposure>,
        summary: String,
    ) -> &mut Finding {
        let f = Finding::new(
            self.check,
            self.account.clone(),
            Some(self.region.clone()),
            severity,
            exposure,
            subject,
            summary,
        );
        self.out.push(f);
        self.out.last_mut().expect("just pushed")
    }

    /// A finding about a group, at the severity its exposure gives.
    pub fn group(&mut self, group: &Group, summary: String) -> &mut Finding {
        let severity = self.check.meta.severity.for_exposure(group.exposure);
        self.group_at(group, severity, summary)
    }

    /// A finding about a group, at a given severity.
    pub fn group_at(&mut self, group: &Group, severity: Severity, summary: String) -> &mut Finding {
        self.about_group(group, severity, group.exposure, group.record(None), summary)
    }

    fn about_group(
        &mut self,
        group: &Group,
        severity: Severity,
        exposure: Exposure,
        record: Option<Arc<ReachRecord>>,
        summary: String,
    ) -> &mut Finding {
        let f = self.finding(
            Subject::SecurityGroup(group.id().clone()),
            severity,
            Some(exposure),
            summary,
        );
        f.security_group_id = Some(group.sg.group_id.clone());
        f.resource_ids = group.resource_ids();
        f.reachability = record;
        f
    }

    /// A finding about one rule of a group, at the severity the verdict of
    /// the rule's traffic gives.
    pub fn rule(&mut self, group: &Group, rule: &Rule, summary: String) -> &mut Finding {
        let exposure = self.rule_exposure(group, rule, group.rule_reach(rule));
        let severity = self.check.meta.severity.for_exposure(exposure);
        self.rule_at(group, rule, severity, summary)
    }

    /// A finding about one rule of a group, with the verdict of some of its
    /// traffic (`RegionCtx::rule_reach_on`: the admin ports of a wider rule).
    pub fn rule_reaching(
        &mut self,
        group: &Group,
        rule: &Rule,
        reach: Option<&Reach>,
        summary: String,
    ) -> &mut Finding {
        let exposure = self.rule_exposure(group, rule, reach);
        let severity = self.check.meta.severity.for_exposure(exposure);
        let record = reach.map(|r| Arc::new(r.record()));
        self.rule_at_with(group, rule, severity, exposure, record, summary)
    }

    /// A finding about one rule of a group, at a given severity.
    pub fn rule_at(&mut self, group: &Group, rule: &Rule, severity: Severity, summary: String) -> &mut Finding {
        let exposure = self.rule_exposure(group, rule, group.rule_reach(rule));
        let record = if rule.egress { None } else { group.record(Some(rule)) };
        self.rule_at_with(group, rule, severity, exposure, record, summary)
    }

    fn rule_at_with(
        &mut self,
        group: &Group,
        rule: &Rule,
        severity: Severity,
        exposure: Exposure,
        record: Option<Arc<ReachRecord>>,
        summary: String,
    ) -> &mut Finding {
        let summary = match group.anywhere_note(rule) {
            Some(note) => format!("{summary} ({note})"),
            None => summary,
        };
        let f = self.about_group(group, severity, exposure, record, summary);
        f.rule = Some(rule.evidence());
        f
    }

    /// An outbound rule is not about traffic from the internet: its
    /// findings take the group's exposure.
    fn rule_exposure(&self, group: &Group, rule: &Rule, reach: Option<&Reach>) -> Exposure {
        if rule.egress {
            group.exposure
        } else {
            group.exposure_for(reach)
        }
    }
}

/// The rules that replace a critical resource's wide rule: the same source,
/// on each port its resources serve (none when those are not known).
pub(crate) fn served_grants(group: &Group, rule: &Rule, ctx: &RegionCtx) -> Option<Box<Hint>> {
    let super::context::Served::Ports(served) = &group.served else {
        return None;
    };
    let grant = Perm::of_rule(rule, Some(ctx.account_id())).narrowed_to(served);
    (!grant.is_empty()).then(|| {
        Box::new(Hint {
            grant,
            ..Hint::default()
        })
    })
}

/// A hint that the fix removes these rules of the group (all of those a
/// group-level finding stands for, not only the one it quotes).
pub(crate) fn revoking<'r, 's: 'r>(
    ctx: &RegionCtx,
    group: &Group,
    rules: impl IntoIterator<Item = &'r Rule<'s>>,
) -> Option<Box<Hint>> {
    let revoke = rules
        .into_iter()
        .map(|r| (group.id().clone(), Perm::of_rule(r, Some(ctx.account_id()))))
        .collect();
    Some(Box::new(Hint {
        revoke,
        ..Hint::default()
    }))
}

/// When a rule grants more than the ports a finding is about (`tcp 0-65535`
/// for SSH), what must happen before it is removed: granting again what
/// the rest of it is for.
pub(crate) fn also_grants(rule: &Rule, services: &[&crate::model::ServicePort]) -> Option<String> {
    let covered = match (rule.protocol, rule.ports) {
        (crate::model::Protocol::All, _) | (_, None) => false,
        (protocol, Some(range)) => {
            // Walk the range through the services' ranges on its protocol.
            let mut ranges: Vec<crate::model::PortRange> = services
                .iter()
                .filter(|s| s.transport.passes(protocol))
                .map(|s| s.ports)
                .collect();
            ranges.sort_by_key(|r| r.from);
            let mut next = u32::from(range.from);
            for r in ranges {
                if u32::from(r.from) <= next && u32::from(r.to) >= next {
                    next = u32::from(r.to) + 1;
                }
            }
            next > u32::from(range.to)
        }
    };
    (!covered).then(|| {
        format!(
            "the rule ({} from {}) also grants ports this finding is not about: grant again, from the sources that \
             need them, the ones still in use (a load balancer's listeners, a public service's port), then remove it",
            rule.traffic_label(),
            rule.source_label()
        )
    })
}

/// `22/tcp, 3389/tcp`
pub(crate) fn port_list(ports: &[&crate::model::ServicePort]) -> String {
    ports.iter().map(|p| p.to_string()).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn check_ids_and_names_are_unique_and_well_formed() {
        let mut ids = HashSet::new();
        let mut names = HashSet::new();
        for c in ALL_CHECKS {
            let m = &c.meta;
            assert!(ids.insert(m.id), "duplicate id {}", m.id);
            assert!(names.insert(m.name), "duplicate name {}", m.name);
            assert!(m.id.len() == 6 && m.id.starts_with("SGA"), "{}", m.id);
            let digit = &m.id[3..4];
            let expected = match m.question {
                Question::Q1 => "1",
                Question::Q2 => "2",
                Question::Q3 => "3",
                Question::Q4 => "4",
                Question::Q5 => "5",
                Question::Hygiene => "9",
            };
            assert_eq!(digit, expected, "{} is filed under {}", m.id, m.question);
            assert!(
                m.name.chars().all(|ch| ch.is_ascii_lowercase() || ch == '-'),
                "{}",
                m.name
            );
            assert!(
                !m.title.is_empty() && !m.what.is_empty() && !m.why.is_empty() && !m.remediation.is_empty(),
                "{}",
                m.id
            );
        }
    }

    #[test]
    fn every_mapping_names_a_version() {
        for c in ALL_CHECKS {
            for control in c.meta.controls {
                assert!(
                    !control.version.is_empty(),
                    "{} maps {} without a version",
                    c.meta.id,
                    control.id
                );
            }
        }
    }

    #[test]
    fn every_question_has_checks() {
        for q in Question::SCORED.into_iter().chain([Question::Hygiene]) {
            assert!(ALL_CHECKS.iter().any(|c| c.meta.question == q), "{q} has no check");
        }
    }
}
