//! `sgaudit verify`: a changed byte, a missing file or an added one is caught.

use crate::*;

fn verify(dir: &std::path::Path) -> (Option<i32>, String, String) {
    let out = sgaudit(&["verify", dir.to_str().unwrap()]);
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr(&out),
    )
}

#[test]
fn an_untouched_package_verifies() {
    let (dir, _) = assess(&sample(), &[]);
    let (code, _, err) = verify(dir.path());
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("all 42 files match manifest.json"), "{err}");
}

#[test]
fn a_changed_byte_is_caught() {
    let (dir, _) = assess(&sample(), &[]);
    let path = dir.path().join("findings.csv");
    let mut bytes = std::fs::read(&path).unwrap();
    let i = bytes.len() / 2;
    bytes[i] ^= 1;
    std::fs::write(&path, bytes).unwrap();
    let (code, out, err) = verify(dir.path());
    assert_eq!(code, Some(5), "{err}");
    assert!(out.starts_with("changed: findings.csv: SHA-256 is "), "{out}");
    assert!(err.contains("1 changed, 0 missing, 0 added"), "{err}");
}

#[test]
fn missing_and_added_files_are_caught() {
    let (dir, _) = assess(&sample(), &[]);
    std::fs::remove_file(dir.path().join("accounts/333333333333.html")).unwrap();
    std::fs::write(dir.path().join("accounts/notes.txt"), "added later").unwrap();
    let (code, out, _) = verify(dir.path());
    assert_eq!(code, Some(5));
    assert!(out.contains("missing: accounts/333333333333.html"), "{out}");
    assert!(out.contains("added: accounts/notes.txt"), "{out}");
}

#[test]
fn a_directory_without_manifest_is_not_a_package() {
    let tmp = tempfile::tempdir().unwrap();
    let (code, _, err) = verify(tmp.path());
    assert_eq!(code, Some(1));
    assert!(err.contains("has no manifest.json"), "{err}");
}

#[test]
fn an_interrupted_rerun_leaves_no_manifest_behind() {
    // A rerun into a package removes the old manifest before anything else, so
    // a run that dies half-way cannot pass for complete. Simulate the death by
    // making one report unwritable.
    let (dir, _) = assess(&sample(), &[]);
    std::fs::remove_file(dir.path().join("report.md")).unwrap();
    std::fs::create_dir(dir.path().join("report.md")).unwrap();
    let out = sgaudit(&[
        "assess",
        "--snapshot",
        sample().to_str().unwrap(),
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(!dir.path().join("manifest.json").exists());
}
