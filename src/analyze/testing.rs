//! A small organization to write check tests in the guidance's own terms.
//!
//! `TestOrg::new()` is one account (111111111111) in one region with a VPC
//! `vpc-main` (10.0.0.0/16) whose main route table routes to `igw-main`, like
//! a default VPC: `subnet-public` uses it; `subnet-private` has its own route
//! table with local routes only. Both subnets have the default network ACL
//! `acl-main`, which allows everything in and out (a default VPC's). Rules are written as one string each:
//! `"tcp 22 0.0.0.0/0"`, `"udp 3389 ::/0"`, `"all - sg-web"`,
//! `"tcp 443 pl-corp"`, `"tcp 443 sg-x@222222222222"`, `"egress all - 0.0.0.0/0"`,
//! with an optional `desc=…` at the end.

use time::macros::datetime;

use crate::config::{Config, TagMatch};
use crate::model::*;

use super::finding::Subject;
use super::Assessment;

pub const ACCOUNT: &str = "111111111111";
pub const OTHER_ACCOUNT: &str = "222222222222";

/// A test organization: a snapshot and a config, built up in the guidance's
/// terms (`fx.sg(...)`, `fx.instance(...)`, `fx.load_balancer(...)`), then
/// assessed whole ([`TestOrg::assess`]) or by one check ([`TestOrg::run`]).
/// Tests call it `fx` (the fixture).
pub struct TestOrg {
    pub snapshot: Snapshot,
    pub config: Config,
    /// Flow-log usage, as `assess --usage` would give it.
    pub usage: Option<crate::model::usage::Usage>,
}

fn rt(id: &str, vpc: &str, main: bool, subnet: Option<&str>, igw: Option<&str>) -> RouteTable {
    let mut routes = vec![Route {
        destination_cidr_block: Some("10.0.0.0/16".parse().unwrap()),
        gateway_id: Some("local".into()),
        state: Some("active".into()),
        ..Default::default()
    }];
    if let Some(igw) = igw {
        routes.push(Route {
            destination_cidr_block: Some("0.0.0.0/0".parse().unwrap()),
            gateway_id: Some(igw.into()),
            state: Some("active".into()),
            ..Default::default()
        });
        routes.push(Route {
            destination_ipv6_cidr_block: Some("::/0".parse().unwrap()),
            gateway_id: Some(igw.into()),
            state: Some("active".into()),
            ..Default::default()
        });
    }
    RouteTable {
        route_table_id: id.into(),
        vpc_id: vpc.into(),
        associations: vec![RouteTableAssociation {
            main,
            subnet_id: subnet.map(Into::into),
            gateway_id: None,
        }],
        routes,
        tags: vec![],
    }
}

/// A VPC's default network ACL: everything allowed, in and out, both families.
fn allow_all_acl(id: &str, vpc: &str, subnets: &[&str]) -> NetworkAcl {
    NetworkAcl {
        network_acl_id: id.into(),
        vpc_id: vpc.into(),
        is_default: true,
        entries: [
            "100 allow all - 0.0.0.0/0",
            "101 allow all - ::/0",
            "out 100 allow all - 0.0.0.0/0",
            "out 101 allow all - ::/0",
        ]
        .iter()
        .map(|s| acl_entry(s))
        .collect(),
        associations: subnets
            .iter()
            .map(|s| NetworkAclAssociation { subnet_id: (*s).into() })
            .collect(),
        tags: vec![],
    }
}

/// `"100 allow tcp 22 0.0.0.0/0"`, `"out 100 allow tcp 1024-65535 0.0.0.0/0"`,
/// `"50 deny all - ::/0"`.
fn acl_entry(spec: &str) -> NetworkAclEntry {
    let mut p: Vec<&str> = spec.split_whitespace().collect();
    let egress = p.first() == Some(&"out");
    if egress {
        p.remove(0);
    }
    let [number, action, proto, ports, cidr] = p[..] else {
        panic!("bad entry {spec:?}")
    };
    let cidr: Cidr = cidr.parse().unwrap();
    NetworkAclEntry {
        rule_number: number.parse().unwrap(),
        protocol: proto.parse().unwrap(),
        rule_action: action.into(),
        egress,
        cidr_block: (!cidr.is_ipv6()).then_some(cidr),
        ipv6_cidr_block: cidr.is_ipv6().then_some(cidr),
        port_range: (ports != "-").then(|| {
            let r: PortRange = ports.parse().unwrap();
            NaclPortRange {
                from: i32::from(r.from),
                to: i32::from(r.to),
            }
        }),
    }
}

fn parse_rule(spec: &str) -> (bool, IpPermission) {
    let (spec, description) = match spec.split_once(" desc=") {
        Some((s, d)) => (s, Some(d.to_string())),
        None => (spec, None),
    };
    let mut parts: Vec<&str> = spec.split_whitespace().collect();
    let egress = parts.first() == Some(&"egress");
    if egress {
        parts.remove(0);
    }
    let [proto, ports, source] = parts[..] else {
        panic!("bad rule spec {spec:?}")
    };
    let protocol: Protocol = proto.parse().unwrap();
    let (from, to) = match ports {
        "-" => (None, None),
        // ICMP: `type` or `type-code`, as AWS keeps them in FromPort/ToPort.
        p if matches!(protocol, Protocol::Icmp | Protocol::Icmpv6) => match p.split_once('-') {
            Some((t, c)) => (Some(t.parse().unwrap()), Some(c.parse().unwrap())),
            None => (Some(p.parse().unwrap()), Some(-1)),
        },
        p => {
            let r: PortRange = p.parse().unwrap();
            (Some(i32::from(r.from)), Some(i32::from(r.to)))
        }
    };
    let mut perm = IpPermission {
        ip_protocol: protocol,
        from_port: from,
        to_port: to,
        ip_ranges: vec![],
        ipv6_ranges: vec![],
        prefix_list_ids: vec![],
        user_id_group_pairs: vec![],
    };
    if source.starts_with("sg-") {
        let (id, user) = match source.split_once('@') {
            Some((id, user)) => (id, Some(AccountId::parse(user).unwrap())),
            None => (source, None),
        };
        perm.user_id_group_pairs.push(UserIdGroupPair {
            group_id: Some(id.into()),
            user_id: user,
            description,
            ..Default::default()
        });
    } else if source.starts_with("pl-") {
        perm.prefix_list_ids.push(PrefixListIdRef {
            prefix_list_id: source.into(),
            description,
        });
    } else {
        let cidr: Cidr = source.parse().unwrap();
        if cidr.is_ipv6() {
            perm.ipv6_ranges.push(Ipv6Range {
                cidr_ipv6: cidr,
                description,
            });
        } else {
            perm.ip_ranges.push(IpRange {
                cidr_ip: cidr,
                description,
            });
        }
    }
    (egress, perm)
}

fn security_group(id: &str, owner: &str, rules: &[&str]) -> SecurityGroup {
    let mut sg = SecurityGroup {
        group_id: id.into(),
        group_name: id.into(),
        description: id.into(),
        vpc_id: Some("vpc-main".into()),
        owner_id: Some(AccountId::parse(owner).unwrap()),
        ..Default::default()
    };
    for spec in rules {
        let (egress, perm) = parse_rule(spec);
        if egress {
            sg.ip_permissions_egress.push(perm);
        } else {
            sg.ip_permissions.push(perm);
        }
    }
    sg
}

impl TestOrg {
    pub fn new() -> TestOrg {
        let region = RegionSnapshot {
            region: "eu-west-1".into(),
            status: CollectionStatus::Ok,
            vpcs: vec![Vpc {
                vpc_id: "vpc-main".into(),
                cidr_block: Some("10.0.0.0/16".parse().unwrap()),
                is_default: true,
                ..Default::default()
            }],
            subnets: vec![
                Subnet {
                    subnet_id: "subnet-public".into(),
                    vpc_id: "vpc-main".into(),
                    cidr_block: Some("10.0.1.0/24".parse().unwrap()),
                    ..Default::default()
                },
                Subnet {
                    subnet_id: "subnet-private".into(),
                    vpc_id: "vpc-main".into(),
                    cidr_block: Some("10.0.2.0/24".parse().unwrap()),
                    ..Default::default()
                },
            ],
            route_tables: vec![
                rt("rtb-main", "vpc-main", true, None, Some("igw-main")),
                rt("rtb-private", "vpc-main", false, Some("subnet-private"), None),
            ],
            internet_gateways: vec![InternetGateway {
                internet_gateway_id: "igw-main".into(),
                attachments: vec![InternetGatewayAttachment {
                    vpc_id: "vpc-main".into(),
                    state: Some("available".into()),
                }],
            }],
            network_acls: vec![allow_all_acl(
                "acl-main",
                "vpc-main",
                &["subnet-public", "subnet-private"],
            )],
            target_groups: Some(vec![]),
            classic_load_balancers: Some(vec![]),
            vpc_peering_connections: Some(vec![]),
            flow_logs: Some(vec![]),
            ..Default::default()
        };
        TestOrg {
            snapshot: Snapshot {
                schema_version: SCHEMA_VERSION,
                tool: ToolInfo::this_build(),
                started_at: datetime!(2026-11-01 02:00 UTC),
                finished_at: None,
                caller_identity: None,
                config_digest: None,
                organization: None,
                imported: None,
                shard: None,
                merged_from: None,
                resumed: None,
                accounts: vec![AccountSnapshot {
                    account_id: AccountId::parse(ACCOUNT).unwrap(),
                    name: Some("test".into()),
                    ou_path: vec![],
                    status: CollectionStatus::Ok,
                    read_at: None,
                    regions: vec![region],
                }],
            },
            config: Config::default(),
            usage: None,
        }
    }

    /// `new()`, with resources tagged `criticality=critical` marked critical.
    pub fn critical() -> TestOrg {
        let mut fx = TestOrg::new();
        fx.config.critical.tags = vec![TagMatch {
            key: "criticality".into(),
            values: vec!["critical".into()],
        }];
        fx
    }

    pub fn region(&mut self) -> &mut RegionSnapshot {
        &mut self.snapshot.accounts[0].regions[0]
    }

    fn sg_mut(&mut self, id: &str) -> &mut SecurityGroup {
        self.region()
            .security_groups
            .iter_mut()
            .find(|s| s.group_id.as_str() == id)
            .unwrap_or_else(|| panic!("no group {id}"))
    }

    pub fn sg(&mut self, id: &str, rules: &[&str]) {
        let sg = security_group(id, ACCOUNT, rules);
        self.region().security_groups.push(sg);
    }

    /// Replace every rule of a group (both directions) with `rules`.
    pub fn set_rules(&mut self, id: &str, rules: &[&str]) {
        let owner = self.sg_mut(id).owner_id.clone().expect("test groups have owners");
        let fresh = security_group(id, owner.as_str(), rules);
        let sg = self.sg_mut(id);
        sg.ip_permissions = fresh.ip_permissions;
        sg.ip_permissions_egress = fresh.ip_permissions_egress;
    }

    /// Move an instance's interface to `subnet`, with `public_ip` or none.
    pub fn move_instance(&mut self, id: &str, subnet: &str, public_ip: Option<&str>) {
        let eni = format!("eni-{}", id.trim_start_matches("i-"));
        let e = self
            .region()
            .network_interfaces
            .iter_mut()
            .find(|e| e.network_interface_id.as_str() == eni)
            .unwrap_or_else(|| panic!("no interface {eni}"));
        e.subnet_id = Some(subnet.into());
        e.association = public_ip.map(|ip| PublicIpAssociation {
            public_ip: Some(ip.into()),
            ip_owner_id: Some("amazon".into()),
            allocation_id: None,
        });
        let i = self
            .region()
            .instances
            .iter_mut()
            .find(|i| i.instance_id.as_str() == id)
            .unwrap_or_else(|| panic!("no instance {id}"));
        i.subnet_id = Some(subnet.into());
        i.public_ip_address = public_ip.map(Into::into);
    }

    pub fn rename(&mut self, id: &str, name: &str, description: &str) {
        let sg = self.sg_mut(id);
        sg.group_name = name.into();
        sg.description = description.into();
    }

    pub fn tag_sg(&mut self, id: &str, tag: Tag) {
        self.sg_mut(id).tags.push(tag);
    }

    pub fn prefix_list(&mut self, id: &str, cidrs: &[&str]) {
        self.region().prefix_lists.push(ManagedPrefixList {
            prefix_list_id: id.into(),
            prefix_list_name: id.into(),
            entries: Some(
                cidrs
                    .iter()
                    .map(|c| PrefixListEntry {
                        cidr: c.parse().unwrap(),
                        description: None,
                    })
                    .collect(),
            ),
            ..Default::default()
        });
    }

    /// A running instance with one interface in `subnet`.
    pub fn instance(&mut self, id: &str, subnet: &str, groups: &[&str], public_ip: Option<&str>) {
        let groups: Vec<GroupIdentifier> = groups
            .iter()
            .map(|g| GroupIdentifier {
                group_id: (*g).into(),
                group_name: None,
            })
            .collect();
        let eni = format!("eni-{}", id.trim_start_matches("i-"));
        let vpc = self.vpc_of(subnet);
        self.region().network_interfaces.push(NetworkInterface {
            network_interface_id: eni.as_str().into(),
            subnet_id: Some(subnet.into()),
            vpc_id: Some(vpc.clone()),
            interface_type: Some("interface".into()),
            status: Some("in-use".into()),
            groups: groups.clone(),
            association: public_ip.map(|ip| PublicIpAssociation {
                public_ip: Some(ip.into()),
                ip_owner_id: Some("amazon".into()),
                allocation_id: None,
            }),
            attachment: Some(NetworkInterfaceAttachment {
                instance_id: Some(id.into()),
                status: Some("attached".into()),
                device_index: Some(0),
                ..Default::default()
            }),
            ..Default::default()
        });
        self.region().instances.push(Instance {
            instance_id: id.into(),
            state: InstanceState { name: "running".into() },
            subnet_id: Some(subnet.into()),
            vpc_id: Some(vpc),
            public_ip_address: public_ip.map(Into::into),
            security_groups: groups,
            network_interfaces: vec![InstanceNetworkInterface {
                network_interface_id: eni.as_str().into(),
            }],
            ..Default::default()
        });
    }

    /// The VPC of a subnet of the region (`vpc-main` for one not in it).
    fn vpc_of(&mut self, subnet: &str) -> VpcId {
        self.region()
            .subnets
            .iter()
            .find(|s| s.subnet_id.as_str() == subnet)
            .map_or_else(|| "vpc-main".into(), |s| s.vpc_id.clone())
    }

    pub fn stop(&mut self, id: &str) {
        let i = self
            .region()
            .instances
            .iter_mut()
            .find(|i| i.instance_id.as_str() == id)
            .unwrap();
        i.state.name = "stopped".into();
        i.public_ip_address = None;
        let eni = format!("eni-{}", id.trim_start_matches("i-"));
        let e = self
            .region()
            .network_interfaces
            .iter_mut()
            .find(|e| e.network_interface_id.as_str() == eni)
            .unwrap();
        e.association = None;
    }

    pub fn tag_instance(&mut self, id: &str, key: &str, value: &str) {
        let i = self
            .region()
            .instances
            .iter_mut()
            .find(|i| i.instance_id.as_str() == id)
            .unwrap();
        i.tags.push(Tag {
            key: key.into(),
            value: value.into(),
        });
    }

    /// An interface owned by a service (Lambda, an endpoint, a task), no instance.
    pub fn interface(&mut self, id: &str, interface_type: &str, subnet: &str, groups: &[&str]) {
        self.region().network_interfaces.push(NetworkInterface {
            network_interface_id: id.into(),
            subnet_id: Some(subnet.into()),
            vpc_id: Some("vpc-main".into()),
            interface_type: Some(interface_type.into()),
            requester_managed: true,
            status: Some("in-use".into()),
            groups: groups
                .iter()
                .map(|g| GroupIdentifier {
                    group_id: (*g).into(),
                    group_name: None,
                })
                .collect(),
            ..Default::default()
        });
    }

    pub fn load_balancer(&mut self, name: &str, internet_facing: bool, groups: &[&str], ports: &[u16]) {
        self.region().load_balancers.push(LoadBalancer {
            load_balancer_arn: format!(
                "arn:aws:elasticloadbalancing:eu-west-1:{ACCOUNT}:loadbalancer/app/{name}/0123456789abcdef"
            ),
            load_balancer_name: name.into(),
            scheme: if internet_facing { "internet-facing" } else { "internal" }.into(),
            lb_type: "application".into(),
            vpc_id: Some("vpc-main".into()),
            security_groups: groups.iter().map(|g| (*g).into()).collect(),
            // Internet-facing in the public subnet, internal in the private one.
            availability_zones: vec![LoadBalancerZone {
                zone_name: Some("eu-west-1a".into()),
                subnet_id: Some(
                    if internet_facing {
                        "subnet-public"
                    } else {
                        "subnet-private"
                    }
                    .into(),
                ),
            }],
            listeners: ports
                .iter()
                .map(|&p| Listener {
                    listener_arn: None,
                    port: p,
                    protocol: if p == 443 { "HTTPS" } else { "HTTP" }.into(),
                })
                .collect(),
            ..Default::default()
        });
    }

    /// A network load balancer (without groups of its own when `groups`
    /// is empty), listening on `ports` and forwarding each to `targets`
    /// (instance ids) on the same port.
    pub fn nlb(&mut self, name: &str, internet_facing: bool, groups: &[&str], ports: &[u16], targets: &[&str]) {
        self.load_balancer(name, internet_facing, groups, ports);
        let lb = self.region().load_balancers.last_mut().expect("just added");
        lb.lb_type = "network".into();
        lb.load_balancer_arn = lb.load_balancer_arn.replace("/app/", "/net/");
        for l in &mut lb.listeners {
            l.protocol = "TCP".into();
        }
        for &port in ports {
            self.target_group(name, &format!("{name}-{port}"), "TCP", port, targets);
        }
    }

    /// A target group of load balancer `lb`, forwarding to `targets`
    /// (instance ids, or IP addresses) on `port`.
    pub fn target_group(&mut self, lb: &str, name: &str, protocol: &str, port: u16, targets: &[&str]) {
        let arn = self
            .region()
            .load_balancers
            .iter()
            .find(|l| l.load_balancer_name == lb)
            .unwrap_or_else(|| panic!("no load balancer {lb}"))
            .load_balancer_arn
            .clone();
        self.region()
            .target_groups
            .get_or_insert_with(Vec::new)
            .push(TargetGroup {
                target_group_arn: format!("arn:aws:elasticloadbalancing:eu-west-1:{ACCOUNT}:targetgroup/{name}/0123"),
                target_group_name: name.into(),
                protocol: Some(protocol.into()),
                port: Some(port),
                vpc_id: Some("vpc-main".into()),
                target_type: Some("instance".into()),
                load_balancer_arns: vec![arn],
                target_health_descriptions: Some(
                    targets
                        .iter()
                        .map(|t| TargetHealthDescription {
                            target: TargetDescription {
                                id: (*t).into(),
                                port: Some(port),
                            },
                            target_health: None,
                        })
                        .collect(),
                ),
            });
    }

    /// A Classic Load Balancer with `(listener port, instance port)` pairs.
    pub fn classic_lb(
        &mut self,
        name: &str,
        internet_facing: bool,
        groups: &[&str],
        listeners: &[(u16, u16)],
        instances: &[&str],
    ) {
        self.region()
            .classic_load_balancers
            .get_or_insert_with(Vec::new)
            .push(ClassicLoadBalancer {
                load_balancer_name: name.into(),
                scheme: if internet_facing { "internet-facing" } else { "internal" }.into(),
                vpc_id: Some("vpc-main".into()),
                subnets: vec![if internet_facing {
                    "subnet-public"
                } else {
                    "subnet-private"
                }
                .into()],
                security_groups: groups.iter().map(|g| (*g).into()).collect(),
                listener_descriptions: listeners
                    .iter()
                    .map(|&(lb_port, instance_port)| ClassicListenerDescription {
                        listener: ClassicListener {
                            protocol: "HTTP".into(),
                            load_balancer_port: lb_port,
                            instance_protocol: Some("HTTP".into()),
                            instance_port,
                        },
                    })
                    .collect(),
                instances: instances
                    .iter()
                    .map(|i| ClassicInstance {
                        instance_id: (*i).into(),
                    })
                    .collect(),
                ..Default::default()
            });
    }

    /// Give an instance's interface an IPv6 address.
    pub fn ipv6(&mut self, instance: &str, address: &str) {
        let eni = format!("eni-{}", instance.trim_start_matches("i-"));
        self.region()
            .network_interfaces
            .iter_mut()
            .find(|e| e.network_interface_id.as_str() == eni)
            .unwrap_or_else(|| panic!("no interface {eni}"))
            .ipv6_addresses
            .push(Ipv6Address {
                ipv6_address: address.into(),
            });
    }

    /// Point the default routes (both families) of route table `table` at
    /// `target` (`nat-…`, `vpce-…`, `eigw-…`), or remove them (`None`).
    pub fn default_route(&mut self, table: &str, target: Option<&str>) {
        let rt = self
            .region()
            .route_tables
            .iter_mut()
            .find(|t| t.route_table_id.as_str() == table)
            .unwrap_or_else(|| panic!("no route table {table}"));
        rt.routes.retain(|r| {
            !r.destination_cidr_block
                .or(r.destination_ipv6_cidr_block)
                .is_some_and(|d| d.is_anywhere())
        });
        if let Some(target) = target {
            for dest in ["0.0.0.0/0", "::/0"] {
                let cidr: Cidr = dest.parse().unwrap();
                let mut route = Route {
                    destination_cidr_block: (!cidr.is_ipv6()).then_some(cidr),
                    destination_ipv6_cidr_block: cidr.is_ipv6().then_some(cidr),
                    state: Some("active".into()),
                    ..Default::default()
                };
                match target {
                    t if t.starts_with("nat-") => route.nat_gateway_id = Some(t.into()),
                    t if t.starts_with("eigw-") => route.egress_only_internet_gateway_id = Some(t.into()),
                    t => route.gateway_id = Some(t.into()),
                }
                rt.routes.push(route);
            }
        }
    }

    /// An edge route table of `gateway` sending `destination` to `target`.
    pub fn edge_route(&mut self, table: &str, gateway: &str, destination: &str, target: &str) {
        self.region().route_tables.push(RouteTable {
            route_table_id: table.into(),
            vpc_id: "vpc-main".into(),
            associations: vec![RouteTableAssociation {
                main: false,
                subnet_id: None,
                gateway_id: Some(gateway.into()),
            }],
            routes: vec![Route {
                destination_cidr_block: Some(destination.parse().unwrap()),
                gateway_id: Some(target.into()),
                state: Some("active".into()),
                ..Default::default()
            }],
            tags: vec![],
        });
    }

    /// An RDS instance in `subnet-public` when publicly accessible, else in `subnet-private`.
    pub fn rds(&mut self, id: &str, public: bool, port: u16, groups: &[&str]) {
        let subnet = if public { "subnet-public" } else { "subnet-private" };
        self.rds_in(id, public, port, groups, &[subnet]);
    }

    /// An RDS instance whose DB subnet group holds `subnets`.
    pub fn rds_in(&mut self, id: &str, public: bool, port: u16, groups: &[&str], subnets: &[&str]) {
        self.region().db_instances.push(DbInstance {
            db_subnet_group: Some(DbSubnetGroup {
                vpc_id: Some("vpc-main".into()),
                subnets: Some(
                    subnets
                        .iter()
                        .map(|s| DbSubnet {
                            subnet_identifier: (*s).into(),
                        })
                        .collect(),
                ),
            }),
            db_instance_identifier: id.into(),
            engine: if port == 3306 { "mysql" } else { "postgres" }.into(),
            endpoint: Some(DbEndpoint {
                address: None,
                port: Some(i32::from(port)),
            }),
            publicly_accessible: public,
            vpc_security_groups: groups
                .iter()
                .map(|g| VpcSecurityGroupMembership {
                    vpc_security_group_id: (*g).into(),
                    status: Some("active".into()),
                })
                .collect(),
            ..Default::default()
        });
    }

    pub fn tag_db(&mut self, id: &str, key: &str, value: &str) {
        let d = self
            .region()
            .db_instances
            .iter_mut()
            .find(|d| d.db_instance_identifier == id)
            .unwrap();
        d.tag_list.push(Tag {
            key: key.into(),
            value: value.into(),
        });
    }

    pub fn ssm(&mut self, ids: &[&str]) {
        for id in ids {
            self.region().instance_information_list.push(InstanceInformation {
                instance_id: (*id).into(),
                ping_status: Some("Online".into()),
                platform_type: Some("Linux".into()),
            });
        }
    }

    /// An active flow log (all traffic, to S3) on a VPC, subnet or interface.
    pub fn flow_log_on(&mut self, resource_id: &str) {
        let logs = self.region().flow_logs.get_or_insert_with(Vec::new);
        let n = logs.len() + 1;
        logs.push(FlowLog {
            flow_log_id: format!("fl-{n}"),
            resource_id: resource_id.into(),
            traffic_type: Some("ALL".into()),
            log_destination_type: Some("s3".into()),
            log_destination: Some("arn:aws:s3:::test-flow-logs/".into()),
            flow_log_status: Some("ACTIVE".into()),
            deliver_logs_status: Some("SUCCESS".into()),
            ..Default::default()
        });
    }

    /// The region's flow logs were not read (a snapshot from before
    /// sgaudit collected them, or DescribeFlowLogs failed).
    pub fn flow_logs_not_collected(&mut self) {
        self.region().flow_logs = None;
    }

    pub fn gap(&mut self, service: Service, operation: &str) {
        self.region().gaps.push(Gap {
            service,
            operation: operation.into(),
            error: "service unavailable".into(),
        });
    }

    /// A network ACL, associated with `subnets` (which leave the ACL they
    /// had: a subnet has one). Entries as `"100 allow tcp 22 0.0.0.0/0"`
    /// (`all -` for protocol -1), outbound ones with `out` in front; without
    /// any outbound entry, everything is allowed out.
    pub fn nacl(&mut self, id: &str, is_default: bool, entries: &[&str], subnets: &[&str]) {
        let mut entries: Vec<NetworkAclEntry> = entries.iter().map(|s| acl_entry(s)).collect();
        if !entries.iter().any(|e| e.egress) {
            entries.extend(["out 100 allow all - 0.0.0.0/0", "out 101 allow all - ::/0"].map(acl_entry));
        }
        for acl in &mut self.region().network_acls {
            acl.associations.retain(|a| !subnets.contains(&a.subnet_id.as_str()));
        }
        self.region().network_acls.push(NetworkAcl {
            network_acl_id: id.into(),
            vpc_id: "vpc-main".into(),
            is_default,
            entries,
            associations: subnets
                .iter()
                .map(|s| NetworkAclAssociation { subnet_id: (*s).into() })
                .collect(),
            tags: vec![],
        });
    }

    /// A second VPC with no internet gateway: its main route table has its
    /// local route only, and only a wrong "main route table of some VPC"
    /// lookup would find `vpc-main`'s route to the internet.
    pub fn isolated_vpc(&mut self, vpc: &str, cidr: &str, subnet: &str) {
        self.region().vpcs.push(Vpc {
            vpc_id: vpc.into(),
            cidr_block: Some(cidr.parse().unwrap()),
            ..Default::default()
        });
        self.region().subnets.push(Subnet {
            subnet_id: subnet.into(),
            vpc_id: vpc.into(),
            cidr_block: Some(cidr.parse().unwrap()),
            ..Default::default()
        });
        let mut table = rt(&format!("rtb-{vpc}"), vpc, true, None, None);
        table.routes[0].destination_cidr_block = Some(cidr.parse().unwrap());
        self.region().route_tables.push(table);
        self.region()
            .network_acls
            .push(allow_all_acl(&format!("acl-{vpc}"), vpc, &[subnet]));
    }

    /// A group in a second account (222222222222), same region.
    pub fn second_account_sg(&mut self, id: &str, rules: &[&str]) {
        if self.snapshot.accounts.len() == 1 {
            let mut region = RegionSnapshot {
                region: "eu-west-1".into(),
                status: CollectionStatus::Ok,
                ..Default::default()
            };
            region.vpcs = self.snapshot.accounts[0].regions[0].vpcs.clone();
            self.snapshot.accounts.push(AccountSnapshot {
                account_id: AccountId::parse(OTHER_ACCOUNT).unwrap(),
                name: Some("other".into()),
                ou_path: vec![],
                status: CollectionStatus::Ok,
                read_at: None,
                regions: vec![region],
            });
        }
        self.snapshot.accounts[1].regions[0]
            .security_groups
            .push(security_group(id, OTHER_ACCOUNT, rules));
    }

    pub fn assess(&self) -> Assessment {
        super::assess_with(
            &self.snapshot,
            &self.config,
            &super::Evidence {
                baseline: None,
                usage: self.usage.as_ref(),
            },
        )
    }

    /// Flow-log usage of `days` watched days for every group with an
    /// interface: every inbound rule unused but the `(group, rule key, flows)` listed.
    pub fn usage(&mut self, days: u32, used: &[(&str, &str, u64)]) {
        use crate::model::usage::*;
        let region = &self.snapshot.accounts[0].regions[0];
        let mut groups: Vec<GroupUsage> = region
            .security_groups
            .iter()
            .filter_map(|sg| {
                let interfaces: Vec<_> = region
                    .network_interfaces
                    .iter()
                    .filter(|e| e.groups.iter().any(|g| g.group_id == sg.group_id))
                    .map(|e| e.network_interface_id.clone())
                    .collect();
                (!interfaces.is_empty()).then(|| GroupUsage {
                    account_id: self.snapshot.accounts[0].account_id.clone(),
                    region: region.region.clone(),
                    group_id: sg.group_id.clone(),
                    interfaces,
                    covered_hours: days * 24,
                    unread_objects: 0,
                    rules: crate::analyze::rules::ingress(sg)
                        .map(|r| {
                            let key = r.key().canonical();
                            let flows = used
                                .iter()
                                .find(|(g, k, _)| *g == sg.group_id.as_str() && *k == key)
                                .map_or(0, |u| u.2);
                            RuleUsage {
                                key,
                                flows,
                                packets: flows * 10,
                                bytes: flows * 1000,
                                distinct_sources: u64::from(flows > 0),
                                sources_complete: true,
                                first_seen: (flows > 0).then_some(self.snapshot.started_at),
                                last_seen: (flows > 0).then_some(self.snapshot.started_at),
                                top_sources: vec![],
                                sources: vec![],
                            }
                        })
                        .collect(),
                })
            })
            .collect();
        groups.sort_by(|a, b| a.group_id.cmp(&b.group_id));
        self.usage = Some(Usage {
            schema_version: USAGE_SCHEMA_VERSION,
            tool: ToolInfo::this_build(),
            snapshot: SnapshotRef {
                sha256: "sha256:test".into(),
                started_at: self.snapshot.started_at,
            },
            window: Window {
                since: self.snapshot.started_at - time::Duration::days(i64::from(days)),
                until: self.snapshot.started_at,
                hours: days * 24,
            },
            objects: vec![],
            records: RecordCounts::default(),
            interfaces: vec![],
            groups,
        });
    }

    /// [`TestOrg::usage`], with one rule used by these `(address, flows)` sources.
    pub fn usage_sources(&mut self, days: u32, group: &str, key: &str, sources: &[(&str, u64)]) {
        let total: u64 = sources.iter().map(|s| s.1).sum();
        self.usage(days, &[(group, key, total)]);
        let usage = self.usage.as_mut().expect("just made");
        let g = usage
            .groups
            .iter_mut()
            .find(|g| g.group_id.as_str() == group)
            .expect("the group has an interface");
        let r = g
            .rules
            .iter_mut()
            .find(|r| r.key == key)
            .expect("the group has the rule");
        let mut list: Vec<crate::model::usage::SourceCount> = sources
            .iter()
            .map(|(a, n)| crate::model::usage::SourceCount {
                address: a.parse().expect("an address"),
                flows: *n,
            })
            .collect();
        list.sort_by_key(|s| s.address);
        r.distinct_sources = list.len() as u64;
        r.top_sources = list.clone();
        r.sources = list;
    }

    /// The findings of one check, in the order it emitted them, as
    /// `severity subject: summary [control ids]`.
    pub fn run(&self, check_id: &str) -> Vec<String> {
        self.run_check(check_id).0.iter().map(describe).collect()
    }

    /// The items one check could not judge, in the order it said so, as
    /// `subject: why`.
    pub fn not_assessed(&self, check_id: &str) -> Vec<String> {
        self.run_check(check_id)
            .1
            .iter()
            .map(|u| format!("{}: {}", u.subject.id(), u.why))
            .collect()
    }

    /// The findings of one check, in the order it emitted them.
    pub fn findings(&self, check_id: &str) -> Vec<super::Finding> {
        self.run_check(check_id).0
    }

    fn run_check(&self, check_id: &str) -> (Vec<super::Finding>, Vec<super::checks::Unjudged>) {
        let check = super::checks::find(check_id).unwrap_or_else(|| panic!("no check {check_id}"));
        let super::checks::Run::PerRegion(run) = check.run else {
            panic!("{check_id} does not run per region")
        };
        let mut org = super::context::OrgIndex::new(&self.snapshot);
        org.usage = self.usage.as_ref();
        let mut out = Vec::new();
        let mut unjudged = Vec::new();
        for account in &self.snapshot.accounts {
            for region in &account.regions {
                let ctx = super::context::RegionCtx::new(&self.config, &org, account, region);
                run(
                    &ctx,
                    &mut super::checks::Emit::new(check, &account.account_id, &region.region, &mut out, &mut unjudged),
                );
            }
        }
        (out, unjudged)
    }
}

/// The worst verdict of a group's inbound rules over its attachments, as
/// the outputs write it (`None`: no rule admits traffic from the internet).
pub fn reach_of(fx: &TestOrg, group: &str) -> Option<super::reach::ReachRecord> {
    let org = super::context::OrgIndex::new(&fx.snapshot);
    let account = &fx.snapshot.accounts[0];
    let ctx = super::context::RegionCtx::new(&fx.config, &org, account, &account.regions[0]);
    let g = ctx.group(group).unwrap_or_else(|| panic!("no group {group}"));
    g.reach.as_ref().map(|r| r.record())
}

pub fn describe(f: &super::Finding) -> String {
    let subject = match &f.subject {
        Subject::SecurityGroup(id) => id.to_string(),
        Subject::NetworkAcl(_) | Subject::Instance(_) | Subject::Vpc(_) => f.subject.id().to_string(),
        Subject::Exception(_) => f.account_id.to_string(),
    };
    // The exact controls, which depend on the finding (the interpretive ones
    // are the check's, whatever it finds).
    let controls: Vec<&str> = f.controls().filter(|c| c.is_exact()).map(|c| c.id).collect();
    format!("{} {subject}: {} [{}]", f.severity, f.summary, controls.join(" "))
}
