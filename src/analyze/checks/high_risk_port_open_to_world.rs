//! ## What it does
//! Flags inbound rules that open a high-risk port (databases, caches, search,
//! file sharing, mail: Security Hub EC2.19's 24 ports by default) to
//! `0.0.0.0/0` or `::/0`, over TCP, UDP or all protocols alike.
//!
//! ## Why is this bad?
//! These services were built for trusted networks. Open to the internet they
//! are found within hours and attacked with default credentials, known
//! exploits and ransom scripts that wipe databases.

use crate::analyze::checks::*;
use crate::analyze::rules;
use crate::controls::{self, Control};
use crate::model::{Protocol, ServicePort};

pub const CHECK: Check = Check {
    meta: CheckMeta {
        id: "SGA202",
        name: "high-risk-port-open-to-world",
        question: Question::Q2,
        identity: Identity::Rule,
        title: "High-risk port open to the whole internet",
        severity: SeverityRule::ByExposure {
            internet: Severity::Critical,
            internal: Severity::High,
            unattached: Severity::Medium,
        },
        controls: &[controls::EC2_19, controls::RESTRICTED_COMMON_PORTS, controls::NIST_SC_7, controls::NIST_CM_7, controls::PCI_1_4, controls::ISO_8_20, controls::SOC2_CC6_6],
        what: "Inbound rules from `0.0.0.0/0` or `::/0` that open a port of `[ports] high_risk` (EC2.19's list by \
               default). EC2.19 names no protocol, so TCP, UDP and `-1` count alike. Administration ports (22, 3389 and \
               the configured admin list) are left to SGA101 and SGA103, and a load balancer's own listener ports are \
               not reported.",
        why: "Databases, caches, search engines, file shares and mail relays assume a trusted network. Exposed, they are \
              found within hours and attacked with default credentials, public exploits and scripts that copy or wipe \
              the data.",
        remediation: "Allow the port only from the security group of the clients (for example the application tier), \
                      never from anywhere. If outside clients must connect, put the service behind a load balancer or a \
                      VPN and allow their specific ranges.",
        fix: FixKind::Replace(Placeholder::CallerGroup),
    },
    run: Run::PerRegion(run),
};

fn run(ctx: &RegionCtx, emit: &mut Emit) {
    let ports = &ctx.config.ports;
    for g in &ctx.groups {
        // A load balancer whose listeners are unknown: whether a port is its
        // front door cannot be told.
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
            let admin_open = rule.opened(&ports.admin);
            let handled_elsewhere = |p: &ServicePort| {
                controls::REMOTE_ADMIN_PORTS_ANY_PROTOCOL
                    .iter()
                    .any(|&a| p.ports.contains(a))
                    || admin_open.iter().any(|a| a.ports.overlaps(p.ports))
            };
            let open: Vec<&ServicePort> = rule
                .opened(&ports.high_risk)
                .into_iter()
                .filter(|p| !handled_elsewhere(p))
                .collect();
            if open.is_empty() {
                continue;
            }
            let summary = format!(
                "{} from {} opens high-risk port{} {}",
                rule.traffic_label(),
                rule.source_label(),
                if open.len() > 1 { "s" } else { "" },
                port_list(&open)
            );
            let services: Vec<ServicePort> = open.iter().map(|s| **s).collect();
            let reach = ctx.rule_reach_on(g, &rule, &services);
            emit.rule_reaching(g, &rule, reach.as_ref(), summary)
                .set_exact_controls(controls_for(&rule, &open));
        }
    }
}

fn controls_for(rule: &rules::Rule, open: &[&ServicePort]) -> Vec<&'static Control> {
    let mut out: Vec<&'static Control> = Vec::new();
    if open
        .iter()
        .any(|p| controls::EC2_19_PORTS.iter().any(|&e| p.ports.contains(e)))
    {
        out.push(&controls::EC2_19);
    }
    let tcp = matches!(rule.protocol, Protocol::Tcp | Protocol::All);
    let ipv4 = rule.cidr().is_none_or(|c| !c.is_ipv6());
    if tcp
        && ipv4
        && open.iter().any(|p| {
            controls::RESTRICTED_COMMON_PORTS_DEFAULT
                .iter()
                .any(|&e| p.ports.contains(e))
        })
    {
        out.push(&controls::RESTRICTED_COMMON_PORTS);
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::analyze::testing::TestOrg;

    #[test]
    fn a_public_database_port_is_critical() {
        let mut fx = TestOrg::new();
        fx.sg("sg-db", &["tcp 3306 0.0.0.0/0"]);
        fx.instance("i-db", "subnet-public", &["sg-db"], Some("203.0.113.20"));
        assert_eq!(
            fx.run("SGA202"),
            ["critical sg-db: tcp 3306 from 0.0.0.0/0 opens high-risk port 3306 [EC2.19 restricted-common-ports]"]
        );
    }

    #[test]
    fn udp_counts_because_the_control_names_no_protocol() {
        let mut fx = TestOrg::new();
        fx.sg("sg-u", &["udp 445 ::/0"]);
        assert_eq!(
            fx.run("SGA202"),
            ["medium sg-u: udp 445 from ::/0 opens high-risk port 445 [EC2.19]"]
        );
    }

    #[test]
    fn admin_ports_are_left_to_the_admin_checks() {
        let mut fx = TestOrg::new();
        fx.sg(
            "sg-a",
            &["tcp 22 0.0.0.0/0", "udp 3389 0.0.0.0/0", "tcp 20-23 0.0.0.0/0"],
        );
        // 20 and 21 remain from the range; 22 and 23 are admin ports.
        assert_eq!(
            fx.run("SGA202"),
            ["medium sg-a: tcp 20-23 from 0.0.0.0/0 opens high-risk ports 20, 21 [EC2.19 restricted-common-ports]"]
        );
    }

    #[test]
    fn a_load_balancer_listening_on_a_high_risk_port_is_its_front_door() {
        let mut fx = TestOrg::new();
        fx.sg("sg-lb", &["tcp 8080 0.0.0.0/0"]);
        fx.load_balancer("api", true, &["sg-lb"], &[8080]);
        assert!(fx.run("SGA202").is_empty());
        // but not when the range goes beyond its listeners
        let mut fx = TestOrg::new();
        fx.sg("sg-lb", &["tcp 8000-9000 0.0.0.0/0"]);
        fx.load_balancer("api", true, &["sg-lb"], &[8080]);
        assert_eq!(fx.run("SGA202").len(), 1);
    }
}
