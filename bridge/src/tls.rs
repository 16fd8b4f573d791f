//! TLS to `tcp://` engines, the way the docker CLI does it with `--tlsverify`: the engine's
//! certificate verified against the CA given (always: there is no way to turn that off), and a
//! client certificate presented when one is given (a `dockerd --tlsverify` demands one).
//!
//! Built on rustls (ring as the crypto provider) through tokio-rustls; PEM files are parsed by
//! `rustls-pki-types`, certificates checked by `rustls-webpki`. Nothing here parses a certificate
//! or does cryptography by hand.
//!
//! - [`TlsClient::load`] reads `ca.pem`, `cert.pem`, `key.pem` ([`TlsFiles`]), each bounded to
//!   [`MAX_PEM_BYTES`], once, when the engine is set up: a bad file is an error then, not at every
//!   reconnect.
//! - [`TlsClient::connect`] runs the handshake on a connected stream. The server name is the
//!   URL's host: a DNS name (sent as SNI, matched against the certificate's DNS names) or an IP
//!   address (matched against its IP addresses). A refusal says why in words ([`TlsError`]):
//!   a certificate not signed by the CA given is "not trusted", a certificate for another name says
//!   which names it holds, a peer that does not speak TLS says so.
//!
//! The connection's timeouts are the caller's ([`crate::docker::Client`] bounds connecting,
//! handshake included).

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{AlertDescription, CertificateError, ClientConfig, RootCertStore};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

use crate::endpoint::{read_bounded, TlsFiles};

/// The largest PEM file read (a CA bundle of a few hundred certificates is ~250 KB).
pub const MAX_PEM_BYTES: u64 = 1 << 20;

/// Why TLS could not be set up, or a handshake failed.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read {}: {why}", .path.display())]
    Read { path: PathBuf, why: String },
    #[error("{}: {why}", .path.display())]
    Pem { path: PathBuf, why: String },
    #[error("{}: no certificate in it (expected PEM: -----BEGIN CERTIFICATE-----)", .0.display())]
    NoCertificate(PathBuf),
    #[error("{}: no private key in it (expected an unencrypted PEM key; an encrypted one is not supported)", .0.display())]
    NoKey(PathBuf),
    #[error("the CA in {}: {why}", .path.display())]
    BadCa { path: PathBuf, why: String },
    #[error("the client certificate {} with key {}: {why}", .cert.display(), .key.display())]
    BadClientCert {
        cert: PathBuf,
        key: PathBuf,
        why: String,
    },
    #[error("{host:?} is not a host name or IP address TLS can verify")]
    ServerName { host: String },
    #[error("the engine's certificate is not trusted: it is not signed by the CA in {} ({why})", .ca.display())]
    Untrusted { ca: PathBuf, why: String },
    #[error("the engine's certificate is not valid for {host:?}{}", presented_names(.presented))]
    WrongName {
        host: String,
        presented: Vec<String>,
    },
    #[error("the engine's certificate was refused: {why}")]
    BadCertificate { why: String },
    #[error("the engine refused statscope's {}: {alert:?}", if *.had_client_cert { "client certificate" } else { "connection (it may want a client certificate: cert.pem and key.pem)" })]
    Refused {
        alert: AlertDescription,
        had_client_cert: bool,
    },
    #[error("the engine does not speak TLS here (a plain-HTTP port?): {why}")]
    NotTls { why: String },
    #[error("TLS handshake: {0}")]
    Handshake(std::io::Error),
}

fn presented_names(names: &[String]) -> String {
    if names.is_empty() {
        String::new()
    } else {
        format!(" (it names {})", names.join(", "))
    }
}

/// A loaded TLS configuration for one engine (cheap to clone).
#[derive(Clone)]
pub struct TlsClient {
    connector: TlsConnector,
    ca: PathBuf,
    has_client_cert: bool,
}

impl fmt::Debug for TlsClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsClient")
            .field("ca", &self.ca)
            .field("has_client_cert", &self.has_client_cert)
            .finish_non_exhaustive()
    }
}

fn read_pem(path: &Path) -> Result<Vec<u8>, TlsError> {
    read_bounded(path, MAX_PEM_BYTES).map_err(|why| TlsError::Read {
        path: path.to_path_buf(),
        why,
    })
}

/// Every certificate of a PEM file (at least one).
fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let pem = read_pem(path)?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::Pem {
            path: path.to_path_buf(),
            why: e.to_string(),
        })?;
    if certs.is_empty() {
        return Err(TlsError::NoCertificate(path.to_path_buf()));
    }
    Ok(certs)
}

impl TlsClient {
    /// Reads and checks the files: the CA's certificates must parse as trust anchors, the client
    /// certificate's key must be a private key that matches it.
    pub fn load(files: &TlsFiles) -> Result<TlsClient, TlsError> {
        // ring, not rustls' default aws-lc-rs (a large C build). rustls 0.23.48 deprecates ring's
        // provider for lacking post-quantum key exchange; the handshake then uses X25519 or the
        // NIST curves, which every dockerd and Podman offers.
        #[allow(deprecated)]
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = RootCertStore::empty();
        for cert in certificates(&files.ca)? {
            roots.add(cert).map_err(|e| TlsError::BadCa {
                path: files.ca.clone(),
                why: e.to_string(),
            })?;
        }
        let builder = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError::BadCa {
                path: files.ca.clone(),
                why: e.to_string(),
            })?
            .with_root_certificates(roots);
        let config = match &files.client {
            None => builder.with_no_client_auth(),
            Some(client) => {
                let chain = certificates(&client.cert)?;
                let pem = read_pem(&client.key)?;
                let key = PrivateKeyDer::from_pem_slice(&pem).map_err(|e| match e {
                    rustls::pki_types::pem::Error::NoItemsFound => {
                        TlsError::NoKey(client.key.clone())
                    }
                    e => TlsError::Pem {
                        path: client.key.clone(),
                        why: e.to_string(),
                    },
                })?;
                builder
                    .with_client_auth_cert(chain, key)
                    .map_err(|e| TlsError::BadClientCert {
                        cert: client.cert.clone(),
                        key: client.key.clone(),
                        why: e.to_string(),
                    })?
            }
        };
        Ok(TlsClient {
            connector: TlsConnector::from(Arc::new(config)),
            ca: files.ca.clone(),
            has_client_cert: files.client.is_some(),
        })
    }

    /// The CA file the engine's certificate is verified against.
    pub fn ca(&self) -> &Path {
        &self.ca
    }

    /// The TLS handshake on `io` (already connected) with the engine at `host` (the URL's host:
    /// a DNS name or an IP address, without brackets).
    pub async fn connect<IO>(&self, io: IO, host: &str) -> Result<TlsStream<IO>, TlsError>
    where
        IO: AsyncRead + AsyncWrite + Unpin,
    {
        let name = ServerName::try_from(host.to_string()).map_err(|_| TlsError::ServerName {
            host: host.to_string(),
        })?;
        self.connector
            .connect(name, io)
            .await
            .map_err(|e| self.explain(e, host))
    }

    /// A failed handshake, in words.
    fn explain(&self, e: std::io::Error, host: &str) -> TlsError {
        let classified = e
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
            .and_then(|tls| self.classify(tls, host));
        match classified {
            Some(error) => error,
            None if e.kind() == std::io::ErrorKind::UnexpectedEof => TlsError::NotTls {
                why: "the engine closed the connection during the handshake".into(),
            },
            None => TlsError::Handshake(e),
        }
    }

    /// A TLS error found in `error`'s chain of sources, in words: with TLS 1.3 the engine's
    /// refusal of the client (no certificate, or one it does not trust) arrives after the
    /// handshake, when the request is sent.
    pub fn explain_later(
        &self,
        error: &(dyn std::error::Error + 'static),
        host: &str,
    ) -> Option<TlsError> {
        let mut cause = Some(error);
        while let Some(e) = cause {
            if let Some(tls) = e.downcast_ref::<rustls::Error>() {
                return self.classify(tls, host);
            }
            if let Some(tls) = e
                .downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref())
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
            {
                return self.classify(tls, host);
            }
            cause = e.source();
        }
        None
    }

    /// What a rustls error means for the user; `None` for the rest.
    fn classify(&self, tls: &rustls::Error, host: &str) -> Option<TlsError> {
        Some(match tls {
            rustls::Error::InvalidCertificate(cert) => match cert {
                CertificateError::UnknownIssuer
                | CertificateError::BadSignature
                | CertificateError::UnhandledCriticalExtension => TlsError::Untrusted {
                    ca: self.ca.clone(),
                    why: tls.to_string(),
                },
                CertificateError::NotValidForName => TlsError::WrongName {
                    host: host.to_string(),
                    presented: Vec::new(),
                },
                CertificateError::NotValidForNameContext { presented, .. } => TlsError::WrongName {
                    host: host.to_string(),
                    presented: presented.clone(),
                },
                _ => TlsError::BadCertificate {
                    why: tls.to_string(),
                },
            },
            rustls::Error::AlertReceived(alert) => TlsError::Refused {
                alert: *alert,
                had_client_cert: self.has_client_cert,
            },
            rustls::Error::InvalidMessage(_) => TlsError::NotTls {
                why: tls.to_string(),
            },
            _ => return None,
        })
    }
}
