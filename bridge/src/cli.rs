//! `statscope`'s command line (clap): the program's arguments as a library, so tests can parse them
//! exactly as the binary does (`Cli::try_parse_from([...])`).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Live per-container CPU curves from Docker Engine stats.
#[derive(Parser, Debug)]
#[command(name = "statscope", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
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
pub struct ServeArgs {
    /// Address to listen on. Only loopback by default: binding elsewhere exposes your containers'
    /// stats to the network (pair it with --token), and is logged as a warning.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Relay this Docker Engine (unix:///path/docker.sock or tcp://host:port), retrying until it
    /// answers. Without a source flag: $DOCKER_HOST or /var/run/docker.sock if it answers /_ping,
    /// else the demo feed.
    #[arg(long, value_name = "URL", group = "source")]
    pub docker: Option<String>,
    /// Serve the built-in demo feed: simulated containers with real Docker-shaped stats.
    #[arg(long, group = "source")]
    pub demo: bool,
    /// Play back a recording: newline-delimited Docker stats objects (containers may be interleaved),
    /// paced by their `read` timestamps.
    #[arg(long, value_name = "FILE", group = "source")]
    pub replay: Option<PathBuf>,
    /// Replay speed: 2 plays twice as fast as recorded.
    #[arg(long, default_value_t = 1.0, requires = "replay")]
    pub speed: f64,
    /// Start the replay over when it ends (timestamps keep moving forward).
    #[arg(long = "loop", requires = "replay")]
    pub looped: bool,
    /// Also accept WebSocket connections from pages of this origin (e.g. https://dash.example.com);
    /// repeatable. The page's own origin is accepted when it is an IP address or localhost (names
    /// could be DNS-rebound: list them here); any other cross-site page is refused.
    #[arg(long = "allow-origin", value_name = "ORIGIN")]
    pub allow_origin: Vec<String>,
    /// Require this token on /ws (?token=… or Authorization: Bearer …). Prefer the environment
    /// variable, so the token does not show in the process list.
    #[arg(long, env = "STATSCOPE_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// The folder holding index.html, www/ and pkg/ (default: the current folder if it has
    /// index.html, else the statscope source tree this binary was built from).
    #[arg(long, env = "STATSCOPE_WEB_ROOT", value_name = "DIR")]
    pub web_root: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum FormatArg {
    Json,
    Csv,
    Table,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum OsArg {
    Linux,
    Windows,
}
