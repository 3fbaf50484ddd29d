//! Paginated lists: `limit` and `offset` in, `items`, `total`, `limit`, `offset` out.

use crate::error::ApiError;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

/// Default page size.
pub(crate) const DEFAULT_LIMIT: u32 = 100;
/// Largest page size.
pub(crate) const MAX_LIMIT: u32 = 500;

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct PageOut<T: ToSchema> {
    /// The items of this page.
    pub(crate) items: Vec<T>,
    /// How many items match in all.
    pub(crate) total: u64,
    /// Page size asked for.
    pub(crate) limit: u32,
    /// Items skipped.
    pub(crate) offset: u64,
}

impl<T: ToSchema> PageOut<T> {
    /// The API's page of a store page, each stored item made into its response type.
    pub(crate) fn of<R>(p: zhiban_store::Paged<R>, page: zhiban_store::Page) -> Json<Self>
    where
        T: From<R>,
    {
        Json(Self {
            items: p.items.into_iter().map(T::from).collect(),
            total: p.total,
            limit: page.limit,
            offset: page.offset,
        })
    }
}

/// Checks `limit` (1 to 500, default 100).
pub(crate) fn limit(raw: Option<u32>) -> Result<u32, ApiError> {
    match raw {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(n) => Err(ApiError::field(
            "limit",
            format!("must be 1 to {MAX_LIMIT}, got {n}"),
        )),
    }
}

/// A page cut from a whole list.
pub(crate) fn page<T: ToSchema>(
    all: Vec<T>,
    limit_raw: Option<u32>,
    offset: Option<u64>,
) -> Result<Json<PageOut<T>>, ApiError> {
    let limit = limit(limit_raw)?;
    let offset = offset.unwrap_or(0);
    let total = all.len() as u64;
    let items = all
        .into_iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(limit as usize)
        .collect();
    Ok(Json(PageOut {
        items,
        total,
        limit,
        offset,
    }))
}

/// The store's page for `limit` and `offset`.
pub(crate) fn store_page(
    limit_raw: Option<u32>,
    offset: Option<u64>,
) -> Result<zhiban_store::Page, ApiError> {
    Ok(zhiban_store::Page {
        limit: limit(limit_raw)?,
        offset: offset.unwrap_or(0),
    })
}
