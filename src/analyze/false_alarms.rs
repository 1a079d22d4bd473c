//! DESIGN.md's "false alarms the peers' users complain about", one test each.
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
