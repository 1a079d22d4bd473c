//! ## What it does
//! Lists inbound ICMP and ICMPv6 rules from `0.0.0.0/0`, `::/0` or a prefix
//! list holding them, at low severity, with the message types they admit.
//! The messages that path-MTU discovery needs (ICMP destination unreachable /
//! fragmentation needed, type 3 code 4; ICMPv6 packet too big, type 2) are
//! never reported: AWS recommends allowing them.
//!
//! ## Why is this bad?
//! Echo from anywhere tells every scanner the host is up; other types
//! (redirects, timestamps, all of ICMP) give away more and are rarely needed
//! from the whole internet. None of it opens a service, hence low.

use crate::analyze::checks::*;
use crate::analyze::rules;
use crate::controls;
use crate::model::Protocol;

pub const CHECK: Check = Check {
    meta: CheckMeta {
        id: "SGA207",
        name: "icmp-from-anywhere",
        question: Question::Q2,
        identity: Identity::Rule,
        title: "ICMP accepted from anywhere",
        severity: SeverityRule::Fixed(Severity::Low),
        controls: &[controls::NIST_SC_7, controls::PCI_1_4],
        what: "Inbound `icmp` and `icmpv6` rules from `0.0.0.0/0`, `::/0` or a prefix list holding them, with the \
               message types they admit. What path-MTU discovery needs (ICMP type 3 code 4, fragmentation needed; \
               ICMPv6 type 2, packet too big) is never reported: blocking it breaks connections whose packets are too \
               large for a link on the way.",
        why: "Echo from anywhere confirms to every scanner that the host is up; other types reveal more (timestamps, \
              address masks) or steer traffic (redirects). It opens no service, which is why it is low.",
        remediation: "Narrow the rule to the message types that are needed (for most hosts: ICMP type 3 code 4 and \
                      ICMPv6 type 2 from anywhere, echo only from the monitoring systems' ranges).",
        fix: FixKind::Replace(Placeholder::Cidr),
    },
    run: Run::PerRegion(run),
};

fn run(ctx: &RegionCtx, emit: &mut Emit) {
    for g in &ctx.groups {
        for rule in rules::ingress(g.sg) {
            let Some(icmp) = rule.icmp else { continue };
            if !ctx.is_anywhere(&rule) || icmp.is_path_mtu(rule.protocol) {
                continue;
            }
            let what = if icmp.is_echo_only(rule.protocol) {
                "ping from anywhere: every scanner learns the host is up".to_string()
            } else {
                format!("admits {}", icmp.label(rule.protocol))
            };
            let family = if rule.protocol == Protocol::Icmpv6 {
                "ICMPv6"
            } else {
                "ICMP"
            };
            let summary = format!(
                "{family} {} from {}: {what}",
                icmp.label(rule.protocol),
                rule.source_label()
            );
            // What stays open to the same source: the messages path-MTU discovery needs.
            let pmtu = Perm {
                icmp: Some(if rule.protocol == Protocol::Icmpv6 {
                    (Some(2), None)
                } else {
                    (Some(3), Some(4))
                }),
                ..Perm::of_rule(&rule, Some(ctx.account_id()))
            };
            emit.rule(g, &rule, summary).hint = Some(Box::new(Hint {
                grant: vec![pmtu],
                ..Hint::default()
            }));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::analyze::testing::TestOrg;

    #[test]
    fn path_mtu_discovery_from_anywhere_is_never_a_finding_and_echo_is_low() {
        let mut fx = TestOrg::new();
        fx.sg(
            "sg-web",
            &[
                "icmp 3-4 0.0.0.0/0",
                "icmpv6 2 ::/0",
                "icmp 8 0.0.0.0/0",
                "icmp - 0.0.0.0/0",
                "icmp 8 10.0.0.0/8",
            ],
        );
        fx.instance("i-1", "subnet-public", &["sg-web"], Some("54.12.3.30"));
        assert_eq!(
            fx.run("SGA207"),
            [
                "low sg-web: ICMP type 8 (echo request) from 0.0.0.0/0: ping from anywhere: every scanner learns the host is up []",
                "low sg-web: ICMP all types from 0.0.0.0/0: admits all types []",
            ]
        );
        // and no other check takes them for an open service
        let a = fx.assess();
        assert!(
            a.findings
                .iter()
                .all(|f| !f.summary.contains("type 3 code 4") && !f.summary.contains("type 2")),
            "{:#?}",
            a.findings.iter().map(|f| &f.summary).collect::<Vec<_>>()
        );
    }
}
