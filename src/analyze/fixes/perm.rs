//! A security-group permission as a change names it: protocol, ports (or
//! ICMP type and code), one peer.

use crate::model::{AccountId, Cidr, PortRange, PrefixListId, Protocol, SecurityGroupId};

use super::Placeholder;
use crate::analyze::finding::{RuleEvidence, SourceKey};
use crate::analyze::rules::{Icmp, Rule, Source};

/// Where a permission lets traffic come from (or go to).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Peer {
    Cidr(Cidr),
    /// A security group; `account` when it is another account's.
    Group {
        id: SecurityGroupId,
        account: Option<AccountId>,
    },
    PrefixList(PrefixListId),
    Placeholder(Placeholder),
}

/// One permission of a security group, exactly as AWS matches it when it is
/// revoked: protocol, ports (or ICMP type and code), one peer.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Perm {
    pub egress: bool,
    pub protocol: Protocol,
    /// For TCP and UDP; `None` for every other protocol.
    pub ports: Option<PortRange>,
    /// For ICMP and ICMPv6: type and code (`None`: all).
    pub icmp: Option<(Option<u8>, Option<u8>)>,
    pub peer: Peer,
}

impl Perm {
    pub fn of_rule(rule: &Rule, owner: Option<&AccountId>) -> Perm {
        let peer = match rule.source {
            Source::Cidr(c) => Peer::Cidr(c),
            Source::PrefixList(id) => Peer::PrefixList(id.clone()),
            Source::Group(pair) => match &pair.group_id {
                Some(id) => Peer::Group {
                    id: id.clone(),
                    account: pair.user_id.clone().filter(|u| Some(u) != owner),
                },
                None => Peer::Placeholder(Placeholder::SourceGroup),
            },
        };
        Perm {
            egress: rule.egress,
            protocol: rule.protocol,
            ports: rule
                .ports
                .filter(|_| matches!(rule.protocol, Protocol::Tcp | Protocol::Udp)),
            icmp: rule.icmp.map(|i: Icmp| (i.kind, i.code)),
            peer,
        }
    }

    /// The permission a finding quotes.
    pub fn of_evidence(e: &RuleEvidence, owner: &AccountId) -> Perm {
        let k = &e.key;
        let peer = match &k.source {
            SourceKey::Cidr(c) => Peer::Cidr(*c),
            SourceKey::PrefixList(id) => Peer::PrefixList(id.clone()),
            SourceKey::Group {
                id: Some(id), account, ..
            } => Peer::Group {
                id: id.clone(),
                account: account.clone().filter(|a| a != owner),
            },
            SourceKey::Group { id: None, .. } => Peer::Placeholder(Placeholder::SourceGroup),
        };
        Perm {
            egress: k.egress,
            protocol: k.protocol,
            ports: k.ports.filter(|_| matches!(k.protocol, Protocol::Tcp | Protocol::Udp)),
            icmp: e.icmp,
            peer,
        }
    }

    /// The same traffic from (or to) another peer.
    pub fn with_peer(&self, peer: Peer) -> Perm {
        Perm { peer, ..self.clone() }
    }

    /// `FromPort` and `ToPort` as AWS writes them: the port range for TCP
    /// and UDP, ICMP's type and code (-1 for all), none for other protocols.
    pub fn aws_ports(&self) -> Option<(i32, i32)> {
        match (self.protocol, self.ports, self.icmp) {
            (Protocol::Tcp | Protocol::Udp, Some(r), _) => Some((i32::from(r.from), i32::from(r.to))),
            (Protocol::Icmp | Protocol::Icmpv6, _, icmp) => {
                let (t, c) = icmp.unwrap_or((None, None));
                Some((t.map_or(-1, i32::from), c.map_or(-1, i32::from)))
            }
            _ => None,
        }
    }

    pub fn placeholder(&self) -> Option<Placeholder> {
        match self.peer {
            Peer::Placeholder(p) => Some(p),
            _ => None,
        }
    }

    /// `tcp 22`, `all traffic`, `icmp type 3 code 4`, for comments.
    pub fn traffic(&self) -> String {
        match (self.protocol, self.ports, self.icmp) {
            (Protocol::All, _, _) => "all traffic".into(),
            (p, Some(r), _) => format!("{} {r}", p.label()),
            (p, None, Some((t, c))) => match (t, c) {
                (None, _) => format!("{} (all types)", p.label()),
                (Some(t), None) => format!("{} type {t}", p.label()),
                (Some(t), Some(c)) => format!("{} type {t} code {c}", p.label()),
            },
            (p, None, None) => p.label().into_owned(),
        }
    }
}

impl Perm {
    /// The same peer, on each of `served` that lies inside this
    /// permission's traffic: the narrower rules that replace a wide one.
    pub fn narrowed_to(&self, served: &[crate::model::ServicePort]) -> Vec<Perm> {
        use crate::model::Transport;
        let mut out = Vec::new();
        for sp in served {
            let protocols: &[Protocol] = match sp.transport {
                Transport::Tcp => &[Protocol::Tcp],
                Transport::Udp => &[Protocol::Udp],
                Transport::Any => &[Protocol::Tcp, Protocol::Udp],
            };
            for &protocol in protocols {
                let inside = match self.protocol {
                    Protocol::All => true,
                    p if p == protocol => self.ports.is_none_or(|r| r.covers(sp.ports)),
                    _ => false,
                };
                let perm = Perm {
                    egress: self.egress,
                    protocol,
                    ports: Some(sp.ports),
                    icmp: None,
                    peer: self.peer.clone(),
                };
                if inside && !out.contains(&perm) {
                    out.push(perm);
                }
            }
        }
        out
    }
}
