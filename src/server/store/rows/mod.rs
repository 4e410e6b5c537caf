//! Every row type the store's modules share, each with the SELECT that reads it and its
//! conversion to the model's types. Rows used by one module alone stay in that module.

mod result;
mod run;
mod script;

pub(crate) use result::{
    CallRow, ResultRow, ScorerRow, StepRow, SummaryRow, CALL_COLS, RESULT_SELECT, SCORER_SELECT, STEP_SELECT, SUMMARY_COLS,
};
pub(crate) use run::{
    percentile, ContributionRow, FiguresRow, NewRun, Resolved, RunRow, Selection, SumsRow, CONTRIBUTION_COLS,
    FIGURES_SELECT, RUN_DIM_COLS, RUN_SELECT,
};
pub(crate) use script::{BenchRow, CaseDbRow, VersionRow, BENCH_SELECT, CASE_SELECT, VERSION_SELECT};
