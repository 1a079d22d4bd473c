//! Collection from AWS: Organizations, STS AssumeRole, EC2, ELBv2, RDS and
//! Systems Manager, into a [`Snapshot`](crate::model::Snapshot).
//!
//! Not written yet. When it is, this will be the only module with the AWS SDK
//! and an async runtime; SDK types are converted to model types at its
//! boundary and never travel further. It calls only List/Describe/Get
//! operations and `sts:AssumeRole`, and records every failure (an account
//! whose role cannot be assumed, a region that errors, a service that is not
//! available) in the snapshot as data.
