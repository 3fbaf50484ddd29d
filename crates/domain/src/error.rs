//! The one error type of the domain: a record failed validation.

use std::fmt;

/// A record that breaks a rule, naming the record and the field at fault.
///
/// `record` reads like `lawyer GZ-L0001` or `station GZ-TH-KSS`; `field` is the name
/// of the field as it appears in the data-set files (`licence_date`, `firm_id`, ...).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ValidationError {
    /// The offending record, as `kind id`.
    pub record: String,
    /// The offending field, as named in the data-set files.
    pub field: String,
    /// What is wrong, in plain words.
    pub message: String,
}

impl ValidationError {
    /// Builds an error for `record`, `field` and `message`.
    pub fn new(
        record: impl Into<String>,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            record: record.into(),
            field: field.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: field `{}`: {}",
            self.record, self.field, self.message
        )
    }
}
