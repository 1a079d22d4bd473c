//! The few facts that span accounts: which groups exist, which are
//! referenced, which account-regions were collected.

use std::collections::HashSet;

use crate::model::*;

use super::super::rules;

/// Facts that span the whole organization.
pub struct OrgIndex<'s> {
    /// Group ids referenced by a rule of some other group, anywhere.
    referenced: HashSet<&'s str>,
    /// Every group id in the snapshot.
    all_groups: HashSet<&'s str>,
    /// Collected regions, by account and region.
    collected: HashSet<(&'s str, &'s str)>,
}

impl<'s> OrgIndex<'s> {
    pub fn new(snapshot: &'s Snapshot) -> Self {
        let mut referenced = HashSet::new();
        let mut all_groups = HashSet::new();
        let mut collected = HashSet::new();
        for account in snapshot.accounts.iter().filter(|a| a.status.is_ok()) {
            for region in account.regions.iter().filter(|r| r.status.is_ok()) {
                collected.insert((account.account_id.as_str(), region.region.as_str()));
                for sg in &region.security_groups {
                    all_groups.insert(sg.group_id.as_str());
                    for rule in rules::ingress(sg).chain(rules::egress(sg)) {
                        if let Some(id) = rule.group_ref().and_then(|g| g.group_id.as_ref()) {
                            if *id != sg.group_id {
                                referenced.insert(id.as_str());
                            }
                        }
                    }
                }
            }
        }
        OrgIndex {
            referenced,
            all_groups,
            collected,
        }
    }

    /// Whether another group's rule names this group as its source or destination.
    pub fn is_referenced(&self, group: &SecurityGroupId) -> bool {
        self.referenced.contains(group.as_str())
    }

    /// Whether a group exists anywhere in the snapshot.
    pub fn group_exists(&self, group: &str) -> bool {
        self.all_groups.contains(group)
    }

    /// Whether the given account-region was collected, so that the absence of
    /// a group there means it does not exist.
    pub fn was_collected(&self, account: &str, region: &str) -> bool {
        self.collected.contains(&(account, region))
    }
}
