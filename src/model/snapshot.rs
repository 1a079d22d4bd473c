//! The snapshot envelope: who collected what, when, and how it went.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::aws::*;
use super::ids::{AccountId, Region};

/// The schema version this build reads and writes. Bump it when a field
/// changes meaning; adding an optional field does not need a bump.
pub const SCHEMA_VERSION: u32 = 2;

/// The oldest schema version this build still reads (docs/snapshot.md says
/// what each version lacks, and how the analysis treats it: as not collected).
pub const OLDEST_SCHEMA_VERSION: u32 = 1;

/// One collection run over an organization: the raw evidence every report is
/// computed from. The analysis never calls AWS; everything it needs is here.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub schema_version: u32,
    pub tool: ToolInfo,
    /// When collection started. Also the assessment's "now": exception
    /// expiry and attestation age are judged as of this instant, so that the
    /// same snapshot always gives the same report.
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    #[serde(
        with = "time::serde::rfc3339::option",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub finished_at: Option<OffsetDateTime>,
    /// `sts:GetCallerIdentity` of the collector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller_identity: Option<CallerIdentity>,
    /// `sha256:<hex>` of the configuration the collector ran with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_digest: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<Organization>,
    /// Set when `sgaudit import` built the snapshot from AWS CLI exports
    /// rather than `collect` from the APIs: which folder, and every file read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imported: Option<ImportSource>,
    /// Set when `collect --shard I/N` collected one share of the accounts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<Shard>,
    /// Set when `sgaudit merge` joined shard snapshots: each one, with its digest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_from: Option<Vec<MergedShard>>,
    /// Set when `collect --resume` continued an interrupted collection: each
    /// resumption, and how many accounts it kept. `started_at` stays the
    /// first run's; each account's `read_at` says when it was read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resumed: Option<Vec<Resumption>>,
    /// Last, so that a collection can stream the accounts after the envelope.
    pub accounts: Vec<AccountSnapshot>,
}

/// One `collect --resume` of an interrupted collection.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resumption {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// Accounts kept from the checkpoints rather than collected again.
    pub accounts_kept: usize,
}

/// One share of an organization's accounts: shard `index` (1-based) of
/// `count`, the accounts whose id hashes to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// A snapshot a merged one was made from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MergedShard {
    /// The file, as given to `sgaudit merge`.
    pub file: String,
    /// `sha256:<hex>` of the file.
    pub sha256: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<Shard>,
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    #[serde(
        with = "time::serde::rfc3339::option",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub finished_at: Option<OffsetDateTime>,
    pub accounts: usize,
}

/// Where an imported snapshot's data came from, so that the evidence can be
/// traced back to the files the client handed over.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImportSource {
    /// The folder given to `--from`, as given.
    pub folder: String,
    /// Where `started_at` comes from: `export-info.json` (written by
    /// scripts/export-account.sh), `--exported-at`, or `file modification times`.
    pub taken_at_from: String,
    /// Every file read, by its path under `folder` (with `/`), in path order.
    pub files: Vec<ImportedFile>,
}

/// One file of an export, as it was read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportedFile {
    pub path: String,
    pub bytes: u64,
    /// `sha256:<hex>` of the file's content.
    pub sha256: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ToolInfo {
    pub name: String,
    pub version: String,
}

impl ToolInfo {
    pub fn this_build() -> Self {
        ToolInfo {
            name: env!("CARGO_PKG_NAME").to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }
}

/// `sts:GetCallerIdentity`, as the API returns it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CallerIdentity {
    pub account: AccountId,
    pub arn: String,
    #[serde(default)]
    pub user_id: String,
}

/// `organizations:DescribeOrganization`, the fields sgaudit keeps.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Organization {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub master_account_id: Option<AccountId>,
}

/// Whether an account or region was collected.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum CollectionStatus {
    #[default]
    Ok,
    /// Collection was attempted and failed; the reason is the error, without secrets.
    Failed { reason: String },
    /// Deliberately not collected (a suspended account, a region not enabled).
    Skipped { reason: String },
}

impl CollectionStatus {
    pub fn is_ok(&self) -> bool {
        matches!(self, CollectionStatus::Ok)
    }
    pub fn reason(&self) -> Option<&str> {
        match self {
            CollectionStatus::Ok => None,
            CollectionStatus::Failed { reason } | CollectionStatus::Skipped { reason } => Some(reason),
        }
    }
}

/// An organizational unit on the path from the root to an account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OuRef {
    pub id: String,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccountSnapshot {
    pub account_id: AccountId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// From the root down to the account's parent OU.
    #[serde(default)]
    pub ou_path: Vec<OuRef>,
    pub status: CollectionStatus,
    /// When its collection finished (absent in snapshots before sgaudit
    /// recorded it, and in imported ones).
    #[serde(
        with = "time::serde::rfc3339::option",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub read_at: Option<OffsetDateTime>,
    #[serde(default)]
    pub regions: Vec<RegionSnapshot>,
}

impl AccountSnapshot {
    /// `Root / Workloads / Prod`
    pub fn ou_path_label(&self) -> String {
        self.ou_path
            .iter()
            .map(|o| o.name.as_str())
            .collect::<Vec<_>>()
            .join(" / ")
    }
}

/// The AWS services sgaudit reads, as their API endpoints name them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Service {
    Ec2,
    /// Classic Load Balancers (`elasticloadbalancing`).
    Elb,
    /// Application, Network and Gateway Load Balancers (`elasticloadbalancing` v2).
    Elbv2,
    Rds,
    Ssm,
}

impl Service {
    /// `ec2`, `elbv2`, `elb`, `rds`, `ssm`
    pub fn code(self) -> &'static str {
        match self {
            Service::Ec2 => "ec2",
            Service::Elbv2 => "elbv2",
            Service::Elb => "elb",
            Service::Rds => "rds",
            Service::Ssm => "ssm",
        }
    }
}

impl std::fmt::Display for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// A part of a region's data that could not be read, while the rest was.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Gap {
    pub service: Service,
    /// The API operation that failed, e.g. `DescribeInstanceInformation`.
    pub operation: String,
    pub error: String,
}

/// Everything read from one account in one region.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RegionSnapshot {
    pub region: Region,
    pub status: CollectionStatus,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gaps: Vec<Gap>,
    #[serde(rename = "Vpcs", default)]
    pub vpcs: Vec<Vpc>,
    #[serde(rename = "Subnets", default)]
    pub subnets: Vec<Subnet>,
    #[serde(rename = "RouteTables", default)]
    pub route_tables: Vec<RouteTable>,
    #[serde(rename = "InternetGateways", default)]
    pub internet_gateways: Vec<InternetGateway>,
    #[serde(rename = "NetworkAcls", default)]
    pub network_acls: Vec<NetworkAcl>,
    #[serde(rename = "SecurityGroups", default)]
    pub security_groups: Vec<SecurityGroup>,
    #[serde(rename = "PrefixLists", default)]
    pub prefix_lists: Vec<ManagedPrefixList>,
    #[serde(rename = "NetworkInterfaces", default)]
    pub network_interfaces: Vec<NetworkInterface>,
    #[serde(rename = "Instances", default)]
    pub instances: Vec<Instance>,
    #[serde(rename = "LoadBalancers", default)]
    pub load_balancers: Vec<LoadBalancer>,
    #[serde(rename = "DBInstances", default)]
    pub db_instances: Vec<DbInstance>,
    #[serde(rename = "DBClusters", default)]
    pub db_clusters: Vec<DbCluster>,
    #[serde(rename = "InstanceInformationList", default)]
    pub instance_information_list: Vec<InstanceInformation>,
    /// ELBv2 target groups with their targets. `None`: not collected (a
    /// schema-1 snapshot, or the call failed: see `gaps`).
    #[serde(rename = "TargetGroups", default, skip_serializing_if = "Option::is_none")]
    pub target_groups: Option<Vec<TargetGroup>>,
    /// Classic Load Balancers. `None`: not collected.
    #[serde(
        rename = "LoadBalancerDescriptions",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub classic_load_balancers: Option<Vec<ClassicLoadBalancer>>,
    /// `None`: not collected.
    #[serde(rename = "VpcPeeringConnections", default, skip_serializing_if = "Option::is_none")]
    pub vpc_peering_connections: Option<Vec<VpcPeeringConnection>>,
    /// EC2 flow logs of the region's VPCs, subnets and interfaces. `None`: not
    /// collected (a snapshot from before sgaudit read them, or the call failed).
    #[serde(rename = "FlowLogs", default, skip_serializing_if = "Option::is_none")]
    pub flow_logs: Option<Vec<FlowLog>>,
}

impl RegionSnapshot {
    /// Drop what only the analysis reads (VPCs, subnets, route tables,
    /// gateways, network ACLs, interfaces, instances, Systems Manager's
    /// inventory, target groups, peering connections, flow logs, and a load
    /// balancer's listeners, zones, groups, tags and addresses), keeping
    /// what the reports read: the status and gaps, the groups, prefix
    /// lists, databases, and each load balancer's name, ARN, scheme, type
    /// and VPC (a finding's resources are named by them). An `Option` list
    /// stays `Some` (collected) but empty.
    ///
    /// Called by [`crate::analyze::assess_releasing`] once a region's
    /// checks have run, so that a large organization's model shrinks while
    /// its findings grow. A released region is no longer the snapshot:
    /// nothing may assess it again or write it out (the evidence package
    /// copies the snapshot's file, not the model).
    pub fn release_network_detail(&mut self) {
        fn clear<T>(list: &mut Vec<T>) {
            *list = Vec::new();
        }
        clear(&mut self.vpcs);
        clear(&mut self.subnets);
        clear(&mut self.route_tables);
        clear(&mut self.internet_gateways);
        clear(&mut self.network_acls);
        clear(&mut self.network_interfaces);
        clear(&mut self.instances);
        clear(&mut self.instance_information_list);
        if let Some(list) = &mut self.target_groups {
            clear(list);
        }
        if let Some(list) = &mut self.vpc_peering_connections {
            clear(list);
        }
        if let Some(list) = &mut self.flow_logs {
            clear(list);
        }
        // At 50,000 accounts the load balancers' listeners (each with its
        // ARN), zones and tags were 100 MB of what the reports kept.
        for lb in &mut self.load_balancers {
            lb.dns_name = None;
            lb.ip_address_type = None;
            clear(&mut lb.security_groups);
            clear(&mut lb.availability_zones);
            clear(&mut lb.listeners);
            clear(&mut lb.tags);
        }
        for lb in self.classic_load_balancers.iter_mut().flatten() {
            lb.dns_name = None;
            clear(&mut lb.subnets);
            clear(&mut lb.security_groups);
            clear(&mut lb.listener_descriptions);
            clear(&mut lb.instances);
        }
    }

    /// Whether some call of `service` failed in this region.
    pub fn has_gap(&self, service: Service) -> bool {
        self.gaps.iter().any(|g| g.service == service)
    }

    /// The gap of one operation (`DescribeRouteTables`), if it failed here.
    pub fn gap(&self, operation: &str) -> Option<&Gap> {
        self.gaps.iter().find(|g| g.operation == operation)
    }

    /// A stable order, whatever order the API (or an export) returned: two
    /// readings of the same state give the same snapshot.
    pub fn sort(&mut self) {
        self.security_groups.sort_by(|a, b| a.group_id.cmp(&b.group_id));
        self.network_interfaces
            .sort_by(|a, b| a.network_interface_id.cmp(&b.network_interface_id));
        self.instances.sort_by(|a, b| a.instance_id.cmp(&b.instance_id));
        self.vpcs.sort_by(|a, b| a.vpc_id.cmp(&b.vpc_id));
        self.subnets.sort_by(|a, b| a.subnet_id.cmp(&b.subnet_id));
        self.route_tables
            .sort_by(|a, b| a.route_table_id.cmp(&b.route_table_id));
        self.internet_gateways
            .sort_by(|a, b| a.internet_gateway_id.cmp(&b.internet_gateway_id));
        self.network_acls
            .sort_by(|a, b| a.network_acl_id.cmp(&b.network_acl_id));
        self.prefix_lists
            .sort_by(|a, b| a.prefix_list_id.cmp(&b.prefix_list_id));
        for p in &mut self.prefix_lists {
            if let Some(entries) = &mut p.entries {
                entries.sort_by_key(|a| a.cidr);
            }
        }
        self.load_balancers
            .sort_by(|a, b| a.load_balancer_arn.cmp(&b.load_balancer_arn));
        for lb in &mut self.load_balancers {
            lb.listeners
                .sort_by(|a, b| (a.port, &a.protocol).cmp(&(b.port, &b.protocol)));
        }
        if let Some(tgs) = &mut self.target_groups {
            tgs.sort_by(|a, b| a.target_group_arn.cmp(&b.target_group_arn));
            for tg in tgs {
                if let Some(targets) = &mut tg.target_health_descriptions {
                    targets.sort_by(|a, b| (&a.target.id, a.target.port).cmp(&(&b.target.id, b.target.port)));
                }
            }
        }
        if let Some(lbs) = &mut self.classic_load_balancers {
            lbs.sort_by(|a, b| a.load_balancer_name.cmp(&b.load_balancer_name));
            for lb in lbs {
                lb.instances.sort_by(|a, b| a.instance_id.cmp(&b.instance_id));
            }
        }
        if let Some(p) = &mut self.vpc_peering_connections {
            p.sort_by(|a, b| a.vpc_peering_connection_id.cmp(&b.vpc_peering_connection_id));
        }
        if let Some(f) = &mut self.flow_logs {
            f.sort_by(|a, b| a.flow_log_id.cmp(&b.flow_log_id));
        }
        self.db_instances
            .sort_by(|a, b| a.db_instance_identifier.cmp(&b.db_instance_identifier));
        self.db_clusters
            .sort_by(|a, b| a.db_cluster_identifier.cmp(&b.db_cluster_identifier));
        self.instance_information_list
            .sort_by(|a, b| a.instance_id.cmp(&b.instance_id));
        self.gaps.sort();
    }
}
