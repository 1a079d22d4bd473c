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

mod attachments;
mod org;

use std::collections::{HashMap, HashSet};

use crate::config::Config;
use crate::model::*;

use super::finding::Exposure;
use super::rules::{Rule, Source};

use attachments::{route_subnets, service_ports, Routing};
pub use attachments::{Attachment, Target};
pub use org::OrgIndex;

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

    fn build_groups(&mut self) {
        let region = self.region;
        let mut attached = attachments::attach(region, &self.subnet_routing);
        for (index, sg) in region.security_groups.iter().enumerate() {
            let attachments = attached.by_group.remove(sg.group_id.as_str()).unwrap_or_default();
            for a in &attachments {
                if let Some(i) = a.target.instance() {
                    let list = self.instance_groups.entry(i.instance_id.as_str()).or_default();
                    if !list.contains(&index) {
                        list.push(index);
                    }
                }
            }
            let group = self.make_group(sg, attachments);
            self.group_index.insert(sg.group_id.as_str(), index);
            self.groups.push(group);
        }
        self.instance_exposure = attached.instance_exposure;
        self.load_balancer_groups = attached.load_balancer_groups;
    }

    /// A group and what its attachments make of it.
    fn make_group(&self, sg: &'s SecurityGroup, attachments: Vec<Attachment<'s>>) -> Group<'s> {
        let exposure = attachments
            .iter()
            .map(|a| a.exposure)
            .max()
            .unwrap_or(Exposure::Unattached);
        let critical = self.is_critical(&sg.tags) || attachments.iter().any(|a| self.is_critical(a.target.tags()));
        let service_ports = service_ports(&attachments);
        let load_balancer_only = !attachments.is_empty() && attachments.iter().all(|a| a.target.is_load_balancer());
        Group {
            sg,
            attachments,
            exposure,
            critical,
            service_ports,
            load_balancer_only,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::testing::TestOrg;

    fn exposures(fx: &TestOrg) -> Vec<(String, Exposure, String)> {
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
        let mut fx = TestOrg::new();
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
        let mut fx = TestOrg::new();
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
