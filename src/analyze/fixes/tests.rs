use super::*;
use crate::analyze::testing::TestOrg;
use crate::model::Tag;

/// Each finding of a check, planned, as one line per step:
/// `revoke sg-ssh ingress tcp 22 from 0.0.0.0/0`, `option: authorize …`.
fn steps(fx: &TestOrg, check: &str) -> Vec<Vec<String>> {
    plans(fx, check)
        .iter()
        .map(|fix| fix.steps.iter().map(step).collect())
        .collect()
}

fn plans(fx: &TestOrg, check: &str) -> Vec<Fix> {
    let region = &fx.snapshot.accounts[0].regions[0];
    fx.findings(check)
        .iter()
        .map(|f| {
            let group = f
                .security_group_id
                .as_ref()
                .and_then(|id| region.security_groups.iter().find(|g| &g.group_id == id));
            let in_code = group.and_then(|g| InCode::of(g, &fx.config.governance));
            plan(f, f.hint.as_deref(), group, in_code.as_ref())
        })
        .collect()
}

fn peer(p: &Peer) -> String {
    match p {
        Peer::Cidr(c) => c.to_string(),
        Peer::Group { id, .. } => id.to_string(),
        Peer::PrefixList(id) => id.to_string(),
        Peer::Placeholder(p) => p.text().to_string(),
    }
}

fn perm(p: &Perm) -> String {
    format!(
        "{} {} {} {}",
        if p.egress { "egress" } else { "ingress" },
        p.traffic(),
        if p.egress { "to" } else { "from" },
        peer(&p.peer)
    )
}

fn step(s: &Step) -> String {
    let text = match &s.change {
        Change::Authorize { group, perm: p, .. } => format!("authorize {group} {}", perm(p)),
        Change::Revoke { group, perm: p } => format!("revoke {group} {}", perm(p)),
        Change::Describe { group, perm: p } => format!("describe {group} {}", perm(p)),
        Change::DeleteGroup { group } => format!("delete {group}"),
        Change::AclEntry { acl, entry } => format!(
            "{} {acl} #{} {} {} from {}",
            if entry.allow { "allow" } else { "deny" },
            entry.number,
            entry.protocol.label(),
            entry.ports,
            entry.cidr
        ),
        Change::DbPrivate { db } => format!("make {db} private"),
        Change::SsmProfile { instance } => format!("give {instance} an SSM profile"),
        Change::FlowLog { vpc } => format!("flow log on {vpc}"),
        Change::Import { group } => format!("import {group}"),
    };
    if s.required {
        text
    } else {
        format!("option: {text}")
    }
}

#[test]
fn ssh_open_to_the_world_is_revoked_exactly_and_a_bastion_is_only_an_option() {
    let mut fx = TestOrg::new();
    fx.sg("sg-ssh", &["tcp 22 0.0.0.0/0", "tcp 443 0.0.0.0/0"]);
    fx.instance("i-1", "subnet-public", &["sg-ssh"], Some("203.0.113.10"));
    assert_eq!(
        steps(&fx, "SGA101"),
        [[
            "option: authorize sg-ssh ingress tcp 22 from <BASTION-SG-ID>",
            "revoke sg-ssh ingress tcp 22 from 0.0.0.0/0"
        ]]
    );
    let fix = &plans(&fx, "SGA101")[0];
    assert!(fix.is_exact() && fix.is_scripted());
}

#[test]
fn a_rule_wider_than_its_admin_ports_waits_for_the_rest_to_be_granted_again() {
    let mut fx = TestOrg::new();
    fx.sg("sg-web", &["tcp 0-65535 0.0.0.0/0"]);
    fx.instance("i-1", "subnet-public", &["sg-web"], Some("203.0.113.10"));
    let fix = &plans(&fx, "SGA101")[0];
    assert!(fix.first.as_deref().unwrap().contains("also grants ports"));
    assert!(fix.is_exact() && !fix.is_scripted());
    // The bastion option is for the admin ports alone.
    let options: Vec<String> = fix.steps.iter().filter(|s| !s.required).map(step).collect();
    assert_eq!(
        options[0],
        "option: authorize sg-web ingress tcp 22 from <BASTION-SG-ID>"
    );
    assert!(options.iter().all(|o| !o.contains("0-65535")), "{options:?}");
}

#[test]
fn a_group_defined_in_code_is_changed_in_code_first() {
    let mut fx = TestOrg::new();
    fx.sg("sg-ssh", &["tcp 22 0.0.0.0/0"]);
    fx.tag_sg(
        "sg-ssh",
        Tag {
            key: "aws:cloudformation:stack-name".into(),
            value: "web-prod".into(),
        },
    );
    let fix = &plans(&fx, "SGA101")[0];
    assert_eq!(
        fix.in_code.as_ref().map(|c| c.describe()).as_deref(),
        Some("CloudFormation stack web-prod")
    );
    assert!(fix.is_exact(), "the change is still written out");
    assert!(!fix.is_scripted(), "but the script leaves it to the code");
}

#[test]
fn an_internal_tier_open_to_the_world_needs_its_callers_group_first() {
    let mut fx = TestOrg::new();
    fx.sg("sg-app", &["tcp 8080 0.0.0.0/0"]);
    fx.instance("i-app", "subnet-private", &["sg-app"], None);
    let fixes = plans(&fx, "SGA201");
    assert_eq!(
        steps(&fx, "SGA201"),
        [[
            "authorize sg-app ingress tcp 8080 from <CALLER-SG-ID>",
            "revoke sg-app ingress tcp 8080 from 0.0.0.0/0"
        ]]
    );
    assert!(!fixes[0].is_exact(), "a placeholder is never applied");
}

#[test]
fn ssh_used_by_two_office_addresses_is_replaced_by_those_two_hosts() {
    let mut fx = TestOrg::new();
    fx.sg("sg-ssh", &["tcp 22 0.0.0.0/0"]);
    fx.instance("i-1", "subnet-private", &["sg-ssh"], None);
    fx.usage_sources(
        30,
        "sg-ssh",
        "ingress tcp 22-22 cidr:0.0.0.0/0",
        &[("198.51.100.7", 40), ("198.51.100.9", 2)],
    );
    assert_eq!(
        steps(&fx, "SGA506"),
        [[
            "authorize sg-ssh ingress tcp 22 from 198.51.100.7/32",
            "authorize sg-ssh ingress tcp 22 from 198.51.100.9/32",
            "revoke sg-ssh ingress tcp 22 from 0.0.0.0/0"
        ]]
    );
    assert!(plans(&fx, "SGA506")[0].is_scripted());
}

#[test]
fn all_traffic_to_a_critical_database_becomes_its_own_port_from_the_same_source() {
    let mut fx = TestOrg::critical();
    fx.sg("sg-db", &["all - sg-web"]);
    fx.sg("sg-web", &[]);
    fx.rds("orders", false, 5432, &["sg-db"]);
    fx.tag_db("orders", "criticality", "critical");
    assert_eq!(
        steps(&fx, "SGA501"),
        [[
            "authorize sg-db ingress tcp 5432 from sg-web",
            "revoke sg-db ingress all traffic from sg-web"
        ]]
    );
}

#[test]
fn ports_that_cannot_be_known_leave_the_fix_to_a_person() {
    let mut fx = TestOrg::critical();
    fx.sg("sg-app", &["all - 10.0.0.0/16"]);
    fx.instance("i-app", "subnet-private", &["sg-app"], None);
    fx.tag_instance("i-app", "criticality", "critical");
    let fix = &plans(&fx, "SGA501")[0];
    assert!(fix.steps.is_empty() && fix.manual.is_some());
}

#[test]
fn ping_from_anywhere_keeps_only_what_path_mtu_discovery_needs() {
    let mut fx = TestOrg::new();
    fx.sg("sg-web", &["icmp 8 0.0.0.0/0"]);
    assert_eq!(
        steps(&fx, "SGA207"),
        [[
            "authorize sg-web ingress icmp type 3 code 4 from 0.0.0.0/0",
            "revoke sg-web ingress icmp type 8 from 0.0.0.0/0"
        ]]
    );
}

#[test]
fn a_default_group_loses_every_rule_once_nothing_uses_it() {
    let mut fx = TestOrg::new();
    fx.sg("sg-default", &["all - sg-default"]);
    fx.rename("sg-default", "default", "default VPC security group");
    let fix = &plans(&fx, "SGA902")[0];
    assert_eq!(
        fix.steps.iter().map(step).collect::<Vec<_>>(),
        ["revoke sg-default ingress all traffic from sg-default"]
    );
    assert!(fix.is_scripted());
    fx.instance("i-1", "subnet-private", &["sg-default"], None);
    let fix = &plans(&fx, "SGA902")[0];
    assert!(fix.first.as_deref().unwrap().starts_with("move the 1 resource(s)"));
    assert!(!fix.is_scripted());
}

#[test]
fn an_acl_open_to_ssh_gets_deny_entries_on_free_numbers_ahead_of_its_allow() {
    let mut fx = TestOrg::new();
    fx.nacl(
        "acl-web",
        false,
        &["99 allow tcp 443 0.0.0.0/0", "100 allow all - 0.0.0.0/0"],
        &["subnet-public"],
    );
    let all = steps(&fx, "SGA102");
    let fix = all.iter().find(|s| s.iter().any(|l| l.contains("acl-web"))).unwrap();
    // 99 is taken: each admin port gets a deny from anywhere below the
    // allow, and ahead of it an allow from the VPC's own range.
    assert_eq!(
        fix[..4],
        [
            "allow acl-web #97 tcp 22 from 10.0.0.0/16",
            "deny acl-web #98 tcp 22 from 0.0.0.0/0",
            "allow acl-web #95 tcp 3389 from 10.0.0.0/16",
            "deny acl-web #96 tcp 3389 from 0.0.0.0/0",
        ]
    );
    assert!(fix.iter().all(|l| !l.contains("#99") && !l.contains("#100")));
    let fix = plans(&fx, "SGA102").into_iter().find(|f| f.first.is_some()).unwrap();
    assert!(
        fix.is_exact() && !fix.is_scripted(),
        "a person decides who else administers"
    );
}

#[test]
fn no_free_number_below_the_allow_means_renumbering_by_hand() {
    let mut fx = TestOrg::new();
    fx.nacl("acl-web", false, &["1 allow all - 0.0.0.0/0"], &["subnet-public"]);
    let fixes = plans(&fx, "SGA102");
    assert!(fixes.iter().any(|f| f.manual.is_some_and(|m| m.contains("renumber"))));
}

#[test]
fn covered_rules_are_all_removed_and_only_they() {
    let mut fx = TestOrg::new();
    fx.sg(
        "sg-app",
        &["tcp 0-65535 10.0.0.0/16", "tcp 443 10.0.1.0/24", "tcp 80 10.0.2.0/24"],
    );
    assert_eq!(
        steps(&fx, "SGA907"),
        [[
            "revoke sg-app ingress tcp 443 from 10.0.1.0/24",
            "revoke sg-app ingress tcp 80 from 10.0.2.0/24"
        ]]
    );
}

#[test]
fn a_vpc_without_flow_logs_needs_its_bucket_named() {
    let mut fx = TestOrg::new();
    fx.instance("i-1", "subnet-private", &[], None);
    let fixes = plans(&fx, "SGA910");
    assert_eq!(
        fixes[0].steps.iter().map(step).collect::<Vec<_>>(),
        ["flow log on vpc-main"]
    );
    assert!(!fixes[0].is_exact());
}
