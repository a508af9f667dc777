//! kubectl, unmodified, against kube-sim.

use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::common::{all_crds_yaml, start};

const APP: &str = r#"
apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: lattice
  namespace: shop
spec:
  gatewayClassName: amazon-vpc-lattice
  listeners:
  - name: http
    protocol: HTTP
    port: 80
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: web
  namespace: shop
spec:
  parentRefs:
  - name: lattice
  hostnames: ["web.example.com"]
  rules:
  - backendRefs:
    - name: web
      port: 80
---
apiVersion: application-networking.k8s.aws/v1alpha1
kind: TargetGroupPolicy
metadata:
  name: web
  namespace: shop
spec:
  targetRef:
    group: ""
    kind: Service
    name: web
  protocol: HTTP
"#;

fn yaml(s: &str) -> Value {
    serde_yaml::from_str(s).expect("kubectl prints YAML")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_applies_crds_then_their_instances_and_reapplies_as_an_update() {
    let env = start().await;
    let crds = env.file("crds.yaml", &all_crds_yaml());
    let out = env.kubectl_ok(&["apply", "-f", &crds]).await;
    for line in [
        "customresourcedefinition.apiextensions.k8s.io/httproutes.gateway.networking.k8s.io created",
        "customresourcedefinition.apiextensions.k8s.io/targetgrouppolicies.application-networking.k8s.aws created",
    ] {
        assert!(out.contains(line), "missing {line:?} in:\n{out}");
    }
    let file = env.file("app.yaml", APP);
    let out = env.kubectl_ok(&["apply", "-f", &file]).await;
    for line in [
        "namespace/shop created",
        "gateway.gateway.networking.k8s.io/lattice created",
        "httproute.gateway.networking.k8s.io/web created",
        "targetgrouppolicy.application-networking.k8s.aws/web created",
    ] {
        assert!(out.contains(line), "missing {line:?} in:\n{out}");
    }

    let route = yaml(
        &env.kubectl_ok(&["get", "httproute", "web", "-n", "shop", "-o", "yaml"])
            .await,
    );
    assert_eq!(route["kind"], "HTTPRoute");
    assert_eq!(route["metadata"]["generation"], 1);
    assert_eq!(route["spec"]["hostnames"][0], "web.example.com");
    assert_eq!(
        route["spec"]["rules"][0]["matches"][0]["path"]["type"], "PathPrefix",
        "schema defaults applied"
    );

    let again = env.kubectl_ok(&["apply", "-f", &crds, "-f", &file]).await;
    assert!(again.contains("namespace/shop unchanged"), "{again}");
    assert!(
        again.contains("targetgrouppolicy.application-networking.k8s.aws/web unchanged"),
        "{again}"
    );
    // kubectl's merge patch resends lists the server defaulted ("configured"), but
    // the server sees no change and keeps the resourceVersion, as kube-apiserver does.
    let after = yaml(
        &env.kubectl_ok(&["get", "httproute", "web", "-n", "shop", "-o", "yaml"])
            .await,
    );
    assert_eq!(
        after["metadata"]["resourceVersion"],
        route["metadata"]["resourceVersion"]
    );
    // The CRD files carry a `status` stanza, so kubectl sends a (no-op) patch and says
    // "configured", exactly as against a real cluster.
    assert!(again.contains("customresourcedefinition.apiextensions.k8s.io/gateways.gateway.networking.k8s.io configured"));

    let changed = env.file(
        "app2.yaml",
        &APP.replace("web.example.com", "shop.example.com"),
    );
    let out = env.kubectl_ok(&["apply", "-f", &changed]).await;
    assert!(
        out.contains("httproute.gateway.networking.k8s.io/web configured"),
        "{out}"
    );
    let route = yaml(
        &env.kubectl_ok(&["get", "httproute", "web", "-n", "shop", "-o", "yaml"])
            .await,
    );
    assert_eq!(route["spec"]["hostnames"][0], "shop.example.com");
    assert_eq!(route["metadata"]["generation"], 2);

    let table = env.kubectl_ok(&["get", "httproutes", "-n", "shop"]).await;
    assert!(table.starts_with("NAME"), "{table}");
    assert!(
        table.contains("HOSTNAMES") && table.contains("[\"shop.example.com\"]"),
        "{table}"
    );

    let ssa = env
        .kubectl_ok(&[
            "apply",
            "--server-side",
            "--force-conflicts",
            "-f",
            &changed,
        ])
        .await;
    assert!(
        ssa.contains("httproute.gateway.networking.k8s.io/web serverside-applied"),
        "{ssa}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_get_watch_sees_additions_changes_and_deletions() {
    let env = start().await;
    let mut watch = env.kubectl_spawn(&[
        "get",
        "configmaps",
        "-n",
        "default",
        "-w",
        "--output-watch-events",
    ]);
    let stdout = watch.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let cm = env.file(
        "seen.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: seen\ndata:\n  a: \"1\"\n",
    );
    env.kubectl_ok(&["create", "-f", &cm]).await;
    env.kubectl_ok(&["label", "configmap", "seen", "tier=web"])
        .await;
    env.kubectl_ok(&["delete", "configmap", "seen"]).await;
    let mut events = Vec::new();
    let read = async {
        while let Ok(Some(l)) = lines.next_line().await {
            let first = l.split_whitespace().next().unwrap_or_default().to_string();
            if l.contains("seen") {
                events.push(first.clone());
            }
            if first == "DELETED" {
                break;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(20), read)
        .await
        .expect("watch output in time");
    assert_eq!(events, vec!["ADDED", "MODIFIED", "DELETED"]);
    let _ = watch.kill().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_patches_and_its_delete_waits_for_finalizers() {
    let env = start().await;
    let cm = env.file(
        "cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: held\n  finalizers: [example.com/hold]\ndata:\n  a: \"1\"\n",
    );
    env.kubectl_ok(&["apply", "-f", &cm]).await;
    let out = env
        .kubectl_ok(&[
            "patch",
            "configmap",
            "held",
            "--type",
            "merge",
            "-p",
            r#"{"data":{"b":"2"}}"#,
        ])
        .await;
    assert_eq!(out.trim(), "configmap/held patched");
    let got = yaml(
        &env.kubectl_ok(&["get", "configmap", "held", "-o", "yaml"])
            .await,
    );
    assert_eq!(
        (got["data"]["a"].as_str(), got["data"]["b"].as_str()),
        (Some("1"), Some("2"))
    );

    let svc = "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  selector: {app: web}\n  ports:\n  - port: 80\n  - port: 443\n";
    env.kubectl_ok(&["apply", "-f", &env.file("svc.yaml", svc)])
        .await;
    env.kubectl_ok(&[
        "patch",
        "service",
        "web",
        "-p",
        r#"{"spec":{"ports":[{"port":443,"name":"https"}]}}"#,
    ])
    .await;
    let got = yaml(
        &env.kubectl_ok(&["get", "service", "web", "-o", "yaml"])
            .await,
    );
    assert_eq!(
        got["spec"]["ports"].as_array().map(Vec::len),
        Some(2),
        "strategic merge keeps both ports"
    );
    assert_eq!(got["spec"]["ports"][1]["name"], "https");

    let mut del = env.kubectl_spawn(&["delete", "configmap", "held"]);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        del.try_wait().expect("poll").is_none(),
        "delete waits while a finalizer remains"
    );
    let got = yaml(
        &env.kubectl_ok(&["get", "configmap", "held", "-o", "yaml"])
            .await,
    );
    assert!(got["metadata"]["deletionTimestamp"].is_string());
    env.kubectl_ok(&[
        "patch",
        "configmap",
        "held",
        "--type",
        "json",
        "-p",
        r#"[{"op":"remove","path":"/metadata/finalizers"}]"#,
    ])
    .await;
    let done = tokio::time::timeout(Duration::from_secs(20), del.wait_with_output())
        .await
        .expect("delete ends")
        .expect("ran");
    assert!(done.status.success());
    assert_eq!(
        String::from_utf8_lossy(&done.stdout).trim(),
        "configmap \"held\" deleted"
    );
    let gone = env.kubectl(&["get", "configmap", "held"]).await;
    assert!(!gone.status.success());
    assert!(
        String::from_utf8_lossy(&gone.stderr)
            .contains("Error from server (NotFound): configmaps \"held\" not found")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_reports_instances_in_the_same_file_as_their_crds_like_a_real_cluster_and_a_second_apply_succeeds()
 {
    let env = start().await;
    let both = env.file("both.yaml", &format!("{}---{APP}", all_crds_yaml()));
    let first = env.kubectl(&["apply", "-f", &both]).await;
    let (out, err) = (
        String::from_utf8_lossy(&first.stdout),
        String::from_utf8_lossy(&first.stderr),
    );
    assert!(!first.status.success());
    assert!(out.contains("customresourcedefinition.apiextensions.k8s.io/httproutes.gateway.networking.k8s.io created"), "{out}");
    assert!(
        err.contains("no matches for kind \"HTTPRoute\"")
            && err.contains("ensure CRDs are installed first"),
        "{err}"
    );
    let second = env.kubectl_ok(&["apply", "-f", &both]).await;
    assert!(
        second.contains("httproute.gateway.networking.k8s.io/web created"),
        "{second}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_create_generators_which_send_protobuf_create_the_objects() {
    let env = start().await;
    assert_eq!(
        env.kubectl_ok(&["create", "namespace", "gen"]).await.trim(),
        "namespace/gen created"
    );
    env.kubectl_ok(&[
        "create",
        "configmap",
        "c",
        "-n",
        "gen",
        "--from-literal=a=1",
    ])
    .await;
    env.kubectl_ok(&[
        "create",
        "secret",
        "generic",
        "s",
        "-n",
        "gen",
        "--from-literal=p=pw",
    ])
    .await;
    env.kubectl_ok(&[
        "create",
        "service",
        "clusterip",
        "web",
        "-n",
        "gen",
        "--tcp=80:8080",
    ])
    .await;
    let cm = yaml(
        &env.kubectl_ok(&["get", "configmap", "c", "-n", "gen", "-o", "yaml"])
            .await,
    );
    assert_eq!(cm["data"]["a"], "1");
    let secret = yaml(
        &env.kubectl_ok(&["get", "secret", "s", "-n", "gen", "-o", "yaml"])
            .await,
    );
    assert_eq!(secret["data"]["p"], "cHc=");
    let svc = yaml(
        &env.kubectl_ok(&["get", "service", "web", "-n", "gen", "-o", "yaml"])
            .await,
    );
    assert_eq!(svc["spec"]["ports"][0]["targetPort"], 8080);
    assert!(
        svc["spec"]["clusterIP"]
            .as_str()
            .is_some_and(|ip| ip.starts_with("10.96."))
    );
    assert_eq!(secret["type"], "Opaque");
    let tables = env.kubectl_ok(&["get", "svc,cm,secret", "-n", "gen"]).await;
    for want in ["EXTERNAL-IP   PORT(S)", "80/TCP", "DATA", "Opaque   1"] {
        assert!(tables.contains(want), "missing {want:?} in:\n{tables}");
    }

    // The generators for a controller's own objects: a Deployment, its ServiceAccount
    // and RBAC, all sent as protobuf.
    for args in [
        &[
            "create",
            "deployment",
            "ctl",
            "--image=ctl:1",
            "--port=8080",
            "--replicas=2",
        ][..],
        &["create", "serviceaccount", "ctl"],
        &[
            "create",
            "role",
            "ctl",
            "--verb=get,list,watch",
            "--resource=services",
        ],
        &[
            "create",
            "rolebinding",
            "ctl",
            "--role=ctl",
            "--serviceaccount=gen:ctl",
        ],
        &[
            "create",
            "clusterrole",
            "system:ctl",
            "--verb=get",
            "--resource=namespaces",
        ],
        &[
            "create",
            "clusterrolebinding",
            "ctl",
            "--clusterrole=system:ctl",
            "--user=u",
        ],
    ] {
        let mut args = args.to_vec();
        args.extend(["-n", "gen"]);
        env.kubectl_ok(&args).await;
    }
    let deploy = yaml(
        &env.kubectl_ok(&["get", "deploy", "ctl", "-n", "gen", "-o", "yaml"])
            .await,
    );
    assert_eq!(deploy["spec"]["replicas"], 2);
    assert_eq!(deploy["spec"]["selector"]["matchLabels"]["app"], "ctl");
    let c = &deploy["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(
        (c["image"].as_str(), &c["ports"][0]["containerPort"]),
        (Some("ctl:1"), &json!(8080))
    );
    let rb = yaml(
        &env.kubectl_ok(&["get", "rolebinding", "ctl", "-n", "gen", "-o", "yaml"])
            .await,
    );
    assert_eq!(rb["roleRef"]["name"], "ctl");
    assert_eq!(
        rb["subjects"][0],
        json!({"kind": "ServiceAccount", "name": "ctl", "namespace": "gen"})
    );
    let cr = yaml(
        &env.kubectl_ok(&["get", "clusterrole", "system:ctl", "-o", "yaml"])
            .await,
    );
    assert_eq!(cr["rules"][0]["verbs"], json!(["get"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_apply_of_an_undeclared_field_fails_like_strict_field_validation_on_a_real_cluster()
{
    let env = start().await;
    env.kubectl_ok(&[
        "apply",
        "-f",
        &crate::common::gateway_crd("httproutes")
            .display()
            .to_string(),
    ])
    .await;
    let typo = "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: typo\nspec:\n  hostname: [a.example.com]\n";
    let out = env
        .kubectl(&["apply", "-f", &env.file("typo.yaml", typo)])
        .await;
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("Error from server (BadRequest)"), "{err}");
    assert!(
        err.contains("strict decoding error: unknown field \"spec.hostname\""),
        "{err}"
    );

    // Built-in kinds are decoded as typed: a typo is refused the same way, and a value
    // of the wrong type as encoding/json refuses it.
    let svc =
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  prots: [{port: 80}]\n";
    let out = env
        .kubectl(&["apply", "-f", &env.file("svc.yaml", svc)])
        .await;
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("Service in version \"v1\" cannot be handled as a Service: strict decoding error: unknown field \"spec.prots\""),
        "{err}"
    );
    let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  replicas: 3\n";
    let out = env
        .kubectl(&["apply", "-f", &env.file("cm.yaml", cm)])
        .await;
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "json: cannot unmarshal number 3 into Go struct field ConfigMap.data of type string"
        ),
        "{err}"
    );

    // kubectl patch sends no fieldValidation: the server's default drops the field and
    // says so in a Warning header, which kubectl prints.
    let route = "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: web\nspec:\n  hostnames: [a.example.com]\n";
    env.kubectl_ok(&["apply", "-f", &env.file("route.yaml", route)])
        .await;
    let out = env
        .kubectl(&[
            "patch",
            "httproute",
            "web",
            "--type",
            "merge",
            "-p",
            r#"{"spec":{"bogus":1}}"#,
        ])
        .await;
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("Warning: unknown field \"spec.bogus\""),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_server_side_apply_reports_a_conflict_with_client_side_apply_until_forced() {
    let env = start().await;
    let cm = |v: &str| {
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: mig\ndata:\n  a: \"{v}\"\n")
    };
    env.kubectl_ok(&["apply", "-f", &env.file("m1.yaml", &cm("1"))])
        .await;
    let changed = env.file("m2.yaml", &cm("2"));
    let out = env
        .kubectl(&["apply", "--server-side", "-f", &changed])
        .await;
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using v1: .data.a"),
        "{err}"
    );
    let forced = env
        .kubectl_ok(&[
            "apply",
            "--server-side",
            "--force-conflicts",
            "-f",
            &changed,
        ])
        .await;
    assert_eq!(forced.trim(), "configmap/mig serverside-applied");
    let got = yaml(
        &env.kubectl_ok(&["get", "configmap", "mig", "-o", "yaml"])
            .await,
    );
    assert_eq!(got["data"]["a"], "2");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_apply_of_a_manifest_that_breaks_a_crd_cel_rule_fails_as_on_a_real_cluster() {
    let env = start().await;
    let crds = env.file("crds.yaml", &all_crds_yaml());
    env.kubectl_ok(&["apply", "-f", &crds]).await;
    let bad = env.file(
        "bad.yaml",
        r#"
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  gatewayClassName: amazon-vpc-lattice
  listeners:
  - {name: http, protocol: HTTP, port: 80}
  - {name: http, protocol: HTTPS, port: 443}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web}
spec:
  rules:
  - matches:
    - path: {type: PathPrefix, value: "web"}
    backendRefs: [{name: web, port: 80}]
  - filters:
    - type: RequestHeaderModifier
    backendRefs: [{name: web, port: 80}]
"#,
    );
    let out = env.kubectl(&["apply", "-f", &bad]).await;
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    for want in [
        r#"Gateway.gateway.networking.k8s.io "gw" is invalid: [spec.listeners[1]: Duplicate value: map[string]interface {}{"name":"http"}, spec.listeners: Invalid value: "array": Listener name must be unique within the Gateway]"#,
        r#"spec.rules[0].matches[0].path: Invalid value: "object": value must be an absolute path and start with '/' when type one of ['Exact', 'PathPrefix']"#,
        r#"spec.rules[1].filters[0]: Invalid value: "object": filter.requestHeaderModifier must be specified for RequestHeaderModifier filter.type"#,
    ] {
        assert!(err.contains(want), "missing {want:?} in:\n{err}");
    }
    let listed = env
        .kubectl_ok(&["get", "gateways,httproutes", "-o", "name"])
        .await;
    assert_eq!(listed.trim(), "", "nothing invalid is stored");

    // The route, mended, applies; a patch that breaks the rule again does not.
    let good = env.file(
        "good.yaml",
        r#"
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web}
spec:
  rules:
  - matches:
    - path: {type: PathPrefix, value: "/web"}
    backendRefs: [{name: web, port: 80}]
"#,
    );
    env.kubectl_ok(&["apply", "-f", &good]).await;
    let out = env
        .kubectl(&[
            "patch",
            "httproute",
            "web",
            "--type",
            "json",
            "-p",
            r#"[{"op":"replace","path":"/spec/rules/0/matches/0/path/value","value":"web"}]"#,
        ])
        .await;
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("must be an absolute path"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_apply_prune_deletes_what_a_labelled_set_no_longer_holds() {
    let env = start().await;
    let cm = |name: &str| {
        format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  labels: {{set: p}}\n"
        )
    };
    let both = env.file("both.yaml", &format!("{}---\n{}", cm("p1"), cm("p2")));
    env.kubectl_ok(&["apply", "--prune", "-l", "set=p", "-f", &both])
        .await;
    let one = env.file("one.yaml", &cm("p1"));
    let out = env
        .kubectl_ok(&["apply", "--prune", "-l", "set=p", "-f", &one])
        .await;
    assert!(out.contains("configmap/p2 pruned"), "{out}");
    let left = env
        .kubectl_ok(&["get", "cm", "-l", "set=p", "-o", "name"])
        .await;
    assert_eq!(left.trim(), "configmap/p1");
}
