//! Collection at organization scale, against moto: shards that merge into
//! the collection of the whole, and an interrupted collection that resumes
//! into the snapshot an uninterrupted one writes.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::moto::{moto, proxy, require_python, seed, sgaudit_at, Server, TEST_CONFIG};
use crate::*;

/// A small organization: the management account and six members, two
/// regions, a few groups each.
fn seeded(py: &Path) -> Server {
    let moto = moto(py);
    seed(py, &moto, &["--scenario", "bulk", "--accounts", "6", "--groups", "3"]);
    moto
}

fn collect(endpoint: &str, config: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "collect",
        "--config",
        config.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    sgaudit_at(endpoint, &args)
}

/// The snapshot less what differs between two readings of the same state:
/// when things were read, and how the collection was split or resumed.
fn comparable(path: &Path) -> Value {
    let mut s: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let top = s.as_object_mut().unwrap();
    for key in ["started_at", "finished_at", "shard", "merged_from", "resumed"] {
        top.remove(key);
    }
    for a in top["accounts"].as_array_mut().unwrap() {
        a.as_object_mut().unwrap().remove("read_at");
    }
    s
}

fn config(dir: &Path, extra: &str) -> std::path::PathBuf {
    let path = dir.join(format!("collect-{}.toml", extra.len()));
    std::fs::write(&path, format!("{TEST_CONFIG}{extra}")).unwrap();
    path
}

#[test]
fn three_shards_merged_are_the_collection_of_the_whole_organization() {
    let Some(py) = require_python() else { return };
    let moto = seeded(&py);
    let tmp = tempfile::tempdir().unwrap();
    let config = config(tmp.path(), "");
    let whole = tmp.path().join("whole.json");
    let out = collect(&moto.url, &config, &whole, &[]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out)); // moto has no SSM inventory

    let mut shards = Vec::new();
    let mut seen = 0;
    for i in 1..=3 {
        let path = tmp.path().join(format!("shard-{i}.json"));
        let out = collect(&moto.url, &config, &path, &["--shard", &format!("{i}/3")]);
        assert!(matches!(out.status.code(), Some(0 | 3)), "{}", stderr(&out));
        let shard: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(shard["shard"], serde_json::json!({"index": i, "count": 3}));
        seen += shard["accounts"].as_array().unwrap().len();
        shards.push(path);
    }
    assert_eq!(seen, 7, "every account in exactly one shard");

    let merged = tmp.path().join("merged.json");
    let mut args = vec!["merge"];
    args.extend(shards.iter().map(|p| p.to_str().unwrap()));
    args.extend(["--out", merged.to_str().unwrap()]);
    let out = sgaudit(&args);
    assert!(matches!(out.status.code(), Some(0 | 3)), "{}", stderr(&out));
    assert!(
        comparable(&merged) == comparable(&whole),
        "the merged snapshot differs from the whole collection"
    );
    let m = json(tmp.path(), "merged.json");
    assert_eq!(m["merged_from"].as_array().unwrap().len(), 3);
}

#[test]
fn an_interrupted_collection_resumes_into_the_snapshot_an_uninterrupted_one_writes() {
    let Some(py) = require_python() else { return };
    let moto = seeded(&py);
    let tmp = tempfile::tempdir().unwrap();
    let config = config(tmp.path(), "");
    let slow_config = config_with(tmp.path());
    let whole = tmp.path().join("whole.json");
    let out = collect(&moto.url, &slow_config, &whole, &[]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));

    // A slow collection, one account at a time, killed once two are done.
    let slow = proxy(&py, &moto, &["--latency-ms", "150"]);
    let snapshot = tmp.path().join("resumed.json");
    let parts = tmp.path().join("resumed.json.parts");
    let mut child = Command::new(env!("CARGO_BIN_EXE_sgaudit"))
        .args(["collect", "--config", slow_config.to_str().unwrap(), "--out"])
        .arg(&snapshot)
        .env("AWS_ENDPOINT_URL", &slow.url)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(240);
    let checkpointed = || {
        std::fs::read_to_string(parts.join("checkpoints.jsonl"))
            .map(|t| t.lines().count())
            .unwrap_or(0)
    };
    while checkpointed() < 2 {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the slow collection ended before it was interrupted"
        );
        assert!(Instant::now() < deadline, "no account was checkpointed in time");
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap(); // SIGKILL: no chance to tidy up
    child.wait().unwrap();
    let kept = checkpointed();
    assert!(kept < 7, "it was interrupted before the end");
    assert!(!snapshot.exists(), "no snapshot until every account is in");

    // Without --resume, the checkpoints are not overwritten.
    let out = collect(&moto.url, &config, &snapshot, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("--resume"), "{}", stderr(&out));
    // With another configuration, they are not mixed with a different run.
    let out = collect(
        &moto.url,
        &slow_config,
        &snapshot,
        &["--resume", "--regions", "eu-west-1"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("with the configuration"), "{}", stderr(&out));

    let log = tmp.path().join("resume.jsonl");
    let recording = proxy(&py, &moto, &["--record", log.to_str().unwrap()]);
    let out = collect(&recording.url, &slow_config, &snapshot, &["--resume"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        !parts.exists(),
        "the checkpoints are removed once the snapshot is written"
    );
    assert!(
        comparable(&snapshot) == comparable(&whole),
        "the resumed snapshot differs from the uninterrupted one"
    );

    let s = json(tmp.path(), "resumed.json");
    let resumed = s["resumed"].as_array().unwrap();
    assert_eq!(resumed.len(), 1);
    // Accounts whose collection failed (none here) would be collected again.
    assert_eq!(resumed[0]["accounts_kept"].as_u64(), Some(kept as u64));
    assert!(s["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a["read_at"].is_string()));
    // The accounts kept were not read again: one AssumeRole per other member.
    let assumed = crate::moto::recorded(&log)
        .iter()
        .filter(|r| r["action"] == "AssumeRole")
        .count();
    assert!(assumed <= 7 - kept, "{assumed} roles assumed, {kept} accounts kept");
}

/// The test configuration, one account at a time, slowly.
fn config_with(dir: &Path) -> std::path::PathBuf {
    config(dir, "accounts_in_flight = 1\n")
}

/// The data block of a large organization's `accounts.html`.
pub(crate) fn accounts_table(page: &str) -> Value {
    let start = page
        .find(r#"<script type="application/json" id="accounts-data">"#)
        .expect("the data block");
    let json = &page[start..];
    let json = &json[json.find('>').unwrap() + 1..json.find("</script>").unwrap()];
    serde_json::from_str(json).expect("the data block is JSON")
}

/// The sample organization copied until it has 280 accounts: past the size
/// at which page one stops listing every account. One copy's name is hostile.
pub(crate) fn large_org(dir: &Path) -> std::path::PathBuf {
    let mut s = sample_json();
    let originals = s["accounts"].as_array().unwrap().clone();
    let mut accounts = Vec::new();
    for copy in 0..40 {
        for (i, a) in originals.iter().enumerate() {
            let mut a = a.clone();
            a["account_id"] = Value::String(format!("{:012}", 500_000_000_000u64 + copy * 100 + i as u64));
            let name = a["name"].as_str().unwrap_or("account").to_string();
            a["name"] = Value::String(if copy == 7 && i == 1 {
                "<script>alert(1)</script>|=cmd".into()
            } else {
                format!("{name}-{copy:02}")
            });
            accounts.push(a);
        }
    }
    s["accounts"] = Value::Array(accounts);
    let path = dir.join("large.json");
    std::fs::write(&path, serde_json::to_vec(&s).unwrap()).unwrap();
    path
}

#[test]
fn page_one_of_a_large_organization_rolls_up_by_ou_and_the_account_table_moves_to_its_own_page() {
    let tmp = tempfile::tempdir().unwrap();
    let snapshot = large_org(tmp.path());
    let (dir, out) = assess(&snapshot, &[]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let dir = dir.path();
    // The terminal gets one line per cause of "not assessed", not one per account.
    let err = stderr(&out);
    assert!(err.contains("sgaudit: not assessed in 40 account(s), e.g. "), "{err}");
    assert!(err.lines().count() < 20, "{err}");

    let index = read(dir, "index.html");
    assert!(index.contains(r#"<table id="ous">"#), "the roll-up by OU");
    assert!(
        index.contains(r##"href="accounts.html#ou-1""##),
        "each OU links to its accounts"
    );
    assert!(index.contains("The lowest-scoring accounts"));
    assert_eq!(
        index.matches(r#"<tr class="account""#).count(),
        25,
        "only the lowest 25 accounts in full"
    );
    assert!(index.contains("Grouped by cause"), "what was not assessed, by cause");

    // The account table travels as data that the page's script draws
    // (browser.rs checks the drawing).
    let accounts = read(dir, "accounts.html");
    let table = accounts_table(&accounts);
    assert_eq!(table["rows"].as_array().unwrap().len(), 280, "every account");
    assert_eq!(table["ous"][0][1], "ou-1", "the OUs' anchors");
    assert!(
        !accounts.contains("<script>alert(1)"),
        "names cannot close the data block"
    );
    assert!(
        table["rows"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r[1] == "<script>alert(1)</script>|=cmd"),
        "the name is intact as data"
    );
    assert!(accounts.contains(r#"<section id="not-assessed">"#));

    let report = read(dir, "report.md");
    assert!(report.contains("| OU | Accounts |"), "the roll-up by OU");
    assert!(
        !report.lines().any(|l| l.starts_with("### ") && l.contains("(5000")),
        "no account sections in report.md"
    );
    assert!(
        report.contains("](accounts/5000000"),
        "links to the lowest accounts' files"
    );
    let md = std::fs::read_dir(dir.join("accounts"))
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "md"))
        .count();
    assert_eq!(md, 280, "one Markdown file per account");
    let hostile = read(dir, "accounts/500000000701.md");
    assert!(hostile.contains("[report.md](../report.md)"));
    assert!(!hostile.contains("<script>"), "{hostile}");
    assert!(hostile.contains("### "), "the account's section");

    // Account pages link to the checks' texts rather than repeat them.
    let page = read(dir, "accounts/500000000002.html");
    assert!(page.contains(r#"href="../checks.html#SGA"#), "links to checks.html");
    assert!(
        !page.contains(r#"<div class="texts">"#),
        "no texts repeated on the page"
    );
    let checks = read(dir, "checks.html");
    assert!(checks.contains(r#"<article class="check" id="SGA101">"#));
    assert!(checks.contains("<strong>How to fix it.</strong>"));

    // A compliance page rolls each control up by OU; its table keeps
    // every account's row.
    let fsbp = read(dir, "compliance/aws-fsbp.html");
    assert!(fsbp.contains("<thead><tr><th>OU</th>"), "each control by OU");
    assert!(fsbp.contains("accounts with the most failing findings"));
    assert!(
        fsbp.matches(r#"<a href="../accounts/"#).count() <= 25 * 20,
        "at most 25 accounts listed per control"
    );
    assert!(!fsbp.contains("<script>alert(1)"), "names are escaped");
    let table = read(dir, "compliance/aws-fsbp.csv");
    let ec2_2 = table
        .lines()
        .filter(|l| l.starts_with("aws-fsbp,Security Hub,") && l.contains(",EC2.2,"))
        .count();
    assert_eq!(ec2_2, 280, "one row per account for each control");

    // Every new file is in the evidence package's manifest.
    let out = sgaudit(&["verify", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

/// The example manifests of docs/scale.md (config/scale/): the AWS Batch
/// job definitions valid for the Batch API (botocore's model), the
/// Kubernetes Indexed Job well formed, and every script they run doing
/// what the guide says with each of sgaudit's exit codes
/// (tests/scale/validate_manifests.py).
#[test]
fn the_batch_and_kubernetes_examples_collect_shards_then_merge_and_assess() {
    let Some(py) = require_python() else { return };
    let out = Command::new(&py)
        .arg(root().join("tests/scale/validate_manifests.py"))
        .arg(root())
        .output()
        .expect("run validate_manifests.py");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the manifests of config/scale do not validate:\n{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    if std::env::var("CI").as_deref() == Ok("true") {
        assert!(
            !stdout.contains("skipped:"),
            "under CI=true every check runs (shellcheck):\n{stdout}"
        );
    }
}
