//! Personal data and account administration through the real router, on both databases: a
//! person downloads what is held about them and nothing of anyone else; check-in positions
//! are forgotten after the centre's retention period, keeping the distance and the verdict;
//! phone numbers go only to roles that call lawyers; role changes and lockouts are audited.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use zhiban_store::TokenRole;

use crate::helpers::*;
use crate::people::*;

on_both!(
    a_lawyer_downloads_their_data_and_positions_are_forgotten_after_retention,
    phone_numbers_go_only_to_roles_that_call_lawyers,
    role_changes_are_checked_and_audited,
    a_lockout_is_audited_when_it_starts,
    a_coordinator_reaches_no_other_centre_through_a_firm_administrator,
);

async fn audit_actions(t: &TestApp, admin: &str) -> Vec<(String, String, Value)> {
    let r = t.get("/api/v1/audit?limit=500", admin).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (s(&e["action"]), s(&e["target"]), e["detail"].clone()))
        .collect()
}

async fn a_lawyer_downloads_their_data_and_positions_are_forgotten_after_retention(
    backend: Backend,
) {
    let t = TestApp::on(backend, "small").await;
    let coord = t.token(TokenRole::Coordinator, Some("CH"), None).await;
    let admin = t.token(TokenRole::Admin, None, None).await;
    t.set_time(Some(local("2026-10-01", "08:00")));
    let version = t.solve_and_publish(&coord, "CH", "2026-10-05", 4).await;
    let duties = t.primaries(&coord, version).await;
    let d = duties[0].clone();
    let lawyer = s(&d["lawyer_id"]);
    let (_, code) = invite(
        &t,
        &coord,
        json!({"login": "lawyer.one", "role": "lawyer", "lawyer_id": lawyer}),
    )
    .await;
    assert_eq!(
        activate(&t, &code, "my own duty password").await.status,
        StatusCode::OK
    );
    // A check-in from the lawyer's phone, 30 m north of the station.
    let ((lat, lon), start, _) = small_hours(&d);
    t.set_time(Some(local(&s(&d["date"]), &add_minutes(start, -5))));
    let b = signed_in(&t, "lawyer.one", "my own duty password").await;
    let body = with_duty(
        &d,
        json!({"lat": lat + 0.0003, "lon": lon, "method": "app"}),
    );
    let r = page(&t, &b, Method::POST, "/api/v1/checkins", Some(body)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let checked_in = local(&s(&d["date"]), &add_minutes(start, -5));

    let data = page(&t, &b, Method::GET, "/api/v1/me/data", None).await;
    assert_eq!(data.status, StatusCode::OK, "{}", data.body);
    let disposition = data.headers["content-disposition"].to_str().unwrap();
    assert!(disposition.starts_with("attachment"), "{disposition}");
    let body = &data.body;
    assert_eq!(body["me"]["user"]["login"], "lawyer.one");
    assert_eq!(s(&body["lawyer"]["id"]), lawyer);
    assert!(
        !s(&body["lawyer"]["phone"]).is_empty(),
        "{}",
        body["lawyer"]
    );
    assert_eq!(body["sessions"].as_array().unwrap().len(), 1);
    let mine = |list: &Value| -> Vec<Value> { list.as_array().unwrap().clone() };
    let my_duties = mine(&body["duties"]);
    assert!(!my_duties.is_empty());
    assert!(
        my_duties
            .iter()
            .all(|x| s(&x["assignment"]["lawyer_id"]) == lawyer),
        "only the lawyer's own duties"
    );
    let expected = duties
        .iter()
        .filter(|x| s(&x["lawyer_id"]) == lawyer)
        .count();
    assert!(
        my_duties.len() >= expected,
        "{} < {expected}",
        my_duties.len()
    );
    let check_ins = mine(&body["check_ins"]);
    assert_eq!(check_ins.len(), 1);
    assert!((check_ins[0]["check_in_lat"].as_f64().unwrap() - (lat + 0.0003)).abs() < 1e-9);
    let distance = check_ins[0]["distance_m"].as_f64().unwrap();
    assert!((20.0..50.0).contains(&distance), "{distance}");
    assert!(body["availability"]["weekly"].is_array());
    assert_eq!(body["truncated"], json!([]));
    // What the log holds about them: their sign-in and check-in; their attempts today.
    let actions: Vec<String> = body["audit"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| s(&e["action"]))
        .collect();
    assert!(
        actions.contains(&"auth.login".to_string())
            && actions.contains(&"attendance.check_in".to_string())
            && actions.contains(&"user.invite".to_string()),
        "{actions:?}"
    );
    assert_eq!(
        body["sign_in_attempts"][0]["ok"], true,
        "{}",
        body["sign_in_attempts"]
    );
    // Another lawyer's download holds none of this lawyer's records.
    let other = duties
        .iter()
        .map(|x| s(&x["lawyer_id"]))
        .find(|l| l != &lawyer)
        .unwrap();
    let other_token = t.token(TokenRole::Lawyer, None, Some(&other)).await;
    let theirs = t.get("/api/v1/me/data", &other_token).await;
    assert_eq!(theirs.status, StatusCode::OK, "{}", theirs.body);
    assert_eq!(theirs.body["check_ins"], json!([]));
    assert!(!theirs.body.to_string().contains(&format!("\"{lawyer}\"")));
    // Each download is audited.
    let downloads = audit_actions(&t, &admin)
        .await
        .into_iter()
        .filter(|(a, _, _)| a == "privacy.download")
        .count();
    assert_eq!(downloads, 2);
    // Anonymous: nothing.
    let anon = t
        .call_with(Method::GET, "/api/v1/me/data", None, None, &[])
        .await;
    assert_eq!(anon.status, StatusCode::UNAUTHORIZED);

    forgotten_after_retention(&t, &coord, &admin, checked_in, distance).await;
}

async fn phone_numbers_go_only_to_roles_that_call_lawyers(backend: Backend) {
    let t = TestApp::on(backend, "small").await;
    let uri = "/api/v1/lawyers/CH-L01";
    for (role, centre, lawyer, sees) in [
        (TokenRole::Admin, None, None, true),
        (TokenRole::Coordinator, Some("CH"), None, true),
        (TokenRole::Lawyer, None, Some("CH-L01"), true),
        (TokenRole::Finance, Some("CH"), None, false),
    ] {
        let tok = t.token(role, centre, lawyer).await;
        let one = t.get(uri, &tok).await;
        assert_eq!(one.status, StatusCode::OK, "{role:?}: {}", one.body);
        assert_eq!(!s(&one.body["phone"]).is_empty(), sees, "{role:?}");
        if role != TokenRole::Lawyer {
            let all = t.get("/api/v1/lawyers?centre_id=CH", &tok).await;
            let phones = all.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|l| !s(&l["phone"]).is_empty())
                .count();
            assert_eq!(phones > 0, sees, "{role:?}");
        }
    }
    // A director reads the panel without phone numbers.
    let admin = t.token(TokenRole::Admin, None, None).await;
    let (_, code) = invite(
        &t,
        &admin,
        json!({"login": "director.ch", "role": "director", "centres": ["CH"]}),
    )
    .await;
    activate(&t, &code, "director password").await;
    let b = signed_in(&t, "director.ch", "director password").await;
    let one = page(&t, &b, Method::GET, uri, None).await;
    assert_eq!(one.status, StatusCode::OK, "{}", one.body);
    assert_eq!(one.body["phone"], "");
    // Nor through login names (often mobile numbers) in the accounts or the audit log.
    for uri in ["/api/v1/users", "/api/v1/audit"] {
        let r = page(&t, &b, Method::GET, uri, None).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{uri}: {}", r.body);
    }
}

async fn role_changes_are_checked_and_audited(backend: Backend) {
    let t = TestApp::on(backend, "small").await;
    let admin = t.token(TokenRole::Admin, None, None).await;
    let coord = t.token(TokenRole::Coordinator, Some("CH"), None).await;
    let (staff, code) = invite(
        &t,
        &coord,
        json!({"login": "clerk", "role": "coordinator", "centres": ["CH"]}),
    )
    .await;
    let r = activate(&t, &code, "a quiet desk by the window").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let b = signed_in(&t, "clerk", "a quiet desk by the window").await;
    let uri = format!("/api/v1/users/{staff}/role");
    let put = |tok: &str, body: Value| {
        let (uri, tok) = (uri.clone(), tok.to_string());
        let t = &t;
        async move { t.call(Method::PUT, &uri, &tok, Some(body)).await }
    };
    // The ties a role needs, and only those, named by field.
    let r = put(&coord, json!({"role": "finance"})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body.to_string().contains("centres"), "{}", r.body);
    let r = put(
        &coord,
        json!({"role": "firm_admin", "firm_id": "CH-F01", "centres": ["CH"]}),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    let r = put(
        &coord,
        json!({"role": "finance", "centres": ["CH"], "extra": 1}),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    // A coordinator grants neither admin nor director.
    let r = put(&coord, json!({"role": "director", "centres": ["CH"]})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    // A lawyer who has an account cannot be given a second.
    let (_, _) = invite(
        &t,
        &coord,
        json!({"login": "l01", "role": "lawyer", "lawyer_id": "CH-L01"}),
    )
    .await;
    let r = put(&coord, json!({"role": "lawyer", "lawyer_id": "CH-L01"})).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    // The lawyer's account is filed under the lawyer's centre: its coordinator sees it.
    let log = t.get("/api/v1/audit?limit=100", &coord).await;
    assert!(
        log.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "user.invite" && e["detail"]["lawyer_id"] == "CH-L01"),
        "{}",
        log.body
    );
    // Nobody changes their own role.
    let own = page(
        &t,
        &b,
        Method::PUT,
        &uri,
        Some(json!({"role": "finance", "centres": ["CH"]})),
    )
    .await;
    assert_eq!(own.status, StatusCode::CONFLICT, "{}", own.body);
    // The change holds from the person's next request, and is audited before and after.
    let r = put(&coord, json!({"role": "finance", "centres": ["CH"]})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["role"], "finance");
    let me = page(&t, &b, Method::GET, "/api/v1/me", None).await;
    assert_eq!(me.body["role"], "finance", "{}", me.body);
    let refused = page(
        &t,
        &b,
        Method::POST,
        "/api/v1/users",
        Some(json!({"login": "x2", "role": "finance", "centres": ["CH"]})),
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    let audit = audit_actions(&t, &admin).await;
    let (_, target, detail) = audit
        .iter()
        .find(|(a, _, _)| a == "user.role")
        .expect("a user.role entry");
    assert_eq!(target, &format!("user/{staff}"));
    assert_eq!(detail["from"]["role"], "coordinator");
    assert_eq!(detail["to"]["role"], "finance");
    assert_eq!(detail["to"]["centres"], json!(["CH"]));
}

async fn a_lockout_is_audited_when_it_starts(backend: Backend) {
    let t = TestApp::on(backend, "small").await;
    let admin = t.token(TokenRole::Admin, None, None).await;
    t.set_time(Some(local("2026-10-01", "08:00")));
    for _ in 0..5 {
        let r = login(&t, "nobody.here", "wrong password").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    }
    assert_eq!(
        login(&t, "nobody.here", "wrong password").await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    let audit = audit_actions(&t, &admin).await;
    let failed = audit
        .iter()
        .filter(|(a, _, _)| a == "auth.login_failed")
        .count();
    let lockouts: Vec<_> = audit
        .iter()
        .filter(|(a, _, _)| a == "auth.lockout")
        .collect();
    assert_eq!(failed, 5);
    assert_eq!(lockouts.len(), 1, "{lockouts:?}");
    assert_eq!(lockouts[0].1, "login/nobody.here");
    assert_eq!(lockouts[0].2["by"], "login");
    assert_eq!(lockouts[0].2["failures"], 5);
    assert!(
        !audit
            .iter()
            .any(|(_, _, d)| d.to_string().contains("wrong password"))
    );
}

/// The lawyer's one check-in, at `checked_in` and `distance` metres from the station, keeps
/// its position for the centre's 90 days and then only the distance and the verdict.
async fn forgotten_after_retention(
    t: &TestApp,
    coord: &str,
    admin: &str,
    checked_in: chrono::DateTime<chrono::Utc>,
    distance: f64,
) {
    // The retention period is the centre's, within bounds, named on a bad value.
    let policy = t.get("/api/v1/centres/CH/policy", coord).await.body;
    assert_eq!(policy["position_retention_days"], 90);
    for bad in [0, 3651] {
        let mut p = policy.clone();
        p["position_retention_days"] = json!(bad);
        let r = t
            .call(Method::PUT, "/api/v1/centres/CH/policy", coord, Some(p))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.to_string().contains("position_retention_days"));
    }
    // 89 days on, the position is kept; 91 days on, it is forgotten, and only once.
    t.set_time(Some(checked_in + chrono::Duration::days(89)));
    assert_eq!(
        zhiban_api::retention::forget_old_positions(&t.state)
            .await
            .unwrap(),
        0
    );
    t.set_time(Some(checked_in + chrono::Duration::days(91)));
    assert_eq!(
        zhiban_api::retention::forget_old_positions(&t.state)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        zhiban_api::retention::forget_old_positions(&t.state)
            .await
            .unwrap(),
        0
    );
    let b = signed_in(t, "lawyer.one", "my own duty password").await;
    let after = page(t, &b, Method::GET, "/api/v1/me/data", None).await;
    let c = &after.body["check_ins"][0];
    assert!(
        c["check_in_lat"].is_null() && c["check_in_lon"].is_null(),
        "{c}"
    );
    assert_eq!(c["distance_m"].as_f64().unwrap(), distance);
    assert_eq!(c["outside_geofence"], false);
    let audit = audit_actions(t, admin).await;
    let forgot: Vec<_> = audit
        .iter()
        .filter(|(a, _, _)| a == "privacy.positions_forgotten")
        .collect();
    assert_eq!(forgot.len(), 1, "{forgot:?}");
    assert_eq!(forgot[0].2["forgotten"], 1);
    assert_eq!(forgot[0].2["retention_days"], 90);
}

async fn a_coordinator_reaches_no_other_centre_through_a_firm_administrator(backend: Backend) {
    let t = TestApp::on(backend, "guangzhou").await;
    let admin = t.token(TokenRole::Admin, None, None).await;
    let coord = t.token(TokenRole::Coordinator, Some("GZ-TH"), None).await;
    // A firm with lawyers on GZ-TH's panel and on another's: one of GZ-CH's lawyers joins
    // a firm of GZ-TH's.
    let mut ds = t.store.export_dataset().await.unwrap();
    let shared = ds
        .lawyers
        .iter()
        .find(|l| l.home_centre_id.as_str() == "GZ-TH")
        .unwrap()
        .firm_id
        .clone();
    let mover = ds
        .lawyers
        .iter_mut()
        .find(|l| l.home_centre_id.as_str() == "GZ-CH")
        .unwrap();
    mover.firm_id = shared.clone();
    t.store.import_dataset(&ds).await.unwrap();
    let mut firms: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> =
        Default::default();
    for l in &ds.lawyers {
        firms
            .entry(l.firm_id.to_string())
            .or_default()
            .insert(l.home_centre_id.to_string());
    }
    let shared = shared.to_string();
    let body = json!({"login": "firm.shared", "role": "firm_admin", "firm_id": shared});
    let r = t.post("/api/v1/users", &coord, body.clone()).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    // An admin makes it; the coordinator can neither reset it nor change its role.
    let made = t.post("/api/v1/users", &admin, body).await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let id = made.body["id"].as_i64().unwrap();
    let r = t
        .post(&format!("/api/v1/users/{id}/reset"), &coord, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    // An unknown lawyer and another centre's lawyer answer alike: no oracle on codes.
    let (_, code) = invite(
        &t,
        &coord,
        json!({"login": "clerk.th", "role": "finance", "centres": ["GZ-TH"]}),
    )
    .await;
    assert!(!code.is_empty());
    let clerk = t.get("/api/v1/users", &coord).await.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["login"] == "clerk.th")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let other = firms
        .iter()
        .find(|(_, cs)| !cs.contains("GZ-TH"))
        .map(|(f, _)| f.clone())
        .unwrap();
    let uri = format!("/api/v1/users/{clerk}/role");
    let mut answers = vec![];
    for body in [
        json!({"role": "lawyer", "lawyer_id": "GZ-NOBODY-1"}),
        json!({"role": "firm_admin", "firm_id": other}),
        json!({"role": "firm_admin", "firm_id": "GZ-NOFIRM"}),
    ] {
        let r = t.call(Method::PUT, &uri, &coord, Some(body)).await;
        answers.push(r.status);
    }
    assert_eq!(answers, vec![StatusCode::NOT_FOUND; 3]);
}
