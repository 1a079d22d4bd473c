//! `findings.json` and `scores.json`.

use serde::Serialize;

use crate::analyze::Assessment;

use super::output::{OutDir, WrittenFile};
use super::records::{FindingRecord, Names};
use super::ReportError;

#[derive(Serialize)]
pub(crate) struct Generator {
    name: &'static str,
    version: &'static str,
}

pub(crate) const GENERATOR: Generator = Generator {
    name: env!("CARGO_PKG_NAME"),
    version: env!("CARGO_PKG_VERSION"),
};

#[derive(Serialize)]
struct FindingsHeader {
    schema: &'static str,
    generator: Generator,
    #[serde(with = "time::serde::rfc3339")]
    as_of: time::OffsetDateTime,
    count: usize,
    open: usize,
    /// Every control the findings name, by the label they use.
    controls: std::collections::BTreeMap<String, &'static crate::controls::Control>,
}

/// `findings.json`: the header pretty-printed, then one finding per line, so
/// that the file stays small, greps well and diffs line by line.
pub fn write_findings(out: &OutDir, a: &Assessment, names: &Names) -> Result<WrittenFile, ReportError> {
    let mut controls = std::collections::BTreeMap::new();
    for f in &a.findings {
        for c in &f.controls {
            controls.entry(c.label()).or_insert(*c);
        }
    }
    let header = FindingsHeader {
        schema: "sgaudit/findings@1",
        generator: GENERATOR,
        as_of: a.as_of,
        count: a.findings.len(),
        open: a.open_findings().count(),
        controls,
    };
    out.write("findings.json", |w| {
        let head = serde_json::to_string_pretty(&header)?;
        let head = head.strip_suffix("\n}").unwrap_or(&head);
        w.write_all(head.as_bytes())?;
        w.write_all(b",\n  \"findings\": [")?;
        for (i, finding) in a.findings.iter().enumerate() {
            w.write_all(if i == 0 { b"\n    " } else { b",\n    " })?;
            serde_json::to_writer(&mut *w, &FindingRecord::new(finding, names))?;
        }
        w.write_all(if a.findings.is_empty() {
            b"]\n}\n"
        } else {
            b"\n  ]\n}\n"
        })
    })
}

#[derive(Serialize)]
struct ScoresDocument<'a> {
    schema: &'static str,
    generator: Generator,
    #[serde(with = "time::serde::rfc3339")]
    as_of: time::OffsetDateTime,
    org: &'a crate::analyze::OrgScore,
    accounts: &'a [crate::analyze::AccountScore],
    exceptions: &'a [crate::analyze::ExceptionStatus],
}

/// `scores.json`: the organization's and every account's scores, and how
/// each exception fared.
pub fn write_scores(out: &OutDir, a: &Assessment) -> Result<WrittenFile, ReportError> {
    let mut text = serde_json::to_string_pretty(&scores_document(a)).map_err(|e| ReportError::Io {
        path: out.path("scores.json"),
        source: e.into(),
    })?;
    text.push('\n');
    out.write_bytes("scores.json", text.as_bytes())
}

fn scores_document(a: &Assessment) -> ScoresDocument<'_> {
    ScoresDocument {
        schema: "sgaudit/scores@1",
        generator: GENERATOR,
        as_of: a.as_of,
        org: &a.org,
        accounts: &a.accounts,
        exceptions: &a.exceptions,
    }
}
