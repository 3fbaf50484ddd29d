//! What makes an account well formed, checked in one place for the API (`POST
//! /api/v1/users`, `PUT /api/v1/users/{id}/role`) and the command line (`zhiban user
//! create`): the login name, the name shown, the role, and exactly the ties the role needs
//! (centres, a lawyer, a firm), each of them in the panel. Callers name the fields in their
//! own words (`centres` in JSON, `--centre` on the command line).

use zhiban_domain::account::{check_display_name, normalize_login};
use zhiban_domain::{CentreId, Dataset, FirmId, LawyerId};
use zhiban_store::{RoleChange, Tie, TokenRole};

/// Most centres one account may be tied to.
pub(crate) const MAX_CENTRES: usize = 50;

/// A field of an account, for the caller to name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Field {
    /// The login name.
    Login,
    /// The name shown.
    DisplayName,
    /// The role.
    Role,
    /// The centres.
    Centres,
    /// The lawyer.
    Lawyer,
    /// The firm.
    Firm,
}

/// A refused field and why.
pub(crate) type Refusal = (Field, String);

/// Checks a role and its ties against the panel.
pub(crate) fn check_role(ds: &Dataset, c: &RoleChange) -> Result<(), Refusal> {
    if matches!(c.role, TokenRole::Station) {
        return Err((
            Field::Role,
            "a station display uses a token, not an account".into(),
        ));
    }
    let mut given = vec![];
    if !c.centres.is_empty() {
        given.push(Tie::Centres);
    }
    if c.lawyer_id.is_some() {
        given.push(Tie::Lawyer);
    }
    if c.firm_id.is_some() {
        given.push(Tie::Firm);
    }
    c.role.check_ties(&given).map_err(|e| {
        let field = match e.tie {
            Tie::Centres => Field::Centres,
            Tie::Lawyer => Field::Lawyer,
            Tie::Firm => Field::Firm,
            Tie::Station => Field::Role,
        };
        (field, e.message(c.role, "account"))
    })?;
    if c.centres.len() > MAX_CENTRES {
        return Err((Field::Centres, format!("at most {MAX_CENTRES}")));
    }
    if let Some(x) = c
        .centres
        .iter()
        .find(|x| !ds.centres.iter().any(|k| &k.id == *x))
    {
        return Err((Field::Centres, format!("no centre {x}")));
    }
    if let Some(l) = &c.lawyer_id
        && ds.lawyer(l).is_none()
    {
        return Err((Field::Lawyer, format!("no lawyer {l} in the panel")));
    }
    if let Some(f) = &c.firm_id
        && !ds.firms.iter().any(|x| &x.id == f)
    {
        return Err((Field::Firm, format!("no firm {f}")));
    }
    Ok(())
}

/// A new account's login name and name shown (a lawyer's defaults to their name in the
/// panel, anyone else's to the login name), after [`check_role`].
pub(crate) fn check_names(
    ds: &Dataset,
    login: &str,
    display_name: Option<String>,
    c: &RoleChange,
) -> Result<(String, String), Refusal> {
    let login = normalize_login(login).map_err(|m| (Field::Login, m))?;
    check_role(ds, c)?;
    let panel_name = c
        .lawyer_id
        .as_ref()
        .and_then(|l| ds.lawyer(l))
        .map(|l| l.name.clone());
    let shown = match display_name.or(panel_name) {
        Some(n) => check_display_name(&n).map_err(|m| (Field::DisplayName, m))?,
        None => login.clone(),
    };
    Ok((login, shown))
}

/// The ties of a role change, as given (each centre once).
pub(crate) fn change(
    role: TokenRole,
    mut centres: Vec<CentreId>,
    lawyer_id: Option<LawyerId>,
    firm_id: Option<FirmId>,
) -> RoleChange {
    centres.sort();
    centres.dedup();
    RoleChange {
        role,
        centres,
        lawyer_id,
        firm_id,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ds() -> Dataset {
        let dir = zhiban_testkit::fixtures_dir().join("small");
        zhiban_dataset::read_dir(&dir, chrono::Utc::now().date_naive()).unwrap()
    }

    #[test]
    fn a_role_takes_its_ties_and_no_others() {
        let ds = ds();
        let c = ds.centres[0].id.clone();
        let l = ds.lawyers[0].id.clone();
        let f = ds.firms[0].id.clone();
        assert!(
            check_role(
                &ds,
                &change(TokenRole::Coordinator, vec![c.clone()], None, None)
            )
            .is_ok()
        );
        assert!(
            check_role(
                &ds,
                &change(TokenRole::Lawyer, vec![], Some(l.clone()), None)
            )
            .is_ok()
        );
        assert!(check_role(&ds, &change(TokenRole::FirmAdmin, vec![], None, Some(f))).is_ok());
        assert!(check_role(&ds, &change(TokenRole::Admin, vec![], None, None)).is_ok());
        let e = check_role(&ds, &change(TokenRole::Director, vec![], None, None)).unwrap_err();
        assert_eq!(e, (Field::Centres, "a director account needs it".into()));
        let e = check_role(&ds, &change(TokenRole::Lawyer, vec![c], Some(l), None)).unwrap_err();
        assert_eq!(e, (Field::Centres, "a lawyer account has none".into()));
        let e = check_role(&ds, &change(TokenRole::Station, vec![], None, None)).unwrap_err();
        assert_eq!(e.0, Field::Role);
    }

    #[test]
    fn ties_must_be_in_the_panel() {
        let ds = ds();
        let nowhere = CentreId::parse("NOWHERE").unwrap();
        let e =
            check_role(&ds, &change(TokenRole::Finance, vec![nowhere], None, None)).unwrap_err();
        assert_eq!(e, (Field::Centres, "no centre NOWHERE".into()));
        let ghost = LawyerId::parse("GHOST-1").unwrap();
        let e = check_role(&ds, &change(TokenRole::Lawyer, vec![], Some(ghost), None)).unwrap_err();
        assert_eq!(e.0, Field::Lawyer);
        let many: Vec<CentreId> = (0..=MAX_CENTRES)
            .map(|i| CentreId::parse(&format!("C{i}")).unwrap())
            .collect();
        let e = check_role(&ds, &change(TokenRole::Finance, many, None, None)).unwrap_err();
        assert_eq!(e, (Field::Centres, "at most 50".into()));
    }

    #[test]
    fn a_lawyer_is_shown_by_their_panel_name_unless_named() {
        let ds = ds();
        let l = ds.lawyers[0].clone();
        let c = change(TokenRole::Lawyer, vec![], Some(l.id.clone()), None);
        let (login, shown) = check_names(&ds, " 13800138000 ", None, &c).unwrap();
        assert_eq!(
            (login.as_str(), shown.as_str()),
            ("13800138000", l.name.as_str())
        );
        let (_, shown) = check_names(&ds, "x100", Some("张律师".into()), &c).unwrap();
        assert_eq!(shown, "张律师");
        let admin = change(TokenRole::Admin, vec![], None, None);
        let (login, shown) = check_names(&ds, "Root", None, &admin).unwrap();
        assert_eq!((login.as_str(), shown.as_str()), ("root", "root"));
        assert_eq!(
            check_names(&ds, "", None, &admin).unwrap_err().0,
            Field::Login
        );
    }
}
