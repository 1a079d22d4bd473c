//! Through load balancers: what an internet-facing load balancer forwards
//! to its targets, whether a target's group admits what it sends, and the
//! target subnet's network ACL for it.

use super::*;

impl<'s> Network<'s> {
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

    /// To a load balancer's listeners, from the internet. `rule_hop`: the
    /// rule of its group under question; `None` to try every rule of its
    /// groups (or, for an NLB without groups, nothing but its subnets).
    pub(super) fn to_front(&self, front: Front<'s>, packet: Packet, rule_hop: Option<&Hop<'s>>) -> Option<Reach<'s>> {
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
    pub(super) fn front_door(&self, front: Front<'s>, clients: Option<Cidr>) -> Option<Reach<'s>> {
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
    pub(super) fn through_balancers(
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
    pub(super) fn admits_front(&self, rule: &Rule, front: Front<'s>) -> Option<Vec<Cidr>> {
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
    pub(super) fn target_acl(&self, subnet: Option<&'s SubnetId>, f: &Forward<'s>, from: &[Cidr]) -> Option<Reach<'s>> {
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
            super::subnet::reply_through(acl, protocol, Some(EPHEMERAL), addr, &mut path, &mut blocked);
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
    pub(super) fn could_admit_a_balancer(&self, sg: &SecurityGroup, rule: &Rule) -> bool {
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
}
