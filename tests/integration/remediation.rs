//! Remediation as code: every finding carries its exact change, and the
//! per-account scripts are valid bash that no hostile string can break out
//! of. (That they fix what they address is the moto round trip's to prove.)

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

use crate::hostile::hostile_snapshot;
use crate::*;

/// Debian's shellcheck; without it the check is skipped, except under
/// CI=true, where it fails (scripts/test installs it).
pub(crate) fn shellcheck() -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join("shellcheck"))
            .find(|p| p.is_file())
    });
    match found {
        Some(p) => Some(p),
        None if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("shellcheck is required under CI=true: install Debian's `shellcheck` (scripts/test does)")
        }
        None => {
            eprintln!("shellcheck skipped: not on PATH (scripts/test installs it)");
            None
        }
    }
}

fn scripts(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir.join("remediation"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    out.sort();
    out
}

#[test]
fn every_finding_carries_its_exact_change() {
    let (dir, out) = assess(&sample(), &[]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let findings = json(dir.path(), "findings.json");
    for f in findings["findings"].as_array().unwrap() {
        let r = &f["remediation"];
        let cli = r["cli"].as_str().unwrap_or_else(|| panic!("no remediation.cli: {f:#}"));
        assert!(!cli.trim().is_empty(), "{f:#}");
        // A finding about a rule has the change as code too: CloudFormation
        // for a group of a stack, Terraform for any other.
        if !f["rule"].is_null() && f["security_group_id"].is_string() && r["manual"].is_null() {
            let in_stack = r["in_code"]
                .as_str()
                .is_some_and(|c| c.starts_with("CloudFormation stack"));
            assert_eq!(r["cloudformation"].is_string(), in_stack, "{f:#}");
            assert_eq!(r["terraform"].is_string(), !in_stack, "{f:#}");
        }
        // What the script applies is exact; what it leaves says why.
        if r["exact"] == false {
            assert!(
                r["manual"].is_string() || r["placeholders"].is_array(),
                "neither exact nor explained: {f:#}"
            );
        }
        if f["status"] == "accepted" {
            assert_eq!(r["scripted"], false, "an accepted risk is never scripted: {f:#}");
        }
    }
    // A rule an exception accepts is never removed by a script, even by
    // another finding's fix (legacy-dev's accepted SSH, also "temporary").
    for f in findings["findings"].as_array().unwrap() {
        if f["status"] != "accepted" || f["rule"].is_null() {
            continue;
        }
        let group = f["security_group_id"].as_str().unwrap();
        let port = format!(
            "\"FromPort\":{}",
            f["rule"]["ports"].as_str().unwrap().split('-').next().unwrap()
        );
        let script = read(
            dir.path(),
            &format!("remediation/{}.sh", f["account_id"].as_str().unwrap()),
        );
        let active: Vec<&str> = script
            .lines()
            .filter(|l| l.starts_with("change ") && l.contains(group) && l.contains(&port) && l.contains("revoke"))
            .collect();
        assert!(active.is_empty(), "an accepted rule is revoked: {active:?}");
        assert!(script.contains(&format!(
            "an exception accepts the risk of {} ",
            f["rule"]["protocol"].as_str().unwrap()
        )));
    }
    // One script per account of the snapshot, listed in the manifest.
    let manifest = read(dir.path(), "manifest.json");
    let accounts = json(dir.path(), "snapshot.json")["accounts"].as_array().unwrap().len();
    assert_eq!(scripts(dir.path()).len(), accounts);
    for s in scripts(dir.path()) {
        let name = format!("remediation/{}", s.file_name().unwrap().to_str().unwrap());
        assert!(
            manifest.contains(&format!("\"{name}\"")),
            "{name} is not in the manifest"
        );
    }
}

#[test]
fn the_scripts_are_valid_bash_and_pass_shellcheck() {
    let tmp = tempfile::tempdir().unwrap();
    let (sample_dir, _) = assess(&sample(), &[]);
    let (hostile_dir, _) = assess(&hostile_snapshot(tmp.path()), &[]);
    let check = shellcheck();
    for script in scripts(sample_dir.path())
        .into_iter()
        .chain(scripts(hostile_dir.path()))
    {
        let syntax = Command::new("bash").arg("-n").arg(&script).output().unwrap();
        assert!(syntax.status.success(), "{}: {}", script.display(), stderr(&syntax));
        if let Some(sc) = &check {
            let lint = Command::new(sc).arg(&script).output().unwrap();
            assert!(
                lint.status.success(),
                "{}: {}",
                script.display(),
                String::from_utf8_lossy(&lint.stdout)
            );
        }
    }
}

/// A line with every single-quoted word taken out: what the shell reads as code.
fn unquoted(line: &str) -> String {
    let mut out = String::new();
    let mut quoted = false;
    for c in line.chars() {
        if c == '\'' {
            quoted = !quoted;
        } else if !quoted {
            out.push(c);
        }
    }
    assert!(!quoted, "an unterminated quote: {line}");
    out
}

#[test]
fn hostile_text_reaches_a_script_only_inside_comments_or_single_quotes() {
    let tmp = tempfile::tempdir().unwrap();
    let mut snap: Value =
        serde_json::from_str(&std::fs::read_to_string(hostile_snapshot(tmp.path())).unwrap()).unwrap();
    // Even an id from a doctored snapshot: a group named by a command.
    let legacy = crate::hostile::legacy_dev(&mut snap);
    let groups = legacy["regions"][0]["SecurityGroups"].as_array_mut().unwrap();
    let mut doctored = groups[0].clone();
    doctored["GroupId"] = "sg-0$(touch pwned-id)".into();
    doctored["GroupName"] = "tmp `touch pwned-name`".into();
    groups.push(doctored);
    let path = write_json(tmp.path(), "doctored.json", &snap);
    let (dir, out) = assess(&path, &[]);
    assert!(out.status.code() == Some(3), "{}", stderr(&out));
    let script = dir.path().join("remediation/333333333333.sh");
    let text = std::fs::read_to_string(&script).unwrap();
    assert!(text.contains("pwned"), "the hostile text is in the script, as text");
    for line in text.lines() {
        if line.trim_start().starts_with('#') {
            continue;
        }
        assert!(!unquoted(line).contains("pwned"), "outside quotes: {line}");
    }
    // Nothing runs without --dry-run or --apply, and nothing ran.
    let cwd = tempfile::tempdir().unwrap();
    let none = Command::new("bash")
        .arg(&script)
        .current_dir(cwd.path())
        .output()
        .unwrap();
    assert_eq!(none.status.code(), Some(2), "{}", stderr(&none));
    assert!(stderr(&none).contains("Without one of these, nothing runs"));
    assert_eq!(std::fs::read_dir(cwd.path()).unwrap().count(), 0);
}

#[test]
fn hand_made_groups_get_the_code_languages_the_config_asks_for() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("sgaudit.toml");
    std::fs::write(&config, "[remediation]\ncode = [\"terraform\", \"cloudformation\"]\n").unwrap();
    let run = |config: &std::path::Path| {
        let dir = tempfile::tempdir().unwrap();
        let out = sgaudit(&[
            "assess",
            "--snapshot",
            sample().to_str().unwrap(),
            "--config",
            config.to_str().unwrap(),
            "--out",
            dir.path().to_str().unwrap(),
        ]);
        (dir, out)
    };
    let (dir, out) = run(&config);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let findings = json(dir.path(), "findings.json");
    let both = findings["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| !f["rule"].is_null() && f["remediation"]["in_code"].is_null())
        .filter(|f| f["remediation"]["manual"].is_null())
        .inspect(|f| {
            assert!(f["remediation"]["terraform"].is_string(), "{f:#}");
            assert!(f["remediation"]["cloudformation"].is_string(), "{f:#}");
        })
        .count();
    assert!(both > 5, "{both}");
    // A language sgaudit does not write is refused, by name and line.
    std::fs::write(&config, "[remediation]\ncode = [\"pulumi\"]\n").unwrap();
    let (_, out) = run(&config);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("sgaudit.toml:2:9: `remediation.code[0]`: unknown variant `pulumi`"),
        "{err}"
    );
}
