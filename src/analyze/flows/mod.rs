//! Rule usage from flow-log records: which inbound rules admitted which
//! traffic (docs/usage.md).
//!
//! Pure, like the rest of `analyze`: records come in already parsed (by
//! `ingest::flowlogs`), one at a time, on as many threads as the reader uses.
//! [`Attributor`] indexes the snapshot once (interfaces by id, their
//! addresses and groups, each group's inbound rules); each thread feeds its
//! own [`Tally`]; [`finish`] merges the tallies into a [`Usage`].
//!
//! A record counts as a flow only when it is accepted traffic arriving at an
//! interface of the snapshot to open a connection ([`direction`]); it counts
//! for *every* inbound rule of the interface's groups that admits it, so two
//! overlapping rules are both used, and neither is ever called unused because
//! the other took the credit. Memory depends on the rules and their sources,
//! never on the number of records.

pub mod direction;
pub mod judge;
pub mod prefixes;
pub mod sketch;

use std::collections::HashMap;
use std::net::IpAddr;
use std::ops::Range;

use time::OffsetDateTime;

use crate::model::usage::*;
use crate::model::{
    AccountId, Cidr, NetworkInterfaceId, PortRange, PrefixListEntry, Protocol, Region, SecurityGroup, Snapshot,
    ToolInfo,
};

use super::fasthash::FoldMap;
use super::rules::{self, Source};
use direction::Leg;
use sketch::Sources;

/// How many of a rule's busiest sources `usage.json` lists.
const TOP_SOURCES: usize = 10;

/// The snapshot, indexed for attributing records.
pub struct Attributor<'s> {
    ifaces: Vec<Iface<'s>>,
    by_id: FoldMap<&'s str, Vec<u32>>,
    groups: Vec<GroupInfo<'s>>,
    rules: Vec<Compiled>,
    /// (region, address) → the interfaces that hold the address: who a
    /// group-referenced source is.
    members: FoldMap<(u32, IpAddr), Vec<u32>>,
    /// Records outside it are counted and skipped; either end may be open.
    window: Bounds,
}

struct Iface<'s> {
    account: &'s AccountId,
    region: &'s Region,
    id: &'s NetworkInterfaceId,
    region_key: u32,
    addrs: Vec<IpAddr>,
    groups: Vec<u32>,
    /// Whether its flow logs record accepted traffic, as the snapshot shows
    /// them (see [`accept_logged`]).
    accept_logged: Option<bool>,
}

struct GroupInfo<'s> {
    account: &'s AccountId,
    region: &'s Region,
    sg: &'s SecurityGroup,
    rules: Range<u32>,
    ifaces: Vec<u32>,
}

/// An inbound rule, ready to test records against.
struct Compiled {
    protocol: Protocol,
    ports: Option<PortRange>,
    source: Admits,
}

enum Admits {
    Cidr(Cidr),
    /// A prefix list's entries.
    Cidrs(Vec<Cidr>),
    /// A prefix list whose entries were not collected, or a group whose
    /// members the snapshot does not hold: counted as admitting, so that no
    /// rule is called unused for want of data.
    Unknown,
    /// Members of these groups (global indexes), in the same region.
    Groups(Vec<u32>),
}

impl<'s> Attributor<'s> {
    /// Index `snapshot`; `window` limits the records.
    pub fn new(snapshot: &'s Snapshot, window: Bounds) -> Self {
        let mut region_keys: HashMap<&str, u32> = HashMap::new();
        let mut out = Attributor {
            ifaces: Vec::new(),
            by_id: FoldMap::default(),
            groups: Vec::new(),
            rules: Vec::new(),
            members: FoldMap::default(),
            window,
        };
        // Groups by (region, id), for interfaces and group references.
        let mut group_index: HashMap<(u32, &str), Vec<u32>> = HashMap::new();
        let mut pending: Vec<(u32, u32, &'s SecurityGroup, &'s crate::model::RegionSnapshot)> = Vec::new();
        for account in snapshot.accounts.iter().filter(|a| a.status.is_ok()) {
            for region in account.regions.iter().filter(|r| r.status.is_ok()) {
                let n = region_keys.len() as u32;
                let rk = *region_keys.entry(region.region.as_str()).or_insert(n);
                for sg in &region.security_groups {
                    let gi = out.groups.len() as u32;
                    group_index.entry((rk, sg.group_id.as_str())).or_default().push(gi);
                    out.groups.push(GroupInfo {
                        account: &account.account_id,
                        region: &region.region,
                        sg,
                        rules: 0..0,
                        ifaces: Vec::new(),
                    });
                    pending.push((gi, rk, sg, region));
                }
                for eni in &region.network_interfaces {
                    let ii = out.ifaces.len() as u32;
                    let addrs = interface_addresses(eni);
                    let groups: Vec<u32> = eni
                        .groups
                        .iter()
                        .filter_map(|g| group_index.get(&(rk, g.group_id.as_str())))
                        .flat_map(|v| {
                            // The group of this account, when ids repeat across accounts.
                            let own: Vec<u32> = v
                                .iter()
                                .copied()
                                .filter(|&i| out.groups[i as usize].account == &account.account_id)
                                .collect();
                            if own.is_empty() {
                                v.clone()
                            } else {
                                own
                            }
                        })
                        .collect();
                    for &g in &groups {
                        out.groups[g as usize].ifaces.push(ii);
                    }
                    // Group references match private addresses only.
                    for a in private_addresses(eni) {
                        out.members.entry((rk, a)).or_default().push(ii);
                    }
                    out.by_id.entry(eni.network_interface_id.as_str()).or_default().push(ii);
                    out.ifaces.push(Iface {
                        account: &account.account_id,
                        region: &region.region,
                        id: &eni.network_interface_id,
                        region_key: rk,
                        addrs,
                        groups,
                        accept_logged: accept_logged(region, eni),
                    });
                }
            }
        }
        for (gi, rk, sg, region) in pending {
            let start = out.rules.len() as u32;
            for rule in rules::ingress(sg) {
                let source = match rule.source {
                    Source::Cidr(c) => Admits::Cidr(c),
                    Source::PrefixList(id) => match region
                        .prefix_lists
                        .iter()
                        .find(|p| &p.prefix_list_id == id)
                        .and_then(|p| p.entries.as_deref())
                    {
                        Some(entries) => Admits::Cidrs(entries.iter().map(|e: &PrefixListEntry| e.cidr).collect()),
                        None => Admits::Unknown,
                    },
                    // A group the snapshot does not hold (another account's,
                    // one not collected, a deleted one): who its members are is
                    // unknown, so the rule is taken to admit what arrives.
                    Source::Group(pair) => match pair
                        .group_id
                        .as_ref()
                        .and_then(|id| group_index.get(&(rk, id.as_str())))
                    {
                        Some(found) => Admits::Groups(found.clone()),
                        None => Admits::Unknown,
                    },
                };
                out.rules.push(Compiled {
                    protocol: rule.protocol,
                    ports: rule.ports,
                    source,
                });
            }
            out.groups[gi as usize].rules = start..out.rules.len() as u32;
        }
        out
    }

    /// A fresh tally for one reading thread.
    pub fn tally(&self) -> Tally<'_, 's> {
        Tally {
            at: self,
            rules: (0..self.rules.len()).map(|_| RuleTally::default()).collect(),
            ifaces: (0..self.ifaces.len()).map(|_| IfaceTally::default()).collect(),
            counts: RecordCounts::default(),
            span: (i64::MAX, i64::MIN),
            last: None,
        }
    }

    /// The record's interface, and whether its id alone names it (no other
    /// account has an interface of that id).
    fn interface(&self, r: &FlowRecord<'_>) -> Option<(u32, bool)> {
        let found = self.by_id.get(r.interface_id?)?;
        match (found.as_slice(), r.account_id) {
            ([one], _) => Some((*one, true)),
            (many, Some(acct)) => many
                .iter()
                .copied()
                .find(|&i| self.ifaces[i as usize].account.as_str() == acct)
                .map(|i| (i, false)),
            (many, None) => many.first().map(|&i| (i, false)),
        }
    }

    fn admits(&self, rule: &Compiled, iface: &Iface<'_>, protocol: u8, port: Option<u16>, src: IpAddr) -> bool {
        let proto_ok = match rule.protocol {
            Protocol::All => true,
            p => p.number() == i16::from(protocol),
        };
        if !proto_ok {
            return false;
        }
        if rule.protocol.has_ports() {
            match (rule.ports, port) {
                (Some(range), Some(p)) if range.contains(p) => {}
                _ => return false,
            }
        }
        match &rule.source {
            Admits::Cidr(c) => c.contains_addr(src),
            Admits::Cidrs(list) => list.iter().any(|c| c.contains_addr(src)),
            Admits::Unknown => true,
            Admits::Groups(groups) => self.members.get(&(iface.region_key, src)).is_some_and(|holders| {
                holders
                    .iter()
                    .any(|&h| self.ifaces[h as usize].groups.iter().any(|g| groups.contains(g)))
            }),
        }
    }

    /// Whether an inbound rule of the interface names `port` specifically: a
    /// TCP or UDP range that does not take in the ephemeral ports.
    fn names_port(&self, iface: &Iface<'_>, port: u16) -> bool {
        iface.groups.iter().any(|&g| {
            self.group_rules(g)
                .any(|r| r.protocol.has_ports() && r.ports.is_some_and(|p| p.contains(port) && !p.covers(EPHEMERAL)))
        })
    }

    fn group_rules(&self, g: u32) -> impl Iterator<Item = &Compiled> {
        let range = &self.groups[g as usize].rules;
        self.rules[range.start as usize..range.end as usize].iter()
    }
}

/// Whether the region's flow logs that cover `eni` (on it, its subnet or its
/// VPC) record accepted traffic: `Some(false)` when every one records
/// rejected traffic only; `None` when the snapshot cannot say (flow logs not
/// collected, or none of them covers the interface).
fn accept_logged(region: &crate::model::RegionSnapshot, eni: &crate::model::NetworkInterface) -> Option<bool> {
    let logs = region.flow_logs.as_ref()?;
    let ids = [
        Some(eni.network_interface_id.as_str()),
        eni.subnet_id.as_ref().map(|s| s.as_str()),
        eni.vpc_id.as_ref().map(|v| v.as_str()),
    ];
    let mut covering = logs
        .iter()
        .filter(|l| l.is_active() && ids.contains(&Some(l.resource_id.as_str())))
        .peekable();
    covering.peek()?;
    Some(covering.any(|l| {
        !l.traffic_type
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case("REJECT"))
    }))
}

/// The time the records are taken from (unix seconds, `[since, until)`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Bounds {
    pub since: Option<i64>,
    pub until: Option<i64>,
}

impl Bounds {
    /// Whether a record from `start` to `end` falls (partly) within.
    pub fn admits(&self, start: i64, end: i64) -> bool {
        self.since.is_none_or(|s| end >= s) && self.until.is_none_or(|u| start < u)
    }
}

/// The ephemeral ports of Linux clients: a range that takes them all in is
/// not a listener's.
const EPHEMERAL: PortRange = PortRange { from: 32768, to: 60999 };

/// An interface's private addresses (primary, secondary, IPv6): what a
/// reference to its group matches.
fn private_addresses(eni: &crate::model::NetworkInterface) -> impl Iterator<Item = IpAddr> + '_ {
    eni.private_ip_address
        .iter()
        .chain(
            eni.private_ip_addresses
                .iter()
                .filter_map(|p| p.private_ip_address.as_ref()),
        )
        .chain(eni.ipv6_addresses.iter().map(|a| &a.ipv6_address))
        .filter_map(|a| a.parse().ok())
}

/// Every address of an interface: its private ones and its public IPv4
/// addresses (records of traffic to an Elastic IP show it).
fn interface_addresses(eni: &crate::model::NetworkInterface) -> Vec<IpAddr> {
    let mut v: Vec<IpAddr> = private_addresses(eni)
        .chain(eni.public_ipv4s().iter().filter_map(|a| a.parse().ok()))
        .collect();
    v.sort();
    v.dedup();
    v
}

#[derive(Default)]
struct RuleTally {
    flows: u64,
    packets: u64,
    bytes: u64,
    first: Option<i64>,
    last: Option<i64>,
    sources: Option<Box<Sources>>,
}

/// The most days an interface's coverage keeps (about three years).
const MAX_DAYS: usize = 1100;

#[derive(Default)]
struct IfaceTally {
    records: u64,
    /// Whether an accepted record was seen: proof that its flow log records
    /// accepted traffic, when the snapshot cannot say.
    accepted: bool,
    /// (day, hours with records, hours with SKIPDATA), by day number since 1970.
    days: Vec<(u32, u32, u32)>,
}

impl IfaceTally {
    fn mark(&mut self, start: i64, end: i64, skipped: bool) {
        let first = start.max(0) / 3600;
        let last = (end.max(start.saturating_add(1)) - 1).max(0) / 3600;
        for hour in first..=last.min(first + 48) {
            let (day, bit) = (u32::try_from(hour / 24).unwrap_or(u32::MAX), 1u32 << (hour % 24));
            let i = match self.days.iter().rposition(|d| d.0 == day) {
                Some(i) => i,
                // Beyond three years of days, hours go unmarked: coverage can
                // only be understated (and "unused" said less), never inflated.
                None if self.days.len() >= MAX_DAYS => return,
                None => {
                    self.days.push((day, 0, 0));
                    self.days.len() - 1
                }
            };
            if skipped {
                self.days[i].2 |= bit;
            } else {
                self.days[i].1 |= bit;
            }
        }
    }

    fn merge(&mut self, other: IfaceTally) {
        self.records += other.records;
        self.accepted |= other.accepted;
        for (day, ok, skip) in other.days {
            let full = self.days.len() >= MAX_DAYS;
            match self.days.iter_mut().find(|d| d.0 == day) {
                Some(d) => {
                    d.1 |= ok;
                    d.2 |= skip;
                }
                None if full => {}
                None => self.days.push((day, ok, skip)),
            }
        }
    }

    /// (covered, skipped) hours within `[since, until)` (unix hours). An hour
    /// with a `SKIPDATA` record is not covered, whatever else it has: some of
    /// its records were lost.
    fn hours(&self, since: i64, until: i64) -> (u32, u32) {
        let (mut covered, mut skipped) = (0, 0);
        for &(day, ok, skip) in &self.days {
            for h in 0..24 {
                let hour = i64::from(day) * 24 + h;
                if hour < since || hour >= until {
                    continue;
                }
                if skip & (1 << h) != 0 {
                    skipped += 1;
                } else if ok & (1 << h) != 0 {
                    covered += 1;
                }
            }
        }
        (covered, skipped)
    }
}

/// What one reading thread has seen.
pub struct Tally<'a, 's> {
    at: &'a Attributor<'s>,
    rules: Vec<RuleTally>,
    ifaces: Vec<IfaceTally>,
    counts: RecordCounts,
    /// The earliest start and the latest end of any record taken.
    span: (i64, i64),
    /// The last interface found, when its id alone names it.
    last: Option<(u32, &'s str)>,
}

impl FlowSink for Tally<'_, '_> {
    fn add(&mut self, r: &FlowRecord<'_>) {
        self.counts.total += 1;
        if !self.at.window.admits(r.start, r.end) {
            self.counts.outside_window += 1;
            return;
        }
        // Records of one interface tend to come together: remember the last.
        let ii = match (self.last, r.interface_id) {
            (Some((i, id)), Some(x)) if id == x => i,
            _ => match self.at.interface(r) {
                Some((i, unique)) => {
                    self.last = unique.then(|| (i, self.at.ifaces[i as usize].id.as_str()));
                    i
                }
                None => {
                    self.counts.unknown_interface += 1;
                    return;
                }
            },
        };
        self.span = (self.span.0.min(r.start), self.span.1.max(r.end));
        let it = &mut self.ifaces[ii as usize];
        it.records += 1;
        match r.log_status {
            Some(LogStatus::SkipData) => {
                it.mark(r.start, r.end, true);
                self.counts.skipdata += 1;
                return;
            }
            Some(LogStatus::NoData) => {
                it.mark(r.start, r.end, false);
                self.counts.nodata += 1;
                return;
            }
            _ => it.mark(r.start, r.end, false),
        }
        if r.action == Some(FlowAction::Reject) {
            self.counts.rejected += 1;
            return;
        }
        it.accepted = true;
        let iface = &self.at.ifaces[ii as usize];
        match direction::leg(r, &iface.addrs, |p| self.at.names_port(iface, p)) {
            Leg::Outbound => self.counts.outbound += 1,
            Leg::Reply => self.counts.replies += 1,
            Leg::Inbound => {
                let (src, _) = direction::addresses(r);
                let (Some(src), Some(protocol)) = (src, r.protocol) else {
                    self.counts.unmatched += 1;
                    return;
                };
                let mut matched = false;
                for &g in &iface.groups {
                    let range = self.at.groups[g as usize].rules.clone();
                    for ri in range {
                        let rule = &self.at.rules[ri as usize];
                        if self.at.admits(rule, iface, protocol, r.dstport, src) {
                            matched = true;
                            let t = &mut self.rules[ri as usize];
                            t.flows += 1;
                            t.packets = t.packets.saturating_add(r.packets);
                            t.bytes = t.bytes.saturating_add(r.bytes);
                            t.first = Some(t.first.map_or(r.start, |f| f.min(r.start)));
                            t.last = Some(t.last.map_or(r.end, |l| l.max(r.end)));
                            t.sources.get_or_insert_with(Default::default).add(src);
                        }
                    }
                }
                if matched {
                    self.counts.inbound += 1;
                } else {
                    self.counts.unmatched += 1;
                }
            }
        }
    }
}

impl Tally<'_, '_> {
    fn merge(&mut self, other: Tally<'_, '_>) {
        let c = &mut self.counts;
        let o = other.counts;
        c.total += o.total;
        c.inbound += o.inbound;
        c.replies += o.replies;
        c.outbound += o.outbound;
        c.rejected += o.rejected;
        c.nodata += o.nodata;
        c.skipdata += o.skipdata;
        c.unknown_interface += o.unknown_interface;
        c.unmatched += o.unmatched;
        c.outside_window += o.outside_window;
        self.span = (self.span.0.min(other.span.0), self.span.1.max(other.span.1));
        for (mine, theirs) in self.rules.iter_mut().zip(other.rules) {
            if theirs.flows == 0 {
                continue;
            }
            mine.flows += theirs.flows;
            mine.packets = mine.packets.saturating_add(theirs.packets);
            mine.bytes = mine.bytes.saturating_add(theirs.bytes);
            mine.first = [mine.first, theirs.first].into_iter().flatten().min();
            mine.last = [mine.last, theirs.last].into_iter().flatten().max();
            match (&mut mine.sources, theirs.sources) {
                (Some(m), Some(t)) => m.merge(*t),
                (m @ None, t) => *m = t,
                (_, None) => {}
            }
        }
        for (mine, theirs) in self.ifaces.iter_mut().zip(other.ifaces) {
            mine.merge(theirs);
        }
    }
}

/// What the summary says about where its records came from.
pub struct Provenance {
    pub tool: ToolInfo,
    pub snapshot: SnapshotRef,
    pub objects: Vec<LogObject>,
}

/// Merge the threads' tallies into the summary.
pub fn finish<'a, 's>(at: &'a Attributor<'s>, tallies: Vec<Tally<'a, 's>>, provenance: Provenance) -> Usage {
    let mut tallies = tallies.into_iter();
    let mut all = tallies.next().unwrap_or_else(|| at.tally());
    for t in tallies {
        all.merge(t);
    }
    // An open end is where the records begin or end; with no record at
    // all, the snapshot's time.
    let seen = (all.span.0 <= all.span.1).then(|| (all.span.0.div_euclid(3600) * 3600, ceil_hour(all.span.1)));
    let at_snapshot = provenance.snapshot.started_at.unix_timestamp();
    let since = at.window.since.or(seen.map(|s| s.0)).unwrap_or(at_snapshot);
    let until = at.window.until.or(seen.map(|s| s.1)).unwrap_or(at_snapshot).max(since);
    let (since_h, until_h) = (since.div_euclid(3600), ceil_hour(until) / 3600);
    let window = Window {
        since: at_unix(since),
        until: at_unix(until),
        hours: (until_h - since_h).max(0) as u32,
    };

    let iface_hours: Vec<(u32, u32)> = at
        .ifaces
        .iter()
        .zip(&all.ifaces)
        // Silence proves nothing where accepted traffic is not logged, or
        // where nothing shows that it is (no flow log in the snapshot, and
        // no accepted record seen).
        .map(|(i, t)| match (i.accept_logged, t.accepted) {
            (Some(true), _) | (None, true) => t.hours(since_h, until_h),
            _ => (0, 0),
        })
        .collect();
    let mut interfaces: Vec<InterfaceUsage> = at
        .ifaces
        .iter()
        .zip(&all.ifaces)
        .zip(&iface_hours)
        .filter(|((i, _), _)| !i.groups.is_empty())
        .map(|((i, t), &(covered, skipped))| InterfaceUsage {
            account_id: i.account.clone(),
            region: i.region.clone(),
            interface_id: i.id.clone(),
            covered_hours: covered,
            skipped_hours: skipped,
            records: t.records,
            rejects_only: i.accept_logged == Some(false),
            accepts_unproven: i.accept_logged.is_none() && !t.accepted,
        })
        .collect();
    interfaces
        .sort_by(|a, b| (&a.account_id, &a.region, &a.interface_id).cmp(&(&b.account_id, &b.region, &b.interface_id)));

    let unreadable: Vec<(Option<&str>, Option<&str>)> = provenance
        .objects
        .iter()
        .filter(|o| o.error.is_some())
        .map(|o| {
            let path = DeliveryPath::of(&o.location);
            (path.account, path.region)
        })
        .collect();
    let mut groups: Vec<GroupUsage> = at
        .groups
        .iter()
        .filter(|g| !g.ifaces.is_empty())
        .map(|g| {
            let mut ids: Vec<NetworkInterfaceId> = g.ifaces.iter().map(|&i| at.ifaces[i as usize].id.clone()).collect();
            ids.sort();
            let covered = g.ifaces.iter().map(|&i| iface_hours[i as usize].0).min().unwrap_or(0);
            let rules = rules::ingress(g.sg)
                .zip(g.rules.clone())
                .map(|(rule, ri)| {
                    let t = &all.rules[ri as usize];
                    let sources = t.sources.as_deref();
                    RuleUsage {
                        key: rule.key().canonical(),
                        flows: t.flows,
                        packets: t.packets,
                        bytes: t.bytes,
                        distinct_sources: sources.map_or(0, Sources::distinct),
                        sources_complete: sources.is_none_or(Sources::is_complete),
                        first_seen: t.first.map(at_unix),
                        last_seen: t.last.map(at_unix),
                        top_sources: sources
                            .filter(|s| s.is_complete())
                            .map(|s| s.top(TOP_SOURCES))
                            .unwrap_or_default(),
                        sources: sources.map(Sources::all).unwrap_or_default(),
                    }
                })
                .collect();
            GroupUsage {
                account_id: g.account.clone(),
                region: g.region.clone(),
                group_id: g.sg.group_id.clone(),
                interfaces: ids,
                covered_hours: covered,
                unread_objects: unreadable
                    .iter()
                    .filter(|(a, r)| {
                        a.is_none_or(|a| a == g.account.as_str()) && r.is_none_or(|r| r == g.region.as_str())
                    })
                    .count() as u32,
                rules,
            }
        })
        .collect();
    groups.sort_by(|a, b| (&a.account_id, &a.region, &a.group_id).cmp(&(&b.account_id, &b.region, &b.group_id)));

    let mut objects = provenance.objects;
    objects.sort();
    Usage {
        schema_version: USAGE_SCHEMA_VERSION,
        tool: provenance.tool,
        snapshot: provenance.snapshot,
        window,
        objects,
        records: all.counts,
        interfaces,
        groups,
    }
}

fn ceil_hour(t: i64) -> i64 {
    (t + 3599).div_euclid(3600) * 3600
}

fn at_unix(t: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(t).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

#[cfg(test)]
mod tests;
