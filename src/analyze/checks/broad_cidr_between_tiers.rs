//! ## What it does
//! Flags inbound rules whose source is a private range that is broad by
//! containment: strictly wider than the group's own VPC (it contains it), as
//! wide as the configured limit (`/8` by default), or a whole RFC 1918 range.
//! Exactly the VPC's own range is reported only on critical tiers such as
//! databases, at low (a reference to the calling tier's group would serve),
//! and never on interface VPC endpoints, for which AWS documents that grant.
//! A specific other network is reported at low: a peered VPC by name (a
//! group reference works across the peering), an unnamed network as one
//! nobody named. A network the config names in `[networks.named]` (an
//! on-premises range, a VPN pool) is the config owner's declaration, kept in
//! the evidence package's config.toml, and not reported.
//!
//! ## Why is this bad?
//! `10.0.0.0/8` on a database reads "the company network": every peered VPC,
//! every VPN user, every forgotten test box. The guidance's pattern joins
//! tiers by security-group references so that only the tier in front can call.

use crate::analyze::checks::*;
use crate::analyze::context::{Group, Target};
use crate::analyze::rules;
use crate::controls;
use crate::model::Cidr;

pub const CHECK: Check = Check {
    meta: CheckMeta {
        id: "SGA204",
        name: "broad-cidr-between-tiers",
        question: Question::Q2,
        identity: Identity::Rule,
        title: "Tier opened to a broad private range instead of the calling tier",
        severity: SeverityRule::Described(
            "medium for a range wider than the group's VPC, a /8 or wider, or an RFC 1918 range whole (low when \
             unattached); low for exactly the VPC's range on a critical tier, for a peered VPC's range and for a \
             network nothing names",
        ),
        controls: &[controls::NIST_AC_4, controls::PCI_1_3, controls::ISO_8_22],
        what: "Inbound rules from a private range that contains the group's VPC and more, is at least as wide as \
               `[networks] broad_private_prefix_v4` / `_v6` (/8 and /32 by default), or is an RFC 1918 range whole \
               (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16). Exactly the VPC's own range is reported only on critical \
               tiers (databases and other `[critical]` resources), at low, and never on interface VPC endpoints. A \
               specific network outside the VPC is reported at low: a peered VPC's range with the peering, a network \
               nothing names as such; one that `[networks.named]` names is the config's declaration and not reported. \
               A load balancer's own listener ports are not reported: \
               people, not tiers, call those.",
        why: "A broad private range means \"the whole company network\": peered VPCs, VPN users, build agents, anything \
              compromised inside. The guidance joins tiers by security-group references (ALB -> web -> database) so \
              that each tier accepts only the one in front of it, and an instance added by autoscaling is covered by \
              its group, not by an address plan.",
        remediation: "Replace the CIDR with the calling tier's security group (`UserIdGroupPair`), for example allow \
                      3306 only from the web tier's group. If the callers are people on a VPN, use the VPN's own range, \
                      and name it in `[networks.named]` so that the grant reads as what it is.",
        fix: FixKind::Replace(Placeholder::CallerGroup),
    },
    run: Run::PerRegion(run),
};

/// The RFC 1918 ranges: granting one whole is granting every private network.
fn rfc1918() -> &'static [Cidr; 3] {
    static RFC1918: std::sync::LazyLock<[Cidr; 3]> = std::sync::LazyLock::new(|| {
        ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"].map(|r| r.parse().expect("valid"))
    });
    &RFC1918
}

/// What a private source is, next to the group's VPC.
enum Grant {
    /// Contains the VPC and more, or is /8 or wider, or an RFC 1918 range whole.
    Broad(String),
    /// Exactly one of the VPC's own blocks.
    OwnVpc(Cidr),
    /// Inside the VPC: a subnet, a host.
    Inside,
    /// Outside the VPC, in a peered VPC (named: its id, the connection, the account).
    Peered(String),
    /// Outside the VPC, a network the config names (`[networks.named]`):
    /// declared by the config's owner, recorded in the evidence, not reported.
    Named,
    /// Outside the VPC, and nothing names it.
    Other,
}

/// `cidr` against the blocks of the group's VPC (`vpc`, both families).
fn grant(ctx: &RegionCtx, g: &Group, vpc: &[Cidr], cidr: Cidr) -> Grant {
    let family = || vpc.iter().filter(|c| c.is_ipv6() == cidr.is_ipv6());
    if let Some(v) = family().find(|v| cidr.contains(v) && **v != cidr) {
        return Grant::Broad(format!("wider than its VPC ({v})"));
    }
    let limit = ctx.config.networks.broad_prefix(cidr);
    if cidr.prefix_len() <= limit {
        return Grant::Broad(format!("/{limit} or wider"));
    }
    if rfc1918().contains(&cidr) {
        return Grant::Broad("an RFC 1918 range whole".into());
    }
    if let Some(v) = family().find(|v| **v == cidr) {
        return Grant::OwnVpc(*v);
    }
    if family().any(|v| v.contains(&cidr)) {
        return Grant::Inside;
    }
    if let Some(peer) = peered(ctx, g, cidr) {
        return Grant::Peered(peer);
    }
    if ctx.config.networks.name_of(cidr).is_some() {
        return Grant::Named;
    }
    Grant::Other
}

/// The peered VPC (from the region's peering connections) that holds `cidr`.
fn peered(ctx: &RegionCtx, g: &Group, cidr: Cidr) -> Option<String> {
    let own = g.sg.vpc_id.as_ref()?;
    for p in ctx.region.vpc_peering_connections.iter().flatten() {
        let (Some(a), Some(b)) = (&p.accepter_vpc_info, &p.requester_vpc_info) else {
            continue;
        };
        let other = if a.vpc_id.as_ref() == Some(own) {
            b
        } else if b.vpc_id.as_ref() == Some(own) {
            a
        } else {
            continue;
        };
        let blocks = other
            .cidr_block
            .iter()
            .chain(other.cidr_block_set.iter().map(|c| &c.cidr_block))
            .chain(other.ipv6_cidr_block_set.iter().map(|c| &c.ipv6_cidr_block));
        if blocks.into_iter().any(|b| b.contains(&cidr)) {
            let account = other
                .owner_id
                .as_ref()
                .map(|o| format!(", account {o}"))
                .unwrap_or_default();
            return Some(format!(
                "peered {} via {}{account}",
                other.vpc_id.as_ref().map_or("VPC", |v| v.as_str()),
                p.vpc_peering_connection_id
            ));
        }
    }
    None
}

/// Whether the group is a critical tier for the VPC-range grant: a critical
/// resource, or a database.
fn critical_tier(g: &Group) -> bool {
    g.critical || g.attachments.iter().any(|a| a.target.is_database())
}

fn only_endpoints(g: &Group) -> bool {
    g.is_attached()
        && g.attachments.iter().all(|a| {
            matches!(a.target, Target::Interface { eni, .. } if eni.interface_type.as_deref() == Some("vpc_endpoint"))
        })
}

fn run(ctx: &RegionCtx, emit: &mut Emit) {
    for g in &ctx.groups {
        let mut vpc: Option<Vec<Cidr>> = None;
        for rule in rules::ingress(g.sg) {
            let Some(cidr) = rule.cidr() else { continue };
            if cidr.is_anywhere() || !cidr.is_private() || g.rule_serves_listeners(&rule) {
                continue;
            }
            let vpc = vpc.get_or_insert_with(|| {
                g.sg.vpc_id
                    .as_ref()
                    .and_then(|v| ctx.vpc(v))
                    .map(|v| v.cidrs().collect())
                    .unwrap_or_default()
            });
            let what = || format!("{} from {} ({})", rule.traffic_label(), cidr, cidr.size_label());
            match grant(ctx, g, vpc, cidr) {
                Grant::Broad(why) => {
                    let severity = if g.is_attached() {
                        Severity::Medium
                    } else {
                        Severity::Low
                    };
                    let summary = format!(
                        "{}, {why}: a reference to the calling tier's security group would grant only that tier",
                        what()
                    );
                    emit.rule_at(g, &rule, severity, summary);
                }
                Grant::OwnVpc(v) if critical_tier(g) && !only_endpoints(g) => {
                    let summary = format!(
                        "{}, the whole of its VPC's range {v} on a critical tier: a reference to the calling tier's \
                         security group would serve",
                        what()
                    );
                    emit.rule_at(g, &rule, Severity::Low, summary);
                }
                Grant::Peered(peer) => {
                    let summary = format!(
                        "{}, the range of {peer}: a reference to the calling tier's security group works across the \
                         peering",
                        what()
                    );
                    emit.rule_at(g, &rule, Severity::Low, summary);
                }
                Grant::Other => {
                    let summary = format!(
                        "{}, a network outside its VPC that no peering connection or [networks.named] names",
                        what()
                    );
                    emit.rule_at(g, &rule, Severity::Low, summary);
                }
                Grant::OwnVpc(_) | Grant::Inside | Grant::Named => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::analyze::testing::TestOrg;

    #[test]
    fn ten_slash_eight_on_a_database_is_broad() {
        let mut fx = TestOrg::new();
        fx.sg("sg-db", &["tcp 5432 10.0.0.0/8"]);
        fx.instance("i-db", "subnet-private", &["sg-db"], None);
        assert_eq!(
            fx.run("SGA204"),
            ["medium sg-db: tcp 5432 from 10.0.0.0/8 (16,777,216 addresses), wider than its VPC (10.0.0.0/16): a reference to the calling tier's security group would grant only that tier []"]
        );
    }

    #[test]
    fn ranges_inside_the_vpc_and_references_are_fine() {
        let mut fx = TestOrg::new();
        fx.sg(
            "sg-db",
            &["tcp 5432 10.0.0.0/16", "tcp 5432 10.0.1.0/24", "tcp 5432 sg-web"],
        );
        fx.sg("sg-web", &[]);
        fx.instance("i-db", "subnet-private", &["sg-db"], None);
        assert!(fx.run("SGA204").is_empty());
    }

    #[test]
    fn an_internal_load_balancer_serving_the_company_network_is_fine() {
        let mut fx = TestOrg::new();
        fx.sg("sg-lb", &["tcp 443 10.0.0.0/8"]);
        fx.load_balancer("intranet", false, &["sg-lb"], &[443]);
        assert!(fx.run("SGA204").is_empty());
    }

    #[test]
    fn exactly_the_vpc_range_is_low_on_a_database_and_nothing_on_an_app_or_an_endpoint() {
        let mut fx = TestOrg::new();
        fx.sg("sg-db", &["tcp 5432 10.0.0.0/16"]);
        fx.rds("orders", false, 5432, &["sg-db"]);
        fx.sg("sg-app", &["tcp 8080 10.0.0.0/16"]);
        fx.instance("i-app", "subnet-private", &["sg-app"], None);
        fx.sg("sg-vpce", &["tcp 443 10.0.0.0/16"]);
        fx.interface("eni-vpce", "vpc_endpoint", "subnet-private", &["sg-vpce"]);
        assert_eq!(
            fx.run("SGA204"),
            ["low sg-db: tcp 5432 from 10.0.0.0/16 (65,536 addresses), the whole of its VPC's range 10.0.0.0/16 on a critical tier: a reference to the calling tier's security group would serve []"]
        );
    }

    #[test]
    fn a_wider_range_that_contains_the_vpc_and_rfc1918_whole_are_broad() {
        let mut fx = TestOrg::new();
        fx.sg("sg-app", &["tcp 8080 10.0.0.0/15", "tcp 8080 172.16.0.0/12"]);
        fx.instance("i-app", "subnet-private", &["sg-app"], None);
        let found = fx.run("SGA204");
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[0].contains("wider than its VPC (10.0.0.0/16)"), "{found:?}");
        assert!(found[1].contains("an RFC 1918 range whole"), "{found:?}");
    }

    #[test]
    fn an_unnamed_other_network_is_low_and_a_named_one_is_the_configs_word() {
        let mut fx = TestOrg::new();
        fx.config
            .networks
            .named
            .insert("on-prem Frankfurt".into(), vec!["10.100.0.0/20".parse().unwrap()]);
        fx.sg("sg-app", &["tcp 8080 10.100.0.0/20", "tcp 8080 10.50.0.0/16"]);
        fx.instance("i-app", "subnet-private", &["sg-app"], None);
        assert_eq!(
            fx.run("SGA204"),
            ["low sg-app: tcp 8080 from 10.50.0.0/16 (65,536 addresses), a network outside its VPC that no peering connection or [networks.named] names []"]
        );
    }

    #[test]
    fn a_peered_vpcs_range_is_low_and_named_by_its_peering() {
        use crate::model::{PeeringVpcInfo, VpcPeeringConnection};
        let mut fx = TestOrg::new();
        let info = |vpc: &str, cidr: &str| PeeringVpcInfo {
            vpc_id: Some(vpc.into()),
            owner_id: Some("222222222222".parse().unwrap()),
            cidr_block: Some(cidr.parse().unwrap()),
            ..Default::default()
        };
        fx.region().vpc_peering_connections = Some(vec![VpcPeeringConnection {
            vpc_peering_connection_id: "pcx-1".into(),
            accepter_vpc_info: Some(info("vpc-main", "10.0.0.0/16")),
            requester_vpc_info: Some(info("vpc-shared", "10.60.0.0/16")),
            status: None,
        }]);
        fx.sg("sg-app", &["tcp 8080 10.60.0.0/16"]);
        fx.instance("i-app", "subnet-private", &["sg-app"], None);
        assert_eq!(
            fx.run("SGA204"),
            ["low sg-app: tcp 8080 from 10.60.0.0/16 (65,536 addresses), the range of peered vpc-shared via pcx-1, account 222222222222: a reference to the calling tier's security group works across the peering []"]
        );
    }
}
