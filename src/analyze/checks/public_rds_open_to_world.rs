//! ## What it does
//! Flags RDS databases that are publicly accessible and whose security group
//! accepts their port from `0.0.0.0/0` or `::/0`.
//!
//! ## Why is this bad?
//! Both gates are open: the database has a public endpoint and its firewall
//! lets the world knock. Only the password stands between the internet and
//! the data.

use crate::analyze::checks::*;
use crate::analyze::rules;
use crate::controls;
use crate::model::{ServicePort, VpcSecurityGroupMembership};

pub const CHECK: Check = Check {
    meta: CheckMeta {
        id: "SGA203",
        name: "public-rds-open-to-world",
        question: Question::Q2,
        identity: Identity::RuleAndResources,
        title: "Publicly accessible database open to the whole internet",
        severity: SeverityRule::Fixed(Severity::Critical),
        controls: &[controls::RDS_2],
        what: "RDS DB instances (and Multi-AZ DB clusters) with `PubliclyAccessible` set, one of whose VPC security groups \
               accepts the database port (or all traffic) from `0.0.0.0/0`, `::/0` or a prefix list holding them.",
        why: "Both gates are open: the database resolves to a public address and its security group lets everyone \
              connect. Only the database password is left, and database ports are scanned continuously.",
        remediation: "Turn public access off (`aws rds modify-db-instance --db-instance-identifier <id> \
                      --no-publicly-accessible --apply-immediately`) and allow the port only from the application \
                      tier's security group. Reach it for administration through Session Manager port forwarding or a \
                      bastion.",
    },
    run: Run::PerRegion(run),
};

fn run(ctx: &RegionCtx, emit: &mut Emit) {
    let mut databases: Vec<(String, &str, Option<u16>, &[VpcSecurityGroupMembership])> = ctx
        .region
        .db_instances
        .iter()
        .filter(|d| d.publicly_accessible)
        .map(|d| {
            (
                d.db_instance_identifier.clone(),
                d.engine.as_str(),
                d.port(),
                d.vpc_security_groups.as_slice(),
            )
        })
        .collect();
    let member_ids: std::collections::HashSet<&str> = ctx
        .region
        .db_instances
        .iter()
        .map(|d| d.db_instance_identifier.as_str())
        .collect();
    databases.extend(
        ctx.region
            .db_clusters
            .iter()
            .filter(|c| c.publicly_accessible == Some(true))
            .filter(|c| {
                !c.db_cluster_members
                    .iter()
                    .any(|m| member_ids.contains(m.db_instance_identifier.as_str()))
            })
            .map(|c| {
                let port = c.port();
                (
                    c.db_cluster_identifier.clone(),
                    c.engine.as_str(),
                    port,
                    c.vpc_security_groups.as_slice(),
                )
            }),
    );
    for (id, engine, port, groups) in databases {
        for membership in groups {
            let Some(g) = ctx.group(membership.vpc_security_group_id.as_str()) else {
                continue;
            };
            for rule in rules::ingress(g.sg) {
                let reaches_port = match port {
                    Some(p) => rule.opens(ServicePort::tcp(p)),
                    None => rule.ports.is_some(),
                };
                if !ctx.is_anywhere(&rule) || !reaches_port {
                    continue;
                }
                let summary = format!(
                    "publicly accessible database {id} ({engine}{}) accepts {} from {} through {}",
                    port.map(|p| format!(", port {p}")).unwrap_or_default(),
                    rule.traffic_label(),
                    rule.source_label(),
                    g.sg.group_id
                );
                let f = emit.rule(g, &rule, summary);
                f.exposure = Some(Exposure::InternetExposed);
                f.resource_ids = vec![id.clone()];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::analyze::testing::TestOrg;

    #[test]
    fn a_public_database_open_to_the_world_is_critical() {
        let mut fx = TestOrg::new();
        fx.sg("sg-db", &["tcp 3306 0.0.0.0/0"]);
        fx.rds("orders", true, 3306, &["sg-db"]);
        assert_eq!(
            fx.run("SGA203"),
            ["critical sg-db: publicly accessible database orders (mysql, port 3306) accepts tcp 3306 from 0.0.0.0/0 through sg-db [RDS.2]"]
        );
    }

    #[test]
    fn private_databases_or_narrow_rules_are_not_this_check() {
        let mut fx = TestOrg::new();
        fx.sg("sg-db", &["tcp 3306 0.0.0.0/0"]);
        fx.rds("internal", false, 3306, &["sg-db"]);
        fx.sg("sg-db2", &["tcp 3306 sg-web", "tcp 5432 0.0.0.0/0"]);
        fx.sg("sg-web", &[]);
        fx.rds("public-but-fenced", true, 3306, &["sg-db2"]);
        assert!(fx.run("SGA203").is_empty());
    }
}
