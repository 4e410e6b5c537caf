//! A run's results exported whole — `GET /api/runs/{id}/results?format=csv|jsonl` — streamed:
//! the store is read by keyset a chunk at a time (`Store::results_chunk`), each chunk written
//! and sent before the next is read, so a 50,000-result run never sits in memory. The rows are
//! the results list's (`ResultSummary`, every epoch), filtered and ordered by the same
//! parameters; CSV cells are formula-guarded like the compare export.

use axum::body::{Body, Bytes};
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::csv::{csv_num, csv_text, push_row};
use super::error::{ApiError, ApiResult};
use crate::model::query::ResultsQuery;
use crate::model::{ResultPage, ResultSummary};
use crate::server::store::Store;

/// Rows read from the store at a time.
const CHUNK: i64 = 1_000;

/// An export's format (`format=`; `json`, the default, is the paged list itself).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Csv,
    Jsonl,
}

impl Format {
    /// `None` for the JSON page; a 422 naming `format` for anything unknown.
    pub fn parse(v: Option<&str>) -> ApiResult<Option<Format>> {
        match v {
            None | Some("") | Some("json") => Ok(None),
            Some("csv") => Ok(Some(Format::Csv)),
            Some("jsonl") => Ok(Some(Format::Jsonl)),
            Some(other) => Err(ApiError::invalid("format", format!("unknown format '{other}': use json, csv or jsonl"))),
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Jsonl => "application/x-ndjson",
        }
    }

    fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Jsonl => "jsonl",
        }
    }
}

/// The CSV columns: the fields of a results row.
pub const CSV_COLUMNS: [&str; 15] = [
    "id", "run_id", "case_id", "case_name", "epoch", "status", "verdict", "headline_score", "cost_usd",
    "duration_ms", "tokens_used", "cache_hit", "error", "output_preview", "created_at",
];

fn csv_row(out: &mut String, r: &ResultSummary) {
    let opt = |s: &Option<String>| s.as_deref().map(csv_text).unwrap_or_default();
    push_row(
        out,
        &[
            r.id.to_string(),
            r.bench_run_id.to_string(),
            csv_text(&r.case_id),
            opt(&r.case_name),
            r.epoch.to_string(),
            csv_text(&r.status),
            opt(&r.verdict),
            csv_num(r.headline_score),
            r.cost_usd.to_string(),
            r.duration_ms.map(|d| d.to_string()).unwrap_or_default(),
            r.tokens_used.to_string(),
            r.cache_hit.to_string(),
            opt(&r.error),
            opt(&r.output_preview),
            csv_text(&r.created_at),
        ],
    );
}

fn render(format: Format, page: &ResultPage, header: bool) -> Vec<u8> {
    match format {
        Format::Csv => {
            let mut out = String::new();
            if header {
                push_row(&mut out, &CSV_COLUMNS.map(String::from));
            }
            for r in &page.results {
                csv_row(&mut out, r);
            }
            out.into_bytes()
        }
        Format::Jsonl => {
            let mut out = Vec::new();
            for r in &page.results {
                serde_json::to_writer(&mut out, r).expect("a result serialises");
                out.push(b'\n');
            }
            out
        }
    }
}

struct Cursor {
    store: Store,
    run_id: i64,
    query: ResultsQuery,
    /// The chunk read before the answer started (so a 404 or a bad filter is an answer, not a
    /// broken stream).
    first: Option<ResultPage>,
    done: bool,
}

/// The streamed export of run `run_id`'s results under `query`'s filters and order.
pub async fn results(store: Store, run_id: i64, query: ResultsQuery, format: Format) -> ApiResult<Response> {
    let query = ResultsQuery { cursor: None, limit: None, ..query };
    let first = store.results_chunk(run_id, &query, CHUNK).await?;
    let start = Cursor { store, run_id, query, first: Some(first), done: false };
    let stream = futures::stream::unfold(start, move |mut c| async move {
        if c.done {
            return None;
        }
        let header = c.first.is_some();
        let page = match c.first.take() {
            Some(p) => p,
            None => match c.store.results_chunk(c.run_id, &c.query, CHUNK).await {
                Ok(p) => p,
                Err(e) => {
                    c.done = true;
                    return Some((Err(std::io::Error::other(e.to_string())), c));
                }
            },
        };
        let bytes = render(format, &page, header);
        match page.next_cursor {
            Some(next) => c.query.cursor = Some(next),
            None => c.done = true,
        }
        Some((Ok::<Bytes, std::io::Error>(Bytes::from(bytes)), c))
    });
    // Fused: the compression layer polls a body once more after its end, which an `unfold`
    // answers with a panic (a truncated body for every client that accepts gzip or br).
    let stream = futures::StreamExt::fuse(stream);
    let name = format!("attachment; filename=\"run-{run_id}-results.{}\"", format.extension());
    Ok((
        [(header::CONTENT_TYPE, format.content_type().to_string()), (header::CONTENT_DISPOSITION, name)],
        Body::from_stream(stream),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> ResultSummary {
        ResultSummary {
            id: 7,
            bench_run_id: 3,
            case_id: "=cmd".into(),
            case_name: Some("a, \"b\"".into()),
            epoch: 2,
            status: "ok".into(),
            verdict: None,
            headline_score: Some(0.5),
            cost_usd: 0.25,
            duration_ms: None,
            tokens_used: 10,
            cache_hit: false,
            error: Some("line\nbreak".into()),
            output_preview: None,
            created_at: "2026-01-01T00:00:00Z".into(),
            snippet: None,
        }
    }

    #[test]
    fn rows_render_as_guarded_csv_and_as_json_lines() {
        let page = ResultPage { results: vec![row(), row()], next_cursor: None };
        let csv = String::from_utf8(render(Format::Csv, &page, true)).unwrap();
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(lines[0], CSV_COLUMNS.join(","));
        assert_eq!(lines[1], "7,3,'=cmd,\"a, \"\"b\"\"\",2,ok,,0.5,0.25,,10,false,\"line\nbreak\",,2026-01-01T00:00:00Z");
        assert_eq!(lines.len(), 4, "two rows and the final CRLF");
        assert!(!String::from_utf8(render(Format::Csv, &page, false)).unwrap().starts_with("id,"));
        let jsonl = String::from_utf8(render(Format::Jsonl, &page, true)).unwrap();
        let back: Vec<ResultSummary> = jsonl.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(back, vec![row(), row()]);
        assert_eq!(Format::parse(Some("jsonl")).unwrap(), Some(Format::Jsonl));
        assert_eq!(Format::parse(None).unwrap(), None);
        assert_eq!(Format::parse(Some("xml")).unwrap_err().field.as_deref(), Some("format"));
    }
}
