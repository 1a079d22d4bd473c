//! AWS resources, in the shape the AWS CLI prints them.
//!
//! Field names are the API's own (`GroupId`, `IpPermissions`, `CidrIp`, …) so
//! that an auditor can put `aws ec2 describe-security-groups --output json`
//! beside the snapshot and compare. Only the fields sgaudit reads are kept;
//! anything else in a snapshot is ignored when read, so later schema versions
//! may add fields without breaking older readers.
//!
//! Where sgaudit departs from the raw API shape, the doc comment says so:
//! instances are flattened out of their reservations, load balancers carry their
//! listeners, and managed prefix lists carry their entries.

use serde::{Deserialize, Serialize};

use super::ids::*;
use super::net::{Cidr, PortRange, Protocol, ServicePort, Transport};

/// `{"Key": …, "Value": …}`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    pub key: String,
    #[serde(default)]
    pub value: String,
}

/// Look a tag up by key.
pub fn tag<'a>(tags: &'a [Tag], key: &str) -> Option<&'a str> {
    tags.iter().find(|t| t.key == key).map(|t| t.value.as_str())
}

fn is_false(b: &bool) -> bool {
    !*b
}

// ---------------------------------------------------------------- VPC layer

/// `DescribeVpcs` → `Vpcs[]`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Vpc {
    pub vpc_id: VpcId,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<AccountId>,
    /// The primary IPv4 block.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cidr_block: Option<Cidr>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cidr_block_association_set: Vec<CidrBlockAssociation>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ipv6_cidr_block_association_set: Vec<Ipv6CidrBlockAssociation>,
    #[serde(skip_serializing_if = "is_false")]
    pub is_default: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}

impl Vpc {
    /// Every IPv4 and IPv6 block of the VPC.
    pub fn cidrs(&self) -> impl Iterator<Item = Cidr> + '_ {
        let assoc = self.cidr_block_association_set.iter().map(|a| a.cidr_block);
        let primary = self
            .cidr_block
            .filter(|p| !self.cidr_block_association_set.iter().any(|a| a.cidr_block == *p));
        primary
            .into_iter()
            .chain(assoc)
            .chain(self.ipv6_cidr_block_association_set.iter().map(|a| a.ipv6_cidr_block))
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CidrBlockAssociation {
    pub cidr_block: Cidr,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Ipv6CidrBlockAssociation {
    pub ipv6_cidr_block: Cidr,
}

/// `DescribeSubnets` → `Subnets[]`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Subnet {
    pub subnet_id: SubnetId,
    pub vpc_id: VpcId,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cidr_block: Option<Cidr>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ipv6_cidr_block_association_set: Vec<Ipv6CidrBlockAssociation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub availability_zone: Option<String>,
    #[serde(skip_serializing_if = "is_false")]
    pub map_public_ip_on_launch: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}

/// `DescribeRouteTables` → `RouteTables[]`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct RouteTable {
    pub route_table_id: RouteTableId,
    pub vpc_id: VpcId,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub associations: Vec<RouteTableAssociation>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub routes: Vec<Route>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct RouteTableAssociation {
    /// True for the VPC's main route table, which serves every subnet without
    /// an explicit association.
    #[serde(skip_serializing_if = "is_false")]
    pub main: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subnet_id: Option<SubnetId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gateway_id: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Route {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination_cidr_block: Option<Cidr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination_ipv6_cidr_block: Option<Cidr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination_prefix_list_id: Option<PrefixListId>,
    /// `igw-…` for an internet gateway, `local`, `vgw-…`, `eigw-…` is in
    /// `EgressOnlyInternetGatewayId`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gateway_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nat_gateway_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub egress_only_internet_gateway_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transit_gateway_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vpc_peering_connection_id: Option<String>,
    /// An instance that routes the traffic (a NAT instance, an appliance).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance_id: Option<InstanceId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network_interface_id: Option<NetworkInterfaceId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub local_gateway_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub carrier_gateway_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub core_network_arn: Option<String>,
    /// `active` or `blackhole`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
}

/// Where a route sends its traffic, by the kind of target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RouteTarget<'a> {
    /// Inside the VPC.
    Local,
    /// `igw-…`: to and from the internet.
    InternetGateway(&'a str),
    /// `eigw-…`: IPv6 out to the internet, nothing in.
    EgressOnlyInternetGateway(&'a str),
    /// `vpce-…`: a Gateway Load Balancer or Network Firewall endpoint (or,
    /// for a prefix-list destination, a gateway endpoint such as S3's).
    VpcEndpoint(&'a str),
    /// `vgw-…`: a VPN or Direct Connect gateway.
    VirtualPrivateGateway(&'a str),
    NatGateway(&'a str),
    TransitGateway(&'a str),
    PeeringConnection(&'a str),
    Instance(&'a str),
    NetworkInterface(&'a str),
    /// A local, carrier or Cloud WAN gateway, or a gateway id of a kind sgaudit does not know.
    Other(&'a str),
    /// The snapshot names no target (a route of a kind recorded before schema 2).
    Unknown,
}

impl Route {
    /// The route's target, by kind.
    pub fn target(&self) -> RouteTarget<'_> {
        if let Some(g) = self.gateway_id.as_deref() {
            return match g {
                "local" => RouteTarget::Local,
                g if g.starts_with("igw-") => RouteTarget::InternetGateway(g),
                g if g.starts_with("vpce-") => RouteTarget::VpcEndpoint(g),
                g if g.starts_with("vgw-") => RouteTarget::VirtualPrivateGateway(g),
                g if g.starts_with("eigw-") => RouteTarget::EgressOnlyInternetGateway(g),
                g => RouteTarget::Other(g),
            };
        }
        if let Some(g) = self.egress_only_internet_gateway_id.as_deref() {
            return RouteTarget::EgressOnlyInternetGateway(g);
        }
        if let Some(g) = self.nat_gateway_id.as_deref() {
            return RouteTarget::NatGateway(g);
        }
        if let Some(g) = self.transit_gateway_id.as_deref() {
            return RouteTarget::TransitGateway(g);
        }
        if let Some(g) = self.vpc_peering_connection_id.as_deref() {
            return RouteTarget::PeeringConnection(g);
        }
        if let Some(i) = &self.network_interface_id {
            return RouteTarget::NetworkInterface(i.as_str());
        }
        if let Some(i) = &self.instance_id {
            return RouteTarget::Instance(i.as_str());
        }
        match (&self.local_gateway_id, &self.carrier_gateway_id, &self.core_network_arn) {
            (Some(g), _, _) | (_, Some(g), _) | (_, _, Some(g)) => RouteTarget::Other(g),
            _ => RouteTarget::Unknown,
        }
    }

    /// The target's id as the console shows it (`igw-…`, `nat-…`, `local`).
    pub fn target_label(&self) -> &str {
        match self.target() {
            RouteTarget::Local => "local",
            RouteTarget::InternetGateway(g)
            | RouteTarget::EgressOnlyInternetGateway(g)
            | RouteTarget::VpcEndpoint(g)
            | RouteTarget::VirtualPrivateGateway(g)
            | RouteTarget::NatGateway(g)
            | RouteTarget::TransitGateway(g)
            | RouteTarget::PeeringConnection(g)
            | RouteTarget::Instance(g)
            | RouteTarget::NetworkInterface(g)
            | RouteTarget::Other(g) => g,
            RouteTarget::Unknown => "an unrecorded target",
        }
    }

    pub fn is_blackhole(&self) -> bool {
        self.state.as_deref() == Some("blackhole")
    }
}

/// `DescribeInternetGateways` → `InternetGateways[]`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct InternetGateway {
    pub internet_gateway_id: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<InternetGatewayAttachment>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct InternetGatewayAttachment {
    pub vpc_id: VpcId,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
}

/// `DescribeNetworkAcls` → `NetworkAcls[]`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct NetworkAcl {
    pub network_acl_id: NetworkAclId,
    pub vpc_id: VpcId,
    #[serde(skip_serializing_if = "is_false")]
    pub is_default: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub entries: Vec<NetworkAclEntry>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub associations: Vec<NetworkAclAssociation>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NetworkAclEntry {
    pub rule_number: i32,
    /// As NACLs write it: `"6"`, `"17"`, `"-1"`.
    #[serde(with = "super::net::protocol_number")]
    pub protocol: Protocol,
    /// `allow` or `deny`.
    pub rule_action: String,
    #[serde(default)]
    pub egress: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cidr_block: Option<Cidr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipv6_cidr_block: Option<Cidr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port_range: Option<NaclPortRange>,
}

impl NetworkAclEntry {
    pub fn is_allow(&self) -> bool {
        self.rule_action.eq_ignore_ascii_case("allow")
    }
    pub fn cidr(&self) -> Option<Cidr> {
        self.cidr_block.or(self.ipv6_cidr_block)
    }
    /// The ports the entry covers (every port for protocol -1 or an absent range).
    pub fn ports(&self) -> PortRange {
        match &self.port_range {
            Some(r) => PortRange::from_aws(Some(r.from), Some(r.to)),
            None => PortRange::ALL,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NaclPortRange {
    pub from: i32,
    pub to: i32,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct NetworkAclAssociation {
    pub subnet_id: SubnetId,
}

// ---------------------------------------------------------- security groups

/// `DescribeSecurityGroups` → `SecurityGroups[]`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct SecurityGroup {
    pub group_id: SecurityGroupId,
    pub group_name: String,
    pub description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vpc_id: Option<VpcId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<AccountId>,
    pub ip_permissions: Vec<IpPermission>,
    pub ip_permissions_egress: Vec<IpPermission>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}

impl SecurityGroup {
    /// The VPC's default group, which AWS creates and which cannot be deleted.
    pub fn is_default(&self) -> bool {
        self.group_name == "default"
    }
}

/// One permission of a security group: a protocol and port range, granted to
/// any number of sources of four kinds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct IpPermission {
    pub ip_protocol: Protocol,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_port: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_port: Option<i32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ip_ranges: Vec<IpRange>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ipv6_ranges: Vec<Ipv6Range>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prefix_list_ids: Vec<PrefixListIdRef>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub user_id_group_pairs: Vec<UserIdGroupPair>,
}

impl IpPermission {
    /// The TCP/UDP ports the permission opens; every port for protocol `-1`;
    /// `None` for protocols without ports (ICMP and others).
    pub fn ports(&self) -> Option<PortRange> {
        match self.ip_protocol {
            Protocol::All => Some(PortRange::ALL),
            Protocol::Tcp | Protocol::Udp => Some(PortRange::from_aws(self.from_port, self.to_port)),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct IpRange {
    pub cidr_ip: Cidr,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Ipv6Range {
    pub cidr_ipv6: Cidr,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PrefixListIdRef {
    pub prefix_list_id: PrefixListId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A reference to another security group, possibly of another account (`UserId`)
/// or across a VPC peering.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct UserIdGroupPair {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_id: Option<SecurityGroupId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_name: Option<String>,
    /// The owner of the referenced group. Not an account id for AWS's own
    /// groups (`amazon-elb` owns `amazon-elb-sg`): those read as `None`.
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::ids::account_or_none"
    )]
    pub user_id: Option<AccountId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vpc_id: Option<VpcId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vpc_peering_connection_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peering_status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// `DescribeManagedPrefixLists` → `PrefixLists[]`, each with the `Entries` of
/// `GetManagedPrefixListEntries` added by sgaudit.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ManagedPrefixList {
    pub prefix_list_id: PrefixListId,
    pub prefix_list_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address_family: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_entries: Option<i32>,
    /// sgaudit addition: the list's entries. Absent when they were not read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entries: Option<Vec<PrefixListEntry>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PrefixListEntry {
    pub cidr: Cidr,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

// ----------------------------------------------------------- attachments

/// `DescribeNetworkInterfaces` → `NetworkInterfaces[]`: the ground truth of
/// where a security group is attached, whatever the service behind the ENI.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct NetworkInterface {
    pub network_interface_id: NetworkInterfaceId,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subnet_id: Option<SubnetId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vpc_id: Option<VpcId>,
    /// `interface`, `lambda`, `network_load_balancer`, `vpc_endpoint`, …
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interface_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requester_id: Option<String>,
    #[serde(skip_serializing_if = "is_false")]
    pub requester_managed: bool,
    /// `in-use` or `available`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    pub groups: Vec<GroupIdentifier>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub association: Option<PublicIpAssociation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub private_ip_address: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub private_ip_addresses: Vec<PrivateIpAddress>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ipv6_addresses: Vec<Ipv6Address>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attachment: Option<NetworkInterfaceAttachment>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tag_set: Vec<Tag>,
}

impl NetworkInterface {
    /// Every public IPv4 address on the interface (primary and secondary).
    pub fn public_ipv4s(&self) -> Vec<String> {
        let mut ips: Vec<String> = self
            .association
            .iter()
            .chain(self.private_ip_addresses.iter().filter_map(|p| p.association.as_ref()))
            .filter_map(|a| a.public_ip.clone())
            .collect();
        ips.sort();
        ips.dedup();
        ips
    }

    /// The load balancer that owns the interface, from the description ELB
    /// gives its interfaces: `ELB app/<name>/<id>` or `ELB net/<name>/<id>`
    /// (the end of an ELBv2 load balancer's ARN), or `ELB <name>` (Classic).
    pub fn load_balancer_owner(&self) -> Option<LoadBalancerOwner<'_>> {
        let d = self.description.as_deref()?.strip_prefix("ELB ")?;
        Some(if d.contains('/') {
            LoadBalancerOwner::V2(d)
        } else {
            LoadBalancerOwner::Classic(d)
        })
    }

    /// Whether RDS owns the interface (its description is `RDSNetworkInterface`).
    pub fn is_rds_owned(&self) -> bool {
        self.description.as_deref() == Some("RDSNetworkInterface")
    }
}

/// Which load balancer owns an interface.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoadBalancerOwner<'a> {
    /// `app/<name>/<id>`, `net/<name>/<id>`: what follows `:loadbalancer/` in its ARN.
    V2(&'a str),
    /// A Classic Load Balancer's name.
    Classic(&'a str),
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct GroupIdentifier {
    pub group_id: SecurityGroupId,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_name: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct PublicIpAssociation {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_ip: Option<String>,
    /// `amazon` for an auto-assigned address, an account id for an Elastic IP.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_owner_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allocation_id: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct PrivateIpAddress {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub private_ip_address: Option<String>,
    #[serde(skip_serializing_if = "is_false")]
    pub primary: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub association: Option<PublicIpAssociation>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Ipv6Address {
    pub ipv6_address: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct NetworkInterfaceAttachment {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance_id: Option<InstanceId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance_owner_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_index: Option<i32>,
}

/// `DescribeInstances` → `Reservations[].Instances[]`, flattened by sgaudit.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Instance {
    pub instance_id: InstanceId,
    pub state: InstanceState,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subnet_id: Option<SubnetId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vpc_id: Option<VpcId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_ip_address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub private_ip_address: Option<String>,
    /// The primary IPv6 address, when the instance has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ipv6_address: Option<String>,
    pub security_groups: Vec<GroupIdentifier>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub network_interfaces: Vec<InstanceNetworkInterface>,
    /// `windows` for Windows instances; absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform_details: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}

impl Instance {
    pub fn is_running(&self) -> bool {
        self.state.name == "running"
    }
    pub fn is_terminated(&self) -> bool {
        matches!(self.state.name.as_str(), "terminated" | "shutting-down")
    }
    pub fn name(&self) -> Option<&str> {
        tag(&self.tags, "Name")
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct InstanceState {
    /// `pending`, `running`, `stopping`, `stopped`, `shutting-down`, `terminated`.
    pub name: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct InstanceNetworkInterface {
    pub network_interface_id: NetworkInterfaceId,
}

/// ELBv2 `DescribeLoadBalancers` → `LoadBalancers[]`, each with the
/// `Listeners` of `DescribeListeners` added by sgaudit.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct LoadBalancer {
    pub load_balancer_arn: String,
    pub load_balancer_name: String,
    /// `internet-facing` or `internal`.
    pub scheme: String,
    /// `application`, `network` or `gateway`.
    #[serde(rename = "Type")]
    pub lb_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vpc_id: Option<VpcId>,
    #[serde(skip_serializing_if = "Option::is_none", rename = "DNSName")]
    pub dns_name: Option<String>,
    /// `ipv4`, `dualstack` or `dualstack-without-public-ipv4`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_address_type: Option<String>,
    pub security_groups: Vec<SecurityGroupId>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub availability_zones: Vec<LoadBalancerZone>,
    /// sgaudit addition: the load balancer's listeners.
    pub listeners: Vec<Listener>,
    /// sgaudit addition: tags from `DescribeTags`, when read.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}

impl LoadBalancer {
    pub fn is_internet_facing(&self) -> bool {
        self.scheme == "internet-facing"
    }

    /// A Network Load Balancer: it preserves the client's address, so its
    /// targets see the internet's addresses, not the load balancer's.
    pub fn is_network(&self) -> bool {
        self.lb_type == "network"
    }

    /// Whether the internet reaches it over IPv4 (every internet-facing load
    /// balancer but `dualstack-without-public-ipv4`) and over IPv6 (dual-stack).
    pub fn public_families(&self) -> (bool, bool) {
        match self.ip_address_type.as_deref() {
            Some("dualstack") => (true, true),
            Some("dualstack-without-public-ipv4") => (false, true),
            _ => (true, false),
        }
    }

    /// The subnets of its nodes.
    pub fn subnet_ids(&self) -> impl Iterator<Item = &SubnetId> {
        self.availability_zones.iter().filter_map(|z| z.subnet_id.as_ref())
    }
}

/// ELBv2 `DescribeTargetGroups` → `TargetGroups[]`, each with the
/// `TargetHealthDescriptions` of `DescribeTargetHealth` added by sgaudit.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct TargetGroup {
    pub target_group_arn: String,
    pub target_group_name: String,
    /// `HTTP`, `HTTPS`, `TCP`, `UDP`, `TLS`, `TCP_UDP`, `GENEVE`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vpc_id: Option<VpcId>,
    /// `instance`, `ip`, `lambda` or `alb`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_type: Option<String>,
    /// The load balancers that forward to it.
    pub load_balancer_arns: Vec<String>,
    /// sgaudit addition: the registered targets. Absent when they were not read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_health_descriptions: Option<Vec<TargetHealthDescription>>,
}

impl TargetGroup {
    /// The transport the targets receive (as a listener's protocol names it).
    pub fn transport(&self) -> Transport {
        Listener {
            listener_arn: None,
            port: 0,
            protocol: self.protocol.clone().unwrap_or_default(),
        }
        .transport()
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct TargetHealthDescription {
    pub target: TargetDescription,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_health: Option<TargetHealth>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct TargetDescription {
    /// An instance id, an IP address, a Lambda function's ARN or an ALB's ARN.
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct TargetHealth {
    /// `healthy`, `unhealthy`, `initial`, `unused`, `draining`, `unavailable`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
}

/// Classic Load Balancing `DescribeLoadBalancers` → `LoadBalancerDescriptions[]`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ClassicLoadBalancer {
    pub load_balancer_name: String,
    #[serde(skip_serializing_if = "Option::is_none", rename = "DNSName")]
    pub dns_name: Option<String>,
    /// `internet-facing` or `internal`.
    pub scheme: String,
    #[serde(rename = "VPCId", skip_serializing_if = "Option::is_none")]
    pub vpc_id: Option<VpcId>,
    pub subnets: Vec<SubnetId>,
    pub security_groups: Vec<SecurityGroupId>,
    pub listener_descriptions: Vec<ClassicListenerDescription>,
    pub instances: Vec<ClassicInstance>,
}

impl ClassicLoadBalancer {
    pub fn is_internet_facing(&self) -> bool {
        self.scheme == "internet-facing"
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ClassicListenerDescription {
    pub listener: ClassicListener,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ClassicListener {
    /// `HTTP`, `HTTPS`, `TCP`, `SSL`.
    pub protocol: String,
    pub load_balancer_port: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance_protocol: Option<String>,
    pub instance_port: u16,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ClassicInstance {
    pub instance_id: InstanceId,
}

/// EC2 `DescribeVpcPeeringConnections` → `VpcPeeringConnections[]`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct VpcPeeringConnection {
    pub vpc_peering_connection_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accepter_vpc_info: Option<PeeringVpcInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requester_vpc_info: Option<PeeringVpcInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<PeeringStatus>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct PeeringVpcInfo {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vpc_id: Option<VpcId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<AccountId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cidr_block: Option<Cidr>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cidr_block_set: Vec<CidrBlockAssociation>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ipv6_cidr_block_set: Vec<Ipv6CidrBlockAssociation>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct PeeringStatus {
    /// `active`, `pending-acceptance`, `deleted`, …
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

/// EC2 `DescribeFlowLogs` → `FlowLogs[]`: where a VPC, subnet or interface
/// sends its flow-log records, in what format, and whether delivery works.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct FlowLog {
    pub flow_log_id: String,
    /// The VPC (`vpc-…`), subnet (`subnet-…`) or interface (`eni-…`) it
    /// records; also transit gateways and their attachments.
    pub resource_id: String,
    /// `ACCEPT`, `REJECT` or `ALL`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub traffic_type: Option<String>,
    /// `cloud-watch-logs`, `s3` or `kinesis-data-firehose`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_destination_type: Option<String>,
    /// The destination's ARN (`arn:aws:s3:::bucket/prefix`, a log group's ARN).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_destination: Option<String>,
    /// For CloudWatch Logs destinations.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_group_name: Option<String>,
    /// `${version} ${account-id} …`: the fields of each record, in order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_format: Option<String>,
    /// `ACTIVE`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flow_log_status: Option<String>,
    /// `SUCCESS` or `FAILED`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deliver_logs_status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deliver_logs_error_message: Option<String>,
    /// Seconds: 60 or 600.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_aggregation_interval: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination_options: Option<FlowLogDestinationOptions>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}

impl FlowLog {
    /// Whether it is set up to record: active, and its delivery has not failed.
    pub fn is_active(&self) -> bool {
        self.flow_log_status
            .as_deref()
            .is_none_or(|s| s.eq_ignore_ascii_case("ACTIVE"))
            && !self
                .deliver_logs_status
                .as_deref()
                .is_some_and(|s| s.eq_ignore_ascii_case("FAILED"))
    }
}

/// S3 delivery options of a flow log.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct FlowLogDestinationOptions {
    /// `plain-text` or `parquet`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_format: Option<String>,
    #[serde(skip_serializing_if = "is_false")]
    pub hive_compatible_partitions: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub per_hour_partition: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct LoadBalancerZone {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zone_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subnet_id: Option<SubnetId>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Listener {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listener_arn: Option<String>,
    pub port: u16,
    /// `HTTP`, `HTTPS`, `TCP`, `UDP`, `TLS`, `TCP_UDP`, …
    pub protocol: String,
}

impl Listener {
    /// The transport the listener receives: UDP for `UDP` (and `GENEVE`, a
    /// Gateway Load Balancer's), both for `TCP_UDP`, TCP for the rest (HTTP,
    /// HTTPS, TCP, TLS).
    pub fn transport(&self) -> Transport {
        match self.protocol.to_ascii_uppercase().as_str() {
            "UDP" | "GENEVE" => Transport::Udp,
            "TCP_UDP" => Transport::Any,
            _ => Transport::Tcp,
        }
    }

    /// The listener's port on its transport.
    pub fn service_port(&self) -> ServicePort {
        ServicePort {
            ports: PortRange::single(self.port),
            transport: self.transport(),
        }
    }
}

/// RDS `DescribeDBInstances` → `DBInstances[]`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DbInstance {
    #[serde(rename = "DBInstanceIdentifier")]
    pub db_instance_identifier: String,
    #[serde(rename = "DBInstanceArn", skip_serializing_if = "Option::is_none")]
    pub db_instance_arn: Option<String>,
    pub engine: String,
    #[serde(rename = "DBInstanceStatus", skip_serializing_if = "Option::is_none")]
    pub db_instance_status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<DbEndpoint>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub db_instance_port: Option<i32>,
    pub publicly_accessible: bool,
    /// `IPV4` or `DUAL` (dual-stack: it has IPv6 addresses too).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network_type: Option<String>,
    pub vpc_security_groups: Vec<VpcSecurityGroupMembership>,
    #[serde(rename = "DBSubnetGroup", skip_serializing_if = "Option::is_none")]
    pub db_subnet_group: Option<DbSubnetGroup>,
    #[serde(rename = "DBClusterIdentifier", skip_serializing_if = "Option::is_none")]
    pub db_cluster_identifier: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tag_list: Vec<Tag>,
}

impl DbInstance {
    pub fn is_dual_stack(&self) -> bool {
        self.network_type
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case("dual"))
    }

    /// The port the database listens on.
    pub fn port(&self) -> Option<u16> {
        self.endpoint
            .as_ref()
            .and_then(|e| e.port)
            .or(self.db_instance_port.filter(|p| *p > 0))
            .and_then(|p| u16::try_from(p).ok())
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DbEndpoint {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<i32>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DbSubnetGroup {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vpc_id: Option<VpcId>,
    /// The group's subnets. Absent in snapshots of schema 1, which did not record them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subnets: Option<Vec<DbSubnet>>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DbSubnet {
    pub subnet_identifier: SubnetId,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct VpcSecurityGroupMembership {
    pub vpc_security_group_id: SecurityGroupId,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

/// RDS `DescribeDBClusters` → `DBClusters[]`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DbCluster {
    #[serde(rename = "DBClusterIdentifier")]
    pub db_cluster_identifier: String,
    #[serde(rename = "DBClusterArn", skip_serializing_if = "Option::is_none")]
    pub db_cluster_arn: Option<String>,
    pub engine: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<i32>,
    /// Present for Multi-AZ DB clusters; Aurora records it on member instances.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub publicly_accessible: Option<bool>,
    pub vpc_security_groups: Vec<VpcSecurityGroupMembership>,
    #[serde(rename = "DBClusterMembers", skip_serializing_if = "Vec::is_empty")]
    pub db_cluster_members: Vec<DbClusterMember>,
    /// The name of its DB subnet group (its subnets are on the member instances').
    #[serde(rename = "DBSubnetGroup", skip_serializing_if = "Option::is_none")]
    pub db_subnet_group: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tag_list: Vec<Tag>,
}

impl DbCluster {
    /// The port the cluster listens on.
    pub fn port(&self) -> Option<u16> {
        self.port.and_then(|p| u16::try_from(p).ok())
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DbClusterMember {
    #[serde(rename = "DBInstanceIdentifier")]
    pub db_instance_identifier: String,
}

/// SSM `DescribeInstanceInformation` → `InstanceInformationList[]`: the
/// instances Systems Manager manages.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct InstanceInformation {
    pub instance_id: InstanceId,
    /// `Online`, `ConnectionLost`, `Inactive`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ping_status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform_type: Option<String>,
}
