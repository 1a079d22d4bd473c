//! Every output on the sample organization, byte for byte, and the
//! evidence package's promises: reproducible, verifiable.

use crate::*;

const REPORTS: &[&str] = &[
    "index.html",
    "accounts/111111111111.html",
    "accounts/222222222222.html",
    "accounts/333333333333.html",
    "accounts/444444444444.html",
    "accounts/555555555555.html",
    "accounts/666666666666.html",
    "accounts/777777777777.html",
    "report.md",
    "findings.json",
    "scores.json",
    "findings.csv",
    "scores.csv",
    "rules.csv",
    "config.toml",
    "trend.json",
    "remediation/111111111111.sh",
    "remediation/222222222222.sh",
    "remediation/333333333333.sh",
    "remediation/444444444444.sh",
    "remediation/555555555555.sh",
    "remediation/666666666666.sh",
    "remediation/777777777777.sh",
    "compliance/aws-fsbp.html",
    "compliance/aws-fsbp.csv",
    "compliance/aws-config.html",
    "compliance/aws-config.csv",
    "compliance/cis-aws-3.0.0.html",
    "compliance/cis-aws-3.0.0.csv",
    "compliance/cis-aws-4.0.1.html",
    "compliance/cis-aws-4.0.1.csv",
    "compliance/cis-aws-5.0.0.html",
    "compliance/cis-aws-5.0.0.csv",
    "compliance/nist-800-53-r5.html",
    "compliance/nist-800-53-r5.csv",
    "compliance/pci-dss-4.0.1.html",
    "compliance/pci-dss-4.0.1.csv",
    "compliance/iso-27001-2022.html",
    "compliance/iso-27001-2022.csv",
    "compliance/soc2.html",
    "compliance/soc2.csv",
];

/// Every file of an output directory but the manifest, sorted.
pub fn files(dir: &std::path::Path) -> Vec<String> {
    fn walk(root: &std::path::Path, dir: &std::path::Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                out.push(p.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.retain(|f| f != "manifest.json");
    out.sort();
    out
}

#[test]
fn sample_outputs_match_the_golden_files() {
    let (dir, out) = assess(&sample(), &[]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    for name in REPORTS {
        insta::assert_snapshot!(*name, read(dir.path(), name));
    }
    // The manifest, but for what depends on where and when it ran.
    let mut manifest = json(dir.path(), "manifest.json");
    manifest["assessed_at"] = "[when the assessment ran]".into();
    manifest["snapshot"]["source"] = "[the snapshot given]".into();
    manifest["config"]["source"] = "[the config given]".into();
    insta::assert_snapshot!("manifest.json", serde_json::to_string_pretty(&manifest).unwrap());
    // The snapshot is copied byte for byte.
    assert_eq!(
        std::fs::read(dir.path().join("snapshot.json")).unwrap(),
        std::fs::read(sample()).unwrap()
    );
    let mut expected: Vec<String> = REPORTS
        .iter()
        .map(|s| s.to_string())
        .chain(["snapshot.json".to_string()])
        .collect();
    expected.sort();
    assert_eq!(
        files(dir.path()),
        expected,
        "no file is written that the golden tests do not cover"
    );
}

#[test]
fn assessing_twice_gives_the_same_bytes() {
    let (a, _) = assess(&sample(), &[]);
    let (b, _) = assess(&sample(), &[]);
    assert_eq!(files(a.path()), files(b.path()));
    for name in files(a.path()) {
        assert_eq!(
            read(a.path(), &name),
            read(b.path(), &name),
            "{name} differs between runs"
        );
    }
}

#[test]
fn the_package_reproduces_its_own_reports() {
    let (first, _) = assess(&sample(), &[]);
    let again = tempfile::tempdir().unwrap();
    let out = sgaudit(&[
        "assess",
        "--snapshot",
        first.path().join("snapshot.json").to_str().unwrap(),
        "--config",
        first.path().join("config.toml").to_str().unwrap(),
        "--out",
        again.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    for name in files(first.path()) {
        assert_eq!(
            read(first.path(), &name),
            read(again.path(), &name),
            "{name} is not reproduced"
        );
    }
}
