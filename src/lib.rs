pub mod analyze;
pub mod atomic;
pub mod config;
pub mod controls;
pub mod model;
