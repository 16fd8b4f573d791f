//! The `statscope` program: parses arguments ([`statscope_bridge::cli`]), sets up logging, and hands
//! off to the library's commands.

use std::fs::File;
use std::io::{self, BufReader};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use statscope_bridge::cli::{AgentArgs, Cli, Command, FormatArg, OsArg, ServeArgs};
use statscope_bridge::demo::Demo;
use statscope_bridge::nats::{self, agent::AgentHost, fleet::Fleet};
use statscope_bridge::server::{self, ServerConfig};
use statscope_bridge::source::Source;
use statscope_bridge::sources::{self, Fallback};
use statscope_bridge::stats_cmd::{self, Format};
use statscope_core::OsType;
use tokio_util::sync::CancellationToken;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("statscope: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve(args) => {
            logging();
            let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
            runtime.block_on(serve(*args))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Agent(args) => {
            logging();
            let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
            runtime.block_on(agent(*args))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Stats { file, format, os } => {
            let format = match format {
                FormatArg::Json => Format::Json,
                FormatArg::Csv => Format::Csv,
                FormatArg::Table => Format::Table,
            };
            let os = match os {
                OsArg::Linux => OsType::Linux,
                OsArg::Windows => OsType::Windows,
            };
            let input: Box<dyn io::BufRead> = match file {
                Some(path) if path.as_os_str() != "-" => Box::new(BufReader::new(
                    File::open(&path).with_context(|| format!("cannot open {}", path.display()))?,
                )),
                _ => Box::new(io::stdin().lock()),
            };
            let mut out = io::BufWriter::new(io::stdout().lock());
            let result = stats_cmd::run(input, &mut out, format, os, |bad| {
                eprintln!("statscope: line {}: {}", bad.line, bad.message);
            });
            let summary = match result {
                Ok(summary) => summary,
                // `statscope stats … | head` closes the pipe early: that is not an error.
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(ExitCode::SUCCESS),
                Err(e) => return Err(e).context("reading or writing stats"),
            };
            if summary.bad.is_empty() {
                Ok(ExitCode::SUCCESS)
            } else {
                eprintln!(
                    "statscope: {} of {} lines were malformed and skipped",
                    summary.bad.len(),
                    summary.bad.len() + summary.samples
                );
                Ok(ExitCode::FAILURE)
            }
        }
    }
}

/// Logs to stderr, `info` (the NATS client's own lines from `warn`: statscope says what happens to
/// the connection) unless RUST_LOG says otherwise.
fn logging() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,async_nats=warn".into()),
        )
        .with_writer(io::stderr)
        // Colours for a terminal only: a log file gets plain text.
        .with_ansi(io::IsTerminal::is_terminal(&io::stderr()))
        .init();
}

/// How long a command waits for NATS at start before going on in the background (a server that
/// answers within it and is too old is refused at once).
const NATS_FIRST_WAIT: Duration = Duration::from_secs(5);

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let token = args.token().map_err(anyhow::Error::msg)?;
    let engine_limits = args.source.engine_limits();
    let conn_limits = args.conn_limits();
    let mut hub_config = args.hub_config();
    let sources: Vec<Box<dyn Source>> = match args.fleet_config() {
        Some(fleet) => {
            // The fleet's containers: keep the latest info of many more than one engine has.
            hub_config.max_containers = hub_config
                .max_containers
                .max(fleet.max_hosts.saturating_mul(50).min(200_000));
            vec![Box::new(Fleet::connect(fleet, NATS_FIRST_WAIT).await?)]
        }
        None => sources::select(&args.source, &engine_limits, Fallback::Demo).await?,
    };
    ensure_file_descriptors(
        engine_limits.max_containers * sources.len() + conn_limits.max_total + 64,
    );
    let web_root = args.web_root.clone().unwrap_or_else(default_web_root);
    if !web_root.join("index.html").is_file() {
        tracing::warn!(web_root = %web_root.display(), "no index.html there: the page will not load (build it with the run command)");
    }
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener.local_addr()?;
    if !addr.ip().is_loopback() {
        tracing::warn!(%addr, token = token.is_some(),
            "listening beyond loopback: anyone who can reach this address can watch your containers' stats");
    }
    let what = match sources.as_slice() {
        [one] => format!("{} feed", one.kind()),
        many => format!("{} hosts", many.len()),
    };
    println!("statscope: serving http://{addr}/ ({what}; Ctrl-C to stop)");
    let shutdown = CancellationToken::new();
    tokio::spawn(stop_on_signal(shutdown.clone()));
    let config = ServerConfig {
        web_root,
        allowed_origins: args.allow_origin.clone(),
        token,
        conn: conn_limits,
        header_timeout: Duration::from_secs(args.header_timeout_s),
        hub: hub_config,
        ..ServerConfig::default()
    };
    server::run(listener, sources, config, shutdown).await?;
    tracing::info!("stopped");
    Ok(())
}

async fn agent(args: AgentArgs) -> anyhow::Result<()> {
    let limits = args.source.engine_limits();
    let hosts: Vec<AgentHost> = if args.source.demo {
        let demo = Demo::default();
        let containers = args.containers.map_or(demo.containers, |n| n as usize);
        (1..=args.hosts)
            .map(|i| AgentHost {
                name: if args.hosts == 1 {
                    args.host.clone()
                } else {
                    format!("{}-{i}", args.host)
                },
                source: Box::new(Demo {
                    seed: demo.seed ^ u64::from(i).wrapping_mul(0x9e37_79b9),
                    containers,
                    phase: demo
                        .interval
                        .mul_f64(f64::from(i - 1) / f64::from(args.hosts)),
                    ..demo.clone()
                }) as Box<dyn Source>,
            })
            .collect()
    } else {
        let mut found = sources::select(&args.source, &limits, Fallback::Engine).await?;
        if found.len() != 1 {
            anyhow::bail!(
                "an agent follows one engine, and {} were named: run one agent per engine",
                found.len()
            );
        }
        vec![AgentHost {
            name: args.host.clone(),
            source: found.remove(0),
        }]
    };
    ensure_file_descriptors(limits.max_containers * hosts.len() + 64);
    let config = args.agent_config();
    let url = config.connection.describe();
    let (client, mut events) = nats::connect(
        &config.connection,
        &format!("statscope agent {}", args.host),
        config.client_capacity,
    )
    .await?;
    let shutdown = CancellationToken::new();
    tokio::spawn(stop_on_signal(shutdown.clone()));
    match tokio::time::timeout(
        NATS_FIRST_WAIT,
        nats::wait_connected(&client, &mut events, &url, &shutdown),
    )
    .await
    {
        Ok(result) => {
            result?;
        }
        Err(_) => {
            tracing::warn!(nats = %url, "NATS does not answer yet; reading and keeping what is read (bounded) meanwhile")
        }
    }
    println!(
        "statscope: agent publishing {} to {url} (Ctrl-C to stop)",
        hosts
            .iter()
            .map(|h| nats::host_key(&h.name))
            .collect::<Vec<_>>()
            .join(", ")
    );
    nats::agent::run(client, events, hosts, config, shutdown).await?;
    Ok(())
}

/// Raises the soft limit on open files towards `needed` (up to the hard limit), which the caps
/// are sized to stay under; says so if it cannot (a shell's default of 1,024 is below the defaults'
/// needs: 1,000 engine streams and 512 connections).
fn ensure_file_descriptors(needed: usize) {
    match rlimit::increase_nofile_limit(needed as u64) {
        Ok(limit) if limit >= needed as u64 => {
            tracing::debug!(limit, needed, "open-file limit");
        }
        Ok(limit) => tracing::warn!(
            limit,
            needed,
            "the open-file limit (ulimit -n) is below what --max-containers and --max-connections may \
             need: raise it, or lower them"
        ),
        Err(e) => tracing::warn!(error = %e, needed, "cannot read or raise the open-file limit"),
    }
}

/// The folder with index.html: the current one if it has it, else the source tree of this build.
fn default_web_root() -> PathBuf {
    let here = PathBuf::from(".");
    if here.join("index.html").is_file() {
        return here;
    }
    let tree = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    if tree.join("index.html").is_file() {
        tree
    } else {
        here
    }
}

/// Cancels `shutdown` on Ctrl-C or SIGTERM.
async fn stop_on_signal(shutdown: CancellationToken) {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
    tracing::info!("shutting down");
    shutdown.cancel();
}
