//! ## What it does
//! Flags groups that accept traffic from a load balancer's security group and
//! accept, on a port the load balancer forwards to them, traffic from
//! addresses as well: the web tier of the guidance's pattern with a side door.
//! Only the forwarded ports count (the target groups' ports; when the targets
//! are not known, the ports the rule from the load balancer names, or its
//! listeners' if that rule is all traffic): "all traffic from the load balancer's
//! group" does not make every other rule a bypass, and an admin port from one
//! host or a bastion is Q1's and Q3's to judge.
//!
//! ## Why is this bad?
//! The load balancer is where TLS, AWS WAF, authentication and logging are.
//! A client that reaches the targets directly skips all of it.

use crate::analyze::checks::*;
use crate::analyze::context::Target;
use crate::analyze::reach::Front;
use crate::analyze::rules::{self, Rule};
use crate::controls;
use crate::model::{Protocol, ServicePort, Transport};

pub const CHECK: Check = Check {
    meta: CheckMeta {
        id: "SGA205",
        name: "load-balancer-bypass",
        question: Question::Q2,
        identity: Identity::Rule,
        title: "Targets reachable around their load balancer",
        severity: SeverityRule::ByExposure {
            internet: Severity::High,
            internal: Severity::Medium,
            unattached: Severity::Low,
        },
        controls: &[controls::NIST_AC_4, controls::ISO_8_21, controls::ISO_8_22],
        what: "Groups with an inbound rule from a load balancer's security group that also accept, from a CIDR or prefix \
               list, a port the load balancer forwards to them: its target groups' ports for these targets; when the \
               targets were not collected, the ports of the rule from the load balancer's group, or the listeners' \
               ports if that rule admits all traffic.",
        why: "In the guidance's pattern the web tier accepts traffic only from the load balancer's group, so every request \
              passes the load balancer, where TLS policy, AWS WAF, authentication and access logs live. A rule from \
              addresses on the same port lets clients go around all of that.",
        remediation: "Delete the address-based rule and keep only the reference to the load balancer's security group. \
                      For health checks nothing else is needed: they come from the load balancer's own group.",
        fix: FixKind::Revoke,
    },
    run: Run::PerRegion(run),
};

fn run(ctx: &RegionCtx, emit: &mut Emit) {
    let admin = &ctx.config.ports.admin;
    for g in ctx.groups.iter().filter(|g| !g.load_balancer_only && g.is_attached()) {
        let mut fronts: Vec<(Rule, Front)> = Vec::new();
        for r in rules::ingress(g.sg).filter(|r| !r.is_self_reference(g.sg)) {
            let Some(id) = r.group_ref().and_then(|p| p.group_id.as_ref()) else {
                continue;
            };
            fronts.extend(ctx.network.balancers.fronts_of(id.as_str()).iter().map(|f| (r, *f)));
        }
        if fronts.is_empty() {
            continue;
        }
        // What the load balancers forward to this group's resources, each
        // with the rule of the group that admits it.
        let targets: Vec<Target> = g.attachments.iter().map(|a| a.target).collect();
        let mut forwarded: Vec<(ServicePort, &Rule, Front)> = Vec::new();
        for (front_rule, front) in &fronts {
            let ports = ctx
                .network
                .forwarded_to(&targets, *front)
                .unwrap_or_else(|| unknown_targets(front_rule, front));
            forwarded.extend(
                ports
                    .into_iter()
                    .filter(|p| front_rule.opens(*p))
                    .map(|p| (p, front_rule, *front)),
            );
        }
        for rule in rules::ingress(g.sg).filter(|r| r.group_ref().is_none()) {
            let Some((port, front_rule, front)) = forwarded.iter().find(|(p, _, _)| rule.opens(*p)) else {
                continue;
            };
            // One host on an admin port is Q1's and Q3's, not a side door for clients.
            if rule.cidr().is_some_and(|c| c.is_host()) && admin.iter().any(|a| a.ports.overlaps(port.ports)) {
                continue;
            }
            let summary = format!(
                "accepts {} from {} as well as from load balancer group {} ({}, which forwards {port} to it): \
                 clients can go around the load balancer and its WAF",
                rule.traffic_label(),
                rule.source_label(),
                front_rule.source_label(),
                front.name(),
            );
            emit.rule(g, &rule, summary);
        }
    }
}

/// What a load balancer forwards to a group when its targets were not
/// collected (a schema-1 snapshot, a denied DescribeTargetGroups): the ports
/// the group's rule from it names, when that rule is narrow (the owner's own
/// statement of what comes from the load balancer), else its listeners'.
fn unknown_targets(front_rule: &Rule, front: &Front) -> Vec<ServicePort> {
    match (front_rule.protocol, front_rule.ports) {
        (Protocol::Tcp, Some(ports)) if !ports.is_all() => vec![ServicePort {
            ports,
            transport: Transport::Tcp,
        }],
        _ => front.listeners().into_iter().map(|(s, _)| s).collect(),
    }
}

#[cfg(test)]
mod tests {
    use crate::analyze::testing::TestOrg;

    fn shop() -> TestOrg {
        let mut fx = TestOrg::new();
        fx.sg("sg-alb", &["tcp 443 0.0.0.0/0"]);
        fx.load_balancer("shop", true, &["sg-alb"], &[443]);
        fx.sg("sg-bastion", &[]);
        fx
    }

    #[test]
    fn a_web_tier_open_to_the_world_on_its_target_port_beside_its_alb_is_a_bypass() {
        let mut fx = shop();
        fx.sg(
            "sg-web",
            &["tcp 8080 sg-alb", "tcp 8080 0.0.0.0/0", "tcp 22 sg-bastion"],
        );
        fx.instance("i-web", "subnet-public", &["sg-web"], Some("203.0.113.30"));
        fx.target_group("shop", "shop-web", "HTTP", 8080, &["i-web"]);
        assert_eq!(
            fx.run("SGA205"),
            ["high sg-web: accepts tcp 8080 from 0.0.0.0/0 as well as from load balancer group sg-alb (shop, which forwards 8080/tcp to it): clients can go around the load balancer and its WAF []"]
        );
    }

    #[test]
    fn the_textbook_web_tier_is_fine() {
        let mut fx = shop();
        fx.sg("sg-web", &["tcp 80 sg-alb", "tcp 443 sg-alb", "tcp 22 10.0.5.10/32"]);
        fx.instance("i-web", "subnet-private", &["sg-web"], None);
        fx.target_group("shop", "shop-web", "HTTPS", 443, &["i-web"]);
        assert!(fx.run("SGA205").is_empty());
    }

    #[test]
    fn all_traffic_from_the_alb_and_ssh_from_one_host_is_no_bypass() {
        let mut fx = shop();
        fx.sg(
            "sg-web",
            &["all - sg-alb", "tcp 22 203.0.113.7/32", "tcp 9100 10.0.0.0/16"],
        );
        fx.instance("i-web", "subnet-private", &["sg-web"], None);
        fx.target_group("shop", "shop-web", "HTTP", 8080, &["i-web"]);
        assert!(fx.run("SGA205").is_empty(), "{:?}", fx.run("SGA205"));
    }

    #[test]
    fn without_target_groups_the_listener_ports_are_what_it_forwards() {
        let mut fx = shop();
        fx.region().target_groups = None;
        fx.sg(
            "sg-web",
            &["tcp 443 sg-alb", "tcp 443 198.51.100.0/24", "tcp 8080 0.0.0.0/0"],
        );
        fx.instance("i-web", "subnet-private", &["sg-web"], None);
        let found = fx.run("SGA205");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("tcp 443 from 198.51.100.0/24"), "{found:?}");
    }

    #[test]
    fn without_target_groups_a_narrow_rule_from_the_alb_names_the_forwarded_port() {
        let mut fx = shop();
        fx.region().target_groups = None;
        fx.sg(
            "sg-web",
            &["tcp 8080 sg-alb", "tcp 8080 0.0.0.0/0", "tcp 9100 10.0.0.0/16"],
        );
        fx.instance("i-web", "subnet-private", &["sg-web"], None);
        let found = fx.run("SGA205");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("tcp 8080 from 0.0.0.0/0"), "{found:?}");
    }
}
