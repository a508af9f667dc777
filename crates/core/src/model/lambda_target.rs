//! A LambdaTarget backendRef to a `LAMBDA` target group: the ReferenceGrant
//! check, the object, and its function ARN.

use lattice_plugin_sdk::types::{Backend, Resolution};

use super::backends::{TargetGroupIntent, not_permitted, permitted};
use super::naming::lambda_target_group_name;
use super::routes::{BackendRef, RouteView};
use crate::config::ReferenceGrantPolicy;
use crate::crds::lambda_target::{KIND, is_function_arn};
use crate::kinds::PLUGIN_GROUP;
use crate::plan::LambdaPlan;
use crate::snapshot::Snapshot;

/// Resolves a backendRef to a LambdaTarget, `out` being its plugin input so
/// far. A backendRef `port` is ignored: a Lambda function has none, so the
/// group is named without it and two refs that differ only in port are one
/// group.
pub(super) fn resolve(
    snapshot: &Snapshot,
    grants: ReferenceGrantPolicy,
    route: &RouteView,
    lattice_service: &str,
    b: &BackendRef,
    mut out: Backend,
) -> (Backend, Option<TargetGroupIntent>) {
    out.display = format!("{KIND} {}/{}", b.namespace, b.name);
    if !permitted(snapshot, grants, route, b, PLUGIN_GROUP, KIND) {
        out.resolution = Resolution::NotPermitted;
        out.display = not_permitted(&out.display, route, b);
        return (out, None);
    }
    let key = (b.namespace.clone(), b.name.clone());
    let Some(target) = snapshot.lambda_targets.get(&key) else {
        out.resolution = Resolution::NotFound;
        return (out, None);
    };
    let arn = &target.spec.function_arn;
    if !is_function_arn(arn) {
        out.resolution = Resolution::NotFound;
        out.display = format!(
            "{} (functionArn {arn:?} is not a Lambda function ARN: arn:<partition>:lambda:<region>:<account>:function:<name>[:<qualifier>])",
            out.display
        );
        return (out, None);
    }
    let lambda = LambdaPlan {
        function_arn: arn.clone(),
        event_structure_version: target
            .spec
            .event_structure_version
            .map(|v| v.as_str().to_string()),
    };
    let tg = TargetGroupIntent {
        name: lambda_target_group_name(lattice_service, &b.name, &b.namespace),
        backend: format!("{KIND} {}/{}", b.namespace, b.name),
        port: 0,
        protocol: String::new(),
        protocol_version: None,
        targets: vec![],
        health_check: None,
        import: None,
        lambda: Some(lambda),
    };
    out.target_group = tg.name.clone();
    (out, Some(tg))
}

#[cfg(test)]
mod tests {
    use lattice_plugin_sdk::types::{Resolution, RouteKind};
    use serde_json::{Value, json};

    use super::super::backends::resolve;
    use crate::config::ReferenceGrantPolicy;
    use crate::snapshot::Snapshot;

    const ARN: &str = "arn:aws:lambda:us-west-2:123456789012:function:books:live";

    fn mk_lambda(ns: &str, arn: &str, version: Option<&str>) -> Value {
        let mut spec = json!({"functionArn": arn});
        if let Some(v) = version {
            spec["eventStructureVersion"] = json!(v);
        }
        json!({"apiVersion":"lattice-host.io/v1alpha1","kind":"LambdaTarget",
            "metadata":{"name":"fn","namespace":ns},"spec":spec})
    }

    fn mk_grant() -> Value {
        json!({"apiVersion":"gateway.networking.k8s.io/v1beta1","kind":"ReferenceGrant",
            "metadata":{"name":"allow-app","namespace":"fns"},
            "spec":{"from":[{"group":"gateway.networking.k8s.io","kind":"HTTPRoute","namespace":"app"}],
                "to":[{"group":"lattice-host.io","kind":"LambdaTarget"}]}})
    }

    /// The route `app/r`'s one backendRef, to LambdaTarget `fn` in `ns`
    /// (port 8080, which a LambdaTarget ignores), resolved in a snapshot of
    /// `objects`.
    fn resolved(
        objects: Vec<Value>,
        ns: &str,
        grants: ReferenceGrantPolicy,
    ) -> (
        lattice_plugin_sdk::types::Backend,
        Option<super::TargetGroupIntent>,
    ) {
        let mut s = Snapshot::default();
        for o in objects {
            s.add_manifest(o).expect("a valid manifest");
        }
        s.add_manifest(json!({"apiVersion":"gateway.networking.k8s.io/v1","kind":"HTTPRoute",
            "metadata":{"name":"r","namespace":"app"},
            "spec":{"parentRefs":[{"name":"mesh"}],"rules":[{"backendRefs":[
                {"group":"lattice-host.io","kind":"LambdaTarget","name":"fn","namespace":ns,"port":8080,"weight":20}]}]}}))
        .expect("a valid route");
        let view = crate::kinds::route(RouteKind::Http)
            .view(&s, &("app".into(), "r".into()))
            .expect("the route");
        let b = &view.rules[0].backend_refs[0];
        let field = "spec.rules[0].backendRefs[0]".to_string();
        resolve(&s, grants, &view, "r-app", b, field)
    }

    #[test]
    fn a_lambda_target_resolves_to_a_lambda_group_of_its_function() {
        let (b, tg) = resolved(
            vec![mk_lambda("app", ARN, Some("V2"))],
            "app",
            ReferenceGrantPolicy::Require,
        );
        assert_eq!(b.resolution, Resolution::Resolved);
        assert_eq!(b.weight, Some(20));
        let tg = tg.expect("a target group");
        assert_eq!(b.target_group, tg.name);
        assert_eq!(tg.name, "k8s-r-app-fn-app-lambda");
        assert_eq!(tg.backend, "LambdaTarget app/fn");
        assert_eq!((tg.port, tg.protocol.as_str()), (0, ""));
        assert!(tg.targets.is_empty() && tg.health_check.is_none());
        let lambda = tg.lambda.expect("a LAMBDA group");
        assert_eq!(lambda.function_arn, ARN);
        assert_eq!(lambda.event_structure_version.as_deref(), Some("V2"));
    }

    #[test]
    fn without_an_event_structure_version_none_is_planned() {
        let (_, tg) = resolved(
            vec![mk_lambda("app", ARN, None)],
            "app",
            ReferenceGrantPolicy::Require,
        );
        let lambda = tg.and_then(|t| t.lambda).expect("a LAMBDA group");
        assert_eq!(lambda.event_structure_version, None);
    }

    #[test]
    fn an_absent_lambda_target_is_not_found() {
        let (b, tg) = resolved(vec![], "app", ReferenceGrantPolicy::Require);
        assert_eq!(b.resolution, Resolution::NotFound);
        assert_eq!(b.display, "LambdaTarget app/fn");
        assert!(tg.is_none() && b.target_group.is_empty());
    }

    #[test]
    fn a_lambda_target_in_another_namespace_needs_a_grant_to_lambda_targets() {
        let (b, tg) = resolved(
            vec![mk_lambda("fns", ARN, None)],
            "fns",
            ReferenceGrantPolicy::Require,
        );
        assert_eq!(b.resolution, Resolution::NotPermitted);
        assert!(
            b.display.contains("no ReferenceGrant in namespace fns"),
            "{}",
            b.display
        );
        assert!(tg.is_none());

        // A grant to Services does not cover a LambdaTarget.
        let mut to_services = mk_grant();
        to_services["spec"]["to"] = json!([{"group":"","kind":"Service"}]);
        let objects = vec![mk_lambda("fns", ARN, None), to_services];
        let (b, _) = resolved(objects, "fns", ReferenceGrantPolicy::Require);
        assert_eq!(b.resolution, Resolution::NotPermitted);

        let objects = vec![mk_lambda("fns", ARN, None), mk_grant()];
        let (b, tg) = resolved(objects, "fns", ReferenceGrantPolicy::Require);
        assert_eq!(b.resolution, Resolution::Resolved);
        assert_eq!(tg.expect("a group").name, "k8s-r-app-fn-fns-lambda");

        let (b, _) = resolved(
            vec![mk_lambda("fns", ARN, None)],
            "fns",
            ReferenceGrantPolicy::Ignore,
        );
        assert_eq!(b.resolution, Resolution::Resolved);
    }

    #[test]
    fn a_function_arn_that_is_not_a_lambda_functions_is_not_found_and_says_why() {
        let bad = "arn:aws:lambda:us-west-2:123456789012:layer:books";
        let (b, tg) = resolved(
            vec![mk_lambda("app", bad, None)],
            "app",
            ReferenceGrantPolicy::Require,
        );
        assert_eq!(b.resolution, Resolution::NotFound);
        assert!(tg.is_none());
        assert!(
            b.display.contains(bad) && b.display.contains("is not a Lambda function ARN"),
            "{}",
            b.display
        );
    }
}
