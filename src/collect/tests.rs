//! Pagination and failure handling of every call, against the SDK's own mock
//! layer (aws-smithy-mocks). moto, which the integration tests use, answers
//! every Describe call in one page, so several pages are only seen here: each
//! paginated operation answers in three pages of one item.

use aws_smithy_mocks::{create_mock_http_client, mock, MockResponseInterceptor, Rule, RuleMode};
use tokio::sync::Semaphore;

use super::org::targets;
use super::region::{collect_region, RegionBuckets, RegionClients};
use super::{Progress, Shared};
use crate::config::Collect;
use crate::model::*;

macro_rules! client {
    ($sdk:ident, $rules:expr) => {{
        let mut interceptor = MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny);
        for rule in $rules {
            interceptor = interceptor.with_rule(rule);
        }
        $sdk::Client::from_conf(
            $sdk::Config::builder()
                .behavior_version(aws_config::BehaviorVersion::latest())
                .region(aws_config::Region::new("eu-west-1"))
                .credentials_provider(aws_credential_types::Credentials::new(
                    "AKIDTEST", "test", None, None, "test",
                ))
                .retry_config(aws_config::retry::RetryConfig::disabled())
                .http_client(create_mock_http_client())
                .interceptor(interceptor)
                .build(),
        )
    }};
}

/// Which page a request asks for (1, 2 or 3), and the token of the next one.
fn page(token: Option<&str>) -> (usize, Option<String>) {
    let n = token.map_or(1, |t| t.trim_start_matches("page-").parse().unwrap());
    (n, (n < 3).then(|| format!("page-{}", n + 1)))
}

fn shared() -> Shared {
    Shared {
        settings: Collect::default(),
        base: aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("eu-west-1"))
            .build(),
        limiter: Semaphore::new(4),
        buckets: super::bucket::Buckets::new(Default::default()),
        caller: CallerIdentity {
            account: AccountId::parse("111111111111").unwrap(),
            arn: "arn:aws:iam::111111111111:user/test".into(),
            user_id: "test".into(),
        },
        partition: "aws".into(),
        progress: Progress::hidden(),
    }
}

fn ec2_rules() -> Vec<Rule> {
    use aws_sdk_ec2::operation as op;
    use aws_sdk_ec2::types::*;
    use aws_sdk_ec2::Client as C;
    vec![
        mock!(C::describe_security_groups).then_compute_output(|r| {
            let (n, next) = page(r.next_token());
            let mut perm = IpPermission::builder().ip_protocol("tcp").from_port(443).to_port(443);
            if n == 1 {
                perm = perm.prefix_list_ids(PrefixListId::builder().prefix_list_id("pl-1").build());
            }
            op::describe_security_groups::DescribeSecurityGroupsOutput::builder()
                .security_groups(
                    SecurityGroup::builder()
                        .group_id(format!("sg-{n}"))
                        .group_name(format!("g{n}"))
                        .description("d")
                        .ip_permissions(perm.build())
                        .build(),
                )
                .set_next_token(next)
                .build()
        }),
        mock!(C::describe_network_interfaces).then_compute_output(|r| {
            let (n, next) = page(r.next_token());
            op::describe_network_interfaces::DescribeNetworkInterfacesOutput::builder()
                .network_interfaces(
                    NetworkInterface::builder()
                        .network_interface_id(format!("eni-{n}"))
                        .build(),
                )
                .set_next_token(next)
                .build()
        }),
        mock!(C::describe_instances).then_compute_output(|r| {
            let (n, next) = page(r.next_token());
            op::describe_instances::DescribeInstancesOutput::builder()
                .reservations(
                    Reservation::builder()
                        .instances(Instance::builder().instance_id(format!("i-{n}")).build())
                        .build(),
                )
                .set_next_token(next)
                .build()
        }),
        mock!(C::describe_vpcs).then_compute_output(|r| {
            let (n, next) = page(r.next_token());
            op::describe_vpcs::DescribeVpcsOutput::builder()
                .vpcs(
                    Vpc::builder()
                        .vpc_id(format!("vpc-{n}"))
                        .cidr_block(format!("10.{n}.0.0/16"))
                        .build(),
                )
                .set_next_token(next)
                .build()
        }),
        mock!(C::describe_subnets).then_compute_output(|r| {
            let (n, next) = page(r.next_token());
            op::describe_subnets::DescribeSubnetsOutput::builder()
                .subnets(
                    Subnet::builder()
                        .subnet_id(format!("subnet-{n}"))
                        .vpc_id("vpc-1")
                        .build(),
                )
                .set_next_token(next)
                .build()
        }),
        mock!(C::describe_route_tables).then_compute_output(|r| {
            let (n, next) = page(r.next_token());
            op::describe_route_tables::DescribeRouteTablesOutput::builder()
                .route_tables(
                    RouteTable::builder()
                        .route_table_id(format!("rtb-{n}"))
                        .vpc_id("vpc-1")
                        .build(),
                )
                .set_next_token(next)
                .build()
        }),
        mock!(C::describe_internet_gateways).then_compute_output(|r| {
            let (n, next) = page(r.next_token());
            op::describe_internet_gateways::DescribeInternetGatewaysOutput::builder()
                .internet_gateways(
                    InternetGateway::builder()
                        .internet_gateway_id(format!("igw-{n}"))
                        .build(),
                )
                .set_next_token(next)
                .build()
        }),
        mock!(C::describe_network_acls).then_compute_output(|r| {
            let (n, next) = page(r.next_token());
            op::describe_network_acls::DescribeNetworkAclsOutput::builder()
                .network_acls(
                    NetworkAcl::builder()
                        .network_acl_id(format!("acl-{n}"))
                        .vpc_id("vpc-1")
                        .build(),
                )
                .set_next_token(next)
                .build()
        }),
        mock!(C::describe_managed_prefix_lists).then_compute_output(|r| {
            let (n, next) = page(r.next_token());
            op::describe_managed_prefix_lists::DescribeManagedPrefixListsOutput::builder()
                .prefix_lists(
                    ManagedPrefixList::builder()
                        .prefix_list_id(format!("pl-{n}"))
                        .prefix_list_name(format!("list{n}"))
                        .build(),
                )
                .set_next_token(next)
                .build()
        }),
        mock!(C::describe_vpc_peering_connections).then_compute_output(|r| {
            let (n, next) = page(r.next_token());
            op::describe_vpc_peering_connections::DescribeVpcPeeringConnectionsOutput::builder()
                .vpc_peering_connections(
                    VpcPeeringConnection::builder()
                        .vpc_peering_connection_id(format!("pcx-{n}"))
                        .accepter_vpc_info(
                            VpcPeeringConnectionVpcInfo::builder()
                                .vpc_id("vpc-peer")
                                .cidr_block(format!("10.10{n}.0.0/16"))
                                .build(),
                        )
                        .build(),
                )
                .set_next_token(next)
                .build()
        }),
        // Pages in reverse order of id: the snapshot sorts them.
        mock!(C::describe_flow_logs).then_compute_output(|r| {
            let (n, next) = page(r.next_token());
            op::describe_flow_logs::DescribeFlowLogsOutput::builder()
                .flow_logs(
                    FlowLog::builder()
                        .flow_log_id(format!("fl-{}", 4 - n))
                        .resource_id(format!("vpc-{}", 4 - n))
                        .traffic_type(TrafficType::All)
                        .log_destination_type(LogDestinationType::S3)
                        .log_destination("arn:aws:s3:::org-flow-logs/vpc/")
                        .flow_log_status("ACTIVE")
                        .deliver_logs_status("SUCCESS")
                        .max_aggregation_interval(600)
                        .destination_options(
                            DestinationOptionsResponse::builder()
                                .file_format(DestinationFileFormat::PlainText)
                                .per_hour_partition(true)
                                .build(),
                        )
                        .build(),
                )
                .set_next_token(next)
                .build()
        }),
        mock!(C::get_managed_prefix_list_entries).then_compute_output(|r| {
            let (n, next) = page(r.next_token());
            op::get_managed_prefix_list_entries::GetManagedPrefixListEntriesOutput::builder()
                .entries(PrefixListEntry::builder().cidr(format!("10.9{n}.0.0/16")).build())
                .set_next_token(next)
                .build()
        }),
    ]
}

fn elb_rules() -> Vec<Rule> {
    use aws_sdk_elasticloadbalancingv2::operation as op;
    use aws_sdk_elasticloadbalancingv2::types::*;
    use aws_sdk_elasticloadbalancingv2::Client as C;
    vec![
        mock!(C::describe_load_balancers).then_compute_output(|r| {
            let (n, next) = page(r.marker());
            op::describe_load_balancers::DescribeLoadBalancersOutput::builder()
                .load_balancers(
                    LoadBalancer::builder()
                        .load_balancer_arn(format!(
                            "arn:aws:elasticloadbalancing:eu-west-1:111111111111:loadbalancer/app/lb{n}/x"
                        ))
                        .load_balancer_name(format!("lb{n}"))
                        .security_groups("sg-1")
                        .build(),
                )
                .set_next_marker(next)
                .build()
        }),
        mock!(C::describe_listeners).then_compute_output(|r| {
            let (n, next) = page(r.marker());
            op::describe_listeners::DescribeListenersOutput::builder()
                .listeners(
                    Listener::builder()
                        .port(440 + n as i32)
                        .protocol(ProtocolEnum::Https)
                        .build(),
                )
                .set_next_marker(next)
                .build()
        }),
        mock!(C::describe_target_groups).then_compute_output(|r| {
            let (n, next) = page(r.marker());
            op::describe_target_groups::DescribeTargetGroupsOutput::builder()
                .target_groups(
                    TargetGroup::builder()
                        .target_group_arn(format!(
                            "arn:aws:elasticloadbalancing:eu-west-1:111111111111:targetgroup/tg{n}/x"
                        ))
                        .target_group_name(format!("tg{n}"))
                        .protocol(ProtocolEnum::Http)
                        .port(8080)
                        .load_balancer_arns(
                            "arn:aws:elasticloadbalancing:eu-west-1:111111111111:loadbalancer/app/lb1/x",
                        )
                        .build(),
                )
                .set_next_marker(next)
                .build()
        }),
        mock!(C::describe_target_health).then_compute_output(|r| {
            let name = r
                .target_group_arn()
                .unwrap_or_default()
                .split('/')
                .nth(1)
                .unwrap_or_default()
                .to_string();
            op::describe_target_health::DescribeTargetHealthOutput::builder()
                .target_health_descriptions(
                    TargetHealthDescription::builder()
                        .target(TargetDescription::builder().id(format!("i-{name}")).port(8080).build())
                        .build(),
                )
                .build()
        }),
        mock!(C::describe_tags).then_compute_output(|r| {
            op::describe_tags::DescribeTagsOutput::builder()
                .set_tag_descriptions(Some(
                    r.resource_arns()
                        .iter()
                        .map(|arn| {
                            TagDescription::builder()
                                .resource_arn(arn)
                                .tags(Tag::builder().key("team").value("web").build())
                                .build()
                        })
                        .collect(),
                ))
                .build()
        }),
    ]
}

fn classic_rules() -> Vec<Rule> {
    use aws_sdk_elasticloadbalancing::operation as op;
    use aws_sdk_elasticloadbalancing::types::*;
    use aws_sdk_elasticloadbalancing::Client as C;
    vec![mock!(C::describe_load_balancers).then_compute_output(|r| {
        let (n, next) = page(r.marker());
        op::describe_load_balancers::DescribeLoadBalancersOutput::builder()
            .load_balancer_descriptions(
                LoadBalancerDescription::builder()
                    .load_balancer_name(format!("classic{n}"))
                    .scheme("internet-facing")
                    .security_groups("sg-1")
                    .listener_descriptions(
                        ListenerDescription::builder()
                            .listener(
                                Listener::builder()
                                    .protocol("HTTP")
                                    .load_balancer_port(80)
                                    .instance_port(8080)
                                    .build()
                                    .unwrap(),
                            )
                            .build(),
                    )
                    .instances(Instance::builder().instance_id("i-1").build())
                    .build(),
            )
            .set_next_marker(next)
            .build()
    })]
}

fn rds_rules() -> Vec<Rule> {
    use aws_sdk_rds::operation as op;
    use aws_sdk_rds::types::*;
    use aws_sdk_rds::Client as C;
    vec![
        mock!(C::describe_db_instances).then_compute_output(|r| {
            let (n, next) = page(r.marker());
            op::describe_db_instances::DescribeDbInstancesOutput::builder()
                .db_instances(
                    DbInstance::builder()
                        .db_instance_identifier(format!("db{n}"))
                        .engine("postgres")
                        .build(),
                )
                .set_marker(next)
                .build()
        }),
        mock!(C::describe_db_clusters).then_compute_output(|r| {
            let (n, next) = page(r.marker());
            op::describe_db_clusters::DescribeDbClustersOutput::builder()
                .db_clusters(
                    DbCluster::builder()
                        .db_cluster_identifier(format!("cluster{n}"))
                        .engine("aurora-mysql")
                        .build(),
                )
                .set_marker(next)
                .build()
        }),
    ]
}

fn ssm_rules() -> Vec<Rule> {
    use aws_sdk_ssm::operation as op;
    use aws_sdk_ssm::types::*;
    use aws_sdk_ssm::Client as C;
    vec![mock!(C::describe_instance_information).then_compute_output(|r| {
        let (n, next) = page(r.next_token());
        op::describe_instance_information::DescribeInstanceInformationOutput::builder()
            .instance_information_list(InstanceInformation::builder().instance_id(format!("i-{n}")).build())
            .set_next_token(next)
            .build()
    })]
}

fn clients(ec2: Vec<Rule>, elb: Vec<Rule>, rds: Vec<Rule>, ssm: Vec<Rule>) -> RegionClients {
    RegionClients {
        ec2: client!(aws_sdk_ec2, &ec2),
        elb: client!(aws_sdk_elasticloadbalancingv2, &elb),
        classic: client!(aws_sdk_elasticloadbalancing, &classic_rules()),
        rds: client!(aws_sdk_rds, &rds),
        ssm: client!(aws_sdk_ssm, &ssm),
        buckets: RegionBuckets::new(
            &super::bucket::Buckets::new(Default::default()),
            &AccountId::parse("111111111111").unwrap(),
            "eu-west-1",
        ),
    }
}

#[tokio::test]
async fn every_region_call_reads_every_page() {
    let shared = shared();
    let region = collect_region(
        &shared,
        &clients(ec2_rules(), elb_rules(), rds_rules(), ssm_rules()),
        "eu-west-1".into(),
    )
    .await;
    assert_eq!(region.status, CollectionStatus::Ok);
    assert_eq!(region.gaps, vec![]);
    let ids = |v: Vec<String>| v.join(" ");
    assert_eq!(
        ids(region.security_groups.iter().map(|g| g.group_id.to_string()).collect()),
        "sg-1 sg-2 sg-3"
    );
    assert_eq!(
        ids(region
            .network_interfaces
            .iter()
            .map(|g| g.network_interface_id.to_string())
            .collect()),
        "eni-1 eni-2 eni-3"
    );
    assert_eq!(
        ids(region.instances.iter().map(|g| g.instance_id.to_string()).collect()),
        "i-1 i-2 i-3"
    );
    assert_eq!(region.vpcs.len(), 3);
    assert_eq!(region.subnets.len(), 3);
    assert_eq!(region.route_tables.len(), 3);
    assert_eq!(region.internet_gateways.len(), 3);
    assert_eq!(region.network_acls.len(), 3);
    assert_eq!(region.prefix_lists.len(), 3);
    // Only the referenced list's entries are read, all three pages of them.
    let entries = |i: usize| region.prefix_lists[i].entries.as_ref().map(Vec::len);
    assert_eq!((entries(0), entries(1), entries(2)), (Some(3), None, None));
    assert_eq!(region.load_balancers.len(), 3);
    for lb in &region.load_balancers {
        let ports: Vec<u16> = lb.listeners.iter().map(|l| l.port).collect();
        assert_eq!(ports, [441, 442, 443], "{}", lb.load_balancer_name);
        assert_eq!(
            lb.tags,
            vec![Tag {
                key: "team".into(),
                value: "web".into()
            }]
        );
    }
    let target_groups = region.target_groups.as_ref().expect("collected");
    assert_eq!(target_groups.len(), 3);
    for tg in target_groups {
        let targets = tg.target_health_descriptions.as_ref().expect("targets read");
        assert_eq!(targets[0].target.id, format!("i-{}", tg.target_group_name));
        assert_eq!((tg.port, targets[0].target.port), (Some(8080), Some(8080)));
    }
    let classic = region.classic_load_balancers.as_ref().expect("collected");
    assert_eq!(classic.len(), 3);
    assert_eq!(classic[0].listener_descriptions[0].listener.instance_port, 8080);
    assert_eq!(region.vpc_peering_connections.as_ref().map(Vec::len), Some(3));
    let flow_logs = region.flow_logs.as_ref().expect("collected");
    assert_eq!(
        ids(flow_logs.iter().map(|f| f.flow_log_id.clone()).collect()),
        "fl-1 fl-2 fl-3"
    );
    let first = &flow_logs[0];
    assert_eq!(first.resource_id, "vpc-1");
    assert_eq!(
        (first.traffic_type.as_deref(), first.log_destination_type.as_deref()),
        (Some("ALL"), Some("s3"))
    );
    assert_eq!(
        first.log_destination.as_deref(),
        Some("arn:aws:s3:::org-flow-logs/vpc/")
    );
    assert_eq!(first.max_aggregation_interval, Some(600));
    assert_eq!(
        first.destination_options,
        Some(FlowLogDestinationOptions {
            file_format: Some("plain-text".into()),
            hive_compatible_partitions: false,
            per_hour_partition: true,
        })
    );
    assert!(first.is_active());
    assert_eq!(region.db_instances.len(), 3);
    assert_eq!(region.db_clusters.len(), 3);
    assert_eq!(region.instance_information_list.len(), 3);
}

#[tokio::test]
async fn a_failing_service_is_a_gap_and_failing_groups_fail_the_region() {
    use aws_sdk_ec2::Client as C;
    let shared = shared();
    let ssm_500 = vec![
        mock!(aws_sdk_ssm::Client::describe_instance_information).then_http_response(|| {
            aws_sdk_ssm::config::http::HttpResponse::new(
                500.try_into().unwrap(),
                aws_smithy_types::body::SdkBody::from("<html>Internal Server Error</html>"),
            )
        }),
    ];
    let region = collect_region(
        &shared,
        &clients(ec2_rules(), elb_rules(), rds_rules(), ssm_500),
        "eu-west-1".into(),
    )
    .await;
    assert_eq!(region.status, CollectionStatus::Ok);
    assert_eq!(region.gaps.len(), 1);
    assert_eq!(
        (region.gaps[0].service.code(), region.gaps[0].operation.as_str()),
        ("ssm", "DescribeInstanceInformation")
    );
    assert!(region.gaps[0].error.contains("HTTP 500"), "{}", region.gaps[0].error);
    assert_eq!(
        region.security_groups.len(),
        3,
        "the rest of the region is still collected"
    );

    // Flow logs that cannot be read are not collected (None), not "none".
    let mut ec2 = ec2_rules();
    ec2.insert(
        0,
        mock!(C::describe_flow_logs).then_error(|| {
            aws_sdk_ec2::operation::describe_flow_logs::DescribeFlowLogsError::unhandled("UnauthorizedOperation")
        }),
    );
    let region = collect_region(
        &shared,
        &clients(ec2, elb_rules(), rds_rules(), ssm_rules()),
        "eu-west-1".into(),
    )
    .await;
    assert_eq!(region.status, CollectionStatus::Ok);
    assert_eq!(
        region
            .gaps
            .iter()
            .map(|g| (g.service.code(), g.operation.as_str()))
            .collect::<Vec<_>>(),
        [("ec2", "DescribeFlowLogs")]
    );
    assert_eq!(region.flow_logs, None);

    let mut ec2 = ec2_rules();
    ec2.insert(
        0,
        mock!(C::describe_security_groups).then_error(|| {
            aws_sdk_ec2::operation::describe_security_groups::DescribeSecurityGroupsError::unhandled(
                "UnauthorizedOperation",
            )
        }),
    );
    let region = collect_region(
        &shared,
        &clients(ec2, elb_rules(), rds_rules(), ssm_rules()),
        "eu-west-1".into(),
    )
    .await;
    match &region.status {
        CollectionStatus::Failed { reason } => assert!(reason.starts_with("ec2:DescribeSecurityGroups: "), "{reason}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn the_organization_is_walked_page_by_page_with_ou_paths() {
    use aws_sdk_organizations::operation as op;
    use aws_sdk_organizations::types::*;
    use aws_sdk_organizations::Client as C;
    let rules = vec![
        mock!(C::describe_organization).then_output(|| {
            op::describe_organization::DescribeOrganizationOutput::builder()
                .organization(
                    Organization::builder()
                        .id("o-test")
                        .master_account_id("111111111111")
                        .build(),
                )
                .build()
        }),
        mock!(C::list_roots).then_output(|| {
            op::list_roots::ListRootsOutput::builder()
                .roots(Root::builder().id("r-root").name("Root").build())
                .build()
        }),
        mock!(C::list_accounts_for_parent).then_compute_output(|r| {
            let parent = r.parent_id().unwrap_or_default().to_string();
            let (n, next) = page(r.next_token());
            let id = match parent.as_str() {
                "r-root" => format!("10000000000{n}"),
                "ou-prod" => format!("20000000000{n}"),
                _ => format!("30000000000{n}"),
            };
            let status = if id == "300000000003" {
                AccountStatus::Suspended
            } else {
                AccountStatus::Active
            };
            op::list_accounts_for_parent::ListAccountsForParentOutput::builder()
                .accounts(
                    Account::builder()
                        .id(id)
                        .name(format!("{parent}-{n}"))
                        .status(status)
                        .build(),
                )
                .set_next_token(next)
                .build()
        }),
        mock!(C::list_organizational_units_for_parent).then_compute_output(|r| {
            let out = op::list_organizational_units_for_parent::ListOrganizationalUnitsForParentOutput::builder();
            match (r.parent_id(), r.next_token()) {
                (Some("r-root"), None) => out
                    .organizational_units(OrganizationalUnit::builder().id("ou-prod").name("Prod").build())
                    .next_token("more")
                    .build(),
                (Some("r-root"), Some(_)) => out
                    .organizational_units(OrganizationalUnit::builder().id("ou-dev").name("Dev").build())
                    .build(),
                _ => out.build(),
            }
        }),
    ];
    let organizations = client!(aws_sdk_organizations, &rules);
    let mut shared = shared();
    shared.settings.exclude_accounts = vec![AccountId::parse("100000000002").unwrap()];
    let (org, found) = targets(&shared, &organizations).await.unwrap();
    assert_eq!(org.unwrap().id, "o-test");
    let summary: Vec<String> = found
        .iter()
        .map(|t| {
            let path: Vec<&str> = t.ou_path.iter().map(|o| o.name.as_str()).collect();
            format!(
                "{} {} {}",
                t.account_id,
                path.join("/"),
                t.skip.as_deref().unwrap_or("collect")
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            "100000000001 Root collect",
            "100000000002 Root excluded by the configuration (exclude_accounts)",
            "100000000003 Root collect",
            "200000000001 Root/Prod collect",
            "200000000002 Root/Prod collect",
            "200000000003 Root/Prod collect",
            "300000000001 Root/Dev collect",
            "300000000002 Root/Dev collect",
            "300000000003 Root/Dev the account is SUSPENDED in AWS Organizations",
        ]
    );

    // Only the accounts under an OU.
    shared.settings.ous = vec!["ou-dev".into()];
    let (_, found) = targets(&shared, &organizations).await.unwrap();
    assert_eq!(found.len(), 3);
}

#[test]
fn shards_split_the_accounts_by_their_id_alone() {
    use super::shard_of;
    let ids: Vec<AccountId> = (0..3000u64)
        .map(|i| AccountId::parse(&format!("{:012}", 100_000_000_000 + i * 7919)).unwrap())
        .collect();
    let mut sizes = [0usize; 3];
    for id in &ids {
        let s = shard_of(id, 3);
        assert!((1..=3).contains(&s));
        sizes[(s - 1) as usize] += 1;
        // The same id is in the same shard whatever else is in the organization.
        assert_eq!(shard_of(id, 3), s);
    }
    // About a third each.
    for n in sizes {
        assert!((850..1150).contains(&n), "{sizes:?}");
    }
    assert_eq!(shard_of(&ids[0], 1), 1);
}
