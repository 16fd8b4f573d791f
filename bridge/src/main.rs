//! The `statscope` program: parses arguments and hands off to the library's commands.

use std::fs::File;
use std::io::{self, BufReader};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use statscope::OsType;
use statscope_bridge::stats_cmd::{self, Format};

/// Live per-container CPU curves from Docker Engine stats.
#[derive(Parser, Debug)]
#[command(name = "statscope", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
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
