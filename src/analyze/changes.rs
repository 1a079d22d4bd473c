//! The rule-level change log between two snapshots: groups created and
//! deleted, rules added and removed, descriptions changed, attachments that
//! became internet-exposed (or stopped being). Only account-regions collected
//! both times are compared: elsewhere, absence proves nothing.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use serde::Serialize;

use crate::model::{RegionSnapshot, SecurityGroup, Snapshot};

use super::rules;
use super::{Assessment, Exposure, GroupSummary};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    GroupCreated,
    GroupDeleted,
    RuleAdded,
    RuleRemoved,
    DescriptionChanged,
    BecameInternetExposed,
    NoLongerInternetExposed,
}

impl ChangeKind {
    pub fn label(self) -> &'static str {
        match self {
            ChangeKind::GroupCreated => "group created",
            ChangeKind::GroupDeleted => "group deleted",
            ChangeKind::RuleAdded => "rule added",
            ChangeKind::RuleRemoved => "rule removed",
            ChangeKind::DescriptionChanged => "description changed",
            ChangeKind::BecameInternetExposed => "became internet-exposed",
            ChangeKind::NoLongerInternetExposed => "no longer internet-exposed",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct RuleChange {
    pub account_id: String,
    pub region: String,
    pub group_id: String,
    pub group_name: String,
    pub kind: ChangeKind,
    /// The rule (`ingress tcp 22 from 0.0.0.0/0`), or why the group is exposed.
    pub detail: String,
}

/// Each rule of a group as text, with its description.
fn rule_texts(sg: &SecurityGroup) -> BTreeMap<String, Option<String>> {
    rules::ingress(sg)
        .chain(rules::egress(sg))
        .map(|r| {
            let e = r.evidence();
            let text = match e.ports.as_str() {
                "" => format!("{} {} from {}", e.direction, e.protocol, e.source),
                ports => format!("{} {} {ports} from {}", e.direction, e.protocol, e.source),
            };
            (text, e.description.map(String::from))
        })
        .collect()
}

fn collected(s: &Snapshot) -> HashSet<(&str, &str)> {
    s.accounts
        .iter()
        .filter(|a| a.status.is_ok())
        .flat_map(|a| {
            a.regions
                .iter()
                .filter(|r| r.status.is_ok())
                .map(move |r| (a.account_id.as_str(), r.region.as_str()))
        })
        .collect()
}

fn region<'a>(s: &'a Snapshot, account: &str, region: &str) -> Option<&'a RegionSnapshot> {
    s.accounts
        .iter()
        .find(|a| a.account_id.as_str() == account)?
        .regions
        .iter()
        .find(|r| r.region.as_str() == region)
}

pub fn between(
    old: &Snapshot,
    old_assessment: &Assessment,
    new: &Snapshot,
    new_assessment: &Assessment,
) -> Vec<RuleChange> {
    let both: BTreeSet<(&str, &str)> = collected(old).intersection(&collected(new)).copied().collect();
    let exposure = |a: &Assessment| -> BTreeMap<(String, String, String), GroupSummary> {
        a.groups
            .iter()
            .map(|g| {
                (
                    (g.account_id.to_string(), g.region.to_string(), g.group_id.to_string()),
                    g.clone(),
                )
            })
            .collect()
    };
    let (old_exposure, new_exposure) = (exposure(old_assessment), exposure(new_assessment));
    let mut out = Vec::new();
    for (account, region_name) in both {
        let (Some(before), Some(after)) = (region(old, account, region_name), region(new, account, region_name)) else {
            continue;
        };
        let before_groups: BTreeMap<&str, &SecurityGroup> = before
            .security_groups
            .iter()
            .map(|g| (g.group_id.as_str(), g))
            .collect();
        let after_groups: BTreeMap<&str, &SecurityGroup> =
            after.security_groups.iter().map(|g| (g.group_id.as_str(), g)).collect();
        let change = |g: &SecurityGroup, kind: ChangeKind, detail: String| RuleChange {
            account_id: account.to_string(),
            region: region_name.to_string(),
            group_id: g.group_id.to_string(),
            group_name: g.group_name.clone(),
            kind,
            detail,
        };
        for (id, g) in &after_groups {
            let Some(old_g) = before_groups.get(id) else {
                out.push(change(
                    g,
                    ChangeKind::GroupCreated,
                    format!("{} rule(s)", rule_texts(g).len()),
                ));
                continue;
            };
            let (was, is) = (rule_texts(old_g), rule_texts(g));
            for (rule, description) in &is {
                match was.get(rule) {
                    None => out.push(change(g, ChangeKind::RuleAdded, rule.clone())),
                    Some(old_description) if old_description != description => out.push(change(
                        g,
                        ChangeKind::DescriptionChanged,
                        format!(
                            "{rule}: \"{}\" -> \"{}\"",
                            old_description.as_deref().unwrap_or(""),
                            description.as_deref().unwrap_or("")
                        ),
                    )),
                    Some(_) => {}
                }
            }
            for rule in was.keys().filter(|r| !is.contains_key(*r)) {
                out.push(change(g, ChangeKind::RuleRemoved, rule.clone()));
            }
            let key = (account.to_string(), region_name.to_string(), id.to_string());
            if let (Some(o), Some(n)) = (old_exposure.get(&key), new_exposure.get(&key)) {
                let exposed_now = n.exposure == Exposure::InternetExposed;
                let exposed_then = o.exposure == Exposure::InternetExposed;
                if exposed_now && !exposed_then {
                    let why: Vec<String> = n
                        .attachments
                        .iter()
                        .filter(|a| a.exposure == Exposure::InternetExposed)
                        .map(|a| format!("{} ({})", a.resource_id, a.why))
                        .collect();
                    let path = n
                        .reach
                        .as_ref()
                        .filter(|r| r.has_path())
                        .map(|r| format!("; path: {}", r.path_line()))
                        .unwrap_or_default();
                    out.push(change(
                        g,
                        ChangeKind::BecameInternetExposed,
                        format!("{}{path}", why.join("; ")),
                    ));
                } else if exposed_then && !exposed_now {
                    out.push(change(
                        g,
                        ChangeKind::NoLongerInternetExposed,
                        format!("now {}", n.exposure),
                    ));
                }
            }
        }
        for (id, g) in &before_groups {
            if !after_groups.contains_key(id) {
                out.push(change(
                    g,
                    ChangeKind::GroupDeleted,
                    format!("{} rule(s)", rule_texts(g).len()),
                ));
            }
        }
    }
    out.sort();
    out
}
