//! A deterministic generator of a large synthetic snapshot, for benchmarking
//! `sgaudit assess`.
//!
//! ```text
//! cargo run --release --example synthetic_org -- \
//!     --accounts 1000 --regions 2 --groups 100 --out bench-data/synthetic-1000.json
//! ```
//!
//! The same flags always give the same file (a fixed-seed splitmix64 drives
//! every choice; `--seed` picks another organization). Each account and region
//! is generated from its own seed, so account N looks the same whatever
//! `--accounts` is. A name ending in `.gz` is gzip-compressed. The file is
//! written by `sgaudit::model::write_snapshot`, as the collector writes it:
//! compact JSON, about 350 MiB for the command above. `--verify` reads it back
//! with sgaudit's reader.
//!
//! Per account and region: a default VPC (172.31.0.0/16, main route table to
//! an internet gateway, two default subnets) and an application VPC
//! (10.x.0.0/16, one public subnet routed to an internet gateway, two private
//! subnets with a local-only route table, a default and a custom network ACL);
//! `--groups` security groups (including each VPC's `default` group) with about
//! 5 ingress sources each; about one network interface per group (instances,
//! Lambda functions, VPC endpoints), two load balancers, two RDS instances and
//! the Systems Manager inventory of most running instances.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use sgaudit::model::*;

/// The organization every run generates unless `--seed` says otherwise.
const DEFAULT_SEED: u64 = 0x5ea0_d172_0261_1010;

const REGIONS: &[&str] = &[
    "eu-west-1",
    "us-east-1",
    "eu-central-1",
    "us-west-2",
    "ap-southeast-1",
    "ap-northeast-1",
    "eu-west-2",
    "us-east-2",
    "ca-central-1",
    "ap-south-1",
    "eu-north-1",
    "sa-east-1",
    "ap-southeast-2",
    "eu-west-3",
    "us-west-1",
    "ap-northeast-2",
];

const OUS: &[(&str, &str)] = &[
    ("Production", "prod"),
    ("Staging", "staging"),
    ("Development", "dev"),
    ("Sandbox", "sandbox"),
    ("Shared Services", "shared"),
];

const APPS: &[&str] = &[
    "payments",
    "orders",
    "checkout",
    "catalog",
    "inventory",
    "search",
    "auth",
    "users",
    "billing",
    "ledger",
    "notifications",
    "reporting",
    "analytics",
    "ingest",
    "gateway",
    "profile",
    "shipping",
    "pricing",
    "recommend",
    "media",
    "chat",
    "audit",
    "scheduler",
    "events",
    "crm",
    "partner",
    "fraud",
    "risk",
    "kyc",
    "docs",
];

const TEAMS: &[&str] = &[
    "platform", "core", "data", "web", "mobile", "finance", "identity", "sre",
];

/// Ports of the extra internal permissions: (protocol, from, to).
const INTERNAL_SERVICES: &[(Protocol, i32, i32)] = &[
    (Protocol::Tcp, 8080, 8080),
    (Protocol::Tcp, 8081, 8081),
    (Protocol::Tcp, 8443, 8443),
    (Protocol::Tcp, 9090, 9090),
    (Protocol::Tcp, 9200, 9200),
    (Protocol::Tcp, 5601, 5601),
    (Protocol::Tcp, 6443, 6443),
    (Protocol::Tcp, 2049, 2049),
    (Protocol::Tcp, 27017, 27017),
    (Protocol::Tcp, 1433, 1433),
    (Protocol::Tcp, 389, 389),
    (Protocol::Tcp, 636, 636),
    (Protocol::Tcp, 25, 25),
    (Protocol::Tcp, 8000, 8100),
    (Protocol::Tcp, 30000, 32767),
    (Protocol::Udp, 53, 53),
    (Protocol::Udp, 123, 123),
    (Protocol::Udp, 161, 161),
    (Protocol::Tcp, 53, 53),
    (Protocol::Tcp, 3000, 3000),
];

// ------------------------------------------------------------------ PRNG

/// The splitmix64 finaliser: a bijection of u64, so distinct inputs give
/// distinct outputs (that is what makes resource ids unique).
fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// splitmix64.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed)
    }
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix64(self.0)
    }
    /// Uniform in `0..n` (n > 0).
    fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }
    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }
    fn chance(&mut self, p: f64) -> bool {
        ((self.next_u64() >> 11) as f64) * (1.0 / (1u64 << 53) as f64) < p
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    /// An index drawn with the given weights.
    fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u32 = weights.iter().sum();
        let mut x = self.below(total as usize) as u32;
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        weights.len() - 1
    }
    fn upper_alnum(&mut self, len: usize) -> String {
        const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        (0..len).map(|_| *self.pick(CHARS) as char).collect()
    }
    fn lower_alnum(&mut self, len: usize) -> String {
        const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
        (0..len).map(|_| *self.pick(CHARS) as char).collect()
    }
}

/// Resource ids of one account and region: `<prefix>-0` and 16 hex digits of a
/// bijection of (seed, account, region, counter), so unique across the org.
struct Ids {
    seed: u64,
    base: u64,
    n: u64,
}

impl Ids {
    fn new(seed: u64, account: usize, region: usize) -> Self {
        Ids {
            seed,
            base: ((account as u64) << 40) | ((region as u64) << 32),
            n: 0,
        }
    }
    fn next_hex(&mut self) -> u64 {
        let v = mix64((self.base | self.n) ^ self.seed);
        self.n += 1;
        v
    }
    /// `sg-0a1b2c3d4e5f60718` (17 hex digits, as AWS's long ids).
    fn id(&mut self, prefix: &str) -> String {
        format!("{prefix}-0{:016x}", self.next_hex())
    }
}

// --------------------------------------------------------------- helpers

fn cidr(s: &str) -> Cidr {
    s.parse().unwrap_or_else(|e| panic!("{e}"))
}

fn tag(key: &str, value: impl Into<String>) -> Tag {
    Tag {
        key: key.to_string(),
        value: value.into(),
    }
}

fn perm(protocol: Protocol, from: Option<i32>, to: Option<i32>) -> IpPermission {
    IpPermission {
        ip_protocol: protocol,
        from_port: from,
        to_port: to,
        ip_ranges: Vec::new(),
        ipv6_ranges: Vec::new(),
        prefix_list_ids: Vec::new(),
        user_id_group_pairs: Vec::new(),
    }
}

fn tcp(port: i32) -> IpPermission {
    perm(Protocol::Tcp, Some(port), Some(port))
}

fn all_traffic() -> IpPermission {
    perm(Protocol::All, None, None)
}

fn sources(p: &IpPermission) -> usize {
    p.ip_ranges.len() + p.ipv6_ranges.len() + p.prefix_list_ids.len() + p.user_id_group_pairs.len()
}

fn v4(c: &str, description: Option<String>) -> IpRange {
    IpRange {
        cidr_ip: cidr(c),
        description,
    }
}

/// A description about half of the time, as in real accounts.
fn desc(rng: &mut Rng, text: impl FnOnce() -> String) -> Option<String> {
    rng.chance(0.5).then(text)
}

fn nacl_entry(
    rule_number: i32,
    protocol: Protocol,
    allow: bool,
    egress: bool,
    c: &str,
    ports: Option<(i32, i32)>,
) -> NetworkAclEntry {
    NetworkAclEntry {
        rule_number,
        protocol,
        rule_action: if allow { "allow" } else { "deny" }.to_string(),
        egress,
        cidr_block: Some(cidr(c)),
        ipv6_cidr_block: None,
        port_range: ports.map(|(from, to)| NaclPortRange { from, to }),
    }
}

fn default_nacl_entries() -> Vec<NetworkAclEntry> {
    let mut entries = Vec::new();
    for egress in [false, true] {
        entries.push(nacl_entry(100, Protocol::All, true, egress, "0.0.0.0/0", None));
        entries.push(nacl_entry(32767, Protocol::All, false, egress, "0.0.0.0/0", None));
    }
    entries
}

/// A public IPv4 address, distinct for distinct `n` (up to ~2.5M).
fn public_ip(n: u64) -> String {
    const FIRST: &[u8] = &[3, 18, 34, 35, 52, 54];
    let host = n % 254 + 1;
    let rest = n / 254;
    let first = FIRST[(rest / 65536 % FIRST.len() as u64) as usize];
    format!("{first}.{}.{}.{host}", (rest >> 8) & 255, rest & 255)
}

// ------------------------------------------------------------------ stats

#[derive(Default)]
struct Stats {
    accounts: usize,
    regions: usize,
    vpcs: usize,
    subnets: usize,
    groups: usize,
    groups_without_eni: usize,
    ingress_permissions: usize,
    ingress_rules: usize,
    ipv4_sources: usize,
    ipv6_sources: usize,
    prefix_list_sources: usize,
    group_sources: usize,
    egress_rules: usize,
    world_ssh_groups: usize,
    launch_wizard_groups: usize,
    tmp_test_groups: usize,
    cloudformation_groups: usize,
    critical_groups: usize,
    enis: usize,
    enis_on_instances: usize,
    instances: usize,
    running: usize,
    public_instances: usize,
    load_balancers: usize,
    db_instances: usize,
    ssm_managed: usize,
}

// ------------------------------------------------------------- generator

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Role {
    Default,
    LaunchWizard,
    Web,
    App,
    Db(i32),
    Cache,
    Bastion,
    Endpoint,
    Worker,
    Legacy,
}

impl Role {
    fn tier(self) -> &'static str {
        match self {
            Role::Default => "default",
            Role::LaunchWizard => "launch-wizard",
            Role::Web => "web",
            Role::App => "api",
            Role::Db(3306) => "mysql",
            Role::Db(_) => "postgres",
            Role::Cache => "cache",
            Role::Bastion => "bastion",
            Role::Endpoint => "vpce",
            Role::Worker => "worker",
            Role::Legacy => "legacy",
        }
    }
    fn logical_id(self) -> &'static str {
        match self {
            Role::Web => "LoadBalancerSecurityGroup",
            Role::App => "ServiceSecurityGroup",
            Role::Db(_) => "DatabaseSecurityGroup",
            Role::Cache => "CacheSecurityGroup",
            Role::Bastion => "BastionSecurityGroup",
            Role::Endpoint => "EndpointSecurityGroup",
            Role::Worker => "WorkerSecurityGroup",
            _ => "SecurityGroup",
        }
    }
}

/// The first pass over a region's groups: who is who, before any rule is written.
struct GroupPlan {
    id: SecurityGroupId,
    name: String,
    vpc: usize,
    role: Role,
    app: &'static str,
    cfn: bool,
}

struct Account {
    idx: usize,
    id: AccountId,
    env: &'static str,
}

struct Net {
    vpc_ids: [VpcId; 2],
    vpc_cidrs: [String; 2],
    /// default-a, default-b, public, private-a, private-b (see `SUB_*`).
    subnets: Vec<SubnetInfo>,
}

struct SubnetInfo {
    id: SubnetId,
    vpc: usize,
    public: bool,
    az: char,
}

const SUB_DEFAULT_A: usize = 0;
const SUB_DEFAULT_B: usize = 1;
const SUB_PUBLIC: usize = 2;
const SUB_PRIVATE_A: usize = 3;
const SUB_PRIVATE_B: usize = 4;

struct RegionGen<'a> {
    acct: &'a Account,
    region: &'static str,
    rng: Rng,
    ids: Ids,
    octet: u8,
    ip_counter: [u32; 5],
    public_ip_base: u64,
    public_ip_n: u64,
}

impl RegionGen<'_> {
    fn owner(&self) -> Option<AccountId> {
        Some(self.acct.id.clone())
    }

    /// The next private address of a subnet (wraps inside the /20).
    fn private_ip(&mut self, subnet: usize) -> String {
        let n = 4 + self.ip_counter[subnet] % 4090;
        self.ip_counter[subnet] += 1;
        let (a, b, c) = match subnet {
            SUB_DEFAULT_A => (172u32, 31u32, 0u32),
            SUB_DEFAULT_B => (172, 31, 16),
            SUB_PUBLIC => (10, u32::from(self.octet), 0),
            SUB_PRIVATE_A => (10, u32::from(self.octet), 16),
            _ => (10, u32::from(self.octet), 32),
        };
        format!("{a}.{b}.{}.{}", c + n / 256, n % 256)
    }

    fn public_ip(&mut self) -> String {
        let ip = public_ip(self.public_ip_base + self.public_ip_n);
        self.public_ip_n += 1;
        ip
    }

    fn network(&mut self, r: &mut RegionSnapshot) -> Net {
        let x = self.octet;
        let region = self.region;
        let def_vpc = VpcId::new(self.ids.id("vpc"));
        let app_vpc = VpcId::new(self.ids.id("vpc"));
        let app_cidr = format!("10.{x}.0.0/16");
        r.vpcs.push(Vpc {
            vpc_id: def_vpc.clone(),
            owner_id: self.owner(),
            cidr_block: Some(cidr("172.31.0.0/16")),
            cidr_block_association_set: vec![CidrBlockAssociation {
                cidr_block: cidr("172.31.0.0/16"),
            }],
            is_default: true,
            ..Default::default()
        });
        r.vpcs.push(Vpc {
            vpc_id: app_vpc.clone(),
            owner_id: self.owner(),
            cidr_block: Some(cidr(&app_cidr)),
            cidr_block_association_set: vec![CidrBlockAssociation {
                cidr_block: cidr(&app_cidr),
            }],
            tags: vec![tag("Name", format!("{}-vpc", self.acct.env))],
            ..Default::default()
        });

        // (vpc, block, public, AZ letter, Name)
        let specs: [(usize, String, bool, char, Option<&str>); 5] = [
            (0, "172.31.0.0/20".into(), true, 'a', None),
            (0, "172.31.16.0/20".into(), true, 'b', None),
            (1, format!("10.{x}.0.0/20"), true, 'a', Some("public-a")),
            (1, format!("10.{x}.16.0/20"), false, 'a', Some("private-a")),
            (1, format!("10.{x}.32.0/20"), false, 'b', Some("private-b")),
        ];
        let mut subnets = Vec::new();
        for (vpc, block, public, az, name) in specs {
            let id = SubnetId::new(self.ids.id("subnet"));
            let vpc_id = if vpc == 0 { &def_vpc } else { &app_vpc };
            r.subnets.push(Subnet {
                subnet_id: id.clone(),
                vpc_id: vpc_id.clone(),
                cidr_block: Some(cidr(&block)),
                availability_zone: Some(format!("{region}{az}")),
                map_public_ip_on_launch: public,
                tags: name.map(|n| vec![tag("Name", n)]).unwrap_or_default(),
                ..Default::default()
            });
            subnets.push(SubnetInfo { id, vpc, public, az });
        }

        let def_igw = self.ids.id("igw");
        let app_igw = self.ids.id("igw");
        for (igw, vpc) in [(&def_igw, &def_vpc), (&app_igw, &app_vpc)] {
            r.internet_gateways.push(InternetGateway {
                internet_gateway_id: igw.clone(),
                attachments: vec![InternetGatewayAttachment {
                    vpc_id: vpc.clone(),
                    state: Some("available".into()),
                }],
            });
        }

        let local = |block: &str| Route {
            destination_cidr_block: Some(cidr(block)),
            gateway_id: Some("local".into()),
            state: Some("active".into()),
            ..Default::default()
        };
        let to_igw = |igw: &str| Route {
            destination_cidr_block: Some(cidr("0.0.0.0/0")),
            gateway_id: Some(igw.to_string()),
            state: Some("active".into()),
            ..Default::default()
        };
        let main = RouteTableAssociation {
            main: true,
            ..Default::default()
        };
        let explicit = |s: usize| RouteTableAssociation {
            subnet_id: Some(subnets[s].id.clone()),
            ..Default::default()
        };
        r.route_tables.push(RouteTable {
            route_table_id: RouteTableId::new(self.ids.id("rtb")),
            vpc_id: def_vpc.clone(),
            associations: vec![main.clone()],
            routes: vec![local("172.31.0.0/16"), to_igw(&def_igw)],
            ..Default::default()
        });
        r.route_tables.push(RouteTable {
            route_table_id: RouteTableId::new(self.ids.id("rtb")),
            vpc_id: app_vpc.clone(),
            associations: vec![main],
            routes: vec![local(&app_cidr)],
            tags: vec![tag("Name", "main")],
        });
        r.route_tables.push(RouteTable {
            route_table_id: RouteTableId::new(self.ids.id("rtb")),
            vpc_id: app_vpc.clone(),
            associations: vec![explicit(SUB_PUBLIC)],
            routes: vec![local(&app_cidr), to_igw(&app_igw)],
            tags: vec![tag("Name", "public")],
        });
        r.route_tables.push(RouteTable {
            route_table_id: RouteTableId::new(self.ids.id("rtb")),
            vpc_id: app_vpc.clone(),
            associations: vec![explicit(SUB_PRIVATE_A), explicit(SUB_PRIVATE_B)],
            routes: vec![local(&app_cidr)],
            tags: vec![tag("Name", "private")],
        });

        let assoc = |s: usize| NetworkAclAssociation {
            subnet_id: subnets[s].id.clone(),
        };
        // Every VPC has its default ACL; the application VPC also a custom one.
        r.network_acls.push(NetworkAcl {
            network_acl_id: NetworkAclId::new(self.ids.id("acl")),
            vpc_id: def_vpc.clone(),
            is_default: true,
            entries: default_nacl_entries(),
            associations: vec![assoc(SUB_DEFAULT_A), assoc(SUB_DEFAULT_B)],
            ..Default::default()
        });
        r.network_acls.push(NetworkAcl {
            network_acl_id: NetworkAclId::new(self.ids.id("acl")),
            vpc_id: app_vpc.clone(),
            is_default: true,
            entries: default_nacl_entries(),
            associations: vec![assoc(SUB_PUBLIC)],
            ..Default::default()
        });
        r.network_acls.push(NetworkAcl {
            network_acl_id: NetworkAclId::new(self.ids.id("acl")),
            vpc_id: app_vpc.clone(),
            is_default: false,
            entries: vec![
                nacl_entry(90, Protocol::Tcp, false, false, "0.0.0.0/0", Some((3389, 3389))),
                nacl_entry(100, Protocol::All, true, false, &app_cidr, None),
                nacl_entry(110, Protocol::Tcp, true, false, "0.0.0.0/0", Some((443, 443))),
                nacl_entry(120, Protocol::Tcp, true, false, "0.0.0.0/0", Some((1024, 65535))),
                nacl_entry(32767, Protocol::All, false, false, "0.0.0.0/0", None),
                nacl_entry(100, Protocol::All, true, true, "0.0.0.0/0", None),
                nacl_entry(32767, Protocol::All, false, true, "0.0.0.0/0", None),
            ],
            associations: vec![assoc(SUB_PRIVATE_A), assoc(SUB_PRIVATE_B)],
            tags: vec![tag("Name", "private-nacl")],
        });

        Net {
            vpc_ids: [def_vpc, app_vpc],
            vpc_cidrs: ["172.31.0.0/16".into(), app_cidr],
            subnets,
        }
    }

    fn prefix_list(&mut self, r: &mut RegionSnapshot) -> PrefixListId {
        let id = PrefixListId::new(self.ids.id("pl"));
        let mut entries = vec![
            PrefixListEntry {
                cidr: cidr("198.51.100.0/24"),
                description: Some("London office".into()),
            },
            PrefixListEntry {
                cidr: cidr("203.0.113.0/24"),
                description: Some("Paris office".into()),
            },
        ];
        let extra = self.rng.below(3);
        for i in 0..extra {
            entries.push(PrefixListEntry {
                cidr: cidr(&format!("192.0.2.{}/32", 10 + i)),
                description: Some(format!("VPN egress {}", i + 1)),
            });
        }
        r.prefix_lists.push(ManagedPrefixList {
            prefix_list_id: id.clone(),
            prefix_list_name: "corp-office-cidrs".into(),
            address_family: Some("IPv4".into()),
            owner_id: Some(self.acct.id.to_string()),
            max_entries: Some(10),
            entries: Some(entries),
        });
        id
    }

    fn plan_groups(&mut self, n_groups: usize) -> Vec<GroupPlan> {
        let mut plans = Vec::with_capacity(n_groups);
        for vpc in 0..2.min(n_groups) {
            plans.push(GroupPlan {
                id: SecurityGroupId::new(self.ids.id("sg")),
                name: "default".into(),
                vpc,
                role: Role::Default,
                app: "default",
                cfn: false,
            });
        }
        let mut launch_wizards = 0;
        for i in 0..n_groups.saturating_sub(2) {
            let rng = &mut self.rng;
            // The first groups have fixed roles: the load balancers and the
            // databases need them.
            let role = match i {
                0 => Role::Web,
                1 => Role::App,
                2 => Role::Db(3306),
                3 => Role::Db(5432),
                _ => match rng.weighted(&[2, 6, 42, 9, 6, 4, 10, 15, 6]) {
                    0 => Role::LaunchWizard,
                    1 => Role::Web,
                    2 => Role::App,
                    3 => Role::Db(if rng.chance(0.5) { 3306 } else { 5432 }),
                    4 => Role::Cache,
                    5 => Role::Bastion,
                    6 => Role::Endpoint,
                    7 => Role::Worker,
                    _ => Role::Legacy,
                },
            };
            let vpc = match role {
                Role::LaunchWizard => 0,
                _ if i < 4 => 1,
                _ if rng.chance(0.1) => 0,
                _ => 1,
            };
            let app = *rng.pick(APPS);
            let env = self.acct.env;
            let (name, cfn) = if role == Role::LaunchWizard {
                launch_wizards += 1;
                (format!("launch-wizard-{launch_wizards}"), false)
            } else if rng.chance(0.02) {
                let name = match rng.below(3) {
                    0 => format!("tmp-{app}-{}", i + 1),
                    1 => format!("{app}-test-{}", i + 1),
                    _ => format!("{app}-{}-tmp-{}", role.tier(), i + 1),
                };
                (name, false)
            } else if rng.chance(0.6) {
                let suffix = rng.upper_alnum(12);
                (format!("{app}-{env}-{}-{suffix}", role.logical_id()), true)
            } else {
                (format!("{app}-{}-sg-{:03}", role.tier(), i + 1), false)
            };
            plans.push(GroupPlan {
                id: SecurityGroupId::new(self.ids.id("sg")),
                name,
                vpc,
                role,
                app,
                cfn,
            });
        }
        plans
    }

    fn pair(&mut self, group: &SecurityGroupId, text: impl FnOnce() -> String) -> UserIdGroupPair {
        UserIdGroupPair {
            group_id: Some(group.clone()),
            user_id: self.owner(),
            description: desc(&mut self.rng, text),
            ..Default::default()
        }
    }

    /// An internal source block: the org range, the VPC, or one of its subnets.
    fn internal_cidr(&mut self, vpc: usize, net: &Net) -> String {
        let x = self.octet;
        match (vpc, self.rng.below(6)) {
            (_, 0 | 1) => "10.0.0.0/8".into(),
            (_, 2) => net.vpc_cidrs[vpc].clone(),
            (0, _) => format!("172.31.{}.0/20", 16 * self.rng.below(2)),
            (_, 3) => format!("10.{x}.16.0/20"),
            (_, 4) => format!("10.{x}.32.0/20"),
            _ => format!("10.{}.0.0/16", self.rng.below(256)),
        }
    }

    fn internal_ranges(&mut self, p: &mut IpPermission, n: usize, vpc: usize, net: &Net) {
        for _ in 0..n {
            let c = self.internal_cidr(vpc, net);
            if p.ip_ranges.iter().any(|r| r.cidr_ip.to_string() == c) {
                continue;
            }
            let d = desc(&mut self.rng, || format!("internal {c}"));
            p.ip_ranges.push(v4(&c, d));
        }
    }

    /// HTTPS from the offices' customer-managed prefix list.
    fn offices_rule(&mut self, pl: &PrefixListId) -> IpPermission {
        let mut p = tcp(443);
        p.prefix_list_ids.push(PrefixListIdRef {
            prefix_list_id: pl.clone(),
            description: desc(&mut self.rng, || "offices".into()),
        });
        p
    }

    fn world(&mut self, p: &mut IpPermission, v6: f64) {
        let d = desc(&mut self.rng, || "from anywhere".into());
        p.ip_ranges.push(v4("0.0.0.0/0", d));
        if self.rng.chance(v6) {
            p.ipv6_ranges.push(Ipv6Range {
                cidr_ipv6: cidr("::/0"),
                description: None,
            });
        }
    }

    fn admin_hosts(&mut self, p: &mut IpPermission, n: usize) {
        const PEOPLE: &[&str] = &["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"];
        for _ in 0..n {
            let net = *self.rng.pick(&["198.51.100", "203.0.113", "192.0.2"]);
            let host = self.rng.range(1, 254);
            let who = *self.rng.pick(PEOPLE);
            let d = desc(&mut self.rng, || format!("{who} home"));
            p.ip_ranges.push(v4(&format!("{net}.{host}/32"), d));
        }
    }

    /// Up to `n` other groups of `vpc` with one of `roles` (never `me`).
    fn peers(
        &mut self,
        plans: &[GroupPlan],
        me: usize,
        vpc: usize,
        roles: &[fn(Role) -> bool],
        n: usize,
    ) -> Vec<SecurityGroupId> {
        let candidates: Vec<usize> = (0..plans.len())
            .filter(|&i| i != me && plans[i].vpc == vpc && roles.iter().any(|f| f(plans[i].role)))
            .collect();
        let mut out: Vec<SecurityGroupId> = Vec::new();
        if candidates.is_empty() {
            return out;
        }
        for _ in 0..n {
            let id = &plans[*self.rng.pick(&candidates)].id;
            if !out.contains(id) {
                out.push(id.clone());
            }
        }
        out
    }

    fn ingress(&mut self, plans: &[GroupPlan], me: usize, net: &Net, pl: &PrefixListId) -> Vec<IpPermission> {
        let g = &plans[me];
        let (vpc, role, app) = (g.vpc, g.role, g.app);
        let mut perms = Vec::new();
        let is_app = |r: Role| matches!(r, Role::App | Role::Worker | Role::Legacy);
        let is_web = |r: Role| r == Role::Web;
        match role {
            Role::Default => {
                let mut p = all_traffic();
                p.user_id_group_pairs.push(UserIdGroupPair {
                    group_id: Some(g.id.clone()),
                    user_id: self.owner(),
                    ..Default::default()
                });
                perms.push(p);
                if self.rng.chance(0.05) {
                    let mut p = tcp(22);
                    self.internal_ranges(&mut p, 1, vpc, net);
                    perms.push(p);
                }
                return perms;
            }
            Role::LaunchWizard => {
                let mut p = tcp(22);
                p.ip_ranges.push(v4("0.0.0.0/0", None));
                perms.push(p);
                if self.rng.chance(0.3) {
                    for port in [80, 443] {
                        let mut p = tcp(port);
                        p.ip_ranges.push(v4("0.0.0.0/0", None));
                        p.ipv6_ranges.push(Ipv6Range {
                            cidr_ipv6: cidr("::/0"),
                            description: None,
                        });
                        perms.push(p);
                    }
                }
                if self.rng.chance(0.2) {
                    let mut p = tcp(3389);
                    p.ip_ranges.push(v4("0.0.0.0/0", None));
                    perms.push(p);
                }
                return perms;
            }
            Role::Web => {
                let mut p = tcp(443);
                self.world(&mut p, 0.5);
                perms.push(p);
                if self.rng.chance(0.7) {
                    let mut p = tcp(80);
                    self.world(&mut p, 0.5);
                    perms.push(p);
                }
                if self.rng.chance(0.3) {
                    perms.push(self.offices_rule(pl));
                }
            }
            Role::App => {
                let port = *self.rng.pick(&[8080, 8443, 3000, 5000, 9000, 8000, 443]);
                let mut p = tcp(port);
                let n = self.rng.range(1, 2);
                for id in self.peers(plans, me, vpc, &[is_web], n) {
                    let pair = self.pair(&id, || "from load balancer".into());
                    p.user_id_group_pairs.push(pair);
                }
                let n = self.rng.range(1, 3);
                self.internal_ranges(&mut p, n, vpc, net);
                perms.push(p);
                if self.rng.chance(0.3) {
                    perms.push(self.offices_rule(pl));
                }
                if self.rng.chance(0.25) {
                    let mut p = tcp(9100);
                    p.ip_ranges
                        .push(v4("10.0.0.0/8", desc(&mut self.rng, || "prometheus".into())));
                    perms.push(p);
                }
                if self.rng.chance(0.06) {
                    let mut p = tcp(22);
                    let n = self.rng.range(1, 2);
                    self.admin_hosts(&mut p, n);
                    perms.push(p);
                }
            }
            Role::Db(port) => {
                let mut p = tcp(port);
                let n = self.rng.range(1, 4);
                for id in self.peers(plans, me, vpc, &[is_app], n) {
                    let pair = self.pair(&id, || format!("{app} service"));
                    p.user_id_group_pairs.push(pair);
                }
                if p.user_id_group_pairs.is_empty() || self.rng.chance(0.5) {
                    self.internal_ranges(&mut p, 1, vpc, net);
                }
                if self.rng.chance(0.1) {
                    p.prefix_list_ids.push(PrefixListIdRef {
                        prefix_list_id: pl.clone(),
                        description: desc(&mut self.rng, || "DBA access".into()),
                    });
                }
                perms.push(p);
            }
            Role::Cache => {
                let port = *self.rng.pick(&[6379, 11211]);
                let mut p = tcp(port);
                let n = self.rng.range(1, 3);
                for id in self.peers(plans, me, vpc, &[is_app], n) {
                    let pair = self.pair(&id, || "app servers".into());
                    p.user_id_group_pairs.push(pair);
                }
                if p.user_id_group_pairs.is_empty() {
                    self.internal_ranges(&mut p, 1, vpc, net);
                }
                perms.push(p);
            }
            Role::Bastion => {
                let mut p = tcp(22);
                let n = self.rng.range(2, 5);
                self.admin_hosts(&mut p, n);
                if self.rng.chance(0.5) {
                    p.prefix_list_ids.push(PrefixListIdRef {
                        prefix_list_id: pl.clone(),
                        description: desc(&mut self.rng, || "offices".into()),
                    });
                }
                perms.push(p);
                if self.rng.chance(0.2) {
                    let mut p = tcp(3389);
                    self.admin_hosts(&mut p, 1);
                    perms.push(p);
                }
            }
            Role::Endpoint => {
                let mut p = tcp(443);
                p.ip_ranges
                    .push(v4(&net.vpc_cidrs[vpc].clone(), desc(&mut self.rng, || "VPC".into())));
                if self.rng.chance(0.5) {
                    p.ip_ranges.push(v4("10.0.0.0/8", None));
                }
                perms.push(p);
            }
            Role::Worker => {
                for _ in 0..self.rng.range(1, 2) {
                    let (proto, from, to) = *self.rng.pick(INTERNAL_SERVICES);
                    let mut p = perm(proto, Some(from), Some(to));
                    let n = self.rng.range(1, 3);
                    self.internal_ranges(&mut p, n, vpc, net);
                    perms.push(p);
                }
            }
            Role::Legacy => {
                for _ in 0..self.rng.range(4, 8) {
                    let mut p = match self.rng.below(5) {
                        0 => perm(Protocol::Tcp, Some(0), Some(65535)),
                        1 => perm(Protocol::Tcp, Some(1024), Some(65535)),
                        2 => all_traffic(),
                        _ => {
                            let (proto, from, to) = *self.rng.pick(INTERNAL_SERVICES);
                            perm(proto, Some(from), Some(to))
                        }
                    };
                    let n = self.rng.range(1, 4);
                    self.internal_ranges(&mut p, n, vpc, net);
                    if self.rng.chance(0.3) {
                        for id in self.peers(plans, me, vpc, &[is_app], 1) {
                            p.user_id_group_pairs.push(self.pair(&id, String::new));
                        }
                    }
                    perms.push(p);
                }
            }
        }
        // Extra internal permissions, which most long-lived groups accumulate.
        let extra = self.rng.weighted(&[40, 30, 18, 8, 4]);
        for _ in 0..extra {
            let (proto, from, to) = *self.rng.pick(INTERNAL_SERVICES);
            if perms
                .iter()
                .any(|p| p.ip_protocol == proto && p.from_port == Some(from) && p.to_port == Some(to))
            {
                continue;
            }
            let mut p = perm(proto, Some(from), Some(to));
            let n = self.rng.range(1, 2);
            self.internal_ranges(&mut p, n, vpc, net);
            perms.push(p);
        }
        if self.rng.chance(0.15) {
            let mut p = perm(Protocol::Icmp, Some(-1), Some(-1));
            p.ip_ranges
                .push(v4("10.0.0.0/8", desc(&mut self.rng, || "ping".into())));
            perms.push(p);
        }
        let world_ssh = if g.name.contains("tmp") || g.name.contains("test") {
            0.3
        } else {
            0.01
        };
        if self.rng.chance(world_ssh) && !perms.iter().any(|p| p.from_port == Some(22)) {
            let mut p = tcp(22);
            p.ip_ranges
                .push(v4("0.0.0.0/0", desc(&mut self.rng, || "temporary".into())));
            perms.push(p);
        }
        perms
    }

    fn group(&mut self, plans: &[GroupPlan], me: usize, net: &Net, pl: &PrefixListId, st: &mut Stats) -> SecurityGroup {
        let ingress = self.ingress(plans, me, net, pl);
        let g = &plans[me];
        let mut egress = all_traffic();
        egress.ip_ranges.push(v4("0.0.0.0/0", None));
        let description = match g.role {
            Role::Default => "default VPC security group".to_string(),
            Role::LaunchWizard => format!(
                "{} created 2025-{:02}-{:02}T{:02}:{:02}:{:02}.000Z",
                g.name,
                self.rng.range(1, 12),
                self.rng.range(1, 28),
                self.rng.range(0, 23),
                self.rng.range(0, 59),
                self.rng.range(0, 59)
            ),
            r if g.cfn => format!("{} security group for {}", r.tier(), g.app),
            r => format!("{} {}", g.app, r.tier()),
        };
        let mut tags = Vec::new();
        if g.cfn {
            tags.push(tag(
                "aws:cloudformation:stack-name",
                format!("{}-{}", g.app, self.acct.env),
            ));
            tags.push(tag("aws:cloudformation:logical-id", g.role.logical_id()));
            st.cloudformation_groups += 1;
        }
        if g.role != Role::Default && g.role != Role::LaunchWizard {
            if self.rng.chance(0.5) {
                tags.push(tag("team", *self.rng.pick(TEAMS)));
            }
            let critical = if matches!(g.role, Role::Db(_)) { 0.4 } else { 0.08 };
            if self.rng.chance(critical) {
                tags.push(tag("criticality", "critical"));
                st.critical_groups += 1;
            } else if self.rng.chance(0.2) {
                tags.push(tag("criticality", "standard"));
            }
            if self.rng.chance(0.3) {
                tags.push(tag("Name", g.name.clone()));
            }
        }
        st.groups += 1;
        st.ingress_permissions += ingress.len();
        for p in &ingress {
            st.ingress_rules += sources(p);
            st.ipv4_sources += p.ip_ranges.len();
            st.ipv6_sources += p.ipv6_ranges.len();
            st.prefix_list_sources += p.prefix_list_ids.len();
            st.group_sources += p.user_id_group_pairs.len();
        }
        st.egress_rules += sources(&egress);
        if ingress
            .iter()
            .any(|p| p.ports().is_some_and(|r| r.contains(22)) && p.ip_ranges.iter().any(|r| r.cidr_ip.is_anywhere()))
        {
            st.world_ssh_groups += 1;
        }
        if g.role == Role::LaunchWizard {
            st.launch_wizard_groups += 1;
        }
        if g.name.contains("tmp") || g.name.contains("test") {
            st.tmp_test_groups += 1;
        }
        SecurityGroup {
            group_id: g.id.clone(),
            group_name: g.name.clone(),
            description,
            vpc_id: Some(net.vpc_ids[g.vpc].clone()),
            owner_id: self.owner(),
            ip_permissions: ingress,
            ip_permissions_egress: vec![egress],
            tags,
        }
    }

    fn group_ref(plans: &[GroupPlan], i: usize) -> GroupIdentifier {
        GroupIdentifier {
            group_id: plans[i].id.clone(),
            group_name: Some(plans[i].name.clone()),
        }
    }

    /// A requester-managed interface of an AWS service (load balancer, RDS).
    #[allow(clippy::too_many_arguments)]
    fn service_eni(
        &mut self,
        r: &mut RegionSnapshot,
        net: &Net,
        subnet: usize,
        groups: Vec<GroupIdentifier>,
        description: String,
        requester: &str,
        public: bool,
    ) {
        let ip = self.private_ip(subnet);
        let association = public.then(|| PublicIpAssociation {
            public_ip: Some(self.public_ip()),
            ip_owner_id: Some("amazon".into()),
            allocation_id: None,
        });
        r.network_interfaces.push(NetworkInterface {
            network_interface_id: NetworkInterfaceId::new(self.ids.id("eni")),
            subnet_id: Some(net.subnets[subnet].id.clone()),
            vpc_id: Some(net.vpc_ids[net.subnets[subnet].vpc].clone()),
            interface_type: Some("interface".into()),
            description: Some(description),
            requester_id: Some(requester.into()),
            requester_managed: true,
            status: Some("in-use".into()),
            groups,
            association: association.clone(),
            private_ip_address: Some(ip.clone()),
            private_ip_addresses: vec![PrivateIpAddress {
                private_ip_address: Some(ip),
                primary: true,
                association,
            }],
            attachment: Some(NetworkInterfaceAttachment {
                instance_owner_id: Some(requester.into()),
                status: Some("attached".into()),
                device_index: Some(1),
                ..Default::default()
            }),
            ..Default::default()
        });
    }

    fn interfaces(&mut self, r: &mut RegionSnapshot, plans: &[GroupPlan], net: &Net, st: &mut Stats) {
        let mut instance_no = 0;
        for (gi, g) in plans.iter().enumerate() {
            let count = if g.role == Role::Default {
                usize::from(self.rng.chance(0.05))
            } else {
                [0, 1, 2][self.rng.weighted(&[15, 72, 13])]
            };
            if count == 0 {
                st.groups_without_eni += 1;
            }
            for _ in 0..count {
                let subnet = match (g.vpc, g.role) {
                    (0, _) => SUB_DEFAULT_A + self.rng.below(2),
                    (_, Role::Web | Role::Bastion) => SUB_PUBLIC,
                    (_, Role::App | Role::Worker | Role::Legacy) if self.rng.chance(0.08) => SUB_PUBLIC,
                    _ => SUB_PRIVATE_A + self.rng.below(2),
                };
                let public_subnet = net.subnets[subnet].public;
                let mut groups = vec![Self::group_ref(plans, gi)];
                if self.rng.chance(0.25) {
                    let same_vpc: Vec<usize> = (0..plans.len()).filter(|&j| j != gi && plans[j].vpc == g.vpc).collect();
                    if !same_vpc.is_empty() {
                        groups.push(Self::group_ref(plans, *self.rng.pick(&same_vpc)));
                    }
                }
                let kind = match g.role {
                    Role::Endpoint => 2,
                    Role::Web | Role::Bastion | Role::LaunchWizard | Role::Default => 0,
                    _ => self.rng.weighted(&[64, 22, 14]),
                };
                let eni_id = NetworkInterfaceId::new(self.ids.id("eni"));
                let ip = self.private_ip(subnet);
                let subnet_id = net.subnets[subnet].id.clone();
                let vpc_id = net.vpc_ids[g.vpc].clone();
                let mut eni = NetworkInterface {
                    network_interface_id: eni_id.clone(),
                    subnet_id: Some(subnet_id.clone()),
                    vpc_id: Some(vpc_id.clone()),
                    status: Some("in-use".into()),
                    groups: groups.clone(),
                    private_ip_address: Some(ip.clone()),
                    ..Default::default()
                };
                let mut public_ip = None;
                match kind {
                    0 if self.rng.chance(0.03) => {
                        // Detached, left behind.
                        eni.interface_type = Some("interface".into());
                        eni.status = Some("available".into());
                        eni.description = Some(format!("{} spare", g.app));
                    }
                    0 => {
                        instance_no += 1;
                        let instance_id = InstanceId::new(self.ids.id("i"));
                        let running = self.rng.chance(0.85);
                        let windows = self.rng.chance(0.08);
                        if running && public_subnet {
                            let ip = self.public_ip();
                            let eip = self.rng.chance(0.1);
                            eni.association = Some(PublicIpAssociation {
                                public_ip: Some(ip.clone()),
                                ip_owner_id: Some(if eip { self.acct.id.to_string() } else { "amazon".into() }),
                                allocation_id: eip.then(|| self.ids.id("eipalloc")),
                            });
                            public_ip = Some(ip);
                            st.public_instances += 1;
                        }
                        eni.interface_type = Some("interface".into());
                        eni.description = Some(String::new());
                        eni.attachment = Some(NetworkInterfaceAttachment {
                            instance_id: Some(instance_id.clone()),
                            instance_owner_id: Some(self.acct.id.to_string()),
                            status: Some("attached".into()),
                            device_index: Some(0),
                        });
                        let name = format!("{}-{}-{instance_no:03}", g.app, g.role.tier());
                        let mut tags = vec![tag("Name", name)];
                        if g.cfn {
                            tags.push(tag(
                                "aws:cloudformation:stack-name",
                                format!("{}-{}", g.app, self.acct.env),
                            ));
                        }
                        r.instances.push(Instance {
                            instance_id: instance_id.clone(),
                            state: InstanceState {
                                name: if running { "running" } else { "stopped" }.into(),
                            },
                            subnet_id: Some(subnet_id),
                            vpc_id: Some(vpc_id),
                            public_ip_address: public_ip.clone(),
                            private_ip_address: Some(ip.clone()),
                            ipv6_address: None,
                            security_groups: groups,
                            network_interfaces: vec![InstanceNetworkInterface {
                                network_interface_id: eni_id,
                            }],
                            platform: windows.then(|| "windows".into()),
                            platform_details: Some(if windows { "Windows" } else { "Linux/UNIX" }.into()),
                            tags,
                        });
                        st.instances += 1;
                        st.enis_on_instances += 1;
                        if running {
                            st.running += 1;
                            if self.rng.chance(0.7) {
                                r.instance_information_list.push(InstanceInformation {
                                    instance_id,
                                    ping_status: Some(
                                        if self.rng.chance(0.95) {
                                            "Online"
                                        } else {
                                            "ConnectionLost"
                                        }
                                        .into(),
                                    ),
                                    platform_type: Some(if windows { "Windows" } else { "Linux" }.into()),
                                });
                                st.ssm_managed += 1;
                            }
                        }
                    }
                    1 => {
                        let function = format!("{}-{}-handler", g.app, self.acct.env);
                        eni.interface_type = Some("lambda".into());
                        eni.description = Some(format!("AWS Lambda VPC ENI-{function}"));
                        eni.requester_id = Some(format!("AROA{}:{function}", self.rng.upper_alnum(17)));
                        eni.requester_managed = true;
                        eni.attachment = Some(NetworkInterfaceAttachment {
                            instance_owner_id: Some("amazon-aws".into()),
                            status: Some("attached".into()),
                            device_index: Some(1),
                            ..Default::default()
                        });
                    }
                    _ => {
                        eni.interface_type = Some("vpc_endpoint".into());
                        eni.description = Some(format!("VPC Endpoint Interface {}", self.ids.id("vpce")));
                        eni.requester_id = Some("727180483921".into());
                        eni.requester_managed = true;
                        eni.attachment = Some(NetworkInterfaceAttachment {
                            instance_owner_id: Some("amazon-aws".into()),
                            status: Some("attached".into()),
                            device_index: Some(1),
                            ..Default::default()
                        });
                    }
                }
                eni.private_ip_addresses = vec![PrivateIpAddress {
                    private_ip_address: Some(ip),
                    primary: true,
                    association: eni.association.clone(),
                }];
                r.network_interfaces.push(eni);
            }
        }
    }

    fn load_balancers(&mut self, r: &mut RegionSnapshot, plans: &[GroupPlan], net: &Net) {
        let (region, account) = (self.region, self.acct.id.to_string());
        // Groups 2 and 3 are the first application groups: a web tier and an API
        // (see `plan_groups`).
        for (gi, internet_facing) in [(2usize, true), (3, false)] {
            let Some(g) = plans.get(gi) else { continue };
            debug_assert_eq!(g.role, if internet_facing { Role::Web } else { Role::App });
            let name = format!(
                "{}-{}-{}",
                g.app,
                self.acct.env,
                if internet_facing { "public" } else { "internal" }
            );
            let hex = format!("{:016x}", self.ids.next_hex());
            let arn = format!("arn:aws:elasticloadbalancing:{region}:{account}:loadbalancer/app/{name}/{hex}");
            let dns_no = self.ids.next_hex() % 9_000_000_000 + 1_000_000_000;
            let dns = if internet_facing {
                format!("{name}-{dns_no}.{region}.elb.amazonaws.com")
            } else {
                format!("internal-{name}-{dns_no}.{region}.elb.amazonaws.com")
            };
            let subnets: &[usize] = if internet_facing {
                &[SUB_PUBLIC]
            } else {
                &[SUB_PRIVATE_A, SUB_PRIVATE_B]
            };
            let listeners = [(80u16, "HTTP"), (443, "HTTPS")]
                .into_iter()
                .map(|(port, protocol)| Listener {
                    listener_arn: Some(format!(
                        "arn:aws:elasticloadbalancing:{region}:{account}:listener/app/{name}/{hex}/{:016x}",
                        self.ids.next_hex()
                    )),
                    port,
                    protocol: protocol.into(),
                })
                .collect();
            r.load_balancers.push(LoadBalancer {
                load_balancer_arn: arn,
                load_balancer_name: name.clone(),
                scheme: if internet_facing { "internet-facing" } else { "internal" }.into(),
                lb_type: "application".into(),
                vpc_id: Some(net.vpc_ids[g.vpc].clone()),
                dns_name: Some(dns),
                ip_address_type: Some("ipv4".into()),
                security_groups: vec![g.id.clone()],
                availability_zones: subnets
                    .iter()
                    .map(|&s| LoadBalancerZone {
                        zone_name: Some(format!("{region}{}", net.subnets[s].az)),
                        subnet_id: Some(net.subnets[s].id.clone()),
                    })
                    .collect(),
                listeners,
                tags: vec![tag("team", "web")],
            });
            for &s in subnets {
                self.service_eni(
                    r,
                    net,
                    s,
                    vec![Self::group_ref(plans, gi)],
                    format!("ELB app/{name}/{hex}"),
                    "amazon-elb",
                    internet_facing,
                );
            }
        }
    }

    /// Both load balancers forward to the instances of the first API group
    /// (group 3), on the port its first rule opens. Made last, so that the
    /// ids of everything else stay as they were before target groups existed.
    fn target_groups(&mut self, r: &mut RegionSnapshot, plans: &[GroupPlan]) {
        let (region, account) = (self.region, self.acct.id.to_string());
        let Some(api) = plans.get(3) else {
            r.target_groups = Some(vec![]);
            return;
        };
        let port = r
            .security_groups
            .get(3)
            .and_then(|g| g.ip_permissions.first())
            .and_then(|p| p.from_port)
            .and_then(|p| u16::try_from(p).ok())
            .unwrap_or(8080);
        let targets: Vec<TargetHealthDescription> = r
            .network_interfaces
            .iter()
            .filter(|e| e.groups.iter().any(|g| g.group_id == api.id))
            .filter_map(|e| e.attachment.as_ref()?.instance_id.clone())
            .map(|id| TargetHealthDescription {
                target: TargetDescription {
                    id: id.to_string(),
                    port: Some(port),
                },
                target_health: Some(TargetHealth {
                    state: Some("healthy".into()),
                }),
            })
            .collect();
        let groups = r
            .load_balancers
            .iter()
            .map(|lb| {
                let name = format!("{}-{port}", lb.load_balancer_name);
                TargetGroup {
                    target_group_arn: format!(
                        "arn:aws:elasticloadbalancing:{region}:{account}:targetgroup/{name}/{:016x}",
                        self.ids.next_hex()
                    ),
                    target_group_name: name,
                    protocol: Some("HTTP".into()),
                    port: Some(port),
                    vpc_id: lb.vpc_id.clone(),
                    target_type: Some("instance".into()),
                    load_balancer_arns: vec![lb.load_balancer_arn.clone()],
                    target_health_descriptions: Some(targets.clone()),
                }
            })
            .collect();
        r.target_groups = Some(groups);
    }

    fn databases(&mut self, r: &mut RegionSnapshot, plans: &[GroupPlan], net: &Net) {
        let (region, account) = (self.region, self.acct.id.to_string());
        for (gi, engine, port) in [(4usize, "mysql", 3306), (5, "postgres", 5432)] {
            let Some(g) = plans.get(gi) else { continue };
            debug_assert_eq!(g.role, Role::Db(port));
            let id = format!("{}-{}-{engine}", g.app, self.acct.env);
            let host = format!("{id}.{}.{region}.rds.amazonaws.com", self.rng.lower_alnum(12));
            let public = self.rng.chance(0.03);
            r.db_instances.push(DbInstance {
                db_instance_identifier: id.clone(),
                db_instance_arn: Some(format!("arn:aws:rds:{region}:{account}:db:{id}")),
                engine: engine.into(),
                db_instance_status: Some("available".into()),
                endpoint: Some(DbEndpoint {
                    address: Some(host),
                    port: Some(port),
                }),
                db_instance_port: Some(0),
                publicly_accessible: public,
                network_type: Some("IPV4".into()),
                vpc_security_groups: vec![VpcSecurityGroupMembership {
                    vpc_security_group_id: g.id.clone(),
                    status: Some("active".into()),
                }],
                db_subnet_group: Some(DbSubnetGroup {
                    vpc_id: Some(net.vpc_ids[g.vpc].clone()),
                    subnets: Some(
                        [SUB_PRIVATE_A, SUB_PRIVATE_B]
                            .iter()
                            .map(|&s| DbSubnet {
                                subnet_identifier: net.subnets[s].id.clone(),
                            })
                            .collect(),
                    ),
                }),
                db_cluster_identifier: None,
                tag_list: vec![tag("criticality", "critical")],
            });
            self.service_eni(
                r,
                net,
                SUB_PRIVATE_A,
                vec![Self::group_ref(plans, gi)],
                "RDSNetworkInterface".into(),
                "amazon-rds",
                public,
            );
        }
    }
}

fn gen_region(acct: &Account, ri: usize, n_groups: usize, seed: u64, st: &mut Stats) -> RegionSnapshot {
    let region = REGIONS[ri];
    let region_seed = mix64(seed ^ mix64(((acct.idx as u64) << 8) | ri as u64));
    let mut g = RegionGen {
        acct,
        region,
        rng: Rng::new(region_seed),
        ids: Ids::new(seed, acct.idx, ri),
        octet: ((acct.idx * REGIONS.len() + ri) % 256) as u8,
        ip_counter: [0; 5],
        // Distinct public addresses per account and region (8192 each).
        public_ip_base: ((acct.idx * REGIONS.len() + ri) as u64) << 13,
        public_ip_n: 0,
    };
    let mut r = RegionSnapshot {
        region: Region::new(region),
        status: CollectionStatus::Ok,
        ..Default::default()
    };
    let net = g.network(&mut r);
    let pl = g.prefix_list(&mut r);
    let plans = g.plan_groups(n_groups);
    r.security_groups = (0..plans.len()).map(|i| g.group(&plans, i, &net, &pl, st)).collect();
    g.interfaces(&mut r, &plans, &net, st);
    g.load_balancers(&mut r, &plans, &net);
    g.databases(&mut r, &plans, &net);
    g.target_groups(&mut r, &plans);
    r.classic_load_balancers = Some(vec![]);
    r.vpc_peering_connections = Some(vec![]);
    st.regions += 1;
    st.vpcs += r.vpcs.len();
    st.subnets += r.subnets.len();
    st.enis += r.network_interfaces.len();
    st.load_balancers += r.load_balancers.len();
    st.db_instances += r.db_instances.len();
    r
}

fn account_id(idx: usize) -> AccountId {
    AccountId::parse(&format!("{:012}", 100_000_000_001u64 + idx as u64)).expect("12 digits")
}

fn generate(args: &Args, st: &mut Stats) -> Snapshot {
    let mut org_rng = Rng::new(mix64(args.seed));
    let root = format!("r-{}", org_rng.lower_alnum(4));
    let ous: Vec<OuRef> = OUS
        .iter()
        .map(|(name, _)| OuRef {
            id: format!("ou-{}-{}", &root[2..], org_rng.lower_alnum(8)),
            name: (*name).into(),
        })
        .collect();
    let management = account_id(0);
    let mut accounts = Vec::with_capacity(args.accounts);
    for idx in 0..args.accounts {
        // Weighted: most accounts are workloads.
        let ou = [0usize, 0, 0, 1, 1, 2, 2, 3, 4][mix64(args.seed ^ idx as u64) as usize % 9];
        let acct = Account {
            idx,
            id: account_id(idx),
            env: OUS[ou].1,
        };
        let regions = (0..args.regions)
            .map(|ri| gen_region(&acct, ri, args.groups, args.seed, st))
            .collect();
        accounts.push(AccountSnapshot {
            account_id: acct.id.clone(),
            name: Some(format!("synthetic-{:04}", idx + 1)),
            ou_path: vec![
                OuRef {
                    id: root.clone(),
                    name: "Root".into(),
                },
                ous[ou].clone(),
            ],
            status: CollectionStatus::Ok,
            read_at: None,
            regions,
        });
        st.accounts += 1;
    }
    let started_at = time::macros::datetime!(2026-11-01 02:00:00 UTC);
    Snapshot {
        schema_version: SCHEMA_VERSION,
        tool: ToolInfo::this_build(),
        started_at,
        finished_at: Some(started_at + time::Duration::seconds(60 + 3 * args.accounts as i64)),
        caller_identity: Some(CallerIdentity {
            account: management.clone(),
            arn: format!("arn:aws:sts::{management}:assumed-role/sgaudit-collector/sgaudit"),
            user_id: "AROASYNTHETIC0000001:sgaudit".into(),
        }),
        config_digest: None,
        organization: Some(Organization {
            id: format!("o-{}", org_rng.lower_alnum(10)),
            master_account_id: Some(management),
        }),
        imported: None,
        shard: None,
        merged_from: None,
        resumed: None,
        accounts,
    }
}

// ------------------------------------------------------------------- CLI

struct Args {
    accounts: usize,
    regions: usize,
    groups: usize,
    seed: u64,
    out: PathBuf,
    verify: bool,
}

const USAGE: &str = "\
usage: synthetic_org [--accounts N] [--regions N] [--groups N] [--seed N] --out FILE[.json|.json.gz]

  --accounts N   accounts in the organization (default 1000)
  --regions  N   regions per account, 1-16 (default 2)
  --groups   N   security groups per account and region, >= 2 (default 100)
  --seed     N   another organization (default fixed)
  --verify       read the file back with sgaudit's reader and compare
  --out FILE     where to write the snapshot; gzip when the name ends in .gz
                 (default bench-data/synthetic-<accounts>.json)";

fn parse_args() -> Result<Args, String> {
    let mut accounts = 1000;
    let mut regions = 2;
    let mut groups = 100;
    let mut seed = DEFAULT_SEED;
    let mut out = None;
    let mut verify = false;
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        if flag == "-h" || flag == "--help" {
            let _ = std::io::Write::write_all(&mut std::io::stdout(), format!("{USAGE}\n").as_bytes());
            std::process::exit(0);
        }
        if flag == "--verify" {
            verify = true;
            continue;
        }
        let mut value = || {
            inline
                .clone()
                .or_else(|| it.next())
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        let number = |v: String| v.parse::<usize>().map_err(|_| format!("{flag}: `{v}` is not a number"));
        match flag.as_str() {
            "--accounts" => accounts = number(value()?)?,
            "--regions" => regions = number(value()?)?,
            "--groups" => groups = number(value()?)?,
            "--seed" => seed = number(value()?)? as u64,
            "--out" => out = Some(PathBuf::from(value()?)),
            _ => return Err(format!("unknown argument `{arg}`")),
        }
    }
    if accounts == 0 || accounts >= 1 << 24 {
        return Err("--accounts must be between 1 and 16777215".into());
    }
    if regions == 0 || regions > REGIONS.len() {
        return Err(format!("--regions must be between 1 and {}", REGIONS.len()));
    }
    if groups < 2 {
        return Err("--groups must be at least 2 (each VPC has its default group)".into());
    }
    let out = out.unwrap_or_else(|| PathBuf::from(format!("bench-data/synthetic-{accounts}.json")));
    Ok(Args {
        accounts,
        regions,
        groups,
        seed,
        out,
        verify,
    })
}

fn human_bytes(n: u64) -> String {
    let mut s = String::new();
    if n >= 1 << 30 {
        let _ = write!(s, "{:.2} GiB", n as f64 / (1u64 << 30) as f64);
    } else if n >= 1 << 20 {
        let _ = write!(s, "{:.1} MiB", n as f64 / (1u64 << 20) as f64);
    } else {
        let _ = write!(s, "{:.1} KiB", n as f64 / 1024.0);
    }
    s
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("synthetic_org: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let t0 = Instant::now();
    let mut st = Stats::default();
    let snapshot = generate(&args, &mut st);
    let built = t0.elapsed();

    if let Some(dir) = args.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Err(e) = std::fs::create_dir_all(dir) {
            eprintln!("synthetic_org: cannot create {}: {e}", dir.display());
            return ExitCode::FAILURE;
        }
    }
    let t1 = Instant::now();
    if let Err(e) = write_snapshot(&args.out, &snapshot) {
        eprintln!("synthetic_org: cannot write {}: {e}", args.out.display());
        return ExitCode::FAILURE;
    }
    let written = t1.elapsed();
    let size = std::fs::metadata(&args.out).map(|m| m.len()).unwrap_or(0);

    let pct = |n: usize, of: usize| if of == 0 { 0.0 } else { 100.0 * n as f64 / of as f64 };
    eprintln!("wrote {} ({size} bytes, {})", args.out.display(), human_bytes(size));
    eprintln!(
        "  accounts {}  regions {} (account-regions)  VPCs {}  subnets {}",
        st.accounts, st.regions, st.vpcs, st.subnets
    );
    eprintln!(
        "  security groups {}  ({:.1}% without ENI, {:.1}% launch-wizard, {:.1}% tmp/test, {:.1}% CloudFormation, {:.1}% critical, {:.1}% SSH from anywhere)",
        st.groups,
        pct(st.groups_without_eni, st.groups),
        pct(st.launch_wizard_groups, st.groups),
        pct(st.tmp_test_groups, st.groups),
        pct(st.cloudformation_groups, st.groups),
        pct(st.critical_groups, st.groups),
        pct(st.world_ssh_groups, st.groups),
    );
    eprintln!(
        "  ingress rules {} (one per source; {:.2} per group) in {} permissions: IPv4 {}, IPv6 {}, prefix list {}, group {}",
        st.ingress_rules,
        st.ingress_rules as f64 / st.groups.max(1) as f64,
        st.ingress_permissions,
        st.ipv4_sources,
        st.ipv6_sources,
        st.prefix_list_sources,
        st.group_sources
    );
    eprintln!("  egress rules {}", st.egress_rules);
    eprintln!(
        "  ENIs {} ({} on instances, {:.1}%)  instances {} ({} running, {} with a public IP)  SSM-managed {}",
        st.enis,
        st.enis_on_instances,
        pct(st.enis_on_instances, st.enis),
        st.instances,
        st.running,
        st.public_instances,
        st.ssm_managed
    );
    eprintln!(
        "  load balancers {}  DB instances {}",
        st.load_balancers, st.db_instances
    );
    eprintln!(
        "  generated in {:.2}s, written in {:.2}s",
        built.as_secs_f64(),
        written.as_secs_f64()
    );
    if args.verify {
        let t2 = Instant::now();
        match read_snapshot(&args.out) {
            Ok(back) if back == snapshot => {
                eprintln!("  verified: read back identical in {:.2}s", t2.elapsed().as_secs_f64())
            }
            Ok(_) => {
                eprintln!(
                    "synthetic_org: {} reads back different from what was written",
                    args.out.display()
                );
                return ExitCode::FAILURE;
            }
            Err(e) => {
                eprintln!("synthetic_org: {} does not read back: {e}", args.out.display());
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}
