//! Proof of presence at check-in: what a centre accepts, and whether a check-in's evidence
//! meets it.
//!
//! ```
//! use zhiban_domain::presence::{Evidence, PresenceProof, assess};
//! let inside = Evidence { inside_fence: true, display: false, poster: false };
//! assert_eq!(assess(PresenceProof::Geofence, inside), (true, "geofence"));
//! assert_eq!(assess(PresenceProof::Code, inside), (false, "geofence"));
//! ```

use serde::{Deserialize, Serialize};

/// What a centre accepts as proof of presence at check-in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PresenceProof {
    /// The phone's position inside the station's geofence.
    #[default]
    Geofence,
    /// The rotating code of the station's display.
    Code,
    /// Both.
    Both,
}

impl PresenceProof {
    /// Code as stored.
    pub fn code(self) -> &'static str {
        match self {
            PresenceProof::Geofence => "geofence",
            PresenceProof::Code => "code",
            PresenceProof::Both => "both",
        }
    }

    /// Parses a stored code.
    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw {
            "geofence" => Ok(PresenceProof::Geofence),
            "code" => Ok(PresenceProof::Code),
            "both" => Ok(PresenceProof::Both),
            other => Err(format!("unknown presence proof {other:?}")),
        }
    }
}

/// What a check-in proved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Evidence {
    /// The phone's position was inside the geofence.
    pub inside_fence: bool,
    /// A valid display code was sent.
    pub display: bool,
    /// A valid static poster code was sent.
    pub poster: bool,
}

/// Whether a check-in with `e` counts without approval under `mode`, and the proof to
/// record (`display`, `poster`, `geofence` or empty).
pub fn assess(mode: PresenceProof, e: Evidence) -> (bool, &'static str) {
    let proof = if e.display {
        "display"
    } else if e.poster {
        "poster"
    } else if e.inside_fence {
        "geofence"
    } else {
        ""
    };
    let counts = match mode {
        PresenceProof::Geofence => e.inside_fence || e.display || e.poster,
        PresenceProof::Code => e.display,
        PresenceProof::Both => e.display && e.inside_fence,
    };
    (counts, proof)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(inside_fence: bool, display: bool, poster: bool) -> Evidence {
        Evidence {
            inside_fence,
            display,
            poster,
        }
    }

    #[test]
    fn each_centre_mode_asks_for_its_own_proof() {
        use PresenceProof::*;
        assert_eq!(assess(Geofence, e(true, false, false)), (true, "geofence"));
        assert_eq!(assess(Geofence, e(false, false, true)), (true, "poster"));
        assert_eq!(assess(Geofence, e(false, false, false)), (false, ""));
        assert_eq!(assess(Code, e(true, false, false)), (false, "geofence"));
        assert_eq!(assess(Code, e(false, false, true)), (false, "poster"));
        assert_eq!(assess(Code, e(true, false, true)), (false, "poster"));
        assert_eq!(assess(Code, e(false, true, false)), (true, "display"));
        assert_eq!(assess(Both, e(false, true, false)), (false, "display"));
        assert_eq!(assess(Both, e(true, true, false)), (true, "display"));
    }

    #[test]
    fn stored_codes_round_trip() {
        for p in [
            PresenceProof::Geofence,
            PresenceProof::Code,
            PresenceProof::Both,
        ] {
            assert_eq!(PresenceProof::parse(p.code()), Ok(p));
        }
        assert!(PresenceProof::parse("gps").is_err());
    }
}
