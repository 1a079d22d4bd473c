//! Where each security group is attached: the resources behind its rules.
//! How exposed each one is, is reachability's to say (`analyze::reach`).

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
    ClassicLoadBalancer(&'s ClassicLoadBalancer),
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
            Target::ClassicLoadBalancer(lb) => lb.load_balancer_name.clone(),
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
            Target::ClassicLoadBalancer(_) => "classic load balancer".to_string(),
            Target::DbInstance(db) => format!("RDS instance ({})", db.engine),
            Target::DbCluster(c) => format!("RDS cluster ({})", c.engine),
        }
    }

    /// An RDS instance or cluster.
    pub fn is_database(&self) -> bool {
        matches!(self, Target::DbInstance(_) | Target::DbCluster(_))
    }

    pub fn instance(&self) -> Option<&'s Instance> {
        match *self {
            Target::Interface { instance, .. } => instance,
            Target::Instance(i) => Some(i),
            _ => None,
        }
    }

    pub fn is_load_balancer(&self) -> bool {
        matches!(self, Target::LoadBalancer(_) | Target::ClassicLoadBalancer(_))
    }

    pub fn tags(&self) -> &'s [Tag] {
        match *self {
            Target::Interface { instance: Some(i), .. } | Target::Instance(i) => &i.tags,
            Target::Interface { eni, .. } => &eni.tag_set,
            Target::LoadBalancer(lb) => &lb.tags,
            Target::ClassicLoadBalancer(_) => &[],
            Target::DbInstance(db) => &db.tag_list,
            Target::DbCluster(c) => &c.tag_list,
        }
    }

    /// The subnets the resource has addresses in (a database's: its subnet group's).
    pub fn subnets(&self) -> Box<dyn Iterator<Item = &'s str> + 's> {
        match *self {
            Target::Interface { eni, .. } => Box::new(eni.subnet_id.iter().map(|s| s.as_str())),
            Target::Instance(i) => Box::new(i.subnet_id.iter().map(|s| s.as_str())),
            Target::LoadBalancer(lb) => Box::new(lb.subnet_ids().map(|s| s.as_str())),
            Target::ClassicLoadBalancer(lb) => Box::new(lb.subnets.iter().map(|s| s.as_str())),
            Target::DbInstance(db) => Box::new(
                db.db_subnet_group
                    .iter()
                    .flat_map(|g| g.subnets.iter().flatten())
                    .map(|s| s.subnet_identifier.as_str()),
            ),
            Target::DbCluster(_) => Box::new(std::iter::empty()),
        }
    }

    /// The public addresses of the resource itself (not of what is in front of it).
    pub fn public_ips(&self) -> Vec<String> {
        match self {
            Target::Interface { eni, .. } => {
                let mut ips = eni.public_ipv4s();
                ips.extend(eni.ipv6_addresses.iter().map(|a| a.ipv6_address.clone()));
                ips
            }
            Target::Instance(i) => i.public_ip_address.iter().chain(&i.ipv6_address).cloned().collect(),
            _ => vec![],
        }
    }
}

/// One attachment of a group, and how exposed it is.
#[derive(Clone, Debug)]
pub struct Attachment<'s> {
    pub target: Target<'s>,
    /// The worst verdict of the group's rules for this resource.
    pub exposure: Exposure,
    /// The worst verdict of the group's rules for this resource.
    pub reach: Option<super::super::reach::Reach<'s>>,
    pub public_ips: Vec<String>,
}

impl<'s> Attachment<'s> {
    /// The verdict in a line: `reachable (IPv4, direct)`, `blocked: …`.
    /// (The path is in the findings and the group's record.)
    pub fn why(&self) -> String {
        match &self.reach {
            Some(r) => r.summary(),
            None => "no rule admits traffic from the internet".into(),
        }
    }

    fn new(target: Target<'s>) -> Self {
        Attachment {
            target,
            exposure: Exposure::Internal,
            reach: None,
            public_ips: target.public_ips(),
        }
    }
}

/// Every group's attachments in one region, by group id.
pub(super) fn attach(region: &RegionSnapshot) -> HashMap<&str, Vec<Attachment<'_>>> {
    let mut attached = Attached::default();
    let seen = attached.interfaces(region);
    attached.instances_without_interfaces(region, &seen);
    attached.load_balancers(region);
    attached.databases(region);
    attached.by_group
}

#[derive(Default)]
struct Attached<'s> {
    by_group: HashMap<&'s str, Vec<Attachment<'s>>>,
}

impl<'s> Attached<'s> {
    fn push(&mut self, group: &'s SecurityGroupId, target: Target<'s>) {
        self.by_group
            .entry(group.as_str())
            .or_default()
            .push(Attachment::new(target));
    }

    /// Network interfaces, the ground truth of attachment, except those that
    /// a load balancer or RDS owns when the owner itself is in the snapshot
    /// (it stands for them). Returns the instances seen through an interface.
    fn interfaces(&mut self, region: &'s RegionSnapshot) -> HashSet<&'s str> {
        let instances: HashMap<&str, &'s Instance> =
            region.instances.iter().map(|i| (i.instance_id.as_str(), i)).collect();
        // ELB names its interfaces `ELB app/<name>/<id>` (ELBv2, which is
        // the end of the load balancer's ARN) or `ELB <name>` (Classic).
        let v2_owners: HashSet<&str> = region
            .load_balancers
            .iter()
            .filter_map(|lb| lb.load_balancer_arn.split_once(":loadbalancer/").map(|(_, tail)| tail))
            .collect();
        let classic_owners: HashSet<&str> = region
            .classic_load_balancers
            .iter()
            .flatten()
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
            let owned_by_known_lb = match eni.load_balancer_owner() {
                Some(LoadBalancerOwner::V2(tail)) => v2_owners.contains(tail),
                Some(LoadBalancerOwner::Classic(name)) => classic_owners.contains(name),
                None => false,
            };
            let rds_owned = eni.is_rds_owned();
            for g in &eni.groups {
                if owned_by_known_lb || (rds_owned && db_groups.contains(g.group_id.as_str())) {
                    continue;
                }
                self.push(&g.group_id, Target::Interface { eni, instance });
            }
        }
        seen
    }

    /// Instances whose interfaces are not in the snapshot: the instance's own record.
    fn instances_without_interfaces(&mut self, region: &'s RegionSnapshot, seen: &HashSet<&'s str>) {
        for i in region.instances.iter().filter(|i| !i.is_terminated()) {
            if seen.contains(i.instance_id.as_str()) {
                continue;
            }
            for g in &i.security_groups {
                self.push(&g.group_id, Target::Instance(i));
            }
        }
    }

    fn load_balancers(&mut self, region: &'s RegionSnapshot) {
        for lb in &region.load_balancers {
            for g in &lb.security_groups {
                self.push(g, Target::LoadBalancer(lb));
            }
        }
        for lb in region.classic_load_balancers.iter().flatten() {
            for g in &lb.security_groups {
                self.push(g, Target::ClassicLoadBalancer(lb));
            }
        }
    }

    /// RDS instances and clusters, from RDS's own API (with or without their
    /// interfaces in the snapshot).
    fn databases(&mut self, region: &'s RegionSnapshot) {
        for db in &region.db_instances {
            for m in &db.vpc_security_groups {
                self.push(&m.vpc_security_group_id, Target::DbInstance(db));
            }
        }
        for c in &region.db_clusters {
            for m in &c.vpc_security_groups {
                self.push(&m.vpc_security_group_id, Target::DbCluster(c));
            }
        }
    }
}

/// The ports a group's resources serve.
#[derive(Clone, Debug, PartialEq)]
pub enum Served {
    /// Every attachment is a load balancer or a database: their listeners'
    /// ports and the databases' ports.
    Ports(Vec<ServicePort>),
    /// Every attachment is one, but the ports of some are not known (their
    /// listeners were not collected, a database's port is not recorded):
    /// never "serves no ports".
    Unknown(String),
    /// Some attachment serves ports sgaudit cannot see (an instance, an
    /// interface), or the group is attached to nothing.
    NotKnowable,
}

/// The ports served by load balancers and databases, when every attachment is one.
pub(super) fn service_ports(attachments: &[Attachment], region: &RegionSnapshot) -> Served {
    if attachments.is_empty() {
        return Served::NotKnowable;
    }
    let listeners_missing = region.gap("DescribeListeners");
    let mut ports = Vec::new();
    for a in attachments {
        match a.target {
            Target::LoadBalancer(lb) if lb.listeners.is_empty() && listeners_missing.is_some() => {
                return Served::Unknown(format!("the listeners of {} were not collected", lb.load_balancer_name));
            }
            Target::DbInstance(db) if db.port().is_none() => {
                return Served::Unknown(format!("the port of {} is not recorded", db.db_instance_identifier));
            }
            Target::DbCluster(c) if c.port().is_none() => {
                return Served::Unknown(format!("the port of {} is not recorded", c.db_cluster_identifier));
            }
            Target::LoadBalancer(lb) => ports.extend(lb.listeners.iter().map(Listener::service_port)),
            Target::ClassicLoadBalancer(lb) => ports.extend(
                lb.listener_descriptions
                    .iter()
                    .map(|d| ServicePort::tcp(d.listener.load_balancer_port)),
            ),
            Target::DbInstance(db) => ports.extend(db.port().map(ServicePort::tcp)),
            Target::DbCluster(c) => ports.extend(c.port().map(ServicePort::tcp)),
            _ => return Served::NotKnowable,
        }
    }
    ports.sort();
    ports.dedup();
    Served::Ports(ports)
}
