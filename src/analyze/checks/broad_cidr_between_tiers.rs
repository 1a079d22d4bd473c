//! ## What it does
//! Flags inbound rules whose source is a private range wider than the group's
//! own VPC, or as wide as the configured limit (`/8` by default), where a
//! security-group reference to the calling tier would grant only that tier.
//!
//! ## Why is this bad?
//! `10.0.0.0/8` on a database reads "the company network": every peered VPC,
//! every VPN user, every forgotten test box. The guidance's pattern joins
//! tiers by security-group references so that only the tier in front can call.

use crate::analyze::checks::*;
use crate::analyze::rules;
use crate::model::Cidr;

pub const CHECK: Check = Check {
    meta: CheckMeta {
        id: "SGA204",
        name: "broad-cidr-between-tiers",
        question: Question::Q2,
        identity: Identity::Rule,
        title: "Tier opened to a broad private range instead of the calling tier",
        severity: SeverityRule::ByExposure {
            internet: Severity::Medium,
            internal: Severity::Medium,
            unattached: Severity::Low,
        },
        controls: &[],
        what:
            "Inbound rules from a private CIDR that is wider than every CIDR block of the group's VPC, or at least as \
               wide as `[networks] broad_private_prefix_v4` / `_v6` (/8 and /32 by default). A load balancer's own \
               listener ports are not reported: people, not tiers, call those.",
        why:
            "A broad private range means \"the whole company network\": peered VPCs, VPN users, build agents, anything \
              compromised inside. The guidance joins tiers by security-group references (ALB -> web -> database) so \
              that each tier accepts only the one in front of it, and an instance added by autoscaling is covered by \
              its group, not by an address plan.",
        remediation:
            "Replace the CIDR with the calling tier's security group (`UserIdGroupPair`), for example allow \
                      3306 only from the web tier's group. If the callers are people on a VPN, use the VPN's own range.",
    },
    run: Run::PerRegion(run),
};

fn run(ctx: &RegionCtx, emit: &mut Emit) {
    let n = &ctx.config.networks;
    for g in &ctx.groups {
        let vpc_cidrs: Vec<Cidr> =
            g.sg.vpc_id
                .as_ref()
                .and_then(|v| ctx.vpc(v))
                .map(|v| v.cidrs().collect())
                .unwrap_or_default();
        for rule in rules::ingress(g.sg) {
            let Some(cidr) = rule.cidr() else { continue };
            if cidr.is_anywhere() || !cidr.is_private() || g.rule_serves_listeners(&rule) {
                continue;
            }
            let limit = n.broad_prefix(cidr);
            let same_family: Vec<&Cidr> = vpc_cidrs.iter().filter(|v| v.is_ipv6() == cidr.is_ipv6()).collect();
            let wider_than_vpc =
                !same_family.is_empty() && same_family.iter().all(|v| cidr.host_bits() > v.host_bits());
            if cidr.prefix_len() > limit && !wider_than_vpc {
                continue;
            }
            let why = if wider_than_vpc {
                format!(
                    "wider than its VPC ({})",
                    same_family.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(", ")
                )
            } else {
                format!("/{limit} or wider")
            };
            let summary = format!(
                "{} from {} ({}), {why}: a reference to the calling tier's security group would grant only that tier",
                rule.traffic_label(),
                cidr,
                cidr.size_label()
            );
            emit.rule(g, &rule, summary);
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
}
