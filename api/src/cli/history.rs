//! `zhiban demo-history`: a year of made-up but realistic duty work (`crate::history`).

use super::Db;
use clap::Args;
use std::io::Write;
use std::sync::Arc;

/// Arguments of `zhiban demo-history`.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// The year to make (default: this year, up to today).
    #[arg(long)]
    pub year: Option<i32>,
    /// The seed: the same seed and panel make the same year.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Seconds the solver may take for each roster (26 weeks of one centre).
    #[arg(long, default_value_t = 20.0)]
    pub time_limit: f64,
    #[allow(missing_docs)]
    #[command(flatten)]
    pub db: Db,
}

/// Runs `zhiban demo-history`.
pub(crate) async fn run(args: HistoryArgs, out: &mut (dyn Write + Send)) -> anyhow::Result<()> {
    use chrono::Datelike as _;
    if !(1.0..=600.0).contains(&args.time_limit) {
        anyhow::bail!("--time-limit must be 1 to 600 seconds");
    }
    let store = zhiban_store::connect(&args.db.database_url).await?;
    if store.counts().await?.is_empty() {
        anyhow::bail!(
            "the database holds no panel: import one first (zhiban import fixtures/guangzhou)"
        );
    }
    let state = crate::AppState::new(Arc::clone(&store));
    let year = args.year.unwrap_or_else(|| chrono::Utc::now().year());
    let started = std::time::Instant::now();
    let mut lines = Vec::new();
    let h = crate::history::generate(&state, year, args.seed, args.time_limit, &mut |l| {
        lines.push(l);
    })
    .await
    .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    for l in lines {
        writeln!(out, "{l}")?;
    }
    for c in &h.skipped {
        writeln!(out, "{c}: has rosters in {year} already; left alone")?;
    }
    writeln!(
        out,
        "{year}: {} rosters published, {} check-ins, {} ledger entries, {} months approved in {:.1} s",
        h.rosters,
        h.check_ins,
        h.ledgers,
        h.months,
        started.elapsed().as_secs_f64()
    )?;
    Ok(())
}
