//! Strings from AWS are written by whoever can create a security group.
//! None of them may become markup, a link, a table cell or a formula.

use pulldown_cmark::{Event, Parser, Tag};
use serde_json::{json, Value};

use crate::*;

const HOSTILE: &[&str] = &[
    "<script>alert(1)</script>",
    "</style><img src=x onerror=alert(2)>",
    "\"><img onerror=alert(3) src=x>",
    "[click](javascript:alert(4))",
    "a | b | c",
    "line one\nline two\r\n# heading",
    "=HYPERLINK(\"http://evil.example\",\"x\")",
    "+SUM(1)",
    "-1+2",
    "@cmd",
    "\tTAB",
    "see http://evil.example and www.evil.example",
];

/// The sample with hostile names, descriptions and tags in legacy-dev.
fn hostile_snapshot(dir: &std::path::Path) -> std::path::PathBuf {
    let mut snap = sample_json();
    let legacy = snap["accounts"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|a| a["account_id"] == "333333333333")
        .unwrap();
    legacy["name"] = json!(HOSTILE[0]);
    let groups = legacy["regions"][0]["SecurityGroups"].as_array_mut().unwrap();
    for (i, g) in groups.iter_mut().enumerate() {
        let h = HOSTILE[(2 * i) % HOSTILE.len()];
        g["GroupName"] = json!(h);
        g["Description"] = json!(HOSTILE[(2 * i + 1) % HOSTILE.len()]);
        g["Tags"] = json!([{"Key": h, "Value": HOSTILE[(i + 5) % HOSTILE.len()]}]);
        for p in g["IpPermissions"].as_array_mut().unwrap() {
            for r in p
                .get_mut("IpRanges")
                .and_then(Value::as_array_mut)
                .into_iter()
                .flatten()
            {
                r["Description"] = json!(HOSTILE[(i + 6) % HOSTILE.len()]);
            }
        }
    }
    write_json(dir, "hostile.json", &snap)
}

#[test]
fn markdown_shows_hostile_text_as_text() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, out) = assess(&hostile_snapshot(tmp.path()), &[]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let md = read(dir.path(), "report.md");
    let mut links = Vec::new();
    let mut html = Vec::new();
    let mut headings = 0;
    for event in Parser::new_ext(&md, pulldown_cmark::Options::all()) {
        match event {
            Event::Start(Tag::Link { dest_url, .. }) => links.push(dest_url.to_string()),
            Event::Html(h) | Event::InlineHtml(h) => html.push(h.to_string()),
            Event::Start(Tag::Heading { .. }) => headings += 1,
            _ => {}
        }
    }
    assert!(links.is_empty(), "links formed: {links:?}");
    assert!(html.is_empty(), "HTML formed: {html:?}");
    assert_eq!(headings, 7, "a name must not add a heading");
    // Tables keep their shape: every row of the scores table has 10 cells.
    for line in md.lines().filter(|l| l.starts_with("| 3333")) {
        let cells = line.matches(" | ").count() + 1;
        assert_eq!(cells, 10, "{line}");
    }
    assert!(!md.contains("http://evil"), "an autolink survived");
}

#[test]
fn csv_cells_cannot_start_a_formula() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, _) = assess(&hostile_snapshot(tmp.path()), &[]);
    for name in ["findings.csv", "scores.csv"] {
        let mut reader = csv::Reader::from_path(dir.path().join(name)).unwrap();
        let mut rows = 0;
        for record in reader.records() {
            rows += 1;
            for cell in record.unwrap().iter() {
                assert!(!cell.starts_with(['=', '+', '-', '@', '\t', '\r']), "{name}: {cell:?}");
            }
        }
        assert!(rows > 0);
    }
    let csv = read(dir.path(), "findings.csv");
    assert!(csv.contains("'=HYPERLINK("), "the formula is kept, neutralised");
}

#[test]
fn json_keeps_hostile_text_exactly() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, _) = assess(&hostile_snapshot(tmp.path()), &[]);
    let findings = json(dir.path(), "findings.json");
    let names: Vec<&str> = findings["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["security_group_name"].as_str())
        .collect();
    assert!(names.contains(&"<script>alert(1)</script>"), "{names:?}");
}
