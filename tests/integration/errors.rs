//! Bad input gets a clear error: which file, which line or field, what is
//! wrong, and a non-zero exit; nothing half-written is left behind.

use crate::*;

fn run(args: &[&str]) -> (Option<i32>, String) {
    let out = sgaudit(args);
    (out.status.code(), stderr(&out))
}

#[test]
fn a_missing_snapshot_names_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let (code, err) = run(&[
        "assess",
        "--snapshot",
        "nope.json",
        "--out",
        tmp.path().to_str().unwrap(),
    ]);
    assert_eq!(code, Some(1));
    assert!(
        err.starts_with("sgaudit: cannot read snapshot nope.json: No such file"),
        "{err}"
    );
}

#[test]
fn a_malformed_snapshot_is_located() {
    let tmp = tempfile::tempdir().unwrap();
    let text =
        std::fs::read_to_string(sample())
            .unwrap()
            .replacen("\"IpProtocol\": \"tcp\"", "\"IpProtocol\": \"tpc\"", 1);
    let line = text.lines().position(|l| l.contains("\"tpc\"")).unwrap() + 1;
    let path = tmp.path().join("bad.json");
    std::fs::write(&path, text).unwrap();
    let out_dir = tmp.path().join("out");
    let (code, err) = run(&[
        "assess",
        "--snapshot",
        path.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(1));
    assert!(err.contains(&format!("bad.json:{line}:")), "{err}");
    assert!(err.contains("`tpc` is not an IP protocol"), "{err}");
    assert!(err.contains("IpPermissions[0].IpProtocol"), "{err}");
    assert!(!out_dir.exists(), "nothing is written when the input is bad");
}

#[test]
fn a_snapshot_of_another_schema_version_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let mut snap = sample_json();
    snap["schema_version"] = 7.into();
    let path = write_json(tmp.path(), "v7.json", &snap);
    let (code, err) = run(&[
        "assess",
        "--snapshot",
        path.to_str().unwrap(),
        "--out",
        tmp.path().to_str().unwrap(),
    ]);
    assert_eq!(code, Some(1));
    assert!(err.contains("schema_version 7 is not supported"), "{err}");
}

/// Assess the sample with a config file of the given text.
fn with_config(text: &str) -> (Option<i32>, String) {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("bad.toml");
    std::fs::write(&cfg, text).unwrap();
    let out = tmp.path().join("o");
    run(&[
        "assess",
        "--snapshot",
        sample().to_str().unwrap(),
        "--config",
        cfg.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ])
}

#[test]
fn config_errors_name_file_line_and_key_and_exit_2() {
    let (code, err) = with_config("[ports]\nadmin = [\"22/tcp\"]\nauthorized_public = [\"443/tpc\"]\n");
    assert_eq!(code, Some(2));
    assert!(err.contains("bad.toml:3:"), "{err}");
    assert!(err.contains("`ports.authorized_public[0]`"), "{err}");
    assert!(err.contains("`443/tpc` is not a service port"), "{err}");

    let (code, err) =
        with_config("[[exceptions]]\ncheck = \"SGA999\"\nowner = \"a\"\nreason = \"b\"\nexpires = 2027-01-01\n");
    assert_eq!(code, Some(2));
    assert!(
        err.contains("bad.toml:1:1: `exceptions[0].check`: no check `SGA999`"),
        "{err}"
    );
}

#[test]
fn usage_errors_exit_2() {
    let (code, err) = run(&["assess", "--snapshot", "x.json"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("--out"), "{err}");
    let (code, err) = run(&["assess", "--snapshot", "x.json", "--out", "o", "--fail-under", "120"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("not a score between 0 and 100"), "{err}");
    let (code, _) = run(&["checks", "SGA999"]);
    assert_eq!(code, Some(2));
}

#[test]
fn an_unwritable_output_is_an_error_that_names_it() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("a-file");
    std::fs::write(&file, "not a directory").unwrap();
    let (code, err) = run(&[
        "assess",
        "--snapshot",
        sample().to_str().unwrap(),
        "--out",
        file.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(1));
    assert!(err.contains("a-file"), "{err}");
}

#[test]
fn a_truncated_export_file_is_located_and_no_snapshot_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let region = tmp.path().join("export/111111111111/eu-west-1");
    std::fs::create_dir_all(&region).unwrap();
    let file = region.join("ec2-describe-security-groups.json");
    std::fs::write(
        &file,
        "{\n    \"SecurityGroups\": [\n        {\n            \"GroupId\": \"sg-1\",\n            \"IpPermissions\": [",
    )
    .unwrap();
    let out = tmp.path().join("snap.json");
    let (code, err) = run(&[
        "import",
        "--from",
        tmp.path().join("export").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains(&format!("{}:5:", file.display())) && err.contains("EOF while parsing"),
        "{err}"
    );
    assert!(!out.exists(), "nothing is written");
}

#[test]
fn an_export_folder_without_region_folders_says_what_it_expected() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("ec2-describe-security-groups.json"), "{}").unwrap();
    let (code, err) = run(&[
        "import",
        "--from",
        tmp.path().to_str().unwrap(),
        "--out",
        tmp.path().join("snap.json").to_str().unwrap(),
    ]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("no region folders: expected <region>/<service>-<operation>.json"),
        "{err}"
    );
    let (code, err) = run(&[
        "import",
        "--from",
        tmp.path().to_str().unwrap(),
        "--out",
        "x.json",
        "--account-id",
        "12",
    ]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("--account-id"), "{err}");
}
