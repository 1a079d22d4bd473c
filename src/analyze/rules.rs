//! Security group rules, one source at a time.
//!
//! AWS groups sources under a permission (`IpPermissions[].IpRanges[]` …);
//! checks reason about one (protocol, ports, source) triple at a time, which is
//! also how a person reads a rule and how the console lists them.

use compact_str::CompactString;

use crate::config::Networks;
use crate::model::{
    AccountId, Cidr, IpPermission, PortRange, PrefixListEntry, PrefixListId, Protocol, SecurityGroup, SecurityGroupId,
    ServicePort, UserIdGroupPair,
};

use super::finding::{RuleEvidence, RuleKey, SourceKey};

/// Where a rule lets traffic come from (or go to, for egress).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Source<'s> {
    Cidr(Cidr),
    PrefixList(&'s PrefixListId),
    Group(&'s UserIdGroupPair),
}

/// How wide a rule's source is, as every check and every drawing reads it.
/// Ordered from the narrowest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Breadth {
    /// Another security group.
    Group,
    /// Private, shared, loopback or link-local space only.
    Private,
    /// Public addresses, narrower than `[networks] wide_public_prefix_*`.
    Public,
    /// A public range at least that wide, short of everything.
    WidePublic,
    /// `0.0.0.0/0` or `::/0`.
    Anywhere,
}

impl Breadth {
    /// The breadth of one CIDR.
    pub fn of(cidr: Cidr, networks: &Networks) -> Breadth {
        if cidr.is_anywhere() {
            Breadth::Anywhere
        } else if cidr.is_private() {
            Breadth::Private
        } else if cidr.prefix_len() <= networks.broad_prefix(cidr) {
            Breadth::WidePublic
        } else {
            Breadth::Public
        }
    }

    /// Whether it stands for the internet in the reports' drawings.
    pub fn is_internet(self) -> bool {
        matches!(self, Breadth::Anywhere | Breadth::WidePublic)
    }
}

/// One rule: a protocol and ports from one source.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rule<'s> {
    pub protocol: Protocol,
    /// The TCP/UDP ports it opens; every port for protocol `-1`; `None` for
    /// protocols without ports.
    pub ports: Option<PortRange>,
    pub source: Source<'s>,
    pub description: Option<&'s str>,
    pub egress: bool,
    /// The account that owns the rule's group.
    pub owner: Option<&'s AccountId>,
    /// Its position among its group's rules of the same direction, one
    /// source at a time (what [`ingress`] and [`egress`] yield in order).
    pub index: usize,
    /// The group whose rule it is.
    pub group: &'s SecurityGroupId,
    /// For ICMP and ICMPv6: the type and code it admits.
    pub icmp: Option<Icmp>,
}

/// The ICMP messages an ICMP (or ICMPv6) rule admits: AWS writes the type
/// in `FromPort` and the code in `ToPort`, `-1` for all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Icmp {
    /// `None`: every type.
    pub kind: Option<u8>,
    /// `None`: every code.
    pub code: Option<u8>,
}

impl Icmp {
    fn of(perm: &IpPermission) -> Option<Icmp> {
        let v = |x: Option<i32>| x.filter(|n| (0..=255).contains(n)).map(|n| n as u8);
        matches!(perm.ip_protocol, Protocol::Icmp | Protocol::Icmpv6).then(|| Icmp {
            kind: v(perm.from_port),
            code: v(perm.to_port),
        })
    }

    /// Whether every message it admits is one that path-MTU discovery needs:
    /// ICMP destination unreachable / fragmentation needed (type 3, code 4),
    /// or ICMPv6 packet too big (type 2).
    pub fn is_path_mtu(self, protocol: Protocol) -> bool {
        match protocol {
            Protocol::Icmp => self.kind == Some(3) && self.code == Some(4),
            Protocol::Icmpv6 => self.kind == Some(2),
            _ => false,
        }
    }

    /// Whether it admits echo requests only (ping): ICMP type 8, ICMPv6 type 128.
    pub fn is_echo_only(self, protocol: Protocol) -> bool {
        match protocol {
            Protocol::Icmp => self.kind == Some(8),
            Protocol::Icmpv6 => self.kind == Some(128),
            _ => false,
        }
    }

    /// `all types`, `type 8 (echo request)`, `type 3 code 4 (fragmentation needed)`.
    pub fn label(self, protocol: Protocol) -> String {
        let name = match (protocol, self.kind, self.code) {
            (Protocol::Icmp, Some(0), _) => " (echo reply)",
            (Protocol::Icmp, Some(3), Some(4)) => " (fragmentation needed)",
            (Protocol::Icmp, Some(3), _) => " (destination unreachable)",
            (Protocol::Icmp, Some(8), _) => " (echo request)",
            (Protocol::Icmp, Some(11), _) => " (time exceeded)",
            (Protocol::Icmpv6, Some(1), _) => " (destination unreachable)",
            (Protocol::Icmpv6, Some(2), _) => " (packet too big)",
            (Protocol::Icmpv6, Some(128), _) => " (echo request)",
            (Protocol::Icmpv6, Some(129), _) => " (echo reply)",
            _ => "",
        };
        match (self.kind, self.code) {
            (None, _) => "all types".to_string(),
            (Some(t), None) => format!("type {t}{name}"),
            (Some(t), Some(c)) => format!("type {t} code {c}{name}"),
        }
    }
}

impl<'s> Rule<'s> {
    /// Whether the rule lets traffic to `service` through.
    pub fn opens(&self, service: ServicePort) -> bool {
        self.ports.is_some_and(|ports| service.is_open_in(self.protocol, ports))
    }

    /// The configured service ports this rule opens.
    pub fn opened<'p>(&self, services: &'p [ServicePort]) -> Vec<&'p ServicePort> {
        services.iter().filter(|s| self.opens(**s)).collect()
    }

    /// Whether the rule opens any of the configured service ports.
    pub fn opens_any(&self, services: &[ServicePort]) -> bool {
        services.iter().any(|s| self.opens(*s))
    }

    pub fn cidr(&self) -> Option<Cidr> {
        match self.source {
            Source::Cidr(c) => Some(c),
            _ => None,
        }
    }

    /// The breadth of the rule's source; a prefix list is as wide as its
    /// widest entry (and public when its entries are unknown).
    pub fn breadth<'p>(
        &self,
        prefix_list: impl Fn(&PrefixListId) -> Option<&'p [PrefixListEntry]>,
        networks: &Networks,
    ) -> Breadth {
        match self.source {
            Source::Cidr(c) => Breadth::of(c, networks),
            Source::Group(_) => Breadth::Group,
            Source::PrefixList(id) => match prefix_list(id) {
                Some(entries) => entries
                    .iter()
                    .map(|e| Breadth::of(e.cidr, networks))
                    .max()
                    .unwrap_or(Breadth::Private),
                None => Breadth::Public,
            },
        }
    }

    pub fn group_ref(&self) -> Option<&'s UserIdGroupPair> {
        match self.source {
            Source::Group(g) => Some(g),
            _ => None,
        }
    }

    /// Whether it admits only the ICMP messages path-MTU discovery needs.
    pub fn is_path_mtu(&self) -> bool {
        self.icmp.is_some_and(|i| i.is_path_mtu(self.protocol))
    }

    /// A reference to the rule's own group: members talk to each other.
    pub fn is_self_reference(&self, sg: &SecurityGroup) -> bool {
        self.group_ref()
            .is_some_and(|g| g.group_id.as_ref() == Some(&sg.group_id))
    }

    /// `tcp 22`, `udp 3389`, `all traffic`, `icmp`.
    pub fn traffic_label(&self) -> String {
        match (self.protocol, self.ports) {
            (Protocol::All, _) => "all traffic".to_string(),
            (p, Some(r)) if r.is_all() => format!("{} all ports", p.label()),
            (p, Some(r)) => format!("{} {}", p.label(), r),
            (p, None) => p.label().into_owned(),
        }
    }

    pub fn source_label(&self) -> String {
        match self.source {
            Source::Cidr(c) => c.to_string(),
            Source::PrefixList(id) => id.to_string(),
            Source::Group(g) => {
                let id = g.group_id.as_ref().map(|i| i.as_str()).unwrap_or("?");
                match (&g.user_id, &g.vpc_peering_connection_id) {
                    (_, Some(pcx)) => format!("{id} (via {pcx})"),
                    (Some(user), None) if Some(user) != self.owner => format!("{id} (account {user})"),
                    _ => id.to_string(),
                }
            }
        }
    }

    /// The rule as typed facts, for its findings' fingerprints. A group
    /// reference without an account names the rule's own account.
    pub fn key(&self) -> RuleKey {
        RuleKey {
            egress: self.egress,
            protocol: self.protocol,
            ports: self.ports,
            source: match self.source {
                Source::Cidr(c) => SourceKey::Cidr(c),
                Source::PrefixList(id) => SourceKey::PrefixList(id.clone()),
                Source::Group(g) => SourceKey::Group {
                    id: g.group_id.clone(),
                    account: g.user_id.clone().or_else(|| self.owner.cloned()),
                    peering: g.vpc_peering_connection_id.clone(),
                },
            },
        }
    }

    pub fn evidence(&self) -> Box<RuleEvidence> {
        Box::new(RuleEvidence {
            key: self.key(),
            direction: if self.egress { "egress" } else { "ingress" },
            protocol: self.protocol.label().as_ref().into(),
            ports: match (self.protocol, self.ports) {
                (Protocol::All, _) => "all".into(),
                (_, Some(r)) => compact_str::format_compact!("{r}"),
                (_, None) => CompactString::default(),
            },
            source: self.source_label().into(),
            description: self.description.map(Into::into),
            icmp: self.icmp.map(|i| (i.kind, i.code)),
        })
    }
}

/// Which permission list, and whose group.
#[derive(Clone, Copy)]
struct Side<'s> {
    egress: bool,
    owner: Option<&'s AccountId>,
    group: &'s SecurityGroupId,
}

fn rule<'s>(perm: &'s IpPermission, side: Side<'s>, source: Source<'s>, description: &'s Option<String>) -> Rule<'s> {
    Rule {
        protocol: perm.ip_protocol,
        ports: perm.ports(),
        source,
        description: description.as_deref().filter(|d| !d.trim().is_empty()),
        egress: side.egress,
        owner: side.owner,
        index: 0,
        group: side.group,
        icmp: Icmp::of(perm),
    }
}

fn flatten<'s>(perm: &'s IpPermission, side: Side<'s>) -> impl Iterator<Item = Rule<'s>> {
    let cidrs = perm
        .ip_ranges
        .iter()
        .map(move |r| rule(perm, side, Source::Cidr(r.cidr_ip), &r.description));
    let cidrs6 = perm
        .ipv6_ranges
        .iter()
        .map(move |r| rule(perm, side, Source::Cidr(r.cidr_ipv6), &r.description));
    let lists = perm
        .prefix_list_ids
        .iter()
        .map(move |p| rule(perm, side, Source::PrefixList(&p.prefix_list_id), &p.description));
    let groups = perm
        .user_id_group_pairs
        .iter()
        .map(move |g| rule(perm, side, Source::Group(g), &g.description));
    cidrs.chain(cidrs6).chain(lists).chain(groups)
}

/// Every inbound rule of a group, one source at a time.
pub fn ingress(sg: &SecurityGroup) -> impl Iterator<Item = Rule<'_>> {
    let side = Side {
        egress: false,
        owner: sg.owner_id.as_ref(),
        group: &sg.group_id,
    };
    numbered(sg.ip_permissions.iter().flat_map(move |p| flatten(p, side)))
}

fn numbered<'s>(rules: impl Iterator<Item = Rule<'s>>) -> impl Iterator<Item = Rule<'s>> {
    rules.enumerate().map(|(index, rule)| Rule { index, ..rule })
}

/// Every outbound rule of a group, one destination at a time.
pub fn egress(sg: &SecurityGroup) -> impl Iterator<Item = Rule<'_>> {
    let side = Side {
        egress: true,
        owner: sg.owner_id.as_ref(),
        group: &sg.group_id,
    };
    numbered(sg.ip_permissions_egress.iter().flat_map(move |p| flatten(p, side)))
}
