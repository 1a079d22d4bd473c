//! ## What it does
//! Flags world-open rules that reach port 22 or 3389 over a protocol that is
//! not a configured administration service, such as UDP 22. Security Hub's
//! EC2.53/EC2.54 fail any protocol on these ports; sgaudit reports it, but at
//! low severity and not as an open SSH port, since nothing speaks SSH over UDP.
//!
//! ## Why is this bad?
//! Usually it is not: it is noise from a copied rule. It is reported so that
//! sgaudit's results reconcile with Security Hub's and the rule gets cleaned up.

use crate::analyze::checks::*;
use crate::analyze::rules;
use crate::controls;
use crate::model::ServicePort;

pub const CHECK: Check = Check {
    meta: CheckMeta {
        id: "SGA103",
        name: "remote-admin-port-other-protocol",
        question: Question::Q1,
        identity: Identity::Rule,
        title: "Port 22 or 3389 open to the world over a non-admin protocol",
        severity: SeverityRule::Fixed(Severity::Low),
        controls: &[controls::EC2_53, controls::EC2_54, controls::VPC_SG_PORT_RESTRICTION_CHECK, controls::EC2_19, controls::NIST_SC_7, controls::PCI_1_4, controls::SOC2_CC6_6],
        what: "Rules from `0.0.0.0/0` or `::/0` that reach port 22 or 3389 over a protocol that no configured admin \
               port covers (for example UDP 22). `vpc-sg-port-restriction-check`, behind EC2.53/EC2.54, fails any \
               protocol on these ports.",
        why: "Nothing usually listens there, so the direct risk is small; but the rule fails Security Hub's controls and \
              is typically left over from copying a rule. Reporting it keeps sgaudit and Security Hub reconciled.",
        remediation: "Delete the rule, or narrow its source. If a service really uses that port and protocol, record an \
                      exception for this check with the owner and reason.",
        fix: FixKind::Revoke,
    },
    run: Run::PerRegion(run),
};

fn run(ctx: &RegionCtx, emit: &mut Emit) {
    let admin = &ctx.config.ports.admin;
    for g in &ctx.groups {
        for rule in rules::ingress(g.sg) {
            if !ctx.is_anywhere(&rule) {
                continue;
            }
            let admin_open = rule.opened(admin);
            let leftover: Vec<u16> = controls::REMOTE_ADMIN_PORTS_ANY_PROTOCOL
                .into_iter()
                .filter(|&p| rule.opens(ServicePort::any(p)))
                .filter(|&p| !admin_open.iter().any(|s| s.ports.contains(p)))
                .collect();
            if leftover.is_empty() {
                continue;
            }
            let ports = leftover.iter().map(|p| p.to_string()).collect::<Vec<_>>().join(" and ");
            let summary = format!(
                "{} from {} reaches port {ports} over {}, which is not an admin service",
                rule.traffic_label(),
                rule.source_label(),
                rule.protocol
            );
            let ipv6 = ctx.is_ipv6_rule(&rule);
            let services: Vec<ServicePort> = leftover.iter().map(|&p| ServicePort::any(p)).collect();
            let reach = ctx.rule_reach_on(g, &rule, &services);
            emit.rule_reaching(g, &rule, reach.as_ref(), summary)
                .set_exact_controls(vec![
                    if ipv6 { &controls::EC2_54 } else { &controls::EC2_53 },
                    &controls::VPC_SG_PORT_RESTRICTION_CHECK,
                    &controls::EC2_19,
                ]);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::analyze::testing::TestOrg;

    #[test]
    fn udp_22_from_anywhere_is_a_low_finding_not_an_open_ssh_port() {
        let mut fx = TestOrg::new();
        fx.sg("sg-udp", &["udp 22 0.0.0.0/0"]);
        fx.instance("i-1", "subnet-public", &["sg-udp"], Some("203.0.113.10"));
        assert_eq!(
            fx.run("SGA103"),
            ["low sg-udp: udp 22 from 0.0.0.0/0 reaches port 22 over udp, which is not an admin service [EC2.53 vpc-sg-port-restriction-check EC2.19]"]
        );
        assert!(fx.run("SGA101").is_empty());
    }

    #[test]
    fn tcp_22_is_left_to_the_admin_port_check() {
        let mut fx = TestOrg::new();
        fx.sg("sg-ssh", &["tcp 22 0.0.0.0/0", "all - ::/0", "udp 3389 0.0.0.0/0"]);
        assert!(fx.run("SGA103").is_empty());
    }
}
