//! The `assay` binary: serve the dashboard, migrate, import, manage tokens.

use std::net::SocketAddr;

use assay::server::config::AuthConfig;
use assay::server::ops::{self, logging::LogFormat};
use assay::server::state::AppState;
use assay::server::store::{Scope, Store};
use clap::{Parser, Subcommand};

/// mimalloc gives freed memory back to the system, so the server's RSS comes down after a large
/// answer has been streamed (SPEC §7: memory "returned after").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use leptos::config::get_configuration;

#[derive(Parser)]
#[command(name = "assay", version, about = "A self-hosted dashboard for LLM workflow and agent evaluations")]
struct Cli {
    /// SQLite file (`sqlite://assay.db`, the default) or `postgres://…`.
    #[arg(long, global = true, env = "DATABASE_URL", default_value = "sqlite://assay.db")]
    database_url: String,
    /// Log lines as text or as one JSON object a line.
    #[arg(long, global = true, value_enum, env = "ASSAY_LOG_FORMAT", default_value = "text")]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the dashboard and the API (the default).
    Serve(ServeArgs),
    /// Create or upgrade the database schema, then exit.
    Migrate,
    /// Fill the database with a realistic example workspace (left alone if it has data).
    Demo {
        /// Seed of the generator: the same seed gives the same workspace.
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// Copy the SQLite database to FILE, consistently, while the server runs (for PostgreSQL:
    /// prints the pg_dump command).
    Backup { file: std::path::PathBuf },
    /// Replace the SQLite database with the backup FILE and migrate it (stop the server first).
    Restore {
        file: std::path::PathBuf,
        /// Replace a database that holds runs.
        #[arg(long)]
        force: bool,
    },
    /// Import Inspect AI logs, promptfoo exports and Assay bundles (files or directories).
    Import(assay::server::import::command::ImportArgs),
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
}

#[derive(clap::Args)]
struct ServeArgs {
    /// Address to listen on (default: LEPTOS_SITE_ADDR or 127.0.0.1:3000).
    #[arg(long, env = "ASSAY_ADDR")]
    addr: Option<SocketAddr>,
    #[command(flatten)]
    auth: AuthConfig,
    /// On SIGTERM or Ctrl-C, seconds that requests in flight get to finish.
    #[arg(long, env = "ASSAY_SHUTDOWN_GRACE", default_value_t = 10.0)]
    shutdown_grace: f64,
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create a token; the secret is printed once, alone on the last line.
    Create {
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "write")]
        scope: Scope,
    },
    /// List tokens (never their secrets).
    List,
    /// Revoke a token by id or name.
    Revoke { id_or_name: String },
}

async fn open_store(url: &str) -> Result<Store, String> {
    let store = Store::connect(url).await.map_err(|e| format!("cannot open database {url}: {e}"))?;
    store.migrate().await.map_err(|e| format!("cannot migrate database {url}: {e}"))?;
    Ok(store)
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    ops::logging::init(cli.log_format);
    if let Err(e) = run(cli).await {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    // A bare `assay` is `assay serve`, parsed as such so ASSAY_AUTH and the other settings'
    // variables apply (a default would silently serve with `--auth open`).
    let command = cli.command.unwrap_or_else(|| match Cli::parse_from(["assay", "serve"]).command {
        Some(serve) => serve,
        None => unreachable!("`serve` parses to the serve command"),
    });
    match command {
        Command::Serve(args) => serve(&cli.database_url, args).await,
        Command::Migrate => {
            open_store(&cli.database_url).await?;
            eprintln!("database {} is up to date", cli.database_url);
            Ok(())
        }
        Command::Demo { seed } => {
            let store = open_store(&cli.database_url).await?;
            let started = std::time::Instant::now();
            match assay::server::demo::seed_if_empty(&store, seed).await.map_err(|e| e.to_string())? {
                None => eprintln!("database {} already has benches: demo data not added", cli.database_url),
                Some(n) => eprintln!(
                    "demo workspace written: 3 benches, {n} runs ({:.1} s)",
                    started.elapsed().as_secs_f64()
                ),
            }
            store.close().await;
            Ok(())
        }
        Command::Backup { file } => ops::cli::backup(&cli.database_url, &file).await,
        Command::Restore { file, force } => ops::cli::restore(&cli.database_url, &file, force).await,
        Command::Import(args) => assay::server::import::command::run(&cli.database_url, args).await,
        Command::Token { command } => {
            let store = open_store(&cli.database_url).await?;
            match command {
                TokenCommand::Create { name, scope } => {
                    let (info, secret) = store.create_token(&name, scope).await.map_err(|e| e.to_string())?;
                    println!("created token {} '{}' with {} scope; it is shown only now:", info.id, info.name, info.scope);
                    println!("{secret}");
                }
                TokenCommand::List => {
                    println!("{:>4}  {:<24} {:<6} {:<13} {:<25} revoked", "id", "name", "scope", "prefix", "created");
                    for t in store.list_tokens().await.map_err(|e| e.to_string())? {
                        println!(
                            "{:>4}  {:<24} {:<6} {:<13} {:<25} {}",
                            t.id,
                            t.name,
                            t.scope,
                            t.prefix,
                            t.created_at,
                            t.revoked_at.unwrap_or_else(|| "-".into())
                        );
                    }
                }
                TokenCommand::Revoke { id_or_name } => {
                    let n = store.revoke_token(&id_or_name).await.map_err(|e| e.to_string())?;
                    if n == 0 {
                        return Err(format!("no live token '{id_or_name}'"));
                    }
                    println!("revoked {n} token(s)");
                }
            }
            store.close().await;
            Ok(())
        }
    }
}

async fn serve(database_url: &str, args: ServeArgs) -> Result<(), String> {
    let conf = get_configuration(None).map_err(|e| format!("leptos configuration: {e}"))?;
    let mut leptos_options = conf.leptos_options;
    // Outside cargo-leptos nothing names the bundle or the site folder: use the built layout.
    if leptos_options.output_name.is_empty() {
        leptos_options.output_name = "assay".into();
    }
    if std::env::var_os("LEPTOS_SITE_ROOT").is_none() {
        leptos_options.site_root = "target/site".into();
    }
    if let Some(addr) = args.addr {
        leptos_options.site_addr = addr;
    }
    let addr = leptos_options.site_addr;
    let grace = std::time::Duration::try_from_secs_f64(args.shutdown_grace).map_err(|e| format!("--shutdown-grace: {e}"))?;
    let store = open_store(database_url).await?;
    // Runs that finished before the search index existed are indexed in the background (they
    // are searched by a scan meanwhile).
    let indexer = store.clone();
    tokio::spawn(async move {
        match indexer.index_unindexed_runs().await {
            Ok(0) => {}
            Ok(n) => tracing::info!("indexed the text of {n} finished runs for search"),
            Err(e) => tracing::warn!("indexing finished runs for search stopped: {e}"),
        }
    });
    let state = AppState::new(store.clone(), args.auth, leptos_options).await.map_err(|e| format!("cannot start live events: {e}"))?;
    let events = state.events.clone();
    let app = assay::server::app(state);
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    // The bound address, so `--addr 127.0.0.1:0` tells where it landed.
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    tracing::info!("Assay listening on http://{addr} (database {database_url})");
    // Event streams never end by themselves: the shutdown ends them (with a last comment).
    ops::shutdown::serve(listener, app, grace, move || events.close()).await.map_err(|e| e.to_string())?;
    store.close().await;
    Ok(())
}
