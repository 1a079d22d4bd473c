//! Attribution, in the guidance's terms: which rule admitted which traffic.

use super::*;
use crate::analyze::testing::TestOrg;

const WEB: &str = "10.0.1.10";
const DB: &str = "10.0.2.20";
const T0: i64 = 1_793_491_200; // 2026-11-01 00:00 UTC

fn org() -> TestOrg {
    let mut fx = TestOrg::new();
    fx.sg(
        "sg-web",
        &["tcp 22 0.0.0.0/0", "tcp 443 0.0.0.0/0", "tcp 0-65535 10.0.0.0/16"],
    );
    fx.sg("sg-db", &["tcp 5432 sg-web", "tcp 6379 sg-web"]);
    fx.sg("sg-idle", &["tcp 22 10.0.0.0/8"]);
    fx.instance("i-web", "subnet-public", &["sg-web"], Some("203.0.113.10"));
    fx.instance("i-db", "subnet-private", &["sg-db"], None);
    address(&mut fx, "eni-web", WEB);
    address(&mut fx, "eni-db", DB);
    fx.flow_log_on("vpc-main");
    fx
}

fn address(fx: &mut TestOrg, eni: &str, ip: &str) {
    let e = fx
        .region()
        .network_interfaces
        .iter_mut()
        .find(|e| e.network_interface_id.as_str() == eni)
        .unwrap();
    e.private_ip_address = Some(ip.into());
}

/// An accepted TCP record `src:sport -> dst:dport` seen at `eni`, `hour` hours in.
fn tcp<'a>(eni: &'a str, src: &str, sport: u16, dst: &str, dport: u16, hour: i64) -> FlowRecord<'a> {
    FlowRecord {
        interface_id: Some(eni),
        srcaddr: src.parse().ok(),
        dstaddr: dst.parse().ok(),
        srcport: Some(sport),
        dstport: Some(dport),
        protocol: Some(6),
        packets: 10,
        bytes: 1000,
        start: T0 + hour * 3600,
        end: T0 + hour * 3600 + 60,
        action: Some(FlowAction::Accept),
        log_status: Some(LogStatus::Ok),
        ..Default::default()
    }
}

fn summarize(fx: &TestOrg, records: &[FlowRecord<'_>], window: Option<(i64, i64)>) -> Usage {
    let window = window.map_or(Bounds::default(), |(s, u)| Bounds {
        since: Some(s),
        until: Some(u),
    });
    let at = Attributor::new(&fx.snapshot, window);
    // Two "threads", to exercise the merge.
    let (mut a, mut b) = (at.tally(), at.tally());
    for (i, r) in records.iter().enumerate() {
        if i % 2 == 0 {
            a.add(r)
        } else {
            b.add(r)
        }
    }
    finish(&at, vec![a, b], provenance(fx))
}

fn provenance(fx: &TestOrg) -> Provenance {
    Provenance {
        tool: ToolInfo::this_build(),
        snapshot: SnapshotRef {
            sha256: "sha256:test".into(),
            started_at: fx.snapshot.started_at,
        },
        objects: vec![],
    }
}

fn rule<'u>(u: &'u Usage, group: &str, key: &str) -> &'u RuleUsage {
    let g = u.groups.iter().find(|g| g.group_id.as_str() == group).expect("group");
    g.rule(key).unwrap_or_else(|| {
        panic!(
            "no rule {key} in {:?}",
            g.rules.iter().map(|r| &r.key).collect::<Vec<_>>()
        )
    })
}

#[test]
fn ssh_open_to_the_world_is_used_by_two_office_addresses_only() {
    let fx = org();
    let mut records = Vec::new();
    for h in 0..48 {
        records.push(tcp("eni-web", "198.51.100.7", 50000 + h as u16, WEB, 22, h));
        records.push(tcp("eni-web", "198.51.100.8", 51000 + h as u16, WEB, 22, h));
    }
    let u = summarize(&fx, &records, None);
    let ssh = rule(&u, "sg-web", "ingress tcp 22-22 cidr:0.0.0.0/0");
    assert_eq!(ssh.flows, 96);
    assert_eq!(ssh.distinct_sources, 2);
    assert!(ssh.sources_complete);
    let seen: Vec<String> = ssh.sources.iter().map(|s| s.address.to_string()).collect();
    assert_eq!(seen, ["198.51.100.7", "198.51.100.8"]);
    let proposal = prefixes::cover(&ssh.sources.iter().map(|s| s.address).collect::<Vec<_>>(), 24, 48, 8).unwrap();
    let proposal: Vec<String> = proposal.iter().map(|c| c.to_string()).collect();
    assert_eq!(
        proposal,
        ["198.51.100.7/32", "198.51.100.8/32"],
        "those two /32s, nothing wider"
    );
    assert_eq!(rule(&u, "sg-web", "ingress tcp 443-443 cidr:0.0.0.0/0").flows, 0);
    assert_eq!(u.records.inbound, 96);
    assert_eq!(u.window.hours, 48);
    let web = u.groups.iter().find(|g| g.group_id.as_str() == "sg-web").unwrap();
    assert_eq!(web.covered_hours, 48);
}

#[test]
fn overlapping_rules_are_both_used() {
    let fx = org();
    // From inside the VPC to 22: both the world rule and the VPC-wide rule admit it.
    let u = summarize(&fx, &[tcp("eni-web", "10.0.2.20", 40000, WEB, 22, 0)], None);
    assert_eq!(rule(&u, "sg-web", "ingress tcp 22-22 cidr:0.0.0.0/0").flows, 1);
    assert_eq!(rule(&u, "sg-web", "ingress tcp 0-65535 cidr:10.0.0.0/16").flows, 1);
    assert_eq!(u.records.inbound, 1, "one flow, counted once in the totals");
}

#[test]
fn a_group_reference_is_used_by_its_members_only() {
    let fx = org();
    let u = summarize(
        &fx,
        &[
            tcp("eni-db", WEB, 41000, DB, 5432, 0),
            // Not a member of sg-web: no rule of sg-db admits it.
            tcp("eni-db", "10.0.1.99", 41000, DB, 5432, 0),
        ],
        None,
    );
    let r = rule(&u, "sg-db", "ingress tcp 5432-5432 sg:sg-web@111111111111");
    assert_eq!(r.flows, 1);
    assert_eq!(
        rule(&u, "sg-db", "ingress tcp 6379-6379 sg:sg-web@111111111111").flows,
        0
    );
    assert_eq!(u.records.unmatched, 1);
}

#[test]
fn replies_rejected_and_outbound_records_use_no_rule() {
    let fx = org();
    let mut reply = tcp("eni-web", "93.184.216.34", 443, WEB, 40001, 0);
    reply.protocol = Some(6);
    let mut rejected = tcp("eni-web", "198.51.100.9", 50000, WEB, 22, 0);
    rejected.action = Some(FlowAction::Reject);
    let out = tcp("eni-web", WEB, 40001, "93.184.216.34", 443, 0);
    let u = summarize(&fx, &[reply, rejected, out], None);
    assert_eq!(u.records.replies, 1);
    assert_eq!(u.records.rejected, 1);
    assert_eq!(u.records.outbound, 1);
    assert_eq!(rule(&u, "sg-web", "ingress tcp 0-65535 cidr:10.0.0.0/16").flows, 0);
    assert_eq!(rule(&u, "sg-web", "ingress tcp 22-22 cidr:0.0.0.0/0").flows, 0);
}

#[test]
fn nodata_is_covered_time_and_skipdata_a_gap() {
    let fx = org();
    let mut records = Vec::new();
    for h in 0..24 {
        let mut r = tcp("eni-db", "-", 0, "-", 0, h);
        r.log_status = Some(if h < 20 { LogStatus::NoData } else { LogStatus::SkipData });
        r.srcaddr = None;
        r.dstaddr = None;
        records.push(r);
    }
    let u = summarize(&fx, &records, Some((T0, T0 + 24 * 3600)));
    let db = u
        .interfaces
        .iter()
        .find(|i| i.interface_id.as_str() == "eni-db")
        .unwrap();
    assert_eq!((db.covered_hours, db.skipped_hours), (20, 4));
    let web = u
        .interfaces
        .iter()
        .find(|i| i.interface_id.as_str() == "eni-web")
        .unwrap();
    assert_eq!(web.covered_hours, 0, "no record: not watched");
    assert_eq!((u.records.nodata, u.records.skipdata), (20, 4));
    assert_eq!(u.window.hours, 24);
}

#[test]
fn records_outside_the_window_and_of_unknown_interfaces_are_counted_apart() {
    let fx = org();
    let u = summarize(
        &fx,
        &[
            tcp("eni-web", "198.51.100.7", 50000, WEB, 22, -5),
            tcp("eni-elsewhere", "198.51.100.7", 50000, "10.9.9.9", 22, 1),
            tcp("eni-web", "198.51.100.7", 50000, WEB, 22, 1),
        ],
        Some((T0, T0 + 24 * 3600)),
    );
    assert_eq!(u.records.outside_window, 1);
    assert_eq!(u.records.unknown_interface, 1);
    assert_eq!(rule(&u, "sg-web", "ingress tcp 22-22 cidr:0.0.0.0/0").flows, 1);
}

#[test]
fn every_rule_of_a_group_with_interfaces_is_listed_used_or_not() {
    let fx = org();
    let u = summarize(&fx, &[], None);
    let web = u.groups.iter().find(|g| g.group_id.as_str() == "sg-web").unwrap();
    assert_eq!(web.rules.len(), 3);
    assert!(
        u.groups.iter().all(|g| g.group_id.as_str() != "sg-idle"),
        "no interface: nothing to watch"
    );
}

#[test]
fn interfaces_whose_flow_logs_record_rejects_only_are_not_watched() {
    let mut fx = org();
    fx.region().flow_logs = Some(vec![crate::model::FlowLog {
        flow_log_id: "fl-rejects".into(),
        resource_id: "vpc-main".into(),
        traffic_type: Some("REJECT".into()),
        flow_log_status: Some("ACTIVE".into()),
        ..Default::default()
    }]);
    let mut records = Vec::new();
    for h in 0..24 {
        let mut r = tcp("eni-db", "-", 0, "-", 0, h);
        r.log_status = Some(LogStatus::NoData);
        records.push(r);
    }
    let u = summarize(&fx, &records, None);
    let db = u
        .interfaces
        .iter()
        .find(|i| i.interface_id.as_str() == "eni-db")
        .unwrap();
    assert!(db.rejects_only);
    assert_eq!(
        db.covered_hours, 0,
        "silence in a rejects-only log proves nothing about accepted traffic"
    );
}

#[test]
fn an_open_end_of_the_window_is_where_the_records_end() {
    let fx = org();
    let at = Attributor::new(
        &fx.snapshot,
        Bounds {
            since: Some(T0),
            until: None,
        },
    );
    let mut t = at.tally();
    t.add(&tcp("eni-web", "198.51.100.7", 50000, WEB, 22, 5));
    t.add(&tcp("eni-web", "198.51.100.7", 50000, WEB, 22, -2));
    let u = finish(&at, vec![t], provenance(&fx));
    assert_eq!(u.records.outside_window, 1);
    assert_eq!(u.window.since.unix_timestamp(), T0);
    assert_eq!(u.window.hours, 6, "from --since to the end of the last record's hour");
}

#[test]
fn silence_counts_as_watched_only_where_accepted_traffic_is_known_to_be_logged() {
    let mut fx = org();
    fx.flow_logs_not_collected();
    let mut records = Vec::new();
    for h in 0..24 {
        let mut r = tcp("eni-db", "-", 0, "-", 0, h);
        r.log_status = Some(LogStatus::NoData);
        records.push(r);
        records.push(tcp("eni-web", "198.51.100.7", 50000, WEB, 22, h));
    }
    let u = summarize(&fx, &records, None);
    let of = |id: &str| u.interfaces.iter().find(|i| i.interface_id.as_str() == id).unwrap();
    assert!(of("eni-db").accepts_unproven);
    assert_eq!(
        of("eni-db").covered_hours,
        0,
        "NODATA alone, no flow log known: maybe a rejects-only log"
    );
    assert_eq!(
        of("eni-web").covered_hours,
        24,
        "an accepted record proves accepted traffic is logged"
    );
}

#[test]
fn an_hour_with_skipped_records_is_not_covered() {
    let fx = org();
    let mut skip = tcp("eni-web", "-", 0, "-", 0, 0);
    skip.log_status = Some(LogStatus::SkipData);
    let u = summarize(
        &fx,
        &[tcp("eni-web", "198.51.100.7", 50000, WEB, 22, 0), skip],
        Some((T0, T0 + 3600)),
    );
    let web = u
        .interfaces
        .iter()
        .find(|i| i.interface_id.as_str() == "eni-web")
        .unwrap();
    assert_eq!((web.covered_hours, web.skipped_hours), (0, 1));
}

#[test]
fn a_reference_to_a_group_the_snapshot_does_not_hold_is_never_unused() {
    let mut fx = org();
    fx.set_rules("sg-db", &["tcp 5432 sg-elsewhere@222222222222"]);
    let u = summarize(&fx, &[tcp("eni-db", "10.9.0.4", 41000, DB, 5432, 0)], None);
    assert_eq!(
        rule(&u, "sg-db", "ingress tcp 5432-5432 sg:sg-elsewhere@222222222222").flows,
        1
    );
}
