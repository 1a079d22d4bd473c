//! `sgaudit usage` and `assess --usage`, end to end on the sample
//! organization, with flow logs written by the generator of
//! `examples/flow_logs` in the S3 delivery layout.

use std::path::Path;

use crate::gen::{self, Layout, Record};

use crate::*;

const LEGACY: &str = "333333333333";
const REGION: &str = "eu-west-1";
/// launch-wizard-1 (tcp 22 from anywhere) and tmp-debug (every TCP port from anywhere).
const SSH_HOST: (&str, &str) = ("eni-0cb65fe4a290f4b0c", "10.70.54.247");
/// launch-wizard-1 only.
const SSH_HOST_2: (&str, &str) = ("eni-0b428a8280dde584d", "10.64.174.78");
/// rdp-admin.
const RDP_HOST: (&str, &str) = ("eni-0f99ceacc19adc73f", "10.28.153.108");
/// rds-launch-wizard (tcp 3306 from anywhere).
const DB: (&str, &str) = ("eni-0955454ab31babc0e", "10.19.100.42");
const OFFICES: [&str; 2] = ["198.51.100.7", "203.0.113.20"];
/// 2026-10-01 00:00 UTC: 31 days of logs up to 2026-11-01.
const SINCE: i64 = 1_790_812_800;
const DAYS: i64 = 31;

/// A month of legacy-dev's traffic, as the guidance would tell it.
fn month_of_logs(root: &Path) {
    let mut default = Vec::new();
    let mut custom = Vec::new();
    for h in 0..DAYS * 24 {
        let t = SINCE + h * 3600;
        // SSH from two office addresses only, every working hour.
        if h % 24 >= 8 && h % 24 < 18 {
            for office in OFFICES {
                default.push(Record::inbound(LEGACY, SSH_HOST.0, office, SSH_HOST.1, 22, t + 60));
            }
        } else {
            default.push(Record::nodata(LEGACY, SSH_HOST.0, t));
        }
        // The same host calling out to an HTTPS service: its replies are no
        // use of tmp-debug's "every port from anywhere".
        default.push(Record::reply(
            LEGACY,
            SSH_HOST.0,
            "93.184.216.34",
            443,
            SSH_HOST.1,
            t + 120,
        ));
        // Scanners knocking on RDP, rejected by the network ACL's rules of a
        // wiser day; and nothing else.
        default.push(Record::rejected(
            LEGACY,
            SSH_HOST_2.0,
            "45.33.32.156",
            SSH_HOST_2.1,
            3389,
            t,
        ));
        default.push(Record::nodata(LEGACY, SSH_HOST_2.0, t));
        // The database is idle all month.
        default.push(Record::nodata(LEGACY, DB.0, t));
        // The RDP host's records were skipped for most of the month: too
        // little coverage to call anything unused. Its flow log has a custom format.
        if h < 24 * 10 {
            custom.push(Record::nodata(LEGACY, RDP_HOST.0, t));
        } else {
            custom.push(Record::skipdata(LEGACY, RDP_HOST.0, t));
        }
    }
    gen::write_delivery(root, REGION, &default, Layout::Default);
    gen::write_delivery(&root.join("custom"), REGION, &custom, Layout::Custom);
}

/// The sample, with legacy-dev's VPC logging all traffic (in the sample it
/// has no flow log, and silence in an unknown log proves nothing).
fn logged_sample(dir: &Path) -> std::path::PathBuf {
    let mut s = sample_json();
    let legacy = s["accounts"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|a| a["account_id"] == LEGACY)
        .unwrap();
    let region = legacy["regions"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|r| r["region"] == REGION)
        .unwrap();
    let vpc = region["NetworkInterfaces"][0]["VpcId"].clone();
    region["FlowLogs"] = serde_json::json!([{
        "FlowLogId": "fl-0legacy", "ResourceId": vpc, "TrafficType": "ALL", "FlowLogStatus": "ACTIVE",
        "DeliverLogsStatus": "SUCCESS", "LogDestinationType": "s3", "LogDestination": "arn:aws:s3:::legacy-flow-logs"
    }]);
    write_json(dir, "logged-sample.json", &s)
}

fn usage(logs: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    let sample = logged_sample(logs);
    let mut args = vec![
        "usage",
        "--snapshot",
        sample.to_str().unwrap(),
        "--flow-logs",
        logs.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    sgaudit(&args)
}

const WINDOW: [&str; 4] = ["--since", "2026-10-01", "--until", "2026-10-31"];

fn findings_of(dir: &Path, check: &str) -> Vec<String> {
    let f = json(dir, "findings.json");
    f["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["check_id"] == check)
        .map(|x| {
            format!(
                "{} {}",
                x["security_group_id"].as_str().unwrap_or("-"),
                x["summary"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn ssh_open_to_the_world_used_by_two_office_addresses_gets_those_two_hosts_proposed() {
    let logs = tempfile::tempdir().unwrap();
    month_of_logs(logs.path());
    let u = logs.path().join("usage.json");
    let o = usage(logs.path(), &u, &WINDOW);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let summary = json(logs.path(), "usage.json");
    assert_eq!(summary["window"]["hours"], 31 * 24);
    assert_eq!(summary["records"]["replies"], 31 * 24, "every reply leg recognised");
    assert_eq!(summary["records"]["rejected"], 31 * 24);

    let (dir, out) = assess(&sample(), &["--usage", u.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "partial, as the sample always is: {}",
        stderr(&out)
    );
    let tight = findings_of(dir.path(), "SGA506");
    assert!(
        tight.contains(
            &"sg-022056fcc9c26506f tcp 22 from 0.0.0.0/0 is used by 2 sources only: these 2 prefixes account for \
              100% of its 620 flows in 31 days: 198.51.100.7/32, 203.0.113.20/32"
                .to_string()
        ),
        "{tight:#?}"
    );
    // tmp-debug's every-port rule admitted the same SSH flows (a flow counts
    // for every rule that admits it), and no reply.
    assert!(
        tight
            .iter()
            .any(|t| t.starts_with("sg-0194951133e81a0a8 tcp all ports from 0.0.0.0/0 is used by 2 sources")),
        "{tight:#?}"
    );
    let unused = findings_of(dir.path(), "SGA505");
    assert_eq!(
        unused,
        ["sg-0b21f02eff4ba3acd tcp 3306 from 0.0.0.0/0 was not used in 31 days of flow logs covering its interface"],
        "the idle database's rule; the RDP host was too little watched to judge"
    );

    let rules = read(dir.path(), "rules.csv");
    let row = |group: &str, port: &str| {
        rules
            .lines()
            .find(|l| l.contains(group) && l.contains(&format!(",ingress,tcp,{port},")))
            .unwrap_or_else(|| panic!("no row for {group} {port}"))
            .to_string()
    };
    assert!(
        row("sg-022056fcc9c26506f", "22").ends_with(",used,620,2,2026-10-01,2026-10-31,31"),
        "{}",
        row("sg-022056fcc9c26506f", "22")
    );
    assert!(row("sg-0b21f02eff4ba3acd", "3306").ends_with(",unused,0,0,,,31"));
    assert!(row("sg-055a3b7c0e8a7288e", "3389").contains(",not assessed,"));

    let page = read(dir.path(), &format!("accounts/{LEGACY}.html"));
    assert!(page.contains("Rule usage (flow logs)"));
    assert!(page.contains("used by 2 sources, last 2026-10-31"));
    assert!(page.contains("unused in 31 days"));
    assert!(page.contains("not enough flow-log coverage: 10 of the 30 days needed"));
    let index = read(dir.path(), "index.html");
    assert!(index.contains("Rules in use (flow logs)"), "page one counts them");
    let md = read(dir.path(), "report.md");
    assert!(
        md.contains("**1 unused**"),
        "{}",
        md.lines().find(|l| l.contains("Rules in use")).unwrap_or("")
    );
}

#[test]
fn the_package_keeps_the_usage_summary_and_reproduces_its_reports() {
    let logs = tempfile::tempdir().unwrap();
    month_of_logs(logs.path());
    let u = logs.path().join("usage.json");
    assert_eq!(usage(logs.path(), &u, &WINDOW).status.code(), Some(0));
    let (dir, _) = assess(&logged_sample(logs.path()), &["--usage", u.to_str().unwrap()]);
    let manifest = json(dir.path(), "manifest.json");
    assert_eq!(manifest["usage"]["file"], "usage.json");
    assert!(manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["path"] == "usage.json"));
    let v = sgaudit(&["verify", dir.path().to_str().unwrap()]);
    assert_eq!(v.status.code(), Some(0), "{}", stderr(&v));
    // Every log object read is named with its digest.
    let summary = json(dir.path(), "usage.json");
    let objects = summary["objects"].as_array().unwrap();
    assert_eq!(objects.len(), 31 * 24 * 2);
    assert!(objects
        .iter()
        .all(|o| o["sha256"].as_str().unwrap().starts_with("sha256:")));

    // From the package alone, the same bytes.
    let again = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n).to_str().unwrap().to_string();
    let o = sgaudit(&[
        "assess",
        "--snapshot",
        &p("snapshot.json"),
        "--config",
        &p("config.toml"),
        "--usage",
        &p("usage.json"),
        "--out",
        again.path().to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    for name in [
        "findings.json",
        "rules.csv",
        "index.html",
        "report.md",
        &format!("accounts/{LEGACY}.html"),
    ] {
        assert_eq!(
            read(dir.path(), name),
            read(again.path(), name),
            "{name} is not reproduced"
        );
    }
}

#[test]
fn bad_objects_are_gaps_named_by_file_line_and_field_not_a_crashed_run() {
    let logs = tempfile::tempdir().unwrap();
    month_of_logs(logs.path());
    let bad = logs.path().join("bad");
    std::fs::create_dir_all(&bad).unwrap();
    std::fs::write(
        bad.join("unknown-field.log"),
        "version account-id interface-id src-address dstaddr\n2 1 eni-1 1.2.3.4 5.6.7.8\n",
    )
    .unwrap();
    let good = format!(
        "2 {LEGACY} {} 198.51.100.7 {} 50000 22 6 1 60 {SINCE} {} ACCEPT OK\n",
        SSH_HOST.0,
        SSH_HOST.1,
        SINCE + 60
    );
    std::fs::write(
        bad.join("short-line.log"),
        format!("{good}2 {LEGACY} eni-0cb65fe4a290f4b0c 198.51.100.7\n"),
    )
    .unwrap();
    let mut gz = gen::gzip(good.repeat(5000).as_bytes());
    let n = gz.len();
    for b in &mut gz[n / 2..n / 2 + 32] {
        *b ^= 0x5a;
    }
    std::fs::write(bad.join("corrupt.log.gz"), gz).unwrap();

    let u = logs.path().join("usage.json");
    let o = usage(logs.path(), &u, &WINDOW);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(3), "partial: {err}");
    assert!(
        err.contains("unknown-field.log: line 1 (the header): column 4: `src-address` is not a flow-log field"),
        "{err}"
    );
    assert!(
        err.contains("short-line.log: line 2: 4 fields, but the format has 14"),
        "{err}"
    );
    assert!(err.contains("corrupt.log.gz: line "), "{err}");
    let summary = json(logs.path(), "usage.json");
    let failed: Vec<&str> = summary["objects"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o.get("error").is_some())
        .map(|o| o["location"].as_str().unwrap())
        .collect();
    assert_eq!(failed.len(), 3, "{failed:?}");

    // The assessment says so too: partial, and no rule is called unused
    // while records that may show its use could not be read.
    let (dir, o) = assess(&logged_sample(logs.path()), &["--usage", u.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3));
    assert!(
        stderr(&o).contains("3 flow-log object(s) could not be read"),
        "{}",
        stderr(&o)
    );
    assert!(findings_of(dir.path(), "SGA505").is_empty());
    assert!(read(dir.path(), &format!("accounts/{LEGACY}.html"))
        .contains("3 log objects that may hold its records could not be read"));
}

#[test]
fn parquet_delivery_gets_a_clear_no() {
    let logs = tempfile::tempdir().unwrap();
    std::fs::write(logs.path().join("x.parquet"), b"PAR1\x15\x04").unwrap();
    let o = usage(logs.path(), &logs.path().join("usage.json"), &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("Parquet is not supported"), "{}", stderr(&o));
    assert!(stderr(&o).contains("plain-text"), "{}", stderr(&o));
}

#[test]
fn a_usage_file_that_is_not_one_is_refused_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("usage.json");
    std::fs::write(&bad, "{\"schema_version\": 1, \"tool\": 3}").unwrap();
    let (_, o) = assess(&sample(), &["--usage", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("usage.json:1:"), "{}", stderr(&o));
    assert!(stderr(&o).contains("`tool`"), "{}", stderr(&o));
}
