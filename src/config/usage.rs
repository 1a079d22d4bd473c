//! `[usage]`: what flow-log evidence must show before sgaudit calls a rule
//! unused, and how tight a proposed replacement is.

use serde::{Deserialize, Serialize};

use super::de::{prefix_v4, prefix_v6};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UsageRules {
    /// A rule is called unused only when every interface of its group was
    /// covered by flow-log records for at least this many days of the window.
    pub min_days: u32,
    /// The widest prefix a proposed replacement may use (IPv4).
    #[serde(deserialize_with = "prefix_v4")]
    pub widest_prefix_v4: u8,
    #[serde(deserialize_with = "prefix_v6")]
    pub widest_prefix_v6: u8,
    /// A replacement of more prefixes than this is not proposed: the sources
    /// are too many to list, and the rule needs a design, not a patch.
    pub max_prefixes: usize,
}

impl Default for UsageRules {
    fn default() -> Self {
        UsageRules {
            min_days: 30,
            widest_prefix_v4: 24,
            widest_prefix_v6: 48,
            max_prefixes: 8,
        }
    }
}
