//! End-to-end tests of the `sgaudit` binary: one test binary, themed modules
//! (the ripgrep layout). Golden files live in `snapshots/`; after a deliberate
//! change, review them with `cargo insta review` (or accept with
//! `INSTA_UPDATE=always cargo test`).

mod assess;
mod browser;
mod errors;
mod evidence;
/// The flow-log generator of `examples/flow_logs`.
#[path = "../../examples/flow_logs/gen.rs"]
mod gen;
mod golden;
mod history;
mod hostile;
mod html;
mod interchange;
mod moto;
mod remediation;
mod scale;
mod usage;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn sample() -> PathBuf {
    root().join("samples/org-snapshot.json")
}

pub fn example_config() -> PathBuf {
    root().join("config/sgaudit.example.toml")
}

pub fn sgaudit(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sgaudit"))
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .expect("run sgaudit")
}

/// `assess` the given snapshot (with the example config) into a fresh directory.
pub fn assess(snapshot: &Path, extra: &[&str]) -> (tempfile::TempDir, Output) {
    let dir = tempfile::tempdir().unwrap();
    let config = example_config();
    let mut args = vec![
        "assess",
        "--snapshot",
        snapshot.to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
        "--out",
        dir.path().to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let out = sgaudit(&args);
    (dir, out)
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

pub fn json(dir: &Path, name: &str) -> serde_json::Value {
    serde_json::from_str(&read(dir, name)).unwrap()
}

/// The sample snapshot as JSON, to derive variants from.
pub fn sample_json() -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(sample()).unwrap()).unwrap()
}

pub fn write_json(dir: &Path, name: &str, value: &serde_json::Value) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, serde_json::to_vec_pretty(value).unwrap()).unwrap();
    p
}
