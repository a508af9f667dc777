//! Against an HTTP server that answers as EC2 instance metadata does
//! (IMDSv2: a session token, then reads that carry it), talked to by the
//! AWS SDK's own IMDS client.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use super::*;

const TOKEN: &str = "AQAEAFake-session-token==";

/// Paths served under `/latest/meta-data/`.
fn an_instance() -> BTreeMap<String, String> {
    [
        ("placement/region", "eu-central-1"),
        (
            "identity-credentials/ec2/info",
            r#"{"Code":"Success","LastUpdated":"2024-01-01T00:00:00Z","AccountId":"012345678901"}"#,
        ),
        ("mac", "0e:12:34:56:78:9a"),
        (
            "network/interfaces/macs/0e:12:34:56:78:9a/vpc-id",
            "vpc-0a1b2c3d4e5f60718\n",
        ),
    ]
    .into_iter()
    .map(|(k, v)| (format!("/latest/meta-data/{k}"), v.to_string()))
    .collect()
}

/// An instance metadata server on loopback; every request line it got.
struct Server {
    url: String,
    requests: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn start(paths: BTreeMap<String, String>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (log, paths) = (requests.clone(), Arc::new(paths));
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (log, paths) = (log.clone(), paths.clone());
                std::thread::spawn(move || serve(stream, &log, &paths));
            }
        });
        Server { url, requests }
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().expect("log").clone()
    }
}

/// HTTP/1.1 requests on one connection, kept alive as the SDK's client expects.
fn serve(stream: TcpStream, log: &Mutex<Vec<String>>, paths: &BTreeMap<String, String>) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut out = stream;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let headers = read_headers(&mut reader);
        let length = headers
            .get("content-length")
            .and_then(|l| l.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let line = line.trim().to_string();
        log.lock().expect("log").push(line.clone());
        let (status, extra, body) = answer(&line, &headers, paths);
        let response = format!(
            "HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n{extra}\r\n{body}",
            body.len()
        );
        if out.write_all(response.as_bytes()).is_err() {
            return;
        }
    }
}

fn read_headers(reader: &mut impl BufRead) -> BTreeMap<String, String> {
    let mut headers = BTreeMap::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
            return headers;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
}

/// IMDSv2: a token for a PUT that asks a TTL; a read with the token.
fn answer(
    line: &str,
    headers: &BTreeMap<String, String>,
    paths: &BTreeMap<String, String>,
) -> (&'static str, String, String) {
    let mut words = line.split(' ');
    let (method, path) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
    let ttl = "x-aws-ec2-metadata-token-ttl-seconds";
    match (method, path) {
        ("PUT", "/latest/api/token") => match headers.get(ttl) {
            Some(secs) => ("200 OK", format!("{ttl}: {secs}\r\n"), TOKEN.into()),
            None => ("400 Bad Request", String::new(), String::new()),
        },
        ("GET", _)
            if headers.get("x-aws-ec2-metadata-token").map(String::as_str) != Some(TOKEN) =>
        {
            ("401 Unauthorized", String::new(), String::new())
        }
        ("GET", _) => match paths.get(path) {
            Some(v) => ("200 OK", String::new(), v.clone()),
            None => ("404 Not Found", String::new(), String::new()),
        },
        _ => ("405 Method Not Allowed", String::new(), String::new()),
    }
}

fn at(endpoint: &str) -> Metadata {
    Metadata {
        endpoint: endpoint.into(),
        disabled: false,
    }
}

fn named() -> Settings {
    Settings {
        cluster_name: Some("c".into()),
        ..Default::default()
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

#[test]
fn unset_identity_comes_from_instance_metadata_as_the_go_controller_reads_it() {
    let server = Server::start(an_instance());
    let config = runtime()
        .block_on(crate::config::resolve_with_metadata(
            named(),
            &at(&server.url),
        ))
        .expect("resolved");
    assert_eq!(config.cluster.region, "eu-central-1");
    assert_eq!(config.cluster.account_id, "012345678901");
    assert_eq!(config.cluster.vpc_id, "vpc-0a1b2c3d4e5f60718");
    let requests = server.requests();
    assert_eq!(
        requests[0], "PUT /latest/api/token HTTP/1.1",
        "{requests:?}"
    );
    assert!(
        requests.contains(
            &"GET /latest/meta-data/network/interfaces/macs/0e:12:34:56:78:9a/vpc-id HTTP/1.1"
                .into()
        ),
        "{requests:?}"
    );
}

#[test]
fn only_what_is_unset_is_asked_for() {
    let server = Server::start(an_instance());
    let settings = Settings {
        region: Some("us-east-2".into()),
        cluster_vpc_id: Some("vpc-1".into()),
        ..named()
    };
    let config = runtime()
        .block_on(crate::config::resolve_with_metadata(
            settings,
            &at(&server.url),
        ))
        .expect("resolved");
    assert_eq!(
        (
            config.cluster.region.as_str(),
            config.cluster.vpc_id.as_str()
        ),
        ("us-east-2", "vpc-1")
    );
    assert_eq!(config.cluster.account_id, "012345678901");
    let gets: Vec<String> = server
        .requests()
        .into_iter()
        .filter(|r| r.starts_with("GET"))
        .collect();
    assert_eq!(
        gets,
        vec!["GET /latest/meta-data/identity-credentials/ec2/info HTTP/1.1".to_string()]
    );
}

#[test]
fn with_the_identity_set_instance_metadata_is_never_asked() {
    let server = Server::start(an_instance());
    let settings = Settings {
        region: Some("us-east-2".into()),
        aws_account_id: Some("111122223333".into()),
        cluster_vpc_id: Some("vpc-1".into()),
        ..named()
    };
    let config = runtime()
        .block_on(crate::config::resolve_with_metadata(
            settings,
            &at(&server.url),
        ))
        .expect("resolved");
    assert_eq!(config.cluster.account_id, "111122223333");
    assert!(server.requests().is_empty(), "{:?}", server.requests());
}

/// A loopback port nothing listens on.
fn closed_port() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    drop(listener);
    url
}

#[test]
fn unreachable_metadata_is_one_line_naming_exactly_the_variables_to_set() {
    let url = closed_port();
    let settings = Settings {
        region: Some("us-east-2".into()),
        ..named()
    };
    let started = std::time::Instant::now();
    let err = runtime()
        .block_on(crate::config::resolve_with_metadata(settings, &at(&url)))
        .expect_err("unreachable")
        .to_string();
    assert!(started.elapsed() < TOTAL_TIMEOUT, "{:?}", started.elapsed());
    assert!(!err.contains('\n'), "{err}");
    assert!(
        err.starts_with(&format!("cannot reach EC2 instance metadata ({url}")),
        "{err}"
    );
    assert!(
        err.ends_with("): set AWS_ACCOUNT_ID and CLUSTER_VPC_ID"),
        "{err}"
    );
}

#[test]
fn disabled_metadata_is_never_asked_and_says_what_to_set() {
    let server = Server::start(an_instance());
    let off = Metadata {
        disabled: true,
        ..at(&server.url)
    };
    let err = runtime()
        .block_on(crate::config::resolve_with_metadata(named(), &off))
        .expect_err("disabled")
        .to_string();
    assert_eq!(
        err,
        "cannot reach EC2 instance metadata (AWS_EC2_METADATA_DISABLED=true): \
         set REGION, AWS_ACCOUNT_ID and CLUSTER_VPC_ID"
    );
    assert!(server.requests().is_empty());
}

#[test]
fn a_missing_answer_names_the_path() {
    let mut instance = an_instance();
    instance.remove("/latest/meta-data/mac");
    let server = Server::start(instance);
    let err = runtime()
        .block_on(crate::config::resolve_with_metadata(
            named(),
            &at(&server.url),
        ))
        .expect_err("no mac")
        .to_string();
    assert!(err.contains(": mac: "), "{err}");
    assert!(
        err.ends_with("set CLUSTER_VPC_ID") || err.contains("set REGION"),
        "{err}"
    );
}

#[test]
fn a_bad_setting_is_named_before_metadata_is_asked() {
    let server = Server::start(an_instance());
    let settings = Settings {
        cluster_name: None,
        ..Default::default()
    };
    let err = runtime()
        .block_on(crate::config::resolve_with_metadata(
            settings,
            &at(&server.url),
        ))
        .expect_err("no cluster name")
        .to_string();
    assert!(err.contains("CLUSTER_NAME is required"), "{err}");
    assert!(server.requests().is_empty());
}

#[test]
// figment's Jail fixes the closure's error type to figment::Error.
#[allow(clippy::result_large_err)]
fn the_sdks_variables_say_where_metadata_is_and_whether_to_ask() {
    figment::Jail::expect_with(|jail| {
        jail.set_env("AWS_EC2_METADATA_SERVICE_ENDPOINT", "");
        jail.set_env("AWS_EC2_METADATA_DISABLED", "");
        assert_eq!(Metadata::from_env(), at(DEFAULT_ENDPOINT));
        jail.set_env("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:1");
        jail.set_env("AWS_EC2_METADATA_DISABLED", "TRUE");
        let m = Metadata::from_env();
        assert_eq!(
            (m.endpoint.as_str(), m.disabled),
            ("http://127.0.0.1:1", true)
        );
        Ok(())
    });
}
