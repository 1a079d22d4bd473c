//! The exact change that fixes a finding, as data (docs/remediation.md).
//!
//! A check says what kind of change its findings need ([`FixKind`], in its
//! `CheckMeta`) and, when it knows more than the finding's own rule (the
//! sources seen in flow logs, the ports a critical resource serves, the
//! rules a group's finding stands for, free network-ACL rule numbers), it
//! leaves a [`Hint`] on the finding. [`plan`] turns the two into a [`Fix`]:
//! the ordered [`Change`]s, each required or optional, with placeholders
//! (`<YOUR-CIDR>`) where sgaudit cannot know the right value, and where the
//! group is defined in code when it is. `report::remediation` renders a fix
//! as AWS CLI commands, Terraform and CloudFormation; sgaudit never applies
//! one.
//!
//! Pure, like the rest of `analyze`: no I/O, no clock.

mod in_code;
mod perm;

pub use in_code::InCode;
pub use perm::{Peer, Perm};

use crate::model::{
    Cidr, InstanceId, NetworkAclId, PortRange, Protocol, Region, SecurityGroup, SecurityGroupId, VpcId,
};

use super::finding::{Finding, Subject};

/// What kind of change a check's findings need.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FixKind {
    /// Remove the finding's rule (or the rules its hint lists): nothing has
    /// to replace it.
    Revoke,
    /// Remove the rule; a narrower grant from the placeholder is an option,
    /// not a requirement (Session Manager needs no inbound rule at all).
    RevokeOr(Placeholder),
    /// Grant what should replace the rule (the hint's grants, else the
    /// placeholder), then remove it.
    Replace(Placeholder),
    /// Grant the hint's narrower ports from the same source, then remove
    /// the rule (without a hint, the ports are not known: manual).
    NarrowPorts,
    /// Delete the group.
    DeleteGroup,
    /// Remove every rule of the group (a VPC's default group).
    RevokeAll,
    /// Add the hint's entries to the network ACL.
    NaclEntries,
    /// Turn the database's public accessibility off, and remove the rule.
    DbPrivate,
    /// Give the instance an instance profile Systems Manager accepts.
    SsmManage,
    /// Create a flow log for the VPC.
    FlowLog,
    /// Bring the group under infrastructure as code (a Terraform import).
    Codify,
    /// Describe the rules the hint lists.
    Describe,
    /// No AWS change sgaudit can write: what to do instead.
    Manual(&'static str),
}

/// A value only the owner knows, written where it goes in the command.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Placeholder {
    /// The clients' own range (an office, a VPN).
    Cidr,
    /// The security group of the tier that calls this one.
    CallerGroup,
    /// The security group of a bastion host.
    BastionGroup,
    /// The range or prefix list the resource has to reach.
    Destination,
    /// What the rule is for.
    Description,
    /// An instance profile with `AmazonSSMManagedInstanceCore`.
    SsmProfile,
    /// The S3 bucket that receives flow logs.
    LogBucket,
    /// A group the snapshot names without an id.
    SourceGroup,
}

impl Placeholder {
    /// Whether it stands for a security group (written as a `GroupId`).
    pub fn is_group(self) -> bool {
        matches!(
            self,
            Placeholder::CallerGroup | Placeholder::BastionGroup | Placeholder::SourceGroup
        )
    }

    pub fn text(self) -> &'static str {
        match self {
            Placeholder::Cidr => "<YOUR-CIDR>",
            Placeholder::CallerGroup => "<CALLER-SG-ID>",
            Placeholder::BastionGroup => "<BASTION-SG-ID>",
            Placeholder::Destination => "<DESTINATION-CIDR>",
            Placeholder::Description => "<DESCRIPTION>",
            Placeholder::SsmProfile => "<SSM-INSTANCE-PROFILE>",
            Placeholder::LogBucket => "<LOG-BUCKET-ARN>",
            Placeholder::SourceGroup => "<SOURCE-SG-ID>",
        }
    }
}

/// An inbound entry to add to a network ACL, ahead of the allow it
/// overrides: a deny from anywhere, or an allow (from the VPC's own
/// ranges) ahead of that deny.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AclEntry {
    pub number: i32,
    pub allow: bool,
    pub protocol: Protocol,
    pub ports: PortRange,
    pub cidr: Cidr,
}

/// What a check knows about a finding's fix beyond its rule.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Hint {
    /// The rules to remove (with their groups), when they are not just the
    /// finding's own.
    pub revoke: Vec<(SecurityGroupId, Perm)>,
    /// What to grant the finding's group instead (sources seen in flow
    /// logs, served ports, the ICMP messages path MTU needs).
    pub grant: Vec<Perm>,
    /// Entries for a network ACL, in the order to create them.
    pub acl: Vec<AclEntry>,
    /// What must happen before the change is safe: a rule that also
    /// grants what the finding is not about.
    pub first: Option<String>,
}

/// One change to one AWS resource.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Change {
    Authorize {
        group: SecurityGroupId,
        perm: Perm,
        description: String,
    },
    Revoke {
        group: SecurityGroupId,
        perm: Perm,
    },
    DeleteGroup {
        group: SecurityGroupId,
    },
    AclEntry {
        acl: NetworkAclId,
        entry: AclEntry,
    },
    DbPrivate {
        db: String,
    },
    SsmProfile {
        instance: InstanceId,
    },
    FlowLog {
        vpc: VpcId,
    },
    /// Give a rule a description (its text a placeholder).
    Describe {
        group: SecurityGroupId,
        perm: Perm,
    },
    /// Bring a hand-made group into Terraform: no change to AWS.
    Import {
        group: SecurityGroupId,
    },
}

impl Change {
    /// The placeholder the owner must fill in, if any.
    pub fn placeholder(&self) -> Option<Placeholder> {
        match self {
            Change::Authorize { perm, .. } | Change::Revoke { perm, .. } => perm.placeholder(),
            Change::Describe { .. } => Some(Placeholder::Description),
            Change::SsmProfile { .. } => Some(Placeholder::SsmProfile),
            Change::FlowLog { .. } => Some(Placeholder::LogBucket),
            _ => None,
        }
    }

    /// Whether applying it changes AWS (an import changes only code).
    pub fn changes_aws(&self) -> bool {
        !matches!(self, Change::Import { .. })
    }
}

/// A change, and whether the fix needs it or offers it as an option.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    pub change: Change,
    pub required: bool,
}

/// The whole fix of one finding, in the order to apply it.
#[derive(Clone, Debug, PartialEq)]
pub struct Fix {
    pub region: Option<Region>,
    pub steps: Vec<Step>,
    /// Where the group is defined, when it is defined in code: change it
    /// there, or the next deploy undoes the change.
    pub in_code: Option<InCode>,
    /// Why no change is written (the fix is not an AWS change).
    pub manual: Option<&'static str>,
    /// What must happen before the changes are safe to apply.
    pub first: Option<String>,
}

impl Fix {
    /// Every required change is written out, with no placeholder.
    pub fn is_exact(&self) -> bool {
        self.manual.is_none()
            && self.steps.iter().any(|s| s.required)
            && self
                .steps
                .iter()
                .filter(|s| s.required)
                .all(|s| s.change.placeholder().is_none() && s.change.changes_aws())
    }

    /// Whether the account's remediation script applies it: exact, not
    /// defined in code, nothing to do first.
    pub fn is_scripted(&self) -> bool {
        self.is_exact() && self.in_code.is_none() && self.first.is_none()
    }
}

/// The description sgaudit gives a rule it proposes.
fn proposed(finding: &Finding) -> String {
    format!("sgaudit {}", finding.check.meta.id)
}

/// The fix of a finding. `group` is the finding's security group as the
/// snapshot has it (for a default group, its rules), `in_code` where that
/// group is defined in code ([`InCode::of`]).
pub fn plan(finding: &Finding, hint: Option<&Hint>, group: Option<&SecurityGroup>, in_code: Option<&InCode>) -> Fix {
    let empty = Hint::default();
    let hint = hint.unwrap_or(&empty);
    let owner = &finding.account_id;
    let sg = finding.security_group_id.as_ref();
    // The rules to remove: the hint's, else the finding's own.
    let revoke: Vec<(SecurityGroupId, Perm)> = if hint.revoke.is_empty() {
        match (sg, &finding.rule) {
            (Some(g), Some(r)) => vec![(g.clone(), Perm::of_evidence(r, owner))],
            _ => Vec::new(),
        }
    } else {
        hint.revoke.clone()
    };
    let mut steps = Steps::default();
    let mut manual = None;
    let mut first = None;
    match (finding.check.meta.fix, sg) {
        (FixKind::Revoke, _) => steps.revoke(&revoke),
        (FixKind::RevokeOr(placeholder), _) => {
            // The option: the hint's narrower grants, else the same rule
            // from the placeholder.
            match (sg, revoke.first()) {
                (Some(g), _) if !hint.grant.is_empty() => {
                    for perm in &hint.grant {
                        steps.authorize(g, perm.clone(), proposed(finding), false);
                    }
                }
                (_, Some((g, rule))) => {
                    let perm = rule.with_peer(Peer::Placeholder(placeholder));
                    steps.authorize(g, perm, proposed(finding), false);
                }
                _ => {}
            }
            steps.revoke(&revoke);
        }
        (FixKind::Replace(placeholder), _) => {
            let grants: Vec<(SecurityGroupId, Perm)> = match sg {
                Some(g) if !hint.grant.is_empty() => hint.grant.iter().map(|p| (g.clone(), p.clone())).collect(),
                _ => revoke
                    .iter()
                    .map(|(g, p)| (g.clone(), p.with_peer(Peer::Placeholder(placeholder))))
                    .collect(),
            };
            for (g, perm) in grants {
                steps.authorize(&g, perm, proposed(finding), true);
            }
            steps.revoke(&revoke);
        }
        (FixKind::NarrowPorts, Some(g)) if !hint.grant.is_empty() => {
            for perm in &hint.grant {
                steps.authorize(g, perm.clone(), proposed(finding), true);
            }
            steps.revoke(&revoke);
        }
        (FixKind::NarrowPorts, _) => {
            manual = Some(
                "the ports the resource serves are not known: find them (its listeners, target groups or \
                 configuration), grant those from the same source, then remove the rule",
            )
        }
        (FixKind::DeleteGroup, Some(g)) => steps.push(Change::DeleteGroup { group: g.clone() }, true),
        (FixKind::RevokeAll, Some(g)) => {
            if let Some(sg) = group {
                let all: Vec<(SecurityGroupId, Perm)> = super::rules::ingress(sg)
                    .chain(super::rules::egress(sg))
                    .map(|r| (g.clone(), Perm::of_rule(&r, Some(owner))))
                    .collect();
                steps.revoke(&all);
            }
            if !finding.resource_ids.is_empty() {
                first = Some(format!(
                    "move the {} resource(s) that use this group to purpose-made groups",
                    finding.resource_ids.len()
                ));
            }
        }
        (FixKind::NaclEntries, _) => match &finding.subject {
            Subject::NetworkAcl(acl) if !hint.acl.is_empty() => {
                first = Some(
                    "make sure no administrator connects from outside the VPC's own ranges (a VPN, a peered VPC, \
                     an office): the deny entries block the admin ports from every other address"
                        .to_string(),
                );
                for entry in &hint.acl {
                    let change = Change::AclEntry {
                        acl: acl.clone(),
                        entry: entry.clone(),
                    };
                    steps.push(change, true);
                }
            }
            _ => {
                manual = Some(
                    "no free rule number lies below the allow entry: renumber the ACL's inbound entries, \
                     then add deny entries for the admin ports ahead of the allow",
                )
            }
        },
        (FixKind::DbPrivate, _) => {
            // The databases are the finding's resources.
            for db in finding.resource_ids.iter() {
                steps.push(Change::DbPrivate { db: db.to_string() }, true);
            }
            steps.revoke(&revoke);
        }
        (FixKind::SsmManage, _) => {
            if let Subject::Instance(id) = &finding.subject {
                steps.push(Change::SsmProfile { instance: id.clone() }, true);
            }
        }
        (FixKind::FlowLog, _) => {
            if let Subject::Vpc(vpc) = &finding.subject {
                steps.push(Change::FlowLog { vpc: vpc.clone() }, true);
            }
        }
        (FixKind::Codify, Some(g)) => {
            manual = Some("the fix is in code, not in AWS: import the group into Terraform (below) or a stack");
            steps.push(Change::Import { group: g.clone() }, true);
        }
        (FixKind::Describe, _) => {
            for (g, perm) in &revoke {
                let change = Change::Describe {
                    group: g.clone(),
                    perm: perm.clone(),
                };
                steps.push(change, true);
            }
        }
        (FixKind::Manual(why), _) => manual = Some(why),
        (_, None) => {}
    }
    if first.is_none() {
        first = hint.first.clone();
    }
    if steps.0.is_empty() && manual.is_none() {
        manual = Some("the finding names no rule or resource a command could change: see the check's remediation");
    }
    Fix {
        region: finding.region.clone(),
        steps: steps.0,
        in_code: in_code.cloned(),
        manual,
        first,
    }
}

#[derive(Default)]
struct Steps(Vec<Step>);

impl Steps {
    fn push(&mut self, change: Change, required: bool) {
        self.0.push(Step { change, required });
    }

    fn revoke(&mut self, perms: &[(SecurityGroupId, Perm)]) {
        for (group, perm) in perms {
            let change = Change::Revoke {
                group: group.clone(),
                perm: perm.clone(),
            };
            self.push(change, true);
        }
    }

    fn authorize(&mut self, group: &SecurityGroupId, perm: Perm, description: String, required: bool) {
        let change = Change::Authorize {
            group: group.clone(),
            perm,
            description,
        };
        self.push(change, required);
    }
}

#[cfg(test)]
mod tests;
