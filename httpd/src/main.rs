//! `wicketd`: see the crate docs of `wicketd` (lib.rs) and wicketd(8).
#![forbid(unsafe_code)]

use anyhow::{Context, Result};
use clap::Parser;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use wicket_core::clock::{SharedClock, SystemClock};
use wicket_core::config::{Config, DEFAULT_CONFIG_PATH};
use wicketd::app::{App, Runtime};

/// Wicket's authentication daemon.
#[derive(Debug, Parser)]
#[command(name = "wicketd", version, about)]
struct Args {
    /// Configuration file [default: /etc/wicket/wicket.toml; with --demo: built-in defaults].
    #[arg(long, value_name = "PATH")]
    config: Option<PathBuf>,
    /// Run on a throwaway store with a demo user, printing curl and nginx examples; with
    /// --config, that file's settings except the store and the socket.
    #[arg(long)]
    demo: bool,
    /// Listen here instead of [server] listen (default 127.0.0.1:8089).
    #[arg(long, value_name = "ADDR:PORT")]
    listen: Option<SocketAddr>,
    /// Check the configuration and exit.
    #[arg(long)]
    check_config: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    tune_malloc();
    init_logging();
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("wicketd: {e:#}");
            ExitCode::from(1)
        }
    }
}

/// glibc's allocator keeps freed memory for reuse: with its default, adaptive mmap threshold
/// each argon2id run's 19 MiB of working memory stays in the process after a burst of logins
/// (measured: 292 MB after 72 failed logins, 58 MB peak and 19 MB after with the settings
/// below). Large blocks are mapped and unmapped instead, and arenas are kept few. glibc reads
/// these settings only at start, so the daemon starts itself again with them, once (same
/// process id, so systemd and the tests see no difference); the systemd unit sets them
/// itself. Set either variable to choose other values.
fn tune_malloc() {
    use std::os::unix::process::CommandExt;
    const THRESHOLD: &str = "MALLOC_MMAP_THRESHOLD_";
    const ARENAS: &str = "MALLOC_ARENA_MAX";
    if std::env::var_os(THRESHOLD).is_some() || std::env::var_os(ARENAS).is_some() {
        return;
    }
    let Ok(exe) = std::env::current_exe() else { return };
    let err = std::process::Command::new(exe)
        .args(std::env::args_os().skip(1))
        .env(THRESHOLD, "131072")
        .env(ARENAS, "2")
        .exec();
    // Only reached when the exec failed: run on with glibc's defaults.
    eprintln!("wicketd: could not restart with allocator settings ({err}); continuing");
}

/// Libraries whose debug lines would carry secrets: capped at info.
const NEVER_DEBUG: [&str; 2] = ["tokio_postgres=info", "postgres=info"];

fn init_logging() {
    let mut filter = tracing_subscriber::EnvFilter::try_from_env("WICKET_LOG").unwrap_or_else(|_| "info".into());
    // The PostgreSQL client logs every statement's parameters at debug: password hashes,
    // token hashes, keys. Never, whatever WICKET_LOG asks for.
    for quiet in NEVER_DEBUG {
        if let Ok(d) = quiet.parse() {
            filter = filter.add_directive(d);
        }
    }
    // Under systemd the journal adds its own timestamps.
    let under_journal = std::env::var_os("JOURNAL_STREAM").is_some();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(true)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    if under_journal { builder.without_time().init() } else { builder.init() }
}

/// How long wicketd waits at start for a PostgreSQL store it cannot reach (booting with the
/// database, or the database host restarting): within systemd's start timeout.
const STORE_WAIT: std::time::Duration = std::time::Duration::from_secs(60);
/// How often it tries meanwhile.
const STORE_RETRY: std::time::Duration = std::time::Duration::from_secs(2);

/// [`Runtime::build`], waiting up to [`STORE_WAIT`] while a PostgreSQL store cannot be opened
/// (nothing listens yet, so nothing is answered meanwhile). Any other failure, and every
/// failure with SQLite (a file: a configuration error), ends the start at once.
fn build_waiting_for_store(cfg: &Config, clock: &SharedClock) -> Result<Runtime> {
    let started = std::time::Instant::now();
    loop {
        match Runtime::build(cfg.clone(), clock.clone()) {
            Ok(runtime) => return Ok(runtime),
            Err(e) if cfg.store.url.is_some() && store_unreachable(&e) && started.elapsed() < STORE_WAIT => {
                let left = STORE_WAIT.saturating_sub(started.elapsed()).as_secs();
                tracing::warn!("{e:#}: trying again for {left} s more");
                wicketd::notify::notify("STATUS=waiting for the database");
                std::thread::sleep(STORE_RETRY);
            }
            Err(e) => return Err(e),
        }
    }
}

/// True when `e` is the store failing (rather than a setting).
fn store_unreachable(e: &anyhow::Error) -> bool {
    e.chain()
        .any(|c| matches!(c.downcast_ref::<wicket_core::error::Error>(), Some(wicket_core::error::Error::Store { .. })))
}

fn run(args: Args) -> Result<()> {
    let clock: SharedClock = Arc::new(SystemClock);
    let demo_dir;
    let config_path = args.config.clone().unwrap_or_else(|| PathBuf::from(DEFAULT_CONFIG_PATH));
    let (cfg, banner) = if args.demo {
        // The demo reads a config file only when one is named: an installed
        // /etc/wicket/wicket.toml must not change what the demo does.
        let base = args.config.as_deref().map(Config::load).transpose()?.unwrap_or_default();
        demo_dir =
            tempfile::Builder::new().prefix("wicket-demo-").tempdir().context("while making the demo directory")?;
        let demo = wicketd::demo::prepare(demo_dir.path(), base, args.listen)?;
        let banner = wicketd::demo::banner(&demo);
        (demo.cfg, Some(banner))
    } else {
        let mut cfg = Config::load(&config_path)?;
        if let Some(l) = args.listen {
            cfg.server.listen = l;
        }
        (cfg, None)
    };
    let runtime = if args.check_config {
        Runtime::build(cfg.clone(), clock.clone())?
    } else {
        build_waiting_for_store(&cfg, &clock)?
    };
    if args.check_config {
        println!("{}: ok", config_path.display());
        return Ok(());
    }
    runtime.auth.chain().local.iter().for_each(|l| l.log_digest_coverage());
    let limit = wicketd::fds::raise_nofile_limit();
    tracing::debug!("descriptor limit: {}", limit.map_or_else(|| "unlimited".to_string(), |n| n.to_string()));
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("while starting the runtime")?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(cfg.server.listen)
            .await
            .with_context(|| format!("while binding {}", cfg.server.listen))?;
        let socket = if cfg.server.socket.as_os_str().is_empty() {
            None
        } else {
            let l = wicketd::socket::bind(&cfg.server.socket).with_context(|| {
                format!(
                    "while binding the local socket {} (set [server] socket = \"\" to run without PAM/NSS)",
                    cfg.server.socket.display()
                )
            })?;
            Some(l)
        };
        let fastcgi = match &cfg.fastcgi {
            Some(f) => Some(
                wicketd::fastcgi::Listener::bind(&f.listen)
                    .await
                    .with_context(|| format!("while binding [fastcgi] listen = {}", f.listen))?,
            ),
            None => None,
        };
        let grpc = match &cfg.grpc {
            Some(g) => Some(
                wicketd::grpc::Listener::bind(&g.listen)
                    .await
                    .with_context(|| format!("while binding [grpc] listen = {}", g.listen))?,
            ),
            None => None,
        };
        let app = App::new(runtime, clock.clone());
        let socket_task = socket.map(|l| {
            tracing::info!("local socket on {}", cfg.server.socket.display());
            tokio::spawn(wicketd::socket::serve(app.clone(), l))
        });
        let fastcgi_task = fastcgi.zip(cfg.fastcgi.as_ref()).map(|(l, f)| {
            tracing::info!("fastcgi authorizer on {}", l.describe(&f.listen));
            tokio::spawn(wicketd::fastcgi::serve(app.clone(), l))
        });
        let grpc_task = grpc.zip(cfg.grpc.as_ref()).map(|(l, g)| {
            tracing::info!("grpc ext_authz on {}", l.describe(&g.listen));
            tokio::spawn(wicketd::grpc::serve(app.clone(), l))
        });
        tracing::info!("listening on http://{}", listener.local_addr().unwrap_or(cfg.server.listen));
        if let Some(b) = banner {
            println!("{b}");
        }
        wicketd::notify::notify("READY=1\nSTATUS=serving");
        let reload_path = (!args.demo).then_some(config_path);
        let shutdown = signals(app.clone(), reload_path);
        wicketd::server::serve(app, listener, shutdown).await;
        if let Some(t) = socket_task {
            t.abort();
            let _ = std::fs::remove_file(&cfg.server.socket);
        }
        if let Some(t) = fastcgi_task {
            t.abort();
            if let Some(wicket_core::config::FastcgiListen::Unix(p)) = cfg.fastcgi.as_ref().map(|f| &f.listen) {
                let _ = std::fs::remove_file(p);
            }
        }
        if let Some(t) = grpc_task {
            t.abort();
            if let Some(wicket_core::config::GrpcListen::Unix(p)) = cfg.grpc.as_ref().map(|g| &g.listen) {
                let _ = std::fs::remove_file(p);
            }
        }
        tracing::info!("stopped");
        Ok(())
    })
}

/// Resolves on SIGTERM/SIGINT; reloads the config on SIGHUP.
async fn signals(app: Arc<App>, config: Option<PathBuf>) {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int), Ok(mut hup)) =
        (signal(SignalKind::terminate()), signal(SignalKind::interrupt()), signal(SignalKind::hangup()))
    else {
        tracing::error!("cannot install signal handlers");
        return std::future::pending().await;
    };
    loop {
        tokio::select! {
            _ = term.recv() => { tracing::info!("SIGTERM: shutting down"); wicketd::notify::notify("STOPPING=1"); return; }
            _ = int.recv() => { tracing::info!("SIGINT: shutting down"); return; }
            _ = hup.recv() => {
                let Some(path) = config.clone() else { tracing::info!("SIGHUP ignored in demo mode"); continue };
                let listen = app.runtime().cfg.server.listen;
                let a = app.clone();
                let built = tokio::task::spawn_blocking(move || {
                    Config::load(&path).map_err(anyhow::Error::from).and_then(|c| a.build(c))
                }).await;
                match built {
                    Ok(Ok(next)) => {
                        if next.cfg.server.listen != listen {
                            tracing::warn!("server.listen changed: takes effect after a restart");
                        }
                        app.replace(next);
                        tracing::info!("SIGHUP: configuration reloaded");
                        wicketd::notify::notify("READY=1\nSTATUS=serving (reloaded)");
                    }
                    Ok(Err(e)) => tracing::error!("SIGHUP: new configuration refused, the old one keeps serving: {e:#}"),
                    Err(e) => tracing::error!("SIGHUP: reload failed: {e}"),
                }
            }
        }
    }
}
