//! Reachability from the internet: for a security group's rule and a
//! resource the group is attached to, whether traffic from the internet that
//! the rule admits gets there, and the path that proves it (docs/exposure.md).
//!
//! **Architecture invariant:** this is the only place that decides exposure.
//! The checks read its verdicts; they never look at routes, network ACLs,
//! addresses or load balancers themselves.
//!
//! A packet is *reachable* when every one of these admits it:
//! - the resource has an address of the packet's family: a public IPv4 (an
//!   auto-assigned address or an Elastic IP) or an IPv6 address;
//! - the subnet's route table (its explicit association, else the main
//!   table of the same VPC) sends the reply to the client to an internet
//!   gateway, or to an inspection endpoint that the gateway's edge table
//!   routes the subnet back through (`via inspection`);
//! - the subnet's network ACL admits the packet inbound and the reply
//!   outbound, to the client's ephemeral ports;
//! - a rule of the group admits it (the rule under question).
//!
//! Through an internet-facing load balancer a target is reachable on the
//! ports it forwards to (lb.rs indexes them, through.rs follows the path;
//! subnet.rs has a subnet's route back and ACL). A packet is *blocked* when
//! one of them stops it (the first, in that order, is named), and *unknown*
//! when a fact the verdict needs was not collected: never "no route", never
//! "internal".
//!
//! Everything is evaluated per client address, one address per piece of the
//! rule's source that the tables treat alike (atoms.rs), for IPv4 and IPv6
//! alike. Subnet-level verdicts are cached: a region's rules share few
//! (subnet, packet) pairs.

mod acl;
mod atoms;
mod lb;
mod path;
mod routes;
mod subnet;
mod through;

use std::cell::RefCell;
use std::collections::HashMap;
use std::net::IpAddr;

use crate::model::*;

use super::context::Target;
use super::rules::{self, Rule, Source};

pub use atoms::{covers_internet, has_internet};
pub use lb::{Balancers, Forward, Front};
pub use path::{Family, Hop, Reach, ReachRecord, Verdict, Via};

use acl::{Acl, Decision, EPHEMERAL};
use routes::{Lookup, Tables};

/// One kind of packet from the internet: a protocol other than `-1` (a rule
/// of all traffic is tried as TCP, UDP and ICMP), its ports, and the block
/// of clients it may come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Packet {
    pub protocol: Protocol,
    pub ports: Option<PortRange>,
    pub source: Cidr,
}

impl Packet {
    fn family(&self) -> Family {
        Family::of(&self.source)
    }

    /// This packet, on `ports` only (`None` when they share no port).
    fn on(self, ports: PortRange) -> Option<Packet> {
        match self.ports {
            None => Some(self),
            Some(p) if p.overlaps(ports) => Some(Packet {
                ports: Some(PortRange::new(p.from.max(ports.from), p.to.min(ports.to))),
                ..self
            }),
            Some(_) => None,
        }
    }
}

/// The packets a rule admits from `source`, on the service ports `only`
/// when given.
fn packets(rule: &Rule, only: Option<&[ServicePort]>, source: Cidr) -> Vec<Packet> {
    let protocols: &[Protocol] = match rule.protocol {
        Protocol::All => &[Protocol::Tcp, Protocol::Udp, Protocol::Icmp],
        Protocol::Tcp => &[Protocol::Tcp],
        Protocol::Udp => &[Protocol::Udp],
        Protocol::Icmp => &[Protocol::Icmp],
        Protocol::Icmpv6 => &[Protocol::Icmpv6],
        Protocol::Other(_) => std::slice::from_ref(&rule.protocol),
    };
    let mut out = Vec::new();
    for &protocol in protocols {
        let ports = protocol.has_ports().then(|| rule.ports.unwrap_or(PortRange::ALL));
        let packet = Packet {
            protocol,
            ports,
            source,
        };
        match only {
            None => out.push(packet),
            Some(services) => {
                for s in services
                    .iter()
                    .filter(|s| s.transport.passes(protocol) && protocol.has_ports())
                {
                    out.extend(packet.on(s.ports));
                }
            }
        }
    }
    out.sort_by_key(|p| (p.protocol, p.ports));
    out.dedup();
    out
}

/// A subnet's part of the verdict: route, network ACL in and out.
#[derive(Clone, Debug)]
struct SubnetPath<'s> {
    reach: Reach<'s>,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct SubnetKey<'s> {
    subnet: &'s str,
    vpc: Option<&'s str>,
    packet: Packet,
}

/// A region's network, indexed for reachability.
pub struct Network<'s> {
    region: &'s RegionSnapshot,
    subnets: HashMap<&'s str, &'s Subnet>,
    tables: Tables<'s>,
    acls: Vec<Acl<'s>>,
    acl_of_subnet: HashMap<&'s str, usize>,
    prefix_lists: HashMap<&'s str, &'s ManagedPrefixList>,
    /// The internet gateway attached to each VPC.
    gateway_of_vpc: HashMap<&'s str, &'s str>,
    /// Internet gateways and the VPCs they are attached to.
    gateway_vpcs: HashMap<&'s str, Vec<&'s str>>,
    groups: HashMap<&'s str, &'s SecurityGroup>,
    pub balancers: Balancers<'s>,
    /// Why route tables or network ACLs are missing, when they are.
    routes_missing: Option<String>,
    acls_missing: Option<String>,
    gateways_known: bool,
    cache: RefCell<HashMap<SubnetKey<'s>, Option<SubnetPath<'s>>>>,
    /// The reach of each load balancer's front door (by name and client
    /// range), computed once for all its targets.
    fronts: RefCell<HashMap<FrontKey<'s>, Option<Reach<'s>>>>,
}

type FrontKey<'s> = (&'s str, Option<Cidr>);

/// "not collected" for an operation that failed here.
fn not_collected(region: &RegionSnapshot, operation: &str, what: &str) -> Option<String> {
    region
        .gap(operation)
        .map(|g| format!("{what} not collected ({} {}: {})", g.service, g.operation, g.error))
}

impl<'s> Network<'s> {
    pub fn new(region: &'s RegionSnapshot) -> Self {
        let acls: Vec<Acl> = region.network_acls.iter().map(Acl::new).collect();
        let mut acl_of_subnet = HashMap::new();
        for (i, acl) in region.network_acls.iter().enumerate() {
            for a in &acl.associations {
                acl_of_subnet.insert(a.subnet_id.as_str(), i);
            }
        }
        let mut gateway_of_vpc = HashMap::new();
        let mut gateway_vpcs: HashMap<&str, Vec<&str>> = HashMap::new();
        for igw in &region.internet_gateways {
            for a in &igw.attachments {
                if a.state.as_deref().is_none_or(|s| s == "available" || s == "attached") {
                    gateway_of_vpc.insert(a.vpc_id.as_str(), igw.internet_gateway_id.as_str());
                    gateway_vpcs
                        .entry(igw.internet_gateway_id.as_str())
                        .or_default()
                        .push(a.vpc_id.as_str());
                }
            }
        }
        Network {
            region,
            subnets: region.subnets.iter().map(|s| (s.subnet_id.as_str(), s)).collect(),
            tables: Tables::new(region),
            acls,
            acl_of_subnet,
            prefix_lists: region
                .prefix_lists
                .iter()
                .map(|p| (p.prefix_list_id.as_str(), p))
                .collect(),
            gateway_of_vpc,
            gateway_vpcs,
            groups: region
                .security_groups
                .iter()
                .map(|g| (g.group_id.as_str(), g))
                .collect(),
            balancers: Balancers::new(region),
            routes_missing: not_collected(region, "DescribeRouteTables", "route tables"),
            acls_missing: not_collected(region, "DescribeNetworkAcls", "network ACLs"),
            gateways_known: region.gap("DescribeInternetGateways").is_none(),
            cache: RefCell::new(HashMap::new()),
            fronts: RefCell::new(HashMap::new()),
        }
    }

    /// The client blocks a rule's source stands for: its CIDR, its prefix
    /// list's entries; none for a group reference. `Err`: the entries of
    /// its prefix list were not read.
    fn sources(&self, rule: &Rule) -> Result<Vec<Cidr>, String> {
        match rule.source {
            Source::Cidr(c) => Ok(vec![c]),
            Source::PrefixList(id) => self
                .prefix_lists
                .get(id.as_str())
                .and_then(|p| p.entries.as_ref())
                .map(|entries| entries.iter().map(|e| e.cidr).collect())
                .ok_or_else(|| format!("the entries of prefix list {id} were not read")),
            Source::Group(_) => Ok(vec![]),
        }
    }

    /// Traffic admitted by `rule` (of group `sg`) to `target`, on the
    /// service ports `only` when given: `None` when the rule admits nothing
    /// from the internet (a private range, a group that is no load balancer).
    pub fn reach(
        &self,
        target: &Target<'s>,
        sg: &'s SecurityGroup,
        rule: &Rule<'s>,
        only: Option<&[ServicePort]>,
    ) -> Option<Reach<'s>> {
        let rule_hop = Hop::Rule {
            group: &sg.group_id,
            rule: *rule,
        };
        let direct = match rule.source {
            // Most rules: another group, or a private range. Nothing from the internet directly.
            Source::Group(_) => None,
            Source::Cidr(c) if !atoms::has_internet(c) => None,
            _ => match self.sources(rule) {
                Err(missing) => Some(Reach::unknown(
                    Family::Ipv4,
                    vec![Hop::Internet, rule_hop.clone()],
                    missing,
                )),
                Ok(sources) => sources
                    .iter()
                    .flat_map(|&s| packets(rule, only, s))
                    .map(|p| self.direct(target, p, &rule_hop))
                    .fold(None, Reach::worst),
            },
        };
        let (forwards, subnet) = match target {
            Target::Interface { eni, instance } => {
                let keys = instance
                    .iter()
                    .map(|i| i.instance_id.as_str())
                    .chain(eni.private_ip_address.as_deref())
                    .chain(
                        eni.private_ip_addresses
                            .iter()
                            .filter_map(|p| p.private_ip_address.as_deref()),
                    );
                (self.balancers.forwards_to(keys), eni.subnet_id.as_ref())
            }
            Target::Instance(i) => (
                self.balancers.forwards_to([i.instance_id.as_str()]),
                i.subnet_id.as_ref(),
            ),
            _ => (Vec::new(), None),
        };
        let interface_like = matches!(target, Target::Interface { .. } | Target::Instance(_));
        let through = if interface_like && (!forwards.is_empty() || !self.balancers.unknown_targets.is_empty()) {
            let endpoint = match target {
                Target::Interface { eni, instance } => Hop::Interface {
                    eni: &eni.network_interface_id,
                    instance: instance.map(|i| &i.instance_id),
                    address: eni.private_ip_address.as_deref(),
                },
                Target::Instance(i) => Hop::Note(format!(
                    "{} {}",
                    i.instance_id,
                    i.private_ip_address.as_deref().unwrap_or("")
                )),
                _ => unreachable!("interface-like targets only"),
            };
            self.through_balancers(&forwards, subnet, sg, rule, only, &rule_hop, endpoint)
        } else {
            None
        };
        Reach::worst(direct, through)
    }

    /// To the target's own address.
    fn direct(&self, target: &Target<'s>, packet: Packet, rule_hop: &Hop<'s>) -> Option<Reach<'s>> {
        atoms::has_internet(packet.source).then_some(())?;
        let family = packet.family();
        match *target {
            Target::Interface { eni, instance } => {
                let v4 = eni
                    .association
                    .as_ref()
                    .and_then(|a| a.public_ip.as_deref())
                    .or_else(|| {
                        eni.private_ip_addresses
                            .iter()
                            .filter_map(|p| p.association.as_ref()?.public_ip.as_deref())
                            .next()
                    });
                let v6 = eni.ipv6_addresses.first().map(|a| a.ipv6_address.as_str());
                let endpoint = |address| Hop::Interface {
                    eni: &eni.network_interface_id,
                    instance: instance.map(|i| &i.instance_id),
                    address,
                };
                self.to_address(
                    eni.subnet_id.as_ref(),
                    eni.vpc_id.as_ref(),
                    v4,
                    v6,
                    endpoint,
                    packet,
                    rule_hop,
                )
            }
            Target::Instance(i) => {
                let endpoint = |address: Option<&'s str>| {
                    Hop::Note(match address {
                        Some(a) => format!("{} {a}", i.instance_id),
                        None => i.instance_id.to_string(),
                    })
                };
                self.to_address(
                    i.subnet_id.as_ref(),
                    i.vpc_id.as_ref(),
                    i.public_ip_address.as_deref(),
                    i.ipv6_address.as_deref(),
                    endpoint,
                    packet,
                    rule_hop,
                )
            }
            Target::LoadBalancer(lb) => self.to_front(Front::V2(lb), packet, Some(rule_hop)),
            Target::ClassicLoadBalancer(lb) => self.to_front(Front::Classic(lb), packet, Some(rule_hop)),
            Target::DbInstance(db) => self.to_database(db, packet, rule_hop),
            Target::DbCluster(c) => {
                let members: Vec<&DbInstance> = self
                    .region
                    .db_instances
                    .iter()
                    .filter(|d| d.db_cluster_identifier.as_deref() == Some(c.db_cluster_identifier.as_str()))
                    .collect();
                if members.is_empty() {
                    let hop = Hop::Database {
                        kind: "RDS cluster",
                        id: &c.db_cluster_identifier,
                    };
                    return Some(if c.publicly_accessible == Some(true) {
                        Reach::unknown(
                            family,
                            vec![hop],
                            "no member instance of the cluster is in the snapshot".into(),
                        )
                    } else {
                        Reach::blocked(family, vec![hop], Hop::Note("not publicly accessible".into()))
                    });
                }
                members
                    .into_iter()
                    .map(|db| self.to_database(db, packet, rule_hop))
                    .fold(None, Reach::worst)
            }
        }
    }

    /// To an address of the packet's family, in `subnet`.
    #[allow(clippy::too_many_arguments)]
    fn to_address(
        &self,
        subnet: Option<&'s SubnetId>,
        vpc: Option<&'s VpcId>,
        v4: Option<&'s str>,
        v6: Option<&'s str>,
        endpoint: impl Fn(Option<&'s str>) -> Hop<'s>,
        packet: Packet,
        rule_hop: &Hop<'s>,
    ) -> Option<Reach<'s>> {
        let family = packet.family();
        let address = match family {
            Family::Ipv4 => v4,
            Family::Ipv6 => v6,
        };
        let Some(address) = address else {
            let why = match family {
                Family::Ipv4 => "no public IPv4 address",
                Family::Ipv6 => "no IPv6 address",
            };
            return Some(Reach::blocked(family, vec![endpoint(None)], Hop::Note(why.into())));
        };
        let Some(subnet) = subnet else {
            return Some(Reach::unknown(
                family,
                vec![endpoint(Some(address))],
                "its subnet is not recorded".into(),
            ));
        };
        let mut reach = self.subnet_path(subnet, vpc.map(|v| v.as_str()), packet)?.reach;
        reach.path.push(rule_hop.clone());
        reach.path.push(endpoint(Some(address)));
        Some(reach)
    }

    /// To a database: publicly accessible, on its port, in a subnet of its
    /// subnet group that the internet reaches.
    fn to_database(&self, db: &'s DbInstance, packet: Packet, rule_hop: &Hop<'s>) -> Option<Reach<'s>> {
        let family = packet.family();
        let hop = Hop::Database {
            kind: "RDS instance",
            id: &db.db_instance_identifier,
        };
        if !db.publicly_accessible {
            return Some(Reach::blocked(
                family,
                vec![hop],
                Hop::Note("not publicly accessible".into()),
            ));
        }
        if family == Family::Ipv6 && !db.is_dual_stack() {
            return Some(Reach::blocked(
                family,
                vec![hop],
                Hop::Note("no IPv6 address (IPv4 only)".into()),
            ));
        }
        let Some(port) = db.port() else {
            return Some(Reach::unknown(family, vec![hop], "its port is not recorded".into()));
        };
        let Some(on_port) = packet
            .on(PortRange::single(port))
            .filter(|p| p.protocol == Protocol::Tcp)
        else {
            return Some(Reach::blocked(
                family,
                vec![hop],
                Hop::Note(format!("it listens on tcp {port} only")),
            ));
        };
        let Some(subnets) = db.db_subnet_group.as_ref().and_then(|g| g.subnets.as_ref()) else {
            return Some(Reach::unknown(
                family,
                vec![hop],
                "the subnets of its DB subnet group were not collected".into(),
            ));
        };
        let vpc = db
            .db_subnet_group
            .as_ref()
            .and_then(|g| g.vpc_id.as_ref())
            .map(|v| v.as_str());
        let mut best = None;
        for s in subnets {
            let Some(sp) = self.subnet_path(&s.subnet_identifier, vpc, on_port) else {
                continue;
            };
            let mut reach = sp.reach;
            reach.path.push(rule_hop.clone());
            reach.path.push(hop.clone());
            best = Reach::worst(best, Some(reach));
        }
        best.or_else(|| {
            Some(Reach::unknown(
                family,
                vec![hop],
                "its DB subnet group has no subnet".into(),
            ))
        })
    }
}

#[cfg(test)]
mod tests;
