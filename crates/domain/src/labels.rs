//! The Chinese names of skill and language codes, for what people read (the published 名册,
//! exports, the page). Codes stay in the API and in data-set keys. A data set names its own
//! codes, or renames the built-in ones, in `settings.toml`:
//!
//! ```toml
//! [labels.skills]
//! juvenile = "未成年人"
//! [labels.languages]
//! yue = "粤语"
//! ```
//!
//! A code named nowhere is shown as it is.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Skills zhiban names without being told.
pub const SKILLS: &[(&str, &str)] = &[
    ("juvenile", "未成年人"),
    ("death_penalty", "死刑案件"),
    ("foreign", "涉外"),
    ("women", "妇女"),
    ("elderly", "老年人"),
    ("disability", "残疾人"),
    ("drugs", "毒品犯罪"),
    ("economic", "经济犯罪"),
];

/// Languages zhiban names without being told.
pub const LANGUAGES: &[(&str, &str)] = &[
    ("yue", "粤语"),
    ("en", "英语"),
    ("mn", "蒙古语"),
    ("hak", "客家话"),
    ("nan", "闽南语"),
    ("ug", "维吾尔语"),
    ("bo", "藏语"),
    ("ko", "朝鲜语"),
    ("ja", "日语"),
    ("sign", "手语"),
];

/// Most names a data set may give.
pub const MAX_LABELS: usize = 500;

/// Names of skill and language codes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Labels {
    /// Skill code → name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub skills: BTreeMap<String, String>,
    /// Language code → name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub languages: BTreeMap<String, String>,
}

fn name_of(own: &BTreeMap<String, String>, built_in: &[(&str, &str)], code: &str) -> String {
    own.get(code)
        .cloned()
        .or_else(|| {
            built_in
                .iter()
                .find(|(c, _)| *c == code)
                .map(|(_, n)| n.to_string())
        })
        .unwrap_or_else(|| code.to_string())
}

impl Labels {
    /// Whether the data set names nothing itself.
    pub fn is_empty(&self) -> bool {
        self.skills.is_empty() && self.languages.is_empty()
    }

    /// A skill's name.
    pub fn skill(&self, code: &str) -> String {
        name_of(&self.skills, SKILLS, code)
    }

    /// A language's name.
    pub fn language(&self, code: &str) -> String {
        name_of(&self.languages, LANGUAGES, code)
    }

    /// The built-in names with the data set's over them.
    pub fn merged(&self) -> Labels {
        let all = |own: &BTreeMap<String, String>, built_in: &[(&str, &str)]| {
            let mut m: BTreeMap<String, String> = built_in
                .iter()
                .map(|(c, n)| (c.to_string(), n.to_string()))
                .collect();
            m.extend(own.clone());
            m
        };
        Labels {
            skills: all(&self.skills, SKILLS),
            languages: all(&self.languages, LANGUAGES),
        }
    }

    /// Checks the names: at most [`MAX_LABELS`], each 1 to 50 characters.
    pub fn validate(&self) -> Result<(), crate::ValidationError> {
        if self.skills.len() + self.languages.len() > MAX_LABELS {
            return Err(crate::ValidationError::new(
                "settings",
                "labels",
                format!("at most {MAX_LABELS} names"),
            ));
        }
        for (field, map) in [
            ("labels.skills", &self.skills),
            ("labels.languages", &self.languages),
        ] {
            if let Some((code, _)) = map
                .iter()
                .find(|(_, n)| n.trim().is_empty() || n.chars().count() > 50)
            {
                return Err(crate::ValidationError::new(
                    "settings",
                    field,
                    format!("the name of {code:?} must have 1 to 50 characters"),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_data_set_names_its_own_codes_and_renames_built_in_ones() {
        let mut l = Labels::default();
        assert_eq!(l.skill("juvenile"), "未成年人");
        assert_eq!(l.language("yue"), "粤语");
        assert_eq!(l.skill("tax"), "tax");
        l.skills.insert("tax".into(), "税务".into());
        l.languages.insert("yue".into(), "广州话".into());
        assert_eq!(
            (l.skill("tax"), l.language("yue")),
            ("税务".into(), "广州话".into())
        );
        let m = l.merged();
        assert_eq!(m.skills["juvenile"], "未成年人");
        assert_eq!(m.languages["yue"], "广州话");
        assert!(l.validate().is_ok());
        l.skills.insert("x".into(), " ".into());
        assert_eq!(l.validate().unwrap_err().field, "labels.skills");
    }
}
