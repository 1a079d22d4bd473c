//! Reachability, case by case, in the words of docs/exposure.md.

use crate::analyze::testing::{reach_of, TestOrg};
use crate::model::Service;

/// `verdict: the path` (or what stopped it, or what is missing).
fn said(fx: &TestOrg, group: &str) -> String {
    match reach_of(fx, group) {
        Some(r) => format!("{} | {}", r.summary(), r.hops().collect::<Vec<_>>().join(" -> ")),
        None => "not from the internet".into(),
    }
}

fn public_ssh() -> TestOrg {
    let mut fx = TestOrg::new();
    fx.sg("sg-ssh", &["tcp 22 0.0.0.0/0"]);
    fx.instance("i-1", "subnet-public", &["sg-ssh"], Some("54.12.3.4"));
    fx
}

#[test]
fn a_public_instance_with_ssh_from_anywhere_is_reachable_and_the_path_names_every_hop() {
    assert_eq!(
        said(&public_ssh(), "sg-ssh"),
        "reachable (IPv4, direct) | internet -> igw-main -> rtb-main 0.0.0.0/0 -> igw-main -> \
         acl-main #100 allow all from 0.0.0.0/0 -> acl-main outbound #100 allow all to 0.0.0.0/0 -> \
         sg-ssh tcp 22 from 0.0.0.0/0 -> i-1 (eni-1) 54.12.3.4"
    );
}

#[test]
fn public_instance_ssh_from_anywhere_acl_denies_22_at_50_is_blocked_by_that_entry() {
    let mut fx = public_ssh();
    fx.nacl(
        "acl-edge",
        false,
        &["50 deny tcp 22 0.0.0.0/0", "100 allow all - 0.0.0.0/0"],
        &["subnet-public"],
    );
    assert!(
        said(&fx, "sg-ssh").starts_with("blocked: acl-edge #50 deny tcp 22 from 0.0.0.0/0 |"),
        "{}",
        said(&fx, "sg-ssh")
    );
}

#[test]
fn a_deny_after_the_allow_does_not_block() {
    let mut fx = public_ssh();
    fx.nacl(
        "acl-late",
        false,
        &["100 allow all - 0.0.0.0/0", "200 deny tcp 22 0.0.0.0/0"],
        &["subnet-public"],
    );
    assert!(said(&fx, "sg-ssh").starts_with("reachable"), "{}", said(&fx, "sg-ssh"));
}

#[test]
fn return_traffic_denied_outbound_blocks_a_stateless_acl() {
    let mut fx = public_ssh();
    fx.nacl(
        "acl-in-only",
        false,
        &["100 allow tcp 22 0.0.0.0/0", "out 100 allow tcp 443 0.0.0.0/0"],
        &["subnet-public"],
    );
    assert!(
        said(&fx, "sg-ssh").starts_with("blocked: return traffic denied by acl-in-only outbound * deny all"),
        "{}",
        said(&fx, "sg-ssh")
    );
    // Ephemeral ports allowed out: the conversation works.
    fx.nacl(
        "acl-stateless-done-right",
        false,
        &["100 allow tcp 22 0.0.0.0/0", "out 100 allow tcp 1024-65535 0.0.0.0/0"],
        &["subnet-public"],
    );
    assert!(said(&fx, "sg-ssh").starts_with("reachable"), "{}", said(&fx, "sg-ssh"));
}

#[test]
fn an_acl_that_admits_only_an_office_range_lets_only_that_range_in() {
    let mut fx = public_ssh();
    fx.nacl(
        "acl-office",
        false,
        &["100 allow tcp 22 198.51.100.0/24"],
        &["subnet-public"],
    );
    let s = said(&fx, "sg-ssh");
    assert!(s.starts_with("reachable"), "{s}");
    assert!(s.contains("acl-office #100 allow tcp 22 from 198.51.100.0/24"), "{s}");
}

#[test]
fn an_ipv6_only_rule_on_an_ipv4_only_instance_is_blocked_no_ipv6_address() {
    let mut fx = TestOrg::new();
    fx.sg("sg-v6", &["tcp 443 ::/0"]);
    fx.instance("i-1", "subnet-public", &["sg-v6"], Some("54.12.3.5"));
    assert_eq!(said(&fx, "sg-v6"), "blocked: no IPv6 address | i-1 (eni-1)");
    // With an IPv6 address it is reachable, over IPv6.
    fx.ipv6("i-1", "2001:db8:1::10");
    assert!(
        said(&fx, "sg-v6").starts_with("reachable (IPv6, direct)"),
        "{}",
        said(&fx, "sg-v6")
    );
}

#[test]
fn an_ipv6_default_route_to_an_egress_only_gateway_lets_nothing_in() {
    let mut fx = TestOrg::new();
    fx.sg("sg-v6", &["tcp 443 ::/0"]);
    fx.instance("i-1", "subnet-private", &["sg-v6"], None);
    fx.ipv6("i-1", "2001:db8:2::10");
    fx.default_route("rtb-private", Some("eigw-1"));
    assert!(
        said(&fx, "sg-v6").contains("an egress-only internet gateway lets no connection in"),
        "{}",
        said(&fx, "sg-v6")
    );
}

#[test]
fn a_public_ip_behind_a_nat_route_is_blocked_no_route_to_an_internet_gateway() {
    let mut fx = TestOrg::new();
    fx.sg("sg-a", &["tcp 22 0.0.0.0/0"]);
    fx.instance("i-1", "subnet-private", &["sg-a"], Some("54.12.3.6"));
    fx.default_route("rtb-private", Some("nat-1"));
    assert!(
        said(&fx, "sg-a").starts_with("blocked: no route to an internet gateway: rtb-private 0.0.0.0/0 -> nat-1"),
        "{}",
        said(&fx, "sg-a")
    );
}

#[test]
fn the_main_route_table_of_the_subnets_own_vpc_decides() {
    let mut fx = TestOrg::new();
    fx.isolated_vpc("vpc-iso", "172.31.0.0/16", "subnet-iso");
    fx.sg("sg-iso", &["tcp 22 0.0.0.0/0"]);
    fx.instance("i-iso", "subnet-iso", &["sg-iso"], Some("54.12.3.7"));
    assert!(
        said(&fx, "sg-iso").starts_with("blocked: no route to an internet gateway: rtb-vpc-iso has no route"),
        "{}",
        said(&fx, "sg-iso")
    );
}

#[test]
fn a_blackhole_route_drops_the_reply() {
    let mut fx = public_ssh();
    for r in &mut fx.region().route_tables[0].routes {
        if r.gateway_id.as_deref() == Some("igw-main") {
            r.state = Some("blackhole".into());
        }
    }
    assert!(
        said(&fx, "sg-ssh").starts_with("blocked: rtb-main 0.0.0.0/0 -> igw-main (blackhole)"),
        "{}",
        said(&fx, "sg-ssh")
    );
}

#[test]
fn route_tables_missing_make_it_unknown_never_internal() {
    let mut fx = public_ssh();
    fx.region().route_tables.clear();
    fx.gap(Service::Ec2, "DescribeRouteTables");
    let s = said(&fx, "sg-ssh");
    assert!(
        s.starts_with("unverified: route tables not collected (ec2 DescribeRouteTables: service unavailable)"),
        "{s}"
    );
    // But a known ACL that denies the port still blocks it.
    fx.nacl("acl-deny", false, &["50 deny tcp 22 0.0.0.0/0"], &["subnet-public"]);
    assert!(
        said(&fx, "sg-ssh").starts_with("blocked: acl-deny #50"),
        "{}",
        said(&fx, "sg-ssh")
    );
}

#[test]
fn network_acls_missing_make_it_unknown() {
    let mut fx = public_ssh();
    fx.region().network_acls.clear();
    fx.gap(Service::Ec2, "DescribeNetworkAcls");
    assert!(
        said(&fx, "sg-ssh").starts_with("unverified: network ACLs not collected"),
        "{}",
        said(&fx, "sg-ssh")
    );
}

#[test]
fn a_prefix_list_whose_entries_were_not_read_is_unknown() {
    let mut fx = TestOrg::new();
    fx.prefix_list("pl-vendor", &[]);
    fx.region().prefix_lists[0].entries = None;
    fx.sg("sg-pl", &["tcp 22 pl-vendor"]);
    fx.instance("i-1", "subnet-public", &["sg-pl"], Some("54.12.3.8"));
    assert!(
        said(&fx, "sg-pl").starts_with("unverified: the entries of prefix list pl-vendor were not read"),
        "{}",
        said(&fx, "sg-pl")
    );
}

#[test]
fn a_private_source_is_not_from_the_internet() {
    let mut fx = TestOrg::new();
    fx.sg("sg-app", &["tcp 8080 10.0.0.0/8"]);
    fx.instance("i-1", "subnet-public", &["sg-app"], Some("54.12.3.9"));
    assert_eq!(said(&fx, "sg-app"), "not from the internet");
}

#[test]
fn a_gwlb_endpoint_route_with_the_gateways_edge_route_back_is_reachable_via_inspection() {
    let mut fx = public_ssh();
    fx.default_route("rtb-main", Some("vpce-inspect"));
    // Without the edge route back through the endpoint, the path is asymmetric.
    assert!(
        said(&fx, "sg-ssh").starts_with("unverified: igw-main has no edge route to subnet-public"),
        "{}",
        said(&fx, "sg-ssh")
    );
    fx.edge_route("rtb-edge", "igw-main", "10.0.1.0/24", "vpce-inspect");
    let s = said(&fx, "sg-ssh");
    assert!(s.starts_with("reachable (IPv4, via inspection)"), "{s}");
    assert!(
        s.contains("igw-main -> edge rtb-edge 10.0.1.0/24 -> vpce-inspect -> rtb-main 0.0.0.0/0 -> vpce-inspect"),
        "{s}"
    );
}

#[test]
fn an_nlb_without_groups_in_front_of_a_private_instance_reaches_it_on_the_listener_port_only() {
    let mut fx = TestOrg::new();
    fx.sg("sg-app", &["tcp 8443 0.0.0.0/0", "tcp 9000 0.0.0.0/0"]);
    fx.instance("i-app", "subnet-private", &["sg-app"], None);
    fx.nlb("edge", true, &[], &[8443], &["i-app"]);
    let s = said(&fx, "sg-app");
    assert!(s.starts_with("reachable (IPv4, through a load balancer)"), "{s}");
    assert!(
        s.contains("network load balancer edge (TCP 8443) -> target group edge-8443 (tcp 8443)"),
        "{s}"
    );
    assert!(s.ends_with("sg-app tcp 8443 from 0.0.0.0/0 -> i-app (eni-app)"), "{s}");
    // Port 9000 is open in the group but nothing forwards to it: the rule
    // reaches nothing on its own.
    let a = fx.assess();
    let open_9000 = a
        .findings
        .iter()
        .filter(|f| f.summary.contains("tcp 9000"))
        .map(|f| f.reachability.as_ref().map(|r| r.verdict))
        .collect::<Vec<_>>();
    assert!(
        open_9000
            .iter()
            .all(|v| *v != Some(crate::analyze::reach::Verdict::Reachable)),
        "{open_9000:?}"
    );
}

#[test]
fn an_alb_reaches_its_targets_when_their_group_admits_the_albs_group_on_the_target_port() {
    let mut fx = TestOrg::new();
    fx.sg("sg-alb", &["tcp 443 0.0.0.0/0"]);
    fx.load_balancer("shop", true, &["sg-alb"], &[443]);
    fx.sg("sg-web", &["tcp 8080 sg-alb", "tcp 22 sg-alb"]);
    fx.instance("i-web", "subnet-private", &["sg-web"], None);
    fx.target_group("shop", "shop-web", "HTTP", 8080, &["i-web"]);
    let s = said(&fx, "sg-web");
    assert!(s.starts_with("reachable (IPv4, through a load balancer)"), "{s}");
    assert!(
        s.contains("sg-alb tcp 443 from 0.0.0.0/0 -> application load balancer shop (HTTPS 443)"),
        "{s}"
    );
    assert!(s.ends_with("sg-web tcp 8080 from sg-alb -> i-web (eni-web)"), "{s}");
}

#[test]
fn a_classic_elb_reaches_its_instances_on_their_instance_port() {
    let mut fx = TestOrg::new();
    fx.sg("sg-elb", &["tcp 80 0.0.0.0/0"]);
    fx.sg("sg-web", &["tcp 8080 sg-elb"]);
    fx.instance("i-web", "subnet-private", &["sg-web"], None);
    fx.classic_lb("legacy", true, &["sg-elb"], &[(80, 8080)], &["i-web"]);
    let s = said(&fx, "sg-web");
    assert!(s.starts_with("reachable (IPv4, through a load balancer)"), "{s}");
    assert!(s.contains("classic load balancer legacy (HTTP 80)"), "{s}");
}

#[test]
fn a_load_balancer_listens_on_its_listeners_only() {
    let mut fx = TestOrg::new();
    fx.sg("sg-alb", &["tcp 8080 0.0.0.0/0"]);
    fx.load_balancer("shop", true, &["sg-alb"], &[443]);
    assert!(
        said(&fx, "sg-alb").starts_with("blocked: it listens on 443/tcp only"),
        "{}",
        said(&fx, "sg-alb")
    );
    // An internal one has no public address at all.
    let mut fx = TestOrg::new();
    fx.sg("sg-int", &["tcp 443 0.0.0.0/0"]);
    fx.load_balancer("intranet", false, &["sg-int"], &[443]);
    assert!(
        said(&fx, "sg-int").starts_with("blocked: an internal load balancer has no public address"),
        "{}",
        said(&fx, "sg-int")
    );
}

#[test]
fn a_publicly_accessible_database_in_private_subnets_is_blocked() {
    let mut fx = TestOrg::new();
    fx.sg("sg-db", &["tcp 5432 0.0.0.0/0"]);
    fx.rds_in("orders", true, 5432, &["sg-db"], &["subnet-private"]);
    assert!(
        said(&fx, "sg-db").starts_with("blocked: no route to an internet gateway: rtb-private has no route"),
        "{}",
        said(&fx, "sg-db")
    );
    // In a public subnet, on its port, it is reachable.
    let mut fx = TestOrg::new();
    fx.sg("sg-db", &["tcp 5432 0.0.0.0/0"]);
    fx.rds_in("orders", true, 5432, &["sg-db"], &["subnet-private", "subnet-public"]);
    assert!(
        said(&fx, "sg-db").ends_with("sg-db tcp 5432 from 0.0.0.0/0 -> RDS instance orders"),
        "{}",
        said(&fx, "sg-db")
    );
}

#[test]
fn interfaces_not_collected_make_what_is_not_proven_reachable_unknown() {
    let mut fx = TestOrg::new();
    fx.sg("sg-lambda", &["tcp 443 0.0.0.0/0"]);
    fx.gap(Service::Ec2, "DescribeNetworkInterfaces");
    let a = fx.assess();
    let f = a
        .findings
        .iter()
        .find(|f| f.check_id() == "SGA201" || f.security_group_id.as_ref().is_some_and(|g| g.as_str() == "sg-lambda"))
        .expect("a finding about sg-lambda");
    assert_eq!(f.exposure, Some(crate::analyze::Exposure::Unknown), "{}", f.summary);
    assert!(
        a.findings
            .iter()
            .all(|f| f.check_id() != "SGA901" || f.security_group_id.as_ref().is_none_or(|g| g.as_str() != "sg-lambda")),
        "a group whose interfaces were not collected is never called unused"
    );
}
