//! Exact-size vectors after parsing.
//!
//! serde fills a `Vec` one element at a time (JSON gives no length up
//! front), and a vector's first allocation holds four elements: the model of
//! a snapshot, whose lists are mostly of one or two VPCs, route tables,
//! interfaces or permissions, took 2.8 times its JSON in memory, most of it
//! empty capacity (400 MB for a 146 MB snapshot of 10,000 accounts).
//! [`Compact::compact`] shrinks every list of an account to its length once it
//! is parsed.

use super::*;

/// Shrink every vector inside to its length.
pub trait Compact {
    fn compact(&mut self);
}

impl<T: Compact> Compact for Vec<T> {
    fn compact(&mut self) {
        self.shrink_to_fit();
        self.iter_mut().for_each(Compact::compact);
    }
}

impl<T: Compact> Compact for Option<T> {
    fn compact(&mut self) {
        if let Some(x) = self {
            x.compact();
        }
    }
}

/// `Type => [its fields that hold vectors]`; an empty list for the types
/// with none.
macro_rules! compact {
    ($($t:ty => [$($field:ident),*];)*) => {
        $(impl Compact for $t {
            #[allow(unused_variables)]
            fn compact(&mut self) {
                $(self.$field.compact();)*
            }
        })*
    };
}

compact! {
    AccountSnapshot => [ou_path, regions];
    RegionSnapshot => [
        gaps, vpcs, subnets, route_tables, internet_gateways, network_acls, security_groups,
        prefix_lists, network_interfaces, instances, load_balancers, db_instances, db_clusters,
        instance_information_list, target_groups, classic_load_balancers, vpc_peering_connections,
        flow_logs
    ];
    Vpc => [cidr_block_association_set, ipv6_cidr_block_association_set, tags];
    Subnet => [ipv6_cidr_block_association_set, tags];
    RouteTable => [associations, routes, tags];
    InternetGateway => [attachments];
    NetworkAcl => [entries, associations, tags];
    SecurityGroup => [ip_permissions, ip_permissions_egress, tags];
    IpPermission => [ip_ranges, ipv6_ranges, prefix_list_ids, user_id_group_pairs];
    ManagedPrefixList => [entries];
    NetworkInterface => [groups, private_ip_addresses, ipv6_addresses, tag_set];
    Instance => [security_groups, network_interfaces, tags];
    LoadBalancer => [security_groups, availability_zones, listeners, tags];
    TargetGroup => [load_balancer_arns, target_health_descriptions];
    ClassicLoadBalancer => [subnets, security_groups, listener_descriptions, instances];
    VpcPeeringConnection => [accepter_vpc_info, requester_vpc_info];
    PeeringVpcInfo => [cidr_block_set, ipv6_cidr_block_set];
    FlowLog => [tags];
    DbInstance => [vpc_security_groups, tag_list, db_subnet_group];
    DbSubnetGroup => [subnets];
    DbCluster => [vpc_security_groups, db_cluster_members, tag_list];
    // No vectors inside.
    OuRef => [];
    Gap => [];
    Tag => [];
    CidrBlockAssociation => [];
    Ipv6CidrBlockAssociation => [];
    RouteTableAssociation => [];
    Route => [];
    InternetGatewayAttachment => [];
    NetworkAclEntry => [];
    NetworkAclAssociation => [];
    IpRange => [];
    Ipv6Range => [];
    PrefixListIdRef => [];
    UserIdGroupPair => [];
    PrefixListEntry => [];
    GroupIdentifier => [];
    PrivateIpAddress => [];
    Ipv6Address => [];
    InstanceNetworkInterface => [];
    LoadBalancerZone => [];
    Listener => [];
    TargetHealthDescription => [];
    ClassicListenerDescription => [];
    ClassicInstance => [];
    VpcSecurityGroupMembership => [];
    DbSubnet => [];
    DbClusterMember => [];
    InstanceInformation => [];
    String => [];
    SecurityGroupId => [];
    SubnetId => [];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_list_of_a_parsed_account_is_exactly_as_long_as_its_contents() {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/samples/org-snapshot.json")).unwrap();
        let snapshot: Snapshot = serde_json::from_str(&text).unwrap();
        let mut account = snapshot.accounts.into_iter().find(|a| !a.regions.is_empty()).unwrap();
        assert!(
            account.regions.capacity() > account.regions.len(),
            "serde leaves spare room"
        );
        account.compact();
        assert_eq!(account.regions.capacity(), account.regions.len());
        for r in &account.regions {
            assert_eq!(r.security_groups.capacity(), r.security_groups.len());
            assert_eq!(r.network_interfaces.capacity(), r.network_interfaces.len());
            for sg in &r.security_groups {
                assert_eq!(sg.ip_permissions.capacity(), sg.ip_permissions.len());
                for p in &sg.ip_permissions {
                    assert_eq!(p.ip_ranges.capacity(), p.ip_ranges.len());
                }
            }
            for t in &r.route_tables {
                assert_eq!(t.routes.capacity(), t.routes.len());
            }
        }
    }
}
