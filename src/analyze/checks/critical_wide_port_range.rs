//! ## What it does
//! Flags TCP or UDP port ranges wider than `[critical] max_port_range` (10 by
//! default) on the security groups of critical resources.
//!
//! ## Why is this bad?
//! A range such as 1024-65535 is a way of not deciding which port the service
//! uses. Every other port in it is open for whatever listens there next.

use crate::analyze::checks::*;
use crate::analyze::rules;
use crate::controls;
use crate::model::Protocol;

pub const CHECK: Check = Check {
    meta: CheckMeta {
        id: "SGA502",
        name: "critical-wide-port-range",
        question: Question::Q5,
        identity: Identity::Rule,
        title: "Critical resource accepts a wide port range",
        severity: SeverityRule::Described("high from anywhere, medium otherwise"),
        controls: &[controls::NIST_SC_7_5, controls::NIST_CM_7, controls::PCI_1_3],
        what: "TCP or UDP rules on groups of critical resources whose port range is wider than `[critical] \
               max_port_range` ports. Protocol `-1` is SGA501's; a group's reference to itself is not reported.",
        why: "A wide range is a way of not deciding which port the service uses. Every other port in it is open to \
              whatever starts listening there next.",
        remediation: "Find the ports the service listens on (`ss -ltnp`, the application's configuration, the load \
                      balancer's target group) and allow only those.",
        fix: FixKind::NarrowPorts,
    },
    run: Run::PerRegion(run),
};

fn run(ctx: &RegionCtx, emit: &mut Emit) {
    let max = ctx.config.critical.max_port_range;
    for g in ctx.groups.iter().filter(|g| g.critical) {
        for rule in rules::ingress(g.sg) {
            let Some(ports) = rule.ports else { continue };
            if rule.protocol == Protocol::All || ports.width() <= max || rule.is_self_reference(g.sg) {
                continue;
            }
            let severity = if ctx.is_anywhere(&rule) {
                Severity::High
            } else {
                Severity::Medium
            };
            let summary = format!(
                "{} from {} opens {} ports on a critical resource (at most {max} expected)",
                rule.traffic_label(),
                rule.source_label(),
                ports.width()
            );
            let hint = served_grants(g, &rule, ctx);
            emit.rule_at(g, &rule, severity, summary).hint = hint;
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::analyze::testing::TestOrg;

    #[test]
    fn a_wide_range_on_a_critical_group_is_reported() {
        let mut fx = TestOrg::critical();
        fx.sg("sg-app", &["tcp 1024-65535 10.0.0.0/16", "tcp 8080-8089 10.0.0.0/16"]);
        fx.instance("i-app", "subnet-private", &["sg-app"], None);
        fx.tag_instance("i-app", "criticality", "critical");
        assert_eq!(
            fx.run("SGA502"),
            ["medium sg-app: tcp 1024-65535 from 10.0.0.0/16 opens 64512 ports on a critical resource (at most 10 expected) []"]
        );
    }
}
