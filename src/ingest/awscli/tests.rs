//! Hand-written exports, in the shapes clients actually send.

use std::path::Path;

use super::*;

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

const GROUPS: &str = r#"{"SecurityGroups": [
  {"GroupId": "sg-0a", "GroupName": "web", "Description": "web tier", "OwnerId": "111111111111", "VpcId": "vpc-1",
   "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
                      "Ipv6Ranges": [], "PrefixListIds": [], "UserIdGroupPairs": []}],
   "IpPermissionsEgress": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
   "SecurityGroupArn": "arn:aws:ec2:eu-west-1:111111111111:security-group/sg-0a"}
]}"#;

fn options() -> ImportOptions {
    ImportOptions {
        exported_at: Some(time::macros::datetime!(2026-11-30 09:00 UTC)),
        ..Default::default()
    }
}

fn region<'a>(s: &'a Snapshot, account: &str, name: &str) -> &'a RegionSnapshot {
    s.accounts
        .iter()
        .find(|a| a.account_id.as_str() == account)
        .unwrap()
        .regions
        .iter()
        .find(|r| r.region.as_str() == name)
        .unwrap()
}

fn gap<'a>(r: &'a RegionSnapshot, operation: &str) -> &'a str {
    &r.gap(operation)
        .unwrap_or_else(|| panic!("no gap for {operation}: {:?}", r.gaps))
        .error
}

#[test]
fn a_region_with_only_some_files_has_the_rest_as_gaps_never_as_none() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "111111111111/eu-west-1/ec2-describe-security-groups.json",
        GROUPS,
    );
    write(
        dir.path(),
        "111111111111/eu-west-1/ec2-describe-vpcs.json",
        r#"{"Vpcs": [{"VpcId": "vpc-1", "CidrBlock": "10.0.0.0/16", "IsDefault": false}]}"#,
    );
    write(
        dir.path(),
        "111111111111/eu-west-1/ec2-describe-route-tables.json",
        "{}",
    );
    let s = import(dir.path(), &options()).unwrap();
    let r = region(&s, "111111111111", "eu-west-1");
    assert!(r.status.is_ok());
    assert_eq!(r.security_groups.len(), 1);
    assert_eq!(r.vpcs.len(), 1);
    assert!(r.route_tables.is_empty());
    assert!(r.gap("DescribeRouteTables").is_none(), "{{}} is an empty answer");
    assert_eq!(
        gap(r, "DescribeNetworkInterfaces"),
        "not in the export (ec2-describe-network-interfaces.json)"
    );
    assert_eq!(
        gap(r, "DescribeFlowLogs"),
        "not in the export (ec2-describe-flow-logs.json)"
    );
    assert_eq!(r.flow_logs, None, "not collected, not none");
    assert_eq!(r.target_groups, None);
    assert!(r.has_gap(Service::Ssm) && r.has_gap(Service::Rds) && r.has_gap(Service::Elbv2));
}

#[test]
fn the_snapshot_says_it_was_imported_from_which_files() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "111111111111/eu-west-1/ec2-describe-security-groups.json",
        GROUPS,
    );
    write(
        dir.path(),
        "111111111111/export-info.json",
        r#"{"exported_at": "2026-11-29T08:00:00Z", "finished_at": "2026-11-29T08:03:10Z"}"#,
    );
    let s = import(dir.path(), &ImportOptions::default()).unwrap();
    let imported = s.imported.as_ref().unwrap();
    assert_eq!(imported.taken_at_from, "export-info.json");
    assert_eq!(s.started_at, time::macros::datetime!(2026-11-29 08:00 UTC));
    assert_eq!(s.finished_at, Some(time::macros::datetime!(2026-11-29 08:03:10 UTC)));
    let paths: Vec<&str> = imported.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "111111111111/eu-west-1/ec2-describe-security-groups.json",
            "111111111111/export-info.json"
        ]
    );
    assert_eq!(imported.files[0].sha256, crate::digest::sha256_tag(GROUPS.as_bytes()));
    assert_eq!(imported.files[0].bytes, GROUPS.len() as u64);
}

#[test]
fn paginated_and_unpaginated_shapes_read_alike() {
    let dir = tempfile::tempdir().unwrap();
    let merged = r#"{"Reservations": [{"Instances": [{"InstanceId": "i-1", "State": {"Code": 16, "Name": "running"}}]},
                                       {"Instances": [{"InstanceId": "i-2", "State": {"Code": 16, "Name": "running"}}]}]}"#;
    let pages = "{\"Reservations\": [{\"Instances\": [{\"InstanceId\": \"i-2\", \"State\": {\"Name\": \"running\"}}]}], \"NextToken\": \"abc\"}\n\
                 {\"Reservations\": [{\"Instances\": [{\"InstanceId\": \"i-1\", \"State\": {\"Name\": \"running\"}}]}]}\n";
    for (account, text) in [("111111111111", merged), ("222222222222", pages)] {
        write(
            dir.path(),
            &format!("{account}/eu-west-1/ec2-describe-security-groups.json"),
            &GROUPS.replace("111111111111", account),
        );
        write(
            dir.path(),
            &format!("{account}/eu-west-1/ec2-describe-instances.json"),
            text,
        );
    }
    let s = import(dir.path(), &options()).unwrap();
    let ids = |a: &str| -> Vec<String> {
        region(&s, a, "eu-west-1")
            .instances
            .iter()
            .map(|i| i.instance_id.to_string())
            .collect()
    };
    assert_eq!(ids("111111111111"), ["i-1", "i-2"]);
    assert_eq!(ids("222222222222"), ids("111111111111"));
}

#[test]
fn an_export_that_stopped_at_a_next_token_is_a_gap_not_a_shorter_list() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "111111111111/eu-west-1/ec2-describe-security-groups.json",
        GROUPS,
    );
    write(
        dir.path(),
        "111111111111/eu-west-1/ec2-describe-network-interfaces.json",
        r#"{"NetworkInterfaces": [{"NetworkInterfaceId": "eni-1"}], "NextToken": "more"}"#,
    );
    let s = import(dir.path(), &options()).unwrap();
    let r = region(&s, "111111111111", "eu-west-1");
    assert!(r.network_interfaces.is_empty());
    assert!(gap(r, "DescribeNetworkInterfaces").starts_with("incomplete in the export"));
}

#[test]
fn a_failure_the_export_recorded_is_the_gaps_reason() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "111111111111/eu-west-1/ec2-describe-security-groups.json",
        GROUPS,
    );
    write(
        dir.path(),
        "111111111111/eu-west-1/ssm-describe-instance-information.error",
        "\nAn error occurred (AccessDeniedException) when calling the DescribeInstanceInformation operation: denied\n",
    );
    let s = import(dir.path(), &options()).unwrap();
    let r = region(&s, "111111111111", "eu-west-1");
    assert_eq!(
        gap(r, "DescribeInstanceInformation"),
        "the export could not read it (ssm-describe-instance-information.error: An error occurred \
         (AccessDeniedException) when calling the DescribeInstanceInformation operation: denied)"
    );
}

#[test]
fn a_region_without_security_groups_and_a_listed_region_without_a_folder_are_not_assessed() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "111111111111/eu-west-1/ec2-describe-security-groups.json",
        GROUPS,
    );
    write(
        dir.path(),
        "111111111111/us-east-1/ec2-describe-vpcs.json",
        r#"{"Vpcs": []}"#,
    );
    write(
        dir.path(),
        "111111111111/describe-regions.json",
        r#"{"Regions": [{"RegionName": "eu-west-1"}, {"RegionName": "us-east-1"}, {"RegionName": "ap-south-1", "OptInStatus": "opt-in-not-required"}]}"#,
    );
    let s = import(dir.path(), &options()).unwrap();
    assert_eq!(
        region(&s, "111111111111", "us-east-1").status.reason(),
        Some("ec2:DescribeSecurityGroups: not in the export (ec2-describe-security-groups.json)")
    );
    assert_eq!(
        region(&s, "111111111111", "ap-south-1").status.reason(),
        Some("not in the export: describe-regions.json lists ap-south-1, but there is no ap-south-1/ folder")
    );
}

#[test]
fn a_cloudmapper_folder_named_after_the_account_takes_its_id_from_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("account-data");
    write(&root, "prod/eu-west-1/ec2-describe-security-groups.json", GROUPS);
    write(
        &root,
        "prod/describe-regions.json",
        r#"{"Regions": [{"RegionName": "eu-west-1"}]}"#,
    );
    let s = import(&root, &options()).unwrap();
    assert_eq!(s.accounts.len(), 1);
    assert_eq!(s.accounts[0].account_id.as_str(), "111111111111");
    assert_eq!(s.accounts[0].name.as_deref(), Some("prod"));
}

#[test]
fn a_single_account_folder_takes_its_id_from_the_flag_when_the_data_is_silent() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "eu-west-1/ec2-describe-security-groups.json",
        r#"{"SecurityGroups": []}"#,
    );
    let e = import(dir.path(), &options()).unwrap_err().to_string();
    assert!(e.contains("which account is this?"), "{e}");
    let s = import(
        dir.path(),
        &ImportOptions {
            account_id: Some(AccountId::parse("333333333333").unwrap()),
            ..options()
        },
    )
    .unwrap();
    assert_eq!(s.accounts[0].account_id.as_str(), "333333333333");
}

#[test]
fn a_folder_named_for_one_account_holding_anothers_groups_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "222222222222/eu-west-1/ec2-describe-security-groups.json",
        GROUPS,
    );
    let e = import(dir.path(), &options()).unwrap_err().to_string();
    assert!(
        e.contains("the folder's name says account 222222222222, but the security groups' OwnerId says 111111111111"),
        "{e}"
    );
}

#[test]
fn a_truncated_file_is_an_error_naming_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let cut = &GROUPS[..GROUPS.len() / 2];
    write(
        dir.path(),
        "111111111111/eu-west-1/ec2-describe-security-groups.json",
        cut,
    );
    let e = import(dir.path(), &options()).unwrap_err().to_string();
    let file = dir
        .path()
        .join("111111111111/eu-west-1/ec2-describe-security-groups.json");
    assert!(e.starts_with(&format!("{}:", file.display())), "{e}");
    assert!(e.contains("EOF while parsing"), "{e}");
}

#[test]
fn a_folder_with_no_region_folders_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "notes/readme.txt", "hello");
    write(dir.path(), "ec2-describe-security-groups.json", GROUPS);
    let e = import(dir.path(), &options()).unwrap_err().to_string();
    assert!(
        e.contains("no region folders: expected <region>/<service>-<operation>.json"),
        "{e}"
    );
    let e = import(&dir.path().join("missing"), &options()).unwrap_err().to_string();
    assert!(e.contains("not a folder"), "{e}");
}

#[test]
fn listeners_tags_and_targets_are_read_per_resource_as_cloudmapper_names_them() {
    let dir = tempfile::tempdir().unwrap();
    let r = "111111111111/eu-west-1";
    let lb = "arn:aws:elasticloadbalancing:eu-west-1:111111111111:loadbalancer/app/web/0123";
    let tg = "arn:aws:elasticloadbalancing:eu-west-1:111111111111:targetgroup/web/4567";
    let enc = |s: &str| s.replace(':', "%3A").replace('/', "%2F");
    write(dir.path(), &format!("{r}/ec2-describe-security-groups.json"), GROUPS);
    write(
        dir.path(),
        &format!("{r}/elbv2-describe-load-balancers.json"),
        &format!(
            r#"{{"LoadBalancers": [{{"LoadBalancerArn": "{lb}", "LoadBalancerName": "web", "Scheme": "internet-facing", "Type": "application", "SecurityGroups": ["sg-0a"], "State": {{"Code": "active"}}}}]}}"#
        ),
    );
    write(
        dir.path(),
        &format!("{r}/elbv2-describe-listeners/{}", enc(lb)),
        &format!(
            r#"{{"Listeners": [{{"ListenerArn": "{lb}/l1", "LoadBalancerArn": "{lb}", "Port": 443, "Protocol": "HTTPS"}}, {{"LoadBalancerArn": "{lb}", "Port": 80, "Protocol": "HTTP"}}]}}"#
        ),
    );
    write(
        dir.path(),
        &format!("{r}/elbv2-describe-tags.json"),
        &format!(r#"{{"TagDescriptions": [{{"ResourceArn": "{lb}", "Tags": [{{"Key": "team", "Value": "web"}}]}}]}}"#),
    );
    write(
        dir.path(),
        &format!("{r}/elbv2-describe-target-groups.json"),
        &format!(
            r#"{{"TargetGroups": [{{"TargetGroupArn": "{tg}", "TargetGroupName": "web", "Protocol": "HTTP", "Port": 8080, "LoadBalancerArns": ["{lb}"], "TargetType": "instance"}}]}}"#
        ),
    );
    write(
        dir.path(),
        &format!("{r}/elbv2-describe-target-health/{}", enc(tg)),
        r#"{"TargetHealthDescriptions": [{"Target": {"Id": "i-1", "Port": 8080}, "HealthCheckPort": "8080", "TargetHealth": {"State": "healthy"}}]}"#,
    );
    let s = import(dir.path(), &options()).unwrap();
    let region = region(&s, "111111111111", "eu-west-1");
    let lb0 = &region.load_balancers[0];
    assert_eq!(
        lb0.listeners.iter().map(|l| l.port).collect::<Vec<_>>(),
        [80, 443],
        "sorted, as collect sorts them"
    );
    assert_eq!(tag(&lb0.tags, "team"), Some("web"));
    let targets = region.target_groups.as_ref().unwrap()[0]
        .target_health_descriptions
        .as_ref()
        .unwrap();
    assert_eq!(targets[0].target.id, "i-1");
    assert!(region.gap("DescribeListeners").is_none() && region.gap("DescribeTargetHealth").is_none());
}

#[test]
fn a_load_balancer_without_its_listeners_file_is_a_gap_of_that_load_balancer() {
    let dir = tempfile::tempdir().unwrap();
    let r = "111111111111/eu-west-1";
    write(dir.path(), &format!("{r}/ec2-describe-security-groups.json"), GROUPS);
    write(
        dir.path(),
        &format!("{r}/elbv2-describe-load-balancers.json"),
        r#"{"LoadBalancers": [{"LoadBalancerArn": "arn:lb/1", "LoadBalancerName": "a", "Scheme": "internal", "Type": "network"}]}"#,
    );
    let s = import(dir.path(), &options()).unwrap();
    let region = region(&s, "111111111111", "eu-west-1");
    assert_eq!(
        gap(region, "DescribeListeners"),
        "arn:lb/1: not in the export (elbv2-describe-listeners.json)"
    );
    assert_eq!(
        gap(region, "DescribeTags"),
        "not in the export (elbv2-describe-tags.json)"
    );
}

#[test]
fn region_names_are_recognised() {
    for ok in ["eu-west-1", "us-gov-west-1", "ap-southeast-5", "il-central-1"] {
        assert!(is_region_name(ok), "{ok}");
    }
    for not in [
        "notes",
        "eu-west",
        "111111111111",
        "EU-WEST-1",
        "elbv2-describe-listeners",
    ] {
        assert!(!is_region_name(not), "{not}");
    }
}
