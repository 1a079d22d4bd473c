//! Load balancers: which ports of theirs the internet reaches, and which
//! targets they forward it to.
//!
//! An internet-facing load balancer listens on its listeners' ports only;
//! a rule of its group for any other port lets nothing in. It forwards to
//! the targets of its target groups (ELBv2) or its registered instances on
//! their instance ports (Classic). An Application or Classic Load Balancer
//! connects to its targets from its own nodes, so a target's group must
//! admit the load balancer's group or the addresses of its subnets; a
//! Network Load Balancer keeps the client's address, so a target's group
//! must admit the clients themselves, whether or not the NLB has groups of
//! its own. Listener rules are not read: any listener of a load balancer is
//! taken to reach any of its target groups.

use std::collections::HashMap;

use crate::model::*;

/// A load balancer of either generation.
#[derive(Clone, Copy, Debug)]
pub enum Front<'s> {
    V2(&'s LoadBalancer),
    Classic(&'s ClassicLoadBalancer),
}

impl<'s> Front<'s> {
    pub fn name(&self) -> &'s str {
        match self {
            Front::V2(lb) => &lb.load_balancer_name,
            Front::Classic(lb) => &lb.load_balancer_name,
        }
    }

    /// `application load balancer`, `network load balancer`, `classic load balancer`.
    pub fn kind(&self) -> &'static str {
        match self {
            Front::V2(lb) => match lb.lb_type.as_str() {
                "network" => "network load balancer",
                "gateway" => "gateway load balancer",
                _ => "application load balancer",
            },
            Front::Classic(_) => "classic load balancer",
        }
    }

    /// A stable key for caches: the ARN or the classic name.
    pub fn key(&self) -> &'s str {
        match self {
            Front::V2(lb) => &lb.load_balancer_arn,
            Front::Classic(lb) => &lb.load_balancer_name,
        }
    }

    pub fn is_internet_facing(&self) -> bool {
        match self {
            Front::V2(lb) => lb.is_internet_facing(),
            Front::Classic(lb) => lb.is_internet_facing(),
        }
    }

    /// Whether it keeps the client's address towards its targets (an NLB).
    pub fn preserves_client(&self) -> bool {
        matches!(self, Front::V2(lb) if lb.is_network())
    }

    /// Whether the internet reaches it over IPv4 and over IPv6.
    pub fn public_families(&self) -> (bool, bool) {
        match self {
            Front::V2(lb) => lb.public_families(),
            Front::Classic(_) => (true, false),
        }
    }

    pub fn groups(&self) -> &'s [SecurityGroupId] {
        match self {
            Front::V2(lb) => &lb.security_groups,
            Front::Classic(lb) => &lb.security_groups,
        }
    }

    pub fn vpc(&self) -> Option<&'s VpcId> {
        match self {
            Front::V2(lb) => lb.vpc_id.as_ref(),
            Front::Classic(lb) => lb.vpc_id.as_ref(),
        }
    }

    pub fn subnets(&self) -> Vec<&'s SubnetId> {
        match self {
            Front::V2(lb) => lb.subnet_ids().collect(),
            Front::Classic(lb) => lb.subnets.iter().collect(),
        }
    }

    /// The ports it listens on, with their protocol name (`HTTPS`, `TCP`).
    pub fn listeners(&self) -> Vec<(ServicePort, &'s str)> {
        match self {
            Front::V2(lb) => lb
                .listeners
                .iter()
                .map(|l| (l.service_port(), l.protocol.as_str()))
                .collect(),
            Front::Classic(lb) => lb
                .listener_descriptions
                .iter()
                .map(|d| {
                    let l = &d.listener;
                    (ServicePort::tcp(l.load_balancer_port), l.protocol.as_str())
                })
                .collect(),
        }
    }
}

/// One way traffic reaches a target: through `front`, on `port`.
#[derive(Clone, Copy, Debug)]
pub struct Forward<'s> {
    pub front: Front<'s>,
    pub port: ServicePort,
    /// The target group's name (ELBv2), for the path.
    pub target_group: Option<&'s str>,
}

/// Every load balancer of a region and what each forwards to.
#[derive(Default)]
pub struct Balancers<'s> {
    /// Targets by instance id or IP address.
    forwards: HashMap<&'s str, Vec<Forward<'s>>>,
    /// The groups of every load balancer.
    groups: HashMap<&'s str, Vec<Front<'s>>>,
    /// Why some targets cannot be known, when they cannot.
    pub unknown_targets: Vec<String>,
    /// Whether an internet-facing ELBv2 load balancer exists (its targets
    /// matter only then).
    internet_facing_v2: bool,
    pub classic_known: bool,
}

impl<'s> Balancers<'s> {
    pub fn new(region: &'s RegionSnapshot) -> Self {
        let mut b = Balancers::default();
        let by_arn: HashMap<&str, &LoadBalancer> = region
            .load_balancers
            .iter()
            .map(|lb| (lb.load_balancer_arn.as_str(), lb))
            .collect();
        for lb in &region.load_balancers {
            b.internet_facing_v2 |= lb.is_internet_facing();
            for g in &lb.security_groups {
                b.groups.entry(g.as_str()).or_default().push(Front::V2(lb));
            }
        }
        match &region.target_groups {
            Some(tgs) => {
                for tg in tgs {
                    let transport = tg.transport();
                    let fronts: Vec<&LoadBalancer> = tg
                        .load_balancer_arns
                        .iter()
                        .filter_map(|arn| by_arn.get(arn.as_str()).copied())
                        .collect();
                    let Some(targets) = &tg.target_health_descriptions else {
                        if fronts.iter().any(|lb| lb.is_internet_facing()) {
                            b.unknown_targets
                                .push(format!("the targets of {} were not read", tg.target_group_name));
                        }
                        continue;
                    };
                    for t in targets {
                        let Some(port) = t.target.port.or(tg.port) else {
                            continue;
                        };
                        for lb in &fronts {
                            b.forwards.entry(t.target.id.as_str()).or_default().push(Forward {
                                front: Front::V2(lb),
                                port: ServicePort {
                                    ports: PortRange::single(port),
                                    transport,
                                },
                                target_group: Some(&tg.target_group_name),
                            });
                        }
                    }
                }
            }
            None if b.internet_facing_v2 => b
                .unknown_targets
                .push("the load balancers' target groups were not collected".into()),
            None => {}
        }
        if let Some(classic) = &region.classic_load_balancers {
            b.classic_known = true;
            for lb in classic {
                for g in &lb.security_groups {
                    b.groups.entry(g.as_str()).or_default().push(Front::Classic(lb));
                }
                for i in &lb.instances {
                    for d in &lb.listener_descriptions {
                        b.forwards.entry(i.instance_id.as_str()).or_default().push(Forward {
                            front: Front::Classic(lb),
                            port: ServicePort::tcp(d.listener.instance_port),
                            target_group: None,
                        });
                    }
                }
            }
        }
        b
    }

    /// The ways traffic is forwarded to a target, by its instance id or any
    /// of its IP addresses.
    pub fn forwards_to<'k>(&self, keys: impl IntoIterator<Item = &'k str>) -> Vec<Forward<'s>> {
        // No allocation for what most interfaces are: no load balancer's target.
        let mut out: Vec<Forward<'s>> = Vec::new();
        for f in keys.into_iter().filter_map(|k| self.forwards.get(k)).flatten() {
            if !out.iter().any(|o| o.front.key() == f.front.key() && o.port == f.port) {
                out.push(*f);
            }
        }
        out
    }

    /// The load balancers a security group belongs to.
    pub fn fronts_of(&self, group: &str) -> &[Front<'s>] {
        self.groups.get(group).map_or(&[], Vec::as_slice)
    }

    pub fn is_load_balancer_group(&self, group: &str) -> bool {
        self.groups.contains_key(group)
    }
}
