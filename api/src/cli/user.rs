//! `zhiban user`: people's accounts from the shell (the first admin, and recovery). Each
//! command prints the one-time code on its own last line; only its hash is stored.

use super::Db;
use crate::account_shape::{Field, change, check_names};
use anyhow::Context;
use clap::Subcommand;
use std::io::Write;
use zhiban_domain::account::{DEFAULT_CODE_DAYS, normalize_login};
use zhiban_domain::{CentreId, FirmId, LawyerId};
use zhiban_store::{Audit, NewUser, TokenRole};

/// Account commands.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Make an account and print its one-time invitation code (valid 7 days).
    Create {
        /// Login name: a lawyer's mobile or licence number, or a short name.
        #[arg(long)]
        login: String,
        /// admin, director, coordinator, finance, firm_admin or lawyer.
        #[arg(long)]
        role: String,
        /// A centre of a coordinator, finance officer or director (repeat for several).
        #[arg(long)]
        centre: Vec<String>,
        /// The lawyer of a lawyer's account.
        #[arg(long)]
        lawyer: Option<String>,
        /// The firm of a firm administrator.
        #[arg(long)]
        firm: Option<String>,
        /// The name shown (default: the lawyer's name, or the login name).
        #[arg(long)]
        name: Option<String>,
        #[allow(missing_docs)]
        #[command(flatten)]
        db: Db,
    },
    /// Replace an account's password with a new one-time code (every session ends).
    Reset {
        /// The account's login name.
        #[arg(long)]
        login: String,
        #[allow(missing_docs)]
        #[command(flatten)]
        db: Db,
    },
}

fn cli_audit(action: &str, login: &str) -> Audit {
    Audit {
        actor: "cli".into(),
        centre_id: None,
        action: action.into(),
        target: format!("user/{login}"),
        detail: serde_json::json!({"login": login}),
    }
}

/// Runs `zhiban user`.
pub(crate) async fn run(command: UserCommand, out: &mut (dyn Write + Send)) -> anyhow::Result<()> {
    let expires = chrono::Utc::now() + chrono::Duration::days(DEFAULT_CODE_DAYS);
    match command {
        UserCommand::Create {
            login,
            role,
            centre,
            lawyer,
            firm,
            name,
            db,
        } => {
            let role = TokenRole::parse(&role).map_err(|m| anyhow::anyhow!("--role: {m}"))?;
            let flag = |f: Field| match f {
                Field::Login => "--login",
                Field::DisplayName => "--name",
                Field::Role => "--role",
                Field::Centres => "--centre",
                Field::Lawyer => "--lawyer",
                Field::Firm => "--firm",
            };
            let centres = centre
                .iter()
                .map(|c| CentreId::parse(c).map_err(|m| anyhow::anyhow!("--centre: {m}")))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let lawyer = lawyer
                .map(|l| LawyerId::parse(&l).map_err(|m| anyhow::anyhow!("--lawyer: {m}")))
                .transpose()?;
            let firm = firm
                .map(|f| FirmId::parse(&f).map_err(|m| anyhow::anyhow!("--firm: {m}")))
                .transpose()?;
            let store = zhiban_store::connect(&db.database_url).await?;
            let ds = store.export_dataset().await?;
            let ties = change(role, centres, lawyer, firm);
            let (login, display_name) = check_names(&ds, &login, name, &ties)
                .map_err(|(f, m)| anyhow::anyhow!("{}: {m}", flag(f)))?;
            let (code, hash) = crate::accounts::new_code()?;
            let u = store
                .create_user(
                    &NewUser {
                        login: login.clone(),
                        display_name,
                        role,
                        centres: ties.centres,
                        lawyer_id: ties.lawyer_id,
                        firm_id: ties.firm_id,
                        code_hash: hash,
                        code_expires_at: expires,
                        created_by: "cli".into(),
                    },
                    &cli_audit("user.invite", &login),
                )
                .await?;
            writeln!(
                out,
                "account {} ({}, {}) made; it signs in after setting a password with this \
                 one-time code, valid until {}:",
                u.id,
                u.login,
                u.role.code(),
                expires.format("%Y-%m-%d %H:%M UTC")
            )?;
            writeln!(out, "{code}")?;
        }
        UserCommand::Reset { login, db } => {
            let login = normalize_login(&login).map_err(|m| anyhow::anyhow!("--login: {m}"))?;
            let store = zhiban_store::connect(&db.database_url).await?;
            let u = store
                .user_by_login(&login)
                .await?
                .with_context(|| format!("--login: no account {login}"))?;
            let (code, hash) = crate::accounts::new_code()?;
            store
                .reset_user(u.id, &hash, expires, &cli_audit("user.reset", &login))
                .await?;
            writeln!(
                out,
                "account {login} reset: its sessions ended; new one-time code, valid until {}:",
                expires.format("%Y-%m-%d %H:%M UTC")
            )?;
            writeln!(out, "{code}")?;
        }
    }
    Ok(())
}
