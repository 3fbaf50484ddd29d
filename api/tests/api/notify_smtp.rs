//! E-mail to a real SMTP server on loopback (Python's aiosmtpd, read back by Python's own
//! e-mail parser): one message per lawyer, the Chinese subject and body encoded correctly,
//! on both databases; and over STARTTLS with AUTH against a server whose certificate a
//! test authority signed (no password ever in clear text).

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use std::sync::Arc;
use zhiban_api::notify::Config;
use zhiban_store::TokenRole;

use crate::helpers::*;
use crate::notify_channels::{config, drain, log, put, week};

on_both!(e_mail_reaches_each_lawyer_over_a_real_smtp_server_in_chinese);

/// A real SMTP server (aiosmtpd) on a free loopback port, keeping messages in a folder.
pub(crate) struct Smtp {
    pub(crate) port: u16,
    dir: tempfile::TempDir,
    child: std::process::Child,
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn sink() -> String {
    format!("{}/tests/tools/smtp_sink.py", env!("CARGO_MANIFEST_DIR"))
}

pub(crate) fn smtp() -> Smtp {
    smtp_with(&[])
}

/// A real SMTP server; with `[cert, key, user, password]`, STARTTLS and AUTH required.
fn smtp_with(tls: &[&str]) -> Smtp {
    use std::io::BufRead;
    let python = std::env::var("ZHIBAN_PYTHON").expect("ZHIBAN_PYTHON (scripts/test sets it)");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(&python)
        .args([
            &sink(),
            "serve",
            &port.to_string(),
            dir.path().to_str().unwrap(),
        ])
        .args(tls)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python with aiosmtpd");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line.trim(), "ready", "the SMTP server started");
    Smtp { port, dir, child }
}

impl Smtp {
    /// What it got, decoded by Python's e-mail package, once `n` messages are in.
    pub(crate) async fn messages(&self, n: usize) -> Vec<Value> {
        for _ in 0..100 {
            let count = std::fs::read_dir(self.dir.path())
                .unwrap()
                .filter(|e| {
                    e.as_ref()
                        .unwrap()
                        .path()
                        .extension()
                        .is_some_and(|x| x == "eml")
                })
                .count();
            if count >= n {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let python = std::env::var("ZHIBAN_PYTHON").unwrap();
        let out = std::process::Command::new(python)
            .args([&sink(), "read", self.dir.path().to_str().unwrap()])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<Value>(&out.stdout)
            .unwrap()
            .as_array()
            .unwrap()
            .clone()
    }
}

async fn e_mail_reaches_each_lawyer_over_a_real_smtp_server_in_chinese(backend: Backend) {
    let mut t = TestApp::on(backend, "small").await;
    t.set_notify(config(None));
    let coord = t.token(TokenRole::Coordinator, Some("CH"), None).await;
    let server = smtp();
    let r = put(
        &t,
        "/api/v1/centres/CH/channels/email",
        &coord,
        json!({"settings": {"url": format!("smtp://127.0.0.1:{}", server.port),
            "from": "从化值班系统 <duty@zhiban.test>"}}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // Addresses are a panel field, checked.
    let lawyers = t
        .get("/api/v1/lawyers?centre_id=CH&limit=500", &coord)
        .await
        .body;
    let ids: Vec<String> = lawyers["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| s(&l["id"]))
        .collect();
    let r = t
        .call(
            Method::PATCH,
            &format!("/api/v1/lawyers/{}", ids[0]),
            &coord,
            Some(json!({"email": "not an address"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.to_string().contains("email"), "{}", r.body);
    for (i, id) in ids.iter().enumerate() {
        let r = t
            .call(
                Method::PATCH,
                &format!("/api/v1/lawyers/{id}"),
                &coord,
                Some(json!({"email": format!("lawyer{i}@firm.test")})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["record"]["email"], format!("lawyer{i}@firm.test"));
    }
    // Finance staff do not see addresses (nor phones).
    let finance = t.token(TokenRole::Finance, Some("CH"), None).await;
    let seen = t
        .get(&format!("/api/v1/lawyers/{}", ids[0]), &finance)
        .await
        .body;
    assert_eq!(seen["email"], "", "{seen}");
    assert_eq!(seen["phone"], "", "{seen}");
    let (v, _) = week(&t, &coord).await;
    // Duties and backups: each lawyer on the roster.
    let all = t.assignments(&coord, v).await;
    let mut on_duty: Vec<String> = all.iter().map(|d| s(&d["lawyer_id"])).collect();
    on_duty.sort();
    on_duty.dedup();
    drain(&t, local("2026-10-08", "08:01")).await;
    let got = server.messages(on_duty.len()).await;
    assert_eq!(
        got.len(),
        on_duty.len(),
        "one e-mail per lawyer on duty: {got:?}"
    );
    let published: Vec<Value> = log(&t, &coord)
        .await
        .into_iter()
        .filter(|n| n["event"] == "roster_published")
        .collect();
    for m in &got {
        let rcpt = m["rcpt"].as_array().unwrap();
        assert_eq!(rcpt.len(), 1, "one recipient a message: {m}");
        let address = s(&rcpt[0]);
        let i: usize = address
            .trim_start_matches("lawyer")
            .split('@')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let n = published
            .iter()
            .find(|n| n["lawyer_id"] == ids[i].as_str())
            .expect("their message");
        assert_eq!(
            m["subject"], n["subject"],
            "the Chinese subject decoded: {m}"
        );
        let start: String = s(&n["body"]).chars().take(20).collect();
        assert!(s(&m["body"]).contains(&start), "{m}");
        assert!(
            s(&m["body"]).contains("https://zhiban.example.cn/#view=mine"),
            "{m}"
        );
        assert_eq!(m["charset"], "utf-8");
        assert!(s(&m["from"]).contains("从化值班系统"), "{m}");
        // Encoded on the wire (RFC 2047), never raw bytes in a header.
        let headers = s(&m["headers"]);
        assert!(
            headers.is_ascii() && headers.contains("=?utf-8?"),
            "{headers}"
        );
        assert_eq!(
            m["message_id"],
            format!("<{}@zhiban>", s(&n["idempotency_key"]))
        );
        assert_eq!(n["channel"], "email", "{n}");
    }
}

/// A test certificate authority and a certificate it signed for 127.0.0.1, by openssl:
/// (folder, CA PEM, certificate path, key path).
fn certificates() -> (tempfile::TempDir, String, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap().to_string();
    let script = [
        "set -e",
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=zhiban-test-ca",
        "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout leaf.key -out leaf.csr -subj /CN=127.0.0.1",
        "printf 'subjectAltName=IP:127.0.0.1\\nbasicConstraints=CA:FALSE\\nextendedKeyUsage=serverAuth\\n' > ext",
        "openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out leaf.pem -days 2 -extfile ext",
    ]
    .join("\n");
    let out = std::process::Command::new("sh")
        .args(["-c", &script])
        .current_dir(&d)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ca = std::fs::read_to_string(dir.path().join("ca.pem")).unwrap();
    (dir, ca, format!("{d}/leaf.pem"), format!("{d}/leaf.key"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn e_mail_goes_over_starttls_with_auth_and_a_wrong_password_is_retried() {
    let (_certs, ca, cert, key) = certificates();
    let server = smtp_with(&[&cert, &key, "duty", "pw-of-the-test"]);
    let url = format!("smtp://duty@127.0.0.1:{}?tls=required", server.port);
    let mut t = TestApp::on(Backend::Sqlite, "small").await;
    let coord = t.token(TokenRole::Coordinator, Some("CH"), None).await;
    // The server's default channel: STARTTLS required, AUTH, the city's own authority.
    let with_password = |password: &str| {
        let email = zhiban_api::notify::channels::Email::new(
            &url,
            "值班系统 <duty@zhiban.test>",
            Some(password),
            "",
            Some(&ca),
        )
        .unwrap();
        let mut c: Config = config(None);
        c.server.insert("email", Arc::new(email));
        c
    };
    t.set_notify(with_password("a wrong password"));
    let (v, _) = week(&t, &coord).await;
    // Two lawyers on the roster have addresses (a refused login waits out lettre's 10 s).
    let mut on_duty: Vec<String> = t
        .assignments(&coord, v)
        .await
        .iter()
        .map(|a| s(&a["lawyer_id"]))
        .collect();
    on_duty.sort();
    on_duty.dedup();
    on_duty.truncate(2);
    for (i, l) in on_duty.iter().enumerate() {
        let r = t
            .call(
                Method::PATCH,
                &format!("/api/v1/lawyers/{l}"),
                &coord,
                Some(json!({"email": format!("lawyer{i}@firm.test")})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    // Refused: each message waits for its retry, with why.
    drain(&t, local("2026-10-08", "08:01")).await;
    let failed: Vec<Value> = log(&t, &coord)
        .await
        .into_iter()
        .filter(|n| n["event"] == "roster_published" && on_duty.contains(&s(&n["lawyer_id"])))
        .collect();
    assert_eq!(failed.len(), 2);
    assert!(
        failed
            .iter()
            .all(|n| n["status"] == "pending" && n["attempts"] == 1),
        "{failed:?}"
    );
    assert!(
        s(&failed[0]["last_error"]).contains("email"),
        "{}",
        failed[0]
    );
    assert!(!s(&failed[0]["last_error"]).contains("a wrong password"));
    // The right password: at the retry each goes, encrypted and signed in.
    t.set_notify(with_password("pw-of-the-test"));
    drain(&t, local("2026-10-08", "08:03")).await;
    // (Any left for a later batch go once their lease has run out.)
    drain(&t, local("2026-10-08", "08:06")).await;
    let got = server.messages(on_duty.len()).await;
    assert_eq!(got.len(), on_duty.len(), "{got:?}");
    assert!(
        got.iter()
            .all(|m| s(&m["subject"]).contains("值班安排已发布"))
    );
    let logins = std::fs::read_to_string(server.dir.path().join("auth.log")).unwrap();
    assert!(logins.lines().any(|l| l.ends_with("duty ok")), "{logins}");
    assert!(
        logins.lines().any(|l| l.ends_with("duty refused")),
        "{logins}"
    );
    let sent = log(&t, &coord).await;
    assert!(
        sent.iter()
            .filter(|n| n["event"] == "roster_published" && on_duty.contains(&s(&n["lawyer_id"])))
            .all(|n| n["status"] == "sent" && n["channel"] == "email")
    );
}
