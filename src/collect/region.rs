//! One account: its credentials (the role, or the caller's own), its regions,
//! and in each region the calls that fill a [`RegionSnapshot`].

use std::collections::BTreeSet;
use std::future::Future;
use std::sync::Arc;

use aws_config::sts::AssumeRoleProvider;
use aws_config::{Region, SdkConfig};
use aws_credential_types::provider::SharedCredentialsProvider;

use crate::model::*;

use super::org::Target;
use aws_sdk_sts::config::http::HttpResponse;
use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};

use super::{convert, describe_sdk_error, Shared};

/// Run one API call (or one paginated listing) under the concurrency limit.
pub(crate) async fn call<T, E, F>(shared: &Shared, fut: F) -> Result<T, String>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    F: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
{
    let _permit = shared.limiter.acquire().await.expect("the limiter is never closed");
    fut.await.map_err(|e| describe_sdk_error(&e))
}

fn failed(target: Target, reason: String) -> AccountSnapshot {
    target.into_snapshot(CollectionStatus::Failed { reason }, Vec::new())
}

/// Regions the account has enabled (opted in, or not needing opt-in).
async fn enabled_regions(shared: &Shared, config: &SdkConfig) -> Result<Vec<String>, String> {
    let ec2 = aws_sdk_ec2::Client::new(config);
    let out = call(shared, ec2.describe_regions().all_regions(true).send()).await?;
    let mut regions: Vec<String> = out
        .regions()
        .iter()
        .filter(|r| matches!(r.opt_in_status(), None | Some("opt-in-not-required") | Some("opted-in")))
        .filter_map(|r| r.region_name().map(str::to_string))
        .collect();
    regions.sort();
    regions.dedup();
    Ok(regions)
}

pub(crate) async fn collect_account(shared: &Arc<Shared>, target: Target) -> AccountSnapshot {
    let s = &shared.settings;
    let as_caller = target.account_id == shared.caller.account && !s.assume_role_in_caller_account;
    let role_arn = format!(
        "arn:{}:iam::{}:role/{}",
        shared.partition, target.account_id, s.role_name
    );
    let config = if as_caller {
        shared.base.clone()
    } else {
        let mut builder = AssumeRoleProvider::builder(role_arn.clone())
            .session_name(s.session_name.clone())
            .configure(&shared.base);
        if let Some(id) = &s.external_id {
            builder = builder.external_id(id.clone());
        }
        let provider = builder.build().await;
        shared
            .base
            .to_builder()
            .credentials_provider(SharedCredentialsProvider::new(provider))
            .build()
    };

    // Prove the credentials work, and that they act in the right account.
    let sts = aws_sdk_sts::Client::new(&config);
    let refused = match call(shared, sts.get_caller_identity().send()).await {
        Ok(id) if id.account() == Some(target.account_id.as_str()) => None,
        Ok(id) => Some(format!(
            "{role_arn} acts in account {}, not in {}",
            id.account().unwrap_or("?"),
            target.account_id
        )),
        Err(e) if as_caller => Some(format!("the caller's credentials do not work here: {e}")),
        Err(e) => Some(format!("cannot assume {role_arn}: {e}")),
    };
    if let Some(reason) = refused {
        return failed(target, reason);
    }
    tracing::debug!(account = %target.account_id, "credentials ready");

    let regions = if s.regions.is_empty() {
        match enabled_regions(shared, &config).await {
            Ok(r) => r,
            Err(e) => {
                return failed(
                    target,
                    format!("cannot list the account's enabled regions (ec2:DescribeRegions): {e}"),
                )
            }
        }
    } else {
        s.regions.clone()
    };

    let mut tasks = tokio::task::JoinSet::new();
    for region in regions {
        let shared = shared.clone();
        let clients = RegionClients::new(&config.to_builder().region(Region::new(region.clone())).build());
        tasks.spawn(async move { collect_region(&shared, &clients, region).await });
    }
    let mut collected = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(r) => collected.push(r),
            Err(e) => tracing::error!("a region task failed: {e}"),
        }
    }
    collected.sort_by(|a, b| a.region.cmp(&b.region));
    target.into_snapshot(CollectionStatus::Ok, collected)
}

/// The clients of one account-region.
pub(crate) struct RegionClients {
    pub ec2: aws_sdk_ec2::Client,
    pub elb: aws_sdk_elasticloadbalancingv2::Client,
    pub rds: aws_sdk_rds::Client,
    pub ssm: aws_sdk_ssm::Client,
}

impl RegionClients {
    pub fn new(conf: &SdkConfig) -> Self {
        RegionClients {
            ec2: aws_sdk_ec2::Client::new(conf),
            elb: aws_sdk_elasticloadbalancingv2::Client::new(conf),
            rds: aws_sdk_rds::Client::new(conf),
            ssm: aws_sdk_ssm::Client::new(conf),
        }
    }
}

/// Every call of one region. Independent calls run concurrently; a failure of
/// DescribeSecurityGroups fails the region, any other failure is a gap.
pub(crate) async fn collect_region(shared: &Shared, clients: &RegionClients, region: String) -> RegionSnapshot {
    let RegionClients { ec2, elb, rds, ssm } = clients;
    tracing::debug!(%region, "collecting region");
    // Every item of a paginated listing, under the concurrency limit.
    macro_rules! list_all {
        ($request:expr) => {
            call(
                shared,
                $request
                    .into_paginator()
                    .items()
                    .send()
                    .collect::<Result<Vec<_>, _>>(),
            )
        };
    }

    let (groups, interfaces, reservations, vpcs, subnets, route_tables, gateways, acls, prefix_lists) = tokio::join!(
        list_all!(ec2.describe_security_groups()),
        list_all!(ec2.describe_network_interfaces()),
        list_all!(ec2.describe_instances()),
        list_all!(ec2.describe_vpcs()),
        list_all!(ec2.describe_subnets()),
        list_all!(ec2.describe_route_tables()),
        list_all!(ec2.describe_internet_gateways()),
        list_all!(ec2.describe_network_acls()),
        list_all!(ec2.describe_managed_prefix_lists()),
    );
    let (load_balancers, db_instances, db_clusters, managed) = tokio::join!(
        list_all!(elb.describe_load_balancers()),
        list_all!(rds.describe_db_instances()),
        list_all!(rds.describe_db_clusters()),
        list_all!(ssm.describe_instance_information()),
    );

    let groups = match groups {
        Ok(g) => g,
        Err(e) => {
            return RegionSnapshot {
                region: region.as_str().into(),
                status: CollectionStatus::Failed {
                    reason: format!("ec2:DescribeSecurityGroups: {e}"),
                },
                ..Default::default()
            }
        }
    };
    let mut out = RegionSnapshot {
        region: region.as_str().into(),
        status: CollectionStatus::Ok,
        ..Default::default()
    };
    let mut gap = |service: Service, operation: &str, error: String| {
        tracing::info!(%region, %service, operation, %error, "not collected");
        out.gaps.push(Gap {
            service,
            operation: operation.into(),
            error,
        });
    };
    // The items of a listing, or none and a gap.
    macro_rules! or_gap {
        ($result:expr, $service:expr, $op:literal) => {
            match $result {
                Ok(items) => items,
                Err(e) => {
                    gap($service, $op, e);
                    Vec::new()
                }
            }
        };
    }
    // The converted items of a listing, or none and a gap.
    macro_rules! take {
        ($result:expr, $service:expr, $op:literal, $convert:expr) => {
            or_gap!($result, $service, $op).iter().map($convert).collect()
        };
    }
    let mut security_groups: Vec<SecurityGroup> = groups.iter().map(convert::security_group).collect();
    let mut network_interfaces: Vec<NetworkInterface> = take!(
        interfaces,
        Service::Ec2,
        "DescribeNetworkInterfaces",
        convert::network_interface
    );
    let mut instances: Vec<Instance> = or_gap!(reservations, Service::Ec2, "DescribeInstances")
        .iter()
        .flat_map(|r| r.instances())
        .map(convert::instance)
        .collect();
    let mut vpcs: Vec<Vpc> = take!(vpcs, Service::Ec2, "DescribeVpcs", convert::vpc);
    let mut subnets: Vec<Subnet> = take!(subnets, Service::Ec2, "DescribeSubnets", convert::subnet);
    let mut route_tables: Vec<RouteTable> =
        take!(route_tables, Service::Ec2, "DescribeRouteTables", convert::route_table);
    let mut internet_gateways: Vec<InternetGateway> = take!(
        gateways,
        Service::Ec2,
        "DescribeInternetGateways",
        convert::internet_gateway
    );
    let mut network_acls: Vec<NetworkAcl> = take!(acls, Service::Ec2, "DescribeNetworkAcls", convert::network_acl);
    let mut prefix_lists: Vec<ManagedPrefixList> = take!(
        prefix_lists,
        Service::Ec2,
        "DescribeManagedPrefixLists",
        convert::prefix_list
    );
    let mut load_balancers: Vec<LoadBalancer> = take!(
        load_balancers,
        Service::Elbv2,
        "DescribeLoadBalancers",
        convert::load_balancer
    );
    let mut db_instances: Vec<DbInstance> =
        take!(db_instances, Service::Rds, "DescribeDBInstances", convert::db_instance);
    let mut db_clusters: Vec<DbCluster> = take!(db_clusters, Service::Rds, "DescribeDBClusters", convert::db_cluster);
    let mut managed: Vec<InstanceInformation> = or_gap!(managed, Service::Ssm, "DescribeInstanceInformation")
        .iter()
        .filter_map(convert::instance_information)
        .collect();

    // Second round: what depends on the first.
    let referenced: BTreeSet<&str> = security_groups
        .iter()
        .flat_map(|g| g.ip_permissions.iter().chain(&g.ip_permissions_egress))
        .flat_map(|p| &p.prefix_list_ids)
        .map(|p| p.prefix_list_id.as_str())
        .collect();
    let is_referenced = |p: &ManagedPrefixList| referenced.contains(p.prefix_list_id.as_str());
    let entry_calls = prefix_lists.iter().filter(|p| is_referenced(p)).map(|p| {
        list_all!(ec2
            .get_managed_prefix_list_entries()
            .prefix_list_id(p.prefix_list_id.as_str()))
    });
    let listener_calls = load_balancers
        .iter()
        .map(|lb| list_all!(elb.describe_listeners().load_balancer_arn(&lb.load_balancer_arn)));
    // DescribeTags takes at most 20 load balancers per call.
    let tag_calls = load_balancers.chunks(20).map(|chunk| {
        let arns = chunk.iter().map(|lb| lb.load_balancer_arn.clone()).collect();
        call(shared, elb.describe_tags().set_resource_arns(Some(arns)).send())
    });
    let (entries, listeners, tags) = tokio::join!(
        join_all(entry_calls.collect()),
        join_all(listener_calls.collect()),
        join_all(tag_calls.collect())
    );
    // join_all keeps the order of the calls: each result belongs to the item
    // at the same position.
    for (p, result) in prefix_lists.iter_mut().filter(|p| is_referenced(p)).zip(entries) {
        match result {
            Ok(items) => {
                let mut list: Vec<PrefixListEntry> = items.iter().filter_map(convert::prefix_list_entry).collect();
                list.sort_by_key(|a| a.cidr);
                p.entries = Some(list);
            }
            Err(e) => gap(
                Service::Ec2,
                "GetManagedPrefixListEntries",
                format!("{}: {e}", p.prefix_list_id),
            ),
        }
    }
    for (lb, result) in load_balancers.iter_mut().zip(listeners) {
        match result {
            Ok(items) => {
                lb.listeners = items.iter().filter_map(convert::listener).collect();
                lb.listeners
                    .sort_by(|a, b| (a.port, &a.protocol).cmp(&(b.port, &b.protocol)));
            }
            Err(e) => gap(
                Service::Elbv2,
                "DescribeListeners",
                format!("{}: {e}", lb.load_balancer_arn),
            ),
        }
    }
    for result in tags {
        match result {
            Ok(out) => {
                for d in out.tag_descriptions() {
                    if let Some(lb) = load_balancers
                        .iter_mut()
                        .find(|lb| Some(lb.load_balancer_arn.as_str()) == d.resource_arn())
                    {
                        lb.tags = convert::elb_tags(d.tags());
                    }
                }
            }
            Err(e) => gap(Service::Elbv2, "DescribeTags", e),
        }
    }

    // A stable order, whatever order the API returned: two collections of the
    // same state give the same snapshot.
    security_groups.sort_by(|a, b| a.group_id.cmp(&b.group_id));
    network_interfaces.sort_by(|a, b| a.network_interface_id.cmp(&b.network_interface_id));
    instances.sort_by(|a, b| a.instance_id.cmp(&b.instance_id));
    vpcs.sort_by(|a, b| a.vpc_id.cmp(&b.vpc_id));
    subnets.sort_by(|a, b| a.subnet_id.cmp(&b.subnet_id));
    route_tables.sort_by(|a, b| a.route_table_id.cmp(&b.route_table_id));
    internet_gateways.sort_by(|a, b| a.internet_gateway_id.cmp(&b.internet_gateway_id));
    network_acls.sort_by(|a, b| a.network_acl_id.cmp(&b.network_acl_id));
    prefix_lists.sort_by(|a, b| a.prefix_list_id.cmp(&b.prefix_list_id));
    load_balancers.sort_by(|a, b| a.load_balancer_arn.cmp(&b.load_balancer_arn));
    db_instances.sort_by(|a, b| a.db_instance_identifier.cmp(&b.db_instance_identifier));
    db_clusters.sort_by(|a, b| a.db_cluster_identifier.cmp(&b.db_cluster_identifier));
    managed.sort_by(|a, b| a.instance_id.cmp(&b.instance_id));
    out.gaps.sort();

    RegionSnapshot {
        security_groups,
        network_interfaces,
        instances,
        vpcs,
        subnets,
        route_tables,
        internet_gateways,
        network_acls,
        prefix_lists,
        load_balancers,
        db_instances,
        db_clusters,
        instance_information_list: managed,
        ..out
    }
}

/// Await every future, concurrently, keeping their order.
async fn join_all<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut pinned: Vec<std::pin::Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut done: Vec<Option<F::Output>> = (0..pinned.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, f) in pinned.iter_mut().enumerate() {
            if done[i].is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => done[i] = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    done.into_iter().map(|d| d.expect("every future finished")).collect()
}
