//! A fix as CloudFormation: resources to add to a template's `Resources`,
//! and the properties of what to remove from it.

use std::fmt::Write;

use crate::analyze::fixes::{Change, Fix, Peer, Perm};

use super::quote::{comment, yaml};

/// The fix as a YAML fragment of `Resources:`, `None` when no change is
/// written. `name` makes the logical ids unique (the finding's fingerprint).
pub fn render(fix: &Fix, name: &str) -> Option<String> {
    super::render_steps(fix, |n| format!("Sgaudit{name}{n}"), change)
}

fn change(out: &mut String, change: &Change, id: &str) {
    match change {
        Change::Authorize {
            group,
            perm,
            description,
        } => {
            let _ = writeln!(out, "{id}:\n  Type: {}\n  Properties:", resource(perm));
            prop(out, "GroupId", &yaml(group.as_str()));
            rule_props(out, perm);
            prop(out, "Description", &yaml(description));
        }
        Change::Revoke { group, perm } => {
            let _ = writeln!(
                out,
                "# Remove from the template: {} of {} ({}, or the entry of the group's {}).",
                one_line(perm),
                comment(group.as_str()),
                resource(perm),
                if perm.egress {
                    "SecurityGroupEgress"
                } else {
                    "SecurityGroupIngress"
                }
            );
        }
        Change::Describe { group, perm } => {
            let _ = writeln!(
                out,
                "# In the template, describe {} of {}: Description: \"<DESCRIPTION>\".",
                one_line(perm),
                comment(group.as_str())
            );
        }
        Change::DeleteGroup { group } => {
            let _ = writeln!(
                out,
                "# Remove the AWS::EC2::SecurityGroup {} from the template.",
                comment(group.as_str())
            );
        }
        Change::AclEntry { acl, entry } => {
            let _ = writeln!(out, "{id}:\n  Type: AWS::EC2::NetworkAclEntry\n  Properties:");
            prop(out, "NetworkAclId", &yaml(acl.as_str()));
            prop(out, "RuleNumber", &entry.number.to_string());
            prop(out, "Protocol", &entry.protocol.number().to_string());
            prop(out, "RuleAction", if entry.allow { "allow" } else { "deny" });
            prop(out, "Egress", "false");
            let family = if entry.cidr.is_ipv6() {
                "Ipv6CidrBlock"
            } else {
                "CidrBlock"
            };
            prop(out, family, &yaml(&entry.cidr.to_string()));
            let _ = writeln!(
                out,
                "    PortRange:\n      From: {}\n      To: {}",
                entry.ports.from, entry.ports.to
            );
        }
        Change::DbPrivate { db } => {
            let _ = writeln!(
                out,
                "# In the AWS::RDS::DBInstance {}: PubliclyAccessible: false",
                comment(db)
            );
        }
        Change::SsmProfile { instance } => {
            let _ = writeln!(
                out,
                "# In the AWS::EC2::Instance {}: IamInstanceProfile: <SSM-INSTANCE-PROFILE>",
                comment(instance.as_str())
            );
        }
        Change::FlowLog { vpc } => {
            let _ = writeln!(out, "{id}:\n  Type: AWS::EC2::FlowLog\n  Properties:");
            prop(out, "ResourceId", &yaml(vpc.as_str()));
            prop(out, "ResourceType", "VPC");
            prop(out, "TrafficType", "ALL");
            prop(out, "LogDestinationType", "s3");
            prop(out, "LogDestination", "\"<LOG-BUCKET-ARN>\"");
        }
        Change::Import { group } => {
            let _ = writeln!(
                out,
                "# Import {} into a stack with a change set of type IMPORT \
                 (aws cloudformation create-change-set --change-set-type IMPORT), \
                 its AWS::EC2::SecurityGroup with DeletionPolicy: Retain.",
                comment(group.as_str())
            );
        }
    }
}

fn resource(perm: &Perm) -> &'static str {
    if perm.egress {
        "AWS::EC2::SecurityGroupEgress"
    } else {
        "AWS::EC2::SecurityGroupIngress"
    }
}

fn prop(out: &mut String, key: &str, value: &str) {
    let _ = writeln!(out, "    {key}: {value}");
}

/// The rule's properties on one comment line: `IpProtocol: "tcp", FromPort: 22, …`.
fn one_line(perm: &Perm) -> String {
    let mut props = String::new();
    rule_props(&mut props, perm);
    let parts: Vec<&str> = props.lines().map(str::trim).collect();
    comment(&parts.join(", ")).into_owned()
}

/// The properties that say which traffic a rule admits.
fn rule_props(out: &mut String, perm: &Perm) {
    prop(out, "IpProtocol", &yaml(&perm.protocol.aws_name()));
    if let Some((from, to)) = perm.aws_ports() {
        prop(out, "FromPort", &from.to_string());
        prop(out, "ToPort", &to.to_string());
    }
    let (inbound, outbound, value) = match &perm.peer {
        Peer::Cidr(c) if c.is_ipv6() => ("CidrIpv6", "CidrIpv6", c.to_string()),
        Peer::Cidr(c) => ("CidrIp", "CidrIp", c.to_string()),
        Peer::PrefixList(id) => ("SourcePrefixListId", "DestinationPrefixListId", id.to_string()),
        Peer::Group { id, account } => {
            if let (Some(a), false) = (account, perm.egress) {
                prop(out, "SourceSecurityGroupOwnerId", &yaml(a.as_str()));
            }
            ("SourceSecurityGroupId", "DestinationSecurityGroupId", id.to_string())
        }
        Peer::Placeholder(p) if p.is_group() => (
            "SourceSecurityGroupId",
            "DestinationSecurityGroupId",
            p.text().to_string(),
        ),
        Peer::Placeholder(p) => ("CidrIp", "CidrIp", p.text().to_string()),
    };
    prop(out, if perm.egress { outbound } else { inbound }, &yaml(&value));
}
