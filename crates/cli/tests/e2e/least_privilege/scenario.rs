//! A representative run of the controller against kube-sim and lattice-sim
//! that takes every path that asks either of them for something: converge
//! the bookstore and a TLS gateway (creates, tags, a takeover), plugin
//! objects (a ConfigMap source, a delegated-to-nobody LatticePlugin, an OCI
//! source with a pull secret), a restart (leader Lease renewed, Lattice
//! read afresh), edits (auth policies removed, endpoints removed, rules
//! changed and removed, a listener moved, a health check, a route's tags
//! annotation added and changed), and deletions (a route, a TLS
//! route and its Gateway, then the bookstore's: finalizers, services,
//! service networks and the VPC association). It records what the
//! controller asked for: kube-sim's audit log of its user, and the VPC
//! Lattice operations lattice-sim served.

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use kube::api::{Api, DeleteParams, DynamicObject, Patch, PatchParams, PostParams};
use kube::core::{ApiResource, GroupVersionKind};
use kube_sim::ApiRequest;
use lattice_controller::{Options, leader::Election};
use serde_json::{Value, json};

use crate::cli::root;

/// The controller's user: its service account, as the API server names it.
pub const USER: &str = "system:serviceaccount:lattice-host-system:lattice-host";
/// The controller's namespace (`POD_NAMESPACE`), as deploy/ sets it.
pub const NAMESPACE: &str = "lattice-host-system";
/// Who owned the Lattice service the scenario takes over.
const OTHER_OWNER: &str = "999999999999/other-cluster/vpc-0ther";

/// What the controller asked for.
pub struct Recorded {
    /// Its Kubernetes requests (user, verb, group, resource, subresource,
    /// namespace, name), counted.
    pub kube: BTreeMap<ApiRequest, u64>,
    /// The VPC Lattice operations lattice-sim served it, counted.
    pub lattice: BTreeMap<String, u64>,
}

fn ar(group: &str, version: &str, kind: &str, plural: &str) -> ApiResource {
    ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, kind), plural)
}

fn gw(kind: &str, plural: &str) -> ApiResource {
    ar("gateway.networking.k8s.io", "v1", kind, plural)
}

fn client_as(url: &str, user: &str) -> kube::Client {
    lattice_wiring::install_crypto_provider();
    let mut config = kube::Config::new(url.parse().expect("url"));
    config.auth_info.token = Some(user.to_string().into());
    kube::Client::try_from(config).expect("client")
}

/// The inventory: a Gateway with a TLS passthrough listener, a TLSRoute
/// splitting 80/20 across two Services, their EndpointSlices, a
/// TargetGroupPolicy checking one Service's health, and an AccessLogPolicy
/// on the Gateway.
fn inventory() -> String {
    let mut out = String::from(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: inventory\n---\n\
         apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata:\n  name: inventory\n  namespace: inventory\n\
         spec:\n  gatewayClassName: amazon-vpc-lattice\n  listeners:\n  - name: tls\n    protocol: TLS\n    port: 443\n    tls:\n      mode: Passthrough\n---\n\
         apiVersion: gateway.networking.k8s.io/v1\nkind: TLSRoute\nmetadata:\n  name: stock\n  namespace: inventory\n\
         spec:\n  parentRefs:\n  - name: inventory\n  hostnames: [stock.inventory.example.com]\n  rules:\n  - backendRefs:\n\
         \x20   - {name: stock-v1, port: 8443, weight: 80}\n    - {name: stock-v2, port: 8443, weight: 20}\n",
    );
    for (svc, ip) in [("stock-v1", "10.0.4.11"), ("stock-v2", "10.0.4.21")] {
        out.push_str(&format!(
            "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: {svc}\n  namespace: inventory\n\
             spec:\n  ports:\n  - {{name: tls, port: 8443, targetPort: 8443}}\n---\n\
             apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: {svc}-1\n  namespace: inventory\n\
             \x20 labels: {{kubernetes.io/service-name: {svc}}}\naddressType: IPv4\nports:\n- {{name: tls, port: 8443}}\n\
             endpoints:\n- addresses: [\"{ip}\"]\n  conditions: {{ready: true}}\n"
        ));
    }
    // A TargetGroupPolicy: its status is written.
    out.push_str(
        "---\napiVersion: application-networking.k8s.aws/v1alpha1\nkind: TargetGroupPolicy\n\
         metadata:\n  name: stock-health\n  namespace: inventory\nspec:\n\
         \x20 targetRef: {group: \"\", kind: Service, name: stock-v1}\n\
         \x20 healthCheck: {enabled: true, protocol: HTTP, path: /healthz, intervalSeconds: 10}\n",
    );
    // A ServiceExport and a ServiceImport that the Go controller had
    // finalized: the export's group made and its status written with the
    // object, and both finalizers removed.
    out.push_str(
        "---\napiVersion: application-networking.k8s.aws/v1alpha1\nkind: ServiceExport\n\
         metadata:\n  name: stock-v2\n  namespace: inventory\n\
         \x20 finalizers: [serviceexport.k8s.aws/resources]\n\
         spec:\n  exportedPorts: [{port: 8443, routeType: TLS}]\n---\n\
         apiVersion: application-networking.k8s.aws/v1alpha1\nkind: ServiceImport\n\
         metadata:\n  name: stock-v3\n  namespace: inventory\n\
         \x20 finalizers: [serviceimport.k8s.aws/resource]\n\
         spec:\n  type: ClusterSetIP\n  ports: [{port: 8443, protocol: TCP}]\n",
    );
    // An AccessLogPolicy on the Gateway: a subscription on its network.
    out.push_str(
        "---\napiVersion: application-networking.k8s.aws/v1alpha1\nkind: AccessLogPolicy\n\
         metadata:\n  name: inventory-logs\n  namespace: inventory\n\
         \x20 finalizers: [accesslogpolicy.k8s.aws/resources]\nspec:\n\
         \x20 targetRef: {group: gateway.networking.k8s.io, kind: Gateway, name: inventory}\n\
         \x20 destinationArn: \"arn:aws:s3:::inventory-access-logs\"\n",
    );
    out
}

/// kube-sim recording requests, with the CRDs, the bookstore, the inventory
/// and the controller's namespace, all written in process (not recorded).
async fn cluster() -> kube_sim::RunningSim {
    let sim = kube_sim::KubeSim::start(kube_sim::SimOptions {
        record_requests: true,
        ..Default::default()
    })
    .await
    .expect("kube-sim starts");
    let crds = [
        lattice_core::crds::gateway_api(),
        lattice_core::crds::project(),
    ]
    .concat();
    let s = sim.sim();
    s.apply_yaml(&lattice_core::crds::to_yaml(&crds).unwrap())
        .unwrap();
    s.apply_yaml(&format!(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: bookstore\n---\n\
         apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {NAMESPACE}\n"
    ))
    .unwrap();
    for f in ["gateway.yaml", "services.yaml", "routes.yaml", "auth.yaml"] {
        let text = std::fs::read_to_string(root().join("examples/bookstore").join(f)).unwrap();
        s.apply_yaml(&text).unwrap();
    }
    s.apply_yaml(&inventory()).unwrap();
    sim
}

/// Starts the controller as `run` does in the Deployment: its own user,
/// the Lease in its namespace, plugin objects served. `stop` ends it.
fn start(
    url: &str,
    lattice: &str,
) -> (
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<()>,
) {
    let kube = client_as(url, USER);
    let replica = "lattice-host-0";
    let options = Options {
        leader: Some(Election::new(NAMESPACE, replica).start(kube.clone())),
        instance: Some(replica.into()),
        namespace: NAMESPACE.into(),
        ..Options::default()
    };
    let cache = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("components");
    let parts = lattice_wiring::Parts {
        kube,
        plugins: lattice_wasm::PluginConfig {
            cache_dir: Some(cache),
            ..Default::default()
        },
        lattice: Some(lattice_wiring::Lattice {
            client: lattice_sim::client(lattice),
            options: lattice_apply::ApplyOptions::unlimited(16),
        }),
        options,
    };
    let assembled = lattice_wiring::controller(parts).expect("the controller starts");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let _runtime = assembled.plugin_runtime;
        assembled
            .controller
            .run(async {
                let _ = stopped.await;
            })
            .await
    });
    (stop, task)
}

/// Polls `check` every 100 ms for up to 30 s.
async fn until<T>(what: &str, mut check: impl AsyncFnMut() -> Option<T>) -> T {
    for _ in 0..300 {
        if let Some(v) = check().await {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("never happened: {what}");
}

/// Waits until `api`'s object `name` has a condition `ty` with `status`
/// somewhere in its status.
async fn condition(api: &Api<DynamicObject>, name: &str, ty: &str, status: &str) {
    fn find(v: &Value, ty: &str, status: &str) -> bool {
        match v {
            Value::Object(m) => {
                (m.get("type").and_then(Value::as_str) == Some(ty)
                    && m.get("status").and_then(Value::as_str) == Some(status))
                    || m.values().any(|x| find(x, ty, status))
            }
            Value::Array(a) => a.iter().any(|x| find(x, ty, status)),
            _ => false,
        }
    }
    until(&format!("{name}: {ty}={status}"), async || {
        let o = api.get(name).await.ok()?;
        find(&serde_json::to_value(o).ok()?["status"], ty, status).then_some(())
    })
    .await
}

/// Waits until `api` has no object `name`.
async fn gone(api: &Api<DynamicObject>, name: &str) {
    until(&format!("{name} is deleted"), async || {
        api.get_opt(name).await.ok()?.is_none().then_some(())
    })
    .await
}

/// Waits until lattice-sim has served `operation` and then nothing for 1 s.
async fn settled(lattice: &lattice_sim::RunningSim, operation: &str) {
    until(&format!("the controller calls {operation}"), async || {
        lattice.call_counts().contains_key(operation).then_some(())
    })
    .await;
    let mut last = lattice.call_counts();
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let now = lattice.call_counts();
        if now == last {
            return;
        }
        last = now;
    }
    panic!("the controller never went quiet");
}

const PROGRAMMED: &str = "application-networking.k8s.aws/Programmed";

/// Runs the scenario and returns what the controller asked for.
pub async fn run() -> Recorded {
    let kube = cluster().await;
    let lattice = lattice_sim::LatticeSim::new(lattice_sim::SimConfig::default())
        .start()
        .await
        .unwrap();
    let test = client_as(&kube.url(), "test");
    let ns = |kind: &str, plural: &str, namespace: &str| -> Api<DynamicObject> {
        Api::namespaced_with(test.clone(), namespace, &gw(kind, plural))
    };
    let (httproutes, grpcroutes) = (
        ns("HTTPRoute", "httproutes", "bookstore"),
        ns("GRPCRoute", "grpcroutes", "bookstore"),
    );
    let (tlsroutes, gateways) = (
        ns("TLSRoute", "tlsroutes", "inventory"),
        ns("Gateway", "gateways", "inventory"),
    );
    let merge = |v: Value| Patch::Merge(v);
    let pp = PatchParams::default();

    // Someone else's Lattice service, which the reviews route takes over.
    let aws = lattice_sim::client(&lattice.url());
    aws.create_service()
        .name("reviews-bookstore")
        .tags("application-networking.k8s.aws/ManagedBy", OTHER_OWNER)
        .send()
        .await
        .expect("a foreign service");
    lattice.reset_call_counts();
    let annotation = lattice_core::model::naming::ALLOW_TAKEOVER_FROM;
    let takeover = json!({"metadata":{"annotations":{annotation: OTHER_OWNER}}});
    httproutes
        .patch("reviews", &pp, &merge(takeover))
        .await
        .unwrap();
    // The Go controller's finalizer on an IAMAuthPolicy: removed.
    let policies: Api<DynamicObject> = Api::namespaced_with(
        test.clone(),
        "bookstore",
        &ar(
            "application-networking.k8s.aws",
            "v1alpha1",
            "IAMAuthPolicy",
            "iamauthpolicies",
        ),
    );
    let go = json!({"metadata":{"finalizers":["application-networking.k8s.aws/iam-auth-policy"]}});
    policies
        .patch("bookstore-network", &pp, &merge(go))
        .await
        .unwrap();

    // Converge: creates, tags, auth policies, the takeover.
    let (stop, task) = start(&kube.url(), &lattice.url());
    for (api, name) in [
        (&httproutes, "books"),
        (&httproutes, "reviews"),
        (&grpcroutes, "ratings"),
        (&tlsroutes, "stock"),
    ] {
        condition(api, name, PROGRAMMED, "True").await;
    }

    // Plugin objects: a ClusterLatticePlugin from a ConfigMap (swapped in),
    // a LatticePlugin nobody delegated to, and one pulled from OCI with a
    // pull secret from the controller's namespace (the registry is closed).
    let wasm = std::fs::read(test_plugins::EQUAL_SPLIT).expect("the plugin was built");
    let cm: ConfigMap = serde_json::from_value(json!({
        "metadata": {"name": "equal-split", "namespace": "bookstore"}}))
    .unwrap();
    let cm = ConfigMap {
        binary_data: Some([("plugin.wasm".to_string(), ByteString(wasm))].into()),
        ..cm
    };
    Api::<ConfigMap>::namespaced(test.clone(), "bookstore")
        .create(&PostParams::default(), &cm)
        .await
        .unwrap();
    let secret: Secret = serde_json::from_value(json!({
        "metadata": {"name": "regcred", "namespace": NAMESPACE},
        "type": "kubernetes.io/dockerconfigjson",
        "stringData": {".dockerconfigjson": "{\"auths\":{}}"}}))
    .unwrap();
    Api::<Secret>::namespaced(test.clone(), NAMESPACE)
        .create(&PostParams::default(), &secret)
        .await
        .unwrap();
    let clp = ar(
        "lattice-host.io",
        "v1alpha1",
        "ClusterLatticePlugin",
        "clusterlatticeplugins",
    );
    let lp = ar(
        "lattice-host.io",
        "v1alpha1",
        "LatticePlugin",
        "latticeplugins",
    );
    let cluster_plugins: Api<DynamicObject> = Api::all_with(test.clone(), &clp);
    let team_plugins: Api<DynamicObject> = Api::namespaced_with(test.clone(), "bookstore", &lp);
    let source =
        json!({"configMap":{"name":"equal-split","key":"plugin.wasm","namespace":"bookstore"}});
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let oci = format!(
        "{}/plugins/auth@sha256:{}",
        closed.local_addr().unwrap(),
        "0".repeat(64)
    );
    drop(closed);
    let cluster_plugin = |name: &str, spec: Value| {
        (
            &cluster_plugins,
            "ClusterLatticePlugin",
            name.to_string(),
            spec,
        )
    };
    for (api, kind, name, spec) in [
        cluster_plugin("equal", json!({"stage": "weighting", "source": source})),
        cluster_plugin(
            "pulled",
            json!({"stage": "auth", "source": {"oci": oci}, "pullSecret": "regcred"}),
        ),
        (
            &team_plugins,
            "LatticePlugin",
            "team".to_string(),
            json!({"stage": "weighting",
                "source": {"configMap": {"name": "equal-split", "key": "plugin.wasm"}}}),
        ),
    ] {
        let o: DynamicObject = serde_json::from_value(json!({
            "apiVersion": "lattice-host.io/v1alpha1", "kind": kind,
            "metadata": {"name": name}, "spec": spec}))
        .unwrap();
        api.create(&PostParams::default(), &o).await.unwrap();
    }
    condition(&cluster_plugins, "equal", "Ready", "True").await;
    condition(&cluster_plugins, "pulled", "Accepted", "False").await;
    condition(&team_plugins, "team", "Accepted", "False").await;
    // A second refusal of the same object: the controller's one Recorder
    // counts it on the first Event (a patch), as client-go's does.
    let again = json!({"spec": {"settings": {"retry": 2}}});
    cluster_plugins
        .patch("pulled", &PatchParams::default(), &Patch::Merge(&again))
        .await
        .unwrap();
    let events: Api<k8s_openapi::api::events::v1::Event> = Api::all(test.clone());
    until("the second refusal is counted on one Event", async || {
        let list = events.list(&Default::default()).await.ok()?;
        list.items
            .iter()
            .find(|e| {
                e.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some("pulled")
                    && e.series.as_ref().is_some_and(|s| s.count >= 2)
            })
            .map(|_| ())
    })
    .await;

    // A restart: the same replica renews its Lease, and the new applier
    // reads what Lattice holds afresh (details by Get*, owners by tags).
    settled(&lattice, "UpdateRule").await;
    let _ = stop.send(());
    task.await.unwrap();
    let (stop, task) = start(&kube.url(), &lattice.url());
    settled(&lattice, "GetAuthPolicy").await;

    // An edit to the one route with a single target group, alone in its
    // pass: the restarted applier knows the group's id from its first
    // pass's list, so the scoped pass reads it by id (`GetTargetGroup`).
    // Folded into other edits' pass, the scope would be listed instead.
    let method = json!({"spec": {"rules": [
        {"matches": [{"method": {"service": "bookstore.Ratings", "method": "ListRatings"}}],
         "backendRefs": [{"name": "ratings", "port": 9090}]},
        {"matches": [{"method": {"service": "bookstore.Ratings"}}],
         "backendRefs": [{"name": "ratings", "port": 9090}]}]}});
    grpcroutes
        .patch("ratings", &pp, &merge(method))
        .await
        .unwrap();
    settled(&lattice, "GetTargetGroup").await;

    // The tags annotation on that route: added (`TagResource` on what
    // exists), then a key removed (`UntagResource`).
    let tagged = |v: &str| {
        merge(json!({"metadata": {"annotations": {"application-networking.k8s.aws/tags": v}}}))
    };
    let tag_calls = || {
        lattice
            .call_counts()
            .get("TagResource")
            .copied()
            .unwrap_or(0)
    };
    let before = tag_calls();
    grpcroutes
        .patch("ratings", &pp, &tagged("Team=ratings,Env=dev"))
        .await
        .unwrap();
    until("the controller tags ratings", async || {
        (tag_calls() > before).then_some(())
    })
    .await;
    settled(&lattice, "TagResource").await;
    grpcroutes
        .patch("ratings", &pp, &tagged("Team=ratings"))
        .await
        .unwrap();
    settled(&lattice, "UntagResource").await;

    // A TargetGroupPolicy's health check edited: `UpdateTargetGroup`.
    let tgp = ar(
        "application-networking.k8s.aws",
        "v1alpha1",
        "TargetGroupPolicy",
        "targetgrouppolicies",
    );
    let health = json!({"spec": {"healthCheck": {"path": "/ready"}}});
    Api::<DynamicObject>::namespaced_with(test.clone(), "inventory", &tgp)
        .patch("stock-health", &pp, &merge(health))
        .await
        .unwrap();
    settled(&lattice, "UpdateTargetGroup").await;

    // A VpcAssociationPolicy with security groups on the bookstore's
    // Gateway, whose network holds the cluster VPC's association.
    let vap: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "application-networking.k8s.aws/v1alpha1", "kind": "VpcAssociationPolicy",
        "metadata": {"name": "bookstore-vpc", "namespace": "bookstore",
            "finalizers": ["vpcassociationpolicies.application-networking.k8s.aws/resources"]},
        "spec": {"targetRef": {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "bookstore"},
            "securityGroupIds": ["sg-0a1b2c3d"]}}))
    .unwrap();
    let vaps = ar(
        "application-networking.k8s.aws",
        "v1alpha1",
        "VpcAssociationPolicy",
        "vpcassociationpolicies",
    );
    Api::<DynamicObject>::namespaced_with(test.clone(), "bookstore", &vaps)
        .create(&PostParams::default(), &vap)
        .await
        .unwrap();
    settled(&lattice, "UpdateServiceNetworkVpcAssociation").await;

    // A ServiceNetwork object: its network created, its status and our
    // finalizer written; then deleted, and the network with it.
    let sns: Api<DynamicObject> = Api::all_with(
        test.clone(),
        &ar(
            "application-networking.k8s.aws",
            "v1alpha1",
            "ServiceNetwork",
            "servicenetworks",
        ),
    );
    let sn: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "application-networking.k8s.aws/v1alpha1", "kind": "ServiceNetwork",
        "metadata": {"name": "shared-network"}, "spec": {}}))
    .unwrap();
    sns.create(&PostParams::default(), &sn).await.unwrap();
    settled(&lattice, "CreateServiceNetwork").await;
    sns.delete("shared-network", &DeleteParams::default())
        .await
        .unwrap();
    settled(&lattice, "DeleteServiceNetwork").await;

    // The export: Ready, the Go controller's finalizer gone; the import's too.
    let mc = |kind: &str, plural: &str| {
        let ar = ar("application-networking.k8s.aws", "v1alpha1", kind, plural);
        Api::<DynamicObject>::namespaced_with(test.clone(), "inventory", &ar)
    };
    let (exports, imports) = (
        mc("ServiceExport", "serviceexports"),
        mc("ServiceImport", "serviceimports"),
    );
    until("the export ready, without the Go finalizer", async || {
        let e = serde_json::to_value(exports.get("stock-v2").await.ok()?).ok()?;
        let conditions = e.pointer("/status/conditions")?.as_array()?;
        let ready = conditions
            .iter()
            .any(|c| c["type"] == "Ready" && c["status"] == "True");
        let finalizers = e.pointer("/metadata/finalizers").and_then(Value::as_array);
        (ready && finalizers.is_none_or(|f| f.is_empty())).then_some(())
    })
    .await;
    until("the import without the Go finalizer", async || {
        let i = imports.get("stock-v3").await.ok()?;
        i.metadata
            .finalizers
            .unwrap_or_default()
            .is_empty()
            .then_some(())
    })
    .await;

    // The AccessLogPolicy's bucket changed (`UpdateAccessLogSubscription`),
    // then the policy removed (`DeleteAccessLogSubscription`).
    let alp: Api<DynamicObject> = Api::namespaced_with(
        test.clone(),
        "inventory",
        &ar(
            "application-networking.k8s.aws",
            "v1alpha1",
            "AccessLogPolicy",
            "accesslogpolicies",
        ),
    );
    // Annotated with its subscription's ARN and its target's name, as the
    // Go controller annotates it.
    let logs = alp.get("inventory-logs").await.unwrap();
    let annotations = logs.metadata.annotations.unwrap_or_default();
    let subscription = &annotations["application-networking.k8s.aws/accessLogSubscription"];
    assert!(
        subscription.starts_with("arn:aws:vpc-lattice:"),
        "{annotations:?}"
    );
    assert_eq!(
        annotations["application-networking.k8s.aws/accessLogSubscriptionResourceName"],
        "inventory"
    );
    let bucket = json!({"spec": {"destinationArn": "arn:aws:s3:::inventory-access-logs-2"}});
    alp.patch("inventory-logs", &pp, &merge(bucket))
        .await
        .unwrap();
    settled(&lattice, "UpdateAccessLogSubscription").await;
    alp.delete("inventory-logs", &DeleteParams::default())
        .await
        .unwrap();
    settled(&lattice, "DeleteAccessLogSubscription").await;

    // Edits: auth policies removed (service and network back to NONE),
    // an endpoint gone, two rules' backends swapped (one batch), a rule
    // removed, a route moved to another listener, the TLS split changed.
    for p in ["books-storefront-only", "bookstore-network"] {
        policies.delete(p, &DeleteParams::default()).await.unwrap();
    }
    let slices: Api<DynamicObject> = Api::namespaced_with(
        test.clone(),
        "bookstore",
        &ar("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices"),
    );
    let one = json!({"endpoints":[{"addresses":["10.0.1.11"],"conditions":{"ready":true}}]});
    slices.patch("books-v1-1", &pp, &merge(one)).await.unwrap();
    let mut reviews = serde_json::to_value(httproutes.get("reviews").await.unwrap()).unwrap();
    let rules = reviews["spec"]["rules"].as_array_mut().unwrap();
    rules[1]["backendRefs"] = json!([{"name": "reviews-read", "port": 80}]);
    rules[2]["backendRefs"] = json!([{"name": "reviews-write", "port": 80}]);
    let swap = json!({"spec": {"rules": reviews["spec"]["rules"]}});
    httproutes
        .patch("reviews", &pp, &merge(swap))
        .await
        .unwrap();
    let mut books = serde_json::to_value(httproutes.get("books").await.unwrap()).unwrap();
    books["spec"]["rules"].as_array_mut().unwrap().truncate(1);
    let fewer = json!({"spec": {"rules": books["spec"]["rules"]}});
    httproutes.patch("books", &pp, &merge(fewer)).await.unwrap();
    settled(&lattice, "DeleteRule").await;
    let moved = json!({"spec": {"parentRefs": [{"name": "bookstore", "sectionName": "https"}]}});
    httproutes.patch("books", &pp, &merge(moved)).await.unwrap();
    let split = json!({"spec": {"rules": [{"backendRefs": [
        {"name": "stock-v1", "port": 8443, "weight": 50},
        {"name": "stock-v2", "port": 8443, "weight": 50}]}]}});
    tlsroutes.patch("stock", &pp, &merge(split)).await.unwrap();
    settled(&lattice, "DeleteListener").await;

    // Deletions: a route (its service and target group go first), then the
    // TLS route and its Gateway (the service network goes, then the Gateway).
    grpcroutes
        .delete("ratings", &DeleteParams::default())
        .await
        .unwrap();
    gone(&grpcroutes, "ratings").await;
    tlsroutes
        .delete("stock", &DeleteParams::default())
        .await
        .unwrap();
    gone(&tlsroutes, "stock").await;
    gateways
        .delete("inventory", &DeleteParams::default())
        .await
        .unwrap();
    gone(&gateways, "inventory").await;
    settled(&lattice, "DeleteServiceNetwork").await;

    // Teardown of the bookstore: its Gateway waits for its routes, then the
    // service network goes with the cluster VPC's association.
    let bookstore = ns("Gateway", "gateways", "bookstore");
    bookstore
        .delete("bookstore", &DeleteParams::default())
        .await
        .unwrap();
    for r in ["books", "reviews"] {
        httproutes
            .delete(r, &DeleteParams::default())
            .await
            .unwrap();
        gone(&httproutes, r).await;
    }
    gone(&bookstore, "bookstore").await;
    settled(&lattice, "DeleteServiceNetworkVpcAssociation").await;
    let _ = stop.send(());
    task.await.unwrap();

    Recorded {
        kube: kube
            .sim()
            .requests()
            .into_iter()
            .filter(|(r, _)| r.user == USER)
            .collect(),
        lattice: lattice.call_counts(),
    }
}
