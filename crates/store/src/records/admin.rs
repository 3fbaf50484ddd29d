//! Records of administration: API tokens and their roles, the audit log, and the
//! canonical table dump used to compare databases.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use zhiban_domain::{CentreId, LawyerId, StationId};

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TokenRole {
    /// Everything, every centre.
    Admin,
    /// 主任: reads everything of a centre and all the centres below it; changes nothing.
    /// People only (an account, never an API token).
    Director,
    /// Panel, rosters and swaps of one centre.
    Coordinator,
    /// Subsidies of one centre; reads its rosters.
    Finance,
    /// One lawyer: their duties, availability and swaps.
    Lawyer,
    /// 律所管理员: the lawyers of one firm, for their availability, leave and swaps. People
    /// only (an account, never an API token).
    FirmAdmin,
    /// A station's display: shows the station's rotating check-in code, nothing else.
    Station,
}

impl TokenRole {
    /// `admin`, `director`, `coordinator`, `finance`, `firm_admin`, `lawyer` or `station`.
    pub fn code(self) -> &'static str {
        match self {
            TokenRole::Admin => "admin",
            TokenRole::Director => "director",
            TokenRole::FirmAdmin => "firm_admin",
            TokenRole::Coordinator => "coordinator",
            TokenRole::Finance => "finance",
            TokenRole::Lawyer => "lawyer",
            TokenRole::Station => "station",
        }
    }

    /// Parses a role code.
    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw.trim() {
            "admin" => Ok(TokenRole::Admin),
            "director" => Ok(TokenRole::Director),
            "firm_admin" => Ok(TokenRole::FirmAdmin),
            "coordinator" => Ok(TokenRole::Coordinator),
            "finance" => Ok(TokenRole::Finance),
            "lawyer" => Ok(TokenRole::Lawyer),
            "station" => Ok(TokenRole::Station),
            other => Err(format!(
                "expected one of admin, director, coordinator, finance, firm_admin, lawyer, station; \
                 got {other:?}"
            )),
        }
    }
}

/// What an account or a token may be tied to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tie {
    /// Centres (one, for a token).
    Centres,
    /// A lawyer.
    Lawyer,
    /// A firm.
    Firm,
    /// A station.
    Station,
}

/// What a role's account or token was given, or is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TieError {
    /// The tie.
    pub tie: Tie,
    /// True when the role needs it and it is missing; false when the role has none and it
    /// was given.
    pub missing: bool,
}

impl TieError {
    /// In words, for `role`: "a lawyer account needs it" or "… has none".
    pub fn message(self, role: TokenRole, what: &str) -> String {
        let verb = if self.missing { "needs it" } else { "has none" };
        format!("a {} {what} {verb}", role.code())
    }
}

impl TokenRole {
    /// What an account or token of this role is tied to: staff to centres, a lawyer to
    /// themselves, a firm administrator to a firm, a station display to a station.
    pub fn tie(self) -> Option<Tie> {
        match self {
            TokenRole::Admin => None,
            TokenRole::Director | TokenRole::Coordinator | TokenRole::Finance => Some(Tie::Centres),
            TokenRole::Lawyer => Some(Tie::Lawyer),
            TokenRole::FirmAdmin => Some(Tie::Firm),
            TokenRole::Station => Some(Tie::Station),
        }
    }

    /// Checks that exactly this role's tie was given (`given` lists what was): the first
    /// tie missing or out of place.
    pub fn check_ties(self, given: &[Tie]) -> Result<(), TieError> {
        let wanted = self.tie();
        if let Some(t) = wanted
            && !given.contains(&t)
        {
            return Err(TieError {
                tie: t,
                missing: true,
            });
        }
        match given.iter().find(|t| Some(**t) != wanted) {
            Some(t) => Err(TieError {
                tie: *t,
                missing: false,
            }),
            None => Ok(()),
        }
    }
}

/// A token to store: only its hash.
#[derive(Debug, Clone)]
pub struct NewToken {
    /// Hex SHA-256 of the token.
    pub hash: String,
    /// Role.
    pub role: TokenRole,
    /// Centre, for coordinators and finance.
    pub centre_id: Option<CentreId>,
    /// Lawyer, for lawyer tokens.
    pub lawyer_id: Option<LawyerId>,
    /// Station, for station display tokens.
    pub station_id: Option<StationId>,
    /// A note saying whose token it is.
    pub label: String,
}

/// A stored token (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    /// Row id.
    pub id: i64,
    /// Role.
    pub role: TokenRole,
    /// Centre, for coordinators and finance.
    pub centre_id: Option<CentreId>,
    /// Lawyer, for lawyer tokens.
    pub lawyer_id: Option<LawyerId>,
    /// Station, for station display tokens.
    pub station_id: Option<StationId>,
    /// A note saying whose token it is.
    pub label: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
}

/// A token as admins list it: its record, last use and revocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenListing {
    /// The token.
    pub token: TokenRecord,
    /// When it was last used (noted at most every five minutes).
    pub last_used_at: Option<DateTime<Utc>>,
    /// When it was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Who did what, written with the change it describes.
#[derive(Debug, Clone)]
pub struct Audit {
    /// Who (token label and id).
    pub actor: String,
    /// The centre concerned, if any.
    pub centre_id: Option<CentreId>,
    /// What, e.g. `roster.publish`.
    pub action: String,
    /// On what, e.g. `roster_version/12`.
    pub target: String,
    /// Details.
    pub detail: serde_json::Value,
}

/// An audit-log entry.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    /// Row id, increasing.
    pub id: i64,
    /// When (UTC).
    pub at: DateTime<Utc>,
    /// Who.
    pub actor: String,
    /// The centre concerned.
    pub centre_id: Option<CentreId>,
    /// What.
    pub action: String,
    /// On what.
    pub target: String,
    /// Details.
    pub detail: serde_json::Value,
}

/// Rows of each table in canonical text form, by table name.
pub type Dump = std::collections::BTreeMap<String, Vec<String>>;

/// A dump as one text, table by table.
pub fn render_dump(d: &Dump) -> String {
    let mut out = String::new();
    for (t, rows) in d {
        out.push_str(&format!("## {t} ({} rows)\n", rows.len()));
        for r in rows {
            out.push_str(r);
            out.push('\n');
        }
    }
    out
}

/// Per table: row count and SHA-256 (hex) of its canonical rows, one per line.
pub fn table_checksums(d: &Dump) -> std::collections::BTreeMap<String, (u64, String)> {
    use sha2::{Digest, Sha256};
    d.iter()
        .map(|(t, rows)| {
            let mut h = Sha256::new();
            for r in rows {
                h.update(r.as_bytes());
                h.update(b"\n");
            }
            let hex = h
                .finalize()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>();
            (t.clone(), (rows.len() as u64, hex))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_role_takes_exactly_its_tie() {
        use Tie::*;
        assert_eq!(TokenRole::Admin.check_ties(&[]), Ok(()));
        assert_eq!(
            TokenRole::Admin.check_ties(&[Centres]),
            Err(TieError {
                tie: Centres,
                missing: false
            })
        );
        assert_eq!(TokenRole::Coordinator.check_ties(&[Centres]), Ok(()));
        assert_eq!(
            TokenRole::Director.check_ties(&[]),
            Err(TieError {
                tie: Centres,
                missing: true
            })
        );
        assert_eq!(
            TokenRole::Lawyer.check_ties(&[Lawyer, Centres]),
            Err(TieError {
                tie: Centres,
                missing: false
            })
        );
        assert_eq!(TokenRole::FirmAdmin.check_ties(&[Firm]), Ok(()));
        assert_eq!(
            TokenRole::FirmAdmin.check_ties(&[Lawyer]),
            Err(TieError {
                tie: Firm,
                missing: true
            })
        );
        assert_eq!(TokenRole::Station.check_ties(&[Station]), Ok(()));
        let e = TokenRole::Lawyer.check_ties(&[]).unwrap_err();
        assert_eq!(
            e.message(TokenRole::Lawyer, "account"),
            "a lawyer account needs it"
        );
    }
}
