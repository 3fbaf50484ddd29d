//! `schemathesis` (from PyPI) against the OpenAPI document of a running `zhiban serve`
//! with the Guangzhou demo data and an admin token: thousands of generated requests in
//! every phase (examples, coverage, fuzzing, stateful); no answer may be a 5xx, and every
//! error must be problem+json with its status (`web-tests/schemathesis_hooks.py`). The
//! seed is fixed so a failure reproduces.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

#[test]
fn schemathesis_finds_no_server_error_and_only_problem_json_errors() {
    let python = std::env::var("ZHIBAN_PYTHON").unwrap_or_else(|_| "python3".into());
    let st = Path::new(&python).with_file_name("schemathesis");
    assert!(
        st.exists(),
        "{} is missing: run scripts/test, which installs schemathesis into target/pytools",
        st.display()
    );
    let tmp = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", tmp.path().join("st.db").display());
    let mut server = Command::new(env!("CARGO_BIN_EXE_zhiban"))
        .env_remove("ZHIBAN_DATABASE_URL")
        .env("ZHIBAN_LOG", "error")
        // The generated requests include many without a valid token on purpose; the
        // limiter would answer them all 429 and hide the rest.
        .args([
            "serve",
            "--demo",
            // The panel alone: this year's made-up history is its own test (`reports.rs`).
            "--demo-history",
            "false",
            "--addr",
            "127.0.0.1:0",
            "--failed-auth-per-minute",
            "100000000",
        ])
        .args(["--database-url", &url])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut addr = None;
    let mut lines = BufReader::new(server.stdout.take().unwrap()).lines();
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(rest) = line.split("zhiban listening on http://").nth(1) {
            addr = rest.split_whitespace().next().map(str::to_string);
        }
        // The demo's admin invitation comes after the data and the address.
        if line.starts_with("demo: sign in as admin") {
            break;
        }
    }
    // Keep reading what the server prints, so it never writes to a closed pipe.
    std::thread::spawn(move || for _ in lines {});
    let addr = addr.unwrap();
    // An admin API token for the generated requests (the demo's admin is a person).
    let made = Command::new(env!("CARGO_BIN_EXE_zhiban"))
        .env_remove("ZHIBAN_DATABASE_URL")
        .args([
            "token",
            "create",
            "--role",
            "admin",
            "--label",
            "schemathesis",
        ])
        .args(["--database-url", &url])
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let token = String::from_utf8(made.stdout)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .trim()
        .to_string();
    let hooks = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../web-tests");
    let out = Command::new(&st)
        .current_dir(&hooks)
        .env("SCHEMATHESIS_HOOKS", "schemathesis_hooks")
        .args(["run", &format!("http://{addr}/api/v1/openapi.json")])
        .args(["-H", &format!("Authorization: Bearer {token}")])
        .args(["--checks", "not_a_server_error,errors_are_problem_json"])
        .args(["--max-examples", "10", "--seed", "1", "--no-color"])
        .output()
        .unwrap();
    let _ = server.kill();
    let _ = server.wait();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "schemathesis found problems:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("passed"), "{stdout}");
    assert!(!stdout.contains("failed,"), "{stdout}");
}
