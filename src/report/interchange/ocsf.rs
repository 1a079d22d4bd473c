//! `findings.ocsf.jsonl`: one OCSF 1.3.0 Detection Finding (class 2004) per
//! line, for Amazon Security Lake and the SIEMs that read OCSF.
//!
//! Field choices (docs/interchange.md has the whole table):
//! - `finding_info.uid` is the fingerprint, so the same finding keeps its
//!   identity from one assessment to the next; `first_seen_time` is the
//!   baseline's; `time` is the assessment's "now" (the snapshot's start).
//! - `status_id`: New (first seen in this assessment, or no baseline),
//!   In Progress (persisting since the baseline), Suppressed (an accepted
//!   exception).
//! - Detection Finding 1.3.0 has no `compliance` object (that is class
//!   2003's), so the controls go in `unmapped.compliance`, as other
//!   producers do, with sgaudit's own facts in `unmapped.sgaudit`.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::value::RawValue;

use crate::analyze::finding::Change;
use crate::analyze::{Assessment, Finding, Severity};
use crate::model::Snapshot;

use super::super::package::output::{OutDir, WrittenFile};
use super::super::records::Names;
use super::super::remediation::{Planner, RemediationRecord};
use super::super::ReportError;
use super::{millis, rfc3339, Resource, Resources};

pub(crate) const FILE: &str = "findings.ocsf.jsonl";
pub(crate) const OCSF_VERSION: &str = "1.3.0";

#[derive(Serialize)]
struct Record<'a> {
    activity_id: u8,
    activity_name: &'static str,
    category_uid: u8,
    category_name: &'static str,
    class_uid: u16,
    class_name: &'static str,
    type_uid: u32,
    type_name: &'static str,
    severity_id: u8,
    severity: &'static str,
    status_id: u8,
    status: &'static str,
    message: &'a str,
    time: i64,
    time_dt: &'a str,
    metadata: Metadata,
    finding_info: FindingInfo<'a>,
    resources: Vec<OcsfResource<'a>>,
    cloud: Cloud<'a>,
    remediation: Remediation<'a>,
    risk_details: &'a RawValue,
    unmapped: Unmapped<'a>,
}

#[derive(Serialize)]
struct Metadata {
    version: &'static str,
    product: Product,
    profiles: [&'static str; 2],
    event_code: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    tenant_uid: Option<String>,
}

#[derive(Serialize)]
struct Product {
    name: &'static str,
    uid: &'static str,
    vendor_name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct FindingInfo<'a> {
    uid: &'a str,
    title: &'static str,
    desc: &'a str,
    types: [&'static str; 1],
    first_seen_time: i64,
    first_seen_time_dt: String,
    last_seen_time: i64,
    last_seen_time_dt: &'a str,
    product_uid: &'static str,
    analytic: Analytic,
}

#[derive(Serialize)]
struct Analytic {
    uid: &'static str,
    name: &'static str,
    type_id: u8,
    #[serde(rename = "type")]
    kind: &'static str,
    category: &'static str,
}

#[derive(Serialize)]
struct OcsfResource<'a> {
    uid: String,
    name: String,
    #[serde(rename = "type")]
    kind: &'static str,
    cloud_partition: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<ResourceData<'a>>,
}

/// What OCSF has no field for on the group itself.
#[derive(Serialize)]
struct ResourceData<'a> {
    group_name: &'a str,
}

#[derive(Serialize)]
struct Cloud<'a> {
    provider: &'static str,
    region: &'a str,
    account: Account<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    org: Option<Org<'a>>,
}

#[derive(Serialize)]
struct Account<'a> {
    uid: &'a str,
    /// py-ocsf-models' 1.3.0 model requires it; empty when the account has no name.
    name: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    type_id: u8,
}

#[derive(Serialize)]
struct Org<'a> {
    uid: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    ou_uid: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ou_name: Option<&'a str>,
}

#[derive(Serialize)]
struct Remediation<'a> {
    desc: &'a RawValue,
    #[serde(skip_serializing_if = "Option::is_none")]
    references: Option<[&'a str; 1]>,
}

#[derive(Serialize)]
struct Unmapped<'a> {
    compliance: BTreeMap<&'static str, Vec<&'static str>>,
    sgaudit: Extra<'a>,
}

/// sgaudit's own facts: what a reader needs to trust the severity.
#[derive(Serialize)]
struct Extra<'a> {
    check_id: &'static str,
    check_name: &'static str,
    question: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    exposure: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reachability: Option<&'a crate::analyze::reach::ReachRecord>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule: Option<&'a crate::analyze::finding::RuleEvidence>,
    #[serde(skip_serializing_if = "Option::is_none")]
    exception: Option<&'a crate::analyze::finding::Acceptance>,
    resources_total: usize,
    remediation_exact: bool,
    remediation_scripted: bool,
}

/// OCSF's severity ids: 1 Informational … 5 Critical.
fn severity(s: Severity) -> (u8, &'static str) {
    match s {
        Severity::Info => (1, "Informational"),
        Severity::Low => (2, "Low"),
        Severity::Medium => (3, "Medium"),
        Severity::High => (4, "High"),
        Severity::Critical => (5, "Critical"),
    }
}

/// OCSF's finding status: New, In Progress, Suppressed.
pub(crate) fn status(f: &Finding) -> (u8, &'static str) {
    if !f.is_open() {
        (3, "Suppressed")
    } else if f.change == Some(Change::Persisting) {
        (2, "In Progress")
    } else {
        (1, "New")
    }
}

/// Writes findings as OCSF lines: what every line shares, made once.
pub(crate) struct Ocsf<'a> {
    a: &'a Assessment,
    snapshot: &'a Snapshot,
    names: &'a Names<'a>,
    planner: &'a Planner<'a>,
    resources: Resources<'a>,
    ous: std::collections::HashMap<&'a str, &'a crate::model::OuRef>,
    /// The assessment's time, as every line writes it.
    now_dt: String,
    /// Each check's remediation and risk texts, already JSON strings: the
    /// same few hundred bytes on every line of the check, escaped once.
    texts: std::collections::HashMap<&'static str, [Box<RawValue>; 2]>,
}

impl<'a> Ocsf<'a> {
    pub fn new(a: &'a Assessment, snapshot: &'a Snapshot, names: &'a Names<'a>, planner: &'a Planner<'a>) -> Self {
        let json = |text: &str| {
            RawValue::from_string(serde_json::to_string(text.trim()).expect("a string serializes"))
                .expect("a JSON string is JSON")
        };
        Ocsf {
            a,
            snapshot,
            names,
            planner,
            resources: Resources::new(snapshot),
            ous: snapshot
                .accounts
                .iter()
                .filter_map(|acc| acc.ou_path.last().map(|ou| (acc.account_id.as_str(), ou)))
                .collect(),
            now_dt: rfc3339(a.as_of, false),
            texts: crate::analyze::checks::ALL_CHECKS
                .iter()
                .map(|c| (c.meta.id, [json(c.meta.remediation), json(c.meta.why)]))
                .collect(),
        }
    }

    /// The finding's line (and its newline), given its fix as `findings.json`
    /// or the account pages make it.
    pub fn line(&self, f: &Finding, fix: &RemediationRecord, buf: &mut Vec<u8>) -> serde_json::Result<()> {
        serde_json::to_writer(&mut *buf, &record(self, f, fix))?;
        buf.push(b'\n');
        Ok(())
    }

    /// The finding's line, its fix planned here.
    fn line_planned(&self, f: &Finding, buf: &mut Vec<u8>) -> serde_json::Result<()> {
        let fix = self.planner.fix(f);
        self.line(f, &RemediationRecord::commands(f, &fix, self.planner), buf)
    }
}

fn record<'a>(cx: &'a Ocsf<'a>, f: &'a Finding, commands: &'a RemediationRecord) -> Record<'a> {
    let m = &f.check.meta;
    let (severity_id, severity) = severity(f.severity);
    let (status_id, status) = status(f);
    let region = cx.resources.region_of(f);
    let (resources, total) = cx.resources.of(f);
    let texts = &cx.texts[m.id];
    let group_name = f.security_group_id.as_ref().and_then(|g| cx.names.group(g.as_str()));
    let org = cx.snapshot.organization.as_ref();
    let ou = cx.ous.get(f.account_id.as_str()).copied();
    Record {
        activity_id: 1,
        activity_name: "Create",
        category_uid: 2,
        category_name: "Findings",
        class_uid: 2004,
        class_name: "Detection Finding",
        type_uid: 200401,
        type_name: "Detection Finding: Create",
        severity_id,
        severity,
        status_id,
        status,
        message: &f.summary,
        time: millis(cx.a.as_of),
        time_dt: &cx.now_dt,
        metadata: Metadata {
            version: OCSF_VERSION,
            product: Product {
                name: "sgaudit",
                uid: "sgaudit",
                vendor_name: "sgaudit",
                version: env!("CARGO_PKG_VERSION"),
            },
            profiles: ["cloud", "datetime"],
            event_code: m.id,
            tenant_uid: org.map(|o| o.id.clone()),
        },
        finding_info: FindingInfo {
            uid: f.fingerprint.as_str(),
            title: m.title,
            desc: &f.summary,
            types: [super::finding_type(f)],
            first_seen_time: millis(f.first_seen),
            first_seen_time_dt: rfc3339(f.first_seen, false),
            last_seen_time: millis(cx.a.as_of),
            last_seen_time_dt: &cx.now_dt,
            product_uid: "sgaudit",
            analytic: Analytic {
                uid: m.id,
                name: m.name,
                type_id: 1,
                kind: "Rule",
                category: m.question.code(),
            },
        },
        resources: resources
            .into_iter()
            .enumerate()
            .map(|(i, r): (usize, Resource)| OcsfResource {
                cloud_partition: super::partition(r.region.as_deref().unwrap_or(region)),
                data: (i == 0)
                    .then_some(())
                    .and(group_name)
                    .map(|group_name| ResourceData { group_name }),
                uid: r.uid,
                name: r.name,
                kind: r.kind,
                region: r.region,
            })
            .collect(),
        cloud: Cloud {
            provider: "aws",
            region,
            account: Account {
                uid: f.account_id.as_str(),
                name: cx.names.account(f.account_id.as_str()),
                kind: "AWS Account",
                type_id: 10,
            },
            org: org.map(|o| Org {
                uid: &o.id,
                ou_uid: ou.map(|u| u.id.as_str()),
                ou_name: ou.map(|u| u.name.as_str()),
            }),
        },
        remediation: Remediation {
            desc: &texts[0],
            references: (commands.exact && !commands.cli.trim().is_empty()).then(|| [commands.cli.trim_end()]),
        },
        risk_details: &texts[1],
        unmapped: Unmapped {
            compliance: super::compliance(f),
            sgaudit: Extra {
                check_id: m.id,
                check_name: m.name,
                question: m.question.code(),
                exposure: f.exposure.map(|e| e.label()),
                reachability: f.reachability.as_deref(),
                rule: f.rule.as_deref(),
                exception: f.accepted.as_deref(),
                resources_total: total,
                remediation_exact: commands.exact,
                remediation_scripted: commands.scripted,
            },
        },
    }
}

/// How many findings one thread serializes at a time.
const RUN: usize = 2048;

/// Write `findings.ocsf.jsonl`, in the findings' order. (With `findings.json`,
/// `json::write_findings` writes it instead, from the same fixes.)
pub fn write(out: &OutDir, ocsf: &Ocsf) -> Result<WrittenFile, ReportError> {
    let lines = |run: &[Finding]| -> Result<Vec<u8>, serde_json::Error> {
        let mut buf = Vec::with_capacity(run.len() * 3072);
        for f in run {
            ocsf.line_planned(f, &mut buf)?;
        }
        Ok(buf)
    };
    out.write(FILE, |w| {
        crate::par::map_runs_in_order(&ocsf.a.findings, RUN, lines, |buf| -> std::io::Result<()> {
            w.write_all(&buf?)?;
            Ok(())
        })
    })
}
