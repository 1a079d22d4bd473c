//! ## What it does
//! Flags network ACLs whose inbound entries allow a configured administration
//! port from `0.0.0.0/0` or `::/0`, evaluating entries in rule-number order:
//! an allow that an earlier world-wide deny already blocks is not reported.
//!
//! The recommended stateless pattern (admin ports denied first, then the
//! return traffic allowed on 1024-65535) is not reported: the denies decide.
//! Medium when a group on the ACL's subnets opens an admin port to the world
//! that the internet reaches (or may: unverified), the ACL then being the only
//! wall; low when no group does, the ACL being the second wall.
//!
//! ## Why is this bad?
//! A network ACL is the subnet's second line of defence. When it allows admin
//! ports from anywhere, a single permissive security group is all that stands
//! between the internet and the instance's SSH or RDP daemon.

use crate::analyze::checks::*;
use crate::analyze::finding::{RuleEvidence, RuleKey, SourceKey};
use crate::analyze::fixes::{AclEntry, Hint};
use crate::controls;
use crate::model::{Cidr, NetworkAclEntry, Protocol, ServicePort, Transport};

pub const CHECK: Check = Check {
    meta: CheckMeta {
        id: "SGA102",
        name: "nacl-admin-port-open-to-world",
        question: Question::Q1,
        identity: Identity::Subject,
        title: "Network ACL allows administration ports from the whole internet",
        severity: SeverityRule::Described(
            "medium when a group on its subnets opens an admin port to the world that the internet reaches (or may: \
             unverified), low when none does (the ACL is then the second wall, not the only one)",
        ),
        controls: &[controls::EC2_21, controls::CIS3_5_1, controls::CIS4_5_2, controls::CIS5_5_2, controls::NIST_SC_7, controls::PCI_1_4, controls::ISO_8_20, controls::SOC2_CC6_6],
        what: "Inbound network ACL entries that allow a configured admin port from `0.0.0.0/0` or `::/0`, in rule-number \
               order (an allow shadowed by an earlier world-wide deny for the same port is not reported). The default \
               network ACL, which allows everything, is reported too, as Security Hub EC2.21 does; an ACL associated \
               with no subnet is not.",
        why: "Network ACLs are the subnet-level backstop for security groups. Allowing admin ports from anywhere leaves a \
              single permissive security group between the internet and the instance's SSH or RDP service.",
        remediation: "Add inbound **deny** entries for the admin ports from `0.0.0.0/0` and `::/0` with rule numbers lower \
                      than the broad allow (for example 50 and 51), or replace the broad allow with entries for the ports \
                      the subnet serves. Network ACLs are stateless, so return traffic needs an inbound allow of the \
                      ephemeral ports 1024-65535: put it **after** denies for the admin ports inside that range (3389, \
                      5900, 5985-5986, and any other of `[ports] admin`), or it admits them too.",
        fix: FixKind::NaclEntries,
    },
    run: Run::PerRegion(run),
};

fn run(ctx: &RegionCtx, emit: &mut Emit) {
    let admin = &ctx.config.ports.admin;
    // An ACL associated with no subnet filters nothing and exposes nothing.
    for acl in ctx.region.network_acls.iter().filter(|a| !a.associations.is_empty()) {
        let mut entries: Vec<&NetworkAclEntry> = acl.entries.iter().filter(|e| !e.egress).collect();
        entries.sort_by_key(|e| e.rule_number);
        let mut open: Vec<&ServicePort> = Vec::new();
        let mut first_allow: Option<&NetworkAclEntry> = None;
        // Each (service, family) an allow admits, and that allow's number.
        let mut admitted: Vec<(&ServicePort, bool, i32)> = Vec::new();
        for service in admin {
            for ipv6 in [false, true] {
                if let Some(e) = first_world_match(&entries, *service, ipv6).filter(|e| e.is_allow()) {
                    if !open.contains(&service) {
                        open.push(service);
                    }
                    admitted.push((service, ipv6, e.rule_number));
                    if first_allow.is_none_or(|f| e.rule_number < f.rule_number) {
                        first_allow = Some(e);
                    }
                }
            }
        }
        let Some(entry) = first_allow else { continue };
        let vpc: Vec<Cidr> = ctx.vpc(&acl.vpc_id).map(|v| v.cidrs().collect()).unwrap_or_default();
        let fix = acl_entries(&entries, &admitted, &vpc);
        let subnets: Vec<&str> = acl.associations.iter().map(|a| a.subnet_id.as_str()).collect();
        let public = acl
            .associations
            .iter()
            .any(|a| ctx.network.routes_to_internet(&a.subnet_id));
        let only_wall = only_wall(ctx, &subnets);
        let (severity, exposure) = match &only_wall {
            Some((exposure, _)) => (Severity::Medium, *exposure),
            None if public => (Severity::Low, Exposure::InternetExposed),
            None => (Severity::Low, Exposure::Internal),
        };
        let summary = format!(
            "{}network ACL allows admin port{} {} from anywhere (entry #{}){}; {}",
            if acl.is_default { "default " } else { "" },
            if open.len() > 1 { "s" } else { "" },
            port_list(&open),
            entry.rule_number,
            if public {
                " on subnets routed to an internet gateway"
            } else {
                ""
            },
            match &only_wall {
                Some((_, why)) => format!("it is the only wall: {why}"),
                None => "no group on its subnets opens an admin port to the world, so it is the second wall".into(),
            }
        );
        let f = emit.finding(
            Subject::NetworkAcl(acl.network_acl_id.clone()),
            severity,
            Some(exposure),
            summary,
        );
        f.resource_ids = std::iter::once(acl.network_acl_id.as_str()).chain(subnets).collect();
        f.rule = Some(Box::new(RuleEvidence {
            key: RuleKey {
                egress: false,
                protocol: entry.protocol,
                ports: matches!(entry.protocol, Protocol::All | Protocol::Tcp | Protocol::Udp).then(|| entry.ports()),
                source: SourceKey::Cidr(entry.cidr().expect("a world-wide entry has a CIDR")),
            },
            direction: "ingress",
            protocol: entry.protocol.label().as_ref().into(),
            ports: if entry.protocol == Protocol::All {
                "all".into()
            } else {
                entry.ports().to_string().into()
            },
            source: entry.cidr().map(|c| c.to_string().into()).unwrap_or_default(),
            description: Some(format!("rule #{} {}", entry.rule_number, entry.rule_action).into()),
            icmp: None,
        }));
        if let Some(acl) = fix {
            f.hint = Some(Box::new(Hint { acl, ..Hint::default() }));
        }
        let tcp_22_or_3389 = open
            .iter()
            .any(|s| s.admits(Protocol::Tcp, 22) || s.admits(Protocol::Tcp, 3389));
        f.retain_controls(|c| tcp_22_or_3389 || *c != controls::EC2_21);
    }
}

/// A group on these subnets that opens an admin port to the world, whose
/// verdict there is reachable (or unverified): then this ACL is the only wall.
fn only_wall(ctx: &RegionCtx, subnets: &[&str]) -> Option<(Exposure, String)> {
    let admin = &ctx.config.ports.admin;
    let mut unverified = None;
    for g in &ctx.groups {
        let here = g
            .attachments
            .iter()
            .any(|a| a.target.subnets().any(|s| subnets.contains(&s)));
        if !here {
            continue;
        }
        for rule in crate::analyze::rules::ingress(g.sg) {
            if !ctx.is_anywhere(&rule) || !rule.opens_any(admin) {
                continue;
            }
            let reach = ctx.rule_reach_on(g, &rule, admin);
            let why = format!("{} {} from {}", g.id(), rule.traffic_label(), rule.source_label());
            match g.exposure_for(reach.as_ref()) {
                Exposure::InternetExposed => return Some((Exposure::InternetExposed, why)),
                Exposure::Unknown => {
                    unverified = unverified.or(Some((Exposure::Unknown, format!("{why} (unverified)"))))
                }
                _ => {}
            }
        }
    }
    unverified
}

/// The first entry, in rule order, that decides traffic from "anywhere" of
/// the family to the service.
/// The entries that close each admitted (service, family) to the world
/// ahead of the allow that admits it: allows from the VPC's own ranges of
/// that family, then a deny from anywhere, on free inbound rule numbers
/// counted down from just below that allow. `None` when there are not
/// enough free numbers.
fn acl_entries(
    entries: &[&NetworkAclEntry],
    admitted: &[(&ServicePort, bool, i32)],
    vpc: &[Cidr],
) -> Option<Vec<AclEntry>> {
    let mut used: Vec<i32> = entries.iter().map(|e| e.rule_number).collect();
    let mut take = |below: i32| -> Option<i32> {
        let n = (1..below).rev().find(|n| !used.contains(n))?;
        used.push(n);
        Some(n)
    };
    let mut out = Vec::new();
    for &(service, ipv6, allow) in admitted {
        let protocols: &[Protocol] = match service.transport {
            Transport::Tcp => &[Protocol::Tcp],
            Transport::Udp => &[Protocol::Udp],
            Transport::Any => &[Protocol::Tcp, Protocol::Udp],
        };
        let anywhere: Cidr = if ipv6 { "::/0" } else { "0.0.0.0/0" }.parse().expect("valid");
        for &protocol in protocols {
            let entry = |number, allow, cidr| AclEntry {
                number,
                allow,
                protocol,
                ports: service.ports,
                cidr,
            };
            let deny = entry(take(allow)?, false, anywhere);
            for &cidr in vpc.iter().filter(|c| c.is_ipv6() == ipv6) {
                out.push(entry(take(deny.number)?, true, cidr));
            }
            out.push(deny);
        }
    }
    Some(out)
}

fn first_world_match<'a>(
    entries: &[&'a NetworkAclEntry],
    service: ServicePort,
    ipv6: bool,
) -> Option<&'a NetworkAclEntry> {
    entries.iter().copied().find(|e| {
        let Some(cidr) = e.cidr() else { return false };
        if !cidr.is_anywhere() || cidr.is_ipv6() != ipv6 || !service.is_open_in(e.protocol, e.ports()) {
            return false;
        }
        // A deny decides only if it blocks the whole service; an allow
        // decides as soon as it lets some of it through.
        e.is_allow() || (service.transport.passes(e.protocol) && e.ports().covers(service.ports))
    })
}

#[cfg(test)]
mod tests {
    use crate::analyze::testing::TestOrg;

    /// The findings about one network ACL (the organization's default
    /// `acl-main` keeps the subnets the test's ACL does not take).
    fn about(fx: &TestOrg, acl: &str) -> Vec<String> {
        fx.run("SGA102")
            .into_iter()
            .filter(|f| f.split_whitespace().nth(1) == Some(&format!("{acl}:")))
            .collect()
    }

    #[test]
    fn the_default_allow_all_acl_on_a_public_subnet_is_low_while_the_groups_hold() {
        let mut fx = TestOrg::new();
        fx.nacl("acl-default", true, &["100 allow all - 0.0.0.0/0"], &["subnet-public"]);
        let found = about(&fx, "acl-default");
        assert_eq!(found.len(), 1);
        assert!(
            found[0].starts_with("low acl-default: default network ACL allows admin ports 22/tcp, 3389/tcp, 3389/udp, 5985-5986/tcp, 23/tcp, 5900/tcp from anywhere (entry #100) on subnets routed"),
            "{found:?}"
        );
        assert!(found[0].contains("so it is the second wall"), "{found:?}");
        assert!(found[0].ends_with("[EC2.21 5.1 5.2 5.2]"), "{found:?}");
    }

    #[test]
    fn the_acl_is_medium_when_it_is_the_only_wall_in_front_of_a_world_open_admin_rule() {
        let mut fx = TestOrg::new();
        fx.nacl("acl-default", true, &["100 allow all - 0.0.0.0/0"], &["subnet-public"]);
        fx.sg("sg-ssh", &["tcp 22 0.0.0.0/0"]);
        fx.instance("i-1", "subnet-public", &["sg-ssh"], Some("54.12.3.10"));
        let found = about(&fx, "acl-default");
        assert_eq!(found.len(), 1);
        assert!(found[0].starts_with("medium acl-default:"), "{found:?}");
        assert!(found[0].contains("it is the only wall"), "{found:?}");
    }

    #[test]
    fn an_acl_without_subnets_is_not_judged() {
        let mut fx = TestOrg::new();
        fx.nacl("acl-spare", true, &["100 allow all - 0.0.0.0/0"], &[]);
        assert!(about(&fx, "acl-spare").is_empty());
    }

    #[test]
    fn an_earlier_deny_shadows_the_allow() {
        let mut fx = TestOrg::new();
        fx.nacl(
            "acl-1",
            false,
            &[
                "50 deny tcp 22 0.0.0.0/0",
                "51 deny tcp 3389 0.0.0.0/0",
                "52 deny udp 3389 0.0.0.0/0",
                "53 deny tcp 5985-5986 0.0.0.0/0",
                "54 deny tcp 23 0.0.0.0/0",
                "55 deny tcp 5900 0.0.0.0/0",
                "100 allow all - 0.0.0.0/0",
            ],
            &["subnet-private"],
        );
        assert!(about(&fx, "acl-1").is_empty());
    }

    #[test]
    fn a_later_deny_does_not_help_and_private_subnets_are_low() {
        let mut fx = TestOrg::new();
        fx.nacl(
            "acl-2",
            false,
            &["100 allow tcp 22 0.0.0.0/0", "200 deny tcp 22 0.0.0.0/0"],
            &["subnet-private"],
        );
        let found = about(&fx, "acl-2");
        assert_eq!(found.len(), 1);
        assert!(
            found[0].starts_with("low acl-2: network ACL allows admin port 22/tcp from anywhere (entry #100)"),
            "{found:?}"
        );
    }

    #[test]
    fn narrow_sources_and_web_ports_stay_quiet() {
        let mut fx = TestOrg::new();
        fx.nacl(
            "acl-3",
            false,
            // Return traffic on the Linux ephemeral ports does not reach an admin port.
            &[
                "100 allow tcp 443 0.0.0.0/0",
                "110 allow tcp 22 10.0.0.0/16",
                "120 allow tcp 32768-65535 0.0.0.0/0",
            ],
            &["subnet-public"],
        );
        assert!(about(&fx, "acl-3").is_empty());
    }
}
