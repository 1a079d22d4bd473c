//! A change as the AWS CLI command that makes it.

use crate::analyze::fixes::{Change, Peer, Perm};
use crate::model::{Region, SecurityGroupId};

use super::quote;

/// How a command can be tried without changing anything.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trial {
    /// EC2's `--dry-run`: AWS checks permissions and parameters and answers
    /// `DryRunOperation`.
    DryRun,
    /// No dry run exists (RDS): this read-only command (one shell line)
    /// shows the state the change alters.
    Preview(String),
    /// Not an AWS change: nothing to try.
    Nothing,
}

/// One AWS CLI command, written out as one shell line, every word quoted
/// as it needs ([`quote::sh`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Command {
    line: String,
    pub trial: Trial,
}

impl Command {
    /// The command as one shell line.
    pub fn line(&self) -> &str {
        &self.line
    }
}

/// A shell line built word by word (a large organization's reports write
/// millions of them: no word is allocated on its own).
struct Line(String);

impl Line {
    fn new(words: &[&str]) -> Self {
        let mut line = Line(String::with_capacity(192));
        line.words(words);
        line
    }

    fn word(&mut self, w: &str) {
        if !self.0.is_empty() {
            self.0.push(' ');
        }
        quote::sh_to(&mut self.0, w);
    }

    fn words(&mut self, words: &[&str]) {
        for w in words {
            self.word(w);
        }
    }
}

/// Words as one shell line, each quoted as it needs.
pub fn join(words: &[&str]) -> String {
    Line::new(words).0
}

/// The command for a change in a region (`None` for account-wide findings,
/// which have no AWS change).
pub fn command(change: &Change, region: Option<&Region>) -> Command {
    let region = region.map(|r| r.as_str()).unwrap_or("<REGION>");
    let ec2 = |op: &str| Line::new(&["aws", "ec2", op, "--region", region]);
    let (line, trial) = match change {
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
            w.words(&["--group-id", group.as_str()]);
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
            w.words(&[
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
            ]);
            (w, Trial::DryRun)
        }
        Change::DbPrivate { db } => {
            let w = Line::new(&[
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
            let preview = join(&[
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
            w.words(&[
                "--instance-id",
                instance.as_str(),
                "--iam-instance-profile",
                "Name=<SSM-INSTANCE-PROFILE>",
            ]);
            (w, Trial::DryRun)
        }
        Change::FlowLog { vpc } => {
            let mut w = ec2("create-flow-logs");
            w.words(&[
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
            ]);
            (w, Trial::DryRun)
        }
        Change::Import { group } => {
            // Not a change: the group's definition, to write into code.
            let mut w = ec2("describe-security-groups");
            w.words(&["--group-ids", group.as_str()]);
            (w, Trial::Nothing)
        }
    };
    Command { line: line.0, trial }
}

/// A command about one permission of a group: `--group-id G --ip-permissions JSON`.
fn rule_change(mut w: Line, group: &SecurityGroupId, perm: &Perm, description: Option<&str>) -> Line {
    w.words(&["--group-id", group.as_str(), "--ip-permissions"]);
    w.word(&ip_permissions(perm, description));
    w
}

/// `--ip-permissions` as JSON, one permission with one peer: exactly the
/// rule a revoke removes (AWS matches protocol, ports and peer). Written by
/// hand, in serde_json's own form (a string with anything to escape through
/// serde_json itself).
pub fn ip_permissions(perm: &Perm, description: Option<&str>) -> String {
    use std::fmt::Write as _;
    fn string(out: &mut String, s: &str) {
        // serde_json escapes only quotes, backslashes and control characters.
        if s.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') {
            out.push_str(&serde_json::to_string(s).expect("a string serializes"));
        } else {
            out.push('"');
            out.push_str(s);
            out.push('"');
        }
    }
    fn peer(
        out: &mut String,
        list: &str,
        key: &str,
        value: &str,
        extra: Option<(&str, &str)>,
        description: Option<&str>,
    ) {
        for part in [",\"", list, "\":[{\"", key, "\":"] {
            out.push_str(part);
        }
        string(out, value);
        if let Some((k, v)) = extra {
            for part in [",\"", k, "\":"] {
                out.push_str(part);
            }
            string(out, v);
        }
        if let Some(d) = description {
            out.push_str(r#","Description":"#);
            string(out, d);
        }
        out.push_str("}]");
    }
    let mut out = String::with_capacity(128);
    out.push_str(r#"[{"IpProtocol":"#);
    string(&mut out, &perm.protocol.aws_name());
    if let Some((from, to)) = perm.aws_ports() {
        let mut n = itoa::Buffer::new();
        out.push_str(r#","FromPort":"#);
        out.push_str(n.format(from));
        out.push_str(r#","ToPort":"#);
        out.push_str(n.format(to));
    }
    match &perm.peer {
        Peer::Cidr(c) => {
            let mut text = compact_str::CompactString::default();
            let _ = write!(text, "{c}");
            match c.is_ipv6() {
                true => peer(&mut out, "Ipv6Ranges", "CidrIpv6", &text, None, description),
                false => peer(&mut out, "IpRanges", "CidrIp", &text, None, description),
            }
        }
        Peer::PrefixList(id) => peer(
            &mut out,
            "PrefixListIds",
            "PrefixListId",
            id.as_str(),
            None,
            description,
        ),
        Peer::Group { id, account } => peer(
            &mut out,
            "UserIdGroupPairs",
            "GroupId",
            id.as_str(),
            account.as_ref().map(|a| ("UserId", a.as_str())),
            description,
        ),
        Peer::Placeholder(ph) if ph.is_group() => {
            peer(&mut out, "UserIdGroupPairs", "GroupId", ph.text(), None, description)
        }
        Peer::Placeholder(ph) => peer(&mut out, "IpRanges", "CidrIp", ph.text(), None, description),
    }
    out.push_str("}]");
    out
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

    proptest::proptest! {
        /// Written by hand, the permission is still serde_json's JSON: any
        /// description reads back the same, and the text is what serde_json
        /// itself writes for it.
        #[test]
        fn any_description_is_json_as_serde_json_writes_it(d in "\\PC*|[\"\\\\\\x00-\\x1f\\x7f ]*") {
            let text = ip_permissions(&perm(Protocol::Tcp, Some((22, 22)), cidr("10.0.0.0/8")), Some(&d));
            let back: serde_json::Value = serde_json::from_str(&text).unwrap();
            proptest::prop_assert_eq!(back[0]["IpRanges"][0]["Description"].as_str(), Some(d.as_str()));
            let written = format!(r#","Description":{}}}]}}]"#, serde_json::to_string(&d).unwrap());
            proptest::prop_assert!(text.ends_with(&written), "{} does not end with {}", text, written);
        }
    }

    #[test]
    fn a_hostile_description_stays_inside_single_quoted_json() {
        let change = Change::Authorize {
            group: SecurityGroupId::from("sg-1"),
            perm: perm(Protocol::Tcp, Some((22, 22)), cidr("198.51.100.7/32")),
            description: "x' ; rm -rf / ; echo '$(id)`id`\n".into(),
        };
        let command = command(&change, Some(&Region::from("eu-west-1")));
        let line = command.line();
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
