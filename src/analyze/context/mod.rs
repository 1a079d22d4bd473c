//! What the checks see: one account-region of the snapshot, indexed, with
//! every security group's attachments and reachability worked out once.
//!
//! Exposure is reachability's verdict (`analyze::reach`, docs/exposure.md),
//! and nothing here decides it: a rule's exposure is the worst verdict of
//! its traffic over the group's attachments (internet-exposed when
//! reachable, unknown when unverified, internal when attached and
//! blocked); a group's is the worst over its inbound rules. When the
//! region's network interfaces were not collected, what is not proven
//! reachable is unknown, never internal or unattached: a group may be on
//! interfaces that were not seen.

mod attachments;
mod org;

use std::cell::{OnceCell, RefCell};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::config::Config;
use crate::model::*;

use super::finding::{Exposure, ResourceIds};
use super::reach::{Family, Hop, Network, Reach, ReachRecord, Verdict};
use super::rules::{self, Breadth, Rule, Source};

use attachments::service_ports;
pub use attachments::Served;
pub use attachments::{Attachment, Target};
pub use org::OrgIndex;

/// A security group with everything the checks ask about it.
pub struct Group<'s> {
    pub sg: &'s SecurityGroup,
    pub attachments: Vec<Attachment<'s>>,
    /// The worst verdict of its inbound rules over its attachments.
    pub exposure: Exposure,
    /// The path behind `exposure`, when one of its rules admits traffic
    /// from the internet.
    pub reach: Option<Reach<'s>>,
    /// Per inbound rule (by `Rule::index`): its worst verdict over the
    /// attachments, or `None` when it admits nothing from the internet.
    rule_reach: Vec<Option<Reach<'s>>>,
    /// Attached to a critical resource, tagged critical, or in a critical account.
    pub critical: bool,
    /// The ports its resources serve, when they can be known (listeners, DB ports).
    pub served: Served,
    /// Attached only to load balancers.
    pub load_balancer_only: bool,
    /// Inbound rules (by `Rule::index`) that are "anywhere" together with
    /// others of the group, with a note saying how the union was formed.
    anywhere: HashMap<usize, String>,
    index: usize,
    /// Whether it may be on interfaces that were not collected.
    unseen: bool,
    /// The records of `reach` and of each rule's verdict, made once and
    /// shared by the findings that quote them.
    records: RefCell<HashMap<Option<usize>, Arc<ReachRecord>>>,
    resource_ids: OnceCell<ResourceIds>,
}

impl<'s> Group<'s> {
    pub fn id(&self) -> &'s SecurityGroupId {
        &self.sg.group_id
    }

    pub fn is_attached(&self) -> bool {
        !self.attachments.is_empty()
    }

    /// The resource ids at risk, sorted and unique; made once, shared by
    /// the group's findings.
    pub fn resource_ids(&self) -> ResourceIds {
        self.resource_ids
            .get_or_init(|| {
                let mut ids: Vec<String> = self.attachments.iter().map(|a| a.target.resource_id()).collect();
                ids.sort();
                ids.dedup();
                ids.into_iter().collect()
            })
            .clone()
    }

    /// `web-sg (sg-…)`
    pub fn label(&self) -> String {
        format!("{} ({})", self.sg.group_name, self.sg.group_id)
    }

    /// How a rule is "anywhere" together with other rules of the group
    /// (`0.0.0.0/1` with `128.0.0.0/1`), when it is.
    pub fn anywhere_note(&self, rule: &Rule) -> Option<&str> {
        if rule.egress {
            return None;
        }
        self.anywhere.get(&rule.index).map(String::as_str)
    }

    /// The record of the group's verdict (`rule: None`) or of an inbound
    /// rule's, shared by every finding that quotes it.
    pub fn record(&self, rule: Option<&Rule>) -> Option<Arc<ReachRecord>> {
        let reach = match rule {
            None => self.reach.as_ref(),
            Some(r) => self.rule_reach(r),
        }?;
        let key = rule.map(|r| r.index);
        Some(
            self.records
                .borrow_mut()
                .entry(key)
                .or_insert_with(|| Arc::new(reach.record()))
                .clone(),
        )
    }

    /// The verdict of an inbound rule's whole traffic over the attachments.
    pub fn rule_reach(&self, rule: &Rule) -> Option<&Reach<'s>> {
        if rule.egress {
            return None;
        }
        self.rule_reach.get(rule.index).and_then(Option::as_ref)
    }

    /// What a verdict makes of a finding about this group: internet-exposed
    /// when reachable, unknown when unverified; otherwise internal when the
    /// group is attached (unknown if the region's interfaces were not
    /// collected), unattached when it is not.
    pub fn exposure_for(&self, reach: Option<&Reach>) -> Exposure {
        match reach.map(|r| r.verdict) {
            Some(Verdict::Reachable) => Exposure::InternetExposed,
            Some(Verdict::Unknown) => Exposure::Unknown,
            _ if self.unseen => Exposure::Unknown,
            _ if self.is_attached() => Exposure::Internal,
            _ => Exposure::Unattached,
        }
    }

    /// Why its load balancers' listeners are unknown, when the group is
    /// attached only to load balancers and they are: whether a rule is
    /// their front door cannot be told.
    pub fn listeners_unknown(&self) -> Option<&str> {
        match &self.served {
            Served::Unknown(why) if self.load_balancer_only => Some(why),
            _ => None,
        }
    }

    /// Whether `rule` only opens ports that this group's load balancers
    /// listen on: the intended front door, not an exposure.
    pub fn rule_serves_listeners(&self, rule: &Rule) -> bool {
        if !self.load_balancer_only {
            return false;
        }
        let (Served::Ports(listeners), Some(ports)) = (&self.served, rule.ports) else {
            return false;
        };
        if rule.protocol == Protocol::All || ports.width() > 1024 {
            return false;
        }
        (ports.from..=ports.to).all(|p| listeners.iter().any(|l| l.admits(rule.protocol, p)))
    }
}

/// What restricted-traffic verdicts are cached by: group, rule, the ports.
type ReachKey = (usize, usize, Vec<ServicePort>);

/// One account-region, indexed for the checks.
pub struct RegionCtx<'s> {
    pub config: &'s Config,
    pub org: &'s OrgIndex<'s>,
    pub account: &'s AccountSnapshot,
    pub region: &'s RegionSnapshot,
    pub groups: Vec<Group<'s>>,
    /// The region's network, for reachability.
    pub network: Network<'s>,
    group_index: HashMap<&'s str, usize>,
    vpcs: HashMap<&'s str, &'s Vpc>,
    prefix_lists: HashMap<&'s str, &'s ManagedPrefixList>,
    /// Group indexes of each instance (through its interfaces).
    instance_groups: HashMap<&'s str, Vec<usize>>,
    ssm_managed: HashSet<&'s str>,
    /// Why attachments may be missing: the region's network interfaces were
    /// not collected.
    attachments_missing: Option<String>,
    restricted: RefCell<HashMap<ReachKey, Option<Reach<'s>>>>,
}

impl<'s> RegionCtx<'s> {
    pub fn new(
        config: &'s Config,
        org: &'s OrgIndex<'s>,
        account: &'s AccountSnapshot,
        region: &'s RegionSnapshot,
    ) -> Self {
        let vpcs = region.vpcs.iter().map(|v| (v.vpc_id.as_str(), v)).collect();
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
        let attachments_missing = region.gap("DescribeNetworkInterfaces").map(|g| {
            format!(
                "network interfaces not collected ({} {}: {})",
                g.service, g.operation, g.error
            )
        });
        let mut ctx = RegionCtx {
            config,
            org,
            account,
            region,
            groups: Vec::with_capacity(region.security_groups.len()),
            network: Network::new(region),
            group_index: HashMap::with_capacity(region.security_groups.len()),
            vpcs,
            prefix_lists,
            instance_groups: HashMap::new(),
            ssm_managed,
            attachments_missing,
            restricted: RefCell::new(HashMap::new()),
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
        self.network.balancers.is_load_balancer_group(id.as_str())
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

    /// Whether a resource with these tags is critical by configuration.
    pub fn is_critical(&self, tags: &[Tag]) -> bool {
        self.config.critical.accounts.contains(&self.account.account_id)
            || self.config.critical.tags.iter().any(|m| m.matches(tags))
    }

    /// Whether the rule's source is every address: `0.0.0.0/0`, `::/0`, or a
    /// prefix list containing one of them.
    pub fn is_anywhere(&self, rule: &Rule) -> bool {
        self.breadth(rule) == Breadth::Anywhere
    }

    /// How wide the rule's source is ([`Breadth`]); rules of a group whose
    /// sources together cover every address are anywhere.
    pub fn breadth(&self, rule: &Rule) -> Breadth {
        if self
            .group(rule.group.as_str())
            .is_some_and(|g| g.anywhere_note(rule).is_some())
        {
            return Breadth::Anywhere;
        }
        rule.breadth(
            |id| self.prefix_list(id).and_then(|p| p.entries.as_deref()),
            &self.config.networks,
        )
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

    /// "Unverified: network interfaces not collected", when they were not:
    /// the group may be on interfaces that were not seen.
    fn unseen(&self, reach: Option<Reach<'s>>) -> Option<Reach<'s>> {
        match &self.attachments_missing {
            Some(why) if reach.as_ref().is_none_or(|r| r.verdict != Verdict::Reachable) => Reach::worst(
                reach,
                Some(Reach::unknown(Family::Ipv4, vec![Hop::Internet], why.clone())),
            ),
            _ => reach,
        }
    }

    /// The verdict of `rule`'s traffic on the service ports `only` (for a
    /// finding about some ports of a wider rule), over the group's attachments.
    pub fn rule_reach_on(&self, group: &Group<'s>, rule: &Rule<'s>, only: &[ServicePort]) -> Option<Reach<'s>> {
        if rule.egress {
            return None;
        }
        let key = (group.index, rule.index, only.to_vec());
        if let Some(hit) = self.restricted.borrow().get(&key) {
            return hit.clone();
        }
        let reach = group
            .attachments
            .iter()
            .map(|a| self.network.reach(&a.target, group.sg, rule, Some(only)))
            .fold(None, Reach::worst);
        let reach = self.unseen(reach);
        self.restricted.borrow_mut().insert(key, reach.clone());
        reach
    }

    /// The worst verdict for an instance over every rule of its groups, and the path.
    pub fn instance_exposure(&self, instance: &InstanceId) -> (Exposure, Option<Reach<'s>>) {
        let best = self
            .instance_attachments(instance)
            .map(|(_, a)| a.reach.clone())
            .fold(None, Reach::worst);
        self.instance_verdict(best)
    }

    /// The worst verdict for an instance over the rules of its groups that
    /// `keep` selects, on the service ports `only`.
    pub fn instance_reach(
        &self,
        instance: &InstanceId,
        only: &[ServicePort],
        keep: impl Fn(&Group<'s>, &Rule<'s>) -> bool,
    ) -> (Exposure, Option<Reach<'s>>) {
        let mut best: Option<Reach<'s>> = None;
        for (g, a) in self.instance_attachments(instance) {
            for rule in rules::ingress(g.sg).filter(|r| keep(g, r)) {
                best = Reach::worst(best, self.network.reach(&a.target, g.sg, &rule, Some(only)));
            }
        }
        self.instance_verdict(best)
    }

    fn instance_attachments<'a>(
        &'a self,
        instance: &'a InstanceId,
    ) -> impl Iterator<Item = (&'a Group<'s>, &'a Attachment<'s>)> {
        self.instance_groups(instance).flat_map(move |g| {
            g.attachments
                .iter()
                .filter(move |a| a.target.instance().is_some_and(|i| i.instance_id == *instance))
                .map(move |a| (g, a))
        })
    }

    fn instance_verdict(&self, best: Option<Reach<'s>>) -> (Exposure, Option<Reach<'s>>) {
        let exposure = match best.as_ref().map(|r| r.verdict) {
            Some(Verdict::Reachable) => Exposure::InternetExposed,
            Some(Verdict::Unknown) => Exposure::Unknown,
            _ if self.attachments_missing.is_some() => Exposure::Unknown,
            _ => Exposure::Internal,
        };
        (exposure, best)
    }

    fn build_groups(&mut self) {
        let region = self.region;
        let mut attached = attachments::attach(region);
        for (index, sg) in region.security_groups.iter().enumerate() {
            let attachments = attached.remove(sg.group_id.as_str()).unwrap_or_default();
            for a in &attachments {
                if let Some(i) = a.target.instance() {
                    let list = self.instance_groups.entry(i.instance_id.as_str()).or_default();
                    if !list.contains(&index) {
                        list.push(index);
                    }
                }
            }
            let group = self.make_group(index, sg, attachments);
            self.group_index.insert(sg.group_id.as_str(), index);
            self.groups.push(group);
        }
    }

    /// The inbound rules of a group that open the same traffic from sources
    /// whose union holds every internet address of a family, none of them
    /// alone: "anywhere", split in parts (`0.0.0.0/1` + `128.0.0.0/1`,
    /// `2000::/3`, every public range). Prefix lists count by their entries.
    fn split_anywhere(&self, sg: &'s SecurityGroup) -> HashMap<usize, String> {
        type Traffic = (Protocol, Option<PortRange>, bool);
        let mut by_traffic: HashMap<Traffic, Vec<(rules::Rule<'s>, Vec<Cidr>)>> = HashMap::new();
        for rule in rules::ingress(sg) {
            let cidrs: Vec<Cidr> = match rule.source {
                // Only blocks that hold internet addresses can add up to
                // anywhere: most rules (private ranges) stop here.
                Source::Cidr(c) if super::reach::has_internet(c) => vec![c],
                Source::Cidr(_) | Source::Group(_) => continue,
                Source::PrefixList(id) => self
                    .prefix_list_cidrs(id)
                    .filter(|c| super::reach::has_internet(*c))
                    .collect(),
            };
            for v6 in [false, true] {
                let family: Vec<Cidr> = cidrs.iter().copied().filter(|c| c.is_ipv6() == v6).collect();
                if family.is_empty() || family.iter().any(|c| c.is_anywhere()) {
                    continue;
                }
                by_traffic
                    .entry((rule.protocol, rule.ports, v6))
                    .or_default()
                    .push((rule, family));
            }
        }
        let mut out = HashMap::new();
        for ((_, _, v6), parts) in by_traffic.into_iter().filter(|(_, p)| p.len() > 1) {
            let union: Vec<Cidr> = parts.iter().flat_map(|(_, c)| c.iter().copied()).collect();
            if !super::reach::covers_internet(&union) {
                continue;
            }
            let labels: Vec<String> = parts.iter().map(|(r, _)| r.source_label()).collect();
            let note = format!(
                "anywhere: {} together cover every {} address",
                labels.join(" + "),
                if v6 { "IPv6 internet" } else { "IPv4 internet" }
            );
            for (rule, _) in &parts {
                out.insert(rule.index, note.clone());
            }
        }
        out
    }

    /// A group, its rules' verdicts over its attachments, and what they make of it.
    fn make_group(&self, index: usize, sg: &'s SecurityGroup, mut attachments: Vec<Attachment<'s>>) -> Group<'s> {
        let mut rule_reach = Vec::new();
        let mut per_attachment: Vec<Option<Reach<'s>>> = vec![None; attachments.len()];
        for rule in rules::ingress(sg) {
            let mut worst = None;
            for (a, best) in attachments.iter().zip(per_attachment.iter_mut()) {
                let Some(r) = self.network.reach(&a.target, sg, &rule, None) else {
                    continue;
                };
                // `Reach::worst` of each, cloning the path only when both keep it.
                match (r.replaces(best.as_ref()), r.replaces(worst.as_ref())) {
                    (true, true) => {
                        *best = Some(r.clone());
                        worst = Some(r);
                    }
                    (true, false) => *best = Some(r),
                    (false, true) => worst = Some(r),
                    (false, false) => {}
                }
            }
            rule_reach.push(self.unseen(worst));
        }
        for (a, reach) in attachments.iter_mut().zip(per_attachment) {
            a.exposure = match reach.as_ref().map(|r| r.verdict) {
                Some(Verdict::Reachable) => Exposure::InternetExposed,
                Some(Verdict::Unknown) => Exposure::Unknown,
                _ => Exposure::Internal,
            };
            a.reach = reach;
        }
        let reach = rule_reach.iter().cloned().fold(None, Reach::worst);
        let critical = self.is_critical(&sg.tags) || attachments.iter().any(|a| self.is_critical(a.target.tags()));
        let served = service_ports(&attachments, self.region);
        let load_balancer_only = !attachments.is_empty() && attachments.iter().all(|a| a.target.is_load_balancer());
        let anywhere = self.split_anywhere(sg);
        let mut group = Group {
            sg,
            attachments,
            exposure: Exposure::Unattached,
            reach,
            rule_reach,
            critical,
            served,
            load_balancer_only,
            anywhere,
            index,
            unseen: self.attachments_missing.is_some(),
            records: RefCell::new(HashMap::new()),
            resource_ids: OnceCell::new(),
        };
        group.exposure = group.exposure_for(group.reach.as_ref());
        group
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::testing::TestOrg;

    #[test]
    fn a_groups_exposure_is_the_worst_verdict_of_its_rules_and_each_rule_keeps_its_own() {
        let mut fx = TestOrg::new();
        fx.sg(
            "sg-web",
            &["tcp 22 0.0.0.0/0", "tcp 443 0.0.0.0/0", "tcp 5432 10.0.0.0/16"],
        );
        fx.instance("i-1", "subnet-public", &["sg-web"], Some("54.12.3.10"));
        fx.nacl(
            "acl-web",
            false,
            &["50 deny tcp 22 0.0.0.0/0", "100 allow all - 0.0.0.0/0"],
            &["subnet-public"],
        );
        fx.sg("sg-spare", &["tcp 443 0.0.0.0/0"]);
        let org = OrgIndex::new(&fx.snapshot);
        let account = &fx.snapshot.accounts[0];
        let ctx = RegionCtx::new(&fx.config, &org, account, &account.regions[0]);
        let web = ctx.group("sg-web").unwrap();
        assert_eq!(web.exposure, Exposure::InternetExposed);
        let verdicts: Vec<Option<Verdict>> = rules::ingress(web.sg)
            .map(|r| web.rule_reach(&r).map(|x| x.verdict))
            .collect();
        assert_eq!(verdicts, [Some(Verdict::Blocked), Some(Verdict::Reachable), None]);
        let ssh = rules::ingress(web.sg).next().unwrap();
        assert_eq!(web.exposure_for(web.rule_reach(&ssh)), Exposure::Internal);
        assert_eq!(web.attachments[0].exposure, Exposure::InternetExposed);
        assert_eq!(web.attachments[0].why(), "reachable (IPv4, direct)");
        let record = web.record(None).unwrap();
        assert!(
            record.path_line().starts_with("internet → igw-main"),
            "{}",
            record.path_line()
        );
        assert_eq!(ctx.group("sg-spare").unwrap().exposure, Exposure::Unattached);
    }
}
