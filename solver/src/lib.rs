//! zhiban-solver: duty rosters that are the best the rules allow, explained and repairable.
//!
//! A [`RosterProblem`](zhiban_domain::RosterProblem) becomes a mixed-integer programme
//! (good_lp, solved by HiGHS): one binary variable per eligible, available
//! (lawyer, slot, role) triple, hard rules as constraints, and the objectives of
//! [`Weights`] in strict priority. The result is a [`Roster`] and a [`SolveReport`] with the
//! solver's bound and gap, every term of the objective, every uncovered slot with its
//! reason, and each lawyer's and firm's load against their fair share. Province-scale
//! parts are solved by pricing (column generation on the linear relaxation) with a
//! Lagrangian bound that covers every pair, so the gap stays honest (see [`model`]). A
//! report keeps how the roster was found (the run's statistics) apart from what the roster
//! is worth (its [`Evaluation`]).
//!
//! Modules:
//! - [`parts`]: splitting a problem into independent parts and solving them side by side
//!   ([`solve`], [`solve_with_progress`], [`Progress`]);
//! - [`model`]: the MILP of one part: candidates, pins, one `add_*` per constraint family,
//!   pricing, the HiGHS glue and the warm start;
//! - [`objective`]: the objective's terms ([`Components`]) and how the [`Weights`] price them,
//!   tie-break included;
//! - [`fair`]: fair shares, history included;
//! - [`evaluate`](mod@evaluate): scoring a roster and explaining its gaps ([`Evaluation`]);
//! - [`report`]: the run's statistics (status, bound, gap, time, parts) with the roster's
//!   evaluation ([`SolveReport`]);
//! - [`check`](mod@check): an independent checker of the hard rules, sharing no code with the model;
//! - [`greedy`](mod@greedy): the randomised greedy baseline (the UK MoJ rota tool's method);
//! - [`repair`](mod@repair): re-planning after a change with as few changes as possible;
//! - [`suggest`](mod@suggest): ranked candidates for one slot, each with its change in the
//!   objective and the hard rules it would break, and [`new_violations`], the check of an
//!   edit or swap;
//! - [`settings`]; rosters themselves ([`Roster`], [`Assignment`], [`Diff`]) live in
//!   `zhiban-domain` and are re-exported here.
//!
//! Dependencies run one way: `parts` → `model` → `greedy` → `evaluate` → `objective`;
//! `report` holds an `evaluate::Evaluation` and imports no `model`; `suggest` uses `check`,
//! `evaluate` and `fair` only.
//!
//! ```
//! use zhiban_solver::{solve, check, SolveInput, SolveSettings};
//! let ds = zhiban_fixtures::baotou();
//! let centre = zhiban_domain::CentreId::parse("BT-GY").unwrap();
//! let from = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
//! let problem = zhiban_domain::RosterProblem::build(&ds, &[centre], from, 1, vec![]).unwrap();
//! let solved = solve(SolveInput { problem: &problem, pins: &[], previous: None }, &SolveSettings::default()).unwrap();
//! assert!(check(&problem, &solved.roster).is_empty());
//! assert_eq!(solved.report.status, zhiban_solver::SolveStatus::Optimal);
//! ```

pub mod check;
pub mod evaluate;
pub mod fair;
pub mod greedy;
pub mod model;
pub mod objective;
pub mod parts;
pub mod repair;
pub mod report;
pub mod settings;
pub mod suggest;

pub use check::{LimitPeriod, SpreadCount, Violation, check, check_with_pins};
pub use evaluate::{Busy, Evaluation, FirmLoad, LawyerLoad, Uncovered, UncoveredReason, evaluate};
pub use greedy::greedy;
pub use model::{SolveError, SolveInput, Solved};
pub use objective::Components;
pub use parts::{Progress, solve, solve_with_progress};
pub use repair::{Change, Repaired, repair};
pub use report::{SolveReport, SolveStatus, build_report};
pub use zhiban_domain::JobProgress;
pub use zhiban_domain::roster::{Assignment, Diff, Role, Roster};
/// Rosters, re-exported from `zhiban-domain`.
pub mod roster {
    pub use zhiban_domain::roster::*;
}
pub use settings::{SolveSettings, Weights};
pub use suggest::{Candidate, SlotRole, SuggestError, new_violations, suggest};
