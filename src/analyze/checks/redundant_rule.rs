//! ## What it does
//! Flags groups with rules that another rule of the same group, in the same
//! direction, wholly covers: its protocol, every port and every source
//! address. One finding per group, naming the covered rules (they carry no
//! risk of their own: the finding is about reading the group right).
//!
//! ## Why is this bad?
//! It grants nothing, and hides what the group really allows: narrowing the
//! rule that reads as "the SSH rule" changes nothing while the wide one stays.

use crate::analyze::checks::*;
use crate::analyze::rules::{self, Rule, Source};
use crate::controls;
use crate::model::Protocol;

pub const CHECK: Check = Check {
    meta: CheckMeta {
        id: "SGA907",
        name: "redundant-rule",
        question: Question::Hygiene,
        identity: Identity::Subject,
        title: "Rules wholly covered by other rules of the same group",
        severity: SeverityRule::Fixed(Severity::Info),
        controls: &[controls::PCI_1_2],
        what: "Groups with rules that another rule of the same group and direction covers entirely: the same \
               protocol (or all traffic), every port, and a source that holds the rule's (a wider CIDR, the same \
               prefix list, the same group). One finding per group; the first covered rule is its evidence.",
        why: "A covered rule grants nothing. It makes the group read narrower than it is, and removing or tightening \
              it changes nothing while the wide rule stays.",
        remediation:
            "Delete the covered rule, or tighten the rule that covers it if that one is wider than needed (the \
                      finding names both).",
        fix: FixKind::Revoke,
    },
    run: Run::PerRegion(run),
};

/// Whether `wide` admits everything `narrow` admits.
fn covers(wide: &Rule, narrow: &Rule) -> bool {
    let protocol = wide.protocol == Protocol::All || wide.protocol == narrow.protocol;
    let ports = match (wide.ports, narrow.ports) {
        _ if wide.protocol == Protocol::All => true,
        (Some(w), Some(n)) => w.covers(n),
        (None, None) => match (wide.icmp, narrow.icmp) {
            (Some(w), Some(n)) => w.kind.is_none() || (w.kind == n.kind && (w.code.is_none() || w.code == n.code)),
            _ => true,
        },
        _ => false,
    };
    let source = match (wide.source, narrow.source) {
        (Source::Cidr(w), Source::Cidr(n)) => w.contains(&n),
        (Source::PrefixList(w), Source::PrefixList(n)) => w == n,
        (Source::Group(w), Source::Group(n)) => w.group_id == n.group_id && w.user_id == n.user_id,
        _ => false,
    };
    protocol && ports && source
}

fn run(ctx: &RegionCtx, emit: &mut Emit) {
    /// How many covered rules a summary names before "and N more".
    const NAMED: usize = 3;
    for g in ctx.groups.iter().filter(|g| !g.sg.is_default()) {
        let mut covered: Vec<(Rule, Rule)> = Vec::new();
        for list in [rules::ingress(g.sg).collect::<Vec<_>>(), rules::egress(g.sg).collect()] {
            for narrow in &list {
                // Of two identical rules, the later one is the redundant one.
                let Some(wide) = list.iter().find(|w| {
                    w.index != narrow.index && covers(w, narrow) && (!covers(narrow, w) || w.index < narrow.index)
                }) else {
                    continue;
                };
                covered.push((*narrow, *wide));
            }
        }
        let Some((first, _)) = covered.first() else { continue };
        let named: Vec<String> = covered
            .iter()
            .take(NAMED)
            .map(|(narrow, wide)| {
                let (way, word) = if narrow.egress {
                    ("outbound", "to")
                } else {
                    ("inbound", "from")
                };
                format!(
                    "{way} {} {word} {} (inside {} {word} {})",
                    narrow.traffic_label(),
                    narrow.source_label(),
                    wide.traffic_label(),
                    wide.source_label()
                )
            })
            .collect();
        let more = match covered.len().saturating_sub(NAMED) {
            0 => String::new(),
            n => format!(" and {n} more"),
        };
        let summary = format!(
            "{} rule(s) of {} grant nothing that another rule of the group does not: {}{more}",
            covered.len(),
            g.sg.group_name,
            named.join("; ")
        );
        emit.rule(g, first, summary).hint = revoking(ctx, g, covered.iter().map(|(narrow, _)| narrow));
    }
}

#[cfg(test)]
mod tests {
    use crate::analyze::testing::TestOrg;

    #[test]
    fn a_rule_inside_a_wider_one_is_redundant_and_near_misses_are_not() {
        let mut fx = TestOrg::new();
        fx.sg(
            "sg-a",
            &[
                "tcp 22 10.0.1.0/24",
                "tcp 0-1024 10.0.0.0/16",
                "udp 53 10.0.1.0/24",   // another protocol
                "tcp 8080 10.0.1.0/24", // outside the range
                "tcp 443 10.1.0.0/16",  // another network
            ],
        );
        assert_eq!(
            fx.run("SGA907"),
            ["info sg-a: 1 rule(s) of sg-a grant nothing that another rule of the group does not: inbound tcp 22 from 10.0.1.0/24 (inside tcp 0-1024 from 10.0.0.0/16) []"]
        );
    }
}
