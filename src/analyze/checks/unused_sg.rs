//! ## What it does
//! Reports security groups that nothing uses: attached to no network interface
//! of any kind, no load balancer, no database, and referenced by no other
//! group's rule anywhere in the snapshot.
//!
//! ## Why is this bad?
//! An unused group is a latent grant: the day someone picks it from a list
//! because its name looks right, its forgotten rules go live.

use crate::analyze::checks::*;
use crate::controls;
use crate::model::Service;

pub const CHECK: Check = Check {
    meta: CheckMeta {
        id: "SGA901",
        name: "unused-sg",
        question: Question::Hygiene,
        identity: Identity::Subject,
        title: "Unused security group",
        severity: SeverityRule::Fixed(Severity::Low),
        controls: &[controls::EC2_22, controls::NIST_CM_7, controls::PCI_1_2],
        what: "Groups other than VPC defaults with no attachment (no network interface of any interface type, including \
               Lambda, ECS tasks, VPC endpoints and load balancers' own interfaces; no load balancer; no RDS instance or \
               cluster) that no other group's rule references, in any account of the snapshot. Regions where EC2, \
               ELBv2 or RDS data is incomplete are skipped: absence there proves nothing.",
        why: "Unused groups accumulate, and each is a latent grant: the day someone attaches it because its name looks \
              right, its forgotten rules are live. Security Hub retired EC2.22 from its standard in 2023, but the \
              hygiene point stands.",
        remediation: "Delete it: `aws ec2 delete-security-group --group-id <sg-id>`. If it is kept for a future use, \
                      define it in code with that use in its description.",
        fix: FixKind::DeleteGroup,
    },
    run: Run::PerRegion(run),
};

fn run(ctx: &RegionCtx, emit: &mut Emit) {
    // A group may be in use where sgaudit did not look: on interfaces, load
    // balancers or databases that were not read, or referenced by a group
    // of an account that was not collected. Then "unused" cannot be said.
    if [Service::Ec2, Service::Elb, Service::Elbv2, Service::Rds]
        .into_iter()
        .any(|s| ctx.region.has_gap(s))
        || ctx.org.references_unseen(ctx.region_name().as_str()).is_some()
    {
        return;
    }
    for g in ctx.groups.iter().filter(|g| !g.is_attached() && !g.sg.is_default()) {
        if ctx.org.is_referenced(g.id()) {
            continue;
        }
        emit.group(
            g,
            format!(
                "{} is attached to nothing and referenced by no other group",
                g.sg.group_name
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::analyze::testing::TestOrg;

    #[test]
    fn a_group_nothing_uses_is_reported() {
        let mut fx = TestOrg::new();
        fx.sg("sg-old", &["tcp 22 10.0.0.0/16"]);
        assert_eq!(
            fx.run("SGA901"),
            ["low sg-old: sg-old is attached to nothing and referenced by no other group [EC2.22]"]
        );
    }

    /// docs/false-alarms.md: each of these is in use.
    #[test]
    fn groups_in_use_in_any_way_are_not_unused() {
        let mut fx = TestOrg::new();
        fx.sg("sg-referenced", &[]);
        fx.sg("sg-caller", &["tcp 5432 sg-referenced"]);
        fx.instance("i-caller", "subnet-private", &["sg-caller"], None);
        fx.sg("sg-lambda", &[]);
        fx.interface("eni-lambda", "lambda", "subnet-private", &["sg-lambda"]);
        fx.sg("sg-endpoint", &[]);
        fx.interface("eni-vpce", "vpc_endpoint", "subnet-private", &["sg-endpoint"]);
        fx.sg("sg-ecs", &[]);
        fx.interface("eni-task", "interface", "subnet-private", &["sg-ecs"]);
        fx.sg("sg-lb", &[]);
        fx.load_balancer("lb", false, &["sg-lb"], &[443]);
        fx.sg("sg-rds", &[]);
        fx.rds("db", false, 5432, &["sg-rds"]);
        fx.sg("sg-stopped", &[]);
        fx.instance("i-stopped", "subnet-private", &["sg-stopped"], None);
        fx.stop("i-stopped");
        fx.sg("sg-default", &[]);
        fx.rename("sg-default", "default", "default VPC security group");
        assert_eq!(fx.run("SGA901"), Vec::<String>::new());
    }

    #[test]
    fn a_group_referenced_from_another_account_is_in_use() {
        let mut fx = TestOrg::new();
        fx.sg("sg-shared", &[]);
        fx.second_account_sg("sg-remote", &["tcp 443 sg-shared@111111111111"]);
        // sg-remote itself is unused; sg-shared is not.
        let found = fx.run("SGA901");
        assert_eq!(found.len(), 1);
        assert!(found[0].starts_with("low sg-remote"), "{found:?}");
    }

    #[test]
    fn incomplete_regions_are_not_judged() {
        let mut fx = TestOrg::new();
        fx.sg("sg-old", &[]);
        fx.gap(crate::model::Service::Elbv2, "DescribeLoadBalancers");
        assert!(fx.run("SGA901").is_empty());
    }
}
