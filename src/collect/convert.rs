//! AWS SDK types to snapshot types: the boundary that SDK types never cross.
//!
//! AWS's own values are kept as they come (names, descriptions, states);
//! values sgaudit types strictly (CIDRs, protocols, account ids) are parsed,
//! and one that does not parse is left out with a warning rather than
//! failing the region: one odd value must not cost the whole collection.

use aws_sdk_ec2::types as ec2;
use aws_sdk_elasticloadbalancing::types as classic;
use aws_sdk_elasticloadbalancingv2::types as elb;
use aws_sdk_rds::types as rds;
use aws_sdk_ssm::types as ssm;

use crate::model::*;

fn s(v: Option<&str>) -> String {
    v.unwrap_or_default().to_string()
}

fn os(v: Option<&str>) -> Option<String> {
    v.map(str::to_string)
}

fn cidr(v: Option<&str>, what: &str) -> Option<Cidr> {
    let text = v?;
    match text.parse() {
        Ok(c) => Some(c),
        Err(_) => {
            tracing::warn!(value = text, what, "left out a CIDR that does not parse");
            None
        }
    }
}

/// A missing protocol is `-1`, every protocol.
fn protocol(v: Option<&str>, what: &str) -> Option<Protocol> {
    let text = v.unwrap_or("-1");
    match text.parse() {
        Ok(p) => Some(p),
        Err(_) => {
            tracing::warn!(protocol = text, what, "left out a rule whose protocol does not parse");
            None
        }
    }
}

fn account(v: Option<&str>) -> Option<AccountId> {
    v.and_then(|a| AccountId::parse(a).ok())
}

fn ec2_tags(tags: &[ec2::Tag]) -> Vec<Tag> {
    tags.iter()
        .map(|t| Tag {
            key: s(t.key()),
            value: s(t.value()),
        })
        .collect()
}

pub fn vpc(v: &ec2::Vpc) -> Vpc {
    Vpc {
        vpc_id: s(v.vpc_id()).as_str().into(),
        owner_id: account(v.owner_id()),
        cidr_block: cidr(v.cidr_block(), "VPC CIDR"),
        cidr_block_association_set: v
            .cidr_block_association_set()
            .iter()
            .filter_map(|a| cidr(a.cidr_block(), "VPC CIDR"))
            .map(|cidr_block| CidrBlockAssociation { cidr_block })
            .collect(),
        ipv6_cidr_block_association_set: v
            .ipv6_cidr_block_association_set()
            .iter()
            .filter_map(|a| cidr(a.ipv6_cidr_block(), "VPC IPv6 CIDR"))
            .map(|ipv6_cidr_block| Ipv6CidrBlockAssociation { ipv6_cidr_block })
            .collect(),
        is_default: v.is_default().unwrap_or(false),
        tags: ec2_tags(v.tags()),
    }
}

pub fn subnet(v: &ec2::Subnet) -> Subnet {
    Subnet {
        subnet_id: s(v.subnet_id()).as_str().into(),
        vpc_id: s(v.vpc_id()).as_str().into(),
        cidr_block: cidr(v.cidr_block(), "subnet CIDR"),
        ipv6_cidr_block_association_set: v
            .ipv6_cidr_block_association_set()
            .iter()
            .filter_map(|a| cidr(a.ipv6_cidr_block(), "subnet IPv6 CIDR"))
            .map(|ipv6_cidr_block| Ipv6CidrBlockAssociation { ipv6_cidr_block })
            .collect(),
        availability_zone: os(v.availability_zone()),
        map_public_ip_on_launch: v.map_public_ip_on_launch().unwrap_or(false),
        tags: ec2_tags(v.tags()),
    }
}

pub fn route_table(v: &ec2::RouteTable) -> RouteTable {
    RouteTable {
        route_table_id: s(v.route_table_id()).as_str().into(),
        vpc_id: s(v.vpc_id()).as_str().into(),
        associations: v
            .associations()
            .iter()
            .map(|a| RouteTableAssociation {
                main: a.main().unwrap_or(false),
                subnet_id: a.subnet_id().map(Into::into),
                gateway_id: os(a.gateway_id()),
            })
            .collect(),
        routes: v
            .routes()
            .iter()
            .map(|r| Route {
                destination_cidr_block: cidr(r.destination_cidr_block(), "route destination"),
                destination_ipv6_cidr_block: cidr(r.destination_ipv6_cidr_block(), "route destination"),
                destination_prefix_list_id: r.destination_prefix_list_id().map(Into::into),
                gateway_id: os(r.gateway_id()),
                nat_gateway_id: os(r.nat_gateway_id()),
                egress_only_internet_gateway_id: os(r.egress_only_internet_gateway_id()),
                transit_gateway_id: os(r.transit_gateway_id()),
                vpc_peering_connection_id: os(r.vpc_peering_connection_id()),
                instance_id: r.instance_id().map(Into::into),
                network_interface_id: r.network_interface_id().map(Into::into),
                local_gateway_id: os(r.local_gateway_id()),
                carrier_gateway_id: os(r.carrier_gateway_id()),
                core_network_arn: os(r.core_network_arn()),
                state: r.state().map(|x| x.as_str().to_string()),
            })
            .collect(),
        tags: ec2_tags(v.tags()),
    }
}

pub fn internet_gateway(v: &ec2::InternetGateway) -> InternetGateway {
    InternetGateway {
        internet_gateway_id: s(v.internet_gateway_id()),
        attachments: v
            .attachments()
            .iter()
            .map(|a| InternetGatewayAttachment {
                vpc_id: s(a.vpc_id()).as_str().into(),
                state: a.state().map(|x| x.as_str().to_string()),
            })
            .collect(),
    }
}

pub fn network_acl(v: &ec2::NetworkAcl) -> NetworkAcl {
    NetworkAcl {
        network_acl_id: s(v.network_acl_id()).as_str().into(),
        vpc_id: s(v.vpc_id()).as_str().into(),
        is_default: v.is_default().unwrap_or(false),
        entries: v
            .entries()
            .iter()
            .filter_map(|e| {
                Some(NetworkAclEntry {
                    rule_number: e.rule_number().unwrap_or_default(),
                    protocol: protocol(e.protocol(), "network ACL entry")?,
                    rule_action: e.rule_action().map(|a| a.as_str().to_string()).unwrap_or_default(),
                    egress: e.egress().unwrap_or(false),
                    cidr_block: cidr(e.cidr_block(), "network ACL CIDR"),
                    ipv6_cidr_block: cidr(e.ipv6_cidr_block(), "network ACL CIDR"),
                    port_range: e.port_range().map(|p| NaclPortRange {
                        from: p.from().unwrap_or(-1),
                        to: p.to().unwrap_or(-1),
                    }),
                })
            })
            .collect(),
        associations: v
            .associations()
            .iter()
            .filter_map(|a| a.subnet_id())
            .map(|id| NetworkAclAssociation { subnet_id: id.into() })
            .collect(),
        tags: ec2_tags(v.tags()),
    }
}

fn ip_permission(p: &ec2::IpPermission) -> Option<IpPermission> {
    Some(IpPermission {
        ip_protocol: protocol(p.ip_protocol(), "security group rule")?,
        from_port: p.from_port(),
        to_port: p.to_port(),
        ip_ranges: p
            .ip_ranges()
            .iter()
            .filter_map(|r| {
                Some(IpRange {
                    cidr_ip: cidr(r.cidr_ip(), "rule source")?,
                    description: os(r.description()),
                })
            })
            .collect(),
        ipv6_ranges: p
            .ipv6_ranges()
            .iter()
            .filter_map(|r| {
                Some(Ipv6Range {
                    cidr_ipv6: cidr(r.cidr_ipv6(), "rule source")?,
                    description: os(r.description()),
                })
            })
            .collect(),
        prefix_list_ids: p
            .prefix_list_ids()
            .iter()
            .filter_map(|r| {
                Some(PrefixListIdRef {
                    prefix_list_id: r.prefix_list_id()?.into(),
                    description: os(r.description()),
                })
            })
            .collect(),
        user_id_group_pairs: p
            .user_id_group_pairs()
            .iter()
            .map(|g| UserIdGroupPair {
                group_id: g.group_id().map(Into::into),
                group_name: os(g.group_name()),
                user_id: account(g.user_id()),
                vpc_id: g.vpc_id().map(Into::into),
                vpc_peering_connection_id: os(g.vpc_peering_connection_id()),
                peering_status: os(g.peering_status()),
                description: os(g.description()),
            })
            .collect(),
    })
}

pub fn security_group(v: &ec2::SecurityGroup) -> SecurityGroup {
    SecurityGroup {
        group_id: s(v.group_id()).as_str().into(),
        group_name: s(v.group_name()),
        description: s(v.description()),
        vpc_id: v.vpc_id().map(Into::into),
        owner_id: account(v.owner_id()),
        ip_permissions: v.ip_permissions().iter().filter_map(ip_permission).collect(),
        ip_permissions_egress: v.ip_permissions_egress().iter().filter_map(ip_permission).collect(),
        tags: ec2_tags(v.tags()),
    }
}

pub fn prefix_list(v: &ec2::ManagedPrefixList) -> ManagedPrefixList {
    ManagedPrefixList {
        prefix_list_id: s(v.prefix_list_id()).as_str().into(),
        prefix_list_name: s(v.prefix_list_name()),
        address_family: os(v.address_family()),
        owner_id: os(v.owner_id()),
        max_entries: v.max_entries(),
        entries: None,
    }
}

pub fn prefix_list_entry(v: &ec2::PrefixListEntry) -> Option<PrefixListEntry> {
    Some(PrefixListEntry {
        cidr: cidr(v.cidr(), "prefix list entry")?,
        description: os(v.description()),
    })
}

fn association(a: &ec2::NetworkInterfaceAssociation) -> PublicIpAssociation {
    PublicIpAssociation {
        public_ip: os(a.public_ip()),
        ip_owner_id: os(a.ip_owner_id()),
        allocation_id: os(a.allocation_id()),
    }
}

fn group_identifier(g: &ec2::GroupIdentifier) -> Option<GroupIdentifier> {
    Some(GroupIdentifier {
        group_id: g.group_id()?.into(),
        group_name: os(g.group_name()),
    })
}

pub fn network_interface(v: &ec2::NetworkInterface) -> NetworkInterface {
    NetworkInterface {
        network_interface_id: s(v.network_interface_id()).as_str().into(),
        subnet_id: v.subnet_id().map(Into::into),
        vpc_id: v.vpc_id().map(Into::into),
        interface_type: v.interface_type().map(|t| t.as_str().to_string()),
        description: os(v.description()),
        requester_id: os(v.requester_id()),
        requester_managed: v.requester_managed().unwrap_or(false),
        status: v.status().map(|x| x.as_str().to_string()),
        groups: v.groups().iter().filter_map(group_identifier).collect(),
        association: v.association().map(association),
        private_ip_address: os(v.private_ip_address()),
        private_ip_addresses: v
            .private_ip_addresses()
            .iter()
            .map(|p| PrivateIpAddress {
                private_ip_address: os(p.private_ip_address()),
                primary: p.primary().unwrap_or(false),
                association: p.association().map(association),
            })
            .collect(),
        ipv6_addresses: v
            .ipv6_addresses()
            .iter()
            .filter_map(|a| a.ipv6_address())
            .map(|a| Ipv6Address {
                ipv6_address: a.to_string(),
            })
            .collect(),
        attachment: v.attachment().map(|a| NetworkInterfaceAttachment {
            instance_id: a.instance_id().map(Into::into),
            instance_owner_id: os(a.instance_owner_id()),
            status: a.status().map(|x| x.as_str().to_string()),
            device_index: a.device_index(),
        }),
        tag_set: ec2_tags(v.tag_set()),
    }
}

pub fn instance(v: &ec2::Instance) -> Instance {
    Instance {
        instance_id: s(v.instance_id()).as_str().into(),
        state: InstanceState {
            name: v
                .state()
                .and_then(|x| x.name())
                .map(|n| n.as_str().to_string())
                .unwrap_or_default(),
        },
        subnet_id: v.subnet_id().map(Into::into),
        vpc_id: v.vpc_id().map(Into::into),
        public_ip_address: os(v.public_ip_address()),
        private_ip_address: os(v.private_ip_address()),
        ipv6_address: os(v.ipv6_address()),
        security_groups: v.security_groups().iter().filter_map(group_identifier).collect(),
        network_interfaces: v
            .network_interfaces()
            .iter()
            .filter_map(|n| n.network_interface_id())
            .map(|id| InstanceNetworkInterface {
                network_interface_id: id.into(),
            })
            .collect(),
        platform: v.platform().map(|p| p.as_str().to_string()),
        platform_details: os(v.platform_details()),
        tags: ec2_tags(v.tags()),
    }
}

pub fn load_balancer(v: &elb::LoadBalancer) -> LoadBalancer {
    LoadBalancer {
        load_balancer_arn: s(v.load_balancer_arn()),
        load_balancer_name: s(v.load_balancer_name()),
        scheme: v.scheme().map(|x| x.as_str().to_string()).unwrap_or_default(),
        lb_type: v.r#type().map(|x| x.as_str().to_string()).unwrap_or_default(),
        vpc_id: v.vpc_id().map(Into::into),
        dns_name: os(v.dns_name()),
        ip_address_type: v.ip_address_type().map(|x| x.as_str().to_string()),
        security_groups: v.security_groups().iter().map(|g| g.as_str().into()).collect(),
        availability_zones: v
            .availability_zones()
            .iter()
            .map(|z| LoadBalancerZone {
                zone_name: os(z.zone_name()),
                subnet_id: z.subnet_id().map(Into::into),
            })
            .collect(),
        listeners: Vec::new(),
        tags: Vec::new(),
    }
}

pub fn listener(v: &elb::Listener) -> Option<Listener> {
    Some(Listener {
        listener_arn: os(v.listener_arn()),
        port: u16::try_from(v.port()?).ok()?,
        protocol: v.protocol().map(|x| x.as_str().to_string()).unwrap_or_default(),
    })
}

pub fn elb_tags(tags: &[elb::Tag]) -> Vec<Tag> {
    tags.iter()
        .map(|t| Tag {
            key: s(t.key()),
            value: s(t.value()),
        })
        .collect()
}

fn rds_tags(tags: &[rds::Tag]) -> Vec<Tag> {
    tags.iter()
        .map(|t| Tag {
            key: s(t.key()),
            value: s(t.value()),
        })
        .collect()
}

fn memberships(v: &[rds::VpcSecurityGroupMembership]) -> Vec<VpcSecurityGroupMembership> {
    v.iter()
        .filter_map(|m| {
            Some(VpcSecurityGroupMembership {
                vpc_security_group_id: m.vpc_security_group_id()?.into(),
                status: os(m.status()),
            })
        })
        .collect()
}

pub fn db_instance(v: &rds::DbInstance) -> DbInstance {
    DbInstance {
        db_instance_identifier: s(v.db_instance_identifier()),
        db_instance_arn: os(v.db_instance_arn()),
        engine: s(v.engine()),
        db_instance_status: os(v.db_instance_status()),
        endpoint: v.endpoint().map(|e| DbEndpoint {
            address: os(e.address()),
            port: e.port(),
        }),
        db_instance_port: v.db_instance_port(),
        publicly_accessible: v.publicly_accessible().unwrap_or(false),
        network_type: os(v.network_type()),
        vpc_security_groups: memberships(v.vpc_security_groups()),
        db_subnet_group: v.db_subnet_group().map(|g| DbSubnetGroup {
            vpc_id: g.vpc_id().map(Into::into),
            subnets: Some(
                g.subnets()
                    .iter()
                    .filter_map(|s| s.subnet_identifier())
                    .map(|id| DbSubnet {
                        subnet_identifier: id.into(),
                    })
                    .collect(),
            ),
        }),
        db_cluster_identifier: os(v.db_cluster_identifier()),
        tag_list: rds_tags(v.tag_list()),
    }
}

pub fn db_cluster(v: &rds::DbCluster) -> DbCluster {
    DbCluster {
        db_cluster_identifier: s(v.db_cluster_identifier()),
        db_cluster_arn: os(v.db_cluster_arn()),
        engine: s(v.engine()),
        port: v.port(),
        publicly_accessible: v.publicly_accessible(),
        vpc_security_groups: memberships(v.vpc_security_groups()),
        db_cluster_members: v
            .db_cluster_members()
            .iter()
            .filter_map(|m| m.db_instance_identifier())
            .map(|id| DbClusterMember {
                db_instance_identifier: id.to_string(),
            })
            .collect(),
        db_subnet_group: os(v.db_subnet_group()),
        tag_list: rds_tags(v.tag_list()),
    }
}

pub fn target_group(v: &elb::TargetGroup) -> TargetGroup {
    TargetGroup {
        target_group_arn: s(v.target_group_arn()),
        target_group_name: s(v.target_group_name()),
        protocol: v.protocol().map(|x| x.as_str().to_string()),
        port: v.port().and_then(|p| u16::try_from(p).ok()),
        vpc_id: v.vpc_id().map(Into::into),
        target_type: v.target_type().map(|x| x.as_str().to_string()),
        load_balancer_arns: v.load_balancer_arns().to_vec(),
        target_health_descriptions: None,
    }
}

pub fn target_health(v: &elb::TargetHealthDescription) -> Option<TargetHealthDescription> {
    let target = v.target()?;
    Some(TargetHealthDescription {
        target: TargetDescription {
            id: target.id()?.to_string(),
            port: target.port().and_then(|p| u16::try_from(p).ok()),
        },
        target_health: v.target_health().map(|h| TargetHealth {
            state: h.state().map(|x| x.as_str().to_string()),
        }),
    })
}

pub fn classic_load_balancer(v: &classic::LoadBalancerDescription) -> ClassicLoadBalancer {
    ClassicLoadBalancer {
        load_balancer_name: s(v.load_balancer_name()),
        dns_name: os(v.dns_name()),
        scheme: s(v.scheme()),
        vpc_id: v.vpc_id().map(Into::into),
        subnets: v.subnets().iter().map(|id| id.as_str().into()).collect(),
        security_groups: v.security_groups().iter().map(|id| id.as_str().into()).collect(),
        listener_descriptions: v
            .listener_descriptions()
            .iter()
            .filter_map(|d| d.listener())
            .filter_map(|l| {
                Some(ClassicListenerDescription {
                    listener: ClassicListener {
                        protocol: l.protocol().to_string(),
                        load_balancer_port: u16::try_from(l.load_balancer_port()).ok()?,
                        instance_protocol: os(l.instance_protocol()),
                        instance_port: u16::try_from(l.instance_port()).ok()?,
                    },
                })
            })
            .collect(),
        instances: v
            .instances()
            .iter()
            .filter_map(|i| i.instance_id())
            .map(|id| ClassicInstance { instance_id: id.into() })
            .collect(),
    }
}

fn peering_vpc(v: &ec2::VpcPeeringConnectionVpcInfo) -> PeeringVpcInfo {
    PeeringVpcInfo {
        vpc_id: v.vpc_id().map(Into::into),
        owner_id: account(v.owner_id()),
        region: os(v.region()),
        cidr_block: cidr(v.cidr_block(), "peered VPC block"),
        cidr_block_set: v
            .cidr_block_set()
            .iter()
            .filter_map(|c| cidr(c.cidr_block(), "peered VPC block"))
            .map(|cidr_block| CidrBlockAssociation { cidr_block })
            .collect(),
        ipv6_cidr_block_set: v
            .ipv6_cidr_block_set()
            .iter()
            .filter_map(|c| cidr(c.ipv6_cidr_block(), "peered VPC block"))
            .map(|ipv6_cidr_block| Ipv6CidrBlockAssociation { ipv6_cidr_block })
            .collect(),
    }
}

pub fn vpc_peering_connection(v: &ec2::VpcPeeringConnection) -> VpcPeeringConnection {
    VpcPeeringConnection {
        vpc_peering_connection_id: s(v.vpc_peering_connection_id()),
        accepter_vpc_info: v.accepter_vpc_info().map(peering_vpc),
        requester_vpc_info: v.requester_vpc_info().map(peering_vpc),
        status: v.status().map(|st| PeeringStatus {
            code: st.code().map(|c| c.as_str().to_string()),
        }),
    }
}

pub fn flow_log(v: &ec2::FlowLog) -> FlowLog {
    FlowLog {
        flow_log_id: s(v.flow_log_id()),
        resource_id: s(v.resource_id()),
        traffic_type: v.traffic_type().map(|x| x.as_str().to_string()),
        log_destination_type: v.log_destination_type().map(|x| x.as_str().to_string()),
        log_destination: os(v.log_destination()),
        log_group_name: os(v.log_group_name()),
        log_format: os(v.log_format()),
        flow_log_status: os(v.flow_log_status()),
        deliver_logs_status: os(v.deliver_logs_status()),
        deliver_logs_error_message: os(v.deliver_logs_error_message()),
        max_aggregation_interval: v.max_aggregation_interval(),
        destination_options: v.destination_options().map(|d| FlowLogDestinationOptions {
            file_format: d.file_format().map(|x| x.as_str().to_string()),
            hive_compatible_partitions: d.hive_compatible_partitions().unwrap_or(false),
            per_hour_partition: d.per_hour_partition().unwrap_or(false),
        }),
        tags: ec2_tags(v.tags()),
    }
}

pub fn instance_information(v: &ssm::InstanceInformation) -> Option<InstanceInformation> {
    Some(InstanceInformation {
        instance_id: v.instance_id()?.into(),
        ping_status: v.ping_status().map(|x| x.as_str().to_string()),
        platform_type: v.platform_type().map(|x| x.as_str().to_string()),
    })
}
