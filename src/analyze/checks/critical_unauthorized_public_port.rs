//! ## What it does
//! Flags rules on the security groups of critical resources that open, to
//! `0.0.0.0/0` or `::/0`, a port that is not among the authorized public ports
//! (`[ports] authorized_public`: TCP 80 and 443 by default).
//!
//! ## Why is this bad?
//! A critical application should face the internet only through the ports it
//! publishes. Anything else open to the world is attack surface nobody chose.

use crate::analyze::checks::*;
use crate::analyze::rules;
use crate::controls;
use crate::model::{Protocol, ServicePort, Transport};

pub const CHECK: Check = Check {
    meta: CheckMeta {
        id: "SGA503",
        name: "critical-unauthorized-public-port",
        question: Question::Q5,
        identity: Identity::Rule,
        title: "Critical resource opens an unauthorized port to the world",
        severity: SeverityRule::Fixed(Severity::High),
        controls: &[controls::EC2_18, controls::VPC_SG_OPEN_ONLY_TO_AUTHORIZED_PORTS, controls::NIST_SC_7, controls::PCI_1_3, controls::ISO_8_21],
        what: "Rules from `0.0.0.0/0` or `::/0` on groups of critical resources that open a TCP or UDP port outside \
               `[ports] authorized_public` (Security Hub EC2.18's defaults: TCP 80 and 443; no UDP port). A load \
               balancer's rules for its own listener ports are not reported.",
        why: "A critical application should face the internet only through the ports it publishes. Any other port open \
              to everyone is attack surface that nobody decided to offer.",
        remediation: "Remove the rule or narrow its source to the clients that need it. If the port is a deliberate \
                      public service, add it to `[ports] authorized_public` (and to EC2.18's `authorizedTcpPorts`) so the \
                      decision is written down.",
        fix: FixKind::RevokeOr(Placeholder::Cidr),
    },
    run: Run::PerRegion(run),
};

/// The first few ports of the rule that are not authorized, and whether there are more.
fn unauthorized(rule: &rules::Rule, authorized: &[ServicePort]) -> (Vec<String>, bool) {
    let Some(ports) = rule.ports else {
        return (vec![], false);
    };
    let transports: &[(Transport, Protocol)] = match rule.protocol {
        Protocol::All => &[(Transport::Tcp, Protocol::Tcp), (Transport::Udp, Protocol::Udp)],
        Protocol::Tcp => &[(Transport::Tcp, Protocol::Tcp)],
        Protocol::Udp => &[(Transport::Udp, Protocol::Udp)],
        _ => return (vec![], false),
    };
    let mut out = Vec::new();
    let mut more = false;
    for &(t, proto) in transports {
        for port in ports.from..=ports.to {
            let ok = authorized.iter().any(|a| a.admits(proto, port));
            if !ok {
                if out.len() == 5 {
                    more = true;
                    break;
                }
                out.push(
                    ServicePort {
                        ports: crate::model::PortRange::single(port),
                        transport: t,
                    }
                    .to_string(),
                );
            }
        }
    }
    (out, more)
}

fn run(ctx: &RegionCtx, emit: &mut Emit) {
    let authorized = &ctx.config.ports.authorized_public;
    for g in ctx.groups.iter().filter(|g| g.critical) {
        if let Some(why) = g.listeners_unknown() {
            if rules::ingress(g.sg).any(|r| ctx.is_anywhere(&r)) {
                emit.not_assessed(Subject::SecurityGroup(g.id().clone()), why.to_string());
            }
            continue;
        }
        for rule in rules::ingress(g.sg) {
            if !ctx.is_anywhere(&rule) || g.rule_serves_listeners(&rule) {
                continue;
            }
            let (ports, more) = unauthorized(&rule, authorized);
            if ports.is_empty() {
                continue;
            }
            let summary = format!(
                "{} from {} opens {}{} to the world on a critical resource; authorized: {}",
                rule.traffic_label(),
                rule.source_label(),
                ports.join(", "),
                if more { " and more" } else { "" },
                authorized.iter().map(|p| p.to_string()).collect::<Vec<_>>().join(", ")
            );
            emit.rule_at(g, &rule, Severity::High, summary);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::analyze::testing::TestOrg;

    #[test]
    fn only_authorized_ports_may_face_the_world() {
        let mut fx = TestOrg::critical();
        fx.sg("sg-web", &["tcp 443 0.0.0.0/0", "tcp 8443 0.0.0.0/0", "udp 443 ::/0"]);
        fx.instance("i-web", "subnet-public", &["sg-web"], Some("203.0.113.60"));
        fx.tag_instance("i-web", "criticality", "critical");
        assert_eq!(
            fx.run("SGA503"),
            [
                "high sg-web: tcp 8443 from 0.0.0.0/0 opens 8443/tcp to the world on a critical resource; authorized: 80/tcp, 443/tcp [EC2.18 vpc-sg-open-only-to-authorized-ports]",
                "high sg-web: udp 443 from ::/0 opens 443/udp to the world on a critical resource; authorized: 80/tcp, 443/tcp [EC2.18 vpc-sg-open-only-to-authorized-ports]"
            ]
        );
    }

    #[test]
    fn a_critical_load_balancer_on_its_listener_ports_is_fine() {
        let mut fx = TestOrg::critical();
        fx.sg("sg-alb", &["tcp 443 0.0.0.0/0", "tcp 8443 0.0.0.0/0"]);
        fx.load_balancer("shop", true, &["sg-alb"], &[443, 8443]);
        fx.tag_sg(
            "sg-alb",
            crate::model::Tag {
                key: "criticality".into(),
                value: "critical".into(),
            },
        );
        assert!(fx.run("SGA503").is_empty());
    }
}
