//! Where a group defined in code is defined, read from its tags.

use crate::config::Governance;
use crate::model::{SecurityGroup, Tag};

/// The code a group comes from: change it there, or the next deploy puts
/// the old rule back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InCode {
    /// `aws:cloudformation:stack-name` (CloudFormation, CDK, SAM).
    CloudFormation { stack: String },
    /// A `managed-by` style tag naming the tool, and a workspace or project
    /// tag when there is one.
    Tool { tool: String, workspace: Option<String> },
    /// One of the configured IaC tags, naming no tool.
    Tagged { key: String, value: String },
}

/// Tags that name where a Terraform or Pulumi definition lives.
const WORKSPACE_KEYS: [&str; 6] = [
    "terraform-workspace",
    "tf-workspace",
    "workspace",
    "pulumi:project",
    "pulumi-stack",
    "repository",
];

impl InCode {
    pub fn of(sg: &SecurityGroup, governance: &Governance) -> Option<InCode> {
        if !governance.is_iac(&sg.tags) {
            return None;
        }
        let tag = |keys: &[&str]| -> Option<&Tag> {
            keys.iter()
                .find_map(|k| sg.tags.iter().find(|t| t.key.eq_ignore_ascii_case(k)))
        };
        if let Some(t) = tag(&["aws:cloudformation:stack-name"]) {
            return Some(InCode::CloudFormation { stack: t.value.clone() });
        }
        let workspace = tag(&WORKSPACE_KEYS).map(|t| t.value.clone());
        if let Some(t) = tag(&["managed-by", "managedby", "managed_by"]) {
            return Some(InCode::Tool {
                tool: t.value.clone(),
                workspace,
            });
        }
        // The tag that made it count as code (the first that matches).
        let t = sg
            .tags
            .iter()
            .find(|t| governance.is_iac(std::slice::from_ref(t)))
            .or(sg.tags.first())?;
        Some(InCode::Tagged {
            key: t.key.clone(),
            value: t.value.clone(),
        })
    }

    /// `change it in code: CloudFormation stack web-prod`, for every output
    /// (hostile text: the caller escapes it).
    pub fn describe(&self) -> String {
        match self {
            InCode::CloudFormation { stack } => format!("CloudFormation stack {stack}"),
            InCode::Tool {
                tool,
                workspace: Some(w),
            } => format!("{tool} (workspace {w})"),
            InCode::Tool { tool, workspace: None } => tool.clone(),
            InCode::Tagged { key, value } if value.is_empty() => format!("the code its tag {key} names"),
            InCode::Tagged { key, value } => format!("the code its tag {key}={value} names"),
        }
    }
}
