//! Which leg of a connection a record is, seen from its interface.
//!
//! Security groups are stateful: a rule admits the packets that open a
//! connection, and the replies to a connection the interface opened need no
//! rule at all. So only the records of traffic arriving to open a connection
//! count as a rule's use. A record says where its packets went (`flow-direction`,
//! or the addresses), but not who opened the connection; for that:
//!
//! 1. TCP flags, when the format has them: SYN without ACK is the opener's
//!    leg, SYN-ACK (18) the answer.
//! 2. Otherwise the ports: from a well-known port (below 1024) to a port
//!    above it, or from a registered port (below 32768) to an ephemeral one
//!    (32768 and up) that no rule names specifically, is a reply.
//! 3. Otherwise it is a new connection.

use std::net::IpAddr;

use crate::model::usage::{FlowDirection, FlowRecord};

/// The leg a record is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Leg {
    /// Arriving, to open a connection: an ingress rule admitted it.
    Inbound,
    /// Arriving, as the reply to a connection the interface opened.
    Reply,
    /// Leaving the interface (or passing through it).
    Outbound,
}

const SYN: u16 = 2;
const ACK: u16 = 16;
const TCP: u8 = 6;
const UDP: u8 = 17;
/// Where Linux, Windows and NAT gateways pick client ports from, at the top.
const EPHEMERAL_FROM: u16 = 32768;

/// The packet's source and destination: the packet-level addresses where
/// the format has them (what the security group sees), else the record's.
pub fn addresses(r: &FlowRecord<'_>) -> (Option<IpAddr>, Option<IpAddr>) {
    (r.pkt_srcaddr.or(r.srcaddr), r.pkt_dstaddr.or(r.dstaddr))
}

/// Classify a record of an interface whose addresses are `own`.
/// `named_port(p)`: whether one of the interface's ingress rules names port
/// `p` specifically (a range that does not take in the ephemeral ports).
pub fn leg(r: &FlowRecord<'_>, own: &[IpAddr], named_port: impl Fn(u16) -> bool) -> Leg {
    let arriving = match r.flow_direction {
        Some(FlowDirection::Ingress) => true,
        Some(FlowDirection::Egress) => false,
        None => [r.dstaddr, r.pkt_dstaddr].iter().flatten().any(|a| own.contains(a)),
    };
    if !arriving {
        return Leg::Outbound;
    }
    if r.protocol == Some(TCP) {
        if let Some(flags) = r.tcp_flags {
            if flags & SYN != 0 {
                return if flags & ACK != 0 { Leg::Reply } else { Leg::Inbound };
            }
        }
    }
    if matches!(r.protocol, Some(TCP) | Some(UDP)) {
        if let (Some(src), Some(dst)) = (r.srcport, r.dstport) {
            let from_service = (src < 1024 && dst >= 1024) || (src < EPHEMERAL_FROM && dst >= EPHEMERAL_FROM);
            if from_service && !named_port(dst) {
                return Leg::Reply;
            }
        }
    }
    Leg::Inbound
}

#[cfg(test)]
mod tests {
    use super::*;

    const ME: &str = "10.0.1.10";

    fn rec(src: &str, sport: u16, dst: &str, dport: u16) -> FlowRecord<'static> {
        FlowRecord {
            srcaddr: src.parse().ok(),
            dstaddr: dst.parse().ok(),
            srcport: Some(sport),
            dstport: Some(dport),
            protocol: Some(TCP),
            ..Default::default()
        }
    }

    fn leg_of(r: &FlowRecord<'_>) -> Leg {
        leg(r, &[ME.parse().unwrap()], |p| p == 8443)
    }

    #[test]
    fn ssh_arriving_from_the_internet_is_inbound() {
        assert_eq!(leg_of(&rec("198.51.100.7", 51234, ME, 22)), Leg::Inbound);
    }

    #[test]
    fn the_answer_to_our_own_https_call_is_a_reply() {
        // Source port 443, destination an ephemeral port of ours.
        assert_eq!(leg_of(&rec("93.184.216.34", 443, ME, 40001)), Leg::Reply);
        assert_eq!(leg_of(&rec("93.184.216.34", 443, ME, 2049)), Leg::Reply);
        // A database answering on a registered port.
        assert_eq!(leg_of(&rec("10.0.2.5", 5432, ME, 51000)), Leg::Reply);
    }

    #[test]
    fn a_port_a_rule_names_is_a_listener_even_in_the_ephemeral_range() {
        assert_eq!(leg_of(&rec("10.0.2.5", 5432, ME, 8443)), Leg::Inbound);
    }

    #[test]
    fn tcp_flags_decide_before_ports() {
        let mut r = rec("198.51.100.7", 443, ME, 40001);
        r.tcp_flags = Some(SYN | 1); // SYN and FIN: the opener's leg
        assert_eq!(leg_of(&r), Leg::Inbound);
        let mut r = rec("198.51.100.7", 40001, ME, 22);
        r.tcp_flags = Some(18 | 1); // SYN-ACK: the answer
        assert_eq!(leg_of(&r), Leg::Reply);
    }

    #[test]
    fn leaving_traffic_is_outbound() {
        assert_eq!(leg_of(&rec(ME, 40001, "93.184.216.34", 443)), Leg::Outbound);
        let mut r = rec("198.51.100.7", 51234, ME, 22);
        r.flow_direction = Some(FlowDirection::Egress);
        assert_eq!(leg_of(&r), Leg::Outbound);
    }

    #[test]
    fn a_client_address_kept_by_a_network_load_balancer_is_inbound() {
        // The target sees the client's own address and port.
        assert_eq!(leg_of(&rec("203.0.113.40", 61000, ME, 8080)), Leg::Inbound);
    }

    #[test]
    fn the_packet_level_destination_counts_as_ours() {
        let mut r = rec("10.0.9.9", 50000, "10.0.1.99", 80);
        r.pkt_dstaddr = ME.parse().ok();
        assert_eq!(leg_of(&r), Leg::Inbound);
    }
}
