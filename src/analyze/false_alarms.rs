//! The false alarms of docs/false-alarms.md (the precision ledger), one test each.
//! Every test runs the whole assessment, so no check can make the alarm.

use super::testing::{describe, TestOrg};
use crate::model::Tag;

fn cfn(fx: &mut TestOrg, sg: &str) {
    fx.tag_sg(
        sg,
        Tag {
            key: "aws:cloudformation:stack-name".into(),
            value: "app".into(),
        },
    );
}

/// Findings of the whole assessment that concern `subject` (a group, ACL or instance id).
fn findings_about(fx: &TestOrg, subject: &str) -> Vec<String> {
    fx.assess()
        .findings
        .iter()
        .map(describe)
        .filter(|d| d.split_whitespace().nth(1) == Some(&format!("{subject}:")))
        .collect()
}

#[test]
fn groups_in_use_are_not_unused() {
    let mut fx = TestOrg::new();
    for (sg, how) in [
        ("sg-ref", "referenced by another group's rule"),
        ("sg-lambda", "Lambda ENI"),
        ("sg-ecs", "ECS task ENI"),
        ("sg-build", "CodeBuild ENI"),
        ("sg-vpce", "VPC endpoint ENI"),
        ("sg-lb", "load balancer"),
        ("sg-rds", "RDS instance with no ENI in the snapshot"),
        ("sg-stopped", "stopped instance"),
    ] {
        fx.sg(sg, &[]);
        fx.tag_sg(
            sg,
            Tag {
                key: "purpose".into(),
                value: how.into(),
            },
        );
    }
    fx.sg("sg-caller", &["tcp 5432 sg-ref desc=app"]);
    fx.instance("i-caller", "subnet-private", &["sg-caller"], None);
    fx.interface("eni-l", "lambda", "subnet-private", &["sg-lambda"]);
    fx.interface("eni-t", "interface", "subnet-private", &["sg-ecs"]);
    fx.interface("eni-b", "interface", "subnet-private", &["sg-build"]);
    fx.interface("eni-e", "vpc_endpoint", "subnet-private", &["sg-vpce"]);
    fx.load_balancer("lb", false, &["sg-lb"], &[443]);
    fx.rds("db", false, 5432, &["sg-rds"]);
    fx.instance("i-stopped", "subnet-private", &["sg-stopped"], None);
    fx.stop("i-stopped");
    let unused: Vec<String> = fx
        .assess()
        .findings
        .iter()
        .filter(|f| f.check_id() == "SGA901")
        .map(describe)
        .collect();
    assert_eq!(unused, Vec::<String>::new());
}

#[test]
fn a_load_balancer_open_on_its_listener_ports_is_not_an_alarm() {
    let mut fx = TestOrg::critical();
    fx.sg(
        "sg-alb",
        &[
            "tcp 80 0.0.0.0/0 desc=http",
            "tcp 443 0.0.0.0/0 desc=https",
            "tcp 443 ::/0 desc=https",
        ],
    );
    cfn(&mut fx, "sg-alb");
    fx.tag_sg(
        "sg-alb",
        Tag {
            key: "criticality".into(),
            value: "critical".into(),
        },
    );
    fx.load_balancer("shop", true, &["sg-alb"], &[80, 443]);
    assert_eq!(findings_about(&fx, "sg-alb"), Vec::<String>::new());
}

#[test]
fn a_subnet_takes_the_main_route_table_of_its_own_vpc() {
    // vpc-main's main table routes to the internet; vpc-iso has none in the
    // snapshot. Reading "some VPC's main table" would make i-iso public.
    let mut fx = TestOrg::new();
    fx.isolated_vpc("vpc-iso", "172.31.0.0/16", "subnet-iso");
    fx.sg("sg-iso", &["tcp 22 0.0.0.0/0"]);
    fx.instance("i-iso", "subnet-iso", &["sg-iso"], Some("198.51.100.9"));
    let found = findings_about(&fx, "sg-iso");
    assert!(
        found
            .iter()
            .any(|f| f.starts_with("high sg-iso: tcp 22 from 0.0.0.0/0 opens admin port")),
        "{found:#?}"
    );
    // and the reverse: a subnet without its own table in vpc-main is public.
    let mut fx = TestOrg::new();
    fx.sg("sg-pub", &["tcp 22 0.0.0.0/0"]);
    fx.instance("i-pub", "subnet-public", &["sg-pub"], Some("198.51.100.10"));
    let found = findings_about(&fx, "sg-pub");
    assert!(
        found.iter().any(|f| f.starts_with("critical sg-pub: tcp 22")),
        "{found:#?}"
    );
}

#[test]
fn udp_is_not_tcp_and_ranges_are_not_their_ends() {
    let mut fx = TestOrg::new();
    fx.config.ports.admin = vec!["3389/udp".parse().unwrap(), "22/tcp".parse().unwrap()];
    fx.sg(
        "sg-proto",
        &[
            "udp 22 0.0.0.0/0",
            "tcp 3389 0.0.0.0/0",
            "tcp 0-21 0.0.0.0/0",
            "tcp 23-100 0.0.0.0/0",
        ],
    );
    let admin = fx.run("SGA101");
    assert!(admin.is_empty(), "{admin:#?}");
    // A range is matched by every port in it, not by its ends.
    let mut fx = TestOrg::new();
    fx.sg("sg-range", &["tcp 20-25 0.0.0.0/0"]);
    assert_eq!(fx.run("SGA101").len(), 1);
}

#[test]
fn a_self_reference_is_not_open_to_the_world() {
    let mut fx = TestOrg::critical();
    fx.sg("sg-cluster", &["all - sg-cluster", "tcp 443 sg-alb desc=from alb"]);
    fx.sg("sg-alb", &[]);
    cfn(&mut fx, "sg-cluster");
    fx.instance("i-node", "subnet-private", &["sg-cluster"], None);
    fx.tag_instance("i-node", "criticality", "critical");
    assert_eq!(findings_about(&fx, "sg-cluster"), Vec::<String>::new());
}

#[test]
fn a_public_range_narrower_than_zero_is_not_the_internet() {
    let mut fx = TestOrg::new();
    fx.sg(
        "sg-cdn",
        &["tcp 443 52.84.0.0/20 desc=cdn", "tcp 22 52.84.0.0/20 desc=cdn"],
    );
    cfn(&mut fx, "sg-cdn");
    fx.instance("i-origin", "subnet-public", &["sg-cdn"], Some("198.51.100.11"));
    let found = findings_about(&fx, "sg-cdn");
    assert_eq!(
        found,
        [
            "medium sg-cdn: tcp 22 from 52.84.0.0/20, a public range of 4,096 addresses, to an admin or high-risk port []",
            "low sg-cdn: tcp 443 from 52.84.0.0/20, a public range of 4,096 addresses []"
        ]
    );
}

#[test]
fn rules_whose_sources_together_cover_everything_are_anywhere() {
    // The false negative beside the false alarms: 0.0.0.0/1 + 128.0.0.0/1 is
    // the whole internet, and ssh from it on a public instance is critical.
    let mut fx = TestOrg::new();
    fx.sg("sg-split", &["tcp 22 0.0.0.0/1", "tcp 22 128.0.0.0/1"]);
    fx.instance("i-1", "subnet-public", &["sg-split"], Some("198.51.100.12"));
    let found = fx.run("SGA101");
    assert_eq!(found.len(), 2, "{found:#?}");
    assert!(
        found.iter().all(|f| f.starts_with("critical sg-split: tcp 22 from ")
            && f.contains("anywhere: 0.0.0.0/1 + 128.0.0.0/1 together cover every IPv4 internet address")),
        "{found:#?}"
    );
}

#[test]
fn a_group_merely_without_an_iac_tag_is_not_a_medium_risk() {
    // The textbook tiers, made by hand (no IaC tag): a governance signal, not
    // a network risk. A console's marker is the medium finding.
    let mut fx = TestOrg::new();
    fx.sg(
        "sg-alb",
        &["tcp 443 0.0.0.0/0 desc=https", "tcp 80 0.0.0.0/0 desc=http"],
    );
    fx.load_balancer("shop", true, &["sg-alb"], &[80, 443]);
    fx.sg("sg-web", &["tcp 443 sg-alb desc=from the alb"]);
    fx.instance("i-web", "subnet-private", &["sg-web"], None);
    fx.target_group("shop", "shop-web", "HTTPS", 443, &["i-web"]);
    fx.sg("sg-db", &["tcp 3306 sg-web desc=from the web tier"]);
    fx.rds("orders", false, 3306, &["sg-db"]);
    fx.sg(
        "sg-cache",
        &[
            "tcp 6379 sg-cache desc=cluster",
            "tcp 6379 sg-web desc=from the web tier",
        ],
    );
    fx.interface("eni-cache", "interface", "subnet-private", &["sg-cache"]);
    for g in ["sg-alb", "sg-web", "sg-db", "sg-cache"] {
        let medium: Vec<String> = findings_about(&fx, g)
            .into_iter()
            .filter(|f| f.starts_with("medium") || f.starts_with("high") || f.starts_with("critical"))
            .collect();
        assert_eq!(medium, Vec::<String>::new(), "{g}");
    }
    fx.sg("sg-wiz", &[]);
    fx.rename(
        "sg-wiz",
        "launch-wizard-4",
        "launch-wizard-4 created 2026-01-01T00:00:00Z",
    );
    fx.instance("i-wiz", "subnet-private", &["sg-wiz"], None);
    assert!(findings_about(&fx, "sg-wiz")[0]
        .starts_with("medium sg-wiz: launch-wizard-4 has no infrastructure-as-code tag and was made in a console"));
}

#[test]
fn icmp_for_path_mtu_discovery_from_anywhere_is_not_open_to_the_world() {
    let mut fx = TestOrg::new();
    fx.sg("sg-pmtu", &["icmp 3-4 0.0.0.0/0 desc=pmtu", "icmpv6 2 ::/0 desc=pmtu"]);
    cfn(&mut fx, "sg-pmtu");
    fx.instance("i-1", "subnet-private", &["sg-pmtu"], None);
    assert_eq!(findings_about(&fx, "sg-pmtu"), Vec::<String>::new());
    // Echo from anywhere is at most low.
    let mut fx = TestOrg::new();
    fx.sg("sg-ping", &["icmp 8 0.0.0.0/0 desc=ping"]);
    cfn(&mut fx, "sg-ping");
    fx.instance("i-1", "subnet-private", &["sg-ping"], None);
    let found = findings_about(&fx, "sg-ping");
    assert!(
        found.iter().all(|f| f.starts_with("low") || f.starts_with("info")),
        "{found:#?}"
    );
}

#[test]
fn all_traffic_from_the_alb_or_ssh_from_one_host_is_not_a_bypass() {
    let mut fx = TestOrg::new();
    fx.sg("sg-alb", &["tcp 443 0.0.0.0/0 desc=https"]);
    fx.load_balancer("shop", true, &["sg-alb"], &[443]);
    fx.sg(
        "sg-web",
        &[
            "all - sg-alb desc=from the alb",
            "tcp 22 203.0.113.7/32 desc=admin host",
        ],
    );
    cfn(&mut fx, "sg-web");
    fx.instance("i-web", "subnet-private", &["sg-web"], None);
    fx.target_group("shop", "shop-web", "HTTP", 8080, &["i-web"]);
    assert!(fx.run("SGA205").is_empty(), "{:#?}", fx.run("SGA205"));
}

#[test]
fn admin_denies_before_the_ephemeral_allow_are_the_recommended_acl() {
    let mut fx = TestOrg::new();
    fx.nacl(
        "acl-hardened",
        false,
        &[
            "10 deny tcp 22 0.0.0.0/0",
            "11 deny tcp 3389 0.0.0.0/0",
            "12 deny udp 3389 0.0.0.0/0",
            "13 deny tcp 5985-5986 0.0.0.0/0",
            "14 deny tcp 23 0.0.0.0/0",
            "15 deny tcp 5900 0.0.0.0/0",
            "100 allow tcp 443 0.0.0.0/0",
            "900 allow tcp 1024-65535 0.0.0.0/0",
        ],
        &["subnet-public", "subnet-private"],
    );
    assert!(
        findings_about(&fx, "acl-hardened").is_empty(),
        "{:#?}",
        findings_about(&fx, "acl-hardened")
    );
}

#[test]
fn the_default_acl_is_low_when_no_group_behind_it_opens_an_admin_port() {
    let mut fx = TestOrg::new();
    fx.sg("sg-web", &["tcp 443 0.0.0.0/0"]);
    fx.instance("i-web", "subnet-public", &["sg-web"], Some("198.51.100.13"));
    let found = findings_about(&fx, "acl-main");
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(
        found[0].starts_with("low acl-main: default network ACL allows admin ports"),
        "{found:#?}"
    );
    // ...and medium when one does: the ACL is then the only wall.
    fx.sg("sg-ssh", &["tcp 22 0.0.0.0/0"]);
    fx.instance("i-ssh", "subnet-public", &["sg-ssh"], Some("198.51.100.14"));
    let found = findings_about(&fx, "acl-main");
    assert!(
        found[0].starts_with("medium acl-main:") && found[0].contains("it is the only wall: sg-ssh tcp 22"),
        "{found:#?}"
    );
}

#[test]
fn a_vpc_endpoint_open_to_its_vpc_is_what_aws_documents() {
    let mut fx = TestOrg::critical();
    fx.sg("sg-vpce", &["tcp 443 10.0.0.0/16 desc=the vpc"]);
    cfn(&mut fx, "sg-vpce");
    fx.interface("eni-vpce", "vpc_endpoint", "subnet-private", &["sg-vpce"]);
    fx.config.critical.accounts = vec![crate::model::AccountId::parse(super::testing::ACCOUNT).unwrap()];
    assert_eq!(findings_about(&fx, "sg-vpce"), Vec::<String>::new());
}

#[test]
fn missing_listener_data_is_unknown_ports_never_no_ports() {
    let mut fx = TestOrg::critical();
    fx.sg("sg-lb", &["tcp 8443 0.0.0.0/0 desc=api"]);
    cfn(&mut fx, "sg-lb");
    fx.tag_sg(
        "sg-lb",
        Tag {
            key: "criticality".into(),
            value: "critical".into(),
        },
    );
    fx.load_balancer("api", true, &["sg-lb"], &[]);
    fx.gap(crate::model::Service::Elbv2, "DescribeListeners");
    let found = findings_about(&fx, "sg-lb");
    assert!(
        found
            .iter()
            .all(|f| !f.contains("opens no port") && !f.contains("unauthorized")),
        "{found:#?}"
    );
    let a = fx.assess();
    let q5 = &a.accounts[0].questions[4];
    assert!(q5.reason.contains("could not be judged"), "{}", q5.reason);
}
