//! ## What it does
//! Flags security groups of one VPC whose rules are the same, both ways (a
//! reference to the group itself counts as "itself"), as AWS Firewall
//! Manager's audit of redundant groups does: one of them would do.
//!
//! ## Why is this bad?
//! Copies drift: a fix applied to one is missing in the others, and every
//! copy is one more thing to review.

use std::collections::HashMap;

use crate::analyze::checks::*;
use crate::analyze::finding::{RuleKey, SourceKey};
use crate::analyze::rules::{self, Rule};
use crate::controls;
use crate::model::SecurityGroupId;

pub const CHECK: Check = Check {
    meta: CheckMeta {
        id: "SGA908",
        name: "identical-groups",
        question: Question::Hygiene,
        identity: Identity::Subject,
        title: "Security groups with identical rules in one VPC",
        severity: SeverityRule::Fixed(Severity::Low),
        controls: &[controls::PCI_1_2],
        what: "Groups of the same VPC (other than default groups) with at least one inbound rule and exactly the same \
               inbound and outbound rules, a reference to the group itself counting as the same. The first by id is \
               kept; each other is reported, naming it.",
        why:
            "Identical groups are copies: a fix applied to one is missing in the others, and each is one more group to \
              review and keep. AWS Firewall Manager's usage audit reports them as redundant.",
        remediation: "Attach the resources to one of the groups, point references at it, and delete the copies.",
        fix: FixKind::Manual(
            "attach the resources to one of the groups, point references at it, then delete the copies",
        ),
    },
    run: Run::PerRegion(run),
};

/// A rule as a comparable value, a reference to its own group written as
/// "itself" (no id), and the ICMP type and code it admits.
fn canonical(rule: &Rule, own: &SecurityGroupId) -> Canonical {
    let mut key = rule.key();
    if let SourceKey::Group { id, account, peering } = &mut key.source {
        if id.as_ref() == Some(own) && peering.is_none() {
            *id = None;
            *account = None;
        }
    }
    (key, rule.icmp.map(|i| (i.kind, i.code)))
}

/// A rule's key and the ICMP type and code it admits.
type Canonical = (RuleKey, Option<(Option<u8>, Option<u8>)>);

type Rules = Vec<Canonical>;

/// An order-independent hash of a group's canonical rules: groups with
/// different signatures cannot be copies, so only the few that share one are
/// sorted and compared rule by rule.
fn signature(g: &Group) -> (usize, u64) {
    use std::hash::{Hash, Hasher};
    let own = g.id();
    let mut count = 0;
    let mut sum: u64 = 0;
    for r in rules::ingress(g.sg).chain(rules::egress(g.sg)) {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        canonical(&r, own).hash(&mut h);
        sum = sum.wrapping_add(h.finish());
        count += 1;
    }
    (count, sum)
}

fn run(ctx: &RegionCtx, emit: &mut Emit) {
    let mut candidates: HashMap<(Option<&str>, usize, u64), Vec<&Group>> = HashMap::new();
    for g in ctx.groups.iter().filter(|g| !g.sg.is_default()) {
        if rules::ingress(g.sg).next().is_none() {
            continue;
        }
        let (count, sum) = signature(g);
        candidates
            .entry((g.sg.vpc_id.as_ref().map(|v| v.as_str()), count, sum))
            .or_default()
            .push(g);
    }
    let mut alike: HashMap<(Option<&str>, Rules), Vec<&Group>> = HashMap::new();
    for g in candidates.into_values().filter(|c| c.len() > 1).flatten() {
        let own = g.id();
        let mut rules: Rules = rules::ingress(g.sg)
            .chain(rules::egress(g.sg))
            .map(|r| canonical(&r, own))
            .collect();
        rules.sort();
        alike
            .entry((g.sg.vpc_id.as_ref().map(|v| v.as_str()), rules))
            .or_default()
            .push(g);
    }
    let mut copies: Vec<(usize, Vec<&Group>)> = alike
        .into_iter()
        .filter(|(_, g)| g.len() > 1)
        .map(|((_, rules), groups)| (rules.len(), groups))
        .collect();
    for (_, groups) in &mut copies {
        groups.sort_by_key(|g| g.id());
    }
    copies.sort_by(|a, b| a.1[0].id().cmp(b.1[0].id()));
    for (count, groups) in copies {
        let kept = groups[0];
        for g in &groups[1..] {
            let summary = format!(
                "{} has the same {count} rule(s) as {}: one group would do",
                g.sg.group_name,
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
