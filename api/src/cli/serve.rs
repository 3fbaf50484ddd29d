//! `zhiban serve`: the HTTP service (wiring in `crate::startup`).

use super::{Db, say, summary};
use crate::app;
use anyhow::Context;
use clap::Args;
use std::io::Write;
use std::time::Duration;
use zhiban_store::TokenRole;

/// Arguments of `zhiban serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "ZHIBAN_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: String,
    /// Import the Guangzhou demo data set when the database is empty, and make this year's
    /// duty work on it in the background (`zhiban demo-history`).
    #[arg(long)]
    pub demo: bool,
    /// With --demo: make this year's duty work (rosters, check-ins, ledgers, approved
    /// months) after the start; `false` for the panel alone.
    #[arg(long, env = "ZHIBAN_DEMO_HISTORY", default_value_t = true, action = clap::ArgAction::Set)]
    pub demo_history: bool,
    /// Seconds a solve job's lease lasts without renewal: a job whose process stopped
    /// is taken back and run again by a live process after this long.
    #[arg(long, env = "ZHIBAN_JOB_LEASE_SECONDS", default_value_t = 60)]
    pub job_lease_seconds: u64,
    /// Solve jobs this process runs at once.
    #[arg(long, env = "ZHIBAN_JOB_CONCURRENCY", default_value_t = 2)]
    pub job_concurrency: usize,
    /// Requests with a wrong or missing token allowed per client address per minute;
    /// past it the address gets 429 until the minute is over.
    #[arg(long, env = "ZHIBAN_FAILED_AUTH_PER_MINUTE", default_value_t = crate::auth::MAX_FAILED_PER_MINUTE)]
    pub failed_auth_per_minute: u32,
    /// Reverse proxies (comma-separated addresses) whose `X-Forwarded-For` names the
    /// client; from any other peer the header is ignored.
    #[arg(long, env = "ZHIBAN_TRUSTED_PROXIES", default_value = "")]
    pub trusted_proxies: String,
    /// Send `Strict-Transport-Security` (set when users reach zhiban over HTTPS).
    #[arg(long, env = "ZHIBAN_HSTS")]
    pub hsts: bool,
    /// Minutes a browser session may go unused before it ends.
    #[arg(long, env = "ZHIBAN_SESSION_IDLE_MINUTES", default_value_t = 720)]
    pub session_idle_minutes: u32,
    /// Hours after sign-in a browser session ends, however used.
    #[arg(long, env = "ZHIBAN_SESSION_MAX_HOURS", default_value_t = 168)]
    pub session_max_hours: u32,
    /// Seconds a client has to send a request's headers before it is disconnected.
    #[arg(long, env = "ZHIBAN_HEADER_READ_TIMEOUT_SECONDS", default_value_t = 10)]
    pub header_read_timeout_seconds: u64,
    #[allow(missing_docs)]
    #[command(flatten)]
    pub db: Db,
}

/// The demo's admin account, with its one-time invitation code (returned, shown once).
async fn demo_admin(store: &std::sync::Arc<dyn zhiban_store::Store>) -> anyhow::Result<String> {
    let (code, hash) = crate::accounts::new_code()?;
    let audit = zhiban_store::Audit {
        actor: "demo".into(),
        centre_id: None,
        action: "user.invite".into(),
        target: "user/admin".into(),
        detail: serde_json::json!({"login": "admin", "role": "admin"}),
    };
    let user = zhiban_store::NewUser {
        login: "admin".into(),
        display_name: "演示管理员".into(),
        role: TokenRole::Admin,
        centres: vec![],
        lawyer_id: None,
        firm_id: None,
        code_hash: hash,
        code_expires_at: chrono::Utc::now()
            + chrono::Duration::days(zhiban_domain::account::DEFAULT_CODE_DAYS),
        created_by: "demo".into(),
    };
    store.create_user(&user, &audit).await?;
    Ok(code)
}

/// Runs `zhiban serve`.
pub(crate) async fn run(args: ServeArgs, out: &mut (dyn Write + Send)) -> anyhow::Result<()> {
    let ServeArgs {
        addr,
        demo,
        demo_history,
        job_lease_seconds,
        job_concurrency,
        failed_auth_per_minute,
        trusted_proxies,
        hsts,
        header_read_timeout_seconds,
        session_idle_minutes,
        session_max_hours,
        db,
    } = args;
    let trusted_proxies = crate::security::Security::parse_proxies(&trusted_proxies)
        .map_err(|m| anyhow::anyhow!("--trusted-proxies: {m}"))?;
    let store = zhiban_store::connect(&db.database_url).await?;
    // The demo's admin token is made once, with the demo data; a restart makes none.
    let mut fresh_demo = false;
    if demo {
        let counts = store.counts().await?;
        if counts.is_empty() {
            let ds = zhiban_fixtures::guangzhou();
            let counts = store.import_dataset(&ds).await?;
            fresh_demo = true;
            say(
                out,
                format_args!(
                    "demo: imported the Guangzhou data set: {}",
                    summary(&counts)
                ),
            );
        } else {
            say(
                out,
                format_args!(
                    "demo: the database already holds data ({}); not importing",
                    summary(&counts)
                ),
            );
        }
    }
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let local = listener.local_addr()?;
    say(
        out,
        format_args!(
            "zhiban listening on http://{local} (database {})",
            zhiban_store::redact(&db.database_url)
        ),
    );
    tracing::info!(%local, "listening");
    if fresh_demo {
        let code = demo_admin(&store).await?;
        say(
            out,
            format_args!(
                "demo: sign in as admin: open http://{local}/#activate={code} to set its \
                 password (one-time code {code}, login name admin; shown once)"
            ),
        );
    } else if demo {
        say(
            out,
            format_args!(
                "demo: the admin's invitation was shown at the first start; for a new code run \
                 `zhiban user reset --login admin`"
            ),
        );
    }
    let mut state = crate::startup::state(
        store,
        &crate::startup::Options {
            job_lease: Duration::from_secs(job_lease_seconds.max(1)),
            job_concurrency: job_concurrency.max(1),
            failed_auth_per_minute,
            trusted_proxies,
            hsts,
            // Browsers keep a Secure cookie only over HTTPS (or on loopback): a service on
            // loopback without --hsts is reached over plain HTTP.
            sessions: crate::startup::Sessions {
                idle: chrono::Duration::minutes(i64::from(session_idle_minutes.max(1))),
                absolute: chrono::Duration::hours(i64::from(session_max_hours.max(1))),
                secure_cookie: hsts || !local.ip().is_loopback(),
            },
        },
    );
    crate::jobs::start(&state);
    crate::retention::start(&state);
    say(
        out,
        format_args!("job worker {} started", state.jobs.worker),
    );
    let config = crate::notify::Config::from_env(key_file(&db.database_url).as_deref())?;
    say(out, format_args!("{}", config.describe()));
    state.notify = std::sync::Arc::new(config);
    crate::notify::Dispatcher::new(
        state.store.clone(),
        state.notify.clone(),
        format!("{}-notify", state.jobs.worker),
    )
    .start();
    crate::notify::alerts::start(&state);
    if fresh_demo && demo_history {
        demo_year(&state);
    }
    let limits = crate::serve::Limits {
        header_read: Duration::from_secs(header_read_timeout_seconds.max(1)),
        ..crate::serve::Limits::default()
    };
    crate::serve::serve(
        listener,
        app(state),
        limits,
        crate::startup::shutdown_signal(),
    )
    .await?;
    say(out, format_args!("zhiban stopped"));
    Ok(())
}

/// Makes this year's duty work on the demo panel in the background; its progress is
/// logged (the page fills as each centre is done).
fn demo_year(state: &crate::AppState) {
    use chrono::Datelike as _;
    let state = state.clone();
    tokio::spawn(async move {
        let year = chrono::Utc::now().year();
        tracing::info!(year, "demo: making this year's duty work");
        let mut log = |line: String| tracing::info!("demo: {line}");
        match crate::history::generate(&state, year, 1, 20.0, &mut log).await {
            Ok(h) => tracing::info!(
                rosters = h.rosters,
                check_ins = h.check_ins,
                months = h.months,
                "demo: this year's duty work is ready"
            ),
            Err(e) => tracing::error!(error = ?e, "demo: making this year's duty work failed"),
        }
    });
}

/// Where the key of channel secrets is kept by default: beside an embedded database file
/// (`<file>.key`); none for PostgreSQL or a database in memory (set ZHIBAN_SECRET_KEY).
fn key_file(url: &str) -> Option<std::path::PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or("");
    if path.is_empty() || path.contains(":memory:") {
        return None;
    }
    Some(std::path::PathBuf::from(format!("{path}.key")))
}
