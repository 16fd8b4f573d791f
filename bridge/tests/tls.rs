//! TLS to engines without a daemon: an in-process TLS server (tokio-rustls) answering `/_ping` with
//! certificates made by the test, reached by [`Client`] — and every refusal said in words: a
//! wrong CA ("not trusted"), a certificate for another name (with the names it holds), a peer
//! that does not speak TLS, a server that wants a client certificate. And what
//! [`TlsClient::load`] refuses: missing, empty, oversized or foreign files, a key that is not one,
//! a key that does not match its certificate.
//!
//! The real `dockerd --tlsverify` is in `engines.rs`.

mod common;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::Arc;

use common::engines::Pki;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use statscope_bridge::docker::{Client, DockerError, EngineLimits};
use statscope_bridge::endpoint::{ClientCertFiles, Endpoint, EngineSpec, Origin, TlsFiles};
use statscope_bridge::tls::{TlsClient, TlsError, MAX_PEM_BYTES};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

#[allow(deprecated)] // ring's provider: see bridge/src/tls.rs
fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A TLS server with `pki`'s server certificate answering `/_ping` with `OK`; with
/// `client_auth`, it demands a client certificate signed by `pki`'s CA (as `dockerd --tlsverify`).
async fn tls_server(pki: &Pki, client_auth: bool) -> SocketAddr {
    let dir = pki.server_dir();
    let chain: Vec<CertificateDer<'static>> =
        CertificateDer::pem_file_iter(dir.join("server-cert.pem"))
            .expect("cert")
            .collect::<Result<_, _>>()
            .expect("certs");
    let key = PrivateKeyDer::from_pem_file(dir.join("server-key.pem")).expect("key");
    let builder = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("versions");
    let builder = if client_auth {
        let mut roots = rustls::RootCertStore::empty();
        for ca in CertificateDer::pem_file_iter(dir.join("ca.pem")).expect("ca") {
            roots.add(ca.expect("ca")).expect("root");
        }
        let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
            Arc::new(roots),
            provider(),
        )
        .build()
        .expect("verifier");
        builder.with_client_cert_verifier(verifier)
    } else {
        builder.with_no_client_auth()
    };
    let config = builder.with_single_cert(chain, key).expect("server config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut buf = [0u8; 4096];
                if tls.read(&mut buf).await.is_ok() {
                    let _ = tls
                        .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK")
                        .await;
                    let _ = tls.shutdown().await;
                }
            });
        }
    });
    addr
}

fn spec(addr: String, tls: TlsFiles) -> EngineSpec {
    EngineSpec {
        name: None,
        endpoint: Endpoint::Tcp(addr.clone()),
        tls: Some(tls),
        origin: Origin::DockerFlag(format!("tcp://{addr}")),
    }
}

async fn ping(addr: String, tls: TlsFiles) -> Result<(), DockerError> {
    Client::for_engine(&spec(addr, tls), EngineLimits::default())
        .expect("the files load")
        .ping()
        .await
}

#[tokio::test]
async fn the_right_ca_by_ip_and_by_name() {
    let pki = Pki::new("tls-right");
    let addr = tls_server(&pki, true).await;
    ping(addr.to_string(), pki.client_files())
        .await
        .expect("by IP");
    ping(format!("localhost:{}", addr.port()), pki.client_files())
        .await
        .expect("by name");
}

#[tokio::test]
async fn a_wrong_ca_is_not_trusted() {
    let pki = Pki::new("tls-server");
    let other = Pki::new("tls-other");
    let addr = tls_server(&pki, false).await;
    let e = ping(addr.to_string(), other.client_files())
        .await
        .expect_err("refused");
    assert!(
        matches!(e, DockerError::Tls(TlsError::Untrusted { .. })),
        "{e:?}"
    );
    let text = e.to_string();
    assert!(
        text.contains("the engine's certificate is not trusted"),
        "{text}"
    );
    assert!(
        text.contains(&other.client_dir().join("ca.pem").display().to_string()),
        "names the CA: {text}"
    );
}

#[tokio::test]
async fn a_certificate_for_another_name_says_which_names_it_holds() {
    let pki = Pki::for_server(
        "tls-names",
        &["engine.example"],
        &[IpAddr::V4(Ipv4Addr::new(10, 1, 2, 3))],
    );
    let addr = tls_server(&pki, false).await;
    let e = ping(addr.to_string(), pki.client_files())
        .await
        .expect_err("refused");
    assert!(
        matches!(e, DockerError::Tls(TlsError::WrongName { .. })),
        "{e:?}"
    );
    let text = e.to_string();
    assert!(text.contains("not valid for \"127.0.0.1\""), "{text}");
    assert!(
        text.contains("engine.example") && text.contains("10.1.2.3"),
        "{text}"
    );
}

#[tokio::test]
async fn a_peer_that_does_not_speak_tls_is_said_so() {
    let pki = Pki::new("tls-plain");
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            let mut buf = [0u8; 1024];
            let _ = tcp.read(&mut buf).await;
            // What dockerd's Go server answers bytes it cannot read as HTTP.
            let _ = tcp
                .write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                .await;
        }
    });
    let e = ping(addr.to_string(), pki.client_files())
        .await
        .expect_err("refused");
    assert!(
        matches!(e, DockerError::Tls(TlsError::NotTls { .. })),
        "{e:?}"
    );
    assert!(e.to_string().contains("does not speak TLS"), "{e}");
}

#[tokio::test]
async fn a_server_that_wants_a_client_certificate_is_said_so() {
    let pki = Pki::new("tls-clientauth");
    let addr = tls_server(&pki, true).await;
    let anonymous = TlsFiles {
        ca: pki.client_dir().join("ca.pem"),
        client: None,
    };
    let e = ping(addr.to_string(), anonymous)
        .await
        .expect_err("refused");
    assert!(
        matches!(
            e,
            DockerError::Tls(TlsError::Refused {
                had_client_cert: false,
                ..
            })
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("client certificate"), "{e}");
    // A client certificate from another CA.
    let other = Pki::new("tls-clientauth-other");
    let mixed = TlsFiles {
        ca: pki.client_dir().join("ca.pem"),
        client: other.client_files().client,
    };
    let e = ping(addr.to_string(), mixed).await.expect_err("refused");
    assert!(
        matches!(
            e,
            DockerError::Tls(TlsError::Refused {
                had_client_cert: true,
                ..
            })
        ),
        "{e:?}"
    );
    assert!(
        e.to_string()
            .contains("refused statscope's client certificate"),
        "{e}"
    );
}

fn write(dir: &Path, name: &str, text: &[u8]) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path
}

#[test]
fn bad_files_are_refused_saying_which_and_why() {
    let pki = Pki::new("tls-files");
    let good = pki.client_files();
    let dir = pki.dir.join("bad");
    std::fs::create_dir_all(&dir).expect("dir");
    let client = good.client.clone().expect("client files");
    let empty = write(&dir, "empty.pem", b"");
    let garbage = write(
        &dir,
        "garbage.pem",
        b"-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n",
    );
    let huge = write(&dir, "huge.pem", &vec![b'A'; MAX_PEM_BYTES as usize + 1]);
    let encrypted = write(
        &dir,
        "encrypted.pem",
        b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIBvTBXBgkqhkiG9w0BBQ0wSjApBgkqhkiG9w0BBQwwHAQI\n-----END ENCRYPTED PRIVATE KEY-----\n",
    );
    let other = Pki::new("tls-files-other");
    let other_key = other.client_dir().join("key.pem");
    let with_client = |cert: &Path, key: &Path| TlsFiles {
        ca: good.ca.clone(),
        client: Some(ClientCertFiles {
            cert: cert.to_path_buf(),
            key: key.to_path_buf(),
        }),
    };
    let ca_only = |ca: &Path| TlsFiles {
        ca: ca.to_path_buf(),
        client: None,
    };
    let cases: Vec<(TlsFiles, &str)> = vec![
        (ca_only(&dir.join("missing.pem")), "cannot read"),
        (ca_only(&dir), "not a regular file"),
        (ca_only(&empty), "no certificate in it"),
        (ca_only(&garbage), "garbage.pem"),
        (ca_only(&huge), "over the 1048576-byte limit"),
        (
            with_client(&client.cert, &encrypted),
            "an encrypted one is not supported",
        ),
        (
            with_client(&client.cert, &client.cert),
            "no private key in it",
        ),
        (
            with_client(&client.cert, &other_key),
            "the client certificate",
        ),
    ];
    for (files, needle) in cases {
        let e = TlsClient::load(&files).expect_err(needle).to_string();
        assert!(e.contains(needle), "{needle}: {e}");
    }
    TlsClient::load(&good).expect("the good files load");
}
