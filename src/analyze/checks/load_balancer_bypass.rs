//! ## What it does
//! Flags groups that accept a port from a load balancer's security group and
//! the same port from addresses as well: the web tier of the guidance's
//! pattern with a side door.
//!
//! ## Why is this bad?
//! The load balancer is where TLS, AWS WAF, authentication and logging are.
//! A client that reaches the targets directly skips all of it.

use crate::analyze::checks::*;
use crate::analyze::rules::{self, Rule};
use crate::model::{PortRange, Protocol};

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
        controls: &[],
        what: "Groups with an inbound rule from a load balancer's security group that also accept an overlapping port \
               and protocol from a CIDR or prefix list.",
        why: "In the guidance's pattern the web tier accepts traffic only from the load balancer's group, so every request \
              passes the load balancer, where TLS policy, AWS WAF, authentication and access logs live. A rule from \
              addresses on the same port lets clients go around all of that.",
        remediation: "Delete the address-based rule and keep only the reference to the load balancer's security group. \
                      For health checks nothing else is needed: they come from the load balancer's own group.",
    },
    run: Run::PerRegion(run),
};

fn shares_traffic(a: &Rule, b: &Rule) -> bool {
    let protocols = a.protocol == b.protocol || a.protocol == Protocol::All || b.protocol == Protocol::All;
    let ports = match (a.ports, b.ports) {
        (Some(x), Some(y)) => x.overlaps(y),
        _ => a.protocol == Protocol::All || b.protocol == Protocol::All,
    };
    protocols && ports
}

fn run(ctx: &RegionCtx, emit: &mut Emit) {
    for g in ctx.groups.iter().filter(|g| !g.load_balancer_only) {
        let fronts: Vec<Rule> = rules::ingress(g.sg)
            .filter(|r| !r.is_self_reference(g.sg))
            .filter(|r| {
                r.group_ref()
                    .and_then(|p| p.group_id.as_ref())
                    .is_some_and(|id| ctx.is_load_balancer_group(id))
            })
            .collect();
        if fronts.is_empty() {
            continue;
        }
        for rule in rules::ingress(g.sg).filter(|r| r.group_ref().is_none()) {
            let Some(front) = fronts.iter().find(|f| shares_traffic(f, &rule)) else {
                continue;
            };
            let shared = match (front.ports, rule.ports) {
                (Some(a), Some(b)) if a.overlaps(b) => PortRange::new(a.from.max(b.from), a.to.min(b.to)).to_string(),
                _ => "all".into(),
            };
            let summary = format!(
                "accepts {} from {} as well as from load balancer group {} (port {shared}): clients can go around the load balancer and its WAF",
                rule.traffic_label(),
                rule.source_label(),
                front.source_label()
            );
            emit.rule(g, &rule, summary);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::analyze::testing::TestOrg;

    #[test]
    fn a_web_tier_open_to_the_world_beside_its_alb_is_a_bypass() {
        let mut fx = TestOrg::new();
        fx.sg("sg-alb", &["tcp 443 0.0.0.0/0"]);
        fx.load_balancer("shop", true, &["sg-alb"], &[443]);
        fx.sg(
            "sg-web",
            &["tcp 8080 sg-alb", "tcp 8080 0.0.0.0/0", "tcp 22 sg-bastion"],
        );
        fx.sg("sg-bastion", &[]);
        fx.instance("i-web", "subnet-public", &["sg-web"], Some("203.0.113.30"));
        assert_eq!(
            fx.run("SGA205"),
            ["high sg-web: accepts tcp 8080 from 0.0.0.0/0 as well as from load balancer group sg-alb (port 8080): clients can go around the load balancer and its WAF []"]
        );
    }

    #[test]
    fn the_textbook_web_tier_is_fine() {
        let mut fx = TestOrg::new();
        fx.sg("sg-alb", &["tcp 443 0.0.0.0/0", "tcp 80 0.0.0.0/0"]);
        fx.load_balancer("shop", true, &["sg-alb"], &[80, 443]);
        fx.sg("sg-web", &["tcp 80 sg-alb", "tcp 443 sg-alb", "tcp 22 10.0.5.10/32"]);
        fx.instance("i-web", "subnet-private", &["sg-web"], None);
        assert!(fx.run("SGA205").is_empty());
    }
}
