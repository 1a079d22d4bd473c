//! sgaudit: assess how well the security groups of an AWS Organization limit
//! network access. See ARCHITECTURE.md for the map of this crate.

pub mod analyze;
pub mod atomic;
pub mod cli;
pub mod collect;
pub mod config;
pub mod controls;
pub mod digest;
pub mod ingest;
pub mod memory;
pub mod model;
pub mod par;
pub mod report;
