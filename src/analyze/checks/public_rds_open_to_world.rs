//! ## What it does
//! Flags RDS databases that are publicly accessible and whose security group
//! accepts their port from `0.0.0.0/0` or `::/0`.
//!
//! ## Why is this bad?
//! Both gates are open: the database has a public endpoint and its firewall
//! lets the world knock. Only the password stands between the internet and
//! the data.

use crate::analyze::checks::*;
use crate::analyze::context::Target;
use crate::analyze::rules;
use crate::controls;
use crate::model::ServicePort;

pub const CHECK: Check = Check {
    meta: CheckMeta {
        id: "SGA203",
        name: "public-rds-open-to-world",
        question: Question::Q2,
        identity: Identity::RuleAndResources,
        title: "Publicly accessible database open to the whole internet",
        severity: SeverityRule::ByExposure {
            internet: Severity::Critical,
            internal: Severity::High,
            unattached: Severity::High,
        },
        controls: &[controls::RDS_2, controls::NIST_SC_7, controls::PCI_1_3, controls::ISO_8_20, controls::SOC2_CC6_6],
        what: "RDS DB instances (and Multi-AZ DB clusters) with `PubliclyAccessible` set, one of whose VPC security groups \
               accepts the database port (or all traffic) from `0.0.0.0/0`, `::/0` or a prefix list holding them. \
               Critical when the internet reaches the database (a subnet of its subnet group routes to an internet \
               gateway and the network ACL admits the port) or that cannot be verified; high when something named in \
               the finding stops it: one route or ACL change away.",
        why: "Both gates are open: the database resolves to a public address and its security group lets everyone \
              connect. Only the database password is left, and database ports are scanned continuously.",
        remediation: "Turn public access off (`aws rds modify-db-instance --db-instance-identifier <id> \
                      --no-publicly-accessible --apply-immediately`) and allow the port only from the application \
                      tier's security group. Reach it for administration through Session Manager port forwarding or a \
                      bastion.",
        fix: FixKind::DbPrivate,
    },
    run: Run::PerRegion(run),
};

fn run(ctx: &RegionCtx, emit: &mut Emit) {
    for g in &ctx.groups {
        for a in &g.attachments {
            let (id, engine, port) = match a.target {
                Target::DbInstance(db) if db.publicly_accessible => (&db.db_instance_identifier, &db.engine, db.port()),
                // A cluster whose members are in the snapshot is judged through them.
                Target::DbCluster(c)
                    if c.publicly_accessible == Some(true)
                        && !ctx
                            .region
                            .db_instances
                            .iter()
                            .any(|d| d.db_cluster_identifier.as_deref() == Some(c.db_cluster_identifier.as_str())) =>
                {
                    (&c.db_cluster_identifier, &c.engine, c.port())
                }
                _ => continue,
            };
            for rule in rules::ingress(g.sg) {
                let reaches_port = match port {
                    Some(p) => rule.opens(ServicePort::tcp(p)),
                    None => rule.ports.is_some(),
                };
                if !ctx.is_anywhere(&rule) || !reaches_port {
                    continue;
                }
                let reach = ctx.network.reach(&a.target, g.sg, &rule, None);
                let summary = format!(
                    "publicly accessible database {id} ({engine}{}) accepts {} from {} through {}",
                    port.map(|p| format!(", port {p}")).unwrap_or_default(),
                    rule.traffic_label(),
                    rule.source_label(),
                    g.sg.group_id
                );
                let f = emit.rule_reaching(g, &rule, reach.as_ref(), summary);
                f.resource_ids = ResourceIds::one(id.as_str());
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
