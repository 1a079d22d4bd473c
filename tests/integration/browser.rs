//! The pages in a real browser (headless Chromium): they render with no
//! console error, the sorting script runs (so the CSP hash is right), and no
//! script from hostile data runs. Needs `chromium` (scripts/test installs it);
//! without it the test is skipped, except under CI=true, where it fails.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::*;

fn chromium() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|name| {
            std::env::var_os("PATH").and_then(|paths| {
                std::env::split_paths(&paths)
                    .map(|d| d.join(name))
                    .find(|p| p.is_file())
            })
        })
}

fn require_chromium() -> Option<PathBuf> {
    match chromium() {
        Some(p) => Some(p),
        None if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("headless Chromium is required under CI=true: install Debian's `chromium` (scripts/test does) or set CHROMIUM")
        }
        None => {
            eprintln!("browser tests skipped: no chromium on PATH (scripts/test installs it)");
            None
        }
    }
}

/// Load a page from disk; return (DOM after scripts ran, browser log).
fn load(browser: &Path, page: &Path) -> (String, String) {
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-quic",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=2000",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("run chromium");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Console messages the page itself caused (errors, CSP refusals).
fn page_errors(log: &str) -> Vec<&str> {
    log.lines()
        .filter(|l| l.contains("CONSOLE") || l.contains("Uncaught") || l.contains("Content Security Policy"))
        .collect()
}

#[test]
fn pages_render_without_errors_and_hostile_data_stays_inert() {
    let Some(browser) = require_chromium() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let (dir, _) = assess(&crate::hostile::hostile_snapshot(tmp.path()), &[]);
    let pages = [
        "index.html",
        "accounts/333333333333.html",
        "accounts/222222222222.html",
        "compliance/cis-aws-5.0.0.html",
        "compliance/pci-dss-4.0.1.html",
    ];
    for page in pages {
        let (dom, log) = load(&browser, &dir.path().join(page));
        assert!(dom.contains("</html>"), "{page} did not render: {log}");
        assert_eq!(page_errors(&log), Vec::<&str>::new(), "{page}");
        // The payloads set this attribute if they run; as text they only mention it.
        assert!(!dom.contains("data-pwned=\""), "{page}: a script from the data ran");
        if page == "index.html" {
            // The sorting script ran: it makes the headers buttons.
            assert!(
                dom.contains("role=\"button\""),
                "the page's own script did not run: {log}"
            );
            assert!(dom.contains("id=\"heatmap\""));
        } else if page.starts_with("compliance/") {
            assert!(dom.contains("class=\"st st-fail\""), "{page}: no failing control");
        } else {
            assert!(dom.contains("<svg"), "{page}: no graph");
        }
    }
}

/// A large organization's account table is drawn by its page's script from
/// the data block: its rows (up to 500 a page) under their OU headings, a
/// hostile account name as text, headers that sort.
#[test]
fn the_account_table_of_a_large_organization_is_drawn_from_its_data() {
    let Some(browser) = require_chromium() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let (dir, _) = assess(&crate::scale::large_org(tmp.path()), &["--format", "html"]);
    let page = dir.path().join("accounts.html");
    let (dom, log) = load(&browser, &page);
    assert!(dom.contains("</html>"), "did not render: {log}");
    assert_eq!(page_errors(&log), Vec::<&str>::new());
    assert_eq!(
        dom.matches(r#"<tr class="account">"#).count(),
        280,
        "every row drawn: {log}"
    );
    assert!(
        dom.contains(r#"<tr class="ou" id="ou-1">"#),
        "OU headings with their anchors"
    );
    assert!(dom.contains("Page 1 of 1 (280 of 280 accounts, by OU)"));
    assert!(
        dom.contains("&lt;script&gt;alert(1)&lt;/script&gt;|=cmd"),
        "the hostile name as text"
    );
    assert!(!dom.contains("data-pwned=\""), "a script from the data ran");
    assert!(dom.contains(r#"role="button""#), "the headers sort");
}
