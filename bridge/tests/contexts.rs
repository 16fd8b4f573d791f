//! Engines resolved as the docker CLI resolves them, checked against the CLI itself.
//!
//! `tests/fixtures/docker-config/` is a docker configuration folder written by the real docker CLI
//! (`scripts/record-contexts.sh`: `docker context create … --docker host=…,ca=…,cert=…,key=…`,
//! then `docker context use tls-remote`), with `expected/NAME.json`, what `docker --context NAME
//! context inspect` printed for each context. Here:
//!
//! - statscope's [`resolve`] of each context gives the endpoint and TLS files the CLI printed
//!   (and refuses the ones it cannot honour: `skip-tls-verify`, `ssh://`), and the TLS files load;
//! - the installed docker CLI, run on the committed folder now, still prints `expected/` (the
//!   fixtures are what the CLI makes of them);
//! - for a table of environments (`DOCKER_HOST`, `DOCKER_CONTEXT`, `currentContext`,
//!   `DOCKER_TLS_VERIFY`, `DOCKER_CERT_PATH`), the CLI's current context (`docker context
//!   inspect`) and statscope's resolution agree.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use statscope_bridge::endpoint::{resolve, EngineSpec, Engines, ResolveError, TlsFiles};
use statscope_bridge::tls::TlsClient;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/docker-config")
        .canonicalize()
        .expect("the fixture folder")
}

/// What `docker context inspect` says of one context's docker endpoint.
#[derive(Debug)]
struct CliView {
    host: String,
    skip_tls_verify: bool,
    /// TLSMaterial.docker: the file names.
    tls_files: Vec<String>,
    /// Storage.TLSPath (`$DOCKER_CONFIG` for the folder), or `<IN MEMORY>`.
    tls_path: String,
}

fn cli_view(json: &str, config: &Path) -> CliView {
    let v: Value = serde_json::from_str(json).expect("context inspect prints JSON");
    let c = &v[0];
    let docker = &c["Endpoints"]["docker"];
    CliView {
        host: docker["Host"].as_str().expect("Host").to_string(),
        skip_tls_verify: docker["SkipTLSVerify"].as_bool().expect("SkipTLSVerify"),
        tls_files: c["TLSMaterial"]["docker"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|f| f.as_str().expect("a file name").to_string())
                    .collect()
            })
            .unwrap_or_default(),
        tls_path: c["Storage"]["TLSPath"]
            .as_str()
            .expect("TLSPath")
            .replace(&config.display().to_string(), "$DOCKER_CONFIG"),
    }
}

/// The file names of statscope's TLS files, as the CLI lists them.
fn file_names(tls: &Option<TlsFiles>) -> Vec<String> {
    let Some(t) = tls else { return Vec::new() };
    let mut names = vec![t.ca.clone()];
    if let Some(c) = &t.client {
        names.push(c.cert.clone());
        names.push(c.key.clone());
    }
    names
        .iter()
        .map(|p| {
            p.file_name()
                .expect("a file")
                .to_string_lossy()
                .into_owned()
        })
        .collect()
}

/// Checks statscope's engine against the CLI's view of the same context.
fn assert_same(what: &str, spec: &EngineSpec, cli: &CliView, config: &Path) {
    // A stored tcp:// host without a port is HTTP's default port for the CLI's client.
    let host = if cli.host == "tcp://10.0.0.7" {
        "tcp://10.0.0.7:80".to_string()
    } else {
        cli.host.clone()
    };
    assert_eq!(spec.endpoint.to_string(), host, "{what}: the endpoint");
    assert!(
        !cli.skip_tls_verify,
        "{what}: not a context statscope takes"
    );
    // The CLI lists the default context's files in Go's map order, which varies.
    let (mut ours, mut theirs) = (file_names(&spec.tls), cli.tls_files.clone());
    ours.sort();
    theirs.sort();
    assert_eq!(ours, theirs, "{what}: the TLS files");
    if let Some(tls) = &spec.tls {
        let dir = tls.ca.parent().expect("a folder");
        if cli.tls_path != "<IN MEMORY>" {
            let want = PathBuf::from(
                cli.tls_path
                    .replace("$DOCKER_CONFIG", &config.display().to_string()),
            )
            .join("docker");
            assert_eq!(dir, want, "{what}: the TLS folder");
        }
        TlsClient::load(tls).unwrap_or_else(|e| panic!("{what}: the TLS files load: {e}"));
    }
}

fn env_of(vars: &[(&str, String)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    move |k| map.get(k).cloned()
}

fn no_home() -> PathBuf {
    PathBuf::from("/nonexistent-home-for-statscope-tests")
}

const CONTEXTS: [&str; 9] = [
    "default",
    "tls-remote",
    "ca-only",
    "ipv6-tls",
    "plain-tcp",
    "local-sock",
    "insecure",
    "over-ssh",
    "no-port",
];

#[test]
fn each_real_context_resolves_as_the_cli_printed_it() {
    let config = fixture();
    let vars = [("DOCKER_CONFIG", config.display().to_string())];
    let env = env_of(&vars);
    for name in CONTEXTS {
        let text = std::fs::read_to_string(config.join(format!("expected/{name}.json")))
            .expect("the CLI's view");
        let cli = cli_view(&text, &config);
        let r = resolve(&[], &[name.to_string()], &[], &env, &no_home());
        match name {
            "insecure" => {
                assert!(cli.skip_tls_verify);
                let e = r.expect_err("skip-tls-verify is refused");
                assert!(matches!(e, ResolveError::SkipTlsVerify { .. }), "{e}");
            }
            "over-ssh" => {
                assert!(cli.host.starts_with("ssh://"));
                let e = r.expect_err("ssh is refused").to_string();
                assert!(e.contains("ssh:// engines are not supported"), "{e}");
            }
            _ => {
                let r = r.unwrap_or_else(|e| panic!("{name}: {e}"));
                let Engines::Named(specs) = r.engines else {
                    panic!("{name}: --context names an engine")
                };
                assert_same(name, &specs[0], &cli, &config);
            }
        }
    }
}

#[test]
fn the_current_context_of_the_fixture_is_tls_remote() {
    let config = fixture();
    let env = env_of(&[("DOCKER_CONFIG", config.display().to_string())]);
    let r = resolve(&[], &[], &[], &env, &no_home()).expect("resolves");
    let Engines::Named(specs) = r.engines else {
        panic!("currentContext names an engine")
    };
    assert_eq!(specs[0].endpoint.to_string(), "tcp://10.20.30.40:2376");
    assert!(specs[0].tls.as_ref().is_some_and(|t| t.client.is_some()));
}

/// The docker CLI on PATH, if installed (or a failure under CI).
fn docker_cli(test: &str) -> Option<&'static str> {
    let found = Command::new("docker")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if found {
        Some("docker")
    } else {
        common::skip_or_fail(test, "the docker CLI is not installed (Debian: docker.io)");
        None
    }
}

/// `docker [--context NAME] context inspect` with exactly `vars` for the DOCKER_* variables.
fn cli_inspect(
    docker: &str,
    context: Option<&str>,
    vars: &[(&str, String)],
) -> Result<String, String> {
    let mut cmd = Command::new(docker);
    for v in [
        "DOCKER_HOST",
        "DOCKER_CONTEXT",
        "DOCKER_CONFIG",
        "DOCKER_TLS_VERIFY",
        "DOCKER_CERT_PATH",
        "DOCKER_TLS",
    ] {
        cmd.env_remove(v);
    }
    cmd.env("HOME", no_home());
    for (k, v) in vars {
        cmd.env(k, v);
    }
    if let Some(name) = context {
        cmd.args(["--context", name]);
    }
    let out = cmd
        .args(["context", "inspect"])
        .output()
        .expect("docker runs");
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

#[test]
fn the_installed_cli_still_prints_the_committed_views() {
    let Some(docker) = docker_cli("the_installed_cli_still_prints_the_committed_views") else {
        return;
    };
    let config = fixture();
    let vars = [("DOCKER_CONFIG", config.display().to_string())];
    for name in CONTEXTS {
        let now = cli_inspect(docker, Some(name), &vars).expect("inspect");
        let committed = std::fs::read_to_string(config.join(format!("expected/{name}.json")))
            .expect("committed");
        let now = now.replace(&config.display().to_string(), "$DOCKER_CONFIG");
        assert_eq!(now, committed, "{name}");
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

#[test]
fn the_environment_is_read_in_the_clis_order() {
    let test = "the_environment_is_read_in_the_clis_order";
    let Some(docker) = docker_cli(test) else {
        return;
    };
    // A copy, so config.json can change.
    let tmp = std::env::temp_dir().join(format!("statscope-contexts-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let with_current = tmp.join("with-current");
    let without = tmp.join("without-current");
    copy_dir(&fixture(), &with_current);
    copy_dir(&fixture(), &without);
    std::fs::write(without.join("config.json"), "{}").expect("config");
    let certs = with_current.join(format!(
        "contexts/tls/{}/docker",
        statscope_bridge::endpoint::context_digest("tls-remote")
    ));
    let certs = certs.display().to_string();
    let cfg = |dir: &Path| ("DOCKER_CONFIG", dir.display().to_string());
    let s = |v: &str| v.to_string();
    let cases: Vec<(&str, Vec<(&str, String)>)> = vec![
        ("currentContext", vec![cfg(&with_current)]),
        (
            "DOCKER_CONTEXT beats currentContext",
            vec![cfg(&with_current), ("DOCKER_CONTEXT", s("plain-tcp"))],
        ),
        (
            "DOCKER_CONTEXT with TLS",
            vec![cfg(&without), ("DOCKER_CONTEXT", s("ca-only"))],
        ),
        (
            "DOCKER_CONTEXT=default",
            vec![cfg(&with_current), ("DOCKER_CONTEXT", s("default"))],
        ),
        (
            "DOCKER_HOST beats both",
            vec![
                cfg(&with_current),
                ("DOCKER_CONTEXT", s("plain-tcp")),
                ("DOCKER_HOST", s("tcp://10.9.8.7:1234")),
            ],
        ),
        (
            "DOCKER_HOST without a port",
            vec![cfg(&without), ("DOCKER_HOST", s("tcp://h"))],
        ),
        (
            "DOCKER_HOST without a scheme",
            vec![cfg(&without), ("DOCKER_HOST", s("10.0.0.1:2375"))],
        ),
        (
            "DOCKER_HOST, a socket",
            vec![cfg(&without), ("DOCKER_HOST", s("unix:///run/x.sock"))],
        ),
        (
            "DOCKER_HOST unix:// alone",
            vec![cfg(&without), ("DOCKER_HOST", s("unix://"))],
        ),
        (
            "DOCKER_HOST with TLS (port 2375 still)",
            vec![
                cfg(&without),
                ("DOCKER_HOST", s("tcp://h")),
                ("DOCKER_TLS_VERIFY", s("1")),
                ("DOCKER_CERT_PATH", certs.clone()),
            ],
        ),
        (
            "DOCKER_TLS_VERIFY=0 is on",
            vec![
                cfg(&without),
                ("DOCKER_HOST", s("tcp://h:2376")),
                ("DOCKER_TLS_VERIFY", s("0")),
                ("DOCKER_CERT_PATH", certs.clone()),
            ],
        ),
        (
            "DOCKER_TLS_VERIFY alone: localhost:2376",
            vec![
                cfg(&without),
                ("DOCKER_TLS_VERIFY", s("1")),
                ("DOCKER_CERT_PATH", certs.clone()),
            ],
        ),
        (
            "DOCKER_CERT_PATH without DOCKER_TLS_VERIFY",
            vec![
                cfg(&without),
                ("DOCKER_HOST", s("tcp://h:1")),
                ("DOCKER_CERT_PATH", certs.clone()),
            ],
        ),
        ("nothing", vec![cfg(&without)]),
        (
            "empty variables are unset",
            vec![
                cfg(&without),
                ("DOCKER_HOST", s("")),
                ("DOCKER_CONTEXT", s("")),
            ],
        ),
    ];
    for (what, vars) in cases {
        let config = PathBuf::from(&vars[0].1);
        let cli = cli_view(
            &cli_inspect(docker, None, &vars).unwrap_or_else(|e| panic!("{what}: {e}")),
            &config,
        );
        let r = resolve(&[], &[], &[], &env_of(&vars), &no_home())
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        let spec = match &r.engines {
            Engines::Named(v) => &v[0],
            Engines::Default(d) => d,
        };
        assert_same(what, spec, &cli, &config);
    }
    // What the CLI refuses, statscope refuses too.
    let missing = vec![cfg(&with_current), ("DOCKER_CONTEXT", s("missing"))];
    let cli = cli_inspect(docker, None, &missing).expect_err("the CLI refuses a missing context");
    assert!(cli.contains("context not found"), "{cli}");
    let e = resolve(&[], &[], &[], &env_of(&missing), &no_home())
        .expect_err("refused")
        .to_string();
    assert!(e.contains("does not exist"), "{e}");
    let _ = std::fs::remove_dir_all(&tmp);
}
