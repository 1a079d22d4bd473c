//! `[remediation]`: how fixes are written as code.

use serde::{Deserialize, Serialize};

/// A language a fix can be written in, beside the AWS CLI.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CodeLanguage {
    /// `aws_vpc_security_group_ingress_rule` and friends (AWS provider v5+).
    Terraform,
    /// `AWS::EC2::SecurityGroupIngress` and friends.
    Cloudformation,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Remediation {
    /// The languages a fix of a group not defined in code is written in
    /// (`findings.json`: `terraform`, `cloudformation`). A group defined in
    /// code always gets its own: CloudFormation for a stack's group,
    /// Terraform for any other.
    pub code: Vec<CodeLanguage>,
}

impl Default for Remediation {
    fn default() -> Self {
        Remediation {
            code: vec![CodeLanguage::Terraform],
        }
    }
}
