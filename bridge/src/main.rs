//! The `statscope` program: parses arguments ([`statscope_bridge::cli`]), sets up logging, and hands
//! off to the library's commands.

use std::fs::File;
use std::io::{self, BufReader};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use statscope_bridge::cli::{Cli, Command, FormatArg, OsArg, ServeArgs};
use statscope_bridge::demo::Demo;
use statscope_bridge::docker::{Client, DockerSource, EngineLimits};
use statscope_bridge::endpoint::{self, EngineSpec, Engines, Origin};
use statscope_bridge::replay::Replay;
use statscope_bridge::server::{self, ServerConfig};
use statscope_bridge::source::Source;
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
            tracing_subscriber::fmt()
                .with_env_filter(
                    tracing_subscriber::EnvFilter::try_from_default_env()
                        .unwrap_or_else(|_| "info".into()),
                )
                .with_writer(io::stderr)
                // Colours for a terminal only: a log file gets plain text.
                .with_ansi(io::IsTerminal::is_terminal(&io::stderr()))
                .init();
            let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
            runtime.block_on(serve(*args))?;
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

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let token = args.token().map_err(anyhow::Error::msg)?;
    let engine_limits = args.engine_limits();
    let conn_limits = args.conn_limits();
    let sources = sources(&args, &engine_limits).await?;
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
        hub: args.hub_config(),
        ..ServerConfig::default()
    };
    server::run(listener, sources, config, shutdown).await?;
    tracing::info!("stopped");
    Ok(())
}

/// What to relay: a replay, the demo, or the engines the flags, the environment or the docker CLI's
/// configuration name (see [`endpoint::resolve`]). An engine the user named is followed whether it
/// answers or not (its host says why it is down); only when nothing names one and the default
/// engine does not answer is the demo served.
async fn sources(args: &ServeArgs, limits: &EngineLimits) -> anyhow::Result<Vec<Box<dyn Source>>> {
    if let Some(path) = &args.replay {
        let mut replay = Replay::open(path.clone(), args.speed, args.looped)
            .with_context(|| format!("cannot replay {}", path.display()))?;
        replay.max_line_bytes = args.max_line_bytes();
        return Ok(vec![Box::new(replay)]);
    }
    if args.demo {
        return Ok(vec![Box::new(Demo::default())]);
    }
    let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("/"), PathBuf::from);
    let resolved = endpoint::resolve(
        &args.docker,
        &args.context,
        &args.tls_certs,
        &|name| std::env::var(name).ok(),
        &home,
    )?;
    for warning in &resolved.warnings {
        tracing::warn!("{warning}");
    }
    let specs = match resolved.engines {
        Engines::Named(specs) => specs,
        Engines::Default(spec) => {
            let client = Client::for_engine(&spec, limits.clone())
                .with_context(|| format!("the default engine, {spec}"))?;
            match tokio::time::timeout(Duration::from_secs(2), client.ping()).await {
                Ok(Ok(())) => vec![spec],
                Ok(Err(e)) => {
                    tracing::info!(docker = %spec.endpoint, error = %e, "no Docker answered; serving the demo feed");
                    return Ok(vec![Box::new(Demo::default())]);
                }
                Err(_) => {
                    tracing::info!(docker = %spec.endpoint, "Docker did not answer in time; serving the demo feed");
                    return Ok(vec![Box::new(Demo::default())]);
                }
            }
        }
    };
    let mut clients = Vec::new();
    for spec in &specs {
        let client = Client::for_engine(spec, limits.clone())
            .with_context(|| format!("cannot use the engine {spec}"))?;
        clients.push(client);
    }
    // Names: given, the context's, or the engine's own (asked of every engine at once, briefly:
    // one that does not answer is named after its address, and followed all the same).
    let mut asked = tokio::task::JoinSet::new();
    for (i, (spec, client)) in specs.iter().zip(&clients).enumerate() {
        let (spec, client) = (spec.clone(), client.clone());
        asked.spawn(async move { (i, host_name(&spec, &client).await) });
    }
    let mut names = vec![String::new(); specs.len()];
    while let Some(named) = asked.join_next().await {
        let (i, name) = named.context("naming the engines")?;
        names[i] = name;
    }
    Ok(clients
        .into_iter()
        .zip(names)
        .map(|(client, name)| {
            Box::new(DockerSource::with_client(client).named(name)) as Box<dyn Source>
        })
        .collect())
}

/// The name of an engine's host, before it is made unique: `NAME` of `--docker NAME=URL`, the
/// context's name, the engine's `Name` from `/info`, or, when it does not answer within 2 s, its
/// address (`local` for a Unix socket).
async fn host_name(spec: &EngineSpec, client: &Client) -> String {
    if let Some(name) = &spec.name {
        return name.clone();
    }
    match &spec.origin {
        Origin::ContextFlag(name)
        | Origin::DockerContextEnv(name)
        | Origin::CurrentContext { name, .. }
            if name != "default" =>
        {
            return name.clone();
        }
        _ => {}
    }
    match tokio::time::timeout(Duration::from_secs(2), client.info()).await {
        Ok(Ok(info)) if !info.name.trim().is_empty() => info.name,
        _ => match spec.endpoint.tcp_host() {
            Some(host) => host.to_string(),
            None => "local".to_string(),
        },
    }
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
