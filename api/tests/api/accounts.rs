// Over the ~600-line sizing rule on purpose: one scenario per account rule, each on both databases; the sign-in helpers are in people.rs.
//! People's accounts through the real router: invitation → password → sign-in → sign-out;
//! resets end sessions; the brute-force delay and its expiry on the server's clock; CSRF;
//! a director's reach; who may manage whose account.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use zhiban_store::TokenRole;

use crate::helpers::*;
use crate::people::*;

on_both!(
    an_invited_lawyer_sets_a_password_signs_in_and_out,
    a_reset_ends_every_session_and_the_old_password,
    repeated_failures_wait_a_growing_delay_that_expires,
    cookie_changes_need_the_csrf_token_from_the_same_site,
    a_director_reads_the_centres_below_and_changes_nothing,
    a_coordinator_manages_only_accounts_of_their_own_centre,
    an_admin_makes_lists_and_revokes_machine_tokens,
    a_firm_admin_sees_and_keeps_only_their_firms_lawyers,
);

async fn an_invited_lawyer_sets_a_password_signs_in_and_out(backend: Backend) {
    let t = TestApp::on(backend, "small").await;
    let coord = t.token(TokenRole::Coordinator, Some("CH"), None).await;
    let (id, code) = invite(
        &t,
        &coord,
        json!({"login": "13800138000", "role": "lawyer", "lawyer_id": "CH-L01"}),
    )
    .await;
    assert_eq!(code.len(), 14, "{code}");
    // Not yet: an invited account has no password.
    assert_eq!(
        login(&t, "13800138000", "a good long password")
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    // A weak password is refused naming the field, and the code stays usable.
    let weak = activate(&t, &code, "12345678").await;
    assert_eq!(weak.status, StatusCode::BAD_REQUEST, "{}", weak.body);
    assert!(weak.body.to_string().contains("password"), "{}", weak.body);
    let ok = activate(&t, &code.to_lowercase(), "值班律师很辛苦啊").await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert_eq!(ok.body["state"], "active");
    // The code is used up.
    assert_eq!(
        activate(&t, &code, "another good password").await.status,
        StatusCode::NOT_FOUND
    );
    let b = signed_in(&t, " 13800138000 ", "值班律师很辛苦啊").await;
    let me = page(&t, &b, Method::GET, "/api/v1/me", None).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    assert_eq!(
        (
            s(&me.body["kind"]),
            s(&me.body["role"]),
            s(&me.body["lawyer_id"])
        ),
        ("session".into(), "lawyer".into(), "CH-L01".into())
    );
    assert_eq!(me.body["user"]["id"], id);
    // The lawyer's own duties work through the cookie like a lawyer token.
    let duties = page(&t, &b, Method::GET, "/api/v1/me/duties", None).await;
    assert_eq!(duties.status, StatusCode::OK, "{}", duties.body);
    let sessions = page(&t, &b, Method::GET, "/api/v1/me/sessions", None).await;
    assert_eq!(sessions.body.as_array().unwrap().len(), 1);
    assert_eq!(sessions.body[0]["current"], true);
    let out = page(&t, &b, Method::POST, "/api/v1/auth/logout", None).await;
    assert_eq!(out.status, StatusCode::NO_CONTENT, "{}", out.body);
    assert!(
        out.headers["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    let after = page(&t, &b, Method::GET, "/api/v1/me", None).await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
    // The audit log has the invitation, activation, sign-in and sign-out, and no secret.
    let admin = t.token(TokenRole::Admin, None, None).await;
    let log = t
        .get("/api/v1/audit?limit=50", &admin)
        .await
        .body
        .to_string();
    for action in ["user.invite", "auth.activate", "auth.login", "auth.logout"] {
        assert!(log.contains(action), "{action} missing: {log}");
    }
    assert!(!log.contains(&code) && !log.contains("值班律师很辛苦啊") && !log.contains(&b.csrf));
}

async fn a_reset_ends_every_session_and_the_old_password(backend: Backend) {
    let t = TestApp::on(backend, "small").await;
    let admin = t.token(TokenRole::Admin, None, None).await;
    let (id, code) = invite(
        &t,
        &admin,
        json!({"login": "finance.li", "role": "finance", "centres": ["CH"], "display_name": "李会计"}),
    )
    .await;
    assert_eq!(
        activate(&t, &code, "first good password").await.status,
        StatusCode::OK
    );
    let a = signed_in(&t, "finance.li", "first good password").await;
    let b = signed_in(&t, "finance.li", "first good password").await;
    let reset = t
        .post(&format!("/api/v1/users/{id}/reset"), &admin, json!({}))
        .await;
    assert_eq!(reset.status, StatusCode::OK, "{}", reset.body);
    assert_eq!(reset.body["state"], "invited");
    for x in [&a, &b] {
        assert_eq!(
            page(&t, x, Method::GET, "/api/v1/me", None).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        login(&t, "finance.li", "first good password").await.status,
        StatusCode::UNAUTHORIZED
    );
    let code = s(&reset.body["invitation_code"]);
    assert_eq!(
        activate(&t, &code, "second good password").await.status,
        StatusCode::OK
    );
    // A password change ends every session too, the one making it included.
    let c = signed_in(&t, "finance.li", "second good password").await;
    let d = signed_in(&t, "finance.li", "second good password").await;
    let wrong = page(
        &t,
        &c,
        Method::POST,
        "/api/v1/me/password",
        Some(json!({"current": "not it at all", "new": "third good password"})),
    )
    .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST, "{}", wrong.body);
    let changed = page(
        &t,
        &c,
        Method::POST,
        "/api/v1/me/password",
        Some(json!({"current": "second good password", "new": "third good password"})),
    )
    .await;
    assert_eq!(changed.status, StatusCode::NO_CONTENT, "{}", changed.body);
    for x in [&c, &d] {
        assert_eq!(
            page(&t, x, Method::GET, "/api/v1/me", None).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    signed_in(&t, "finance.li", "third good password").await;
}

async fn repeated_failures_wait_a_growing_delay_that_expires(backend: Backend) {
    let t = TestApp::on(backend, "small").await;
    let admin = t.token(TokenRole::Admin, None, None).await;
    let (_, code) = invite(&t, &admin, json!({"login": "admin.wang", "role": "admin"})).await;
    assert_eq!(
        activate(&t, &code, "a good admin password").await.status,
        StatusCode::OK
    );
    let start = chrono::Utc::now();
    t.set_time(Some(start));
    // An unknown name and a wrong password get the same answer.
    let unknown = login(&t, "nobody.here", "a good admin password").await;
    let wrong = login(&t, "admin.wang", "not the password").await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.body["detail"], wrong.body["detail"]);
    for _ in 0..4 {
        assert_eq!(
            login(&t, "admin.wang", "not the password").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    // Five failures: even the right password waits now, and so would any attempt.
    let locked = login(&t, "ADMIN.wang", "a good admin password").await;
    assert_eq!(
        locked.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        locked.body
    );
    // Other names are not affected.
    assert_eq!(
        login(&t, "nobody.here", "x").await.status,
        StatusCode::UNAUTHORIZED
    );
    // The delay is counted on the server's clock: after it, the right password works.
    t.set_time(Some(start + chrono::Duration::minutes(2)));
    signed_in(&t, "admin.wang", "a good admin password").await;
    // Guessing codes is slowed the same way, per address.
    for _ in 0..20 {
        assert_eq!(
            activate(&t, "AAAA-AAAA-AAAA", "a good admin password")
                .await
                .status,
            StatusCode::NOT_FOUND
        );
    }
    assert_eq!(
        activate(&t, "AAAA-AAAA-AAAA", "a good admin password")
            .await
            .status,
        StatusCode::TOO_MANY_REQUESTS
    );
    let log = t
        .get("/api/v1/audit?limit=100", &admin)
        .await
        .body
        .to_string();
    assert!(log.contains("auth.login_failed") && !log.contains("not the password"));
}

async fn cookie_changes_need_the_csrf_token_from_the_same_site(backend: Backend) {
    let t = TestApp::on(backend, "small").await;
    let admin = t.token(TokenRole::Admin, None, None).await;
    let (_, code) = invite(
        &t,
        &admin,
        json!({"login": "coord.zhao", "role": "coordinator", "centres": ["CH"]}),
    )
    .await;
    assert_eq!(
        activate(&t, &code, "coordinator password").await.status,
        StatusCode::OK
    );
    let b = signed_in(&t, "coord.zhao", "coordinator password").await;
    let body = json!({"login": "new.lawyer", "role": "lawyer", "lawyer_id": "CH-L02"});
    let try_with = |headers: Vec<(&'static str, String)>| {
        let body = body.clone();
        let t = &t;
        async move {
            let h: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
            t.call_with(Method::POST, "/api/v1/users", None, Some(body), &h)
                .await
        }
    };
    let cookie = || ("cookie", b.cookie.clone());
    let host = || ("host", "zhiban.test".to_string());
    // No token.
    let r = try_with(vec![cookie(), host()]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    // A wrong token.
    let r = try_with(vec![cookie(), host(), ("x-csrf-token", "zb_wrong".into())]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // The right token from another site.
    let csrf = || ("x-csrf-token", b.csrf.clone());
    let r = try_with(vec![
        cookie(),
        host(),
        csrf(),
        ("origin", "https://evil.test".into()),
    ])
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = try_with(vec![
        cookie(),
        host(),
        csrf(),
        ("sec-fetch-site", "cross-site".into()),
    ])
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // None of those made anything.
    let users = t.get("/api/v1/users", &admin).await;
    assert_eq!(users.body["total"], 1, "{}", users.body);
    // The page itself.
    let r = try_with(vec![
        cookie(),
        host(),
        csrf(),
        ("origin", "https://zhiban.test".into()),
        ("sec-fetch-site", "same-origin".into()),
    ])
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    // Reads need no CSRF token.
    let read = t
        .call_with(
            Method::GET,
            "/api/v1/users",
            None,
            None,
            &[("cookie", &b.cookie)],
        )
        .await;
    assert_eq!(read.status, StatusCode::OK);
}

async fn a_director_reads_the_centres_below_and_changes_nothing(backend: Backend) {
    let t = TestApp::on(backend, "guangzhou").await;
    let admin = t.token(TokenRole::Admin, None, None).await;
    // A coordinator of GZ-TH cannot make a director.
    let coord = t.token(TokenRole::Coordinator, Some("GZ-TH"), None).await;
    let refused = t
        .post(
            "/api/v1/users",
            &coord,
            json!({"login": "director.th", "role": "director", "centres": ["GZ-TH"]}),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    let (_, code) = invite(
        &t,
        &admin,
        json!({"login": "director.gz", "role": "director", "centres": ["GZ"]}),
    )
    .await;
    assert_eq!(
        activate(&t, &code, "director password").await.status,
        StatusCode::OK
    );
    let b = signed_in(&t, "director.gz", "director password").await;
    let me = page(&t, &b, Method::GET, "/api/v1/me", None).await;
    let reach: Vec<String> = me.body["centres"]
        .as_array()
        .unwrap()
        .iter()
        .map(s)
        .collect();
    assert!(
        reach.contains(&"GZ".into()) && reach.contains(&"GZ-TH".into()),
        "{reach:?}"
    );
    assert!(reach.iter().all(|c| c.starts_with("GZ")), "{reach:?}");
    // Reads of a district below.
    let policy = page(&t, &b, Method::GET, "/api/v1/centres/GZ-TH/policy", None).await;
    assert_eq!(policy.status, StatusCode::OK, "{}", policy.body);
    let duties = page(&t, &b, Method::GET, "/api/v1/duties?centre_id=GZ-TH", None).await;
    assert_eq!(duties.status, StatusCode::OK, "{}", duties.body);
    // No change, even with the CSRF token.
    let r = page(
        &t,
        &b,
        Method::POST,
        "/api/v1/rosters",
        Some(json!({"centre_id": "GZ-TH", "from": next_monday(), "weeks": 1})),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    // A director of one district sees that district only.
    let (_, code) = invite(
        &t,
        &admin,
        json!({"login": "director.th", "role": "director", "centres": ["GZ-TH"]}),
    )
    .await;
    assert_eq!(
        activate(&t, &code, "director password").await.status,
        StatusCode::OK
    );
    let th = signed_in(&t, "director.th", "director password").await;
    let other = page(&t, &th, Method::GET, "/api/v1/centres/GZ-CH/policy", None).await;
    assert_eq!(other.status, StatusCode::NOT_FOUND, "{}", other.body);
    let own = page(&t, &th, Method::GET, "/api/v1/centres/GZ-TH/policy", None).await;
    assert_eq!(own.status, StatusCode::OK);
}

async fn a_coordinator_manages_only_accounts_of_their_own_centre(backend: Backend) {
    let t = TestApp::on(backend, "guangzhou").await;
    let admin = t.token(TokenRole::Admin, None, None).await;
    let th = t.token(TokenRole::Coordinator, Some("GZ-TH"), None).await;
    let ch = t.token(TokenRole::Coordinator, Some("GZ-CH"), None).await;
    let la = s(&t
        .get("/api/v1/lawyers?centre_id=GZ-TH&limit=1", &admin)
        .await
        .body["items"][0]["id"]);
    let (id, _) = invite(
        &t,
        &th,
        json!({"login": format!("{la}-acct"), "role": "lawyer", "lawyer_id": la}),
    )
    .await;
    // One account per lawyer, one per login name.
    let again = t
        .post(
            "/api/v1/users",
            &th,
            json!({"login": "someone.else", "role": "lawyer", "lawyer_id": la}),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
    // Another district's coordinator can neither see nor reset it.
    let listed = t.get("/api/v1/users", &ch).await;
    assert_eq!(listed.body["total"], 0, "{}", listed.body);
    let r = t
        .post(&format!("/api/v1/users/{id}/reset"), &ch, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    // Nor make an account for a lawyer of GZ-TH, nor an admin.
    let r = t
        .post(
            "/api/v1/users",
            &ch,
            json!({"login": "x-th-lawyer", "role": "lawyer", "lawyer_id": la}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = t
        .post(
            "/api/v1/users",
            &ch,
            json!({"login": "root2", "role": "admin"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    // A finance officer manages no accounts.
    let fin = t.token(TokenRole::Finance, Some("GZ-TH"), None).await;
    assert_eq!(
        t.get("/api/v1/users", &fin).await.status,
        StatusCode::FORBIDDEN
    );
    // Every lawyer of the panel without an account, at once, by licence number.
    let bulk = t
        .post(
            "/api/v1/users/lawyers",
            &th,
            json!({"centre_id": "GZ-TH", "login_from": "licence"}),
        )
        .await;
    assert_eq!(bulk.status, StatusCode::OK, "{}", bulk.body);
    let made = bulk.body["created"].as_array().unwrap();
    assert!(!made.is_empty());
    assert!(
        made.iter()
            .all(|u| u["invitation_code"].as_str().unwrap().len() == 14)
    );
    assert!(made.iter().all(|u| u["lawyer_id"] != la.as_str()));
    let listed = t.get("/api/v1/users?limit=500", &th).await;
    assert_eq!(listed.body["total"], made.len() + 1, "{}", listed.body);
    // Locking ends sign-in; the coordinator unlocks after a reset only.
    let r = t
        .post(
            &format!("/api/v1/users/{id}/state"),
            &th,
            json!({"state": "active"}),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::CONFLICT,
        "an invited account has no password: {}",
        r.body
    );
}

async fn an_admin_makes_lists_and_revokes_machine_tokens(backend: Backend) {
    let t = TestApp::on(backend, "small").await;
    let admin = t.token(TokenRole::Admin, None, None).await;
    let refused = t
        .post(
            "/api/v1/tokens",
            &admin,
            json!({"role": "director", "label": "x"}),
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
    let refused = t
        .post(
            "/api/v1/tokens",
            &admin,
            json!({"role": "coordinator", "label": "统计脚本"}),
        )
        .await;
    assert!(
        refused.body.to_string().contains("centre_id"),
        "{}",
        refused.body
    );
    let made = t
        .post(
            "/api/v1/tokens",
            &admin,
            json!({"role": "coordinator", "centre_id": "CH", "label": "统计脚本"}),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let (id, token) = (made.body["id"].as_i64().unwrap(), s(&made.body["token"]));
    let row = |list: &Value| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .cloned()
            .unwrap()
    };
    let list = t.get("/api/v1/tokens", &admin).await.body;
    assert!(row(&list)["last_used_at"].is_null());
    assert!(
        !list.to_string().contains(&token),
        "the token is shown once only"
    );
    assert_eq!(t.get("/api/v1/me", &token).await.status, StatusCode::OK);
    let list = t.get("/api/v1/tokens", &admin).await.body;
    assert!(row(&list)["last_used_at"].is_string(), "{list}");
    // Only admins manage tokens.
    assert_eq!(
        t.get("/api/v1/tokens", &token).await.status,
        StatusCode::FORBIDDEN
    );
    let gone = t
        .call(
            Method::DELETE,
            &format!("/api/v1/tokens/{id}"),
            &admin,
            None,
        )
        .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    assert_eq!(
        t.get("/api/v1/me", &token).await.status,
        StatusCode::UNAUTHORIZED
    );
    let list = t.get("/api/v1/tokens", &admin).await.body;
    assert!(row(&list)["revoked_at"].is_string());
    let again = t
        .call(
            Method::DELETE,
            &format!("/api/v1/tokens/{id}"),
            &admin,
            None,
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
}

async fn a_firm_admin_sees_and_keeps_only_their_firms_lawyers(backend: Backend) {
    let t = TestApp::on(backend, "small").await;
    let coord = t.token(TokenRole::Coordinator, Some("CH"), None).await;
    let (_, code) = invite(
        &t,
        &coord,
        json!({"login": "firm.f01", "role": "firm_admin", "firm_id": "CH-F01"}),
    )
    .await;
    assert_eq!(
        activate(&t, &code, "firm admin password").await.status,
        StatusCode::OK
    );
    let b = signed_in(&t, "firm.f01", "firm admin password").await;
    let list = page(&t, &b, Method::GET, "/api/v1/lawyers?limit=500", None).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    let firms: Vec<String> = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| s(&l["firm_id"]))
        .collect();
    assert!(
        !firms.is_empty() && firms.iter().all(|f| f == "CH-F01"),
        "{firms:?}"
    );
    // Their lawyer's availability: read and replaced.
    let mine = page(
        &t,
        &b,
        Method::GET,
        "/api/v1/lawyers/CH-L01/availability",
        None,
    )
    .await;
    assert_eq!(mine.status, StatusCode::OK, "{}", mine.body);
    let put = page(
        &t,
        &b,
        Method::PUT,
        "/api/v1/lawyers/CH-L01/availability",
        Some(json!({"weekly": [], "leave": [], "preferences": []})),
    )
    .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.body);
    // Another firm's lawyer does not exist for them, and nothing of rosters or money opens.
    for uri in [
        "/api/v1/lawyers/CH-L06",
        "/api/v1/lawyers/CH-L06/availability",
    ] {
        let r = page(&t, &b, Method::GET, uri, None).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{uri}: {}", r.body);
    }
    let other = page(
        &t,
        &b,
        Method::PUT,
        "/api/v1/lawyers/CH-L06/availability",
        Some(json!({"weekly": [], "leave": [], "preferences": []})),
    )
    .await;
    assert_eq!(other.status, StatusCode::NOT_FOUND, "{}", other.body);
    for uri in [
        "/api/v1/duties",
        "/api/v1/users",
        "/api/v1/centres/CH/policy",
    ] {
        let r = page(&t, &b, Method::GET, uri, None).await;
        assert!(
            [StatusCode::FORBIDDEN, StatusCode::NOT_FOUND].contains(&r.status),
            "{uri}: {} {}",
            r.status,
            r.body
        );
    }
}
