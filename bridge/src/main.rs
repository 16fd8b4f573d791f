//! The `statscope` program: parses arguments and hands off to the library's commands.

use std::fs::File;
use std::io::{self, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};
use statscope::OsType;
use statscope_bridge::demo::Demo;
use statscope_bridge::docker::{Client, DockerSource, Endpoint};
use statscope_bridge::replay::Replay;
use statscope_bridge::server::{self, ServerConfig};
use statscope_bridge::source::Source;
use statscope_bridge::stats_cmd::{self, Format};
use tokio_util::sync::CancellationToken;

/// Live per-container CPU curves from Docker Engine stats.
#[derive(Parser, Debug)]
#[command(name = "statscope", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Relay Docker Engine stats over a WebSocket and serve the page that draws them.
    ///
    /// The source is a Docker Engine (the default when one answers), the built-in demo feed (the
    /// default when none does), or a recording. Open the printed URL in a browser.
    Serve(ServeArgs),
    /// Compute `docker stats` figures offline from recorded Docker stats objects.
    ///
    /// Input: newline-delimited Docker Engine stats objects, as
    /// `GET /containers/{id}/stats?stream=true` emits them (containers may be interleaved).
    /// A malformed line is reported on stderr with its line number and skipped; the exit status is
    /// then 1.
    Stats {
        /// The recording to read; `-` or nothing reads standard input.
        file: Option<PathBuf>,
        /// `json`: per line, exactly what `docker stats --format '{{json .}}'` prints.
        /// `csv`: per line, the engine's rates (first/reset/gap/stopped/late flagged).
        /// `table`: one row per container for its last sample, like `docker stats`.
        #[arg(long, value_enum, default_value_t = FormatArg::Table)]
        format: FormatArg,
        /// The daemon's OS, for samples without `os_type` (Docker < 29): selects the CLI's formulas.
        #[arg(long, value_enum, default_value_t = OsArg::Linux)]
        os: OsArg,
    },
}

#[derive(Args, Debug)]
struct ServeArgs {
    /// Address to listen on. Only loopback by default: binding elsewhere exposes your containers'
    /// stats to the network (pair it with --token), and is logged as a warning.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Relay this Docker Engine (unix:///path/docker.sock or tcp://host:port), retrying until it
    /// answers. Without a source flag: $DOCKER_HOST or /var/run/docker.sock if it answers /_ping,
    /// else the demo feed.
    #[arg(long, value_name = "URL", group = "source")]
    docker: Option<String>,
    /// Serve the built-in demo feed: simulated containers with real Docker-shaped stats.
    #[arg(long, group = "source")]
    demo: bool,
    /// Play back a recording: newline-delimited Docker stats objects (containers may be interleaved),
    /// paced by their `read` timestamps.
    #[arg(long, value_name = "FILE", group = "source")]
    replay: Option<PathBuf>,
    /// Replay speed: 2 plays twice as fast as recorded.
    #[arg(long, default_value_t = 1.0, requires = "replay")]
    speed: f64,
    /// Start the replay over when it ends (timestamps keep moving forward).
    #[arg(long = "loop", requires = "replay")]
    looped: bool,
    /// Also accept WebSocket connections from pages of this origin (e.g. https://dash.example.com);
    /// repeatable. The page's own origin is always accepted; any other cross-site page is refused.
    #[arg(long = "allow-origin", value_name = "ORIGIN")]
    allow_origin: Vec<String>,
    /// Require this token on /ws (?token=… or Authorization: Bearer …). Prefer the environment
    /// variable, so the token does not show in the process list.
    #[arg(long, env = "STATSCOPE_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// The folder holding index.html, www/ and pkg/ (default: the current folder if it has
    /// index.html, else the statscope source tree this binary was built from).
    #[arg(long, env = "STATSCOPE_WEB_ROOT", value_name = "DIR")]
    web_root: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum FormatArg {
    Json,
    Csv,
    Table,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum OsArg {
    Linux,
    Windows,
}

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
                .init();
            let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
            runtime.block_on(serve(args))?;
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
    let source: Box<dyn Source> = if let Some(path) = args.replay {
        Box::new(
            Replay::open(path.clone(), args.speed, args.looped)
                .with_context(|| format!("cannot replay {}", path.display()))?,
        )
    } else if args.demo {
        Box::new(Demo::default())
    } else if let Some(url) = args.docker {
        Box::new(DockerSource::new(
            Endpoint::parse(&url).map_err(anyhow::Error::msg)?,
        ))
    } else {
        let endpoint = Endpoint::default_from_env();
        let client = Client::new(endpoint.clone());
        match tokio::time::timeout(Duration::from_secs(2), client.ping()).await {
            Ok(Ok(())) => Box::new(DockerSource::new(endpoint)),
            Ok(Err(e)) => {
                tracing::info!(docker = %endpoint, error = %e, "no Docker answered; serving the demo feed");
                Box::new(Demo::default())
            }
            Err(_) => {
                tracing::info!(docker = %endpoint, "Docker did not answer in time; serving the demo feed");
                Box::new(Demo::default())
            }
        }
    };
    let web_root = args.web_root.unwrap_or_else(default_web_root);
    if !web_root.join("index.html").is_file() {
        tracing::warn!(web_root = %web_root.display(), "no index.html there: the page will not load (build it with the run command)");
    }
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener.local_addr()?;
    if !addr.ip().is_loopback() {
        tracing::warn!(%addr, token = args.token.is_some(),
            "listening beyond loopback: anyone who can reach this address can watch your containers' stats");
    }
    let kind = source.kind();
    println!("statscope: serving http://{addr}/ ({kind} feed; Ctrl-C to stop)");
    let shutdown = CancellationToken::new();
    tokio::spawn(stop_on_signal(shutdown.clone()));
    let config = ServerConfig {
        web_root,
        allowed_origins: args.allow_origin,
        token: args.token,
        ..ServerConfig::default()
    };
    server::run(listener, source, config, shutdown).await?;
    tracing::info!("stopped");
    Ok(())
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
