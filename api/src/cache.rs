//! In-memory caches that stay exact: each is keyed by the store's [`Revisions`], which every
//! change of the panel and every publication bumps in its own transaction. A request reads
//! the counters (one small query) and is served from memory while they are unchanged, so
//! several processes on one PostgreSQL database never serve each other's stale data.

use crate::error::ApiError;
use axum::body::Bytes;
use chrono::NaiveDate;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use zhiban_domain::{CentreId, Dataset, HalfDay, LawyerId, Role, StationId};
use zhiban_store::{CentrePolicy, Duty, DutyQuery, Revisions, Store, TokenRecord};

/// Feeds kept at most; past this the feed cache starts afresh.
const MAX_FEEDS: usize = 20_000;
/// Tokens kept at most; past this the token cache starts afresh.
const MAX_TOKENS: usize = 100_000;
/// Days of published duties kept at most; past this that cache starts afresh.
const MAX_DAYS: usize = 62;

/// A rendered iCal feed.
#[derive(Debug, Clone)]
pub(crate) struct RenderedFeed {
    /// The calendar text.
    pub(crate) body: Bytes,
    /// Its entity tag (quoted).
    pub(crate) etag: Arc<str>,
}

/// Which feed, as of which revisions and hour (feeds drop past and cancelled duties by the
/// hour).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct FeedKey {
    /// `lawyer:ID` or `station:ID`.
    pub(crate) subject: String,
    /// The store's counters when the feed was rendered.
    pub(crate) revisions: Revisions,
    /// The hour (Unix seconds of its start) the feed was rendered for.
    pub(crate) hour: i64,
}

/// The caches of one process.
#[derive(Debug, Default)]
pub struct Caches {
    panel: RwLock<Option<(i64, Arc<Dataset>)>>,
    /// One export at a time refills the panel cache (the others wait, then find it filled).
    refill: tokio::sync::Mutex<()>,
    feeds: Mutex<HashMap<FeedKey, RenderedFeed>>,
    /// Centres' policies as of a panel revision.
    policies: Mutex<(i64, HashMap<CentreId, CentrePolicy>)>,
    /// Valid tokens by hash, as of a token revision (a revocation anywhere bumps it).
    tokens: Mutex<(i64, HashMap<String, TokenRecord>)>,
    /// Published duties by day, as of a publication revision (every publication, and so
    /// every swap and re-plan, bumps it).
    duties: Mutex<(i64, HashMap<NaiveDate, Arc<DayDuties>>)>,
    /// One reader at a time fills a day (the check-ins of a half-day come all at once).
    duties_refill: tokio::sync::Mutex<()>,
}

/// The published duties of one day, by station and lawyer.
#[derive(Debug, Default)]
pub(crate) struct DayDuties {
    by_station_lawyer: HashMap<(StationId, LawyerId), Vec<Duty>>,
}

impl DayDuties {
    /// The duty of `lawyer` at `station` in `half_day` as `role`.
    pub(crate) fn find(
        &self,
        station: &StationId,
        lawyer: &LawyerId,
        half_day: HalfDay,
        role: Role,
    ) -> Option<&Duty> {
        self.by_station_lawyer
            .get(&(station.clone(), lawyer.clone()))?
            .iter()
            .find(|d| d.assignment.half_day == half_day && d.assignment.role == role)
    }
}

impl Caches {
    /// The panel as of `rev`, from memory or exported once.
    pub(crate) async fn dataset(
        &self,
        store: &dyn Store,
        rev: &Revisions,
    ) -> Result<Arc<Dataset>, ApiError> {
        if let Some(ds) = self.cached_panel(rev.panel) {
            return Ok(ds);
        }
        let _one = self.refill.lock().await;
        if let Some(ds) = self.cached_panel(rev.panel) {
            return Ok(ds);
        }
        // Exported after `rev` was read, so at least as new as `rev`; a newer export filed
        // under `rev` is only re-exported at the next change.
        let ds = Arc::new(store.export_dataset().await?);
        if let Ok(mut slot) = self.panel.write() {
            *slot = Some((rev.panel, ds.clone()));
        }
        Ok(ds)
    }

    fn cached_panel(&self, rev: i64) -> Option<Arc<Dataset>> {
        match self.panel.read().ok()?.as_ref() {
            Some((r, ds)) if *r == rev => Some(ds.clone()),
            _ => None,
        }
    }

    /// Centre `c`'s policy as of `rev`.
    pub(crate) async fn policy(
        &self,
        store: &dyn Store,
        rev: &Revisions,
        c: &CentreId,
    ) -> Result<CentrePolicy, ApiError> {
        if let Ok(p) = self.policies.lock()
            && p.0 == rev.panel
            && let Some(found) = p.1.get(c)
        {
            return Ok(*found);
        }
        let found = store.centre_policy(c).await?;
        if let Ok(mut p) = self.policies.lock() {
            if p.0 != rev.panel {
                *p = (rev.panel, HashMap::new());
            }
            p.1.insert(c.clone(), found);
        }
        Ok(found)
    }

    /// The token with SHA-256 `hash` as of `rev`, from memory while no token was revoked.
    /// Unknown tokens are not remembered (they are rate-limited instead).
    pub(crate) async fn token(
        &self,
        store: &dyn Store,
        rev: &Revisions,
        hash: &str,
    ) -> Result<Option<TokenRecord>, ApiError> {
        if let Ok(t) = self.tokens.lock()
            && t.0 == rev.tokens
            && let Some(rec) = t.1.get(hash)
        {
            return Ok(Some(rec.clone()));
        }
        let found = store.token_by_hash(hash).await?;
        if let Ok(mut t) = self.tokens.lock()
            && let Some(rec) = &found
        {
            if t.0 != rev.tokens || t.1.len() >= MAX_TOKENS {
                *t = (rev.tokens, HashMap::new());
            }
            t.1.insert(hash.to_string(), rec.clone());
        }
        Ok(found)
    }

    /// The published duties of `date` as of `rev`, from memory while nothing was published
    /// since: at the start of a half-day every lawyer on duty checks in within minutes, and
    /// the day is read once for all of them.
    pub(crate) async fn duties_on(
        &self,
        store: &dyn Store,
        rev: &Revisions,
        date: NaiveDate,
    ) -> Result<Arc<DayDuties>, ApiError> {
        if let Some(found) = self.cached_day(rev.published, date) {
            return Ok(found);
        }
        let _one = self.duties_refill.lock().await;
        if let Some(found) = self.cached_day(rev.published, date) {
            return Ok(found);
        }
        // Read after `rev` was: at least as new as `rev` (see `dataset`).
        let all = store
            .list_duties(
                &DutyQuery {
                    from: Some(date),
                    to: Some(date),
                    ..DutyQuery::default()
                },
                crate::planning::ALL,
            )
            .await?
            .items;
        let mut day = DayDuties::default();
        for d in all {
            day.by_station_lawyer
                .entry((
                    d.assignment.station_id.clone(),
                    d.assignment.lawyer_id.clone(),
                ))
                .or_default()
                .push(d);
        }
        let day = Arc::new(day);
        if let Ok(mut d) = self.duties.lock() {
            if d.0 != rev.published || d.1.len() >= MAX_DAYS {
                *d = (rev.published, HashMap::new());
            }
            d.1.insert(date, day.clone());
        }
        Ok(day)
    }

    fn cached_day(&self, rev: i64, date: NaiveDate) -> Option<Arc<DayDuties>> {
        let d = self.duties.lock().ok()?;
        if d.0 == rev {
            d.1.get(&date).cloned()
        } else {
            None
        }
    }

    /// A feed rendered earlier for `key`.
    pub(crate) fn feed(&self, key: &FeedKey) -> Option<RenderedFeed> {
        self.feeds.lock().ok()?.get(key).cloned()
    }

    /// Keeps a rendered feed.
    pub(crate) fn keep_feed(&self, key: FeedKey, feed: RenderedFeed) {
        if let Ok(mut feeds) = self.feeds.lock() {
            if feeds.len() >= MAX_FEEDS {
                feeds.clear();
            }
            feeds.insert(key, feed);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[tokio::test]
    async fn the_panel_is_exported_again_only_when_its_revision_changes() {
        let store = zhiban_store::connect("sqlite::memory:").await.unwrap();
        let ds = zhiban_fixtures::guangzhou();
        store.import_dataset(&ds).await.unwrap();
        let caches = Caches::default();
        let rev = store.revisions().await.unwrap();
        let a = caches.dataset(&*store, &rev).await.unwrap();
        let b = caches.dataset(&*store, &rev).await.unwrap();
        assert!(Arc::ptr_eq(&a, &b), "served from memory");
        assert_eq!(a.lawyers.len(), ds.lawyers.len());

        // A change of the panel bumps the revision: the next read sees it.
        let mut changed = ds.clone();
        changed.lawyers[0].name = "改名律师".into();
        store.import_dataset(&changed).await.unwrap();
        let rev2 = store.revisions().await.unwrap();
        assert_eq!(rev2.panel, rev.panel + 1);
        assert_eq!(rev2.published, rev.published);
        let c = caches.dataset(&*store, &rev2).await.unwrap();
        assert!(!Arc::ptr_eq(&a, &c));
        let renamed = c.lawyer(&changed.lawyers[0].id).unwrap();
        assert_eq!(renamed.name, "改名律师");
    }

    #[tokio::test]
    async fn a_days_duties_are_read_again_only_after_a_publication() {
        use zhiban_domain::Assignment;
        use zhiban_store::{Audit, NewVersion, RosterRef};
        let store = zhiban_store::connect("sqlite::memory:").await.unwrap();
        let ds = zhiban_fixtures::guangzhou();
        store.import_dataset(&ds).await.unwrap();
        let station = ds.stations[0].clone();
        let mine: Vec<_> = ds
            .lawyers
            .iter()
            .filter(|l| l.home_centre_id == station.centre_id)
            .take(2)
            .map(|l| l.id.clone())
            .collect();
        let date = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        let duty = |lawyer: &LawyerId| Assignment {
            date,
            half_day: HalfDay::Am,
            station_id: station.id.clone(),
            lawyer_id: lawyer.clone(),
            role: Role::Primary,
        };
        let audit = Audit {
            actor: "test".into(),
            centre_id: None,
            action: "test".into(),
            target: String::new(),
            detail: serde_json::Value::Null,
        };
        let version = |roster: RosterRef, lawyer: &LawyerId| NewVersion {
            roster,
            based_on: None,
            origin: "test".into(),
            report: serde_json::json!({}),
            assignments: vec![duty(lawyer)],
            pins: Default::default(),
            publish: true,
            created_by: "test".into(),
        };
        let first = store
            .create_version(
                &version(
                    RosterRef::New {
                        centre_id: station.centre_id.clone(),
                        from: date,
                        weeks: 1,
                    },
                    &mine[0],
                ),
                &audit,
            )
            .await
            .unwrap();
        let caches = Caches::default();
        let rev = store.revisions().await.unwrap();
        let a = caches.duties_on(&*store, &rev, date).await.unwrap();
        let b = caches.duties_on(&*store, &rev, date).await.unwrap();
        assert!(Arc::ptr_eq(&a, &b), "served from memory");
        let found = a
            .find(&station.id, &mine[0], HalfDay::Am, Role::Primary)
            .unwrap();
        assert_eq!(found.assignment, duty(&mine[0]));
        assert!(
            a.find(&station.id, &mine[0], HalfDay::Pm, Role::Primary)
                .is_none()
        );
        assert!(
            a.find(&station.id, &mine[0], HalfDay::Am, Role::Backup)
                .is_none()
        );
        assert!(
            a.find(&station.id, &mine[1], HalfDay::Am, Role::Primary)
                .is_none()
        );
        let other_day = caches
            .duties_on(&*store, &rev, date.succ_opt().unwrap())
            .await
            .unwrap();
        assert!(
            other_day
                .find(&station.id, &mine[0], HalfDay::Am, Role::Primary)
                .is_none()
        );

        // The duty moves to the other lawyer (a swap publishes a new version): the next
        // request sees it, the old holder's duty is gone.
        let roster = store.get_version(first).await.unwrap().unwrap().roster.id;
        store
            .create_version(
                &NewVersion {
                    based_on: Some(first),
                    ..version(RosterRef::Existing(roster), &mine[1])
                },
                &audit,
            )
            .await
            .unwrap();
        let rev2 = store.revisions().await.unwrap();
        assert_eq!(rev2.published, rev.published + 1);
        let c = caches.duties_on(&*store, &rev2, date).await.unwrap();
        assert!(
            c.find(&station.id, &mine[0], HalfDay::Am, Role::Primary)
                .is_none()
        );
        assert!(
            c.find(&station.id, &mine[1], HalfDay::Am, Role::Primary)
                .is_some()
        );
    }
}
