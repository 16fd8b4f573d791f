//! Real engines side by side for the tests: private `dockerd`s (each its own data root, exec root,
//! pidfile, socket, containerd, bridge and cgroup parent, `--iptables=false`; one may also listen
//! on `tcp://127.0.0.1:PORT` with `--tlsverify`), certificates made by the test ([`Pki`], rcgen),
//! and `podman system service` on a private socket ([`Podman`]). Each is stopped by its PID when
//! dropped: the `dockerd`s through `scripts/dockerd-down.sh` with their own variables (it signals
//! only the PIDs in their pidfiles), Podman by its child's PID.
//!
//! ```ignore
//! let pki = Pki::new("two")?;
//! let a = Dockerd::start("a", 1, None)?;              // unix socket only
//! let b = Dockerd::start("b", 2, Some(&pki))?;        // and tcp://127.0.0.1:PORT over TLS
//! a.run("web", &["--network", "none"], "sleep 600");  // containers: the docker CLI on the socket
//! let tls = b.tls_spec(&pki.client_dir());            // an EngineSpec for Client::for_engine
//! ```

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose, SanType,
};
use statscope_bridge::endpoint::{ClientCertFiles, Endpoint, EngineSpec, Origin, TlsFiles};

use super::{can_run_docker, skip_or_fail, PREFIX, SCRIPTS};

/// A throwaway CA, a server certificate for `127.0.0.1` and `localhost`, and a client
/// certificate, written as dockerd and the docker CLI want them:
/// `server/{ca,server-cert,server-key}.pem` and `client/{ca,cert,key}.pem`.
pub struct Pki {
    pub dir: PathBuf,
}

impl Pki {
    /// Makes the files in a fresh folder under the temp dir, named after `what`; the server
    /// certificate names `localhost` and `127.0.0.1`.
    pub fn new(what: &str) -> Pki {
        Pki::for_server(what, &["localhost"], &[IpAddr::V4(Ipv4Addr::LOCALHOST)])
    }

    /// [`Pki::new`], the server certificate naming these DNS names and IP addresses.
    pub fn for_server(what: &str, dns: &[&str], ips: &[IpAddr]) -> Pki {
        let dir = std::env::temp_dir().join(format!("statscope-pki-{what}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for sub in ["server", "client"] {
            std::fs::create_dir_all(dir.join(sub)).expect("pki folders");
        }
        let ca_key = KeyPair::generate().expect("CA key");
        let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, format!("statscope test CA ({what})"));
        ca.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca = CertifiedIssuer::self_signed(ca, ca_key).expect("CA certificate");

        let server_key = KeyPair::generate().expect("server key");
        let names: Vec<String> = dns.iter().map(|d| d.to_string()).collect();
        let mut server = CertificateParams::new(names).expect("params");
        for ip in ips {
            server.subject_alt_names.push(SanType::IpAddress(*ip));
        }
        server
            .distinguished_name
            .push(DnType::CommonName, "statscope test engine");
        server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let server = server
            .signed_by(&server_key, &ca)
            .expect("server certificate");

        let client_key = KeyPair::generate().expect("client key");
        let mut client = CertificateParams::new(Vec::<String>::new()).expect("params");
        client
            .distinguished_name
            .push(DnType::CommonName, "statscope test client");
        client.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let client = client
            .signed_by(&client_key, &ca)
            .expect("client certificate");

        let write = |rel: &str, text: &str| std::fs::write(dir.join(rel), text).expect("write pem");
        write("server/ca.pem", &ca.pem());
        write("server/server-cert.pem", &server.pem());
        write("server/server-key.pem", &server_key.serialize_pem());
        write("client/ca.pem", &ca.pem());
        write("client/cert.pem", &client.pem());
        write("client/key.pem", &client_key.serialize_pem());
        Pki { dir }
    }

    /// `ca.pem`, `server-cert.pem`, `server-key.pem`: for `dockerd --tlsverify`.
    pub fn server_dir(&self) -> PathBuf {
        self.dir.join("server")
    }

    /// `ca.pem`, `cert.pem`, `key.pem`: a `DOCKER_CERT_PATH`, or `--tls-certs`.
    pub fn client_dir(&self) -> PathBuf {
        self.dir.join("client")
    }

    /// The client's files, as [`statscope_bridge::endpoint::resolve`] would give them.
    pub fn client_files(&self) -> TlsFiles {
        let d = self.client_dir();
        TlsFiles {
            ca: d.join("ca.pem"),
            client: Some(ClientCertFiles {
                cert: d.join("cert.pem"),
                key: d.join("key.pem"),
            }),
        }
    }
}

impl Drop for Pki {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Whether process `pid` runs `comm` (not gone, not a zombie waiting to be reaped).
pub fn running(pid: u32, comm: &str) -> bool {
    let named =
        std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == comm);
    let state = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| s.rsplit_once(") ").map(|(_, rest)| rest.chars().next()))
        .flatten();
    named && state.is_some_and(|s| s != 'Z')
}

/// A free TCP port on loopback (free when asked; a test starts its server right after).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// One private `dockerd` (and its own containerd), started by `scripts/dockerd-up.sh` with its
/// own variables; stopped on drop by `scripts/dockerd-down.sh` with the same ones.
pub struct Dockerd {
    pub name: String,
    /// Its Unix socket (the docker CLI uses it to run containers).
    pub socket: PathBuf,
    /// `127.0.0.1:PORT`, when it also listens over TLS.
    pub tcp: Option<SocketAddr>,
    env: Vec<(String, String)>,
}

impl Dockerd {
    /// Starts daemon `name` (a short word) as the `index`th (1–9: its bridge `ssit<index>` with
    /// `172.31.<240+index>.1/24`), also on TLS TCP when `tls` is given.
    pub fn start(name: &str, index: u8, tls: Option<&Pki>) -> Result<Dockerd, String> {
        assert!((1..=9).contains(&index), "index 1–9");
        let id = format!("statscope-it-{name}");
        let socket = PathBuf::from(format!("/run/{id}.sock"));
        let mut env = vec![
            ("STATSCOPE_DOCKER_ROOT", format!("/var/lib/{id}")),
            ("STATSCOPE_DOCKER_EXEC_ROOT", format!("/run/{id}")),
            ("STATSCOPE_DOCKER_PIDFILE", format!("/run/{id}.pid")),
            ("STATSCOPE_DOCKER_SOCK", socket.display().to_string()),
            ("STATSCOPE_DOCKER_LOG", format!("/run/{id}.log")),
            (
                "STATSCOPE_CONTAINERD_LOG",
                format!("/run/{id}-containerd.log"),
            ),
            ("STATSCOPE_DOCKER_BRIDGE", format!("ssit{index}")),
            (
                "STATSCOPE_DOCKER_BRIDGE_CIDR",
                format!("172.31.{}.1/24", 240 + u32::from(index)),
            ),
            ("STATSCOPE_DOCKER_CGROUP_PARENT", format!("/{id}")),
            ("STATSCOPE_DOCKER_IPTABLES", "false".to_string()),
        ];
        let mut tcp = None;
        if let Some(pki) = tls {
            let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, free_port()));
            env.push(("STATSCOPE_DOCKER_TCP", addr.to_string()));
            env.push((
                "STATSCOPE_DOCKER_TLS_DIR",
                pki.server_dir().display().to_string(),
            ));
            tcp = Some(addr);
        }
        let env: Vec<(String, String)> = env.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        let d = Dockerd {
            name: name.to_string(),
            socket,
            tcp,
            env,
        };
        // A daemon left by an earlier run (killed test) would keep its old TCP settings.
        let _ = d.script("dockerd-down.sh");
        let out = d.script("dockerd-up.sh")?;
        if !out.status.success() {
            return Err(format!(
                "dockerd-up.sh ({name}) failed:\n{}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(d)
    }

    fn script(&self, script: &str) -> Result<std::process::Output, String> {
        Command::new("bash")
            .arg(format!("{SCRIPTS}/{script}"))
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .output()
            .map_err(|e| format!("cannot run {script}: {e}"))
    }

    /// The daemon's PID (from its pidfile).
    pub fn pid(&self) -> Option<u32> {
        let pidfile = self
            .env
            .iter()
            .find(|(k, _)| k == "STATSCOPE_DOCKER_PIDFILE")
            .map(|(_, v)| v.clone())?;
        std::fs::read_to_string(pidfile).ok()?.trim().parse().ok()
    }

    /// Its socket as an endpoint.
    pub fn unix_endpoint(&self) -> Endpoint {
        Endpoint::Unix(self.socket.clone())
    }

    /// Its TLS TCP endpoint, verified with `tls` (for example [`Pki::client_files`]).
    pub fn tls_spec(&self, tls: TlsFiles) -> EngineSpec {
        let addr = self.tcp.expect("this daemon listens on TLS TCP");
        EngineSpec {
            name: Some(self.name.clone()),
            endpoint: Endpoint::Tcp(addr.to_string()),
            tls: Some(tls),
            origin: Origin::DockerFlag(format!("tcp://{addr}")),
        }
    }

    /// The docker CLI on this daemon's socket; its stdout, trimmed (panics on failure).
    pub fn docker(&self, args: &[&str]) -> String {
        let out = Command::new("docker")
            .env("DOCKER_HOST", format!("unix://{}", self.socket.display()))
            .env_remove("DOCKER_CONTEXT")
            .env_remove("DOCKER_TLS_VERIFY")
            .args(args)
            .output()
            .expect("docker CLI runs");
        assert!(
            out.status.success(),
            "docker {args:?} on {}: {}",
            self.name,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Runs `sh -c cmd` in a container named `statscope-it-<name>` from the busybox test image;
    /// its full ID.
    pub fn run(&self, name: &str, extra: &[&str], cmd: &str) -> String {
        let name = format!("{PREFIX}{name}");
        let mut args = vec!["run", "-d", "--name", name.as_str()];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["statscope-busybox:latest", "sh", "-c", cmd]);
        self.docker(&args)
    }

    /// Removes container `statscope-it-<name>` if it is there.
    pub fn remove(&self, name: &str) {
        let _ = Command::new("docker")
            .env("DOCKER_HOST", format!("unix://{}", self.socket.display()))
            .args(["rm", "-f", &format!("{PREFIX}{name}")])
            .output();
    }

    /// Stops the daemon now (what drop does), waiting for it.
    pub fn stop(self) {}

    /// Stops the daemon and keeps its settings, to [`Dockerd::up`] it again (same socket, port
    /// and certificates).
    pub fn down(&self) {
        let _ = self.script("dockerd-down.sh");
    }

    /// Starts it again after [`Dockerd::down`].
    pub fn up(&self) -> Result<(), String> {
        let out = self.script("dockerd-up.sh")?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "dockerd-up.sh ({}) failed:\n{}",
                self.name,
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    }
}

impl Drop for Dockerd {
    fn drop(&mut self) {
        // Its containers go with it (dockerd stops them); its data root is kept for the next run.
        let _ = self.script("dockerd-down.sh");
    }
}

/// Two private dockerds, the second also on TLS TCP with `pki`; `None` after saying why (a
/// failure under CI).
pub fn two_dockerds_or_skip(test: &str, pki: &Pki) -> Option<(Dockerd, Dockerd)> {
    if let Err(why) = can_run_docker() {
        skip_or_fail(
            test,
            &format!("{why} (it runs as root with docker.io and busybox-static)"),
        );
        return None;
    }
    let started =
        Dockerd::start("a", 1, None).and_then(|a| Ok((a, Dockerd::start("b", 2, Some(pki))?)));
    match started {
        Ok(pair) => Some(pair),
        Err(why) => {
            skip_or_fail(test, &why);
            None
        }
    }
}

/// `podman system service` on a private socket, with its own storage (`--root`, `--runroot`),
/// cgroupfs and file events (no systemd needed), and a busybox image imported from
/// `/bin/busybox`. Killed by its PID on drop, after removing its containers.
pub struct Podman {
    pub socket: PathBuf,
    root: PathBuf,
    runroot: PathBuf,
    service: Child,
}

/// The `--ulimit`s a container needs to start as root on this machine kind (no
/// `CAP_SYS_RESOURCE`: higher limits fail), and the same through the API.
pub const PODMAN_ULIMITS: [&str; 4] = [
    "--ulimit",
    "nofile=20000:20000",
    "--ulimit",
    "nproc=32768:32768",
];

impl Podman {
    /// Starts the service (named after `what`), or says why it cannot.
    pub fn start(what: &str) -> Result<Podman, String> {
        let found = Command::new("podman")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        if !found {
            return Err("podman is not installed (Debian: podman)".into());
        }
        let id = format!("statscope-it-podman-{what}");
        let root = PathBuf::from(format!("/var/lib/{id}"));
        let runroot = PathBuf::from(format!("/run/{id}"));
        let socket = PathBuf::from(format!("/run/{id}.sock"));
        let _ = std::fs::remove_file(&socket);
        let log = std::fs::File::create(format!("/run/{id}.log")).map_err(|e| e.to_string())?;
        let service = Command::new("podman")
            .args(global_args(&root, &runroot))
            .args(["system", "service", "--time=0"])
            .arg(format!("unix://{}", socket.display()))
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(|e| e.to_string())?)
            .stderr(log)
            .spawn()
            .map_err(|e| format!("cannot start podman system service: {e}"))?;
        let mut p = Podman {
            socket,
            root,
            runroot,
            service,
        };
        let start = Instant::now();
        while !p.answers() {
            if let Ok(Some(status)) = p.service.try_wait() {
                return Err(format!(
                    "podman system service exited: {status} (log /run/{id}.log)"
                ));
            }
            if start.elapsed() > Duration::from_secs(30) {
                return Err(format!(
                    "podman system service did not answer in 30 s (log /run/{id}.log)"
                ));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        p.ensure_image()?;
        Ok(p)
    }

    fn answers(&self) -> bool {
        Command::new("curl")
            .args(["-sf", "--max-time", "2", "--unix-socket"])
            .arg(&self.socket)
            .arg("http://d/_ping")
            .output()
            .is_ok_and(|o| o.status.success() && o.stdout == b"OK")
    }

    /// `podman ARGS` on this service's storage; stdout, trimmed.
    pub fn podman(&self, args: &[&str]) -> Result<String, String> {
        let out = Command::new("podman")
            .args(global_args(&self.root, &self.runroot))
            .args(args)
            .output()
            .map_err(|e| e.to_string())?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
        } else {
            Err(format!(
                "podman {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    }

    /// `statscope-busybox:latest`, imported from a tarball of a static-busybox root filesystem.
    fn ensure_image(&self) -> Result<(), String> {
        if self
            .podman(&["image", "exists", "statscope-busybox:latest"])
            .is_ok()
        {
            return Ok(());
        }
        let busybox = Path::new("/bin/busybox");
        if !busybox.exists() {
            return Err("busybox-static is not installed".into());
        }
        let dir =
            std::env::temp_dir().join(format!("statscope-podman-rootfs-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let rootfs = dir.join("rootfs");
        for sub in ["bin", "tmp", "etc"] {
            std::fs::create_dir_all(rootfs.join(sub)).map_err(|e| e.to_string())?;
        }
        std::fs::copy(busybox, rootfs.join("bin/busybox")).map_err(|e| e.to_string())?;
        let applets = Command::new(busybox)
            .arg("--list")
            .output()
            .map_err(|e| e.to_string())?;
        for applet in String::from_utf8_lossy(&applets.stdout).split_whitespace() {
            if applet != "busybox" && !applet.contains('/') {
                let _ = std::os::unix::fs::symlink("busybox", rootfs.join("bin").join(applet));
            }
        }
        std::fs::write(rootfs.join("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n")
            .map_err(|e| e.to_string())?;
        std::fs::write(rootfs.join("etc/group"), "root:x:0:\n").map_err(|e| e.to_string())?;
        let tar = dir.join("busybox.tar");
        let made = Command::new("tar")
            .arg("-C")
            .arg(&rootfs)
            .arg("-cf")
            .arg(&tar)
            .arg(".")
            .status()
            .map_err(|e| e.to_string())?;
        if !made.success() {
            return Err("tar of the busybox root filesystem failed".into());
        }
        let tar = tar.display().to_string();
        let imported = self.podman(&[
            "import",
            "--change",
            "ENV PATH=/bin",
            "--change",
            "CMD [\"sh\"]",
            &tar,
            "statscope-busybox:latest",
        ]);
        let _ = std::fs::remove_dir_all(&dir);
        imported.map(|_| ())
    }

    /// Runs `sh -c cmd` detached in a container named `statscope-it-<name>` (with the ulimits
    /// it needs here); its full ID.
    pub fn run(&self, name: &str, cmd: &str) -> Result<String, String> {
        let name = format!("{PREFIX}{name}");
        let mut args = vec!["run", "-d", "--name", name.as_str()];
        args.extend_from_slice(&PODMAN_ULIMITS);
        args.extend_from_slice(&["statscope-busybox:latest", "sh", "-c", cmd]);
        self.podman(&args)
    }

    /// A container's main process ID.
    pub fn pid_of(&self, id: &str) -> Result<u32, String> {
        self.podman(&["inspect", "--format", "{{.State.Pid}}", id])?
            .parse()
            .map_err(|e| format!("the PID of {id}: {e}"))
    }

    /// The service's PID.
    pub fn pid(&self) -> u32 {
        self.service.id()
    }
}

/// The CPU time of process `pid`'s cgroup, ns, read from the kernel (cgroup v1 `cpuacct.usage`,
/// or v2 `cpu.stat`'s `usage_usec`): the truth an engine's CPU figures are checked against.
pub fn cgroup_cpu_ns(pid: u32) -> Result<u64, String> {
    let cgroups =
        std::fs::read_to_string(format!("/proc/{pid}/cgroup")).map_err(|e| e.to_string())?;
    for line in cgroups.lines() {
        let mut parts = line.splitn(3, ':');
        let (_, controllers, path) = (
            parts.next(),
            parts.next().unwrap_or(""),
            parts.next().unwrap_or(""),
        );
        if controllers.split(',').any(|c| c == "cpuacct") {
            for mount in ["/sys/fs/cgroup/cpuacct", "/sys/fs/cgroup/cpu,cpuacct"] {
                if let Ok(text) = std::fs::read_to_string(format!("{mount}{path}/cpuacct.usage")) {
                    return text
                        .trim()
                        .parse()
                        .map_err(|e| format!("cpuacct.usage: {e}"));
                }
            }
        }
        if controllers.is_empty() && line.starts_with("0::") {
            if let Ok(stat) = std::fs::read_to_string(format!("/sys/fs/cgroup{path}/cpu.stat")) {
                if let Some(usec) = stat.lines().find_map(|l| l.strip_prefix("usage_usec ")) {
                    return usec
                        .trim()
                        .parse::<u64>()
                        .map(|u| u * 1000)
                        .map_err(|e| e.to_string());
                }
            }
        }
    }
    Err(format!("no cgroup CPU counter for pid {pid}"))
}

fn global_args(root: &Path, runroot: &Path) -> Vec<String> {
    vec![
        "--root".into(),
        root.display().to_string(),
        "--runroot".into(),
        runroot.display().to_string(),
        "--cgroup-manager".into(),
        "cgroupfs".into(),
        "--events-backend".into(),
        "file".into(),
    ]
}

impl Drop for Podman {
    fn drop(&mut self) {
        // Its containers outlive the service (conmon keeps them): remove them first. Only this
        // service's storage is touched.
        let _ = self.podman(&["rm", "-f", "-a", "-t", "0"]);
        let _ = Command::new("kill")
            .args(["-TERM", &self.service.id().to_string()])
            .status();
        let start = Instant::now();
        while matches!(self.service.try_wait(), Ok(None))
            && start.elapsed() < Duration::from_secs(10)
        {
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.service.kill();
        let _ = self.service.wait();
        let _ = std::fs::remove_file(&self.socket);
    }
}

/// Podman, or `None` after saying why (a failure under CI).
pub fn podman_or_skip(test: &str, what: &str) -> Option<Podman> {
    if let Err(why) = can_run_docker() {
        skip_or_fail(test, &format!("{why} (Podman's tests run as root)"));
        return None;
    }
    match Podman::start(what) {
        Ok(p) => Some(p),
        Err(why) => {
            skip_or_fail(test, &why);
            None
        }
    }
}
