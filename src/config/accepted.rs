//! `[[attestations]]` and `[[exceptions]]`: what people vouch for, and the
//! risks they accept.

use std::ops::Range;

use serde::{Deserialize, Serialize};
use time::Date;

use crate::model::AccountId;

use super::de::toml_date;

/// Q4's manual part: who defines the security groups of these accounts, and
/// the evidence that they are trained to grant the minimum.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attestation {
    /// Account ids, or `"*"` for every account.
    #[serde(default)]
    pub accounts: Vec<String>,
    /// OU ids (`ou-…`) or OU names anywhere on the account's path.
    #[serde(default)]
    pub ous: Vec<String>,
    /// The team that defines and reviews security groups.
    pub owner: String,
    /// Where the training evidence is (course, records).
    pub training: String,
    /// Who signs the attestation.
    pub attested_by: String,
    #[serde(with = "toml_date")]
    pub date: Date,
    #[serde(skip)]
    pub span: Option<Range<usize>>,
}

/// An accepted risk. At least one of `check`, `account`, `security_group`,
/// `resource` narrows it; every given field must match.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exception {
    /// A check id (`SGA101`) or name (`admin-port-open-to-world`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<AccountId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_group: Option<String>,
    /// Any id in the finding's resources (an instance, a DB, a NACL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    pub owner: String,
    pub reason: String,
    #[serde(with = "toml_date")]
    pub expires: Date,
    /// Where the exception is written (byte range in the config file), for errors.
    #[serde(skip)]
    pub span: Option<Range<usize>>,
}

impl Exception {
    /// `SGA101 in 333333333333 on sg-…`
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(c) = &self.check {
            parts.push(c.clone());
        }
        if let Some(a) = &self.account {
            parts.push(format!("in {a}"));
        }
        if let Some(s) = &self.security_group {
            parts.push(format!("on {s}"));
        }
        if let Some(r) = &self.resource {
            parts.push(format!("for {r}"));
        }
        parts.join(" ")
    }
}
