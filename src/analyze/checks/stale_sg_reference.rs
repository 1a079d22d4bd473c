//! ## What it does
//! Flags rules that reference a security group that no longer exists: in the
//! same account, or in another account of the snapshot whose region was
//! collected, or across a VPC peering that was deleted.
//!
//! ## Why is this bad?
//! The rule grants nothing today, which hides what it was for; and it makes
//! every review of the group harder to trust.

use crate::analyze::checks::*;
use crate::analyze::rules;
use crate::controls;

pub const CHECK: Check = Check {
    meta: CheckMeta {
        id: "SGA905",
        name: "stale-sg-reference",
        question: Question::Hygiene,
        identity: Identity::Rule,
        title: "Rule references a security group that no longer exists",
        severity: SeverityRule::Fixed(Severity::Low),
        controls: &[controls::PCI_1_2],
        what:
            "Inbound or outbound rules whose source or destination is a group id that is not in the snapshot: in the \
               rule's own account, or in another account whose same region was collected; and references across a VPC \
               peering whose status is `deleted`. References into accounts or regions that were not collected are not \
               judged.",
        why:
            "A stale reference grants nothing, which hides what it was meant for, and makes every review of the group \
              harder to trust. If a new group is later created with access meant for the old one, nobody will notice.",
        remediation:
            "Remove the rule (`aws ec2 describe-stale-security-groups` lists them per VPC), or point it at the \
                      group that replaced the deleted one.",
        fix: FixKind::Revoke,
    },
    run: Run::PerRegion(run),
};

fn run(ctx: &RegionCtx, emit: &mut Emit) {
    let account = ctx.account_id().as_str();
    let region = ctx.region_name().as_str();
    for g in &ctx.groups {
        for rule in rules::ingress(g.sg).chain(rules::egress(g.sg)) {
            let Some(pair) = rule.group_ref() else { continue };
            let Some(id) = pair.group_id.as_ref() else { continue };
            let owner = pair.user_id.as_ref().map(|u| u.as_str()).unwrap_or(account);
            let peering_deleted = pair.peering_status.as_deref() == Some("deleted");
            let missing = ctx.org.was_collected(owner, region) && !ctx.org.group_exists(id.as_str());
            if !peering_deleted && !missing {
                continue;
            }
            let why = if peering_deleted {
                "its VPC peering was deleted"
            } else {
                "that group no longer exists"
            };
            let summary = format!(
                "{} rule references {}: {why}",
                if rule.egress { "outbound" } else { "inbound" },
                rule.source_label()
            );
            emit.rule(g, &rule, summary);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::analyze::testing::TestOrg;

    #[test]
    fn references_to_deleted_groups_are_stale() {
        let mut fx = TestOrg::new();
        fx.sg(
            "sg-a",
            &["tcp 5432 sg-gone", "tcp 443 sg-b", "tcp 443 sg-x@999999999999"],
        );
        fx.sg("sg-b", &[]);
        // 999999999999 is not in the snapshot: not judged.
        assert_eq!(
            fx.run("SGA905"),
            ["low sg-a: inbound rule references sg-gone: that group no longer exists []"]
        );
    }
}
