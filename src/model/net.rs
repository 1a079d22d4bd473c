//! Network vocabulary: protocols, port ranges, CIDR blocks.
//!
//! These are the types every check reasons with, so they carry the exact
//! semantics of AWS rules: protocol `-1` means every protocol and every port,
//! a TCP rule without ports means every TCP port, and two ranges match when
//! they share a port, not when their ends agree.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The IP protocol of a rule, as AWS names it (`tcp`, `udp`, `icmp`,
/// `icmpv6`, `-1` for all, or an IANA protocol number).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Protocol {
    /// `-1`: every protocol, every port.
    All,
    Tcp,
    Udp,
    Icmp,
    Icmpv6,
    /// Any other IANA protocol number.
    Other(u8),
}

#[derive(Debug, thiserror::Error)]
#[error("`{0}` is not an IP protocol (expected tcp, udp, icmp, icmpv6, -1 or a number 0-255)")]
pub struct InvalidProtocol(pub String);

impl Protocol {
    /// The name AWS uses in security group rules.
    pub fn aws_name(self) -> std::borrow::Cow<'static, str> {
        match self {
            Protocol::All => "-1".into(),
            Protocol::Tcp => "tcp".into(),
            Protocol::Udp => "udp".into(),
            Protocol::Icmp => "icmp".into(),
            Protocol::Icmpv6 => "icmpv6".into(),
            Protocol::Other(n) => n.to_string().into(),
        }
    }

    /// The IANA number AWS uses in network ACL entries (`-1` for all).
    pub fn number(self) -> i16 {
        match self {
            Protocol::All => -1,
            Protocol::Tcp => 6,
            Protocol::Udp => 17,
            Protocol::Icmp => 1,
            Protocol::Icmpv6 => 58,
            Protocol::Other(n) => n as i16,
        }
    }

    /// Whether the protocol carries ports (and so a rule on it names a range).
    pub fn has_ports(self) -> bool {
        matches!(self, Protocol::Tcp | Protocol::Udp)
    }

    /// How a person reads it: `all`, `tcp`, `udp`, …
    pub fn label(self) -> std::borrow::Cow<'static, str> {
        match self {
            Protocol::All => "all".into(),
            other => other.aws_name(),
        }
    }
}

impl FromStr for Protocol {
    type Err = InvalidProtocol;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "-1" | "all" => Protocol::All,
            "tcp" | "6" => Protocol::Tcp,
            "udp" | "17" => Protocol::Udp,
            "icmp" | "1" => Protocol::Icmp,
            "icmpv6" | "58" => Protocol::Icmpv6,
            other => match other.parse::<u8>() {
                Ok(n) => Protocol::Other(n),
                Err(_) => return Err(InvalidProtocol(s.to_string())),
            },
        })
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label())
    }
}

impl Serialize for Protocol {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.aws_name())
    }
}

impl<'de> Deserialize<'de> for Protocol {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Protocol;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an IP protocol name or number")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Protocol, E> {
                v.parse().map_err(E::custom)
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Protocol, E> {
                self.visit_str(&v.to_string())
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Protocol, E> {
                self.visit_str(&v.to_string())
            }
        }
        d.deserialize_any(V)
    }
}

/// Serialise a protocol as network ACLs do (`"6"`, `"-1"`), keeping the
/// snapshot's NACL entries in the shape `DescribeNetworkAcls` returns.
pub mod protocol_number {
    use super::Protocol;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(p: &Protocol, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&p.number().to_string())
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Protocol, D::Error> {
        Protocol::deserialize(d)
    }
}

/// An inclusive range of TCP or UDP ports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PortRange {
    pub from: u16,
    pub to: u16,
}

impl PortRange {
    pub const ALL: PortRange = PortRange { from: 0, to: 65535 };

    pub const fn single(port: u16) -> Self {
        PortRange { from: port, to: port }
    }

    pub const fn new(from: u16, to: u16) -> Self {
        PortRange { from, to }
    }

    /// From the `FromPort` / `ToPort` pair of an AWS rule of a port-carrying
    /// protocol. Absent or `-1` values mean every port, as they do in AWS.
    pub fn from_aws(from: Option<i32>, to: Option<i32>) -> Self {
        let clamp = |v: i32| v.clamp(0, 65535) as u16;
        match (from, to) {
            (Some(f), Some(t)) if f >= 0 && t >= 0 && f <= t => PortRange::new(clamp(f), clamp(t)),
            (Some(f), None) if f >= 0 => PortRange::single(clamp(f)),
            _ => PortRange::ALL,
        }
    }

    pub fn contains(self, port: u16) -> bool {
        self.from <= port && port <= self.to
    }

    /// True when the ranges share at least one port.
    pub fn overlaps(self, other: PortRange) -> bool {
        self.from <= other.to && other.from <= self.to
    }

    pub fn covers(self, other: PortRange) -> bool {
        self.from <= other.from && other.to <= self.to
    }

    /// Number of ports in the range.
    pub fn width(self) -> u32 {
        u32::from(self.to) - u32::from(self.from) + 1
    }

    pub fn is_all(self) -> bool {
        self == PortRange::ALL
    }
}

impl fmt::Display for PortRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.from == self.to {
            write!(f, "{}", self.from)
        } else {
            write!(f, "{}-{}", self.from, self.to)
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("`{0}` is not a port or port range (expected e.g. `22` or `5985-5986`, ports 0-65535)")]
pub struct InvalidPortRange(pub String);

impl FromStr for PortRange {
    type Err = InvalidPortRange;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || InvalidPortRange(s.to_string());
        let (a, b) = match s.split_once('-') {
            Some((a, b)) => (a, b),
            None => (s, s),
        };
        let from: u16 = a.trim().parse().map_err(|_| err())?;
        let to: u16 = b.trim().parse().map_err(|_| err())?;
        if from > to {
            return Err(err());
        }
        Ok(PortRange { from, to })
    }
}

/// Which transport a configured service port is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    Tcp,
    Udp,
    /// TCP or UDP: used where a control names a port but no protocol (EC2.19).
    Any,
}

impl Transport {
    /// Whether traffic of this transport can pass a rule on `protocol`.
    pub fn passes(self, protocol: Protocol) -> bool {
        matches!(
            (self, protocol),
            (_, Protocol::All)
                | (Transport::Tcp, Protocol::Tcp)
                | (Transport::Udp, Protocol::Udp)
                | (Transport::Any, Protocol::Tcp | Protocol::Udp)
        )
    }
}

/// A port range on a transport: `22/tcp`, `3389/udp`, `5985-5986/tcp`, or
/// `9200` (TCP or UDP).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ServicePort {
    pub ports: PortRange,
    pub transport: Transport,
}

impl ServicePort {
    pub const fn tcp(port: u16) -> Self {
        ServicePort {
            ports: PortRange::single(port),
            transport: Transport::Tcp,
        }
    }
    pub const fn udp(port: u16) -> Self {
        ServicePort {
            ports: PortRange::single(port),
            transport: Transport::Udp,
        }
    }
    pub const fn any(port: u16) -> Self {
        ServicePort {
            ports: PortRange::single(port),
            transport: Transport::Any,
        }
    }

    /// Whether a rule on `protocol` over `ports` lets traffic to this service
    /// through: the protocol must carry the transport and the ranges must share
    /// a port.
    pub fn is_open_in(self, protocol: Protocol, ports: PortRange) -> bool {
        self.transport.passes(protocol) && ports.overlaps(self.ports)
    }

    /// Whether traffic on `protocol` to `port` is this service's.
    pub fn admits(self, protocol: Protocol, port: u16) -> bool {
        self.is_open_in(protocol, PortRange::single(port))
    }
}

impl fmt::Display for ServicePort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.transport {
            Transport::Tcp => write!(f, "{}/tcp", self.ports),
            Transport::Udp => write!(f, "{}/udp", self.ports),
            Transport::Any => write!(f, "{}", self.ports),
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("`{0}` is not a service port (expected e.g. `22/tcp`, `3389/udp`, `5985-5986/tcp` or `9200` for TCP and UDP)")]
pub struct InvalidServicePort(pub String);

impl FromStr for ServicePort {
    type Err = InvalidServicePort;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || InvalidServicePort(s.to_string());
        let (ports, transport) = match s.split_once('/') {
            Some((p, t)) => (
                p,
                match t.trim().to_ascii_lowercase().as_str() {
                    "tcp" => Transport::Tcp,
                    "udp" => Transport::Udp,
                    "any" => Transport::Any,
                    _ => return Err(err()),
                },
            ),
            None => (s, Transport::Any),
        };
        Ok(ServicePort {
            ports: ports.parse().map_err(|_| err())?,
            transport,
        })
    }
}

impl Serialize for ServicePort {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ServicePort {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// An IPv4 or IPv6 CIDR block.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cidr(pub IpNet);

#[derive(Debug, thiserror::Error)]
#[error("`{0}` is not a CIDR block (expected e.g. `10.0.0.0/16` or `2001:db8::/32`)")]
pub struct InvalidCidr(pub String);

/// Address space that is not reachable from the internet: RFC 1918, shared
/// address space (RFC 6598), loopback, link-local, and IPv6 unique-local.
const NON_PUBLIC_V4: &[(u8, u8, u8, u8, u8)] = &[
    (10, 0, 0, 0, 8),
    (172, 16, 0, 0, 12),
    (192, 168, 0, 0, 16),
    (100, 64, 0, 0, 10),
    (127, 0, 0, 0, 8),
    (169, 254, 0, 0, 16),
];

impl Cidr {
    pub fn net(&self) -> IpNet {
        self.0
    }
    pub fn prefix_len(&self) -> u8 {
        self.0.prefix_len()
    }
    pub fn is_ipv6(&self) -> bool {
        matches!(self.0, IpNet::V6(_))
    }

    /// `0.0.0.0/0` or `::/0`: every address of the family, "anywhere".
    pub fn is_anywhere(&self) -> bool {
        self.0.prefix_len() == 0
    }

    /// Whether every address of the block is non-public (private, shared,
    /// loopback, link-local, unique-local).
    pub fn is_private(&self) -> bool {
        match self.0 {
            IpNet::V4(net) => NON_PUBLIC_V4.iter().any(|&(a, b, c, d, len)| {
                Ipv4Net::new(std::net::Ipv4Addr::new(a, b, c, d), len)
                    .map(|p| p.contains(&net))
                    .unwrap_or(false)
            }),
            IpNet::V6(net) => {
                let ula: Ipv6Net = "fc00::/7".parse().expect("valid");
                let link: Ipv6Net = "fe80::/10".parse().expect("valid");
                let lo: Ipv6Net = "::1/128".parse().expect("valid");
                ula.contains(&net) || link.contains(&net) || lo.contains(&net)
            }
        }
    }

    /// Number of addresses, as a power of two: `2^(bits - prefix)`.
    pub fn host_bits(&self) -> u8 {
        self.0.max_prefix_len() - self.0.prefix_len()
    }

    /// Human size: `65,536 addresses`, or `2^64 addresses` for large IPv6 blocks.
    pub fn size_label(&self) -> String {
        let bits = self.host_bits();
        if bits <= 32 {
            let n: u64 = 1u64 << bits;
            let mut s = n.to_string();
            let mut i = s.len() as isize - 3;
            while i > 0 {
                s.insert(i as usize, ',');
                i -= 3;
            }
            if n == 1 {
                "1 address".to_string()
            } else {
                format!("{s} addresses")
            }
        } else {
            format!("2^{bits} addresses")
        }
    }

    pub fn contains(&self, other: &Cidr) -> bool {
        self.0.contains(&other.0)
    }

    pub fn contains_addr(&self, addr: IpAddr) -> bool {
        self.0.contains(&addr)
    }

    /// True for a single host: /32 or /128.
    pub fn is_host(&self) -> bool {
        self.host_bits() == 0
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl FromStr for Cidr {
    type Err = InvalidCidr;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.trim()
            .parse::<IpNet>()
            .map(Cidr)
            .map_err(|_| InvalidCidr(s.to_string()))
    }
}

impl Serialize for Cidr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Cidr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Cidr;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a CIDR block")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Cidr, E> {
                v.parse().map_err(E::custom)
            }
        }
        d.deserialize_str(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cidr(s: &str) -> Cidr {
        s.parse().unwrap()
    }

    #[test]
    fn protocol_names_and_numbers_agree() {
        for (s, p) in [
            ("-1", Protocol::All),
            ("tcp", Protocol::Tcp),
            ("6", Protocol::Tcp),
            ("UDP", Protocol::Udp),
            ("17", Protocol::Udp),
            ("icmpv6", Protocol::Icmpv6),
            ("50", Protocol::Other(50)),
        ] {
            assert_eq!(s.parse::<Protocol>().unwrap(), p, "{s}");
        }
        assert!("sctp".parse::<Protocol>().is_err());
        assert_eq!(serde_json::from_str::<Protocol>("-1").unwrap(), Protocol::All);
    }

    #[test]
    fn port_ranges_match_by_overlap_not_by_their_ends() {
        let r = PortRange::new(20, 25);
        assert!(r.contains(22));
        assert!(ServicePort::tcp(22).is_open_in(Protocol::Tcp, r));
        // A range ending at 21 does not reach 22.
        assert!(!ServicePort::tcp(22).is_open_in(Protocol::Tcp, PortRange::new(0, 21)));
        // WinRM 5985-5986 is open when either port is.
        let winrm: ServicePort = "5985-5986/tcp".parse().unwrap();
        assert!(winrm.is_open_in(Protocol::Tcp, PortRange::single(5986)));
    }

    #[test]
    fn udp_is_not_tcp_but_all_is_both() {
        let ssh = ServicePort::tcp(22);
        assert!(!ssh.is_open_in(Protocol::Udp, PortRange::single(22)));
        assert!(ssh.is_open_in(Protocol::All, PortRange::ALL));
        assert!(ServicePort::any(22).is_open_in(Protocol::Udp, PortRange::single(22)));
        assert!(!ServicePort::any(22).is_open_in(Protocol::Icmp, PortRange::ALL));
    }

    #[test]
    fn aws_port_pairs() {
        assert_eq!(PortRange::from_aws(Some(22), Some(22)), PortRange::single(22));
        assert_eq!(PortRange::from_aws(Some(-1), Some(-1)), PortRange::ALL);
        assert_eq!(PortRange::from_aws(None, None), PortRange::ALL);
    }

    #[test]
    fn service_ports_parse() {
        assert_eq!("22/tcp".parse::<ServicePort>().unwrap(), ServicePort::tcp(22));
        assert_eq!("9200".parse::<ServicePort>().unwrap(), ServicePort::any(9200));
        assert!("70000/tcp".parse::<ServicePort>().is_err());
        assert!("22/sctp".parse::<ServicePort>().is_err());
        assert!("30-20/tcp".parse::<ServicePort>().is_err());
    }

    #[test]
    fn cidr_classes() {
        assert!(cidr("0.0.0.0/0").is_anywhere());
        assert!(cidr("::/0").is_anywhere());
        assert!(!cidr("0.0.0.0/1").is_anywhere());
        assert!(cidr("10.1.0.0/16").is_private());
        assert!(cidr("fd00::/8").is_private());
        assert!(!cidr("0.0.0.0/0").is_private());
        assert!(!cidr("52.84.0.0/15").is_private());
        assert_eq!(cidr("52.84.0.0/20").size_label(), "4,096 addresses");
        assert_eq!(cidr("203.0.113.7/32").size_label(), "1 address");
        assert_eq!(cidr("2001:db8::/32").size_label(), "2^96 addresses");
    }
}
