//! ## What it does
//! With flow-log usage, proposes a replacement for each rule open to
//! `0.0.0.0/0`, `::/0` or a wide public range on a port that is not a public
//! listener: the fewest prefixes that cover every source actually seen.
//!
//! ## Why is this bad?
//! "Open to the world" is rarely what a rule needs: the SSH rule used by two
//! office addresses, the API used by one partner. The traffic names the
//! minimum, and the replacement is checkable: it covers every flow seen.

use crate::analyze::checks::*;
use crate::analyze::context::Target;
use crate::analyze::flows::judge::{self, RuleUse};
use crate::analyze::rules::{self, Breadth};
use crate::controls;

pub const CHECK: Check = Check {
    meta: CheckMeta {
        id: "SGA506",
        name: "rule-tightenable",
        question: Question::Q5,
        identity: Identity::Rule,
        title: "World-open rule used by a few sources: a tighter replacement",
        severity: SeverityRule::Fixed(Severity::Low),
        controls: &[controls::NIST_SC_7_5, controls::PCI_1_4],
        what: "Inbound rules from `0.0.0.0/0`, `::/0` or a wide public range, on a port other than the configured \
               public ports (`[ports] authorized_public`, 80 and 443 by default) and other than an internet-facing \
               load balancer's listeners, whose flows over at least `[usage] min_days` watched days came from \
               sources that at most `[usage] max_prefixes` prefixes cover, none wider than `[usage] widest_prefix_v4` \
               / `widest_prefix_v6`. The finding lists those prefixes and the share of the rule's flows they \
               account for (all of them, by construction).",
        why: "The guidance's first rule is the minimum grant. When a month of traffic shows who uses a world-open \
              rule, the rule can say exactly that, and the exposure the other findings report goes away.",
        remediation:
            "Replace the rule's source with the prefixes listed (one rule per prefix), after checking with the \
                      owner that no other user is expected (a window with more traffic may show more sources); then \
                      revoke the world-open rule. Where the sources are people, prefer Systems Manager Session \
                      Manager or a VPN to any list of addresses.",
        fix: FixKind::Replace(Placeholder::Cidr),
    },
    run: Run::PerRegion(run),
};

fn run(ctx: &RegionCtx, emit: &mut Emit) {
    let Some(usage) = ctx.org.usage else { return };
    let settings = &ctx.config.usage;
    let public = &ctx.config.ports.authorized_public;
    for g in &ctx.groups {
        let Some(entry) = usage.group(ctx.account_id(), ctx.region_name(), g.id()) else {
            continue;
        };
        for rule in rules::ingress(g.sg) {
            if !matches!(ctx.breadth(&rule), Breadth::Anywhere | Breadth::WidePublic) || rule.icmp.is_some() {
                continue;
            }
            // A public service's own port: its users are the internet.
            let public_port = rule
                .ports
                .is_some_and(|p| public.iter().any(|s| s.is_open_in(rule.protocol, p)) && p.width() == 1);
            let front_door = g.rule_serves_listeners(&rule)
                && g.attachments.iter().any(|a| match a.target {
                    Target::LoadBalancer(lb) => lb.is_internet_facing(),
                    Target::ClassicLoadBalancer(lb) => lb.is_internet_facing(),
                    _ => false,
                });
            if public_port || front_door {
                continue;
            }
            let RuleUse::Used { usage, days } = judge::rule(Some(entry), &rule, settings) else {
                continue;
            };
            let Ok(prefixes) = judge::tightened(usage, days, settings) else {
                continue;
            };
            let list: Vec<String> = prefixes.iter().map(|c| c.to_string()).collect();
            let noun = match prefixes.len() {
                1 => "this prefix accounts".to_string(),
                n => format!("these {n} prefixes account"),
            };
            let perm = Perm::of_rule(&rule, Some(ctx.account_id()));
            let grant = prefixes.iter().map(|c| perm.with_peer(Peer::Cidr(*c))).collect();
            emit.rule_at(
                g,
                &rule,
                Severity::Low,
                format!(
                    "{} from {} is used by {} source{} only: {noun} for 100% of its {} flow{} in {days} days: {}",
                    rule.traffic_label(),
                    rule.source_label(),
                    usage.distinct_sources,
                    if usage.distinct_sources == 1 { "" } else { "s" },
                    usage.flows,
                    if usage.flows == 1 { "" } else { "s" },
                    list.join(", ")
                ),
            )
            .hint = Some(Box::new(Hint {
                grant,
                ..Hint::default()
            }));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::analyze::testing::TestOrg;

    fn org() -> TestOrg {
        let mut fx = TestOrg::new();
        fx.sg(
            "sg-ops",
            &["tcp 22 0.0.0.0/0", "tcp 443 0.0.0.0/0", "tcp 9000 0.0.0.0/0"],
        );
        fx.instance("i-ops", "subnet-public", &["sg-ops"], Some("203.0.113.10"));
        fx
    }

    #[test]
    fn ssh_open_to_the_world_used_by_two_office_addresses_gets_those_two_hosts() {
        let mut fx = org();
        fx.usage_sources(
            30,
            "sg-ops",
            "ingress tcp 22-22 cidr:0.0.0.0/0",
            &[("198.51.100.7", 700), ("203.0.113.20", 504)],
        );
        assert_eq!(
            fx.run("SGA506"),
            [
                "low sg-ops: tcp 22 from 0.0.0.0/0 is used by 2 sources only: these 2 prefixes account for 100% of \
              its 1204 flows in 30 days: 198.51.100.7/32, 203.0.113.20/32 []"
            ]
        );
    }

    #[test]
    fn a_public_port_is_left_to_its_public() {
        let mut fx = org();
        fx.usage_sources(
            30,
            "sg-ops",
            "ingress tcp 443-443 cidr:0.0.0.0/0",
            &[("198.51.100.7", 5)],
        );
        assert!(fx.run("SGA506").is_empty());
    }

    #[test]
    fn too_many_networks_get_no_proposal() {
        let mut fx = org();
        let many: Vec<(String, u64)> = (0..20).map(|i| (format!("198.51.{i}.7"), 1)).collect();
        let many: Vec<(&str, u64)> = many.iter().map(|(a, n)| (a.as_str(), *n)).collect();
        fx.usage_sources(30, "sg-ops", "ingress tcp 9000-9000 cidr:0.0.0.0/0", &many);
        assert!(fx.run("SGA506").is_empty());
    }
}
