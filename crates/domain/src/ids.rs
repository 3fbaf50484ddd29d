//! Identifiers: short codes a coordinator can type in a spreadsheet (`GZ-TH`, `L0001`).

use serde::{Deserialize, Serialize};
use std::fmt;

/// Longest identifier accepted.
pub const MAX_ID_LEN: usize = 64;

/// Checks that `raw` is a valid identifier: 1 to 64 ASCII letters, digits, `-`, `_` or `.`.
pub fn parse_code(raw: &str) -> Result<String, String> {
    let s = raw.trim();
    if s.is_empty() {
        return Err("must not be empty".into());
    }
    if s.len() > MAX_ID_LEN {
        return Err(format!(
            "must be at most {MAX_ID_LEN} characters, got {}",
            s.len()
        ));
    }
    if let Some(c) = s
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Err(format!(
            "may hold only ASCII letters, digits, '-', '_' and '.', found {c:?}"
        ));
    }
    Ok(s.to_string())
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Parses an identifier, rejecting empty, over-long or exotic codes.
            pub fn parse(raw: &str) -> Result<Self, String> {
                parse_code(raw).map(Self)
            }
            /// The identifier as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl TryFrom<String> for $name {
            type Error = String;
            fn try_from(s: String) -> Result<Self, String> {
                Self::parse(&s)
            }
        }
        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

id_type!(
    /// A legal-aid centre (法律援助中心).
    CentreId
);
id_type!(
    /// A station (工作站) at a detention centre, court or procuratorate.
    StationId
);
id_type!(
    /// A law firm (律师事务所).
    FirmId
);
id_type!(
    /// A panel lawyer (值班律师).
    LawyerId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_trimmed_and_checked() {
        assert_eq!(LawyerId::parse(" L-001 ").unwrap().as_str(), "L-001");
        assert!(LawyerId::parse("").is_err());
        assert!(LawyerId::parse("律师").unwrap_err().contains("ASCII"));
        assert!(LawyerId::parse(&"x".repeat(65)).unwrap_err().contains("64"));
    }

    #[test]
    fn ids_deserialize_through_parse() {
        let ok: CentreId = serde_json::from_str("\"GZ\"").unwrap();
        assert_eq!(ok.as_str(), "GZ");
        assert!(serde_json::from_str::<CentreId>("\"a b\"").is_err());
    }
}
