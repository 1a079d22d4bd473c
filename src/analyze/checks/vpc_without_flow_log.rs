//! ## What it does
//! Reports VPCs in use (with at least one network interface that is not
//! detached) that no active flow log covers: none on the VPC itself, and
//! not every interface in use covered by a flow log on its subnet or on the
//! interface. When only some are covered, the summary says which subnets are
//! not. A VPC shared with the account by another one is its owner's to log,
//! and is not judged here; where flow logs were not collected, the VPCs are
//! not assessed.
//!
//! ## Why is this bad?
//! Flow logs are the only record of which traffic a security group admitted
//! or refused. Without them, an incident cannot be traced through the
//! network, and no rule can be shown to be unused before it is removed.

use std::collections::{BTreeSet, HashMap, HashSet};

use crate::analyze::checks::*;
use crate::controls;
use crate::model::{FlowLog, NetworkInterface, Vpc};

pub const CHECK: Check = Check {
    meta: CheckMeta {
        id: "SGA910",
        name: "vpc-without-flow-log",
        question: Question::Hygiene,
        identity: Identity::Subject,
        title: "VPC in use without flow logs",
        severity: SeverityRule::Fixed(Severity::Low),
        controls: &[controls::EC2_6, controls::VPC_FLOW_LOGS_ENABLED, controls::CIS3_3_7, controls::CIS4_3_7, controls::CIS5_3_7, controls::ISO_8_20],
        what: "VPCs of the account with at least one network interface in use (any interface type, including those \
               of Lambda, load balancers, endpoints and NAT gateways; not one whose status is `available`, detached), \
               where no active flow log (status `ACTIVE`, delivery not `FAILED`) of any traffic type is on the VPC, \
               and not every interface in use is covered by one on its subnet or on the interface itself. A VPC with \
               no interface in use is not reported: it carries no traffic to record. A VPC another account shares \
               with this one is judged in its owner's account. Regions whose flow logs were not collected (a snapshot \
               from before sgaudit read them, or `DescribeFlowLogs` failed) are not assessed.",
        why: "Flow logs are the record of what traffic reached a network interface and whether its security groups \
              and network ACLs accepted it. Without them an incident cannot be traced through the network, and a rule \
              cannot be shown to be unused before it is removed (`sgaudit usage` reads them for that).",
        remediation: "Create a flow log on the VPC, of all traffic, to S3: `aws ec2 create-flow-logs --resource-type VPC \
                      --resource-ids <vpc-id> --traffic-type ALL --log-destination-type s3 --log-destination \
                      arn:aws:s3:::<bucket>/<prefix>`. For `sgaudit usage` to read the records, keep the default format \
                      (version 2) or a custom text format, not Parquet.",
        fix: FixKind::FlowLog,
    },
    run: Run::PerRegion(run),
};

fn run(ctx: &RegionCtx, emit: &mut Emit) {
    let region = ctx.region;
    let interfaces_missing = region.gap("DescribeNetworkInterfaces");
    // A shared VPC's flow logs are created, and listed, in its owner's account.
    let owned = |v: &&Vpc| v.owner_id.as_ref().is_none_or(|o| o == ctx.account_id());
    // The interfaces in use (not detached) of each VPC, in one pass.
    let mut by_vpc: HashMap<&str, Vec<&NetworkInterface>> = HashMap::new();
    for e in region
        .network_interfaces
        .iter()
        .filter(|e| e.status.as_deref() != Some("available"))
    {
        if let Some(vpc) = &e.vpc_id {
            by_vpc.entry(vpc.as_str()).or_default().push(e);
        }
    }
    // What the active flow logs record: VPCs, subnets, interfaces.
    let active: HashSet<&str> = region
        .flow_logs
        .iter()
        .flatten()
        .filter(|f| f.is_active())
        .map(|f| f.resource_id.as_str())
        .collect();
    for vpc in region.vpcs.iter().filter(owned) {
        let in_use = by_vpc.remove(vpc.vpc_id.as_str()).unwrap_or_default();
        let Some(flow_logs) = &region.flow_logs else {
            if interfaces_missing.is_some() || !in_use.is_empty() {
                emit.not_assessed(Subject::Vpc(vpc.vpc_id.clone()), flow_logs_missing(ctx));
            }
            continue;
        };
        if active.contains(vpc.vpc_id.as_str()) {
            continue;
        }
        if let Some(gap) = interfaces_missing {
            emit.not_assessed(
                Subject::Vpc(vpc.vpc_id.clone()),
                format!(
                    "no flow log on the VPC itself, and its network interfaces not collected ({} {}: {})",
                    gap.service, gap.operation, gap.error
                ),
            );
            continue;
        }
        let covered = |e: &NetworkInterface| {
            active.contains(e.network_interface_id.as_str())
                || e.subnet_id.as_ref().is_some_and(|s| active.contains(s.as_str()))
        };
        let (covered, uncovered): (Vec<&NetworkInterface>, Vec<&NetworkInterface>) =
            in_use.iter().copied().partition(|e| covered(e));
        if uncovered.is_empty() {
            continue;
        }
        let bare: BTreeSet<&str> = uncovered
            .iter()
            .map(|e| e.subnet_id.as_ref().map_or("no subnet", |s| s.as_str()))
            .collect();
        let bare: Vec<&str> = bare.into_iter().collect();
        let mut summary = if covered.is_empty() {
            format!(
                "{} has {} network interface(s) in use and no active flow log",
                label(vpc),
                in_use.len()
            )
        } else {
            // The flow logs that do cover some: on subnets, or on interfaces.
            let by: BTreeSet<&str> = covered
                .iter()
                .map(|e| {
                    e.subnet_id
                        .as_ref()
                        .map(|s| s.as_str())
                        .filter(|s| active.contains(s))
                        .unwrap_or(e.network_interface_id.as_str())
                })
                .collect();
            format!(
                "{} has no flow log of its own: flow logs on {} cover {} of its {} network interfaces in use; {} in \
                 {} {} not covered",
                label(vpc),
                by.into_iter().collect::<Vec<_>>().join(", "),
                covered.len(),
                in_use.len(),
                uncovered.len(),
                bare.join(", "),
                if uncovered.len() == 1 { "is" } else { "are" }
            )
        };
        // A flow log that exists but records nothing is worth naming.
        let concerned = |f: &&FlowLog| {
            f.resource_id == vpc.vpc_id.as_str()
                || uncovered.iter().any(|e| {
                    f.resource_id == e.network_interface_id.as_str()
                        || e.subnet_id.as_ref().is_some_and(|s| f.resource_id == s.as_str())
                })
        };
        for f in flow_logs.iter().filter(|f| !f.is_active()).filter(concerned) {
            summary.push_str(&format!(
                "; {} on {} {}",
                f.flow_log_id,
                f.resource_id,
                not_recording(f)
            ));
        }
        let f = emit.finding(Subject::Vpc(vpc.vpc_id.clone()), Severity::Low, None, summary);
        f.resource_ids = std::iter::once(vpc.vpc_id.as_str())
            .chain(bare.into_iter().filter(|s| s.starts_with("subnet-")))
            .collect();
    }
}

/// `vpc-0a1b (prod)`: the id, and the `Name` tag when there is one.
fn label(vpc: &Vpc) -> String {
    match vpc.tags.iter().find(|t| t.key == "Name").map(|t| t.value.as_str()) {
        Some(name) if !name.is_empty() => format!("{} ({name})", vpc.vpc_id),
        _ => vpc.vpc_id.to_string(),
    }
}

/// Why a flow log does not count: not active, or its delivery failing.
fn not_recording(f: &FlowLog) -> String {
    match (&f.deliver_logs_status, &f.deliver_logs_error_message) {
        (Some(d), Some(e)) if d.eq_ignore_ascii_case("FAILED") => format!("fails to deliver ({e})"),
        (Some(d), None) if d.eq_ignore_ascii_case("FAILED") => "fails to deliver".into(),
        _ => format!("is {}", f.flow_log_status.as_deref().unwrap_or("not active")),
    }
}

/// Why a region's VPCs cannot be judged.
fn flow_logs_missing(ctx: &RegionCtx) -> String {
    match ctx.region.gap("DescribeFlowLogs") {
        Some(g) => format!("flow logs not collected ({} {}: {})", g.service, g.operation, g.error),
        None => "flow logs not collected (the snapshot has none: collect again with this version)".into(),
    }
}

#[cfg(test)]
mod tests {
    use crate::analyze::testing::TestOrg;

    /// One instance in each subnet of `vpc-main`.
    fn busy_vpc() -> TestOrg {
        let mut fx = TestOrg::new();
        fx.sg("sg-app", &["tcp 443 10.0.0.0/16"]);
        fx.instance("i-web", "subnet-public", &["sg-app"], Some("54.12.3.10"));
        fx.instance("i-app", "subnet-private", &["sg-app"], None);
        fx
    }

    #[test]
    fn a_vpc_in_use_without_a_flow_log_is_reported() {
        let fx = busy_vpc();
        assert_eq!(
            fx.run("SGA910"),
            ["low vpc-main: vpc-main has 2 network interface(s) in use and no active flow log [EC2.6 vpc-flow-logs-enabled 3.7 3.7 3.7]"]
        );
    }

    #[test]
    fn a_flow_log_on_the_vpc_covers_it() {
        let mut fx = busy_vpc();
        fx.flow_log_on("vpc-main");
        assert!(fx.run("SGA910").is_empty());
    }

    /// docs/false-alarms.md: a VPC is covered when every subnet in use is.
    #[test]
    fn flow_logs_on_every_subnet_in_use_cover_the_vpc() {
        let mut fx = busy_vpc();
        fx.flow_log_on("subnet-public");
        fx.flow_log_on("eni-app");
        assert!(fx.run("SGA910").is_empty());
    }

    #[test]
    fn a_vpc_covered_in_part_says_which_subnets_are_not() {
        let mut fx = busy_vpc();
        fx.flow_log_on("subnet-public");
        assert_eq!(
            fx.run("SGA910"),
            ["low vpc-main: vpc-main has no flow log of its own: flow logs on subnet-public cover 1 of its 2 network interfaces in use; 1 in subnet-private is not covered [EC2.6 vpc-flow-logs-enabled 3.7 3.7 3.7]"]
        );
    }

    #[test]
    fn a_flow_log_that_fails_to_deliver_does_not_count_and_is_named() {
        let mut fx = busy_vpc();
        fx.flow_log_on("vpc-main");
        let log = &mut fx.region().flow_logs.as_mut().unwrap()[0];
        log.deliver_logs_status = Some("FAILED".into());
        log.deliver_logs_error_message = Some("Access error".into());
        let found = fx.run("SGA910");
        assert_eq!(found.len(), 1);
        assert!(
            found[0].contains("no active flow log; fl-1 on vpc-main fails to deliver (Access error)"),
            "{found:?}"
        );
    }

    /// docs/false-alarms.md: nothing runs there, so there is nothing to record.
    #[test]
    fn a_vpc_without_interfaces_in_use_is_not_reported() {
        let mut fx = TestOrg::new();
        fx.isolated_vpc("vpc-spare", "10.9.0.0/16", "subnet-spare");
        fx.interface("eni-detached", "interface", "subnet-private", &[]);
        fx.region().network_interfaces[0].status = Some("available".into());
        assert!(fx.run("SGA910").is_empty());
    }

    #[test]
    fn service_interfaces_count_as_use() {
        let mut fx = TestOrg::new();
        fx.interface("eni-lambda", "lambda", "subnet-private", &[]);
        assert_eq!(fx.run("SGA910").len(), 1);
    }

    /// docs/false-alarms.md: a shared VPC's flow logs are in its owner's account.
    #[test]
    fn a_vpc_shared_by_another_account_is_its_owners_to_log() {
        let mut fx = busy_vpc();
        fx.region().vpcs[0].owner_id = Some(crate::model::AccountId::parse("222222222222").unwrap());
        assert!(fx.run("SGA910").is_empty());
    }

    #[test]
    fn without_flow_logs_collected_the_vpc_is_not_assessed_not_reported() {
        let mut fx = busy_vpc();
        fx.flow_logs_not_collected();
        assert!(fx.run("SGA910").is_empty());
        let unjudged = fx.not_assessed("SGA910");
        assert_eq!(
            unjudged,
            ["vpc-main: flow logs not collected (the snapshot has none: collect again with this version)"]
        );
        fx.gap(crate::model::Service::Ec2, "DescribeFlowLogs");
        assert_eq!(
            fx.not_assessed("SGA910"),
            ["vpc-main: flow logs not collected (ec2 DescribeFlowLogs: service unavailable)"]
        );
    }
}
