//! Where an engine is and how to reach it, resolved exactly as the docker CLI resolves it: the
//! `--docker [NAME=]URL`, `--context NAME` and `--tls-certs [NAME=]DIR` flags, `DOCKER_HOST`,
//! `DOCKER_CONTEXT`, `currentContext` in `config.json`, `DOCKER_TLS_VERIFY` and `DOCKER_CERT_PATH`,
//! and the contexts the docker CLI keeps in `~/.docker/contexts`.
//!
//! This module reads files (small ones, each bounded) and nothing else: no network, no TLS (that is
//! [`crate::tls`]), no names for engines (the caller's). The environment and the home folder are
//! arguments, so every rule is tested without touching the process's own.
//!
//! # The rules, strongest first
//!
//! 1. **Flags.** `--docker [NAME=]URL` (like the CLI's `-H`) and `--context NAME`, each repeatable:
//!    these engines, the `--docker` ones first, each in the order given. Then `DOCKER_HOST`,
//!    `DOCKER_CONTEXT` and `currentContext` are not read (as the CLI's `-H`/`--context` override
//!    them; unlike the CLI, both flags may be given together: they name several engines).
//! 2. **`DOCKER_HOST`** (non-empty): that engine. It overrides `DOCKER_CONTEXT` and
//!    `currentContext`, with a warning when one of them names a context other than `default`.
//! 3. **`DOCKER_CONTEXT`** (non-empty): that context.
//! 4. **`currentContext`** in `config.json`.
//! 5. **Nothing**: the CLI's default engine, `unix:///var/run/docker.sock` — or, when
//!    `DOCKER_TLS_VERIFY` is set, `tcp://localhost:2376` over TLS, as the CLI does. This is
//!    [`Engines::Default`]: the caller probes it and may fall back to something else. A context
//!    named `default` by `DOCKER_CONTEXT` or `currentContext` is this too; `--context default` is
//!    the default engine as a named engine ([`Engines::Named`]).
//!
//! `~/.docker` is `$DOCKER_CONFIG` when that is set. A context named `NAME` lives in
//! `~/.docker/contexts/meta/<sha256 hex of NAME>/meta.json` (its endpoint) and
//! `~/.docker/contexts/tls/<same>/docker/{ca,cert,key}.pem` (its TLS material, if any). The
//! `default` context is not stored: it is `DOCKER_HOST` (or the default engine) with the TLS of the
//! environment.
//!
//! # URLs (`--docker`, `DOCKER_HOST`)
//!
//! As the CLI's `ParseHost` (checked against the CLI itself on ~2,500 recorded URLs:
//! `tests/fixtures/docker-cli/`, the fuzz target `endpoint`): surrounding spaces are trimmed;
//! `unix:///path` (`unix://` alone is the default socket); `tcp://host:port` (`tcp://host` and
//! `tcp://host:` are port 2375 — also over TLS, as the CLI; `tcp://:port` is `localhost`; `tcp://`
//! alone is `localhost:2375`); `host:port` without a scheme is `tcp://`. `[::1]:2376` for IPv6; as
//! for the CLI, a host of more than one `:` without brackets is an IPv6 address on the default
//! port (`tcp://::1:2375` is `[::1:2375]:2375`), and whatever follows the last `:` must be digits.
//! statscope also takes `http://host:port` (plain HTTP, never TLS) and `tcp://[v6]` without a port.
//! Refused with a clear error, where the CLI would drop or keep something statscope cannot
//! honour: `ssh://`, `npipe://`, `fd://`, other schemes, a relative socket path, a query,
//! fragment, user or path after the address, a port that is not 1–65535, and `%` escapes in a host
//! (an IPv6 zone's `%25` too); refused as by the CLI: brackets inside a host, a port with a sign.
//!
//! A context's stored host is used as stored (the CLI does not re-parse it): `tcp://host` without
//! a port is HTTP's default port there, 80 (443 over TLS), as the CLI's HTTP client connects.
//!
//! # TLS
//!
//! The engine's certificate is always verified, against the CA given; statscope never connects to
//! an engine over TLS without verifying it, and never silently falls back to plain TCP.
//!
//! - A `--docker` tcp engine: `--tls-certs NAME=DIR` for the engine `NAME=`, else a bare
//!   `--tls-certs DIR` (for every tcp `--docker` engine without its own), else the environment
//!   as for the CLI's `-H`: `DOCKER_TLS_VERIFY` (any non-empty value, `0` too, is on) with the
//!   files in `DOCKER_CERT_PATH` (default `~/.docker`); else plain TCP. A `--tls-certs` folder turns
//!   TLS on for its engine. `http://` engines are plain: a `--tls-certs` for one, or
//!   `DOCKER_TLS_VERIFY` with a `DOCKER_HOST=http://…`, is an error.
//! - `DOCKER_HOST` and the default engine: the environment, as above.
//! - A context: its own TLS folder; none means plain TCP (as the CLI).
//! - A folder must hold `ca.pem`; `cert.pem` and `key.pem` (the client certificate) both or
//!   neither. The docker CLI verifies against the system's roots when a context has no `ca.pem`;
//!   statscope refuses that (say which CA to trust).
//! - **Skipping verification is refused**, with an error that says why and what to do: a context
//!   made with `skip-tls-verify=true`, and `DOCKER_TLS` (TLS without verification) without
//!   `DOCKER_TLS_VERIFY`. (Honouring them with a warning would put a bridge that shows a host's
//!   activity behind a connection anyone on the path can intercept; a warning in a log is easily
//!   missed.)
//! - TLS applies to tcp engines only. `DOCKER_TLS_VERIFY` with a Unix socket is ignored with a
//!   warning (a local socket has no certificate to verify; the CLI would try TLS over it and fail);
//!   a `--tls-certs` for a Unix socket engine is an error.
//!
//! Files are read bounded: `config.json` and a context's `meta.json` up to
//! [`MAX_CONFIG_BYTES`], and only regular files (a FIFO would block). They are read as the CLI reads
//! them (Go's encoding/json; see [`ContextMeta::read`]): a key in any case, the last one given, `null`
//! as nothing, a context the CLI cannot read refused. The PEM files are only looked
//! for here; [`crate::tls::TlsClient::load`] reads them, bounded too. `config.json` that cannot be
//! read is a warning, as for the CLI, which then goes on without it; a context that cannot be read
//! is an error.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

/// The largest `config.json` or context `meta.json` read.
pub const MAX_CONFIG_BYTES: u64 = 1 << 20;

/// The docker CLI's default engine.
pub const DEFAULT_SOCKET: &str = "/var/run/docker.sock";

/// Where the Docker Engine API listens.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// `unix:///var/run/docker.sock`
    Unix(PathBuf),
    /// `host:port` (a name, an IPv4 address, or `[IPv6]`), over plain TCP or TLS as the engine's
    /// [`EngineSpec::tls`] says.
    Tcp(String),
}

/// Why a URL is not an engine's address.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    #[error("{given:?}: {scheme}:// engines are not supported (statscope reaches unix:// and tcp:// engines)")]
    Scheme { given: String, scheme: String },
    #[error("{given:?}: the socket path must be absolute (unix:///path/docker.sock)")]
    RelativeSocket { given: String },
    #[error("{given:?}: {what} after the address is not supported (expected tcp://host:port)")]
    Extra { given: String, what: &'static str },
    #[error("{given:?}: the port must be a number from 1 to 65535")]
    Port { given: String },
    #[error("{given:?}: no host (expected tcp://host:port)")]
    Host { given: String },
}

impl Endpoint {
    /// Parses a `--docker` URL or `DOCKER_HOST` as the docker CLI's `ParseHost` does (see the
    /// module docs): `unix:///path`, `tcp://host[:port]`, `host:port`, and `http://host[:port]`.
    pub fn parse(url: &str) -> Result<Endpoint, EndpointError> {
        Endpoint::parse_host(url, false)
    }

    /// [`Endpoint::parse`], with the CLI's default when `url` is empty: the default socket, or
    /// `tcp://localhost:2376` when TLS is on.
    fn parse_host(url: &str, tls_default: bool) -> Result<Endpoint, EndpointError> {
        let given = url;
        let url = url.trim();
        if url.is_empty() {
            return Ok(Endpoint::default_for(tls_default));
        }
        let (scheme, rest) = match url.split_once("://") {
            Some((scheme, rest)) => (scheme, rest),
            None => ("tcp", url),
        };
        match scheme {
            "unix" => Endpoint::unix(given, rest),
            "tcp" | "http" => Ok(Endpoint::Tcp(tcp_addr(given, rest, Some(2375))?)),
            other => Err(EndpointError::Scheme {
                given: given.to_string(),
                scheme: other.to_string(),
            }),
        }
    }

    /// A context's stored `Host`, used as stored: a missing port is HTTP's default (80, or 443
    /// over TLS), as the CLI's HTTP client connects.
    fn parse_context_host(host: &str, tls: bool) -> Result<Endpoint, EndpointError> {
        let (scheme, rest) = host.split_once("://").unwrap_or(("", host));
        match scheme {
            "unix" => Endpoint::unix(host, rest),
            "tcp" => {
                let port = if tls { 443 } else { 80 };
                Ok(Endpoint::Tcp(tcp_addr(host, rest, Some(port))?))
            }
            "" => Err(EndpointError::Host {
                given: host.to_string(),
            }),
            other => Err(EndpointError::Scheme {
                given: host.to_string(),
                scheme: other.to_string(),
            }),
        }
    }

    fn unix(given: &str, path: &str) -> Result<Endpoint, EndpointError> {
        if path.is_empty() {
            Ok(Endpoint::Unix(PathBuf::from(DEFAULT_SOCKET)))
        } else if path.starts_with('/') {
            Ok(Endpoint::Unix(PathBuf::from(path)))
        } else {
            Err(EndpointError::RelativeSocket {
                given: given.to_string(),
            })
        }
    }

    /// The CLI's default engine: the standard socket, or `tcp://localhost:2376` when TLS is on.
    fn default_for(tls: bool) -> Endpoint {
        if tls {
            Endpoint::Tcp("localhost:2376".into())
        } else {
            Endpoint::Unix(PathBuf::from(DEFAULT_SOCKET))
        }
    }

    /// The address Docker clients use by default: `$DOCKER_HOST`, else the standard socket.
    /// Superseded by [`resolve`] (contexts, TLS); kept until the bridge calls that.
    pub fn default_from_env() -> Endpoint {
        std::env::var("DOCKER_HOST")
            .ok()
            .and_then(|url| Endpoint::parse(&url).ok())
            .unwrap_or_else(|| Endpoint::Unix(PathBuf::from(DEFAULT_SOCKET)))
    }

    /// A TCP endpoint's host, without the brackets of an IPv6 address (the TLS server name).
    pub fn tcp_host(&self) -> Option<&str> {
        match self {
            Endpoint::Unix(_) => None,
            Endpoint::Tcp(addr) => Some(split_host_port(addr).0),
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Endpoint::Unix(path) => write!(f, "unix://{}", path.display()),
            Endpoint::Tcp(addr) => write!(f, "tcp://{addr}"),
        }
    }
}

/// `host:port` of `rest` (what follows `tcp://`), read as the CLI reads it, with its defaults: no
/// host is `localhost`, no port (or an empty one, `h:`) is `default_port`; a host with more than
/// one `:` and no brackets is an IPv6 address (`::1` is `[::1]:2375`, as for the CLI).
fn tcp_addr(given: &str, rest: &str, default_port: Option<u16>) -> Result<String, EndpointError> {
    let extra = |what| EndpointError::Extra {
        given: given.to_string(),
        what,
    };
    let bad_host = || EndpointError::Host {
        given: given.to_string(),
    };
    // What would change the address (the CLI drops these) first, then a path (a single trailing
    // slash is harmless: the CLI keeps it, its HTTP client ignores it).
    if rest.contains('?') {
        return Err(extra("a query"));
    }
    if rest.contains('#') {
        return Err(extra("a fragment"));
    }
    if rest.contains('@') {
        return Err(extra("a user"));
    }
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.contains('/') {
        return Err(extra("a path"));
    }
    let (host, port) = match rest.strip_prefix('[') {
        Some(inner) => {
            let (host, after) = inner.split_once(']').ok_or_else(bad_host)?;
            match after {
                "" => (host, None),
                _ => (host, Some(after.strip_prefix(':').ok_or_else(bad_host)?)),
            }
        }
        None => match rest.rsplit_once(':') {
            // Go's URL parser wants digits after the last `:` whatever comes before it.
            Some((_, port)) if !port.bytes().all(|b| b.is_ascii_digit()) => {
                return Err(EndpointError::Port {
                    given: given.to_string(),
                })
            }
            Some((host, _)) if host.contains(':') => (rest, None),
            Some((host, port)) => (host, Some(port)),
            None => (rest, None),
        },
    };
    // `%` escapes: the CLI refuses them in a host but for `%25` in an IPv6 zone, which it
    // unescapes; statscope refuses all of them.
    if host.contains(|c: char| c.is_whitespace() || matches!(c, '[' | ']' | '%')) {
        return Err(bad_host());
    }
    let host = if host.is_empty() { "localhost" } else { host };
    let port = match port.filter(|p| !p.is_empty()) {
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 && p.bytes().all(|b| b.is_ascii_digit()) => n,
            _ => {
                return Err(EndpointError::Port {
                    given: given.to_string(),
                })
            }
        },
        None => default_port.ok_or_else(|| EndpointError::Port {
            given: given.to_string(),
        })?,
    };
    Ok(if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    })
}

/// `host` and `port` of an address as [`tcp_addr`] writes it (`host:port`, `[v6]:port`; brackets
/// removed).
fn split_host_port(addr: &str) -> (&str, Option<&str>) {
    if let Some(inner) = addr.strip_prefix('[') {
        return match inner.split_once(']') {
            Some((host, rest)) => (host, rest.strip_prefix(':')),
            None => (inner, None),
        };
    }
    match addr.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (addr, None),
    }
}

/// An engine's TLS material: the CA its certificate must be signed by, and the client certificate
/// statscope presents, if any. Paths only; [`crate::tls::TlsClient::load`] reads them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsFiles {
    /// `ca.pem`: the engine's certificate is verified against it, always.
    pub ca: PathBuf,
    /// `cert.pem` and `key.pem`.
    pub client: Option<ClientCertFiles>,
}

/// A client certificate and its private key (PEM).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientCertFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl TlsFiles {
    /// `ca.pem`, `cert.pem`, `key.pem` in `dir` (as in `DOCKER_CERT_PATH` and a context's TLS
    /// folder): `ca.pem` must be there, the other two both or neither.
    pub fn in_dir(dir: &Path) -> Result<TlsFiles, TlsFolderError> {
        let ca = dir.join("ca.pem");
        let cert = dir.join("cert.pem");
        let key = dir.join("key.pem");
        let client = match (cert.is_file(), key.is_file()) {
            (true, true) => Some(ClientCertFiles { cert, key }),
            (false, false) => None,
            (true, false) => return Err(TlsFolderError::CertWithoutKey(dir.to_path_buf())),
            (false, true) => return Err(TlsFolderError::KeyWithoutCert(dir.to_path_buf())),
        };
        if !ca.is_file() {
            let has_client = client.is_some();
            return Err(TlsFolderError::NoCa {
                dir: dir.to_path_buf(),
                has_client,
            });
        }
        Ok(TlsFiles { ca, client })
    }
}

/// What is wrong with a TLS folder.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TlsFolderError {
    #[error("{} has no ca.pem{}: statscope verifies the engine's certificate against the CA given, always", .dir.display(), if *.has_client { " (only cert.pem and key.pem)" } else { "" })]
    NoCa { dir: PathBuf, has_client: bool },
    #[error("{} has cert.pem but no key.pem (the client certificate needs both)", .0.display())]
    CertWithoutKey(PathBuf),
    #[error("{} has key.pem but no cert.pem (the client certificate needs both)", .0.display())]
    KeyWithoutCert(PathBuf),
}

/// How an engine was named: what the user gave, for messages and for telling engines apart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// `--docker [NAME=]URL`: the URL as given.
    DockerFlag(String),
    /// `--context NAME`.
    ContextFlag(String),
    /// `DOCKER_HOST`, as set.
    DockerHostEnv(String),
    /// `DOCKER_CONTEXT=NAME`.
    DockerContextEnv(String),
    /// `currentContext` in this `config.json`.
    CurrentContext { name: String, config: PathBuf },
    /// Nothing configured: the docker CLI's default engine.
    Default,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::DockerFlag(url) => write!(f, "--docker {url}"),
            Origin::ContextFlag(name) => write!(f, "--context {name}"),
            Origin::DockerHostEnv(url) => write!(f, "DOCKER_HOST={url}"),
            Origin::DockerContextEnv(name) => write!(f, "DOCKER_CONTEXT={name}"),
            Origin::CurrentContext { name, config } => {
                write!(f, "currentContext {name:?} in {}", config.display())
            }
            Origin::Default => f.write_str("the docker CLI's default"),
        }
    }
}

/// One engine to reach: where, how, and how the user named it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EngineSpec {
    /// `NAME=` of `--docker NAME=URL`, as given (trimmed); `None` otherwise.
    pub name: Option<String>,
    pub endpoint: Endpoint,
    /// `Some`: TLS, verified against [`TlsFiles::ca`]. Only for [`Endpoint::Tcp`].
    pub tls: Option<TlsFiles>,
    pub origin: Origin,
}

impl fmt::Display for EngineSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.endpoint)?;
        if self.tls.is_some() {
            f.write_str(" (TLS)")?;
        }
        write!(f, " from {}", self.origin)
    }
}

/// Which engines, per the rules (see the module docs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Engines {
    /// Engines the user named: by flags (`--docker` ones first, each in order), or one from
    /// `DOCKER_HOST`, `DOCKER_CONTEXT` or `currentContext`. Each is to be reached, and retried.
    Named(Vec<EngineSpec>),
    /// Nothing configured: the docker CLI's default engine. Probe it; fall back if it is absent.
    Default(EngineSpec),
}

/// The outcome of [`resolve`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved {
    pub engines: Engines,
    /// What the user should know but does not stop the bridge (log each once): `config.json`
    /// unreadable, `DOCKER_HOST` overriding a context, TLS settings that do not apply.
    pub warnings: Vec<String>,
}

/// Why the engines cannot be resolved. Each says what was given and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    #[error("{origin}: {error}")]
    Endpoint {
        origin: Origin,
        error: EndpointError,
    },
    #[error("--docker {given:?}: {why}")]
    Name { given: String, why: &'static str },
    #[error("two engines are named {0:?} (--docker NAME=URL: each NAME once)")]
    DuplicateName(String),
    /// The endpoint and the two origins, as text.
    #[error("{endpoint} is given twice ({first}; {second})")]
    DuplicateEndpoint {
        endpoint: String,
        first: String,
        second: String,
    },
    #[error("--context: the context name is empty")]
    EmptyContext,
    #[error("{origin}: context {name:?} does not exist (no {})", .meta.display())]
    NoSuchContext {
        origin: Origin,
        name: String,
        meta: PathBuf,
    },
    #[error("{origin}: cannot use {}: {why}", .path.display())]
    ContextFile {
        origin: Origin,
        path: PathBuf,
        why: String,
    },
    #[error("{origin}: context {name:?} has no docker endpoint")]
    NoDockerEndpoint { origin: Origin, name: String },
    #[error("{origin}: context {name:?} skips TLS verification (it was made with skip-tls-verify=true); statscope never connects to an engine it cannot verify: make the context again with ca=… (the CA that signed the engine's certificate)")]
    SkipTlsVerify { origin: Origin, name: String },
    #[error("{origin}: DOCKER_TLS is set without DOCKER_TLS_VERIFY, which means TLS without verifying the engine; statscope always verifies: set DOCKER_TLS_VERIFY=1 with ca.pem (and cert.pem, key.pem) in DOCKER_CERT_PATH")]
    TlsWithoutVerify { origin: Origin },
    #[error("{origin}: {error}")]
    TlsFolder {
        origin: Origin,
        error: TlsFolderError,
    },
    #[error("{origin}: TLS over a Unix socket is not supported (TLS is for tcp:// engines)")]
    TlsOnUnix { origin: Origin },
    #[error("{origin}: http:// is plain HTTP, but {why} asks for TLS (use tcp://)")]
    TlsOnHttp { origin: Origin, why: String },
    #[error("--tls-certs {given:?}: {why}")]
    TlsCerts { given: String, why: String },
}

/// The environment as the docker CLI reads it: a variable that is set and not empty.
fn var(env: &impl Fn(&str) -> Option<String>, name: &str) -> Option<String> {
    env(name).filter(|v| !v.is_empty())
}

/// The docker CLI's configuration folder: `$DOCKER_CONFIG`, else `~/.docker`.
pub fn config_dir(env: &impl Fn(&str) -> Option<String>, home: &Path) -> PathBuf {
    var(env, "DOCKER_CONFIG").map_or_else(|| home.join(".docker"), PathBuf::from)
}

/// The folder of a context's files: the SHA-256 of its name, in lowercase hex.
pub fn context_digest(name: &str) -> String {
    Sha256::digest(name.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Resolves the engines to reach (see the module docs for the rules). `docker`: the `--docker
/// [NAME=]URL` flags; `contexts`: the `--context NAME` flags; `certs`: the `--tls-certs [NAME=]DIR`
/// flags; `env`: the environment; `home`: the user's home folder (for `~/.docker`).
pub fn resolve(
    docker: &[String],
    contexts: &[String],
    certs: &[String],
    env: &impl Fn(&str) -> Option<String>,
    home: &Path,
) -> Result<Resolved, ResolveError> {
    let r = Resolver {
        env,
        config: config_dir(env, home),
    };
    let mut warnings = Vec::new();
    if docker.is_empty() && contexts.is_empty() {
        if let Some(given) = certs.first() {
            return Err(ResolveError::TlsCerts {
                given: given.clone(),
                why: "there is no --docker engine for it (a context has its own TLS files)".into(),
            });
        }
        let engines = r.environment(&mut warnings)?;
        return Ok(Resolved { engines, warnings });
    }
    let certs = CertFlags::parse(certs)?;
    let mut engines = Vec::new();
    let mut used_bare = false;
    let mut used_named = Vec::new();
    for given in docker {
        let (name, url) = split_name(given)?;
        let origin = Origin::DockerFlag(url.to_string());
        let endpoint = Endpoint::parse(url).map_err(|error| ResolveError::Endpoint {
            origin: origin.clone(),
            error,
        })?;
        let plain_http = url.trim().starts_with("http://");
        let named_dir = name.as_deref().and_then(|n| certs.named_dir(n));
        let refuse = |given: &String, why: String| ResolveError::TlsCerts {
            given: given.clone(),
            why,
        };
        let tls = if matches!(endpoint, Endpoint::Unix(_)) {
            if let Some((given, _)) = named_dir {
                return Err(refuse(
                    given,
                    format!("engine {url:?} is a Unix socket; TLS is for tcp:// engines"),
                ));
            }
            r.warn_tls_not_applied(&origin, "the engine is a Unix socket", &mut warnings);
            None
        } else if plain_http {
            if let Some((given, _)) = named_dir {
                return Err(refuse(
                    given,
                    format!("engine {url:?} is plain http://; use tcp:// for TLS"),
                ));
            }
            // A bare folder applies to tcp:// engines only.
            r.warn_tls_not_applied(&origin, "http:// is plain HTTP", &mut warnings);
            None
        } else if let Some((_, dir)) = named_dir {
            used_named.push(name.clone().unwrap_or_default());
            Some(tls_folder(&origin, dir)?)
        } else if let Some((_, dir)) = &certs.bare {
            used_bare = true;
            Some(tls_folder(&origin, dir)?)
        } else {
            r.env_tls(&origin)?
        };
        engines.push(EngineSpec {
            name,
            endpoint,
            tls,
            origin,
        });
    }
    if let Some((given, _)) = &certs.bare {
        if !used_bare {
            return Err(ResolveError::TlsCerts {
                given: given.clone(),
                why: "it applies to no engine (no tcp:// --docker engine without its own --tls-certs NAME=DIR)".into(),
            });
        }
    }
    for (name, given, _) in &certs.named {
        if !used_named.contains(name) {
            return Err(ResolveError::TlsCerts {
                given: given.clone(),
                why: format!("no --docker {name}=URL names that engine"),
            });
        }
    }
    for name in contexts {
        let origin = Origin::ContextFlag(name.clone());
        if name.trim().is_empty() {
            return Err(ResolveError::EmptyContext);
        }
        engines.push(r.context(name, origin, &mut warnings)?);
    }
    check_unique(&engines)?;
    Ok(Resolved {
        engines: Engines::Named(engines),
        warnings,
    })
}

/// `NAME=URL` or `URL`: a name is what precedes the first `=` when that holds no `://` and no `/`.
fn split_name(given: &str) -> Result<(Option<String>, &str), ResolveError> {
    let Some((name, url)) = given.split_once('=') else {
        return Ok((None, given));
    };
    if name.contains("://") || name.contains('/') {
        return Ok((None, given));
    }
    let name = name.trim();
    let why = if name.is_empty() {
        Some("the NAME before = is empty")
    } else if name.chars().any(char::is_control) {
        Some("the NAME has control characters")
    } else if name.len() > 128 {
        Some("the NAME is longer than 128 bytes")
    } else {
        None
    };
    match why {
        Some(why) => Err(ResolveError::Name {
            given: given.to_string(),
            why,
        }),
        None => Ok((Some(name.to_string()), url)),
    }
}

/// No two engines with one name, or one endpoint.
fn check_unique(engines: &[EngineSpec]) -> Result<(), ResolveError> {
    for (i, e) in engines.iter().enumerate() {
        for earlier in &engines[..i] {
            if e.name.is_some() && e.name == earlier.name {
                return Err(ResolveError::DuplicateName(
                    e.name.clone().unwrap_or_default(),
                ));
            }
            if e.endpoint == earlier.endpoint {
                return Err(ResolveError::DuplicateEndpoint {
                    endpoint: e.endpoint.to_string(),
                    first: earlier.origin.to_string(),
                    second: e.origin.to_string(),
                });
            }
        }
    }
    Ok(())
}

fn tls_folder(origin: &Origin, dir: &Path) -> Result<TlsFiles, ResolveError> {
    TlsFiles::in_dir(dir).map_err(|error| ResolveError::TlsFolder {
        origin: origin.clone(),
        error,
    })
}

/// The `--tls-certs` flags: one bare folder at most, and one folder per engine name.
struct CertFlags {
    /// (as given, folder)
    bare: Option<(String, PathBuf)>,
    /// (engine name, as given, folder)
    named: Vec<(String, String, PathBuf)>,
}

impl CertFlags {
    /// `[NAME=]DIR`: a name is what precedes the first `=` when that holds no `/` (write
    /// `./a=b` for a folder named `a=b`).
    fn parse(certs: &[String]) -> Result<CertFlags, ResolveError> {
        let mut flags = CertFlags {
            bare: None,
            named: Vec::new(),
        };
        for given in certs {
            let bad = |why: &str| ResolveError::TlsCerts {
                given: given.clone(),
                why: why.to_string(),
            };
            match given.split_once('=').filter(|(name, _)| !name.contains('/')) {
                Some((name, dir)) => {
                    let name = name.trim();
                    if name.is_empty() {
                        return Err(bad("the NAME before = is empty"));
                    }
                    if dir.is_empty() {
                        return Err(bad("the folder after = is empty"));
                    }
                    if flags.named.iter().any(|(n, _, _)| n == name) {
                        return Err(bad("a second folder for the same engine"));
                    }
                    flags
                        .named
                        .push((name.to_string(), given.clone(), PathBuf::from(dir)));
                }
                None if given.is_empty() => return Err(bad("the folder is empty")),
                None if flags.bare.is_some() => {
                    return Err(bad(
                        "a second folder without NAME= (name the engine each is for: --tls-certs NAME=DIR)",
                    ))
                }
                None => flags.bare = Some((given.clone(), PathBuf::from(given))),
            }
        }
        Ok(flags)
    }

    fn named_dir(&self, name: &str) -> Option<(&String, &PathBuf)> {
        self.named
            .iter()
            .find(|(n, _, _)| n == name)
            .map(|(_, given, dir)| (given, dir))
    }
}

// `meta.json` and `config.json` are read as the docker CLI reads them, with Go's encoding/json
// (the fuzz target `endpoint` checks this against the CLI itself: `tests/fixtures/docker-cli/`): a
// key names a struct field whatever its case (by Unicode simple folding: `ſ` is `s`, the Kelvin
// sign is `k`), the last one given counts, `null` leaves a field as it was, a value of another
// type is an error, and what the CLI checks of the parts statscope does not use, statscope checks
// too (a context the CLI cannot read is not one statscope uses). Stricter than the CLI only where
// Go repairs the text: bytes that are not UTF-8, a lone surrogate escape, nesting deeper than 128
// are refused, saying so.

/// Does a JSON key name the struct field `field` (ASCII), as Go's encoding/json matches them?
fn go_field(key: &str, field: &str) -> bool {
    let fold = |c: char| match c {
        '\u{17f}' => 'S',
        '\u{212a}' => 'K',
        c => c.to_ascii_uppercase(),
    };
    key.chars().map(fold).eq(field.chars().map(fold))
}

/// A JSON object's entries in document order, every key as often as given (values as JSON text).
struct Entries(Vec<(String, Box<RawValue>)>);

impl<'de> Deserialize<'de> for Entries {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Entries, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Entries;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Entries, A::Error> {
                let mut out = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    out.push((key, map.next_value()?));
                }
                Ok(Entries(out))
            }
        }
        d.deserialize_map(Visit)
    }
}

/// An object, or `null` (`None`), as Go reads one into a struct or a map.
fn go_object(raw: &RawValue, what: &str) -> Result<Option<Entries>, String> {
    serde_json::from_str(raw.get()).map_err(|e| format!("{what}: {e}"))
}

/// A Go `string` field: `null` leaves it as it was.
fn go_string(slot: &mut String, raw: &RawValue, what: &str) -> Result<(), String> {
    if let Some(v) =
        serde_json::from_str::<Option<String>>(raw.get()).map_err(|e| format!("{what}: {e}"))?
    {
        *slot = v;
    }
    Ok(())
}

/// A Go `map[string]any` (`null`, or an object whose numbers fit a float64): what the CLI reads
/// of a context's `Metadata` and of endpoints other than `docker`.
fn go_map(
    raw: &RawValue,
    what: &str,
) -> Result<Option<serde_json::Map<String, serde_json::Value>>, String> {
    serde_json::from_str(raw.get()).map_err(|e| format!("{what}: {e}"))
}

/// What statscope reads of a context's `meta.json`, as the CLI's context store reads it.
#[derive(Debug, Default, PartialEq, Eq)]
struct ContextMeta {
    name: String,
    /// `Endpoints.docker`, when it is there and not `null`.
    docker: Option<DockerEndpointMeta>,
}

#[derive(Debug, Default, PartialEq, Eq)]
struct DockerEndpointMeta {
    host: String,
    skip_tls_verify: bool,
}

impl ContextMeta {
    fn read(bytes: &[u8]) -> Result<ContextMeta, String> {
        let top: Option<Entries> = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        let mut meta = ContextMeta::default();
        let mut metadata = None;
        // `Endpoints` is a map: an object adds to it, `null` empties it.
        let mut endpoints: Option<std::collections::BTreeMap<String, Box<RawValue>>> = None;
        for (key, raw) in top.map(|e| e.0).unwrap_or_default() {
            if go_field(&key, "Name") {
                go_string(&mut meta.name, &raw, "Name")?;
            } else if go_field(&key, "Metadata") {
                metadata = Some(raw);
            } else if go_field(&key, "Endpoints") {
                match go_object(&raw, "Endpoints")? {
                    None => endpoints = None,
                    Some(Entries(entries)) => endpoints.get_or_insert_default().extend(entries),
                }
            }
        }
        if let Some(m) = metadata
            .map(|raw| go_map(&raw, "Metadata"))
            .transpose()?
            .flatten()
        {
            if m.get("Description").is_some_and(|d| !d.is_string()) {
                return Err(
                    "Metadata: Description is not a string (the docker CLI cannot read it either)"
                        .into(),
                );
            }
        }
        for (name, raw) in endpoints.unwrap_or_default() {
            if name != "docker" {
                go_map(&raw, &format!("Endpoints.{name}"))?;
                continue;
            }
            let Some(Entries(fields)) = go_object(&raw, "Endpoints.docker")? else {
                continue;
            };
            let mut docker = DockerEndpointMeta::default();
            for (key, raw) in fields {
                if go_field(&key, "Host") {
                    go_string(&mut docker.host, &raw, "Endpoints.docker.Host")?;
                } else if go_field(&key, "SkipTLSVerify") {
                    if let Some(v) = serde_json::from_str::<Option<bool>>(raw.get())
                        .map_err(|e| format!("Endpoints.docker.SkipTLSVerify: {e}"))?
                    {
                        docker.skip_tls_verify = v;
                    }
                }
            }
            meta.docker = Some(docker);
        }
        Ok(meta)
    }
}

/// `currentContext` of `config.json`, as the CLI reads the file (`json.Decoder`: its first JSON
/// value, whatever follows; nothing at all is no context).
fn current_context_of(bytes: &[u8]) -> Result<Option<String>, String> {
    let mut values = serde_json::Deserializer::from_slice(bytes).into_iter::<Option<Entries>>();
    let Some(first) = values.next() else {
        return Ok(None);
    };
    let mut current = String::new();
    for (key, raw) in first
        .map_err(|e| e.to_string())?
        .map(|e| e.0)
        .unwrap_or_default()
    {
        if go_field(&key, "currentContext") {
            go_string(&mut current, &raw, "currentContext")?;
        }
    }
    Ok(Some(current).filter(|c| !c.is_empty()))
}

struct Resolver<'a, E: Fn(&str) -> Option<String>> {
    env: &'a E,
    /// `$DOCKER_CONFIG` or `~/.docker`.
    config: PathBuf,
}

impl<E: Fn(&str) -> Option<String>> Resolver<'_, E> {
    fn var(&self, name: &str) -> Option<String> {
        var(self.env, name)
    }

    fn tls_verify(&self) -> bool {
        self.var("DOCKER_TLS_VERIFY").is_some()
    }

    /// TLS asked for at all: `DOCKER_TLS_VERIFY`, or `DOCKER_TLS` (TLS without verification,
    /// which [`Resolver::env_tls`] refuses).
    fn tls_asked(&self) -> bool {
        self.tls_verify() || self.var("DOCKER_TLS").is_some()
    }

    /// The environment's TLS, as the CLI applies it to `-H`/`DOCKER_HOST`/the default context:
    /// `DOCKER_TLS_VERIFY` → the files in `DOCKER_CERT_PATH` (default `~/.docker`).
    fn env_tls(&self, origin: &Origin) -> Result<Option<TlsFiles>, ResolveError> {
        if self.tls_verify() {
            let dir = self
                .var("DOCKER_CERT_PATH")
                .map_or_else(|| self.config.clone(), PathBuf::from);
            return tls_folder(origin, &dir).map(Some);
        }
        if self.var("DOCKER_TLS").is_some() {
            return Err(ResolveError::TlsWithoutVerify {
                origin: origin.clone(),
            });
        }
        Ok(None)
    }

    /// The environment asks for TLS where it does not apply: said, not refused.
    fn warn_tls_not_applied(&self, origin: &Origin, why: &str, warnings: &mut Vec<String>) {
        if self.tls_asked() {
            warnings.push(format!(
                "{origin}: DOCKER_TLS_VERIFY or DOCKER_TLS is set, but {why}: TLS does not apply to it"
            ));
        }
    }

    /// The default context: `DOCKER_HOST`, else the CLI's default engine, with the
    /// environment's TLS.
    fn default_context(
        &self,
        origin: Origin,
        warnings: &mut Vec<String>,
    ) -> Result<EngineSpec, ResolveError> {
        let host = self.var("DOCKER_HOST");
        let endpoint = Endpoint::parse_host(host.as_deref().unwrap_or(""), self.tls_asked())
            .map_err(|error| ResolveError::Endpoint {
                origin: origin.clone(),
                error,
            })?;
        let plain_http = host
            .as_deref()
            .is_some_and(|h| h.trim().starts_with("http://"));
        let tls = match &endpoint {
            Endpoint::Unix(_) => {
                self.warn_tls_not_applied(&origin, "the engine is a Unix socket", warnings);
                None
            }
            Endpoint::Tcp(_) if plain_http => {
                if self.tls_asked() {
                    return Err(ResolveError::TlsOnHttp {
                        origin,
                        why: "DOCKER_TLS_VERIFY or DOCKER_TLS".into(),
                    });
                }
                None
            }
            Endpoint::Tcp(_) => self.env_tls(&origin)?,
        };
        Ok(EngineSpec {
            name: None,
            endpoint,
            tls,
            origin,
        })
    }

    /// Without `--docker`/`--context`: `DOCKER_HOST`, `DOCKER_CONTEXT`, `currentContext`, the
    /// default.
    fn environment(&self, warnings: &mut Vec<String>) -> Result<Engines, ResolveError> {
        if let Some(host) = self.var("DOCKER_HOST") {
            let (context, config_file) = match self.var("DOCKER_CONTEXT") {
                Some(name) => (Some(format!("DOCKER_CONTEXT={name}")), Some(name)),
                None => match self.current_context(warnings) {
                    Some(name) => (Some(format!("currentContext {name:?}")), Some(name)),
                    None => (None, None),
                },
            };
            if let (Some(what), Some(name)) = (context, config_file) {
                if name != "default" {
                    warnings.push(format!(
                        "DOCKER_HOST overrides {what}, as for the docker CLI (unset DOCKER_HOST to use the context)"
                    ));
                }
            }
            let spec = self.default_context(Origin::DockerHostEnv(host), warnings)?;
            return Ok(Engines::Named(vec![spec]));
        }
        let (name, origin) = if let Some(name) = self.var("DOCKER_CONTEXT") {
            (name.clone(), Origin::DockerContextEnv(name))
        } else if let Some(name) = self.current_context(warnings) {
            let config = self.config.join("config.json");
            (name.clone(), Origin::CurrentContext { name, config })
        } else {
            let spec = self.default_context(Origin::Default, warnings)?;
            return Ok(Engines::Default(spec));
        };
        if name == "default" {
            let spec = self.default_context(origin, warnings)?;
            return Ok(Engines::Default(spec));
        }
        Ok(Engines::Named(vec![self.context(&name, origin, warnings)?]))
    }

    /// `currentContext` of `config.json`, if set; a file that cannot be read is a warning (the
    /// CLI warns and goes on without it).
    fn current_context(&self, warnings: &mut Vec<String>) -> Option<String> {
        let path = self.config.join("config.json");
        if !path.exists() {
            return None;
        }
        let text = match read_bounded(&path, MAX_CONFIG_BYTES) {
            Ok(text) => text,
            Err(why) => {
                warnings.push(format!(
                    "cannot read {}: {why}; going on without it",
                    path.display()
                ));
                return None;
            }
        };
        match current_context_of(&text) {
            Ok(current) => current,
            Err(e) => {
                warnings.push(format!(
                    "cannot read {}: {e}; going on without it",
                    path.display()
                ));
                None
            }
        }
    }

    /// A named context: `default`, or one stored in `~/.docker/contexts`.
    fn context(
        &self,
        name: &str,
        origin: Origin,
        warnings: &mut Vec<String>,
    ) -> Result<EngineSpec, ResolveError> {
        if name == "default" {
            return self.default_context(origin, warnings);
        }
        let digest = context_digest(name);
        let meta = self
            .config
            .join("contexts/meta")
            .join(&digest)
            .join("meta.json");
        if !meta.exists() {
            return Err(ResolveError::NoSuchContext {
                origin,
                name: name.to_string(),
                meta,
            });
        }
        let file_error = |why: String| ResolveError::ContextFile {
            origin: origin.clone(),
            path: meta.clone(),
            why,
        };
        let text = read_bounded(&meta, MAX_CONFIG_BYTES).map_err(file_error)?;
        let parsed = ContextMeta::read(&text).map_err(file_error)?;
        if parsed.name != name {
            return Err(file_error(format!(
                "it is the file of context {:?}, not {name:?}",
                parsed.name
            )));
        }
        let Some(docker) = parsed.docker else {
            return Err(ResolveError::NoDockerEndpoint {
                origin,
                name: name.to_string(),
            });
        };
        if docker.skip_tls_verify {
            return Err(ResolveError::SkipTlsVerify {
                origin,
                name: name.to_string(),
            });
        }
        let tls_dir = self
            .config
            .join("contexts/tls")
            .join(&digest)
            .join("docker");
        let has_tls = ["ca.pem", "cert.pem", "key.pem"]
            .iter()
            .any(|f| tls_dir.join(f).exists());
        let endpoint = if docker.host.is_empty() {
            // The CLI's client then uses its default socket.
            Endpoint::Unix(PathBuf::from(DEFAULT_SOCKET))
        } else {
            Endpoint::parse_context_host(&docker.host, has_tls).map_err(|error| {
                ResolveError::Endpoint {
                    origin: origin.clone(),
                    error,
                }
            })?
        };
        let tls = match (&endpoint, has_tls) {
            (_, false) => None,
            (Endpoint::Unix(_), true) => return Err(ResolveError::TlsOnUnix { origin }),
            (Endpoint::Tcp(_), true) => Some(tls_folder(&origin, &tls_dir)?),
        };
        Ok(EngineSpec {
            name: None,
            endpoint,
            tls,
            origin,
        })
    }
}

/// A regular file's bytes, at most `limit` (a longer file is refused, not cut).
pub(crate) fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    if meta.len() > limit {
        return Err(format!(
            "{} bytes, over the {limit}-byte limit for this file",
            meta.len()
        ));
    }
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > limit {
        return Err(format!("over the {limit}-byte limit for this file"));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn tcp(addr: &str) -> Endpoint {
        Endpoint::Tcp(addr.into())
    }

    fn unix(path: &str) -> Endpoint {
        Endpoint::Unix(path.into())
    }

    #[test]
    fn urls_parse_as_the_cli_parses_them() {
        for (given, want) in [
            ("unix:///var/run/docker.sock", unix("/var/run/docker.sock")),
            ("unix://", unix(DEFAULT_SOCKET)),
            ("", unix(DEFAULT_SOCKET)),
            ("   ", unix(DEFAULT_SOCKET)),
            ("tcp://127.0.0.1:2375", tcp("127.0.0.1:2375")),
            (" tcp://a:1 ", tcp("a:1")),
            ("tcp://example.com", tcp("example.com:2375")),
            ("tcp://:1234", tcp("localhost:1234")),
            ("tcp://", tcp("localhost:2375")),
            ("tcp://h:2375/", tcp("h:2375")),
            ("10.0.0.1:2375", tcp("10.0.0.1:2375")),
            ("http://h:80", tcp("h:80")),
            ("tcp://[::1]:99", tcp("[::1]:99")),
            ("tcp://[::1]", tcp("[::1]:2375")),
            // Found by fuzzing against the CLI (issue 19): what it makes of these.
            ("tcp://h:", tcp("h:2375")),
            ("[::1]:", tcp("[::1]:2375")),
            ("::1", tcp("[::1]:2375")),
            ("tcp://::1:2375", tcp("[::1:2375]:2375")),
            ("tcp://h:02375", tcp("h:2375")),
            ("tcp://[]:1", tcp("localhost:1")),
        ] {
            assert_eq!(Endpoint::parse(given), Ok(want), "{given:?}");
        }
        assert_eq!(Endpoint::parse_host("", true), Ok(tcp("localhost:2376")));
        assert_eq!(tcp("[::1]:99").tcp_host(), Some("::1"));
        assert_eq!(tcp("a.b:99").tcp_host(), Some("a.b"));
        assert_eq!(unix("/x").tcp_host(), None);
        assert_eq!(tcp("[::1]:99").to_string(), "tcp://[::1]:99");
    }

    #[test]
    fn urls_statscope_cannot_honour_are_refused_saying_why() {
        for (given, needle) in [
            ("ssh://user@host", "ssh:// engines are not supported"),
            ("npipe:////./pipe/docker_engine", "npipe://"),
            ("fd://", "fd://"),
            ("https://h:1", "https://"),
            ("TCP://h:1", "TCP://"),
            ("unix://relative/x", "must be absolute"),
            ("tcp://h:2375/path", "a path"),
            ("http://h/path", "a path"),
            ("tcp://h:1?x=1", "a query"),
            ("tcp://h:1#f", "a fragment"),
            ("tcp://user@h:1", "a user"),
            ("tcp://h:0", "1 to 65535"),
            ("tcp://h:99999", "1 to 65535"),
            ("tcp://h:b", "1 to 65535"),
            ("tcp://[::1", "no host"),
            ("tcp://h:+1", "1 to 65535"),
            ("tcp://h:1:+1", "1 to 65535"),
            ("tcp://%68:1", "no host"),
            ("tcp://[fe80::1%25eth0]:1", "no host"),
            ("tcp:[::1]:1", "no host"),
            ("tcp://[::1]x", "no host"),
            ("tcp://h:1/?", "a query"),
        ] {
            let err = Endpoint::parse(given).expect_err(given).to_string();
            assert!(err.contains(needle), "{given}: {err}");
            assert!(err.contains(given), "{given}: the error names it: {err}");
        }
    }

    #[test]
    fn a_context_host_is_used_as_stored() {
        assert_eq!(
            Endpoint::parse_context_host("tcp://10.0.0.7", false),
            Ok(tcp("10.0.0.7:80"))
        );
        assert_eq!(
            Endpoint::parse_context_host("tcp://10.0.0.7", true),
            Ok(tcp("10.0.0.7:443"))
        );
        assert_eq!(
            Endpoint::parse_context_host("unix:///run/d.sock", false),
            Ok(unix("/run/d.sock"))
        );
        assert!(Endpoint::parse_context_host("ssh://x", false).is_err());
        assert!(Endpoint::parse_context_host("10.0.0.7:1", false).is_err());
    }

    #[test]
    fn context_files_are_read_as_the_docker_cli_reads_them() {
        let read = |text: &str| ContextMeta::read(text.as_bytes());
        let docker = |host: &str, skip: bool| ContextMeta {
            name: "c".into(),
            docker: Some(DockerEndpointMeta {
                host: host.into(),
                skip_tls_verify: skip,
            }),
        };
        for (text, want) in [
            // Keys in any case, by Unicode simple folding (U+017F is s, U+212A is k).
            (
                r#"{"name":"c","endpoints":{"docker":{"host":"tcp://h:1"}}}"#,
                docker("tcp://h:1", false),
            ),
            (
                r#"{"Name":"c","Endpoints":{"docker":{"Hoſt":"tcp://h:1","ſkipTLSVerify":true}}}"#,
                docker("tcp://h:1", true),
            ),
            (
                r#"{"Name":"c","Endpoints":{"docker":{"Host":"x","SKIPTLSVERIFY":true}}}"#,
                docker("x", true),
            ),
            // The last one given counts; null changes nothing.
            (
                r#"{"Name":"c","Endpoints":{"docker":{"Host":"a","host":"b","Host":null}}}"#,
                docker("b", false),
            ),
            (
                r#"{"Name":null,"Name":"c","Endpoints":{"docker":{"Host":"a"},"docker":{"Host":"b"}}}"#,
                docker("b", false),
            ),
            // Endpoints: an object adds to the map, null empties it.
            (
                r#"{"Name":"c","Endpoints":{"docker":{"Host":"a"}},"Endpoints":{"x":{}}}"#,
                docker("a", false),
            ),
            (
                r#"{"Name":"c","Endpoints":{"docker":{"Host":"a"}},"Endpoints":null}"#,
                ContextMeta {
                    name: "c".into(),
                    docker: None,
                },
            ),
            (
                r#"{"Name":"c","Endpoints":{"docker":null}}"#,
                ContextMeta {
                    name: "c".into(),
                    docker: None,
                },
            ),
            (
                r#"{"Name":"c","Metadata":{"Description":"d","x":[1e300]},"Endpoints":{"Docker":{}}}"#,
                ContextMeta {
                    name: "c".into(),
                    docker: None,
                },
            ),
            ("null", ContextMeta::default()),
        ] {
            assert_eq!(read(text), Ok(want), "{text}");
        }
        // What the CLI cannot read either.
        for text in [
            r#"{"Name":"c","Endpoints":{"docker":[]}}"#,
            r#"{"Name":"c","Endpoints":{"docker":{"Host":5}}}"#,
            r#"{"Name":"c","Endpoints":{"docker":{"SkipTLSVerify":"true"}}}"#,
            r#"{"Name":"c","Endpoints":{"kubernetes":5}}"#,
            r#"{"Name":"c","Endpoints":{"x":{"y":1e999}}}"#,
            r#"{"Name":"c","Metadata":5}"#,
            r#"{"Name":"c","Metadata":{"Description":null}}"#,
            r#"{"Name":5}"#,
            "[]",
            r#"{"Name":"c"} x"#,
        ] {
            assert!(read(text).is_err(), "{text}");
        }
    }

    #[test]
    fn config_json_is_read_as_the_docker_cli_reads_it() {
        for (text, want) in [
            ("", Ok(None)),
            (" \n", Ok(None)),
            ("null", Ok(None)),
            ("{}", Ok(None)),
            (r#"{"currentContext":""}"#, Ok(None)),
            // The first JSON value; whatever follows is not read.
            (r#"{"currentContext":"a"} x"#, Ok(Some("a"))),
            (r#"{"CurrentContext":"a"}"#, Ok(Some("a"))),
            (
                r#"{"currentContext":"a","currentcontext":"b"}"#,
                Ok(Some("b")),
            ),
            (
                r#"{"currentContext":"a","currentContext":null}"#,
                Ok(Some("a")),
            ),
            (r#"{"auths":{},"currentContext":"a"}"#, Ok(Some("a"))),
            (r#"{"currentContext":5}"#, Err(())),
            (r#"{"currentContext":"a""#, Err(())),
            ("[]", Err(())),
        ] {
            let got = current_context_of(text.as_bytes());
            assert_eq!(
                got.as_ref().map(|c| c.as_deref()).map_err(|_| ()),
                want,
                "{text}: {got:?}"
            );
        }
    }

    #[test]
    fn the_context_digest_is_sha256_hex() {
        // `printf tls-remote | sha256sum`, and the folder the docker CLI made for it.
        assert_eq!(
            context_digest("tls-remote"),
            "6a1b19b1263598ff5f15f908e498dc9053c0d6a4f16fa2405ceb8fe6d93fa640"
        );
    }

    /// A temporary home with a `.docker` folder.
    struct Home(PathBuf);

    impl Home {
        fn new(what: &str) -> Home {
            use std::sync::atomic::{AtomicU64, Ordering};
            static N: AtomicU64 = AtomicU64::new(0);
            let dir = std::env::temp_dir().join(format!(
                "statscope-endpoint-{what}-{}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            ));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(dir.join(".docker")).expect("home");
            Home(dir)
        }

        fn docker(&self) -> PathBuf {
            self.0.join(".docker")
        }

        fn write(&self, rel: &str, text: &str) -> PathBuf {
            let path = self.0.join(rel);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("dirs");
            std::fs::write(&path, text).expect("write");
            path
        }

        /// A context as the docker CLI stores it (`tls`: which PEM files it has).
        fn context(&self, name: &str, host: &str, skip: bool, tls: &[&str]) {
            let d = context_digest(name);
            self.write(
                &format!(".docker/contexts/meta/{d}/meta.json"),
                &format!(
                    r#"{{"Name":{name:?},"Metadata":{{}},"Endpoints":{{"docker":{{"Host":{host:?},"SkipTLSVerify":{skip}}}}}}}"#
                ),
            );
            for f in tls {
                self.write(&format!(".docker/contexts/tls/{d}/docker/{f}"), "PEM");
            }
        }

        fn certs(&self, rel: &str, files: &[&str]) -> PathBuf {
            for f in files {
                self.write(&format!("{rel}/{f}"), "PEM");
            }
            self.0.join(rel)
        }
    }

    impl Drop for Home {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn run(
        home: &Home,
        docker: &[&str],
        contexts: &[&str],
        certs: &[&str],
        vars: &[(&str, &str)],
    ) -> Result<Resolved, ResolveError> {
        resolve(
            &strings(docker),
            &strings(contexts),
            &strings(certs),
            &env(vars),
            &home.0,
        )
    }

    fn named(r: Resolved) -> Vec<EngineSpec> {
        match r.engines {
            Engines::Named(v) => v,
            Engines::Default(d) => panic!("expected named engines, got the default {d}"),
        }
    }

    fn one(r: Resolved) -> EngineSpec {
        let v = named(r);
        assert_eq!(v.len(), 1, "{v:?}");
        v.into_iter().next().expect("one")
    }

    fn tls_in(dir: &Path, client: bool) -> Option<TlsFiles> {
        Some(TlsFiles {
            ca: dir.join("ca.pem"),
            client: client.then(|| ClientCertFiles {
                cert: dir.join("cert.pem"),
                key: dir.join("key.pem"),
            }),
        })
    }

    #[test]
    fn nothing_configured_is_the_default_socket() {
        let home = Home::new("nothing");
        let r = run(&home, &[], &[], &[], &[]).expect("resolves");
        assert!(r.warnings.is_empty());
        assert_eq!(
            r.engines,
            Engines::Default(EngineSpec {
                name: None,
                endpoint: unix(DEFAULT_SOCKET),
                tls: None,
                origin: Origin::Default,
            })
        );
        // Empty variables are unset, as for the CLI.
        let r = run(
            &home,
            &[],
            &[],
            &[],
            &[("DOCKER_HOST", ""), ("DOCKER_CONTEXT", "")],
        );
        assert!(matches!(r.expect("resolves").engines, Engines::Default(_)));
    }

    #[test]
    fn docker_tls_verify_alone_is_localhost_2376_over_tls() {
        let home = Home::new("tlsdefault");
        home.certs(".docker", &["ca.pem", "cert.pem", "key.pem"]);
        // Any non-empty value is on, "0" too.
        let r = run(&home, &[], &[], &[], &[("DOCKER_TLS_VERIFY", "0")]).expect("resolves");
        assert_eq!(
            r.engines,
            Engines::Default(EngineSpec {
                name: None,
                endpoint: tcp("localhost:2376"),
                tls: tls_in(&home.docker(), true),
                origin: Origin::Default,
            })
        );
    }

    #[test]
    fn docker_host_with_the_environments_tls() {
        let home = Home::new("host");
        let certs = home.certs("certs", &["ca.pem", "cert.pem", "key.pem"]);
        let certs_s = certs.display().to_string();
        let spec = one(run(
            &home,
            &[],
            &[],
            &[],
            &[
                ("DOCKER_HOST", "tcp://10.1.1.1"),
                ("DOCKER_TLS_VERIFY", "1"),
                ("DOCKER_CERT_PATH", &certs_s),
            ],
        )
        .expect("resolves"));
        // Port 2375 even over TLS, as the CLI.
        assert_eq!(spec.endpoint, tcp("10.1.1.1:2375"));
        assert_eq!(spec.tls, tls_in(&certs, true));
        assert_eq!(spec.origin, Origin::DockerHostEnv("tcp://10.1.1.1".into()));
        // Without DOCKER_TLS_VERIFY, DOCKER_CERT_PATH means nothing.
        let spec = one(run(
            &home,
            &[],
            &[],
            &[],
            &[
                ("DOCKER_HOST", "tcp://10.1.1.1:2375"),
                ("DOCKER_CERT_PATH", &certs_s),
            ],
        )
        .expect("resolves"));
        assert_eq!(spec.tls, None);
    }

    #[test]
    fn docker_cert_path_defaults_to_docker_config() {
        let home = Home::new("certdefault");
        let conf = home.certs("elsewhere", &["ca.pem"]);
        let conf_s = conf.display().to_string();
        let spec = one(run(
            &home,
            &[],
            &[],
            &[],
            &[
                ("DOCKER_HOST", "tcp://h:2376"),
                ("DOCKER_TLS_VERIFY", "yes"),
                ("DOCKER_CONFIG", &conf_s),
            ],
        )
        .expect("resolves"));
        // ca.pem alone: verified, no client certificate.
        assert_eq!(spec.tls, tls_in(&conf, false));
    }

    #[test]
    fn docker_host_overrides_the_contexts_and_says_so() {
        let home = Home::new("override");
        home.context("prod", "tcp://10.9.9.9:2375", false, &[]);
        home.write(".docker/config.json", r#"{"currentContext":"prod"}"#);
        let r = run(
            &home,
            &[],
            &[],
            &[],
            &[("DOCKER_HOST", "unix:///run/x.sock")],
        )
        .expect("resolves");
        assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
        assert!(r.warnings[0].contains("DOCKER_HOST overrides currentContext \"prod\""));
        assert_eq!(one(r).endpoint, unix("/run/x.sock"));
        let r = run(
            &home,
            &[],
            &[],
            &[],
            &[
                ("DOCKER_HOST", "unix:///run/x.sock"),
                ("DOCKER_CONTEXT", "prod"),
            ],
        )
        .expect("resolves");
        assert!(r.warnings[0].contains("DOCKER_CONTEXT=prod"));
        // The default context is no override.
        let r = run(
            &home,
            &[],
            &[],
            &[],
            &[
                ("DOCKER_HOST", "unix:///run/x.sock"),
                ("DOCKER_CONTEXT", "default"),
            ],
        )
        .expect("resolves");
        assert!(r.warnings.is_empty());
    }

    #[test]
    fn docker_context_beats_current_context() {
        let home = Home::new("ctxenv");
        home.context("a", "tcp://10.0.0.1:2375", false, &[]);
        home.context("b", "tcp://10.0.0.2:2375", false, &[]);
        home.write(
            ".docker/config.json",
            r#"{"auths":{},"currentContext":"a"}"#,
        );
        let spec = one(run(&home, &[], &[], &[], &[("DOCKER_CONTEXT", "b")]).expect("resolves"));
        assert_eq!(spec.endpoint, tcp("10.0.0.2:2375"));
        assert_eq!(spec.origin, Origin::DockerContextEnv("b".into()));
        let spec = one(run(&home, &[], &[], &[], &[]).expect("resolves"));
        assert_eq!(spec.endpoint, tcp("10.0.0.1:2375"));
        assert_eq!(
            spec.origin,
            Origin::CurrentContext {
                name: "a".into(),
                config: home.docker().join("config.json")
            }
        );
    }

    #[test]
    fn docker_config_moves_the_whole_folder() {
        let home = Home::new("dockerconfig");
        let elsewhere = home.0.join("conf");
        home.write("conf/config.json", r#"{"currentContext":"x"}"#);
        let d = context_digest("x");
        home.write(
            &format!("conf/contexts/meta/{d}/meta.json"),
            r#"{"Name":"x","Endpoints":{"docker":{"Host":"unix:///run/x.sock"}}}"#,
        );
        let conf = elsewhere.display().to_string();
        let spec = one(run(&home, &[], &[], &[], &[("DOCKER_CONFIG", &conf)]).expect("resolves"));
        assert_eq!(spec.endpoint, unix("/run/x.sock"));
        // ~/.docker is not read then.
        home.write(".docker/config.json", r#"{"currentContext":"nope"}"#);
        assert!(run(&home, &[], &[], &[], &[("DOCKER_CONFIG", &conf)]).is_ok());
    }

    #[test]
    fn the_default_context_named_anywhere_is_docker_host_or_the_socket() {
        let home = Home::new("defaultctx");
        home.write(".docker/config.json", r#"{"currentContext":"default"}"#);
        let r = run(&home, &[], &[], &[], &[]).expect("resolves");
        assert!(matches!(&r.engines, Engines::Default(s) if s.endpoint == unix(DEFAULT_SOCKET)));
        let r = run(&home, &[], &[], &[], &[("DOCKER_CONTEXT", "default")]).expect("resolves");
        assert!(matches!(&r.engines, Engines::Default(_)));
        // --context default: the default engine, named by the user.
        let spec = one(run(&home, &[], &["default"], &[], &[]).expect("resolves"));
        assert_eq!(spec.endpoint, unix(DEFAULT_SOCKET));
        assert_eq!(spec.origin, Origin::ContextFlag("default".into()));
        let spec = one(run(
            &home,
            &[],
            &["default"],
            &[],
            &[("DOCKER_HOST", "tcp://h:1")],
        )
        .expect("resolves"));
        assert_eq!(spec.endpoint, tcp("h:1"));
    }

    #[test]
    fn flags_beat_the_environment_and_keep_their_order() {
        let home = Home::new("flags");
        home.context("c1", "tcp://10.0.0.1:2375", false, &[]);
        home.context("c2", "unix:///run/c2.sock", false, &[]);
        home.write(".docker/config.json", r#"{"currentContext":"c1"}"#);
        let r = run(
            &home,
            &["web=unix:///run/a.sock", "tcp://10.0.0.5:2375"],
            &["c2", "c1"],
            &[],
            &[("DOCKER_HOST", "tcp://ignored:1"), ("DOCKER_CONTEXT", "c2")],
        )
        .expect("resolves");
        assert!(r.warnings.is_empty());
        let v = named(r);
        let got: Vec<_> = v
            .iter()
            .map(|e| (e.name.as_deref(), e.endpoint.to_string()))
            .collect();
        assert_eq!(
            got,
            [
                (Some("web"), "unix:///run/a.sock".to_string()),
                (None, "tcp://10.0.0.5:2375".to_string()),
                (None, "unix:///run/c2.sock".to_string()),
                (None, "tcp://10.0.0.1:2375".to_string()),
            ]
        );
        assert_eq!(v[0].origin, Origin::DockerFlag("unix:///run/a.sock".into()));
        assert_eq!(v[2].origin, Origin::ContextFlag("c2".into()));
    }

    #[test]
    fn names_are_what_precedes_the_first_equals_sign() {
        assert_eq!(
            split_name("web=tcp://h:1").expect("ok"),
            (Some("web".into()), "tcp://h:1")
        );
        assert_eq!(
            split_name(" web 1 =tcp://h:1").expect("ok"),
            (Some("web 1".into()), "tcp://h:1")
        );
        assert_eq!(split_name("tcp://h:1").expect("ok"), (None, "tcp://h:1"));
        assert_eq!(
            split_name("unix:///run/a=b.sock").expect("ok"),
            (None, "unix:///run/a=b.sock")
        );
        for (bad, needle) in [
            ("=tcp://h:1", "empty"),
            ("a\u{7}b=tcp://h:1", "control"),
            (&format!("{}=tcp://h:1", "n".repeat(129)), "128 bytes"),
        ] {
            let e = split_name(bad).expect_err(bad).to_string();
            assert!(e.contains(needle), "{bad}: {e}");
        }
    }

    #[test]
    fn the_same_name_or_endpoint_twice_is_refused() {
        let home = Home::new("dupes");
        let e = run(&home, &["a=tcp://h:1", "a=tcp://g:1"], &[], &[], &[]).expect_err("dup name");
        assert_eq!(e, ResolveError::DuplicateName("a".into()));
        let e = run(&home, &["tcp://h:1", "b=h:1"], &[], &[], &[]).expect_err("dup endpoint");
        assert!(e.to_string().contains("tcp://h:1 is given twice"), "{e}");
        home.context("c", "tcp://h:1", false, &[]);
        let e = run(&home, &["tcp://h:1"], &["c"], &[], &[]).expect_err("dup via context");
        assert!(e.to_string().contains("--context c"), "{e}");
    }

    #[test]
    fn docker_flags_take_the_environments_tls_like_the_clis_h() {
        let home = Home::new("flagtls");
        let certs = home.certs("certs", &["ca.pem", "cert.pem", "key.pem"]);
        let certs_s = certs.display().to_string();
        let vars = [
            ("DOCKER_TLS_VERIFY", "1"),
            ("DOCKER_CERT_PATH", certs_s.as_str()),
        ];
        let r = run(
            &home,
            &["tcp://h:2376", "unix:///run/a.sock", "http://p:2375"],
            &[],
            &[],
            &vars,
        )
        .expect("resolves");
        assert_eq!(r.warnings.len(), 2, "{:?}", r.warnings);
        assert!(r.warnings[0].contains("Unix socket"), "{:?}", r.warnings);
        assert!(
            r.warnings[1].contains("http:// is plain"),
            "{:?}",
            r.warnings
        );
        let v = named(r);
        assert_eq!(v[0].tls, tls_in(&certs, true));
        assert_eq!(v[1].tls, None);
        assert_eq!(v[2].tls, None, "http:// is plain");
    }

    #[test]
    fn tls_certs_per_engine_then_bare_then_environment() {
        let home = Home::new("tlscerts");
        let a = home.certs("a", &["ca.pem", "cert.pem", "key.pem"]);
        let bare = home.certs("bare", &["ca.pem"]);
        let env_dir = home.certs("env", &["ca.pem"]);
        let env_s = env_dir.display().to_string();
        let flag_a = format!("a={}", a.display());
        let flag_bare = bare.display().to_string();
        let v = named(
            run(
                &home,
                &["a=tcp://h:1", "b=tcp://g:1", "c=http://p:1"],
                &[],
                &[&flag_a, &flag_bare],
                &[("DOCKER_TLS_VERIFY", "1"), ("DOCKER_CERT_PATH", &env_s)],
            )
            .expect("resolves"),
        );
        assert_eq!(v[0].tls, tls_in(&a, true));
        assert_eq!(v[1].tls, tls_in(&bare, false));
        assert_eq!(v[2].tls, None);
        // Without a bare folder, the environment.
        let v = named(
            run(
                &home,
                &["a=tcp://h:1", "b=tcp://g:1"],
                &[],
                &[&flag_a],
                &[("DOCKER_TLS_VERIFY", "1"), ("DOCKER_CERT_PATH", &env_s)],
            )
            .expect("resolves"),
        );
        assert_eq!(v[1].tls, tls_in(&env_dir, false));
        // A folder turns TLS on by itself.
        let v = named(run(&home, &["a=tcp://h:1"], &[], &[&flag_a], &[]).expect("resolves"));
        assert_eq!(v[0].tls, tls_in(&a, true));
    }

    #[test]
    fn tls_certs_that_apply_to_nothing_are_refused() {
        let home = Home::new("tlscertsbad");
        let a = home.certs("a", &["ca.pem"]);
        let flag = |name: &str| format!("{name}={}", a.display());
        let bare = a.display().to_string();
        for (docker, certs, needle) in [
            (vec!["a=tcp://h:1"], vec![flag("b")], "no --docker b=URL"),
            (vec!["a=unix:///x.sock"], vec![flag("a")], "Unix socket"),
            (vec!["a=http://h:1"], vec![flag("a")], "plain http://"),
            (
                vec!["a=unix:///x.sock"],
                vec![bare.clone()],
                "applies to no engine",
            ),
            (
                vec!["a=tcp://h:1"],
                vec![bare.clone(), bare.clone()],
                "a second folder",
            ),
            (
                vec!["a=tcp://h:1"],
                vec![flag("a"), flag("a")],
                "same engine",
            ),
            (
                vec!["a=tcp://h:1"],
                vec!["=x".into()],
                "NAME before = is empty",
            ),
            (
                vec!["a=tcp://h:1"],
                vec!["a=".into()],
                "folder after = is empty",
            ),
            (vec![], vec![bare.clone()], "no --docker engine"),
        ] {
            let certs: Vec<&str> = certs.iter().map(String::as_str).collect();
            let e = run(&home, &docker, &[], &certs, &[])
                .expect_err(needle)
                .to_string();
            assert!(e.contains(needle), "{docker:?} {certs:?}: {e}");
            assert!(e.starts_with("--tls-certs"), "{e}");
        }
    }

    #[test]
    fn tls_folders_need_a_ca_and_both_halves_of_a_client_certificate() {
        let home = Home::new("folders");
        for (files, needle) in [
            (
                &["cert.pem", "key.pem"][..],
                "no ca.pem (only cert.pem and key.pem)",
            ),
            (&[][..], "no ca.pem"),
            (&["ca.pem", "cert.pem"][..], "cert.pem but no key.pem"),
            (&["ca.pem", "key.pem"][..], "key.pem but no cert.pem"),
        ] {
            let dir = home.certs(&format!("f{}", files.join("-")), files);
            let flag = format!("a={}", dir.display());
            let e = run(&home, &["a=tcp://h:1"], &[], &[&flag], &[])
                .expect_err(needle)
                .to_string();
            assert!(e.contains(needle), "{files:?}: {e}");
            assert!(
                e.contains(&dir.display().to_string()),
                "names the folder: {e}"
            );
        }
        // The environment's folder too.
        let e = run(
            &home,
            &[],
            &[],
            &[],
            &[("DOCKER_HOST", "tcp://h:1"), ("DOCKER_TLS_VERIFY", "1")],
        )
        .expect_err("no ca in ~/.docker")
        .to_string();
        assert!(e.starts_with("DOCKER_HOST=tcp://h:1: "), "{e}");
        assert!(e.contains("no ca.pem"), "{e}");
    }

    #[test]
    fn skipping_verification_is_refused_never_silent() {
        let home = Home::new("skip");
        home.context("insecure", "tcp://h:2376", true, &[]);
        home.context("insecure-ca", "tcp://h:2376", true, &["ca.pem"]);
        for name in ["insecure", "insecure-ca"] {
            let e = run(&home, &[], &[name], &[], &[]).expect_err(name);
            assert!(matches!(e, ResolveError::SkipTlsVerify { .. }), "{e}");
            assert!(e.to_string().contains("skip-tls-verify=true"), "{e}");
        }
        let e = run(&home, &[], &[], &[], &[("DOCKER_CONTEXT", "insecure")]).expect_err("env");
        assert!(matches!(e, ResolveError::SkipTlsVerify { .. }));
        // DOCKER_TLS without DOCKER_TLS_VERIFY: for a --docker engine, DOCKER_HOST, and the
        // default (tcp://localhost:2376 unverified, for the CLI).
        for (docker, vars) in [
            (&["tcp://h:1"][..], &[("DOCKER_TLS", "1")][..]),
            (
                &[][..],
                &[("DOCKER_HOST", "tcp://h:2376"), ("DOCKER_TLS", "1")][..],
            ),
            (&[][..], &[("DOCKER_TLS", "1")][..]),
        ] {
            let e = run(&home, docker, &[], &[], vars);
            assert!(
                matches!(e, Err(ResolveError::TlsWithoutVerify { .. })),
                "{e:?}"
            );
            let e = e.expect_err("refused").to_string();
            assert!(e.contains("DOCKER_TLS_VERIFY=1"), "{e}");
        }
        // Where TLS does not apply, it is said, not refused.
        let r = run(
            &home,
            &[],
            &[],
            &[],
            &[("DOCKER_HOST", "unix:///run/x.sock"), ("DOCKER_TLS", "1")],
        )
        .expect("a socket");
        assert!(
            r.warnings[0].contains("TLS does not apply"),
            "{:?}",
            r.warnings
        );
        let e = run(
            &home,
            &[],
            &[],
            &[],
            &[("DOCKER_HOST", "http://h:1"), ("DOCKER_TLS_VERIFY", "1")],
        )
        .expect_err("http with TLS");
        assert!(matches!(e, ResolveError::TlsOnHttp { .. }), "{e}");
    }

    #[test]
    fn contexts_with_tls_on_a_socket_or_missing_are_refused() {
        let home = Home::new("ctxbad");
        home.context("sock-tls", "unix:///run/x.sock", false, &["ca.pem"]);
        home.context("ssh", "ssh://u@h", false, &[]);
        home.context("partial", "tcp://h:1", false, &["ca.pem", "key.pem"]);
        let d = context_digest("nodocker");
        home.write(
            &format!(".docker/contexts/meta/{d}/meta.json"),
            r#"{"Name":"nodocker","Endpoints":{}}"#,
        );
        let d = context_digest("liar");
        home.write(
            &format!(".docker/contexts/meta/{d}/meta.json"),
            r#"{"Name":"other","Endpoints":{"docker":{"Host":"tcp://h:1"}}}"#,
        );
        let d = context_digest("broken");
        home.write(&format!(".docker/contexts/meta/{d}/meta.json"), "{not json");
        let d = context_digest("huge");
        home.write(
            &format!(".docker/contexts/meta/{d}/meta.json"),
            &" ".repeat(MAX_CONFIG_BYTES as usize + 1),
        );
        for (name, needle) in [
            ("sock-tls", "TLS over a Unix socket"),
            ("ssh", "ssh:// engines are not supported"),
            ("partial", "key.pem but no cert.pem"),
            ("nodocker", "no docker endpoint"),
            ("liar", "the file of context \"other\""),
            ("broken", "meta.json: key must be a string"),
            ("huge", "over the 1048576-byte limit"),
            ("missing", "context \"missing\" does not exist"),
        ] {
            let e = run(&home, &[], &[name], &[], &[])
                .expect_err(name)
                .to_string();
            assert!(e.contains(needle), "{name}: {e}");
            assert!(e.starts_with(&format!("--context {name}: ")), "{e}");
        }
        assert_eq!(
            run(&home, &[], &[""], &[], &[]),
            Err(ResolveError::EmptyContext)
        );
    }

    #[test]
    fn an_unreadable_config_json_is_a_warning_as_for_the_cli() {
        let home = Home::new("badconfig");
        home.write(".docker/config.json", "{oops");
        let r = run(&home, &[], &[], &[], &[]).expect("resolves");
        assert!(matches!(r.engines, Engines::Default(_)));
        assert_eq!(r.warnings.len(), 1);
        assert!(r.warnings[0].contains("config.json"), "{:?}", r.warnings);
        // A FIFO is not read (it would block).
        let fifo = home.docker().join("config.json");
        std::fs::remove_file(&fifo).expect("rm");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo runs");
        assert!(made.success());
        let r = run(&home, &[], &[], &[], &[]).expect("resolves");
        assert!(
            r.warnings[0].contains("not a regular file"),
            "{:?}",
            r.warnings
        );
    }
}
