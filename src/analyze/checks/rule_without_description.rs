//! ## What it does
//! Reports groups with inbound rules that have no description.
//!
//! ## Why is this bad?
//! Six months later nobody knows why `203.0.113.7/32` may reach port 22, so
//! nobody dares to remove it. A description is the cheapest review record.

use crate::analyze::checks::*;
use crate::analyze::rules;
use crate::controls;

pub const CHECK: Check = Check {
    meta: CheckMeta {
        id: "SGA904",
        name: "rule-without-description",
        question: Question::Hygiene,
        identity: Identity::Subject,
        title: "Inbound rules without a description",
        severity: SeverityRule::Fixed(Severity::Info),
        controls: &[controls::PCI_1_2, controls::SOC2_CC6_1],
        what: "Groups other than VPC defaults with inbound rules (one per source) that carry no description. A group's \
               reference to itself is not counted. One finding per group, with the first such rule as evidence.",
        why: "A rule without a description cannot be reviewed: months later nobody knows who needed it or why, so nobody \
              dares remove it. The description is the cheapest review record there is.",
        remediation: "Describe each rule with who needs it and why, and a ticket if there is one \
                      (`aws ec2 update-security-group-rule-descriptions-ingress`, or the `description` field in your \
                      infrastructure code).",
        fix: FixKind::Describe,
    },
    run: Run::PerRegion(run),
};

fn run(ctx: &RegionCtx, emit: &mut Emit) {
    for g in ctx.groups.iter().filter(|g| !g.sg.is_default()) {
        let all: Vec<rules::Rule> = rules::ingress(g.sg).filter(|r| !r.is_self_reference(g.sg)).collect();
        let missing: Vec<&rules::Rule> = all.iter().filter(|r| r.description.is_none()).collect();
        let Some(first) = missing.first() else { continue };
        let summary = format!(
            "{} of {} inbound rule(s) of {} have no description",
            missing.len(),
            all.len(),
            g.sg.group_name
        );
        emit.rule(g, first, summary).hint = revoking(ctx, g, missing.iter().copied());
    }
}

#[cfg(test)]
mod tests {
    use crate::analyze::testing::TestOrg;

    #[test]
    fn undescribed_rules_are_counted_per_group() {
        let mut fx = TestOrg::new();
        fx.sg(
            "sg-a",
            &["tcp 443 10.0.0.0/16 desc=clients", "tcp 22 10.0.5.5/32", "all - sg-a"],
        );
        fx.sg("sg-b", &["tcp 443 10.0.0.0/16 desc=clients"]);
        assert_eq!(
            fx.run("SGA904"),
            ["info sg-a: 1 of 2 inbound rule(s) of sg-a have no description []"]
        );
    }
}
