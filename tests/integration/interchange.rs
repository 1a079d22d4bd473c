//! The findings as other tools read them: OCSF 1.3.0 Detection Findings for
//! Security Lake and SIEMs, ASFF for Security Hub. Every record of the
//! bundled sample is validated by the schemas' own tooling
//! (tests/interchange/validate.py: py-ocsf-models, botocore's Security Hub
//! model, and the limits the service documents).

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::*;

fn validate(python: &Path, kind: &str, file: &Path) {
    let out = Command::new(python)
        .arg(root().join("tests/interchange/validate.py"))
        .arg(kind)
        .arg(file)
        .output()
        .expect("run validate.py");
    assert!(
        out.status.success(),
        "{kind} records do not validate:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn ocsf_records(dir: &Path) -> Vec<Value> {
    read(dir, "findings.ocsf.jsonl")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn asff_batches(dir: &Path) -> Vec<Vec<Value>> {
    serde_json::from_value(json(dir, "findings.asff.json")).unwrap()
}

#[test]
fn every_finding_of_the_sample_is_a_valid_ocsf_detection_finding_and_asff_record() {
    let Some(py) = crate::moto::require_python() else {
        return;
    };
    let (dir, out) = assess(&sample(), &["--format", "json,ocsf,asff"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    validate(&py, "ocsf", &dir.path().join("findings.ocsf.jsonl"));
    validate(&py, "asff", &dir.path().join("findings.asff.json"));

    let findings = json(dir.path(), "findings.json")["findings"]
        .as_array()
        .unwrap()
        .clone();
    let ocsf = ocsf_records(dir.path());
    let asff: Vec<Value> = asff_batches(dir.path()).into_iter().flatten().collect();
    assert_eq!(ocsf.len(), findings.len());
    assert_eq!(asff.len(), findings.len());
    let prints = |it: &mut dyn Iterator<Item = String>| it.collect::<BTreeSet<String>>();
    let expected = prints(&mut findings.iter().map(|f| f["fingerprint"].as_str().unwrap().to_string()));
    assert_eq!(
        prints(
            &mut ocsf
                .iter()
                .map(|r| r["finding_info"]["uid"].as_str().unwrap().to_string())
        ),
        expected,
        "an OCSF finding is identified by its fingerprint"
    );
    assert_eq!(
        prints(
            &mut asff
                .iter()
                .map(|r| r["Id"].as_str().unwrap().rsplit('/').next().unwrap().to_string())
        ),
        expected
    );
}

#[test]
fn an_accepted_exception_is_suppressed_and_the_rest_is_new_in_both_schemas() {
    let (dir, _) = assess(&sample(), &["--format", "json,ocsf,asff"]);
    let findings = json(dir.path(), "findings.json")["findings"]
        .as_array()
        .unwrap()
        .clone();
    let accepted: BTreeSet<&str> = findings
        .iter()
        .filter(|f| f["status"] == "accepted")
        .map(|f| f["fingerprint"].as_str().unwrap())
        .collect();
    assert!(!accepted.is_empty(), "the example config accepts some findings");
    for r in ocsf_records(dir.path()) {
        let suppressed = accepted.contains(r["finding_info"]["uid"].as_str().unwrap());
        assert_eq!(r["status"], if suppressed { "Suppressed" } else { "New" }, "{r:#}");
        assert_eq!(r["status_id"], if suppressed { 3 } else { 1 });
        if suppressed {
            assert!(r["unmapped"]["sgaudit"]["exception"]["owner"].is_string(), "{r:#}");
        }
    }
    for r in asff_batches(dir.path()).into_iter().flatten() {
        let print = r["Id"].as_str().unwrap().rsplit('/').next().unwrap().to_string();
        let suppressed = accepted.contains(print.as_str());
        assert_eq!(r["Workflow"]["Status"], if suppressed { "SUPPRESSED" } else { "NEW" });
    }
}

#[test]
fn ocsf_alone_is_the_same_file_as_ocsf_written_beside_findings_json() {
    // With findings.json, the OCSF lines are written in the same pass (each
    // fix made once for both); alone, by their own writer.
    let (alone, _) = assess(&sample(), &["--format", "ocsf"]);
    let (beside, _) = assess(&sample(), &["--format", "json,ocsf"]);
    let read = |dir: &tempfile::TempDir| std::fs::read(dir.path().join("findings.ocsf.jsonl")).unwrap();
    assert!(!read(&alone).is_empty());
    assert!(read(&alone) == read(&beside), "the two OCSF files differ");
}

#[test]
fn a_finding_persisting_since_the_baseline_is_in_progress_with_its_first_seen_time() {
    let (first, _) = assess(&sample(), &[]);
    let (dir, out) = assess(
        &sample(),
        &["--format", "ocsf", "--baseline", first.path().to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    for r in ocsf_records(dir.path()) {
        if r["status_id"] != 3 {
            assert_eq!(r["status"], "In Progress", "{r:#}");
        }
        assert!(r["finding_info"]["first_seen_time"].as_i64().unwrap() <= r["time"].as_i64().unwrap());
    }
}

#[test]
fn asff_batches_hold_at_most_100_findings_of_one_account_and_region() {
    let (dir, _) = assess(&sample(), &["--format", "asff"]);
    let batches = asff_batches(dir.path());
    assert!(batches.len() > 1);
    for batch in &batches {
        assert!((1..=100).contains(&batch.len()));
        let arns: BTreeSet<&str> = batch.iter().map(|f| f["ProductArn"].as_str().unwrap()).collect();
        assert_eq!(arns.len(), 1, "{arns:?}");
        let arn = arns.first().unwrap();
        let account = batch[0]["AwsAccountId"].as_str().unwrap();
        assert_eq!(
            *arn,
            format!(
                "arn:aws:securityhub:{}:{account}:product/{account}/default",
                arn.split(':').nth(3).unwrap()
            )
        );
    }
}

#[test]
fn sample_interchange_files_match_the_golden_files() {
    let (dir, _) = assess(&sample(), &["--format", "ocsf,asff"]);
    insta::assert_snapshot!("findings.ocsf.jsonl", read(dir.path(), "findings.ocsf.jsonl"));
    insta::assert_snapshot!("findings.asff.json", read(dir.path(), "findings.asff.json"));
}

/// The script an auditor sends to a client: clean under shellcheck, its
/// --help names every IAM action it needs, each of them in the policy
/// sgaudit documents, and all of them reads.
#[test]
fn the_export_script_is_clean_read_only_and_says_what_it_needs() {
    let script = root().join("scripts/export-account.sh");
    if let Some(sc) = crate::remediation::shellcheck() {
        let out = Command::new(sc).arg(&script).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    }
    let help = Command::new("bash").arg(&script).arg("--help").output().unwrap();
    assert!(help.status.success());
    let help = String::from_utf8_lossy(&help.stdout).into_owned();
    let section = help
        .split_once("IAM actions it needs")
        .and_then(|(_, rest)| rest.split_once("The AWS managed policy"))
        .map(|(actions, _)| actions)
        .expect("--help lists the IAM actions");
    let actions: Vec<&str> = section
        .split_whitespace()
        .filter(|w| {
            w.split_once(':').is_some_and(|(service, action)| {
                service.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
                    && action.starts_with(|c: char| c.is_ascii_uppercase())
                    && action.chars().all(|c| c.is_ascii_alphanumeric())
            })
        })
        .collect();
    assert!(actions.len() >= 20, "{actions:?}");
    let policy = read(&root(), "config/iam-policy.json");
    for a in &actions {
        assert!(
            policy.contains(&format!("\"{a}\"")),
            "{a} is not in config/iam-policy.json"
        );
        let verb = a.split_once(':').unwrap().1;
        assert!(
            ["Describe", "Get", "List"].iter().any(|v| verb.starts_with(v)),
            "{a} is not a read"
        );
    }
    // Every call the script makes is one of them.
    let text = read(&root(), "scripts/export-account.sh");
    for line in text.lines().filter(|l| l.trim_start().starts_with("save ")) {
        let words: Vec<&str> = line.split_whitespace().collect();
        let (service, op) = words
            .windows(2)
            .map(|w| (w[0], w[1]))
            .find(|(s, _)| ["ec2", "elbv2", "elb", "rds", "ssm"].contains(s))
            .unwrap_or_else(|| panic!("which call? {line}"));
        let action: String = op
            .split('-')
            .map(|w| {
                let mut c = w.chars();
                c.next()
                    .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                    .unwrap_or_default()
            })
            .collect();
        let prefix = match service {
            "elbv2" | "elb" => "elasticloadbalancing",
            s => s,
        };
        let action = action.replace("Db", "DB");
        assert!(
            actions.contains(&format!("{prefix}:{action}").as_str()),
            "the script calls {prefix}:{action}, which --help does not list: {line}"
        );
    }
}
