//! ## What it does
//! Flags security groups of one VPC whose rules are the same, both ways (a
//! reference to the group itself counts as "itself"), as AWS Firewall
//! Manager's audit of redundant groups does: one of them would do.
//!
//! ## Why is this bad?
//! Copies drift: a fix applied to one is missing in the others, and every
//! copy is one more thing to review.

use std::collections::BTreeMap;

use crate::analyze::checks::*;
use crate::analyze::rules::{self, Rule};

pub const CHECK: Check = Check {
    meta: CheckMeta {
        id: "SGA908",
        name: "identical-groups",
        question: Question::Hygiene,
        identity: Identity::Subject,
        title: "Security groups with identical rules in one VPC",
        severity: SeverityRule::Fixed(Severity::Low),
        controls: &[],
        what: "Groups of the same VPC (other than default groups) with at least one inbound rule and exactly the same \
               inbound and outbound rules, a reference to the group itself counting as the same. The first by id is \
               kept; each other is reported, naming it.",
        why:
            "Identical groups are copies: a fix applied to one is missing in the others, and each is one more group to \
              review and keep. AWS Firewall Manager's usage audit reports them as redundant.",
        remediation: "Attach the resources to one of the groups, point references at it, and delete the copies.",
    },
    run: Run::PerRegion(run),
};

/// A rule as a comparable text, its own group's id written as `self`.
fn canonical(rule: &Rule, own: &str) -> String {
    let key = rule.key().canonical();
    match rule.group_ref().and_then(|p| p.group_id.as_ref()) {
        Some(id) if id.as_str() == own => key.replace(id.as_str(), "self"),
        _ => key,
    }
}

fn run(ctx: &RegionCtx, emit: &mut Emit) {
    let mut alike: BTreeMap<(Option<&str>, Vec<String>), Vec<&Group>> = BTreeMap::new();
    for g in ctx.groups.iter().filter(|g| !g.sg.is_default()) {
        if rules::ingress(g.sg).next().is_none() {
            continue;
        }
        let own = g.id().as_str();
        let mut rules: Vec<String> = rules::ingress(g.sg)
            .chain(rules::egress(g.sg))
            .map(|r| {
                format!(
                    "{}{}",
                    canonical(&r, own),
                    r.icmp.map(|i| format!(" {i:?}")).unwrap_or_default()
                )
            })
            .collect();
        rules.sort();
        alike
            .entry((g.sg.vpc_id.as_ref().map(|v| v.as_str()), rules))
            .or_default()
            .push(g);
    }
    for ((_, rules), mut groups) in alike.into_iter().filter(|(_, g)| g.len() > 1) {
        groups.sort_by_key(|g| g.id());
        let kept = groups[0];
        for g in &groups[1..] {
            let summary = format!(
                "{} has the same {} rule(s) as {}: one group would do",
                g.sg.group_name,
                rules.len(),
                kept.label()
            );
            emit.group(g, summary);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::analyze::testing::TestOrg;

    #[test]
    fn copies_in_one_vpc_are_reported_once_each_the_first_kept() {
        let mut fx = TestOrg::new();
        fx.sg("sg-a", &["tcp 443 10.0.0.0/16", "all - sg-a", "egress all - 0.0.0.0/0"]);
        fx.sg("sg-b", &["all - sg-b", "tcp 443 10.0.0.0/16", "egress all - 0.0.0.0/0"]);
        fx.sg("sg-c", &["tcp 443 10.0.0.0/16"]); // no outbound rule: not the same
        fx.sg("sg-empty-1", &["egress all - 0.0.0.0/0"]);
        fx.sg("sg-empty-2", &["egress all - 0.0.0.0/0"]); // no inbound rule: placeholders
        assert_eq!(
            fx.run("SGA908"),
            ["low sg-b: sg-b has the same 3 rule(s) as sg-a (sg-a): one group would do []"]
        );
    }
}
