//! Pure logic shared by server and browser: statuses, verdicts and run aggregates.

pub mod aggregate;
pub mod compare;
pub mod flaky;
pub mod format;
pub mod line_diff;
pub mod paging;
pub mod progress;
pub mod provenance;
pub mod search;

use serde::{Deserialize, Serialize};

/// A result's execution status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ResultStatus {
    Ok,
    Cached,
    WorkflowFailed,
    JudgeFailed,
    Skipped,
}

impl ResultStatus {
    pub const ALL: [ResultStatus; 5] = [
        ResultStatus::Ok,
        ResultStatus::Cached,
        ResultStatus::WorkflowFailed,
        ResultStatus::JudgeFailed,
        ResultStatus::Skipped,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ResultStatus::Ok => "ok",
            ResultStatus::Cached => "cached",
            ResultStatus::WorkflowFailed => "workflow_failed",
            ResultStatus::JudgeFailed => "judge_failed",
            ResultStatus::Skipped => "skipped",
        }
    }

    pub fn parse(s: &str) -> Option<ResultStatus> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// `ok` and `cached` are the statuses whose score counts.
    pub fn is_ok(self) -> bool {
        matches!(self, ResultStatus::Ok | ResultStatus::Cached)
    }
}

/// Correctness verdict of one result against the run's pass threshold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Pass,
    Fail,
    Error,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::Error => "error",
        }
    }

    pub fn parse(s: &str) -> Option<Verdict> {
        match s {
            "pass" => Some(Verdict::Pass),
            "fail" => Some(Verdict::Fail),
            "error" => Some(Verdict::Error),
            _ => None,
        }
    }
}

/// SPEC §4: `error` for failed executions and for ok/cached results without a score, none for
/// skipped, else pass when the score reaches the threshold.
pub fn verdict(status: ResultStatus, headline_score: Option<f64>, pass_threshold: f64) -> Option<Verdict> {
    match status {
        ResultStatus::Skipped => None,
        ResultStatus::WorkflowFailed | ResultStatus::JudgeFailed => Some(Verdict::Error),
        ResultStatus::Ok | ResultStatus::Cached => match headline_score {
            None => Some(Verdict::Error),
            Some(s) if s >= pass_threshold => Some(Verdict::Pass),
            Some(_) => Some(Verdict::Fail),
        },
    }
}

/// Run lifecycle status, with the seed's spellings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Pending,
    Running,
    Completed,
    Failed,
    Canceled,
}

impl RunStatus {
    pub const ALL: [RunStatus; 5] = [
        RunStatus::Pending,
        RunStatus::Running,
        RunStatus::Completed,
        RunStatus::Failed,
        RunStatus::Canceled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Pending => "pending",
            RunStatus::Running => "running",
            RunStatus::Completed => "completed",
            RunStatus::Failed => "failed",
            RunStatus::Canceled => "canceled",
        }
    }

    pub fn parse(s: &str) -> Option<RunStatus> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    pub fn is_finished(self) -> bool {
        matches!(self, RunStatus::Completed | RunStatus::Failed | RunStatus::Canceled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ResultStatus::*;

    #[test]
    fn verdict_table() {
        let cases = [
            (Ok, Some(0.5), 0.5, Some(Verdict::Pass)),
            (Ok, Some(0.49), 0.5, Some(Verdict::Fail)),
            (Cached, Some(1.0), 0.5, Some(Verdict::Pass)),
            (Cached, Some(0.0), 0.5, Some(Verdict::Fail)),
            (Ok, None, 0.5, Some(Verdict::Error)),
            (Cached, None, 0.5, Some(Verdict::Error)),
            (WorkflowFailed, Some(1.0), 0.5, Some(Verdict::Error)),
            (JudgeFailed, None, 0.5, Some(Verdict::Error)),
            (Skipped, Some(1.0), 0.5, None),
            (Ok, Some(70.0), 50.0, Some(Verdict::Pass)),
        ];
        for (status, score, threshold, want) in cases {
            assert_eq!(verdict(status, score, threshold), want, "{status:?} {score:?} {threshold}");
        }
    }

    #[test]
    fn statuses_round_trip() {
        for s in ResultStatus::ALL {
            assert_eq!(ResultStatus::parse(s.as_str()), Some(s));
            assert_eq!(serde_json::to_value(s).unwrap(), serde_json::json!(s.as_str()));
        }
        for s in RunStatus::ALL {
            assert_eq!(RunStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(ResultStatus::parse("passed"), None);
        assert!(RunStatus::Canceled.is_finished() && !RunStatus::Running.is_finished());
    }
}
