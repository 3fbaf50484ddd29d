//! A centre's subsidy policy, versioned by effective date: its rates, their bounds, and
//! the version in force on a day.

use crate::{CentreId, StationKind, ValidationError};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A centre's subsidy rates from a date on (until a later version takes over).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubsidyPolicy {
    /// The centre that pays.
    pub centre_id: CentreId,
    /// First day the rates apply.
    pub effective_from: NaiveDate,
    /// Pay per attended half-day, by station kind (fen).
    pub half_day_fen: BTreeMap<StationKind, i64>,
    /// Pay for AM and PM at one station on one day, by station kind (fen).
    pub full_day_fen: BTreeMap<StationKind, i64>,
    /// Pay per plea agreement signed with the duty lawyer present (fen).
    #[serde(default)]
    pub plea_case_fen: i64,
    /// Added once per day with duty outside the lawyer's home centre (fen).
    #[serde(default)]
    pub cross_district_fen_per_day: i64,
    /// Quality ratings and the share of the base pay they pay, in percent (e.g. excellent
    /// 120, standard 100, fail 0). A duty with no rating pays 100%.
    #[serde(default)]
    pub quality_pct: BTreeMap<String, u32>,
    /// At most this much per lawyer per month (fen); 0 for no cap.
    #[serde(default)]
    pub monthly_cap_fen: i64,
}

/// Largest amount any single rate may be (100,000 yuan), so sums cannot overflow.
pub const MAX_RATE_FEN: i64 = 10_000_000;

impl SubsidyPolicy {
    /// The prefecture-city example of DOMAIN.md: 195 yuan per half-day, 385 per day on site,
    /// +180 per day across county lines; 50 yuan per plea case; Henan-style quality ratings.
    pub fn example(centre_id: CentreId) -> Self {
        let kinds = [
            StationKind::DetentionCentre,
            StationKind::Court,
            StationKind::Procuratorate,
        ];
        Self {
            centre_id,
            effective_from: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default(),
            half_day_fen: kinds.iter().map(|k| (*k, 19_500)).collect(),
            full_day_fen: kinds.iter().map(|k| (*k, 38_500)).collect(),
            plea_case_fen: 5_000,
            cross_district_fen_per_day: 18_000,
            quality_pct: [("excellent", 120), ("standard", 100), ("fail", 0)]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
            monthly_cap_fen: 0,
        }
    }

    /// `subsidy CENTRE from DATE`, for messages.
    pub fn record(&self) -> String {
        format!("subsidy {} from {}", self.centre_id, self.effective_from)
    }

    /// Half-day rate of a kind (0 when the policy names none).
    pub fn half_day(&self, kind: StationKind) -> i64 {
        self.half_day_fen.get(&kind).copied().unwrap_or(0)
    }

    /// Full-day rate of a kind (twice the half-day rate when the policy names none).
    pub fn full_day(&self, kind: StationKind) -> i64 {
        self.full_day_fen
            .get(&kind)
            .copied()
            .unwrap_or_else(|| 2 * self.half_day(kind))
    }

    /// Checks amounts are in range and ratings sensible.
    pub fn validate(&self) -> Result<(), ValidationError> {
        let bad = |field: &str, m: String| Err(ValidationError::new(self.record(), field, m));
        for (field, map) in [
            ("half_day_fen", &self.half_day_fen),
            ("full_day_fen", &self.full_day_fen),
        ] {
            for (k, v) in map {
                if !(0..=MAX_RATE_FEN).contains(v) {
                    return bad(field, format!("{k}: {v} is outside 0..={MAX_RATE_FEN} fen"));
                }
            }
        }
        for (field, v) in [
            ("plea_case_fen", self.plea_case_fen),
            (
                "cross_district_fen_per_day",
                self.cross_district_fen_per_day,
            ),
            ("monthly_cap_fen", self.monthly_cap_fen),
        ] {
            if !(0..=MAX_RATE_FEN * 10).contains(&v) {
                return bad(field, format!("{v} is outside the allowed range"));
            }
        }
        for (k, v) in &self.quality_pct {
            if *v > 300 || k.trim().is_empty() {
                return bad("quality_pct", format!("{k:?}: {v}% (0 to 300, named)"));
            }
        }
        Ok(())
    }
}

/// The policy of `centre` in force on `date`: the latest version effective by then.
pub fn policy_on<'a>(
    policies: &'a [SubsidyPolicy],
    centre: &CentreId,
    date: NaiveDate,
) -> Option<&'a SubsidyPolicy> {
    policies
        .iter()
        .filter(|p| &p.centre_id == centre && p.effective_from <= date)
        .max_by_key(|p| p.effective_from)
}

/// Checks that `rating` is a quality rating of `centre`'s policy in force on `date` (a
/// coordinator rates a duty, or corrects its rating).
pub fn check_rating(
    policies: &[SubsidyPolicy],
    centre: &CentreId,
    date: NaiveDate,
    rating: &str,
) -> Result<(), String> {
    if policy_on(policies, centre, date).is_some_and(|p| p.quality_pct.contains_key(rating)) {
        Ok(())
    } else {
        Err(format!(
            "{rating:?} is not a rating of the centre's subsidy policy"
        ))
    }
}
