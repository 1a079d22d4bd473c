//! What the usage summary says about one rule, under `[usage]`: used (and by
//! whom), unused over enough watched time, or not assessed and why. The one
//! place that decides it: the checks and the reports both ask here.

use crate::config::UsageRules;
use crate::model::usage::{GroupUsage, RuleUsage, Usage};
use crate::model::{AccountId, Cidr, Region, SecurityGroupId};

use super::prefixes;

/// The verdict on one inbound rule.
#[derive(Clone, Debug, PartialEq)]
pub enum RuleUse<'u> {
    /// The summary does not cover the group: no flow logs were given, or the
    /// group has no interface to watch.
    NoData,
    /// The group is in the summary, but not enough to judge the rule.
    NotAssessed(String),
    /// Never judged by its use.
    Exempt(&'static str),
    /// No flow in `days` days during which every interface of the group was watched.
    Unused {
        days: u32,
        interfaces: usize,
    },
    Used {
        usage: &'u RuleUsage,
        days: u32,
    },
}

/// Judge `rule` of `group`.
pub fn rule<'u>(group: Option<&'u GroupUsage>, rule: &crate::analyze::rules::Rule, rules: &UsageRules) -> RuleUse<'u> {
    let Some(g) = group else { return RuleUse::NoData };
    let days = g.covered_days();
    if rule.is_path_mtu() {
        return RuleUse::Exempt("path-MTU discovery needs it, however rarely it is used");
    }
    let key = rule.key().canonical();
    let Some(usage) = g.rule(&key) else {
        return RuleUse::NotAssessed(
            "the rule is not in the usage summary (added after it was made?): run `sgaudit usage` again".into(),
        );
    };
    if usage.flows > 0 {
        return RuleUse::Used { usage, days };
    }
    if g.unread_objects > 0 {
        return RuleUse::NotAssessed(format!(
            "{} log object{} that may hold its records could not be read",
            g.unread_objects,
            if g.unread_objects == 1 { "" } else { "s" }
        ));
    }
    if days < rules.min_days {
        return RuleUse::NotAssessed(format!(
            "not enough flow-log coverage: {days} of the {} days needed on {} ({} interface{})",
            rules.min_days,
            if g.interfaces.len() == 1 {
                "its interface"
            } else {
                "its least-watched interface"
            },
            g.interfaces.len(),
            if g.interfaces.len() == 1 { "" } else { "s" },
        ));
    }
    RuleUse::Unused {
        days,
        interfaces: g.interfaces.len(),
    }
}

/// A tighter source for a used rule: the fewest prefixes that cover every
/// source seen, within `[usage]`'s limits; `Err` says why there is none.
pub fn tightened(usage: &RuleUsage, days: u32, rules: &UsageRules) -> Result<Vec<Cidr>, String> {
    if days < rules.min_days {
        return Err(format!(
            "not enough flow-log coverage: {days} of the {} days needed",
            rules.min_days
        ));
    }
    if !usage.sources_complete {
        return Err(format!(
            "more than {} distinct sources: too many to list",
            crate::model::usage::MAX_TRACKED_SOURCES
        ));
    }
    let addrs: Vec<_> = usage.sources.iter().map(|s| s.address).collect();
    prefixes::cover(
        &addrs,
        rules.widest_prefix_v4,
        rules.widest_prefix_v6,
        rules.max_prefixes,
    )
    .ok_or_else(|| {
        format!(
            "its {} sources need more than {} prefixes no wider than /{} (IPv4) and /{} (IPv6)",
            addrs.len(),
            rules.max_prefixes,
            rules.widest_prefix_v4,
            rules.widest_prefix_v6
        )
    })
}

/// One short line for a rule's use, as the reports show it.
pub fn label(verdict: &RuleUse<'_>) -> Option<String> {
    match verdict {
        RuleUse::NoData => None,
        RuleUse::NotAssessed(why) => Some(format!("usage not assessed: {why}")),
        RuleUse::Exempt(why) => Some(format!("kept whatever its use: {why}")),
        RuleUse::Unused { days, .. } => Some(format!("unused in {days} days")),
        RuleUse::Used { usage, .. } => {
            let sources = if usage.sources_complete {
                format!(
                    "{} source{}",
                    usage.distinct_sources,
                    if usage.distinct_sources == 1 { "" } else { "s" }
                )
            } else {
                format!("more than {} sources", crate::model::usage::MAX_TRACKED_SOURCES)
            };
            let last = usage
                .last_seen
                .map(|t| format!(", last {}", t.date()))
                .unwrap_or_default();
            Some(format!("used by {sources}{last}"))
        }
    }
}

/// What the assessment concluded from the usage summary: the counts page one
/// shows, and each judged rule's verdict for the engineer's pages and rules.csv.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct UsageSummary {
    pub window: crate::model::usage::Window,
    pub objects: usize,
    /// Objects that could not be (fully) read: gaps in coverage.
    pub unread_objects: usize,
    pub records: crate::model::usage::RecordCounts,
    pub rules: usize,
    pub used: usize,
    pub unused: usize,
    pub not_assessed: usize,
    /// Open findings of SGA506: world-open rules with a proposed replacement.
    pub tightenable: usize,
    /// Sorted by account, region, group.
    pub groups: Vec<GroupUse>,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct GroupUse {
    pub account_id: AccountId,
    pub region: Region,
    pub group_id: SecurityGroupId,
    pub interfaces: usize,
    pub covered_days: u32,
    pub rules: Vec<RuleUseView>,
}

impl GroupUse {
    pub fn rule(&self, key: &str) -> Option<&RuleUseView> {
        self.rules.iter().find(|r| r.key == key)
    }
}

/// One rule's use, as the reports show it.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct RuleUseView {
    pub key: String,
    /// `tcp 22 from 0.0.0.0/0`
    pub rule: String,
    /// `used`, `unused` or `not assessed`.
    pub verdict: &'static str,
    /// `used by 2 sources, last 2026-11-29`, `unused in 30 days`, …
    pub label: String,
    pub flows: u64,
    /// `None` when more than can be counted exactly.
    pub sources: Option<u64>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub first_seen: Option<time::OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_seen: Option<time::OffsetDateTime>,
}

impl UsageSummary {
    /// Judge every rule of every group the summary covers.
    pub fn new(usage: &Usage, snapshot: &crate::model::Snapshot, rules: &UsageRules) -> UsageSummary {
        use std::collections::HashMap;
        let mut sgs: HashMap<(&str, &str, &str), &crate::model::SecurityGroup> = HashMap::new();
        for a in &snapshot.accounts {
            for r in &a.regions {
                for sg in &r.security_groups {
                    sgs.insert((a.account_id.as_str(), r.region.as_str(), sg.group_id.as_str()), sg);
                }
            }
        }
        let (mut used, mut unused, mut not_assessed, mut total) = (0, 0, 0, 0);
        let mut groups = Vec::new();
        for g in &usage.groups {
            let Some(sg) = sgs.get(&(g.account_id.as_str(), g.region.as_str(), g.group_id.as_str())) else {
                continue;
            };
            let mut views = Vec::new();
            for r in super::super::rules::ingress(sg) {
                let key = r.key().canonical();
                let verdict = rule(Some(g), &r, rules);
                total += 1;
                let (name, flows, sources, first, last) = match &verdict {
                    RuleUse::Used { usage, .. } => {
                        used += 1;
                        (
                            "used",
                            usage.flows,
                            usage.sources_complete.then_some(usage.distinct_sources),
                            usage.first_seen,
                            usage.last_seen,
                        )
                    }
                    RuleUse::Unused { .. } => {
                        unused += 1;
                        ("unused", 0, Some(0), None, None)
                    }
                    _ => {
                        not_assessed += 1;
                        ("not assessed", 0, None, None, None)
                    }
                };
                views.push(RuleUseView {
                    label: label(&verdict).unwrap_or_default(),
                    key,
                    rule: format!("{} from {}", r.traffic_label(), r.source_label()),
                    verdict: name,
                    flows,
                    sources,
                    first_seen: first,
                    last_seen: last,
                });
            }
            groups.push(GroupUse {
                account_id: g.account_id.clone(),
                region: g.region.clone(),
                group_id: g.group_id.clone(),
                interfaces: g.interfaces.len(),
                covered_days: g.covered_days(),
                rules: views,
            });
        }
        UsageSummary {
            window: usage.window,
            objects: usage.objects.len(),
            unread_objects: usage.objects.iter().filter(|o| o.error.is_some()).count(),
            records: usage.records,
            rules: total,
            used,
            unused,
            not_assessed,
            tightenable: 0,
            groups,
        }
    }

    /// One group's rules, if the summary covers it.
    pub fn group(&self, account: &str, region: &str, group: &str) -> Option<&GroupUse> {
        let i = self
            .groups
            .binary_search_by(|g| {
                (g.account_id.as_str(), g.region.as_str(), g.group_id.as_str()).cmp(&(account, region, group))
            })
            .ok()?;
        Some(&self.groups[i])
    }

    /// The verdict on one rule, if the summary judged it.
    pub fn rule(&self, account: &str, region: &str, group: &str, key: &str) -> Option<&RuleUseView> {
        self.group(account, region, group)?.rule(key)
    }

    /// The groups of one account.
    pub fn of_account<'s>(&'s self, account: &'s str) -> impl Iterator<Item = &'s GroupUse> + 's {
        self.groups.iter().filter(move |g| g.account_id.as_str() == account)
    }
}
