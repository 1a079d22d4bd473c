//! What the sample organization must show, in the guidance's terms.

use serde_json::Value;

use crate::*;

fn account<'a>(scores: &'a Value, id: &str) -> &'a Value {
    scores["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["account_id"] == id)
        .unwrap()
}

fn status(acc: &Value, q: usize) -> String {
    acc["questions"][q]["status"].as_str().unwrap().to_string()
}

#[test]
fn the_textbook_account_scores_100_on_every_question_it_is_assessed_on() {
    let (dir, _) = assess(&sample(), &[]);
    let scores = json(dir.path(), "scores.json");
    let shop = account(&scores, "222222222222");
    for q in 0..5 {
        assert_eq!(
            status(shop, q),
            "pass",
            "Q{}: {}",
            q + 1,
            shop["questions"][q]["reason"]
        );
        assert_eq!(shop["questions"][q]["score"], 100.0);
    }
    let findings = json(dir.path(), "findings.json");
    let about_shop: Vec<&Value> = findings["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["account_id"] == "222222222222")
        .collect();
    assert!(about_shop.is_empty(), "{about_shop:#?}");
}

#[test]
fn each_bad_account_fails_the_right_question() {
    let (dir, _) = assess(&sample(), &[]);
    let scores = json(dir.path(), "scores.json");
    let legacy = account(&scores, "333333333333");
    assert_eq!(status(legacy, 0), "fail", "Q1: SSH and RDP open to the world");
    assert_eq!(status(legacy, 1), "fail", "Q2: a public database open to the world");
    assert_eq!(
        status(legacy, 2),
        "fail",
        "Q3: administered through open ports, not SSM"
    );
    assert_eq!(status(legacy, 3), "not_assessed", "Q4: no attestation for the Dev OU");
    let data = account(&scores, "444444444444");
    assert_eq!(
        status(data, 1),
        "partial",
        "Q2: internal ALB open to anywhere, ALB bypass, 10.0.0.0/8"
    );
    assert_eq!(
        status(data, 4),
        "partial",
        "Q5: critical database with all-traffic and wide rules"
    );
    assert_eq!(status(data, 0), "pass");
    let media = account(&scores, "666666666666");
    assert_eq!(media["collection"]["state"], "partial");
    assert_eq!(status(media, 2), "fail", "Q3: SSH from a wide cloud range");
    assert!(media["questions"][2]["reason"]
        .as_str()
        .unwrap()
        .contains("could not be judged"));
    let sandbox = account(&scores, "555555555555");
    assert_eq!(sandbox["collection"]["state"], "failed");
    assert!((0..5).all(|q| status(sandbox, q) == "not_assessed"));
    assert_eq!(account(&scores, "777777777777")["collection"]["state"], "skipped");
}

#[test]
fn findings_carry_the_documented_fields() {
    let (dir, _) = assess(&sample(), &[]);
    let findings = json(dir.path(), "findings.json");
    for f in findings["findings"].as_array().unwrap() {
        for key in [
            "account_id",
            "region",
            "check_id",
            "question",
            "severity",
            "exposure",
            "security_group_id",
            "resource_ids",
            "status",
            "controls",
        ] {
            assert!(f.get(key).is_some(), "{key} missing in {f}");
        }
    }
    let accepted: Vec<&Value> = findings["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == "accepted")
        .collect();
    assert_eq!(accepted.len(), 1, "the example config accepts the legacy SSH group");
    assert_eq!(accepted[0]["exception"]["owner"], "legacy-dev team lead");
    let expired = findings["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["check_id"] == "SGA906")
        .count();
    assert_eq!(expired, 1, "the expired SSM exception is reported");
}

#[test]
fn exit_codes_say_partial_gate_and_ok() {
    let (_, out) = assess(&sample(), &[]);
    assert_eq!(out.status.code(), Some(3));
    assert!(stderr(&out).contains("not assessed: 555555555555"), "{}", stderr(&out));
    let (_, out) = assess(&sample(), &["--fail-on", "critical"]);
    assert_eq!(out.status.code(), Some(4));
    assert!(stderr(&out).contains("gate tripped"), "{}", stderr(&out));
    let (_, out) = assess(&sample(), &["--fail-under", "50"]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "78.x is not under 50: the partial code remains"
    );

    // Only the textbook account: complete, clean.
    let mut snap = sample_json();
    snap["accounts"]
        .as_array_mut()
        .unwrap()
        .retain(|a| a["account_id"] == "222222222222");
    let tmp = tempfile::tempdir().unwrap();
    let path = write_json(tmp.path(), "shop.json", &snap);
    let (dir, out) = assess(&path, &["--fail-on", "high", "--fail-under", "100"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(json(dir.path(), "scores.json")["org"]["score"], 100.0);
}

#[test]
fn gzip_snapshots_and_format_selection() {
    use std::io::Write;
    let tmp = tempfile::tempdir().unwrap();
    let gz = tmp.path().join("snap.json.gz");
    let mut enc = flate2::write::GzEncoder::new(std::fs::File::create(&gz).unwrap(), flate2::Compression::fast());
    enc.write_all(&std::fs::read(sample()).unwrap()).unwrap();
    enc.finish().unwrap();
    let (dir, out) = assess(&gz, &["--format", "csv"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    // The reports asked for, and the evidence package, which is always written.
    assert_eq!(
        names,
        [
            "compliance",
            "config.toml",
            "findings.csv",
            "manifest.json",
            "remediation",
            "rules.csv",
            "scores.csv",
            "snapshot.json.gz",
            "trend.json"
        ]
    );
}

#[test]
fn the_catalogue_lists_and_explains_checks() {
    let out = sgaudit(&["checks"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for id in [
        "SGA101", "SGA102", "SGA201", "SGA203", "SGA301", "SGA401", "SGA503", "SGA901", "SGA906", "SGA910",
    ] {
        assert!(text.contains(id), "{id} missing");
    }
    assert!(text.contains("Security Hub EC2.19"));
    let out = sgaudit(&["checks", "admin-port-open-to-world"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("SGA101 Administration port open to the whole internet"),
        "{text}"
    );
    assert!(text.contains("How to fix it"));
    let out = sgaudit(&["checks", "--json"]);
    let all: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(all.as_array().unwrap().len(), 29);
}
