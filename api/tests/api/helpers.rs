//! What the API tests share: the testkit (test databases on both backends, `on_both!`, the
//! test app and its one call helper), the `zhiban` binary as a process, and the scenario
//! set-up several areas repeat.

#![allow(dead_code, unreachable_pub)]

use std::path::PathBuf;
use std::process::Command;

pub use zhiban_testkit::*;

/// The `zhiban` binary, with no database URL from the environment and warnings only.
pub fn zhiban() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_zhiban"));
    c.env_remove("ZHIBAN_DATABASE_URL")
        .env("ZHIBAN_LOG", "warn");
    c
}

/// Runs `zhiban ARGS`, which must succeed; its standard output.
pub fn run_ok(args: &[&str]) -> String {
    let out = zhiban().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "zhiban {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `fixtures/<name>`.
pub fn fixture(name: &str) -> PathBuf {
    fixtures_dir().join(name)
}
