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
    "<img src=x onerror=\"document.documentElement.setAttribute('data-pwned','img')\">",
    "$(touch pwned-dollar)",
    "`touch pwned-backtick`",
    "'; touch pwned-quote; echo '",
    "ok\ntouch pwned-newline",
    "<script>document.documentElement.setAttribute('data-pwned','script')</script>",
];

/// legacy-dev (333333333333) in a snapshot's JSON.
pub fn legacy_dev(snap: &mut Value) -> &mut Value {
    snap["accounts"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|a| a["account_id"] == "333333333333")
        .unwrap()
}

/// The sample with hostile names, descriptions and tags in legacy-dev.
pub fn hostile_snapshot(dir: &std::path::Path) -> std::path::PathBuf {
    let mut snap = sample_json();
    let legacy = legacy_dev(&mut snap);
    legacy["name"] = json!(HOSTILE[HOSTILE.len() - 1]);
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
    // Every heading is one the template makes.
    for line in md.lines().filter(|l| l.starts_with('#')) {
        let known = line == "# Security group assessment of o-exa3mp1e00"
            || [
                "## Summary",
                "## Since the last assessment",
                "## Scores by account",
                "## Top risks",
                "## Not assessed",
                "## Accepted risks",
                "## Accounts",
                "## How to fix",
                "## How scores are computed",
            ]
            .contains(&line)
            || (line.starts_with("### SGA") && line.as_bytes()[7].is_ascii_digit())
            || (line.starts_with("### ")
                && line.ends_with(')')
                && line[line.len() - 14..line.len() - 1].starts_with('(')
                && line[line.len() - 13..line.len() - 1]
                    .bytes()
                    .all(|b| b.is_ascii_digit()));
        assert!(known, "a heading from the data: {line:?}");
    }
    assert_eq!(headings, count_headings(&md));
    // Tables keep their shape: every row of the scores table has 10 cells.
    for line in md.lines().filter(|l| l.starts_with("| 3333")) {
        let cells = line.matches(" | ").count() + 1;
        assert_eq!(cells, 10, "{line}");
    }
    assert!(!md.contains("http://evil"), "an autolink survived");
}

fn count_headings(md: &str) -> usize {
    Parser::new_ext(md, pulldown_cmark::Options::all())
        .filter(|e| matches!(e, Event::Start(Tag::Heading { .. })))
        .count()
}

#[test]
fn html_shows_hostile_text_as_text() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, _) = assess(&hostile_snapshot(tmp.path()), &[]);
    let index = read(dir.path(), "index.html");
    let page = read(dir.path(), "accounts/333333333333.html");
    for html in [&index, &page] {
        assert!(!html.contains("<img"), "an <img> was injected");
        assert!(!html.contains("<script>document"), "a <script> was injected");
        assert!(!html.contains("</style><img"), "the style block was closed");
        assert!(!html.contains("onerror=\""), "an event handler was injected");
    }
    // Our own script is the index's only one; account pages have none.
    assert_eq!(index.matches("<script").count(), 1);
    assert_eq!(page.matches("<script").count(), 0);
    // And the hostile text is there, visibly, escaped.
    assert!(
        page.contains("&lt;script&gt;document.documentElement.setAttribute("),
        "escaped text missing"
    );
}

#[test]
fn csv_cells_cannot_start_a_formula() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, _) = assess(&hostile_snapshot(tmp.path()), &[]);
    for name in ["findings.csv", "scores.csv", "rules.csv"] {
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
