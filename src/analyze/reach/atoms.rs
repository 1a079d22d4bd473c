//! Which client addresses to try.
//!
//! A rule's source (`0.0.0.0/0`, a CDN's `/20`, a prefix list's entries) is a
//! block of addresses, and the route table and network ACLs treat the
//! addresses of a block alike except where one of their own blocks starts
//! or ends. So the verdict for a whole block is the best verdict over one
//! address of each piece that the tables' blocks cut it into. Only internet
//! addresses are tried: a client in `10.0.0.0/8` is not on the internet,
//! whatever the rule says.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

use crate::model::Cidr;

/// IPv4 space that is not on the internet: "this network", RFC 1918, shared
/// address space, loopback, link-local, multicast and reserved.
const NOT_INTERNET_V4: [(Ipv4Addr, u8); 8] = [
    (Ipv4Addr::new(0, 0, 0, 0), 8),
    (Ipv4Addr::new(10, 0, 0, 0), 8),
    (Ipv4Addr::new(100, 64, 0, 0), 10),
    (Ipv4Addr::new(127, 0, 0, 0), 8),
    (Ipv4Addr::new(169, 254, 0, 0), 16),
    (Ipv4Addr::new(172, 16, 0, 0), 12),
    (Ipv4Addr::new(192, 168, 0, 0), 16),
    (Ipv4Addr::new(224, 0, 0, 0), 3),
];

/// The IPv6 internet: global unicast, `2000::/3`.
fn internet_v6() -> Ipv6Net {
    Ipv6Net::new(Ipv6Addr::new(0x2000, 0, 0, 0, 0, 0, 0, 0), 3).expect("valid")
}

fn not_internet(family_v6: bool) -> Vec<IpNet> {
    if family_v6 {
        // Everything outside 2000::/3, as the two halves and the quarter around it.
        ["::/3", "4000::/2", "8000::/1"]
            .iter()
            .map(|s| s.parse().expect("valid"))
            .collect()
    } else {
        NOT_INTERNET_V4
            .iter()
            .map(|&(a, len)| IpNet::V4(Ipv4Net::new(a, len).expect("valid")))
            .collect()
    }
}

/// Whether a block holds any internet address: it is not inside one of the
/// blocks that are not on the internet (no two of which tile a larger
/// block, so "inside one" is the whole test).
pub fn has_internet(block: Cidr) -> bool {
    match block.net() {
        IpNet::V4(net) => !NOT_INTERNET_V4
            .iter()
            .any(|&(n, len)| Ipv4Net::new(n, len).expect("valid").contains(&net)),
        IpNet::V6(net) => {
            let internet = internet_v6();
            internet.contains(&net) || net.contains(&internet)
        }
    }
}

fn is_internet(addr: IpAddr) -> bool {
    match addr {
        IpAddr::V4(a) => !NOT_INTERNET_V4
            .iter()
            .any(|&(n, len)| Ipv4Net::new(n, len).expect("valid").contains(&a)),
        IpAddr::V6(a) => internet_v6().contains(&a),
    }
}

fn halves(net: IpNet) -> Option<(IpNet, IpNet)> {
    let sub = net.subnets(net.prefix_len() + 1).ok()?;
    let parts: Vec<IpNet> = sub.take(2).collect();
    Some((parts[0], parts[1]))
}

/// An address of `block` outside every one of `inner`, if there is one.
fn uncovered(block: IpNet, inner: &[IpNet]) -> Option<IpAddr> {
    let touching: Vec<IpNet> = inner
        .iter()
        .copied()
        .filter(|c| c.contains(&block) || block.contains(c))
        .collect();
    if touching.is_empty() {
        return Some(block.network());
    }
    if touching.iter().any(|c| c.contains(&block)) {
        return None;
    }
    let (a, b) = halves(block)?;
    uncovered(a, &touching).or_else(|| uncovered(b, &touching))
}

/// Whether the union of `blocks` (of one family) holds every internet
/// address of that family: `0.0.0.0/1` with `128.0.0.0/1`, `2000::/3`, or
/// every public IPv4 range without the private ones.
pub fn covers_internet(blocks: &[Cidr]) -> bool {
    let Some(first) = blocks.first() else { return false };
    let v6 = first.is_ipv6();
    let space: IpNet = if v6 { "::/0" } else { "0.0.0.0/0" }.parse().expect("valid");
    let mut inner: Vec<IpNet> = blocks
        .iter()
        .filter(|b| b.is_ipv6() == v6)
        .map(|b| b.net())
        .chain(not_internet(v6))
        .collect();
    inner.sort();
    inner.dedup();
    uncovered(space, &inner).is_none()
}

/// One internet address of `source` for each piece that `blocks` cut it
/// into, in address order. Empty when `source` holds no internet address.
pub fn representatives(source: Cidr, blocks: &[Cidr]) -> Vec<IpAddr> {
    let source = source.net();
    let v6 = matches!(source, IpNet::V6(_));
    let mut cuts: Vec<IpNet> = blocks
        .iter()
        .map(|c| c.net())
        .filter(|c| matches!(c, IpNet::V6(_)) == v6)
        .chain(not_internet(v6))
        .collect();
    cuts.sort();
    cuts.dedup();
    // Each piece is a block (the source itself, or a cut inside it) minus
    // the cuts strictly inside that block.
    let mut pieces: Vec<IpNet> = vec![source];
    pieces.extend(cuts.iter().copied().filter(|c| source.contains(c) && *c != source));
    let mut out: Vec<IpAddr> = pieces
        .iter()
        .filter_map(|&piece| {
            let inner: Vec<IpNet> = cuts
                .iter()
                .copied()
                .filter(|c| piece.contains(c) && *c != piece)
                .collect();
            uncovered(piece, &inner)
        })
        .filter(|a| is_internet(*a))
        .collect();
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reps(source: &str, blocks: &[&str]) -> Vec<String> {
        let blocks: Vec<Cidr> = blocks.iter().map(|b| b.parse().unwrap()).collect();
        representatives(source.parse().unwrap(), &blocks)
            .iter()
            .map(|a| a.to_string())
            .collect()
    }

    #[test]
    fn anywhere_is_tried_once_per_piece_that_matters_and_never_from_private_space() {
        // Nothing cuts the internet: one address, a public one.
        let one = reps("0.0.0.0/0", &[]);
        assert_eq!(one.len(), 1, "{one:?}");
        assert!(is_internet(one[0].parse().unwrap()));
        // An ACL entry for one /24 makes it a piece of its own.
        let two = reps("0.0.0.0/0", &["198.51.100.0/24"]);
        assert!(two.contains(&"198.51.100.0".to_string()), "{two:?}");
        assert_eq!(two.len(), 2, "{two:?}");
        // A private source is not on the internet at all.
        assert!(reps("10.0.0.0/8", &[]).is_empty());
        // A single public host is itself.
        assert_eq!(reps("203.0.113.7/32", &["0.0.0.0/0"]), ["203.0.113.7"]);
    }

    #[test]
    fn halves_and_public_ranges_together_cover_the_internet() {
        let c = |list: &[&str]| covers_internet(&list.iter().map(|s| s.parse().unwrap()).collect::<Vec<Cidr>>());
        assert!(c(&["0.0.0.0/1", "128.0.0.0/1"]));
        assert!(c(&["2000::/3"]));
        assert!(!c(&["0.0.0.0/1"]));
        assert!(!c(&["0.0.0.0/1", "128.0.0.0/2"]));
        // Every public IPv4 range, the private ones left out.
        assert!(c(&[
            "1.0.0.0/8",
            "2.0.0.0/7",
            "4.0.0.0/6",
            "8.0.0.0/7",
            "11.0.0.0/8",
            "12.0.0.0/6",
            "16.0.0.0/4",
            "32.0.0.0/3",
            "64.0.0.0/3",
            "96.0.0.0/4",
            "112.0.0.0/5",
            "120.0.0.0/6",
            "124.0.0.0/7",
            "126.0.0.0/8",
            "128.0.0.0/3",
            "160.0.0.0/5",
            "168.0.0.0/8",
            "169.0.0.0/9",
            "169.128.0.0/10",
            "169.192.0.0/11",
            "169.224.0.0/12",
            "169.240.0.0/13",
            "169.248.0.0/14",
            "169.252.0.0/15",
            "169.255.0.0/16",
            "170.0.0.0/7",
            "172.0.0.0/12",
            "172.32.0.0/11",
            "172.64.0.0/10",
            "172.128.0.0/9",
            "173.0.0.0/8",
            "174.0.0.0/7",
            "176.0.0.0/4",
            "192.0.0.0/9",
            "192.128.0.0/11",
            "192.160.0.0/13",
            "192.169.0.0/16",
            "192.170.0.0/15",
            "192.172.0.0/14",
            "192.176.0.0/12",
            "192.192.0.0/10",
            "193.0.0.0/8",
            "194.0.0.0/7",
            "196.0.0.0/6",
            "200.0.0.0/5",
            "208.0.0.0/4",
            "100.0.0.0/10",
            "100.128.0.0/9",
        ]));
    }

    #[test]
    fn ipv6_clients_come_from_global_unicast() {
        let r = reps("::/0", &[]);
        assert_eq!(r.len(), 1);
        assert!(r[0].starts_with('2') || r[0].starts_with('3'), "{r:?}");
        assert!(reps("fd00::/8", &[]).is_empty());
        for (block, internet) in [
            ("0.0.0.0/0", true),
            ("10.0.0.0/8", false),
            ("10.1.0.0/16", false),
            ("52.84.0.0/15", true),
            ("::/0", true),
            ("fd00::/8", false),
            ("2001:db8::/32", true),
        ] {
            let c: Cidr = block.parse().unwrap();
            assert_eq!(has_internet(c), internet, "{block}");
            assert_eq!(!representatives(c, &[]).is_empty(), internet, "{block}");
        }
    }
}
