//! In-memory caches that stay exact: each is keyed by the store's [`Revisions`], which every
//! change of the panel and every publication bumps in its own transaction. A request reads
//! the counters (one small query) and is served from memory while they are unchanged, so
//! several processes on one PostgreSQL database never serve each other's stale data.

use crate::error::ApiError;
use axum::body::Bytes;
use chrono::NaiveDate;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, RwLock};
use zhiban_domain::{CentreId, Dataset, HalfDay, LawyerId, Role, StationId};
use zhiban_store::{CentrePolicy, Duty, DutyQuery, Revisions, Store, TokenRecord};

/// Feeds kept at most; past this the feed cache starts afresh.
const MAX_FEEDS: usize = 20_000;
/// Tokens kept at most; past this the token cache starts afresh.
const MAX_TOKENS: usize = 100_000;
/// Station-days of published duties kept at most; past this that cache starts afresh.
const MAX_STATION_DAYS: usize = 20_000;

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
    /// Published duties by station and day, as of a publication revision (every
    /// publication, and so every swap and re-plan, bumps it).
    duties: Mutex<(i64, StationDays)>,
    /// Station-days being read (by publication revision), so that each is read once.
    loading: Mutex<HashSet<(i64, StationDay)>>,
}

/// A station on a day.
type StationDay = (StationId, NaiveDate);

/// The published duties of station-days.
type StationDays = HashMap<StationDay, Arc<[Duty]>>;

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
        // A request holding older revisions than the cache's does not replace it.
        if let Ok(mut p) = self.policies.lock()
            && rev.panel >= p.0
        {
            if rev.panel > p.0 {
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
            && rev.tokens >= t.0
        {
            if rev.tokens > t.0 || t.1.len() >= MAX_TOKENS {
                *t = (rev.tokens, HashMap::new());
            }
            t.1.insert(hash.to_string(), rec.clone());
        }
        Ok(found)
    }

    /// The published duty of `lawyer` at `station` on `date` in `half_day` as `role`, as of
    /// `rev`. The check-ins of a half-day come within minutes of each other: a station-day's
    /// duties (primary and backup, morning and afternoon) are read once, in the background,
    /// and served from memory until the next publication; until they are in, a request reads
    /// its own duty (none waits for another's read).
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn duty(
        self: &Arc<Self>,
        store: &Arc<dyn Store>,
        rev: &Revisions,
        station: &StationId,
        date: NaiveDate,
        lawyer: &LawyerId,
        half_day: HalfDay,
        role: Role,
    ) -> Result<Option<Duty>, ApiError> {
        let key = (station.clone(), date);
        let wanted = |d: &Duty| {
            &d.assignment.lawyer_id == lawyer
                && d.assignment.half_day == half_day
                && d.assignment.role == role
        };
        if let Some(duties) = self.cached_duties(rev.published, &key) {
            return Ok(duties.iter().find(|d| wanted(d)).cloned());
        }
        self.read_in_background(store, rev.published, key);
        let found = store
            .list_duties(
                &DutyQuery {
                    lawyer: Some(lawyer.clone()),
                    station: Some(station.clone()),
                    from: Some(date),
                    to: Some(date),
                    ..DutyQuery::default()
                },
                crate::planning::ALL,
            )
            .await?;
        Ok(found.items.into_iter().find(wanted))
    }

    /// Starts reading a station-day's duties unless that is already under way.
    fn read_in_background(self: &Arc<Self>, store: &Arc<dyn Store>, rev: i64, key: StationDay) {
        let started = self
            .loading
            .lock()
            .map(|mut loading| loading.insert((rev, key.clone())))
            .unwrap_or(false);
        if !started {
            return;
        }
        let (caches, store) = (self.clone(), store.clone());
        tokio::spawn(async move {
            if let Err(e) = caches.read_duties(&*store, rev, key.clone()).await {
                tracing::warn!(station = %key.0, date = %key.1, error = %e,
                    "reading the station-day's published duties failed");
            }
            if let Ok(mut loading) = caches.loading.lock() {
                loading.remove(&(rev, key));
            }
        });
    }

    /// Reads a station-day's published duties and keeps them under publication revision
    /// `rev` (read after `rev` was, so at least as new: see `dataset`).
    async fn read_duties(
        &self,
        store: &dyn Store,
        rev: i64,
        key: StationDay,
    ) -> Result<(), ApiError> {
        let duties: Arc<[Duty]> = store
            .list_duties(
                &DutyQuery {
                    station: Some(key.0.clone()),
                    from: Some(key.1),
                    to: Some(key.1),
                    ..DutyQuery::default()
                },
                crate::planning::ALL,
            )
            .await?
            .items
            .into();
        if let Ok(mut d) = self.duties.lock() {
            if rev < d.0 {
                return Ok(()); // a publication came in meanwhile and is already served
            }
            if rev > d.0 || d.1.len() >= MAX_STATION_DAYS {
                *d = (rev, HashMap::new());
            }
            d.1.insert(key, duties);
        }
        Ok(())
    }

    fn cached_duties(&self, rev: i64, key: &StationDay) -> Option<Arc<[Duty]>> {
        let d = self.duties.lock().ok()?;
        if d.0 == rev {
            d.1.get(key).cloned()
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

    /// An in-memory store holding Guangzhou's panel, and that panel.
    async fn guangzhou_store() -> (Arc<dyn Store>, Dataset) {
        let store = zhiban_store::connect("sqlite::memory:").await.unwrap();
        let ds = zhiban_fixtures::guangzhou();
        store.import_dataset(&ds).await.unwrap();
        (store, ds)
    }

    #[tokio::test]
    async fn the_panel_is_exported_again_only_when_its_revision_changes() {
        let (store, ds) = guangzhou_store().await;
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
    async fn a_station_days_duties_are_read_again_only_after_a_publication() {
        use zhiban_domain::Assignment;
        use zhiban_store::{Audit, NewVersion, RosterRef};
        let (store, ds) = guangzhou_store().await;
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
            origin: zhiban_store::VersionOrigin::Solve,
            report: zhiban_domain::SolveReport::not_solved(Default::default()),
            assignments: vec![duty(lawyer)],
            pins: Default::default(),
            publish: true,
            created_by: "test".into(),
            now: chrono::Utc::now(),
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
        let caches = Arc::new(Caches::default());
        let rev = store.revisions().await.unwrap();
        let duty_of = |caches: &Arc<Caches>, rev, lawyer: &LawyerId, half_day, role| {
            let (caches, store, lawyer, station) = (
                caches.clone(),
                store.clone(),
                lawyer.clone(),
                station.id.clone(),
            );
            async move {
                caches
                    .duty(&store, &rev, &station, date, &lawyer, half_day, role)
                    .await
                    .unwrap()
                    .map(|d| d.assignment)
            }
        };
        // Read directly while the station-day is read in the background, then from memory.
        let wait_for_day = |caches: &Arc<Caches>, rev: Revisions| {
            let (caches, key) = (caches.clone(), (station.id.clone(), date));
            async move {
                for _ in 0..500 {
                    if let Some(day) = caches.cached_duties(rev.published, &key) {
                        return day;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                }
                panic!("the station-day was not read");
            }
        };
        for cached in [false, true] {
            if cached {
                wait_for_day(&caches, rev).await;
            }
            let found = duty_of(&caches, rev, &mine[0], HalfDay::Am, Role::Primary).await;
            assert_eq!(found, Some(duty(&mine[0])), "cached: {cached}");
            for (lawyer, half_day, role) in [
                (&mine[0], HalfDay::Pm, Role::Primary),
                (&mine[0], HalfDay::Am, Role::Backup),
                (&mine[1], HalfDay::Am, Role::Primary),
            ] {
                let found = duty_of(&caches, rev, lawyer, half_day, role).await;
                assert_eq!(found, None, "cached: {cached}");
            }
        }
        let day = wait_for_day(&caches, rev).await;
        assert!(
            Arc::ptr_eq(&day, &wait_for_day(&caches, rev).await),
            "read once"
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
        for cached in [false, true] {
            if cached {
                wait_for_day(&caches, rev2).await;
            }
            let gone = duty_of(&caches, rev2, &mine[0], HalfDay::Am, Role::Primary).await;
            assert_eq!(gone, None, "cached: {cached}");
            let moved = duty_of(&caches, rev2, &mine[1], HalfDay::Am, Role::Primary).await;
            assert_eq!(moved, Some(duty(&mine[1])), "cached: {cached}");
        }
        // A load begun under the old revision that ends late does not replace the new day.
        let key = (station.id.clone(), date);
        caches
            .read_duties(&*store, rev.published, key.clone())
            .await
            .unwrap();
        assert!(caches.cached_duties(rev2.published, &key).is_some());
    }

    #[tokio::test]
    async fn a_request_with_older_revisions_does_not_replace_newer_cache_entries() {
        let (store, ds) = guangzhou_store().await;
        let caches = Caches::default();
        let (a, b) = (&ds.centres[0].id, &ds.centres[1].id);
        let at = |panel, tokens| Revisions {
            panel,
            published: 0,
            tokens,
        };
        caches.policy(&*store, &at(5, 0), a).await.unwrap();
        caches.policy(&*store, &at(4, 0), b).await.unwrap();
        {
            let p = caches.policies.lock().unwrap();
            assert_eq!(p.0, 5);
            assert!(p.1.contains_key(a) && !p.1.contains_key(b));
        }
        caches.policy(&*store, &at(6, 0), b).await.unwrap();
        {
            let p = caches.policies.lock().unwrap();
            assert_eq!(p.0, 6);
            assert!(!p.1.contains_key(a) && p.1.contains_key(b));
        }

        let lawyer = ds.lawyers[0].id.clone();
        let mut hashes = Vec::new();
        for _ in 0..2 {
            let t = crate::cli::create_token(
                &store,
                zhiban_store::TokenRole::Lawyer,
                None,
                Some(lawyer.clone()),
                "test",
            )
            .await
            .unwrap();
            hashes.push(crate::auth::hash_token(&t.token));
        }
        assert!(
            caches
                .token(&*store, &at(0, 3), &hashes[0])
                .await
                .unwrap()
                .is_some()
        );
        // Found, but not kept under the older revision.
        assert!(
            caches
                .token(&*store, &at(0, 2), &hashes[1])
                .await
                .unwrap()
                .is_some()
        );
        let t = caches.tokens.lock().unwrap();
        assert_eq!(t.0, 3);
        assert!(t.1.contains_key(&hashes[0]) && !t.1.contains_key(&hashes[1]));
    }
}
