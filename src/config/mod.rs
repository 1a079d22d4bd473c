//! The configuration file (TOML): what counts as an admin port, what is
//! critical, who attested what, which risks are accepted.
//!
//! Every field has a default, so sgaudit runs without a config file. Unknown
//! keys are errors (a typo must not silently fall back to a default), and every
//! error names the file, the line and column, and the key (see
//! [`ConfigError`]). `config/sgaudit.example.toml` documents each field.

mod accepted;
mod collect;
mod de;
mod error;
mod governance;
mod ports;
mod remediation;
mod scoring;
mod usage;

use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::model::AccountId;

pub use accepted::{Attestation, Exception};
pub use collect::{Collect, Rate, Throttle};
pub use error::{ConfigError, Location};
pub use governance::{Critical, Governance, Hygiene, TagMatch};
pub use ports::{Networks, Ports};
pub use remediation::{CodeLanguage, Remediation};
pub use scoring::{Scoring, Sla, Weights};
pub use usage::UsageRules;

/// The whole configuration.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub ports: Ports,
    pub networks: Networks,
    pub critical: Critical,
    pub governance: Governance,
    pub hygiene: Hygiene,
    pub scoring: Scoring,
    pub sla: Sla,
    pub collect: Collect,
    pub usage: UsageRules,
    pub remediation: Remediation,
    pub attestations: Vec<Attestation>,
    pub exceptions: Vec<Exception>,
}

/// A loaded configuration and the text it came from (kept for the evidence
/// package and for locating errors found after parsing).
#[derive(Clone, Debug)]
pub struct LoadedConfig {
    pub config: Config,
    pub path: Option<PathBuf>,
    pub source: String,
}

impl LoadedConfig {
    pub fn defaults() -> Self {
        LoadedConfig {
            config: Config::default(),
            path: None,
            source: String::new(),
        }
    }

    /// An error about something at `span` of this config.
    pub fn error_at(
        &self,
        span: Option<Range<usize>>,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> ConfigError {
        let path = self.path.clone().unwrap_or_else(|| PathBuf::from("<default config>"));
        ConfigError::at(&path, &self.source, span, Some(key.into()), message)
    }
}

/// Read and validate a config file.
pub fn load(path: &Path) -> Result<LoadedConfig, ConfigError> {
    let source = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let config = parse(path, &source)?;
    Ok(LoadedConfig {
        config,
        path: Some(path.to_path_buf()),
        source,
    })
}

/// Parse config text; `path` is only used in error messages.
pub fn parse(path: &Path, source: &str) -> Result<Config, ConfigError> {
    let de = toml::Deserializer::parse(source)
        .map_err(|e| ConfigError::at(path, source, e.span(), None, e.message().to_string()))?;
    let mut config: Config = serde_path_to_error::deserialize(de).map_err(|e| {
        let key = e.path().to_string();
        let inner = e.into_inner();
        ConfigError::at(path, source, inner.span(), Some(key), inner.message().to_string())
    })?;
    locate_tables(source, &mut config);
    validate(path, source, &config)?;
    Ok(config)
}

/// Record where each `[[exceptions]]` / `[[attestations]]` table starts, so
/// that errors found later (an unknown check id) can point at it.
fn locate_tables(source: &str, config: &mut Config) {
    let Ok(doc) = toml::de::DeTable::parse(source) else {
        return;
    };
    let doc = doc.into_inner();
    let spans = |name: &str| -> Vec<Range<usize>> {
        let value = doc
            .iter()
            .find(|(k, _)| k.get_ref().as_ref() == name)
            .map(|(_, v)| v.get_ref());
        match value {
            Some(toml::de::DeValue::Array(items)) => items.iter().map(|i| i.span()).collect(),
            _ => Vec::new(),
        }
    };
    for (e, span) in config.exceptions.iter_mut().zip(spans("exceptions")) {
        e.span = Some(span);
    }
    for (a, span) in config.attestations.iter_mut().zip(spans("attestations")) {
        a.span = Some(span);
    }
}

fn validate(path: &Path, source: &str, config: &Config) -> Result<(), ConfigError> {
    let err =
        |span: Option<Range<usize>>, key: String, msg: String| Err(ConfigError::at(path, source, span, Some(key), msg));
    for (i, e) in config.exceptions.iter().enumerate() {
        if e.check.is_none() && e.account.is_none() && e.security_group.is_none() && e.resource.is_none() {
            return err(
                e.span.clone(),
                format!("exceptions[{i}]"),
                "an exception must name at least one of `check`, `account`, `security_group` or `resource`; \
                 an exception that matches everything would hide every finding"
                    .into(),
            );
        }
        if e.owner.trim().is_empty() || e.reason.trim().is_empty() {
            return err(
                e.span.clone(),
                format!("exceptions[{i}]"),
                "an exception needs a non-empty `owner` and `reason`".into(),
            );
        }
    }
    for (i, a) in config.attestations.iter().enumerate() {
        if a.accounts.is_empty() && a.ous.is_empty() {
            return err(
                a.span.clone(),
                format!("attestations[{i}]"),
                "an attestation must say which accounts it covers: `accounts = [\"*\"]`, account ids, or `ous`".into(),
            );
        }
        for acc in &a.accounts {
            if acc != "*" && AccountId::parse(acc).is_err() {
                return err(
                    a.span.clone(),
                    format!("attestations[{i}].accounts"),
                    format!("`{acc}` is neither `*` nor a 12-digit account id"),
                );
            }
        }
    }
    for (key, rate) in config.collect.throttle.rates() {
        if rate.burst == 0 || !(rate.per_second > 0.0 && rate.per_second.is_finite()) {
            return err(
                None,
                format!("collect.throttle.{key}"),
                format!(
                    "a bucket needs burst >= 1 and per_second > 0 (it has burst = {}, per_second = {}); \
                     without tokens no request would ever be sent",
                    rate.burst, rate.per_second
                ),
            );
        }
    }
    // Prefix lengths and weights are checked as they are read (`prefix_v4`,
    // `prefix_v6`, `weight`), where the error can point at the value.
    Ok(())
}

#[cfg(test)]
mod tests;
