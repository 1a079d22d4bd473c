//! ## What it does
//! With flow-log usage (`assess --usage`, `run --flow-logs`), reports the
//! inbound rules that admitted no traffic in a window during which every
//! interface of their group was watched for at least `[usage] min_days`.
//!
//! ## Why is this bad?
//! The minimum a resource needs is what it uses. A rule that nothing used in a
//! month is the "opened for testing" grant nobody closed, or the leftover of a
//! caller that moved: it only waits for someone who should not use it.

use crate::analyze::checks::*;
use crate::analyze::flows::judge::{self, RuleUse};
use crate::analyze::rules;
use crate::controls;

pub const CHECK: Check = Check {
    meta: CheckMeta {
        id: "SGA505",
        name: "rule-unused",
        question: Question::Q5,
        identity: Identity::Rule,
        title: "Rule not used in the flow logs",
        severity: SeverityRule::Fixed(Severity::Low),
        controls: &[controls::NIST_SC_7_5, controls::NIST_CM_7, controls::PCI_1_2],
        what: "Inbound rules with no accepted connection in the flow-log window, when every interface of the group \
               (instances, load balancers' and databases' own interfaces) had records for at least `[usage] min_days` \
               days (default 30). A flow counts for every rule that admits it, so of two overlapping rules neither is \
               called unused. Replies to connections a resource opened need no inbound rule and are not counted. \
               Rules that admit only the ICMP messages path-MTU discovery needs are left out: their traffic is rare \
               and vital. Without usage data the check does not run; with too little coverage, the rule's use is \
               \"not assessed\" in the reports.",
        why:
            "The guidance asks for the minimum ports and sources a resource needs. Configuration alone cannot say what \
              that is; a month of traffic can. An unused rule is a grant waiting for its first, unintended, user.",
        remediation: "Confirm with the owner that nothing needs it (a yearly batch job or a disaster-recovery path \
                      may not show in a month), then remove it: `aws ec2 revoke-security-group-ingress --group-id \
                      <sg-id> --ip-permissions …` with the rule as listed, or remove it from the code that defines \
                      the group.",
        fix: FixKind::Revoke,
    },
    run: Run::PerRegion(run),
};

fn run(ctx: &RegionCtx, emit: &mut Emit) {
    let Some(usage) = ctx.org.usage else { return };
    let settings = &ctx.config.usage;
    for g in &ctx.groups {
        let Some(entry) = usage.group(ctx.account_id(), ctx.region_name(), g.id()) else {
            continue;
        };
        for rule in rules::ingress(g.sg) {
            if let RuleUse::Unused { days, interfaces } = judge::rule(Some(entry), &rule, settings) {
                let watched = if interfaces == 1 {
                    "its interface".to_string()
                } else {
                    format!("all {interfaces} of its interfaces")
                };
                emit.rule_at(
                    g,
                    &rule,
                    Severity::Low,
                    format!(
                        "{} from {} was not used in {days} days of flow logs covering {watched}",
                        rule.traffic_label(),
                        rule.source_label()
                    ),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::analyze::testing::TestOrg;

    fn org() -> TestOrg {
        let mut fx = TestOrg::new();
        fx.sg(
            "sg-app",
            &["tcp 8080 sg-lb", "tcp 22 10.0.0.0/16", "icmp 3-4 0.0.0.0/0"],
        );
        fx.sg("sg-lb", &[]);
        fx.instance("i-app", "subnet-private", &["sg-app"], None);
        fx
    }

    #[test]
    fn a_rule_nobody_used_in_a_watched_month_is_reported() {
        let mut fx = org();
        fx.usage(30, &[("sg-app", "ingress tcp 8080-8080 sg:sg-lb@111111111111", 1200)]);
        assert_eq!(
            fx.run("SGA505"),
            ["low sg-app: tcp 22 from 10.0.0.0/16 was not used in 30 days of flow logs covering its interface []"]
        );
    }

    #[test]
    fn too_little_coverage_is_not_a_verdict() {
        let mut fx = org();
        fx.usage(12, &[]);
        assert!(fx.run("SGA505").is_empty());
    }

    #[test]
    fn without_usage_data_the_check_is_silent() {
        assert!(org().run("SGA505").is_empty());
    }
}
