//! An account's role credentials, assumed once and shared by every client of
//! the account.
//!
//! The SDK's clients share one identity cache, but it holds 64 entries and
//! evicts an arbitrary one when full; with 64 accounts in flight and the
//! caller's own credentials that is 65, and the stand-in measured 15 to 19
//! `sts:AssumeRole` calls per account instead of one (1,368 for 300 accounts
//! x 2 regions), each on the critical path of a region. This cache is the
//! account's own. The credentials are renewed five minutes before they
//! expire, so that a long collection never runs on expired ones.

use std::time::{Duration, SystemTime};

use aws_credential_types::provider::{future, ProvideCredentials};
use aws_credential_types::Credentials;

/// How long before their expiry credentials are renewed.
const RENEW_BEFORE: Duration = Duration::from_secs(300);

#[derive(Debug)]
pub(crate) struct Cached<P> {
    inner: P,
    current: tokio::sync::Mutex<Option<Credentials>>,
}

impl<P> Cached<P> {
    pub fn new(inner: P) -> Self {
        Cached {
            inner,
            current: tokio::sync::Mutex::new(None),
        }
    }
}

fn fresh(c: &Credentials, now: SystemTime) -> bool {
    c.expiry().is_none_or(|e| e > now + RENEW_BEFORE)
}

impl<P: ProvideCredentials> ProvideCredentials for Cached<P> {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(async move {
            // Held across the call: the first caller assumes the role, the
            // others wait for its answer rather than assume it too.
            let mut current = self.current.lock().await;
            if let Some(c) = current.as_ref().filter(|c| fresh(c, SystemTime::now())) {
                return Ok(c.clone());
            }
            let c = self.inner.provide_credentials().await?;
            *current = Some(c.clone());
            Ok(c)
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use super::*;

    #[derive(Debug)]
    struct Counting(Arc<AtomicUsize>, Duration);

    impl ProvideCredentials for Counting {
        fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
        where
            Self: 'a,
        {
            self.0.fetch_add(1, Ordering::SeqCst);
            let expiry = SystemTime::now() + self.1;
            future::ProvideCredentials::ready(Ok(Credentials::new("AKID", "secret", None, Some(expiry), "test")))
        }
    }

    #[tokio::test]
    async fn the_role_is_assumed_once_for_every_client_and_again_only_near_expiry() {
        let calls = Arc::new(AtomicUsize::new(0));
        let cached = Arc::new(Cached::new(Counting(calls.clone(), Duration::from_secs(3600))));
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..17 {
            let cached = cached.clone();
            tasks.spawn(async move { cached.provide_credentials().await.unwrap() });
        }
        while tasks.join_next().await.is_some() {}
        assert_eq!(calls.load(Ordering::SeqCst), 1);

        let expiring = Cached::new(Counting(calls.clone(), Duration::from_secs(60)));
        expiring.provide_credentials().await.unwrap();
        expiring.provide_credentials().await.unwrap();
        assert_eq!(
            calls.load(Ordering::SeqCst),
            3,
            "credentials about to expire are renewed"
        );
    }
}
