//! The outputs on the sample organization, byte for byte.

use crate::*;

#[test]
fn sample_outputs_match_the_golden_files() {
    let (dir, out) = assess(&sample(), &[]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    insta::assert_snapshot!("findings.json", read(dir.path(), "findings.json"));
    insta::assert_snapshot!("scores.json", read(dir.path(), "scores.json"));
    insta::assert_snapshot!("scores.csv", read(dir.path(), "scores.csv"));
    insta::assert_snapshot!("findings.csv", read(dir.path(), "findings.csv"));
    insta::assert_snapshot!("report.md", read(dir.path(), "report.md"));
}

#[test]
fn assessing_twice_gives_the_same_bytes() {
    let (a, _) = assess(&sample(), &[]);
    let (b, _) = assess(&sample(), &[]);
    for name in [
        "findings.json",
        "scores.json",
        "scores.csv",
        "findings.csv",
        "report.md",
    ] {
        assert_eq!(
            read(a.path(), name),
            read(b.path(), name),
            "{name} differs between runs"
        );
    }
}
