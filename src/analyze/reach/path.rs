//! Verdicts and their proof: the hops a packet from the internet takes, each
//! naming the AWS resource and the entry that let it pass, or stopped it.

use std::fmt;

use serde::Serialize;

use crate::model::{
    Cidr, InstanceId, NetworkAclEntry, NetworkAclId, NetworkInterfaceId, PortRange, Protocol, Route, RouteTableId,
    SecurityGroupId,
};

use super::super::rules::Rule;

/// The address family of the packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    Ipv4,
    Ipv6,
}

impl Family {
    pub fn of(cidr: &Cidr) -> Family {
        if cidr.is_ipv6() {
            Family::Ipv6
        } else {
            Family::Ipv4
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Family::Ipv4 => "IPv4",
            Family::Ipv6 => "IPv6",
        }
    }
}

/// Whether traffic from the internet gets there. Ordered from the
/// defender's best case to the worst: blocked < unknown < reachable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// A public path exists up to something that stops it, named in `blocked_by`.
    Blocked,
    /// A fact the verdict needs was not collected, named in `missing`.
    Unknown,
    Reachable,
}

impl Verdict {
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Blocked => "blocked",
            Verdict::Unknown => "unknown",
            Verdict::Reachable => "reachable",
        }
    }
}

/// How a reachable packet gets there.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Via {
    /// To the resource's own address.
    Direct,
    /// Through an internet-facing load balancer, on a port it forwards.
    LoadBalancer,
    /// Through a Gateway Load Balancer or Network Firewall endpoint.
    Inspection,
}

/// One step of a path: a resource and what it did with the packet.
#[derive(Clone, Debug, PartialEq)]
pub enum Hop<'s> {
    Internet,
    Gateway(&'s str),
    /// The subnet's route back to the client (`rtb-… 0.0.0.0/0 -> igw-…`).
    Route {
        table: &'s RouteTableId,
        destination: Cidr,
        route: &'s Route,
    },
    /// An internet gateway's edge route into an inspection endpoint.
    EdgeRoute {
        table: &'s RouteTableId,
        destination: Cidr,
        route: &'s Route,
    },
    /// A network ACL entry; `entry: None` is the implicit `*` deny.
    Acl {
        acl: &'s NetworkAclId,
        entry: Option<&'s NetworkAclEntry>,
        outbound: bool,
    },
    /// A security group rule that admits the packet.
    Rule {
        group: &'s SecurityGroupId,
        rule: Rule<'s>,
    },
    Interface {
        eni: &'s NetworkInterfaceId,
        instance: Option<&'s InstanceId>,
        address: Option<&'s str>,
    },
    /// `application load balancer shop (HTTPS 443)`
    LoadBalancer {
        kind: &'static str,
        name: &'s str,
        listener: Option<(&'s str, u16)>,
    },
    /// `target group web (tcp 8080)`
    TargetGroup {
        name: &'s str,
        protocol: Protocol,
        port: u16,
    },
    /// `RDS instance orders (5432)`
    Database {
        kind: &'static str,
        id: &'s str,
    },
    /// A fact in words (`no IPv6 address`).
    Note(String),
}

fn ports_label(protocol: Protocol, ports: PortRange) -> String {
    if protocol == Protocol::All || ports.is_all() {
        protocol.label().into_owned()
    } else {
        format!("{} {}", protocol.label(), ports)
    }
}

impl fmt::Display for Hop<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Hop::Internet => f.write_str("internet"),
            Hop::Gateway(g) => f.write_str(g),
            Hop::Route {
                table,
                destination,
                route,
            } => {
                let blackhole = if route.is_blackhole() { " (blackhole)" } else { "" };
                write!(f, "{table} {destination} -> {}{blackhole}", route.target_label())
            }
            Hop::EdgeRoute {
                table,
                destination,
                route,
            } => write!(f, "edge {table} {destination} -> {}", route.target_label()),
            Hop::Acl { acl, entry, outbound } => {
                let dir = if *outbound { " outbound" } else { "" };
                match entry {
                    None => write!(f, "{acl}{dir} * deny all"),
                    Some(e) => {
                        let action = if e.is_allow() { "allow" } else { "deny" };
                        let what = ports_label(e.protocol, e.ports());
                        let cidr = e.cidr().map(|c| c.to_string()).unwrap_or_default();
                        let from_to = if *outbound { "to" } else { "from" };
                        write!(f, "{acl}{dir} #{} {action} {what} {from_to} {cidr}", e.rule_number)
                    }
                }
            }
            Hop::Rule { group, rule } => write!(f, "{group} {} from {}", rule.traffic_label(), rule.source_label()),
            Hop::Interface { eni, instance, address } => {
                match instance {
                    Some(i) => write!(f, "{i} ({eni})")?,
                    None => write!(f, "{eni}")?,
                }
                match address {
                    Some(a) => write!(f, " {a}"),
                    None => Ok(()),
                }
            }
            Hop::LoadBalancer { kind, name, listener } => match listener {
                Some((protocol, port)) => write!(f, "{kind} {name} ({protocol} {port})"),
                None => write!(f, "{kind} {name}"),
            },
            Hop::TargetGroup { name, protocol, port } => write!(f, "target group {name} ({} {port})", protocol.label()),
            Hop::Database { kind, id } => write!(f, "{kind} {id}"),
            Hop::Note(text) => f.write_str(text),
        }
    }
}

/// The verdict for some traffic to one resource (or the best over several),
/// with its proof. Built while the analysis runs; [`ReachRecord`] is what
/// the outputs keep of it.
#[derive(Clone, Debug, PartialEq)]
pub struct Reach<'s> {
    pub verdict: Verdict,
    pub family: Family,
    pub via: Option<Via>,
    /// From the internet to the resource; for a blocked or unknown verdict,
    /// up to where it stopped.
    pub path: Vec<Hop<'s>>,
    pub blocked_by: Option<Hop<'s>>,
    pub missing: Vec<String>,
}

impl<'s> Reach<'s> {
    pub fn blocked(family: Family, path: Vec<Hop<'s>>, by: Hop<'s>) -> Self {
        Reach {
            verdict: Verdict::Blocked,
            family,
            via: None,
            path,
            blocked_by: Some(by),
            missing: vec![],
        }
    }

    pub fn unknown(family: Family, path: Vec<Hop<'s>>, missing: String) -> Self {
        Reach {
            verdict: Verdict::Unknown,
            family,
            via: None,
            path,
            blocked_by: None,
            missing: vec![missing],
        }
    }

    /// How much this verdict weighs when picking the one to show: a
    /// reachable path first (direct before load balancer before inspection),
    /// then an unverified one, then a blocked one.
    fn rank(&self) -> (Verdict, std::cmp::Reverse<Option<Via>>) {
        (self.verdict, std::cmp::Reverse(self.via))
    }

    /// Whether [`Reach::worst`] of `current` and `self` would be `self`.
    pub fn replaces(&self, current: Option<&Self>) -> bool {
        current.is_none_or(|c| self.rank() > c.rank())
    }

    /// The worse of two verdicts for the defender; the first on a tie.
    pub fn worst(a: Option<Self>, b: Option<Self>) -> Option<Self> {
        match (a, b) {
            (Some(a), Some(b)) => Some(if b.rank() > a.rank() { b } else { a }),
            (a, b) => a.or(b),
        }
    }

    /// The verdict in a line, as [`ReachRecord::summary`] says it.
    pub fn summary(&self) -> String {
        match self.verdict {
            Verdict::Reachable => reachable_line(self.family, self.via),
            Verdict::Blocked => format!(
                "blocked: {}",
                self.blocked_by.as_ref().map(|b| b.to_string()).unwrap_or_default()
            ),
            Verdict::Unknown => format!("unverified: {}", self.missing.join("; ")),
        }
    }

    pub fn record(&self) -> ReachRecord {
        use std::fmt::Write;
        let mut path = String::new();
        for (i, hop) in self.path.iter().enumerate() {
            if i > 0 {
                path.push(HOP_SEPARATOR);
            }
            let _ = write!(path, "{hop}");
        }
        ReachRecord {
            verdict: self.verdict,
            family: self.family,
            via: self.via,
            path,
            blocked_by: self.blocked_by.as_ref().map(|h| h.to_string()),
            missing: self.missing.clone(),
        }
    }
}

/// Between the hops of a [`ReachRecord`]'s path: a character no hop holds.
const HOP_SEPARATOR: char = '\u{1e}';

/// A verdict and its proof as the outputs write it (`reachability` in
/// findings.json). Findings about the same rule share one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReachRecord {
    pub verdict: Verdict,
    pub family: Family,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<Via>,
    /// The hops in one string (a large organization has hundreds of
    /// thousands of paths: one allocation each, not one per hop), written
    /// out as a list.
    #[serde(serialize_with = "hop_list")]
    path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blocked_by: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<String>,
}

/// `reachable (IPv4, direct)`, `reachable (IPv6, through a load balancer)`.
fn reachable_line(family: Family, via: Option<Via>) -> String {
    format!(
        "reachable ({}, {})",
        family.label(),
        match via {
            Some(Via::LoadBalancer) => "through a load balancer",
            Some(Via::Inspection) => "via inspection",
            _ => "direct",
        }
    )
}

fn hop_list<S: serde::Serializer>(path: &str, s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(path.split(HOP_SEPARATOR).filter(|h| !h.is_empty()))
}

impl ReachRecord {
    /// The hops, from the internet to the resource (or to where it stopped).
    pub fn hops(&self) -> impl Iterator<Item = &str> {
        self.path.split(HOP_SEPARATOR).filter(|h| !h.is_empty())
    }

    pub fn has_path(&self) -> bool {
        !self.path.is_empty()
    }

    /// One line: `reachable (IPv4, direct)`, `blocked: acl-… #50 deny tcp 22 from 0.0.0.0/0`,
    /// `unverified: route tables not collected`.
    pub fn summary(&self) -> String {
        match self.verdict {
            Verdict::Reachable => reachable_line(self.family, self.via),
            Verdict::Blocked => format!("blocked: {}", self.blocked_by.as_deref().unwrap_or("")),
            Verdict::Unknown => format!("unverified: {}", self.missing.join("; ")),
        }
    }

    /// The hops joined with arrows, as the reports show them.
    pub fn path_line(&self) -> String {
        self.hops().collect::<Vec<_>>().join(" → ")
    }
}
