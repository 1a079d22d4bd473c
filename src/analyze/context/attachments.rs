//! Where each security group is attached, and how exposed each attachment
//! is: the resources behind the group's rules.

use std::collections::{HashMap, HashSet};

use crate::model::*;

use super::super::finding::Exposure;

/// What a security group is attached to.
#[derive(Clone, Copy, Debug)]
pub enum Target<'s> {
    /// A network interface, with the instance it is attached to if any.
    Interface {
        eni: &'s NetworkInterface,
        instance: Option<&'s Instance>,
    },
    /// An instance whose network interfaces are not in the snapshot.
    Instance(&'s Instance),
    LoadBalancer(&'s LoadBalancer),
    DbInstance(&'s DbInstance),
    DbCluster(&'s DbCluster),
}

impl<'s> Target<'s> {
    /// The id a person looks the resource up by.
    pub fn resource_id(&self) -> String {
        match self {
            Target::Interface { instance: Some(i), .. } | Target::Instance(i) => i.instance_id.to_string(),
            Target::Interface { eni, .. } => eni.network_interface_id.to_string(),
            Target::LoadBalancer(lb) => lb.load_balancer_name.clone(),
            Target::DbInstance(db) => db.db_instance_identifier.clone(),
            Target::DbCluster(c) => c.db_cluster_identifier.clone(),
        }
    }

    /// `instance`, `network interface (lambda)`, `application load balancer`, `RDS instance (mysql)`.
    pub fn kind(&self) -> String {
        match self {
            Target::Interface { instance: Some(_), .. } | Target::Instance(_) => "instance".to_string(),
            Target::Interface { eni, .. } => match eni.interface_type.as_deref() {
                Some(t) if t != "interface" => format!("network interface ({t})"),
                _ => "network interface".to_string(),
            },
            Target::LoadBalancer(lb) => format!("{} load balancer", lb.lb_type),
            Target::DbInstance(db) => format!("RDS instance ({})", db.engine),
            Target::DbCluster(c) => format!("RDS cluster ({})", c.engine),
        }
    }

    pub fn instance(&self) -> Option<&'s Instance> {
        match *self {
            Target::Interface { instance, .. } => instance,
            Target::Instance(i) => Some(i),
            _ => None,
        }
    }

    pub fn is_load_balancer(&self) -> bool {
        matches!(self, Target::LoadBalancer(_))
    }

    pub(super) fn tags(&self) -> &'s [Tag] {
        match *self {
            Target::Interface { instance: Some(i), .. } | Target::Instance(i) => &i.tags,
            Target::Interface { eni, .. } => &eni.tag_set,
            Target::LoadBalancer(lb) => &lb.tags,
            Target::DbInstance(db) => &db.tag_list,
            Target::DbCluster(c) => &c.tag_list,
        }
    }
}

/// One attachment of a group, and how exposed it is.
#[derive(Clone, Debug)]
pub struct Attachment<'s> {
    pub target: Target<'s>,
    pub exposure: Exposure,
    /// Why: `public IP 203.0.113.10 in subnet-… routed to igw-…`.
    pub why: String,
    pub public_ips: Vec<String>,
}

/// Every group's attachments in one region, and what they say about the
/// region's instances and load balancers.
#[derive(Default)]
pub(super) struct Attached<'s> {
    pub by_group: HashMap<&'s str, Vec<Attachment<'s>>>,
    /// The worst exposure of each instance's interfaces, and why.
    pub instance_exposure: HashMap<&'s str, (Exposure, String)>,
    /// Groups attached to a load balancer.
    pub load_balancer_groups: HashSet<&'s str>,
}

/// Attach every group of the region, resource kind by resource kind.
pub(super) fn attach<'s>(region: &'s RegionSnapshot, routing: &HashMap<&'s str, Routing>) -> Attached<'s> {
    let mut attached = Attached::default();
    let seen = attached.interfaces(region, routing);
    attached.instances_without_interfaces(region, routing, &seen);
    attached.load_balancers(region);
    attached.databases(region);
    attached
}

impl<'s> Attached<'s> {
    fn push(&mut self, group: &'s SecurityGroupId, attachment: Attachment<'s>) {
        self.by_group.entry(group.as_str()).or_default().push(attachment);
    }

    /// Network interfaces, the ground truth of attachment, except those that
    /// a load balancer or RDS owns when the owner itself is in the snapshot
    /// (it stands for them). Returns the instances seen through an interface.
    fn interfaces(&mut self, region: &'s RegionSnapshot, routing: &HashMap<&'s str, Routing>) -> HashSet<&'s str> {
        let instances: HashMap<&str, &'s Instance> =
            region.instances.iter().map(|i| (i.instance_id.as_str(), i)).collect();
        let lb_names: HashSet<&str> = region
            .load_balancers
            .iter()
            .map(|lb| lb.load_balancer_name.as_str())
            .collect();
        let db_groups: HashSet<&str> = region
            .db_instances
            .iter()
            .flat_map(|d| &d.vpc_security_groups)
            .chain(region.db_clusters.iter().flat_map(|c| &c.vpc_security_groups))
            .map(|m| m.vpc_security_group_id.as_str())
            .collect();
        let mut seen: HashSet<&str> = HashSet::new();
        for eni in &region.network_interfaces {
            let instance = eni
                .attachment
                .as_ref()
                .and_then(|a| a.instance_id.as_ref())
                .and_then(|id| instances.get(id.as_str()).copied());
            if let Some(i) = instance {
                seen.insert(i.instance_id.as_str());
            }
            let subnet = eni.subnet_id.as_ref();
            let v6: Vec<String> = eni.ipv6_addresses.iter().map(|a| a.ipv6_address.clone()).collect();
            let (exposure, why, public_ips) = address_exposure(
                subnet.and_then(|s| routing.get(s.as_str())),
                subnet,
                eni.public_ipv4s(),
                v6,
            );
            let owned_by_known_lb = eni.load_balancer_name().is_some_and(|n| lb_names.contains(n));
            let rds_owned = eni.is_rds_owned();
            for g in &eni.groups {
                if owned_by_known_lb || (rds_owned && db_groups.contains(g.group_id.as_str())) {
                    continue;
                }
                self.push(
                    &g.group_id,
                    Attachment {
                        target: Target::Interface { eni, instance },
                        exposure,
                        why: why.clone(),
                        public_ips: public_ips.clone(),
                    },
                );
                if let Some(i) = instance {
                    let entry = self
                        .instance_exposure
                        .entry(i.instance_id.as_str())
                        .or_insert((exposure, why.clone()));
                    if exposure > entry.0 {
                        *entry = (exposure, why.clone());
                    }
                }
            }
        }
        seen
    }

    /// Instances whose interfaces are not in the snapshot: the instance's own record.
    fn instances_without_interfaces(
        &mut self,
        region: &'s RegionSnapshot,
        routing: &HashMap<&'s str, Routing>,
        seen: &HashSet<&'s str>,
    ) {
        for i in region.instances.iter().filter(|i| !i.is_terminated()) {
            if seen.contains(i.instance_id.as_str()) {
                continue;
            }
            let v4: Vec<String> = i.public_ip_address.iter().cloned().collect();
            let subnet = i.subnet_id.as_ref();
            let (exposure, why, public_ips) =
                address_exposure(subnet.and_then(|s| routing.get(s.as_str())), subnet, v4, vec![]);
            for g in &i.security_groups {
                self.push(
                    &g.group_id,
                    Attachment {
                        target: Target::Instance(i),
                        exposure,
                        why: why.clone(),
                        public_ips: public_ips.clone(),
                    },
                );
            }
            self.instance_exposure.insert(i.instance_id.as_str(), (exposure, why));
        }
    }

    fn load_balancers(&mut self, region: &'s RegionSnapshot) {
        for lb in &region.load_balancers {
            let (exposure, why) = if lb.is_internet_facing() {
                (
                    Exposure::InternetExposed,
                    format!("internet-facing {} load balancer", lb.lb_type),
                )
            } else {
                (Exposure::Internal, format!("internal {} load balancer", lb.lb_type))
            };
            for g in &lb.security_groups {
                self.load_balancer_groups.insert(g.as_str());
                self.push(
                    g,
                    Attachment {
                        target: Target::LoadBalancer(lb),
                        exposure,
                        why: why.clone(),
                        public_ips: vec![],
                    },
                );
            }
        }
    }

    /// RDS instances and clusters, from RDS's own API (with or without their
    /// interfaces in the snapshot).
    fn databases(&mut self, region: &'s RegionSnapshot) {
        let public_members: HashSet<&str> = region
            .db_instances
            .iter()
            .filter(|d| d.publicly_accessible)
            .filter_map(|d| d.db_cluster_identifier.as_deref())
            .collect();
        for db in &region.db_instances {
            let (exposure, why) = if db.publicly_accessible {
                (
                    Exposure::InternetExposed,
                    "publicly accessible RDS instance".to_string(),
                )
            } else {
                (Exposure::Internal, "RDS instance, not publicly accessible".to_string())
            };
            for m in &db.vpc_security_groups {
                self.push(
                    &m.vpc_security_group_id,
                    Attachment {
                        target: Target::DbInstance(db),
                        exposure,
                        why: why.clone(),
                        public_ips: vec![],
                    },
                );
            }
        }
        for c in &region.db_clusters {
            let public =
                c.publicly_accessible.unwrap_or(false) || public_members.contains(c.db_cluster_identifier.as_str());
            let (exposure, why) = if public {
                (
                    Exposure::InternetExposed,
                    "RDS cluster with publicly accessible members".to_string(),
                )
            } else {
                (Exposure::Internal, "RDS cluster, not publicly accessible".to_string())
            };
            for m in &c.vpc_security_groups {
                self.push(
                    &m.vpc_security_group_id,
                    Attachment {
                        target: Target::DbCluster(c),
                        exposure,
                        why: why.clone(),
                        public_ips: vec![],
                    },
                );
            }
        }
    }
}

/// Routes of a subnet to internet gateways.
#[derive(Clone, Debug, Default)]
pub(super) struct Routing {
    pub v4_igw: Option<String>,
    pub v6_igw: Option<String>,
}

/// Exposure of a set of addresses in a subnet.
fn address_exposure(
    routing: Option<&Routing>,
    subnet: Option<&SubnetId>,
    v4: Vec<String>,
    v6: Vec<String>,
) -> (Exposure, String, Vec<String>) {
    let subnet_label = subnet
        .map(|s| s.to_string())
        .unwrap_or_else(|| "an unknown subnet".into());
    let mut internal_why = "no public address".to_string();
    if let Some(ip) = v4.first() {
        match routing {
            Some(Routing { v4_igw: Some(igw), .. }) => {
                return (
                    Exposure::InternetExposed,
                    format!("public IP {ip} in {subnet_label} routed to {igw}"),
                    v4.into_iter().chain(v6).collect(),
                );
            }
            None => {
                return (
                    Exposure::InternetExposed,
                    format!("public IP {ip}; {subnet_label} is not in the snapshot, so its route is assumed"),
                    v4.into_iter().chain(v6).collect(),
                );
            }
            Some(_) => {
                internal_why = format!("public IP {ip}, but {subnet_label} has no IPv4 route to an internet gateway")
            }
        }
    }
    if let Some(ip) = v6.first() {
        match routing {
            Some(Routing { v6_igw: Some(igw), .. }) => {
                return (
                    Exposure::InternetExposed,
                    format!("IPv6 address {ip} in {subnet_label} routed to {igw}"),
                    v4.into_iter().chain(v6).collect(),
                );
            }
            None => {
                return (
                    Exposure::InternetExposed,
                    format!("IPv6 address {ip}; {subnet_label} is not in the snapshot, so its route is assumed"),
                    v4.into_iter().chain(v6).collect(),
                );
            }
            Some(_) if v4.is_empty() => {
                internal_why = format!("IPv6 address {ip}, but {subnet_label} has no IPv6 route to an internet gateway")
            }
            Some(_) => {}
        }
    }
    (Exposure::Internal, internal_why, v4.into_iter().chain(v6).collect())
}

/// For every subnet: its route table (explicit association, else its own
/// VPC's main table) and whether that routes to an internet gateway.
pub(super) fn route_subnets(region: &RegionSnapshot) -> HashMap<&str, Routing> {
    let mut explicit: HashMap<&str, &RouteTable> = HashMap::new();
    let mut main: HashMap<&str, &RouteTable> = HashMap::new();
    for rt in &region.route_tables {
        for a in &rt.associations {
            if let Some(s) = &a.subnet_id {
                explicit.insert(s.as_str(), rt);
            }
            if a.main {
                main.insert(rt.vpc_id.as_str(), rt);
            }
        }
    }
    region
        .subnets
        .iter()
        .map(|s| {
            let table = explicit
                .get(s.subnet_id.as_str())
                .or_else(|| main.get(s.vpc_id.as_str()));
            let mut routing = Routing::default();
            for route in table.map(|t| t.routes.as_slice()).unwrap_or_default() {
                let Some(gw) = route.gateway_id.as_deref().filter(|g| g.starts_with("igw-")) else {
                    continue;
                };
                if route.state.as_deref() == Some("blackhole") {
                    continue;
                }
                if route.destination_cidr_block.is_some() {
                    routing.v4_igw.get_or_insert_with(|| gw.to_string());
                }
                if route.destination_ipv6_cidr_block.is_some() {
                    routing.v6_igw.get_or_insert_with(|| gw.to_string());
                }
            }
            (s.subnet_id.as_str(), routing)
        })
        .collect()
}

/// The ports served by load balancers and databases, when every attachment is one.
pub(super) fn service_ports(attachments: &[Attachment]) -> Option<Vec<ServicePort>> {
    if attachments.is_empty() {
        return None;
    }
    let mut ports = Vec::new();
    for a in attachments {
        match a.target {
            Target::LoadBalancer(lb) => {
                ports.extend(lb.listeners.iter().map(Listener::service_port));
            }
            Target::DbInstance(db) => ports.extend(db.port().map(ServicePort::tcp)),
            Target::DbCluster(c) => ports.extend(c.port().map(ServicePort::tcp)),
            _ => return None,
        }
    }
    ports.sort();
    ports.dedup();
    Some(ports)
}
