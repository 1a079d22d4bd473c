//! ## What it does
//! Flags a VPC's default security group when it has any inbound or outbound
//! rule.
//!
//! ## Why is this bad?
//! Resources launched without a group choice land in the default group. If it
//! allows traffic, they get that access without anyone deciding it.

use crate::analyze::checks::*;
use crate::controls;

pub const CHECK: Check = Check {
    meta: CheckMeta {
        id: "SGA902",
        name: "default-sg-has-rules",
        question: Question::Hygiene,
        identity: Identity::Subject,
        title: "Default security group allows traffic",
        severity: SeverityRule::ByExposure {
            internet: Severity::High,
            internal: Severity::High,
            unattached: Severity::Medium,
        },
        controls: &[
            controls::EC2_2,
            controls::VPC_DEFAULT_SECURITY_GROUP_CLOSED,
            controls::CIS3_5_4,
            controls::CIS4_5_5,
            controls::CIS5_5_5,
            controls::NIST_SC_7_5,
            controls::ISO_8_22,
        ],
        what:
            "The `default` group of a VPC with any inbound or outbound rule (AWS creates it with an inbound rule from \
               itself and an outbound rule to anywhere).",
        why: "Anything launched without an explicit group lands in the default group, and inherits its rules without \
              anyone deciding it. Keeping it empty makes every grant deliberate.",
        remediation: "Move attached resources to purpose-made groups, then remove every rule of the default group \
                      (`aws ec2 revoke-security-group-ingress` / `revoke-security-group-egress` with the rules shown). \
                      The group itself cannot be deleted.",
        fix: FixKind::RevokeAll,
    },
    run: Run::PerRegion(run),
};

fn run(ctx: &RegionCtx, emit: &mut Emit) {
    for g in ctx.groups.iter().filter(|g| g.sg.is_default()) {
        let inbound = crate::analyze::rules::ingress(g.sg).count();
        let outbound = crate::analyze::rules::egress(g.sg).count();
        if inbound + outbound == 0 {
            continue;
        }
        let vpc =
            g.sg.vpc_id
                .as_ref()
                .map(|v| v.to_string())
                .unwrap_or_else(|| "its VPC".into());
        let attached = if g.is_attached() {
            format!("; {} resource(s) use it", g.resource_ids().len())
        } else {
            String::new()
        };
        let summary = format!("default group of {vpc} has {inbound} inbound and {outbound} outbound rule(s){attached}");
        let first = crate::analyze::rules::ingress(g.sg)
            .chain(crate::analyze::rules::egress(g.sg))
            .next();
        emit.group(g, summary).rule = first.map(|r| r.evidence());
    }
}

#[cfg(test)]
mod tests {
    use crate::analyze::testing::TestOrg;

    #[test]
    fn a_default_group_with_rules_is_reported_and_an_empty_one_is_not() {
        let mut fx = TestOrg::new();
        fx.sg("sg-default", &["all - sg-default", "egress all - 0.0.0.0/0"]);
        fx.rename("sg-default", "default", "default VPC security group");
        fx.instance("i-1", "subnet-private", &["sg-default"], None);
        assert_eq!(
            fx.run("SGA902"),
            ["high sg-default: default group of vpc-main has 1 inbound and 1 outbound rule(s); 1 resource(s) use it [EC2.2 vpc-default-security-group-closed 5.4 5.5 5.5]"]
        );
        let mut fx = TestOrg::new();
        fx.sg("sg-default", &[]);
        fx.rename("sg-default", "default", "default VPC security group");
        assert!(fx.run("SGA902").is_empty());
    }
}
