//! The evidence package: every file written atomically through a hashing
//! writer (`output`), the snapshot copy, the effective config and the
//! manifest of SHA-256s written last and verified (`manifest`), and an
//! earlier package read back as the baseline of a new assessment (`baseline`).

pub mod baseline;
pub mod manifest;
pub mod output;
