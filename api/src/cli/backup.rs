//! `zhiban backup`: a consistent SQLite copy while the service runs, checked.

use super::{Db, summary};
use anyhow::{Context, bail};
use clap::Args;
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

/// Arguments of `zhiban backup`.
#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The new file.
    pub file: PathBuf,
    #[allow(missing_docs)]
    #[command(flatten)]
    pub db: Db,
}

/// Runs `zhiban backup`.
pub(crate) async fn run(args: BackupArgs, out: &mut (dyn Write + Send)) -> anyhow::Result<()> {
    let BackupArgs { file, db } = args;
    let started = Instant::now();
    let store = zhiban_store::connect(&db.database_url).await?;
    store
        .backup_to(&file)
        .await
        .with_context(|| format!("backing up to {}", file.display()))?;
    let copy =
        zhiban_store::sqlite::SqliteStore::open(&format!("sqlite://{}", file.display())).await?;
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
        summary(&zhiban_store::PanelStore::counts(&copy).await?),
        file.display(),
        started.elapsed().as_secs_f64()
    )?;
    Ok(())
}
