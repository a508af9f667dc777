//! Optional TLS: a throwaway CA and a server certificate signed by it (for
//! `localhost` and `127.0.0.1`), and a serving loop that terminates TLS (HTTP/1.1 and
//! HTTP/2 through ALPN) in front of the same router.

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use crate::error::SimError;

/// A CA certificate (what clients trust) and a server certificate signed by it.
#[derive(Debug, Clone)]
pub struct SelfSigned {
    ca_pem: String,
    chain: Vec<CertificateDer<'static>>,
    key_der: Vec<u8>,
}

fn cert_err(e: rcgen::Error) -> SimError {
    SimError::Tls(e.to_string())
}

impl SelfSigned {
    /// Generates a CA and a server certificate for `localhost`, `127.0.0.1`, `::1`
    /// and any extra host names or IP addresses given.
    pub fn generate(extra_hosts: &[String]) -> Result<Self, SimError> {
        Self::with_ca_key(KeyPair::generate().map_err(cert_err)?, extra_hosts)
    }

    /// As [`generate`](Self::generate), with the CA's key kept in `key_file` (created,
    /// owner-only, on first use): a restart signs with the same key under the same
    /// name, so a kubeconfig written before it still verifies the server.
    pub fn with_ca_key_file(
        key_file: &std::path::Path,
        extra_hosts: &[String],
    ) -> Result<Self, SimError> {
        let io = |e| SimError::Io(key_file.display().to_string(), e);
        let key = match std::fs::read_to_string(key_file) {
            Ok(pem) => KeyPair::from_pem(&pem).map_err(cert_err)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = KeyPair::generate().map_err(cert_err)?;
                let mut f = std::fs::OpenOptions::new();
                f.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut f, 0o600);
                let mut file = f.open(key_file).map_err(io)?;
                std::io::Write::write_all(&mut file, key.serialize_pem().as_bytes()).map_err(io)?;
                key
            }
            Err(e) => return Err(io(e)),
        };
        Self::with_ca_key(key, extra_hosts)
    }

    fn with_ca_key(ca_key: KeyPair, extra_hosts: &[String]) -> Result<Self, SimError> {
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(cert_err)?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "kube-sim CA");
        let ca = CertifiedIssuer::self_signed(ca_params, ca_key).map_err(cert_err)?;
        let mut hosts = vec!["localhost".to_string(), "127.0.0.1".into(), "::1".into()];
        hosts.extend(extra_hosts.iter().cloned());
        let mut params = CertificateParams::new(hosts).map_err(cert_err)?;
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "kube-sim");
        let key = KeyPair::generate().map_err(cert_err)?;
        let cert = params.signed_by(&key, &ca).map_err(cert_err)?;
        Ok(Self {
            ca_pem: ca.pem(),
            chain: vec![cert.der().clone(), ca.der().clone()],
            key_der: key.serialize_der(),
        })
    }

    /// The CA certificate in PEM, for a kubeconfig's `certificate-authority-data`.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    fn acceptor(&self) -> Result<TlsAcceptor, SimError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key_der.clone()));
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| SimError::Tls(e.to_string()))?
            .with_no_client_auth()
            .with_single_cert(self.chain.clone(), key)
            .map_err(|e| SimError::Tls(e.to_string()))?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(TlsAcceptor::from(Arc::new(config)))
    }
}

/// Accepts TLS connections on `listener` and serves `router` on them until `shutdown`.
pub async fn serve_tls<F>(
    router: Router,
    listener: TcpListener,
    cert: &SelfSigned,
    shutdown: F,
) -> Result<(), SimError>
where
    F: Future<Output = ()> + Send,
{
    let acceptor = cert.acceptor()?;
    tokio::pin!(shutdown);
    loop {
        let (tcp, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!(error = %e, "accepting a connection");
                    continue;
                }
            },
            _ = &mut shutdown => return Ok(()),
        };
        let acceptor = acceptor.clone();
        let service = TowerToHyperService::new(router.clone());
        tokio::spawn(async move {
            // Plain HTTP on the TLS port gets Go's plain answer rather than a TLS alert.
            let mut first = [0u8; 1];
            if matches!(tcp.peek(&mut first).await, Ok(1) if first[0] != 0x16) {
                use tokio::io::{AsyncReadExt, AsyncWriteExt};
                let mut tcp = tcp;
                // Read the request first: closing with it unread would reset the
                // connection and lose the answer.
                let mut request = [0u8; 8192];
                let _ = tokio::time::timeout(
                    std::time::Duration::from_millis(200),
                    tcp.read(&mut request),
                )
                .await;
                let _ = tcp
                    .write_all(b"HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n")
                    .await;
                let _ = tcp.shutdown().await;
                return;
            }
            match acceptor.accept(tcp).await {
                Ok(tls) => {
                    let builder = auto::Builder::new(TokioExecutor::new());
                    if let Err(e) = builder
                        .serve_connection_with_upgrades(TokioIo::new(tls), service)
                        .await
                    {
                        tracing::debug!(error = %e, "TLS connection ended");
                    }
                }
                Err(e) => tracing::debug!(error = %e, "TLS handshake failed"),
            }
        });
    }
}
