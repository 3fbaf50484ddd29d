//! `zhiban import`: a data-set folder, or a panel workbook (.xlsx, the layout of `GET
//! /api/v1/panel/template.xlsx`), into the database in one transaction; `--dry-run` checks
//! it and changes nothing.

use super::{Db, summary, today};
use anyhow::Context;
use clap::Args;
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;
use zhiban_domain::Dataset;

/// Arguments of `zhiban import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The folder (e.g. fixtures/guangzhou) or an .xlsx workbook.
    pub dir: PathBuf,
    /// Check the data set against every rule and say what it holds; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[allow(missing_docs)]
    #[command(flatten)]
    pub db: Db,
}

/// Refuses a workbook exported at panel revision `exported` whose rows would undo changes
/// made since (the records `full` holds otherwise than `current` among those changed).
async fn refuse_undoing(
    store: &dyn zhiban_store::Store,
    exported: Option<i64>,
    current: &Dataset,
    full: &Dataset,
) -> anyhow::Result<()> {
    let Some(exported) = exported else {
        return Ok(());
    };
    let now = store.revisions().await?.panel;
    if exported > now {
        anyhow::bail!(
            "import rejected, nothing was changed: the workbook says panel revision {exported}, \
             but the panel is at {now}; export the panel again"
        );
    }
    let changed = store.panel_changed_since(exported).await?;
    let undone = zhiban_dataset::part::undone(current, full, &changed);
    if undone.is_empty() {
        return Ok(());
    }
    let names: Vec<String> = undone
        .iter()
        .map(|(t, code)| format!("{code} ({})", zhiban_dataset::workbook::sheet_name(*t)))
        .collect();
    anyhow::bail!(
        "import rejected, nothing was changed: the workbook was exported at panel revision \
         {exported} (now {now}) and would undo changes made since to {}; export the panel again",
        names.join(", ")
    )
}

/// The data set of a workbook. Into an empty database: its sheets, with only a name for
/// settings. Into a database that holds a panel: the panel with the workbook's firms,
/// stations, demand, lawyers and availability over it, as the page's import reads it (what
/// the workbook leaves out stays as it is: a workbook without the leave sheet keeps
/// everyone's leave), every problem listed.
async fn from_workbook(
    path: &std::path::Path,
    store: &dyn zhiban_store::Store,
) -> anyhow::Result<Dataset> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    if bytes.len() > zhiban_dataset::MAX_FILE_BYTES {
        anyhow::bail!("{} is over 64 MiB", path.display());
    }
    let book = zhiban_dataset::workbook::read_workbook_full(&bytes)
        .map_err(|e| anyhow::anyhow!("import rejected, nothing was changed: {e}"))?;
    let (mut files, numbers) = (book.files, book.rows);
    let current = store.export_dataset().await?;
    if !current.centres.is_empty() {
        let (full, problems) = zhiban_dataset::part::read_part(&files, &numbers, &current, today());
        if let Some(full) = full {
            refuse_undoing(store, book.revision, &current, &full).await?;
            return Ok(full);
        }
        let lines: Vec<String> = problems
            .iter()
            .map(|p| {
                format!(
                    "sheet {} row {}, column {}: {}",
                    p.sheet, p.row, p.column, p.message
                )
            })
            .collect();
        anyhow::bail!("import rejected, nothing was changed: {}", lines.join("\n"));
    }
    let settings = if current.centres.is_empty() {
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_else(|| "zhiban".into());
        format!("name = {:?}\n", name)
    } else {
        zhiban_dataset::to_files(&current)
            .remove(zhiban_dataset::SETTINGS_FILE)
            .unwrap_or_default()
    };
    files.insert(zhiban_dataset::SETTINGS_FILE.into(), settings);
    zhiban_dataset::from_files(&files, today()).map_err(|e| {
        let sheet = zhiban_dataset::workbook::sheet_of_file(&e.file);
        // The row as the spreadsheet numbers it (blank rows were left out).
        let row = usize::try_from(e.row)
            .ok()
            .and_then(|r| r.checked_sub(2))
            .and_then(|i| numbers.get(&e.file)?.get(i).copied())
            .unwrap_or(e.row);
        anyhow::anyhow!(
            "import rejected, nothing was changed: sheet {sheet} row {row}, column {}: {}",
            e.field,
            e.message
        )
    })
}

/// Runs `zhiban import`.
pub(crate) async fn run(args: ImportArgs, out: &mut (dyn Write + Send)) -> anyhow::Result<()> {
    let ImportArgs { dir, dry_run, db } = args;
    let started = Instant::now();
    let store = zhiban_store::connect(&db.database_url).await?;
    let workbook = dir
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"));
    let ds = if workbook {
        from_workbook(&dir, &*store).await?
    } else {
        zhiban_dataset::read_dir(&dir, today())
            .map_err(|e| anyhow::anyhow!("import rejected, nothing was changed: {e}"))?
    };
    if dry_run {
        writeln!(
            out,
            "{} ({}) keeps every rule: {} centres, {} firms, {} stations, {} demand rules, \
             {} lawyers; dry run, nothing was changed",
            dir.display(),
            ds.settings.name,
            ds.centres.len(),
            ds.firms.len(),
            ds.stations.len(),
            ds.demand.len(),
            ds.lawyers.len()
        )?;
        return Ok(());
    }
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
    Ok(())
}
