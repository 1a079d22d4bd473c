//! ## What it does
//! For critical load balancers and databases, whose ports are known (listener
//! ports, the database port), flags inbound rules that open no port the
//! service uses.
//!
//! ## Why is this bad?
//! A rule for a port nothing serves is left over from a previous design or a
//! copied template. Today it grants nothing useful; tomorrow it grants
//! whatever starts listening there.

use crate::analyze::checks::*;
use crate::analyze::context::Served;
use crate::analyze::rules;
use crate::controls;
use crate::model::Protocol;

pub const CHECK: Check = Check {
    meta: CheckMeta {
        id: "SGA504",
        name: "critical-port-without-service",
        question: Question::Q5,
        identity: Identity::Rule,
        title: "Critical resource opens ports its service does not use",
        severity: SeverityRule::Fixed(Severity::Medium),
        controls: &[controls::NIST_CM_7, controls::PCI_1_3, controls::ISO_8_21],
        what: "Groups attached only to load balancers and databases (so the served ports are known: listener ports, \
               the database port) on critical resources, with an inbound TCP or UDP rule that opens none of those ports. \
               Protocol `-1` is SGA501's; a group's reference to itself is not reported.",
        why: "A rule for a port that nothing serves is left over from an earlier design or a copied template. It grants \
              nothing useful today and whatever starts listening there tomorrow.",
        remediation: "Delete the rule. If the service moved to another port, change the rule to that port.",
        fix: FixKind::Revoke,
    },
    run: Run::PerRegion(run),
};

fn run(ctx: &RegionCtx, emit: &mut Emit) {
    for g in ctx.groups.iter().filter(|g| g.critical) {
        let served = match &g.served {
            Served::Ports(p) => p,
            Served::Unknown(why) => {
                emit.not_assessed(Subject::SecurityGroup(g.id().clone()), why.clone());
                continue;
            }
            Served::NotKnowable => continue,
        };
        for rule in rules::ingress(g.sg) {
            let Some(ports) = rule.ports else { continue };
            if rule.protocol == Protocol::All || rule.is_self_reference(g.sg) {
                continue;
            }
            if served.iter().any(|s| s.is_open_in(rule.protocol, ports)) {
                continue;
            }
            let summary = format!(
                "{} from {} opens no port that {} serves ({})",
                rule.traffic_label(),
                rule.source_label(),
                g.resource_ids().join(", "),
                if served.is_empty() {
                    "none known".to_string()
                } else {
                    served.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(", ")
                }
            );
            emit.rule(g, &rule, summary);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::analyze::testing::TestOrg;

    #[test]
    fn a_database_group_opening_another_port_is_reported() {
        let mut fx = TestOrg::critical();
        fx.sg("sg-db", &["tcp 3306 sg-web", "tcp 5439 sg-web"]);
        fx.sg("sg-web", &[]);
        fx.rds("orders", false, 3306, &["sg-db"]);
        fx.tag_db("orders", "criticality", "critical");
        assert_eq!(
            fx.run("SGA504"),
            ["medium sg-db: tcp 5439 from sg-web opens no port that orders serves (3306/tcp) []"]
        );
    }
}
