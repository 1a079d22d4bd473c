//! Route tables: which table serves a subnet, which route a reply to a
//! client takes, and the internet gateways' edge tables.
//!
//! Inbound traffic from an internet gateway reaches an interface over the
//! VPC's local route whatever the subnet's table says; what decides
//! whether the conversation works is the route of the *reply*, from the
//! subnet's table to the client's address (longest prefix wins). A subnet
//! uses its explicit association, else the main table of **its own VPC**.

use std::collections::HashMap;
use std::net::IpAddr;

use crate::model::{Cidr, ManagedPrefixList, RegionSnapshot, Route, RouteTable};

/// The route tables of one region, indexed the three ways they are used.
#[derive(Default)]
pub struct Tables<'s> {
    explicit: HashMap<&'s str, &'s RouteTable>,
    main: HashMap<&'s str, &'s RouteTable>,
    /// Tables associated with a gateway (ingress routing), by gateway id.
    edge: HashMap<&'s str, &'s RouteTable>,
}

impl<'s> Tables<'s> {
    pub fn new(region: &'s RegionSnapshot) -> Self {
        let mut t = Tables::default();
        for rt in &region.route_tables {
            for a in &rt.associations {
                if let Some(s) = &a.subnet_id {
                    t.explicit.insert(s.as_str(), rt);
                }
                if let Some(g) = &a.gateway_id {
                    t.edge.insert(g.as_str(), rt);
                }
                if a.main {
                    t.main.insert(rt.vpc_id.as_str(), rt);
                }
            }
        }
        t
    }

    /// The table of a subnet: its explicit association, else its VPC's main table.
    pub fn of_subnet(&self, subnet: &str, vpc: Option<&str>) -> Option<&'s RouteTable> {
        self.explicit
            .get(subnet)
            .or_else(|| vpc.and_then(|v| self.main.get(v)))
            .copied()
    }

    /// The edge table of an internet gateway, if it has one.
    pub fn of_gateway(&self, gateway: &str) -> Option<&'s RouteTable> {
        self.edge.get(gateway).copied()
    }
}

/// The route a packet to `addr` takes in `table`.
#[derive(Clone, Copy, Debug)]
pub enum Lookup<'s> {
    Route {
        route: &'s Route,
        destination: Cidr,
    },
    /// No route matches: the packet is dropped.
    NoRoute,
    /// A route whose destination is a prefix list with unread entries might
    /// match: the answer cannot be told.
    Unknown,
}

/// The destinations of a route: its CIDR, or its prefix list's entries
/// (`None` when they were not read).
pub fn destinations(route: &Route, prefix_lists: &HashMap<&str, &ManagedPrefixList>) -> Option<Vec<Cidr>> {
    if let Some(c) = route.destination_cidr_block.or(route.destination_ipv6_cidr_block) {
        return Some(vec![c]);
    }
    let id = route.destination_prefix_list_id.as_ref()?;
    let list = prefix_lists.get(id.as_str())?;
    Some(list.entries.as_ref()?.iter().map(|e| e.cidr).collect())
}

/// Longest-prefix match of `addr` in `table`. A blackhole route still
/// matches (and drops); a route to a prefix list whose entries were not
/// read makes the answer unknown only if it could be the longest match.
pub fn lookup<'s>(
    table: &'s RouteTable,
    addr: IpAddr,
    prefix_lists: &HashMap<&str, &'s ManagedPrefixList>,
) -> Lookup<'s> {
    let mut best: Option<(&Route, Cidr)> = None;
    let mut unresolved = false;
    for route in &table.routes {
        let Some(dests) = destinations(route, prefix_lists) else {
            unresolved |= route.destination_prefix_list_id.is_some();
            continue;
        };
        for d in dests.into_iter().filter(|d| d.contains_addr(addr)) {
            if best.is_none_or(|(_, b)| d.prefix_len() > b.prefix_len()) {
                best = Some((route, d));
            }
        }
    }
    match best {
        _ if unresolved && best.is_none_or(|(_, b)| !b.is_host()) => Lookup::Unknown,
        Some((route, destination)) => Lookup::Route { route, destination },
        None => Lookup::NoRoute,
    }
}

/// Every CIDR the table routes on (its destinations), for choosing clients.
pub fn blocks(table: &RouteTable, prefix_lists: &HashMap<&str, &ManagedPrefixList>) -> Vec<Cidr> {
    table
        .routes
        .iter()
        .filter_map(|r| destinations(r, prefix_lists))
        .flatten()
        .collect()
}
