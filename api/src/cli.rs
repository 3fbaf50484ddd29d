// Over the ~600-line sizing rule on purpose: one clap definition and its dispatch; splitting into cli/ (one file per command) is planned in issue 19.
//! The `zhiban` command line.

use crate::{AppState, app};
use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};
use zhiban_store::{Counts, TokenRole};

/// Duty-lawyer rosters for legal-aid centres (值班律师排班).
#[derive(Debug, Parser)]
#[command(
    name = "zhiban",
    version,
    about = "zhiban (值班): duty-lawyer rosters for legal-aid centres",
    propagate_version = true
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Where the database is.
#[derive(Debug, Clone, Args)]
pub struct Db {
    /// Database URL: sqlite://PATH (created if missing) or sqlite::memory:.
    #[arg(
        long,
        env = "ZHIBAN_DATABASE_URL",
        default_value = "sqlite://zhiban.db"
    )]
    pub database_url: String,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Import a data-set folder (CSV files and settings.toml) in one transaction: a bad
    /// row rejects the whole import, naming file, row and column, and changes nothing.
    Import {
        /// The folder, e.g. fixtures/guangzhou.
        dir: PathBuf,
        #[allow(missing_docs)]
        #[command(flatten)]
        db: Db,
    },
    /// Export the whole panel, demand, availability and calendar to a data-set folder.
    Export {
        /// The folder to write (created if missing).
        dir: PathBuf,
        /// Overwrite files in a folder that is not empty.
        #[arg(long)]
        force: bool,
        #[allow(missing_docs)]
        #[command(flatten)]
        db: Db,
    },
    /// Run the HTTP service.
    Serve {
        /// Address to listen on (port 0 picks a free port).
        #[arg(long, env = "ZHIBAN_ADDR", default_value = "127.0.0.1:8080")]
        addr: String,
        /// Import the Guangzhou demo data set when the database is empty.
        #[arg(long)]
        demo: bool,
        /// Seconds a solve job's lease lasts without renewal: a job whose process stopped
        /// is taken back and run again by a live process after this long.
        #[arg(long, env = "ZHIBAN_JOB_LEASE_SECONDS", default_value_t = 60)]
        job_lease_seconds: u64,
        /// Solve jobs this process runs at once.
        #[arg(long, env = "ZHIBAN_JOB_CONCURRENCY", default_value_t = 2)]
        job_concurrency: usize,
        /// Requests with a wrong or missing token allowed per client address per minute;
        /// past it the address gets 429 until the minute is over.
        #[arg(long, env = "ZHIBAN_FAILED_AUTH_PER_MINUTE", default_value_t = crate::auth::MAX_FAILED_PER_MINUTE)]
        failed_auth_per_minute: u32,
        /// Reverse proxies (comma-separated addresses) whose `X-Forwarded-For` names the
        /// client; from any other peer the header is ignored.
        #[arg(long, env = "ZHIBAN_TRUSTED_PROXIES", default_value = "")]
        trusted_proxies: String,
        /// Send `Strict-Transport-Security` (set when users reach zhiban over HTTPS).
        #[arg(long, env = "ZHIBAN_HSTS")]
        hsts: bool,
        /// Seconds a client has to send a request's headers before it is disconnected.
        #[arg(long, env = "ZHIBAN_HEADER_READ_TIMEOUT_SECONDS", default_value_t = 10)]
        header_read_timeout_seconds: u64,
        #[allow(missing_docs)]
        #[command(flatten)]
        db: Db,
    },
    /// Copy a SQLite database into a new, empty PostgreSQL database, then verify the copy
    /// table by table (row counts and SHA-256 checksums). Stop the service first.
    MigrateDb {
        /// The SQLite database: sqlite://PATH or a path.
        #[arg(long)]
        from: String,
        /// The PostgreSQL database: postgres://USER@HOST:PORT/DB (it must hold no rows).
        #[arg(long)]
        to: String,
    },
    /// Make a roster: assign lawyers to every half-day slot of the period, optimally, and
    /// explain what stays uncovered.
    Solve(SolveArgs),
    /// Copy the whole database to a new SQLite file while the service keeps running, then
    /// check the copy's integrity.
    Backup {
        /// The new file.
        file: PathBuf,
        #[allow(missing_docs)]
        #[command(flatten)]
        db: Db,
    },
    /// API tokens: create (printed once, stored hashed) and revoke.
    Token {
        /// What to do with tokens.
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Synthetic data sets.
    Fixtures {
        /// What to do with fixtures.
        #[command(subcommand)]
        command: FixturesCommand,
    },
}

/// Token commands.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token and print it once; only its hash is stored.
    Create {
        /// admin, coordinator, finance, lawyer or station (a station display: it shows the
        /// station's rotating check-in code and can do nothing else).
        #[arg(long)]
        role: String,
        /// The centre of a coordinator or finance token.
        #[arg(long)]
        centre: Option<String>,
        /// The lawyer of a lawyer token.
        #[arg(long)]
        lawyer: Option<String>,
        /// The station of a station token.
        #[arg(long)]
        station: Option<String>,
        /// Whose token it is (shown in the audit log).
        #[arg(long, default_value = "")]
        label: String,
        #[allow(missing_docs)]
        #[command(flatten)]
        db: Db,
    },
    /// Revoke a token by its id (its holder gets 401 at once).
    Revoke {
        /// The token's id, as printed by `token create`.
        id: i64,
        #[allow(missing_docs)]
        #[command(flatten)]
        db: Db,
    },
}

/// Creates a token; returns the token text (shown once).
pub async fn create_token(
    store: &std::sync::Arc<dyn zhiban_store::Store>,
    role: TokenRole,
    centre: Option<zhiban_domain::CentreId>,
    lawyer: Option<zhiban_domain::LawyerId>,
    label: &str,
) -> anyhow::Result<String> {
    create_token_for(store, role, centre, lawyer, None, label).await
}

/// A station display's token (its centre is the station's); returns the token text.
pub async fn create_station_token(
    store: &std::sync::Arc<dyn zhiban_store::Store>,
    station: &zhiban_domain::StationId,
    label: &str,
) -> anyhow::Result<String> {
    let st = store
        .list_stations(None)
        .await?
        .into_iter()
        .find(|s| &s.id == station)
        .ok_or_else(|| anyhow::anyhow!("--station: no station {station}"))?;
    create_token_for(
        store,
        TokenRole::Station,
        Some(st.centre_id),
        None,
        Some(st.id),
        label,
    )
    .await
}

async fn create_token_for(
    store: &std::sync::Arc<dyn zhiban_store::Store>,
    role: TokenRole,
    centre: Option<zhiban_domain::CentreId>,
    lawyer: Option<zhiban_domain::LawyerId>,
    station: Option<zhiban_domain::StationId>,
    label: &str,
) -> anyhow::Result<String> {
    let token = crate::auth::generate_token()?;
    let label = if label.trim().is_empty() {
        role.code().to_string()
    } else {
        label.trim().to_string()
    };
    let rec = store
        .create_token(
            &zhiban_store::NewToken {
                hash: crate::auth::hash_token(&token),
                role,
                centre_id: centre.clone(),
                lawyer_id: lawyer,
                station_id: station,
                label: label.clone(),
            },
            &zhiban_store::Audit {
                actor: "cli".into(),
                centre_id: centre,
                action: "token.create".into(),
                target: String::new(),
                detail: serde_json::json!({"role": role.code(), "label": label}),
            },
        )
        .await?;
    Ok(format!("{token}\t(id {})", rec.id))
}

/// Arguments of `zhiban solve`.
#[derive(Debug, Args)]
pub struct SolveArgs {
    /// Read the panel from this data-set folder instead of the database.
    #[arg(long, conflicts_with = "database_url")]
    pub input: Option<PathBuf>,
    /// Database URL (default sqlite://zhiban.db) when --input is not given.
    #[arg(long, env = "ZHIBAN_DATABASE_URL")]
    pub database_url: Option<String>,
    /// First day of the roster (YYYY-MM-DD); usually a Monday.
    #[arg(long)]
    pub from: chrono::NaiveDate,
    /// Number of weeks (1 to 26).
    #[arg(long, default_value_t = 1)]
    pub weeks: u32,
    /// Only these centres (repeat the flag); all centres when left out.
    #[arg(long = "centre")]
    pub centres: Vec<String>,
    /// Write the roster: FILE.json (roster and full report) or FILE.csv (one line per duty, Chinese headers).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Write the whole model as an MPS file (solved as one model, not split into parts).
    #[arg(long)]
    pub export_mps: Option<PathBuf>,
    /// Stop after this many seconds with the best roster found.
    #[arg(long, default_value_t = 60.0)]
    pub time_limit: f64,
    /// Stop when within this relative gap of the proven bound (0.0001 = 0.01%).
    #[arg(long, default_value_t = 0.0001)]
    pub gap: f64,
    /// Solver threads (0: all cores).
    #[arg(long, default_value_t = 0)]
    pub threads: u32,
    /// Always solve by pricing, starting from this many cheapest candidates per slot and
    /// role (0: price only models of more than --exact-pairs pairs). The bound still
    /// covers every candidate.
    #[arg(long, default_value_t = 0)]
    pub max_candidates: usize,
    /// Models with more (lawyer, slot, role) pairs than this are solved by pricing (column
    /// generation) instead of holding every pair.
    #[arg(long, default_value_t = 250_000)]
    pub exact_pairs: usize,
    /// Do not print the solver's progress log.
    #[arg(long)]
    pub quiet: bool,
}

/// Fixture commands.
#[derive(Debug, Subcommand)]
pub enum FixturesCommand {
    /// Write a deterministic synthetic data set: the same arguments always give the same files.
    Generate {
        /// Which data set: a province-scale one from the numbers below, or a committed profile.
        #[arg(long, value_enum, default_value_t = Profile::Province)]
        profile: Profile,
        /// Legal-aid centres (province profile).
        #[arg(long, required_if_eq("profile", "province"))]
        centres: Option<u32>,
        /// Panel lawyers (province profile).
        #[arg(long, required_if_eq("profile", "province"))]
        lawyers: Option<u32>,
        /// Stations (province profile; default ten per centre).
        #[arg(long)]
        stations: Option<u32>,
        /// Random seed (province profile).
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The folder to write.
        #[arg(long)]
        out: PathBuf,
        /// Overwrite files in a folder that is not empty.
        #[arg(long)]
        force: bool,
    },
}

/// Data-set profiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Profile {
    /// Generated from --centres, --lawyers, --stations and --seed.
    Province,
    /// fixtures/guangzhou.
    Guangzhou,
    /// fixtures/baotou.
    Baotou,
}

/// Prints one informational line of `serve` and flushes it. A closed or broken standard output
/// (a supervisor that stopped reading, `| head -1`) must not stop the service: the line is
/// then only logged (without the demo token).
fn say(out: &mut dyn Write, line: std::fmt::Arguments<'_>) {
    if let Err(e) = writeln!(out, "{line}").and_then(|()| out.flush()) {
        tracing::warn!(error = %e, "standard output is closed; serving on");
    }
}

/// Runs the command line and returns the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ZHIBAN_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli, &mut std::io::stdout())) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Today in China, for validating licence dates.
pub(crate) fn today() -> chrono::NaiveDate {
    chrono::Utc::now()
        .with_timezone(&zhiban_domain::DEFAULT_TIME_ZONE)
        .date_naive()
}

/// Runs one command, writing its report to `out`.
pub async fn run(cli: Cli, out: &mut (dyn Write + Send)) -> anyhow::Result<()> {
    match cli.command {
        Command::Import { dir, db } => {
            let started = Instant::now();
            let ds = zhiban_dataset::read_dir(&dir, today())
                .map_err(|e| anyhow::anyhow!("import rejected, nothing was changed: {e}"))?;
            let store = zhiban_store::connect(&db.database_url).await?;
            let counts = store
                .import_dataset(&ds)
                .await
                .context("import rejected, nothing was changed")?;
            writeln!(
                out,
                "imported {} ({}) in {:.2}s; the database now holds {}",
                dir.display(),
                ds.settings.name,
                started.elapsed().as_secs_f64(),
                summary(&counts)
            )?;
        }
        Command::Export { dir, force, db } => {
            ensure_writable(&dir, force)?;
            let store = zhiban_store::connect(&db.database_url).await?;
            let ds = store.export_dataset().await?;
            zhiban_dataset::write_dir(&ds, &dir)
                .with_context(|| format!("writing {}", dir.display()))?;
            writeln!(
                out,
                "exported {} to {}",
                summary(&store.counts().await?),
                dir.display()
            )?;
        }
        Command::Backup { file, db } => {
            let started = Instant::now();
            let store = zhiban_store::connect(&db.database_url).await?;
            store
                .backup_to(&file)
                .await
                .with_context(|| format!("backing up to {}", file.display()))?;
            let copy =
                zhiban_store::sqlite::SqliteStore::open(&format!("sqlite://{}", file.display()))
                    .await?;
            let check = copy.integrity_check().await?;
            if check != "ok" {
                bail!(
                    "the backup {} fails its integrity check: {check}",
                    file.display()
                );
            }
            writeln!(
                out,
                "backed up {} to {} in {:.2} s; integrity check ok",
                summary(&zhiban_store::Store::counts(&copy).await?),
                file.display(),
                started.elapsed().as_secs_f64()
            )?;
        }
        Command::MigrateDb { from, to } => {
            let started = Instant::now();
            if !(to.starts_with("postgres://") || to.starts_with("postgresql://")) {
                bail!("--to must be a postgres:// URL");
            }
            let report = zhiban_store::migrate::sqlite_to_postgres(&from, &to)
                .await
                .with_context(|| format!("migrating {from} to {}", zhiban_store::redact(&to)))?;
            writeln!(out, "{:<26} {:>9}  sha256 (equal in both)", "table", "rows")?;
            let mut total = 0;
            for t in &report {
                total += t.rows;
                writeln!(out, "{:<26} {:>9}  {}", t.table, t.rows, t.checksum)?;
            }
            writeln!(
                out,
                "copied and verified {total} rows in {} tables to {} in {:.2} s",
                report.len(),
                zhiban_store::redact(&to),
                started.elapsed().as_secs_f64()
            )?;
        }
        Command::Serve {
            addr,
            demo,
            job_lease_seconds,
            job_concurrency,
            failed_auth_per_minute,
            trusted_proxies,
            hsts,
            header_read_timeout_seconds,
            db,
        } => {
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
                let token =
                    create_token(&store, TokenRole::Admin, None, None, "demo admin").await?;
                say(out, format_args!("demo: admin token (shown once): {token}"));
            } else if demo {
                say(
                    out,
                    format_args!(
                        "demo: the admin token was shown at the first start; make another with \
                         `zhiban token create --role admin --label NAME`"
                    ),
                );
            }
            let mut runner =
                crate::jobs::JobRunner::new(Duration::from_secs(job_lease_seconds.max(1)));
            runner.concurrency = job_concurrency.max(1);
            let mut state = AppState::new(store);
            state.jobs = std::sync::Arc::new(runner);
            state.failed_attempts = std::sync::Arc::new(crate::auth::FailedAttempts::with_limit(
                failed_auth_per_minute,
            ));
            state.security = std::sync::Arc::new(crate::security::Security {
                hsts,
                trusted_proxies,
            });
            // The worker takes back jobs a stopped process left running (once their lease
            // lapses) and any queued job, this process's or another's.
            crate::jobs::start(&state);
            say(
                out,
                format_args!("job worker {} started", state.jobs.worker),
            );
            let limits = crate::serve::Limits {
                header_read: Duration::from_secs(header_read_timeout_seconds.max(1)),
                ..crate::serve::Limits::default()
            };
            crate::serve::serve(listener, app(state), limits, shutdown_signal()).await?;
            say(out, format_args!("zhiban stopped"));
        }
        Command::Solve(args) => crate::solve_cmd::run(args, out).await?,
        Command::Token {
            command:
                TokenCommand::Create {
                    role,
                    centre,
                    lawyer,
                    station,
                    label,
                    db,
                },
        } => {
            let role = TokenRole::parse(&role).map_err(|m| anyhow::anyhow!("--role: {m}"))?;
            let store = zhiban_store::connect(&db.database_url).await?;
            let centre = centre
                .map(|c| {
                    zhiban_domain::CentreId::parse(&c).map_err(|m| anyhow::anyhow!("--centre: {m}"))
                })
                .transpose()?;
            let lawyer = lawyer
                .map(|c| {
                    zhiban_domain::LawyerId::parse(&c).map_err(|m| anyhow::anyhow!("--lawyer: {m}"))
                })
                .transpose()?;
            if role == TokenRole::Station || station.is_some() {
                let (Some(st), TokenRole::Station, None, None) = (&station, role, &centre, &lawyer)
                else {
                    bail!("a station token needs --station (and no --centre or --lawyer)");
                };
                let st = zhiban_domain::StationId::parse(st)
                    .map_err(|m| anyhow::anyhow!("--station: {m}"))?;
                let token = create_station_token(&store, &st, &label).await?;
                writeln!(out, "{token}")?;
                writeln!(
                    out,
                    "keep it safe: it is shown only now (the database keeps only its hash)"
                )?;
                return Ok(());
            }
            match role {
                TokenRole::Coordinator | TokenRole::Finance if centre.is_none() => {
                    bail!("a {} token needs --centre", role.code())
                }
                TokenRole::Lawyer if lawyer.is_none() => bail!("a lawyer token needs --lawyer"),
                TokenRole::Admin | TokenRole::Lawyer if centre.is_some() => {
                    bail!("--centre is only for coordinator and finance tokens")
                }
                TokenRole::Admin | TokenRole::Coordinator | TokenRole::Finance
                    if lawyer.is_some() =>
                {
                    bail!("--lawyer is only for lawyer tokens")
                }
                _ => {}
            }
            if let Some(c) = &centre
                && store.list_centres().await?.iter().all(|x| &x.id != c)
            {
                bail!("--centre: no centre {c}");
            }
            if let Some(l) = &lawyer
                && store.list_lawyers(None).await?.iter().all(|x| &x.id != l)
            {
                bail!("--lawyer: no lawyer {l}");
            }
            let token = create_token(&store, role, centre, lawyer, &label).await?;
            writeln!(out, "{token}")?;
            writeln!(
                out,
                "keep it safe: it is shown only now (the database keeps only its hash)"
            )?;
        }
        Command::Token {
            command: TokenCommand::Revoke { id, db },
        } => {
            let store = zhiban_store::connect(&db.database_url).await?;
            let audit = zhiban_store::Audit {
                actor: "cli".into(),
                centre_id: None,
                action: "token.revoke".into(),
                target: format!("token/{id}"),
                detail: serde_json::json!({}),
            };
            if !store.revoke_token(id, &audit).await? {
                bail!("no live token with id {id}");
            }
            writeln!(out, "token {id} revoked")?;
        }
        Command::Fixtures {
            command:
                FixturesCommand::Generate {
                    profile,
                    centres,
                    lawyers,
                    stations,
                    seed,
                    out: dir,
                    force,
                },
        } => {
            ensure_writable(&dir, force)?;
            let ds = match profile {
                Profile::Guangzhou => zhiban_fixtures::guangzhou(),
                Profile::Baotou => zhiban_fixtures::baotou(),
                Profile::Province => zhiban_fixtures::province(zhiban_fixtures::ProvinceSpec {
                    centres: centres.context("--centres is required")?,
                    lawyers: lawyers.context("--lawyers is required")?,
                    stations,
                    seed,
                })?,
            };
            zhiban_dataset::write_dir(&ds, &dir)
                .with_context(|| format!("writing {}", dir.display()))?;
            writeln!(
                out,
                "wrote {} to {}: {} centres, {} stations, {} firms, {} lawyers",
                ds.settings.name,
                dir.display(),
                ds.centres.len(),
                ds.stations.len(),
                ds.firms.len(),
                ds.lawyers.len()
            )?;
        }
    }
    Ok(())
}

pub(crate) fn summary(c: &Counts) -> String {
    format!(
        "{} centres, {} firms, {} stations, {} demand rules, {} lawyers, {} leave records, {} calendar days",
        c.centres, c.firms, c.stations, c.demand, c.lawyers, c.leave, c.calendar
    )
}

fn ensure_writable(dir: &Path, force: bool) -> anyhow::Result<()> {
    if dir.exists() {
        if !dir.is_dir() {
            bail!("{} exists and is not a folder", dir.display());
        }
        let non_empty = std::fs::read_dir(dir)?.next().is_some();
        if non_empty && !force {
            bail!(
                "{} is not empty; pass --force to overwrite its files",
                dir.display()
            );
        }
    }
    Ok(())
}

async fn shutdown_signal() {
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
