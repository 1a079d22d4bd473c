//! Collection from AWS: Organizations, STS AssumeRole, EC2, ELBv2, RDS and
//! Systems Manager, into a [`Snapshot`].
//!
//! **Architecture invariant:** this is the only module with the AWS SDK and an
//! async runtime. SDK types are converted to model types at its boundary
//! (`convert.rs`) and never travel further.
//!
//! **Architecture invariant:** it only reads. Every call is a List, Describe or
//! Get operation, or `sts:AssumeRole` / `sts:GetCallerIdentity`
//! (`config/iam-policy.json` lists exactly these), and the integration tests
//! record every request to prove it.
//!
//! A failure is data, not a crash: an account whose role cannot be assumed, a
//! region that errors, a service that is unavailable are recorded in the
//! snapshot (account or region `status`, region `gaps`) with the error, and the
//! run goes on. Credentials are never logged or recorded: errors are rendered
//! from the SDK's error types, which do not carry them.

pub(crate) mod bucket;
mod convert;
mod credentials;
mod org;
mod progress;
mod region;
pub mod s3;
#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_sts::config::http::HttpResponse;
use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_types::error::display::DisplayErrorContext;
use tokio::sync::Semaphore;

use crate::config::Collect;
use crate::model::parts;
use crate::model::*;

pub use progress::Progress;

/// Why collection could not start at all. Anything later is recorded in the
/// snapshot instead.
#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    #[error(
        "no usable AWS credentials: sts:GetCallerIdentity failed: {0}\n\
         hint: sgaudit uses the standard credential chain (AWS_PROFILE or --profile, environment variables, \
         SSO after `aws sso login`, instance and container roles)"
    )]
    Credentials(String),
    #[error(
        "cannot read the organization: {0}\n\
         hint: run from the management account or a delegated administrator, or give the accounts to \
         collect with --accounts to do without Organizations"
    )]
    Organization(String),
    #[error(transparent)]
    Checkpoint(#[from] crate::model::parts::PartsError),
}

/// The longest error text recorded in a snapshot.
const MAX_ERROR: usize = 400;

fn clip(mut text: String) -> String {
    if text.len() > MAX_ERROR {
        let mut end = MAX_ERROR;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push('…');
    }
    text
}

/// Render an SDK error the way a person wants to read it in a report: the
/// service's error code and message, or what went wrong on the way.
pub(crate) fn describe_sdk_error<E>(e: &SdkError<E, HttpResponse>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    clip(match e {
        SdkError::ServiceError(se) => {
            let err = se.err();
            format!(
                "{}: {} (HTTP {})",
                err.code().unwrap_or("unknown error"),
                err.message().unwrap_or("no message"),
                se.raw().status().as_u16()
            )
        }
        SdkError::ResponseError(r) => format!(
            "HTTP {} with a response that could not be read",
            r.raw().status().as_u16()
        ),
        SdkError::TimeoutError(_) => "timed out: no answer within the time limit of a call".to_string(),
        SdkError::DispatchFailure(_) => {
            // The cause chain says why: connection refused, DNS, TLS, or the
            // credentials (an AssumeRole that failed).
            let chain = DisplayErrorContext(e).to_string();
            format!(
                "could not send the request: {}",
                chain.trim_start_matches("dispatch failure: ")
            )
        }
        other => DisplayErrorContext(other).to_string(),
    })
}

/// Everything the tasks share.
pub(crate) struct Shared {
    pub settings: Collect,
    pub base: SdkConfig,
    /// Bounds the API calls in flight, across accounts and regions.
    pub limiter: Semaphore,
    /// The token buckets of the account-regions being collected.
    pub buckets: bucket::Buckets,
    pub caller: CallerIdentity,
    pub partition: String,
    pub progress: Progress,
}

/// The caller's configuration: the standard credential chain, the home
/// region, retries with backoff, and a time limit per attempt.
pub async fn base_config(settings: &Collect) -> SdkConfig {
    let retry = RetryConfig::standard()
        .with_max_attempts(settings.max_attempts.max(1))
        .with_initial_backoff(Duration::from_millis(settings.initial_backoff_ms));
    let timeouts = TimeoutConfig::builder()
        .operation_attempt_timeout(Duration::from_secs(settings.call_timeout_secs.max(1)))
        .connect_timeout(Duration::from_secs(settings.call_timeout_secs.clamp(1, 10)))
        .build();
    // One client, so one pool of connections kept alive across accounts and
    // regions: without it every service client of every account-region
    // builds its own, and each call pays for a new connection (and TLS).
    let http = aws_smithy_http_client::hyper_014::HyperClientBuilder::new().build_https();
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(http)
        .retry_config(retry)
        .timeout_config(timeouts);
    if let Some(profile) = &settings.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = &settings.home_region {
        loader = loader.region(Region::new(region.clone()));
    }
    let config = loader.load().await;
    if config.region().is_none() {
        config.to_builder().region(Region::from_static("us-east-1")).build()
    } else {
        config
    }
}

/// Where `collect` keeps the accounts it has finished.
pub enum Keep {
    /// In memory, in the snapshot it returns (`sgaudit run`, which assesses
    /// it at once).
    Memory,
    /// Checkpointed one by one beside the snapshot file (see
    /// [`model::parts`](crate::model::parts)), so that memory holds only the
    /// accounts in flight; `resume` keeps those an interrupted run finished.
    Checkpoints { snapshot: std::path::PathBuf, resume: bool },
}

/// What `collect` returns.
pub struct Collected {
    /// The snapshot; with [`Keep::Checkpoints`] its `accounts` are empty and
    /// `checkpoints` holds them.
    pub snapshot: Snapshot,
    pub checkpoints: Option<Checkpointed>,
}

/// The accounts of a checkpointed collection, ready to be assembled.
pub struct Checkpointed {
    pub parts: parts::Parts,
    /// Every account of the snapshot, in account order.
    pub accounts: Vec<parts::Checkpoint>,
}

/// Collect the organization (or the listed accounts) into a snapshot.
pub async fn collect(
    settings: &Collect,
    config_digest: Option<String>,
    progress: Progress,
    keep: Keep,
) -> Result<Collected, CollectError> {
    let mut started_at = time::OffsetDateTime::now_utc();
    let base = base_config(settings).await;
    let identity = aws_sdk_sts::Client::new(&base)
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| CollectError::Credentials(describe_sdk_error(&e)))?;
    let caller = CallerIdentity {
        account: AccountId::parse(identity.account().unwrap_or_default())
            .map_err(|e| CollectError::Credentials(e.to_string()))?,
        arn: identity.arn().unwrap_or_default().to_string(),
        user_id: identity.user_id().unwrap_or_default().to_string(),
    };
    let partition = caller
        .arn
        .split(':')
        .nth(1)
        .filter(|p| !p.is_empty())
        .unwrap_or("aws")
        .to_string();
    tracing::info!(caller = %caller.arn, "collecting as");

    let parts = match keep {
        Keep::Memory => None,
        Keep::Checkpoints { snapshot, resume } => {
            let run = parts::Run {
                tool: ToolInfo::this_build(),
                started_at,
                caller_identity: Some(caller.clone()),
                config_digest: config_digest.clone(),
                shard: settings.shard,
                resumed: Vec::new(),
            };
            let parts = if resume {
                parts::Parts::resume(&snapshot, run)?
            } else {
                parts::Parts::create(&snapshot, run)?
            };
            // A resumed collection is one run: it keeps the first start.
            started_at = parts.run().started_at;
            Some(Arc::new(parts))
        }
    };

    let shared = Arc::new(Shared {
        settings: settings.clone(),
        base,
        limiter: Semaphore::new(settings.max_concurrency.max(1)),
        buckets: bucket::Buckets::new(settings.throttle),
        caller: caller.clone(),
        partition,
        progress,
    });

    let organizations = aws_sdk_organizations::Client::new(&shared.base);
    let (organization, mut targets) = org::targets(&shared, &organizations).await?;
    if let Some(shard) = settings.shard {
        targets.retain(|t| shard_of(&t.account_id, shard.count) == shard.index);
        tracing::info!(%shard, accounts = targets.len(), "collecting one shard");
    }
    let mut ids: Vec<AccountId> = targets.iter().map(|t| t.account_id.clone()).collect();
    if let Some(parts) = &parts {
        let before = targets.len();
        targets.retain(|t| !parts.has(&t.account_id));
        if targets.len() < before {
            tracing::info!(kept = before - targets.len(), "accounts kept from the checkpoints");
        }
    }
    let to_collect = targets.iter().filter(|t| t.skip.is_none()).count();
    shared.progress.start(to_collect);

    // Accounts collected at once: enough to keep every call slot busy, few
    // enough that memory holds only them.
    let accounts_in_flight = Arc::new(Semaphore::new(settings.accounts_in_flight.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    let mut accounts = Vec::new();
    let mut failure = None;
    for mut target in targets {
        match target.skip.take() {
            Some(reason) => {
                let account = target.into_snapshot(CollectionStatus::Skipped { reason }, Vec::new());
                match &parts {
                    Some(parts) => {
                        if let Err(e) = parts.put(&account) {
                            failure.get_or_insert(e);
                        }
                    }
                    None => accounts.push(account),
                }
            }
            None => {
                let shared = shared.clone();
                let parts = parts.clone();
                let slots = accounts_in_flight.clone();
                tasks.spawn(async move {
                    let _slot = slots.acquire_owned().await.expect("the semaphore is never closed");
                    let account = region::collect_account(&shared, target).await;
                    shared.progress.account_done(account.status.is_ok());
                    match parts {
                        Some(parts) => tokio::task::spawn_blocking(move || parts.put(&account).map(|_| None))
                            .await
                            .expect("a checkpoint write does not panic"),
                        None => {
                            // Kept for the run's assessment: at its size.
                            let mut account = account;
                            crate::model::Compact::compact(&mut account);
                            Ok(Some(account))
                        }
                    }
                });
            }
        }
    }
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(Ok(Some(account))) => accounts.push(account),
            Ok(Ok(None)) => {}
            Ok(Err(e)) => {
                failure.get_or_insert(e);
            }
            Err(e) => tracing::error!("an account task failed: {e}"),
        }
    }
    shared.progress.finish();
    if let Some(e) = failure {
        return Err(e.into());
    }
    accounts.sort_by(|a, b| a.account_id.cmp(&b.account_id));
    ids.sort();

    let checkpoints = match parts {
        None => None,
        Some(parts) => {
            let parts = Arc::into_inner(parts).expect("every account task has ended");
            let accounts = parts.checkpoints(&ids)?;
            Some(Checkpointed { parts, accounts })
        }
    };
    let resumed = checkpoints
        .as_ref()
        .map(|c| c.parts.run().resumed.clone())
        .filter(|r| !r.is_empty());
    Ok(Collected {
        snapshot: Snapshot {
            schema_version: SCHEMA_VERSION,
            tool: ToolInfo::this_build(),
            started_at,
            finished_at: Some(time::OffsetDateTime::now_utc()),
            caller_identity: Some(caller),
            config_digest,
            organization,
            imported: None,
            shard: settings.shard,
            merged_from: None,
            resumed,
            accounts,
        },
        checkpoints,
    })
}

/// The shard (1-based, of `count`) an account belongs to: from a hash of its
/// id alone, so that adding accounts to the organization moves no other.
pub fn shard_of(account: &AccountId, count: u32) -> u32 {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(account.as_str().as_bytes());
    let n = u64::from_be_bytes(digest[..8].try_into().expect("a SHA-256 has 8 bytes"));
    (n % u64::from(count.max(1))) as u32 + 1
}
