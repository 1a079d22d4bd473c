//! ## What it does
//! Lists security groups that carry no infrastructure-as-code marker (a
//! CloudFormation stack tag or a configured IaC tag): a governance signal,
//! at info (low when the group is internet-exposed). A group that shows signs
//! of being made by hand in a console (`launch-wizard-3`, the RDS console's
//! description) is a medium finding. Q4's score is the share of groups
//! defined in code, whatever these severities.
//!
//! ## Why is this bad?
//! A group defined in code is reviewed before it changes and can be restored;
//! a group clicked together in a console is neither, which is how "I'll
//! restrict that later" rules are born.

use crate::analyze::checks::*;
use crate::controls;

pub const CHECK: Check = Check {
    meta: CheckMeta {
        id: "SGA401",
        name: "sg-outside-iac",
        question: Question::Q4,
        identity: Identity::Subject,
        title: "Security group defined outside infrastructure as code",
        severity: SeverityRule::Described(
            "medium with a hand-made marker (launch-wizard-N, a console's description); otherwise info, low when \
             the group is internet-exposed",
        ),
        controls: &[controls::PCI_1_2, controls::SOC2_CC6_1],
        what: "Security groups, other than VPC default groups, with none of the tags in `[governance] iac_tags` \
               (CloudFormation's own stack tags, and `managed-by = terraform` and the like). Groups that an AWS \
               service creates and tags (`aws:` tag keys, such as EKS's) are not reported. A missing tag is a \
               governance signal, not a network risk: it is listed at info (low when the group is internet-exposed) \
               and counts in Q4's share of groups defined in code. A hand-made marker (`[governance] \
               hand_made_markers`: `launch-wizard-`, console descriptions) makes it a medium finding.",
        why: "The guidance asks who defines security groups and under what control. A group in code goes through review \
              and version control, and can be rebuilt; a group made in a console has no reviewer and no history, and \
              is where temporary rules stay forever. The training half of the question cannot be seen in AWS: it comes \
              from the attestations in the config, and without one Q4 is reported as not assessed.",
        remediation: "Import the group into your infrastructure code (`terraform import`, CloudFormation resource import) \
                      or replace it with one defined there, tag it with your IaC marker, and restrict console changes to \
                      security groups with an SCP or IAM policy so that changes go through review.",
        fix: FixKind::Codify,
    },
    run: Run::PerRegion(run),
};

fn run(ctx: &RegionCtx, emit: &mut Emit) {
    let gov = &ctx.config.governance;
    let markers: Vec<(String, &String)> = gov.hand_made_markers.iter().map(|m| (m.to_lowercase(), m)).collect();
    for g in ctx.groups.iter().filter(|g| !g.sg.is_default()) {
        if gov.is_iac(&g.sg.tags) {
            continue;
        }
        let name = g.sg.group_name.to_lowercase();
        let description = g.sg.description.to_lowercase();
        let marker = markers
            .iter()
            .find(|(lower, _)| name.contains(lower.as_str()) || description.contains(lower.as_str()));
        let summary = match marker {
            Some((_, m)) => format!(
                "{} has no infrastructure-as-code tag and was made in a console (\"{m}\")",
                g.sg.group_name
            ),
            None => format!("{} has no infrastructure-as-code tag", g.sg.group_name),
        };
        let severity = match marker {
            Some(_) => Severity::Medium,
            None if g.exposure.counts_as_exposed() => Severity::Low,
            None => Severity::Info,
        };
        emit.group_at(g, severity, summary);
    }
}

#[cfg(test)]
mod tests {
    use crate::analyze::testing::TestOrg;
    use crate::model::Tag;

    #[test]
    fn a_group_merely_without_a_tag_is_a_signal_not_a_risk() {
        let mut fx = TestOrg::new();
        fx.sg("sg-app", &["tcp 8080 sg-web"]);
        fx.sg("sg-web", &["tcp 443 0.0.0.0/0"]);
        fx.instance("i-app", "subnet-private", &["sg-app"], None);
        fx.instance("i-web", "subnet-public", &["sg-web"], Some("54.12.3.20"));
        assert_eq!(
            fx.run("SGA401"),
            [
                "info sg-app: sg-app has no infrastructure-as-code tag []",
                "low sg-web: sg-web has no infrastructure-as-code tag []",
            ]
        );
    }

    #[test]
    fn console_made_groups_are_named_as_such() {
        let mut fx = TestOrg::new();
        fx.sg("sg-wiz", &[]);
        fx.rename(
            "sg-wiz",
            "launch-wizard-3",
            "launch-wizard-3 created 2024-02-01T10:00:00Z",
        );
        fx.instance("i-1", "subnet-private", &["sg-wiz"], None);
        assert_eq!(
            fx.run("SGA401"),
            ["medium sg-wiz: launch-wizard-3 has no infrastructure-as-code tag and was made in a console (\"launch-wizard-\") []"]
        );
    }

    #[test]
    fn stack_tags_and_service_tags_count_as_managed_and_defaults_are_skipped() {
        let mut fx = TestOrg::new();
        fx.sg("sg-cfn", &[]);
        fx.tag_sg(
            "sg-cfn",
            Tag {
                key: "aws:cloudformation:stack-name".into(),
                value: "shop".into(),
            },
        );
        fx.sg("sg-tf", &[]);
        fx.tag_sg(
            "sg-tf",
            Tag {
                key: "managed-by".into(),
                value: "Terraform".into(),
            },
        );
        fx.sg("sg-eks", &[]);
        fx.tag_sg(
            "sg-eks",
            Tag {
                key: "aws:eks:cluster-name".into(),
                value: "k".into(),
            },
        );
        fx.sg("sg-default", &[]);
        fx.rename("sg-default", "default", "default VPC security group");
        assert!(fx.run("SGA401").is_empty());
    }
}
