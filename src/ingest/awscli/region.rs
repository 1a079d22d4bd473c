//! One region folder of an export into a [`RegionSnapshot`], with the same
//! rules as `collect`: no security groups is a failed region, any other
//! listing that is missing, recorded as failed, or incomplete is a gap, and
//! the calls per resource (listeners, tags, targets, prefix-list entries)
//! are looked for only where `collect` would have made them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::model::*;

use super::listing::{self, Listing, Source};
use super::{ImportError, Reader};

/// `DescribeInstances` pages hold reservations; sgaudit keeps their instances.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Reservation {
    #[serde(default)]
    instances: Vec<Instance>,
}

/// A listener as `DescribeListeners` returns it: with its load balancer.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListenerOf {
    #[serde(default)]
    load_balancer_arn: Option<String>,
    #[serde(flatten)]
    listener: ListenerFields,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListenerFields {
    #[serde(default)]
    listener_arn: Option<String>,
    /// Absent for a Gateway Load Balancer's listener: left out, as `collect` does.
    #[serde(default)]
    port: Option<u16>,
    #[serde(default)]
    protocol: Option<String>,
}

impl ListenerFields {
    fn into_listener(self) -> Option<Listener> {
        Some(Listener {
            listener_arn: self.listener_arn,
            port: self.port?,
            protocol: self.protocol.unwrap_or_default(),
        })
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TagDescription {
    #[serde(default)]
    resource_arn: Option<String>,
    #[serde(default)]
    tags: Vec<Tag>,
}

/// The files of one region folder.
pub(super) struct RegionDir<'a> {
    pub dir: &'a Path,
    pub name: &'a str,
}

/// Why a listing is not in the snapshot, as the gap's error says it.
fn absent(file: &str) -> String {
    format!("not in the export ({file})")
}

impl Reader<'_> {
    /// The items of `<file>.json` (or `<file>`, without the extension).
    /// `Ok(Err(why))` when it is not there, the export recorded its
    /// failure (`<file>.error`), or it is incomplete.
    fn listing<T: DeserializeOwned>(
        &mut self,
        region: &RegionDir,
        file: &str,
        key: &str,
    ) -> Result<Result<Vec<T>, String>, ImportError> {
        let json = format!("{file}.json");
        let source = match self.read(&region.dir.join(&json))? {
            Some(s) => Some(s),
            None => self.read(&region.dir.join(file))?,
        };
        match source {
            Some(source) => Ok(match listing::read(&source, key)? {
                Listing::Items(items) => Ok(items),
                Listing::Truncated => Err(format!(
                    "incomplete in the export ({json}: its last page has a continuation token)"
                )),
            }),
            None => Ok(Err(self.why_absent(region.dir, file)?)),
        }
    }

    /// "not in the export", or the error the export script recorded instead.
    fn why_absent(&mut self, dir: &Path, file: &str) -> Result<String, ImportError> {
        Ok(match self.read(&dir.join(format!("{file}.error")))? {
            Some(e) => {
                let text = String::from_utf8_lossy(&e.bytes);
                let first = text
                    .lines()
                    .map(str::trim)
                    .find(|l| !l.is_empty())
                    .unwrap_or("no message");
                format!("the export could not read it ({file}.error: {first})")
            }
            None => absent(&format!("{file}.json")),
        })
    }

    /// The files of a per-resource folder (`elbv2-describe-listeners/`), by
    /// the resource each is named after (CloudMapper's URL-encoded names).
    fn per_resource(
        &mut self,
        region: &RegionDir,
        file: &str,
    ) -> Result<Option<BTreeMap<String, Source>>, ImportError> {
        let dir = region.dir.join(file);
        if !dir.is_dir() {
            return Ok(None);
        }
        let mut out = BTreeMap::new();
        for path in super::entries(&dir)? {
            if !path.is_file() {
                continue;
            }
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let name = name.strip_suffix(".json").unwrap_or(&name);
            if name.starts_with('.') {
                continue;
            }
            let resource = percent_decode(name);
            if let Some(source) = self.read(&path)? {
                out.insert(resource, source);
            }
        }
        Ok(Some(out))
    }
}

/// `quote_plus` undone: `%2F` to `/`, `+` to a space.
fn percent_decode(name: &str) -> String {
    let bytes = name.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    let hex = |b: u8| (b as char).to_digit(16);
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The gaps of one region, as `collect` records them.
#[derive(Default)]
struct Gaps(Vec<Gap>);

impl Gaps {
    fn add(&mut self, service: Service, operation: &str, error: String) {
        self.0.push(Gap {
            service,
            operation: operation.into(),
            error,
        });
    }
    fn take<T>(&mut self, result: Result<Vec<T>, String>, service: Service, operation: &str) -> Vec<T> {
        self.known(result, service, operation).unwrap_or_default()
    }
    fn known<T>(&mut self, result: Result<Vec<T>, String>, service: Service, operation: &str) -> Option<Vec<T>> {
        match result {
            Ok(items) => Some(items),
            Err(e) => {
                self.add(service, operation, e);
                None
            }
        }
    }
}

/// One region folder.
pub(super) fn read(reader: &mut Reader, region: &RegionDir) -> Result<RegionSnapshot, ImportError> {
    use Service::*;
    let mut out = RegionSnapshot {
        region: region.name.into(),
        ..Default::default()
    };
    out.security_groups = match reader.listing(region, "ec2-describe-security-groups", "SecurityGroups")? {
        Ok(groups) => groups,
        Err(why) => {
            out.status = CollectionStatus::Failed {
                reason: format!("ec2:DescribeSecurityGroups: {why}"),
            };
            return Ok(out);
        }
    };
    let mut gaps = Gaps::default();
    macro_rules! list {
        ($file:literal, $key:literal, $service:expr, $operation:literal) => {
            gaps.take(reader.listing(region, $file, $key)?, $service, $operation)
        };
        (known $file:literal, $key:literal, $service:expr, $operation:literal) => {
            gaps.known(reader.listing(region, $file, $key)?, $service, $operation)
        };
    }
    out.network_interfaces = list!(
        "ec2-describe-network-interfaces",
        "NetworkInterfaces",
        Ec2,
        "DescribeNetworkInterfaces"
    );
    let reservations: Vec<Reservation> = list!("ec2-describe-instances", "Reservations", Ec2, "DescribeInstances");
    out.instances = reservations.into_iter().flat_map(|r| r.instances).collect();
    out.vpcs = list!("ec2-describe-vpcs", "Vpcs", Ec2, "DescribeVpcs");
    out.subnets = list!("ec2-describe-subnets", "Subnets", Ec2, "DescribeSubnets");
    out.route_tables = list!("ec2-describe-route-tables", "RouteTables", Ec2, "DescribeRouteTables");
    out.internet_gateways = list!(
        "ec2-describe-internet-gateways",
        "InternetGateways",
        Ec2,
        "DescribeInternetGateways"
    );
    out.network_acls = list!("ec2-describe-network-acls", "NetworkAcls", Ec2, "DescribeNetworkAcls");
    out.prefix_lists = list!(
        "ec2-describe-managed-prefix-lists",
        "PrefixLists",
        Ec2,
        "DescribeManagedPrefixLists"
    );
    out.vpc_peering_connections = list!(known "ec2-describe-vpc-peering-connections", "VpcPeeringConnections", Ec2, "DescribeVpcPeeringConnections");
    out.flow_logs = list!(known "ec2-describe-flow-logs", "FlowLogs", Ec2, "DescribeFlowLogs");
    out.load_balancers = list!(
        "elbv2-describe-load-balancers",
        "LoadBalancers",
        Elbv2,
        "DescribeLoadBalancers"
    );
    out.target_groups = list!(known "elbv2-describe-target-groups", "TargetGroups", Elbv2, "DescribeTargetGroups");
    out.classic_load_balancers =
        list!(known "elb-describe-load-balancers", "LoadBalancerDescriptions", Elb, "DescribeLoadBalancers");
    out.db_instances = list!("rds-describe-db-instances", "DBInstances", Rds, "DescribeDBInstances");
    out.db_clusters = list!("rds-describe-db-clusters", "DBClusters", Rds, "DescribeDBClusters");
    out.instance_information_list = list!(
        "ssm-describe-instance-information",
        "InstanceInformationList",
        Ssm,
        "DescribeInstanceInformation"
    );
    per_resource(reader, region, &mut out, &mut gaps)?;
    out.gaps = gaps.0;
    out.sort();
    Ok(out)
}

/// The calls `collect` makes per resource of the listings: entries of the
/// prefix lists the groups use, each load balancer's listeners and tags,
/// each target group's targets.
fn per_resource(
    reader: &mut Reader,
    region: &RegionDir,
    out: &mut RegionSnapshot,
    gaps: &mut Gaps,
) -> Result<(), ImportError> {
    // Prefix-list entries, for the lists the groups reference.
    let referenced: BTreeSet<PrefixListId> = out
        .security_groups
        .iter()
        .flat_map(|g| g.ip_permissions.iter().chain(&g.ip_permissions_egress))
        .flat_map(|p| &p.prefix_list_ids)
        .map(|p| p.prefix_list_id.clone())
        .collect();
    if out.prefix_lists.iter().any(|p| referenced.contains(&p.prefix_list_id)) {
        let file = "ec2-get-managed-prefix-list-entries";
        let mut files = reader.per_resource(region, file)?.unwrap_or_default();
        for p in out
            .prefix_lists
            .iter_mut()
            .filter(|p| referenced.contains(&p.prefix_list_id))
        {
            match files.remove(p.prefix_list_id.as_str()) {
                Some(source) => match listing::read::<PrefixListEntry>(&source, "Entries")? {
                    Listing::Items(entries) => p.entries = Some(entries),
                    Listing::Truncated => gaps.add(
                        Service::Ec2,
                        "GetManagedPrefixListEntries",
                        format!("{}: incomplete in the export", p.prefix_list_id),
                    ),
                },
                None => gaps.add(
                    Service::Ec2,
                    "GetManagedPrefixListEntries",
                    format!(
                        "{}: {}",
                        p.prefix_list_id,
                        absent(&format!("{file}/{}", p.prefix_list_id))
                    ),
                ),
            }
        }
    }

    if !out.load_balancers.is_empty() {
        // Listeners: a folder of one file per load balancer (CloudMapper's
        // layout), or one file of every load balancer's, joined by ARN.
        let file = "elbv2-describe-listeners";
        let mut by_lb: BTreeMap<String, Result<Vec<Listener>, String>> = BTreeMap::new();
        if let Some(files) = reader.per_resource(region, file)? {
            for (arn, source) in files {
                let found = match listing::read::<ListenerFields>(&source, "Listeners")? {
                    Listing::Items(items) => Ok(items.into_iter().filter_map(ListenerFields::into_listener).collect()),
                    Listing::Truncated => Err("incomplete in the export".to_string()),
                };
                by_lb.insert(arn, found);
            }
        } else {
            match reader.listing::<ListenerOf>(region, file, "Listeners")? {
                Ok(items) => {
                    for lb in &out.load_balancers {
                        by_lb.insert(lb.load_balancer_arn.clone(), Ok(Vec::new()));
                    }
                    for l in items {
                        if let Some(Ok(list)) = l.load_balancer_arn.and_then(|arn| by_lb.get_mut(&arn)) {
                            list.extend(l.listener.into_listener());
                        }
                    }
                }
                Err(why) => {
                    for lb in &out.load_balancers {
                        by_lb.insert(lb.load_balancer_arn.clone(), Err(why.clone()));
                    }
                }
            }
        }
        for lb in &mut out.load_balancers {
            match by_lb.remove(&lb.load_balancer_arn) {
                Some(Ok(listeners)) => lb.listeners = listeners,
                Some(Err(why)) => gaps.add(
                    Service::Elbv2,
                    "DescribeListeners",
                    format!("{}: {why}", lb.load_balancer_arn),
                ),
                None => gaps.add(
                    Service::Elbv2,
                    "DescribeListeners",
                    format!("{}: {}", lb.load_balancer_arn, absent(&format!("{file}/"))),
                ),
            }
        }

        // Tags: the same two shapes; each description names its resource.
        let file = "elbv2-describe-tags";
        let descriptions: Result<Vec<TagDescription>, String> = match reader.per_resource(region, file)? {
            Some(files) => {
                let mut all = Vec::new();
                for source in files.values() {
                    match listing::read::<TagDescription>(source, "TagDescriptions")? {
                        Listing::Items(mut items) => all.append(&mut items),
                        Listing::Truncated => {}
                    }
                }
                Ok(all)
            }
            None => reader.listing(region, file, "TagDescriptions")?,
        };
        match descriptions {
            Ok(found) => {
                for d in found {
                    if let Some(lb) = out
                        .load_balancers
                        .iter_mut()
                        .find(|lb| Some(lb.load_balancer_arn.as_str()) == d.resource_arn.as_deref())
                    {
                        lb.tags = d.tags;
                    }
                }
            }
            Err(why) => gaps.add(Service::Elbv2, "DescribeTags", why),
        }
    }

    if out.target_groups.as_ref().is_some_and(|t| !t.is_empty()) {
        let file = "elbv2-describe-target-health";
        let mut files = reader.per_resource(region, file)?.unwrap_or_default();
        for tg in out.target_groups.iter_mut().flatten() {
            match files.remove(&tg.target_group_arn) {
                Some(source) => match listing::read::<TargetHealthDescription>(&source, "TargetHealthDescriptions")? {
                    Listing::Items(items) => {
                        tg.target_health_descriptions =
                            Some(items.into_iter().filter(|t| !t.target.id.is_empty()).collect())
                    }
                    Listing::Truncated => gaps.add(
                        Service::Elbv2,
                        "DescribeTargetHealth",
                        format!("{}: incomplete in the export", tg.target_group_arn),
                    ),
                },
                None => gaps.add(
                    Service::Elbv2,
                    "DescribeTargetHealth",
                    format!("{}: {}", tg.target_group_arn, absent(&format!("{file}/"))),
                ),
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::percent_decode;

    #[test]
    fn file_names_are_url_decoded_as_cloudmapper_encodes_them() {
        assert_eq!(
            percent_decode("arn%3Aaws%3Aelasticloadbalancing%3Aeu-west-1%3A111111111111%3Atargetgroup%2Fweb%2F0123"),
            "arn:aws:elasticloadbalancing:eu-west-1:111111111111:targetgroup/web/0123"
        );
        assert_eq!(percent_decode("pl-12345"), "pl-12345");
        assert_eq!(percent_decode("a+b%2"), "a b%2");
    }
}
