//! Joining the snapshots of `collect --shard I/N` into one (`sgaudit merge`).
//!
//! A merged snapshot must not be able to pass for more than it is: shards of
//! different organizations, an account collected twice, or a shard missing
//! (whose accounts would then be absent without a trace) are refused.

use std::collections::BTreeMap;

use super::snapshot::*;
use super::AccountId;

/// Why snapshots cannot be merged.
#[derive(Debug, PartialEq, thiserror::Error)]
pub enum MergeError {
    #[error("nothing to merge: give the shard snapshots")]
    Empty,
    #[error("{first} and {other} are of different organizations ({first_org} and {other_org})")]
    Organization {
        first: String,
        other: String,
        first_org: String,
        other_org: String,
    },
    #[error("account {account} is in both {first} and {other}")]
    Overlap {
        account: AccountId,
        first: String,
        other: String,
    },
    #[error("{file} is shard {shard}, but {first} is of {count} shards")]
    ShardCount {
        file: String,
        shard: Shard,
        first: String,
        count: u32,
    },
    #[error("shard {shard} is given twice ({first} and {other})")]
    ShardTwice { shard: Shard, first: String, other: String },
    #[error("{file} is not a shard (it was not collected with --shard), but {first} is")]
    NotAShard { file: String, first: String },
    #[error(
        "shard(s) {missing} of {count} missing: their accounts would be absent from the merged snapshot without a trace; \
         collect them (`sgaudit collect --shard I/{count}`) and merge again"
    )]
    Missing { missing: String, count: u32 },
}

/// One snapshot to merge, with the file it came from and its digest.
pub struct Part {
    pub file: String,
    pub sha256: String,
    pub snapshot: Snapshot,
}

fn org_label(o: &Option<Organization>) -> String {
    o.as_ref()
        .map_or_else(|| "no organization (--accounts)".to_string(), |o| o.id.clone())
}

/// Merge the parts: every account of every part, the earliest start as the
/// merged snapshot's time, and each part recorded in `merged_from`.
pub fn merge(parts: Vec<Part>) -> Result<Snapshot, MergeError> {
    let first = parts.first().ok_or(MergeError::Empty)?;
    let (first_file, first_org, first_shard) = (
        first.file.clone(),
        first.snapshot.organization.clone(),
        first.snapshot.shard,
    );
    let org_id = |o: &Option<Organization>| o.as_ref().map(|o| o.id.clone());
    let mut shards: BTreeMap<u32, String> = BTreeMap::new();
    for p in &parts {
        if org_id(&p.snapshot.organization) != org_id(&first_org) {
            return Err(MergeError::Organization {
                first: first_file.clone(),
                other: p.file.clone(),
                first_org: org_label(&first_org),
                other_org: org_label(&p.snapshot.organization),
            });
        }
        match (first_shard, p.snapshot.shard) {
            (None, None) => {}
            (Some(_), None) => {
                return Err(MergeError::NotAShard {
                    file: p.file.clone(),
                    first: first_file.clone(),
                })
            }
            (None, Some(_)) => {
                return Err(MergeError::NotAShard {
                    file: first_file.clone(),
                    first: p.file.clone(),
                })
            }
            (Some(f), Some(s)) if s.count != f.count => {
                return Err(MergeError::ShardCount {
                    file: p.file.clone(),
                    shard: s,
                    first: first_file.clone(),
                    count: f.count,
                })
            }
            (Some(_), Some(s)) => {
                if let Some(other) = shards.insert(s.index, p.file.clone()) {
                    return Err(MergeError::ShardTwice {
                        shard: s,
                        first: other,
                        other: p.file.clone(),
                    });
                }
            }
        }
    }
    if let Some(f) = first_shard {
        let missing: Vec<String> = (1..=f.count)
            .filter(|i| !shards.contains_key(i))
            .map(|i| i.to_string())
            .collect();
        if !missing.is_empty() {
            return Err(MergeError::Missing {
                missing: missing.join(", "),
                count: f.count,
            });
        }
    }

    let mut owner: BTreeMap<AccountId, String> = BTreeMap::new();
    for p in &parts {
        for a in &p.snapshot.accounts {
            if let Some(first) = owner.insert(a.account_id.clone(), p.file.clone()) {
                return Err(MergeError::Overlap {
                    account: a.account_id.clone(),
                    first,
                    other: p.file.clone(),
                });
            }
        }
    }

    let started_at = parts.iter().map(|p| p.snapshot.started_at).min().expect("not empty");
    let finished_at = parts.iter().filter_map(|p| p.snapshot.finished_at).max();
    let same = |f: fn(&Snapshot) -> Option<String>| {
        let v = f(&parts[0].snapshot);
        parts.iter().all(|p| f(&p.snapshot) == v).then_some(v).flatten()
    };
    let config_digest = same(|s| s.config_digest.clone());
    let caller_identity = parts[0].snapshot.caller_identity.clone().filter(|c| {
        parts
            .iter()
            .all(|p| p.snapshot.caller_identity.as_ref().map(|x| &x.arn) == Some(&c.arn))
    });
    let mut sources: Vec<MergedShard> = parts
        .iter()
        .map(|p| MergedShard {
            file: p.file.clone(),
            sha256: p.sha256.clone(),
            shard: p.snapshot.shard,
            started_at: p.snapshot.started_at,
            finished_at: p.snapshot.finished_at,
            accounts: p.snapshot.accounts.len(),
        })
        .collect();
    sources.sort_by(|a, b| (a.shard, &a.file).cmp(&(b.shard, &b.file)));
    let mut accounts: Vec<AccountSnapshot> = parts.into_iter().flat_map(|p| p.snapshot.accounts).collect();
    accounts.sort_by(|a, b| a.account_id.cmp(&b.account_id));
    Ok(Snapshot {
        schema_version: SCHEMA_VERSION,
        tool: ToolInfo::this_build(),
        started_at,
        finished_at,
        caller_identity,
        config_digest,
        organization: first_org,
        imported: None,
        shard: None,
        merged_from: Some(sources),
        resumed: None,
        accounts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(file: &str, org: Option<&str>, shard: Option<(u32, u32)>, accounts: &[&str]) -> Part {
        Part {
            file: file.into(),
            sha256: format!("sha256:{file}"),
            snapshot: Snapshot {
                schema_version: SCHEMA_VERSION,
                tool: ToolInfo::this_build(),
                started_at: time::macros::datetime!(2026-12-01 02:00 UTC)
                    + time::Duration::minutes(accounts.len() as i64),
                finished_at: None,
                caller_identity: None,
                config_digest: Some("sha256:c".into()),
                organization: org.map(|id| Organization {
                    id: id.into(),
                    master_account_id: None,
                }),
                imported: None,
                shard: shard.map(|(index, count)| Shard { index, count }),
                merged_from: None,
                resumed: None,
                accounts: accounts
                    .iter()
                    .map(|a| AccountSnapshot {
                        account_id: AccountId::parse(a).unwrap(),
                        name: None,
                        ou_path: Vec::new(),
                        status: CollectionStatus::Ok,
                        read_at: None,
                        regions: Vec::new(),
                    })
                    .collect(),
            },
        }
    }

    #[test]
    fn three_shards_make_one_organization_recording_each() {
        let merged = merge(vec![
            part("s2.json", Some("o-1"), Some((2, 3)), &["222222222222"]),
            part("s1.json", Some("o-1"), Some((1, 3)), &["333333333333", "111111111111"]),
            part("s3.json", Some("o-1"), Some((3, 3)), &[]),
        ])
        .unwrap();
        let ids: Vec<&str> = merged.accounts.iter().map(|a| a.account_id.as_str()).collect();
        assert_eq!(ids, ["111111111111", "222222222222", "333333333333"]);
        assert_eq!(merged.started_at, time::macros::datetime!(2026-12-01 02:00 UTC));
        let files: Vec<&str> = merged
            .merged_from
            .as_ref()
            .unwrap()
            .iter()
            .map(|m| m.file.as_str())
            .collect();
        assert_eq!(files, ["s1.json", "s2.json", "s3.json"]);
        assert_eq!(merged.shard, None);
        assert_eq!(merged.config_digest.as_deref(), Some("sha256:c"));
    }

    #[test]
    fn an_account_in_two_shards_is_refused() {
        let e = merge(vec![
            part("a.json", Some("o-1"), Some((1, 2)), &["111111111111"]),
            part("b.json", Some("o-1"), Some((2, 2)), &["111111111111"]),
        ])
        .unwrap_err();
        assert_eq!(e.to_string(), "account 111111111111 is in both a.json and b.json");
    }

    #[test]
    fn another_organization_is_refused() {
        let e = merge(vec![
            part("a.json", Some("o-1"), Some((1, 2)), &[]),
            part("b.json", Some("o-2"), Some((2, 2)), &[]),
        ])
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "a.json and b.json are of different organizations (o-1 and o-2)"
        );
    }

    #[test]
    fn a_missing_shard_or_a_mixed_count_is_refused() {
        let e = merge(vec![
            part("a.json", Some("o-1"), Some((1, 3)), &[]),
            part("c.json", Some("o-1"), Some((3, 3)), &[]),
        ])
        .unwrap_err();
        assert!(e.to_string().starts_with("shard(s) 2 of 3 missing"), "{e}");
        let e = merge(vec![
            part("a.json", Some("o-1"), Some((1, 2)), &[]),
            part("b.json", Some("o-1"), Some((2, 3)), &[]),
        ])
        .unwrap_err();
        assert_eq!(e.to_string(), "b.json is shard 2/3, but a.json is of 2 shards");
        let e = merge(vec![
            part("a.json", Some("o-1"), Some((1, 2)), &[]),
            part("b.json", Some("o-1"), Some((1, 2)), &[]),
        ])
        .unwrap_err();
        assert_eq!(e.to_string(), "shard 1/2 is given twice (a.json and b.json)");
    }
}
