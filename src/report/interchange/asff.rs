//! `findings.asff.json`: the findings in the AWS Security Finding Format,
//! ready for `aws securityhub batch-import-findings`.
//!
//! The file is a JSON array of batches; each batch is the array one
//! `batch-import-findings --findings` call takes: at most 100 findings, all
//! of one account and one region, because a custom integration's
//! `ProductArn` (`arn:aws:securityhub:<region>:<account>:product/<account>/default`)
//! is the importing account's and region's. Security Hub keys a finding by
//! `Id` (here from its fingerprint): importing the next assessment updates
//! the same findings rather than adding new ones.
//!
//! Limits of the format that sgaudit enforces itself (Security Hub rejects,
//! the CLI does not check): Title 256 characters, Description 1024,
//! Recommendation text 512, 32 resources, 32 related requirements,
//! ProductFields values 2048.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::analyze::{Assessment, Finding, Severity};
use crate::model::Snapshot;

use super::super::package::output::{OutDir, WrittenFile};
use super::super::records::Names;
use super::super::ReportError;
use super::{cut, partition, rfc3339, Resources};

pub(crate) const FILE: &str = "findings.asff.json";

/// Findings per `BatchImportFindings` call.
pub(crate) const BATCH: usize = 100;

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct AsffFinding<'a> {
    schema_version: &'static str,
    id: String,
    product_arn: String,
    product_name: &'static str,
    company_name: &'static str,
    generator_id: &'static str,
    aws_account_id: &'a str,
    types: Vec<&'static str>,
    created_at: String,
    updated_at: String,
    first_observed_at: String,
    last_observed_at: String,
    severity: AsffSeverity,
    title: String,
    description: String,
    remediation: AsffRemediation,
    product_fields: BTreeMap<&'static str, String>,
    resources: Vec<AsffResource>,
    compliance: AsffCompliance,
    workflow: Workflow,
    record_state: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct AsffSeverity {
    label: &'static str,
    original: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct AsffRemediation {
    recommendation: Recommendation,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Recommendation {
    text: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct AsffResource {
    #[serde(rename = "Type")]
    kind: &'static str,
    id: String,
    partition: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct AsffCompliance {
    status: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_requirements: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Workflow {
    status: &'static str,
}

fn label(s: Severity) -> &'static str {
    match s {
        Severity::Info => "INFORMATIONAL",
        Severity::Low => "LOW",
        Severity::Medium => "MEDIUM",
        Severity::High => "HIGH",
        Severity::Critical => "CRITICAL",
    }
}

/// The finding types: network reachability, and the standards it maps to.
fn types(f: &Finding) -> Vec<&'static str> {
    use crate::controls::Framework;
    let mut out = vec![super::finding_type(f)];
    for c in f.controls() {
        let t = match c.framework {
            Framework::SecurityHub | Framework::AwsConfig => {
                "Software and Configuration Checks/Industry and Regulatory Standards/AWS-Foundational-Security-Best-Practices"
            }
            Framework::Cis => "Software and Configuration Checks/Industry and Regulatory Standards/CIS AWS Foundations Benchmark",
            Framework::PciDss => "Software and Configuration Checks/Industry and Regulatory Standards/PCI-DSS",
            Framework::Nist80053 => "Software and Configuration Checks/Industry and Regulatory Standards/NIST 800-53 Controls (USA)",
            Framework::Iso27001 | Framework::Soc2 => continue,
        };
        if !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

fn finding<'a>(a: &Assessment, resources: &Resources, names: &Names, f: &'a Finding) -> AsffFinding<'a> {
    let m = &f.check.meta;
    let account = f.account_id.as_str();
    let region = resources.region_of(f);
    let part = partition(region);
    let (listed, total) = resources.of(f);
    let mut fields = BTreeMap::new();
    fields.insert("sgaudit/CheckName", m.name.to_string());
    fields.insert("sgaudit/Question", m.question.code().to_string());
    fields.insert("sgaudit/Fingerprint", f.fingerprint.as_str().to_string());
    if let Some(e) = f.exposure {
        fields.insert("sgaudit/Exposure", e.label().to_string());
    }
    if let Some(r) = &f.reachability {
        fields.insert(
            "sgaudit/Reachability",
            cut(&r.hops().collect::<Vec<_>>().join(" -> "), 2048),
        );
    }
    if let Some(name) = f.security_group_id.as_ref().and_then(|g| names.group(g.as_str())) {
        fields.insert("sgaudit/GroupName", cut(name, 2048));
    }
    if total > listed.len() {
        fields.insert("sgaudit/ResourcesTotal", total.to_string());
    }
    if let Some(x) = &f.accepted {
        fields.insert(
            "sgaudit/Exception",
            cut(
                &format!("{} (owner {}, expires {})", x.reason, x.owner, x.expires),
                2048,
            ),
        );
    }
    let mut requirements: Vec<String> = f.controls().map(|c| c.label()).collect();
    requirements.truncate(32);
    AsffFinding {
        schema_version: "2018-10-08",
        id: format!("sgaudit/{account}/{region}/{}/{}", m.id, f.fingerprint.as_str()),
        product_arn: format!("arn:{part}:securityhub:{region}:{account}:product/{account}/default"),
        product_name: "sgaudit",
        company_name: "sgaudit",
        generator_id: m.id,
        aws_account_id: account,
        types: types(f),
        created_at: rfc3339(f.first_seen, true),
        updated_at: rfc3339(a.as_of, true),
        first_observed_at: rfc3339(f.first_seen, true),
        last_observed_at: rfc3339(a.as_of, true),
        severity: AsffSeverity {
            label: label(f.severity),
            original: f.severity.label(),
        },
        title: cut(m.title, 256),
        description: cut(&f.summary, 1024),
        remediation: AsffRemediation {
            recommendation: Recommendation {
                text: cut(m.remediation.trim(), 512),
            },
        },
        product_fields: fields,
        resources: listed
            .into_iter()
            .map(|r| AsffResource {
                kind: r.kind,
                partition: partition(r.region.as_deref().unwrap_or(region)),
                id: r.uid,
                region: r.region,
            })
            .collect(),
        compliance: AsffCompliance {
            status: "FAILED",
            related_requirements: requirements,
        },
        workflow: Workflow {
            status: if f.is_open() { "NEW" } else { "SUPPRESSED" },
        },
        record_state: "ACTIVE",
    }
}

/// Write `findings.asff.json`: batches of at most [`BATCH`] findings of one
/// account and region, in the findings' order within each.
pub fn write(out: &OutDir, a: &Assessment, snapshot: &Snapshot, names: &Names) -> Result<WrittenFile, ReportError> {
    let resources = Resources::new(snapshot);
    let mut groups: BTreeMap<(&str, &str), Vec<&Finding>> = BTreeMap::new();
    for f in &a.findings {
        groups
            .entry((f.account_id.as_str(), resources.region_of(f)))
            .or_default()
            .push(f);
    }
    let batches: Vec<&[&Finding]> = groups.values().flat_map(|list| list.chunks(BATCH)).collect();
    let resources = &resources;
    out.write(FILE, |w| {
        w.write_all(b"[")?;
        // Batches serialized on every core, a window at a time (memory
        // stays a few batches' worth), written in order.
        for (n, window) in batches.chunks(crate::par::threads() * 16).enumerate() {
            let bufs = crate::par::map_queue(window, |batch| -> Result<Vec<u8>, serde_json::Error> {
                let mut buf = Vec::with_capacity(batch.len() * 2560);
                for (i, f) in batch.iter().enumerate() {
                    buf.extend_from_slice(if i == 0 { b"\n    " } else { b",\n    " });
                    serde_json::to_writer(&mut buf, &finding(a, resources, names, f))?;
                }
                Ok(buf)
            });
            for (i, buf) in bufs.into_iter().enumerate() {
                w.write_all(if n == 0 && i == 0 { b"\n  [" } else { b",\n  [" })?;
                w.write_all(&buf?)?;
                w.write_all(b"\n  ]")?;
            }
        }
        w.write_all(if batches.is_empty() { b"]\n" } else { b"\n]\n" })
    })
}
