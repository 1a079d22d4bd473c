//! `[scoring]` and `[sla]`: how questions weigh in an account's score, and how long findings may stay open.

use serde::{Deserialize, Serialize};

use super::de::{days, weight};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Scoring {
    pub weights: Weights,
}

/// Weight of each question in the account score.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Weights {
    #[serde(rename = "Q1", deserialize_with = "weight")]
    pub q1: f64,
    #[serde(rename = "Q2", deserialize_with = "weight")]
    pub q2: f64,
    #[serde(rename = "Q3", deserialize_with = "weight")]
    pub q3: f64,
    #[serde(rename = "Q4", deserialize_with = "weight")]
    pub q4: f64,
    #[serde(rename = "Q5", deserialize_with = "weight")]
    pub q5: f64,
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            q1: 1.0,
            q2: 1.0,
            q3: 1.0,
            q4: 1.0,
            q5: 1.0,
        }
    }
}

/// Age targets: how many days a finding of each severity may stay open
/// before it is overdue. `"none"`: no target.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Sla {
    #[serde(with = "days")]
    pub critical: Option<u32>,
    #[serde(with = "days")]
    pub high: Option<u32>,
    #[serde(with = "days")]
    pub medium: Option<u32>,
    #[serde(with = "days")]
    pub low: Option<u32>,
    #[serde(with = "days")]
    pub info: Option<u32>,
}

impl Default for Sla {
    fn default() -> Self {
        Sla {
            critical: Some(7),
            high: Some(30),
            medium: Some(90),
            low: None,
            info: None,
        }
    }
}
