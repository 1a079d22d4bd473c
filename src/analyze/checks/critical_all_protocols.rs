//! ## What it does
//! Flags rules with protocol `-1` (all traffic) on the security groups of
//! critical resources, except a group's reference to itself.
//!
//! ## Why is this bad?
//! A critical service listens on a handful of ports. "All traffic" opens every
//! other one too, including the ones a future package or debug server opens
//! without anyone deciding to expose them.

use crate::analyze::checks::*;
use crate::analyze::rules;
use crate::controls;
use crate::model::Protocol;

pub const CHECK: Check = Check {
    meta: CheckMeta {
        id: "SGA501",
        name: "critical-all-protocols",
        question: Question::Q5,
        identity: Identity::Rule,
        title: "Critical resource accepts all traffic",
        severity: SeverityRule::Described("high from addresses or prefix lists, medium from another security group"),
        controls: &[controls::NIST_SC_7_5, controls::NIST_CM_7, controls::PCI_1_3],
        what: "Inbound rules with protocol `-1` on groups of critical resources (`[critical]` in the config). A group's \
               reference to itself (members talking to each other) is not reported.",
        why: "A critical service needs a few ports. \"All traffic\" also opens every port that a later package, agent or \
              debug server starts listening on, without anyone deciding to expose it.",
        remediation: "Replace the rule with one rule per port the service uses (for a database, its port; for a web \
                      tier, the application port), from the same source.",
        fix: FixKind::NarrowPorts,
    },
    run: Run::PerRegion(run),
};

fn run(ctx: &RegionCtx, emit: &mut Emit) {
    for g in ctx.groups.iter().filter(|g| g.critical) {
        for rule in rules::ingress(g.sg) {
            if rule.protocol != Protocol::All || rule.is_self_reference(g.sg) {
                continue;
            }
            let severity = if rule.group_ref().is_some() {
                Severity::Medium
            } else {
                Severity::High
            };
            let summary = format!("all traffic from {} to a critical resource", rule.source_label());
            let hint = served_grants(g, &rule, ctx);
            emit.rule_at(g, &rule, severity, summary).hint = hint;
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::analyze::testing::TestOrg;

    #[test]
    fn all_traffic_on_a_critical_group_is_reported_but_self_references_are_not() {
        let mut fx = TestOrg::critical();
        fx.sg("sg-db", &["all - 10.20.0.0/16", "all - sg-web", "all - sg-db"]);
        fx.sg("sg-web", &[]);
        fx.rds("orders", false, 5432, &["sg-db"]);
        fx.tag_db("orders", "criticality", "critical");
        assert_eq!(
            fx.run("SGA501"),
            [
                "high sg-db: all traffic from 10.20.0.0/16 to a critical resource []",
                "medium sg-db: all traffic from sg-web to a critical resource []"
            ]
        );
    }

    #[test]
    fn groups_of_resources_that_are_not_critical_are_not_judged() {
        let mut fx = TestOrg::critical();
        fx.sg("sg-db", &["all - 10.20.0.0/16"]);
        fx.rds("scratch", false, 5432, &["sg-db"]);
        assert!(fx.run("SGA501").is_empty());
    }
}
