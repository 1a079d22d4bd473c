//! `compliance/<edition>.html` and `.csv`: each framework edition's
//! controls, their status in every account, and the findings behind a
//! failure, linked to their evidence on the account pages
//! (`analyze::compliance` decides the statuses).

use std::collections::HashMap;

use serde::Serialize;

use crate::analyze::compliance::{self, AccountStatus, ControlView, Status};
use crate::analyze::{Assessment, Finding};
use crate::controls::{Edition, Mapping, EDITIONS};
use crate::model::Snapshot;

use super::csv::write_csv;
use super::html::Html;
use super::package::output::{OutDir, WrittenFile};
use super::ReportError;

/// How many failing findings a row links to directly; the rest are one
/// click away on the account page's section of the check.
const LINKED: usize = 5;

/// Each finding's anchor on its account page (`f<n>`), by address.
pub struct Anchors(HashMap<usize, usize>);

impl Anchors {
    pub fn new(a: &Assessment) -> Self {
        let mut next: HashMap<&str, usize> = HashMap::new();
        let mut map = HashMap::with_capacity(a.findings.len());
        for f in &a.findings {
            let n = next.entry(f.account_id.as_str()).or_insert(0);
            *n += 1;
            map.insert(f as *const Finding as usize, *n);
        }
        Anchors(map)
    }

    fn of(&self, f: &Finding) -> usize {
        self.0[&(f as *const Finding as usize)]
    }
}

/// Write every edition's page (with HTML) and table (with CSV).
pub fn write(
    out: &OutDir,
    a: &Assessment,
    snapshot: &Snapshot,
    html: Option<&Html>,
    csv: bool,
) -> Result<Vec<WrittenFile>, ReportError> {
    let anchors = html.map(|_| Anchors::new(a));
    let anchors = anchors.as_ref();
    // The editions are independent: on every core.
    let per_edition = crate::par::map_queue(EDITIONS, |edition| -> Result<Vec<WrittenFile>, ReportError> {
        let views = compliance::view(edition, a, snapshot);
        let mut files = Vec::new();
        if let (Some(html), Some(anchors)) = (html, anchors) {
            let page = html.compliance(&page(edition, &views, anchors), a, snapshot)?;
            files.push(out.write_bytes(&format!("compliance/{}.html", edition.slug), page.as_bytes())?);
        }
        if csv {
            files.push(write_table(out, edition, &views)?);
        }
        Ok(files)
    });
    let mut files = Vec::new();
    for f in per_edition {
        files.extend(f?);
    }
    Ok(files)
}

#[derive(Serialize)]
pub(crate) struct Page<'a> {
    edition: &'a Edition,
    interpretive: bool,
    controls: Vec<ControlRow<'a>>,
    editions: Vec<Named>,
}

#[derive(Serialize)]
struct Named {
    id: &'static str,
    name: &'static str,
}

#[derive(Serialize)]
struct ControlRow<'a> {
    id: &'static str,
    anchor: String,
    title: &'static str,
    version: &'static str,
    source: &'static str,
    mapping: Mapping,
    note: Option<&'static str>,
    checks: Vec<Named>,
    fail: usize,
    pass: usize,
    not_assessed: usize,
    not_applicable: usize,
    accounts: Vec<AccountRow<'a>>,
}

#[derive(Serialize)]
struct AccountRow<'a> {
    id: &'a str,
    name: &'a str,
    status: &'static str,
    class: &'static str,
    why: Option<&'a str>,
    failing: usize,
    accepted: usize,
    observations: usize,
    links: Vec<Link>,
    more: usize,
}

#[derive(Serialize)]
struct Link {
    href: String,
    label: String,
}

fn page<'a>(edition: &'a Edition, views: &'a [ControlView<'a>], anchors: &Anchors) -> Page<'a> {
    let controls = views
        .iter()
        .map(|v| ControlRow {
            id: v.control.id,
            anchor: v.control.id.replace(['.', '(', ')'], "-"),
            title: v.control.title,
            version: v.control.version,
            source: v.control.source,
            mapping: v.control.mapping,
            note: v.control.note,
            checks: v
                .checks
                .iter()
                .map(|c| Named {
                    id: c.meta.id,
                    name: c.meta.name,
                })
                .collect(),
            fail: v.count(Status::Fail),
            pass: v.count(Status::Pass),
            not_assessed: v.count(Status::NotAssessed),
            not_applicable: v.count(Status::NotApplicable),
            accounts: v.accounts.iter().map(|s| account_row(s, anchors)).collect(),
        })
        .collect();
    Page {
        edition,
        interpretive: edition.mapping == Mapping::Interpretive,
        controls,
        editions: EDITIONS
            .iter()
            .map(|e| Named {
                id: e.slug,
                name: e.title,
            })
            .collect(),
    }
}

fn account_row<'a>(s: &'a AccountStatus<'a>, anchors: &Anchors) -> AccountRow<'a> {
    let id = s.account.account_id.as_str();
    let links = s
        .failing
        .iter()
        .take(LINKED)
        .map(|f| Link {
            href: format!("../accounts/{id}.html#f{}", anchors.of(f)),
            label: format!(
                "{} {} {}",
                f.severity,
                f.check.meta.id,
                f.security_group_id
                    .as_ref()
                    .map_or_else(|| f.subject.id().to_string(), |g| g.to_string())
            ),
        })
        .collect();
    AccountRow {
        id,
        name: s.account.name.as_deref().unwrap_or(""),
        status: s.status.label(),
        class: match s.status {
            Status::Fail => "st-fail",
            Status::Pass => "st-pass",
            Status::NotAssessed => "st-na",
            Status::NotApplicable => "st-nap",
        },
        why: s.why.as_deref(),
        failing: s.failing.len(),
        accepted: s.accepted.len(),
        observations: s.observations.len(),
        links,
        more: s.failing.len().saturating_sub(LINKED),
    }
}

fn write_table(out: &OutDir, edition: &Edition, views: &[ControlView]) -> Result<WrittenFile, ReportError> {
    let header = [
        "edition",
        "framework",
        "version",
        "control_id",
        "control_title",
        "mapping",
        "source",
        "account_id",
        "account_name",
        "status",
        "failing",
        "accepted",
        "observations",
        "checks",
        "why",
        "failing_fingerprints",
    ];
    let rows = views.iter().flat_map(|v| {
        let checks = v.checks.iter().map(|c| c.meta.id).collect::<Vec<_>>().join(" ");
        v.accounts.iter().map(move |s| {
            vec![
                edition.slug.to_string(),
                edition.framework.label().to_string(),
                v.control.version.to_string(),
                v.control.id.to_string(),
                v.control.title.to_string(),
                match v.control.mapping {
                    Mapping::Exact => "exact".to_string(),
                    Mapping::Interpretive => "interpretive".to_string(),
                },
                v.control.source.to_string(),
                s.account.account_id.to_string(),
                s.account.name.clone().unwrap_or_default(),
                s.status.label().to_string(),
                s.failing.len().to_string(),
                s.accepted.len().to_string(),
                s.observations.len().to_string(),
                checks.clone(),
                s.why.clone().unwrap_or_default(),
                s.failing
                    .iter()
                    .map(|f| f.fingerprint.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
            ]
        })
    });
    write_csv(out, &format!("compliance/{}.csv", edition.slug), &header, rows)
}
