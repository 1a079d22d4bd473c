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
//! ports it forwards to (lb.rs). A packet is *blocked* when one of them
//! stops it (the first, in that order, is named), and *unknown* when a fact
//! the verdict needs was not collected: never "no route", never "internal".
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

    fn vpc_of_subnet(&self, subnet: &str) -> Option<&'s str> {
        self.subnets.get(subnet).map(|s| s.vpc_id.as_str())
    }

    /// The route and network ACL of `subnet` for `packet`: `None` when the
    /// packet's clients include no internet address.
    fn subnet_path(&self, subnet: &'s SubnetId, vpc: Option<&'s str>, packet: Packet) -> Option<SubnetPath<'s>> {
        // The subnet's own record says which VPC it is in; the resource's is
        // only a fallback for a subnet that is not in the snapshot.
        let vpc = self.vpc_of_subnet(subnet.as_str()).or(vpc);
        let key = SubnetKey {
            subnet: subnet.as_str(),
            vpc,
            packet,
        };
        if let Some(hit) = self.cache.borrow().get(&key) {
            return hit.clone();
        }
        let computed = self.evaluate_subnet(subnet, vpc, packet);
        self.cache.borrow_mut().insert(key, computed.clone());
        computed
    }

    fn evaluate_subnet(&self, subnet: &'s SubnetId, vpc: Option<&'s str>, packet: Packet) -> Option<SubnetPath<'s>> {
        let table = self.tables.of_subnet(subnet.as_str(), vpc);
        let acl = self.acl_of_subnet.get(subnet.as_str()).map(|&i| &self.acls[i]);
        let mut blocks: Vec<Cidr> = table.map(|t| routes::blocks(t, &self.prefix_lists)).unwrap_or_default();
        if let Some(acl) = acl {
            blocks.extend(acl.inbound.iter().chain(&acl.outbound).filter_map(|e| e.cidr()));
        }
        let clients = atoms::representatives(packet.source, &blocks);
        let mut best: Option<Reach> = None;
        for client in clients {
            let reach = self.one_client(subnet, vpc, table, acl, packet, client);
            let done = reach.verdict == Verdict::Reachable && reach.via == Some(Via::Direct);
            best = Reach::worst(best, Some(reach));
            if done {
                break;
            }
        }
        best.map(|reach| SubnetPath { reach })
    }

    /// The verdict for one client address: route of the reply, network ACL
    /// in, network ACL out.
    fn one_client(
        &self,
        subnet: &'s SubnetId,
        vpc: Option<&'s str>,
        table: Option<&'s RouteTable>,
        acl: Option<&Acl<'s>>,
        packet: Packet,
        client: IpAddr,
    ) -> Reach<'s> {
        let family = packet.family();
        let mut path = vec![Hop::Internet];
        let mut blocked: Option<Hop<'s>> = None;
        let mut missing: Vec<String> = Vec::new();
        let mut via = Via::Direct;
        match (&self.routes_missing, table) {
            (Some(why), _) => missing.push(why.clone()),
            (None, None) => missing.push(format!(
                "no route table of {} in the snapshot",
                vpc.map_or_else(|| format!("the VPC of {subnet}"), str::to_string)
            )),
            (None, Some(t)) => match routes::lookup(t, client, &self.prefix_lists) {
                Lookup::Unknown => missing.push(format!(
                    "{} routes to a prefix list whose entries were not read",
                    t.route_table_id
                )),
                Lookup::NoRoute => {
                    blocked = Some(Hop::Note(format!(
                        "no route to an internet gateway: {} has no route for {} clients",
                        t.route_table_id,
                        family.label()
                    )))
                }
                Lookup::Route { route, destination } => {
                    let hop = Hop::Route {
                        table: &t.route_table_id,
                        destination,
                        route,
                    };
                    match route.target() {
                        _ if route.is_blackhole() => blocked = Some(hop),
                        RouteTarget::InternetGateway(g) => {
                            let attached = self
                                .gateway_vpcs
                                .get(g)
                                .is_some_and(|v| vpc.is_some_and(|x| v.contains(&x)));
                            if self.gateways_known && !attached {
                                blocked = Some(Hop::Note(format!("{hop}: {g} is not attached to the VPC")));
                            } else {
                                path.push(Hop::Gateway(g));
                                path.push(hop);
                            }
                        }
                        RouteTarget::VpcEndpoint(_) => match self.edge_route(subnet, vpc) {
                            Ok((gateway, edge)) => {
                                via = Via::Inspection;
                                path.push(Hop::Gateway(gateway));
                                path.push(edge);
                                path.push(hop);
                            }
                            Err(why) => {
                                path.push(hop);
                                missing.push(why);
                            }
                        },
                        RouteTarget::EgressOnlyInternetGateway(_) => {
                            blocked = Some(Hop::Note(format!(
                                "{hop}: an egress-only internet gateway lets no connection in"
                            )))
                        }
                        RouteTarget::Unknown => missing.push(format!("the target of {hop} was not recorded")),
                        _ => blocked = Some(Hop::Note(format!("no route to an internet gateway: {hop}"))),
                    }
                }
            },
        }
        match (&self.acls_missing, acl) {
            (Some(why), _) => missing.push(why.clone()),
            (None, None) => missing.push(format!("no network ACL of {subnet} in the snapshot")),
            (None, Some(acl)) => {
                match acl::first_admitted(&acl.inbound, packet.protocol, packet.ports, client) {
                    Decision::Admitted { by, .. } => path.push(Hop::Acl {
                        acl: acl.id,
                        entry: Some(by),
                        outbound: false,
                    }),
                    Decision::Denied { by } => {
                        blocked.get_or_insert(Hop::Acl {
                            acl: acl.id,
                            entry: by,
                            outbound: false,
                        });
                    }
                }
                let reply = packet.protocol.has_ports().then_some(EPHEMERAL);
                match acl::first_admitted(&acl.outbound, packet.protocol, reply, client) {
                    Decision::Admitted { by, .. } => path.push(Hop::Acl {
                        acl: acl.id,
                        entry: Some(by),
                        outbound: true,
                    }),
                    Decision::Denied { by } => {
                        let deny = Hop::Acl {
                            acl: acl.id,
                            entry: by,
                            outbound: true,
                        };
                        blocked.get_or_insert(Hop::Note(format!("return traffic denied by {deny}")));
                    }
                }
            }
        }
        let verdict = if blocked.is_some() {
            Verdict::Blocked
        } else if !missing.is_empty() {
            Verdict::Unknown
        } else {
            Verdict::Reachable
        };
        Reach {
            verdict,
            family,
            via: (verdict == Verdict::Reachable).then_some(via),
            path,
            blocked_by: blocked,
            missing,
        }
    }

    /// The internet gateway's edge route back into an inspection endpoint,
    /// for a subnet whose default route goes to one.
    fn edge_route(&self, subnet: &'s SubnetId, vpc: Option<&'s str>) -> Result<(&'s str, Hop<'s>), String> {
        let gateway = vpc.and_then(|v| self.gateway_of_vpc.get(v).copied()).ok_or_else(|| {
            format!(
                "the internet gateway of {} is not in the snapshot",
                vpc.unwrap_or("the VPC")
            )
        })?;
        let asymmetric = || format!("{gateway} has no edge route to {subnet} through an inspection endpoint");
        let edge = self.tables.of_gateway(gateway).ok_or_else(asymmetric)?;
        let address = self
            .subnets
            .get(subnet.as_str())
            .and_then(|s| s.cidr_block)
            .map(|c| c.net().network())
            .ok_or_else(|| format!("the address range of {subnet} is not in the snapshot"))?;
        match routes::lookup(edge, address, &self.prefix_lists) {
            Lookup::Route { route, destination } if matches!(route.target(), RouteTarget::VpcEndpoint(_)) => Ok((
                gateway,
                Hop::EdgeRoute {
                    table: &edge.route_table_id,
                    destination,
                    route,
                },
            )),
            _ => Err(asymmetric()),
        }
    }

    /// The ports `front` forwards to any of `targets` (their instance ids and
    /// addresses); `None` when its targets are not known (then its listeners'
    /// ports are what it may forward).
    pub fn forwarded_to(&self, targets: &[Target<'s>], front: Front<'s>) -> Option<Vec<ServicePort>> {
        if matches!(front, Front::V2(_)) && self.region.target_groups.is_none() {
            return None;
        }
        let mut keys: Vec<&str> = Vec::new();
        for t in targets {
            match t {
                Target::Interface { eni, instance } => {
                    keys.extend(instance.iter().map(|i| i.instance_id.as_str()));
                    keys.extend(eni.private_ip_address.as_deref());
                }
                Target::Instance(i) => keys.push(i.instance_id.as_str()),
                _ => {}
            }
        }
        let mut ports: Vec<ServicePort> = self
            .balancers
            .forwards_to(keys)
            .into_iter()
            .filter(|f| f.front.key() == front.key())
            .map(|f| f.port)
            .collect();
        ports.sort();
        ports.dedup();
        Some(ports)
    }

    /// Whether the subnet's route table sends a default route of either
    /// family to an internet gateway.
    pub fn routes_to_internet(&self, subnet: &SubnetId) -> bool {
        let vpc = self.vpc_of_subnet(subnet.as_str());
        self.tables.of_subnet(subnet.as_str(), vpc).is_some_and(|t| {
            t.routes.iter().any(|r| {
                !r.is_blackhole()
                    && matches!(r.target(), RouteTarget::InternetGateway(_))
                    && r.destination_cidr_block
                        .or(r.destination_ipv6_cidr_block)
                        .is_some_and(|d| d.is_anywhere())
            })
        })
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

    /// To a load balancer's listeners, from the internet. `rule_hop`: the
    /// rule of its group under question; `None` to try every rule of its
    /// groups (or, for an NLB without groups, nothing but its subnets).
    fn to_front(&self, front: Front<'s>, packet: Packet, rule_hop: Option<&Hop<'s>>) -> Option<Reach<'s>> {
        atoms::has_internet(packet.source).then_some(())?;
        let family = packet.family();
        let hop = |listener: Option<(&'s str, u16)>| Hop::LoadBalancer {
            kind: front.kind(),
            name: front.name(),
            listener,
        };
        if !front.is_internet_facing() {
            return Some(Reach::blocked(
                family,
                vec![hop(None)],
                Hop::Note("an internal load balancer has no public address".into()),
            ));
        }
        let (v4, v6) = front.public_families();
        if (family == Family::Ipv4 && !v4) || (family == Family::Ipv6 && !v6) {
            let why = match family {
                Family::Ipv4 => "no public IPv4 address (dual-stack without public IPv4)",
                Family::Ipv6 => "no IPv6 address (IPv4 only)",
            };
            return Some(Reach::blocked(family, vec![hop(None)], Hop::Note(why.into())));
        }
        if let Front::V2(lb) = front {
            if let Some(g) = self.region.gap("DescribeListeners") {
                if lb.listeners.is_empty() {
                    return Some(Reach::unknown(
                        family,
                        vec![hop(None)],
                        format!("its listeners were not collected ({})", g.error),
                    ));
                }
            }
        }
        let listeners = front.listeners();
        let subnets = front.subnets();
        if subnets.is_empty() {
            return Some(Reach::unknown(
                family,
                vec![hop(None)],
                "its subnets are not recorded".into(),
            ));
        }
        let mut best: Option<Reach> = None;
        for (service, protocol) in &listeners {
            if !service.transport.passes(packet.protocol) {
                continue;
            }
            let Some(p) = packet.on(service.ports) else { continue };
            for &subnet in &subnets {
                let Some(sp) = self.subnet_path(subnet, front.vpc().map(|v| v.as_str()), p) else {
                    continue;
                };
                let mut reach = sp.reach;
                if let Some(r) = rule_hop {
                    reach.path.push(r.clone());
                }
                reach.path.push(hop(Some((protocol, service.ports.from))));
                best = Reach::worst(best, Some(reach));
            }
        }
        best.or_else(|| {
            let ports: Vec<String> = listeners.iter().map(|(s, _)| s.to_string()).collect();
            Some(Reach::blocked(
                family,
                vec![hop(None)],
                Hop::Note(format!(
                    "it listens on {} only",
                    if ports.is_empty() {
                        "no port".into()
                    } else {
                        ports.join(", ")
                    }
                )),
            ))
        })
    }

    /// Whether the internet reaches the front door of a load balancer at
    /// all: any rule of its groups from the internet, on a listener. For an
    /// NLB without groups, `clients` (the target's rule) decides who.
    fn front_door(&self, front: Front<'s>, clients: Option<Cidr>) -> Option<Reach<'s>> {
        let key = (front.key(), if front.groups().is_empty() { clients } else { None });
        if let Some(hit) = self.fronts.borrow().get(&key) {
            return hit.clone();
        }
        let reach = if front.groups().is_empty() {
            clients.and_then(|c| {
                front
                    .listeners()
                    .iter()
                    .map(|(s, _)| Packet {
                        protocol: if s.transport == Transport::Udp {
                            Protocol::Udp
                        } else {
                            Protocol::Tcp
                        },
                        ports: Some(s.ports),
                        source: c,
                    })
                    .map(|p| self.to_front(front, p, None))
                    .fold(None, Reach::worst)
            })
        } else {
            let mut best = None;
            for g in front.groups() {
                let Some(sg) = self.groups.get(g.as_str()) else {
                    best = Reach::worst(
                        best,
                        Some(Reach::unknown(
                            Family::Ipv4,
                            vec![Hop::Internet],
                            format!("{g}, a group of {}, is not in the snapshot", front.name()),
                        )),
                    );
                    continue;
                };
                for rule in rules::ingress(sg) {
                    let hop = Hop::Rule {
                        group: &sg.group_id,
                        rule,
                    };
                    let sources = match self.sources(&rule) {
                        Ok(s) => s,
                        Err(missing) => {
                            best = Reach::worst(best, Some(Reach::unknown(Family::Ipv4, vec![Hop::Internet], missing)));
                            continue;
                        }
                    };
                    for s in sources {
                        for p in packets(&rule, None, s) {
                            best = Reach::worst(best, self.to_front(front, p, Some(&hop)));
                        }
                    }
                }
            }
            best
        };
        self.fronts.borrow_mut().insert(key, reach.clone());
        reach
    }

    /// Through the internet-facing load balancers that forward to a target
    /// (known by its instance id or addresses), when `rule` admits them.
    #[allow(clippy::too_many_arguments)]
    fn through_balancers(
        &self,
        forwards: &[Forward<'s>],
        subnet: Option<&'s SubnetId>,
        sg: &'s SecurityGroup,
        rule: &Rule<'s>,
        only: Option<&[ServicePort]>,
        rule_hop: &Hop<'s>,
        endpoint: Hop<'s>,
    ) -> Option<Reach<'s>> {
        let mut best: Option<Reach> = None;
        for f in forwards.iter().filter(|f| f.front.is_internet_facing()) {
            if !rule.opens(f.port) || only.is_some_and(|o| !o.iter().any(|s| s.ports.overlaps(f.port.ports))) {
                continue;
            }
            let Some(clients) = self.admits_front(rule, f.front) else {
                continue;
            };
            let Some(door) = self.front_door(f.front, clients.first().copied()) else {
                continue;
            };
            let mut reach = door;
            reach.via = (reach.verdict == Verdict::Reachable).then_some(Via::LoadBalancer);
            reach.path.push(Hop::TargetGroup {
                name: f.target_group.unwrap_or("instances"),
                protocol: if f.port.transport == Transport::Udp {
                    Protocol::Udp
                } else {
                    Protocol::Tcp
                },
                port: f.port.ports.from,
            });
            // The target's subnet ACL, for what arrives from the load
            // balancer (its nodes, or the clients through an NLB).
            if let Some(blocked) = self.target_acl(subnet, f, &clients) {
                reach.verdict = reach.verdict.min(blocked.verdict);
                reach.via = (reach.verdict == Verdict::Reachable).then_some(Via::LoadBalancer);
                reach.path.extend(blocked.path);
                if reach.blocked_by.is_none() {
                    reach.blocked_by = blocked.blocked_by;
                }
                reach.missing.extend(blocked.missing);
            }
            reach.path.push(rule_hop.clone());
            reach.path.push(endpoint.clone());
            best = Reach::worst(best, Some(reach));
        }
        if best.as_ref().is_none_or(|r| r.verdict != Verdict::Reachable) {
            if let Some(why) = self.balancers.unknown_targets.first() {
                if self.could_admit_a_balancer(sg, rule) {
                    best = Reach::worst(
                        best,
                        Some(Reach::unknown(
                            Family::Ipv4,
                            vec![Hop::Internet, rule_hop.clone()],
                            why.clone(),
                        )),
                    );
                }
            }
        }
        best
    }

    /// Whether `rule` admits what `front` sends its targets: the clients'
    /// addresses for an NLB (returned, for its ACL check), its group or the
    /// addresses of its subnets otherwise (the subnets' blocks returned).
    fn admits_front(&self, rule: &Rule, front: Front<'s>) -> Option<Vec<Cidr>> {
        if front.preserves_client() {
            let sources = self.sources(rule).ok()?;
            let public: Vec<Cidr> = sources.into_iter().filter(|s| atoms::has_internet(*s)).collect();
            return (!public.is_empty()).then_some(public);
        }
        let nodes: Vec<Cidr> = front
            .subnets()
            .iter()
            .filter_map(|s| self.subnets.get(s.as_str())?.cidr_block)
            .collect();
        let admits = match rule.source {
            Source::Group(pair) => pair
                .group_id
                .as_ref()
                .is_some_and(|g| front.groups().iter().any(|fg| fg == g)),
            Source::Cidr(c) => nodes.iter().any(|n| c.contains(n) || n.contains(&c)),
            Source::PrefixList(_) => self
                .sources(rule)
                .ok()?
                .iter()
                .any(|c| nodes.iter().any(|n| c.contains(n) || n.contains(c))),
        };
        admits.then_some(nodes)
    }

    /// The target subnet's network ACL for traffic from `from` (the load
    /// balancer's nodes or the clients) on the forwarded port, and the reply.
    fn target_acl(&self, subnet: Option<&'s SubnetId>, f: &Forward<'s>, from: &[Cidr]) -> Option<Reach<'s>> {
        let family = Family::Ipv4;
        let Some(subnet) = subnet else {
            return Some(Reach::unknown(
                family,
                vec![],
                "the target's subnet is not recorded".into(),
            ));
        };
        if let Some(why) = &self.acls_missing {
            return Some(Reach::unknown(family, vec![], why.clone()));
        }
        let Some(acl) = self.acl_of_subnet.get(subnet.as_str()).map(|&i| &self.acls[i]) else {
            return Some(Reach::unknown(
                family,
                vec![],
                format!("no network ACL of {subnet} in the snapshot"),
            ));
        };
        let protocol = if f.port.transport == Transport::Udp {
            Protocol::Udp
        } else {
            Protocol::Tcp
        };
        let mut best: Option<Reach> = None;
        for block in from {
            let family = Family::of(block);
            let addr = block.net().network();
            let mut path = Vec::new();
            let mut blocked = None;
            match acl::first_admitted(&acl.inbound, protocol, Some(f.port.ports), addr) {
                Decision::Admitted { by, .. } => path.push(Hop::Acl {
                    acl: acl.id,
                    entry: Some(by),
                    outbound: false,
                }),
                Decision::Denied { by } => {
                    blocked = Some(Hop::Acl {
                        acl: acl.id,
                        entry: by,
                        outbound: false,
                    })
                }
            }
            match acl::first_admitted(&acl.outbound, protocol, Some(EPHEMERAL), addr) {
                Decision::Admitted { by, .. } => path.push(Hop::Acl {
                    acl: acl.id,
                    entry: Some(by),
                    outbound: true,
                }),
                Decision::Denied { by } => {
                    let deny = Hop::Acl {
                        acl: acl.id,
                        entry: by,
                        outbound: true,
                    };
                    blocked.get_or_insert(Hop::Note(format!("return traffic denied by {deny}")));
                }
            }
            let reach = match blocked {
                Some(by) => Reach::blocked(family, path, by),
                None => Reach {
                    verdict: Verdict::Reachable,
                    family,
                    via: Some(Via::LoadBalancer),
                    path,
                    blocked_by: None,
                    missing: vec![],
                },
            };
            best = Reach::worst(best, Some(reach));
        }
        best
    }

    /// Whether a rule could admit a load balancer whose targets are not
    /// known: a reference to a load balancer's group, or a range that holds
    /// addresses of the group's VPC (where the nodes are) or the internet.
    fn could_admit_a_balancer(&self, sg: &SecurityGroup, rule: &Rule) -> bool {
        match rule.source {
            Source::Group(pair) => pair
                .group_id
                .as_ref()
                .is_some_and(|g| self.balancers.is_load_balancer_group(g.as_str())),
            Source::Cidr(c) => {
                atoms::has_internet(c)
                    || self
                        .subnets
                        .values()
                        .filter(|s| sg.vpc_id.as_ref() == Some(&s.vpc_id))
                        .filter_map(|s| s.cidr_block)
                        .any(|n| c.contains(&n) || n.contains(&c))
            }
            Source::PrefixList(_) => true,
        }
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
