//! `zhiban fixtures`: deterministic synthetic data sets.

use super::ensure_writable;
use anyhow::Context;
use clap::{Subcommand, ValueEnum};
use std::io::Write;
use std::path::PathBuf;

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

/// Runs `zhiban fixtures`.
pub(crate) fn run(command: FixturesCommand, out: &mut (dyn Write + Send)) -> anyhow::Result<()> {
    let FixturesCommand::Generate {
        profile,
        centres,
        lawyers,
        stations,
        seed,
        out: dir,
        force,
    } = command;
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
    zhiban_dataset::write_dir(&ds, &dir).with_context(|| format!("writing {}", dir.display()))?;
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
    Ok(())
}
