//! The snapshot: sgaudit's data model and its evidence format.
//!
//! `collect` produces it, `analyze` reads it, and auditors keep it. It is plain
//! serde data with no AWS SDK types and no behaviour beyond small accessors,
//! so it can be written by one version of sgaudit and read by another (see
//! `docs/snapshot.md` for the schema and its versioning rule).

pub mod aws;
mod compact;
pub mod ids;
pub mod merge;
pub mod net;
pub mod parts;
mod read;
mod snapshot;
mod split;
pub mod usage;

pub use aws::*;
pub use compact::Compact;
pub use ids::*;
pub use net::{Cidr, PortRange, Protocol, ServicePort, Transport};
pub use read::{read_snapshot, write_snapshot, SnapshotError};
pub use snapshot::*;
