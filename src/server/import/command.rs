//! The body of `assay import [--server URL --token T] [--bench NAME] [--channel NAME] [--dry-run]
//! PATH…`: walk the paths, import each file in its own transaction (locally or over HTTP), report a
//! line per file (or progress bars on a terminal) and a summary; refused files make it exit non-zero.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use tokio::sync::mpsc;

use super::detect::Format;
use super::emit::{Fail, ReadError, Stopped};
use super::local::{self, WriteError};
use super::remote::{Pushed, Remote};
use super::{read_file, ReadOptions, SourceFile};
use crate::server::store::input::check_slug;
use crate::server::store::import_lines::{ImportLine, ImportOutcome};
use crate::server::store::Store;

#[derive(clap::Args, Debug)]
pub struct ImportArgs {
    /// Files or directories (walked for `.eval`, `.json` and `.jsonl`); the format is read from
    /// the content.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Push to this Assay server instead of writing into --database-url.
    #[arg(long, env = "ASSAY_SERVER")]
    pub server: Option<String>,
    /// A write token for --server.
    #[arg(long, env = "ASSAY_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Import into this bench instead of the one the source names.
    #[arg(long)]
    pub bench: Option<String>,
    /// Put every run on this channel instead of the source's model or provider.
    #[arg(long)]
    pub channel: Option<String>,
    /// Read and check every file, write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

enum Target {
    DryRun,
    Local(Store),
    Remote(Arc<Remote>),
}

/// What became of one file.
enum Outcome {
    Imported(Format, ImportOutcome),
    Checked(Format, Vec<(u32, usize)>),
    Refused(Option<Format>, String),
}

/// Files named on the command line, and the `.eval`/`.json`/`.jsonl` files under directories.
pub fn walk(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    fn visit(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')))
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                visit(&p, out)?;
            } else if p.extension().is_some_and(|e| e == "eval" || e == "json" || e == "jsonl") {
                out.push(p);
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            visit(p, &mut out)?;
        } else if p.exists() {
            out.push(p.clone());
        } else {
            return Err(format!("no such file or directory: {}", p.display()));
        }
    }
    Ok(out)
}

fn describe_write(e: &WriteError) -> String {
    match &e.location {
        Some(l) => format!("{l}: {}", e.message),
        None => e.message.clone(),
    }
}

/// A file's bar on a terminal: how far into the file the results have been read, and how many
/// results have gone in (the `{prefix}`).
struct FileBar {
    bar: ProgressBar,
    results: AtomicU64,
}

impl FileBar {
    fn hidden() -> Self {
        FileBar { bar: ProgressBar::hidden(), results: AtomicU64::new(0) }
    }

    /// A bar of `size` bytes for `path`, above the overall one.
    fn shown(multi: &MultiProgress, overall: &ProgressBar, path: &Path, size: u64) -> Self {
        let style = "{spinner} {bar:30} {percent:>3}% {prefix:>9} results · {wide_msg}";
        let bar = multi.insert_before(overall, ProgressBar::new(size));
        bar.set_style(ProgressStyle::with_template(style).expect("style"));
        bar.set_prefix("0");
        // The name alone: a narrow terminal still shows which file it is.
        bar.set_message(path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default());
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        FileBar { bar, results: AtomicU64::new(0) }
    }

    fn add_results(&self, n: usize) {
        let total = self.results.fetch_add(n as u64, Ordering::Relaxed) + n as u64;
        self.bar.set_prefix(total.to_string());
    }
}

/// Read `file` on a blocking thread into the local writer.
async fn import_local(store: &Store, file: Arc<SourceFile>, opts: ReadOptions, bar: &FileBar) -> Outcome {
    let (tx, mut rx) = mpsc::channel::<local::Line>(4);
    let reader_file = file.clone();
    let reader = tokio::task::spawn_blocking(move || {
        let mut sink = |line: ImportLine, locs: Vec<String>| tx.blocking_send((line, locs)).map_err(|_| Stopped);
        read_file(&reader_file, &opts, &mut sink)
    });
    let on_results = |n: usize| bar.add_results(n);
    let written = local::write(store, &mut rx, &on_results).await;
    drop(rx);
    let read = reader.await.unwrap_or_else(|e| Err((None, Fail::Bad(ReadError::new(format!("reader failed: {e}"))))));
    let format = match &read {
        Ok((f, _)) => Some(*f),
        Err((f, _)) => *f,
    };
    match (read, written) {
        (Err((f, Fail::Bad(e))), _) => Outcome::Refused(f, e.to_string()),
        (Ok((f, _)), Ok(Some(o))) => Outcome::Imported(f, o),
        (_, Err(e)) => Outcome::Refused(format, describe_write(&e)),
        (_, Ok(_)) => Outcome::Refused(format, "the import stopped early".into()),
    }
}

/// Import one file into `store` in one transaction (what the command does without `--server`).
pub async fn import_into(store: &Store, path: &Path, opts: &ReadOptions) -> Result<(Format, ImportOutcome), String> {
    match import_local(store, Arc::new(SourceFile::new(path)), opts.clone(), &FileBar::hidden()).await {
        Outcome::Imported(f, o) => Ok((f, o)),
        Outcome::Refused(_, why) => Err(why),
        Outcome::Checked(..) => unreachable!("a local import writes"),
    }
}

async fn import_file(target: &Target, file: SourceFile, opts: &ReadOptions, bar: Arc<FileBar>) -> Outcome {
    let file = Arc::new(file);
    match target {
        Target::Local(store) => import_local(store, file, opts.clone(), &bar).await,
        Target::Remote(remote) => {
            let (remote, opts) = (remote.clone(), opts.clone());
            let pushed = tokio::task::spawn_blocking(move || remote.push(&file, &opts, &|n| bar.add_results(n))).await;
            match pushed {
                Ok(Pushed::Done(f, o)) => Outcome::Imported(f, o),
                Ok(Pushed::Unreadable(f, e)) => Outcome::Refused(f, e.to_string()),
                Ok(Pushed::Refused(f, e)) => Outcome::Refused(f, describe_write(&e)),
                Err(e) => Outcome::Refused(None, format!("push failed: {e}")),
            }
        }
        Target::DryRun => {
            let opts = opts.clone();
            let read = tokio::task::spawn_blocking(move || {
                let mut sink = |line: ImportLine, _| {
                    if let ImportLine::Results { results, .. } = &line {
                        bar.add_results(results.len());
                    }
                    Ok(())
                };
                read_file(&file, &opts, &mut sink)
            })
            .await;
            match read {
                Ok(Ok((f, counts))) => {
                    let mut c: Vec<(u32, usize)> = counts.into_iter().collect();
                    c.sort();
                    Outcome::Checked(f, c)
                }
                Ok(Err((f, Fail::Bad(e)))) => Outcome::Refused(f, e.to_string()),
                Ok(Err((f, Fail::Stopped))) => Outcome::Refused(f, "the import stopped early".into()),
                Err(e) => Outcome::Refused(None, format!("reader failed: {e}")),
            }
        }
    }
}

#[derive(Default)]
struct Totals {
    files: usize,
    runs: usize,
    results: i64,
    already: usize,
    refused: usize,
}

fn report(path: &Path, outcome: &Outcome, totals: &mut Totals) -> String {
    let name = path.display();
    match outcome {
        Outcome::Imported(f, o) => {
            let new: Vec<_> = o.runs.iter().filter(|r| r.created).collect();
            let old: Vec<_> = o.runs.iter().filter(|r| !r.created).collect();
            totals.runs += new.len();
            totals.already += old.len();
            totals.results += new.iter().map(|r| r.results).sum::<i64>();
            let mut parts = Vec::new();
            if !new.is_empty() {
                let ids: Vec<String> = new.iter().map(|r| format!("#{} {}", r.run_id, r.channel)).collect();
                let n: i64 = new.iter().map(|r| r.results).sum();
                parts.push(format!("imported as run {} on bench {} ({n} results)", ids.join(", "), new[0].bench));
            }
            if !old.is_empty() {
                let ids: Vec<String> = old.iter().map(|r| format!("#{}", r.run_id)).collect();
                parts.push(format!("already imported as run {}", ids.join(", ")));
            }
            if o.runs.is_empty() {
                parts.push("no runs in it".into());
            }
            format!("{name} ({}): {}", f.describe(), parts.join("; "))
        }
        Outcome::Checked(f, counts) => {
            totals.runs += counts.len();
            totals.results += counts.iter().map(|c| c.1 as i64).sum::<i64>();
            let n: usize = counts.iter().map(|c| c.1).sum();
            format!("{name} ({}): would import {} run(s), {n} results", f.describe(), counts.len())
        }
        Outcome::Refused(f, why) => {
            totals.refused += 1;
            let what = f.map(|f| format!(" ({})", f.describe())).unwrap_or_default();
            format!("{name}{what}: refused, nothing written: {why}")
        }
    }
}

/// Run the command. `Err` carries the summary when any file was refused (the exit is non-zero).
pub async fn run(database_url: &str, args: ImportArgs) -> Result<(), String> {
    for (field, v) in [("--bench", &args.bench), ("--channel", &args.channel)] {
        if let Some(v) = v {
            check_slug(field, v).map_err(|e| format!("{field} '{v}' {}", local::message(&e)))?;
        }
    }
    let files = walk(&args.paths)?;
    let target = if args.dry_run {
        Target::DryRun
    } else if let Some(server) = &args.server {
        let token = args.token.as_deref().ok_or("--server needs a write token: --token or ASSAY_TOKEN")?;
        Target::Remote(Arc::new(Remote::new(server, token)))
    } else {
        let store = Store::connect(database_url).await.map_err(|e| format!("cannot open database {database_url}: {e}"))?;
        store.migrate().await.map_err(|e| format!("cannot migrate database {database_url}: {e}"))?;
        Target::Local(store)
    };
    let opts = ReadOptions { bench: args.bench.clone(), channel: args.channel.clone() };
    // Bars measure bytes: of the file, how far its results have been read; overall, of all files.
    let sizes: Vec<u64> = files.iter().map(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)).collect();
    let terminal = std::io::stderr().is_terminal();
    let multi = MultiProgress::new();
    let overall = if terminal {
        let b = multi.add(ProgressBar::new(sizes.iter().sum()));
        let style = "{bar:30} {binary_bytes}/{binary_total_bytes} · {msg} files · {elapsed} (about {eta} left)";
        b.set_style(ProgressStyle::with_template(style).expect("style"));
        b
    } else {
        ProgressBar::hidden()
    };
    let mut totals = Totals::default();
    let mut done_bytes = 0u64;
    for (i, (path, size)) in files.iter().zip(&sizes).enumerate() {
        overall.set_message(format!("{}/{}", i + 1, files.len()));
        let mut file = SourceFile::new(path);
        let bar = Arc::new(if terminal { FileBar::shown(&multi, &overall, path, *size) } else { FileBar::hidden() });
        if terminal {
            let (b, all) = (bar.bar.clone(), overall.clone());
            file = file.with_progress(Arc::new(move |pos| {
                b.set_position(pos);
                all.set_position(done_bytes + pos);
            }));
        }
        let outcome = import_file(&target, file, &opts, bar.clone()).await;
        totals.files += 1;
        let line = report(path, &outcome, &mut totals);
        bar.bar.finish_and_clear();
        if terminal {
            multi.println(&line).ok();
        } else {
            eprintln!("{line}");
        }
        done_bytes += size;
        overall.set_position(done_bytes);
    }
    overall.finish_and_clear();
    if let Target::Local(store) = &target {
        store.close().await;
    }
    let verb = if args.dry_run { "to import" } else { "imported" };
    let summary = format!(
        "{} file(s): {} run(s) {verb} ({} results), {} run(s) already imported, {} file(s) refused",
        totals.files, totals.runs, totals.results, totals.already, totals.refused
    );
    if totals.refused > 0 {
        Err(summary)
    } else {
        eprintln!("{summary}");
        Ok(())
    }
}
