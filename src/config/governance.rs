//! `[critical]`, `[governance]` and `[hygiene]`: what is critical, what is
//! infrastructure as code, what looks temporary.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::model::{AccountId, Tag};

/// A tag condition: the key, and the accepted values (any value when empty).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TagMatch {
    pub key: String,
    #[serde(default)]
    pub values: Vec<String>,
}

impl TagMatch {
    pub fn matches(&self, tags: &[Tag]) -> bool {
        tags.iter().any(|t| {
            t.key == self.key
                && (self.values.is_empty() || self.values.iter().any(|v| v.eq_ignore_ascii_case(&t.value)))
        })
    }
}

impl fmt::Display for TagMatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.values.is_empty() {
            write!(f, "{}=*", self.key)
        } else {
            write!(f, "{}={}", self.key, self.values.join("|"))
        }
    }
}

/// What makes a resource critical (Q5).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Critical {
    /// A resource (instance, load balancer, DB, or the security group itself)
    /// carrying one of these tags is critical.
    pub tags: Vec<TagMatch>,
    /// Every resource of these accounts is critical.
    pub accounts: Vec<AccountId>,
    /// A TCP/UDP range wider than this many ports is wider than a critical
    /// resource needs.
    pub max_port_range: u32,
}

impl Default for Critical {
    fn default() -> Self {
        Critical {
            tags: Vec::new(),
            accounts: Vec::new(),
            max_port_range: 10,
        }
    }
}

impl Critical {
    /// Whether any criticality rule is configured at all: without one, Q5
    /// cannot be assessed.
    pub fn is_configured(&self) -> bool {
        !self.tags.is_empty() || !self.accounts.is_empty()
    }
}

/// Who defines security groups (Q4).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Governance {
    /// Tags that show a security group is defined by infrastructure as code.
    pub iac_tags: Vec<TagMatch>,
    /// Case-insensitive text in a group's name or description that shows it
    /// was made by hand in a console.
    pub hand_made_markers: Vec<String>,
    /// An attestation older than this (at snapshot time) no longer counts.
    pub attestation_max_age_days: i64,
}

impl Governance {
    /// Whether a group with these tags is defined by infrastructure as code:
    /// one of the configured IaC tags, or any `aws:` tag (only AWS services
    /// such as CloudFormation can set those).
    pub fn is_iac(&self, tags: &[Tag]) -> bool {
        self.iac_tags.iter().any(|m| m.matches(tags)) || tags.iter().any(|t| t.key.starts_with("aws:"))
    }
}

/// The infrastructure-as-code tools whose name in a `managed-by` (or
/// `ManagedBy`) tag marks a group as defined in code, by default.
const IAC_TOOLS: [&str; 5] = ["terraform", "opentofu", "pulumi", "cdk", "cloudformation"];

impl Default for Governance {
    fn default() -> Self {
        let key = |k: &str| TagMatch {
            key: k.to_string(),
            values: vec![],
        };
        let tool = |k: &str| TagMatch {
            key: k.to_string(),
            values: IAC_TOOLS.map(String::from).to_vec(),
        };
        Governance {
            iac_tags: vec![
                key("aws:cloudformation:stack-name"),
                key("aws:cloudformation:stack-id"),
                tool("managed-by"),
                tool("ManagedBy"),
            ],
            hand_made_markers: vec![
                "launch-wizard-".into(),
                "created by rds management console".into(),
                "created from the rds management console".into(),
            ],
            attestation_max_age_days: 365,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Hygiene {
    /// Words that mark a temporary or test group (matched as whole words of
    /// the name or description: `tmp-debug` matches `tmp`, `latest` does not
    /// match `test`).
    pub temporary_markers: Vec<String>,
}

impl Default for Hygiene {
    fn default() -> Self {
        Hygiene {
            temporary_markers: ["test", "tmp", "temp", "temporary", "launch-wizard", "debug"]
                .map(String::from)
                .to_vec(),
        }
    }
}
