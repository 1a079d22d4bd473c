//! The HTML pages are self-contained and show hostile data as text.

use crate::*;

/// `(attribute or construct, value)` pairs that would load something.
fn external_references(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    for pattern in ["src=\"", "href=\"", "url(", "@import", "xlink:href=\""] {
        for (i, _) in html.match_indices(pattern) {
            let rest = &html[i + pattern.len()..];
            let value: String = rest.chars().take_while(|c| *c != '"' && *c != ')').collect();
            let v = value.trim().to_ascii_lowercase();
            // The one external URL allowed is the SVG namespace, which is never fetched.
            if v.starts_with("http") || v.starts_with("//") || v.starts_with("ftp") || pattern == "@import" {
                found.push(format!("{pattern}{value}"));
            }
        }
    }
    found
}

#[test]
fn pages_reference_nothing_outside_themselves() {
    let (dir, _) = assess(&sample(), &[]);
    for name in crate::golden::files(dir.path())
        .into_iter()
        .filter(|f| f.ends_with(".html"))
    {
        let html = read(dir.path(), &name);
        assert_eq!(external_references(&html), Vec::<String>::new(), "{name}");
        assert!(html.contains("Content-Security-Policy"), "{name} has no CSP");
        assert!(html.contains("default-src 'none'"), "{name}");
    }
}

#[test]
fn index_links_every_account_page_and_back() {
    let (dir, _) = assess(&sample(), &[]);
    let index = read(dir.path(), "index.html");
    for id in [
        "111111111111",
        "222222222222",
        "333333333333",
        "444444444444",
        "555555555555",
        "666666666666",
        "777777777777",
    ] {
        assert!(index.contains(&format!("href=\"accounts/{id}.html\"")), "{id}");
        let page = read(dir.path(), &format!("accounts/{id}.html"));
        assert!(page.contains("href=\"../index.html\""), "{id}");
    }
    // Top risks link to the finding on its account page.
    let first = index
        .split("href=\"accounts/333333333333.html#f")
        .nth(1)
        .expect("a top-risk link");
    let anchor: String = first.chars().take_while(|c| c.is_ascii_digit()).collect();
    let page = read(dir.path(), "accounts/333333333333.html");
    assert!(page.contains(&format!("id=\"f{anchor}\"")), "anchor f{anchor} missing");
}

#[test]
fn the_textbook_tiers_are_drawn_as_a_chain() {
    let (dir, _) = assess(&sample(), &[]);
    let page = read(dir.path(), "accounts/222222222222.html");
    let x_of = |name: &str| -> f64 {
        let at = page
            .find(&format!(">{name}</text>"))
            .unwrap_or_else(|| panic!("{name} not drawn"));
        let before = &page[..at];
        let rect = before.rfind("<rect x=\"").unwrap();
        before[rect + 9..].split('"').next().unwrap().parse().unwrap()
    };
    let (internet, alb, web, db) = (x_of("Internet"), x_of("shop-alb"), x_of("shop-web"), x_of("shop-db"));
    assert!(internet < alb && alb < web && web < db, "{internet} {alb} {web} {db}");
}
