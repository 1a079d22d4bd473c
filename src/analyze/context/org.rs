//! The few facts that span accounts: which groups exist, which are
//! referenced, which account-regions were collected.

use std::collections::HashSet;

use compact_str::CompactString;

use crate::model::*;

use super::super::rules;

/// Facts that span the whole organization. It owns its ids (each fits in
/// a [`CompactString`] without an allocation) rather than borrowing the
/// snapshot's, so that the accounts can be changed while it is in use:
/// [`crate::analyze::assess_releasing`] drops each account's network detail
/// once its checks have run.
pub struct OrgIndex<'s> {
    /// Group ids referenced by a rule of some other group, anywhere.
    referenced: HashSet<CompactString>,
    /// Every group id in the snapshot.
    all_groups: HashSet<CompactString>,
    /// Collected regions, by account and region.
    collected: HashSet<(CompactString, CompactString)>,
    /// Whether some account was not collected at all (it may reference any
    /// region's groups), and the regions some account's copy of which was not.
    account_missing: bool,
    regions_missing: HashSet<CompactString>,
    /// What flow logs say about the rules (`assess --usage`), if given.
    pub usage: Option<&'s crate::model::usage::Usage>,
}

impl<'s> OrgIndex<'s> {
    pub fn new(snapshot: &Snapshot) -> Self {
        let mut referenced = HashSet::new();
        let mut all_groups = HashSet::new();
        let mut collected = HashSet::new();
        let account_missing = snapshot
            .accounts
            .iter()
            .any(|a| matches!(a.status, CollectionStatus::Failed { .. }));
        let regions_missing = snapshot
            .accounts
            .iter()
            .flat_map(|a| &a.regions)
            .filter(|r| matches!(r.status, CollectionStatus::Failed { .. }))
            .map(|r| CompactString::from(r.region.as_str()))
            .collect();
        for account in snapshot.accounts.iter().filter(|a| a.status.is_ok()) {
            for region in account.regions.iter().filter(|r| r.status.is_ok()) {
                collected.insert((
                    CompactString::from(account.account_id.as_str()),
                    CompactString::from(region.region.as_str()),
                ));
                for sg in &region.security_groups {
                    all_groups.insert(CompactString::from(sg.group_id.as_str()));
                    for rule in rules::ingress(sg).chain(rules::egress(sg)) {
                        if let Some(id) = rule.group_ref().and_then(|g| g.group_id.as_ref()) {
                            if *id != sg.group_id {
                                referenced.insert(CompactString::from(id.as_str()));
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
            account_missing,
            regions_missing,
            usage: None,
        }
    }

    /// Why references to groups of `region` may be missing: an account, or
    /// that region of one, was not collected (its groups may reference ours).
    pub fn references_unseen(&self, region: &str) -> Option<&'static str> {
        if self.account_missing {
            Some("an account of the organization was not collected")
        } else if self.regions_missing.contains(region) {
            Some("this region of another account was not collected")
        } else {
            None
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
        self.collected
            .contains(&(CompactString::from(account), CompactString::from(region)))
    }
}
