//! Cells of CSV and XLSX exports that hold user text: neutralised against formula
//! injection, so that a name or note typed as `=HYPERLINK(...)` is shown, never run, when
//! a coordinator opens the file in Excel or WPS.

use std::borrow::Cow;

/// `text` fit for a spreadsheet cell: when it starts with `=`, `+`, `-`, `@`, a tab or a
/// carriage return (what spreadsheets read as the start of a formula), it is prefixed with
/// an apostrophe, which Excel and WPS show as text and do not evaluate (OWASP's advice).
pub(crate) fn text(text: &str) -> Cow<'_, str> {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{text}")),
        _ => Cow::Borrowed(text),
    }
}

#[cfg(test)]
mod tests {
    use super::text;

    #[test]
    fn formula_starts_are_neutralised_and_other_text_is_kept() {
        for bad in ["=1+2", "+86 138", "-2+3", "@SUM(A1)", "\t=x", "\r=x"] {
            assert_eq!(text(bad), format!("'{bad}"));
        }
        for ok in ["王律师", "1+2", "", "a=b", " =x"] {
            assert_eq!(text(ok), ok);
        }
    }
}
