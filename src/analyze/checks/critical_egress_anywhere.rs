//! ## What it does
//! Flags outbound "all traffic to anywhere" (`-1` to `0.0.0.0/0` or `::/0`)
//! on the groups of critical databases (low), and of other critical
//! resources (info), once per resource: on the first of its groups with
//! that rule, naming the others. Everywhere else it is AWS's default and not
//! reported.
//!
//! ## Why is this bad?
//! Q5 asks for the minimum in both directions. A database that can open a
//! connection to anywhere is a database from which data can be sent anywhere.

use crate::analyze::checks::*;
use crate::controls;
use std::collections::HashSet;

use crate::analyze::context::{Group, Target};
use crate::analyze::rules;
use crate::model::{Protocol, SecurityGroup};

pub const CHECK: Check = Check {
    meta: CheckMeta {
        id: "SGA909",
        name: "critical-egress-anywhere",
        question: Question::Hygiene,
        identity: Identity::Rule,
        title: "Critical resource may send all traffic anywhere",
        severity: SeverityRule::Described("low on a critical database's group, info on other critical resources"),
        controls: &[controls::NIST_SC_7_5, controls::NIST_AC_4, controls::PCI_1_3],
        what:
            "Outbound rules of protocol `-1` to `0.0.0.0/0` or `::/0` on groups of critical resources (`[critical]` in \
               the config). AWS gives every new group that rule; on a critical database it is the widest exit there is.",
        why:
            "The guidance's minimum applies both ways. A compromised database, or a query that makes it call out, can \
              send data anywhere when its group lets all traffic out; a database needs to answer its clients, which \
              security groups allow without any outbound rule.",
        remediation:
            "Remove the rule, or replace it with the destinations the resource needs (for a database: none, or \
                      its replicas' group and the backup endpoint's prefix list).",
        fix: FixKind::Replace(Placeholder::Destination),
    },
    run: Run::PerRegion(run),
};

fn run(ctx: &RegionCtx, emit: &mut Emit) {
    // Security groups add up: a critical resource with two groups that let
    // all traffic out is one fact, reported on the first of them (the
    // summary names the others), not once per group.
    let mut reported: HashSet<String> = HashSet::new();
    for g in ctx.groups.iter().filter(|g| g.critical) {
        let Some(rule) = all_out_to_anywhere(g.sg) else {
            continue;
        };
        // A group tagged critical, or in a critical account: all it is on is critical.
        let whole_group = ctx.is_critical(&g.sg.tags);
        let critical: Vec<&Target> = g
            .attachments
            .iter()
            .map(|a| &a.target)
            .filter(|t| whole_group || ctx.is_critical(t.tags()))
            .collect();
        let fresh: Vec<&Target> = critical
            .iter()
            .copied()
            .filter(|t| !reported.contains(&t.resource_id()))
            .collect();
        if !critical.is_empty() && fresh.is_empty() {
            continue;
        }
        reported.extend(fresh.iter().map(|t| t.resource_id()));
        let database = fresh.iter().any(|t| t.is_database());
        let severity = if database { Severity::Low } else { Severity::Info };
        let what = match fresh.as_slice() {
            [] if ctx.config.critical.accounts.contains(&ctx.account.account_id) => {
                "a group of a critical account".to_string()
            }
            [] => "a group tagged critical".to_string(),
            [one] => format!("critical {} {}", noun(one), label(one)),
            [first, rest @ ..] => format!("critical {} {} and {} more", noun(first), label(first), rest.len()),
        };
        let also: Vec<String> = fresh
            .iter()
            .flat_map(|t| other_exits(ctx, g, t))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let also = if also.is_empty() {
            String::new()
        } else {
            format!(" (also through {})", also.join(", "))
        };
        let summary = format!("{what} may send all traffic to {}{also}", rule.source_label());
        emit.rule_at(g, &rule, severity, summary);
    }
}

/// The group's outbound rule of all traffic to `0.0.0.0/0` or `::/0`.
fn all_out_to_anywhere(sg: &SecurityGroup) -> Option<rules::Rule<'_>> {
    rules::egress(sg).find(|r| r.protocol == Protocol::All && r.cidr().is_some_and(|c| c.is_anywhere()))
}

fn noun(t: &Target) -> &'static str {
    if t.is_database() {
        "database"
    } else {
        "resource"
    }
}

fn label(t: &Target) -> String {
    match t.instance().and_then(|i| i.name()) {
        Some(name) => format!("{} ({name})", t.resource_id()),
        None => t.resource_id(),
    }
}

/// The other groups of `t` that also let all traffic out to anywhere.
fn other_exits(ctx: &RegionCtx, g: &Group, t: &Target) -> Vec<String> {
    let id = t.resource_id();
    ctx.groups
        .iter()
        .filter(|o| o.sg.group_id != g.sg.group_id)
        .filter(|o| o.attachments.iter().any(|a| a.target.resource_id() == id))
        .filter(|o| all_out_to_anywhere(o.sg).is_some())
        .map(|o| o.sg.group_id.to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::analyze::testing::TestOrg;

    #[test]
    fn all_traffic_out_of_a_critical_database_is_low_and_elsewhere_quiet() {
        let mut fx = TestOrg::critical();
        fx.sg("sg-db", &["tcp 5432 sg-app", "egress all - 0.0.0.0/0"]);
        fx.rds("orders", false, 5432, &["sg-db"]);
        fx.tag_db("orders", "criticality", "critical");
        fx.sg("sg-app", &["egress all - 0.0.0.0/0"]);
        fx.instance("i-app", "subnet-private", &["sg-app"], None);
        assert_eq!(
            fx.run("SGA909"),
            ["low sg-db: critical database orders may send all traffic to 0.0.0.0/0 []"]
        );
    }

    #[test]
    fn a_critical_instance_is_info_and_named() {
        let mut fx = TestOrg::critical();
        fx.sg("sg-pay", &["tcp 443 sg-lb", "egress all - 0.0.0.0/0"]);
        fx.sg("sg-lb", &[]);
        fx.instance("i-pay", "subnet-private", &["sg-pay"], None);
        fx.tag_instance("i-pay", "criticality", "critical");
        assert_eq!(
            fx.run("SGA909"),
            ["info sg-pay: critical resource i-pay may send all traffic to 0.0.0.0/0 []"]
        );
    }

    #[test]
    fn a_critical_instance_with_two_open_exits_is_one_finding_naming_both() {
        let mut fx = TestOrg::critical();
        fx.sg("sg-search", &["tcp 9200 sg-app", "egress all - 0.0.0.0/0"]);
        fx.sg("sg-admin", &["tcp 22 sg-app", "egress all - 0.0.0.0/0"]);
        fx.sg("sg-app", &[]);
        fx.instance("i-search", "subnet-private", &["sg-search", "sg-admin"], None);
        fx.instance("i-app", "subnet-private", &["sg-admin"], None);
        fx.tag_instance("i-search", "criticality", "critical");
        let found = fx.run("SGA909");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].contains("critical resource i-search may send all traffic to 0.0.0.0/0 (also through sg-"),
            "{found:?}"
        );
    }
}
