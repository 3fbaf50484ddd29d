// Over the ~600-line sizing rule on purpose: one test per command of the binary, sharing its process helpers.
//! The `zhiban` command, run as a real process against real SQLite files.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::helpers::{fixture, run_ok, zhiban};

fn db_url(dir: &Path) -> String {
    format!("sqlite://{}", dir.join("z.db").display())
}

fn run_err(args: &[&str]) -> String {
    let out = zhiban().args(args).output().unwrap();
    assert!(!out.status.success(), "zhiban {args:?} should fail");
    String::from_utf8(out.stderr).unwrap()
}

async fn dump(url: &str) -> String {
    let store = zhiban_store::sqlite::SqliteStore::open(url).await.unwrap();
    store.dump().await.unwrap()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, to.join(p.file_name().unwrap())).unwrap();
    }
}

#[test]
fn every_command_has_help() {
    for args in [
        vec!["--help"],
        vec!["import", "--help"],
        vec!["export", "--help"],
        vec!["serve", "--help"],
        vec!["fixtures", "--help"],
        vec!["fixtures", "generate", "--help"],
        vec!["solve", "--help"],
    ] {
        let out = run_ok(&args);
        assert!(out.contains("Usage: zhiban"), "{args:?}: {out}");
    }
    assert!(run_ok(&["serve", "--help"]).contains("--database-url"));
    assert!(run_ok(&["serve", "--help"]).contains("ZHIBAN_DATABASE_URL"));
}

#[tokio::test]
async fn every_fixture_round_trips_import_export_import() {
    for name in ["small", "guangzhou", "baotou"] {
        let tmp = tempfile::tempdir().unwrap();
        let a = db_url(tmp.path());
        let out = run_ok(&[
            "import",
            fixture(name).to_str().unwrap(),
            "--database-url",
            &a,
        ]);
        assert!(out.contains("imported"), "{out}");
        let exported = tmp.path().join("export");
        run_ok(&["export", exported.to_str().unwrap(), "--database-url", &a]);
        let b = format!("sqlite://{}", tmp.path().join("b.db").display());
        run_ok(&["import", exported.to_str().unwrap(), "--database-url", &b]);
        assert_eq!(dump(&a).await, dump(&b).await, "{name}");
        // The exported files equal the committed fixture's, for generated fixtures byte for byte.
        if name != "small" {
            for f in std::fs::read_dir(fixture(name)).unwrap() {
                let p = f.unwrap().path();
                let file = p.file_name().unwrap();
                assert_eq!(
                    std::fs::read_to_string(&p).unwrap(),
                    std::fs::read_to_string(exported.join(file)).unwrap(),
                    "{name}/{file:?}"
                );
            }
        }
    }
}

#[tokio::test]
async fn a_broken_file_is_rejected_and_the_database_is_unchanged() {
    let tmp = tempfile::tempdir().unwrap();
    let url = db_url(tmp.path());
    run_ok(&[
        "import",
        fixture("small").to_str().unwrap(),
        "--database-url",
        &url,
    ]);
    let before = dump(&url).await;

    // Guangzhou with one bad licence date on the last row of lawyers.csv.
    let broken = tmp.path().join("broken");
    copy_dir(&fixture("guangzhou"), &broken);
    let lawyers = std::fs::read_to_string(broken.join("lawyers.csv")).unwrap();
    let mut lines: Vec<String> = lawyers.lines().map(String::from).collect();
    let last = lines.len() - 1;
    let mut cols: Vec<String> = lines[last].split(',').map(String::from).collect();
    cols[5] = "2019-02-30".into();
    lines[last] = cols.join(",");
    std::fs::write(broken.join("lawyers.csv"), lines.join("\n") + "\n").unwrap();

    let err = run_err(&["import", broken.to_str().unwrap(), "--database-url", &url]);
    assert!(
        err.contains(
            "import rejected, nothing was changed: lawyers.csv row 788, column licence_date"
        ),
        "{err}"
    );
    // Every row of every table is as it was.
    assert!(dump(&url).await == before, "the database changed");
}

#[test]
fn export_refuses_to_overwrite_a_folder_unless_forced() {
    let tmp = tempfile::tempdir().unwrap();
    let url = db_url(tmp.path());
    run_ok(&[
        "import",
        fixture("small").to_str().unwrap(),
        "--database-url",
        &url,
    ]);
    let dir = tmp.path().join("out");
    run_ok(&["export", dir.to_str().unwrap(), "--database-url", &url]);
    let err = run_err(&["export", dir.to_str().unwrap(), "--database-url", &url]);
    assert!(err.contains("--force"), "{err}");
    run_ok(&[
        "export",
        dir.to_str().unwrap(),
        "--force",
        "--database-url",
        &url,
    ]);
}

#[test]
fn fixtures_generate_is_deterministic_and_imports() {
    let tmp = tempfile::tempdir().unwrap();
    let args = |out: &Path| {
        vec![
            "fixtures".to_string(),
            "generate".into(),
            "--centres".into(),
            "20".into(),
            "--lawyers".into(),
            "600".into(),
            "--seed".into(),
            "42".into(),
            "--out".into(),
            out.display().to_string(),
        ]
    };
    let a = tmp.path().join("a");
    let b = tmp.path().join("b");
    let out = run_ok(&args(&a).iter().map(String::as_str).collect::<Vec<_>>());
    assert!(out.contains("20 centres, 200 stations"), "{out}");
    run_ok(&args(&b).iter().map(String::as_str).collect::<Vec<_>>());
    for f in std::fs::read_dir(&a).unwrap() {
        let p = f.unwrap().path();
        assert_eq!(
            std::fs::read(&p).unwrap(),
            std::fs::read(b.join(p.file_name().unwrap())).unwrap()
        );
    }
    run_ok(&[
        "import",
        a.to_str().unwrap(),
        "--database-url",
        &db_url(tmp.path()),
    ]);
    let err = run_err(&[
        "fixtures",
        "generate",
        "--centres",
        "5",
        "--out",
        tmp.path().join("c").to_str().unwrap(),
    ]);
    assert!(err.contains("--lawyers"), "{err}");
}

/// A POST of a JSON body; the status and the whole answer (headers and body).
fn post(addr: &str, path: &str, json: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{json}",
        json.len()
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    (resp[9..12].parse().unwrap(), resp)
}

fn get(addr: &str, path: &str) -> (u16, String) {
    get_with(addr, path, "")
}

/// A GET with extra header lines (each ending in `\r\n`).
fn get_with(addr: &str, path: &str, headers: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{headers}\r\n"
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let status = resp[9..12].parse().unwrap();
    let body = resp
        .split_once("\r\n\r\n")
        .map(|x| x.1.to_string())
        .unwrap_or_default();
    (status, body)
}

#[test]
fn serve_demo_imports_guangzhou_once_and_answers_healthz() {
    let tmp = tempfile::tempdir().unwrap();
    let url = db_url(tmp.path());
    for round in 0..2 {
        let mut child = zhiban()
            .args([
                "serve",
                "--demo",
                // The panel alone: this year's made-up history is its own test (`reports.rs`).
                "--demo-history",
                "false",
                "--addr",
                "127.0.0.1:0",
                "--database-url",
                &url,
            ])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = lines.next().unwrap().unwrap();
        if round == 0 {
            assert!(
                first.contains("demo: imported the Guangzhou data set: 12 centres"),
                "{first}"
            );
        } else {
            assert!(first.contains("not importing"), "{first}");
        }
        let listening = lines.next().unwrap().unwrap();
        let addr = listening
            .split("http://")
            .nth(1)
            .and_then(|s| s.split_whitespace().next())
            .unwrap()
            .to_string();
        let deadline = Instant::now() + Duration::from_secs(10);
        let (status, body) = loop {
            match std::panic::catch_unwind(|| get(&addr, "/healthz")) {
                Ok(r) => break r,
                Err(_) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(50))
                }
                Err(e) => std::panic::resume_unwind(e),
            }
        };
        assert_eq!(status, 200, "{body}");
        // Counts only for a signed-in caller: the demo's admin invitation is printed once,
        // at the first start; a restart makes none.
        assert!(!body.contains("\"lawyers\""), "{body}");
        let admin_line = lines.next().unwrap().unwrap();
        if round == 0 {
            let code = admin_line
                .split("#activate=")
                .nth(1)
                .and_then(|t| t.split_whitespace().next())
                .unwrap_or_else(|| panic!("{admin_line}"))
                .to_string();
            assert!(admin_line.contains("login name admin"), "{admin_line}");
            let (status, body) = post(
                &addr,
                "/api/v1/auth/activate",
                &format!(r#"{{"code": "{code}", "password": "值班演示密码很安全"}}"#),
            );
            assert_eq!(status, 200, "{body}");
            let (status, head) = post(
                &addr,
                "/api/v1/auth/login",
                r#"{"login": "admin", "password": "值班演示密码很安全"}"#,
            );
            assert_eq!(status, 200, "{head}");
            let cookie = head
                .lines()
                .find_map(|l| l.strip_prefix("set-cookie: "))
                .and_then(|c| c.split(';').next())
                .unwrap_or_else(|| panic!("{head}"))
                .to_string();
            // Served on loopback over plain HTTP: the cookie is not marked Secure.
            assert!(!head.contains("Secure"), "{head}");
            let (status, body) = get_with(&addr, "/healthz", &format!("Cookie: {cookie}\r\n"));
            assert_eq!(status, 200, "{body}");
            assert!(body.contains("\"lawyers\":787"), "{body}");
        } else {
            assert!(!admin_line.contains("#activate="), "{admin_line}");
            assert!(admin_line.contains("zhiban user reset"), "{admin_line}");
        }
        let (status, _) = get(&addr, "/no-such-page");
        assert_eq!(status, 404);
        child.kill().unwrap();
        child.wait().unwrap();
    }
}

#[test]
fn solve_writes_a_checked_roster_as_json_and_csv() {
    let tmp = tempfile::tempdir().unwrap();
    let json = tmp.path().join("r.json");
    let small = fixture("small");
    let out = run_ok(&[
        "solve",
        "--input",
        small.to_str().unwrap(),
        "--from",
        "2026-11-23",
        "--weeks",
        "2",
        "--quiet",
        "--out",
        json.to_str().unwrap(),
    ]);
    assert!(out.contains("status Optimal"), "{out}");
    assert!(out.contains("primary posts filled 20/20"), "{out}");
    assert!(out.contains("hard-rule check: 0 violations"), "{out}");
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(v["roster"]["assignments"].as_array().unwrap().len(), 20 + 4);
    assert_eq!(v["report"]["status"], "optimal");

    // From the database, one centre, as CSV for Excel (UTF-8 with BOM, Chinese headers).
    let url = db_url(tmp.path());
    run_ok(&["import", small.to_str().unwrap(), "--database-url", &url]);
    let csv = tmp.path().join("r.csv");
    run_ok(&[
        "solve",
        "--database-url",
        &url,
        "--centre",
        "CH",
        "--from",
        "2026-11-23",
        "--quiet",
        "--out",
        csv.to_str().unwrap(),
    ]);
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(
        text.starts_with("\u{feff}日期,时段,工作站编号,工作站,律师编号,律师,律所,岗位\n"),
        "{text}"
    );
    assert_eq!(text.lines().count(), 1 + 10 + 2);
    assert!(text.contains("备岗"));

    let err = run_err(&[
        "solve",
        "--input",
        small.to_str().unwrap(),
        "--from",
        "2026-11-23",
        "--quiet",
        "--out",
        "x.txt",
    ]);
    assert!(err.contains(".json or .csv"), "{err}");
    let err = run_err(&[
        "solve",
        "--input",
        small.to_str().unwrap(),
        "--from",
        "2026-11-23",
        "--centre",
        "NOPE",
    ]);
    assert!(err.contains("no centre with id NOPE"), "{err}");
    let err = run_err(&[
        "solve",
        "--input",
        small.to_str().unwrap(),
        "--from",
        "23/11/2026",
    ]);
    assert!(err.contains("--from"), "{err}");
    let empty = format!("sqlite://{}", tmp.path().join("empty.db").display());
    let err = run_err(&["solve", "--database-url", &empty, "--from", "2026-11-23"]);
    assert!(err.contains("zhiban import"), "{err}");
}

fn get_with_token(addr: &str, path: &str, token: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let status = resp[9..12].parse().unwrap();
    let body = resp
        .split_once("\r\n\r\n")
        .map(|x| x.1.to_string())
        .unwrap_or_default();
    (status, body)
}

#[test]
fn token_create_prints_a_token_once_that_the_server_accepts_until_revoked() {
    let tmp = tempfile::tempdir().unwrap();
    let url = db_url(tmp.path());
    run_ok(&[
        "import",
        fixture("small").to_str().unwrap(),
        "--database-url",
        &url,
    ]);
    let err = run_err(&[
        "token",
        "create",
        "--role",
        "coordinator",
        "--database-url",
        &url,
    ]);
    assert!(err.contains("--centre"), "{err}");
    let err = run_err(&[
        "token",
        "create",
        "--role",
        "coordinator",
        "--centre",
        "NOPE",
        "--database-url",
        &url,
    ]);
    assert!(err.contains("no centre NOPE"), "{err}");
    let out = run_ok(&[
        "token",
        "create",
        "--role",
        "coordinator",
        "--centre",
        "CH",
        "--label",
        "王协调员",
        "--database-url",
        &url,
    ]);
    let first = out.lines().next().unwrap();
    let token = first.split('\t').next().unwrap().to_string();
    let id: String = first
        .split("(id ")
        .nth(1)
        .unwrap()
        .trim_end_matches(')')
        .to_string();
    assert!(token.starts_with("zb_") && token.len() == 67, "{out}");
    // Only the hash is stored.
    let db = std::fs::read(tmp.path().join("z.db")).unwrap();
    let wal = std::fs::read(tmp.path().join("z.db-wal")).unwrap_or_default();
    let needle = token.as_bytes();
    for bytes in [&db, &wal] {
        assert!(!bytes.windows(needle.len()).any(|w| w == needle));
    }
    let mut child = zhiban()
        .args(["serve", "--addr", "127.0.0.1:0", "--database-url", &url])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let listening = lines.next().unwrap().unwrap();
    let addr = listening
        .split("http://")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .unwrap()
        .to_string();
    let (status, body) = get_with_token(&addr, "/api/v1/centres", &token);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"id\":\"CH\""), "{body}");
    let (status, _) = get_with_token(&addr, "/api/v1/centres", "zb_wrong");
    assert_eq!(status, 401);
    run_ok(&["token", "revoke", &id, "--database-url", &url]);
    let (status, _) = get_with_token(&addr, "/api/v1/centres", &token);
    assert_eq!(status, 401, "a revoked token is refused at once");
    child.kill().unwrap();
    child.wait().unwrap();
}

#[tokio::test]
async fn backup_copies_the_database_consistently_and_refuses_to_overwrite() {
    let tmp = tempfile::tempdir().unwrap();
    let url = db_url(tmp.path());
    run_ok(&[
        "import",
        fixture("small").to_str().unwrap(),
        "--database-url",
        &url,
    ]);
    let copy = tmp.path().join("backup.db");
    let out = run_ok(&["backup", copy.to_str().unwrap(), "--database-url", &url]);
    assert!(out.contains("integrity check ok"), "{out}");
    assert_eq!(
        dump(&url).await,
        dump(&format!("sqlite://{}", copy.display())).await
    );
    let err = run_err(&["backup", copy.to_str().unwrap(), "--database-url", &url]);
    assert!(err.contains("exists"), "{err}");
}

/// A request with a token and an optional JSON body; the status and body.
fn call(addr: &str, method: &str, path: &str, token: &str, body: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let status = resp[9..12].parse().unwrap();
    let body = resp
        .split_once("\r\n\r\n")
        .map(|x| x.1.to_string())
        .unwrap_or_default();
    (status, body)
}

/// The values of column `name` of a fixture's CSV file.
fn column(file: &Path, name: &str) -> Vec<String> {
    let text = std::fs::read_to_string(file).unwrap();
    let mut lines = text.lines();
    let i = lines
        .next()
        .unwrap()
        .split(',')
        .position(|h| h == name)
        .unwrap();
    lines
        .map(|l| l.split(',').nth(i).unwrap().to_string())
        .filter(|v| !v.is_empty())
        .collect()
}

#[test]
fn the_most_verbose_logs_hold_no_token_and_no_phone_number() {
    let tmp = tempfile::tempdir().unwrap();
    let url = db_url(tmp.path());
    let small = fixture("small");
    run_ok(&["import", small.to_str().unwrap(), "--database-url", &url]);
    let token = |args: &[&str]| {
        let mut all = vec!["token", "create"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--database-url", &url]);
        run_ok(&all).split('\t').next().unwrap().to_string()
    };
    let coord = token(&["--role", "coordinator", "--centre", "CH"]);
    let lawyer = token(&["--role", "lawyer", "--lawyer", "CH-L01"]);
    let log_file = tmp.path().join("server.log");
    let mut child = zhiban()
        .args(["serve", "--addr", "127.0.0.1:0", "--database-url", &url])
        .env("ZHIBAN_LOG", "trace")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log_file).unwrap())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let addr = lines
        .by_ref()
        .map(|l| l.unwrap())
        .find_map(|l| {
            l.split("http://")
                .nth(1)
                .and_then(|s| s.split_whitespace().next())
                .map(str::to_string)
        })
        .unwrap();
    // Responses full of phone numbers, errors, a feed with station phones, bad input that
    // carries a phone number.
    for path in [
        "/api/v1/lawyers?limit=500",
        "/api/v1/lawyers/CH-L01",
        "/api/v1/centres/CH/panel",
        "/api/v1/centres/CH/panel.csv",
        "/api/v1/stations",
        "/api/v1/lawyers/NOPE",
    ] {
        let (status, body) = call(&addr, "GET", path, &coord, "");
        assert!(status == 200 || status == 404, "{path}: {status} {body}");
    }
    let (status, body) = call(&addr, "GET", "/api/v1/lawyers", &format!("{coord}x"), "");
    assert_eq!(status, 401, "{body}");
    let (status, body) = call(
        &addr,
        "PUT",
        "/api/v1/lawyers/CH-L01/availability",
        &lawyer,
        r#"{"weekly": [], "leave": [], "preferences": [], "phone": "13800010001"}"#,
    );
    assert!((400..500).contains(&status), "{status} {body}");
    let (status, body) = call(
        &addr,
        "POST",
        "/api/v1/lawyers/CH-L01/feed-token",
        &lawyer,
        "",
    );
    assert_eq!(status, 201, "{body}");
    let feed: serde_json::Value = serde_json::from_str(&body).unwrap();
    let feed_url = feed["url"].as_str().unwrap();
    let feed_path = &feed_url[feed_url.find("/ical/").unwrap()..];
    let (status, _) = call(&addr, "GET", feed_path, "", "");
    assert_eq!(status, 200);
    child.kill().unwrap();
    child.wait().unwrap();

    let log = std::fs::read_to_string(&log_file).unwrap();
    assert!(
        log.contains("/api/v1/lawyers/CH-L01") && log.lines().count() > 20,
        "the server logged its requests at trace level:\n{log}"
    );
    let mut secrets = column(&small.join("lawyers.csv"), "phone");
    secrets.extend(column(&small.join("stations.csv"), "phone"));
    assert!(secrets.len() > 10);
    secrets.extend([coord.clone(), lawyer.clone()]);
    secrets.push(
        feed_path
            .trim_start_matches("/ical/lawyers/")
            .trim_end_matches(".ics")
            .to_string(),
    );
    for s in &secrets {
        assert!(!log.contains(s.as_str()), "the log holds {s}:\n{log}");
    }
    assert!(!log.contains("zb_"), "the log holds a token:\n{log}");
}

#[test]
fn serve_keeps_serving_when_its_standard_output_is_closed() {
    let tmp = tempfile::tempdir().unwrap();
    let url = db_url(tmp.path());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let mut child = zhiban()
        .args(["serve", "--addr", &addr, "--database-url", &url])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The reader goes away before the server has printed anything (it is still opening the
    // database): every line it prints then fails with a broken pipe.
    drop(child.stdout.take());
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the server stopped when its standard output closed"
        );
        if TcpStream::connect(&addr).is_ok() {
            break;
        }
        assert!(Instant::now() < deadline, "the server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    // Still serving after it tried to print its start-up lines.
    std::thread::sleep(Duration::from_millis(300));
    let (status, body) = get(&addr, "/healthz");
    assert_eq!(status, 200, "{body}");
    assert!(child.try_wait().unwrap().is_none());
    child.kill().unwrap();
    child.wait().unwrap();
}

#[tokio::test]
async fn solving_from_the_database_counts_published_history_toward_fair_shares() {
    let tmp = tempfile::tempdir().unwrap();
    let url = db_url(tmp.path());
    run_ok(&[
        "import",
        fixture("small").to_str().unwrap(),
        "--database-url",
        &url,
    ]);
    // Solve the week of 2026-11-23 and publish it, as a coordinator would.
    let first = tmp.path().join("week1.json");
    run_ok(&[
        "solve",
        "--database-url",
        &url,
        "--from",
        "2026-11-23",
        "--quiet",
        "--out",
        first.to_str().unwrap(),
    ]);
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&first).unwrap()).unwrap();
    let assignments: Vec<zhiban_domain::Assignment> =
        serde_json::from_value(v["roster"]["assignments"].clone()).unwrap();
    let primaries = assignments
        .iter()
        .filter(|a| a.role == zhiban_domain::Role::Primary)
        .count();
    assert!(primaries > 0);
    let store = zhiban_store::connect(&url).await.unwrap();
    store
        .create_version(
            &zhiban_store::NewVersion {
                roster: zhiban_store::RosterRef::New {
                    centre_id: zhiban_domain::CentreId::parse("CH").unwrap(),
                    from: chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
                    weeks: 1,
                },
                based_on: None,
                origin: zhiban_store::VersionOrigin::Solve,
                report: zhiban_domain::SolveReport::not_solved(Default::default()),
                assignments: assignments.clone(),
                pins: Default::default(),
                publish: true,
                created_by: "test".into(),
                now: chrono::Utc::now(),
            },
            &zhiban_store::Audit {
                actor: "test".into(),
                centre_id: None,
                action: "test".into(),
                target: String::new(),
                detail: serde_json::Value::Null,
            },
        )
        .await
        .unwrap();
    drop(store);
    // The next week: the published week is history, and each lawyer's report shows theirs.
    let second = tmp.path().join("week2.json");
    let out = run_ok(&[
        "solve",
        "--database-url",
        &url,
        "--from",
        "2026-11-30",
        "--quiet",
        "--out",
        second.to_str().unwrap(),
    ]);
    assert!(
        out.contains(&format!("history: {primaries} published duties from")),
        "{out}"
    );
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&second).unwrap()).unwrap();
    let lawyers = v["report"]["lawyers"].as_array().unwrap();
    let history: u64 = lawyers.iter().map(|l| l["history"].as_u64().unwrap()).sum();
    assert_eq!(history as usize, primaries, "{lawyers:#?}");
    for l in lawyers {
        let id = l["lawyer_id"].as_str().unwrap();
        let did = assignments
            .iter()
            .filter(|a| a.role == zhiban_domain::Role::Primary && a.lawyer_id.as_str() == id)
            .count();
        assert_eq!(l["history"].as_u64().unwrap() as usize, did, "{id}");
    }
    // A data-set folder has no rosters and says nothing of history.
    let out = run_ok(&[
        "solve",
        "--input",
        fixture("small").to_str().unwrap(),
        "--from",
        "2026-11-30",
        "--quiet",
    ]);
    assert!(!out.contains("history:"), "{out}");
}

#[test]
fn user_create_prints_a_one_time_code_on_its_last_line_and_reset_replaces_it() {
    let tmp = tempfile::tempdir().unwrap();
    let url = db_url(tmp.path());
    run_ok(&[
        "import",
        fixture("small").to_str().unwrap(),
        "--database-url",
        &url,
    ]);
    let err = run_err(&[
        "user",
        "create",
        "--login",
        "coord.li",
        "--role",
        "coordinator",
        "--database-url",
        &url,
    ]);
    assert!(err.contains("--centre"), "{err}");
    let err = run_err(&[
        "user",
        "create",
        "--login",
        "x y",
        "--role",
        "admin",
        "--database-url",
        &url,
    ]);
    assert!(err.contains("--login"), "{err}");
    let out = run_ok(&[
        "user",
        "create",
        "--login",
        "Coord.Li",
        "--role",
        "coordinator",
        "--centre",
        "CH",
        "--name",
        "李协调员",
        "--database-url",
        &url,
    ]);
    let code = out.lines().last().unwrap().trim().to_string();
    let normal = zhiban_domain::account::normalize_code(&code).unwrap_or_else(|| panic!("{out}"));
    let err = run_err(&[
        "user",
        "create",
        "--login",
        "coord.li",
        "--role",
        "finance",
        "--centre",
        "CH",
        "--database-url",
        &url,
    ]);
    assert!(err.contains("exists already"), "{err}");
    let again = run_ok(&[
        "user",
        "reset",
        "--login",
        "coord.li",
        "--database-url",
        &url,
    ]);
    let second = again.lines().last().unwrap().trim().to_string();
    assert_ne!(second, code);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = zhiban_store::connect(&url).await.unwrap();
        let u = store.user_by_login("coord.li").await.unwrap().unwrap();
        assert_eq!(u.display_name, "李协调员");
        assert_eq!(u.centres.len(), 1);
        let now = chrono::Utc::now();
        let hash = |c: &str| zhiban_api::auth::hash_token(c);
        // Only the latest code opens the account, and only its hash is stored.
        assert!(
            store
                .user_by_code(&hash(&normal), now)
                .await
                .unwrap()
                .is_none()
        );
        let latest = zhiban_domain::account::normalize_code(&second).unwrap();
        assert!(
            store
                .user_by_code(&hash(&latest), now)
                .await
                .unwrap()
                .is_some()
        );
        let dump = zhiban_store::render_dump(&store.dump_tables().await.unwrap());
        assert!(!dump.contains(&latest) && !dump.contains(&second));
    });
}
