//! Which sources the flags name ([`crate::cli::SourceArgs`]), shared by `serve` and `agent`: a
//! replay, the demo, or the engines the flags, the environment or the docker CLI's configuration
//! name ([`endpoint::resolve`]), each engine one host named as [`host_name`] says.
//!
//! An engine the user named is followed whether it answers or not (its host says why it is down).
//! Only when nothing names one and the default engine does not answer does `serve` show the demo
//! ([`Fallback::Demo`]); an agent follows the default engine all the same ([`Fallback::Engine`]):
//! a fleet must never be fed simulated containers by mistake.

use std::path::PathBuf;
use std::time::Duration;

use crate::cli::SourceArgs;
use crate::demo::Demo;
use crate::docker::{Client, DockerSource, EngineLimits};
use crate::endpoint::{self, EngineSpec, Engines, Origin};
use crate::replay::Replay;
use crate::source::Source;
use crate::tls::TlsError;

/// Why the sources cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum SourcesError {
    #[error("cannot replay {path}: {source}")]
    Replay {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Resolve(#[from] endpoint::ResolveError),
    #[error("cannot use the engine {spec}: {source}")]
    Engine { spec: String, source: TlsError },
}

/// What to do when nothing names an engine and the default one does not answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fallback {
    /// Serve the demo (`statscope serve` on a machine without Docker).
    Demo,
    /// Follow the default engine anyway, retried until it answers (`statscope agent`).
    Engine,
}

/// The sources `args` name (see the module docs).
pub async fn select(
    args: &SourceArgs,
    limits: &EngineLimits,
    fallback: Fallback,
) -> Result<Vec<Box<dyn Source>>, SourcesError> {
    if let Some(path) = &args.replay {
        let mut replay = Replay::open(path.clone(), args.speed, args.looped).map_err(|source| {
            SourcesError::Replay {
                path: path.clone(),
                source,
            }
        })?;
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
        Engines::Default(spec) if fallback == Fallback::Engine => vec![spec],
        Engines::Default(spec) => {
            let client = client(&spec, limits)?;
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
    let clients = specs
        .iter()
        .map(|spec| client(spec, limits))
        .collect::<Result<Vec<_>, _>>()?;
    // Names: given, the context's, or the engine's own (asked of every engine at once, briefly:
    // one that does not answer is named after its address, and followed all the same).
    let mut asked = tokio::task::JoinSet::new();
    for (i, (spec, client)) in specs.iter().zip(&clients).enumerate() {
        let (spec, client) = (spec.clone(), client.clone());
        asked.spawn(async move { (i, host_name(&spec, &client).await) });
    }
    let mut names = vec![String::new(); specs.len()];
    while let Some(named) = asked.join_next().await {
        if let Ok((i, name)) = named {
            names[i] = name;
        }
    }
    Ok(clients
        .into_iter()
        .zip(names)
        .map(|(client, name)| {
            Box::new(DockerSource::with_client(client).named(name)) as Box<dyn Source>
        })
        .collect())
}

fn client(spec: &EngineSpec, limits: &EngineLimits) -> Result<Client, SourcesError> {
    Client::for_engine(spec, limits.clone()).map_err(|source| SourcesError::Engine {
        spec: spec.to_string(),
        source,
    })
}

/// The name of an engine's host, before it is made unique: `NAME` of `--docker NAME=URL`, the
/// context's name, the engine's `Name` from `/info`, or, when it does not answer within 2 s, its
/// address (`local` for a Unix socket).
pub async fn host_name(spec: &EngineSpec, client: &Client) -> String {
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
