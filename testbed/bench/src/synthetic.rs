//! The benchmarks' synthetic cluster: N HTTPRoutes with their Services and
//! EndpointSlices, as manifests or as a snapshot.

use lattice_core::Snapshot;
use serde_json::json;

/// `n` HTTPRoutes on one Gateway, as manifests: 3 rules each (a weighted
/// canary, a header match, a catch-all), 2 backends each, 2 endpoints each,
/// spread over 50 namespaces.
pub fn objects(n: usize) -> Vec<serde_json::Value> {
    let mut out = vec![
        json!({"apiVersion":"gateway.networking.k8s.io/v1","kind":"Gateway",
        "metadata":{"name":"bench","namespace":"default"},
        "spec":{"gatewayClassName":"amazon-vpc-lattice","listeners":[{"name":"http","port":80,"protocol":"HTTP",
            "allowedRoutes":{"namespaces":{"from":"All"}}}]}}),
    ];
    for i in 0..n {
        let ns = format!("ns{}", i % 50);
        for b in 0..2 {
            let svc = format!("svc{i}-{b}");
            out.push(
                json!({"apiVersion":"v1","kind":"Service","metadata":{"name":svc,"namespace":ns},
                "spec":{"ports":[{"name":"http","port":8080,"targetPort":8080}]}}),
            );
            out.push(json!({"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice",
                "metadata":{"name":format!("{svc}-abc"),"namespace":ns,"labels":{"kubernetes.io/service-name":svc}},
                "addressType":"IPv4","ports":[{"name":"http","port":8080}],
                "endpoints":[{"addresses":[format!("10.{}.{}.1", i / 250 % 250, i % 250)],"conditions":{"ready":true}},
                             {"addresses":[format!("10.{}.{}.2", i / 250 % 250, i % 250)],"conditions":{"ready":true}}]}));
        }
        let backends = |w0: u32, w1: u32| json!([{"name":format!("svc{i}-0"),"port":8080,"weight":w0},{"name":format!("svc{i}-1"),"port":8080,"weight":w1}]);
        out.push(json!({"apiVersion":"gateway.networking.k8s.io/v1","kind":"HTTPRoute",
            "metadata":{"name":format!("route{i}"),"namespace":ns},
            "spec":{"parentRefs":[{"name":"bench","namespace":"default"}],
              "rules":[
                {"matches":[{"path":{"type":"PathPrefix","value":"/api"}}],"backendRefs":backends(90,10)},
                {"matches":[{"headers":[{"name":"x-canary","value":"1"}],"path":{"type":"PathPrefix","value":"/"}}],"backendRefs":backends(0,1)},
                {"backendRefs":backends(1,1)}]}}));
    }
    out
}

/// The same routes as a snapshot, for planning without a cluster.
pub fn snapshot(n: usize) -> Snapshot {
    let mut s = Snapshot::default();
    for o in objects(n) {
        s.add_manifest(o).expect("synthetic manifests are valid");
    }
    s
}
