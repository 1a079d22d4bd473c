//! The fewest prefixes that cover a set of addresses, as tight as possible.
//!
//! First exactly: addresses that fill a prefix become that prefix (four
//! neighbours `.4`–`.7` are one `/30`), and nothing else is granted. Only if
//! that leaves more than `max` prefixes are the two closest ones joined into
//! their common prefix, again and again, never wider than the allowed width
//! (`/24` by default): the replacement grants more than was seen only as far
//! as it must to stay short. `None` when even that cannot bring it to `max`.

use std::net::IpAddr;

use ipnet::IpNet;

use crate::model::Cidr;

pub fn cover(addresses: &[IpAddr], widest_v4: u8, widest_v6: u8, max: usize) -> Option<Vec<Cidr>> {
    let hosts: Vec<IpNet> = addresses.iter().map(|a| IpNet::from(*a)).collect();
    let mut nets = IpNet::aggregate(&hosts);
    while nets.len() > max {
        // The adjacent pair (in address order) with the narrowest common prefix.
        let best = nets
            .windows(2)
            .enumerate()
            .filter_map(|(i, w)| {
                let joined = common(w[0], w[1])?;
                let widest = if joined.addr().is_ipv4() { widest_v4 } else { widest_v6 };
                (joined.prefix_len() >= widest).then_some((joined.prefix_len(), i, joined))
            })
            .max_by_key(|&(len, i, _)| (len, std::cmp::Reverse(i)));
        let (_, i, joined) = best?;
        nets.splice(i..i + 2, [joined]);
        nets = IpNet::aggregate(&nets);
    }
    Some(nets.into_iter().map(Cidr).collect())
}

/// The narrowest prefix holding both (same address family only).
fn common(a: IpNet, b: IpNet) -> Option<IpNet> {
    let (len, addr) = match (a, b) {
        (IpNet::V4(x), IpNet::V4(y)) => {
            let (p, q) = (u32::from(x.network()), u32::from(y.network()));
            let len = ((p ^ q).leading_zeros() as u8).min(x.prefix_len()).min(y.prefix_len());
            (len, IpAddr::V4(p.into()))
        }
        (IpNet::V6(x), IpNet::V6(y)) => {
            let (p, q) = (u128::from(x.network()), u128::from(y.network()));
            let len = ((p ^ q).leading_zeros() as u8).min(x.prefix_len()).min(y.prefix_len());
            (len, IpAddr::V6(p.into()))
        }
        _ => return None,
    };
    IpNet::new(addr, len).ok().map(|n| n.trunc())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addrs(list: &[&str]) -> Vec<IpAddr> {
        list.iter().map(|a| a.parse().unwrap()).collect()
    }

    fn shown(c: Vec<Cidr>) -> Vec<String> {
        c.iter().map(|c| c.to_string()).collect()
    }

    #[test]
    fn two_office_addresses_stay_two_hosts() {
        let c = cover(&addrs(&["198.51.100.7", "198.51.100.8"]), 24, 48, 8).unwrap();
        assert_eq!(shown(c), ["198.51.100.7/32", "198.51.100.8/32"]);
    }

    #[test]
    fn neighbours_that_fill_a_prefix_become_it() {
        let c = cover(
            &addrs(&["203.0.113.4", "203.0.113.5", "203.0.113.6", "203.0.113.7"]),
            24,
            48,
            8,
        )
        .unwrap();
        assert_eq!(shown(c), ["203.0.113.4/30"]);
    }

    #[test]
    fn too_many_are_joined_closest_first_never_wider_than_the_limit() {
        let list = addrs(&["203.0.113.1", "203.0.113.3", "198.51.100.9"]);
        let c = cover(&list, 24, 48, 2).unwrap();
        assert_eq!(shown(c), ["198.51.100.9/32", "203.0.113.0/30"]);
        assert_eq!(cover(&list, 24, 48, 1), None, "a /24 cannot hold both networks");
        let c = cover(&list, 0, 48, 1).unwrap();
        assert_eq!(shown(c), ["192.0.0.0/4"]);
    }

    #[test]
    fn ipv6_sources_get_ipv6_prefixes() {
        let c = cover(&addrs(&["2001:db8::1", "2001:db8::3", "198.51.100.7"]), 24, 48, 2).unwrap();
        assert_eq!(shown(c), ["198.51.100.7/32", "2001:db8::/126"]);
    }
}
