//! Two monthly runs on the sample organization: what changed, and for how long
//! the rest has been open.

use serde_json::{json, Value};

use crate::*;

/// The sample a month later: the RDP-from-::/0 rule closed, SSH opened on
/// `search`, the data API's instance moved behind a public IP, and media-cdn
/// not collected this time.
fn a_month_later(dir: &std::path::Path) -> std::path::PathBuf {
    let mut snap = sample_json();
    snap["started_at"] = json!("2026-12-02T06:00:00Z");
    snap["finished_at"] = json!("2026-12-02T06:03:55Z");
    for acc in snap["accounts"].as_array_mut().unwrap() {
        match acc["name"].as_str().unwrap() {
            "legacy-dev" => {
                let region = &mut acc["regions"][0];
                for g in region["SecurityGroups"].as_array_mut().unwrap() {
                    if g["GroupName"] == "rdp-admin" {
                        g["IpPermissions"]
                            .as_array_mut()
                            .unwrap()
                            .retain(|p| p.get("Ipv6Ranges").is_none());
                    }
                }
            }
            "data-platform" => {
                let region = &mut acc["regions"][0];
                let public = region["Subnets"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|s| s["Tags"][0]["Value"] == "data-public-a")
                    .unwrap()["SubnetId"]
                    .clone();
                for g in region["SecurityGroups"].as_array_mut().unwrap() {
                    if g["GroupName"] == "search" {
                        g["IpPermissions"].as_array_mut().unwrap().push(json!({
                            "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]
                        }));
                    }
                }
                let api_a = region["Instances"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|i| i["Tags"][0]["Value"] == "api-a")
                    .unwrap()["InstanceId"]
                    .clone();
                for eni in region["NetworkInterfaces"].as_array_mut().unwrap() {
                    if eni["Attachment"]["InstanceId"] == api_a {
                        eni["SubnetId"] = public.clone();
                        eni["Association"] = json!({"PublicIp": "203.0.113.99", "IpOwnerId": "amazon"});
                    }
                }
            }
            "media-cdn" => {
                acc["status"] = json!({"state": "failed", "reason": "AssumeRole was denied this month"});
                acc["regions"] = json!([]);
            }
            _ => {}
        }
    }
    write_json(dir, "later.json", &snap)
}

/// `CHECK group-or-subject` for each finding of a list.
fn keys(list: &Value) -> Vec<String> {
    let mut v: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|f| format!("{} {}", f["check_id"].as_str().unwrap(), f["summary"].as_str().unwrap()))
        .collect();
    v.sort();
    v
}

#[test]
fn a_second_run_tells_new_fixed_persisting_changed_and_unknown() {
    let (first, _) = assess(&sample(), &[]);
    let tmp = tempfile::tempdir().unwrap();
    let later = a_month_later(tmp.path());
    let (second, out) = assess(&later, &["--baseline", first.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let diff = json(second.path(), "diff.json");

    assert_eq!(
        keys(&diff["new"]),
        [
            "SGA101 tcp 22 from 0.0.0.0/0 opens admin port 22/tcp",
            "SGA201 tcp 22 from 0.0.0.0/0 on a group attached only to internal resources (instance), which the internet does not reach (no public IPv4 address)",
            "SGA302 instance i-04e2e3aa04e818d37 (search-1) answers on admin port 22/tcp to 0.0.0.0/0 although Systems Manager manages it",
            "SGA503 tcp 22 from 0.0.0.0/0 opens 22/tcp to the world on a critical resource; authorized: 80/tcp, 443/tcp",
            "SGA904 1 of 2 inbound rule(s) of search have no description",
        ]
    );
    assert_eq!(
        keys(&diff["resolved"]),
        [
            "SGA101 tcp 3389 from ::/0 opens admin port 3389/tcp",
            "SGA201 tcp 8080 from 0.0.0.0/0 on a group attached only to internal resources (instance), which the internet does not reach (no public IPv4 address)",
        ]
    );
    let changed: Vec<String> = diff["severity_changed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {} -> {}",
                f["check_id"].as_str().unwrap(),
                f["severity_was"].as_str().unwrap(),
                f["severity"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        changed,
        ["SGA202 high -> critical", "SGA205 medium -> high"],
        "the data API became internet-exposed"
    );
    // media-cdn was not collected: its findings are unknown, never fixed.
    let unknown = diff["unknown"].as_array().unwrap();
    assert_eq!(unknown.len(), 4);
    assert!(unknown
        .iter()
        .all(|f| f["account_id"] == "666666666666" && f["reason"].as_str().unwrap().contains("denied this month")));
    assert!(diff["resolved"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["account_id"] != "666666666666"));

    // Persisting findings keep their first-seen date and age.
    let findings = json(second.path(), "findings.json");
    let tmp_debug = findings["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check_id"] == "SGA101" && f["security_group_name"] == "tmp-debug")
        .unwrap();
    assert_eq!(tmp_debug["first_seen"], "2026-11-02T06:00:00Z");
    assert_eq!(tmp_debug["age_days"], 30);
    assert_eq!(tmp_debug["change"], "persisting");
    assert_eq!(
        tmp_debug["overdue"], true,
        "critical for 30 days: past the 7-day target"
    );
    let new_one = findings["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check_id"] == "SGA503")
        .unwrap();
    assert_eq!(
        (new_one["change"].as_str(), new_one["age_days"].as_i64()),
        (Some("new"), Some(0))
    );

    // The trend carries on, and page one shows it.
    let trend = json(second.path(), "trend.json");
    assert_eq!(trend["entries"].as_array().unwrap().len(), 2);
    let index = read(second.path(), "index.html");
    let section = &index[index.find("<h2>Trend</h2>").unwrap()..index.find("<h2>Oldest open findings</h2>").unwrap()];
    insta::assert_snapshot!("index-trend-section.html", section);

    // `diff` on the two packages says the same as `assess --baseline`.
    let diff_dir = tmp.path().join("diff");
    let out = sgaudit(&[
        "diff",
        first.path().to_str().unwrap(),
        second.path().to_str().unwrap(),
        "--out",
        diff_dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let from_diff = json(&diff_dir, "diff.json");
    for key in [
        "counts",
        "new",
        "severity_changed",
        "resolved",
        "unknown",
        "baseline_as_of",
        "as_of",
    ] {
        assert_eq!(from_diff[key], diff[key], "{key}");
    }
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.starts_with("findings: 5 new, 2 fixed, "), "{stdout}");
    // and adds the rule-level change log.
    let rules: Vec<String> = from_diff["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            format!(
                "{} {} {}",
                r["group_name"].as_str().unwrap(),
                r["kind"].as_str().unwrap(),
                r["detail"].as_str().unwrap()
            )
        })
        .collect();
    assert!(
        rules.contains(&"rdp-admin rule_removed ingress tcp 3389 from ::/0".to_string()),
        "{rules:#?}"
    );
    assert!(
        rules.contains(&"search rule_added ingress tcp 22 from 0.0.0.0/0".to_string()),
        "{rules:#?}"
    );
    assert!(
        rules.iter().any(|r| r.starts_with("data-api became_internet_exposed")),
        "{rules:#?}"
    );
    insta::assert_snapshot!("diff.md", read(&diff_dir, "diff.md"));
}

#[test]
fn a_tampered_baseline_is_refused() {
    let (first, _) = assess(&sample(), &[]);
    let path = first.path().join("findings.json");
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replacen("\"critical\"", "\"low\"", 1);
    std::fs::write(&path, text).unwrap();
    let (out_dir, out) = assess(&sample(), &["--baseline", first.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("does not match its manifest (findings.json changed)"),
        "{}",
        stderr(&out)
    );
    assert!(!out_dir.path().join("manifest.json").exists(), "nothing is written");
}

#[test]
fn fail_on_new_tolerates_the_backlog_but_not_regressions() {
    let (first, _) = assess(&sample(), &[]);
    // The same snapshot again: everything persists, nothing is new.
    let (_, out) = assess(
        &sample(),
        &["--baseline", first.path().to_str().unwrap(), "--fail-on-new", "low"],
    );
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let tmp = tempfile::tempdir().unwrap();
    let later = a_month_later(tmp.path());
    let (_, out) = assess(
        &later,
        &["--baseline", first.path().to_str().unwrap(), "--fail-on-new", "high"],
    );
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("new open finding(s) of severity high or worse"),
        "{}",
        stderr(&out)
    );
    // Without a baseline the gate makes no sense: a usage error.
    let (_, out) = assess(&sample(), &["--fail-on-new", "high"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

/// A package written by sgaudit 0.1.0 (tests/fixtures/baseline-0.1.0: the
/// sample assessed with `--format json`), whose fingerprints used recipe 1.
/// Every finding this version raises that 0.1.0 raised too keeps its
/// history: it is persisting, first seen when 0.1.0 first saw it.
#[test]
fn a_baseline_written_by_sgaudit_0_1_0_still_matches() {
    let old_dir = root().join("tests/fixtures/baseline-0.1.0");
    let old = json(&old_dir, "findings.json");
    assert!(
        old.get("fingerprint_recipe").is_none(),
        "the fixture must be a recipe-1 package"
    );
    let baseline = old_dir.to_str().unwrap();
    let (dir, out) = assess(&sample(), &["--baseline", baseline, "--format", "json"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let new = json(dir.path(), "findings.json");
    // The same finding, told by what it is about rather than by its print.
    let about = |f: &Value| {
        format!(
            "{} {} {} {} {}",
            f["check_id"], f["account_id"], f["region"], f["security_group_id"], f["rule"]
        )
    };
    let before: std::collections::HashMap<String, &Value> = old["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (about(f), f))
        .collect();
    let mut matched = 0;
    for f in new["findings"].as_array().unwrap() {
        let Some(past) = before.get(&about(f)) else { continue };
        matched += 1;
        assert_eq!(f["change"], "persisting", "{} came back as new", f["summary"]);
        assert_eq!(f["first_seen"], past["first_seen"]);
        assert_ne!(
            f["fingerprint"], past["fingerprint"],
            "recipe 2 prints differ from recipe 1's"
        );
    }
    assert!(matched >= 30, "only {matched} findings in common with 0.1.0's");
}
