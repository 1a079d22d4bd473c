//! Client-side token buckets, so that collection stays inside AWS's own
//! throttling instead of provoking it and retrying.
//!
//! AWS throttles per account and region (EC2 with published token buckets:
//! 100 requests of burst and 20 per second of refill for a non-mutating
//! action; half that for an unpaginated, unfiltered `DescribeInstances`,
//! `DescribeNetworkInterfaces` or `DescribeSecurityGroups`, which sgaudit
//! never makes: it pages them with `MaxResults`). So sgaudit keeps one
//! bucket per account, region and service, sized from `[collect.throttle]`,
//! and every request takes a token before it is sent. One bucket for all of
//! a service's actions in an account-region is stricter than AWS's (one per
//! action): collection stays under the limit whatever the mix of calls.
//! Global services (STS, Organizations) have one bucket per account.
//!
//! The limit on calls in flight (`max_concurrency`) is separate: a call
//! waits for its token first and takes a slot only to be sent, so an
//! account-region that waits for tokens holds no slot the others need.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use crate::config::{Rate, Throttle};
use crate::model::AccountId;

/// The APIs sgaudit calls, as AWS throttles them: Classic and v2 load
/// balancing share the `elasticloadbalancing` endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Api {
    Ec2,
    Elb,
    Rds,
    Ssm,
    Sts,
    Organizations,
}

/// One bucket: `burst` tokens, refilled at `per_second`. Tokens may go
/// negative: a request that finds none waits for its turn (the deficit at
/// the refill rate), so waiters are served in order and nobody polls.
#[derive(Debug)]
pub(crate) struct Bucket {
    rate: Rate,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    tokens: f64,
    last: Instant,
}

impl Bucket {
    pub fn new(rate: Rate) -> Self {
        Bucket {
            rate,
            state: Mutex::new(State {
                tokens: f64::from(rate.burst),
                last: Instant::now(),
            }),
        }
    }

    /// Wait until a request may be sent.
    pub async fn take(&self) {
        let wait = {
            let mut s = self.state.lock().expect("a bucket's lock is never poisoned");
            let now = Instant::now();
            let refilled = s.tokens + now.duration_since(s.last).as_secs_f64() * self.rate.per_second;
            s.tokens = refilled.min(f64::from(self.rate.burst)) - 1.0;
            s.last = now;
            if s.tokens >= 0.0 {
                return;
            }
            Duration::from_secs_f64(-s.tokens / self.rate.per_second.max(f64::MIN_POSITIVE))
        };
        tokio::time::sleep(wait).await;
    }
}

/// Where a bucket applies: a region, or the whole account (global services).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Scope {
    Region(String),
    Global,
}

/// The buckets of every account-region and service being collected.
pub(crate) struct Buckets {
    throttle: Throttle,
    map: Mutex<HashMap<(AccountId, Scope, Api), Arc<Bucket>>>,
}

impl Buckets {
    pub fn new(throttle: Throttle) -> Self {
        Buckets {
            throttle,
            map: Mutex::new(HashMap::new()),
        }
    }

    /// The bucket of `api` in `account` and `scope`: the same one for
    /// every caller asking for the same three.
    pub fn get(&self, account: &AccountId, scope: Scope, api: Api) -> Arc<Bucket> {
        let rate = match api {
            Api::Ec2 => self.throttle.ec2,
            Api::Elb => self.throttle.elasticloadbalancing,
            Api::Rds => self.throttle.rds,
            Api::Ssm => self.throttle.ssm,
            Api::Sts => self.throttle.sts,
            Api::Organizations => self.throttle.organizations,
        };
        self.map
            .lock()
            .expect("the bucket map's lock is never poisoned")
            .entry((account.clone(), scope, api))
            .or_insert_with(|| Arc::new(Bucket::new(rate)))
            .clone()
    }

    /// An account is done: its buckets go (memory follows the accounts in
    /// flight, not the organization).
    pub fn release(&self, account: &AccountId) {
        self.map
            .lock()
            .expect("the bucket map's lock is never poisoned")
            .retain(|(a, _, _), _| a != account);
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.map.lock().unwrap().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(burst: u32, per_second: f64) -> Rate {
        Rate { burst, per_second }
    }

    /// Take `n` tokens one after another; how long it took on the paused clock.
    async fn drain(bucket: &Bucket, n: usize) -> Duration {
        let start = Instant::now();
        for _ in 0..n {
            bucket.take().await;
        }
        start.elapsed()
    }

    #[tokio::test(start_paused = true)]
    async fn the_burst_is_free_and_then_requests_go_at_the_refill_rate() {
        let bucket = Bucket::new(rate(100, 20.0));
        assert_eq!(drain(&bucket, 100).await, Duration::ZERO, "EC2's burst of 100");
        // 40 more at 20 per second: 2 seconds.
        let t = drain(&bucket, 40).await;
        assert!((t.as_secs_f64() - 2.0).abs() < 0.01, "{t:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn an_idle_bucket_refills_up_to_its_burst_and_no_more() {
        let bucket = Bucket::new(rate(10, 5.0));
        drain(&bucket, 10).await;
        tokio::time::advance(Duration::from_secs(60)).await;
        assert_eq!(drain(&bucket, 10).await, Duration::ZERO);
        let t = drain(&bucket, 5).await;
        assert!((t.as_secs_f64() - 1.0).abs() < 0.01, "{t:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_requests_share_one_account_regions_bucket_fairly() {
        let buckets = Arc::new(Buckets::new(Throttle::default()));
        let account = AccountId::parse("111111111111").unwrap();
        let ec2 = buckets.get(&account, Scope::Region("eu-west-1".into()), Api::Ec2);
        let start = Instant::now();
        // 8 tasks of one account-region, 40 requests each: 320 through one
        // bucket of 100 + 20/s take (320 - 100) / 20 = 11 s.
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..8 {
            let bucket = buckets.get(&account, Scope::Region("eu-west-1".into()), Api::Ec2);
            tasks.spawn(async move { drain(&bucket, 40).await });
        }
        while tasks.join_next().await.is_some() {}
        let t = start.elapsed().as_secs_f64();
        assert!((t - 11.0).abs() < 0.05, "{t}");
        assert!(Arc::ptr_eq(
            &ec2,
            &buckets.get(&account, Scope::Region("eu-west-1".into()), Api::Ec2)
        ));
    }

    #[tokio::test(start_paused = true)]
    async fn other_regions_and_other_accounts_have_their_own_and_global_services_one_per_account() {
        let buckets = Buckets::new(Throttle::default());
        let a = AccountId::parse("111111111111").unwrap();
        let b = AccountId::parse("222222222222").unwrap();
        let eu = || Scope::Region("eu-west-1".into());
        let us = || Scope::Region("us-east-1".into());
        // Account a's eu-west-1 drained: its us-east-1 and account b are not slowed.
        drain(&buckets.get(&a, eu(), Api::Ec2), 100).await;
        assert_eq!(drain(&buckets.get(&a, us(), Api::Ec2), 100).await, Duration::ZERO);
        assert_eq!(drain(&buckets.get(&b, eu(), Api::Ec2), 100).await, Duration::ZERO);
        // Another service of the same account-region has its own.
        assert_eq!(drain(&buckets.get(&a, eu(), Api::Rds), 10).await, Duration::ZERO);
        // The regions of one account share its global (STS) bucket.
        let from_eu = buckets.get(&a, Scope::Global, Api::Sts);
        let from_us = buckets.get(&a, Scope::Global, Api::Sts);
        assert!(Arc::ptr_eq(&from_eu, &from_us));
        assert!(!Arc::ptr_eq(&from_eu, &buckets.get(&b, Scope::Global, Api::Sts)));
        // A finished account's buckets are released.
        let before = buckets.len();
        buckets.release(&a);
        assert_eq!(buckets.len(), before - 4);
    }
}
