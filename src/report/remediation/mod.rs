//! Remediation as code: each finding's fix (`analyze::fixes`) as AWS CLI
//! commands, Terraform and CloudFormation (in `findings.json` and on the
//! account pages), and one script per account, `remediation/<id>.sh`
//! (docs/remediation.md). sgaudit writes them; it never runs them.

pub mod cli;
mod cloudformation;
pub mod quote;
mod script;
mod terraform;

use std::collections::HashMap;

use serde::Serialize;

use crate::analyze::fixes::{self, Fix};
use crate::analyze::Finding;
use crate::config::Governance;
use crate::model::{SecurityGroup, Snapshot};

pub use script::write_scripts;

/// Finds each finding's group in the snapshot and plans its fix.
pub struct Planner<'s> {
    groups: HashMap<(&'s str, &'s str, &'s str), &'s SecurityGroup>,
    governance: &'s Governance,
}

impl<'s> Planner<'s> {
    pub fn new(snapshot: &'s Snapshot, governance: &'s Governance) -> Self {
        let mut groups = HashMap::new();
        for a in &snapshot.accounts {
            for r in &a.regions {
                for sg in &r.security_groups {
                    groups.insert((a.account_id.as_str(), r.region.as_str(), sg.group_id.as_str()), sg);
                }
            }
        }
        Planner { groups, governance }
    }

    pub fn fix(&self, f: &Finding) -> Fix {
        let group = match (&f.region, &f.security_group_id) {
            (Some(r), Some(g)) => self
                .groups
                .get(&(f.account_id.as_str(), r.as_str(), g.as_str()))
                .copied(),
            _ => None,
        };
        fixes::plan(f, f.hint.as_deref(), group, self.governance)
    }
}

/// A finding's fix as `findings.json` holds it.
#[derive(Clone, Debug, Serialize)]
pub struct RemediationRecord {
    /// Every change it needs is written out, with no placeholder.
    pub exact: bool,
    /// The account's remediation script applies it (exact, not defined in
    /// code, nothing to do first, not accepted).
    pub scripted: bool,
    /// Where the group is defined in code: change it there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub in_code: Option<String>,
    /// What must be done before the changes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first: Option<String>,
    /// Why no AWS change is written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manual: Option<&'static str>,
    /// The values to fill in (`<YOUR-CIDR>`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub placeholders: Vec<&'static str>,
    /// The AWS CLI commands, in order, with comments; optional ones commented out.
    pub cli: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub terraform: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cloudformation: Option<String>,
}

impl RemediationRecord {
    pub fn new(finding: &Finding, fix: &Fix) -> Self {
        let mut placeholders: Vec<&'static str> = fix
            .steps
            .iter()
            .filter_map(|s| s.change.placeholder())
            .map(|p| p.text())
            .collect();
        placeholders.sort_unstable();
        placeholders.dedup();
        let name = finding.fingerprint.as_str();
        RemediationRecord {
            exact: fix.is_exact(),
            scripted: fix.is_scripted() && finding.is_open(),
            in_code: fix.in_code.as_ref().map(|c| c.describe()),
            first: fix.first.clone(),
            manual: fix.manual,
            placeholders,
            cli: cli_text(fix),
            terraform: terraform::render(fix, name),
            cloudformation: cloudformation::render(fix, name),
        }
    }
}

/// The commands of a fix as one shell snippet: what to know first as
/// comments, the required commands, then the optional ones commented out.
pub fn cli_text(fix: &Fix) -> String {
    let mut out = String::new();
    if let Some(code) = &fix.in_code {
        out.push_str(&format!(
            "# Change it in code first ({}): the next deploy undoes a change made here.\n",
            quote::comment(&code.describe())
        ));
    }
    if let Some(first) = &fix.first {
        out.push_str(&format!("# First: {}.\n", quote::comment(first)));
    }
    if let Some(manual) = fix.manual {
        out.push_str(&format!("# No AWS change to write: {manual}.\n"));
    }
    for step in &fix.steps {
        let command = cli::command(&step.change, fix.region.as_ref());
        if matches!(command.trial, cli::Trial::Nothing) {
            out.push_str("# Its current definition, to write into code:\n");
        }
        if !step.required {
            out.push_str("# Option: ");
        }
        out.push_str(&command.line());
        out.push('\n');
    }
    out
}
