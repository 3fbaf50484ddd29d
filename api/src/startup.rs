//! Wiring of `zhiban serve`: the application state from the command's options, and the
//! signals that stop the service gracefully.

use crate::AppState;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;
use zhiban_store::Store;

/// What `zhiban serve` was told.
#[derive(Debug, Clone)]
pub struct Options {
    /// How long a job's lease lasts without renewal.
    pub job_lease: Duration,
    /// Jobs this process runs at once (at least 1).
    pub job_concurrency: usize,
    /// Failed token attempts allowed per client address per minute.
    pub failed_auth_per_minute: u32,
    /// Proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<IpAddr>,
    /// Send `Strict-Transport-Security`.
    pub hsts: bool,
    /// Sessions and their cookie.
    pub sessions: Sessions,
}

/// How browser sessions behave.
#[derive(Debug, Clone, Copy)]
pub struct Sessions {
    /// A session unused this long ends.
    pub idle: chrono::Duration,
    /// A session ends this long after sign-in.
    pub absolute: chrono::Duration,
    /// Mark the cookie `Secure`: everywhere but plain HTTP on a loopback address.
    pub secure_cookie: bool,
}

/// The service's state over `store`, configured by `opts` (the job worker is not started).
pub fn state(store: Arc<dyn Store>, opts: &Options) -> AppState {
    let mut runner = crate::jobs::JobRunner::new(opts.job_lease);
    runner.concurrency = opts.job_concurrency.max(1);
    let mut state = AppState::new(store);
    state.jobs = Arc::new(runner);
    state.failed_attempts = Arc::new(crate::auth::FailedAttempts::with_limit(
        opts.failed_auth_per_minute,
    ));
    state.accounts = Arc::new(crate::accounts::Accounts::new(
        opts.sessions.idle,
        opts.sessions.absolute,
        opts.sessions.secure_cookie,
    ));
    state.security = Arc::new(crate::security::Security {
        hsts: opts.hsts,
        trusted_proxies: opts.trusted_proxies.clone(),
    });
    state
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}
