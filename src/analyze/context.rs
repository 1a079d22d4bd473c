//! What the checks see: one account-region of the snapshot, indexed, with
//! every security group's attachments and exposure worked out once.
//!
//! Exposure is decided here and only here (DESIGN.md, "Exposure model"):
//! - an ENI is internet-exposed when it has a public IPv4 (auto-assigned or
//!   Elastic) and its subnet routes IPv4 to an internet gateway, or an IPv6
//!   address and its subnet routes IPv6 to one. The subnet's route table is
//!   its explicit association, else the main route table **of its own VPC**;
//! - a load balancer is internet-exposed when its scheme is `internet-facing`;
//! - an RDS instance or cluster when it is `PubliclyAccessible`;
//! - anything else attached is internal; a group attached to nothing is
//!   unattached.

use std::collections::{HashMap, HashSet};

use crate::config::Config;
use crate::model::*;

use super::finding::Exposure;
use super::rules::{self, Rule, Source};

/// Facts that span the whole organization.
pub struct OrgIndex<'s> {
    /// Group ids referenced by a rule of some other group, anywhere.
    referenced: HashSet<&'s str>,
    /// Every group id in the snapshot.
    all_groups: HashSet<&'s str>,
    /// Collected regions, by account and region.
    collected: HashSet<(&'s str, &'s str)>,
}

impl<'s> OrgIndex<'s> {
    pub fn new(snapshot: &'s Snapshot) -> Self {
        let mut referenced = HashSet::new();
        let mut all_groups = HashSet::new();
        let mut collected = HashSet::new();
        for account in snapshot.accounts.iter().filter(|a| a.status.is_ok()) {
            for region in account.regions.iter().filter(|r| r.status.is_ok()) {
                collected.insert((account.account_id.as_str(), region.region.as_str()));
                for sg in &region.security_groups {
                    all_groups.insert(sg.group_id.as_str());
                    for rule in rules::ingress(sg).chain(rules::egress(sg)) {
                        if let Some(id) = rule.group_ref().and_then(|g| g.group_id.as_ref()) {
                            if *id != sg.group_id {
                                referenced.insert(id.as_str());
                            }
                        }
                    }
                }
            }
        }
        OrgIndex {
            referenced,
            all_groups,
            collected,
        }
    }

    /// Whether another group's rule names this group as its source or destination.
    pub fn is_referenced(&self, group: &SecurityGroupId) -> bool {
        self.referenced.contains(group.as_str())
    }

    /// Whether a group exists anywhere in the snapshot.
    pub fn group_exists(&self, group: &str) -> bool {
        self.all_groups.contains(group)
    }

    /// Whether the given account-region was collected, so that the absence of
    /// a group there means it does not exist.
    pub fn was_collected(&self, account: &str, region: &str) -> bool {
        self.collected.contains(&(account, region))
    }
}

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

    fn tags(&self) -> &'s [Tag] {
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

/// A security group with everything the checks ask about it.
pub struct Group<'s> {
    pub sg: &'s SecurityGroup,
    pub attachments: Vec<Attachment<'s>>,
    /// The worst exposure of its attachments.
    pub exposure: Exposure,
    /// Attached to a critical resource, tagged critical, or in a critical account.
    pub critical: bool,
    /// When every attachment is a load balancer or a database: the ports
    /// they serve (listeners, DB ports). `None` otherwise.
    pub service_ports: Option<Vec<ServicePort>>,
    /// Attached only to load balancers.
    pub load_balancer_only: bool,
}

impl<'s> Group<'s> {
    pub fn id(&self) -> &'s SecurityGroupId {
        &self.sg.group_id
    }

    pub fn is_attached(&self) -> bool {
        !self.attachments.is_empty()
    }

    /// The resource ids at risk, sorted and unique.
    pub fn resource_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.attachments.iter().map(|a| a.target.resource_id()).collect();
        ids.sort();
        ids.dedup();
        ids
    }

    /// `web-sg (sg-…)`
    pub fn label(&self) -> String {
        format!("{} ({})", self.sg.group_name, self.sg.group_id)
    }

    /// Whether `rule` only opens ports that this group's load balancers
    /// listen on: the intended front door, not an exposure.
    pub fn rule_serves_listeners(&self, rule: &Rule) -> bool {
        if !self.load_balancer_only {
            return false;
        }
        let (Some(listeners), Some(ports)) = (&self.service_ports, rule.ports) else {
            return false;
        };
        if rule.protocol == Protocol::All || ports.width() > 1024 {
            return false;
        }
        (ports.from..=ports.to).all(|p| listeners.iter().any(|l| l.admits(rule.protocol, p)))
    }
}

/// Routes of a subnet to internet gateways.
#[derive(Clone, Debug, Default)]
struct Routing {
    v4_igw: Option<String>,
    v6_igw: Option<String>,
}

/// One account-region, indexed for the checks.
pub struct RegionCtx<'s> {
    pub config: &'s Config,
    pub org: &'s OrgIndex<'s>,
    pub account: &'s AccountSnapshot,
    pub region: &'s RegionSnapshot,
    pub groups: Vec<Group<'s>>,
    group_index: HashMap<&'s str, usize>,
    vpcs: HashMap<&'s str, &'s Vpc>,
    subnet_routing: HashMap<&'s str, Routing>,
    prefix_lists: HashMap<&'s str, &'s ManagedPrefixList>,
    /// Group indexes of each instance (through its interfaces).
    instance_groups: HashMap<&'s str, Vec<usize>>,
    instance_exposure: HashMap<&'s str, (Exposure, String)>,
    ssm_managed: HashSet<&'s str>,
    /// Groups attached to a load balancer.
    load_balancer_groups: HashSet<&'s str>,
}

impl<'s> RegionCtx<'s> {
    pub fn new(
        config: &'s Config,
        org: &'s OrgIndex<'s>,
        account: &'s AccountSnapshot,
        region: &'s RegionSnapshot,
    ) -> Self {
        let vpcs = region.vpcs.iter().map(|v| (v.vpc_id.as_str(), v)).collect();
        let subnet_routing = route_subnets(region);
        let prefix_lists = region
            .prefix_lists
            .iter()
            .map(|p| (p.prefix_list_id.as_str(), p))
            .collect();
        let ssm_managed = region
            .instance_information_list
            .iter()
            .map(|i| i.instance_id.as_str())
            .collect();
        let mut ctx = RegionCtx {
            config,
            org,
            account,
            region,
            groups: Vec::with_capacity(region.security_groups.len()),
            group_index: HashMap::with_capacity(region.security_groups.len()),
            vpcs,
            subnet_routing,
            prefix_lists,
            instance_groups: HashMap::new(),
            instance_exposure: HashMap::new(),
            ssm_managed,
            load_balancer_groups: HashSet::new(),
        };
        ctx.build_groups();
        ctx
    }

    pub fn account_id(&self) -> &'s AccountId {
        &self.account.account_id
    }

    pub fn region_name(&self) -> &'s Region {
        &self.region.region
    }

    pub fn group(&self, id: &str) -> Option<&Group<'s>> {
        self.group_index.get(id).map(|&i| &self.groups[i])
    }

    pub fn vpc(&self, id: &VpcId) -> Option<&'s Vpc> {
        self.vpcs.get(id.as_str()).copied()
    }

    pub fn prefix_list(&self, id: &PrefixListId) -> Option<&'s ManagedPrefixList> {
        self.prefix_lists.get(id.as_str()).copied()
    }

    pub fn is_load_balancer_group(&self, id: &SecurityGroupId) -> bool {
        self.load_balancer_groups.contains(id.as_str())
    }

    /// Whether Systems Manager data was collected for this region.
    pub fn ssm_known(&self) -> bool {
        !self.region.has_gap(Service::Ssm)
    }

    pub fn is_ssm_managed(&self, instance: &InstanceId) -> bool {
        self.ssm_managed.contains(instance.as_str())
    }

    /// The groups of an instance, through its interfaces.
    pub fn instance_groups(&self, instance: &InstanceId) -> impl Iterator<Item = &Group<'s>> {
        self.instance_groups
            .get(instance.as_str())
            .into_iter()
            .flatten()
            .map(|&i| &self.groups[i])
    }

    /// The worst exposure of an instance's interfaces, and why.
    pub fn instance_exposure(&self, instance: &InstanceId) -> (Exposure, &str) {
        self.instance_exposure
            .get(instance.as_str())
            .map(|(e, w)| (*e, w.as_str()))
            .unwrap_or((Exposure::Internal, "no network interface in the snapshot"))
    }

    /// Whether a resource with these tags is critical by configuration.
    pub fn is_critical(&self, tags: &[Tag]) -> bool {
        self.config.critical.accounts.contains(&self.account.account_id)
            || self.config.critical.tags.iter().any(|m| m.matches(tags))
    }

    /// Whether the rule's source is every address: `0.0.0.0/0`, `::/0`, or a
    /// prefix list containing one of them.
    pub fn is_anywhere(&self, rule: &Rule) -> bool {
        match rule.source {
            Source::Cidr(c) => c.is_anywhere(),
            Source::PrefixList(id) => self.prefix_list_cidrs(id).any(|c| c.is_anywhere()),
            Source::Group(_) => false,
        }
    }

    /// Whether the rule's "anywhere" is `::/0` rather than `0.0.0.0/0`.
    pub fn is_ipv6_rule(&self, rule: &Rule) -> bool {
        match rule.source {
            Source::Cidr(c) => c.is_ipv6(),
            Source::PrefixList(id) => {
                self.prefix_list_cidrs(id).any(|c| c.is_anywhere() && c.is_ipv6())
                    && !self.prefix_list_cidrs(id).any(|c| c.is_anywhere() && !c.is_ipv6())
            }
            Source::Group(_) => false,
        }
    }

    /// The CIDRs of a prefix list, when its entries are in the snapshot.
    pub fn prefix_list_cidrs(&self, id: &PrefixListId) -> impl Iterator<Item = Cidr> + '_ {
        self.prefix_list(id)
            .and_then(|p| p.entries.as_ref())
            .into_iter()
            .flatten()
            .map(|e| e.cidr)
    }

    /// Whether the subnet's route table sends IPv4 or IPv6 traffic to an internet gateway.
    pub fn subnet_routes_to_internet(&self, subnet: &SubnetId) -> bool {
        self.subnet_routing
            .get(subnet.as_str())
            .is_some_and(|r| r.v4_igw.is_some() || r.v6_igw.is_some())
    }

    fn routing(&self, subnet: Option<&SubnetId>) -> Option<&Routing> {
        subnet.and_then(|s| self.subnet_routing.get(s.as_str()))
    }

    fn interface_exposure(&self, eni: &NetworkInterface) -> (Exposure, String, Vec<String>) {
        let v4 = eni.public_ipv4s();
        let v6: Vec<String> = eni.ipv6_addresses.iter().map(|a| a.ipv6_address.clone()).collect();
        let subnet = eni.subnet_id.as_ref();
        address_exposure(self.routing(subnet), subnet, v4, v6)
    }

    fn build_groups(&mut self) {
        let region = self.region;
        let mut attachments: HashMap<&'s str, Vec<Attachment<'s>>> = HashMap::new();
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
        let mut instances_seen: HashSet<&str> = HashSet::new();

        for eni in &region.network_interfaces {
            let instance = eni
                .attachment
                .as_ref()
                .and_then(|a| a.instance_id.as_ref())
                .and_then(|id| instances.get(id.as_str()).copied());
            if let Some(i) = instance {
                instances_seen.insert(i.instance_id.as_str());
            }
            let (exposure, why, public_ips) = self.interface_exposure(eni);
            // Interfaces that a load balancer or RDS owns are represented by
            // the load balancer or database itself, when we have it.
            let owner_lb = eni
                .description
                .as_deref()
                .and_then(|d| d.strip_prefix("ELB "))
                .map(|d| d.split('/').nth(1).unwrap_or(d));
            let owned_by_known_lb = owner_lb.is_some_and(|n| lb_names.contains(n));
            let rds_owned = eni.description.as_deref() == Some("RDSNetworkInterface");
            for g in &eni.groups {
                if owned_by_known_lb || (rds_owned && db_groups.contains(g.group_id.as_str())) {
                    continue;
                }
                attachments.entry(g.group_id.as_str()).or_default().push(Attachment {
                    target: Target::Interface { eni, instance },
                    exposure,
                    why: why.clone(),
                    public_ips: public_ips.clone(),
                });
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

        // Instances whose interfaces are not in the snapshot: use the
        // instance's own record.
        for i in region.instances.iter().filter(|i| !i.is_terminated()) {
            if instances_seen.contains(i.instance_id.as_str()) {
                continue;
            }
            let v4: Vec<String> = i.public_ip_address.iter().cloned().collect();
            let subnet = i.subnet_id.as_ref();
            let (exposure, why, public_ips) = address_exposure(self.routing(subnet), subnet, v4, vec![]);
            for g in &i.security_groups {
                attachments.entry(g.group_id.as_str()).or_default().push(Attachment {
                    target: Target::Instance(i),
                    exposure,
                    why: why.clone(),
                    public_ips: public_ips.clone(),
                });
            }
            self.instance_exposure.insert(i.instance_id.as_str(), (exposure, why));
        }

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
                attachments.entry(g.as_str()).or_default().push(Attachment {
                    target: Target::LoadBalancer(lb),
                    exposure,
                    why: why.clone(),
                    public_ips: vec![],
                });
            }
        }

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
                attachments
                    .entry(m.vpc_security_group_id.as_str())
                    .or_default()
                    .push(Attachment {
                        target: Target::DbInstance(db),
                        exposure,
                        why: why.clone(),
                        public_ips: vec![],
                    });
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
                attachments
                    .entry(m.vpc_security_group_id.as_str())
                    .or_default()
                    .push(Attachment {
                        target: Target::DbCluster(c),
                        exposure,
                        why: why.clone(),
                        public_ips: vec![],
                    });
            }
        }

        for (index, sg) in region.security_groups.iter().enumerate() {
            let attachments = attachments.remove(sg.group_id.as_str()).unwrap_or_default();
            let exposure = attachments
                .iter()
                .map(|a| a.exposure)
                .max()
                .unwrap_or(Exposure::Unattached);
            let critical = self.is_critical(&sg.tags) || attachments.iter().any(|a| self.is_critical(a.target.tags()));
            let service_ports = service_ports(&attachments);
            let load_balancer_only = !attachments.is_empty() && attachments.iter().all(|a| a.target.is_load_balancer());
            for a in &attachments {
                if let Some(i) = a.target.instance() {
                    let list = self.instance_groups.entry(i.instance_id.as_str()).or_default();
                    if !list.contains(&index) {
                        list.push(index);
                    }
                }
            }
            self.group_index.insert(sg.group_id.as_str(), index);
            self.groups.push(Group {
                sg,
                attachments,
                exposure,
                critical,
                service_ports,
                load_balancer_only,
            });
        }
    }
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
fn route_subnets(region: &RegionSnapshot) -> HashMap<&str, Routing> {
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
fn service_ports(attachments: &[Attachment]) -> Option<Vec<ServicePort>> {
    if attachments.is_empty() {
        return None;
    }
    let mut ports = Vec::new();
    for a in attachments {
        match a.target {
            Target::LoadBalancer(lb) => {
                for l in &lb.listeners {
                    let transport = match l.protocol.to_ascii_uppercase().as_str() {
                        "UDP" => Transport::Udp,
                        "TCP_UDP" => Transport::Any,
                        "GENEVE" => Transport::Udp,
                        _ => Transport::Tcp,
                    };
                    ports.push(ServicePort {
                        ports: PortRange::single(l.port),
                        transport,
                    });
                }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::testing::Fx;

    fn exposures(fx: &Fx) -> Vec<(String, Exposure, String)> {
        let org = OrgIndex::new(&fx.snapshot);
        let account = &fx.snapshot.accounts[0];
        let ctx = RegionCtx::new(&fx.config, &org, account, &account.regions[0]);
        ctx.groups
            .iter()
            .map(|g| {
                let why = g
                    .attachments
                    .iter()
                    .map(|a| a.why.clone())
                    .collect::<Vec<_>>()
                    .join("; ");
                (g.id().to_string(), g.exposure, why)
            })
            .collect()
    }

    #[test]
    fn exposure_follows_addresses_routes_and_fronts() {
        let mut fx = Fx::new();
        for sg in [
            "sg-pub",
            "sg-priv-ip",
            "sg-noip",
            "sg-alb",
            "sg-int",
            "sg-rds",
            "sg-none",
            "sg-v6",
            "sg-iso",
        ] {
            fx.sg(sg, &[]);
        }
        fx.instance("i-pub", "subnet-public", &["sg-pub"], Some("203.0.113.1"));
        // A public IP in a subnet whose own table has no internet route.
        fx.instance("i-priv", "subnet-private", &["sg-priv-ip"], Some("203.0.113.2"));
        fx.instance("i-noip", "subnet-public", &["sg-noip"], None);
        fx.load_balancer("web", true, &["sg-alb"], &[443]);
        fx.load_balancer("int", false, &["sg-int"], &[443]);
        fx.rds("db", true, 5432, &["sg-rds"]);
        fx.interface("eni-v6", "interface", "subnet-public", &["sg-v6"]);
        fx.region().network_interfaces.last_mut().unwrap().ipv6_addresses = vec![Ipv6Address {
            ipv6_address: "2001:db8::10".into(),
        }];
        fx.isolated_vpc("vpc-iso", "172.31.0.0/16", "subnet-iso");
        fx.instance("i-iso", "subnet-iso", &["sg-iso"], Some("203.0.113.3"));
        let e = exposures(&fx);
        let get = |id: &str| e.iter().find(|x| x.0 == id).cloned().unwrap();
        assert_eq!(get("sg-pub").1, Exposure::InternetExposed);
        assert_eq!(
            get("sg-pub").2,
            "public IP 203.0.113.1 in subnet-public routed to igw-main"
        );
        assert_eq!(get("sg-priv-ip").1, Exposure::Internal);
        assert!(get("sg-priv-ip").2.contains("has no IPv4 route to an internet gateway"));
        assert_eq!(get("sg-noip").1, Exposure::Internal);
        assert_eq!(get("sg-alb").1, Exposure::InternetExposed);
        assert_eq!(get("sg-int").1, Exposure::Internal);
        assert_eq!(get("sg-rds").1, Exposure::InternetExposed);
        assert_eq!(get("sg-none").1, Exposure::Unattached);
        assert_eq!(get("sg-v6").1, Exposure::InternetExposed);
        assert_eq!(get("sg-iso").1, Exposure::Internal, "{:?}", get("sg-iso"));
    }

    #[test]
    fn a_blackhole_route_does_not_reach_the_internet() {
        let mut fx = Fx::new();
        for r in &mut fx.region().route_tables[0].routes {
            if r.gateway_id.as_deref() == Some("igw-main") {
                r.state = Some("blackhole".into());
            }
        }
        fx.sg("sg-a", &[]);
        fx.instance("i-1", "subnet-public", &["sg-a"], Some("203.0.113.4"));
        assert_eq!(exposures(&fx)[0].1, Exposure::Internal);
    }
}
