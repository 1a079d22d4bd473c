//! Findings in the schemas other tools already read: OCSF (Amazon Security
//! Lake, most SIEMs) and ASFF (Security Hub's `BatchImportFindings`).
//!
//! Both are views of the same facts as `findings.json`: the finding's
//! fingerprint is its identity, its check's metadata its title and text,
//! the group and what it is attached to its resources. What the two schemas
//! have no field for stays in their extension slot (`unmapped`,
//! `ProductFields`). sgaudit writes these files and never sends them: the
//! README shows the one command that imports them.

pub(crate) mod asff;
pub(crate) mod ocsf;

use std::collections::HashMap;

use crate::analyze::Finding;
use crate::model::Snapshot;

/// The partition of a region: `aws`, `aws-cn`, `aws-us-gov`.
pub(crate) fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// A resource a finding is about, as both schemas name it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Resource {
    /// The ARN, or the id where the resource has no ARN we know.
    pub uid: String,
    /// The id a person looks it up by (`sg-…`, `i-…`, a load balancer's name).
    pub name: String,
    /// ASFF's resource type (`AwsEc2SecurityGroup`), which OCSF producers use too.
    pub kind: &'static str,
    pub region: Option<String>,
}

/// The resources of the snapshot that findings name by id or name only
/// (load balancers, databases), with their types and ARNs.
pub(crate) struct Resources<'s> {
    by_name: HashMap<(&'s str, &'s str, &'s str), (&'static str, Option<&'s str>), foldhash::fast::RandomState>,
    /// The first region of each account, for findings about the whole account.
    home: HashMap<&'s str, &'s str, foldhash::fast::RandomState>,
}

/// More resources than this per finding are counted, not listed (ASFF allows 32).
pub(crate) const MAX_RESOURCES: usize = 32;

impl<'s> Resources<'s> {
    pub fn new(snapshot: &'s Snapshot) -> Self {
        let mut by_name = HashMap::default();
        let mut home = HashMap::default();
        for a in &snapshot.accounts {
            let acc = a.account_id.as_str();
            if let Some(r) = a.regions.iter().find(|r| r.status.is_ok()) {
                home.insert(acc, r.region.as_str());
            }
            for r in &a.regions {
                let reg = r.region.as_str();
                for lb in &r.load_balancers {
                    by_name.insert(
                        (acc, reg, lb.load_balancer_name.as_str()),
                        ("AwsElbv2LoadBalancer", Some(lb.load_balancer_arn.as_str())),
                    );
                }
                for lb in r.classic_load_balancers.iter().flatten() {
                    by_name.insert((acc, reg, lb.load_balancer_name.as_str()), ("AwsElbLoadBalancer", None));
                }
                for db in &r.db_instances {
                    by_name.insert(
                        (acc, reg, db.db_instance_identifier.as_str()),
                        ("AwsRdsDbInstance", db.db_instance_arn.as_deref()),
                    );
                }
                for c in &r.db_clusters {
                    by_name.insert(
                        (acc, reg, c.db_cluster_identifier.as_str()),
                        ("AwsRdsDbCluster", c.db_cluster_arn.as_deref()),
                    );
                }
            }
        }
        Resources { by_name, home }
    }

    /// The region a finding is filed under: its own, or for a finding about
    /// the whole account, the account's first collected region.
    pub fn region_of<'f>(&self, f: &'f Finding) -> &'f str
    where
        's: 'f,
    {
        match &f.region {
            Some(r) => r.as_str(),
            None => self.home.get(f.account_id.as_str()).copied().unwrap_or("us-east-1"),
        }
    }

    /// The finding's subject first (its group, network ACL, instance, VPC,
    /// or the account), then what it concerns, at most [`MAX_RESOURCES`];
    /// and how many there were in all.
    pub fn of(&self, f: &Finding) -> (Vec<Resource>, usize) {
        use crate::analyze::finding::Subject;
        let account = f.account_id.as_str();
        let region = f.region.as_ref().map(|r| r.as_str());
        let arn = |service: &str, path: &str| match region {
            Some(r) => format!("arn:{}:{service}:{r}:{account}:{path}", partition(r)),
            None => path.to_string(),
        };
        let subject = match &f.subject {
            Subject::SecurityGroup(id) => Resource {
                uid: arn("ec2", &format!("security-group/{id}")),
                name: id.to_string(),
                kind: "AwsEc2SecurityGroup",
                region: region.map(str::to_string),
            },
            Subject::NetworkAcl(id) => Resource {
                uid: arn("ec2", &format!("network-acl/{id}")),
                name: id.to_string(),
                kind: "AwsEc2NetworkAcl",
                region: region.map(str::to_string),
            },
            Subject::Instance(id) => Resource {
                uid: arn("ec2", &format!("instance/{id}")),
                name: id.to_string(),
                kind: "AwsEc2Instance",
                region: region.map(str::to_string),
            },
            Subject::Vpc(id) => Resource {
                uid: arn("ec2", &format!("vpc/{id}")),
                name: id.to_string(),
                kind: "AwsEc2Vpc",
                region: region.map(str::to_string),
            },
            Subject::Exception(_) => Resource {
                uid: format!("AWS::::Account:{account}"),
                name: account.to_string(),
                kind: "AwsAccount",
                region: None,
            },
        };
        let own = subject.name.clone();
        let mut out = vec![subject];
        let total = 1 + f.resource_ids.iter().filter(|id| id.as_str() != own).count();
        for id in f.resource_ids.iter().filter(|id| id.as_str() != own) {
            if out.len() == MAX_RESOURCES {
                break;
            }
            out.push(self.resource(account, region, id));
        }
        (out, total)
    }

    fn resource(&self, account: &str, region: Option<&str>, id: &str) -> Resource {
        let typed = |kind: &'static str, path: String| Resource {
            uid: match region {
                Some(r) => format!("arn:{}:ec2:{r}:{account}:{path}", partition(r)),
                None => id.to_string(),
            },
            name: id.to_string(),
            kind,
            region: region.map(str::to_string),
        };
        let prefixed = [
            ("i-", "AwsEc2Instance", "instance"),
            ("eni-", "AwsEc2NetworkInterface", "network-interface"),
            ("subnet-", "AwsEc2Subnet", "subnet"),
            ("acl-", "AwsEc2NetworkAcl", "network-acl"),
            ("vpc-", "AwsEc2Vpc", "vpc"),
            ("sg-", "AwsEc2SecurityGroup", "security-group"),
        ];
        if let Some((_, kind, path)) = prefixed.iter().find(|(p, _, _)| id.starts_with(p)) {
            return typed(kind, format!("{path}/{id}"));
        }
        match region.and_then(|r| self.by_name.get(&(account, r, id))) {
            Some((kind, arn)) => Resource {
                uid: arn.map_or_else(|| id.to_string(), str::to_string),
                name: id.to_string(),
                kind,
                region: region.map(str::to_string),
            },
            None => Resource {
                uid: id.to_string(),
                name: id.to_string(),
                kind: "Other",
                region: region.map(str::to_string),
            },
        }
    }
}

/// Milliseconds since the epoch (OCSF's `timestamp_t`).
pub(crate) fn millis(t: time::OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

/// RFC 3339 in UTC, to the second (`2026-11-30T09:00:00+00:00` or `…Z`).
pub(crate) fn rfc3339(t: time::OffsetDateTime, zulu: bool) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    let format = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    let base = t.format(&format).unwrap_or_default();
    if zulu {
        format!("{base}Z")
    } else {
        format!("{base}+00:00")
    }
}

/// `text` cut to at most `max` characters, with `…` when cut.
pub(crate) fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// The controls of a finding by the edition that numbers them:
/// `{"CIS AWS Foundations Benchmark v3.0.0": ["5.2"], …}`.
pub(crate) fn compliance(f: &Finding) -> std::collections::BTreeMap<&'static str, Vec<&'static str>> {
    let mut out: std::collections::BTreeMap<&'static str, Vec<&'static str>> = Default::default();
    for c in f.controls() {
        out.entry(c.version).or_default().push(c.id);
    }
    out
}

/// The finding's type in ASFF's taxonomy (OCSF producers use it too):
/// network reachability when the finding is about what traffic gets where,
/// a best practice otherwise (an expired exception, a missing flow log).
pub(crate) fn finding_type(f: &Finding) -> &'static str {
    if f.exposure.is_some() || f.reachability.is_some() {
        "Software and Configuration Checks/AWS Security Best Practices/Network Reachability"
    } else {
        "Software and Configuration Checks/AWS Security Best Practices"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_follow_the_region() {
        assert_eq!(partition("eu-west-1"), "aws");
        assert_eq!(partition("cn-north-1"), "aws-cn");
        assert_eq!(partition("us-gov-west-1"), "aws-us-gov");
    }

    #[test]
    fn times_are_milliseconds_and_whole_seconds() {
        let t = time::macros::datetime!(2026-11-30 09:00:01.250 UTC);
        assert_eq!(millis(t), 1_796_029_201_250);
        assert_eq!(rfc3339(t, true), "2026-11-30T09:00:01Z");
        assert_eq!(rfc3339(t, false), "2026-11-30T09:00:01+00:00");
    }

    #[test]
    fn long_text_is_cut_with_an_ellipsis() {
        assert_eq!(cut("abcdef", 4), "abc…");
        assert_eq!(cut("abc", 4), "abc");
    }
}
