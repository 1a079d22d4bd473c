//! Network ACLs: stateless, evaluated per packet in rule-number order, the
//! first entry that matches deciding; no match is the implicit `*` deny.
//!
//! A packet here is a protocol, a destination port (none for protocols
//! without ports) and the remote address: the source for inbound entries,
//! the destination for outbound ones. Whether a *range* of ports gets
//! through is decided port by port, but the answer only changes where an
//! entry's range starts or ends, so only those ports are tried
//! ([`first_admitted`]); a property test checks that against every port.

use std::net::IpAddr;

use crate::model::{NetworkAcl, NetworkAclEntry, NetworkAclId, PortRange, Protocol};

/// The ephemeral ports a client's reply goes to, as AWS documents for
/// network ACLs that must let return traffic out.
pub const EPHEMERAL: PortRange = PortRange::new(1024, 65535);

/// One network ACL, its entries sorted by rule number, per direction.
#[derive(Debug)]
pub struct Acl<'s> {
    pub id: &'s NetworkAclId,
    pub inbound: Vec<&'s NetworkAclEntry>,
    pub outbound: Vec<&'s NetworkAclEntry>,
}

impl<'s> Acl<'s> {
    pub fn new(acl: &'s NetworkAcl) -> Self {
        let mut inbound: Vec<&NetworkAclEntry> = acl.entries.iter().filter(|e| !e.egress).collect();
        let mut outbound: Vec<&NetworkAclEntry> = acl.entries.iter().filter(|e| e.egress).collect();
        inbound.sort_by_key(|e| e.rule_number);
        outbound.sort_by_key(|e| e.rule_number);
        Acl {
            id: &acl.network_acl_id,
            inbound,
            outbound,
        }
    }
}

/// Whether `entry` matches a packet of `protocol` to `port` with remote address `addr`.
fn matches(entry: &NetworkAclEntry, protocol: Protocol, port: Option<u16>, addr: IpAddr) -> bool {
    let Some(cidr) = entry.cidr() else { return false };
    if !cidr.contains_addr(addr) {
        return false;
    }
    match entry.protocol {
        Protocol::All => true,
        p if p != protocol => false,
        // An entry's range applies to TCP and UDP only.
        Protocol::Tcp | Protocol::Udp => port.is_none_or(|port| entry.ports().contains(port)),
        _ => true,
    }
}

/// The entry that decides one packet; `None` is the implicit final deny.
pub fn decide<'s>(
    entries: &[&'s NetworkAclEntry],
    protocol: Protocol,
    port: Option<u16>,
    addr: IpAddr,
) -> Option<&'s NetworkAclEntry> {
    entries.iter().copied().find(|e| matches(e, protocol, port, addr))
}

/// How the entries treat some traffic to (or from) one remote address.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Decision<'s> {
    /// The first port that gets through, and the entry that lets it.
    Admitted { port: Option<u16>, by: &'s NetworkAclEntry },
    /// No port gets through: the entry that stops the first port (`None`:
    /// the implicit final deny).
    Denied { by: Option<&'s NetworkAclEntry> },
}

/// The ports of `ports` where the decision can change: its first port, and
/// every start and end of an entry's range inside it.
fn breakpoints(entries: &[&NetworkAclEntry], ports: PortRange) -> Vec<u16> {
    let mut points = vec![ports.from];
    for e in entries {
        let r = e.ports();
        if ports.contains(r.from) {
            points.push(r.from);
        }
        if r.to < u16::MAX && ports.contains(r.to + 1) {
            points.push(r.to + 1);
        }
    }
    points.sort_unstable();
    points.dedup();
    points
}

/// Whether any packet of `protocol` on `ports` (`None` for protocols
/// without ports) with remote address `addr` gets through.
pub fn first_admitted<'s>(
    entries: &[&'s NetworkAclEntry],
    protocol: Protocol,
    ports: Option<PortRange>,
    addr: IpAddr,
) -> Decision<'s> {
    let Some(range) = ports.filter(|_| protocol.has_ports()) else {
        return match decide(entries, protocol, None, addr) {
            Some(e) if e.is_allow() => Decision::Admitted { port: None, by: e },
            by => Decision::Denied { by },
        };
    };
    let mut first_denier = None;
    for (i, port) in breakpoints(entries, range).into_iter().enumerate() {
        match decide(entries, protocol, Some(port), addr) {
            Some(e) if e.is_allow() => {
                return Decision::Admitted {
                    port: Some(port),
                    by: e,
                }
            }
            by if i == 0 => first_denier = by,
            _ => {}
        }
    }
    Decision::Denied { by: first_denier }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Cidr, NaclPortRange};
    use proptest::prelude::*;

    fn entry(
        rule_number: i32,
        allow: bool,
        protocol: Protocol,
        ports: Option<(u16, u16)>,
        cidr: &str,
    ) -> NetworkAclEntry {
        let cidr: Cidr = cidr.parse().unwrap();
        NetworkAclEntry {
            rule_number,
            protocol,
            rule_action: if allow { "allow" } else { "deny" }.into(),
            egress: false,
            cidr_block: (!cidr.is_ipv6()).then_some(cidr),
            ipv6_cidr_block: cidr.is_ipv6().then_some(cidr),
            port_range: ports.map(|(from, to)| NaclPortRange {
                from: i32::from(from),
                to: i32::from(to),
            }),
        }
    }

    fn client() -> IpAddr {
        "198.51.100.7".parse().unwrap()
    }

    #[test]
    fn the_first_matching_entry_decides_and_a_later_allow_does_not_help() {
        let entries = [
            entry(50, false, Protocol::Tcp, Some((22, 22)), "0.0.0.0/0"),
            entry(100, true, Protocol::All, None, "0.0.0.0/0"),
        ];
        let refs: Vec<&NetworkAclEntry> = entries.iter().collect();
        let ssh = first_admitted(&refs, Protocol::Tcp, Some(PortRange::single(22)), client());
        assert_eq!(ssh, Decision::Denied { by: Some(&entries[0]) });
        let https = first_admitted(&refs, Protocol::Tcp, Some(PortRange::single(443)), client());
        assert_eq!(
            https,
            Decision::Admitted {
                port: Some(443),
                by: &entries[1]
            }
        );
        // A range around the denied port still gets through beside it.
        let range = first_admitted(&refs, Protocol::Tcp, Some(PortRange::new(20, 25)), client());
        assert_eq!(
            range,
            Decision::Admitted {
                port: Some(20),
                by: &entries[1]
            }
        );
    }

    #[test]
    fn udp_entries_do_not_admit_tcp_and_other_families_do_not_match() {
        let entries = [
            entry(100, true, Protocol::Udp, Some((0, 65535)), "0.0.0.0/0"),
            entry(110, true, Protocol::All, None, "::/0"),
        ];
        let refs: Vec<&NetworkAclEntry> = entries.iter().collect();
        assert_eq!(
            first_admitted(&refs, Protocol::Tcp, Some(PortRange::single(22)), client()),
            Decision::Denied { by: None }
        );
    }

    /// A small ACL: up to six entries over a few ports and two address blocks.
    fn entries() -> impl Strategy<Value = Vec<NetworkAclEntry>> {
        let one = (
            1i32..200,
            any::<bool>(),
            prop_oneof![Just(Protocol::All), Just(Protocol::Tcp), Just(Protocol::Udp)],
            prop::option::of((0u16..40, 0u16..40)),
            prop_oneof![Just("0.0.0.0/0"), Just("198.51.100.0/24"), Just("203.0.113.0/24")],
        )
            .prop_map(|(n, allow, p, ports, cidr)| {
                let ports = ports.map(|(a, b)| (a.min(b), a.max(b)));
                entry(n, allow, p, ports, cidr)
            });
        prop::collection::vec(one, 0..6)
    }

    proptest! {
        /// The breakpoint search agrees with trying every port of the range.
        #[test]
        fn agrees_with_a_port_by_port_simulation(
            mut list in entries(),
            protocol in prop_oneof![Just(Protocol::Tcp), Just(Protocol::Udp)],
            (a, b) in (0u16..45, 0u16..45),
        ) {
            list.sort_by_key(|e| e.rule_number);
            let refs: Vec<&NetworkAclEntry> = list.iter().collect();
            let range = PortRange::new(a.min(b), a.max(b));
            let brute = (range.from..=range.to)
                .find(|&p| decide(&refs, protocol, Some(p), client()).is_some_and(|e| e.is_allow()));
            match first_admitted(&refs, protocol, Some(range), client()) {
                Decision::Admitted { port, by } => {
                    prop_assert_eq!(port, brute);
                    prop_assert_eq!(Some(by), decide(&refs, protocol, port, client()));
                }
                Decision::Denied { by } => {
                    prop_assert_eq!(brute, None);
                    prop_assert_eq!(by, decide(&refs, protocol, Some(range.from), client()));
                }
            }
        }
    }
}
