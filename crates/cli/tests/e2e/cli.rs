//! The `lattice-host` binary as users and scripts call it: golden plans of
//! `examples/`, the JSON contract, and errors that name file and line.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .unwrap()
        .to_path_buf()
}

/// Runs `crates/cli/tests/py/<script>` (boto3, or anything else of the
/// test Python) with `args` and reads the JSON it prints.
pub fn boto3<S: AsRef<std::ffi::OsStr>>(script: &str, args: &[S]) -> serde_json::Value {
    let out = Command::new("python3")
        .arg(root().join("crates/cli/tests/py").join(script))
        .args(args)
        .output()
        .expect("python3 with boto3 (scripts/setup --test)");
    assert!(
        out.status.success(),
        "{script}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{script} printed no JSON: {e}"))
}

fn lattice_host(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lattice-host"))
        .args(args)
        .current_dir(root())
        .env(
            "LATTICE_HOST_CACHE_DIR",
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("components"),
        )
        .output()
        .expect("run lattice-host")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Plugin digests change whenever plugin code does; goldens compare the rest.
fn normalise(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("@sha256:") {
        out.push_str(&rest[..i + 8]);
        rest = &rest[i + 8..];
        let hex = rest.bytes().take_while(u8::is_ascii_hexdigit).count();
        out.push_str("<digest>");
        rest = &rest[hex..];
    }
    out.push_str(rest);
    out
}

fn golden(name: &str, actual: &str) {
    let path = root().join("crates/cli/tests/golden").join(name);
    let actual = normalise(actual);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run with UPDATE_GOLDEN=1 to create it",
            path.display()
        )
    });
    pretty_assertions::assert_eq!(
        expected,
        actual,
        "golden {name} differs; UPDATE_GOLDEN=1 rewrites it"
    );
}

#[test]
fn bookstore_plan_matches_its_golden_json() {
    let o = lattice_host(&["plan", "-f", "examples/bookstore", "-o", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    golden("bookstore.json", &stdout(&o));
}

#[test]
fn bookstore_plan_matches_its_golden_table() {
    let o = lattice_host(&["plan", "-f", "examples/bookstore"]);
    assert!(o.status.success(), "{}", stderr(&o));
    golden("bookstore.txt", &stdout(&o));
}

#[test]
fn unsupported_example_plans_with_its_diagnostics() {
    let o = lattice_host(&["plan", "-f", "examples/unsupported", "-o", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    golden("unsupported.json", &stdout(&o));
}

#[test]
fn json_output_follows_the_documented_contract() {
    let o = lattice_host(&["plan", "-f", "examples/bookstore/", "-o", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    for key in ["services", "targetGroups", "serviceNetworks", "diagnostics"] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    let svc = &v["services"][0];
    for key in [
        "name",
        "route",
        "routeKind",
        "customDomainName",
        "authType",
        "authPolicy",
        "listeners",
    ] {
        assert!(svc.get(key).is_some(), "service is missing {key}");
    }
    let rule = &svc["listeners"][0]["rules"][0];
    for key in ["priority", "match", "action", "origin"] {
        assert!(rule.get(key).is_some(), "rule is missing {key}");
    }
    assert!(
        rule["origin"]["plugin"]
            .as_str()
            .unwrap()
            .starts_with("route-mapper@sha256:")
    );
    assert!(rule["action"].get("forward").is_some());
    let tg = &v["targetGroups"][0];
    for key in [
        "name",
        "backend",
        "port",
        "protocol",
        "protocolVersion",
        "targets",
    ] {
        assert!(tg.get(key).is_some(), "target group is missing {key}");
    }
}

#[test]
fn yaml_output_is_the_same_plan() {
    let json: serde_json::Value = serde_json::from_slice(
        &lattice_host(&["plan", "-f", "examples/bookstore", "-o", "json"]).stdout,
    )
    .unwrap();
    let yaml: serde_json::Value = serde_yaml::from_slice(
        &lattice_host(&["plan", "-f", "examples/bookstore", "-o", "yaml"]).stdout,
    )
    .unwrap();
    assert_eq!(json, yaml);
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

#[test]
fn malformed_yaml_names_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "bad.yaml",
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: ok\n---\napiVersion: v1\nkind: Service: oops\nmetadata: {}\n",
    );
    let o = lattice_host(&["plan", "-f", &f]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(err.contains(&format!("{f}:7")), "{err}");
    assert!(err.contains("not valid YAML"), "{err}");
}

#[test]
fn an_object_that_breaks_its_schema_names_the_file_line_and_object() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "route.yaml",
        "# a comment\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: broken\nspec:\n  rules: not-a-list\n",
    );
    let o = lattice_host(&["plan", "-f", &f]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(
        err.contains(&format!("{f}:1")) && err.contains("HTTPRoute broken"),
        "{err}"
    );
}

#[test]
fn a_missing_file_is_an_error_naming_it() {
    let o = lattice_host(&["plan", "-f", "no/such/file.yaml"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("no/such/file.yaml"), "{}", stderr(&o));
}

#[test]
fn a_document_that_is_not_an_object_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "list.yaml", "- just\n- a list\n");
    let o = lattice_host(&["plan", "-f", &f]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("expected a Kubernetes object"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn plugin_flag_replaces_a_stage_and_rejects_bad_plugins() {
    let dir = tempfile::tempdir().unwrap();
    let junk = write(dir.path(), "junk.wasm", "not wasm");
    let o = lattice_host(&[
        "plan",
        "-f",
        "examples/bookstore",
        "--plugin",
        &format!("mapping={junk}"),
    ]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("not a WebAssembly component"),
        "{}",
        stderr(&o)
    );

    let o = lattice_host(&[
        "plan",
        "-f",
        "examples/bookstore",
        "--plugin",
        "routing=x.wasm",
    ]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("unknown stage \"routing\""),
        "{}",
        stderr(&o)
    );

    let faulty = test_plugins::FAULTY;
    let o = lattice_host(&[
        "plan",
        "-f",
        "examples/bookstore",
        "-o",
        "json",
        "--plugin",
        &format!("mapping={faulty}"),
        "--plugin-settings",
        r#"mapping={"fault":"none"}"#,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let origin = v["services"][0]["listeners"][0]["rules"][0]["origin"]["plugin"]
        .as_str()
        .unwrap();
    assert!(origin.starts_with("faulty@sha256:"), "{origin}");
}

#[test]
fn plan_lists_a_route_its_plugin_failed_on_as_kept_and_fail_closed_answers_500() {
    let plan = |policy: &str| {
        let o = lattice_host(&[
            "plan",
            "-f",
            "examples/bookstore",
            "-o",
            "json",
            "--plugin",
            &format!("mapping={}", test_plugins::FAULTY),
            "--plugin-settings",
            r#"mapping={"fault":"trap","onRoute":"books"}"#,
            "--plugin-failure-policy",
            &format!("mapping={policy}"),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap()
    };
    let kept = plan("KeepLastGood");
    assert_eq!(kept["kept"][0]["service"], "books-bookstore", "{kept}");
    assert!(
        kept["kept"][0]["plugin"]
            .as_str()
            .unwrap()
            .starts_with("faulty@sha256:")
    );
    let services = kept["services"].as_array().unwrap();
    assert!(services.iter().all(|s| s["name"] != "books-bookstore"));

    let closed = plan("FailClosed");
    assert!(closed.get("kept").is_none(), "{closed}");
    let books = closed["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "books-bookstore")
        .expect("a closed service");
    assert_eq!(
        books["listeners"][0]["defaultAction"],
        serde_json::json!({"fixedResponse": 500})
    );

    let o = lattice_host(&[
        "plan",
        "-f",
        "examples/bookstore",
        "--plugin-failure-policy",
        "mapping=Sometimes",
    ]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("unknown failure policy"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn bench_plugins_prints_its_figures() {
    // A loaded CI machine can stretch one call of the debug build past the
    // 100 ms production budget; the figures, not the budget, are tested.
    let o = lattice_host(&[
        "bench",
        "plugins",
        "--routes",
        "20",
        "--json",
        "--plugin-timeout-ms",
        "10000",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("one JSON object");
    assert_eq!(v["routes"], 20);
    for key in [
        "wasm_ms",
        "native_ms",
        "ratio",
        "warm_call_us",
        "fresh_call_us",
    ] {
        assert!(v[key].as_f64().is_some_and(|x| x > 0.0), "{key}: {v}");
    }
}

#[test]
fn bench_e2e_reports_what_one_change_cost_in_lattice_calls() {
    let o = lattice_host(&["bench", "e2e", "--routes", "5", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("one JSON object");
    assert_eq!(v["routes"], 5);
    let change = v["change_calls"].as_u64().expect("change_calls");
    let all = v["api_calls"].as_u64().expect("api_calls");
    // At least the write, and far fewer than converging five routes took.
    assert!(change >= 1 && change * 2 < all, "{v}");
}

#[test]
fn bench_e2e_external_reports_the_controller_process_memory_apart() {
    let o = lattice_host(&["bench", "e2e", "--routes", "5", "--external", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("one JSON object");
    let controller = v["controller_rss_mb"].as_f64().expect("controller_rss_mb");
    let peak = v["controller_peak_mb"]
        .as_f64()
        .expect("controller_peak_mb");
    assert!(controller > 1.0 && peak >= controller, "{v}");
    // The emulators' process is not the controller's.
    assert!(v["rss_mb"].as_f64().is_some_and(|m| m > 1.0), "{v}");
    // Read by id or listed, whichever takes fewer calls.
    assert!(
        v["change_calls"]
            .as_u64()
            .is_some_and(|c| (1..=10).contains(&c)),
        "{v}"
    );
}

#[test]
fn bench_faults_runs_every_suite_and_nothing_is_lost_or_doubled() {
    let o = lattice_host(&[
        "bench",
        "faults",
        "--routes",
        "30",
        "--kills",
        "3",
        "--disrupt-ms",
        "150",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("one JSON object");
    // The issue's figures, at the top.
    for key in lattice_bench::faults::ISSUE_FIGURES {
        assert!(v.get(key).is_some(), "no {key} in {v}");
    }
    assert_eq!(
        (&v["kills"], &v["converged"]),
        (&3.into(), &true.into()),
        "{v}"
    );
    assert_eq!(
        (&v["orphans"], &v["duplicates"], &v["missing"]),
        (&0.into(), &0.into(), &0.into()),
        "{v}"
    );
    // The killed processes did make calls: the kills were mid-way.
    assert!(
        v["crash"]["calls_before_kills"]
            .as_u64()
            .is_some_and(|c| c > 0),
        "{v}"
    );
    // The API server restarted and conflicted, and it still converged.
    assert_eq!(v["kubernetes"]["restarts"], 1, "{v}");
    assert_eq!(v["kubernetes"]["programmed"], 30, "{v}");
}

#[test]
fn bench_failover_passes_the_lease_and_the_replicas_never_write_together() {
    let o = lattice_host(&[
        "bench",
        "failover",
        "--routes",
        "30",
        "--lease-secs",
        "3",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("one JSON object");
    assert_eq!(v["programmed"], 30, "{v}");
    assert_eq!(
        (&v["orphans"], &v["duplicates"], &v["missing"]),
        (&0.into(), &0.into(), &0.into()),
        "{v}"
    );
    // Both wrote, never at once; the follower only after the kill, and
    // only once the Lease had expired.
    assert_eq!(v["follower_writes_before_kill"], 0, "{v}");
    assert!(v["leader_writes"].as_u64().is_some_and(|w| w > 0), "{v}");
    assert!(v["follower_writes"].as_u64().is_some_and(|w| w >= 2), "{v}");
    assert!(
        v["after_expiry_ms"].as_i64().is_some_and(|ms| ms >= 0),
        "{v}"
    );
    // Within the Lease and a retry period (400 ms of a 3 s Lease), with
    // room for a slow machine.
    assert!(
        v["takeover_ms"]
            .as_u64()
            .is_some_and(|ms| ms <= 3_000 + 400 + 2_000),
        "{v}"
    );
}

#[test]
fn bench_swap_prints_the_issues_figures_as_one_json_object() {
    let o = lattice_host(&["bench", "swap", "--routes", "5", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("one JSON object");
    assert_eq!(v["routes"], 5);
    assert_eq!(v["failed_reconciles"], 0, "{v}");
    assert!(v["swap_ms"].as_u64().is_some_and(|ms| ms > 0), "{v}");
    assert!(v["writes"].as_u64().is_some_and(|w| w >= 5), "{v}");
    assert_eq!(v["target_ms"], 1000);
    assert!(v["met"].is_boolean(), "{v}");
    let text = lattice_host(&["bench", "swap", "--routes", "5"]);
    assert!(text.status.success(), "{}", stderr(&text));
    let text = stdout(&text);
    assert!(
        text.contains("target 1000 ms") && text.contains("failed reconciles  0"),
        "{text}"
    );
}

#[test]
fn run_names_a_missing_or_bad_setting_and_where_it_came_from() {
    let o = Command::new(env!("CARGO_BIN_EXE_lattice-host"))
        .arg("run")
        .env_remove("CLUSTER_NAME")
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("CLUSTER_NAME is required"),
        "{}",
        stderr(&o)
    );

    let o = Command::new(env!("CARGO_BIN_EXE_lattice-host"))
        .arg("run")
        .env("CLUSTER_NAME", "c")
        .env("ROUTE_MAX_CONCURRENT_RECONCILES", "lots")
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(
        err.contains("ROUTE_MAX_CONCURRENT_RECONCILES") && err.contains("environment"),
        "{err}"
    );
}

/// The child `run` starts to compile its plugins needs no cluster and no
/// settings: it fills the cache with every plugin the flags name and exits.
#[test]
fn runs_compile_child_fills_the_plugin_cache_and_exits() {
    let dir = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_lattice-host"))
        .args(["run", "--cache-dir"])
        .arg(dir.path())
        .env("LATTICE_HOST_COMPILE_ONLY", "1")
        .env_remove("CLUSTER_NAME")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let compiled = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "cwasm"))
        .count();
    assert_eq!(compiled, 3, "one per default plugin");
}

#[test]
fn run_without_identity_or_instance_metadata_names_the_variables_to_set() {
    let closed = format!("http://127.0.0.1:{}", free_port());
    let run = |metadata: &[(&str, &str)]| {
        Command::new(env!("CARGO_BIN_EXE_lattice-host"))
            .arg("run")
            .env("CLUSTER_NAME", "c")
            .env("REGION", "")
            .env_remove("AWS_ACCOUNT_ID")
            .env_remove("CLUSTER_VPC_ID")
            .env_remove("AWS_EC2_METADATA_DISABLED")
            .envs(metadata.iter().copied())
            .output()
            .unwrap()
    };
    let o = run(&[("AWS_EC2_METADATA_SERVICE_ENDPOINT", &closed)]);
    assert!(!o.status.success());
    let err = stderr(&o);
    let last = err.lines().last().unwrap_or_default();
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(
        last.starts_with(&format!(
            "error: cannot reach EC2 instance metadata ({closed}"
        )) && last.ends_with("): set REGION, AWS_ACCOUNT_ID and CLUSTER_VPC_ID"),
        "{err}"
    );

    let o = run(&[("AWS_EC2_METADATA_DISABLED", "true")]);
    assert_eq!(
        stderr(&o).trim_end(),
        "error: cannot reach EC2 instance metadata (AWS_EC2_METADATA_DISABLED=true): set REGION, AWS_ACCOUNT_ID and CLUSTER_VPC_ID"
    );
}

/// `demo --once` with `extra` flags and its kubeconfig at `kubeconfig`
/// (in `dir`); what it printed, once it exited 0.
fn demo_once(dir: &Path, kubeconfig: &str, extra: &[&str]) -> String {
    let kubeconfig = dir.join(kubeconfig);
    let mut args = vec!["demo", "--once", "--timeout-secs", "60"];
    args.extend(extra);
    args.extend(["--kubeconfig", kubeconfig.to_str().unwrap()]);
    let o = lattice_host(&args);
    let out = stdout(&o);
    assert!(o.status.success(), "{out}\n{}", stderr(&o));
    out
}

#[test]
fn demo_once_converges_the_examples_and_shows_the_lattice_tree() {
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    let out = demo_once(dir.path(), "kubeconfig", &[]);
    assert!(out.contains("HTTPRoute bookstore/books: Accepted=True(Accepted) ResolvedRefs=True(ResolvedRefs) Programmed=True(Programmed)"), "{out}");
    assert!(out.contains("ResolvedRefs=False(BackendNotFound)"), "{out}");
    assert!(
        out.contains("service network bookstore  auth AWS_IAM"),
        "{out}"
    );
    assert!(out.contains("k8s-books-bookstore-books-v1-bookstore-8080-http-http1 (90), k8s-books-bookstore-books-v2-bookstore-8080-http-http1 (10)"), "{out}");
    assert!(
        std::fs::read_to_string(&kubeconfig)
            .unwrap()
            .contains("server: http://127.0.0.1:")
    );
}

#[test]
fn demo_multicluster_once_converges_both_clusters_and_shows_where_each_group_lives() {
    let dir = tempfile::tempdir().unwrap();
    let out = demo_once(dir.path(), "demo-kubeconfig.yaml", &["--multicluster"]);
    assert!(
        out.contains("ServiceExport inventory/inventory-ver2: Valid=True(Valid) Ready=True(Ready)"),
        "{out}"
    );
    assert!(
        out.contains("(80), k8s-export-inventory-ver2-inventory-80-http-http1-west (20)"),
        "{out}"
    );
    assert!(out.contains("k8s-export-inventory-ver2-inventory-80-http-http1-west  HTTP:80  cluster west  vpc-0west000000000000"), "{out}");
    assert!(out.contains("LAMBDA  cluster east"), "{out}");
    for cluster in ["east", "west"] {
        let path = dir.path().join(format!("demo-kubeconfig-{cluster}.yaml"));
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            text.contains("server: http://127.0.0.1:"),
            "{}",
            path.display()
        );
    }
}

/// A free loopback port (bound, then released).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn the_demo_leaves_lattice_holding_exactly_the_plan_as_boto3_reads_it() {
    use std::io::BufRead;
    let port = free_port();
    let dir = tempfile::tempdir().unwrap();
    // The demo's default manifests (examples/lambda is applied elsewhere).
    let plan = lattice_host(&[
        "plan",
        "-f",
        "examples/bookstore",
        "-f",
        "examples/unsupported",
        "-o",
        "json",
    ]);
    assert!(plan.status.success(), "{}", stderr(&plan));
    let plan_path = dir.path().join("plan.json");
    std::fs::write(&plan_path, &plan.stdout).unwrap();

    let kubeconfig = dir.path().join("kubeconfig");
    let mut demo = Command::new(env!("CARGO_BIN_EXE_lattice-host"))
        .args([
            "demo",
            "--lattice-listen",
            &format!("127.0.0.1:{port}"),
            "--kubeconfig",
            kubeconfig.to_str().unwrap(),
        ])
        .current_dir(root())
        .env(
            "LATTICE_HOST_CACHE_DIR",
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("components"),
        )
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let out = demo.stdout.take().unwrap();
    let mut lines = std::io::BufReader::new(out).lines();
    let ready = lines
        .by_ref()
        .map_while(Result::ok)
        .any(|l| l.starts_with("Reconciling what you change"));
    assert!(ready, "the demo did not converge");
    let check = Command::new("python3")
        .arg(root().join("crates/cli/tests/py/lattice_equals_plan.py"))
        .arg(format!("http://127.0.0.1:{port}"))
        .arg(&plan_path)
        .output()
        .expect("python3 with boto3 (scripts/setup --test)");
    let _ = demo.kill();
    let _ = demo.wait();
    assert!(
        check.status.success(),
        "lattice-sim differs from the plan:\n{}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
}

#[test]
fn a_reader_that_closes_the_pipe_ends_the_command_quietly() {
    use std::io::Read;
    // More plan than a pipe buffers (64 KiB), so the writer meets the hang-up.
    let dir = tempfile::tempdir().expect("temp dir");
    let routes: String = (0..400)
        .map(|i| {
            format!(
                "---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {{name: r{i}, namespace: bookstore}}\nspec:\n  parentRefs: [{{name: bookstore}}]\n  rules: [{{backendRefs: [{{name: books-v1, port: 8080}}]}}]\n"
            )
        })
        .collect();
    std::fs::write(dir.path().join("routes.yaml"), routes).expect("write");
    let gateway = root().join("examples/bookstore/gateway.yaml");
    let services = root().join("examples/bookstore/services.yaml");
    let mut child = Command::new(env!("CARGO_BIN_EXE_lattice-host"))
        .current_dir(root())
        .args(["plan", "-o", "yaml", "-f"])
        .arg(&gateway)
        .arg(&services)
        .arg(dir.path().join("routes.yaml"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("lattice-host runs");
    // Read one byte, then hang up, as `| head -c1` does.
    let mut out = child.stdout.take().expect("stdout");
    let mut first = [0u8; 1];
    out.read_exact(&mut first).expect("some output");
    drop(out);
    let o = child.wait_with_output().expect("it ends");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        matches!(o.status.code(), Some(0) | Some(141)),
        "{:?} {err}",
        o.status
    );
}
