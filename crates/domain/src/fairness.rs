//! How a centre's rosters weigh fairness beyond the share of duties (issue 25): balancing
//! each lawyer's duties by station kind, and spreading them over time. Each spread term is
//! soft, priced per unit by a weight the centre sets; 0 turns it off.
//!
//! | term | one unit is | default weight |
//! |---|---|---:|
//! | `consecutive_days` | a lawyer on duty (primary) on two calendar days in a row | 6 |
//! | `weekday_spread` | a duty on a weekday beyond the lawyer's even spread over the weekdays they can work | 2 |
//! | `half_day_spread` | a duty in the morning (afternoon) beyond half of the lawyer's fair share | 1 |
//! | `firm_consecutive` | one firm's duties beyond one in two consecutive open half-days of a station | 0 (off; 1 is a good value) |
//! | `by_station_kind` (on/off) | a duty outside the lawyer's fair band at one kind of station (weight `kind_fairness`, 4) | off |
//!
//! The same-firm term is off by default: pairs of firms on neighbouring half-days make the
//! linear relaxation weak, and on Guangzhou's month it takes the proof from 6 s to over a
//! minute (benches/README.md). A centre that wants it turns it on.
//!
//! For scale: a duty outside a lawyer's fair band costs 8 (and 40 more if it is the worst),
//! a stated wish 1, a kilometre of travel 0.02. So the solver moves a duty off an adjacent
//! day whenever that costs no fairness, and spreads weekdays before it honours a wish.

use crate::ValidationError;
use serde::{Deserialize, Serialize};

/// A centre's fairness and spread settings for its rosters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FairnessPolicy {
    /// Also balance each lawyer's duties by station kind (detention centre, court,
    /// procuratorate), each against its own fair share (default off).
    #[serde(default)]
    pub by_station_kind: bool,
    /// Per lawyer and pair of consecutive days both on duty (default 6; 0 for off).
    #[serde(default = "default_consecutive")]
    pub consecutive_days: u32,
    /// Per duty on a weekday beyond the lawyer's even spread (default 2).
    #[serde(default = "default_weekday")]
    pub weekday_spread: u32,
    /// Per duty in one half of the day beyond half the lawyer's share (default 1).
    #[serde(default = "default_half_day")]
    pub half_day_spread: u32,
    /// Per duty of one firm beyond one in two consecutive open half-days of a station
    /// (default 0: off, as it slows the solve; 1 is a good value).
    #[serde(default = "default_firm")]
    pub firm_consecutive: u32,
}

fn default_consecutive() -> u32 {
    6
}
fn default_weekday() -> u32 {
    2
}
fn default_half_day() -> u32 {
    1
}
fn default_firm() -> u32 {
    0
}

/// The largest weight a centre may set: above it a spread term would outweigh fairness
/// itself, and a typo (600 for 6) would.
pub const MAX_SPREAD_WEIGHT: u32 = 20;

impl Default for FairnessPolicy {
    fn default() -> Self {
        Self {
            by_station_kind: false,
            consecutive_days: default_consecutive(),
            weekday_spread: default_weekday(),
            half_day_spread: default_half_day(),
            firm_consecutive: default_firm(),
        }
    }
}

impl FairnessPolicy {
    /// No spread terms and no balance by kind: the fairness of the first solver round.
    pub const OFF: FairnessPolicy = FairnessPolicy {
        by_station_kind: false,
        consecutive_days: 0,
        weekday_spread: 0,
        half_day_spread: 0,
        firm_consecutive: 0,
    };

    /// Each weight is a whole number from 0 to [`MAX_SPREAD_WEIGHT`]; the error names the field
    /// (under `fairness.`).
    pub fn validate(&self) -> Result<(), ValidationError> {
        for (name, v) in [
            ("consecutive_days", self.consecutive_days),
            ("weekday_spread", self.weekday_spread),
            ("half_day_spread", self.half_day_spread),
            ("firm_consecutive", self.firm_consecutive),
        ] {
            if v > MAX_SPREAD_WEIGHT {
                return Err(ValidationError::new(
                    "fairness policy",
                    format!("fairness.{name}"),
                    format!("must be a whole number from 0 to {MAX_SPREAD_WEIGHT}, got {v}"),
                ));
            }
        }
        Ok(())
    }
}

/// How many duties a lawyer may have on one weekday before the spread term counts: their
/// fair share of the period's duties spread evenly over the `weekdays` they can work, rounded
/// up (at least 1).
pub fn weekday_cap(period_share: f64, weekdays: u32) -> u32 {
    if weekdays == 0 {
        return u32::MAX;
    }
    even_cap(period_share, f64::from(weekdays))
}

/// How many duties a lawyer may have in the mornings (or the afternoons) before the spread
/// term counts: half their fair share, rounded up (at least 1).
pub fn half_day_cap(period_share: f64) -> u32 {
    even_cap(period_share, 2.0)
}

fn even_cap(share: f64, parts: f64) -> u32 {
    let v = (share.max(0.0) / parts - 1e-9).ceil().max(1.0);
    // A share is at most a few hundred duties; the cast cannot overflow.
    v.min(f64::from(u32::MAX)) as u32
}

/// The duties beyond `cap` in each count.
pub fn excess(counts: &[u32], cap: u32) -> u32 {
    counts.iter().map(|&n| n.saturating_sub(cap)).sum()
}

/// Pairs of consecutive calendar days both in `days` (sorted, distinct).
pub fn consecutive_pairs(days: &[chrono::NaiveDate]) -> u32 {
    days.windows(2)
        .filter(|w| w[1] - w[0] == chrono::Duration::days(1))
        .count() as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn caps_spread_the_share_evenly_and_never_fall_below_one() {
        assert_eq!(weekday_cap(0.3, 5), 1);
        assert_eq!(weekday_cap(5.0, 5), 1);
        assert_eq!(weekday_cap(5.2, 5), 2);
        assert_eq!(weekday_cap(26.0, 5), 6);
        assert_eq!(weekday_cap(3.0, 0), u32::MAX);
        assert_eq!(half_day_cap(4.0), 2);
        assert_eq!(half_day_cap(4.5), 3);
        assert_eq!(half_day_cap(0.0), 1);
    }

    #[test]
    fn excess_and_consecutive_days_count_what_they_say() {
        assert_eq!(excess(&[3, 1, 0, 2, 1], 1), 3);
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let days = [
            d("2026-10-12"),
            d("2026-10-13"),
            d("2026-10-14"),
            d("2026-10-16"),
        ];
        assert_eq!(consecutive_pairs(&days), 2);
        // Friday and Monday are not consecutive days.
        assert_eq!(consecutive_pairs(&[d("2026-10-16"), d("2026-10-19")]), 0);
    }

    #[test]
    fn weights_are_bounded_and_the_error_names_the_field() {
        assert!(FairnessPolicy::default().validate().is_ok());
        assert!(FairnessPolicy::OFF.validate().is_ok());
        let bad = FairnessPolicy {
            weekday_spread: 600,
            ..FairnessPolicy::default()
        };
        let e = bad.validate().unwrap_err();
        assert_eq!(e.field, "fairness.weekday_spread");
        let big = FairnessPolicy {
            consecutive_days: 21,
            ..FairnessPolicy::default()
        };
        assert!(big.validate().is_err());
        // Missing fields read as their defaults.
        let p: FairnessPolicy = serde_json::from_str(r#"{"by_station_kind":true}"#).unwrap();
        assert_eq!(p.consecutive_days, 6);
        assert!(p.by_station_kind);
    }
}
