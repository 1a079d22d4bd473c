//! Inputs other than the AWS APIs, read from files: flow-log records
//! (`flowlogs`) and AWS CLI exports (`awscli`). Like `collect`, it turns the
//! outside world into model types; unlike `collect`, it never calls AWS
//! (objects in S3 are fetched by `collect::s3` and handed over as bytes).

pub mod awscli;
pub mod flowlogs;
