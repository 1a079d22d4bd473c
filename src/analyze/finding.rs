//! What the analysis produces: findings, and the small enums that qualify them.

use std::fmt;
use std::sync::Arc;

use compact_str::CompactString;
use serde::{Deserialize, Serialize};

use crate::controls::Control;

use super::checks::Check;
use super::fingerprint::Fingerprint;
use super::reach::ReachRecord;
use crate::model::{
    AccountId, Cidr, InstanceId, NetworkAclId, PortRange, PrefixListId, Protocol, Region, SecurityGroupId, VpcId,
};

/// The guidance's five assessment questions, plus hygiene.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Question {
    Q1,
    Q2,
    Q3,
    Q4,
    Q5,
    #[serde(rename = "hygiene")]
    Hygiene,
}

impl Question {
    /// The five scored questions, in order.
    pub const SCORED: [Question; 5] = [Question::Q1, Question::Q2, Question::Q3, Question::Q4, Question::Q5];

    pub fn code(self) -> &'static str {
        match self {
            Question::Q1 => "Q1",
            Question::Q2 => "Q2",
            Question::Q3 => "Q3",
            Question::Q4 => "Q4",
            Question::Q5 => "Q5",
            Question::Hygiene => "hygiene",
        }
    }

    /// The question as the guidance asks it, in sgaudit's words.
    pub fn text(self) -> &'static str {
        match self {
            Question::Q1 => "Is unrestricted ingress (0.0.0.0/0, ::/0) allowed to administration ports?",
            Question::Q2 => "Do internal applications accept traffic from anywhere?",
            Question::Q3 => {
                "How is administrative access to instances managed: Systems Manager, open ports, or hardened bastions?"
            }
            Question::Q4 => "Who defines the security groups, and under what control?",
            Question::Q5 => "Do critical applications allow only the ports they need?",
            Question::Hygiene => "Are security groups kept tidy: no unused, default-open, temporary or stale groups?",
        }
    }

    /// The least severity of an open finding that fails an item. Q4 is the
    /// share of groups defined in code: a group outside it fails, whatever
    /// the severity (info for a missing tag, medium for a console-made one).
    pub fn failing_severity(self) -> Severity {
        match self {
            Question::Q4 => Severity::Info,
            _ => Severity::Medium,
        }
    }

    /// What the question's score counts.
    pub fn items(self) -> &'static str {
        match self {
            Question::Q1 => "security groups and network ACLs",
            Question::Q2 => "security groups",
            Question::Q3 => "running instances",
            Question::Q4 => "security groups other than VPC defaults",
            Question::Q5 => "security groups of critical resources",
            Question::Hygiene => "security groups",
        }
    }
}

/// One value per scored question (Q1..Q5), indexed by the question.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PerQuestion<T>([T; 5]);

impl<T> PerQuestion<T> {
    fn slot(q: Question) -> Option<usize> {
        match q {
            Question::Q1 => Some(0),
            Question::Q2 => Some(1),
            Question::Q3 => Some(2),
            Question::Q4 => Some(3),
            Question::Q5 => Some(4),
            Question::Hygiene => None,
        }
    }

    /// The value of a scored question; `None` for hygiene, which is not scored.
    pub fn get(&self, q: Question) -> Option<&T> {
        Self::slot(q).map(|i| &self.0[i])
    }

    pub fn get_mut(&mut self, q: Question) -> Option<&mut T> {
        Self::slot(q).map(|i| &mut self.0[i])
    }
}

impl<T> std::ops::Index<Question> for PerQuestion<T> {
    type Output = T;
    fn index(&self, q: Question) -> &T {
        self.get(q).unwrap_or_else(|| panic!("{q} is not a scored question"))
    }
}

impl<T> std::ops::IndexMut<Question> for PerQuestion<T> {
    fn index_mut(&mut self, q: Question) -> &mut T {
        self.get_mut(q)
            .unwrap_or_else(|| panic!("{q} is not a scored question"))
    }
}

impl fmt::Display for Question {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// One step up, for findings whose exposure makes them worse.
    pub fn raised(self) -> Severity {
        match self {
            Severity::Info => Severity::Low,
            Severity::Low => Severity::Medium,
            Severity::Medium => Severity::High,
            Severity::High | Severity::Critical => Severity::Critical,
        }
    }
}

/// One value per severity, indexed by the severity. Serialised as a list,
/// worst first (`[critical, high, medium, low, info]`), as `Severity::ALL`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PerSeverity<T>([T; 5]);

impl<T> PerSeverity<T> {
    fn slot(s: Severity) -> usize {
        match s {
            Severity::Critical => 0,
            Severity::High => 1,
            Severity::Medium => 2,
            Severity::Low => 3,
            Severity::Info => 4,
        }
    }

    /// The values, worst severity first.
    pub fn iter(&self) -> impl Iterator<Item = (Severity, &T)> {
        Severity::ALL.into_iter().zip(self.0.iter())
    }
}

impl<T> std::ops::Index<Severity> for PerSeverity<T> {
    type Output = T;
    fn index(&self, s: Severity) -> &T {
        &self.0[Self::slot(s)]
    }
}

impl<T> std::ops::IndexMut<Severity> for PerSeverity<T> {
    fn index_mut(&mut self, s: Severity) -> &mut T {
        &mut self.0[Self::slot(s)]
    }
}

impl<T: Serialize> Serialize for PerSeverity<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl std::str::FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Severity::ALL
            .into_iter()
            .find(|v| v.label().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("`{s}` is not a severity (critical, high, medium, low, info)"))
    }
}

/// How reachable from the internet a finding's subject is, as reachability
/// proves it (docs/exposure.md). Ordered from the defender's best case:
/// unattached < internal < unknown < internet-exposed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Exposure {
    /// Attached to nothing: a latent risk, live the day someone attaches it.
    Unattached,
    /// Attached, and no rule of the finding is reachable from the internet.
    Internal,
    /// A fact the verdict needs was not collected. Severity treats it as
    /// exposed; every output says "unverified" and what is missing.
    Unknown,
    /// Some rule of the finding is reachable from the internet: directly,
    /// through a load balancer, or via inspection.
    InternetExposed,
}

impl Exposure {
    pub fn label(self) -> &'static str {
        match self {
            Exposure::Unattached => "unattached",
            Exposure::Internal => "internal",
            Exposure::Unknown => "unknown",
            Exposure::InternetExposed => "internet-exposed",
        }
    }

    /// Whether severity treats it as exposed: proven, or unverified.
    pub fn counts_as_exposed(self) -> bool {
        matches!(self, Exposure::InternetExposed | Exposure::Unknown)
    }
}

impl fmt::Display for Exposure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// The thing a finding is about, which is also the item it counts against in
/// its question's score.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Subject {
    SecurityGroup(SecurityGroupId),
    NetworkAcl(NetworkAclId),
    Instance(InstanceId),
    Vpc(VpcId),
    /// An exception of the config (an expired one): its scope and expiry.
    Exception(String),
}

impl Subject {
    /// `security_group`, `network_acl`, `instance`, `vpc`, `exception`.
    pub fn kind(&self) -> &'static str {
        match self {
            Subject::SecurityGroup(_) => "security_group",
            Subject::NetworkAcl(_) => "network_acl",
            Subject::Instance(_) => "instance",
            Subject::Vpc(_) => "vpc",
            Subject::Exception(_) => "exception",
        }
    }
    pub fn id(&self) -> &str {
        match self {
            Subject::SecurityGroup(id) => id.as_str(),
            Subject::NetworkAcl(id) => id.as_str(),
            Subject::Instance(id) => id.as_str(),
            Subject::Vpc(id) => id.as_str(),
            Subject::Exception(text) => text,
        }
    }
}

/// How a finding relates to the previous assessment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    /// Not in the baseline.
    New,
    /// In the baseline too (perhaps at another severity).
    Persisting,
}

/// What a rule is, as typed facts: the part of a finding's identity that its
/// fingerprint hashes (never the display text, which may be reworded).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RuleKey {
    pub egress: bool,
    pub protocol: Protocol,
    /// `None` for protocols without ports.
    pub ports: Option<PortRange>,
    pub source: SourceKey,
}

/// A rule's source (or destination), typed.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SourceKey {
    Cidr(Cidr),
    PrefixList(PrefixListId),
    /// A security group: its id, the account that owns it (when the rule
    /// names one) and the peering it is reached through (when there is one).
    Group {
        id: Option<SecurityGroupId>,
        account: Option<AccountId>,
        peering: Option<String>,
    },
}

impl RuleKey {
    /// The canonical text the fingerprint hashes: `ingress tcp 22-22 cidr:0.0.0.0/0`,
    /// `egress -1 - sg:sg-1@222222222222`, `ingress udp 53-53 pl:pl-1`.
    pub fn canonical(&self) -> String {
        let mut out = String::new();
        self.write_canonical(&mut out).expect("writing to a String cannot fail");
        out
    }

    /// [`RuleKey::canonical`], written to `out` (the fingerprint streams it
    /// into its hash).
    pub fn write_canonical(&self, out: &mut impl std::fmt::Write) -> std::fmt::Result {
        write!(
            out,
            "{} {} ",
            if self.egress { "egress" } else { "ingress" },
            self.protocol.aws_name()
        )?;
        match self.ports {
            Some(p) => write!(out, "{}-{}", p.from, p.to)?,
            None => out.write_str("-")?,
        }
        match &self.source {
            SourceKey::Cidr(c) => write!(out, " cidr:{c}"),
            SourceKey::PrefixList(id) => write!(out, " pl:{id}"),
            SourceKey::Group { id, account, peering } => {
                write!(
                    out,
                    " sg:{}@{}",
                    id.as_ref().map_or("?", |i| i.as_str()),
                    account.as_ref().map_or("-", |a| a.as_str())
                )?;
                match peering {
                    Some(p) => write!(out, "~{p}"),
                    None => Ok(()),
                }
            }
        }
    }
}

/// The rule a finding is about, as a person reads it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct RuleEvidence {
    /// The rule as typed facts (not written out: the fields below say it in words).
    #[serde(skip)]
    pub key: RuleKey,
    /// `ingress` or `egress`.
    pub direction: &'static str,
    // Short strings, held inline (CompactString): every rule finding has them.
    /// `tcp`, `udp`, `icmp`, `all`, …
    pub protocol: CompactString,
    /// `22`, `0-65535`, `all`, or empty for protocols without ports.
    pub ports: CompactString,
    /// `0.0.0.0/0`, `sg-… (account 222222222222)`, `pl-… (corp-vpn)`.
    pub source: CompactString,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<CompactString>,
    /// For ICMP and ICMPv6: the type and code it admits (`None`: all), as
    /// a revoke has to name them.
    #[serde(skip)]
    pub icmp: Option<(Option<u8>, Option<u8>)>,
}

/// The resources a finding concerns. A group's list is made once and shared
/// by every finding about the group (a large organization has hundreds of
/// thousands of findings: one allocation per group, not per finding); ids
/// short enough (instance, interface and ACL ids) are held inline.
#[derive(Clone, Debug, Default)]
pub struct ResourceIds(Option<Arc<[CompactString]>>);

impl ResourceIds {
    pub fn one(id: impl Into<CompactString>) -> Self {
        ResourceIds(Some(Arc::from([id.into()])))
    }

    pub fn as_slice(&self) -> &[CompactString] {
        self.0.as_deref().unwrap_or(&[])
    }
}

impl std::ops::Deref for ResourceIds {
    type Target = [CompactString];
    fn deref(&self) -> &[CompactString] {
        self.as_slice()
    }
}

impl<S: Into<CompactString>> FromIterator<S> for ResourceIds {
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> Self {
        let ids: Vec<CompactString> = iter.into_iter().map(Into::into).collect();
        ResourceIds((!ids.is_empty()).then(|| Arc::from(ids)))
    }
}

impl PartialEq for ResourceIds {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for ResourceIds {}

impl PartialOrd for ResourceIds {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ResourceIds {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_slice().cmp(other.as_slice())
    }
}

impl Serialize for ResourceIds {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.as_slice())
    }
}

/// Why a finding is accepted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Acceptance {
    /// Index of the exception in the config's `[[exceptions]]`.
    pub exception: usize,
    pub owner: String,
    pub reason: String,
    pub expires: String,
}

/// One thing that is wrong, where, how badly, and whether it is accepted.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Finding {
    /// The check that found it.
    #[serde(rename = "check_id")]
    pub check: &'static Check,
    pub account_id: AccountId,
    /// `None` for account-wide findings.
    pub region: Option<Region>,
    pub severity: Severity,
    pub exposure: Option<Exposure>,
    pub subject: Subject,
    /// The group concerned, when the finding is about one (or about one of
    /// its rules).
    pub security_group_id: Option<SecurityGroupId>,
    /// The resources at risk or concerned: attached instances, load
    /// balancers, databases; the NACL and its subnets; the instance.
    pub resource_ids: ResourceIds,
    /// One sentence: what exactly is wrong.
    pub summary: String,
    pub rule: Option<Box<RuleEvidence>>,
    /// Whether traffic from the internet gets to what the finding is about,
    /// and the path that proves it (or what stops it, or what is missing).
    pub reachability: Option<Arc<ReachRecord>>,
    /// The external controls this finding fails, when they are a subset of
    /// its check's (`None`: all of them, the common case, which costs
    /// nothing per finding). Read with [`Finding::controls`].
    #[serde(skip)]
    controls: Option<Box<[&'static Control]>>,
    /// What the check knows about the fix beyond the rule (`analyze::fixes`).
    #[serde(skip)]
    pub hint: Option<Box<super::fixes::Hint>>,
    /// Set when an exception in the config accepts the risk.
    pub accepted: Option<Box<Acceptance>>,
    /// What the finding is about, hashed: the same in every assessment that
    /// finds the same thing (docs/findings.md).
    pub fingerprint: Fingerprint,
    /// When it was first found: carried from the baseline, else this snapshot's time.
    #[serde(with = "time::serde::rfc3339")]
    pub first_seen: time::OffsetDateTime,
    /// Whole days from `first_seen` to this snapshot.
    pub age_days: i64,
    /// Against the baseline, when there is one.
    pub change: Option<Change>,
    /// The baseline's severity, when it differs.
    pub severity_was: Option<Severity>,
    /// Open for longer than its severity's target (`[sla]`).
    pub overdue: bool,
}

impl Finding {
    /// The exact controls this finding fails (a subset of its check's,
    /// chosen by what the rule opens); its check's interpretive mappings
    /// stay, as they hold for every finding of the check.
    pub fn set_exact_controls(&mut self, exact: Vec<&'static Control>) {
        let interpretive = self.check.meta.controls.iter().filter(|c| !c.is_exact());
        self.controls = Some(exact.into_iter().chain(interpretive).collect());
    }

    /// Keep only the controls `keep` accepts.
    pub fn retain_controls(&mut self, keep: impl Fn(&Control) -> bool) {
        self.controls = Some(self.controls().filter(|c| keep(c)).collect());
    }

    /// The external controls this finding fails.
    pub fn controls(&self) -> impl Iterator<Item = &'static Control> + '_ {
        let (all, some): (&'static [Control], &[&'static Control]) = match &self.controls {
            None => (self.check.meta.controls, &[]),
            Some(list) => (&[], list),
        };
        all.iter().chain(some.iter().copied())
    }

    /// Whether it fails `control`.
    pub fn names_control(&self, control: &Control) -> bool {
        self.controls().any(|c| c == control)
    }

    /// A finding with no group, resources, rule, controls or history yet.
    pub fn new(
        check: &'static Check,
        account_id: AccountId,
        region: Option<Region>,
        severity: Severity,
        exposure: Option<Exposure>,
        subject: Subject,
        mut summary: String,
    ) -> Self {
        // `format!` leaves up to half a summary's capacity unused: a large
        // organization holds hundreds of thousands of them.
        summary.shrink_to_fit();
        Finding {
            check,
            account_id,
            region,
            severity,
            exposure,
            subject,
            security_group_id: None,
            resource_ids: ResourceIds::default(),
            summary,
            rule: None,
            reachability: None,
            controls: None,
            hint: None,
            accepted: None,
            fingerprint: Fingerprint::default(),
            first_seen: time::OffsetDateTime::UNIX_EPOCH,
            age_days: 0,
            change: None,
            severity_was: None,
            overdue: false,
        }
    }

    /// `SGA101`
    pub fn check_id(&self) -> &'static str {
        self.check.meta.id
    }

    pub fn is_open(&self) -> bool {
        self.accepted.is_none()
    }
}
