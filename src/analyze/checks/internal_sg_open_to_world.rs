//! ## What it does
//! Flags groups attached only to internal resources (private instances,
//! internal load balancers, databases that are not public, other internal
//! interfaces) that accept traffic from `0.0.0.0/0` or `::/0`.
//!
//! ## Why is this bad?
//! "Anywhere" on an internal service means anyone who reaches the network:
//! every VPC peer, VPN user and compromised workload. It also turns into a
//! real internet exposure the day someone adds a public IP or an
//! internet-facing load balancer.

use crate::analyze::checks::*;
use crate::analyze::context::Target;
use crate::analyze::rules;
use crate::controls;

pub const CHECK: Check = Check {
    meta: CheckMeta {
        id: "SGA201",
        name: "internal-sg-open-to-world",
        question: Question::Q2,
        identity: Identity::Rule,
        title: "Internal resource accepts traffic from anywhere",
        severity: SeverityRule::Fixed(Severity::Medium),
        controls: &[controls::NIST_SC_7, controls::NIST_AC_4, controls::PCI_1_3, controls::ISO_8_21],
        what: "Groups whose attachments are all internal (no public address routed to an internet gateway, no \
               internet-facing load balancer, no publicly accessible database) with an inbound rule from `0.0.0.0/0`, \
               `::/0` or a prefix list holding one of them.",
        why: "On an internal service, \"anywhere\" means everyone who can reach the network: peered VPCs, VPN users, any \
              compromised workload. It becomes a true internet exposure the day a public IP or an internet-facing load \
              balancer is added. This is the guidance's own question; the usual controls do not ask it.",
        remediation: "Replace the source with the security group of the tier that calls this one (for example the web \
                      tier's group for an application tier), or with the VPC or VPN CIDR if people call it directly.",
        fix: FixKind::Replace(Placeholder::CallerGroup),
    },
    run: Run::PerRegion(run),
};

fn run(ctx: &RegionCtx, emit: &mut Emit) {
    // Groups whose resources the internet does not reach (or not provably):
    // a rule from anywhere that is moot on an internet-facing resource (an
    // IPv6 rule on an IPv4-only load balancer) is not an internal application.
    for g in ctx
        .groups
        .iter()
        .filter(|g| g.is_attached() && g.exposure != Exposure::InternetExposed)
    {
        for rule in rules::ingress(g.sg) {
            // An internet-facing load balancer's own listeners are its front
            // door, whatever reachability could verify.
            let front_door = g.rule_serves_listeners(&rule)
                && g.attachments.iter().all(|a| match a.target {
                    Target::LoadBalancer(lb) => lb.is_internet_facing(),
                    Target::ClassicLoadBalancer(lb) => lb.is_internet_facing(),
                    _ => false,
                });
            // ICMP is SGA207's, at low: it opens no service.
            if !ctx.is_anywhere(&rule) || front_door || rule.icmp.is_some() {
                continue;
            }
            let reach = g.rule_reach(&rule);
            let exposure = g.exposure_for(reach);
            if exposure == Exposure::InternetExposed {
                continue;
            }
            let mut kinds: Vec<String> = g.attachments.iter().map(|a| a.target.kind()).collect();
            kinds.sort();
            kinds.dedup();
            let how = match (exposure, reach) {
                (Exposure::Unknown, _) => ", whose reachability from the internet is unverified".to_string(),
                (_, Some(r)) => match &r.blocked_by {
                    Some(b) => format!(", which the internet does not reach ({b})"),
                    None => String::new(),
                },
                _ => String::new(),
            };
            let summary = format!(
                "{} from {} on a group attached only to internal resources ({}){how}",
                rule.traffic_label(),
                rule.source_label(),
                kinds.join(", ")
            );
            emit.rule(g, &rule, summary);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::analyze::testing::TestOrg;

    #[test]
    fn an_internal_load_balancer_open_to_anywhere_is_flagged() {
        let mut fx = TestOrg::new();
        fx.sg("sg-int-alb", &["tcp 443 0.0.0.0/0"]);
        fx.load_balancer("int-api", false, &["sg-int-alb"], &[443]);
        assert_eq!(
            fx.run("SGA201"),
            ["medium sg-int-alb: tcp 443 from 0.0.0.0/0 on a group attached only to internal resources (application load balancer), which the internet does not reach (an internal load balancer has no public address) []"]
        );
    }

    #[test]
    fn a_private_instance_open_to_anywhere_is_flagged() {
        let mut fx = TestOrg::new();
        fx.sg("sg-app", &["tcp 8080 ::/0"]);
        fx.instance("i-app", "subnet-private", &["sg-app"], None);
        assert_eq!(fx.run("SGA201").len(), 1);
    }

    #[test]
    fn public_and_unattached_groups_and_narrow_sources_are_not_this_check() {
        let mut fx = TestOrg::new();
        fx.sg("sg-alb", &["tcp 443 0.0.0.0/0"]);
        fx.load_balancer("shop", true, &["sg-alb"], &[443]);
        fx.sg("sg-spare", &["tcp 443 0.0.0.0/0"]);
        fx.sg("sg-app", &["tcp 8080 sg-alb", "tcp 8080 10.0.0.0/16"]);
        fx.instance("i-app", "subnet-private", &["sg-app"], None);
        assert!(fx.run("SGA201").is_empty());
    }

    #[test]
    fn a_public_ip_in_a_subnet_without_internet_route_is_internal() {
        // A VPC without an internet gateway beside one that has it: the public
        // IP alone does not make the instance reachable.
        let mut fx = TestOrg::new();
        fx.isolated_vpc("vpc-iso", "172.31.0.0/16", "subnet-iso");
        fx.sg("sg-iso", &["tcp 80 0.0.0.0/0"]);
        fx.instance("i-iso", "subnet-iso", &["sg-iso"], Some("198.51.100.9"));
        assert_eq!(fx.run("SGA201").len(), 1);
    }
}
