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

use super::escape::csv_cell;
use super::html::Html;
use super::package::output::{OutDir, WrittenFile};
use super::rollup::{self, LOWEST_SHOWN};
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
///
/// Above [`rollup::LARGE_ORG`] accounts a page no longer lists every account under
/// every control (at 50,000 accounts that was 140 MB of HTML per edition):
/// each control shows its counts by OU, the accounts with the most failing
/// findings and the reasons for "not assessed", grouped; the table keeps
/// every account's row.
pub fn write(
    out: &OutDir,
    a: &Assessment,
    snapshot: &Snapshot,
    html: Option<&Html>,
    csv: bool,
) -> Result<Vec<WrittenFile>, ReportError> {
    let anchors = html.map(|_| Anchors::new(a));
    let anchors = anchors.as_ref();
    let ous = rollup::is_large(a).then(|| Ous::new(a));
    let ous = ous.as_ref();
    // One edition at a time: this runs as one of the report's jobs, beside
    // the others on every core, and an edition's statuses (each control in
    // every account) are its working set, tens of megabytes in a large
    // organization.
    let mut files = Vec::new();
    for edition in EDITIONS {
        let views = compliance::view(edition, a, snapshot);
        if let (Some(html), Some(anchors)) = (html, anchors) {
            let page = page(edition, &views, anchors, ous);
            let name = format!("compliance/{}.html", edition.slug);
            files.push(out.write(&name, |w| html.compliance(&page, a, snapshot, w))?);
        }
        if csv {
            files.push(write_table(out, edition, &views)?);
        }
    }
    Ok(files)
}

#[derive(Serialize)]
pub(crate) struct Page<'a> {
    edition: &'a Edition,
    interpretive: bool,
    /// Rolled up by OU: `accounts` of each control holds only the accounts
    /// with the most failing findings.
    large: bool,
    controls: Vec<ControlRow<'a>>,
    editions: Vec<Named>,
}

/// Each account's OU, for the roll-up of a large organization: the OUs in
/// path order, and each account's index among them.
struct Ous<'a> {
    paths: Vec<&'a str>,
    of: HashMap<&'a str, usize>,
}

impl<'a> Ous<'a> {
    fn new(a: &'a Assessment) -> Self {
        let ous = rollup::by_ou(a);
        let mut of = HashMap::with_capacity(a.accounts.len());
        for (i, (_, accounts)) in ous.iter().enumerate() {
            for acc in accounts {
                of.insert(acc.account_id.as_str(), i);
            }
        }
        Ous {
            paths: ous.into_iter().map(|(path, _)| path).collect(),
            of,
        }
    }
}

/// A control's statuses in the accounts of one OU.
#[derive(Serialize, Default, Clone)]
struct OuRow<'a> {
    ou: &'a str,
    accounts: usize,
    fail: usize,
    not_assessed: usize,
    pass: usize,
    not_applicable: usize,
}

/// One reason for "not assessed", and how many accounts it concerns.
#[derive(Serialize)]
struct Reason<'a> {
    why: &'a str,
    accounts: usize,
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
    /// Every account (the accounts failing most, in a large organization).
    accounts: Vec<AccountRow<'a>>,
    /// A large organization's statuses by OU, and its reasons for "not
    /// assessed", most accounts first.
    by_ou: Vec<OuRow<'a>>,
    reasons: Vec<Reason<'a>>,
    more_reasons: usize,
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

fn page<'a>(edition: &'a Edition, views: &'a [ControlView<'a>], anchors: &Anchors, ous: Option<&Ous<'a>>) -> Page<'a> {
    let controls = views
        .iter()
        .map(|v| {
            let (accounts, by_ou, reasons, more_reasons) = match ous {
                None => (
                    v.accounts.iter().map(|s| account_row(s, anchors)).collect(),
                    Vec::new(),
                    Vec::new(),
                    0,
                ),
                Some(ous) => rolled_up(v, ous, anchors),
            };
            ControlRow {
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
                accounts,
                by_ou,
                reasons,
                more_reasons,
            }
        })
        .collect();
    Page {
        edition,
        interpretive: edition.mapping == Mapping::Interpretive,
        large: ous.is_some(),
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

/// A control in a large organization: its statuses by OU, the accounts
/// with the most failing findings, and the reasons for "not assessed".
fn rolled_up<'a>(
    v: &'a ControlView<'a>,
    ous: &Ous<'a>,
    anchors: &Anchors,
) -> (Vec<AccountRow<'a>>, Vec<OuRow<'a>>, Vec<Reason<'a>>, usize) {
    let mut by_ou: Vec<OuRow> = ous.paths.iter().map(|&ou| OuRow { ou, ..OuRow::default() }).collect();
    let mut reasons: HashMap<&str, usize> = HashMap::new();
    for s in &v.accounts {
        let row = &mut by_ou[ous.of[s.account.account_id.as_str()]];
        row.accounts += 1;
        match s.status {
            Status::Fail => row.fail += 1,
            Status::NotAssessed => row.not_assessed += 1,
            Status::Pass => row.pass += 1,
            Status::NotApplicable => row.not_applicable += 1,
        }
        if let (Status::NotAssessed, Some(why)) = (s.status, &s.why) {
            *reasons.entry(why.as_ref()).or_default() += 1;
        }
    }
    by_ou.retain(|r| r.accounts > 0);
    by_ou.truncate(rollup::ROWS_SHOWN);
    let mut failing: Vec<&AccountStatus> = v.accounts.iter().filter(|s| s.status == Status::Fail).collect();
    failing.sort_by(|x, y| {
        y.failing
            .len()
            .cmp(&x.failing.len())
            .then_with(|| x.account.account_id.cmp(&y.account.account_id))
    });
    failing.truncate(LOWEST_SHOWN);
    let mut reasons: Vec<Reason> = reasons
        .into_iter()
        .map(|(why, accounts)| Reason { why, accounts })
        .collect();
    reasons.sort_by(|x, y| y.accounts.cmp(&x.accounts).then_with(|| x.why.cmp(y.why)));
    let more_reasons = reasons.len().saturating_sub(REASONS_SHOWN);
    reasons.truncate(REASONS_SHOWN);
    let accounts = failing.into_iter().map(|s| account_row(s, anchors)).collect();
    (accounts, by_ou, reasons, more_reasons)
}

/// How many reasons for "not assessed" a large organization's control lists.
const REASONS_SHOWN: usize = 10;

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

/// `compliance/<edition>.csv`: every control in every account, one row
/// each, the cells written straight from the view (a large organization's
/// edition is millions of cells).
fn write_table(out: &OutDir, edition: &Edition, views: &[ControlView]) -> Result<WrittenFile, ReportError> {
    const HEADER: [&str; 16] = [
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
    out.write(&format!("compliance/{}.csv", edition.slug), |f| {
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(f);
        w.write_record(HEADER)?;
        let mut fingerprints = String::new();
        for v in views {
            let checks = v.checks.iter().map(|c| c.meta.id).collect::<Vec<_>>().join(" ");
            let mapping = match v.control.mapping {
                Mapping::Exact => "exact",
                Mapping::Interpretive => "interpretive",
            };
            let control = [
                edition.slug,
                edition.framework.label(),
                v.control.version,
                v.control.id,
                v.control.title,
                mapping,
                v.control.source,
            ];
            for s in &v.accounts {
                for cell in control {
                    w.write_field(csv_cell(cell).as_ref())?;
                }
                w.write_field(csv_cell(s.account.account_id.as_str()).as_ref())?;
                w.write_field(csv_cell(s.account.name.as_deref().unwrap_or("")).as_ref())?;
                w.write_field(s.status.label())?;
                for n in [s.failing.len(), s.accepted.len(), s.observations.len()] {
                    w.write_field(n.to_string())?;
                }
                w.write_field(csv_cell(&checks).as_ref())?;
                w.write_field(csv_cell(s.why.as_deref().unwrap_or("")).as_ref())?;
                fingerprints.clear();
                for (i, f) in s.failing.iter().enumerate() {
                    if i > 0 {
                        fingerprints.push(' ');
                    }
                    fingerprints.push_str(f.fingerprint.as_str());
                }
                w.write_field(&fingerprints)?;
                w.write_record(None::<&[u8]>)?;
            }
        }
        w.flush()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_organization_rolls_each_control_up_by_ou() {
        let mut fx = crate::analyze::testing::TestOrg::new();
        fx.sg("sg-ssh", &["tcp 22 0.0.0.0/0"]);
        let a = fx.assess();
        let edition = Edition::find("cis-aws-5.0.0").unwrap();
        let views = compliance::view(edition, &a, &fx.snapshot);
        let anchors = Anchors::new(&a);
        let ous = Ous::new(&a);
        let page = page(edition, &views, &anchors, Some(&ous));
        assert!(page.large);
        let c = page.controls.iter().find(|c| c.id == "5.3").unwrap();
        assert_eq!(c.fail, 1);
        assert_eq!(c.by_ou.len(), 1, "one OU");
        assert_eq!((c.by_ou[0].accounts, c.by_ou[0].fail), (1, 1));
        assert_eq!(c.accounts.len(), 1, "the failing account is listed");
        assert!(
            c.accounts[0].links[0].href.ends_with("#f1"),
            "{}",
            c.accounts[0].links[0].href
        );
    }
}
