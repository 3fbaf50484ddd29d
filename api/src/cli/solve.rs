//! `zhiban solve`: a roster from a data-set folder or the database, with a readable summary.

use super::today;
use anyhow::{Context, bail};
use clap::Args;
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;
use zhiban_domain::{CentreId, Dataset, RosterProblem};
use zhiban_solver::{Busy, Role, SolveInput, SolveSettings, UncoveredReason, check, solve};

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
    #[arg(long, default_value_t = SolveSettings::default().exact_pairs)]
    pub exact_pairs: usize,
    /// Parts of at least this many pairs first solve the MILP over the pairs their linear
    /// relaxation uses, which ends the part when within --gap, else warm-starts it (0 for
    /// every part; a huge number turns it off, to compare).
    #[arg(long, default_value_t = SolveSettings::default().rounding_pairs)]
    pub rounding_pairs: usize,
    /// Priced models of more candidate pairs than this solve pricing's relaxations without
    /// each lawyer's spread over time (faster rounds on a province's pools, weaker bound).
    #[arg(long, default_value_t = SolveSettings::default().lean_pairs)]
    pub lean_pairs: usize,
    /// Do not print the solver's progress log.
    #[arg(long)]
    pub quiet: bool,
    /// Solve with the fairness of the first solver round (duties and backups as one load,
    /// no spread over time), to compare.
    #[arg(long)]
    pub classic_fairness: bool,
    /// The fairness policy of every centre, as JSON (e.g. '{"by_station_kind":true,
    /// "firm_consecutive":0}'; fields left out keep their defaults). From the database,
    /// each centre's own policy is used otherwise.
    #[arg(long)]
    pub fairness: Option<String>,
}

pub(crate) async fn run(args: SolveArgs, out: &mut (dyn Write + Send)) -> anyhow::Result<()> {
    if !(args.time_limit > 0.0 && args.time_limit.is_finite()) {
        bail!("--time-limit must be a positive number of seconds");
    }
    let mut store = None;
    let ds: Dataset = match &args.input {
        Some(dir) => zhiban_dataset::read_dir(dir, today()).map_err(|e| anyhow::anyhow!("{e}"))?,
        None => {
            let url = args
                .database_url
                .clone()
                .unwrap_or_else(|| "sqlite://zhiban.db".into());
            let db = zhiban_store::connect(&url).await?;
            let ds = db.export_dataset().await?;
            if ds.centres.is_empty() {
                bail!(
                    "the database {} holds no centres; run `zhiban import DIR` first",
                    zhiban_store::redact(&url)
                );
            }
            store = Some(db);
            ds
        }
    };
    let centres: Vec<CentreId> = if args.centres.is_empty() {
        ds.centres.iter().map(|c| c.id.clone()).collect()
    } else {
        args.centres
            .iter()
            .map(|c| CentreId::parse(c).map_err(|m| anyhow::anyhow!("--centre {c:?}: {m}")))
            .collect::<anyhow::Result<_>>()?
    };
    // From the database, the problem is the one API jobs solve (`planning`): published
    // history counts toward fairness, and duties in other published rosters and lawyers'
    // busy calendars rule out those half-days. A data-set folder has no rosters.
    let problem = match &store {
        Some(store) => {
            let problem = crate::planning::problem_from_store(
                &**store, &ds, &centres, args.from, args.weeks, None,
            )
            .await?;
            let history_from =
                args.from - chrono::Duration::weeks(i64::from(ds.settings.rules.history_weeks));
            writeln!(
                out,
                "history: {} published duties from {history_from} on count toward fair shares",
                problem.history.len()
            )?;
            problem
        }
        None => RosterProblem::build(&ds, &centres, args.from, args.weeks, vec![])?,
    };
    let mut problem = problem;
    if let Some(json) = &args.fairness {
        let policy: zhiban_domain::FairnessPolicy =
            serde_json::from_str(json).context("--fairness must be a JSON fairness policy")?;
        policy
            .validate()
            .map_err(|e| anyhow::anyhow!("--fairness: {}: {}", e.field, e.message))?;
        for c in &ds.centres {
            problem.fairness.insert(c.id.clone(), policy);
        }
    }
    let years = ds.calendar.years();
    let last_year = chrono::Datelike::year(&problem.to);
    for y in chrono::Datelike::year(&problem.from)..=last_year {
        if !years.contains(&y) {
            writeln!(
                out,
                "warning: the calendar lists no holidays for {y}; every Monday to Friday counts as a working day"
            )?;
        }
    }
    writeln!(
        out,
        "solving {}: {} .. {} ({} week{}), {} centres, {} stations, {} slots, {} lawyers",
        ds.settings.name,
        problem.from,
        problem.to,
        args.weeks,
        if args.weeks == 1 { "" } else { "s" },
        problem.centres.len(),
        problem.stations.len(),
        problem.slots.len(),
        problem.lawyers.len()
    )?;
    out.flush()?;
    let settings = SolveSettings {
        time_limit: Duration::from_secs_f64(args.time_limit),
        gap: args.gap,
        threads: args.threads,
        log_to_console: !args.quiet,
        export_mps: args.export_mps.clone(),
        max_candidates: args.max_candidates,
        exact_pairs: args.exact_pairs,
        rounding_pairs: args.rounding_pairs,
        lean_pairs: args.lean_pairs,
        weights: if args.classic_fairness {
            zhiban_solver::Weights::classic()
        } else {
            zhiban_solver::Weights::default()
        },
        ..SolveSettings::default()
    };
    let problem_ref = &problem;
    let solved = tokio::task::spawn_blocking({
        let problem = problem_ref.clone();
        move || {
            solve(
                SolveInput {
                    problem: &problem,
                    pins: &[],
                    previous: None,
                },
                &settings,
            )
        }
    })
    .await
    .context("the solver stopped unexpectedly")??;
    let r = &solved.report;
    let violations = check(&problem, &solved.roster);

    writeln!(out)?;
    writeln!(
        out,
        "status {:?} in {:.2} s ({} independent part{}, {} variables, {} constraints)",
        r.status,
        r.solve_seconds,
        r.parts,
        if r.parts == 1 { "" } else { "s" },
        r.variables,
        r.constraints
    )?;
    if r.best_bound.is_finite() && r.gap.is_finite() {
        writeln!(
            out,
            "objective {:.3}, best bound {:.3}, gap {:.4}%",
            r.solver_objective,
            r.best_bound,
            r.gap * 100.0
        )?;
    } else {
        writeln!(
            out,
            "objective {:.3}, no bound proven yet (a part stopped before its first bound)",
            r.solver_objective
        )?;
    }
    if r.pruned_candidates > 0 {
        writeln!(
            out,
            "note: {} (lawyer, slot, role) pairs left out of the final model (by pricing, or by rounding from the relaxation); the bound covers them too",
            r.pruned_candidates
        )?;
    }
    writeln!(
        out,
        "primary posts filled {}/{}; backups named {}/{}",
        r.evaluation.posts_filled,
        r.evaluation.posts_wanted,
        r.evaluation.backups_filled,
        r.evaluation.backups_wanted
    )?;
    let c = &r.evaluation.components;
    writeln!(
        out,
        "terms: coverage {:.1}, backups {:.1}, fairness worst {:.1} / total {:.1}, firms {:.1}, wishes {:.1}, travel {:.1}",
        c.coverage,
        c.backups,
        c.fairness_max,
        c.fairness_sum,
        c.firm_fairness,
        c.preference,
        c.distance
    )?;
    let sp = &r.evaluation.spread;
    writeln!(
        out,
        "spread: consecutive days {}, weekday excess {}, AM/PM excess {}, same firm in a row {}, backups outside their band {:.1}",
        sp.consecutive_days,
        sp.weekday_excess,
        sp.half_day_excess,
        sp.firm_consecutive,
        sp.backup_outside
    )?;
    let on_duty = r
        .evaluation
        .lawyers
        .iter()
        .filter(|l| l.primary + l.backup > 0)
        .count();
    let worst = r
        .evaluation
        .lawyers
        .iter()
        .map(|l| l.deviation.abs())
        .fold(0.0_f64, f64::max);
    writeln!(
        out,
        "lawyers on duty {on_duty} of {}; largest distance from a fair share {worst:.2} duties",
        r.evaluation.lawyers.len()
    )?;
    if r.evaluation.uncovered.is_empty() {
        writeln!(out, "every slot is covered")?;
    } else {
        writeln!(
            out,
            "{} slots not fully covered:",
            r.evaluation.uncovered.len()
        )?;
        for u in r.evaluation.uncovered.iter().take(20) {
            let why = match &u.reason {
                UncoveredReason::NoEligibleLawyer { licensed_later }
                    if licensed_later.is_empty() =>
                {
                    "no lawyer in the pool has the skills, languages, years or firm it needs"
                        .to_string()
                }
                UncoveredReason::NoEligibleLawyer { licensed_later } => {
                    let names: Vec<String> = licensed_later
                        .iter()
                        .take(6)
                        .map(|(l, d)| format!("{l} (from {d})"))
                        .collect();
                    format!(
                        "no lawyer is eligible; licensed only after this day: {}{}",
                        names.join(", "),
                        if licensed_later.len() > 6 {
                            ", ..."
                        } else {
                            ""
                        }
                    )
                }
                UncoveredReason::EligibleUnavailable { lawyers } => {
                    format!("all {} eligible lawyers are unavailable", lawyers.len())
                }
                UncoveredReason::EligibleAtLimits { lawyers } => {
                    let names: Vec<String> = lawyers
                        .iter()
                        .take(6)
                        .map(|(l, b)| format!("{l} ({})", busy(*b)))
                        .collect();
                    format!(
                        "eligible lawyers are busy or at their limits: {}{}",
                        names.join(", "),
                        if lawyers.len() > 6 { ", ..." } else { "" }
                    )
                }
            };
            writeln!(
                out,
                "  {} {} {}: {}/{} posts, {}/{} backups; {why}",
                u.date,
                u.half_day,
                u.station_id,
                u.filled,
                u.wanted,
                u.backups_filled,
                u.backups_wanted
            )?;
        }
        if r.evaluation.uncovered.len() > 20 {
            writeln!(
                out,
                "  ... and {} more (see --out FILE.json)",
                r.evaluation.uncovered.len() - 20
            )?;
        }
    }
    writeln!(out, "hard-rule check: {} violations", violations.len())?;
    if !violations.is_empty() {
        bail!("the roster breaks hard rules: {violations:?}");
    }
    if let Some(path) = &args.export_mps {
        writeln!(out, "wrote the model to {}", path.display())?;
    }
    if let Some(path) = &args.out {
        match path.extension().and_then(|e| e.to_str()) {
            Some("json") => {
                let json = serde_json::json!({ "roster": solved.roster, "report": solved.report });
                std::fs::write(path, serde_json::to_vec_pretty(&json)?)
                    .with_context(|| format!("writing {}", path.display()))?;
            }
            Some("csv") => write_csv(path, &ds, &solved.roster)?,
            _ => bail!("--out must end in .json or .csv"),
        }
        writeln!(out, "wrote {}", path.display())?;
    }
    Ok(())
}

fn busy(b: Busy) -> &'static str {
    match b {
        Busy::SameHalfDay => "on duty elsewhere",
        Busy::DayLimit => "day limit",
        Busy::WeekLimit => "week limit",
        Busy::MonthLimit => "month limit",
        Busy::TooFar => "other half-day too far",
        Busy::Other => "free",
    }
}

/// The roster as CSV in UTF-8 with a byte-order mark and Chinese headers, for Excel and WPS.
fn write_csv(
    path: &std::path::Path,
    ds: &Dataset,
    roster: &zhiban_solver::Roster,
) -> anyhow::Result<()> {
    let mut w = csv::Writer::from_writer(vec![0xEF, 0xBB, 0xBF]);
    w.write_record([
        "日期",
        "时段",
        "工作站编号",
        "工作站",
        "律师编号",
        "律师",
        "律所",
        "岗位",
    ])?;
    for a in &roster.assignments {
        let station = ds.station(&a.station_id);
        let lawyer = ds.lawyer(&a.lawyer_id);
        let firm = lawyer.and_then(|l| ds.firms.iter().find(|f| f.id == l.firm_id));
        w.write_record([
            a.date.to_string().as_str(),
            a.half_day.label_zh(),
            a.station_id.as_str(),
            &crate::sheet::text(station.map(|s| s.name.as_str()).unwrap_or("")),
            a.lawyer_id.as_str(),
            &crate::sheet::text(lawyer.map(|l| l.name.as_str()).unwrap_or("")),
            &crate::sheet::text(firm.map(|f| f.name.as_str()).unwrap_or("")),
            if a.role == Role::Primary {
                "值班"
            } else {
                "备岗"
            },
        ])?;
    }
    let bytes = w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?;
    std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}
