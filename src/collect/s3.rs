//! Flow-log objects in S3, for `sgaudit usage --flow-logs s3://…`: listed with
//! `ListObjectsV2` and fetched with `GetObject` (both read-only, both in
//! `config/iam-policy.json`), with the standard credential chain or a role
//! of the log-archive account.
//!
//! The objects are handed over as bytes through a bounded channel, so that
//! reading threads parse one object while the next ones download, and memory
//! holds only the objects in flight.

use std::sync::Arc;

use aws_config::sts::AssumeRoleProvider;
use aws_credential_types::provider::SharedCredentialsProvider;
use tokio::sync::{mpsc, Semaphore};

use crate::config::Collect;

use super::{base_config, describe_sdk_error};

/// `s3://bucket/prefix`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct S3Location {
    pub bucket: String,
    pub prefix: String,
}

impl S3Location {
    /// `None` when `uri` is not an `s3://` URI.
    pub fn parse(uri: &str) -> Option<S3Location> {
        let rest = uri.strip_prefix("s3://")?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        (!bucket.is_empty()).then(|| S3Location {
            bucket: bucket.to_string(),
            prefix: prefix.to_string(),
        })
    }
}

/// One object, fetched (or why it could not be).
pub struct S3Object {
    /// `s3://bucket/key`
    pub location: String,
    pub etag: Option<String>,
    pub bytes: Result<Vec<u8>, String>,
}

/// The objects, as they arrive; ends when all are fetched or listing failed
/// (then [`Fetch::finish`] says why).
pub struct Fetch {
    rx: mpsc::Receiver<S3Object>,
    thread: Option<std::thread::JoinHandle<Result<usize, String>>>,
}

impl Iterator for Fetch {
    type Item = S3Object;
    fn next(&mut self) -> Option<S3Object> {
        self.rx.blocking_recv()
    }
}

impl Fetch {
    /// How many objects were listed, or why listing failed.
    pub fn finish(mut self) -> Result<usize, String> {
        self.rx.close();
        self.thread
            .take()
            .expect("finished once")
            .join()
            .unwrap_or_else(|_| Err("the S3 reader panicked".into()))
    }
}

/// Objects fetched at once.
const IN_FLIGHT: usize = 8;

/// Start listing and fetching every object under `locations` whose key
/// `keep` accepts, on a thread of its own.
pub fn fetch(
    settings: &Collect,
    role: Option<String>,
    locations: Vec<S3Location>,
    keep: impl Fn(&str) -> bool + Send + 'static,
) -> Fetch {
    let (tx, rx) = mpsc::channel(IN_FLIGHT);
    let settings = settings.clone();
    let thread = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the S3 reader: {e}"))?;
        runtime.block_on(run(settings, role, locations, keep, tx))
    });
    Fetch {
        rx,
        thread: Some(thread),
    }
}

async fn run(
    settings: Collect,
    role: Option<String>,
    locations: Vec<S3Location>,
    keep: impl Fn(&str) -> bool,
    tx: mpsc::Sender<S3Object>,
) -> Result<usize, String> {
    let mut config = base_config(&settings).await;
    if let Some(arn) = role {
        let provider = AssumeRoleProvider::builder(arn)
            .session_name(settings.session_name.clone())
            .configure(&config)
            .build()
            .await;
        config = config
            .to_builder()
            .credentials_provider(SharedCredentialsProvider::new(provider))
            .build();
    }
    // A local endpoint (moto, MinIO) has no bucket subdomains.
    let path_style = config.endpoint_url().is_some();
    let client = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(path_style)
            .build(),
    );
    let mut listed = Vec::new();
    for loc in &locations {
        let mut pages = client
            .list_objects_v2()
            .bucket(&loc.bucket)
            .prefix(&loc.prefix)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| {
                format!(
                    "cannot list s3://{}/{} (s3:ListBucket): {}",
                    loc.bucket,
                    loc.prefix,
                    describe_sdk_error(&e)
                )
            })?;
            for o in page.contents() {
                if let Some(key) = o.key().filter(|k| keep(k)) {
                    listed.push((loc.bucket.clone(), key.to_string()));
                }
            }
        }
    }
    // Overlapping prefixes list some objects twice: read each once.
    listed.sort();
    listed.dedup();
    tracing::info!(objects = listed.len(), "flow-log objects listed in S3");
    let count = listed.len();
    let limit = Arc::new(Semaphore::new(IN_FLIGHT));
    let mut tasks = tokio::task::JoinSet::new();
    for (bucket, key) in listed {
        let permit = limit.clone().acquire_owned().await.expect("never closed");
        let (client, tx) = (client.clone(), tx.clone());
        tasks.spawn(async move {
            let location = format!("s3://{bucket}/{key}");
            let got = client.get_object().bucket(&bucket).key(&key).send().await;
            let (etag, bytes) = match got {
                Ok(out) => {
                    let etag = out.e_tag().map(|e| e.trim_matches('"').to_string());
                    let body = out
                        .body
                        .collect()
                        .await
                        .map(|b| b.into_bytes().to_vec())
                        .map_err(|e| format!("cannot read the object's body: {e}"));
                    (etag, body)
                }
                Err(e) => (None, Err(format!("s3:GetObject: {}", describe_sdk_error(&e)))),
            };
            // The permit is held until the reader takes the object: memory
            // holds at most IN_FLIGHT objects and the channel's.
            let _ = tx.send(S3Object { location, etag, bytes }).await;
            drop(permit);
        });
    }
    while tasks.join_next().await.is_some() {}
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_uris_split_into_bucket_and_prefix() {
        assert_eq!(
            S3Location::parse("s3://logs/AWSLogs/111111111111/vpcflowlogs/"),
            Some(S3Location {
                bucket: "logs".into(),
                prefix: "AWSLogs/111111111111/vpcflowlogs/".into()
            })
        );
        assert_eq!(S3Location::parse("s3://logs").unwrap().prefix, "");
        assert_eq!(S3Location::parse("s3:///x"), None);
        assert_eq!(S3Location::parse("/tmp/logs"), None);
    }
}
