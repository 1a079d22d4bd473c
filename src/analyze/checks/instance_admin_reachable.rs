//! ## What it does
//! Looks at each running instance through all of its security groups and asks
//! how administrators reach it: from anywhere, from public ranges, from broad
//! networks, or only through a bastion's security group or a few single hosts.
//!
//! ## Why is this bad?
//! The guidance wants administrative access through Systems Manager or a
//! hardened bastion. An instance whose admin ports answer to networks rather
//! than to a bastion is managed by open ports.

use crate::analyze::checks::*;
use crate::analyze::rules::{self, Source};
use crate::controls;
use crate::model::Cidr;

pub const CHECK: Check = Check {
    meta: CheckMeta {
        id: "SGA302",
        name: "instance-admin-reachable",
        question: Question::Q3,
        identity: Identity::Subject,
        title: "Instance administered through open ports rather than a bastion or Systems Manager",
        severity: SeverityRule::Described(
            "from anywhere: critical if the instance is internet-exposed (or unverified), high otherwise; from wide \
             public ranges: medium; from a specific public range (an office's), broad private ranges or many hosts: low",
        ),
        controls: &[controls::NIST_SC_7, controls::PCI_1_4, controls::SOC2_CC6_1],
        what: "For every running instance, the sources that its security groups (all of them together) allow on a \
               configured admin port. Security-group references (a bastion's group) and up to \
               `[networks] bastion_max_host_sources` single hosts are the recognised bastion pattern; anything wider is \
               reported, graded by how wide.",
        why: "The guidance's answer to \"how do you administer instances?\" is Systems Manager (no port at all) or a \
              hardened bastion (admin ports open only to the bastion). Admin ports that answer to networks mean every \
              machine on those networks can try.",
        remediation: "Use Session Manager and remove the admin rules; or allow the admin port only from the bastion's \
                      security group (`tcp 22 from sg-bastion`), and harden and monitor the bastion itself.",
        fix: FixKind::RevokeOr(Placeholder::BastionGroup),
    },
    run: Run::PerRegion(run),
};

/// How wide the widest admin source of an instance is, for its severity.
#[derive(PartialEq, PartialOrd)]
enum Breadth {
    Bastion,
    /// A broad private range, a specific public one (an office's /24), or
    /// more single hosts than a bastion pattern has.
    Narrow,
    /// A public range at least `[networks] wide_public_prefix_*` wide.
    WidePublic,
    Anywhere,
}

fn run(ctx: &RegionCtx, emit: &mut Emit) {
    let admin = &ctx.config.ports.admin;
    let max_hosts = ctx.config.networks.bastion_max_host_sources;
    for instance in ctx.region.instances.iter().filter(|i| i.is_running()) {
        let mut sources: Vec<String> = Vec::new();
        let mut hosts: Vec<Cidr> = Vec::new();
        let mut worst = Breadth::Bastion;
        let mut ports = Vec::new();
        // The rules to remove: every admin rule wider than the bastion
        // pattern, and the single-host ones when there are too many.
        let mut revoke = Vec::new();
        let mut host_rules = Vec::new();
        let mut first = None;
        for g in ctx.instance_groups(&instance.instance_id) {
            for rule in rules::ingress(g.sg) {
                let open = rule.opened(admin);
                if open.is_empty() {
                    continue;
                }
                let breadth = match rule.source {
                    Source::Group(_) => Breadth::Bastion,
                    _ if ctx.is_anywhere(&rule) => Breadth::Anywhere,
                    Source::Cidr(c) if c.is_host() => {
                        if !hosts.contains(&c) {
                            hosts.push(c);
                        }
                        Breadth::Bastion
                    }
                    _ if ctx.breadth(&rule) == rules::Breadth::WidePublic => Breadth::WidePublic,
                    Source::Cidr(_) | Source::PrefixList(_) => Breadth::Narrow,
                };
                let perm = (g.id().clone(), Perm::of_rule(&rule, Some(ctx.account_id())));
                if breadth != Breadth::Bastion {
                    sources.push(rule.source_label());
                    revoke.push(perm);
                    first = first.or_else(|| also_grants(&rule, &open));
                } else if matches!(rule.source, Source::Cidr(_)) {
                    host_rules.push(perm);
                }
                for p in open {
                    if !ports.contains(p) {
                        ports.push(*p);
                    }
                }
                if breadth > worst {
                    worst = breadth;
                }
            }
        }
        if hosts.len() > max_hosts && worst < Breadth::Narrow {
            worst = Breadth::Narrow;
            sources.push(format!("{} single hosts", hosts.len()));
            revoke.append(&mut host_rules);
        }
        if worst == Breadth::Bastion {
            continue;
        }
        // The verdict of the widest rules on the admin ports: those from
        // anywhere when there are, else every rule that opens one.
        let widest = |g: &crate::analyze::context::Group, r: &rules::Rule| {
            r.opens_any(admin) && (worst != Breadth::Anywhere || ctx.is_anywhere(r)) && !r.is_self_reference(g.sg)
        };
        let (exposure, reach) = ctx.instance_reach(&instance.instance_id, admin, widest);
        let severity = match worst {
            Breadth::Anywhere if exposure.counts_as_exposed() => Severity::Critical,
            Breadth::Anywhere => Severity::High,
            Breadth::WidePublic => Severity::Medium,
            _ => Severity::Low,
        };
        sources.sort();
        sources.dedup();
        let ports: Vec<&crate::model::ServicePort> = ports.iter().collect();
        let ssm_managed = ctx.ssm_known() && ctx.is_ssm_managed(&instance.instance_id);
        let managed = if ssm_managed {
            " although Systems Manager manages it"
        } else {
            ""
        };
        let name = instance.name().map(|n| format!(" ({n})")).unwrap_or_default();
        let summary = format!(
            "instance {}{name} answers on admin port{} {} to {}{managed}",
            instance.instance_id,
            if ports.len() > 1 { "s" } else { "" },
            port_list(&ports),
            sources.join(", ")
        );
        let f = emit.finding(
            Subject::Instance(instance.instance_id.clone()),
            severity,
            Some(exposure),
            summary,
        );
        f.resource_ids = ResourceIds::one(instance.instance_id.as_str());
        f.reachability = reach.map(|r| std::sync::Arc::new(r.record()));
        // Removing the admin rules must not lock the administrators out.
        let first = first.or_else(|| match (ctx.ssm_known(), ssm_managed) {
            (true, true) => None,
            (true, false) => Some(
                "give administrators another way in (Systems Manager does not manage this instance; or allow \
                 the admin port from a bastion's group)"
                    .to_string(),
            ),
            (false, _) => Some(
                "make sure administrators have another way in (Systems Manager coverage was not collected; or \
                 allow the admin port from a bastion's group)"
                    .to_string(),
            ),
        });
        f.hint = Some(Box::new(Hint {
            revoke,
            first,
            ..Hint::default()
        }));
    }
}

#[cfg(test)]
mod tests {
    use crate::analyze::testing::TestOrg;

    #[test]
    fn the_bastion_pattern_is_recognised() {
        let mut fx = TestOrg::new();
        fx.sg("sg-bastion", &["tcp 22 198.51.100.7/32", "tcp 22 198.51.100.8/32"]);
        fx.sg("sg-app", &["tcp 22 sg-bastion"]);
        fx.instance("i-bastion", "subnet-public", &["sg-bastion"], Some("203.0.113.50"));
        fx.instance("i-app", "subnet-private", &["sg-app"], None);
        assert!(fx.run("SGA302").is_empty());
    }

    #[test]
    fn admin_from_anywhere_on_a_public_instance_is_critical() {
        let mut fx = TestOrg::new();
        fx.sg("sg-a", &["tcp 22 0.0.0.0/0"]);
        fx.sg("sg-b", &["tcp 3389 10.0.0.0/8"]);
        fx.instance("i-1", "subnet-public", &["sg-a", "sg-b"], Some("203.0.113.51"));
        assert_eq!(
            fx.run("SGA302"),
            ["critical i-1: instance i-1 answers on admin ports 22/tcp, 3389/tcp to 0.0.0.0/0, 10.0.0.0/8 []"]
        );
    }

    #[test]
    fn broad_private_networks_and_an_office_range_are_low_wide_public_ranges_medium() {
        let mut fx = TestOrg::new();
        fx.sg("sg-vpn", &["tcp 22 10.8.0.0/16"]);
        fx.sg("sg-office", &["tcp 22 198.51.100.0/24"]);
        fx.sg("sg-cloud", &["tcp 22 52.0.0.0/10"]);
        fx.instance("i-vpn", "subnet-private", &["sg-vpn"], None);
        fx.instance("i-office", "subnet-private", &["sg-office"], None);
        fx.instance("i-cloud", "subnet-private", &["sg-cloud"], None);
        let found = fx.run("SGA302");
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(found[0].starts_with("low i-vpn"), "{found:?}");
        assert!(found[1].starts_with("low i-office"), "{found:?}");
        assert!(found[2].starts_with("medium i-cloud"), "{found:?}");
    }
}
