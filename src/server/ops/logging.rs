//! Log output: human-readable lines (the default) or one JSON object per line for shipping to a
//! log store. Either way a request's lines carry its span, `request{request_id=… method=… path=…}`.

use tracing_subscriber::EnvFilter;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    #[default]
    Text,
    /// One JSON object a line: timestamp, level, fields, target, the current span and all spans.
    Json,
}

/// Install the global subscriber, writing to stderr; `RUST_LOG` overrides the default filter.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,sqlx=warn".into());
    // Colours only on a terminal: a log file or journald gets plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let fmt = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi);
    match format {
        LogFormat::Text => fmt.init(),
        LogFormat::Json => fmt.json().with_current_span(true).with_span_list(true).init(),
    }
}
