//! A change as the AWS CLI command that makes it.

use serde::Serialize;

use crate::analyze::fixes::{Change, Peer, Perm};
use crate::model::{Region, SecurityGroupId};

use super::quote;

/// How a command can be tried without changing anything.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trial {
    /// EC2's `--dry-run`: AWS checks permissions and parameters and answers
    /// `DryRunOperation`.
    DryRun,
    /// No dry run exists (RDS): this read-only command shows the state the
    /// change alters.
    Preview(Vec<String>),
    /// Not an AWS change: nothing to try.
    Nothing,
}

/// One AWS CLI command, as words (quoted only when written out).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Command {
    pub words: Vec<String>,
    pub trial: Trial,
}

impl Command {
    /// The command as one shell line, every word quoted as it needs.
    pub fn line(&self) -> String {
        join(&self.words)
    }
}

pub fn join(words: &[String]) -> String {
    let mut out = String::new();
    for (i, w) in words.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(&quote::sh(w));
    }
    out
}

fn words(parts: &[&str]) -> Vec<String> {
    parts.iter().map(|s| s.to_string()).collect()
}

/// The command for a change in a region (`None` for account-wide findings,
/// which have no AWS change).
pub fn command(change: &Change, region: Option<&Region>) -> Command {
    let region = region.map(|r| r.as_str()).unwrap_or("<REGION>");
    let ec2 = |op: &str| words(&["aws", "ec2", op, "--region", region]);
    let (mut w, trial) = match change {
        Change::Authorize {
            group,
            perm,
            description,
        } => {
            let op = if perm.egress {
                "authorize-security-group-egress"
            } else {
                "authorize-security-group-ingress"
            };
            (rule_change(ec2(op), group, perm, Some(description)), Trial::DryRun)
        }
        Change::Revoke { group, perm } => {
            let op = if perm.egress {
                "revoke-security-group-egress"
            } else {
                "revoke-security-group-ingress"
            };
            (rule_change(ec2(op), group, perm, None), Trial::DryRun)
        }
        Change::Describe { group, perm } => {
            let op = if perm.egress {
                "update-security-group-rule-descriptions-egress"
            } else {
                "update-security-group-rule-descriptions-ingress"
            };
            (rule_change(ec2(op), group, perm, Some("<DESCRIPTION>")), Trial::DryRun)
        }
        Change::DeleteGroup { group } => {
            let mut w = ec2("delete-security-group");
            w.extend(words(&["--group-id", group.as_str()]));
            (w, Trial::DryRun)
        }
        Change::AclEntry { acl, entry } => {
            let mut w = ec2("create-network-acl-entry");
            let number = entry.number.to_string();
            let protocol = entry.protocol.number().to_string();
            let ports = format!("From={},To={}", entry.ports.from, entry.ports.to);
            let cidr = entry.cidr.to_string();
            let family = if entry.cidr.is_ipv6() {
                "--ipv6-cidr-block"
            } else {
                "--cidr-block"
            };
            w.extend(words(&[
                "--network-acl-id",
                acl.as_str(),
                "--ingress",
                "--rule-number",
                &number,
                "--protocol",
                &protocol,
                "--port-range",
                &ports,
                family,
                &cidr,
                "--rule-action",
                if entry.allow { "allow" } else { "deny" },
            ]));
            (w, Trial::DryRun)
        }
        Change::DbPrivate { db } => {
            let w = words(&[
                "aws",
                "rds",
                "modify-db-instance",
                "--region",
                region,
                "--db-instance-identifier",
                db,
                "--no-publicly-accessible",
                "--apply-immediately",
            ]);
            let preview = words(&[
                "aws",
                "rds",
                "describe-db-instances",
                "--region",
                region,
                "--db-instance-identifier",
                db,
                "--query",
                "DBInstances[0].PubliclyAccessible",
            ]);
            (w, Trial::Preview(preview))
        }
        Change::SsmProfile { instance } => {
            let mut w = ec2("associate-iam-instance-profile");
            w.extend(words(&[
                "--instance-id",
                instance.as_str(),
                "--iam-instance-profile",
                "Name=<SSM-INSTANCE-PROFILE>",
            ]));
            (w, Trial::DryRun)
        }
        Change::FlowLog { vpc } => {
            let mut w = ec2("create-flow-logs");
            w.extend(words(&[
                "--resource-type",
                "VPC",
                "--resource-ids",
                vpc.as_str(),
                "--traffic-type",
                "ALL",
                "--log-destination-type",
                "s3",
                "--log-destination",
                "<LOG-BUCKET-ARN>",
            ]));
            (w, Trial::DryRun)
        }
        Change::Import { group } => {
            // Not a change: the group's definition, to write into code.
            let mut w = ec2("describe-security-groups");
            w.extend(words(&["--group-ids", group.as_str()]));
            (w, Trial::Nothing)
        }
    };
    w.shrink_to_fit();
    Command { words: w, trial }
}

/// A command about one permission of a group: `--group-id G --ip-permissions JSON`.
fn rule_change(mut w: Vec<String>, group: &SecurityGroupId, perm: &Perm, description: Option<&str>) -> Vec<String> {
    w.extend(words(&["--group-id", group.as_str(), "--ip-permissions"]));
    w.push(ip_permissions(perm, description));
    w
}

/// `--ip-permissions` as JSON, one permission with one peer: exactly the
/// rule a revoke removes (AWS matches protocol, ports and peer).
pub fn ip_permissions(perm: &Perm, description: Option<&str>) -> String {
    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Permission<'a> {
        ip_protocol: std::borrow::Cow<'static, str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        from_port: Option<i32>,
        #[serde(skip_serializing_if = "Option::is_none")]
        to_port: Option<i32>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        ip_ranges: Vec<V4<'a>>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        ipv6_ranges: Vec<V6<'a>>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        prefix_list_ids: Vec<Pl<'a>>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        user_id_group_pairs: Vec<Pair<'a>>,
    }
    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct V4<'a> {
        cidr_ip: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        description: Option<&'a str>,
    }
    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct V6<'a> {
        cidr_ipv6: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        description: Option<&'a str>,
    }
    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Pl<'a> {
        prefix_list_id: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        description: Option<&'a str>,
    }
    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Pair<'a> {
        group_id: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        user_id: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        description: Option<&'a str>,
    }
    let (from_port, to_port) = perm.aws_ports().unzip();
    let mut p = Permission {
        ip_protocol: perm.protocol.aws_name(),
        from_port,
        to_port,
        ip_ranges: vec![],
        ipv6_ranges: vec![],
        prefix_list_ids: vec![],
        user_id_group_pairs: vec![],
    };
    match &perm.peer {
        Peer::Cidr(c) if c.is_ipv6() => p.ipv6_ranges.push(V6 {
            cidr_ipv6: c.to_string(),
            description,
        }),
        Peer::Cidr(c) => p.ip_ranges.push(V4 {
            cidr_ip: c.to_string(),
            description,
        }),
        Peer::PrefixList(id) => p.prefix_list_ids.push(Pl {
            prefix_list_id: id.as_str(),
            description,
        }),
        Peer::Group { id, account } => p.user_id_group_pairs.push(Pair {
            group_id: id.as_str(),
            user_id: account.as_ref().map(|a| a.as_str()),
            description,
        }),
        Peer::Placeholder(ph) if ph.is_group() => p.user_id_group_pairs.push(Pair {
            group_id: ph.text(),
            user_id: None,
            description,
        }),
        Peer::Placeholder(ph) => p.ip_ranges.push(V4 {
            cidr_ip: ph.text().to_string(),
            description,
        }),
    }
    serde_json::to_string(&[p]).expect("serializing plain structs cannot fail")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Cidr, PortRange, Protocol};

    fn perm(protocol: Protocol, ports: Option<(u16, u16)>, peer: Peer) -> Perm {
        Perm {
            egress: false,
            protocol,
            ports: ports.map(|(a, b)| PortRange::new(a, b)),
            icmp: None,
            peer,
        }
    }

    fn cidr(s: &str) -> Peer {
        Peer::Cidr(s.parse::<Cidr>().unwrap())
    }

    #[test]
    fn revoking_ssh_from_the_world_names_exactly_that_rule() {
        let change = Change::Revoke {
            group: SecurityGroupId::from("sg-0abc"),
            perm: perm(Protocol::Tcp, Some((22, 22)), cidr("0.0.0.0/0")),
        };
        let region = Region::from("eu-west-1");
        assert_eq!(
            command(&change, Some(&region)).line(),
            r#"aws ec2 revoke-security-group-ingress --region eu-west-1 --group-id sg-0abc --ip-permissions '[{"IpProtocol":"tcp","FromPort":22,"ToPort":22,"IpRanges":[{"CidrIp":"0.0.0.0/0"}]}]'"#
        );
    }

    #[test]
    fn permissions_of_every_kind_of_peer() {
        let all = perm(Protocol::All, None, cidr("::/0"));
        assert_eq!(
            ip_permissions(&all, None),
            r#"[{"IpProtocol":"-1","Ipv6Ranges":[{"CidrIpv6":"::/0"}]}]"#
        );
        let from_group = perm(
            Protocol::Tcp,
            Some((5432, 5432)),
            Peer::Group {
                id: "sg-web".into(),
                account: Some(crate::model::AccountId::parse("222222222222").unwrap()),
            },
        );
        assert_eq!(
            ip_permissions(&from_group, Some("from the web tier")),
            r#"[{"IpProtocol":"tcp","FromPort":5432,"ToPort":5432,"UserIdGroupPairs":[{"GroupId":"sg-web","UserId":"222222222222","Description":"from the web tier"}]}]"#
        );
        let pmtu = Perm {
            icmp: Some((Some(3), Some(4))),
            ..perm(Protocol::Icmp, None, cidr("0.0.0.0/0"))
        };
        assert_eq!(
            ip_permissions(&pmtu, None),
            r#"[{"IpProtocol":"icmp","FromPort":3,"ToPort":4,"IpRanges":[{"CidrIp":"0.0.0.0/0"}]}]"#
        );
        let pl = perm(Protocol::Udp, Some((53, 53)), Peer::PrefixList("pl-1".into()));
        assert_eq!(
            ip_permissions(&pl, None),
            r#"[{"IpProtocol":"udp","FromPort":53,"ToPort":53,"PrefixListIds":[{"PrefixListId":"pl-1"}]}]"#
        );
    }

    #[test]
    fn a_hostile_description_stays_inside_single_quoted_json() {
        let change = Change::Authorize {
            group: SecurityGroupId::from("sg-1"),
            perm: perm(Protocol::Tcp, Some((22, 22)), cidr("198.51.100.7/32")),
            description: "x' ; rm -rf / ; echo '$(id)`id`\n".into(),
        };
        let line = command(&change, Some(&Region::from("eu-west-1"))).line();
        let out = std::process::Command::new("bash")
            .args(["-c", &format!("printf '%s\\n' {}", line.trim_start_matches("aws "))])
            .output()
            .unwrap();
        let words: Vec<&str> = std::str::from_utf8(&out.stdout).unwrap().lines().collect();
        // The shell sees the JSON as one word, unchanged.
        assert!(words.iter().any(|w| w.contains(r#"x' ; rm -rf / ; echo '$(id)`id`\n"#)));
        assert_eq!(words.len(), 8, "{words:?}");
    }
}
