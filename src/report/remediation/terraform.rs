//! A fix as Terraform (AWS provider v5+): resources to add, and the
//! arguments of what to remove from the code.

use std::fmt::Write;

use crate::analyze::fixes::{Change, Fix, Peer, Perm};

use super::quote::{comment, hcl};

/// The fix as HCL, `None` when no change is written. `name` makes the
/// resources' names unique (the finding's fingerprint).
pub fn render(fix: &Fix, name: &str) -> Option<String> {
    super::render_steps(fix, |n| format!("sgaudit_{name}_{n}"), change)
}

fn change(out: &mut String, change: &Change, id: &str) {
    match change {
        Change::Authorize {
            group,
            perm,
            description,
        } => {
            let _ = writeln!(out, "resource \"{}\" \"{id}\" {{", resource(perm));
            arg(out, "security_group_id", &hcl(group.as_str()));
            rule_args(out, perm);
            arg(out, "description", &hcl(description));
            out.push_str("}\n");
        }
        Change::Revoke { group, perm } => {
            let _ = writeln!(
                out,
                "# Remove from the code: {} of {} ({}, or the {} block of its aws_security_group).",
                one_line(perm),
                comment(group.as_str()),
                resource(perm),
                if perm.egress { "egress" } else { "ingress" }
            );
        }
        Change::Describe { group, perm } => {
            let _ = writeln!(
                out,
                "# In the code, describe {} of {}: description = \"<DESCRIPTION>\".",
                one_line(perm),
                comment(group.as_str())
            );
        }
        Change::DeleteGroup { group } => {
            let _ = writeln!(
                out,
                "# Remove the aws_security_group {} (and any rule resources of it) from the code.",
                comment(group.as_str())
            );
        }
        Change::AclEntry { acl, entry } => {
            let _ = writeln!(out, "resource \"aws_network_acl_rule\" \"{id}\" {{");
            arg(out, "network_acl_id", &hcl(acl.as_str()));
            arg(out, "rule_number", &entry.number.to_string());
            arg(out, "egress", "false");
            arg(out, "protocol", &hcl(&entry.protocol.aws_name()));
            arg(out, "rule_action", if entry.allow { "\"allow\"" } else { "\"deny\"" });
            let family = if entry.cidr.is_ipv6() {
                "ipv6_cidr_block"
            } else {
                "cidr_block"
            };
            arg(out, family, &hcl(&entry.cidr.to_string()));
            arg(out, "from_port", &entry.ports.from.to_string());
            arg(out, "to_port", &entry.ports.to.to_string());
            out.push_str("}\n");
        }
        Change::DbPrivate { db } => {
            let _ = writeln!(
                out,
                "# In the aws_db_instance {}: publicly_accessible = false",
                comment(db)
            );
        }
        Change::SsmProfile { instance } => {
            let _ = writeln!(
                out,
                "# In the aws_instance {}: iam_instance_profile = \"<SSM-INSTANCE-PROFILE>\" \
                 (a profile whose role has AmazonSSMManagedInstanceCore)",
                comment(instance.as_str())
            );
        }
        Change::FlowLog { vpc } => {
            let _ = writeln!(out, "resource \"aws_flow_log\" \"{id}\" {{");
            arg(out, "vpc_id", &hcl(vpc.as_str()));
            arg(out, "traffic_type", "\"ALL\"");
            arg(out, "log_destination_type", "\"s3\"");
            arg(out, "log_destination", "\"<LOG-BUCKET-ARN>\"");
            out.push_str("}\n");
        }
        Change::Import { group } => {
            out.push_str("# Terraform 1.5+: import the group, then write its configuration with\n");
            out.push_str("#   terraform plan -generate-config-out=generated.tf\n");
            out.push_str("import {\n");
            let _ = writeln!(out, "  to = aws_security_group.{id}");
            let _ = writeln!(out, "  id = {}", hcl(group.as_str()));
            out.push_str("}\n");
        }
    }
}

fn resource(perm: &Perm) -> &'static str {
    if perm.egress {
        "aws_vpc_security_group_egress_rule"
    } else {
        "aws_vpc_security_group_ingress_rule"
    }
}

fn arg(out: &mut String, key: &str, value: &str) {
    let _ = writeln!(out, "  {key} = {value}");
}

/// The rule's arguments on one comment line: `ip_protocol = "tcp", from_port = 22, …`.
fn one_line(perm: &Perm) -> String {
    let mut args = String::new();
    rule_args(&mut args, perm);
    let parts: Vec<String> = args
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .map(|l| {
            let (k, v) = l.split_once('=').unwrap_or((l, ""));
            format!("{} = {}", k.trim(), v.trim())
        })
        .collect();
    comment(&parts.join(", ")).into_owned()
}

/// The arguments that say which traffic a rule admits.
fn rule_args(out: &mut String, perm: &Perm) {
    arg(out, "ip_protocol", &hcl(&perm.protocol.aws_name()));
    if let Some((from, to)) = perm.aws_ports() {
        arg(out, "from_port", &from.to_string());
        arg(out, "to_port", &to.to_string());
    }
    let (key, value) = match &perm.peer {
        Peer::Cidr(c) if c.is_ipv6() => ("cidr_ipv6", c.to_string()),
        Peer::Cidr(c) => ("cidr_ipv4", c.to_string()),
        Peer::PrefixList(id) => ("prefix_list_id", id.to_string()),
        Peer::Group { id, account } => {
            if let Some(a) = account {
                let _ = writeln!(out, "  # a group of account {}", comment(a.as_str()));
            }
            ("referenced_security_group_id", id.to_string())
        }
        Peer::Placeholder(p) if p.is_group() => ("referenced_security_group_id", p.text().to_string()),
        Peer::Placeholder(p) => ("cidr_ipv4", p.text().to_string()),
    };
    arg(out, key, &hcl(&value));
}
