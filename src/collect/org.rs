//! Which accounts to collect: the organization's tree (with each account's OU
//! path), or the accounts given with `--accounts`.

use aws_sdk_organizations::types::{AccountState, AccountStatus};

use crate::model::{AccountId, AccountSnapshot, CollectionStatus, Organization, OuRef, RegionSnapshot};

use super::bucket::{Api, Scope};
use super::region::{call, list_all};
use super::{CollectError, Shared};

/// An account to collect, or to list as skipped.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub account_id: AccountId,
    pub name: Option<String>,
    pub ou_path: Vec<OuRef>,
    /// Why it is not collected (suspended, excluded), if so.
    pub skip: Option<String>,
}

impl Target {
    /// The account's entry in the snapshot.
    pub fn into_snapshot(self, status: CollectionStatus, regions: Vec<RegionSnapshot>) -> AccountSnapshot {
        AccountSnapshot {
            account_id: self.account_id,
            name: self.name,
            ou_path: self.ou_path,
            status,
            read_at: Some(time::OffsetDateTime::now_utc()),
            regions,
        }
    }
}

fn org_err(what: &str) -> impl FnOnce(String) -> CollectError + '_ {
    move |e| CollectError::Organization(format!("{what}: {e}"))
}

pub(crate) async fn targets(
    shared: &Shared,
    client: &aws_sdk_organizations::Client,
) -> Result<(Option<Organization>, Vec<Target>), CollectError> {
    let s = &shared.settings;
    let excluded = |id: &AccountId| {
        s.exclude_accounts
            .contains(id)
            .then(|| "excluded by the configuration (exclude_accounts)".to_string())
    };
    if !s.accounts.is_empty() {
        let mut targets: Vec<Target> = s
            .accounts
            .iter()
            .map(|id| Target {
                account_id: id.clone(),
                name: None,
                ou_path: Vec::new(),
                skip: excluded(id),
            })
            .collect();
        targets.sort_by(|a, b| a.account_id.cmp(&b.account_id));
        targets.dedup_by(|a, b| a.account_id == b.account_id);
        return Ok((None, targets));
    }

    // Organizations is global: one bucket, the caller's account's.
    let bucket = shared
        .buckets
        .get(&shared.caller.account, Scope::Global, Api::Organizations);
    let b = &*bucket;
    let organization = {
        let out = call(shared, b, client.describe_organization().send())
            .await
            .map_err(org_err("organizations:DescribeOrganization"))?;
        out.organization().map(|o| Organization {
            id: o.id().unwrap_or_default().to_string(),
            master_account_id: o.master_account_id().and_then(|m| AccountId::parse(m).ok()),
        })
    };

    let roots = list_all(
        shared,
        b,
        |t| client.list_roots().set_next_token(t).send(),
        |o| (o.roots, o.next_token),
    )
    .await
    .map_err(org_err("organizations:ListRoots"))?;
    let mut queue: Vec<(String, Vec<OuRef>)> = roots
        .iter()
        .filter_map(|r| {
            let id = r.id()?.to_string();
            let name = r.name().unwrap_or("Root").to_string();
            Some((id.clone(), vec![OuRef { id, name }]))
        })
        .collect();

    let mut targets = Vec::new();
    while let Some((parent, path)) = queue.pop() {
        // Whether the accounts here are under a wanted OU (the listing is
        // made either way, as its failure stops the collection).
        let wanted = s.ous.is_empty() || path.iter().any(|ou| s.ous.contains(&ou.id));
        let accounts = list_all(
            shared,
            b,
            |t| {
                client
                    .list_accounts_for_parent()
                    .parent_id(&parent)
                    .set_next_token(t)
                    .send()
            },
            |o| (o.accounts, o.next_token),
        )
        .await
        .map_err(org_err("organizations:ListAccountsForParent"))?;
        for account in accounts.iter().filter(|_| wanted) {
            let Some(id) = account.id().and_then(|id| AccountId::parse(id).ok()) else {
                continue;
            };
            let inactive = match (account.state(), account.status()) {
                (Some(AccountState::Active), _) => None,
                (Some(state), _) => Some(state.as_str().to_string()),
                (None, Some(AccountStatus::Active)) | (None, None) => None,
                (None, Some(status)) => Some(status.as_str().to_string()),
            };
            let skip = match inactive {
                Some(state) => Some(format!("the account is {state} in AWS Organizations")),
                None => excluded(&id),
            };
            targets.push(Target {
                account_id: id,
                name: account.name().map(str::to_string),
                ou_path: path.clone(),
                skip,
            });
        }
        let children = list_all(
            shared,
            b,
            |t| {
                client
                    .list_organizational_units_for_parent()
                    .parent_id(&parent)
                    .set_next_token(t)
                    .send()
            },
            |o| (o.organizational_units, o.next_token),
        )
        .await
        .map_err(org_err("organizations:ListOrganizationalUnitsForParent"))?;
        for ou in &children {
            let (Some(id), Some(name)) = (ou.id(), ou.name()) else {
                continue;
            };
            let mut child = path.clone();
            child.push(OuRef {
                id: id.to_string(),
                name: name.to_string(),
            });
            queue.push((id.to_string(), child));
        }
    }
    targets.sort_by(|a, b| a.account_id.cmp(&b.account_id));
    Ok((organization, targets))
}
