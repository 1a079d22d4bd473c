//! ## What it does
//! Flags running instances that Systems Manager does not manage (they are
//! absent from `DescribeInstanceInformation`). Regions where the Systems
//! Manager data could not be collected are skipped, and their instances are
//! counted as not assessed.
//!
//! ## Why is this bad?
//! Without Systems Manager, administrators need an inbound port and a key or
//! password to reach the instance; with it, Session Manager and Fleet Manager
//! give audited shell and desktop access with no port open at all.

use crate::analyze::checks::*;
use crate::controls;

pub const CHECK: Check = Check {
    meta: CheckMeta {
        id: "SGA301",
        name: "instance-not-managed-by-ssm",
        question: Question::Q3,
        identity: Identity::Subject,
        title: "Running instance not managed by Systems Manager",
        severity: SeverityRule::Fixed(Severity::Medium),
        controls: &[controls::SSM_1, controls::SOC2_CC6_1],
        what: "Running EC2 instances that are not in Systems Manager's inventory of managed instances \
               (`DescribeInstanceInformation`). Regions whose Systems Manager data is missing from the snapshot are not \
               judged.",
        why: "An instance that Systems Manager does not manage can only be administered over an inbound port with keys or \
              passwords. Session Manager and Fleet Manager give audited shell, PowerShell and file access with no \
              inbound port open, which is what the guidance recommends.",
        remediation: "Give the instance an instance profile with the `AmazonSSMManagedInstanceCore` policy (or turn on \
                      Default Host Management Configuration for the account), make sure the SSM agent runs (it is \
                      preinstalled on Amazon Linux and Windows AMIs), and that the instance reaches the Systems Manager \
                      endpoints (a NAT gateway or `ssm`, `ssmmessages` and `ec2messages` VPC endpoints).",
        fix: FixKind::SsmManage,
    },
    run: Run::PerRegion(run),
};

fn run(ctx: &RegionCtx, emit: &mut Emit) {
    if !ctx.ssm_known() {
        return;
    }
    for instance in ctx.region.instances.iter().filter(|i| i.is_running()) {
        if ctx.is_ssm_managed(&instance.instance_id) {
            continue;
        }
        let (exposure, reach) = ctx.instance_exposure(&instance.instance_id);
        let name = instance.name().map(|n| format!(" ({n})")).unwrap_or_default();
        let summary = format!(
            "running instance {}{name} is not managed by Systems Manager: administering it needs an open port and keys",
            instance.instance_id
        );
        let f = emit.finding(
            Subject::Instance(instance.instance_id.clone()),
            Severity::Medium,
            Some(exposure),
            summary,
        );
        f.resource_ids = ResourceIds::one(instance.instance_id.as_str());
        f.reachability = reach.map(|r| std::sync::Arc::new(r.record()));
    }
}

#[cfg(test)]
mod tests {
    use crate::analyze::testing::TestOrg;

    #[test]
    fn unmanaged_running_instances_are_reported() {
        let mut fx = TestOrg::new();
        fx.sg("sg-a", &[]);
        fx.instance("i-managed", "subnet-private", &["sg-a"], None);
        fx.instance("i-unmanaged", "subnet-private", &["sg-a"], None);
        fx.instance("i-stopped", "subnet-private", &["sg-a"], None);
        fx.stop("i-stopped");
        fx.ssm(&["i-managed"]);
        assert_eq!(
            fx.run("SGA301"),
            ["medium i-unmanaged: running instance i-unmanaged is not managed by Systems Manager: administering it needs an open port and keys [SSM.1]"]
        );
    }

    #[test]
    fn a_region_without_ssm_data_is_not_judged() {
        let mut fx = TestOrg::new();
        fx.sg("sg-a", &[]);
        fx.instance("i-1", "subnet-private", &["sg-a"], None);
        fx.gap(crate::model::Service::Ssm, "DescribeInstanceInformation");
        assert!(fx.run("SGA301").is_empty());
    }
}
