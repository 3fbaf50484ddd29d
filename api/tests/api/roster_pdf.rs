//! The printed 排班表 (PDF), made by the server, read back by independent programs
//! (poppler's `pdfinfo`, `pdffonts`, `pdftotext` and `pdftoppm`): A4 landscape, a page per
//! station and week, the font embedded as a subset, every lawyer of the roster on it with
//! their firm, the station's address and phone, the version and page numbers; rendered to
//! PNG (kept in target/screenshots).

use axum::http::StatusCode;
use zhiban_store::TokenRole;

use crate::helpers::*;
use crate::notify_channels::week;
use crate::roster_export::bytes;

on_both!(a_published_roster_prints_as_a_pdf_with_every_lawyer);

/// Runs a poppler tool on `pdf` (a file); its output.
fn poppler(tool: &str, args: &[&str]) -> String {
    let out = std::process::Command::new(tool)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{tool} (poppler-utils, installed by scripts/test): {e}"));
    assert!(
        out.status.success(),
        "{tool}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A field of `pdfinfo`'s output.
fn field(info: &str, name: &str) -> String {
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .map(|v| v.trim().to_string())
        .unwrap_or_default()
}

async fn a_published_roster_prints_as_a_pdf_with_every_lawyer(backend: Backend) {
    let t = TestApp::on(backend, "small").await;
    let coord = t.token(TokenRole::Coordinator, Some("CH"), None).await;
    let (v, _) = week(&t, &coord).await;
    let (status, pdf) = bytes(&t, &format!("/api/v1/versions/{v}/export.pdf"), &coord).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&pdf));
    assert!(pdf.starts_with(b"%PDF-"));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("roster.pdf");
    std::fs::write(&file, &pdf).unwrap();
    let path = file.to_str().unwrap();
    // A4 landscape, a page for each of the centre's 3 stations for the one week.
    let info = poppler("pdfinfo", &[path]);
    assert_eq!(field(&info, "Pages"), "3", "{info}");
    assert_eq!(field(&info, "Page size"), "842 x 595 pts (A4)", "{info}");
    assert_eq!(
        field(&info, "Title"),
        "广州市从化区法律援助处 值班律师排班表",
        "{info}"
    );
    // The Chinese font is embedded, as a subset.
    let fonts = poppler("pdffonts", &[path]);
    let rows: Vec<&str> = fonts.lines().skip(2).collect();
    assert!(!rows.is_empty(), "{fonts}");
    for r in &rows {
        let cols: Vec<&str> = r.split_whitespace().collect();
        let n = cols.len();
        assert_eq!(
            &cols[n - 5..n - 2],
            &["yes", "yes", "yes"],
            "emb sub uni: {fonts}"
        );
    }
    assert!(pdf.len() < 400_000, "a subset: {} bytes", pdf.len());
    // Every lawyer on the roster, with their firm; each station's address and phone.
    let text = poppler("pdftotext", &["-raw", path, "-"]);
    let flat: String = text.split_whitespace().collect();
    let lawyers = t
        .get("/api/v1/lawyers?centre_id=CH&limit=500", &coord)
        .await
        .body;
    let firms = t.get("/api/v1/firms", &coord).await.body;
    let firm_name = |id: &str| {
        firms
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["id"] == id)
            .map(|f| s(&f["name"]))
            .unwrap()
    };
    let assigned = t.assignments(&coord, v).await;
    assert!(!assigned.is_empty());
    for a in &assigned {
        let l = lawyers["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["id"] == a["lawyer_id"])
            .unwrap();
        let line = format!("{}（{}）", s(&l["name"]), firm_name(&s(&l["firm_id"])));
        let line: String = line.split_whitespace().collect();
        assert!(flat.contains(&line), "{line} is printed:\n{text}");
    }
    assert!(
        assigned.iter().any(|a| a["role"] == "backup"),
        "backups in the roster"
    );
    assert!(flat.contains("备班："), "{text}");
    for (name, address, phone) in [
        (
            "从化区看守所法律援助工作站（看守所）",
            "广州市从化区太平镇广从南路68号",
            "020-87901101",
        ),
        (
            "从化区人民法院法律援助工作站（法院）",
            "广州市从化区街口街河滨北路41号",
            "020-87912202",
        ),
    ] {
        for x in [name, address, phone] {
            assert!(flat.contains(x), "{x}:\n{text}");
        }
    }
    assert!(
        flat.contains("10月12日周一") && flat.contains("10月18日周日"),
        "{text}"
    );
    assert!(flat.contains("第1版·发布于2026-10-08"), "{text}");
    assert!(
        flat.contains("第1页/共3页") && flat.contains("第3页/共3页"),
        "{text}"
    );
    // Rendered to images, a page each (kept to look at).
    let shots = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let prefix = shots.join(format!("roster-pdf-{backend:?}").to_lowercase());
    poppler(
        "pdftoppm",
        &["-r", "60", "-png", path, prefix.to_str().unwrap()],
    );
    let pngs = std::fs::read_dir(&shots)
        .unwrap()
        .filter(|e| {
            let name = e
                .as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .to_string();
            name.starts_with(&format!("roster-pdf-{backend:?}").to_lowercase())
        })
        .count();
    assert_eq!(pngs, 3);

    // One station, one day of the week: that station's week only.
    let (status, one) = bytes(
        &t,
        &format!("/api/v1/versions/{v}/export.pdf?station_id=CH-KSS&from=2026-10-14&to=2026-10-14"),
        &coord,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    std::fs::write(&file, &one).unwrap();
    assert_eq!(field(&poppler("pdfinfo", &[path]), "Pages"), "1");
    let text = poppler("pdftotext", &["-raw", path, "-"]);
    let flat: String = text.split_whitespace().collect();
    assert!(flat.contains("从化区看守所") && !flat.contains("从化区人民法院法律援助工作站"));
    // Days outside the chosen range say so, apart from the half-days without duty.
    assert!(flat.contains("不在本表范围"), "{text}");

    // A duty taken off and republished: the new version prints the post as uncovered, in
    // words; the old one says it has been replaced.
    let first = assigned
        .iter()
        .find(|a| a["role"] == "primary")
        .unwrap()
        .clone();
    let dv = crate::notify_channels::change(
        &t,
        &coord,
        v,
        serde_json::json!([crate::notify_channels::unassign(&first)]),
    )
    .await;
    let (status, newer) = bytes(&t, &format!("/api/v1/versions/{dv}/export.pdf"), &coord).await;
    assert_eq!(status, StatusCode::OK);
    std::fs::write(&file, &newer).unwrap();
    let flat: String = poppler("pdftotext", &["-raw", path, "-"])
        .split_whitespace()
        .collect();
    assert!(flat.contains("空缺1人（无人值班）"), "{flat}");
    assert!(flat.contains("第2版·发布于"), "{flat}");
    let (_, older) = bytes(&t, &format!("/api/v1/versions/{v}/export.pdf"), &coord).await;
    std::fs::write(&file, &older).unwrap();
    let flat: String = poppler("pdftotext", &["-raw", path, "-"])
        .split_whitespace()
        .collect();
    assert!(flat.contains("已被新版本取代"), "{flat}");

    // Bad requests name the field; another centre's version is not found.
    for (query, field) in [
        ("station_id=NOPE", "station_id"),
        ("from=2026-10-14&to=2026-10-13", "to"),
        ("from=2027-01-01", "from"),
        ("from=yesterday", "from"),
        ("paper=A3", "paper"),
    ] {
        let r = t
            .get(&format!("/api/v1/versions/{v}/export.pdf?{query}"), &coord)
            .await;
        assert!(r.status.is_client_error(), "{query}: {}", r.status);
        assert_eq!(field_named(&r.body), field, "{query}: {}", r.body);
    }
    let other = t.token(TokenRole::Lawyer, None, Some("CH-L01")).await;
    let r = t
        .get(&format!("/api/v1/versions/{v}/export.pdf"), &other)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

/// The field a problem names: its first field error, or the query parameter its detail
/// quotes (`unknown field `paper``).
pub(crate) fn field_named(problem: &serde_json::Value) -> String {
    // A query that does not parse names the parameter in its detail.
    if let Some(f) = problem["errors"][0]["field"].as_str()
        && f != "query"
    {
        return f.to_string();
    }
    // `… missing field `to``, or `…: from: input contains invalid characters`.
    let detail = problem["detail"].as_str().unwrap_or_default();
    let rest = detail
        .strip_prefix("Failed to deserialize query string: ")
        .unwrap_or(detail);
    match rest.split('`').nth(1) {
        Some(quoted) => quoted.to_string(),
        None => rest.split(':').next().unwrap_or(rest).to_string(),
    }
}
