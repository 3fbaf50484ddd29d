//! `zhiban token`: API tokens for machines and station displays, created (printed once,
//! stored hashed) and revoked.

use super::Db;
use anyhow::bail;
use clap::Subcommand;
use std::io::Write;
use zhiban_store::{Tie, TokenRole};

/// Token commands.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token and print it once; only its hash is stored.
    Create {
        /// admin, coordinator, finance, lawyer or station (a station display: it shows the
        /// station's rotating check-in code and can do nothing else).
        #[arg(long)]
        role: String,
        /// The centre of a coordinator or finance token.
        #[arg(long)]
        centre: Option<String>,
        /// The lawyer of a lawyer token.
        #[arg(long)]
        lawyer: Option<String>,
        /// The station of a station token.
        #[arg(long)]
        station: Option<String>,
        /// Whose token it is (shown in the audit log).
        #[arg(long, default_value = "")]
        label: String,
        #[allow(missing_docs)]
        #[command(flatten)]
        db: Db,
    },
    /// Revoke a token by its id (its holder gets 401 at once).
    Revoke {
        /// The token's id, as printed by `token create`.
        id: i64,
        #[allow(missing_docs)]
        #[command(flatten)]
        db: Db,
    },
}

/// Runs `zhiban token`.
pub(crate) async fn run(command: TokenCommand, out: &mut (dyn Write + Send)) -> anyhow::Result<()> {
    match command {
        TokenCommand::Create {
            role,
            centre,
            lawyer,
            station,
            label,
            db,
        } => {
            let role = TokenRole::parse(&role).map_err(|m| anyhow::anyhow!("--role: {m}"))?;
            let store = zhiban_store::connect(&db.database_url).await?;
            let centre = centre
                .map(|c| {
                    zhiban_domain::CentreId::parse(&c).map_err(|m| anyhow::anyhow!("--centre: {m}"))
                })
                .transpose()?;
            let lawyer = lawyer
                .map(|c| {
                    zhiban_domain::LawyerId::parse(&c).map_err(|m| anyhow::anyhow!("--lawyer: {m}"))
                })
                .transpose()?;
            if matches!(role, TokenRole::Director | TokenRole::FirmAdmin) {
                bail!(
                    "a {} is a person: make an account with `zhiban user create`",
                    role.code()
                );
            }
            let given: Vec<Tie> = [
                (centre.is_some(), Tie::Centres),
                (lawyer.is_some(), Tie::Lawyer),
                (station.is_some(), Tie::Station),
            ]
            .into_iter()
            .filter_map(|(present, t)| present.then_some(t))
            .collect();
            role.check_ties(&given).map_err(|e| {
                let flag = match e.tie {
                    Tie::Centres => "--centre",
                    Tie::Lawyer => "--lawyer",
                    Tie::Station => "--station",
                    Tie::Firm => "--role",
                };
                anyhow::anyhow!("{flag}: {}", e.message(role, "token"))
            })?;
            if let Some(st) = &station {
                let st = zhiban_domain::StationId::parse(st)
                    .map_err(|m| anyhow::anyhow!("--station: {m}"))?;
                let token = create_station_token(&store, &st, &label).await?;
                writeln!(out, "{token}")?;
                writeln!(
                    out,
                    "keep it safe: it is shown only now (the database keeps only its hash)"
                )?;
                return Ok(());
            }
            if let Some(c) = &centre
                && store.list_centres().await?.iter().all(|x| &x.id != c)
            {
                bail!("--centre: no centre {c}");
            }
            if let Some(l) = &lawyer
                && store.list_lawyers(None).await?.iter().all(|x| &x.id != l)
            {
                bail!("--lawyer: no lawyer {l}");
            }
            let token = create_token(&store, role, centre, lawyer, &label).await?;
            writeln!(out, "{token}")?;
            writeln!(
                out,
                "keep it safe: it is shown only now (the database keeps only its hash)"
            )?;
        }
        TokenCommand::Revoke { id, db } => {
            let store = zhiban_store::connect(&db.database_url).await?;
            let audit = zhiban_store::Audit {
                actor: "cli".into(),
                centre_id: None,
                action: "token.revoke".into(),
                target: format!("token/{id}"),
                detail: serde_json::json!({}),
            };
            if !store.revoke_token(id, &audit).await? {
                bail!("no live token with id {id}");
            }
            writeln!(out, "token {id} revoked")?;
        }
    }
    Ok(())
}

/// A token just made: its text, shown once (only its hash is stored), and its row id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedToken {
    /// The token's id (for `zhiban token revoke`).
    pub id: i64,
    /// The token itself.
    pub token: String,
}

impl std::fmt::Display for IssuedToken {
    /// As the command prints it: the token, a tab, and its id.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}\t(id {})", self.token, self.id)
    }
}

/// Creates a token; returns it (its text is shown once).
pub async fn create_token(
    store: &std::sync::Arc<dyn zhiban_store::Store>,
    role: TokenRole,
    centre: Option<zhiban_domain::CentreId>,
    lawyer: Option<zhiban_domain::LawyerId>,
    label: &str,
) -> anyhow::Result<IssuedToken> {
    create_token_for(store, role, centre, lawyer, None, label).await
}

/// A station display's token (its centre is the station's).
pub async fn create_station_token(
    store: &std::sync::Arc<dyn zhiban_store::Store>,
    station: &zhiban_domain::StationId,
    label: &str,
) -> anyhow::Result<IssuedToken> {
    let st = store
        .list_stations(None)
        .await?
        .into_iter()
        .find(|s| &s.id == station)
        .ok_or_else(|| anyhow::anyhow!("--station: no station {station}"))?;
    create_token_for(
        store,
        TokenRole::Station,
        Some(st.centre_id),
        None,
        Some(st.id),
        label,
    )
    .await
}

async fn create_token_for(
    store: &std::sync::Arc<dyn zhiban_store::Store>,
    role: TokenRole,
    centre: Option<zhiban_domain::CentreId>,
    lawyer: Option<zhiban_domain::LawyerId>,
    station: Option<zhiban_domain::StationId>,
    label: &str,
) -> anyhow::Result<IssuedToken> {
    let token = crate::auth::generate_token()?;
    let label = if label.trim().is_empty() {
        role.code().to_string()
    } else {
        label.trim().to_string()
    };
    let rec = store
        .create_token(
            &zhiban_store::NewToken {
                hash: crate::auth::hash_token(&token),
                role,
                centre_id: centre.clone(),
                lawyer_id: lawyer,
                station_id: station,
                label: label.clone(),
            },
            &zhiban_store::Audit {
                actor: "cli".into(),
                centre_id: centre,
                action: "token.create".into(),
                target: String::new(),
                detail: serde_json::json!({"role": role.code(), "label": label}),
            },
        )
        .await?;
    Ok(IssuedToken { id: rec.id, token })
}
