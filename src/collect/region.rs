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

use super::bucket::{Api, Bucket, Scope};
use super::{convert, describe_sdk_error, Shared};

/// One request: a token from its account-region's bucket first, then a
/// slot among the calls in flight (so that waiting for tokens holds no slot).
pub(crate) async fn call<T, E, F>(shared: &Shared, bucket: &Bucket, fut: F) -> Result<T, String>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    F: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
{
    bucket.take().await;
    let _permit = shared.limiter.acquire().await.expect("the limiter is never closed");
    fut.await.map_err(|e| describe_sdk_error(&e))
}

/// Every item of a paginated listing, page by page, each page one [`call`]:
/// `send` makes the request for a page token, `split` takes a page apart
/// into its items and the next token.
pub(crate) async fn list_all<T, O, E, F, Fut>(
    shared: &Shared,
    bucket: &Bucket,
    mut send: F,
    split: impl Fn(O) -> (Option<Vec<T>>, Option<String>),
) -> Result<Vec<T>, String>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<O, SdkError<E, HttpResponse>>>,
{
    let mut items = Vec::new();
    let mut token: Option<String> = None;
    loop {
        // Boxed: a region awaits some twenty listings at once, and the SDK's
        // request futures are large; inline, they would make one huge future.
        let (page, next) = split(call(shared, bucket, Box::pin(send(token.clone()))).await?);
        items.extend(page.unwrap_or_default());
        match next.filter(|t| !t.is_empty()) {
            Some(t) if token.as_deref() == Some(t.as_str()) => {
                return Err(format!(
                    "the API returned the same page token twice ({t}): stopped paging"
                ))
            }
            Some(t) => token = Some(t),
            None => return Ok(items),
        }
    }
}

fn failed(target: Target, reason: String) -> AccountSnapshot {
    target.into_snapshot(CollectionStatus::Failed { reason }, Vec::new())
}

/// Regions the account has enabled (opted in, or not needing opt-in).
async fn enabled_regions(shared: &Shared, config: &SdkConfig, account: &AccountId) -> Result<Vec<String>, String> {
    let ec2 = aws_sdk_ec2::Client::new(config);
    let home = config.region().map(|r| r.to_string()).unwrap_or_default();
    let bucket = shared.buckets.get(account, Scope::Region(home), Api::Ec2);
    let out = call(shared, &bucket, ec2.describe_regions().all_regions(true).send()).await?;
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
            .credentials_provider(SharedCredentialsProvider::new(super::credentials::Cached::new(
                provider,
            )))
            .build()
    };

    // Prove the credentials work, and that they act in the right account.
    let sts = aws_sdk_sts::Client::new(&config);
    let sts_bucket = shared.buckets.get(&target.account_id, Scope::Global, Api::Sts);
    let refused = match call(shared, &sts_bucket, sts.get_caller_identity().send()).await {
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
        shared.buckets.release(&target.account_id);
        return failed(target, reason);
    }
    tracing::debug!(account = %target.account_id, "credentials ready");

    let regions = if s.regions.is_empty() {
        match enabled_regions(shared, &config, &target.account_id).await {
            Ok(r) => r,
            Err(e) => {
                shared.buckets.release(&target.account_id);
                return failed(
                    target,
                    format!("cannot list the account's enabled regions (ec2:DescribeRegions): {e}"),
                );
            }
        }
    } else {
        s.regions.clone()
    };

    let mut tasks = tokio::task::JoinSet::new();
    for region in regions {
        let shared = shared.clone();
        let buckets = RegionBuckets::new(&shared.buckets, &target.account_id, &region);
        let clients = RegionClients::new(
            &config.to_builder().region(Region::new(region.clone())).build(),
            buckets,
        );
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
    shared.buckets.release(&target.account_id);
    target.into_snapshot(CollectionStatus::Ok, collected)
}

/// The token buckets of one account-region, one per service.
pub(crate) struct RegionBuckets {
    pub ec2: std::sync::Arc<Bucket>,
    pub elb: std::sync::Arc<Bucket>,
    pub rds: std::sync::Arc<Bucket>,
    pub ssm: std::sync::Arc<Bucket>,
}

impl RegionBuckets {
    pub fn new(buckets: &super::bucket::Buckets, account: &AccountId, region: &str) -> Self {
        let get = |api| buckets.get(account, Scope::Region(region.to_string()), api);
        RegionBuckets {
            ec2: get(Api::Ec2),
            elb: get(Api::Elb),
            rds: get(Api::Rds),
            ssm: get(Api::Ssm),
        }
    }
}

/// The clients of one account-region, and its buckets.
pub(crate) struct RegionClients {
    pub ec2: aws_sdk_ec2::Client,
    pub elb: aws_sdk_elasticloadbalancingv2::Client,
    pub classic: aws_sdk_elasticloadbalancing::Client,
    pub rds: aws_sdk_rds::Client,
    pub ssm: aws_sdk_ssm::Client,
    pub buckets: RegionBuckets,
}

impl RegionClients {
    pub fn new(conf: &SdkConfig, buckets: RegionBuckets) -> Self {
        RegionClients {
            ec2: aws_sdk_ec2::Client::new(conf),
            elb: aws_sdk_elasticloadbalancingv2::Client::new(conf),
            classic: aws_sdk_elasticloadbalancing::Client::new(conf),
            rds: aws_sdk_rds::Client::new(conf),
            ssm: aws_sdk_ssm::Client::new(conf),
            buckets,
        }
    }
}

/// The largest page each listing allows (EC2's Describe calls: always paged,
/// which keeps them in the ordinary bucket rather than the one of
/// unpaginated, unfiltered requests).
const EC2_PAGE: i32 = 1000;

/// The gaps of one region as they are found, logged once each.
struct Gaps<'r> {
    region: &'r str,
    gaps: Vec<Gap>,
}

impl Gaps<'_> {
    fn add(&mut self, service: Service, operation: &str, error: String) {
        tracing::info!(region = self.region, %service, operation, %error, "not collected");
        self.gaps.push(Gap {
            service,
            operation: operation.into(),
            error,
        });
    }

    /// The items of a listing, or none and a gap.
    fn items<T>(&mut self, result: Result<Vec<T>, String>, service: Service, operation: &str) -> Vec<T> {
        result.unwrap_or_else(|e| {
            self.add(service, operation, e);
            Vec::new()
        })
    }

    /// The converted items of a listing, or none and a gap.
    fn take<T, U>(
        &mut self,
        result: Result<Vec<T>, String>,
        service: Service,
        operation: &str,
        convert: impl Fn(&T) -> U,
    ) -> Vec<U> {
        self.items(result, service, operation).iter().map(convert).collect()
    }

    /// Like [`Gaps::take`], for the collections that schema 2 added, where
    /// "not collected" (`None`) differs from "none" (an empty list).
    fn take_known<T, U>(
        &mut self,
        result: Result<Vec<T>, String>,
        service: Service,
        operation: &str,
        convert: impl Fn(&T) -> U,
    ) -> Option<Vec<U>> {
        match result {
            Ok(items) => Some(items.iter().map(convert).collect()),
            Err(e) => {
                self.add(service, operation, e);
                None
            }
        }
    }
}

/// Every call of one region: the listings all at once, then the calls that
/// need their results. A failure of DescribeSecurityGroups fails the region,
/// any other failure is a gap.
pub(crate) async fn collect_region(shared: &Shared, clients: &RegionClients, region: String) -> RegionSnapshot {
    let RegionClients {
        ec2,
        elb,
        classic,
        rds,
        ssm,
        buckets: b,
    } = clients;
    tracing::debug!(%region, "collecting region");
    let (e, l, r, m) = (&*b.ec2, &*b.elb, &*b.rds, &*b.ssm);
    let (
        groups,
        interfaces,
        reservations,
        vpcs,
        subnets,
        route_tables,
        gateways,
        acls,
        prefix_lists,
        peerings,
        flow_logs,
        (load_balancers, target_groups, classic_lbs),
        (db_instances, db_clusters, managed),
    ) = tokio::join!(
        list_all(
            shared,
            e,
            |t| ec2
                .describe_security_groups()
                .max_results(EC2_PAGE)
                .set_next_token(t)
                .send(),
            |o| (o.security_groups, o.next_token)
        ),
        list_all(
            shared,
            e,
            |t| ec2
                .describe_network_interfaces()
                .max_results(EC2_PAGE)
                .set_next_token(t)
                .send(),
            |o| (o.network_interfaces, o.next_token)
        ),
        list_all(
            shared,
            e,
            |t| ec2.describe_instances().max_results(EC2_PAGE).set_next_token(t).send(),
            |o| (o.reservations, o.next_token)
        ),
        list_all(
            shared,
            e,
            |t| ec2.describe_vpcs().max_results(EC2_PAGE).set_next_token(t).send(),
            |o| (o.vpcs, o.next_token)
        ),
        list_all(
            shared,
            e,
            |t| ec2.describe_subnets().max_results(EC2_PAGE).set_next_token(t).send(),
            |o| (o.subnets, o.next_token)
        ),
        list_all(
            shared,
            e,
            |t| ec2.describe_route_tables().max_results(100).set_next_token(t).send(),
            |o| (o.route_tables, o.next_token)
        ),
        list_all(
            shared,
            e,
            |t| ec2
                .describe_internet_gateways()
                .max_results(EC2_PAGE)
                .set_next_token(t)
                .send(),
            |o| (o.internet_gateways, o.next_token)
        ),
        list_all(
            shared,
            e,
            |t| ec2
                .describe_network_acls()
                .max_results(EC2_PAGE)
                .set_next_token(t)
                .send(),
            |o| (o.network_acls, o.next_token)
        ),
        list_all(
            shared,
            e,
            |t| ec2
                .describe_managed_prefix_lists()
                .max_results(100)
                .set_next_token(t)
                .send(),
            |o| (o.prefix_lists, o.next_token)
        ),
        list_all(
            shared,
            e,
            |t| ec2
                .describe_vpc_peering_connections()
                .max_results(EC2_PAGE)
                .set_next_token(t)
                .send(),
            |o| (o.vpc_peering_connections, o.next_token)
        ),
        list_all(
            shared,
            e,
            |t| ec2.describe_flow_logs().max_results(EC2_PAGE).set_next_token(t).send(),
            |o| (o.flow_logs, o.next_token)
        ),
        async {
            tokio::join!(
                list_all(
                    shared,
                    l,
                    |t| elb.describe_load_balancers().page_size(400).set_marker(t).send(),
                    |o| (o.load_balancers, o.next_marker)
                ),
                list_all(
                    shared,
                    l,
                    |t| elb.describe_target_groups().page_size(400).set_marker(t).send(),
                    |o| (o.target_groups, o.next_marker)
                ),
                list_all(
                    shared,
                    l,
                    |t| classic.describe_load_balancers().page_size(400).set_marker(t).send(),
                    |o| (o.load_balancer_descriptions, o.next_marker)
                ),
            )
        },
        async {
            tokio::join!(
                list_all(
                    shared,
                    r,
                    |t| rds.describe_db_instances().max_records(100).set_marker(t).send(),
                    |o| (o.db_instances, o.marker)
                ),
                list_all(
                    shared,
                    r,
                    |t| rds.describe_db_clusters().max_records(100).set_marker(t).send(),
                    |o| (o.db_clusters, o.marker)
                ),
                list_all(
                    shared,
                    m,
                    |t| ssm
                        .describe_instance_information()
                        .max_results(50)
                        .set_next_token(t)
                        .send(),
                    |o| (o.instance_information_list, o.next_token)
                ),
            )
        },
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
    let mut gaps = Gaps {
        region: &region,
        gaps: Vec::new(),
    };
    use Service::*;
    let mut out = RegionSnapshot {
        region: region.as_str().into(),
        status: CollectionStatus::Ok,
        gaps: Vec::new(),
        security_groups: groups.iter().map(convert::security_group).collect(),
        network_interfaces: gaps.take(interfaces, Ec2, "DescribeNetworkInterfaces", convert::network_interface),
        instances: gaps
            .items(reservations, Ec2, "DescribeInstances")
            .iter()
            .flat_map(|r| r.instances())
            .map(convert::instance)
            .collect(),
        vpcs: gaps.take(vpcs, Ec2, "DescribeVpcs", convert::vpc),
        subnets: gaps.take(subnets, Ec2, "DescribeSubnets", convert::subnet),
        route_tables: gaps.take(route_tables, Ec2, "DescribeRouteTables", convert::route_table),
        internet_gateways: gaps.take(gateways, Ec2, "DescribeInternetGateways", convert::internet_gateway),
        network_acls: gaps.take(acls, Ec2, "DescribeNetworkAcls", convert::network_acl),
        prefix_lists: gaps.take(prefix_lists, Ec2, "DescribeManagedPrefixLists", convert::prefix_list),
        vpc_peering_connections: gaps.take_known(
            peerings,
            Ec2,
            "DescribeVpcPeeringConnections",
            convert::vpc_peering_connection,
        ),
        flow_logs: gaps.take_known(flow_logs, Ec2, "DescribeFlowLogs", convert::flow_log),
        load_balancers: gaps.take(load_balancers, Elbv2, "DescribeLoadBalancers", convert::load_balancer),
        target_groups: gaps.take_known(target_groups, Elbv2, "DescribeTargetGroups", convert::target_group),
        classic_load_balancers: gaps.take_known(
            classic_lbs,
            Elb,
            "DescribeLoadBalancers",
            convert::classic_load_balancer,
        ),
        db_instances: gaps.take(db_instances, Rds, "DescribeDBInstances", convert::db_instance),
        db_clusters: gaps.take(db_clusters, Rds, "DescribeDBClusters", convert::db_cluster),
        instance_information_list: gaps
            .items(managed, Ssm, "DescribeInstanceInformation")
            .iter()
            .filter_map(convert::instance_information)
            .collect(),
    };
    second_round(shared, clients, &mut out, &mut gaps).await;
    out.gaps = gaps.gaps;
    out.sort();
    out
}

/// What depends on the listings: the entries of the prefix lists the groups
/// use, the load balancers' listeners and tags, the target groups' targets.
async fn second_round(shared: &Shared, clients: &RegionClients, out: &mut RegionSnapshot, gaps: &mut Gaps<'_>) {
    let RegionClients { ec2, elb, buckets, .. } = clients;
    let (e, l) = (&*buckets.ec2, &*buckets.elb);
    let referenced: BTreeSet<&str> = out
        .security_groups
        .iter()
        .flat_map(|g| g.ip_permissions.iter().chain(&g.ip_permissions_egress))
        .flat_map(|p| &p.prefix_list_ids)
        .map(|p| p.prefix_list_id.as_str())
        .collect();
    let is_referenced = |p: &ManagedPrefixList| referenced.contains(p.prefix_list_id.as_str());
    let entry_calls = out.prefix_lists.iter().filter(|p| is_referenced(p)).map(|p| {
        let id = p.prefix_list_id.as_str();
        list_all(
            shared,
            e,
            move |t| {
                ec2.get_managed_prefix_list_entries()
                    .prefix_list_id(id)
                    .max_results(100)
                    .set_next_token(t)
                    .send()
            },
            |o| (o.entries, o.next_token),
        )
    });
    let listener_calls = out.load_balancers.iter().map(|lb| {
        let arn = lb.load_balancer_arn.as_str();
        list_all(
            shared,
            l,
            move |t| {
                elb.describe_listeners()
                    .load_balancer_arn(arn)
                    .page_size(400)
                    .set_marker(t)
                    .send()
            },
            |o| (o.listeners, o.next_marker),
        )
    });
    // DescribeTags takes at most 20 load balancers per call.
    let tag_calls = out.load_balancers.chunks(20).map(|chunk| {
        let arns = chunk.iter().map(|lb| lb.load_balancer_arn.clone()).collect();
        call(shared, l, elb.describe_tags().set_resource_arns(Some(arns)).send())
    });
    let health_calls = out.target_groups.iter().flatten().map(|tg| {
        call(
            shared,
            l,
            elb.describe_target_health()
                .target_group_arn(&tg.target_group_arn)
                .send(),
        )
    });
    let (entries, listeners, tags, health) = tokio::join!(
        join_all(entry_calls.collect()),
        join_all(listener_calls.collect()),
        join_all(tag_calls.collect()),
        join_all(health_calls.collect()),
    );
    // join_all keeps the order of the calls: each result belongs to the item
    // at the same position.
    for (p, result) in out
        .prefix_lists
        .iter_mut()
        .filter(|p| referenced.contains(p.prefix_list_id.as_str()))
        .zip(entries)
    {
        match result {
            Ok(items) => {
                p.entries = Some(items.iter().filter_map(convert::prefix_list_entry).collect());
            }
            Err(e) => gaps.add(
                Service::Ec2,
                "GetManagedPrefixListEntries",
                format!("{}: {e}", p.prefix_list_id),
            ),
        }
    }
    for (lb, result) in out.load_balancers.iter_mut().zip(listeners) {
        match result {
            Ok(items) => {
                lb.listeners = items.iter().filter_map(convert::listener).collect();
            }
            Err(e) => gaps.add(
                Service::Elbv2,
                "DescribeListeners",
                format!("{}: {e}", lb.load_balancer_arn),
            ),
        }
    }
    for result in tags {
        match result {
            Ok(found) => {
                for d in found.tag_descriptions() {
                    if let Some(lb) = out
                        .load_balancers
                        .iter_mut()
                        .find(|lb| Some(lb.load_balancer_arn.as_str()) == d.resource_arn())
                    {
                        lb.tags = convert::elb_tags(d.tags());
                    }
                }
            }
            Err(e) => gaps.add(Service::Elbv2, "DescribeTags", e),
        }
    }
    for (tg, result) in out.target_groups.iter_mut().flatten().zip(health) {
        match result {
            Ok(found) => {
                tg.target_health_descriptions = Some(
                    found
                        .target_health_descriptions()
                        .iter()
                        .filter_map(convert::target_health)
                        .collect(),
                );
            }
            Err(e) => gaps.add(
                Service::Elbv2,
                "DescribeTargetHealth",
                format!("{}: {e}", tg.target_group_arn),
            ),
        }
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
