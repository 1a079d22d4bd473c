//! The HTML reports: `index.html` (the executive summary) and one page per
//! account under `accounts/`.
//!
//! Pages are self-contained: inline CSS and SVG, no fonts, images or scripts
//! from anywhere, and a Content-Security-Policy that allows only the page's
//! own sorting script (by hash). Every value from the data goes through Tera's
//! HTML autoescaping; `| safe` is used only for sgaudit's own texts (check
//! descriptions rendered from Markdown, the script).

use std::collections::HashMap;

use tera::Tera;

use crate::analyze::checks::ALL_CHECKS;
use crate::analyze::{Assessment, Finding, GroupSummary};

mod account;
mod cell;
mod index;

use super::{template_err, ReportError};

const INDEX: &str = include_str!("../../../templates/index.html.tera");
const HEATMAP: &str = include_str!("../../../templates/heatmap.html.tera");
const ACCOUNTS: &str = include_str!("../../../templates/accounts.html.tera");
const ACCOUNT: &str = include_str!("../../../templates/account.html.tera");
const COMPLIANCE: &str = include_str!("../../../templates/compliance.html.tera");
const CHECKS: &str = include_str!("../../../templates/checks.html.tera");
const STYLE: &str = include_str!("../../../templates/style.css");
const SORT_JS: &str = include_str!("../../../templates/sort.js");
const ACCOUNTS_JS: &str = include_str!("../../../templates/accounts.js");

/// How many attachments a group lists before "and N more".
const ATTACHMENTS_SHOWN: usize = 25;

pub struct Html {
    tera: Tera,
    /// Check texts rendered from Markdown once: (what, why, remediation).
    texts: HashMap<&'static str, [String; 3]>,
    script_hash: String,
    accounts_script_hash: String,
}

fn markdown_to_html(text: &str) -> String {
    let mut out = String::new();
    pulldown_cmark::html::push_html(&mut out, pulldown_cmark::Parser::new(text));
    out
}

/// Base64 (standard alphabet, padded), for the CSP script hash.
fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

impl Html {
    pub fn new() -> Result<Self, ReportError> {
        let mut tera = Tera::default();
        tera.autoescape_on(vec![".html"]);
        tera.set_escape_fn(super::escape::html_to);
        tera.register_filter("score", super::markdown::score_filter);
        tera.add_raw_templates(vec![
            ("style.css", STYLE),
            ("heatmap.html", HEATMAP),
            ("index.html", INDEX),
            ("accounts.html", ACCOUNTS),
            ("account.html", ACCOUNT),
            ("compliance.html", COMPLIANCE),
            ("checks.html", CHECKS),
        ])
        .map_err(template_err("index.html"))?;
        let texts = ALL_CHECKS
            .iter()
            .map(|c| {
                let m = &c.meta;
                (
                    m.id,
                    [
                        markdown_to_html(m.what),
                        markdown_to_html(m.why),
                        markdown_to_html(m.remediation),
                    ],
                )
            })
            .collect();
        use sha2::Digest;
        let hash = |script: &str| format!("sha256-{}", base64(&sha2::Sha256::digest(script.as_bytes())));
        Ok(Html {
            tera,
            texts,
            script_hash: hash(SORT_JS),
            accounts_script_hash: hash(ACCOUNTS_JS),
        })
    }
}

impl Html {
    /// A framework edition's compliance page (`report::compliance`),
    /// rendered into `w`.
    pub(crate) fn compliance(
        &self,
        page: &super::compliance::Page,
        a: &Assessment,
        snapshot: &crate::model::Snapshot,
        w: &mut dyn std::io::Write,
    ) -> std::io::Result<()> {
        let mut ctx = super::header_context(a, snapshot);
        ctx.insert("page", page);
        self.tera
            .render_to("compliance.html", &ctx, w)
            .map_err(|e| std::io::Error::other(super::template_err("compliance.html")(e)))
    }
}

impl Html {
    /// `checks.html`: every check with its texts, which a large
    /// organization's account pages link to instead of repeating them.
    pub fn checks(
        &self,
        a: &Assessment,
        snapshot: &crate::model::Snapshot,
        w: &mut dyn std::io::Write,
    ) -> std::io::Result<()> {
        #[derive(serde::Serialize)]
        struct CheckText<'a> {
            id: &'static str,
            name: &'static str,
            title: &'static str,
            question: &'static str,
            severity_rule: String,
            controls: Vec<String>,
            what: &'a str,
            why: &'a str,
            remediation: &'a str,
        }
        let checks: Vec<CheckText> = ALL_CHECKS
            .iter()
            .map(|c| {
                let m = &c.meta;
                let [what, why, remediation] = &self.texts[m.id];
                CheckText {
                    id: m.id,
                    name: m.name,
                    title: m.title,
                    question: m.question.code(),
                    severity_rule: m.severity.describe(),
                    controls: m.controls.iter().map(|c| c.label()).collect(),
                    what,
                    why,
                    remediation,
                }
            })
            .collect();
        let mut ctx = super::header_context(a, snapshot);
        ctx.insert("checks", &checks);
        ctx.insert("accounts", &a.accounts.len());
        self.tera
            .render_to("checks.html", &ctx, w)
            .map_err(|e| std::io::Error::other(super::template_err("checks.html")(e)))
    }
}

/// What an account page needs from the assessment, sliced once for all pages.
pub struct AccountSlices<'a> {
    pub(super) findings: HashMap<&'a str, Vec<(usize, &'a Finding)>>,
    pub(super) groups: HashMap<&'a str, Vec<&'a GroupSummary>>,
}

impl<'a> AccountSlices<'a> {
    pub fn new(a: &'a Assessment) -> Self {
        let mut findings: HashMap<&str, Vec<(usize, &Finding)>> = HashMap::new();
        for f in &a.findings {
            let list = findings.entry(f.account_id.as_str()).or_default();
            list.push((list.len() + 1, f));
        }
        let mut groups: HashMap<&str, Vec<&GroupSummary>> = HashMap::new();
        for g in &a.groups {
            groups.entry(g.account_id.as_str()).or_default().push(g);
        }
        AccountSlices { findings, groups }
    }

    /// The anchor of `f` on its account page: `f<n>`, n counting from 1 in
    /// the page's order (the assessment's order filtered to the account).
    pub(super) fn anchor(&self, f: &Finding) -> Option<usize> {
        let list = self.findings.get(f.account_id.as_str())?;
        list.iter().find(|(_, g)| std::ptr::eq(*g, f)).map(|&(n, _)| n)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64_matches_the_standard() {
        assert_eq!(super::base64(b""), "");
        assert_eq!(super::base64(b"f"), "Zg==");
        assert_eq!(super::base64(b"fo"), "Zm8=");
        assert_eq!(super::base64(b"foo"), "Zm9v");
        assert_eq!(super::base64(b"foobar"), "Zm9vYmFy");
    }
}
