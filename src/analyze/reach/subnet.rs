//! A subnet's side of the path: its route back to the client (direct or
//! through an inspection endpoint), and its network ACL in both directions.

use super::*;

impl<'s> Network<'s> {
    pub(super) fn vpc_of_subnet(&self, subnet: &str) -> Option<&'s str> {
        self.subnets.get(subnet).map(|s| s.vpc_id.as_str())
    }

    /// The route and network ACL of `subnet` for `packet`: `None` when the
    /// packet's clients include no internet address.
    pub(super) fn subnet_path(
        &self,
        subnet: &'s SubnetId,
        vpc: Option<&'s str>,
        packet: Packet,
    ) -> Option<SubnetPath<'s>> {
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

    pub(super) fn evaluate_subnet(
        &self,
        subnet: &'s SubnetId,
        vpc: Option<&'s str>,
        packet: Packet,
    ) -> Option<SubnetPath<'s>> {
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
    pub(super) fn one_client(
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
                reply_through(acl, packet.protocol, reply, client, &mut path, &mut blocked);
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
    pub(super) fn edge_route(&self, subnet: &'s SubnetId, vpc: Option<&'s str>) -> Result<(&'s str, Hop<'s>), String> {
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
}

/// The reply's way out through `acl` (stateless: to the client's ports):
/// the entry that admits it onto `path`, or the one that denies it into
/// `blocked` unless something stopped the packet before.
pub(super) fn reply_through<'s>(
    acl: &Acl<'s>,
    protocol: Protocol,
    reply: Option<PortRange>,
    client: IpAddr,
    path: &mut Vec<Hop<'s>>,
    blocked: &mut Option<Hop<'s>>,
) {
    match acl::first_admitted(&acl.outbound, protocol, reply, client) {
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
