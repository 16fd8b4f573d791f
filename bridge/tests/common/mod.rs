//! Test support shared by the bridge's integration tests: a private real `dockerd`, headless
//! Chromium through chromedriver, and "skip unless CI" for what needs root or system packages;
//! [`engine`]: a fake (and, on demand, hostile) Docker Engine, the real bridge with its log, and a
//! WebSocket viewer; [`engines`]: several real engines side by side (private dockerds, one over
//! TLS with certificates made by the test, and Podman); [`nats`]: a real nats-server and
//! `statscope agent`s, for the fleet.
#![allow(dead_code)]

pub mod engine;
pub mod engines;
pub mod nats;

use std::os::unix::process::CommandExt;
use std::process::Command;

pub const SCRIPTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts");
pub const PREFIX: &str = "statscope-it-";

/// The private daemon: its socket, and whether this test started it (then it stops it).
pub struct Daemon {
    /// `unix:///…` of the private daemon.
    pub host: String,
    started_here: bool,
}

impl Daemon {
    pub fn up() -> Result<Daemon, String> {
        let sock = std::env::var("STATSCOPE_DOCKER_SOCK")
            .unwrap_or_else(|_| "/run/statscope-docker.sock".into());
        let already = Command::new("curl")
            .args(["-sf", "--unix-socket", &sock, "http://localhost/_ping"])
            .output()
            .is_ok_and(|o| o.status.success());
        let out = Command::new("bash")
            .arg(format!("{SCRIPTS}/dockerd-up.sh"))
            .output()
            .map_err(|e| format!("cannot run dockerd-up.sh: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "dockerd-up.sh failed:\n{}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(Daemon {
            host: format!("unix://{sock}"),
            started_here: !already,
        })
    }

    pub fn docker(&self, args: &[&str]) -> String {
        let out = Command::new("docker")
            .env("DOCKER_HOST", &self.host)
            .args(args)
            .output()
            .expect("docker CLI runs");
        assert!(
            out.status.success(),
            "docker {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    pub fn run(&self, name: &str, extra: &[&str], cmd: &str) {
        let name = format!("{PREFIX}{name}");
        let mut args = vec!["run", "-d", "--name", name.as_str()];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["statscope-busybox:latest", "sh", "-c", cmd]);
        self.docker(&args);
    }

    /// Removes this test's containers, quietly (it also runs from `Drop`, where it must not panic).
    pub fn remove_ours(&self) {
        let Ok(out) = Command::new("docker")
            .env("DOCKER_HOST", &self.host)
            .args(["ps", "-aq", "--filter", &format!("name={PREFIX}")])
            .output()
        else {
            return;
        };
        for id in String::from_utf8_lossy(&out.stdout).split_whitespace() {
            let _ = Command::new("docker")
                .env("DOCKER_HOST", &self.host)
                .args(["rm", "-f", id])
                .output();
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.remove_ours();
        if self.started_here {
            let _ = Command::new("bash")
                .arg(format!("{SCRIPTS}/dockerd-down.sh"))
                .output();
        }
    }
}

pub fn can_run_docker() -> Result<(), String> {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout == b"0\n")
        .unwrap_or(false);
    if !root {
        return Err("not root".into());
    }
    for tool in ["dockerd", "docker", "curl"] {
        let found = Command::new("sh")
            .args([
                "-c",
                &format!("command -v {tool} || test -x /usr/sbin/{tool}"),
            ])
            .output()
            .is_ok_and(|o| o.status.success());
        if !found {
            return Err(format!("{tool} is not installed"));
        }
    }
    if !std::path::Path::new("/bin/busybox").exists() {
        return Err("busybox-static is not installed".into());
    }
    Ok(())
}

/// `true` when CI says the environment-dependent tests are mandatory.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// Skips (with a clear message) or, under CI, fails.
pub fn skip_or_fail(test: &str, why: &str) {
    assert!(!in_ci(), "CI=true: {test} is mandatory, but {why}");
    eprintln!("SKIPPED {test}: {why}");
}

impl Daemon {
    /// The private daemon, or `None` after saying why the test is skipped (a failure under CI).
    pub fn up_or_skip(test: &str) -> Option<Daemon> {
        if let Err(why) = can_run_docker() {
            skip_or_fail(
                test,
                &format!("{why} (it runs as root with docker.io and busybox-static)"),
            );
            return None;
        }
        match Daemon::up() {
            Ok(d) => Some(d),
            Err(why) => {
                skip_or_fail(test, &why);
                None
            }
        }
    }
}

/// Headless Chromium driven through Debian's chromedriver (WebDriver, via `fantoccini`).
pub struct Browser {
    pub client: fantoccini::Client,
    driver: std::process::Child,
}

impl Browser {
    /// Starts chromedriver on a free port and opens a headless Chromium session.
    pub async fn start() -> Result<Browser, String> {
        let chromedriver = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists())
            .ok_or("chromedriver is not installed (Debian: chromium-driver)")?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let driver = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            // Its own process group, which the Chromium it starts joins: see Drop.
            .process_group(0)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start chromedriver: {e}"))?;
        let browser = Browser {
            client: connect(port).await?,
            driver,
        };
        browser
            .client
            .set_window_size(1200, 760)
            .await
            .map_err(|e| e.to_string())?;
        Ok(browser)
    }

    /// Runs `script` (a function body; `return …`) in the page.
    pub async fn js(&self, script: &str) -> serde_json::Value {
        self.client
            .execute(script, vec![])
            .await
            .expect("script runs in the page")
    }

    /// Saves a screenshot under `test-artifacts/` at the repository root; returns its path.
    pub async fn screenshot(&self, name: &str) -> std::path::PathBuf {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../test-artifacts");
        std::fs::create_dir_all(&dir).expect("test-artifacts folder");
        let path = dir.join(name);
        let png = self.client.screenshot().await.expect("screenshot");
        std::fs::write(&path, png).expect("write screenshot");
        path
    }
}

async fn connect(port: u16) -> Result<fantoccini::Client, String> {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": chromium_binary(),
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-background-networking", "--disable-component-update", "--no-first-run",
                     "--disable-sync", "--disable-extensions", "--window-size=1200,760"]
        }),
    );
    let url = format!("http://127.0.0.1:{port}");
    let mut last = String::new();
    for _ in 0..50 {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        match fantoccini::ClientBuilder::new(connector)
            .capabilities(caps.clone())
            .connect(&url)
            .await
        {
            Ok(client) => return Ok(client),
            Err(e) => last = e.to_string(),
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    Err(format!("no WebDriver session: {last}"))
}

/// Debian's real Chromium binary (`/usr/bin/chromium` is a shell wrapper).
fn chromium_binary() -> &'static str {
    ["/usr/lib/chromium/chromium", "/usr/bin/chromium"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .unwrap_or("/usr/bin/chromium")
}

impl Drop for Browser {
    /// Ends chromedriver and every Chromium process it started (killing chromedriver alone leaves
    /// the browser running, orphaned, for as long as the machine runs).
    fn drop(&mut self) {
        let group = format!("-{}", self.driver.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// The repository root (index.html, www/, pkg/).
pub fn repo_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .expect("repo root")
}

/// A running `statscope serve`, the real binary; killed on drop.
pub struct Bridge {
    pub child: tokio::process::Child,
    pub url: String,
    pub port: u16,
}

impl Bridge {
    /// Starts `statscope serve ARGS --web-root <repo>` and waits for the URL it prints.
    pub async fn start(args: &[&str]) -> Bridge {
        use tokio::io::AsyncBufReadExt;
        let root = repo_root();
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_statscope"))
            .arg("serve")
            .args(args)
            .arg("--web-root")
            .arg(&root)
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("statscope serve starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = tokio::io::BufReader::new(stdout).lines();
        let line = tokio::time::timeout(std::time::Duration::from_secs(20), lines.next_line())
            .await
            .expect("statscope prints its URL in time")
            .expect("stdout readable")
            .expect("a line");
        let url = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .expect("a URL in the first line")
            .to_string();
        let port = url
            .trim_end_matches('/')
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("a port");
        Bridge { child, url, port }
    }

    pub async fn kill(&mut self) {
        let _ = self.child.kill().await;
    }
}

/// The browser, if the page is built and chromedriver exists; otherwise skipped (a failure under CI).
pub async fn browser_or_skip(test: &str) -> Option<Browser> {
    if !repo_root().join("pkg/statscope_bg.wasm").exists() {
        skip_or_fail(
            test,
            "pkg/ is not built (run scripts/build-web.sh, or the test command)",
        );
        return None;
    }
    match Browser::start().await {
        Ok(b) => Some(b),
        Err(why) => {
            skip_or_fail(test, &why);
            None
        }
    }
}

/// Polls `script` in the page until `done` says so; panics after `secs`.
pub async fn wait_for(
    b: &Browser,
    secs: u64,
    script: &str,
    mut done: impl FnMut(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let start = std::time::Instant::now();
    loop {
        let v = b.js(script).await;
        if done(&v) {
            return v;
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(secs),
            "timed out waiting; last: {v}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// A TCP proxy in front of a bridge whose connections the test can cut at any moment (the page
/// sees its WebSocket die, as on a network fault) while new ones are relayed whole.
pub struct CutProxy {
    pub port: u16,
    live: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::AbortHandle>>>,
    accept: tokio::task::JoinHandle<()>,
}

impl CutProxy {
    pub async fn start(upstream: u16) -> CutProxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let live: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::AbortHandle>>> =
            Default::default();
        let tasks = live.clone();
        let accept = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let Ok(mut server) = tokio::net::TcpStream::connect(("127.0.0.1", upstream)).await
                else {
                    continue;
                };
                let relay = tokio::spawn(async move {
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                });
                tasks.lock().expect("tasks").push(relay.abort_handle());
            }
        });
        CutProxy { port, live, accept }
    }

    /// Cuts every connection open now (both sockets dropped mid-stream).
    pub fn cut(&self) -> usize {
        let mut live = self.live.lock().expect("tasks");
        let n = live.len();
        for task in live.drain(..) {
            task.abort();
        }
        n
    }
}

impl Drop for CutProxy {
    fn drop(&mut self) {
        self.cut();
        self.accept.abort();
    }
}
