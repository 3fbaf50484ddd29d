//! Records of solve and repair jobs: kind, status and the leased job itself.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use zhiban_domain::{CentreId, JobProgress};

/// Kind of job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum JobKind {
    /// Generate a roster.
    Solve,
    /// Repair a roster after a change.
    Repair,
}

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum JobStatus {
    /// Waiting for a worker.
    Queued,
    /// Being solved.
    Running,
    /// Done: `version_id` holds the result.
    Succeeded,
    /// Failed: `error` says why.
    Failed,
}

impl JobStatus {
    /// Code as stored.
    pub fn code(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
            JobStatus::Succeeded => "succeeded",
            JobStatus::Failed => "failed",
        }
    }

    /// Parses a stored code.
    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw {
            "queued" => Ok(JobStatus::Queued),
            "running" => Ok(JobStatus::Running),
            "succeeded" => Ok(JobStatus::Succeeded),
            "failed" => Ok(JobStatus::Failed),
            other => Err(format!("unknown job status {other:?}")),
        }
    }
}

/// A solve or repair job.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct JobRecord {
    /// Row id.
    pub id: i64,
    /// Centre.
    pub centre_id: CentreId,
    /// Solve or repair.
    pub kind: JobKind,
    /// Status.
    pub status: JobStatus,
    /// What was asked.
    pub request: serde_json::Value,
    /// Latest progress (incumbent, bound, gap, elapsed).
    pub progress: Option<JobProgress>,
    /// Why it failed.
    pub error: Option<String>,
    /// The roster series (known at once for repairs, at the end for solves).
    pub roster_id: Option<i64>,
    /// The version it produced.
    pub version_id: Option<i64>,
    /// When it was asked for.
    pub created_at: DateTime<Utc>,
    /// By whom.
    pub created_by: String,
    /// When a worker took it.
    pub started_at: Option<DateTime<Utc>>,
    /// When it ended.
    pub finished_at: Option<DateTime<Utc>>,
    /// The process holding (or last holding) its lease.
    pub worker: Option<String>,
    /// When that process last renewed the lease.
    pub heartbeat_at: Option<DateTime<Utc>>,
    /// How many times a process has taken it.
    pub attempts: u32,
}
