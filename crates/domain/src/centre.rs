//! Legal-aid centres (法律援助中心) and law firms (律师事务所).

use crate::{CentreId, FirmId, ValidationError};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// The default time zone of a centre.
pub const DEFAULT_TIME_ZONE: Tz = chrono_tz::Asia::Shanghai;

/// A legal-aid centre: one per city and per district or county.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Centre {
    /// Its code.
    pub id: CentreId,
    /// Its name, e.g. 广州市天河区法律援助处.
    pub name: String,
    /// The city centre above a district centre; `None` for the top of a hierarchy.
    pub parent_id: Option<CentreId>,
    /// Local time zone of its stations (IANA name).
    #[schema(value_type = String, example = "Asia/Shanghai")]
    pub time_zone: Tz,
    /// Whether its lawyers may be rostered at sibling centres that also share, and theirs here.
    pub shares_pool: bool,
}

impl Centre {
    /// `centre ID`, for messages.
    pub fn record(&self) -> String {
        format!("centre {}", self.id)
    }

    /// Checks the centre on its own.
    pub fn validate(&self) -> Result<(), ValidationError> {
        if self.name.trim().is_empty() {
            return Err(ValidationError::new(
                self.record(),
                "name",
                "must not be empty",
            ));
        }
        if self.parent_id.as_ref() == Some(&self.id) {
            return Err(ValidationError::new(
                self.record(),
                "parent_id",
                "a centre cannot be its own parent",
            ));
        }
        Ok(())
    }
}

/// `roots` with every centre below them (children, their children, ...), by code: what a
/// director of `roots` may read. A cycle in the parent links cannot loop.
pub fn with_descendants(centres: &[Centre], roots: &[CentreId]) -> Vec<CentreId> {
    let mut out: std::collections::BTreeSet<CentreId> = roots.iter().cloned().collect();
    loop {
        let before = out.len();
        for c in centres {
            if c.parent_id.as_ref().is_some_and(|p| out.contains(p)) {
                out.insert(c.id.clone());
            }
        }
        if out.len() == before {
            return out.into_iter().collect();
        }
    }
}

/// Parses an IANA time-zone name; empty means the default, Asia/Shanghai.
pub fn parse_time_zone(raw: &str) -> Result<Tz, String> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(DEFAULT_TIME_ZONE);
    }
    s.parse::<Tz>()
        .map_err(|_| format!("unknown time zone {s:?}; use an IANA name such as Asia/Shanghai"))
}

/// A law firm whose lawyers sit on the panel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Firm {
    /// Its code.
    pub id: FirmId,
    /// Its name, e.g. 广东某某律师事务所.
    pub name: String,
    /// The centre it is registered with.
    pub centre_id: CentreId,
}

impl Firm {
    /// `firm ID`, for messages.
    pub fn record(&self) -> String {
        format!("firm {}", self.id)
    }

    /// Checks the firm on its own.
    pub fn validate(&self) -> Result<(), ValidationError> {
        if self.name.trim().is_empty() {
            return Err(ValidationError::new(
                self.record(),
                "name",
                "must not be empty",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_time_zone_means_shanghai_and_unknown_ones_are_rejected() {
        assert_eq!(parse_time_zone("").unwrap(), DEFAULT_TIME_ZONE);
        assert_eq!(
            parse_time_zone("Asia/Urumqi").unwrap(),
            chrono_tz::Asia::Urumqi
        );
        assert!(
            parse_time_zone("Mars/Olympus")
                .unwrap_err()
                .contains("IANA")
        );
    }

    #[test]
    fn a_director_reaches_every_centre_below_theirs_and_nothing_else() {
        let c = |id: &str, parent: Option<&str>| Centre {
            id: CentreId::parse(id).unwrap(),
            name: id.into(),
            parent_id: parent.map(|p| CentreId::parse(p).unwrap()),
            time_zone: DEFAULT_TIME_ZONE,
            shares_pool: false,
        };
        let all = [
            c("GD", None),
            c("GZ", Some("GD")),
            c("GZ-TH", Some("GZ")),
            c("GZ-YX", Some("GZ")),
            c("SZ", Some("GD")),
            c("HN", None),
        ];
        let ids = |v: Vec<CentreId>| v.iter().map(|c| c.to_string()).collect::<Vec<_>>();
        let gz = [CentreId::parse("GZ").unwrap()];
        assert_eq!(ids(with_descendants(&all, &gz)), ["GZ", "GZ-TH", "GZ-YX"]);
        let gd = [CentreId::parse("GD").unwrap()];
        assert_eq!(with_descendants(&all, &gd).len(), 5);
        let th = [CentreId::parse("GZ-TH").unwrap()];
        assert_eq!(ids(with_descendants(&all, &th)), ["GZ-TH"]);
    }

    #[test]
    fn a_centre_cannot_be_its_own_parent() {
        let c = Centre {
            id: CentreId::parse("GZ").unwrap(),
            name: "广州市法律援助中心".into(),
            parent_id: Some(CentreId::parse("GZ").unwrap()),
            time_zone: DEFAULT_TIME_ZONE,
            shares_pool: false,
        };
        let e = c.validate().unwrap_err();
        assert_eq!(
            (e.record.as_str(), e.field.as_str()),
            ("centre GZ", "parent_id")
        );
    }
}
