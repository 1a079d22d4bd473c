//! The configuration file (TOML): what counts as an admin port, what is
//! critical, who attested what, which risks are accepted.
//!
//! Every field has a default, so sgaudit runs without a config file. Unknown
//! keys are errors (a typo must not silently fall back to a default), and every
//! error names the file, the line and column, and the key (see
//! [`ConfigError`]). `config/sgaudit.example.toml` documents each field.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use time::Date;

use crate::controls;
use crate::model::{AccountId, AccountSnapshot, Cidr, ServicePort, Tag};

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
    pub attestations: Vec<Attestation>,
    pub exceptions: Vec<Exception>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Ports {
    /// Remote administration ports (Q1, Q3).
    pub admin: Vec<ServicePort>,
    /// Ports that must never be open to anywhere (Q2); EC2.19's list by default.
    pub high_risk: Vec<ServicePort>,
    /// Ports critical resources may open to anywhere (Q5, EC2.18).
    pub authorized_public: Vec<ServicePort>,
}

impl Default for Ports {
    fn default() -> Self {
        Ports {
            admin: controls::default_admin_ports(),
            high_risk: controls::default_high_risk_ports(),
            authorized_public: controls::default_authorized_public_ports(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Networks {
    /// A public IPv4 source this wide or wider (prefix length at most this,
    /// but not /0) is reported as a wide public range.
    #[serde(deserialize_with = "prefix_v4")]
    pub wide_public_prefix_v4: u8,
    #[serde(deserialize_with = "prefix_v6")]
    pub wide_public_prefix_v6: u8,
    /// A private IPv4 source this wide or wider (e.g. /8) is a broad grant
    /// even inside a VPC that is wider still.
    #[serde(deserialize_with = "prefix_v4")]
    pub broad_private_prefix_v4: u8,
    #[serde(deserialize_with = "prefix_v6")]
    pub broad_private_prefix_v6: u8,
    /// Admin access is a recognised bastion pattern when every source is a
    /// security-group reference or one of at most this many single hosts.
    pub bastion_max_host_sources: usize,
}

impl Networks {
    /// The prefix length at or below which `cidr` counts as wide (public) or
    /// broad (private), for its address family.
    pub fn broad_prefix(&self, cidr: Cidr) -> u8 {
        match (cidr.is_ipv6(), cidr.is_private()) {
            (false, false) => self.wide_public_prefix_v4,
            (true, false) => self.wide_public_prefix_v6,
            (false, true) => self.broad_private_prefix_v4,
            (true, true) => self.broad_private_prefix_v6,
        }
    }
}

impl Default for Networks {
    fn default() -> Self {
        Networks {
            wide_public_prefix_v4: 20,
            wide_public_prefix_v6: 32,
            broad_private_prefix_v4: 8,
            broad_private_prefix_v6: 32,
            bastion_max_host_sources: 4,
        }
    }
}

fn prefix_v4<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u8, D::Error> {
    let v = u8::deserialize(d)?;
    if v > 32 {
        return Err(serde::de::Error::custom(format!(
            "{v} is not an IPv4 prefix length (0-32)"
        )));
    }
    Ok(v)
}

fn prefix_v6<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u8, D::Error> {
    let v = u8::deserialize(d)?;
    if v > 128 {
        return Err(serde::de::Error::custom(format!(
            "{v} is not an IPv6 prefix length (0-128)"
        )));
    }
    Ok(v)
}

fn weight<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    let v = f64::deserialize(d)?;
    if !v.is_finite() || v < 0.0 {
        return Err(serde::de::Error::custom(format!(
            "{v} is not a weight (a number, zero or more)"
        )));
    }
    Ok(v)
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

/// A number of days, or `"none"`.
mod days {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<u32>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(d) => s.serialize_u32(*d),
            None => s.serialize_str("none"),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Days(u32),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Days(n) => Ok(Some(n)),
            Raw::Text(t) if t.eq_ignore_ascii_case("none") => Ok(None),
            Raw::Text(t) => Err(serde::de::Error::custom(format!(
                "`{t}` is not a number of days or \"none\""
            ))),
        }
    }
}

/// How `sgaudit collect` reaches the organization. Every field can also be
/// given on the command line, which wins.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Collect {
    /// The role assumed in every account (`arn:PARTITION:iam::ACCOUNT:role/ROLE_NAME`).
    pub role_name: String,
    /// The external id the role's trust policy requires, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// The role session name, visible in the accounts' CloudTrail.
    pub session_name: String,
    /// The AWS profile for the caller's credentials (else the standard chain).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// The region of the organization-wide calls (STS, Organizations); else
    /// the profile's or environment's region, else us-east-1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub home_region: Option<String>,
    /// Regions to collect; empty: every region enabled for each account.
    pub regions: Vec<String>,
    /// Collect exactly these accounts without calling Organizations (for a
    /// caller without Organizations access). Empty: every account of the
    /// organization.
    pub accounts: Vec<AccountId>,
    /// Only the accounts under these OUs (ids, `ou-…`), recursively.
    pub ous: Vec<String>,
    /// Accounts to leave out; they are listed as skipped.
    pub exclude_accounts: Vec<AccountId>,
    /// Assess the caller's own account through the role too (by default it is
    /// assessed with the caller's credentials: the management account has no
    /// OrganizationAccountAccessRole).
    pub assume_role_in_caller_account: bool,
    /// API calls in flight at once, across all accounts and regions.
    pub max_concurrency: usize,
    /// Attempts per call, retries with backoff on throttling and 5xx included.
    pub max_attempts: u32,
    /// The first retry's backoff; later ones grow exponentially, with jitter.
    pub initial_backoff_ms: u64,
    /// Time limit of one attempt of one call.
    pub call_timeout_secs: u64,
}

impl Default for Collect {
    fn default() -> Self {
        Collect {
            role_name: "OrganizationAccountAccessRole".into(),
            external_id: None,
            session_name: "sgaudit".into(),
            profile: None,
            home_region: None,
            regions: Vec::new(),
            accounts: Vec::new(),
            ous: Vec::new(),
            exclude_accounts: Vec::new(),
            assume_role_in_caller_account: false,
            max_concurrency: 16,
            max_attempts: 5,
            initial_backoff_ms: 1000,
            call_timeout_secs: 30,
        }
    }
}

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

impl Default for Governance {
    fn default() -> Self {
        let key = |k: &str| TagMatch {
            key: k.to_string(),
            values: vec![],
        };
        Governance {
            iac_tags: vec![
                key("aws:cloudformation:stack-name"),
                key("aws:cloudformation:stack-id"),
                TagMatch {
                    key: "managed-by".into(),
                    values: vec![
                        "terraform".into(),
                        "opentofu".into(),
                        "pulumi".into(),
                        "cdk".into(),
                        "cloudformation".into(),
                    ],
                },
                TagMatch {
                    key: "ManagedBy".into(),
                    values: vec![
                        "terraform".into(),
                        "opentofu".into(),
                        "pulumi".into(),
                        "cdk".into(),
                        "cloudformation".into(),
                    ],
                },
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

/// Whether an account is in the scope given by account ids (or `"*"`) and
/// OU ids or names anywhere on its path.
pub fn scope_covers(accounts: &[String], ous: &[String], account: &AccountSnapshot) -> bool {
    accounts.iter().any(|a| a == "*" || a == account.account_id.as_str())
        || account
            .ou_path
            .iter()
            .any(|ou| ous.iter().any(|o| *o == ou.id || *o == ou.name))
}

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

/// A configuration error, located in its file.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}", render(.path, .location.as_ref(), .key.as_deref(), .message))]
    Invalid {
        path: PathBuf,
        location: Option<Location>,
        key: Option<String>,
        message: String,
    },
}

/// A place in the config file, with the line it is on for display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub line: usize,
    pub column: usize,
    pub width: usize,
    pub text: String,
}

impl Location {
    pub fn of(source: &str, span: Range<usize>) -> Location {
        let start = span.start.min(source.len());
        let before = &source[..start];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let text = source[line_start..].lines().next().unwrap_or("").to_string();
        let column = source[line_start..start].chars().count() + 1;
        let width = source[start..span.end.min(source.len())]
            .lines()
            .next()
            .map_or(1, |s| s.chars().count().max(1));
        Location {
            line,
            column,
            width,
            text,
        }
    }
}

fn render(path: &Path, location: Option<&Location>, key: Option<&str>, message: &str) -> String {
    let mut out = String::new();
    match location {
        Some(l) => out.push_str(&format!("{}:{}:{}: ", path.display(), l.line, l.column)),
        None => out.push_str(&format!("{}: ", path.display())),
    }
    if let Some(k) = key.filter(|k| !k.is_empty() && *k != ".") {
        out.push_str(&format!("`{k}`: "));
    }
    out.push_str(message);
    if let Some(l) = location {
        let gutter = l.line.to_string().len();
        out.push_str(&format!(
            "\n{pad} |\n{line} | {text}\n{pad} | {caret_pad}{carets}",
            pad = " ".repeat(gutter),
            line = l.line,
            text = l.text,
            caret_pad = " ".repeat(l.column - 1),
            carets = "^".repeat(l.width.min(l.text.chars().count().saturating_sub(l.column - 1)).max(1)),
        ));
    }
    out
}

impl ConfigError {
    /// An error about the config text at `span`.
    pub fn at(
        path: &Path,
        source: &str,
        span: Option<Range<usize>>,
        key: Option<String>,
        message: impl Into<String>,
    ) -> Self {
        ConfigError::Invalid {
            path: path.to_path_buf(),
            location: span.map(|s| Location::of(source, s)),
            key,
            message: message.into(),
        }
    }
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
    // Prefix lengths and weights are checked as they are read (`prefix_v4`,
    // `prefix_v6`, `weight`), where the error can point at the value.
    Ok(())
}

/// Dates written as TOML dates (`2027-03-31`) or as strings (`"2027-03-31"`).
mod toml_date {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::{macros::format_description, Date};

    const FORMAT: &[time::format_description::BorrowedFormatItem<'static>] =
        format_description!("[year]-[month]-[day]");

    pub fn serialize<S: Serializer>(d: &Date, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&d.format(FORMAT).map_err(serde::ser::Error::custom)?)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Toml(toml::value::Datetime),
            Text(String),
        }
        let text = match Raw::deserialize(d)? {
            Raw::Toml(dt) => match (dt.date, dt.time) {
                (Some(date), None) => date.to_string(),
                _ => {
                    return Err(serde::de::Error::custom(format!(
                        "`{dt}` is not a plain date (expected e.g. 2027-03-31)"
                    )))
                }
            },
            Raw::Text(s) => s,
        };
        Date::parse(&text, FORMAT)
            .map_err(|_| serde::de::Error::custom(format!("`{text}` is not a date (expected e.g. 2027-03-31)")))
    }
}

#[cfg(test)]
mod tests;
